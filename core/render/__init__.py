"""Renderers: one interface (core.render.base.Renderer), three backends.

    gl         moderngl / OpenGL 3.3; headless EGL or a Qt widget's context (core.render.gl)
    reference  pure torch, differentiable, tile-based, CPU or CUDA (core.render.reference)
    gsplat     gsplat.rasterization on CUDA (core.render.gsplat_backend)
"""
from __future__ import annotations

from core.render.base import RenderError, Renderer, RenderResult

BACKENDS = ("gl", "reference", "gsplat")


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def get_renderer(name: str = "auto", **kwargs) -> Renderer:
    """A renderer by backend name. 'auto' picks gsplat when CUDA is present, else gl."""
    if name == "auto":
        name = "gsplat" if cuda_available() else "gl"
    if name == "gl":
        from core.render.gl import GLRenderer

        return GLRenderer(**kwargs)
    if name == "reference":
        from core.render.reference import ReferenceRenderer

        return ReferenceRenderer(**kwargs)
    if name == "gsplat":
        from core.render.gsplat_backend import GsplatRenderer

        return GsplatRenderer(**kwargs)
    raise RenderError(f"unknown render backend {name!r}; choose one of {', '.join(BACKENDS)} or 'auto'")


__all__ = ["BACKENDS", "RenderError", "RenderResult", "Renderer", "get_renderer", "cuda_available"]

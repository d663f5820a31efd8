"""`gsplat` backend: gsplat.rasterization on CUDA (training and fast export).

gsplat JIT-compiles its CUDA kernels on first use (about a minute; set TORCH_CUDA_ARCH_LIST for
the card). Colours are evaluated by core.render.common.sh_colors and passed in as plain RGB, so SH
maths lives in one place and every backend sees identical colours.
"""
from __future__ import annotations

from typing import Sequence

import torch

from core.camera import Camera
from core.gaussians import GaussianCloud
from core.render.base import BLUR_EPS2D, RenderError, Renderer, RenderResult
from core.render.common import background_tensor, camera_tensors, sh_colors


def gsplat_available() -> tuple[bool, str]:
    """(usable, reason). gsplat imports on CPU-only machines but cannot render there."""
    if not torch.cuda.is_available():
        return False, "CUDA is not available on this machine"
    try:
        import gsplat  # noqa: F401
    except Exception as exc:  # ImportError, or a broken CUDA extension build
        return False, f"gsplat cannot be imported: {exc}"
    return True, ""


class GsplatRenderer(Renderer):
    name = "gsplat"

    def __init__(self, device: str | torch.device = "cuda"):
        ok, why = gsplat_available()
        if not ok:
            raise RenderError(f"the gsplat backend needs CUDA and gsplat: {why}")
        from gsplat import rasterization

        self._rasterization = rasterization
        self.device = torch.device(device)

    def render(
        self,
        cloud: GaussianCloud,
        camera: Camera,
        width: int | None = None,
        height: int | None = None,
        background: Sequence[float] = (0.0, 0.0, 0.0),
    ) -> RenderResult:
        if width is not None or height is not None:
            camera = camera.resized(width or camera.width, height or camera.height)
        if cloud.device != self.device:
            cloud = cloud.to(self.device)
        viewmat, K = camera_tensors(camera, self.device)
        colors = sh_colors(cloud, camera).float()
        bg = background_tensor(background, self.device)
        if len(cloud) == 0:
            h, w = camera.height, camera.width
            return RenderResult(bg.expand(h, w, 3).clone(), bg.new_zeros(h, w, 1), bg.new_zeros(h, w, 1))
        rgbd, alpha, _ = self._rasterization(
            means=cloud.means.float(),
            quats=cloud.quats.float(),
            scales=torch.exp(cloud.log_scales).float(),
            opacities=torch.sigmoid(cloud.opacities).float(),
            colors=colors,
            viewmats=viewmat[None],
            Ks=K[None],
            width=camera.width,
            height=camera.height,
            near_plane=camera.near,
            far_plane=camera.far,
            eps2d=BLUR_EPS2D,
            packed=False,
            render_mode="RGB+ED",
            rasterize_mode="classic",
        )
        rgbd, alpha = rgbd[0], alpha[0]
        color = rgbd[..., :3] + (1 - alpha) * bg
        depth = torch.where(alpha > 0, rgbd[..., 3:4], torch.zeros_like(alpha))
        return RenderResult(color=color, alpha=alpha, depth=depth)

"""The `gl` backend against the `reference` backend on fixed scenes (real EGL context, CPU torch)."""
from __future__ import annotations

import pytest
import torch

from tests.scenes import psnr, random_cloud, views

pytest.importorskip("moderngl")

VIEW_NAMES = ("front", "three-quarter", "side", "above")


@pytest.fixture(scope="module")
def renderers():
    from core.render.gl import GLRenderer
    from core.render.reference import ReferenceRenderer

    gl = GLRenderer()
    yield gl, ReferenceRenderer()
    gl.close()


@pytest.mark.parametrize(("n", "sh_degree", "size"), [(200, 0, (96, 80)), (2000, 0, (160, 120)), (2000, 3, (160, 120))])
def test_gl_agrees_with_reference(renderers, n, sh_degree, size, record_property):
    gl, ref = renderers
    cloud = random_cloud(n, seed=11 + n, sh_degree=sh_degree)
    worst = float("inf")
    for view, cam in zip(VIEW_NAMES, views(cloud, *size)):
        bg = (0.2, 0.2, 0.25)
        a = gl.render(cloud, cam, background=bg)
        with torch.no_grad():
            b = ref.render(cloud, cam, background=bg)
        p_color, p_alpha = psnr(a.color, b.color), psnr(a.alpha, b.alpha)
        worst = min(worst, p_color)
        print(f"gl vs reference, {n} Gaussians, SH {sh_degree}, {view}: {p_color:.2f} dB (alpha {p_alpha:.2f} dB)")
        assert p_color >= 40.0
        assert p_alpha >= 40.0
        # Expected depth where the pixel is well covered (it is a ratio, noisy where alpha is tiny).
        covered = (b.alpha[..., 0] > 0.2) & (a.alpha[..., 0] > 0.2)
        assert covered.float().mean() > 0.05
        rel = ((a.depth - b.depth).abs() / b.depth.clamp_min(1e-6))[..., 0][covered]
        assert float(rel.median()) < 1e-3 and float(rel.max()) < 2e-2
    record_property("worst_psnr_db", worst)


def test_gl_is_auto_backend_without_cuda():
    from core.render import cuda_available, get_renderer

    if cuda_available():
        pytest.skip("auto picks gsplat where CUDA is present")
    r = get_renderer("auto")
    try:
        assert r.name == "gl"
    finally:
        r.close()

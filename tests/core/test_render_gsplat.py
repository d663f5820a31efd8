"""gsplat (CUDA) against the reference renderer. Skips without CUDA; run on the GPU machine."""
import pytest
import torch

from tests.scenes import psnr, random_cloud, views

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize("sh_degree", [0, 3])
def test_gsplat_agrees_with_reference(sh_degree, record_property):
    from core.render.gsplat_backend import GsplatRenderer
    from core.render.reference import ReferenceRenderer

    cloud = random_cloud(2000, seed=11, sh_degree=sh_degree).to("cuda")
    gs, ref = GsplatRenderer(), ReferenceRenderer()
    worst = float("inf")
    for view, cam in zip(("front", "three-quarter", "side", "above"), views(cloud, 256, 192)):
        a = gs.render(cloud, cam, background=(0.2, 0.2, 0.25))
        b = ref.render(cloud, cam, background=(0.2, 0.2, 0.25))
        p = psnr(a.color, b.color)
        worst = min(worst, p)
        print(f"gsplat vs reference, SH {sh_degree}, {view}: {p:.2f} dB "
              f"(alpha {psnr(a.alpha, b.alpha):.2f} dB)")
        assert p >= 45.0
        assert psnr(a.alpha, b.alpha) >= 45.0
    record_property("worst_psnr_db", worst)


def test_gsplat_is_auto_backend_on_cuda():
    from core.render import get_renderer

    assert get_renderer("auto").name == "gsplat"

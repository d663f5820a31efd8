"""The reference renderer against the dense definition in core.render.base, and its gradients."""
import math

import numpy as np
import pytest
import torch

from core.camera import Camera, OrbitCamera
from core.gaussians import GaussianCloud
from core.render.base import ALPHA_MAX, ALPHA_MIN
from core.render.common import project_ewa, sh_colors
from core.render.reference import ReferenceRenderer
from tests.scenes import psnr, random_cloud, views


def dense_render(cloud, camera, background):
    """Every pixel against every Gaussian, no tiles: the definition of base.py written plainly."""
    proj = project_ewa(cloud, camera)
    colors = sh_colors(cloud, camera)
    idx = torch.nonzero(proj["valid"]).squeeze(1)
    idx = idx[torch.argsort(proj["depths"][idx], stable=True)]
    ys, xs = torch.meshgrid(torch.arange(camera.height), torch.arange(camera.width), indexing="ij")
    px = torch.stack([xs, ys], -1).reshape(-1, 2).to(cloud.means.dtype) + 0.5
    d = px[:, None, :] - proj["means2d"][idx][None]
    a, b, c = proj["conics"][idx].unbind(-1)
    maha = a * d[..., 0] ** 2 + 2 * b * d[..., 0] * d[..., 1] + c * d[..., 1] ** 2
    alpha = (cloud.opacity[idx] * torch.exp(-0.5 * maha)).clamp(max=ALPHA_MAX)
    alpha = torch.where((maha <= 9) & (alpha >= ALPHA_MIN), alpha, torch.zeros_like(alpha))
    t = torch.cumprod(1 - alpha, 1)
    w = alpha * torch.cat([torch.ones_like(t[:, :1]), t[:, :-1]], 1)
    bg = torch.tensor(background, dtype=cloud.means.dtype)
    color = w @ colors[idx] + t[:, -1:] * bg
    return color.reshape(camera.height, camera.width, 3), (1 - t[:, -1]).reshape(camera.height, camera.width, 1)


@pytest.mark.parametrize("sh_degree", [0, 3])
def test_tiles_match_dense_definition(sh_degree):
    cloud = random_cloud(300, seed=3, sh_degree=sh_degree)
    for cam in views(cloud, 61, 47)[:2]:  # odd sizes: partial tiles on the right and bottom edges
        out = ReferenceRenderer(tile_size=16).render(cloud, cam, background=(0.2, 0.3, 0.4))
        color, alpha = dense_render(cloud, cam, (0.2, 0.3, 0.4))
        assert torch.allclose(out.color, color, atol=1e-5)
        assert torch.allclose(out.alpha, alpha, atol=1e-5)


def test_tile_size_and_grouping_do_not_change_the_image():
    cloud = random_cloud(500, seed=1)
    cam = views(cloud, 96, 80)[1]
    a = ReferenceRenderer(tile_size=16).render(cloud, cam).color
    b = ReferenceRenderer(tile_size=8, max_elements=5000).render(cloud, cam).color
    assert psnr(a, b) > 80


def test_single_gaussian_lands_where_the_camera_projects_it():
    mean = torch.tensor([[0.03, -0.02, 0.0]])
    cloud = GaussianCloud.from_rgb(mean, torch.tensor([[1.0, 0.5, 0.25]]), torch.full((1, 3), 0.01), opacity=0.99)
    cam = Camera.look_at([0, 0, 1.0], [0, 0, 0], 128, 96, fov_y_deg=30)
    out = ReferenceRenderer().render(cloud, cam)
    a = out.alpha[..., 0]
    ys, xs = torch.meshgrid(torch.arange(96.0), torch.arange(128.0), indexing="ij")
    cx, cy = float((a * (xs + 0.5)).sum() / a.sum()), float((a * (ys + 0.5)).sum() / a.sum())
    (u, v), _ = cam.project(mean.numpy())[0][0], None
    assert abs(cx - u) < 0.05 and abs(cy - v) < 0.05
    assert cx > 64 and cy > 48  # +x is right, world +y is up so the splat sits below the centre
    peak = torch.argmax(a)
    assert a.flatten()[peak] == pytest.approx(min(0.99, ALPHA_MAX), abs=0.01)
    assert torch.allclose(out.color.reshape(-1, 3)[peak], torch.tensor([1.0, 0.5, 0.25]) * a.flatten()[peak], atol=0.01)
    assert out.depth.reshape(-1)[peak] == pytest.approx(1.0, abs=1e-4)


def test_occlusion_follows_depth_not_array_order():
    means = torch.tensor([[0.0, 0.0, -0.2], [0.0, 0.0, 0.2]])  # far blue first, near red second
    cloud = GaussianCloud.from_rgb(means, torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]), torch.full((2, 3), 0.05), 0.99)
    cam = Camera.look_at([0, 0, 1.0], [0, 0, 0], 32, 32)
    c = ReferenceRenderer().render(cloud, cam).color[16, 16]
    assert c[0] > 0.9 and c[0] > 20 * c[2]


def test_behind_camera_and_empty_cloud_show_background():
    cam = Camera.look_at([0, 0, 1.0], [0, 0, 0], 32, 32)
    behind = GaussianCloud.from_rgb(torch.tensor([[0.0, 0.0, 2.0]]), torch.ones(1, 3), torch.full((1, 3), 0.5), 0.99)
    empty = behind.subset(torch.zeros(1, dtype=torch.bool))
    for cloud in (behind, empty):
        out = ReferenceRenderer().render(cloud, cam, background=(0.1, 0.2, 0.3))
        assert torch.allclose(out.color, torch.tensor([0.1, 0.2, 0.3]).expand(32, 32, 3))
        assert out.alpha.abs().max() == 0


def test_view_dependent_colour_with_sh():
    cloud = random_cloud(1, seed=0, sh_degree=1)
    cloud = cloud.replace(means=torch.zeros(1, 3), opacities=torch.full((1,), 5.0))
    front = ReferenceRenderer().render(cloud, Camera.look_at([0, 0, 1], [0, 0, 0], 16, 16)).color[8, 8]
    side = ReferenceRenderer().render(cloud, Camera.look_at([1, 0, 0], [0, 0, 0], 16, 16)).color[8, 8]
    assert (front - side).abs().max() > 0.01


def test_gradients_match_finite_differences():
    torch.manual_seed(0)
    cloud = random_cloud(6, seed=5, sh_degree=1, spread=0.05, dtype=torch.float64)
    cam = OrbitCamera.framing(*(t.numpy() for t in cloud.bounds()), yaw=20).camera(24, 20)
    target = torch.rand(20, 24, 3, dtype=torch.float64)
    names = ["means", "quats", "log_scales", "opacities", "sh"]

    def loss_of(params):
        c = GaussianCloud(**params)
        return ((ReferenceRenderer(tile_size=8).render(c, cam, background=(0.3, 0.3, 0.3)).color - target) ** 2).sum()

    params = {k: getattr(cloud, k).clone().requires_grad_(True) for k in names}
    loss_of(params).backward()
    eps = 1e-6
    gen = torch.Generator().manual_seed(1)
    for k in names:
        grad = params[k].grad
        assert grad is not None and torch.isfinite(grad).all(), k
        assert grad.abs().sum() > 0, f"no gradient reaches {k}"
        flat = getattr(cloud, k).reshape(-1)
        for j in torch.randperm(flat.numel(), generator=gen)[:6].tolist():
            plus = {n: getattr(cloud, n).clone() for n in names}
            minus = {n: getattr(cloud, n).clone() for n in names}
            plus[k].view(-1)[j] += eps
            minus[k].view(-1)[j] -= eps
            fd = (loss_of(plus) - loss_of(minus)).item() / (2 * eps)
            an = grad.reshape(-1)[j].item()
            assert fd == pytest.approx(an, rel=1e-3, abs=1e-6), (k, j, fd, an)

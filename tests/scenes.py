"""Fixed test scenes shared by the renderer tests (backend agreement, gradients, benchmarks)."""
from __future__ import annotations

import torch

from core.camera import Camera, OrbitCamera
from core.gaussians import GaussianCloud


def random_cloud(n: int, seed: int = 0, sh_degree: int = 0, spread: float = 0.1, dtype=torch.float32) -> GaussianCloud:
    """Anisotropic, overlapping Gaussians in a ball of radius ~2*spread around the origin."""
    g = torch.Generator().manual_seed(seed)
    means = torch.randn(n, 3, generator=g, dtype=dtype) * spread
    quats = torch.randn(n, 4, generator=g, dtype=dtype)
    log_scales = torch.log(torch.rand(n, 3, generator=g, dtype=dtype) * 0.02 * spread / 0.1 + 0.002 * spread / 0.1)
    opacities = torch.randn(n, generator=g, dtype=dtype) * 1.5 + 1.0
    k = (sh_degree + 1) ** 2
    sh = torch.randn(n, k, 3, generator=g, dtype=dtype) * 0.3
    sh[:, 0] = (torch.rand(n, 3, generator=g, dtype=dtype) - 0.5) / 0.28209479177387814
    return GaussianCloud(means, quats, log_scales, opacities, sh)


def views(cloud: GaussianCloud, width: int, height: int) -> list[Camera]:
    """Front, three-quarter, side and above views framing the cloud."""
    lo, hi = (t.detach().cpu().numpy() for t in cloud.bounds())
    cams = []
    for yaw, pitch in ((0, 0), (35, 10), (90, 0), (-20, 45)):
        cams.append(OrbitCamera.framing(lo, hi, yaw=yaw, pitch=pitch).camera(width, height))
    return cams


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = torch.mean((a.float() - b.float()) ** 2).item()
    return float("inf") if mse == 0 else 10.0 * torch.log10(torch.tensor(1.0 / mse)).item()

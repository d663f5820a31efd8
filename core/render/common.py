"""Maths shared by the torch-side renderers: SH colour evaluation and EWA projection."""
from __future__ import annotations

import numpy as np
import torch

from core.camera import Camera
from core.gaussians import GaussianCloud, quat_to_rotmat
from core.render.base import BLUR_EPS2D, FOV_CLAMP, SIGMA_CUTOFF

# Real spherical-harmonic constants, as in 3DGS.
SH_C0 = 0.28209479177387814
SH_C1 = 0.4886025119029199
SH_C2 = (1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792, 0.5462742152960396)
SH_C3 = (
    -0.5900435899266435, 2.890611442640554, -0.4570457994644658, 0.3731763325901154,
    -0.4570457994644658, 1.445305721320277, -0.5900435899266435,
)


def eval_sh(sh: torch.Tensor, dirs: torch.Tensor) -> torch.Tensor:
    """Evaluate SH [N, K, 3] for unit directions [N, 3] -> [N, 3] (without the +0.5 offset)."""
    k = sh.shape[1]
    result = SH_C0 * sh[:, 0]
    if k < 4:
        return result
    x, y, z = dirs[:, 0:1], dirs[:, 1:2], dirs[:, 2:3]
    result = result - SH_C1 * y * sh[:, 1] + SH_C1 * z * sh[:, 2] - SH_C1 * x * sh[:, 3]
    if k < 9:
        return result
    xx, yy, zz, xy, yz, xz = x * x, y * y, z * z, x * y, y * z, x * z
    result = (
        result
        + SH_C2[0] * xy * sh[:, 4]
        + SH_C2[1] * yz * sh[:, 5]
        + SH_C2[2] * (2.0 * zz - xx - yy) * sh[:, 6]
        + SH_C2[3] * xz * sh[:, 7]
        + SH_C2[4] * (xx - yy) * sh[:, 8]
    )
    if k < 16:
        return result
    return (
        result
        + SH_C3[0] * y * (3 * xx - yy) * sh[:, 9]
        + SH_C3[1] * xy * z * sh[:, 10]
        + SH_C3[2] * y * (4 * zz - xx - yy) * sh[:, 11]
        + SH_C3[3] * z * (2 * zz - 3 * xx - 3 * yy) * sh[:, 12]
        + SH_C3[4] * x * (4 * zz - xx - yy) * sh[:, 13]
        + SH_C3[5] * z * (xx - yy) * sh[:, 14]
        + SH_C3[6] * x * (xx - 3 * yy) * sh[:, 15]
    )


def sh_colors(cloud: GaussianCloud, camera: Camera) -> torch.Tensor:
    """View-dependent RGB [N, 3] for a camera: SH + 0.5, clamped at 0 (the gsplat convention)."""
    if cloud.sh.shape[1] == 1:
        return (SH_C0 * cloud.sh[:, 0] + 0.5).clamp_min(0.0)
    campos = torch.as_tensor(camera.position, dtype=cloud.means.dtype, device=cloud.device)
    dirs = cloud.means - campos
    dirs = dirs / dirs.norm(dim=1, keepdim=True).clamp_min(1e-12)
    return (eval_sh(cloud.sh, dirs) + 0.5).clamp_min(0.0)


def camera_tensors(camera: Camera, device, dtype=torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """(viewmat [4, 4], K [3, 3]) as tensors."""
    return (
        torch.as_tensor(camera.viewmat, dtype=dtype, device=device),
        torch.as_tensor(camera.K, dtype=dtype, device=device),
    )


def project_ewa(cloud: GaussianCloud, camera: Camera) -> dict[str, torch.Tensor]:
    """Project Gaussians to the image plane (differentiable).

    Returns a dict of
        means2d [N, 2] pixel coordinates, depths [N] camera z, conics [N, 3] (a, b, c) of the
        inverse 2-D covariance (d^2 = a dx^2 + 2 b dx dy + c dy^2), radii [N] 3-sigma pixel radius
        of the bounding circle, valid [N] bool (inside near/far and a non-degenerate covariance).
    """
    dev, dt = cloud.device, cloud.means.dtype
    viewmat, _ = camera_tensors(camera, dev, dt)
    r, t = viewmat[:3, :3], viewmat[:3, 3]
    p = cloud.means @ r.T + t
    z = p[:, 2]
    valid = (z > camera.near) & (z < camera.far)
    zs = torch.where(valid, z, torch.ones_like(z))
    tan_x = 0.5 * camera.width / camera.fx
    tan_y = 0.5 * camera.height / camera.fy
    lim_x, lim_y = FOV_CLAMP * tan_x, FOV_CLAMP * tan_y
    tx = (p[:, 0] / zs).clamp(-lim_x, lim_x) * zs
    ty = (p[:, 1] / zs).clamp(-lim_y, lim_y) * zs
    zero = torch.zeros_like(zs)
    jac = torch.stack(
        [
            torch.stack([camera.fx / zs, zero, -camera.fx * tx / (zs * zs)], -1),
            torch.stack([zero, camera.fy / zs, -camera.fy * ty / (zs * zs)], -1),
        ],
        dim=1,
    )  # [N, 2, 3]
    rot = quat_to_rotmat(cloud.quats)
    m = rot * torch.exp(cloud.log_scales)[:, None, :]
    cov3 = m @ m.transpose(1, 2)
    t_mat = jac @ r
    cov2 = t_mat @ cov3 @ t_mat.transpose(1, 2)
    a = cov2[:, 0, 0] + BLUR_EPS2D
    b = cov2[:, 0, 1]
    c = cov2[:, 1, 1] + BLUR_EPS2D
    det = a * c - b * b
    valid = valid & (det > 1e-12)
    det_s = torch.where(valid, det, torch.ones_like(det))
    conics = torch.stack([c / det_s, -b / det_s, a / det_s], -1)
    mid = 0.5 * (a + c)
    lam = mid + torch.sqrt(torch.clamp(mid * mid - det, min=0.1))
    radii = SIGMA_CUTOFF * torch.sqrt(lam)
    means2d = torch.stack([camera.fx * p[:, 0] / zs + camera.cx, camera.fy * p[:, 1] / zs + camera.cy], -1)
    return {"means2d": means2d, "depths": z, "conics": conics, "radii": radii, "valid": valid}


def background_tensor(background, device) -> torch.Tensor:
    bg = torch.as_tensor(np.asarray(background, dtype=np.float32), device=device)
    if bg.shape != (3,):
        raise ValueError(f"background: expected 3 values (RGB), got shape {tuple(bg.shape)}")
    return bg

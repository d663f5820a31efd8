"""Training losses (METHOD.md): L1 + 0.2 D-SSIM on rendered frames, the temporal second difference
of predicted offsets, an offset-magnitude term, and an optional direct loss on Gaussian positions.

Images are channels-last as the renderers return them: [H, W, C] or [B, H, W, C], values 0..1.
D-SSIM here is 1 - SSIM (as in 3DGS), so the image loss is L1 + 0.2 (1 - SSIM).
"""
from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F

SSIM_C1 = 0.01 ** 2
SSIM_C2 = 0.03 ** 2


def gaussian_window(size: int = 11, sigma: float = 1.5, device=None, dtype=torch.float32) -> torch.Tensor:
    """Normalised 2-D Gaussian window [size, size]."""
    x = torch.arange(size, device=device, dtype=dtype) - (size - 1) / 2
    g = torch.exp(-(x * x) / (2 * sigma * sigma))
    g = g / g.sum()
    return g[:, None] * g[None, :]


def _bchw(img: torch.Tensor) -> torch.Tensor:
    if img.ndim == 3:
        img = img[None]
    if img.ndim != 4:
        raise ValueError(f"image: expected [H, W, C] or [B, H, W, C], got {list(img.shape)}")
    return img.permute(0, 3, 1, 2)


def ssim(pred: torch.Tensor, target: torch.Tensor, window_size: int = 11, sigma: float = 1.5,
         reduction: str = "mean") -> torch.Tensor:
    """SSIM (11x11 Gaussian window, sigma 1.5, zero padding as in 3DGS) of two images
    [H, W, C] or [B, H, W, C] -> scalar mean, or the map [B, C, H, W] with reduction="none"."""
    if pred.shape != target.shape:
        raise ValueError(f"ssim: shapes differ, {list(pred.shape)} vs {list(target.shape)}")
    x, y = _bchw(pred), _bchw(target)
    c = x.shape[1]
    w = gaussian_window(window_size, sigma, x.device, x.dtype).expand(c, 1, window_size, window_size)
    pad = window_size // 2

    def blur(img):
        return F.conv2d(img, w, padding=pad, groups=c)

    mu_x, mu_y = blur(x), blur(y)
    sxx = blur(x * x) - mu_x * mu_x
    syy = blur(y * y) - mu_y * mu_y
    sxy = blur(x * y) - mu_x * mu_y
    num = (2 * mu_x * mu_y + SSIM_C1) * (2 * sxy + SSIM_C2)
    den = (mu_x * mu_x + mu_y * mu_y + SSIM_C1) * (sxx + syy + SSIM_C2)
    smap = num / den
    return smap if reduction == "none" else smap.mean()


def image_loss(pred: torch.Tensor, target: torch.Tensor, dssim_weight: float = 0.2) -> torch.Tensor:
    """L1 + dssim_weight * (1 - SSIM) over images [H, W, C] or [B, H, W, C] -> scalar."""
    return (pred - target).abs().mean() + dssim_weight * (1.0 - ssim(pred, target))


def temporal_second_difference(offsets: torch.Tensor) -> torch.Tensor:
    """Mean squared second difference over consecutive frames of offsets [T, N, k] -> scalar
    (0 for T < 3): mean ||x_{t+1} - 2 x_t + x_{t-1}||^2."""
    if offsets.shape[0] < 3:
        return offsets.new_zeros(())
    dd = offsets[2:] - 2 * offsets[1:-1] + offsets[:-2]
    return dd.pow(2).sum(dim=-1).mean()


def offset_magnitude(out, rot_weight: float = 1.0, scale_weight: float = 1.0) -> torch.Tensor:
    """Mean squared size of the offsets of a DeformationOutput -> scalar."""
    return (out.d_mu.pow(2).sum(-1).mean() + rot_weight * out.d_rot.pow(2).sum(-1).mean()
            + scale_weight * out.d_log_scale.pow(2).sum(-1).mean())


def position_loss(pred_means: torch.Tensor, target_means: torch.Tensor) -> torch.Tensor:
    """Mean Euclidean distance between predicted and true Gaussian centres [T, N, 3] -> scalar."""
    if pred_means.shape != target_means.shape:
        raise ValueError(f"position_loss: shapes differ, {list(pred_means.shape)} vs {list(target_means.shape)}")
    return (pred_means - target_means).pow(2).sum(-1).add(1e-12).sqrt().mean()


@dataclasses.dataclass(frozen=True)
class LossWeights:
    image: float = 1.0
    dssim: float = 0.2
    temporal: float = 0.1
    magnitude: float = 1e-3
    position: float = 0.0


def total_loss(out, weights: LossWeights = LossWeights(), pred_images=None, target_images=None,
               pred_means=None, target_means=None) -> tuple[torch.Tensor, dict[str, float]]:
    """Weighted sum of the terms that have inputs -> (scalar loss, {term: value}).

    out: DeformationOutput of consecutive frames; images [T, H, W, C]; means [T, N, 3].
    The temporal term is on d_mu (the offsets that move rendered pixels)."""
    terms: dict[str, torch.Tensor] = {}
    if pred_images is not None:
        terms["image"] = weights.image * image_loss(pred_images, target_images, weights.dssim)
    terms["temporal"] = weights.temporal * temporal_second_difference(out.d_mu)
    terms["magnitude"] = weights.magnitude * offset_magnitude(out)
    if pred_means is not None and weights.position:
        terms["position"] = weights.position * position_loss(pred_means, target_means)
    loss = sum(terms.values())
    return loss, {k: float(v.detach()) for k, v in terms.items()}

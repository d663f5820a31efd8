"""Multi-resolution tri-plane spatial encoder.

Learned 2-D feature grids on the xy, xz and yz planes at several resolutions. A point is normalised
by the head's bounding box to [-1, 1]^3, projected on the three planes and sampled bilinearly
(``grid_sample``, ``align_corners=True``). Per level the three plane features are summed (or
concatenated); the levels are concatenated:

    f_i = concat_l( reduce_p( sample(P_{l,p}, proj_p(x_i)) ) )      [N, out_dim]
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
import torch.nn.functional as F

#: (first, second) coordinate of each plane; ``grid_sample`` reads grid[..., 0] along the width.
PLANE_AXES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2))


class TriPlaneEncoder(nn.Module):
    """Tri-plane features of canonical positions.

    Args:
        resolutions: grid side length per level, e.g. (16, 32, 64).
        channels: feature channels per plane and level.
        reduce: "sum" (out_dim = levels * channels) or "concat" (out_dim = levels * 3 * channels).
        init_std: standard deviation of the grid initialisation; small but non-zero so the first
            gradients already tell Gaussians apart.

    The bounding box is a pair of buffers (saved with the model) set by :meth:`set_bounds`.
    """

    def __init__(self, resolutions: Sequence[int] = (16, 32, 64), channels: int = 8,
                 reduce: str = "sum", init_std: float = 0.1) -> None:
        super().__init__()
        if reduce not in ("sum", "concat"):
            raise ValueError(f"triplane reduce must be 'sum' or 'concat', got {reduce!r}")
        if not resolutions or any(int(r) < 2 for r in resolutions):
            raise ValueError(f"triplane resolutions must be integers >= 2, got {list(resolutions)}")
        self.resolutions = tuple(int(r) for r in resolutions)
        self.channels = int(channels)
        self.reduce = reduce
        # One parameter per level holding the three planes: [3, C, R, R].
        self.planes = nn.ParameterList(
            [nn.Parameter(torch.randn(3, self.channels, r, r) * init_std) for r in self.resolutions]
        )
        self.register_buffer("bbox_min", -torch.ones(3))
        self.register_buffer("bbox_max", torch.ones(3))

    @property
    def out_dim(self) -> int:
        per_level = self.channels * (3 if self.reduce == "concat" else 1)
        return per_level * len(self.resolutions)

    @torch.no_grad()
    def set_bounds(self, lo: torch.Tensor, hi: torch.Tensor, margin: float = 0.05) -> None:
        """Set the normalising box from bounds lo [3], hi [3], grown by ``margin`` of its extent
        on each side (so deformed points near the surface still land inside the grids)."""
        lo = torch.as_tensor(lo, dtype=torch.float32, device=self.bbox_min.device)
        hi = torch.as_tensor(hi, dtype=torch.float32, device=self.bbox_min.device)
        extent = (hi - lo).clamp_min(1e-6)
        self.bbox_min.copy_(lo - margin * extent)
        self.bbox_max.copy_(hi + margin * extent)

    def normalise(self, xyz: torch.Tensor) -> torch.Tensor:
        """Positions [N, 3] -> box coordinates in [-1, 1] [N, 3] (clamped outside the box)."""
        extent = (self.bbox_max - self.bbox_min).clamp_min(1e-6)
        return ((xyz - self.bbox_min) / extent * 2.0 - 1.0).clamp(-1.0, 1.0)

    def forward(self, xyz: torch.Tensor) -> torch.Tensor:
        """Positions [N, 3] -> features [N, out_dim]."""
        if xyz.ndim != 2 or xyz.shape[1] != 3:
            raise ValueError(f"triplane input: expected positions [N, 3], got {list(xyz.shape)}")
        n = xyz.shape[0]
        p = self.normalise(xyz.to(self.bbox_min.dtype))
        # [3, N, 1, 2]: one sampling grid per plane, batched over the planes.
        grid = torch.stack([p[:, list(ax)] for ax in PLANE_AXES])[:, :, None, :]
        feats = []
        for planes in self.planes:
            s = F.grid_sample(planes, grid, mode="bilinear", padding_mode="border", align_corners=True)
            s = s[..., 0].permute(0, 2, 1)  # [3, N, C]
            if self.reduce == "sum":
                feats.append(s.sum(dim=0))
            else:
                feats.append(s.permute(1, 0, 2).reshape(n, 3 * self.channels))
        return torch.cat(feats, dim=-1)

"""The renderer interface and the rendering conventions every backend follows.

    render(cloud, camera, width=None, height=None, background=(0, 0, 0)) -> RenderResult

The conventions are those of 3DGS as implemented by gsplat 1.x (so the `gsplat` backend agrees with
the others out of the box):
  * colours: SH evaluated for the direction from the camera centre to each mean, + 0.5, clamped at 0
    (see core.render.common.sh_colors).
  * projection: EWA. cov2d = J W Sigma W^T J^T with the camera-space x/z, y/z clamped to 1.3x the
    half field of view when forming J, then 0.3 px^2 added to the diagonal (low-pass filter).
  * pixel (i, j) samples at (j + 0.5, i + 0.5).
  * footprint: a Gaussian touches a pixel where its Mahalanobis distance^2 <= 9 (3 sigma) and
    alpha = min(0.999, opacity * exp(-d^2 / 2)) >= 1/255.
  * culling: means with camera z <= near or >= far are dropped.
  * compositing: front to back by camera-space depth of the mean,
        C = sum_i c_i a_i T_i + T_N * background,  T_i = prod_{k<i} (1 - a_k).
  * outputs: colour [H, W, 3] (composited over the background), alpha [H, W, 1] = 1 - T_N, and
    depth [H, W, 1] = sum_i z_i a_i T_i / alpha (0 where alpha is 0).
"""
from __future__ import annotations

import abc
import dataclasses
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:  # torch stays a lazy import for light callers
    import torch

    from core.camera import Camera
    from core.gaussians import GaussianCloud

ALPHA_MIN = 1.0 / 255.0
ALPHA_MAX = 0.999
BLUR_EPS2D = 0.3
SIGMA_CUTOFF = 3.0
FOV_CLAMP = 1.3


class RenderError(RuntimeError):
    """A backend could not render (unavailable device, bad camera, ...)."""


@dataclasses.dataclass
class RenderResult:
    color: "torch.Tensor"  # [H, W, 3] float32, composited over the background
    alpha: "torch.Tensor"  # [H, W, 1] float32
    depth: "torch.Tensor"  # [H, W, 1] float32, expected depth (0 where alpha == 0)

    def to_numpy_rgb8(self) -> np.ndarray:
        """uint8 RGB image [H, W, 3]."""
        c = self.color.detach().float().clamp(0, 1).cpu().numpy()
        return (c * 255.0 + 0.5).astype(np.uint8)

    def to_numpy_rgba8(self) -> np.ndarray:
        """uint8 RGBA image [H, W, 4] with straight (not premultiplied) colour, for PNGs with alpha.
        Only meaningful when rendered over a black background."""
        a = self.alpha.detach().float().clamp(0, 1).cpu().numpy()
        c = self.color.detach().float().clamp(0, 1).cpu().numpy()
        straight = np.where(a > 1e-6, c / np.maximum(a, 1e-6), 0.0).clip(0, 1)
        return (np.concatenate([straight, a], axis=2) * 255.0 + 0.5).astype(np.uint8)


class Renderer(abc.ABC):
    """One rendering backend. Instances may hold GPU resources; call close() when done."""

    name: str = "?"

    @abc.abstractmethod
    def render(
        self,
        cloud: "GaussianCloud",
        camera: "Camera",
        width: int | None = None,
        height: int | None = None,
        background: Sequence[float] = (0.0, 0.0, 0.0),
    ) -> RenderResult:
        ...

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

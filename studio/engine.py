"""Frame evaluation for the studio: (take, frame) -> a deformed cloud packed for the viewport.

The head and the deformation come from core: core.head.default_head() and core.drive.RigDriver
(or core.rig.pose). Until those parts are installed, a built-in stand-in head (an ellipsoid with
the six zones laid out on it) and a per-zone displacement keep the studio usable; ``Engine.notes``
says which parts are stand-ins so the window can show it.

Everything here may run on a worker thread; nothing touches Qt.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from core.aus import AU_MAX, AU_NAMES, AU_ZONE, NUM_ZONES, SPEECH_NAMES, SPEECH_ZONES, ZONE_INDEX, ZONES

DRIVERS = ("rig", "model")
DRIVER_LABELS = {"rig": "Analytic rig", "model": "Neural EmoZone model"}


@dataclasses.dataclass
class FrameResult:
    """One evaluated frame. splats: core.render.gl.GLSplats; motion [N] float32 distance of each
    Gaussian from its rest position; attention [N] float32 or None when the driver has none."""

    frame: int
    revision: int
    splats: Any
    motion: np.ndarray
    attention: np.ndarray | None
    seconds: float = 0.0


# ---------------------------------------------------------------------------- stand-in head


def standin_head(n: int = 12000, seed: int = 0):
    """An egg-shaped head of n Gaussians with zone memberships [N, 6] and a skin/eye/lip colouring,
    used only while core.head is not installed. Returns a GaussianCloud."""
    import torch

    from core.gaussians import GaussianCloud

    g = torch.Generator().manual_seed(seed)
    u = torch.rand(n, generator=g) * 2 - 1
    phi = torch.rand(n, generator=g) * 2 * math.pi
    r = torch.sqrt(1 - u * u)
    unit = torch.stack([r * torch.cos(phi), u, r * torch.sin(phi)], 1)
    radii = torch.tensor([0.075, 0.1, 0.085])
    means = unit * radii
    x, y, z = means[:, 0], means[:, 1], means[:, 2]
    front = (z > 0.02).float()
    zones = torch.zeros(n, NUM_ZONES)

    def soft(center_y, half, xs=1.0):
        return torch.clamp(1 - (torch.abs(y - center_y) / half) ** 2, 0, 1) * front * torch.clamp(1.4 - torch.abs(x) / 0.075 * xs, 0, 1)

    zones[:, ZONE_INDEX["brow"]] = soft(0.045, 0.018)
    zones[:, ZONE_INDEX["eyes"]] = soft(0.02, 0.014) * (torch.abs(x) > 0.012).float()
    zones[:, ZONE_INDEX["cheek_nose"]] = soft(-0.005, 0.02)
    zones[:, ZONE_INDEX["mouth"]] = soft(-0.04, 0.014, 1.8)
    zones[:, ZONE_INDEX["jaw_chin"]] = soft(-0.075, 0.02, 1.2)
    zones[:, ZONE_INDEX["static"]] = torch.clamp(1 - zones[:, :5].sum(1), 0, 1)
    rgb = torch.tensor([0.86, 0.66, 0.55]).expand(n, 3).clone()
    rgb[(zones[:, ZONE_INDEX["eyes"]] > 0.5) & (torch.abs(y - 0.02) < 0.006)] = torch.tensor([0.2, 0.15, 0.12])
    rgb[zones[:, ZONE_INDEX["mouth"]] > 0.6] = torch.tensor([0.7, 0.3, 0.3])
    rgb[y > 0.06] = torch.tensor([0.25, 0.18, 0.12])
    scales = torch.full((n, 3), 0.0045)
    part = torch.zeros(n, dtype=torch.int64)
    return GaussianCloud.from_rgb(means, rgb, scales, 0.95, attributes={"zones": zones, "part": part})


def _standin_pose(cloud, au: np.ndarray, speech: np.ndarray):
    """Per-zone displacement along fixed directions, weighted by membership: a stand-in for the
    rig. au [17] (0..5), speech [4] (0..1)."""
    import torch

    zones = cloud.attributes["zones"]
    dirs = {"brow": (0, 1, 0.2), "eyes": (0, -1, 0), "cheek_nose": (0, 0.6, 0.8), "mouth": (0, -0.3, 0.5),
            "jaw_chin": (0, -1, 0.3)}
    amount = np.zeros(NUM_ZONES)
    for i, name in enumerate(AU_NAMES):
        amount[ZONE_INDEX[AU_ZONE[name]]] += au[i] / AU_MAX
    for z in SPEECH_ZONES:
        amount[ZONE_INDEX[z]] += float(speech[0])
    offset = torch.zeros_like(cloud.means)
    for z, d in dirs.items():
        k = ZONE_INDEX[z]
        if amount[k]:
            offset += zones[:, k:k + 1] * (0.006 * amount[k]) * torch.tensor(d, dtype=torch.float32)
    return cloud.replace(means=cloud.means + offset)


# ---------------------------------------------------------------------------- engine


class Engine:
    """Holds the rest head and evaluates frames of a take with the chosen driver."""

    def __init__(self, head=None):
        self.notes: list[str] = []
        self.head = head
        if head is None:
            try:
                from core.head import default_head
                self.head = default_head()
            except ImportError:
                self.head = None
                self.notes.append("stand-in head (core.head is not installed)")
        self.rest = self.head.cloud if self.head is not None and hasattr(self.head, "cloud") else (
            self.head if self.head is not None else standin_head())
        if self.head is None:
            self.head = self.rest
        import torch

        with torch.no_grad():
            self.rest_means = self.rest.means.detach().cpu().numpy().astype(np.float32)
            z = self.rest.attributes.get("zones")
            self.zones = None if z is None else z.detach().cpu().float().numpy()
            lo, hi = self.rest.bounds()
            self.bounds = (lo.cpu().numpy(), hi.cpu().numpy())
        self.driver = "rig"
        self._model = None

    # -- drivers
    def available_drivers(self) -> dict[str, str | None]:
        """driver name -> None when usable, else the reason it is not."""
        out: dict[str, str | None] = {"rig": None}
        try:
            import core.model  # noqa: F401
            out["model"] = None if self._model_ready() else "no trained checkpoint for this head"
        except ImportError:
            out["model"] = "core.model is not installed"
        return out

    def _model_ready(self) -> bool:
        return False

    def set_driver(self, name: str) -> None:
        if name not in DRIVERS:
            raise ValueError(f"unknown driver {name!r}; choose one of {', '.join(DRIVERS)}")
        reason = self.available_drivers().get(name)
        if reason:
            raise ValueError(f"{DRIVER_LABELS[name]} is not available: {reason}")
        self.driver = name

    # -- evaluation
    def controls(self, take, frame: int) -> tuple[np.ndarray, np.ndarray]:
        """AU intensities [17] and speech controls [4] of the take at one frame."""
        f = np.array([float(frame)])
        return take.evaluate_au(f)[0], take.evaluate_speech(f)[0]

    def cloud(self, take, frame: int):
        """The deformed GaussianCloud of one frame."""
        au, speech = self.controls(take, frame)
        try:
            from core import rig
        except ImportError:
            return _standin_pose(self.rest, au, speech)
        return rig.pose(self.head, au={n: float(v) for n, v in zip(AU_NAMES, au)},
                        speech={n: float(v) for n, v in zip(SPEECH_NAMES, speech)})

    def evaluate(self, take, frame: int, revision: int = 0) -> FrameResult:
        import time

        import torch

        from core.render.gl import GLSplats

        t0 = time.perf_counter()
        with torch.no_grad():
            cloud = self.cloud(take, frame)
            if cloud.sh.shape[1] > 1:
                pass  # view-dependent colour is evaluated per paint by the renderer
            splats = GLSplats(cloud)
        motion = np.linalg.norm(splats.means - self.rest_means, axis=1).astype(np.float32)
        return FrameResult(int(frame), revision, splats, motion, None, time.perf_counter() - t0)

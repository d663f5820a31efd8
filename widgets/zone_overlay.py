"""Overlay colours for the viewport, computed with numpy only (the studio hands in arrays).

Every function returns display colours rgb [N, 3] float32 in 0..1, one row per Gaussian, which
the viewport writes over the Gaussians' own colours while an overlay is on.
"""
from __future__ import annotations

import enum

import numpy as np

from core.aus import NUM_ZONES, ZONE_COLORS, ZONES


class OverlayMode(str, enum.Enum):
    NONE = "none"
    ZONES = "zones"          # tint by zone membership
    ISOLATE = "isolate"      # one zone in colour, the rest greyed out
    ATTENTION = "attention"  # heat map of the attention bias (or of the zone membership weight)
    MOTION = "motion"        # heat map of per-Gaussian motion from the rest pose

    @property
    def label(self) -> str:
        return {"none": "Shaded", "zones": "Zones", "isolate": "Isolate zone",
                "attention": "Attention bias", "motion": "Motion"}[self.value]


#: Zone colours [NUM_ZONES, 3] in ZONES order.
ZONE_PALETTE = np.array([ZONE_COLORS[z] for z in ZONES], dtype=np.float32)

#: Anchor colours of the heat ramp (dark blue, purple, orange, pale yellow): readable on the dark
#: viewport background and ordered in lightness, so it also reads in greyscale.
_HEAT_STOPS = np.array([0.0, 0.35, 0.7, 1.0], dtype=np.float32)
_HEAT_COLORS = np.array(
    [[0.05, 0.08, 0.35], [0.55, 0.12, 0.55], [0.98, 0.50, 0.10], [1.00, 0.97, 0.70]], dtype=np.float32)

#: How much of the Gaussians' own shading survives under a zone tint (keeps the face readable).
TINT_SHADE = 0.35


class OverlayInputError(ValueError):
    """Overlay input arrays have the wrong shape."""


def _check(name: str, arr: np.ndarray, shape: tuple) -> np.ndarray:
    arr = np.asarray(arr, dtype=np.float32)
    if arr.ndim != len(shape) or any(s is not None and a != s for a, s in zip(arr.shape, shape)):
        raise OverlayInputError(f"{name}: expected shape {list(shape)}, got {list(arr.shape)}")
    return arr


def heat_colors(values: np.ndarray) -> np.ndarray:
    """Scalars in 0..1 [N] -> ramp colours [N, 3] (values outside are clamped)."""
    v = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float32)), 0.0, 1.0)
    return np.stack([np.interp(v, _HEAT_STOPS, _HEAT_COLORS[:, c]) for c in range(3)], axis=-1).astype(np.float32)


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def zone_tint(base_rgb: np.ndarray, zones: np.ndarray) -> np.ndarray:
    """Blend of zone colours weighted by membership, shaded by the base luminance.

    base_rgb [N, 3], zones [N, NUM_ZONES] soft memberships (rows need not sum to 1)."""
    base = _check("base_rgb", base_rgb, (None, 3))
    z = _check("zones", zones, (base.shape[0], NUM_ZONES))
    w = np.clip(z, 0.0, None)
    total = w.sum(1, keepdims=True)
    # Gaussians in no zone at all read as static.
    w = np.where(total > 1e-8, w / np.maximum(total, 1e-8), np.eye(NUM_ZONES, dtype=np.float32)[-1])
    tint = w @ ZONE_PALETTE
    shade = (1.0 - TINT_SHADE) + TINT_SHADE * _luma(np.clip(base, 0, 1))[:, None]
    return np.clip(tint * shade, 0.0, 1.0).astype(np.float32)


def isolate_zone(base_rgb: np.ndarray, zones: np.ndarray, zone: int) -> np.ndarray:
    """The chosen zone's members keep a tint of their own colour by membership weight; the rest is
    dimmed grey, so the zone's extent and falloff are visible at a glance."""
    base = _check("base_rgb", base_rgb, (None, 3))
    z = _check("zones", zones, (base.shape[0], NUM_ZONES))
    if not 0 <= int(zone) < NUM_ZONES:
        raise OverlayInputError(f"zone index {zone} out of range 0..{NUM_ZONES - 1}")
    w = np.clip(z[:, int(zone)], 0.0, 1.0)[:, None]
    grey = 0.25 * _luma(np.clip(base, 0, 1))[:, None] * np.ones((1, 3), np.float32) + 0.04
    colour = 0.5 * np.clip(base, 0, 1) + 0.5 * ZONE_PALETTE[int(zone)]
    return np.clip(w * colour + (1 - w) * grey, 0.0, 1.0).astype(np.float32)


def normalise(values: np.ndarray, robust: bool = True) -> tuple[np.ndarray, float]:
    """values [N] -> (values / scale clipped to 0..1, scale). The scale is the 99th percentile
    (robust) so that a few outliers do not wash the map out; 0 when everything is 0."""
    v = np.abs(np.nan_to_num(np.asarray(values, dtype=np.float32)))
    if v.size == 0:
        return v, 0.0
    scale = float(np.percentile(v, 99.0) if robust else v.max())
    if scale <= 1e-12:
        scale = float(v.max())
    if scale <= 1e-12:
        return np.zeros_like(v), 0.0
    return np.clip(v / scale, 0.0, 1.0), scale


#: Motion below this (metres; 1 micrometre, far under a pixel) is drawn as none.
MOTION_FLOOR_M = 1e-6


def heat_map(values: np.ndarray, scale: float | None = None) -> tuple[np.ndarray, float]:
    """Per-Gaussian scalars [N] -> (colours [N, 3], the value that maps to the top of the ramp)."""
    v = np.asarray(values, dtype=np.float32).reshape(-1)
    if scale is None:
        unit, scale = normalise(v)
    else:
        unit = np.clip(np.abs(v) / max(scale, 1e-12), 0.0, 1.0)
    return heat_colors(unit), float(scale)


def overlay_colors(
    mode: OverlayMode,
    base_rgb: np.ndarray,
    zones: np.ndarray | None = None,
    zone: int = 0,
    attention: np.ndarray | None = None,
    motion: np.ndarray | None = None,
) -> tuple[np.ndarray | None, float]:
    """Colours for one overlay mode [N, 3] (None for the plain shaded view) and the heat scale
    (0 for the zone modes). attention [N] and motion [N] are per-Gaussian magnitudes."""
    mode = OverlayMode(mode)
    if mode is OverlayMode.NONE:
        return None, 0.0
    if mode in (OverlayMode.ZONES, OverlayMode.ISOLATE):
        if zones is None:
            raise OverlayInputError("this head carries no zone memberships")
        if mode is OverlayMode.ZONES:
            return zone_tint(base_rgb, zones), 0.0
        return isolate_zone(base_rgb, zones, zone), 0.0
    values = attention if mode is OverlayMode.ATTENTION else motion
    n = np.asarray(base_rgb).shape[0]
    if values is None:
        values = np.zeros(n, np.float32)
    values = _check(mode.value, np.asarray(values).reshape(-1), (n,))
    if mode is OverlayMode.MOTION:
        # Float round-off of a neural driver at rest (nanometres) is no motion: without the floor
        # the ramp would stretch it to full scale and paint noise over a face that does not move.
        values = np.where(np.abs(values) < MOTION_FLOOR_M, 0.0, values)
    return heat_map(values)

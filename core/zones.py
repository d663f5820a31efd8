"""Synergy zones of the head: the anatomical parts, and the soft zone memberships from positions.

Both the head builder (core.head) and the rig (core.rig) need these, so they live here and neither of
those two modules imports the other's internals: core.head -> core.rig -> core.zones, with no cycle.
The zone names and the AU -> zone table are core.aus's (``ZONES``, ``ZONE_INDEX``, ``AU_ZONE``).
"""
from __future__ import annotations

import enum

import numpy as np

from core.aus import AU_ZONE, NUM_ZONES, ZONE_INDEX, ZONES

__all__ = ["AU_ZONE", "EYE_X", "EYE_Y", "MOUTH_Y", "NUM_ZONES", "Part", "ZONES", "ZONE_INDEX", "smoothstep",
           "zone_scores"]


class Part(enum.IntEnum):
    """Anatomical part of each Gaussian (attribute ``part``)."""

    SKIN = 0
    HAIR = 1
    NECK = 2
    EAR = 3
    BROW = 4
    SCLERA = 5
    IRIS = 6
    LID_UPPER = 7
    LID_LOWER = 8
    LIP_UPPER = 9
    LIP_LOWER = 10
    TEETH_UPPER = 11
    TEETH_LOWER = 12
    TONGUE = 13
    MOUTH_CAVITY = 14


#: Anatomical positions the zones are laid out around (metres, +x half); core.head builds the parts there.
EYE_X = 0.031
EYE_Y = 0.005
MOUTH_Y = -0.062  # the lip contact line


def smoothstep(t):
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


_smoothstep = smoothstep


def zone_scores(p: np.ndarray, part: np.ndarray) -> np.ndarray:
    """Soft memberships [N, NUM_ZONES] from canonical positions, then overrides by part."""
    x, y, z = np.abs(p[:, 0]), p[:, 1], p[:, 2]
    front = _smoothstep((z - 0.0) / 0.04)

    def bump(cx, cy, rx, ry):
        q = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2
        return _smoothstep(1.0 - q)

    raw = np.zeros((len(p), NUM_ZONES))
    raw[:, ZONE_INDEX["brow"]] = np.maximum(bump(0.032, 0.040, 0.040, 0.028), bump(0.0, 0.046, 0.03, 0.03))
    raw[:, ZONE_INDEX["eyes"]] = bump(EYE_X, EYE_Y, 0.024, 0.016)
    raw[:, ZONE_INDEX["cheek_nose"]] = np.maximum(bump(0.0, -0.014, 0.018, 0.036), bump(0.040, -0.022, 0.028, 0.024))
    raw[:, ZONE_INDEX["mouth"]] = bump(0.0, MOUTH_Y, 0.042, 0.023)
    raw[:, ZONE_INDEX["jaw_chin"]] = np.maximum.reduce(
        [bump(0.0, -0.100, 0.050, 0.036), bump(0.045, -0.086, 0.030, 0.030), bump(0.060, -0.060, 0.022, 0.035)])
    raw[:, :5] *= front[:, None]
    s = raw[:, :5].sum(1)
    raw[:, ZONE_INDEX["static"]] = np.clip(1.0 - s, 0.0, None)
    m = raw / np.maximum(s, 1.0)[:, None]

    def force(mask, **weights):
        row = np.zeros(NUM_ZONES)
        for k, v in weights.items():
            row[ZONE_INDEX[k]] = v
        m[mask] = row

    force((part == Part.SCLERA) | (part == Part.IRIS) | (part == Part.LID_UPPER), eyes=1.0)
    force(part == Part.LID_LOWER, eyes=0.75, cheek_nose=0.25)
    force(part == Part.BROW, brow=1.0)
    force((part == Part.LIP_UPPER) | (part == Part.TEETH_UPPER) | (part == Part.MOUTH_CAVITY), mouth=1.0)
    force(part == Part.LIP_LOWER, mouth=0.65, jaw_chin=0.35)
    force((part == Part.TEETH_LOWER) | (part == Part.TONGUE), jaw_chin=1.0)
    force((part == Part.HAIR) | (part == Part.EAR) | (part == Part.NECK), static=1.0)
    return m

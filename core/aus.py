"""The 17 OpenFace 2.x Action Units, the speech controls and the synergy zones.

The single source of these names for the whole studio (see shared design AUS.md and METHOD.md).
Everything indexes AUs in the order of ``AU_NAMES`` and zones in the order of ``ZONES``.
"""
from __future__ import annotations

AU_NAMES: tuple[str, ...] = (
    "AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12",
    "AU14", "AU15", "AU17", "AU20", "AU23", "AU25", "AU26", "AU45",
)
AU_INDEX: dict[str, int] = {name: i for i, name in enumerate(AU_NAMES)}
NUM_AUS = len(AU_NAMES)

#: OpenFace intensity range.
AU_MIN, AU_MAX = 0.0, 5.0

AU_FACS_NAMES: dict[str, str] = {
    "AU01": "Inner Brow Raiser", "AU02": "Outer Brow Raiser", "AU04": "Brow Lowerer",
    "AU05": "Upper Lid Raiser", "AU06": "Cheek Raiser", "AU07": "Lid Tightener",
    "AU09": "Nose Wrinkler", "AU10": "Upper Lip Raiser", "AU12": "Lip Corner Puller",
    "AU14": "Dimpler", "AU15": "Lip Corner Depressor", "AU17": "Chin Raiser",
    "AU20": "Lip Stretcher", "AU23": "Lip Tightener", "AU25": "Lips Part",
    "AU26": "Jaw Drop", "AU45": "Blink",
}

#: Speech controls driven by audio; the AU keys layer on top of them. Values 0..1.
SPEECH_NAMES: tuple[str, ...] = ("jaw_open", "lip_round", "lip_close", "lip_stretch")
SPEECH_INDEX: dict[str, int] = {name: i for i, name in enumerate(SPEECH_NAMES)}
NUM_SPEECH = len(SPEECH_NAMES)

#: Synergy zones, in membership-column order. "static" is never deformed.
ZONES: tuple[str, ...] = ("brow", "eyes", "cheek_nose", "mouth", "jaw_chin", "static")
ZONE_INDEX: dict[str, int] = {name: i for i, name in enumerate(ZONES)}
NUM_ZONES = len(ZONES)

#: Each AU's home zone (AUS.md).
AU_ZONE: dict[str, str] = {
    "AU01": "brow", "AU02": "brow", "AU04": "brow",
    "AU05": "eyes", "AU07": "eyes", "AU45": "eyes",
    "AU06": "cheek_nose", "AU09": "cheek_nose",
    "AU10": "mouth", "AU12": "mouth", "AU14": "mouth", "AU15": "mouth",
    "AU20": "mouth", "AU23": "mouth", "AU25": "mouth",
    "AU17": "jaw_chin", "AU26": "jaw_chin",
}

#: Zones where speech acts (METHOD.md: speech is a primary token in mouth and jaw/chin).
SPEECH_ZONES: tuple[str, ...] = ("mouth", "jaw_chin")

UPPER_FACE_AUS: tuple[str, ...] = ("AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU45")
LOWER_FACE_AUS: tuple[str, ...] = tuple(a for a in AU_NAMES if a not in UPPER_FACE_AUS)

#: Display colours for zone overlays (RGB 0..1), stable across the studio and docs.
ZONE_COLORS: dict[str, tuple[float, float, float]] = {
    "brow": (0.95, 0.75, 0.10),
    "eyes": (0.20, 0.60, 1.00),
    "cheek_nose": (1.00, 0.45, 0.70),
    "mouth": (0.95, 0.20, 0.20),
    "jaw_chin": (0.30, 0.85, 0.35),
    "static": (0.55, 0.55, 0.55),
}


def au_index(name: str) -> int:
    """Index of an AU given as 'AU12', 'au12', '12' or 'AU12_r'."""
    key = name.strip().upper()
    if key.endswith("_R"):
        key = key[:-2]
    if not key.startswith("AU"):
        key = "AU" + key
    if len(key) == 3:
        key = "AU0" + key[2:]
    try:
        return AU_INDEX[key]
    except KeyError:
        raise KeyError(f"unknown Action Unit {name!r}; known: {', '.join(AU_NAMES)}") from None

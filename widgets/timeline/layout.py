"""Lane layout: which lanes there are, in what order, how tall, and lane <-> view y.

View coordinates: x is the frame; y is the lane, lane ``i`` spanning [i, i+1] top to bottom (the
ViewBox is y-inverted). Lane 0 is the waveform, lanes 1.. are the visible channels in
``LANE_ORDER``: the four speech controls first (they come from the audio above them), then the
17 AUs grouped by zone as the channel list groups them. No Qt here.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from core.anim.edit import channel_range
from core.anim.take import CHANNEL_NAMES
from core.aus import AU_NAMES, AU_ZONE, SPEECH_NAMES, ZONES

WAVEFORM_LANE = "audio"
#: Fraction of a lane kept free above the maximum and below the minimum value.
LANE_PAD = 0.14
LABEL_WIDTH = 176
#: The studio's timeline dock is about 280 px tall: 20 px lanes show about a dozen of them,
#: tall enough to see a curve's shape and to hit a key.
DEFAULT_LANE_PX = 20
MIN_LANE_PX = 14
MAX_LANE_PX = 160
#: A key is hit within this many pixels of its centre; keys are drawn this big.
KEY_HIT_PX = 7
KEY_SIZE_PX = 9
#: The playhead line can be grabbed this many pixels either side.
PLAYHEAD_GRAB_PX = 4

Selection = dict[str, list[int]]

#: The channel lanes top to bottom: the speech controls right under the waveform lane, then
#: the AUs zone by zone (brow, eyes, cheek / nose, mouth, jaw / chin) in AU_NAMES order within
#: a zone, the channel list's order. ``channel_range`` (core.anim.edit): the values a lane shows.
LANE_ORDER: tuple[str, ...] = tuple(SPEECH_NAMES) + tuple(a for z in ZONES for a in AU_NAMES if AU_ZONE[a] == z)
assert sorted(LANE_ORDER) == sorted(CHANNEL_NAMES)


def lane_title(lane: str) -> str:
    """The name a lane's label shows: the channel's own name, as the channel list writes it
    (AU12, jaw_open), so a lane and its channel-list row read the same; "Audio" for the waveform."""
    return "Audio" if lane == WAVEFORM_LANE else lane


def value_to_lane_y(channel: str, lane: int, values: np.ndarray) -> np.ndarray:
    """Values [N] of ``channel`` -> view y [N] inside lane ``lane`` (larger values higher up)."""
    lo, hi = channel_range(channel)
    t = (np.asarray(values, dtype=np.float64) - lo) / (hi - lo)
    return lane + 1.0 - LANE_PAD - t * (1.0 - 2.0 * LANE_PAD)


def lane_dy_to_value(channel: str, dy: float) -> float:
    """A vertical move of ``dy`` lanes (down positive) as a change of the channel's value."""
    lo, hi = channel_range(channel)
    return -float(dy) / (1.0 - 2.0 * LANE_PAD) * (hi - lo)


class LaneLayout:
    """The lanes in order (waveform first, hidden channels left out), their height in pixels
    and the first lane shown (``top``, fractional while scrolling)."""

    def __init__(self) -> None:
        self.hidden: set[str] = set()
        self.lanes: list[str] = [WAVEFORM_LANE] + list(LANE_ORDER)
        self.lane_px = float(DEFAULT_LANE_PX)
        self.top = 0.0

    def set_hidden(self, hidden: Iterable[str]) -> bool:
        """Hide exactly ``hidden`` (channel names); True if the lanes changed."""
        hidden = {c for c in hidden if c in CHANNEL_NAMES}
        if hidden == self.hidden:
            return False
        self.hidden = hidden
        self.lanes = [WAVEFORM_LANE] + [n for n in LANE_ORDER if n not in hidden]
        return True

    def visible_channels(self) -> list[str]:
        return self.lanes[1:]

    def lane_index(self, channel: str) -> int | None:
        try:
            return self.lanes.index(channel)
        except ValueError:
            return None

    def channel_at(self, lane: int) -> str | None:
        """The channel of lane ``lane`` (None for the waveform lane and outside the lanes)."""
        return self.lanes[lane] if 0 < lane < len(self.lanes) else None

    def lanes_between(self, y0: float, y1: float) -> range:
        """Indices of the lanes that the view span [y0, y1] touches."""
        return range(max(0, int(np.floor(y0))), min(len(self.lanes), int(np.ceil(y1)) + 1))

    def y_range(self, height_px: float) -> tuple[float, float]:
        """The view's y span for a ViewBox ``height_px`` tall; clamps ``top`` so no space is
        wasted below the last lane."""
        span = max(1.0, float(height_px)) / self.lane_px
        self.top = float(np.clip(self.top, 0.0, max(0.0, len(self.lanes) - span)))
        return self.top, self.top + span

    def fit(self, height_px: float) -> None:
        """Every lane in ``height_px`` (as far as MIN_LANE_PX allows), from the top."""
        if height_px > 0:
            self.lane_px = float(np.clip(height_px / len(self.lanes), MIN_LANE_PX, MAX_LANE_PX))
        self.top = 0.0

    def set_lane_px(self, px: float) -> bool:
        px = float(np.clip(px, MIN_LANE_PX, MAX_LANE_PX))
        changed = px != self.lane_px
        self.lane_px = px
        return changed

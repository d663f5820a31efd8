"""The timeline: a waveform lane and one lane per channel with its curve and keys (pyqtgraph).

Split by role, as Blender's space_graph splits draw / select / edit / view / keymap:

- ``layout``: which lanes, in what order, how tall; lane <-> view y (no Qt)
- ``items``: drawing (lane bands, labels, the frame ruler, curves, keys, waveform, playhead)
- ``tools``: drags as objects with begin / update / finish / cancel (key move, box select,
  scrub, pan)
- ``widget``: ``TimelineWidget``: signals, setters, event dispatch to the tools
- ``keymap``: the keyboard as QActions

``python -m widgets.timeline [--screenshot out.png]`` opens a demo (``__main__``).
"""
from .layout import (
    DEFAULT_LANE_PX, LABEL_WIDTH, LANE_ORDER, LANE_PAD, MAX_LANE_PX, MIN_LANE_PX, WAVEFORM_LANE, LaneLayout, Selection,
    channel_range, lane_dy_to_value, value_to_lane_y,
)
from .widget import TimelineWidget

__all__ = [
    "DEFAULT_LANE_PX", "LABEL_WIDTH", "LANE_ORDER", "LANE_PAD", "MAX_LANE_PX", "MIN_LANE_PX", "WAVEFORM_LANE", "LaneLayout",
    "Selection", "TimelineWidget", "channel_range", "lane_dy_to_value", "value_to_lane_y",
]

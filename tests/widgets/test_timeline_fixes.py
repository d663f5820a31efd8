"""Fixes from an animator's first walk through the studio, driven by real mouse, key and wheel
events: key values stay in their channel's range while dragging, a key on a lane's edge wins
the click, the Edit menu's timeline items (enabled state; the wheel after one was chosen), and
the context menu's ticks for the selected keys' types."""
from __future__ import annotations

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from core.anim.curve import Curve, HandleType, Interpolation, Keyframe
from core.anim.edit import move_selection
from core.anim.take import Take
from tests.widgets.test_timeline import L, click, drag, key_pos, make_take
from tests.widgets.test_timeline_keymap import Window
from widgets.timeline import TimelineWidget, channel_range

NO = QtCore.Qt.NoModifier


def edge_take() -> Take:
    """AU12 (between AU10 and AU14) keyed at its maximum (frame 20) and minimum (40, 80); at
    frame 80 AU14 below has a key at its maximum, right across the lane edge."""
    return Take(fps=25.0, duration=100, curves={
        "AU10": Curve((Keyframe(20, 2.5), Keyframe(40, 3.0))),
        "AU12": Curve((Keyframe(20, 5.0), Keyframe(40, 0.0), Keyframe(60, 4.0), Keyframe(80, 0.0))),
        "AU14": Curve((Keyframe(40, 2.0), Keyframe(80, 5.0))),
        "jaw_open": Curve((Keyframe(10, 0.8), Keyframe(50, 0.1))),
    })


@pytest.fixture
def small(qtbot):
    """The timeline with the smallest lanes (14 px), where a key at 0 or 5 is 2 px from the edge."""
    w = TimelineWidget()
    qtbot.addWidget(w)
    w.resize(1000, 500)
    w.show()
    qtbot.waitExposed(w)
    w.set_take(edge_take())
    w.restore_view_state({"lane_px": 14})
    w.scroll_to_channel("AU10")
    QtWidgets.QApplication.processEvents()
    return w


def lane_of(tl, pos: QtCore.QPoint) -> str | None:
    """The channel of the lane under a viewport point."""
    return tl.lane_layout.channel_at(int(tl._to_view(QtCore.QPointF(pos)).y() // 1))


# ------------------------------------------------------------------ 1. values stay in range


def test_a_key_dragged_past_the_lane_stops_at_the_channels_range_in_preview_and_commit(qtbot, small):
    tl = small
    commits = []
    tl.keys_move_committed.connect(lambda *a: commits.append(a))
    lane_h = tl.view_to_viewport(0, 1).y() - tl.view_to_viewport(0, 0).y()
    a = key_pos(tl, "AU12", 2)  # frame 60, value 4
    b = QtCore.QPoint(a.x(), a.y() - 3 * lane_h)  # three lanes up: +25 on a 0..5 lane
    drag(qtbot, tl, a, b, release=False)
    frames, values, _ = tl.drawn_keys("AU12")
    assert list(values) == [5.0, 0.0, 5.0, 0.0], "the preview shows the key stopped at AU_MAX"
    lane = tl.lane_layout.lane_index("AU12")
    assert lane < tl._to_view(QtCore.QPointF(tl.key_viewport_pos("AU12", 0))).y() < lane + 1
    qtbot.mouseRelease(tl.plot_viewport(), L, NO, b)
    assert len(commits) == 1
    _, sel, dframe, dvalues = commits[0]
    # the studio's command (core move_selection) lands where the preview showed
    after = move_selection(edge_take(), sel, dframe, dvalues["AU12"])
    assert [k.value for k in after.curves["AU12"].keys] == [5.0, 0.0, 5.0, 0.0]
    tl.set_take(after)
    assert list(tl.drawn_keys("AU12")[1]) == [5.0, 0.0, 5.0, 0.0]
    tl.set_take(edge_take())  # the undo
    assert list(tl.drawn_keys("AU12")[1]) == [5.0, 0.0, 4.0, 0.0]


def test_a_speech_key_dragged_down_stops_at_zero(qtbot, small):
    tl = small
    tl.scroll_to_channel("jaw_open")
    tl.lane_layout.top = 0.0
    tl._apply_lane_range()
    a = key_pos(tl, "jaw_open", 1)  # value 0.1
    lane_h = tl.view_to_viewport(0, 1).y() - tl.view_to_viewport(0, 0).y()
    drag(qtbot, tl, a, QtCore.QPoint(a.x(), a.y() + 2 * lane_h), release=False)
    assert list(tl.drawn_keys("jaw_open")[1]) == [0.8, 0.0]
    assert channel_range("jaw_open") == (0.0, 1.0)
    qtbot.keyClick(tl, QtCore.Qt.Key_Escape)
    assert list(tl.drawn_keys("jaw_open")[1]) == [0.8, 0.1]


# ------------------------------------------------------------------ 1. a key on a lane's edge


@pytest.mark.parametrize("index, value", [(1, 0.0), (0, 5.0)])
def test_a_click_on_a_key_at_the_lanes_edge_picks_the_key_not_the_lane_across(qtbot, small, index, value):
    tl = small
    tl.set_active_channel("jaw_open")
    centre = key_pos(tl, "AU12", index)
    assert tl.drawn_keys("AU12")[1][index] == value
    # the drawn centre, then the part of the diamond across the lane edge (3 px of its 4.5)
    outward = 3 if value == 0.0 else -3
    across = QtCore.QPoint(centre.x(), centre.y() + outward)
    assert lane_of(tl, across) == ("AU14" if value == 0.0 else "AU10"), "the test must click across the edge"
    for pos in (centre, across):
        tl.set_active_channel("jaw_open")
        qtbot.keyClick(tl, QtCore.Qt.Key_Escape)  # clears the selection
        assert tl.selection.as_dict() == {}
        click(qtbot, tl, pos)
        assert tl.selection.as_dict() == {"AU12": [index]}
        assert tl.active_channel() == "AU12"


def test_of_two_keys_facing_across_a_lane_edge_the_nearer_one_wins(qtbot, small):
    tl = small
    low, high = key_pos(tl, "AU12", 3), key_pos(tl, "AU14", 1)  # AU12 at 0 over AU14 at 5, frame 80
    assert 0 < high.y() - low.y() <= 8
    click(qtbot, tl, low)
    assert tl.selection.as_dict() == {"AU12": [3]}
    click(qtbot, tl, high)
    assert tl.selection.as_dict() == {"AU14": [1]} and tl.active_channel() == "AU14"

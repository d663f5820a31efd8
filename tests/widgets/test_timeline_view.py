"""The timeline's view: lanes by default, speech override boxes, framing another take, and the
view state the studio persists."""
from __future__ import annotations

import json

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from core.anim.curve import Curve, Keyframe
from core.anim.take import SpeechDrive, Take
from core.aus import AU_NAMES, AU_ZONE, SPEECH_NAMES
from tests.widgets.test_timeline import make_take
from widgets.timeline import DEFAULT_LANE_PX, TimelineWidget


def wheel(tl, steps: int, mods=QtCore.Qt.NoModifier):
    vp = tl.plot_viewport()
    centre = QtCore.QPointF(vp.width() / 2, vp.height() / 2)
    ev = QtGui.QWheelEvent(centre, vp.mapToGlobal(centre), QtCore.QPoint(), QtCore.QPoint(0, 120 * steps),
                           QtCore.Qt.NoButton, mods, QtCore.Qt.NoScrollPhase, False)
    QtWidgets.QApplication.sendEvent(vp, ev)


@pytest.fixture
def dock(qtbot):
    """The timeline at the height of the studio's dock."""
    w = TimelineWidget()
    qtbot.addWidget(w)
    w.resize(1200, 280)
    w.show()
    qtbot.waitExposed(w)
    w.set_take(make_take())
    QtWidgets.QApplication.processEvents()
    return w


def shown_lanes(tl) -> list[str]:
    (_, _), (y0, y1) = tl._vb.viewRange()
    return [tl.lane_layout.lanes[i] for i in range(len(tl.lane_layout.lanes)) if i >= y0 - 1e-6 and i + 1 <= y1 + 1e-6]


def test_speech_lanes_sit_under_the_waveform_and_a_dock_shows_about_a_dozen_lanes(qtbot, dock):
    tl = dock
    zones = ["brow"] * 3 + ["eyes"] * 3 + ["cheek_nose"] * 2 + ["mouth"] * 7 + ["jaw_chin"] * 2
    # speech right under the audio it comes from, then the AUs zone by zone as the channel list has them
    assert tl.lane_layout.lanes[:5] == ["audio", "jaw_open", "lip_round", "lip_close", "lip_stretch"]
    aus = tl.visible_channels()[4:]
    assert sorted(aus) == sorted(AU_NAMES) and [AU_ZONE[a] for a in aus] == zones
    assert aus[:3] == ["AU01", "AU02", "AU04"] and aus[-2:] == ["AU17", "AU26"]
    assert tl.lane_layout.lane_px == DEFAULT_LANE_PX
    shown = shown_lanes(tl)
    assert 10 <= len(shown) <= 13
    # an animator fixing lip sync sees the speech lanes and their override boxes without scrolling
    assert set(SPEECH_NAMES) <= set(shown) and "AU26" not in shown
    labels = tl.label_column()
    for name in SPEECH_NAMES:
        box = tl.override_checkbox(name)
        assert box.isVisible() and not box.isChecked()
        row = labels.lane_rect(tl._lane_index(name))
        assert row.top() - 1 <= box.geometry().top() and box.geometry().bottom() <= row.bottom() + 1
    # drag the lane scroll bar to the bottom: the jaw / chin lanes come into view, speech goes
    bar = tl.lane_scrollbar()
    assert bar.isEnabled() and bar.maximum() > 0
    opt = QtWidgets.QStyleOptionSlider()
    bar.initStyleOption(opt)
    handle = bar.style().subControlRect(QtWidgets.QStyle.CC_ScrollBar, opt, QtWidgets.QStyle.SC_ScrollBarSlider, bar)
    qtbot.mousePress(bar, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, handle.center())
    qtbot.mouseMove(bar, QtCore.QPoint(handle.center().x(), bar.height() - 1))
    qtbot.mouseRelease(bar, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, QtCore.QPoint(handle.center().x(), bar.height() - 1))
    assert {"AU17", "AU26"} <= set(shown_lanes(tl))
    assert not tl.override_checkbox("jaw_open").isVisible()
    # Shift + wheel scrolls back up
    wheel(tl, 30, QtCore.Qt.ShiftModifier)
    assert shown_lanes(tl)[0] == "audio" and bar.value() == 0
    assert tl.override_checkbox("jaw_open").isVisible()


def test_lane_labels_name_the_channels_as_the_channel_list_does(qtbot, dock):
    from widgets.channel_list import ChannelList
    cl = ChannelList()
    qtbot.addWidget(cl)
    labels = dock.label_column()
    for name in dock.visible_channels():
        assert labels.title(name) == cl.rows[name].label.text()
    assert labels.title("lip_stretch") == "lip_stretch"


def test_the_override_box_asks_for_the_flag_and_shows_the_takes_state(qtbot, dock):
    tl = dock
    tl.scroll_to_channel("lip_close")
    box = tl.override_checkbox("lip_close")
    assert box.isVisible()
    requests = []
    tl.speech_override_requested.connect(lambda c, on: requests.append((c, on)))
    qtbot.mouseClick(box, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, QtCore.QPoint(6, box.height() // 2))
    assert requests == [("lip_close", True)]
    # the widget changed nothing itself: the box shows the take, which still follows the audio
    assert not box.isChecked()
    take = make_take()
    on = take.with_speech("lip_close", SpeechDrive(override=True))
    tl.set_take(on)
    assert box.isChecked()
    qtbot.mouseClick(box, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, QtCore.QPoint(6, box.height() // 2))
    assert requests[-1] == ("lip_close", False) and box.isChecked()
    # undo: the take without the flag
    tl.set_take(take)
    assert not box.isChecked()
    # a hidden speech lane has no box
    tl.set_channel_visible("lip_close", False)
    assert not box.isVisible()


def _take(duration: int) -> Take:
    return Take(fps=25.0, duration=duration, curves={"AU12": Curve((Keyframe(0, 1.0), Keyframe(duration - 1, 2.0)))})


def test_a_short_take_after_the_longest_take_is_framed(qtbot, dock):
    tl = dock
    tl.set_take(_take(360_000))  # 4 h at 25 fps, the longest a take may be (core.limits)
    assert tl.frame_range()[1] > 300_000
    tl.set_take(_take(120))
    x0, x1 = tl.frame_range()
    assert x0 <= 0 and 119 <= x1 < 200


def test_reset_view_frames_the_new_take_and_a_plain_set_take_keeps_the_zoom(qtbot, dock):
    tl = dock
    tl.set_frame_range(40, 50)
    tl.set_take(_take(110))  # the same document edited: the zoom stays
    assert tl.frame_range() == pytest.approx((40, 50))
    tl.set_take(_take(300), reset_view=True)  # another document
    x0, x1 = tl.frame_range()
    assert x0 <= 0 and 299 <= x1 < 350


def test_view_state_round_trips_and_bad_values_are_ignored(qtbot, dock):
    tl = dock
    changes = []
    tl.view_state_changed.connect(lambda: changes.append(1))
    wheel(tl, 2, QtCore.Qt.ControlModifier)
    assert tl.lane_layout.lane_px > DEFAULT_LANE_PX and len(changes) == 1
    tl.set_channel_visible("AU02", False)
    assert len(changes) == 2
    state = json.loads(json.dumps(tl.view_state()))

    other = TimelineWidget()
    qtbot.addWidget(other)
    other.resize(1200, 280)
    other.show()
    other.set_take(make_take())
    other.view_state_changed.connect(lambda: changes.append(2))
    other.restore_view_state(state)
    assert other.lane_layout.lane_px == pytest.approx(tl.lane_layout.lane_px)
    assert other.visible_channels() == tl.visible_channels() and "AU02" not in other.visible_channels()
    assert len(changes) == 2  # restoring is not a user change
    px = other.lane_layout.lane_px
    for bad in (None, [], "x", {"lane_px": "tall"}, {"lane_px": float("nan")}, {"lane_px": -3},
                {"lane_px": True}, {"hidden_channels": "AU01"}, {"hidden_channels": [3, None]}, {"unknown": 1}):
        other.restore_view_state(bad)
        assert other.lane_layout.lane_px == px
        assert "AU02" not in other.visible_channels() and "AU01" in other.visible_channels()
    other.restore_view_state({"hidden_channels": ["AU01", "no_such_channel"], "lane_px": 1e9})
    assert "AU01" not in other.visible_channels() and "AU02" in other.visible_channels()
    assert other.lane_layout.lane_px <= 160

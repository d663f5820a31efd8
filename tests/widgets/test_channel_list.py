"""The channel list clicked like a user would; flag intents applied to a real take."""
from __future__ import annotations

import dataclasses

import pytest
from PySide6 import QtCore

from core.anim.curve import Curve, Keyframe
from core.anim.take import CHANNEL_NAMES, Take
from widgets.channel_list import ChannelList
from widgets.timeline import TimelineWidget


@pytest.fixture
def cl(qtbot):
    w = ChannelList()
    qtbot.addWidget(w)
    w.resize(300, 800)
    w.show()
    qtbot.waitExposed(w)
    w.set_take(Take(curves={"AU12": Curve((Keyframe(0, 1.0),), lock=True)}))
    return w


def test_every_channel_has_a_row(cl):
    assert list(cl.rows) != [] and sorted(cl.rows) == sorted(CHANNEL_NAMES)
    assert cl.visible_channels() == list(CHANNEL_NAMES)


def test_set_take_shows_flags_without_signals(qtbot, cl):
    assert cl.button("AU12", "lock").isChecked()
    assert not cl.button("AU12", "mute").isChecked()
    with qtbot.assertNotEmitted(cl.flag_requested):
        cl.set_take(Take(curves={"AU12": Curve(mute=True), "jaw_open": Curve(solo=True)}))
    assert cl.button("AU12", "mute").isChecked() and not cl.button("AU12", "lock").isChecked()
    assert cl.button("jaw_open", "solo").isChecked()


def test_mute_click_emits_intent_and_waits_for_the_model(qtbot, cl):
    cl.button("AU25", "mute").ensurePolished()
    with qtbot.waitSignal(cl.flag_requested) as sig:
        qtbot.mouseClick(cl.button("AU25", "mute"), QtCore.Qt.LeftButton)
    assert sig.args == ["AU25", "mute", True]
    # nothing changed in the model yet, so the button still shows the take's state
    assert not cl.button("AU25", "mute").isChecked()
    take = cl._take
    take = take.with_curve("AU25", dataclasses.replace(take.curves["AU25"], mute=True))
    cl.set_take(take)
    assert cl.button("AU25", "mute").isChecked()


@pytest.mark.parametrize("flag", ["solo", "lock"])
def test_solo_and_lock_clicks(qtbot, cl, flag):
    with qtbot.waitSignal(cl.flag_requested) as sig:
        qtbot.mouseClick(cl.button("AU01", flag), QtCore.Qt.LeftButton)
    assert sig.args == ["AU01", flag, True]
    with qtbot.waitSignal(cl.flag_requested) as sig:
        qtbot.mouseClick(cl.button("AU12", "lock"), QtCore.Qt.LeftButton)
    assert sig.args == ["AU12", "lock", False]


def test_visibility_drives_the_timeline(qtbot, cl):
    tl = TimelineWidget()
    qtbot.addWidget(tl)
    tl.show()
    tl.set_take(Take())
    cl.visibility_changed.connect(tl.set_channel_visible)
    with qtbot.waitSignal(cl.visibility_changed) as sig:
        qtbot.mouseClick(cl.button("AU45", "visible"), QtCore.Qt.LeftButton)
    assert sig.args == ["AU45", False]
    assert "AU45" not in cl.visible_channels()
    assert "AU45" not in tl.visible_channels()
    qtbot.mouseClick(cl.button("AU45", "visible"), QtCore.Qt.LeftButton)
    assert "AU45" in tl.visible_channels()


def test_clicking_a_row_selects_the_channel(qtbot, cl):
    with qtbot.waitSignal(cl.channel_clicked) as sig:
        qtbot.mouseClick(cl.rows["lip_round"].label, QtCore.Qt.LeftButton)
    assert sig.args == ["lip_round"]
    assert cl.current_channel() == "lip_round"

"""The AU panel driven by mouse and keyboard; its intents applied with core.anim.edit.insert_key."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from core.anim.curve import Curve, Keyframe
from core.anim.edit import insert_key
from core.anim.take import Take
from core.aus import AU_NAMES, AU_ZONE, ZONE_COLORS
from widgets import theme
from widgets.au_panel import STEPS, AUPanel


def make_take() -> Take:
    return Take(curves={
        "AU12": Curve((Keyframe(0, 1.0), Keyframe(20, 3.0))),
        "AU01": Curve((Keyframe(0, 2.0),), lock=True),
    })


@pytest.fixture
def panel(qtbot):
    w = AUPanel()
    qtbot.addWidget(w)
    w.resize(320, 800)
    w.show()
    qtbot.waitExposed(w)
    w.set_take(make_take())
    return w


def handle_center(slider: QtWidgets.QSlider) -> QtCore.QPoint:
    opt = QtWidgets.QStyleOptionSlider()
    slider.initStyleOption(opt)
    rect = slider.style().subControlRect(QtWidgets.QStyle.CC_Slider, opt, QtWidgets.QStyle.SC_SliderHandle, slider)
    return rect.center()


def test_sliders_show_the_take_at_the_current_frame(qtbot, panel):
    with qtbot.assertNotEmitted(panel.key_set_requested):
        panel.set_frame(20)
    assert panel.values()[AU_NAMES.index("AU12")] == pytest.approx(3.0)
    assert panel.rows["AU12"].key_mark.text() == "\u25c6"
    panel.set_frame(10)
    v = panel.values()[AU_NAMES.index("AU12")]
    assert 1.0 < v < 3.0
    assert panel.rows["AU12"].key_mark.text() == "\u25c7"
    assert panel.rows["AU25"].key_mark.text() == ""


def test_keyboard_step_emits_a_set_key_intent(qtbot, panel):
    panel.set_frame(7)
    s = panel.slider("AU25")
    s.setFocus()
    with qtbot.waitSignal(panel.key_set_requested) as sig:
        qtbot.keyClick(s, QtCore.Qt.Key_PageUp)
    au, frame, value, _ = sig.args
    assert (au, frame) == ("AU25", 7)
    assert value == pytest.approx(s.pageStep() / STEPS)
    take = make_take()
    take = take.with_curve(au, insert_key(take.curves[au], frame, value))
    panel.set_take(take)
    assert panel.rows["AU25"].key_mark.text() == "\u25c6"
    assert panel.values()[AU_NAMES.index("AU25")] == pytest.approx(value)


def test_dragging_a_slider_keeps_one_edit_id(qtbot, panel):
    panel.set_frame(20)
    s = panel.slider("AU26")
    got = []
    panel.key_set_requested.connect(lambda *a: got.append(a))
    start = handle_center(s)
    qtbot.mousePress(s, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, start)
    for dx in (10, 30, 60):
        qtbot.mouseMove(s, QtCore.QPoint(start.x() + dx, start.y()))
    qtbot.mouseRelease(s, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, QtCore.QPoint(start.x() + 60, start.y()))
    assert len(got) >= 2
    assert {a[0] for a in got} == {"AU26"} and {a[1] for a in got} == {20}
    assert len({a[3] for a in got}) == 1
    values = [a[2] for a in got]
    assert values == sorted(values) and values[-1] > 0.5


def test_locked_au_slider_is_disabled(panel):
    assert not panel.slider("AU01").isEnabled()
    assert panel.slider("AU02").isEnabled()


def test_each_au_shows_its_zone(panel):
    for au in AU_NAMES:
        row = panel.rows[au]
        zone_colour = theme.qcolor(ZONE_COLORS[AU_ZONE[au]]).name()
        assert zone_colour in row.label.styleSheet()
        assert AU_ZONE[au].replace("_", " ")[:3].lower() in row.label.toolTip().lower()
    assert np.all(panel.values() >= 0)

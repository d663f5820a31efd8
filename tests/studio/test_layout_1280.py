"""The default layout of a 1280x800 window (a laptop screen): the transport's scrub slider keeps a
usable width, every channel row's four toggles are inside the channel list's viewport with no
horizontal scroll bar, and the transport's controls stay put while the fps readout changes.
Real window, real mouse and key events."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QScrollArea, QStyle, QStyleOptionSlider

from core.anim import Curve, Keyframe, Take
from widgets.transport import SLIDER_MIN_PX


L = Qt.LeftButton
TOGGLES = ("visible", "mute", "solo", "lock")


@pytest.fixture
def window_size():
    return (1280, 800)


def take() -> Take:
    return Take(name="Laptop", fps=25.0, duration=250, curves={"AU15": Curve((Keyframe(0, 1.0), Keyframe(100, 3.0)))})


def test_the_scrub_slider_is_usable_at_1280x800(open_window, qtbot):
    w = open_window(take())
    qtbot.waitUntil(lambda: w.width() == 1280)
    slider = w.transport.slider
    assert slider.width() >= SLIDER_MIN_PX > 150
    assert w.width() == 1280 and w.height() == 800, "the layout's minimum pushed the window past 1280x800"
    # The handle dragged three quarters along the groove seeks well into the take.
    opt = QStyleOptionSlider()
    slider.initStyleOption(opt)
    start = slider.style().subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderHandle, slider).center()
    qtbot.mousePress(slider, L, Qt.NoModifier, start)
    for x in range(start.x(), slider.width() * 3 // 4, 10):
        qtbot.mouseMove(slider, QPoint(x, start.y()))
    qtbot.mouseRelease(slider, L, Qt.NoModifier, QPoint(slider.width() * 3 // 4, start.y()))
    qtbot.waitUntil(lambda: 150 < w.current_frame < 220)


def test_every_channel_rows_toggles_are_inside_the_channel_list_at_1280x800(open_window, qtbot):
    w = open_window(take())
    cl = w.channel_list
    scroll = cl.findChild(QScrollArea)
    viewport = scroll.viewport()
    qtbot.waitUntil(lambda: cl.rows["AU01"].buttons["lock"].isVisible())
    assert not scroll.horizontalScrollBar().isVisible()
    for name, row in cl.rows.items():
        for flag in TOGGLES:
            b = row.buttons[flag]
            left = b.mapTo(viewport, QPoint(0, 0)).x()
            assert 0 <= left and left + b.width() <= viewport.width(), f"{name} {flag} is cut off"
    # The L of a mouth channel, clicked where it is drawn, locks it (one undo step).
    scroll.ensureWidgetVisible(cl.rows["AU15"])
    lock = cl.button("AU15", "lock")
    qtbot.mouseClick(lock, L)
    assert w.document.take.curves["AU15"].lock and lock.isChecked()


def test_the_transport_controls_stay_put_while_the_fps_readout_changes(open_window, qtbot):
    w = open_window(take())
    t = w.transport
    watched = [t.play_button, t.slider, t.frame_box, t.loop_check, t.loop_last, t.fps_label]

    def positions():
        return [(x.x(), x.width()) for x in watched]

    before, text = positions(), t.fps_label.text()
    qtbot.keyClick(w.viewport, Qt.Key_Space)
    qtbot.waitUntil(lambda: t.fps_label.text() != text and "--" not in t.fps_label.text(), timeout=10000)
    assert positions() == before
    qtbot.keyClick(w.viewport, Qt.Key_Space)
    qtbot.waitUntil(lambda: not w.is_playing())
    assert positions() == before

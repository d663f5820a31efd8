"""The window's keys while the cursor is in a number box of its own bars (the keying strip's
Value, the transport's frame box): real key events (QTest) into the focused box. Space plays,
K keys, L loops, Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y undo and redo the take (not the box's text);
digits, '.', Backspace and arrows stay with the box; Return in Value keys the typed value."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from core.anim import Curve, Keyframe, Take


CTRL = Qt.ControlModifier
SHIFT = Qt.ShiftModifier



def take() -> Take:
    return Take(name="Keys", fps=25.0, duration=60, curves={"AU12": Curve((Keyframe(0, 1.0),))})


def keys(w, channel="AU12"):
    return [(k.frame, round(k.value, 4)) for k in w.document.take.curves[channel].keys]


def focus(qtbot, box):
    box.setFocus(Qt.MouseFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() in (box, box.lineEdit()))


def type_into(qtbot, box, text):
    focus(qtbot, box)
    qtbot.keyClick(box, Qt.Key_A, CTRL)  # select the box's text (kept by the box)
    qtbot.keyClicks(box, text)


def test_typing_a_value_then_return_keys_it_and_ctrl_z_in_the_box_undoes_the_take(open_window, qtbot):
    w = open_window(take())
    w.seek(20)
    type_into(qtbot, w.value_box, "2.5")
    assert w.value_box.text() == "2.50" or w.value_box.value() == pytest.approx(2.5)
    assert keys(w) == [(0.0, 1.0)], "typing digits must not key anything"
    qtbot.keyClick(w.value_box, Qt.Key_Return)
    assert keys(w) == [(0.0, 1.0), (20.0, 2.5)]
    assert w.document.history.undo_text == "Insert key AU12 @ 20"
    assert QApplication.focusWidget() not in (w.value_box, w.value_box.lineEdit()), "focus not given back"
    # Back in the box: Ctrl+Z undoes the take's key, not the box's text.
    focus(qtbot, w.value_box)
    qtbot.keyClick(w.value_box, Qt.Key_Z, CTRL)
    assert keys(w) == [(0.0, 1.0)]
    qtbot.keyClick(w.value_box, Qt.Key_Z, CTRL | SHIFT)
    assert keys(w) == [(0.0, 1.0), (20.0, 2.5)]
    qtbot.keyClick(w.value_box, Qt.Key_Z, CTRL)
    qtbot.keyClick(w.value_box, Qt.Key_Y, CTRL)
    assert keys(w) == [(0.0, 1.0), (20.0, 2.5)]


def test_typing_a_value_then_k_keys_that_value(open_window, qtbot):
    w = open_window(take())
    w.seek(33)
    type_into(qtbot, w.value_box, "4")
    qtbot.keyClick(w.value_box, Qt.Key_K)
    assert keys(w) == [(0.0, 1.0), (33.0, 4.0)]
    assert w.value_box.value() == pytest.approx(4.0)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Z, CTRL)  # the focus was given back: Ctrl+Z works
    assert keys(w) == [(0.0, 1.0)]


def test_backspace_digits_and_arrows_stay_with_the_value_box(open_window, qtbot):
    w = open_window(take())
    w.seek(10)
    type_into(qtbot, w.value_box, "3")
    frame = w.current_frame
    qtbot.keyClick(w.value_box, Qt.Key_Backspace)
    qtbot.keyClicks(w.value_box, "1.5")
    assert w.value_box.value() == pytest.approx(1.5)
    qtbot.keyClick(w.value_box, Qt.Key_Up)  # steps the box (0.25), does not move the playhead
    assert w.value_box.value() == pytest.approx(1.75) and w.current_frame == frame
    qtbot.keyClick(w.value_box, Qt.Key_Left)
    assert w.current_frame == frame, "Left moved the playhead instead of the box's cursor"
    assert keys(w) == [(0.0, 1.0)]


def test_space_plays_and_l_loops_from_the_frame_box(open_window, qtbot):
    w = open_window(take())
    box = w.transport.frame_box
    type_into(qtbot, box, "12")
    assert w.current_frame == 12  # digits go to the box, which seeks
    loop = w.actions_by_name["loop"]
    assert not loop.isChecked()
    qtbot.keyClick(box, Qt.Key_L)
    assert loop.isChecked() and w.transport.loop_check.isChecked()
    qtbot.keyClick(box, Qt.Key_Space)
    assert w.is_playing()
    qtbot.keyClick(box, Qt.Key_Space)
    assert not w.is_playing()


def test_k_and_ctrl_z_from_the_frame_box(open_window, qtbot):
    w = open_window(take())
    w.value_box.setValue(3.0)
    box = w.transport.frame_box
    type_into(qtbot, box, "25")
    assert w.current_frame == 25
    qtbot.keyClick(box, Qt.Key_K)
    assert keys(w)[-1] == (25.0, round(w.document.take.curves["AU12"].keys[-1].value, 4))
    assert len(keys(w)) == 2
    focus(qtbot, box)
    qtbot.keyClick(box, Qt.Key_Z, CTRL)
    assert keys(w) == [(0.0, 1.0)]


def test_i_from_the_value_box_inserts_a_timeline_key_labelled_with_its_frame(open_window, qtbot):
    w = open_window(take())
    w.timeline.set_active_channel("AU12")
    w.seek(40)
    focus(qtbot, w.value_box)
    qtbot.keyClick(w.value_box, Qt.Key_I)
    assert 40.0 in [f for f, _ in keys(w)]
    assert w.document.history.undo_text == "Insert key AU12 @ 40"
    assert w.history_panel.entries()[-1] == "Insert key AU12 @ 40"

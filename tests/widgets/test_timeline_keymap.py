"""The timeline's keyboard (keymap.py QActions) inside a main window that, like the studio, has
WindowShortcut actions on the same keys; and the edit actions shown in a menu."""
from __future__ import annotations

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from core.anim.edit import delete_selection, paste_keys
from tests.widgets.test_timeline import click, key_pos, make_take
from widgets.timeline import TimelineWidget

WINDOW_KEYS = ("Left", "Right", "Shift+Left", "Shift+Right", "Home", "Delete", "Ctrl+C", "Ctrl+V", "Ctrl+A")


class Window(QtWidgets.QMainWindow):
    """A main window with window-wide shortcuts on the timeline's keys, a focusable other
    widget, and an Edit menu showing the timeline's edit actions."""

    def __init__(self):
        super().__init__()
        self.fired: list[str] = []
        self.ambiguous: list[str] = []
        self.tl = TimelineWidget()
        self.other = QtWidgets.QPushButton("elsewhere")
        self.other.setFocusPolicy(QtCore.Qt.StrongFocus)
        central = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(central)
        lay.addWidget(self.other)
        lay.addWidget(self.tl, 1)
        self.setCentralWidget(central)
        for key in WINDOW_KEYS:
            a = QtGui.QAction(f"window {key}", self)
            a.setShortcut(QtGui.QKeySequence(key))
            a.setShortcutContext(QtCore.Qt.WindowShortcut)
            a.triggered.connect(lambda _=False, k=key: self.fired.append(k))
            self.addAction(a)
        self.edit = self.menuBar().addMenu("&Edit")
        for name in ("copy", "paste", "delete", "select_all", "insert"):
            self.edit.addAction(self.tl.edit_actions[name])
        self.resize(1100, 900)


@pytest.fixture
def win(qtbot):
    w = Window()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is w)
    w.tl.set_take(make_take())
    w.tl.frame_all()
    QtWidgets.QApplication.processEvents()
    return w


def press(qtbot, widget, key, mods=QtCore.Qt.NoModifier):
    qtbot.keyClick(widget, key, mods)


def test_arrows_step_and_shift_arrows_jump_to_the_ends(qtbot, win):
    tl = win.tl
    tl.set_current_frame(40)
    tl.setFocus()
    qtbot.waitUntil(tl.hasFocus)
    press(qtbot, tl, QtCore.Qt.Key_Right)
    assert tl.current_frame() == 41
    press(qtbot, tl, QtCore.Qt.Key_Left)
    press(qtbot, tl, QtCore.Qt.Key_Left)
    assert tl.current_frame() == 39
    with qtbot.waitSignal(tl.current_frame_changed) as sig:
        press(qtbot, tl, QtCore.Qt.Key_Right, QtCore.Qt.ShiftModifier)
    assert sig.args == [99] and tl.current_frame() == 99  # the take's last frame
    press(qtbot, tl, QtCore.Qt.Key_Left, QtCore.Qt.ShiftModifier)
    assert tl.current_frame() == 0
    assert win.fired == [], "a window shortcut took a key the focused timeline handles"


def test_the_focused_timeline_takes_its_keys_from_the_window_shortcuts(qtbot, win):
    tl = win.tl
    deletes, pastes = [], []
    tl.keys_delete_requested.connect(deletes.append)
    tl.paste_requested.connect(lambda c, f: pastes.append((c, f)))
    click(qtbot, tl, key_pos(tl, "AU12", 0))  # the click gives the timeline focus
    assert tl.hasFocus()
    press(qtbot, tl, QtCore.Qt.Key_C, QtCore.Qt.ControlModifier)
    assert tl.clipboard() is not None
    tl.set_current_frame(70)
    press(qtbot, tl, QtCore.Qt.Key_V, QtCore.Qt.ControlModifier)
    assert len(pastes) == 1 and pastes[0][1] == 70
    press(qtbot, tl, QtCore.Qt.Key_Delete)
    assert deletes == [{"AU12": [0]}]
    press(qtbot, tl, QtCore.Qt.Key_A, QtCore.Qt.ControlModifier)
    assert tl.selection.as_dict()["AU12"] == [0, 1, 2]
    tl.set_frame_range(40, 50)
    press(qtbot, tl, QtCore.Qt.Key_Home)
    assert tl.frame_range()[1] >= 99
    press(qtbot, tl, QtCore.Qt.Key_Right, QtCore.Qt.ShiftModifier)
    assert tl.current_frame() == 99
    assert win.fired == []
    # with the focus elsewhere the window's own shortcuts run, and the timeline is left alone
    win.other.setFocus()
    qtbot.waitUntil(win.other.hasFocus)
    for key, mods in ((QtCore.Qt.Key_Left, QtCore.Qt.ShiftModifier), (QtCore.Qt.Key_Delete, QtCore.Qt.NoModifier),
                      (QtCore.Qt.Key_V, QtCore.Qt.ControlModifier), (QtCore.Qt.Key_Home, QtCore.Qt.NoModifier)):
        press(qtbot, win.other, key, mods)
    assert win.fired == ["Shift+Left", "Delete", "Ctrl+V", "Home"]
    assert tl.current_frame() == 99 and len(deletes) == 1 and len(pastes) == 1


def _menu_click(qtbot, win, action):
    """Open the Edit menu with the mouse and click ``action`` in it."""
    bar = win.menuBar()
    qtbot.mouseClick(bar, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier,
                     bar.actionGeometry(win.edit.menuAction()).center())
    qtbot.waitUntil(win.edit.isVisible)
    qtbot.mouseClick(win.edit, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, win.edit.actionGeometry(action).center())
    qtbot.waitUntil(lambda: not win.edit.isVisible())


def test_the_edit_menu_acts_on_the_timeline_without_its_focus(qtbot, win):
    tl = win.tl
    acts = tl.edit_actions
    assert set(acts) == {"copy", "paste", "delete", "select_all", "insert"}
    assert acts["copy"].shortcut().matches(QtGui.QKeySequence("Ctrl+C")) == QtGui.QKeySequence.ExactMatch
    assert acts["delete"].isEnabled() is False  # nothing selected yet
    assert acts["paste"].isEnabled() is False
    click(qtbot, tl, key_pos(tl, "AU25", 1))
    win.other.setFocus()
    qtbot.waitUntil(win.other.hasFocus)
    assert acts["delete"].isEnabled() and acts["copy"].isEnabled()

    _menu_click(qtbot, win, acts["copy"])
    assert acts["paste"].isEnabled()
    tl.set_current_frame(80)
    with qtbot.waitSignal(tl.paste_requested) as sig:
        _menu_click(qtbot, win, acts["paste"])
    clipboard, frame = sig.args
    pasted = paste_keys(make_take(), clipboard, frame)
    assert list(pasted.curves["AU25"].frames) == [10.0, 30.0, 80.0]

    with qtbot.waitSignal(tl.keys_delete_requested) as sig:
        _menu_click(qtbot, win, acts["delete"])
    assert sig.args[0] == {"AU25": [1]}
    tl.set_take(delete_selection(make_take(), sig.args[0]))
    assert not acts["delete"].isEnabled()

    _menu_click(qtbot, win, acts["select_all"])
    assert tl.selection.as_dict()["AU12"] == [0, 1, 2]
    tl.set_current_frame(33)
    with qtbot.waitSignal(tl.keys_insert_requested) as sig:
        _menu_click(qtbot, win, acts["insert"])
    assert {c for c, _, _ in sig.args[0]} == {"AU12", "AU25", "jaw_open"}
    assert win.fired == []

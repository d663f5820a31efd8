"""The timeline's keyboard as QActions.

Each entry is one QAction on the widget (shortcut context: the timeline and its children), so
a menu can show the same action with its shortcut and triggering it from the menu acts on the
timeline whether or not it has focus. While the timeline has focus it claims these keys
(ShortcutOverride, see ``TimelineWidget.event``) and triggers the matching action itself, so a
main window's WindowShortcut actions on the same keys are never ambiguous with it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6 import QtCore, QtGui

if TYPE_CHECKING:
    from .widget import TimelineWidget

_Std = QtGui.QKeySequence.StandardKey

#: (name, menu text, shortcuts, what it does on the timeline)
KEYMAP: tuple[tuple[str, str, tuple, Callable[["TimelineWidget"], None]], ...] = (
    ("insert", "Insert Key", ("I",), lambda tl: tl.insert_keys()),
    ("delete", "Delete Keys", ("X", "Delete"), lambda tl: tl.delete_selected()),
    ("copy", "Copy Keys", (_Std.Copy,), lambda tl: tl.copy_selected()),
    ("paste", "Paste Keys", (_Std.Paste,), lambda tl: tl.paste()),
    ("select_all", "Select All Keys", (_Std.SelectAll,), lambda tl: tl.select_all()),
    ("frame_all", "Frame All", ("Home",), lambda tl: tl.frame_all()),
    ("escape", "Cancel Drag / Clear Selection", ("Esc",), lambda tl: tl.escape()),
    ("prev_frame", "Previous Frame", ("Left",), lambda tl: tl.step_frames(-1)),
    ("next_frame", "Next Frame", ("Right",), lambda tl: tl.step_frames(1)),
    ("first_frame", "First Frame", ("Shift+Left",), lambda tl: tl.go_to_start()),
    ("last_frame", "Last Frame", ("Shift+Right",), lambda tl: tl.go_to_end()),
)

#: the actions an Edit menu shows (``TimelineWidget.edit_actions``)
EDIT_ACTIONS = ("copy", "paste", "delete", "select_all", "insert")


def _sequences(shortcuts: tuple) -> list[QtGui.QKeySequence]:
    out: list[QtGui.QKeySequence] = []
    for s in shortcuts:
        if isinstance(s, QtGui.QKeySequence.StandardKey):
            out += QtGui.QKeySequence.keyBindings(s)
        else:
            out.append(QtGui.QKeySequence(s))
    return out


def build_actions(timeline: "TimelineWidget") -> dict[str, QtGui.QAction]:
    """One QAction per KEYMAP entry, added to ``timeline``; {name: action}."""
    actions: dict[str, QtGui.QAction] = {}
    for name, text, shortcuts, run in KEYMAP:
        action = QtGui.QAction(text, timeline)
        action.setObjectName(f"timeline_{name}")
        action.setShortcuts(_sequences(shortcuts))
        action.setShortcutContext(QtCore.Qt.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda _=False, run=run: run(timeline))
        timeline.addAction(action)
        actions[name] = action
    return actions


def action_for_key(actions: dict[str, QtGui.QAction], ev: QtGui.QKeyEvent) -> QtGui.QAction | None:
    """The action whose shortcut is exactly the key event's combination (keypad flag ignored)."""
    mods = ev.modifiers() & ~QtCore.Qt.KeypadModifier
    combo = QtGui.QKeySequence(QtCore.QKeyCombination(mods, QtCore.Qt.Key(ev.key())))
    for action in actions.values():
        for seq in action.shortcuts():
            if seq.matches(combo) == QtGui.QKeySequence.ExactMatch:
                return action
    return None

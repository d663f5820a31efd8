"""Replacing the document in the real window: the viewport keeps following the new take.

A long-edited take has a high history revision; the deform worker keeps the newest revision it has
seen and drops older results. A new document must never be taken for stale (seen by a new animator:
after New From Audio -> Discard the viewport froze on the old take's face)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from .test_journey_files import (  # noqa: F401  (fixtures)
    choose, click_standard, modals, patch_open_dialog, type_fps, write_voice,
)
from .windows import wait_current


def test_after_new_from_audio_and_discard_the_viewport_follows_the_new_take(open_window, qtbot, tmp_path,
                                                                            monkeypatch, modals):
    w = open_window()
    for _ in range(6):  # unsaved edits: the history's revision climbs
        qtbot.keyClick(w.viewport, Qt.Key_K)
        qtbot.keyClick(w.viewport, Qt.Key_Right)
    wait_current(qtbot, w)
    assert w.document.is_dirty
    old_take = w.document.take

    wav = write_voice(tmp_path / "voice" / "line.wav", 2.0)
    patch_open_dialog(monkeypatch, wav)
    modals.expect("fps_dialog", type_fps("25"))
    modals.expect("unsaved_box", click_standard(QMessageBox.Discard))
    choose(qtbot, w, "File", "New From Audio…")
    assert "unsaved_box" in modals.seen and w.document.take is not old_take
    assert w.document.take.name == "line"

    # Frames of the new take reach the viewport, for seeks and for edits.
    w.viewport.setFocus()
    for _ in range(3):
        qtbot.keyClick(w.viewport, Qt.Key_Right)
        wait_current(qtbot, w)
        assert w.shown.frame == w.current_frame
    qtbot.keyClick(w.viewport, Qt.Key_K)
    wait_current(qtbot, w)
    assert w.shown.revision == w.document.history.revision
    qtbot.keyClick(w.viewport, Qt.Key_Z, Qt.ControlModifier)
    wait_current(qtbot, w)
    assert w.shown.revision == w.document.history.revision

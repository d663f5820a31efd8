"""Small things a new animator met in the real window: the History shows its newest row whole,
Save As and Export start in the take's folder (else its audio's, else home, never the program's
working folder), the fps dialog of New From Audio is wide enough for its title, Open Recent tells
two files of one name apart, and the keying strip names speech channels as the channel list does.
Real mouse and key events; the native file dialogs are replaced by a function returning a path."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QLineEdit, QTabBar

from core.anim import AudioRef, Curve, Keyframe, Take
from core.aus import SPEECH_NAMES
from studio.files import FPS_DIALOG_MIN_WIDTH

from .test_journey_files import choose, modals, patch_open_dialog, press_escape, write_voice  # noqa: F401
from .test_wiring_mutations import choose as choose_path

CTRL, SHIFT = Qt.ControlModifier, Qt.ShiftModifier


@pytest.fixture
def window_size():
    return (1280, 800)


def save_dialog_folder(monkeypatch, qtbot, w, keys=(Qt.Key_S, CTRL | SHIFT)):
    """Press Save As; returns the folder the file dialog was asked to start in (then cancelled)."""
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda parent, caption, start="", *a, **k: (asked.append(start), ("", ""))[1]))
    qtbot.keyClick(w.viewport, *keys)
    assert asked, "Save As did not ask for a file"
    return Path(asked[0]).parent


def raise_tab(qtbot, w, title):
    """Click the dock tab called ``title`` (the History shares a tab bar with the Action Units)."""
    bar = next(b for b in w.findChildren(QTabBar) if b.isVisible()
               and any(b.tabText(i) == title for i in range(b.count())))
    i = next(i for i in range(bar.count()) if bar.tabText(i) == title)
    qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.tabRect(i).center())


def newest_row_whole(panel):
    last = panel.list.count() - 1
    rect, view = panel.row_rect(last), panel.list.viewport().rect()
    return view.contains(rect.topLeft()) and view.contains(rect.bottomLeft())


def test_the_history_shows_its_newest_row_whole(open_window, qtbot):
    w = open_window(Take(name="Many", duration=60, curves={
        n: Curve((Keyframe(0, 1.0),)) for n in ("AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09")}))
    panel = w.history_panel
    for _ in range(30):  # keyed while the History is behind the Action Units tab
        qtbot.keyClick(w.viewport, Qt.Key_Right)
        qtbot.keyClick(w.viewport, Qt.Key_K)
    raise_tab(qtbot, w, "History")
    qtbot.waitUntil(panel.isVisible)
    qtbot.waitUntil(lambda: newest_row_whole(panel), timeout=2000)
    assert panel.entries()[-1] == "Insert key AU12 @ 30"
    for _ in range(5):  # and while it is in front
        qtbot.keyClick(w.viewport, Qt.Key_Right)
        qtbot.keyClick(w.viewport, Qt.Key_K)
        assert newest_row_whole(panel), f"row {panel.list.count() - 1} is not whole"
    # Rows wider than the panel (a key on every channel with selected keys): still whole, no
    # horizontal scroll bar over them.
    w.timeline.setFocus()
    qtbot.keyClick(w.timeline, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClick(w.timeline, Qt.Key_I)
    for _ in range(3):
        qtbot.keyClick(w.timeline, Qt.Key_Right)
        qtbot.keyClick(w.timeline, Qt.Key_I)
        assert newest_row_whole(panel), f"row {panel.list.count() - 1} is not whole"
        assert not panel.list.horizontalScrollBar().isVisible()


def test_save_as_starts_in_the_audio_folder_then_the_takes_folder_else_home(open_window, qtbot, tmp_path,
                                                                            monkeypatch):
    wav = write_voice(tmp_path / "voices" / "line.wav", 1.0)
    w = open_window(Take(name="line", duration=25, audio=AudioRef(str(wav))))
    assert save_dialog_folder(monkeypatch, qtbot, w) == wav.parent
    target = tmp_path / "project" / "line.emz"
    target.parent.mkdir()
    assert w.file_save_as(target)
    assert save_dialog_folder(monkeypatch, qtbot, w) == target.parent
    qtbot.keyClick(w.viewport, Qt.Key_N, CTRL)  # a new silent take
    assert w.document.path is None and w.document.take.audio is None
    assert save_dialog_folder(monkeypatch, qtbot, w) == Path.home()


def test_export_starts_in_the_audio_folder_for_a_new_take(open_window, qtbot, tmp_path):
    wav = write_voice(tmp_path / "voices" / "line.wav", 1.0)
    w = open_window(Take(name="line", duration=25, audio=AudioRef(str(wav))))
    qtbot.keyClick(w.viewport, Qt.Key_E, CTRL)
    qtbot.waitUntil(lambda: w.export_dialog is not None and w.export_dialog.isVisible())
    path = Path(w.export_dialog.findChild(QLineEdit, "export_path").text())
    assert path.parent == wav.parent and path.name == "line.mp4"
    w.export_dialog.reject()


def test_the_fps_dialog_is_wide_enough_for_its_title(open_window, qtbot, tmp_path, monkeypatch, modals):  # noqa: F811
    w = open_window()
    wav = write_voice(tmp_path / "voice" / "greeting.wav", 1.0)
    patch_open_dialog(monkeypatch, wav)
    seen = {}

    def measure(dialog):
        seen["width"] = dialog.width()
        seen["title"] = dialog.fontMetrics().horizontalAdvance(dialog.windowTitle())
        press_escape(dialog)

    modals.expect("fps_dialog", measure)
    choose(qtbot, w, "File", "New From Audio…")
    assert modals.seen == ["fps_dialog"]
    assert seen["width"] >= FPS_DIALOG_MIN_WIDTH and seen["width"] >= 2 * seen["title"]


def test_open_recent_tells_two_takes_of_one_name_apart(open_window, qtbot, tmp_path):
    w = open_window()
    a, b = tmp_path / "a" / "take.emz", tmp_path / "b" / "take.emz"
    for p in (a, b):
        p.parent.mkdir()
        assert w.file_save_as(p)
    texts = [act.text() for act in w.recent_menu.actions()]
    assert texts[:2] == [f"take.emz \u2014 {b.parent}", f"take.emz \u2014 {a.parent}"]
    assert [act.statusTip() for act in w.recent_menu.actions()][:2] == [str(b), str(a)]
    choose_path(qtbot, w, "File", "Open Recent", texts[1])
    assert w.document.path == a


def test_the_keying_strip_names_speech_channels_as_the_channel_list_does(open_window, qtbot):
    w = open_window()
    combo = w.channel_combo
    for name in SPEECH_NAMES:
        i = combo.findData(name)
        assert combo.itemText(i) == name == w.channel_list.rows[name].label.text()

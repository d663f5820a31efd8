"""The animator's file journey in the real window, by menu, shortcut, mouse and drop: a new take
from a recording, importing audio (and undoing it), save and reopen, relinking a moved recording,
dropping files on the window, Discard at quit, bad recordings, and ``main.py AUDIO_OR_TAKE``.

Native file dialogs cannot be driven, so QFileDialog's static getters are monkeypatched to return
a path; every other dialog (the fps dialog, the relink and drop prompts, the unsaved-changes box)
is answered with real key presses and mouse clicks while it is up."""
from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDoubleSpinBox, QFileDialog, QMessageBox, QPushButton

from core.anim import AudioRef, Curve, Keyframe, Take
from core.aus import ZONE_INDEX
from core.document import find_recovery, load_take, save_take

from .windows import wait_current


@pytest.fixture
def window_size():
    return (1200, 800)


def write_voice(path: Path, seconds: float, rate: int = 16000, **kw) -> Path:
    """A 180 Hz voice whose loudness opens and closes four times a second."""
    t = np.arange(int(round(rate * seconds))) / rate
    env = (0.5 * (1 + np.sin(2 * np.pi * 4 * t))) ** 2
    x = env * (0.5 * np.sin(2 * np.pi * 180 * t) + 0.25 * np.sin(2 * np.pi * 900 * t))
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, x.astype(np.float32), rate, **kw)
    return path


class Modals:
    """Answers modal dialogs as they come up, in the order expected; any other modal is recorded
    and closed, so a test fails instead of hanging on a prompt nobody expected."""

    def __init__(self):
        self.expected: list[tuple[str, object]] = []
        self.seen: list[str] = []
        self.unexpected: list[str] = []
        self.timer = QTimer()
        self.timer.setInterval(40)
        self.timer.timeout.connect(self._poll)
        self.timer.start()

    def expect(self, name: str, answer) -> None:
        self.expected.append((name, answer))

    def _poll(self) -> None:
        box = QApplication.activeModalWidget()
        if box is None or not box.isVisible():
            return
        name = box.objectName()
        if self.expected and self.expected[0][0] == name:
            _, answer = self.expected.pop(0)
            self.seen.append(name)
            self.timer.stop()  # the answer may open the next modal inside this call
            try:
                answer(box)
            finally:
                self.timer.start()
        else:
            self.unexpected.append(name)
            box.close()

    def stop(self) -> None:
        self.timer.stop()


@pytest.fixture
def modals():
    m = Modals()
    yield m
    m.stop()


def type_fps(text: str):
    """Answer the fps dialog by typing into its box and pressing Enter."""
    def answer(dialog):
        spin = dialog.findChild(QDoubleSpinBox, "new_take_fps")
        spin.setFocus()
        QTest.keyClick(spin, Qt.Key_A, Qt.ControlModifier)
        QTest.keyClicks(spin, text)
        QTest.keyClick(spin, Qt.Key_Return)
    return answer


def press_escape(dialog):
    QTest.keyClick(dialog, Qt.Key_Escape)


def click_named(name: str):
    """Answer a box by clicking its button called ``name`` with the mouse."""
    def answer(box):
        button = box.findChild(QPushButton, name)
        QTest.mouseClick(button, Qt.LeftButton)
    return answer


def click_standard(which):
    def answer(box):
        QTest.mouseClick(box.button(which), Qt.LeftButton)
    return answer


def choose(qtbot, w, menu_title: str, item: str) -> None:
    """Open a menu of the menu bar with the mouse and click one of its items."""
    bar = w.menuBar()
    top = next(a for a in bar.actions() if a.text().replace("&", "") == menu_title)
    qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.actionGeometry(top).center())
    menu = top.menu()
    qtbot.waitUntil(menu.isVisible, timeout=5000)
    act = next(a for a in menu.actions() if a.text().replace("&", "") == item)
    qtbot.mouseClick(menu, Qt.LeftButton, pos=menu.actionGeometry(act).center())


def patch_open_dialog(monkeypatch, *paths):
    """QFileDialog.getOpenFileName returns ``paths`` in turn (the native dialog cannot be driven)."""
    queue = [str(p) for p in paths]
    asked = []

    def fake(*args, **kwargs):
        asked.append(args[1] if len(args) > 1 else kwargs.get("caption"))
        return (queue.pop(0), "") if queue else ("", "")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake))
    return asked


def drop_files(w, *paths) -> bool:
    """A real drag enter and drop of file URLs on the window; True when the window took the drag."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(w.rect().center())
    enter = QDragEnterEvent(pos.toPoint(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(w, enter)
    drop = QDropEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(w, drop)
    return enter.isAccepted() and drop.isAccepted()


def has_waveform(w) -> bool:
    _, lanes = w.timeline.waveform_envelope()
    return lanes.size > 0 and float(np.ptp(lanes)) > 0


def mouth_motion(w) -> float:
    zones = w.engine.zones
    members = (zones[:, ZONE_INDEX["mouth"]] + zones[:, ZONE_INDEX["jaw_chin"]]) > 0.5
    return float(w.shown.motion[members].max())


# ------------------------------------------------------------------------ new take from audio


def test_new_from_audio_by_menu_makes_a_take_as_long_as_the_recording(open_window, qtbot, tmp_path,
                                                                        monkeypatch, modals):
    w = open_window()
    wav = write_voice(tmp_path / "voice" / "greeting.wav", 4.0)
    asked = patch_open_dialog(monkeypatch, wav)
    modals.expect("fps_dialog", type_fps("30"))
    choose(qtbot, w, "File", "New From Audio…")
    assert modals.seen == ["fps_dialog"] and not modals.unexpected and asked
    take = w.document.take
    assert take.duration == 120 and take.fps == 30 and take.name == "greeting"
    assert take.audio == AudioRef(str(wav), 0.0)
    assert w.windowTitle() == "EmoZone Studio - greeting"
    assert w.transport.frame_box.maximum() == 119  # the transport shows the recording's length
    first, last = w.timeline.frame_range()
    assert first <= 0 and 119 <= last < 140  # the timeline shows the whole new take, not the old zoom
    assert has_waveform(w)
    assert take.curves["AU45"].keys  # auto-blink is on
    # The mouth follows the recording: some frame of the first half second opens it.
    motion = []
    for f in range(0, 16, 3):
        w.seek(f)
        wait_current(qtbot, w)
        motion.append(mouth_motion(w))
    assert max(motion) > 1e-3
    # The fps choice is remembered for the next time.
    assert w.settings.new_take_fps() == 30


def test_cancelling_the_fps_dialog_keeps_the_current_take(open_window, qtbot, tmp_path, monkeypatch, modals):
    w = open_window()
    before = w.document.take
    patch_open_dialog(monkeypatch, write_voice(tmp_path / "a.wav", 1.0))
    modals.expect("fps_dialog", press_escape)
    qtbot.keyClick(w.viewport, Qt.Key_N, Qt.ControlModifier | Qt.ShiftModifier)  # the shortcut
    assert modals.seen == ["fps_dialog"]
    assert w.document.take is before


def test_a_bad_recording_gets_an_error_naming_it_and_the_take_stays(open_window, qtbot, tmp_path, monkeypatch, modals):
    w = open_window()
    before = w.document.take
    bad = tmp_path / "broken take.m4a"
    bad.write_bytes(b"\x00\x00\x00\x18ftypM4A " + os.urandom(400))
    errors = []
    w.error_shown.connect(errors.append)
    patch_open_dialog(monkeypatch, bad, bad)
    choose(qtbot, w, "File", "New From Audio…")
    assert errors and str(bad) in errors[-1]
    assert w.document.take is before and w.isVisible()
    box = w.findChild(QMessageBox, "error_box")
    assert box is not None and box.isVisible() and str(bad) in box.text()
    box.close()
    qtbot.keyClick(w.viewport, Qt.Key_I, Qt.ControlModifier)  # Import Audio… the same file
    assert len(errors) == 2 and str(bad) in errors[-1]
    assert w.document.take is before and not w.document.history.can_undo
    assert not modals.unexpected


# ------------------------------------------------------------------------------- import audio


def test_import_audio_grows_the_take_and_one_undo_restores_the_silent_take(open_window, qtbot, tmp_path,
                                                                            monkeypatch):
    silent = Take(name="Blank", duration=40).with_curve("AU12", Curve((Keyframe(0, 0.0), Keyframe(30, 4.0))))
    w = open_window(silent)
    assert not has_waveform(w)
    wav = write_voice(tmp_path / "line.flac", 3.0, format="FLAC")
    patch_open_dialog(monkeypatch, wav)
    choose(qtbot, w, "File", "Import Audio…")
    take = w.document.take
    assert take.audio == AudioRef(str(wav), 0.0) and take.duration == 75  # grown to cover 3 s
    assert take.curves == silent.curves and take.name == "Blank"
    assert len(w.document.history) == 1 and w.document.history.undo_text == f"Import audio {wav.name}"
    assert w.windowTitle().endswith("*")
    assert has_waveform(w) and w.transport.frame_box.maximum() == 74
    first, last = w.timeline.frame_range()
    assert first <= 0 and 74 <= last < 90  # the grown take is seen whole
    wait_current(qtbot, w)

    qtbot.keyClick(w.viewport, Qt.Key_Z, Qt.ControlModifier)
    assert w.document.take is silent
    assert not has_waveform(w) and w.transport.frame_box.maximum() == 39
    assert w.timeline.frame_range()[1] < 50
    assert not w.windowTitle().endswith("*")
    wait_current(qtbot, w)
    qtbot.keyClick(w.viewport, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert w.document.take.audio == AudioRef(str(wav), 0.0) and has_waveform(w)


# ------------------------------------------------------------------------------ save, reopen


def test_save_and_reopen_keeps_curves_audio_and_fps(open_window, qtbot, tmp_path, monkeypatch, modals):
    w = open_window()
    wav = write_voice(tmp_path / "audio" / "scene.ogg", 1.5, format="OGG", subtype="VORBIS")
    patch_open_dialog(monkeypatch, wav)
    modals.expect("fps_dialog", type_fps("24"))
    choose(qtbot, w, "File", "New From Audio…")
    assert w.document.take.fps == 24
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)  # the prompt handed the keys back
    w.seek(10)
    wait_current(qtbot, w)
    w.channel_combo.setCurrentIndex(w.channel_combo.findData("AU12"))
    w.value_box.setValue(3.5)
    qtbot.keyClick(w.viewport, Qt.Key_K)
    made = w.document.take
    target = tmp_path / "takes" / "scene.emz"
    target.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    qtbot.keyClick(w.viewport, Qt.Key_S, Qt.ControlModifier | Qt.ShiftModifier)  # Save As…
    assert target.exists() and w.windowTitle() == "EmoZone Studio - scene"
    raw = json.loads(target.read_text())
    assert raw["audio"]["path"] == "../audio/scene.ogg" and raw["audio"]["absolute"] == wav.as_posix()

    qtbot.keyClick(w.viewport, Qt.Key_N, Qt.ControlModifier)  # New: saved, so no prompt
    assert w.document.take.audio is None and not has_waveform(w)
    patch_open_dialog(monkeypatch, target)
    qtbot.keyClick(w.viewport, Qt.Key_O, Qt.ControlModifier)
    back = w.document.take
    assert back.fps == 24 and back.duration == made.duration == 36
    assert back.audio == AudioRef(str(wav), 0.0) and has_waveform(w)
    assert back.curves == made.curves
    assert [(k.frame, k.value) for k in back.curves["AU12"].keys] == [(10.0, 3.5)]
    assert not w.document.is_dirty and not modals.unexpected


# ------------------------------------------------------------------------------------ relink


def _take_with_moved_audio(tmp_path) -> tuple[Path, Path, Path]:
    wav = write_voice(tmp_path / "proj" / "audio" / "line.wav", 1.2)
    take = Take(name="line", duration=30, audio=AudioRef(str(wav), 0.2)).with_curve(
        "AU01", Curve((Keyframe(3, 2.0), Keyframe(20, 0.0))))
    emz = tmp_path / "proj" / "line.emz"
    save_take(take, emz)
    moved = tmp_path / "elsewhere" / "line.wav"
    moved.parent.mkdir()
    shutil.move(wav, moved)
    return emz, wav, moved


def test_relink_a_moved_recording_with_locate(open_window, qtbot, tmp_path, monkeypatch, modals):
    emz, old, moved = _take_with_moved_audio(tmp_path)
    w = open_window()
    modals.expect("relink_box", click_named("relink_locate"))
    patch_open_dialog(monkeypatch, emz, moved)  # File > Open, then Locate…
    choose(qtbot, w, "File", "Open…")
    qtbot.waitUntil(lambda: modals.seen == ["relink_box"], timeout=10000)
    qtbot.waitUntil(lambda: w.document.take.audio.path == str(moved), timeout=10000)
    take = w.document.take
    assert take.audio == AudioRef(str(moved), 0.2) and take.name == "line"
    assert has_waveform(w) and w.windowTitle().endswith("*")  # fixed path: save to keep it
    assert [k.frame for k in take.curves["AU01"].keys] == [3, 20]
    qtbot.keyClick(w.viewport, Qt.Key_S, Qt.ControlModifier)
    assert load_take(emz).audio.path == str(moved) and not modals.unexpected


def test_continue_silently_keeps_the_take_and_its_audio_path(open_window, qtbot, tmp_path, monkeypatch, modals):
    emz, old, moved = _take_with_moved_audio(tmp_path)
    w = open_window()
    modals.expect("relink_box", click_named("relink_silent"))
    patch_open_dialog(monkeypatch, emz)
    qtbot.keyClick(w.viewport, Qt.Key_O, Qt.ControlModifier)
    qtbot.waitUntil(lambda: modals.seen == ["relink_box"], timeout=10000)
    qtbot.wait(100)
    take = w.document.take
    assert take.audio == AudioRef(str(old), 0.2) and not has_waveform(w)
    assert not w.document.is_dirty and [k.frame for k in take.curves["AU01"].keys] == [3, 20]
    # Saving keeps the path: when the recording comes back, the take finds it again.
    qtbot.keyClick(w.viewport, Qt.Key_K)
    qtbot.keyClick(w.viewport, Qt.Key_S, Qt.ControlModifier)
    shutil.move(moved, old)
    assert load_take(emz).audio.path == str(old)
    assert not modals.unexpected


# ------------------------------------------------------------------------------ drag and drop


def test_dropping_recordings_and_takes_on_the_window(open_window, qtbot, tmp_path, modals):
    w = open_window()
    first = write_voice(tmp_path / "first.wav", 1.0)
    second = write_voice(tmp_path / "second.mp3", 2.0, format="MP3")
    # No audio on the current take: a dropped recording makes a new take from it.
    modals.expect("fps_dialog", type_fps("25"))
    assert drop_files(w, first)
    qtbot.waitUntil(lambda: w.document.take.name == "first", timeout=10000)
    assert w.document.take.audio.path == str(first) and w.document.take.duration == 25
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)  # the prompt handed the keys back
    # With audio: the user is asked; Import puts the recording on this take in one undo step.
    qtbot.keyClick(w.viewport, Qt.Key_K)
    keyed = w.document.take
    modals.expect("drop_box", click_named("drop_import"))
    assert drop_files(w, second)
    qtbot.waitUntil(lambda: w.document.take.audio.path == str(second), timeout=10000)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)  # the prompt handed the keys back
    assert w.document.take.name == "first" and w.document.take.curves == keyed.curves
    assert w.document.take.duration >= 50 and has_waveform(w)
    qtbot.keyClick(w.viewport, Qt.Key_Z, Qt.ControlModifier)
    assert w.document.take is keyed
    # ... or New makes another take (after the unsaved-changes prompt).
    modals.expect("drop_box", click_named("drop_new"))
    modals.expect("fps_dialog", type_fps("25"))
    modals.expect("unsaved_box", click_standard(QMessageBox.Discard))
    assert drop_files(w, second)
    qtbot.waitUntil(lambda: w.document.take.name == "second", timeout=10000)
    assert w.document.take.curves["AU12"].keys == ()
    # A dropped take file opens.
    emz = tmp_path / "other.emz"
    save_take(Take(name="other", duration=12), emz)
    assert drop_files(w, emz)
    qtbot.waitUntil(lambda: w.document.take.name == "other", timeout=10000)
    assert w.document.path == emz
    assert modals.seen == ["fps_dialog", "drop_box", "drop_box", "fps_dialog", "unsaved_box"]
    assert not modals.unexpected
    # Something that is not a file (text) is not taken.
    mime = QMimeData()
    mime.setText("hello")
    enter = QDragEnterEvent(w.rect().center(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(w, enter)
    assert not enter.isAccepted()


# --------------------------------------------------------------------------- discard at quit


def test_discard_at_quit_leaves_nothing_to_recover(open_window, qtbot, tmp_path, monkeypatch, modals):
    emz = tmp_path / "take.emz"
    save_take(Take(name="take", duration=30), emz)
    w = open_window()
    assert w.open_path(emz)
    qtbot.keyClick(w.viewport, Qt.Key_K)
    w.autosaver.tick(0.0)
    side = w.autosaver.tick(1000.0)  # the minute has passed: the edits are autosaved
    os.utime(emz, ns=(side.stat().st_mtime_ns - 10**9,) * 2)
    assert find_recovery(emz) == side  # a crash now would offer them
    modals.expect("unsaved_box", click_standard(QMessageBox.Discard))
    assert w.close()
    assert modals.seen == ["unsaved_box"] and not side.exists()

    w2 = open_window()
    patch_open_dialog(monkeypatch, emz)
    qtbot.keyClick(w2.viewport, Qt.Key_O, Qt.ControlModifier)
    assert w2.document.path == emz and w2.document.take.curves["AU12"].keys == ()
    assert "recover_box" not in modals.seen + modals.unexpected


def test_discard_at_open_also_removes_the_autosave(open_window, qtbot, tmp_path, monkeypatch, modals):
    emz = tmp_path / "take.emz"
    save_take(Take(name="take", duration=30), emz)
    other = tmp_path / "other.emz"
    save_take(Take(name="other", duration=30), other)
    w = open_window()
    assert w.open_path(emz)
    qtbot.keyClick(w.viewport, Qt.Key_K)
    w.autosaver.tick(0.0)
    side = w.autosaver.tick(1000.0)
    assert side.exists()
    modals.expect("unsaved_box", click_standard(QMessageBox.Discard))
    patch_open_dialog(monkeypatch, other)
    qtbot.keyClick(w.viewport, Qt.Key_O, Qt.ControlModifier)
    assert w.document.path == other and not side.exists()


# ------------------------------------------- open asks about unsaved changes after the file is read


def _dirty_take_with_autosave(w, qtbot, tmp_path) -> tuple[Path, Take, Path]:
    """A saved take open in the window, keyed with K and autosaved (a crash now would offer it)."""
    emz = tmp_path / "mine.emz"
    save_take(Take(name="mine", duration=30), emz)
    assert w.open_path(emz)
    qtbot.keyClick(w.viewport, Qt.Key_K)
    w.autosaver.tick(0.0)
    side = w.autosaver.tick(1000.0)
    assert side is not None and side.exists() and w.document.is_dirty
    return emz, w.document.take, side


def ctrl_o(qtbot, w) -> None:
    """Ctrl+O once the window has the keys again (a box just closed; no window manager here)."""
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    qtbot.keyClick(w.viewport, Qt.Key_O, Qt.ControlModifier)


def test_open_reads_the_file_before_asking_and_a_broken_or_cancelled_open_keeps_the_edits_and_autosave(
        open_window, qtbot, tmp_path, monkeypatch, modals):
    w = open_window()
    emz, edited, side = _dirty_take_with_autosave(w, qtbot, tmp_path)
    kept = side.read_bytes()
    broken = tmp_path / "broken.emz"
    broken.write_text('{"schema": "Take.3", "name": "cut off')
    other = tmp_path / "other.emz"
    save_take(Take(name="other", duration=12), other)
    patch_open_dialog(monkeypatch, "", broken, other, other)
    # The dialog cancelled: nothing asked, nothing changed.
    ctrl_o(qtbot, w)
    assert w.document.take is edited and w.document.is_dirty and side.read_bytes() == kept
    # A broken file: its error (naming it), no unsaved-changes prompt, the edits and their autosave stay.
    errors = []
    w.error_shown.connect(errors.append)
    modals.expect("error_box", lambda box: box.close())
    ctrl_o(qtbot, w)
    assert len(errors) == 1 and str(broken) in errors[0]
    assert w.document.take is edited and w.document.path == emz and side.read_bytes() == kept
    qtbot.waitUntil(lambda: modals.seen == ["error_box"], timeout=5000)
    assert not modals.unexpected
    # A good file: now the prompt; Cancel keeps everything, Discard opens it and only then drops the autosave.
    modals.expect("unsaved_box", click_standard(QMessageBox.Cancel))
    ctrl_o(qtbot, w)
    assert w.document.take is edited and side.read_bytes() == kept
    assert modals.seen == ["error_box", "unsaved_box"]
    modals.expect("unsaved_box", click_standard(QMessageBox.Discard))
    ctrl_o(qtbot, w)
    assert modals.seen == ["error_box", "unsaved_box", "unsaved_box"], modals.unexpected
    assert w.document.path == other and w.document.take.name == "other" and not side.exists()
    assert modals.seen == ["error_box", "unsaved_box", "unsaved_box"] and not modals.unexpected


def test_dropping_a_broken_take_or_a_fake_recording_asks_nothing_and_keeps_the_edits(open_window, qtbot, tmp_path,
                                                                                    modals):
    w = open_window()
    emz, edited, side = _dirty_take_with_autosave(w, qtbot, tmp_path)
    kept = side.read_bytes()
    broken = tmp_path / "dropped.emz"
    broken.write_text("[1, 2")
    errors = []
    w.error_shown.connect(errors.append)
    modals.expect("error_box", lambda box: box.close())
    assert drop_files(w, broken)
    qtbot.waitUntil(lambda: len(errors) == 1, timeout=10000)
    assert str(broken) in errors[0]
    assert w.document.take is edited and w.document.is_dirty and side.read_bytes() == kept
    # A "recording" that is not audio, dropped on a take that has audio: its error, no Import/New question.
    voice = write_voice(tmp_path / "voice.wav", 1.0)
    w.files.import_audio(voice)
    with_audio = w.document.take
    fake = tmp_path / "not audio.wav"
    fake.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk" * 30)
    modals.expect("error_box", lambda box: box.close())
    assert drop_files(w, fake)
    qtbot.waitUntil(lambda: len(errors) == 2, timeout=10000)
    assert str(fake) in errors[1]
    assert w.document.take is with_audio and w.document.is_dirty and side.exists()
    qtbot.waitUntil(lambda: len(modals.seen) == 2, timeout=5000)
    assert modals.seen == ["error_box", "error_box"] and not modals.unexpected


# -------------------------------------------------------------------------- main.py AUDIO_OR_TAKE


@pytest.mark.parametrize("kind", ["audio", "take"])
def test_main_opens_a_recording_or_a_take(qtbot, tmp_path, kind):
    import main

    wav = write_voice(tmp_path / "hello.wav", 1.0)
    emz = tmp_path / "hello.emz"
    save_take(Take(name="hello", fps=30, duration=30, audio=AudioRef(str(wav))), emz)
    argv = [str(wav), "--fps", "30"] if kind == "audio" else [str(emz)]
    # The studio's own settings go to a temporary folder, not the user's.
    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, str(tmp_path / "settings"))
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    seen = {}

    def inspect_and_close():
        from studio.main_window import MainWindow

        wins = [x for x in QApplication.topLevelWidgets() if isinstance(x, MainWindow) and x.isVisible()]
        if not wins:
            QTimer.singleShot(100, inspect_and_close)
            return
        win = wins[0]
        seen["take"], seen["path"], seen["title"] = win.document.take, win.document.path, win.windowTitle()
        win.document.history.set_clean()
        win.close()
        win.deleteLater()
        QApplication.instance().quit()

    QTimer.singleShot(0, inspect_and_close)
    assert main.main(argv) == 0
    take = seen["take"]
    assert take.name == "hello" and take.fps == 30 and take.duration == 30
    assert take.audio.path == str(wav)
    if kind == "audio":
        assert seen["path"] is None  # a new, untitled take on the recording
    else:
        assert seen["path"] == emz
    assert seen["title"].startswith("EmoZone Studio - hello")


def test_an_unreadable_recording_of_a_take_gets_an_error_not_a_relink(open_window, qtbot, tmp_path,
                                                                      monkeypatch, modals):
    bad = tmp_path / "noise.wav"
    bad.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk" * 30)
    emz = tmp_path / "t.emz"
    save_take(Take(name="t", duration=20, audio=AudioRef(str(bad))), emz)
    w = open_window()
    errors = []
    w.error_shown.connect(errors.append)
    patch_open_dialog(monkeypatch, emz)
    qtbot.keyClick(w.viewport, Qt.Key_O, Qt.ControlModifier)
    qtbot.wait(200)
    assert w.document.path == emz and errors and str(bad) in errors[-1]
    assert w.document.take.audio.path == str(bad) and not has_waveform(w)
    assert "relink_box" not in modals.seen + modals.unexpected


def test_locate_with_an_unreadable_file_keeps_the_take(open_window, qtbot, tmp_path, monkeypatch, modals):
    emz, old, moved = _take_with_moved_audio(tmp_path)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio" * 50)
    w = open_window()
    errors = []
    w.error_shown.connect(errors.append)
    modals.expect("relink_box", click_named("relink_locate"))
    patch_open_dialog(monkeypatch, emz, junk)
    qtbot.keyClick(w.viewport, Qt.Key_O, Qt.ControlModifier)
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert str(junk) in errors[-1]
    assert w.document.take.audio.path == str(old) and not w.document.is_dirty


# ------------------------------------------------------------------- lanes survive reopening


def _wheel(widget, steps: int, mods):
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QWheelEvent

    centre = QPointF(widget.width() / 2, widget.height() / 2)
    ev = QWheelEvent(centre, widget.mapToGlobal(centre), QPoint(), QPoint(0, 120 * steps),
                     Qt.NoButton, mods, Qt.NoScrollPhase, False)
    QApplication.sendEvent(widget, ev)


def test_lane_heights_and_hidden_lanes_survive_reopening_the_studio(open_window, qtbot):
    from PySide6.QtWidgets import QScrollArea

    w = open_window()
    px0 = w.timeline.view_state()["lane_px"]
    assert "AU04" in w.timeline.visible_channels()
    button = w.channel_list.button("AU04", "visible")
    area = button.parentWidget()
    while area is not None and not isinstance(area, QScrollArea):
        area = area.parentWidget()
    if area is not None:
        area.ensureWidgetVisible(button)
        qtbot.wait(20)
    qtbot.mouseClick(button, Qt.LeftButton)  # V: hide AU04's lane
    assert "AU04" not in w.timeline.visible_channels()
    _wheel(w.timeline.plot_viewport(), 2, Qt.ControlModifier)  # Ctrl+wheel: taller lanes
    state = w.timeline.view_state()
    assert state["lane_px"] > px0 * 1.2 and state["hidden_channels"] == ["AU04"]
    assert w.close()

    w2 = open_window()
    assert w2.timeline.view_state() == state
    assert "AU04" not in w2.timeline.visible_channels()
    assert not w2.channel_list.button("AU04", "visible").isChecked()
    assert w2.channel_list.button("AU12", "visible").isChecked()

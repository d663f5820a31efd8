"""The lip sync journey on the real window (QTest events): a take made from a voice recording opens
with the phoneme lip sync; Ctrl+T types a transcript that is aligned to the voice and moves the
mouth; Lip Sync > Energy hands the mouth to the energy driver; mouth cues from a Rhubarb file become
the speech curves; each is one undo step."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from core.aus import SPEECH_INDEX
from studio.engine import Engine

from .test_journey_edit import click_menu_item, popup
from .windows import open_windows, wait_current

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")

L = Qt.LeftButton
TEXT = "Maybe Bob bought a big purple lamp."


@pytest.fixture(scope="module")
def engine():
    return Engine(driver="rig")  # the lip sync drives the rig's speech controls


@pytest.fixture
def open_window(qtbot, tmp_path, engine):
    yield from open_windows(qtbot, tmp_path, engine, size=(1240, 860))


@pytest.fixture(scope="module")
def voice_take(tmp_path_factory):
    import soundfile as sf

    from core.audio.espeak import ESPEAK_RATE, speak
    from core.document.new_take import new_take_from_audio

    audio, _ph = speak(TEXT, voice="en-us", words_per_minute=150)
    path = tmp_path_factory.mktemp("voice") / "line.wav"
    sf.write(path, np.concatenate([np.zeros(4000, np.float32), audio, np.zeros(4000, np.float32)]), ESPEAK_RATE)
    return new_take_from_audio(path)


def lip_close(w) -> np.ndarray:
    return w.engine.audio_speech(w.document.take, "lip_close")


def type_transcript_later(qtbot, text: str):
    """Type ``text`` into the transcript dialog once it is up, then press its OK button."""
    def answer():
        box = QApplication.activeModalWidget()
        if box is None or box.objectName() != "transcript_dialog":
            QTimer.singleShot(50, answer)
            return
        box.edit.selectAll()
        QTest.keyClicks(box.edit, text)
        from PySide6.QtWidgets import QDialogButtonBox

        buttons = box.findChild(QDialogButtonBox)
        QTest.mouseClick(buttons.button(QDialogButtonBox.Ok), L)
    QTimer.singleShot(50, answer)


def test_a_transcript_typed_in_the_window_moves_the_mouth_and_undoes(open_window, qtbot, voice_take):
    w = open_window(voice_take)
    assert w.lipsync_ui.driver_actions["phonemes"].isChecked()
    recognised = lip_close(w)
    revision = w.document.history.revision
    # The recognised phones are drawn under the waveform, on the take's frames.
    qtbot.waitUntil(lambda: len(w.timeline.phoneme_items()) > 5)
    strip = w.timeline.phoneme_items()
    assert all(0 <= a < b <= w.document.take.duration + 1 for a, b, _p, _s in strip)
    assert {sh for _a, _b, _p, sh in strip} >= {"A"}  # a bilabial heard

    type_transcript_later(qtbot, TEXT)
    QTest.keyClick(w, Qt.Key_T, Qt.ControlModifier)
    qtbot.waitUntil(lambda: w.document.history.revision == revision + 1, timeout=20000)
    wait_current(qtbot, w)
    assert w.document.take.lipsync.transcript == TEXT and w.windowTitle().endswith("*")  # unsaved
    assert "transcript aligned" in w.statusBar().currentMessage()
    aligned = lip_close(w)
    assert not np.allclose(aligned, recognised)
    qtbot.waitUntil(lambda: w.timeline.phoneme_items() != strip)
    phones = [p for _a, _b, p, _s in w.timeline.phoneme_items() if p != "SIL"]
    assert phones[:4] == ["M", "EY", "B", "IY"]  # "maybe", as the dictionary spells it
    # Ten /p b m/ in the line: the aligned lip sync closes the lips on each (runs of closed frames).
    runs = int(np.sum(np.diff((aligned >= 0.5).astype(int)) == 1))
    assert runs >= 7, runs

    QTest.keyClick(w, Qt.Key_Z, Qt.ControlModifier)
    qtbot.waitUntil(lambda: w.document.take.lipsync.transcript == "")
    np.testing.assert_allclose(lip_close(w), recognised)
    qtbot.waitUntil(lambda: w.timeline.phoneme_items() == strip)


def test_the_energy_driver_is_one_menu_click_away(open_window, qtbot, voice_take):
    from core.audio.decode import load_audio
    from core.audio.speech_driver import speech_controls

    w = open_window(voice_take)
    phonemes = lip_close(w)
    bar = w.menuBar()
    act = next(a for a in bar.actions() if a.text() == "&Lip Sync")
    qtbot.mouseClick(bar, L, Qt.NoModifier, bar.actionGeometry(act).center())
    click_menu_item(qtbot, popup(qtbot), "Energy (the signal alone)")
    qtbot.waitUntil(lambda: w.document.take.lipsync.driver == "energy")
    wait_current(qtbot, w)
    assert w.lipsync_ui.driver_actions["energy"].isChecked()
    assert w.timeline.phoneme_items() == []  # no phones with the energy driver
    take = w.document.take
    clip = load_audio(take.audio.path)
    energy = speech_controls(clip.analysis(), take.fps, take.duration + 1)[: take.duration, SPEECH_INDEX["lip_close"]]
    np.testing.assert_allclose(lip_close(w), energy, atol=1e-6)
    QTest.keyClick(w, Qt.Key_Z, Qt.ControlModifier)
    qtbot.waitUntil(lambda: w.document.take.lipsync.driver == "phonemes")
    assert w.lipsync_ui.driver_actions["phonemes"].isChecked()
    np.testing.assert_allclose(lip_close(w), phonemes)


def test_mouth_cues_from_a_rhubarb_file_become_the_speech_curves(open_window, qtbot, voice_take, tmp_path):
    w = open_window(voice_take)
    cues = tmp_path / "line.tsv"
    cues.write_text("0.00\tX\n0.40\tA\n0.60\tD\n1.00\tX\n")
    revision = w.document.history.revision
    assert w.lipsync_ui.import_cues(str(cues))
    take = w.document.take
    assert w.document.history.revision == revision + 1
    assert all(take.speech[ch].override for ch in ("jaw_open", "lip_close"))
    values = w.engine.controls(take, 20)[1]  # frame 20 = 0.8 s: the D cue, wide open
    assert values[SPEECH_INDEX["jaw_open"]] > 0.7
    values = w.engine.controls(take, 12)[1]  # 0.48 s: the A cue, lips closed
    assert values[SPEECH_INDEX["lip_close"]] > 0.9
    bad = tmp_path / "bad.tsv"
    bad.write_text("0.00\tA\n0.50\tQ\n")
    errors = []
    w.show_error = lambda title, text: errors.append(text)
    assert not w.lipsync_ui.import_cues(str(bad))
    assert "bad.tsv: line 2" in errors[0] and w.document.history.revision == revision + 1
    QTest.keyClick(w, Qt.Key_Z, Qt.ControlModifier)
    qtbot.waitUntil(lambda: not w.document.take.speech["jaw_open"].override)


def test_the_takes_mouth_cues_export_as_rhubarb_reads_them(open_window, qtbot, voice_take, tmp_path):
    from core.audio.lipsync_files import read_cues

    w = open_window(voice_take)
    assert w.lipsync_ui.export_cues(str(tmp_path / "line.json"))
    cues = read_cues(tmp_path / "line.json")
    assert cues[0][0] == 0.0 and cues[-1][1] == pytest.approx(voice_take.duration / voice_take.fps, abs=0.05)
    assert "A" in {s for _a, _b, s in cues} and "Wrote line.json" in w.statusBar().currentMessage()
    # The energy driver has no phonemes to export: a clear message, nothing written.
    w.lipsync_ui.set_driver("energy")
    errors = []
    w.show_error = lambda title, text: errors.append(text)
    assert not w.lipsync_ui.export_cues(str(tmp_path / "none.tsv"))
    assert "Lip Sync > Phonemes" in errors[0] and not (tmp_path / "none.tsv").exists()


def test_the_phones_show_when_no_driver_asks_for_them(open_window, qtbot, voice_take):
    """The model reads the audio itself, so under it no driver asks for the phones: the strip has them
    analysed on a thread (through the shared cache) and fills in when they are ready."""
    from core.drive import SPEECH_CACHE

    w = open_window(voice_take)
    qtbot.waitUntil(lambda: len(w.timeline.phoneme_items()) > 5)
    drawn = w.timeline.phoneme_items()
    SPEECH_CACHE.clear()  # as if nothing had analysed the recording
    w.lipsync_ui._needs_own_analysis = lambda: True  # as under the model driver (no rig worker asks)
    w.timeline.set_phonemes([])
    w.lipsync_ui.sync()
    assert w.timeline.phoneme_items() == [] and w.lipsync_ui._poll.isActive()
    qtbot.waitUntil(lambda: w.timeline.phoneme_items() == drawn, timeout=20000)
    qtbot.waitUntil(lambda: not w.lipsync_ui._poll.isActive())

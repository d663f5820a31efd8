"""Fixing a lip-sync moment in the real window: checking a speech lane's override box hands the
control to its curve, seeded (when the curve has no keys) with what the audio drives there, so the
jaw keeps moving with the voice and the animator edits only the wrong moment. One Ctrl+Z puts
back both the flag and the empty curve. Real mouse and key events on the real MainWindow."""
from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from core.anim import AudioRef, Curve, Keyframe, Take
from core.anim.curve import evaluate
from core.anim.take import SpeechDrive
from core.aus import SPEECH_NAMES
from studio.session import SAMPLE_AUDIO

from .windows import wait_current

L = Qt.LeftButton
JAW = SPEECH_NAMES.index("jaw_open")

pytestmark = pytest.mark.skipif(not SAMPLE_AUDIO.exists(), reason="the bundled sample speech is missing")



def speech_take(**curves) -> Take:
    import soundfile

    fps = 25.0
    duration = int(math.ceil(soundfile.info(str(SAMPLE_AUDIO)).duration * fps))
    return Take(name="Voice", fps=fps, duration=duration, audio=AudioRef(str(SAMPLE_AUDIO)), curves=curves)


def click_override(qtbot, w, channel="jaw_open"):
    tl = w.timeline
    tl.scroll_to_channel(channel)
    box = tl.override_checkbox(channel)
    qtbot.waitUntil(box.isVisible)
    qtbot.mouseClick(box, L, Qt.NoModifier, QPoint(box.width() // 2 if box.width() < 20 else 8, box.height() // 2))
    return box


def jaw_shown(w, frame):
    """The jaw control the rig gets at ``frame`` with the take as the window has it."""
    return float(w.engine.controls(w.document.take, frame)[1][JAW])


def test_override_on_seeds_the_jaw_curve_from_the_audio_and_one_undo_restores_it(open_window, qtbot):
    w = open_window(speech_take())
    audio = w.engine.audio_speech(w.document.take, "jaw_open")
    assert audio is not None and audio.max() > 0.3, "the sample speech should open the jaw"
    loud = int(np.argmax(audio))
    w.seek(loud)
    wait_current(qtbot, w)
    motion_audio = float(w.shown.motion.max())
    assert motion_audio > 0

    box = click_override(qtbot, w)
    take = w.document.take
    assert take.speech["jaw_open"].override and box.isChecked()
    curve = take.curves["jaw_open"]
    assert 2 < len(curve.keys) < take.duration, "baked and thinned keys expected"
    frames = np.arange(take.duration, dtype=np.float64)
    assert np.abs(evaluate(curve, frames) - audio).max() <= 0.021
    assert w.document.history.undo_text == "Override jaw_open"
    # The lane draws the new keys; the mouth at the loud frame still opens as it did.
    assert len(w.timeline.drawn_keys("jaw_open")[0]) == len(curve.keys)
    assert jaw_shown(w, loud) == pytest.approx(audio[loud], abs=0.021)
    wait_current(qtbot, w)
    assert float(w.shown.motion.max()) == pytest.approx(motion_audio, rel=0.05)

    qtbot.keyClick(w.viewport, Qt.Key_Z, Qt.ControlModifier)
    take = w.document.take
    assert not take.speech.get("jaw_open", SpeechDrive()).override and not box.isChecked()
    assert len(take.curves["jaw_open"].keys) == 0
    assert not w.windowTitle().endswith("*")


def test_override_keeps_a_curve_that_already_has_keys(open_window, qtbot):
    mine = Curve((Keyframe(5, 0.2), Keyframe(30, 0.9)))
    w = open_window(speech_take(jaw_open=mine))
    click_override(qtbot, w)
    take = w.document.take
    assert take.speech["jaw_open"].override
    assert [(k.frame, k.value) for k in take.curves["jaw_open"].keys] == [(5.0, 0.2), (30.0, 0.9)]
    assert jaw_shown(w, 30) == pytest.approx(0.9)


def test_override_off_then_on_again_keeps_the_edited_curve(open_window, qtbot):
    w = open_window(speech_take())
    click_override(qtbot, w)
    n = len(w.document.take.curves["jaw_open"].keys)
    box = click_override(qtbot, w)  # off: the audio drives again, the keys stay for later
    assert not w.document.take.speech["jaw_open"].override and not box.isChecked()
    assert w.document.history.undo_text == "Audio drives jaw_open"
    assert len(w.document.take.curves["jaw_open"].keys) == n
    click_override(qtbot, w)
    assert len(w.document.take.curves["jaw_open"].keys) == n


def test_override_on_a_silent_take_starts_an_empty_curve(open_window, qtbot):
    w = open_window(Take(name="Silent", fps=25.0, duration=40))
    click_override(qtbot, w)
    assert w.document.take.speech["jaw_open"].override
    assert len(w.document.take.curves["jaw_open"].keys) == 0

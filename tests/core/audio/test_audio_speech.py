"""espeak-ng ground truth and the speech-to-mouth driver, measured on real synthesised speech."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import soundfile as sf

from core.aus import NUM_SPEECH, SPEECH_INDEX

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def test_espeak_ctypes_gives_audio_and_ordered_phonemes():
    from core.audio.espeak import ESPEAK_RATE, _speak_ctypes

    audio, ph = _speak_ctypes("Bob met me.", "en-us", 160)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert 0.5 < audio.shape[0] / ESPEAK_RATE < 3.0
    names = [p for p, _a, _b in ph]
    assert names.count("b") == 2 and names.count("m") == 2
    starts = np.array([a for _p, a, _b in ph])
    ends = np.array([b for _p, _a, b in ph])
    assert (np.diff(starts) > 0).all() and (ends > starts).all()
    assert ends[-1] <= audio.shape[0] / ESPEAK_RATE + 1e-6
    # The exact event positions line up with the audio: the first /b/ closure is quiet
    # compared with the vowel that follows it.
    b0 = next((a, b) for p, a, b in ph if p == "b")
    vowel = next((a, b) for p, a, b in ph if a >= b0[1])
    rms = lambda a, b: float(np.sqrt(np.mean(audio[int(a * ESPEAK_RATE):int(b * ESPEAK_RATE)] ** 2)))
    assert rms(*b0) < 0.5 * rms(*vowel)


def test_espeak_cli_fallback_runs():
    from core.audio.espeak import _speak_cli

    audio, ph = _speak_cli("Bob met me.", "en-us", 160)
    assert audio.size > 0 and [p for p, _a, _b in ph].count("b") == 2


def test_make_sample_speech(tmp_path):
    from core.audio.decode import load_audio
    from core.audio.espeak import make_sample_speech

    path = make_sample_speech(tmp_path / "sub" / "speech.wav", sentences=("Hello there.", "Bye now."))
    info = sf.info(str(path))
    assert info.subtype == "PCM_16" and info.channels == 1
    clip = load_audio(path)
    assert 1.0 < clip.duration < 5.0


def test_bundled_sample_speech_is_valid():
    from pathlib import Path

    from core.audio.decode import load_audio

    path = Path(__file__).resolve().parents[3] / "assets" / "audio" / "sample_speech.wav"
    clip = load_audio(path)
    assert 6.0 <= clip.duration <= 10.0 and path.stat().st_size < 500_000


def test_speech_controls_shape_range_and_silence():
    from core.audio.speech_driver import speech_controls

    silence = np.zeros(16000, np.float32)
    c = speech_controls(silence, fps=25)
    assert c.shape == (25, NUM_SPEECH) and c.dtype == np.float32
    assert (c == 0).all()
    noise = np.random.default_rng(0).normal(scale=0.1, size=16000).astype(np.float32)
    c = speech_controls(noise, fps=30, num_frames=40)
    assert c.shape == (40, NUM_SPEECH)
    assert (c >= 0).all() and (c <= 1).all()


def test_driver_open_closed_f1_on_espeak_speech():
    from core.audio.speech_eval import espeak_16k, score

    sentences = ["Maybe Bob bought a big purple lamp.", "My mom made apple pie before the movie.",
                 "Please bring the blue boat back to the map."]
    audio, ph = espeak_16k(sentences)
    s = score(audio, ph, fps=25.0)
    assert s.scored_frames > 150
    assert s.f1_open >= 0.7 and s.f1_closed >= 0.7, s
    assert s.closures_found >= 0.8 * s.closures_total
    assert abs(s.closure_offset_ms) < 40.0, s


def test_driver_rounds_rounded_vowels_more_than_spread_ones():
    from core.audio.speech_driver import FRAME_RATE, analyse
    from core.audio.speech_eval import espeak_16k

    audio, ph = espeak_16k(["Who knew you would move to the zoo?", "See the green tree, Lee."])
    c = analyse(audio)

    def mean_over(names, col):
        vals = [c[int(a * FRAME_RATE):int(b * FRAME_RATE) + 1, col].mean() for p, a, b in ph if p in names]
        return float(np.mean(vals))

    r, st = SPEECH_INDEX["lip_round"], SPEECH_INDEX["lip_stretch"]
    rounded, spread = {"u:", "U", "oU"}, {"i:", "I", "eI"}
    assert mean_over(rounded, r) > mean_over(spread, r) + 0.1
    assert mean_over(spread, st) > mean_over(rounded, st) + 0.1

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


def _whole_matrix_analyse(audio, params=None):
    """The driver as it was before issue 12 (one [M, 257] spectrum matrix, the clip's 95th
    percentile as the reference): short clips must still give exactly this."""
    from core.audio.speech_driver import FRAME_RATE, DriverParams, _running_max, _smooth

    params = params or DriverParams()
    audio = np.asarray(audio, np.float32)
    x = np.pad(audio, (200, 600))
    m = audio.shape[0] // 160 + 1
    idx = np.arange(m)[:, None] * 160 + np.arange(400)[None, :]
    power = np.abs(np.fft.rfft(x[idx] * np.hanning(400).astype(np.float32), n=512, axis=1)) ** 2
    freqs = np.fft.rfftfreq(512, 1 / 16000)
    out = np.zeros((m, NUM_SPEECH), np.float32)
    band_db = 10 * np.log10(power[:, (freqs >= 400) & (freqs <= 3000)].sum(axis=1) + 1e-10)
    ref = np.percentile(band_db, 95)
    if ref < -60:
        return out
    rel = band_db - ref
    openness = np.clip((rel - params.floor_db) / params.open_range_db, 0, 1)
    around = _running_max(rel, int(round(params.dip_window_s * FRAME_RATE)))
    speech_near = np.clip((around - params.floor_db) / params.open_range_db, 0, 1)
    dip = np.clip((around - rel) / params.dip_db, 0, 1) * speech_near
    lip_close = np.maximum(dip, 0.5 * (1.0 - speech_near)) * (1 - openness) ** 0.5

    def level(lo, hi):
        return 10 * np.log10(power[:, (freqs >= lo) & (freqs < hi)].sum(axis=1) + 1e-10)

    low_tilt, high_tilt = level(200, 600) - level(600, 3000), level(1500, 3000) - level(200, 1500)
    voicing = np.clip(openness + 0.5 * speech_near * (rel > params.floor_db), 0, 1)
    rounded = (np.clip(low_tilt / params.round_low_db, 0, 1)
               * np.clip((-high_tilt - params.round_high_db) / params.round_span_db, 0, 1))
    lip_round = rounded * voicing * (1 - lip_close)
    lip_stretch = np.clip((high_tilt - params.stretch_db) / params.round_span_db, 0, 1) * (1 - rounded) * openness
    for name, v, k in (("jaw_open", openness * (1 - lip_close), 1), ("lip_close", lip_close, 1),
                       ("lip_round", lip_round, 2), ("lip_stretch", lip_stretch, 2)):
        out[:, SPEECH_INDEX[name]] = _smooth(v, k * params.attack_s, k * params.release_s, FRAME_RATE)
    return np.clip(out, 0, 1)


def test_chunked_driver_is_exactly_the_whole_matrix_driver_on_clips_up_to_30_s(monkeypatch):
    import core.audio.speech_driver as driver
    from core.audio.speech_driver import analyse

    monkeypatch.setattr(driver, "CHUNK_FRAMES", 700)  # several chunks, one cut inside a word
    from core.audio.speech_eval import espeak_16k

    audio, _ = espeak_16k(["Maybe Bob bought a big purple lamp.", "Who knew you would move to the zoo?"])
    # Up to 30.0 s, several spectrum chunks: tile the speech with level changes.
    rng = np.random.default_rng(2)
    long = np.concatenate([audio * g for g in rng.uniform(0.2, 1.0, 8)])[:30 * 16000]
    assert long.shape[0] // 160 + 1 > 4 * driver.CHUNK_FRAMES
    for clip in (audio, long, audio[:3000], np.zeros(5000, np.float32)):
        np.testing.assert_array_equal(analyse(clip), _whole_matrix_analyse(clip))


def test_a_long_clips_reference_level_is_local():
    # Two minutes of speech, the second minute 30 dB quieter (a far microphone): with one
    # reference for the clip the quiet minute barely opened the mouth; the 30 s local level
    # opens it as much as the loud one once the loud minute is more than 30 s away (35-55 s and
    # 95-115 s hold the same words).
    from core.audio.speech_driver import analyse
    from core.audio.speech_eval import espeak_16k

    audio, _ = espeak_16k(["Maybe Bob bought a big purple lamp.", "Please bring the blue boat back to the map."])
    reps = int(np.ceil(60 * 16000 / audio.shape[0]))
    minute = np.tile(audio, reps)[:60 * 16000]
    clip = np.concatenate([minute, minute * 10 ** (-30 / 20)])
    c = analyse(clip)
    jaw = c[:, SPEECH_INDEX["jaw_open"]]
    loud, quiet = jaw[3500:5500].mean(), jaw[9500:11500].mean()
    assert loud > 0.1 and abs(quiet - loud) < 0.1 * loud, (loud, quiet)
    old = _whole_matrix_analyse(clip)[:, SPEECH_INDEX["jaw_open"]]
    assert old[9500:11500].mean() < 0.5 * loud  # what the single reference did

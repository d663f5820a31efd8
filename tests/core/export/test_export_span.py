"""An export of a few frames of a long take reads and analyses only the audio around them."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from core.anim.take import AudioRef, Take
from tests.core.export.conftest import write_tone_wav


def _varied_voice(path, seconds: float, rate: int = 22050) -> None:
    """The conftest's speech-like tone, its level changing every few seconds (so the 30 s local
    reference level of the speech driver matters)."""
    write_tone_wav(path, seconds, rate)
    x, _ = sf.read(path, dtype="float32")
    gain = np.repeat(np.random.default_rng(5).uniform(0.1, 1.0, int(seconds / 3) + 1), 3 * rate)[:x.shape[0]]
    sf.write(path, x * gain, rate, subtype="PCM_16")


@pytest.fixture(scope="module")
def long_voice(tmp_path_factory):
    path = tmp_path_factory.mktemp("span") / "voice.wav"
    _varied_voice(path, 100.0)
    return path


def _take(path, offset: float = 0.0) -> Take:
    """The energy driver: what a recording past core.drive.LIPSYNC_MAX_S gets, the span machinery's
    case (a phoneme take's span is analysed whole: tests/core/audio/test_lipsync.py)."""
    from core.anim import LipSyncSettings

    return Take(name="long", fps=25.0, duration=2500, audio=AudioRef(str(path), offset=offset),
                lipsync=LipSyncSettings("energy"))


@pytest.mark.parametrize("offset", [0.0, 1.3, -2.0])
def test_a_span_driver_gives_the_whole_takes_speech_without_decoding_the_file(long_voice, offset):
    from core.drive import TAKE_AUDIO, RigDriver, SpeechCache

    frames = np.arange(1500, 1525, dtype=np.float64)
    whole = RigDriver(None, _take(long_voice, offset), deform=lambda *a: None, speech_cache=SpeechCache())
    span = RigDriver(None, _take(long_voice, offset), deform=lambda *a: None, speech_cache=SpeechCache(),
                     speech_span=(1500, 1524))
    _, sw = whole.controls(frames)
    _, ss = span.controls(frames)
    assert sw[:, 0].max() > 0.3  # the jaw moves here: the comparison means something
    np.testing.assert_allclose(ss, sw, atol=1e-5)
    assert span._audio is TAKE_AUDIO  # the recording was never decoded whole
    track = span.speech_track()
    assert track.controls.shape[0] <= 27 and track.total == whole.speech_track().total


def test_a_frame_outside_the_span_falls_back_to_the_whole_track(long_voice):
    from core.drive import RigDriver, SpeechCache

    span = RigDriver(None, _take(long_voice), deform=lambda *a: None, speech_cache=SpeechCache(),
                     speech_span=(100, 110))
    whole = RigDriver(None, _take(long_voice), deform=lambda *a: None, speech_cache=SpeechCache())
    frames = np.array([105.0, 2000.0, 2499.0])
    np.testing.assert_allclose(span.controls(frames)[1], whole.controls(frames)[1], atol=1e-6)


def test_span_analysis_reads_only_the_frames_audio_and_its_context(long_voice):
    from core.audio.decode import load_audio, open_audio
    from core.audio.speech_driver import SPAN_CONTEXT, speech_controls, speech_controls_span

    src = open_audio(long_voice)
    asked = []

    def read(a, b):
        asked.append((a, b))
        return src.read_analysis(a, b)

    full = speech_controls(load_audio(long_voice).analysis(), 25.0)
    got = speech_controls_span(read, src.analysis_samples, 25.0, 1200, 25)
    np.testing.assert_allclose(got, full[1200:1225], atol=1e-5)
    read_samples = sum(b - a for a, b in asked)
    # 1 s of frames plus the context on both sides, nothing like the 100 s file.
    assert read_samples <= 16000 * (1.0 + 2 * SPAN_CONTEXT / 100 + 0.2), read_samples
    assert read_samples < 0.8 * src.analysis_samples


def test_the_exported_audio_segment_is_the_files_audio_there(long_voice):
    from core.audio.decode import load_audio
    from core.export.pipeline import _load_audio_segment
    from core.export.writers import audio_segment

    clip = load_audio(long_voice)
    for offset, start, dur in [(0.0, 40.0, 1.0), (2.5, 1.0, 3.0), (-1.0, 99.5, 2.0)]:
        take = _take(long_voice, offset)
        seg, rate = _load_audio_segment(take, start, dur)
        assert rate == clip.sample_rate
        np.testing.assert_array_equal(seg, audio_segment(clip.samples, rate, start - offset, dur))

"""New takes from recordings of every format the decoder reads, importing and relinking audio."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.anim import AudioRef, Curve, Keyframe, SpeechDrive, Take
from core.aus import SPEECH_NAMES
from core.audio.decode import AudioLoadError
from core.document import Document
from core.document.new_take import (
    frames_for_seconds, import_audio_command, is_audio_path, missing_audio, new_take_from_audio,
)


def _voice(rate: int, seconds: float, channels: int = 1) -> np.ndarray:
    """A 180 Hz voice whose loudness opens and closes four times a second (the mouth follows)."""
    t = np.arange(int(round(rate * seconds))) / rate
    env = (0.5 * (1 + np.sin(2 * np.pi * 4 * t))) ** 2
    x = env * (0.5 * np.sin(2 * np.pi * 180 * t) + 0.25 * np.sin(2 * np.pi * 900 * t))
    return np.repeat(x[:, None], channels, axis=1).astype(np.float32)


def _write_m4a(path: Path, data: np.ndarray, rate: int) -> None:
    av = pytest.importorskip("av")
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=rate, layout="mono")
        for i in range(0, data.shape[0], 1024):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data[i:i + 1024].T), format="fltp", layout="mono")
            frame.sample_rate = rate
            for pkt in stream.encode(frame):
                out.mux(pkt)
        for pkt in stream.encode(None):
            out.mux(pkt)


@pytest.mark.parametrize("ext, fmt, subtype", [
    (".wav", "WAV", "PCM_16"), (".flac", "FLAC", "PCM_16"), (".ogg", "OGG", "VORBIS"),
    (".mp3", "MP3", "MPEG_LAYER_III"), (".m4a", None, None),
])
def test_every_decoder_format_makes_a_take_as_long_as_the_recording(tmp_path, ext, fmt, subtype):
    rate, seconds = 22050, 1.3
    path = tmp_path / f"hello world{ext}"
    if fmt is None:
        _write_m4a(path, _voice(rate, seconds), rate)
    else:
        sf.write(path, _voice(rate, seconds, 2), rate, format=fmt, subtype=subtype)
    from core.audio.decode import load_audio

    real = load_audio(path).duration  # lossy codecs pad a little: the take follows the decoded length
    take = new_take_from_audio(path, fps=30)
    assert take.duration == math.ceil(real * 30 - 1e-6) and abs(take.duration - seconds * 30) <= 3
    assert take.fps == 30 and take.name == "hello world"
    assert take.audio == AudioRef(str(path), 0.0)
    assert is_audio_path(path)


def test_length_name_blinks_and_speech_from_the_audio(tmp_path):
    path = tmp_path / "line.wav"
    sf.write(path, _voice(16000, 4.0), 16000)  # exactly 100 frames at 25 fps
    take = new_take_from_audio(path)
    assert take.duration == 100 and take.fps == 25.0 and take.name == "line"
    assert new_take_from_audio(path, fps=24, name="Scene 1").duration == 96
    assert new_take_from_audio(path, fps=24, name="Scene 1").name == "Scene 1"
    # Auto-blink is on: AU45 reaches a full blink; no other AU has keys.
    blink = take.evaluate_au(take.frame_range())[:, -1]
    assert blink.max() == pytest.approx(5.0) and blink[0] == 0
    assert all(not take.curves[n].keys for n in take.curves if n != "AU45")
    # The speech controls follow the recording: the rig's driver opens the jaw with the loudness.
    assert all(take.speech[n] == SpeechDrive(driven_by_audio=True, override=False) for n in SPEECH_NAMES)
    from core.audio.decode import load_audio
    from core.drive import speech_source_from_audio

    audio = speech_source_from_audio(load_audio(path))(take.fps, take.duration)
    jaw = take.evaluate_speech(take.frame_range(), audio)[:, SPEECH_NAMES.index("jaw_open")]
    assert jaw.max() > 0.8 and jaw.min() < 0.3  # opens and closes with the 4 Hz loudness


def test_frames_round_up_but_not_past_a_whole_frame():
    assert frames_for_seconds(2.0, 25) == 50
    assert frames_for_seconds(2.001, 25) == 51
    assert frames_for_seconds(0.0001, 25) == 1


@pytest.mark.parametrize("content, words", [
    (None, "file not found"), (b"", "empty"), (b"RIFF\x00\x00 this is not audio at all" * 20, "corrupt"),
])
def test_unreadable_recordings_are_named(tmp_path, content, words):
    path = tmp_path / "take one.wav"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(AudioLoadError) as ei:
        new_take_from_audio(path)
    assert str(path) in str(ei.value) and words in str(ei.value)


def test_bad_fps_is_refused(tmp_path):
    path = tmp_path / "a.wav"
    sf.write(path, _voice(8000, 0.2), 8000)
    for fps in (0, -5, float("nan"), "fast"):
        with pytest.raises(ValueError, match="fps"):
            new_take_from_audio(path, fps=fps)


def test_import_audio_grows_a_short_take_in_one_undo_step(tmp_path):
    path = tmp_path / "long.flac"
    sf.write(path, _voice(16000, 3.0), 16000, format="FLAC")
    silent = Take(name="Blank", duration=40).with_curve("AU12", Curve((Keyframe(0, 0), Keyframe(30, 4))))
    doc = Document(silent)
    doc.push(import_audio_command(doc.take, path))
    assert doc.take.audio == AudioRef(str(path), 0.0) and doc.take.duration == 75
    assert doc.take.curves == silent.curves and doc.take.name == "Blank"
    doc.history.undo()
    assert doc.take is silent
    # A take already longer than the recording keeps its length.
    long_take = Take(duration=200)
    assert import_audio_command(long_take, path).after.duration == 200
    with pytest.raises(AudioLoadError, match="nope.wav"):
        import_audio_command(silent, tmp_path / "nope.wav")


def test_which_paths_open_as_recordings(tmp_path):
    take = tmp_path / "t.emz"
    take.write_text("{}")
    odd = tmp_path / "t.take"
    odd.write_text(' {"schema": "Take.3"}')
    raw = tmp_path / "voice.raw"
    raw.write_bytes(b"\x01\x02")
    assert not is_audio_path(take) and not is_audio_path(odd) and is_audio_path(raw)
    assert is_audio_path("x.MP3") and is_audio_path("x.m4a") and not is_audio_path("x.emz.autosave")
    assert missing_audio(Take()) is None
    assert missing_audio(Take(audio=AudioRef(str(tmp_path / "no.wav")))) == str(tmp_path / "no.wav")

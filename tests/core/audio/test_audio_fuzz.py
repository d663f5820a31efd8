"""Fuzz suite of the audio loader (issue 12): core.audio.decode.load_audio raises only
AudioLoadError naming the file, or returns a clip whose samples are all finite, for any bytes.

Real small files of every format the studio reads - WAV (16-bit and float), FLAC, Ogg/Vorbis, MP3
through libsndfile and an M4A (AAC) through FFmpeg, a fraction of a second of a gliding tone each -
are damaged with tests.fuzz.mutate's byte mutator (bit flips, boundary integers over length and
count fields, cuts, repeated slices, random runs) and given to the loader under their own suffix
and under another format's (a damaged MP3 named .flac goes through both decoders). A failing input
is kept in tests/data/fuzz/audio/ and test_audio_corpus replays every file there, with the
hand-made ones for the failures the issue lists. Seeds come from hypothesis (derandomized); the
suite runs in about 20 s on a 2-core CPU.
"""
from __future__ import annotations

import functools
import random
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from core.audio.decode import AudioLoadError, load_audio, open_audio
from tests.fuzz.mutate import check, corpus_files, mutate_bytes

SEEDS = st.integers(0, 2**32 - 1)
RATE = 22050


def fuzz_settings(n: int):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None)


def _signal(seconds: float = 0.25, channels: int = 1) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    x = 0.4 * np.sin(2 * np.pi * (300 * t + 800 * t * t))
    return np.repeat(x[:, None], channels, axis=1).astype(np.float32)


@functools.lru_cache(maxsize=None)
def originals() -> dict[str, bytes]:
    """suffix -> the bytes of a small real file of that format."""
    import av

    folder = Path(tempfile.mkdtemp(prefix="audio-fuzz-"))
    out = {}
    try:
        for name, fmt, subtype, ch in (("pcm16.wav", "WAV", "PCM_16", 2), ("float.wav", "WAV", "FLOAT", 1),
                                       ("clip.flac", "FLAC", "PCM_16", 1), ("clip.ogg", "OGG", "VORBIS", 1),
                                       ("clip.mp3", "MP3", "MPEG_LAYER_III", 1)):
            path = folder / name
            sf.write(path, _signal(channels=ch), RATE, format=fmt, subtype=subtype)
            out[name] = path.read_bytes()
        path = folder / "clip.m4a"
        sig = _signal()[:, 0]
        with av.open(str(path), "w") as c:
            stream = c.add_stream("aac", rate=RATE, layout="mono", bit_rate=64000)
            for i in range(0, sig.shape[0], 1024):
                frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(sig[None, i:i + 1024]), format="fltp",
                                                   layout="mono")
                frame.sample_rate, frame.pts = RATE, i
                for pkt in stream.encode(frame):
                    c.mux(pkt)
            for pkt in stream.encode(None):
                c.mux(pkt)
        out["clip.m4a"] = path.read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


def _loaded_ok(clip) -> None:
    assert clip.samples.ndim == 2 and clip.samples.shape[0] > 0 and clip.sample_rate > 0
    assert np.isfinite(clip.samples).all()


def _try(data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory(prefix="audio-fuzz-") as d:
        path = Path(d) / name
        path.write_bytes(data)
        check("audio", load_audio, path, AudioLoadError, then=_loaded_ok)
        check("audio", open_audio, path, AudioLoadError)


def test_the_originals_load():
    for name, data in originals().items():
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / name
            path.write_bytes(data)
            assert abs(load_audio(path).duration - 0.25) < 0.1, name


@pytest.mark.parametrize("name", ["pcm16.wav", "float.wav", "clip.flac", "clip.ogg", "clip.mp3", "clip.m4a"])
@fuzz_settings(40)
@given(seed=SEEDS)
def test_damaged_files_give_only_audio_load_errors(name, seed):
    rng = random.Random(seed)
    data = mutate_bytes(originals()[name], rng, rounds=rng.choice([1, 1, 2, 4]), protect=12)
    _try(data, name)


@fuzz_settings(30)
@given(seed=SEEDS)
def test_damaged_files_under_another_formats_name(seed):
    rng = random.Random(seed)
    src, as_name = rng.choice(sorted(originals())), rng.choice(["x.flac", "x.mp3", "x.wav", "x.m4a", "x.ogg"])
    _try(mutate_bytes(originals()[src], rng, rounds=rng.choice([0, 1, 3]), protect=12), as_name)


@pytest.mark.parametrize("path", corpus_files("audio"), ids=lambda p: p.name)
def test_audio_corpus(path):
    check("audio", load_audio, path, AudioLoadError, then=_loaded_ok)
    check("audio", open_audio, path, AudioLoadError)

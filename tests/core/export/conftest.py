"""Fixtures for the export tests: the default head and its rig, a take with AU keys, real audio."""
from __future__ import annotations

import wave

import numpy as np
import pytest

from core.anim.curve import Curve, Keyframe
from core.anim.take import AudioRef, Take


def write_tone_wav(path, seconds: float, rate: int = 22050, channels: int = 1) -> None:
    """A speech-like test signal: a 180 Hz voice with formant-band bursts at 4 Hz, 16-bit PCM."""
    t = np.arange(int(seconds * rate)) / rate
    env = 0.5 * (1 + np.sin(2 * np.pi * 4 * t)) ** 2 / 4
    x = env * (np.sin(2 * np.pi * 180 * t) + 0.5 * np.sin(2 * np.pi * 900 * t) + 0.3 * np.sin(2 * np.pi * 1600 * t))
    pcm = (np.clip(x / 2, -1, 1) * 32000).astype("<i2")
    pcm = np.repeat(pcm[:, None], channels, axis=1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def make_take(audio_path=None, duration: int = 24, fps: float = 25.0) -> Take:
    smile = Curve((Keyframe(0.0, 0.0), Keyframe(duration / 2, 4.0), Keyframe(duration - 1.0, 0.0)))
    brows = Curve((Keyframe(0.0, 0.0), Keyframe(duration - 1.0, 3.0)))
    take = Take(name="test", fps=fps, duration=duration,
                audio=AudioRef(str(audio_path)) if audio_path else None)
    return take.with_curves({"AU12": smile, "AU01": brows, "AU02": brows})


@pytest.fixture(scope="session")
def rig():
    """(head, deform): the default head and the analytic rig."""
    from core.head import default_head
    from core.rig import deform

    return default_head(), deform


@pytest.fixture
def wav(tmp_path):
    p = tmp_path / "voice.wav"
    write_tone_wav(p, 1.2)
    return p

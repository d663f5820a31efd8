"""Fixtures for the export tests: a small head, a take with AU keys and real audio.

The head is core.head.default_head() deformed by core.rig.deform when those modules exist; until
they do, a small analytic head (a coloured ellipsoid of Gaussians whose mouth region opens with
jaw_open and whose upper half rises with AU01/AU02) stands in, with the same RigFrames interface.
"""
from __future__ import annotations

import dataclasses
import math
import wave

import numpy as np
import pytest
import torch

from core.anim.curve import Curve, Keyframe
from core.anim.take import AudioRef, Take
from core.aus import AU_INDEX, SPEECH_INDEX
from core.gaussians import GaussianCloud


@dataclasses.dataclass
class SmallHead:
    cloud: GaussianCloud


@dataclasses.dataclass
class SmallRigFrames:
    """means [T, N, 3], quats [T, N, 4], log_scales [T, N, 3] over a base cloud."""

    base: GaussianCloud
    means: torch.Tensor
    quats: torch.Tensor
    log_scales: torch.Tensor

    def cloud(self, t: int) -> GaussianCloud:
        return self.base.replace(means=self.means[t], quats=self.quats[t], log_scales=self.log_scales[t])


def small_head(n: int = 600) -> SmallHead:
    g = torch.Generator().manual_seed(3)
    u = torch.rand(n, 2, generator=g)
    theta, phi = 2 * math.pi * u[:, 0], torch.acos(1 - 2 * u[:, 1])
    means = torch.stack([0.08 * torch.sin(phi) * torch.cos(theta), 0.11 * torch.cos(phi),
                         0.09 * torch.sin(phi) * torch.sin(theta)], 1)
    rgb = torch.stack([0.6 + 0.4 * (means[:, 1] > 0).float(), 0.3 + 3 * means[:, 0].abs(),
                       0.5 + 2 * means[:, 2].clamp(min=0)], 1).clamp(0, 1)
    return SmallHead(GaussianCloud.from_rgb(means, rgb, torch.full((n, 3), 0.012), opacity=0.8))


def small_deform(head: SmallHead, au: np.ndarray, speech: np.ndarray) -> SmallRigFrames:
    base = head.cloud
    au_t = torch.as_tensor(au, dtype=torch.float32)
    sp = torch.as_tensor(speech, dtype=torch.float32)
    m = base.means[None].repeat(len(au_t), 1, 1)
    lower = (base.means[:, 1] < -0.03).float()[None]
    upper = (base.means[:, 1] > 0.05).float()[None]
    m[..., 1] -= 0.03 * sp[:, SPEECH_INDEX["jaw_open"], None] * lower
    brow = (au_t[:, AU_INDEX["AU01"]] + au_t[:, AU_INDEX["AU02"]])[:, None] / 10
    m[..., 1] += 0.02 * brow * upper
    m[..., 0] *= 1 + 0.04 * au_t[:, AU_INDEX["AU12"], None] * lower
    t = len(au_t)
    return SmallRigFrames(base, m, base.quats[None].expand(t, -1, -1).clone(),
                          base.log_scales[None].expand(t, -1, -1).clone())


def head_and_deform():
    """(head, deform): the real default head and rig when present, else the small analytic pair."""
    try:
        from core.head import default_head
        from core.rig import deform
    except ImportError:
        return small_head(), small_deform
    return default_head(), deform


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
    return head_and_deform()


@pytest.fixture
def wav(tmp_path):
    p = tmp_path / "voice.wav"
    write_tone_wav(p, 1.2)
    return p

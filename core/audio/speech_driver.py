"""Speech controls (core.aus.SPEECH_NAMES) from 16 kHz audio by signal analysis; no trained model.

Cues, computed on 25 ms frames every 10 ms:
- openness: energy in the 400-3000 Hz band (where vowel formants F1/F2 sit), in dB relative to the
  clip's loud level. Silence, stop closures and nasal murmurs (/m/ radiates mostly below 400 Hz)
  are all quiet there, so the mouth closes on them and opens with vowels.
- lip_close: a dip of openness below the surrounding speech (a closure between louder frames),
  which is what a bilabial stop or /m/ looks like; lips also press together in the dip.
- lip_round / lip_stretch: spectral tilts. Rounded vowels (/u o/, /w/) have low F1 and F2, so
  their energy sits below 600 Hz with little above 1.5 kHz; spread vowels (/i e/) keep a strong
  F2/F3 above 1.5 kHz.
Attack/release one-pole smoothing keeps the motion smooth but lets closures land quickly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.audio.decode import ANALYSIS_RATE
from core.aus import NUM_SPEECH, SPEECH_INDEX

FRAME_RATE = 100.0
_HOP = int(ANALYSIS_RATE / FRAME_RATE)  # 160
_WIN = 400
_NFFT = 512


@dataclass(frozen=True)
class DriverParams:
    """Tunable constants of the driver (dB are relative to the clip's 95th-percentile band level)."""

    floor_db: float = -32.0       # band level at which the mouth is fully closed
    open_range_db: float = 22.0   # dB above the floor for a fully open jaw
    dip_window_s: float = 0.12    # half-width of the neighbourhood a closure is measured against
    dip_db: float = 9.0           # dip depth (dB) that counts as a full lip closure
    round_low_db: float = 8.0     # (200-600 Hz) - (600-3000 Hz) level for full rounding
    round_high_db: float = 8.0    # (200-1500 Hz) - (1500-3000 Hz) level where rounding starts
    round_span_db: float = 10.0
    stretch_db: float = -10.0     # (1500-3000 Hz) - (200-1500 Hz) level where stretching starts
    attack_s: float = 0.012
    release_s: float = 0.035


def _frames(audio: np.ndarray) -> np.ndarray:
    """Hann-windowed power spectra [M, 257] of 16 kHz audio [N] (M = N // 160 + 1, centred frames)."""
    pad = _WIN // 2
    x = np.pad(audio.astype(np.float32), (pad, pad + _WIN))
    m = audio.shape[0] // _HOP + 1
    idx = np.arange(m)[:, None] * _HOP + np.arange(_WIN)[None, :]
    frames = x[idx] * np.hanning(_WIN).astype(np.float32)
    return np.abs(np.fft.rfft(frames, n=_NFFT, axis=1)) ** 2


def _smooth(x: np.ndarray, attack_s: float, release_s: float, rate: float) -> np.ndarray:
    """One-pole follower with separate rise/fall time constants. x: [M] -> [M]."""
    a_up = 1.0 - np.exp(-1.0 / (attack_s * rate))
    a_dn = 1.0 - np.exp(-1.0 / (release_s * rate))
    out = np.empty_like(x)
    y = float(x[0]) if x.size else 0.0
    for i, v in enumerate(x):  # M is 100 per second of audio: a Python loop is cheap here
        y += (a_up if v > y else a_dn) * (v - y)
        out[i] = y
    return out


def _running_max(x: np.ndarray, half: int) -> np.ndarray:
    if half <= 0:
        return x.copy()
    p = np.pad(x, (half, half), mode="edge")
    win = np.lib.stride_tricks.sliding_window_view(p, 2 * half + 1)
    return win.max(axis=1)


def analyse(audio_16k: np.ndarray, params: DriverParams = DriverParams()) -> np.ndarray:
    """Speech controls at 100 Hz: float32 [M, 4] in SPEECH_NAMES order, M = N // 160 + 1, values 0..1."""
    audio = np.asarray(audio_16k, dtype=np.float32)
    if audio.ndim != 1:
        raise ValueError(f"speech driver expects mono 16 kHz audio [N], got shape {audio.shape}")
    out = np.zeros((audio.shape[0] // _HOP + 1, NUM_SPEECH), np.float32)
    if audio.size == 0:
        return out
    power = _frames(audio)
    freqs = np.fft.rfftfreq(_NFFT, 1 / ANALYSIS_RATE)
    band = (freqs >= 400) & (freqs <= 3000)
    band_db = 10 * np.log10(power[:, band].sum(axis=1) + 1e-10)
    ref = np.percentile(band_db, 95)
    if ref < -60:  # the whole clip is (near) silent
        return out
    rel = band_db - ref
    openness = np.clip((rel - params.floor_db) / params.open_range_db, 0, 1)

    # Closure: how far this frame sits below the loudest speech around it.
    half = int(round(params.dip_window_s * FRAME_RATE))
    around = _running_max(rel, half)
    speech_near = np.clip((around - params.floor_db) / params.open_range_db, 0, 1)
    dip = np.clip((around - rel) / params.dip_db, 0, 1) * speech_near
    closed_silence = 1.0 - speech_near  # at rest the lips meet lightly
    lip_close = np.maximum(dip, 0.5 * closed_silence) * (1 - openness) ** 0.5

    def level(lo: float, hi: float) -> np.ndarray:
        sel = (freqs >= lo) & (freqs < hi)
        return 10 * np.log10(power[:, sel].sum(axis=1) + 1e-10)

    # Rounded vowels: low F1 and low F2 put the energy below 600 Hz and little above 1.5 kHz;
    # spread vowels (/i e/) keep a strong F2/F3 above 1.5 kHz.
    low_tilt = level(200, 600) - level(600, 3000)
    high_tilt = level(1500, 3000) - level(200, 1500)
    voicing = np.clip(openness + 0.5 * speech_near * (rel > params.floor_db), 0, 1)
    rounded = (np.clip(low_tilt / params.round_low_db, 0, 1)
               * np.clip((-high_tilt - params.round_high_db) / params.round_span_db, 0, 1))
    lip_round = rounded * voicing * (1 - lip_close)
    lip_stretch = np.clip((high_tilt - params.stretch_db) / params.round_span_db, 0, 1) * (1 - rounded) * openness

    jaw = openness * (1 - lip_close)
    out[:, SPEECH_INDEX["jaw_open"]] = _smooth(jaw, params.attack_s, params.release_s, FRAME_RATE)
    out[:, SPEECH_INDEX["lip_close"]] = _smooth(lip_close, params.attack_s, params.release_s, FRAME_RATE)
    out[:, SPEECH_INDEX["lip_round"]] = _smooth(lip_round, 2 * params.attack_s, 2 * params.release_s, FRAME_RATE)
    out[:, SPEECH_INDEX["lip_stretch"]] = _smooth(lip_stretch, 2 * params.attack_s, 2 * params.release_s, FRAME_RATE)
    return np.clip(out, 0, 1)


def speech_controls(audio_16k: np.ndarray, fps: float, num_frames: int | None = None,
                    params: DriverParams = DriverParams()) -> np.ndarray:
    """Speech controls at the take's rate: float32 [T, 4] (SPEECH_NAMES order), frame t at t / fps.

    num_frames defaults to ceil(duration * fps). Values are linearly interpolated from 100 Hz.
    """
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    audio = np.asarray(audio_16k, dtype=np.float32)
    if num_frames is None:
        num_frames = int(np.ceil(audio.shape[0] / ANALYSIS_RATE * fps))
    ctl = analyse(audio, params)
    pos = np.clip(np.arange(num_frames) / fps * FRAME_RATE, 0, ctl.shape[0] - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, ctl.shape[0] - 1)
    w = (pos - lo)[:, None].astype(np.float32)
    return (ctl[lo] * (1 - w) + ctl[hi] * w).astype(np.float32)


def mouth_open(controls: np.ndarray, jaw_threshold: float = 0.25) -> np.ndarray:
    """Binary open/closed per frame from controls [T, 4]: bool [T], True = open."""
    return (controls[:, SPEECH_INDEX["jaw_open"]] >= jaw_threshold) & (controls[:, SPEECH_INDEX["lip_close"]] < 0.5)

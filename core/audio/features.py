"""Log-mel features and their alignment to video frames; external per-frame features.

Mel frames are at ``MEL_RATE`` (100 Hz): frame k is centred at k * 10 ms (``torch.stft`` with
``center=True``). Video frame t is at t / fps seconds.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from core.audio.decode import ANALYSIS_RATE

N_MELS = 80
WIN_LENGTH = 400  # 25 ms at 16 kHz
HOP_LENGTH = 160  # 10 ms at 16 kHz
N_FFT = 512
MEL_RATE = ANALYSIS_RATE / HOP_LENGTH  # 100 frames per second
LOG_FLOOR = 1e-5


class FeatureError(ValueError):
    """Features could not be computed or loaded; names the file/array and the problem."""


def _hz_to_mel_slaney(f: np.ndarray) -> np.ndarray:
    # Slaney's Auditory Toolbox scale: linear below 1 kHz, logarithmic above.
    f = np.asarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = math.log(6.4) / 27.0
    lin = f / f_sp
    log = min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep
    return np.where(f >= min_log_hz, log, lin)


def _mel_to_hz_slaney(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = math.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(sample_rate: int = ANALYSIS_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS,
                   fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """Slaney-style triangular mel filters, area-normalised. Returns float32 [n_mels, n_fft // 2 + 1]."""
    fmax = sample_rate / 2 if fmax is None else fmax
    fft_freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    mel_pts = np.linspace(_hz_to_mel_slaney(fmin), _hz_to_mel_slaney(fmax), n_mels + 2)
    hz = _mel_to_hz_slaney(mel_pts)
    lower = (fft_freqs[None, :] - hz[:-2, None]) / (hz[1:-1] - hz[:-2])[:, None]
    upper = (hz[2:, None] - fft_freqs[None, :]) / (hz[2:] - hz[1:-1])[:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (hz[2:] - hz[:-2]))[:, None]
    return weights.astype(np.float32)


def log_mel(audio_16k):
    """Log-mel spectrogram of 16 kHz mono audio.

    audio_16k: float [N] (numpy or torch). Returns torch float32 [M, 80], M = N // 160 + 1,
    natural log of mel power floored at ``LOG_FLOOR``.
    """
    import torch

    x = torch.as_tensor(np.asarray(audio_16k, dtype=np.float32) if not torch.is_tensor(audio_16k) else audio_16k,
                        dtype=torch.float32)
    if x.ndim != 1:
        raise FeatureError(f"log_mel expects mono audio [N], got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise FeatureError("log_mel got empty audio")
    window = torch.hann_window(WIN_LENGTH)
    # Reflect padding needs more samples than half the FFT; pad tiny clips with zeros first.
    if x.shape[0] <= N_FFT // 2:
        x = torch.nn.functional.pad(x, (0, N_FFT // 2 + 1 - x.shape[0]))
    spec = torch.stft(x, N_FFT, hop_length=HOP_LENGTH, win_length=WIN_LENGTH, window=window,
                      center=True, return_complex=True)
    power = spec.abs() ** 2  # [257, M]
    fb = torch.from_numpy(mel_filterbank())
    mel = fb @ power  # [80, M]
    n_frames = int(audio_16k.shape[0]) // HOP_LENGTH + 1
    return torch.log(torch.clamp(mel, min=LOG_FLOOR)).T[:n_frames].contiguous()


def frame_centres(fps: float, num_frames: int, rate: float = MEL_RATE) -> np.ndarray:
    """Index (float) into a ``rate`` Hz sequence of each video frame time t / fps. [num_frames]."""
    if fps <= 0:
        raise FeatureError(f"fps must be positive, got {fps}")
    return np.arange(int(num_frames), dtype=np.float64) / float(fps) * rate


def mel_windows(mel, fps: float, num_frames: int, window: int = 32):
    """Mel windows centred on each video frame, edge-padded.

    mel: [M, 80] (torch or numpy). Returns the same type, [num_frames, window, 80]; frame t's
    window covers mel frames c - window // 2 .. c + window - window // 2 - 1, c = round(100 t / fps).
    """
    if mel.ndim != 2 or mel.shape[0] == 0:
        raise FeatureError(f"mel must be [M, n_mels] with M > 0, got shape {tuple(mel.shape)}")
    if window < 1:
        raise FeatureError(f"window must be >= 1, got {window}")
    centres = np.rint(frame_centres(fps, num_frames)).astype(np.int64)
    offsets = np.arange(window, dtype=np.int64) - window // 2
    idx = np.clip(centres[:, None] + offsets[None, :], 0, mel.shape[0] - 1)  # [T, window]
    if isinstance(mel, np.ndarray):
        return mel[idx]
    import torch

    return mel[torch.from_numpy(idx)]


def resample_features(feats: np.ndarray, source_rate: float, fps: float, num_frames: int,
                      name: str = "<array>") -> np.ndarray:
    """Linearly interpolate per-frame features [F, D] at ``source_rate`` Hz to [num_frames, D] at ``fps``.

    Feature f sits at f / source_rate seconds; frames past either end take the edge value.
    """
    feats = np.asarray(feats)
    if feats.ndim != 2:
        raise FeatureError(f"{name}: external features must be 2-D [frames, dims], got shape {feats.shape}")
    if feats.shape[0] == 0 or feats.shape[1] == 0:
        raise FeatureError(f"{name}: external features are empty, shape {feats.shape}")
    if not np.issubdtype(feats.dtype, np.number):
        raise FeatureError(f"{name}: external features must be numeric, got dtype {feats.dtype}")
    feats = feats.astype(np.float32)
    if not np.isfinite(feats).all():
        raise FeatureError(f"{name}: external features contain NaN/Inf")
    if source_rate <= 0:
        raise FeatureError(f"{name}: feature rate must be positive, got {source_rate}")
    pos = np.clip(frame_centres(fps, num_frames, rate=source_rate), 0, feats.shape[0] - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, feats.shape[0] - 1)
    w = (pos - lo).astype(np.float32)[:, None]
    return feats[lo] * (1 - w) + feats[hi] * w


def load_external_features(path: str | os.PathLike, source_rate: float, fps: float, num_frames: int,
                           expected_dim: int | None = None) -> np.ndarray:
    """Load per-frame features from a .npy [F, D] at ``source_rate`` Hz and resample to [num_frames, D]."""
    name = str(Path(path))
    if not Path(path).exists():
        raise FeatureError(f"{name}: file not found")
    try:
        arr = np.load(name, allow_pickle=False)
    except Exception as e:
        raise FeatureError(f"{name}: not a readable .npy array ({e})") from None
    if expected_dim is not None and (arr.ndim != 2 or arr.shape[1] != expected_dim):
        raise FeatureError(f"{name}: expected features of shape [frames, {expected_dim}], got {arr.shape}")
    return resample_features(arr, source_rate, fps, num_frames, name=name)

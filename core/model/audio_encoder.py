"""Audio encoder: per-frame audio windows -> one audio token per video frame.

Two inputs are accepted (fixed by the constructor):
  * ``"mel"``: windowed log-mel [T, W, n_mels] (W = 32 mel frames = 0.32 s centred on the video
    frame). A small 1-D conv stack over the window's time axis (mel bins as channels), average
    pooling over time and a linear layer give [T, d].
  * ``"features"``: external per-frame features [T, D] (DeepSpeech 29-d, HuBERT 1024-d, ...,
    already resampled to the video rate) through a linear adapter (LayerNorm, Linear, GELU, Linear).

Either way the tokens are then smoothed over neighbouring video frames with a learned depthwise
convolution along the frame axis (centred, not causal; edge frames replicated), initialised to a
binomial low-pass so untrained tokens are already smooth. The smoothing mixes frames, so call the
encoder on consecutive frames of one take.
"""
from __future__ import annotations

import math

import torch
from torch import nn
import torch.nn.functional as F


class AudioInputError(ValueError):
    """Audio features of the wrong shape for the encoder."""


def _binomial_kernel(size: int) -> torch.Tensor:
    w = torch.tensor([math.comb(size - 1, k) for k in range(size)], dtype=torch.float32)
    return w / w.sum()


class AudioEncoder(nn.Module):
    """[T, W, n_mels] (mode "mel") or [T, D] (mode "features") -> audio tokens [T, d].

    Args:
        d: token width.
        mode: "mel" or "features".
        n_mels, window: expected mel window shape in mode "mel".
        feature_dim: D in mode "features".
        hidden: conv / adapter width.
        smooth_kernel: odd length of the temporal smoothing over frames; 1 disables it.
    """

    def __init__(self, d: int = 64, mode: str = "mel", n_mels: int = 80, window: int = 32,
                 feature_dim: int = 0, hidden: int = 64, smooth_kernel: int = 5) -> None:
        super().__init__()
        if mode not in ("mel", "features"):
            raise ValueError(f"audio mode must be 'mel' or 'features', got {mode!r}")
        if smooth_kernel < 1 or smooth_kernel % 2 == 0:
            raise ValueError(f"audio smooth_kernel must be odd and >= 1, got {smooth_kernel}")
        self.d, self.mode, self.n_mels, self.window = int(d), mode, int(n_mels), int(window)
        self.feature_dim = int(feature_dim)
        if mode == "mel":
            # Strided convs shrink the 32-frame window 32 -> 16 -> 8 -> 4 before pooling.
            self.net = nn.Sequential(
                nn.Conv1d(self.n_mels, hidden, 3, stride=2, padding=1), nn.LeakyReLU(0.02),
                nn.Conv1d(hidden, hidden, 3, stride=2, padding=1), nn.LeakyReLU(0.02),
                nn.Conv1d(hidden, hidden, 3, stride=2, padding=1), nn.LeakyReLU(0.02),
            )
            self.head = nn.Linear(hidden, self.d)
        else:
            if self.feature_dim < 1:
                raise ValueError("audio mode 'features' needs feature_dim >= 1")
            self.adapter = nn.Sequential(
                nn.LayerNorm(self.feature_dim), nn.Linear(self.feature_dim, hidden), nn.GELU(),
                nn.Linear(hidden, self.d),
            )
        self.smooth_kernel = int(smooth_kernel)
        self.smooth = nn.Parameter(_binomial_kernel(self.smooth_kernel).repeat(self.d, 1)[:, None, :])

    def _check(self, x: torch.Tensor) -> None:
        if self.mode == "mel":
            if x.ndim != 3 or x.shape[1] != self.window or x.shape[2] != self.n_mels:
                raise AudioInputError(
                    f"audio: expected log-mel windows [T, {self.window}, {self.n_mels}], got {list(x.shape)}")
        elif x.ndim != 2 or x.shape[1] != self.feature_dim:
            raise AudioInputError(f"audio: expected features [T, {self.feature_dim}], got {list(x.shape)}")
        if x.shape[0] == 0:
            raise AudioInputError("audio: no frames")

    def encode_frames(self, x: torch.Tensor) -> torch.Tensor:
        """Per-frame tokens before temporal smoothing [T, d] (frames encoded independently)."""
        self._check(x)
        if self.mode == "mel":
            h = self.net(x.transpose(1, 2))  # [T, hidden, W/8]
            return self.head(h.mean(dim=-1))
        return self.adapter(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Audio [T, W, n_mels] or [T, D] of consecutive frames -> smoothed tokens [T, d]."""
        tok = self.encode_frames(x)
        if self.smooth_kernel == 1:
            return tok
        r = self.smooth_kernel // 2
        seq = F.pad(tok.t()[None], (r, r), mode="replicate")  # [1, d, T + 2r]
        return F.conv1d(seq, self.smooth, groups=self.d)[0].t()

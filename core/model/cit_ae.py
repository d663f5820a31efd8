"""CIT-AE: the Channel-Independent Temporal AU Encoder (METHOD.md), and the per-frame MLP AU
encoder used by the "w/o CIT-AE" ablation.

For every AU channel c on its own the encoder reads the window u_c[t-W .. t+W] (edges replicated,
values scaled from 0..5 to 0..1), runs one shared dilated 1-D conv encoder E over it, pools, and
adds a learned identity embedding:

    k_c(t) = E(u_c[t-W .. t+W]) + e_c          [T, 17, d]

The 17 channels are folded into the batch axis, so E cannot mix channels: changing AU c changes
only h_c (and only at frames within W of the change).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
import torch.nn.functional as F

from core.aus import AU_MAX, NUM_AUS


class AUInputError(ValueError):
    """An AU sequence of the wrong shape."""


def affected_frames(a: int, b: int, window: int, num_frames: int | None = None) -> tuple[int, int]:
    """Output frames (inclusive range) whose tokens change when the AU values at frames a..b change.

    A token at t reads frames t-W .. t+W, so the range is a-W .. b+W, clipped to 0..num_frames-1
    when num_frames is given.
    """
    if b < a:
        raise ValueError(f"affected_frames: empty change range [{a}, {b}]")
    lo, hi = a - window, b + window
    if num_frames is not None:
        lo, hi = max(lo, 0), min(hi, num_frames - 1)
    return lo, hi


def _check_au(au: torch.Tensor) -> None:
    if au.ndim != 2 or au.shape[1] != NUM_AUS:
        raise AUInputError(f"AU sequence: expected [T, {NUM_AUS}], got {list(au.shape)}")
    if au.shape[0] == 0:
        raise AUInputError("AU sequence: no frames")


def au_windows(au: torch.Tensor, window: int, frames: torch.Tensor | None = None) -> torch.Tensor:
    """AU sequence [T, 17] (0..5) -> scaled windows [T', 17, 2W+1] (0..1), edges replicated.

    ``frames`` (long [T']) selects the centre frames; all T frames by default.
    """
    _check_au(au)
    u = (au.float() / AU_MAX).clamp(0.0, 1.0)
    seq = u.t()[None]  # [1, 17, T]
    if window > 0:
        seq = F.pad(seq, (window, window), mode="replicate")
    win = seq[0].unfold(-1, 2 * window + 1, 1)  # [17, T, 2W+1]
    win = win.permute(1, 0, 2)
    if frames is not None:
        win = win[frames]
    return win


#: How CIT-AE gives a token its AU's identity: "add" (k = h + e) or "film" (k = h * s + e).
CIT_IDENTITIES = ("add", "film")


class CITAE(nn.Module):
    """Channel-independent temporal AU encoder: AU sequence [T, 17] -> tokens [T', 17, d].

    Args:
        d: token width.
        window: W; each token reads 2W+1 frames.
        hidden: conv width of E.
        dilations: one 3-tap conv per entry (receptive field 1 + 2*sum(dilations), 15 for (1, 2, 4)).
    """

    def __init__(self, d: int = 64, window: int = 8, hidden: int = 32,
                 dilations: Sequence[int] = (1, 2, 4), identity: str = "add") -> None:
        super().__init__()
        if identity not in CIT_IDENTITIES:
            raise ValueError(f"CIT-AE identity must be one of {', '.join(CIT_IDENTITIES)}, got {identity!r}")
        self.d, self.window, self.hidden = int(d), int(window), int(hidden)
        layers: list[nn.Module] = []
        cin = 1
        for dil in dilations:
            layers += [nn.Conv1d(cin, self.hidden, 3, dilation=int(dil), padding=int(dil)), nn.GELU()]
            cin = self.hidden
        self.encoder = nn.Sequential(*layers)
        # Pooling = mean over the window (context) + the centre sample (the value now), then a linear map.
        self.proj = nn.Linear(2 * self.hidden, self.d)
        # A linear path from the centre value, shared by all channels like E. Through three GELU
        # convolutions alone a token moved by ~2% of its size between intensity 0 and 5 at
        # initialisation, and training learned to ignore the AUs (measured: 0.0 mm of a 5 mm blink
        # after 1500 GPU steps); with this path the value's effect is first order from step one.
        self.value = nn.Linear(1, self.d)
        self.identity = nn.Parameter(torch.randn(NUM_AUS, self.d) * 0.1)
        # "film": k_c = h_c * s_c + e_c. With the identity only added (k_c = h_c + e_c), the part of a
        # token that moves with the intensity, h_c, is the same vector for every AU (E is shared), so
        # after the linear value projection AU04 pushes the output the way AU01 does and the model
        # could not give them opposite motions (measured: AU04, AU05 and the lip AUs 0% or negative).
        # A per-AU scale of h_c gives each AU its own direction and keeps E channel-independent.
        self.scale = nn.Parameter(1.0 + 0.5 * torch.randn(NUM_AUS, self.d)) if identity == "film" else None

    @property
    def radius(self) -> int:
        """Frames of AU context on each side of a token (W)."""
        return self.window

    def encode_channels(self, au: torch.Tensor, frames: torch.Tensor | None = None) -> torch.Tensor:
        """h_c(t) without the identity embedding: [T, 17] -> [T', 17, d]."""
        win = au_windows(au, self.window, frames).to(self.identity.dtype)  # [T', 17, L]
        t, c, length = win.shape
        h = self.encoder(win.reshape(t * c, 1, length))  # channels folded into the batch
        pooled = torch.cat([h.mean(dim=-1), h[..., self.window]], dim=-1)
        centre = win[..., self.window].reshape(t * c, 1)
        return (self.proj(pooled) + self.value(centre)).reshape(t, c, self.d)

    def forward(self, au: torch.Tensor, frames: torch.Tensor | None = None) -> torch.Tensor:
        """AU sequence [T, 17] (0..5) -> tokens k [T', 17, d] for the frames selected (all by default)."""
        h = self.encode_channels(au, frames)
        return (h if self.scale is None else h * self.scale) + self.identity


class AUMLPEncoder(nn.Module):
    """The "w/o CIT-AE" ablation (TalkingGaussian-style): the frame's AU vector [17] through an MLP
    into one AU token. Per frame, no temporal context: [T, 17] -> [T', 1, d]."""

    radius = 0

    def __init__(self, d: int = 64, hidden: int = 64) -> None:
        super().__init__()
        self.d = int(d)
        self.net = nn.Sequential(nn.Linear(NUM_AUS, hidden), nn.GELU(), nn.Linear(hidden, self.d))

    def forward(self, au: torch.Tensor, frames: torch.Tensor | None = None) -> torch.Tensor:
        _check_au(au)
        u = (au.float() / AU_MAX).clamp(0.0, 1.0)
        if frames is not None:
            u = u[frames]
        return self.net(u.to(self.net[0].weight.dtype))[:, None, :]

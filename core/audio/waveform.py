"""Multi-resolution min/max waveform summary for drawing at any zoom without touching every sample."""
from __future__ import annotations

import numpy as np

BASE_BLOCK = 16
BLOCK_FACTOR = 4


class WaveformSummary:
    """Min/max pyramid over a clip.

    samples: [N] or [N, C]; channels are folded (min over channels, max over channels).
    Level 0 is the samples themselves; level k >= 1 holds min/max of blocks of 16 * 4**(k-1) samples.
    """

    def __init__(self, samples: np.ndarray):
        a = np.asarray(samples, dtype=np.float32)
        if a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2:
            raise ValueError(f"waveform samples must be [N] or [N, C], got shape {a.shape}")
        self.num_samples = int(a.shape[0])
        mins, maxs = a.min(axis=1), a.max(axis=1)
        self.blocks: list[int] = [1]
        self.mins: list[np.ndarray] = [mins]
        self.maxs: list[np.ndarray] = [maxs]
        block, factor = BASE_BLOCK, BASE_BLOCK
        while self.num_samples > block // BLOCK_FACTOR and mins.shape[0] > 1:
            mins, maxs = _reduce(mins, maxs, factor)
            self.blocks.append(block)
            self.mins.append(mins)
            self.maxs.append(maxs)
            block *= BLOCK_FACTOR
            factor = BLOCK_FACTOR

    def summary(self, start_sample: int, end_sample: int, columns: int) -> tuple[np.ndarray, np.ndarray]:
        """(mins float32 [columns], maxs float32 [columns]) of samples in [start_sample, end_sample).

        Columns outside the clip are 0. Cost is O(columns * 4) at the level whose block fits a column.
        """
        columns = int(columns)
        if columns <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.float32)
        out_min = np.zeros(columns, np.float32)
        out_max = np.zeros(columns, np.float32)
        start, end = float(start_sample), float(end_sample)
        if end <= start or self.num_samples == 0:
            return out_min, out_max
        per_col = (end - start) / columns
        level = 0
        for k, b in enumerate(self.blocks):
            if b <= per_col:
                level = k
        block = self.blocks[level]
        edges = start + per_col * np.arange(columns + 1)
        valid = (edges[1:] > 0) & (edges[:-1] < self.num_samples)
        if not valid.any():
            return out_min, out_max
        mins, maxs = self.mins[level], self.maxs[level]
        n = mins.shape[0]
        lo = np.clip(np.floor(edges[:-1] / block).astype(np.int64), 0, n - 1)
        hi = np.clip(np.ceil(edges[1:] / block).astype(np.int64), 1, n)
        hi = np.maximum(hi, lo + 1)
        cols = np.flatnonzero(valid)
        lo, hi = lo[cols], hi[cols]
        base = lo[0]
        seg_min = mins[base:hi.max()]
        seg_max = maxs[base:hi.max()]
        # reduceat covers [lo[i], lo[i+1]) (the last to the slice end): a block straddling a column
        # edge goes to the right-hand column, and a column narrower than a block repeats its block.
        idx = lo - base
        rmin = np.minimum.reduceat(seg_min, idx)
        rmax = np.maximum.reduceat(seg_max, idx)
        out_min[cols] = rmin
        out_max[cols] = rmax
        return out_min, out_max


def _reduce(mins: np.ndarray, maxs: np.ndarray, factor: int) -> tuple[np.ndarray, np.ndarray]:
    n = mins.shape[0]
    pad = (-n) % factor
    if pad:
        mins = np.concatenate([mins, np.full(pad, mins[-1], mins.dtype)])
        maxs = np.concatenate([maxs, np.full(pad, maxs[-1], maxs.dtype)])
    return mins.reshape(-1, factor).min(axis=1), maxs.reshape(-1, factor).max(axis=1)

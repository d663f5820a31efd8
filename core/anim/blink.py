"""Auto-blink: natural AU45 blinks as ordinary, editable keys."""
from __future__ import annotations

import numpy as np

from core.aus import AU_MAX

from .curve import Curve, Interpolation, Keyframe


def auto_blink(
    duration: int,
    fps: float = 25.0,
    blinks_per_minute: float = 17.0,
    jitter: float = 0.4,
    seed: int = 0,
    close_s: tuple[float, float] = (0.10, 0.15),
    open_s: tuple[float, float] = (0.15, 0.25),
    peak: float = AU_MAX,
    start_frame: float = 0.0,
) -> Curve:
    """An AU45 curve with blinks over frames [start_frame, duration).

    Intervals between blinks are 60 / blinks_per_minute seconds scaled by a uniform factor in
    [1 - jitter, 1 + jitter] (seeded: the same seed gives the same blinks). Each blink closes in
    ``close_s`` seconds and reopens in ``open_s`` (uniform ranges; adults close in about 0.1 s
    and reopen more slowly). The closed key sits on a whole frame so a render at whole frames
    really reaches ``peak``; the start and end keys keep their exact sub-frame times.
    Keys are bezier auto-clamped, so the curve never dips below 0 or exceeds ``peak``."""
    if blinks_per_minute <= 0 or fps <= 0:
        raise ValueError("auto_blink: blinks_per_minute and fps must be positive")
    if not 0 <= jitter < 1:
        raise ValueError(f"auto_blink: jitter must be in [0, 1), got {jitter}")
    rng = np.random.default_rng(seed)
    mean_gap = 60.0 / blinks_per_minute
    keys: list[Keyframe] = []
    # The first blink comes after a partial interval so takes do not all open with a blink.
    t = start_frame / fps + mean_gap * rng.uniform(0.3, 1.0)
    end_t = duration / fps
    while True:
        close = rng.uniform(*close_s)
        reopen = rng.uniform(*open_s)
        peak_frame = float(np.round((t + close) * fps))
        f0 = peak_frame - close * fps
        f1 = peak_frame + reopen * fps
        if f1 > duration - 1:
            break
        if not keys or f0 > keys[-1].frame:
            keys += [
                Keyframe(round(f0, 4), 0.0, Interpolation.BEZIER),
                Keyframe(peak_frame, peak, Interpolation.BEZIER),
                Keyframe(round(f1, 4), 0.0, Interpolation.BEZIER),
            ]
        t = f1 / fps + mean_gap * rng.uniform(1.0 - jitter, 1.0 + jitter)
        if t >= end_t:
            break
    return Curve(tuple(keys))

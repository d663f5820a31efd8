"""Pure edits: each takes a curve (or a take) and returns a new one; nothing is modified in place.

Keys are addressed by index into ``curve.keys`` (sorted by frame). Take-level edits take a
selection ``{channel: indices}`` and skip locked channels.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from .curve import (
    Curve, CurveArrays, Extrapolation, HandleType, Interpolation, Keyframe, compute_handles, evaluate,
    evaluate_arrays,
)
from .take import SPEECH_MAX, SPEECH_MIN, Take
from core.aus import AU_MAX, AU_MIN, SPEECH_NAMES

Selection = Mapping[str, Iterable[int]]


def channel_range(channel: str) -> tuple[float, float]:
    """The values a channel's keys may hold: AUs AU_MIN..AU_MAX, speech controls SPEECH_MIN..SPEECH_MAX.
    Take-level edits keep every key they change inside it."""
    return (SPEECH_MIN, SPEECH_MAX) if channel in SPEECH_NAMES else (AU_MIN, AU_MAX)


def _clamp_key(k: Keyframe, value_range) -> Keyframe:
    """``k`` with its value inside ``value_range`` (its handles move with it)."""
    if value_range is None:
        return k
    lo, hi = value_range
    v = min(max(k.value, lo), hi)
    return k if v == k.value else k.shifted(0.0, v - k.value)


def _indices(curve: Curve, indices: Iterable[int]) -> list[int]:
    idx = sorted(set(int(i) for i in indices))
    for i in idx:
        if not 0 <= i < len(curve.keys):
            raise IndexError(f"key index {i} out of range for a curve of {len(curve.keys)} keys")
    return idx


def _merge(curve: Curve, fixed: Sequence[Keyframe], moved: Sequence[Keyframe]) -> Curve:
    """Keys ``moved`` win over ``fixed`` keys on the same frame (Blender merges after transform)."""
    by_frame = {k.frame: k for k in fixed}
    for k in moved:
        by_frame[k.frame] = k
    return curve.with_keys(by_frame.values())


# ------------------------------------------------------------------------------- key edits


def insert_key(
    curve: Curve, frame: float, value: float, interpolation: Interpolation | None = None,
    handle_type: HandleType = HandleType.AUTO_CLAMPED, value_range=None,
) -> Curve:
    """Add a key, or set the value of the key already on ``frame``. A new key takes the
    interpolation of the key before it (bezier on an empty curve), as animators expect.
    With ``value_range`` (lo, hi) the value is clamped into it."""
    if value_range is not None:
        value = min(max(float(value), value_range[0]), value_range[1])
    i = curve.index_at(float(frame))
    if i is not None:
        old = curve.keys[i]
        new = old.shifted(0.0, float(value) - old.value)
        if interpolation is not None:
            new = dataclasses.replace(new, interpolation=interpolation)
        return curve.with_keys(curve.keys[:i] + (new,) + curve.keys[i + 1:])
    if interpolation is None:
        before = [k for k in curve.keys if k.frame < frame]
        interpolation = before[-1].interpolation if before else (
            curve.keys[0].interpolation if curve.keys else Interpolation.BEZIER)
    return curve.with_keys(curve.keys + (Keyframe(frame, value, interpolation, handle_type),))


def indices_at(curve: Curve, frames: Iterable[float]) -> list[int]:
    """Indices of the keys on ``frames`` (those that exist), to re-select keys after an edit
    reordered them: keys are found by where they landed, not by where they were."""
    where = {k.frame: i for i, k in enumerate(curve.keys)}
    return sorted(where[float(f)] for f in frames if float(f) in where)


def delete_keys(curve: Curve, indices: Iterable[int]) -> Curve:
    drop = set(_indices(curve, indices))
    return curve.with_keys(k for i, k in enumerate(curve.keys) if i not in drop)


def move_keys(curve: Curve, indices: Iterable[int], dframe: float, dvalue: float, snap: bool = True,
              value_range=None) -> Curve:
    """Move keys by (dframe, dvalue); with ``snap`` the moved keys land on whole frames. With
    ``value_range`` (lo, hi) each moved key's value stops at the range's ends (a key already
    outside it is brought inside)."""
    idx = _indices(curve, indices)
    sel = set(idx)
    moved = []
    for i in idx:
        k = curve.keys[i]
        df = dframe
        if snap:
            df = float(np.round(k.frame + dframe)) - k.frame
        moved.append(_clamp_key(k.shifted(df, dvalue), value_range))
    return _merge(curve, [k for i, k in enumerate(curve.keys) if i not in sel], moved)


def scale_keys(
    curve: Curve, indices: Iterable[int], frame_factor: float = 1.0, value_factor: float = 1.0,
    pivot_frame: float = 0.0, pivot_value: float = 0.0, snap: bool = True, value_range=None,
) -> Curve:
    """Scale keys (and their handles) in time and value about (pivot_frame, pivot_value).
    A negative time factor mirrors the keys (their handles swap sides). With ``value_range``
    (lo, hi) each scaled key's value is clamped into it."""
    idx = _indices(curve, indices)
    sel = set(idx)

    def tf(p):
        return (pivot_frame + (p[0] - pivot_frame) * frame_factor, pivot_value + (p[1] - pivot_value) * value_factor)

    moved = []
    for i in idx:
        k = curve.keys[i]
        f, v = tf((k.frame, k.value))
        if snap:
            f = float(np.round(f))
        hl, hr = tf(k.handle_left), tf(k.handle_right)
        if frame_factor < 0:
            hl, hr = hr, hl
        moved.append(_clamp_key(dataclasses.replace(k, frame=f, value=v, handle_left=hl, handle_right=hr),
                                value_range))
    return _merge(curve, [k for i, k in enumerate(curve.keys) if i not in sel], moved)


def set_interpolation(curve: Curve, indices: Iterable[int], interpolation: Interpolation) -> Curve:
    sel = set(_indices(curve, indices))
    return curve.with_keys(dataclasses.replace(k, interpolation=Interpolation(interpolation)) if i in sel else k
                           for i, k in enumerate(curve.keys))


def set_handle_type(curve: Curve, indices: Iterable[int], handle_type: HandleType) -> Curve:
    """Switching to free keeps the current handles (Blender); other types recompute them."""
    sel = set(_indices(curve, indices))
    return curve.with_keys(dataclasses.replace(k, handle_type=HandleType(handle_type)) if i in sel else k
                           for i, k in enumerate(curve.keys))


def set_handles(curve: Curve, index: int, left: tuple[float, float] | None = None,
                right: tuple[float, float] | None = None) -> Curve:
    """Place a key's handles by hand; the key becomes free."""
    (i,) = _indices(curve, [index])
    k = curve.keys[i]
    k = dataclasses.replace(k, handle_type=HandleType.FREE, handle_left=left or k.handle_left,
                            handle_right=right or k.handle_right)
    return curve.with_keys(curve.keys[:i] + (k,) + curve.keys[i + 1:])


def smooth_keys(curve: Curve, indices: Iterable[int], passes: int = 1) -> Curve:
    """Binomial (1, 2, 1) / 4 filter on the values of the selected keys, using their neighbours'
    values; the first and last key of the curve stay put so the take keeps its ends."""
    idx = [i for i in _indices(curve, indices) if 0 < i < len(curve.keys) - 1]
    if not idx:
        return curve
    y = curve.values.copy()
    sel = np.array(idx)
    for _ in range(passes):
        y_new = y.copy()
        y_new[sel] = 0.25 * y[sel - 1] + 0.5 * y[sel] + 0.25 * y[sel + 1]
        y = y_new
    keys = list(curve.keys)
    for i in idx:
        keys[i] = keys[i].shifted(0.0, float(y[i]) - keys[i].value)
    return curve.with_keys(keys)


# ------------------------------------------------------------------------- simplify / bake


def _sub_arrays(arr: CurveArrays, idx: np.ndarray, extrapolation: Extrapolation) -> CurveArrays:
    x, y, h = arr.x[idx], arr.y[idx], arr.handle[idx]
    hl, hr = compute_handles(x, y, h, arr.hl[idx], arr.hr[idx], extrapolation)
    return CurveArrays(x, y, arr.interp[idx], h, hl, hr)


def simplify(curve: Curve, tolerance: float, indices: Iterable[int] | None = None) -> Curve:
    """Greedily remove keys while the curve stays within ``tolerance`` of the original.

    A candidate key is removed when the resulting curve differs from the original by at most
    ``tolerance`` at every whole frame and every original key frame. Removing a key changes
    only the handles of its two new neighbours (auto handles see one key each side), so only
    the three segments around it are re-evaluated, from a local run of six keys.
    ``indices`` limits the candidates (default: all but the first and last key). With linear
    extrapolation the keys next to the ends stay, so the extrapolated lines do not move."""
    k = len(curve.keys)
    if k <= 2:
        return curve
    cand = range(1, k - 1) if indices is None else [i for i in _indices(curve, indices) if 0 < i < k - 1]
    base = curve.arrays
    x = base.x
    probe = np.union1d(np.arange(np.ceil(x[0]), np.floor(x[-1]) + 1), x)
    reference = evaluate_arrays(base, curve.extrapolation, probe)
    keep = np.ones(k, dtype=bool)
    for i in cand:
        trial = keep.copy()
        trial[i] = False
        alive = np.flatnonzero(trial)
        pos = int(np.searchsorted(alive, i))
        if curve.extrapolation == Extrapolation.LINEAR and (pos == 1 or pos == len(alive) - 1):
            continue  # the end key's handle, hence the extrapolated slope, would change
        sub = alive[max(pos - 3, 0):min(pos + 3, len(alive))]
        lo = x[alive[max(pos - 2, 0)]]
        hi = x[alive[min(pos + 1, len(alive) - 1)]]
        a, b = np.searchsorted(probe, lo, side="left"), np.searchsorted(probe, hi, side="right")
        arr = _sub_arrays(base, sub, curve.extrapolation)
        err = np.abs(evaluate_arrays(arr, curve.extrapolation, probe[a:b]) - reference[a:b])
        if err.max(initial=0.0) <= tolerance:
            keep = trial
    return curve.with_keys(k_ for k_, m in zip(curve.keys, keep) if m)


def rdp_indices(x: np.ndarray, y: np.ndarray, tolerance: float) -> np.ndarray:
    """Ramer-Douglas-Peucker on a polyline measured vertically (value error at each sample):
    the indices [M] of the points kept so that linear interpolation between them stays within
    ``tolerance`` of every sample. x [N] increasing, y [N]."""
    n = len(x)
    if n <= 2:
        return np.arange(n)
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        xs = x[a + 1:b]
        line = y[a] + (y[b] - y[a]) * (xs - x[a]) / (x[b] - x[a])
        err = np.abs(y[a + 1:b] - line)
        j = int(np.argmax(err))
        if err[j] > tolerance:
            m = a + 1 + j
            keep[m] = True
            stack.append((a, m))
            stack.append((m, b))
    return np.flatnonzero(keep)


def bake(
    frames: np.ndarray, values: np.ndarray, tolerance: float | None = None,
    interpolation: Interpolation = Interpolation.LINEAR, extrapolation: Extrapolation = Extrapolation.CONSTANT,
) -> Curve:
    """Dense samples (frames [N] increasing, values [N]) -> a curve with a key per sample, or,
    with ``tolerance``, only the keys needed to stay within it at every sample (linear:
    Ramer-Douglas-Peucker; bezier: greedy ``simplify``)."""
    f = np.asarray(frames, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if f.shape != v.shape or f.ndim != 1:
        raise ValueError(f"bake: frames and values must be 1-D of equal length, got {f.shape} and {v.shape}")
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(v))):
        raise ValueError("bake: samples must be finite")
    if len(f) > 1 and np.any(np.diff(f) <= 0):
        raise ValueError("bake: frames must be strictly increasing")
    interpolation = Interpolation(interpolation)
    idx = np.arange(len(f))
    if tolerance is not None and interpolation == Interpolation.LINEAR:
        idx = rdp_indices(f, v, tolerance)
    curve = Curve(tuple(Keyframe(f[i], v[i], interpolation) for i in idx), extrapolation=extrapolation)
    if tolerance is not None and interpolation == Interpolation.BEZIER:
        curve = simplify(curve, tolerance)
    return curve


# ---------------------------------------------------------------------------- clipboard


@dataclasses.dataclass(frozen=True)
class Clipboard:
    """Copied keys per channel, frames relative to the earliest copied key."""

    keys: Mapping[str, tuple[Keyframe, ...]]


def copy_keys(take: Take, selection: Selection) -> Clipboard:
    chosen = {n: tuple(take.curves[n].keys[i] for i in _indices(take.curves[n], idx)) for n, idx in selection.items()}
    chosen = {n: ks for n, ks in chosen.items() if ks}
    if not chosen:
        return Clipboard({})
    start = min(k.frame for ks in chosen.values() for k in ks)
    return Clipboard({n: tuple(k.shifted(-start, 0.0) for k in ks) for n, ks in chosen.items()})


def paste_keys(take: Take, clipboard: Clipboard, frame: float, value_offset: float = 0.0) -> Take:
    """Paste at ``frame`` (the earliest copied key lands there), replacing keys on the same
    frames, values clamped into each channel's range. Locked channels are left alone."""
    changed = {}
    for n, ks in clipboard.keys.items():
        c = take.curves[n]
        if c.lock:
            continue
        rng = channel_range(n)
        changed[n] = _merge(c, c.keys, [_clamp_key(k.shifted(frame, value_offset), rng) for k in ks])
    return take.with_curves(changed)


# ---------------------------------------------------------------------------- take level


def edit_selection(take: Take, selection: Selection, fn: Callable[[Curve, list[int]], Curve]) -> Take:
    """Apply ``fn(curve, indices)`` to every selected, unlocked channel."""
    return _edit_channels(take, selection, lambda n, c, i: fn(c, i))


def _edit_channels(take: Take, selection: Selection, fn: Callable[[str, Curve, list[int]], Curve]) -> Take:
    """``edit_selection`` with the channel's name passed to ``fn(name, curve, indices)``."""
    changed = {}
    for n, idx in selection.items():
        c = take.curves[n]
        idx = _indices(c, idx)
        if c.lock or not idx:
            continue
        new = fn(n, c, idx)
        if new != c:
            changed[n] = new
    return take.with_curves(changed) if changed else take


def move_selection(take: Take, selection: Selection, dframe: float, dvalue: float, snap: bool = True) -> Take:
    """Move the selected keys; each key's value stays within its channel's range."""
    return _edit_channels(take, selection, lambda n, c, i: move_keys(c, i, dframe, dvalue, snap, channel_range(n)))


def delete_selection(take: Take, selection: Selection) -> Take:
    return edit_selection(take, selection, delete_keys)


def scale_selection(take: Take, selection: Selection, frame_factor: float = 1.0, value_factor: float = 1.0,
                    pivot_frame: float = 0.0, pivot_value: float = 0.0, snap: bool = True) -> Take:
    """Scale the selected keys; each key's value stays within its channel's range."""
    return _edit_channels(take, selection, lambda n, c, i: scale_keys(
        c, i, frame_factor, value_factor, pivot_frame, pivot_value, snap, channel_range(n)))


def sample_curve(curve: Curve, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Whole frames start..stop-1 [N] and the curve's values there [N]."""
    f = np.arange(start, stop, dtype=np.float64)
    return f, evaluate(curve, f, respect_mute=False)

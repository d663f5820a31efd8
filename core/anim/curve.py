"""Keyframes, animation curves and their vectorised evaluation (Blender F-curve semantics).

A curve is an immutable, frame-sorted tuple of keyframes. Every construction recomputes the
handles of non-free keys (Blender's ``calchandles_fcurve``), so a ``Curve`` is always consistent:
edits build new curves, they never patch one in place.

Arrays: ``K`` keys, ``F`` evaluated frames.
"""
from __future__ import annotations

import dataclasses
import enum
import functools
import json
import math
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from core.limits import MAX_KEY_VALUE


class Interpolation(str, enum.Enum):
    """How the segment from a key to the next one is drawn."""

    CONSTANT = "constant"
    LINEAR = "linear"
    BEZIER = "bezier"


class HandleType(str, enum.Enum):
    AUTO_CLAMPED = "auto_clamped"
    AUTO = "auto"
    VECTOR = "vector"
    FREE = "free"


class Extrapolation(str, enum.Enum):
    CONSTANT = "constant"
    LINEAR = "linear"


class Extra(Mapping[str, Any]):
    """Fields a take file holds that this version does not know, kept so that a save writes them
    back (as OpenTimelineIO keeps unknown data). An immutable, hashable mapping from field name
    to JSON value; each value is held as canonical JSON text, so reading one (``extra["x"]``)
    gives a fresh copy and nothing can change it in place. ``Extra.EMPTY`` is the usual one.

    Values must be JSON: NaN, infinities and objects json cannot write raise ValueError."""

    __slots__ = ("_texts", "_hash")
    EMPTY: "Extra"

    def __init__(self, values: Mapping[str, Any] | Iterable[tuple[str, Any]] = ()) -> None:
        texts = {}
        for k, v in dict(values).items():
            if not isinstance(k, str):
                raise ValueError(f"Extra: field names must be strings, got {k!r}")
            try:
                texts[k] = json.dumps(v, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
            except (TypeError, RecursionError) as exc:
                raise ValueError(f"Extra: field {k!r} is not JSON: {exc}") from None
        object.__setattr__(self, "_texts", texts)
        object.__setattr__(self, "_hash", None)

    @classmethod
    def of(cls, values: "Mapping[str, Any] | Extra | None") -> "Extra":
        """``values`` as an Extra (the same object when it is one; EMPTY when there are none)."""
        if isinstance(values, Extra):
            return values
        if not values:
            return cls.EMPTY
        return cls(values)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Extra is immutable")

    def __reduce__(self):
        return (Extra, (self.values_dict(),))

    def __copy__(self) -> "Extra":
        return self

    def __deepcopy__(self, memo) -> "Extra":
        return self

    def __getitem__(self, key: str) -> Any:
        return json.loads(self._texts[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def text(self, key: str) -> str:
        """The JSON text of one field."""
        return self._texts[key]

    def values_dict(self) -> dict[str, Any]:
        """A new plain dict of the fields (in file order) with fresh values."""
        return {k: json.loads(t) for k, t in self._texts.items()}

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Extra):
            return self._texts == other._texts
        if not isinstance(other, Mapping):
            return NotImplemented
        return dict(self.items()) == dict(other.items())

    def __hash__(self) -> int:
        if self._hash is None:
            object.__setattr__(self, "_hash", hash(frozenset(self._texts.items())))
        return self._hash

    def __repr__(self) -> str:
        return f"Extra({{{', '.join(f'{k!r}: {t}' for k, t in self._texts.items())}}})"


Extra.EMPTY = Extra()


_INTERP_CODE = {Interpolation.CONSTANT: 0, Interpolation.LINEAR: 1, Interpolation.BEZIER: 2}
_HANDLE_CODE = {HandleType.AUTO_CLAMPED: 0, HandleType.AUTO: 1, HandleType.VECTOR: 2, HandleType.FREE: 3}


@dataclasses.dataclass(frozen=True)
class Keyframe:
    """One key. Handles are absolute (frame, value) points, as in Blender.

    ``interpolation`` is that of the segment from this key to the next one. Handles of
    non-free keys are recomputed whenever the curve is built, so they may be left ``None``.
    ``extra``: the key's fields a take file held that this version does not know (kept, and
    moved with the key, so a save writes them back)."""

    frame: float
    value: float
    interpolation: Interpolation = Interpolation.BEZIER
    handle_type: HandleType = HandleType.AUTO_CLAMPED
    handle_left: tuple[float, float] | None = None
    handle_right: tuple[float, float] | None = None
    extra: Extra = Extra.EMPTY

    def __post_init__(self) -> None:
        if not isinstance(self.extra, Extra):
            object.__setattr__(self, "extra", Extra.of(self.extra))
        try:
            object.__setattr__(self, "frame", float(self.frame))
            object.__setattr__(self, "value", float(self.value))
        except OverflowError:  # an int past float range
            raise ValueError("Keyframe: frame and value must be finite numbers") from None
        object.__setattr__(self, "interpolation", Interpolation(self.interpolation))
        object.__setattr__(self, "handle_type", HandleType(self.handle_type))
        if not (math.isfinite(self.frame) and math.isfinite(self.value)):
            raise ValueError(f"Keyframe: frame and value must be finite, got ({self.frame}, {self.value})")
        for side in ("handle_left", "handle_right"):
            h = getattr(self, side)
            if h is not None:
                try:
                    h = (float(h[0]), float(h[1]))
                except OverflowError:
                    raise ValueError(f"Keyframe.{side}: must be finite numbers") from None
                if not (math.isfinite(h[0]) and math.isfinite(h[1])):
                    raise ValueError(f"Keyframe.{side}: must be finite, got {h}")
                object.__setattr__(self, side, h)

    def shifted(self, dframe: float, dvalue: float) -> "Keyframe":
        """The key moved by (dframe, dvalue), handles moving with it."""
        hl = None if self.handle_left is None else (self.handle_left[0] + dframe, self.handle_left[1] + dvalue)
        hr = None if self.handle_right is None else (self.handle_right[0] + dframe, self.handle_right[1] + dvalue)
        return dataclasses.replace(
            self, frame=self.frame + dframe, value=self.value + dvalue, handle_left=hl, handle_right=hr
        )


@dataclasses.dataclass(frozen=True)
class CurveArrays:
    """Struct-of-arrays view of a curve: x, y [K]; interp, handle [K] int8 codes; hl, hr [K, 2]."""

    x: np.ndarray
    y: np.ndarray
    interp: np.ndarray
    handle: np.ndarray
    hl: np.ndarray
    hr: np.ndarray


@dataclasses.dataclass(frozen=True)
class Curve:
    """An animation channel: sorted keys, extrapolation and the mute / solo / lock flags.

    Muted curves evaluate to 0 (the channel's rest value). ``lock`` is honoured by the take-level
    edits (locked channels are skipped), not by the pure per-curve functions. ``extra``: the
    track's fields a take file held that this version does not know (kept for the next save)."""

    keys: tuple[Keyframe, ...] = ()
    extrapolation: Extrapolation = Extrapolation.CONSTANT
    mute: bool = False
    solo: bool = False
    lock: bool = False
    extra: Extra = Extra.EMPTY

    def __post_init__(self) -> None:
        if not isinstance(self.extra, Extra):
            object.__setattr__(self, "extra", Extra.of(self.extra))
        keys = tuple(sorted(self.keys, key=lambda k: k.frame))
        for a, b in zip(keys, keys[1:]):
            if a.frame == b.frame:
                raise ValueError(f"Curve: two keys on frame {a.frame}")
        object.__setattr__(self, "extrapolation", Extrapolation(self.extrapolation))
        object.__setattr__(self, "keys", _with_handles(keys, self.extrapolation))

    def __len__(self) -> int:
        return len(self.keys)

    @functools.cached_property
    def arrays(self) -> CurveArrays:
        k = self.keys
        arr = CurveArrays(
            x=np.array([q.frame for q in k], dtype=np.float64),
            y=np.array([q.value for q in k], dtype=np.float64),
            interp=np.array([_INTERP_CODE[q.interpolation] for q in k], dtype=np.int8),
            handle=np.array([_HANDLE_CODE[q.handle_type] for q in k], dtype=np.int8),
            hl=np.array([q.handle_left for q in k], dtype=np.float64).reshape(-1, 2),
            hr=np.array([q.handle_right for q in k], dtype=np.float64).reshape(-1, 2),
        )
        for a in (arr.x, arr.y, arr.interp, arr.handle, arr.hl, arr.hr):
            a.setflags(write=False)
        return arr

    @property
    def frames(self) -> np.ndarray:
        return self.arrays.x

    @property
    def values(self) -> np.ndarray:
        return self.arrays.y

    def with_keys(self, keys: Iterable[Keyframe]) -> "Curve":
        return dataclasses.replace(self, keys=tuple(keys))

    def index_at(self, frame: float) -> int | None:
        """Index of the key exactly on ``frame``, or None."""
        for i, k in enumerate(self.keys):
            if k.frame == frame:
                return i
        return None

    def nbytes(self) -> int:
        """Approximate memory held by this curve (for the undo memory bound)."""
        return 200 + 180 * len(self.keys)


# ----------------------------------------------------------------------------------- handles


def compute_handles(
    x: np.ndarray,
    y: np.ndarray,
    handle: np.ndarray,
    hl: np.ndarray,
    hr: np.ndarray,
    extrapolation: Extrapolation = Extrapolation.CONSTANT,
) -> tuple[np.ndarray, np.ndarray]:
    """Blender's F-curve handle rule, vectorised over keys.

    x, y [K] sorted key positions; handle [K] codes (0 auto-clamped, 1 auto, 2 vector, 3 free);
    hl, hr [K, 2] current handles (kept for free keys; NaN rows get an auto-clamped handle).
    Returns new hl, hr [K, 2].

    auto: the handle direction is the sum of the chord slopes to both neighbours (so its slope
    is their mean) and its horizontal length is a third of the distance to that neighbour (the
    F-curve branch of Blender's ``calchandleNurb_intern``). auto-clamped: the same, flattened at
    local extremes and clamped so a handle never passes its neighbour's value (no overshoot).
    vector: a third of the way toward the neighbour key. End keys see a mirrored neighbour, and
    with constant extrapolation their auto handles are flat (Blender's ease in / ease out).

    Handles are always finite for finite keys: where the rule overflows (keys a hair apart in
    time with different values give a near-vertical chord, keys near the float range a mirrored
    neighbour beyond it), the handle falls back to a flat one a third of the way to its neighbour;
    handle values are kept within +-core.limits.MAX_KEY_VALUE (or the largest key value, when a
    key lies beyond it), which no curve of AU or speech values comes near.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out_l, out_r = _compute_handles(x, y, handle, hl, hr, extrapolation)
        bad = ~(np.isfinite(out_l).all(1) & np.isfinite(out_r).all(1))
        if bad.any():
            x = np.asarray(x, dtype=np.float64)
            y = np.asarray(y, dtype=np.float64)
            gap_l = np.concatenate([[np.inf], np.diff(x)])
            gap_r = np.concatenate([np.diff(x), [np.inf]])
            gap_l = np.where(np.isfinite(gap_l) & (gap_l > 0), gap_l, gap_r)
            gap_r = np.where(np.isfinite(gap_r) & (gap_r > 0), gap_r, gap_l)
            gap_l = np.where(np.isfinite(gap_l) & (gap_l > 0), gap_l, 3.0)
            gap_r = np.where(np.isfinite(gap_r) & (gap_r > 0), gap_r, 3.0)
            fl = np.stack([x - gap_l / 3, y], axis=1)
            fr = np.stack([x + gap_r / 3, y], axis=1)
            fl[~np.isfinite(fl[:, 0]), 0] = x[~np.isfinite(fl[:, 0])]
            fr[~np.isfinite(fr[:, 0]), 0] = x[~np.isfinite(fr[:, 0])]
            out_l[bad] = fl[bad]
            out_r[bad] = fr[bad]
    # Near-vertical chords may still give handles far past any key's value: they are cut to
    # the range a take file may hold (or to the curve's own keys, when those lie beyond it).
    if len(out_l):
        lim = max(MAX_KEY_VALUE, float(np.max(np.abs(np.asarray(y, dtype=np.float64)))))
        np.clip(out_l[:, 1], -lim, lim, out=out_l[:, 1])
        np.clip(out_r[:, 1], -lim, lim, out=out_r[:, 1])
    return _clamp_sides(np.asarray(x, dtype=np.float64), out_l, out_r)


def _compute_handles(x, y, handle, hl, hr, extrapolation) -> tuple[np.ndarray, np.ndarray]:
    k = len(x)
    hl = np.array(hl, dtype=np.float64).reshape(k, 2)
    hr = np.array(hr, dtype=np.float64).reshape(k, 2)
    if k == 0:
        return hl, hr
    if k == 1:
        need = (handle != 3) | np.isnan(hl).any(1) | np.isnan(hr).any(1)
        hl[need] = [x[0] - 1.0, y[0]]
        hr[need] = [x[0] + 1.0, y[0]]
        return hl, hr
    # Neighbours; the ends mirror the only neighbour they have (Blender: pt = 2 * p2 - p3).
    px = np.concatenate([[2 * x[0] - x[1]], x[:-1]])
    py = np.concatenate([[2 * y[0] - y[1]], y[:-1]])
    nx = np.concatenate([x[1:], [2 * x[-1] - x[-2]]])
    ny = np.concatenate([y[1:], [2 * y[-1] - y[-2]]])
    dxa, dya = x - px, y - py
    dxb, dyb = nx - x, ny - y
    dxa = np.where(dxa == 0, 1.0, dxa)
    dxb = np.where(dxb == 0, 1.0, dxb)

    slope = (dyb / dxb + dya / dxa) / 2  # tvec / tvec.x, i.e. the mean chord slope
    a_hl = np.stack([x - dxa / 3, y - slope * dxa / 3], axis=1)
    a_hr = np.stack([x + dxb / 3, y + slope * dxb / 3], axis=1)

    clamped = handle == 0
    interior = np.zeros(k, dtype=bool)
    interior[1:-1] = True
    yd1 = py - y  # prev - this
    yd2 = ny - y  # next - this
    extreme = ((yd1 <= 0) & (yd2 <= 0)) | ((yd1 >= 0) & (yd2 >= 0))
    flat = clamped & interior & extreme
    a_hl[flat, 1] = y[flat]
    a_hr[flat, 1] = y[flat]
    c = clamped & interior & ~extreme
    # A handle may not go past the neighbour's value; when it would, it is cut to that value
    # and the opposite handle is realigned so the key keeps a smooth (collinear) tangent.
    left_violate = c & (((yd1 <= 0) & (py > a_hl[:, 1])) | ((yd1 > 0) & (py < a_hl[:, 1])))
    a_hl[left_violate, 1] = py[left_violate]
    right_violate = c & (((yd2 <= 0) & (ny > a_hr[:, 1])) | ((yd2 > 0) & (ny < a_hr[:, 1])))
    a_hr[right_violate, 1] = ny[right_violate]
    with np.errstate(divide="ignore", invalid="ignore"):
        s_left = (y - a_hl[:, 1]) / (x - a_hl[:, 0])
        s_right = (a_hr[:, 1] - y) / (a_hr[:, 0] - x)
    lv = left_violate
    a_hr[lv, 1] = y[lv] + s_left[lv] * (a_hr[lv, 0] - x[lv])
    rv = right_violate & ~left_violate
    a_hl[rv, 1] = y[rv] - s_right[rv] * (x[rv] - a_hl[rv, 0])

    if Extrapolation(extrapolation) == Extrapolation.CONSTANT:
        for i in (0, k - 1):
            if handle[i] in (0, 1):
                a_hl[i, 1] = a_hr[i, 1] = y[i]

    v_hl = np.stack([x - dxa / 3, y - dya / 3], axis=1)
    v_hr = np.stack([x + dxb / 3, y + dyb / 3], axis=1)

    auto = handle <= 1
    vec = handle == 2
    free_missing = (handle == 3) & (np.isnan(hl).any(1) | np.isnan(hr).any(1))
    out_l, out_r = hl.copy(), hr.copy()
    out_l[auto | free_missing] = a_hl[auto | free_missing]
    out_r[auto | free_missing] = a_hr[auto | free_missing]
    out_l[vec] = v_hl[vec]
    out_r[vec] = v_hr[vec]
    return out_l, out_r


def _clamp_sides(x: np.ndarray, hl: np.ndarray, hr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Blender keeps each handle on its own side of the key in time; with correct_bezpart this is
    # what makes every bezier segment a function of time.
    hl[:, 0] = np.minimum(hl[:, 0], x)
    hr[:, 0] = np.maximum(hr[:, 0], x)
    return hl, hr


def _with_handles(keys: tuple[Keyframe, ...], extrapolation: Extrapolation) -> tuple[Keyframe, ...]:
    if not keys:
        return keys
    x = np.array([q.frame for q in keys])
    y = np.array([q.value for q in keys])
    handle = np.array([_HANDLE_CODE[q.handle_type] for q in keys], dtype=np.int8)
    nan = (np.nan, np.nan)
    hl = np.array([q.handle_left or nan for q in keys], dtype=np.float64)
    hr = np.array([q.handle_right or nan for q in keys], dtype=np.float64)
    hl, hr = compute_handles(x, y, handle, hl, hr, extrapolation)
    out = []
    for q, l, r in zip(keys, hl, hr):
        lt, rt = (float(l[0]), float(l[1])), (float(r[0]), float(r[1]))
        if q.handle_left != lt or q.handle_right != rt:
            q = dataclasses.replace(q, handle_left=lt, handle_right=rt)
        out.append(q)
    return tuple(out)


# -------------------------------------------------------------------------------- evaluation


def bezier_segments(arr: CurveArrays) -> np.ndarray:
    """Control points of every segment after Blender's ``correct_bezpart``: [K-1, 4, 2] (P0..P3).

    When the two handles of a segment together are longer in time than the segment, both are
    scaled by the same factor so their horizontal lengths sum to the segment length; with the
    handles on their own sides of the keys, x(t) is then monotonic (a function of time)."""
    p0 = np.stack([arr.x[:-1], arr.y[:-1]], axis=1)
    p3 = np.stack([arr.x[1:], arr.y[1:]], axis=1)
    p1 = arr.hr[:-1].copy()
    p2 = arr.hl[1:].copy()
    len_seg = p3[:, 0] - p0[:, 0]
    len1 = np.abs(p1[:, 0] - p0[:, 0])
    len2 = np.abs(p3[:, 0] - p2[:, 0])
    total = len1 + len2
    fac = np.ones_like(total)
    over = total > len_seg
    fac[over] = len_seg[over] / total[over]
    p1 = p0 + fac[:, None] * (p1 - p0)
    p2 = p3 + fac[:, None] * (p2 - p3)
    return np.stack([p0, p1, p2, p3], axis=1)


def _cubic(c0, c1, c2, c3, t):
    s = 1.0 - t
    return s * s * s * c0 + 3 * s * s * t * c1 + 3 * s * t * t * c2 + t * t * t * c3


def solve_bezier_t(x0, x1, x2, x3, x: np.ndarray, iterations: int = 48) -> np.ndarray:
    """Parameter t in [0, 1] with X(t) = x for monotonic cubic Beziers, all arrays [N].

    Newton steps on the cubic, safeguarded by a bisection bracket (a step leaving the bracket
    becomes a bisection), so it converges for every monotonic segment, flat tangents included."""
    span = x3 - x0
    lo = np.zeros_like(x)
    hi = np.ones_like(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.clip(np.where(span > 0, (x - x0) / span, 0.0), 0.0, 1.0)
    # Power-basis coefficients of X(t) - x.
    a = -x0 + 3 * x1 - 3 * x2 + x3
    b = 3 * x0 - 6 * x1 + 3 * x2
    c = -3 * x0 + 3 * x1
    d = x0 - x
    for _ in range(iterations):
        f = ((a * t + b) * t + c) * t + d
        done = np.abs(f) <= 1e-12 * np.maximum(1.0, np.abs(span))
        if done.all():
            break
        lo = np.where(f < 0, t, lo)
        hi = np.where(f > 0, t, hi)
        df = (3 * a * t + 2 * b) * t + c
        with np.errstate(divide="ignore", invalid="ignore"):
            tn = t - f / df
        bad = ~np.isfinite(tn) | (tn <= lo) | (tn >= hi)
        tn = np.where(bad, 0.5 * (lo + hi), tn)
        t = np.where(done, t, tn)
    return t


def evaluate_arrays(arr: CurveArrays, extrapolation: Extrapolation, frames: np.ndarray) -> np.ndarray:
    """Evaluate a curve given as arrays at ``frames`` [F] -> [F] float64 (no mute handling)."""
    f = np.asarray(frames, dtype=np.float64)
    k = len(arr.x)
    if k == 0:
        return np.zeros(f.shape)
    if k == 1:
        return np.full(f.shape, arr.y[0])
    x, y = arr.x, arr.y
    seg = np.clip(np.searchsorted(x, f, side="right") - 1, 0, k - 2)
    x0, x1 = x[seg], x[seg + 1]
    y0, y1 = y[seg], y[seg + 1]
    before = f < x[0]
    after = f >= x[-1]
    inside = ~(before | after)
    mode = np.where(inside, arr.interp[seg], 0)  # outside the keys: extrapolated below
    out = y0.copy()  # constant
    lin = mode == 1
    if lin.any():
        out[lin] = y0[lin] + (y1[lin] - y0[lin]) * (f[lin] - x0[lin]) / (x1[lin] - x0[lin])
    bez = mode == 2
    if bez.any():
        cp = bezier_segments(arr)[seg[bez]]  # [B, 4, 2]
        t = solve_bezier_t(cp[:, 0, 0], cp[:, 1, 0], cp[:, 2, 0], cp[:, 3, 0], f[bez])
        out[bez] = _cubic(cp[:, 0, 1], cp[:, 1, 1], cp[:, 2, 1], cp[:, 3, 1], t)

    out[before] = y[0]
    out[after] = y[-1]
    if Extrapolation(extrapolation) == Extrapolation.LINEAR:
        out[before] += (f[before] - x[0]) * _end_slope(arr, first=True)
        out[after] += (f[after] - x[-1]) * _end_slope(arr, first=False)
    return out


def _end_slope(arr: CurveArrays, first: bool) -> float:
    """Slope of linear extrapolation, as Blender's ``fcurve_eval_keyframes_extrapolate``:
    the end key's own interpolation decides (constant: flat, linear: the chord to its
    neighbour key, bezier: the direction of its outer handle)."""
    i, j = (0, 1) if first else (-1, -2)
    mode = arr.interp[i]
    if mode == 0:
        return 0.0
    if mode == 1:
        return float((arr.y[j] - arr.y[i]) / (arr.x[j] - arr.x[i]))
    h = arr.hl[0] if first else arr.hr[-1]
    dx = h[0] - arr.x[i]
    if dx == 0:
        return 0.0
    return float((h[1] - arr.y[i]) / dx)


def evaluate(curve: Curve, frames: np.ndarray | Sequence[float], respect_mute: bool = True) -> np.ndarray:
    """Value of ``curve`` at ``frames`` [F] -> [F] float64. Muted curves give 0."""
    f = np.asarray(frames, dtype=np.float64)
    if respect_mute and curve.mute:
        return np.zeros(f.shape)
    return evaluate_arrays(curve.arrays, curve.extrapolation, f)

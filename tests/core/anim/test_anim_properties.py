"""Property-based checks of the evaluator (hypothesis)."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core.anim import Curve, Keyframe, evaluate
from core.anim.curve import bezier_segments

values = st.floats(-10, 10, allow_nan=False)


@st.composite
def key_series(draw, min_keys=2, max_keys=8):
    gaps = draw(st.lists(st.integers(1, 20), min_size=min_keys - 1, max_size=max_keys - 1))
    frames = np.concatenate([[draw(st.integers(0, 50))], np.cumsum(gaps) + 0.0])
    frames[1:] += frames[0]
    ys = draw(st.lists(values, min_size=len(frames), max_size=len(frames)))
    return frames, ys


def _dense_between(a, b, n=41):
    return np.linspace(a, b, n)


@settings(max_examples=60, deadline=None)
@given(key_series(), st.sampled_from(["constant", "linear"]))
def test_auto_clamped_never_leaves_its_neighbours_range(series, extrap):
    frames, ys = series
    c = Curve(tuple(Keyframe(f, y) for f, y in zip(frames, ys)), extrapolation=extrap)
    for (f0, y0), (f1, y1) in zip(zip(frames, ys), list(zip(frames, ys))[1:]):
        v = evaluate(c, _dense_between(f0, f1))
        assert v.min() >= min(y0, y1) - 1e-9 and v.max() <= max(y0, y1) + 1e-9


@settings(max_examples=60, deadline=None)
@given(key_series())
def test_linear_stays_within_its_keys_and_constant_holds_left(series):
    frames, ys = series
    lin = Curve(tuple(Keyframe(f, y, "linear") for f, y in zip(frames, ys)))
    const = Curve(tuple(Keyframe(f, y, "constant") for f, y in zip(frames, ys)))
    for i in range(len(frames) - 1):
        f = np.linspace(frames[i], frames[i + 1], 17)[:-1]
        v = evaluate(lin, f)
        assert v.min() >= min(ys[i], ys[i + 1]) - 1e-9 and v.max() <= max(ys[i], ys[i + 1]) + 1e-9
        assert np.all(evaluate(const, f) == ys[i])
    np.testing.assert_allclose(evaluate(lin, frames), ys, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(key_series(), st.lists(st.sampled_from(["auto_clamped", "auto", "vector", "free"]), min_size=8, max_size=8),
       st.lists(st.tuples(st.floats(-30, 30), st.floats(-20, 20)), min_size=16, max_size=16))
def test_bezier_solve_hits_the_parametric_curve(series, types, handles):
    """For any handles (free ones wild), the value at x(t) equals y(t): the cubic solve inverts
    the corrected, monotonic x(t)."""
    frames, ys = series
    keys = []
    for i, (f, y) in enumerate(zip(frames, ys)):
        hl = (f + handles[2 * i][0], y + handles[2 * i][1])
        hr = (f + handles[2 * i + 1][0], y + handles[2 * i + 1][1])
        keys.append(Keyframe(f, y, "bezier", types[i], hl, hr))
    c = Curve(tuple(keys))
    cp = bezier_segments(c.arrays)  # [S, 4, 2]
    t = np.linspace(0, 1, 33)[None, :, None]
    b = ((1 - t) ** 3 * cp[:, None, 0] + 3 * (1 - t) ** 2 * t * cp[:, None, 1]
         + 3 * (1 - t) * t ** 2 * cp[:, None, 2] + t ** 3 * cp[:, None, 3])  # [S, 33, 2]
    x = b[..., 0]
    assert np.all(np.diff(x, axis=1) >= -1e-9)  # a function of time
    got = evaluate(c, x[:, 1:-1].ravel())
    np.testing.assert_allclose(got, b[:, 1:-1, 1].ravel(), atol=1e-6)
    np.testing.assert_allclose(evaluate(c, frames), ys, atol=1e-9)

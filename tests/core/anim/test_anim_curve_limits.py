"""Curves stay finite for any finite keys (issue 12, item 2: a take whose neighbouring keys held
extreme values raised ValueError from the handle computation), and the parts of a take keep the
unknown fields of their file (``extra``) while staying immutable and hashable."""
import dataclasses
import pickle

import numpy as np
import pytest

from core.anim import Curve, Keyframe, Take, evaluate
from core.anim.curve import Extra, compute_handles
from core.limits import MAX_KEY_VALUE


@pytest.mark.parametrize("keys", [
    [(0, 1e308, "auto"), (1, -1e308, "auto"), (2, 1e308, "auto_clamped")],
    [(0, 1e308, "vector"), (1e308, -1e308, "vector")],
    [(1e308, 0, "auto"), (1.7e308, 5, "auto")],  # the mirrored neighbour lies past float range
    [(0, 5, "auto"), (5e-324, -5, "auto"), (10, 5, "auto")],  # a chord of slope 1e324
    [(0, 5, "free"), (1e-300, 0, "auto"), (1e-299, 5, "auto_clamped")],
])
def test_handles_of_extreme_neighbouring_keys_stay_finite(keys):
    curve = Curve(tuple(Keyframe(f, v, handle_type=h) for f, v, h in keys))  # raised ValueError before
    for k in curve.keys:
        assert np.isfinite(k.handle_left).all() and np.isfinite(k.handle_right).all()
        assert k.handle_left[0] <= k.frame <= k.handle_right[0]


def test_near_vertical_chords_give_handles_within_the_value_bound():
    curve = Curve((Keyframe(5, 5, handle_type="auto"), Keyframe(5 + 1e-9, 0, handle_type="auto"),
                   Keyframe(1000, 5, handle_type="auto")))
    for k in curve.keys:
        assert abs(k.handle_left[1]) <= MAX_KEY_VALUE and abs(k.handle_right[1]) <= MAX_KEY_VALUE
    assert np.isfinite(evaluate(curve, np.linspace(0, 1000, 101))).all()


def test_ordinary_curves_keep_their_handles():
    """The finite fallback and the value bound leave curves of AU values alone."""
    x = np.array([0.0, 10, 20, 35])
    y = np.array([0.0, 4, 1, 5])
    code = np.array([0, 1, 2, 0], dtype=np.int8)
    nan = np.full((4, 2), np.nan)
    hl, hr = compute_handles(x, y, code, nan, nan)
    slope = ((1 - 4) / 10 + (4 - 0) / 10) / 2  # auto: the mean of the chord slopes
    np.testing.assert_allclose(hl[1], [10 - 10 / 3, 4 - slope * 10 / 3])
    np.testing.assert_allclose(hr[2], [20 + 15 / 3, 1 + 4 / 3])  # vector: a third toward the next key


def test_extra_is_an_immutable_hashable_mapping_of_json_values():
    e = Extra({"a": [1, 2], "b": {"c": "d"}, "n": None})
    assert dict(e) == {"a": [1, 2], "b": {"c": "d"}, "n": None} and len(e) == 3
    assert e == Extra({"n": None, "b": {"c": "d"}, "a": [1, 2]}) and hash(e) == hash(Extra(dict(e)))
    assert e != Extra({"a": [1, 2.0], "b": {"c": "d"}, "n": None})  # 2 and 2.0 are different JSON
    e["a"].append(3)
    assert e["a"] == [1, 2]
    with pytest.raises(TypeError):
        e["z"] = 1
    with pytest.raises(AttributeError):
        e._texts = {}
    assert pickle.loads(pickle.dumps(e)) == e and Extra.of({}) is Extra.EMPTY and Extra.of(e) is e
    for bad in ({"x": float("nan")}, {"x": float("inf")}, {"x": object()}, {1: 2}):
        with pytest.raises(ValueError):
            Extra(bad)


def test_a_keys_extra_moves_with_it_and_counts_in_equality():
    k = Keyframe(3, 1.5, extra={"note": "here"})
    assert k != Keyframe(3, 1.5) and hash(k) != hash(Keyframe(3, 1.5))
    moved = k.shifted(2, 0.5)
    assert moved.extra == {"note": "here"} and moved.frame == 5
    c = Curve((k,), extra={"color": "red"})
    assert c.with_keys((moved,)).extra == {"color": "red"} and hash(c)
    t = Take(curves={"AU12": c}, extra={"x": 1})
    assert dataclasses.replace(t, fps=30.0).extra == {"x": 1}

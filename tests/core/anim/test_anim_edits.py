import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.anim import Curve, HandleType, Interpolation, Keyframe, Take, auto_blink, evaluate
from core.anim import edit


def _curve(pairs, interp="bezier"):
    return Curve(tuple(Keyframe(f, v, interp) for f, v in pairs))


def test_insert_replaces_key_on_same_frame_and_inherits_interpolation():
    c = _curve([(0, 0), (10, 1)], "linear")
    c2 = edit.insert_key(c, 5, 3)
    assert [(k.frame, k.value) for k in c2.keys] == [(0, 0), (5, 3), (10, 1)]
    assert c2.keys[1].interpolation == Interpolation.LINEAR
    c3 = edit.insert_key(c2, 5, 4)
    assert len(c3) == 3 and c3.keys[1].value == 4
    assert [(k.frame, k.value) for k in c.keys] == [(0, 0), (10, 1)]  # original untouched


def test_delete_and_move_with_snapping_and_merge():
    c = _curve([(0, 0), (10, 1), (20, 2)], "linear")
    assert [k.frame for k in edit.delete_keys(c, [1]).keys] == [0, 20]
    m = edit.move_keys(c, [1], 2.4, 0.5)
    assert [(k.frame, k.value) for k in m.keys] == [(0, 0), (12, 1.5), (20, 2)]
    free = edit.move_keys(c, [1], 2.4, 0.0, snap=False)
    assert free.keys[1].frame == pytest.approx(12.4)
    # Landing on another key replaces it (the moved key wins).
    on = edit.move_keys(c, [1], 10, 0)
    assert [(k.frame, k.value) for k in on.keys] == [(0, 0), (20, 1)]


def test_move_carries_free_handles():
    c = Curve((Keyframe(0, 0, handle_type="free", handle_left=(-2, 0), handle_right=(2, 1)), Keyframe(10, 1)))
    m = edit.move_keys(c, [0], 3, 1)
    assert m.keys[0].handle_left == (1, 1) and m.keys[0].handle_right == (5, 2)


def test_scale_about_pivot():
    c = _curve([(10, 1), (20, 3)], "linear")
    s = edit.scale_keys(c, [0, 1], frame_factor=2, value_factor=0.5, pivot_frame=10, pivot_value=1)
    # frame: 10 + (f - 10) * 2, value: 1 + (v - 1) * 0.5
    assert [(k.frame, k.value) for k in s.keys] == [(10, 1), (30, 2)]


def test_interpolation_and_handle_type_setters():
    c = _curve([(0, 0), (10, 5), (20, 0)])
    lin = edit.set_interpolation(c, [0, 1], "linear")
    assert evaluate(lin, [5])[0] == 2.5
    vec = edit.set_handle_type(c, [1], HandleType.VECTOR)
    # Vector: a third of the way to each neighbour.
    assert vec.keys[1].handle_left == pytest.approx((20 / 3, 5 - 5 / 3))
    free = edit.set_handles(c, 1, left=(8, 7))
    assert free.keys[1].handle_type == HandleType.FREE and free.keys[1].handle_left == (8, 7)


def test_smooth_binomial_on_selected_keys():
    c = _curve([(0, 0), (1, 4), (2, 0), (3, 4)], "linear")
    s = edit.smooth_keys(c, [1, 2])
    # key 1: (0 + 2*4 + 0) / 4 = 2; key 2: (4 + 0 + 4) / 4 = 2; the ends stay.
    assert [k.value for k in s.keys] == [0, 2, 2, 4]


def test_copy_paste_with_frame_offset_and_lock():
    take = Take(curves={"AU12": _curve([(5, 1), (8, 2)]), "AU01": _curve([(6, 3)])})
    clip = edit.copy_keys(take, {"AU12": [0, 1], "AU01": [0]})
    pasted = edit.paste_keys(take, clip, 100)
    assert [k.frame for k in pasted.curves["AU12"].keys] == [5, 8, 100, 103]
    assert [k.frame for k in pasted.curves["AU01"].keys] == [6, 101]
    locked = take.with_curve("AU01", Curve(take.curves["AU01"].keys, lock=True))
    assert edit.paste_keys(locked, clip, 100).curves["AU01"] is locked.curves["AU01"]
    assert edit.move_selection(locked, {"AU01": [0]}, 5, 0) is locked


def test_simplify_removes_redundant_keys_only():
    line = _curve([(f, 0.5 * f) for f in range(0, 21, 2)], "linear")
    s = edit.simplify(line, 1e-9)
    assert [k.frame for k in s.keys] == [0, 20]
    # Only the key inside the flat run is redundant; removing (10, 0) would lift frames 5..10.
    bump = _curve([(0, 0), (5, 0), (10, 0), (15, 3), (20, 0)], "linear")
    assert [k.frame for k in edit.simplify(bump, 0.1).keys] == [0, 10, 15, 20]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0, 5), min_size=3, max_size=30), st.floats(0.01, 1.0),
       st.sampled_from(["constant", "linear"]), st.sampled_from(["bezier", "linear"]))
def test_simplify_stays_within_tolerance(vals, tol, extrap, interp):
    c = Curve(tuple(Keyframe(i * 3, v, interp) for i, v in enumerate(vals)), extrapolation=extrap)
    s = edit.simplify(c, tol)
    f = np.arange(-10, 3 * len(vals) + 10)
    assert len(s) <= len(c)
    assert np.max(np.abs(evaluate(s, f) - evaluate(c, f))) <= tol + 1e-9


def test_bake_dense_and_thinned():
    f = np.arange(200.0)
    v = 2.5 + 2.5 * np.sin(f / 15)
    dense = edit.bake(f, v)
    assert len(dense) == 200 and np.allclose(evaluate(dense, f), v)
    thin = edit.bake(f, v, tolerance=0.02)
    assert len(thin) < 60
    assert np.max(np.abs(evaluate(thin, f) - v)) <= 0.02 + 1e-12
    bez = edit.bake(f, v, tolerance=0.02, interpolation="bezier")
    assert len(bez) < 200 and np.max(np.abs(evaluate(bez, f) - v)) <= 0.02 + 1e-9
    with pytest.raises(ValueError):
        edit.bake(f, v[:-1])


def test_auto_blink_is_natural_seeded_and_editable():
    fps, minutes = 25.0, 2.0
    dur = int(fps * 60 * minutes)
    c = auto_blink(dur, fps, blinks_per_minute=15, jitter=0.3, seed=7)
    assert c == auto_blink(dur, fps, blinks_per_minute=15, jitter=0.3, seed=7)
    assert c != auto_blink(dur, fps, blinks_per_minute=15, jitter=0.3, seed=8)
    keys = c.keys
    assert len(keys) % 3 == 0
    blinks = [keys[i:i + 3] for i in range(0, len(keys), 3)]
    assert 15 * minutes * 0.7 <= len(blinks) <= 15 * minutes * 1.3
    for a, peak, b in blinks:
        assert a.value == 0 and b.value == 0 and peak.value == 5 and peak.frame == int(peak.frame)
        close_ms = (peak.frame - a.frame) / fps * 1000
        open_ms = (b.frame - peak.frame) / fps * 1000
        assert 100 - 1e-6 <= close_ms <= 150 + 1e-6 and 150 - 1e-6 <= open_ms <= 250 + 1e-6
        assert evaluate(c, [peak.frame])[0] == 5
    v = evaluate(c, np.arange(dur))
    assert v.min() >= 0 and v.max() <= 5
    # An ordinary curve: it can be edited like any other.
    assert len(edit.delete_keys(c, [0, 1, 2])) == len(keys) - 3


def test_reselect_keys_after_a_move_reorders_them():
    c = _curve([(0, 0), (10, 1), (20, 2)], "linear")
    moved = edit.move_keys(c, [0], 15, 0)  # key 0 jumps past key 1
    assert edit.indices_at(moved, [15]) == [1]
    assert edit.indices_at(moved, [15, 99]) == [1]


# ------------------------------------------------------------- values stay in the channel's range


def _take_ranged():
    return Take(name="t", duration=50, curves={
        "AU12": _curve([(0, 0.5), (10, 4.0), (20, 2.0)], "linear"),
        "AU01": _curve([(5, 4.5)], "linear"),
        "jaw_open": _curve([(0, 0.2), (10, 0.9)], "linear"),
    })


def test_moves_keep_values_within_each_channels_range():
    t = _take_ranged()
    up = edit.move_selection(t, {"AU12": [0, 1], "AU01": [0], "jaw_open": [1]}, 0, 3.0)
    # AUs stop at 5, the speech control at 1; a key with room left moves the whole way
    assert [k.value for k in up.curves["AU12"].keys] == [3.5, 5.0, 2.0]
    assert up.curves["AU01"].keys[0].value == 5.0
    assert up.curves["jaw_open"].keys[1].value == 1.0
    down = edit.move_selection(t, {"AU12": [0, 2], "jaw_open": [0, 1]}, 2, -2.5)
    assert [(k.frame, k.value) for k in down.curves["AU12"].keys] == [(2, 0.0), (10, 4.0), (22, 0.0)]
    assert [k.value for k in down.curves["jaw_open"].keys] == [0.0, 0.0]
    # the numbers the animator found in a saved file can no longer be made by a drag
    far = edit.move_selection(t, {"AU12": [1], "AU01": [0]}, 0, 11.35)
    assert far.curves["AU12"].keys[1].value == 5.0 and far.curves["AU01"].keys[0].value == 5.0


def test_move_keeps_a_clamped_keys_handles_with_it():
    t = Take(name="t", duration=20, curves={"AU12": Curve((
        Keyframe(0, 4.0, handle_type="free", handle_left=(-2, 3.5), handle_right=(2, 4.5)), Keyframe(10, 1.0)))})
    k = edit.move_selection(t, {"AU12": [0]}, 0, 2.0).curves["AU12"].keys[0]
    assert k.value == 5.0 and k.handle_left == (-2, 4.5) and k.handle_right == (2, 5.5)


def test_scale_and_paste_clamp_to_the_channel_range():
    t = _take_ranged()
    s = edit.scale_selection(t, {"AU12": [0, 1, 2], "jaw_open": [1]}, value_factor=3.0)
    assert [k.value for k in s.curves["AU12"].keys] == [1.5, 5.0, 5.0]
    assert s.curves["jaw_open"].keys[1].value == 1.0
    neg = edit.scale_selection(t, {"AU12": [1]}, value_factor=-1.0)
    assert neg.curves["AU12"].keys[1].value == 0.0
    clip = edit.copy_keys(t, {"AU12": [1], "jaw_open": [1]})
    p = edit.paste_keys(t, clip, 30, value_offset=2.0)
    assert p.curves["AU12"].keys[-1].value == 5.0 and p.curves["jaw_open"].keys[-1].value == 1.0
    assert edit.insert_key(Curve(()), 3, 7.0, value_range=edit.channel_range("AU12")).keys[0].value == 5.0
    assert edit.insert_key(Curve(()), 3, -1.0, value_range=edit.channel_range("lip_round")).keys[0].value == 0.0


def test_bare_curve_edits_are_not_clamped():
    # a curve that belongs to no channel (a tool's scratch curve) keeps any value
    c = _curve([(0, 4.0)])
    assert edit.move_keys(c, [0], 0, 3.0).keys[0].value == 7.0


def test_key_commands_clamp_typed_values_to_the_channel_range():
    from core.document import commands as C
    t = _take_ranged()
    assert C.insert_key_command(t, "AU12", 30, 7.5).after.curves["AU12"].keys[-1].value == 5.0
    assert C.set_key_command(t, "jaw_open", 0, -0.4).after.curves["jaw_open"].keys[0].value == 0.0
    after = C.insert_keys_command(t, [("AU01", 5, -1.35), ("lip_round", 3, 2.0)]).after
    assert after.curves["AU01"].keys[0].value == 0.0 and after.curves["lip_round"].keys[0].value == 1.0

"""Golden numbers for every interpolation, handle type and extrapolation mode.

Where a bezier segment's handles sit at 1/3 and 2/3 of the segment in time, x(t) is linear, so
t = (frame - x0) / (x1 - x0) and the value is the cubic Bernstein sum
y(t) = (1-t)^3 y0 + 3(1-t)^2 t h0 + 3(1-t) t^2 h1 + t^3 y1, which the comments evaluate by hand."""
import numpy as np
import pytest

from core.anim import Curve, Extrapolation, HandleType, Interpolation, Keyframe, Take, evaluate

C, L, B = Interpolation.CONSTANT, Interpolation.LINEAR, Interpolation.BEZIER


def test_constant_holds_left_key_and_switches_on_the_key():
    c = Curve((Keyframe(0, 1, C), Keyframe(10, 3, C)))
    np.testing.assert_allclose(evaluate(c, [-3, 0, 5, 9.999, 10, 15]), [1, 1, 1, 1, 3, 3])


def test_linear_between_keys():
    c = Curve((Keyframe(0, 1, L), Keyframe(10, 3, L)))
    # 1 + (3 - 1) * f / 10
    np.testing.assert_allclose(evaluate(c, [0, 2.5, 7, 10]), [1, 1.5, 2.4, 3])


def test_mixed_segments_use_the_left_keys_interpolation():
    c = Curve((Keyframe(0, 0, L), Keyframe(10, 10, C), Keyframe(20, 0, L)))
    np.testing.assert_allclose(evaluate(c, [5, 15, 20]), [5, 10, 0])


def test_bezier_auto_clamped_two_keys_is_smoothstep():
    # Constant extrapolation flattens both end handles: h0 = (10/3, 0), h1 = (20/3, 5).
    # y(t) = 3 (1-t) t^2 * 5 + t^3 * 5 = 5 t^2 (3 - 2t).
    c = Curve((Keyframe(0, 0), Keyframe(10, 5)))
    assert c.keys[0].handle_right == pytest.approx((10 / 3, 0))
    assert c.keys[1].handle_left == pytest.approx((20 / 3, 5))
    np.testing.assert_allclose(evaluate(c, [2.5, 5, 7.5]), [0.78125, 2.5, 4.21875], rtol=1e-12)


def test_auto_clamped_flattens_extremes():
    # Middle key is a maximum: both handles horizontal. Segment 10..20 with t = 0.2 at frame 12:
    # y = 5 [(0.8)^3 + 3 (0.8)^2 (0.2)] = 5 * 0.896 = 4.48.
    c = Curve((Keyframe(0, 0), Keyframe(10, 5), Keyframe(20, 0)))
    assert c.keys[1].handle_left == pytest.approx((20 / 3, 5))
    assert c.keys[1].handle_right == pytest.approx((40 / 3, 5))
    assert evaluate(c, [12])[0] == pytest.approx(4.48, rel=1e-12)


def test_auto_handles_use_mean_chord_slope_and_third_lengths():
    # Chord slopes 0.4 and 0.6, mean 0.5: handles at (10 -+ 10/3, 4 -+ 0.5 * 10/3).
    c = Curve((Keyframe(0, 0, handle_type="auto"), Keyframe(10, 4, handle_type="auto"),
               Keyframe(20, 10, handle_type="auto")))
    assert c.keys[1].handle_left == pytest.approx((20 / 3, 4 - 5 / 3))
    assert c.keys[1].handle_right == pytest.approx((40 / 3, 4 + 5 / 3))


def _overshoot_curve(handle_type):
    return Curve((Keyframe(0, 3.9, handle_type=handle_type), Keyframe(10, 4, handle_type=handle_type),
                  Keyframe(11, 10, handle_type=handle_type)))


def test_auto_overshoots_but_auto_clamped_does_not():
    # Middle key: chord slopes 0.01 and 6, mean 3.005.
    # auto: left handle y = 4 - 3.005 * 10/3 = -6.01667, right = 4 + 3.005 / 3.
    a = _overshoot_curve("auto")
    assert a.keys[1].handle_left == pytest.approx((20 / 3, 4 - 3.005 * 10 / 3))
    assert a.keys[1].handle_right == pytest.approx((31 / 3, 4 + 3.005 / 3))
    # Segment 0..10 at t = 0.5 (frame 5): 0.125*3.9 + 0.375*3.9 + 0.375*(-6.01667) + 0.125*4 = 0.19375,
    # far below both keys: the overshoot Blender's auto handles are known for.
    assert evaluate(a, [5])[0] == pytest.approx(0.19375, abs=1e-9)
    # auto-clamped: the left handle is cut to the previous key's value 3.9 (slope 0.1 / (10/3) = 0.03)
    # and the right handle realigned with it: 4 + 0.03 / 3 = 4.01.
    c = _overshoot_curve("auto_clamped")
    assert c.keys[1].handle_left == pytest.approx((20 / 3, 3.9))
    assert c.keys[1].handle_right == pytest.approx((31 / 3, 4.01))
    # frame 5: 0.5 * 3.9 + 0.375 * 3.9 + 0.125 * 4 = 3.9125.
    assert evaluate(c, [5])[0] == pytest.approx(3.9125, abs=1e-12)


def test_vector_handles_make_a_straight_bezier():
    # Vector handles point a third of the way to the neighbour: the bezier is the chord 0.6 f.
    c = Curve((Keyframe(0, 0, handle_type="vector"), Keyframe(10, 6, handle_type="vector")))
    assert c.keys[0].handle_right == pytest.approx((10 / 3, 2))
    f = np.array([1.0, 2.5, 7.25, 9.5])
    np.testing.assert_allclose(evaluate(c, f), 0.6 * f, atol=1e-12)


def test_free_handles_are_corrected_so_the_segment_is_a_function_of_time():
    # Handles 8 frames long each on a 10-frame segment: correct_bezpart scales both by
    # 10 / 16 = 0.625, giving P1 = (5, 0) and P2 = (5, 10). Then
    # x(t) = 15 t (1-t) + 10 t^3, y(t) = 30 (1-t) t^2 + 10 t^3; at t = 0.25: x = 2.96875, y = 1.5625.
    c = Curve((Keyframe(0, 0, handle_type="free", handle_left=(-1, 0), handle_right=(8, 0)),
               Keyframe(10, 10, handle_type="free", handle_left=(2, 10), handle_right=(11, 10))))
    assert evaluate(c, [2.96875])[0] == pytest.approx(1.5625, abs=1e-9)
    # x'(t) = 15 - 30 t + 30 t^2 >= 7.5 > 0, so the curve is single-valued and smooth everywhere:
    v = evaluate(c, np.linspace(0, 10, 1001))
    assert np.all(np.diff(v) >= -1e-12)


def test_free_handle_pointing_backwards_is_kept_on_its_side():
    c = Curve((Keyframe(0, 0, handle_type="free", handle_left=(-1, 0), handle_right=(-4, 3)),
               Keyframe(10, 1, L)))
    assert c.keys[0].handle_right[0] == 0.0


def test_linear_extrapolation_linear_keys_follows_the_chord():
    c = Curve((Keyframe(0, 1, L), Keyframe(10, 3, L)), extrapolation="linear")
    # slope 0.2 on both sides
    np.testing.assert_allclose(evaluate(c, [-5, 15]), [0, 4])


def test_linear_extrapolation_bezier_follows_the_end_handle():
    # With linear extrapolation the end keys see a mirrored neighbour: chord slopes 0.5 and 0.5,
    # handles along the line y = 0.5 f, so the whole curve and its extension is that line.
    c = Curve((Keyframe(0, 0), Keyframe(10, 5)), extrapolation="linear")
    f = np.array([-4.0, 3.0, 8.0, 14.0])
    np.testing.assert_allclose(evaluate(c, f), 0.5 * f, atol=1e-12)


def test_linear_extrapolation_of_constant_end_key_is_flat():
    c = Curve((Keyframe(0, 2, C), Keyframe(10, 5, C)), extrapolation="linear")
    np.testing.assert_allclose(evaluate(c, [-10, 20]), [2, 5])


def test_constant_extrapolation_holds_the_end_values():
    c = Curve((Keyframe(3, 2, L), Keyframe(10, 5, L)))
    np.testing.assert_allclose(evaluate(c, [-100, 0, 3, 10, 11, 1e6]), [2, 2, 2, 5, 5, 5])


def test_empty_single_and_muted_curves():
    assert np.all(evaluate(Curve(), [0, 5]) == 0)
    np.testing.assert_allclose(evaluate(Curve((Keyframe(4, 2.5),), extrapolation="linear"), [-3, 4, 9]), 2.5)
    muted = Curve((Keyframe(0, 3, L), Keyframe(10, 3, L)), mute=True)
    assert np.all(evaluate(muted, [0, 5]) == 0)
    assert np.all(evaluate(muted, [0, 5], respect_mute=False) == 3)


def test_keys_must_be_on_distinct_frames_and_finite():
    with pytest.raises(ValueError):
        Curve((Keyframe(1, 0), Keyframe(1, 2)))
    with pytest.raises(ValueError):
        Keyframe(float("nan"), 0)


def test_take_evaluation_clamps_and_solos_for_deformation_only():
    over = Curve((Keyframe(0, -1, L), Keyframe(10, 7, L)))
    take = Take(curves={"AU12": over, "AU01": Curve((Keyframe(0, 2, C),)), "jaw_open": over})
    f = np.array([0.0, 5.0, 10.0])
    au = take.evaluate_au(f)
    assert au.shape == (3, 17)
    i12, i01 = 8, 0
    np.testing.assert_allclose(au[:, i12], [0, 3, 5])  # -1 and 7 clamped to 0..5
    np.testing.assert_allclose(take.evaluate_au(f, for_deformation=False)[:, i12], [-1, 3, 7])
    assert np.all(au[:, i01] == 2)
    # jaw_open is audio driven by default: silence unless overridden.
    audio = np.full((3, 4), 0.25)
    sp = take.evaluate_speech(f, audio)
    assert sp.shape == (3, 4) and np.all(sp[:, 0] == 0.25)
    from core.anim import SpeechDrive
    ov = take.with_speech("jaw_open", SpeechDrive(driven_by_audio=True, override=True))
    np.testing.assert_allclose(ov.evaluate_speech(f, audio)[:, 0], [0, 1, 1])  # curve, clamped to 0..1
    solo = take.with_curve("AU12", Curve(over.keys, solo=True))
    au_solo = solo.evaluate_au(f)
    assert np.all(au_solo[:, i01] == 0) and au_solo[1, i12] == 3
    assert np.all(solo.evaluate_speech(f, audio) == 0)


def test_take_evaluation_is_vectorised_over_many_frames():
    take = Take(curves={"AU12": Curve(tuple(Keyframe(i * 5, (i * 7) % 5) for i in range(40)))})
    f = np.linspace(-10, 210, 100_001)
    out = take.evaluate_au(f)
    assert out.shape == (f.size, 17) and np.isfinite(out).all()

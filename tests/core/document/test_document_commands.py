import numpy as np
import pytest

from core.anim import CameraState, Curve, Keyframe, Take, evaluate
from core.anim import edit
from core.document import Document
from core.document import commands as cmd


def _doc():
    return Document(Take(curves={"AU12": Curve((Keyframe(0, 0), Keyframe(10, 2), Keyframe(20, 1))),
                                 "AU01": Curve((Keyframe(5, 1),), lock=True)}))


def test_drag_from_origin_snaps_the_total_and_is_one_step():
    doc = _doc()
    origin = doc.take
    for dx in (0.3, 0.6, 1.2, 2.4):  # cumulative mouse positions of one drag
        doc.push(cmd.move_keys_command(doc.take, {"AU12": [1]}, dx, 0.0, drag_id=7, origin=origin))
    assert [k.frame for k in doc.take.curves["AU12"].keys] == [0, 12, 20]
    assert len(doc.history) == 1 and doc.history.undo_text == "Move keys"
    doc.history.undo()
    assert doc.take is origin


def test_locked_channels_are_not_edited():
    doc = _doc()
    before = doc.take
    doc.push(cmd.insert_key_command(doc.take, "AU01", 9, 3))
    doc.push(cmd.delete_keys_command(doc.take, {"AU01": [0]}))
    doc.push(cmd.replace_curves_command(doc.take, {"AU01": Curve()}))
    assert doc.take.curves["AU01"] is before.curves["AU01"]
    assert len(doc.history) == 0  # nothing changed, nothing recorded


def test_edit_commands_round_trip_through_undo():
    doc = _doc()
    t0 = doc.take
    sel = {"AU12": [0, 1, 2]}
    doc.push(cmd.insert_key_command(doc.take, "AU12", 15, 4))
    doc.push(cmd.set_interpolation_command(doc.take, sel, "linear"))
    doc.push(cmd.set_handle_type_command(doc.take, sel, "vector"))
    # keys (0, 0) (10, 2) (15, 4) (20, 1): smoothing key 2 gives (2 + 2 * 4 + 1) / 4 = 2.75
    doc.push(cmd.smooth_command(doc.take, {"AU12": [2]}))
    assert doc.take.curves["AU12"].keys[2].value == 2.75
    # x2 about frame 0: (0, 0) (20, 2) (30, 2.75); the moved key replaces the one already on 20.
    doc.push(cmd.scale_keys_command(doc.take, sel, 2, 1, 0, 0))
    assert [(k.frame, k.value) for k in doc.take.curves["AU12"].keys] == [(0, 0), (20, 2), (30, 2.75)]
    # Linear 0 -> 30 passes 1.833 at frame 20, within 0.5 of the key: it goes.
    doc.push(cmd.simplify_command(doc.take, {"AU12": [1]}, 0.5))
    assert len(doc.take.curves["AU12"]) == 2
    doc.push(cmd.paste_command(doc.take, edit.copy_keys(doc.take, {"AU12": [0]}), 100))
    doc.push(cmd.auto_blink_command(doc.take, seed=2))
    doc.push(cmd.set_curve_flags_command(doc.take, "AU12", mute=True))
    assert len(doc.history) == 9
    assert np.all(doc.take.evaluate_au([10.0, 30.0])[:, 8] == 0)  # muted
    while doc.history.undo():
        pass
    assert doc.take is t0
    while doc.history.redo():
        pass
    assert doc.take.curves["AU12"].mute and len(doc.take.curves["AU45"]) > 0


def test_camera_orbit_merges_and_fields_are_checked():
    doc = _doc()
    for yaw in (5, 10, 20):
        doc.push(cmd.set_take_command(doc.take, "Orbit", drag_id="orbit1", camera=CameraState(yaw=yaw)))
    assert len(doc.history) == 1 and doc.take.camera.yaw == 20
    doc.push(cmd.set_take_command(doc.take, fps=30.0, duration=100))
    assert doc.take.fps == 30 and len(doc.history) == 2
    with pytest.raises(ValueError):
        cmd.set_take_command(doc.take, curves={})
    with pytest.raises(ValueError):
        cmd.set_take_command(doc.take, fps=-1)


def test_whole_curve_commands_keep_a_tracks_unknown_fields():
    """A track's fields from a newer tool (``extra``) survive a bake, an import or an override seed."""
    import dataclasses as _dc

    from core.anim.curve import Curve, Keyframe
    from core.anim.take import Take
    from core.document.commands import replace_curves_command, set_speech_override_command

    take = Take()
    take = take.with_curve("AU12", _dc.replace(take.curves["AU12"], extra={"x_tool": {"layer": 2}}))
    take = take.with_curve("jaw_open", _dc.replace(take.curves["jaw_open"], extra={"x_tool": 1}))
    new = Curve((Keyframe(0, 1.0), Keyframe(10, 3.0)))
    after = replace_curves_command(take, {"AU12": new}).after
    assert after.curves["AU12"].frames.tolist() == [0.0, 10.0]
    assert after.curves["AU12"].extra == take.curves["AU12"].extra
    assert dict(after.curves["AU12"].extra) != {}
    seeded = set_speech_override_command(take, "jaw_open", True, Curve((Keyframe(0, 0.5),))).after
    assert len(seeded.curves["jaw_open"].keys) == 1
    assert seeded.curves["jaw_open"].extra == take.curves["jaw_open"].extra

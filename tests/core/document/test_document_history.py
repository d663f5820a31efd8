import pytest

from core.anim import Curve, Keyframe, Take
from core.anim import edit
from core.document import Document, History, SelectionModel, TakeEdit


def _doc():
    take = Take(curves={"AU12": Curve((Keyframe(0, 0), Keyframe(10, 2), Keyframe(20, 1)))})
    return Document(take)


def _move(doc, dv, merge_id=None):
    before = doc.take
    doc.push(TakeEdit("Move keys", before, edit.move_selection(before, {"AU12": [1]}, 0, dv), merge_id))


def test_push_undo_redo_restore_exact_takes():
    doc = _doc()
    t0 = doc.take
    _move(doc, 1.0)
    t1 = doc.take
    assert t1.curves["AU12"].keys[1].value == 3 and t0.curves["AU12"].keys[1].value == 2
    assert doc.history.undo() and doc.take is t0
    assert doc.history.redo() and doc.take is t1
    assert not doc.history.redo()
    assert doc.history.undo_text == "Move keys"


def test_a_drag_is_one_undo_step():
    doc = _doc()
    t0 = doc.take
    for _ in range(10):  # ten mouse moves of one drag
        _move(doc, 0.1, merge_id=("drag", 1))
    assert len(doc.history) == 1
    assert doc.take.curves["AU12"].keys[1].value == pytest.approx(3.0)
    doc.history.undo()
    assert doc.take is t0
    _move(doc, 0.1, merge_id=("drag", 2))
    _move(doc, 0.1, merge_id=("drag", 3))
    assert len(doc.history) == 2


def test_a_drag_back_to_the_start_leaves_no_step():
    doc = _doc()
    _move(doc, 1.0, merge_id="d")
    _move(doc, -1.0, merge_id="d")
    assert len(doc.history) == 0 and not doc.history.can_undo


def test_clean_state_tracks_unsaved_changes(tmp_path):
    doc = _doc()
    assert not doc.is_dirty
    _move(doc, 1.0)
    assert doc.is_dirty
    doc.save(tmp_path / "a.emz")
    assert not doc.is_dirty
    doc.history.undo()
    assert doc.is_dirty
    doc.history.redo()
    assert not doc.is_dirty
    # A merge never swallows the saved state: dragging after a save is a new, undoable step.
    _move(doc, 1.0, merge_id="d")
    _move(doc, 1.0, merge_id="d")
    assert doc.is_dirty and len(doc.history) == 2
    doc.history.undo()
    assert not doc.is_dirty
    # Branching away from the saved state makes it unreachable.
    doc.history.undo()
    _move(doc, 5.0)
    assert doc.is_dirty
    doc.history.undo()
    assert doc.is_dirty


def test_memory_bounds_drop_the_oldest_steps():
    doc = _doc()
    h = History(doc, max_count=3)
    for _ in range(5):
        before = doc.take
        h.push(TakeEdit("m", before, edit.move_selection(before, {"AU12": [1]}, 0, 0.25)))
    assert len(h) == 3
    one = TakeEdit("m", doc.take, edit.move_selection(doc.take, {"AU12": [1]}, 0, 0.25)).nbytes()
    hb = History(doc, max_bytes=int(one * 2.5))
    for _ in range(6):
        before = doc.take
        hb.push(TakeEdit("m", before, edit.move_selection(before, {"AU12": [1]}, 0, 0.25)))
    assert len(hb) == 2 and hb.nbytes() <= one * 2.5
    assert not hb.is_clean


def test_listeners_and_revision():
    doc = _doc()
    seen = []
    start = doc.history.revision
    doc.history.add_listener(lambda: seen.append(doc.history.revision))
    _move(doc, 1)
    doc.history.undo()
    assert len(seen) == 2 and start < seen[0] < seen[1]


def test_a_new_history_never_reuses_an_older_ones_revisions():
    """The studio's deform worker drops results older than the newest revision it has seen: a new
    document's states must not look older than a replaced, long-edited one's."""
    old = _doc()
    for _ in range(5):
        _move(old, 1)
    new = _doc()
    assert new.history.revision > old.history.revision
    _move(new, 1)
    new.history.undo()
    assert new.history.revision > old.history.revision


def test_selection_model_lives_outside_the_data():
    sel = SelectionModel()
    calls = []
    sel.add_listener(lambda: calls.append(1))
    sel.select("AU12", [0, 2])
    sel.toggle("AU12", 2)
    sel.select("AU01", [1], extend=True)
    assert sel.as_dict() == {"AU12": [0], "AU01": [1]}
    sel.prune({"AU12": 1, "AU01": 1})
    assert sel.as_dict() == {"AU12": [0]}
    with pytest.raises(KeyError):
        sel.select("AU99", [0])
    assert len(calls) == 4


def test_save_as_renames_the_take_and_undo_keeps_the_name(tmp_path):
    """Save As "b.emz" names the take "b"; undoing the last curve edit does not rename it back,
    and redo neither. The saved camera is kept the same way."""
    from core.anim.take import CameraState

    doc = _doc()
    _move(doc, 1.0)
    _move(doc, 0.5)
    doc.save(tmp_path / "b.emz", camera=CameraState(yaw=30.0))
    assert doc.take.name == "b" and doc.take.camera.yaw == 30.0 and not doc.is_dirty
    assert doc.history.undo()
    assert doc.take.curves["AU12"].keys[1].value == 3.0
    assert doc.take.name == "b" and doc.take.camera.yaw == 30.0 and doc.is_dirty
    assert doc.history.undo()
    assert doc.take.curves["AU12"].keys[1].value == 2.0 and doc.take.name == "b"
    assert doc.history.redo() and doc.history.redo()
    assert doc.take.name == "b" and not doc.is_dirty
    # Save to the same file keeps the name; Save As another renames again.
    doc.save()
    assert doc.take.name == "b"
    doc.save(tmp_path / "c.emz")
    doc.history.undo()
    assert doc.take.name == "c"


def test_past_the_limit_labels_and_effects_stay_equal_and_the_oldest_state_is_the_trimmed_one():
    doc = Document(Take(), max_undo=1000)
    states = [doc.take]
    for i in range(1, 1006):
        before = doc.take
        doc.push(TakeEdit(f"set {i}", before, before.with_curve("AU12", Curve((Keyframe(0, float(i)),)))))
        states.append(doc.take)
    h = doc.history
    assert len(h) == 1000 and h.trimmed == 5
    assert h.labels[0] == "set 6" and h.labels[-1] == "set 1005"
    for i in range(1005, 5, -1):
        assert h.undo_text == f"set {i}" and doc.take is states[i]
        assert h.undo()
        assert doc.take is states[i - 1]
    assert not h.can_undo and doc.take is states[5]
    assert h.goto(1000) and doc.take is states[1005]
    assert h.goto(500) and doc.take is states[505] and h.redo_text == "set 506"
    assert not h.goto(500)


def test_goto_notifies_once():
    doc = _doc()
    for _ in range(4):
        _move(doc, 0.25)
    calls = []
    doc.history.add_listener(lambda: calls.append(1))
    assert doc.history.goto(1)
    assert calls == [1] and len(doc.history) == 1
    doc.history.remove_listener(calls.append)

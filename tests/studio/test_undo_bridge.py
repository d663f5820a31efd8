"""QUndoStack and the core History stay in step: push, drag merges, undo, redo, clean state."""
from core.anim import Curve, Keyframe, Take
from core.document import Document, TakeEdit
from studio.undo import UndoBridge


def value_take(take, v):
    return take.with_curve("AU12", Curve((Keyframe(0, v),)))


def test_push_undo_redo_drive_the_core_history(qtbot):
    doc = Document(Take())
    bridge = UndoBridge(doc)
    t0 = doc.take
    bridge.push(TakeEdit("Key 1", t0, value_take(t0, 1.0)))
    bridge.push(TakeEdit("Key 2", doc.take, value_take(doc.take, 2.0)))
    assert bridge.stack.count() == len(doc.history) == 2
    assert doc.is_dirty
    bridge.stack.undo()
    assert doc.take.curves["AU12"].keys[0].value == 1.0
    bridge.stack.undo()
    assert doc.take is t0 and not doc.is_dirty
    bridge.stack.redo()
    assert doc.take.curves["AU12"].keys[0].value == 1.0
    assert bridge.stack.undoText() == "Key 1"


def test_drag_steps_merge_into_one_undo_step(qtbot):
    doc = Document(Take())
    bridge = UndoBridge(doc)
    t0 = doc.take
    for v in (0.5, 1.0, 1.5, 2.0):
        bridge.push(TakeEdit("Drag key", doc.take, value_take(doc.take, v), merge_id=("drag", "AU12")))
    assert bridge.stack.count() == 1 and len(doc.history) == 1
    bridge.stack.undo()
    assert doc.take is t0
    bridge.stack.redo()
    assert doc.take.curves["AU12"].keys[0].value == 2.0


def test_an_edit_that_changes_nothing_leaves_no_undo_entry(qtbot):
    doc = Document(Take())
    bridge = UndoBridge(doc)
    bridge.push(TakeEdit("Nothing", doc.take, doc.take))
    assert bridge.stack.count() == 0 and len(doc.history) == 0


def test_saving_marks_both_stacks_clean(qtbot, tmp_path):
    doc = Document(Take())
    bridge = UndoBridge(doc)
    bridge.push(TakeEdit("Key", doc.take, value_take(doc.take, 3.0)))
    doc.save(tmp_path / "a.emz")
    bridge.mark_clean()
    assert not doc.is_dirty and bridge.stack.isClean()
    bridge.stack.undo()
    assert doc.is_dirty and not bridge.stack.isClean()


def test_a_no_op_drag_step_does_not_take_over_the_previous_edit(qtbot):
    doc = Document(Take())
    bridge = UndoBridge(doc)
    bridge.push(TakeEdit("Key", doc.take, value_take(doc.take, 1.0)))
    keyed = doc.take
    bridge.push(TakeEdit("Drag key", doc.take, doc.take, merge_id=("drag", 1)))  # moved by nothing yet
    bridge.push(TakeEdit("Drag key", doc.take, value_take(doc.take, 2.0), merge_id=("drag", 1)))
    assert bridge.stack.count() == len(doc.history) == 2
    bridge.stack.undo()
    assert doc.take is keyed

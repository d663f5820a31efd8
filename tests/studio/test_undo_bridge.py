"""The Qt face of the one history: Undo / Redo QActions and the History panel follow the core
History; they never count on their own, so labels and effects stay equal also after trimming."""
from PySide6.QtCore import Qt

from core.anim import Curve, Keyframe, Take
from core.document import Document, TakeEdit
from studio.undo import UndoBridge
from widgets.history_panel import HistoryPanel


def value_take(take, v):
    return take.with_curve("AU12", Curve((Keyframe(0, v),)))


def au12(doc):
    keys = doc.take.curves["AU12"].keys
    return keys[0].value if keys else None


def test_the_actions_say_what_they_will_do_and_do_it(qtbot):
    doc = Document(Take())
    bridge = UndoBridge(doc)
    t0 = doc.take
    assert not bridge.undo_action.isEnabled() and not bridge.redo_action.isEnabled()
    bridge.push(TakeEdit("Key 1", t0, value_take(t0, 1.0)))
    bridge.push(TakeEdit("Key 2", doc.take, value_take(doc.take, 2.0)))
    assert bridge.undo_action.text() == "&Undo Key 2" and bridge.undo_action.isEnabled()
    with qtbot.waitSignal(bridge.changed):
        bridge.undo_action.trigger()
    assert au12(doc) == 1.0
    assert bridge.undo_action.text() == "&Undo Key 1" and bridge.redo_action.text() == "&Redo Key 2"
    bridge.undo_action.trigger()
    assert doc.take is t0 and not doc.is_dirty and not bridge.undo_action.isEnabled()
    bridge.redo_action.trigger()
    assert au12(doc) == 1.0


def test_a_drag_pushed_as_one_command_is_one_step(qtbot):
    doc = Document(Take())
    bridge = UndoBridge(doc)
    t0 = doc.take
    for v in (0.5, 1.0, 1.5, 2.0):
        bridge.push(TakeEdit("Drag key", doc.take, value_take(doc.take, v), merge_id=("drag", "AU12")))
    assert len(doc.history.labels) == 1
    bridge.undo()
    assert doc.take is t0
    bridge.redo()
    assert au12(doc) == 2.0


def test_past_the_history_limit_every_undo_label_is_its_effect(qtbot):
    """1,005 edits on a 1,000-step history: each Undo's text names the edit it undoes, and the
    oldest reachable state is the one after edit 5 (the trimmed one), not the original."""
    doc = Document(Take())
    bridge = UndoBridge(doc)
    panel = HistoryPanel()
    qtbot.addWidget(panel)

    def sync():
        h = doc.history
        panel.set_entries(h.labels, len(h), h.trimmed)

    bridge.changed.connect(sync)
    for i in range(1, 1006):
        bridge.push(TakeEdit(f"set {i}", doc.take, value_take(doc.take, float(i))))
    assert len(doc.history) == 1000 and doc.history.trimmed == 5
    assert panel.entries()[0] == "<5 older steps dropped>" and panel.entries()[1] == "set 6"
    assert panel.entries()[-1] == "set 1005" and panel.current() == 1000
    for i in range(1005, 5, -1):
        assert bridge.undo_action.text() == f"&Undo set {i}"
        assert au12(doc) == float(i)
        bridge.undo_action.trigger()
        assert au12(doc) == float(i - 1)
    assert not bridge.undo_action.isEnabled() and au12(doc) == 5.0
    assert bridge.redo_action.text() == "&Redo set 6"
    bridge.redo_action.trigger()
    assert au12(doc) == 6.0


def test_clicking_a_history_row_jumps_there_in_one_change(qtbot):
    doc = Document(Take())
    bridge = UndoBridge(doc)
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.jump_requested.connect(bridge.jump)
    bridge.changed.connect(lambda: panel.set_entries(doc.history.labels, len(doc.history), doc.history.trimmed))
    t0 = doc.take
    for i in range(1, 6):
        bridge.push(TakeEdit(f"set {i}", doc.take, value_take(doc.take, float(i))))
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.entries() == ["<original>", "set 1", "set 2", "set 3", "set 4", "set 5"]
    changes = []
    bridge.changed.connect(lambda: changes.append(1))
    qtbot.mouseClick(panel.list.viewport(), Qt.LeftButton, Qt.NoModifier, panel.row_rect(2).center())
    assert au12(doc) == 2.0 and len(changes) == 1 and panel.current() == 2
    assert bridge.redo_action.text() == "&Redo set 3"
    qtbot.mouseClick(panel.list.viewport(), Qt.LeftButton, Qt.NoModifier, panel.row_rect(0).center())
    assert doc.take is t0 and not doc.is_dirty
    qtbot.mouseClick(panel.list.viewport(), Qt.LeftButton, Qt.NoModifier, panel.row_rect(5).center())
    assert au12(doc) == 5.0


def test_an_edit_that_changes_nothing_leaves_no_undo_entry(qtbot):
    doc = Document(Take())
    bridge = UndoBridge(doc)
    bridge.push(TakeEdit("Nothing", doc.take, doc.take))
    assert len(doc.history.labels) == 0 and not bridge.undo_action.isEnabled()


def test_a_new_document_gets_the_actions_and_the_old_one_is_let_go(qtbot):
    old = Document(Take())
    bridge = UndoBridge(old)
    bridge.push(TakeEdit("Key", old.take, value_take(old.take, 3.0)))
    new = Document(Take(name="New"))
    bridge.set_document(new)
    assert not bridge.undo_action.isEnabled()
    seen = []
    bridge.changed.connect(lambda: seen.append(1))
    old.history.undo()  # the old document no longer drives the window
    assert seen == [] and not bridge.undo_action.isEnabled()

"""The undo bridge: QUndoStack drives the core History, so menus, shortcuts and the undo view
come from Qt while the document logic (do / undo / merge) stays in core and is tested without Qt.

Every edit goes through ``UndoBridge.push(core_command)``. The wrapper's first redo pushes the
command on the core History (which may merge it into the previous one, e.g. the steps of a drag);
later redos and undos call History.redo / History.undo. The two stacks therefore stay in step."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from core.document import Command, Document


def _merge_key(cmd: Command) -> int:
    """Qt merges commands with equal non-negative ids; -1 means never merge."""
    if cmd.merge_id is None:
        return -1
    return hash(cmd.merge_id) & 0x3FFFFFFF


class CoreUndoCommand(QUndoCommand):
    def __init__(self, document: Document, command: Command):
        super().__init__(command.text or "Edit")
        self.document = document
        self.command = command
        self._done_once = False
        self.merged_into_previous = False

    def id(self) -> int:  # noqa: A003 - Qt's name
        return _merge_key(self.command)

    def redo(self) -> None:
        history = self.document.history
        if self._done_once:
            history.redo()
            return
        self._done_once = True
        top_before = history._undo[-1] if history.can_undo else None
        n_before = len(history)
        history.push(self.command)
        n_after = len(history)
        if n_after == n_before + 1 and history._undo[-1] is self.command:
            return
        same_drag = top_before is not None and self.command.merge_id is not None \
            and top_before.merge_id == self.command.merge_id
        if n_after <= n_before and same_drag and (n_after < n_before or history._undo[-1] is top_before):
            # Absorbed by the previous command (a drag step), or a drag that came back to its start.
            self.merged_into_previous = True
            self._emptied_previous = n_after < n_before
        else:
            self.setObsolete(True)  # changed nothing: Qt drops it without an undo entry

    def undo(self) -> None:
        self.document.history.undo()

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, CoreUndoCommand) or not other.merged_into_previous:
            return False
        if getattr(other, "_emptied_previous", False):
            self.setObsolete(True)
        self.setText(self.command.text or self.text())
        return True


class UndoBridge(QObject):
    """Pushes core commands through a QUndoStack. ``changed`` fires after every push, undo, redo
    and save with the document's current state (the studio then re-evaluates the frame)."""

    changed = Signal()

    def __init__(self, document: Document, parent=None):
        super().__init__(parent)
        self.stack = QUndoStack(self)
        self.document = document
        self.stack.indexChanged.connect(self._on_index_changed)

    def _on_index_changed(self, _index: int) -> None:
        self.changed.emit()

    def set_document(self, document: Document) -> None:
        self.document = document
        self.stack.clear()
        self.changed.emit()

    def push(self, command: Command) -> None:
        wrapper = CoreUndoCommand(self.document, command)
        self.stack.push(wrapper)  # indexChanged follows, also for a merge

    def mark_clean(self) -> None:
        self.stack.setClean()

    @property
    def is_dirty(self) -> bool:
        return self.document.is_dirty

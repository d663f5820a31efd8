"""The Qt face of the one undo history: the core History (core/document/history.py) counts,
merges and trims; this bridge only follows it.

``UndoBridge`` listens to the document's History and re-emits ``changed``; its Undo and Redo
QActions take their text ("Undo Move keys") and enabled state from History after every change,
so what the menu says is always what the next undo does, also after the history trims. There
is no QUndoStack: two stacks would count separately and drift."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence

from core.document import Command, Document


class UndoBridge(QObject):
    """``changed`` fires after every push, undo, redo, jump and save (the studio then re-syncs
    its panels and re-evaluates the frame)."""

    changed = Signal()

    def __init__(self, document: Document, parent=None):
        super().__init__(parent)
        self.document = document
        self.undo_action = QAction("&Undo", self)
        self.undo_action.setObjectName("undo")
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.undo_action.triggered.connect(lambda _c=False: self.undo())
        self.redo_action = QAction("&Redo", self)
        self.redo_action.setObjectName("redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo_action.triggered.connect(lambda _c=False: self.redo())
        document.history.add_listener(self._on_history_changed)
        self._refresh_actions()

    @property
    def history(self):
        return self.document.history

    def _on_history_changed(self) -> None:
        self._refresh_actions()
        self.changed.emit()

    def _refresh_actions(self) -> None:
        h = self.document.history
        self.undo_action.setEnabled(h.can_undo)
        self.undo_action.setText(f"&Undo {h.undo_text}" if h.can_undo else "&Undo")
        self.redo_action.setEnabled(h.can_redo)
        self.redo_action.setText(f"&Redo {h.redo_text}" if h.can_redo else "&Redo")

    def set_document(self, document: Document) -> None:
        self.document.history.remove_listener(self._on_history_changed)
        self.document = document
        document.history.add_listener(self._on_history_changed)
        self._on_history_changed()

    # -- the only ways the studio changes the history
    def push(self, command: Command) -> None:
        self.document.push(command)

    def undo(self) -> bool:
        return self.document.history.undo()

    def redo(self) -> bool:
        return self.document.history.redo()

    def jump(self, index: int) -> bool:
        """Go to the state after ``index`` commands (0: the oldest reachable state)."""
        return self.document.history.goto(index)

    @property
    def is_dirty(self) -> bool:
        return self.document.is_dirty

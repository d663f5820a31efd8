"""The History panel: every state the undo history can reach, oldest first; click one to go there.

Row 0 is the oldest reachable state: "<original>" while nothing has been trimmed, otherwise
"<N older steps dropped>"; row i (i >= 1) is the state after the i-th command. The current state
is selected; undone commands are greyed. The panel holds no history: the studio hands it the
labels with ``set_entries`` and answers ``jump_requested(index)``.
"""
from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from . import theme

ORIGINAL = "<original>"


class HistoryPanel(QWidget):
    jump_requested = Signal(int)   # the number of commands to have done

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("history_panel")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget(self)
        self.list.setObjectName("history_list")
        self.list.setSelectionMode(QAbstractItemView.SingleSelection)
        self.list.setUniformItemSizes(True)
        # Long labels are elided, never a horizontal scroll bar over the newest row.
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.ElideRight)
        lay.addWidget(self.list)
        self._current = 0
        self._trimmed = 0
        self._rows: list[str] = []
        self.list.currentRowChanged.connect(self._on_row)

    def set_entries(self, labels: Sequence[str], current: int, trimmed: int = 0) -> None:
        """``labels``: every command's text, oldest first; ``current``: how many are done;
        ``trimmed``: how many older ones the history dropped. Updates only the rows that changed
        (a push adds one row; a trim drops rows off the top)."""
        first = ORIGINAL if trimmed == 0 else f"<{trimmed} older step{'s' if trimmed != 1 else ''} dropped>"
        rows = [first] + list(labels)
        previous, self._current = self._current, int(current)
        lst = self.list
        with QSignalBlocker(lst):
            dropped = trimmed - self._trimmed
            if 0 < dropped < lst.count():
                for _ in range(dropped):
                    del self._rows[1]
                    lst.takeItem(1)
            self._trimmed = trimmed
            n = 1
            while n < min(len(self._rows), len(rows)) and self._rows[n] == rows[n]:
                n += 1
            while lst.count() > n:
                lst.takeItem(lst.count() - 1)
            del self._rows[n:]
            if lst.count() == 0:
                lst.addItem(QListWidgetItem(first))
                self._rows = [first]
            lst.item(0).setText(first)
            self._rows[0] = first
            for t in rows[n:]:
                item = QListWidgetItem(t)
                item.setToolTip(t)  # the whole label where the row elides it
                lst.addItem(item)
            self._rows += rows[n:]
            done, undone = QBrush(QColor(theme.TEXT)), QBrush(QColor(theme.TEXT_DIM))
            for i in range(max(0, min(previous, self._current) - 1), lst.count()):
                lst.item(i).setForeground(done if i <= self._current else undone)
            lst.setCurrentRow(self._current)
        # Lay the new rows out now (Qt delays it), so the current row is scrolled fully into view.
        lst.doItemsLayout()
        lst.scrollToItem(lst.item(self._current), QAbstractItemView.EnsureVisible)

    def entries(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def current(self) -> int:
        return self._current

    def row_rect(self, row: int):
        """Where row ``row`` is drawn, in the list's viewport coordinates (for tests and tools)."""
        return self.list.visualItemRect(self.list.item(row))

    def _on_row(self, row: int) -> None:
        if row >= 0 and row != self._current:
            self.jump_requested.emit(row)

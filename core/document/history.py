"""Commands with do / undo / merge, and the undo history (no Qt: the GUI wraps it)."""
from __future__ import annotations

import itertools
from typing import Any, Callable, Hashable, Protocol

from core.anim.take import Take


#: The source of History.revision: increasing across every History in the process.
_REVISIONS = itertools.count(1)


class HasTake(Protocol):
    take: Take


class Command:
    """One undoable change. ``merge_id``: consecutive commands with the same non-None id merge
    into one (a drag pushes a command per mouse move and is still one undo step)."""

    text: str = ""
    merge_id: Hashable | None = None

    def do(self, target: HasTake) -> None:
        raise NotImplementedError

    def undo(self, target: HasTake) -> None:
        raise NotImplementedError

    def merge(self, other: "Command") -> bool:
        """Absorb ``other`` (already done) into self; True when merged."""
        return False

    def is_obsolete(self) -> bool:
        """True when the command changes nothing (a drag that came back to where it started)."""
        return False

    def nbytes(self) -> int:
        return 256


class TakeEdit(Command):
    """Replace the whole take (curves are shared between takes, so this costs only the
    channels that changed). Built from a pure edit: ``TakeEdit("Move keys", t, move_selection(t, ...))``."""

    def __init__(self, text: str, before: Take, after: Take, merge_id: Hashable | None = None) -> None:
        self.text = text
        self.before = before
        self.after = after
        self.merge_id = merge_id

    def do(self, target: HasTake) -> None:
        target.take = self.after

    def undo(self, target: HasTake) -> None:
        target.take = self.before

    def merge(self, other: Command) -> bool:
        if not isinstance(other, TakeEdit) or other.merge_id is None or other.merge_id != self.merge_id:
            return False
        if other.before is not self.after and other.before != self.after:
            return False
        self.after = other.after
        return True

    def is_obsolete(self) -> bool:
        return self.before is self.after or self.before == self.after

    def map_takes(self, mapped: Callable[[Take], Take]) -> None:
        self.before = mapped(self.before)
        self.after = mapped(self.after)

    def nbytes(self) -> int:
        total = 512
        for name, c in self.after.curves.items():
            b = self.before.curves[name]
            if c is not b:
                total += c.nbytes() + b.nbytes()
        return total


class History:
    """Undo / redo stacks bounded by count and approximate bytes, with a clean state for
    "unsaved changes" prompts and a ``revision`` that changes with every state change."""

    def __init__(self, target: HasTake, max_count: int = 1000, max_bytes: int = 64 * 2**20) -> None:
        if max_count < 1 or max_bytes < 1:
            raise ValueError("History: limits must be positive")
        self.target = target
        self.max_count = max_count
        self.max_bytes = max_bytes
        self._undo: list[Command] = []
        self._redo: list[Command] = []
        self._clean: int | None = 0  # len(self._undo) at the saved state; None: unreachable
        # Revisions are unique in the process, not per history: a viewer (the studio's deform worker)
        # that keeps "the newest revision seen" must never take a new document's first states for
        # stale ones after a long-edited document is replaced.
        self.revision = next(_REVISIONS)
        self.trimmed = 0  # commands dropped off the bottom by the limits (the oldest state went with them)
        self._listeners: list[Callable[[], Any]] = []

    # -- observers (the GUI's undo bridge refreshes menus here)
    def add_listener(self, fn: Callable[[], Any]) -> None:
        self._listeners.append(fn)

    def remove_listener(self, fn: Callable[[], Any]) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)

    def _changed(self) -> None:
        self.revision = next(_REVISIONS)
        for fn in list(self._listeners):
            fn()

    # -- stacks
    def push(self, cmd: Command) -> None:
        """Do ``cmd`` and record it (merged into the previous command when their ids match)."""
        cmd.do(self.target)
        if self._redo:
            self._redo.clear()
            if self._clean is not None and self._clean > len(self._undo):
                self._clean = None
        top = self._undo[-1] if self._undo else None
        # Never merge into the saved state: it must stay reachable by undo.
        if top is not None and self._clean != len(self._undo) and top.merge(cmd):
            if top.is_obsolete():
                self._undo.pop()
        elif not cmd.is_obsolete():
            self._undo.append(cmd)
        self._trim()
        self._changed()

    def undo(self) -> bool:
        if not self._step_back():
            return False
        self._changed()
        return True

    def redo(self) -> bool:
        if not self._step_forward():
            return False
        self._changed()
        return True

    def _step_back(self) -> bool:
        if not self._undo:
            return False
        cmd = self._undo.pop()
        cmd.undo(self.target)
        self._redo.append(cmd)
        return True

    def _step_forward(self) -> bool:
        if not self._redo:
            return False
        cmd = self._redo.pop()
        cmd.do(self.target)
        self._undo.append(cmd)
        return True

    def goto(self, index: int) -> bool:
        """Undo or redo until ``index`` commands are done (0: the oldest reachable state), one
        change for the listeners. False when already there."""
        index = max(0, min(int(index), len(self._undo) + len(self._redo)))
        if index == len(self._undo):
            return False
        while len(self._undo) > index:
            self._step_back()
        while len(self._undo) < index:
            self._step_forward()
        self._changed()
        return True

    def _trim(self) -> None:
        while len(self._undo) > 1 and (len(self._undo) > self.max_count or self.nbytes() > self.max_bytes):
            self._undo.pop(0)
            self.trimmed += 1
            if self._clean is not None:
                self._clean = self._clean - 1 if self._clean > 0 else None

    def map_takes(self, fn: Callable[[Take], Take]) -> Callable[[Take], Take]:
        """Apply ``fn`` to every take the history holds (a field that is not undoable, such as
        the name Save As gives, changes in every reachable state). Takes shared between commands
        stay shared. Not a change of state: no revision, no listeners. Returns the memoised
        mapping, for the target's own take."""
        memo: dict[int, tuple[Take, Take]] = {}  # id(old) -> (old kept alive, new)

        def mapped(take: Take) -> Take:
            hit = memo.get(id(take))
            if hit is None:
                hit = memo[id(take)] = (take, fn(take))
            return hit[1]

        for cmd in self._undo + self._redo:
            mapper = getattr(cmd, "map_takes", None)
            if mapper is not None:
                mapper(mapped)
        return mapped

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()
        self._clean = 0
        self.trimmed = 0
        self._changed()

    # -- state
    def nbytes(self) -> int:
        return sum(c.nbytes() for c in self._undo) + sum(c.nbytes() for c in self._redo)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_text(self) -> str:
        return self._undo[-1].text if self._undo else ""

    @property
    def redo_text(self) -> str:
        return self._redo[-1].text if self._redo else ""

    @property
    def labels(self) -> list[str]:
        """The text of every command, oldest first: the done ones (``len(self)`` of them), then the
        undone ones in the order redo would bring them back."""
        return [c.text for c in self._undo] + [c.text for c in reversed(self._redo)]

    def __len__(self) -> int:
        return len(self._undo)

    @property
    def is_clean(self) -> bool:
        return self._clean == len(self._undo)

    def set_clean(self) -> None:
        self._clean = len(self._undo)
        self._changed()

"""Which keys are selected: a view-model beside the take, never inside the keyframe data."""
from __future__ import annotations

from typing import Callable, Iterable

from core.anim.take import CHANNEL_NAMES


class SelectionModel:
    """Selected keys as {channel: set of key indices}; listeners hear every change."""

    def __init__(self) -> None:
        self._sel: dict[str, set[int]] = {}
        self._listeners: list[Callable[[], None]] = []

    def add_listener(self, fn: Callable[[], None]) -> None:
        self._listeners.append(fn)

    def _notify(self) -> None:
        for fn in list(self._listeners):
            fn()

    def _check(self, channel: str) -> None:
        if channel not in CHANNEL_NAMES:
            raise KeyError(f"unknown channel {channel!r}")

    def select(self, channel: str, indices: Iterable[int], extend: bool = False) -> None:
        self._check(channel)
        if not extend:
            self._sel.clear()
        self._sel.setdefault(channel, set()).update(int(i) for i in indices)
        self._notify()

    def toggle(self, channel: str, index: int) -> None:
        self._check(channel)
        s = self._sel.setdefault(channel, set())
        s.symmetric_difference_update({int(index)})
        self._notify()

    def deselect(self, channel: str, indices: Iterable[int]) -> None:
        self._sel.get(channel, set()).difference_update(int(i) for i in indices)
        self._notify()

    def clear(self) -> None:
        if self._sel:
            self._sel.clear()
            self._notify()

    def is_selected(self, channel: str, index: int) -> bool:
        return index in self._sel.get(channel, ())

    def as_dict(self) -> dict[str, list[int]]:
        """{channel: sorted indices}, channels without a selection left out; feed to core.anim.edit."""
        return {c: sorted(s) for c, s in self._sel.items() if s}

    def prune(self, key_counts: dict[str, int]) -> None:
        """Drop indices past the end of their curve (after deletes or an undo)."""
        for c, s in self._sel.items():
            n = key_counts.get(c, 0)
            s.intersection_update(range(n))
        self._notify()

    def __bool__(self) -> bool:
        return any(self._sel.values())

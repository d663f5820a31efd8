"""Widget intents -> core commands: the one path from what a user asks for to an edit of the take.

Each handler is one line: a factory of core/document/commands.py applied to the document's take,
pushed on the one history. Nothing else in the studio builds an edit. ``connect`` wires the
panels' intent signals here; a signal with no receiver is a bug (tests/studio check each one).

Drags (keys in the timeline, an AU slider) preview live without touching the history: the
preview take goes to ``preview`` (the viewport and the AU panel show it), and exactly one command
is pushed on release; a cancelled drag shows the document's take again (``preview(None)``).
"""
from __future__ import annotations

from typing import Callable, Hashable

from PySide6.QtCore import QObject

from core.anim.curve import HandleType, Interpolation
from core.document import Command, Document
from core.document import commands as C

_FLAG_VERBS = {"mute": "Mute", "solo": "Solo", "lock": "Lock"}


def flag_text(channel: str, flag: str, on: bool) -> str:
    """"Mute AU12" / "Unmute AU12" (the label the History shows)."""
    verb = _FLAG_VERBS[flag]
    return f"{verb if on else 'Un' + verb.lower()} {channel}"


class Intents(QObject):
    """``document``: returns the open Document; ``push``: puts a core Command on the history;
    ``preview``: shows a take that is not (yet) the document's, or the document's again (None)."""

    def __init__(self, document: Callable[[], Document], push: Callable[[Command], None],
                 preview: Callable[[object], None] = lambda _take: None, parent=None,
                 audio_speech: Callable[[object, str], object] | None = None):
        super().__init__(parent)
        self._audio_speech = audio_speech  # (take, speech channel) -> what the audio drives [duration] | None
        self._document = document
        self._push = push
        self._preview = preview
        self._drag_origins: dict[Hashable, object] = {}
        self._au_panel = None

    @property
    def take(self):
        return self._document().take

    # -- wiring
    def connect(self, timeline=None, channel_list=None, au_panel=None) -> None:
        if timeline is not None:
            timeline.keys_insert_requested.connect(self.insert_keys)
            timeline.keys_delete_requested.connect(self.delete_keys)
            timeline.keys_moved_preview.connect(self.preview_move)
            timeline.keys_move_committed.connect(self.commit_move)
            timeline.keys_move_cancelled.connect(self.cancel_move)
            timeline.paste_requested.connect(self.paste)
            timeline.interpolation_requested.connect(self.set_interpolation)
            timeline.handle_type_requested.connect(self.set_handle_type)
            timeline.speech_override_requested.connect(self.set_speech_override)
        if channel_list is not None:
            channel_list.flag_requested.connect(self.set_flag)
        if au_panel is not None:
            self._au_panel = au_panel
            au_panel.key_set_requested.connect(self.set_key)
            au_panel.key_drag_finished.connect(self.finish_key_drag)

    # -- one line per intent
    def insert_key(self, channel: str, frame: int, value: float) -> None:
        self._push(C.insert_key_command(self.take, channel, float(frame), float(value),
                                        text=f"Insert key {channel} @ {int(frame)}"))

    def insert_keys(self, items) -> None:
        self._push(C.insert_keys_command(self.take, items))

    def delete_keys(self, selection) -> None:
        self._push(C.delete_keys_command(self.take, selection))

    def paste(self, clipboard, frame: int) -> None:
        self._push(C.paste_command(self.take, clipboard, float(frame)))

    def set_interpolation(self, selection, name: str) -> None:
        self._push(C.set_interpolation_command(self.take, selection, Interpolation(name)))

    def set_handle_type(self, selection, name: str) -> None:
        self._push(C.set_handle_type_command(self.take, selection, HandleType(name)))

    def set_flag(self, channel: str, flag: str, on: bool) -> None:
        self._push(C.set_curve_flags_command(self.take, channel, text=flag_text(channel, flag, on), **{flag: bool(on)}))

    def set_speech_override(self, channel: str, on: bool) -> None:
        self._push(C.set_speech_override_command(self.take, channel, bool(on), self._baked_speech(channel, on)))

    def _baked_speech(self, channel: str, on: bool):
        """The audio's speech control as keys, to seed an empty curve the override hands it to."""
        take = self.take
        if not on or self._audio_speech is None or len(take.curves[channel].keys):
            return None
        try:
            values = self._audio_speech(take, channel)
        except ValueError:  # the audio cannot drive the take: the curve starts empty, as before
            return None
        return None if values is None else C.bake_speech_curve(channel, values)

    # -- an AU slider: a drag previews, its release is one command; a click or a key step is one command
    def set_key(self, channel: str, frame: int, value: float, edit_id: int) -> None:
        if self._au_panel is not None and self._au_panel.is_dragging():
            self._preview(C.set_key_command(self.take, channel, int(frame), float(value)).after)
        else:
            self._push(C.set_key_command(self.take, channel, int(frame), float(value)))

    def finish_key_drag(self, channel: str, frame: int, value: float, edit_id: int) -> None:
        self._preview(None)
        self._push(C.set_key_command(self.take, channel, int(frame), float(value)))

    # -- a key drag: the preview is measured from the take as it was when the drag began
    def preview_move(self, drag_id: int, selection, dframe: float, dvalues) -> None:
        origin = self._drag_origins.setdefault(drag_id, self.take)
        self._preview(C.move_keys_command(origin, selection, float(dframe), dict(dvalues or {})).after)

    def commit_move(self, drag_id: int, selection, dframe: float, dvalues) -> None:
        self._drag_origins.pop(drag_id, None)
        self._preview(None)
        self._push(C.move_keys_command(self.take, selection, float(dframe), dict(dvalues or {})))

    def cancel_move(self, drag_id: int) -> None:
        self._drag_origins.pop(drag_id, None)
        self._preview(None)

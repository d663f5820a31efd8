"""Named commands: each wraps a pure edit of core.anim.edit in a TakeEdit for the history.

Every factory takes the document's current take and returns a command (not yet done); push it
with ``document.push(cmd)``. Drags: pass the take at the start of the drag as ``origin`` and
the total delta so far, with the same ``drag_id`` for every mouse move; the moves merge into
one undo step and snapping never accumulates rounding.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Hashable, Iterable, Mapping

import numpy as np

from core.anim import edit
from core.anim.blink import auto_blink
from core.anim.curve import Curve, HandleType, Interpolation
from core.anim.take import AudioRef, CameraState, LipSyncSettings, SpeechDrive, Take

from .history import TakeEdit

Selection = edit.Selection


def insert_key_command(take: Take, channel: str, frame: float, value: float,
                       interpolation: Interpolation | None = None, text: str = "Insert key") -> TakeEdit:
    c = take.curves[channel]
    after = take if c.lock else take.with_curve(channel, edit.insert_key(
        c, frame, value, interpolation, value_range=edit.channel_range(channel)))
    return TakeEdit(text, take, after)


def insert_keys_command(take: Take, items: Iterable[tuple[str, float, float]]) -> TakeEdit:
    """Keys at (channel, frame, value) each (a key already on that frame takes the value);
    locked channels are left alone. Labelled "Insert key AU01, AU12 @ 20" (insert_keys_text)."""
    curves: dict[str, Curve] = {}
    frames: list[float] = []
    for channel, frame, value in items:
        c = curves.get(channel, take.curves[channel])
        if not c.lock:
            curves[channel] = edit.insert_key(c, float(frame), float(value), value_range=edit.channel_range(channel))
            frames.append(float(frame))
    after = take.with_curves(curves) if curves else take
    return TakeEdit(insert_keys_text(curves, frames), take, after)


def insert_keys_text(channels: Iterable[str], frames: Iterable[float]) -> str:
    """"Insert key AU12 @ 20" / "Insert key AU01, AU12 @ 20-31": the channels and the frames, like
    the keying strip's "Insert key AU12 @ 20"."""
    names = ", ".join(sorted(set(channels)))
    fs = sorted({int(round(f)) for f in frames})
    at = "" if not fs else f" @ {fs[0]}" if len(fs) == 1 else f" @ {fs[0]}-{fs[-1]}"
    return f"Insert key {names}".rstrip() + (at if names else "")


def set_key_command(take: Take, channel: str, frame: int, value: float,
                    drag_id: Hashable | None = None) -> TakeEdit:
    """A slider setting a channel's value at a frame ("Set AU12 @ 12"); the steps of one slider
    drag share ``drag_id`` and merge into one undo step."""
    cmd = insert_key_command(take, channel, float(frame), float(value), text=f"Set {channel} @ {int(frame)}")
    cmd.merge_id = None if drag_id is None else ("set_key", drag_id)
    return cmd


def delete_keys_command(take: Take, selection: Selection) -> TakeEdit:
    return TakeEdit("Delete keys", take, edit.delete_selection(take, selection))


def move_keys_command(take: Take, selection: Selection, dframe: float, dvalue: float | Mapping[str, float],
                      snap: bool = True, drag_id: Hashable | None = None, origin: Take | None = None) -> TakeEdit:
    """selection indexes keys of ``origin`` (the take when the drag began; default ``take``).
    ``dvalue``: one value offset for every channel, or one per channel (missing ones: 0)."""
    if isinstance(dvalue, Mapping):
        after = origin or take
        for channel, idx in selection.items():
            after = edit.move_selection(after, {channel: idx}, dframe, float(dvalue.get(channel, 0.0)), snap)
    else:
        after = edit.move_selection(origin or take, selection, dframe, dvalue, snap)
    return TakeEdit("Move keys", take, after, None if drag_id is None else ("move", drag_id))


def scale_keys_command(take: Take, selection: Selection, frame_factor: float, value_factor: float,
                       pivot_frame: float, pivot_value: float, snap: bool = True,
                       drag_id: Hashable | None = None, origin: Take | None = None) -> TakeEdit:
    after = edit.scale_selection(origin or take, selection, frame_factor, value_factor, pivot_frame, pivot_value, snap)
    return TakeEdit("Scale keys", take, after, None if drag_id is None else ("scale", drag_id))


def paste_command(take: Take, clipboard: edit.Clipboard, frame: float, value_offset: float = 0.0) -> TakeEdit:
    return TakeEdit("Paste keys", take, edit.paste_keys(take, clipboard, frame, value_offset))


def set_interpolation_command(take: Take, selection: Selection, interpolation: Interpolation) -> TakeEdit:
    return TakeEdit("Set interpolation", take, edit.edit_selection(
        take, selection, lambda c, i: edit.set_interpolation(c, i, interpolation)))


def set_handle_type_command(take: Take, selection: Selection, handle_type: HandleType) -> TakeEdit:
    return TakeEdit("Set handle type", take, edit.edit_selection(
        take, selection, lambda c, i: edit.set_handle_type(c, i, handle_type)))


def set_handles_command(take: Take, channel: str, index: int, left=None, right=None,
                        drag_id: Hashable | None = None, origin: Take | None = None) -> TakeEdit:
    src = origin or take
    c = src.curves[channel]
    after = take if c.lock else src.with_curve(channel, edit.set_handles(c, index, left, right))
    return TakeEdit("Move handle", take, after, None if drag_id is None else ("handle", drag_id))


def smooth_command(take: Take, selection: Selection, passes: int = 1) -> TakeEdit:
    return TakeEdit("Smooth keys", take, edit.edit_selection(take, selection, lambda c, i: edit.smooth_keys(c, i, passes)))


def simplify_command(take: Take, selection: Selection, tolerance: float) -> TakeEdit:
    return TakeEdit("Simplify keys", take, edit.edit_selection(
        take, selection, lambda c, i: edit.simplify(c, tolerance, i)))


def replace_curves_command(take: Take, curves: Mapping[str, Curve], text: str = "Replace curves") -> TakeEdit:
    """Bake, import or any whole-curve result; locked channels keep their curve. The new curves
    keep the old channels' mute / solo / lock flags and unknown fields (``extra``, from a take file)."""
    keep = {n: dataclasses.replace(c, mute=take.curves[n].mute, solo=take.curves[n].solo, lock=False,
                                   extra=take.curves[n].extra)
            for n, c in curves.items() if not take.curves[n].lock}
    return TakeEdit(text, take, take.with_curves(keep) if keep else take)


def auto_blink_command(take: Take, blinks_per_minute: float = 17.0, jitter: float = 0.4, seed: int = 0) -> TakeEdit:
    curve = auto_blink(take.duration, take.fps, blinks_per_minute, jitter, seed)
    return replace_curves_command(take, {"AU45": curve}, "Auto-blink")


def set_curve_flags_command(take: Take, channel: str, text: str = "Channel flags", **flags: bool) -> TakeEdit:
    """mute= / solo= / lock= on one channel."""
    bad = set(flags) - {"mute", "solo", "lock"}
    if bad:
        raise ValueError(f"set_curve_flags_command: unknown flags {sorted(bad)}")
    return TakeEdit(text, take, take.with_curve(channel, dataclasses.replace(take.curves[channel], **flags)))


def set_speech_drive_command(take: Take, channel: str, drive: SpeechDrive, text: str = "Speech source") -> TakeEdit:
    return TakeEdit(text, take, take.with_speech(channel, drive))


def set_speech_override_command(take: Take, channel: str, on: bool, baked: Curve | None = None) -> TakeEdit:
    """The lane's override box: the speech control follows its curve (on) or the audio (off).

    ``baked``: what the audio drives on the channel, as a curve (see ``bake_speech_curve``). Turning
    the override on over a curve with no keys (and not locked) seeds the curve with it in the same
    undo step, so the control goes on moving as it did and the animator edits only the moment that
    is wrong. A curve with keys keeps them; turning the override off never touches the curve."""
    drive = dataclasses.replace(take.speech.get(channel, SpeechDrive()), override=bool(on))
    after = take.with_speech(channel, drive)
    c = take.curves[channel]
    if on and baked is not None and len(baked.keys) and not len(c.keys) and not c.lock:
        after = after.with_curve(channel, dataclasses.replace(baked, mute=c.mute, solo=c.solo, lock=False,
                                                              extra=c.extra))
    return TakeEdit(f"{'Override' if on else 'Audio drives'} {channel}", take, after)


def bake_speech_curve(channel: str, values, tolerance: float = 0.02) -> Curve:
    """A speech control's per-frame values [duration] (frame m = values[m]) as a curve: linear keys,
    only those needed to stay within ``tolerance`` of every frame (Ramer-Douglas-Peucker)."""
    v = np.clip(np.asarray(values, dtype=np.float64).reshape(-1), *edit.channel_range(channel))
    return edit.bake(np.arange(len(v), dtype=np.float64), v, tolerance=tolerance)


def set_lipsync_command(take: Take, driver: str | None = None, transcript: str | None = None) -> TakeEdit:
    """The take's lip sync: its driver ("phonemes" or "energy") and / or its transcript (the words
    aligned to the recording; "" recognises the phonemes instead). One undo step."""
    ls = take.lipsync
    after = LipSyncSettings(ls.driver if driver is None else driver,
                            ls.transcript if transcript is None else transcript.strip())
    if transcript is not None and driver is None:
        text = "Set transcript" if after.transcript else "Clear transcript"
    else:
        text = f"Lip sync: {after.driver}"
    return TakeEdit(text, take, dataclasses.replace(take, lipsync=after))


def import_mouth_cues_command(take: Take, controls, name: str = "mouth cues") -> TakeEdit:
    """Speech controls [duration, 4] (from a Rhubarb / Papagayo file's mouth cues) baked into the four
    speech curves, each handed to its curve (override on): one undo step. Locked curves are left."""
    from core.aus import SPEECH_NAMES

    v = np.asarray(controls, dtype=np.float64)
    if v.ndim != 2 or v.shape[1] != len(SPEECH_NAMES):
        raise ValueError(f"mouth cue controls must be [frames, {len(SPEECH_NAMES)}], got {list(v.shape)}")
    after = take
    for i, ch in enumerate(SPEECH_NAMES):
        c = take.curves[ch]
        if c.lock:
            continue
        baked = bake_speech_curve(ch, v[:, i], tolerance=0.01)
        after = after.with_curve(ch, dataclasses.replace(baked, mute=c.mute, solo=c.solo, lock=False, extra=c.extra))
        after = after.with_speech(ch, dataclasses.replace(take.speech.get(ch, SpeechDrive()), override=True))
    return TakeEdit(f"Import {name}", take, after)


def set_take_command(take: Take, text: str = "Take settings", drag_id: Hashable | None = None,
                     **fields: Any) -> TakeEdit:
    """name= fps= duration= audio= (AudioRef | None) camera= (CameraState) zone_settings= ...
    Camera orbits pass a drag_id so a whole orbit is one step."""
    allowed = {"name", "fps", "duration", "audio", "camera", "zone_settings"}
    bad = set(fields) - allowed
    if bad:
        raise ValueError(f"set_take_command: unknown fields {sorted(bad)}")
    if "audio" in fields and fields["audio"] is not None and not isinstance(fields["audio"], AudioRef):
        raise ValueError("set_take_command: audio must be an AudioRef or None")
    if "camera" in fields and not isinstance(fields["camera"], CameraState):
        raise ValueError("set_take_command: camera must be a CameraState")
    return TakeEdit(text, take, dataclasses.replace(take, **fields), None if drag_id is None else ("take", drag_id))

"""Takes from recordings: a new take as long as a voice recording, attaching or relinking audio.

``new_take_from_audio`` is what File > New From Audio, ``main.py new`` and ``main.py AUDIO`` share;
``import_audio_command`` and ``relink_audio_command`` are the undoable edits of File > Import Audio
and of the missing-audio prompt. Every format core.audio.decode reads is accepted (WAV, FLAC, OGG,
MP3 through libsndfile; M4A, AAC, MP4 through FFmpeg); a file that cannot be decoded raises
core.audio.AudioLoadError naming the file.
"""
from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path

from core.anim.blink import auto_blink
from core.anim.take import AudioRef, Take

from .commands import set_take_command
from .history import TakeEdit
from .project import PROJECT_SUFFIX

#: Suffixes the studio treats as recordings (the decoder tries FFmpeg on anything else too).
AUDIO_SUFFIXES = frozenset({
    ".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff",
    ".m4a", ".aac", ".mp4", ".m4b", ".mov",
})
#: Take files: the project and its autosave side file.
TAKE_SUFFIXES = frozenset({PROJECT_SUFFIX, ".autosave"})
DEFAULT_FPS = 25.0


def is_audio_path(path: str | os.PathLike) -> bool:
    """True when ``path`` should be opened as a recording rather than a take file: by its suffix,
    or, for an unknown suffix, when the file does not start like a JSON take."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in AUDIO_SUFFIXES:
        return True
    if suffix in TAKE_SUFFIXES:
        return False
    try:
        with open(p, "rb") as f:
            head = f.read(64).lstrip()
    except OSError:
        return False  # let the take reader name the problem
    return not head.startswith(b"{")


def frames_for_seconds(seconds: float, fps: float) -> int:
    """Frames needed to cover ``seconds`` at ``fps``: ceil(seconds * fps), at least 1. A length
    that is a whole number of frames up to float rounding (2.0 s at 25 fps) is not rounded up."""
    return max(int(math.ceil(seconds * fps - 1e-6)), 1)


def _check_fps(fps: float) -> float:
    try:
        fps = float(fps)
    except (TypeError, ValueError):
        raise ValueError(f"fps must be a number, got {fps!r}") from None
    if not math.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    return fps


def audio_duration(path: str | os.PathLike) -> float:
    """Length of a recording in seconds; AudioLoadError (naming the file) when it cannot be read."""
    from core.audio.decode import load_audio

    return load_audio(path).duration


def new_take_from_audio(path: str | os.PathLike, fps: float = DEFAULT_FPS, name: str | None = None, *,
                        seconds: float | None = None) -> Take:
    """A new take on the recording at ``path``: ceil(duration * fps) frames, the audio attached
    (absolute path), the speech controls driven by the audio (the take's default), AU45 carrying
    auto-blinks, named after the file unless ``name`` is given. Raises AudioLoadError (naming the
    file) for a missing, empty or undecodable file, ValueError for a bad fps. ``seconds``: the
    recording's length when the caller has already decoded it (the file is not decoded again)."""
    fps = _check_fps(fps)
    p = Path(path).expanduser().absolute()
    if seconds is None:
        seconds = audio_duration(p)
    n = frames_for_seconds(seconds, fps)
    take = Take(name=name if name else p.stem, fps=fps, duration=n, audio=AudioRef(os.path.normpath(str(p))))
    return take.with_curve("AU45", auto_blink(n, fps))


def import_audio_command(take: Take, path: str | os.PathLike, seconds: float | None = None) -> TakeEdit:
    """File > Import Audio: attach the recording at ``path`` to ``take``, starting at frame 0
    (offset 0), and when the take is shorter than the recording, lengthen it to cover it, in the
    same undo step.
    ``seconds``: the recording's length when already known (else the file is decoded; an
    unreadable one raises AudioLoadError naming it)."""
    p = os.path.normpath(str(Path(path).expanduser().absolute()))
    if seconds is None:
        seconds = audio_duration(p)
    needed = frames_for_seconds(seconds, take.fps)
    return set_take_command(take, f"Import audio {Path(p).name}", audio=AudioRef(p, 0.0),
                            duration=max(take.duration, needed))


def relink_audio_command(take: Take, path: str | os.PathLike) -> TakeEdit:
    """Point a take whose recording went missing at its new place (offset, length and the audio
    entry's unknown fields kept)."""
    if take.audio is None:
        raise ValueError("relink_audio_command: the take has no audio to relink")
    p = os.path.normpath(str(Path(path).expanduser().absolute()))
    return set_take_command(take, f"Relink audio {Path(p).name}", audio=dataclasses.replace(take.audio, path=p))


def missing_audio(take: Take) -> str | None:
    """The take's audio path when it names no file (to offer a relink), else None."""
    if take.audio is None or os.path.isfile(take.audio.path):
        return None
    return take.audio.path

"""AU curves from an OpenFace CSV into a take: File > Import AU Curves…, a dropped ``.csv`` and
``main.py new --openface CSV``.

``import_curves_command`` is the one undoable edit of the studio's import: the take's AU curves
that the file has are replaced by the imported ones (resampled to the take's fps; a locked channel
keeps its curve; mute / solo / lock flags stay), and a take shorter than the file grows to cover
it, in the same step. ``new_take_from_openface`` is the headless take of ``main.py new --openface``.
Every problem with the file is a core.document.openface.CurveImportError naming the file and,
where there is one, the line and the column; nothing is changed then.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from core.anim.take import Take
from core.aus import AU_NAMES

from .commands import replace_curves_command
from .history import TakeEdit
from .openface import CurveImportError, import_openface

#: Suffixes of the curve files the studio imports (OpenFace writes .csv).
CURVE_SUFFIXES = frozenset({".csv"})
#: Default thinning of the per-frame samples into linear keys (AU units, 0..5): within 1% of the range.
DEFAULT_TOLERANCE = 0.05

__all__ = [
    "CURVE_SUFFIXES", "CurveImportError", "CurvesImported", "DEFAULT_TOLERANCE", "import_curves_command",
    "is_curve_path", "new_take_from_openface", "summary",
]


def is_curve_path(path: str | os.PathLike) -> bool:
    """True when ``path`` should be imported as AU curves (by its suffix: a ``.csv``)."""
    return Path(path).suffix.lower() in CURVE_SUFFIXES


@dataclasses.dataclass(frozen=True)
class CurvesImported:
    """What an import brought in: the command (not yet pushed), the AUs replaced (in AU order),
    the AUs the file has that a lock kept, the frames the file spans at the take's fps, the rows
    skipped as failed (no face), the layout ("OpenFace 2.x" / "OpenFace 3.0") and, for OpenFace
    3.0, the video frame rate its frame_index was timed with."""

    command: TakeEdit
    channels: tuple[str, ...]
    locked: tuple[str, ...]
    frames: int
    skipped: int
    layout: str
    source_fps: float | None = None


def import_curves_command(take: Take, path: str | os.PathLike, tolerance: float | None = DEFAULT_TOLERANCE,
                          source_fps: float | None = None) -> CurvesImported:
    """File > Import AU Curves…: the AU curves of the OpenFace 2.x or 3.0 CSV at ``path``, at the
    take's fps, as one undoable edit of ``take``.

    The AUs the file has replace the take's curves of those AUs (keys outside the file's span
    go with them: the file is the performance); the others, the speech controls, the audio and
    the camera are untouched. A take shorter than the file grows to cover it in the same step.
    ``source_fps``: OpenFace 3.0 only, the frame rate of the video it read (its files do not
    record one); default the take's fps. Raises CurveImportError (naming the file, line and
    column) for any file; the take is not touched then."""
    imp = import_openface(path, fps=take.fps, tolerance=tolerance, source_fps=source_fps)
    name = Path(path).name
    curves = {a: c for a, c in imp.curves.items() if a in AU_NAMES}
    cmd = replace_curves_command(take, curves, f"Import AU curves {name}")
    after = cmd.after
    if imp.duration > after.duration:
        after = dataclasses.replace(after, duration=imp.duration)
    cmd = TakeEdit(cmd.text, take, after)
    locked = tuple(a for a in AU_NAMES if a in curves and take.curves[a].lock)
    channels = tuple(a for a in AU_NAMES if a in curves and a not in locked)
    used_fps = (take.fps if source_fps is None else float(source_fps)) if imp.layout == "OpenFace 3.0" else None
    return CurvesImported(cmd, channels, locked, imp.duration, imp.skipped, imp.layout, used_fps)


def summary(result: CurvesImported, name: str) -> str:
    """The status-bar line of an import: "Imported 17 AUs, 100 frames from clip.csv (OpenFace
    2.x); 15 rows skipped as failed"."""
    n = len(result.channels)
    text = f"Imported {n} AU{'' if n == 1 else 's'}, {result.frames} frames from {name} ({result.layout}"
    if result.source_fps is not None:
        text += f", timed at {result.source_fps:g} fps"
    text += f"); {result.skipped} row{'' if result.skipped == 1 else 's'} skipped as failed"
    if result.locked:
        text += f"; locked, kept: {', '.join(result.locked)}"
    return text


def new_take_from_openface(path: str | os.PathLike, fps: float = 25.0, audio: str | os.PathLike | None = None,
                           name: str | None = None, tolerance: float | None = DEFAULT_TOLERANCE,
                           source_fps: float | None = None) -> tuple[Take, CurvesImported]:
    """``main.py new --openface CSV [--audio AUDIO]``: a take whose AU curves come from the OpenFace
    CSV at ``path`` at ``fps``, as long as the file (and, with ``audio``, at least as long as the
    recording).

    With ``audio`` it is the take File > New From Audio makes (the recording attached, speech
    driven by it, auto-blink on AU45, named after the recording) followed by File > Import AU
    Curves… of the CSV: the AUs the file has replace those curves (OpenFace 2.x's AU45 replaces
    the auto-blink; OpenFace 3.0 has no AU45, so the blinks stay). Without audio the take holds
    the file's curves only and is named after the CSV. ``name`` overrides the name.
    Raises CurveImportError naming the CSV, AudioLoadError naming the recording, ValueError for
    a bad fps."""
    if audio is not None:
        from .new_take import new_take_from_audio

        base = new_take_from_audio(audio, fps=fps, name=name)
        result = import_curves_command(base, path, tolerance, source_fps)
        return result.command.after, result
    base = Take(name=name or Path(path).stem, fps=fps, duration=1)
    result = import_curves_command(base, path, tolerance, source_fps)
    return result.command.after, result

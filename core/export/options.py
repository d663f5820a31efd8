"""Export options, the format rules, cancel tokens and the errors of the exporter. numpy only."""
from __future__ import annotations

import dataclasses
import math
import os
import threading
from pathlib import Path

import numpy as np

@dataclasses.dataclass(frozen=True)
class ExportFormat:
    """One output format, as the CLI (``main.py export --format``) and File > Export offer it.

    name: the ``--format`` value; label: what the dialog's menu shows; extensions: target suffixes
    that pick this format, the first being what a new target gets ("" = a directory of numbered
    files); kind: 'video', 'images', 'gaussians' or 'curves'; options: the ExportOptions fields
    that change this format's output besides path, fps and frame_range."""

    name: str
    label: str
    extensions: tuple[str, ...]
    kind: str
    options: frozenset[str]

    @property
    def rendered(self) -> bool:
        """Pictures come out (the renderer and camera run)."""
        return self.kind in ("video", "images")

    @property
    def sequence(self) -> bool:
        """A numbered file per frame."""
        return self.kind in ("images", "gaussians")

    @property
    def default_suffix(self) -> str:
        return self.extensions[0]


_RENDER_OPTIONS = frozenset({"size", "yaw", "pitch", "distance", "fov_y", "backend", "driver"})

#: The one table of export formats: the CLI's --format choices, the dialog's menu and the rules
#: that tell a format from a target's extension all read it.
EXPORT_FORMATS: tuple[ExportFormat, ...] = (
    ExportFormat("mp4", "MP4 video (H.264, AAC audio)", (".mp4",), "video",
                 _RENDER_OPTIONS | {"background", "crf", "preset"}),
    ExportFormat("png", "PNG sequence (RGBA)", ("", ".png"), "images", _RENDER_OPTIONS),
    ExportFormat("ply", "PLY sequence (3DGS)", ("", ".ply"), "gaussians", frozenset({"driver"})),
    ExportFormat("openface", "OpenFace CSV (AU curves)", (".csv",), "curves", frozenset()),
    ExportFormat("arkit", "ARKit CSV (blendshapes)", (".csv",), "curves", frozenset()),
    ExportFormat("json", "JSON curves", (".json",), "curves", frozenset()),
)
FORMAT_BY_NAME: dict[str, ExportFormat] = {f.name: f for f in EXPORT_FORMATS}
#: Every output format's name. Rendered: mp4, png. Gaussians: ply. Curves: openface, arkit, json.
FORMATS = tuple(FORMAT_BY_NAME)
CURVE_FORMATS = tuple(f.name for f in EXPORT_FORMATS if f.kind == "curves")
#: Formats written as a numbered sequence of files.
SEQUENCE_FORMATS = tuple(f.name for f in EXPORT_FORMATS if f.sequence)


def export_format(name: str) -> ExportFormat:
    """The table's row for ``name``; ExportError for a name it does not have."""
    try:
        return FORMAT_BY_NAME[name.lower()]
    except (KeyError, AttributeError):
        raise ExportError(f"unknown format {name!r}; choose one of {', '.join(FORMATS)}") from None


class ExportError(ValueError):
    """An export could not be done; the message names the target and the problem."""


class ExportCancelled(Exception):
    """The export was cancelled through its CancelToken; nothing was left at the target."""


class CancelToken:
    """Set from any thread (the GUI's Cancel button); the exporter checks it between frames."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


@dataclasses.dataclass(frozen=True)
class ExportOptions:
    """What to export and how.

    path: the target. Its extension picks the format (.mp4, .png, .ply, .json, .csv with
        ``format`` openface or arkit); a path without extension is a directory for a sequence
        (then give ``format``).
    size: (width, height) in pixels; MP4 rounds each up to even (yuv420p needs it).
    fps: output frame rate; None keeps the take's. Another rate re-times: the take's curves are
        sampled at the new frame times (fractional timeline frames).
    frame_range: (start, end) timeline frames of the take, end exclusive; None: the whole take.
    yaw, pitch: camera orbit in degrees (0, 0 = from the front); distance: None frames the head.
    background: RGB in 0..1 for MP4 (PNG is always rendered over black: straight alpha).
    backend: 'auto' (gsplat with CUDA, else gl), 'gl', 'reference' or 'gsplat'.
    driver: a core.drive.DRIVERS name ('rig' or 'model'); checkpoint: the model driver's checkpoint
        (None: the shipped one).
    crf: x264 constant rate factor (0 lossless .. 51; 18 is visually lossless).
    chunk: frames deformed per batch; queue: batches in flight between the stages.
    """

    path: str | os.PathLike
    format: str | None = None
    size: tuple[int, int] = (512, 512)
    fps: float | None = None
    frame_range: tuple[int, int] | None = None
    yaw: float = 0.0
    pitch: float = 0.0
    distance: float | None = None
    fov_y: float = 30.0
    background: tuple[float, float, float] = (0.0, 0.0, 0.0)
    backend: str = "auto"
    driver: str = "rig"
    checkpoint: str | os.PathLike | None = None
    crf: int = 18
    preset: str = "medium"
    chunk: int = 8
    queue: int = 2

    def resolved_format(self) -> str:
        return detect_format(self.path, self.format)

    def output_size(self) -> tuple[int, int]:
        w, h = (int(v) for v in self.size)
        if w <= 0 or h <= 0:
            raise ExportError(f"{self.path}: size must be positive, got {w}x{h}")
        if FORMAT_BY_NAME[self.resolved_format()].kind == "video":
            w, h = w + (w % 2), h + (h % 2)
        return w, h


@dataclasses.dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    frames: int
    fps: float
    files: tuple[Path, ...] = ()


def detect_format(path: str | os.PathLike, fmt: str | None = None) -> str:
    """The format for ``path`` by the table: an explicit ``fmt`` wins if it fits the extension."""
    p = Path(path)
    ext = p.suffix.lower()
    if fmt is not None:
        if fmt.lower() not in FORMAT_BY_NAME:
            raise ExportError(f"{path}: unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
        row = FORMAT_BY_NAME[fmt.lower()]
        if ext not in row.extensions:
            raise ExportError(f"{path}: the extension {ext or '(none)'} does not fit the format {row.name}")
        return row.name
    fits = [f.name for f in EXPORT_FORMATS if ext in f.extensions]
    if len(fits) == 1:
        return fits[0]
    choices = " or ".join(f"--format {name}" for name in fits)
    if ext == "" and fits:
        raise ExportError(f"{path}: a directory target needs {choices}")
    if fits:
        raise ExportError(f"{path}: a {ext} export needs {choices}")
    known = list(dict.fromkeys(e for f in EXPORT_FORMATS for e in f.extensions if e))
    raise ExportError(f"{path}: cannot tell the format from {ext}; use {', '.join(known[:-1])} or {known[-1]}")


def output_frames(take_fps: float, duration: int, fps: float | None = None,
                  frame_range: tuple[int, int] | None = None, path="<export>") -> tuple[np.ndarray, float]:
    """Timeline frames to export [F] float64 and the output fps.

    Output frame k shows timeline time start / take_fps + k / fps, i.e. timeline frame
    start + k * take_fps / fps; F = ceil((end - start) * fps / take_fps).

    Both rates must lie within core.limits MIN_FPS..MAX_FPS, and the output, a take at the output
    fps, within its limits (take_frames_problem: at most 1,000,000 frames, 4 h), so no rate asks for
    more frames than a take may hold; anything else is an ExportError (one line, naming ``path``)."""
    from core.limits import MAX_FPS, MIN_FPS, take_frames_problem

    def rate(v, what: str) -> float:
        try:
            r = float(v)
        except (TypeError, ValueError, OverflowError):
            r = float("nan")
        if isinstance(v, bool) or not MIN_FPS <= r <= MAX_FPS:
            raise ExportError(f"{path}: {what} must be within {MIN_FPS:g}..{MAX_FPS:g}, got {str(v)[:40]}")
        return r

    take_fps = rate(take_fps, "the take's fps")
    out_fps = rate(take_fps if fps is None else fps, "fps")
    start, end = (0, duration) if frame_range is None else (int(frame_range[0]), int(frame_range[1]))
    if not 0 <= start < end <= duration:
        raise ExportError(f"{path}: frame range {start}:{end} is not within the take's 0:{duration}")
    n = max(1, int(math.ceil((end - start) * out_fps / take_fps - 1e-9)))
    problem = take_frames_problem(out_fps, n)
    if problem:
        raise ExportError(f"{path}: frames {start}:{end} at {out_fps:g} fps: {problem}")
    return start + np.arange(n, dtype=np.float64) * (take_fps / out_fps), out_fps

"""Export options, the format rules, cancel tokens and the errors of the exporter. numpy only."""
from __future__ import annotations

import dataclasses
import math
import os
import threading
from pathlib import Path

import numpy as np

#: Every output format. Rendered: mp4, png. Gaussians: ply. Curves: openface, arkit, json.
FORMATS = ("mp4", "png", "ply", "openface", "arkit", "json")
CURVE_FORMATS = ("openface", "arkit", "json")
#: Formats written as a numbered sequence of files.
SEQUENCE_FORMATS = ("png", "ply")


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
        if self.resolved_format() == "mp4":
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
    """The format for ``path``: an explicit ``fmt`` wins if it fits the extension."""
    p = Path(path)
    ext = p.suffix.lower().lstrip(".")
    if fmt is not None:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise ExportError(f"{path}: unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
        fits = {"mp4": ("mp4",), "png": ("png", ""), "ply": ("ply", ""), "openface": ("csv",),
                "arkit": ("csv",), "json": ("json",)}[fmt]
        if ext not in fits:
            raise ExportError(f"{path}: the extension .{ext or '(none)'} does not fit the format {fmt}")
        return fmt
    if ext in ("mp4", "png", "ply", "json"):
        return ext
    if ext == "csv":
        raise ExportError(f"{path}: a .csv export needs --format openface or --format arkit")
    if ext == "":
        raise ExportError(f"{path}: a directory target needs --format png or --format ply")
    raise ExportError(f"{path}: cannot tell the format from .{ext}; use .mp4, .png, .ply, .csv or .json")


def output_frames(take_fps: float, duration: int, fps: float | None = None,
                  frame_range: tuple[int, int] | None = None, path="<export>") -> tuple[np.ndarray, float]:
    """Timeline frames to export [F] float64 and the output fps.

    Output frame k shows timeline time start / take_fps + k / fps, i.e. timeline frame
    start + k * take_fps / fps; F = ceil((end - start) * fps / take_fps)."""
    out_fps = float(take_fps if fps is None else fps)
    if not (math.isfinite(out_fps) and out_fps > 0):
        raise ExportError(f"{path}: fps must be a positive number, got {fps!r}")
    start, end = (0, duration) if frame_range is None else (int(frame_range[0]), int(frame_range[1]))
    if not 0 <= start < end <= duration:
        raise ExportError(f"{path}: frame range {start}:{end} is not within the take's 0:{duration}")
    n = max(1, int(math.ceil((end - start) * out_fps / take_fps - 1e-9)))
    return start + np.arange(n, dtype=np.float64) * (take_fps / out_fps), out_fps

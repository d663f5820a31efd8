"""The export pipeline: deformation, rendering and encoding overlap in three threads.

    deform thread   driver.frames(chunk k+1)              -> queue (bounded)
    render thread   renderer.render(frame) for chunk k     -> queue (bounded)   (owns the renderer:
                                                                                 a GL context is
                                                                                 bound to one thread)
    caller thread   writer.write(frame) for chunk k-1, progress, cancel checks

Bounded queues keep at most ``options.queue`` chunks in flight per stage, so memory stays
bounded whatever the take's length. Any failure or a cancel stops every stage, the writer's
staged output is removed and the error is raised in the caller's thread.

A take whose recording is missing (the file is gone) exports as the studio plays it: without
sound (no audio track in an MP4; the speech controls the audio drives are silent) and with one
warning line (``missing_recording_warning``) handed to ``warn``. A recording that is there but
cannot be read stops the export with an ExportError naming the file and the problem.
"""
from __future__ import annotations

import dataclasses
import logging
import queue
import threading
from pathlib import Path
from typing import Callable

import numpy as np

from core.export.options import (
    FORMAT_BY_NAME,
    CancelToken,
    ExportCancelled,
    ExportError,
    ExportOptions,
    ExportResult,
    output_frames,
)

ProgressCallback = Callable[[int, int], None]
WarnCallback = Callable[[str], None]
log = logging.getLogger(__name__)
_POLL_S = 0.05
_DONE = object()


class _Stopped(Exception):
    """Another stage failed or the export was cancelled."""


def _put(q: queue.Queue, item, stop: threading.Event) -> None:
    while True:
        if stop.is_set():
            raise _Stopped
        try:
            q.put(item, timeout=_POLL_S)
            return
        except queue.Full:
            continue


def _get(q: queue.Queue, stop: threading.Event):
    while True:
        if stop.is_set():
            raise _Stopped
        try:
            return q.get(timeout=_POLL_S)
        except queue.Empty:
            continue


class _Stage(threading.Thread):
    def __init__(self, name: str, body: Callable[[], None], stop: threading.Event):
        super().__init__(name=name, daemon=True)
        self.body, self.stop, self.error = body, stop, None

    def run(self) -> None:
        try:
            self.body()
        except _Stopped:
            pass
        except BaseException as exc:  # handed to the caller's thread
            self.error = exc
            self.stop.set()


def default_camera(cloud, options: ExportOptions, width: int, height: int):
    """Frame the (undeformed) head from the front, as `main.py render` does; yaw/pitch orbit it."""
    from core.camera import OrbitCamera
    from core.gaussians import framing_bounds

    lo, hi = (t.detach().cpu().numpy().astype(np.float64) for t in framing_bounds(cloud.means.detach().cpu()))
    orbit = OrbitCamera.framing(lo, hi, yaw=options.yaw, pitch=options.pitch, fov_y=options.fov_y)
    if options.distance is not None:
        if not options.distance > 0:
            raise ExportError(f"{options.path}: distance must be positive, got {options.distance}")
        orbit.distance = float(options.distance)
    return orbit.camera(width, height)


def missing_recording(take) -> Path | None:
    """The take's recording when the take has one and its file is gone (None otherwise)."""
    if take.audio is None:
        return None
    path = Path(take.audio.path)
    return None if path.exists() else path


def missing_recording_warning(path: str | Path) -> str:
    """The one line an export of a take whose recording is missing says (CLI and studio)."""
    return f"exported without sound: the recording {path} is missing; relink it in the studio"


def _audio_error(take, exc: Exception) -> ExportError:
    """An unreadable (present but damaged) recording: one line naming the file, no class name."""
    text = " ".join(str(exc).split())
    name = str(take.audio.path)
    if name not in text and Path(name).name not in text:
        text = f"{name}: {text}"
    return ExportError(f"cannot read the take's recording: {text}")


def _load_audio_segment(take, start_s: float, duration_s: float):
    """The take's audio under the exported time span: (float32 [S, C], rate) or (None, None).

    Only that part of the file is decoded (core.audio.decode.open_audio): S = round(duration_s *
    rate), silence where the recording does not reach (before 0 or after its end)."""
    if take.audio is None:
        return None, None
    from core.audio.decode import AudioLoadError, open_audio

    try:
        src = open_audio(take.audio.path)
    except (AudioLoadError, OSError) as exc:
        raise _audio_error(take, exc) from exc
    rate = src.sample_rate
    n = int(round(duration_s * rate))
    first = int(round((start_s - take.audio.offset) * rate))
    seg = np.zeros((n, src.channels), np.float32)
    lo, hi = max(first, 0), min(first + n, src.num_samples)
    if hi > lo:
        try:
            seg[lo - first:hi - first] = src.read(lo, hi)
        except (AudioLoadError, OSError) as exc:
            raise _audio_error(take, exc) from exc
    return seg, rate


def export_take(take, head, options: ExportOptions, progress: ProgressCallback | None = None,
                cancel: CancelToken | None = None, driver=None, warn: WarnCallback | None = None) -> ExportResult:
    """Export ``take`` as ``options`` say; blocks until done (call it from a worker thread in a GUI).

    head: the core.head.Head to deform (used for the default driver and camera framing);
    driver: any core.drive.Driver (default: core.drive.make_driver(options.driver, head, take,
    checkpoint=options.checkpoint)).
    progress(done, total) is called from the caller's thread after each written frame.
    warn(line) is called from the caller's thread, before any frame, for each thing the export
    does differently from what the take asks (default: logged as a warning): today one, a take
    whose recording is missing exports without sound (``missing_recording_warning``).
    Raises ExportError (bad options, unwritable target, a failing stage wraps its cause),
    ExportCancelled when ``cancel`` fires; in both cases nothing is left at the target."""
    fmt = options.resolved_format()
    path = Path(options.path)
    frames, out_fps = output_frames(take.fps, take.duration, options.fps, options.frame_range, path)
    total = len(frames)
    cancel = cancel or CancelToken()
    row = FORMAT_BY_NAME[fmt]
    gone = missing_recording(take)
    project = take  # what a JSON curve export writes as the take: its audio path kept
    if gone is not None:
        # As the studio plays it: no sound, and the speech the audio drives is silent.
        take = dataclasses.replace(take, audio=None)
        (warn or log.warning)(missing_recording_warning(gone))
    if driver is None:
        from core.drive import make_driver

        # The speech of the exported frames needs only the audio around them (not the whole file).
        span = {"speech_span": (float(frames.min()), float(frames.max()))}
        if "driver" not in row.options:  # curves: the take's controls, the same under every driver
            driver = make_driver("rig", head, take, **span)
        else:
            extra = {"checkpoint": options.checkpoint} if options.checkpoint is not None else {}
            driver = make_driver(options.driver, head, take, **extra, **span)

    if row.kind == "curves":
        from core.drive import DriveError
        from core.export.curves import write_curves

        if cancel.cancelled:
            raise ExportCancelled(str(path))
        if hasattr(driver, "controls"):  # every core.drive driver: the speech the face gets
            controls = driver.controls
        else:
            def controls(f):
                return take.evaluate_au(f), take.evaluate_speech(f)
        try:
            # Streamed: write_curves asks for the controls of one chunk of frames at a time,
            # reports progress after each chunk and stops on a cancel before the next.
            write_curves(fmt, project, path, frames, fps=out_fps, controls=controls, progress=progress,
                         cancel=cancel)
        except OSError as exc:
            raise ExportError(f"{path}: cannot write the curves: {exc}") from exc
        except DriveError as exc:  # the take's recording cannot be read: one line naming it
            raise ExportError(f"{path}: {' '.join(str(exc).split())}") from exc
        return ExportResult(path, fmt, total, out_fps, (path,))

    width, height = options.output_size()
    if options.chunk < 1 or options.queue < 1:
        raise ExportError(f"{path}: chunk and queue must be at least 1")
    writer = _make_writer(fmt, path, options, width, height, out_fps, take, frames)
    stop = threading.Event()
    deformed: queue.Queue = queue.Queue(maxsize=options.queue)
    rendered: queue.Queue = queue.Queue(maxsize=options.queue)
    chunks = [frames[i:i + options.chunk] for i in range(0, total, options.chunk)]

    def deform_body() -> None:
        for c in chunks:
            _put(deformed, driver.frames(c), stop)
        _put(deformed, _DONE, stop)

    def render_body() -> None:
        from core.render import get_renderer

        # Frame the undeformed head so the camera does not follow the first frame's expression.
        camera_cloud = head.cloud if head is not None and hasattr(head, "cloud") else driver.cloud(frames[0])
        camera = default_camera(camera_cloud, options, width, height)
        background = (0.0, 0.0, 0.0) if fmt == "png" else tuple(float(v) for v in options.background)
        renderer = get_renderer(options.backend)
        try:
            while True:
                batch = _get(deformed, stop)
                if batch is _DONE:
                    break
                images = []
                for t in range(batch.means.shape[0]):
                    result = renderer.render(batch.cloud(t), camera, background=background)
                    images.append(result.to_numpy_rgba8() if fmt == "png" else result.to_numpy_rgb8())
                _put(rendered, images, stop)
            _put(rendered, _DONE, stop)
        finally:
            renderer.close()

    stages = [_Stage("export-deform", deform_body, stop)]
    source = deformed
    if row.rendered:
        stages.append(_Stage("export-render", render_body, stop))
        source = rendered

    done = 0
    try:
        writer.open()
        for s in stages:
            s.start()
        while True:
            if cancel.cancelled:
                raise ExportCancelled(str(path))
            try:
                item = _get(source, stop)
            except _Stopped:
                break
            if item is _DONE:
                break
            items = [item.cloud(t) for t in range(item.means.shape[0])] if fmt == "ply" else item
            for it in items:
                if cancel.cancelled:
                    raise ExportCancelled(str(path))
                writer.write(done, it)
                done += 1
                if progress:
                    progress(done, total)
        _raise_stage_error(stages, path)
        if done != total:
            raise ExportError(f"{path}: only {done} of {total} frames were produced")
        writer.commit()
    except BaseException as exc:
        stop.set()
        _join(stages)
        writer.abort()
        if isinstance(exc, (ExportCancelled, ExportError)) or not isinstance(exc, Exception):
            raise  # ours, or KeyboardInterrupt / SystemExit: cleaned up, passed on as they are
        _raise_stage_error(stages, path)
        raise ExportError(f"{path}: export failed: {exc}") from exc
    finally:
        stop.set()
        _join(stages)
    return ExportResult(path, fmt, total, out_fps, getattr(writer, "files", (path,)))


def _join(stages) -> None:
    for s in stages:
        if s.ident is not None:  # started
            s.join()


def _raise_stage_error(stages, path: Path) -> None:
    _join(stages)
    for s in stages:
        if s.error is not None:
            err = s.error
            if isinstance(err, ExportError):
                raise err
            from core.drive import DriveError

            if isinstance(err, DriveError):  # names the file and the problem: said as it is
                raise ExportError(f"{path}: {' '.join(str(err).split())}") from err
            raise ExportError(f"{path}: {s.name.split('-')[1]} failed: {type(err).__name__}: {err}") from err


def _make_writer(fmt: str, path: Path, options: ExportOptions, width: int, height: int, out_fps: float,
                 take, frames: np.ndarray):
    from core.export.writers import Mp4Writer, SequenceWriter

    if fmt == "mp4":
        start_s = float(frames[0]) / take.fps
        audio, rate = _load_audio_segment(take, start_s, len(frames) / out_fps)
        return Mp4Writer(path, width, height, out_fps, options.crf, options.preset, audio, rate)
    if fmt == "png":
        from core.image import encode_png

        def save_png(img, p):  # the sequence writer fsyncs and renames; no second temp file per frame
            with open(p, "wb") as f:
                f.write(encode_png(img))

        return SequenceWriter(path, ".png", save_png)
    if fmt == "ply":
        from core.ply import write_ply

        return SequenceWriter(path, ".ply", lambda cloud, p: write_ply(cloud, p))
    raise ExportError(f"{path}: unknown format {fmt}")

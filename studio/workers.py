"""Deformation off the GUI thread: single frames with latest-request-wins coalescing, and a
playback stream that deforms frames ahead of the clock at a level of detail.

Single frames (stopped, paused, scrubbing, editing): the GUI asks for (take, frame, revision) as
often as it likes; the worker keeps only the newest request, so a slow frame never builds a queue.
A request made after an edit carries a higher revision; results of older revisions that were
already under way are discarded by the receiver (``is_current``). These frames are full quality.

Playback (``start_stream`` .. ``stop_stream``): the worker deforms batches of frames ahead of the
frame being heard, through the driver's vectorised ``frames`` and at a level of detail
(core.render.lod: about a fifth of the Gaussians, the rig run on those only), into a small ring.
``request`` then hands over the ring's frame for the clock at once; a frame the worker has not
made in time is skipped (the worker jumps ahead of the clock rather than falling behind it), so the
picture never lags the sound. ``stop_stream`` re-evaluates the frame on screen at full quality.
"""
from __future__ import annotations

import copy
import math
import threading
import time
import traceback
from types import SimpleNamespace

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal

from .engine import Engine, FrameResult

#: Frames deformed per batch while playing (one vectorised rig call).
STREAM_BATCH = 4
#: Frames the stream may run ahead of the clock (the ring's size).
STREAM_AHEAD = 10
#: At most every this many frames is deformed when the GUI shows fewer (see _Stream.stride).
STREAM_MAX_STRIDE = 4


def lod_head(head, lod):
    """The head reduced to a level of detail: its rig tables cut to the kept Gaussians, so the rig
    deforms only those (core.rig.deform reads ``cloud`` and ``rig``)."""
    import dataclasses

    import torch

    rig = head.rig
    n = lod.num_full
    idx = torch.as_tensor(lod.indices)
    changes = {}
    for f in dataclasses.fields(rig):
        t = getattr(rig, f.name)
        # The Gaussian axis: the first of size N ([N, 3] pivots; [K, N] and [K, N, 3] tables).
        axis = next(i for i, size in enumerate(t.shape) if size == n)
        changes[f.name] = t.index_select(axis, idx.to(t.device))
    return SimpleNamespace(cloud=lod.rest, rig=dataclasses.replace(rig, **changes), fingerprint=getattr(
        head, "fingerprint", None))


#: Levels of detail by head (id -> (head, SplatLOD, reduced head)): windows on one head share one.
_LOD_CACHE: dict[int, tuple] = {}


def _lod_for(head, keep: float | None):
    from core.render.lod import DEFAULT_KEEP, build_lod

    keep = DEFAULT_KEEP if keep is None else float(keep)
    hit = _LOD_CACHE.get(id(head))
    if hit is not None and hit[0] is head and hit[1].keep == keep:
        return hit[1], hit[2]
    lod = build_lod(head.cloud, keep)
    reduced = lod_head(head, lod)
    if len(_LOD_CACHE) >= 4:
        _LOD_CACHE.pop(next(iter(_LOD_CACHE)))
    _LOD_CACHE[id(head)] = (head, lod, reduced)
    return lod, reduced


class LodEvaluator:
    """Deforms frames of a take at a level of detail, in batches: (take, frames) -> FrameResults
    whose splats carry outward normals (back faces culled when drawn) and their rows in the full
    cloud (``source_index``). Motion [N] is filled for the kept rows (0 elsewhere)."""

    def __init__(self, engine: Engine, keep: float | None = None):
        self.engine = engine
        self.lod, self.head = _lod_for(engine.head, keep)
        self._rest_k = self.lod.rest.means.detach().cpu().numpy().astype(np.float32)
        self.num_full = self.lod.num_full
        self._model_head = None     # the kept Gaussians at their own rest (the model decodes these only)
        self._model_driver = None   # a core.drive.ModelDriver on them; its cache outlives edits

    def _model_frames(self, take, idx: np.ndarray):
        """The model's frames at this level of detail: the model decodes the kept Gaussians only (at
        their full-cloud positions, so each gets the offsets it has in the full frame), then the
        level of detail's offsets are applied, as ``lod.apply_frames`` does for full frames. None
        when the model cannot run on a subset (a per-Gaussian code ties it to the whole cloud)."""
        import torch

        from core.drive import make_driver

        eng = self.engine
        model = eng.model
        if model is None or getattr(model.config, "gaussian_latent", 0):
            return None
        if self._model_head is None:
            sub = eng.head.cloud.subset(torch.as_tensor(self.lod.indices, device=eng.head.cloud.device))
            self._model_head = SimpleNamespace(cloud=sub, rig=None, fingerprint=None)
        audio = eng.audio_for(take)
        d = self._model_driver
        if d is None or d.model is not model:
            d = make_driver("model", self._model_head, take, model=model, audio=audio)
        else:
            d = d.retake(take, audio=audio, keep_audio=False)  # shares the cache while it still fits
        self._model_driver = d
        batch = d.frames(idx)
        add = torch.as_tensor(self.lod.log_scale_add, dtype=batch.log_scales.dtype)
        off = torch.as_tensor(self.lod.mean_offset, dtype=batch.means.dtype)
        return batch.means + off, batch.quats, batch.log_scales + add

    def _driver(self, take):
        eng = self.engine
        driver_for = getattr(eng, "driver_for", None)
        driver = driver_for(take) if driver_for is not None else (
            eng.export_driver(take) if eng.driver == "model" else eng.rig_driver(take))
        return driver

    def evaluate(self, take, frames, revision: int) -> list[FrameResult]:
        import torch

        from core.render.gl import GLSplats

        t0 = time.perf_counter()
        frames = [int(f) for f in frames]
        driver = self._driver(take)
        idx = np.asarray(frames, dtype=np.float64)
        with torch.no_grad():
            if getattr(driver, "name", None) == "rig" or type(driver).__name__ == "RigDriver":
                # Same take, audio and speech cache; the rig runs on the kept Gaussians only.
                fast = copy.copy(driver)
                fast.head = self.head
                batch = fast.frames(idx)
                means, quats, log_scales = batch.means, batch.quats, batch.log_scales
                name = "rig"
            else:
                reduced = self._model_frames(take, idx)
                if reduced is None:
                    batch = driver.frames(idx)
                    reduced = self.lod.apply_frames(batch.means, batch.quats, batch.log_scales)
                means, quats, log_scales = reduced
                name = "model"
            means = means.detach().cpu().numpy()
            quats = quats.detach().cpu().numpy()
            log_scales = log_scales.detach().cpu().numpy()
        attention = self.engine.attention_for(self.engine.attention_channel) if name == "model" else None
        per = (time.perf_counter() - t0) / max(len(frames), 1)
        out = []
        for t, f in enumerate(frames):
            t1 = time.perf_counter()
            cloud = self.lod.rest.replace(means=torch.from_numpy(means[t]), quats=torch.from_numpy(quats[t]),
                                          log_scales=torch.from_numpy(log_scales[t]))
            splats = GLSplats(cloud, normals=self.lod.normals, source_index=self.lod.indices)
            motion = np.zeros(self.num_full, np.float32)
            motion[self.lod.indices] = np.linalg.norm(means[t] - self._rest_k, axis=1)
            out.append(FrameResult(f, revision, splats, motion, attention, per + time.perf_counter() - t1, name))
        return out


class _Stream:
    """What the playback stream works on; shared by the GUI and the worker under ``lock``."""

    def __init__(self, take, revision: int, frame: int, loop: tuple[bool, int, int]):
        self.lock = threading.Lock()
        self.take, self.revision = take, int(revision)
        self.loop = loop
        self.wanted = int(frame)   # the frame being heard, as last asked for
        self.ring: dict[int, FrameResult] = {}
        self.made: set[int] = set()  # frames deformed or under way that the clock has not passed
        self.batch_s = 0.0         # seconds the last batch took
        self.step = 1.0            # frames the clock moves between two requests (running mean)

    def after(self, f: int) -> int | None:
        """The frame played after f (None past the take's end)."""
        on, first, last = self.loop
        if on and f >= last:
            return first
        f += 1
        return f if f < self.take.duration else None

    def upcoming(self, count: int) -> list[int]:
        """The wanted frame and the ones played after it, ``count`` at most (following the loop)."""
        out, f = [], self.wanted
        while f is not None and len(out) < count and f not in out:
            out.append(f)
            f = self.after(f)
        return out

    def forget_passed(self) -> int:
        """Drop what the clock has passed; returns how many ready frames were never shown."""
        keep = set(self.upcoming(STREAM_AHEAD + 1))
        passed = [f for f in self.ring if f not in keep]
        for f in passed:
            del self.ring[f]
        self.made &= keep
        return len(passed)

    def plan(self) -> list[int]:
        """The next batch to deform, claimed (empty when the ring is full enough). Call under lock.

        A frame that would be ready only after the clock reached it is not deformed at all: the
        batch starts about one batch's time ahead of the clock."""
        lead = min(int(math.ceil(self.batch_s * self.take.fps)) if self.batch_s else 0, STREAM_AHEAD)
        stride = self.stride()
        frames = [f for i, f in enumerate(self.upcoming(STREAM_AHEAD + 1))
                  if i >= lead and (i - lead) % stride == 0 and f not in self.made][:STREAM_BATCH]
        self.made.update(frames)
        return frames

    def stride(self) -> int:
        """Deform every n-th frame: n is how many frames the clock moves between two requests
        of the GUI (a GUI busy drawing cannot show more, so deforming them all only steals its CPU)."""
        return int(min(max(math.floor(self.step + 0.25), 1), STREAM_MAX_STRIDE))

    def steps_from(self, g: int, f: int, limit: int) -> int | None:
        """How many frames of play lead from g to f (None if more than ``limit``)."""
        for n in range(limit + 1):
            if g == f:
                return n
            g = self.after(g)
            if g is None:
                return None
        return None


#: Marks a level of detail that failed to build while idle (not retried until playback asks).
_NO_LOD = SimpleNamespace(engine=SimpleNamespace(head=None))


class _Loop(QThread):
    finished_frame = Signal(object)   # FrameResult, queued to the GUI thread
    finished_batch = Signal(object, object)   # (_Stream, [FrameResult]), queued to the GUI thread
    stream_failed = Signal(object)   # _Stream whose level of detail could not be made
    failed = Signal(int, str)   # frame, message

    def __init__(self, engine: Engine):
        super().__init__()
        self.setObjectName("deform-worker")
        self.engine = engine
        self._cond = threading.Condition()
        self._request = None
        self._stream: _Stream | None = None
        self._lod: LodEvaluator | None = None
        self._stop = False

    def submit(self, request) -> None:
        with self._cond:
            self._request = request  # replaces any request not started yet
            self._cond.notify()

    def set_stream(self, stream: _Stream | None) -> None:
        with self._cond:
            self._stream = stream
            self._cond.notify()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._request = None
            self._stream = None
            self._cond.notify()

    def pending(self) -> bool:
        with self._cond:
            return self._request is not None

    def lod_evaluator(self) -> LodEvaluator:
        lod = self._lod
        if lod is None or lod is _NO_LOD or lod.engine.head is not self.engine.head:
            lod = LodEvaluator(self.engine)
            self._lod = lod
        return lod

    def _next_job(self):
        """Wait for work: a single frame request first, else a stream batch. None: stop."""
        with self._cond:
            while True:
                if self._stop:
                    return None
                if self._request is not None:
                    req, self._request = self._request, None
                    return ("frame", req)
                s = self._stream
                if s is not None:
                    with s.lock:
                        frames = s.plan()
                    if frames:
                        return ("batch", (s, s.take, s.revision, frames))
                elif self._lod is None or (self._lod is not _NO_LOD and self._lod.engine.head is not self.engine.head):
                    return ("lod", None)  # idle: get the level of detail ready for playback
                self._cond.wait(0.05)

    def run(self) -> None:
        while True:
            job = self._next_job()
            if job is None:
                return
            kind, payload = job
            if kind == "lod":
                try:
                    self.lod_evaluator()
                except Exception:  # playback will report it when it needs the LOD
                    traceback.print_exc()
                    self._lod = _NO_LOD
                continue
            if kind == "frame":
                take, frame, revision = payload
                try:
                    result = self.engine.evaluate(take, frame, revision)
                except Exception as exc:  # reported to the GUI, the worker lives on
                    traceback.print_exc()
                    self.failed.emit(int(frame), f"{type(exc).__name__}: {exc}")
                    continue
                self.finished_frame.emit(result)
                continue
            stream, take, revision, frames = payload
            t0 = time.perf_counter()
            try:
                results = self.lod_evaluator().evaluate(take, frames, revision)
            except Exception:
                # No level of detail for this head or driver: playback goes on with full-quality
                # single frames (whose own failures are reported as usual).
                traceback.print_exc()
                with self._cond:
                    if self._stream is stream:
                        self._stream = None
                self.stream_failed.emit(stream)
                continue
            with stream.lock:
                stream.batch_s = time.perf_counter() - t0
            self.finished_batch.emit(stream, results)


class DeformWorker(QObject):
    """Owns the worker thread. ``request(take, frame, revision)``; ``frame_ready(FrameResult)`` is
    delivered on the GUI thread for the newest revision only; ``cancel()`` drops what is queued.

    While a stream runs (``start_stream``), ``request`` is served from the ring of frames deformed
    ahead (level of detail); ``stop_stream`` asks for the frame on screen at full quality."""

    frame_ready = Signal(object)
    failed = Signal(int, str)

    def __init__(self, engine: Engine, parent=None):
        super().__init__(parent)
        self.engine = engine
        self._loop = _Loop(engine)
        self._loop.finished_frame.connect(self._on_finished)
        self._loop.finished_batch.connect(self._on_batch)
        self._loop.stream_failed.connect(self._on_stream_failed)
        self._loop.failed.connect(self.failed)
        self._revision = -1
        self._stream: _Stream | None = None
        self.busy = False
        self.dropped = 0
        self.stream_disabled = False  # set when the level of detail cannot be made for this head
        self.stream_shown = 0      # frames handed over from the ring while playing
        self.stream_skipped = 0    # frames deformed ahead that the clock had passed when ready
        self._loop.start()

    # -- single frames
    def request(self, take, frame: int, revision: int) -> None:
        self._revision = max(self._revision, int(revision))
        s = self._stream
        if s is not None:
            if s.take is not take or s.revision != int(revision):
                self.start_stream(take, frame, revision, s.loop)  # an edit while playing
                s = self._stream
            self._want(s, int(frame))
            return
        if self._loop.pending():
            self.dropped += 1
        self.busy = True
        self._loop.submit((take, int(frame), int(revision)))

    def cancel(self) -> None:
        with self._loop._cond:
            self._loop._request = None

    def is_current(self, result: FrameResult) -> bool:
        return result.revision >= self._revision

    def _on_finished(self, result: FrameResult) -> None:
        self.busy = self._loop.pending()
        if self.is_current(result):
            self.frame_ready.emit(result)

    # -- the playback stream
    @property
    def streaming(self) -> bool:
        return self._stream is not None

    def prepare_stream(self) -> None:
        """Build the level of detail now (about 0.2 s, on this thread) instead of at the first
        playback."""
        self._loop.lod_evaluator()

    def start_stream(self, take, frame: int, revision: int, loop: tuple[bool, int, int] = (False, 0, 0)) -> None:
        """Playback starts at ``frame``: deform frames ahead of the clock (level of detail)."""
        self._revision = max(self._revision, int(revision))
        if self.stream_disabled:
            return  # the level of detail failed before: playback uses full-quality frames
        self.cancel()
        self._stream = _Stream(take, revision, frame, tuple(loop))
        self._loop.set_stream(self._stream)

    def set_stream_loop(self, loop: tuple[bool, int, int]) -> None:
        s = self._stream
        if s is not None:
            with s.lock:
                s.loop = tuple(loop)
                s.ring.clear()
                s.made.clear()
            self._loop.wake()

    def stop_stream(self) -> None:
        """Playback stopped: no more frames ahead; the frame on screen comes again at full quality."""
        s, self._stream = self._stream, None
        self._loop.set_stream(None)
        if s is not None:
            self.busy = True
            self._loop.submit((s.take, s.wanted, s.revision))

    def _want(self, s: _Stream, frame: int) -> None:
        with s.lock:
            moved = s.steps_from(s.wanted, frame, STREAM_AHEAD)
            if moved:
                s.step = 0.7 * s.step + 0.3 * moved
            result = s.ring.pop(frame, None)
            if result is None:
                # Deforming every n-th frame: the newest ready frame the clock passed less than
                # a stride ago stands in (never one ahead of the sound).
                near = [(n, g) for g in s.ring for n in [s.steps_from(g, frame, s.stride() - 1)] if n]
                if near:
                    result = s.ring.pop(min(near)[1])
            if result is not None:
                # Shown: it may be wanted again (a loop shorter than the look-ahead never "passes" it).
                s.made.discard(result.frame)
            s.wanted = frame
            self.stream_skipped += s.forget_passed()  # what the clock has passed is of no use
        self._loop.wake()
        if result is not None:
            self.stream_shown += 1
            self.frame_ready.emit(result)

    def _on_batch(self, stream: _Stream, results: list[FrameResult]) -> None:
        if stream is not self._stream:
            return  # playback stopped or restarted meanwhile
        with stream.lock:
            wanted = stream.wanted
            upcoming = set(stream.upcoming(STREAM_AHEAD + 1))
            show = None
            for r in results:
                if r.frame == wanted:
                    show = r
                    stream.made.discard(r.frame)  # shown now: a short loop will want it again
                elif r.frame in upcoming:
                    stream.ring[r.frame] = r
                else:
                    self.stream_skipped += 1  # the clock passed it while it was deformed
        if show is not None and self.is_current(show):
            self.stream_shown += 1
            self.frame_ready.emit(show)

    def _on_stream_failed(self, stream: _Stream) -> None:
        if stream is not self._stream:
            return
        self._stream = None
        self.stream_disabled = True
        self.busy = True
        self._loop.submit((stream.take, stream.wanted, stream.revision))

    def shutdown(self) -> None:
        self._loop.stop()
        self._loop.wait(10000)

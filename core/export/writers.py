"""Output writers. Each one stages its output next to the target and only moves it into place in
``commit()``; ``abort()`` removes every trace, so a cancelled or failed export leaves nothing.

    writer.open(); writer.write(k, item) for k = 0..F-1 in order; writer.commit() | writer.abort()
"""
from __future__ import annotations

import os
import shutil
import uuid
from fractions import Fraction
from pathlib import Path

import numpy as np

from core.export.options import ExportError

#: Sample rates the AAC encoder accepts; any other rate is resampled to 48 kHz.
AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)
AAC_FRAME = 1024


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # some platforms cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _stage_name(target: Path, suffix: str = "") -> Path:
    return target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}.part{suffix}"


def audio_segment(samples: np.ndarray, rate: int, start_s: float, duration_s: float) -> np.ndarray:
    """The audio under [start_s, start_s + duration_s) of the timeline: float32 [S, C] with
    S = round(duration_s * rate); silence where the clip does not reach (before 0 or after its end)."""
    samples = np.asarray(samples, dtype=np.float32)
    n = int(round(duration_s * rate))
    out = np.zeros((n, samples.shape[1]), np.float32)
    first = int(round(start_s * rate))
    lo, hi = max(first, 0), min(first + n, samples.shape[0])
    if hi > lo:
        out[lo - first:hi - first] = samples[lo:hi]
    return out


class Mp4Writer:
    """H.264 yuv420p video (+ AAC audio) with PyAV. Frames: uint8 RGB [H, W, 3], H and W even.

    audio: float32 [S, C] already trimmed to the exported range, at ``audio_rate`` (any rate and
    channel count; it is resampled to what the AAC encoder takes)."""

    def __init__(self, path, width: int, height: int, fps: float, crf: int = 18, preset: str = "medium",
                 audio: np.ndarray | None = None, audio_rate: int | None = None):
        if width % 2 or height % 2:
            raise ExportError(f"{path}: H.264 yuv420p needs an even size, got {width}x{height}")
        if not 0 <= int(crf) <= 51:
            raise ExportError(f"{path}: crf must be within 0..51, got {crf}")
        self.path = Path(path)
        self.width, self.height = int(width), int(height)
        self.rate = Fraction(fps).limit_denominator(1001)
        self.crf, self.preset = int(crf), preset
        self.audio, self.audio_rate = audio, audio_rate
        self._tmp: Path | None = None
        self._container = None
        self._video = None

    def open(self) -> None:
        import av

        tmp = _stage_name(self.path, ".mp4")
        try:
            # FFmpeg opens the file lazily; creating it here turns a bad folder into a clear error now.
            with open(tmp, "xb"):
                pass
        except OSError as exc:
            raise ExportError(f"{self.path}: cannot write here: {exc}") from exc
        self._tmp = tmp
        try:
            self._container = av.open(str(tmp), mode="w", format="mp4")
        except (OSError, av.FFmpegError) as exc:
            self.abort()
            raise ExportError(f"{self.path}: cannot write here: {exc}") from exc
        try:
            v = self._container.add_stream("libx264", rate=self.rate)
            v.width, v.height, v.pix_fmt = self.width, self.height, "yuv420p"
            v.options = {"crf": str(self.crf), "preset": self.preset}
            self._video = v
            if self.audio is not None and len(self.audio):
                self._write_audio()
        except Exception:
            self.abort()
            raise

    def _write_audio(self) -> None:
        import av

        samples = np.asarray(self.audio, dtype=np.float32)
        if samples.shape[1] > 2:  # AAC in MP4 here: mono or stereo; fold surround down
            samples = samples.mean(axis=1, keepdims=True)
        layout = "mono" if samples.shape[1] == 1 else "stereo"
        rate = self.audio_rate if self.audio_rate in AAC_RATES else 48000
        a = self._container.add_stream("aac", rate=rate, layout=layout)
        a.bit_rate = 128_000 * samples.shape[1]
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples.reshape(1, -1)), format="flt", layout=layout)
        frame.sample_rate = int(self.audio_rate)
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate, frame_size=AAC_FRAME)
        pts = 0
        for out in list(resampler.resample(frame)) + list(resampler.resample(None)):
            out.pts = pts
            pts += out.samples
            self._container.mux(a.encode(out))
        self._container.mux(a.encode(None))

    def write(self, index: int, rgb: np.ndarray) -> None:
        import av

        if rgb.shape != (self.height, self.width, 3) or rgb.dtype != np.uint8:
            raise ExportError(f"{self.path}: frame {index} is {rgb.shape} {rgb.dtype}, "
                              f"expected ({self.height}, {self.width}, 3) uint8")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = index
        frame.time_base = 1 / self.rate
        self._container.mux(self._video.encode(frame))

    def commit(self) -> Path:
        try:
            self._container.mux(self._video.encode(None))
            self._container.close()
            self._container = None
            with open(self._tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(self._tmp, self.path)
        except Exception as exc:
            self.abort()
            raise ExportError(f"{self.path}: finishing the video failed: {exc}") from exc
        self._tmp = None
        _fsync_dir(self.path.parent)
        return self.path

    def abort(self) -> None:
        if self._container is not None:
            try:
                self._container.close()
            except Exception:  # the file is being thrown away; a half-flushed close does not matter
                pass
            self._container = None
        if self._tmp is not None:
            try:
                os.unlink(self._tmp)
            except OSError:  # never created, or already gone
                pass
            self._tmp = None


class SequenceWriter:
    """Numbered files ``<stem>_00000<ext>`` staged in a hidden directory beside the target.

    target 'shots/take.png' (a file name): the files land as shots/take_00000.png ...;
    target 'shots/take' (a directory): the directory is created holding frame_00000.png ...
    ``save(item, path)`` writes one file."""

    def __init__(self, path, ext: str, save, directory: bool | None = None):
        self.path = Path(path)
        self.ext = ext
        self.save = save
        self.directory = self.path.suffix.lower() != ext if directory is None else directory
        self.stem = "frame" if self.directory else self.path.stem
        self.final_dir = self.path if self.directory else self.path.parent
        self._stage: Path | None = None
        self.names: list[str] = []

    def open(self) -> None:
        if self.directory and self.path.exists() and not self.path.is_dir():
            raise ExportError(f"{self.path}: exists and is not a directory")
        stage = _stage_name(self.path)
        try:
            stage.mkdir()
        except OSError as exc:
            raise ExportError(f"{self.path}: cannot write here: {exc}") from exc
        self._stage = stage

    def write(self, index: int, item) -> None:
        name = f"{self.stem}_{index:05d}{self.ext}"
        try:
            self.save(item, self._stage / name)
        except OSError as exc:
            raise ExportError(f"{self.path}: writing {name} failed: {exc}") from exc
        self.names.append(name)

    def commit(self) -> Path:
        try:
            for name in self.names:
                with open(self._stage / name, "rb+") as f:
                    os.fsync(f.fileno())
            if self.directory and not self.path.exists():
                os.rename(self._stage, self.path)
            else:
                self.final_dir.mkdir(parents=True, exist_ok=True)
                for name in self.names:
                    os.replace(self._stage / name, self.final_dir / name)
                self._stage.rmdir()
        except OSError as exc:
            self.abort()
            raise ExportError(f"{self.path}: moving the sequence into place failed: {exc}") from exc
        self._stage = None
        _fsync_dir(self.final_dir.parent if self.directory else self.final_dir)
        return self.path

    @property
    def files(self) -> tuple[Path, ...]:
        return tuple(self.final_dir / n for n in self.names)

    def abort(self) -> None:
        if self._stage is not None:
            shutil.rmtree(self._stage, ignore_errors=True)
            self._stage = None

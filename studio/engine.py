"""Frame evaluation for the studio: (take, frame) -> a deformed cloud packed for the viewport.

The head is core.head.default_head(); the drivers are the analytic rig (core.drive.RigDriver, with
the speech controls computed once from the take's audio) and, when a checkpoint for this head is
loaded, the neural EmoZone model (core.model.inference.DeformationCache over the take's audio).

Everything here may run on a worker thread; nothing touches Qt.
"""
from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

DRIVERS = ("rig", "model")
DRIVER_LABELS = {"rig": "Analytic rig", "model": "Neural EmoZone model"}
ROOT = Path(__file__).resolve().parents[1]
#: The checkpoint the studio offers for the default head when it is present.
DEFAULT_CHECKPOINT = ROOT / "assets" / "models" / "emozone_default.safetensors"


@dataclasses.dataclass
class FrameResult:
    """One evaluated frame. splats: core.render.gl.GLSplats; motion [N] float32 distance of each
    Gaussian from its rest position; attention [N] float32 (the model's attention weight factor
    exp(bias) of every Gaussian for the current AU channel's token) or None when the driver has none."""

    frame: int
    revision: int
    splats: Any
    motion: np.ndarray
    attention: np.ndarray | None
    seconds: float = 0.0
    driver: str = "rig"


class Engine:
    """Holds the rest head, the take's audio and the drivers; evaluates frames of a take.

    head: a core.head.Head (default_head() when None); checkpoint: an EmoZone model checkpoint to
    load now (DEFAULT_CHECKPOINT when present; None: no model). A checkpoint that cannot be loaded
    leaves the model driver off, with the reason in ``model_error``.
    """

    def __init__(self, head=None, checkpoint: str | Path | None | bool = True):
        import torch

        from core.head import default_head

        self.notes: list[str] = []
        self.head = head if head is not None else default_head()
        self.rest = self.head.cloud
        with torch.no_grad():
            self.rest_means = self.rest.means.detach().cpu().numpy().astype(np.float32)
            z = self.rest.attributes.get("zones")
            self.zones = None if z is None else z.detach().cpu().float().numpy()
            lo, hi = self.rest.bounds()
            self.bounds = (lo.cpu().numpy(), hi.cpu().numpy())
        self.driver = "rig"
        self.clip = None
        self.attention_channel = "AU12"
        self._lock = threading.Lock()
        self._speech: dict[tuple, np.ndarray] = {}
        self._model = None
        self._model_path: Path | None = None
        self._model_bias: np.ndarray | None = None   # [N, J] per-Gaussian bias, J tokens
        self._model_tokens: tuple[str, ...] = ()
        self._model_cache = None
        self._model_cache_key: tuple | None = None
        self.model_error: str | None = None
        if checkpoint is True:
            checkpoint = DEFAULT_CHECKPOINT if DEFAULT_CHECKPOINT.exists() else None
        if checkpoint:
            try:
                self.load_model(checkpoint)
            except ValueError as exc:
                self.model_error = str(exc)

    # -- audio
    def set_audio(self, clip) -> None:
        """The take's core.audio.AudioClip (None: the take is silent). Speech controls and model
        audio features are computed from it once, on first use."""
        with self._lock:
            if clip is not self.clip:
                self.clip = clip
                self._speech.clear()
                self._model_cache = None
                self._model_cache_key = None

    def _speech_source(self, fps: float, num_frames: int) -> np.ndarray:
        """core.drive speech source over the current clip, cached per (clip, fps, frames):
        a RigDriver is made per edit, the audio is analysed only once."""
        from core.audio.speech_driver import speech_controls

        clip = self.clip
        key = (id(clip), float(fps), int(num_frames))
        with self._lock:
            hit = self._speech.get(key)
        if hit is None:
            hit = np.asarray(speech_controls(clip.analysis(), fps, num_frames))
            with self._lock:
                if clip is self.clip:
                    self._speech[key] = hit
        return hit

    # -- drivers
    def load_model(self, path: str | Path) -> None:
        """Load an EmoZone checkpoint for this head. Raises CheckpointError (a ValueError) naming
        the file when it is corrupt or was trained for another head; the current model stays."""
        import torch

        from core.model.checkpoint import CheckpointError, load_checkpoint
        from core.model.deform import cloud_memberships

        path = Path(path)
        try:
            model, _config, _meta = load_checkpoint(path, self.head.fingerprint())
        except CheckpointError:
            raise
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise CheckpointError(f"{path}: cannot read the checkpoint ({exc})") from None
        model.eval()
        bias, tokens = None, ()
        attention = getattr(model, "attention", None)
        if attention is not None:
            with torch.no_grad():
                b = attention.gaussian_bias(cloud_memberships(self.rest))
            if b is not None:
                bias, tokens = b.detach().cpu().float().numpy(), tuple(attention.names)
        with self._lock:
            self._model, self._model_path = model, path
            self._model_bias, self._model_tokens = bias, tokens
            self._model_cache = None
            self._model_cache_key = None
        self.model_error = None

    def available_drivers(self) -> dict[str, str | None]:
        """driver name -> None when usable, else the reason it is not."""
        if self._model is not None:
            reason = None
        elif self.model_error:
            reason = f"the checkpoint could not be loaded: {self.model_error}"
        else:
            reason = f"no trained checkpoint for this head ({DEFAULT_CHECKPOINT.name} is missing)"
        return {"rig": None, "model": reason}

    def set_driver(self, name: str) -> None:
        if name not in DRIVERS:
            raise ValueError(f"unknown driver {name!r}; choose one of {', '.join(DRIVERS)}")
        reason = self.available_drivers().get(name)
        if reason:
            raise ValueError(f"{DRIVER_LABELS[name]} is not available: {reason}")
        self.driver = name

    def attention_for(self, channel: str) -> np.ndarray | None:
        """exp(bias) [N] of every Gaussian towards ``channel``'s token (None without a model or
        when the model has no such token, e.g. speech channels or the MLP AU encoder)."""
        if self._model_bias is None or channel not in self._model_tokens:
            return None
        return np.exp(self._model_bias[:, self._model_tokens.index(channel)]).astype(np.float32)

    # -- evaluation
    def rig_driver(self, take):
        """A core.drive.RigDriver on this head and take, fed the cached speech of the take's audio."""
        from core.drive import RigDriver

        source = self._speech_source if (self.clip is not None and take.audio is not None) else None
        if source is None:
            return RigDriver(self.head, take, speech_source=lambda fps, n: np.zeros((n, 4)))
        return RigDriver(self.head, take, speech_source=source)

    def export_driver(self, take):
        """A core.drive Driver for exporting ``take`` with the current driver (the model gets its
        own DeformationCache: the viewport's is used by the worker thread)."""
        if self.driver == "model" and self._model is not None:
            return _ModelDriver(self, take)
        return self.rig_driver(take)

    def controls(self, take, frame: int) -> tuple[np.ndarray, np.ndarray]:
        """AU intensities [17] and speech controls [4] of the take at one frame, as the rig gets them."""
        au, speech = self.rig_driver(take).controls(np.array([float(frame)]))
        return au[0], speech[0]

    def model_cache(self, take):
        """A new core.model.inference.DeformationCache for the take's audio and the loaded model."""
        import torch

        from core.audio.features import log_mel, mel_windows
        from core.model.inference import DeformationCache

        model = self._model
        if self.clip is not None and take.audio is not None:
            mono = self.clip.analysis()
        else:
            from core.audio.decode import ANALYSIS_RATE

            mono = np.zeros(int(np.ceil(take.duration / take.fps * ANALYSIS_RATE)) + 1, np.float32)
        features = mel_windows(log_mel(mono), take.fps, take.duration, model.config.audio_window)
        return DeformationCache(model, self.rest, torch.as_tensor(features))

    def _model_cloud(self, take, frame: int):
        import torch

        key = (id(self._model), id(self.clip), float(take.fps), int(take.duration))
        cache = self._model_cache
        if cache is None or self._model_cache_key != key:
            cache = self.model_cache(take)
            self._model_cache, self._model_cache_key = cache, key
        au = take.evaluate_au(np.arange(take.duration, dtype=np.float64))
        return cache.cloud_at(int(frame), torch.as_tensor(au, dtype=torch.float32))

    def cloud(self, take, frame: int):
        """The deformed GaussianCloud of one frame with the current driver."""
        if self.driver == "model" and self._model is not None:
            return self._model_cloud(take, frame)
        return self.rig_driver(take).cloud(float(frame))

    def evaluate(self, take, frame: int, revision: int = 0) -> FrameResult:
        import torch

        from core.render.gl import GLSplats

        t0 = time.perf_counter()
        driver = self.driver if self._model is not None else "rig"
        with torch.no_grad():
            cloud = self.cloud(take, frame)
            splats = GLSplats(cloud)
        motion = np.linalg.norm(splats.means - self.rest_means, axis=1).astype(np.float32)
        attention = self.attention_for(self.attention_channel) if driver == "model" else None
        return FrameResult(int(frame), revision, splats, motion, attention, time.perf_counter() - t0, driver)



@dataclasses.dataclass
class _ModelBatch:
    """Frames decoded by the model: means [T, N, 3], quats [T, N, 4], log_scales [T, N, 3]."""

    rest: Any
    means: Any
    quats: Any
    log_scales: Any

    def cloud(self, t: int):
        return self.rest.replace(means=self.means[t], quats=self.quats[t], log_scales=self.log_scales[t])


class _ModelDriver:
    """core.drive.Driver over the EmoZone model. The model decodes whole take frames, so a
    fractional frame (an export at another rate) takes the nearest one."""

    def __init__(self, engine: Engine, take):
        self.engine, self.take, self.fps = engine, take, float(take.fps)
        self._cache = None

    def frames(self, frame_indices: np.ndarray) -> _ModelBatch:
        import torch

        if self._cache is None:
            self._cache = self.engine.model_cache(self.take)
        idx = np.clip(np.rint(np.asarray(frame_indices, dtype=np.float64)), 0, self.take.duration - 1)
        au = self.take.evaluate_au(np.arange(self.take.duration, dtype=np.float64))
        with torch.no_grad():
            r = self._cache.frames([int(i) for i in idx], torch.as_tensor(au, dtype=torch.float32))
        return _ModelBatch(self.engine.rest, r.means, r.quats, r.log_scales)

    def cloud(self, frame: float):
        return self.frames(np.array([frame])).cloud(0)

"""Frame evaluation for the studio: (take, frame) -> a deformed cloud packed for the viewport.

The head is core.head.default_head(); the drivers are core.drive's (make_driver's 'rig' and 'model':
the studio adds none of its own). The Engine holds what outlives one edit: the rest head, the take's
decoded audio, the loaded EmoZone model and the model driver's deformation cache, which an edit keeps
(ModelDriver.retake) so only the frames it changes are decoded again. Speech controls come from
core.drive.SPEECH_CACHE, the one cache the viewport and exports share.

Everything here may run on a worker thread; nothing touches Qt.
"""
from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from core.drive import DRIVERS as _DRIVER_TABLE
from core.model.checkpoint import DEFAULT_CHECKPOINT

#: Driver names in menu order and their labels: core.drive.DRIVERS, the one table.
DRIVERS = tuple(_DRIVER_TABLE)
DRIVER_LABELS = dict(_DRIVER_TABLE)

__all__ = ["DEFAULT_CHECKPOINT", "DRIVERS", "DRIVER_LABELS", "Engine", "FrameResult"]


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
    leaves the model driver off, with the reason in ``model_error``. driver: the driver to start
    with; None: the EmoZone model when a checkpoint loaded (it meets the shipped model's numbers,
    docs/RESULTS.md), else the analytic rig.
    """

    def __init__(self, head=None, checkpoint: str | Path | None | bool = True, driver: str | None = None):
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
        self._model = None
        self._model_path = None
        self._model_bias: np.ndarray | None = None   # [N, J] per-Gaussian bias, J tokens
        self._model_tokens: tuple[str, ...] = ()
        self._model_driver = None   # the viewport's core.drive.ModelDriver (its cache outlives edits)
        self.model_error: str | None = None
        if checkpoint is True:
            checkpoint = DEFAULT_CHECKPOINT if DEFAULT_CHECKPOINT.exists() else None
        if checkpoint:
            try:
                self.load_model(checkpoint)
            except ValueError as exc:
                self.model_error = str(exc)
        if driver is None:
            driver = "model" if self._model is not None else "rig"
        self.set_driver(driver)

    # -- audio
    def set_audio(self, clip) -> None:
        """The take's core.audio.AudioClip (None: the take is silent). Speech controls and model
        audio features are computed from it once, on first use."""
        with self._lock:
            if clip is not self.clip:
                self.clip = clip
                self._model_driver = None

    @property
    def model(self):
        """The loaded EmoZone model (None without one)."""
        return self._model

    @property
    def model_path(self) -> Path | None:
        """The file the loaded model came from (None without one)."""
        return self._model_path

    def audio_for(self, take):
        """The clip the drivers hear for ``take`` (None: silence); see _audio_for."""
        return self._audio_for(take)

    def _audio_for(self, take):
        """What the drivers hear: the studio's decoded clip, or None (silence) when the take has no
        audio or it could not be loaded (the window reports that; the drivers never load it again)."""
        return self.clip if (self.clip is not None and take.audio is not None) else None

    # -- drivers
    def load_model(self, path) -> None:
        """Load an EmoZone checkpoint for this head. Raises CheckpointError (a ValueError) naming
        the file when it is corrupt or was trained for another head; the current model stays."""
        from core.model.checkpoint import load_for_head
        from core.model.inference import attention_bias

        path = Path(path)
        model = load_for_head(path, self.head)
        bias, tokens = attention_bias(model, self.rest)
        with self._lock:
            self._model, self._model_path = model, path
            self._model_bias, self._model_tokens = bias, tokens
            self._model_driver = None
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
        """A core.drive.RigDriver on this head and take, fed the studio's audio clip (speech from
        core.drive.SPEECH_CACHE)."""
        from core.drive import make_driver

        return make_driver("rig", self.head, take, audio=self._audio_for(take))

    def model_driver(self, take):
        """The viewport's core.drive.ModelDriver for ``take``: the same deformation cache across
        edits of one take (ModelDriver.retake), a new one when the audio, fps or length change."""
        from core.drive import make_driver

        with self._lock:
            model, current, audio = self._model, self._model_driver, self._audio_for(take)
        if model is None:
            raise ValueError(f"{DRIVER_LABELS['model']} is not available: no checkpoint is loaded")
        if current is not None and current.model is model:
            driver = current.retake(take, audio=audio, keep_audio=False)  # shares the cache if it still fits
        else:
            driver = make_driver("model", self.head, take, model=model, audio=audio)
        with self._lock:
            if self._model is model:
                self._model_driver = driver
        return driver

    def driver_for(self, take):
        """The core.drive Driver the viewport shows ``take`` with (the current driver)."""
        if self.driver == "model" and self._model is not None:
            return self.model_driver(take)
        return self.rig_driver(take)

    def export_driver(self, take):
        """A core.drive Driver for exporting ``take`` with the current driver (the model gets its
        own deformation cache: the viewport's is used by the worker thread)."""
        from core.drive import make_driver

        if self.driver == "model" and self._model is not None:
            return make_driver("model", self.head, take, model=self._model, audio=self._audio_for(take))
        return self.rig_driver(take)

    def controls(self, take, frame: int) -> tuple[np.ndarray, np.ndarray]:
        """AU intensities [17] and speech controls [4] of the take at one frame, as the rig gets them."""
        au, speech = self.rig_driver(take).controls(np.array([float(frame)]))
        return au[0], speech[0]

    def audio_speech(self, take, channel: str) -> np.ndarray | None:
        """What the audio drives on speech control ``channel`` at every frame of the take [duration]
        (from core.drive.SPEECH_CACHE, as the rig gets it with the override off); None when the take
        has no audio the studio could load."""
        from core.anim.take import SpeechDrive
        from core.aus import SPEECH_NAMES

        if self._audio_for(take) is None:
            return None
        audio_take = take.with_speech(channel, SpeechDrive(driven_by_audio=True, override=False))
        frames = np.arange(take.duration, dtype=np.float64)
        _au, speech = self.rig_driver(audio_take).controls(frames)
        return speech[:, SPEECH_NAMES.index(channel)]

    def cloud(self, take, frame: int):
        """The deformed GaussianCloud of one frame with the current driver."""
        return self.driver_for(take).cloud(float(frame))

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

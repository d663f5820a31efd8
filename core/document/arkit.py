"""Export a take as ARKit-52 blendshape curves in a Live Link Face style CSV.

The AU-to-ARKit mapping is approximate (AUS.md) and written out as ``AU_TO_ARKIT`` here and as a
table in docs/TAKE_FORMAT.md. ARKit weights are 0..1; AU intensities 0..5 map linearly.
"""
from __future__ import annotations

import io
import os

import numpy as np

from core.anim.take import Take
from core.aus import AU_INDEX, AU_MAX, SPEECH_INDEX, SPEECH_NAMES
from core.fileio import atomic_open

#: Apple's ARKit blendshape order, as Live Link Face writes its columns.
ARKIT_NAMES: tuple[str, ...] = (
    "EyeBlinkLeft", "EyeLookDownLeft", "EyeLookInLeft", "EyeLookOutLeft", "EyeLookUpLeft", "EyeSquintLeft",
    "EyeWideLeft", "EyeBlinkRight", "EyeLookDownRight", "EyeLookInRight", "EyeLookOutRight", "EyeLookUpRight",
    "EyeSquintRight", "EyeWideRight", "JawForward", "JawRight", "JawLeft", "JawOpen", "MouthClose",
    "MouthFunnel", "MouthPucker", "MouthRight", "MouthLeft", "MouthSmileLeft", "MouthSmileRight",
    "MouthFrownLeft", "MouthFrownRight", "MouthDimpleLeft", "MouthDimpleRight", "MouthStretchLeft",
    "MouthStretchRight", "MouthRollLower", "MouthRollUpper", "MouthShrugLower", "MouthShrugUpper",
    "MouthPressLeft", "MouthPressRight", "MouthLowerDownLeft", "MouthLowerDownRight", "MouthUpperUpLeft",
    "MouthUpperUpRight", "BrowDownLeft", "BrowDownRight", "BrowInnerUp", "BrowOuterUpLeft", "BrowOuterUpRight",
    "CheekPuff", "CheekSquintLeft", "CheekSquintRight", "NoseSneerLeft", "NoseSneerRight", "TongueOut",
)
ARKIT_INDEX = {n: i for i, n in enumerate(ARKIT_NAMES)}
#: Rotation columns Live Link Face appends after the 52 shapes (radians-normalised -1..1).
ROTATION_NAMES: tuple[str, ...] = (
    "HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
    "RightEyeYaw", "RightEyePitch", "RightEyeRoll",
)

#: AU -> ARKit shapes it drives (weight = AU / 5). AU25 is handled apart (see ``arkit_weights``).
AU_TO_ARKIT: dict[str, tuple[str, ...]] = {
    "AU01": ("BrowInnerUp",),
    "AU02": ("BrowOuterUpLeft", "BrowOuterUpRight"),
    "AU04": ("BrowDownLeft", "BrowDownRight"),
    "AU05": ("EyeWideLeft", "EyeWideRight"),
    "AU06": ("CheekSquintLeft", "CheekSquintRight"),
    "AU07": ("EyeSquintLeft", "EyeSquintRight"),
    "AU09": ("NoseSneerLeft", "NoseSneerRight"),
    "AU10": ("MouthUpperUpLeft", "MouthUpperUpRight"),
    "AU12": ("MouthSmileLeft", "MouthSmileRight"),
    "AU14": ("MouthDimpleLeft", "MouthDimpleRight"),
    "AU15": ("MouthFrownLeft", "MouthFrownRight"),
    "AU17": ("MouthShrugLower",),
    "AU20": ("MouthStretchLeft", "MouthStretchRight"),
    "AU23": ("MouthPressLeft", "MouthPressRight"),
    "AU26": ("JawOpen",),
    "AU45": ("EyeBlinkLeft", "EyeBlinkRight"),
}
#: Speech control -> ARKit shapes (weight = control, 0..1), combined with the AU weights by max.
SPEECH_TO_ARKIT: dict[str, tuple[str, ...]] = {
    "jaw_open": ("JawOpen",),
    "lip_round": ("MouthPucker", "MouthFunnel"),
    "lip_close": ("MouthPressLeft", "MouthPressRight"),
    "lip_stretch": ("MouthStretchLeft", "MouthStretchRight"),
}


def arkit_weights(au: np.ndarray, speech: np.ndarray | None = None) -> np.ndarray:
    """au [F, 17] intensities 0..5 (+ speech [F, 4] 0..1) -> ARKit weights [F, 52] in 0..1.

    ARKit's MouthClose is a corrective that holds the lips together while the jaw opens, so
    lips part (AU25) maps to its complement: MouthClose = JawOpen * (1 - AU25 / 5)."""
    au = np.clip(np.asarray(au, dtype=np.float64) / AU_MAX, 0.0, 1.0)
    out = np.zeros(au.shape[:-1] + (len(ARKIT_NAMES),))
    for name, shapes in AU_TO_ARKIT.items():
        for s in shapes:
            out[..., ARKIT_INDEX[s]] = np.maximum(out[..., ARKIT_INDEX[s]], au[..., AU_INDEX[name]])
    if speech is not None:
        speech = np.clip(np.asarray(speech, dtype=np.float64), 0.0, 1.0)
        for name, shapes in SPEECH_TO_ARKIT.items():
            for s in shapes:
                out[..., ARKIT_INDEX[s]] = np.maximum(out[..., ARKIT_INDEX[s]], speech[..., SPEECH_INDEX[name]])
    jaw = out[..., ARKIT_INDEX["JawOpen"]]
    out[..., ARKIT_INDEX["MouthClose"]] = jaw * (1.0 - au[..., AU_INDEX["AU25"]])
    return out


def timecode(frame: int, fps: float) -> str:
    """Live Link Face timecode HH:MM:SS:FF.mmm (frame within the second, then sub-frame)."""
    rate = max(int(round(fps)), 1)
    whole = int(frame)
    ff = whole % rate
    secs = whole // rate
    return f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}:{ff:02d}.000"


def export_arkit_csv(take: Take, path: str | os.PathLike, audio_speech: np.ndarray | None = None,
                     chunk: int = 4096) -> None:
    """Write every frame of ``take`` as a Live Link Face CSV, atomically (core.fileio.atomic_open),
    evaluating and writing ``chunk`` frames at a time (memory: one chunk, whatever the take's
    length). audio_speech: the audio model's speech controls for the take's frames [duration, 4]
    (None: curves only)."""
    if audio_speech is not None:
        audio_speech = np.asarray(audio_speech, dtype=np.float64)
        if audio_speech.shape != (take.duration, len(SPEECH_NAMES)):
            raise ValueError(f"export_arkit_csv: audio_speech must be [{take.duration}, {len(SPEECH_NAMES)}], "
                             f"got {audio_speech.shape}")
    if chunk < 1:
        raise ValueError(f"export_arkit_csv: chunk must be at least 1, got {chunk}")
    with atomic_open(path) as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
        try:
            out.write(arkit_header())
            for a in range(0, take.duration, chunk):
                frames = np.arange(a, min(a + chunk, take.duration), dtype=np.float64)
                audio = None if audio_speech is None else audio_speech[a:a + len(frames)]
                out.write(arkit_rows(take.evaluate_au(frames), take.evaluate_speech(frames, audio), take.fps, a))
            out.flush()
        finally:
            out.detach()  # atomic_open closes and renames the file


def arkit_header() -> str:
    return ",".join(("Timecode", "BlendShapeCount") + ARKIT_NAMES + ROTATION_NAMES) + "\n"


def arkit_rows(au: np.ndarray, speech: np.ndarray, fps: float, start: int = 0) -> str:
    """Live Link Face rows for AU [n, 17] and speech [n, 4] that are output frames start .. start + n - 1."""
    w = arkit_weights(au, speech)
    if not len(w):
        return ""
    count = len(ARKIT_NAMES) + len(ROTATION_NAMES)
    tail = "," + ",".join(["0"] * len(ROTATION_NAMES))
    fmt = ",".join(["%.6g"] * len(ARKIT_NAMES))
    return "\n".join(f"{timecode(start + i, fps)},{count}," + (fmt % tuple(row)) + tail
                     for i, row in enumerate(w.tolist())) + "\n"


def arkit_csv_text(au: np.ndarray, speech: np.ndarray, fps: float) -> str:
    """Live Link Face CSV text for AU [F, 17] and speech [F, 4] curves sampled at fps (frame 0 first)."""
    return arkit_header() + arkit_rows(au, speech, fps)

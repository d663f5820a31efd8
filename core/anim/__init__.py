"""Animation data: keyframes, curves (Blender F-curve semantics), takes, edits, auto-blink."""
from .blink import auto_blink
from .curve import Curve, Extrapolation, HandleType, Interpolation, Keyframe, compute_handles, evaluate
from .take import CHANNEL_NAMES, AudioRef, CameraState, LipSyncSettings, SpeechDrive, Take

__all__ = [
    "AudioRef", "CHANNEL_NAMES", "CameraState", "Curve", "Extrapolation", "HandleType", "Interpolation",
    "Keyframe", "LipSyncSettings", "SpeechDrive", "Take", "auto_blink", "compute_handles", "evaluate",
]

"""Audio: decoding, features, waveform summaries, playback and the speech-to-mouth driver.

No Qt here. Heavy modules (torch, av, sounddevice) are imported by the submodules that need them.
"""
from core.audio.decode import ANALYSIS_RATE, MAX_DURATION_S, AudioClip, AudioLoadError, load_audio

__all__ = ["ANALYSIS_RATE", "MAX_DURATION_S", "AudioClip", "AudioLoadError", "load_audio"]

"""Takes the studio starts with, and the playback clock (core.audio.Player, no Qt)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_AUDIO = ROOT / "assets" / "audio" / "sample_speech.wav"


def sample_take():
    """The bundled sample take: core.sample.build_sample_take() when installed, else a short take
    on the sample speech with a smile, a brow raise and blinks."""
    try:
        from core.sample import build_sample_take
        return build_sample_take()
    except ImportError:
        pass
    import dataclasses

    from core.anim import AudioRef, Curve, Keyframe, Take, auto_blink

    fps = 25.0
    duration = 100
    audio = None
    if SAMPLE_AUDIO.exists():
        try:
            import soundfile

            info = soundfile.info(str(SAMPLE_AUDIO))
            duration = max(int(math.ceil(info.duration * fps)), 25)
            audio = AudioRef(str(SAMPLE_AUDIO))
        except Exception:  # the take still works silently
            audio = None
    mid = duration // 2
    curves = {
        "AU12": Curve((Keyframe(0, 0.0), Keyframe(mid * 0.6, 3.5), Keyframe(mid * 1.4, 3.0), Keyframe(duration - 1, 0.5))),
        "AU01": Curve((Keyframe(0, 0.0), Keyframe(mid * 0.4, 2.5), Keyframe(mid * 0.9, 0.0))),
        "AU02": Curve((Keyframe(0, 0.0), Keyframe(mid * 0.4, 2.0), Keyframe(mid * 0.9, 0.0))),
        "AU45": auto_blink(duration, fps),
    }
    take = Take(name="Sample", fps=fps, duration=duration, audio=audio)
    return dataclasses.replace(take, curves={**take.curves, **curves})


def load_clip_for(take, project_dir: Path | None = None):
    """The AudioClip a take plays: its sound file, or silence of the take's length. Returns
    (clip, problem) where problem names the audio file that could not be read, or None."""
    from core.audio import AudioClip, AudioLoadError, load_audio

    if take.audio is not None:
        path = Path(take.audio.path)
        if not path.is_absolute() and project_dir is not None:
            path = project_dir / path
        try:
            return load_audio(path), None
        except (AudioLoadError, OSError) as exc:
            problem = str(exc)
        else:
            problem = None
    else:
        problem = None
    rate = 8000
    n = int(math.ceil(take.duration / take.fps * rate)) + 1
    return AudioClip(np.zeros((n, 1), np.float32), rate), problem


def make_player(clip):
    """core.audio.playback.Player on the default device (silent wall clock when there is none)."""
    from core.audio.playback import Player

    return Player(clip)

"""The bundled sample take: the sample speech clip with a smile, raised brows and natural blinks.

``python -m core.sample`` rewrites assets/takes/sample.emz from ``build_sample_take()``; the studio
and ``main.py export`` (with no TAKE) open that file through ``sample_take()``.
"""
from __future__ import annotations

import math
from pathlib import Path

from core.anim.curve import Curve, Keyframe
from core.anim.take import AudioRef, Take

ASSETS = Path(__file__).resolve().parent.parent / "assets"
SAMPLE_AUDIO = ASSETS / "audio" / "sample_speech.wav"
SAMPLE_TAKE = ASSETS / "takes" / "sample.emz"
SAMPLE_FPS = 25.0


def build_sample_take(audio_path: str | Path = SAMPLE_AUDIO, fps: float = SAMPLE_FPS) -> Take:
    """The sample take, as long as its audio (rounded up to whole frames).

    AU12 (smile) rises to 3.5 over the first third and falls back by two thirds; AU01 + AU02
    (brows) lift to 2.5 around the middle; AU45 carries auto-blinks (seeded, so always the same)."""
    from core.anim.blink import auto_blink
    from core.audio.decode import load_audio

    audio_path = Path(audio_path).resolve()
    clip = load_audio(audio_path)
    n = max(int(math.ceil(clip.duration * fps)), 2)
    last = float(n - 1)
    smile = Curve((Keyframe(0.0, 0.0), Keyframe(round(0.12 * last), 0.0), Keyframe(round(0.33 * last), 3.5),
                   Keyframe(round(0.5 * last), 3.0), Keyframe(round(0.68 * last), 0.0)))
    brows = Curve((Keyframe(round(0.35 * last), 0.0), Keyframe(round(0.45 * last), 2.5),
                   Keyframe(round(0.6 * last), 2.5), Keyframe(round(0.72 * last), 0.0)))
    take = Take(name="Sample", fps=fps, duration=n, audio=AudioRef(str(audio_path)))
    return take.with_curves({
        "AU12": smile, "AU01": brows, "AU02": brows,
        "AU45": auto_blink(n, fps=fps, seed=7),
    })


def sample_take() -> Take:
    """The shipped sample take (assets/takes/sample.emz), its audio path made absolute on load."""
    from core.document.project import load_take

    return load_take(SAMPLE_TAKE)


def main() -> int:
    from core.document.project import save_take

    SAMPLE_TAKE.parent.mkdir(parents=True, exist_ok=True)
    take = build_sample_take()
    save_take(take, SAMPLE_TAKE, absolute_audio=False)  # no machine path in assets/
    print(f"wrote {SAMPLE_TAKE.relative_to(ASSETS.parent)} ({take.duration} frames at {take.fps:g} fps)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

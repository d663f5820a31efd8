"""Speech driver against espeak-ng ground truth: open/closed F1 and bilabial closure timing.

Run: ``python -m bench speech`` (or call ``measure()``). Prints one table; numbers go to docs/AUDIO.md.
"""
from __future__ import annotations

import time

SENTENCES: tuple[str, ...] = (
    "Hello, my name is Emma. I am happy to meet you.",
    "Please bring the blue boat back to the map.",
    "Who moved my book? It was by the window.",
    "Maybe Bob bought a big purple lamp.",
    "We were away all day.",
    "My mom made apple pie before the movie.",
    "Who knew you would move to the zoo?",
    "See the green tree, Lee.",
)


def main(argv: list[str] | None = None) -> int:
    """`python -m bench speech [--fps 25] [--wpm 140,175]`: print the table."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m bench speech", description=__doc__.splitlines()[0])
    p.add_argument("--fps", type=float, default=25.0)
    p.add_argument("--wpm", default="140,175", help="speaking rates, words per minute")
    args = p.parse_args(argv)
    measure(args.fps, tuple(int(v) for v in args.wpm.split(",")))
    return 0


def measure(fps: float = 25.0, words_per_minute: tuple[int, ...] = (140, 175)) -> dict:
    """Score the driver at each speaking rate; prints a table and returns the scores."""
    from core.audio.speech_eval import espeak_16k, score

    results = {}
    print(f"speech driver vs espeak-ng phoneme timing, {len(SENTENCES)} sentences, fps={fps:g}")
    print(f"{'wpm':>5} {'dur_s':>6} {'frames':>6} {'F1open':>7} {'F1closed':>8} {'F1macro':>7} "
          f"{'clos':>7} {'off_ms':>7} {'|off|ms':>7} {'driver_ms':>9}")
    for wpm in words_per_minute:
        audio, ph = espeak_16k(SENTENCES, words_per_minute=wpm)
        t0 = time.perf_counter()
        s = score(audio, ph, fps=fps)
        # score runs the driver twice (at fps and at 100 Hz): halve for one pass.
        driver_ms = (time.perf_counter() - t0) * 1000 / 2
        dur = audio.shape[0] / 16000
        print(f"{wpm:>5} {dur:>6.1f} {s.scored_frames:>6} {s.f1_open:>7.3f} {s.f1_closed:>8.3f} {s.f1_macro:>7.3f} "
              f"{s.closures_found:>3}/{s.closures_total:<3} {s.closure_offset_ms:>7.1f} {s.closure_abs_offset_ms:>7.1f} "
              f"{driver_ms:>9.1f}")
        results[wpm] = s
    results["timings_ms"] = analysis_timings()
    return results


def _best_ms(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def analysis_timings(seconds: float = 60.0) -> dict:
    """Cost of the analysis steps on ``seconds`` of noise-modulated audio (best of 5, ms)."""
    import numpy as np

    from core.audio.features import log_mel, mel_windows
    from core.audio.speech_driver import speech_controls
    from core.audio.waveform import WaveformSummary

    rng = np.random.default_rng(0)
    n = int(seconds * 16000)
    audio = (rng.normal(size=n) * np.abs(np.sin(np.arange(n) / 3000))).astype(np.float32) * 0.1
    mel = log_mel(audio)
    frames = int(seconds * 25)
    wave48 = rng.normal(size=int(seconds * 48000)).astype(np.float32)
    ws = WaveformSummary(wave48)
    out = {
        "log_mel": _best_ms(lambda: log_mel(audio)),
        "mel_windows": _best_ms(lambda: mel_windows(mel, 25.0, frames)),
        "speech_controls": _best_ms(lambda: speech_controls(audio, 25.0)),
        "waveform_pyramid_build_48k": _best_ms(lambda: WaveformSummary(wave48)),
        "waveform_summary_full_1920": _best_ms(lambda: ws.summary(0, wave48.shape[0], 1920)),
        "waveform_summary_1s_1920": _best_ms(lambda: ws.summary(48000, 96000, 1920)),
    }
    print(f"analysis costs on {seconds:g} s of audio (best of 5):")
    for k, v in out.items():
        print(f"  {k:<28} {v:8.2f} ms")
    return out


if __name__ == "__main__":
    raise SystemExit(main())

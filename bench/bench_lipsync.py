"""Lip sync against espeak-ng's exact phoneme timing: the energy driver, phone recognition and
transcript alignment side by side on the same files (docs/AUDIO.md, "Lip sync").

Every clip is written to a file at its own sample rate and format (8 to 48 kHz; WAV, FLAC, OGG
Vorbis, MP3, AAC in M4A), read back through core.audio.decode as the studio reads a recording, and
analysed by each driver. Sentences of the data sets (core.training.dataset.SENTENCES): the first
eight were used to tune the lip sync's constants ("dev"), the other sixteen are the test ("test").

Run: ``python -m bench lipsync [--split test|dev] [--voices N]``.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

RATES = (8000, 16000, 22050, 44100, 48000)
FORMATS = ("wav", "m4a", "ogg", "mp3", "flac")


def _write(path: Path, audio: np.ndarray, rate: int) -> None:
    fmt = path.suffix[1:]
    if fmt == "m4a":
        import av

        with av.open(str(path), "w") as out:
            st = out.add_stream("aac", rate=rate, layout="mono")
            frame = av.AudioFrame.from_ndarray(audio[None, :].astype(np.float32), format="flt", layout="mono")
            frame.sample_rate = rate
            for pkt in st.encode(frame):
                out.mux(pkt)
            for pkt in st.encode(None):
                out.mux(pkt)
        return
    import soundfile as sf

    sub = {"wav": "PCM_16", "flac": "PCM_16", "ogg": "VORBIS", "mp3": "MPEG_LAYER_III"}[fmt]
    sf.write(str(path), audio, rate, subtype=sub)


def clips(split: str = "test", voices: int = 8, sentences_per_clip: int = 4, wpm: int = 160):
    """Yield (name, audio_16k as the studio decodes it, phonemes, transcript, rate, format)."""
    import soxr

    from core.audio.decode import load_audio
    from core.audio.espeak import ESPEAK_RATE, speak_sentences
    from core.training.dataset import SENTENCES, VOICES

    pool = SENTENCES[:8] if split == "dev" else SENTENCES[8:]
    tmp = Path(tempfile.mkdtemp(prefix="lipsync_bench_"))
    for k, voice in enumerate(VOICES[:voices]):
        picks = [pool[(k * sentences_per_clip + i) % len(pool)] for i in range(sentences_per_clip)]
        audio, ph = speak_sentences(picks, voice=voice, words_per_minute=wpm)
        rate, fmt = RATES[k % len(RATES)], FORMATS[k % len(FORMATS)]
        data = soxr.resample(audio, ESPEAK_RATE, rate).astype(np.float32) if rate != ESPEAK_RATE else audio
        path = tmp / f"clip{k}_{voice}.{fmt}"
        _write(path, data, rate)
        clip = load_audio(path)
        yield f"{voice} {rate // 1000 if rate % 1000 == 0 else rate / 1000:g}k {fmt}", clip.analysis(), ph, " ".join(picks), rate, fmt


def measure(split: str = "test", voices: int = 8, fps: float = 25.0) -> dict:
    from core.audio.decode import ANALYSIS_RATE
    from core.audio.lipsync import lipsync
    from core.audio.lipsync_eval import boundary_errors, score_controls
    from core.audio.speech_driver import speech_controls

    rows = {k: [] for k in ("energy", "recognised", "transcript")}
    bounds = {"recognised": [], "transcript": []}
    seconds = {"energy": 0.0, "recognised": 0.0, "transcript": 0.0}
    audio_s = 0.0
    print(f"lip sync vs espeak-ng phoneme timing ({split} sentences), {fps:g} fps")
    print(f"{'clip':<28} {'driver':<11} {'F1':>6} {'recall':>9} {'precision':>11} {'bound ms':>9}")
    for name, audio, ph, text, _rate, _fmt in clips(split, voices):
        dur = len(audio) / ANALYSIS_RATE
        audio_s += dur
        t0 = time.perf_counter()
        energy = lambda f, n: speech_controls(audio, f, n)  # noqa: E731
        energy(100.0, 10)
        seconds["energy"] += time.perf_counter() - t0
        results = {"energy": (energy, None)}
        for driver, tr in (("recognised", None), ("transcript", text)):
            t0 = time.perf_counter()
            ls = lipsync(audio, tr)
            seconds[driver] += time.perf_counter() - t0
            results[driver] = (ls.controls, ls)
        for driver, (fn, ls) in results.items():
            s = score_controls(fn, ph, dur, fps)
            rows[driver].append(s)
            b = ""
            if ls is not None:
                be = boundary_errors(ph, ls.track.phones)
                bounds[driver].append(be)
                b = f"{1000 * np.median(np.abs(be)):.0f}" if be.size else "-"
            print(f"{name:<28} {driver:<11} {s.f1_macro:>6.3f} {s.closures_found:>4}/{s.bilabials:<4} "
                  f"{s.closures_near:>5}/{s.closures_in_speech:<5} {b:>9}")
    summary = {}
    print(f"\n{'driver':<11} {'F1 mean':>8} {'recall':>8} {'precision':>10} {'|bound| med':>12} {'mean':>6} "
          f"{'signed':>7} {'s per min':>10}")
    for driver, ss in rows.items():
        rec = sum(s.closures_found for s in ss) / max(sum(s.bilabials for s in ss), 1)
        prec = sum(s.closures_near for s in ss) / max(sum(s.closures_in_speech for s in ss), 1)
        f1 = float(np.mean([s.f1_macro for s in ss]))
        be = np.concatenate(bounds[driver]) if bounds.get(driver) else np.zeros(0)
        per_min = seconds[driver] / audio_s * 60
        summary[driver] = {"f1": f1, "recall": rec, "precision": prec, "s_per_min": per_min,
                           "bound_median_ms": 1000 * float(np.median(np.abs(be))) if be.size else None}
        bm = f"{1000 * np.median(np.abs(be)):.0f} ms" if be.size else "-"
        bmean = f"{1000 * np.mean(np.abs(be)):.0f}" if be.size else "-"
        bs = f"{1000 * np.mean(be):+.0f}" if be.size else "-"
        print(f"{driver:<11} {f1:>8.3f} {100 * rec:>7.1f}% {100 * prec:>9.1f}% {bm:>12} {bmean:>6} {bs:>7} {per_min:>9.2f}s")
    print(f"({len(rows['energy'])} clips, {audio_s:.0f} s of audio)")
    return summary


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m bench lipsync", description=__doc__.splitlines()[0])
    p.add_argument("--split", choices=["test", "dev"], default="test")
    p.add_argument("--voices", type=int, default=8)
    p.add_argument("--fps", type=float, default=25.0)
    args = p.parse_args(argv)
    measure(args.split, args.voices, args.fps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

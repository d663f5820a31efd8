"""Peak memory and time at scale: a 1-hour recording and a 10,000-key take.

Run: ``python -m bench memory [--data DIR] [--root CHECKOUT] [--cases a,b]``. Each case runs in a
fresh Python process (``-c``) in the checkout ``--root`` (default: this one; point it at another
checkout to measure an older version with the same inputs); its peak resident memory is the
child's ``ru_maxrss`` from ``os.wait4`` and its time the wall clock around it. Inputs (about
830 MB of WAV) are generated once into ``--data`` and reused. Numbers go to docs/BENCHMARKS.md.

Cases:
- ``speech16`` / ``speech48``: decode the 1-hour recording (16 kHz mono / 48 kHz stereo WAV) and
  analyse its speech at 25 fps as the studio does (``SPEECH_CACHE.controls``).
- ``export_mp4`` / ``export_csv``: ``main.py export`` of 25 frames (``--range 45000:45025``, half an
  hour in) of a take on the 48 kHz recording, as a 256x256 MP4 with its audio / as an OpenFace CSV.
- ``export_csv_all``: the OpenFace CSV of the whole 1-hour take (90,000 frames, speech from the audio).
- ``export_short``: the same MP4 export of 25 frames of the bundled 9 s sample take: what 25 frames
  cost when the take is short (start-up, the head, the renderer).
- ``take10k``: a take with 10,000 keys over 17 AU channels (1 h at 25 fps): load it, evaluate every
  frame, save it, export an OpenFace CSV of the whole take.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HOUR_S = 3600.0
RANGE = "45000:45025"
CASES = ("speech16", "speech48", "export_mp4", "export_csv", "export_csv_all", "export_short", "take10k")


def _speech_like(rate: int, start: int, n: int, channels: int):
    """Syllable-rate bursts of a voiced buzz plus noise, with a pause every ~7 s: float32 [n, C]."""
    import numpy as np

    t = (start + np.arange(n)) / rate
    rng = np.random.default_rng(start)
    env = np.clip(np.sin(2 * np.pi * 3.7 * t), 0, None) ** 2 * (np.sin(2 * np.pi * t / 7.3) > -0.6)
    buzz = sum(np.sin(2 * np.pi * 120 * k * t) / k for k in range(1, 12))
    sig = (0.25 * buzz + 0.05 * rng.standard_normal(n)) * env * 0.5
    return np.repeat(sig[:, None], channels, axis=1).astype(np.float32)


def make_inputs(data: Path) -> dict[str, Path]:
    """The recordings and takes of the benchmark (written once into ``data``)."""
    import soundfile as sf

    data.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, rate, ch in (("speech16", 16000, 1), ("speech48", 48000, 2)):
        path = data / f"hour_{rate // 1000}k_{ch}ch.wav"
        out[name] = path
        if path.exists():
            continue
        tmp = path.with_suffix(".part.wav")
        with sf.SoundFile(tmp, "w", rate, ch, subtype="PCM_16") as f:
            block = 60 * rate
            for start in range(0, int(HOUR_S * rate), block):
                f.write(_speech_like(rate, start, block, ch))
        tmp.replace(path)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from core.document.new_take import new_take_from_audio
    from core.document.project import save_take

    take_path = data / "hour_48k.emz"
    out["take"] = take_path
    if not take_path.exists():
        save_take(new_take_from_audio(out["speech48"], fps=25.0), take_path)
    keys_path = data / "keys_10k.emz"
    out["take10k"] = keys_path
    if not keys_path.exists():
        save_take(_ten_thousand_keys(), keys_path)
    return out


def _ten_thousand_keys():
    import numpy as np

    from core.anim.curve import Curve, Keyframe
    from core.anim.take import Take
    from core.aus import AU_NAMES

    rng = np.random.default_rng(1)
    frames = 90_000
    take = Take(name="keys10k", fps=25.0, duration=frames)
    per = [10_000 // len(AU_NAMES) + (i < 10_000 % len(AU_NAMES)) for i in range(len(AU_NAMES))]
    curves = {}
    for name, k in zip(AU_NAMES, per):
        at = np.sort(rng.choice(frames, size=k, replace=False))
        curves[name] = Curve(tuple(Keyframe(float(f), float(v)) for f, v in zip(at, rng.uniform(0, 5, k))))
    return take.with_curves(curves)


def _code(case: str, inputs: dict[str, Path], tmp: Path) -> list[str]:
    main = "main.py"
    if case in ("speech16", "speech48"):
        return ["-c", (
            "import sys; from core.audio.decode import load_audio; from core.drive import SPEECH_CACHE;"
            f"clip = load_audio({str(inputs[case])!r}); n = int(clip.duration * 25) + 1;"
            "c = SPEECH_CACHE.controls(clip, 25.0, n); print(c.shape, float(c.mean()))")]
    if case == "export_mp4":
        return [main, "export", str(inputs["take"]), "-o", str(tmp / "range.mp4"), "--range", RANGE,
                "--size", "256x256", "--quiet"]
    if case == "export_csv":
        return [main, "export", str(inputs["take"]), "-o", str(tmp / "range.csv"), "--format", "openface",
                "--range", RANGE, "--quiet"]
    if case == "export_csv_all":
        return [main, "export", str(inputs["take"]), "-o", str(tmp / "all.csv"), "--format", "openface", "--quiet"]
    if case == "export_short":
        return [main, "export", "-o", str(tmp / "short.mp4"), "--range", "0:25", "--size", "256x256", "--quiet"]
    if case == "take10k":
        return ["-c", (
            "import numpy as np; from core.document.project import load_take, save_take;"
            "from core.export import ExportOptions, export_take;"
            f"t = load_take({str(inputs['take10k'])!r}); f = np.arange(t.duration, dtype=np.float64);"
            "au = t.evaluate_au(f); sp = t.evaluate_speech(f);"
            f"save_take(t, {str(tmp / 'keys_copy.emz')!r});"
            f"r = export_take(t, None, ExportOptions({str(tmp / 'keys.csv')!r}, format='openface'));"
            "print(au.shape, r.frames)")]
    raise ValueError(case)


def run_case(case: str, inputs: dict[str, Path], root: Path, tmp: Path) -> dict:
    """One case in a fresh process: {'case', 'seconds', 'peak_mb', 'rc', 'tail'}."""
    tmp.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(root), QT_QPA_PLATFORM="offscreen")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *_code(case, inputs, tmp)], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    tail = out.decode(errors="replace").strip().splitlines()[-1:] or [""]
    return {"case": case, "seconds": round(seconds, 2), "peak_mb": round(usage.ru_maxrss / 1024, 1),
            "rc": proc.returncode, "tail": tail[0][:200]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench memory", description=__doc__.splitlines()[0])
    p.add_argument("--data", default=None, help="where the generated inputs live (default: a temp folder)")
    p.add_argument("--root", default=str(Path(__file__).resolve().parents[1]),
                   help="the checkout whose code runs the cases (default: this one)")
    p.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of {', '.join(CASES)}")
    p.add_argument("--json", default=None, help="also write the results here")
    args = p.parse_args(argv)
    import tempfile

    data = Path(args.data) if args.data else Path(tempfile.gettempdir()) / "emozone_bench_memory"
    inputs = make_inputs(data)
    results = []
    print(f"{'case':<12} {'seconds':>8} {'peak MB':>9} {'rc':>3}  output")
    for case in args.cases.split(","):
        r = run_case(case.strip(), inputs, Path(args.root).resolve(), data / "out")
        results.append(r)
        print(f"{r['case']:<12} {r['seconds']:>8.2f} {r['peak_mb']:>9.1f} {r['rc']:>3}  {r['tail']}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

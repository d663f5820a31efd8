"""Neural deformation speed for the default head through core.drive's model driver.

    python -m bench model [--checkpoint assets/models/emozone_default.safetensors] [--device cpu|cuda]

Times make_driver("model", ...) (core.drive.ModelDriver: the driver the studio's viewport, the export
and the CLI use) on the bundled sample take: loading the checkpoint, the per-take context (audio
tokens of the whole take, tri-plane features, queries, zone bias: once per take), then decoding
batches of 1, 8 and 32 frames (the deformation cache is emptied before each run, so every frame is
decoded), and a cached frame (what scrubbing back to a seen frame costs). Prints a markdown table.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    from core.model.checkpoint import DEFAULT_CHECKPOINT

    p = argparse.ArgumentParser(prog="python -m bench model", description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)

    import numpy as np
    import torch

    from core.drive import make_driver
    from core.head import default_head
    from core.sample import sample_take

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    head = default_head().to(device)
    take = sample_take()

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    t0 = time.perf_counter()
    driver = make_driver("model", head, take, checkpoint=args.checkpoint)
    load_ms = (time.perf_counter() - t0) * 1000
    driver.audio_clip()  # decoding the take's audio is the audio's cost, not the model's
    t0 = time.perf_counter()
    with torch.no_grad():
        cache = driver.deformation_cache()
    sync()
    context_ms = (time.perf_counter() - t0) * 1000

    rows = []
    for batch in (1, 8, 32):
        times = []
        for rep in range(args.repeats + 1):
            frames = np.arange(batch, dtype=np.float64) + 40 * (rep % 3)
            cache.invalidate()
            sync()
            t0 = time.perf_counter()
            out = driver.frames(frames)
            out.means.sum().item()
            sync()
            if rep:  # the first run warms up
                times.append(time.perf_counter() - t0)
        ms = statistics.median(times) * 1000
        rows.append((f"{batch} frames", ms, ms / batch, 1000 * batch / ms))
    driver.frames(np.array([0.0]))  # decoded once; the runs below find it cached
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        driver.frames(np.array([0.0])).means.sum().item()
        times.append(time.perf_counter() - t0)
    ms = statistics.median(times) * 1000
    rows.append(("1 cached frame", ms, ms, 1000 / ms))

    machine = (torch.cuda.get_device_name(0) if device.type == "cuda"
               else f"{platform.machine()}, {os.cpu_count()} CPU cores, {torch.get_num_threads()} torch threads")
    print(f"EmoZone model driver (core.drive.ModelDriver), default head ({len(head.cloud)} Gaussians), "
          f"sample take ({take.duration} frames), {machine}")
    print(f"checkpoint load: {load_ms:.0f} ms; per-take context (audio tokens, Gaussian context): {context_ms:.0f} ms\n")
    print("| call | ms per call | ms per frame | frames/s |")
    print("|---|---:|---:|---:|")
    for what, ms, per, fps in rows:
        print(f"| {what} | {ms:.1f} | {per:.1f} | {fps:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

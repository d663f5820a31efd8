"""Neural deformation speed for the default head: one frame, and frames per second in batches.

    python -m bench model [--checkpoint assets/models/emozone_default.safetensors] [--device cpu|cuda]

Times the EmoZone model deforming every Gaussian of the default head (58,946), the per-Gaussian
context (tri-plane features, queries, zone bias) computed once as the studio's cache does. Prints a
markdown table.
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

DEFAULT_CHECKPOINT = Path(__file__).resolve().parent.parent / "assets" / "models" / "emozone_default.safetensors"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench model", description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--repeats", type=int, default=7)
    args = p.parse_args(argv)

    import torch

    from core.head import default_head
    from core.model.checkpoint import load_checkpoint

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    head = default_head().to(device)
    model, config, meta = load_checkpoint(args.checkpoint, head.fingerprint(), device=device)
    model = model.to(device).eval()
    t_total = 64
    au = torch.rand(t_total, 17, device=device) * 5
    mel = torch.randn(t_total, config.audio_window, 80, device=device) - 8

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    with torch.no_grad():
        t0 = time.perf_counter()
        ctx = model.context_for(head.cloud)
        sync()
        context_ms = (time.perf_counter() - t0) * 1000
        audio = model.encode_audio(mel)
        rows = []
        for batch in (1, 8, 32):
            times = []
            for rep in range(args.repeats + 1):
                frames = torch.arange(batch, device=device)
                sync()
                t0 = time.perf_counter()
                out = model.decode(ctx, audio[frames], model.encode_au(au, frames))
                out.d_mu.sum().item()
                sync()
                if rep:  # the first run warms up
                    times.append(time.perf_counter() - t0)
            ms = statistics.median(times) * 1000
            rows.append((batch, ms, ms / batch, 1000 * batch / ms))
    machine = torch.cuda.get_device_name(0) if device.type == "cuda" else f"{platform.machine()}, {os.cpu_count()} CPU cores, {torch.get_num_threads()} torch threads"
    print(f"EmoZone model, default head ({len(head.cloud)} Gaussians), {machine}; per-Gaussian context once: {context_ms:.1f} ms\n")
    print("| frames per call | ms per call | ms per frame | frames/s |")
    print("|---:|---:|---:|---:|")
    for batch, ms, per, fps in rows:
        print(f"| {batch} | {ms:.1f} | {per:.1f} | {fps:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

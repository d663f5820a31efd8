"""Export speed: frames per second of the whole pipeline and of each stage on its own.

    python -m bench export [--frames 50] [--size 512x512] [--backend auto|gl|gsplat|reference]
                           [--driver rig|model] [--checkpoint PATH]
    PYTHONPATH=. python bench/bench_export.py ...

Takes the bundled sample take and the default head. Stages measured alone, on the same frames:
deform (the driver from core.drive.make_driver, as the exporter and the studio get it, chunked;
for the model a fresh driver per run, so its per-take context is included), render (renderer.render + read-back to uint8), encode (H.264
CRF 18 of pre-rendered frames), then the pipelined exports (MP4 with audio, PNG sequence with
alpha, PLY sequence). Prints a markdown table.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _machine(backend: str) -> str:
    import torch

    cpu = f"{os.cpu_count()} CPU cores"
    if backend == "gsplat" and torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)}, {cpu}"
    return f"{platform.machine()} {cpu}, no GPU" if not torch.cuda.is_available() else f"{cpu}, CUDA present"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench export", description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=40)
    p.add_argument("--size", default="512x512")
    p.add_argument("--backend", default="auto", choices=["auto", "gl", "gsplat", "reference"])
    p.add_argument("--chunk", type=int, default=8)
    p.add_argument("--skip", default="", help="comma-separated rows to skip: png,ply")
    p.add_argument("--repeat", type=int, default=2, help="runs per row; the fastest is reported")
    p.add_argument("--driver", default="rig", help="a core.drive.DRIVERS name: rig or model")
    p.add_argument("--checkpoint", default=None, help="the model driver's checkpoint (default: the shipped one)")
    args = p.parse_args(argv)

    import numpy as np

    from core.drive import DRIVERS, SpeechCache, make_driver
    from core.export import ExportOptions, export_take
    from core.export.pipeline import default_camera
    from core.export.writers import Mp4Writer
    from core.head import default_head
    from core.render import cuda_available, get_renderer
    from core.sample import sample_take

    if args.driver not in DRIVERS:
        p.error(f"unknown driver {args.driver!r}; choose one of {', '.join(DRIVERS)}")
    backend = args.backend if args.backend != "auto" else ("gsplat" if cuda_available() else "gl")
    width, height = (int(v) for v in args.size.lower().split("x"))
    take = sample_take()
    n = min(args.frames, take.duration)
    head = default_head()
    if backend == "gsplat":  # the rig runs where the head lives: deform on the GPU too
        import dataclasses

        head = dataclasses.replace(head, cloud=head.cloud.to("cuda"), rig=head.rig.to("cuda"))
    frames = np.arange(n, dtype=np.float64)
    rows: list[tuple[str, float, str]] = []

    def timed(fn):
        # Best of --repeat: other work on a shared machine only ever makes a run slower.
        best, out = float("inf"), None
        for _ in range(max(args.repeat, 1)):
            t0 = time.perf_counter()
            out = fn()
            best = min(best, time.perf_counter() - t0)
        return out, best

    # A fresh speech cache per run: speech controls are otherwise computed once per process.
    _, t_speech = timed(lambda: make_driver("rig", head, take, speech_cache=SpeechCache()).speech_track())
    rows.append(("speech controls for the clip (once)", t_speech, f"decode + analyse {take.duration} frames"))
    extra = {}
    if args.driver == "model":
        from core.model.checkpoint import DEFAULT_CHECKPOINT, load_for_head

        extra["model"] = load_for_head(args.checkpoint or DEFAULT_CHECKPOINT, head)

    def deform_all():
        driver = make_driver(args.driver, head, take, chunk=args.chunk, **extra)  # fresh: nothing cached
        return [driver.frames(frames[i:i + args.chunk]) for i in range(0, n, args.chunk)]

    batches, t_deform = timed(deform_all)
    rows.append((f"deform ({args.driver})", t_deform, f"chunks of {args.chunk}"))

    options = ExportOptions("bench.mp4", size=(width, height), backend=backend)
    camera = default_camera(head.cloud, options, width, height)
    images = []
    with get_renderer(backend) as renderer:
        renderer.render(batches[0].cloud(0), camera)  # warm-up: context, shaders, kernels

        def render_all():
            images.clear()
            for b in batches:
                for t in range(len(b.means)):
                    images.append(renderer.render(b.cloud(t), camera).to_numpy_rgb8())

        _, t_render = timed(render_all)
    rows.append((f"render ({backend})", t_render, "incl. read-back to uint8"))

    with tempfile.TemporaryDirectory() as tmp:
        def encode_all():
            writer = Mp4Writer(Path(tmp) / "enc.mp4", width + width % 2, height + height % 2, take.fps)
            writer.open()
            for k, img in enumerate(images):
                writer.write(k, img)
            writer.commit()

        _, t_encode = timed(encode_all)
        rows.append(("encode H.264 CRF 18", t_encode, "pre-rendered frames"))

        skip = set(filter(None, args.skip.split(",")))
        for fmt, target in (("mp4", "take.mp4"), ("png", "take.png"), ("ply", "take_ply")):
            if fmt in skip:
                continue
            opts = ExportOptions(Path(tmp) / target, format=fmt, size=(width, height), backend=backend,
                                 frame_range=(0, n), chunk=args.chunk, driver=args.driver,
                                 checkpoint=args.checkpoint if args.driver == "model" else None)
            _, t = timed(lambda: export_take(take, head, opts))
            note = {"mp4": "with AAC audio; stages overlap", "png": "RGBA", "ply": "no rendering"}[fmt]
            rows.append((f"export {fmt} (pipelined)", t, note))

    print(f"### Export, {n} frames at {width}x{height}, {len(head.cloud)} Gaussians, {backend} backend, "
          f"{args.driver} driver")
    print(f"Machine: {_machine(backend)}; best of {max(args.repeat, 1)} runs per row\n")
    print("| stage | seconds | frames/s | note |")
    print("|---|---:|---:|---|")
    for name, secs, note in rows:
        fps = "" if name.startswith("speech") else f"{n / secs:.2f}"
        print(f"| {name} | {secs:.2f} | {fps} | {note} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`main.py export`: export a take (the sample take by default) as MP4, PNG/PLY sequences or curves."""
from __future__ import annotations

import argparse
import sys

from core.commands.render import parse_fps, parse_size

NAME = "export"
HELP = "export a take as MP4 with audio, a PNG or PLY sequence, or AU curves (CSV/JSON)"


def parse_range(text: str) -> tuple[int, int]:
    start, sep, end = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return int(start), int(end)
    except ValueError:
        raise argparse.ArgumentTypeError(f"range must look like START:END in frames, got {text!r}") from None


def parse_rgb(text: str) -> tuple[float, float, float]:
    try:
        rgb = tuple(float(v) for v in text.split(","))
        if len(rgb) != 3 or not all(0.0 <= v <= 1.0 for v in rgb):
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(f"background must be R,G,B in 0..1, got {text!r}") from None
    return rgb


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("take", nargs="?", help="a take project file (.emz); default: the bundled sample take")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="target: .mp4, .png (name_00000.png ...), .ply, .json, .csv, or a directory")
    from core.drive import DRIVERS
    from core.export.options import EXPORT_FORMATS

    p.add_argument("--format", choices=[f.name for f in EXPORT_FORMATS],
                   help="output format (default: from OUT's extension; needed for .csv and directories): "
                        + "; ".join(f"{f.name}: {f.label}" for f in EXPORT_FORMATS))
    p.add_argument("--size", type=parse_size, default=(512, 512), metavar="WxH")
    p.add_argument("--fps", type=parse_fps, default=None,
                   help="output frame rate, 1..1000 (default: the take's); re-times")
    p.add_argument("--range", type=parse_range, default=None, metavar="START:END",
                   help="timeline frames of the take, END exclusive (default: the whole take)")
    p.add_argument("--yaw", type=float, default=0.0, help="degrees; positive orbits toward the viewer's right")
    p.add_argument("--pitch", type=float, default=0.0, help="degrees; positive looks down from above")
    p.add_argument("--distance", type=float, default=None, help="camera distance (default: frame the head)")
    p.add_argument("--fov", type=float, default=30.0, help="vertical field of view in degrees")
    p.add_argument("--background", type=parse_rgb, default=(0.0, 0.0, 0.0), metavar="R,G,B",
                   help="MP4 background in 0..1 (PNG sequences are always transparent)")
    p.add_argument("--backend", default="auto", choices=["auto", "gl", "reference", "gsplat"])
    p.add_argument("--driver", default="rig", choices=list(DRIVERS),
                   help="what deforms the head: " + "; ".join(f"{k}: {v}" for k, v in DRIVERS.items()))
    p.add_argument("--checkpoint", default=None, metavar="PATH",
                   help="the model driver's EmoZone checkpoint (default: the shipped "
                        "assets/models/emozone_default.safetensors)")
    p.add_argument("--crf", type=int, default=18, help="H.264 quality, 0 (lossless) .. 51 (default 18)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    from core.export import ExportCancelled, ExportError, ExportOptions, export_take
    from core.progress import TextProgress

    if args.checkpoint is not None and args.driver != "model":
        print("error: --checkpoint is for --driver model", file=sys.stderr)
        return 2
    try:
        if args.take:
            from core.document.project import load_take

            take = load_take(args.take)
        else:
            from core.sample import sample_take

            take = sample_take()
        options = ExportOptions(
            args.output, format=args.format, size=args.size, fps=args.fps, frame_range=args.range,
            yaw=args.yaw, pitch=args.pitch, distance=args.distance, fov_y=args.fov, background=args.background,
            backend=args.backend, driver=args.driver, checkpoint=args.checkpoint, crf=args.crf,
        )
        from core.export import FORMAT_BY_NAME

        head = None
        if FORMAT_BY_NAME[options.resolved_format()].kind != "curves":  # curves need only the take
            from core.head import default_head

            head = default_head()
        warnings: list[str] = []  # e.g. a missing recording: exported without sound, said once at the end
        result = export_take(take, head, options, progress=None if args.quiet else TextProgress("export", "frames"),
                             warn=warnings.append)
    except ExportCancelled:
        print("export cancelled", file=sys.stderr)
        return 1
    except (ExportError, ValueError, OSError) as exc:  # CheckpointError and DriveError are ValueErrors
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)  # one line, whatever the cause says
        return 2
    what = f"{result.frames} frames at {result.fps:g} fps"
    if len(result.files) > 1:
        print(f"wrote {len(result.files)} files ({what}): {result.files[0]} ... {result.files[-1]}")
    else:
        print(f"wrote {result.path} ({result.format}, {what})")
    for line in warnings:
        print(f"warning: {line}", file=sys.stderr)
    return 0

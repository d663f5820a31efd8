"""`main.py render`: render a 3DGS PLY or the default head (optionally posed) to a PNG, headless."""
from __future__ import annotations

import argparse
import sys

NAME = "render"
HELP = "render a 3DGS PLY file or the default head to a PNG"


def parse_size(text: str) -> tuple[int, int]:
    from core.limits import MAX_IMAGE_SIDE

    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 512x512, got {text!r}") from None
    if not (0 < w <= MAX_IMAGE_SIDE and 0 < h <= MAX_IMAGE_SIDE):
        raise argparse.ArgumentTypeError(f"size out of range: {text!r}; width and height must be within "
                                         f"1..{MAX_IMAGE_SIDE}")
    return w, h


def parse_fps(text: str) -> float:
    """A frame rate argument within core.limits' MIN_FPS..MAX_FPS (shared by the commands)."""
    from core.limits import MAX_FPS, MIN_FPS

    try:
        v = float(text)
    except ValueError:
        v = float("nan")
    if not MIN_FPS <= v <= MAX_FPS:
        raise argparse.ArgumentTypeError(
            f"fps must be a positive number within {MIN_FPS:g}..{MAX_FPS:g}, got {text!r}")
    return v


def parse_assignment(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    try:
        if not sep:
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}") from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("ply", nargs="?", help="a 3DGS PLY file (INRIA layout); omit with --head")
    p.add_argument("--head", choices=["default"], help="render the built-in head instead of a file")
    p.add_argument("--au", action="append", type=parse_assignment, default=[], metavar="AU12=4",
                   help="AU intensity 0..5 for --head (repeatable)")
    p.add_argument("--speech", action="append", type=parse_assignment, default=[], metavar="jaw_open=0.5",
                   help="speech control 0..1 for --head (repeatable)")
    p.add_argument("-o", "--output", required=True, help="output PNG")
    p.add_argument("--size", type=parse_size, default=(512, 512), metavar="WxH")
    p.add_argument("--yaw", type=float, default=0.0, help="degrees; positive orbits toward the viewer's right")
    p.add_argument("--pitch", type=float, default=0.0, help="degrees; positive looks down from above")
    p.add_argument("--distance", type=float, default=None, help="camera distance (default: frame the scene)")
    p.add_argument("--fov", type=float, default=30.0, help="vertical field of view in degrees")
    p.add_argument("--backend", default="auto", choices=["auto", "gl", "reference", "gsplat"])
    p.add_argument("--background", default="0,0,0", help="R,G,B in 0..1")
    p.add_argument("--alpha", action="store_true", help="write RGBA (straight alpha; use a black background)")


def load_cloud(args):
    if args.head:
        from core import rig
        from core.aus import AU_MAX, AU_MIN, au_index

        from core.head import default_head

        head = default_head()
        au = {}
        for name, value in args.au:
            au_index(name)  # validates the name with a clear message
            if not AU_MIN <= value <= AU_MAX:
                raise ValueError(f"--au {name}={value}: intensity must be within {AU_MIN}..{AU_MAX}")
            au[name] = value
        speech = dict(args.speech)
        if not au and not speech:
            return head.cloud
        return rig.pose(head, au=au or None, speech=speech or None)
    if args.au or args.speech:
        raise ValueError("--au and --speech pose the built-in head; use them with --head default")
    from core.ply import read_ply

    return read_ply(args.ply)


def run(args) -> int:
    import numpy as np

    from core.camera import OrbitCamera
    from core.gaussians import framing_bounds
    from core.image import write_png
    from core.render import RenderError, get_renderer

    if not args.ply and not args.head:
        print("error: give a PLY file or --head default", file=sys.stderr)
        return 2
    try:
        background = tuple(float(v) for v in args.background.split(","))
        if len(background) != 3:
            raise ValueError
    except ValueError:
        print(f"error: --background must be R,G,B, got {args.background!r}", file=sys.stderr)
        return 2
    try:
        cloud = load_cloud(args)
    except (ValueError, KeyError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if len(cloud) == 0:
        print("error: the scene has no Gaussians", file=sys.stderr)
        return 2
    lo, hi = (t.detach().cpu().numpy().astype(np.float64) for t in framing_bounds(cloud.means.detach().cpu()))
    orbit = OrbitCamera.framing(lo, hi, yaw=args.yaw, pitch=args.pitch, fov_y=args.fov)
    if args.distance is not None:
        orbit.distance = args.distance
    width, height = args.size
    camera = orbit.camera(width, height)
    try:
        with get_renderer(args.backend) as renderer:
            result = renderer.render(cloud, camera, background=background)
    except RenderError as exc:  # e.g. --backend gsplat without CUDA: one line, as export says it
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    image = result.to_numpy_rgba8() if args.alpha else result.to_numpy_rgb8()
    try:
        write_png(args.output, image)
    except OSError as exc:
        print(f"error: {args.output}: cannot be written ({exc.strerror or exc})", file=sys.stderr)
        return 2
    print(f"wrote {args.output} ({width}x{height}, {len(cloud)} Gaussians, {renderer.name} backend)")
    return 0

"""`main.py dataset`: make the synthetic training data (speech, AU curves, truth frames)."""
from __future__ import annotations

import sys

NAME = "dataset"
HELP = "make a synthetic data set from the default head's rig: speech, AU curves and rendered truth frames"


def add_arguments(p) -> None:
    p.add_argument("directory", help="output directory")
    p.add_argument("--stage", choices=["all", "sources", "frames"], default="all",
                   help="sources: speech, curves, features (needs espeak-ng); frames: render truth frames")
    p.add_argument("--train", type=int, default=16, help="training sequences")
    p.add_argument("--val", type=int, default=4, help="validation sequences")
    p.add_argument("--size", default="256x256", help="frame size WxH")
    p.add_argument("--fps", type=float, default=25.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--backend", default="auto", choices=["auto", "gl", "reference", "gsplat"])
    p.add_argument("--au-style", choices=["varied", "v1"], default="varied",
                   help="AU curves: 'varied' (every AU over its whole range, fast and slow) or 'v1' (the first data sets)")
    p.add_argument("--voices", default=None,
                   help="comma-separated espeak-ng voices (default: several English accents, male and female)")
    p.add_argument("--pauses", choices=["short", "long"], default="short",
                   help="silence around and between sentences: 'short' (0.3-0.7 s, the first data sets) or "
                        "'long' (0.3-2 s, so the model sees stretches of silence with the AUs moving)")
    p.add_argument("--png-every", type=int, default=1, help="also write every Nth frame as PNG for inspection")
    p.add_argument("--split", choices=["train", "val"], default=None,
                   help="frames stage: render only this split's sequences (val is enough for `evaluate`)")


def run(args) -> int:
    from core.commands.render import parse_size
    from core.head import default_head
    from core.training.dataset import VOICES, DatasetError, make_sources, render_frames
    from core.progress import TextProgress

    head = default_head()
    try:
        if args.stage in ("all", "sources"):
            voices = tuple(v.strip() for v in args.voices.split(",") if v.strip()) if args.voices else VOICES
            make_sources(args.directory, head, args.train, args.val, args.fps, parse_size(args.size), seed=args.seed,
                         au_style=args.au_style, voices=voices, pauses=args.pauses)
            print(f"wrote sources of {args.train + args.val} sequences to {args.directory}")
        if args.stage in ("all", "frames"):
            render_frames(args.directory, head, args.backend, write_png_every=args.png_every,
                          progress=TextProgress("render", "frames"), split=args.split)
            print(f"rendered truth frames into {args.directory}")
    except (DatasetError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0

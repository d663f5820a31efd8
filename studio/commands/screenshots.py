"""`main.py screenshots -o docs/images`: grab the running studio window for the README.

Needs a display (run it under xvfb-run on a headless machine). Qt is imported inside run() so that
the command list stays light."""
from __future__ import annotations

import os
import sys

NAME = "screenshots"
HELP = "start the studio on the sample take and save window screenshots (needs a display, e.g. xvfb-run)"


def add_arguments(p) -> None:
    p.add_argument("-o", "--output", default="docs/images", help="folder for the PNG files")
    p.add_argument("--size", default="1440x900", help="window size WxH")


def run(args) -> int:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        print("error: no display; run under xvfb-run (e.g. `xvfb-run -a python main.py screenshots`)", file=sys.stderr)
        return 2
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        print(f"error: --size must be WxH, got {args.size!r}", file=sys.stderr)
        return 2
    from studio.screenshots import take_screenshots

    for path in take_screenshots(args.output, w, h):
        print(path)
    return 0

#!/usr/bin/env python3
"""EmoZone Studio entry point.

With no arguments it opens the studio on the default head and the sample take; with a take file
or a recording (``main.py voice.m4a [--fps 30]``) it opens that, a recording as a new take.
Sub-commands run headless (``main.py new voice.m4a -o take.emz`` writes the same take); each lives
in core/commands/<name>.py, or studio/commands/<name>.py when it needs the GUI (NAME, HELP,
add_arguments(parser), run(args) -> int), and is discovered here, so adding a command needs no
edit to this file. Heavy imports happen inside run().
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


#: Packages whose modules are sub-commands: headless ones in core, GUI ones in studio.
COMMAND_PACKAGES = ("core.commands", "studio.commands")


def _commands():
    mods = {}
    for package in COMMAND_PACKAGES:
        pkg = importlib.import_module(package)
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
            if info.name.startswith("_"):
                continue
            mod = importlib.import_module(f"{package}.{info.name}")
            if hasattr(mod, "NAME") and hasattr(mod, "run"):
                mods[mod.NAME] = mod
    return dict(sorted(mods.items()))


def build_parser(commands) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py", description="EmoZone Studio: AU-controlled 3DGS talking heads.",
        epilog="Without a COMMAND it opens the studio: main.py [AUDIO_OR_TAKE] [--fps N] opens a take "
               "file (.emz), or a new take on a recording (WAV, FLAC, OGG, MP3, M4A...) at N fps (default 25).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, mod in commands.items():
        p = sub.add_parser(name, help=getattr(mod, "HELP", ""), description=getattr(mod, "HELP", ""))
        mod.add_arguments(p)
    return parser


def open_studio(argv: list[str]) -> int:
    try:
        from studio.app import main as studio_main
    except ImportError as exc:
        if "studio.app" not in str(exc) and "studio" not in getattr(exc, "name", ""):
            raise
        # Until the studio window exists: render the default scene headless and say where it went.
        from core.commands import render as render_cmd

        out = ROOT / "out" / "default_head.png"
        print(f"The studio window is not built yet; rendering the default scene instead.")
        return render_cmd.run(build_parser(_commands()).parse_args(["render", "--head", "default", "-o", str(out)]))
    return studio_main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = _commands()
    if not argv or (argv[0] not in commands and argv[0] not in ("-h", "--help")):
        return open_studio(argv)
    args = build_parser(commands).parse_args(argv)
    return int(commands[args.command].run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())

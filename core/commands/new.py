"""`main.py new`: a new take from a voice recording, written as a take file (headless)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "new"
HELP = "write a new take from a recording (its length, speech driven by the audio, auto-blink on)"


def _positive_fps(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        v = float("nan")
    if not v > 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"fps must be a positive number, got {text!r}")
    return v


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("audio", help="a recording: WAV, FLAC, OGG, MP3, M4A/AAC (anything FFmpeg decodes)")
    p.add_argument("-o", "--output", required=True, metavar="TAKE",
                   help="the take file to write (.emz is added when there is no suffix)")
    p.add_argument("--fps", type=_positive_fps, default=25.0, help="frames per second (default 25)")
    p.add_argument("--name", default=None, help="the take's name (default: the recording's file name)")


def run(args) -> int:
    from core.audio.decode import AudioLoadError
    from core.document.new_take import new_take_from_audio
    from core.document.project import PROJECT_SUFFIX, TakeFileError, save_take

    out = Path(args.output)
    if out.suffix == "":
        out = out.with_suffix(PROJECT_SUFFIX)
    try:
        take = new_take_from_audio(args.audio, fps=args.fps, name=args.name)
        save_take(take, out)
    except (AudioLoadError, TakeFileError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {out}: cannot be written ({exc.strerror or exc})", file=sys.stderr)
        return 2
    print(f"wrote {out} ({take.duration} frames at {take.fps:g} fps, {take.duration / take.fps:.2f} s, "
          f"audio {Path(take.audio.path).name})")
    return 0

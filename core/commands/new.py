"""`main.py new`: a new take from a voice recording and / or an OpenFace CSV, written as a take file
(headless)."""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from core.commands.render import parse_fps
from core.limits import MAX_FPS, MIN_FPS

NAME = "new"
HELP = ("write a new take from a recording (its length, speech driven by the audio, auto-blink on) "
        "and / or from an OpenFace CSV's AU curves (--openface)")


_positive_fps = parse_fps


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("audio", nargs="?", default=None,
                   help="a recording: WAV, FLAC, OGG, MP3, M4A/AAC (anything FFmpeg decodes)")
    p.add_argument("--audio", dest="audio_option", default=None, metavar="AUDIO",
                   help="the recording, as an option (the same as the positional AUDIO)")
    p.add_argument("--openface", default=None, metavar="CSV",
                   help="an OpenFace 2.x or 3.0 CSV: its AU curves, resampled to --fps (with a recording they "
                        "replace the AUs the file has; the take covers both)")
    p.add_argument("--source-fps", type=_positive_fps, default=None, metavar="N",
                   help="OpenFace 3.0 only: the frame rate of the video it read (its files record none; "
                        "default --fps)")
    p.add_argument("-o", "--output", required=True, metavar="TAKE",
                   help="the take file to write (.emz is added when there is no suffix)")
    p.add_argument("--fps", type=_positive_fps, default=25.0,
                   help=f"frames per second, {MIN_FPS:g}..{MAX_FPS:g} (default 25)")
    p.add_argument("--transcript", default=None, metavar="TEXT|FILE",
                   help="what the recording says (text, or a .txt file): its words are aligned for the lip sync "
                        "(default: phonemes recognised from the audio)")
    p.add_argument("--lipsync", choices=["phonemes", "energy"], default="phonemes",
                   help="how the recording drives the mouth: its phonemes (default) or the energy driver")
    p.add_argument("--name", default=None,
                   help="the take's name (default: the recording's file name, else the CSV's)")


def run(args) -> int:
    from core.audio.decode import AudioLoadError
    from core.document.import_curves import new_take_from_openface, summary
    from core.document.new_take import new_take_from_audio
    from core.document.openface import CurveImportError
    from core.document.project import PROJECT_SUFFIX, TakeFileError, save_take

    audio = args.audio
    if args.audio_option is not None:
        if audio is not None and audio != args.audio_option:
            print(f"error: two recordings given ({audio} and --audio {args.audio_option}); give one",
                  file=sys.stderr)
            return 2
        audio = args.audio_option
    if audio is None and args.openface is None:
        print("error: give a recording (AUDIO or --audio AUDIO) or an OpenFace CSV (--openface CSV), or both",
              file=sys.stderr)
        return 2
    if args.source_fps is not None and args.openface is None:
        print("error: --source-fps is for --openface (an OpenFace 3.0 CSV)", file=sys.stderr)
        return 2
    out = Path(args.output)
    if out.suffix == "":
        out = out.with_suffix(PROJECT_SUFFIX)
    imported = None
    try:
        if args.openface is not None:
            take, imported = new_take_from_openface(args.openface, fps=args.fps, audio=audio, name=args.name,
                                                    source_fps=args.source_fps)
        else:
            take = new_take_from_audio(audio, fps=args.fps, name=args.name)
        from core.anim.take import LipSyncSettings
        from core.commands.lipsync import read_transcript

        take = dataclasses.replace(take, lipsync=LipSyncSettings(args.lipsync, (read_transcript(args.transcript) or "").strip()))
        save_take(take, out)
    except (AudioLoadError, CurveImportError, TakeFileError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {out}: cannot be written ({exc.strerror or exc})", file=sys.stderr)
        return 2
    line = f"wrote {out} ({take.duration} frames at {take.fps:g} fps, {take.duration / take.fps:.2f} s"
    if take.audio is not None:
        line += f", audio {Path(take.audio.path).name}"
    line += ")"
    print(line)
    if take.audio is not None and take.lipsync.driver == "phonemes" and take.lipsync.transcript:
        # The transcript is aligned now, so what went wrong with it is said here, not found in an export.
        from core.audio.decode import load_audio
        from core.audio.lipsync import lipsync

        track = lipsync(load_audio(take.audio.path).analysis(), take.lipsync.transcript).track
        print(f"lip sync: {len(track.phones)} phones "
              + ("(the transcript aligned)" if track.source == "transcript" else "(recognised from the audio)"))
        for note in track.notes:
            print(f"note: {note}")
    if imported is not None:
        print(summary(imported, Path(args.openface).name))
    return 0

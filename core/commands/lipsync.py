"""`main.py lipsync AUDIO [--transcript TEXT|FILE] [-o OUT]`: phonemes and mouth cues of a recording,
in Rhubarb Lip Sync's formats (TSV, JSON, Moho .dat) or our phonemes JSON (core.audio.lipsync)."""
from __future__ import annotations

import sys
from pathlib import Path

NAME = "lipsync"
HELP = ("recognise the phonemes of a recording (or align a transcript) and write mouth cues A-H, X as "
        "Rhubarb Lip Sync does: TSV, JSON or Moho .dat (by OUT's extension or --format), or the phonemes")


def add_arguments(p) -> None:
    p.add_argument("audio", help="a recording: WAV, FLAC, OGG, MP3, M4A/AAC; any rate, mono or stereo")
    p.add_argument("--transcript", default=None, metavar="TEXT|FILE",
                   help="what is said (the text, or a .txt file holding it): its words are aligned to the audio "
                        "instead of recognising phonemes")
    p.add_argument("-o", "--output", default=None, metavar="OUT",
                   help="output file (.tsv, .json or .dat); default: TSV on standard output")
    p.add_argument("--format", choices=["tsv", "json", "dat", "phonemes"], default=None,
                   help="output format (default: from OUT's extension; 'phonemes': our JSON of the phonemes)")
    p.add_argument("--dat-fps", type=float, default=24.0, help="frame rate of a .dat file (default 24)")
    p.add_argument("--preston-blair", action="store_true",
                   help=".dat: Papagayo's mouth names (MBP, etc, E, AI, O, U, FV, L, rest) instead of A-H, X")


def read_transcript(value: str | None) -> str | None:
    """--transcript as given: the text itself, or the contents of the .txt (or existing) file it names."""
    if value is None:
        return None
    p = Path(value)
    if value.endswith(".txt") or (len(value) < 4096 and "\n" not in value and p.is_file()):
        try:
            return p.read_text(encoding="utf-8-sig", errors="replace")
        except OSError as exc:
            raise ValueError(f"{p}: cannot read the transcript ({exc.strerror or exc})") from None
    return value


def run(args) -> int:
    from core.audio.decode import AudioLoadError, load_audio
    from core.audio.lipsync import lipsync
    from core.audio.lipsync_files import cues_tsv, format_for, write_cues
    from core.audio.phonemes import PhonemeError
    from core.progress import TextProgress

    if not (1.0 <= args.dat_fps <= 1000.0):
        print(f"error: --dat-fps must be within 1..1000, got {args.dat_fps:g}", file=sys.stderr)
        return 2
    try:
        fmt = format_for(args.output, args.format) if args.output else (args.format or "tsv")
        transcript = read_transcript(args.transcript)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        clip = load_audio(args.audio)
    except AudioLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bar = TextProgress("lipsync", "s of audio", enabled=sys.stderr.isatty())
    try:
        result = lipsync(clip.analysis(), transcript, progress=lambda done, total: bar(int(done), int(total)))
    except PhonemeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    track = result.track
    cues = result.cues()
    for note in track.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"{args.audio}: {len(track.phones)} phone{'s' * (len(track.phones) != 1)} ({track.source}), "
          f"{len(cues)} mouth cue{'s' * (len(cues) != 1)} over {track.duration:.2f} s", file=sys.stderr)
    if args.output is None:
        if fmt == "tsv":
            sys.stdout.write(cues_tsv(cues))
            return 0
        from core.audio.lipsync_files import cues_dat, cues_json, phonemes_json

        sys.stdout.write({"json": lambda: cues_json(cues, Path(args.audio).name, track.duration),
                          "dat": lambda: cues_dat(cues, args.dat_fps, args.preston_blair),
                          "phonemes": lambda: phonemes_json(track, Path(args.audio).name)}[fmt]())
        return 0
    try:
        out = write_cues(args.output, track, cues, fmt, Path(args.audio).name, args.dat_fps, args.preston_blair)
    except OSError as exc:
        print(f"error: cannot write {args.output} ({exc.strerror or exc})", file=sys.stderr)
        return 2
    print(f"wrote {out} ({fmt})", file=sys.stderr)
    return 0

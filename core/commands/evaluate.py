"""`main.py evaluate`: the results table (full model and ablations) on held-out sequences, or
(``--au-response [CHECKPOINT]``) each AU's response against the head's rig (core.training.au_response)."""
from __future__ import annotations

import sys

NAME = "evaluate"
HELP = "measure checkpoints on a data set's validation sequences and write the results table"


def add_arguments(p) -> None:
    p.add_argument("dataset", nargs="?", help="data set directory")
    p.add_argument("checkpoints", nargs="*", metavar="NAME=CHECKPOINT",
                   help="rows of the table, e.g. full=runs/full.safetensors no_pab=runs/no_pab.safetensors")
    p.add_argument("-o", "--output", default="results", help="writes OUTPUT.md and OUTPUT.json")
    p.add_argument("--device", default=None)
    p.add_argument("--backend", default="auto", choices=["auto", "gsplat", "reference", "gl", "none"],
                   help="renderer for PSNR/SSIM ('none': geometry columns only; so is a data set without frames)")
    p.add_argument("--no-au-estimates", action="store_true",
                   help="skip the exact AU estimator's columns (AUE-U/L, AU-Jerk, noise cut) and the rig row")
    p.add_argument("--no-reference-rows", action="store_true",
                   help="leave out the 'no deformation' and 'rig' rows (another process gives them)")
    p.add_argument("--reference-rows", action="store_true",
                   help="only the 'no deformation' and 'rig' rows (no checkpoint needed)")
    p.add_argument("--image-every", type=int, default=5, help="compare images on every Nth frame")
    p.add_argument("--au-response", nargs="?", const="", default=None, metavar="CHECKPOINT",
                   help="print each AU's model offset, rig offset and fidelity (the AU alone at --intensity, "
                        "silent audio) for CHECKPOINT (default: the shipped model) on the default head; "
                        "needs no data set")
    p.add_argument("--intensity", type=float, default=5.0, help="the AU intensity of --au-response (0..5]")
    p.add_argument("--lip-sync", nargs="?", const="", default=None, metavar="CHECKPOINT",
                   help="open/closed F1 of the lips from the audio alone, on held-out espeak-ng speech: "
                        "CHECKPOINT (default: the shipped model) beside the rig driven by the speech driver "
                        "and by the phoneme truth; needs no data set")


def _au_response(args) -> int:
    import torch

    from core.head import default_head
    from core.model.checkpoint import DEFAULT_CHECKPOINT, CheckpointError, load_for_head
    from core.training.au_response import au_response, response_table

    if not (0.0 < args.intensity <= 5.0):
        print(f"error: --intensity must be within (0, 5], got {args.intensity:g}", file=sys.stderr)
        return 2
    path = args.au_response or str(DEFAULT_CHECKPOINT)
    device = args.device or "cpu"
    head = default_head().to(torch.device(device))
    try:
        model = load_for_head(path, head)
    except CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{path}: each AU alone at {args.intensity:g}, silent audio, over the Gaussians the rig moves;\n"
          "fidelity = 1 - mean|model offset - rig offset| / mean|rig offset| (100%: the rig exactly, "
          "0%: no better than standing still, below 0: worse); docs/RESULTS.md")
    print(response_table(au_response(model.to(device), head, args.intensity)))
    return 0


def _lip_sync(args) -> int:
    import torch

    from core.head import default_head
    from core.model.checkpoint import DEFAULT_CHECKPOINT, CheckpointError, load_for_head
    from core.training.lip_sync import JAW_OPEN, lip_sync_scores, lip_sync_table

    path = args.lip_sync or str(DEFAULT_CHECKPOINT)
    device = args.device or "cpu"
    head = default_head().to(torch.device(device))
    try:
        model = load_for_head(path, head).to(device)
    except CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{path}: lips open/closed from the audio alone (every AU at 0), held-out espeak-ng speech; "
          f"open = inner-lip gap at least the rig's at jaw_open {JAW_OPEN:g}; labels from the phoneme timing; "
          "docs/RESULTS.md")
    print(lip_sync_table(lip_sync_scores(model, head)))
    return 0


def run(args) -> int:
    import torch

    if args.au_response is not None or args.lip_sync is not None:
        if args.dataset or args.checkpoints or (args.au_response is not None and args.lip_sync is not None):
            print("error: --au-response and --lip-sync take one checkpoint each, no data set, and not both",
                  file=sys.stderr)
            return 2
        return _au_response(args) if args.au_response is not None else _lip_sync(args)
    if not args.dataset or not (args.checkpoints or args.reference_rows):
        print("error: give a data set and at least one NAME=CHECKPOINT (or --au-response)", file=sys.stderr)
        return 2

    from core.model.checkpoint import CheckpointError
    from core.training.dataset import DatasetError
    from core.training.evaluate import evaluate, results_markdown, write_results

    rows = {}
    for item in args.checkpoints:
        name, sep, path = item.partition("=")
        if not sep:
            print(f"error: expected NAME=CHECKPOINT, got {item!r}", file=sys.stderr)
            return 2
        rows[name] = path
    try:
        ref = not args.no_reference_rows
        results = evaluate(args.dataset, rows, args.device, args.backend, args.image_every,
                           au_estimates=not args.no_au_estimates, include_static=ref,
                           include_rig=(not args.no_au_estimates) and ref)
    except (DatasetError, CheckpointError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    dev = torch.cuda.get_device_name() if torch.cuda.is_available() and args.device != "cpu" else "CPU"
    write_results(results, args.output, dev)
    print(results_markdown(results, dev))
    return 0

"""`main.py evaluate`: the results table (full model and ablations) on held-out sequences."""
from __future__ import annotations

import sys

NAME = "evaluate"
HELP = "measure checkpoints on a data set's validation sequences and write the results table"


def add_arguments(p) -> None:
    p.add_argument("dataset", help="data set directory")
    p.add_argument("checkpoints", nargs="+", metavar="NAME=CHECKPOINT",
                   help="rows of the table, e.g. full=runs/full.safetensors no_pab=runs/no_pab.safetensors")
    p.add_argument("-o", "--output", default="results", help="writes OUTPUT.md and OUTPUT.json")
    p.add_argument("--device", default=None)
    p.add_argument("--backend", default="auto", choices=["auto", "gsplat", "reference", "gl"])
    p.add_argument("--image-every", type=int, default=5, help="compare images on every Nth frame")


def run(args) -> int:
    import torch

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
        results = evaluate(args.dataset, rows, args.device, args.backend, args.image_every)
    except (DatasetError, CheckpointError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    dev = torch.cuda.get_device_name() if torch.cuda.is_available() and args.device != "cpu" else "CPU"
    write_results(results, args.output, dev)
    print(results_markdown(results, dev))
    return 0

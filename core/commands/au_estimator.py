"""`main.py au-estimator`: train the image AU estimator of the AU-consistency loss on synthetic renders."""
from __future__ import annotations

import sys
import time

NAME = "au-estimator"
HELP = ("train the image AU estimator (a small CNN) on renders of the default head with exact AU labels; "
        "prints its held-out accuracy")


def add_arguments(p) -> None:
    p.add_argument("-o", "--output", default=None,
                   help="the estimator file (default: assets/models/au_estimator.safetensors)")
    p.add_argument("--samples", type=int, default=4000, help="training renders")
    p.add_argument("--val", type=int, default=600, help="held-out renders for the accuracy")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--backend", default="auto", choices=["auto", "gsplat", "reference", "gl"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache", default=None, metavar="FILE.npz",
                   help="keep the renders here (made once, read back on the next run with the same counts and seed)")


def run(args) -> int:
    import numpy as np

    from core.aus import AU_NAMES
    from core.head import default_head
    from core.render import get_renderer
    from core.training.au_cnn import (DEFAULT_PATH, INPUT, accuracy, render_poses, sample_poses, save_au_net,
                                      train_au_net)

    if args.samples < 1 or args.val < 1 or args.epochs < 1:
        print("error: --samples, --val and --epochs must be at least 1", file=sys.stderr)
        return 2
    out = args.output or str(DEFAULT_PATH)
    head = default_head()
    t0 = time.perf_counter()
    train = sample_poses(args.samples, args.seed)
    val = sample_poses(args.val, args.seed + 1)
    cached = None
    if args.cache:
        try:
            with np.load(args.cache) as z:
                if z["x_train"].shape[0] == args.samples and z["x_val"].shape[0] == args.val \
                        and int(z["seed"]) == args.seed:
                    cached = z["x_train"], z["x_val"]
        except (OSError, KeyError, ValueError):
            cached = None
    if cached is not None:
        x_train, x_val = cached
        print(f"read {args.samples} + {args.val} renders from {args.cache}", flush=True)
    else:
        renderer = get_renderer(args.backend)
        try:
            x_train = render_poses(head, train, INPUT, renderer)
            x_val = render_poses(head, val, INPUT, renderer)
        finally:
            renderer.close()
        if args.cache:
            np.savez(args.cache, x_train=x_train, x_val=x_val, seed=args.seed)
        print(f"rendered {args.samples} + {args.val} faces at {INPUT}x{INPUT} in {time.perf_counter() - t0:.0f} s",
              flush=True)
    net = train_au_net(x_train, train["au"], epochs=args.epochs, seed=args.seed,
                       log=lambda e, loss: print(f"  epoch {e}: train mean squared error {loss:.3f}", flush=True))
    acc = accuracy(net, x_val, val["au"])
    base = float(np.abs(val["au"] - train["au"].mean(0)).mean())
    save_au_net(out, net, {"samples": args.samples, "val": args.val, "epochs": args.epochs, "seed": args.seed,
                           "accuracy": acc, "mean_predictor_mae": base})
    print(f"{out}: held-out mean |error| {acc['mae']:.3f} AU (predicting the mean: {base:.3f}); "
          f"{acc['within_0_5']:.0%} of AU readings within 0.5")
    print("  " + "  ".join(f"{n} {acc['per_au'][n]:.2f}" for n in AU_NAMES))
    print(f"total {time.perf_counter() - t0:.0f} s")
    return 0

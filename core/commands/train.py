"""`main.py train`: train the EmoZone deformation model (or an ablation) on a data set."""
from __future__ import annotations

import json
import sys

NAME = "train"
HELP = "train the EmoZone deformation model on a data set (CUDA with gsplat; toy sizes on CPU)"


def add_arguments(p) -> None:
    from core.training.variants import VARIANTS

    p.add_argument("dataset", help="data set directory (main.py dataset)")
    p.add_argument("-o", "--output", required=True, help="checkpoint (.safetensors); resumed if it exists")
    p.add_argument("--variant", choices=list(VARIANTS), default="full")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--window", type=int, default=5, help="consecutive frames per step")
    p.add_argument("--render-scale", type=float, default=1.0, help="render and compare at this fraction of the size")
    p.add_argument("--position-weight", type=float, default=0.05, help="weight of the direct position term (0: off)")
    p.add_argument("--image-weight", type=float, default=1.0)
    p.add_argument("--device", default=None, help="cuda or cpu (default: cuda when available)")
    p.add_argument("--backend", default="auto", choices=["auto", "gsplat", "reference", "gl"])
    p.add_argument("--fresh", action="store_true", help="do not resume from an existing checkpoint")
    p.add_argument("--seed", type=int, default=0)


def run(args) -> int:
    from core.model.checkpoint import CheckpointError
    from core.training.dataset import DatasetError
    from core.training.train import TrainConfig, TrainingError, train

    cfg = TrainConfig(steps=args.steps, lr=args.lr, window=args.window, render_scale=args.render_scale,
                      w_position=args.position_weight, w_image=args.image_weight, seed=args.seed)
    try:
        summary = train(args.dataset, args.output, args.variant, cfg, args.device, args.backend, resume=not args.fresh)
    except (DatasetError, TrainingError, CheckpointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2))
    return 0

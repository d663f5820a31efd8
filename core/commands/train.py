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
    p.add_argument("--batch", type=int, default=1, help="windows per step (random sequences and cameras)")
    p.add_argument("--render-scale", type=float, default=1.0, help="render and compare at this fraction of the size")
    p.add_argument("--position-weight", type=float, default=0.05, help="weight of the direct position term (0: off)")
    p.add_argument("--image-weight", type=float, default=1.0)
    p.add_argument("--shape-weight", type=float, default=0.0,
                   help="weight of the rotation and log-scale terms against the rig's truth (0: off)")
    p.add_argument("--raar-weight", type=float, default=0.01,
                   help="weight of RAAR, the region-aware attention regulariser (models with the zone bias; 0: off)")
    p.add_argument("--raar-margin", type=float, default=0.2, help="RAAR's hinge margin on the attention mass")
    p.add_argument("--au-consistency-weight", type=float, default=0.05,
                   help="weight of the AU-consistency term: the frozen image AU estimator on the rendered frames "
                        "(with the image term only; 0: off)")
    p.add_argument("--au-estimator", default=None, metavar="PATH",
                   help="the image AU estimator (default: assets/models/au_estimator.safetensors; main.py au-estimator)")
    p.add_argument("--device", default=None, help="cuda or cpu (default: cuda when available)")
    p.add_argument("--backend", default="auto", choices=["auto", "gsplat", "reference", "gl"])
    p.add_argument("--fresh", action="store_true", help="do not resume from an existing checkpoint")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--magnitude-weight", type=float, default=None, help="weight of the offset-size term (default 1e-4)")
    p.add_argument("--temporal-weight", type=float, default=None,
                   help="weight of the second-difference term (default 0.02)")
    p.add_argument("--position-norm", choices=["frame", "moving", "all"], default="frame",
                   help="where the position term is averaged (core/training/train.py TrainConfig)")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="stop after this much training time (the learning-rate decay follows it)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="model configuration override (docs/MODEL.md keys; VALUE is JSON, e.g. mlp_hidden=256 "
                        "or triplane_reduce=concat); repeatable")


def parse_overrides(items) -> dict:
    """``KEY=VALUE`` strings (``--set``) -> model configuration overrides; VALUE is JSON, or a bare word
    taken as a string. Raises ValueError naming an item without '='."""
    overrides = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            overrides[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key.strip()] = value
    return overrides


def run(args) -> int:
    from core.model.checkpoint import CheckpointError
    from core.training.dataset import DatasetError
    from core.training.train import TrainConfig, TrainingError, train

    from core.model.deform import ModelConfigError

    weights = {k: v for k, v in (("w_magnitude", args.magnitude_weight), ("w_temporal", args.temporal_weight))
               if v is not None}
    cfg = TrainConfig(steps=args.steps, lr=args.lr, window=args.window, batch=args.batch, render_scale=args.render_scale,
                      w_position=args.position_weight, w_image=args.image_weight, w_shape=args.shape_weight, seed=args.seed,
                      w_raar=args.raar_weight, raar_margin=args.raar_margin,
                      w_au_consistency=args.au_consistency_weight, au_estimator=args.au_estimator,
                      max_seconds=args.max_seconds, position_norm=args.position_norm, **weights)
    try:
        overrides = parse_overrides(args.set)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        summary = train(args.dataset, args.output, args.variant, cfg, args.device, args.backend, resume=not args.fresh,
                        model_overrides=overrides or None)
    except (DatasetError, TrainingError, CheckpointError, ModelConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2))
    return 0

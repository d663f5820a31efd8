"""Can a model configuration represent the rig's AUs at all? (The capacity half of the diagnosis in
docs/RESULTS.md, "Why the model could not fit the rig".)

No sequences, no audio, no rendering: every step shows the model the 17 AUs each alone at a random
intensity in 0..5 plus the neutral face, silent audio, and fits the rig's Gaussian centres directly
(mean distance over the Gaussians that move, plus the mean over all). If a configuration cannot fit
these 18 static poses, no amount of data or training time on sequences will make it reproduce the
AUs; if it can, the shortfall is in the data or the training.

    python scripts/model_fit_poses.py -o runs/poses_default.json --steps 3000 [--set KEY=VALUE ...]

Writes the per-AU response (core.training.au_response) and the loss curve as JSON.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    import numpy as np
    import torch

    from core import rig
    from core.aus import NUM_AUS
    from core.commands.train import parse_overrides
    from core.head import default_head
    from core.model.deform import EmoZoneModel, ModelConfig, cloud_memberships
    from core.training.au_response import au_response, response_table, silent_audio

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--magnitude-weight", type=float, default=0.0)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--mask", choices=["pose", "union"], default="pose",
                   help="moving Gaussians per pose, or the union over the poses (as the sequence trainer did)")
    p.add_argument("--loss", choices=["l1", "l2"], default="l1", help="distance, or squared distance (mm)")
    p.add_argument("--subset", type=int, default=None,
                   help="train on this many Gaussians (the moving ones first), to try configurations on a CPU")
    p.add_argument("--log-every", type=int, default=100)
    p.add_argument("--max-seconds", type=float, default=None, help="stop training after this long")
    args = p.parse_args(argv)
    overrides = parse_overrides(args.set)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    dev = torch.device(args.device)
    head = default_head().to(dev)
    cfg = ModelConfig.from_dict(overrides)
    model = EmoZoneModel.for_cloud(head.cloud, cfg).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.steps, eta_min=args.lr * 0.1)
    w = max(model.au_radius, 1)
    frames = 2 * w + 1
    audio = model.encode_audio  # the audio encoder is trained too (silence must give no motion)
    mel = silent_audio(model, frames).to(dev)
    cloud = head.cloud
    if args.subset:
        eye = torch.eye(NUM_AUS, device=dev) * 5.0
        moves = ((rig.deform(head, eye).means - cloud.means[None]).norm(dim=-1) > 1e-4).any(dim=0)
        g = torch.Generator().manual_seed(args.seed)
        mov = torch.nonzero(moves).flatten().cpu()
        still = torch.nonzero(~moves).flatten().cpu()
        k = min(len(mov), int(args.subset * 0.8))
        keep = torch.cat([mov[torch.randperm(len(mov), generator=g)[:k]],
                          still[torch.randperm(len(still), generator=g)[:args.subset - k]]]).to(dev)
    else:
        keep = None
    base = cloud.means if keep is None else cloud.means[keep]
    members = cloud_memberships(cloud)
    curve, t0 = [], time.perf_counter()
    for step in range(1, args.steps + 1):
        ctx = model.context_for(cloud) if keep is None else model.gaussian_context(base, members[keep])
        # 18 poses: neutral + each AU alone, constant over the window (so CIT-AE sees a held AU).
        level = torch.as_tensor(rng.uniform(0.0, 5.0, NUM_AUS), dtype=torch.float32, device=dev)
        poses = torch.zeros(NUM_AUS + 1, NUM_AUS, device=dev)
        poses[torch.arange(1, NUM_AUS + 1), torch.arange(NUM_AUS)] = level
        truth = rig.deform(head, poses).means  # [18, N, 3]
        if keep is not None:
            truth = truth[:, keep]
        au_seq = poses[:, None, :].expand(-1, frames, -1)  # [18, frames, 17]
        cond = torch.cat([model.encode_au(a, torch.tensor([w], device=dev)) for a in au_seq])
        tok = audio(mel)[w:w + 1].expand(NUM_AUS + 1, -1)
        out = model.decode(ctx, tok, cond)
        err = (base[None] + out.d_mu - truth).norm(dim=-1) * 1000.0  # mm [18, N]
        if args.loss == "l2":
            err = err.square()
        moving = (truth - base[None]).norm(dim=-1) > 1e-4  # [18, N]
        if args.mask == "union":
            moving = moving.any(dim=0, keepdim=True).expand_as(moving)
        loss = err.mean() + err[moving].mean()
        if args.magnitude_weight:
            loss = loss + args.magnitude_weight * out.d_mu.pow(2).mean() * 1e6
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % args.log_every == 0 or step == args.steps:
            print(f"step {step} moving error {float(err[moving].mean()):.4f}", flush=True)
            curve.append({"step": step, "moving_err": float(err[moving].mean().detach()),
                          "seconds": time.perf_counter() - t0})
            if args.max_seconds is not None and time.perf_counter() - t0 > args.max_seconds:
                break
    model.eval()
    rows = au_response(model, head)
    print(f"{args.output}: {overrides}, lr {args.lr}, {step} steps, {time.perf_counter() - t0:.0f} s")
    print(response_table(rows))
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps({
        "config": overrides, "lr": args.lr, "steps": step, "curve": curve,
        "parameters": model.parameter_counts()["total"],
        "au_response": [r.__dict__ for r in rows]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Training the EmoZone deformation model on a synthetic data set (core.training.dataset).

Each step takes a window of consecutive frames of one training sequence and one camera, predicts
the deformation (the CIT-AE sees the AU curve around the window, the audio encoder the mel windows
around it), renders the deformed head and compares it with the data set's frame:

    loss = L1 + 0.2 D-SSIM (rendered vs data set frame)
         + w_t * mean ||second difference of d_mu over the window||^2    (in millimetres)
         + w_m * offset magnitude
         + w_p * mean distance of Gaussian centres to the rig's truth     (in millimetres; optional)
         + w_s * (mean |log-scale error| + mean |rotation error|)         (the rig's truth; optional)

Only the Gaussians that can move (static membership < 1) are decoded: the model gives the others
exactly zero offsets, so their terms are constants. The rig's truth of each window is computed when
the window is drawn (a few small matrix products), not stored for every frame.

Checkpoints are safetensors (core.model.checkpoint) plus the optimiser state in a second
safetensors file, so a run resumes where it stopped. Losses are logged as JSON lines.
"""
from __future__ import annotations

import dataclasses
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

from core.progress import TextProgress
from core.training.dataset import Dataset, load_dataset

from core.training.variants import VARIANT_TITLES, VARIANTS  # noqa: F401 (re-exported)

MM = 1000.0  # metres -> millimetres, so loss terms are of order one


@dataclasses.dataclass
class TrainConfig:
    steps: int = 2000
    lr: float = 2e-3
    window: int = 5  # consecutive frames per step (>= 3 for the temporal term)
    batch: int = 1  # windows per step, each from a random sequence and camera, decoded together
    render_scale: float = 1.0  # < 1 renders and compares at a lower resolution (CPU toy runs)
    w_image: float = 1.0
    w_dssim: float = 0.2
    w_temporal: float = 0.02
    w_magnitude: float = 1e-4
    w_position: float = 0.05
    #: The Gaussians' rotations and log-scales against the rig's (the jaw turns the teeth and chin,
    #: the mouth cavity grows when it opens): the position term alone leaves d_rot and d_log_scale
    #: untrained in geometry-only runs. Rotation error: |q - sign(q . q_rig) q_rig|_1.
    w_shape: float = 0.0
    #: "all": mean error over every Gaussian; "frame": over the Gaussians the truth moves in each
    #: frame, plus the mean over all (so still parts stay still); "moving": over the Gaussians the
    #: truth moves anywhere in the window, plus the mean over all. Motion is sparse (a blink moves
    #: ~1% of the head): a plain mean lets the model learn to ignore it, and so does "moving" (the
    #: first setting), since a Gaussian that moves in one frame of five is still in the other four
    #: and the mean distance is smallest when it never moves.
    position_norm: str = "frame"
    #: RAAR (region-aware attention regularisation, the paper's): hinge losses that keep the mean
    #: attention mass on the AU tokens above that on the audio token by ``raar_margin`` in the upper
    #: face Z_E, and the other way round in the mouth Z_A. Only for models with the zone bias (PAB)
    #: and AU tokens; measured on a fixed sample of those regions' Gaussians each step.
    w_raar: float = 0.01
    raar_margin: float = 0.2
    #: The paper's AU-consistency term (its weight 0.05): the frozen image AU estimator
    #: (core.training.au_cnn) reads the rendered frames, L1 to the window's AUs / 5. Only with the
    #: image term (it needs renders); ``au_estimator``: its file (default: the shipped one).
    w_au_consistency: float = 0.05
    au_estimator: str | None = None
    log_every: int = 25
    checkpoint_every: int = 250
    seed: int = 0
    #: Stop after this much training time even before ``steps``; the cosine decay then follows
    #: whichever of the two budgets is further spent, so a timed run still ends at the low rate.
    max_seconds: float | None = None


class TrainingError(RuntimeError):
    pass


def model_config_for(variant: str, **overrides):
    from core.model.deform import ModelConfig

    if variant not in VARIANTS:
        raise TrainingError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    return ModelConfig.from_dict({**VARIANTS[variant], **overrides})


def _optimizer_path(ckpt: Path) -> Path:
    return ckpt.with_name(ckpt.stem + ".optim.safetensors")


def save_optimizer(path: Path, opt: torch.optim.Optimizer, step: int) -> None:
    from safetensors.torch import save

    from core.fileio import atomic_write_bytes

    tensors = {}
    for i, p in enumerate(opt.param_groups[0]["params"]):
        for key, value in opt.state.get(p, {}).items():
            if torch.is_tensor(value):
                tensors[f"{i}.{key}"] = value.detach().cpu().contiguous()
    atomic_write_bytes(path, save(tensors, metadata={"step": str(step)}))


def load_optimizer(path: Path, opt: torch.optim.Optimizer) -> None:
    from safetensors.torch import load

    tensors = load(path.read_bytes())
    params = opt.param_groups[0]["params"]
    for key, value in tensors.items():
        i, name = key.split(".", 1)
        p = params[int(i)]
        opt.state.setdefault(p, {})[name] = value.to(p.device) if name != "step" else value


class Trainer:
    def __init__(self, dataset: Dataset, head, variant: str, config: TrainConfig, device: str,
                 backend: str = "auto", model_overrides: dict | None = None):
        from core.model.deform import EmoZoneModel
        from core.render import get_renderer

        if dataset.head_fingerprint != head.fingerprint():
            raise TrainingError(
                f"{dataset.root}: data set was made for head {dataset.head_fingerprint[:12]}, "
                f"not {head.fingerprint()[:12]}")
        self.ds, self.cfg, self.variant, self.device = dataset, config, variant, torch.device(device)
        self.head = head.to(self.device)
        self.cloud = self.head.cloud
        self.model_config = model_config_for(variant, **(model_overrides or {}))
        torch.manual_seed(config.seed)
        self.model = EmoZoneModel.for_cloud(self.cloud, self.model_config).to(self.device)
        self.model_config = self.model.config  # for_cloud fills in the head's size where the config needs it
        if backend == "auto":
            backend = "gsplat" if self.device.type == "cuda" else "reference"
        # Geometry-only training (no image term) renders nothing: it needs no renderer, nor gsplat.
        self.renderer = get_renderer(backend) if config.w_image > 0 else None
        self.au_net = None
        if config.w_image > 0 and config.w_au_consistency > 0:
            from core.training.au_cnn import AUEstimatorError, load_au_net

            try:
                self.au_net, _meta = load_au_net(config.au_estimator, device=self.device)
            except AUEstimatorError as exc:
                raise TrainingError(f"AU-consistency term: {exc} (train one with `main.py au-estimator`, "
                                    "or pass --au-consistency-weight 0)") from None
        self.rng = np.random.default_rng(config.seed)
        self.train_seqs = dataset.split("train")
        if not self.train_seqs:
            raise TrainingError(f"{dataset.root}: no training sequences")
        w = max(1, int(round(dataset.width * config.render_scale)))
        h = max(1, int(round(dataset.height * config.render_scale)))
        self.size = (w, h)
        self.cameras = [c.camera(head, dataset.width, dataset.height).resized(w, h) for c in dataset.cameras]
        self._prepare_sequences()
        from core.model.deform import STATIC, cloud_memberships

        self.memberships = cloud_memberships(self.cloud)
        # The Gaussians the model can move; a per-Gaussian code needs the whole cloud.
        self.active = None if self.model_config.gaussian_latent else \
            torch.nonzero(self.memberships[:, STATIC] < 1.0).squeeze(1)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=config.lr)
        self.step = 0
        self._raar = self._raar_sample()

    def _raar_sample(self, per_region: int = 1024):
        """(rows of the decoded Gaussians, their Z_A and Z_E memberships) for RAAR, or None when the
        model has no zone bias or no AU tokens (or RAAR is off)."""
        from core.model.sz_pab import scheme_matrix

        att = getattr(self.model, "attention", None)
        if self.cfg.w_raar <= 0 or att is None or not att.pab or att.num_tokens < 3:
            return None
        m = self.memberships if self.active is None else self.memberships[self.active]
        regions = m @ scheme_matrix("paper3").to(m)  # [n, 4]: Z_A, Z_E, Z_S, static
        g = torch.Generator().manual_seed(self.cfg.seed)
        rows = []
        for r in (0, 1):
            idx = torch.nonzero(regions[:, r] > 0.5).flatten().cpu()
            rows.append(idx[torch.randperm(len(idx), generator=g)[:per_region]])
        rows = torch.cat(rows).to(self.device)
        if len(rows) == 0:
            return None
        return rows, regions[rows, 0], regions[rows, 1]

    def raar_loss(self, ctx, audio_tokens, au_cond):
        """L_RAAR = L_upper + L_mouth on the fixed sample (see TrainConfig.w_raar)."""
        rows, w_a, w_e = self._raar
        att = self.model.attention
        tokens = torch.cat([audio_tokens[:, None], au_cond], dim=1)
        _o, alpha = att.attend(ctx.queries[rows], tokens, ctx.bias[rows], return_weights=True)
        alpha = alpha.mean(dim=1)  # [T, n, J], heads averaged
        audio_mass, au_mass = alpha[..., 0], alpha[..., 1:-1].sum(-1)  # the last token is the null

        def region(x, w):
            return (x * w).sum(-1).mean() / w.sum().clamp_min(1e-6)

        m = self.cfg.raar_margin
        upper = torch.relu(m + region(audio_mass, w_e) - region(au_mass, w_e))
        mouth = torch.relu(m + region(au_mass, w_a) - region(audio_mass, w_a))
        return upper + mouth

    def _prepare_sequences(self) -> None:
        """Per training sequence: AU, speech controls and mel windows on the device, and the truth
        frames (resized) for the image term."""
        from core.audio.features import mel_windows

        if self.cfg.batch < 1 or self.cfg.window < 1:
            raise TrainingError(f"batch ({self.cfg.batch}) and window ({self.cfg.window}) must be >= 1")
        self.data = []
        for seq in self.train_seqs:
            t = seq.num_frames
            if t < self.cfg.window:
                raise TrainingError(f"{self.ds.root}: sequence {seq.name} has {t} frames, fewer than the "
                                    f"window of {self.cfg.window}")
            au = torch.as_tensor(seq.au, device=self.device)
            mel = torch.as_tensor(mel_windows(seq.mel, self.ds.fps, t, self.model_config.audio_window), device=self.device)
            frames = []
            for k in range(len(self.cameras) if self.cfg.w_image > 0 else 0):
                f = torch.from_numpy(np.array(seq.frames(k))).to(self.device)  # uint8 [T, H, W, 3]
                if self.size != (self.ds.width, self.ds.height):
                    f = torch.nn.functional.interpolate(f.permute(0, 3, 1, 2).float(), size=self.size[::-1], mode="area")
                    f = f.permute(0, 2, 3, 1).round().clamp(0, 255).to(torch.uint8)
                frames.append(f)
            speech = torch.as_tensor(seq.speech, device=self.device, dtype=torch.float32)
            self.data.append({"au": au, "speech": speech, "mel": mel, "frames": frames, "T": t})

    # ------------------------------------------------------------------ one step
    def loss_on_window(self, d: dict, a: int, cam_index: int):
        """The loss of one window (frames a .. a + window - 1 of sequence ``d``, camera ``cam_index``)."""
        return self.loss_on_windows([(d, a, cam_index)])

    def loss_on_windows(self, windows: list[tuple[dict, int, int]]):
        """The loss of a batch of windows [(sequence, first frame, camera)], decoded together: every
        term is the mean over the windows. Returns (loss, {term: value})."""
        from core import rig
        from core.model.deform import apply_deformation
        from core.model.losses import image_loss, offset_magnitude, temporal_second_difference

        cfg, w, act = self.cfg, self.cfg.window, self.active
        means = self.cloud.means if act is None else self.cloud.means[act]
        ctx = self.model.gaussian_context(means, self.memberships if act is None else self.memberships[act])
        pad = self.model_config.audio_smooth // 2  # the audio smoother sees neighbouring frames
        audio, au = [], []
        for d, a, _ in windows:
            lo, hi = max(0, a - pad), min(d["T"], a + w + pad)
            audio.append(self.model.encode_audio(d["mel"][lo:hi])[a - lo : a - lo + w])
            au.append(self.model.encode_au(d["au"], torch.arange(a, a + w, device=self.device)))
        out = self.model.decode(ctx, torch.cat(audio), torch.cat(au))  # [B * window] frames
        terms = {}
        if self._raar is not None:
            terms["raar"] = cfg.w_raar * self.raar_loss(ctx, torch.cat(audio), torch.cat(au))
        if cfg.w_image > 0:
            full = out
            if act is not None:  # the others' offsets are exactly zero
                def scatter(x):
                    return x.new_zeros(x.shape[0], len(self.cloud), x.shape[2]).index_copy(1, act, x)
                full = type(out)(scatter(out.d_mu), scatter(out.d_rot), scatter(out.d_log_scale))
            image, au_term = 0.0, 0.0
            for k, (d, a, cam) in enumerate(windows):
                preds = []
                for t in range(k * w, (k + 1) * w):
                    cloud_t = apply_deformation(self.cloud, full.d_mu[t], full.d_rot[t], full.d_log_scale[t])
                    preds.append(self.renderer.render(cloud_t, self.cameras[cam]).color)
                target = d["frames"][cam][a:a + w].float() / 255.0
                image = image + image_loss(torch.stack(preds), target, cfg.w_dssim)
                if self.au_net is not None:
                    from core.training.au_cnn import au_consistency_loss

                    au_term = au_term + au_consistency_loss(self.au_net, torch.stack(preds).clamp(0, 1),
                                                            d["au"][a:a + w])
            terms["image"] = cfg.w_image * image / len(windows)
            if self.au_net is not None:
                terms["au_consistency"] = cfg.w_au_consistency * au_term / len(windows)
        d_mu = out.d_mu.reshape(len(windows), w, *out.d_mu.shape[1:])
        terms["temporal"] = cfg.w_temporal * torch.stack(
            [temporal_second_difference(x * MM) for x in d_mu]).mean()
        terms["magnitude"] = cfg.w_magnitude * offset_magnitude(out)
        if cfg.w_position > 0 or cfg.w_shape > 0:
            with torch.no_grad():
                truth = rig.deform(self.head, torch.cat([d["au"][a:a + w] for d, a, _ in windows]),
                                   torch.cat([d["speech"][a:a + w] for d, a, _ in windows]))
            sel = (lambda x: x) if act is None else (lambda x: x[:, act])
            t_means, t_quats, t_logs = sel(truth.means), sel(truth.quats), sel(truth.log_scales)  # [B * w, n, .]
            t_quats = t_quats / t_quats.norm(dim=-1, keepdim=True).clamp_min(1e-12)
            moving = (t_means - means).norm(dim=-1) > 1e-4  # the truth moves it > 0.1 mm [B * w, n]
            if cfg.position_norm == "moving":
                m = moving.reshape(len(windows), w, -1).any(dim=1, keepdim=True).expand(-1, w, -1)
                moving = m.reshape(moving.shape)
            if cfg.w_position > 0:
                err = (means + out.d_mu - t_means).norm(dim=-1) * MM  # [B * w, n]
                loss = err.mean()
                if cfg.position_norm in ("moving", "frame") and moving.any():
                    loss = loss + err[moving].mean()
                terms["position"] = cfg.w_position * loss
            if cfg.w_shape > 0:
                q = self.cloud.normalized_quats if act is None else self.cloud.normalized_quats[act]
                q = q + out.d_rot
                q = q / q.norm(dim=-1, keepdim=True).clamp_min(1e-12)
                sign = torch.sign((q * t_quats).sum(-1, keepdim=True)).detach()
                sign = torch.where(sign == 0, torch.ones_like(sign), sign)
                base_logs = self.cloud.log_scales if act is None else self.cloud.log_scales[act]
                err = (q - sign * t_quats).abs().sum(-1) + (base_logs + out.d_log_scale - t_logs).abs().sum(-1)
                changed = moving | ((t_logs - base_logs).abs().sum(-1) > 1e-3)
                loss = err.mean()
                if cfg.position_norm in ("moving", "frame") and changed.any():
                    loss = loss + err[changed].mean()
                terms["shape"] = cfg.w_shape * loss
        return sum(terms.values()), {k: float(v.detach()) for k, v in terms.items()}

    def learning_rate(self, spent: float) -> float:
        """Cosine decay to a tenth of the rate over the run; ``spent`` is the fraction of the run done."""
        return self.cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(max(spent, 0.0), 1.0))))

    def train_step(self, spent: float | None = None) -> dict:
        """One step at the learning rate for ``spent`` (the fraction of the run done; by default
        step / steps, which a timed run replaces with the larger of that and its time spent)."""
        lr = self.learning_rate(self.step / max(self.cfg.steps, 1) if spent is None else spent)
        for group in self.opt.param_groups:
            group["lr"] = lr
        windows = []
        for _ in range(self.cfg.batch):
            d = self.data[int(self.rng.integers(len(self.data)))]
            a = int(self.rng.integers(0, max(d["T"] - self.cfg.window, 0) + 1))
            windows.append((d, a, int(self.rng.integers(len(self.cameras)))))
        self.model.train()
        loss, terms = self.loss_on_windows(windows)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.opt.step()
        self.step += 1
        terms["loss"] = float(loss.detach())
        return terms

    # ------------------------------------------------------------------ checkpoints
    def save(self, path: Path, extra: dict | None = None) -> None:
        from core.model.checkpoint import save_checkpoint

        info = {"step": self.step, "variant": self.variant, "train_config": dataclasses.asdict(self.cfg),
                "dataset": str(self.ds.root.name), **(extra or {})}
        save_checkpoint(path, self.model, self.model_config, self.head.fingerprint(), info)
        save_optimizer(_optimizer_path(path), self.opt, self.step)

    def resume(self, path: Path) -> bool:
        from core.model.checkpoint import load_checkpoint

        if not path.exists():
            return False
        model, config, meta = load_checkpoint(path, self.head.fingerprint(), device=self.device)
        if config != self.model_config:
            raise TrainingError(f"{path}: checkpoint is of another model configuration; use a new output path")
        self.model.load_state_dict(model.state_dict())
        self.step = int(meta["extra"].get("step", 0))
        opt_path = _optimizer_path(path)
        if opt_path.exists():
            load_optimizer(opt_path, self.opt)
        return True


def train(dataset_dir, out_path, variant: str = "full", config: TrainConfig | None = None, device: str | None = None,
          backend: str = "auto", resume: bool = True, progress: bool = True, head=None, model_overrides=None) -> dict:
    """Train one variant; returns a summary (steps, seconds, final losses)."""
    from core.head import default_head

    config = config or TrainConfig()
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    head = head or default_head()
    ds = load_dataset(dataset_dir, require_frames=config.w_image > 0)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    trainer = Trainer(ds, head, variant, config, device, backend, model_overrides)
    if resume and trainer.resume(out_path):
        print(f"resumed {out_path} at step {trainer.step}", file=sys.stderr)
    log_path = out_path.with_name(out_path.stem + ".log.jsonl")
    bar = TextProgress(f"train {variant}", "steps", enabled=progress)
    t0 = time.perf_counter()
    recent: list[dict] = []
    with open(log_path, "a") as log:
        while trainer.step < config.steps:
            spent = None
            if config.max_seconds is not None:
                elapsed = time.perf_counter() - t0
                if elapsed >= config.max_seconds:
                    break
                spent = max(trainer.step / max(config.steps, 1), elapsed / config.max_seconds)
            terms = trainer.train_step(spent)
            recent = (recent + [terms])[-config.log_every:]
            if trainer.step % config.log_every == 0 or trainer.step == config.steps:
                mean = {k: float(np.mean([r[k] for r in recent])) for k in recent[0]}
                log.write(json.dumps({"step": trainer.step, **mean}) + "\n")
                log.flush()
            if trainer.step % config.checkpoint_every == 0 or trainer.step == config.steps:
                trainer.save(out_path, {"seconds": time.perf_counter() - t0})
            bar(trainer.step, config.steps, f"loss {terms['loss']:.4f}")
        if trainer.step % config.checkpoint_every and trainer.step < config.steps:  # stopped by max_seconds
            trainer.save(out_path, {"seconds": time.perf_counter() - t0})
    seconds = time.perf_counter() - t0
    final = {k: float(np.mean([r[k] for r in recent])) for k in recent[0]} if recent else {}
    return {"variant": variant, "steps": trainer.step, "seconds": seconds, "final": final,
            "checkpoint": str(out_path), "device": str(device)}

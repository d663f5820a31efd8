"""The results table of METHOD.md, measured on held-out sequences against the rig's exact truth.

Metrics (per model, averaged over the validation sequences):
    PSNR, SSIM        rendered frames (every `image_every`-th frame, all data set cameras) vs the data set
    LE-U, LE-L (mm)   landmark error, upper face (brows, lids, irises, nose) and lower face (lips, jaw)
    leak A->U (mm)    mean movement of upper-face landmarks when only the audio changes (another
                      sequence's speech under the same AU curves); the truth is 0
    leak AU->L (mm)   mean movement of lip landmarks when only upper-face AUs change (a brow raise and
                      a squint added); the truth is 0
    jitter            mean |second difference| of landmark tracks divided by the truth's (1 = as smooth as truth)
    fps               deformation of all Gaussians + a 512x512 render, frames per second on the device used
    lip F1            open/closed F1 of the lips against the truth: a frame is open where the truth's
                      inner-lip gap is at least the rig's at jaw_open 0.125 (core.training.lip_sync),
                      closed where it is under half that (the truth's speech controls come from
                      espeak-ng's phoneme timing); the prediction is open where its own gap reaches it
    AUE-U, AUE-L      mean |estimated - input| AU intensity (0..5) of the upper / lower face AUs, the
                      AUs estimated from the deformed Gaussians by the exact estimator
                      (core.training.au_estimator: the rig inverted by least squares)
    AU-Jerk           mean |second difference| per frame of the estimated AU tracks
    noise cut         the input AU curves with per-frame Gaussian noise (sigma ``NOISE_SIGMA`` AU,
                      clipped to 0..5): 1 - jerk(estimated AUs, noisy - clean) / jerk(input noise),
                      the share of the injected jitter the model removes (the paper: 61% with CIT-AE)
Rows "no deformation" (the canonical head every frame) and "rig" (the truth itself, through the same
estimator: the estimator's own floor) give the errors a scale.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from core.aus import AU_INDEX

LIP_LANDMARKS = ("lip_outer", "lip_inner", "lip_corners")
#: The noise stress test's per-frame AU noise (standard deviation, AU intensity units).
NOISE_SIGMA = 0.5


def _landmark_sets(head):
    upper, lower = head.landmark_split()
    lips = torch.cat([head.landmarks[k].reshape(-1) for k in LIP_LANDMARKS if k in head.landmarks])
    return upper, lower, lips


def _upper_face_edit(au: np.ndarray) -> np.ndarray:
    """The same AU curves plus a brow raise and a squint over the middle half (upper face only)."""
    t = au.shape[0]
    env = np.zeros(t)
    a, b = t // 4, 3 * t // 4
    ramp = max(3, (b - a) // 6)
    env[a:b] = 1.0
    env[a : a + ramp] = np.linspace(0, 1, ramp)
    env[b - ramp : b] = np.linspace(1, 0, ramp)
    out = au.copy()
    for name, value in (("AU01", 4.0), ("AU02", 4.0), ("AU07", 2.5)):
        out[:, AU_INDEX[name]] = np.clip(out[:, AU_INDEX[name]] + value * env, 0, 5)
    return out


class ModelPredictor:
    """Offsets of any subset of Gaussians for whole sequences, chunked over frames."""

    def __init__(self, model, head, device):
        self.model, self.head, self.device = model.eval(), head, device
        self.zones = head.cloud.attributes["zones"]

    @torch.no_grad()
    def means(self, idx, mel_win: torch.Tensor, au: torch.Tensor, chunk: int = 64) -> torch.Tensor:
        """Deformed centres [T, len(idx), 3] of the Gaussians idx."""
        base = self.head.cloud.means[idx]
        ctx = self.model.gaussian_context(base, self.zones[idx])
        audio = self.model.encode_audio(mel_win)
        out = []
        for a in range(0, au.shape[0], chunk):
            frames = torch.arange(a, min(a + chunk, au.shape[0]), device=self.device)
            o = self.model.decode(ctx, audio[frames], self.model.encode_au(au, frames))
            out.append(base[None] + o.d_mu)
        return torch.cat(out)

    @torch.no_grad()
    def clouds(self, mel_win, au, frames):
        from core.model.deform import apply_deformation

        ctx = self.model.context_for(self.head.cloud)
        audio = self.model.encode_audio(mel_win)
        f = torch.as_tensor(frames, device=self.device)
        o = self.model.decode(ctx, audio[f], self.model.encode_au(au, f))
        return [apply_deformation(self.head.cloud, o.d_mu[i], o.d_rot[i], o.d_log_scale[i]) for i in range(len(frames))]


class RigPredictor:
    """The rig itself, from the sequence's true speech controls: the 'rig' row (the truth, so its
    errors are the estimator's floor). ``speech`` is set per sequence by evaluate_predictor."""

    def __init__(self, head):
        self.head, self.speech = head, None

    @torch.no_grad()
    def means(self, idx, mel_win, au, chunk=64):
        from core import rig

        return torch.cat([rig.deform(self.head, au[a:a + chunk], self.speech[a:a + chunk]).means[:, idx]
                          for a in range(0, au.shape[0], chunk)])

    @torch.no_grad()
    def clouds(self, mel_win, au, frames):
        from core import rig

        f = torch.as_tensor(frames, device=au.device)
        out = rig.deform(self.head, au[f], self.speech[f])
        return [self.head.cloud.replace(means=out.means[i], quats=out.quats[i], log_scales=out.log_scales[i])
                for i in range(len(frames))]


class StaticPredictor:
    """The canonical head on every frame: the 'no deformation' row."""

    def __init__(self, head):
        self.head = head

    def means(self, idx, mel_win, au, chunk=64):
        return self.head.cloud.means[idx][None].expand(au.shape[0], -1, -1)

    def clouds(self, mel_win, au, frames):
        return [self.head.cloud for _ in frames]


def _jitter(tracks: torch.Tensor) -> float:
    dd = tracks[2:] - 2 * tracks[1:-1] + tracks[:-2]
    return float(dd.norm(dim=-1).mean())


def evaluate_predictor(predictor, ds, head, device, renderer, image_every: int = 5, fps_frames: int = 16,
                       estimator=None, images: bool = True) -> dict:
    from core import rig
    from core.audio.features import mel_windows
    from core.model.losses import ssim
    from core.training.au_estimator import au_errors, au_jerk
    from core.training.lip_sync import lip_gap_mm, lip_rows, open_closed_score, open_threshold_mm

    upper, lower, lips = (x.to(device) for x in _landmark_sets(head))
    both = torch.cat([upper, lower])
    val = ds.split("val")
    if not val:
        raise ValueError(f"{ds.root}: no validation sequences")
    window = getattr(getattr(predictor, "model", None), "config", None)
    window = window.audio_window if window is not None else 32
    rows = {k: [] for k in ("mse", "ssim", "le_u", "le_l", "leak_audio", "leak_au", "jitter")}
    if estimator is not None:
        rows.update({k: [] for k in ("aue_u", "aue_l", "au_jerk", "noise_cut")})
    lip_up, lip_low = (x.to(device) for x in lip_rows(head))
    lip_rows = torch.cat([lip_up, lip_low])
    up_i = torch.arange(len(lip_up), device=device)  # lip_gap_mm's rows within lip_rows
    low_i = torch.arange(len(lip_up), len(lip_rows), device=device)
    thr = open_threshold_mm(head)
    lip_pred, lip_true = [], []
    cams = [c.camera(head, ds.width, ds.height) for c in ds.cameras]
    noise_gen = torch.Generator().manual_seed(7)
    for i, seq in enumerate(val):
        t = seq.num_frames
        au = torch.as_tensor(seq.au, device=device)
        speech = torch.as_tensor(seq.speech, device=device)
        if isinstance(predictor, RigPredictor):
            predictor.speech = speech
        mel = torch.as_tensor(mel_windows(seq.mel, ds.fps, t, window), device=device)
        other = val[(i + 1) % len(val)] if len(val) > 1 else ds.split("train")[0]
        mel_other = torch.as_tensor(mel_windows(other.mel, ds.fps, t, window), device=device)  # edge-padded to T
        with torch.no_grad():
            truth = rig.deform(head, au, speech).means[:, both]
        pred = predictor.means(both, mel, au)
        err = (pred - truth).norm(dim=-1) * 1000.0
        nu = len(upper)
        rows["le_u"].append(float(err[:, :nu].mean()))
        rows["le_l"].append(float(err[:, nu:].mean()))
        jt = _jitter(truth)
        rows["jitter"].append(_jitter(pred) / jt if jt > 0 else float("nan"))
        moved = predictor.means(upper, mel_other, au) - predictor.means(upper, mel, au)
        rows["leak_audio"].append(float(moved.norm(dim=-1).mean() * 1000.0))
        au_edit = torch.as_tensor(_upper_face_edit(seq.au), device=device)
        moved = predictor.means(lips, mel, au_edit) - predictor.means(lips, mel, au)
        rows["leak_au"].append(float(moved.norm(dim=-1).mean() * 1000.0))
        # Lips open and closed on time (the truth's gap labels the frames).
        with torch.no_grad():
            true_gap = lip_gap_mm(rig.deform(head, au, speech).means[:, lip_rows], up_i, low_i)
        pred_gap = lip_gap_mm(predictor.means(lip_rows, mel, au), up_i, low_i)
        lip_true.append(np.where(true_gap >= thr, 1, np.where(true_gap < 0.5 * thr, 0, -1)))
        lip_pred.append(pred_gap >= thr)
        if estimator is not None:
            sample = estimator.rows
            est = estimator.estimate(predictor.means(sample, mel, au), speech)
            for k, v in au_errors(est, au).items():
                rows[k].append(v)
            rows["au_jerk"].append(au_jerk(est))
            noisy = (au + NOISE_SIGMA * torch.randn(au.shape, generator=noise_gen).to(device)).clamp(0.0, 5.0)
            est_noisy = estimator.estimate(predictor.means(sample, mel, noisy), speech)
            passed = au_jerk(est_noisy - est) / max(au_jerk(noisy - au), 1e-9)
            rows["noise_cut"].append(1.0 - passed)
        frames = list(range(0, t, image_every)) if images else []
        for a in range(0, len(frames), 8):
            chunk = frames[a : a + 8]
            clouds = predictor.clouds(mel, au, chunk)
            for cloud, f in zip(clouds, chunk):
                for k, cam in enumerate(cams):
                    img = renderer.render(cloud, cam).color.clamp(0, 1)
                    target = torch.from_numpy(np.array(seq.frames(k)[f])).to(img.device).float() / 255.0
                    # PSNR is taken of the mean MSE over the whole set: per-frame PSNR is infinite
                    # wherever the truth is the canonical head (silence, no AU), which would
                    # inflate the mean of a model that happens to leave those frames untouched.
                    rows["mse"].append(float(((img - target) ** 2).mean()))
                    rows["ssim"].append(float(ssim(img, target)))
    result = {k: float(np.mean(v)) if v else float("nan") for k, v in rows.items()}
    mse = result.pop("mse")
    result["psnr"] = float(10 * np.log10(1.0 / max(mse, 1e-12))) if images else float("nan")
    result["lip_f1"] = open_closed_score(np.concatenate(lip_pred), np.concatenate(lip_true), "").f1_macro
    # Throughput: deform every Gaussian and render one 512x512 frame, per frame.
    seq = val[0]
    au = torch.as_tensor(seq.au, device=device)
    mel = torch.as_tensor(mel_windows(seq.mel, ds.fps, seq.num_frames, window), device=device)
    cam = ds.cameras[0].camera(head, 512, 512)
    n = min(fps_frames, seq.num_frames)
    for rep in range(2):  # the first pass warms up kernels and caches
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for cloud in predictor.clouds(mel, au, list(range(n))):
            if renderer is not None:
                renderer.render(cloud, cam).color.sum().item()
            else:
                cloud.means.sum().item()
        if device.type == "cuda":
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - t0
    result["fps"] = n / elapsed
    return result


def evaluate(dataset_dir, checkpoints: dict[str, str], device=None, backend: str = "auto", image_every: int = 5,
             head=None, include_static: bool = True, fps_frames: int = 16, images: bool | None = None,
             au_estimates: bool = True, include_rig: bool | None = None) -> dict:
    """{row name: metrics} for each checkpoint (and the no-deformation and rig rows).

    images: compare rendered frames (PSNR, SSIM); None: when the data set has its frames.
    backend "none": no renderer (no images; fps is the deformation alone). au_estimates: the exact
    AU estimator's columns (AUE-U/L, AU-Jerk, noise cut). include_rig: the rig row (default: with
    au_estimates, as the estimator's floor)."""
    from core.head import default_head
    from core.model.checkpoint import load_checkpoint
    from core.render import get_renderer
    from core.training.au_estimator import RigAUEstimator
    from core.training.dataset import DatasetError, load_dataset

    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    head = (head or default_head()).to(device)
    if backend == "none":
        images = False
    if images is None:  # the evaluation renders the held-out sequences only
        try:
            ds = load_dataset(dataset_dir, require_frames="val")
            images = True
        except DatasetError as exc:
            if "not rendered yet" not in str(exc):
                raise
            ds, images = load_dataset(dataset_dir, require_frames=False), False
    else:
        ds = load_dataset(dataset_dir, require_frames="val" if images else False)
    if backend == "auto":
        backend = "gsplat" if device.type == "cuda" else "gl"
    renderer = get_renderer(backend) if backend != "none" else None
    estimator = RigAUEstimator(head) if au_estimates else None
    include_rig = au_estimates if include_rig is None else include_rig
    kw = dict(image_every=image_every, fps_frames=fps_frames, estimator=estimator, images=images)
    results = {}
    if include_static:
        results["no deformation"] = evaluate_predictor(StaticPredictor(head), ds, head, device, renderer, **kw)
    if include_rig:
        results["rig"] = evaluate_predictor(RigPredictor(head), ds, head, device, renderer, **kw)
    for name, path in checkpoints.items():
        model, _config, meta = load_checkpoint(path, head.fingerprint(), device=device)
        res = evaluate_predictor(ModelPredictor(model.to(device), head, device), ds, head, device, renderer, **kw)
        res["steps"] = int(meta["extra"].get("step", 0))
        res["train_seconds"] = float(meta["extra"].get("seconds", float("nan")))
        results[name] = res
    if renderer is not None:
        renderer.close()
    return results


def _f(value, fmt: str) -> str:
    return "–" if value is None or not np.isfinite(value) else format(value, fmt)


def results_markdown(results: dict, device_name: str) -> str:
    from core.training.variants import VARIANT_TITLES

    lines = [
        f"Device: {device_name}. Held-out sequences; landmark errors (LMD) and leakage in millimetres on a "
        "head about 0.24 m tall; AU errors in AU intensity (0..5) from the exact estimator; jitter of the "
        "landmark tracks relative to the truth (1.0 = as smooth as the truth). Columns: docs/RESULTS.md.",
        "",
        "| model | PSNR (dB) | SSIM | LMD-U | LMD-L | lip F1 | AUE-U | AUE-L | AU-Jerk | noise cut | "
        "leak audio->upper | leak AU->lips | jitter | fps |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        title = VARIANT_TITLES.get(name, name)
        g = r.get
        lines.append(
            f"| {title} | {_f(g('psnr'), '.2f')} | {_f(g('ssim'), '.4f')} | {_f(g('le_u'), '.3f')} | "
            f"{_f(g('le_l'), '.3f')} | {_f(g('lip_f1'), '.3f')} | {_f(g('aue_u'), '.3f')} | {_f(g('aue_l'), '.3f')} | "
            f"{_f(g('au_jerk'), '.3f')} | {_f(g('noise_cut'), '.0%')} | {_f(g('leak_audio'), '.4f')} | "
            f"{_f(g('leak_au'), '.4f')} | {_f(g('jitter'), '.2f')} | {_f(g('fps'), '.1f')} |")
    return "\n".join(lines) + "\n"


def write_results(results: dict, path: str | Path, device_name: str) -> None:
    from core.fileio import atomic_write_bytes

    path = Path(path)
    atomic_write_bytes(path.with_suffix(".json"), json.dumps({"device": device_name, "results": results}, indent=2).encode())
    atomic_write_bytes(path.with_suffix(".md"), results_markdown(results, device_name).encode())

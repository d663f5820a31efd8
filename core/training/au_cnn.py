"""The image AU estimator of the AU-consistency loss: a small CNN that reads the 17 AU intensities
from a rendered face, trained here on synthetic renders with exact labels.

The paper applies JAA-Net, frozen, to its rendered frames and adds an L1 loss to the target AUs
(weight 0.05). JAA-Net's weights cannot be had offline; this network plays its role. It is trained
on renders of the default head posed by the rig (random sparse AUs, random speech controls, cameras
within the data set's +-30 degrees of yaw), so its labels are exact. It is only the training signal:
the evaluation reads AUs with core.training.au_estimator, which inverts the rig from geometry and
shares nothing with this network (as the paper evaluates with OpenFace, not JAA-Net).

``python main.py au-estimator`` trains it and writes ``assets/models/au_estimator.safetensors`` with
its held-out accuracy in the file's metadata; docs/RESULTS.md quotes it.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from core.aus import AU_MAX, NUM_AUS, NUM_SPEECH

#: The network's input: square crops of the face camera's frame, this many pixels a side.
INPUT = 96
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "assets" / "models" / "au_estimator.safetensors"


class AUEstimatorError(ValueError):
    """A missing, corrupt or mismatched estimator file (the message names it)."""


class AUNet(nn.Module):
    """Images [B, H, W, 3] in 0..1 (any size; resized to INPUT) -> AU intensities [B, 17] in 0..5.
    Four 3x3 convolution blocks (batch norm, ReLU, 2x2 max pooling: 96 -> 6 pixels), then two layers."""

    def __init__(self, width: int = 32):
        super().__init__()
        w = int(width)
        layers, cin = [], 3
        for cout in (w, 2 * w, 4 * w, 4 * w):
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2)]
            cin = cout
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(cin * 36, 128), nn.ReLU(), nn.Linear(128, NUM_AUS))
        self.width = w

    def raw(self, images: torch.Tensor) -> torch.Tensor:
        """The unbounded estimate [B, 17] (what training fits, and what the consistency term reads:
        a clamp would give no gradient where the estimate is below 0)."""
        x = images.permute(0, 3, 1, 2).float()
        if x.shape[-1] != INPUT or x.shape[-2] != INPUT:
            x = nn.functional.interpolate(x, size=(INPUT, INPUT), mode="bilinear", align_corners=False,
                                          antialias=True)
        return self.head(self.features(x * 2.0 - 1.0))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        # Trained unbounded (a sigmoid's flat ends stalled it); read as an intensity, clamped.
        out = self.raw(images)
        return out if self.training else out.clamp(0.0, AU_MAX)


def sample_poses(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Random training poses: each AU on with probability 0.3 at 0.5..5, each speech control on with
    probability 0.4 at 0..1, camera yaw -30..30 and pitch -6..6 degrees."""
    rng = np.random.default_rng(seed)
    au = np.where(rng.random((n, NUM_AUS)) < 0.3, rng.uniform(0.5, AU_MAX, (n, NUM_AUS)), 0.0)
    speech = np.where(rng.random((n, NUM_SPEECH)) < 0.4, rng.uniform(0.0, 1.0, (n, NUM_SPEECH)), 0.0)
    return {"au": au.astype(np.float32), "speech": speech.astype(np.float32),
            "yaw": rng.uniform(-30, 30, n).astype(np.float32), "pitch": rng.uniform(-6, 6, n).astype(np.float32)}


@torch.no_grad()
def render_poses(head, poses: dict[str, np.ndarray], size: int = INPUT, renderer=None, progress=None) -> np.ndarray:
    """uint8 renders [n, size, size, 3] of the head posed by the rig, framed as the data set frames it."""
    from core import rig
    from core.render import get_renderer
    from core.training.dataset import face_orbit

    own = renderer is None
    renderer = renderer or get_renderer("auto")
    n = len(poses["au"])
    out = np.zeros((n, size, size, 3), np.uint8)
    try:
        for a in range(0, n, 16):
            b = min(a + 16, n)
            frames = rig.deform(head, torch.as_tensor(poses["au"][a:b]), torch.as_tensor(poses["speech"][a:b]))
            for k in range(b - a):
                cam = face_orbit(head, float(poses["yaw"][a + k]), float(poses["pitch"][a + k])).camera(size, size)
                img = renderer.render(frames.cloud(k), cam).color.clamp(0, 1)
                out[a + k] = (img.detach().cpu().numpy() * 255.0 + 0.5).astype(np.uint8)
            if progress is not None:
                progress(b, n)
    finally:
        if own:
            renderer.close()
    return out


def accuracy(net: AUNet, images: np.ndarray, labels: np.ndarray, batch: int = 128) -> dict:
    """Held-out accuracy: mean |estimate - label| overall, per AU, and the share of AUs read within
    0.5 of their label."""
    net.eval()
    preds = []
    with torch.no_grad():
        for a in range(0, len(images), batch):
            preds.append(net(torch.as_tensor(images[a:a + batch]).float() / 255.0).numpy())
    p = np.concatenate(preds)
    err = np.abs(p - labels)
    from core.aus import AU_NAMES

    return {"mae": float(err.mean()), "within_0_5": float((err <= 0.5).mean()),
            "per_au": {name: float(err[:, i].mean()) for i, name in enumerate(AU_NAMES)}}


def train_au_net(images: np.ndarray, labels: np.ndarray, epochs: int = 15, batch: int = 64, lr: float = 1e-3,
                 seed: int = 0, width: int = 32, log=None) -> AUNet:
    """Train on uint8 images [n, H, W, 3] and AU labels [n, 17] (squared error, Adam, cosine decay).
    Not L1: most labels are 0 (an AU is off), and an L1 fit first settles on predicting 0 for
    everything, the labels' median, and stays there."""
    torch.manual_seed(seed)
    net = AUNet(width)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    steps = epochs * max(1, int(np.ceil(len(images) / batch)))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps, eta_min=lr * 0.05)
    x_all = torch.as_tensor(images)
    y_all = torch.as_tensor(labels, dtype=torch.float32)
    g = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(images), generator=g)
        total = 0.0
        for a in range(0, len(images), batch):
            idx = order[a:a + batch]
            pred = net(x_all[idx].float() / 255.0)
            loss = (pred - y_all[idx]).square().mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        if log is not None:
            log(epoch + 1, total / len(images))
    return net.eval()


def au_consistency_loss(net: AUNet, images: torch.Tensor, target_au: torch.Tensor) -> torch.Tensor:
    """The AU-consistency term: mean |net(images) - target| / 5 over the frames [T, H, W, 3] (0..1)
    and their target AUs [T, 17]. The network is frozen (no gradient to it); the gradient reaches
    the images, so the deformation model learns to show the AUs the estimator reads."""
    return (net.raw(images) - target_au.to(images)).abs().mean() / AU_MAX


def save_au_net(path, net: AUNet, meta: dict) -> None:
    from safetensors.torch import save

    from core.fileio import atomic_write_bytes

    header = {"format": "emozone-au-estimator", "version": "1", "width": str(net.width), "input": str(INPUT),
              "meta": json.dumps(meta)}
    atomic_write_bytes(Path(path), save({k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()},
                                        metadata=header))


def load_au_net(path=None, device=None) -> tuple[AUNet, dict]:
    """(the frozen network, its metadata: accuracy, samples, ...). AUEstimatorError names the file."""
    from safetensors import SafetensorError, safe_open

    path = Path(path) if path is not None else DEFAULT_PATH
    if not path.is_file():
        raise AUEstimatorError(f"{path}: missing (train one with `main.py au-estimator`)")
    try:
        with safe_open(str(path), "pt") as f:  # one read: the header and the tensors
            header = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, ValueError, OSError) as exc:
        raise AUEstimatorError(f"{path}: not a readable safetensors file ({exc!s:.200})") from None
    if header.get("format") != "emozone-au-estimator":
        raise AUEstimatorError(f"{path}: not an EmoZone AU estimator (format {header.get('format')!r})")
    try:
        net = AUNet(int(header["width"]))
        net.load_state_dict(tensors)
        meta = json.loads(header.get("meta", "{}"))
    except (KeyError, ValueError, RuntimeError) as exc:
        raise AUEstimatorError(f"{path}: does not fit the estimator's layout ({exc!s:.200})") from None
    net = net.eval().to(device or "cpu")
    for p in net.parameters():
        p.requires_grad_(False)
    return net, meta

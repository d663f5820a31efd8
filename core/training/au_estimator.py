"""The exact AU estimator of the evaluation: AU intensities (and speech controls) fitted to deformed
Gaussian positions by least squares through the analytic rig.

The paper evaluates AUs with an estimator other than the one it trains with (OpenFace vs JAA-Net).
Here the training side would be an image estimator; the evaluation side is this one: it inverts the
rig (core.rig.deform), the function that made the truth, so it shares nothing with the model. For
each frame it finds the 17 AU intensities x in 0..5 minimising |rig(x, s)[S] - p[S]|^2, with the
speech controls s held at the frame's truth (the jaw of AU26 and of speech jaw_open is one motion:
both free, the fit cannot tell them apart), over a fixed sample S of the Gaussians the rig can move, by projected
Gauss-Newton with a finite-difference Jacobian from two starts, keeping the better fit (the rig is
smooth but not linear: the jaw and lids turn). Some combinations are not identifiable from geometry
at all (AU05 raising the upper lid while AU45 closes it reach the same lid as a weaker AU45 alone). Run on the rig's own output it recovers the controls to ``floor`` (see
:meth:`RigAUEstimator.floor`), which the results quote beside the models' errors.

AUE-U / AUE-L are the mean |estimated - input| intensity over the upper-face AUs (brows, eyes,
cheeks and nose: zones brow, eyes, cheek_nose) and the lower-face AUs (mouth, jaw_chin), in AU units
(0..5). AU-Jerk is the mean |second difference| of the estimated AU tracks per frame.
"""
from __future__ import annotations

import numpy as np
import torch

from core.aus import AU_MAX, AU_NAMES, AU_ZONE, NUM_AUS, SPEECH_NAMES

UPPER_AUS = tuple(i for i, a in enumerate(AU_NAMES) if AU_ZONE[a] in ("brow", "eyes", "cheek_nose"))
LOWER_AUS = tuple(i for i, a in enumerate(AU_NAMES) if AU_ZONE[a] in ("mouth", "jaw_chin"))
NUM_SPEECH = len(SPEECH_NAMES)


class RigAUEstimator:
    """AU intensities and speech controls of deformed positions, by inverting the head's rig.

    head: a core.head.Head; sample: how many of the movable Gaussians the fit uses (a fixed,
    seeded choice); iterations: Gauss-Newton steps."""

    def __init__(self, head, sample: int = 4000, iterations: int = 10, seed: int = 0,
                 starts: tuple[float, ...] = (0.0, 2.5)):
        from core.aus import ZONE_INDEX

        self.head = head
        zones = head.cloud.attributes["zones"]
        movable = torch.nonzero(zones[:, ZONE_INDEX["static"]] < 1.0).flatten().cpu()
        g = torch.Generator().manual_seed(seed)
        self.rows = movable[torch.randperm(len(movable), generator=g)[:sample]].sort().values.to(head.cloud.means.device)
        self.iterations = int(iterations)
        self.starts = tuple(starts)
        self.upper = torch.full((NUM_AUS,), AU_MAX, device=head.cloud.means.device)

    def positions(self, x: torch.Tensor, speech: torch.Tensor) -> torch.Tensor:
        """AU intensities [T, 17] and speech controls [T, 4] -> the rig's positions of the sample
        [T, S, 3] (metres)."""
        from core import rig

        return rig.deform_means(self.head, x, speech, self.rows)

    @torch.no_grad()
    def estimate(self, means: torch.Tensor, speech: torch.Tensor, chunk: int = 64) -> torch.Tensor:
        """Positions of every Gaussian [T, N, 3] (or of the sample, [T, S, 3]) and the frames' true
        speech controls [T, 4] -> AU intensities [T, 17]."""
        target = means if means.shape[1] == len(self.rows) else means[:, self.rows]
        speech = torch.as_tensor(speech, dtype=torch.float32, device=self.upper.device)
        out = [self._fit(target[a:a + chunk].to(self.upper.device), speech[a:a + chunk])
               for a in range(0, target.shape[0], chunk)]
        return torch.cat(out) if out else target.new_zeros(0, NUM_AUS)

    def _fit(self, target: torch.Tensor, speech: torch.Tensor) -> torch.Tensor:
        """The best of the fits from each start (all AUs at that intensity), frame by frame: the rig
        turns the lids and jaw, so one start can end in a local minimum."""
        best, best_r = None, None
        for start in self.starts:
            x = self._fit_from(target, speech, start)
            r = (self.positions(x, speech) - target).square().sum(dim=(1, 2))
            if best is None:
                best, best_r = x, r
            else:
                better = r < best_r
                best = torch.where(better[:, None], x, best)
                best_r = torch.minimum(r, best_r)
        return best

    def _fit_from(self, target: torch.Tensor, speech: torch.Tensor, start: float) -> torch.Tensor:
        t, k = target.shape[0], NUM_AUS
        x = torch.full((t, k), float(start), device=target.device)
        eps = 1e-2 * self.upper
        for _ in range(self.iterations):
            p0 = self.positions(x, speech)
            jac = torch.empty(t, p0.shape[1] * 3, k, device=target.device)
            for j in range(k):
                step = torch.zeros_like(x)
                step[:, j] = eps[j]
                # Forward differences, backward at the top of a control's range.
                sign = torch.where(x[:, j] + eps[j] > self.upper[j], -1.0, 1.0)
                pj = self.positions(x + step * sign[:, None], speech)
                jac[:, :, j] = ((pj - p0).reshape(t, -1)) / (eps[j] * sign[:, None])
            r = (target - p0).reshape(t, -1, 1)
            x = self._bounded_step(x, jac, r)
        return x

    def _bounded_step(self, x: torch.Tensor, jac: torch.Tensor, r: torch.Tensor, passes: int = 5) -> torch.Tensor:
        """One Gauss-Newton step within the bounds (0..5): controls the unconstrained step would
        push past a bound are held at that bound and the others solved again (an active set), so
        a clamp does not leave the others compensating for it. A small L1 cost on the intensities
        (1e-3 of each intensity's curvature) picks the sparsest of several exact explanations (AU07 alone
        rather than AU07 plus an AU05 and an AU45 that cancel on the lid)."""
        t, k = x.shape
        jtj = jac.transpose(1, 2) @ jac
        lam = 1e-3 * jtj.diagonal(dim1=1, dim2=2)  # [t, k]: each AU's cost in its own units
        jtr = (jac.transpose(1, 2) @ r)[..., 0] - lam
        eye = torch.eye(k, device=x.device)
        damp = 1e-9 * eye + 1e-2 * torch.diag_embed(jtj.diagonal(dim1=1, dim2=2))  # Levenberg-Marquardt
        fixed = torch.zeros(t, k, dtype=torch.bool, device=x.device)
        bound = torch.zeros_like(x)
        for _ in range(passes):
            held = torch.where(fixed, bound - x, torch.zeros_like(x))      # steps of the held controls
            free = (~fixed).to(x.dtype)
            rhs = (jtr - (jtj @ held[..., None])[..., 0]) * free
            a = (jtj + damp) * free[:, :, None] * free[:, None, :] + torch.diag_embed(1.0 - free)
            xn = x + torch.linalg.solve(a, rhs[..., None])[..., 0] * free + held
            over = ((xn < 0) | (xn > self.upper)) & ~fixed
            if not bool(over.any()):
                break
            fixed |= over
            bound = torch.where(over, torch.where(xn < 0, torch.zeros_like(x), self.upper.expand_as(x)), bound)
        return torch.minimum(torch.maximum(xn, torch.zeros_like(xn)), self.upper)

    @torch.no_grad()
    def floor(self, au: torch.Tensor, speech: torch.Tensor) -> dict:
        """The estimator's own error on the rig's output for these controls: AUE-U, AUE-L."""
        from core import rig

        means = rig.deform(self.head, au, speech).means
        return au_errors(self.estimate(means, speech), au)


def au_errors(est_au: torch.Tensor, true_au: torch.Tensor) -> dict:
    """{'aue_u', 'aue_l'}: mean |est - true| AU intensity over the upper and the lower face AUs."""
    err = (est_au - true_au.to(est_au)).abs()
    return {"aue_u": float(err[:, list(UPPER_AUS)].mean()), "aue_l": float(err[:, list(LOWER_AUS)].mean())}


def au_jerk(tracks: torch.Tensor | np.ndarray) -> float:
    """Mean |second difference| of AU tracks [T, 17] per frame (AU units)."""
    x = torch.as_tensor(tracks, dtype=torch.float32)
    if x.shape[0] < 3:
        return 0.0
    return float((x[2:] - 2 * x[1:-1] + x[:-2]).abs().mean())

"""GaussianCloud: the set of 3D Gaussians every part of the studio works on.

Conventions (shared by every renderer, the PLY reader/writer, the rig and the model):
    means      [N, 3]     world-space centres
    quats      [N, 4]     rotation as a quaternion (w, x, y, z); need not be normalised, must be non-zero
    log_scales [N, 3]     natural log of the per-axis standard deviations
    opacities  [N]        opacity logits (sigmoid gives the opacity in 0..1)
    sh         [N, K, 3]  spherical-harmonic colour coefficients, K = (degree + 1) ** 2, K in {1, 4, 9, 16};
                          sh[:, 0] is the DC term (colour = SH_C0 * dc + 0.5, as in 3DGS)
    attributes dict[str, Tensor [N, ...]]  extra per-Gaussian data (zone memberships, labels, ...)

All fields are torch tensors on one device. Construction validates shapes and values and raises
GaussianCloudError naming the field and the number of bad rows.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Iterable

import torch

SH_C0 = 0.28209479177387814

#: Names reserved by the core fields; attributes may not use them.
CORE_FIELDS = ("means", "quats", "log_scales", "opacities", "sh")


class GaussianCloudError(ValueError):
    """A GaussianCloud was given inconsistent or non-finite data."""


def sh_degree_for(k: int) -> int:
    degree = int(round(math.sqrt(k))) - 1
    if (degree + 1) ** 2 != k or not 0 <= degree <= 3:
        raise GaussianCloudError(f"sh: {k} coefficients per channel is not (degree+1)^2 for a degree 0..3")
    return degree


def rgb_to_sh_dc(rgb: torch.Tensor) -> torch.Tensor:
    """Colour in 0..1 [..., 3] -> DC coefficient [..., 3]."""
    return (rgb - 0.5) / SH_C0


def sh_dc_to_rgb(dc: torch.Tensor) -> torch.Tensor:
    return dc * SH_C0 + 0.5


@dataclasses.dataclass(eq=False)
class GaussianCloud:
    means: torch.Tensor
    quats: torch.Tensor
    log_scales: torch.Tensor
    opacities: torch.Tensor
    sh: torch.Tensor
    attributes: dict[str, torch.Tensor] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_rgb(
        cls,
        means: torch.Tensor,
        rgb: torch.Tensor,
        scales: torch.Tensor,
        opacity: torch.Tensor | float = 0.9,
        quats: torch.Tensor | None = None,
        attributes: dict[str, torch.Tensor] | None = None,
    ) -> "GaussianCloud":
        """Convenience constructor from linear quantities: rgb in 0..1 [N,3], scales (std devs) [N,3],
        opacity in (0, 1) scalar or [N]. Gives an SH degree 0 cloud."""
        means = torch.as_tensor(means, dtype=torch.float32)
        n = means.shape[0]
        rgb = torch.as_tensor(rgb, dtype=torch.float32, device=means.device)
        scales = torch.as_tensor(scales, dtype=torch.float32, device=means.device)
        op = torch.as_tensor(opacity, dtype=torch.float32, device=means.device).expand(n).clamp(1e-6, 1 - 1e-6)
        if quats is None:
            quats = torch.zeros(n, 4, device=means.device)
            quats[:, 0] = 1.0
        return cls(
            means=means,
            quats=torch.as_tensor(quats, dtype=torch.float32, device=means.device),
            log_scales=torch.log(scales),
            opacities=torch.logit(op),
            sh=rgb_to_sh_dc(rgb)[:, None, :].contiguous(),
            attributes=dict(attributes or {}),
        )

    # ------------------------------------------------------------------ validation
    def validate(self) -> None:
        fields = {f: getattr(self, f) for f in CORE_FIELDS}
        for name, value in fields.items():
            if not isinstance(value, torch.Tensor):
                raise GaussianCloudError(f"{name}: expected a torch.Tensor, got {type(value).__name__}")
            if not value.dtype.is_floating_point:
                raise GaussianCloudError(f"{name}: expected a floating-point tensor, got {value.dtype}")
        if self.means.ndim != 2 or self.means.shape[1] != 3:
            raise GaussianCloudError(f"means: expected shape [N, 3], got {list(self.means.shape)}")
        n = self.means.shape[0]
        expected = {"quats": (n, 4), "log_scales": (n, 3), "opacities": (n,)}
        for name, shape in expected.items():
            if tuple(fields[name].shape) != shape:
                raise GaussianCloudError(f"{name}: expected shape {list(shape)}, got {list(fields[name].shape)}")
        if self.sh.ndim != 3 or self.sh.shape[0] != n or self.sh.shape[2] != 3:
            raise GaussianCloudError(f"sh: expected shape [N, K, 3] with N={n}, got {list(self.sh.shape)}")
        sh_degree_for(self.sh.shape[1])
        device = self.means.device
        for name, value in fields.items():
            if value.device != device:
                raise GaussianCloudError(f"{name}: on {value.device}, but means are on {device}")
            if value.numel():
                bad = ~torch.isfinite(value.reshape(n, -1)).all(dim=1) if n else torch.zeros(0, dtype=torch.bool)
                nbad = int(bad.sum())
                if nbad:
                    first = int(torch.nonzero(bad)[0])
                    raise GaussianCloudError(f"{name}: {nbad} of {n} rows are not finite (first bad row {first})")
        if n:
            zero_q = (self.quats.norm(dim=1) < 1e-12)
            nz = int(zero_q.sum())
            if nz:
                first = int(torch.nonzero(zero_q)[0])
                raise GaussianCloudError(f"quats: {nz} of {n} rows are zero quaternions (first bad row {first})")
        for key, value in self.attributes.items():
            if key in CORE_FIELDS:
                raise GaussianCloudError(f"attribute {key!r}: name is reserved by a core field")
            if not isinstance(value, torch.Tensor):
                raise GaussianCloudError(f"attribute {key!r}: expected a torch.Tensor, got {type(value).__name__}")
            if value.ndim < 1 or value.shape[0] != n:
                raise GaussianCloudError(f"attribute {key!r}: expected {n} rows, got shape {list(value.shape)}")
            if value.device != device:
                raise GaussianCloudError(f"attribute {key!r}: on {value.device}, but means are on {device}")
            if value.dtype.is_floating_point and value.numel():
                bad = ~torch.isfinite(value.reshape(n, -1)).all(dim=1)
                nbad = int(bad.sum())
                if nbad:
                    raise GaussianCloudError(f"attribute {key!r}: {nbad} of {n} rows are not finite")

    # ------------------------------------------------------------------ properties
    def __len__(self) -> int:
        return int(self.means.shape[0])

    @property
    def num_gaussians(self) -> int:
        return len(self)

    @property
    def sh_degree(self) -> int:
        return sh_degree_for(self.sh.shape[1])

    @property
    def device(self) -> torch.device:
        return self.means.device

    @property
    def scales(self) -> torch.Tensor:
        """Per-axis standard deviations [N, 3]."""
        return torch.exp(self.log_scales)

    @property
    def opacity(self) -> torch.Tensor:
        """Opacity in 0..1 [N]."""
        return torch.sigmoid(self.opacities)

    @property
    def normalized_quats(self) -> torch.Tensor:
        return self.quats / self.quats.norm(dim=1, keepdim=True)

    @property
    def base_rgb(self) -> torch.Tensor:
        """View-independent colour from the DC term, clamped at 0 [N, 3]."""
        return sh_dc_to_rgb(self.sh[:, 0]).clamp_min(0.0)

    def bounds(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Axis-aligned bounds of the centres (min [3], max [3])."""
        return self.means.min(dim=0).values, self.means.max(dim=0).values

    # ------------------------------------------------------------------ transforms
    def replace(self, **changes) -> "GaussianCloud":
        """A new cloud with some fields replaced (validated). Attributes are shared, not copied."""
        data = {f: getattr(self, f) for f in CORE_FIELDS}
        data["attributes"] = dict(self.attributes)
        data.update(changes)
        return GaussianCloud(**data)

    def to(self, device: torch.device | str) -> "GaussianCloud":
        device = torch.device(device)
        return GaussianCloud(
            **{f: getattr(self, f).to(device) for f in CORE_FIELDS},
            attributes={k: v.to(device) for k, v in self.attributes.items()},
        )

    def detach(self) -> "GaussianCloud":
        return GaussianCloud(
            **{f: getattr(self, f).detach() for f in CORE_FIELDS},
            attributes={k: v.detach() for k, v in self.attributes.items()},
        )

    def subset(self, index: torch.Tensor) -> "GaussianCloud":
        """Rows selected by a boolean mask or an index tensor."""
        return GaussianCloud(
            **{f: getattr(self, f)[index] for f in CORE_FIELDS},
            attributes={k: v[index] for k, v in self.attributes.items()},
        )

    @staticmethod
    def concat(clouds: Iterable["GaussianCloud"]) -> "GaussianCloud":
        """Concatenate clouds. SH degrees are raised to the highest (missing bands zero); attributes
        must be present in all or are dropped."""
        clouds = list(clouds)
        if not clouds:
            raise GaussianCloudError("concat: no clouds given")
        k = max(c.sh.shape[1] for c in clouds)
        shs = []
        for c in clouds:
            pad = k - c.sh.shape[1]
            shs.append(torch.nn.functional.pad(c.sh, (0, 0, 0, pad)) if pad else c.sh)
        common = set(clouds[0].attributes)
        for c in clouds[1:]:
            common &= set(c.attributes)
        return GaussianCloud(
            means=torch.cat([c.means for c in clouds]),
            quats=torch.cat([c.quats for c in clouds]),
            log_scales=torch.cat([c.log_scales for c in clouds]),
            opacities=torch.cat([c.opacities for c in clouds]),
            sh=torch.cat(shs),
            attributes={key: torch.cat([c.attributes[key] for c in clouds]) for key in sorted(common)},
        )


@dataclasses.dataclass
class GaussianFrames:
    """T deformed frames of one canonical cloud: the one batch type every frame driver returns
    (core.rig.deform, core.drive's RigDriver and ModelDriver).

    means [T, N, 3], quats [T, N, 4] (w, x, y, z), log_scales [T, N, 3]; opacities, colours and
    attributes come from ``base`` (the canonical cloud)."""

    means: torch.Tensor
    quats: torch.Tensor
    log_scales: torch.Tensor
    base: GaussianCloud

    def __len__(self) -> int:
        return int(self.means.shape[0])

    def cloud(self, t: int) -> GaussianCloud:
        """Frame t as a GaussianCloud."""
        return self.base.replace(means=self.means[t], quats=self.quats[t], log_scales=self.log_scales[t])

    @staticmethod
    def concat(parts: Iterable["GaussianFrames"]) -> "GaussianFrames":
        """Frames of several batches of the same base, in order."""
        parts = list(parts)
        if not parts:
            raise GaussianCloudError("GaussianFrames.concat: no batches given")
        return GaussianFrames(torch.cat([p.means for p in parts]), torch.cat([p.quats for p in parts]),
                              torch.cat([p.log_scales for p in parts]), parts[0].base)


# ---------------------------------------------------------------------- geometry helpers
def framing_bounds(means):
    """Bounds [3], [3] of centres [N, 3] for automatic framing that ignore stray floaters: the
    1st-99th percentile box (of a fixed sample of at most 100k centres)."""
    if len(means) < 100:
        return means.min(0).values, means.max(0).values
    sample = means[torch.randperm(len(means), generator=torch.Generator().manual_seed(0))[:100_000]]
    q = torch.tensor([0.01, 0.99], dtype=sample.dtype)
    lo_hi = torch.quantile(sample, q, dim=0)
    return lo_hi[0], lo_hi[1]


def quat_to_rotmat(quats: torch.Tensor) -> torch.Tensor:
    """Quaternions (w, x, y, z) [..., 4] (normalised here) -> rotation matrices [..., 3, 3]."""
    q = quats / quats.norm(dim=-1, keepdim=True)
    w, x, y, z = q.unbind(-1)
    return torch.stack(
        [
            1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
            2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
            2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
        ],
        dim=-1,
    ).reshape(q.shape[:-1] + (3, 3))


def rotmat_to_quat(m: torch.Tensor) -> torch.Tensor:
    """Rotation matrices [..., 3, 3] -> unit quaternions (w, x, y, z) [..., 4] with w >= 0."""
    m00, m01, m02 = m[..., 0, 0], m[..., 0, 1], m[..., 0, 2]
    m10, m11, m12 = m[..., 1, 0], m[..., 1, 1], m[..., 1, 2]
    m20, m21, m22 = m[..., 2, 0], m[..., 2, 1], m[..., 2, 2]
    # Four candidate solutions; pick the numerically largest per row (Shepperd's method).
    qw = torch.sqrt(torch.clamp(1 + m00 + m11 + m22, min=0)) / 2
    qx = torch.sqrt(torch.clamp(1 + m00 - m11 - m22, min=0)) / 2
    qy = torch.sqrt(torch.clamp(1 - m00 + m11 - m22, min=0)) / 2
    qz = torch.sqrt(torch.clamp(1 - m00 - m11 + m22, min=0)) / 2
    cands = torch.stack(
        [
            torch.stack([qw, (m21 - m12) / (4 * qw + 1e-12), (m02 - m20) / (4 * qw + 1e-12), (m10 - m01) / (4 * qw + 1e-12)], -1),
            torch.stack([(m21 - m12) / (4 * qx + 1e-12), qx, (m01 + m10) / (4 * qx + 1e-12), (m02 + m20) / (4 * qx + 1e-12)], -1),
            torch.stack([(m02 - m20) / (4 * qy + 1e-12), (m01 + m10) / (4 * qy + 1e-12), qy, (m12 + m21) / (4 * qy + 1e-12)], -1),
            torch.stack([(m10 - m01) / (4 * qz + 1e-12), (m02 + m20) / (4 * qz + 1e-12), (m12 + m21) / (4 * qz + 1e-12), qz], -1),
        ],
        dim=-2,
    )
    best = torch.stack([qw, qx, qy, qz], -1).argmax(-1)
    q = torch.gather(cands, -2, best[..., None, None].expand(best.shape + (1, 4))).squeeze(-2)
    q = q / q.norm(dim=-1, keepdim=True)
    return torch.where(q[..., :1] < 0, -q, q)


def quat_multiply(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Hamilton product a*b of quaternions (w, x, y, z) [..., 4]."""
    aw, ax, ay, az = a.unbind(-1)
    bw, bx, by, bz = b.unbind(-1)
    return torch.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        dim=-1,
    )


def covariances(cloud: GaussianCloud) -> torch.Tensor:
    """World-space covariance matrices [N, 3, 3] = R S S^T R^T."""
    r = quat_to_rotmat(cloud.quats)
    m = r * cloud.scales[:, None, :]
    return m @ m.transpose(1, 2)

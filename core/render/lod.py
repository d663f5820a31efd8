"""A level of detail for playback: fewer, larger splats that cover what the full cloud covers.

On a software GL (Mesa llvmpipe) the splat renderer costs a fixed amount per splat, whatever the
resolution (the default head, 58,946 Gaussians: about 110-150 ms a frame on two cores), so the
only way to a playable rate is to draw fewer splats. ``build_lod`` groups the rest cloud's
Gaussians into clusters (a voxel grid, split by synergy zone and by the side the splat faces, so
the lips, the lids and the two sides of a thin part are never merged) and keeps one Gaussian per
cluster: the one that contributes most (opacity x footprint). It moves to the cluster's centroid and
its footprint grows to cover the cluster and overlap its neighbours (from the cluster's second
moments, bounded), and its colour becomes the cluster's footprint-weighted mean colour.
Because each kept splat is an original Gaussian, any driver's deformation of it stays exact:
``SplatLOD.apply(cloud)`` takes a deformed full cloud down to the level of detail, and
``SplatLOD.rest`` (the rest cloud already reduced) is what a driver can deform directly.

``SplatLOD.normals`` are the kept splats' outward normals in their own frame (the axis of the
smallest scale, signed away from the head's centre; zero where a splat is not flat), for back-face
culling in core.render.gl.GLSplats.

Everything here is numpy/torch on the CPU; nothing touches GL or Qt.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

    from core.gaussians import GaussianCloud

#: Fraction of the Gaussians kept by default: 58,946 -> about 7,100 on the default head, of which
#: about 4,500 face the camera; llvmpipe draws those in about 10-15 ms (a 740x410 viewport).
DEFAULT_KEEP = 0.12
#: A kept splat's in-plane standard deviations grow to at most this factor of its own, so a cluster
#: of stray faint splats cannot turn into one large blot.
MAX_SIGMA_GROWTH = 6.0
#: The spread of a cluster's centres counts this many times over in the kept splat's size: the
#: level of detail's splats then overlap their neighbours as the full cloud's do (sigma about 0.7x
#: the spacing on a regular patch), so no gaps open between them. Chosen on the default head
#: (PSNR against the full head: 1.0 -> 26.6 dB from the front, 1.5 -> 32.8, 2.0 -> 35.2, 2.5 -> 32.7).
COVER_SPREAD = 2.0
#: A splat counts as flat (it has a facing side) when its smallest scale is below this fraction of
#: the middle one.
FLAT_RATIO = 0.5


class LODError(ValueError):
    """build_lod was asked for an impossible level of detail."""


@dataclasses.dataclass
class SplatLOD:
    """A level of detail over a cloud of N Gaussians, K of them kept.

    indices      [K] int64   rows of the full cloud kept (ascending)
    rest         GaussianCloud of K: the rest cloud reduced (compensated scales, merged colours)
    log_scale_add [K, 3] float32 added to a deformed cloud's log-scales (the footprint growth)
    mean_offset  [K, 3] float32 added to a deformed cloud's means (the kept splat to its cluster's centroid)
    normals      [K, 3] float32 outward normal in each kept splat's own frame (0 where not flat)
    num_full     N
    """

    indices: np.ndarray
    rest: "GaussianCloud"
    log_scale_add: np.ndarray
    mean_offset: np.ndarray
    normals: np.ndarray
    num_full: int

    def __len__(self) -> int:
        return int(self.indices.shape[0])

    @property
    def keep(self) -> float:
        return len(self) / max(self.num_full, 1)

    def apply(self, cloud: "GaussianCloud") -> "GaussianCloud":
        """A deformed full cloud [N] -> its level of detail [K]: the kept rows, their footprints
        grown as at rest, the merged colours and opacities of the rest LOD."""
        import torch

        if len(cloud) != self.num_full:
            raise LODError(f"SplatLOD.apply: the LOD was built for {self.num_full} Gaussians, got {len(cloud)}")
        idx = torch.as_tensor(self.indices, device=cloud.device)
        add = torch.as_tensor(self.log_scale_add, dtype=cloud.log_scales.dtype, device=cloud.device)
        off = torch.as_tensor(self.mean_offset, dtype=cloud.means.dtype, device=cloud.device)
        return self.rest.replace(
            means=cloud.means[idx] + off, quats=cloud.quats[idx], log_scales=cloud.log_scales[idx] + add)

    def apply_frames(self, means, quats, log_scales):
        """Per-frame arrays of the full cloud [..., N, C] -> the kept rows [..., K, C] (log-scales
        grown); torch tensors or numpy arrays."""
        idx = self.indices
        if hasattr(means, "index_select"):
            import torch

            i = torch.as_tensor(idx, device=means.device)
            add = torch.as_tensor(self.log_scale_add, dtype=log_scales.dtype, device=log_scales.device)
            off = torch.as_tensor(self.mean_offset, dtype=means.dtype, device=means.device)
            return means.index_select(-2, i) + off, quats.index_select(-2, i), log_scales.index_select(-2, i) + add
        return (means[..., idx, :] + self.mean_offset, quats[..., idx, :],
                log_scales[..., idx, :] + self.log_scale_add)

    def take_rows(self, values: np.ndarray) -> np.ndarray:
        """Per-Gaussian values of the full cloud [N, ...] -> the kept rows [K, ...] (overlays)."""
        values = np.asarray(values)
        if values.shape[0] != self.num_full:
            raise LODError(f"SplatLOD.take_rows: expected {self.num_full} rows, got {values.shape[0]}")
        return values[self.indices]


def _rotmat_np(q: np.ndarray) -> np.ndarray:
    """Quaternions (w, x, y, z) [N, 4] -> rotation matrices [N, 3, 3] (columns: the local axes)."""
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    w, x, y, z = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
    ], 1)


def outward_normals(cloud: "GaussianCloud", centre: np.ndarray | None = None) -> np.ndarray:
    """Each Gaussian's outward normal in its own frame [N, 3] float32: the unit axis of its smallest
    scale, signed so that in the world it points away from ``centre`` (the cloud's bounding-box
    centre by default); zero for a Gaussian that is not flat (nothing to cull by)."""
    import torch

    with torch.no_grad():
        means = cloud.means.detach().cpu().double().numpy()
        quats = cloud.quats.detach().cpu().double().numpy()
        ls = cloud.log_scales.detach().cpu().double().numpy()
    n = means.shape[0]
    if centre is None:
        centre = 0.5 * (means.min(axis=0) + means.max(axis=0)) if n else np.zeros(3)
    order = np.sort(ls, axis=1)
    axis = np.argmin(ls, axis=1)
    flat = (order[:, 0] - order[:, 1]) < np.log(FLAT_RATIO)
    rot = _rotmat_np(quats) if n else np.zeros((0, 3, 3))
    world_axis = rot[np.arange(n), :, axis]  # [N, 3]
    sign = np.where(np.einsum("ij,ij->i", world_axis, means - centre) >= 0.0, 1.0, -1.0)
    local = np.zeros((n, 3))
    local[np.arange(n), axis] = sign
    local[~flat] = 0.0
    return local.astype(np.float32)


def build_lod(cloud: "GaussianCloud", keep: float = DEFAULT_KEEP, zones: "torch.Tensor | None" = None) -> SplatLOD:
    """A level of detail keeping about ``keep`` of the cloud's Gaussians (0 < keep <= 1).

    zones: soft zone memberships [N, Z] (default: the cloud's ``zones`` attribute when present);
    Gaussians of different zones are never merged, so each zone's motion stays its own."""
    import torch

    if not 0.0 < keep <= 1.0:
        raise LODError(f"build_lod: keep must be in (0, 1], got {keep}")
    n = len(cloud)
    if n == 0:
        raise LODError("build_lod: the cloud is empty")
    with torch.no_grad():
        means = cloud.means.detach().cpu().double().numpy()
        ls = cloud.log_scales.detach().cpu().double().numpy()
        opacity = torch.sigmoid(cloud.opacities.detach().cpu().double()).numpy()
        sh = cloud.sh.detach().cpu().float()
        z = zones if zones is not None else cloud.attributes.get("zones")
        zone_id = np.zeros(n, np.int64) if z is None else z.detach().cpu().float().numpy().reshape(n, -1).argmax(1)
    normals_local = outward_normals(cloud)
    with torch.no_grad():
        rot = _rotmat_np(cloud.quats.detach().cpu().double().numpy())
    world_n = np.einsum("nij,nj->ni", rot, normals_local.astype(np.float64))
    # Facing bucket: the dominant axis and sign of the outward normal (6 buckets, 6 = not flat).
    dom = np.abs(world_n).argmax(1)
    facing = np.where(np.abs(world_n).max(1) > 0, dom * 2 + (world_n[np.arange(n), dom] < 0), 6)
    # Footprint: the area of the ellipse of the two largest scales.
    s_sorted = np.sort(ls, axis=1)
    area = np.exp(s_sorted[:, 1] + s_sorted[:, 2])
    weight = opacity * area

    # Colour bucket (4 levels a channel): a brow or a pupil is never merged into the skin around it.
    rgb = np.clip(sh[:, 0].double().numpy() * 0.28209479177387814 + 0.5, 0.0, 0.999)
    q4 = np.floor(rgb * 4).astype(np.int64)
    colour_id = (q4[:, 0] * 4 + q4[:, 1]) * 4 + q4[:, 2]
    lo, hi = means.min(axis=0), means.max(axis=0)
    extent = float(np.max(hi - lo)) or 1.0
    target = max(int(round(keep * n)), 1)

    def cluster(cell: float):
        key = np.floor((means - lo) / cell).astype(np.int64)
        dims = key.max(axis=0) + 1
        flat_key = ((key[:, 0] * dims[1] + key[:, 1]) * dims[2] + key[:, 2]) * 8 + facing
        flat_key = flat_key * (int(zone_id.max()) + 1) + zone_id
        flat_key = flat_key * 64 + colour_id
        _, inv = np.unique(flat_key, return_inverse=True)
        return inv.reshape(-1)

    if target >= n:
        inv = np.arange(n)
    else:
        # Bisect the cell size (in log space) until the cluster count is near the target.
        a, b = extent / 2000.0, extent / 2.0
        inv = cluster(b)
        for _ in range(24):
            mid = float(np.sqrt(a * b))
            inv = cluster(mid)
            m = int(inv.max()) + 1
            if abs(m - target) <= 0.02 * target:
                break
            if m > target:
                a = mid
            else:
                b = mid
    m = int(inv.max()) + 1
    # The representative of each cluster: its largest contributor (ties: the lower index).
    order = np.lexsort((np.arange(n), -weight, inv))
    first = np.ones(n, bool)
    first[1:] = inv[order][1:] != inv[order][:-1]
    rep = np.sort(order[first])
    cluster_of_rep = inv[rep]
    total_w = np.bincount(inv, weights=weight, minlength=m)
    total_area = np.bincount(inv, weights=area, minlength=m)
    # Position: the cluster's weighted centroid (an offset from the kept splat, carried along with
    # it when deformed), so the grown splat sits over the cluster, not at its edge.
    centroid = np.stack([np.bincount(inv, weights=weight * means[:, c], minlength=m) for c in range(3)], 1)
    centroid /= np.maximum(total_w, 1e-30)[:, None]
    offset = centroid[cluster_of_rep] - means[rep]
    # Footprint. The first version grew the kept splat to the cluster's summed footprint (at most
    # 6x its own area): the head's splats overlap (sigma about 0.7x their spacing), so summed areas
    # fell short of the cluster, the grown splats left gaps between them on a voxel-grid pattern,
    # and the dark background (or the inside of the head) showed through as dark speckles on the
    # skin and broke the brows into dots. Now the cluster's weighted second moments set the size:
    # the members' own covariances plus COVER_SPREAD^2 times the spread of their centres about the
    # centroid, seen along the kept splat's own in-plane axes (its rotation stays the original's,
    # so a driver's deformation stays exact). The normal axis keeps its thickness.
    d = means - centroid[inv]
    own = np.einsum("nij,nj,nkj->nik", rot, np.exp(2.0 * ls), rot)  # R S^2 R^T [N, 3, 3]
    moment = (own + COVER_SPREAD ** 2 * np.einsum("ni,nk->nik", d, d)).reshape(n, 9)
    cov = np.stack([np.bincount(inv, weights=weight * moment[:, c], minlength=m) for c in range(9)], 1)
    cov = (cov / np.maximum(total_w, 1e-30)[:, None]).reshape(m, 3, 3)[cluster_of_rep]
    rot_rep = rot[rep]
    var_local = np.einsum("kji,kjl,kli->ki", rot_rep, cov, rot_rep)  # diag(R^T C R) [K, 3]
    rep_ls = ls[rep]
    big = np.argsort(rep_ls, axis=1)[:, 1:]  # the two in-plane axes
    rows = np.arange(len(rep))[:, None]
    grown = np.clip(0.5 * np.log(np.maximum(var_local[rows, big], 1e-30)),
                    rep_ls[rows, big], rep_ls[rows, big] + np.log(MAX_SIGMA_GROWTH))
    add = np.zeros((len(rep), 3))
    add[rows, big] = grown - rep_ls[rows, big]
    # Colour: the footprint- and opacity-weighted mean DC colour of the cluster; opacity likewise.
    dc = sh[:, 0].double().numpy()
    mean_dc = np.stack([np.bincount(inv, weights=weight * dc[:, c], minlength=m) for c in range(3)], 1)
    mean_dc /= np.maximum(total_w, 1e-30)[:, None]
    mean_op = total_w / np.maximum(total_area, 1e-30)
    new_sh = sh[rep].clone()
    new_sh[:, 0] = torch.as_tensor(mean_dc[cluster_of_rep], dtype=new_sh.dtype)
    op = np.clip(mean_op[cluster_of_rep], 1e-4, 1.0 - 1e-4)
    idx_t = torch.as_tensor(rep)
    with torch.no_grad():
        base = cloud.detach().to("cpu").subset(idx_t)
        rest = base.replace(
            means=base.means + torch.as_tensor(offset, dtype=base.means.dtype),
            log_scales=base.log_scales + torch.as_tensor(add, dtype=base.log_scales.dtype),
            opacities=torch.logit(torch.as_tensor(op, dtype=base.opacities.dtype)),
            sh=new_sh.to(base.sh.dtype),
        )
    return SplatLOD(indices=rep.astype(np.int64), rest=rest, log_scale_add=add.astype(np.float32),
                    mean_offset=offset.astype(np.float32), normals=normals_local[rep], num_full=n)

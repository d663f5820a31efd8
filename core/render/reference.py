"""`reference` backend: pure torch, differentiable, tile-based, CPU or CUDA.

Slow but exact to the conventions of core.render.base; it is the ground truth the other backends
are tested against, and the renderer used for CPU training at toy size. Gradients reach every
Gaussian parameter (means, quats, log-scales, opacity logits, SH).

Algorithm (the same shape as 3DGS's tile rasteriser, vectorised):
  1. project every Gaussian (EWA, core.render.common.project_ewa) and sort by camera depth;
  2. list the (tile, Gaussian) pairs of each Gaussian's 3-sigma bounding box, stably sorted by tile
     so each tile's list stays front to back;
  3. process tiles in groups, padding each group's lists to its longest, as dense
     [tiles, pixels, gaussians] tensors: alpha, exclusive transmittance by cumprod, weights.
"""
from __future__ import annotations

from typing import Sequence

import torch

from core.camera import Camera
from core.gaussians import GaussianCloud
from core.render.base import ALPHA_MAX, ALPHA_MIN, SIGMA_CUTOFF, Renderer, RenderResult
from core.render.common import background_tensor, project_ewa, sh_colors


class ReferenceRenderer(Renderer):
    name = "reference"

    def __init__(self, tile_size: int = 16, max_elements: int = 1 << 22):
        """tile_size: tile edge in pixels. max_elements: bound on tiles*pixels*gaussians per group,
        which bounds peak memory (about 40 bytes per element with autograd)."""
        self.tile_size = int(tile_size)
        self.max_elements = int(max_elements)

    def render(
        self,
        cloud: GaussianCloud,
        camera: Camera,
        width: int | None = None,
        height: int | None = None,
        background: Sequence[float] = (0.0, 0.0, 0.0),
    ) -> RenderResult:
        if width is not None or height is not None:
            camera = camera.resized(width or camera.width, height or camera.height)
        w, h, ts = camera.width, camera.height, self.tile_size
        dev, dt = cloud.device, cloud.means.dtype
        bg = background_tensor(background, dev).to(dt)

        proj = project_ewa(cloud, camera)
        colors = sh_colors(cloud, camera)
        opacity = cloud.opacity
        m2d, radii, depths = proj["means2d"], proj["radii"], proj["depths"]

        # Tile ranges of each Gaussian's bounding box (no gradient needed for the bookkeeping).
        with torch.no_grad():
            ntx, nty = (w + ts - 1) // ts, (h + ts - 1) // ts
            x0 = torch.floor((m2d[:, 0] - radii) / ts).clamp(0, ntx - 1)
            x1 = torch.floor((m2d[:, 0] + radii) / ts).clamp(0, ntx - 1)
            y0 = torch.floor((m2d[:, 1] - radii) / ts).clamp(0, nty - 1)
            y1 = torch.floor((m2d[:, 1] + radii) / ts).clamp(0, nty - 1)
            on_screen = (
                proj["valid"]
                & (m2d[:, 0] + radii >= 0) & (m2d[:, 0] - radii <= w)
                & (m2d[:, 1] + radii >= 0) & (m2d[:, 1] - radii <= h)
            )
            keep = torch.nonzero(on_screen).squeeze(1)
            keep = keep[torch.argsort(depths[keep], stable=True)]  # front to back
            x0, x1, y0, y1 = (v[keep].long() for v in (x0, x1, y0, y1))
            ncols = x1 - x0 + 1
            counts = ncols * (y1 - y0 + 1)
            total = int(counts.sum())
            rank = torch.repeat_interleave(torch.arange(len(keep), device=dev), counts)
            starts = torch.cumsum(counts, 0) - counts
            local = torch.arange(total, device=dev) - starts[rank]
            tile = (y0[rank] + local // ncols[rank]) * ntx + (x0[rank] + local % ncols[rank])
            order = torch.argsort(tile * max(len(keep), 1) + rank)  # by tile, then front to back
            tile, rank = tile[order], rank[order]
            per_tile = torch.bincount(tile, minlength=ntx * nty)
            tile_start = torch.cumsum(per_tile, 0) - per_tile

        # Gather per-Gaussian data in depth order once; pad row at the end (alpha 0).
        g_mean = torch.cat([m2d[keep], m2d.new_zeros(1, 2)])
        g_conic = torch.cat([proj["conics"][keep], proj["conics"].new_zeros(1, 3)])
        g_opac = torch.cat([opacity[keep], opacity.new_zeros(1)])
        g_color = torch.cat([colors[keep], colors.new_zeros(1, 3)])
        g_depth = torch.cat([depths[keep], depths.new_zeros(1)])
        pad_index = len(keep)

        # Pixel centres of one tile, relative to the tile origin.
        iy, ix = torch.meshgrid(torch.arange(ts, device=dev), torch.arange(ts, device=dev), indexing="ij")
        tile_px = torch.stack([ix.reshape(-1), iy.reshape(-1)], -1).to(dt) + 0.5  # [P, 2]
        npx = ts * ts

        out_color, out_alpha, out_depth, out_tiles = [], [], [], []
        tiles_all = torch.arange(ntx * nty, device=dev)
        busy = tiles_all[per_tile > 0]
        # Largest lists first so each group's padding is tight.
        busy = busy[torch.argsort(per_tile[busy], descending=True)]
        i = 0
        while i < len(busy):
            gmax = int(per_tile[busy[i]])
            ntiles = max(1, min(len(busy) - i, self.max_elements // max(npx * gmax, 1)))
            group = busy[i : i + ntiles]
            i += ntiles
            with torch.no_grad():
                slot = torch.arange(gmax, device=dev)
                idx = tile_start[group][:, None] + slot[None, :]
                valid = slot[None, :] < per_tile[group][:, None]
                gid = torch.where(valid, rank[idx.clamp(max=max(total - 1, 0))], torch.full_like(idx, pad_index))
                origin = torch.stack([(group % ntx) * ts, (group // ntx) * ts], -1).to(dt)  # [B, 2]
            px = origin[:, None, :] + tile_px[None]  # [B, P, 2]
            d = px[:, :, None, :] - g_mean[gid][:, None, :, :]  # [B, P, G, 2]
            conic = g_conic[gid][:, None]  # [B, 1, G, 3]
            dx, dy = d[..., 0], d[..., 1]
            maha = conic[..., 0] * dx * dx + 2 * conic[..., 1] * dx * dy + conic[..., 2] * dy * dy
            alpha = (g_opac[gid][:, None, :] * torch.exp(-0.5 * maha)).clamp(max=ALPHA_MAX)
            inside = (maha <= SIGMA_CUTOFF * SIGMA_CUTOFF) & (alpha >= ALPHA_MIN)
            alpha = torch.where(inside, alpha, torch.zeros_like(alpha))
            trans = torch.cumprod(1 - alpha, dim=2)
            t_excl = torch.cat([torch.ones_like(trans[..., :1]), trans[..., :-1]], dim=2)
            weight = alpha * t_excl  # [B, P, G]
            out_color.append(torch.einsum("bpg,bgc->bpc", weight, g_color[gid]) + trans[..., -1:] * bg)
            out_alpha.append(1 - trans[..., -1:])
            out_depth.append(torch.einsum("bpg,bg->bp", weight, g_depth[gid])[..., None])
            out_tiles.append(group)

        # Scatter tile blocks into the padded image; tiles with no Gaussian show the background.
        hp, wp = nty * ts, ntx * ts
        color = bg.expand(nty * ntx, npx, 3)
        alpha_img = color.new_zeros(nty * ntx, npx, 1)
        depth_img = color.new_zeros(nty * ntx, npx, 1)
        if out_tiles:
            tiles_done = torch.cat(out_tiles)
            color = color.index_put((tiles_done,), torch.cat(out_color))
            alpha_img = alpha_img.index_put((tiles_done,), torch.cat(out_alpha))
            depth_img = depth_img.index_put((tiles_done,), torch.cat(out_depth))

        def to_image(blocks: torch.Tensor) -> torch.Tensor:
            c = blocks.shape[-1]
            img = blocks.reshape(nty, ntx, ts, ts, c).permute(0, 2, 1, 3, 4).reshape(hp, wp, c)
            return img[:h, :w]

        color, alpha_img, depth_img = to_image(color), to_image(alpha_img), to_image(depth_img)
        depth_img = torch.where(alpha_img > 0, depth_img / alpha_img.clamp_min(1e-12), torch.zeros_like(depth_img))
        return RenderResult(color=color, alpha=alpha_img, depth=depth_img)

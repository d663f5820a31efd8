"""Cached inference for the studio: deformed Gaussians per frame, recomputed only where an edit of
the AU curves can have changed them.

The frame-independent parts (tri-plane features, queries, zone bias) and the audio tokens of the
whole take are computed once. Per-frame results are kept; on each :meth:`DeformationCache.frames`
call the new AU array [F_total, 17] is compared with the one seen last, and for every run of changed
frames [a, b] the frames [a - W, b + W] (W = the AU encoder's radius) are dropped from the cache
(see core.model.cit_ae.affected_frames). Requested frames that are not cached are then computed.

An edit of one AU channel recomputes only the Gaussians it can reach when the model allows it
exactly: the CIT-AE gives each AU its own token, computed from that AU's curve alone (channel
independence), and the prioritized attention bias is -inf from the token to every Gaussian outside
the zones it may act on, so those Gaussians' outputs cannot change. A cached frame such an edit
touches keeps its other Gaussians and decodes only the reachable ones (``last_partial``); models
without that structure (the MLP AU encoder, plain attention, the channel gate) decode the whole frame.
"""
from __future__ import annotations

import collections
from typing import Iterable, Sequence

import torch

from core.aus import NUM_AUS
from core.gaussians import GaussianCloud, GaussianFrames
from core.model.cit_ae import affected_frames


class InferenceInputError(ValueError):
    """Frame indices or AU arrays that do not fit the take the cache was built for."""


#: The model's frames are the drivers' one batch type (core.gaussians.GaussianFrames).
DeformedFrames = GaussianFrames


def deformed_arrays(cloud: GaussianCloud, out) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Canonical cloud + DeformationOutput of T frames -> (means [T,N,3], quats [T,N,4], log_scales [T,N,3])."""
    q = cloud.normalized_quats[None] + out.d_rot
    q = q / q.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    return cloud.means[None] + out.d_mu, q, cloud.log_scales[None] + out.d_log_scale


def attention_bias(model, cloud: GaussianCloud):
    """The model's attention bias of every Gaussian towards each of its J tokens: (float32 numpy
    [N, J], token names), or (None, ()) when the model has no attention (the MLP AU encoder)."""
    from core.model.deform import cloud_memberships

    attention = getattr(model, "attention", None)
    if attention is None:
        return None, ()
    with torch.no_grad():
        b = attention.gaussian_bias(cloud_memberships(cloud))
    if b is None:
        return None, ()
    return b.detach().cpu().float().numpy(), tuple(attention.names)


def _runs(mask: torch.Tensor) -> list[tuple[int, int]]:
    """Inclusive [start, end] runs of True in a 1-D bool tensor."""
    idx = torch.nonzero(mask).flatten().tolist()
    runs: list[tuple[int, int]] = []
    for i in idx:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


class DeformationCache:
    """Per-frame deformation cache for one model, one canonical cloud and one take's audio.

    Args:
        model: an EmoZoneModel (put in eval mode here), on the cloud's device.
        cloud: canonical GaussianCloud with zone memberships.
        audio_features: the whole take's audio, [F_total, W, 80] or [F_total, D].
        chunk_frames: frames decoded per batch (bounds memory at chunk x N x J).
        max_cached_frames: keep at most this many frames (least recently used dropped); None = all.

    Wholly static Gaussians (m_static = 1) are not decoded: their offsets are zero by construction.

    Counters: ``computed_frames`` (total frames decoded so far) and ``last_computed`` (the frames
    decoded by the most recent call).
    """

    def __init__(self, model, cloud: GaussianCloud, audio_features: torch.Tensor,
                 chunk_frames: int = 16, max_cached_frames: int | None = None) -> None:
        self.model = model.eval()
        self.cloud = cloud
        self.chunk_frames = max(1, int(chunk_frames))
        self.max_cached_frames = max_cached_frames
        from core.model.deform import STATIC, cloud_memberships

        memberships = cloud_memberships(cloud)
        # Wholly static Gaussians always get zero offsets: decode only the others.
        self._moving = torch.nonzero(memberships[:, STATIC] < 1.0).flatten()
        with torch.no_grad():
            self._ctx = model.freeze_context(model.gaussian_context(cloud.means[self._moving],
                                                                    memberships[self._moving]))
            self._audio_tokens = model.encode_audio(audio_features.to(cloud.device))
        self.num_frames = int(self._audio_tokens.shape[0])
        self.radius = int(model.au_radius)
        self._au: torch.Tensor | None = None
        self._cache: collections.OrderedDict[int, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = \
            collections.OrderedDict()
        self.computed_frames = 0
        self.last_computed: list[int] = []
        self.last_partial: list[int] = []  # of last_computed: frames decoded only where the edit reaches
        self._reach = self._channel_reach(model)
        self._stale: dict[int, set[int]] = {}  # cached frame -> AU channels edited since it was decoded
        self._sub_ctx: dict[tuple[int, ...], tuple[torch.Tensor, object]] = {}

    def _channel_reach(self, model) -> list[torch.Tensor] | None:
        """For each AU channel, the rows of the decoded (moving) Gaussians whose output its curve can
        change: those with a finite attention bias to its token. None when an AU's change can reach
        every Gaussian (no per-AU token or no hard zone bias)."""
        from core.model.sz_pab import token_names

        attention = getattr(model, "attention", None)
        if attention is None or self._ctx.bias is None or tuple(attention.names) != token_names("cit"):
            return None
        finite = torch.isfinite(self._ctx.bias)
        return [torch.nonzero(finite[:, 1 + k]).flatten() for k in range(NUM_AUS)]

    # ------------------------------------------------------------------ invalidation
    def invalidate(self, frames: Iterable[int] | None = None) -> None:
        """Drop cached frames (all when ``frames`` is None)."""
        if frames is None:
            self._cache.clear()
            self._stale.clear()
            return
        for f in frames:
            self._cache.pop(int(f), None)
            self._stale.pop(int(f), None)

    def _check_au(self, au_values) -> torch.Tensor:
        au = torch.as_tensor(au_values, dtype=torch.float32).to(self.cloud.device)
        if au.ndim != 2 or au.shape[0] != self.num_frames or au.shape[1] != NUM_AUS:
            raise InferenceInputError(f"AU values: expected [{self.num_frames}, {NUM_AUS}] for this take, "
                                      f"got {list(au.shape)}")
        if not bool(torch.isfinite(au).all()):
            raise InferenceInputError("AU values: contain NaN or infinity")
        return au

    def update_au(self, au_values) -> list[tuple[int, int]]:
        """Take a new AU array [F_total, 17]; drop the frames its changes affect (or, where the model
        allows, mark them for a decode of the Gaussians the edited channels reach). Returns the
        invalidated inclusive frame ranges."""
        au = self._check_au(au_values)
        if self._au is None:
            self._au = au.clone()
            self._cache.clear()
            self._stale.clear()
            return [(0, self.num_frames - 1)]
        changed = au != self._au  # [F, 17]
        ranges = [affected_frames(a, b, self.radius, self.num_frames) for a, b in _runs(changed.any(dim=1))]
        if self._reach is None:
            for lo, hi in ranges:
                for f in range(lo, hi + 1):
                    self._cache.pop(f, None)
        else:
            for k in torch.nonzero(changed.any(dim=0)).flatten().tolist():
                for a, b in _runs(changed[:, k]):
                    lo, hi = affected_frames(a, b, self.radius, self.num_frames)
                    for f in range(lo, hi + 1):
                        if f in self._cache:
                            self._stale.setdefault(f, set()).add(k)
        self._au = au.clone()
        return ranges

    def _rows_for(self, channels: tuple[int, ...]):
        """(rows of the moving Gaussians the channels reach, the context restricted to them)."""
        import dataclasses

        if channels not in self._sub_ctx:
            rows = torch.unique(torch.cat([self._reach[k] for k in channels]))
            ctx = self._ctx
            sub = dataclasses.replace(ctx, **{f.name: (None if getattr(ctx, f.name) is None else getattr(ctx, f.name)[rows])
                                               for f in dataclasses.fields(ctx)})
            if len(self._sub_ctx) > 32:
                self._sub_ctx.clear()
            self._sub_ctx[channels] = (rows, sub)
        return self._sub_ctx[channels]

    def _update_partial(self, frame: int, channels: tuple[int, ...]) -> None:
        """Decode the Gaussians ``channels`` reach in cached ``frame``; the others keep their values."""
        rows, ctx = self._rows_for(channels)
        if len(rows) == 0:
            return
        sel = torch.tensor([frame], device=self.cloud.device, dtype=torch.long)
        part = self.model.decode(ctx, self._audio_tokens[sel], self.model.encode_au(self._au, sel))
        idx = self._moving[rows]
        q = self.cloud.normalized_quats[idx] + part.d_rot[0]
        q = q / q.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        means, quats, log_scales = self._cache[frame]
        means[idx] = self.cloud.means[idx] + part.d_mu[0]
        quats[idx] = q
        log_scales[idx] = self.cloud.log_scales[idx] + part.d_log_scale[0]

    # ------------------------------------------------------------------ evaluation
    def _scatter(self, part, frames: int):
        """Offsets of the moving Gaussians [F, M, k] -> offsets of all Gaussians [F, N, k] (zeros elsewhere)."""
        from core.model.deform import DeformationOutput

        n = len(self.cloud)
        full = []
        for t in (part.d_mu, part.d_rot, part.d_log_scale):
            z = t.new_zeros(frames, n, t.shape[-1])
            z[:, self._moving] = t
            full.append(z)
        return DeformationOutput(*full)

    def frames(self, frame_indices: Sequence[int], au_values) -> GaussianFrames:
        """Deformed Gaussians of ``frame_indices`` [F] under the AU curves ``au_values`` [F_total, 17]:
        means [F, N, 3], quats [F, N, 4], log_scales [F, N, 3], in the requested order."""
        idx = [int(f) for f in frame_indices]
        bad = [f for f in idx if not 0 <= f < self.num_frames]
        if bad:
            raise InferenceInputError(f"frame indices {bad[:5]} outside the take's 0..{self.num_frames - 1}")
        self.update_au(au_values)
        missing = sorted({f for f in idx if f not in self._cache})
        partial = sorted({f for f in idx if f in self._stale and f in self._cache})
        self.last_computed = sorted(missing + partial)
        self.last_partial = partial
        with torch.no_grad():
            for f in partial:
                self._update_partial(f, tuple(sorted(self._stale.pop(f))))
            for s in range(0, len(missing), self.chunk_frames):
                chunk = missing[s:s + self.chunk_frames]
                sel = torch.tensor(chunk, device=self.cloud.device, dtype=torch.long)
                part = self.model.decode(self._ctx, self._audio_tokens[sel], self.model.encode_au(self._au, sel))
                means, quats, log_scales = deformed_arrays(self.cloud, self._scatter(part, len(chunk)))
                for k, f in enumerate(chunk):
                    self._cache[f] = (means[k], quats[k], log_scales[k])
                    self._stale.pop(f, None)
        self.computed_frames += len(missing) + len(partial)
        for f in idx:
            self._cache.move_to_end(f)
        if idx:
            result = GaussianFrames(torch.stack([self._cache[f][0] for f in idx]),
                                    torch.stack([self._cache[f][1] for f in idx]),
                                    torch.stack([self._cache[f][2] for f in idx]), self.cloud)
        else:
            empty = self.cloud.means.new_zeros
            n = len(self.cloud)
            result = GaussianFrames(empty(0, n, 3), empty(0, n, 4), empty(0, n, 3), self.cloud)
        if self.max_cached_frames is not None:
            while len(self._cache) > self.max_cached_frames:
                f, _ = self._cache.popitem(last=False)
                self._stale.pop(f, None)
        return result

    def cloud_at(self, frame: int, au_values) -> GaussianCloud:
        """The deformed GaussianCloud of one frame."""
        r = self.frames([frame], au_values)
        return self.cloud.replace(means=r.means[0], quats=r.quats[0], log_scales=r.log_scales[0])

    @property
    def cached_frames(self) -> list[int]:
        return sorted(self._cache)

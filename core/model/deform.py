"""EmoZoneModel: canonical Gaussians + audio + AU curves -> per-frame Gaussian offsets.

    f_i   = TriPlane(mu_i)                                   [N, F]
    a_t   = AudioEncoder(audio)                              [T, d]
    k(t)  = CITAE(au) (17 tokens) | AUMLPEncoder(au) (1)     [T, K, d]
    o_i(t)= SZPABAttention(f_i, m_i, [a_t, k(t)])            [T, N, d]   (or ChannelGate baseline)
    y     = MLP([f_i, o_i(t)]) * (1 - m_i,static)            [T, N, 10]
    d_mu = y[:3] * half box extent, d_rot = y[3:7], d_log_scale = y[7:10]
    (with ``neutral_anchor``: y(t) - y(neutral), the neutral input being silence and every AU at 0)

The deformed Gaussian of frame t: mu + d_mu, normalise(normalise(q) + d_rot), log_s + d_log_scale
(:func:`apply_deformation`). Static-zone Gaussians (m_static = 1) get exactly zero offsets.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Sequence

import torch
from torch import nn

from core.aus import AU_MAX, NUM_AUS, NUM_ZONES, ZONE_INDEX, ZONES
from core.gaussians import GaussianCloud
from core.model.audio_encoder import AudioEncoder
from core.model.cit_ae import CIT_IDENTITIES, AUMLPEncoder, CITAE, _check_au
from core.model.sz_pab import ATTENTION_NORMS, ZONE_SCHEMES, SZPABAttention
from core.model.triplane import TriPlaneEncoder

#: GaussianCloud attribute holding the zone memberships [N, 6] in core.aus.ZONES order.
ZONE_ATTRIBUTE = "zones"
STATIC = ZONE_INDEX["static"]


class ModelConfigError(ValueError):
    """A model configuration with unknown keys or invalid values."""


class ModelInputError(ValueError):
    """Model inputs (cloud, memberships, audio, AUs) of the wrong shape or values."""


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Every architecture choice, JSON-able through :meth:`to_dict` / :meth:`from_dict`.

    Ablations: ``pab=False`` (plain attention, "w/o PAB"); ``au_encoder="mlp"`` ("w/o CIT-AE");
    ``baseline="channel_gate"`` (TalkingGaussian-style region-aware channel gate, no attention;
    ``pab`` and ``au_encoder`` are then unused).
    """

    d: int = 64
    heads: int = 4
    triplane_resolutions: tuple[int, ...] = (16, 32, 64)
    triplane_channels: int = 8
    triplane_reduce: str = "sum"
    audio_mode: str = "mel"
    n_mels: int = 80
    audio_window: int = 32
    audio_feature_dim: int = 0
    audio_hidden: int = 64
    audio_smooth: int = 5
    au_encoder: str = "cit"
    au_window: int = 8
    cit_hidden: int = 32
    cit_dilations: tuple[int, ...] = (1, 2, 4)
    cit_identity: str = "add"
    pab: bool = True
    learn_bias_residual: bool = True
    secondary_bias: float = -2.0
    speech_priority_bias: float = -1.0
    baseline: str | None = None
    mlp_hidden: int = 128
    mlp_layers: int = 2
    out_init_std: float = 1e-4
    attention_chunk: int | None = None
    attention_norm: str = "softmax"
    #: Append each Gaussian's zone memberships [6] to its spatial feature f (decoder and queries).
    zone_features: bool = False
    #: A learned code of this many numbers per Gaussian, appended to f. The tri-plane's finest cell
    #: is ~4 mm on the default head: it cannot tell the upper lip from the lower one (1-2 mm apart
    #: when closed) or the lid from the eyeball, which the rig moves apart. Ties the model to the
    #: head's Gaussian count (``num_gaussians``, set by :meth:`EmoZoneModel.for_cloud`).
    gaussian_latent: int = 0
    num_gaussians: int = 0
    #: Subtract the decoder's output for the neutral input (silence, every AU at 0), so the
    #: canonical head, which is the neutral face, is exactly what the model gives there. Without it
    #: a zero offset at rest is a cancellation the network has to learn: the AU tokens carry their
    #: identity embeddings even at intensity 0, and trained attention models moved the mouth by
    #: 2.5-4.7 mm in silence with every AU at 0 (docs/RESULTS.md).
    neutral_anchor: bool = False
    #: The attention prior's zones (core.model.sz_pab): "six" (our anatomical zones, hard -inf
    #: table) or "paper3" (the paper's Z_A / Z_E / Z_S, a finite learnable table starting at
    #: ``suppress_bias`` where a zone suppresses a modality). "six" is the default only so that
    #: checkpoints written before the option existed keep their meaning; training's variants
    #: (core.training.variants) name the scheme.
    zone_scheme: str = "six"
    suppress_bias: float = -2.0

    def __post_init__(self) -> None:
        if self.au_encoder not in ("cit", "mlp", "none"):
            raise ModelConfigError(f"au_encoder must be 'cit', 'mlp' or 'none', got {self.au_encoder!r}")
        if self.zone_scheme not in ZONE_SCHEMES:
            raise ModelConfigError(f"zone_scheme must be one of {', '.join(ZONE_SCHEMES)}, got {self.zone_scheme!r}")
        if not (self.suppress_bias < 0 and math.isfinite(self.suppress_bias)):
            raise ModelConfigError(f"suppress_bias must be a finite negative number, got {self.suppress_bias}")
        if self.baseline not in (None, "channel_gate"):
            raise ModelConfigError(f"baseline must be null or 'channel_gate', got {self.baseline!r}")
        if self.cit_identity not in CIT_IDENTITIES:
            raise ModelConfigError(f"cit_identity must be one of {', '.join(CIT_IDENTITIES)}, got {self.cit_identity!r}")
        if self.attention_norm not in ATTENTION_NORMS:
            raise ModelConfigError(f"attention_norm must be one of {', '.join(ATTENTION_NORMS)}, "
                                   f"got {self.attention_norm!r}")
        if self.audio_mode not in ("mel", "features"):
            raise ModelConfigError(f"audio_mode must be 'mel' or 'features', got {self.audio_mode!r}")
        if self.audio_mode == "features" and self.audio_feature_dim < 1:
            raise ModelConfigError("audio_mode 'features' needs audio_feature_dim >= 1")
        if self.d < 1 or self.heads < 1 or self.d % self.heads:
            raise ModelConfigError(f"d={self.d} must be a positive multiple of heads={self.heads}")
        if self.gaussian_latent < 0 or self.num_gaussians < 0:
            raise ModelConfigError("gaussian_latent and num_gaussians must be >= 0")
        if self.au_window < 0 or self.mlp_layers < 1:
            raise ModelConfigError("au_window must be >= 0 and mlp_layers >= 1")

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelConfig":
        if not isinstance(data, dict):
            raise ModelConfigError(f"model config: expected an object, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ModelConfigError(f"model config: unknown keys {unknown}")
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise ModelConfigError(f"model config: {exc}") from None


@dataclasses.dataclass
class DeformationOutput:
    """Per-frame offsets: d_mu [T, N, 3], d_rot [T, N, 4] (w, x, y, z), d_log_scale [T, N, 3]."""

    d_mu: torch.Tensor
    d_rot: torch.Tensor
    d_log_scale: torch.Tensor

    @property
    def num_frames(self) -> int:
        return int(self.d_mu.shape[0])

    def detach(self) -> "DeformationOutput":
        return DeformationOutput(self.d_mu.detach(), self.d_rot.detach(), self.d_log_scale.detach())


@dataclasses.dataclass
class GaussianContext:
    """Per-Gaussian quantities that do not depend on the frame (cache them for inference).

    features [N, F], memberships [N, Z] (rows sum to 1), move_weight [N] = 1 - m_static,
    queries [N, H, c] or None, bias [N, J] or None (None: PAB off or channel-gate baseline).
    hidden [N, h] and neutral [N, 10]: the decoder's frame-independent first term and, with
    ``neutral_anchor``, its output for the neutral frame; filled by EmoZoneModel.freeze_context for
    inference (a cache: never while training, where they would go stale after a step).
    """

    features: torch.Tensor
    memberships: torch.Tensor
    move_weight: torch.Tensor
    queries: torch.Tensor | None
    bias: torch.Tensor | None
    hidden: torch.Tensor | None = None
    neutral: torch.Tensor | None = None


def check_memberships(zones: torch.Tensor, n: int) -> torch.Tensor:
    """Validate memberships [N, Z] (non-negative, finite, positive row sums) and normalise rows."""
    if zones.ndim != 2 or zones.shape[0] != n or zones.shape[1] != NUM_ZONES:
        raise ModelInputError(f"zone memberships: expected [{n}, {NUM_ZONES}] (columns {', '.join(ZONES)}), "
                              f"got {list(zones.shape)}")
    zones = zones.float()
    bad = ~torch.isfinite(zones).all(dim=1) | (zones < 0).any(dim=1) | (zones.sum(dim=1) <= 0)
    if bool(bad.any()):
        raise ModelInputError(f"zone memberships: {int(bad.sum())} of {n} rows are negative, non-finite or all zero "
                              f"(first bad row {int(torch.nonzero(bad)[0])})")
    return zones / zones.sum(dim=1, keepdim=True)


def cloud_memberships(cloud: GaussianCloud) -> torch.Tensor:
    """The cloud's normalised zone memberships [N, 6]."""
    if ZONE_ATTRIBUTE not in cloud.attributes:
        raise ModelInputError(f"Gaussian cloud has no {ZONE_ATTRIBUTE!r} attribute (zone memberships [N, 6])")
    return check_memberships(cloud.attributes[ZONE_ATTRIBUTE], len(cloud))


def apply_deformation(cloud: GaussianCloud, d_mu: torch.Tensor, d_rot: torch.Tensor,
                      d_log_scale: torch.Tensor) -> GaussianCloud:
    """Cloud with offsets of one frame applied: d_mu [N, 3], d_rot [N, 4], d_log_scale [N, 3]."""
    q = cloud.normalized_quats + d_rot
    q = q / q.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    return cloud.replace(means=cloud.means + d_mu, quats=q, log_scales=cloud.log_scales + d_log_scale)


class ChannelGate(nn.Module):
    """TalkingGaussian-style region-aware channel gate (the baseline): per Gaussian, sigmoid gates
    from f_i over the audio-token channels and the 17 AU channels of the current frame:

        o_i(t) = W_a (g_a(f_i) * a_t) + W_u (g_u(f_i) * u_t),   u_t = AU(t) / 5    [T, N, d]
    """

    def __init__(self, feature_dim: int, d: int) -> None:
        super().__init__()
        self.audio_gate = nn.Linear(feature_dim, d)
        self.au_gate = nn.Linear(feature_dim, NUM_AUS)
        self.audio_proj = nn.Linear(d, d)
        self.au_proj = nn.Linear(NUM_AUS, d)

    def forward(self, features: torch.Tensor, audio_tokens: torch.Tensor, au_scaled: torch.Tensor) -> torch.Tensor:
        ga = torch.sigmoid(self.audio_gate(features))  # [N, d]
        gu = torch.sigmoid(self.au_gate(features))  # [N, 17]
        return self.audio_proj(ga[None] * audio_tokens[:, None]) + self.au_proj(gu[None] * au_scaled[:, None])


class EmoZoneModel(nn.Module):
    """The deformation model. Build with ``EmoZoneModel(config)`` then :meth:`fit_bounds`, or with
    :meth:`for_cloud`. The bounding box is a buffer, saved in the state dict."""

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = cfg = config or ModelConfig()
        self.triplane = TriPlaneEncoder(cfg.triplane_resolutions, cfg.triplane_channels, cfg.triplane_reduce)
        fdim = self.triplane.out_dim + (NUM_ZONES if cfg.zone_features else 0) + cfg.gaussian_latent
        self.latent: nn.Parameter | None = None
        if cfg.gaussian_latent:
            if cfg.num_gaussians < 1:
                raise ModelConfigError("gaussian_latent needs num_gaussians (build with EmoZoneModel.for_cloud)")
            self.latent = nn.Parameter(torch.randn(cfg.num_gaussians, cfg.gaussian_latent) * 0.1)
        self.audio = AudioEncoder(cfg.d, cfg.audio_mode, cfg.n_mels, cfg.audio_window, cfg.audio_feature_dim,
                                  cfg.audio_hidden, cfg.audio_smooth)
        self.au_encoder: nn.Module | None = None
        self.attention: SZPABAttention | None = None
        self.gate: ChannelGate | None = None
        if cfg.baseline == "channel_gate":
            self.gate = ChannelGate(fdim, cfg.d)
        else:
            if cfg.au_encoder == "cit":
                self.au_encoder = CITAE(cfg.d, cfg.au_window, cfg.cit_hidden, cfg.cit_dilations, cfg.cit_identity)
            elif cfg.au_encoder == "mlp":
                self.au_encoder = AUMLPEncoder(cfg.d, cfg.mlp_hidden)
            # au_encoder "none" (the audio-only ablation): no AU tokens at all.
            self.attention = SZPABAttention(fdim, cfg.d, cfg.heads, cfg.au_encoder, cfg.pab,
                                            cfg.learn_bias_residual, cfg.secondary_bias,
                                            cfg.speech_priority_bias, cfg.attention_chunk, cfg.attention_norm,
                                            cfg.zone_scheme, cfg.suppress_bias)
        # First decoder layer split so [f_i, o_i(t)] is never materialised over T x N.
        self.dec_f = nn.Linear(fdim, cfg.mlp_hidden)
        self.dec_o = nn.Linear(cfg.d, cfg.mlp_hidden, bias=False)
        layers: list[nn.Module] = [nn.ReLU()]
        for _ in range(cfg.mlp_layers - 1):
            layers += [nn.Linear(cfg.mlp_hidden, cfg.mlp_hidden), nn.ReLU()]
        self.dec_rest = nn.Sequential(*layers)
        self.dec_out = nn.Linear(cfg.mlp_hidden, 10)
        # Near zero, not zero: the first steps still pass gradient to the layers below.
        nn.init.normal_(self.dec_out.weight, std=cfg.out_init_std)
        nn.init.zeros_(self.dec_out.bias)

    # ------------------------------------------------------------------ construction
    @classmethod
    def for_cloud(cls, cloud: GaussianCloud, config: ModelConfig | None = None) -> "EmoZoneModel":
        config = config or ModelConfig()
        if config.gaussian_latent and config.num_gaussians != len(cloud):
            config = dataclasses.replace(config, num_gaussians=len(cloud))
        model = cls(config)
        model.fit_bounds(cloud)
        return model

    def fit_bounds(self, cloud: GaussianCloud) -> None:
        """Normalise tri-plane positions by the canonical cloud's bounding box."""
        lo, hi = cloud.bounds()
        self.triplane.set_bounds(lo, hi)

    @property
    def au_radius(self) -> int:
        """W: an AU change at frames a..b changes outputs at frames a-W .. b+W."""
        return int(getattr(self.au_encoder, "radius", 0)) if self.au_encoder is not None else 0

    @property
    def num_tokens(self) -> int:
        return self.attention.num_tokens if self.attention is not None else 0

    # ------------------------------------------------------------------ stages
    def gaussian_context(self, means: torch.Tensor, memberships: torch.Tensor) -> GaussianContext:
        """means [N, 3], memberships [N, 6] -> the frame-independent context."""
        n = means.shape[0]
        if means.ndim != 2 or means.shape[1] != 3:
            raise ModelInputError(f"means: expected [N, 3], got {list(means.shape)}")
        m = check_memberships(memberships, n).to(means.device)
        f = self.triplane(means)
        if self.config.zone_features or self.latent is not None:
            parts = [f]
            if self.config.zone_features:
                parts.append(m)
            if self.latent is not None:
                if n != self.latent.shape[0]:
                    raise ModelInputError(f"this model has a learned code for each of {self.latent.shape[0]} "
                                          f"Gaussians, but the cloud has {n}")
                parts.append(self.latent)
            f = torch.cat(parts, dim=-1)
        q = bias = None
        if self.attention is not None:
            q = self.attention.queries(f)
            bias = self.attention.gaussian_bias(m)
        return GaussianContext(f, m, (1.0 - m[:, STATIC]).clamp(0.0, 1.0), q, bias)

    def context_for(self, cloud: GaussianCloud) -> GaussianContext:
        return self.gaussian_context(cloud.means, cloud_memberships(cloud))

    def encode_audio(self, audio: torch.Tensor) -> torch.Tensor:
        """Audio [T, W, 80] or [T, D] of consecutive frames -> tokens [T, d]."""
        return self.audio(audio.to(device=self.dec_out.weight.device, dtype=self.dec_out.weight.dtype))

    def encode_au(self, au: torch.Tensor, frames: torch.Tensor | None = None) -> torch.Tensor:
        """AU sequence [T, 17] (0..5) -> the per-frame AU conditioning for ``frames`` (all by default):
        tokens [T', K, d] with an attention model, scaled values [T', 17] for the channel gate."""
        _check_au(au)
        if self.au_encoder is not None:
            return self.au_encoder(au, frames)
        if self.attention is not None:  # audio only: no AU tokens
            t = au.shape[0] if frames is None else len(frames)
            return au.new_zeros(t, 0, self.config.d, dtype=self.dec_out.weight.dtype)
        u = (au.float() / AU_MAX).clamp(0.0, 1.0)
        return u if frames is None else u[frames]

    def neutral_input(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The audio tokens [1, d] and AU conditioning of one neutral frame: silence (the log-mel
        floor, or zero features) and every AU at 0."""
        from core.audio.features import LOG_FLOOR

        w = self.dec_out.weight
        if self.config.audio_mode == "mel":
            silence = torch.full((1, self.config.audio_window, self.config.n_mels), math.log(LOG_FLOOR),
                                 device=w.device, dtype=w.dtype)
        else:
            silence = torch.zeros(1, self.config.audio_feature_dim, device=w.device, dtype=w.dtype)
        return self.audio(silence), self.encode_au(torch.zeros(1, NUM_AUS, device=w.device))

    def _conditioning(self, ctx: GaussianContext, audio_tokens: torch.Tensor, au_cond: torch.Tensor) -> torch.Tensor:
        """o_i(t) [T, N, d]: the attention over the frame's tokens, or the channel gate."""
        if self.gate is not None:
            return self.gate(ctx.features, audio_tokens, au_cond)
        tokens = torch.cat([audio_tokens[:, None], au_cond], dim=1)
        return self.attention.attend(ctx.queries, tokens, ctx.bias)

    def _neutral_output(self, ctx: GaussianContext, hf: torch.Tensor) -> torch.Tensor:
        """The decoder's raw output [1, N, 10] for the neutral frame (what neutral_anchor subtracts)."""
        return self.dec_out(self.dec_rest(hf + self.dec_o(self._conditioning(ctx, *self.neutral_input()))))

    @torch.no_grad()
    def freeze_context(self, ctx: GaussianContext) -> GaussianContext:
        """``ctx`` with its frame-independent decoder terms computed once (inference only: a
        one-frame decode then costs one pass instead of two). The weights must not change after."""
        hidden = self.dec_f(ctx.features)
        neutral = self._neutral_output(ctx, hidden[None])[0] if self.config.neutral_anchor else None
        return dataclasses.replace(ctx, hidden=hidden, neutral=neutral)

    def decode(self, ctx: GaussianContext, audio_tokens: torch.Tensor, au_cond: torch.Tensor) -> DeformationOutput:
        """Context, audio tokens [T, d], AU conditioning (from encode_au) -> offsets for T frames."""
        if audio_tokens.shape[0] != au_cond.shape[0]:
            raise ModelInputError(f"audio has {audio_tokens.shape[0]} frames but the AUs have {au_cond.shape[0]}")
        o = self._conditioning(ctx, audio_tokens, au_cond)
        hf = (ctx.hidden if ctx.hidden is not None else self.dec_f(ctx.features))[None]
        y = self.dec_out(self.dec_rest(hf + self.dec_o(o)))
        if self.config.neutral_anchor:
            y = y - (ctx.neutral[None] if ctx.neutral is not None else self._neutral_output(ctx, hf))
        y = y * ctx.move_weight[None, :, None]
        half_extent = 0.5 * (self.triplane.bbox_max - self.triplane.bbox_min)
        return DeformationOutput(y[..., :3] * half_extent, y[..., 3:7], y[..., 7:10])

    def forward(self, cloud: GaussianCloud, audio: torch.Tensor, au: torch.Tensor) -> DeformationOutput:
        """Canonical cloud (with a 'zones' attribute [N, 6]), audio [T, W, 80] or [T, D], AUs [T, 17]
        -> offsets d_mu [T, N, 3], d_rot [T, N, 4], d_log_scale [T, N, 3]."""
        if au.shape[0] != audio.shape[0]:
            raise ModelInputError(f"audio has {audio.shape[0]} frames but the AUs have {au.shape[0]}")
        ctx = self.context_for(cloud)
        return self.decode(ctx, self.encode_audio(audio), self.encode_au(au.to(cloud.device)))

    @staticmethod
    def apply(cloud: GaussianCloud, out: DeformationOutput, t: int) -> GaussianCloud:
        """The deformed cloud of frame t of ``out``."""
        return apply_deformation(cloud, out.d_mu[t], out.d_rot[t], out.d_log_scale[t])

    def parameter_counts(self) -> dict[str, int]:
        """Trainable parameters per part (for docs and reports)."""
        parts = {"triplane": self.triplane, "gaussian_latent": self.latent, "audio": self.audio, "au_encoder": self.au_encoder,
                 "attention": self.attention, "channel_gate": self.gate,
                 "decoder": nn.ModuleList([self.dec_f, self.dec_o, self.dec_rest, self.dec_out])}
        counts = {k: (m.numel() if isinstance(m, nn.Parameter) else
                      sum(p.numel() for p in m.parameters() if p.requires_grad))
                  for k, m in parts.items() if m is not None}
        counts["total"] = sum(counts.values())
        return counts

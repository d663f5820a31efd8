"""SZ-PAB: Synergy Zones with Prioritized Attention Bias (METHOD.md).

Tokens of one frame, in this order (J tokens):
    [audio token a_t] + [AU tokens: 17 CIT-AE tokens, or 1 AU-vector token in the w/o-CIT-AE ablation] + [null]
The null token is a learned vector owned by :class:`SZPABAttention`; callers pass the others.

A prior bias table B[zone, token] (see :func:`prior_bias_table` and docs/MODEL.md) gives 0 for a
zone's primary tokens, a negative value for secondary tokens and -inf for anatomically unrelated
pairs. A learned residual dB (zero at start) is added to the finite entries only. For Gaussian i
with zone memberships m_i [Z] the bias is the mixture in probability space

    b_ij = log sum_z m_iz exp(B[z, j]) = logsumexp_z(log m_iz + B[z, j]),

so a token is masked (b = -inf, attention weight exactly 0) only where every zone the Gaussian
belongs to masks it. Attention per head h (head width c = d / H):

    alpha_ij = softmax_j(q_i . k_j / sqrt(c) + b_ij),   o_i = sum_j alpha_ij v_j.

Two zone schemes (``zone_scheme``):

* ``"paper3"``, the paper's: three face zones, the audio-dominant mouth Z_A (mouth + jaw/chin), the
  expression-dominant upper face Z_E (brows + eyes) and the synergy zone Z_S (cheeks and nose), plus
  the static hair and neck. Z_A suppresses the AU tokens and Z_E the audio token by a finite
  ``suppress`` penalty, Z_S is unconstrained; the whole table is learnable (nothing is -inf but the
  static row), so the bias is a prior, not a mask. Memberships of the six anatomical zones are summed
  into these four (:data:`PAPER3_GROUPS`).
* ``"six"``, ours: the six anatomical zones with the hard table below (-inf for unrelated pairs:
  zero leakage by construction).
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from core.aus import AU_NAMES, AU_ZONE, SPEECH_ZONES, ZONES

#: Zones that touch each other on the face; an AU acting in one is a secondary token in the other.
ZONE_NEIGHBOURS: tuple[tuple[str, str], ...] = (
    ("brow", "eyes"), ("eyes", "cheek_nose"), ("cheek_nose", "mouth"), ("mouth", "jaw_chin"),
)
AUDIO_TOKEN = "audio"
NULL_TOKEN = "null"
AU_VECTOR_TOKEN = "au_vector"
NEG_INF = float("-inf")
ATTENTION_NORMS = ("softmax", "sigmoid", "modality")


ZONE_SCHEMES = ("six", "paper3")
#: The paper's zones: name -> the anatomical zones (core.aus.ZONES) whose memberships it sums.
PAPER3_GROUPS: dict[str, tuple[str, ...]] = {
    "Z_A": ("mouth", "jaw_chin"),     # audio-dominant
    "Z_E": ("brow", "eyes"),          # expression-dominant
    "Z_S": ("cheek_nose",),           # synergy, unconstrained
    "static": ("static",),
}


def scheme_zones(scheme: str) -> tuple[str, ...]:
    """Row names of a zone scheme's bias table."""
    if scheme == "six":
        return ZONES
    if scheme == "paper3":
        return tuple(PAPER3_GROUPS)
    raise ValueError(f"zone_scheme must be one of {', '.join(ZONE_SCHEMES)}, got {scheme!r}")


def scheme_matrix(scheme: str) -> torch.Tensor:
    """[len(ZONES), rows]: six anatomical memberships @ this = the scheme's memberships."""
    rows = scheme_zones(scheme)
    if scheme == "six":
        return torch.eye(len(ZONES))
    p = torch.zeros(len(ZONES), len(rows))
    for r, name in enumerate(rows):
        for zone in PAPER3_GROUPS[name]:
            p[ZONES.index(zone), r] = 1.0
    return p


def token_names(au_tokens: str = "cit") -> tuple[str, ...]:
    """Token names in attention order for ``au_tokens`` "cit" (J = 19), "mlp" (J = 3) or "none"
    (J = 2: the audio-only ablation)."""
    if au_tokens == "cit":
        return (AUDIO_TOKEN,) + AU_NAMES + (NULL_TOKEN,)
    if au_tokens == "mlp":
        return (AUDIO_TOKEN, AU_VECTOR_TOKEN, NULL_TOKEN)
    if au_tokens == "none":
        return (AUDIO_TOKEN, NULL_TOKEN)
    raise ValueError(f"au_tokens must be 'cit', 'mlp' or 'none', got {au_tokens!r}")


def paper3_bias_table(au_tokens: str = "cit", suppress: float = -2.0) -> torch.Tensor:
    """The paper's prior [4, J] (rows Z_A, Z_E, Z_S, static): Z_A suppresses the AU tokens, Z_E the
    audio token, by ``suppress`` (finite, < 0); Z_S allows everything; static only the null token."""
    if not (suppress < 0 and math.isfinite(suppress)):
        raise ValueError("suppress must be a finite negative number")
    names = token_names(au_tokens)
    rows = scheme_zones("paper3")
    table = torch.zeros(len(rows), len(names))
    table[rows.index("static")] = NEG_INF
    table[rows.index("static"), names.index(NULL_TOKEN)] = 0.0
    for j, name in enumerate(names):
        if name == AUDIO_TOKEN:
            table[rows.index("Z_E"), j] = suppress
        elif name != NULL_TOKEN:
            table[rows.index("Z_A"), j] = suppress
    return table


def _neighbours(a: str, b: str) -> bool:
    return (a, b) in ZONE_NEIGHBOURS or (b, a) in ZONE_NEIGHBOURS


def prior_bias_table(au_tokens: str = "cit", secondary: float = -2.0,
                     speech_priority: float = -1.0) -> torch.Tensor:
    """The prior bias B [len(ZONES), J] (rows in core.aus.ZONES order, columns in token_names order).

    Rules (documented in docs/MODEL.md):
      * null token: 0 in every zone.
      * static zone: every other token -inf (static Gaussians attend only to the null token).
      * audio: 0 in the speech zones (mouth, jaw_chin), -inf elsewhere.
      * an AU in its home zone: 0, except in the speech zones where speech outranks expression:
        ``speech_priority``.
      * an AU of a neighbouring zone (ZONE_NEIGHBOURS): ``secondary``.
      * any other AU/zone pair: -inf.
      * "mlp" ablation: the single AU-vector token is 0 in brow/eyes/cheek_nose and
        ``speech_priority`` in the speech zones.
    """
    if not (secondary < 0 and speech_priority <= 0):
        raise ValueError("secondary must be < 0 and speech_priority <= 0")
    names = token_names(au_tokens)
    table = torch.full((len(ZONES), len(names)), NEG_INF)
    for z, zone in enumerate(ZONES):
        table[z, names.index(NULL_TOKEN)] = 0.0
        if zone == "static":
            continue
        speech = zone in SPEECH_ZONES
        if speech:
            table[z, names.index(AUDIO_TOKEN)] = 0.0
        if au_tokens == "mlp":
            table[z, names.index(AU_VECTOR_TOKEN)] = speech_priority if speech else 0.0
            continue
        if au_tokens == "none":
            continue
        for au in AU_NAMES:
            home = AU_ZONE[au]
            j = names.index(au)
            if home == zone:
                table[z, j] = speech_priority if speech else 0.0
            elif _neighbours(home, zone):
                table[z, j] = secondary
    return table


def mixture_bias(memberships: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """b = logsumexp_z(log m + B): memberships [N, Z] (rows sum to 1), table [Z, J] -> [N, J].

    Safe with m = 0 and -inf entries: fully masked entries are exactly -inf, and no NaN reaches the
    gradient of ``table`` (the memberships are treated as constants).
    """
    m = memberships.detach().to(table.dtype)
    x = torch.log(m)[:, :, None] + table[None]  # [N, Z, J]; -inf where m = 0 or B = -inf
    mx = x.max(dim=1).values
    # The max only stabilises the sum and cancels analytically; -inf columns use 0 instead.
    mx = torch.where(torch.isfinite(mx), mx, torch.zeros_like(mx)).detach()
    s = torch.exp(x - mx[:, None, :]).sum(dim=1)
    ok = s > 0
    s_safe = torch.where(ok, s, torch.ones_like(s))  # keeps log's gradient finite where masked
    return torch.where(ok, torch.log(s_safe) + mx, torch.full_like(s, NEG_INF))


class SZPABAttention(nn.Module):
    """Zone-biased cross-attention from Gaussians (queries) to the frame's tokens.

    Args:
        query_dim: width of the spatial feature f_i.
        d: token width (divisible by heads).
        heads: attention heads (all share the bias).
        au_tokens: "cit" or "mlp" (token layout, see token_names).
        pab: False gives plain attention (every token allowed, no bias): the "w/o PAB" ablation.
        learn_residual: learn dB on the finite entries of the prior table.
        secondary, speech_priority: prior table values.
        chunk_size: attend in chunks of this many Gaussians (bounds memory at T x chunk x J x H).
        zone_scheme: "six" (our anatomical zones, hard table) or "paper3" (the paper's three zones,
            finite learnable table; ``suppress`` is its initial penalty).
        norm: "softmax" (the paper: weights of a Gaussian sum to 1, values are mixed convexly),
            "sigmoid" (each token weighted on its own, alpha = sigmoid(logit + b): contributions of
            several active tokens add up; -inf still gives exactly 0) or "modality" (one softmax over
            the audio token and the null token, another over the AU tokens and the null token, the two
            outputs added: the AUs compete with each other but no longer take weight from speech).
    """

    def __init__(self, query_dim: int, d: int = 64, heads: int = 4, au_tokens: str = "cit",
                 pab: bool = True, learn_residual: bool = True, secondary: float = -2.0,
                 speech_priority: float = -1.0, chunk_size: int | None = None, norm: str = "softmax",
                 zone_scheme: str = "six", suppress: float = -2.0) -> None:
        super().__init__()
        if norm not in ATTENTION_NORMS:
            raise ValueError(f"attention norm must be one of {', '.join(ATTENTION_NORMS)}, got {norm!r}")
        self.norm = norm
        if d % heads:
            raise ValueError(f"attention width {d} is not divisible by {heads} heads")
        self.d, self.heads, self.pab, self.chunk_size = int(d), int(heads), bool(pab), chunk_size
        self.names = token_names(au_tokens)
        self.q_proj = nn.Linear(query_dim, d)
        self.k_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)
        self.null = nn.Parameter(torch.randn(d) * 0.1)
        self.zone_scheme = zone_scheme
        self.zone_names = scheme_zones(zone_scheme)
        prior = (paper3_bias_table(au_tokens, suppress) if zone_scheme == "paper3"
                 else prior_bias_table(au_tokens, secondary, speech_priority))
        self.register_buffer("prior", prior)
        self.register_buffer("scheme", scheme_matrix(zone_scheme), persistent=False)
        self.learn_residual = bool(learn_residual)
        self.residual = nn.Parameter(torch.zeros_like(self.prior), requires_grad=self.learn_residual)
        # "modality": which tokens each softmax keeps, [2, J] (audio + null; AU tokens + null).
        j = len(self.names)
        groups = torch.zeros(2, j, dtype=torch.bool)
        groups[0, 0] = groups[1, 1:] = True
        groups[:, -1] = True
        self.register_buffer("groups", groups, persistent=False)

    @property
    def num_tokens(self) -> int:
        return len(self.names)

    def bias_table(self) -> torch.Tensor:
        """Effective table B + dB [Z, J]; dB only touches finite entries."""
        finite = torch.isfinite(self.prior)
        base = torch.where(finite, self.prior, torch.zeros_like(self.prior))
        return torch.where(finite, base + self.residual, self.prior)

    def gaussian_bias(self, memberships: torch.Tensor) -> torch.Tensor | None:
        """Per-Gaussian bias [N, J] from memberships [N, Z]; None when PAB is off."""
        if not self.pab:
            return None
        return mixture_bias(self.scheme_memberships(memberships), self.bias_table())

    def scheme_memberships(self, memberships: torch.Tensor) -> torch.Tensor:
        """Six anatomical memberships [N, 6] -> this scheme's [N, rows] (rows sum to 1)."""
        return memberships @ self.scheme.to(memberships.dtype)

    def queries(self, features: torch.Tensor) -> torch.Tensor:
        """Spatial features [N, F] -> scaled queries [N, H, c]."""
        c = self.d // self.heads
        q = self.q_proj(features).reshape(features.shape[0], self.heads, c)
        return q / math.sqrt(c)

    def _weights(self, logits: torch.Tensor) -> torch.Tensor:
        """Attention weights from logits [..., J] (tokens: audio, AU tokens..., null)."""
        if self.norm == "softmax":
            return torch.softmax(logits, dim=-1)
        if self.norm == "sigmoid":
            return torch.sigmoid(logits)
        # Each group has the null token, so no row is all -inf.
        return sum(torch.softmax(logits.masked_fill(~keep, NEG_INF), dim=-1) for keep in self.groups)

    def attend(self, q: torch.Tensor, tokens: torch.Tensor, bias: torch.Tensor | None,
               return_weights: bool = False):
        """q [N, H, c], tokens [T, J-1, d] (without null), bias [N, J] or None -> o [T, N, d]
        (and the attention weights [T, H, N, J] if asked)."""
        t = tokens.shape[0]
        if tokens.ndim != 3 or tokens.shape[1] != self.num_tokens - 1 or tokens.shape[2] != self.d:
            raise ValueError(f"attention tokens: expected [T, {self.num_tokens - 1}, {self.d}], "
                             f"got {list(tokens.shape)}")
        full = torch.cat([tokens, self.null.expand(t, 1, self.d)], dim=1)  # [T, J, d]
        c = self.d // self.heads
        k = self.k_proj(full).reshape(t, self.num_tokens, self.heads, c)
        v = self.v_proj(full).reshape(t, self.num_tokens, self.heads, c)
        n = q.shape[0]
        step = self.chunk_size or n or 1
        outs, weights = [], []
        for s in range(0, n, step):
            qc = q[s:s + step]
            logits = torch.einsum("nhc,tjhc->thnj", qc, k)  # [T, H, n, J]
            if bias is not None:
                logits = logits + bias[s:s + step][None, None]
            alpha = self._weights(logits)
            o = torch.einsum("thnj,tjhc->tnhc", alpha, v).reshape(t, qc.shape[0], self.d)
            outs.append(self.out_proj(o))
            if return_weights:
                weights.append(alpha)
        o = torch.cat(outs, dim=1) if outs else q.new_zeros(t, 0, self.d)
        if return_weights:
            return o, torch.cat(weights, dim=2)
        return o

    def forward(self, features: torch.Tensor, memberships: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """features [N, F], memberships [N, Z], tokens [T, J-1, d] -> o [T, N, d]."""
        return self.attend(self.queries(features), tokens, self.gaussian_bias(memberships))

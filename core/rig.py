"""The analytic AU rig: AU intensities (0..5) and speech controls (0..1) -> posed Gaussians.

Per-Gaussian weights are computed once when the head is built (``build_rig``), so ``deform`` is a
handful of batched tensor ops over all frames at once:

    p1 = p0 + sum_a (au_a / 5) D_a + sum_s speech_s S_s                 (translations)
    angle = sum_a (au_a / 5) A_a + sum_s speech_s B_s                   (per-Gaussian angle, rad)
    p = p1 + (R_x(angle) - I) (p1 - pivot),  q = r_x(angle) * q0         (rotation about the x axis)

The rotations are the anatomical hinges: the jaw (AU26, speech ``jaw_open``) about an axis through
the jaw joints, the lids (AU05, AU07, AU45, and AU06 on the lower lid) about the eyeball centre. A
positive angle moves points in front of the pivot downward (closing a lid, opening the jaw).

Every AU field is multiplied by g(m), m the Gaussian's membership in the AU's zone and
g(m) = clamp(m / 0.3, 0, 1), so an AU never moves a Gaussian outside its zone, and Gaussians of the
static zone never move. With all-zero input the canonical head comes back bit for bit.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from core.aus import AU_INDEX, AU_MAX, AU_NAMES, AU_ZONE, NUM_AUS, NUM_SPEECH, SPEECH_INDEX, SPEECH_NAMES, ZONE_INDEX
from core.gaussians import GaussianCloud, GaussianFrames, quat_multiply
from core.zones import Part, zone_scores


class RigInputError(ValueError):
    """AU or speech input of the wrong shape, name or range."""


#: Membership at which an AU acts at full strength.
FULL_MEMBERSHIP = 0.3

#: Rotation sizes at full intensity (radians).
JAW_DROP_ANGLE = float(np.radians(20.0))  # AU26 at 5
JAW_OPEN_ANGLE = float(np.radians(15.0))  # speech jaw_open at 1
LID_BLINK_ANGLE = 0.90  # AU45 at 5: the upper lid margin sweeps down past the lower one
LID_RAISE_ANGLE = -0.22  # AU05 at 5
LID_TIGHTEN_UPPER = 0.12  # AU07 at 5
LID_TIGHTEN_LOWER = -0.20
CHEEK_LOWER_LID = -0.15  # AU06 at 5 pushes the lower lid up


@dataclasses.dataclass
class RigData:
    """Precomputed rig weights for N Gaussians.

    au_disp      [17, N, 3] translation at intensity 5 (order core.aus.AU_NAMES)
    au_angle     [17, N]    rotation angle (rad) about the x axis through ``pivot`` at intensity 5
    speech_disp  [4, N, 3]  translation at control 1 (order core.aus.SPEECH_NAMES)
    speech_angle [4, N]
    pivot        [N, 3]     rotation centre of each Gaussian (jaw hinge or its eyeball centre)
    au_log_scale [17, N]    growth of the two in-plane log-scales at intensity 5 (stretched skin)
    speech_log_scale [4, N]
    """

    au_disp: torch.Tensor
    au_angle: torch.Tensor
    speech_disp: torch.Tensor
    speech_angle: torch.Tensor
    pivot: torch.Tensor
    au_log_scale: torch.Tensor
    speech_log_scale: torch.Tensor

    def to(self, device) -> "RigData":
        return RigData(*(getattr(self, f.name).to(device) for f in dataclasses.fields(self)))


#: Posed frames of the rig: the drivers' one batch type (means [T, N, 3], quats [T, N, 4],
#: log_scales [T, N, 3], the rest from ``base``). The old name stays importable.
RigFrames = GaussianFrames


# ---------------------------------------------------------------------------------- building
def _smoothstep(t):
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def build_rig(cloud: GaussianCloud, anatomy: dict) -> RigData:
    """Rig weights for a head cloud with attributes ``zones`` and ``part`` (see core.head)."""
    p = cloud.means.detach().cpu().double().numpy()
    zones = cloud.attributes["zones"].detach().cpu().double().numpy()
    part = cloud.attributes["part"].detach().cpu().numpy()
    n = len(p)
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    ax, sx = np.abs(x), np.sign(x)
    ym = anatomy["mouth_y"][0]
    w_mouth = anatomy["mouth_half_width"][0]

    def gate(zone: str) -> np.ndarray:
        return np.clip(zones[:, ZONE_INDEX[zone]] / FULL_MEMBERSHIP, 0.0, 1.0)

    def g(cx, cy, sxx, syy, xx=ax):
        return np.exp(-0.5 * (((xx - cx) / sxx) ** 2 + ((y - cy) / syy) ** 2))

    def vec(w, dx=0.0, dy=0.0, dz=0.0):
        """A constant direction scaled per Gaussian by w [N] -> [N, 3]."""
        return np.stack([w * dx, w * dy, w * dz], 1)

    is_lip_u = part == Part.LIP_UPPER
    is_lip_l = part == Part.LIP_LOWER
    is_lip = is_lip_u | is_lip_l
    soft = (part == Part.SKIN) | is_lip | (part == Part.BROW)  # parts that stretch with the AUs
    lid_u = part == Part.LID_UPPER
    lid_l = part == Part.LID_LOWER
    # Which side of the mouth line: lips by part, skin smoothly.
    upper_side = np.where(is_lip_u, 1.0, np.where(is_lip_l, 0.0, _smoothstep((y - ym + 0.003) / 0.006)))
    lower_side = 1.0 - upper_side

    D = np.zeros((NUM_AUS, n, 3))
    A = np.zeros((NUM_AUS, n))

    # Brows: strongest on the brow line, fading over the forehead and toward the lids.
    above_lid = _smoothstep((y - 0.012) / 0.014)
    forehead = np.exp(-np.clip(y - 0.030, 0.0, None) / 0.028)
    brow_v = above_lid * forehead * soft
    inner = np.exp(-0.5 * ((ax - 0.010) / 0.012) ** 2)
    outer = np.exp(-0.5 * ((ax - 0.047) / 0.012) ** 2)
    D[AU_INDEX["AU01"]] = vec(brow_v * inner, dy=0.006)
    D[AU_INDEX["AU02"]] = vec(brow_v * outer, dy=0.006)
    lowerer = np.exp(-0.5 * ((ax - 0.022) / 0.020) ** 2) * brow_v
    D[AU_INDEX["AU04"]] = np.stack([-sx * 0.003 * lowerer, -0.004 * lowerer, 0.0008 * lowerer], 1)

    # Lids rotate about the eyeball centre.
    A[AU_INDEX["AU45"]] = LID_BLINK_ANGLE * lid_u - 0.05 * lid_l
    A[AU_INDEX["AU05"]] = LID_RAISE_ANGLE * lid_u
    A[AU_INDEX["AU07"]] = LID_TIGHTEN_UPPER * lid_u + LID_TIGHTEN_LOWER * lid_l
    A[AU_INDEX["AU06"]] = CHEEK_LOWER_LID * lid_l

    # Cheeks and nose.
    cheek = g(0.038, -0.016, 0.016, 0.014) * soft
    D[AU_INDEX["AU06"]] = vec(cheek, dy=0.0045, dz=0.002)
    sneer = (g(0.013, -0.026, 0.008, 0.010) + 0.6 * g(0.0, -0.042, 0.008, 0.005)) * soft
    D[AU_INDEX["AU09"]] = vec(sneer, dy=0.0045, dz=0.0008)

    # Mouth.
    corner = np.exp(-0.5 * (((ax - w_mouth) / 0.012) ** 2 + ((y - ym) / 0.011) ** 2)) * soft
    xr = np.clip(ax / w_mouth, 0.0, 1.0)
    centre_profile = np.sqrt(np.clip(1.0 - xr * xr, 0.0, None))
    near_mouth = np.exp(-0.5 * ((x / 0.022) ** 2 + ((y - ym) / 0.012) ** 2)) * soft
    D[AU_INDEX["AU12"]] = np.stack([sx * 0.0055 * corner, 0.0055 * corner, -0.0025 * corner], 1)
    D[AU_INDEX["AU14"]] = np.stack([-sx * 0.003 * corner, 0.0005 * corner, -0.003 * corner], 1)
    D[AU_INDEX["AU15"]] = vec(corner, dy=-0.005, dz=-0.0005)
    D[AU_INDEX["AU20"]] = np.stack([sx * 0.006 * corner, -0.001 * corner, -0.0015 * corner], 1)
    D[AU_INDEX["AU23"]] = np.stack([-x * 0.15 * near_mouth, -(y - ym) * 0.35 * near_mouth, 0.001 * near_mouth], 1)
    # Lips part: the upper lip a little up, the lower lip down, corners stay together.
    part_profile = centre_profile * np.exp(-0.5 * (np.clip(np.abs(y - ym) - 0.009, 0.0, None) / 0.008) ** 2) * soft
    lips_part = np.stack([np.zeros(n), part_profile * (0.0025 * upper_side - 0.006 * lower_side),
                          -0.001 * part_profile * lower_side], 1)
    D[AU_INDEX["AU25"]] = lips_part
    raise_upper = upper_side * np.exp(-0.5 * ((x / 0.020) ** 2 + ((y - ym - 0.006) / 0.010) ** 2)) * soft
    D[AU_INDEX["AU10"]] = vec(raise_upper, dy=0.004, dz=0.001)

    # Jaw and chin: rotation about the hinge for everything below the mouth line.
    # Skin: the hinge weight goes from 0 above the mouth line to 1 below it; sharply between the lips
    # (the lips are split by part there), over a few centimetres beyond the corners so the cheeks
    # stretch instead of tearing, and it fades under the jaw toward the static neck.
    def jaw_weight(pp: np.ndarray) -> np.ndarray:
        """Hinge weight [N] at positions pp [N, 3] (the Gaussians' own parts), zone gate included.
        Skin goes from 0 above the mouth line to 1 below it: sharply between the lips (the lips are
        split by part there), over a few centimetres beyond the corners so the cheeks stretch rather
        than tear, and it fades under the jaw toward the static neck."""
        px, py, pz = np.abs(pp[:, 0]), pp[:, 1], pp[:, 2]
        lateral = np.clip((px - 0.6 * w_mouth) / 0.025, 0.0, 1.0)
        width = 0.004 + 0.036 * lateral
        front = _smoothstep((pz + 0.02) / 0.08)
        field = _smoothstep(0.3 + (ym - py) / width) * front
        # The lower lip swings with the jaw and the upper one stays, except toward the corners, where
        # both take the skin's value at the corner (about a third), so the corners drop a little and the
        # opening is an oval. Each lip column turns rigidly (no vertical stretch of the lips).
        corner_w = 0.3 * front
        to_field = _smoothstep((np.clip(px / w_mouth, 0.0, 1.0) - 0.55) / 0.45)
        lip_jaw = np.where(is_lip_l, 1.0 - to_field * (1.0 - corner_w), to_field * corner_w)
        w = np.where(is_lip, lip_jaw, field * soft)
        w = np.where((part == Part.TEETH_LOWER) | (part == Part.TONGUE), 1.0, w)
        zz = zone_scores(pp, part)
        return w * np.clip(zz[:, ZONE_INDEX["jaw_chin"]] / FULL_MEMBERSHIP, 0.0, 1.0)

    jaw_w = jaw_weight(p)
    # Where the weight changes quickly the skin stretches as the jaw turns; the Gaussians there grow
    # in their tangent plane (by the local stretch) so the surface stays closed.
    h = 5e-4
    grad = np.stack([(jaw_weight(p + h * e) - jaw_weight(p - h * e)) / (2 * h) for e in np.eye(3)], 1)
    lever = np.hypot(y - anatomy["jaw_pivot"][1], z - anatomy["jaw_pivot"][2])
    jaw_stretch = np.linalg.norm(grad, axis=1) * lever * (part == Part.SKIN)  # per radian
    A[AU_INDEX["AU26"]] = JAW_DROP_ANGLE * jaw_w
    D[AU_INDEX["AU26"]] = vec(jaw_w, dz=0.003)  # the condyles glide forward as the jaw opens
    chin = g(0.0, -0.097, 0.022, 0.016) * soft
    D[AU_INDEX["AU17"]] = vec(chin, dy=0.004, dz=0.002) + vec(is_lip_l * 1.0, dy=0.002, dz=0.0015)

    # Gate every AU by its zone (the hinge weight has its gate already).
    for name in AU_NAMES:
        w = gate(AU_ZONE[name]) if name != "AU26" else np.ones(n)
        D[AU_INDEX[name]] *= w[:, None]
        A[AU_INDEX[name]] *= w

    L = np.zeros((NUM_AUS, n))
    L[AU_INDEX["AU26"]] = np.log1p(1.0 * JAW_DROP_ANGLE * jaw_stretch) * gate("jaw_chin")

    # Speech controls.
    S = np.zeros((NUM_SPEECH, n, 3))
    B = np.zeros((NUM_SPEECH, n))
    Ls = np.zeros((NUM_SPEECH, n))
    Ls[SPEECH_INDEX["jaw_open"]] = np.log1p(1.0 * JAW_OPEN_ANGLE * jaw_stretch) * gate("jaw_chin")
    gm = gate("mouth")
    B[SPEECH_INDEX["jaw_open"]] = JAW_OPEN_ANGLE * jaw_w
    S[SPEECH_INDEX["jaw_open"]] = vec(jaw_w, dz=0.002)
    round_w = np.exp(-0.5 * ((x / 0.026) ** 2 + ((y - ym) / 0.014) ** 2)) * soft * gm
    S[SPEECH_INDEX["lip_round"]] = np.stack([-x * 0.35 * round_w, -(y - ym) * 0.1 * round_w, 0.006 * round_w], 1)
    S[SPEECH_INDEX["lip_close"]] = -0.8 * lips_part * gm[:, None] + vec(near_mouth * gm, dz=-0.0008)
    S[SPEECH_INDEX["lip_stretch"]] = np.stack([sx * 0.006 * corner * gm, -0.0005 * corner * gm,
                                               -0.001 * corner * gm], 1)

    # Pivots: lids turn about their eyeball, everything else about the jaw hinge.
    pivot = np.zeros((n, 3))
    pivot[:] = anatomy["jaw_pivot"]
    pivot[:, 0] = 0.0
    lids = lid_u | lid_l
    left = lids & (x > 0)
    right = lids & (x < 0)
    pivot[left] = anatomy["eye_center_left"]
    pivot[right] = anatomy["eye_center_right"]

    def f(a: np.ndarray) -> torch.Tensor:
        # Weights below 1e-12 are flushed to zero: as float32 they would be denormals, which make
        # every later multiply on the CPU many times slower (and move nothing visible).
        a = np.where(np.abs(a) < 1e-12, 0.0, a)
        return torch.from_numpy(np.ascontiguousarray(a)).float()

    return RigData(au_disp=f(D), au_angle=f(A), speech_disp=f(S), speech_angle=f(B), pivot=f(pivot),
                   au_log_scale=f(L), speech_log_scale=f(Ls))


# ---------------------------------------------------------------------------------- evaluation
def _as_frames(value, names: tuple[str, ...], index: dict[str, int], what: str, device) -> torch.Tensor:
    """A dict of named values, a vector [K] or frames [T, K] -> float32 frames [T, K] on device."""
    if isinstance(value, dict):
        row = torch.zeros(len(names), dtype=torch.float32)
        for key, v in value.items():
            if what == "au":
                from core.aus import au_index

                try:
                    i = au_index(key)
                except KeyError as exc:
                    raise RigInputError(str(exc)) from None
            else:
                if key not in index:
                    raise RigInputError(f"unknown speech control {key!r}; known: {', '.join(names)}")
                i = index[key]
            row[i] = float(v)
        value = row
    t = torch.as_tensor(value, dtype=torch.float32)
    if t.ndim == 1:
        t = t[None]
    if t.ndim != 2 or t.shape[1] != len(names):
        raise RigInputError(f"{what}: expected shape [T, {len(names)}], got {list(t.shape)}")
    if not torch.isfinite(t).all():
        raise RigInputError(f"{what}: contains non-finite values")
    return t.to(device)


def _controls(au, speech, device) -> tuple[torch.Tensor, torch.Tensor]:
    """au [T, 17] (0..5) and speech [T, 4] (0..1) or None -> (a [T, 17] in 0..1, s [T, 4]), clamped."""
    a = _as_frames(au, AU_NAMES, AU_INDEX, "au", device).clamp(0.0, AU_MAX) / AU_MAX
    T = a.shape[0]
    if speech is None:
        return a, torch.zeros(T, NUM_SPEECH, device=device)
    s = _as_frames(speech, SPEECH_NAMES, SPEECH_INDEX, "speech", device).clamp(0.0, 1.0)
    if s.shape[0] != T:
        raise RigInputError(f"speech: {s.shape[0]} frames, but au has {T}")
    return a, s


def _posed_means(base, au_disp, speech_disp, au_angle, speech_angle, pivot, a, s):
    """Centres [T, n, 3] and the turn angles [T, n] of n Gaussians (tables restricted to them)."""
    T, n = a.shape[0], base.shape[0]
    # Plain GEMMs over contiguous [K, n*3] tables (einsum would permute the tables on every call).
    disp = (a @ au_disp.reshape(NUM_AUS, n * 3) + s @ speech_disp.reshape(NUM_SPEECH, n * 3)).reshape(T, n, 3)
    angle = a @ au_angle + s @ speech_angle  # [T, n]
    p1 = base[None] + disp
    # (R - I) about x: cos - 1 written as -2 sin^2(angle/2) so angle 0 adds exactly zero.
    half = 0.5 * angle
    sin_h = torch.sin(half)
    cm1 = -2.0 * sin_h * sin_h
    sn = torch.sin(angle)
    rel = p1 - pivot[None]
    ry, rz = rel[..., 1], rel[..., 2]
    dy = cm1 * ry - sn * rz
    dz = sn * ry + cm1 * rz
    return p1 + torch.stack([torch.zeros_like(dy), dy, dz], -1), angle


def deform_means(head, au: torch.Tensor, speech: torch.Tensor | None, rows: torch.Tensor) -> torch.Tensor:
    """The posed centres [T, len(rows), 3] of the Gaussians ``rows`` only (as deform's means[:, rows],
    without posing the rest of the head)."""
    device = au.device if isinstance(au, torch.Tensor) else torch.device("cpu")
    a, s = _controls(au, speech, device)
    rig = head.rig if head.rig.au_disp.device == device else head.rig.to(device)
    cloud = head.cloud if head.cloud.device == device else head.cloud.to(device)
    rows = rows.to(device)
    return _posed_means(cloud.means[rows], rig.au_disp[:, rows], rig.speech_disp[:, rows], rig.au_angle[:, rows],
                        rig.speech_angle[:, rows], rig.pivot[rows], a, s)[0]


def deform(head, au: torch.Tensor, speech: torch.Tensor | None = None) -> GaussianFrames:
    """Pose the head (a core.head.Head: its ``cloud`` and ``rig``) for T frames.

    au      [T, 17] intensities 0..5 (order core.aus.AU_NAMES; clamped to 0..5)
    speech  [T, 4] controls 0..1 (order core.aus.SPEECH_NAMES; clamped) or None
    Runs on the device of ``au``; returns means [T, N, 3], quats [T, N, 4], log_scales [T, N, 3].
    """
    device = au.device if isinstance(au, torch.Tensor) else torch.device("cpu")
    a, s = _controls(au, speech, device)
    T = a.shape[0]
    rig = head.rig
    if rig.au_disp.device != device:
        rig = rig.to(device)
    cloud = head.cloud if head.cloud.device == device else head.cloud.to(device)
    means, angle = _posed_means(cloud.means, rig.au_disp, rig.speech_disp, rig.au_angle, rig.speech_angle,
                                rig.pivot, a, s)
    half = 0.5 * angle
    sin_h, cos_h = torch.sin(half), torch.cos(half)
    r = torch.stack([cos_h, sin_h, torch.zeros_like(sin_h), torch.zeros_like(sin_h)], -1)
    quats = quat_multiply(r, cloud.quats[None].expand(T, -1, -1))
    grow = a @ rig.au_log_scale + s @ rig.speech_log_scale  # [T, N]
    zero = torch.zeros_like(grow)
    log_scales = cloud.log_scales[None] + torch.stack([grow, grow, zero], -1)
    return GaussianFrames(means=means, quats=quats, log_scales=log_scales, base=cloud)


def pose(head, au=None, speech=None) -> GaussianCloud:
    """One posed frame. ``au``: dict like {"AU12": 3.0}, a Tensor [17] or None; ``speech``: dict like
    {"jaw_open": 0.5}, a Tensor [4] or None."""
    device = head.cloud.device
    a = torch.zeros(NUM_AUS, device=device) if au is None else au
    a = _as_frames(a, AU_NAMES, AU_INDEX, "au", device)
    s = None if speech is None else _as_frames(speech, SPEECH_NAMES, SPEECH_INDEX, "speech", device)
    return deform(head, a, s).cloud(0)

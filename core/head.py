"""The default head: a procedurally built 3DGS head with synergy-zone memberships and landmarks.

Nothing is downloaded or trained. The head is generated from analytic surfaces:

* skin: a star-shaped surface around the origin (a super-ellipsoid skull deformed by smooth bumps:
  brow ridge, eye sockets, nose, alae, cheekbones, muzzle, chin), sampled on a Fibonacci sphere so the
  Gaussians are spread evenly; hair is the same surface above the hairline, pushed outward;
* separate parts sampled on parametric grids: eyeballs (sclera, iris, pupil), upper and lower lids
  (spherical shells about the eyeball centre), brows, lips (curled tubes), teeth, tongue, the mouth
  cavity, ears and neck.

Every Gaussian is a flat disc lying on its surface (the smallest scale along the normal). Lighting is
baked into the SH DC colour. Only the +x half is generated; the -x half is its exact mirror, so the
head is bitwise symmetric and attribute ``mirror`` gives each Gaussian's partner.

Units are metres. World +y is up, the face looks toward +z, +x is the viewer's right from the front,
which is the subject's LEFT: "left" landmarks have x > 0.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib

import numpy as np
import torch

from core.gaussians import GaussianCloud, rgb_to_sh_dc, rotmat_to_quat
from core.rig import RigData, build_rig
# Part, the zone layout and zone_scores live in core.zones (the rig needs them too); they stay
# importable from here.
from core.zones import EYE_X, EYE_Y, MOUTH_Y, Part, smoothstep, zone_scores

_zone_scores = zone_scores


# ---------------------------------------------------------------------------------- anatomy
#: Key anatomical positions (metres, +x half). The rig reads its pivots and regions from here; the eye
#: centre (EYE_X, EYE_Y) and the mouth line (MOUTH_Y) are in core.zones, which lays the zones out on them.
EYE_RADIUS = 0.0115
EYE_OPEN_HALF_WIDTH = 0.0145  # half width of the palpebral fissure
LID_HALF_WIDTH = 0.0175  # lid shells reach a little past the fissure so the skin hole is covered
LID_X_SEMI_AXIS = 0.026
LID_UPPER_RADIUS = EYE_RADIUS + 0.0011
LID_LOWER_RADIUS = EYE_RADIUS + 0.0015
LID_UPPER_MARGIN = 0.38  # elevation (rad, about the eye centre) of the upper lid margin at rest
LID_LOWER_MARGIN = -0.40
LID_TOP = 2.1  # far enough over the ball that a closed lid still reaches under the brow skin
LID_BOTTOM = -1.3
IRIS_ANGLE = 0.42  # half angle of the iris cap seen from the eye centre
PUPIL_ANGLE = 0.16
MOUTH_HALF_WIDTH = 0.025
JAW_PIVOT = (0.0, -0.015, -0.005)  # (x ignored) the jaw hinge axis runs along x through (y, z)
EAR_CENTER = (0.074, 0.004, -0.012)

# Symmetric key light (from above the camera): the -x half is a mirror copy, colours included.
LIGHT_DIR = np.array([0.0, 0.55, 0.8]) / np.linalg.norm([0.0, 0.55, 0.8])

SKIN_RGB = np.array([0.86, 0.66, 0.55])
HAIR_RGB = np.array([0.17, 0.11, 0.075])
LIP_RGB = np.array([0.74, 0.34, 0.34])
IRIS_RGB = np.array([0.22, 0.46, 0.62])
SCLERA_RGB = np.array([0.93, 0.91, 0.88])
TEETH_RGB = np.array([0.94, 0.92, 0.84])
TONGUE_RGB = np.array([0.72, 0.34, 0.38])
CAVITY_RGB = np.array([0.20, 0.05, 0.05])

#: How many skin directions are drawn on the whole sphere (about half are kept per side, and the
#: covered or cut-out ones are dropped).
SKIN_DIRECTIONS = 30000


# ---------------------------------------------------------------------------------- small maths
_smoothstep = smoothstep


def _g2(x, y, cx, cy, sx, sy):
    return np.exp(-0.5 * (((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2))


def _normalize(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True).clip(1e-12)


def _fibonacci_sphere(n: int) -> np.ndarray:
    """Near-uniform unit directions [n, 3]."""
    i = np.arange(n, dtype=np.float64) + 0.5
    y = 1.0 - 2.0 * i / n
    r = np.sqrt(np.clip(1.0 - y * y, 0.0, None))
    phi = i * np.pi * (3.0 - np.sqrt(5.0))
    return np.stack([r * np.cos(phi), y, r * np.sin(phi)], axis=1)


def _shade(rgb, normals, ambient=0.42, occlusion=None):
    """Bake a soft key light into albedo [M, 3] given outward unit normals [M, 3]."""
    lam = np.clip(normals @ LIGHT_DIR, 0.0, None)
    fill = np.clip(normals[:, 2], 0.0, None) * 0.12
    s = ambient + 0.58 * lam + fill
    if occlusion is not None:
        s = s * occlusion
    return np.clip(rgb * s[:, None], 0.0, 1.0)


# ---------------------------------------------------------------------------------- skin surface
def _base_radius(d: np.ndarray) -> np.ndarray:
    """Radius [M] of the undeformed skull along unit directions d [M, 3]: a super-ellipsoid whose
    lower half is boxier (cheeks and jaw)."""
    dx, dy, dz = d[:, 0], d[:, 1], d[:, 2]
    a = 0.074
    c = np.where(dz > 0, 0.093, 0.101)
    b = np.where(dy > 0, 0.123, 0.118)
    p = np.where(dy > 0, 2.0, 2.7)
    A = (dx / a) ** 2 + (dz / c) ** 2
    B = np.abs(dy) / b
    t = np.full(d.shape[0], 0.09)
    for _ in range(14):
        f = t * t * A + (t * B) ** p - 1.0
        fp = 2 * t * A + p * B ** p * t ** (p - 1)
        t = np.clip(t - f / fp, 0.02, 0.3)
    return t


def _face_bumps(x, y, z):
    """Radial displacement [M] of the face features at base points (x, y, z)."""
    ax = np.abs(x)
    front = _smoothstep(z / 0.05)
    h = 0.006 * _g2(ax, y, 0.028, 0.027, 0.018, 0.007)  # brow ridge
    h += -0.011 * _g2(ax, y, EYE_X, EYE_Y, 0.011, 0.009)  # eye socket
    ramp = np.clip((0.014 - y) / 0.041, 0.0, 1.0)
    drop = np.exp(-((np.clip(-0.027 - y, 0.0, None) / 0.0075) ** 2))
    width = 0.0055 + 0.0055 * ramp
    h += 0.023 * ramp ** 1.3 * drop * np.exp(-0.5 * (ax / width) ** 2)  # nose ridge
    h += 0.004 * _g2(ax, y, 0.0, -0.024, 0.006, 0.006)  # nose tip
    h += 0.0085 * _g2(ax, y, 0.0135, -0.029, 0.0052, 0.0052)  # alae
    h += 0.007 * _g2(ax, y, 0.046, -0.012, 0.016, 0.012)  # cheekbones
    h += 0.004 * _g2(ax, y, 0.030, -0.045, 0.012, 0.015)  # cheek fullness beside the mouth
    h += 0.012 * _g2(ax, y, 0.0, -0.060, 0.024, 0.019)  # muzzle
    h += -0.003 * _g2(ax, y, 0.0, -0.081, 0.014, 0.004)  # groove under the lower lip
    h += 0.018 * _g2(ax, y, 0.0, -0.103, 0.019, 0.011)  # chin
    h += 0.006 * _g2(ax, y, 0.054, -0.078, 0.012, 0.016)  # angles of the jaw
    h += -0.004 * _g2(ax, y, 0.062, 0.030, 0.010, 0.015)  # temples
    return h * front


def _skin_surface(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Skin points [M, 3] along unit directions d and their face-bump heights [M]."""
    r = _base_radius(d)
    p = d * r[:, None]
    h = _face_bumps(p[:, 0], p[:, 1], p[:, 2])
    return d * (r + h)[:, None], h


def _skin_normals(d: np.ndarray, eps: float = 2e-3) -> np.ndarray:
    t1 = _normalize(np.cross(d, np.array([0.0, 1.0, 0.0]) + 1e-9))
    t1 = np.where(np.linalg.norm(np.cross(d, [0.0, 1.0, 0.0]), axis=1, keepdims=True) < 1e-6, [1.0, 0, 0], t1)
    t2 = np.cross(d, t1)
    pu = _skin_surface(_normalize(d + eps * t1))[0] - _skin_surface(_normalize(d - eps * t1))[0]
    pv = _skin_surface(_normalize(d + eps * t2))[0] - _skin_surface(_normalize(d - eps * t2))[0]
    n = _normalize(np.cross(pu, pv))
    return np.where((n * d).sum(1, keepdims=True) < 0, -n, n)


def skin_point(x: np.ndarray, y: np.ndarray, z_hint: float = 0.09) -> np.ndarray:
    """Points [M, 3] on the face side of the skin whose x, y are (nearly) the given ones."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    target = np.sqrt(x * x + y * y)
    d = _normalize(np.stack([x, y, np.full_like(x, z_hint)], 1))
    for _ in range(8):
        p = _skin_surface(d)[0]
        # Scale the point so its x, y reach the target; its direction is the next guess.
        k = target / np.clip(np.hypot(p[:, 0], p[:, 1]), 1e-9, None)
        d = _normalize(np.stack([x, y, p[:, 2] * k], 1))
    return _skin_surface(d)[0]


# ---------------------------------------------------------------------------------- parts
@dataclasses.dataclass
class _Part:
    """Gaussians of one part in numpy (float64) before assembly."""

    means: np.ndarray
    normals: np.ndarray
    tangents: np.ndarray
    scales: np.ndarray  # [M, 3] along (tangent, bitangent, normal)
    rgb: np.ndarray
    part: Part
    opacity: float = 0.97

    def __len__(self) -> int:
        return self.means.shape[0]


def _flat_scales(s_u, s_v, ratio=0.12, s_min=1.5e-4):
    su = np.clip(s_u, s_min, None)
    sv = np.clip(s_v, s_min, None)
    sn = np.clip(np.minimum(su, sv) * ratio, 4e-5, None)
    return np.stack([su, sv, sn], 1)


def _grid_part(P, rgb, part, outward=None, inward_point=None, coverage=0.62, opacity=0.97, shade=True,
               occlusion=None) -> _Part:
    """Gaussians from a parametric grid P [U, V, 3] with colours [U, V, 3]. Normals are oriented
    along ``outward`` [3] or away from ``inward_point`` [3]."""
    du = np.gradient(P, axis=0)
    dv = np.gradient(P, axis=1)
    n = np.cross(du, dv)
    U, V = P.shape[:2]
    flat = lambda a: a.reshape(U * V, -1)  # noqa: E731
    P, du, dv, n, rgb = flat(P), flat(du), flat(dv), flat(n), flat(rgb)
    n = _normalize(n + 1e-15)
    if outward is not None:
        ref = np.broadcast_to(np.asarray(outward, dtype=np.float64), n.shape)
    else:
        ref = P - np.asarray(inward_point, dtype=np.float64)
    n = np.where((n * ref).sum(1, keepdims=True) < 0, -n, n)
    t = _normalize(du - (du * n).sum(1, keepdims=True) * n + 1e-15)
    scales = _flat_scales(coverage * np.linalg.norm(du, axis=1), coverage * np.linalg.norm(dv, axis=1))
    occ = None if occlusion is None else flat(occlusion)[:, 0]
    colour = _shade(rgb, n, occlusion=occ) if shade else rgb
    return _Part(P, n, t, scales, colour, part, opacity)


def _skin_and_hair(rng: np.random.Generator) -> list[_Part]:
    d = _fibonacci_sphere(SKIN_DIRECTIONS)
    # A band just past the midline is kept too, so the mirrored halves overlap instead of leaving a seam.
    d = d[d[:, 0] > -0.012]
    p, bump = _skin_surface(d)
    n = _skin_normals(d)
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    keep = np.ones(len(p), dtype=bool)
    # Hidden inside the neck.
    keep &= ~((y < -0.065) & ((x / 0.050) ** 2 + ((z + 0.012) / 0.054) ** 2 < 0.9))
    # Eye openings (the lids and eyeballs fill them).
    dy = y - EYE_Y
    hh = np.where(dy > 0, 0.0098, 0.0080)
    keep &= ~((z > 0.04) & (((x - EYE_X) / 0.0158) ** 2 + (dy / hh) ** 2 < 1.0))
    # Mouth: the lips cover the skin inside their outline.
    xr = np.clip(np.abs(x) / MOUTH_HALF_WIDTH, 0, 1)
    hu, hl = _lip_heights(xr)
    keep &= ~((z > 0.05) & (np.abs(x) < MOUTH_HALF_WIDTH - 0.0008)
              & (y < MOUTH_Y + hu - 0.0009) & (y > MOUTH_Y - hl + 0.0009))
    p, n, bump, d = p[keep], n[keep], bump[keep], d[keep]
    x, y, z = p[:, 0], p[:, 1], p[:, 2]

    # Area of each sample: solid angle times r^2, divided by the slant of the surface.
    r = np.linalg.norm(p, axis=1)
    omega = 4.0 * np.pi / SKIN_DIRECTIONS
    area = omega * r * r / np.clip((n * d).sum(1), 0.25, 1.0)
    sigma = 0.62 * np.sqrt(area)

    # Hairline as a function of the azimuth (0 = front, pi = back).
    az = np.abs(np.arctan2(x, z))
    hairline = np.interp(az, [0.0, 0.45, 0.85, 1.15, 1.33, 1.45, 1.62, 1.9, 2.3, np.pi],
                         [0.072, 0.068, 0.058, 0.030, 0.000, 0.022, 0.040, 0.020, -0.050, -0.062])
    above = y - hairline
    is_hair = above > 0
    lift = 0.009 * _smoothstep(above / 0.02) * is_hair
    p = p + n * lift[:, None]

    occ = np.clip(1.0 + 22.0 * np.minimum(bump, 0.0), 0.55, 1.0)  # darker in the eye sockets
    skin = np.broadcast_to(SKIN_RGB, p.shape).copy()
    skin += np.array([0.05, -0.03, -0.02]) * _g2(np.abs(x), y, 0.040, -0.025, 0.014, 0.012)[:, None]
    # Nostrils: dark openings on the underside of the nose.
    nostril = _g2(np.abs(x), y, 0.0072, -0.0335, 0.0032, 0.0020) * (n[:, 1] < -0.15)
    skin = skin * (1 - 0.8 * nostril[:, None]) + np.array([0.18, 0.07, 0.06]) * 0.8 * nostril[:, None]
    skin = _shade(skin, n, occlusion=occ)

    streak = 0.85 + 0.3 * rng.random(len(p))
    hair = np.clip(HAIR_RGB[None] * streak[:, None], 0, 1)
    hair = _shade(hair, n, ambient=0.55)
    rgb = np.where(is_hair[:, None], hair, skin)
    t = _normalize(np.cross(n, [0.0, 1.0, 0.0]) + 1e-9)
    scales = _flat_scales(sigma * np.where(is_hair, 1.08, 1.0), sigma * np.where(is_hair, 1.08, 1.0))
    # Hair is a thicker layer so it stays closed where it is seen edge-on.
    scales[:, 2] = np.where(is_hair, scales[:, 0] * 0.45, scales[:, 2])
    parts = []
    for flag, part in ((~is_hair, Part.SKIN), (is_hair, Part.HAIR)):
        parts.append(_Part(p[flag], n[flag], t[flag], scales[flag], rgb[flag], part, 0.985))
    return parts


def _lip_heights(xr):
    """Vermilion heights (upper, lower) [M] at |x| / half mouth width."""
    base = np.sqrt(np.clip(1.0 - xr * xr, 0.0, None))
    hu = 0.0066 * base + 0.0010 + 0.0012 * np.exp(-(((xr - 0.24) / 0.14) ** 2)) * base \
        - 0.0009 * np.exp(-((xr / 0.08) ** 2))
    hl = 0.0084 * np.clip(1.0 - xr * xr, 0.0, None) ** 0.6 + 0.0010
    return hu, hl


def _lips() -> tuple[list[_Part], dict[str, np.ndarray]]:
    nu, nv = 46, 30
    s = np.arange(nu) / (nu - 1.0)  # x / W, +x half only (the x = 0 column is shared with the mirror)
    xr = s ** 0.85  # denser at the corners
    x = xr * MOUTH_HALF_WIDTH
    hu, hl = _lip_heights(xr)
    rz = 0.0050 * np.sqrt(np.clip(1 - xr * xr, 0, None)) + 0.0011
    psi = np.linspace(0.0, np.pi + 1.15, nv)
    parts, marks = [], {}
    for upper in (True, False):
        h = hu if upper else hl
        sign = 1.0 if upper else -1.0
        yc = MOUTH_Y + sign * h / 2
        zc = skin_point(x, yc)[:, 2] - 0.3 * rz
        Y = yc[:, None] + sign * (h[:, None] / 2) * np.cos(psi)[None]
        Z = zc[:, None] + rz[:, None] * np.sin(psi)[None]
        X = np.broadcast_to(x[:, None], Y.shape)
        # Past psi = pi the tube curls back into the mouth, so parted lips show their thickness.
        P = np.stack([X, Y, Z], -1)
        rgb = np.broadcast_to(LIP_RGB, P.shape).copy()
        rim = np.exp(-((psi - 0.0) / 0.25) ** 2)  # vermilion border slightly darker
        seam = np.exp(-((psi - np.pi) / 0.22) ** 2)  # the contact line
        inner = np.clip((psi - np.pi) / 1.15, 0, 1)
        rgb = rgb * (1 - 0.18 * rim[None, :, None] - 0.35 * seam[None, :, None] - 0.45 * inner[None, :, None])
        corner = _smoothstep((xr - 0.8) / 0.2)[:, None, None]
        rgb = rgb * (1 - 0.3 * corner) + SKIN_RGB * 0.7 * 0.3 * corner
        part = _grid_part(P, rgb, Part.LIP_UPPER if upper else Part.LIP_LOWER,
                          inward_point=(0.0, MOUTH_Y, 0.06), coverage=0.7)
        parts.append(part)
        key = "upper" if upper else "lower"
        marks[f"lip_outer_{key}"] = (np.arange(nu) * nv + 0)  # border row (psi = 0)
        k_front = int(np.argmin(np.abs(psi - np.pi)))
        marks[f"lip_inner_{key}"] = np.arange(nu) * nv + k_front
    return parts, marks


def _eye() -> tuple[list[_Part], dict[str, np.ndarray]]:
    c = np.array([EYE_X, EYE_Y, 0.0])
    c[2] = skin_point(np.array([EYE_X]), np.array([EYE_Y]))[0, 2] - EYE_RADIUS + 0.0018
    parts, marks = [], {}
    # Eyeball: polar grid about +z (only the front is ever seen).
    th = np.linspace(0.0, 1.9, 44) ** 1.0
    ph = np.linspace(0.0, 2 * np.pi, 72, endpoint=False)
    T, Ph = np.meshgrid(th, ph, indexing="ij")
    dirs = np.stack([np.sin(T) * np.cos(Ph), np.sin(T) * np.sin(Ph), np.cos(T)], -1)
    P = c + EYE_RADIUS * dirs
    rgb = np.broadcast_to(SCLERA_RGB, P.shape).copy()
    iris = T < IRIS_ANGLE
    fibres = 0.85 + 0.15 * np.cos(Ph * 23.0)
    iris_rgb = IRIS_RGB * fibres[..., None] * (0.75 + 0.25 * (T / IRIS_ANGLE))[..., None]
    rgb = np.where(iris[..., None], iris_rgb, rgb)
    rgb = np.where((np.abs(T - IRIS_ANGLE) < 0.035)[..., None], IRIS_RGB * 0.45, rgb)  # limbal ring
    rgb = np.where((T < PUPIL_ANGLE)[..., None], np.array([0.03, 0.03, 0.035]), rgb)
    ball = _grid_part(P, rgb, Part.SCLERA, inward_point=c, coverage=0.7, opacity=0.99)
    irismask = iris.reshape(-1)
    parts.append(dataclasses.replace(
        ball, means=ball.means[~irismask], normals=ball.normals[~irismask], tangents=ball.tangents[~irismask],
        scales=ball.scales[~irismask], rgb=ball.rgb[~irismask]))
    parts.append(dataclasses.replace(
        ball, means=ball.means[irismask], normals=ball.normals[irismask], tangents=ball.tangents[irismask],
        scales=ball.scales[irismask], rgb=ball.rgb[irismask], part=Part.IRIS))
    # Lids: spherical shells about the eye centre, bounded by the fissure margin.
    nu, nv = 40, 30
    dx = np.linspace(-LID_HALF_WIDTH, LID_HALF_WIDTH, nu)
    open_profile = np.sqrt(np.clip(1.0 - (dx / EYE_OPEN_HALF_WIDTH) ** 2, 0.0, None))
    for upper in (True, False):
        radius = LID_UPPER_RADIUS if upper else LID_LOWER_RADIUS
        margin = (LID_UPPER_MARGIN if upper else LID_LOWER_MARGIN) * open_profile
        end = LID_TOP if upper else LID_BOTTOM
        v = np.linspace(0.0, 1.0, nv) ** 1.4
        phi = margin[:, None] + (end - margin[:, None]) * v[None]
        rho = radius * np.sqrt(1.0 - (dx / LID_X_SEMI_AXIS) ** 2)[:, None]  # ellipsoidal shell, wider than the ball
        X = c[0] + np.broadcast_to(dx[:, None], phi.shape)
        Y = c[1] + rho * np.sin(phi)
        Z = c[2] + rho * np.cos(phi)
        P = np.stack([X, Y, Z], -1)
        rgb = np.broadcast_to(SKIN_RGB * np.array([0.98, 0.93, 0.92]), P.shape).copy()
        lash = np.exp(-(v / 0.06) ** 2)[None, :, None]
        lash_rgb = np.array([0.10, 0.07, 0.06]) if upper else np.array([0.45, 0.28, 0.25])
        rgb = rgb * (1 - lash) + lash_rgb * lash
        part = _grid_part(P, rgb * 0.9, Part.LID_UPPER if upper else Part.LID_LOWER, inward_point=c,
                          coverage=0.7, opacity=0.995)
        # Drop what would poke out through the skin beside the eye opening.
        r = np.linalg.norm(part.means, axis=1)
        rs = np.linalg.norm(_skin_surface(_normalize(part.means))[0], axis=1)
        dxy = part.means[:, :2] - c[:2]
        in_hole = (dxy[:, 0] / 0.0168) ** 2 + (dxy[:, 1] / np.where(dxy[:, 1] > 0, 0.0108, 0.009)) ** 2 < 1.0
        keep = in_hole | (r < rs + 0.0003)
        local = np.cumsum(keep) - 1  # new index of each kept Gaussian
        part = _subset(part, keep)
        parts.append(part)
        mid = np.arange(nu)[np.abs(dx) < EYE_OPEN_HALF_WIDTH * 0.8]
        margin_rows = mid[:: max(1, len(mid) // 6)] * nv
        assert keep[margin_rows].all(), "a lid margin landmark was cut away"
        marks["lid_upper" if upper else "lid_lower"] = local[margin_rows]
    marks["eye_center"] = c
    return parts, marks


def _brow() -> tuple[_Part, np.ndarray]:
    nu, nv = 56, 9
    s = np.linspace(0.0, 1.0, nu)
    x = 0.011 + 0.043 * s
    yc = 0.0255 + 0.0075 * np.sin(np.pi * np.clip(s * 0.85, 0, 1)) - 0.002 * s
    thick = 0.0068 * (1 - s) + 0.0030 * s
    v = np.linspace(-0.5, 0.5, nv)
    X = np.broadcast_to(x[:, None], (nu, nv))
    Y = yc[:, None] + thick[:, None] * v[None]
    base = skin_point(X.reshape(-1), Y.reshape(-1)).reshape(nu, nv, 3)
    n = _normalize(base)  # close enough to the skin normal for a lift of a millimetre
    P = base + 0.0009 * n
    rgb = np.broadcast_to(HAIR_RGB * 1.15, P.shape).copy()
    part = _grid_part(P, rgb, Part.BROW, outward=(0, 0, 1), coverage=0.75)
    part.rgb = _shade(np.broadcast_to(HAIR_RGB * 1.15, part.means.shape).copy(), part.normals, ambient=0.6)
    mid_row = nv // 2
    return part, np.arange(0, nu, 8) * nv + mid_row


def _ear() -> _Part:
    e = np.array(EAR_CENTER)
    nu, nv = 60, 16
    a = np.linspace(0, 2 * np.pi, nu)
    v = np.linspace(0.05, 1.0, nv)
    A, Vv = np.meshgrid(a, v, indexing="ij")
    up = np.array([0.0, 1.0, -0.18]) / np.linalg.norm([0.0, 1.0, -0.18])
    back = np.array([0.0, 0.18, -1.0]) / np.linalg.norm([0.0, 0.18, -1.0])
    out = np.array([1.0, 0.0, 0.0])
    ry, rb = 0.031, 0.017
    attach = _smoothstep((np.sin(A) + 0.3) / 0.9)  # the front edge stays on the head
    flare = (0.002 + 0.013 * Vv ** 1.6 * attach)
    curl = -0.004 * _smoothstep((Vv - 0.82) / 0.18) * attach  # the helix rolls back
    radial = Vv * (1 + 0.12 * np.sin(A))
    P = (e + (radial * ry * np.cos(A))[..., None] * up + (radial * rb * np.sin(A))[..., None] * back
         + (flare + curl)[..., None] * out)
    rgb = np.broadcast_to(SKIN_RGB * np.array([1.0, 0.92, 0.9]), P.shape).copy()
    occ = 0.6 + 0.4 * _smoothstep((Vv - 0.15) / 0.5)
    return _grid_part(P, rgb, Part.EAR, outward=(1, 0, 0), coverage=0.75, occlusion=occ[..., None])


def _neck() -> _Part:
    nu, nv = 100, 46
    a = np.linspace(0.0, np.pi, nu)  # +x half: angle from +z through +x to -z
    y = np.linspace(-0.205, -0.045, nv)
    A, Y = np.meshgrid(a, y, indexing="ij")
    X = 0.050 * np.sin(A)
    Z = -0.012 + 0.054 * np.cos(A)
    P = np.stack([X, Y, Z], -1)
    rgb = np.broadcast_to(SKIN_RGB * 0.97, P.shape).copy()
    part = _grid_part(P, rgb, Part.NECK, inward_point=(0.0, 0.0, -0.012), coverage=0.72)
    # Drop what the head covers (inside the skin surface).
    d = _normalize(part.means)
    inside = np.linalg.norm(part.means, axis=1) < np.linalg.norm(_skin_surface(d)[0], axis=1) - 0.001
    n = part.normals
    # The neck's own normals are horizontal; inside-facing axis of the cylinder keeps it outward.
    keep = ~inside
    return dataclasses.replace(part, means=part.means[keep], normals=n[keep], tangents=part.tangents[keep],
                               scales=part.scales[keep], rgb=part.rgb[keep])


def _inner_mouth(lip_front_z: float) -> list[_Part]:
    parts = []
    z0 = lip_front_z - 0.0085
    # Teeth: flat arcs behind the lips.
    nu, nv = 34, 14
    x = (np.arange(nu) + 0.5) / nu * 0.021
    for upper in (True, False):
        if upper:
            y = np.linspace(MOUTH_Y - 0.0025, MOUTH_Y + 0.009, nv)
        else:
            y = np.linspace(MOUTH_Y - 0.0100, MOUTH_Y - 0.0008, nv)
        X, Y = np.meshgrid(x, y, indexing="ij")
        Z = z0 - (0.0 if upper else 0.0015) - 30.0 * X ** 2
        P = np.stack([X, Y, Z], -1)
        gap = np.abs(np.sin(np.pi * (X + 0.00225) / 0.0045 + (np.pi / 2 if upper else 0.0)))
        tooth = 0.7 + 0.3 * np.clip(gap * 3, 0, 1)
        edge = _smoothstep(np.abs(Y - (MOUTH_Y - 0.0025 if upper else MOUTH_Y - 0.0008)) / 0.002)
        rgb = TEETH_RGB * (tooth * (0.85 + 0.15 * edge))[..., None]
        parts.append(_grid_part(P, rgb, Part.TEETH_UPPER if upper else Part.TEETH_LOWER, outward=(0, 0, 1),
                                coverage=0.72))
    # Tongue: the top of a flattened ellipsoid.
    nu, nv = 24, 22
    u = (np.arange(nu) + 0.5) / nu
    w = np.linspace(0.0, 1.0, nv)
    U, W = np.meshgrid(u, w, indexing="ij")
    X = 0.018 * U
    Z = z0 - 0.004 - 0.032 * W
    Y = MOUTH_Y - 0.0115 + 0.0045 * np.sqrt(np.clip(1 - U ** 2, 0, None)) * np.sin(np.pi * (0.25 + 0.75 * W))
    P = np.stack([X, Y, Z], -1)
    rgb = np.broadcast_to(TONGUE_RGB, P.shape) * (0.9 - 0.4 * W)[..., None]
    parts.append(_grid_part(P, rgb, Part.TONGUE, outward=(0, 1, 0.3), coverage=0.75))
    # Cavity: a dark bowl opening toward +z.
    nu, nv = 40, 30
    th = np.linspace(0.0, 1.25, nu)
    ph = np.linspace(-np.pi / 2, np.pi / 2, nv)  # +x half
    T, Ph = np.meshgrid(th, ph, indexing="ij")
    cc = np.array([0.0, MOUTH_Y - 0.007, z0 - 0.004])
    P = cc + np.stack([0.027 * np.sin(T) * np.cos(Ph), 0.024 * np.sin(T) * np.sin(Ph), -0.030 * np.cos(T)], -1)
    rgb = CAVITY_RGB * (0.45 + 0.55 * (T / 1.25))[..., None]
    parts.append(_grid_part(P, np.broadcast_to(rgb, P.shape), Part.MOUTH_CAVITY, outward=(0, 0, 1),
                            coverage=0.75, shade=False))
    return [_inside_skin(p, 0.002) if p.part in (Part.MOUTH_CAVITY, Part.TONGUE) else p for p in parts]


def _subset(p: _Part, keep: np.ndarray) -> _Part:
    return dataclasses.replace(p, means=p.means[keep], normals=p.normals[keep], tangents=p.tangents[keep],
                               scales=p.scales[keep], rgb=p.rgb[keep])


def _inside_skin(p: _Part, margin: float) -> _Part:
    """Keep the Gaussians at least ``margin`` inside the skin surface."""
    r = np.linalg.norm(p.means, axis=1)
    rs = np.linalg.norm(_skin_surface(_normalize(p.means))[0], axis=1)
    return _subset(p, r < rs - margin)


# ---------------------------------------------------------------------------------- the head
@dataclasses.dataclass(eq=False)
class Head:
    """A rigged Gaussian head.

    cloud      GaussianCloud with attributes ``zones`` [N, 6] float32 (rows sum to 1, order core.aus.ZONES),
               ``part`` [N] int64 (Part), ``mirror`` [N] int64 (index of the x-mirrored partner)
    landmarks  name -> LongTensor of indices into the cloud
    rig        precomputed per-Gaussian rig weights (core.rig.RigData)
    """

    cloud: GaussianCloud
    landmarks: dict[str, torch.Tensor]
    name: str
    rig: RigData
    anatomy: dict[str, tuple[float, ...]] = dataclasses.field(default_factory=dict)

    @property
    def face_height(self) -> float:
        """Brow to chin (metres): mean brow landmark height minus the lowest jaw-line landmark."""
        m = self.cloud.means
        brow = torch.cat([self.landmarks["brow_left"], self.landmarks["brow_right"]])
        return float(m[brow, 1].mean() - m[self.landmarks["jaw_line"], 1].min())

    @property
    def size(self) -> float:
        """Diagonal of the bounding box of the centres (metres)."""
        lo, hi = self.cloud.bounds()
        return float((hi - lo).norm())

    def landmark_split(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Indices of the upper-face landmarks (brows, lids, nose) and the lower-face ones (lips, jaw)."""
        lm = self.landmarks
        upper = torch.cat([lm[k] for k in ("brow_left", "brow_right", "lid_upper_left", "lid_upper_right",
                                            "lid_lower_left", "lid_lower_right", "nose")])
        lower = torch.cat([lm[k] for k in ("lip_outer", "lip_inner", "lip_corners", "jaw_line")])
        return upper, lower

    def fingerprint(self) -> str:
        """sha256 of the canonical cloud bytes (core fields and attributes, sorted by name)."""
        h = hashlib.sha256()
        c = self.cloud
        fields = [("means", c.means), ("quats", c.quats), ("log_scales", c.log_scales),
                  ("opacities", c.opacities), ("sh", c.sh)] + sorted(c.attributes.items())
        for key, value in fields:
            t = value.detach().cpu().contiguous()
            h.update(key.encode())
            h.update(str(tuple(t.shape)).encode() + str(t.dtype).encode())
            h.update(t.numpy().tobytes())
        return h.hexdigest()

    def to(self, device) -> "Head":
        return Head(self.cloud.to(device), {k: v.to(device) for k, v in self.landmarks.items()}, self.name,
                    self.rig.to(device), dict(self.anatomy))


def _assemble(parts: list[_Part]):
    means = np.concatenate([p.means for p in parts])
    normals = np.concatenate([p.normals for p in parts])
    tangents = np.concatenate([p.tangents for p in parts])
    scales = np.concatenate([p.scales for p in parts])
    rgb = np.concatenate([p.rgb for p in parts])
    opac = np.concatenate([np.full(len(p), p.opacity) for p in parts])
    part = np.concatenate([np.full(len(p), int(p.part)) for p in parts])
    offsets = np.cumsum([0] + [len(p) for p in parts])
    return means, normals, tangents, scales, rgb, opac, part, offsets


def build_default_head(seed: int = 0) -> Head:
    """Build the default head from code (deterministic: the same seed gives the same bytes)."""
    rng = np.random.default_rng(seed)
    skin_parts = _skin_and_hair(rng)
    lip_parts, lip_marks = _lips()
    lip_front_z = float(max(p.means[:, 2].max() for p in lip_parts))
    eye_parts, eye_marks = _eye()
    brow_part, brow_marks = _brow()
    parts = skin_parts + lip_parts + eye_parts + [brow_part, _ear(), _neck()] + _inner_mouth(lip_front_z)
    means, normals, tangents, scales, rgb, opac, part, offsets = _assemble(parts)
    half = len(means)
    index_of = {id(p): int(o) for p, o in zip(parts, offsets[:-1])}

    # Mirror to the -x half: x -> -x; orientations by M R M with M = diag(-1, 1, 1).
    mirror = np.array([-1.0, 1.0, 1.0])
    means = np.concatenate([means, means * mirror])
    normals = np.concatenate([normals, normals * mirror])
    tangents = np.concatenate([tangents, tangents * mirror])
    scales = np.concatenate([scales, scales])
    rgb = np.concatenate([rgb, rgb])
    opac = np.concatenate([opac, opac])
    part = np.concatenate([part, part])
    mirror_index = np.concatenate([np.arange(half) + half, np.arange(half)])

    # Frames (tangent, bitangent, normal) of the +x half; the mirror's orientation is M R M, which
    # for quaternions is (w, x, -y, -z).
    t_half, n_half = tangents[:half], normals[:half]
    rot = np.stack([t_half, np.cross(n_half, t_half), n_half], axis=2)
    q_half = rotmat_to_quat(torch.from_numpy(rot)).float()
    quats = torch.cat([q_half, q_half * torch.tensor([1.0, 1.0, -1.0, -1.0])])

    # Flush values that would be float32 denormals (or lead to them in products): on the CPU they make
    # every operation that touches them many times slower.
    means = np.where(np.abs(means) < 1e-9, 0.0, means)
    quats = torch.where(quats.abs() < 1e-9, torch.zeros_like(quats), quats)
    zones = _zone_scores(means, part)
    cloud = GaussianCloud(
        means=torch.from_numpy(means).float(),
        quats=quats,
        log_scales=torch.from_numpy(np.log(scales)).float(),
        opacities=torch.logit(torch.from_numpy(opac).float()),
        sh=rgb_to_sh_dc(torch.from_numpy(rgb).float())[:, None, :].contiguous(),
        attributes={
            "zones": torch.from_numpy(zones).float(),
            "part": torch.from_numpy(part).long(),
            "mirror": torch.from_numpy(mirror_index).long(),
        },
    )

    # Landmarks: left = +x half (subject's left), right = its mirror.
    def both(local: np.ndarray, p: _Part) -> tuple[np.ndarray, np.ndarray]:
        i = index_of[id(p)] + np.asarray(local, dtype=np.int64)
        return i, i + half

    marks: dict[str, np.ndarray] = {}
    marks["brow_left"], marks["brow_right"] = both(brow_marks, brow_part)
    lid_up, lid_lo = eye_parts[2], eye_parts[3]
    marks["lid_upper_left"], marks["lid_upper_right"] = both(eye_marks["lid_upper"], lid_up)
    marks["lid_lower_left"], marks["lid_lower_right"] = both(eye_marks["lid_lower"], lid_lo)
    iris = eye_parts[1]
    marks["iris_left"], marks["iris_right"] = both(np.arange(len(iris)), iris)
    up, lo = lip_parts
    outer_u, outer_l = both(lip_marks["lip_outer_upper"][::5], up), both(lip_marks["lip_outer_lower"][::5], lo)
    inner_u, inner_l = both(lip_marks["lip_inner_upper"][::6], up), both(lip_marks["lip_inner_lower"][::6], lo)
    marks["lip_outer"] = np.concatenate([outer_u[1][::-1], outer_u[0], outer_l[0][::-1], outer_l[1]])
    marks["lip_inner"] = np.concatenate([inner_u[1][::-1], inner_u[0], inner_l[0][::-1], inner_l[1]])
    corner = np.array([lip_marks["lip_inner_upper"][-1]])
    cl, cr = both(corner, up)
    marks["lip_corners"] = np.concatenate([cl, cr])

    skin_idx = np.nonzero(part[:half] == Part.SKIN)[0]
    skin_pts = means[skin_idx]

    def nearest(targets: np.ndarray) -> np.ndarray:
        # Closest face-side skin Gaussian in the frontal (x, y) projection.
        front = skin_idx[means[skin_idx, 2] > 0.0]
        d = ((means[front][None, :, :2] - targets[:, None, :2]) ** 2).sum(-1)
        return front[d.argmin(1)]

    t = np.linspace(0.0, 1.0, 6)
    jaw_targets = np.stack([0.064 * np.cos(0.5 * np.pi * t) ** 0.8,
                            -0.052 - 0.064 * np.sin(0.5 * np.pi * t) ** 1.3], 1)
    jl = nearest(jaw_targets)
    marks["jaw_line"] = np.concatenate([jl[:-1] + half, jl[::-1]])
    nose_pts = nearest(np.array([[0.001, 0.010], [0.001, -0.010], [0.001, -0.025], [0.016, -0.030], [0.007, -0.037]]))
    marks["nose"] = np.concatenate([nose_pts, nose_pts[3:] + half])

    landmarks = {k: torch.from_numpy(np.asarray(v, dtype=np.int64)) for k, v in marks.items()}
    anatomy = {
        "eye_center_left": tuple(float(v) for v in eye_marks["eye_center"]),
        "eye_center_right": tuple(float(v) for v in eye_marks["eye_center"] * mirror),
        "jaw_pivot": JAW_PIVOT,
        "mouth_y": (MOUTH_Y,),
        "mouth_half_width": (MOUTH_HALF_WIDTH,),
    }
    rig = build_rig(cloud, anatomy)
    return Head(cloud=cloud, landmarks=landmarks, name="default", rig=rig, anatomy=anatomy)


@functools.lru_cache(maxsize=1)
def _cached_default() -> Head:
    return build_default_head(0)


def default_head() -> Head:
    """The default head, built once per process (seed 0). Do not modify it in place."""
    return _cached_default()

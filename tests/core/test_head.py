"""The procedural default head: size, parts, flat Gaussians, zones, landmarks, symmetry, coverage."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from core.aus import NUM_ZONES, ZONE_INDEX
from core.camera import Camera
from core.head import Head, Part, build_default_head, default_head


@pytest.fixture(scope="module")
def head() -> Head:
    return default_head()


def test_size_and_format(head):
    cloud = head.cloud
    assert 20_000 <= len(cloud) <= 60_000
    assert cloud.sh_degree in (0, 1)
    lo, hi = cloud.bounds()
    # Head height from the chin (the lowest jaw landmark) to the top of the hair.
    chin = float(cloud.means[head.landmarks["jaw_line"], 1].min())
    assert 0.21 <= float(hi[1]) - chin <= 0.27
    assert 0.11 <= head.face_height <= 0.17
    # The face looks toward +z: the nose tip is the front-most skin point and is near the midline.
    skin = cloud.attributes["part"] == Part.SKIN
    front = cloud.means[skin][cloud.means[skin, 2].argmax()]
    assert abs(float(front[0])) < 0.01 and -0.04 < float(front[1]) < 0.0


def test_every_part_present(head):
    part = head.cloud.attributes["part"]
    assert part.dtype == torch.int64
    counts = torch.bincount(part, minlength=len(Part))
    for p in Part:
        assert counts[p] > 100, f"{p.name} has {int(counts[p])} Gaussians"


def test_gaussians_are_flat_and_normalised_quats(head):
    s = torch.sort(head.cloud.scales, dim=1).values
    assert bool((s[:, 0] <= 0.5 * s[:, 1]).all())
    assert float(s[:, 2].max()) < 0.006  # no blob larger than a few millimetres
    assert torch.allclose(head.cloud.quats.norm(dim=1), torch.ones(len(head.cloud)), atol=1e-5)


def test_flat_axis_is_the_skin_normal(head):
    """The smallest axis of skin Gaussians points away from the head centre (roughly radial)."""
    from core.gaussians import quat_to_rotmat

    skin = (head.cloud.attributes["part"] == Part.SKIN).nonzero().squeeze(1)[::50]
    rot = quat_to_rotmat(head.cloud.quats[skin])
    smallest = head.cloud.log_scales[skin].argmin(dim=1)
    axis = rot[torch.arange(len(skin)), :, smallest]
    radial = torch.nn.functional.normalize(head.cloud.means[skin], dim=1)
    cos = (axis * radial).sum(1).abs()
    assert float(cos.median()) > 0.85


def test_zones_are_soft_memberships(head):
    z = head.cloud.attributes["zones"]
    assert z.dtype == torch.float32 and z.shape == (len(head.cloud), NUM_ZONES)
    assert bool((z >= 0).all())
    assert torch.allclose(z.sum(1), torch.ones(len(z)), atol=1e-5)
    part = head.cloud.attributes["part"]
    assert bool((z[part == Part.NECK, ZONE_INDEX["static"]] == 1).all())
    assert bool((z[part == Part.IRIS, ZONE_INDEX["eyes"]] == 1).all())
    assert bool((z[part == Part.LIP_UPPER, ZONE_INDEX["mouth"]] == 1).all())
    # Every zone owns some skin and some Gaussians are shared between zones (soft borders).
    skin = z[part == Part.SKIN]
    assert bool((skin.max(0).values > 0.5).all())
    shared = ((skin > 0.05).sum(1) >= 2).sum()
    assert int(shared) > 500


def test_zones_are_smooth_across_borders(head):
    """Neighbouring skin Gaussians (within 2.5 mm) never differ by much in any membership."""
    part = head.cloud.attributes["part"]
    idx = (part == Part.SKIN).nonzero().squeeze(1)
    means = head.cloud.means[idx]
    zones = head.cloud.attributes["zones"][idx]
    probe = torch.arange(0, len(idx), 7)
    d = torch.cdist(means[probe], means)
    near = d < 0.0025
    i, j = near.nonzero(as_tuple=True)
    diff = (zones[probe][i] - zones[j]).abs().max()
    assert float(diff) < 0.35


def test_landmarks(head):
    expected = {"brow_left", "brow_right", "lid_upper_left", "lid_upper_right", "lid_lower_left",
                "lid_lower_right", "lip_outer", "lip_inner", "lip_corners", "jaw_line", "nose",
                "iris_left", "iris_right"}
    assert expected <= set(head.landmarks)
    n = len(head.cloud)
    for name, idx in head.landmarks.items():
        assert idx.dtype == torch.int64 and idx.ndim == 1 and len(idx) > 0, name
        assert int(idx.min()) >= 0 and int(idx.max()) < n, name
    m = head.cloud.means
    part = head.cloud.attributes["part"]
    assert len(head.landmarks["lip_corners"]) == 2
    # Left is the subject's left: +x.
    for side, sign in (("left", 1), ("right", -1)):
        for key in ("brow", "lid_upper", "lid_lower", "iris"):
            assert bool((m[head.landmarks[f"{key}_{side}"], 0] * sign > 0).all()), f"{key}_{side}"
    assert bool((part[head.landmarks["iris_left"]] == Part.IRIS).all())
    assert bool((part[head.landmarks["brow_left"]] == Part.BROW).all())
    # Vertical order: brows above lids above nose above lips above the jaw line.
    y = lambda k: float(m[head.landmarks[k], 1].mean())  # noqa: E731
    assert y("brow_left") > y("lid_upper_left") > y("lid_lower_left") > y("nose") > y("lip_outer") > y("jaw_line")
    upper, lower = head.landmark_split()
    assert float(m[upper, 1].min()) > float(m[lower, 1].max()) - 0.01
    assert set(upper.tolist()).isdisjoint(lower.tolist())


def test_mirror_symmetry_is_exact(head):
    mirror = head.cloud.attributes["mirror"]
    m = head.cloud.means
    assert torch.equal(mirror[mirror], torch.arange(len(m)))
    assert torch.equal(m[mirror], m * torch.tensor([-1.0, 1.0, 1.0]))
    assert torch.equal(head.cloud.sh[mirror], head.cloud.sh)


def test_deterministic_and_fingerprint():
    a = build_default_head(0)
    b = build_default_head(0)
    c = build_default_head(1)
    assert a.fingerprint() == b.fingerprint()
    assert torch.equal(a.cloud.means, b.cloud.means) and torch.equal(a.cloud.sh, b.cloud.sh)
    assert a.fingerprint() != c.fingerprint()
    assert len(a.fingerprint()) == 64
    assert default_head() is default_head()


def _patch_camera(center, normal, width_m: float, px: int) -> Camera:
    """A camera looking at ``center`` along -normal from 0.3 m, seeing ``width_m`` across ``px``."""
    center = np.asarray(center, dtype=np.float64)
    eye = center + 0.3 * np.asarray(normal, dtype=np.float64)
    fov = 2 * np.degrees(np.arctan(width_m / 2 / 0.3))
    return Camera.look_at(eye, center, px, px, fov_y_deg=fov)


@pytest.mark.parametrize("where", ["forehead", "cheek", "chin", "nose_side", "temple_hair"])
def test_no_holes_at_1024_pixel_density(head, where):
    """Patches of the surface rendered at the pixel size of a 1024x1024 full-head view (~0.3 mm)
    are fully covered."""
    from core.render import get_renderer

    spots = {
        "forehead": ((0.0, 0.055, 0.09), (0, 0.3, 1)),
        "cheek": ((0.045, -0.03, 0.075), (0.5, 0, 1)),
        "chin": ((0.0, -0.095, 0.09), (0, -0.2, 1)),
        "nose_side": ((0.012, -0.012, 0.105), (0.6, 0, 1)),
        "temple_hair": ((0.07, 0.06, 0.02), (1, 0.2, 0.2)),
    }
    center, normal = spots[where]
    normal = np.asarray(normal, dtype=np.float64) / np.linalg.norm(normal)
    cam = _patch_camera(center, normal, 64 * 0.0003, 64)
    with get_renderer("reference") as r:
        alpha = r.render(head.cloud, cam).alpha
    assert float(alpha.min()) > 0.97, f"{where}: min alpha {float(alpha.min()):.3f}"

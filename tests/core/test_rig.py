"""The analytic AU rig: zones respected, monotone, exact at rest, symmetric, pivots, speech layering."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from core.aus import AU_INDEX, AU_NAMES, AU_ZONE, NUM_AUS, NUM_SPEECH, SPEECH_INDEX, SPEECH_NAMES, ZONE_INDEX
from core.camera import Camera
from core.gaussians import quat_to_rotmat
from core.head import Head, Part, default_head
from core.rig import RigFrames, RigInputError, deform, pose


@pytest.fixture(scope="module")
def head() -> Head:
    return default_head()


def one_hot(name: str, value: float = 5.0) -> torch.Tensor:
    au = torch.zeros(1, NUM_AUS)
    au[0, AU_INDEX[name]] = value
    return au


def speech_hot(name: str, value: float = 1.0) -> torch.Tensor:
    s = torch.zeros(1, NUM_SPEECH)
    s[0, SPEECH_INDEX[name]] = value
    return s


def test_zero_input_gives_the_canonical_head_bitwise(head):
    frames = deform(head, torch.zeros(3, NUM_AUS), torch.zeros(3, NUM_SPEECH))
    for t in range(3):
        assert torch.equal(frames.means[t], head.cloud.means)
        assert torch.equal(frames.quats[t], head.cloud.quats)
        assert torch.equal(frames.log_scales[t], head.cloud.log_scales)
    posed = pose(head)
    assert torch.equal(posed.means, head.cloud.means) and torch.equal(posed.quats, head.cloud.quats)
    assert torch.equal(posed.opacities, head.cloud.opacities)


@pytest.mark.parametrize("name", AU_NAMES)
def test_each_au_moves_only_its_zone_and_grows_monotonically(head, name):
    zone = ZONE_INDEX[AU_ZONE[name]]
    levels = torch.arange(6, dtype=torch.float32)
    au = torch.zeros(6, NUM_AUS)
    au[:, AU_INDEX[name]] = levels
    frames = deform(head, au)
    disp = (frames.means - head.cloud.means[None]).norm(dim=2)  # [6, N]
    outside = head.cloud.attributes["zones"][:, zone] == 0
    assert float(disp[:, outside].max()) < 1e-6 * head.size, f"{name} moved Gaussians outside {AU_ZONE[name]}"
    assert float(disp[5].max()) > 0.002, f"{name} at 5 moves less than 2 mm"
    # Per Gaussian, motion never shrinks as the intensity grows; in total it strictly grows.
    assert bool((disp[1:] >= disp[:-1] - 1e-7).all())
    total = disp.sum(1)
    assert bool((total[1:] > total[:-1]).all())
    # Opacities and colours are untouched.
    c = frames.cloud(5)
    assert torch.equal(c.opacities, head.cloud.opacities) and torch.equal(c.sh, head.cloud.sh)


def test_static_zone_never_moves(head):
    au = torch.full((2, NUM_AUS), 5.0)
    au[1] = torch.linspace(0, 5, NUM_AUS)
    frames = deform(head, au, torch.ones(2, NUM_SPEECH))
    static = head.cloud.attributes["zones"][:, ZONE_INDEX["static"]] == 1
    assert int(static.sum()) > 10_000
    assert torch.equal(frames.means[:, static], head.cloud.means[static][None].expand(2, -1, -1))
    assert torch.equal(frames.quats[:, static], head.cloud.quats[static][None].expand(2, -1, -1))


def test_speech_moves_only_mouth_and_jaw(head):
    zones = head.cloud.attributes["zones"]
    outside = (zones[:, ZONE_INDEX["mouth"]] == 0) & (zones[:, ZONE_INDEX["jaw_chin"]] == 0)
    frames = deform(head, torch.zeros(NUM_SPEECH, NUM_AUS), torch.eye(NUM_SPEECH))
    disp = (frames.means - head.cloud.means[None]).norm(dim=2)
    assert float(disp[:, outside].max()) < 1e-6 * head.size
    assert bool((disp.max(1).values > 0.002).all())


def _mouth_gap(head: Head, means: torch.Tensor) -> float:
    """Vertical distance between the centres of the upper and lower lip inner lines."""
    idx = head.landmarks["lip_inner"]
    part = head.cloud.attributes["part"][idx]
    central = head.cloud.means[idx, 0].abs() < 0.01
    up = means[idx[central & (part == Part.LIP_UPPER)], 1].mean()
    lo = means[idx[central & (part == Part.LIP_LOWER)], 1].mean()
    return float(up - lo)


def test_jaw_drop_opens_the_mouth(head):
    rest = _mouth_gap(head, head.cloud.means)
    opened = _mouth_gap(head, deform(head, one_hot("AU26")).means[0])
    assert abs(rest) < 0.002
    assert opened - rest >= 0.15 * head.face_height
    # The chin swings down, the forehead does not move, and the lower teeth follow the jaw.
    part = head.cloud.attributes["part"]
    frames = deform(head, one_hot("AU26"))
    lower_teeth = part == Part.TEETH_LOWER
    upper_teeth = part == Part.TEETH_UPPER
    assert float((frames.means[0, lower_teeth, 1] - head.cloud.means[lower_teeth, 1]).mean()) < -0.015
    assert torch.equal(frames.means[0, upper_teeth], head.cloud.means[upper_teeth])


def test_jaw_rotation_turns_orientations_too(head):
    frames = deform(head, one_hot("AU26"))
    teeth = head.cloud.attributes["part"] == Part.TEETH_LOWER
    r0 = quat_to_rotmat(head.cloud.quats[teeth])
    r1 = quat_to_rotmat(frames.quats[0, teeth])
    rel = r1 @ r0.transpose(1, 2)  # the same rotation for every lower tooth: about x by 20 degrees
    angle = torch.atan2(rel[:, 2, 1], rel[:, 1, 1])
    assert torch.allclose(angle, torch.full_like(angle, np.radians(20.0)), atol=1e-4)
    # Positions turned by the same rotation about the hinge.
    pivot = head.rig.pivot[teeth]
    moved = frames.means[0, teeth] - pivot
    before = head.cloud.means[teeth] + head.rig.au_disp[AU_INDEX["AU26"], teeth] - pivot
    assert torch.allclose(moved, (rel @ before[..., None])[..., 0], atol=1e-6)


def test_lips_part_without_the_jaw(head):
    frames = deform(head, one_hot("AU25"))
    gap = _mouth_gap(head, frames.means[0])
    assert gap > 0.005
    chin = head.landmarks["jaw_line"]
    assert float((frames.means[0, chin] - head.cloud.means[chin]).norm(dim=1).max()) < 0.002


def test_smile_and_brow_sizes(head):
    corners = head.landmarks["lip_corners"]
    d = deform(head, one_hot("AU12")).means[0, corners] - head.cloud.means[corners]
    assert bool((d[:, 1] > 0.003).all()) and bool((d[:, 2] < 0).all())  # up and back
    assert bool((d.norm(dim=1) > 0.005).all() and (d.norm(dim=1) < 0.011).all())
    d15 = deform(head, one_hot("AU15")).means[0, corners] - head.cloud.means[corners]
    assert bool((d15[:, 1] < -0.003).all())
    brow = head.landmarks["brow_left"]
    inner = brow[head.cloud.means[brow, 0].argmin()]
    outer = brow[head.cloud.means[brow, 0].argmax()]
    up1 = deform(head, one_hot("AU01")).means[0] - head.cloud.means
    assert 0.004 < float(up1[inner, 1]) < 0.008 and float(up1[outer, 1]) < float(up1[inner, 1])
    up2 = deform(head, one_hot("AU02")).means[0] - head.cloud.means
    assert float(up2[outer, 1]) > float(up2[inner, 1]) and float(up2[outer, 1]) > 0.003
    down4 = deform(head, one_hot("AU04")).means[0] - head.cloud.means
    assert float(down4[inner, 1]) < -0.002 and float(down4[inner, 0]) < 0  # down and toward the midline


def test_left_right_symmetry(head):
    g = torch.Generator().manual_seed(3)
    au = torch.rand(4, NUM_AUS, generator=g) * 5
    sp = torch.rand(4, NUM_SPEECH, generator=g)
    frames = deform(head, au, sp)
    mirror = head.cloud.attributes["mirror"]
    flip = torch.tensor([-1.0, 1.0, 1.0])
    assert torch.allclose(frames.means[:, mirror], frames.means * flip, atol=1e-7)
    qflip = torch.tensor([1.0, 1.0, -1.0, -1.0])
    assert torch.allclose(frames.quats[:, mirror], frames.quats * qflip, atol=1e-6)


def _iris_pixels(head: Head, cloud) -> int:
    """Iris-coloured (blue) pixels in a front render of the eyes."""
    from core.render import get_renderer

    eye = np.array(head.anatomy["eye_center_left"])
    target = np.array([0.0, eye[1], eye[2] + 0.012])
    fov = 2 * np.degrees(np.arctan(0.02 / 0.35))
    cam = Camera.look_at(target + np.array([0, 0, 0.35]), target, 96, 48, fov_y_deg=fov)
    with get_renderer("reference") as r:
        rgb = r.render(cloud, cam, background=(0.0, 0.0, 0.0)).color
    blue = (rgb[..., 2] - rgb[..., 0] > 0.12) & (rgb[..., 2] > 0.2)
    return int(blue.sum())


def test_blink_hides_the_iris(head):
    open_px = _iris_pixels(head, head.cloud)
    closed_px = _iris_pixels(head, pose(head, {"AU45": 5.0}))
    half_px = _iris_pixels(head, pose(head, {"AU45": 2.5}))
    assert open_px > 100
    assert closed_px == 0
    assert 0 < half_px < open_px


def test_lids_rotate_about_the_eyeball(head):
    part = head.cloud.attributes["part"]
    lid = (part == Part.LID_UPPER) & (head.cloud.means[:, 0] > 0)
    centre = torch.tensor(head.anatomy["eye_center_left"])
    r0 = (head.cloud.means[lid] - centre).norm(dim=1)
    for name in ("AU45", "AU05", "AU07"):
        m = deform(head, one_hot(name)).means[0, lid]
        assert torch.allclose((m - centre).norm(dim=1), r0, atol=1e-6), name
    y_close = deform(head, one_hot("AU45")).means[0, head.landmarks["lid_upper_left"], 1].mean()
    y_wide = deform(head, one_hot("AU05")).means[0, head.landmarks["lid_upper_left"], 1].mean()
    y_rest = head.cloud.means[head.landmarks["lid_upper_left"], 1].mean()
    assert y_close < y_rest < y_wide
    lower = head.landmarks["lid_lower_left"]
    assert float(deform(head, one_hot("AU07")).means[0, lower, 1].mean()) > float(head.cloud.means[lower, 1].mean())


def test_speech_controls_layer_with_aus(head):
    rest_gap = _mouth_gap(head, head.cloud.means)
    jaw = _mouth_gap(head, deform(head, torch.zeros(1, NUM_AUS), speech_hot("jaw_open")).means[0])
    assert jaw - rest_gap > 0.1 * head.face_height
    parted = _mouth_gap(head, deform(head, one_hot("AU25")).means[0])
    closed = _mouth_gap(head, deform(head, one_hot("AU25"), speech_hot("lip_close")).means[0])
    assert closed < 0.5 * parted
    corners = head.landmarks["lip_corners"]
    width0 = float(head.cloud.means[corners, 0].diff().abs())
    rnd = deform(head, torch.zeros(1, NUM_AUS), speech_hot("lip_round")).means[0]
    st = deform(head, torch.zeros(1, NUM_AUS), speech_hot("lip_stretch")).means[0]
    assert float(rnd[corners, 0].diff().abs()) < width0 - 0.004
    assert float(st[corners, 0].diff().abs()) > width0 + 0.006
    outer = head.landmarks["lip_outer"]
    assert float((rnd[outer, 2] - head.cloud.means[outer, 2]).mean()) > 0.002  # lips pushed forward


def test_batch_equals_single_frames_and_input_checks(head):
    g = torch.Generator().manual_seed(5)
    au = torch.rand(3, NUM_AUS, generator=g) * 5
    frames = deform(head, au)
    assert isinstance(frames, RigFrames) and len(frames) == 3
    assert frames.means.shape == (3, len(head.cloud), 3) and frames.quats.shape == (3, len(head.cloud), 4)
    for t in range(3):
        single = pose(head, au[t])
        assert torch.allclose(single.means, frames.means[t], atol=1e-7)
    named = pose(head, {"au12": 3.0, "AU26_r": 1.0}, {"jaw_open": 0.2})
    vec = torch.zeros(NUM_AUS)
    vec[AU_INDEX["AU12"]], vec[AU_INDEX["AU26"]] = 3.0, 1.0
    sp = torch.zeros(NUM_SPEECH)
    sp[SPEECH_INDEX["jaw_open"]] = 0.2
    assert torch.equal(named.means, pose(head, vec, sp).means)
    with pytest.raises(RigInputError, match="AU99"):
        pose(head, {"AU99": 1.0})
    with pytest.raises(RigInputError, match="speech"):
        pose(head, None, {"whistle": 1.0})
    with pytest.raises(RigInputError, match=r"\[T, 17\]"):
        deform(head, torch.zeros(2, 5))
    with pytest.raises(RigInputError, match="frames"):
        deform(head, torch.zeros(2, NUM_AUS), torch.zeros(3, NUM_SPEECH))
    assert set(SPEECH_NAMES) == set(SPEECH_INDEX)


@pytest.mark.gpu
def test_follows_the_input_device(head):
    au = one_hot("AU12").cuda()
    frames = deform(head, au)
    assert frames.means.device.type == "cuda"
    cpu = deform(head, one_hot("AU12"))
    assert torch.allclose(frames.means.cpu(), cpu.means, atol=1e-6)


def test_stretched_skin_grows_in_its_plane_only(head):
    frames = deform(head, one_hot("AU26"))
    grow = frames.log_scales[0] - head.cloud.log_scales
    assert torch.equal(grow[:, 2], torch.zeros(len(head.cloud)))  # never thicker along the normal
    assert torch.equal(grow[:, 0], grow[:, 1]) and bool((grow >= 0).all())
    part = head.cloud.attributes["part"]
    grown = grow[:, 0] > 1e-6
    assert int(grown.sum()) > 100
    assert bool((part[grown] == Part.SKIN).all())
    assert bool((head.cloud.attributes["zones"][grown, ZONE_INDEX["jaw_chin"]] > 0).all())
    assert torch.equal(deform(head, one_hot("AU12")).log_scales[0], head.cloud.log_scales)


def test_contact_sheet_command_writes_a_labelled_grid(head, tmp_path):
    import argparse

    from core.commands import contact_sheet
    from core.image import read_png

    parser = argparse.ArgumentParser()
    contact_sheet.add_arguments(parser)
    out = tmp_path / "sheet.png"
    args = parser.parse_args(["--out", str(out), "--size", "48", "--backend", "preview"])
    assert contact_sheet.run(args) == 0
    img = read_png(out)
    assert img.shape[:2] == (3 * (48 + 26), 6 * 48)
    tiles = [img[r * 74:r * 74 + 48, c * 48:(c + 1) * 48, :3].astype(np.int32) for r in range(3) for c in range(6)]
    # Every AU tile differs from the neutral one, and the labels put text pixels under the tiles.
    for k in range(1, 18):
        assert np.abs(tiles[k] - tiles[0]).sum() > 0, AU_NAMES[k - 1]
    label = img[48:74, :48, :3]
    assert int((label[..., 0] > 200).sum()) > 20

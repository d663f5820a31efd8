"""The viewport draws into Qt's own GL context on a real X display (pytest-xvfb)."""
import numpy as np
import pytest
import torch
from PySide6.QtCore import QPoint, Qt

from core.gaussians import GaussianCloud
from core.render.gl import GLSplats
from widgets.viewport import BACKGROUND, Viewport


def two_blob_cloud():
    """A red cluster on the left (-x) and a blue one on the right (+x), both at z = 0."""
    g = torch.Generator().manual_seed(0)
    left = torch.randn(300, 3, generator=g) * 0.02 + torch.tensor([-0.1, 0.0, 0.0])
    right = torch.randn(300, 3, generator=g) * 0.02 + torch.tensor([0.1, 0.0, 0.0])
    rgb = torch.cat([torch.tensor([[0.9, 0.1, 0.1]]).expand(300, 3), torch.tensor([[0.1, 0.2, 0.9]]).expand(300, 3)])
    return GaussianCloud.from_rgb(torch.cat([left, right]), rgb, torch.full((600, 3), 0.01), 0.95)


@pytest.fixture
def view(qtbot):
    v = Viewport()
    qtbot.addWidget(v)
    v.resize(320, 240)
    v.show()
    qtbot.waitExposed(v)
    cloud = two_blob_cloud()
    v.set_splats(GLSplats(cloud))
    lo, hi = cloud.bounds()
    v.set_bounds(lo.numpy(), hi.numpy())
    v.frame_all()
    if v.error:
        pytest.fail(v.error)
    return v


def colour_centroid_x(img, channel):
    other = [c for c in range(3) if c != channel]
    mask = (img[..., channel] > 120) & (img[..., other].max(-1) < 90)
    assert mask.sum() > 50, "the coloured blob is not visible"
    return np.nonzero(mask)[1].mean()


def test_front_view_shows_minus_x_on_the_left(view):
    img = view.grab_rgb()
    assert img.shape[:2] == (240, 320)
    bg = (np.array(BACKGROUND) * 255).round()
    assert np.abs(img[0, 0].astype(float) - bg).max() <= 2
    assert colour_centroid_x(img, 0) < colour_centroid_x(img, 2)


def coloured_columns(img):
    mask = ((img[..., 0] > 120) & (img[..., 2] < 90)) | ((img[..., 2] > 120) & (img[..., 0] < 90))
    assert mask.sum() > 50
    return np.nonzero(mask)[1]


def test_side_view_and_frame_keys(view, qtbot):
    front_spread = np.ptp(coloured_columns(view.grab_rgb()))
    qtbot.keyClick(view, Qt.Key_3)
    assert view.orbit.yaw == 90.0
    # From the side the two blobs (apart along x) line up one behind the other.
    assert np.ptp(coloured_columns(view.grab_rgb())) < 0.6 * front_spread
    qtbot.keyClick(view, Qt.Key_1)
    assert view.orbit.yaw == 0.0
    view.orbit.zoom(5.0)
    qtbot.keyClick(view, Qt.Key_F)
    far = view.orbit.distance
    view.frame_all()
    assert view.orbit.distance == pytest.approx(far)
    assert far < 5.0


def test_left_drag_orbits_at_low_resolution_then_settles_to_full(view, qtbot):
    before = view.grab_rgb()
    yaw0 = view.orbit.yaw
    qtbot.mousePress(view, Qt.LeftButton, pos=QPoint(100, 120))
    for x in range(110, 200, 10):
        qtbot.mouseMove(view, QPoint(x, 120))
    assert view.orbit.yaw != yaw0
    qtbot.waitUntil(lambda: view.low_res_paints > 0, timeout=3000)  # still held: drawn at low resolution
    qtbot.mouseRelease(view, Qt.LeftButton, pos=QPoint(200, 120))
    full = view.full_res_paints
    qtbot.waitUntil(lambda: view.full_res_paints > full, timeout=3000)
    assert not np.array_equal(before, view.grab_rgb())


def test_wheel_zooms_and_shift_drag_pans(view, qtbot):
    d0 = view.orbit.distance
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent

    ev = QWheelEvent(QPointF(160, 120), QPointF(160, 120), QPoint(0, 0), QPoint(0, 120), Qt.NoButton,
                     Qt.NoModifier, Qt.NoScrollPhase, False)
    view.wheelEvent(ev)
    assert view.orbit.distance < d0
    t0 = np.array(view.orbit.target)
    qtbot.mousePress(view, Qt.LeftButton, Qt.ShiftModifier, QPoint(160, 120))
    qtbot.mouseMove(view, QPoint(200, 120))
    qtbot.mouseRelease(view, Qt.LeftButton, Qt.ShiftModifier, QPoint(200, 120))
    assert not np.allclose(view.orbit.target, t0)


def test_override_colours_replace_and_restore(view):
    img = view.grab_rgb()
    n = len(view.splats())
    green = np.tile(np.array([[0.1, 0.9, 0.1]], np.float32), (n, 1))
    view.set_override_colors(green)
    tinted = view.grab_rgb()
    assert ((tinted[..., 1] > 120) & (tinted[..., 0] < 90)).sum() > 50
    view.set_override_colors(None)
    np.testing.assert_array_equal(view.grab_rgb(), img)
    with pytest.raises(ValueError):
        view.set_override_colors(green[:10])


def flat_cloud_facing(sign: float):
    """The two blobs as flat splats (thin along local z, identity rotation), 600 of them."""
    cloud = two_blob_cloud()
    return cloud.replace(log_scales=torch.log(torch.tensor([[0.01, 0.01, 0.001]]).expand(600, 3).clone())), \
        np.tile(np.array([[0.0, 0.0, sign]], np.float32), (600, 1))


def test_a_level_of_detail_is_drawn_with_back_faces_culled_and_speaks_full_rows(view, qtbot):
    # Playback hands the viewport a level of detail: a subset of the cloud's rows (source_index)
    # with outward normals. It is drawn with back faces culled; overlays still come as [N] colours.
    n_full = len(view.splats())
    full_img = view.grab_rgb()
    assert not view.is_lod() and not view.last_paint_lod
    cloud, _ = flat_cloud_facing(1.0)
    left = torch.arange(300)  # only the red blob is kept
    cam_z = view.current_camera().position[2]
    towards = np.float32(np.sign(cam_z))  # local +z (world +z here) towards the camera
    lod = GLSplats(cloud.subset(left), normals=np.tile([[0.0, 0.0, towards]], (300, 1)).astype(np.float32),
                   source_index=left.numpy())
    view.set_splats(lod)
    img = view.grab_rgb()
    assert view.is_lod() and view.last_paint_lod
    red = (img[..., 0] > 120) & (img[..., 2] < 90)
    blue = (img[..., 2] > 120) & (img[..., 0] < 90)
    assert red.sum() > 50 and blue.sum() == 0
    base = view.base_rgb()
    assert base.shape == (n_full, 3) and np.allclose(base[300:], 0.0) and base[:300, 0].min() > 0.5
    green = np.tile(np.array([[0.1, 0.9, 0.1]], np.float32), (n_full, 1))
    view.set_override_colors(green)
    tinted = view.grab_rgb()
    assert ((tinted[..., 1] > 120) & (tinted[..., 0] < 90)).sum() > 50
    with pytest.raises(ValueError, match=str(n_full)):
        view.set_override_colors(green[:300])  # the LOD's own count is not what overlays speak
    view.set_override_colors(None)
    # The same splats turned away from the camera: culled while they are a level of detail...
    away = GLSplats(cloud.subset(left), normals=np.tile([[0.0, 0.0, -towards]], (300, 1)).astype(np.float32),
                    source_index=left.numpy())
    view.set_splats(away)
    img = view.grab_rgb()
    assert ((img[..., 0] > 120) & (img[..., 2] < 90)).sum() == 0
    # ...but a full-quality frame (no source_index: stopped or paused) culls nothing.
    view.set_splats(GLSplats(cloud, normals=np.tile([[0.0, 0.0, -towards]], (600, 1)).astype(np.float32)))
    img = view.grab_rgb()
    assert not view.is_lod() and not view.last_paint_lod
    assert ((img[..., 0] > 120) & (img[..., 2] < 90)).sum() > 50 and ((img[..., 2] > 120) & (img[..., 0] < 90)).sum() > 50
    assert full_img.shape == img.shape

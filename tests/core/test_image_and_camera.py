import math

import numpy as np
import pytest

from core.camera import Camera, OrbitCamera
from core.image import ImageFileError, read_png, write_png


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_png_round_trip(tmp_path, channels):
    rng = np.random.default_rng(channels)
    img = rng.integers(0, 256, size=(17, 23, channels), dtype=np.uint8)
    write_png(tmp_path / "a.png", img)
    assert np.array_equal(read_png(tmp_path / "a.png"), img)


def test_png_rejects_other_files(tmp_path):
    p = tmp_path / "x.png"
    p.write_bytes(b"GIF89a....")
    with pytest.raises(ImageFileError, match="x.png: not a PNG"):
        read_png(p)


def test_look_at_puts_target_at_principal_point():
    cam = Camera.look_at([0.3, 0.2, 1.0], [0.0, 0.1, 0.0], 200, 100)
    uv, z = cam.project(np.array([[0.0, 0.1, 0.0]]))
    assert np.allclose(uv[0], [100, 50]) and z[0] > 0
    assert np.allclose(cam.position, [0.3, 0.2, 1.0])


def test_image_axes_follow_opencv():
    cam = Camera.look_at([0, 0, 2], [0, 0, 0], 100, 100)
    uv, _ = cam.project(np.array([[0.1, 0.0, 0.0], [0.0, 0.1, 0.0]]))
    assert uv[0, 0] > 50  # world +x appears on the right
    assert uv[1, 1] < 50  # world +y (up) appears above the centre


def test_orbit_front_side_and_framing():
    orbit = OrbitCamera(distance=2.0)
    assert np.allclose(orbit.eye(), [0, 0, 2])
    orbit.orbit(90, 0)
    assert np.allclose(orbit.eye(), [2, 0, 0], atol=1e-9)
    orbit.orbit(0, 200)
    assert orbit.pitch == OrbitCamera.PITCH_LIMIT
    framed = OrbitCamera.framing(np.array([-1, -1, -1.0]), np.array([1, 1, 1.0]))
    cam = framed.camera(64, 64)
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=float)
    uv, z = cam.project(corners)
    assert (z > 0).all() and (uv >= 0).all() and (uv <= 64).all()


def test_pan_moves_target_in_view_plane_and_zoom_clamps():
    orbit = OrbitCamera(distance=1.0)
    orbit.pan(0.5, 0.0)
    assert orbit.target[0] > 0 and abs(orbit.target[2]) < 1e-12
    orbit.zoom(1e-9)
    assert orbit.distance == OrbitCamera.MIN_DISTANCE


def test_resized_keeps_the_view():
    cam = Camera.look_at([0, 0, 1], [0, 0, 0], 100, 50)
    small = cam.resized(50, 25)
    p = np.array([[0.05, 0.02, 0.0]])
    assert np.allclose(cam.project(p)[0] / 2, small.project(p)[0])
    assert math.isclose(cam.fov_y, small.fov_y)

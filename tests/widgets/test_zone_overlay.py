import numpy as np
import pytest

from core.aus import NUM_ZONES, ZONE_COLORS, ZONE_INDEX, ZONES
from widgets.zone_overlay import (
    OverlayInputError, OverlayMode, heat_colors, heat_map, isolate_zone, overlay_colors, zone_tint,
)


def one_hot(rows):
    z = np.zeros((len(rows), NUM_ZONES), np.float32)
    z[np.arange(len(rows)), rows] = 1
    return z


def test_zone_tint_takes_each_members_zone_colour_on_white():
    rows = [ZONE_INDEX[z] for z in ZONES]
    rgb = zone_tint(np.ones((len(rows), 3)), one_hot(rows))
    np.testing.assert_allclose(rgb, [ZONE_COLORS[z] for z in ZONES], atol=1e-6)


def test_zone_tint_blends_soft_memberships_and_treats_no_zone_as_static():
    z = np.zeros((2, NUM_ZONES), np.float32)
    z[0, ZONE_INDEX["brow"]] = z[0, ZONE_INDEX["eyes"]] = 0.5
    rgb = zone_tint(np.ones((2, 3)), z)
    np.testing.assert_allclose(rgb[0], (np.array(ZONE_COLORS["brow"]) + ZONE_COLORS["eyes"]) / 2, atol=1e-6)
    np.testing.assert_allclose(rgb[1], ZONE_COLORS["static"], atol=1e-6)


def test_isolate_keeps_the_zone_bright_and_greys_the_rest():
    rows = [ZONE_INDEX["mouth"], ZONE_INDEX["brow"]]
    base = np.full((2, 3), 0.8, np.float32)
    rgb = isolate_zone(base, one_hot(rows), ZONE_INDEX["mouth"])
    assert rgb[0].max() > 0.7
    assert np.ptp(rgb[1]) < 1e-6 and rgb[1].max() < 0.3  # grey and dim
    with pytest.raises(OverlayInputError):
        isolate_zone(base, one_hot(rows), NUM_ZONES)


def test_heat_ramp_is_monotonic_in_lightness():
    lum = heat_colors(np.linspace(0, 1, 50)) @ np.array([0.299, 0.587, 0.114])
    assert np.all(np.diff(lum) > 0)


def test_heat_map_scale_is_robust_to_one_outlier():
    v = np.r_[np.linspace(0, 1, 999), 100.0]
    rgb, scale = heat_map(v)
    assert scale < 2.0
    np.testing.assert_allclose(rgb[-1], heat_colors(np.array([1.0]))[0])


def test_zero_motion_maps_to_the_bottom_of_the_ramp():
    rgb, scale = overlay_colors(OverlayMode.MOTION, np.ones((3, 3)), motion=np.zeros(3))
    assert scale == 0.0
    np.testing.assert_allclose(rgb, heat_colors(np.zeros(3)))


def test_shaded_mode_gives_no_override_and_bad_shapes_are_named():
    assert overlay_colors(OverlayMode.NONE, np.ones((3, 3)))[0] is None
    with pytest.raises(OverlayInputError, match="zones"):
        zone_tint(np.ones((3, 3)), np.ones((4, NUM_ZONES)))
    with pytest.raises(OverlayInputError, match="head carries no zone"):
        overlay_colors(OverlayMode.ZONES, np.ones((3, 3)), zones=None)

"""GaussianCloud validation: errors name the field and count the bad rows."""
from __future__ import annotations

import math

import pytest
import torch

from core.gaussians import GaussianCloud, GaussianCloudError


def _fields(n=6, k=4):
    return dict(means=torch.zeros(n, 3), quats=torch.tensor([[1.0, 0, 0, 0]]).repeat(n, 1),
                log_scales=torch.full((n, 3), -3.0), opacities=torch.zeros(n), sh=torch.zeros(n, k, 3))


def test_valid_cloud_builds():
    cloud = GaussianCloud(**_fields(), attributes={"zone": torch.arange(6)})
    assert len(cloud) == 6 and cloud.sh_degree == 1


@pytest.mark.parametrize("field, rows", [
    ("means", [0, 3]),
    ("quats", [5]),
    ("log_scales", [1, 2, 4]),
    ("opacities", [2]),
    ("sh", [0, 1, 2, 3]),
])
def test_non_finite_rows_are_counted_per_field(field, rows):
    data = _fields()
    value = data[field]
    flat = value.reshape(value.shape[0], -1)
    for i, r in enumerate(rows):
        flat[r, i % flat.shape[1]] = (math.nan, math.inf, -math.inf)[i % 3]
    with pytest.raises(GaussianCloudError) as e:
        GaussianCloud(**data)
    assert isinstance(e.value, ValueError)
    msg = str(e.value)
    assert msg.startswith(f"{field}:")
    assert f"{len(rows)} of 6 rows are not finite" in msg and f"first bad row {rows[0]}" in msg


def test_zero_quaternions_are_counted():
    data = _fields()
    data["quats"][[2, 4]] = 0.0
    with pytest.raises(GaussianCloudError, match=r"^quats: 2 of 6 rows are zero quaternions \(first bad row 2\)"):
        GaussianCloud(**data)


def test_non_finite_attribute_rows_are_counted():
    w = torch.ones(6, 2)
    w[1, 0] = math.nan
    w[3, 1] = math.inf
    w[3, 0] = math.nan
    with pytest.raises(GaussianCloudError, match=r"^attribute 'w': 2 of 6 rows are not finite"):
        GaussianCloud(**_fields(), attributes={"w": w})


@pytest.mark.parametrize("change, pattern", [
    ({"quats": torch.ones(5, 4)}, r"^quats: expected shape \[6, 4\], got \[5, 4\]"),
    ({"sh": torch.zeros(6, 5, 3)}, r"^sh: 5 coefficients"),
    ({"opacities": torch.zeros(6, dtype=torch.int32)}, r"^opacities: expected a floating-point tensor"),
])
def test_shape_and_type_errors_name_the_field(change, pattern):
    data = _fields()
    data.update(change)
    with pytest.raises(GaussianCloudError, match=pattern):
        GaussianCloud(**data)


def test_attribute_errors_name_the_attribute():
    with pytest.raises(GaussianCloudError, match=r"^attribute 'zone': expected 6 rows, got shape \[4\]"):
        GaussianCloud(**_fields(), attributes={"zone": torch.zeros(4)})
    with pytest.raises(GaussianCloudError, match=r"^attribute 'sh': name is reserved"):
        GaussianCloud(**_fields(), attributes={"sh": torch.zeros(6)})

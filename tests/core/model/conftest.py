import pytest

from .synth import synthetic_cloud


@pytest.fixture
def cloud():
    """200 soft-membership Gaussians plus 10 wholly brow, 10 wholly mouth and 10 wholly static."""
    return synthetic_cloud(200, pure={"brow": 10, "mouth": 10, "static": 10})

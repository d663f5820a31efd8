import pytest

from .synth import synthetic_cloud


@pytest.fixture
def cloud():
    """200 soft-membership Gaussians plus 10 wholly brow, 10 wholly mouth and 10 wholly static."""
    return synthetic_cloud(200, pure={"brow": 10, "mouth": 10, "static": 10})


@pytest.fixture(autouse=True)
def single_thread_torch():
    """Run the model tests on one intra-op thread: on a small shared CPU, torch's thread pool spins
    against other processes and a tiny training loop becomes an order of magnitude slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

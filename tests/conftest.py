"""Suite-wide set-up: GPU tests skip cleanly without CUDA."""
from __future__ import annotations

import pytest


def _cuda_reason() -> str | None:
    try:
        import torch
    except Exception as exc:  # pragma: no cover - torch is a hard dependency
        return f"torch unavailable: {exc}"
    if not torch.cuda.is_available():
        return "needs a CUDA GPU (run on the GPU machine)"
    return None


def pytest_configure(config):
    # Two torch threads on a 2-core machine fight llvmpipe's and Xvfb's threads; small tensor ops
    # then run 10-100x slower. One thread keeps the suite's time predictable.
    import torch

    torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    gpu_items = [item for item in items if "gpu" in item.keywords]
    if not gpu_items:
        return
    reason = _cuda_reason()
    if reason:
        for item in gpu_items:
            item.add_marker(pytest.mark.skip(reason=reason))

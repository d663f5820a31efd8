import pytest
import torch

from core.model.deform import DeformationOutput
from core.model.losses import (LossWeights, image_loss, offset_magnitude, position_loss, ssim,
                               temporal_second_difference, total_loss)


def test_ssim_identity_and_degradation():
    torch.manual_seed(0)
    img = torch.rand(32, 40, 3)
    assert float(ssim(img, img)) == pytest.approx(1.0, abs=1e-5)
    noisy = (img + 0.1 * torch.randn_like(img)).clamp(0, 1)
    noisier = (img + 0.3 * torch.randn_like(img)).clamp(0, 1)
    assert float(ssim(img, noisier)) < float(ssim(img, noisy)) < 0.99
    assert float(image_loss(img, img)) == pytest.approx(0.0, abs=1e-5)
    batch = torch.stack([img, noisy])
    assert ssim(batch, batch.flip(0)).shape == ()


def test_ssim_matches_closed_form_on_constant_images():
    from core.model.losses import SSIM_C1

    a, b = torch.full((32, 32, 1), 0.2), torch.full((32, 32, 1), 0.6)
    # Away from the zero-padded border both images are constant, so SSIM = (2ab + C1) / (a^2 + b^2 + C1).
    expected = (2 * 0.2 * 0.6 + SSIM_C1) / (0.04 + 0.36 + SSIM_C1)
    smap = ssim(a, b, reduction="none")
    assert smap.shape == (1, 1, 32, 32)
    assert float(smap[0, 0, 16, 16]) == pytest.approx(expected, rel=1e-4)


def test_temporal_second_difference():
    t = torch.arange(6, dtype=torch.float32)[:, None, None]
    linear = t * torch.ones(6, 4, 3)
    assert float(temporal_second_difference(linear)) == pytest.approx(0.0, abs=1e-6)
    jitter = linear.clone()
    jitter[3] += 1.0
    assert float(temporal_second_difference(jitter)) > 0
    assert float(temporal_second_difference(linear[:2])) == 0.0


def test_offset_terms_and_total():
    out = DeformationOutput(torch.ones(3, 5, 3), torch.zeros(3, 5, 4), torch.zeros(3, 5, 3))
    assert float(offset_magnitude(out)) == pytest.approx(3.0)
    assert float(position_loss(torch.zeros(2, 5, 3), torch.full((2, 5, 3), 2.0))) == pytest.approx(12 ** 0.5)
    img = torch.rand(3, 16, 16, 3)
    loss, terms = total_loss(out, LossWeights(position=1.0), img, img, torch.zeros(3, 5, 3), torch.zeros(3, 5, 3))
    assert set(terms) == {"image", "temporal", "magnitude", "position"}
    assert float(loss) == pytest.approx(sum(terms.values()), rel=1e-5)

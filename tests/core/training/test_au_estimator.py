"""The exact AU estimator inverts the rig: single AUs and mouth combinations come back, the
canonical head reads as no AU at all, and jerk is measured on the tracks."""
import torch

from core.aus import AU_INDEX, AU_NAMES
from core.head import default_head
from core.training.au_estimator import LOWER_AUS, UPPER_AUS, RigAUEstimator, au_errors, au_jerk


def test_single_aus_and_a_mouth_combination_are_recovered_from_the_rigs_geometry():
    head = default_head()
    est = RigAUEstimator(head, sample=2000)
    au = torch.zeros(len(AU_NAMES) + 2, 17)
    for i in range(17):
        au[i, i] = 1.0 + 0.2 * i  # every AU alone, 1.0 .. 4.2
    au[17, [AU_INDEX["AU12"], AU_INDEX["AU25"], AU_INDEX["AU26"]]] = torch.tensor([3.0, 2.0, 1.5])
    speech = torch.zeros(au.shape[0], 4)
    speech[18, 0] = 0.6  # jaw_open from speech, no AU: the fit must not call it AU26
    from core import rig

    x = est.estimate(rig.deform(head, au, speech).means, speech)
    assert (x - au).abs().max() < 0.05, (x - au).abs().max(dim=1)
    assert set(UPPER_AUS) | set(LOWER_AUS) == set(range(17)) and not set(UPPER_AUS) & set(LOWER_AUS)
    rest = est.estimate(head.cloud.means[None].expand(2, -1, -1), torch.zeros(2, 4))
    assert float(rest.abs().max()) < 1e-3
    assert au_errors(rest, au[:2])["aue_u"] > 0


def test_au_jerk_is_the_mean_absolute_second_difference():
    t = torch.zeros(5, 17)
    t[2, 0] = 1.0  # one spike: second differences 1, -2, 1 in channel 0
    assert abs(au_jerk(t) - 4.0 / (3 * 17)) < 1e-6
    assert au_jerk(torch.zeros(2, 17)) == 0.0

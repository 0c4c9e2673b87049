"""Sample sizes: the textbook value, the power they promise (checked by simulation), and the
smallest detectable effect as their inverse."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from recsys.exceptions import InvalidParameterError
from recsys.experiment import minimum_detectable_effect, sample_size


def test_textbook_value():
    # 5% -> 6%, alpha 0.05 two-sided, power 0.8, equal arms: 8,158 per arm (Fleiss, no
    # continuity correction; the figure the usual online calculators give)
    assert sample_size(0.05, 0.01) == (8158, 8158, 16316)
    assert sample_size(0.05, 0.2, relative=True) == sample_size(0.05, 0.01)


@pytest.mark.parametrize("baseline, effect, control_share", [(0.05, 0.01, 0.5),
                                                              (0.2, -0.03, 0.1)])
def test_promised_power_holds_in_simulation(baseline, effect, control_share):
    size = sample_size(baseline, effect, control_share=control_share)
    rng = np.random.default_rng(0)
    runs = 4000
    treated = rng.binomial(size.treatment, baseline + effect, runs) / size.treatment
    control = rng.binomial(size.control, baseline, runs) / size.control
    pooled = (treated * size.treatment + control * size.control) / size.total
    se = np.sqrt(pooled * (1 - pooled) * (1 / size.treatment + 1 / size.control))
    power = np.mean(2 * stats.norm.sf(np.abs(treated - control) / se) < 0.05)
    assert abs(power - 0.8) < 0.025, power


def test_detectable_effect_inverts_sample_size():
    size = sample_size(0.05, 0.01, control_share=0.1)
    effect = minimum_detectable_effect(size.treatment, size.control, baseline_rate=0.05)
    assert effect == pytest.approx(0.01, rel=2e-3)
    assert minimum_detectable_effect(10, 10, baseline_rate=0.5) == float("inf") or \
        minimum_detectable_effect(10, 10, baseline_rate=0.5) > 0.3
    sd = minimum_detectable_effect(1000, 1000, sd=10.0)
    assert sd == pytest.approx((1.959964 + 0.841621) * 10 * np.sqrt(2 / 1000), rel=1e-5)


@pytest.mark.parametrize("call", [
    lambda: sample_size(0.0, 0.01), lambda: sample_size(0.05, 0.0),
    lambda: sample_size(0.95, 0.1), lambda: sample_size(0.05, 0.01, power=1.0),
    lambda: sample_size(0.05, 0.01, control_share=1.0),
    lambda: minimum_detectable_effect(100, 100),
    lambda: minimum_detectable_effect(0, 100, baseline_rate=0.1),
])
def test_bad_plans_are_refused(call):
    with pytest.raises(InvalidParameterError):
        call()

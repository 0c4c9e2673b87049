"""The test statistics on 200,000 draws each: exact size under no effect, nominal coverage under
an effect, for rates (two-proportion z) and for heavy-tailed revenue (Welch)."""

from __future__ import annotations

import numpy as np

from recsys.experiment._stats import Moments, compare_means, compare_rates, moments, srm_test


def test_moments_match_numpy():
    rng = np.random.default_rng(0)
    values, group = rng.lognormal(size=1000), rng.integers(0, 3, 1000)
    got = moments(values, group, 3)
    for g in range(3):
        assert np.isclose(got.mean[g], np.mean(values[group == g]))
        assert np.isclose(got.var[g], np.var(values[group == g], ddof=1))


def test_two_proportions_have_exact_size_and_coverage():
    rng = np.random.default_rng(1)
    runs = 200_000
    n1 = rng.binomial(4000, 0.5, runs).astype(float)
    n0 = 4000 - n1
    x1, x0 = rng.binomial(n1.astype(int), 0.12), rng.binomial(n0.astype(int), 0.10)
    effect = compare_rates(Moments(n1, x1 / n1, None), Moments(n0, x0 / n0, None))
    covered = np.mean((effect.ci_low <= 0.02) & (effect.ci_high >= 0.02))
    assert abs(covered - 0.95) < 0.003
    y1 = rng.binomial(n1.astype(int), 0.10)
    null = compare_rates(Moments(n1, y1 / n1, None), Moments(n0, x0 / n0, None))
    assert abs(np.mean(null.p_value < 0.05) - 0.05) < 0.003


def revenue(rng, buyers_per_run: np.ndarray, n: int, scale: float) -> Moments:
    """Per run: n customers, the first buyers_per_run of them spend lognormal(sigma=1) x scale."""
    width = int(buyers_per_run.max())
    spend = rng.lognormal(np.log(40) - 0.5, 1.0, (len(buyers_per_run), width)) * scale
    spend *= np.arange(width)[None, :] < buyers_per_run[:, None]
    mean = spend.sum(1) / n
    var = ((spend ** 2).sum(1) - n * mean ** 2) / (n - 1)
    return Moments(np.full(len(mean), float(n)), mean, var)


def test_welch_covers_heavy_tailed_revenue():
    rng = np.random.default_rng(2)
    runs, n = 100_000, 2000
    treated = revenue(rng, rng.binomial(n, 0.12, runs), n, 1.1)
    control = revenue(rng, rng.binomial(n, 0.10, runs), n, 1.0)
    truth = (0.12 * 1.1 - 0.10) * 40
    result = compare_means(treated, control)
    covered = np.mean((result.ci_low <= truth) & (truth <= result.ci_high))
    assert abs(covered - 0.95) < 0.004, covered


def test_srm_chi_square():
    assert srm_test(np.array([900, 100]), np.array([0.9, 0.1])) == 1.0
    assert srm_test(np.array([900, 60]), np.array([0.9, 0.1])) < 1e-3

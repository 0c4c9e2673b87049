"""The tests behind the campaign readout, vectorised over arms and segments.

- Rates (conversion, repeat, bought a pick): the difference of two proportions. The interval is
  the unpooled Wald interval; the p-value is the pooled two-proportion z-test, whose size is
  exact under no effect. Both are the textbook choices for audiences of thousands.
- Means (orders and revenue per customer): Welch's t (unequal variances, Welch-Satterthwaite
  degrees of freedom), valid for heavy-tailed revenue by the central limit theorem once each
  arm has a few hundred customers.
- Average order value (revenue / orders, a ratio of two per-customer sums): the delta method,
  with the linearised per-customer value ``revenue - aov * orders``.
- Relative uplift (``arm / control - 1``): the delta method on the ratio of the two means.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
from scipy import special

__all__ = ["Moments", "Comparison", "moments", "compare_means", "compare_rates",
           "compare_ratios", "srm_test", "normal_quantile"]


# scipy.special, not scipy.stats: the same functions at a tenth of the import time
def normal_quantile(q: float) -> float:
    return float(special.ndtri(q))


def _normal_two_sided(z: np.ndarray) -> np.ndarray:
    return 2 * special.ndtr(-np.abs(z))


def _t_quantile(q: float, df: np.ndarray) -> np.ndarray:
    df = np.asarray(df, np.float64)
    finite = np.isfinite(df) & (df > 0)
    return np.where(finite, special.stdtrit(np.where(finite, df, 1.0), q), special.ndtri(q))


def _t_two_sided(t: np.ndarray, df: np.ndarray) -> np.ndarray:
    df = np.asarray(df, np.float64)
    finite = np.isfinite(df) & (df > 0)
    return np.where(finite, 2 * special.stdtr(np.where(finite, df, 1.0), -np.abs(t)),
                    _normal_two_sided(t))


class Moments(NamedTuple):
    """Per group: count, mean and variance (ddof=1) of a per-customer value."""

    n: np.ndarray
    mean: np.ndarray
    var: np.ndarray


class Comparison(NamedTuple):
    """Arm against control, per row: uplift, its interval, relative uplift and p-value."""

    uplift: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    relative: np.ndarray
    relative_low: np.ndarray
    relative_high: np.ndarray
    p_value: np.ndarray


def _quiet(function):
    """Empty groups (a segment without control customers) give NaN, silently: they are
    reported as missing, not warned about once per array."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with np.errstate(invalid="ignore", divide="ignore"):
            return function(*args, **kwargs)
    return wrapper


def moments(values: np.ndarray, group: np.ndarray, n_groups: int) -> Moments:
    """Count, mean and sample variance of ``values`` per group code (bincount, one pass each)."""
    values = np.asarray(values, dtype=np.float64)
    n = np.bincount(group, minlength=n_groups).astype(np.float64)
    total = np.bincount(group, weights=values, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        centred = values - mean[group]  # centring first keeps the variance exact
        var = np.bincount(group, weights=centred * centred, minlength=n_groups) / (n - 1)
    return Moments(n, mean, var)


def _defined(arm: Moments, control: Moments, p: np.ndarray) -> np.ndarray:
    """p-values only where both sides have two customers or more (NaN elsewhere)."""
    ok = (arm.n >= 2) & (control.n >= 2) & np.isfinite(arm.mean) & np.isfinite(control.mean)
    return np.where(ok, p, np.nan)


@_quiet
def _relative(arm: Moments, control: Moments, z: float) -> tuple[np.ndarray, ...]:
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(control.mean != 0, arm.mean / control.mean, np.nan)
        se = np.sqrt(arm.var / arm.n / control.mean ** 2
                     + arm.mean ** 2 * control.var / control.n / control.mean ** 4)
    return ratio - 1.0, ratio - 1.0 - z * se, ratio - 1.0 + z * se


@_quiet
def compare_means(arm: Moments, control: Moments, alpha: float = 0.05) -> Comparison:
    """Welch's t interval and p-value for ``arm.mean - control.mean``."""
    a, c = arm.var / arm.n, control.var / control.n
    diff = arm.mean - control.mean
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(a + c)
        df = (a + c) ** 2 / (a ** 2 / (arm.n - 1) + c ** 2 / (control.n - 1))
        df = np.where(np.isfinite(df), df, np.inf)
        q = _t_quantile(1 - alpha / 2, df)
        p = np.where(se > 0, _t_two_sided(diff / se, df), np.where(diff == 0, 1.0, 0.0))
    rel, rel_lo, rel_hi = _relative(arm, control, normal_quantile(1 - alpha / 2))
    return Comparison(diff, diff - q * se, diff + q * se, rel, rel_lo, rel_hi,
                      _defined(arm, control, p))


@_quiet
def compare_rates(arm: Moments, control: Moments, alpha: float = 0.05) -> Comparison:
    """Two proportions (``mean`` is the rate): unpooled Wald interval, pooled z p-value."""
    z = normal_quantile(1 - alpha / 2)
    p1, p0 = arm.mean, control.mean
    diff = p1 - p0
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(p1 * (1 - p1) / arm.n + p0 * (1 - p0) / control.n)
        pooled = (p1 * arm.n + p0 * control.n) / (arm.n + control.n)
        se0 = np.sqrt(pooled * (1 - pooled) * (1 / arm.n + 1 / control.n))
        p = np.where(se0 > 0, _normal_two_sided(diff / se0), np.where(diff == 0, 1.0, 0.0))
    binary = Moments(arm.n, p1, p1 * (1 - p1) * arm.n / np.maximum(arm.n - 1, 1))
    base = Moments(control.n, p0, p0 * (1 - p0) * control.n / np.maximum(control.n - 1, 1))
    rel, rel_lo, rel_hi = _relative(binary, base, z)
    return Comparison(diff, diff - z * se, diff + z * se, rel, rel_lo, rel_hi,
                      _defined(arm, control, p))


@_quiet
def ratio_moments(numerator: np.ndarray, denominator: np.ndarray, group: np.ndarray,
                  n_groups: int) -> Moments:
    """Ratio of sums per group (e.g. revenue / orders) and the delta-method variance, expressed
    as a :class:`Moments` whose ``var / n`` is the variance of the ratio."""
    num = moments(numerator, group, n_groups)
    den = moments(denominator, group, n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = num.mean / den.mean
        linear = np.asarray(numerator, np.float64) - ratio[group] * np.asarray(denominator,
                                                                              np.float64)
        spread = moments(linear, group, n_groups)
        var = spread.var / den.mean ** 2
    return Moments(num.n, ratio, var)


@_quiet
def compare_ratios(arm: Moments, control: Moments, alpha: float = 0.05) -> Comparison:
    """Difference of two ratio-of-sums metrics (from :func:`ratio_moments`), normal interval."""
    z = normal_quantile(1 - alpha / 2)
    diff = arm.mean - control.mean
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(arm.var / arm.n + control.var / control.n)
        p = np.where(se > 0, _normal_two_sided(diff / se), np.where(diff == 0, 1.0, 0.0))
    rel, rel_lo, rel_hi = _relative(arm, control, z)
    return Comparison(diff, diff - z * se, diff + z * se, rel, rel_lo, rel_hi,
                      _defined(arm, control, p))


def srm_test(observed: np.ndarray, shares: np.ndarray) -> float:
    """p-value of the chi-square goodness-of-fit test of arm sizes against planned shares."""
    observed = np.asarray(observed, np.float64)
    expected = np.asarray(shares, np.float64) / np.sum(shares) * observed.sum()
    if len(observed) < 2 or observed.sum() == 0:
        return 1.0
    statistic = float(np.sum((observed - expected) ** 2 / expected))
    return float(special.chdtrc(len(observed) - 1, statistic))

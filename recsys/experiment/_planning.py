r"""How big must the control group be? Sample sizes and the smallest detectable effect.

For a conversion rate :math:`p_0` in control and :math:`p_1 = p_0 + \Delta` in treatment, with a
share :math:`c` of the :math:`N` customers in control, the two-sided test at level
:math:`\alpha` has power :math:`1 - \beta` when

.. math:: \sqrt{N}\,|\Delta| = z_{1-\alpha/2}\sqrt{\bar p \bar q\,(\tfrac{1}{1-c} + \tfrac{1}{c})}
          + z_{1-\beta}\sqrt{\tfrac{p_1 q_1}{1-c} + \tfrac{p_0 q_0}{c}},
          \qquad \bar p = (1-c)\,p_1 + c\,p_0

(the pooled variance under no effect, the unpooled one under the effect; Fleiss, without
continuity correction). For a mean with standard deviation :math:`\sigma` in both arms the
same holds with both square roots equal to :math:`\sigma\sqrt{1/(1-c) + 1/c}`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import special

from recsys._engine.params import check_float, check_int
from recsys.exceptions import InvalidParameterError

__all__ = ["SampleSize", "sample_size", "minimum_detectable_effect"]


class SampleSize(NamedTuple):
    """Customers needed: in treatment, in control, and in all."""

    treatment: int
    control: int
    total: int


def _z(alpha: float, power: float) -> tuple[float, float]:
    check_float("sample_size", "alpha", alpha, minimum=0, maximum=1, exclusive_min=True)
    check_float("sample_size", "power", power, minimum=0, maximum=1, exclusive_min=True)
    if power >= 1:
        raise InvalidParameterError("power must be below 1 (0.8 is usual).")
    return float(special.ndtri(1 - alpha / 2)), float(special.ndtri(power))


def _spread(p0: float, delta: float, treat_w: float, control_w: float) -> tuple[float, float]:
    """The two square roots of the module formula, per unit of sqrt(N)."""
    p1 = p0 + delta
    pooled = (p1 / treat_w + p0 / control_w) / (1 / treat_w + 1 / control_w)
    null = np.sqrt(pooled * (1 - pooled) * (treat_w + control_w))
    alt = np.sqrt(p1 * (1 - p1) * treat_w + p0 * (1 - p0) * control_w)
    return float(null), float(alt)


def sample_size(baseline_rate: float, minimum_effect: float, alpha: float = 0.05,
                power: float = 0.8, *, control_share: float = 0.5,
                relative: bool = False) -> SampleSize:
    """Customers needed to detect a change of a conversion rate.

    Parameters
    ----------
    baseline_rate : float
        The rate expected without the campaign (the control group's), in (0, 1).
    minimum_effect : float
        The smallest change worth detecting: absolute (``0.01`` is one point), or relative to
        ``baseline_rate`` with ``relative=True`` (``0.1`` is +10%).
    alpha : float, default 0.05
        Two-sided significance level.
    power : float, default 0.8
        Chance of detecting an effect of exactly ``minimum_effect``.
    control_share : float, default 0.5
        Share of the audience held out as control (the rest is treated).

    Returns
    -------
    SampleSize
        ``treatment``, ``control`` and ``total`` customers (rounded up).

    Examples
    --------
    >>> sample_size(0.05, 0.01)                    # 5% -> 6%, half in control
    SampleSize(treatment=8158, control=8158, total=16316)
    >>> sample_size(0.05, 0.01, control_share=0.1).control   # a 10% control group
    4651
    """
    check_float("sample_size", "baseline_rate", baseline_rate, minimum=0, maximum=1,
                exclusive_min=True)
    check_float("sample_size", "control_share", control_share, minimum=0, maximum=1,
                exclusive_min=True)
    delta = minimum_effect * baseline_rate if relative else minimum_effect
    if delta == 0 or not 0 < baseline_rate + delta < 1:
        raise InvalidParameterError(
            f"minimum_effect must move the rate {baseline_rate:g} to another rate inside (0, 1), "
            f"got {minimum_effect!r}{' (relative)' if relative else ''}.")
    if control_share >= 1:
        raise InvalidParameterError(f"control_share must be below 1, got {control_share!r}.")
    z_a, z_b = _z(alpha, power)
    null, alt = _spread(baseline_rate, delta, 1 / (1 - control_share), 1 / control_share)
    total = ((z_a * null + z_b * alt) / delta) ** 2
    control = int(np.ceil(total * control_share - 1e-9))
    treatment = int(np.ceil(total * (1 - control_share) - 1e-9))
    return SampleSize(treatment, control, treatment + control)


def minimum_detectable_effect(n_treatment: int, n_control: int, baseline_rate: float | None = None,
                              alpha: float = 0.05, power: float = 0.8, *,
                              sd: float | None = None) -> float:
    """The smallest absolute effect the given arms detect with ``power``.

    Pass ``baseline_rate`` for a conversion rate, or ``sd`` (the per-customer standard
    deviation) for a mean such as revenue per customer. Returns ``inf`` when no effect within
    the rate's range is detectable.

    Parameters
    ----------
    n_treatment, n_control : int
        Customers in the treated arm and in control.
    baseline_rate : float, optional
        The control's conversion rate (for a rate metric).
    alpha : float, default 0.05
        The two-sided significance level.
    power : float, default 0.8
        The chance of detecting an effect of the returned size.
    sd : float, optional
        The per-customer standard deviation (for a mean metric); give this or
        ``baseline_rate``.

    Returns
    -------
    float
        The absolute effect, in the metric's unit.

    Raises
    ------
    InvalidParameterError
        When both or neither of ``baseline_rate`` and ``sd`` are given, or a value is out of
        range.

    See Also
    --------
    sample_size : the customers needed for a given effect.

    Examples
    --------
    >>> round(minimum_detectable_effect(9000, 1000, baseline_rate=0.05), 4)
    0.023
    >>> round(minimum_detectable_effect(9000, 1000, sd=120.0), 2)
    11.21
    """
    n_t = check_int("minimum_detectable_effect", "n_treatment", n_treatment, minimum=1)
    n_c = check_int("minimum_detectable_effect", "n_control", n_control, minimum=1)
    z_a, z_b = _z(alpha, power)
    if (baseline_rate is None) == (sd is None):
        raise InvalidParameterError("minimum_detectable_effect: pass baseline_rate= (a rate) or "
                                    "sd= (a mean's standard deviation), one of them.")
    if sd is not None:
        check_float("minimum_detectable_effect", "sd", sd, minimum=0)
        return float((z_a + z_b) * sd * np.sqrt(1 / n_t + 1 / n_c))
    check_float("minimum_detectable_effect", "baseline_rate", baseline_rate, minimum=0,
                maximum=1, exclusive_min=True)

    def gap(delta: float) -> float:
        null, alt = _spread(baseline_rate, delta, 1 / n_t, 1 / n_c)
        return z_a * null + z_b * alt - delta

    top = 1 - baseline_rate - 1e-12
    if gap(top) > 0:
        return float("inf")
    low, high = 0.0, top  # gap > 0 below the answer, <= 0 above it: bisect to 1e-12
    while high - low > 1e-12:
        middle = (low + high) / 2
        low, high = (middle, high) if gap(middle) > 0 else (low, middle)
    return high

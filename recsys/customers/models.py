"""The BG/NBD model of repeat purchases (Fader, Hardie & Lee 2005) and the Gamma-Gamma model
of their value (Fader, Hardie & Lee 2005, "RFM and CLV"), fitted by maximum likelihood on
their closed-form likelihoods with scipy: no sampling stack. Customers with the same summary
are one term of the likelihood with a count, so a million customers cost what their distinct
summaries do; every prediction is vectorised."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from recsys.exceptions import DataError, InvalidParameterError, NotFittedError

__all__ = ["BetaGeo", "GammaGamma", "clv"]


def _columns(frame: pd.DataFrame, names: tuple[str, ...], who: str) -> list[np.ndarray]:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{who}: expected the DataFrame of recsys.customers.summary, got "
                        f"{type(frame).__name__}.")
    absent = [n for n in names if n not in frame.columns]
    if absent:
        raise DataError(f"{who}: no column {absent[0]!r}; the summary has {list(frame.columns)} "
                        f"(recsys.customers.summary(orders, ...) makes one).")
    values = [pd.to_numeric(frame[n], errors="coerce").to_numpy(np.float64) for n in names]
    for name, column in zip(names, values, strict=True):
        if not np.isfinite(column).all() or (column < 0).any():
            raise DataError(f"{who}: column {name!r} must hold finite numbers >= 0.")
    return values


def _grouped(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of ``columns`` and how many customers share each."""
    table = pd.DataFrame({f"c{i}": c for i, c in enumerate(columns)})
    counted = table.groupby(list(table.columns), sort=False).size().rename("n").reset_index()
    return [counted[f"c{i}"].to_numpy(np.float64) for i in range(len(columns))], \
        counted["n"].to_numpy(np.float64)


def _fit(negative_log_likelihood, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The maximum-likelihood parameters (positive: searched in logs) and their standard
    errors from the inverse Hessian of the negative log-likelihood at the optimum."""
    found = optimize.minimize(lambda logs: negative_log_likelihood(np.exp(logs)), np.log(start),
                              method="Nelder-Mead",
                              options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20_000})
    found = optimize.minimize(lambda logs: negative_log_likelihood(np.exp(logs)), found.x,
                              method="BFGS", options={"gtol": 1e-8})
    params = np.exp(found.x)
    hessian = _hessian(negative_log_likelihood, params)
    try:
        errors = np.sqrt(np.clip(np.diag(np.linalg.inv(hessian)), 0, None))
    except np.linalg.LinAlgError:
        errors = np.full(len(params), np.nan)
    return params, errors


def _hessian(function, x: np.ndarray) -> np.ndarray:
    """Central-difference Hessian of ``function`` at ``x`` (relative steps)."""
    n = len(x)
    steps = 1e-4 * np.maximum(np.abs(x), 1e-8)
    out = np.empty((n, n))
    for i in range(n):  # parameters, not customers: a handful of evaluations
        for j in range(i, n):
            def at(di, dj, i=i, j=j):
                shifted = x.copy()
                shifted[i] += di * steps[i]
                shifted[j] += dj * steps[j]
                return function(shifted)
            value = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * steps[i] * steps[j])
            out[i, j] = out[j, i] = value
    return out


@dataclass
class BetaGeo:
    """The BG/NBD model: while alive, a customer buys at a Poisson rate (gamma-distributed
    over customers: ``r``, ``alpha``); after each purchase they may drop out for good
    (beta-distributed: ``a``, ``b``).

    ``fit(summary)`` reads ``frequency``, ``recency`` and ``T`` (:func:`summary`); ``params_``
    and ``standard_errors_`` hold the estimates. Predictions are in the summary's unit of time.

    Parameters
    ----------
    params_ : dict, optional
        ``r``, ``alpha``, ``a``, ``b``: set by :meth:`fit`; give them to predict with a model
        fitted elsewhere.
    standard_errors_ : dict, optional
        Each parameter's standard error from the Hessian of the likelihood, set by :meth:`fit`.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"frequency": [0, 2, 5, 1, 0, 3], "recency": [0, 10, 30, 2, 0, 20],
    ...                      "T": [40, 38, 35, 40, 20, 39]})
    >>> model = BetaGeo().fit(data)
    >>> sorted(model.params_)
    ['a', 'alpha', 'b', 'r']
    >>> model.probability_alive(data).round(2).tolist()[:2]
    [1.0, 0.18]
    """

    params_: dict[str, float] | None = None
    standard_errors_: dict[str, float] | None = None

    NAMES = ("r", "alpha", "a", "b")

    def fit(self, data: pd.DataFrame) -> BetaGeo:
        x, t_x, T = _columns(data, ("frequency", "recency", "T"), "BetaGeo.fit")
        if (t_x > T + 1e-9).any():
            raise DataError("BetaGeo.fit: a recency is larger than its T (the last purchase "
                            "after the end of the period); check the summary's columns.")
        if not (x > 0).any():
            raise DataError("BetaGeo.fit: no customer bought twice, so nothing tells how often "
                            "customers come back; the model needs repeat purchases.")
        (x, t_x, T), weight = _grouped(x, t_x, T)
        params, errors = _fit(lambda p: -np.sum(weight * _bgnbd_log_likelihood(p, x, t_x, T)),
                              np.array([1.0, 1.0, 1.0, 1.0]))
        self.params_ = dict(zip(self.NAMES, params.tolist(), strict=True))
        self.standard_errors_ = dict(zip(self.NAMES, errors.tolist(), strict=True))
        return self

    def _p(self) -> tuple[float, float, float, float]:
        if self.params_ is None:
            raise NotFittedError("This BetaGeo is not fitted yet; call fit(summary) first.")
        return tuple(self.params_[n] for n in self.NAMES)  # type: ignore[return-value]

    def probability_alive(self, data: pd.DataFrame) -> pd.Series:
        """P(the customer is still a customer at the end of their period), per customer."""
        r, alpha, a, b = self._p()
        x, t_x, T = _columns(data, ("frequency", "recency", "T"), "BetaGeo")
        odds = np.where(x > 0, a / np.maximum(b + x - 1, 1e-300)
                        * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
        return pd.Series(1.0 / (1.0 + odds), index=data.index, name="probability_alive")

    def expected_purchases(self, data: pd.DataFrame, t: float) -> pd.Series:
        """Expected repeat purchases in the next ``t`` units of time, per customer (eq. 10)."""
        r, alpha, a, b = self._p()
        if not np.isfinite(t) or t < 0:
            raise InvalidParameterError(f"expected_purchases: t must be a number >= 0, got {t!r}.",
                                        param="t")
        x, t_x, T = _columns(data, ("frequency", "recency", "T"), "BetaGeo")
        z = t / (alpha + T + t)
        hyper = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        head = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyper)
        odds = np.where(x > 0, a / np.maximum(b + x - 1, 1e-300)
                        * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
        return pd.Series(head / (1 + odds), index=data.index, name="expected_purchases")


def _bgnbd_log_likelihood(p: np.ndarray, x: np.ndarray, t_x: np.ndarray,
                          T: np.ndarray) -> np.ndarray:
    """The log-likelihood of each summary row (Fader, Hardie & Lee 2005, eq. 6)."""
    r, alpha, a, b = p
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    alive = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + T)
    dropped = np.where(x > 0, special.betaln(a + 1, np.maximum(b + x - 1, 1e-300))
                       - special.betaln(a, b) - (r + x) * np.log(alpha + t_x), -np.inf)
    return common + np.logaddexp(alive, dropped)


@dataclass
class GammaGamma:
    """The Gamma-Gamma model of purchase value: a customer's purchases vary around their own
    mean (gamma, shape ``p``), and the means vary over customers (gamma: ``q``, ``gamma``).
    Fitted on the repeat buyers (``frequency > 0``) of a summary with ``monetary_value``.

    Parameters
    ----------
    params_ : dict, optional
        ``p``, ``q``, ``gamma``: set by :meth:`fit`; give them to predict with a model fitted
        elsewhere.
    standard_errors_ : dict, optional
        Each parameter's standard error from the Hessian of the likelihood, set by :meth:`fit`.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"frequency": [1, 3, 2, 5, 0, 4, 2],
    ...                      "monetary_value": [20.0, 35.0, 15.0, 40.0, 0.0, 22.0, 60.0]})
    >>> model = GammaGamma().fit(data)
    >>> bool((model.expected_value(data) > 0).all())
    True
    """

    params_: dict[str, float] | None = None
    standard_errors_: dict[str, float] | None = None

    NAMES = ("p", "q", "gamma")

    def fit(self, data: pd.DataFrame) -> GammaGamma:
        x, m = _columns(data, ("frequency", "monetary_value"), "GammaGamma.fit")
        repeat = x > 0
        if repeat.sum() < 2:
            raise DataError("GammaGamma.fit: fewer than two repeat buyers; the model learns the "
                            "spread of values from customers with repeat purchases.")
        if (m[repeat] <= 0).any():
            raise DataError("GammaGamma.fit: a repeat buyer has a monetary_value <= 0 (returns, "
                            "free orders?); the model needs positive values: leave those "
                            "customers out or fix the amounts.")
        (x, m), weight = _grouped(x[repeat], m[repeat])
        params, errors = _fit(lambda p: -np.sum(weight * _gamma_gamma_log_likelihood(p, x, m)),
                              np.array([1.0, 1.0, float(np.mean(m))]))
        self.params_ = dict(zip(self.NAMES, params.tolist(), strict=True))
        self.standard_errors_ = dict(zip(self.NAMES, errors.tolist(), strict=True))
        return self

    def expected_value(self, data: pd.DataFrame) -> pd.Series:
        """The expected value of a customer's future purchase (the population mean for
        customers without repeat purchases)."""
        if self.params_ is None:
            raise NotFittedError("This GammaGamma is not fitted yet; call fit(summary) first.")
        p, q, gamma = (self.params_[n] for n in self.NAMES)
        x, m = _columns(data, ("frequency", "monetary_value"), "GammaGamma")
        value = (gamma + m * x) * p / (p * x + q - 1)
        return pd.Series(value, index=data.index, name="expected_value")


def _gamma_gamma_log_likelihood(p_: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    p, q, gamma = p_
    return (special.gammaln(p * x + q) - special.gammaln(p * x) - special.gammaln(q)
            + q * np.log(gamma) + (p * x - 1) * np.log(m) + p * x * np.log(x)
            - (p * x + q) * np.log(gamma + m * x))


def clv(purchases: BetaGeo, value: GammaGamma, data: pd.DataFrame, horizon: float,
        step: float = 1.0, discount: float = 0.0) -> pd.Series:
    """Each customer's expected value over the next ``horizon`` units of time: the expected
    purchases of each ``step`` times the expected value of a purchase, discounted by
    ``discount`` a step (0.01: one per cent).

    Parameters
    ----------
    purchases : BetaGeo
        Fitted.
    value : GammaGamma
        Fitted.
    data : DataFrame
        ``frequency``, ``recency``, ``T`` and ``monetary_value`` per customer (:func:`summary`).
    horizon : float
        In the summary's unit of time.
    step : float, default 1.0
    discount : float, default 0.0

    Returns
    -------
    pandas.Series
        Per customer, the expected value.

    Raises
    ------
    InvalidParameterError
        A horizon, step or discount that is not a positive finite number.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"frequency": [0, 2, 5, 1], "recency": [0, 10, 30, 2],
    ...                      "T": [40, 38, 35, 40], "monetary_value": [0, 20.0, 35.0, 15.0]})
    >>> model = BetaGeo().fit(data)
    >>> value = GammaGamma().fit(data)
    >>> bool((clv(model, value, data, horizon=52, step=4) >= 0).all())
    True
    """
    if not (np.isfinite(horizon) and horizon > 0 and np.isfinite(step) and step > 0):
        raise InvalidParameterError("clv: horizon and step must be numbers > 0.", param="horizon")
    if not (np.isfinite(discount) and discount >= 0):
        raise InvalidParameterError("clv: discount must be a number >= 0.", param="discount")
    ends = np.arange(step, horizon + step / 2, step)
    cumulative = np.column_stack([purchases.expected_purchases(data, t).to_numpy()
                                  for t in np.r_[0.0, ends]])
    per_step = np.diff(cumulative, axis=1)
    factors = (1 + discount) ** -np.arange(1, len(ends) + 1)
    total = per_step @ factors * value.expected_value(data).to_numpy()
    return pd.Series(total, index=data.index, name="clv")

"""Customer value: the summary of an order log, BG/NBD and Gamma-Gamma against the published
CDNOW fits and against data simulated from known parameters, and their refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys import DataError, InvalidParameterError, NotFittedError
from recsys.customers import BetaGeo, GammaGamma, clv, summary
from tests.conftest import need_file


def _cdnow():
    lines = pd.read_csv(need_file("cdnow/CDNOW_sample.txt"), sep=r"\s+", header=None,
                        names=["id", "master", "date", "cds", "amount"])
    return summary(lines, customer="id", timestamp="date", amount="amount", end="1997-09-30",
                   date_format="%Y%m%d")


def _significant(value: float, digits: int = 3) -> float:
    return float(f"{value:.{digits}g}")


@pytest.mark.realdata
def test_the_summary_of_cdnow_is_the_published_one():
    mine = _cdnow()[["frequency", "recency", "T"]].round(2)
    published = pd.read_csv(need_file("cdnow/cdnow_customers_summary.csv"))
    order = ["frequency", "recency", "T"]
    np.testing.assert_array_equal(mine.sort_values(order).to_numpy(),
                                  published[order].sort_values(order).to_numpy())


@pytest.mark.realdata
def test_bg_nbd_and_gamma_gamma_give_the_published_cdnow_parameters():
    data = _cdnow()
    purchases = BetaGeo().fit(data)
    assert {k: _significant(v) for k, v in purchases.params_.items()} == \
        {"r": 0.243, "alpha": 4.41, "a": 0.793, "b": 2.43}
    value = GammaGamma().fit(data)
    assert (data["frequency"] > 0).sum() == 946
    assert {k: _significant(v) for k, v in value.params_.items()} == \
        {"p": 6.25, "q": 3.74, "gamma": 15.4}
    assert all(0 < e < v for e, v in zip(purchases.standard_errors_.values(),
                                          purchases.params_.values(), strict=True))


def _simulate(n: int, r: float, alpha: float, a: float, b: float, T: float, seed: int):
    """BG/NBD customers over ``T`` units of time, one purchase at time 0: gamma(r, alpha)
    purchase rates, beta(a, b) drop-out chances after each repeat purchase."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    now, count, last = np.zeros(n), np.zeros(n, np.int64), np.zeros(n)
    alive = np.ones(n, bool)
    while alive.any():  # one purchase of every living customer a step
        now[alive] += rng.exponential(1 / np.maximum(rate[alive], 1e-12))
        bought = alive & (now <= T)
        count[bought] += 1
        last[bought] = now[bought]
        alive = bought & (rng.random(n) >= drop)
    return pd.DataFrame({"frequency": count, "recency": last, "T": np.full(n, T)})


def test_bg_nbd_recovers_the_parameters_it_was_simulated_with():
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 3.0}
    data = _simulate(30_000, T=52.0, seed=1, **truth)
    fitted = BetaGeo().fit(data).params_
    for name, value in truth.items():
        assert abs(fitted[name] / value - 1) < 0.15, (name, fitted[name], value)


def test_predictions_are_probabilities_and_grow_with_time():
    data = _simulate(5_000, 0.5, 6.0, 0.8, 3.0, 40.0, seed=2)
    model = BetaGeo().fit(data)
    alive = model.probability_alive(data)
    assert ((alive >= 0) & (alive <= 1)).all()
    assert (alive[data["frequency"] == 0] == 1).all()
    near, far = model.expected_purchases(data, 10), model.expected_purchases(data, 40)
    assert (near >= 0).all() and (far >= near).all() and (far > near).any()


def test_clv_adds_discounted_purchases_times_their_value():
    data = _simulate(3_000, 0.5, 6.0, 0.8, 3.0, 40.0, seed=3)
    data["monetary_value"] = np.where(data["frequency"] > 0,
                                      np.random.default_rng(4).gamma(4, 10, len(data)), 0.0)
    purchases, value = BetaGeo().fit(data), GammaGamma().fit(data)
    plain = clv(purchases, value, data, horizon=52, step=4)
    expected = purchases.expected_purchases(data, 52) * value.expected_value(data)
    np.testing.assert_allclose(plain, expected, rtol=1e-6)
    assert (clv(purchases, value, data, horizon=52, step=4, discount=0.01) < plain + 1e-9).all()


def test_bad_input_is_refused_with_the_fix():
    one_order_each = pd.DataFrame({"customer_id": [1, 2, 3],
                                   "timestamp": ["2026-01-01", "2026-01-02", "2026-01-02"]})
    with pytest.raises(DataError, match="no customer bought twice"):
        BetaGeo().fit(summary(one_order_each))
    with pytest.raises(DataError, match="recency is larger than its T"):
        BetaGeo().fit(pd.DataFrame({"frequency": [1], "recency": [5.0], "T": [3.0]}))
    with pytest.raises(DataError, match="no column 'when'"):
        summary(one_order_each, timestamp="when")
    with pytest.raises(InvalidParameterError, match="unit"):
        summary(one_order_each, unit="fortnight")
    free = pd.DataFrame({"frequency": [1, 2, 3], "monetary_value": [10.0, 0.0, 5.0]})
    with pytest.raises(DataError, match="<= 0"):
        GammaGamma().fit(free)
    with pytest.raises(NotFittedError):
        BetaGeo().probability_alive(free.assign(recency=0.0, T=1.0))
    with pytest.raises(DataError, match="finite numbers >= 0"):
        BetaGeo().fit(pd.DataFrame({"frequency": [1, -1], "recency": [1.0, 0], "T": [2.0, 2]}))

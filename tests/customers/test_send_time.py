"""send_times: a customer's own pattern once they have orders enough, the shop's before."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys import DataError
from recsys.customers import send_times


def _orders(rng, customer, n, weekday, hour):
    days = pd.Timestamp("2026-01-05") + pd.to_timedelta(weekday + 7 * rng.integers(0, 20, n),
                                                        unit="D")
    return pd.DataFrame({"customer_id": customer,
                         "timestamp": days + pd.to_timedelta(hour, unit="h")})


def test_own_habits_win_with_orders_and_the_shop_wins_without():
    rng = np.random.default_rng(0)
    shop = pd.concat([_orders(rng, 100 + i, 5, 1, 9) for i in range(40)])  # Tuesdays at 9
    regular = _orders(rng, 1, 12, 5, 21)       # twelve Saturday evenings
    once = _orders(rng, 2, 1, 6, 3)            # one Sunday, 3 a.m.
    table = send_times(pd.concat([shop, regular, once]), strength=5)
    assert (table.loc[1, "weekday"], table.loc[1, "hour"]) == (5, 21)
    assert (table.loc[2, "weekday"], table.loc[2, "hour"]) == (1, 9)
    shy = send_times(pd.concat([shop, regular, once]), strength=1_000)
    assert (shy.loc[1, "weekday"], shy.loc[1, "hour"]) == (1, 9)  # a strong prior: the shop
    assert table.loc[1, "orders"] == 12 and table.loc[1, "weekday_name"] == "Saturday"


def test_a_pandas_computation_agrees_on_a_generated_shop():
    rng = np.random.default_rng(1)
    orders = pd.DataFrame({"customer_id": rng.integers(0, 300, 5000),
                           "timestamp": pd.Timestamp("2026-01-01")
                           + pd.to_timedelta(rng.integers(0, 86_400 * 60, 5000), unit="s")})
    table = send_times(orders, strength=3)
    hours = orders["timestamp"].dt.hour
    shop = hours.value_counts(normalize=True).reindex(range(24), fill_value=0)
    counts = pd.crosstab(orders["customer_id"], hours).reindex(columns=range(24), fill_value=0)
    shrunk = counts + 3 * shop.to_numpy()[None, :]
    expected = shrunk.to_numpy().argmax(axis=1)  # ties: the lower hour, as the library
    assert (table["hour"].to_numpy() == expected).all()


def test_bad_input():
    with pytest.raises(DataError, match="no column 'when'"):
        send_times(pd.DataFrame({"customer_id": [1], "timestamp": ["2026-01-01"]}),
                   timestamp="when")

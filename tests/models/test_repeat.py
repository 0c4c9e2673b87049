"""BuyAgain: decayed counts, the repurchase cycle against a hand computation, the send date."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import recsys
from recsys.campaign import make_picks


@pytest.fixture(scope="module")
def log():
    """Customer 1 buys coffee every 21 days (last on day 63), tea on days 0 and 60 (two lines
    that day; cycle 60, last 60), and milk once; customer 2 buys tea often and bread once."""
    rows = [(1, "coffee", d) for d in (0, 21, 42, 63)] + [(1, "tea", 0), (1, "tea", 60), (1, "tea", 60)] + [
        (1, "milk", 62), (2, "tea", 10), (2, "tea", 20), (2, "tea", 30), (2, "bread", 5)]
    frame = pd.DataFrame(rows, columns=["customer", "product", "day"])
    frame["when"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(frame["day"], "D")
    return recsys.Interactions.from_frame(frame, user="customer", item="product",
                                          timestamp="when")


def test_the_cycle_is_the_median_interval_between_purchases(log):
    model = recsys.BuyAgain().fit(log)
    cells = model.frequency_  # cycle_days_ holds one value per stored cell of frequency_
    cycle = {(u, i): c for u, i, c in zip(
        np.repeat(model.users_.ids, np.diff(cells.indptr)),
        model.items_.ids[cells.indices], model.cycle_days_, strict=True)}
    assert cycle[(1, "coffee")] == 21 and cycle[(1, "tea")] == 60 and cycle[(1, "milk")] == 0
    assert cycle[(2, "tea")] == 10
    # decayed count of coffee: 2 ** (-age / 90) summed over the four purchase lines (day 63)
    coffee = model.frequency_[0, model.items_.to_index(["coffee"])[0]]
    assert coffee == pytest.approx(sum(2 ** (-(63 - d) / 90) for d in (0, 21, 42, 63)), rel=1e-6)


def test_a_product_whose_time_has_come_ranks_first(log):
    model = recsys.BuyAgain(cycle_weight=1.0).fit(log)
    due_coffee = model.recommend(1, k=3, as_of="2026-03-26").item_ids()  # day 84: coffee due
    assert due_coffee[0] == "coffee"
    due_tea = model.recommend(1, k=3, as_of="2026-05-01").item_ids()  # day 120: tea due
    assert due_tea[0] == "tea"
    assert set(model.recommend(2, k=4).item_ids()[:2]) == {"tea", "bread"}  # own first
    assert model.recommend(1, k=3, exclude_seen=True).item_ids() == ["bread"]  # fill: popular


def test_reasons_name_the_cycle_or_the_count(log):
    model = recsys.BuyAgain().fit(log)
    picks = make_picks(model, [1], k=3, as_of="2026-03-26").picks
    reasons = dict(zip(picks["product_id"], picks["reason"], strict=True))
    assert reasons["coffee"] == "You buy this about every 21 days; your last was 21 days ago"
    assert reasons["milk"] == "You bought this before"
    assert "every 21 days" in model.explain("coffee", user=1).details["reason"]


def test_without_timestamps_it_counts_purchases(log):
    frame = log.to_frame().drop(columns=["timestamp"])
    data = recsys.Interactions.from_frame(frame, user="user_id", item="item_id")
    model = recsys.BuyAgain().fit(data)
    assert model.recommend(2, k=1).item_ids() == ["tea"]
    assert (model.cycle_days_ == 0).all()

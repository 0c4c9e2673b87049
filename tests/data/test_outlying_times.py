"""One mistyped date (an order dated 2099 among a year's orders) changes no pick: the row is
left out of every fit and said in a DataWarning (or refused on request), and the campaign, the
command line and RFM read "the end of the data" without it."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pandas as pd
import pytest

import recsys
from recsys import DataError, DataWarning, InvalidParameterError
from recsys.data.dates import data_end, far_after_the_rest

DECAYED = [
    ("BuyAgain", {}), ("NextBasket", {}), ("Popularity", {"window_days": 30}),
    ("Popularity", {"half_life_days": 30}), ("EASE", {"half_life_days": 30}),
    ("ItemKNN", {"half_life_days": 30}), ("RP3beta", {"half_life_days": 30}),
    ("SLIST", {}), ("SequentialRules", {}), ("AssociationRules", {"half_life_days": 30}),
    ("ALS", {"half_life_days": 30, "factors": 8, "iterations": 3, "random_state": 0}),
]


@pytest.fixture(scope="module")
def logs():
    shop = recsys.make_shop(n_customers=400, n_products=60, seed=1)
    orders = shop.orders
    row = 17
    dirty = orders.copy()
    dirty.loc[row, "timestamp"] = pd.Timestamp("2099-01-01")

    def build(frame):
        return recsys.Interactions.from_frame(
            frame, user="customer_id", item="product_id", basket="order_id",
            timestamp="timestamp", users=orders["customer_id"], items=orders["product_id"])

    return build(orders.drop(index=row)), build(dirty), shop, dirty


@pytest.mark.parametrize(("name", "params"), DECAYED, ids=[f"{n}{p}" for n, p in DECAYED])
def test_a_row_dated_2099_changes_no_pick(logs, name, params):
    without, dirty, _, _ = logs
    users = without.users.ids
    expected = recsys.REGISTRY[name](**params).fit(without).recommend(users, k=3).to_dict()
    with pytest.warns(DataWarning, match="1 of .* rows are dated far after the rest"):
        model = recsys.REGISTRY[name](**params).fit(dirty)
    assert model.recommend(users, k=3).to_dict() == expected


def test_the_row_is_refused_or_kept_on_request(logs):
    _, dirty, _, _ = logs
    with pytest.raises(DataError, match="2099-01-01"):
        recsys.Popularity().fit(dirty, outlying_times="raise")
    recsys.Popularity().fit(dirty, outlying_times="keep")  # no warning, no refusal
    with pytest.raises(InvalidParameterError, match="outlying_times"):
        recsys.Popularity().fit(dirty, outlying_times="ignore")


def test_the_campaign_from_the_command_line_is_unchanged(logs, tmp_path):
    from recsys.cli.main import main

    _, _, shop, dirty = logs
    for name, frame in (("clean", shop.orders.drop(index=17)), ("dirty", dirty)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        with pytest.warns(DataWarning) if name == "dirty" else nullcontext():
            assert main(["picks", "--orders", str(tmp_path / f"{name}.csv"), "--basket-col",
                         "order_id", "--time-col", "timestamp", "--model", "EASE",
                         "--param", "half_life_days=30", "--purchased-within-days", "90",
                         "-k", "4", "--out", str(tmp_path / f"{name}-picks.csv")]) == 0
    clean = pd.read_csv(tmp_path / "clean-picks.csv")
    assert clean.equals(pd.read_csv(tmp_path / "dirty-picks.csv"))


def test_rfm_reads_the_end_of_the_data_without_the_row(logs):
    from recsys.campaign.segments import rfm

    _, _, shop, dirty = logs
    expected = rfm(shop.orders.drop(index=17))
    got = rfm(dirty)
    assert got["recency_days"].median() == expected["recency_days"].median()
    assert any("left out" in note for note in got.attrs["notes"])


def test_the_newest_orders_of_a_growing_shop_are_not_outlying():
    rng = np.random.default_rng(0)
    days = np.sort(rng.exponential(60, 5_000))  # most orders recent, a long tail back
    times = (np.datetime64("2025-01-01", "ns") - (days * 86400e9).astype("timedelta64[ns]"))
    assert not far_after_the_rest(times).any()
    assert data_end(times) == times.max()


def test_replenishment_picks_survive_a_purchase_window_and_the_summary_counts_them(tmp_path,
                                                                                  capsys):
    """`picks --k-again 3 --purchased-within-days 365` dropped every buy-again pick while the
    summary said "the first 3 from BuyAgain": the window is about new products only."""
    from recsys.cli.main import main

    out = tmp_path / "p.csv"
    assert main(["picks", "-k", "6", "--k-again", "3", "--purchased-within-days", "365",
                 "--out", str(out)]) == 0
    picks = pd.read_csv(out)
    again = int((picks["reason_code"] == "buy_again").sum())
    assert again > 0
    assert f"{again:,} picks from BuyAgain" in capsys.readouterr().out

"""BuyAgain: decayed counts, the repurchase cycle against a hand computation, the send date."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import recsys
from recsys.campaign import make_picks
from recsys.models.repeat import BuyAgain
from recsys.testing import ModelContract


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
    own_first = recsys.BuyAgain(popularity_prior=0).fit(log)
    assert set(own_first.recommend(2, k=4).item_ids()[:2]) == {"tea", "bread"}
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


def test_trend_counts_each_products_recent_customers(log):
    from recsys.models.trend import item_trend

    # last purchase day 63; the 30 days before: coffee (1 on 42, 63), tea (1 on 60), milk (1)
    trend = dict(zip(log.items.ids, item_trend(log, 30), strict=True))
    assert trend == {"bread": 0.0, "coffee": 1.0, "milk": 1.0, "tea": 1.0}
    wide = dict(zip(log.items.ids, item_trend(log, 100), strict=True))  # tea: customers 1 and 2
    assert wide == {"bread": 0.5, "coffee": 0.5, "milk": 0.5, "tea": 1.0}
    assert not item_trend(log, None).any()


def test_a_product_selling_now_ranks_above_an_equal_one_that_stopped():
    """Customer 9 bought a and b once each on the same day; a still sells, b stopped."""
    rows = [(9, "a", 0), (9, "b", 0)] + [(c, "b", 1) for c in range(10, 15)] + [
        (c, "a", 80) for c in range(20, 24)]
    frame = pd.DataFrame(rows, columns=["customer", "product", "day"])
    frame["when"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(frame["day"], "D")
    data = recsys.Interactions.from_frame(frame, user="customer", item="product",
                                          timestamp="when")
    assert recsys.BuyAgain(trend_weight=0).fit(data).recommend(9, k=2).item_ids() == ["b", "a"]
    assert recsys.BuyAgain().fit(data).recommend(9, k=2).item_ids() == ["a", "b"]
    assert recsys.NextBasket(n_neighbors=20).fit(data).recommend(9, k=2).item_ids()[0] == "a"


def test_next_basket_vectors_match_a_hand_computation():
    """One customer, three baskets (newest last), group_size 2: the newest group holds the
    two newest baskets (weights 1 and 0.9, averaged), the older group the first (0.7)."""
    rows = [(1, "x", "o1", 0), (1, "y", "o2", 1), (1, "x", "o3", 2), (2, "y", "o4", 0)]
    frame = pd.DataFrame(rows, columns=["customer", "product", "order", "day"])
    frame["when"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(frame["day"], "D")
    data = recsys.Interactions.from_frame(frame, user="customer", item="product",
                                          basket="order", timestamp="when")
    model = recsys.NextBasket(group_size=2, within_decay=0.9, across_decay=0.7,
                              trend_days=None).fit(data)
    x, y = model.items_.to_index(["x", "y"])
    own = model.vectors_[0].toarray()[0]
    groups = 2  # the customer's vector is the mean over groups
    assert own[x] == pytest.approx((1.0 / 2 + 0.7 * 1.0) / groups)  # o3 newest; o1 alone
    assert own[y] == pytest.approx(0.9 / 2 / groups)
    explained = model.explain("y", user=1)
    assert sum(value for _, value in explained.contributions) == pytest.approx(explained.score)


def test_thin_histories_lean_on_what_sells(log):
    """Customer 2 bought bread once, two months before the end: with the prior (5 purchases
    spread as the shop's are) coffee, bought by as many customers and selling now, outranks
    it: bread 2 ** (-58 / 90) * 0.85 + 5 * 1/5 = 1.54 against coffee (and milk) 5 * 1/5 *
    (1 + 1) = 2."""
    model = recsys.BuyAgain().fit(log)
    picks = model.recommend(2, k=4).item_ids()
    assert picks[0] == "tea" and set(picks[1:3]) == {"coffee", "milk"} and picks[3] == "bread"
    scores = model.recommend(2, k=4).to_frame()["score"].to_numpy()
    bread = 2 ** (-58 / 90) * 0.85 * (1 + 1e-3 * 1 / 2) + 1.0
    assert scores[1:] == pytest.approx([2.0, 2.0, bread], rel=1e-4)


def test_a_hybrid_blends_buying_again_with_discovery():
    shop = recsys.make_shop(n_customers=300, n_products=60, seed=7)
    data = shop.interactions
    blend = recsys.Hybrid(components=[("again", recsys.BuyAgain()),
                                      ("knn", recsys.ItemKNN(k=20))],
                          mode="blend", weights=[1.0, 1.0]).fit(data)
    assert blend.recommends_seen and not recsys.Hybrid().recommends_seen
    customers = data.users.ids[:100]
    picks = blend.recommend(customers, k=8).to_frame()
    bought = set(zip(shop.orders["customer_id"], shop.orders["product_id"], strict=True))
    is_repeat = np.array([(c, i) in bought for c, i in zip(picks["query"], picks["item"],
                                                            strict=True)])
    assert is_repeat.any() and (~is_repeat).any()  # both kinds in the same lists
    discovery = blend.recommend(customers, k=8, exclude_seen=True).to_frame()
    assert not any((c, i) in bought for c, i in zip(discovery["query"], discovery["item"],
                                                    strict=True))


def test_next_basket_neighbours_come_from_the_pool(tmp_path):
    data = recsys.make_shop(n_customers=300, n_products=60, seed=8).interactions
    full = recsys.NextBasket(n_neighbors=10, neighbor_pool=None).fit(data)
    pooled = recsys.NextBasket(n_neighbors=10, neighbor_pool=50).fit(data)
    lengths = np.diff(full.vectors_.indptr)
    pool = set(np.argsort(-lengths, kind="stable")[:50].tolist())
    assert set(pooled.neighbors_[pooled.neighbors_ >= 0].tolist()) <= pool
    assert not (pooled.neighbors_ == np.arange(len(lengths))[:, None]).any()  # never oneself
    roomy = recsys.NextBasket(n_neighbors=10, neighbor_pool=10_000).fit(data)
    assert (roomy.neighbors_ == full.neighbors_).all()  # a pool above the customers: exact
    path = tmp_path / "nb.npz"
    pooled.save(path)
    loaded = recsys.load(path)
    cart = list(data.items.ids[:2])
    assert loaded.recommend_for_basket(cart, k=5).to_dict() == \
        pooled.recommend_for_basket(cart, k=5).to_dict()


class TestBuyAgainContract(ModelContract):
    model = BuyAgain


def test_next_purchases_equal_a_pandas_computation_of_each_cycle():
    shop = recsys.make_grocery(n_customers=400, seed=3)
    model = recsys.BuyAgain().fit(shop.interactions)
    who = shop.interactions.users.ids[:60]
    due = model.next_purchases(who)
    frame = shop.interactions.to_frame()
    frame = frame[frame["user_id"].isin(who)]
    days = frame.assign(day=frame["timestamp"].dt.floor("D"))[["user_id", "item_id", "day"]] \
        .drop_duplicates().sort_values("day")
    cycles = days.groupby(["user_id", "item_id"])["day"].agg(
        last="max", every=lambda d: d.diff().dt.days.median(), n="size")
    cycles = cycles[cycles["n"] >= 2]
    mine = due.set_index(["customer_id", "product_id"]).sort_index()
    assert list(mine.index) == list(cycles.sort_index().index)
    assert (mine["last_bought"].to_numpy() == cycles.sort_index()["last"].to_numpy()).all()
    assert np.allclose(mine["every_days"], cycles.sort_index()["every"])
    for _, rows in due.groupby("customer_id"):
        assert rows["expected"].is_monotonic_increasing

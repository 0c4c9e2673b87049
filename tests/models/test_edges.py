"""Models at the edges of their data: a catalogue far larger than what was sold, steps beyond
any history, send dates before the data's end, customers nobody else resembles."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

import recsys
from recsys import DataError, InvalidParameterError


@pytest.fixture(scope="module")
def wide_catalogue():
    """100,000 products in the catalogue (items=), about 800 of them sold."""
    rng = np.random.default_rng(0)
    orders = pd.DataFrame({"user_id": rng.integers(0, 300, 2000),
                           "item_id": rng.integers(0, 800, 2000)})
    return recsys.Interactions.from_frame(orders, items=np.arange(100_000))


@pytest.mark.parametrize("name", ["EASE", "SLIST", "RP3beta", "ItemKNN"])
def test_a_catalogue_far_larger_than_the_sales_costs_what_the_sales_do(wide_catalogue, name):
    """EASE and SLIST tried to allocate a 100,000 x 100,000 matrix (37 GiB: MemoryError),
    RP3beta took 85 s walking products nobody bought."""
    start = time.perf_counter()
    model = recsys.REGISTRY[name]().fit(wide_catalogue)
    assert time.perf_counter() - start < 10
    users = wide_catalogue.users.ids[:20]
    recs = model.recommend(users, k=5)
    assert (recs.lengths > 0).all()
    assert set(recs.to_frame()["item"]) <= set(range(800))


def test_ease_on_a_wide_catalogue_answers_as_on_the_sold_products(wide_catalogue):
    sold = recsys.Interactions.from_frame(wide_catalogue.to_frame())
    users = sold.users.ids[:30]
    wide = recsys.EASE(l2=50.0).fit(wide_catalogue).recommend(users, k=5)
    narrow = recsys.EASE(l2=50.0).fit(sold).recommend(users, k=5)
    assert wide.to_dict() == narrow.to_dict()


@pytest.mark.parametrize(("name", "param"), [("SLIST", "window"), ("SLIST", "horizon"),
                                             ("SequentialRules", "window")])
def test_steps_beyond_any_history_are_refused(name, param):
    shop = recsys.make_shop(n_customers=50, n_products=20, seed=0)
    with pytest.raises(InvalidParameterError, match=param):
        recsys.REGISTRY[name](**{param: 10**12}).fit(shop.interactions)


def test_buy_again_refuses_a_send_date_before_the_data_it_learnt():
    shop = recsys.make_shop(n_customers=100, n_products=30, seed=1)
    model = recsys.BuyAgain().fit(shop.interactions)
    user = shop.interactions.users.ids[0]
    with pytest.raises(DataError, match="before the newest purchase"):
        model.recommend(user, k=3, as_of="2000-01-01")


@pytest.mark.parametrize("name", ["EASE", "SLIST", "NextBasket", "ItemKNN", "RP3beta",
                                  "SequentialRules"])
def test_a_customer_nobody_resembles_gets_no_zero_scored_padding(name):
    """A customer whose only product nobody else bought: EASE, SLIST and NextBasket padded the
    list with catalogue order at score 0, the others returned nothing. One behaviour now: a
    score of exactly 0 is never a pick (the campaign back-fills such lists)."""
    shop = recsys.make_shop(n_customers=300, n_products=40, seed=0)
    orders = shop.orders[["customer_id", "product_id", "order_id", "timestamp"]]
    alone = pd.DataFrame({"customer_id": [999_999], "product_id": ["ZZZ"],
                          "order_id": [10**9], "timestamp": [orders["timestamp"].max()]})
    data = recsys.Interactions.from_frame(pd.concat([orders, alone]), user="customer_id",
                                          item="product_id", basket="order_id",
                                          timestamp="timestamp")
    recs = recsys.REGISTRY[name]().fit(data).recommend(999_999, k=5, exclude_seen=False)
    assert (recs.scores[0][:recs.lengths[0]] != 0).all()


def test_a_half_life_without_timestamps_is_refused_by_every_model_that_has_one():
    """BuyAgain excepted: its default half-life applies when there are times, and without
    them it counts purchases (documented, tested in test_repeat)."""
    shop = recsys.make_shop(n_customers=100, n_products=30, seed=2)
    undated = recsys.Interactions.from_frame(shop.orders, user="customer_id", item="product_id")
    for cls in recsys.REGISTRY.values():
        if "half_life_days" not in cls().get_params() or cls is recsys.BuyAgain:
            continue
        model = cls(half_life_days=30)
        with pytest.raises(DataError, match="timestamps"):
            model.fit(undated, items=shop.items) if model.uses_item_features else \
                model.fit(undated)


@pytest.mark.parametrize("value", ["30", True, -1, 0, float("nan"), [30], 1e-300, 10**400])
def test_every_half_life_is_checked_where_it_is_declared(value):
    shop = recsys.make_shop(n_customers=60, n_products=20, seed=2)
    for cls in recsys.REGISTRY.values():
        if "half_life_days" not in cls().get_params():
            continue
        model = cls(half_life_days=value)
        with pytest.raises(InvalidParameterError, match="half_life_days"):
            model.fit(shop.interactions, items=shop.items) if model.uses_item_features else \
                model.fit(shop.interactions)


@pytest.mark.parametrize("name", ["EASE", "SLIST"])
def test_a_wide_catalogue_model_survives_its_file(wide_catalogue, tmp_path, name):
    model = recsys.REGISTRY[name]().fit(wide_catalogue)
    model.save(tmp_path / "m.npz")
    users = wide_catalogue.users.ids[:20]
    again = recsys.load(tmp_path / "m.npz")
    assert again.recommend(users, k=5).to_dict() == model.recommend(users, k=5).to_dict()

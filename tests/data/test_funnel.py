"""The generated funnel: every order line is a session's purchase after a view and a cart
add of the product; browsing sessions end without a purchase, some with a cart; anonymous
visitors never buy; the same seed gives the same log."""

from __future__ import annotations

import pandas as pd
import pytest

import recsys
from recsys import DataError, InvalidParameterError
from recsys.data.funnel import make_events


@pytest.fixture(scope="module")
def shop():
    return recsys.make_shop(n_customers=300, n_products=80, seed=5, events=True)


def test_every_order_line_is_bought_after_a_view_and_a_cart_add_in_its_session(shop):
    log = shop.events
    bought = log[log["event"] == "purchase"]
    lines = shop.orders.assign(timestamp=shop.orders["timestamp"].dt.floor("s"))
    assert sorted(zip(bought["customer_id"], bought["product_id"], bought["timestamp"],
                      strict=True)) == \
        sorted(zip(lines["customer_id"], lines["product_id"], lines["timestamp"], strict=True))
    first = log.groupby(["session_id", "product_id", "event"])["timestamp"].min().unstack()
    sold = first[first["purchase"].notna()]
    assert (sold["view"] < sold["cart"]).all() and (sold["cart"] < sold["purchase"]).all()


def test_browsing_sessions_end_without_a_purchase_and_anonymous_visitors_never_buy(shop):
    log = shop.events
    kinds = log.groupby("session_id")["event"].agg(set)
    browsing = kinds[kinds.map(lambda k: "purchase" not in k)]
    assert len(browsing) > 0 and browsing.map(lambda k: "cart" in k).mean() > 0.1
    anonymous = log[log["customer_id"].isna()]
    assert len(anonymous) > 0 and "purchase" not in set(anonymous["event"])
    assert (log.groupby("session_id")["customer_id"].nunique(dropna=False) == 1).all()
    assert log["timestamp"].is_monotonic_increasing
    shares = log["event"].value_counts(normalize=True)
    assert shares["view"] > shares["cart"] > 0 and shares["view"] > 0.6


def test_the_same_seed_gives_the_same_log_and_a_model_learns_from_it(shop):
    again = make_events(shop.orders, shop.products, seed=5)
    pd.testing.assert_frame_equal(again, shop.events)
    assert not make_events(shop.orders, shop.products, seed=6).equals(shop.events)
    data = recsys.Interactions.from_frame(
        shop.events.dropna(subset=["customer_id"]), user="customer_id", item="product_id",
        event="event", event_weights={"view": 1, "cart": 3, "purchase": 10})
    assert recsys.ItemKNN().fit(data).recommend(data.users.ids[:3], k=5).lengths.min() == 5


def test_bad_parameters_and_tables_are_refused(shop):
    with pytest.raises(InvalidParameterError, match="anonymous_share"):
        make_events(shop.orders, shop.products, anonymous_share=1.5)
    with pytest.raises(DataError, match="category"):
        make_events(shop.orders, shop.products.drop(columns="category"))

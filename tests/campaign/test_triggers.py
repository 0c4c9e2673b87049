"""Trigger audiences: abandoned carts and browsing, interest in products back in stock, and the
picks they feed; checked against a plain pandas computation on logs of many shapes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import recsys
from recsys import DataError, InvalidParameterError
from recsys.campaign import abandoned_browsing, abandoned_carts, interested_in, trigger_picks

START = pd.Timestamp("2026-03-01")
AS_OF = START + pd.Timedelta(minutes=3000)


def _log(rows):
    return pd.DataFrame({
        "customer_id": pd.array([c for c, _, _, _ in rows], dtype="Int64"),
        "product_id": [f"P{p}" for _, p, _, _ in rows],
        "event": [k for _, _, k, _ in rows],
        "timestamp": [START + pd.Timedelta(minutes=m) for _, _, _, m in rows]})


def _reference(log, kinds, least, within, wait, products=None):
    """What a careful analyst computes with pandas: per customer and product, the triggering
    events in the window, kept unless a purchase of it came at or after the newest one."""
    log = log.dropna(subset=["customer_id"])
    window = log[log["event"].isin(kinds) & (log["timestamp"] >= AS_OF - within)
                 & (log["timestamp"] <= AS_OF - wait)]
    if products is not None:
        window = window[window["product_id"].isin(products)]
    cells = window.groupby(["customer_id", "product_id"])["timestamp"].agg(["max", "size"])
    bought = log[log["event"] == "purchase"].groupby(["customer_id", "product_id"])[
        "timestamp"].max().rename("bought")
    cells = cells.join(bought, how="left")
    kept = cells[(cells["size"] >= least) & ~(cells["bought"] >= cells["max"])]
    return {(int(c), p): (t, n) for (c, p), t, n in
            zip(kept.index, kept["max"], kept["size"], strict=True)}


def _found(frame, product="product_id"):
    return {(int(c), p): (t, n) for c, p, t, n in
            zip(frame["customer_id"], frame[product], frame["at"], frame["events"], strict=True)}


ROWS = st.lists(st.tuples(st.one_of(st.none(), st.integers(1, 6)), st.integers(0, 6),
                          st.sampled_from(["view", "cart", "purchase", "wishlist"]),
                          st.integers(0, 3000)), min_size=1, max_size=80)


@settings(max_examples=60, deadline=None)
@given(rows=ROWS, within=st.integers(60, 3000), wait=st.integers(0, 120))
def test_every_trigger_equals_the_pandas_computation(rows, within, wait):
    log = _log(rows)
    before = log.copy()
    spans = {"within": f"{within}min", "wait": f"{wait}min", "as_of": AS_OF, "anchors": 100}
    window = (pd.Timedelta(minutes=within), pd.Timedelta(minutes=wait))
    cases = [
        (lambda: abandoned_carts(log, **spans), ("cart",), 1, None),
        (lambda: abandoned_browsing(log, min_views=2, **spans), ("view",), 2, None),
        (lambda: interested_in(log, ["P1", "P2"], **spans), ("view", "cart"), 1,
         ["P1", "P2"]),
    ]
    for run, kinds, least, products in cases:
        if not log["event"].isin(kinds).any() or log["customer_id"].isna().all():
            # no event of the kinds at all, or nobody to mail: said, never an empty answer
            with pytest.raises(DataError):
                run()
            continue
        found = run()
        assert _found(found) == _reference(log, kinds, least, *window, products)
        for _, rows_of in found.groupby("customer_id"):  # newest first, ranked from 1
            assert rows_of["rank"].tolist() == list(range(1, len(rows_of) + 1))
            assert rows_of["at"].is_monotonic_decreasing
    pd.testing.assert_frame_equal(log, before)  # the caller's log is never changed


def test_planted_abandoned_carts_are_all_found_among_millions_of_lines():
    rng = np.random.default_rng(0)
    n = 200_000
    log = pd.DataFrame({"customer_id": rng.integers(1, 20_000, n),
                        "product_id": rng.integers(1, 500, n),
                        "event": rng.choice(["view", "view", "view", "cart", "purchase"], n),
                        "timestamp": START + pd.to_timedelta(rng.integers(0, 10 * 86_400, n),
                                                             unit="s")})
    planted = pd.DataFrame({"customer_id": np.arange(50_001, 50_101),
                            "product_id": rng.integers(1, 500, 100), "event": "cart",
                            "timestamp": START + pd.Timedelta(days=9, hours=12)})
    bought = planted.iloc[:30].assign(event="purchase",
                                      timestamp=START + pd.Timedelta(days=9, hours=13))
    full = pd.concat([log, planted, bought], ignore_index=True)
    found = abandoned_carts(full, within="2d", wait="1h", as_of=START + pd.Timedelta(days=10))
    pairs = set(zip(found["customer_id"], found["product_id"], strict=True))
    assert set(zip(planted["customer_id"][30:], planted["product_id"][30:], strict=True)) <= pairs
    assert not set(zip(bought["customer_id"], bought["product_id"], strict=True)) & pairs


def test_anonymous_rows_are_left_out_and_counted_and_polars_comes_back_as_polars():
    polars = pytest.importorskip("polars")
    log = _log([(1, 1, "cart", 2900), (None, 2, "cart", 2900), (2, 3, "cart", 100)])
    found = abandoned_carts(log, as_of=AS_OF)
    assert found["customer_id"].tolist() == [1, 2] and found.attrs["anonymous_rows"] == 1
    as_polars = abandoned_carts(polars.from_pandas(log), as_of=AS_OF)
    assert isinstance(as_polars, polars.DataFrame)
    assert as_polars["product_id"].to_list() == found["product_id"].tolist()


def test_bad_input_names_the_column_and_the_fix():
    log = _log([(1, 1, "cart", 2900)])
    with pytest.raises(DataError, match="no column 'when'.*timestamp="):
        abandoned_carts(log, timestamp="when")
    with pytest.raises(DataError, match="no 'basket_add' event.*kind="):
        abandoned_carts(log, kind="basket_add")
    with pytest.raises(InvalidParameterError, match="within must be a duration"):
        abandoned_carts(log, within="soon")
    with pytest.raises(InvalidParameterError, match="anchors"):
        abandoned_carts(log, anchors=0)
    with pytest.raises(InvalidParameterError, match="min_views"):
        abandoned_browsing(log, min_views=0)
    with pytest.raises(DataError, match="anonymous visitors"):
        abandoned_carts(_log([(None, 1, "cart", 2900)]))


def test_cart_reminders_put_the_anchor_first_then_what_goes_with_it():
    shop = recsys.make_shop(n_customers=300, n_products=60, seed=1)
    model = recsys.ItemKNN().fit(shop.interactions)
    products = shop.interactions.items.ids
    log = pd.DataFrame({"customer_id": [1, 1, 2], "product_id": [products[0], products[1],
                                                                products[2]],
                        "event": ["cart", "cart", "view"],
                        "timestamp": [START, START + pd.Timedelta(hours=1), START]})
    carts = abandoned_carts(log, as_of=START + pd.Timedelta(days=1))
    picks = trigger_picks(model, carts, k=4)
    assert picks["rank"].tolist() == [1, 2, 3, 4]
    assert picks["product_id"].iloc[0] == products[1] and picks["source"].iloc[0] == "anchor"
    assert not set(picks["product_id"].iloc[1:]) & {products[0], products[1]}
    expected = model.recommend_for_basket([products[1], products[0]], k=3).item_ids()
    assert picks["product_id"].iloc[1:].tolist() == expected
    assert picks["reason"].iloc[1].startswith("Goes with ")
    browse = abandoned_browsing(log, min_views=1, as_of=START + pd.Timedelta(days=1))
    assert products[2] not in trigger_picks(model, browse, k=3)["product_id"].tolist()


def test_a_suppressed_customer_is_never_listed():
    log = _log([(1, 1, "cart", 2900), (2, 2, "cart", 2900), (3, 3, "view", 2900),
                (3, 3, "view", 2950)])
    found = abandoned_carts(log, as_of=AS_OF, suppress=["2"])
    assert found["customer_id"].tolist() == [1] and found.attrs["suppressed"] == 1
    assert abandoned_browsing(log, as_of=AS_OF, suppress=[3]).empty

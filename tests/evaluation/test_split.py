"""Splits partition the data, share the id maps and never leak the future."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys import DataError, Interactions, InvalidParameterError
from recsys.evaluation.split import (
    holdout_basket_items,
    leave_last_out,
    new_item_mask,
    random_split,
    temporal_split,
)


@st.composite
def logs(draw):
    n = draw(st.integers(2, 60))
    users = draw(st.lists(st.integers(0, 8), min_size=n, max_size=n))
    items = draw(st.lists(st.sampled_from(list("abcdefg")), min_size=n, max_size=n))
    days = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))
    baskets = [u * 100 + d // 7 for u, d in zip(users, days, strict=True)]
    frame = pd.DataFrame({"user_id": users, "item_id": items, "basket": baskets,
                          "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D")})
    return Interactions.from_frame(frame, timestamp="ts", basket="basket")


def rows(data):
    return sorted(map(tuple, data.to_frame().astype(str).values.tolist()))


def partitions(data, train, test):
    assert train.users is data.users and test.items is data.items
    assert len(train) + len(test) == len(data)
    assert sorted(rows(train) + rows(test)) == rows(data)


@settings(max_examples=60, deadline=None)
@given(logs(), st.integers(1, 39))
def test_temporal_split_partitions_without_leaks(data, day):
    cutoff = pd.Timestamp("2024-01-01") + pd.Timedelta(days=day)
    try:
        train, test = temporal_split(data, cutoff)
    except DataError:
        return  # every row on one side
    partitions(data, train, test)
    assert train.timestamps.max() < cutoff.to_datetime64() <= test.timestamps.min()


@settings(max_examples=60, deadline=None)
@given(logs(), st.integers(1, 3))
def test_leave_last_out_takes_each_users_latest(data, n):
    train, test = leave_last_out(data, n=n, by="time")
    partitions(data, train, test)
    counts = np.bincount(data.user_index, minlength=data.n_users)
    test_counts = np.bincount(test.user_index, minlength=data.n_users)
    assert ((test_counts == n) | ((test_counts == 0) & (counts <= n))).all()
    for u in np.unique(test.user_index):
        assert train.timestamps[train.user_index == u].max() <= test.timestamps[test.user_index == u].min()


@settings(max_examples=60, deadline=None)
@given(logs())
def test_leave_last_basket_out(data):
    train, test = leave_last_out(data, by="basket")
    partitions(data, train, test)
    for u in np.unique(test.user_index):
        assert len(np.unique(test.basket_index[test.user_index == u])) == 1
        assert len(np.unique(train.basket_index[train.user_index == u])) >= 1


@settings(max_examples=60, deadline=None)
@given(logs(), st.floats(0.5, 400))
def test_leave_last_basket_out_within_the_last_days(data, days):
    from recsys.data.dates import days_before

    train, test = leave_last_out(data, by="basket", last_days=days)
    partitions(data, train, test)
    if len(test):
        assert test.timestamps.min() >= days_before(data.timestamps.max(), days)
    every = leave_last_out(data, by="basket")[1]
    start = days_before(data.timestamps.max(), days)
    # a user is tested exactly when their whole last basket lies in the window
    for u in np.unique(every.user_index):
        recent = (every.timestamps[every.user_index == u] >= start).all()
        assert recent == (u in set(test.user_index.tolist()))


@settings(max_examples=40, deadline=None)
@given(logs(), st.floats(0.1, 0.9), st.integers(0, 5))
def test_random_split_is_seeded_and_partitions(data, size, seed):
    a = random_split(data, size, random_state=seed)
    b = random_split(data, size, random_state=seed)
    partitions(data, *a)
    assert rows(a[1]) == rows(b[1])
    train, test = random_split(data, size, by="user", random_state=seed)
    partitions(data, train, test)
    assert not set(train.user_index.tolist()) & set(test.user_index.tolist())


@settings(max_examples=40, deadline=None)
@given(logs())
def test_holdout_basket_items(data):
    try:
        carts, hidden = holdout_basket_items(data, random_state=0)
    except DataError:
        return
    assert (np.bincount(hidden.basket_index) <= 1).all()
    for b in np.unique(hidden.basket_index):
        assert (carts.basket_index == b).sum() >= 1


def test_temporal_split_by_days_and_known_users(shop):
    train, test = temporal_split(shop.interactions, last_days=30, test_users="known")
    edge = shop.interactions.timestamps.max() - np.timedelta64(30, "D")
    assert train.timestamps.max() < edge <= test.timestamps.min()
    assert set(test.user_index.tolist()) <= set(train.user_index.tolist())


def test_temporal_split_errors(shop):
    with pytest.raises(InvalidParameterError, match="exactly one"):
        temporal_split(shop.interactions)
    with pytest.raises(DataError, match="no test"):
        temporal_split(shop.interactions, "2030-01-01")
    with pytest.raises(InvalidParameterError, match="not a date"):
        temporal_split(shop.interactions, "soon")
    no_time = Interactions.from_frame(shop.orders, user="customer_id", item="product_id")
    with pytest.raises(DataError, match="timestamps"):
        temporal_split(no_time, last_days=3)


def test_new_item_mask(shop):
    train, test = temporal_split(shop.interactions, last_days=90)
    mask = new_item_mask(train, test)
    trained = set(train.item_index.tolist())
    assert all((i not in trained) == m for i, m in zip(test.item_index.tolist(), mask, strict=True))
    assert mask.any()  # the synthetic shop launches products during the year


def test_leave_last_out_refuses_data_without_times():
    frame = pd.DataFrame({"user_id": [1, 1, 2], "item_id": ["a", "b", "a"]})
    with pytest.raises(DataError, match="random_split"):
        leave_last_out(Interactions.from_frame(frame))


@settings(max_examples=40, deadline=None)
@given(counts=st.lists(st.integers(1, 12), min_size=1, max_size=8),
       share=st.sampled_from([0.1, 0.2, 0.5, 0.9]))
def test_leave_last_out_share_holds_out_the_newest_share_of_each_user(counts, share):
    users = np.repeat(np.arange(len(counts)), counts)
    day = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(len(users)), unit="D")
    frame = pd.DataFrame({"user": users, "item": np.arange(len(users)) % 7, "day": day})
    data = Interactions.from_frame(frame, user="user", item="item", timestamp="day")
    train, test = leave_last_out(data, share=share)
    held = np.bincount(test.to_frame()["user_id"].astype(int), minlength=len(counts))
    expected = [0 if c == 1 else max(1, int(np.floor(share * c + 1e-9))) for c in counts]
    assert held.tolist() == expected
    for user in range(len(counts)):  # the held rows are each user's newest
        kept = train.timestamps[train.user_index == train.users.to_index([user])[0]]
        out = test.timestamps[test.user_index == test.users.to_index([user])[0]] \
            if held[user] else np.array([], "datetime64[ns]")
        assert len(out) == 0 or kept.max() < out.min()


def test_python_and_the_command_line_hold_out_the_same_by_default():
    """leave_last_out() and `recsys evaluate --split leave-last` both hold out each customer's
    last basket when there are baskets (one order line of it, before)."""
    import recsys
    from recsys.cli.evaluate import split_data

    shop = recsys.make_shop(n_customers=120, n_products=30, seed=2)
    _, test = leave_last_out(shop.interactions)
    assert (test.to_frame().groupby("user_id")["basket_id"].nunique() == 1).all()
    assert test.to_frame().groupby("user_id").size().max() > 1  # whole baskets, not one line
    _, cli_test = split_data(shop.interactions, "leave-last", 30)
    assert cli_test.to_frame().equals(test.to_frame())

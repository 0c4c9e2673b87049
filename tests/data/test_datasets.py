"""The synthetic shop and the readers of the public data sets."""

from __future__ import annotations

import gzip
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import recsys
from recsys import DataError, make_shop, read_fimi, read_movielens
from recsys.rules.mining import frequent_itemsets
from tests.conftest import need_file


def test_make_shop_is_deterministic_and_shaped():
    a = make_shop(n_customers=200, n_products=50, seed=5)
    b = make_shop(n_customers=200, n_products=50, seed=5)
    assert a.orders.equals(b.orders) and a.products.equals(b.products)
    assert not a.orders.equals(make_shop(n_customers=200, n_products=50, seed=6).orders)
    assert len(a.products) == 50 and a.products["product_id"].is_unique
    assert set(a.customers["segment"]) == {"frequent", "occasional", "lapsed"}
    assert a.interactions.n_baskets == a.orders["order_id"].nunique()
    # names carry meaning: colour, style, material and noun
    assert a.products["name"].str.split().str.len().min() >= 4


def test_make_shop_has_structure_for_every_model():
    shop = make_shop(seed=0)
    counts = np.sort(np.diff(shop.interactions.matrix("user").tocsc().indptr))[::-1]
    assert counts[0] > 8 * np.median(counts)  # a long tail
    # co-purchases inside collections: pairs far more frequent than chance
    pairs = frequent_itemsets(shop.interactions, min_support=0.003, max_len=2)
    pairs = pairs[pairs["itemsets"].map(len) == 2]
    collection = dict(zip(shop.products["product_id"], shop.products["collection"], strict=True))
    same = pairs["itemsets"].map(lambda s: len({collection[i] for i in s}) == 1)
    assert same.mean() > 0.6
    # lapsed customers stop buying early in the year
    last = shop.orders.groupby("customer_id")["timestamp"].max()
    lapsed = shop.customers.set_index("customer_id")["segment"] == "lapsed"
    assert (last[lapsed[lapsed].index.intersection(last.index)] < "2025-06-03").all()
    # products launched during the year sell only after launch
    launched = shop.products.set_index("product_id")["launched"]
    assert (shop.orders["timestamp"].to_numpy() >= launched[shop.orders["product_id"]].to_numpy()).all()


def test_make_shop_rejects_bad_sizes():
    with pytest.raises(recsys.InvalidParameterError, match="n_customers"):
        make_shop(n_customers=0)


def test_read_fimi_parses_lines(tmp_path):
    path = tmp_path / "b.dat.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("1 2 3 \n3 2\n\n7\n2 2\n")
    data = read_fimi(path)
    assert data.n_baskets == 4 and data.n_items == 4
    assert data.matrix("basket").toarray().sum(axis=1).tolist() == [3, 2, 1, 1]
    assert data.baskets.ids.tolist() == [0, 1, 3, 4]


def test_read_fimi_errors(tmp_path):
    with pytest.raises(DataError, match="not found.*RECSYS_DATA_DIR"):
        read_fimi(tmp_path / "nope.dat")
    bad = tmp_path / "bad.dat"
    bad.write_text("1 x 3\n")
    with pytest.raises(DataError, match="integer item ids"):
        read_fimi(bad)


_fimi_words = st.one_of(st.integers(-(10**18) + 1, 10**18 - 1), st.integers(0, 40))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(_fimi_words, max_size=6), min_size=1, max_size=40),
       st.sampled_from([" ", "  ", "\t", " \t "]), st.sampled_from(["\n", "\r\n"]),
       st.sampled_from([7, 64, 1 << 18]))
def test_read_fimi_agrees_with_splitting_lines(tmp_path_factory, lines, blank, newline, block):
    """The numpy parser against Python's split, on any ids, blanks, line ends and block size."""
    import recsys.data.fimi as fimi

    text = newline.join(blank.join(map(str, line)) for line in lines) + newline
    path = tmp_path_factory.mktemp("fimi") / "b.dat"
    path.write_bytes(text.encode())
    expected = {n: set(map(int, line.split())) for n, line in enumerate(text.splitlines())
                if line.split()}
    if not expected:
        with pytest.raises(DataError, match="no items"):
            read_fimi(path)
        return
    saved, fimi.BLOCK = fimi.BLOCK, block
    try:
        data = read_fimi(path)
    finally:
        fimi.BLOCK = saved
    rows = data.matrix("basket").tolil().rows
    got = {int(b): set(data.items.ids[r].tolist()) for b, r in zip(data.baskets.ids, rows, strict=True)}
    assert got == expected


@pytest.mark.parametrize("text", ["1 x 3\n", "1 2-3\n", "4 - 5\n", "--1\n", "1 2.5\n",
                                  "12345678901234567890\n"])
def test_read_fimi_refuses_words_that_are_not_ids(tmp_path, text):
    path = tmp_path / "bad.dat"
    path.write_text("1 2\n" + text)
    with pytest.raises(DataError, match="line 2 holds"):
        read_fimi(path)


@pytest.mark.realdata
def test_read_online_retail_counts_and_speed():
    path = need_file("online-retail.csv.gz")
    start = time.perf_counter()
    shop = recsys.read_online_retail(path)
    seconds = time.perf_counter() - start
    data = shop.interactions
    assert (data.n_users, data.n_items, data.n_baskets) == (4339, 3665, 18536)
    assert data.users.kind == "int" and 17850 in data.users
    assert data.items.kind == "str" and "85123A" in data.items
    assert not shop.products["name"].str.endswith(" ").any()
    assert seconds < 10, seconds


@pytest.mark.realdata
def test_read_fimi_retail():
    data = read_fimi(need_file("fimi-retail.dat.gz"))
    assert (data.n_baskets, data.n_items, len(data)) == (88162, 16470, 908576)


@pytest.mark.realdata
def test_read_movielens():
    path = need_file("ml-latest-small")
    shop = read_movielens(path)
    assert shop.interactions.n_users == 671 and len(shop.interactions) == 100004
    assert "genres=Comedy" in shop.items.feature_names
    liked = read_movielens(path, min_rating=4.0)
    assert len(liked.interactions) < 100004

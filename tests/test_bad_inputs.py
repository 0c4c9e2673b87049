"""Bad input, one row a case: each gets a typed RecsysError whose message names the thing (or,
where there is one, the right answer). Cases come from the real-data issue's lists; rows are
added as cases are fixed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import recsys
from recsys import (
    DataError,
    Interactions,
    InvalidParameterError,
    PersistenceError,
)
from recsys.campaign import make_picks
from recsys.data import parse_timestamps
from recsys.split import leave_last_out, random_split


@pytest.fixture(scope="module")
def world():
    shop = recsys.make_shop(n_customers=200, n_products=40, seed=5)
    model = recsys.Popularity().fit(shop.interactions)
    return shop, model


def _users(shop, n=2):
    return shop.interactions.users.ids[:n]


CASES = [
    ("exclude_seen given as a string", lambda shop, model, tmp: model.recommend(
        _users(shop), exclude_seen="False"), InvalidParameterError, "exclude_seen"),
    ("exclude_basket given as a string", lambda shop, model, tmp: model.recommend_for_basket(
        [shop.interactions.items.ids[0]], exclude_basket="no"), InvalidParameterError,
     "exclude_basket"),
    ("a split that leaves no train", lambda shop, model, tmp: random_split(
        shop.interactions, 1.0), InvalidParameterError, "nothing to train"),
    ("a blend whose weights are all zero", lambda shop, model, tmp: recsys.Hybrid(
        components=[("a", recsys.Popularity()), ("b", recsys.ItemKNN())], mode="blend",
        weights=[0, 0]).fit(shop.interactions), InvalidParameterError, "all 0"),
    ("a basket column list holding a number", lambda shop, model, tmp:
        Interactions.from_frame(shop.orders, user="customer_id", item="product_id",
                                basket=["customer_id", 3]), DataError, "column names"),
    ("leave-last without times", lambda shop, model, tmp: leave_last_out(
        Interactions.from_frame(shop.orders, user="customer_id", item="product_id")),
     DataError, "timestamps"),
    ("dates that read day-first and month-first", lambda shop, model, tmp: parse_timestamps(
        pd.Series(["01-05-2015", "02-03-2015"]), "Date"), DataError, "ambiguous"),
    ("dates in no known format", lambda shop, model, tmp: parse_timestamps(
        pd.Series(["yesterday", "01-05-2015"]), "Date"), DataError, "not times"),
    ("a CSV given as a model file", lambda shop, model, tmp: recsys.load(
        _write(tmp / "lines.csv", b"a,b\n1,2\n")), PersistenceError, "not a recsys model file"),
    ("a bare .npy given as a model file", lambda shop, model, tmp: recsys.load(
        _npy(tmp / "x.npy")), PersistenceError, ".npy"),
    ("a whole DataFrame as the audience", lambda shop, model, tmp: make_picks(
        model, shop.customers, k=2), DataError, "not a whole DataFrame"),
]


def _write(path, content: bytes):
    path.write_bytes(content)
    return path


def _npy(path):
    np.save(path, np.arange(3))
    return path


@pytest.mark.parametrize(("case", "call", "error", "word"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_a_typed_error_naming_it(world, tmp_path, case, call, error, word):
    shop, model = world
    with pytest.raises(error, match=word):
        call(shop, model, tmp_path)


def test_an_empty_cart_gets_the_most_popular_items(world):
    _, model = world
    recs = model.recommend_for_basket([], k=3)
    assert len(recs) == 1 and recs.item_ids() == model.recommend_for_basket([[]], k=3).item_ids()
    assert recs.lengths[0] == 3 and recs.source[0] == "popularity"


def test_a_huge_k_costs_no_more_than_the_catalogue(world):
    shop, model = world
    recs = model.recommend(_users(shop), k=10**12)
    assert recs.item_index.shape[1] <= len(model.items_)
    assert (recs.lengths <= len(model.items_)).all()


def test_a_product_table_with_its_own_id_column_names_the_picks(world):
    shop, _ = world
    model = recsys.ItemKNN().fit(shop.interactions)
    table = shop.products.rename(columns={"product_id": "sku"})
    audience = shop.customers["customer_id"][:3]
    with pytest.raises(DataError, match="products_item"):
        make_picks(model, audience, k=2, products=table)
    picks = make_picks(model, audience, k=2, products=table, products_item="sku").picks
    names = dict(zip(table["sku"], table["name"], strict=True))
    assert (picks["name"] == picks["product_id"].map(names)).all()

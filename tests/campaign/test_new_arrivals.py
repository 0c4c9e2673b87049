"""New arrivals in a campaign: up to k_new of each customer's k are new products, ranked by a
model that can score them, after the main model's picks; every other rule still holds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import recsys
from recsys.campaign import CategoryCap, ExcludePurchased, make_picks


@pytest.fixture(scope="module")
def world():
    shop = recsys.make_shop(n_customers=400, n_products=80, seed=0)
    frame = shop.interactions.to_frame()
    first = frame.groupby("item_id")["timestamp"].min()
    new = first.sort_values().index[-8:].to_numpy()  # the 8 products first sold last
    main = recsys.ItemKNN().fit(shop.interactions)
    content = recsys.ContentBased().fit(shop.interactions, items=shop.items)
    return shop, main, content, new


@pytest.mark.parametrize("k_new", [1, 2, 3])
def test_new_arrivals_take_the_last_slots_and_only_new_products(world, k_new):
    shop, main, content, new = world
    customers = shop.interactions.users.ids[:150]
    picks = make_picks(main, customers, k=6, new=content, k_new=k_new, new_products=new,
                       products=shop.products).picks
    arrivals = picks[picks["reason_code"] == "new_arrival"]
    assert len(arrivals) and set(arrivals["product_id"]) <= set(new)
    assert arrivals.groupby("customer_id").size().max() <= k_new
    assert (picks.groupby("customer_id").size() == 6).all()
    last = picks.groupby("customer_id")["rank"].transform("max")
    others = picks[picks["reason_code"] != "new_arrival"]
    for customer, rows in arrivals.groupby("customer_id"):  # after every model pick
        mine = others[others["customer_id"] == customer]
        assert mine["rank"].max() < rows["rank"].min()
    assert not picks.duplicated(["customer_id", "product_id"]).any()
    assert (last == 6).all()


def test_new_arrivals_keep_the_other_rules(world):
    shop, main, content, new = world
    customers = shop.interactions.users.ids[:150]
    cap = CategoryCap(shop.products, max_per_category=1)
    picks = make_picks(main, customers, k=5, constraints=[ExcludePurchased(), cap],
                       new=content, k_new=2, new_products=new, products=shop.products).picks
    bought = shop.interactions.to_frame()[["user_id", "item_id"]]
    merged = picks.merge(bought, left_on=["customer_id", "product_id"],
                         right_on=["user_id", "item_id"])
    assert merged.empty  # nothing already bought, new arrivals included
    categories = shop.products.set_index("product_id")["category"]
    per = picks.assign(category=picks["product_id"].map(categories))
    assert per.groupby(["customer_id", "category"]).size().max() == 1


def test_new_arrivals_are_refused_when_they_cannot_be(world):
    shop, main, content, new = world
    customers = shop.interactions.users.ids[:5]
    with pytest.raises(recsys.InvalidParameterError, match="k_new"):
        make_picks(main, customers, k=2, new=content, k_new=3, new_products=new)
    with pytest.raises(recsys.InvalidParameterError, match="new must be"):
        make_picks(main, customers, k=4, new="ContentBased", new_products=new)
    with pytest.raises(recsys.DataError, match="no product"):
        make_picks(main, customers, k=4, new=content)  # every product of ItemKNN sold


def test_recsys_picks_new_items(tmp_path, capsys):
    from recsys.cli.main import main

    out = tmp_path / "p.csv"
    assert main(["picks", "-k", "6", "--new-items", "2", "--new-within-days", "90", "--model",
                 "ItemKNN", "--out", str(out)]) == 0
    picks = pd.read_csv(out)
    count = int((picks["reason_code"] == "new_arrival").sum())
    assert count > 0 and f"({count:,} picks, ranked by ContentBased)" in capsys.readouterr().out
    assert main(["picks", "-k", "2", "--new-items", "3", "--out", str(out)]) == 1
    assert np.isin(picks["reason"][picks["reason_code"] == "new_arrival"],
                   ["New in our shop"]).all()

"""make_picks with a control group or several arms: nobody in control is mailed, the
assignments list everyone with the picks they got (or would have got), arms use their models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import recsys
from recsys.campaign import ExcludePurchased, make_picks
from recsys.exceptions import DataError, InvalidParameterError
from recsys.experiment import assign


@pytest.fixture(scope="module")
def world():
    shop = recsys.make_shop(n_customers=600, n_products=120, seed=5)
    knn = recsys.ItemKNN(k=30).fit(shop.interactions)
    popular = recsys.Popularity().fit(shop.interactions)
    return shop, knn, popular


def test_control_gets_no_mail_and_everyone_is_assigned(world):
    shop, knn, _ = world
    audience = shop.customers["customer_id"].to_numpy()
    result = make_picks(knn, audience, k=4, constraints=[ExcludePurchased()], control=0.2, salt="w48",
                        products=shop.products)
    table = result.assignments
    assert table["customer_id"].tolist() == audience.tolist()
    expected = assign(audience, salt="w48", control=0.2)
    assert table["group"].tolist() == expected["group"].tolist()
    control = set(table.loc[table["group"] == "control", "customer_id"])
    mailed = set(result.picks["customer_id"])
    assert control and not control & mailed
    assert mailed == set(table.loc[table["group"] == "treatment", "customer_id"])
    # the picks field holds exactly the mailed picks, in rank order
    by_customer = result.picks.sort_values(["customer_id", "rank"]).groupby("customer_id")
    mailed_lists = by_customer["product_id"].agg("|".join)
    treated = table.set_index("customer_id").loc[mailed_lists.index, "picks"]
    assert (treated == mailed_lists).all()
    # control's picks (never sent) are what the same model would have picked for them
    held = table[table["group"] == "control"].head(5)
    again = make_picks(knn, held["customer_id"], k=4, constraints=[ExcludePurchased()])
    assert again.picks.groupby("customer_id", sort=False)["product_id"].agg("|".join).tolist() \
        == held["picks"].tolist()
    assert result.summary["control"] == len(control)
    assert result.summary["customers"] == len(mailed)


def test_arms_each_use_their_model_and_are_labelled(world, tmp_path):
    shop, knn, popular = world
    audience = shop.customers["customer_id"].to_numpy()
    out = tmp_path / "picks.csv"
    result = make_picks({"knn": knn, "top": popular}, audience[::-1], k=3, control=None,
                        arms={"knn": 0.45, "top": 0.45, "control": 0.1}, salt="w48", out=out,
                        format="wide")
    written = pd.read_csv(out)
    assert set(written["group"]) == {"knn", "top"}
    groups = result.assignments.set_index("customer_id")["group"]
    assert (groups.loc[written["customer_id"]].to_numpy() == written["group"].to_numpy()).all()
    top_items = popular.recommend(audience[:1], k=50, exclude_seen=False).item_ids(0)
    top_rows = written[written["group"] == "top"]
    assert top_rows["item_1"].isin(top_items).all()
    assert result.summary["arms"].keys() == {"knn", "top", "control"}


@pytest.mark.parametrize("kwargs, error, word", [
    ({"control": 0.1}, InvalidParameterError, "salt"),
    ({"salt": "s"}, InvalidParameterError, "control"),
    ({"arms": {"a": 0.5, "b": 0.5}, "salt": "s"}, InvalidParameterError, "'control' arm"),
    ({"arms": {"control": 1.0}, "salt": "s"}, InvalidParameterError, "besides control"),
    ({"control": 1.5, "salt": "s"}, InvalidParameterError, "(0, 1]"),
])
def test_bad_experiment_parameters(world, kwargs, error, word):
    shop, knn, _ = world
    with pytest.raises(error) as caught:
        make_picks(knn, shop.customers["customer_id"][:20], k=2, **kwargs)
    assert word in str(caught.value)


def test_models_must_match_the_arms(world):
    shop, knn, _ = world
    with pytest.raises(InvalidParameterError, match="missing"):
        make_picks({"knn": knn}, shop.customers["customer_id"][:20], k=2, salt="s",
                   arms={"knn": 0.4, "top": 0.4, "control": 0.2})
    with pytest.raises(InvalidParameterError, match="dict of models"):
        make_picks({"knn": knn}, shop.customers["customer_id"][:20], k=2)


def test_product_ids_with_the_separator_are_refused():
    orders = pd.DataFrame({"customer_id": [1, 1, 2, 3], "product_id": ["a|b", "c", "c", "a|b"]})
    data = recsys.Interactions.from_frame(orders, user="customer_id", item="product_id")
    model = recsys.Popularity().fit(data)
    with pytest.raises(DataError, match="separates the picks"):
        make_picks(model, [1, 2, 3], k=2, control=0.3, salt="s")


def test_whole_dataframe_as_audience_is_refused(world):
    shop, knn, _ = world
    with pytest.raises(DataError, match="not a whole DataFrame"):
        make_picks(knn, shop.customers, k=2)


def test_control_share_is_balanced_in_every_segment(world):
    shop = world[0]
    segments = shop.customers.set_index("customer_id")["segment"]
    big = np.arange(50_000)
    table = assign(big, salt="w48", control=0.1,
                   segments=pd.Series(np.resize(segments.to_numpy(), len(big)), index=big))
    for _, part in table.groupby("segment"):
        share = (part["group"] == "control").mean()
        assert abs(share - 0.1) < 4 * np.sqrt(0.09 / len(part))

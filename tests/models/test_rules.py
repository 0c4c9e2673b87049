"""AssociationRules as a model: bounded scoring memory, the whole-history warning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import recsys
from recsys.models import rules as rules_module
from recsys.models.rules import AssociationRules
from recsys.ranking import Query
from recsys.testing import ModelContract


@pytest.fixture(scope="module")
def fitted():
    shop = recsys.make_shop(n_customers=400, n_products=60, seed=3)
    model = recsys.AssociationRules(min_support=0.002, min_confidence=0.01,
                                    min_lift=None).fit(shop.interactions)
    return shop, model


@pytest.mark.parametrize("aggregate", ["max", "sum"])
def test_rules_fired_a_slice_at_a_time_give_the_same_answers(fitted, monkeypatch, aggregate):
    shop, model = fitted
    model = recsys.AssociationRules(**{**model.get_params(), "aggregate": aggregate,
                                       "metric": "leverage"}).fit(shop.interactions)
    users = shop.interactions.users.ids[:150]
    carts = [list(shop.interactions.items.ids[i:i + 3]) for i in range(0, 45, 3)]
    whole = model.recommend(users, k=8)
    whole_carts = model.recommend_for_basket(carts, k=8)
    query = Query.of_users(np.arange(150))
    whole_anchors = model.anchors(query, whole.item_index)
    monkeypatch.setattr(rules_module, "HIT_BUDGET", 50)  # forces hundreds of rule slices
    assert len(model._rule_slices(model._histories(query))) > 10
    sliced = model.recommend(users, k=8)
    np.testing.assert_array_equal(sliced.item_index, whole.item_index)
    np.testing.assert_allclose(sliced.scores, whole.scores, rtol=1e-6)
    sliced_carts = model.recommend_for_basket(carts, k=8)
    np.testing.assert_array_equal(sliced_carts.item_index, whole_carts.item_index)
    sliced_anchors = model.anchors(query, sliced.item_index)
    np.testing.assert_array_equal(sliced_anchors.codes, whole_anchors.codes)
    assert sliced_anchors.anchors.tolist() == whole_anchors.anchors.tolist()
    assert (whole_anchors.codes == "bought_together").sum() > 100


def test_mining_whole_histories_warns_and_names_baskets():
    shop = recsys.make_shop(n_customers=200, n_products=30, seed=1)
    no_baskets = recsys.Interactions.from_frame(shop.orders, user="customer_id",
                                                item="product_id")
    with pytest.warns(UserWarning, match="basket="):
        recsys.AssociationRules(min_support=0.01).fit(no_baskets)


# ---------------------------------------------------------------------- default thresholds
def _grocery_log(seed: int, n_items: int, zipf: float, mean_size: float) -> recsys.Interactions:
    """Member-day baskets of a few items each drawn by popularity (a grocery log's shape:
    one row per item bought, a basket is a member on a day), with a mild co-purchase
    structure: each basket leans (x2) to one of 12 themes the products belong to."""
    rng = np.random.default_rng(seed)
    popularity = 1 / np.arange(1, n_items + 1) ** zipf
    theme = rng.integers(0, 12, n_items)
    n_baskets = 15_000
    weights = popularity[None, :] * np.where(
        theme[None, :] == rng.integers(0, 12, n_baskets)[:, None], 2.0, 1.0)
    sizes = np.minimum(1 + rng.poisson(mean_size - 1, n_baskets), n_items)
    keys = rng.random((n_baskets, n_items)) ** (1 / weights)  # weighted draws without replacement
    picked = np.argsort(-keys, axis=1)
    rows = np.repeat(np.arange(n_baskets), sizes)
    items = picked[rows, np.concatenate([np.arange(s) for s in sizes])]
    member, day = rng.integers(0, 2_000, n_baskets), rng.integers(0, 700, n_baskets)
    frame = pd.DataFrame({"member": member[rows], "day": day[rows],
                          "item": np.char.add("item", items.astype(str))})
    return recsys.Interactions.from_frame(frame, user="member", item="item",
                                          basket=["member", "day"])


def _add_ons_of_the_two_best_sellers(data: recsys.Interactions):
    model = recsys.AssociationRules().fit(data)
    counts = np.bincount(data.item_index, minlength=data.n_items)
    cart = data.items.ids[np.argsort(-counts, kind="stable")[:2]].tolist()
    picks = model.recommend_for_basket(cart, k=10).to_frame()["item"].tolist()
    lifts = [model.explain(item, basket=cart).details["lift"] for item in picks]
    return model, picks, lifts


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), n_items=st.integers(100, 300),
       zipf=st.floats(0.8, 1.3), mean_size=st.floats(2.0, 4.0))
def test_default_rules_give_a_grocery_cart_add_ons_above_chance(seed, n_items, zipf, mean_size):
    """A grocery's shape: about 15,000 member-day baskets of two to four items over a few
    hundred products whose sales fall off steeply. (Far sparser data, where the best sellers
    share fewer than 10 baskets with anything, gets fewer add-ons: 10 baskets is the least
    evidence a rule needs.)"""
    model, picks, lifts = _add_ons_of_the_two_best_sellers(
        _grocery_log(seed, n_items, zipf, mean_size))
    assert len(picks) >= 3
    assert min(lifts) > 1
    assert model.min_count_ >= 10


@pytest.mark.realdata
def test_default_rules_give_online_retail_best_sellers_add_ons(online_retail):
    model, picks, lifts = _add_ons_of_the_two_best_sellers(online_retail.interactions)
    assert len(picks) >= 3 and min(lifts) > 1
    pairs = (model.rules_["antecedents"].map(len) == 1).sum()
    assert pairs <= 2 * 10_000  # the automatic support keeps the rules small


def test_auto_support_rises_with_the_number_of_pairs():
    """Large baskets over a large catalogue: the count rises until 10,000 pairs are left;
    small baskets keep the floor of 10."""
    from recsys.rules.auto_support import AUTO_MAX_PAIRS, auto_min_count
    from recsys.rules.mining import basket_matrix

    rng = np.random.default_rng(0)
    big = [rng.choice(400, 30, replace=False).tolist() for _ in range(3_000)]
    matrix, _ = basket_matrix(big)
    count = auto_min_count(matrix)
    pair_counts = (matrix.T @ matrix).toarray()
    upper = pair_counts[np.triu_indices_from(pair_counts, k=1)]
    assert count > 10 and (upper >= count).sum() <= AUTO_MAX_PAIRS < (upper >= count - 1).sum()
    small = [rng.choice(100, 2, replace=False).tolist() for _ in range(3_000)]
    assert auto_min_count(basket_matrix(small)[0]) == 10


class TestAssociationRulesContract(ModelContract):
    model = AssociationRules
    variants = [{"min_support": 0.004, "min_confidence": 0.05},
                {"min_support": 0.004, "min_confidence": 0.05, "half_life_days": 30.0}]

"""AssociationRules as a model: bounded scoring memory, the whole-history warning."""

from __future__ import annotations

import numpy as np
import pytest

import recsys
from recsys._ranking import Query
from recsys.models import rules as rules_module


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

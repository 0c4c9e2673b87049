"""ContentBased and Hybrid beyond the shared contract: new products, fallback sources, blends."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys import (
    ALS,
    AssociationRules,
    ContentBased,
    Hybrid,
    InvalidParameterError,
    ItemFeatures,
    ItemKNN,
    Popularity,
    clone,
    load,
)
from recsys.evaluation.split import new_item_mask, temporal_split
from recsys.testing import ModelContract


@pytest.fixture(scope="module")
def content(shop):
    return ContentBased().fit(shop.interactions, items=shop.items)


def test_similar_items_follow_names_and_categories(content, shop):
    products = shop.products.set_index("product_id")
    item = "P0001"
    similar = content.similar_items(item, k=3).item_ids()
    assert all(products.loc[s, "category"] == products.loc[item, "category"] for s in similar)


def test_explain_names_shared_terms(content, shop):
    user = shop.interactions.users.ids[0]
    recs = content.recommend(user, k=1)
    why = content.explain(recs.item_ids()[0], user=user)
    assert why.method == "content" and why.contributions
    assert all(":" in term or "=" in term or term == "price" for term, _ in why.contributions)


def test_a_product_added_after_fit_is_recommended(shop, tmp_path):
    model = ContentBased().fit(shop.interactions, items=shop.items)
    fans = shop.orders[shop.orders["product_id"] == "P0001"]["customer_id"].unique()[:5].tolist()
    twin = shop.products[shop.products["product_id"] == "P0001"].assign(product_id="NEW-TEAPOT")
    model.add_items(twin)
    assert "NEW-TEAPOT" in model.items_
    assert model.item_counts_[model.items_.to_index(["NEW-TEAPOT"])[0]] == 0
    assert model.recommend_for_basket(["P0001"], k=1).item_ids() == ["NEW-TEAPOT"]
    assert model.similar_items("P0001", k=1).item_ids() == ["NEW-TEAPOT"]
    picks = model.recommend(fans, k=10)
    assert sum("NEW-TEAPOT" in row for row in picks.to_dict().values()) >= len(fans) // 2
    # the widened model still saves and loads
    path = tmp_path / "content.npz"
    model.save(path)
    assert load(path).recommend(fans, k=10).to_dict() == picks.to_dict()


def test_add_items_needs_the_feature_columns(content, shop):
    with pytest.raises(Exception, match="not in the product frame"):
        clone(content).fit(shop.interactions, items=shop.items).add_items(
            pd.DataFrame({"product_id": ["X"]}))


def chain():
    return [("rules", AssociationRules(min_support=0.004, min_confidence=0.05)),
            ("als", ALS(factors=8, iterations=5, random_state=0, num_threads=1)),
            ("content", ContentBased()), ("popular", Popularity())]


def test_fallback_records_which_component_answered(shop):
    model = Hybrid(components=chain(), mode="fallback", min_history=3).fit(
        shop.interactions, items=shop.items)
    counts = np.diff(model.seen_.indptr)
    thin = model.users_.ids[np.flatnonzero(counts == 1)][:3].tolist()
    rich = model.users_.ids[np.flatnonzero(counts >= 5)][:3].tolist()
    recs = model.recommend(rich + thin + [-1], k=5, on_unknown="fallback")
    sources = recs.source.tolist()
    assert sources[:3] == ["rules"] * 3  # rules fire on rich histories
    assert set(sources[3:6]) <= {"content", "popular"}  # thin histories skip rules and ALS
    assert sources[6] == "popularity"  # unknown: the base fallback
    frame = recs.to_frame()
    assert set(frame["source"]) == set(sources)
    why = model.explain(recs.item_ids(0)[0], user=rich[0])
    assert why.details["component"] == "rules" and why.method == "rule"
    # a cart no rule fires for falls through to the next component that can answer
    lonely = [model.items_.ids[int(np.argmin(np.where(model.item_counts_ > 0,
                                                      model.item_counts_, 10**9)))].item()]
    assert model.recommend_for_basket(lonely, k=3).source[0] in {"rules", "als", "content",
                                                                  "popular"}


def test_blend_parameters_nest_and_clone():
    model = Hybrid(components=[("knn", ItemKNN(k=10)), ("content", ContentBased())],
                   weights=[2.0, 1.0], mode="blend")
    params = model.get_params()
    assert params["knn__k"] == 10 and params["content__half_life_days"] is None
    model.set_params(knn__k=25, weights=[1.0, 1.0])
    assert model.components[0][1].k == 25
    twin = clone(model)
    assert twin.components[0][1] is not model.components[0][1]
    assert twin.components[0][1].k == 25
    with pytest.raises(InvalidParameterError, match="no component 'nope'"):
        model.set_params(nope__k=1)


def test_blend_rejects_bad_configuration(shop):
    with pytest.raises(InvalidParameterError, match="weights"):
        Hybrid(components=[("a", Popularity())], weights=[1, 2]).fit(shop.interactions)
    with pytest.raises(InvalidParameterError, match="unique"):
        Hybrid(components=[("a", Popularity()), ("a", ItemKNN())]).fit(shop.interactions)
    with pytest.raises(InvalidParameterError, match="needs item features"):
        Hybrid(components=[("c", ContentBased()), ("p", Popularity())]).fit(shop.interactions)


def test_new_products_reach_the_hybrid_but_not_als():
    from recsys import make_shop

    shop = make_shop(n_customers=800, n_products=150, seed=4, new_product_share=0.3)
    train, test = temporal_split(shop.interactions, last_days=90)
    fresh = set(test.items.ids[test.item_index[new_item_mask(train, test)]].tolist())
    assert fresh
    users = test.users.ids[np.unique(test.user_index)]
    als = ALS(factors=16, random_state=0).fit(train)
    hybrid = Hybrid(components=[("als", ALS(factors=16, random_state=0)),
                                ("content", ContentBased())], weights=[1.0, 0.5],
                    mode="blend").fit(
        train, items=shop.items)
    als_items = set(als.recommend(users, k=20, on_unknown="skip").to_frame()["item"])
    hybrid_items = set(hybrid.recommend(users, k=20, on_unknown="skip").to_frame()["item"])
    assert not als_items & fresh
    assert hybrid_items & fresh


def test_item_features_persist_and_transform(shop):
    arrays, specs = shop.items.to_arrays()
    again = ItemFeatures.from_arrays(arrays, specs, name="product_id")
    assert (again.matrix != shop.items.matrix).nnz == 0
    row = shop.products.iloc[[0]]
    assert (again.transform(row) != shop.items.transform(row)).nnz == 0


def test_default_hybrid_params_change_only_what_is_given(shop):
    from recsys.models.hybrid import DEFAULT_CHAINS, default_components

    model = Hybrid()
    assert model.get_params(deep=False)["components"] is None
    assert not any("__" in key for key in model.get_params())  # resolved at fit, not before
    with pytest.raises(InvalidParameterError, match="default_components"):
        model.set_params(als__factors=4)
    assert model.components is None and model.chains is None  # nothing was rewritten
    assert model.uses_item_features and model.get_params(deep=False)["components"] is None
    twin = Hybrid(components=default_components(), chains=DEFAULT_CHAINS).set_params(
        als__factors=4, als__iterations=2, rules__min_support=0.004)
    assert dict(twin.components)["als"].factors == 4 and twin.chains == DEFAULT_CHAINS
    twin.fit(shop.interactions, items=shop.items)
    users = twin.users_.ids[np.diff(twin.seen_.indptr) > 3][:5]
    assert set(twin.recommend(users, k=3).source) <= {"als", "content", "popular"}
    rules = dict(twin.components_)["rules"]
    antecedent = sorted(rules.rules_["antecedents"].iloc[0])
    assert twin.recommend_for_basket(antecedent, k=3).source[0] == "rules"


class TestContentBasedContract(ModelContract):
    model = ContentBased


class TestHybridContract(ModelContract):
    model = Hybrid
    # a blend's explain breaks a score down by component; its batch reasons are the
    # answering component's (an item of the customer's history)
    reasons_from_explain = False
    variants = [
        {"components": [("rules", AssociationRules(min_support=0.004, min_confidence=0.05)),
                        ("als", ALS(factors=8, iterations=4, random_state=0, num_threads=1)),
                        ("content", ContentBased()), ("popular", Popularity())],
         "mode": "fallback", "min_history": 2},
        {"components": [("knn", ItemKNN(k=30, num_threads=1)), ("content", ContentBased())],
         "mode": "blend", "weights": [0.7, 0.3]},
    ]

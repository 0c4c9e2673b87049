"""The contract every registered model keeps (DESIGN.md, "Testing").

Parametrised over ``recsys.models.REGISTRY``: a model added to the registry is
covered here without new tests. A model's ``_test_params`` keep its fit small.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import recsys
from recsys import (
    REGISTRY,
    Interactions,
    NotFittedError,
    UnknownIdError,
    UnsupportedError,
    clone,
    load,
)

# one case per (model, parameter variant): a model added to the registry is covered here
CASES = {
    (name if len(REGISTRY[name]._test_variants()) == 1 else f"{name}-{i}"): (name, params)
    for name in sorted(REGISTRY)
    for i, params in enumerate(REGISTRY[name]._test_variants())
}
MODELS = list(CASES)


def make(case: str, **extra):
    name, params = CASES[case]
    return REGISTRY[name](**{**params, **extra})


def fit(model, data, features):
    return model.fit(data, items=features) if model.uses_item_features else model.fit(data)


@pytest.fixture(scope="module")
def data(shop):
    return shop.interactions


@pytest.fixture(scope="module")
def fitted(data, shop):
    return {case: fit(make(case), data, shop.items) for case in MODELS}


def users_of(data, n=25):
    counts = np.bincount(data.user_index, minlength=data.n_users)
    return data.users.ids[np.argsort(-counts, kind="stable")[:n]]


def same(a, b):
    np.testing.assert_array_equal(a.item_index, b.item_index)
    np.testing.assert_allclose(a.scores, b.scores, rtol=1e-5, atol=1e-6, equal_nan=True)
    np.testing.assert_array_equal(a.lengths, b.lengths)


@pytest.mark.parametrize("name", MODELS)
def test_fit_returns_self_and_leaves_input_alone(name, shop):
    orders = shop.orders.copy()
    before = orders.copy()
    data = Interactions.from_frame(orders, user="customer_id", item="product_id",
                                   basket="order_id", timestamp="timestamp")
    item_index = data.item_index.copy()
    model = make(name)
    assert fit(model, data, shop.items) is model
    pd.testing.assert_frame_equal(orders, before)
    np.testing.assert_array_equal(data.item_index, item_index)
    assert not data.item_index.flags.writeable


@pytest.mark.parametrize("name", MODELS)
def test_unfitted_raises(name):
    model = make(name)
    with pytest.raises(NotFittedError, match="fit"):
        model.recommend([1], k=3)
    with pytest.raises(NotFittedError):
        model.save("unused.npz")


@pytest.mark.parametrize("name", MODELS)
def test_clone_and_params_round_trip(name):
    model = make(name)
    params = model.get_params(deep=False)
    twin = clone(model)
    assert type(twin) is type(model) and twin is not model
    assert twin.get_params(deep=False).keys() == params.keys()
    assert repr(twin) == repr(model)
    twin.set_params(**params)
    with pytest.raises(recsys.InvalidParameterError, match="no parameter"):
        twin.set_params(no_such_parameter=1)


@pytest.mark.parametrize("name", MODELS)
def test_refit_equals_fit_and_resets(name, data, fitted, shop):
    users = users_of(data)
    model = make(name)
    small = data.select(data.user_index < data.n_users // 2)
    fit(model, small, shop.items)
    fit(model, data, shop.items)  # a second fit fully replaces the first
    same(model.recommend(users, k=8), fitted[name].recommend(users, k=8))


@pytest.mark.parametrize("name", MODELS)
def test_shuffled_rows_give_the_same_model(name, shop, fitted, data):
    shuffled = shop.orders.sample(frac=1.0, random_state=7)
    data2 = Interactions.from_frame(shuffled, user="customer_id", item="product_id",
                                    basket="order_id", timestamp="timestamp",
                                    items=shop.items.items)
    users = users_of(data)
    same(fit(make(name), data2, shop.items).recommend(users, k=8),
         fitted[name].recommend(users, k=8))


@pytest.mark.parametrize("name", MODELS)
def test_batch_equals_single(name, fitted, data):
    model = fitted[name]
    users = users_of(data, 6)
    batch = model.recommend(users, k=7)
    for pos, user in enumerate(users.tolist()):
        single = model.recommend(user, k=7)
        assert single.item_ids() == batch.item_ids(pos)
        np.testing.assert_allclose(single.scores[0], batch.scores[pos], rtol=1e-5, equal_nan=True)


@pytest.mark.parametrize("name", MODELS)
def test_lists_are_sorted_unique_and_unpadded(name, fitted, data):
    model = fitted[name]
    recs = model.recommend(users_of(data, 40), k=10)
    for pos in range(len(recs)):
        n = recs.lengths[pos]
        row = recs.item_index[pos, :n]
        assert len(set(row.tolist())) == n
        assert (row >= 0).all() and (recs.item_index[pos, n:] == -1).all()
        scores = recs.scores[pos, :n]
        assert np.isfinite(scores).all()
        assert (np.diff(scores) <= 1e-6).all()


@pytest.mark.parametrize("name", MODELS)
def test_seen_candidates_and_exclude_are_respected(name, fitted, data):
    model = fitted[name]
    users = users_of(data, 20)
    recs = model.recommend(users, k=10, exclude_seen=True)
    default = model.recommend(users, k=10)  # the model's own default: recommends_seen says
    seen = model.seen_
    repeats = 0
    for pos, user in enumerate(users.tolist()):
        history = set(seen[model.users_.to_index([user])[0]].indices.tolist())
        assert not history & set(recs.item_index[pos, : recs.lengths[pos]].tolist())
        repeats += len(history & set(default.item_index[pos, : default.lengths[pos]].tolist()))
    assert (repeats > 0) == model.recommends_seen
    allowed = model.items_.ids[::3][:30].tolist()
    blocked = recs.item_ids(0)[:2]
    limited = model.recommend(users, k=10, candidates=allowed, exclude=blocked)
    got = {i for row in limited.to_dict().values() for i in row}
    assert got <= set(allowed) - set(blocked)
    assert model.recommend(users[:1], k=5, candidates=[]).lengths[0] == 0


@pytest.mark.parametrize("name", MODELS)
def test_k_beyond_the_catalogue_gives_no_fake_items(name, fitted, data):
    model = fitted[name]
    user = users_of(data, 1)[0]
    recs = model.recommend(user, k=len(model.items_) + 50)
    n = recs.lengths[0]
    assert n <= len(model.items_)
    assert len(recs.to_frame()) == n
    assert (recs.item_index[0, n:] == -1).all()


@pytest.mark.parametrize("name", MODELS)
def test_items_without_interactions_are_never_recommended(name, shop):
    catalogue = list(shop.items.items.ids) + ["NEW-1", "NEW-2"]
    data = Interactions.from_frame(shop.orders, user="customer_id", item="product_id",
                                   basket="order_id", timestamp="timestamp", items=catalogue)
    model = fit(make(name), data, shop.items)
    recs = model.recommend(users_of(data, 30), k=len(catalogue), exclude_seen=False)
    got = set(recs.to_frame()["item"])
    assert "NEW-1" not in got and "NEW-2" not in got


@pytest.mark.parametrize("name", MODELS)
def test_unknown_user_policies(name, fitted, data):
    model = fitted[name]
    known = users_of(data, 2).tolist()
    with pytest.raises(UnknownIdError) as err:
        model.recommend(known + [-5, -6], k=5)
    assert err.value.ids == [-5, -6] and err.value.kind == "user"
    assert "on_unknown" in str(err.value) and "-5" in str(err.value)
    skipped = model.recommend(known + [-5], k=5, on_unknown="skip")
    assert skipped.queries.tolist() == known
    fallback = model.recommend(known + [-5], k=5, on_unknown="fallback")
    assert fallback.source.tolist()[-1] == "popularity"
    assert fallback.lengths[-1] == 5
    with pytest.raises(UnknownIdError):
        model.recommend("a string id", k=5)


@pytest.mark.parametrize("name", MODELS)
def test_save_load_round_trip(name, fitted, data, tmp_path):
    model = fitted[name]
    path = tmp_path / f"{name}.npz"
    model.save(path)
    with np.load(path, allow_pickle=False) as npz:  # loads without pickle
        assert "__manifest__" in npz.files
    again = load(path)
    assert type(again) is type(model)
    assert again.get_params(deep=False).keys() == model.get_params(deep=False).keys()
    users = users_of(data, 30)
    same(again.recommend(users, k=10), model.recommend(users, k=10))
    if model.supports_baskets:
        cart = model.items_.ids[np.argsort(-model.item_counts_)[:2]].tolist()
        same(again.recommend_for_basket(cart, k=5), model.recommend_for_basket(cart, k=5))


@pytest.mark.parametrize("name", MODELS)
def test_explain(name, fitted, data):
    model = fitted[name]
    user = users_of(data, 1)[0]
    recs = model.recommend(user, k=3)
    item = recs.item_ids()[0]
    why = model.explain(item, user=user)
    assert why.item == item and why.method and why.source
    assert why.score == pytest.approx(float(recs.scores[0, 0]), rel=1e-4, abs=1e-5)
    assert isinstance(why.contributions, list)
    with pytest.raises(UnknownIdError):
        model.explain("no-such-item", user=user)


@pytest.mark.parametrize("name", MODELS)
def test_basket_behaviour_matches_capability(name, fitted):
    model = fitted[name]
    cart = model.items_.ids[np.argsort(-model.item_counts_, kind="stable")[:2]].tolist()
    if not model.supports_baskets:
        with pytest.raises(UnsupportedError):
            model.recommend_for_basket(cart, k=5)
        return
    one = model.recommend_for_basket(cart, k=5)
    assert not set(one.item_ids()) & set(cart)
    many = model.recommend_for_basket([cart, cart[:1], []], k=5)
    assert many.item_ids(0) == one.item_ids()
    assert many.source[2] == "popularity"
    as_dict = model.recommend_for_basket({"new-customer": cart}, k=5)
    assert as_dict.queries.tolist() == ["new-customer"]
    assert as_dict.item_ids() == one.item_ids()
    with pytest.raises(UnknownIdError):
        model.recommend_for_basket(cart + ["no-such-item"], k=5)
    skipped = model.recommend_for_basket(cart + ["no-such-item"], k=5, on_unknown="skip")
    assert skipped.item_ids() == one.item_ids()


@pytest.mark.parametrize("name", MODELS)
def test_similar_items_matches_capability(name, fitted):
    model = fitted[name]
    item = model.items_.ids[int(np.argmax(model.item_counts_))].item()
    if not model.supports_similar_items:
        with pytest.raises(UnsupportedError):
            model.similar_items(item, k=5)
        return
    recs = model.similar_items([item], k=5)
    assert item not in recs.item_ids()
    assert recs.lengths[0] <= 5

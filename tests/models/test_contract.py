"""The estimator contract beyond the conformance suite, for every registered model: a failed
fit leaves the model unfitted, set_params round-trips exactly, fitted arrays are read-only and
never the caller's, and the registry refuses a second class under a registered name."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
import scipy.sparse as sp

from recsys import REGISTRY, InvalidParameterError, NotFittedError, Recommender, clone
from recsys.models.registry import register

from .test_conformance import MODELS, fit, make, users_of


@pytest.mark.parametrize("name", MODELS)
def test_failed_fit_leaves_the_model_unfitted(name, shop):
    model = fit(make(name), shop.interactions, shop.items)
    assert model.is_fitted
    with mock.patch.object(model, "_fit", side_effect=RuntimeError("disk full")), \
            pytest.raises(RuntimeError, match="disk full"):
        fit(model, shop.interactions, shop.items)
    assert not model.is_fitted
    assert not [key for key in vars(model) if key.endswith("_") and not key.startswith("_")]
    with pytest.raises(NotFittedError):
        model.recommend(users_of(shop.interactions, 2), k=3)
    fit(model, shop.interactions, shop.items)  # and it can be fitted again
    assert len(model.recommend(users_of(shop.interactions, 2), k=3)) == 2


@pytest.mark.parametrize("name", MODELS)
def test_set_params_round_trips_exactly(name):
    model = make(name)
    deep, shallow = model.get_params(deep=True), model.get_params(deep=False)
    twin = clone(model)
    twin.set_params(**deep)
    assert repr(twin.get_params(deep=True)) == repr(deep)
    assert repr(twin.get_params(deep=False)) == repr(shallow)
    untouched = clone(model)
    key = next(iter(shallow))
    untouched.set_params(**{key: shallow[key]})
    assert repr(untouched.get_params(deep=True)) == repr(deep)  # changes only what is given


def _fitted_arrays(model):
    for key, value in vars(model).items():
        if key.endswith("_") and not key.startswith("_"):
            if isinstance(value, np.ndarray):
                yield key, value
            elif sp.issparse(value):
                yield f"{key}.data", value.data
                yield f"{key}.indices", value.indices


@pytest.mark.parametrize("name", MODELS)
def test_fitted_arrays_are_read_only_and_not_the_callers(name, shop):
    data = shop.interactions
    before = data.matrix("user").copy()
    model = fit(make(name), data, shop.items)
    arrays = list(_fitted_arrays(model))
    assert arrays
    for key, array in arrays:
        assert not array.flags.writeable, key
        with pytest.raises(ValueError):
            array[...] = 0
    assert model.seen_ is not data.matrix("user")
    assert not np.shares_memory(model.seen_.data, data.matrix("user").data)
    assert (data.matrix("user") != before).nnz == 0  # the caller's container is as it was


@pytest.mark.parametrize("name", MODELS)
def test_loaded_models_are_read_only_too(name, shop, tmp_path):
    from recsys import load

    model = fit(make(name), shop.interactions, shop.items)
    model.save(tmp_path / "m.npz")
    for key, array in _fitted_arrays(load(tmp_path / "m.npz")):
        assert not array.flags.writeable, key


def test_a_second_class_under_a_registered_name_is_refused():
    original = REGISTRY["ALS"]

    class ALS(Recommender):  # a user's class that happens to share the name
        pass

    with pytest.raises(InvalidParameterError, match="registered already"):
        register(ALS)
    assert REGISTRY["ALS"] is original
    assert register(original) is original  # registering the same class again is harmless


def test_only_the_package_models_join_the_registry_by_themselves():
    before = dict(REGISTRY)

    class UsersModel(Recommender):  # defined outside recsys.models: not registered
        pass

    assert "UsersModel" not in REGISTRY
    with pytest.raises(InvalidParameterError, match="registered already"):
        type("ALS", (Recommender,), {"__module__": "recsys.models.elsewhere"})
    assert before == REGISTRY


def test_register_is_not_public():
    import recsys.models

    assert "register" not in recsys.models.__all__
    assert not hasattr(recsys.models, "register")


@pytest.mark.parametrize("name", MODELS)
def test_the_ranking_api_answers_as_recommend_does(name, shop):
    """``rank``, ``score`` and ``anchors`` (what the campaign, metrics, reasons and Hybrid use)
    agree with the public methods, on internal indices."""
    from recsys.ranking import Filter, Query, TopK

    model = fit(make(name), shop.interactions, shop.items)
    ids = users_of(shop.interactions, 5)
    users = model.users_.to_index(ids)
    top = model.rank(Query.of_users(users), 4, Filter(model.recommendable_, model.seen_, users))
    assert isinstance(top, TopK)
    recs = model.recommend(ids, k=4, exclude_seen=True)
    assert np.array_equal(top.index, recs.item_index)
    assert np.array_equal(top.lengths, recs.lengths)
    scores = model.score(Query.of_users(users))
    assert scores.shape == (5, len(model.items_)) and scores.dtype == np.float32
    assert np.isneginf(scores[:, ~model.recommendable_]).all()
    found = model.anchors(Query.of_users(users), top.index)
    assert found.codes.shape == top.index.shape
    assert set(found.codes.ravel()) <= {"bought_item", "bought_together",
                                        "similar_attributes", "popular"}


def test_a_new_model_is_its_maths(shop):
    """The sketch of docs/interface.md: one scoring hook gives every public method."""
    from recsys._engine.sparse import dense_scores

    class CoCounts(Recommender):
        def _fit(self, data, features):
            binary = (self.seen_ > 0).astype(np.float32)
            self.co_ = (binary.T @ binary).tocsr()

        def _scores(self, query):
            return dense_scores(self._histories(query) @ self.co_)

    model = CoCounts().fit(shop.interactions)
    users = users_of(shop.interactions, 3)
    recs = model.recommend(users, k=5)
    assert (recs.lengths == 5).all()
    seen = {u: set(model.items_.ids[model.seen_rows(model.users_.to_index([u])).indices])
            for u in users}
    assert all(not (set(recs.to_dict()[u]) & seen[u]) for u in users)
    item = model.items_.ids[0].item()
    assert item not in model.recommend_for_basket([item], k=5).item_ids()
    assert item not in model.similar_items(item, k=5).item_ids()
    assert CoCounts.__name__ not in REGISTRY

"""The estimator contract beyond the conformance suite, for every registered model: a failed
fit leaves the model unfitted, set_params round-trips exactly, fitted arrays are read-only and
never the caller's, and the registry refuses a second class under a registered name."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
import scipy.sparse as sp

from recsys import REGISTRY, InvalidParameterError, NotFittedError, Recommender, clone
from recsys.models.base import _register

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
        _register(ALS)
    assert REGISTRY["ALS"] is original
    assert _register(original) is original  # registering the same class again is harmless


def test_register_is_not_public():
    import recsys.models

    assert "register" not in recsys.models.__all__
    assert not hasattr(recsys.models, "register")

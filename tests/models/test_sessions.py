"""Anonymous sessions: a cart whose products weigh less the longer ago they were seen."""

from __future__ import annotations

import numpy as np
import pytest

import recsys
from recsys import InvalidParameterError, UnknownIdError, UnsupportedError
from recsys.testing import same_answers

BASKET_MODELS = [name for name, cls in sorted(recsys.REGISTRY.items())
                 if cls.supports_baskets and name != "Hybrid"]


@pytest.fixture(scope="module")
def fitted(shop):
    return {name: recsys.REGISTRY[name]().fit(shop.interactions, items=shop.items)
            if recsys.REGISTRY[name].uses_item_features
            else recsys.REGISTRY[name]().fit(shop.interactions) for name in BASKET_MODELS}


def _session(model, n=4):
    return model.items_.ids[np.argsort(-model.item_counts_, kind="stable")[:n]].tolist()


@pytest.mark.parametrize("name", BASKET_MODELS)
def test_without_decay_a_session_is_a_cart(fitted, name):
    model = fitted[name]
    session = _session(model)
    same_answers(model.recommend_for_session(session, k=6, decay=1.0),
                 model.recommend_for_basket(session, k=6))


def test_with_a_steep_decay_the_newest_product_decides(fitted):
    model = fitted["ItemKNN"]
    session = _session(model)
    newest = session[-1]
    got = model.recommend_for_session(session, k=5, decay=1e-6).item_ids()
    like = [i for i in model.similar_items(newest, k=20).item_ids() if i not in session][:5]
    assert got == like


def test_order_matters_and_the_session_is_left_out(fitted):
    model = fitted["ItemKNN"]
    session = _session(model)
    forward = model.recommend_for_session(session, k=8).item_ids()
    backward = model.recommend_for_session(session[::-1], k=8).item_ids()
    assert forward != backward
    assert not set(forward) & set(session)
    repeated = model.recommend_for_session(session + [session[0]], k=8).item_ids()
    assert repeated == model.recommend_for_session(session[1:] + [session[0]], k=8).item_ids()


def test_unknown_products_and_bad_parameters(fitted):
    model = fitted["ItemKNN"]
    session = _session(model) + ["never-sold"]
    assert len(model.recommend_for_session(session, k=3).item_ids()) == 3
    with pytest.raises(UnknownIdError):
        model.recommend_for_session(session, k=3, on_unknown="raise")
    with pytest.raises(InvalidParameterError) as error:
        model.recommend_for_session(session, k=3, decay=0)
    assert error.value.param == "decay"
    many = model.recommend_for_session({"s1": session[:2], "s2": []}, k=3)
    assert many.queries.tolist() == ["s1", "s2"] and many.source[1] == "popularity"


def test_a_model_without_carts_refuses_sessions(shop):
    unsupported = [cls for cls in recsys.REGISTRY.values() if not cls.supports_baskets]
    if not unsupported:
        pytest.skip("every model scores carts")
    model = unsupported[0]().fit(shop.interactions)
    with pytest.raises(UnsupportedError, match="sessions"):
        model.recommend_for_session(["P0001"], k=3)

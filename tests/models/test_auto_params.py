"""Defaults read from the data (``"auto"``): the formulas, their invariances, the fitted values
and their round trip through a model file, and the quality they buy on small shops."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import recsys
from recsys.evaluation.split import temporal_split
from recsys.exceptions import InvalidParameterError
from recsys.models.auto_params import als_scale, ease_l2, knn_k


def _matrix(seed: int, users: int, items: int, density: float, scale: float) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    m = sp.random(users, items, density=density, random_state=rng, format="csr",
                  dtype=np.float64)
    m.data = np.ceil(m.data * 4) * scale
    return m


shapes = st.tuples(st.integers(0, 10_000), st.integers(2, 60), st.integers(2, 60),
                   st.floats(0.05, 1.0), st.floats(0.01, 100.0))


@settings(max_examples=60, deadline=None)
@given(shapes, st.floats(0.1, 10.0))
def test_formulas_do_not_depend_on_the_unit_of_the_weights(shape, unit):
    m = _matrix(*shape)
    if m.nnz == 0:
        return
    l2, scaled_l2 = ease_l2(m), ease_l2(m * unit)
    assert scaled_l2 == pytest.approx(l2 * unit**2, rel=1e-6)  # l2 moves with the Gram matrix
    (reg, alpha), (scaled_reg, scaled_alpha) = als_scale(m), als_scale(m * unit)
    assert scaled_reg == pytest.approx(reg)  # a purchase's confidence is the same
    assert scaled_alpha * unit == pytest.approx(alpha, rel=1e-6)


@settings(max_examples=60, deadline=None)
@given(shapes)
def test_formulas_give_usable_values_on_any_shape(shape):
    m = _matrix(*shape)
    l2 = ease_l2(m)
    reg, alpha = als_scale(m)
    assert np.isfinite(l2) and l2 > 0
    assert 10.0 <= reg <= 500.0 and np.isfinite(alpha) and alpha > 0
    assert 1 <= knn_k(m.shape[1]) <= 500


def test_values_grow_with_the_data():
    small, large = _matrix(0, 300, 50, 0.1, 1.0), _matrix(0, 30_000, 50, 0.1, 1.0)
    assert ease_l2(large) > 5 * ease_l2(small)
    assert als_scale(large)[0] > 5 * als_scale(small)[0]
    assert knn_k(100) == 100 and knn_k(400) == 200 and knn_k(50_000) == 500
    assert [knn_k(n) for n in range(1, 3000)] == sorted(knn_k(n) for n in range(1, 3000))


@pytest.mark.parametrize(("model", "param", "fitted"), [
    (recsys.EASE(), "l2", "l2_"), (recsys.ALS(factors=8, iterations=3), "alpha", "alpha_"),
    (recsys.ALS(factors=8, iterations=3), "regularization", "regularization_"),
    (recsys.ItemKNN(), "k", "k_")])
def test_auto_is_resolved_at_fit_and_kept_in_the_file(tmp_path, model, param, fitted):
    data = recsys.make_shop(n_customers=300, n_products=40, seed=1).interactions
    model.fit(data)
    assert getattr(model, param) == "auto"
    value = getattr(model, fitted)
    assert value > 0
    explicit = type(model)(**{**model.get_params(), param: value}).fit(data)
    assert getattr(explicit, fitted) == value
    model.save(tmp_path / "m.npz")
    loaded = recsys.load(tmp_path / "m.npz")
    assert getattr(loaded, fitted) == pytest.approx(value)
    users = data.users.ids[:20]
    assert loaded.recommend(users, k=5).to_frame().equals(model.recommend(users, k=5).to_frame())


@pytest.mark.parametrize("model", [recsys.EASE, recsys.ALS, recsys.ItemKNN])
def test_a_word_other_than_auto_is_refused_by_name(model):
    param = {"EASE": "l2", "ALS": "alpha", "ItemKNN": "k"}[model.__name__]
    with pytest.raises(InvalidParameterError, match=f"{param} must be a number or 'auto'"):
        model(**{param: "automatic"}).fit(recsys.make_shop(n_customers=50, n_products=10,
                                                           seed=0).interactions)


def test_als_fold_in_uses_the_fitted_scale():
    data = recsys.make_shop(n_customers=300, n_products=40, seed=2).interactions
    model = recsys.ALS(factors=8, iterations=3).fit(data)
    user = data.users.ids[0]
    basket = data.to_frame().query("user_id == @user")["item_id"].tolist()
    known = model.recommend([user], k=5, exclude_seen=True).to_frame()["item"].tolist()
    folded = model.recommend_for_basket([basket], k=5).to_frame()["item"].tolist()
    assert known == folded  # a history folded in answers as the customer's own row


@pytest.mark.parametrize("shop", [
    lambda: recsys.make_shop(n_customers=1000, n_products=100, seed=3),
    lambda: recsys.make_grocery(seed=0)])
def test_default_als_is_near_popularity_or_above_on_small_catalogues(shop):
    """implicit's classic regularization=0.01, alpha=1 scored a fifth (100 products) and a
    fifteenth (grocery) of these."""
    train, test = temporal_split(shop().interactions, last_days=45)
    table = recsys.evaluate({"pop": recsys.Popularity(), "als": recsys.ALS(),
                             "classic": recsys.ALS(regularization=0.01, alpha=1.0)},
                            train, test, k=10, metrics=["ndcg"], n_bootstrap=0)
    score = dict(zip(table["model"], table["value"], strict=True))
    assert score["als"] >= 0.9 * score["pop"]
    assert score["als"] >= 2 * score["classic"]

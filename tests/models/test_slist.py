"""SLIST: its inputs against a loop over each customer's steps, its weights against the
optimality conditions of the problem they solve, and its behaviour on small logs (carts and
the small shop: test_sequential.py, shared with SequentialRules)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import recsys
from recsys import EASE, SLIST, Interactions
from recsys.models.sequential import purchase_order
from recsys.models.slist import purchase_steps, sequence_inputs, slist_weights
from recsys.testing import ModelContract
from tests.models.test_sequential import _log  # one dated purchase a day per customer

logs = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 7), st.integers(0, 6)),
                min_size=2, max_size=40)


def _frame_data(rows) -> tuple[pd.DataFrame, Interactions]:
    frame = pd.DataFrame(rows, columns=["user", "item", "t"])
    frame["item"] = "p" + frame["item"].astype(str)
    frame["when"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(frame["t"], unit="h")
    return frame, Interactions.from_frame(frame, user="user", item="item", timestamp="when")


def _reference_inputs(frame, data, window, horizon, decay):
    """(past, future) rows of every step, by a loop over each customer's distinct times."""
    item = data.items.to_index(frame["item"].to_numpy())
    user = data.users.to_index(frame["user"].to_numpy())
    times = frame["t"].to_numpy()
    past, future = [], []
    for u in np.unique(user):
        moments = np.unique(times[user == u])
        baskets = [np.zeros(data.n_items) for _ in moments]
        for m, moment in enumerate(moments):
            baskets[m][np.unique(item[(user == u) & (times == moment)])] = 1.0
        for s in range(len(moments)):
            past.append(sum((decay ** (g - 1) * baskets[s - g] for g in range(1, window + 1)
                             if s - g >= 0), np.zeros(data.n_items)))
            future.append(sum((decay ** f * baskets[s + f] for f in range(horizon)
                               if s + f < len(moments)), np.zeros(data.n_items)))
    return np.array(past), np.array(future)


@settings(max_examples=60, deadline=None)
@given(rows=logs, window=st.integers(1, 5), horizon=st.integers(1, 4),
       decay=st.sampled_from([0.5, 0.8, 1.0]))
def test_step_inputs_match_a_loop(rows, window, horizon, decay):
    frame, data = _frame_data(rows)
    users, items, when = purchase_order(data)
    steps, customer = purchase_steps(users, items, when, data.n_items)
    past, future = sequence_inputs(steps, customer, window, horizon, decay)
    want_past, want_future = _reference_inputs(frame, data, window, horizon, decay)
    # the same steps in the same order: each customer's, by time
    np.testing.assert_allclose(past.toarray(), want_past)
    np.testing.assert_allclose(future.toarray(), want_future)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), alpha=st.sampled_from([0.0, 0.3, 1.0]),
       l2=st.sampled_from([0.5, 5.0, 50.0]))
def test_weights_meet_the_optimality_conditions(seed, alpha, l2):
    """The gradient of the objective vanishes off the diagonal, and the diagonal is zero:
    the conditions of the constrained minimum, checked without the solver's formula."""
    rng = np.random.default_rng(seed)
    X = sp.csr_matrix((rng.random((12, 6)) < 0.4).astype(float))
    past = sp.csr_matrix(rng.random((15, 6)) * (rng.random((15, 6)) < 0.5))
    future = sp.csr_matrix((rng.random((15, 6)) < 0.4).astype(float))
    B = slist_weights(X, past, future, alpha, l2).astype(np.float64)
    Xd, Pd, Fd = X.toarray(), past.toarray(), future.toarray()
    gradient = (alpha * Xd.T @ (Xd @ B - Xd) + (1 - alpha) * Pd.T @ (Pd @ B - Fd) + l2 * B)
    off = ~np.eye(6, dtype=bool)
    np.testing.assert_allclose(gradient[off], 0.0, atol=1e-4)
    assert (np.diag(B) == 0).all()


def test_large_catalogues_solve_in_float32_to_the_same_weights(monkeypatch):
    rng = np.random.default_rng(5)
    X = sp.csr_matrix((rng.random((40, 9)) < 0.4).astype(float))
    past = sp.csr_matrix(rng.random((50, 9)) * (rng.random((50, 9)) < 0.5))
    future = sp.csr_matrix((rng.random((50, 9)) < 0.4).astype(float))
    exact = slist_weights(X, past, future, 0.4, 3.0)
    monkeypatch.setattr("recsys.models.slist.EXACT_ITEMS", 4)  # 9 products: float32 path
    np.testing.assert_allclose(slist_weights(X, past, future, 0.4, 3.0), exact, atol=1e-4)


def test_sparse_and_dense_products_give_the_same_weights(monkeypatch):
    rng = np.random.default_rng(6)
    X = sp.csr_matrix((rng.random((40, 9)) < 0.4).astype(float))
    past = sp.csr_matrix(rng.random((50, 9)) * (rng.random((50, 9)) < 0.5))
    future = sp.csr_matrix((rng.random((50, 9)) < 0.4).astype(float))
    monkeypatch.setattr("recsys.models.slist.DENSE_SHARE", 0.0)
    dense = slist_weights(X, past, future, 0.4, 3.0)
    monkeypatch.setattr("recsys.models.slist.DENSE_SHARE", 2.0)
    np.testing.assert_allclose(slist_weights(X, past, future, 0.4, 3.0), dense, atol=1e-6)


def test_alpha_one_is_ease(shop):
    slist = SLIST(alpha=1.0, l2=80.0, history_half_life=None).fit(shop.interactions)
    ease = EASE(l2=80.0).fit(shop.interactions)
    np.testing.assert_allclose(slist.weights_, ease.weights_, atol=2e-5)
    users = shop.interactions.users.ids[:20]
    mine, theirs = slist.recommend(users, k=5), ease.recommend(users, k=5)
    assert [mine.item_ids(i) for i in range(20)] == [theirs.item_ids(i) for i in range(20)]
    np.testing.assert_allclose(mine.scores, theirs.scores, atol=1e-4)


def test_what_follows_the_newest_purchase_comes_first():
    sequences = {f"c{i}": ["a", "b"] for i in range(6)} | {f"d{i}": ["x", "y"] for i in range(6)}
    data = _log({**sequences, "a_last": ["x", "a"], "x_last": ["a", "x"]})
    model = SLIST(alpha=0.0, l2=1.0, window=1, horizon=1, history_half_life=1.0).fit(data)
    assert model.recommend(["a_last"], k=1).item_ids(0) == ["b"]
    assert model.recommend(["x_last"], k=1).item_ids(0) == ["y"]
    a, b = model.items_.to_index(["a", "b"])
    assert model.weights_[a, b] > 0.5 > abs(model.weights_[b, a])  # the order is learnt
    explanation = model.explain("b", user="a_last")
    assert explanation.method == "bought with or after"
    assert explanation.contributions[0][0] == "a"


def test_a_basket_has_no_order_and_row_order_does_not_matter():
    frame = pd.DataFrame({"user": list("aaabbbccc"), "item": ["tea", "cup", "pot"] * 3,
                          "order": [1, 1, 2, 3, 3, 4, 5, 6, 6]})
    first = SLIST(l2=1.0).fit(Interactions.from_frame(frame, user="user", item="item",
                                                      basket="order"))
    shuffled = frame.sample(frac=1.0, random_state=1)
    again = SLIST(l2=1.0).fit(Interactions.from_frame(shuffled, user="user", item="item",
                                                      basket="order"))
    np.testing.assert_allclose(again.weights_, first.weights_, atol=1e-6)


def test_newer_purchases_count_more(shop):
    model = SLIST(l2=50.0, history_half_life=1.0).fit(shop.interactions)
    rows = model.history_
    assert np.isclose(rows.max(axis=1).toarray(), 1.0).all()  # each customer's newest: 1
    alike = SLIST(l2=50.0, history_half_life=None).fit(shop.interactions)
    assert (alike.history_.data == 1.0).all()


def test_a_catalogue_above_max_items_is_refused_before_the_solve(shop):
    with pytest.raises(recsys.InvalidParameterError, match="max_items"):
        SLIST(max_items=10).fit(shop.interactions)


@pytest.mark.parametrize("param, value", [("alpha", -0.1), ("alpha", 1.5), ("l2", 0.0),
                                          ("window", 0), ("horizon", 0), ("gap_decay", 0.0),
                                          ("history_half_life", 0.0), ("neighbors", 0)])
def test_bad_parameters_are_refused_by_name(shop, param, value):
    with pytest.raises(recsys.InvalidParameterError, match=param):
        SLIST(**{param: value}).fit(shop.interactions)


class TestSLISTContract(ModelContract):
    model = SLIST
    variants = [{"l2": 50.0},
                {"l2": "auto", "alpha": 0.0, "history_half_life": None, "neighbors": 10}]

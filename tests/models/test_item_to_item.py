"""RP3beta and EASE against direct numpy computations of their formulas."""

from __future__ import annotations

import numpy as np
import pytest

from recsys import EASE, RP3beta


def _dense_rp3(X: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    binary = (X > 0).astype(float)
    p_ui = binary / binary.sum(axis=1, keepdims=True)
    p_iu = binary.T / binary.T.sum(axis=1, keepdims=True)
    W = (p_iu ** alpha) @ (p_ui ** alpha)
    W = W / binary.sum(axis=0)[None, :] ** beta
    np.fill_diagonal(W, 0.0)
    return W


@pytest.mark.parametrize("alpha, beta", [(1.0, 0.5), (0.7, 0.0), (1.3, 0.9)])
def test_rp3beta_matches_the_formula(shop, alpha, beta):
    data = shop.interactions
    model = RP3beta(alpha=alpha, beta=beta, k=10_000).fit(data)
    X = data.matrix("user").toarray()
    active = X.sum(axis=0) > 0
    expected = np.zeros((X.shape[1], X.shape[1]))
    rows = X[X.sum(axis=1) > 0][:, active]
    expected[np.ix_(active, active)] = _dense_rp3(rows, alpha, beta)
    np.testing.assert_allclose(model.similarity_.toarray(), expected, rtol=2e-5, atol=1e-8)


def assert_keeps_the_strongest(full: np.ndarray, pruned, k: int, every: int) -> None:
    """``pruned`` (CSR) holds at most ``k`` cells a row, each row's largest of ``full`` with
    their values (rows checked: every ``every``-th)."""
    assert (np.diff(pruned.indptr) <= k).all()
    for row in range(0, full.shape[0], every):
        kept = pruned[row].indices
        if len(kept):
            assert full[row, kept].min() >= np.sort(full[row])[-k] - 1e-7
            np.testing.assert_allclose(pruned[row].data, full[row, kept], rtol=1e-6)


def test_rp3beta_keeps_each_products_k_strongest_links(shop):
    full = RP3beta(k=10_000).fit(shop.interactions).similarity_.toarray()
    pruned = RP3beta(k=5).fit(shop.interactions).similarity_
    assert_keeps_the_strongest(full, pruned, k=5, every=7)


def test_ease_matches_the_closed_form(shop):
    data = shop.interactions
    X = (data.matrix("user").toarray() > 0).astype(float)
    active = X.sum(axis=0) > 0
    G = X[:, active].T @ X[:, active] + 50.0 * np.eye(int(active.sum()))
    P = np.linalg.inv(G)
    B = P / -np.diag(P)
    np.fill_diagonal(B, 0.0)
    model = EASE(l2=50.0).fit(data)
    np.testing.assert_allclose(model.weights_[np.ix_(active, active)], B, atol=1e-6)


def test_ease_in_single_precision_beyond_the_exact_size(shop, monkeypatch):
    import recsys.models.ease as ease

    exact = EASE(l2=50.0).fit(shop.interactions).weights_
    monkeypatch.setattr(ease, "EXACT_ITEMS", 10)
    single = EASE(l2=50.0).fit(shop.interactions).weights_
    np.testing.assert_allclose(single, exact, atol=1e-5)


def test_ease_neighbors_keep_the_strongest_weights(shop):
    dense = EASE(l2=50.0).fit(shop.interactions).weights_
    pruned = EASE(l2=50.0, neighbors=6).fit(shop.interactions).weights_
    assert (np.diff(pruned.indptr) <= 6).all()
    for row in range(0, dense.shape[0], 5):
        kept = pruned[row].indices
        if len(kept):
            np.testing.assert_allclose(pruned[row].data, dense[row, kept], rtol=1e-6)
            assert dense[row, kept].min() >= np.sort(dense[row])[-6] - 1e-7

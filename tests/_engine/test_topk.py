"""The shared top-k equals a full stable sort, ties by index, never padded."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from recsys._engine.sparse import topk


@settings(max_examples=200)
@given(hnp.arrays(np.float32, st.tuples(st.integers(1, 6), st.integers(1, 30)),
                  elements=st.sampled_from([0.0, 1.0, 2.0, -1.5, 3.25, -np.inf, np.nan])),
       st.integers(1, 35))
def test_topk_equals_full_stable_sort(scores, k):
    expected_rows = []
    for row in scores:
        clean = np.where(np.isnan(row), -np.inf, row)
        order = np.argsort(-clean, kind="stable")
        order = [i for i in order if clean[i] > -np.inf][:k]
        expected_rows.append(order)
    idx, vals, lengths = topk(scores.copy(), k)
    assert idx.shape == (len(scores), k)
    for r, expected in enumerate(expected_rows):
        assert lengths[r] == len(expected)
        assert idx[r, : lengths[r]].tolist() == expected
        assert (idx[r, lengths[r]:] == -1).all()
        assert np.isnan(vals[r, lengths[r]:]).all()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), rows=st.integers(0, 6), density=st.floats(0.0, 0.6))
def test_dense_product_and_unit_rows_match_scipy(seed, rows, density):
    import scipy.sparse as sp

    from recsys._engine.sparse import dense_product, unit_sparse_rows

    left = sp.random(rows, 12, density=density, format="csr", random_state=seed)
    right = sp.random(12, 9, density=density, format="csr", random_state=seed + 1)
    got = dense_product(left, right)
    assert got.dtype == np.float64 and got.shape == (rows, 9)
    np.testing.assert_allclose(got, (left @ right).toarray(), rtol=1e-12, atol=1e-12)
    norms = np.sqrt((left.toarray() ** 2).sum(axis=1, keepdims=True))
    expected = np.divide(left.toarray(), norms, out=np.zeros((rows, 12)), where=norms > 0)
    np.testing.assert_allclose(unit_sparse_rows(left).toarray(), expected, rtol=1e-6)

"""The ranking engine: its types, its dense and sparse paths, and the fast CSR helpers."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import recsys
from recsys._engine.sparse import csr, take_rows
from recsys.models.rules import FEW_CELLS
from recsys.ranking import Anchors, Filter, Query, TopK, rank_scores

scores_strategy = hnp.arrays(
    np.float32, st.tuples(st.integers(1, 40), st.integers(1, 25)),
    elements=st.sampled_from([0.5, 1.0, 2.0, -1.0, 3.0, -np.inf]))


@settings(max_examples=150, deadline=None)
@given(scores_strategy, st.integers(1, 30), st.data())
def test_dense_and_sparse_paths_agree(scores, k, data):
    """The same scores ranked as a dense array and as CSR (stored = finite) give one answer,
    under the same filter, in chunks or not."""
    n, m = scores.shape
    allowed = np.array(data.draw(st.lists(st.booleans(), min_size=m, max_size=m)))
    blocked = sp.random(n, m, density=0.2, format="csr", random_state=int(scores.sum() != 0))
    filt = Filter(allowed, blocked)
    query = Query.of_users(np.arange(n))
    dense = rank_scores(lambda q: scores[q.users].copy(), query, k, filt, m)

    def sparse(q):
        rows = np.isfinite(scores[q.users])
        r, c = np.nonzero(rows)
        return sp.csr_matrix((scores[q.users][r, c], (r, c)), shape=(len(q), m))

    sparse_answer = rank_scores(sparse, query, k, filt, m)
    assert np.array_equal(dense.index, sparse_answer.index)
    assert np.array_equal(dense.lengths, sparse_answer.lengths)
    with patch("recsys.ranking.chunk_rows", lambda n_cols: 3):  # many small chunks
        chunked = rank_scores(lambda q: scores[q.users].copy(), query, k, filt, m)
    assert np.array_equal(chunked.index, dense.index)


def test_filter_rows_stay_lazy_and_gather_the_right_cells():
    matrix = sp.csr_matrix(np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]], np.float32))
    filt = Filter(np.ones(3, bool), matrix, np.array([2, 0]))
    assert filt.cells().toarray().tolist() == [[1, 1, 0], [1, 0, 1]]
    assert filt.take(slice(1, 2)).cells().toarray().tolist() == [[1, 0, 1]]
    scores = np.zeros((2, 3), np.float32)
    filt.mask(scores)
    assert np.isinf(scores).tolist() == [[True, True, False], [True, False, True]]
    whole = Filter(np.ones(3, bool), matrix)
    assert whole.take(slice(0, 3)).blocked is matrix  # no copy for every row


def test_query_kinds_and_sub_queries():
    histories = sp.csr_matrix(np.eye(3, dtype=np.float32))
    assert Query.of_users([4, 5]).kind == "users"
    assert Query.of_histories(histories).kind == "histories"
    assert Query.of_items([1]).kind == "items"
    assert len(Query.of_histories(histories).take(np.array([2, 0]))) == 2
    assert Query.of_items([7, 8, 9]).take(slice(1, 3)).items.tolist() == [8, 9]
    empty = TopK.empty(2, 3)
    assert empty.index.tolist() == [[-1] * 3] * 2 and empty.lengths.tolist() == [0, 0]
    assert Anchors.popular((1, 2)).codes.tolist() == [["popular", "popular"]]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 12), st.integers(1, 9), st.data())
def test_fast_csr_and_take_rows_equal_scipy(n_rows, n_cols, data):
    dense = data.draw(hnp.arrays(np.float32, (n_rows, n_cols),
                                 elements=st.sampled_from([0.0, 1.0, 2.5])))
    matrix = sp.csr_matrix(dense)
    fast = csr(matrix.data, matrix.indices, matrix.indptr, matrix.shape)
    assert (fast != matrix).nnz == 0 and fast.shape == matrix.shape
    rows = np.array(data.draw(st.lists(st.integers(0, max(n_rows - 1, 0)),
                                       max_size=8 if n_rows else 0)), np.int64)
    assert np.array_equal(take_rows(matrix, rows).toarray(), dense[rows])
    if n_rows > 2:  # a run of rows shares the arrays and still reads right
        assert np.array_equal(take_rows(matrix, np.arange(1, n_rows)).toarray(), dense[1:])


@pytest.fixture(scope="module")
def rules_model():
    shop = recsys.make_shop(n_customers=400, n_products=60, seed=3)
    return recsys.AssociationRules(min_support=0.004, min_confidence=0.05).fit(shop.interactions)


def test_rules_fire_the_same_by_gathering_and_by_product(rules_model):
    """Few cells are fired by gathering, many by a sparse product: the same rules fire."""
    histories = take_rows(rules_model.history_, np.arange(150))
    assert histories.nnz > FEW_CELLS  # the product path
    whole = rules_model._fired(histories)
    by_row = [rules_model._fired(take_rows(histories, [r])) for r in range(150)]
    expected = sorted((int(r), int(c)) for r, c in zip(whole.row, whole.col, strict=True))
    got = sorted((row, int(c)) for row, f in enumerate(by_row) for c in f.col)
    assert got == expected and len(expected) > 0

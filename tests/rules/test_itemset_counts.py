"""Counting given itemsets and their extensions in baskets, against brute force."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recsys.rules import counts

N_ITEMS = 9
basket = st.lists(st.integers(0, N_ITEMS - 1), min_size=1, max_size=6, unique=True)
itemset = st.lists(st.integers(0, N_ITEMS - 1), min_size=1, max_size=3, unique=True)


def matrix_of(baskets, n_items=N_ITEMS):
    rows = np.repeat(np.arange(len(baskets)), [len(b) for b in baskets])
    cols = np.concatenate([sorted(b) for b in baskets])
    out = sp.csr_matrix((np.ones(len(rows), np.int8), (rows, cols)),
                        shape=(len(baskets), n_items))
    out.sort_indices()
    return out


@pytest.fixture(params=[counts.CELLS, 3], ids=["one chunk", "tiny chunks"])
def cells(request, monkeypatch):
    monkeypatch.setattr(counts, "CELLS", request.param)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # the patch holds
@given(st.lists(basket, min_size=1, max_size=30), st.lists(itemset, min_size=1, max_size=8),
       st.booleans())
def test_counts_and_weights_equal_brute_force(cells, baskets, itemsets, weighted):
    """Every itemset's baskets (or their summed weights), in one chunk or many."""
    width = max(len(s) for s in itemsets)
    itemsets = [s for s in itemsets if len(s) == width]
    members = np.sort(np.array(itemsets, np.int32), axis=1)
    weights = np.linspace(0.5, 2.0, len(baskets)) if weighted else None
    got = counts.count_itemsets(matrix_of(baskets), members, weights=weights)
    held = [[set(s) <= set(b) for b in baskets] for s in itemsets]
    expected = [sum(w for h, w in zip(row, weights if weighted else [1] * len(baskets),
                                      strict=True) if h) for row in held]
    np.testing.assert_allclose(got, expected)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # the patch holds
@given(st.lists(basket, min_size=1, max_size=30), st.lists(itemset, min_size=1, max_size=6),
       st.integers(1, 4))
def test_extensions_equal_brute_force(cells, baskets, grown, min_count):
    """Every Y + c held by a basket (c counted min_count times, not in Y), once, counted."""
    width = max(len(s) for s in grown)
    grown = np.unique(np.sort(np.array([s for s in grown if len(s) == width], np.int32),
                              axis=1), axis=0)
    matrix = matrix_of(baskets)
    item_counts = np.bincount(matrix.indices, minlength=N_ITEMS)
    members, found = counts.extensions(counts.Columns(matrix), grown, item_counts, min_count)
    expected = {}
    for y in grown.tolist():
        for c in range(N_ITEMS):
            if c in y or item_counts[c] < min_count:
                continue
            held = sum(set(y) | {c} <= set(b) for b in baskets)
            if held:
                expected[tuple(sorted(y + [c]))] = held
    assert {tuple(m): int(n) for m, n in zip(members.tolist(), found.tolist(),
                                              strict=True)} == expected
    assert len(members) == len(expected)  # each once
    keys = counts.keys(members, N_ITEMS)
    assert (np.diff(keys) > 0).all()  # rows sorted


def test_unsorted_baskets_are_counted_as_sets():
    """A matrix with unsorted rows and repeated cells counts each basket once."""
    matrix = sp.csr_matrix((np.ones(5), np.array([3, 1, 3, 2, 1]), np.array([0, 3, 5])),
                           shape=(2, 4))
    matrix.has_sorted_indices = False
    got = counts.count_itemsets(matrix, np.array([[1, 3], [1, 2]], np.int32))
    assert got.tolist() == [1, 1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(basket, min_size=1, max_size=8), min_size=1, max_size=5),
       st.integers(1, 3), st.data())
def test_an_extended_index_finds_the_same_baskets(batches, max_segments, draw):
    """Baskets added in batches, old items moving up when new ones arrive, segments merged
    when too many: every item's baskets are those of an index built on all at once."""
    seen_items = sorted({i for b in batches[0] for i in b})
    baskets = [[seen_items.index(i) for i in b] for b in batches[0]]
    index = counts.Columns(matrix_of(baskets, len(seen_items))).build()
    for batch in batches[1:]:
        items = sorted(set(seen_items) | {i for b in batch for i in b})
        position = np.array([items.index(i) for i in seen_items])
        baskets = [[items.index(seen_items[i]) for i in b] for b in baskets]
        baskets += [[items.index(i) for i in b] for b in batch]
        seen_items = items
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(counts, "MAX_SEGMENTS", max_segments)
            index = index.extended(matrix_of(baskets, len(items)), len(batch), position)
    wanted = np.array(draw.draw(st.lists(st.integers(0, len(seen_items) - 1), min_size=1,
                                         unique=True)))
    expected = [r for r, b in enumerate(baskets) if set(b) & set(wanted.tolist())]
    assert index.rows_holding(wanted).tolist() == expected

"""Exact itemset updates: after new baskets, the same itemsets and counts as a full mine."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from recsys.data.idmap import IdMap
from recsys.rules import incremental as inc
from recsys.rules.counts import count_itemsets
from recsys.rules.mining import mine, support_count


def matrix_of(baskets, n_items):
    rows = np.repeat(np.arange(len(baskets)), [len(set(b)) for b in baskets])
    cols = np.concatenate([sorted(set(b)) for b in baskets]) if baskets else np.empty(0)
    out = sp.csr_matrix((np.ones(len(rows), np.int8), (rows, cols.astype(np.int64))),
                        shape=(len(baskets), n_items))
    out.sort_indices()
    return out


def as_dict(levels):
    return {tuple(row): int(c) for members, counts in levels
            for row, c in zip(members.tolist(), counts.tolist(), strict=True)}


basket = st.lists(st.integers(0, 11), min_size=1, max_size=7)


@settings(max_examples=150, deadline=None)
@given(st.lists(basket, min_size=1, max_size=40),
       st.lists(st.lists(basket, min_size=1, max_size=12), min_size=1, max_size=4),
       st.sampled_from([0.05, 0.1, 0.2, 0.3]), st.sampled_from([None, 2, 3]),
       st.integers(1, 6))
# tracked after a mine: [1, 2, 3] (frequent prefix in count order, {3, 1}, not in index
# order, {1, 2}), and new baskets in which a non-candidate holds only frequent items
@example(first=[[0]] * 6 + [[1, 3], [2, 3], [1, 2, 3]], increments=[[[0], [1, 2, 3]]],
         min_support=0.2, max_len=None, floor=1)
def test_updates_equal_a_full_mine(first, increments, min_support, max_len, floor):
    """Any baskets, any series of increments, any floor: each update's itemsets and counts
    equal mining all the baskets so far."""
    check_updates(first, increments, min_support, max_len, floor, 12)


@settings(max_examples=40, deadline=None)
@given(st.lists(basket, min_size=4, max_size=30),
       st.lists(st.lists(basket, min_size=1, max_size=8), min_size=1, max_size=3),
       st.sampled_from([0.1, 0.2]), st.integers(1, 3))
def test_updates_with_itemsets_keyed_by_bytes(first, increments, min_support, floor):
    """The same over 40,000 items, where itemsets of 5 and more are keyed by their bytes."""
    check_updates(first, increments, min_support, None, floor, 40_000, spread=3_333)


def check_updates(first, increments, min_support, max_len, floor, n_items, spread=1):
    first = [[i * spread for i in b] for b in first]
    increments = [[[i * spread for i in b] for b in more] for more in increments]
    items = IdMap(np.arange(n_items))
    so_far = list(first)
    t = support_count(min_support, len(so_far))
    _, summary = inc.start(matrix_of(so_far, n_items), items, t, max_len, 2**30,
                           floor=min(floor, t))
    for more in increments:
        so_far += more
        t = support_count(min_support, len(so_far))
        if summary.slack >= t:
            return  # the model mines again here; nothing left to compare
        summary = inc.update(summary, matrix_of(so_far, n_items), len(more), t, max_len)
        full = mine(matrix_of(so_far, n_items), items, t, max_len)
        assert as_dict(summary.frequent(t)) == as_dict(full.levels)
        # every tracked count is exact too
        tracked = as_dict(summary.tables)
        if tracked:
            members = [np.array(list(k))[None] for k in tracked]
            exact = [int(count_itemsets(matrix_of(so_far, n_items), m)[0]) for m in members]
            assert list(tracked.values()) == exact

"""Counting given itemsets in a basket matrix: the reads an exact update needs.

Baskets are a binary CSR (rows sorted); itemsets are (n, k) int32 rows of ascending item
indices. Every function works on all itemsets at once (gathers, sorts and binary searches),
in chunks of itemsets that bound the memory held (:data:`CELLS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._arrays import budget_ranges, in_sorted, locate


def keys(members: np.ndarray, n_items: int) -> np.ndarray:
    """Rows of item indices below ``n_items`` as single comparable values, ordered as the rows
    are (lexicographically): int64 digits in base ``n_items`` where they fit, else bytes."""
    width = members.shape[1]
    if float(max(n_items, 2)) ** width < 2.0**62:
        out = np.zeros(len(members), np.int64)
        for column in range(width):  # a loop over positions in an itemset
            out *= n_items
            out += members[:, column]
        return out
    rows = np.ascontiguousarray(members, dtype=">i4")
    return rows.view(f"V{4 * width}").ravel()


# (basket, itemset) pairs and extension cells held at once: about 40 bytes each
CELLS = 1_000_000


@dataclass
class _Holding:
    """The baskets holding some itemsets: the candidate rows (ascending), their items laid
    end to end (``items``, row ``r`` at ``offsets[r]`` for ``widths[r]``), and every (row,
    itemset) pair where the row holds the whole itemset (``row`` local to ``rows``)."""

    rows: np.ndarray
    items: np.ndarray
    offsets: np.ndarray
    widths: np.ndarray
    row: np.ndarray
    which: np.ndarray


def _spread(starts: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """The positions ``starts[i] .. starts[i] + widths[i] - 1`` of every i, end to end."""
    ends = np.cumsum(widths)
    return np.repeat(starts - (ends - widths), widths) + np.arange(int(ends[-1]) if len(ends)
                                                                 else 0)


class Columns:
    """The baskets holding each item (the CSC of a basket matrix), built on first use: one
    pass over the baskets however many look-ups follow."""

    def __init__(self, baskets: sp.csr_matrix):
        self.baskets = baskets
        self._csc: sp.csc_matrix | None = None

    def entries(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(basket row, item) of every basket holding one of ``items`` (distinct), by row."""
        if self._csc is None:
            self._csc = self.baskets.tocsc()
        starts = self._csc.indptr[items]
        widths = self._csc.indptr[items + 1] - starts
        rows = self._csc.indices[_spread(starts, widths)]
        order = np.argsort(rows)
        return rows[order], np.repeat(items, widths)[order]


def _holding(columns: Columns, members: np.ndarray, item_counts: np.ndarray) -> _Holding:
    """Which baskets hold each itemset: those holding its rarest item, checked item by item
    by binary search in their sorted rows (no sparse product)."""
    baskets, n_items = columns.baskets, columns.baskets.shape[1]
    rarest = members[np.arange(len(members)), np.argmin(item_counts[members], axis=1)]
    by_item = np.argsort(rarest)
    ordered = rarest[by_item]
    hit_row, hit_item = columns.entries(ordered[np.r_[True, ordered[1:] != ordered[:-1]]])
    first = np.searchsorted(ordered, hit_item, side="left")
    many = np.searchsorted(ordered, hit_item, side="right") - first
    which = by_item[_spread(first, many)]
    new_row = np.r_[True, hit_row[1:] != hit_row[:-1]] if len(hit_row) else np.empty(0, bool)
    row = np.repeat(np.cumsum(new_row) - 1, many)
    rows = hit_row[new_row]
    widths = baskets.indptr[rows + 1] - baskets.indptr[rows]
    items = baskets.indices[_spread(baskets.indptr[rows], widths)]
    offsets = np.cumsum(widths) - widths
    entry_keys = np.repeat(np.arange(len(rows), dtype=np.int64) * n_items, widths) + items
    held = np.ones(len(which), bool)
    for column in range(members.shape[1]):  # a loop over positions in an itemset
        held &= in_sorted(entry_keys, row * np.int64(n_items) + members[which, column])
    return _Holding(rows, items, offsets, widths, row[held], which[held])


def _canonical(baskets: sp.csr_matrix) -> sp.csr_matrix:
    """``baskets`` with sorted rows and each item once (a copy only when needed)."""
    if baskets.has_canonical_format:
        return baskets
    out = baskets.copy()
    out.sum_duplicates()
    return out


def _chunks(members: np.ndarray, item_counts: np.ndarray, per_holder: int):
    """Ranges of itemsets whose holder pairs (at most their rarest item's count each, times
    ``per_holder`` cells) stay near :data:`CELLS`."""
    weight = item_counts[members].min(axis=1) * per_holder if len(members) else \
        np.empty(0, np.int64)
    return budget_ranges(np.cumsum(weight), CELLS)


def count_itemsets(baskets: sp.csr_matrix | Columns, members: np.ndarray,
                   weights: np.ndarray | None = None,
                   item_counts: np.ndarray | None = None) -> np.ndarray:
    """How many baskets (rows) hold each itemset, or the summed ``weights`` of those rows;
    ``item_counts`` (each item's baskets) when the caller has them."""
    columns = baskets if isinstance(baskets, Columns) else Columns(_canonical(baskets))
    if item_counts is None:
        item_counts = np.bincount(columns.baskets.indices, minlength=columns.baskets.shape[1])
    out = np.zeros(len(members))
    for start, stop in _chunks(members, item_counts, members.shape[1] + 1):  # chunks of itemsets
        found = _holding(columns, members[start:stop], item_counts)
        out[start:stop] = np.bincount(
            found.which, minlength=stop - start,
            weights=None if weights is None else weights[found.rows[found.row]])
    return out if weights is not None else np.rint(out).astype(np.int64)


def extensions(columns: Columns, grown: np.ndarray, item_counts: np.ndarray,
               min_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Every itemset Y + c held by some basket, c an item counted at least ``min_count`` times
    and not in Y, for each row Y of ``grown``, with its count in the baskets of ``columns``
    (sorted rows). Rows sorted, each itemset once."""
    baskets, n_items = columns.baskets, columns.baskets.shape[1]
    per_holder = max(1, baskets.nnz // max(1, baskets.shape[0])) + grown.shape[1]
    parts = []
    for start, stop in _chunks(grown, item_counts, per_holder):  # chunks of itemsets
        part = grown[start:stop]
        found = _holding(columns, part, item_counts)
        widths = found.widths[found.row]
        item = found.items[_spread(found.offsets[found.row], widths)]
        owner = np.repeat(found.which, widths)
        frequent = item_counts[item] >= min_count
        item, owner = item[frequent], owner[frequent]
        outside = np.ones(len(item), bool)
        for column in range(part.shape[1]):  # a loop over positions in an itemset
            outside &= part[owner, column] != item
        key = np.sort(owner[outside] * np.int64(n_items) + item[outside])
        first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else \
            np.empty(0, np.int64)
        distinct = key[first]
        members = np.column_stack([part[distinct // n_items], distinct % n_items])
        parts.append((np.sort(members, axis=1).astype(np.int32), np.diff(np.r_[first, len(key)])))
    members = np.concatenate([m for m, _ in parts]) if parts else \
        np.empty((0, grown.shape[1] + 1), np.int32)
    counts = np.concatenate([c for _, c in parts]).astype(np.int64) if parts else \
        np.empty(0, np.int64)
    # one itemset can extend several grown ones (with the same count): keep it once
    member_keys = keys(members, n_items)
    order = np.argsort(member_keys)
    ordered = member_keys[order]
    once = order[np.r_[True, ordered[1:] != ordered[:-1]]] if len(order) else order
    return members[once], counts[once]


def occurring(new: sp.csr_matrix, members: np.ndarray, rows: np.ndarray,
              positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Itemsets X + c occurring in the baskets ``new``, for X a row of ``members`` occurring at
    (``rows``, ``positions``: its last item's place in ``new``) and c a later item of that
    basket: (itemsets in row order, their counts in ``new``, each occurrence's itemset, and
    its position)."""
    row_end = np.repeat(new.indptr[1:], np.diff(new.indptr))
    width = row_end[positions] - positions - 1
    total = int(width.sum())
    starts = np.cumsum(width) - width
    probed = np.repeat(positions + 1 - starts, width) + np.arange(total)
    n_items = new.shape[1]
    key = np.repeat(rows, width).astype(np.int64) * n_items + new.indices[probed]
    order = np.argsort(key)  # numpy's hash unique is far slower here
    ordered = key[order]
    first = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if total else \
        np.empty(0, np.int64)
    sizes = np.diff(np.r_[first, total])
    which = np.empty(total, np.int64)
    which[order] = np.repeat(np.arange(len(first)), sizes)
    distinct = ordered[first]
    found = np.column_stack([members[distinct // n_items], distinct % n_items]).astype(np.int32)
    return found, sizes.astype(np.int64), which, probed


def all_subsets_in(members: np.ndarray, previous: np.ndarray, n_items: int) -> np.ndarray:
    """Whether every (k-1)-subset of each row is among ``previous`` (sorted :func:`keys`)."""
    if members.shape[1] == 2:  # the subsets are items: a look-up table
        known = np.zeros(n_items, bool)
        known[previous] = True
        return known[members].all(axis=1)
    ok = np.ones(len(members), bool)
    for drop in range(members.shape[1]):  # a loop over positions in an itemset
        rows = np.flatnonzero(ok)
        part = np.delete(members[rows], drop, axis=1)
        ok[rows] = locate(previous, keys(part, n_items))[1]
    return ok

"""Counting given itemsets in a basket matrix: the reads an exact update needs.

Baskets are a binary CSR (rows sorted); itemsets are (n, k) int32 rows of ascending item
indices. Every function works on all itemsets at once (sparse products, gathers, sorts).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._arrays import locate


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


def _ones(baskets: sp.csr_matrix) -> sp.csr_matrix:
    return sp.csr_matrix((np.ones(baskets.nnz, np.float32), baskets.indices, baskets.indptr),
                         shape=baskets.shape)


def _holders(binary: sp.csr_matrix, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(basket row, itemset) for every basket of ``binary`` holding every item of an itemset:
    the baskets x itemsets product counts each basket's items of each itemset."""
    length = members.shape[1]
    incidence = sp.csr_matrix((np.ones(members.size, np.float32),
                               (np.repeat(np.arange(len(members)), length), members.ravel())),
                              shape=(len(members), binary.shape[1]))
    held = (binary @ incidence.T).tocoo()
    full = held.data >= length - 0.5
    return held.row[full], held.col[full]


def count_itemsets(baskets: sp.csr_matrix, members: np.ndarray, cells: int = 20_000_000,
                   weights: np.ndarray | None = None) -> np.ndarray:
    """How many baskets (rows) hold each itemset, or the summed ``weights`` of those rows."""
    length = members.shape[1]
    out = np.zeros(len(members))
    binary = _ones(baskets)
    per_item = max(1, baskets.nnz // max(1, baskets.shape[1]))
    step = max(1, cells // (per_item * length + 1))
    for start in range(0, len(members), step):  # a loop over chunks of itemsets
        part = members[start:start + step]
        rows, cols = _holders(binary, part)
        out[start:start + step] = np.bincount(
            cols, weights=None if weights is None else weights[rows], minlength=len(part))
    return out if weights is not None else np.rint(out).astype(np.int64)


class Columns:
    """The baskets holding each item (the CSC of the basket matrix), built on first use."""

    def __init__(self, baskets: sp.csr_matrix):
        self.baskets = baskets
        self._csc: sp.csc_matrix | None = None

    def holding_any(self, items: np.ndarray) -> sp.csr_matrix:
        """The basket rows holding at least one of ``items``."""
        if self._csc is None:
            self._csc = self.baskets.tocsc()
        starts, ends = self._csc.indptr[items], self._csc.indptr[items + 1]
        width = ends - starts
        total = int(width.sum())
        offsets = np.repeat(starts - (np.cumsum(width) - width), width)
        rows = np.sort(self._csc.indices[offsets + np.arange(total)])
        if len(rows) > 1:
            rows = rows[np.r_[True, rows[1:] != rows[:-1]]]
        return self.baskets[rows]


def extensions(columns: Columns, grown: np.ndarray, item_counts: np.ndarray, min_count: int):
    """Every itemset Y + c held by some basket, c a frequent item not in Y, for each row Y of
    ``grown``, with its count: the baskets holding Y (among those holding Y's rarest item)
    times the basket matrix. Rows sorted, each itemset once."""
    n_items = columns.baskets.shape[1]
    rarest = grown[np.arange(len(grown)), np.argmin(item_counts[grown], axis=1)]
    part = columns.holding_any(rarest)
    binary = _ones(part)
    rows, cols = _holders(binary, grown)
    holders = sp.csr_matrix((np.ones(len(rows), np.float32), (cols, rows)),
                            shape=(len(grown), part.shape[0]))
    product = (holders @ binary).tocoo()
    outside = ~(grown[product.row] == product.col[:, None]).any(axis=1) & \
        (item_counts[product.col] >= min_count)
    members = np.sort(np.column_stack([grown[product.row[outside]], product.col[outside]]),
                      axis=1).astype(np.int32)
    counts = np.rint(product.data[outside]).astype(np.int64)
    # one itemset can extend several grown ones: keep it once
    _, first = np.unique(keys(members, n_items), return_index=True)
    return members[first], counts[first]


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
    order = np.argsort(key, kind="stable")  # numpy's hash unique is far slower here
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

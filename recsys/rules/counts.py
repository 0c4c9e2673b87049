"""Counting given itemsets in a basket matrix: the reads an exact update needs.

Baskets are a binary CSR (rows sorted); itemsets are (n, k) int32 rows of ascending item
indices. Every function works on all itemsets at once (gathers, sorts, and sparse products
over the baskets holding each itemset's rarest item, found through a column index), in chunks
of itemsets that bound the memory held (:data:`CELLS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recsys._engine.arrays import budget_ranges, locate, run_lengths, run_starts, unique


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


# cells of the (basket x itemset) product and of the extensions held at once: about 25 bytes
# each, so about 100 MB at most
CELLS = 4_000_000


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


# batches of added baskets indexed separately before the index is built again in one piece
MAX_SEGMENTS = 16


class Columns:
    """The baskets holding each item: the column index (CSC) of a basket matrix, built on
    first use or by :meth:`build`, in segments (the baskets first indexed, then each batch
    added by :meth:`extended`) so that adding baskets indexes only them."""

    def __init__(self, baskets: sp.csr_matrix, segments: list | None = None):
        self.baskets = baskets
        self._segments = segments  # [(first row, indptr, row indices)]

    def build(self) -> Columns:
        """Index every basket now (one pass over them); returns ``self``."""
        if self._segments is None:
            csc = self.baskets.tocsc()
            self._segments = [(0, csc.indptr, csc.indices)]
        return self

    def extended(self, baskets: sp.csr_matrix, n_new: int,
                 position: np.ndarray | None) -> Columns:
        """The index of ``baskets``: these baskets, then ``n_new`` new ones, with old item i
        now at ``position[i]`` (ascending; None: same items)."""
        if self._segments is None or len(self._segments) >= MAX_SEGMENTS:
            return Columns(baskets).build()
        segments = self._segments
        if position is not None:  # the same rows under each item, items moved up
            segments = [(first, _moved_indptr(indptr, position, baskets.shape[1]), rows)
                        for first, indptr, rows in segments]
        first = baskets.shape[0] - n_new
        new = baskets[first:].tocsc()
        return Columns(baskets, [*segments, (first, new.indptr, new.indices)])

    def rows_holding(self, items: np.ndarray) -> np.ndarray:
        """The basket rows (ascending, once each) holding at least one of ``items``."""
        self.build()
        parts = []
        for first, indptr, rows in self._segments:  # a loop over segments
            starts = indptr[items]
            parts.append(np.take(rows, _spread(starts, indptr[items + 1] - starts)) + first)
        return unique(np.concatenate(parts))


def _moved_indptr(indptr: np.ndarray, position: np.ndarray, n_items: int) -> np.ndarray:
    widths = np.zeros(n_items, np.int64)
    widths[position] = np.diff(indptr)
    return np.r_[0, np.cumsum(widths)]


def _holding(columns: Columns, members: np.ndarray, item_counts: np.ndarray) -> _Holding:
    """Which baskets hold each itemset: among those holding its rarest item (read from the
    column index), the (basket x itemset) product counts each basket's items of each itemset;
    the full counts hold it."""
    baskets, n_items = columns.baskets, columns.baskets.shape[1]
    rarest = members[np.arange(len(members)), np.argmin(item_counts[members], axis=1)]
    rows = columns.rows_holding(np.unique(rarest))
    widths = baskets.indptr[rows + 1] - baskets.indptr[rows]
    items = np.take(baskets.indices, _spread(baskets.indptr[rows], widths))
    offsets = np.cumsum(widths) - widths
    part = sp.csr_matrix((np.ones(len(items), np.float32), items, np.r_[offsets, len(items)]),
                         shape=(len(rows), n_items))
    length = members.shape[1]
    incidence = sp.csr_matrix((np.ones(members.size, np.float32),
                               (np.repeat(np.arange(len(members)), length), members.ravel())),
                              shape=(len(members), n_items))
    held = (part @ incidence.T).tocoo()
    full = held.data >= length - 0.5
    return _Holding(rows, items, offsets, widths, held.row[full], held.col[full])


def _canonical(baskets: sp.csr_matrix) -> sp.csr_matrix:
    """``baskets`` with sorted rows and each item once (a copy only when needed)."""
    if baskets.has_canonical_format:
        return baskets
    out = baskets.copy()
    out.sum_duplicates()
    return out


def _chunks(members: np.ndarray, item_counts: np.ndarray, per_holder: int):
    """Ranges of itemsets whose cells stay near :data:`CELLS`: the product's, at most the
    summed counts of an itemset's items, plus ``per_holder`` for each basket holding it (at
    most its rarest item's count)."""
    held = item_counts[members]
    weight = held.sum(axis=1) + held.min(axis=1) * per_holder if len(members) else \
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
    for start, stop in _chunks(members, item_counts, 0):  # chunks of itemsets
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
        first = run_starts(key)
        distinct = key[first]
        members = np.column_stack([part[distinct // n_items], distinct % n_items])
        parts.append((np.sort(members, axis=1).astype(np.int32), run_lengths(first, len(key))))
    members = np.concatenate([m for m, _ in parts]) if parts else \
        np.empty((0, grown.shape[1] + 1), np.int32)
    counts = np.concatenate([c for _, c in parts]).astype(np.int64) if parts else \
        np.empty(0, np.int64)
    # one itemset can extend several grown ones (with the same count): keep it once
    member_keys = keys(members, n_items)
    order = np.argsort(member_keys)
    once = order[run_starts(member_keys[order])]
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
    first = run_starts(ordered)
    sizes = run_lengths(first, total)
    which = np.empty(total, np.int64)
    which[order] = np.repeat(np.arange(len(first)), sizes)
    distinct = ordered[first]
    parent = distinct // n_items
    found = np.empty((len(distinct), members.shape[1] + 1), np.int32)
    for column in range(members.shape[1]):  # a loop over positions (np.take beats 2-d indexing)
        found[:, column] = np.take(members[:, column], parent)
    found[:, -1] = distinct - parent * n_items
    return found, sizes, which, probed


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

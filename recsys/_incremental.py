"""Exact frequent itemsets after new baskets, without mining everything again.

What is kept between updates (:class:`Summary`, saved in an updatable model's file):

- the count of every frequent itemset, and of every item;
- the *near-frequent* candidates: itemsets the miner counted (their subsets without the last
  or the second-last item are frequent) with at least ``floor`` baskets, and their counts;
- ``slack``: a bound on the count of any candidate not kept (``floor - 1`` after a mine);
- the baskets themselves, as a binary CSR (4 bytes a purchase), for the few counts no summary
  can give.

An update with new baskets d and the new threshold t, level by level (k = 2, 3, ...), where
F(k-1) are the new frequent (k-1)-itemsets and a *candidate* is an itemset whose every
(k-1)-subset is in F(k-1):

1. every candidate occurring in d is found and counted in d (``c_d``) by extending F(k-1)'s
   occurrences in d by the later items of the same basket;
2. candidates with a *newly* frequent subset were never counted: their counts are read from
   all the baskets (each newly frequent itemset's baskets times the basket matrix);
3. the other candidates were candidates before: a kept one counts its kept count plus
   ``c_d``; one not kept has at most ``slack + c_d`` baskets: if that reaches t it is counted
   in all the baskets, else it is not frequent and the slack grows by the largest such ``c_d``.

So the frequent itemsets and their counts are exactly a full mine's (a hypothesis test checks
it). An update costs a pass over the new baskets plus reads of the old ones for what changed;
when the slack reaches half the threshold the caller mines everything again to reset it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._arrays import locate

Levels = list[tuple[np.ndarray, np.ndarray]]


@dataclass
class Summary:
    """What an update needs besides the baskets (all in item-index space)."""

    frequent: Levels  # levels[k-1]: (members (n, k) int32 sorted rows, counts int64)
    near: Levels  # near[k-2]: near-frequent k-itemsets, same layout
    item_counts: np.ndarray  # baskets holding each item
    floor: int
    slack: int

    def widened(self, position: np.ndarray, n_items: int) -> Summary:
        """The summary over a larger item map: old item i is now ``position[i]`` (ascending)."""
        counts = np.zeros(n_items, np.int64)
        counts[position] = self.item_counts
        move = [(position[m].astype(np.int32), c) for m, c in self.frequent]
        near = [(position[m].astype(np.int32), c) for m, c in self.near]
        return Summary(move, near, counts, self.floor, self.slack)


def start(matrix: sp.csr_matrix, items, min_count: int, max_len: int | None,
          max_memory: int, floor: int | None = None):
    """Mine ``matrix`` and keep the summary for later updates: (Itemsets, Summary)."""
    from .rules import mine_near

    floor = floor_for(min_count) if floor is None else floor
    found, near = mine_near(matrix, items, min_count, max_len, max_memory, floor=floor)
    counts = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.int64)
    return found, Summary(list(found.levels), near, counts, floor, floor - 1)


def floor_for(min_count: int) -> int:
    """Near-frequent candidates kept: counted at least an eighth of the threshold."""
    return max(1, min_count // 8)


def keys(members: np.ndarray, n_items: int) -> np.ndarray:
    """Rows of item indices below ``n_items`` as single comparable values, ordered as the rows
    are (lexicographically): int64 digits in base ``n_items`` where they fit, else bytes."""
    width = members.shape[1]
    if float(n_items) ** width < 2.0**62:
        out = np.zeros(len(members), np.int64)
        for column in range(width):  # a loop over positions in an itemset
            out *= n_items
            out += members[:, column]
        return out
    rows = np.ascontiguousarray(members, dtype=">i4")
    return rows.view(f"V{4 * width}").ravel()


def count_itemsets(baskets: sp.csr_matrix, members: np.ndarray, cells: int = 20_000_000,
                   weights: np.ndarray | None = None) -> np.ndarray:
    """How many baskets (rows) hold each itemset (or the summed ``weights`` of those rows)."""
    length = members.shape[1]
    out = np.zeros(len(members))
    binary = sp.csr_matrix((np.ones(baskets.nnz, np.float32), baskets.indices, baskets.indptr),
                           shape=baskets.shape)
    per_item = max(1, baskets.nnz // max(1, baskets.shape[1]))
    step = max(1, cells // (per_item * length + 1))
    for start in range(0, len(members), step):  # a loop over chunks of itemsets
        part = members[start:start + step]
        incidence = sp.csr_matrix((np.ones(part.size, np.float32),
                                   (np.repeat(np.arange(len(part)), length), part.ravel())),
                                  shape=(len(part), baskets.shape[1]))
        held = (binary @ incidence.T).tocoo()
        full = held.data >= length - 0.5
        out[start:start + step] = np.bincount(
            held.col[full], weights=None if weights is None else weights[held.row[full]],
            minlength=len(part))
    return out if weights is not None else np.rint(out).astype(np.int64)


def _holding_any(baskets: sp.csr_matrix, items: np.ndarray) -> sp.csr_matrix:
    """The baskets holding at least one of ``items`` (a pass over the basket matrix)."""
    mark = np.zeros(baskets.shape[1], bool)
    mark[items] = True
    rows = np.searchsorted(baskets.indptr, np.flatnonzero(mark[baskets.indices]), side="right") - 1
    if len(rows) > 1:  # ascending already: drop the repeats
        rows = rows[np.r_[True, rows[1:] != rows[:-1]]]
    return baskets[rows]


def _extensions(baskets: sp.csr_matrix, grown: np.ndarray, item_counts: np.ndarray,
                min_count: int):
    """Every itemset Y + c (c not in Y) held by some basket, for each row Y of ``grown``,
    with its count: the baskets holding Y times the basket matrix, over the baskets holding
    Y's rarest item only."""
    length, n_items = grown.shape[1], baskets.shape[1]
    rarest = grown[np.arange(len(grown)), np.argmin(item_counts[grown], axis=1)]
    part = _holding_any(baskets, rarest)
    binary = sp.csr_matrix((np.ones(part.nnz, np.float32), part.indices, part.indptr),
                           shape=part.shape)
    incidence = sp.csr_matrix((np.ones(grown.size, np.float32),
                               (np.repeat(np.arange(len(grown)), length), grown.ravel())),
                              shape=(len(grown), part.shape[1]))
    held = (binary @ incidence.T).tocoo()
    full = held.data >= length - 0.5
    holders = sp.csr_matrix((np.ones(int(full.sum()), np.float32),
                             (held.col[full], held.row[full])), shape=(len(grown), part.shape[0]))
    product = (holders @ binary).tocoo()
    outside = ~(grown[product.row] == product.col[:, None]).any(axis=1) & \
        (item_counts[product.col] >= min_count)
    members = np.sort(np.column_stack([grown[product.row[outside]], product.col[outside]]),
                      axis=1).astype(np.int32)
    counts = np.rint(product.data[outside]).astype(np.int64)
    # one itemset can extend several grown ones: keep it once
    _, first = np.unique(keys(members, n_items), return_index=True)
    return members[first], counts[first]


def _occurring(new: sp.csr_matrix, members: np.ndarray, rows: np.ndarray,
               positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Itemsets X + c occurring in the new baskets, for X a row of ``members`` occurring at
    (``rows``, ``positions``: its last item's place in ``new``) and c a later item of the
    basket: (candidates, their counts, and each occurrence's candidate and position)."""
    row_end = np.repeat(new.indptr[1:], np.diff(new.indptr))
    width = row_end[positions] - positions - 1
    total = int(width.sum())
    starts = np.cumsum(width) - width
    probed = np.repeat(positions + 1 - starts, width) + np.arange(total)
    source = np.repeat(rows, width).astype(np.int64)
    n_items = new.shape[1]
    key = source * n_items + new.indices[probed]
    order = np.argsort(key, kind="stable")  # numpy's hash unique is far slower here
    ordered = key[order]
    first = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if total else \
        np.empty(0, np.int64)
    which = np.empty(total, np.int64)
    which[order] = np.repeat(np.arange(len(first)), np.diff(np.r_[first, total]))
    distinct = ordered[first]
    counts = np.diff(np.r_[first, total]).astype(np.int64)
    found = np.column_stack([members[distinct // n_items], distinct % n_items]).astype(np.int32)
    return found, counts, which, probed


def _all_subsets_in(members: np.ndarray, previous: np.ndarray, n_items: int) -> np.ndarray:
    """Whether every (k-1)-subset of each row is a row of ``previous`` (sorted keys)."""
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


@dataclass
class _Step:
    """One level's outcome: new frequent and near-frequent itemsets, occurrences in d."""

    frequent: tuple[np.ndarray, np.ndarray]
    near: tuple[np.ndarray, np.ndarray]
    rows: np.ndarray
    positions: np.ndarray
    growth: int


def _level(old: Summary, k: int, new_prev: np.ndarray, old_prev: np.ndarray,
           occurrences: tuple, baskets: sp.csr_matrix, new: sp.csr_matrix, t: int,
           item_counts: np.ndarray) -> _Step:
    """The frequent k-itemsets after the update (see the module docstring)."""
    n_items = baskets.shape[1]

    def key(rows: np.ndarray) -> np.ndarray:
        return keys(rows, n_items)

    prev_keys = key(new_prev)
    # 1. candidates occurring in the new baskets
    occ, c_d, which, probed = _occurring(new, new_prev, *occurrences)
    occ_keys = key(occ)
    is_cand = _all_subsets_in(occ, prev_keys, n_items)
    # 2. extensions of newly frequent (k-1)-itemsets: counted in every basket
    grown = new_prev[~locate(key(old_prev), prev_keys)[1]]
    fresh = np.empty((0, k), np.int32), np.empty(0, np.int64)
    if len(grown):
        members, counts = _extensions(baskets, grown, item_counts, t)
        keep = _all_subsets_in(members, prev_keys, n_items)
        fresh = members[keep], counts[keep]
    fresh_keys = key(fresh[0])
    # 3. the rest were candidates before: kept counts, or the slack
    kept_members, kept_counts = _kept(old, k, n_items)
    kept_keys = key(kept_members)
    at, in_kept = locate(kept_keys, occ_keys)
    in_fresh = locate(fresh_keys, occ_keys)[1]
    total = np.where(in_kept, kept_counts[at] if len(kept_counts) else 0, -1) + c_d
    unknown = is_cand & ~in_kept & ~in_fresh
    scan = unknown & (old.slack + c_d >= t)
    total[scan] = count_itemsets(baskets, occ[scan])
    growth = int(c_d[unknown & ~scan].max()) if (unknown & ~scan).any() else 0
    exact = is_cand & ~in_fresh & (in_kept | scan)
    # kept candidates neither in the new baskets nor extending a new one keep their counts
    quiet = np.ones(len(kept_keys), bool)
    quiet[at[in_kept]] = False
    at_fresh, fresh_kept = locate(kept_keys, fresh_keys)
    quiet[at_fresh[fresh_kept]] = False
    quiet[quiet] = _all_subsets_in(kept_members[quiet], prev_keys, n_items)
    members = np.concatenate([occ[exact], kept_members[quiet], fresh[0]])
    counts = np.concatenate([total[exact], kept_counts[quiet], fresh[1]])
    order = np.argsort(key(members), kind="stable")
    members, counts = members[order], counts[order]
    frequent = counts >= t
    near = (counts >= old.floor) & ~frequent
    # occurrences in d of the new frequent itemsets: the next level's starting points
    at, hit = locate(key(members[frequent]), occ_keys)
    occurs = hit[which]
    return _Step((members[frequent], counts[frequent]), (members[near], counts[near]),
                 at[which][occurs], probed[occurs], growth)


def _kept(old: Summary, k: int, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """Old frequent and near-frequent k-itemsets with their counts, in key order."""
    parts = [level for level in (old.frequent[k - 1] if k <= len(old.frequent) else None,
                                 old.near[k - 2] if k - 2 < len(old.near) else None)
             if level is not None]
    if not parts:
        return np.empty((0, k), np.int32), np.empty(0, np.int64)
    if len(parts) == 1:
        return parts[0]
    members = np.concatenate([m for m, _ in parts])
    counts = np.concatenate([c for _, c in parts])
    order = np.argsort(keys(members, n_items), kind="stable")
    return members[order], counts[order]


def update(old: Summary, baskets: sp.csr_matrix, n_new: int, t: int,
           max_len: int | None) -> Summary:
    """The summary after the last ``n_new`` rows of ``baskets`` (binary CSR, sorted rows, every
    basket so far) were added, with count threshold ``t`` (never below the last one)."""
    new = baskets[baskets.shape[0] - n_new:]
    item_counts = old.item_counts + np.bincount(new.indices, minlength=baskets.shape[1])
    items = np.flatnonzero(item_counts >= t).astype(np.int32)
    frequent: Levels = [(items[:, None], item_counts[items])]
    near: Levels = []
    # occurrences in d of the frequent items: (row among them, position in new)
    rank = np.full(baskets.shape[1], -1)
    rank[items] = np.arange(len(items))
    positions = np.flatnonzero(rank[new.indices] >= 0)
    occurrences = (rank[new.indices[positions]], positions)
    slack = old.slack
    k = 2
    while len(frequent[-1][0]) > 1 and (max_len is None or k <= max_len):
        old_prev = old.frequent[k - 2][0] if k - 2 < len(old.frequent) else \
            np.empty((0, k - 1), np.int32)
        step = _level(old, k, frequent[-1][0], old_prev, occurrences, baskets, new, t,
                      item_counts)
        slack += step.growth
        near.append(step.near)
        if len(step.frequent[1]) == 0:
            break
        frequent.append(step.frequent)
        occurrences = (step.rows, step.positions)
        k += 1
    while near and len(near[-1][1]) == 0:
        near.pop()
    return Summary(frequent, near, item_counts, old.floor, slack)

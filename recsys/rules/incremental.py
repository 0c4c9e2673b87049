"""Exact frequent itemsets after new baskets, without mining everything again.

What is kept between updates (:class:`Summary`, saved in an updatable model's file):

- every item's count;
- for each length k >= 2, a table of *tracked* itemsets with their exact counts: the frequent
  ones and the near-frequent candidates counted at least ``floor`` times, each one frequent
  itemset plus one item (after an update: its prefix, the itemset without its last item);
- ``slack``: a bound on the count of any candidate not tracked (``floor - 1`` after a mine);
- the baskets themselves, as a binary CSR (4 bytes a purchase), for the few counts no summary
  can give.

An update with new baskets d and the new threshold t (never below the last), level by level
(k = 2, 3, ...), where F(k-1) are the new frequent (k-1)-itemsets and a *candidate* is an
itemset whose every (k-1)-subset is in F(k-1):

1. the itemsets occurring in d that extend an itemset of F(k-1) by a later frequent item are
   found and counted in d (``c_d``), from F(k-1)'s occurrences in d;
2. a tracked itemset whose prefix and last item are still frequent adds its ``c_d`` (its
   occurrences in d were all found in 1.); the others stop being tracked (not candidates
   now; were one a candidate later, it would have a newly frequent subset: see 3.);
3. candidates with a *newly* frequent subset were never counted: their counts are read from
   the baskets holding that subset (found through the column index), for the newly frequent
   itemsets that can be in a candidate at all;
4. any other candidate occurring in d was a candidate before and not tracked, so it has at
   most ``slack + c_d`` baskets: if that reaches t it is counted in all the baskets, else it
   is not frequent and the slack grows by the largest such ``c_d`` over all lengths (each
   untracked candidate gained only its own ``c_d``; a candidate that was not one before has a
   newly frequent subset, so 3. counted it and it is tracked or below ``floor``).

So the frequent itemsets and their counts are exactly a full mine's (a hypothesis test checks
it). An update reads the new baskets plus, for what changed, the old ones holding some item;
when the slack reaches half the threshold the caller mines everything again to reset it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recsys._engine.arrays import locate, run_lengths, run_starts
from recsys.rules.counts import Columns, all_subsets_in, count_itemsets, extensions, keys, occurring
from recsys.rules.mining import mine_near

Levels = list[tuple[np.ndarray, np.ndarray]]


@dataclass
class Summary:
    """What an update needs besides the baskets (all in item-index space)."""

    tables: Levels  # tables[k-2]: tracked k-itemsets, (members (n, k) int32 sorted, counts)
    item_counts: np.ndarray  # baskets holding each item
    floor: int
    slack: int
    min_count: int  # the threshold the tables were last brought up to date at

    def frequent(self, min_count: int) -> Levels:
        """The frequent itemsets at ``min_count``, as :class:`~recsys.rules.mining.Itemsets` levels."""
        items = np.flatnonzero(self.item_counts >= min_count).astype(np.int32)
        levels = [(items[:, None], self.item_counts[items])]
        for members, counts in self.tables:
            keep = counts >= min_count
            if not keep.any():
                break
            levels.append((members[keep], counts[keep]))
        return levels

    def widened(self, position: np.ndarray, n_items: int) -> Summary:
        """The summary over a larger item map: old item i is now ``position[i]`` (ascending)."""
        counts = np.zeros(n_items, np.int64)
        counts[position] = self.item_counts
        tables = [(position[m].astype(np.int32), c) for m, c in self.tables]
        return Summary(tables, counts, self.floor, self.slack, self.min_count)


def start(matrix: sp.csr_matrix, items, min_count: int, max_len: int | None,
          max_memory: int, floor: int | None = None):
    """Mine ``matrix`` and keep the summary for later updates: (Itemsets, Summary)."""

    floor = floor_for(min_count) if floor is None else floor
    found, near = mine_near(matrix, items, min_count, max_len, max_memory, floor=floor)
    tables = []
    for k in range(2, max(len(found.levels), len(near) + 1) + 1):
        parts = [found.levels[k - 1]] if k <= len(found.levels) else []
        parts += [near[k - 2]] if k - 2 < len(near) else []
        members = np.concatenate([m for m, _ in parts])
        counts = np.concatenate([c for _, c in parts])
        order = np.argsort(keys(members, matrix.shape[1]), kind="stable")
        tables.append((members[order], counts[order]))
    counts = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.int64)
    return found, Summary(tables, counts, floor, floor - 1, min_count)


def floor_for(min_count: int) -> int:
    """Near-frequent candidates tracked: counted at least an eighth of the threshold."""
    return max(1, min_count // 8)


@dataclass
class _Step:
    """One level's outcome: the tracked table, and the frequent itemsets' occurrences in d."""

    table: tuple[np.ndarray, np.ndarray]
    frequent_keys: np.ndarray  # keys of the table's frequent itemsets: the next F(k-1)'s
    rows: np.ndarray
    positions: np.ndarray
    growth: int


def _level(old: tuple[np.ndarray, np.ndarray], new_prev: tuple[np.ndarray, np.ndarray],
           old_prev: np.ndarray, occurrences: tuple, columns: Columns, new: sp.csr_matrix,
           t: int, summary: Summary, item_counts: np.ndarray, growth: int) -> _Step:
    """The tracked k-itemsets after the update (the module docstring's steps); ``new_prev``
    is F(k-1) and its keys, ``growth`` the largest ``c_d`` of an untracked candidate at the
    lengths before."""
    n_items = new.shape[1]
    new_prev, prev_keys = new_prev
    occ, c_d, which, probed = occurring(new, new_prev, *occurrences)  # 1.
    occ_keys = keys(occ, n_items)
    tracked, counts = old[0], old[1].copy()
    tracked_keys = keys(tracked, n_items)
    at, in_tracked = locate(tracked_keys, occ_keys)
    counts[at[in_tracked]] += c_d[in_tracked]  # 2.
    grown = new_prev[~locate(keys(old_prev, n_items), prev_keys)[1]]
    still = locate(prev_keys, keys(tracked[:, :-1], n_items))[1]
    # the new baskets were probed for frequent items only: an itemset ending in another is
    # no candidate now, and stops being tracked (were it one later, it would have a newly
    # frequent subset, and 3. would count it then)
    still &= item_counts[tracked[:, -1]] >= t
    fresh = np.empty((0, occ.shape[1]), np.int32), np.empty(0, np.int64)
    if grown.shape[1] > 1 and len(grown):  # those that can be in no candidate need no read
        grown = grown[_may_extend(grown, new_prev, n_items)]
    if len(grown):  # 3.
        members, fresh_counts = extensions(columns, grown, item_counts, t)
        keep = fresh_counts >= summary.floor  # most extensions are rare: test them first
        keep[keep] = all_subsets_in(members[keep], prev_keys, n_items)
        keep[keep] = ~locate(tracked_keys, keys(members[keep], n_items))[1]
        fresh = members[keep], fresh_counts[keep]
    unknown = ~in_tracked  # 4.
    unknown[unknown] = ~locate(keys(fresh[0], n_items), occ_keys[unknown])[1]
    reach = summary.slack + c_d >= t
    scan = unknown & reach
    scan[scan] = all_subsets_in(occ[scan], prev_keys, n_items)
    scanned = occ[scan], count_itemsets(columns, occ[scan], item_counts=item_counts)
    # only a larger count than the lengths before can raise the slack: few rows to check
    rest = np.flatnonzero(unknown & ~reach & (c_d > growth))
    growth = max(growth, _largest_candidate_count(occ, c_d, rest, prev_keys, n_items))
    keep = scanned[1] >= summary.floor
    members, counts, member_keys = _inserted(
        (tracked[still], counts[still], tracked_keys[still]),
        np.concatenate([fresh[0], scanned[0][keep]]), np.concatenate([fresh[1], scanned[1][keep]]),
        n_items)
    # occurrences in d of the frequent ones: where the next level starts
    frequent = counts >= t
    at, hit = locate(member_keys[frequent], occ_keys)
    occurs = hit[which]
    return _Step((members, counts), member_keys[frequent], at[which][occurs], probed[occurs],
                 growth)


def _may_extend(grown: np.ndarray, frequent: np.ndarray, n_items: int) -> np.ndarray:
    """Whether each row Y of ``grown`` (in ``frequent``) may be in a candidate Y + c: for
    every y of Y, (Y - y) + c is frequent too, so Y - y is in two frequent itemsets at least."""
    width = frequent.shape[1]
    subsets = np.sort(np.concatenate([keys(np.delete(frequent, drop, axis=1), n_items)
                                      for drop in range(width)]))  # positions in an itemset
    first = run_starts(subsets)
    distinct, holders = subsets[first], run_lengths(first, len(subsets))
    ok = np.ones(len(grown), bool)
    for drop in range(width):  # a loop over positions in an itemset
        at, found = locate(distinct, keys(np.delete(grown, drop, axis=1), n_items))
        ok &= found & (holders[at] >= 2)
    return ok


def _inserted(table: tuple[np.ndarray, np.ndarray, np.ndarray], members: np.ndarray,
              counts: np.ndarray, n_items: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``table`` (members, counts, keys; sorted) with a few more itemsets (none in it) put in
    their places: (members, counts, keys), sorted."""
    if len(members) == 0:
        return table
    added = keys(members, n_items)
    order = np.argsort(added)
    at = np.searchsorted(table[2], added[order])
    return (np.insert(table[0], at, members[order], axis=0),
            np.insert(table[1], at, counts[order]), np.insert(table[2], at, added[order]))


def _largest_candidate_count(occ: np.ndarray, c_d: np.ndarray, rows: np.ndarray,
                             prev_keys: np.ndarray, n_items: int) -> int:
    """The largest ``c_d`` among ``rows`` of ``occ`` that are candidates (every subset
    frequent), 0 if none: rows are checked by descending count in batches growing fourfold,
    so that usually only the few most counted ones are checked."""
    rows = rows[np.argsort(-c_d[rows])]
    start, size = 0, 64
    while start < len(rows):  # a loop over batches of rows, at most log4(rows) of them
        part = rows[start:start + size]
        candidate = all_subsets_in(occ[part], prev_keys, n_items)
        if candidate.any():
            return int(c_d[part[candidate]].max())
        start, size = start + size, size * 4
    return 0


def _frequent_only(new: sp.csr_matrix, frequent: np.ndarray) -> sp.csr_matrix:
    """The new baskets with their frequent items only: a candidate holds no other, and a
    tracked itemset holding another stops being tracked (:func:`_level`)."""
    keep = frequent[new.indices]
    indptr = np.r_[0, np.cumsum(keep)][new.indptr]
    return sp.csr_matrix((new.data[keep], new.indices[keep], indptr), shape=new.shape)


def update(old: Summary, baskets: sp.csr_matrix, n_new: int, t: int,
           max_len: int | None, columns: Columns | None = None) -> Summary:
    """The summary after the last ``n_new`` rows of ``baskets`` (binary CSR, sorted rows, every
    basket so far) were added, with count threshold ``t`` (never below the last one);
    ``columns``, the baskets' column index when the caller keeps one."""
    new = baskets[baskets.shape[0] - n_new:]
    item_counts = old.item_counts + np.bincount(new.indices, minlength=baskets.shape[1])
    prev = np.flatnonzero(item_counts >= t).astype(np.int32)[:, None]
    prev_keys = keys(prev, baskets.shape[1])
    old_frequent = [members for members, _ in old.frequent(old.min_count)]
    rank = np.full(baskets.shape[1], -1)
    rank[prev[:, 0]] = np.arange(len(prev))
    new = _frequent_only(new, rank >= 0)
    occurrences = (rank[new.indices], np.arange(new.nnz))
    columns = Columns(baskets) if columns is None else columns
    tables, growth = [], 0
    k = 2
    while len(prev) > 1 and (max_len is None or k <= max_len):
        table = old.tables[k - 2] if k - 2 < len(old.tables) else \
            (np.empty((0, k), np.int32), np.empty(0, np.int64))
        old_prev = old_frequent[k - 2] if k - 2 < len(old_frequent) else \
            np.empty((0, k - 1), np.int32)
        step = _level(table, (prev, prev_keys), old_prev, occurrences, columns, new, t, old,
                      item_counts, growth)
        growth = step.growth
        tables.append(step.table)
        frequent = step.table[1] >= t
        if not frequent.any():
            break
        prev, prev_keys = step.table[0][frequent], step.frequent_keys
        occurrences = (step.rows, step.positions)
        k += 1
    while tables and len(tables[-1][1]) == 0:
        tables.pop()
    return Summary(tables, item_counts, old.floor, old.slack + growth, t)

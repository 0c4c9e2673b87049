"""The frequent-itemset miner behind :func:`recsys.rules.mining.mine`: probing baskets level by level.

Items are ranked by descending count and the baskets become a CSR over the frequent items in
that rank order, each row sorted. A frequent k-itemset X is a row of ``members`` (ranks,
ascending; rows in lexicographic order) and its occurrences are *entries*: (row of X,
position in the basket CSR of X's last item). Rows sharing all but their last item (their
*parent* P; the empty set for single items) are contiguous *siblings*.

X + c can only be frequent if P + c is, with c after X's last item: c is a later sibling's
last item. So one pass over the entries looks up each item after the entry's position in its
basket in a table (parent, item) -> sibling row. A hit is an occurrence of the candidate
X + c; ``bincount`` gives every candidate's count, and the hits of the frequent candidates are
the next level's entries (the probed position is the new last item's). Only sibling pairs
are ever counted, and every step is a numpy gather, compare or bincount.

Memory (the model stated in ``docs/rules.md``): the basket CSR (8 bytes a purchase of a
frequent item), the entries of the current and the next level (8 bytes an occurrence of a
frequent itemset, twice while a level is gathered), and per chunk at most :data:`PROBES`
probes (about 30 bytes each), :data:`HITS` kept hits (8 bytes each) and :data:`CELLS` table
cells and candidate counters (about 25 bytes each): about 45 MB of working memory. Before
each chunk the sum is checked against ``max_memory`` (:func:`_check_memory`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recsys._engine.arrays import budget_ranges
from recsys.exceptions import InvalidParameterError

#: basket items looked up at once (each ~30 bytes of buffers)
PROBES = 500_000
#: probe hits kept between counting and collecting (8 bytes each) before probing twice
HITS = 2_000_000
#: (parent, item) table cells plus candidates per chunk (about 25 bytes each)
CELLS = 500_000
#: bytes an entry (one occurrence of a frequent itemset) takes: 8, twice while a level's
#: arrays are gathered
ENTRY_BYTES = 16
#: bytes a found itemset takes in the frame ``frequent_itemsets`` returns (a frozenset of ids,
#: its support, count and length)
OUTPUT_BYTES = 300
#: the working buffers' bytes at most
BUFFER_BYTES = CELLS * 25 + PROBES * 30 + HITS * 8


@dataclass
class Level:
    """The frequent k-itemsets in rank space and their occurrences."""

    members: np.ndarray  # (n, k) int32 ranks, rows in lexicographic order
    counts: np.ndarray  # (n,) int64 baskets holding each
    parent: np.ndarray  # (n,) int64 row of the parent at level k - 1 (0: the empty set)
    rows: np.ndarray  # entries: itemset row, int32
    positions: np.ndarray  # entries: position of the itemset's last item in the basket CSR
    #: candidates counted at least ``floor`` times but not frequent: (members, counts)
    near: tuple[np.ndarray, np.ndarray] | None = None


@dataclass(frozen=True)
class Baskets:
    """The basket CSR over ranked items, with each position's row end."""

    indices: np.ndarray  # int32 item ranks, sorted within each basket
    row_end: np.ndarray  # per position, the end of its basket's row
    n_items: int

    @property
    def nbytes(self) -> int:
        return self.indices.nbytes + self.row_end.nbytes


def first_level(baskets: sp.csr_matrix, counts: np.ndarray) -> tuple[Baskets, Level]:
    """Single items as a level: ``baskets`` has ranked, sorted columns; ``counts`` per column."""
    nnz = baskets.nnz
    kind = np.int32 if nnz < 2**31 - 1 else np.int64
    sizes = np.diff(baskets.indptr)
    row_end = np.repeat(baskets.indptr[1:].astype(kind), sizes)
    # positions grouped by item (ascending within each): the CSC order of the positions
    order = sp.csr_matrix((np.arange(nnz, dtype=kind), baskets.indices, baskets.indptr),
                          shape=baskets.shape).tocsc()
    n_items = baskets.shape[1]
    level = Level(members=np.arange(n_items, dtype=np.int32)[:, None],
                  counts=np.asarray(counts, np.int64), parent=np.zeros(n_items, np.int64),
                  rows=np.repeat(np.arange(n_items, dtype=np.int32), np.diff(order.indptr)),
                  positions=order.data.astype(kind, copy=False))
    return Baskets(baskets.indices.astype(np.int32, copy=False), row_end, n_items), level


def _siblings(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the first row of its sibling group, the end of the group, and later siblings."""
    n = len(parent)
    starts = np.flatnonzero(np.r_[True, parent[1:] != parent[:-1]])
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, n]))
    ends = np.r_[starts[1:], n]
    return starts[group], ends[group], ends[group] - np.arange(n) - 1


def _row_chunks(later: np.ndarray, group_first: np.ndarray, n_items: int) -> list[tuple[int, int]]:
    """Row ranges whose candidates plus table cells stay near :data:`CELLS`."""
    new_group = np.r_[True, group_first[1:] != group_first[:-1]]
    return budget_ranges(np.cumsum(later + new_group * n_items), CELLS)


class _Chunk:
    """The probe of one range of rows: its table and candidate numbering."""

    def __init__(self, level: Level, baskets: Baskets, r0: int, r1: int, sib: tuple,
                 cand_offset: np.ndarray):
        group_first, group_end, _ = sib
        s0, s1 = int(group_first[r0]), int(group_end[r1 - 1])
        n_items = baskets.n_items
        # one table block per sibling group in the chunk (parents without rows get none)
        parent = level.parent[s0:s1]
        block_of = np.cumsum(np.r_[0, parent[1:] != parent[:-1]], dtype=np.int64) * n_items
        self.table = np.full(int(block_of[-1]) + n_items, -1, np.int32)
        self.table[block_of + level.members[s0:s1, -1]] = np.arange(s0, s1, dtype=np.int32)
        rows = np.arange(r0, r1)
        # per source row: its table block, and the candidate id minus the sibling's row
        self.block = block_of[r0 - s0:r1 - s0].astype(np.int32)
        self.shift = (cand_offset[r0:r1] - rows - 1 - cand_offset[r0]).astype(np.int32)
        self.r0 = r0
        # the first level: one parent (the empty set) and row i holding item i
        self.direct = level.members.shape[1] == 1
        self.n_candidates = int(cand_offset[r1] - cand_offset[r0])  # < 2**31: a chunk is small
        self.baskets = baskets

    def probe(self, rows: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(candidate, position) for every hit of these entries."""
        width = self.baskets.row_end[positions] - positions - 1
        total = int(width.sum())
        if total == 0:
            return np.empty(0, np.int32), np.empty(0, positions.dtype)
        starts = np.cumsum(width, dtype=positions.dtype)
        starts -= width
        probed = np.repeat(positions + 1 - starts, width)
        probed += np.arange(total, dtype=probed.dtype)
        local = rows - self.r0
        if self.direct:  # single items: every later item is a sibling, its rank its row
            candidate = np.repeat(self.shift[local], width)
            candidate += self.baskets.indices[probed]
            return candidate, probed
        slot = np.repeat(self.block[local], width)
        slot += self.baskets.indices[probed]
        sibling = self.table[slot]
        hit = sibling >= 0
        candidate = np.repeat(self.shift[local], width)[hit]
        candidate += sibling[hit]
        return candidate, probed[hit]


def _probe_chunks(rows: np.ndarray, positions: np.ndarray, row_end: np.ndarray) -> list[slice]:
    """Entry slices of at most about :data:`PROBES` probes each."""
    return [slice(start, stop) for start, stop in
            budget_ranges(np.cumsum(row_end[positions] - positions - 1), PROBES)]


def _count_chunk(chunk: _Chunk, rows: np.ndarray, positions: np.ndarray, min_count: int):
    """Counts of the chunk's candidates and the (candidate, position) hits of the frequent ones.

    Hits are kept from the counting pass while they fit in :data:`HITS`; past that the
    entries are probed a second time, keeping only the frequent candidates' hits.
    """
    parts = _probe_chunks(rows, positions, chunk.baskets.row_end)
    counts = np.zeros(chunk.n_candidates, np.int64)
    kept: list | None = []
    n_kept = 0
    for part in parts:
        candidate, probed = chunk.probe(rows[part], positions[part])
        n_kept += len(candidate)
        if kept is not None and n_kept <= HITS:  # counted at the end, in one bincount
            kept.append((candidate, probed))
            continue
        if kept:  # too many to keep: count what was kept, and from now on part by part
            counts += np.bincount(np.concatenate([c for c, _ in kept]),
                                  minlength=chunk.n_candidates)
        kept = None
        counts += np.bincount(candidate, minlength=chunk.n_candidates)
    if kept:
        counts += np.bincount(np.concatenate([c for c, _ in kept]) if len(kept) > 1
                              else kept[0][0], minlength=chunk.n_candidates)
    frequent = counts >= min_count
    if kept is None:  # probe again, keeping the frequent hits only
        hits = [_frequent_hits(chunk.probe(rows[part], positions[part]), frequent)
                for part in parts]
    else:
        hits = [_frequent_hits(part, frequent) for part in kept]
    if not hits:
        return counts, frequent, (np.empty(0, np.int32), np.empty(0, positions.dtype))
    return counts, frequent, (np.concatenate([c for c, _ in hits]),
                              np.concatenate([p for _, p in hits]))


def _frequent_hits(hits: tuple[np.ndarray, np.ndarray], frequent: np.ndarray):
    keep = frequent[hits[0]]
    return hits[0][keep], hits[1][keep]


def next_level(level: Level, baskets: Baskets, min_count: int, max_memory: int,
               floor: int | None = None, held: int = 0) -> Level | None:
    """The frequent (k+1)-itemsets, or None when there are none; with ``floor``, also the
    candidates counted ``floor`` to ``min_count - 1`` times (``Level.near``). ``held``: the
    bytes mining already holds (baskets, earlier itemsets), for the ``max_memory`` check."""
    # refuse before the work when what is held and the buffers already pass the budget
    _check_memory(held, len(level.rows), 0, level.members.shape[1] + 1, max_memory)
    sib = _siblings(level.parent)
    later = sib[2]
    cand_offset = np.r_[0, np.cumsum(later)]
    useful = later[level.rows] > 0
    rows, positions = level.rows[useful], level.positions[useful]
    bounds = _row_chunks(later, sib[0], baskets.n_items)
    single = len(bounds) == 1
    new_ids, new_counts, entry_rows, entry_positions, near_ids, near_counts = ([] for _ in range(6))
    n_new = n_entries = 0
    for r0, r1 in bounds:
        if later[r0:r1].sum() == 0:
            continue
        _check_memory(held, n_entries + len(level.rows), n_new, level.members.shape[1] + 1,
                      max_memory)
        chunk = _Chunk(level, baskets, r0, r1, sib, cand_offset)
        mine = slice(None) if single else (rows >= r0) & (rows < r1)
        counts, frequent, (candidate, probed) = _count_chunk(chunk, rows[mine], positions[mine],
                                                             min_count)
        renumber = np.cumsum(frequent, dtype=np.int32)
        renumber += n_new - 1
        found = np.flatnonzero(frequent)
        n_new += len(found)
        n_entries += len(probed)
        new_ids.append(found + cand_offset[r0])
        new_counts.append(counts[found])
        entry_rows.append(renumber[candidate])
        entry_positions.append(probed)
        if floor is not None:
            near = np.flatnonzero((counts >= floor) & ~frequent)
            near_ids.append(near + cand_offset[r0])
            near_counts.append(counts[near])
        del renumber, counts, frequent
    # what the level holds once gathered (before each chunk, the same check came first)
    _check_memory(held, n_entries + len(level.rows), n_new, level.members.shape[1] + 1,
                  max_memory)
    near = None
    if floor is not None and near_ids:
        near = (_members_of(level, cand_offset, np.concatenate(near_ids))[0],
                np.concatenate(near_counts))
    if n_new == 0:
        return Level(np.empty((0, level.members.shape[1] + 1), np.int32), np.empty(0, np.int64),
                     np.empty(0, np.int64), np.empty(0, np.int32), np.empty(0, np.int32), near) \
            if near is not None and len(near[1]) else None
    members, source = _members_of(level, cand_offset, np.concatenate(new_ids))
    return Level(members=members, counts=np.concatenate(new_counts), parent=source,
                 rows=np.concatenate(entry_rows), positions=np.concatenate(entry_positions),
                 near=near)


def _members_of(level: Level, cand_offset: np.ndarray, ids: np.ndarray):
    """The itemsets of candidate ids (a row and a later sibling's last item), and their rows."""
    source = np.searchsorted(cand_offset, ids, side="right") - 1
    sibling = source + 1 + (ids - cand_offset[source])
    members = np.concatenate([level.members[source], level.members[sibling, -1:]], axis=1)
    return members, source


def _check_memory(held: int, n_entries: int, n_itemsets: int, length: int,
                  max_memory: int) -> None:
    needed = (held + n_entries * ENTRY_BYTES + n_itemsets * (length * 4 + 8 + OUTPUT_BYTES)
              + BUFFER_BYTES)
    if needed > max_memory:
        raise InvalidParameterError(
            f"mining found at least {n_itemsets:,} frequent {length}-itemsets whose baskets "
            f"would need ~{needed / 2**30:.2f} GiB, above max_memory "
            f"({max_memory / 2**30:.2f} GiB). Raise min_support, set max_len={length - 1}, "
            f"or pass a larger max_memory."
        )

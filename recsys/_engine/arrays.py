"""Array helpers where numpy's general routine is slow for our inputs."""

from __future__ import annotations

import numpy as np

__all__ = ["unique", "rank_in_runs", "locate", "in_sorted", "row_ids", "cell_keys", "indptr_of",
           "row_slots", "unit_rows", "largest_per_key", "dense_codes", "budget_ranges",
           "run_starts", "run_lengths"]


def unique(values: np.ndarray) -> np.ndarray:
    """Sorted unique values. numpy 2.x's ``np.unique`` on integers goes through a hash
    table that is about 20x slower than sorting here (1M int64: 1 s against 0.05 s).

    >>> unique(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    values = np.asarray(values)
    # equal numbers are indistinguishable, so any sort does (numpy's default is several times
    # faster than its stable one on integers); text keeps timsort, fast on sorted runs
    ordered = np.sort(values, kind=None if values.dtype.kind in "iuf" else "stable")
    if len(ordered) < 2:
        return ordered
    return ordered[run_starts(ordered)]


def run_starts(ordered: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts in sorted ``ordered`` (its distinct values are
    ``ordered[run_starts(ordered)]``, their counts ``run_lengths``).

    >>> run_starts(np.array([3, 3, 5, 7, 7])).tolist()
    [0, 2, 3]
    """
    if len(ordered) == 0:
        return np.empty(0, np.int64)
    first = np.empty(len(ordered), bool)
    first[0] = True
    first[1:] = ordered[1:] != ordered[:-1]  # the operator also compares byte keys
    return np.flatnonzero(first)


def run_lengths(starts: np.ndarray, total: int) -> np.ndarray:
    """The length of each run from :func:`run_starts` of an array of ``total`` values.

    >>> run_lengths(np.array([0, 2, 3]), 5).tolist()
    [2, 1, 2]
    """
    return np.diff(np.r_[starts, total]).astype(np.int64)


def rank_in_runs(keys: np.ndarray) -> np.ndarray:
    """For sorted ``keys``, each element's position within its run of equal keys (0, 1, ...).

    Linear time; the shared step of every "first k per user / basket / row" selection.

    >>> rank_in_runs(np.array([3, 3, 5, 7, 7, 7])).tolist()
    [0, 1, 0, 0, 1, 2]
    """
    index = np.arange(len(keys))
    if len(keys) == 0:
        return index
    starts = np.ones(len(keys), bool)
    np.not_equal(keys[1:], keys[:-1], out=starts[1:])
    return index - np.maximum.accumulate(np.where(starts, index, 0))


def locate(keys: np.ndarray, probe: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``probe`` sits in ``keys`` (sorted ascending) and whether it is there.

    The position is clipped into ``keys`` (read ``values[position]`` only where found; with
    no keys at all it is 0 and nothing is found). ``np.isin`` goes through numpy 2's slow hash
    unique; with the keys already sorted this is one binary search per probe. Against millions
    of keys, many probes are searched in ascending order (numpy then reuses its last position).

    >>> position, found = locate(np.array([2, 5, 9]), np.array([5, 6, 9, 1]))
    >>> position.tolist(), found.tolist()
    ([1, 2, 2, 0], [True, False, True, False])
    """
    probe = np.asarray(probe)
    if len(keys) == 0:
        return np.zeros(probe.shape, np.int64), np.zeros(probe.shape, bool)
    flat = probe.ravel()
    # sorting the probes pays only when the keys outgrow the caches (random access misses)
    if len(keys) > 1_000_000 and probe.size > 100_000 and not (flat[1:] >= flat[:-1]).all():
        order = np.argsort(flat)  # ties land on the same position: no need for stability
        position = np.empty(flat.shape, np.int64)
        position[order] = np.searchsorted(keys, flat[order])
        position = position.reshape(probe.shape)
    else:
        position = np.searchsorted(keys, probe)
    position = np.minimum(position, len(keys) - 1)
    return position, keys[position] == probe


def in_sorted(keys: np.ndarray, probe: np.ndarray) -> np.ndarray:
    """Whether each of ``probe`` is in ``keys`` (sorted ascending); see :func:`locate`.

    >>> in_sorted(np.array([2, 5, 9]), np.array([5, 6, 9, 1])).tolist()
    [True, False, True, False]
    """
    return locate(keys, probe)[1]


def row_lengths(indptr: np.ndarray) -> np.ndarray:
    """Stored cells per row of a CSR ``indptr`` (``np.diff`` without its per-call overhead,
    which a one-customer request pays several times).

    >>> row_lengths(np.array([0, 2, 2, 5])).tolist()
    [2, 0, 3]
    """
    return indptr[1:] - indptr[:-1]


def row_ids(indptr: np.ndarray) -> np.ndarray:
    """The row of each stored cell of a CSR matrix, from its ``indptr`` (int64).

    >>> row_ids(np.array([0, 2, 2, 3])).tolist()
    [0, 0, 2]
    """
    return np.repeat(np.arange(len(indptr) - 1, dtype=np.int64), row_lengths(indptr))


def cell_keys(matrix) -> np.ndarray:
    """``row * n_cols + col`` of each stored cell of a CSR matrix: one sortable int64 key per
    cell (ascending when the matrix's indices are sorted), for look-ups with :func:`locate`."""
    return row_ids(matrix.indptr) * matrix.shape[1] + matrix.indices


def indptr_of(rows: np.ndarray, n_rows: int) -> np.ndarray:
    """A CSR ``indptr`` for cells whose rows (ascending) are ``rows``.

    >>> indptr_of(np.array([0, 0, 2]), 3).tolist()
    [0, 2, 2, 3]
    """
    indptr = np.zeros(n_rows + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    return indptr


def row_slots(indptr: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """For the stored cells of a CSR matrix: each cell's row, its position within the row, and
    the longest row (to lay rows out as a dense, padded (rows, width) block).

    >>> row, slot, width = row_slots(np.array([0, 2, 2, 5]))
    >>> row.tolist(), slot.tolist(), width
    ([0, 0, 2, 2, 2], [0, 1, 0, 1, 2], 3)
    """
    lengths = row_lengths(indptr)
    slot = np.arange(int(indptr[-1] - indptr[0])) - np.repeat(indptr[:-1] - indptr[0], lengths)
    return row_ids(indptr), slot, int(lengths.max(initial=0))


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero).

    >>> unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]])).tolist()
    [[0.6, 0.8], [0.0, 0.0]]
    """
    norms = np.linalg.norm(vectors, axis=1)
    return vectors / np.where(norms > 0, norms, 1.0)[:, None]


def largest_per_key(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct ``keys`` and the largest of each one's ``values`` (e.g. each
    customer x product pair's latest purchase).

    >>> largest_per_key(np.array([7, 3, 7]), np.array([1.0, 5.0, 2.0]))
    (array([3, 7]), array([5., 2.]))
    """
    order = np.lexsort((values, keys))  # per key, its largest value last
    keys, values = keys[order], values[order]
    last = np.ones(len(keys), bool)
    np.not_equal(keys[1:], keys[:-1], out=last[:-1])
    return keys[last], values[last]


def dense_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct integers and each value's (int32) index among them; a presence table
    when the values' range is small against their number, else a sort.

    >>> [a.tolist() for a in dense_codes(np.array([7, 3, 7, 5]))]
    [[3, 5, 7], [2, 0, 2, 1]]
    """
    low, high = int(values.min()), int(values.max())
    if high - low > 4 * len(values) + 1_000_000:
        uniq = unique(values)
        return uniq, np.searchsorted(uniq, values).astype(np.int32)
    present = np.zeros(high - low + 1, bool)
    present[values - low] = True
    code_of = np.cumsum(present, dtype=np.int32) - 1
    return np.flatnonzero(present) + low, code_of[values - low]


def budget_ranges(cum: np.ndarray, budget: int) -> list[tuple[int, int]]:
    """Contiguous (start, stop) ranges whose weights (``cum``: their running sum) add up to
    about ``budget`` each; a heavier single weight gets a range of its own.

    >>> budget_ranges(np.cumsum([3, 3, 3, 9, 1]), 6)
    [(0, 2), (2, 3), (3, 4), (4, 5)]
    """
    bounds, start = [], 0
    while start < len(cum):
        base = cum[start - 1] if start else 0
        stop = max(int(np.searchsorted(cum, base + budget, side="right")), start + 1)
        bounds.append((start, min(stop, len(cum))))
        start = stop
    return bounds

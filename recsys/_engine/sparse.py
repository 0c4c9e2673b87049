"""Exact top-k over dense score blocks, ties broken by item index."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recsys._engine.arrays import (
    cell_keys,
    in_sorted,
    indptr_of,
    rank_in_runs,
    row_ids,
    row_lengths,
    row_slots,
    unique,
)

__all__ = ["topk", "mask_rows", "chunk_rows", "take_rows", "binary_rows", "dense_scores",
           "one_hot_rows", "sorted_csr", "padded_blocks", "drop_entries", "topk_sparse", "top_per_row",
           "dense_product", "without_rows"]

def _plain_csr_layout() -> bool:
    """Whether this scipy's CSR matrix is exactly its five plain attributes (what
    :func:`csr` sets); otherwise :func:`csr` takes scipy's own constructor."""
    probe = sp.csr_matrix((np.ones(1, np.float32), np.zeros(1, np.int32),
                           np.array([0, 1], np.int32)), shape=(1, 1))
    return set(vars(probe)) == {"_shape", "maxprint", "data", "indices", "indptr"}


_PLAIN_CSR = _plain_csr_layout()


def csr(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray,
        shape: tuple[int, int]) -> sp.csr_matrix:
    """A CSR matrix of arrays this package derived from valid ones (so valid by construction),
    without scipy's format checks: they cost about 25 microseconds a matrix, several times
    per one-customer request. Never for arrays read from outside (files, callers).

    >>> csr(np.ones(2, np.float32), np.array([2, 0]), np.array([0, 1, 2]), (2, 3)).toarray()
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """
    wide = max(len(indices), shape[1]) >= np.iinfo(np.int32).max
    index_dtype = np.int64 if wide else np.int32
    indices = np.asarray(indices).astype(index_dtype, copy=False)
    indptr = np.asarray(indptr).astype(index_dtype, copy=False)
    if not _PLAIN_CSR:
        return sp.csr_matrix((data, indices, indptr), shape=shape)
    matrix = sp.csr_matrix.__new__(sp.csr_matrix)
    matrix.data, matrix.indices, matrix.indptr = data, indices, indptr
    # scipy's own attribute, set as its constructor would: the layout probe above confirms
    # this scipy stores exactly these five, else the checked constructor is used instead
    matrix._shape = (int(shape[0]), int(shape[1]))  # noqa: SLF001  (scipy's, probed above)
    matrix.maxprint = 50
    return matrix


#: score cells held at once by the chunked paths (float32: 32 MiB)
CELL_BUDGET = 8_000_000


def chunk_rows(n_cols: int, budget: int = CELL_BUDGET) -> int:
    """How many rows of ``n_cols`` scores fit in the cell budget (at least 1)."""
    return max(1, budget // max(1, n_cols))


def topk(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` best columns of each row, best first, equal scores by lower index.

    ``-inf`` and NaN mark columns that may not be returned; a row with fewer
    than ``k`` allowed columns comes back short (index -1, score NaN, and its
    length in ``lengths``), never padded with excluded columns. ``scores`` is
    overwritten (NaN become -inf).

    Returns
    -------
    index : (n, k) int32, scores : (n, k) float32, lengths : (n,) int64

    Examples
    --------
    >>> s = np.array([[0.5, 2.0, 2.0, -np.inf]], dtype=np.float32)
    >>> idx, val, n = topk(s, 4)
    >>> idx.tolist(), n.tolist()
    ([[1, 2, 0, -1]], [3])
    """
    n, m = scores.shape
    np.copyto(scores, -np.inf, where=np.isnan(scores))
    width = min(k, m)
    if n == 0 or width == 0:
        return (np.full((n, k), -1, np.int32), np.full((n, k), np.nan, np.float32),
                np.zeros(n, np.int64))
    if width == m:
        cols = np.broadcast_to(np.arange(m), (n, m)).copy()
    else:
        cols = _best_columns(scores, width)
    vals = np.take_along_axis(scores, cols, axis=1)
    order = np.lexsort((cols, -vals), axis=1)  # score descending, then lower index
    cols = np.take_along_axis(cols, order, axis=1).astype(np.int32)
    vals = np.take_along_axis(vals, order, axis=1).astype(np.float32)
    valid = vals > -np.inf
    cols[~valid] = -1
    vals[~valid] = np.nan
    if width < k:
        cols = np.pad(cols, ((0, 0), (0, k - width)), constant_values=-1)
        vals = np.pad(vals, ((0, 0), (0, k - width)), constant_values=np.nan)
    return cols, vals, valid.sum(axis=1)


def _best_columns(scores: np.ndarray, width: int) -> np.ndarray:
    """The columns of each row's ``width`` largest scores (in no order), ties at the cut to
    the lower column indices. An introselect finds a set of the right size; only rows where
    equal scores at the cut were left out (rare with real scores) are redone exactly."""
    cols = np.argpartition(-scores, width - 1, axis=1)[:, :width]
    vals = np.take_along_axis(scores, cols, axis=1)
    kth = vals.min(axis=1)
    # -inf at the cut marks cells that are never returned: which of them were taken is moot
    finite_cut = kth > -np.inf
    crowded = np.flatnonzero(finite_cut & (
        (scores == kth[:, None]).sum(axis=1) > (vals == kth[:, None]).sum(axis=1)))
    if len(crowded):
        part, cut = scores[crowded], kth[crowded, None]
        above, ties = part > cut, part == cut
        need = width - above.sum(axis=1)
        ties &= np.cumsum(ties, axis=1, dtype=np.int32) <= need[:, None]
        cols[crowded] = np.nonzero(above | ties)[1].reshape(len(crowded), width)
    return cols


def gather_cells(indptr: np.ndarray, rows: np.ndarray,
            empty_below_zero: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the stored cells of ``rows`` (in order) and the new ``indptr``."""
    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    if empty_below_zero:  # -1: an empty row (e.g. a customer the model does not know)
        lengths[rows < 0] = 0
    new_indptr = np.zeros(len(rows) + 1, dtype=indptr.dtype)
    np.cumsum(lengths, out=new_indptr[1:])
    return np.repeat(starts - new_indptr[:-1], lengths) + np.arange(new_indptr[-1]), new_indptr


def without_rows(matrix: sp.csr_matrix, gone: np.ndarray) -> sp.csr_matrix:
    """``matrix`` without the rows the boolean mask ``gone`` marks, in new arrays: one pass
    over the stored cells (a gather of the kept rows, as ``take_rows`` does, costs several
    times that when nearly every row is kept).

    >>> m = csr(np.arange(1, 4, dtype=np.float32), np.array([0, 2, 1]), np.array([0, 2, 2, 3]),
    ...         (3, 3))
    >>> without_rows(m, np.array([True, False, False])).toarray()
    array([[0., 0., 0.],
           [0., 3., 0.]], dtype=float32)
    """
    lengths = np.diff(matrix.indptr)
    cells = np.repeat(~gone, lengths)
    indptr = np.zeros(int((~gone).sum()) + 1, matrix.indptr.dtype)
    np.cumsum(lengths[~gone], out=indptr[1:])
    return csr(matrix.data[cells], matrix.indices[cells], indptr,
               (len(indptr) - 1, matrix.shape[1]))


def take_rows(matrix: sp.csr_matrix, rows: np.ndarray,
              empty_below_zero: bool = False) -> sp.csr_matrix:
    """``matrix[rows]`` for a CSR matrix, gathered with numpy (with ``empty_below_zero``, a
    row of -1 is an empty row): scipy's fancy row indexing
    spends about 50 microseconds a call validating, which a one-customer request pays. A run
    of consecutive rows (a chunk of recommend-all) shares the matrix's arrays instead of
    copying them: treat the result as read-only."""
    rows = np.asarray(rows, dtype=np.int64)
    n = len(rows)
    if n > 1 and rows[0] >= 0 and rows[-1] - rows[0] == n - 1 and bool((np.diff(rows) == 1).all()):
        first, last = matrix.indptr[rows[0]], matrix.indptr[rows[-1] + 1]
        return csr(matrix.data[first:last], matrix.indices[first:last],
                   matrix.indptr[rows[0]:rows[-1] + 2] - first, (n, matrix.shape[1]))
    position, indptr = gather_cells(matrix.indptr, rows, empty_below_zero)
    return csr(matrix.data[position], matrix.indices[position], indptr,
               (len(rows), matrix.shape[1]))


def binary_rows(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> sp.csr_matrix:
    """A 0/1 CSR matrix with a 1 at each (row, col) pair (repeats count once), built with numpy
    (no COO round trip: a cart costs microseconds).

    >>> binary_rows(np.array([1, 0, 1]), np.array([2, 0, 2]), 2, 3).toarray().tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    width = max(n_cols, 1)
    key = unique(np.asarray(rows, np.int64) * width + np.asarray(cols, np.int64))
    return csr(np.ones(len(key), np.float32), key % width, indptr_of(key // width, n_rows),
               (n_rows, n_cols))


def padded_blocks(matrix: sp.csr_matrix, step: int):
    """Blocks of ``step`` rows of a CSR matrix, each as ``(rows, part, row, slot, width)``:
    the row slice, its CSR rows, and each cell's row and position in a dense (rows, width)
    layout (see :func:`~recsys._engine.arrays.row_slots`). Blocks without any cell are skipped."""
    for start in range(0, matrix.shape[0], step):
        rows = slice(start, min(matrix.shape[0], start + step))
        # one block (a request): the matrix itself; scipy's slicing validates at length
        part = matrix if step >= matrix.shape[0] else take_rows(matrix, np.arange(
            rows.start, rows.stop))
        row, slot, width = row_slots(part.indptr)
        if width:
            yield rows, part, row, slot, width


def dense_scores(scores: sp.csr_matrix) -> np.ndarray:
    """Dense float32 scores from sparse ones, ``-inf`` where nothing is stored (the model
    cannot score there, which is not the same as a score of 0).

    >>> dense_scores(sp.csr_matrix(np.array([[0.0, 2.0]]))).tolist()
    [[-inf, 2.0]]
    """
    scores = scores.tocsr()
    out = np.full(scores.shape, -np.inf, np.float32)
    # one flat index per cell: about twice as fast as numpy's two-array scatter
    flat = row_ids(scores.indptr).astype(np.int64) * scores.shape[1] + scores.indices
    out.ravel()[flat] = scores.data
    return out


def dense_product(left: sp.csr_matrix, right: sp.csr_matrix) -> np.ndarray:
    """``(left @ right).toarray()`` in float64 for a few rows of ``left`` (CSR both), with
    numpy alone: each stored cell of ``left`` adds its weight times a row of ``right``. A
    one-cart request pays about ten scipy constructions through ``@``; this is a gather and a
    bincount. For many rows use ``@`` (its output is sparse, this one dense).

    >>> a = sp.csr_matrix(np.array([[1.0, 2.0]])); b = sp.csr_matrix(np.array([[0, 3.0], [1, 0]]))
    >>> dense_product(a, b).tolist()
    [[2.0, 3.0]]
    """
    n, width = left.shape[0], right.shape[1]
    cells, indptr = gather_cells(right.indptr, left.indices.astype(np.int64))
    lengths = np.diff(indptr)
    flat = right.indices[cells]
    if n > 1:  # one row (a request) needs no row offsets
        flat = np.repeat(row_ids(left.indptr).astype(np.int64), lengths) * width + flat
    weights = np.repeat(left.data.astype(np.float64), lengths) * right.data[cells]
    # (an empty gather comes back as integers from bincount: float64 always)
    return np.bincount(flat, weights=weights, minlength=n * width).astype(
        np.float64, copy=False).reshape(n, width)


def one_hot_rows(index: np.ndarray, n_cols: int) -> sp.csr_matrix:
    """Row ``i`` holds a single 1 at column ``index[i]`` (e.g. items as one-item histories)."""
    index = np.asarray(index, np.int64)
    return csr(np.ones(len(index), np.float32), index, np.arange(len(index) + 1),
               (len(index), n_cols))


def mask_rows(scores: np.ndarray, matrix: sp.csr_matrix, rows: np.ndarray | None = None) -> None:
    """Set ``scores[i, j] = -inf`` wherever ``matrix[rows[i], j]`` is stored (in place);
    ``rows`` defaults to every row of ``matrix``."""
    if rows is None:
        indptr, indices = matrix.indptr, matrix.indices
    else:
        position, indptr = gather_cells(matrix.indptr, np.asarray(rows, dtype=np.int64))
        indices = matrix.indices[position]
    if len(indices):
        scores[row_ids(indptr), indices] = -np.inf


def topk_sparse(scores: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`topk` for scores held as a CSR matrix: only stored cells can be returned.

    Rows hold few scorable items (rules that fired, neighbours reached), so sorting the stored
    entries is cheaper than a dense pass over the catalogue. Same order: score descending,
    then column index; -inf/NaN entries are never returned.
    """
    scores = scores.tocsr()
    n = scores.shape[0]
    counts = row_lengths(scores.indptr)
    rows = np.repeat(np.arange(n), counts)
    data = scores.data.astype(np.float32)
    ok = np.isfinite(data) | (data == np.inf)
    rows, cols, data = rows[ok], scores.indices[ok], data[ok]
    order = np.lexsort((cols, -data, rows))
    rows, cols, data = rows[order], cols[order], data[order]
    position = rank_in_runs(rows)
    keep = position < k
    out_cols = np.full((n, k), -1, np.int32)
    out_vals = np.full((n, k), np.nan, np.float32)
    out_cols[rows[keep], position[keep]] = cols[keep]
    out_vals[rows[keep], position[keep]] = data[keep]
    return out_cols, out_vals, np.minimum(np.bincount(rows, minlength=n), k).astype(np.int64)


def drop_entries(scores: sp.csr_matrix, blocked_columns: np.ndarray | None,
                 blocked_cells: sp.csr_matrix | None) -> sp.csr_matrix:
    """``scores`` without entries in blocked columns (bool mask) or at the stored cells of
    ``blocked_cells`` (same shape), e.g. the items already in each history."""
    scores = scores.tocsr()
    n, m = scores.shape
    rows = row_ids(scores.indptr)
    keep = np.ones(scores.nnz, bool)
    if blocked_columns is not None:
        keep &= ~blocked_columns[scores.indices]
    if blocked_cells is not None and blocked_cells.nnz:
        keep &= ~in_sorted(cell_keys(sorted_csr(blocked_cells)), rows * m + scores.indices)
    # the kept cells stay in row order: no COO round trip
    return csr(scores.data[keep], scores.indices[keep], indptr_of(rows[keep], n), (n, m))


def sorted_csr(matrix: sp.spmatrix) -> sp.csr_matrix:
    """``matrix`` as CSR with sorted indices, copied only when it is not so already (never
    sorted in place: it may be the caller's, or a model's read-only fitted state)."""
    matrix = matrix.tocsr()
    return matrix if matrix.has_sorted_indices else matrix.sorted_indices()


def unit_sparse_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Rows scaled to unit length (empty rows stay empty), a new float32 CSR; numpy only (a
    request's one row pays no scipy constructions).

    >>> unit_sparse_rows(sp.csr_matrix(np.array([[3.0, 4.0], [0.0, 0.0]]))).toarray().tolist()
    [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]]
    """
    matrix = matrix.tocsr()
    if not matrix.has_canonical_format:
        matrix = matrix.copy()
        matrix.sum_duplicates()
    data = matrix.data.astype(np.float64)
    lengths = np.diff(matrix.indptr)
    norms = np.sqrt(np.bincount(row_ids(matrix.indptr), weights=data * data,
                                minlength=matrix.shape[0]))
    inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return csr((data * np.repeat(inv, lengths)).astype(np.float32), matrix.indices.copy(),
               matrix.indptr.copy(), matrix.shape)


def top_per_row(block: np.ndarray, first_row: int, k: int) -> sp.csr_matrix:
    """The ``k`` largest positive cells of each row of a dense block of an items x items
    matrix, the diagonal (row ``i`` of the block is item ``first_row + i``) left out, as CSR
    rows: pruning a similarity built block by block. ``block`` is overwritten.

    >>> top_per_row(np.array([[9.0, 2.0, 3.0, -1.0]]), 0, 2).toarray().tolist()
    [[0.0, 2.0, 3.0, 0.0]]
    """
    rows = np.arange(block.shape[0])
    block[rows, first_row + rows] = 0.0
    width = min(k, block.shape[1])
    cols = np.argpartition(-block, width - 1, axis=1)[:, :width]
    vals = np.take_along_axis(block, cols, axis=1)
    keep = vals > 0
    return sp.csr_matrix((vals[keep].astype(np.float32),
                          (np.repeat(rows, keep.sum(axis=1)), cols[keep])), shape=block.shape)


def placed_square(matrix: sp.csr_matrix, where: np.ndarray, n: int) -> sp.csr_matrix:
    """``matrix`` (square, over the items ``where``: a solution on the products with
    interactions) as an n x n CSR over the whole catalogue, sorted indices."""
    lengths = np.zeros(n, np.int64)
    lengths[where] = np.diff(matrix.indptr)
    placed = sp.csr_matrix((matrix.data, where[matrix.indices].astype(np.int32),
                            np.r_[0, np.cumsum(lengths)]), shape=(n, n))
    placed.sort_indices()
    return placed

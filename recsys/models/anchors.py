"""Array kernels behind the batch reasons: for each pick, the history item, rule or attribute
that explains it, computed for a whole block of customers at once.

The models' ``_anchors`` hooks call these with their own arrays; nothing here knows a model.
They are the models' internals, not public API (``__all__`` holds the history bound only).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from recsys._engine.arrays import cell_keys, indptr_of, locate, rank_in_runs, row_ids, row_lengths
from recsys._engine.sparse import csr, padded_blocks, sorted_csr, take_rows
from recsys.ranking import Anchors

__all__ = ["MAX_HISTORY"]

#: history items searched per customer for batch reasons (the most weighted ones)
MAX_HISTORY = 64

Weight = Callable[[np.ndarray, np.ndarray], np.ndarray]


def top_of_rows(matrix: sp.csr_matrix, limit: int) -> sp.csr_matrix:
    """Keep each row's ``limit`` largest entries (ties by column)."""
    matrix = sorted_csr(matrix)
    if row_lengths(matrix.indptr).max(initial=0) <= limit:
        return matrix
    rows = row_ids(matrix.indptr)
    order = np.lexsort((matrix.indices, -matrix.data, rows))
    keep = np.sort(order[rank_in_runs(rows[order]) < limit])  # kept cells stay in row order
    return csr(matrix.data[keep], matrix.indices[keep], indptr_of(rows[keep], matrix.shape[0]),
               matrix.shape)


def _pairs(history: sp.csr_matrix, picks: np.ndarray):
    """Every (pick cell, history item) pair, grouped by cell: group sizes, history items,
    history weights and the picked item of each pair (histories cut to ``MAX_HISTORY``, so
    the work per pick is bounded however long the history)."""
    n, k = picks.shape
    history = top_of_rows(history, MAX_HISTORY)
    sizes = np.repeat(row_lengths(history.indptr), k)  # pairs per cell
    sizes[picks.ravel() < 0] = 0
    total = int(sizes.sum())
    cell = np.repeat(np.arange(n * k), sizes)
    start = np.repeat(history.indptr[:-1], k)[cell]
    offset = np.arange(total) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    entry = start + offset
    return sizes, history.indices[entry], history.data[entry], picks.ravel()[cell]


def _best(sizes: np.ndarray, value: np.ndarray, anchor: np.ndarray) -> np.ndarray:
    """Per cell (pairs grouped by cell, ``sizes`` each): the anchor of the largest positive
    value, ties to the lower anchor; -1 where there is none. Linear time (reduceat)."""
    best = np.full(len(sizes), -1, np.int64)
    filled = np.flatnonzero(sizes > 0)
    if len(filled) == 0:
        return best
    starts = (np.cumsum(sizes) - sizes)[filled]
    top = np.maximum.reduceat(value, starts)
    at_top = value == np.repeat(top, sizes[filled])
    big = np.iinfo(np.int64).max
    lowest = np.minimum.reduceat(np.where(at_top, anchor, big), starts)
    good = top > 0
    best[filled[good]] = lowest[good]
    return best


def sparse_weight(weights: sp.csr_matrix) -> Weight:
    """``weight(history_items, picked_items)``: the cells of a sparse item x item matrix (0
    where nothing is stored), by binary search of its sorted cell keys."""
    weights = sorted_csr(weights)
    keys = cell_keys(weights)

    def weight(hist: np.ndarray, item: np.ndarray) -> np.ndarray:
        if len(keys) == 0:
            return np.zeros(len(hist))
        pos, found = locate(keys, hist.astype(np.int64) * weights.shape[1] + item)
        return np.where(found, weights.data[pos], 0.0)
    return weight


def item_anchors(history: sp.csr_matrix, picks: np.ndarray, weight: Weight,
                 item_ids: np.ndarray) -> Anchors:
    """Item-to-item models: for each pick, the history item with the largest
    ``history weight x weight(history item, pick)``."""
    out = Anchors.popular(picks.shape)
    sizes, hist, w, item = _pairs(history, picks)
    value = w * weight(hist, item)
    best = _best(sizes, value.astype(np.float64), hist.astype(np.int64))
    hit = best >= 0
    out.codes.ravel()[hit] = "bought_item"
    out.anchors.ravel()[hit] = item_ids[best[hit]]
    return out


def factor_anchors(unit: np.ndarray, history: sp.csr_matrix, picks: np.ndarray,
                   item_ids: np.ndarray, block: int = 2048) -> Anchors:
    """Factor models: for each pick, the history item whose unit vector is closest (cosine,
    times the history weight). Per block of customers: their padded histories (n, H, f)
    against their picks (n, k, f) in one batched product, so each history vector is gathered
    once, not k times. Customers are blocked by history length, so a block pads to about its
    own rows' length rather than to the longest history of a random block."""
    history = top_of_rows(history, MAX_HISTORY)
    order = np.argsort(row_lengths(history.indptr), kind="stable")
    found = _factor_anchors_in_order(unit, take_rows(history, order), picks[order], item_ids,
                                     block)
    out = Anchors.popular(picks.shape)
    out.codes[order], out.anchors[order] = found.codes, found.anchors
    return out


def _factor_anchors_in_order(unit: np.ndarray, history: sp.csr_matrix, picks: np.ndarray,
                             item_ids: np.ndarray, block: int) -> Anchors:
    out = Anchors.popular(picks.shape)
    k = picks.shape[1]
    flat_codes, flat_anchors = out.codes.reshape(-1), out.anchors.reshape(-1)
    for rows, part, owner, slot, width in padded_blocks(history, block):
        m = part.shape[0]
        hist = np.full((m, width), -1, np.int64)
        weight = np.zeros((m, width), np.float32)
        hist[owner, slot] = part.indices
        weight[owner, slot] = part.data
        h_vec = unit[np.maximum(hist, 0)] * (hist >= 0)[:, :, None]
        p_vec = unit[np.maximum(picks[rows], 0)]
        value = np.matmul(h_vec, p_vec.transpose(0, 2, 1)) * weight[:, :, None]  # (m, H, k)
        value[np.broadcast_to((hist < 0)[:, :, None], value.shape)] = -np.inf
        at = value.argmax(axis=1)  # first (lowest item index) among equals
        top = np.take_along_axis(value, at[:, None, :], axis=1)[:, 0, :]
        chosen = np.take_along_axis(hist, at, axis=1)
        good = (top > 0) & (picks[rows] >= 0)
        cells = (np.arange(rows.start, rows.start + m)[:, None] * k + np.arange(k)[None, :])[good]
        flat_codes[cells] = "bought_item"
        flat_anchors[cells] = item_ids[chosen[good]]
    return out


def id_tuples(ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Rows of item indices (padded with -1) as tuples of ids, grouped by length (no per-row
    loop in numpy; the tuples themselves are built by map)."""
    out = np.empty(len(rows), dtype=object)
    lengths = (rows >= 0).sum(axis=1)
    for length in np.unique(lengths):
        where = np.flatnonzero(lengths == length)
        out[where] = list(map(tuple, ids[rows[where, :length]].tolist()))
    return out

"""Short reasons a template can print: one from an :class:`~recsys.models.base.Explanation`,
or many at once for a batch of picks (:func:`batch_reasons`), vectorised per model type.

The batch reasons name the same thing ``explain`` puts first: the history item behind the
score (item-kNN, EASE), the firing rule (association rules), the strongest shared term or
attribute (content). For ALS and BPR they name the history item whose factors are closest
to the pick, a fast stand-in for ``explain``'s exact decomposition.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._arrays import cell_keys, locate, rank_in_runs, unit_rows
from ._topk import padded_blocks, sorted_csr
from .models.base import Explanation

__all__ = ["reason", "batch_reasons", "REASON_CODES", "reason_texts", "item_names"]

#: reason code -> what it means
REASON_CODES = {
    "bought_item": "a product in the customer's history or cart drives the score",
    "bought_together": "an association rule: customers who bought these also bought it",
    "similar_attributes": "it shares words or attributes with what the customer bought",
    "popular": "popular with customers (no personal signal)",
    "backfill": "added to reach k picks (popular in the customer's segment)",
    "promoted": "a promoted product",
}

_BY_METHOD = {
    "item factors": "bought_item",
    "item neighbours": "bought_item",
    "rule": "bought_together",
    "content": "similar_attributes",
    "popularity": "popular",
}


def item_names(products: pd.DataFrame | None, item: str = "product_id",
               name: str | None = None) -> dict:
    """Item id -> display name from a product (or order-line) table: the ``name`` column, else
    the first of ``name``, ``title``, ``description`` it has; ``{}`` when there is none.

    Examples
    --------
    >>> item_names(pd.DataFrame({"product_id": ["P1", "P1"], "title": ["teapot", "teapot"]}))
    {'P1': 'teapot'}
    """
    if products is None or item not in products.columns:
        return {}
    for column in ([name] if name else ["name", "title", "description"]):
        if column in products.columns:
            rows = products[[item, column]].drop_duplicates(item)
            return dict(zip(rows[item].tolist(), rows[column].astype(str).tolist(), strict=True))
    return {}


def _name(item: Any, names: Mapping | None) -> str:
    if names is not None and item in names:
        return str(names[item])
    return str(item)


def _term(label: str) -> str:
    """``"name:enamel teapot"`` -> ``"enamel teapot"``; ``"category=garden"`` -> ``"garden"``."""
    return str(label).split(":", 1)[-1].split("=", 1)[-1]


def reason(explanation: Explanation, names: Mapping | None = None) -> tuple[str, str]:
    """``(code, text)`` for one pick: ``("bought_item", "Because you bought red teapot")``.

    ``names`` maps item ids to display names (product names).

    Examples
    --------
    >>> e = Explanation(item="P2", score=0.8, contributions=[("P1", 0.8)], method="item factors")
    >>> reason(e, {"P1": "red spotty teapot"})
    ('bought_item', 'Because you bought red spotty teapot')
    """
    code = _BY_METHOD.get(explanation.method, "popular")
    top = explanation.contributions[:2]
    if code == "bought_item" and top:
        return code, f"Because you bought {_name(top[0][0], names)}"
    if code == "bought_together" and top:
        label = top[0][0]
        antecedent = label[0] if isinstance(label, tuple) else [label]
        those = " and ".join(_name(i, names) for i in antecedent)
        return code, f"Often bought with {those}"
    if code == "similar_attributes" and top:
        terms = ", ".join(_term(t) for t, _ in top)
        return code, f"Like things you chose: {terms}"
    return "popular", "Popular with our customers"


# ---------------------------------------------------------------------- batches
def batch_reasons(model, user_index: np.ndarray, picks: np.ndarray,
                  source: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Reason codes and anchors for picks (n, k) of item indices (-1: none) of known users.

    Returns ``codes`` (n, k) of reason codes and ``anchors`` (n, k) of objects: an item id
    (bought_item), a tuple of item ids (bought_together), a feature label
    (similar_attributes), or None.
    """
    from .models.content import ContentBased
    from .models.factorization import _Factorization
    from .models.hybrid import Hybrid
    from .models.neighbors import _ItemToItem
    from .models.rules import AssociationRules

    n, k = picks.shape
    codes = np.full((n, k), "popular", dtype=object)
    anchors = np.full((n, k), None, dtype=object)
    if isinstance(model, Hybrid):
        return _hybrid(model, user_index, picks, source)
    if isinstance(model, _ItemToItem):
        _anchor_items(model, user_index, picks, codes, anchors, _neighbour_weight(model))
    elif isinstance(model, _Factorization):
        _anchor_factors(model, user_index, picks, codes, anchors)
    elif isinstance(model, AssociationRules):
        _rule_anchors(model, user_index, picks, codes, anchors)
    elif isinstance(model, ContentBased):
        _content_anchors(model, user_index, picks, codes, anchors)
    return codes, anchors


#: history items searched per customer for batch reasons (the most weighted ones)
MAX_HISTORY = 64


def _pairs(history: sp.csr_matrix, picks: np.ndarray):
    """Every (pick cell, history item) pair, grouped by cell: group sizes, history items,
    history weights and the picked item of each pair.

    Each customer's history is cut to their ``MAX_HISTORY`` most weighted items, so the
    work per pick is bounded however long the history.
    """
    n, k = picks.shape
    history = _top_of_rows(history, MAX_HISTORY)
    sizes = np.repeat(np.diff(history.indptr), k)  # pairs per cell
    sizes[picks.ravel() < 0] = 0
    total = int(sizes.sum())
    cell = np.repeat(np.arange(n * k), sizes)
    start = np.repeat(history.indptr[:-1], k)[cell]
    offset = np.arange(total) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    entry = start + offset
    return sizes, history.indices[entry], history.data[entry], picks.ravel()[cell]


def _top_of_rows(matrix: sp.csr_matrix, limit: int) -> sp.csr_matrix:
    """Keep each row's ``limit`` largest entries (ties by column)."""
    matrix = matrix.tocsr()
    counts = np.diff(matrix.indptr)
    if counts.max(initial=0) <= limit:
        return matrix
    rows = np.repeat(np.arange(matrix.shape[0]), counts)
    order = np.lexsort((matrix.indices, -matrix.data, rows))
    keep = order[rank_in_runs(rows[order]) < limit]
    keep.sort()
    trimmed = sp.csr_matrix((matrix.data[keep], (rows[keep], matrix.indices[keep])),
                            shape=matrix.shape)
    trimmed.sort_indices()
    return trimmed


def _best(sizes, value, anchor):
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


def _neighbour_weight(model):
    W = model._weights()
    if sp.issparse(W):
        W = sorted_csr(W)
        keys = cell_keys(W)

        def weight(hist, item):
            probe = hist.astype(np.int64) * W.shape[1] + item
            pos, found = locate(keys, probe)
            return np.where(found, W.data[pos], 0.0) if len(keys) else np.zeros(len(probe))
        return weight
    return lambda hist, item: W[hist, item]


def _anchor_factors(model, user_index, picks, codes, anchors, block: int = 2048) -> None:
    """For each pick, the history item whose factors are closest (cosine, times the history
    weight). Per block of customers: their padded histories (n, H, f) against their picks
    (n, k, f) in one batched product, so each history vector is gathered once, not k times."""
    unit = unit_rows(model._item_vectors_for_similarity().astype(np.float32))
    history = _top_of_rows(model.seen_[user_index], MAX_HISTORY)
    k = picks.shape[1]
    flat_codes, flat_anchors = codes.reshape(-1), anchors.reshape(-1)
    ids = model.items_.ids
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
        flat_anchors[cells] = ids[chosen[good]]


def _anchor_items(model, user_index, picks, codes, anchors, weight) -> None:
    history = model.seen_[user_index]
    if type(model).__name__ == "EASE":
        history = history.copy()
        history.data[:] = 1.0
    sizes, hist, w, item = _pairs(history, picks)
    value = w * weight(hist, item)
    best = _best(sizes, value.astype(np.float64), hist.astype(np.int64))
    hit = best >= 0
    flat_codes, flat_anchors = codes.ravel(), anchors.ravel()
    flat_codes[hit] = "bought_item"
    flat_anchors[hit] = model.items_.ids[best[hit]]


def _rule_anchors(model, user_index, picks, codes, anchors) -> None:
    n = picks.shape[0]
    fired = model._fired(model.history_[user_index])
    m = len(model.items_)
    key = fired.row.astype(np.int64) * m + model.consequents_[fired.col]
    order = np.lexsort((fired.col, -fired.data, key))
    key, rule = key[order], fired.col[order]
    first = np.ones(len(key), bool)
    first[1:] = key[1:] != key[:-1]
    key, rule = key[first], rule[first]
    probe = (np.arange(n)[:, None] * m + np.maximum(picks, 0)).ravel()
    pos, found = locate(key, probe)
    hit = (picks.ravel() >= 0) & found
    cells = np.flatnonzero(hit)
    flat_codes, flat_anchors = codes.ravel(), anchors.ravel()
    flat_codes[cells] = "bought_together"
    flat_anchors[cells] = _tuples(model.items_.ids, model.antecedents_[rule[pos[cells]]])


def _tuples(ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Rows of item indices (padded with -1) as tuples of ids, grouped by length (no per-row loop
    in numpy; the tuples themselves are built by map)."""
    out = np.empty(len(rows), dtype=object)
    lengths = (rows >= 0).sum(axis=1)
    for length in np.unique(lengths):
        where = np.flatnonzero(lengths == length)
        out[where] = list(map(tuple, ids[rows[where, :length]].tolist()))
    return out


def _content_anchors(model, user_index, picks, codes, anchors) -> None:
    k = picks.shape[1]
    profiles = model._profiles(model.history_[user_index])
    cells = np.flatnonzero(picks.ravel() >= 0)
    if len(cells) == 0:
        return
    shared = profiles[cells // k].multiply(model.item_vectors_[picks.ravel()[cells]]).tocsr()
    best = np.asarray(shared.argmax(axis=1)).ravel()
    value = np.asarray(shared.max(axis=1).todense()).ravel()
    good = value > 0
    flat_codes, flat_anchors = codes.ravel(), anchors.ravel()
    flat_codes[cells[good]] = "similar_attributes"
    flat_anchors[cells[good]] = model.features_.feature_names[best[good]]


def _hybrid(model, user_index, picks, source):
    """Fallback: each pick's reason from the component that answered it. Blend: from the
    component with the largest weight."""
    n, k = picks.shape
    codes = np.full((n, k), "popular", dtype=object)
    anchors = np.full((n, k), None, dtype=object)
    names = [name for name, _ in model.components_]
    if model.mode == "blend":
        groups = {int(np.argmax(model._cache_weights)): np.arange(n)}
    else:
        source = np.asarray(source) if source is not None else np.full(n, names[-1])
        groups = {names.index(s): np.flatnonzero(source == s) for s in set(source.tolist())
                  if s in names}
    for which, rows in groups.items():
        component = model.components_[which][1]
        mapped = component.items_.to_index(model.items_.ids[np.maximum(picks[rows], 0)].ravel(),
                                           missing="mask").reshape(len(rows), k)
        mapped = np.where(picks[rows] >= 0, mapped, -1)
        c, a = batch_reasons(component, user_index[rows], mapped)
        codes[rows], anchors[rows] = c, a
    return codes, anchors


def reason_texts(codes: np.ndarray, anchors: np.ndarray, names: Mapping | None = None,
                 segment: np.ndarray | None = None) -> np.ndarray:
    """Printable text for each (code, anchor); ``segment`` (same shape) labels back-fill picks."""
    names = dict(names or {})
    flat_codes = pd.Series(np.asarray(codes, dtype=object).ravel(), dtype=object)
    flat_anchors = pd.Series(np.asarray(anchors, dtype=object).ravel(), dtype=object)
    out = pd.Series("Popular with our customers", index=flat_codes.index, dtype=object)

    def display(values: pd.Series) -> pd.Series:
        return values.map(names).fillna(values.astype(str)) if names else values.astype(str)

    cells = flat_codes == "bought_item"
    out[cells] = "Because you bought " + display(flat_anchors[cells])
    cells = flat_codes == "bought_together"
    if cells.any():
        exploded = flat_anchors[cells].explode()
        joined = display(exploded).groupby(level=0).agg(" and ".join)
        out[cells] = "Often bought with " + joined
    cells = flat_codes == "similar_attributes"
    out[cells] = "Like things you chose: " + flat_anchors[cells].astype(str).str.split(
        ":", n=1).str[-1].str.split("=", n=1).str[-1]
    out[flat_codes == "promoted"] = "Featured for you"
    cells = flat_codes == "backfill"
    if segment is not None and cells.any():
        seg = pd.Series(np.asarray(segment, dtype=object).ravel(), dtype=object)[cells]
        out[cells] = np.where(seg.isna() | (seg == ""), "Popular with our customers",
                              "Popular with " + seg.astype(str) + " customers")
    return out.to_numpy().reshape(np.shape(codes))

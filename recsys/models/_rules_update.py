"""What lets a fitted AssociationRules take new orders: the kept state, its merge and its file form.

An updatable model keeps, besides its rules, every basket as a binary CSR (``baskets_``: 4
bytes a purchase, 8 a basket) and the itemset summary of :mod:`recsys.rules.incremental`
(the tracked itemsets of each length, frequent and near-frequent, with their counts; every
item's count; the floor, slack and threshold).
:func:`merge` widens the id maps to the new orders' ids and appends their baskets and
histories; the counts are then updated exactly, so a model updated with new orders equals
one fitted on all of them.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import scipy.sparse as sp

from recsys._engine import state_checks as checks
from recsys._engine.arrays import locate
from recsys.data.idmap import IdMap
from recsys.data.interactions import Interactions
from recsys.exceptions import DataError, PersistenceError
from recsys.rules import incremental as inc


def binary_baskets(data: Interactions) -> sp.csr_matrix:
    """The baskets x items matrix with int8 ones and sorted rows."""
    matrix = data.matrix("basket")
    out = sp.csr_matrix((np.ones(matrix.nnz, np.int8), matrix.indices.astype(np.int32),
                         matrix.indptr.astype(np.int64)), shape=matrix.shape)
    out.sort_indices()
    return out


def why_not_updatable(model: Any, data: Interactions | None = None) -> str | None:
    """What keeps ``model`` (with ``data``, the new orders) from an exact update, or None."""
    if isinstance(model.min_support, str):
        return ("it was fitted with min_support='auto', a threshold read from all the baskets "
                "at once; fit it with a share, e.g. min_support=0.001 (--min-support 0.001)")
    if model.half_life_days is not None:
        return ("half_life_days weighs every basket by its age at the newest order, so new "
                "orders change every count; refit instead")
    if model.history != "all":
        return "history=N keeps each customer's last baskets only; use history='all' or refit"
    if data is not None and data.basket_index is None:
        return ("the new orders have no baskets; build them with basket='order_id' "
                "(--basket-col on the command line)")
    if data is not None and (data.users is None) != (len(model.users_) == 0):
        return ("the new orders must have customers exactly when the first ones did "
                f"({'with' if len(model.users_) else 'without'} a customer column)")
    return None


def _union(old: IdMap, new: IdMap | None) -> tuple[IdMap, np.ndarray | None]:
    """The union of two id maps and where the old ids sit in it (None: nothing new)."""
    if new is None or len(new) == 0:
        return old, None
    if len(old) and old.kind != new.kind:
        raise DataError(f"the new orders' {old.name} are {new.kind} ids where the model's are "
                        f"{old.kind} ids; read them the same way (e.g. both as text).")
    union = IdMap(np.concatenate([old.ids, new.ids]), name=old.name)
    if len(union) == len(old):
        return old, None
    return union, _positions(union, old.ids)


def _positions(union: IdMap, ids: np.ndarray) -> np.ndarray:
    """Where ``ids`` (sorted, all in ``union``) sit in it: one binary search each, cheaper
    than building the map's hash index (``IdMap.to_index``) for a single look-up."""
    return locate(union.ids, ids)[0].astype(np.int32)


def _widen(matrix: sp.csr_matrix, rows: int, columns: np.ndarray | None, n_cols: int,
           row_of: np.ndarray | None = None) -> sp.csr_matrix:
    """``matrix`` with its columns moved to ``columns`` (ascending) and its rows to ``row_of``."""
    if row_of is None and rows == matrix.shape[0]:  # rising columns keep each row sorted
        indices = matrix.indices if columns is None else \
            np.take(columns.astype(np.int32), matrix.indices)
        return sp.csr_matrix((matrix.data, indices, matrix.indptr), shape=(rows, n_cols))
    coo = matrix.tocoo()
    col = coo.col if columns is None else columns[coo.col]
    row = coo.row if row_of is None else row_of[coo.row]
    out = sp.csr_matrix((coo.data, (row, col)), shape=(rows, n_cols))
    out.sort_indices()
    return out


def _appended(old: sp.csr_matrix, old_cols: np.ndarray | None, new: sp.csr_matrix,
              new_cols: np.ndarray, n_items: int) -> sp.csr_matrix:
    """The old baskets then the new ones, each one's items moved to their column in the
    union (ascending moves keep every row sorted), in one pass."""
    old_indices = old.indices if old_cols is None else np.take(old_cols, old.indices)
    indices = np.concatenate([old_indices, np.take(new_cols, new.indices)]).astype(
        np.int32, copy=False)
    indptr = np.concatenate([old.indptr, new.indptr[1:] + old.indptr[-1]]).astype(
        np.int64, copy=False)
    out = sp.csr_matrix((np.ones(len(indices), np.int8), indices, indptr),
                        shape=(old.shape[0] + new.shape[0], n_items))
    out.has_sorted_indices = True
    return out


def merge(model: Any, data: Interactions) -> dict[str, Any]:
    """The model's state widened to the new orders' ids, with their baskets appended and the
    customers' histories added: ``items``, ``users``, ``baskets``, ``seen``, ``summary``."""
    items, item_pos = _union(model.items_, data.items)
    users, user_pos = _union(model.users_, data.users)
    n_items = len(items)
    new_cols = _positions(items, data.items.ids)
    baskets = _appended(model.baskets_, item_pos, binary_baskets(data), new_cols, n_items)
    summary = model.summary_ if item_pos is None else model.summary_.widened(item_pos, n_items)
    seen = model.seen_
    if data.users is not None:
        seen = _widen(seen, len(users), item_pos, n_items, user_pos) \
            + _widen(data.matrix("user"), len(users), new_cols, n_items,
                     _positions(users, data.users.ids))
        seen = seen.astype(np.float32).tocsr()
        seen.sort_indices()
    elif item_pos is not None:
        seen = sp.csr_matrix((0, n_items), dtype=np.float32)
    return {"items": items, "users": users, "baskets": baskets, "seen": seen,
            "summary": summary, "n_new": baskets.shape[0] - model.baskets_.shape[0],
            "item_pos": item_pos}


# ---------------------------------------------------------------------- batches added
def batch_digest(data: Interactions) -> str:
    """A fingerprint of a batch of orders: its rows' (basket, item, customer, time) external
    values in basket then item order. The same day file read twice gives the same digest."""

    order = np.lexsort((data.item_index, data.basket_index))
    digest = hashlib.sha256()
    for ids, index in ((data.baskets, data.basket_index), (data.items, data.item_index),
                       (data.users, data.user_index)):
        if ids is not None and index is not None:
            digest.update(np.ascontiguousarray(ids.ids[index[order]]).tobytes())
    if data.timestamps is not None:
        digest.update(np.ascontiguousarray(data.timestamps[order]).tobytes())
    return digest.hexdigest()


# ---------------------------------------------------------------------- model files
def state(model: Any) -> dict[str, np.ndarray]:
    """The arrays an updatable model adds to its file."""
    summary = model.summary_
    arrays = {"baskets/indices": model.baskets_.indices, "baskets/indptr": model.baskets_.indptr,
              "summary/item_counts": summary.item_counts,
              "summary/limits": np.array([summary.floor, summary.slack, summary.min_count],
                                         np.int64)}
    for k, (members, counts) in enumerate(summary.tables):
        arrays[f"summary/tables/{k}/members"] = members
        arrays[f"summary/tables/{k}/counts"] = counts
    return arrays


def load(arrays: Any, n_baskets: int, n_items: int, min_count: int) -> tuple:
    """(baskets, summary) from a model file, checked so that an update cannot crash or count
    out of range; (None, None) when the file keeps none."""
    if "baskets/indptr" not in arrays:
        return None, None
    indices = checks.vector(arrays["baskets/indices"], "baskets/indices", None, "iu", False)
    baskets = checks.csr_from({"b/data": np.ones(len(indices), np.float32), "b/indices": indices,
                               "b/indptr": arrays["baskets/indptr"]}, "b/", (n_baskets, n_items))
    starts = np.zeros(len(indices), bool)
    starts[baskets.indptr[:-1][np.diff(baskets.indptr) > 0]] = True
    if len(indices) > 1 and not (np.diff(indices.astype(np.int64))[~starts[1:]] > 0).all():
        raise PersistenceError("model file: array 'baskets/indices' should hold each basket's "
                               "items in ascending order, once each (a damaged or altered file).")
    baskets = sp.csr_matrix((np.ones(len(indices), np.int8), indices.astype(np.int32),
                             baskets.indptr.astype(np.int64)), shape=(n_baskets, n_items))
    counts = checks.vector(arrays["summary/item_counts"], "summary/item_counts", n_items, "iu")
    if not np.array_equal(counts, np.bincount(baskets.indices, minlength=n_items)):
        raise PersistenceError("model file: array 'summary/item_counts' disagrees with the "
                               "baskets it summarises (a damaged or altered file).")
    limits = checks.vector(arrays["summary/limits"], "summary/limits", 3, "iu")
    floor, slack, threshold = (int(x) for x in limits)
    if threshold != min_count or not 1 <= floor <= max(min_count, 1) or not floor - 1 <= slack:
        raise PersistenceError("model file: array 'summary/limits' holds an impossible floor, "
                               "slack or threshold (a damaged or altered file).")
    return baskets, inc.Summary(_tables(arrays, n_items, floor, counts), counts.astype(np.int64),
                                floor, slack, threshold)


def _tables(arrays: Any, n_items: int, floor: int, item_counts: np.ndarray) -> list:
    out = []
    while f"summary/tables/{len(out)}/members" in arrays:
        k = len(out) + 2
        where = f"summary/tables/{len(out)}"
        members = checks.index_values(checks.matrix(arrays[f"{where}/members"],
                                                    f"{where}/members", None, k, "iu"),
                                      f"{where}/members", n_items).astype(np.int32)
        counts = checks.vector(arrays[f"{where}/counts"], f"{where}/counts", len(members), "iu")
        if (len(members) and not (np.diff(members, axis=1) > 0).all()) or \
                not _rows_rise(members) or (len(counts) and counts.min() < floor):
            raise PersistenceError(f"model file: arrays '{where}/*' should hold sorted itemsets "
                                   f"counted at least {floor} times (a damaged or altered file).")
        if len(members) and (counts > item_counts[members].min(axis=1)).any():
            raise PersistenceError(f"model file: array '{where}/counts' counts an itemset more "
                                   f"often than one of its items (a damaged or altered file).")
        if out and len(members):  # and never more often than its prefix one item shorter
            shorter, shorter_counts = out[-1] if k > 2 else (None, None)
            if shorter is not None and not _within_prefix(members, counts, shorter,
                                                          shorter_counts):
                raise PersistenceError(f"model file: array '{where}/counts' counts an itemset "
                                       f"more often than its prefix (a damaged or altered file).")
        out.append((members, counts.astype(np.int64)))
    return out


def _within_prefix(members: np.ndarray, counts: np.ndarray, shorter: np.ndarray,
                   shorter_counts: np.ndarray) -> bool:
    """Whether each itemset whose prefix (its first k - 1 items) is tracked one level down is
    counted at most as often as that prefix."""
    prefix = np.ascontiguousarray(members[:, :-1]).view([("", members.dtype)] * (
        members.shape[1] - 1)).ravel()
    table = np.ascontiguousarray(shorter).view([("", shorter.dtype)] * shorter.shape[1]).ravel()
    at = np.searchsorted(table, prefix)
    found = (at < len(table)) & (table[np.minimum(at, len(table) - 1)] == prefix)
    return bool((counts[found] <= shorter_counts[at[found]]).all())


def _rows_rise(members: np.ndarray) -> bool:
    """Whether the rows are in strictly rising lexicographic order."""
    if len(members) < 2:
        return True
    step = members[1:].astype(np.int64) - members[:-1]
    first = np.argmax(step != 0, axis=1)
    return bool((step[np.arange(len(step)), first] > 0).all())

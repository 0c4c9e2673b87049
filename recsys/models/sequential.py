"""SequentialRules: what customers bought next, scored from each customer's newest purchases.

The public name is :class:`SequentialRules`; the order helpers are shared with SLIST.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from recsys._engine import state_checks as checks
from recsys._engine.arrays import indptr_of, largest_per_key, rank_in_runs, row_ids
from recsys._engine.sparse import csr
from recsys.data.interactions import Interactions
from recsys.exceptions import PersistenceError
from recsys.models.graph import _transitions
from recsys.models.neighbors import _ItemToItem
from recsys.models.params import Choice, Float, HalfLife, Int, Integer, Param, Uniform

#: the most steps back (window) or ahead (horizon) a purchase links to: each is a pass over
#: the data, so a larger one would run for hours
MAX_STEPS = 1_000

__all__ = ["SequentialRules"]


def purchase_order(data: Interactions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customer, product, time) of every interaction, each customer's in the order they
    happened: by timestamp (equal times, one basket, by product: the row order never
    matters); without timestamps by basket id, without either in the order of the rows."""
    if data.timestamps is not None:
        when = data.timestamps.view(np.int64)
    elif data.basket_index is not None:
        when = data.basket_index.astype(np.int64)
    else:
        when = np.arange(len(data), dtype=np.int64)
    order = np.lexsort((data.item_index, when, data.user_index))
    return data.user_index[order], data.item_index[order], when[order]


def follow_links(users: np.ndarray, items: np.ndarray, when: np.ndarray, n_items: int,
                 window: int, gap_decay: float, backward: float) -> sp.csr_matrix:
    """Product x product weights: each purchase links to the same customer's next ``window``
    purchases of other products, the one ``g`` steps later with weight ``gap_decay ** (g - 1)``,
    and back times ``backward`` (fully between products bought at the same time: a basket has
    no order). Summed one gap at a time: memory holds the distinct links and one gap's
    pairs, never all of them."""
    shape = (n_items, n_items)
    total = sp.csr_matrix(shape, dtype=np.float64)
    for gap in range(1, window + 1):  # a loop over gaps (at most window), not customers
        same_customer = users[gap:] == users[:-gap]
        if not same_customer.any():  # nobody has more purchases than this
            break
        keep = same_customer & (items[gap:] != items[:-gap])
        before, after = items[:-gap][keep], items[gap:][keep]
        weight = gap_decay ** (gap - 1)
        back = weight * np.where(when[gap:][keep] == when[:-gap][keep], 1.0, backward)
        total = total + sp.csr_matrix((np.full(len(before), weight), (before, after)),
                                      shape=shape)
        if back.any():
            total = total + sp.csr_matrix((back, (after, before)), shape=shape)
    return total.tocsr()


def strongest_per_row(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Each row's ``k`` largest cells (ties: the lower column first), row order kept."""
    matrix = matrix.tocsr()
    rows = row_ids(matrix.indptr)
    order = np.lexsort((matrix.indices, -matrix.data, rows))
    keep = np.zeros(matrix.nnz, bool)
    keep[order[rank_in_runs(rows[order]) < k]] = True
    kept = sp.csr_matrix((matrix.data[keep], matrix.indices[keep],
                          indptr_of(rows[keep], matrix.shape[0])), shape=matrix.shape)
    kept.sort_indices()
    return kept


def newest_first_weights(users: np.ndarray, items: np.ndarray, when: np.ndarray,
                         shape: tuple[int, int], half_life: float | None) -> sp.csr_matrix:
    """Customers x products: ``2 ** (-rank / half_life)``, ``rank`` the number of the
    customer's products bought after this one last was (its newest purchase: rank 0, and a
    basket's products share a rank); 1 everywhere with ``half_life=None``."""
    n_items = shape[1]
    keys, latest = largest_per_key(users.astype(np.int64) * n_items + items, when)
    owner, product = keys // n_items, keys % n_items
    if half_life is None:
        weight = np.ones(len(keys))
    else:
        order = np.lexsort((-latest, owner))
        o_owner, o_latest = owner[order], latest[order]
        position = rank_in_runs(o_owner)
        # a product bought at the same moment as the one before it shares that one's rank
        starts_tie = np.r_[True, (o_owner[1:] != o_owner[:-1]) | (o_latest[1:] != o_latest[:-1])]
        tie_start = np.maximum.accumulate(np.where(starts_tie, np.arange(len(order)), 0))
        rank = np.empty(len(order), np.float64)
        rank[order] = position[tie_start]
        weight = np.exp2(-rank / half_life)
    matrix = sp.csr_matrix((weight.astype(np.float32), (owner, product)), shape=shape)
    matrix.sort_indices()
    return matrix


class _NewestFirstHistory:
    """Mixin of an item-to-item model learnt from the order of purchases: a known customer
    is scored from ``history_`` (:func:`newest_first_weights`), a cart or a new customer's
    history has no order and every product counts 1; the file stores that history."""

    history_: sp.csr_matrix
    seen_: sp.csr_matrix

    def _weighted(self, histories: sp.csr_matrix) -> sp.csr_matrix:
        """A cart or a new customer's history has no order: every product counts 1."""
        histories = histories.tocsr()
        return csr(np.ones(histories.nnz, np.float32), histories.indices, histories.indptr,
                   histories.shape)

    def _state(self):
        arrays, meta = self._item_state()  # type: ignore[attr-defined]
        h = self.history_
        arrays.update({"history/data": h.data, "history/indices": h.indices,
                       "history/indptr": h.indptr})
        return arrays, meta

    def _load_state(self, arrays, meta) -> None:
        self._load_item_state(arrays, meta)  # type: ignore[attr-defined]
        history = checks.csr_from(arrays, "history/", self.seen_.shape)
        if ((history.data <= 0) | (history.data > 1)).any():
            raise PersistenceError("model file: model/history/data should hold weights in "
                                   "(0, 1] (2 ** -rank), but holds others (a damaged or "
                                   "altered file).")
        self.history_ = history


class SequentialRules(_NewestFirstHistory, _ItemToItem):
    """What customers bought next: each product links to the products the same customers
    bought after it (sequential rules, Ludewig & Jannach 2018, "Evaluation of session-based
    recommendation algorithms"), and a customer is scored from their newest purchases.

    A purchase links to the customer's next ``window`` purchases of other products, the one
    ``g`` steps later with weight ``gap_decay ** (g - 1)``; the links of each product are
    summed, divided by their total (of what followed the product, the share each had) and the
    ``k`` strongest kept. A known customer's products count ``2 ** (-rank /
    history_half_life)``, ``rank`` the number of their products bought after it (the newest
    counts 1, a basket's products alike); a cart or a new customer's history has no order and
    every product counts 1. Scores are those weights times the links; products no history
    product links to are not recommended. Purchases follow the timestamps (products bought at
    the same time link both ways: a basket has no order); without timestamps they follow the
    basket ids, and without either each customer's rows in the order given. Interaction
    weights (quantities) are not used: a purchase is a step in the sequence.
    Strong where what comes next follows what came last (films watched in a run, a series,
    refills); blend it with EASE or RP3beta for the customer's lasting taste
    (docs/models.md, "SequentialRules").

    Parameters
    ----------
    window : int, default 20
        How many of a customer's later purchases each purchase links to.
    gap_decay : float, default 0.85
        Weight of a link per step further apart (1: every purchase in the window alike).
    backward : float, default 0.0
        Weight of links to the purchases made before (0: only what came next; 1: either
        order alike, "bought around the same time").
    history_half_life : float or None, default 2.0
        In purchases: a customer's product ``h`` purchases older than their newest counts
        half. None: every product in the history alike.
    k : int, default 200
        Links kept per product (the strongest).

    Examples
    --------
    >>> from recsys import SequentialRules, make_shop
    >>> shop = make_shop(n_customers=300, n_products=60, seed=0)
    >>> model = SequentialRules(window=10).fit(shop.interactions)
    >>> model.similarity_.shape
    (60, 60)
    >>> len(model.recommend(shop.interactions.users.ids[:1], k=5).item_ids(0))
    5
    """

    demo_params: ClassVar[dict[str, Any]] = {}
    num_threads: int = 0
    # the model learns from the order of purchases: no weighting of summed weights, no decay
    weighting: ClassVar[None] = None
    half_life_days: ClassVar[None] = None

    parameters: ClassVar[dict[str, Param]] = {
        "window": Param(Int(minimum=1, maximum=MAX_STEPS), Integer(5, 50, log=True)),
        "gap_decay": Param(Float(minimum=0, maximum=1, exclusive_min=True), Uniform(0.5, 1.0)),
        "backward": Param(Float(minimum=0), Choice([0.0, 0.3, 1.0])),
        "history_half_life": Param(HalfLife(), Choice([None, 1, 2, 4, 8, 16])),
        "k": Param(Int(minimum=1), Integer(50, 500, log=True)),
    }

    def __init__(self, *, window: int = 20, gap_decay: float = 0.85, backward: float = 0.0,
                 history_half_life: float | None = 2.0, k: int = 200) -> None:
        self.window = window
        self.gap_decay = gap_decay
        self.backward = backward
        self.history_half_life = history_half_life
        self.k = k


    def _fit(self, data: Interactions, features: Any) -> None:
        users, items, when = purchase_order(data)
        links = follow_links(users, items, when, data.n_items, self.window, self.gap_decay,
                             self.backward)
        # each row's shares of what followed the product: its step probabilities
        similarity = strongest_per_row(_transitions(links, 1.0), self.k)
        self.similarity_ = similarity.astype(np.float32)
        self.history_ = newest_first_weights(users, items, when, self.seen_.shape,
                                             self.history_half_life)

    def _explain(self, item: int, user: int | None, history: sp.csr_matrix | None):
        score, contributions, method = super()._explain(item, user, history)
        return score, contributions, "popularity" if method == "popularity" else "bought next"

    def _load_state(self, arrays, meta) -> None:
        super()._load_state(arrays, meta)
        if (self.similarity_.data < 0).any():
            raise PersistenceError("model file: model/similarity/data holds negative link "
                                   "shares (a damaged or altered file).")

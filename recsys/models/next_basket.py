"""NextBasket: TIFU-KNN (Hu et al. 2020) done with sparse products, no loop over customers."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from recsys._engine import state_checks as checks
from recsys._engine.arrays import rank_in_runs, row_ids
from recsys._engine.sparse import chunk_rows, csr, dense_product, take_rows, topk, unit_sparse_rows
from recsys.data.interactions import Interactions
from recsys.models.base import Query, Recommender
from recsys.models.params import Float, Int, Integer, Param, Uniform
from recsys.models.trend import item_trend

__all__ = ["NextBasket"]


#: up to this many query rows, products are densified with numpy (a request), beyond by scipy
_FEW_ROWS = 32


def _dense_product(left: sp.csr_matrix, right: sp.csr_matrix) -> np.ndarray:
    """``(left @ right).toarray()``: numpy's gather for a request's few rows (no scipy
    object built per call), scipy's sparse product for a batch."""
    if left.shape[0] <= _FEW_ROWS:
        return dense_product(left, right)
    return (left @ right).toarray()


def _one_top(scores: np.ndarray, k: int) -> np.ndarray:
    """:func:`~recsys._engine.sparse.topk`'s columns for one row whose few finite cells are the
    candidates (a cart's customers who share a product): ranked among those alone."""
    finite = np.flatnonzero(np.isfinite(scores))
    order = np.lexsort((finite, -scores[finite]))[:k]
    out = np.full((1, k), -1, np.int32)
    out[0, :len(order)] = finite[order]
    return out


class NextBasket(Recommender):
    """Next-basket scores: each customer's baskets as time-decayed groups, blended with the
    customers most like them (TIFU-KNN, "A Next Basket Recommendation Reality Check").

    A customer's baskets, newest first, fall into groups of ``group_size``; a basket counts
    ``within_decay ** (its position in the group, newest 0)`` inside its group and a group
    ``across_decay ** (its position, newest 0)``, each group averaged; the customer's vector is
    the sum (frequency with recency). The score is ``alpha * own + (1 - alpha) * mean of the
    n_neighbors most similar customers' vectors`` (cosine). Carts and new customers are one
    basket, with neighbours found the same way. Without baskets each order line is a basket;
    without timestamps baskets keep their id order.

    Parameters
    ----------
    n_neighbors : int, default 100
    alpha : float, default 0.7
        Weight of the customer's own vector (1: personal frequency with recency only).
    group_size : int, default 7
    within_decay, across_decay : float, default 0.9 and 0.7
    trend_days : float or None, default 30
        Products bought by many customers over the last ``trend_days`` of the data score
        higher: the score is multiplied by ``1 + trend_weight * trend`` (trend in [0, 1],
        the product's recent customers over the most any product has). None: no trend.
    trend_weight : float, default 1.0
    neighbor_pool : int or None, default 20000
        Neighbours are sought among this many customers, those with the most products
        (every customer when there are fewer; None: always every customer). The search is
        all pairs of customers: the pool keeps it linear in the number of customers.

    Examples
    --------
    >>> from recsys import NextBasket, make_shop
    >>> shop = make_shop(n_customers=300, n_products=60, seed=0)
    >>> model = NextBasket(n_neighbors=20).fit(shop.interactions)
    >>> len(model.recommend(shop.interactions.users.ids[:2], k=5).item_ids(0))
    5
    """

    supports_similar_items: ClassVar[bool] = False
    needs_customers: ClassVar[bool] = True
    recommends_seen: ClassVar[bool] = True

    parameters: ClassVar[dict[str, Param]] = {
        "n_neighbors": Param(Int(minimum=1), Integer(10, 500, log=True)),
        "alpha": Param(Float(minimum=0, maximum=1), Uniform(0.3, 1.0)),
        "group_size": Param(Int(minimum=1), Integer(2, 14)),
        "within_decay": Param(Float(minimum=0, maximum=1, exclusive_min=True)),
        "across_decay": Param(Float(minimum=0, maximum=1, exclusive_min=True)),
        "trend_days": Param(Float(minimum=0, exclusive_min=True, none=True)),
        "trend_weight": Param(Float(minimum=0), Uniform(0.0, 3.0)),
        "neighbor_pool": Param(Int(minimum=1, none=True)),
    }

    def __init__(self, *, n_neighbors: int = 100, alpha: float = 0.7, group_size: int = 7,
                 within_decay: float = 0.9, across_decay: float = 0.7,
                 trend_days: float | None = 30.0, trend_weight: float = 1.0,
                 neighbor_pool: int | None = 20_000) -> None:
        self.n_neighbors = n_neighbors
        self.alpha = alpha
        self.group_size = group_size
        self.within_decay = within_decay
        self.across_decay = across_decay
        self.trend_days = trend_days
        self.trend_weight = trend_weight
        self.neighbor_pool = neighbor_pool

    # ------------------------------------------------------------------ fit
    def _fit(self, data: Interactions, features: Any) -> None:
        self.vectors_ = self._customer_vectors(data)
        self._set_pool()
        self.neighbors_ = self._neighbours(self.vectors_, same=True)
        self.trend_ = item_trend(data, self.trend_days)

    def _customer_vectors(self, data: Interactions) -> sp.csr_matrix:
        """(customers x items) TIFU vectors: decayed baskets within groups, decayed groups."""
        basket = data.basket_index if data.basket_index is not None else np.arange(len(data))
        n_baskets = int(basket.max()) + 1
        when = np.full(n_baskets, np.iinfo(np.int64).min)
        time = data.timestamps.astype(np.int64) if data.timestamps is not None else basket
        np.maximum.at(when, basket, time)
        owner = np.zeros(n_baskets, np.int64)
        owner[basket] = data.user_index
        used = np.unique(basket)
        order = used[np.lexsort((-used, -when[used], owner[used]))]  # newest first per customer
        position = rank_in_runs(owner[order])
        group, slot = position // self.group_size, position % self.group_size
        groups = np.zeros(data.n_users, np.int64)
        np.maximum.at(groups, owner[order], group + 1)
        sizes = np.minimum(self.group_size, np.bincount(owner[order], minlength=data.n_users)
                           [owner[order]] - group * self.group_size)
        weight = np.empty(n_baskets)
        weight[order] = (self.within_decay ** slot / sizes * self.across_decay ** group
                         / groups[owner[order]])
        # each order line counts (a product on several lines of a basket counts more)
        cells = sp.csr_matrix((weight[basket] * data.weights, (data.user_index, data.item_index)),
                              shape=(data.n_users, data.n_items))
        cells.sum_duplicates()
        return cells.astype(np.float32)

    def _set_pool(self) -> None:
        """The customers neighbours come from (``neighbor_pool`` with the most products, ties
        by index; derived from the vectors, so a loaded model finds the same) and their unit
        vectors as (items x pool), computed once."""
        n = self.vectors_.shape[0]
        if self.neighbor_pool is None or n <= self.neighbor_pool:
            self._cache_pool = np.arange(n)
        else:
            lengths = np.diff(self.vectors_.indptr)
            self._cache_pool = np.sort(np.argsort(-lengths, kind="stable")[:self.neighbor_pool])
        pooled = take_rows(self.vectors_, self._cache_pool)
        # CSR: scipy multiplies CSR by CSR, and would convert a CSC operand on every call
        self._cache_unit_t = unit_sparse_rows(pooled).T.tocsr()
        self._cache_in_pool = np.full(n, -1, np.int64)
        self._cache_in_pool[self._cache_pool] = np.arange(len(self._cache_pool))

    def _neighbours(self, queries: sp.csr_matrix, same: bool = False) -> np.ndarray:
        """(queries x n_neighbors) customers most like each query (cosine), -1 where there
        are fewer; with ``same`` the queries are all customers in order, and a customer is
        not their own neighbour."""
        unit_queries = unit_sparse_rows(queries)
        n_pool = self._cache_unit_t.shape[1]
        k = min(self.n_neighbors, max(n_pool - (1 if same else 0), 1))
        out = np.full((queries.shape[0], k), -1, np.int64)
        step = chunk_rows(n_pool)
        for start in range(0, queries.shape[0], step):  # chunks of rows: bounded memory
            stop = min(start + step, queries.shape[0])
            part = unit_queries if stop - start == len(out) else unit_queries[start:stop]
            similar = _dense_product(part, self._cache_unit_t)
            if same:
                own = self._cache_in_pool[start:stop]
                similar[np.flatnonzero(own >= 0), own[own >= 0]] = -np.inf
            similar[similar <= 0] = -np.inf
            cols = _one_top(similar[0], k) if len(similar) == 1 else topk(similar, k)[0]
            out[start:stop] = np.where(cols >= 0, self._cache_pool[np.maximum(cols, 0)], -1)
        return out

    # ------------------------------------------------------------------ scoring
    def _blend(self, own: sp.csr_matrix, neighbors: np.ndarray) -> np.ndarray:
        """alpha * own + (1 - alpha) * the mean of the neighbours' vectors, dense."""
        n = neighbors.shape[0]
        keep = neighbors >= 0
        counts = keep.sum(axis=1)
        indptr = np.zeros(n + 1, np.int64)
        np.cumsum(counts, out=indptr[1:])
        mixer = csr(np.repeat((1 - self.alpha) / np.maximum(counts, 1), counts),
                    neighbors[keep], indptr, (n, self.vectors_.shape[0]))
        blend = _dense_product(mixer, self.vectors_)
        blend[row_ids(own.indptr), own.indices] += self.alpha * own.data
        blend *= 1.0 + self.trend_weight * self.trend_
        return blend

    def _scores(self, query: Query) -> np.ndarray:
        if query.users is not None:
            own = take_rows(self.vectors_, query.users)
            neighbors = self.neighbors_[query.users]
        else:
            own = self._own_cart(query.histories)
            neighbors = self._neighbours(own)
        return self._blend(own, neighbors).astype(np.float32)

    def _explain(self, item: int, user: int | None, history: sp.csr_matrix | None):
        """The customer's own part and the neighbours' part of the score."""
        if user is not None:
            query = Query.of_users(np.array([user]))
        elif history is not None:
            query = Query.of_histories(history)
        else:
            return 0.0, [], "next basket", {}
        total = float(self._scores(query)[0, item])
        own = float(self.alpha * (self.vectors_[user, item] if user is not None
                                  else self._own_cart(history)[0, item])
                    * (1.0 + self.trend_weight * self.trend_[item]))  # the parts sum to the total
        return total, [("your baskets", own), ("similar customers", total - own)], \
            "next basket", {}

    def _own_cart(self, histories: sp.csr_matrix) -> sp.csr_matrix:
        """Carts as one basket each: their items, each 1 / the cart's size."""
        own = histories.tocsr()
        if not own.has_canonical_format:
            own = own.copy()
            own.sum_duplicates()
        lengths = np.diff(own.indptr)
        share = np.repeat(1.0 / np.maximum(lengths, 1), lengths).astype(np.float32)
        return csr(share, own.indices.copy(), own.indptr.copy(), own.shape)

    # ------------------------------------------------------------------ persistence
    def _state(self):
        v = self.vectors_
        return {"vectors/data": v.data, "vectors/indices": v.indices, "vectors/indptr": v.indptr,
                "neighbors": self.neighbors_, "trend": self.trend_}, {}

    def _load_state(self, arrays, meta) -> None:
        n = len(self.users_)
        self.vectors_ = checks.csr_from(arrays, "vectors/", (n, len(self.items_)))
        self._set_pool()
        self.trend_ = checks.within(checks.vector(arrays["trend"], "model/trend",
                                                  len(self.items_)), "model/trend", 0, 1)
        neighbors = checks.matrix(arrays["neighbors"], "model/neighbors", n, None, "iu")
        self.neighbors_ = checks.index_values(neighbors, "model/neighbors", n, low=-1).astype(
            np.int64)


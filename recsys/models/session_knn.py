"""Session-based nearest neighbours: :class:`SessionKNN` (V-SKNN, Ludewig & Jannach 2018)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from recsys._engine import state_checks as checks
from recsys._engine.arrays import row_ids, row_lengths
from recsys._engine.sparse import csr, topk_sparse
from recsys.data.interactions import Interactions
from recsys.exceptions import DataError
from recsys.models.base import Recommender
from recsys.models.params import Flag, Int, Integer, Param
from recsys.ranking import Query

__all__ = ["SessionKNN"]


class SessionKNN(Recommender):
    r"""The products of the past sessions most like this one (session-based kNN).

    A session (an anonymous visitor's products, newest weighing most; a cart; a customer's
    history) is compared with every past session kept at fit: its similarity to a past
    session :math:`n` is :math:`\sum_{i \in n} w_i` over its products' weights :math:`w`
    (:meth:`recommend_for_session` weighs the newest product 1 and each older one by
    ``decay`` per step), divided by :math:`\|w\|\,\sqrt{|n|}` (cosine) with ``normalize``.
    The ``k`` most similar past sessions vote for their products with their similarity. This
    is V-SKNN (Ludewig & Jannach 2018, "Evaluation of session-based recommendation
    algorithms"), a baseline the published comparisons found hard to beat on e-commerce
    sessions, here over all kept sessions at once (sparse products) rather than a sample per
    query.

    Sessions are the data's baskets (``basket=`` at :meth:`Interactions.from_frame`: a
    session or an order id), else each customer's history; with timestamps the newest
    ``max_sessions`` are kept.

    Parameters
    ----------
    k : int, default 100
        Past sessions that vote for each query.
    max_sessions : int, default 200000
        The newest past sessions kept (memory: about 8 bytes a product of each).
    normalize : bool, default True
        Cosine similarity (a long past session does not outvote a short one for holding
        more products); False: the plain weighted overlap.

    Examples
    --------
    >>> from recsys import make_shop
    >>> shop = make_shop(n_customers=300, n_products=60, seed=0)
    >>> model = SessionKNN(k=50).fit(shop.interactions)
    >>> len(model.recommend_for_session(["P0003", "P0011"], k=5).item_ids())
    5
    """

    demo_params: ClassVar[dict[str, Any]] = {"k": 100}
    parameters: ClassVar[dict[str, Param]] = {
        "k": Param(Int(minimum=1), Integer(20, 500, log=True)),
        "max_sessions": Param(Int(minimum=1)),
        "normalize": Param(Flag()),
    }

    def __init__(self, *, k: int = 100, max_sessions: int = 200_000,
                 normalize: bool = True) -> None:
        self.k = k
        self.max_sessions = max_sessions
        self.normalize = normalize

    def _fit(self, data: Interactions, features: Any) -> None:
        by = "basket" if data.basket_index is not None else "user"
        matrix = data.matrix(by).tocsr()
        kept = np.flatnonzero(row_lengths(matrix.indptr) > 0)
        if data.timestamps is not None and len(kept) > self.max_sessions:
            group = data.basket_index if by == "basket" else data.user_index
            ends = np.full(matrix.shape[0], np.iinfo(np.int64).min)
            np.maximum.at(ends, group, data.timestamps.astype(np.int64))
            kept = kept[np.argsort(-ends[kept], kind="stable")[:self.max_sessions]]
            kept.sort()
        elif len(kept) > self.max_sessions:
            kept = kept[-self.max_sessions:]  # without times: the last sessions of the data
        if not len(kept):
            raise DataError("SessionKNN: the data holds no session with a product.")
        rows = matrix[kept]
        self.sessions_ = csr(np.ones(rows.nnz, np.float32), rows.indices.astype(np.int32),
                             rows.indptr.astype(np.int64), rows.shape)
        self.sessions_.sort_indices()

    def _neighbours(self, histories: sp.csr_matrix) -> sp.csr_matrix:
        """Queries x kept sessions: the ``k`` most similar sessions of each query and their
        similarity (ties by session order)."""
        histories = histories.tocsr().astype(np.float32)
        similar = (histories @ self._by_item()).tocsr()
        if self.normalize and similar.nnz:
            query_norm = np.sqrt(np.asarray(histories.multiply(histories).sum(axis=1))).ravel()
            session_norm = np.sqrt(row_lengths(self.sessions_.indptr)).astype(np.float32)
            rows = row_ids(similar.indptr)
            similar.data = similar.data / (query_norm[rows] * session_norm[similar.indices])
        cols, vals, lengths = topk_sparse(similar, self.k)
        keep = cols >= 0
        indptr = np.zeros(len(lengths) + 1, np.int64)
        np.cumsum(lengths, out=indptr[1:])
        return csr(vals[keep].astype(np.float32), cols[keep], indptr,
                   (histories.shape[0], self.sessions_.shape[0]))

    def _by_item(self) -> sp.csr_matrix:
        """Products x sessions, built once (a transpose per call cost more than the query)."""
        by_item = self.__dict__.get("_cache_by_item")
        if by_item is None or by_item.shape[1] != self.sessions_.shape[0]:
            by_item = self._cache_by_item = self.sessions_.T.tocsr()
        return by_item

    def _scores(self, query: Query) -> sp.csr_matrix:
        return (self._neighbours(self._histories(query)) @ self.sessions_).tocsr()

    def _explain(self, item: int, user: int | None, history: sp.csr_matrix | None):
        if user is not None:
            history = self._history(np.array([user]))
        if history is None or history.nnz == 0:
            return 0.0, [], "session neighbours", {"neighbours": 0}
        neighbours = self._neighbours(history)
        # the neighbours holding the item: its row of the product index built for scoring
        voting = np.isin(neighbours.indices, self._by_item()[item].indices)
        voters, weights = neighbours.indices[voting], neighbours.data[voting]
        score = float(weights.astype(np.float64).sum())
        # each product of the history: the similarity of the voting sessions that hold it too
        shared = self.sessions_[voters].multiply(weights[:, None]).tocsc()
        per_item = np.asarray(shared.sum(axis=0)).ravel()
        return score, self._history_contributions(item, history, per_item), \
            "session neighbours", {"neighbours": int(neighbours.nnz), "voters": len(voters)}

    def _state(self):
        s = self.sessions_
        return ({"sessions/data": s.data, "sessions/indices": s.indices,
                 "sessions/indptr": s.indptr}, {"sessions": int(s.shape[0])})

    def _load_state(self, arrays, meta) -> None:
        count = int(checks.positive_number(meta, "sessions", None))
        self.sessions_ = checks.csr_from(arrays, "sessions/", (count, len(self.items_)))

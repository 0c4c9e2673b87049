"""Item-to-item models: the shared scoring of :class:`_ItemToItem`, and :class:`ItemKNN`
(implicit's nearest neighbours). EASE and RP3beta build on it in their own modules."""

from __future__ import annotations

import os
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from recsys._engine import state_checks as checks
from recsys._engine.libraries import implicit_cpu
from recsys._engine.sparse import dense_scores
from recsys._engine.threads import fit_threads, quiet_implicit_fit
from recsys.data.interactions import Interactions
from recsys.models._weighted import WeightedInput
from recsys.models.anchors import item_anchors, sparse_weight
from recsys.models.auto_params import AUTO, is_auto, knn_k
from recsys.models.base import Anchors, Query, Recommender
from recsys.models.params import HALF_LIVES, AutoOr, Choice, Float, HalfLife, Int, Integer, OneOf, Param
from recsys.models.weighting import WEIGHTINGS

__all__ = ["ItemKNN"]


class _ItemToItem(WeightedInput, Recommender):
    """score(history, i) = sum over history items j of weight(j) * W[j, i], the history
    weighted and decayed as the model learnt (:class:`~recsys.models._weighted.WeightedInput`)."""

    needs_customers: ClassVar[bool] = True
    _history_per_customer: ClassVar[bool] = True  # scores are linear in the history row

    num_threads: int

    def _weights(self):
        """The item x item matrix scores are read from (default: the sparse ``similarity_``)."""
        return self.similarity_

    def _item_state(self):
        s = self.similarity_
        return {"similarity/data": s.data, "similarity/indices": s.indices,
                "similarity/indptr": s.indptr}, {}

    def _load_item_state(self, arrays, meta) -> None:
        n = len(self.items_)
        self.similarity_ = checks.csr_from(arrays, "similarity/", (n, n))

    def _scoring_threads(self) -> int:
        # sparse products and selections, which release the GIL: a chunk per core
        return self.num_threads or os.cpu_count() or 1

    def _state(self):
        arrays, meta = self._weighting_state()
        own, facts = self._item_state()
        return {**arrays, **own}, {**meta, **facts}

    def _load_state(self, arrays, meta) -> None:
        self._load_weighting(arrays, meta)
        self._load_item_state(arrays, meta)

    def _scores(self, query: Query) -> np.ndarray:
        # dense even when the similarities are sparse: a history reaches a large share of the
        # catalogue through its neighbours, and the dense top-k of such rows measured 4-6x
        # faster than the sparse one (recommend-all, Online Retail and MovieLens)
        product = self._model_rows(query) @ self._weights()
        return dense_scores(product) if sp.issparse(product) else np.asarray(product, np.float32)

    def _anchors(self, query: Query, picks: np.ndarray, source: np.ndarray | None) -> Anchors:
        W = self._weights()
        weight = sparse_weight(W) if sp.issparse(W) else (lambda hist, item: W[hist, item])
        return item_anchors(self._model_rows(query), picks, weight, self.items_.ids)

    def _explain(self, item: int, user: int | None, history: sp.csr_matrix | None):
        if history is None or history.nnz == 0:
            return float(self.item_counts_[item]), [], "popularity"
        if user is None:  # a known customer's history is their training row already
            history = self._weighted(history)
        W = self._weights()
        column = W[:, [item]]
        column = column.toarray().ravel() if sp.issparse(column) else np.asarray(column).ravel()
        links = column[history.indices]
        weights = np.zeros(len(self.items_))
        weights[history.indices] = history.data * links
        # a sparse model has no score for an item no history item links to
        score = float("-inf") if sp.issparse(W) and not links.any() else float(weights.sum())
        return score, self._history_contributions(item, history, weights), "item neighbours"


class ItemKNN(_ItemToItem):
    """Item-based nearest neighbours: implicit's cosine, BM25 or TF-IDF item similarities.

    Each item keeps its ``k`` most similar items (by co-purchases across
    customers). A customer's score for an item is the sum, over the items in
    their history (weighted by the interaction weight), of the similarity to it.
    Items no history item is a neighbour of are not recommended.

    Parameters
    ----------
    similarity : {"cosine", "bm25", "tfidf"}, default "cosine"
    k : int or "auto", default "auto"
        Neighbours kept per item. ``"auto"``: ``min(500, ceil(10 * sqrt(n)))`` for ``n``
        products with interactions (100 products: all 100; 2,500 and more: 500), see
        :mod:`recsys.models.auto_params`. The value used is ``k_`` after fit.
    bm25_k1, bm25_b : float, default 1.2 and 0.75
        BM25 parameters (``similarity="bm25"``).
    num_threads : int, default 0
        Threads for implicit (0: all cores).
    weighting : {"bm25", "tfidf", "log", "binary"} or None, default None
        How the summed weights are weighted before the similarities, and in every history
        scored (see :mod:`recsys.models.weighting`); None: as they are.
    half_life_days : float or None, default None
        Decay by the age of each purchase (needs timestamps; docs/models.md, "Weighting
        and time decay"). None: no decay.

    Examples
    --------
    >>> from recsys import ItemKNN, make_shop
    >>> shop = make_shop(n_customers=300, n_products=60, seed=0)
    >>> model = ItemKNN(k=20).fit(shop.interactions)
    >>> model.similarity_.shape
    (60, 60)
    """

    demo_params: ClassVar[dict[str, Any]] = {"k": 50, "similarity": "cosine"}

    #: the neighbours per product the fit kept (``k``, or read from the data)
    k_: int

    forgets_from_state: ClassVar[bool] = True  # its fit reads who bought what only
    parameters: ClassVar[dict[str, Param]] = {
        "similarity": Param(OneOf(("cosine", "bm25", "tfidf")), Choice(["cosine", "bm25", "tfidf"])),
        "k": Param(AutoOr(Int(minimum=1)), Integer(10, 1000, log=True)),
        "bm25_k1": Param(Float(minimum=0)),
        "bm25_b": Param(Float(minimum=0, maximum=1)),
        "num_threads": Param(Int(minimum=0)),
        "weighting": Param(OneOf((*WEIGHTINGS, None)), Choice([None, "log", "binary"])),
        "half_life_days": Param(HalfLife(), HALF_LIVES),
    }

    def __init__(self, *, similarity: str = "cosine", k: int | str = AUTO, bm25_k1: float = 1.2,
                 bm25_b: float = 0.75, num_threads: int = 0, weighting: str | None = None,
                 half_life_days: float | None = None) -> None:
        self.weighting = weighting
        self.half_life_days = half_life_days
        self.similarity = similarity
        self.k = k
        self.bm25_k1 = bm25_k1
        self.bm25_b = bm25_b
        self.num_threads = num_threads

    def _item_state(self):
        arrays, meta = super()._item_state()
        return arrays, {**meta, "k": self.k_}

    def _load_item_state(self, arrays, meta) -> None:
        super()._load_item_state(arrays, meta)
        self.k_ = int(checks.positive_number(meta, "k", self.k))

    def _engine(self, k: int):
        nn = implicit_cpu().nearest_neighbours
        if self.similarity == "bm25":
            return nn.BM25Recommender(K=k, K1=self.bm25_k1, B=self.bm25_b,
                                      num_threads=self.num_threads)
        cls = nn.CosineRecommender if self.similarity == "cosine" else nn.TFIDFRecommender
        return cls(K=k, num_threads=self.num_threads)

    def _fit(self, data: Interactions, features: Any) -> None:
        # customers and products with no rows (a split's shared id maps hold the test's too)
        # would count in BM25's and TF-IDF's collection sizes: the weights use active ones
        train = self._weighted_training(data)
        rows = np.flatnonzero(np.diff(train.indptr))
        cols = np.flatnonzero(self.item_counts_ > 0)
        self.k_ = knn_k(len(cols)) if is_auto(self.k) else int(self.k)
        with fit_threads(), quiet_implicit_fit():
            engine = self._engine(self.k_)
            engine.fit(train[rows][:, cols], show_progress=False)
        found = engine.similarity.tocoo()
        n = len(self.items_)
        similarity = sp.csr_matrix((found.data.astype(np.float32),
                                    (cols[found.row], cols[found.col])), shape=(n, n))
        similarity.eliminate_zeros()
        similarity.sort_indices()
        self.similarity_ = similarity


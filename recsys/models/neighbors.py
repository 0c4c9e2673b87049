"""Item-to-item models: :class:`ItemKNN` (implicit's nearest neighbours) and :class:`EASE`."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from .. import _state_checks as checks
from .._anchors import item_anchors, sparse_weight
from .._params import check_choice, check_float, check_int
from .._threads import fit_threads, quiet_implicit_fit
from .._topk import dense_scores
from ..data import Interactions
from ..exceptions import InvalidParameterError
from .base import Anchors, Query, Recommender, _register

__all__ = ["ItemKNN", "EASE"]


class _ItemToItem(Recommender):
    """score(history, i) = sum over history items j of weight(j) * W[j, i]."""

    needs_customers: ClassVar[bool] = True

    num_threads: int

    def _weights(self):
        raise NotImplementedError

    def _input(self, histories: sp.csr_matrix) -> sp.csr_matrix:
        """Histories as the model weighs them (float32 interaction weights; read-only)."""
        return histories.astype(np.float32, copy=False)

    def _scores(self, query: Query) -> np.ndarray:
        # dense even when the similarities are sparse: a history reaches a large share of the
        # catalogue through its neighbours, and the dense top-k of such rows measured 4-6x
        # faster than the sparse one (recommend-all, Online Retail and MovieLens)
        product = self._input(self._histories(query)) @ self._weights()
        return dense_scores(product) if sp.issparse(product) else np.asarray(product, np.float32)

    def _anchors(self, query: Query, picks: np.ndarray, source: np.ndarray | None) -> Anchors:
        W = self._weights()
        weight = sparse_weight(W) if sp.issparse(W) else (lambda hist, item: W[hist, item])
        return item_anchors(self._input(self._histories(query)), picks, weight, self.items_.ids)

    def _explain(self, item: int, user: int | None, history: sp.csr_matrix | None):
        if history is None or history.nnz == 0:
            return float(self.item_counts_[item]), [], "popularity"
        W = self._weights()
        column = W[:, [item]]
        column = column.toarray().ravel() if sp.issparse(column) else np.asarray(column).ravel()
        links = column[history.indices]
        weights = np.zeros(len(self.items_))
        weights[history.indices] = history.data * links
        # a sparse model has no score for an item no history item links to
        score = float("-inf") if sp.issparse(W) and not links.any() else float(weights.sum())
        return score, self._history_contributions(item, history, weights), "item neighbours"


@_register
class ItemKNN(_ItemToItem):
    """Item-based nearest neighbours: implicit's cosine, BM25 or TF-IDF item similarities.

    Each item keeps its ``k`` most similar items (by co-purchases across
    customers). A customer's score for an item is the sum, over the items in
    their history (weighted by the interaction weight), of the similarity to it.
    Items no history item is a neighbour of are not recommended.

    Parameters
    ----------
    similarity : {"cosine", "bm25", "tfidf"}
    k : int
        Neighbours kept per item.
    bm25_k1, bm25_b : float
        BM25 parameters (``similarity="bm25"``).
    num_threads : int
        Threads for implicit (0: all cores).

    Examples
    --------
    >>> from recsys import ItemKNN, make_shop
    >>> shop = make_shop(n_customers=300, n_products=60, seed=0)
    >>> model = ItemKNN(k=20).fit(shop.interactions)
    >>> model.similarity_.shape
    (60, 60)
    """

    _test_params: ClassVar[dict[str, Any]] = {"k": 30, "num_threads": 1}
    demo_params: ClassVar[dict[str, Any]] = {"k": 50, "similarity": "cosine"}

    def __init__(self, *, similarity: str = "cosine", k: int = 50, bm25_k1: float = 1.2,
                 bm25_b: float = 0.75, num_threads: int = 0) -> None:
        self.similarity = similarity
        self.k = k
        self.bm25_k1 = bm25_k1
        self.bm25_b = bm25_b
        self.num_threads = num_threads

    def _check_params(self) -> None:
        check_choice("ItemKNN", "similarity", self.similarity, ("cosine", "bm25", "tfidf"))
        check_int("ItemKNN", "k", self.k, minimum=1)
        check_float("ItemKNN", "bm25_k1", self.bm25_k1, minimum=0)
        check_float("ItemKNN", "bm25_b", self.bm25_b, minimum=0, maximum=1)
        check_int("ItemKNN", "num_threads", self.num_threads, minimum=0)

    def _engine(self):
        from implicit import nearest_neighbours as nn

        if self.similarity == "bm25":
            return nn.BM25Recommender(K=self.k, K1=self.bm25_k1, B=self.bm25_b,
                                      num_threads=self.num_threads)
        cls = nn.CosineRecommender if self.similarity == "cosine" else nn.TFIDFRecommender
        return cls(K=self.k, num_threads=self.num_threads)

    def _fit(self, data: Interactions, features: Any) -> None:
        # customers and products with no rows (a split's shared id maps hold the test's too)
        # would count in BM25's and TF-IDF's collection sizes: the weights use active ones
        rows = np.flatnonzero(np.diff(self.seen_.indptr))
        cols = np.flatnonzero(self.item_counts_ > 0)
        with fit_threads(), quiet_implicit_fit():
            engine = self._engine()
            engine.fit(self.seen_[rows][:, cols], show_progress=False)
        found = engine.similarity.tocoo()
        n = len(self.items_)
        similarity = sp.csr_matrix((found.data.astype(np.float32),
                                    (cols[found.row], cols[found.col])), shape=(n, n))
        similarity.eliminate_zeros()
        similarity.sort_indices()
        self.similarity_ = similarity

    def _weights(self):
        return self.similarity_

    def _state(self):
        s = self.similarity_
        return {"similarity/data": s.data, "similarity/indices": s.indices,
                "similarity/indptr": s.indptr}, {}

    def _load_state(self, arrays, meta) -> None:
        n = len(self.items_)
        self.similarity_ = checks.csr_from(arrays, "similarity/", (n, n))


@_register
class EASE(_ItemToItem):
    r"""Embarrassingly shallow autoencoder (Steck 2019): a closed-form item-item model.

    :math:`P = (X^\top X + \lambda I)^{-1}`, :math:`B = I - P\,\mathrm{diag}(1/\mathrm{diag}(P))`
    (zero diagonal); scores are :math:`X_u B`. Strong on small and mid-sized
    catalogues; the dense items x items matrix costs :math:`8n^2` bytes several
    times over, so ``max_items`` refuses catalogues that would not fit.

    Parameters
    ----------
    l2 : float
        :math:`\lambda`, the L2 regularisation (hundreds to thousands is typical).
    max_items : int
        Largest catalogue accepted (memory ~ 24 x max_items**2 bytes while fitting).
    num_threads : int
        BLAS threads for the inversion (0: library default).

    Examples
    --------
    >>> from recsys import EASE, make_shop
    >>> shop = make_shop(n_customers=300, n_products=60, seed=0)
    >>> EASE(l2=100.0).fit(shop.interactions).weights_.shape
    (60, 60)
    """

    _test_params: ClassVar[dict[str, Any]] = {"l2": 50.0}
    demo_params: ClassVar[dict[str, Any]] = {"l2": 200.0}

    def __init__(self, *, l2: float = 500.0, max_items: int = 20_000, num_threads: int = 0) -> None:
        self.l2 = l2
        self.max_items = max_items
        self.num_threads = num_threads

    def _check_params(self) -> None:
        check_float("EASE", "l2", self.l2, minimum=0, exclusive_min=True)
        check_int("EASE", "max_items", self.max_items, minimum=1)
        check_int("EASE", "num_threads", self.num_threads, minimum=0)

    def _fit(self, data: Interactions, features: Any) -> None:
        trained = np.flatnonzero(self.item_counts_ > 0)
        n = len(trained)
        if n > self.max_items:
            need = 24 * n * n / 2**30
            raise InvalidParameterError(
                f"EASE: {n:,} items with interactions need a dense {n:,} x {n:,} matrix, about "
                f"{need:.1f} GiB while fitting, above max_items={self.max_items:,}. Use ItemKNN or "
                f"ALS for this catalogue, or raise max_items if the memory is there."
            )
        X = self.seen_[:, trained].tocsc()
        X.data[:] = 1.0
        from scipy.linalg import lapack

        with fit_threads(self.num_threads):
            gram = (X.T @ X).toarray().astype(np.float64)
            gram[np.diag_indices(n)] += self.l2
            # the Gram matrix is symmetric positive definite: invert through its Cholesky
            # factor (about 3x fewer flops than a general inverse), in place
            factor, info = lapack.dpotrf(gram, lower=False, overwrite_a=True, clean=True)
            if info == 0:
                P, info = lapack.dpotri(factor, lower=False, overwrite_c=True)
            if info != 0:
                raise InvalidParameterError(
                    f"EASE: the regularised Gram matrix is not positive definite (LAPACK info "
                    f"{info}); raise l2 (now {self.l2})."
                )
            P = np.triu(P)
            P += np.triu(P, 1).T
            B = P / (-np.diag(P))[None, :]
            B[np.diag_indices(n)] = 0.0
        weights = np.zeros((len(self.items_), len(self.items_)), np.float32)
        weights[np.ix_(trained, trained)] = B
        self.weights_ = weights

    def _weights(self):
        return self.weights_

    def _input(self, histories: sp.csr_matrix) -> sp.csr_matrix:
        binary = histories.tocsr().astype(np.float32)
        binary.data[:] = 1.0  # EASE is fitted on binary data
        return binary

    def _explain(self, item, user, history):
        return super()._explain(item, user, None if history is None else self._input(history))

    def _state(self):
        return {"weights": self.weights_}, {}

    def _load_state(self, arrays, meta) -> None:
        n = len(self.items_)
        self.weights_ = checks.matrix(arrays["weights"], "model/weights", n, n)

"""ContentBased: rank products by how much they resemble what a customer (or cart) holds."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys._engine import state_checks as checks
from recsys._engine.arrays import unit_rows
from recsys._engine.sparse import chunk_rows, take_rows, unit_sparse_rows
from recsys.data.features import ItemFeatures
from recsys.data.idmap import IdMap
from recsys.data.interactions import Interactions
from recsys.exceptions import DataError, PersistenceError
from recsys.models._state import freeze_fitted
from recsys.models.base import Anchors, Query, Recommender
from recsys.models.params import Choice, HalfLife, Param
from recsys.models.weighting import decayed_matrix

__all__ = ["ContentBased"]


class ContentBased(Recommender):
    r"""Content-based ranking over item text and attributes (:class:`~recsys.data.features.ItemFeatures`).

    A customer's (or cart's) profile is the weighted sum of the unit feature
    vectors of the items in their history (weights: the interaction weights,
    times :math:`2^{-\mathrm{age}/\mathrm{half\_life\_days}}` when a half-life is
    set); the score of an item is the cosine between the profile and the item.
    Items with features but no sales yet (the catalogue) are ranked like any
    other, which is what makes this model answer for new products.
    :meth:`add_items` adds products after fitting, with the fitted vocabularies.

    Parameters
    ----------
    half_life_days : float, optional
        Time decay of the history (needs timestamps); ``None``: no decay.

    Examples
    --------
    >>> from recsys import ContentBased, make_shop
    >>> shop = make_shop(n_customers=300, n_products=60, seed=0)
    >>> model = ContentBased().fit(shop.interactions, items=shop.items)
    >>> sorted(model.similar_items("P0001", k=3).item_ids())  # the rest of its collection
    ['P0002', 'P0003', 'P0004']
    """

    uses_item_features: ClassVar[bool] = True
    demo_params: ClassVar[dict[str, Any]] = {}

    parameters: ClassVar[dict[str, Param]] = {
        "half_life_days": Param(HalfLife(), Choice([None, 30, 90, 365])),
    }

    def __init__(self, *, half_life_days: float | None = None) -> None:
        self.half_life_days = half_life_days

    def _fit(self, data: Interactions, features: ItemFeatures | None) -> None:
        if features is None:
            raise DataError(
                "ContentBased needs item features: fit(interactions, items=ItemFeatures.from_frame("
                "products, item=..., text=[...], categorical=[...]))."
            )
        self.features_ = features
        self.item_vectors_ = unit_sparse_rows(features.aligned(self.items_))
        self.history_ = self._decayed(data)

    def _decayed(self, data: Interactions) -> sp.csr_matrix:
        if self.half_life_days is None or data.user_index is None:
            return self.seen_
        return decayed_matrix(data, self.half_life_days)

    def _recommendable(self) -> np.ndarray:
        return np.diff(self.item_vectors_.indptr) > 0

    # ------------------------------------------------------------------ scoring
    def _profiles(self, histories: sp.csr_matrix) -> sp.csr_matrix:
        return unit_sparse_rows((histories.astype(np.float32) @ self.item_vectors_).tocsr())

    def _cosines(self, rows: sp.csr_matrix) -> np.ndarray:
        """Cosines of ``rows`` (feature vectors, unit length after scaling) with every item.

        Rows are made dense in blocks of at most CELL_BUDGET cells, and scored by one
        sparse-by-dense product (a single pass over the item vectors): several times faster
        than a sparse-by-sparse product for the few rows of a request."""
        vectors = self.item_vectors_
        scores = np.empty((rows.shape[0], vectors.shape[0]), np.float32)
        step = chunk_rows(vectors.shape[1])
        for start in range(0, rows.shape[0], step):
            block = unit_rows(rows[start:start + step].toarray())
            scores[start:start + step] = (vectors @ block.T).T
        scores[:, ~self.recommendable_] = -np.inf
        return scores

    def _history(self, user_index: np.ndarray) -> sp.csr_matrix:
        return take_rows(self.history_, user_index)

    def _scores(self, query: Query) -> np.ndarray:
        if query.items is not None:
            return self._cosines(take_rows(self.item_vectors_, query.items))
        return self._cosines(self._histories(query).astype(np.float32) @ self.item_vectors_)

    def _anchors(self, query: Query, picks: np.ndarray, source: np.ndarray | None) -> Anchors:
        """The strongest shared term or attribute of each pick with the customer's profile."""
        out = Anchors.popular(picks.shape)
        cells = np.flatnonzero(picks.ravel() >= 0)
        profiles = self._profiles(self._histories(query))
        shared = profiles[cells // picks.shape[1]].multiply(
            self.item_vectors_[picks.ravel()[cells]]).tocsr()
        best = np.asarray(shared.argmax(axis=1)).ravel()
        value = np.asarray(shared.max(axis=1).todense()).ravel()
        good = value > 0
        out.codes.ravel()[cells[good]] = "similar_attributes"
        out.anchors.ravel()[cells[good]] = self.features_.feature_names[best[good]]
        return out

    def _explain(self, item: int, user: int | None, history: sp.csr_matrix | None):
        if user is not None:
            history = self.history_[user]
        if history is None or history.nnz == 0:
            return 0.0, [], "content"
        profile = self._profiles(history)
        vector = self.item_vectors_[item]
        shared = profile.multiply(vector).tocsr()
        score = float(shared.sum())
        names = self.features_.feature_names
        order = np.argsort(-shared.data, kind="stable")[:8]
        contributions = [(str(names[shared.indices[i]]), float(shared.data[i]))
                         for i in order if shared.data[i] > 0]
        return score, contributions, "content", {"shared": [c[0] for c in contributions]}

    # ------------------------------------------------------------------ new products
    def add_items(self, products: pd.DataFrame, item: str | None = None) -> ContentBased:
        """Add (or update) products after fitting, from their features alone.

        ``products`` has the columns the features were built from. The new items
        get no sales (``item_counts_`` 0) and are recommended by their content.
        Returns ``self``.
        """
        self._check_fitted()
        features = self.features_.add(products, item=item)
        new_ids = np.setdiff1d(features.items.ids, self.items_.ids)
        self._widen(new_ids)
        self.features_ = features
        self.item_vectors_ = unit_sparse_rows(features.aligned(self.items_))
        self.recommendable_ = self._recommendable()
        freeze_fitted(self)
        return self

    def _widen(self, new_ids: np.ndarray) -> None:
        """Grow the item map by ``new_ids``, moving every item-indexed array along."""
        if len(new_ids) == 0:
            return
        old = self.items_
        union = IdMap(np.concatenate([old.ids, new_ids]), name=old.name)
        position = union.to_index(old.ids)

        def move_columns(matrix: sp.csr_matrix) -> sp.csr_matrix:
            moved = sp.csr_matrix((matrix.data, position[matrix.indices], matrix.indptr),
                                  shape=(matrix.shape[0], len(union)))
            moved.sort_indices()
            return moved

        counts = np.zeros(len(union), np.int64)
        counts[position] = self.item_counts_
        self.seen_ = move_columns(self.seen_)
        self.history_ = self.seen_ if self.half_life_days is None else move_columns(self.history_)
        self.item_counts_ = counts
        self.items_ = union

    # ------------------------------------------------------------------ persistence
    def _state(self):
        arrays, specs = self.features_.to_arrays("features/")
        vectors = self.item_vectors_
        arrays.update({"vectors/data": vectors.data, "vectors/indices": vectors.indices,
                       "vectors/indptr": vectors.indptr})
        if self.half_life_days is not None:
            h = self.history_
            arrays.update({"history/data": h.data, "history/indices": h.indices,
                           "history/indptr": h.indptr})
        return arrays, {"feature_blocks": specs, "feature_item_name": self.features_.items.name,
                        "n_features": int(vectors.shape[1])}

    def _load_state(self, arrays, meta) -> None:
        self.features_ = ItemFeatures.from_arrays(arrays, meta["feature_blocks"], "features/",
                                                  meta.get("feature_item_name", "item_id"))
        n_features = self.features_.matrix.shape[1]
        if meta.get("n_features") != n_features:
            raise PersistenceError(f"model file: n_features is {meta.get('n_features')!r} but "
                                   f"the features hold {n_features} (a damaged or altered file).")
        self.item_vectors_ = checks.csr_from(arrays, "vectors/", (len(self.items_), n_features))
        if "history/data" in arrays:
            self.history_ = checks.csr_from(arrays, "history/", self.seen_.shape)
        else:
            self.history_ = self.seen_

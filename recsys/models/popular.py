"""Popularity: the baseline every model must beat, and the fallback for unknown queries."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from .. import _state_checks as checks
from .._params import check_float
from ..data import Interactions, days_before
from ..exceptions import DataError
from .base import Query, Recommender, _register

__all__ = ["Popularity"]


@_register
class Popularity(Recommender):
    """Recommend the most popular items (all-time, or over the last ``window_days``).

    The score of an item is the number of distinct users (or baskets, for data
    without users) that interacted with it, within the window when one is set.
    Ties, and items with no sale in the window, are ordered by all-time
    popularity, then by item index. Every user gets the same list, minus what
    they have already seen.

    Parameters
    ----------
    window_days : float, optional
        Count only interactions in the last ``window_days`` before the newest
        timestamp in the training data (needs timestamps).

    Examples
    --------
    >>> from recsys import Popularity, make_shop
    >>> shop = make_shop(n_customers=300, n_products=60, seed=0)
    >>> model = Popularity().fit(shop.interactions)
    >>> user = shop.interactions.users.ids[0]
    >>> len(model.recommend(user, k=5).item_ids())
    5
    """

    supports_similar_items: ClassVar[bool] = False

    def __init__(self, *, window_days: float | None = None) -> None:
        self.window_days = window_days

    def _check_params(self) -> None:
        check_float("Popularity", "window_days", self.window_days, minimum=0,
                    allow_none=True, exclusive_min=True)

    def _fit(self, data: Interactions, features: Any) -> None:
        all_time = self.item_counts_.astype(np.float64)
        counts = all_time
        if self.window_days is not None:
            if data.timestamps is None:
                raise DataError(
                    "Popularity(window_days=...) needs timestamps; build the interactions "
                    "with timestamp='<column>', or leave window_days=None."
                )
            newest = data.timestamps.max()
            recent = data.timestamps >= days_before(newest, self.window_days)
            has_users = data.user_index is not None
            rows = data.user_index if has_users else data.basket_index
            n_rows = data.n_users if has_users else data.n_baskets
            pairs = sp.csr_matrix((np.ones(int(recent.sum()), np.float32),
                                   (rows[recent], data.item_index[recent])),
                                  shape=(n_rows, data.n_items))
            pairs.sum_duplicates()
            counts = np.diff(pairs.tocsc().indptr).astype(np.float64)
        # all-time popularity breaks ties among equal window counts
        self.scores_ = (counts + all_time / (all_time.max() + 1.0)).astype(np.float32)

    def _scores(self, query: Query) -> np.ndarray:
        return np.tile(self.scores_, (len(query), 1))

    def _explain(self, item: int, user: int | None, history: sp.csr_matrix | None):
        label = "buyers" if self.window_days is None else f"buyers in the last {self.window_days:g} days"
        return float(self.scores_[item]), [(label, float(np.floor(self.scores_[item])))], "popularity"

    def _state(self):
        return {"scores": self.scores_}, {}

    def _load_state(self, arrays, meta) -> None:
        self.scores_ = checks.vector(arrays["scores"], "model/scores", len(self.items_))

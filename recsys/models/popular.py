"""Popularity: the baseline every model must beat, and the fallback for unknown queries."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from recsys._engine import state_checks as checks
from recsys._engine.arrays import largest_per_key
from recsys.data.dates import DAY_NS, days_before
from recsys.data.interactions import Interactions
from recsys.exceptions import DataError
from recsys.models.base import Query, Recommender
from recsys.models.params import Choice, Float, HalfLife, Param

__all__ = ["Popularity"]


class Popularity(Recommender):
    """Recommend the most popular items (all-time, or over the last ``window_days``).

    The score of an item is the number of distinct users (or baskets, for data
    without users) that interacted with it, within the window when one is set.
    Ties, and items with no sale in the window, are ordered by all-time
    popularity, then by item index. Every user gets the same list, minus what
    they have already seen.

    Parameters
    ----------
    window_days : float or None, default None
        Count only interactions in the last ``window_days`` before the newest
        timestamp in the training data (needs timestamps).
    half_life_days : float or None, default None
        Each buyer counts ``2 ** (-age / half_life_days)``, the age in days of their
        latest purchase of the item at the newest timestamp (needs timestamps): what
        sells now ranks first, without a hard window. None: every buyer counts 1.

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

    forgets_from_state: ClassVar[bool] = True  # its fit reads who bought what only
    parameters: ClassVar[dict[str, Param]] = {
        "window_days": Param(Float(minimum=0, exclusive_min=True, none=True),
                             Choice([None, 7, 14, 30, 90, 365])),
        "half_life_days": Param(HalfLife(), Choice([None, 3, 7, 14, 30, 90])),
    }

    def __init__(self, *, window_days: float | None = None,
                 half_life_days: float | None = None) -> None:
        self.window_days = window_days
        self.half_life_days = half_life_days

    def _fit(self, data: Interactions, features: Any) -> None:
        all_time = self.item_counts_.astype(np.float64)
        counts = all_time
        if self.window_days is not None or self.half_life_days is not None:
            if data.timestamps is None:
                raise DataError(
                    "Popularity(window_days=..., half_life_days=...) needs timestamps; build "
                    "the interactions with timestamp='<column>' (--time-col on the command "
                    "line), or leave both None.")
            counts = self._recent_buyers(data)
        self.scores_ = _ranked(counts, all_time)

    def _forgets_in_place(self, exact: bool = True) -> bool:
        # all-time counts are the buyers per product: an erasure subtracts its customers
        return self.window_days is None and self.half_life_days is None

    def _forget_rows(self, removed, gone, before, exact: bool = True) -> str:
        all_time = self.item_counts_.astype(np.float64)  # recounted without the customers
        self.scores_ = _ranked(all_time, all_time)
        return "counts updated"

    def _recent_buyers(self, data: Interactions) -> np.ndarray:
        """Per item, its buyers (customers, or baskets without customers) in the window, each
        weighted by the decay of their latest purchase of it."""
        rows = data.user_index if data.user_index is not None else data.basket_index
        day = data.timestamps.astype(np.int64) / DAY_NS
        keep = np.ones(len(day), bool)
        if self.window_days is not None:
            keep = data.timestamps >= days_before(data.timestamps.max(), self.window_days)
        weight = (np.ones(len(day)) if self.half_life_days is None
                  else np.exp2(-(day.max() - day) / self.half_life_days))
        key = rows[keep].astype(np.int64) * data.n_items + data.item_index[keep]
        pairs, latest = largest_per_key(key, weight[keep])  # the latest is the largest weight
        return np.bincount(pairs % data.n_items, weights=latest, minlength=data.n_items)

    def _scores(self, query: Query) -> np.ndarray:
        return np.tile(self.scores_, (len(query), 1))

    def _explain(self, item: int, user: int | None, history: sp.csr_matrix | None):
        label = "buyers" if self.window_days is None else f"buyers in the last {self.window_days:g} days"
        if self.half_life_days is not None:
            label += f", halved every {self.half_life_days:g} days of age"
        return float(self.scores_[item]), [(label, float(np.floor(self.scores_[item])))], "popularity"

    def _state(self):
        return {"scores": self.scores_}, {}

    def _load_state(self, arrays, meta) -> None:
        self.scores_ = checks.vector(arrays["scores"], "model/scores", len(self.items_))


def _ranked(counts: np.ndarray, all_time: np.ndarray) -> np.ndarray:
    """The scores: ``counts``, all-time popularity breaking ties among equal counts."""
    return (counts + all_time / (all_time.max() + 1.0)).astype(np.float32)

"""The ``weighting`` and ``half_life_days`` parameters, for models that learn from summed
interaction weights (ALS, ItemKNN, EASE, RP3beta)."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from .. import _state_checks as checks
from .._params import check_choice, check_float
from .._topk import take_rows
from .._weighting import WEIGHTINGS, Weighting, decayed_matrix
from ..data import Interactions
from ..exceptions import PersistenceError


class WeightedInput:
    """Mixin of a :class:`~recsys.models.base.Recommender`: the model learns from
    ``weighting(decay(interactions))`` and weighs every history it scores the same way.

    A known customer is represented by their decayed training history (``history_``); a cart
    or a new customer's history has no dates and is weighted as it comes. Fitted state:
    ``history_`` (``seen_`` itself without a half-life) and ``weighting_``.
    """

    weighting: str | None
    half_life_days: float | None
    seen_: sp.csr_matrix
    items_: Any

    @classmethod
    def _test_variants(cls) -> list[dict[str, Any]]:
        """The conformance suite runs the contract unweighted and weighted with decay."""
        plain = cls._test_params  # type: ignore[attr-defined]
        return [plain, {**plain, "weighting": "bm25", "half_life_days": 60.0}]

    def _check_weighting(self) -> None:
        name = type(self).__name__
        check_choice(name, "weighting", self.weighting, (*WEIGHTINGS, None))
        check_float(name, "half_life_days", self.half_life_days, minimum=0, allow_none=True,
                    exclusive_min=True)

    def _weighted_training(self, data: Interactions) -> sp.csr_matrix:
        """Fit the weighting; the weighted customers x products matrix to learn from."""
        self.history_ = (self.seen_ if self.half_life_days is None
                         else decayed_matrix(data, self.half_life_days))
        self.weighting_ = Weighting.fit(self.weighting, self.history_)
        return self.weighting_.transform(self.history_)

    def _history(self, user_index: np.ndarray) -> sp.csr_matrix:
        return take_rows(self.history_, user_index)

    def _weighted(self, histories: sp.csr_matrix) -> sp.csr_matrix:
        """Histories (summed weights) as the model learnt from them."""
        return self.weighting_.transform(histories)

    def _weighting_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays, meta = self.weighting_.state()
        if self.history_ is not self.seen_:
            h = self.history_
            arrays.update({"history/data": h.data, "history/indices": h.indices,
                           "history/indptr": h.indptr})
        return arrays, meta

    def _load_weighting(self, arrays, meta) -> None:
        n_items = len(self.items_)
        norm = checks.vector(arrays["weighting/item_norm"], "model/weighting/item_norm", n_items)
        count = meta.get("weighting/n_items")
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= n_items:
            raise PersistenceError(f"model file: weighting/n_items must be a count of at most "
                                   f"{n_items} products, got {count!r} (a damaged or altered file).")
        if (norm <= 0).any():
            raise PersistenceError("model file: weighting/item_norm holds values <= 0 "
                                   "(a damaged or altered file).")
        self.weighting_ = Weighting(self.weighting, count, norm.astype(np.float64))
        self.history_ = (checks.csr_from(arrays, "history/", self.seen_.shape)
                         if "history/data" in arrays else self.seen_)

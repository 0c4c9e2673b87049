"""The ``weighting`` and ``half_life_days`` parameters, for models that learn from summed
interaction weights (ALS, ItemKNN, EASE, RP3beta)."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from recsys._engine import state_checks as checks
from recsys._engine.sparse import take_rows
from recsys.data.interactions import Interactions
from recsys.exceptions import PersistenceError
from recsys.models.weighting import Weighting, recency

MIN_RECENCY = 2.0 ** -20  # below this decay factor a purchase is dropped from the model


class WeightedInput:
    """Mixin of a :class:`~recsys.models.base.Recommender`: the model learns from
    ``weighting(decay(interactions))`` and weighs every history it scores the same way.

    Each customer x product cell is ``weighting(summed weights) * 2 ** (-age / half_life_days)``,
    the age of the customer's latest purchase of the product: with ``"binary"``, a product
    counts by how recently it was bought. A known customer is represented by their row of that
    training matrix (``history_``); a cart or a new customer's history has no dates and is
    weighted as it comes (:meth:`_model_rows`). Fitted state: ``history_`` (``seen_`` itself
    when neither is set) and ``weighting_``.
    """

    weighting: str | None
    half_life_days: float | None
    #: scores are linear in a history row, so a known customer's row may be rescaled
    _history_per_customer: bool = False
    seen_: sp.csr_matrix
    items_: Any

    def _weighted_training(self, data: Interactions) -> sp.csr_matrix:
        """Fit the weighting; the weighted, decayed customers x products matrix to learn
        from. ``history_`` holds the rows that score known customers: the same, or for
        scale-free scorers (``_history_per_customer``) decayed by age at each customer's own
        newest purchase, which ranks alike and never fades a long-absent customer away."""
        self.weighting_ = Weighting.fit(self.weighting, self.seen_)
        if self.weighting is None and self.half_life_days is None:
            self.history_ = self.seen_
            return self.seen_
        weighted = self.weighting_.transform(self.seen_)
        if self.half_life_days is None:
            self.history_ = weighted
            return weighted
        at_end, per_customer = recency(data, self.seen_, self.half_life_days)
        train = _decayed(weighted, at_end)
        self.history_ = _decayed(weighted, per_customer) if self._history_per_customer else train
        return train

    def _history(self, user_index: np.ndarray) -> sp.csr_matrix:
        return take_rows(self.history_, user_index)

    def _weighted(self, histories: sp.csr_matrix) -> sp.csr_matrix:
        """Histories without dates (carts, new customers) weighted as training rows were."""
        return self.weighting_.transform(histories)

    def _model_rows(self, query) -> sp.csr_matrix:
        """Any query's rows as the model learnt from them: a known customer's training row,
        any other history weighted."""
        rows = self._histories(query)  # type: ignore[attr-defined]
        return rows if query.users is not None else self._weighted(rows)

    def _weighting_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays, meta = self.weighting_.state()
        if self.history_ is not self.seen_:
            h = self.history_
            arrays.update({"history/data": h.data, "history/indices": h.indices,
                           "history/indptr": h.indptr})
        return arrays, meta

    def _load_weighting(self, arrays, meta) -> None:
        """The fitted weighting back from a state. Without its arrays (a state built
        elsewhere, e.g. ALS from Spark, or a file from before weighting existed) only kinds
        that learn nothing of the products load: the weights as they are, log, binary."""
        n_items = len(self.items_)
        if "weighting/item_norm" not in arrays and self.weighting in (None, "log", "binary"):
            self.weighting_ = Weighting(self.weighting, int((self.item_counts_ > 0).sum()),
                                        np.ones(n_items))
        else:
            self.weighting_ = _checked_weighting(self.weighting, arrays, meta, n_items)
        if self.weighting is None and self.half_life_days is None:
            self.history_ = self.seen_  # nothing to weigh: a stored history would be ignored
        elif "history/data" not in arrays:
            raise PersistenceError(
                f"model file: a {type(self).__name__} with weighting={self.weighting!r}, "
                f"half_life_days={self.half_life_days!r} needs its weighted history "
                f"('model/history/...'), which is missing (a damaged or altered file).")
        else:
            self.history_ = checks.csr_from(arrays, "history/", self.seen_.shape)


def _checked_weighting(kind: str | None, arrays, meta, n_items: int) -> Weighting:
    norm = checks.vector(arrays["weighting/item_norm"], "model/weighting/item_norm", n_items)
    count = meta.get("weighting/n_items")
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= n_items:
        raise PersistenceError(f"model file: weighting/n_items must be a count of at most "
                               f"{n_items} products, got {count!r} (a damaged or altered file).")
    if (norm <= 0).any():
        raise PersistenceError("model file: weighting/item_norm holds values <= 0 "
                               "(a damaged or altered file).")
    return Weighting(kind, count, norm.astype(np.float64))


def _decayed(weighted: sp.csr_matrix, factor: np.ndarray) -> sp.csr_matrix:
    """``weighted`` times ``factor`` per cell; a purchase below :data:`MIN_RECENCY` counts
    nothing and is dropped (never an underflowing float32 that norms and similarities would
    divide by)."""
    out = weighted.copy()
    out.data *= np.where(factor >= MIN_RECENCY, factor, 0.0).astype(np.float32)
    out.eliminate_zeros()
    return out

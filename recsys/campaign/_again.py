"""Replenishment picks in a campaign: up to ``k_again`` products a customer bought before,
from a repeat model (BuyAgain), ahead of the discovery model's picks."""

from __future__ import annotations

import numpy as np

from recsys._engine.arrays import cell_keys, in_sorted
from recsys._engine.sparse import sorted_csr, take_rows
from recsys.exceptions import InvalidParameterError
from recsys.models.base import Recommender, check_fitted
from recsys.ranking import Filter, Query


class Again:
    """A fitted repeat model and the slots it fills, with its items mapped onto the main
    model's (a product only one of them knows is never an again pick)."""

    def __init__(self, model: Recommender, slots: int, main: Recommender) -> None:
        if not isinstance(model, Recommender):
            raise InvalidParameterError(
                f"make_picks: again must be a fitted Recommender (e.g. BuyAgain().fit(data)), "
                f"got {type(model).__name__}.")
        check_fitted(model)
        self.model, self.slots = model, slots
        self.to_main = main.items_.to_index(model.items_.ids, missing="mask").astype(np.int64)
        self.from_main = model.items_.to_index(main.items_.ids, missing="mask").astype(np.int64)
        self.source = type(model).__name__

    def candidates(self, customers: np.ndarray, allowed: np.ndarray, as_of, width: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(n, width) main-model item indices (-1 for none) and scores of the customers'
        own past products the repeat model ranks first; and its user index per customer."""
        users = self.model.users_.to_index(customers, missing="mask")
        items = np.full((len(customers), width), -1, np.int64)
        scores = np.full((len(customers), width), np.nan, np.float32)
        known = np.flatnonzero(users >= 0)
        if not len(known):
            return items, scores, users
        mapped = self.to_main >= 0
        own_allowed = np.zeros(len(self.to_main), bool)
        own_allowed[mapped] = allowed[self.to_main[mapped]]
        answer = self.model.rank(Query.of_users(users[known], as_of), width, Filter(own_allowed))
        local = answer.index
        bought = take_rows(self.model.seen_, users[known])
        keys = np.arange(len(known), dtype=np.int64)[:, None] * len(self.to_main) \
            + np.maximum(local, 0)
        own = (local >= 0) & in_sorted(cell_keys(sorted_csr(bought)), keys.ravel()).reshape(
            local.shape)
        items[known] = np.where(own, self.to_main[np.maximum(local, 0)], -1)
        scores[known] = np.where(own, answer.scores, np.nan)
        return items, scores, users

    def reasons(self, users: np.ndarray, wanted: np.ndarray, as_of):
        """Reason codes and anchors of the again picks (``wanted``: main-model indices)."""
        local = np.where(wanted >= 0, self.from_main[np.maximum(wanted, 0)], -1)
        return self.model.anchors(Query.of_users(users, as_of), local, None)

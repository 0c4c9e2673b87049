"""New arrivals in a campaign: up to ``k_new`` of each customer's k are products without sales
yet (or first sold lately), ranked for the customer by a model that can score them (content:
what they resemble in the customer's history), placed after the main model's picks."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from recsys.data.ids import clean_ids
from recsys.exceptions import DataError, InvalidParameterError
from recsys.models.base import Recommender, check_fitted
from recsys.ranking import Filter, Query


class NewArrivals:
    """A fitted model that ranks new products, the slots they get, and which products of the
    main model's catalogue are new (mapped onto the main model's items)."""

    def __init__(self, model: Recommender, slots: int, main: Recommender,
                 products: Iterable | None) -> None:
        if not isinstance(model, Recommender):
            raise InvalidParameterError(
                f"make_picks: new must be a fitted Recommender that can score products without "
                f"sales (e.g. ContentBased().fit(data, items=features)), got "
                f"{type(model).__name__}.")
        check_fitted(model)
        self.model, self.slots = model, slots
        new = np.zeros(len(main.items_), bool)
        if products is None:  # the main model's catalogue products nobody has bought
            new[main.item_counts_ == 0] = True
        else:
            index = main.items_.to_index(clean_ids(products, "new_products"), missing="mask")
            new[index[index >= 0]] = True
        self.to_main = main.items_.to_index(model.items_.ids, missing="mask").astype(np.int64)
        self.new = new
        if not new.any():
            raise DataError(
                "make_picks: no product of the model's catalogue is new (every one has sales). "
                "Fit the model with the whole catalogue (items= / --products) to include the "
                "products not sold yet, or name them with new_products=.")

    def candidates(self, customers: np.ndarray, allowed: np.ndarray, as_of, width: int
                   ) -> tuple[np.ndarray, np.ndarray]:
        """(n, width) main-model item indices (-1 for none) and scores: the new products the
        ranking model puts first for each customer it knows."""
        users = self.model.users_.to_index(customers, missing="mask")
        items = np.full((len(customers), width), -1, np.int64)
        scores = np.full((len(customers), width), np.nan, np.float32)
        known = np.flatnonzero(users >= 0)
        mapped = self.to_main >= 0
        own_allowed = np.zeros(len(self.to_main), bool)
        own_allowed[mapped] = allowed[self.to_main[mapped]] & self.new[self.to_main[mapped]]
        if not len(known) or not own_allowed.any():
            return items, scores
        answer = self.model.rank(Query.of_users(users[known], as_of), width,
                                 Filter(own_allowed))
        local = answer.index
        items[known] = np.where(local >= 0, self.to_main[np.maximum(local, 0)], -1)
        scores[known] = np.where(local >= 0, answer.scores, np.nan)
        return items, scores

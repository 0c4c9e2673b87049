"""Does a model beat popularity on this shop? A held-out check the default Hybrid runs at fit.

Collaborative filtering can lose to plain popularity: on a small dense catalogue where
everyone buys the same staples, ALS ranks unseen products worse than chance. The default
Hybrid asks, at fit, whether ALS beats Popularity on the newest tenth of the training data
(a random tenth without timestamps) and leaves ALS out of the customers' and carts' chains
when it does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._params import clone
from ..data import Interactions
from ..exceptions import RecsysError
from ..split import returning_customers, validation_split

#: share of the training rows held out (newest by time, else random)
HOLDOUT = 0.1
#: the check scores at most this many held-out customers (bounded cost on big shops)
MAX_CUSTOMERS = 5000
#: fewer held-out customers than this say too little: the model is kept
MIN_CUSTOMERS = 20
K = 10


@dataclass(frozen=True)
class CheckResult:
    """ndcg@10 of each checked model and of popularity on the held-out rows, and the number
    of held-out customers scored (0 when the data were too thin to judge)."""

    scores: dict[str, float]
    popularity: float
    customers: int

    def losers(self) -> list[str]:
        """The checked models scoring below popularity (none when the check could not judge)."""
        if self.customers < MIN_CUSTOMERS:
            return []
        return [name for name, score in self.scores.items() if score < self.popularity]


def versus_popularity(templates: dict, data: Interactions, items=None,
                      random_state: int = 0) -> CheckResult:
    """Fit clones of ``templates`` ({name: model}) and Popularity on all but the held-out
    rows of ``data`` and score each (ndcg@10, purchased products excluded) on up to
    ``MAX_CUSTOMERS`` held-out customers."""
    from ..metrics import ndcg_at_k
    from .base import fit_model
    from .popular import Popularity

    try:
        inner, held = validation_split(data, HOLDOUT, random_state=random_state,
                                       min_customers=MIN_CUSTOMERS)
        customers = returning_customers(inner, held)
    except RecsysError:  # too little data to hold any out: keep every model
        return CheckResult({}, 0.0, 0)
    if len(customers) < MIN_CUSTOMERS:
        return CheckResult({}, 0.0, len(customers))
    if len(customers) > MAX_CUSTOMERS:
        rng = np.random.default_rng(random_state)
        customers = np.sort(rng.choice(customers, MAX_CUSTOMERS, replace=False))
    truth = held.select(np.isin(held.user_index, customers)).to_frame()[["user_id", "item_id"]]
    ids = data.users.ids[customers]
    scores = {}
    for name, template in {**templates, "": Popularity()}.items():
        try:
            model = fit_model(clone(template), inner, items)
        except RecsysError:  # the inner slice can be too thin for a model: keep it
            scores[name] = float("inf")
            continue
        picks = model.recommend(ids, k=K, on_unknown="fallback").to_frame()
        scores[name] = float(ndcg_at_k(picks, truth, K))
    popularity = scores.pop("")
    return CheckResult(scores, popularity, len(customers))

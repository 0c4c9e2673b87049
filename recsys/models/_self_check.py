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
        inner, held, customers = _holdout(data, random_state)
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


def _holdout(data: Interactions, random_state: int):
    """(inner train, held out, held-out customers known to the inner train): the newest
    ``HOLDOUT`` of the rows, or each customer's newest row when that leaves too few known
    customers (a log whose customers come and go in bursts); a random share without times."""
    from ..split import leave_last_out

    if data.timestamps is None:
        is_held = np.random.default_rng(random_state).random(len(data)) < HOLDOUT
        return _with_customers(data.select(~is_held), data.select(is_held))
    times = data.timestamps.astype(np.int64)
    is_held = times >= np.quantile(times, 1.0 - HOLDOUT, method="higher")
    inner, held, customers = _with_customers(data.select(~is_held), data.select(is_held))
    if len(customers) >= MIN_CUSTOMERS:
        return inner, held, customers
    return _with_customers(*leave_last_out(data, n=1))


def _with_customers(inner: Interactions, held: Interactions):
    known = np.bincount(inner.user_index, minlength=inner.n_users) > 0
    return inner, held, np.unique(held.user_index[known[held.user_index]])

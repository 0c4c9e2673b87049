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

from recsys.data.interactions import Interactions
from recsys.evaluation.holdout import Validation, trial
from recsys.evaluation.split import held_out_truth, validation_split
from recsys.exceptions import RecsysError
from recsys.models.popular import Popularity

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
    ``MAX_CUSTOMERS`` held-out customers, as :func:`recsys.tune` scores a trial."""
    try:
        inner, held = validation_split(data, HOLDOUT, random_state=random_state,
                                       min_customers=MIN_CUSTOMERS)
    except RecsysError:  # too little data to hold any out: keep every model
        return CheckResult({}, 0.0, 0)
    ids, truth = held_out_truth(inner, held, MAX_CUSTOMERS, random_state)
    if len(ids) < MIN_CUSTOMERS:
        return CheckResult({}, 0.0, len(ids))
    check = Validation(inner, ids, truth, "ndcg", K, items, exclude_seen=True)
    scores = {}
    for name, template in {**templates, "": Popularity()}.items():
        score, _, _ = trial(template, {}, check)
        # a model the inner slice is too thin for (NaN) is kept: it cannot be judged
        scores[name] = float("inf") if np.isnan(score) else score
    popularity = scores.pop("")
    return CheckResult(scores, popularity, len(ids))

"""Scoring a model on held-out customers: the validation the tuner scores every trial on
and the default Hybrid checks itself with (fit on the inner split, score the held-out
customers' next purchases)."""

from __future__ import annotations

import math
import re
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recsys._engine.params import clone
from recsys.data.interactions import Interactions
from recsys.evaluation import metrics
from recsys.evaluation.metrics import RANKING_METRICS
from recsys.exceptions import DataWarning, InvalidParameterError, RecsysError
from recsys.ranking import fit_model

__all__ = ["Validation", "trial", "parse_metric", "MAX_CUSTOMERS"]

#: the held-out customers a trial is scored on, at most (bounded cost on big shops)
MAX_CUSTOMERS = 5000


@dataclass
class Validation:
    """The inner train, the truth of the held-out customers, and how to score a model.

    What the tuner and the default Hybrid's self-check score trials on.

    Parameters
    ----------
    inner : Interactions
        The data a trial fits on.
    customers : numpy.ndarray
        The held-out customers' ids (external), each scored once.
    truth : pandas.DataFrame
        Their relevant products: ``user_id``, ``item_id``.
    metric : str
        A ranking metric's name (``"ndcg"``, ``"recall"``...: :data:`RANKING_METRICS`).
    k : int
        The list length it is measured at.
    items : ItemFeatures or None
        Product features for the models that use them.
    exclude_seen : bool
        Leave each customer's inner-train products out of their list.

    Examples
    --------
    >>> import recsys
    >>> from recsys.evaluation.split import temporal_split
    >>> shop = recsys.make_shop(n_customers=300, n_products=50, seed=1)
    >>> inner, held = temporal_split(shop.interactions, last_days=30)
    >>> truth = held.to_frame()[["user_id", "item_id"]]
    >>> check = Validation(inner, truth["user_id"].unique(), truth, "ndcg", 10, None,
    ...                    exclude_seen=True)
    >>> 0 < check.score(recsys.Popularity().fit(inner)) < 1
    True
    """

    inner: Interactions
    customers: np.ndarray  # external ids
    truth: Any  # (user_id, item_id) frame
    metric: str
    k: int
    items: Any
    exclude_seen: bool

    def score(self, model) -> float:
        return float(self.values(model).mean())

    def values(self, model) -> pd.Series:
        """The metric per held-out customer (with a relevant product), indexed by customer."""
        picks = model.recommend(self.customers, k=self.k, on_unknown="fallback",
                                exclude_seen=self.exclude_seen).to_frame()
        return getattr(metrics, f"{self.metric}_at_k")(picks, self.truth, self.k, per_user=True)


def parse_metric(metric: str) -> tuple[str, int]:
    """A metric spelled ``"name@k"`` as its name and ``k``.

    Parameters
    ----------
    metric : str
        One of :data:`RANKING_METRICS` followed by ``@`` and a positive integer.

    Returns
    -------
    tuple of (str, int)
        The name and ``k``.

    Raises
    ------
    InvalidParameterError
        When the name is not a ranking metric or ``k`` is not a positive integer.

    Examples
    --------
    >>> parse_metric("ndcg@10")
    ('ndcg', 10)
    """
    name, _, k = str(metric).partition("@")
    if name not in RANKING_METRICS or not re.fullmatch("[0-9]{1,6}", k) or int(k) < 1:
        raise InvalidParameterError(
            f"tune: metric must be one of {', '.join(f'{m}@k' for m in RANKING_METRICS)} "
            f"(e.g. 'ndcg@10'), got {metric!r}.")
    return name, int(k)


def trial(template, params: dict[str, Any], validation: Validation) -> tuple[float, float, str]:
    """(score, fit seconds, error) of ``template`` with ``params`` on the validation split.

    The template is cloned, so it is never changed. A point the model refuses or cannot fit
    (a :class:`~recsys.exceptions.RecsysError`) scores NaN with the error's first line.

    Parameters
    ----------
    template : Recommender
        The model whose parameters are tried.
    params : dict
        The parameters of this trial.
    validation : Validation
        Where it is fitted and scored.

    Returns
    -------
    tuple of (float, float, str)
        The score, the seconds the fit took, and "" or the error.

    Examples
    --------
    >>> import recsys
    >>> from recsys.evaluation.split import temporal_split
    >>> shop = recsys.make_shop(n_customers=300, n_products=50, seed=1)
    >>> inner, held = temporal_split(shop.interactions, last_days=30)
    >>> truth = held.to_frame()[["user_id", "item_id"]]
    >>> check = Validation(inner, truth["user_id"].unique(), truth, "ndcg", 10, None,
    ...                    exclude_seen=True)
    >>> score, seconds, error = trial(recsys.ItemKNN(), {"k": 20}, check)
    >>> 0 < score < 1, error
    (True, '')
    >>> trial(recsys.ItemKNN(), {"k": -1}, check)[2]
    'ItemKNN: k must be ...'
    """
    model = clone(template)
    start = time.perf_counter()
    try:
        model.set_params(**params)
        with warnings.catch_warnings():  # a trial's collapse is its score's to show
            warnings.simplefilter("ignore", DataWarning)
            fit_model(model, validation.inner, validation.items)
        seconds = time.perf_counter() - start
        return validation.score(model), seconds, ""
    except RecsysError as exc:  # a point the model refuses (or cannot fit): recorded, skipped
        return math.nan, time.perf_counter() - start, str(exc).splitlines()[0]

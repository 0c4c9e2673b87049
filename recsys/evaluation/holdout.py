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
    """The inner train, the truth of the held-out customers, and how to score a model."""

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
    """``"ndcg@10"`` -> ("ndcg", 10)."""
    name, _, k = str(metric).partition("@")
    if name not in RANKING_METRICS or not re.fullmatch("[0-9]{1,6}", k) or int(k) < 1:
        raise InvalidParameterError(
            f"tune: metric must be one of {', '.join(f'{m}@k' for m in RANKING_METRICS)} "
            f"(e.g. 'ndcg@10'), got {metric!r}.")
    return name, int(k)


def trial(template, params: dict[str, Any], validation: Validation) -> tuple[float, float, str]:
    """(score, fit seconds, error) of ``template`` with ``params`` on the validation split."""
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

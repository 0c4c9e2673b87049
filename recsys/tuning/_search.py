"""The trials: fit on the inner split, score on the held-out customers; a seeded random search,
or Optuna's seeded TPE when it is installed."""

from __future__ import annotations

import logging
import math
import re
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._params import clone
from ..data import Interactions
from ..exceptions import DataWarning, InvalidParameterError, RecsysError
from ._space import Distribution

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
        from .. import metrics

        picks = model.recommend(self.customers, k=self.k, on_unknown="fallback",
                                exclude_seen=self.exclude_seen).to_frame()
        return getattr(metrics, f"{self.metric}_at_k")(picks, self.truth, self.k, per_user=True)


def parse_metric(metric: str) -> tuple[str, int]:
    """``"ndcg@10"`` -> ("ndcg", 10)."""
    from ..metrics import RANKING_METRICS

    name, _, k = str(metric).partition("@")
    if name not in RANKING_METRICS or not re.fullmatch("[0-9]{1,6}", k) or int(k) < 1:
        raise InvalidParameterError(
            f"tune: metric must be one of {', '.join(f'{m}@k' for m in RANKING_METRICS)} "
            f"(e.g. 'ndcg@10'), got {metric!r}.")
    return name, int(k)


def trial(template, params: dict[str, Any], validation: Validation) -> tuple[float, float, str]:
    """(score, fit seconds, error) of ``template`` with ``params`` on the validation split."""
    from ..models.base import fit_model

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


def random_points(space: dict[str, Distribution], budget: int, seed: int):
    """``budget`` points of ``space`` from a generator seeded by ``seed``; the first is the
    model as given (no parameter changed)."""
    rng = np.random.default_rng(seed)
    yield {}
    for _ in range(budget - 1):
        yield {name: dist.sample(rng) for name, dist in space.items()}


@contextmanager
def quiet_optuna():
    """Optuna logs every trial at INFO: quieter while the search runs, restored after."""
    logger = logging.getLogger("optuna")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def optuna_search(template, space: dict[str, Distribution], validation: Validation,
                  budget: int, seed: int, deadline: float, record) -> None:
    """Optuna's TPE sampler (seeded) through ask/tell; the first trial is the model as given."""
    import optuna

    with quiet_optuna():
        study = optuna.create_study(direction="maximize",
                                    sampler=optuna.samplers.TPESampler(seed=seed))
        for number in range(budget):
            if number and time.perf_counter() > deadline:
                break
            asked = study.ask()
            # the first trial is the model as given, as in the random search
            params = {name: dist.suggest(asked, name) for name, dist in space.items()} \
                if number else {}
            score, seconds, error = trial(template, params, validation)
            if math.isnan(score):
                study.tell(asked, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(asked, score)
            record(params, score, seconds, error)

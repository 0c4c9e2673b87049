"""The search: a seeded random search, or Optuna's seeded TPE when it is installed; each
trial is scored by :mod:`recsys.evaluation.holdout`."""

from __future__ import annotations

import logging
import math
import time
from contextlib import contextmanager

import numpy as np

from recsys.evaluation.holdout import Validation, trial
from recsys.tuning._space import Distribution


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
    # Optuna is optional (the tune extra)
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

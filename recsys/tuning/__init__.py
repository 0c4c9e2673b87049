"""Choose by measurement: search each model's parameters on a validation split carved out of
the training data, refit the best on all of it.

Examples
--------
>>> import recsys
>>> from recsys.tuning import Uniform, tune
>>> shop = recsys.make_shop(n_customers=400, n_products=60, seed=2)
>>> found = tune(recsys.EASE(), shop.interactions, budget=4, random_state=0)
>>> found.results.columns.tolist()[:4]
['model', 'params', 'score', 'fit_seconds']
>>> found.model.is_fitted
True
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recsys._engine.libraries import progress_bar
from recsys._engine.params import check_float, check_int, clone
from recsys.data.idmap import IdMap
from recsys.data.interactions import Interactions
from recsys.evaluation.holdout import MAX_CUSTOMERS, Validation, parse_metric, trial
from recsys.evaluation.split import held_out_truth, validation_split
from recsys.exceptions import DataError, InvalidParameterError
from recsys.models.base import Recommender, fit_model
from recsys.models.params import Choice, Distribution, Integer, Uniform
from recsys.models.popular import Popularity
from recsys.tuning._guard import choose
from recsys.tuning._search import optuna_search, random_points
from recsys.tuning._space import check_space

__all__ = ["Choice", "Integer", "TuneResult", "Uniform", "default_space", "tune"]



def default_space(model) -> dict[str, Distribution]:
    """What the tuner searches for ``model`` when given no space: the spaces its class
    declares (:meth:`~recsys.models.base.Recommender.search_space`; {} for a model without
    one, which is then fitted once, as it is).

    Parameters
    ----------
    model : Recommender

    Returns
    -------
    dict of str -> Distribution

    Examples
    --------
    >>> from recsys import Popularity
    >>> sorted(default_space(Popularity()))
    ['half_life_days', 'window_days']
    """
    return dict(model.search_space())


@dataclass(frozen=True)
class TuneResult:
    """The best model refitted on all of train, and every trial.

    Parameters
    ----------
    model : Recommender
        Fitted on the whole of ``train`` with ``best_params``.
    results : pandas.DataFrame
        One row per trial: ``model``, ``params`` (the changed ones), ``score`` (the validation
        metric; NaN where the model refused the point), ``fit_seconds``, ``error``,
        ``candidate`` (its position in ``model_or_space``); best first.
    best_params : dict
        The returned model's changed parameters (empty: the model as given).
    best_score : float
        Its validation score.
    metric : str
    note : str
        Why this model: the best trial beat the model as given beyond the noise of the
        validation customers and again on an earlier fold, or the model as given was kept;
        and it beat Popularity beyond the noise, or Popularity is returned.
    baselines : dict
        Validation scores of the model as given (the best of them) and of Popularity.

    Examples
    --------
    >>> import recsys
    >>> shop = recsys.make_shop(n_customers=300, n_products=50, seed=1)
    >>> found = tune(recsys.Popularity(), shop.interactions, budget=2, random_state=0)
    >>> isinstance(found, TuneResult), found.metric
    (True, 'ndcg@10')
    """

    model: Any
    results: pd.DataFrame
    best_params: dict
    best_score: float
    metric: str
    note: str = ""
    baselines: dict = field(default_factory=dict)


def tune(model_or_space, train: Interactions, *, items=None, validation=None,
         metric: str = "ndcg@10", budget: int = 20, time_limit: float | None = None,
         random_state: int = 0, engine: str = "auto", exclude_seen: bool | None = None,
         show_progress: bool = False) -> TuneResult:
    """Search parameters on a validation split of ``train``; refit the best on all of it.

    Parameters
    ----------
    model_or_space : model, (model, space), or a list of them
        A model (its class's declared search space, :meth:`Recommender.search_space`, around the
        parameters it was built with), a ``(model, {"param": distribution})`` pair (for a
        Hybrid: ``"als__factors"``, ``"weights"``...), or a list of these: every one is
        searched with the same budget and the best of all is returned.
    train : Interactions
        Everything the tuner reads. A test split kept apart is never seen.
    items : ItemFeatures, optional
        For models that use product features.
    validation : (Interactions, Interactions), optional
        ``(inner train, held out)`` to search on; default
        :func:`recsys.evaluation.split.validation_split` of ``train`` (the newest tenth of the rows,
        shaped like a temporal test; a random tenth without timestamps).
    metric : str, default "ndcg@10"
        A ranking metric at k: precision, recall, ndcg, map, mrr, hit_rate.
    budget : int, default 20
        Trials per model, the first being the model as given.
    time_limit : float, optional
        Seconds per model after which no new trial starts.
    random_state : int, default 0
        Seeds the search and the sample of validation customers: the same call gives the same
        results.
    engine : {"auto", "optuna", "random"}, default "auto"
        Optuna's TPE sampler (seeded) when installed (the ``tune`` extra), else a seeded
        random search; the same API either way.
    exclude_seen : bool, optional
        Score with bought products excluded (default: the model's own default).
    show_progress : bool, default False

    Returns
    -------
    TuneResult
        ``model`` (the choice, refitted on all of ``train``), ``params``, ``results`` (every
        trial), ``note`` (why this choice) and ``baselines``.

    Raises
    ------
    InvalidParameterError
        A bad budget, metric, engine or search space.

    Examples
    --------
    >>> import recsys
    >>> shop = recsys.make_shop(n_customers=300, n_products=50, seed=1)
    >>> found = tune(recsys.ItemKNN(), shop.interactions, budget=3, random_state=0)
    >>> found.model.is_fitted
    True
    """
    budget = check_int("tune", "budget", budget, minimum=1)
    check_float("tune", "time_limit (seconds)", time_limit, minimum=0, exclusive_min=True,
                allow_none=True)
    random_state = check_int("tune", "random_state (--random-state)", random_state, 0, 2**32 - 1)
    if not isinstance(train, Interactions) or train.user_index is None:
        raise DataError("tune: train must be recsys.Interactions with customers (from "
                        "Interactions.from_frame(..., user=...)).")
    if engine not in ("auto", "optuna", "random"):
        raise InvalidParameterError(f"tune: engine must be 'auto', 'optuna' or 'random', got "
                                    f"{engine!r}.")
    name, k = parse_metric(metric)
    candidates = _supported(_candidates(model_or_space), train)
    inner, held = _validation(validation) if validation is not None else _split(train,
                                                                                  random_state)
    if engine == "optuna" and not _has_optuna():
        raise InvalidParameterError('tune: engine="optuna" needs optuna: python -m pip install '
                                    '-e ".[tune]" (or engine="random").')
    rows: list[dict] = []
    checks = []
    for which, (template, space) in enumerate(candidates):
        check = Validation(inner, *_customers(inner, held, random_state), name, k, items,
                           exclude_seen if exclude_seen is not None
                           else not template.recommends_seen)
        checks.append(check)
        found = _search(template, space, check, budget, time_limit, random_state, engine,
                        show_progress)
        rows += [{**row, "candidate": which} for row in found]
    results = pd.DataFrame(rows).sort_values("score", ascending=False, na_position="last",
                                             kind="stable").reset_index(drop=True)
    if results["score"].isna().all():
        raise DataError(f"tune: no trial could be scored; the first error: "
                        f"{results['error'].iloc[0]}")
    check = checks[int(results.iloc[0]["candidate"])]
    verdict = choose(results, candidates, check,
                     lambda: _earlier_fold(inner, check, random_state), items, random_state)
    return _result(verdict, results, candidates, train, items, metric)


def _result(verdict, results: pd.DataFrame, candidates, train: Interactions, items,
            metric: str) -> TuneResult:
    if verdict.row is None:  # no trial beat Popularity beyond the noise
        model = Popularity().fit(train)
        return TuneResult(model, results, {}, verdict.baselines["Popularity"], metric,
                          verdict.note, verdict.baselines)
    row = verdict.row
    return TuneResult(_refit(row, candidates, train, items), results, dict(row["params"]),
                      float(row["score"]), metric, verdict.note, verdict.baselines)


def _earlier_fold(inner: Interactions, check: Validation, random_state: int):
    """The validation one step earlier (the newest tenth of the inner train), or None when it
    holds too few customers to say anything."""

    try:
        before, held = validation_split(inner, 0.1, random_state=random_state)
        return Validation(before, *_customers(before, held, random_state), check.metric,
                          check.k, check.items, check.exclude_seen)
    except DataError:
        return None


def _candidates(model_or_space) -> list[tuple[Any, dict]]:
    """[(model template, space)] from a model, a (model, space) pair, or a list of them."""

    entries = model_or_space if isinstance(model_or_space, list) else [model_or_space]
    if not entries:
        raise InvalidParameterError("tune: the list of models is empty; pass at least one, "
                                    "e.g. [recsys.EASE(), recsys.ItemKNN()].")
    out = []
    for entry in entries:
        model, space = entry if isinstance(entry, tuple) and len(entry) == 2 else (entry, None)
        if not isinstance(model, Recommender):
            raise InvalidParameterError(
                f"tune: expected a model such as recsys.EASE() or (model, space), got "
                f"{entry!r}.")
        name = type(model).__name__
        out.append((model, check_space(default_space(model) if space is None else space,
                                       name, model.get_params(deep=True))))
    return out


#: parameters that read the purchases' times: not searched on data without timestamps
TIME_PARAMETERS = ("half_life_days", "window_days")


def _supported(candidates: list[tuple[Any, dict]], train: Interactions
               ) -> list[tuple[Any, dict]]:
    """The candidates' spaces without the parameters ``train`` cannot support: time decays on
    data without timestamps would spend trials on points that cannot run."""
    if train.timestamps is not None:
        return candidates
    return [(model, {name: dist for name, dist in space.items()
                     if name.rsplit("__", 1)[-1] not in TIME_PARAMETERS})
            for model, space in candidates]


def _validation(validation) -> tuple[Interactions, Interactions]:
    """``(inner train, held out)``: two Interactions, on the same id maps (two built apart are
    put on the union of their ids, so a customer is the same customer in both)."""
    if not (isinstance(validation, tuple) and len(validation) == 2 and all(
            isinstance(part, Interactions) and part.user_index is not None
            for part in validation)):
        raise InvalidParameterError(
            "tune: validation must be a pair (inner train, held out) of recsys.Interactions "
            "with customers, e.g. recsys.evaluation.split.temporal_split(train, last_days=30); got "
            f"{type(validation).__name__}"
            f"{' of ' + str(len(validation)) if isinstance(validation, tuple) else ''}.")
    inner, held = validation
    if inner.users == held.users and inner.items == held.items:
        return inner, held
    users = IdMap(np.concatenate([inner.users.ids, held.users.ids]), name=inner.users.name)
    items = IdMap(np.concatenate([inner.items.ids, held.items.ids]), name=inner.items.name)
    return _on_maps(inner, users, items), _on_maps(held, users, items)


def _on_maps(data: Interactions, users, items) -> Interactions:
    frame = data.to_frame()
    return Interactions.from_frame(
        frame, user="user_id", item="item_id", weight="weight",
        timestamp="timestamp" if data.timestamps is not None else None,
        basket="basket_id" if data.basket_index is not None else None, users=users,
        items=items)


def _split(train: Interactions, random_state: int):

    return validation_split(train, 0.1, random_state=random_state)


def _customers(inner: Interactions, held: Interactions, random_state: int):
    """(ids of at most MAX_CUSTOMERS held-out customers with a history, their truth)."""

    ids, truth = held_out_truth(inner, held, MAX_CUSTOMERS, random_state)
    if len(ids) == 0:
        raise DataError("tune: no held-out customer has a history before the validation "
                        "period; pass validation=(inner, held) or more data.")
    return ids, truth


def _search(template, space, check: Validation, budget: int, time_limit: float | None,
            seed: int, engine: str, show_progress: bool) -> list[dict]:
    """Every trial of one model, as rows."""
    rows: list[dict] = []
    label = type(template).__name__
    bar = _bar(budget, label, show_progress)

    def record(params, score, seconds, error):
        rows.append({"model": label, "params": params, "score": score,
                     "fit_seconds": seconds, "error": error})
        bar.update(1)

    deadline = time.perf_counter() + (time_limit if time_limit is not None else float("inf"))
    use_optuna = engine == "optuna" or (engine == "auto" and space and _has_optuna())
    if use_optuna and space:
        optuna_search(template, space, check, budget, seed, deadline, record)
    else:
        for number, params in enumerate(random_points(space, budget if space else 1, seed)):
            if number and time.perf_counter() > deadline:
                break
            record(params, *trial(template, params, check))
    bar.close()
    return rows


def _has_optuna() -> bool:
    try:
        import optuna  # noqa: F401
    except ImportError:
        return False
    return True


def _refit(best, candidates, train: Interactions, items):

    model = clone(candidates[int(best["candidate"])][0])
    model.set_params(**best["params"])
    return fit_model(model, train, items)


def _bar(total: int, label: str, show: bool):
    """A progress bar (tqdm when shown and installed), else a counter that prints nothing."""
    bar = progress_bar(total=total, desc=f"tune {label}", unit="trial") if show else None
    if bar is not None:
        return bar

    class _Silent:
        def update(self, n: int) -> None:
            pass

        def close(self) -> None:
            pass

    return _Silent()

"""Evaluate and compare models on a train/test split, with bootstrap confidence intervals."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import stdtr

from recsys._engine.arrays import unique
from recsys._engine.params import check_float, check_int
from recsys.data.features import ItemFeatures
from recsys.data.ids import customer_preview, preview
from recsys.data.interactions import Interactions
from recsys.evaluation.metrics import (
    RANKING_METRICS,
    _values,
    catalog_coverage,
    judge,
    novelty,
    popularity_bias,
)
from recsys.exceptions import DataError, DataWarning, InvalidParameterError
from recsys.ranking import Model, Recommendations, fit_model

__all__ = ["evaluate", "compare"]

BEYOND = ("coverage", "novelty", "popularity_bias")
DEFAULT_METRICS = ("precision", "recall", "ndcg", "map", "mrr", "hit_rate", "coverage")


def _named(models: Any) -> dict[str, Model]:
    if isinstance(models, Model):
        return {type(models).__name__: models}
    if isinstance(models, Mapping):
        named = dict(models)
    elif isinstance(models, Sequence) and not isinstance(models, str):
        named = {}
        for model in models:
            name = type(model).__name__
            named[name if name not in named else f"{name}_{len(named)}"] = model
    else:
        raise InvalidParameterError(
            f"models must be a model, a list of models or a dict name -> model; got "
            f"{type(models).__name__}."
        )
    bad = [n for n, m in named.items() if not isinstance(m, Model)]
    if bad:
        raise InvalidParameterError(f"not recsys models: {', '.join(map(str, bad))}.")
    if not named:
        raise InvalidParameterError("evaluate needs at least one model.")
    return named


def _shown(ids, what: str) -> str:
    """Example ids for a message: product ids as they are, customer ids hidden unless asked."""
    return customer_preview(ids) if what == "user" else preview(ids)


def _same_id_types(train: Interactions, test: Interactions) -> None:
    """Int ids never equal str ids: a test built with the other type would score 0 without
    a word, so it is refused."""
    for what, mine, theirs in (("user", train.users, test.users), ("item", train.items, test.items)):
        if mine is not None and theirs is not None and mine.kind != theirs.kind:
            raise DataError(
                f"evaluate: train has {mine.kind} {what} ids and test {theirs.kind} ones (e.g. "
                f"{_shown(mine.ids[:2], what)} and {_shown(theirs.ids[:2], what)}); none could "
                f"match, so "
                f"every metric would read 0. Build both with the same id type (split one "
                f"Interactions with recsys.evaluation.split, or convert one column with .astype).")


def _prepare(models, train, test, items, test_users):
    if not isinstance(train, Interactions) or not isinstance(test, Interactions):
        raise DataError("evaluate: train and test must be recsys.Interactions (use recsys.evaluation.split).")
    if test.user_index is None or len(test) == 0:
        raise DataError("evaluate: the test interactions are empty or have no users.")
    if items is not None and not isinstance(items, ItemFeatures):
        raise DataError("evaluate: items must be ItemFeatures.")
    _same_id_types(train, test)
    named = _named(models)
    for model in named.values():
        if not model.is_fitted:
            fit_model(model, train, items)
    if test_users == "known":
        known = np.zeros(test.n_users, bool)
        if train.user_index is not None and train.users == test.users:
            known[train.user_index] = True
        else:
            first = next(iter(named.values()))
            known = first.users_.to_index(test.users.ids, missing="mask") >= 0
        test = test.select(known[test.user_index])
        if len(test) == 0:
            raise DataError("evaluate: no test user appears in train; use test_users='all'.")
    elif test_users != "all":
        raise InvalidParameterError("evaluate: test_users must be 'known' or 'all'.")
    _warn_if_few(test)
    return named, test


#: below this many test customers, metrics are noise and evaluate says so
FEW_TEST_CUSTOMERS = 30


def _warn_if_few(test: Interactions) -> None:
    n = len(unique(test.user_index))
    if n < FEW_TEST_CUSTOMERS:
        warnings.warn(
            f"evaluate: only {n} test customer(s) are scored; with so few, the metrics and "
            f"their intervals say little and a model's rank among others is chance. Use a "
            f"longer test period (--test-days), or a split over more customers.",
            DataWarning, stacklevel=4)


def _per_user(model, train, test, ks, metrics, exclude_seen, options):
    """{(metric, k): per-user values} and {(metric, k): value} for beyond-accuracy."""
    on_unknown = "fallback"
    users = test.users.ids[unique(test.user_index)]
    recs = model.recommend(users, k=max(ks), exclude_seen=exclude_seen, on_unknown=on_unknown)
    judged = judge(recs, test, graded=bool(options.get("graded")))
    per_user, overall = {}, {}
    for k in ks:
        for metric in metrics:
            if metric in RANKING_METRICS:
                per_user[(metric, k)] = _values(judged, metric, k, **options.get(metric, {}))
            else:
                top = _truncate(recs, k)
                if metric == "coverage":
                    overall[(metric, k)] = catalog_coverage(top, train)
                elif metric == "novelty":
                    overall[(metric, k)] = novelty(top, train)
                else:
                    overall[(metric, k)] = popularity_bias(top, train)
    return per_user, overall, judged.users


def _truncate(recs: Recommendations, k: int) -> Recommendations:
    return Recommendations(recs.queries, recs.item_index[:, :k], recs.scores[:, :k],
                           np.minimum(recs.lengths, k), recs.items, recs.source, k)


def _bootstrap(values: np.ndarray, n_bootstrap: int, confidence: float,
               rng: np.random.Generator) -> tuple[float, float]:
    if n_bootstrap == 0 or len(values) < 2:
        return float("nan"), float("nan")
    means = np.empty(n_bootstrap)
    block = max(1, 4_000_000 // len(values))
    for start in range(0, n_bootstrap, block):
        stop = min(n_bootstrap, start + block)
        idx = rng.integers(0, len(values), size=(stop - start, len(values)))
        means[start:stop] = values[idx].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def evaluate(
    models: Any,
    train: Interactions,
    test: Interactions,
    k: int | Sequence[int] = (5, 10, 20),
    metrics: Sequence[str] = DEFAULT_METRICS,
    *,
    items: ItemFeatures | None = None,
    exclude_seen: bool = True,
    test_users: str = "known",
    n_bootstrap: int = 200,
    confidence: float = 0.95,
    random_state: int | None = 0,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Fit (if needed) and score models on a split; a tidy frame with confidence intervals.

    Parameters
    ----------
    models : model, list of models, or dict name -> model
        Unfitted models are fitted on ``train`` (in place); fitted ones are used as they are.
    train, test : Interactions
        From :mod:`recsys.evaluation.split` (they share id maps).
    k : int or list of int
    metrics : list of str
        Ranking metrics (``precision``, ``recall``, ``ndcg``, ``map``, ``mrr``,
        ``hit_rate``; see :mod:`recsys.evaluation.metrics` for the formulas) and
        beyond-accuracy ones (``coverage``, ``novelty``, ``popularity_bias``).
    items : ItemFeatures, optional
        For models that use item features.
    exclude_seen : bool
        Leave each user's training items out of their lists.
    test_users : {"known", "all"}
        ``"known"`` evaluates only test users that appear in train; with
        ``"all"``, users unknown to a model get its popularity fallback.
    n_bootstrap : int
        Resamples of users for the percentile confidence interval (0: none).
    confidence : float
    options : dict, optional
        Per-metric options (``{"map": {"denominator": "relevant"}}``).

    Returns
    -------
    pandas.DataFrame
        ``model, metric, k, value, ci_low, ci_high, n_users``.

    Examples
    --------
    >>> from recsys import Popularity, make_shop
    >>> from recsys.evaluation.split import temporal_split
    >>> shop = make_shop(n_customers=400, n_products=80, seed=0)
    >>> train, test = temporal_split(shop.interactions, last_days=60)
    >>> table = evaluate([Popularity()], train, test, k=10, metrics=["ndcg", "recall"])
    >>> table[["model", "metric", "k"]].values.tolist()
    [['Popularity', 'ndcg', 10], ['Popularity', 'recall', 10]]
    """
    ks = [k] if isinstance(k, (int, np.integer)) else list(k)
    for value in ks:
        check_int("evaluate", "k", value, minimum=1)
    unknown = [m for m in metrics if m not in RANKING_METRICS + BEYOND]
    if unknown:
        raise InvalidParameterError(
            f"evaluate: unknown metric(s) {', '.join(map(repr, unknown))}; choose from "
            f"{', '.join(RANKING_METRICS + BEYOND)}."
        )
    n_bootstrap = check_int("evaluate", "n_bootstrap", n_bootstrap, minimum=0)
    check_float("evaluate", "confidence", confidence, minimum=0, maximum=1, exclusive_min=True)
    options = dict(options or {})
    named, test = _prepare(models, train, test, items, test_users)
    rng = np.random.default_rng(random_state)
    rows = []
    for name, model in named.items():
        per_user, overall, users = _per_user(model, train, test, ks, metrics, exclude_seen, options)
        for k_value in ks:
            for metric in metrics:
                key = (metric, k_value)
                if key in per_user:
                    values = per_user[key]
                    low, high = _bootstrap(values, n_bootstrap, confidence, rng)
                    rows.append((name, metric, k_value, float(values.mean()), low, high, len(values)))
                else:
                    rows.append((name, metric, k_value, overall[key], np.nan, np.nan, len(users)))
    return pd.DataFrame(rows, columns=["model", "metric", "k", "value", "ci_low", "ci_high",
                                       "n_users"])


def compare(
    models: Any,
    train: Interactions,
    test: Interactions,
    baseline: str,
    *,
    metric: str = "ndcg",
    k: int = 10,
    items: ItemFeatures | None = None,
    exclude_seen: bool = True,
    test_users: str = "known",
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    random_state: int | None = 0,
) -> pd.DataFrame:
    """Paired per-user differences of each model against ``baseline``.

    For every user in the evaluation set, ``diff = metric(model) - metric(baseline)``.
    Reports the mean difference, its bootstrap percentile interval, the two-sided
    p-value of a paired t-test on the differences, and how many users each
    model wins, loses and ties.

    Parameters
    ----------
    models : dict of name -> Recommender, or a list of them
        Fitted or not (unfitted ones are fitted on ``train``); one of them is ``baseline``.
    train, test : Interactions
    baseline : str
        The name of the model the others are compared with.
    metric : str, default "ndcg"
        A ranking metric (``recsys.evaluation.metrics.RANKING_METRICS``).
    k : int, default 10
    items : ItemFeatures, optional
        For models that use product features.
    exclude_seen : bool, default True
    test_users : {"known", "all"}, default "known"
        Score only customers the training data knows, or everyone in ``test``.
    n_bootstrap : int, default 1000
    confidence : float, default 0.95
    random_state : int, optional

    Returns
    -------
    pandas.DataFrame
        ``model, metric, k, value, baseline_value, diff, ci_low, ci_high, p_value,
        wins, losses, ties, n_users``.

    Raises
    ------
    InvalidParameterError
        An unknown metric or baseline name.

    Examples
    --------
    >>> import recsys
    >>> from recsys.evaluation.split import temporal_split
    >>> shop = recsys.make_shop(n_customers=400, n_products=60, seed=0)
    >>> train, test = temporal_split(shop.interactions, last_days=30)
    >>> table = compare({"pop": recsys.Popularity(), "knn": recsys.ItemKNN()}, train, test,
    ...                 baseline="pop", n_bootstrap=50)
    >>> table["model"].tolist()
    ['knn']
    """

    if metric not in RANKING_METRICS:
        raise InvalidParameterError(
            f"compare: metric must be one of {', '.join(RANKING_METRICS)}, got {metric!r}."
        )
    k = check_int("compare", "k", k, minimum=1)
    named, test = _prepare(models, train, test, items, test_users)
    if baseline not in named:
        raise InvalidParameterError(
            f"compare: baseline {baseline!r} is not among the models ({', '.join(named)})."
        )
    values = {}
    for name, model in named.items():
        per_user, _, users = _per_user(model, train, test, [k], [metric], exclude_seen, {})
        values[name] = pd.Series(per_user[(metric, k)], index=users)
    base = values[baseline]
    rng = np.random.default_rng(random_state)
    rows = []
    for name, series in values.items():
        if name == baseline:
            continue
        aligned = series.reindex(base.index).to_numpy()
        diff = aligned - base.to_numpy()
        low, high = _bootstrap(diff, n_bootstrap, confidence, rng)
        if np.allclose(diff, 0):
            p_value = 1.0
        else:
            p_value = _t_test(diff)
        rows.append((name, metric, k, float(aligned.mean()), float(base.mean()), float(diff.mean()),
                     low, high, p_value, int((diff > 0).sum()), int((diff < 0).sum()),
                     int((diff == 0).sum()), len(diff)))
    return pd.DataFrame(rows, columns=["model", "metric", "k", "value", "baseline_value", "diff",
                                       "ci_low", "ci_high", "p_value", "wins", "losses", "ties",
                                       "n_users"])


def _t_test(diff: np.ndarray) -> float:
    """The two-sided p-value of a one-sample t-test of ``diff`` against 0 (scipy.stats'
    ``ttest_1samp``, from the t distribution directly: scipy.stats costs 0.35 s to import,
    and recsys.models would pay it through the evaluation package)."""
    n = len(diff)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = diff.mean() / (diff.std(ddof=1) / np.sqrt(n))
    return float(2 * stdtr(n - 1, -abs(t)))

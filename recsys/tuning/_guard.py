"""The tuner never makes things worse: the best trial replaces the model as given only when
it wins by more than the noise of the validation customers and wins again on an earlier fold;
and the choice is returned only when it beats Popularity on validation, else Popularity is
(the simplest model that does as well)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recsys._engine.params import clone
from recsys.data.interactions import Interactions
from recsys.evaluation.holdout import Validation
from recsys.exceptions import DataWarning
from recsys.models.base import fit_model
from recsys.models.popular import Popularity

#: bootstrap resamples of the paired per-customer differences
RESAMPLES = 1000
#: a pick must win with this one-sided confidence (the lower 5% of the resampled mean > 0)
LOWER_QUANTILE = 0.05


@dataclass(frozen=True)
class Verdict:
    """Which trial the tuner returns (``row``; None for Popularity) and why (``note``), with the
    validation scores of the model as given and of Popularity (``baselines``)."""

    row: pd.Series | None
    note: str
    baselines: dict[str, float] = field(default_factory=dict)


def choose(results: pd.DataFrame, candidates: list, check: Validation,
           earlier: Callable[[], Validation | None], items: Any, seed: int) -> Verdict:
    """The trial to return from ``results`` (best first) with the reason."""
    best = results.iloc[0]
    scored = results[results["score"].notna()]
    given = scored[scored["params"].map(len) == 0]
    popularity = _fitted(Popularity(), check.inner, items)
    baselines = {"Popularity": check.score(popularity)}
    if len(given):
        baselines["as given"] = float(given.iloc[0]["score"])
    if len(given) == 0 or given.index[0] == best.name:
        row, note = best, "the model as given scored best on validation"
    else:
        row, note = _pick_or_given(best, given.iloc[0], candidates, check, earlier, items, seed)
    chosen = _fitted(_model_of(row, candidates), check.inner, items)
    low, mean = _margin(check, chosen, popularity, seed)
    if mean <= 0:
        return Verdict(None, f"{note}; but it does not beat Popularity on validation "
                             f"({mean:+.4f}): Popularity is returned", baselines)
    within = " (within the noise)" if low <= 0 else ""
    return Verdict(row, f"{note}, and beats Popularity by {mean:+.4f}{within}", baselines)


def _pick_or_given(best: pd.Series, given: pd.Series, candidates: list, check: Validation,
                   earlier: Callable[[], Validation | None], items: Any,
                   seed: int) -> tuple[pd.Series, str]:
    """The best trial when it beats the best model as given beyond the noise and on the
    earlier fold too; else the model as given."""
    pick = _fitted(_model_of(best, candidates), check.inner, items)
    default = _fitted(_model_of(given, candidates), check.inner, items)
    low, mean = _margin(check, pick, default, seed)
    label = f"{best['model']} {dict(best['params'])}"
    if low <= 0:
        return given, (f"kept {given['model']} as given: the best trial ({label}) scores "
                       f"{mean:+.4f} over it on validation, within the noise of the customers "
                       f"(lower bound {low:+.4f})")
    fold = earlier()
    if fold is not None:
        again = fold.score(_fitted(_model_of(best, candidates), fold.inner, items))
        before = fold.score(_fitted(_model_of(given, candidates), fold.inner, items))
        if not again > before:
            return given, (f"kept {given['model']} as given: the best trial ({label}) won on "
                           f"validation ({mean:+.4f}) but not on the earlier fold ({again:.4f} "
                           f"against {before:.4f})")
    return best, (f"the best trial ({label}) beats the model as given by {mean:+.4f} "
                  f"(lower bound {low:+.4f}){' and on the earlier fold' if fold else ''}")


def _margin(check: Validation, model, baseline, seed: int) -> tuple[float, float]:
    """(lower bound, mean) of ``model``'s paired per-customer gain over ``baseline``."""
    mine, theirs = check.values(model), check.values(baseline)
    both = mine.index.intersection(theirs.index)
    diff = (mine.loc[both] - theirs.loc[both]).to_numpy(dtype=np.float64)
    if len(diff) < 2:
        return float("-inf"), float(diff.mean()) if len(diff) else 0.0
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), (RESAMPLES, len(diff)))].mean(axis=1) \
        if len(diff) * RESAMPLES <= 20_000_000 else _chunked_means(diff, rng)
    return float(np.quantile(means, LOWER_QUANTILE)), float(diff.mean())


def _chunked_means(diff: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    step = max(1, 20_000_000 // len(diff))
    return np.concatenate([diff[rng.integers(0, len(diff), (min(step, RESAMPLES - i),
                                                             len(diff)))].mean(axis=1)
                           for i in range(0, RESAMPLES, step)])


def _model_of(row: pd.Series, candidates: list):
    model = clone(candidates[int(row["candidate"])][0])
    model.set_params(**row["params"])
    return model


def _fitted(model, data: Interactions, items: Any):
    with warnings.catch_warnings():  # the returned model's own fit warns, not these
        warnings.simplefilter("ignore", DataWarning)
        return fit_model(model, data, items)

"""Search spaces: what a tuner may try for each parameter, sampled by a seeded generator or
suggested by Optuna."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from recsys.exceptions import InvalidParameterError


def _numbers(kind: str, low: Any, high: Any, log: Any, types: tuple) -> None:
    """The bounds of a distribution: finite numbers of ``types``; ``log`` True or False."""
    for value in (low, high):
        if isinstance(value, bool) or not isinstance(value, types) or not math.isfinite(value):
            what = "whole numbers" if kind == "Integer" else "finite numbers"
            raise InvalidParameterError(f"{kind}({low!r}, {high!r}): the bounds must be {what}, "
                                        f"got {value!r}.")
    if not isinstance(log, bool):
        raise InvalidParameterError(f"{kind}: log must be True or False, got {log!r}.")


@dataclass(frozen=True)
class Uniform:
    """A float between ``low`` and ``high`` (``log=True``: uniform in its logarithm)."""

    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        _numbers("Uniform", self.low, self.high, self.log, (int, float, np.integer, np.floating))
        if not (self.low < self.high) or (self.log and self.low <= 0):
            raise InvalidParameterError(f"Uniform({self.low}, {self.high}, log={self.log}): "
                                        f"needs low < high (and low > 0 with log=True).")

    def sample(self, rng: np.random.Generator) -> float:
        if self.log:
            return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return float(rng.uniform(self.low, self.high))

    def suggest(self, trial, name: str) -> float:
        return trial.suggest_float(name, self.low, self.high, log=self.log)


@dataclass(frozen=True)
class Integer:
    """An int between ``low`` and ``high`` inclusive (``log=True``: uniform in its logarithm)."""

    low: int
    high: int
    log: bool = False

    def __post_init__(self) -> None:
        _numbers("Integer", self.low, self.high, self.log, (int, np.integer))
        if not (self.low <= self.high) or (self.log and self.low <= 0):
            raise InvalidParameterError(f"Integer({self.low}, {self.high}, log={self.log}): "
                                        f"needs low <= high (and low > 0 with log=True).")

    def sample(self, rng: np.random.Generator) -> int:
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high + 1)))
            return int(min(self.high, max(self.low, math.floor(value))))
        return int(rng.integers(self.low, self.high + 1))

    def suggest(self, trial, name: str) -> int:
        return trial.suggest_int(name, self.low, self.high, log=self.log)


@dataclass(frozen=True)
class Choice:
    """One of ``options`` (numbers, text, True/False, None, or lists such as blend weights)."""

    options: tuple

    def __init__(self, options) -> None:
        if isinstance(options, (str, bytes)) or not isinstance(options, Iterable):
            raise InvalidParameterError(
                f"Choice takes a list of options, e.g. Choice(['log', 'bm25']); got {options!r} "
                f"(a text would be split into its letters).")
        object.__setattr__(self, "options", tuple(options))
        if not self.options:
            raise InvalidParameterError("Choice([]): give at least one option.")

    def sample(self, rng: np.random.Generator) -> Any:
        return self.options[int(rng.integers(len(self.options)))]

    def suggest(self, trial, name: str) -> Any:
        if all(o is None or isinstance(o, bool | int | float | str) for o in self.options):
            return trial.suggest_categorical(name, list(self.options))
        # Optuna stores plain values only: other options (a list of weights) by position
        return self.options[trial.suggest_categorical(name, list(range(len(self.options))))]


Distribution = Uniform | Integer | Choice


def check_space(space: object, model_name: str, params: Iterable[str] | None = None
                ) -> dict[str, Distribution]:
    """A dict of parameter name -> distribution, or an InvalidParameterError naming the fix;
    with ``params`` (the model's, nested ones included), every name must be one of them."""
    if not isinstance(space, dict):
        raise InvalidParameterError(
            f"tune: the search space of {model_name} must be a dict like "
            f"{{'l2': Uniform(10, 5000, log=True)}}, got {type(space).__name__}.")
    for name, dist in space.items():
        if not isinstance(dist, Uniform | Integer | Choice):
            raise InvalidParameterError(
                f"tune: {model_name} parameter {name!r} needs a distribution (Uniform, Integer "
                f"or Choice from recsys.tuning), got {dist!r}; a fixed value goes on the model "
                f"itself (e.g. EASE(l2=200)).")
    known = set(params or ())
    unknown = [name for name in space if known and name not in known and name != "weights"]
    if unknown:
        raise InvalidParameterError(
            f"tune: {model_name} has no parameter {', '.join(map(repr, unknown))}; its "
            f"parameters are {', '.join(sorted(known))}. A space names the model's own "
            f"parameters (a Hybrid's components' as 'als__factors').")
    return dict(space)

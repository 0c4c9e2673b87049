"""A model's declared parameters: what each accepts (checked by the base class at fit, the
parameter named in the error) and what a tuner may try (its search space).

A model declares them once, beside its maths::

    parameters = {
        "factors": Param(Int(minimum=1), Choice([32, 64, 128])),
        "half_life_days": Param(HalfLife(), HALF_LIVES),
        "num_threads": Param(Int(minimum=0)),  # accepted, never searched
    }

:meth:`~recsys.models.base.Recommender.search_space` reads the spaces; ``recsys.tune`` searches
them unless given its own; docs/models.md lists the parameters (a test keeps it complete).

>>> Param(Int(minimum=1)).accepts.check("ALS", "factors", 0)
Traceback (most recent call last):
...
recsys.exceptions.InvalidParameterError: ALS: factors must be >= 1, got 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from recsys._engine.params import check_bool, check_choice, check_float, check_half_life, check_int
from recsys.exceptions import InvalidParameterError
from recsys.models.auto_params import check_auto

__all__ = ["Param", "Int", "Float", "OneOf", "Flag", "HalfLife", "AutoOr", "OwnRule",
           "Uniform", "Integer", "Choice", "Distribution", "HALF_LIVES"]


# ---------------------------------------------------------------------- what a parameter accepts
@dataclass(frozen=True)
class Int:
    """An int within ``minimum``..``maximum`` (None: unbounded); ``none``: None too.

    Parameters
    ----------
    minimum, maximum : int, optional
    none : bool, default False

    Examples
    --------
    >>> Int(minimum=1).check("ALS", "factors", 64)
    """

    minimum: int | None = None
    maximum: int | None = None
    none: bool = False

    def check(self, owner: str, name: str, value: Any) -> None:
        check_int(owner, name, value, self.minimum, self.maximum, allow_none=self.none)


@dataclass(frozen=True)
class Float:
    """A finite number within bounds (``exclusive_min``: above ``minimum``); ``none``: None too.

    Parameters
    ----------
    minimum, maximum : float, optional
    exclusive_min : bool, default False
    none : bool, default False

    Examples
    --------
    >>> Float(minimum=0, exclusive_min=True).check("EASE", "l2", 0.0)
    Traceback (most recent call last):
    ...
    recsys.exceptions.InvalidParameterError: EASE: l2 must be > 0, got 0.0.
    """

    minimum: float | None = None
    maximum: float | None = None
    exclusive_min: bool = False
    none: bool = False

    def check(self, owner: str, name: str, value: Any) -> None:
        check_float(owner, name, value, self.minimum, self.maximum, allow_none=self.none,
                    exclusive_min=self.exclusive_min)


@dataclass(frozen=True)
class OneOf:
    """One of ``choices``.

    Parameters
    ----------
    choices : tuple

    Examples
    --------
    >>> OneOf(("bm25", "cosine")).check("ItemKNN", "similarity", "bm25")
    """

    choices: tuple

    def check(self, owner: str, name: str, value: Any) -> None:
        check_choice(owner, name, value, self.choices)


@dataclass(frozen=True)
class Flag:
    """True or False.

    Examples
    --------
    >>> Flag().check("Hybrid", "self_check", True)
    """

    def check(self, owner: str, name: str, value: Any) -> None:
        check_bool(owner, name, value)


@dataclass(frozen=True)
class HalfLife:
    """A decay's half-life: None (no decay) or a number in the range decays can hold.

    Examples
    --------
    >>> HalfLife().check("EASE", "half_life_days", None)
    """

    def check(self, owner: str, name: str, value: Any) -> None:
        check_half_life(owner, name, value)


@dataclass(frozen=True)
class AutoOr:
    """``"auto"`` (read from the data at fit) or what ``number`` accepts.

    Parameters
    ----------
    number : Int or Float

    Examples
    --------
    >>> AutoOr(Float(minimum=0)).check("ALS", "regularization", "auto")
    """

    number: Int | Float

    def check(self, owner: str, name: str, value: Any) -> None:
        bounds = {"minimum": self.number.minimum, "maximum": self.number.maximum}
        if isinstance(self.number, Float):
            bounds["exclusive_min"] = self.number.exclusive_min
        check_auto(owner, name, value, integer=isinstance(self.number, Int), **bounds)


@dataclass(frozen=True)
class OwnRule:
    """Checked by the model's own ``_check_params`` (a rule across parameters: a Hybrid's
    components and their weights); ``says`` what it accepts, for the docs.

    Parameters
    ----------
    says : str

    Examples
    --------
    >>> OwnRule("a list of (name, model)").says
    'a list of (name, model)'
    """

    says: str

    def check(self, owner: str, name: str, value: Any) -> None:
        return None


Constraint = Int | Float | OneOf | Flag | HalfLife | AutoOr | OwnRule


# ---------------------------------------------------------------------- what a tuner may try
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
    """A float between ``low`` and ``high`` (``log=True``: uniform in its logarithm).

    Parameters
    ----------
    low, high : float
    log : bool, default False

    Examples
    --------
    >>> import numpy as np
    >>> 1 <= Uniform(1, 100, log=True).sample(np.random.default_rng(0)) <= 100
    True
    """

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
    """An int between ``low`` and ``high`` inclusive (``log=True``: uniform in its logarithm).

    Parameters
    ----------
    low, high : int
    log : bool, default False

    Examples
    --------
    >>> import numpy as np
    >>> Integer(5, 5).sample(np.random.default_rng(0))
    5
    """

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
    """One of ``options`` (numbers, text, True/False, None, or lists such as blend weights).

    Parameters
    ----------
    options : iterable

    Examples
    --------
    >>> import numpy as np
    >>> Choice(["log", "bm25"]).sample(np.random.default_rng(0)) in ("log", "bm25")
    True
    """

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


#: the customer x product decay searched on every model that takes one (None: no decay)
HALF_LIVES = Choice([None, 7, 14, 30, 60, 90, 180, 365])


@dataclass(frozen=True)
class Param:
    """One declared parameter: what it ``accepts``, and the ``space`` a tuner searches (None:
    it is never searched, e.g. thread counts).

    Parameters
    ----------
    accepts : Int, Float, OneOf, Flag, HalfLife, AutoOr or OwnRule
    space : Uniform, Integer or Choice, optional

    Examples
    --------
    >>> Param(Int(minimum=1), Choice([32, 64])).space.options
    (32, 64)
    """

    accepts: Constraint
    space: Distribution | None = None

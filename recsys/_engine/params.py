"""The estimator contract (``get_params`` / ``set_params`` / ``clone``) and parameter checks.

scikit-learn's ``BaseEstimator`` does the same, but importing it costs about
0.7 s; ``import recsys`` must stay fast, and this is all we need of it.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

import numpy as np

from recsys.exceptions import InvalidParameterError

__all__ = ["ParamsMixin", "clone", "check_int", "check_float", "check_choice", "check_bool",
           "check_half_life", "HALF_LIFE_RANGE"]


class ParamsMixin:
    """``get_params`` / ``set_params`` from the keyword-only ``__init__`` signature.

    Nested parameters of components use ``name__param`` (``als__factors``) when
    the class lists its components in ``_component_attr``.
    """

    _component_attr: str | None = None  # attribute holding [(name, estimator), ...]

    def _named_components(self) -> list:
        """The (name, estimator) pairs nested parameters reach."""
        return list(getattr(self, self._component_attr) or []) if self._component_attr else []

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters (and, with ``deep``, those of components)."""
        params = {name: getattr(self, name) for name in self._param_names()}
        if deep and self._component_attr:
            for name, est in self._named_components():
                for key, value in est.get_params(deep=True).items():
                    params[f"{name}__{key}"] = value
        return params

    def set_params(self, **params: Any):
        """Set parameters (``als__factors=32`` reaches a component); returns self."""
        names = self._param_names()
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            head, sep, rest = key.partition("__")
            if sep:
                nested.setdefault(head, {})[rest] = value
            elif key in names:
                setattr(self, key, value)
            else:
                raise InvalidParameterError(
                    f"{type(self).__name__} has no parameter {key!r}; "
                    f"its parameters are {', '.join(names)}."
                )
        if nested:
            components = dict(self._named_components()) if self._component_attr else {}
            for head, sub in nested.items():
                if head not in components:
                    raise InvalidParameterError(
                        f"{type(self).__name__} has no component {head!r} "
                        f"(components: {', '.join(components) or 'none'})."
                    )
                components[head].set_params(**sub)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in
                    inspect.signature(type(self).__init__).parameters.values()}
        shown = []
        for name, value in self.get_params(deep=False).items():
            default = defaults.get(name, inspect.Parameter.empty)
            if default is inspect.Parameter.empty or not _same(value, default):
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except (ValueError, TypeError):
        return a is b


def clone(model: Any) -> Any:
    """A new unfitted model with the same parameters (components cloned too).

    Parameters
    ----------
    model : Recommender
        Fitted or not; it is not changed.

    Returns
    -------
    Recommender
        Of the same class, unfitted.

    Examples
    --------
    >>> from recsys import Popularity
    >>> clone(Popularity(window_days=30))
    Popularity(window_days=30)
    """
    params = model.get_params(deep=False)
    fresh = {}
    for key, value in params.items():
        if isinstance(value, list) and value and all(
            isinstance(v, tuple) and len(v) == 2 and hasattr(v[1], "get_params") for v in value
        ):
            fresh[key] = [(name, clone(est)) for name, est in value]
        elif hasattr(value, "get_params") and not isinstance(value, type):
            fresh[key] = clone(value)
        else:
            fresh[key] = copy.deepcopy(value)
    return type(model)(**fresh)


# ---------------------------------------------------------------------- checks
def _invalid(name: str, message: str) -> InvalidParameterError:
    """The error of one parameter, ``name`` attached (the command line names its option)."""
    return InvalidParameterError(message, param=name)


def check_int(owner: str, name: str, value: Any, minimum: int | None = None,
              maximum: int | None = None, allow_none: bool = False) -> int | None:
    """``value`` as an int within bounds, or ``InvalidParameterError`` naming it."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise _invalid(name,
            f"{owner}: {name} must be an int, got {value!r} ({type(value).__name__})."
        )
    _bounds(owner, name, value, minimum, maximum)
    return int(value)


def check_float(owner: str, name: str, value: Any, minimum: float | None = None,
                maximum: float | None = None, allow_none: bool = False,
                exclusive_min: bool = False) -> float | None:
    """``value`` as a finite float within bounds, or ``InvalidParameterError``."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise _invalid(name,
            f"{owner}: {name} must be a number, got {value!r} ({type(value).__name__})."
        )
    try:
        value = float(value)
    except OverflowError:  # an int beyond any float (10**400)
        raise _invalid(name, f"{owner}: {name} must be a finite number, got an integer "
                                    f"of {len(str(abs(int(value))))} digits.") from None
    if not np.isfinite(value):
        raise _invalid(name, f"{owner}: {name} must be finite, got {value!r}.")
    if exclusive_min and minimum is not None and value <= minimum:
        raise _invalid(name, f"{owner}: {name} must be > {minimum}, got {value!r}.")
    _bounds(owner, name, value, minimum, maximum)
    return value


#: a decay's half-life, in days (or purchases), from about a minute and a half to 2,700 years:
#: shorter ones underflow every weight to 0, longer ones are no decay at all (pass None)
HALF_LIFE_RANGE = (1e-3, 1e6)


def check_half_life(owner: str, name: str, value: Any) -> float | None:
    """A half-life (``half_life_days``, ``history_half_life``): None (no decay) or a number
    in :data:`HALF_LIFE_RANGE`, else InvalidParameterError naming it."""
    value = check_float(owner, name, value, allow_none=True)
    if value is not None and not HALF_LIFE_RANGE[0] <= value <= HALF_LIFE_RANGE[1]:
        raise _invalid(name,
            f"{owner}: {name} must be None (no decay) or between {HALF_LIFE_RANGE[0]:g} and "
            f"{HALF_LIFE_RANGE[1]:g}, got {value!r}: a shorter half-life decays every weight "
            f"to 0, a longer one is no decay (pass None).")
    return value


def _bounds(owner: str, name: str, value: float, minimum: float | None,
            maximum: float | None) -> None:
    if minimum is not None and value < minimum:
        raise _invalid(name, f"{owner}: {name} must be >= {minimum}, got {value!r}.")
    if maximum is not None and value > maximum:
        raise _invalid(name, f"{owner}: {name} must be <= {maximum}, got {value!r}.")


def check_choice(owner: str, name: str, value: Any, choices: tuple) -> Any:
    """``value`` if it is one of ``choices``, else ``InvalidParameterError``."""
    if value not in choices:
        raise _invalid(name,
            f"{owner}: {name} must be one of {', '.join(map(repr, choices))}; got {value!r}."
        )
    return value


def check_bool(owner: str, name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise _invalid(name, f"{owner}: {name} must be True or False, got {value!r}.")
    return bool(value)

"""A search space given to the tuner: checked against the model's parameters (the
distributions themselves are declared in :mod:`recsys.models.params`)."""

from __future__ import annotations

from collections.abc import Iterable

from recsys.exceptions import InvalidParameterError
from recsys.models.params import Choice, Distribution, Integer, Uniform


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

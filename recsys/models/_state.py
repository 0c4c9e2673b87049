"""One published fitted state: how a model's state changes while other threads serve from it.

``fit`` resets and rebuilds a model; an update (``partial_fit``, an erasure) builds the new
state aside on a twin and swaps it in at once (:func:`publish_state`), and the serving methods
(:func:`one_state`) retry a call that overlapped a swap, so every answer is the old model's or
the new one's. Fitted arrays are read-only (:func:`freeze_fitted`): state changes only by
replacement.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["one_state", "unfitted_twin", "publish_state", "freeze_fitted"]

#: a serving call overlapping this many state publications in a row runs once more as it is
_STATE_RETRIES = 100


def one_state(method: Callable) -> Callable:
    """Run a serving method (``recommend``...) on one published state: ``partial_fit``
    builds the new fitted state aside and swaps it in one step (:func:`publish_state`),
    bumping ``_state_version``; a call that overlapped a swap (it may have read both states,
    and may even have failed for it) is run again on the new state, so every answer is the
    old model's or the new one's."""
    @functools.wraps(method)
    def serve(self, *args, **kwargs):
        for _ in range(_STATE_RETRIES):
            version = self.__dict__.get("_state_version", 0)
            try:
                answer = method(self, *args, **kwargs)
            except Exception:
                if self.__dict__.get("_state_version", 0) == version:
                    raise  # the model's own answer: an error of the call
                continue
            if self.__dict__.get("_state_version", 0) == version:
                return answer
        return method(self, *args, **kwargs)

    return serve


def unfitted_twin(model: Any) -> Any:
    """A new object of ``model``'s class with its parameters and none of its fitted state: where
    an update computes the new state aside (then :func:`publish_state`)."""
    twin = object.__new__(type(model))
    twin.__dict__.update({key: value for key, value in vars(model).items()
                          if not (key.endswith("_") and not key.startswith("_"))
                          and not key.startswith("_cache")})
    return twin


def publish_state(model: Any, fresh: Any) -> None:
    """Make ``fresh``'s fitted state ``model``'s in one step: the whole attribute dictionary is
    swapped at once (atomic under the interpreter lock), with a new ``_state_version``, so a
    serving thread never sees half of an update (see :func:`one_state`)."""
    freeze_fitted(fresh)
    state = fresh.__dict__
    state["_state_version"] = model.__dict__.get("_state_version", 0) + 1
    model.__dict__ = state


def freeze_fitted(model: Any) -> None:
    """Make every fitted array of ``model`` read-only (numpy arrays and the arrays of sparse
    matrices held in public ``name_`` attributes): fitted state changes only by ``fit``."""
    for key, value in vars(model).items():
        if not key.endswith("_") or key.startswith("_"):
            continue
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
        elif sp.issparse(value):
            for part in ("data", "indices", "indptr", "row", "col"):
                array = getattr(value, part, None)
                if isinstance(array, np.ndarray):
                    array.setflags(write=False)

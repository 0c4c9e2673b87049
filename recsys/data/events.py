"""Event kinds in a log (views, carts, purchases: the shop's own names): each row's kind kept as
a small code, and the weight a kind gives a row (``event_weights``), checked.

A (customer, product) cell of the matrix models learn from is the sum of its rows' weights
(each the row's own weight times its kind's): a product viewed five times and bought once
counts 5 x view + 1 x purchase. The sum is the default because it is what the matrix already
does with repeated rows (quantities add up), and because weights learnt or tuned on it can make
any one kind dominate when the data say so.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from recsys.data.ids import preview
from recsys.exceptions import DataError, InvalidParameterError

__all__ = ["MAX_KINDS"]

#: distinct event kinds a log may hold (codes are int8)
MAX_KINDS = 127


def code_events(column: pd.Series, weights: Mapping[str, float] | None,
                name: str) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    """(kind code per row, the kinds by code, the weight of each row's kind) of an event
    column; every kind must have a finite weight >= 0 in ``weights``."""
    if column.isna().any():
        raise DataError(f"event column {name!r} has {int(column.isna().sum()):,} empty values; "
                        f"every row needs its kind (view, cart, purchase...).")
    codes, kinds = pd.factorize(column.astype(str), sort=True)
    kinds = tuple(str(kind) for kind in kinds)
    if len(kinds) > MAX_KINDS:
        raise DataError(f"event column {name!r} has {len(kinds):,} distinct kinds (e.g. "
                        f"{preview(list(kinds), 5)}): is it the right column? Events are a few "
                        f"kinds such as view, cart and purchase.")
    if weights is None:
        raise InvalidParameterError(
            f"event={name!r} needs event_weights, a weight per kind: the log has "
            f"{preview(list(kinds), 8)}, e.g. event_weights={_example(kinds)}.",
            param="event_weights")
    if not isinstance(weights, Mapping):
        raise InvalidParameterError(f"event_weights must be a dict kind -> weight, got "
                                    f"{type(weights).__name__}.", param="event_weights")
    unweighted = [kind for kind in kinds if kind not in weights]
    if unweighted:
        raise DataError(f"event column {name!r} holds kinds with no weight in event_weights: "
                        f"{preview(unweighted)}; give each one (0 leaves it out of the model's "
                        f"weights), e.g. event_weights={_example(kinds)}.")
    per_kind = np.array([_weight(kind, weights[kind]) for kind in kinds], np.float32)
    return codes.astype(np.int8), kinds, per_kind[codes]


def _weight(kind: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating) \
            or not np.isfinite(value) or value < 0:
        raise InvalidParameterError(f"event_weights[{kind!r}] must be a finite number >= 0, got "
                                    f"{value!r}.", param="event_weights")
    limits = np.finfo(np.float32)  # weights are float32: nothing may silently become 0 or inf
    if value and not limits.tiny <= value <= limits.max:
        raise InvalidParameterError(f"event_weights[{kind!r}]={value!r} is outside what a weight "
                                    f"can hold ({limits.tiny:.1e} .. {limits.max:.1e}); scale "
                                    f"the weights together.", param="event_weights")
    return float(value)


def _example(kinds: tuple[str, ...]) -> str:
    return "{" + ", ".join(f"{kind!r}: {i + 1}" for i, kind in enumerate(kinds[:4])) + "}"

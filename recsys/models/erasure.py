"""Erasure: a fitted model without some customers, equal to a fit on the data without them.

Three ways, the cheapest the model's maths allows, each exact:

- **In place** (Popularity, EASE with a cell-by-cell weighting and dense weights): the model
  updates its fitted state for the rows removed (recounted buyers; EASE's inverse Gram matrix
  downdated by the Woodbury identity), built aside and swapped in at once. EASE keeps the
  ``l2`` its fit read when ``l2="auto"``.
- **From its own state** (ItemKNN, CoOccurrence, RP3beta, ALS, BPR, and the above where the
  in-place update does not apply; no times, no baskets, no order): refitted on its own
  seen-items matrix without the customers' rows, the matrix a fit on the remaining data would
  build, cell for cell (ALS and BPR too: the same seed on the same matrix).
- **On the data** (times: a decay or a window; baskets: association rules; order: sequential
  rules, SLIST; repeat purchases: BuyAgain, NextBasket; features: ContentBased; a Hybrid's
  components): refitted on the training data without those customers.

ALS also offers an approximate erasure (``exact=False``): the customers' factors and rows
dropped and every other factor re-solved in two warm-started sweeps, near a refit (measured by
``benchmarks/privacy.py``), not equal to it.

The erasure is recorded on the model (``erasures_``: when and how many, never who) and in its
file's manifest (``recsys info --personal-data``).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from recsys.data.ids import clean_ids
from recsys.data.interactions import Interactions
from recsys.exceptions import DataError, InvalidParameterError
from recsys.ranking import fit_model

__all__ = ["forget", "needs_training_data"]

#: parameters that make a fit read the interactions' times: set, the state is not enough
TIME_PARAMETERS = ("half_life_days", "history_half_life", "window_days", "trend_days")


def needs_training_data(model: Any) -> str | None:
    """Why ``model`` cannot be refitted from its own state (None when it can).

    A model that learns only from who bought what (``forgets_from_state``, without time
    parameters set) forgets from the seen-items matrix it keeps; any other needs the training
    data passed to :func:`forget`.

    Parameters
    ----------
    model : Recommender
        A model (fitted or not).

    Returns
    -------
    str or None
        The reason, said in words, or None.

    Examples
    --------
    >>> import recsys
    >>> needs_training_data(recsys.EASE()) is None
    True
    >>> needs_training_data(recsys.EASE(half_life_days=30))
    "its half_life_days reads the purchases' times"
    """
    if not getattr(model, "forgets_from_state", False):
        return f"{type(model).__name__} learns from more than who bought what"
    timed = [p for p in TIME_PARAMETERS if getattr(model, p, None) is not None]
    if timed:
        return f"its {timed[0]} reads the purchases' times"
    if getattr(model, "event", None) is not None:
        return "its event= reads the rows' event kinds"
    return None


def forget(model: Any, customers: Iterable, *, data: Interactions | None = None,
           items: Any = None, unknown: str = "report",
           update: Callable[[np.ndarray], str] | None = None) -> dict[str, Any]:
    """Remove ``customers`` from the fitted ``model`` (in place); what was done.

    Parameters
    ----------
    customers : ids
        The customers to erase (each once; repeated ids are counted once).
    data : Interactions, optional
        The training data, for models that cannot be refitted from their own state (see the
        module); their rows of ``customers`` are left out before the refit.
    items : ItemFeatures, optional
        The product features a model that uses them was fitted with.
    unknown : {"report", "raise"}
        Ids the model never saw are counted in the answer (``"report"``) or refused.
    update : callable, optional
        The model's own exact update for the removal (given the mask of customers to
        forget, it says how it did it), used instead of a refit from its state.

    Returns
    -------
    dict
        ``forgotten`` (customers removed), ``unknown`` (ids it never saw), ``how``
        (``"refit from the model's state"`` or ``"refit on the data"``).

    Examples
    --------
    >>> import recsys
    >>> shop = recsys.make_shop(n_customers=200, n_products=40, seed=0)
    >>> model = recsys.Popularity().fit(shop.interactions)
    >>> gone = shop.interactions.users.ids[:3]
    >>> forget(model, gone)["forgotten"], gone[0] in model.users_
    (3, False)
    """
    if unknown not in ("report", "raise"):
        raise InvalidParameterError(f"forget: unknown must be 'report' or 'raise', got "
                                    f"{unknown!r}.", param="unknown")
    ids = np.unique(clean_ids(customers, "customers to forget"))
    position = model.users_.to_index(ids, missing="mask")
    absent = int((position < 0).sum())
    if absent and unknown == "raise":
        raise DataError(f"forget: {absent:,} of the {len(ids):,} customers are unknown to this "
                        f"{type(model).__name__}; pass unknown='report' to count them instead.")
    gone = np.zeros(len(model.users_), bool)
    gone[position[position >= 0]] = True
    why = needs_training_data(model)
    if not gone.any():  # nobody the model holds: nothing to refit or record
        return {"forgotten": 0, "unknown": absent, "how": "nothing to forget"}
    if why is not None and data is None:
        raise DataError(f"forget: {type(model).__name__} cannot forget from its own state "
                        f"({why}); pass the training data: forget(ids, data=interactions) "
                        f"(--orders on the command line).")
    # what the update or refit would reset: the erasures so far, the window, the retention
    erasures = [*getattr(model, "erasures_", []), {
        "at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "customers": int(gone.sum())}]
    window, kept = getattr(model, "data_window_", None), getattr(model, "max_age_days_", None)
    if why is None and update is not None:
        how = update(gone)
    elif why is None:
        fit_model(model, _from_state(model, gone), items)
        how = "refit from the model's state"
    else:
        remaining = _from_data(data, ids)
        if kept is not None:  # the retention the model was fitted with
            options = {"items": items} if items is not None and model.uses_item_features else {}
            model.fit(remaining, max_age_days=kept, **options)
        else:
            fit_model(model, remaining, items)
        how = "refit on the data"
    model.erasures_ = erasures
    model.data_window_, model.max_age_days_ = window, kept
    return {"forgotten": int(gone.sum()), "unknown": absent, "how": how}


def _from_state(model: Any, gone: np.ndarray) -> Interactions:
    """The interactions the remaining customers' rows of ``seen_`` hold, one row a cell."""
    seen = model.seen_.tocsr()
    keep = np.flatnonzero(~gone)
    kept = seen[keep].tocoo()
    users = model.users_.ids[keep]
    cells = pd.DataFrame({"user_id": users[kept.row], "item_id": model.items_.ids[kept.col],
                          "weight": kept.data})
    return Interactions.from_frame(cells, user="user_id", item="item_id", weight="weight",
                                   items=model.items_.ids)


def _from_data(data: Interactions, ids: np.ndarray) -> Interactions:
    if data.users is None:
        raise DataError("forget: these interactions have no customers.")
    position = data.users.to_index(ids, missing="mask")
    drop = np.zeros(data.n_users, bool)
    drop[position[position >= 0]] = True
    # the forgotten customers leave the id map too: their ids must not reach the model
    return data.select(~drop[data.user_index]).without_unused_ids()

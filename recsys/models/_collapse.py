"""Did a fit learn anything? A personal model whose scores collapsed (all near zero) or that
gives nearly every customer the same list answers arbitrarily or as popularity would, while
looking fitted: it says so, with the likely cause and the fix."""

from __future__ import annotations

import warnings

import numpy as np

from recsys.data.interactions import Interactions
from recsys.exceptions import DataWarning

#: customers sampled for the check (seeded: the same fit gives the same verdict)
SAMPLE = 400
#: below this top score (in magnitude) a customer's list is arbitrary
TINY_SCORE = 1e-6
#: warn when more than this share of the sample has a tiny top score ...
TINY_SHARE = 0.5
#: ... or gets the one most common list
SAME_LIST_SHARE = 0.9
K = 10


def check_collapse(model, data: Interactions) -> str | None:
    """The warning's text when ``model`` (fitted on ``data``) learnt little, else None; the
    warning is raised too (a :class:`~recsys.exceptions.DataWarning`)."""
    if data.user_index is None or len(model.users_) < 20 or len(model.items_) <= K:
        return None
    users = _sample(model, len(model.users_))
    recs = model.recommend(model.users_.ids[users], k=K, on_unknown="skip")
    top = np.abs(recs.scores[:, 0])
    filled = recs.lengths > 0
    if not filled.any():
        return None
    tiny = float((top[filled] < TINY_SCORE).mean())
    lists = np.where(np.arange(K)[None, :] < recs.lengths[:, None], recs.item_index, -1)
    _, counts = np.unique(lists[filled], axis=0, return_counts=True)
    same = float(counts.max() / filled.sum())
    if tiny <= TINY_SHARE and same < SAME_LIST_SHARE:
        return None
    what = (f"{tiny:.0%} of customers' best scores are below {TINY_SCORE:g} (their picks are "
            f"arbitrary)" if tiny > TINY_SHARE else
            f"{same:.0%} of customers get the same top {K}")
    text = (f"{type(model).__name__}: the fit learnt little: {what}. {_cause(model, data)}")
    warnings.warn(text, DataWarning, stacklevel=4)
    return text


def _sample(model, n: int) -> np.ndarray:
    """Up to SAMPLE customers with a history, seeded."""
    has = np.flatnonzero(np.diff(model.seen_.indptr) > 0)
    if len(has) <= SAMPLE:
        return has
    return np.sort(np.random.default_rng(0).choice(has, SAMPLE, replace=False))


def _cause(model, data: Interactions) -> str:
    """The likely cause and the fix, read from the data and the model's parameters."""
    per_customer = (data.n_baskets / max(data.n_users, 1) if data.basket_index is not None
                    else len(data) / max(data.n_users, 1))
    if per_customer <= 1.3:
        return ("Likely cause: nearly every customer has one order, so there is no history to "
                "learn from. Fix: serve carts and product pages (recommend_for_basket, "
                "similar_items, AssociationRules) and Popularity for customers; check that the "
                "customer id is the person's, not the order's.")
    strength = getattr(model, "regularization_", None) or getattr(model, "l2_", None)
    if strength is not None:
        name = "regularization" if hasattr(model, "regularization_") else "l2"
        return (f"Likely cause: too strong a regularisation ({name} {strength:g}) for this "
                f"data. Fix: a smaller {name} (recsys.tune searches it), or compare with "
                f"Popularity (recsys.evaluate).")
    return ("Fix: compare it with Popularity (recsys.evaluate) and tune its parameters "
            "(recsys.tune).")

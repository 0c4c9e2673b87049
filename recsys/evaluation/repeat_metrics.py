"""Repeat and explore: how much of a model's quality comes from what customers bought before.

Following "A Next Basket Recommendation Reality Check" (Li et al. 2023): an item the customer
bought in training is a *repeat* item, any other an *explore* item. With :math:`T` the
customer's relevant (test) items, :math:`P` the top-k picks and :math:`H` the training
history:

* ``recall_repeat``: mean over customers with :math:`T \\cap H \\neq \\emptyset` of
  :math:`|P \\cap T \\cap H| / |T \\cap H|`;
* ``recall_explore``: the same over :math:`T \\setminus H`;
* ``repeat_share``: the share of all picks that are repeat items;
* ``phr`` (personal hit rate): the share of customers with at least one relevant item whose
  top-k holds at least one.
"""

from __future__ import annotations

import pandas as pd

from recsys.data.interactions import Interactions

__all__ = ["repeat_explore"]


def repeat_explore(recs, truth: Interactions, train: Interactions, k: int = 10) -> dict[str, float]:
    """Recall on repeat and on explore items, the repeat share of the picks, and the personal
    hit rate (see the module docstring), all at ``k``.

    Parameters
    ----------
    recs : Recommendations or pandas.DataFrame
        The lists (a frame with ``query``, ``item`` and ``rank`` columns, or a model's answer).
    truth : Interactions
        What each customer bought in the test period.
    train : Interactions
        What each customer bought before: an item in it is a repeat, any other an explore item.
    k : int, default 10
        How many picks of each list count.

    Returns
    -------
    dict
        ``recall_repeat``, ``recall_explore`` (mean per customer, NaN when no customer has
        that kind of relevant item), ``repeat_share`` (the share of picks the customer
        bought before) and ``phr`` (the share of customers with at least one hit).

    Examples
    --------
    >>> import recsys
    >>> from recsys.evaluation.split import temporal_split
    >>> shop = recsys.make_shop(n_customers=200, n_products=40, seed=1)
    >>> train, test = temporal_split(shop.interactions, last_days=30)
    >>> model = recsys.BuyAgain().fit(train)
    >>> users = sorted(set(test.users.ids[test.user_index]) & set(train.users.ids))
    >>> sorted(repeat_explore(model.recommend(users, k=10), test, train, k=10))
    ['phr', 'recall_explore', 'recall_repeat', 'repeat_share']
    """
    picks = _cells(recs, k)
    relevant = _pairs(truth).drop_duplicates()
    history = _pairs(train).drop_duplicates().assign(repeat=True)
    relevant = relevant.merge(history, on=["user", "item"], how="left")
    relevant["repeat"] = relevant["repeat"].astype("boolean").fillna(False).astype(bool)
    relevant = relevant.merge(picks.assign(hit=True), on=["user", "item"], how="left")
    relevant["hit"] = relevant["hit"].astype("boolean").fillna(False).astype(bool)
    picked = picks.merge(history, on=["user", "item"], how="left")

    def recall(part: pd.DataFrame) -> float:
        per_user = part.groupby("user")["hit"].mean()
        return float(per_user.mean()) if len(per_user) else float("nan")

    return {
        "recall_repeat": recall(relevant[relevant["repeat"]]),
        "recall_explore": recall(relevant[~relevant["repeat"]]),
        "repeat_share": float(picked["repeat"].notna().mean()) if len(picked) else float("nan"),
        "phr": float(relevant.groupby("user")["hit"].any().mean()),
    }


def _pairs(data: Interactions) -> pd.DataFrame:
    return pd.DataFrame({"user": data.users.ids[data.user_index],
                         "item": data.items.ids[data.item_index]})


def _cells(recs, k: int) -> pd.DataFrame:
    """(user, item) of every pick within the top ``k`` (Recommendations or a long frame with
    ``query``/``user_id`` and ``item``/``item_id`` columns, and ``rank`` when cut)."""
    frame = recs.to_frame() if hasattr(recs, "to_frame") else recs
    if "rank" in frame.columns:
        frame = frame[frame["rank"] <= k]
    user = next(c for c in ("query", "user_id", "user") if c in frame.columns)
    item = next(c for c in ("item", "item_id") if c in frame.columns)
    return pd.DataFrame({"user": frame[user].to_numpy(),
                         "item": frame[item].to_numpy()}).drop_duplicates()

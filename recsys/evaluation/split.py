"""Train/test splits. Each returns ``(train, test)`` sharing the id maps of the input.

``temporal_split`` never puts anything from at or after the cutoff into train.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from recsys._engine.arrays import rank_in_runs
from recsys._engine.params import check_choice, check_float, check_int
from recsys.data.dates import days_before
from recsys.data.interactions import Interactions
from recsys.exceptions import DataError, InvalidParameterError

__all__ = ["temporal_split", "leave_last_out", "random_split", "holdout_basket_items",
           "new_item_mask"]


def temporal_split(
    data: Interactions,
    cutoff: object = None,
    *,
    last_days: float | None = None,
    test_users: Literal["all", "known"] = "all",
    target_event: str | None = None,
) -> tuple[Interactions, Interactions]:
    """Everything before ``cutoff`` is train, everything at or after it is test.

    Parameters
    ----------
    data : Interactions
        Must have timestamps.
    cutoff : datetime-like, optional
        The first moment of the test period (``"2011-11-09"``).
    last_days : float, optional
        Instead of ``cutoff``: the test period is the last ``last_days`` days
        before the newest timestamp.
    test_users : {"all", "known"}
        ``"known"`` keeps in test only users that have train interactions.
    target_event : str, optional
        With event kinds (``from_frame(..., event=...)``): the test keeps only rows of this
        kind (``"purchase"``: what a model is judged on), while train keeps every kind.

    Returns
    -------
    train, test : Interactions
        The rows before and from the cutoff, with the same id maps.

    Examples
    --------
    >>> from recsys import make_shop
    >>> shop = make_shop(n_customers=300, n_products=60, seed=0)
    >>> train, test = temporal_split(shop.interactions, last_days=30)
    >>> bool(train.timestamps.max() < test.timestamps.min())
    True
    """
    _need_times(data, "temporal_split")
    check_choice("temporal_split", "test_users", test_users, ("all", "known"))
    if (cutoff is None) == (last_days is None):
        raise InvalidParameterError("temporal_split: pass exactly one of cutoff= or last_days=.")
    if last_days is not None:
        check_float("temporal_split", "last_days", last_days, minimum=0, exclusive_min=True)
        edge = days_before(data.timestamps.max(), last_days)
    else:
        try:
            edge = pd.Timestamp(cutoff).to_datetime64().astype("datetime64[ns]")
        except (ValueError, TypeError):
            raise InvalidParameterError(
                f"temporal_split: cutoff {cutoff!r} is not a date; pass e.g. '2011-11-09'."
            ) from None
    is_test = data.timestamps >= edge
    if not is_test.any() or is_test.all():
        first, last = data.timestamps.min(), data.timestamps.max()
        raise DataError(
            f"temporal_split: the cutoff {pd.Timestamp(edge)} leaves "
            f"{'no test' if not is_test.any() else 'no train'} rows; the data runs from "
            f"{pd.Timestamp(first)} to {pd.Timestamp(last)}."
        )
    train, test = data.select(~is_test), data.select(is_test)
    if target_event is not None:
        test = _target_rows(test, target_event, "temporal_split")
    if test_users == "known":
        test = test.select(_known(test, train))
    return train, test


def _target_rows(test: Interactions, target_event: str, owner: str) -> Interactions:
    """The test rows of the ``target_event`` kind, or a DataError when there is none."""
    if test.events is None:
        raise DataError(f"{owner}: target_event={target_event!r} needs event kinds: build the "
                        f"interactions with from_frame(..., event='<column>', event_weights=...).")
    if target_event not in test.events:
        raise DataError(f"{owner}: target_event={target_event!r} is none of the log's kinds "
                        f"{list(test.events)}.")
    kept = test.select(event=target_event)
    if len(kept) == 0:
        raise DataError(f"{owner}: the test period has no {target_event!r} row, so nothing to "
                        f"judge a model on; move the cutoff or pick another target_event.")
    return kept


def leave_last_out(
    data: Interactions, n: int = 1, *, by: Literal["auto", "time", "basket"] = "auto",
    last_days: float | None = None, share: float | None = None,
) -> tuple[Interactions, Interactions]:
    """Per user, the last ``n`` interactions (``by="time"``) or the last basket
    (``by="basket"``, the next-basket protocol) go to test.

    ``by="auto"`` (the default, as ``recsys evaluate --split leave-last``): the last basket
    when the data has baskets and neither ``n`` nor ``share`` asks for interactions, else the
    last ``n`` interactions. (Before 0.2 the default was ``"time"``: one order line of the
    last basket went to test and its other lines stayed in train.)

    ``share`` (with ``by="time"``; replaces ``n``): the newest ``share`` of each user's
    interactions, ``floor(share * count)`` of them and at least one (the "last 20% per user"
    protocol: ``share=0.2``); users with a single interaction stay whole in train.

    Users with ``n`` or fewer interactions (or a single basket) stay whole in
    train, so no one loses their entire history. Equal timestamps keep row order.
    Needs timestamps: without them "last" has no meaning (file order is not time), and
    :func:`random_split` is the honest choice.

    ``last_days``: only last interactions (baskets) within the last ``last_days`` days of
    the data go to test; users whose last one is older stay whole in train (a test period
    of one basket per returning customer).

    Parameters
    ----------
    data : Interactions
        With timestamps.
    n : int, default 1
    by : {"auto", "time", "basket"}, default "auto"
    last_days : float, optional
    share : float, optional

    Returns
    -------
    train, test : Interactions

    Raises
    ------
    DataError
        No timestamps (or no baskets with ``by="basket"``).

    Examples
    --------
    >>> import pandas as pd, recsys
    >>> log = pd.DataFrame({"user": [1, 1, 2, 2], "item": ["a", "b", "a", "c"],
    ...                     "order": [1, 2, 3, 4],
    ...                     "day": pd.to_datetime(["2026-01-01", "2026-03-01",
    ...                                            "2026-01-01", "2026-01-02"])})
    >>> data = recsys.Interactions.from_frame(log, user="user", item="item", basket="order",
    ...                                       timestamp="day")
    >>> train, test = leave_last_out(data, by="basket", last_days=30)
    >>> test.to_frame()["user_id"].tolist()  # user 2's last basket is older than 30 days
    [1]
    """
    check_choice("leave_last_out", "by", by, ("auto", "time", "basket"))
    n = check_int("leave_last_out", "n", n, minimum=1)
    if by == "auto":
        by = "basket" if data.basket_index is not None and n == 1 and share is None else "time"
    check_float("leave_last_out", "last_days", last_days, minimum=0, exclusive_min=True,
                allow_none=True)
    check_float("leave_last_out", "share", share, minimum=0, maximum=1, exclusive_min=True,
                allow_none=True)
    if share is not None and by != "time":
        raise InvalidParameterError("leave_last_out: share= goes with by='time' (a basket "
                                    "split holds out each user's last basket).")
    if data.user_index is None:
        raise DataError("leave_last_out needs users; these interactions are baskets only.")
    if data.timestamps is None:
        raise DataError(
            "leave_last_out needs timestamps to know which interactions are the last; these "
            "interactions have none. Build them with timestamp='<column>', or use "
            "random_split for data without times.")
    row = np.arange(len(data))
    when = data.timestamps.view(np.int64)
    users = data.user_index
    if by == "time":
        order = np.lexsort((row, when, users))
        count = np.bincount(users, minlength=data.n_users)
        sorted_users = users[order]
        from_end = count[sorted_users] - rank_in_runs(sorted_users)
        if share is None:
            test_sorted = (from_end <= n) & (count[sorted_users] > n)
        else:
            held = np.maximum(1, np.floor(share * count + 1e-9)).astype(np.int64)
            test_sorted = (from_end <= held[sorted_users]) & (count[sorted_users] > 1)
    else:
        if data.basket_index is None:
            raise DataError("leave_last_out(by='basket') needs a basket column.")
        baskets = data.basket_index
        basket_time = np.full(data.n_baskets, np.iinfo(np.int64).min)
        np.maximum.at(basket_time, baskets, when)
        order = np.lexsort((baskets, basket_time[baskets], users))
        sorted_users = users[order]
        last_row = np.searchsorted(sorted_users, sorted_users, side="right") - 1
        last_basket = baskets[order][last_row]
        first_basket = baskets[order][np.searchsorted(sorted_users, sorted_users, side="left")]
        test_sorted = (baskets[order] == last_basket) & (first_basket != last_basket)
    is_test = np.zeros(len(data), bool)
    is_test[order] = test_sorted
    if last_days is not None:
        _keep_recent_tests(data, is_test, users, last_days)
    return data.select(~is_test), data.select(is_test)


def _keep_recent_tests(data: Interactions, is_test: np.ndarray, users: np.ndarray,
                       last_days: float) -> None:
    """In place: users whose test rows start before the last ``last_days`` days go back to
    train whole."""
    start = days_before(data.timestamps.max(), last_days)
    old = np.zeros(data.n_users, bool)
    old[users[is_test & (data.timestamps < start)]] = True
    is_test &= ~old[users]


def random_split(
    data: Interactions,
    test_size: float = 0.2,
    *,
    by: Literal["interaction", "user"] = "interaction",
    random_state: int | None = None,
) -> tuple[Interactions, Interactions]:
    """A seeded random split of interactions, or of users (all of a user's rows together).

    Parameters
    ----------
    data : Interactions
    test_size : float, default 0.2
    by : {"interaction", "user"}, default "interaction"
    random_state : int, optional

    Returns
    -------
    train, test : Interactions

    Examples
    --------
    >>> from recsys import make_shop
    >>> data = make_shop(n_customers=200, n_products=40).interactions
    >>> train, test = random_split(data, 0.25, random_state=0)
    >>> len(train) + len(test) == len(data)
    True
    """
    check_float("random_split", "test_size", test_size, minimum=0, maximum=1, exclusive_min=True)
    if test_size >= 1:
        raise InvalidParameterError(
            f"random_split: test_size={test_size} leaves nothing to train on; pass a share "
            f"below 1 (e.g. 0.2).")
    check_choice("random_split", "by", by, ("interaction", "user"))
    rng = np.random.default_rng(random_state)
    if by == "interaction":
        is_test = rng.random(len(data)) < test_size
    else:
        if data.user_index is None:
            raise DataError("random_split(by='user') needs users; these interactions are baskets only.")
        chosen = rng.random(data.n_users) < test_size
        is_test = chosen[data.user_index]
    return data.select(~is_test), data.select(is_test)


def holdout_basket_items(
    data: Interactions, n: int = 1, *, min_size: int = 2, random_state: int | None = None
) -> tuple[Interactions, Interactions]:
    """Hide ``n`` random items of every basket with at least ``min_size`` items.

    Returns ``(carts, hidden)``: the visible items of those baskets, and the
    hidden ones (the truth for cart recommenders). Both keep basket ids, so
    ``carts`` grouped by basket are the queries for ``recommend_for_basket``.

    Parameters
    ----------
    data : Interactions
        With baskets.
    n : int, default 1
    min_size : int, default 2
    random_state : int, optional

    Returns
    -------
    carts, hidden : Interactions

    Examples
    --------
    >>> from recsys import make_shop
    >>> carts, hidden = holdout_basket_items(make_shop(n_customers=200, n_products=40).interactions,
    ...                                      random_state=0)
    >>> len(hidden) <= len(carts)
    True
    """
    n = check_int("holdout_basket_items", "n", n, minimum=1)
    min_size = check_int("holdout_basket_items", "min_size", min_size, minimum=n + 1)
    if data.basket_index is None:
        raise DataError("holdout_basket_items needs baskets; pass basket= to from_frame.")
    rng = np.random.default_rng(random_state)
    baskets = data.basket_index
    size = np.bincount(baskets, minlength=data.n_baskets)
    order = np.lexsort((rng.random(len(data)), baskets))
    sorted_baskets = baskets[order]
    position = rank_in_runs(sorted_baskets)
    eligible = size[sorted_baskets] >= min_size
    hidden = np.zeros(len(data), bool)
    hidden[order] = eligible & (position < n)
    in_eligible = np.zeros(len(data), bool)
    in_eligible[order] = eligible
    if not hidden.any():
        raise DataError(f"holdout_basket_items: no basket has {min_size} or more items.")
    return data.select(in_eligible & ~hidden), data.select(hidden)


def new_item_mask(train: Interactions, test: Interactions) -> np.ndarray:
    """True for test rows whose item has no interaction in ``train`` (cold-start items).

    Parameters
    ----------
    train, test : Interactions
        With the same item map (from one split).

    Returns
    -------
    numpy.ndarray of bool
        One per row of ``test``.

    Examples
    --------
    >>> from recsys import make_shop
    >>> train, test = temporal_split(make_shop(n_customers=300, n_products=60).interactions,
    ...                              last_days=30)
    >>> new_item_mask(train, test).shape == (len(test),)
    True
    """
    if train.items != test.items:
        raise DataError("new_item_mask: train and test must share the item id map (split one data set).")
    seen = np.zeros(train.n_items, bool)
    seen[train.item_index] = True
    return ~seen[test.item_index]


def _known(test: Interactions, train: Interactions) -> np.ndarray:
    if test.user_index is None:
        return np.ones(len(test), bool)
    present = np.zeros(train.n_users, bool)
    present[train.user_index] = True
    return present[test.user_index]


def _need_times(data: Interactions, what: str) -> None:
    if not isinstance(data, Interactions):
        raise DataError(f"{what} expects recsys.Interactions, got {type(data).__name__}.")
    if data.timestamps is None:
        raise DataError(
            f"{what} needs timestamps; build the interactions with timestamp='<column>'."
        )


def validation_split(data: Interactions, share: float = 0.1, *, random_state: int | None = 0,
                     min_customers: int = 20) -> tuple[Interactions, Interactions]:
    """A validation split carved out of training data, shaped like a temporal test: the
    newest ``share`` of the rows, or each customer's newest row when that leaves fewer than
    ``min_customers`` customers with a history before it (a log whose customers come and go
    in bursts); a seeded random share of the rows without timestamps.

    What the default Hybrid's check and :func:`recsys.tune` validate on: only ``data`` is
    read, so a test split kept apart is never seen.

    >>> import recsys
    >>> data = recsys.make_shop(n_customers=200, n_products=40, seed=1).interactions
    >>> inner, held = validation_split(data)
    >>> bool(len(inner) + len(held) == len(data) and inner.timestamps.max() <= held.timestamps.min())
    True
    """
    check_float("validation_split", "share", share, minimum=0, maximum=1, exclusive_min=True)
    if data.timestamps is None:
        is_held = np.random.default_rng(random_state).random(len(data)) < share
        return data.select(~is_held), data.select(is_held)
    times = data.timestamps.astype(np.int64)
    is_held = times >= np.quantile(times, 1.0 - share, method="higher")
    inner, held = data.select(~is_held), data.select(is_held)
    if data.user_index is None or len(returning_customers(inner, held)) >= min_customers:
        return inner, held
    return leave_last_out(data, n=1, by="time")


def returning_customers(train: Interactions, test: Interactions) -> np.ndarray:
    """Indices of the customers in ``test`` who have rows in ``train`` (the id maps are
    shared by a split)."""
    known = np.bincount(train.user_index, minlength=train.n_users) > 0
    return np.unique(test.user_index[known[test.user_index]])


def held_out_truth(inner: Interactions, held: Interactions, limit: int,
                   random_state: int | None = 0) -> tuple[np.ndarray, pd.DataFrame]:
    """(ids, truth) of at most ``limit`` held-out customers who have a history in ``inner``
    (a seeded sample above it), and their held-out ``user_id``/``item_id`` rows: what a
    validation scores on (the default Hybrid's check, :func:`recsys.tune`)."""
    customers = returning_customers(inner, held)
    if len(customers) > limit:
        chosen = np.random.default_rng(random_state).choice(customers, limit, replace=False)
        customers = np.sort(chosen)
    truth = held.select(np.isin(held.user_index, customers)).to_frame()[["user_id", "item_id"]]
    return held.users.ids[customers], truth

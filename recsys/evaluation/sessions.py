"""The next-item protocol of session-based recommendation: at every position of held-out
sessions, the products so far are the query and the next product the answer.

:func:`next_item` gives the hit rate (the next product among the ``k`` recommended) and the
mean reciprocal rank over every position, the measures of the published comparisons of
session-based models (Ludewig & Jannach 2018: HR@20, MRR@20). A product the visitor already
had in the session is not a next product to find (``repeats=False``, the default): the
models leave a session's own products out of their answers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from recsys._engine.params import check_bool, check_float, check_int
from recsys.data.frames import as_pandas
from recsys.exceptions import DataError

__all__ = ["next_item", "positions"]


def next_item(model: Any, sessions: Any, k: int = 20, *, session: str = "session_id",
              item: str = "product_id", timestamp: str | None = "timestamp",
              decay: float = 0.5, repeats: bool = False,
              max_positions: int | None = None) -> dict[str, float]:
    """HR@k and MRR@k of ``model`` over every position of the held-out ``sessions``.

    Parameters
    ----------
    model : Recommender
        A fitted model that answers sessions (``recommend_for_session``).
    sessions : DataFrame
        The held-out events: a session id, a product, and (to order them) a time.
    k : int, default 20
        The length of each answer.
    session, item, timestamp : str
        The columns (``timestamp=None``: the rows' order).
    decay : float, default 0.5
        The session weighting passed to ``recommend_for_session``.
    repeats : bool, default False
        Count positions whose next product is already in the session (False: they are
        skipped, and the session's products are left out of the answers).
    max_positions : int, optional
        Evaluate at most this many positions (the first ones, in session order).

    Returns
    -------
    dict
        ``hit_rate``, ``mrr`` and ``positions`` (how many were asked).

    Raises
    ------
    DataError
        Missing columns, or no session with two products.

    Examples
    --------
    >>> import pandas as pd
    >>> from recsys import Interactions
    >>> from recsys.models.session_knn import SessionKNN
    >>> past = pd.DataFrame({"session_id": [1, 1, 2, 2, 3, 3],
    ...                      "product_id": ["tea", "mug", "tea", "mug", "jam", "bread"]})
    >>> model = SessionKNN().fit(Interactions.from_frame(past, user=None, item="product_id",
    ...                                                  basket="session_id"))
    >>> later = pd.DataFrame({"session_id": [9, 9], "product_id": ["tea", "mug"]})
    >>> next_item(model, later, k=2, timestamp=None)
    {'hit_rate': 1.0, 'mrr': 1.0, 'positions': 1}
    """
    k = check_int("next_item", "k", k, minimum=1)
    check_float("next_item", "decay", decay, minimum=0, maximum=1, exclusive_min=True)
    repeats = check_bool("next_item", "repeats", repeats)
    prefixes, targets = positions(sessions, session=session, item=item, timestamp=timestamp,
                                  repeats=repeats)
    if max_positions is not None:
        limit = check_int("next_item", "max_positions", max_positions, minimum=1)
        prefixes, targets = prefixes[:limit], targets[:limit]
    answer = model.recommend_for_session(prefixes, k=k, decay=decay,
                                         exclude_session=not repeats, on_unknown="skip")
    found = np.full(len(targets), -1)
    ids = answer.items.to_ids(np.maximum(answer.item_index, 0))
    hit = (ids == np.asarray(targets, dtype=ids.dtype)[:, None]) & (answer.item_index >= 0)
    rows, ranks = np.nonzero(hit)
    found[rows] = ranks
    reciprocal = np.where(found >= 0, 1.0 / (np.maximum(found, 0) + 1), 0.0)
    return {"hit_rate": float((found >= 0).mean()), "mrr": float(reciprocal.mean()),
            "positions": len(targets)}


def positions(sessions: Any, *, session: str = "session_id", item: str = "product_id",
              timestamp: str | None = "timestamp",
              repeats: bool = False) -> tuple[list[list], np.ndarray]:
    """Every (products so far, next product) of the sessions, in session order: the questions
    :func:`next_item` asks, for scoring a model that is not a recsys model the same way.

    Parameters
    ----------
    sessions : DataFrame
        The events: a session id, a product, and (to order them) a time.
    session, item, timestamp : str
        The columns (``timestamp=None``: the rows' order).
    repeats : bool, default False
        Keep the positions whose next product is already in the session.

    Returns
    -------
    tuple of (list of list, numpy.ndarray)
        The products so far at each position, and the next product.

    Raises
    ------
    DataError
        Missing columns, or no session with a next product.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({"session_id": [1, 1, 1], "product_id": ["tea", "mug", "jam"]})
    >>> asked, answers = positions(events, timestamp=None)
    >>> asked, answers.tolist()
    ([['tea'], ['tea', 'mug']], ['mug', 'jam'])
    """
    frame = as_pandas(sessions, "next_item: sessions")
    wanted = [c for c in (session, item, timestamp) if c is not None]
    absent = [c for c in wanted if c not in frame.columns]
    if absent:
        raise DataError(f"next_item: no column {absent[0]!r} in the sessions; they have "
                        f"{list(frame.columns)}. Name them with session=, item=, timestamp=.")
    order = [session, timestamp] if timestamp is not None else [session]
    frame = frame[wanted].reset_index(drop=True).sort_values(order, kind="stable")
    codes = pd.factorize(frame[session])[0]
    items = frame[item].to_numpy()
    start = np.r_[0, np.flatnonzero(np.diff(codes)) + 1]
    lengths = np.diff(np.r_[start, len(codes)])
    prefixes, targets = [], []
    for first, length in zip(start.tolist(), lengths.tolist(), strict=True):
        events = items[first:first + length].tolist()
        for position in range(1, length):
            if not repeats and events[position] in events[:position]:
                continue
            prefixes.append(events[:position])
            targets.append(events[position])
    if not targets:
        raise DataError("next_item: no session has a next product to find (each needs two "
                        "products, the second new to it).")
    return prefixes, np.asarray(targets)

"""When to send: each customer's preferred weekday and hour, read from the times of their
orders and shrunk towards the shop's own pattern, so that a customer with one order is not
mailed at 3 a.m. because they once bought then."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys._engine.params import check_float
from recsys.data.dates import parse_timestamps
from recsys.data.frames import as_pandas, like
from recsys.data.ids import clean_ids
from recsys.exceptions import DataError

__all__ = ["send_times"]

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def send_times(orders: pd.DataFrame, *, customer: str = "customer_id",
               timestamp: str = "timestamp", strength: float = 5.0) -> pd.DataFrame:
    """``weekday`` (0 Monday .. 6 Sunday, and its name) and ``hour`` (0-23) to mail each
    customer, and the ``orders`` they are read from.

    A customer's share of orders in a bin (a weekday, an hour) is shrunk towards the shop's:
    ``(n_bin + strength * shop_share_bin) / (n + strength)``, and the bin with the largest
    share is the pick; with few orders the shop's busiest time wins, with many the
    customer's own. Times are read as the shop's local time (give local times).

    Parameters
    ----------
    orders : DataFrame (pandas, polars, pyarrow)
        One row per order line (or order).
    customer, timestamp : str
        Its customer id and time columns.
    strength : float, default 5.0
        How many orders' worth of the shop's pattern a customer's own is shrunk towards.

    Returns
    -------
    DataFrame
        Indexed by customer id (a column in polars and pyarrow): ``weekday``,
        ``weekday_name``, ``hour``, ``orders``; in the kind of ``orders``.

    Raises
    ------
    DataError
        A missing column, missing ids, times that do not parse.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": [1] * 6 + [2],
    ...                        "timestamp": ["2026-01-05 20:10"] * 6 + ["2026-01-07 03:00"]})
    >>> table = send_times(pd.concat([orders, pd.DataFrame({
    ...     "customer_id": [3] * 20, "timestamp": ["2026-01-06 09:00"] * 20})]))
    >>> table.loc[1, "weekday_name"], int(table.loc[1, "hour"]), int(table.loc[2, "hour"])
    ('Monday', 20, 9)
    """
    given, orders = orders, as_pandas(orders, "send_times", [customer, timestamp])
    strength = check_float("send_times", "strength", strength, minimum=0)
    absent = [c for c in (customer, timestamp) if c not in orders.columns]
    if absent:
        raise DataError(f"send_times: no column {absent[0]!r} in the orders; they have "
                        f"{list(orders.columns)}.")
    ids = clean_ids(orders[customer], f"orders[{customer!r}]")
    times = pd.DatetimeIndex(parse_timestamps(orders[timestamp], timestamp))
    customers, code = np.unique(ids, return_inverse=True)
    code = code.ravel()
    weekday = _preferred(code, times.day_of_week.to_numpy(), 7, strength)
    hour = _preferred(code, times.hour.to_numpy(), 24, strength)
    out = pd.DataFrame({"weekday": weekday, "weekday_name": np.asarray(WEEKDAYS)[weekday],
                        "hour": hour, "orders": np.bincount(code)},
                       index=pd.Index(customers, name=customer))
    return like(out, given)


def _preferred(code: np.ndarray, bins: np.ndarray, n_bins: int, strength: float) -> np.ndarray:
    """Per customer, the bin of largest shrunk share: among the bins they ordered in, or the
    shop's busiest bin (every other bin scores only its shop share, the busiest the most)."""
    shop = np.bincount(bins, minlength=n_bins) / len(bins)
    cells, counts = np.unique(code.astype(np.int64) * n_bins + bins, return_counts=True)
    owner, cell_bin = cells // n_bins, cells % n_bins
    score = counts + strength * shop[cell_bin]
    # the best of each customer's own bins (sorted by customer, then score, then lower bin)
    order = np.lexsort((cell_bin, -score, owner))
    first = np.ones(len(order), bool)
    first[1:] = owner[order][1:] != owner[order][:-1]
    best_bin, best_score = cell_bin[order][first], score[order][first]
    busiest = int(np.argmax(shop))
    # the busiest bin scores at least its prior share for everyone
    busiest_score = strength * shop[busiest]
    return np.where(best_score >= busiest_score, best_bin, busiest).astype(np.int64)

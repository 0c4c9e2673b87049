"""An order log as the buy-till-you-die models read it: per customer, the number of repeat
purchases (``frequency``), the age of the last one (``recency``), the customer's age at the
end of the calibration period (``T``) and the mean value of the repeat purchases
(``monetary_value``), in a unit of time of the caller's choosing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.data.amounts import parse_amounts
from recsys.data.dates import parse_date, parse_timestamps
from recsys.data.frames import as_pandas, like
from recsys.data.ids import clean_ids
from recsys.exceptions import DataError, InvalidParameterError

__all__ = ["summary", "UNITS"]

#: units of time: their length in days
UNITS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12, "Y": 365.25}


def summary(orders: pd.DataFrame, *, customer: str = "customer_id",
            timestamp: str = "timestamp", amount: str | None = None, unit: str = "W",
            end: object = None, date_format: str | None = None) -> pd.DataFrame:
    """``frequency``, ``recency``, ``T`` (and ``monetary_value`` with ``amount``) per customer.

    The conventions of the buy-till-you-die literature (Fader, Hardie & Lee 2005): a purchase
    is a customer's day with orders (several orders on one day are one purchase, their amounts
    added up); ``frequency`` counts the purchases after the first, ``recency`` is the time from
    the first purchase to the last, ``T`` from the first purchase to ``end``, and
    ``monetary_value`` the mean amount of the repeat purchases (0 without any).

    Parameters
    ----------
    orders : DataFrame
        One row per order line (never modified); pandas, polars or pyarrow.
    customer, timestamp : str
        The customer id and order time columns.
    amount : str, optional
        The amount column (monetary value).
    unit : {"D", "W", "M", "Y"}, default "W"
        The unit of ``recency`` and ``T``: days, weeks, months (of 365.25 / 12 days), years.
    end : date, optional
        The end of the calibration period (inclusive, a day): orders after it are left out.
        Default: the day of the last order.
    date_format : str, optional
        The format of text times (``"%Y%m%d"`` for 19970101).

    Returns
    -------
    DataFrame
        Indexed by customer id.

    Raises
    ------
    DataError
        A column is missing, amounts are not numbers, or no order is on or before ``end``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": [1, 1, 1, 2],
    ...                        "timestamp": ["2026-01-01", "2026-01-08", "2026-01-15", "2026-01-08"],
    ...                        "amount": [10.0, 20.0, 30.0, 5.0]})
    >>> table = summary(orders, amount="amount", end="2026-01-29")
    >>> table.loc[1].tolist(), table.loc[2].tolist()
    ([2.0, 2.0, 4.0, 25.0], [0.0, 0.0, 3.0, 0.0])
    """
    given, orders = orders, as_pandas(orders, "summary")
    if unit not in UNITS:
        raise InvalidParameterError(f"summary: unit must be one of {', '.join(UNITS)} (days, "
                                    f"weeks, months, years); got {unit!r}.", param="unit")
    wanted = [c for c in (customer, timestamp, amount) if c is not None]
    absent = [c for c in wanted if c not in orders.columns]
    if absent:
        raise DataError(f"summary: no column {absent[0]!r} in the orders; they have "
                        f"{list(orders.columns)}. Name the columns with customer=, timestamp=, "
                        f"amount=.")
    ids = clean_ids(orders[customer], f"orders[{customer!r}]")
    days = parse_timestamps(orders[timestamp], timestamp, date_format).astype(
        "datetime64[D]").astype(np.int64)
    edge = int(days.max()) if end is None else int(
        parse_date(end, "summary: end").astype("datetime64[D]").astype(np.int64))
    keep = days <= edge
    if not keep.any():
        raise DataError(f"summary: no order is on or before end={end!r}.")
    frame = pd.DataFrame({"customer": ids[keep], "day": days[keep]})
    if amount is not None:
        frame["amount"] = parse_amounts(orders[amount], amount)[keep]
    return like(_per_customer(frame, edge, UNITS[unit], customer, amount is not None), given)


def _per_customer(frame: pd.DataFrame, edge: int, unit_days: float, name: str,
                  with_amounts: bool) -> pd.DataFrame:
    """The four columns from (customer, day[, amount]) rows, one purchase a customer-day."""
    days = frame.groupby(["customer", "day"], sort=True)
    purchases = days["amount"].sum().reset_index() if with_amounts else \
        days.size().reset_index()[["customer", "day"]]
    by_customer = purchases.groupby("customer", sort=True)
    first, last = by_customer["day"].min(), by_customer["day"].max()
    out = pd.DataFrame({"frequency": by_customer.size() - 1,
                        "recency": (last - first) / unit_days,
                        "T": (edge - first) / unit_days})
    if with_amounts:
        total, first_amount = by_customer["amount"].sum(), by_customer["amount"].first()
        repeats = out["frequency"].to_numpy()
        spent = (total - first_amount).to_numpy()
        out["monetary_value"] = np.divide(spent, repeats, out=np.zeros(len(out)),
                                          where=repeats > 0)
    out.index.name = name
    return out

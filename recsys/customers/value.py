"""Each customer's value from an order log in one call: the probability they are still a
customer, their expected purchases and value over a horizon, and a value segment ("valuable,
slipping away") for the campaign to act on."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys._engine.params import check_float
from recsys.customers.models import BetaGeo, GammaGamma, clv
from recsys.customers.summary import summary
from recsys.data.frames import as_pandas, like
from recsys.exceptions import DataError

__all__ = ["value_table", "VALUE_SEGMENTS", "TOP_SHARE", "GONE_BELOW", "SLIPPING_BELOW"]

#: the value segments, most urgent first
VALUE_SEGMENTS = ("valuable, slipping away", "valuable, active", "steady", "likely gone")
#: "valuable": the customers whose expected value is in this top share
TOP_SHARE = 0.2
#: below this probability of being alive a customer is "likely gone" ...
GONE_BELOW = 0.3
#: ... and a valuable customer below this one is "slipping away"
SLIPPING_BELOW = 0.7


def value_table(orders: pd.DataFrame, *, customer: str = "customer_id",
                timestamp: str = "timestamp", amount: str | None = None,
                price: str | None = "price", quantity: str | None = "quantity",
                as_of: object = None, horizon_days: float = 365.0,
                discount: float = 0.0) -> pd.DataFrame:
    """``probability_alive``, ``expected_purchases`` and (with amounts) ``expected_value`` and
    ``clv`` over the next ``horizon_days``, and ``value_segment``, per customer.

    The BG/NBD and Gamma-Gamma models are fitted on the log up to ``as_of`` (in weeks);
    amounts come from ``amount``, else ``price * quantity`` when both columns are there, else
    the table has no money columns and ranks by expected purchases. ``value_segment``: the top
    :data:`TOP_SHARE` by expected value are "valuable" ("slipping away" below
    :data:`SLIPPING_BELOW` probability alive, else "active"), customers below
    :data:`GONE_BELOW` are "likely gone", the rest "steady".

    Parameters
    ----------
    orders : DataFrame (pandas, polars, pyarrow)
        One row per order line.
    customer, timestamp : str
        Its customer id and time columns.
    amount, price, quantity : str, optional
        The money: an amount column, else price x quantity.
    as_of : date-like, optional
        The end of the log the models learn from (default: its last order).
    horizon_days : float, default 365
    discount : float, default 0
        A discount rate per step of the CLV sum.

    Returns
    -------
    DataFrame
        Per customer (indexed by id; a column in polars and pyarrow), in the kind of
        ``orders``; ``attrs["params"]`` holds the fitted parameters.

    Examples
    --------
    >>> from recsys import make_shop
    >>> shop = make_shop(n_customers=300, n_products=40, seed=0)
    >>> table = value_table(shop.orders)
    >>> sorted(table.columns)[:3]
    ['clv', 'expected_purchases', 'expected_value']
    >>> set(table["value_segment"]) <= set(VALUE_SEGMENTS)
    True
    """
    given, orders = orders, as_pandas(orders, "value_table")
    check_float("value_table", "horizon_days", horizon_days, minimum=0, exclusive_min=True)
    money = _amounts(orders, amount, price, quantity)
    frame = orders if money is None else orders.assign(_amount=money)
    table = summary(frame, customer=customer, timestamp=timestamp,
                    amount=None if money is None else "_amount", unit="W", end=as_of)
    purchases = BetaGeo().fit(table)
    weeks = horizon_days / 7.0
    out = pd.DataFrame({"probability_alive": purchases.probability_alive(table),
                        "expected_purchases": purchases.expected_purchases(table, weeks)})
    ranked = out["expected_purchases"]
    if money is not None:
        value = GammaGamma().fit(table)
        out["expected_value"] = value.expected_value(table)
        out["clv"] = clv(purchases, value, table, horizon=weeks, step=weeks / 12,
                         discount=discount)
        ranked = out["clv"]
    out["value_segment"] = _segments(ranked.to_numpy(), out["probability_alive"].to_numpy())
    out.attrs["params"] = {"BetaGeo": purchases.params_,
                           **({"GammaGamma": value.params_} if money is not None else {})}
    return like(out, given)


def _amounts(orders: pd.DataFrame, amount: str | None, price: str | None,
             quantity: str | None) -> np.ndarray | None:
    if amount is not None:
        if amount not in orders.columns:
            raise DataError(f"value_table: no column {amount!r}; the orders have "
                            f"{list(orders.columns)}.")
        return pd.to_numeric(orders[amount], errors="raise").to_numpy(np.float64)
    if price in orders.columns and quantity in orders.columns:
        return (pd.to_numeric(orders[price], errors="raise")
                * pd.to_numeric(orders[quantity], errors="raise")).to_numpy(np.float64)
    return None


def _segments(value: np.ndarray, alive: np.ndarray) -> np.ndarray:
    top = value >= np.quantile(value, 1 - TOP_SHARE)
    return np.select([top & (alive < SLIPPING_BELOW), top, alive < GONE_BELOW],
                     list(VALUE_SEGMENTS[:2]) + [VALUE_SEGMENTS[3]], VALUE_SEGMENTS[2])

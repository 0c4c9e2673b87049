"""Per-customer outcomes of a campaign window: orders, revenue, whether a pick was bought.

Every step is vectorised over order lines (sorts, factorisations and bincounts), so ten
million lines and a million customers take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._arrays import in_sorted, unique
from .._ids import clean_ids
from ..data import parse_timestamps
from ..exceptions import DataError

__all__ = ["OrderColumns", "Outcomes", "customer_outcomes", "match_ids"]

#: separates the product ids of a customer's picks in the assignments table
PICK_SEPARATOR = "|"


@dataclass(frozen=True)
class OrderColumns:
    """Which columns of the order lines hold what (``None``: not in the data)."""

    customer: str = "customer_id"
    order: str | None = "order_id"
    timestamp: str = "timestamp"
    item: str | None = "product_id"
    amount: str | None = None
    price: str | None = "price"
    quantity: str | None = "quantity"


@dataclass
class Outcomes:
    """Per customer of the assignments table (same order)."""

    orders: np.ndarray
    revenue: np.ndarray | None
    bought_pick: np.ndarray | None
    lines_in_window: int
    notes: list[str] = field(default_factory=list)


def match_ids(known: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Position of each of ``ids`` in ``known`` (-1 when absent). Int and string ids are
    compared as text, so ``17850`` matches ``"17850"`` instead of silently matching nothing."""
    if known.dtype.kind != ids.dtype.kind:
        known, ids = known.astype(str), ids.astype(str)
    return pd.Index(known).get_indexer(ids)


def _window(orders: pd.DataFrame, column: str, start: np.datetime64,
            end: np.datetime64) -> np.ndarray:
    times = parse_timestamps(orders[column], column)
    return np.flatnonzero((times >= start) & (times < end))


def _order_counts(lines: pd.DataFrame, cols: OrderColumns, customer: np.ndarray, n: int,
                  notes: list[str]) -> np.ndarray:
    """Distinct orders per customer (order ids, else distinct order times)."""
    if cols.order is not None and cols.order in lines.columns:
        codes, labels = pd.factorize(lines[cols.order])
        what = None
    else:
        codes, labels = pd.factorize(lines[cols.timestamp])
        what = "orders: no order id column, so each distinct (customer, time) is one order"
    if what:
        notes.append(what)
    if (codes < 0).any():
        raise DataError(f"order id column {cols.order!r} has missing values in the window; "
                        f"fill or drop them.")
    keys = unique(customer.astype(np.int64) * max(len(labels), 1) + codes)
    return np.bincount(keys // max(len(labels), 1), minlength=n).astype(np.float64)


def _line_amounts(lines: pd.DataFrame, cols: OrderColumns, notes: list[str]) -> np.ndarray | None:
    """Spend per line: ``amount``, else ``price * quantity``, else ``price``; None without one."""
    def numbers(name: str) -> np.ndarray:
        values = pd.to_numeric(lines[name], errors="coerce").to_numpy(dtype=np.float64)
        if not np.isfinite(values).all():
            raise DataError(f"column {name!r} has {int((~np.isfinite(values)).sum())} value(s) "
                            f"that are not finite numbers in the window; fix or drop them.")
        return values

    if cols.amount is not None:
        if cols.amount not in lines.columns:
            raise DataError(f"the orders have no amount column {cols.amount!r}; they have "
                            f"{list(lines.columns)}.")
        return numbers(cols.amount)
    has_price = cols.price is not None and cols.price in lines.columns
    if has_price and cols.quantity is not None and cols.quantity in lines.columns:
        return numbers(cols.price) * numbers(cols.quantity)
    if has_price:
        notes.append(f"revenue: {cols.price!r} per line (no quantity column)")
        return numbers(cols.price)
    notes.append("revenue: no amount or price column, so revenue metrics are left out")
    return None


def _as_integers(tokens: np.ndarray) -> np.ndarray:
    """Picked product ids as int64 (-1 where a token is not a plain integer)."""
    try:
        return tokens.astype(np.int64)  # C-speed when every token is a number
    except ValueError:
        parsed = pd.to_numeric(pd.Series(tokens, dtype=object), errors="coerce").to_numpy()
        whole = np.isfinite(parsed) & (parsed == np.round(parsed)) & (parsed >= 0)
        return np.where(whole, np.nan_to_num(parsed), -1).astype(np.int64)


def _picked(assignments: pd.DataFrame, lines: pd.DataFrame, cols: OrderColumns,
            customer: np.ndarray, n: int) -> np.ndarray | None:
    """Whether each customer bought at least one of their picks in the window."""
    if "picks" not in assignments.columns or cols.item is None or cols.item not in lines.columns:
        return None
    buyers = np.flatnonzero(np.bincount(customer, minlength=n))  # only their picks matter
    text = assignments["picks"].iloc[buyers].fillna("").astype(str).to_numpy(dtype=str)
    counts = np.where(text != "", np.char.count(text, PICK_SEPARATOR) + 1, 0)
    joined = PICK_SEPARATOR.join(text[counts > 0].tolist())
    tokens = np.asarray(joined.split(PICK_SEPARATOR) if joined else [], dtype=str)
    pick_customer = np.repeat(buyers.astype(np.int64), counts)
    bought = lines[cols.item]
    if pd.api.types.is_integer_dtype(bought.dtype):  # compare as numbers: no 10M str casts
        pick_customer, picked = pick_customer, _as_integers(tokens)
        ok = picked >= 0
        pick_customer, picked = pick_customer[ok], picked[ok]
        bought_values = bought.to_numpy(dtype=np.int64)
    else:
        picked = tokens.astype(object)
        bought_values = bought.astype(str).to_numpy(dtype=object)
    codes, _ = pd.factorize(np.concatenate([picked, bought_values]))
    width = int(codes.max(initial=0)) + 1
    pick_keys = unique(pick_customer * width + codes[:len(picked)])
    bought_keys = customer.astype(np.int64) * width + codes[len(picked):]
    hit = in_sorted(pick_keys, bought_keys)
    return np.bincount(customer[hit], minlength=n) > 0


def customer_outcomes(assignments: pd.DataFrame, customer_ids: np.ndarray, orders: pd.DataFrame,
                      cols: OrderColumns, start: np.datetime64, end: np.datetime64) -> Outcomes:
    """Orders, revenue and bought-a-pick for each assigned customer within [start, end)."""
    for name in (cols.customer, cols.timestamp):
        if name not in orders.columns:
            raise DataError(f"the orders have no column {name!r}; they have "
                            f"{list(orders.columns)}. Name the column (customer=..., "
                            f"timestamp=...; --user-col, --time-col on the command line).")
    lines = orders.iloc[_window(orders, cols.timestamp, start, end)]
    customer = match_ids(customer_ids, clean_ids(lines[cols.customer], f"orders[{cols.customer!r}]"))
    inside = customer >= 0
    if len(lines) and not inside.any():
        raise DataError(
            f"none of the {len(lines):,} order lines in the window belong to a customer in the "
            f"assignments (orders' ids look like {lines[cols.customer].iloc[0]!r}, assignments' "
            f"like {customer_ids[0]!r}); check the customer column (--user-col).")
    lines, customer = lines[inside], customer[inside].astype(np.int64)
    n = len(customer_ids)
    notes: list[str] = []
    orders_per = _order_counts(lines, cols, customer, n, notes)
    amounts = _line_amounts(lines, cols, notes)
    revenue = None if amounts is None else np.bincount(customer, weights=amounts, minlength=n)
    return Outcomes(orders_per, revenue, _picked(assignments, lines, cols, customer, n),
                    len(lines), notes)

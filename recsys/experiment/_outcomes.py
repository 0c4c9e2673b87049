"""Per-customer outcomes of a campaign window: orders, revenue, whether a pick was bought.

Every step is vectorised over order lines (sorts, factorisations and bincounts), so ten
million lines and a million customers take seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recsys._engine.arrays import in_sorted, unique
from recsys.data.amounts import parse_amounts
from recsys.data.dates import parse_timestamps
from recsys.data.ids import clean_ids, match_ids
from recsys.exceptions import DataError

__all__ = ["OrderColumns", "Outcomes", "customer_outcomes", "pick_tokens"]

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


def _span(orders: pd.DataFrame, column: str) -> str:
    times = parse_timestamps(orders[column], column)
    return f"{str(times.min())[:10]} .. {str(times.max())[:10]}"


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
        return parse_amounts(lines[name], name)

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


def pick_tokens(assignments: pd.DataFrame, rows: np.ndarray) -> tuple[str, np.ndarray]:
    """The picked product ids of the customers at ``rows`` of the assignments, joined into one
    text by the separator, and how many each has (the one parser of the picks field)."""
    text = assignments["picks"].iloc[rows].fillna("").astype(str)
    filled = (text != "").to_numpy()
    counts = np.where(filled, text.str.count(re.escape(PICK_SEPARATOR)).to_numpy() + 1, 0)
    return PICK_SEPARATOR.join(text[filled].tolist()), counts.astype(np.int64)


def _parse_integers(joined: str) -> np.ndarray | None:
    """``"12|7|305"`` -> [12, 7, 305] by numpy's C text parser; None unless every token is 1
    to 18 plain digits (checked first, so the parser never stops early or overflows)."""
    try:
        buf = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError:
        return None
    separator = buf == ord(PICK_SEPARATOR)
    if len(buf) == 0 or not (((buf - np.uint8(ord("0"))) <= 9) | separator).all():
        return None
    bounds = np.concatenate([[-1], np.flatnonzero(separator), [len(buf)]])
    lengths = np.diff(bounds) - 1
    if lengths.min() < 1 or lengths.max() > 18:
        return None
    return np.fromstring(joined.replace(PICK_SEPARATOR, " "), dtype=np.int64, sep=" ")


def _comparable(joined: str, bought: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Picks and bought products as int64 values that are equal exactly when the ids are."""
    if pd.api.types.is_integer_dtype(bought.dtype):  # compare as numbers: no 10M str casts
        picked = _parse_integers(joined)
        if picked is None:
            picked = _as_integers(np.asarray(joined.split(PICK_SEPARATOR), dtype=str))
        return np.where(picked >= 0, picked, np.iinfo(np.int64).min), bought.to_numpy(np.int64)
    tokens = np.asarray(joined.split(PICK_SEPARATOR), dtype=object)
    codes, _ = pd.factorize(np.concatenate([tokens, bought.astype(str).to_numpy(dtype=object)]))
    return codes[:len(tokens)].astype(np.int64), codes[len(tokens):].astype(np.int64)


#: above this many picks per customer, membership goes through sorted keys instead of a grid
_GRID_WIDTH = 64


def _picked(assignments: pd.DataFrame, lines: pd.DataFrame, cols: OrderColumns,
            customer: np.ndarray, n: int) -> np.ndarray | None:
    """Whether each customer bought at least one of their picks in the window."""
    if "picks" not in assignments.columns or cols.item is None or cols.item not in lines.columns:
        return None
    buyers = np.flatnonzero(np.bincount(customer, minlength=n))  # only their picks matter
    joined, counts = pick_tokens(assignments, buyers)
    width = int(counts.max(initial=0))
    if width == 0:
        return np.zeros(n, bool)
    picked, bought = _comparable(joined, lines[cols.item])
    row_of = np.full(n, -1, np.int64)
    row_of[buyers] = np.arange(len(buyers))
    if width > _GRID_WIDTH:  # long lists: (row, product) keys, sorted once
        codes, labels = pd.factorize(np.concatenate([picked, bought]))
        span = max(len(labels), 1)
        owner = np.repeat(np.arange(len(buyers), dtype=np.int64), counts)
        hit = in_sorted(unique(owner * span + codes[:len(picked)]),
                        row_of[customer] * span + codes[len(picked):])
    else:
        # each buyer's picks in a row of a (buyers x width) grid: a line is a hit when its
        # product equals any cell of its customer's row (linear, no sort of the lines)
        grid = np.full((len(buyers), width), np.iinfo(np.int64).min, np.int64)
        starts = np.cumsum(counts) - counts
        grid[np.repeat(np.arange(len(buyers)), counts),
             np.arange(len(picked)) - np.repeat(starts, counts)] = picked
        rows = row_of[customer]
        hit = np.empty(len(customer), bool)
        step = max(1, 4_000_000 // width)  # bounded memory: step x width cells at a time
        for lo in range(0, len(customer), step):
            part = slice(lo, lo + step)
            hit[part] = (grid[rows[part]] == bought[part, None]).any(axis=1)
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
    if not len(lines):
        span = ("the orders are empty" if not len(orders) else
                f"the orders span {_span(orders, cols.timestamp)}")
        raise DataError(
            f"no order line falls in the window {str(start)[:16]} .. {str(end)[:16]} ({span}): "
            f"a readout of it would be all zeros. Check the window's dates (--from, --to: the "
            f"year?) and the orders file.")
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

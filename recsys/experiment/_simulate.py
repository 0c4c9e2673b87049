"""Simulated responses to a send, with a known true uplift (for the demo, tests and planning)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from recsys._engine.params import check_float
from recsys.data.dates import parse_date
from recsys.data.ids import clean_ids
from recsys.exceptions import DataError
from recsys.experiment._assign import CONTROL
from recsys.experiment._outcomes import PICK_SEPARATOR, pick_tokens

__all__ = ["simulate_response"]


def _base_rates(assignments: pd.DataFrame, base_rate: float,
                segment_rates: Mapping[str, float] | None) -> np.ndarray:
    rates = np.full(len(assignments), float(base_rate))
    if segment_rates:
        if "segment" not in assignments.columns:
            raise DataError("segment_rates needs a segment column in the assignments.")
        mapped = assignments["segment"].map(dict(segment_rates)).to_numpy(dtype=np.float64)
        rates = np.where(np.isnan(mapped), rates, mapped)
    if (rates < 0).any() or (rates > 1).any():
        raise DataError("base conversion rates must lie in [0, 1].")
    return rates


def _uplifts(conversion_uplift: Any, ids: np.ndarray) -> np.ndarray | float:
    """The uplift of each customer: one number for all, or a Series by customer id (the
    customers it lacks: none)."""
    if not isinstance(conversion_uplift, pd.Series):
        return check_float("simulate_response", "conversion_uplift", conversion_uplift,
                           minimum=-1, maximum=1)
    index = clean_ids(conversion_uplift.index, "conversion_uplift's index (customer ids)")
    if len(index) and index.dtype.kind != ids.dtype.kind:
        raise DataError("simulate_response: conversion_uplift is indexed by ids of another "
                        "type than the assignments' customer ids.")
    values = pd.Series(conversion_uplift.to_numpy(np.float64), index=index)
    if not values.between(-1, 1).all():
        raise DataError("simulate_response: conversion_uplift's values must lie in [-1, 1].")
    return values[~values.index.duplicated()].reindex(ids).fillna(0.0).to_numpy()


def _pick_lists(assignments: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flattened picks with each customer's offset and count (empty without a picks column)."""
    n = len(assignments)
    if "picks" not in assignments.columns:
        return np.empty(0, dtype=object), np.zeros(n, np.int64), np.zeros(n, np.int64)
    joined, counts = pick_tokens(assignments, np.arange(n))
    tokens = np.asarray(joined.split(PICK_SEPARATOR) if joined else [], dtype=object)
    return tokens, np.concatenate([[0], np.cumsum(counts)[:-1]]), counts


def _products(tokens: np.ndarray, products: Any) -> np.ndarray:
    if products is not None:
        catalogue = np.asarray(list(products), dtype=object)
    else:
        catalogue = np.asarray([f"X{i:04d}" for i in range(1, 201)], dtype=object)
    if len(catalogue) == 0:
        raise DataError("simulate_response needs at least one product.")
    return catalogue


def _truth(p0: np.ndarray, p1: np.ndarray, extra_orders: float, order_value: float,
           value_uplift: float) -> dict[str, float]:
    orders = 1.0 + extra_orders
    return {"conversion_rate": float(np.mean(p1 - p0)),
            "orders_per_customer": float(np.mean(p1 - p0) * orders),
            "revenue_per_customer": float(np.mean(p1 * (1 + value_uplift) - p0) * orders
                                          * order_value),
            "average_order_value": order_value * value_uplift}


def simulate_response(assignments: pd.DataFrame, *, start: Any, days: float = 14,
                      base_rate: float = 0.1, segment_rates: Mapping[str, float] | None = None,
                      conversion_uplift: float | pd.Series = 0.0,
                      extra_orders: float = 0.3,
                      order_value: float = 40.0, value_sigma: float = 1.0,
                      value_uplift: float = 0.0, pick_rate: tuple[float, float] = (0.05, 0.3),
                      products: Any = None, control: str = CONTROL,
                      seed: int | None = None) -> tuple[pd.DataFrame, dict[str, float]]:
    """Orders that follow a send, drawn with a known true effect of being treated.

    Each customer converts with probability ``base_rate`` (or their segment's rate), plus
    ``conversion_uplift`` when in an arm other than ``control``. A converter places
    ``1 + Poisson(extra_orders)`` orders of one line each, of lognormal value with mean
    ``order_value`` (``* (1 + value_uplift)`` when treated; ``value_sigma`` sets the heavy
    tail). An order holds one of the customer's picks with probability ``pick_rate[0]``
    (control) or ``pick_rate[1]`` (treated), else a random product.

    Parameters
    ----------
    assignments : pandas.DataFrame
        ``customer_id`` and ``arm`` (as :func:`~recsys.experiment.assign` writes), with each
        customer's picks in a ``picks`` column when ``pick_rate`` should matter (as the picks
        file of ``recsys picks --control`` holds them).
    start : date-like
        When the send happened; orders fall in the ``days`` after it.
    days : float, default 14
        The window of the orders.
    base_rate : float, default 0.1
        Every customer's chance to convert without treatment.
    segment_rates : dict, optional
        A base rate per segment (the assignments' ``segment`` column).
    conversion_uplift : float or pandas.Series, default 0.0
        The absolute rise of the chance to convert when treated: one for everyone, or each
        customer's own (a Series indexed by customer id; customers it lacks: 0), for a
        campaign whose effect differs between customers.
    extra_orders : float, default 0.3
        The mean of the Poisson count of orders after the first.
    order_value : float, default 40.0
        The mean value of an order.
    value_sigma : float, default 1.0
        The lognormal sigma of order values (the tail).
    value_uplift : float, default 0.0
        The relative rise of order values when treated.
    pick_rate : tuple of float, default (0.05, 0.3)
        The chance an order holds one of the customer's picks, in control and when treated.
    products : array-like, optional
        The catalogue the products of orders without a pick are drawn from (default: 200
        numbered products, ``X0001`` to ``X0200``).
    control : str, default "control"
        The control arm's name.
    seed : int, optional
        Seed of the draws.

    Returns
    -------
    orders : pandas.DataFrame
        ``order_id``, ``customer_id``, ``product_id``, ``quantity`` (1), ``price``, ``timestamp``.
    truth : dict
        The true absolute uplift of ``conversion_rate``, ``orders_per_customer``,
        ``revenue_per_customer`` and ``average_order_value`` (the mean effect over these
        customers, what :func:`~recsys.experiment.analyze` estimates).

    Examples
    --------
    >>> from recsys.experiment import assign
    >>> groups = assign(range(1000), salt="demo", control=0.5)
    >>> orders, truth = simulate_response(groups, start="2026-11-24", conversion_uplift=0.05,
    ...                                   seed=0)
    >>> round(truth["conversion_rate"], 3), list(orders.columns)[:3]
    (0.05, ['order_id', 'customer_id', 'product_id'])
    """
    check_float("simulate_response", "base_rate", base_rate, minimum=-1, maximum=1)
    check_float("simulate_response", "days", days, minimum=0, exclusive_min=True)
    rng = np.random.default_rng(seed)
    ids = clean_ids(assignments["customer_id"], "assignments['customer_id']")
    treated = assignments["group"].astype(str).to_numpy() != control
    p0 = _base_rates(assignments, base_rate, segment_rates)
    p1 = np.clip(p0 + _uplifts(conversion_uplift, ids), 0.0, 1.0)
    n_orders = np.where(rng.random(len(ids)) < np.where(treated, p1, p0),
                        1 + rng.poisson(extra_orders, len(ids)), 0)
    buyer = np.repeat(np.arange(len(ids)), n_orders)
    mu = np.log(order_value) - value_sigma ** 2 / 2  # so that the mean value is order_value
    value = rng.lognormal(mu, value_sigma, len(buyer)) * np.where(treated[buyer],
                                                                  1 + value_uplift, 1.0)
    tokens, offset, counts = _pick_lists(assignments)
    catalogue = _products(tokens, products)
    product = catalogue[rng.integers(len(catalogue), size=len(buyer))]
    chance = np.where(treated[buyer], pick_rate[1], pick_rate[0])
    takes_pick = (rng.random(len(buyer)) < chance) & (counts[buyer] > 0)
    slot = offset[buyer] + (rng.random(len(buyer)) * np.maximum(counts[buyer], 1)).astype(np.int64)
    product[takes_pick] = tokens[slot[takes_pick]]
    seconds = (rng.random(len(buyer)) * days * 86400).astype(np.int64)
    orders = pd.DataFrame({
        "order_id": np.arange(1, len(buyer) + 1, dtype=np.int64), "customer_id": ids[buyer],
        "product_id": product, "quantity": np.ones(len(buyer), np.int64),
        "price": np.round(value, 2),
        "timestamp": pd.Timestamp(parse_date(start, "simulate_response: start"))
        + pd.to_timedelta(seconds, unit="s")})
    return orders, _truth(p0, p1, extra_orders, order_value, value_uplift)

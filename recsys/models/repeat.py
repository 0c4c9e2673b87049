"""BuyAgain: what a customer bought before, weighted by recency and by when it is due again."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys._engine import state_checks as checks
from recsys._engine.arrays import indptr_of, locate, row_ids
from recsys._engine.sparse import csr, gather_cells
from recsys.data.dates import DAY_NS
from recsys.data.ids import clean_ids, is_scalar_id
from recsys.data.interactions import Interactions
from recsys.exceptions import DataError
from recsys.models.base import Anchors, Query, Recommender, check_fitted
from recsys.models.params import Choice, Float, HalfLife, Param, Uniform
from recsys.models.trend import item_trend

__all__ = ["BuyAgain"]

#: a bought product never scores below this (however old), and never-bought products (ranked
#: by popularity) score below it: the customer's own products always come first
_FLOOR = 1e-30
#: the least a product bought on a cycle keeps of its count when it is far from due
DUE_FLOOR = 0.5


class BuyAgain(Recommender):
    """Recommend what each customer bought before: purchase counts decayed by age, times how
    due each product is by the customer's own repurchase cycle; popularity fills the rest.

    Each order line (or its weight) counts ``2 ** (-age / half_life_days)``. For a product
    bought on two or more occasions (days, with timestamps) the *cycle* is the median
    interval between them: at the send date (``as_of``) a product whose
    time has come (``days since last / cycle`` near 1) ranks higher, one bought yesterday
    lower: the count is multiplied by ``1 - cycle_weight + cycle_weight * due`` with ``due =
    exp(-ln(ratio)**2 / 0.72)``, floored at 0.5 (products bought once take ``due = 0.5``);
    and a product selling now counts more: times ``1 + trend_weight * trend``, the trend being
    the product's customers over the last ``trend_days`` of the data over the most any product
    has (a seasonal or new line that sells now is likelier to be bought again than one whose
    sales stopped); equal counts go by popularity.
    Every product also starts from ``popularity_prior`` purchases spread as the shop's are,
    so products the customer never bought follow by popularity, and a staple everyone buys
    can pass a product the customer bought once long ago. ``recommend`` keeps seen items by
    default (``recommends_seen``).

    Parameters
    ----------
    half_life_days : float or None, default 90
        Age at which a purchase counts half; None counts every purchase fully.
    cycle_weight : float, default 0.3
        How much the repurchase cycle moves the score (0: frequency and recency only; 1:
        a product far from due keeps half its count).
    trend_days : float or None, default 30
        The window of "selling now", ending at the last purchase in the data; None: no trend.
    trend_weight : float, default 1.0
        0: no trend; 1: the product selling to the most customers now counts double.
    popularity_prior : float, default 5.0
        Purchases spread over the products as the shop's customers spread theirs, added to
        every customer's counts (Dirichlet smoothing): a thin history leans on what sells (a
        staple bought by everyone can outrank a product the customer bought once long ago),
        a long one on its own. 0: the customer's own products always come first.

    Examples
    --------
    >>> from recsys import BuyAgain, make_shop
    >>> shop = make_shop(n_customers=300, n_products=60, seed=0)
    >>> customer = shop.interactions.users.ids[0]
    >>> bought = set(shop.orders.loc[shop.orders.customer_id == customer, "product_id"])
    >>> own_only = BuyAgain(popularity_prior=0).fit(shop.interactions)
    >>> set(own_only.recommend(customer, k=3, as_of="2026-01-05").item_ids()) <= bought
    True
    >>> BuyAgain().fit(shop.interactions).recommend(customer, k=1).item_ids()[0] in bought
    True
    """

    supports_similar_items: ClassVar[bool] = False
    needs_customers: ClassVar[bool] = True
    recommends_seen: ClassVar[bool] = True

    parameters: ClassVar[dict[str, Param]] = {
        "half_life_days": Param(HalfLife(), Choice([None, 30, 90, 180, 365])),
        "cycle_weight": Param(Float(minimum=0, maximum=1), Uniform(0.0, 1.0)),
        "trend_days": Param(Float(minimum=0, exclusive_min=True, none=True)),
        "trend_weight": Param(Float(minimum=0), Uniform(0.0, 3.0)),
        "popularity_prior": Param(Float(minimum=0, maximum=1e6), Uniform(0.1, 50.0, log=True)),
    }

    def __init__(self, *, half_life_days: float | None = 90.0, cycle_weight: float = 0.3,
                 trend_days: float | None = 30.0, trend_weight: float = 1.0,
                 popularity_prior: float = 5.0) -> None:
        self.half_life_days = half_life_days
        self.cycle_weight = cycle_weight
        self.trend_days = trend_days
        self.trend_weight = trend_weight
        self.popularity_prior = popularity_prior

    # ------------------------------------------------------------------ fit
    def _fit(self, data: Interactions, features: Any) -> None:
        pair, day = _occasions(data)
        order = np.lexsort((day, pair))
        pair, day = pair[order], day[order]
        starts = np.flatnonzero(np.concatenate([[True], pair[1:] != pair[:-1]]))
        self.reference_day_ = float(day.max()) if data.timestamps is not None else 0.0
        keys = pair[starts]  # customer x product, in CSR order: last_day_ and cycle_days_
        # hold one entry per stored cell of frequency_
        self.frequency_ = sp.csr_matrix(
            (self._decayed_counts(data, keys).astype(np.float32),
             (keys % data.n_items).astype(np.int32), indptr_of(keys // data.n_items, data.n_users)),
            shape=(data.n_users, data.n_items))
        self.last_day_ = np.maximum.reduceat(day, starts)
        self.cycle_days_ = (_median_intervals(pair, day, starts) if data.timestamps is not None
                            else np.zeros(len(starts))).astype(np.float32)
        self.trend_ = item_trend(data, self.trend_days)
        self._set_popularity()

    def _set_popularity(self) -> None:
        """Popularity in [0, 1] (the tie-break among a customer's products) and the prior
        every product starts from: ``popularity_prior`` purchases spread as the shop's are."""
        popularity = self.item_counts_.astype(np.float64)
        self._cache_popularity = popularity / max(popularity.max(), 1.0)
        share = popularity / max(popularity.sum(), 1.0)
        self._cache_prior = (self.popularity_prior * share * (1.0 + self.trend_weight * self.trend_)
                             + _FLOOR * 0.5 * self._cache_popularity)

    def _decayed_counts(self, data: Interactions, keys: np.ndarray) -> np.ndarray:
        """Per customer x product (``keys``, sorted), its rows' weights (order lines, or the
        weight column) each decayed by age: several lines of a product count more."""
        rows = data.user_index.astype(np.int64) * data.n_items + data.item_index
        weight = data.weights.astype(np.float64)
        if self.half_life_days is not None and data.timestamps is not None:
            age = self.reference_day_ - data.timestamps.astype(np.int64) / DAY_NS
            weight = weight * np.exp2(-np.maximum(age, 0) / self.half_life_days)
        return np.bincount(np.searchsorted(keys, rows), weights=weight, minlength=len(keys))

    def _recommendable(self) -> np.ndarray:
        return self.item_counts_ > 0

    # ------------------------------------------------------------------ scoring
    def _day(self, query: Query) -> float:
        """The send date in days since the epoch (default: the day after the last purchase)."""
        if query.as_of is None:
            return self.reference_day_ + 1.0
        day = float(np.datetime64(query.as_of, "ns").astype(np.int64)) / DAY_NS
        if day < self.reference_day_:
            newest = np.datetime64(int(self.reference_day_ * DAY_NS), "ns")
            raise DataError(
                f"BuyAgain: as_of {str(query.as_of)[:16]} is before the newest purchase it "
                f"learnt from ({str(newest)[:16]}): a customer's last purchase would lie after "
                f"the send. Pass a send date on or after it (--as-of), or fit on the orders "
                f"before the send date.")
        return day

    def _personal(self, query: Query) -> sp.csr_matrix:
        """(queries x items) scores of the products each customer bought; carts count their
        items as they are (no dates)."""
        if query.users is None:
            cart = query.histories.tocsr().astype(np.float32)
            return cart
        cells, indptr = gather_cells(self.frequency_.indptr, query.users)
        last, cycle = self.last_day_[cells], self.cycle_days_[cells]
        indices = self.frequency_.indices[cells]
        due = np.full(len(last), 0.5)
        has = cycle > 0
        ratio = np.maximum(self._day(query) - last[has], 0.5) / cycle[has]
        due[has] = np.maximum(np.exp(-np.log(ratio) ** 2 / 0.72), DUE_FLOOR)
        factor = (1.0 - self.cycle_weight + self.cycle_weight * due) * (
            1.0 + self.trend_weight * self.trend_[indices])
        # equal counts (a customer's many products bought once or twice) go by popularity
        factor = factor * (1.0 + 1e-3 * self._cache_popularity[indices])
        data = (np.maximum(self.frequency_.data[cells] * factor, _FLOOR)
                + self._cache_prior[indices]).astype(np.float32)
        return csr(data, indices, indptr, (len(query.users), len(self.items_)))

    def _scores(self, query: Query) -> np.ndarray:
        personal = self._personal(query)
        scores = np.tile(self._cache_prior.astype(np.float32), (personal.shape[0], 1))
        scores[row_ids(personal.indptr), personal.indices] = personal.data
        return scores

    # ------------------------------------------------------------------ reasons
    def _anchors(self, query: Query, picks: np.ndarray, source: np.ndarray | None) -> Anchors:
        """A bought pick's reason names its cycle ("You buy this about every 21 days; your
        last was 19 days ago") or that it was bought before; the rest are popular."""
        out = Anchors.popular(picks.shape)
        if query.users is None:
            return out
        cells, found = self._cells(query.users, picks)
        if not found.any():
            return out
        cycle = self.cycle_days_[cells[found]]
        ago = np.maximum(0, np.round(self._day(query) - self.last_day_[cells[found]]))
        texts = np.where(
            cycle > 0,
            "You buy this about every " + pd.Series(np.round(cycle)).astype(int).astype(str)
            + " days; your last was " + pd.Series(ago).astype(int).astype(str)
            + np.where(ago == 1, " day ago", " days ago"),
            "You bought this before")
        out.codes[found], out.anchors[found] = "buy_again", texts
        return out

    def next_purchases(self, customers: Any) -> pd.DataFrame:
        """When each customer is expected to buy each product again: the products they bought
        on two days or more, their last purchase, their own median interval between
        purchases, and the day that falls due (a replenishment mail's "running low?").

        Parameters
        ----------
        customers : id or list of ids
            Customers the model knows (others are left out).

        Returns
        -------
        pandas.DataFrame
            ``customer_id``, ``product_id``, ``last_bought``, ``every_days``, ``expected``
            (dates), soonest first within a customer.

        Raises
        ------
        NotFittedError
            Before fit.
        DataError
            The model was fitted without times (there are no intervals).

        Examples
        --------
        >>> import recsys
        >>> shop = recsys.make_grocery(n_customers=300, seed=0)
        >>> model = recsys.BuyAgain().fit(shop.interactions)
        >>> due = model.next_purchases(shop.interactions.users.ids[:5])
        >>> bool((due["expected"] > due["last_bought"]).all())
        True
        """
        check_fitted(self)
        if not np.any(self.cycle_days_ > 0) and self.reference_day_ == 0.0:
            raise DataError("BuyAgain.next_purchases: the model was fitted without timestamps, "
                            "so it knows no intervals; fit it on dated orders.")
        asked = [customers] if is_scalar_id(customers) else customers
        index = self.users_.to_index(clean_ids(asked, "customers"), missing="mask")
        users = index[index >= 0]
        cells, indptr = gather_cells(self.frequency_.indptr, users)
        repeat = self.cycle_days_[cells] > 0
        owner = row_ids(indptr)[repeat]
        cells = cells[repeat]
        last = self.last_day_[cells]
        every = self.cycle_days_[cells].astype(np.float64)
        day_ns = np.timedelta64(int(DAY_NS), "ns")
        out = pd.DataFrame({
            "customer_id": self.users_.to_ids(users[owner]),
            "product_id": self.items_.to_ids(self.frequency_.indices[cells]),
            "last_bought": np.datetime64(0, "ns") + last.astype(np.int64) * day_ns,
            "every_days": every,
            "expected": np.datetime64(0, "ns") + np.round(last + every).astype(np.int64) * day_ns})
        return out.sort_values(["customer_id", "expected"], kind="stable").reset_index(drop=True)

    def _cells(self, users: np.ndarray, picks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each pick (n, k) of ``users``, its cell in the fitted arrays (valid where
        found) and whether the customer bought it."""
        cells, indptr = gather_cells(self.frequency_.indptr, users)
        n_items = len(self.items_)
        keys = row_ids(indptr) * n_items + self.frequency_.indices[cells]
        probe = np.arange(len(users))[:, None] * n_items + np.maximum(picks, 0)
        position, found = locate(keys, probe.ravel())
        found = found.reshape(picks.shape) & (picks >= 0)
        if len(cells) == 0:
            return np.zeros(picks.shape, np.int64), found
        return cells[position].reshape(picks.shape), found

    def _explain(self, item: int, user: int | None, history: sp.csr_matrix | None):
        if user is None:
            score = float(history[0, item]) if history is not None else 0.0
            return score, [], "buy again", {}
        query = Query.of_users(np.array([user]))
        score = float(self._scores(query)[0, item])
        found = self._anchors(query, np.array([[item]]), None)  # the pick's own reason
        if found.codes[0, 0] != "buy_again":
            return score, [], "popularity", {}
        return score, [], "buy again", {"reason": str(found.anchors[0, 0])}

    # ------------------------------------------------------------------ persistence
    def _state(self):
        # the cells are the seen matrix's: only their values are stored
        return ({"frequency": self.frequency_.data, "last_day": self.last_day_,
                 "cycle_days": self.cycle_days_, "trend": self.trend_},
                {"reference_day": self.reference_day_})

    def _load_state(self, arrays, meta) -> None:
        seen = self.seen_
        self.reference_day_ = float(meta["reference_day"])
        self.frequency_ = checks.csr_from(
            {"model/data": arrays["frequency"], "model/indices": seen.indices,
             "model/indptr": seen.indptr}, "model/", seen.shape)
        self.last_day_ = checks.vector(arrays["last_day"], "model/last_day", seen.nnz)
        self.cycle_days_ = checks.vector(arrays["cycle_days"], "model/cycle_days", seen.nnz)
        self.trend_ = checks.within(checks.vector(arrays["trend"], "model/trend",
                                                  len(self.items_)), "model/trend", 0, 1)
        self._set_popularity()


def _occasions(data: Interactions) -> tuple[np.ndarray, np.ndarray]:
    """One (customer x item key, day) per purchase occasion: a day with timestamps, else an
    order, else a row; the day is 0 without timestamps."""
    pair = data.user_index.astype(np.int64) * data.n_items + data.item_index
    if data.timestamps is not None:
        day = np.floor(data.timestamps.astype(np.int64) / DAY_NS)
        occasion = day.astype(np.int64)
    elif data.basket_index is not None:
        day, occasion = np.zeros(len(pair)), data.basket_index.astype(np.int64)
    else:
        day, occasion = np.zeros(len(pair)), np.arange(len(pair))
    keys = np.unique(np.stack([pair, occasion]), axis=1)  # each occasion once
    if data.timestamps is not None:
        return keys[0], keys[1].astype(np.float64)
    return keys[0], np.zeros(keys.shape[1])


def _median_intervals(pair: np.ndarray, day: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per run of ``pair`` (sorted by day within), the median days between occasions (0 for
    a product bought on one occasion)."""
    gap = np.diff(day)
    same = pair[1:] == pair[:-1]
    owner = np.searchsorted(starts, np.flatnonzero(same), side="right") - 1
    gaps = gap[same]
    order = np.lexsort((gaps, owner))
    owner, gaps = owner[order], gaps[order]
    counts = np.bincount(owner, minlength=len(starts))
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    out = np.zeros(len(starts))
    has = counts > 0
    low = offsets[has] + (counts[has] - 1) // 2
    high = offsets[has] + counts[has] // 2
    out[has] = (gaps[low] + gaps[high]) / 2
    return out

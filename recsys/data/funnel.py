"""The web shop's event log behind a shop's orders: views, cart adds and purchases, in
sessions, some of them anonymous: the funnel a shop logs, generated from its orders so that
events, sessions and trigger mails have data with known structure.

What is in it (every count a parameter, everything vectorised, deterministic by ``seed``):

- every order line is a session's purchase, preceded in that session by views of the product
  (one or more) and a cart add, and by views of other products of the same categories (what
  the customer looked at and did not take);
- *browsing sessions* without a purchase: a customer views a few products of a category they
  buy from, and sometimes adds one to the cart and leaves (an abandoned cart);
- a share of those sessions are anonymous (the visitor never logged in: no customer id), and
  there are visitors who never log in at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys._engine.params import check_float
from recsys.exceptions import DataError

__all__ = ["make_events"]

EVENT_KINDS = ("view", "cart", "purchase")


def make_events(orders: pd.DataFrame, products: pd.DataFrame, seed: int = 0, *,
                views_per_line: float = 3.0, browse_per_order: float = 8.0,
                browsing_sessions: float = 4.0, cart_abandon_rate: float = 0.25,
                anonymous_share: float = 0.3, anonymous_visitors: float = 2.0) -> pd.DataFrame:
    """The event log behind ``orders`` (``make_shop``'s columns: ``order_id``, ``customer_id``,
    ``product_id``, ``timestamp``) over ``products`` (``product_id``, ``category``).

    Parameters
    ----------
    orders, products : DataFrame
    seed : int
    views_per_line : float
        Mean extra views of a bought product before it is bought (each has at least one).
    browse_per_order : float
        Mean views of other products of the order's categories in its session.
    browsing_sessions : float
        Mean sessions without a purchase per customer.
    cart_abandon_rate : float
        Share of browsing sessions that end with a cart add and no purchase.
    anonymous_share : float
        Share of browsing sessions whose visitor is not logged in.
    anonymous_visitors : float
        Sessions of visitors who never log in, per customer.

    Returns
    -------
    DataFrame
        ``session_id``, ``customer_id`` (nullable: empty for anonymous visitors),
        ``product_id``, ``event`` (``view``, ``cart``, ``purchase``), ``timestamp``; in
        time order.

    Examples
    --------
    >>> from recsys import make_shop
    >>> shop = make_shop(n_customers=200, n_products=50, seed=0)
    >>> log = make_events(shop.orders, shop.products, seed=0)
    >>> sorted(log["event"].unique().tolist())
    ['cart', 'purchase', 'view']
    >>> int((log["event"] == "purchase").sum()) == len(shop.orders)
    True
    """
    for name, value in (("views_per_line", views_per_line),
                        ("browse_per_order", browse_per_order),
                        ("browsing_sessions", browsing_sessions),
                        ("anonymous_visitors", anonymous_visitors)):
        check_float("make_events", name, value, minimum=0)
    for name, value in (("cart_abandon_rate", cart_abandon_rate),
                        ("anonymous_share", anonymous_share)):
        check_float("make_events", name, value, minimum=0, maximum=1)
    absent = [c for c in ("order_id", "customer_id", "product_id", "timestamp")
              if c not in orders.columns]
    if absent or "category" not in products.columns:
        raise DataError(f"make_events: needs orders with order_id, customer_id, product_id, "
                        f"timestamp and products with category (as make_shop writes them); "
                        f"missing {absent or ['category']}.")
    rng = np.random.default_rng(seed)
    catalogue = _Catalogue(orders, products)
    parts = [_order_sessions(orders, catalogue, rng, views_per_line, browse_per_order),
             _browsing(orders, catalogue, rng, browsing_sessions, cart_abandon_rate,
                       anonymous_share, anonymous_visitors)]
    log = pd.concat(parts, ignore_index=True)
    order = np.lexsort((log["rank"].to_numpy(), log["timestamp"].to_numpy()))
    log = log.iloc[order].drop(columns="rank").reset_index(drop=True)
    log["customer_id"] = log["customer_id"].astype("Int64")
    log["timestamp"] = pd.to_datetime(log["timestamp"].to_numpy().astype("datetime64[s]"))
    return log


class _Catalogue:
    """Products by category, each drawn in proportion to its sales (plus one)."""

    def __init__(self, orders: pd.DataFrame, products: pd.DataFrame) -> None:
        self.ids = products["product_id"].to_numpy()
        codes, self.categories = pd.factorize(products["category"])
        self.category = codes
        sold = orders["product_id"].value_counts()
        weight = 1.0 + sold.reindex(self.ids).fillna(0).to_numpy(np.float64)
        self.order = np.lexsort((np.arange(len(codes)), codes))  # products grouped by category
        cumulative = np.cumsum(weight[self.order])
        bounds = np.searchsorted(codes[self.order], np.arange(len(self.categories) + 1))
        self.low, self.high = bounds[:-1], bounds[1:]
        self.cumulative = cumulative
        self.index = pd.Index(self.ids)

    def draw(self, category: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One product index of each ``category`` code, by sales."""
        low, high = self.low[category], self.high[category]
        start = np.where(low > 0, self.cumulative[np.maximum(low - 1, 0)], 0.0)
        stop = self.cumulative[high - 1]
        target = start + rng.random(len(category)) * (stop - start)
        at = np.searchsorted(self.cumulative, target, side="right")
        return self.order[np.clip(at, low, high - 1)]


def _order_sessions(orders: pd.DataFrame, catalogue: _Catalogue, rng: np.random.Generator,
                    views_per_line: float, browse_per_order: float) -> pd.DataFrame:
    """Each order's session: views and a cart add of every line, views of other products of
    its categories, then the purchases."""
    lines = len(orders)
    bought = catalogue.index.get_indexer(orders["product_id"])
    if (bought < 0).any():
        raise DataError("make_events: the orders name products the products table lacks.")
    when = orders["timestamp"].to_numpy().astype("datetime64[s]").astype(np.int64)
    session, _ = pd.factorize(orders["order_id"])
    customer = orders["customer_id"].to_numpy()
    views = 1 + rng.poisson(views_per_line, lines)
    at = np.repeat(np.arange(lines), views)
    view_time = when[at] - rng.integers(300, 7200, len(at))
    cart_time = when - rng.integers(30, 290, lines)  # after every view (300 s or more)
    firsts = np.flatnonzero(np.r_[True, session[1:] != session[:-1]]) if lines else at
    per_order = rng.poisson(browse_per_order, len(firsts))
    origin = np.repeat(firsts, per_order)
    other = catalogue.draw(catalogue.category[bought[origin]], rng)
    other_time = when[origin] - rng.integers(300, 7200, len(origin))
    frames = [
        _frame(session[at], customer[at], catalogue.ids[bought[at]], "view", view_time, 0),
        _frame(session[origin], customer[origin], catalogue.ids[other], "view", other_time, 0),
        _frame(session, customer, catalogue.ids[bought], "cart", cart_time, 1),
        _frame(session, customer, catalogue.ids[bought], "purchase", when, 2),
    ]
    return pd.concat(frames, ignore_index=True)


def _browsing(orders: pd.DataFrame, catalogue: _Catalogue, rng: np.random.Generator,
              per_customer: float, abandon: float, anonymous_share: float,
              anonymous_visitors: float) -> pd.DataFrame:
    """Sessions without a purchase: a few views in a category the customer buys from, an
    abandoned cart now and then; some visitors anonymous, some never logged in."""
    first_session = int(pd.factorize(orders["order_id"])[0].max()) + 1 if len(orders) else 0
    customers, favourite = _favourite_categories(orders, catalogue)
    when = orders["timestamp"].to_numpy().astype("datetime64[s]").astype(np.int64)
    t0, t1 = (int(when.min()), int(when.max())) if len(when) else (0, 1)
    sessions = rng.poisson(per_customer, len(customers))
    owner = np.repeat(np.arange(len(customers)), sessions)
    visitors = rng.poisson(anonymous_visitors * len(customers))
    category = np.r_[favourite[owner], rng.integers(0, len(catalogue.categories), visitors)]
    who = np.r_[customers[owner].astype(np.float64), np.full(visitors, np.nan)]
    anonymous = np.r_[rng.random(len(owner)) < anonymous_share, np.ones(visitors, bool)]
    who[anonymous] = np.nan
    n = len(category)
    start = rng.integers(t0, max(t1, t0 + 1), n)
    views = 2 + rng.poisson(1.5, n)
    at = np.repeat(np.arange(n), views)
    viewed = catalogue.draw(category[at], rng)
    step = np.arange(len(at)) - np.repeat(np.cumsum(views) - views, views)
    view_time = start[at] + step * rng.integers(20, 300, len(at))
    carted = np.flatnonzero(rng.random(n) < abandon)
    last_view = np.cumsum(views)[carted] - 1  # the session's last product goes to the cart
    cart_time = view_time[last_view] + rng.integers(10, 120, len(carted))
    session = first_session + np.arange(n)
    return pd.concat([
        _frame(session[at], who[at], catalogue.ids[viewed], "view", view_time, 0),
        _frame(session[carted], who[carted], catalogue.ids[viewed[last_view]], "cart",
               cart_time, 1)], ignore_index=True)


def _favourite_categories(orders: pd.DataFrame, catalogue: _Catalogue):
    """Every customer and the category they bought most from."""
    category = catalogue.category[catalogue.index.get_indexer(orders["product_id"])]
    counts = pd.crosstab(orders["customer_id"].to_numpy(), category)
    return counts.index.to_numpy(), counts.columns.to_numpy()[counts.to_numpy().argmax(axis=1)]


def _frame(session, customer, product, kind: str, time, rank: int) -> pd.DataFrame:
    return pd.DataFrame({"session_id": np.asarray(session, np.int64),
                         "customer_id": pd.array(customer, dtype="Float64"),
                         "product_id": product, "event": kind,
                         "timestamp": np.asarray(time, np.int64), "rank": rank})

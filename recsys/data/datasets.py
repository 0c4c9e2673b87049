"""Data sets: the embedded synthetic shop, and readers for public order logs.

:func:`make_shop` generates a shop by code (no files, no network): products with
meaningful names, categories and prices, customers with tastes and segments,
and a year of orders with real co-purchase structure. The readers turn the
public data sets (UCI Online Retail, FIMI retail, MovieLens) into the same
:class:`ShopData` shape, from a path.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys._engine.arrays import dense_codes, unique
from recsys._engine.params import check_float, check_int
from recsys.data import fimi as _fimi
from recsys.data.dates import parse_timestamps
from recsys.data.features import ItemFeatures
from recsys.data.files import reading
from recsys.data.funnel import make_events
from recsys.data.grocery import grocery_frames
from recsys.data.idmap import IdMap
from recsys.data.interactions import Interactions
from recsys.exceptions import DataError

__all__ = ["ShopData", "make_shop", "make_grocery", "read_online_retail", "read_fimi", "read_movielens",
           "data_dir"]


@dataclass(frozen=True)
class ShopData:
    """A shop's data: raw frames plus the containers the models take.

    Parameters
    ----------
    orders, products : pandas.DataFrame
    interactions : Interactions
    items : ItemFeatures
    customers : pandas.DataFrame, optional
    name : str, default "shop"
    events : pandas.DataFrame, optional

    Attributes
    ----------
    orders : pandas.DataFrame
        Order lines: ``order_id``, ``customer_id``, ``product_id``, ``quantity``,
        ``price``, ``timestamp`` (and reader-specific extras).
    products : pandas.DataFrame
        One row per product: ``product_id``, ``name``, ``category``, ``price``...
    interactions : Interactions
        Customers x products with baskets (orders) and timestamps.
    items : ItemFeatures
        Product features (name text, category, price).
    customers : pandas.DataFrame or None
        One row per customer where known (``segment`` for the synthetic shop).
    name : str
    events : pandas.DataFrame or None
        The web shop's event log behind the orders (views, cart adds, purchases, in
        sessions, some anonymous): ``make_shop(..., events=True)``, see
        :func:`recsys.data.funnel.make_events`.

    Examples
    --------
    >>> from recsys import make_shop
    >>> shop = make_shop(n_customers=100, n_products=30, seed=0)
    >>> sorted(shop.summary())[:3]
    ['customers', 'density', 'from']
    """

    orders: pd.DataFrame
    products: pd.DataFrame
    interactions: Interactions
    items: ItemFeatures
    customers: pd.DataFrame | None = None
    name: str = "shop"
    events: pd.DataFrame | None = None

    def summary(self) -> dict[str, object]:
        """Counts and date range, for printing."""
        data = self.interactions
        out: dict[str, object] = {"name": self.name, "order lines": len(data),
                                  "customers": data.n_users, "products": data.n_items,
                                  "orders": data.n_baskets}
        if data.timestamps is not None:
            out["from"] = str(pd.Timestamp(data.timestamps.min()).date())
            out["to"] = str(pd.Timestamp(data.timestamps.max()).date())
        if data.n_users:
            out["density"] = f"{data.matrix('user').nnz / (data.n_users * data.n_items):.2%}"
        return out


def data_dir() -> Path:
    """Where the public data sets are: ``$RECSYS_DATA_DIR``, else ``../shared/data``.

    The readers (:func:`load_online_retail`, :func:`load_movielens`...) and the benchmarks
    look there; nothing is downloaded.

    Returns
    -------
    pathlib.Path
        The folder (it may not exist: the readers say so, naming the variable).

    Examples
    --------
    >>> import os
    >>> os.environ["RECSYS_DATA_DIR"] = "/data/public"
    >>> str(data_dir())
    '/data/public'
    >>> del os.environ["RECSYS_DATA_DIR"]
    """
    return Path(os.environ.get("RECSYS_DATA_DIR", "../shared/data"))


# ---------------------------------------------------------------------- the synthetic shop
_CATALOGUE: dict[str, dict[str, list]] = {
    "tea and coffee": {"materials": ["ceramic", "porcelain", "enamel", "stoneware"],
                       "sets": [["teapot", "tea cup", "saucer", "milk jug"],
                                ["coffee mug", "coaster"], ["cafetiere", "coffee scoop"]],
                       "price": 9.0},
    "baking": {"materials": ["tin", "silicone", "cotton", "enamel"],
               "sets": [["cake tin", "baking tray", "oven glove", "apron"],
                        ["cupcake cases", "cake stand"], ["cookie cutter", "rolling pin"]],
               "price": 7.0},
    "tableware": {"materials": ["ceramic", "glass", "bamboo", "melamine"],
                  "sets": [["dinner plate", "side plate", "bowl"], ["napkin", "napkin ring"],
                           ["glass tumbler", "water jug"]],
               "price": 6.0},
    "candles": {"materials": ["glass", "metal", "wax", "wooden"],
                "sets": [["scented candle", "candle holder"], ["tealight", "lantern"],
                         ["incense sticks", "incense holder"]],
                "price": 5.0},
    "garden": {"materials": ["zinc", "terracotta", "wooden", "metal"],
               "sets": [["plant pot", "watering can", "trowel"], ["bird feeder", "bird house"],
                        ["garden gloves", "seed tray"]],
               "price": 11.0},
    "stationery": {"materials": ["paper", "card", "kraft", "leather"],
                   "sets": [["notebook", "pencil", "pencil case"],
                            ["greeting card", "envelope", "gift tag"],
                            ["wrapping paper", "ribbon"]],
                   "price": 3.0},
    "toys": {"materials": ["wooden", "felt", "plush", "tin"],
             "sets": [["jigsaw puzzle", "playing cards"], ["teddy bear", "doll"],
                      ["skipping rope", "spinning top"]],
             "price": 8.0},
    "bathroom": {"materials": ["ceramic", "bamboo", "cotton", "glass"],
                 "sets": [["soap dish", "toothbrush holder", "towel"], ["bath salts", "sponge"]],
                 "price": 6.0},
    "lighting": {"materials": ["glass", "metal", "paper", "rattan"],
                 "sets": [["fairy lights", "string lights"], ["table lamp", "lamp shade"],
                          ["night light", "light bulb"]],
                 "price": 15.0},
    "textiles": {"materials": ["cotton", "linen", "wool", "jute"],
                 "sets": [["cushion cover", "throw blanket"], ["tote bag", "shopping bag"],
                          ["tea towel", "oven mitt"]],
                 "price": 10.0},
}
_COLOURS = ["red", "blue", "pink", "green", "white", "black", "cream", "yellow", "grey", "navy"]
_STYLES = ["spotty", "striped", "floral", "vintage", "retro", "scandi", "rustic", "botanical",
           "heart", "star"]
_SEGMENTS = ("frequent", "occasional", "lapsed")


def make_shop(
    n_customers: int = 2000,
    n_products: int = 400,
    seed: int = 0,
    *,
    start: str = "2025-01-01",
    days: int = 365,
    mean_orders: float = 4.0,
    complement_rate: float = 0.45,
    new_product_share: float = 0.12,
    events: bool = False,
) -> ShopData:
    """A synthetic gift-and-homeware shop with a year of orders.

    What it holds, so that every kind of model has something to find:

    - **products** in ten categories, each a member of a *collection* (one
      colour and style across complementary pieces: "red spotty teapot", "red
      spotty tea cup", "red spotty saucer"); prices per category; long-tail
      popularity; ``new_product_share`` of them launched during the year.
    - **customers** in three segments: ``frequent`` (about 15%), ``occasional``
      and ``lapsed`` (who stop buying after the first five months); each has
      favourite categories and a favourite colour (tastes for CF and content).
    - **orders** (baskets) with timestamps: items drawn from the customer's
      tastes and popularity; each item brings a piece of the same collection
      with probability ``complement_rate`` (co-purchases for rules).

    Deterministic for a given ``seed``. Customer ids are ints, product ids are
    strings (``"P0001"``), order ids are ints in time order.

    Parameters
    ----------
    n_customers, n_products : int
    seed : int
    start : str
        First day of the year of orders.
    days : int
        Length of the order history.
    mean_orders : float
        Mean orders per customer (frequent customers place about 3x this).
    complement_rate : float
        Chance that an item brings a complementary piece of its collection.
    new_product_share : float
        Share of products launched during the year instead of before it.
    events : bool, default False
        Also generate the event log behind the orders (``shop.events``: views, cart adds and
        purchases in sessions, abandoned carts, anonymous visitors), with
        :func:`recsys.data.funnel.make_events`.

    Returns
    -------
    ShopData

    Examples
    --------
    >>> shop = make_shop(n_customers=500, n_products=100, seed=1)
    >>> shop.products.columns.tolist()
    ['product_id', 'name', 'category', 'collection', 'price', 'in_stock', 'launched']
    >>> shop.interactions.n_users <= 500
    True
    """
    n_customers = check_int("make_shop", "n_customers", n_customers, minimum=1)
    n_products = check_int("make_shop", "n_products", n_products, minimum=2)
    days = check_int("make_shop", "days", days, minimum=1)
    check_float("make_shop", "mean_orders", mean_orders, minimum=0, exclusive_min=True)
    check_float("make_shop", "complement_rate", complement_rate, minimum=0, maximum=1)
    check_float("make_shop", "new_product_share", new_product_share, minimum=0, maximum=1)
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start).to_datetime64().astype("datetime64[s]").astype(np.int64)
    span = days * 86400

    products = _make_products(n_products, rng, t0, span, new_product_share)
    customers, prefs, fav_colour = _make_customers(n_customers, rng)
    lines = _make_orders(products, customers, prefs, fav_colour, rng, t0, span, mean_orders,
                         complement_rate)
    shop_products = products.drop(columns=["colour_code", "popularity", "category_code"])
    shop = _shop_from_frames(lines, shop_products, customers[["customer_id", "segment"]],
                             name="synthetic shop")
    if events:
        shop = replace(shop, events=make_events(shop.orders, shop.products, seed=seed))
    return shop


def _make_products(n: int, rng: np.random.Generator, t0: int, span: int,
                   new_share: float) -> pd.DataFrame:
    categories = list(_CATALOGUE)
    cat_weight = rng.dirichlet(np.full(len(categories), 3.0))
    rows = []
    collection = 0
    while len(rows) < n:
        c = int(rng.choice(len(categories), p=cat_weight))
        spec = _CATALOGUE[categories[c]]
        nouns = spec["sets"][rng.integers(len(spec["sets"]))]
        colour = int(rng.integers(len(_COLOURS)))
        style = _STYLES[rng.integers(len(_STYLES))]
        material = spec["materials"][rng.integers(len(spec["materials"]))]
        base = spec["price"] * rng.lognormal(0.0, 0.35)
        weight = rng.pareto(1.2) + 0.05  # long-tail popularity of the collection
        for noun in nouns:
            name = f"{_COLOURS[colour]} {style} {material} {noun}"
            price = round(max(0.5, base * rng.lognormal(0.0, 0.25)), 2)
            rows.append((name, categories[c], c, collection, price, colour,
                         weight * rng.lognormal(0.0, 0.5)))
        collection += 1
    frame = pd.DataFrame(rows[:n], columns=["name", "category", "category_code", "collection",
                                            "price", "colour_code", "popularity"])
    frame.insert(0, "product_id", [f"P{i:04d}" for i in range(1, n + 1)])
    frame["in_stock"] = rng.random(n) > 0.08
    launch = np.where(rng.random(n) < new_share, t0 + rng.integers(30 * 86400, span, n), t0)
    frame["launched"] = pd.to_datetime(launch, unit="s")
    return frame


def _make_customers(n: int, rng: np.random.Generator):
    segment = rng.choice(len(_SEGMENTS), size=n, p=[0.15, 0.55, 0.30])
    prefs = rng.dirichlet(np.full(len(_CATALOGUE), 0.4), size=n)
    fav_colour = rng.integers(len(_COLOURS), size=n)
    customers = pd.DataFrame({
        "customer_id": np.arange(10001, 10001 + n, dtype=np.int64),
        "segment": np.asarray(_SEGMENTS)[segment],
        "segment_code": segment,
    })
    return customers, prefs, fav_colour


def _make_orders(products: pd.DataFrame, customers: pd.DataFrame, prefs: np.ndarray,
                 fav_colour: np.ndarray, rng: np.random.Generator, t0: int, span: int,
                 mean_orders: float, complement_rate: float) -> pd.DataFrame:
    segment = customers["segment_code"].to_numpy()
    rate = np.array([3.0, 0.7, 0.45])[segment] * mean_orders
    n_orders = 1 + rng.poisson(np.maximum(rate - 1, 0.05))
    order_customer = np.repeat(np.arange(len(customers)), n_orders)
    horizon = np.where(segment[order_customer] == 2, span * 5 // 12, span)
    order_time = t0 + (rng.random(len(order_customer)) * horizon).astype(np.int64)

    # anchors: items chosen from the customer's tastes
    n_anchor = 1 + rng.poisson(1.2, size=len(order_customer))
    line_order = np.repeat(np.arange(len(order_customer)), n_anchor)
    line_customer = order_customer[line_order]
    cum = np.cumsum(prefs[line_customer], axis=1)
    category = (cum < rng.random(len(line_order))[:, None] * cum[:, -1:]).sum(axis=1)
    category = np.minimum(category, prefs.shape[1] - 1)
    cat_code = products["category_code"].to_numpy()
    colour_code = products["colour_code"].to_numpy()
    pop = products["popularity"].to_numpy()
    by_category = _sample_in_groups(cat_code, pop, category, rng)
    n_colours = len(_COLOURS)
    by_taste = _sample_in_groups(cat_code * n_colours + colour_code, pop,
                                 category * n_colours + fav_colour[line_customer], rng)
    use_taste = (rng.random(len(line_order)) < 0.5) & (by_taste >= 0)
    product = np.where(use_taste, by_taste, by_category)
    keep = product >= 0
    line_order, product = line_order[keep], product[keep]

    # complements: another piece of the same collection
    collection = products["collection"].to_numpy()
    order = np.argsort(collection, kind="stable")
    starts = np.searchsorted(collection[order], collection)
    sizes = np.bincount(collection)[collection]
    position = np.empty(len(order), np.int64)
    position[order] = np.arange(len(order)) - starts[order]
    brings = (rng.random(len(product)) < complement_rate) & (sizes[product] > 1)
    src = product[brings]
    offset = 1 + (rng.random(len(src)) * (sizes[src] - 1)).astype(np.int64)
    partner = order[starts[src] + (position[src] + offset) % sizes[src]]
    line_order = np.concatenate([line_order, line_order[brings]])
    product = np.concatenate([product, partner])

    # nothing sold before its launch; one line per (order, product)
    launched = products["launched"].to_numpy().astype("datetime64[s]").astype(np.int64)
    sold = order_time[line_order] >= launched[product]
    line_order, product = line_order[sold], product[sold]
    pair = unique(line_order.astype(np.int64) * len(products) + product)
    line_order, product = pair // len(products), pair % len(products)

    order_ids = np.empty(len(order_time), np.int64)
    order_ids[np.argsort(order_time, kind="stable")] = 500001 + np.arange(len(order_time))
    quantity = 1 + rng.geometric(0.6, size=len(product)) - 1
    lines = pd.DataFrame({
        "order_id": order_ids[line_order],
        "customer_id": customers["customer_id"].to_numpy()[order_customer[line_order]],
        "product_id": products["product_id"].to_numpy()[product],
        "quantity": quantity.astype(np.int64),
        "price": products["price"].to_numpy()[product],
        "timestamp": pd.to_datetime(order_time[line_order], unit="s"),
    })
    return lines.sort_values(["order_id", "product_id"], kind="stable").reset_index(drop=True)


def make_grocery(n_customers: int = 4000, n_products: int = 160, seed: int = 0, *,
                 start: str = "2024-01-01", days: int = 730, mean_baskets: float = 4.0,
                 mean_basket_size: float = 2.6, loyalty: float = 0.3) -> ShopData:
    """A synthetic grocery: a small dense catalogue where everyone buys the staples.

    The other shape of shop a library must not fail on: few products with steep popularity
    (the top product in about one basket in six), short baskets, few baskets per customer,
    a basket being a customer's purchases of one day. Each line is, with probability
    ``loyalty``, one of the customer's own three staples, else a draw by popularity: with
    ``loyalty=0`` there is nothing personal to learn and popularity is the best answer.

    Parameters
    ----------
    n_customers : int, default 4000
    n_products : int, default 160
    seed : int, default 0
    start : str, default "2024-01-01"
    days : int, default 730
    mean_baskets : float, default 4.0
        Mean baskets (shopping days) per customer.
    mean_basket_size : float, default 2.6
    loyalty : float, default 0.3

    Returns
    -------
    ShopData
        Orders (one basket a customer and day), products, interactions and features.

    Examples
    --------
    >>> from recsys.data.datasets import make_grocery
    >>> shop = make_grocery(n_customers=200, seed=1)
    >>> shop.interactions.n_items <= 160
    True
    """

    orders, products = grocery_frames(n_customers, n_products, seed, start=start, days=days,
                                      mean_baskets=mean_baskets,
                                      mean_basket_size=mean_basket_size, loyalty=loyalty)
    return _shop_from_frames(orders, products, None, "grocery")


def _sample_in_groups(group_of: np.ndarray, weight: np.ndarray, wanted: np.ndarray,
                      rng: np.random.Generator) -> np.ndarray:
    """For each wanted group, one member drawn with probability ~ weight (-1 if empty)."""
    order = np.argsort(group_of, kind="stable")
    groups = group_of[order]
    cum = np.cumsum(weight[order])
    n_groups = int(max(groups.max(), wanted.max())) + 1
    first = np.searchsorted(groups, np.arange(n_groups), side="left")
    last = np.searchsorted(groups, np.arange(n_groups), side="right")
    lo = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0.0)
    hi = np.where(last > 0, cum[np.maximum(last - 1, 0)], 0.0)
    empty = last[wanted] == first[wanted]
    target = lo[wanted] + rng.random(len(wanted)) * (hi[wanted] - lo[wanted])
    pick = np.searchsorted(cum, target, side="right")
    pick = np.clip(pick, first[wanted], np.maximum(last[wanted] - 1, first[wanted]))
    return np.where(empty, -1, order[np.minimum(pick, len(order) - 1)])


def _shop_from_frames(orders: pd.DataFrame, products: pd.DataFrame,
                      customers: pd.DataFrame | None, name: str,
                      text: tuple[str, ...] = ("name",), categorical: tuple[str, ...] = ("category",),
                      multilabel: tuple[str, ...] = (), numeric: tuple[str, ...] = ("price",),
                      weight: str | None = None) -> ShopData:
    items = ItemFeatures.from_frame(products, item="product_id", text=list(text),
                                    categorical=list(categorical), multilabel=list(multilabel),
                                    numeric=list(numeric))
    interactions = Interactions.from_frame(orders, user="customer_id", item="product_id",
                                           basket="order_id", timestamp="timestamp",
                                           weight=weight, items=items.items)
    return ShopData(orders=orders, products=products, interactions=interactions, items=items,
                    customers=customers, name=name)


# ---------------------------------------------------------------------- readers
def read_online_retail(path: str | os.PathLike | None = None,
                       weight: str = "count") -> ShopData:
    """The UCI Online Retail order log (CSV, gzipped or not) as a :class:`ShopData`.

    Cleaning, as is usual for this file: cancellations (``InvoiceNo`` starting
    with ``C``), lines with ``Quantity <= 0`` and lines without a customer are
    dropped; ``CustomerID`` ``17850.0`` becomes the int 17850; descriptions are
    stripped. Each invoice is a basket. A product's ``name`` is its most frequent
    description and its ``price`` the median unit price.

    Parameters
    ----------
    path : path, optional
        Default: ``online-retail.csv.gz`` in :func:`data_dir`.
    weight : {"count", "quantity"}
        Interaction weight: 1 per order line, or the quantity bought.

    Returns
    -------
    ShopData

    Raises
    ------
    DataError
        No such file, a file that does not read as the Online Retail CSV, missing columns.

    Examples
    --------
    >>> shop = read_online_retail()  # doctest: +SKIP
    >>> shop.interactions  # doctest: +SKIP
    Interactions(396337 rows, 4339 users, 3665 items, 18536 baskets)
    """
    if weight not in ("count", "quantity"):
        raise DataError(f"read_online_retail: weight must be 'count' or 'quantity', got {weight!r}.")
    path = Path(path) if path is not None else data_dir() / "online-retail.csv.gz"
    _exists(path, "the UCI Online Retail CSV")
    with reading(path, "the UCI Online Retail CSV"):
        raw = pd.read_csv(path, dtype={
            "InvoiceNo": "string", "StockCode": "string", "Description": "string",
            "Quantity": "int64", "UnitPrice": "float64", "CustomerID": "float64",
            "Country": "string"})
    needed = {"InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
              "CustomerID"}
    if not needed <= set(raw.columns):
        raise DataError(f"{path} lacks column(s) {sorted(needed - set(raw.columns))}; "
                        f"is it the UCI Online Retail file?")
    keep = (raw["CustomerID"].notna() & ~raw["InvoiceNo"].str.startswith("C")
            & (raw["Quantity"] > 0)).to_numpy(dtype=bool)
    raw = raw[keep]
    orders = pd.DataFrame({
        "order_id": raw["InvoiceNo"].str.strip(),
        "customer_id": raw["CustomerID"].to_numpy(dtype=np.int64),
        "product_id": raw["StockCode"].str.strip(),
        "quantity": raw["Quantity"].to_numpy(),
        "price": raw["UnitPrice"].to_numpy(),
        "timestamp": parse_timestamps(raw["InvoiceDate"], f"{path}: InvoiceDate"),
        "description": raw["Description"].str.strip().fillna(""),
        "country": raw["Country"],
    }).reset_index(drop=True)
    names = (orders.groupby(["product_id", "description"]).size().reset_index(name="n")
             .sort_values(["product_id", "n", "description"], ascending=[True, False, True])
             .drop_duplicates("product_id"))
    products = (orders.groupby("product_id", as_index=False)["price"].median()
                .merge(names[["product_id", "description"]], on="product_id", how="left")
                .rename(columns={"description": "name"}))
    products = products[["product_id", "name", "price"]]
    products["name"] = products["name"].fillna("")
    return _shop_from_frames(orders, products, None, "UCI Online Retail", categorical=(),
                             weight="quantity" if weight == "quantity" else None)


def read_fimi(path: str | os.PathLike | None = None) -> Interactions:
    """FIMI-format baskets (one basket a line, item ids separated by spaces).

    Basket ids are the line numbers (from 0). Blank lines are empty baskets and are
    dropped.

    Parameters
    ----------
    path : path, optional
        The file, gzipped or not (default: ``fimi-retail.dat.gz`` under ``RECSYS_DATA_DIR``).

    Returns
    -------
    Interactions
        Basket-only (no users).

    Raises
    ------
    DataError
        No such file, or a token that is not an item id.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.dat")
    >>> _ = open(path, "w").write("1 2 3\\n2 3\\n\\n4\\n")
    >>> read_fimi(path)
    Interactions(6 rows, 4 items, 3 baskets)
    """
    path = Path(path) if path is not None else data_dir() / "fimi-retail.dat.gz"
    _exists(path, "a FIMI baskets file")
    opener = gzip.open if path.suffix == ".gz" else open
    with reading(path, "a FIMI baskets file"), opener(path, "rb") as fh:
        text = fh.read()
    lines, items = _fimi.parse(text, repr(str(path)))
    if len(items) == 0:
        raise DataError(f"{path} holds no items.")
    return _fimi_interactions(lines, items)


def _fimi_interactions(lines: np.ndarray, items: np.ndarray) -> Interactions:
    """Basket-only Interactions from each token's line (ascending) and item id; an item
    repeated in a basket counts once."""
    starts = np.r_[True, lines[1:] != lines[:-1]]
    basket = np.cumsum(starts, dtype=np.int32 if len(lines) < 2**31 else np.int64) - 1
    uniq_items, item_index = dense_codes(items)
    # sorting each basket's items is scipy's (C) job; the baskets stay where they are
    rows = sp.csr_matrix((np.ones(len(items), np.int8), item_index,
                          np.r_[np.flatnonzero(starts), len(items)]),
                         shape=(int(basket[-1]) + 1, len(uniq_items)))
    rows.has_sorted_indices = False
    rows.sort_indices()
    fresh = np.r_[True, (rows.indices[1:] != rows.indices[:-1]) | (basket[1:] != basket[:-1])]
    return Interactions(item_index=rows.indices[fresh],
                        items=IdMap.from_sorted(uniq_items, "item_id"),
                        basket_index=basket[fresh],
                        baskets=IdMap.from_sorted(lines[starts].astype(np.int64), "basket_id"))


def read_movielens(path: str | os.PathLike | None = None,
                   min_rating: float | None = None) -> ShopData:
    """MovieLens (``ratings.csv``, ``movies.csv``, ``tags.csv``) as a :class:`ShopData`.

    Users are customers, movies products; each rating is an interaction with
    the rating as its weight and no basket. ``min_rating`` keeps only ratings at
    or above it (the usual implicit-feedback reading). Products carry ``title``,
    ``genres`` (``|``-separated) and ``tags`` (all tags joined).

    Parameters
    ----------
    path : path, optional
        The folder (default: ``ml-latest-small`` under ``RECSYS_DATA_DIR``).
    min_rating : float, optional
        Keep ratings at or above this.

    Returns
    -------
    ShopData

    Raises
    ------
    DataError
        No such folder, or files without MovieLens' columns.

    Examples
    --------
    >>> shop = read_movielens(min_rating=4)  # doctest: +SKIP
    >>> shop.interactions.weights.min()  # doctest: +SKIP
    4.0
    """
    path = Path(path) if path is not None else data_dir() / "ml-latest-small"
    _exists(path / "ratings.csv", "MovieLens ratings.csv")
    with reading(path / "ratings.csv", "MovieLens ratings"):
        ratings = pd.read_csv(path / "ratings.csv")
    _has_columns(ratings, ("userId", "movieId", "rating", "timestamp"), path / "ratings.csv")
    if min_rating is not None:
        ratings = ratings[ratings["rating"] >= min_rating]
    with reading(path / "movies.csv", "MovieLens movies"):
        movies = pd.read_csv(path / "movies.csv", dtype={"title": "string", "genres": "string"})
    _has_columns(movies, ("movieId", "title", "genres"), path / "movies.csv")
    tags_path = path / "tags.csv"
    if tags_path.exists():
        with reading(tags_path, "MovieLens tags"):
            tags = pd.read_csv(tags_path, dtype={"tag": "string"})
        joined = tags.dropna(subset=["tag"]).groupby("movieId")["tag"].agg(" ".join)
        movies = movies.merge(joined.rename("tags"), left_on="movieId", right_index=True,
                              how="left")
    else:
        movies["tags"] = ""
    movies["genres"] = movies["genres"].str.replace("(no genres listed)", "", regex=False)
    orders = pd.DataFrame({
        "customer_id": ratings["userId"].to_numpy(np.int64),
        "product_id": ratings["movieId"].to_numpy(np.int64),
        "rating": ratings["rating"].to_numpy(np.float64),
        "timestamp": parse_timestamps(ratings["timestamp"], f"{path / 'ratings.csv'}: timestamp"),
    })
    products = pd.DataFrame({"product_id": movies["movieId"].to_numpy(np.int64),
                             "title": movies["title"], "genres": movies["genres"],
                             "tags": movies["tags"].fillna("")})
    has_tags = bool(products["tags"].str.strip().ne("").any())  # tags.csv is optional
    items = ItemFeatures.from_frame(products, item="product_id",
                                    text=["title", "tags"] if has_tags else ["title"],
                                    multilabel=["genres"])
    interactions = Interactions.from_frame(orders, user="customer_id", item="product_id",
                                           weight="rating", timestamp="timestamp",
                                           items=np.union1d(items.items.ids,
                                                            orders["product_id"].unique()))
    return ShopData(orders=orders, products=products, interactions=interactions, items=items,
                    customers=None, name="MovieLens")


def _has_columns(frame: pd.DataFrame, needed: Sequence[str], path: Path) -> None:
    """Refuse a data set file that lacks a column the reader needs, naming them."""
    absent = [c for c in needed if c not in frame.columns]
    if absent:
        raise DataError(f"{path} lacks column(s) {absent} (it has {list(frame.columns)}); "
                        f"the reader needs {list(needed)}. Is it the right file?")


def _exists(path: Path, what: str) -> None:
    if not path.exists():
        raise DataError(
            f"{what} not found at {str(path)!r}. Pass its path, or set RECSYS_DATA_DIR to the "
            f"folder that holds the public data sets."
        )


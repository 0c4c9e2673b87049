"""Campaign constraints: what may be picked for whom (already bought, recently mailed, out of
stock, outside a price band, more than N from a category, promoted products)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys._engine.params import check_float, check_int
from recsys.data.dates import days_before, parse_timestamps
from recsys.data.ids import as_id_kind, clean_ids, preview
from recsys.exceptions import DataError, InvalidParameterError
from recsys.models.base import Recommender

__all__ = ["Constraint", "ExcludePurchased", "ExcludeRecentlySent", "OnlyAvailable",
           "PriceBand", "CategoryCap", "MustInclude", "CONSTRAINTS", "constraints_from_config",
           "Context"]


class Constraint:
    """A campaign constraint. Subclasses override one or more of the hooks below: ``bind``
    (prepare for a run), ``allowed`` (items anyone may get) and ``blocked`` (items a
    customer may not get).

    Examples
    --------
    >>> import numpy as np
    >>> class NoBlueProducts(Constraint):
    ...     name = "no blue"
    ...     def allowed(self, ctx):
    ...         return np.array(["blue" not in str(i) for i in ctx.item_ids])
    >>> NoBlueProducts().name
    'no blue'
    """

    name = "constraint"
    #: the replenishment picks (``again=``) are past purchases by design: a constraint about
    #: purchases does not apply to them
    spares_repeats = False

    def bind(self, ctx: Context) -> None:
        """Prepare for a run (align product tables with the model's items)."""

    def allowed(self, ctx: Context) -> np.ndarray | None:
        """Items any customer may get (bool over the model's items), or None."""
        return None

    def blocked(self, ctx: Context, customers: np.ndarray) -> sp.csr_matrix | None:
        """Per-customer blocked items: (customers x items) CSR, or None."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _product_column(products: pd.DataFrame, column: str, item: str, ctx: Context,
                    who: str) -> pd.Series:
    if products is None or not isinstance(products, pd.DataFrame):
        raise DataError(f"{who} needs the product table (a DataFrame).")
    for col in (item, column):
        if col not in products.columns:
            raise DataError(f"{who}: the product table has no column {col!r}; it has "
                            f"{list(products.columns)}.")
    table = products.drop_duplicates(item).set_index(item)[column]
    return table.reindex(ctx.item_ids)


def _check_table(table: object, columns: tuple[str, ...], who: str, what: str,
                 options: str) -> None:
    """A DataFrame holding ``columns``, or a DataError naming the absent ones and the options."""
    if not isinstance(table, pd.DataFrame):
        raise DataError(f"{who}: {what}= must be a DataFrame, got {type(table).__name__}.")
    absent = [col for col in columns if col not in table.columns]
    if absent:
        raise DataError(f"{who}: the {what} table has no column(s) {absent}; it has "
                        f"{list(table.columns)}. Name its columns with {options}.")


class ExcludePurchased(Constraint):
    """Never pick what the customer bought: ever (the model's training history), or within the
    last ``within_days`` before ``as_of`` (then older purchases may come back; needs ``orders``).

    Parameters
    ----------
    within_days : float, optional
        Only purchases this recent are excluded (default: every purchase the model knows).
    orders : DataFrame, optional
        The orders, for ``within_days``.
    customer, item, timestamp : str
        Their columns.

    Examples
    --------
    >>> import recsys
    >>> from recsys.campaign import make_picks
    >>> shop = recsys.make_shop(n_customers=200, n_products=40, seed=0)
    >>> model = recsys.ItemKNN().fit(shop.interactions)
    >>> picks = make_picks(model, shop.customers["customer_id"][:3], k=3,
    ...                    constraints=[ExcludePurchased()],
    ...                    products=shop.products).picks
    >>> bool(picks["product_id"].notna().all())
    True
    """

    name = "purchased"
    spares_repeats = True

    def __init__(self, within_days: float | None = None, orders: pd.DataFrame | None = None, *,
                 customer: str = "customer_id", item: str = "product_id",
                 timestamp: str = "timestamp") -> None:
        self.within_days, self.orders = within_days, orders
        self.columns = (customer, item, timestamp)

    def bind(self, ctx: Context) -> None:
        self._pairs = None
        if self.within_days is None:
            ctx.exclude_seen = True
            return
        if self.orders is None:
            raise DataError("ExcludePurchased(within_days=...) needs orders= (with timestamps).")
        check_float("ExcludePurchased", "within_days", self.within_days, minimum=0)
        customer, item, timestamp = self.columns
        _check_table(self.orders, self.columns, "ExcludePurchased(within_days=...)", "orders",
                     "customer=, item=, timestamp=")
        times = parse_timestamps(self.orders[timestamp], timestamp)
        # purchases in the window before the send; one dated after it (a back-test's future,
        # or a mistyped year) is no recent purchase
        recent = (times >= days_before(ctx.as_of, self.within_days)) & (times <= ctx.as_of)
        self._pairs = ctx.pair_matrix(self.orders[customer].to_numpy()[recent],
                                      self.orders[item].to_numpy()[recent])

    def blocked(self, ctx, customers):
        return None if self._pairs is None else self._pairs[customers]


class ExcludeRecentlySent(Constraint):
    """Never pick a product mailed to the customer within the last ``cooldown_days``
    (from a previous sends table: customer, product, sent_at).

    Parameters
    ----------
    sends : DataFrame
        Earlier picks that were sent (``customer_id``, ``product_id``, ``sent_at``).
    cooldown_days : float, default 14
    customer, item, timestamp : str
        Its columns.

    Examples
    --------
    >>> import pandas as pd
    >>> sends = pd.DataFrame({"customer_id": [1], "product_id": ["P1"],
    ...                       "sent_at": ["2026-01-01"]})
    >>> ExcludeRecentlySent(sends, cooldown_days=7).name
    'recently sent'
    """

    name = "recently sent"

    def __init__(self, sends: pd.DataFrame, cooldown_days: float = 14, *,
                 customer: str = "customer_id", item: str = "product_id",
                 timestamp: str = "sent_at") -> None:
        self.sends, self.cooldown_days = sends, cooldown_days
        self.columns = (customer, item, timestamp)

    def bind(self, ctx: Context) -> None:
        check_float("ExcludeRecentlySent", "cooldown_days", self.cooldown_days, minimum=0)
        customer, item, timestamp = self.columns
        _check_table(self.sends, self.columns, "ExcludeRecentlySent", "sends",
                     "customer=, item=, timestamp=")
        times = parse_timestamps(self.sends[timestamp], timestamp)
        recent = times >= days_before(ctx.as_of, self.cooldown_days)
        self._pairs = ctx.pair_matrix(self.sends[customer].to_numpy()[recent],
                                      self.sends[item].to_numpy()[recent])

    def blocked(self, ctx, customers):
        return self._pairs[customers]


class OnlyAvailable(Constraint):
    """Only products whose ``column`` is true in the product table (in stock, active).

    Parameters
    ----------
    products : DataFrame
        The product table.
    column : str, default "in_stock"
    item : str, default "product_id"

    Examples
    --------
    >>> import recsys
    >>> from recsys.campaign import make_picks
    >>> shop = recsys.make_shop(n_customers=200, n_products=40, seed=0)
    >>> model = recsys.ItemKNN().fit(shop.interactions)
    >>> picks = make_picks(model, shop.customers["customer_id"][:3], k=3,
    ...                    constraints=[OnlyAvailable(shop.products, column="in_stock")],
    ...                    products=shop.products).picks
    >>> bool(shop.products.set_index("product_id").loc[picks["product_id"], "in_stock"].all())
    True
    """

    name = "unavailable"

    def __init__(self, products: pd.DataFrame, column: str = "in_stock", *,
                 item: str = "product_id") -> None:
        self.products, self.column, self.item = products, column, item

    def allowed(self, ctx):
        values = _product_column(self.products, self.column, self.item, ctx, "OnlyAvailable")
        return values.fillna(False).astype(bool).to_numpy()


class PriceBand(Constraint):
    """Only products priced within [low, high].

    Parameters
    ----------
    products : DataFrame
        The product table.
    low, high : float, optional
        The band (either may be left open).
    column : str, default "price"
    item : str, default "product_id"

    Examples
    --------
    >>> import recsys
    >>> from recsys.campaign import make_picks
    >>> shop = recsys.make_shop(n_customers=200, n_products=40, seed=0)
    >>> model = recsys.ItemKNN().fit(shop.interactions)
    >>> picks = make_picks(model, shop.customers["customer_id"][:3], k=3,
    ...                    constraints=[PriceBand(shop.products, low=5, high=30)],
    ...                    products=shop.products).picks
    >>> bool(shop.products.set_index("product_id").loc[picks["product_id"], "price"].between(5, 30).all())
    True
    """

    name = "price band"

    def __init__(self, products: pd.DataFrame, low: float | None = None,
                 high: float | None = None, *, column: str = "price",
                 item: str = "product_id") -> None:
        self.products, self.low, self.high = products, low, high
        self.column, self.item = column, item

    def allowed(self, ctx):
        price = pd.to_numeric(_product_column(self.products, self.column, self.item, ctx,
                                              "PriceBand"), errors="coerce").to_numpy()
        ok = ~np.isnan(price)
        if self.low is not None:
            ok &= price >= self.low
        if self.high is not None:
            ok &= price <= self.high
        return ok


class CategoryCap(Constraint):
    """At most ``max_per_category`` picks from one category (``column`` of the product table).

    Parameters
    ----------
    products : DataFrame
        The product table.
    column : str, default "category"
    max_per_category : int, default 2
    item : str, default "product_id"

    Examples
    --------
    >>> import recsys
    >>> from recsys.campaign import make_picks
    >>> shop = recsys.make_shop(n_customers=200, n_products=40, seed=0)
    >>> model = recsys.ItemKNN().fit(shop.interactions)
    >>> picks = make_picks(model, shop.customers["customer_id"][:3], k=3,
    ...                    constraints=[CategoryCap(shop.products, max_per_category=1)],
    ...                    products=shop.products).picks
    >>> per = picks.merge(shop.products, on="product_id").groupby(["customer_id", "category"])
    >>> bool(per.size().max() == 1)
    True
    """

    name = "category cap"

    def __init__(self, products: pd.DataFrame, column: str = "category",
                 max_per_category: int = 2, *, item: str = "product_id") -> None:
        self.products, self.column, self.item = products, column, item
        self.max_per_category = max_per_category

    def bind(self, ctx: Context) -> None:
        check_int("CategoryCap", "max_per_category", self.max_per_category, minimum=1)
        values = _product_column(self.products, self.column, self.item, ctx, "CategoryCap")
        codes, _ = pd.factorize(values.astype(object).fillna("(none)"))
        ctx.caps.append((self.name, codes.astype(np.int64), self.max_per_category))


class MustInclude(Constraint):
    """Promoted products: each customer gets up to ``slots`` of them, placed first, among those
    the other constraints allow (in the order given).

    Parameters
    ----------
    items : sequence of ids
        The promoted products, in order of preference.
    slots : int, default 1

    Examples
    --------
    >>> import recsys
    >>> from recsys.campaign import make_picks
    >>> shop = recsys.make_shop(n_customers=200, n_products=40, seed=0)
    >>> model = recsys.ItemKNN().fit(shop.interactions)
    >>> picks = make_picks(model, shop.customers["customer_id"][:3], k=3,
    ...                    constraints=[MustInclude(["P0007"], slots=1)],
    ...                    products=shop.products).picks
    >>> set(picks[picks["rank"] == 1]["product_id"]) <= {"P0007"}
    True
    """

    name = "promoted"

    def __init__(self, items: Sequence, slots: int = 1) -> None:
        self.items, self.slots = list(items), slots

    def bind(self, ctx: Context) -> None:
        check_int("MustInclude", "slots", self.slots, minimum=1)
        items = ctx.model.items_
        wanted = [as_id_kind(item, items.kind) for item in self.items]
        index = items.to_index(wanted, missing="mask")
        if (index < 0).any():  # a promotion that silently promotes nothing is refused
            unknown = [item for item, i in zip(wanted, index, strict=True) if i < 0]
            raise DataError(f"promoted product(s) {preview(unknown)} are not in the model's "
                            f"catalogue (--promoted / promoted=); check the ids.")
        ctx.promoted = np.asarray(index, np.int64)
        ctx.promoted_slots = self.slots


CONSTRAINTS = {"purchased": ExcludePurchased, "recently_sent": ExcludeRecentlySent,
         "available": OnlyAvailable, "price_band": PriceBand, "category_cap": CategoryCap,
         "promoted": MustInclude}


def constraints_from_config(config: dict, *, products: pd.DataFrame | None = None,
                      orders: pd.DataFrame | None = None,
                      sends: pd.DataFrame | None = None) -> list[Constraint]:
    """Constraints from a small dict (a TOML/JSON constraints file, ``recsys picks --constraints``)::

        {"exclude_purchased": true, "purchased_within_days": 365,
         "only_available": "in_stock", "price_min": 2, "price_max": 50,
         "category_cap": 2, "category_column": "category",
         "cooldown_days": 14, "promoted": ["P0001"], "promoted_slots": 1}

    ``exclude_purchased`` is on unless set to false; a key whose table is missing
    (``cooldown_days`` without ``sends``) adds nothing.

    Parameters
    ----------
    config : dict
        The keys above (any subset).
    products : pandas.DataFrame, optional
        The product table the availability, price and category rules read.
    orders : pandas.DataFrame, optional
        The order log ``purchased_within_days`` reads.
    sends : pandas.DataFrame, optional
        The send history ``cooldown_days`` reads.

    Returns
    -------
    list of Constraint
        In the order of the keys above.

    Raises
    ------
    InvalidParameterError
        On an unknown key or a ``category_cap`` below 1.

    Examples
    --------
    >>> import pandas as pd
    >>> products = pd.DataFrame({"product_id": ["A", "B"], "price": [3.0, 80.0],
    ...                          "in_stock": [True, False]})
    >>> constraints_from_config({"only_available": "in_stock", "price_max": 50},
    ...                         products=products)
    [ExcludePurchased(), OnlyAvailable(), PriceBand()]
    """
    known = {"exclude_purchased", "purchased_within_days", "only_available", "price_min",
             "price_max", "category_cap", "category_column", "cooldown_days", "promoted",
             "promoted_slots", "price_column"}
    unknown = set(config) - known
    if unknown:
        raise InvalidParameterError(f"constraints file: unknown keys {sorted(unknown)}; known: "
                                    f"{sorted(known)}.")
    constraints: list[Constraint] = []
    if config.get("exclude_purchased", True):
        constraints.append(ExcludePurchased(config.get("purchased_within_days"), orders))
    if config.get("only_available"):
        constraints.append(OnlyAvailable(products, column=config["only_available"]))
    if config.get("price_min") is not None or config.get("price_max") is not None:
        constraints.append(PriceBand(products, config.get("price_min"), config.get("price_max"),
                               column=config.get("price_column", "price")))
    if config.get("category_cap") is not None:  # 0 is refused, never read as "no cap"
        check_int("constraints", "category_cap (--category-cap)", config["category_cap"],
                  minimum=1)
        constraints.append(CategoryCap(products, column=config.get("category_column", "category"),
                                 max_per_category=int(config["category_cap"])))
    if config.get("cooldown_days") is not None and sends is not None:
        constraints.append(ExcludeRecentlySent(sends, config["cooldown_days"]))
    if config.get("promoted"):
        constraints.append(MustInclude(config["promoted"], config.get("promoted_slots", 1)))
    return constraints


class Context:
    """What constraints see of a run: the model, the audience, the reference time; and what
    they leave for it (whether to drop seen items, category caps, promoted products).

    :func:`~recsys.campaign.make_picks` builds one per run; a constraint's hooks read
    ``model``, ``item_ids`` (the model's products, the order every ``allowed`` mask follows),
    ``customers`` and ``as_of``.

    Parameters
    ----------
    model : Recommender
        The fitted model picking.
    customers : numpy.ndarray
        The audience's external ids.
    as_of : numpy.datetime64
        The reference time (the send date) of windows such as ``purchased_within_days``.

    Examples
    --------
    >>> import numpy as np
    >>> import recsys
    >>> shop = recsys.make_shop(n_customers=100, n_products=20, seed=0)
    >>> model = recsys.Popularity().fit(shop.interactions)
    >>> ctx = Context(model, model.users_.ids[:3], np.datetime64("2026-12-01"))
    >>> pairs = ctx.pair_matrix(model.users_.ids[:2], model.items_.ids[:2])  # two pairs
    >>> pairs.shape, pairs.nnz  # the audience x the model's products
    ((3, 20), 2)
    """

    def __init__(self, model: Recommender, customers: np.ndarray, as_of: np.datetime64) -> None:
        self.model = model
        self.item_ids = model.items_.ids
        self.customers = customers  # external ids of the audience
        self.as_of = as_of
        self.exclude_seen = False
        self.caps: list[tuple[str, np.ndarray, int]] = []
        self.promoted = np.empty(0, np.int64)
        self.promoted_slots = 0
        self.again = None  # replenishment picks (campaign._again.Again), when asked for
        self.new = None  # new arrivals (campaign._new.NewArrivals), when asked for

    def pair_matrix(self, customers: np.ndarray, items: np.ndarray) -> sp.csr_matrix:
        """(audience x items) CSR marking the given (customer, item) pairs."""
        audience = pd.Index(self.customers)
        rows = audience.get_indexer(clean_ids(customers, "customers"))
        cols = self.model.items_.to_index(clean_ids(items, "items"), missing="mask")
        ok = (rows >= 0) & (cols >= 0)
        matrix = sp.csr_matrix((np.ones(int(ok.sum()), np.float32), (rows[ok], cols[ok])),
                               shape=(len(self.customers), len(self.item_ids)))
        matrix.sum_duplicates()
        return matrix


"""Business rules at request time, from the product table: categories to keep or leave out, a
price band, in stock only, at most n picks per category, promoted products first. The table's
columns are aligned once per model version (and per product table: it can be replaced while
the service runs) to the model's products; a request's rules are a few vectorised operations
over them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.exceptions import InvalidParameterError

__all__ = ["ProductFilters", "Asked"]


@dataclass(frozen=True)
class Asked:
    """The rules of one request (empty: none asked).

    Parameters
    ----------
    category, exclude_category : tuple of str
        Categories to keep, or to leave out.
    min_price, max_price : float, optional
    in_stock : bool, default False
    max_per_category : int, optional
    promoted : tuple of ids
        Promoted products, placed first.
    promoted_slots : int, default 1

    Examples
    --------
    >>> Asked().any(), Asked(category=("mugs",)).any()
    (False, True)
    """

    category: tuple[str, ...] = ()
    exclude_category: tuple[str, ...] = ()
    min_price: float | None = None
    max_price: float | None = None
    in_stock: bool = False
    max_per_category: int | None = None
    promoted: tuple[str, ...] = ()
    promoted_slots: int = 1

    def any(self) -> bool:
        """Whether a filter of the candidates is asked (caps and promotions are not)."""
        return bool(self.category or self.exclude_category or self.in_stock
                    or self.min_price is not None or self.max_price is not None)


class ProductFilters:
    """The product table's filter columns (``None``: not configured), aligned to each model's
    products on first use.

    Parameters
    ----------
    products : DataFrame, optional
        One row per product.
    item : str
        Its id column.
    category, price, available : str, optional
        Its columns for the category, price and in-stock rules.

    Examples
    --------
    >>> import recsys
    >>> shop = recsys.make_shop(n_customers=100, n_products=30, seed=0)
    >>> model = recsys.Popularity().fit(shop.interactions)
    >>> rules = ProductFilters(shop.products, "product_id", "category", "price", "in_stock")
    >>> len(rules.candidates(model, "v1", Asked(in_stock=True))) <= len(model.items_)
    True
    """

    def __init__(self, products: pd.DataFrame | None, item: str, category: str | None,
                 price: str | None, available: str | None) -> None:
        self.columns = {"category": category, "price": price, "available": available}
        self.item = item
        self._products: tuple[int, pd.DataFrame | None] = (0, None)  # (generation, table)
        self._aligned: dict[tuple, dict[str, np.ndarray]] = {}
        self.replace(products)

    def replace(self, products: pd.DataFrame | None) -> None:
        """Serve ``products`` from now on (the model stays): one assignment, so a request
        aligns either the old table or the new one. A table without the id column is
        refused and the old one stays."""
        if products is not None and self.item not in products.columns:
            raise InvalidParameterError(f"the products have no {self.item!r} column (the "
                                        f"product id); they have {list(products.columns)}.",
                                        param="products")
        table = None if products is None else \
            products.drop_duplicates(self.item).set_index(self.item)
        self._products = (self._products[0] + 1, table)  # one assignment: never half of each

    def candidates(self, model, version: str, asked: Asked) -> np.ndarray | None:
        """The model's product ids that pass ``asked`` (None when nothing is asked)."""
        if not asked.any():
            return None
        columns = self._columns(model, version)
        keep = np.ones(len(model.items_), bool)
        if asked.category:
            keep &= np.isin(self._need(columns, "category", "category"), list(asked.category))
        if asked.exclude_category:
            keep &= ~np.isin(self._need(columns, "category", "exclude_category"),
                             list(asked.exclude_category))
        if asked.min_price is not None:
            keep &= self._need(columns, "price", "min_price") >= asked.min_price
        if asked.max_price is not None:
            keep &= self._need(columns, "price", "max_price") <= asked.max_price
        if asked.in_stock:
            keep &= self._need(columns, "available", "in_stock")
        return model.items_.ids[keep]

    def capped(self, model, version: str, index: np.ndarray, most: int) -> np.ndarray:
        """Which of the ranked product ``index`` (best first) stay when at most ``most``
        come from one category: the first ``most`` of each, in rank order."""
        if most < 1:
            raise InvalidParameterError(f"max_per_category must be at least 1, got {most}.",
                                        param="max_per_category")
        columns = self._columns(model, version)
        self._need(columns, "category", "max_per_category")
        labels = columns["category_code"][index]
        order = np.argsort(labels, kind="stable")  # rank order kept within a category
        ranked = labels[order]
        starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
        sizes = np.diff(np.r_[starts, len(ranked)])
        seen = np.empty(len(index), np.int64)  # how many of its category rank above it
        seen[order] = np.arange(len(ranked)) - np.repeat(starts, sizes)
        return seen < most

    def _columns(self, model, version: str) -> dict[str, np.ndarray]:
        generation, table = self._products
        key = (version, generation)
        if key not in self._aligned:  # once per model version and table: a few vector reads
            rows = None if table is None else table.reindex(model.items_.ids)
            aligned = {}
            for role, column in self.columns.items():
                if rows is None or column is None or column not in rows.columns:
                    continue
                values = rows[column]
                aligned[role] = (values.astype("string").fillna("").to_numpy(dtype=object)
                                 if role == "category" else
                                 pd.to_numeric(values, errors="coerce").to_numpy(np.float64)
                                 if role == "price" else _truthy(values))
                if role == "category":  # small ints for the per-category cap
                    aligned["category_code"] = pd.factorize(aligned[role])[0]
            self._aligned = {key: aligned}  # the newest only: memory stays flat
        return self._aligned[key]

    def _need(self, columns: dict[str, np.ndarray], role: str, asked: str) -> np.ndarray:
        if role not in columns:
            option = {"category": "--category-col", "price": "--price-col",
                      "available": "--available-col"}[role]
            raise InvalidParameterError(f"{asked} filters by the products' {role}, and the "
                                        f"service has no such column: start it with "
                                        f"--products and {option}.", param=asked)
        return columns[role]


def _truthy(values: pd.Series) -> np.ndarray:
    """An in-stock column as booleans: true/false, 1/0, yes/no (text "False" is False)."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.fillna(0).astype(bool).to_numpy()
    text = values.astype("string").str.strip().str.lower()
    return text.isin(["true", "1", "yes", "y", "t"]).fillna(False).to_numpy(bool)

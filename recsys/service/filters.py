"""Business filters at request time, from the product table: categories to keep or leave out,
a price band, in stock only. The table's columns are aligned once per model version to the
model's products; a request's filter is a few vectorised comparisons over them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.exceptions import InvalidParameterError

__all__ = ["ProductFilters", "Asked"]


@dataclass(frozen=True)
class Asked:
    """The filters of one request (empty: none asked)."""

    category: tuple[str, ...] = ()
    exclude_category: tuple[str, ...] = ()
    min_price: float | None = None
    max_price: float | None = None
    in_stock: bool = False

    def any(self) -> bool:
        return bool(self.category or self.exclude_category or self.in_stock
                    or self.min_price is not None or self.max_price is not None)


class ProductFilters:
    """The product table's filter columns (``None``: not configured), aligned to each model's
    products on first use."""

    def __init__(self, products: pd.DataFrame | None, item: str, category: str | None,
                 price: str | None, available: str | None) -> None:
        self.columns = {"category": category, "price": price, "available": available}
        self.table = None if products is None else products.drop_duplicates(item).set_index(item)
        self._aligned: dict[str, dict[str, np.ndarray]] = {}

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

    def _columns(self, model, version: str) -> dict[str, np.ndarray]:
        if version not in self._aligned:  # once per model version: a few vector reads
            rows = None if self.table is None else self.table.reindex(model.items_.ids)
            aligned = {}
            for role, column in self.columns.items():
                if rows is None or column is None or column not in rows.columns:
                    continue
                values = rows[column]
                aligned[role] = (values.astype("string").fillna("").to_numpy(dtype=object)
                                 if role == "category" else
                                 pd.to_numeric(values, errors="coerce").to_numpy(np.float64)
                                 if role == "price" else _truthy(values))
            self._aligned = {version: aligned}  # the newest version only: memory stays flat
        return self._aligned[version]

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

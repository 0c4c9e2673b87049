"""How much each interaction counts: time decay (``half_life_days``) and term weighting
(``weighting="bm25" | "tfidf" | "log" | "binary"``), shared by the models that take them.

The weighting follows implicit's functions (``implicit.nearest_neighbours.bm25_weight`` and
``tfidf_weight`` applied, as implicit's own item-kNN and examples do, with products as the
documents and customers as the terms): a customer who bought many products says less about
each (the inverse document frequency of the customer, from the length of their history), and
a product bought by many is length-normalised (BM25). What the fit learns about the products
is kept, so a cart or a new customer is weighted exactly as a training row would have been.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recsys._engine.arrays import largest_per_key, locate, row_ids, row_lengths
from recsys._engine.sparse import csr
from recsys.data.dates import DAY_NS
from recsys.data.interactions import Interactions
from recsys.exceptions import DataError

__all__ = ["WEIGHTINGS", "Weighting", "recency", "BM25_K1", "BM25_B"]

WEIGHTINGS = ("bm25", "tfidf", "log", "binary")
BM25_K1 = 100.0  # implicit's bm25_weight defaults, the values of its examples
BM25_B = 0.8


@dataclass(frozen=True, eq=False)
class Weighting:
    """A fitted weighting: ``transform`` turns histories (customers x products, summed
    weights) into what the model learns from.

    Parameters
    ----------
    kind : str or None
        One of :data:`WEIGHTINGS`, or None (the weights as they are).
    n_items : int
        Products with interactions at fit (the collection size of the inverse frequency).
    item_norm : numpy.ndarray of float64
        BM25's length normalisation of each product (ones for the other kinds).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> history = sp.csr_matrix([[3.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    >>> weighting = Weighting.fit("log", history)
    >>> weighting.n_items, weighting.transform(history).toarray().astype(float).round(3).tolist()
    (3, [[1.386, 0.0, 0.693], [0.693, 0.693, 0.0]])
    """

    kind: str | None
    n_items: int
    item_norm: np.ndarray

    def __post_init__(self) -> None:
        self.item_norm.setflags(write=False)  # fitted state

    @classmethod
    def fit(cls, kind: str | None, matrix: sp.csr_matrix) -> Weighting:
        """Learn the product side of ``kind`` from the training ``matrix``."""
        sums = np.asarray(matrix.sum(axis=0)).ravel().astype(np.float64)
        active = sums > 0
        norm = np.ones(matrix.shape[1])
        if kind == "bm25" and active.any():
            norm[active] = (1.0 - BM25_B) + BM25_B * sums[active] / sums[active].mean()
        return cls(kind, int(active.sum()), norm)

    def transform(self, matrix: sp.csr_matrix) -> sp.csr_matrix:
        """``matrix`` weighted as float32 CSR (a new matrix, or ``matrix`` itself when it is
        float32 CSR and the kind is None: read it, never write it). The input is not changed."""
        matrix = matrix.tocsr()
        if self.kind is None:
            return matrix.astype(np.float32, copy=False)
        data = matrix.data.astype(np.float64)
        if self.kind in ("bm25", "tfidf"):
            lengths = row_lengths(matrix.indptr)
            idf = np.log(max(self.n_items, 1)) - np.log1p(lengths)
            idf = np.repeat(idf, lengths)
            if self.kind == "bm25":
                data = data * (BM25_K1 + 1.0) / (BM25_K1 * self.item_norm[matrix.indices] + data)
            else:
                data = np.sqrt(np.maximum(data, 0.0))
            data = data * idf
        elif self.kind == "log":
            data = np.log1p(np.maximum(data, 0.0))
        elif self.kind == "binary":
            data = (data != 0).astype(np.float64)
        return csr(data.astype(np.float32), matrix.indices.copy(), matrix.indptr.copy(),
                   matrix.shape)

    def state(self, prefix: str = "weighting/") -> tuple[dict[str, np.ndarray], dict]:
        """Arrays and facts for the model file."""
        return {f"{prefix}item_norm": self.item_norm}, {f"{prefix}n_items": self.n_items}


def decayed_matrix(data: Interactions, half_life_days: float | None) -> sp.csr_matrix:
    """Customers x products, each row's weight times ``2 ** (-age / half_life_days)``, the age
    in days at the newest interaction of ``data``; summed per pair. Without a half-life, the
    plain summed weights (``data.matrix("user")``)."""
    if half_life_days is None:
        return data.matrix("user").copy()
    if data.timestamps is None:
        raise DataError(
            "half_life_days needs timestamps in the interactions: build them with "
            "timestamp='<column>' (--time-col on the command line), or leave half_life_days=None.")
    day = data.timestamps.astype(np.int64) / DAY_NS
    weights = data.weights * np.exp2(-(day.max() - day) / half_life_days)
    matrix = sp.csr_matrix((weights.astype(np.float32), (data.user_index, data.item_index)),
                           shape=(data.n_users, data.n_items))
    matrix.sum_duplicates()
    matrix.eliminate_zeros()  # as data.matrix does: the same cells as the undecayed matrix
    return matrix


def recency(data: Interactions, cells: sp.csr_matrix,
            half_life_days: float) -> tuple[np.ndarray, np.ndarray]:
    """Per stored cell of ``cells`` (customers x products over ``data``'s maps, as
    ``data.matrix("user")``), ``2 ** (-age / half_life_days)`` with the age in days of the
    customer's latest purchase of the product: at the newest interaction of ``data``, and at
    the customer's own newest (how recent it is within their history), in that order.

    Parameters
    ----------
    data : Interactions
        Interactions with timestamps.
    cells : scipy.sparse.csr_matrix
        Customers x products over ``data``'s maps; its stored cells are the pairs weighed.
    half_life_days : float
        Days after which a purchase counts half.

    Returns
    -------
    tuple of numpy.ndarray
        Two float64 arrays, one value per stored cell: recency at the data's newest
        interaction, and within the customer's own history.

    Raises
    ------
    DataError
        When ``data`` has no timestamps.

    Examples
    --------
    >>> import pandas as pd
    >>> from recsys.data.interactions import Interactions
    >>> data = Interactions.from_frame(pd.DataFrame({
    ...     "user_id": [1, 1, 2], "item_id": ["a", "b", "a"],
    ...     "timestamp": pd.to_datetime(["2026-01-01", "2026-01-11", "2026-01-21"])}),
    ...     timestamp="timestamp")
    >>> overall, own = recency(data, data.matrix("user"), half_life_days=10)
    >>> overall.tolist(), own.tolist()  # customer 1's a, b; customer 2's a
    ([0.25, 0.5, 1.0], [0.5, 1.0, 1.0])
    """
    if data.timestamps is None:
        raise DataError(
            "half_life_days needs timestamps in the interactions: build them with "
            "timestamp='<column>' (--time-col on the command line), or leave half_life_days=None.")
    day = data.timestamps.astype(np.int64) / DAY_NS
    pairs, latest = largest_per_key(
        data.user_index.astype(np.int64) * data.n_items + data.item_index, day)
    rows = row_ids(cells.indptr)
    position, _ = locate(pairs, rows.astype(np.int64) * data.n_items + cells.indices)
    bought = latest[position]
    newest = np.full(cells.shape[0], -np.inf)
    np.maximum.at(newest, rows, bought)
    return (np.exp2(-(day.max() - bought) / half_life_days),
            np.exp2(-(newest[rows] - bought) / half_life_days))

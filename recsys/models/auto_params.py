"""Defaults read from the data at fit (``"auto"``): the parameters whose good value depends on
how much data there is.

One fixed value suits one shop and fails the next: ALS with implicit's ``regularization=0.01,
alpha=1`` overfits a 100-product shop (ndcg@10 a fifth of its value at a fitted scale) and a
grocery (a fifteenth); EASE's best ``l2`` grows with how often each product was bought;
item-kNN needs more neighbours as the catalogue grows. The formulas below come from grids over
synthetic shops of many shapes (``make_shop`` from 100 to 3,000 products and 1,000 to 20,000
customers, dense and sparse, repeat-heavy; ``make_grocery``) and published values, written
out in ``docs/models.md`` ("Defaults read from the data"):

- EASE ``l2 = 30 * sqrt(d * v)``, with ``d`` the mean of the Gram matrix's diagonal over the
  products with interactions (for binary input: customers per product) and ``v`` the mean
  squared stored value (1 for binary input). The square root sits between ridge regression's
  constant penalty and the linear growth that duplicated customers would ask; on the grids the
  best ``l2`` moved from 100 to 1,000 as customers per product went from 9 to 400, and the
  formula lands inside each grid's best region; on ML-20M (about 500 customers a product) it
  gives 670, near Steck's 500. The scale of the values cancels out (``l2`` scales with the
  squared values, as the Gram matrix does).
- ALS with ``s = clip(sqrt(nnz) / 40, 1, 50)`` over the customer x product cells learnt
  from: ``alpha = s / m`` (``m`` the mean stored value, so that a purchase's confidence is
  about ``s`` whatever the unit of the weights: lines, quantities, ratings) and
  ``regularization = 10 * s``. On every grid the best cells lay along ``regularization`` about
  10 ``alpha``, their level growing with the data.
- ItemKNN ``k = min(500, ceil(10 * sqrt(n)))`` for ``n`` products with interactions: every
  neighbour on a small catalogue (100 products: 100), a bounded neighbour table on a large one
  (50,000 products: 500, 25 million links).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp

from recsys._engine.params import check_float, check_int
from recsys.exceptions import InvalidParameterError

__all__ = ["AUTO"]

AUTO = "auto"
EASE_L2_SCALE = 30.0
ALS_SCALE_DIVISOR = 40.0
ALS_SCALE_RANGE = (1.0, 50.0)
ALS_REGULARIZATION_PER_ALPHA = 10.0
KNN_K_SCALE = 10.0
KNN_K_MAX = 500


def is_auto(value: object) -> bool:
    """Whether a parameter is the ``"auto"`` sentinel (never true for numbers)."""
    return isinstance(value, str) and value == AUTO


def check_auto(owner: str, name: str, value: Any, integer: bool = False,
               **bounds: Any) -> None:
    """``value`` is ``"auto"`` or a number within ``bounds`` (those of
    :func:`~recsys._engine.params.check_float` / :func:`~recsys._engine.params.check_int`), else
    ``InvalidParameterError``."""
    if is_auto(value):
        return
    if isinstance(value, str):
        raise InvalidParameterError(
            f"{owner}: {name} must be a number or 'auto' (read from the data at fit), got "
            f"{value!r}.", param=name)
    if integer:
        check_int(owner, name, value, **bounds)
    else:
        check_float(owner, name, value, **bounds)


def ease_l2(matrix: sp.csr_matrix) -> float:
    """EASE's ``l2`` for the customers x products CSR ``matrix`` it learns from.

    >>> ease_l2(sp.csr_matrix(np.ones((100, 4))))  # 100 customers a product
    300.0
    """
    # the Gram matrix's diagonal, straight from the stored cells (no squared copy of the matrix)
    squares = np.bincount(matrix.indices, weights=np.square(matrix.data, dtype=np.float64),
                          minlength=matrix.shape[1])
    active = squares > 0
    if not active.any():
        return EASE_L2_SCALE
    mean_square = float(squares[active].sum()) / max(matrix.nnz, 1)
    return EASE_L2_SCALE * math.sqrt(float(squares[active].mean()) * mean_square)


def als_scale(matrix: sp.csr_matrix) -> tuple[float, float]:
    """ALS's ``(regularization, alpha)`` for the customers x products CSR ``matrix`` it learns
    from.

    >>> als_scale(sp.csr_matrix(np.full((40, 40), 2.0)))  # 1,600 cells of 2
    (10.0, 0.5)
    """
    values = matrix.data[matrix.data != 0]
    low, high = ALS_SCALE_RANGE
    scale = float(np.clip(math.sqrt(len(values)) / ALS_SCALE_DIVISOR, low, high))
    mean = float(np.abs(values).mean()) if len(values) else 1.0
    return ALS_REGULARIZATION_PER_ALPHA * scale, scale / (mean if mean > 0 else 1.0)


def knn_k(n_items: int) -> int:
    """ItemKNN's neighbours per product for ``n_items`` products with interactions.

    >>> knn_k(100), knn_k(3_000), knn_k(50_000)
    (100, 500, 500)
    """
    return int(min(KNN_K_MAX, max(1, math.ceil(KNN_K_SCALE * math.sqrt(max(n_items, 0))))))

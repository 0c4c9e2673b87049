"""EASE (Steck 2019): the closed-form item-item model, solved in place so that catalogues of
tens of thousands of products fit in memory.

The solver's helpers (the weights, the in-place inverse, the memory estimate) serve the
model and SLIST; the public name is :class:`EASE`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

from recsys._engine import state_checks as checks
from recsys._engine.sparse import chunk_rows, placed_square, top_per_row
from recsys._engine.threads import fit_threads
from recsys.data.interactions import Interactions
from recsys.exceptions import InvalidParameterError
from recsys.models.auto_params import AUTO, ease_l2, is_auto
from recsys.models.neighbors import _ItemToItem
from recsys.models.params import HALF_LIVES, AutoOr, Choice, Float, HalfLife, Int, OneOf, Param, Uniform
from recsys.models.weighting import WEIGHTINGS

__all__ = ["EASE"]

EXACT_ITEMS = 8_192  # up to this many products the solve runs in float64, beyond in float32
_BLOCK = 2_048  # rows handled at once when mirroring or pruning the dense solution
#: the solution over the products with interactions is placed in a dense catalogue x catalogue
#: matrix up to this size (or 4x the solution's), and as CSR beyond
DENSE_PLACEMENT_BYTES = 256 * 2**20


def fit_bytes(n: int) -> int:
    """Memory the fit needs for ``n`` products: the dense Gram matrix solved in place (8 or 4
    bytes a cell), and the float32 weights beside it when they are a separate array."""
    return (8 + 4) * n * n if n <= EXACT_ITEMS else 4 * n * n


def _mirror_upper(matrix: np.ndarray) -> None:
    """Copy the upper triangle onto the lower, block by block (no full-size temporary)."""
    n = matrix.shape[0]
    for start in range(0, n, _BLOCK):
        stop = min(n, start + _BLOCK)
        diagonal = matrix[start:stop, start:stop]
        diagonal[...] = np.triu(diagonal) + np.triu(diagonal, 1).T
        matrix[stop:, start:stop] = matrix[start:stop, stop:].T


def regularised_inverse(gram: np.ndarray, l2: float, owner: str) -> np.ndarray:
    r""":math:`(G + \lambda I)^{-1}` of the dense symmetric ``gram`` (float64 or float32),
    computed in its own buffer (``gram`` is overwritten); C-contiguous and symmetric.

    Raises InvalidParameterError when the regularised matrix is not positive definite.
    """

    n = gram.shape[0]
    gram[np.diag_indices(n)] += l2
    # LAPACK works on column-major arrays: the transpose of the symmetric Gram matrix is the
    # same matrix, already column-major, so the factorisation and inverse overwrite it
    cholesky, inverse = ((lapack.dpotrf, lapack.dpotri) if gram.dtype == np.float64
                         else (lapack.spotrf, lapack.spotri))
    factor, info = cholesky(gram.T, lower=False, overwrite_a=True, clean=True)
    if info == 0:
        P, info = inverse(factor, lower=False, overwrite_c=True)
    if info != 0:
        raise InvalidParameterError(
            f"{owner}: the regularised Gram matrix is not positive definite (LAPACK info "
            f"{info}); raise l2 (now {l2:g}).")
    _mirror_upper(P)  # the inverse is in the upper triangle of the column-major array
    return np.ascontiguousarray(P.T)  # a view of the same buffer when LAPACK worked in place


def ease_weights(X: sp.spmatrix, l2: float) -> np.ndarray:
    r""":math:`B = I - P\,\mathrm{diag}(1/\mathrm{diag}(P))` with the diagonal zeroed,
    :math:`P = (X^\top X + \lambda I)^{-1}`, for the columns of ``X``: float64 for up to
    :data:`EXACT_ITEMS` columns, float32 (about 4 bytes a cell, all in place) beyond.

    Raises InvalidParameterError when the regularised Gram matrix is not positive definite.
    """
    n = X.shape[1]
    dtype = np.float64 if n <= EXACT_ITEMS else np.float32
    P = regularised_inverse((X.T @ X).astype(dtype).toarray(), l2, "EASE")
    P /= -np.diag(P)[None, :].copy()
    P[np.diag_indices(n)] = 0.0
    return P


class EASE(_ItemToItem):
    r"""Embarrassingly shallow autoencoder (Steck 2019): a closed-form item-item model.

    :math:`P = (X^\top X + \lambda I)^{-1}`, :math:`B = I - P\,\mathrm{diag}(1/\mathrm{diag}(P))`
    (zero diagonal); scores are :math:`X_u B`. Strong on small and mid-sized catalogues.
    The dense items x items solve runs in place: about ``12 n**2`` bytes up to 8,192 products
    (float64), ``4 n**2`` beyond (float32; 20,000 products: 1.5 GiB, 40,000: 6 GiB).
    ``max_items`` refuses larger catalogues before allocating; ``neighbors`` keeps only each
    product's strongest links (a sparse model: smaller files, faster scoring).

    Parameters
    ----------
    l2 : float or "auto", default "auto"
        :math:`\lambda`, the L2 regularisation. ``"auto"`` reads it from the data:
        ``30 * sqrt(d * v)``, ``d`` the mean of the Gram matrix's diagonal (customers per
        product for binary input), ``v`` the mean squared value (1 for binary input); about
        100 for a few customers per product, 600 for 400 (:mod:`recsys.models.auto_params`). The
        value used is ``l2_`` after fit.
    max_items : int, default 30000
        Largest catalogue accepted (products with interactions).
    neighbors : int or None, default None
        Keep the ``neighbors`` largest positive weights of each product (None: the exact,
        dense weights).
    num_threads : int, default 0
        BLAS threads for the inversion (0: library default).
    weighting : {"bm25", "tfidf", "log", "binary"} or None, default "binary"
        How the summed weights enter :math:`X` (Steck's EASE is binary; see
        :mod:`recsys.models.weighting`); None: as they are.
    half_life_days : float or None, default None
        Decay by the age of each purchase (needs timestamps; docs/models.md, "Weighting
        and time decay"). None: no decay.

    Examples
    --------
    >>> from recsys import EASE, make_shop
    >>> shop = make_shop(n_customers=300, n_products=60, seed=0)
    >>> EASE(l2=100.0).fit(shop.interactions).weights_.shape
    (60, 60)
    """

    checks_collapse = True

    #: the l2 the fit used (``l2``, or the value ``"auto"`` read from the data)
    l2_: float
    demo_params: ClassVar[dict[str, Any]] = {"l2": 200.0}

    forgets_from_state: ClassVar[bool] = True  # its fit reads who bought what only
    parameters: ClassVar[dict[str, Param]] = {
        "l2": Param(AutoOr(Float(minimum=0, exclusive_min=True)), Uniform(1.0, 10_000.0, log=True)),
        "max_items": Param(Int(minimum=1)),
        "neighbors": Param(Int(minimum=1, none=True)),
        "num_threads": Param(Int(minimum=0)),
        "weighting": Param(OneOf((*WEIGHTINGS, None)), Choice(["binary", "log"])),
        "half_life_days": Param(HalfLife(), HALF_LIVES),
    }

    def __init__(self, *, l2: float | str = AUTO, max_items: int = 30_000,
                 neighbors: int | None = None, num_threads: int = 0,
                 weighting: str | None = "binary", half_life_days: float | None = None) -> None:
        self.weighting = weighting
        self.half_life_days = half_life_days
        self.l2 = l2
        self.max_items = max_items
        self.neighbors = neighbors
        self.num_threads = num_threads


    def _fit(self, data: Interactions, features: Any) -> None:
        trained = self._trained_within_max_items(fit_bytes, "RP3beta, ItemKNN or ALS")
        X = self._weighted_training(data)[:, trained]
        self.l2_ = ease_l2(X) if is_auto(self.l2) else float(self.l2)
        X = X.tocsc()
        with fit_threads(self.num_threads):
            B = ease_weights(X, self.l2_)
        self.weights_ = self._placed(B, trained)

    def _trained_within_max_items(self, needs_bytes, instead: str) -> np.ndarray:
        """The products with interactions, refused (before any allocation) when more than
        ``max_items``: ``needs_bytes(n)`` is the fit's memory, ``instead`` the models to
        suggest."""
        trained = np.flatnonzero(self.item_counts_ > 0)
        n = len(trained)
        if n > self.max_items:
            name = type(self).__name__
            raise InvalidParameterError(
                f"{name}: {n:,} items with interactions need a dense {n:,} x {n:,} solve, about "
                f"{needs_bytes(n) / 2**30:.1f} GiB while fitting, above max_items="
                f"{self.max_items:,}. Use {instead} for this catalogue, or raise max_items if "
                f"the memory is there.")
        return trained

    def _placed(self, B: np.ndarray, trained: np.ndarray) -> np.ndarray | sp.csr_matrix:
        """The solution over the whole catalogue: dense float32, or pruned to CSR."""
        n_all = len(self.items_)
        if self.neighbors is not None:
            step = chunk_rows(len(trained), 4_000_000)
            pruned = sp.vstack([top_per_row(B[i:i + step], i, self.neighbors)
                                for i in range(0, len(trained), step)], format="coo")
            weights = sp.csr_matrix((pruned.data, (trained[pruned.row], trained[pruned.col])),
                                    shape=(n_all, n_all), dtype=np.float32)
            weights.sort_indices()
            return weights
        if len(trained) == n_all:
            return B.astype(np.float32, copy=False)
        if 4 * n_all * n_all > max(DENSE_PLACEMENT_BYTES, 16 * len(trained) ** 2):
            # a catalogue far larger than what was bought (items= of 100,000 products, a few
            # hundred sold): the dense placement would be mostly zeros, gigabytes of them
            return placed_square(sp.csr_matrix(B.astype(np.float32, copy=False)), trained,
                                 n_all)
        weights = np.zeros((n_all, n_all), np.float32)
        weights[np.ix_(trained, trained)] = B
        return weights

    def _weights(self):
        return self.weights_

    def _item_state(self):
        W = self.weights_
        if sp.issparse(W):
            return {"weights/data": W.data, "weights/indices": W.indices,
                    "weights/indptr": W.indptr}, {"l2": self.l2_}
        return {"weights": W}, {"l2": self.l2_}

    def _load_item_state(self, arrays, meta) -> None:
        n = len(self.items_)
        self.l2_ = checks.positive_number(meta, "l2", self.l2)
        if "weights/indptr" in arrays:  # pruned (neighbors) or placed in a wide catalogue
            self.weights_ = checks.csr_from(arrays, "weights/", (n, n))
        else:
            self.weights_ = checks.matrix(arrays["weights"], "model/weights", n, n)

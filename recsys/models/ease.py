"""EASE (Steck 2019): the closed-form item-item model, solved in place so that catalogues of
tens of thousands of products fit in memory.

The solver's helpers (the weights, the in-place inverse, the memory estimate) serve the
model and SLIST; the public name is :class:`EASE`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas, lapack

from recsys._engine import state_checks as checks
from recsys._engine.sparse import chunk_rows, placed_square, top_per_row, without_rows
from recsys._engine.threads import fit_threads
from recsys.data.interactions import Interactions
from recsys.exceptions import InvalidParameterError, PersistenceError
from recsys.models.auto_params import AUTO, ease_l2, is_auto
from recsys.models.neighbors import _ItemToItem
from recsys.models.params import HALF_LIVES, AutoOr, Choice, Float, HalfLife, Int, OneOf, Param, Uniform
from recsys.models.weighting import WEIGHTINGS, Weighting

__all__ = ["EASE"]

EXACT_ITEMS = 8_192  # up to this many products the solve runs in float64, beyond in float32
_BLOCK = 2_048  # rows handled at once when mirroring or pruning the dense solution
#: the solution over the products with interactions is placed in a dense catalogue x catalogue
#: matrix up to this size (or 4x the solution's), and as CSR beyond
DENSE_PLACEMENT_BYTES = 256 * 2**20
#: an erasure downdates the weights (Woodbury) when it removes fewer customers than the
#: products over this, and solves again beyond: measured, the downdate of r customers costs
#: about a solve at r = n / 4 (800 products) to n / 10
DOWNDATE_SHARE = 10


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


def ease_weights(X: sp.spmatrix, l2: float) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`B = I - P\,\mathrm{diag}(1/\mathrm{diag}(P))` with the diagonal zeroed,
    :math:`P = (X^\top X + \lambda I)^{-1}`, for the columns of ``X``: float64 for up to
    :data:`EXACT_ITEMS` columns, float32 (about 4 bytes a cell, all in place) beyond; and
    :math:`\mathrm{diag}(P)` (float64), from which :math:`P = (I - B)\,\mathrm{diag}(P)`
    comes back for an erasure.

    Raises InvalidParameterError when the regularised Gram matrix is not positive definite.
    """
    n = X.shape[1]
    dtype = np.float64 if n <= EXACT_ITEMS else np.float32
    P = regularised_inverse((X.T @ X).astype(dtype).toarray(), l2, "EASE")
    return _weights_of_inverse(P)


def _weights_of_inverse(P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``P`` (overwritten) made into EASE's weights, and its diagonal."""
    diagonal = np.diag(P).astype(np.float64)
    P /= -diagonal[None, :].astype(P.dtype)
    P[np.diag_indices(P.shape[0])] = 0.0
    return P, diagonal


def downdated_weights(B: np.ndarray, diagonal: np.ndarray,
                      removed: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    r"""EASE's weights ``B`` and :math:`\mathrm{diag}(P)` without the rows ``removed`` of
    :math:`X` (customers x the same products as ``B``), by the Woodbury identity, in a new
    array (``B`` is not changed).

    With :math:`P = (I - B)\,D`, :math:`D = \mathrm{diag}(P)`, :math:`U = X_r P` and
    :math:`Z = (I - U X_r^\top)^{-1} U` (``r`` rows: small), the new inverse is
    :math:`P' = P + U^\top Z`, so :math:`B' = (B - U^\top Z D^{-1})\,D D'^{-1}` with
    :math:`D' = D + \mathrm{diag}(U^\top Z)`: one rank-``r`` product added in place and one
    column scaling, a few passes over the weights against the fit's :math:`n^3` solve. A
    product no remaining customer bought comes out with no weights, as in a fit without it
    (its block of the regularised Gram matrix is :math:`\lambda` alone)."""
    rows = removed.astype(np.float64).tocsr()
    # X_r B in B's own precision (a float64 product would first copy B whole to float64)
    product = np.asarray(rows.astype(B.dtype) @ B, dtype=np.float64)
    U = (rows.toarray() - product) * diagonal[None, :]
    Z = np.linalg.solve(np.eye(rows.shape[0]) - np.asarray(rows @ U.T), U)
    new_diagonal = diagonal + np.einsum("ij,ij->j", U, Z)
    scale = diagonal / new_diagonal
    out = np.multiply(B, scale.astype(B.dtype)[None, :])  # B D / D', a new array
    # then out -= U' (Z D^-1 D / D') = U' (Z / D'), added by BLAS in place; the transposes
    # make the row-major arrays the column-major ones BLAS writes
    gemm = blas.dgemm if out.dtype == np.float64 else blas.sgemm
    gemm(-1.0, (Z / new_diagonal[None, :]).T.astype(out.dtype), U.astype(out.dtype), 1.0,
         out.T, overwrite_c=True)
    out[np.diag_indices(out.shape[0])] = 0.0
    return out, new_diagonal


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
            B, diagonal = ease_weights(X, self.l2_)
        self._set_weights(B, diagonal, trained)

    def _set_weights(self, B: np.ndarray, diagonal: np.ndarray, trained: np.ndarray) -> None:
        self.weights_ = self._placed(B, trained)
        # diag(P) beside dense weights: what an erasure's downdate needs to recover P
        self.inverse_diagonal_ = None
        if isinstance(self.weights_, np.ndarray):
            self.inverse_diagonal_ = np.zeros(len(self.items_))
            self.inverse_diagonal_[trained] = diagonal

    def _forgets_in_place(self, exact: bool = True) -> bool:
        # the downdate needs P back: dense weights with diag(P), and a weighting of each cell
        # on its own (bm25 and tfidf reweigh every product when a customer leaves)
        return (type(self).forgets_from_state and self.half_life_days is None
                and self.weighting in (None, "binary", "log")
                and getattr(self, "inverse_diagonal_", None) is not None)

    def _forget_rows(self, removed, gone, before, exact: bool = True) -> str:
        """The Woodbury downdate of P for few customers, a solve again for many; ``l2_`` kept
        at its fitted value (``"auto"`` is read from the data at fit, not at erasure)."""
        trained = np.flatnonzero(before.inverse_diagonal_ > 0)
        everything = len(trained) == len(self.items_)
        # the weighting refitted; its kinds here weigh each cell on its own, so the histories
        # are the old ones without the customers' rows
        self.weighting_ = Weighting.fit(self.weighting, self.seen_)
        self.history_ = self.seen_ if self.weighting is None else \
            without_rows(before.history_, gone)
        rows = self.weighting_.transform(removed)
        rows = rows if everything else rows[:, trained]
        with fit_threads(self.num_threads):
            if rows.shape[0] * DOWNDATE_SHARE < len(trained):
                B = before.weights_ if everything else \
                    before.weights_[np.ix_(trained, trained)]
                B, diagonal = downdated_weights(B, before.inverse_diagonal_[trained], rows)
                how = "weights downdated (Woodbury)"
            else:
                weighted = self.weighting_.transform(self.seen_)[:, trained]
                B, diagonal = ease_weights(weighted.tocsc(), self.l2_)
                how = "weights solved again"
        gone = self.item_counts_[trained] == 0  # a product nobody bought any more
        if gone.any():
            B[gone, :], B[:, gone], diagonal[gone] = 0.0, 0.0, 0.0
        if everything and isinstance(B, np.ndarray) and B.dtype == np.float32 and not gone.any():
            self.weights_, self.inverse_diagonal_ = B, diagonal  # placed as it is
        else:
            left = ~gone
            self._set_weights(B[np.ix_(left, left)] if gone.any() else B, diagonal[left],
                              trained[left])
        return f"{how}, l2 kept at {self.l2_:.6g}"

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
        arrays = {"weights": W}
        if getattr(self, "inverse_diagonal_", None) is not None:
            arrays["inverse_diagonal"] = self.inverse_diagonal_
        return arrays, {"l2": self.l2_}

    def _load_item_state(self, arrays, meta) -> None:
        n = len(self.items_)
        self.l2_ = checks.positive_number(meta, "l2", self.l2)
        if "weights/indptr" in arrays:  # pruned (neighbors) or placed in a wide catalogue
            self.weights_ = checks.csr_from(arrays, "weights/", (n, n))
        else:
            self.weights_ = checks.matrix(arrays["weights"], "model/weights", n, n)
        self.inverse_diagonal_ = None
        if "inverse_diagonal" in arrays and not sp.issparse(self.weights_):
            # diag((G + l2 I)^-1) lies in (0, 1/l2] for a bought product, 0 for the others
            diagonal = checks.vector(arrays["inverse_diagonal"], "model/inverse_diagonal", n)
            checks.within(diagonal, "model/inverse_diagonal", 0.0, 1.0001 / self.l2_)
            if ((diagonal > 0) != (self.item_counts_ > 0)).any():
                raise PersistenceError("model/inverse_diagonal does not match the products "
                                       "bought (a damaged or altered file). Re-save the model.")
            self.inverse_diagonal_ = diagonal

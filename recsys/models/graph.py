"""Graph-based item-to-item: :class:`RP3beta` (random walks of length three, popularity-damped)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from recsys._engine.sparse import chunk_rows, placed_square, top_per_row
from recsys.data.interactions import Interactions
from recsys.models.neighbors import _ItemToItem
from recsys.models.params import HALF_LIVES, Float, HalfLife, Int, Integer, OneOf, Param, Uniform
from recsys.models.weighting import WEIGHTINGS

__all__ = ["RP3beta"]

_BLOCK_CELLS = 8_000_000  # dense similarity cells held at once while fitting (32 MB)


def _transitions(matrix: sp.csr_matrix, alpha: float) -> sp.csr_matrix:
    """Each row as the probabilities of stepping to its columns (L1-normalised), ``** alpha``."""
    matrix = matrix.tocsr().astype(np.float64)
    sums = np.asarray(np.abs(matrix).sum(axis=1)).ravel()
    matrix = sp.diags(np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)) @ matrix
    matrix.data = np.sign(matrix.data) * np.abs(matrix.data) ** alpha
    return matrix.tocsr()


class RP3beta(_ItemToItem):
    r"""RP3beta (Paudel et al. 2017): item-to-item similarity from random walks of length
    three on the customer-product graph, damped by the popularity of the destination.

    :math:`W_{ij} = \sum_u P(i \to u)^\alpha\,P(u \to j)^\alpha / \mathrm{deg}(j)^\beta`,
    the transition probabilities from the (weighted) customer x product matrix, each row
    of :math:`W` pruned to its ``k`` largest cells, the diagonal zero; a customer's scores
    are their history times :math:`W`. A strong, fast baseline when tuned (Dacrema et al.
    2019, "Are We Really Making Much Progress?"): ``beta`` trades popular products for
    niche ones. Fitted in blocks of rows (memory: the pruned ``W`` plus a 32 MB block).

    Parameters
    ----------
    alpha : float, default 1.0
        Exponent of the transition probabilities (below 1 flattens them).
    beta : float, default 0.5
        Popularity damping (0: plain P3alpha; higher favours rarer products).
    k : int, default 200
        Neighbours kept per product.
    weighting : {"bm25", "tfidf", "log", "binary"} or None, default "binary"
        How the summed weights become the graph's edge weights (:mod:`recsys.models.weighting`).
    half_life_days : float or None, default None
        Decay by the age of each purchase (needs timestamps; docs/models.md, "Weighting
        and time decay"). None: no decay.

    Examples
    --------
    >>> from recsys import RP3beta, make_shop
    >>> shop = make_shop(n_customers=300, n_products=60, seed=0)
    >>> model = RP3beta(beta=0.6).fit(shop.interactions)
    >>> model.similarity_.shape
    (60, 60)
    """

    demo_params: ClassVar[dict[str, Any]] = {}
    num_threads: int = 0

    forgets_from_state: ClassVar[bool] = True  # its fit reads who bought what only
    parameters: ClassVar[dict[str, Param]] = {
        "alpha": Param(Float(minimum=0, exclusive_min=True), Uniform(0.3, 1.5)),
        "beta": Param(Float(minimum=0), Uniform(0.0, 1.0)),
        "k": Param(Int(minimum=1), Integer(20, 1000, log=True)),
        "weighting": Param(OneOf((*WEIGHTINGS, None))),
        "half_life_days": Param(HalfLife(), HALF_LIVES),
    }

    def __init__(self, *, alpha: float = 1.0, beta: float = 0.5, k: int = 200,
                 weighting: str | None = "binary", half_life_days: float | None = None) -> None:
        self.alpha = alpha
        self.beta = beta
        self.k = k
        self.weighting = weighting
        self.half_life_days = half_life_days

    def _fit(self, data: Interactions, features: Any) -> None:
        X = self._weighted_training(data)
        n_all = X.shape[1]
        # only products with interactions have walks: a catalogue of 100,000 (items=) with a
        # few hundred sold costs what the few hundred do
        active = np.flatnonzero(np.bincount(X.indices, minlength=n_all) > 0)
        X = X[:, active].tocsr()
        to_customers = _transitions(X.T, self.alpha)  # product -> customer
        to_products = _transitions(X, self.alpha).tocsc()  # customer -> product
        degree = np.bincount(X.indices, minlength=X.shape[1]).astype(np.float64)
        damping = np.divide(1.0, degree ** self.beta, out=np.zeros_like(degree),
                            where=degree > 0)
        n = X.shape[1]
        step = chunk_rows(n, _BLOCK_CELLS)
        blocks = []
        for start in range(0, n, step):  # a block of rows of W at a time: memory stays flat
            block = (to_customers[start:start + step] @ to_products).toarray()
            blocks.append(top_per_row(block * damping[None, :], start, self.k))
        similarity = sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((n, n))
        similarity.sort_indices()
        self.similarity_ = placed_square(similarity.astype(np.float32), active, n_all)

"""Bought by the same customers: :class:`CoOccurrence`, item-to-item counts as a baseline."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from recsys._engine.sparse import chunk_rows, placed_square, top_per_row
from recsys.data.interactions import Interactions
from recsys.models.neighbors import _ItemToItem
from recsys.models.params import Choice, Int, Integer, OneOf, Param

__all__ = ["CoOccurrence"]

_BLOCK_CELLS = 8_000_000  # dense item x item cells held at once while counting (32 MB)
MEASURES = ("count", "jaccard", "lift")


class CoOccurrence(_ItemToItem):
    r"""Customers who bought this also bought: how many customers bought both products.

    :math:`C_{ij}` is the number of customers who bought both :math:`i` and :math:`j`; the
    similarity is that count (``"count"``), the Jaccard index
    :math:`C_{ij} / (n_i + n_j - C_{ij})` (``"jaccard"``: a popular product no longer pairs
    with everything), or the lift :math:`C_{ij} N / (n_i n_j)` (``"lift"``: pairs more common
    than chance), with :math:`n_i` the buyers of :math:`i` and :math:`N` the customers. Each
    row keeps its ``k`` largest cells, the diagonal zero; a customer's scores are the sum over
    their products. The classic baseline of "frequently bought by the same customers" panels,
    with none of association rules' thresholds; counted in blocks of rows (memory: the pruned
    matrix plus a 32 MB block).

    Parameters
    ----------
    measure : {"count", "jaccard", "lift"}, default "jaccard"
        How the co-purchase counts become similarities.
    k : int, default 100
        Neighbours kept per product.

    Examples
    --------
    >>> from recsys import make_shop
    >>> from recsys.models.cooccurrence import CoOccurrence
    >>> shop = make_shop(n_customers=300, n_products=60, seed=0)
    >>> model = CoOccurrence(measure="count").fit(shop.interactions)
    >>> model.similarity_.shape
    (60, 60)
    >>> len(model.recommend(shop.interactions.users.ids[:2], k=5))
    2
    """

    demo_params: ClassVar[dict[str, Any]] = {}
    forgets_from_state: ClassVar[bool] = True  # its fit reads who bought what only
    parameters: ClassVar[dict[str, Param]] = {
        "measure": Param(OneOf(MEASURES), Choice(list(MEASURES))),
        "k": Param(Int(minimum=1), Integer(20, 1000, log=True)),
    }
    # every purchase counts once, undecayed: a co-purchase is a customer, not a weight
    weighting: str | None = "binary"
    half_life_days: float | None = None
    num_threads: int = 0

    def __init__(self, *, measure: str = "jaccard", k: int = 100) -> None:
        self.measure = measure
        self.k = k

    def _fit(self, data: Interactions, features: Any) -> None:
        bought = self._weighted_training(data).astype(np.float64)
        n_all = bought.shape[1]
        active = np.flatnonzero(np.bincount(bought.indices, minlength=n_all) > 0)
        bought = bought[:, active].tocsr()
        buyers = np.asarray(bought.sum(axis=0)).ravel()
        by_product = bought.T.tocsr()
        n = len(active)
        step = chunk_rows(n, _BLOCK_CELLS)
        blocks = []
        for start in range(0, n, step):  # a block of rows at a time: memory stays flat
            counts = (by_product[start:start + step] @ bought).toarray()
            similarity = self._measured(counts, buyers, start, bought.shape[0])
            blocks.append(top_per_row(similarity, start, self.k))
        similarity = sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((n, n))
        similarity.sort_indices()
        self.similarity_ = placed_square(similarity.astype(np.float32), active, n_all)

    def _measured(self, counts: np.ndarray, buyers: np.ndarray, start: int,
                  customers: int) -> np.ndarray:
        """Rows ``start..`` of the co-purchase counts as the chosen similarity."""
        if self.measure == "count":
            return counts
        rows = buyers[start:start + len(counts), None]
        if self.measure == "jaccard":
            return counts / (rows + buyers[None, :] - counts)
        return counts * customers / (rows * buyers[None, :])

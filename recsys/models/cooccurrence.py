"""Bought by the same customers: :class:`CoOccurrence`, item-to-item counts as a baseline."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from recsys._engine.sparse import chunk_rows, placed_square, top_per_row
from recsys.data.interactions import Interactions
from recsys.exceptions import DataError, InvalidParameterError
from recsys.models.neighbors import _ItemToItem
from recsys.models.params import Choice, Int, Integer, OneOf, OwnRule, Param

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
    event : str, optional
        Count only the rows of this event kind (the shop's own name, of data built with
        ``event=``): ``event="view"`` gives "customers who viewed this also viewed" for a
        product page. None (default): every row, purchases and the rest alike.
    then : str, optional
        With ``event``, a second kind: the relations go from the products customers had
        ``event`` on to the products they had ``then`` on (``event="view", then="purchase"``:
        "customers who viewed this bought"), not the other way round. For :math:`n_j` the
        measures count the customers with ``then`` on :math:`j`.

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

    "Viewed, then bought" from an event log:

    >>> import pandas as pd
    >>> from recsys import Interactions
    >>> log = pd.DataFrame({"user_id": [1, 1, 2, 2, 3, 3],
    ...                     "item_id": ["tea", "mug", "tea", "mug", "tea", "pot"],
    ...                     "event": ["view", "purchase", "view", "purchase", "view", "view"]})
    >>> data = Interactions.from_frame(log, event="event",
    ...                                event_weights={"view": 1, "purchase": 5})
    >>> pages = CoOccurrence(measure="count", event="view", then="purchase").fit(data)
    >>> pages.similar_items("tea", k=2).item_ids()
    ['mug']
    """

    demo_params: ClassVar[dict[str, Any]] = {}
    forgets_from_state: ClassVar[bool] = True  # its fit reads who bought what only
    parameters: ClassVar[dict[str, Param]] = {
        "measure": Param(OneOf(MEASURES), Choice(list(MEASURES))),
        "k": Param(Int(minimum=1), Integer(20, 1000, log=True)),
        "event": Param(OwnRule("an event kind of the data (text), or None: every row")),
        "then": Param(OwnRule("with event=: a second event kind, or None")),
    }
    # every purchase counts once, undecayed: a co-purchase is a customer, not a weight
    weighting: str | None = "binary"
    half_life_days: float | None = None
    num_threads: int = 0

    def __init__(self, *, measure: str = "jaccard", k: int = 100, event: str | None = None,
                 then: str | None = None) -> None:
        self.measure = measure
        self.k = k
        self.event = event
        self.then = then

    def _check_params(self) -> None:
        super()._check_params()
        for name in ("event", "then"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, str) and value):
                raise InvalidParameterError(f"CoOccurrence: {name} must be an event kind "
                                            f"(text) or None, got {value!r}.", param=name)
        if self.then is not None and self.event is None:
            raise InvalidParameterError("CoOccurrence: then= goes with event= (from the "
                                        "products of one kind to those of the other); pass "
                                        "event= too, e.g. event='view', then='purchase'.",
                                        param="then")

    def _fit(self, data: Interactions, features: Any) -> None:
        bought = self._weighted_training(data)  # also the histories that score customers
        bought = _of_kind(data, self.event) if self.event is not None else \
            bought.astype(np.float64)
        after = bought if self.then is None else _of_kind(data, self.then)
        n_all = bought.shape[1]
        active = np.flatnonzero(np.bincount(np.r_[bought.indices, after.indices],
                                            minlength=n_all) > 0)
        bought, after = bought[:, active].tocsr(), after[:, active].tocsr()
        buyers = np.asarray(bought.sum(axis=0)).ravel()
        targets = np.asarray(after.sum(axis=0)).ravel()
        by_product = bought.T.tocsr()
        n = len(active)
        step = chunk_rows(n, _BLOCK_CELLS)
        blocks = []
        for start in range(0, n, step):  # a block of rows at a time: memory stays flat
            counts = (by_product[start:start + step] @ after).toarray()
            similarity = self._measured(counts, buyers[start:start + step], targets,
                                        bought.shape[0])
            blocks.append(top_per_row(similarity, start, self.k))
        similarity = sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((n, n))
        similarity.sort_indices()
        self.similarity_ = placed_square(similarity.astype(np.float32), active, n_all)

    def _measured(self, counts: np.ndarray, rows: np.ndarray, columns: np.ndarray,
                  customers: int) -> np.ndarray:
        """A block of the co-purchase counts as the chosen similarity: ``rows`` the buyers of
        the block's products, ``columns`` of every product (of the ``then`` kind)."""
        if self.measure == "count":
            return counts
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.measure == "jaccard":
                measured = counts / (rows[:, None] + columns[None, :] - counts)
            else:
                measured = counts * customers / (rows[:, None] * columns[None, :])
        return np.nan_to_num(measured, nan=0.0, posinf=0.0)


def _of_kind(data: Interactions, kind: str) -> sp.csr_matrix:
    """Customers x products, 1 where the customer has a row of ``kind`` on the product."""
    rows = data.select(event=kind)
    if not len(rows):
        raise DataError(f"CoOccurrence: the data has no row of event kind {kind!r} (its kinds: "
                        f"{list(data.events)}); fit on a log that has them, or change the "
                        f"kind.")
    matrix = rows.matrix("user").tocsr()
    return sp.csr_matrix((np.ones(matrix.nnz), matrix.indices, matrix.indptr),
                         shape=matrix.shape)

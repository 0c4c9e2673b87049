"""SLIST: a closed-form item-item model of what is bought together and what comes next.

The public name is :class:`SLIST`; the helpers (the purchase steps, the weights, the memory
estimate) are its internals.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from recsys._engine.threads import fit_threads
from recsys.data.interactions import Interactions
from recsys.models.auto_params import AUTO, ease_l2, is_auto
from recsys.models.ease import _BLOCK, EASE, EXACT_ITEMS, regularised_inverse
from recsys.models.params import AutoOr, Choice, Float, HalfLife, Int, Integer, Param, Uniform
from recsys.models.sequential import MAX_STEPS, _NewestFirstHistory, newest_first_weights, purchase_order

__all__ = ["SLIST"]


#: above this share of non-zero cells a sparse factor is multiplied as dense blocks
DENSE_SHARE = 0.04


def slist_fit_bytes(n: int) -> int:
    """Memory the fit needs for ``n`` products: the inverse and its product with the
    sequence terms (8 bytes a cell each up to :data:`~recsys.models.ease.EXACT_ITEMS`
    products, 4 beyond); the float32 weights are copied out after the inverse is freed."""
    return 16 * n * n if n <= EXACT_ITEMS else 8 * n * n


def purchase_steps(users: np.ndarray, items: np.ndarray, when: np.ndarray,
                   n_items: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """(steps x products 0/1 matrix, customer of each step) of purchases in
    :func:`~recsys.models.sequential.purchase_order`: a step is what a customer bought at one
    time (a basket), each customer's steps consecutive and in the order they happened."""
    starts = np.r_[True, (users[1:] != users[:-1]) | (when[1:] != when[:-1])]
    step = np.cumsum(starts) - 1
    n_steps = int(step[-1]) + 1 if len(step) else 0
    steps = sp.csr_matrix((np.ones(len(items)), (step, items)), shape=(n_steps, n_items))
    steps.data[:] = 1.0  # a product twice in one step is bought in it once
    return steps, users[starts]


def step_pairs(customer: np.ndarray, offsets: range, decay: float) -> sp.csr_matrix:
    """Steps x steps: row ``r`` holds ``decay ** j`` at step ``r + offset`` (the ``j``-th
    offset) where that step is the same customer's. A loop over the offsets (a window),
    none over customers."""
    n = len(customer)
    rows, cols, values = [], [], []
    for j, offset in enumerate(offsets):
        lo, hi = max(0, -offset), min(n, n - offset)
        if lo >= hi:
            continue
        row = np.arange(lo, hi)
        row = row[customer[row] == customer[row + offset]]
        rows.append(row)
        cols.append(row + offset)
        values.append(np.full(len(row), decay ** j))
    if not rows:
        return sp.csr_matrix((n, n))
    return sp.csr_matrix((np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(n, n))



def sequence_inputs(steps: sp.csr_matrix, customer: np.ndarray, window: int, horizon: int,
                    gap_decay: float) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(past, future), steps x products: a step's ``window`` earlier steps of the same
    customer (the one before 1, the one before that ``gap_decay``, ...) and its ``horizon``
    steps from itself on (itself 1, the next ``gap_decay``, ...)."""
    back = step_pairs(customer, range(-1, -window - 1, -1), gap_decay)
    ahead = step_pairs(customer, range(horizon), gap_decay)
    return (back @ steps).tocsr(), (ahead @ steps).tocsr()


def _sparse_times(left: sp.csr_matrix, right: np.ndarray) -> np.ndarray:
    """``left @ right`` (dense, ``right``'s dtype), a block of rows at a time: as a sparse
    product where ``left`` is sparse, through BLAS on dense blocks where it is not (a
    multi-threaded dense product runs about 20x the cells a second of scipy's sparse one:
    measured 100 against 4.5 GFLOP/s on 2 cores; basket logs make it half dense)."""
    n = left.shape[0]
    out = np.empty((n, right.shape[1]), dtype=right.dtype)
    dense = left.nnz > DENSE_SHARE * left.shape[0] * left.shape[1]
    for start in range(0, n, _BLOCK):
        rows = slice(start, min(n, start + _BLOCK))
        block = left[rows].astype(right.dtype)
        out[rows] = block.toarray() @ right if dense else block @ right
    return out


def slist_weights(X: sp.spmatrix, past: sp.spmatrix, future: sp.spmatrix, alpha: float,
                  l2: float) -> np.ndarray:
    r"""The zero-diagonal :math:`B` minimising
    :math:`\alpha\|X - XB\|^2 + (1-\alpha)\|F - PB\|^2 + \lambda\|B\|^2` for the customers x
    products ``X``, the steps' decayed earlier purchases ``P`` (``past``) and their next
    purchases ``F`` (``future``).

    With :math:`M = (\alpha X^\top X + (1-\alpha) P^\top P + \lambda I)^{-1}`, the
    unconstrained solution is :math:`I - \lambda M + (1-\alpha) M (P^\top F - P^\top P)`
    (one product with a sparse matrix beside the one inverse), and the zero diagonal subtracts
    :math:`M\,\mathrm{diag}(\mu)`, :math:`\mu_j = B_{jj} / M_{jj}`. float64 for up to
    :data:`~recsys.models.ease.EXACT_ITEMS` products, float32 beyond.
    """
    n = X.shape[1]
    dtype = np.float64 if n <= EXACT_ITEMS else np.float32
    past_gram = (past.T @ past).tocsr()
    gram = (alpha * (X.T @ X) + (1.0 - alpha) * past_gram).astype(dtype).toarray()
    M = regularised_inverse(gram, l2, "SLIST")
    sequence = ((past.T @ future).tocsr() - past_gram).astype(dtype)
    # transposed throughout: M is symmetric, so B^T = (1-a) D^T M - l2 M + I - diag(mu) M,
    # and a sparse-times-dense product needs the sparse factor on the left
    weights_t = _sparse_times(sequence.T.tocsr(), M)
    weights_t *= 1.0 - alpha
    diagonal_m = np.diag(M).copy()
    mu = (np.diag(weights_t) - l2 * diagonal_m + 1.0) / diagonal_m
    weights_t[np.diag_indices(n)] += 1.0
    for start in range(0, n, _BLOCK):  # blocks of rows: no full-size temporary
        rows = slice(start, min(n, start + _BLOCK))
        weights_t[rows] -= (l2 + mu[rows, None]) * M[rows]
    del M
    weights_t[np.diag_indices(n)] = 0.0  # exactly, not up to rounding
    return np.ascontiguousarray(weights_t.T, dtype=np.float32)


class SLIST(_NewestFirstHistory, EASE):
    r"""Item-item model of what is bought together and what comes next, in one closed form
    (SLIST, Choi et al. 2021, "Session-aware Linear Item-Item Models for Session-based
    Recommendation"): EASE that knows the order of purchases.

    :math:`B` minimises :math:`\alpha\|X - XB\|^2 + (1-\alpha)\|F - PB\|^2 + \lambda\|B\|^2`
    with a zero diagonal: the first term is EASE (``X`` customers x products, 0/1), the second
    learns, at each step of a customer's purchases, the next ``horizon`` steps ``F``
    (the step itself 1, the next ``gap_decay``, ...) from the ``window`` steps before it ``P``
    (the one before 1, the one before that ``gap_decay``, ...). A step is what the customer
    bought at one time (a basket): steps follow the timestamps, without them the basket ids,
    without either the rows in the order given. One dense solve, as EASE's.

    A known customer's products count ``2 ** (-rank / history_half_life)``, ``rank`` the
    number of their products bought after it (the newest 1, a basket's products alike);
    a cart or a new customer's history has no order and every product counts 1. Scores are
    those weights times :math:`B`. Strong where what comes next follows what came last
    (films watched in a run, series, refills) and the customer's lasting taste matters too
    (docs/models.md, "SLIST"). Interaction weights (quantities) are not used.

    Parameters
    ----------
    alpha : float, default 0.5
        Weight of the bought-together term against what-comes-next (1: EASE with the
        newest-first history; 0: only what comes next).
    l2 : float or "auto", default "auto"
        :math:`\lambda`; ``"auto"`` is EASE's formula on ``X`` (:mod:`recsys.models.auto_params`).
        The value used is ``l2_`` after fit.
    window : int, default 10
        How many earlier steps make a step's input.
    horizon : int, default 5
        How many steps, from the step itself on, it learns to predict.
    gap_decay : float, default 0.8
        Weight per step further away, back in the window and forward in the horizon.
    history_half_life : float or None, default 6.0
        In purchases: a customer's product ``h`` purchases older than their newest counts
        half. None: every product in the history alike.
    max_items : int, default 30000
        Largest catalogue accepted (products with interactions): about ``16 n**2`` bytes
        while fitting up to 8,192 products, ``8 n**2`` beyond (20,000 products: 3 GiB).
    neighbors : int or None, default None
        Keep the ``neighbors`` largest positive weights of each product (None: dense).
    num_threads : int, default 0
        BLAS threads for the inversion (0: library default).

    Examples
    --------
    >>> from recsys import SLIST, make_shop
    >>> shop = make_shop(n_customers=300, n_products=60, seed=0)
    >>> model = SLIST(l2=50.0).fit(shop.interactions)
    >>> model.weights_.shape
    (60, 60)
    >>> len(model.recommend(shop.interactions.users.ids[:1], k=5).item_ids(0))
    5
    """

    demo_params: ClassVar[dict[str, Any]] = {}
    # the model learns from the order of purchases: no weighting of summed weights, no decay
    weighting: ClassVar[None] = None
    half_life_days: ClassVar[None] = None

    # the order of purchases is learnt too: an erasure refits on the training data
    forgets_from_state: ClassVar[bool] = False
    parameters: ClassVar[dict[str, Param]] = {
        "alpha": Param(Float(minimum=0, maximum=1), Uniform(0.0, 1.0)),
        "l2": Param(AutoOr(Float(minimum=0, exclusive_min=True)), Uniform(10.0, 3_000.0, log=True)),
        "window": Param(Int(minimum=1, maximum=MAX_STEPS), Integer(2, 30, log=True)),
        "horizon": Param(Int(minimum=1, maximum=MAX_STEPS), Integer(1, 10)),
        "gap_decay": Param(Float(minimum=0, maximum=1, exclusive_min=True), Uniform(0.5, 1.0)),
        "history_half_life": Param(HalfLife(), Choice([None, 2, 4, 8, 16])),
        "max_items": Param(Int(minimum=1)),
        "neighbors": Param(Int(minimum=1, none=True)),
        "num_threads": Param(Int(minimum=0)),
    }

    def __init__(self, *, alpha: float = 0.5, l2: float | str = AUTO, window: int = 10,
                 horizon: int = 5, gap_decay: float = 0.8,
                 history_half_life: float | None = 6.0, max_items: int = 30_000,
                 neighbors: int | None = None, num_threads: int = 0) -> None:
        self.alpha = alpha
        self.l2 = l2
        self.window = window
        self.horizon = horizon
        self.gap_decay = gap_decay
        self.history_half_life = history_half_life
        self.max_items = max_items
        self.neighbors = neighbors
        self.num_threads = num_threads


    def _fit(self, data: Interactions, features: Any) -> None:
        trained = self._trained_within_max_items(slist_fit_bytes, "SequentialRules or RP3beta")
        X = self.seen_[:, trained].tocsr()
        X.data = np.ones_like(X.data)
        self.l2_ = ease_l2(X) if is_auto(self.l2) else float(self.l2)
        users, items, when = purchase_order(data)
        steps, customer = purchase_steps(users, items, when, data.n_items)
        past, future = sequence_inputs(steps[:, trained].tocsr(), customer, self.window,
                                       self.horizon, self.gap_decay)
        with fit_threads(self.num_threads):
            B = slist_weights(X.tocsc(), past.tocsc(), future.tocsc(), self.alpha, self.l2_)
        self.weights_ = self._placed(B, trained)
        self.history_ = newest_first_weights(users, items, when, self.seen_.shape,
                                             self.history_half_life)

    def _explain(self, item: int, user: int | None, history: sp.csr_matrix | None):
        score, contributions, method = super()._explain(item, user, history)
        return (score, contributions,
                "popularity" if method == "popularity" else "bought with or after")

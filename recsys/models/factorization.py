"""Matrix factorisation on implicit's CPU kernels: :class:`ALS` and :class:`BPR`.

The factors are copied out of implicit into plain numpy arrays at fit, so the
model file never holds an implicit object. Recommending for many customers at
once uses implicit's fused, multi-threaded top-k with the business filters
(seen items, candidates, excluded items) applied inside it.
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import numpy as np
import scipy.sparse as sp

from recsys._engine import state_checks as checks
from recsys._engine.arrays import row_lengths, unit_rows
from recsys._engine.libraries import implicit_cpu
from recsys._engine.sparse import padded_blocks
from recsys._engine.threads import fit_threads, scoring_threads
from recsys.data.interactions import Interactions
from recsys.exceptions import InvalidParameterError
from recsys.models._weighted import WeightedInput
from recsys.models.anchors import factor_anchors
from recsys.models.auto_params import AUTO, als_scale, is_auto
from recsys.models.base import Anchors, Recommender
from recsys.models.params import HALF_LIVES, AutoOr, Choice, Flag, Float, HalfLife, Int, OneOf, Param, Uniform
from recsys.models.weighting import WEIGHTINGS
from recsys.ranking import Filter, Query, TopK, chunk_slices

__all__ = ["ALS", "BPR"]

_NO_SCORE = -3.0e38  # implicit's top-k marks filtered cells with float32's lowest value
FUSED_ROWS = 65_536  # queries per call of implicit's top-k
#: ALS iterations an approximate erasure runs from the remaining factors
FORGET_SWEEPS = 2
FOLD_CELLS = 2_000_000  # history cells x factors held at once by the batched fold-in


def _strictly_descending(scores: np.ndarray) -> bool:
    """Whether every row is already in the documented order with no tie to break."""
    return bool((scores[:, 1:] < scores[:, :-1]).all()) if scores.shape[1] > 1 else True


def _gram(item_factors: np.ndarray, regularization: float) -> np.ndarray:
    """Y'Y + lambda I in float64: the fixed part of every fold-in's normal equations."""
    Y = item_factors.astype(np.float64)
    return Y.T @ Y + regularization * np.eye(Y.shape[1])


def least_squares_fold_in(gram: np.ndarray, item_factors: np.ndarray, histories: sp.csr_matrix,
                          alpha: float) -> np.ndarray:
    r"""Solve :math:`(Y^\top Y + \lambda I + Y_h^\top (C_h - I) Y_h)\,x = Y_h^\top C_h p_h` for
    every row of ``histories`` (confidence :math:`c = \alpha w`; a negative weight counts as
    a negative preference of confidence :math:`|c|`, as in implicit). Rows are padded to the
    longest history of their chunk and solved in one batched call per chunk."""
    n, f = histories.shape[0], item_factors.shape[1]
    lengths = row_lengths(histories.indptr)
    out = np.zeros((n, f), np.float32)
    step = max(1, FOLD_CELLS // (f * max(1, int(lengths.max(initial=1)))))
    for rows, part, row, slot, width in padded_blocks(histories, step):
        confidence = alpha * part.data.astype(np.float64)
        padded = np.zeros((part.shape[0], width, f))
        padded[row, slot] = item_factors[part.indices]
        extra = np.zeros((part.shape[0], width))
        extra[row, slot] = np.abs(confidence) - 1.0
        target = np.zeros((part.shape[0], width))
        target[row, slot] = np.maximum(confidence, 0.0)
        system = gram + (padded * extra[..., None]).transpose(0, 2, 1) @ padded
        rhs = np.einsum("mlf,ml->mf", padded, target)
        out[rows] = np.linalg.solve(system, rhs[..., None])[..., 0]
    return out


class _Cells(NamedTuple):
    indices: np.ndarray


class _RowCells:
    """A CSR matrix's rows as implicit's top-k reads its per-query filter: ``cells[i].indices``,
    here a slice of the matrix's own array. implicit indexes a scipy matrix once per query
    row, under the GIL, at about 50 microseconds a row (scipy validates every row access):
    a third of a million-customer batch went there."""

    __slots__ = ("_indices", "_indptr", "shape")

    def __init__(self, matrix: sp.csr_matrix) -> None:
        self._indptr, self._indices, self.shape = matrix.indptr, matrix.indices, matrix.shape

    def __getitem__(self, row: int) -> _Cells:
        return _Cells(self._indices[self._indptr[row]:self._indptr[row + 1]])


def _store(out: TopK, rows: slice, ids: np.ndarray, scores: np.ndarray,
           subset: np.ndarray | None) -> None:
    """implicit's answer for ``rows`` into ``out``, in the documented order (score, then item)."""
    ids = ids.astype(np.int64)
    valid = scores > _NO_SCORE
    if subset is not None:
        ids = subset[ids]
    if not _strictly_descending(scores):  # ties or gaps: restore the documented order
        order = np.lexsort((np.where(valid, ids, np.iinfo(np.int64).max),
                            np.where(valid, -scores, np.inf)), axis=1)
        ids = np.take_along_axis(ids, order, axis=1)
        scores = np.take_along_axis(scores, order, axis=1)
        valid = np.take_along_axis(valid, order, axis=1)
    width = ids.shape[1]
    out.index[rows, :width] = np.where(valid, ids, -1)
    out.scores[rows, :width] = np.where(valid, scores, np.nan)
    out.lengths[rows] = valid.sum(axis=1)


class _Factorization(Recommender):
    """Shared scoring of factor models: score(u, i) = user_factors[u] . item_factors[i]."""

    checks_collapse = True

    needs_customers: ClassVar[bool] = True

    num_threads: int

    def _user_vectors(self, user_index: np.ndarray) -> np.ndarray:
        return self.user_factors_[user_index]

    def _fold_in(self, histories: sp.csr_matrix) -> np.ndarray:
        raise NotImplementedError

    def _query_vectors(self, query: Query) -> np.ndarray:
        """A user vector per query row: fitted for known users, folded in for histories."""
        if query.users is not None:
            return self._user_vectors(query.users)
        return self._fold_in(query.histories)

    def _item_vectors_for_similarity(self) -> np.ndarray:
        return self.item_factors_

    def _scores(self, query: Query) -> np.ndarray:
        if query.items is not None:  # item neighbours: cosine of the item vectors
            unit = unit_rows(self._item_vectors_for_similarity())
            return unit[query.items] @ unit.T
        return self._query_vectors(query) @ self.item_factors_.T

    def _anchors(self, query: Query, picks: np.ndarray, source: np.ndarray | None) -> Anchors:
        unit = unit_rows(self._item_vectors_for_similarity().astype(np.float32))
        return factor_anchors(unit, self._histories(query), picks, self.items_.ids)

    def _blocked_items(self, allowed: np.ndarray) -> np.ndarray:
        """Indices of the items ``allowed`` leaves out (int32, as implicit takes them); the
        answer for the usual mask (every recommendable item) is kept after its first use."""
        cached = getattr(self, "_cache_blocked", None)
        if cached is not None and np.array_equal(cached[0], allowed):
            return cached[1]
        blocked = np.flatnonzero(~allowed).astype(np.int32)
        if np.array_equal(allowed, self.recommendable_):
            self._cache_blocked = (allowed.copy(), blocked)
        return blocked

    # the fused path: implicit's top-k with the filters inside it
    def _rank_fused(self, query: Query, k: int, filt: Filter,
                    show_progress: bool) -> TopK | None:
        if query.items is not None:
            return None
        n = len(query)
        out = TopK.empty(n, k)
        width = min(k, len(filt.allowed))
        if width == 0 or not filt.allowed.any():
            return out
        items, blocked = self.item_factors_, self._blocked_items(filt.allowed)
        subset = None
        if len(blocked) > len(filt.allowed) // 2:  # rank the few allowed items instead
            subset = np.flatnonzero(filt.allowed)
            items, blocked = np.ascontiguousarray(items[subset]), None
            width = min(width, len(subset))
        # implicit batches internally (100 queries at a time, in parallel) and never holds
        # more than a batch of scores, so big calls keep its threads busy; the chunk only
        # bounds the query vectors and the slices of the filter
        for rows in chunk_slices(n, FUSED_ROWS, show_progress):
            cells, row_blocked = filt.take(rows).cells(), blocked
            if cells is not None and n == 1 and subset is None:
                # one query (a request): its cells join the global list, which spares
                # implicit a slice of the matrix (scipy validates slices at length)
                row_blocked = np.concatenate([blocked, cells.indices.astype(np.int32)])
                cells = None
            elif cells is not None:
                cells = _RowCells(cells[:, subset].tocsr() if subset is not None else cells)
            vectors = np.ascontiguousarray(self._query_vectors(query.take(rows)), items.dtype)
            ids, scores = implicit_cpu().topk(items, vectors, width, filter_query_items=cells,
                                        filter_items=row_blocked, num_threads=scoring_threads(
                                            len(vectors), self.num_threads))
            _store(out, rows, ids, scores, subset)
        return out

    def _state(self):
        return {"user_factors": self.user_factors_, "item_factors": self.item_factors_}, {}

    def _load_state(self, arrays, meta) -> None:
        items = checks.matrix(arrays["item_factors"], "model/item_factors", len(self.items_))
        users = checks.matrix(arrays["user_factors"], "model/user_factors", len(self.users_),
                              items.shape[1])
        # implicit's kernels take float32 only
        self.user_factors_ = users.astype(np.float32, copy=False)
        self.item_factors_ = items.astype(np.float32, copy=False)


class ALS(WeightedInput, _Factorization):
    r"""Implicit-feedback matrix factorisation by alternating least squares (Hu, Koren, Volinsky).

    Runs implicit's CPU solver (conjugate gradient). Each customer x product
    weight :math:`w` (1 per purchase line by default; duplicates summed) becomes
    a confidence :math:`c = \alpha w` for the preference 1; pairs never bought
    have confidence 1 and preference 0 (implicit's convention). So with
    ``alpha=1`` a product bought once counts as much as one never bought, only
    its target differs, and **a weight of 3 counts three times** as much;
    raise ``alpha`` (10-40 is common) to trust purchases more.

    Fold-in: a cart, or a customer unknown at fit time, gets a user vector by
    solving the same least-squares problem against the fixed item factors
    (implicit's ``recalculate_user``, batched), so no refit is needed.

    Parameters
    ----------
    factors : int, default 64
    regularization : float or "auto", default "auto"
        L2 penalty of every least-squares problem. ``"auto"``: ``10 * s`` with
        ``s = clip(sqrt(nnz) / 40, 1, 50)`` over the ``nnz`` customer x product cells learnt
        from (a 1,000-customer shop: about 20; 250,000 cells: 125), see
        :mod:`recsys.models.auto_params`. The value used is ``regularization_`` after fit.
    alpha : float or "auto", default "auto"
        Confidence scale (see above). ``"auto"``: ``s / m``, ``m`` the mean weight of a cell
        learnt from, so a purchase weighs about ``s`` in any unit (lines, quantities,
        ratings). The value used is ``alpha_`` after fit.
    iterations : int, default 15
    num_threads : int, default 0
        Threads for implicit and for BLAS inside our calls (0: all cores).
    random_state : int or None, default 0
        Seed of the initial factors: the same data give the same model, for any thread
        count (None: a fresh seed each fit).
    use_cg : bool
        implicit's conjugate-gradient solver (faster) instead of Cholesky.
    weighting : {"bm25", "tfidf", "log", "binary"} or None, default None
        How the summed weights become confidences before ``alpha`` scales them (see
        :mod:`recsys.models.weighting`; ``"bm25"`` is implicit's ``bm25_weight`` with products as
        documents, as in implicit's examples). None: the weights as they are.
    half_life_days : float or None, default None
        Decay by the age of each purchase (needs timestamps; docs/models.md, "Weighting
        and time decay"). None: no decay.

    Examples
    --------
    >>> from recsys import ALS, make_shop
    >>> shop = make_shop(n_customers=300, n_products=60, seed=0)
    >>> model = ALS(factors=8, iterations=5, random_state=0).fit(shop.interactions)
    >>> model.item_factors_.shape
    (60, 8)
    """

    demo_params: ClassVar[dict[str, Any]] = {"factors": 32, "alpha": 10.0, "regularization": 0.1,
                                              "iterations": 15, "random_state": 0}

    #: the penalty and confidence scale the fit used (the parameters, or read from the data)
    regularization_: float
    alpha_: float

    forgets_from_state: ClassVar[bool] = True  # its fit reads who bought what only
    parameters: ClassVar[dict[str, Param]] = {
        "factors": Param(Int(minimum=1), Choice([32, 64, 128])),
        "regularization": Param(AutoOr(Float(minimum=0)), Uniform(1e-3, 10.0, log=True)),
        "alpha": Param(AutoOr(Float(minimum=0, exclusive_min=True)), Uniform(0.5, 50.0, log=True)),
        "iterations": Param(Int(minimum=1), Choice([10, 15, 25])),
        "num_threads": Param(Int(minimum=0)),
        "random_state": Param(Int(minimum=0, maximum=2**32 - 1, none=True)),
        "use_cg": Param(Flag()),
        "weighting": Param(OneOf((*WEIGHTINGS, None)), Choice([None, "log", "bm25"])),
        "half_life_days": Param(HalfLife(), HALF_LIVES),
    }

    def __init__(self, *, factors: int = 64, regularization: float | str = AUTO,
                 alpha: float | str = AUTO, iterations: int = 15, num_threads: int = 0,
                 random_state: int | None = 0, use_cg: bool = True, weighting: str | None = None,
                 half_life_days: float | None = None) -> None:
        self.weighting = weighting
        self.half_life_days = half_life_days
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.num_threads = num_threads
        self.random_state = random_state
        self.use_cg = use_cg

    def _fit(self, data: Interactions, features: Any) -> None:
        train = self._weighted_training(data)
        self._resolve_scale(train)
        with fit_threads():
            engine = implicit_cpu().AlternatingLeastSquares(
                factors=self.factors, regularization=self.regularization_, alpha=self.alpha_,
                iterations=self.iterations, num_threads=self.num_threads,
                random_state=self.random_state, use_cg=self.use_cg)
            _fit_engine(engine, train, "ALS", "lower alpha (now "
                        f"{self.alpha_:g}) or raise regularization (now {self.regularization_:g})")
        self.user_factors_ = np.ascontiguousarray(engine.user_factors)
        self.item_factors_ = np.ascontiguousarray(engine.item_factors)
        self._cache_gram = _gram(self.item_factors_, self.regularization_)

    def _forgets_in_place(self, exact: bool = True) -> bool:
        # asked for an approximate erasure: warm-started sweeps instead of a refit
        return not exact and self.half_life_days is None

    def _forget_rows(self, removed, gone, before, exact: bool = True) -> str:
        """The customers' factors and histories dropped, then ``FORGET_SWEEPS`` ALS iterations
        from the remaining factors on the remaining data: every factor re-solved without
        them, the scale (``regularization_``, ``alpha_``) kept as fitted."""
        train = self._weighted_training(None)
        with fit_threads():
            engine = implicit_cpu().AlternatingLeastSquares(
                factors=self.factors, regularization=self.regularization_, alpha=self.alpha_,
                iterations=min(FORGET_SWEEPS, self.iterations), num_threads=self.num_threads,
                random_state=self.random_state, use_cg=self.use_cg)
            engine.user_factors = before.user_factors_[~gone]
            engine.item_factors = before.item_factors_.copy()
            _fit_engine(engine, train, "ALS", "refit it instead (exact=True)")
        self.user_factors_ = np.ascontiguousarray(engine.user_factors)
        self.item_factors_ = np.ascontiguousarray(engine.item_factors)
        self._cache_gram = _gram(self.item_factors_, self.regularization_)
        return f"approximate: {engine.iterations} warm-started sweeps"

    def _resolve_scale(self, train: sp.csr_matrix) -> None:
        """``regularization_`` and ``alpha_``: the parameters, or read from ``train``."""
        regularization, alpha = (als_scale(train) if is_auto(self.regularization)
                                 or is_auto(self.alpha) else (None, None))
        self.regularization_ = (regularization if is_auto(self.regularization)
                                else float(self.regularization))
        self.alpha_ = alpha if is_auto(self.alpha) else float(self.alpha)

    def _state(self):
        arrays, meta = super()._state()
        weighting, facts = self._weighting_state()
        return {**arrays, **weighting}, {**meta, **facts, "regularization": self.regularization_,
                                         "alpha": self.alpha_}

    def _load_state(self, arrays, meta) -> None:
        super()._load_state(arrays, meta)
        self._load_weighting(arrays, meta)
        self.alpha_ = checks.positive_number(meta, "alpha", self.alpha)
        self.regularization_ = checks.positive_number(meta, "regularization",
                                                      self.regularization, allow_zero=True)
        self._cache_gram = _gram(self.item_factors_, self.regularization_)

    def _fold_in(self, histories: sp.csr_matrix) -> np.ndarray:
        """The least-squares user vector of each history against the fixed item factors
        (what implicit's ``recalculate_user`` computes), batched in numpy."""
        return least_squares_fold_in(self._cache_gram, self.item_factors_,
                                     self._weighted(histories), self.alpha_)

    def _explain(self, item: int, user: int | None, history: sp.csr_matrix | None):
        """Item contributions of the least-squares user vector (Hu et al. 2008, sec. 5):
        score_i = sum_j s_ij c_uj with s_ij = y_i' W_u^-1 y_j."""
        if user is not None:
            score = float(self.user_factors_[user] @ self.item_factors_[item])
        elif history is not None:
            score = float(self._fold_in(history)[0] @ self.item_factors_[item])
        else:
            return float(np.linalg.norm(self.item_factors_[item])), [], "item factors"
        if history is None or history.nnz == 0:
            return score, [], "item factors"
        if user is None:  # a known customer's history is their training row already
            history = self._weighted(history)
        hist = history.indices
        confidence = self.alpha_ * history.data.astype(np.float64)
        Yh = self.item_factors_[hist].astype(np.float64)
        # the user's normal equations: the cached Y'Y + lambda I plus the history's part
        W = self._cache_gram + (Yh.T * (confidence - 1.0)) @ Yh
        z = np.linalg.solve(W, self.item_factors_[item].astype(np.float64))
        weights = np.zeros(len(self.items_))
        weights[hist] = (Yh @ z) * confidence
        return score, self._history_contributions(item, history, weights), "item factors"


class BPR(_Factorization):
    """Bayesian personalised ranking by SGD on implicit's CPU kernel (Rendle et al. 2009).

    Learns to rank each customer's purchases above products they did not buy.
    implicit adds an item bias as an extra factor (the user side holds a 1).
    Fold-in for carts and unknown customers uses the mean factor vector of the
    items in the history (an approximation; BPR has no closed-form fold-in).

    Parameters
    ----------
    factors : int
    learning_rate : float
    regularization : float
    iterations : int
    num_threads : int
        Threads for implicit (0: all cores). SGD updates run in parallel without
        locks, so **results are reproducible only with num_threads=1**.
    random_state : int or None, default 0
        Seed of the initial factors and the sampling (None: a fresh seed each fit).

    Examples
    --------
    >>> from recsys import BPR, make_shop
    >>> shop = make_shop(n_customers=300, n_products=60, seed=0)
    >>> model = BPR(factors=8, iterations=10, random_state=0, num_threads=1).fit(shop.interactions)
    >>> model.item_factors_.shape  # the extra column is the item bias
    (60, 9)
    """

    demo_params: ClassVar[dict[str, Any]] = {"factors": 32, "iterations": 100,
                                              "learning_rate": 0.05, "random_state": 0,
                                              "num_threads": 1}

    forgets_from_state: ClassVar[bool] = True  # its fit reads who bought what only
    parameters: ClassVar[dict[str, Param]] = {
        "factors": Param(Int(minimum=1), Choice([32, 64, 128])),
        "learning_rate": Param(Float(minimum=0, exclusive_min=True), Uniform(1e-3, 0.1, log=True)),
        "regularization": Param(Float(minimum=0), Uniform(1e-4, 0.1, log=True)),
        "iterations": Param(Int(minimum=1), Choice([50, 100, 200])),
        "num_threads": Param(Int(minimum=0)),
        "random_state": Param(Int(minimum=0, maximum=2**32 - 1, none=True)),
    }

    def __init__(self, *, factors: int = 64, learning_rate: float = 0.01,
                 regularization: float = 0.01, iterations: int = 100, num_threads: int = 0,
                 random_state: int | None = 0) -> None:
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.iterations = iterations
        self.num_threads = num_threads
        self.random_state = random_state

    def _fit(self, data: Interactions, features: Any) -> None:
        with fit_threads():
            engine = implicit_cpu().BayesianPersonalizedRanking(
                factors=self.factors, learning_rate=self.learning_rate,
                regularization=self.regularization, iterations=self.iterations,
                num_threads=self.num_threads, random_state=self.random_state)
            _fit_engine(engine, self.seen_, "BPR", f"lower learning_rate (now "
                        f"{self.learning_rate:g}) or raise regularization (now "
                        f"{self.regularization:g})")
        self.user_factors_ = np.ascontiguousarray(engine.user_factors)
        self.item_factors_ = np.ascontiguousarray(engine.item_factors)

    def _fold_in(self, histories: sp.csr_matrix) -> np.ndarray:
        """The mean factor vector of each history's items (distinct items, weights ignored)."""
        histories = histories.tocsr()
        histories.sum_duplicates()
        counts = np.diff(histories.indptr)
        vectors = np.zeros((histories.shape[0], self.item_factors_.shape[1]), np.float32)
        filled = counts > 0
        if filled.any():  # rows are consecutive runs of cells: one reduceat sums them all
            gathered = self.item_factors_[histories.indices].astype(np.float64)
            sums = np.add.reduceat(gathered, histories.indptr[:-1][filled], axis=0)
            vectors[filled] = sums / counts[filled, None]
        vectors[:, -1] = 1.0  # the bias slot
        return vectors

    def _item_vectors_for_similarity(self) -> np.ndarray:
        return self.item_factors_[:, :-1]

    def _explain(self, item: int, user: int | None, history: sp.csr_matrix | None):
        """Contributions: the history items whose factors align with the item's
        (exact for fold-in vectors, which are the mean of the history's factors)."""
        if user is not None:
            score = float(self.user_factors_[user] @ self.item_factors_[item])
        elif history is not None:
            score = float(self._fold_in(history)[0] @ self.item_factors_[item])
        else:
            bias = float(self.item_factors_[item, -1])
            return bias, [("item bias", bias)], "item factors"
        if history is None or history.nnz == 0:
            return score, [], "item factors"
        weights = np.zeros(len(self.items_))
        hist = history.indices
        weights[hist] = self.item_factors_[hist, :-1] @ self.item_factors_[item, :-1] / len(hist)
        return score, self._history_contributions(item, history, weights), "item factors"


def _fit_engine(engine, matrix: sp.csr_matrix, owner: str, fix: str) -> None:
    """``engine.fit(matrix)``; implicit's refusal of factors that diverged (NaN) becomes an
    InvalidParameterError saying which parameters to change."""
    try:
        engine.fit(matrix, show_progress=False)
    except implicit_cpu().ModelFitError as exc:
        raise InvalidParameterError(
            f"{owner}: the fit diverged ({exc}): the parameters are too aggressive for this "
            f"data. {fix[0].upper()}{fix[1:]}.") from None

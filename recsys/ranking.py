"""The ranking engine: what every model, the campaign, the reasons and the hybrid share.

Three small types travel between them:

``Query``
    who is asking: known users (row indices into the model's user map), histories (a CSR
    matrix of rows over the model's items: carts, customers unknown at fit time), or items
    (for item-to-item neighbours).
``Filter``
    what may come back: ``allowed`` (a bool mask over the items, the same for every row) and
    ``blocked`` (a CSR matrix of the cells each row may not get: seen items, the basket
    itself, the query item, a campaign's per-customer constraints).
``TopK``
    the answer: item indices (n, k) int32 (-1 where a row is short), scores (n, k) float32
    (NaN there), lengths (n,), and optionally which model answered each row.

:func:`rank_scores` is the engine's loop: it asks a scoring function for a chunk of rows at a
time and keeps each chunk's top-k, on the dense path when the scores come back as an array
(``-inf``: cannot score) and on the sparse path when they come back as a CSR matrix (only the
stored cells can be returned). A model reaches it through
:meth:`~recsys.models.base.Recommender.rank`.

>>> import numpy as np
>>> query = Query.of_users(np.array([0, 1]))
>>> filt = Filter(np.array([True, True, False]))
>>> top = rank_scores(lambda q: np.array([[1.0, 2.0, 9.0], [3.0, 1.0, 9.0]])[q.users],
...                   query, 2, filt, n_items=3)
>>> top.index.tolist()
[[1, 0], [0, 1]]
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys._engine.libraries import progress_bar
from recsys._engine.sparse import chunk_rows, drop_entries, mask_rows, take_rows, topk, topk_sparse
from recsys.data.features import ItemFeatures
from recsys.data.frames import to_kind
from recsys.data.idmap import IdMap
from recsys.data.interactions import Interactions
from recsys.exceptions import NotFittedError

__all__ = ["Query", "Filter", "TopK", "Anchors", "Recommendations", "Model", "rank_scores",
           "chunk_slices", "check_fitted", "fit_model"]

Rows = slice | np.ndarray


def rows_of(matrix: sp.csr_matrix, rows: Rows) -> sp.csr_matrix:
    """``matrix[rows]``: the matrix itself for every row in order, views of its arrays for
    any other run of rows (:func:`~recsys._engine.sparse.take_rows`), a gathered copy otherwise."""
    if isinstance(rows, slice):
        start, stop, _ = rows.indices(matrix.shape[0])
        if (start, stop) == (0, matrix.shape[0]):
            return matrix
        rows = np.arange(start, stop)
    return take_rows(matrix, rows)


def chunk_slices(n: int, step: int, show_progress: bool = False, desc: str | None = None):
    """Slices of ``step`` rows covering ``n``, with a tqdm progress bar when asked.

    Parameters
    ----------
    n : int
        The number of rows.
    step : int
        Rows per slice.
    show_progress : bool, default False
        A progress bar over the slices.
    desc : str, optional
        The progress bar's label.

    Yields
    ------
    slice
        ``slice(start, stop)``, in order, the last one shorter when ``step`` does not divide ``n``.

    Examples
    --------
    >>> [(s.start, s.stop) for s in chunk_slices(5, 2)]
    [(0, 2), (2, 4), (4, 5)]
    """
    starts = range(0, n, step)
    if show_progress:
        bar = progress_bar(starts, total=(n + step - 1) // step, unit="chunk", desc=desc)
        starts = starts if bar is None else bar  # tqdm absent: the slices without a bar
    for start in starts:
        yield slice(start, min(n, start + step))


@dataclass(frozen=True)
class Query:
    """Who is asking: exactly one of ``users``, ``histories`` or ``items`` is set; ``as_of``
    is when (the send date), for models whose scores depend on time (``BuyAgain``).

    Parameters
    ----------
    users : numpy.ndarray of int, optional
        Customers' row indices in the model.
    histories : scipy.sparse.csr_matrix, optional
        Carts or unknown customers' histories (queries x items).
    items : numpy.ndarray of int, optional
        Products (for similar items).
    as_of : numpy.datetime64, optional

    Examples
    --------
    >>> import numpy as np
    >>> Query.of_users(np.array([0, 3])).users.tolist()
    [0, 3]
    """

    users: np.ndarray | None = None
    histories: sp.csr_matrix | None = None
    items: np.ndarray | None = None
    as_of: np.datetime64 | None = None

    @classmethod
    def of_users(cls, user_index: np.ndarray, as_of: np.datetime64 | None = None) -> Query:
        """Known users, by their row in the model's user map."""
        return cls(users=np.asarray(user_index, np.int64), as_of=as_of)

    @classmethod
    def of_histories(cls, histories: sp.csr_matrix) -> Query:
        """Carts or unknown customers: rows over the model's items (weights as stored)."""
        return cls(histories=histories)

    @classmethod
    def of_items(cls, item_index: np.ndarray) -> Query:
        """Items whose neighbours are wanted."""
        return cls(items=np.asarray(item_index, np.int64))

    @property
    def kind(self) -> str:
        """``"users"``, ``"histories"`` or ``"items"``."""
        if self.users is not None:
            return "users"
        return "histories" if self.histories is not None else "items"

    def __len__(self) -> int:
        if self.histories is not None:
            return self.histories.shape[0]
        return len(self.users if self.users is not None else self.items)

    def take(self, rows: Rows) -> Query:
        """The sub-query of ``rows`` (a slice or row positions)."""
        if self.histories is not None:
            return Query(histories=rows_of(self.histories, rows), as_of=self.as_of)
        if self.users is not None:
            return Query(users=self.users[rows], as_of=self.as_of)
        return Query(items=self.items[rows], as_of=self.as_of)


@dataclass(frozen=True)
class Filter:
    """What may be returned: items ``allowed`` for everyone, minus each row's blocked cells.

    The blocked cells of query row ``i`` are the stored cells of row ``rows[i]`` of
    ``blocked`` (row ``i`` itself when ``rows`` is None). Keeping the row numbers instead of
    a gathered copy lets a one-customer request mask its seen items without building a
    matrix (scipy's constructor alone costs tens of microseconds).

    Parameters
    ----------
    allowed : numpy.ndarray of bool
        Over the model's items.
    blocked : scipy.sparse.csr_matrix, optional
        Cells no query may get (a customer's purchases).
    rows : numpy.ndarray of int, optional
        The row of ``blocked`` for each query row.

    Examples
    --------
    >>> import numpy as np
    >>> Filter(np.array([True, False, True])).allowed.sum()
    np.int64(2)
    """

    allowed: np.ndarray
    blocked: sp.csr_matrix | None = None
    rows: np.ndarray | None = None

    def take(self, rows: Rows) -> Filter:
        """The filter of a sub-query's ``rows``."""
        if self.blocked is None:
            return self
        if self.rows is not None:
            return Filter(self.allowed, self.blocked, self.rows[rows])
        if isinstance(rows, slice):
            return Filter(self.allowed, rows_of(self.blocked, rows))
        return Filter(self.allowed, self.blocked, np.asarray(rows, np.int64))

    def cells(self) -> sp.csr_matrix | None:
        """The blocked cells as a CSR matrix with one row per query row (gathered here)."""
        if self.blocked is None or self.rows is None:
            return self.blocked
        return take_rows(self.blocked, self.rows)

    def mask(self, scores: np.ndarray) -> None:
        """Set blocked columns and cells of dense ``scores`` to ``-inf`` (in place)."""
        scores[:, ~self.allowed] = -np.inf
        if self.blocked is not None:
            mask_rows(scores, self.blocked, self.rows)


class TopK(NamedTuple):
    """The ``k`` best items of each query row, best first; ties by lower item index.

    Attributes
    ----------
    index : numpy.ndarray of int, shape (n, k)
        Item indices (-1 past a row's length).
    scores : numpy.ndarray of float, shape (n, k)
    lengths : numpy.ndarray of int, shape (n,)
    source : numpy.ndarray of str, optional
        The model that answered each row.

    Examples
    --------
    >>> TopK.empty(2, 3).lengths.tolist()
    [0, 0]
    """

    index: np.ndarray
    scores: np.ndarray
    lengths: np.ndarray
    source: np.ndarray | None = None

    @classmethod
    def empty(cls, n: int, k: int) -> TopK:
        """``n`` rows with nothing in them."""
        return cls(np.full((n, k), -1, np.int32), np.full((n, k), np.nan, np.float32),
                   np.zeros(n, np.int64))


class Anchors(NamedTuple):
    """Why each pick was made, for reasons: a code per cell (``bought_item``,
    ``bought_together``, ``similar_attributes``, ``popular``) and what it points at (an item
    id, a tuple of item ids for a rule's antecedent, a feature label, or None).

    Attributes
    ----------
    codes : numpy.ndarray of str, shape (n, k)
    anchors : numpy.ndarray of object, shape (n, k)

    Examples
    --------
    >>> Anchors.popular((1, 2)).codes.tolist()
    [['popular', 'popular']]
    """

    codes: np.ndarray
    anchors: np.ndarray

    @classmethod
    def popular(cls, shape: tuple[int, int]) -> Anchors:
        """No personal signal behind any pick."""
        return cls(np.full(shape, "popular", dtype=object), np.full(shape, None, dtype=object))


Scores = np.ndarray | sp.csr_matrix


#: below this many score cells a call is scored in one thread (a pool costs more than it saves)
PARALLEL_CELLS = 1_000_000


def rank_scores(scores_of: Callable[[Query], Scores], query: Query, k: int, filt: Filter,
                n_items: int, show_progress: bool = False, threads: int = 1) -> TopK:
    """Score ``query`` a chunk of rows at a time (``scores_of``) and keep each row's top ``k``
    under ``filt``: dense scores take the dense top-k, CSR scores the sparse one.

    Chunks hold at most :data:`~recsys._engine.sparse.CELL_BUDGET` dense score cells in all, so memory
    does not grow with the number of queries. With ``threads`` > 1 and at least
    :data:`PARALLEL_CELLS` score cells, that many chunks (each a share of the budget) are scored at
    once in a pool of threads: scipy's sparse products and numpy's selection release the GIL,
    so a model whose scoring is those (the item-to-item ones) uses every core. The answer is
    the same for any thread count.

    An item scored exactly 0 is never returned, dense or sparse (a sparse score matrix stores
    no zeros): the model has nothing on it for that query (EASE and SLIST for a customer whose
    products nobody else bought), and a list is never padded with catalogue order.

    Parameters
    ----------
    scores_of : callable
        ``scores_of(query)``: a (rows x items) dense array or CSR matrix of scores for the
        rows of ``query`` it is given (a chunk of the whole).
    query : Query
        Who is asking.
    k : int
        The length of each list.
    filt : Filter
        The items each row may receive.
    n_items : int
        The number of items (the scores' width).
    show_progress : bool, default False
        A progress bar over the chunks.
    threads : int, default 1
        Chunks scored at once (see above).

    Returns
    -------
    TopK
        Each row's items by descending score (ties by item index), ``lengths`` of each list.

    Examples
    --------
    >>> import numpy as np
    >>> scores = np.array([[0.1, 0.9, 0.5, 0.0], [0.3, 0.2, 0.0, 0.8]], dtype=np.float32)
    >>> top = rank_scores(lambda query: scores[query.users], Query.of_users(np.array([0, 1])),
    ...                   k=2, filt=Filter(np.array([True, True, False, True])), n_items=4)
    >>> top.index.tolist(), top.lengths.tolist()
    ([[1, 0], [3, 0]], [2, 2])
    """
    n = len(query)
    out = TopK.empty(n, k)
    threads = threads if n * n_items >= PARALLEL_CELLS and n > 1 else 1
    step = max(1, min(chunk_rows(n_items) // threads, -(-n // threads)))

    def ranked(rows: slice) -> tuple[slice, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        part = filt if n <= step else filt.take(rows)
        scores = scores_of(query if n <= step else query.take(rows))
        if sp.issparse(scores):
            return rows, topk_sparse(drop_entries(scores, ~filt.allowed, part.cells()), k)
        part.mask(scores)
        return rows, _without_zero_scores(scores, topk(scores, k), k)

    slices = chunk_slices(n, step, show_progress)
    if threads > 1:

        with ThreadPoolExecutor(threads) as pool:
            _store_all(out, pool.map(ranked, slices))
    else:
        _store_all(out, map(ranked, slices))
    return out


def _without_zero_scores(scores: np.ndarray, top: tuple, k: int) -> tuple:
    """``top`` (the dense top-k of ``scores``) with no item scored exactly 0: the rows whose
    top-k holds a zero are ranked again with zeros masked (usually none: a look at n x k
    cells, not at the whole catalogue)."""
    cols, vals, lengths = top
    if np.count_nonzero(vals) == vals.size:  # the usual case, in a fraction of a microsecond
        return top
    zero = (vals == 0) & (np.arange(vals.shape[1]) < lengths[:, None])
    if not zero.any():
        return top
    rows = np.flatnonzero(zero.any(axis=1))
    again = scores[rows]
    again[again == 0] = -np.inf
    cols[rows], vals[rows], lengths[rows] = topk(again, k)
    return cols, vals, lengths


def _store_all(out: TopK, answers) -> None:
    for rows, (cols, vals, lengths) in answers:
        out.index[rows], out.scores[rows], out.lengths[rows] = cols, vals, lengths


# ---------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class Recommendations:
    """Top-k items per query (user, basket or item), best first.

    Rows are never padded with made-up items: a query with fewer than ``k``
    allowed items has a shorter row (``lengths``; unused cells hold index -1 and
    score NaN). Ties are broken by item index, so results are deterministic.

    Parameters
    ----------
    queries, item_index, scores, lengths, items, source
        As the attributes below (models build it; callers read it).
    k : int, default 10

    Attributes
    ----------
    queries : numpy.ndarray
        External ids of the queries (users, items) or positions/keys of baskets.
    item_index : numpy.ndarray of int32, shape (n, k)
    scores : numpy.ndarray of float32, shape (n, k)
    lengths : numpy.ndarray of int64, shape (n,)
    items : IdMap
    source : numpy.ndarray of str, shape (n,)
        Which model answered each query (``"popularity"`` for the fallback).

    Examples
    --------
    >>> import recsys
    >>> shop = recsys.make_shop(n_customers=200, n_products=40, seed=0)
    >>> recs = recsys.Popularity().fit(shop.interactions).recommend(
    ...     shop.interactions.users.ids[:2], k=3)
    >>> recs.lengths.tolist(), len(recs.to_frame())
    ([3, 3], 6)
    """

    queries: np.ndarray
    item_index: np.ndarray
    scores: np.ndarray
    lengths: np.ndarray
    items: IdMap
    source: np.ndarray
    k: int = 10

    def __len__(self) -> int:
        return len(self.queries)

    def __repr__(self) -> str:
        return f"Recommendations({len(self)} queries, k={self.k}, {int(self.lengths.sum())} items)"

    def to_frame(self, kind: str | None = None) -> Any:
        """Long format: ``query``, ``item``, ``score``, ``rank`` (1-based), ``source``.

        Parameters
        ----------
        kind : {"pandas", "polars", "pyarrow"}, optional
            The kind of table returned (default pandas).

        Examples
        --------
        >>> from recsys import Popularity, make_shop
        >>> shop = make_shop(n_customers=200, n_products=50, seed=1)
        >>> recs = Popularity().fit(shop.interactions).recommend(shop.interactions.users.ids[:2], k=3)
        >>> list(recs.to_frame().columns)
        ['query', 'item', 'score', 'rank', 'source']
        """
        valid = self.item_index >= 0
        rows = np.nonzero(valid)[0]
        return to_kind(pd.DataFrame({
            "query": self.queries[rows],
            "item": self.items.to_ids(self.item_index[valid]),
            "score": self.scores[valid].astype(np.float64),
            "rank": (np.nonzero(valid)[1] + 1).astype(np.int64),
            "source": self.source[rows],
        }), kind)

    def to_dict(self) -> dict[Any, list]:
        """``{query: [item ids, best first]}``."""
        out = {}
        for pos, query in enumerate(self.queries.tolist()):
            row = self.item_index[pos, : self.lengths[pos]]
            out[query] = self.items.to_ids(row).tolist()
        return out

    def item_ids(self, position: int = 0) -> list:
        """The item ids of one row (by position), best first."""
        return self.items.to_ids(self.item_index[position, : self.lengths[position]]).tolist()


# ---------------------------------------------------------------------- the model protocol
@runtime_checkable
class Model(Protocol):
    """What evaluation and the tuner need of a model: ``fit``, ``recommend`` and the ranking
    engine's ``rank`` (every :class:`~recsys.models.base.Recommender` has them). The layers
    below the models know a model by this protocol only, never by its class.

    Examples
    --------
    >>> from recsys import Popularity
    >>> isinstance(Popularity(), Model), isinstance("ALS", Model)
    (True, False)
    """

    is_fitted: bool

    def fit(self, interactions: Interactions, items: ItemFeatures | None = None) -> Any: ...

    def recommend(self, users: Any, k: int = 10, **options: Any) -> Recommendations: ...

    def rank(self, query: Query, k: int, filt: Filter, *, show_progress: bool = False) -> TopK: ...


def check_fitted(model: Any) -> None:
    """Raise :class:`NotFittedError` unless ``model`` is fitted.

    Parameters
    ----------
    model : Recommender

    Raises
    ------
    NotFittedError
        The model is not fitted.

    Examples
    --------
    >>> from recsys import Popularity
    >>> from recsys.ranking import check_fitted
    >>> check_fitted(Popularity())
    Traceback (most recent call last):
    ...
    recsys.exceptions.NotFittedError: This Popularity is not fitted yet; call fit(interactions) first.
    """
    if not model.is_fitted:
        raise NotFittedError(
            f"This {type(model).__name__} is not fitted yet; call fit(interactions) first.")


def fit_model(model: Any, interactions: Interactions,
              items: ItemFeatures | None = None) -> Any:
    """Fit ``model``, handing it ``items`` only when it uses item features (``fit`` itself
    refuses features a model cannot use, so that a mistake is never silent); for code that
    fits several kinds of model in turn (evaluation, hybrids, the command line).

    Parameters
    ----------
    model : Recommender
    interactions : Interactions
    items : ItemFeatures, optional

    Returns
    -------
    Recommender
        ``model``, fitted.

    Examples
    --------
    >>> from recsys import ContentBased, Popularity, make_shop
    >>> from recsys.ranking import fit_model
    >>> shop = make_shop(n_customers=100, n_products=30, seed=0)
    >>> [fit_model(m, shop.interactions, shop.items).is_fitted
    ...  for m in (Popularity(), ContentBased())]
    [True, True]
    """
    if model.uses_item_features and items is not None:
        return model.fit(interactions, items=items)
    return model.fit(interactions)

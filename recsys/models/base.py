"""The one fitted-model interface: :class:`Recommender`, :class:`Recommendations`,
:class:`Explanation`.

The base class owns the semantics: validation, id mapping, the unknown-id
policy, seen-item exclusion, allow/deny lists, top-k, chunking and the output
shape. A model implements small hooks on internal indices:

``_fit(data, features)``
    learn from :class:`~recsys.data.Interactions` (ids already mapped).
``_score_users(user_index)``
    dense (n, n_items) float32 scores for known users; ``-inf`` = cannot score.
``_score_histories(histories)``
    the same for rows of a users x items CSR matrix (carts, unknown customers).
``_score_similar(item_index)``
    item-to-item scores.
``_explain(item, user, history)``
    ``(score, contributions, method)``.
``_state()`` / ``_load_state(arrays, meta)``
    the fitted arrays for the model file.

A model may override ``_recommend_users`` or ``_recommend_histories`` where it has a
faster fused top-k (implicit's), as long as the filters are honoured.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._ids import clean_ids, is_scalar_id, preview
from .._params import ParamsMixin, check_choice, check_int
from .._topk import (
    binary_rows,
    chunk_rows,
    drop_entries,
    mask_rows,
    take_rows,
    topk,
    topk_sparse,
)
from ..data import IdMap, Interactions
from ..exceptions import (
    DataError,
    InvalidParameterError,
    NotFittedError,
    UnknownIdError,
    UnsupportedError,
)
from ..features import ItemFeatures

__all__ = ["Recommender", "Recommendations", "Explanation", "REGISTRY", "fit_model"]

OnUnknown = Literal["raise", "skip", "fallback"]

#: name -> class of every model ``recsys.load`` may rebuild (closed: only the package's own
#: ``_register`` adds to it, and never replaces an entry)
REGISTRY: dict[str, type[Recommender]] = {}

FALLBACK = "popularity"


def _register(cls: type[Recommender]) -> type[Recommender]:
    """Class decorator of the package's models: add to the registry (persistence, CLI,
    conformance tests). A second class under a registered name is refused, so no class
    defined elsewhere can become what ``recsys.load`` builds for that name."""
    known = REGISTRY.get(cls.__name__)
    if known is not None and known is not cls:
        raise InvalidParameterError(
            f"a model called {cls.__name__!r} is registered already ({known.__module__}); "
            f"the registry never replaces a model. Give the new class another name.")
    REGISTRY[cls.__name__] = cls
    return cls


# ---------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class Recommendations:
    """Top-k items per query (user, basket or item), best first.

    Rows are never padded with made-up items: a query with fewer than ``k``
    allowed items has a shorter row (``lengths``; unused cells hold index -1 and
    score NaN). Ties are broken by item index, so results are deterministic.

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

    def to_frame(self) -> pd.DataFrame:
        """Long format: ``query``, ``item``, ``score``, ``rank`` (1-based), ``source``.

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
        return pd.DataFrame({
            "query": self.queries[rows],
            "item": self.items.to_ids(self.item_index[valid]),
            "score": self.scores[valid].astype(np.float64),
            "rank": (np.nonzero(valid)[1] + 1).astype(np.int64),
            "source": self.source[rows],
        })

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


@dataclass(frozen=True)
class Explanation:
    """Why a model scores an item as it does for a user or basket.

    Attributes
    ----------
    item : id
    score : float
        The model's score (the same number ``recommend`` ranks by).
    contributions : list of (label, weight)
        The history items, rules, terms or components behind the score, largest first.
    method : str
        How the score was made (``"item factors"``, ``"rule"``, ``"popularity"``...).
    source : str
        The model (or hybrid component) that answered.
    details : dict
        Model-specific facts (for a rule: its support, confidence and lift).
    """

    item: Any
    score: float
    contributions: list = field(default_factory=list)
    method: str = ""
    source: str = ""
    details: dict = field(default_factory=dict)

    def __str__(self) -> str:
        parts = ", ".join(f"{label} ({weight:.3g})" for label, weight in self.contributions[:3])
        because = f" because of {parts}" if parts else ""
        return f"{self.item!r}: score {self.score:.4g} by {self.method}{because}"


# ---------------------------------------------------------------------- the base
class Recommender(ParamsMixin):
    """Base class of every model: one interface, external ids in and out.

    Subclasses set the capability flags and implement the hooks (see the module
    docstring). Parameters are keyword-only and only stored by ``__init__``;
    they are checked in ``fit``.
    """

    #: ``recommend_for_basket`` and fold-in of customers unknown at fit time
    supports_baskets: ClassVar[bool] = True
    #: ``similar_items`` (item-to-item neighbours)
    supports_similar_items: ClassVar[bool] = True
    #: ``fit`` takes ``items=ItemFeatures`` and can rank items without interactions
    uses_item_features: ClassVar[bool] = False
    #: parameters the conformance tests use to keep fits small and fast
    _test_params: ClassVar[dict[str, Any]] = {}

    @classmethod
    def _test_variants(cls) -> list[dict[str, Any]]:
        """Parameter sets the conformance suite runs the whole contract on (default: one)."""
        return [cls._test_params]

    # ------------------------------------------------------------------ fit
    def fit(self, interactions: Interactions, items: ItemFeatures | None = None) -> Recommender:
        """Learn from ``interactions`` (and item features, for models that use them).

        Fitting fully resets the model (no warm start) and returns ``self``.
        """
        name = type(self).__name__
        if not isinstance(interactions, Interactions):
            raise DataError(
                f"{name}.fit expects recsys.Interactions, got {type(interactions).__name__}. "
                f"Build it with Interactions.from_frame(df, user=..., item=...)."
            )
        if items is not None and not isinstance(items, ItemFeatures):
            raise DataError(f"{name}.fit: items must be ItemFeatures, got {type(items).__name__}.")
        if items is not None and not self.uses_item_features:
            raise UnsupportedError(
                f"{name} does not use item features; call fit(interactions) without items=, "
                f"or use ContentBased / Hybrid."
            )
        self._reset()
        self._check_params()
        start = time.perf_counter()
        try:
            self._fit_from(interactions, items)
        except BaseException:
            self._reset()  # a failed fit leaves the model unfitted, never half fitted
            raise
        freeze_fitted(self)
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def _fit_from(self, interactions: Interactions, items: ItemFeatures | None) -> None:
        """The shared fitted state (id maps, seen items, item counts), then the model's own."""
        data, features = self._align(interactions, items)
        self.users_ = data.users if data.users is not None else IdMap(name="user_id")
        self.items_ = data.items
        if data.users is not None:
            # a copy: the container caches its matrix, and the model's must not be the caller's
            self.seen_ = data.matrix("user").copy()
        else:
            self.seen_ = sp.csr_matrix((0, data.n_items), dtype=np.float32)
        counts_from = self.seen_ if data.users is not None else data.matrix("basket")
        # distinct users (or baskets) per item: the stored cells of each column
        self.item_counts_ = np.bincount(counts_from.indices, minlength=data.n_items).astype(np.int64)
        self._fit(data, features)

    def _reset(self) -> None:
        for key in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, key)
        for key in [k for k in vars(self) if k.startswith("_cache")]:
            delattr(self, key)

    def _check_params(self) -> None:
        """Validate constructor parameters (override; raise InvalidParameterError)."""

    def _align(self, data: Interactions,
               features: ItemFeatures | None) -> tuple[Interactions, ItemFeatures | None]:
        """Widen the item map to the featured catalogue for feature models."""
        if features is None:
            return data, None
        union = IdMap(np.concatenate([data.items.ids, features.items.ids]), name=data.items.name)
        if union == data.items:
            return data, features
        remap = union.to_index(data.items.ids)
        widened = Interactions(
            item_index=remap[data.item_index], items=union, user_index=data.user_index,
            users=data.users, weights=data.weights, timestamps=data.timestamps,
            basket_index=data.basket_index, baskets=data.baskets)
        return widened, features

    def _fit(self, data: Interactions, features: ItemFeatures | None) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ checks
    def _check_fitted(self) -> None:
        if not hasattr(self, "items_"):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet; call fit(interactions) first."
            )

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "items_")

    def _item_filter(self, candidates: Iterable | None, exclude: Iterable | None) -> np.ndarray:
        """Allowed items: known, trained (or featured), in ``candidates``, not in ``exclude``.

        Unknown ids in ``candidates`` or ``exclude`` are ignored: the model cannot
        recommend them anyway.
        """
        if candidates is None and exclude is None:  # the usual request: nothing to narrow
            return self._recommendable()
        allowed = self._recommendable().copy()
        if candidates is not None:
            keep = np.zeros_like(allowed)
            keep[self.items_.to_index(_as_list(candidates, "candidates"), missing="skip")] = True
            allowed &= keep
        if exclude is not None:
            allowed[self.items_.to_index(_as_list(exclude, "exclude"), missing="skip")] = False
        return allowed

    def _recommendable(self) -> np.ndarray:
        """Items the model can score: those with training interactions (or features)."""
        return self.item_counts_ > 0

    # ------------------------------------------------------------------ recommend
    def recommend(
        self,
        users: Any,
        k: int = 10,
        *,
        exclude_seen: bool = True,
        candidates: Iterable | None = None,
        exclude: Iterable | None = None,
        on_unknown: OnUnknown = "raise",
        show_progress: bool = False,
    ) -> Recommendations:
        """Top-``k`` items for each of ``users`` (one id or many).

        Parameters
        ----------
        users : id or sequence of ids
        k : int
        exclude_seen : bool
            Leave out items the user interacted with in training.
        candidates : sequence of item ids, optional
            Rank only these items (unknown ids ignored).
        exclude : sequence of item ids, optional
            Never return these items (unknown ids ignored).
        on_unknown : {"raise", "skip", "fallback"}
            Users unknown to the model raise :class:`UnknownIdError`, are left
            out, or get the most popular items (``source == "popularity"``).
        show_progress : bool
            A progress bar over chunks (tqdm).

        Returns
        -------
        Recommendations
        """
        self._check_fitted()
        k = check_int(type(self).__name__, "k", k, minimum=1)
        check_choice(type(self).__name__, "on_unknown", on_unknown, ("raise", "skip", "fallback"))
        ids = clean_ids(users, "users")
        index = self._lookup_users(ids, on_unknown)
        if on_unknown == "skip":
            ids, index = ids[index >= 0], index[index >= 0]
        allowed = self._item_filter(candidates, exclude)
        known = index >= 0
        return self._assemble(ids, known, k, allowed, lambda: self._recommend_users(
            index[known], k, bool(exclude_seen), allowed, show_progress))

    def _assemble(self, queries: np.ndarray, answered: np.ndarray, k: int, allowed: np.ndarray,
                  ask) -> Recommendations:
        """The model answers the ``answered`` rows (``ask()``), popularity the rest."""
        n = len(queries)
        cols = np.full((n, k), -1, np.int32)
        vals = np.full((n, k), np.nan, np.float32)
        lengths = np.zeros(n, np.int64)
        source = np.where(answered, type(self).__name__, FALLBACK).astype(object)
        if answered.any():
            answer = ask()
            cols[answered], vals[answered], lengths[answered] = answer[:3]
            if len(answer) == 4:  # composite models say which part answered each row
                source[answered] = answer[3]
        if (~answered).any():
            c, v, m = self._popular(int((~answered).sum()), k, allowed)
            cols[~answered], vals[~answered], lengths[~answered] = c, v, m
        return Recommendations(queries, cols, vals, lengths, self.items_, source.astype(str), k)

    def _lookup_users(self, ids: np.ndarray, on_unknown: str) -> np.ndarray:
        index = self.users_.to_index(ids, missing="mask", kind="user")
        unknown = index < 0
        if unknown.any() and on_unknown == "raise":
            hint = ""
            if len(self.users_) and ids.dtype.kind != self.users_.ids.dtype.kind:
                hint = f" This model's user ids are {self.users_.kind}s."
            raise UnknownIdError(
                f"{int(unknown.sum())} of {len(ids)} user ids are unknown to this "
                f"{type(self).__name__} (first: {preview(ids[unknown].tolist())}).{hint} "
                f"Pass on_unknown='skip' or 'fallback' to continue, or recommend_for_basket "
                f"with their history.",
                ids=ids[unknown].tolist(), kind="user")
        return index

    #: the model's scores are sparse (few scorable items per query): rank stored cells only
    _sparse_scores: ClassVar[bool] = False

    def _score_histories_sparse(self, histories: sp.csr_matrix) -> sp.csr_matrix:
        """CSR scores of the items the model can score for each history (sparse models)."""
        raise NotImplementedError

    def _recommend_users(self, user_index: np.ndarray, k: int, exclude_seen: bool,
                         allowed: np.ndarray, show_progress: bool = False):
        """Chunked dense scoring + exact top-k (override for a fused kernel)."""
        if self._sparse_scores:
            return self._sparse_topk(self._user_histories(user_index),
                                     take_rows(self.seen_, user_index) if exclude_seen else None,
                                     k, allowed)
        blocked = ~allowed

        def score(chunk: np.ndarray) -> np.ndarray:
            scores = self._score_users(chunk)
            scores[:, blocked] = -np.inf
            if exclude_seen:
                mask_rows(scores, self.seen_, chunk)
            return scores

        return _chunked_topk(score, user_index, len(allowed), k, show_progress)

    def _popular(self, n: int, k: int, allowed: np.ndarray):
        """The fallback: the same most-popular list for ``n`` queries."""
        scores = np.where(allowed, self.item_counts_, -np.inf).astype(np.float32)[None, :]
        cols, vals, lengths = topk(scores, k)
        return (np.repeat(cols, n, axis=0), np.repeat(vals, n, axis=0),
                np.repeat(lengths, n))

    def recommend_for_basket(
        self,
        baskets: Any,
        k: int = 10,
        *,
        exclude_basket: bool = True,
        candidates: Iterable | None = None,
        exclude: Iterable | None = None,
        on_unknown: OnUnknown = "raise",
        show_progress: bool = False,
    ) -> Recommendations:
        """Top-``k`` items for carts or for customers unknown at fit time.

        Parameters
        ----------
        baskets : list of item ids, list of lists, or dict
            One basket (``["tea", "mug"]``), many (``[["tea"], ["mug", "jam"]]``;
            queries are their positions), or ``{query_id: [item ids]}`` (a new
            customer's history).
        exclude_basket : bool
            Leave out the items already in the basket.
        on_unknown : {"raise", "skip", "fallback"}
            Items unknown to the model raise :class:`UnknownIdError`, or are
            dropped from the basket (``"skip"`` and ``"fallback"``). A basket left
            empty gets the most popular items (``source == "popularity"``).

        Returns
        -------
        Recommendations
        """
        self._check_fitted()
        name = type(self).__name__
        if not self.supports_baskets:
            raise UnsupportedError(f"{name} cannot recommend for baskets (supports_baskets=False).")
        k = check_int(name, "k", k, minimum=1)
        check_choice(name, "on_unknown", on_unknown, ("raise", "skip", "fallback"))
        queries, histories = self._basket_matrix(baskets, on_unknown)
        allowed = self._item_filter(candidates, exclude)
        filled = np.diff(histories.indptr) > 0
        answered = histories if filled.all() else take_rows(histories, np.flatnonzero(filled))
        return self._assemble(queries, filled, k, allowed, lambda: self._recommend_histories(
            answered, k, bool(exclude_basket), allowed, show_progress))

    def _basket_matrix(self, baskets: Any, on_unknown: str) -> tuple[np.ndarray, sp.csr_matrix]:
        """Queries and a binary baskets x items CSR matrix from the accepted shapes."""
        queries, lists = _parse_baskets(baskets)
        sizes = np.fromiter((len(b) for b in lists), np.int64, count=len(lists))
        flat = [i for b in lists for i in b]
        rows = np.repeat(np.arange(len(lists)), sizes)
        if flat:
            ids = clean_ids(flat, "basket items")
            index = self.items_.to_index(ids, missing="mask", kind="item")
            unknown = index < 0
            if unknown.any() and on_unknown == "raise":
                raise UnknownIdError(
                    f"{int(unknown.sum())} of {len(ids)} basket items are unknown to this "
                    f"{type(self).__name__} (first: {preview(ids[unknown].tolist())}). "
                    f"Pass on_unknown='skip' to drop them from the baskets.",
                    ids=ids[unknown].tolist(), kind="item")
            rows, index = rows[~unknown], index[~unknown]
        else:
            index = np.empty(0, np.int32)
        return queries, binary_rows(rows, index, len(lists), len(self.items_))

    def _user_histories(self, user_index: np.ndarray) -> sp.csr_matrix:
        """What a sparse model scores a known user from (default: their training history)."""
        return take_rows(self.seen_, user_index)

    def _sparse_topk(self, histories: sp.csr_matrix, exclude: sp.csr_matrix | None, k: int,
                     allowed: np.ndarray):
        n = histories.shape[0]
        cols = np.empty((n, k), np.int32)
        vals = np.empty((n, k), np.float32)
        lengths = np.empty(n, np.int64)
        step = max(1, chunk_rows(k * 200))  # rows' stored scores stay within the cell budget
        for start in range(0, n, step):
            part = slice(start, start + step)
            whole = n <= step  # one chunk (every request): no slicing of the matrices
            scores = self._score_histories_sparse(histories if whole else histories[part])
            blocked = exclude if whole or exclude is None else exclude[part]
            scores = drop_entries(scores, ~allowed, blocked)
            cols[part], vals[part], lengths[part] = topk_sparse(scores, k)
        return cols, vals, lengths

    def _recommend_histories(self, histories: sp.csr_matrix, k: int, exclude_history: bool,
                             allowed: np.ndarray, show_progress: bool = False):
        if self._sparse_scores:
            return self._sparse_topk(histories, histories if exclude_history else None, k,
                                     allowed)
        blocked = ~allowed

        def score(rows: np.ndarray) -> np.ndarray:
            part = histories if len(rows) == histories.shape[0] else take_rows(histories, rows)
            scores = self._score_histories(part)
            scores[:, blocked] = -np.inf
            if exclude_history:
                mask_rows(scores, part)
            return scores

        return _chunked_topk(score, np.arange(histories.shape[0]), len(allowed), k,
                             show_progress)

    def similar_items(
        self,
        items: Any,
        k: int = 10,
        *,
        candidates: Iterable | None = None,
        exclude: Iterable | None = None,
        on_unknown: OnUnknown = "raise",
    ) -> Recommendations:
        """The ``k`` items most like each of ``items`` (never the item itself).

        ``on_unknown="skip"`` drops unknown query items; ``"fallback"`` answers
        them with the most popular items.
        """
        self._check_fitted()
        name = type(self).__name__
        if not self.supports_similar_items:
            raise UnsupportedError(
                f"{name} has no notion of item similarity (supports_similar_items=False); "
                f"use ItemKNN, ALS, AssociationRules or ContentBased."
            )
        k = check_int(name, "k", k, minimum=1)
        check_choice(name, "on_unknown", on_unknown, ("raise", "skip", "fallback"))
        ids = clean_ids(items, "items")
        index = self.items_.to_index(ids, missing="raise" if on_unknown == "raise" else "mask",
                                     kind="item")
        if on_unknown == "skip":
            ids, index = ids[index >= 0], index[index >= 0]
        allowed = self._item_filter(candidates, exclude)
        known = index >= 0
        return self._assemble(ids, known, k, allowed,
                              lambda: self._recommend_similar(index[known], k, allowed))

    def _recommend_similar(self, query: np.ndarray, k: int, allowed: np.ndarray):
        """Chunked item-to-item scoring + top-k, never the query item itself."""
        blocked = ~allowed

        def score(rows: np.ndarray) -> np.ndarray:
            scores = self._score_similar(query[rows])
            scores[:, blocked] = -np.inf
            scores[np.arange(len(rows)), query[rows]] = -np.inf
            return scores

        return _chunked_topk(score, np.arange(len(query)), len(allowed), k, False)

    def explain(self, item: Any, user: Any = None, basket: Iterable | None = None) -> Explanation:
        """Why ``item`` scores as it does for ``user`` (known) or ``basket`` (item ids).

        With neither, the explanation is of the item's standing on its own
        (popularity, or what the model knows of it).
        """
        self._check_fitted()
        if user is not None and basket is not None:
            raise InvalidParameterError("explain: pass user= or basket=, not both.")
        if not is_scalar_id(item):
            raise InvalidParameterError(f"explain takes one item id, got {type(item).__name__}.")
        item_index = int(self.items_.to_index([item], kind="item")[0])
        user_index = history = None
        if user is not None:
            if not is_scalar_id(user):
                raise InvalidParameterError(f"explain takes one user id, got {type(user).__name__}.")
            user_index = int(self._lookup_users(clean_ids([user], "user"), "raise")[0])
            history = self.seen_[user_index]
        elif basket is not None:
            if not self.supports_baskets:
                raise UnsupportedError(f"{type(self).__name__} cannot explain basket scores.")
            _, history = self._basket_matrix([list(_as_list(basket, "basket"))], "raise")
        score, contributions, method, *details = self._explain(item_index, user_index, history)
        return Explanation(item=self.items_.ids[item_index].item(), score=float(score),
                           contributions=contributions, method=method,
                           source=type(self).__name__, details=details[0] if details else {})

    # ------------------------------------------------------------------ hooks
    def _score_users(self, user_index: np.ndarray) -> np.ndarray:
        return self._score_histories(take_rows(self.seen_, user_index))

    def _score_histories(self, histories: sp.csr_matrix) -> np.ndarray:
        raise UnsupportedError(f"{type(self).__name__} cannot score histories.")

    def _score_similar(self, item_index: np.ndarray) -> np.ndarray:
        raise UnsupportedError(f"{type(self).__name__} cannot score similar items.")

    def _explain(self, item: int, user: int | None, history: sp.csr_matrix | None):
        return float(self.item_counts_[item]), [], "popularity"

    def _history_contributions(self, item: int, history: sp.csr_matrix | None,
                               weights: np.ndarray) -> list:
        """(history item id, weight) pairs, largest first, for items in ``history``."""
        if history is None or history.nnz == 0:
            return []
        hist = history.indices
        w = np.asarray(weights, dtype=np.float64)[hist]
        order = np.lexsort((hist, -w))[:10]
        return [(self.items_.ids[hist[i]].item(), float(w[i])) for i in order if w[i] != 0]

    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The model's own fitted arrays and JSON-able facts (override)."""
        return {}, {}

    def _load_state(self, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> None:
        """Restore what ``_state`` gave (override)."""

    def save(self, path) -> None:
        """Write the fitted model to ``path`` (``.npz`` + JSON manifest, no pickle)."""
        from ..persistence import save

        save(self, path)


# ---------------------------------------------------------------------- helpers
def fit_model(model: Recommender, interactions: Interactions,
              items: ItemFeatures | None = None) -> Recommender:
    """Fit ``model``, handing it ``items`` only when it uses item features (``fit`` itself
    refuses features a model cannot use, so that a mistake is never silent); for code that
    fits several kinds of model in turn (evaluation, hybrids, the command line).

    Examples
    --------
    >>> from recsys import ContentBased, Popularity, make_shop
    >>> shop = make_shop(n_customers=100, n_products=30, seed=0)
    >>> [fit_model(m, shop.interactions, shop.items).is_fitted
    ...  for m in (Popularity(), ContentBased())]
    [True, True]
    """
    if model.uses_item_features and items is not None:
        return model.fit(interactions, items=items)
    return model.fit(interactions)


def freeze_fitted(model: Recommender) -> None:
    """Make every fitted array of ``model`` read-only (numpy arrays and the arrays of sparse
    matrices held in public ``name_`` attributes): fitted state changes only by ``fit``."""
    for key, value in vars(model).items():
        if not key.endswith("_") or key.startswith("_"):
            continue
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
        elif sp.issparse(value):
            for part in ("data", "indices", "indptr", "row", "col"):
                array = getattr(value, part, None)
                if isinstance(array, np.ndarray):
                    array.setflags(write=False)


def _chunked_topk(score, rows: np.ndarray, n_items: int, k: int, show_progress: bool):
    """Run ``score(rows_chunk)`` over chunks of ``rows`` and keep each chunk's top-k."""
    n = len(rows)
    cols = np.empty((n, k), np.int32)
    vals = np.empty((n, k), np.float32)
    lengths = np.empty(n, np.int64)
    step = chunk_rows(n_items)
    starts = range(0, n, step)
    if show_progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, total=(n + step - 1) // step, unit="chunk")
    for start in starts:
        part = rows[start:start + step]
        c, v, m = topk(score(part), k)
        cols[start:start + step], vals[start:start + step], lengths[start:start + step] = c, v, m
    return cols, vals, lengths


def _as_list(values: Any, name: str) -> list | np.ndarray:
    if is_scalar_id(values):
        return [values]
    if isinstance(values, (np.ndarray, pd.Index, pd.Series)):
        return values
    try:
        return list(values)
    except TypeError:
        raise InvalidParameterError(
            f"{name} must be an item id or a sequence of item ids, got {type(values).__name__}."
        ) from None


def _parse_baskets(baskets: Any) -> tuple[np.ndarray, list[list]]:
    if isinstance(baskets, Mapping):
        keys = list(baskets.keys())
        lists = [list(_as_list(v, "basket")) for v in baskets.values()]
        queries = clean_ids(keys, "basket keys") if keys else np.empty(0, np.int64)
        return queries, lists
    if isinstance(baskets, (str, bytes)) or is_scalar_id(baskets):
        raise DataError(
            f"baskets must be a list of item ids (one cart), a list of lists, or a dict; "
            f"got the single value {baskets!r}. Wrap it: [{baskets!r}]."
        )
    if isinstance(baskets, (pd.DataFrame,)):
        raise DataError("baskets must be lists of item ids or a dict, not a DataFrame.")
    seq = list(baskets)
    if seq and all(is_scalar_id(b) for b in seq):
        return np.array([0]), [seq]
    if any(is_scalar_id(b) for b in seq):
        raise DataError("baskets mixes item ids and lists; pass one list of ids or a list of lists.")
    return np.arange(len(seq)), [list(_as_list(b, "basket")) for b in seq]

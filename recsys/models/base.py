"""The one fitted-model interface: :class:`Recommender`, :class:`Recommendations`,
:class:`Explanation`.

The base class owns the semantics: validation, id mapping, the unknown-id
policy, seen-item exclusion, allow/deny lists and the output shape. Everything
that ranks goes through one engine, :meth:`Recommender.rank`, on the typed
internal API of :mod:`recsys.ranking` (``Query``, ``Filter``, ``TopK``,
``Anchors``). A model is its maths (a subclass defined in this package registers itself); it
implements hooks on
internal indices:

``_fit(data, features)``
    learn from :class:`~recsys.data.interactions.Interactions` (ids already mapped).
``_scores(query)``
    scores of every item for each row of a :class:`~recsys.ranking.Query`
    (known users, histories, or items): a dense float32 array (``-inf``: cannot
    score) or a CSR matrix (only stored cells can be recommended); the engine
    picks the dense or sparse top-k from what comes back.
``_history(user_index)`` (optional)
    what represents a known user (default: their training items, ``seen_``).
``_rank_fused(query, k, filter, show_progress)`` (optional)
    a kernel that filters and ranks in one call (implicit's top-k for ALS/BPR);
    None falls back to ``_scores``.
``_anchors(query, picks, source)`` (optional)
    the history item, rule or attribute behind each pick, for reasons.
``_recommendable()`` (optional)
    the items the model can recommend (default: those with interactions).
``_explain(item, user, history)``
    ``(score, contributions, method[, details])``.
``_state()`` / ``_load_state(arrays, meta)``
    the fitted arrays for the model file.

Other objects (the campaign, metrics, reasons, ``Hybrid``) use only the public
``rank``, ``score``, ``anchors``, ``seen_rows`` and fitted attributes.
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys._engine import state_checks as checks
from recsys._engine.arrays import row_lengths
from recsys._engine.params import ParamsMixin, check_bool, check_choice, check_float, check_int
from recsys._engine.sparse import binary_rows, dense_scores, one_hot_rows, take_rows, topk, without_rows
from recsys.data.dates import DAY_NS, data_end, far_after_the_rest, parse_date
from recsys.data.features import ItemFeatures
from recsys.data.idmap import IdMap
from recsys.data.ids import clean_ids, customer_preview, is_scalar_id, preview
from recsys.data.interactions import Interactions
from recsys.exceptions import (
    DataError,
    DataWarning,
    InvalidParameterError,
    PersistenceError,
    UnknownIdError,
    UnsupportedError,
)
from recsys.models._collapse import check_collapse
from recsys.models._state import freeze_fitted, one_state, publish_state, unfitted_twin
from recsys.models.erasure import forget
from recsys.models.files import load as load_file
from recsys.models.files import save as save_file
from recsys.models.params import Distribution, Param
from recsys.models.registry import register
from recsys.ranking import (
    Anchors,
    Filter,
    Query,
    Recommendations,
    TopK,
    check_fitted,
    fit_model,
    rank_scores,
)

__all__ = ["Recommender", "Recommendations", "Explanation", "fit_model",
           "check_fitted", "Query", "Filter", "TopK", "Anchors"]

OnUnknown = Literal["raise", "skip", "fallback"]

FALLBACK = "popularity"


# ---------------------------------------------------------------------- results
@dataclass(frozen=True)
class Explanation:
    """Why a model scores an item as it does for a user or basket (what ``explain``
    returns; its fields are also its parameters).

    Parameters
    ----------
    item : id
    score : float
    contributions : list of (label, weight), default []
    method : str, default ""
    source : str, default ""
    details : dict, default {}

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

    Examples
    --------
    >>> import recsys
    >>> shop = recsys.make_shop(n_customers=300, n_products=50, seed=0)
    >>> model = recsys.ItemKNN().fit(shop.interactions)
    >>> customer = shop.interactions.users.ids[0]
    >>> pick = model.recommend([customer], k=1).item_ids()[0]
    >>> why = model.explain(pick, user=customer)
    >>> why.method, why.item == pick
    ('item neighbours', True)
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

    Each model's constructor takes its own parameters, keyword-only (declared in its
    ``parameters``).

    Examples
    --------
    >>> import recsys
    >>> shop = recsys.make_shop(n_customers=200, n_products=40, seed=0)
    >>> model = recsys.EASE().fit(shop.interactions)
    >>> isinstance(model, recsys.Recommender), len(model.recommend(shop.interactions.users.ids[:2], k=3))
    (True, 2)
    """

    #: ``recommend_for_basket`` and fold-in of customers unknown at fit time
    supports_baskets: ClassVar[bool] = True
    #: ``similar_items`` (item-to-item neighbours)
    supports_similar_items: ClassVar[bool] = True
    #: ``fit`` takes ``items=ItemFeatures`` and can rank items without interactions
    uses_item_features: ClassVar[bool] = False
    #: learns from customers' histories, so basket-only data (no customers) is refused at fit
    needs_customers: ClassVar[bool] = False
    #: recommends what a customer already bought (repeat purchases): ``recommend`` then keeps
    #: seen items unless told ``exclude_seen=True``
    recommends_seen: ClassVar[bool] = False
    #: a personal model that checks after fit whether it learnt anything (scores collapsed,
    #: every customer the same list) and warns with the cause (see ``models/_collapse.py``)
    checks_collapse: ClassVar[bool] = False
    #: ``forget`` can refit from the model's own seen-items matrix (its fit reads nothing else,
    #: when no time parameter is set); otherwise it needs the training data (exact either way)
    forgets_from_state: ClassVar[bool] = False
    #: every constructor parameter: what it accepts (checked at fit) and its search space
    #: (see :mod:`recsys.models.params`)
    parameters: ClassVar[dict[str, Param]] = {}
    #: parameters the demo (and ``Hybrid``'s demo blend) fits this model with
    demo_params: ClassVar[dict[str, Any]] = {}
    #: parameters the conformance tests use to keep fits small and fast

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A public model class of this package joins the closed registry when defined;
        classes elsewhere (a user's subclass) and private bases do not."""
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("recsys.models.") and not cls.__name__.startswith("_"):
            register(cls)

    # ------------------------------------------------------------------ fit
    def fit(self, interactions: Interactions, items: ItemFeatures | None = None, *,
            outlying_times: str = "drop", max_age_days: float | None = None) -> Recommender:
        """Learn from ``interactions`` (and item features, for models that use them).

        Fitting fully resets the model (no warm start) and returns ``self``.

        ``outlying_times``: rows dated far after the rest of the log (a mistyped year: 2099
        among last year's orders; the rule is :func:`recsys.data.dates.far_after_the_rest`) would
        make them every customer's newest purchase and every recency weight 0. ``"drop"`` (the
        default) leaves them out and says so in a :class:`~recsys.exceptions.DataWarning`;
        ``"raise"`` refuses the data; ``"keep"`` learns from them as they are.

        ``max_age_days`` (retention): rows older than this many days before the end of the
        data never enter the model. The window learnt from is kept (``data_window_``) and
        recorded in the model file (``recsys info --personal-data``).
        """
        name = type(self).__name__
        check_choice(name, "outlying_times", outlying_times, ("drop", "raise", "keep"))
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
        interactions = _without_outlying_times(interactions, name, outlying_times)
        interactions = _within_retention(interactions, name, max_age_days)
        start = time.perf_counter()
        try:
            self._fit_from(interactions, items)
        except BaseException:
            self._reset()  # a failed fit leaves the model unfitted, never half fitted
            raise
        freeze_fitted(self)
        self.fit_seconds_ = time.perf_counter() - start
        self.data_window_ = _window_of(interactions)
        self.max_age_days_ = max_age_days
        if self.checks_collapse:
            check_collapse(self, interactions)
        return self

    def _fit_from(self, interactions: Interactions, items: ItemFeatures | None) -> None:
        """The shared fitted state (id maps, seen items, item counts), then the model's own."""
        data, features = self._align(interactions, items)
        self._check_learnable(data)
        if data.users is not None:
            # a copy: the container caches its matrix, and the model's must not be the caller's
            self._set_id_state(data.users, data.items, data.matrix("user").copy(), None)
        else:
            self._set_id_state(IdMap(name="user_id"), data.items,
                               sp.csr_matrix((0, data.n_items), dtype=np.float32),
                               data.matrix("basket"))
        self._fit(data, features)
        self.recommendable_ = np.asarray(self._recommendable(), bool)

    def _set_id_state(self, users: IdMap, items: IdMap, seen: sp.csr_matrix,
                      baskets: sp.csr_matrix | None,
                      basket_counts: np.ndarray | None = None) -> None:
        """The state every model shares: id maps, seen items, and each item's distinct users
        (the stored cells of its ``seen`` column), or its baskets when there are no users
        (``basket_counts`` when the caller already has them)."""
        self.users_, self.items_, self.seen_ = users, items, seen
        if baskets is not None and basket_counts is not None:
            self.item_counts_ = np.asarray(basket_counts, np.int64).copy()
            return
        counts_from = seen if baskets is None else baskets
        self.item_counts_ = np.bincount(counts_from.indices, minlength=len(items)).astype(np.int64)

    def _check_learnable(self, data: Interactions) -> None:
        """Data this model can learn from, or a DataError at fit (never a fitted model that
        answers every cart with zeros)."""
        name = type(self).__name__
        if self.needs_customers and data.users is None:
            raise DataError(
                f"{name} learns from customers' histories, and these interactions have baskets "
                f"but no customers. Build them with a customer column (from_frame(df, user=...); "
                f"--user-col on the command line), or fit AssociationRules or Popularity, "
                f"which learn from baskets alone.")
        if not (data.weights > 0).any():
            raise DataError(
                f"{name}: every one of the {len(data):,} interactions has weight 0, so there is "
                f"nothing to learn from. Check the weight column (--weight-col), or leave it out "
                f"to count each row once.")

    def _reset(self) -> None:
        for key in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, key)
        for key in [k for k in vars(self) if k.startswith("_cache")]:
            delattr(self, key)

    def _check_params(self) -> None:
        """Check every declared parameter (:attr:`parameters`); a model with a rule across
        parameters overrides this, calling ``super()._check_params()`` first."""
        owner = type(self).__name__
        for name, declared in type(self).parameters.items():
            declared.accepts.check(owner, name, getattr(self, name))

    @classmethod
    def search_space(cls) -> dict[str, Distribution]:
        """What ``recsys.tune`` tries for each parameter when given no space: the declared
        ones (:attr:`parameters` with a space).

        Examples
        --------
        >>> from recsys import ALS
        >>> sorted(ALS.search_space())[:3]
        ['alpha', 'factors', 'half_life_days']
        """
        return {name: p.space for name, p in cls.parameters.items() if p.space is not None}

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
        check_fitted(self)

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "items_")

    def _item_filter(self, candidates: Iterable | None, exclude: Iterable | None) -> np.ndarray:
        """Allowed items: known, trained (or featured), in ``candidates``, not in ``exclude``.

        Unknown ids in ``candidates`` or ``exclude`` are ignored: the model cannot
        recommend them anyway.
        """
        if candidates is None and exclude is None:  # the usual request: nothing to narrow
            return self.recommendable_
        allowed = self.recommendable_.copy()
        if candidates is not None:
            keep = np.zeros_like(allowed)
            keep[self.items_.to_index(_as_list(candidates, "candidates"), missing="skip")] = True
            allowed &= keep
        if exclude is not None:
            allowed[self.items_.to_index(_as_list(exclude, "exclude"), missing="skip")] = False
        return allowed

    def _recommendable(self) -> np.ndarray:
        """Items the model can score: those with training interactions (or features); computed
        once at fit (and load) into ``recommendable_``."""
        return self.item_counts_ > 0

    # ------------------------------------------------------------------ recommend
    @one_state
    def recommend(
        self,
        users: Any,
        k: int = 10,
        *,
        exclude_seen: bool | None = None,
        candidates: Iterable | None = None,
        exclude: Iterable | None = None,
        on_unknown: OnUnknown = "raise",
        show_progress: bool = False,
        as_of: Any = None,
    ) -> Recommendations:
        """Top-``k`` items for each of ``users`` (one id or many).

        Parameters
        ----------
        users : id or sequence of ids
        k : int, default 10
        exclude_seen : bool, optional
            Leave out items the user interacted with in training. Default: ``not
            recommends_seen`` (True for discovery models; False for ``BuyAgain`` and
            ``NextBasket``, whose picks are mostly what the customer bought before, and for a
            ``Hybrid`` holding one of them).
        candidates : sequence of item ids, optional
            Rank only these items (unknown ids ignored).
        exclude : sequence of item ids, optional
            Never return these items (unknown ids ignored).
        on_unknown : {"raise", "skip", "fallback"}, default "raise"
            Users unknown to the model raise :class:`UnknownIdError`, are left
            out, or get the most popular items (``source == "popularity"``).
        show_progress : bool, default False
            A progress bar over chunks (tqdm).
        as_of : date, optional
            When the picks are used (the send date), for models whose scores depend on time
            (``BuyAgain``: a product whose repurchase is due ranks higher); default: the day
            after the last training interaction. Other models answer the same at any date.

        Returns
        -------
        Recommendations
        """
        self._check_fitted()
        k = self._check_k(k)
        if exclude_seen is None:
            exclude_seen = not self.recommends_seen
        exclude_seen = check_bool(type(self).__name__, "exclude_seen", exclude_seen)
        when = None if as_of is None else parse_date(as_of, f"{type(self).__name__}: as_of")
        check_choice(type(self).__name__, "on_unknown", on_unknown, ("raise", "skip", "fallback"))
        ids = clean_ids(users, "users")
        index = self._lookup_users(ids, on_unknown)
        if on_unknown == "skip":
            ids, index = ids[index >= 0], index[index >= 0]
        allowed = self._item_filter(candidates, exclude)
        known = index >= 0
        users_known = index[known]
        filt = Filter(allowed, self.seen_, users_known) if exclude_seen else Filter(allowed)
        return self._assemble(ids, known, k, allowed, lambda: self.rank(
            Query.of_users(users_known, when), k, filt, show_progress=show_progress))

    def _check_k(self, k: Any) -> int:
        """``k`` as an int >= 1, no larger than the catalogue (a row never holds more items
        than exist, so a huge ``k`` costs no more than the whole catalogue)."""
        k = check_int(type(self).__name__, "k", k, minimum=1)
        return max(1, min(k, len(self.items_)))

    def seen_rows(self, user_index: np.ndarray) -> sp.csr_matrix:
        """The training items of known users (rows of ``seen_``): views of its arrays for a
        run of users (recommend-all: no copy), a gathered copy otherwise."""
        return take_rows(self.seen_, user_index)

    def _assemble(self, queries: np.ndarray, answered: np.ndarray, k: int, allowed: np.ndarray,
                  ask: Callable[[], TopK]) -> Recommendations:
        """The model answers the ``answered`` rows (``ask()``), popularity the rest."""
        n = len(queries)
        if n and answered.all():  # the usual request: the model answers every row
            answer = ask()
            source = (np.full(n, type(self).__name__) if answer.source is None
                      else np.asarray(answer.source, str))
            return Recommendations(queries, answer.index, answer.scores, answer.lengths,
                                   self.items_, source, k)
        out = TopK.empty(n, k)
        source = np.where(answered, type(self).__name__, FALLBACK).astype(object)
        if answered.any():
            answer = ask()
            out.index[answered], out.scores[answered] = answer.index, answer.scores
            out.lengths[answered] = answer.lengths
            if answer.source is not None:  # composite models say which part answered each row
                source[answered] = answer.source
        if (~answered).any():
            c, v, m = self._popular(int((~answered).sum()), k, allowed)
            out.index[~answered], out.scores[~answered], out.lengths[~answered] = c, v, m
        return Recommendations(queries, out.index, out.scores, out.lengths, self.items_,
                               source.astype(str), k)

    def _lookup_users(self, ids: np.ndarray, on_unknown: str) -> np.ndarray:
        index = self.users_.to_index(ids, missing="mask", kind="user")
        unknown = index < 0
        if unknown.any() and on_unknown == "raise":
            hint = ""
            if len(self.users_) and ids.dtype.kind != self.users_.ids.dtype.kind:
                hint = f" This model's user ids are {self.users_.kind}s."
            raise UnknownIdError(
                f"{int(unknown.sum())} of {len(ids)} user ids are unknown to this "
                f"{type(self).__name__} ({customer_preview(ids[unknown].tolist())}).{hint} "
                f"Pass on_unknown='skip' or 'fallback' to continue, or recommend_for_basket "
                f"with their history.",
                ids=ids[unknown].tolist(), kind="user")
        return index

    def _popular(self, n: int, k: int, allowed: np.ndarray):
        """The fallback: the same most-popular list for ``n`` queries."""
        scores = np.where(allowed, self.item_counts_, -np.inf).astype(np.float32)[None, :]
        cols, vals, lengths = topk(scores, k)
        return (np.repeat(cols, n, axis=0), np.repeat(vals, n, axis=0),
                np.repeat(lengths, n))

    @one_state
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
        k : int, default 10
        exclude_basket : bool, default True
            Leave out the items already in the basket.
        candidates, exclude : sequence of item ids, optional
            As in :meth:`recommend`.
        on_unknown : {"raise", "skip", "fallback"}, default "raise"
            Items unknown to the model raise :class:`UnknownIdError`, or are
            dropped from the basket (``"skip"`` and ``"fallback"``). A basket left
            empty gets the most popular items (``source == "popularity"``).
        show_progress : bool, default False

        Returns
        -------
        Recommendations
        """
        self._check_fitted()
        name = type(self).__name__
        if not self.supports_baskets:
            raise UnsupportedError(f"{name} cannot recommend for baskets (supports_baskets=False).")
        k = self._check_k(k)
        exclude_basket = check_bool(name, "exclude_basket", exclude_basket)
        check_choice(name, "on_unknown", on_unknown, ("raise", "skip", "fallback"))
        queries, histories = self._basket_matrix(baskets, on_unknown)
        return self._rank_histories(queries, histories, k, candidates, exclude, exclude_basket,
                                    show_progress)

    def _rank_histories(self, queries: np.ndarray, histories: sp.csr_matrix, k: int,
                        candidates: Iterable | None, exclude: Iterable | None,
                        exclude_own: bool, show_progress: bool) -> Recommendations:
        """Top-k of each history row (carts, sessions), its own items left out when
        ``exclude_own``; an empty row gets the popular items."""
        allowed = self._item_filter(candidates, exclude)
        filled = row_lengths(histories.indptr) > 0
        answered = histories if filled.all() else take_rows(histories, np.flatnonzero(filled))
        filt = Filter(allowed, answered if exclude_own else None)
        return self._assemble(queries, filled, k, allowed, lambda: self.rank(
            Query.of_histories(answered), k, filt, show_progress=show_progress))

    @one_state
    def recommend_for_session(
        self,
        sessions: Any,
        k: int = 10,
        *,
        decay: float = 0.5,
        exclude_session: bool = True,
        candidates: Iterable | None = None,
        exclude: Iterable | None = None,
        on_unknown: OnUnknown = "skip",
        show_progress: bool = False,
    ) -> Recommendations:
        """Top-``k`` items for anonymous visitors' sessions: the products each one viewed,
        carted or bought, in the order they came, newest last (no customer id).

        A session is scored as a cart whose products weigh ``decay ** steps``, ``steps`` the
        number of products seen after the product's last appearance: the newest counts 1, the
        one before ``decay``... (``decay=1``: every product alike, as a cart). Products the
        model does not know are left out (``on_unknown="skip"``, the default: a visitor's
        session often holds new products) or refused (``"raise"``).

        Parameters
        ----------
        sessions : list of item ids, list of lists, or dict
            One session (``["tea", "mug", "jam"]``, newest last), many, or
            ``{session_id: [item ids]}``.
        k : int, default 10
        decay : float, default 0.5
            Between 0 (exclusive: the newest product only, in effect) and 1.
        exclude_session : bool, default True
            Leave out the products of the session itself.
        candidates, exclude, on_unknown, show_progress
            As in :meth:`recommend_for_basket`.

        Returns
        -------
        Recommendations

        Examples
        --------
        >>> from recsys import ItemKNN, make_shop
        >>> shop = make_shop(n_customers=300, n_products=50, seed=0)
        >>> model = ItemKNN().fit(shop.interactions)
        >>> len(model.recommend_for_session(["P0001", "P0007", "P0003"], k=3).item_ids())
        3
        """
        self._check_fitted()
        name = type(self).__name__
        if not self.supports_baskets:
            raise UnsupportedError(f"{name} cannot recommend for sessions (supports_baskets="
                                   f"False): use a model that scores carts.")
        k = self._check_k(k)
        decay = check_float(name, "decay", decay, minimum=0, maximum=1, exclusive_min=True)
        exclude_session = check_bool(name, "exclude_session", exclude_session)
        check_choice(name, "on_unknown", on_unknown, ("raise", "skip", "fallback"))
        queries, histories = self._basket_matrix(sessions, on_unknown, decay=decay)
        return self._rank_histories(queries, histories, k, candidates, exclude, exclude_session,
                                    show_progress)

    def forget(self, customers: Iterable, *, data: Interactions | None = None,
               items: ItemFeatures | None = None, unknown: str = "report",
               exact: bool = True) -> dict[str, Any]:
        """Erase ``customers`` from this fitted model: afterwards it equals a fit on the data
        without them (see :mod:`recsys.models.erasure`; ``data`` is needed by models that learn
        from times, baskets or order). The erasure is recorded, never who.

        ``exact=False`` lets a factorisation (ALS) drop the customers' factors and histories
        and re-solve every other factor in two warm-started sweeps instead of a whole refit:
        their own data leave the model, the other factors are near a refit's, not equal to
        them (a fading trace of what was learnt with them; docs/privacy.md gives the measured
        distance). Every other model forgets exactly either way.

        Examples
        --------
        >>> from recsys import ItemKNN, make_shop
        >>> shop = make_shop(n_customers=200, n_products=40, seed=0)
        >>> model = ItemKNN().fit(shop.interactions)
        >>> model.forget(shop.interactions.users.ids[:3])["forgotten"], len(model.users_)
        (3, 194)
        """
        self._check_fitted()
        exact = check_bool(type(self).__name__, "exact", exact)
        update = None
        if self._forgets_in_place(exact):
            update = functools.partial(self._forget_in_place, exact=exact)
        return forget(self, customers, data=data, items=items, unknown=unknown, update=update)

    def _forget_in_place(self, gone: np.ndarray, exact: bool = True) -> str:
        """Forget the customers of the mask ``gone`` by the model's own update
        (:meth:`_forget_rows`): the new state is built aside on a twin and swapped in at
        once, as ``partial_fit`` does, so a serving thread sees the old model or the new
        one, never half of the update."""
        fresh = unfitted_twin(self)
        fresh.__dict__.update({key: value for key, value in vars(self).items()
                               if key.endswith("_") and not key.startswith("_")})
        fresh.users_ = IdMap.from_sorted(self.users_.ids[~gone], self.users_.name)
        fresh.users_.pseudonymous = self.users_.pseudonymous
        seen = self.seen_.tocsr()
        removed = take_rows(seen, np.flatnonzero(gone))
        fresh.seen_ = without_rows(seen, gone)
        # each product's distinct customers (the stored cells of its column), without theirs
        fresh.item_counts_ = self.item_counts_ - np.bincount(removed.indices,
                                                             minlength=len(self.items_))
        # the twin is this model's own class: its hooks are ours
        how = fresh._forget_rows(removed, gone, self, exact)  # noqa: SLF001
        fresh.recommendable_ = np.asarray(fresh._recommendable(), bool)  # noqa: SLF001
        publish_state(self, fresh)
        return how

    def _basket_matrix(self, baskets: Any, on_unknown: str,
                       decay: float | None = None) -> tuple[np.ndarray, sp.csr_matrix]:
        """Queries and a baskets x items CSR matrix from the accepted shapes: binary, or with
        ``decay`` (sessions) each item weighing ``decay ** steps since its last position``."""
        queries, lists = _parse_baskets(baskets)
        sizes = np.fromiter((len(b) for b in lists), np.int64, count=len(lists))
        flat = [i for b in lists for i in b]
        rows = np.repeat(np.arange(len(lists)), sizes)
        # steps from each position to its session's end: 0 for the newest product
        steps = np.repeat(np.cumsum(sizes), sizes) - np.arange(len(flat)) - 1
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
            rows, index, steps = rows[~unknown], index[~unknown], steps[~unknown]
        else:
            index = np.empty(0, np.int32)
        if decay is None:
            return queries, binary_rows(rows, index, len(lists), len(self.items_))
        return queries, _newest_weights(rows, index, steps, decay, len(lists), len(self.items_))

    @one_state
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
        k = self._check_k(k)
        check_choice(name, "on_unknown", on_unknown, ("raise", "skip", "fallback"))
        ids = clean_ids(items, "items")
        index = self.items_.to_index(ids, missing="raise" if on_unknown == "raise" else "mask",
                                     kind="item")
        if on_unknown == "skip":
            ids, index = ids[index >= 0], index[index >= 0]
        allowed = self._item_filter(candidates, exclude)
        known = index >= 0
        query = index[known]
        filt = Filter(allowed, one_hot_rows(query, len(self.items_)))  # never the item itself
        return self._assemble(ids, known, k, allowed,
                              lambda: self.rank(Query.of_items(query), k, filt))

    @one_state
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
            history = self._history(np.array([user_index]))
        elif basket is not None:
            if not self.supports_baskets:
                raise UnsupportedError(f"{type(self).__name__} cannot explain basket scores.")
            _, history = self._basket_matrix([list(_as_list(basket, "basket"))], "raise")
        score, contributions, method, *details = self._explain(item_index, user_index, history)
        return Explanation(item=self.items_.ids[item_index].item(), score=float(score),
                           contributions=contributions, method=method,
                           source=type(self).__name__, details=details[0] if details else {})

    # ------------------------------------------------------------------ the ranking API
    def rank(self, query: Query, k: int, filt: Filter, *, show_progress: bool = False) -> TopK:
        """The ranking engine: the ``k`` best items for each row of ``query`` under ``filt``,
        on internal indices (see :mod:`recsys.ranking`).

        ``recommend``, ``recommend_for_basket``, ``similar_items``, the campaign and composite
        models all rank through here: the model's fused kernel when it has one for this
        query (``_rank_fused``), else its scores (``_scores``) through the chunked top-k. Items
        outside the model's ``recommendable_`` are never returned, whatever ``filt`` allows (a
        composite model's filter spans every component's items).
        """
        filt = Filter(filt.allowed & self.recommendable_, filt.blocked, filt.rows)
        fused = self._rank_fused(query, k, filt, show_progress)
        if fused is not None:
            return fused
        return rank_scores(self._scores, query, k, filt, len(self.items_), show_progress,
                           self._scoring_threads())

    def score(self, query: Query) -> np.ndarray:
        """Dense float32 scores (len(query), n_items) of every item, ``-inf`` where the model
        cannot score or recommend it (e.g. full-ranking metrics, blends)."""
        scores = self._scores(query)
        scores = dense_scores(scores) if sp.issparse(scores) else np.asarray(scores, np.float32)
        scores[:, ~self.recommendable_] = -np.inf
        return scores

    def anchors(self, query: Query, picks: np.ndarray, source: np.ndarray | None = None) -> Anchors:
        """What lies behind each pick (n, k item indices, -1: none) of known users or
        histories: the reason code and its anchor (see :class:`~recsys.ranking.Anchors`).
        ``source`` says which model answered each row (composite models)."""
        picks = np.asarray(picks, np.int64)
        if len(query) == 0 or not (picks >= 0).any():
            return Anchors.popular(picks.shape)
        return self._anchors(query, picks, source)

    # ------------------------------------------------------------------ hooks
    def _history(self, user_index: np.ndarray) -> sp.csr_matrix:
        """What represents a known user to the model (default: their training items)."""
        return take_rows(self.seen_, user_index)

    def _histories(self, query: Query) -> sp.csr_matrix:
        """Any query as rows over the items: a user's history, a cart, an item by itself."""
        if query.users is not None:
            return self._history(query.users)
        if query.histories is not None:
            return query.histories
        return one_hot_rows(query.items, len(self.items_))

    def _scores(self, query: Query) -> np.ndarray | sp.csr_matrix:
        """Scores of every item for each query row: a dense float32 array (``-inf``: cannot
        score) or a CSR matrix (only stored cells can be recommended). Owned by the caller."""
        raise UnsupportedError(f"{type(self).__name__} cannot score {query.kind}.")

    def _rank_fused(self, query: Query, k: int, filt: Filter,
                    show_progress: bool) -> TopK | None:
        """A kernel that filters and ranks in one call, or None to rank ``_scores``."""
        return None

    def _scoring_threads(self) -> int:
        """Threads the engine may score chunks of a large batch in (default 1). Models whose
        ``_scores`` are sparse products and numpy work, which release the GIL, give more."""
        return 1

    def _forgets_in_place(self, exact: bool = True) -> bool:
        """Whether :meth:`_forget_rows` updates this fitted model for an erasure without a
        refit: exactly, or (``exact=False``) approximately where the model offers it
        (default: no; :func:`~recsys.models.erasure.forget` refits)."""
        return False

    def _forget_rows(self, removed: sp.csr_matrix, gone: np.ndarray, before: Recommender,
                     exact: bool = True) -> str:
        """Update the model's own fitted state for an erasure, after the shared state (id
        maps, ``seen_``, ``item_counts_``) lost the customers whose rows of ``before.seen_``
        are ``removed`` (``gone``: their mask over ``before``'s customers); say how."""
        raise NotImplementedError

    def _anchors(self, query: Query, picks: np.ndarray, source: np.ndarray | None) -> Anchors:
        """Reason codes and anchors of ``picks`` (default: no personal signal)."""
        return Anchors.popular(picks.shape)

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

    # ------------------------------------------------------------------ state
    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The model's own fitted arrays and JSON-able facts (override)."""
        return {}, {}

    def _load_state(self, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> None:
        """Restore what ``_state`` gave (override)."""

    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Every fitted array (the shared ones, and the model's own under ``model/``) and the
        model's JSON-able facts: what a model file holds (see :func:`recsys.save`)."""
        self._check_fitted()
        seen = self.seen_
        arrays = {"users": self.users_.ids, "items": self.items_.ids,
                  "item_counts": self.item_counts_, "seen/data": seen.data,
                  "seen/indices": seen.indices, "seen/indptr": seen.indptr}
        own, meta = self._state()
        arrays.update({f"model/{key}": np.asarray(value) for key, value in own.items()})
        return arrays, meta

    def set_state(self, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any],
                  names: Mapping[str, str] | None = None) -> Recommender:
        """Publish a fitted state read back from :meth:`get_state` (``recsys.load`` does).

        The arrays are checked as they are wrapped; a state that does not fit together
        raises and leaves the model unfitted. Returns ``self``.
        """
        names = names or {}
        self._reset()
        try:
            self.users_ = IdMap.from_sorted(arrays["users"], names.get("user", "user_id"))
            self.items_ = IdMap.from_sorted(arrays["items"], names.get("item", "item_id"))
            for what, idmap in (("user", self.users_), ("item", self.items_)):
                kind = names.get(f"{what}_kind", idmap.kind)
                if idmap.kind != kind and len(idmap):  # ids of one type passed off as another
                    raise PersistenceError(f"model file: the {what} ids are {idmap.kind}s where "
                                           f"the manifest says {kind}s (an altered file).")
            self.item_counts_ = checks.vector(arrays["item_counts"], "item_counts",
                                              len(self.items_), "iu")
            self.seen_ = checks.csr_from(arrays, "seen/", (len(self.users_), len(self.items_)))
            self._check_counts()
            own = {key[6:]: value for key, value in arrays.items() if key.startswith("model/")}
            self._load_state(own, meta)
            self.recommendable_ = np.asarray(self._recommendable(), bool)
        except BaseException:
            self._reset()
            raise
        freeze_fitted(self)
        return self

    def _check_counts(self) -> None:
        """Loaded item counts: never negative, and with customers, the customers per item."""
        counts = self.item_counts_
        if (counts < 0).any() or (len(self.users_) and not np.array_equal(
                counts, np.bincount(self.seen_.indices, minlength=len(self.items_)))):
            raise PersistenceError("model file: array 'item_counts' does not count the "
                                   "customers of each item (a damaged or altered file).")

    def save(self, path, *, key: str | bytes | None = None) -> None:
        """Write the fitted model to ``path`` (``.npz`` + JSON manifest, no pickle); ``key``
        signs it (see :func:`recsys.save`)."""
        save_file(self, path, key=key)

    @classmethod
    def load(cls, path, *, key: str | bytes | None = None) -> Recommender:
        """Load a model file that holds this class (or a subclass of it): ``ALS.load(path)``
        refuses a file holding any other model, where :func:`recsys.load` takes any."""
        model = load_file(path, key=key)
        if not isinstance(model, cls):
            raise PersistenceError(
                f"{path} holds a {type(model).__name__}, not a {cls.__name__}. Load the right "
                f"file, or load any model with recsys.load(path).")
        return model

# ---------------------------------------------------------------------- helpers
def _within_retention(data: Interactions, owner: str, max_age_days: float | None) -> Interactions:
    """``data`` without the rows older than ``max_age_days`` before its end (retention)."""
    if max_age_days is None:
        return data
    check_float(owner, "max_age_days", max_age_days, minimum=0, exclusive_min=True)
    if data.timestamps is None:
        raise DataError(f"{owner}: max_age_days keeps the newest days of the log, and these "
                        f"interactions have no times: build them with timestamp='<column>'.")
    keep = data.timestamps >= data_end(data.timestamps) - np.timedelta64(
        int(max_age_days * DAY_NS), "ns")
    if not keep.any():
        raise DataError(f"{owner}: no row lies within max_age_days={max_age_days:g} of the "
                        f"end of the data.")
    if keep.all():
        return data
    # customers (and orders) seen only before the window leave the id maps too: their ids
    # never enter the model
    return data.select(keep).without_unused_ids()


def _window_of(data: Interactions) -> tuple[str, str] | None:
    """The first and last day the model learnt from (None without times)."""
    if data.timestamps is None or not len(data.timestamps):
        return None
    return str(data.timestamps.min())[:10], str(data.timestamps.max())[:10]


def _without_outlying_times(data: Interactions, owner: str, policy: str) -> Interactions:
    """``data`` without its rows dated far after the rest (``policy`` "drop", with a warning),
    refused ("raise"), or as it is ("keep")."""
    if policy == "keep" or data.timestamps is None:
        return data
    outlying = far_after_the_rest(data.timestamps)
    if not outlying.any():
        return data
    first = str(data.timestamps[outlying].min())[:10]
    end = str(data.timestamps[~outlying].max())[:10]
    what = (f"{owner}: {int(outlying.sum()):,} of {len(data):,} rows are dated far after the "
            f"rest of the log (from {first}; the rest ends {end}), a mistyped date most "
            f"likely: it would be every customer's newest purchase and make recency weights 0")
    if policy == "raise":
        raise DataError(f"{what}. Fix the dates, or fit with outlying_times='drop' (leave them "
                        f"out) or 'keep'.")
    warnings.warn(f"{what}; they are left out of the fit. Fix the dates, or fit with "
                  f"outlying_times='keep' to use them.", DataWarning, stacklevel=4)
    return data.select(~outlying)


def _newest_weights(rows: np.ndarray, index: np.ndarray, steps: np.ndarray, decay: float,
                    n_rows: int, n_items: int) -> sp.csr_matrix:
    """Each (row, item) once, weighing ``decay ** steps`` of its newest position."""
    order = np.lexsort((steps, index, rows))  # per cell, the fewest steps (newest) first
    rows, index, steps = rows[order], index[order], steps[order]
    first = np.ones(len(rows), bool)
    first[1:] = (rows[1:] != rows[:-1]) | (index[1:] != index[:-1])
    weights = (decay ** steps[first]).astype(np.float32)
    matrix = sp.csr_matrix((weights, (rows[first], index[first])), shape=(n_rows, n_items))
    matrix.sort_indices()
    return matrix


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
    if not seq:  # one empty cart: it gets the most popular items, as documented
        return np.array([0]), [[]]
    if all(is_scalar_id(b) for b in seq):
        return np.array([0]), [seq]
    if any(is_scalar_id(b) for b in seq):
        raise DataError("baskets mixes item ids and lists; pass one list of ids or a list of lists.")
    return np.arange(len(seq)), [list(_as_list(b, "basket")) for b in seq]

"""Hybrid: blend several models' scores, or answer from the first model able to."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from recsys._engine.arrays import indptr_of, row_ids, row_lengths
from recsys._engine.params import check_float, clone
from recsys._engine.sparse import csr
from recsys.data.features import ItemFeatures
from recsys.data.interactions import Interactions
from recsys.exceptions import InvalidParameterError, PersistenceError, UnsupportedError
from recsys.models._self_check import versus_popularity
from recsys.models.base import FALLBACK, Recommender, fit_model
from recsys.models.content import ContentBased
from recsys.models.factorization import ALS
from recsys.models.files import model_from_arrays, model_to_arrays
from recsys.models.neighbors import ItemKNN
from recsys.models.params import Flag, Int, OneOf, OwnRule, Param
from recsys.models.popular import Popularity
from recsys.models.rules import AssociationRules
from recsys.ranking import Anchors, Filter, Query, TopK

__all__ = ["Hybrid"]


DEFAULT_CHAINS = {"users": ["als", "content", "popular"],
                  "baskets": ["rules", "als", "content", "popular"],
                  "items": ["rules", "als", "content"]}


def default_components() -> list[tuple[str, Recommender]]:
    """rules for carts, CF for known customers, content for the new and the thin, popularity last."""

    return [("rules", AssociationRules()), ("als", ALS(random_state=0)),
            ("content", ContentBased()), ("popular", Popularity())]


class Hybrid(Recommender):
    """Combine models: a weighted blend of their normalised scores, or a fallback chain.

    ``mode="blend"``: every component scores every query; each component's
    scores are normalised per query (``normalize="minmax"`` to [0, 1] over the
    items it can score, or ``"rank"``: 1 for its best item down to 1/n) and
    summed with ``weights``. An item a component cannot score adds 0 from it.

    ``mode="fallback"``: components are asked in order and the first that gives a
    query at least ``min_items`` picks answers it (e.g. rules for a cart, ALS for
    a known customer, content for new products or thin histories, popularity
    last). A component is skipped for customers with fewer than ``min_history``
    training interactions when it is not the last. The ``source`` column of
    :meth:`Recommendations.to_frame` and :meth:`explain` name the component that
    answered.

    Components are cloned at fit; their parameters are reachable as
    ``name__param`` through ``get_params`` / ``set_params``; the whole hybrid
    saves to one file.

    Parameters
    ----------
    components : list of (name, model), optional
        Default: rules, ALS, content, popularity (see :func:`default_components`); the rules
        only when the interactions have baskets (orders), as they answer carts from what is
        bought together, and content only when ``items=`` are given to ``fit``.
    weights : list of float, optional
        Blend weights (default: equal).
    mode : {"blend", "fallback"}
    normalize : {"minmax", "rank"}
    missing : {"zero", "mean"}
        Blend: what a component adds for an item it cannot score (a product with
        no sales, for CF): 0, or the mean of its normalised scores for that query
        (the default: a neutral guess, which lets new products compete on the
        other components without favouring them).
    min_items : int
        Fallback: picks a component must give to answer a query.
    min_history : int
        Fallback: customers with fewer training interactions skip all but the last
        two components of the chain (the thin-history rule).
    chains : dict, optional
        Fallback: the order of components (by name) for each kind of query:
        ``{"users": [...], "baskets": [...], "items": [...]}`` (customers, carts,
        similar items); a kind left out uses every component in the given order.
        With the default components: customers ``als, content, popular``; carts
        ``rules, als, content, popular``; similar items ``rules, als, content``.
    self_check : bool, default True
        Default components only: at fit, ALS is fitted once more on all but the newest tenth
        of the data and scored against popularity on it (ndcg@10, at most 5,000 customers);
        when it loses (a small dense catalogue where everyone buys the staples) it answers no
        customer or cart, and content, judged the same way, neither when it loses too
        (``left_out_``, e.g. ``["als", "content"]``; ``check_`` holds the scores). False
        skips the check (one ALS fit fewer).

    Examples
    --------
    >>> from recsys import ContentBased, Hybrid, ItemKNN, Popularity, make_shop
    >>> shop = make_shop(n_customers=300, n_products=60, seed=0)
    >>> model = Hybrid(components=[("knn", ItemKNN()), ("content", ContentBased()),
    ...                            ("popular", Popularity())], mode="fallback")
    >>> _ = model.fit(shop.interactions, items=shop.items)
    >>> model.get_params()["knn__k"]
    'auto'
    """

    _component_attr = "components"
    @classmethod
    def _demo(cls) -> Hybrid:
        """The demo's hybrid: a blend of ALS, item-kNN and content."""

        return cls(components=[("als", ALS(**ALS.demo_params)),
                               ("knn", ItemKNN(**ItemKNN.demo_params)),
                               ("content", ContentBased())],
                   weights=[1.0, 1.0, 0.3], mode="blend")

    parameters: ClassVar[dict[str, Param]] = {
        "components": Param(OwnRule("a non-empty list of (name, model) pairs, names unique "
                                    "and without '__'; None: the default chain")),
        "mode": Param(OneOf(("blend", "fallback"))),
        "weights": Param(OwnRule("one number >= 0 per component, not all 0; None: equal")),
        "normalize": Param(OneOf(("minmax", "rank"))),
        "missing": Param(OneOf(("zero", "mean"))),
        "chains": Param(OwnRule("{'users'|'baskets'|'items': [component names]}")),
        "min_items": Param(Int(minimum=1)),
        "min_history": Param(Int(minimum=0)),
        "self_check": Param(Flag()),
    }

    def __init__(self, *, components: list[tuple[str, Recommender]] | None = None,
                 weights: list[float] | None = None, mode: str = "fallback",
                 normalize: str = "minmax", missing: str = "mean", min_items: int = 1,
                 min_history: int = 0, chains: dict[str, list[str]] | None = None,
                 self_check: bool = True) -> None:
        self.components = components
        self.weights = weights
        self.mode = mode
        self.normalize = normalize
        self.missing = missing
        self.min_items = min_items
        self.min_history = min_history
        self.chains = chains
        self.self_check = self_check

    # ------------------------------------------------------------------ capabilities
    def _templates(self) -> list[tuple[str, Recommender]]:
        """The components: fitted ones after fit, else the given ones, else fresh defaults
        (built on demand and never stored: reading a flag leaves the model as it was)."""
        if hasattr(self, "components_"):
            return self.components_
        return self.components if self.components is not None else default_components()

    def _named_components(self) -> list[tuple[str, Recommender]]:
        # nested parameters reach given components only: the defaults are resolved at fit
        return list(self.components or [])

    def set_params(self, **params: Any) -> Hybrid:
        nested = sorted(key for key in params if "__" in key)
        if nested and self.components is None and "components" not in params:
            raise InvalidParameterError(
                f"Hybrid: components=None stands for the default components, built at fit, so "
                f"{', '.join(nested)} has nothing to set. Pass them to tune them: "
                f"Hybrid(components=default_components(), chains=DEFAULT_CHAINS)"
                f".set_params({nested[0]}=...) (both from recsys.models.hybrid).")
        return super().set_params(**params)  # type: ignore[return-value]

    @property
    def uses_item_features(self) -> bool:  # type: ignore[override]
        return any(m.uses_item_features for _, m in self._templates())

    @property
    def supports_baskets(self) -> bool:  # type: ignore[override]
        flags = [m.supports_baskets for _, m in self._templates()]
        return all(flags) if self.mode == "blend" else any(flags)

    @property
    def recommends_seen(self) -> bool:  # type: ignore[override]
        """True when a component recommends what customers bought (BuyAgain, NextBasket): a
        blend of repeat and discovery keeps bought products by default."""
        return any(m.recommends_seen for _, m in self._templates())

    @property
    def supports_similar_items(self) -> bool:  # type: ignore[override]
        flags = [m.supports_similar_items for _, m in self._templates()]
        return all(flags) if self.mode == "blend" else any(flags)

    def _check_params(self) -> None:
        super()._check_params()
        components = self._templates()
        if not isinstance(components, list) or not components:
            raise InvalidParameterError("Hybrid: components must be a non-empty list of (name, model).")
        names = []
        for entry in components:
            if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str)
                    and isinstance(entry[1], Recommender)):
                raise InvalidParameterError(
                    f"Hybrid: each component must be a (name, model) pair, got {entry!r}.")
            if "__" in entry[0]:
                raise InvalidParameterError(f"Hybrid: component name {entry[0]!r} may not hold '__'.")
            names.append(entry[0])
        if len(set(names)) != len(names):
            raise InvalidParameterError(f"Hybrid: component names must be unique, got {names}.")
        if self.chains is not None:
            if not isinstance(self.chains, dict):
                raise InvalidParameterError("Hybrid: chains must be a dict like {'users': [names]}.")
            for kind, order in self.chains.items():
                if kind not in ("users", "baskets", "items"):
                    raise InvalidParameterError(
                        f"Hybrid: chains keys are 'users', 'baskets', 'items'; got {kind!r}.")
                unknown = [n for n in order if n not in names]
                if unknown or not order:
                    raise InvalidParameterError(
                        f"Hybrid: chains[{kind!r}] must name components ({', '.join(names)}); "
                        f"got {order!r}.")
        if self.weights is not None:
            if len(self.weights) != len(components):
                raise InvalidParameterError(
                    f"Hybrid: {len(self.weights)} weights for {len(components)} components.")
            for w in self.weights:
                check_float("Hybrid", "weights", w, minimum=0)
            if not sum(self.weights) > 0:
                raise InvalidParameterError(
                    f"Hybrid: weights {list(self.weights)} are all 0, so the blend ranks nothing; "
                    f"give at least one component a positive weight.")

    # ------------------------------------------------------------------ fit
    def fit(self, interactions: Interactions, items: ItemFeatures | None = None, *,
            outlying_times: str = "drop") -> Hybrid:
        """Clone and fit every component on the same data (features to those that use them)."""
        if items is not None and not self.uses_item_features:
            raise UnsupportedError("Hybrid: no component uses item features; fit without items=.")
        return super().fit(interactions, items,  # type: ignore[return-value]
                           outlying_times=outlying_times)

    def _fit(self, data: Interactions, features: ItemFeatures | None) -> None:
        fitted = []
        templates = self._templates()
        if self.components is None and data.basket_index is None:
            # the default rules answer carts from orders; whole histories are no orders, and
            # mining them is slow and says little, so without baskets they are left out
            templates = [(name, model) for name, model in templates if name != "rules"]
        if self.components is None and features is None:
            # the default content component ranks by product features: none were given
            templates = [(name, model) for name, model in templates if name != "content"]
        for name, template in templates:
            model = clone(template)
            if model.uses_item_features and features is None:
                raise InvalidParameterError(
                    f"Hybrid: component {name!r} ({type(model).__name__}) needs item features; "
                    f"pass items= to fit.")
            fitted.append((name, fit_model(model, data, features)))
        self._set_components(fitted)
        self.left_out_ = self._checked_out(templates, data, features)

    def _checked_out(self, templates: list[tuple[str, Recommender]], data: Interactions,
                     features: ItemFeatures | None) -> list[str]:
        """Default components only: ALS when it loses to popularity on the newest tenth of
        the data, and then content too when it also loses (they answer no customer or cart)."""

        if self.components is not None or not self.self_check or data.user_index is None:
            return []
        named = dict(templates)
        if "als" not in named:
            return []
        self.check_ = versus_popularity({"als": named["als"]}, data, features)
        if not self.check_.losers() or "content" not in named:
            return self.check_.losers()
        # content answers customers only where ALS does not: judged only when ALS is out,
        # on the same held-out customers (ALS's score is kept, not fitted again)
        content = versus_popularity({"content": named["content"]}, data, features)
        self.check_ = replace(content, scores={**self.check_.scores, **content.scores})
        return self.check_.losers()

    def _set_components(self, fitted: list[tuple[str, Recommender]]) -> None:
        self.components_ = fitted
        # hybrid index of each component item, and component index of each hybrid item (-1)
        self._cache_item_maps = [self.items_.to_index(m.items_.ids) for _, m in fitted]
        self._cache_local_maps = [m.items_.to_index(self.items_.ids, missing="mask")
                                  for _, m in fitted]
        self._cache_same_items = [m.items_ == self.items_ for _, m in fitted]
        weights = self.weights if self.weights is not None else [1.0] * len(fitted)
        self._cache_weights = np.asarray(weights, np.float64)

    def _recommendable(self) -> np.ndarray:
        """What any component can recommend."""
        allowed = np.zeros(len(self.items_), bool)
        for (_, model), where in zip(self.components_, self._cache_item_maps, strict=True):
            allowed[where[model.recommendable_]] = True
        return allowed

    # ------------------------------------------------------------------ a component's view
    def _narrow(self, histories: sp.csr_matrix, which: int) -> sp.csr_matrix:
        """Rows over this hybrid's items, re-indexed to a component's items."""
        model = self.components_[which][1]
        if self._cache_same_items[which]:  # the usual case: nothing to re-index
            return histories
        local = self._cache_local_maps[which]
        keep = local[histories.indices] >= 0
        rows = row_ids(histories.indptr)[keep]  # kept cells stay in row order
        return csr(histories.data[keep], local[histories.indices][keep],
                   indptr_of(rows, histories.shape[0]), (histories.shape[0], len(model.items_)))

    def _narrow_query(self, query: Query, which: int) -> Query:
        """``query`` as a component sees it (users are shared; items and histories re-index)."""
        if query.histories is not None:
            return Query.of_histories(self._narrow(query.histories, which))
        if query.items is not None:
            return Query.of_items(self._cache_local_maps[which][query.items])
        return query

    def _narrow_filter(self, filt: Filter, which: int) -> Filter:
        if self._cache_same_items[which]:  # the usual case: the filter as it is
            return filt
        allowed = filt.allowed[self._cache_item_maps[which]]
        if filt.blocked is None:
            return Filter(allowed)
        return Filter(allowed, self._narrow(filt.cells(), which))

    # ------------------------------------------------------------------ blend
    def _widen(self, scores: np.ndarray, which: int) -> np.ndarray:
        """A component's scores over this hybrid's items; -inf where it cannot recommend."""
        out = np.full((scores.shape[0], len(self.items_)), -np.inf, np.float32)
        out[:, self._cache_item_maps[which]] = scores
        return out

    def _normalised(self, scores: np.ndarray) -> np.ndarray:
        finite = np.isfinite(scores)
        if self.normalize == "minmax":
            low = np.where(finite, scores, np.inf).min(axis=1, keepdims=True)
            high = np.where(finite, scores, -np.inf).max(axis=1, keepdims=True)
            span = np.where(high > low, high - low, 1.0)
            out = np.where(finite, (scores - low) / span, 0.0)
            return np.where(finite & (high == low), 1.0, out)
        order = np.argsort(np.where(finite, -scores, np.inf), axis=1, kind="stable")
        ranks = np.empty_like(order)
        np.put_along_axis(ranks, order, np.arange(scores.shape[1])[None, :], axis=1)
        n_finite = finite.sum(axis=1, keepdims=True)
        return np.where(finite, 1.0 - ranks / np.maximum(n_finite, 1), 0.0)

    def _blend(self, per_component) -> np.ndarray:
        total = None
        any_finite = None
        for which, scores in per_component:
            wide = self._widen(scores, which)
            finite = np.isfinite(wide)
            normalised = self._normalised(wide)
            if self.missing == "mean":  # a neutral guess where this component has no score
                mean = (normalised * finite).sum(axis=1, keepdims=True) / np.maximum(
                    finite.sum(axis=1, keepdims=True), 1)
                normalised = np.where(finite, normalised, mean)
            part = self._cache_weights[which] * normalised
            total = part if total is None else total + part
            any_finite = finite if any_finite is None else any_finite | finite
        return np.where(any_finite, total, -np.inf).astype(np.float32)

    def _component_scores(self, query: Query, which: int) -> np.ndarray:
        """A component's dense scores of ``query`` (-inf for query items it does not know)."""
        model = self.components_[which][1]
        narrow = self._narrow_query(query, which)
        if narrow.items is None or (narrow.items >= 0).all():
            return model.score(narrow)
        scores = np.full((len(narrow), len(model.items_)), -np.inf, np.float32)
        known = narrow.items >= 0
        if known.any():
            scores[known] = model.score(Query.of_items(narrow.items[known]))
        return scores

    def _scores(self, query: Query) -> np.ndarray:
        return self._blend((which, self._component_scores(query, which))
                           for which in range(len(self.components_)))

    # ------------------------------------------------------------------ fallback
    def _chain(self, kind: str) -> list[int]:
        """Component positions to ask, in order, for ``kind`` of query."""
        chains = self.chains
        names = [name for name, _ in self.components_]
        if chains is None and self.components is None:
            left_out = getattr(self, "left_out_", [])
            chains = {key: [n for n in order if key == "items" or n not in left_out]
                      for key, order in DEFAULT_CHAINS.items()}
        if chains is None or kind not in chains:
            return list(range(len(names)))
        return [names.index(name) for name in chains[kind] if name in names]

    def _eligible(self, query: Query, position: int, length: int, which: int) -> np.ndarray:
        """Rows of ``query`` the ``which`` component may answer at this place in the chain."""
        model = self.components_[which][1]
        if query.users is not None:  # thin histories skip all but the last two
            if position >= length - 2:
                return np.ones(len(query), bool)
            return row_lengths(self.seen_.indptr)[query.users] >= self.min_history
        if query.histories is not None:
            return np.full(len(query), model.supports_baskets)
        return model.supports_similar_items & (self._cache_local_maps[which][query.items] >= 0)

    def _rank_fused(self, query: Query, k: int, filt: Filter,
                    show_progress: bool) -> TopK | None:
        """Fallback: ask the chain's components in order; each answers the rows still open
        that it can, with at least ``min_items`` picks (the last: at least one)."""
        if self.mode == "blend":
            return None
        n = len(query)
        out = TopK.empty(n, k)
        source = np.full(n, FALLBACK, dtype=object)
        open_ = np.ones(n, bool)
        order = self._chain({"users": "users", "histories": "baskets"}.get(query.kind, "items"))
        for position, which in enumerate(order):
            name, model = self.components_[which]
            rows = np.flatnonzero(open_ & self._eligible(query, position, len(order), which))
            if len(rows) == 0:
                continue
            whole = len(rows) == n  # the usual single request: nothing to gather
            answer = model.rank(self._narrow_query(query if whole else query.take(rows), which),
                                k, self._narrow_filter(filt if whole else filt.take(rows), which))
            need = 1 if which == order[-1] else self.min_items
            done = answer.lengths >= need
            take = rows[done]
            cols = answer.index[done]
            out.index[take] = np.where(cols >= 0,
                                       self._cache_item_maps[which][np.maximum(cols, 0)], -1)
            out.scores[take], out.lengths[take] = answer.scores[done], answer.lengths[done]
            source[take] = name
            open_[take] = False
            if not open_.any():
                break
        return TopK(out.index, out.scores, out.lengths, source.astype(str))

    # ------------------------------------------------------------------ reasons
    def _anchors(self, query: Query, picks: np.ndarray, source: np.ndarray | None) -> Anchors:
        """Fallback: each pick's reason from the component that answered it. Blend: from the
        component with the largest weight."""
        out = Anchors.popular(picks.shape)
        names = [name for name, _ in self.components_]
        if self.mode == "blend":
            groups = {int(np.argmax(self._cache_weights)): np.arange(len(picks))}
        else:
            source = np.asarray(source) if source is not None else np.full(len(picks), names[-1])
            groups = {names.index(s): np.flatnonzero(source == s) for s in set(source.tolist())
                      if s in names}
        for which, rows in groups.items():
            local = self._cache_local_maps[which][np.maximum(picks[rows], 0)]
            mapped = np.where(picks[rows] >= 0, local, -1)
            found = self.components_[which][1].anchors(
                self._narrow_query(query.take(rows), which), mapped)
            out.codes[rows], out.anchors[rows] = found.codes, found.anchors
        return out

    # ------------------------------------------------------------------ explain
    def _explain(self, item: int, user: int | None, history: sp.csr_matrix | None):
        if self.mode == "fallback":
            name, _, why = self._fallback_explanation(item, user, history)
            return why.score, why.contributions, why.method, {**why.details, "component": name}
        if user is not None:
            query = Query.of_users(np.array([user]))
        elif history is not None:
            query = Query.of_histories(history)
        else:
            return 0.0, [], "blend", {}
        contributions, total = [], 0.0
        for which, (name, _) in enumerate(self.components_):
            if self._cache_local_maps[which][item] < 0:
                continue
            wide = self._widen(self._component_scores(query, which), which)
            value = float(self._cache_weights[which] * self._normalised(wide)[0, item])
            contributions.append((name, value))
            total += value
        contributions.sort(key=lambda c: -c[1])
        return total, contributions, "blend", {}

    def _fallback_explanation(self, item, user, history):
        """Explain by the component the chain picks for this customer or cart."""
        item_id = self.items_.ids[item].item()
        names = [name for name, _ in self.components_]
        chosen = names[-1]
        if user is not None or history is not None:
            query = (Query.of_users(np.array([user])) if user is not None
                     else Query.of_histories(history))
            filt = (Filter(self.recommendable_, self.seen_, query.users) if user is not None
                    else Filter(self.recommendable_, history))
            answer = self.rank(query, self.min_items, filt)
            chosen = answer.source[0] if answer.source[0] in names else chosen
        model = dict(self.components_)[chosen]
        if user is not None and chosen != FALLBACK:
            return chosen, model, model.explain(item_id, user=self.users_.ids[user].item())
        if history is not None and model.supports_baskets:
            known = [i for i in self.items_.ids[history.indices].tolist() if i in model.items_]
            return chosen, model, model.explain(item_id, basket=known)
        return chosen, model, model.explain(item_id)

    # ------------------------------------------------------------------ persistence
    def _state(self):

        arrays, entries = {}, []
        for name, model in self.components_:
            part, entry = model_to_arrays(model, f"components/{name}/")
            arrays.update(part)
            entries.append([name, entry])
        return arrays, {"components": entries, "left_out": list(self.left_out_)}

    def _load_state(self, arrays, meta) -> None:

        self._set_components([(name, model_from_arrays(entry, arrays, f"components/{name}/"))
                              for name, entry in meta["components"]])
        left_out = meta.get("left_out", [])
        names = [name for name, _ in self.components_]
        if not isinstance(left_out, list) or not all(name in names for name in left_out):
            raise PersistenceError(
                f"model file: 'left_out' should list component names ({', '.join(names)}), "
                f"but is {left_out!r} (a damaged or altered file). Re-save the model.")
        self.left_out_ = left_out

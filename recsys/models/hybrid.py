"""Hybrid: blend several models' scores, or answer from the first model able to."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from .._arrays import indptr_of, row_ids
from .._params import check_choice, check_float, check_int, clone
from .._topk import take_rows
from ..data import Interactions
from ..exceptions import InvalidParameterError, UnsupportedError
from ..features import ItemFeatures
from .base import FALLBACK, Recommender, _register, fit_model

__all__ = ["Hybrid"]


DEFAULT_CHAINS = {"users": ["als", "content", "popular"],
                  "baskets": ["rules", "als", "content", "popular"],
                  "items": ["rules", "als", "content"]}


def default_components() -> list[tuple[str, Recommender]]:
    """rules for carts, CF for known customers, content for the new and the thin, popularity last."""
    from .content import ContentBased
    from .factorization import ALS
    from .popular import Popularity
    from .rules import AssociationRules

    return [("rules", AssociationRules()), ("als", ALS(random_state=0)),
            ("content", ContentBased()), ("popular", Popularity())]


@_register
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
        Default: rules, ALS, content, popularity (see :func:`default_components`).
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

    Examples
    --------
    >>> from recsys import ContentBased, Hybrid, ItemKNN, Popularity, make_shop
    >>> shop = make_shop(n_customers=300, n_products=60, seed=0)
    >>> model = Hybrid(components=[("knn", ItemKNN()), ("content", ContentBased()),
    ...                            ("popular", Popularity())], mode="fallback")
    >>> _ = model.fit(shop.interactions, items=shop.items)
    >>> model.get_params()["knn__k"]
    50
    """

    _component_attr = "components"
    @classmethod
    def _demo(cls) -> Hybrid:
        """The demo's hybrid: a blend of ALS, item-kNN and content."""
        from .content import ContentBased
        from .factorization import ALS
        from .neighbors import ItemKNN

        return cls(components=[("als", ALS(**ALS._demo_params)),
                               ("knn", ItemKNN(**ItemKNN._demo_params)),
                               ("content", ContentBased())],
                   weights=[1.0, 1.0, 0.3], mode="blend")

    @classmethod
    def _test_variants(cls) -> list[dict[str, Any]]:
        return _hybrid_test_variants()

    def __init__(self, *, components: list[tuple[str, Recommender]] | None = None,
                 weights: list[float] | None = None, mode: str = "fallback",
                 normalize: str = "minmax", missing: str = "mean", min_items: int = 1,
                 min_history: int = 0, chains: dict[str, list[str]] | None = None) -> None:
        self.components = components
        self.weights = weights
        self.mode = mode
        self.normalize = normalize
        self.missing = missing
        self.min_items = min_items
        self.min_history = min_history
        self.chains = chains

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
    def supports_similar_items(self) -> bool:  # type: ignore[override]
        flags = [m.supports_similar_items for _, m in self._templates()]
        return all(flags) if self.mode == "blend" else any(flags)

    def _check_params(self) -> None:
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
        check_choice("Hybrid", "mode", self.mode, ("blend", "fallback"))
        check_choice("Hybrid", "normalize", self.normalize, ("minmax", "rank"))
        check_choice("Hybrid", "missing", self.missing, ("zero", "mean"))
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
        check_int("Hybrid", "min_items", self.min_items, minimum=1)
        check_int("Hybrid", "min_history", self.min_history, minimum=0)
        if self.weights is not None:
            if len(self.weights) != len(components):
                raise InvalidParameterError(
                    f"Hybrid: {len(self.weights)} weights for {len(components)} components.")
            for w in self.weights:
                check_float("Hybrid", "weights", w, minimum=0)

    # ------------------------------------------------------------------ fit
    def fit(self, interactions: Interactions, items: ItemFeatures | None = None) -> Hybrid:
        """Clone and fit every component on the same data (features to those that use them)."""
        if items is not None and not self.uses_item_features:
            raise UnsupportedError("Hybrid: no component uses item features; fit without items=.")
        return super().fit(interactions, items)  # type: ignore[return-value]

    def _fit(self, data: Interactions, features: ItemFeatures | None) -> None:
        fitted = []
        for name, template in self._templates():
            model = clone(template)
            if model.uses_item_features and features is None:
                raise InvalidParameterError(
                    f"Hybrid: component {name!r} ({type(model).__name__}) needs item features; "
                    f"pass items= to fit.")
            fitted.append((name, fit_model(model, data, features)))
        self._set_components(fitted)

    def _set_components(self, fitted: list[tuple[str, Recommender]]) -> None:
        self.components_ = fitted
        # hybrid index of each component item, and component index of each hybrid item (-1)
        self._cache_item_maps = [self.items_.to_index(m.items_.ids) for _, m in fitted]
        self._cache_local_maps = [m.items_.to_index(self.items_.ids, missing="mask")
                                  for _, m in fitted]
        self._cache_same_items = [m.items_ == self.items_ for _, m in fitted]
        weights = self.weights if self.weights is not None else [1.0] * len(fitted)
        self._cache_weights = np.asarray(weights, np.float64)
        # fixed once the components are fitted; read on every request
        self._cache_recommendable = self._union_recommendable()
        self._cache_recommendable.setflags(write=False)

    def _recommendable(self) -> np.ndarray:
        return self._cache_recommendable

    def _union_recommendable(self) -> np.ndarray:
        allowed = np.zeros(len(self.items_), bool)
        for (_, model), where in zip(self.components_, self._cache_item_maps, strict=True):
            allowed[where[model._recommendable()]] = True
        return allowed

    # ------------------------------------------------------------------ blend
    def _widen(self, scores: np.ndarray, which: int) -> np.ndarray:
        """A component's scores over this hybrid's items; -inf where it cannot recommend
        (e.g. CF on products with no sales, whose factors are only noise)."""
        model = self.components_[which][1]
        out = np.full((scores.shape[0], len(self.items_)), -np.inf, np.float32)
        out[:, self._cache_item_maps[which]] = np.where(model._recommendable(), scores, -np.inf)
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

    def _score_users(self, user_index: np.ndarray) -> np.ndarray:
        return self._blend((n, m._score_users(user_index))
                           for n, (_, m) in enumerate(self.components_))

    def _score_histories(self, histories: sp.csr_matrix) -> np.ndarray:
        return self._blend((n, m._score_histories(self._narrow(histories, n)))
                           for n, (_, m) in enumerate(self.components_))

    def _score_similar(self, item_index: np.ndarray) -> np.ndarray:
        parts = []
        for n, (_, m) in enumerate(self.components_):
            local = self._cache_local_maps[n][item_index]
            scores = np.full((len(item_index), len(m.items_)), -np.inf, np.float32)
            known = local >= 0
            if known.any():
                scores[known] = m._score_similar(local[known])
            parts.append((n, scores))
        return self._blend(parts)

    def _narrow(self, histories: sp.csr_matrix, which: int) -> sp.csr_matrix:
        """Histories over this hybrid's items, re-indexed to a component's items."""
        model = self.components_[which][1]
        if self._cache_same_items[which]:  # the usual case: nothing to re-index
            return histories
        local = self._cache_local_maps[which]
        keep = local[histories.indices] >= 0
        rows = row_ids(histories.indptr)[keep]  # kept cells stay in row order
        return sp.csr_matrix((histories.data[keep], local[histories.indices][keep],
                              indptr_of(rows, histories.shape[0])),
                             shape=(histories.shape[0], len(model.items_)))

    # ------------------------------------------------------------------ fallback
    def _chain(self, kind: str) -> list[int]:
        """Component positions to ask, in order, for ``kind`` of query."""
        chains = self.chains
        names = [name for name, _ in self.components_]
        if chains is None and self.components is None:
            chains = DEFAULT_CHAINS
        if chains is None or kind not in chains:
            return list(range(len(names)))
        return [names.index(name) for name in chains[kind]]

    def _answer_chain(self, ask, n: int, k: int, eligible_of, kind: str):
        """Ask the chain's components in order; each answers the queries still open that it can."""
        cols = np.full((n, k), -1, np.int32)
        vals = np.full((n, k), np.nan, np.float32)
        lengths = np.zeros(n, np.int64)
        source = np.full(n, FALLBACK, dtype=object)
        open_ = np.ones(n, bool)
        order = self._chain(kind)
        last = order[-1]
        for position, which in enumerate(order):
            name, model = self.components_[which]
            rows = np.flatnonzero(open_ & eligible_of(position, len(order), which))
            if len(rows) == 0:
                continue
            c, v, m = ask(which, model, rows)
            need = 1 if which == last else self.min_items
            answered = m >= need
            take = rows[answered]
            mapped = np.where(c[answered] >= 0,
                              self._cache_item_maps[which][np.maximum(c[answered], 0)], -1)
            cols[take], vals[take], lengths[take] = mapped, v[answered], m[answered]
            source[take] = name
            open_[take] = False
            if not open_.any():
                break
        return cols, vals, lengths, source.astype(str)

    def _recommend_users(self, user_index, k, exclude_seen, allowed, show_progress=False):
        if self.mode == "blend":
            return super()._recommend_users(user_index, k, exclude_seen, allowed, show_progress)
        thin = np.diff(self.seen_.indptr)[user_index] < self.min_history

        def eligible(position, length, which):
            return np.ones(len(user_index), bool) if position >= length - 2 else ~thin

        def ask(which, model, rows):
            local_allowed = allowed[self._cache_item_maps[which]]
            return model._recommend_users(user_index[rows], k, exclude_seen, local_allowed)

        return self._answer_chain(ask, len(user_index), k, eligible, "users")

    def _recommend_histories(self, histories, k, exclude_history, allowed, show_progress=False):
        if self.mode == "blend":
            return super()._recommend_histories(histories, k, exclude_history, allowed,
                                                show_progress)

        def eligible(position, length, which):
            return np.full(histories.shape[0], self.components_[which][1].supports_baskets)

        def ask(which, model, rows):
            local_allowed = allowed[self._cache_item_maps[which]]
            subset = histories if len(rows) == histories.shape[0] else take_rows(histories, rows)
            part = self._narrow(subset, which)
            return model._recommend_histories(part, k, exclude_history, local_allowed)

        return self._answer_chain(ask, histories.shape[0], k, eligible, "baskets")

    def _recommend_similar(self, query, k, allowed):
        if self.mode == "blend":
            return super()._recommend_similar(query, k, allowed)
        def eligible(position, length, which):
            model = self.components_[which][1]
            return model.supports_similar_items & (self._cache_local_maps[which][query] >= 0)

        def ask(which, model, rows):
            return model._recommend_similar(self._cache_local_maps[which][query[rows]], k,
                                            allowed[self._cache_item_maps[which]])

        return self._answer_chain(ask, len(query), k, eligible, "items")

    # ------------------------------------------------------------------ explain
    def _explain(self, item: int, user: int | None, history: sp.csr_matrix | None):
        if self.mode == "fallback":
            name, model, why = self._fallback_explanation(item, user, history)
            return why.score, why.contributions, why.method, {**why.details, "component": name}
        contributions, total = [], 0.0
        for which, (name, model) in enumerate(self.components_):
            local = model.items_.to_index([self.items_.ids[item]], missing="mask")[0]
            if local < 0:
                continue
            if user is not None:
                scores = model._score_users(np.array([user]))
            else:
                scores = model._score_histories(self._narrow(history, which)) if history is not None \
                    else None
            if scores is None:
                continue
            wide = self._widen(scores, which)
            value = float(self._cache_weights[which] * self._normalised(wide)[0, item])
            contributions.append((name, value))
            total += value
        contributions.sort(key=lambda c: -c[1])
        return total, contributions, "blend", {}

    def _fallback_explanation(self, item, user, history):
        """Explain by the component the chain picks for this customer or cart."""
        allowed = self._recommendable()
        item_id = self.items_.ids[item].item()
        if user is not None:
            answer = self._recommend_users(np.array([user]), self.min_items, True, allowed)
        elif history is not None:
            answer = self._recommend_histories(history, self.min_items, True, allowed)
        else:
            answer = None
        names = [name for name, _ in self.components_]
        chosen = answer[3][0] if answer is not None and answer[3][0] in names else names[-1]
        model = dict(self.components_)[chosen]
        if user is not None and chosen != FALLBACK:
            return chosen, model, model.explain(item_id, user=self.users_.ids[user].item())
        if history is not None and model.supports_baskets:
            known = [i for i in self.items_.ids[history.indices].tolist() if i in model.items_]
            return chosen, model, model.explain(item_id, basket=known)
        return chosen, model, model.explain(item_id)

    # ------------------------------------------------------------------ persistence
    def _state(self):
        from ..persistence import model_to_arrays

        arrays, entries = {}, []
        for name, model in self.components_:
            part, entry = model_to_arrays(model, f"components/{name}/")
            arrays.update(part)
            entries.append([name, entry])
        return arrays, {"components": entries}

    def _load_state(self, arrays, meta) -> None:
        from ..persistence import model_from_arrays

        self._set_components([(name, model_from_arrays(entry, arrays, f"components/{name}/"))
                              for name, entry in meta["components"]])


def _hybrid_test_variants() -> list[dict[str, Any]]:
    from .content import ContentBased
    from .factorization import ALS
    from .neighbors import ItemKNN
    from .popular import Popularity
    from .rules import AssociationRules

    chain = [("rules", AssociationRules(min_support=0.004, min_confidence=0.05)),
             ("als", ALS(factors=8, iterations=4, random_state=0, num_threads=1)),
             ("content", ContentBased()), ("popular", Popularity())]
    blend = [("knn", ItemKNN(k=30, num_threads=1)), ("content", ContentBased())]
    return [{"components": chain, "mode": "fallback", "min_history": 2},
            {"components": blend, "mode": "blend", "weights": [0.7, 0.3]}]


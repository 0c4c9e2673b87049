"""AssociationRules: "frequently bought together" and cart add-ons from mined rules."""

from __future__ import annotations

import time
import warnings
from typing import Any, ClassVar, NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys._engine import state_checks as checks
from recsys._engine.arrays import indptr_of, locate, rank_in_runs, row_ids, row_lengths, unique
from recsys._engine.params import check_choice, check_int
from recsys._engine.sparse import csr, one_hot_rows, take_rows
from recsys.data.interactions import Interactions
from recsys.exceptions import DataError, PersistenceError, UnsupportedError
from recsys.models import _rules_update as update
from recsys.models._state import publish_state, unfitted_twin
from recsys.models.anchors import id_tuples
from recsys.models.base import Anchors, Query, Recommender
from recsys.models.params import AutoOr, Choice, Float, HalfLife, Int, OneOf, OwnRule, Param, Uniform
from recsys.rules import incremental as inc
from recsys.rules.counts import Columns
from recsys.rules.mining import (
    RULE_METRICS,
    Itemsets,
    basket_matrix,
    basket_weights,
    min_count_of,
    mine,
    rule_arrays,
    rules_frame,
    support_count,
    weighted_itemsets,
)

__all__ = ["AssociationRules"]


class Fired(NamedTuple):
    """Rules that fire: one entry per (history row, rule), with the rule's score."""

    row: np.ndarray
    col: np.ndarray
    data: np.ndarray
    shape: tuple[int, int]

#: history cells up to which rules are fired by gathering instead of a sparse product
FEW_CELLS = 256
#: most (history, rule) cells one sparse product may hold when firing rules
HIT_BUDGET = 8_000_000
#: up to this many (query x item) cells, fired rules are combined in a dense buffer (float64:
#: 64 MB), beyond by sorting their keys
DENSE_CELLS = 8_000_000

SCORING_METRICS = ("lift", "confidence", "support", "leverage", "conviction", "zhangs_metric",
                   "jaccard", "certainty", "kulczynski")


class AssociationRules(Recommender):
    """Recommend the consequents of the association rules a cart or history fires.

    At fit, frequent itemsets are mined from the training baskets (orders; or each
    customer's history when there are no baskets) and turned into rules
    ``A -> c`` with a single consequent and confidence >= ``min_confidence``.
    A rule *fires* for a cart when every item of ``A`` is in the cart; an item's
    score is the ``metric`` of the rules that fire for it, aggregated by
    ``aggregate`` (``"max"``: the strongest rule; ``"sum"``: all of them). Items
    no rule fires for are not recommended, so lists can be shorter than k.

    Parameters
    ----------
    min_support : float or "auto", default "auto"
        Minimum share of baskets holding the whole rule. ``"auto"`` reads it from the
        baskets: the lowest count backed by at least 10 baskets that leaves at most 10,000
        frequent item pairs (a grocery's small baskets get a low threshold, a shop of large
        orders a higher one; see :mod:`recsys.rules.auto_support`). The count used is
        ``min_count_`` after fit.
    min_confidence : float, default 0.005
        Minimum confidence of a rule (the share of baskets holding the antecedent that also
        hold the consequent). Low on purpose: in a shop of small baskets an add-on bought
        by 3% of the buyers of the cart is a good add-on, and ``min_lift`` already keeps
        only rules above chance.
    max_len : int
        Longest itemset mined (antecedents of up to ``max_len - 1`` items).
    metric : str, default "confidence"
        Rule measure used as the score: one of ``lift``, ``confidence``,
        ``support``, ``leverage``, ``conviction`` (infinite for rules that always
        hold), ``zhangs_metric``, ``jaccard``, ``certainty``, ``kulczynski``. Confidence
        ranks an add-on by how likely the cart's buyers are to buy it; ``min_lift`` already
        keeps only rules above chance. Lift ranks by how much likelier than usual, which puts
        rare products first (on every shop shape measured, synthetic shops and groceries and
        Online Retail, with and without repeats, ranking by lift scored 0.14x to 0.94x the
        ndcg@10 of ranking by confidence; ``benchmarks/README.md``, "defaults").
    aggregate : {"max", "sum"}
    history : "all" or int
        ``recommend`` fires rules on the customer's whole history, or only on
        their last ``history`` baskets (needs baskets).
    max_memory : int
        Bytes mining may use (see :func:`recsys.rules.mining.frequent_itemsets`).
    min_lift : float or None, default 1.0
        Keep only rules whose lift exceeds this: with the default, products bought together
        more often than chance (a rule with lift below 1 says customers who buy A buy C
        *less* often, which is no add-on and no "often bought with"). None keeps every rule.
    half_life_days : float or None, default None
        Decayed support counts: each basket counts ``2 ** (-age / half_life_days)`` (the age
        of the basket at the newest timestamp; needs timestamps) in every rule measure, so
        what is bought together now outranks what was. Which itemsets are frequent is still
        decided on the plain counts (``min_support``); None: every basket counts 1.
    updatable : bool, default True
        Keep what :meth:`partial_fit` needs to add new orders exactly: every basket as a
        binary matrix (4 bytes a purchase) and the counts of the frequent and near-frequent
        itemsets (see :mod:`recsys.rules.incremental`). Kept only when the model can be updated
        (baskets, a numeric ``min_support``, no ``half_life_days``, ``history="all"``);
        False keeps the model and its file smaller.

    Attributes
    ----------
    rules_ : pandas.DataFrame
        The rules, with mlxtend's columns (single-item consequents).

    Examples
    --------
    >>> from recsys import AssociationRules, make_shop
    >>> shop = make_shop(n_customers=500, n_products=100, seed=0)
    >>> model = AssociationRules(min_support=0.005).fit(shop.interactions)
    >>> teapot = model.rules_["antecedents"].iloc[0]
    >>> len(model.recommend_for_basket(list(teapot), k=3)) == 1
    True
    """

    demo_params: ClassVar[dict[str, Any]] = {"min_support": 0.002, "min_confidence": 0.05}

    parameters: ClassVar[dict[str, Param]] = {
        "min_support": Param(AutoOr(Float(minimum=0, maximum=1, exclusive_min=True))),
        "min_confidence": Param(Float(minimum=0, maximum=1), Uniform(1e-3, 0.3, log=True)),
        "max_len": Param(Int(minimum=2)),
        "metric": Param(OneOf(SCORING_METRICS), Choice(["lift", "confidence"])),
        "aggregate": Param(OneOf(("max", "sum"))),
        "max_memory": Param(Int(minimum=1)),
        "min_lift": Param(Float(minimum=0, none=True)),
        "half_life_days": Param(HalfLife(), Choice([None, 30, 90, 365])),
        "history": Param(OwnRule("'all', or the newest baskets of each customer to keep (>= 1)")),
        "updatable": Param(OneOf((True, False))),
    }

    def __init__(self, *, min_support: float | str = "auto", min_confidence: float = 0.005,
                 max_len: int = 3, metric: str = "confidence", aggregate: str = "max",
                 history: str | int = "all", max_memory: int = 4 * 2**30,
                 min_lift: float | None = 1.0, half_life_days: float | None = None,
                 updatable: bool = True) -> None:
        self.half_life_days = half_life_days
        self.updatable = updatable
        self.min_support = min_support
        self.min_confidence = min_confidence
        self.max_len = max_len
        self.metric = metric
        self.aggregate = aggregate
        self.history = history
        self.max_memory = max_memory
        self.min_lift = min_lift

    def _check_params(self) -> None:
        super()._check_params()
        if self.history != "all":
            check_int("AssociationRules", "history", self.history, minimum=1)

    # ------------------------------------------------------------------ fit
    def _fit(self, data: Interactions, features: Any) -> None:
        if data.basket_index is None:
            warnings.warn(
                "AssociationRules: these interactions have no baskets, so each customer's whole "
                "history is mined as one basket: rules then mean 'bought by the same customer', "
                "not 'bought together', and there can be millions of them. Give baskets: "
                "from_frame(..., basket='order_id') or basket=['customer', 'date'] for one "
                "customer on one day (--basket-col on the command line).", UserWarning,
                stacklevel=4)
        keep = self.updatable and update.why_not_updatable(self, data) is None
        matrix, items = (update.binary_baskets(data), data.items) if keep else basket_matrix(data)
        count = min_count_of(self.min_support, None, matrix)
        if keep:
            found, self.summary_ = inc.start(matrix, items, count, self.max_len, self.max_memory)
            self.baskets_ = matrix
            # the baskets holding each item, kept for updates (4 bytes a purchase)
            self._cache_columns = Columns(matrix).build()
            self.batch_digests_ = [update.batch_digest(data)]
        else:
            found = mine(matrix, items, count, self.max_len, self.max_memory)
            self.summary_ = self.baskets_ = None
            self.batch_digests_ = []
        if self.half_life_days is not None:
            found = weighted_itemsets(found, matrix, self._basket_weights(data))
        self._rules_from(found)
        self.n_baskets_ = int(matrix.shape[0])
        self.min_count_ = int(count)
        self.history_ = self._recent_histories(data)

    def _rules_from(self, found: Itemsets) -> None:
        arrays = rule_arrays(found, "confidence", self.min_confidence, max_consequent=1)
        if self.min_lift is not None:  # add-ons only from rules bought together more than chance
            keep = arrays["lift"] > self.min_lift
            arrays = {key: value[keep] for key, value in arrays.items()}
        self._set_rules(arrays["antecedent"], arrays["consequent"][:, 0],
                        np.column_stack([arrays[m] for m in RULE_METRICS]))

    # ------------------------------------------------------------------ update
    def partial_fit(self, interactions: Interactions, *,
                    duplicates: str = "raise") -> AssociationRules:
        """Add new orders to a fitted model: the result equals a fit on all the orders.

        The counts of the kept itemsets are updated from the new baskets, the itemsets that
        become frequent are found and counted exactly (see :mod:`recsys.rules.incremental`), and
        the rules, customers' histories and id maps follow; ``min_support`` applies to all
        the baskets so far. Every order in ``interactions`` counts as a new basket.

        Parameters
        ----------
        interactions : Interactions
            The new orders, with baskets (and customers exactly when the first ones had them).
        duplicates : {"raise", "skip", "add"}, default "raise"
            What to do with a batch the model has taken already (the same orders as the fit's
            or an earlier update's, as a retried nightly job gives: the model keeps each
            batch's fingerprint): refuse it, leave the model unchanged with a warning, or add
            it again all the same.

        Returns
        -------
        AssociationRules
            ``self``; ``update_seconds_`` says how long the update took.

        Examples
        --------
        >>> from recsys import AssociationRules, Interactions
        >>> first = Interactions.from_baskets([["tea", "cup"], ["tea", "cup"], ["tea"]])
        >>> model = AssociationRules(min_support=0.5, min_confidence=0.1).fit(first)
        >>> later = Interactions.from_baskets([["tea", "pot"], ["tea", "pot"], ["pot"]])
        >>> model.partial_fit(later).n_baskets_
        6
        """
        self._check_fitted()
        if not isinstance(interactions, Interactions):
            raise DataError(f"AssociationRules.partial_fit expects recsys.Interactions, got "
                            f"{type(interactions).__name__}. Build it with "
                            f"Interactions.from_frame(df, item=..., basket=...).")
        reason = update.why_not_updatable(self, interactions)
        if reason is None and self.summary_ is None:
            reason = ("it keeps no baskets (fitted with updatable=False, or on data without "
                      "baskets); refit it with updatable=True on orders with baskets")
        if reason is not None:
            raise UnsupportedError(f"AssociationRules.partial_fit cannot add these orders "
                                   f"exactly: {reason}.")
        check_choice("AssociationRules.partial_fit", "duplicates", duplicates,
                     ("raise", "skip", "add"))
        digest = update.batch_digest(interactions)
        if digest in self.batch_digests_ and duplicates != "add":
            what = (f"AssociationRules.partial_fit: these {interactions.n_baskets:,} orders were "
                    f"added already (the same orders as the fit or an earlier update: a retried "
                    f"job?)")
            if duplicates == "raise":
                raise DataError(f"{what}. Pass only new orders, or duplicates='skip' to leave "
                                f"the model as it is, or 'add' to count them again.")
            warnings.warn(f"{what}; the model is left as it was.", UserWarning, stacklevel=2)
            return self
        start = time.perf_counter()
        merged = update.merge(self, interactions)
        baskets = merged["baskets"]
        count = support_count(self.min_support, baskets.shape[0])
        summary = merged["summary"]
        kept = getattr(self, "_cache_columns", None)  # not in model files: built on first use
        columns = Columns(baskets) if kept is None else \
            kept.extended(baskets, merged["n_new"], merged["item_pos"])
        if 2 * summary.slack >= count:  # the summary says too little now: mine everything again
            found, summary = inc.start(baskets, merged["items"], count, self.max_len,
                                       self.max_memory)
        else:
            summary = inc.update(summary, baskets, merged["n_new"], count, self.max_len, columns)
            found = Itemsets(summary.frequent(count), baskets.shape[0], merged["items"])
        # the updated model is built aside, a twin of this class (its private methods are
        # this class's own), and published in one step: serving threads see old or new
        fresh = unfitted_twin(self)
        fresh._take_update(merged, found, summary, count)  # noqa: SLF001
        fresh._cache_columns = columns  # noqa: SLF001
        fresh.fit_seconds_ = self.fit_seconds_
        fresh.batch_digests_ = [*self.batch_digests_, digest]
        fresh.update_seconds_ = time.perf_counter() - start
        publish_state(self, fresh)
        return self

    def _take_update(self, merged: dict, found: Itemsets, summary: inc.Summary,
                     count: int) -> None:
        """Set the updated fitted state on this (unpublished, unfitted) twin."""
        baskets = merged["baskets"]
        self._set_id_state(merged["users"], merged["items"], merged["seen"],
                           None if len(merged["users"]) else baskets, summary.item_counts)
        self._rules_from(found)
        self.n_baskets_, self.min_count_ = int(baskets.shape[0]), int(count)
        self.history_ = self.seen_
        self.baskets_, self.summary_ = baskets, summary
        self.recommendable_ = np.asarray(self._recommendable(), bool)

    def _basket_weights(self, data: Interactions) -> np.ndarray:
        if data.timestamps is None:
            raise DataError(
                "AssociationRules(half_life_days=...) needs timestamps: build the interactions "
                "with timestamp='<column>' (--time-col on the command line), or leave "
                "half_life_days=None.")
        return basket_weights(data, self.half_life_days)

    def _set_rules(self, antecedent: np.ndarray, consequent: np.ndarray,
                   measures: np.ndarray) -> None:
        self.antecedents_ = antecedent.astype(np.int32)
        self.consequents_ = consequent.astype(np.int32)
        self.measures_ = measures.astype(np.float64)
        n_items = len(self.items_)
        sizes = (antecedent >= 0).sum(axis=1)
        rows = np.repeat(np.arange(len(antecedent)), sizes)
        # (rules x items) incidence of each antecedent, and its size, to test firing
        self._cache_antecedent = sp.csr_matrix(
            (np.ones(len(rows), np.float32), (rows, antecedent[antecedent >= 0])),
            shape=(len(antecedent), n_items)).T.tocsr()
        self._cache_sizes = sizes.astype(np.float32)
        score = measures[:, RULE_METRICS.index(self.metric)]
        self._cache_score = score
        self._cache_pair_rules = np.flatnonzero(sizes == 1)
        if len(consequent) == 0:
            return
        # the model can only recommend items some rule leads to
        reachable = np.zeros(n_items, bool)
        reachable[consequent] = True
        self._cache_reachable = reachable

    def _recent_histories(self, data: Interactions) -> sp.csr_matrix:
        if data.user_index is None:
            return sp.csr_matrix((0, data.n_items), dtype=np.float32)
        if self.history == "all":
            return data.matrix("user")
        if data.basket_index is None:
            raise DataError("AssociationRules(history=N) needs baskets; pass basket= to from_frame.")
        when = (data.timestamps.view(np.int64) if data.timestamps is not None
                else data.basket_index.astype(np.int64))
        basket_time = np.full(data.n_baskets, np.iinfo(np.int64).min)
        np.maximum.at(basket_time, data.basket_index, when)
        pairs = unique(data.user_index.astype(np.int64) * data.n_baskets + data.basket_index)
        users, baskets = pairs // data.n_baskets, pairs % data.n_baskets
        order = np.lexsort((-baskets, -basket_time[baskets], users))
        su = users[order]
        from_end = rank_in_runs(su)
        keep = np.zeros(len(pairs), bool)
        keep[order] = from_end < self.history
        kept = pairs[keep]
        row_keys = data.user_index.astype(np.int64) * data.n_baskets + data.basket_index
        mask = np.isin(row_keys, kept)
        part = data.select(mask)
        return part.matrix("user")

    def _recommendable(self) -> np.ndarray:
        reachable = getattr(self, "_cache_reachable", None)
        if reachable is None:
            return np.zeros(len(self.items_), bool)
        return reachable & (self.item_counts_ > 0)

    # ------------------------------------------------------------------ scoring
    def _fired(self, histories: sp.csr_matrix, rules: np.ndarray | slice | None = None) -> Fired:
        """Each (history, rule) where the rule fires, with the rule's score; ``rules`` (indices
        or a range) limits the rules tried, and ``Fired.col`` then counts within them."""
        if rules is None and histories.nnz <= FEW_CELLS:
            return self._fired_few(histories)
        binary = csr(np.ones(histories.nnz, np.float32), histories.indices, histories.indptr,
                     histories.shape)
        antecedent = self._cache_antecedent
        sizes = self._cache_sizes
        score = self._cache_score
        if rules is not None:
            antecedent, sizes, score = antecedent[:, rules], sizes[rules], score[rules]
        hits = (binary @ antecedent).tocsr()
        row = row_ids(hits.indptr)
        fired = hits.data == sizes[hits.indices]
        rule = hits.indices[fired]
        return Fired(row[fired], rule, score[rule], hits.shape)

    def _fired_few(self, histories: sp.csr_matrix) -> Fired:
        """:meth:`_fired` for a few history cells (a cart, a customer): the rules of each cell's
        item gathered and counted with numpy, without a sparse product (about 4x faster
        there; a sort, so not for batches)."""
        per_cell = take_rows(self._cache_antecedent, histories.indices)  # cells x rules
        n_rules = per_cell.shape[1]
        owner = np.repeat(row_ids(histories.indptr), row_lengths(per_cell.indptr))
        key, count = np.unique(owner.astype(np.int64) * n_rules + per_cell.indices,
                               return_counts=True)
        rule = key % n_rules
        fired = count == self._cache_sizes[rule]
        rule = rule[fired]
        return Fired(key[fired] // n_rules, rule, self._cache_score[rule],
                     (histories.shape[0], n_rules))

    def _aggregate(self, fired: Fired, consequents: np.ndarray) -> sp.csr_matrix:
        """(queries x items) CSR: each consequent's firing rules combined by ``aggregate``."""
        n_items = len(self.items_)
        key = fired.row.astype(np.int64) * n_items + consequents[fired.col]
        return self._reduce(key, fired.data.astype(np.float64), fired.shape[0])

    def _reduce(self, key: np.ndarray, vals: np.ndarray, n_rows: int) -> sp.csr_matrix:
        """Values at cell keys (row * n_items + item) combined per cell by ``aggregate``."""
        n_items = len(self.items_)
        if n_rows * n_items <= DENSE_CELLS:
            return self._reduce_dense(key, vals, n_rows)
        order = np.argsort(key, kind="stable")
        key, vals = key[order], vals[order]
        starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]])) if len(key) \
            else np.empty(0, np.int64)
        combine = np.add if self.aggregate == "sum" else np.maximum
        best = combine.reduceat(vals, starts) if len(starts) else vals
        key = key[starts]
        return csr(best, key % n_items, indptr_of(key // n_items, n_rows), (n_rows, n_items))

    def _reduce_dense(self, key: np.ndarray, vals: np.ndarray, n_rows: int) -> sp.csr_matrix:
        """:meth:`_reduce` through a dense buffer of every cell: a scatter instead of a sort
        (a long history fires tens of thousands of rules; sorting their keys took 1.7 ms where
        the scatter takes 0.04)."""
        n_items = len(self.items_)
        size = n_rows * n_items
        present = np.bincount(key, minlength=size) > 0
        if self.aggregate == "sum":
            combined = np.bincount(key, weights=vals, minlength=size)
        else:
            combined = np.full(size, -np.inf)
            np.maximum.at(combined, key, vals)
        cells = np.flatnonzero(present)
        return csr(combined[cells], cells % n_items, indptr_of(cells // n_items, n_rows),
                   (n_rows, n_items))

    def _rule_slices(self, histories: sp.csr_matrix) -> list[slice]:
        """Ranges of rules to fire in turn so that the (histories x rules) product holds at
        most :data:`HIT_BUDGET` cells: memory stays bounded however many rules were mined
        (millions, from whole histories) and however long the histories are."""
        per_item = row_lengths(self._cache_antecedent.indptr)  # rules holding each item
        hits = int(per_item[histories.indices].sum())  # the product's cells, at most
        n_rules = len(self.consequents_)
        parts = min(max(1, -(-hits // HIT_BUDGET)), max(n_rules, 1))
        step = -(-n_rules // parts) if n_rules else 1
        return [slice(start, min(start + step, n_rules)) for start in range(0, n_rules, step)] \
            if parts > 1 else [slice(None)]

    def _history_scores(self, histories: sp.csr_matrix) -> sp.csr_matrix:
        """(histories x items) rule scores, a bounded slice of the rules at a time."""
        slices = self._rule_slices(histories)
        if len(slices) == 1:
            return self._aggregate(self._fired(histories), self.consequents_)
        parts = [self._aggregate(self._fired(histories, rules), self.consequents_[rules])
                 for rules in slices]
        keys = np.concatenate([row_ids(p.indptr).astype(np.int64) * len(self.items_) + p.indices
                               for p in parts])
        return self._reduce(keys, np.concatenate([p.data for p in parts]), histories.shape[0])

    def _history(self, user_index: np.ndarray) -> sp.csr_matrix:
        return take_rows(self.history_, user_index)

    def _scores(self, query: Query) -> sp.csr_matrix:
        if query.items is not None:  # neighbours of an item: its pair rules only
            pairs = self._cache_pair_rules
            one_hot = one_hot_rows(query.items, len(self.items_))
            return self._aggregate(self._fired(one_hot, pairs), self.consequents_[pairs])
        return self._history_scores(self._histories(query))

    def _anchors(self, query: Query, picks: np.ndarray, source: np.ndarray | None) -> Anchors:
        """The strongest firing rule behind each pick (ties by rule order): its antecedent."""
        out = Anchors.popular(picks.shape)
        histories = self._histories(query)
        m = len(self.items_)
        probe = (np.arange(picks.shape[0])[:, None] * m + np.maximum(picks, 0)).ravel()
        best_rule = np.full(len(probe), -1, np.int64)
        best_score = np.full(len(probe), -np.inf)
        for rules in self._rule_slices(histories):  # bounded memory, as in scoring
            fired = self._fired(histories, rules)
            offset = rules.start or 0
            key = fired.row.astype(np.int64) * m + self.consequents_[rules][fired.col]
            order = np.lexsort((fired.col, -fired.data, key))
            key, rule, score = key[order], fired.col[order] + offset, fired.data[order]
            first = np.ones(len(key), bool)
            first[1:] = key[1:] != key[:-1]
            pos, found = locate(key[first], probe)
            hit = np.flatnonzero(found)
            top_rule, top_score = rule[first][pos[hit]], score[first][pos[hit]]
            better = top_score > best_score[hit]  # ties: the earlier rule stays
            best_rule[hit[better]], best_score[hit[better]] = top_rule[better], top_score[better]
        cells = np.flatnonzero((picks.ravel() >= 0) & (best_rule >= 0))
        out.codes.ravel()[cells] = "bought_together"
        out.anchors.ravel()[cells] = id_tuples(self.items_.ids,
                                               self.antecedents_[best_rule[cells]])
        return out

    def _explain(self, item: int, user: int | None, history: sp.csr_matrix | None):
        if user is not None:
            history = self.history_[user]
        candidates = np.flatnonzero(self.consequents_ == item)
        if history is not None:
            fired = self._fired(history, candidates)
            candidates = candidates[fired.col]
        if len(candidates) == 0:
            return float("-inf"), [], "rule", {}
        score = self._cache_score[candidates]
        order = candidates[np.lexsort((candidates, -score))]
        ids = self.items_.ids
        contributions = []
        for rule in order[:5]:
            ante = self.antecedents_[rule]
            label = (tuple(ids[ante[ante >= 0]].tolist()), ids[item].item())
            contributions.append((label, float(self._cache_score[rule])))
        best = order[0]
        m = dict(zip(RULE_METRICS, self.measures_[best].tolist(), strict=True))
        details = {"rule": contributions[0][0], "support": m["support"],
                   "confidence": m["confidence"], "lift": m["lift"], "metric": self.metric}
        if self.aggregate == "sum":
            total = float(self._cache_score[candidates].sum())
            return total, contributions, "rule", details
        return float(self._cache_score[best]), contributions, "rule", details

    # ------------------------------------------------------------------ results
    @property
    def rules_(self) -> pd.DataFrame:
        """The rules as a DataFrame (antecedents, consequents, every measure), best first."""
        self._check_fitted()
        if not hasattr(self, "_cache_rules_frame"):
            width = self.antecedents_.shape[1] if self.antecedents_.ndim == 2 else 1
            consequent = np.full((len(self.consequents_), width), -1, np.int32)
            consequent[:, 0] = self.consequents_
            arrays = {"antecedent": self.antecedents_, "consequent": consequent}
            arrays.update({m: self.measures_[:, i] for i, m in enumerate(RULE_METRICS)})
            self._cache_rules_frame = rules_frame(arrays, self.items_, self.metric)
        return self._cache_rules_frame

    def _state(self):
        history = self.history_
        arrays = {"antecedents": self.antecedents_, "consequents": self.consequents_,
                  "measures": self.measures_, "history/data": history.data,
                  "history/indices": history.indices, "history/indptr": history.indptr}
        if getattr(self, "summary_", None) is not None:
            arrays.update(update.state(self))
        return arrays, {"n_baskets": self.n_baskets_, "min_count": self.min_count_,
                        "batch_digests": list(self.batch_digests_)}

    def _load_state(self, arrays, meta) -> None:
        self.n_baskets_ = int(meta["n_baskets"])
        self.min_count_ = int(meta.get("min_count", 0))  # files written before it: unknown
        digests = meta.get("batch_digests", [])
        if not isinstance(digests, list) or not all(isinstance(d, str) and len(d) == 64
                                                    for d in digests):
            raise PersistenceError("model file: 'batch_digests' should list the SHA-256 of each "
                                   "batch of orders taken (a damaged or altered file).")
        self.batch_digests_ = digests
        n_items = len(self.items_)
        self.history_ = checks.csr_from(arrays, "history/", (len(self.users_), n_items))
        self.baskets_, self.summary_ = update.load(arrays, self.n_baskets_, n_items,
                                                   self.min_count_)
        consequents = checks.index_values(
            checks.vector(arrays["consequents"], "model/consequents", None, "iu"),
            "model/consequents", n_items)
        antecedents = checks.index_values(
            checks.matrix(arrays["antecedents"], "model/antecedents", len(consequents), None,
                          "iu"), "model/antecedents", n_items, low=-1)
        if len(antecedents) and ((antecedents >= 0).sum(axis=1) == 0).any():
            raise PersistenceError("model file: array 'model/antecedents' holds a rule with an "
                                   "empty antecedent (a damaged or altered file).")
        measures = arrays["measures"] if len(arrays["measures"]) else np.empty(
            (0, len(RULE_METRICS)))
        measures = checks.matrix(measures, "model/measures", len(consequents),
                                 len(RULE_METRICS), finite=False)
        if np.isnan(measures).any():  # conviction is +inf for rules that always hold; NaN never
            raise PersistenceError("model file: array 'model/measures' holds NaN (a damaged "
                                   "or altered file).")
        self._set_rules(antecedents, consequents, measures)

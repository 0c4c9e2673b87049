r"""Ranking and beyond-accuracy metrics, vectorised over all users.

Conventions (the defaults; other conventions are options, named in the output):

* **Relevance** is binary: an item is relevant to a user when the truth holds
  at least one interaction of that user with it. ``graded=True`` uses the
  summed truth weight as the grade instead (relevant when the grade is > 0).
* **Users**: means are over the users that have at least one relevant item in
  the truth. Such a user with no picks (absent from the recommendations) scores
  0. Users with picks but no relevant items are ignored.
* **Ties**: the order of the recommendations is taken as given (the row order of
  :class:`~recsys.models.base.Recommendations`, the ``rank`` column of a frame,
  or, without ranks, descending ``score`` with equal scores in row order).
  Nothing is averaged over tied positions.
* **k** cuts the list at rank k; a list shorter than k simply has fewer hits
  (precision still divides by k).

With :math:`h_i \in \{0, 1\}` the hit at rank :math:`i`, :math:`R` the set of
relevant items and :math:`D_i = 1/\log_2(i+1)`:

=============  ==============================================================================
precision@k    :math:`\frac{1}{k}\sum_{i\le k} h_i`
recall@k       :math:`\frac{1}{|R|}\sum_{i\le k} h_i` (``denominator="min"``: over :math:`\min(k,|R|)`)
ndcg@k         :math:`\sum_{i\le k} g_i D_i \,/\, \sum_{i\le \min(k,|R|)} g^*_i D_i` (:math:`g` the gain:
               1 for a hit, or the grade / :math:`2^{grade}-1` when graded; :math:`g^*` ideal gains)
map@k          :math:`\frac{1}{\min(k,|R|)}\sum_{i\le k} h_i\,\mathrm{precision@}i`
               (``denominator="relevant"``: over :math:`|R|`, as ranx and trec_eval)
mrr@k          :math:`1/\mathrm{rank}` of the first hit within k, else 0
hit_rate@k     1 if any hit within k, else 0
=============  ==============================================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys._engine.arrays import locate, rank_in_runs, row_ids
from recsys._engine.params import check_choice, check_int
from recsys._engine.sparse import chunk_rows
from recsys.data.frames import as_pandas
from recsys.data.ids import clean_ids, preview
from recsys.data.interactions import Interactions
from recsys.exceptions import DataError, InvalidParameterError
from recsys.ranking import Query, Recommendations, check_fitted

__all__ = [
    "precision_at_k", "recall_at_k", "ndcg_at_k", "map_at_k", "mrr_at_k", "hit_rate_at_k",
    "ranking_metrics", "auc", "catalog_coverage", "novelty", "intra_list_diversity",
    "popularity_bias", "RANKING_METRICS",
]

RANKING_METRICS = ("precision", "recall", "ndcg", "map", "mrr", "hit_rate")


# ---------------------------------------------------------------------- judging
@dataclass(frozen=True)
class Judged:
    """Gains of each recommended position for every user with relevant items.

    ``gains[u, i]`` is the gain at rank ``i + 1`` (0 for a miss), ``n_relevant[u]``
    the size of the user's relevant set and ``ideal[u]`` the user's relevance
    grades, best first (graded only).
    """

    users: np.ndarray
    gains: np.ndarray
    n_relevant: np.ndarray
    ideal: np.ndarray | None
    width: int


def judge(recs: Recommendations | pd.DataFrame, truth: Interactions | pd.DataFrame, *,
          graded: bool = False) -> Judged:
    """Match recommendations with the truth once; every ranking metric reads the result."""
    t_users, t_items, t_grade, user_lookup, item_lookup = _truth(truth, graded)
    n_items = max(len(item_lookup), 1)
    q_ids, codes, code_ids = _ranked(recs)
    _same_kind(q_ids, user_lookup, "user")
    _same_kind(code_ids, item_lookup, "item")
    width = codes.shape[1]
    # relevant set: sorted unique keys user * n_items + item, with their grades
    keys = t_users * n_items + t_items
    order = np.argsort(keys, kind="stable")
    keys, grades = keys[order], t_grade[order]
    first = np.ones(len(keys), bool)
    first[1:] = keys[1:] != keys[:-1]
    grades = np.add.reduceat(grades, np.flatnonzero(first)) if len(keys) else grades
    if not graded:
        grades = np.ones(int(first.sum()), np.float64)
    keys = keys[first]
    relevant = grades > 0
    keys, grades = keys[relevant], grades[relevant]
    key_users = keys // n_items
    n_relevant_all = np.bincount(key_users, minlength=len(user_lookup))
    evaluated = np.flatnonzero(n_relevant_all > 0)
    row_of = np.full(len(user_lookup), -1, np.int64)
    row_of[evaluated] = np.arange(len(evaluated))

    gains = np.zeros((len(evaluated), width), np.float64)
    q = user_lookup.get_indexer(q_ids)
    rows = np.where(q >= 0, row_of[np.maximum(q, 0)], -1)
    mine = np.flatnonzero(rows >= 0)
    rows = rows[mine]
    if len(rows) and np.bincount(rows).max() > 1:
        raise DataError("the recommendations list some users twice; give one row per user.")
    if len(rows) and width and len(keys):
        to_truth = np.append(item_lookup.get_indexer(code_ids), -1)  # code -1 -> -1
        items = to_truth[codes[mine]]  # (len(mine), width), -1 where no item or unknown
        probe = evaluated[rows][:, None] * n_items + np.maximum(items, 0)
        pos, found = locate(keys, probe)
        hit = (items >= 0) & found
        gains[rows] = np.where(hit, grades[pos], 0.0)
    ideal = _ideal(key_users, grades, row_of, len(evaluated), width) if graded else None
    return Judged(users=user_lookup.to_numpy()[evaluated], gains=gains,
                  n_relevant=n_relevant_all[evaluated], ideal=ideal, width=width)


def _kind(ids: object) -> str | None:
    """"int" or "str" for the ids' type (None when there are none to tell)."""
    values = np.asarray(ids)
    if len(values) == 0:
        return None
    if values.dtype.kind in "iuf":
        return "int"
    first = values[0]
    return "int" if isinstance(first, (int, np.integer)) else "str"


def _same_kind(recommended: object, truth: pd.Index, what: str) -> None:
    """Int ids never equal str ids: a mismatch would score 0 without a word, so it is refused."""
    mine, theirs = _kind(recommended), _kind(truth)
    if mine and theirs and mine != theirs:
        raise DataError(
            f"the recommendations have {mine} {what} ids (e.g. {preview(np.asarray(recommended)[:2])}) "
            f"and the truth {theirs} {what} ids (e.g. {preview(truth[:2])}): no id can match, so "
            f"every metric would read 0. Build both with the same id type (e.g. .astype(str) "
            f"on the truth's column).")


def _ideal(key_users, grades, row_of, n, width) -> np.ndarray:
    order = np.lexsort((-grades, key_users))
    su, sg = key_users[order], grades[order]
    position = rank_in_runs(su)
    ideal = np.zeros((n, max(width, 1)), np.float64)
    take = position < ideal.shape[1]
    ideal[row_of[su[take]], position[take]] = sg[take]
    return ideal


def _truth(truth, graded):
    """(user codes, item codes, grades, user lookup, item lookup) of the truth."""
    if isinstance(truth, Interactions):
        if truth.user_index is None:
            raise DataError("the truth interactions have no users.")
        grades = truth.weights.astype(np.float64) if graded else np.ones(len(truth))
        return (truth.user_index.astype(np.int64), truth.item_index.astype(np.int64), grades,
                pd.Index(truth.users.ids), pd.Index(truth.items.ids))
    truth = as_pandas(truth, "truth (Interactions or a frame)")
    ucol = _pick(truth, ("user_id", "query", "user"), "truth")
    icol = _pick(truth, ("item_id", "item"), "truth")
    if len(truth) == 0:
        raise DataError("the truth is empty (0 rows): there is nothing to score the "
                        "recommendations against. Check the test window of the split.")
    for column in (ucol, icol):  # a missing id would silently match nothing
        if truth[column].isna().any():
            clean_ids(truth[column], f"truth[{column!r}]")
    u_codes, u_uniques = pd.factorize(truth[ucol])
    i_codes, i_uniques = pd.factorize(truth[icol])
    if graded:
        gcol = _pick(truth, ("weight", "relevance", "rating"), "truth (graded)")
        grades = truth[gcol].to_numpy(np.float64)
    else:
        grades = np.ones(len(truth))
    return (u_codes.astype(np.int64), i_codes.astype(np.int64), grades, pd.Index(u_uniques),
            pd.Index(i_uniques))


def _ranked(recs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Query ids, a (n, width) matrix of item codes in rank order (-1: none), code -> id."""
    if isinstance(recs, Recommendations):
        return recs.queries, recs.item_index, recs.items.ids
    if not isinstance(recs, pd.DataFrame):
        raise DataError(
            f"recommendations must be Recommendations or a long DataFrame, got {type(recs).__name__}."
        )
    qcol = _pick(recs, ("query", "user_id", "user"), "recommendations")
    icol = _pick(recs, ("item", "item_id"), "recommendations")
    q_codes, q_uniques = pd.factorize(recs[qcol])
    i_codes, i_uniques = pd.factorize(recs[icol])
    if "rank" in recs.columns:
        key = recs["rank"].to_numpy(np.float64)
    elif "score" in recs.columns:
        key = -recs["score"].to_numpy(np.float64)
    else:
        key = np.arange(len(recs), dtype=np.float64)
    same = q_codes[1:] == q_codes[:-1]
    grouped = bool((q_codes[1:] >= q_codes[:-1]).all()) and bool((key[1:][same] >= key[:-1][same]).all())
    if grouped:  # already one block per query in rank order (the usual layout): no sort
        sq, items = q_codes, i_codes
    else:
        order = np.lexsort((np.arange(len(recs)), key, q_codes))
        sq, items = q_codes[order], i_codes[order]
    position = rank_in_runs(sq)
    width = int(position.max()) + 1 if len(position) else 0
    codes = np.full((len(q_uniques), width), -1, np.int64)
    codes[sq, position] = items
    ordered = np.sort(codes, axis=1)
    if ((ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)).any():
        raise DataError("the recommendations list an item twice for the same query; "
                        "give each (query, item) once.")
    return np.asarray(q_uniques), codes, np.asarray(i_uniques)


def _pick(frame: pd.DataFrame, names: Sequence[str], what: str) -> str:
    for name in names:
        if name in frame.columns:
            return name
    raise DataError(
        f"{what} frame needs one of the columns {', '.join(map(repr, names))}; it has "
        f"{', '.join(map(repr, frame.columns))}."
    )


# ---------------------------------------------------------------------- per-user values
def _at(judged: Judged, k: int) -> np.ndarray:
    g = judged.gains[:, :k]
    if g.shape[1] < k:
        g = np.pad(g, ((0, 0), (0, k - g.shape[1])))
    return g


def _values(judged: Judged, metric: str, k: int, *, denominator: str | None = None,
            gain: str = "linear") -> np.ndarray:
    g = _at(judged, k)
    hits = g > 0
    n_rel = judged.n_relevant
    if metric == "precision":
        return hits.sum(axis=1) / k
    if metric == "recall":
        denom = np.minimum(n_rel, k) if denominator == "min" else n_rel
        return hits.sum(axis=1) / denom
    if metric == "hit_rate":
        return hits.any(axis=1).astype(np.float64)
    if metric == "mrr":
        first = hits.argmax(axis=1)
        return np.where(hits.any(axis=1), 1.0 / (first + 1), 0.0)
    if metric == "map":
        precision_at = np.cumsum(hits, axis=1) / np.arange(1, k + 1)
        denom = n_rel if denominator == "relevant" else np.minimum(n_rel, k)
        return (precision_at * hits).sum(axis=1) / denom
    if metric == "ndcg":
        discount = 1.0 / np.log2(np.arange(2, k + 2))
        if judged.ideal is None:
            dcg = hits @ discount
            idcg = np.cumsum(discount)[np.minimum(n_rel, k) - 1]
        else:
            gains, ideal = g, judged.ideal[:, :k]
            if ideal.shape[1] < k:
                ideal = np.pad(ideal, ((0, 0), (0, k - ideal.shape[1])))
            if gain == "exponential":
                gains, ideal = np.exp2(gains) - 1, np.exp2(ideal) - 1
            dcg, idcg = gains @ discount, ideal @ discount
        return np.divide(dcg, idcg, out=np.zeros_like(dcg), where=idcg > 0)
    raise InvalidParameterError(
        f"unknown ranking metric {metric!r}; choose from {', '.join(RANKING_METRICS)}."
    )


def _result(judged: Judged, values: np.ndarray, per_user: bool, name: str):
    if per_user:
        return pd.Series(values, index=pd.Index(judged.users, name="user"), name=name)
    return float(values.mean()) if len(values) else float("nan")


def _metric(metric, recs, truth, k, per_user, graded=False, **options):
    k = check_int(metric, "k", k, minimum=1)
    judged = judge(recs, truth, graded=graded)
    return _result(judged, _values(judged, metric, k, **options), per_user, f"{metric}@{k}")


def precision_at_k(recs, truth, k: int = 10, *, per_user: bool = False):
    r"""Precision@k: the share of the top k that is relevant, :math:`\frac{1}{k}\sum_{i\le k} h_i`.

    Binary relevance; mean over users with at least one relevant item (a user
    without picks scores 0); a list shorter than k still divides by k.

    Parameters
    ----------
    recs : Recommendations or DataFrame
        The lists: a ``Recommendations``, or a frame with ``query``, ``item`` and ``rank``.
    truth : Interactions or DataFrame
        What each user went on to buy: an ``Interactions`` (its test split), or a frame with
        ``user_id`` and ``item_id`` (and ``weight`` for graded relevance).
    k : int, default 10
    per_user : bool, default False
        Return each user's value instead of the mean.

    Returns
    -------
    float or pandas.Series
        The mean over users with at least one relevant item, or (``per_user``) each user's.

    Examples
    --------
    >>> import pandas as pd
    >>> recs = pd.DataFrame({"query": [1, 1, 1], "item": ["a", "b", "c"], "rank": [1, 2, 3]})
    >>> truth = pd.DataFrame({"user_id": [1, 1], "item_id": ["b", "z"]})
    >>> precision_at_k(recs, truth, k=2)
    0.5
    """
    return _metric("precision", recs, truth, k, per_user)


def recall_at_k(recs, truth, k: int = 10, *, denominator: Literal["relevant", "min"] = "relevant",
                per_user: bool = False):
    r"""Recall@k: :math:`\frac{1}{|R|}\sum_{i\le k} h_i`, the share of relevant items found.

    ``denominator="min"`` divides by :math:`\min(k, |R|)` instead (so a perfect
    list scores 1 even when a user has more than k relevant items). Binary
    relevance; mean over users with at least one relevant item.

    Parameters
    ----------
    recs : Recommendations or DataFrame
        The lists: a ``Recommendations``, or a frame with ``query``, ``item`` and ``rank``.
    truth : Interactions or DataFrame
        What each user went on to buy: an ``Interactions`` (its test split), or a frame with
        ``user_id`` and ``item_id`` (and ``weight`` for graded relevance).
    k : int, default 10
    denominator : {"relevant", "min"}, default "relevant"
        Divide by the relevant items, or by ``min(k, relevant)``.
    per_user : bool, default False
        Return each user's value instead of the mean.

    Returns
    -------
    float or pandas.Series
        The mean over users with at least one relevant item, or (``per_user``) each user's.

    Examples
    --------
    >>> import pandas as pd
    >>> recs = pd.DataFrame({"query": [1, 1], "item": ["a", "b"], "rank": [1, 2]})
    >>> truth = pd.DataFrame({"user_id": [1, 1, 1], "item_id": ["a", "y", "z"]})
    >>> round(recall_at_k(recs, truth, k=2), 4), recall_at_k(recs, truth, k=2, denominator="min")
    (0.3333, 0.5)
    """
    check_choice("recall_at_k", "denominator", denominator, ("relevant", "min"))
    return _metric("recall", recs, truth, k, per_user, denominator=denominator)


def ndcg_at_k(recs, truth, k: int = 10, *, graded: bool = False,
              gain: Literal["linear", "exponential"] = "linear", per_user: bool = False):
    r"""NDCG@k: :math:`\sum_{i\le k} g_i/\log_2(i+1)` over the same sum for the ideal ranking.

    Binary gains by default (the ideal DCG has :math:`\min(k, |R|)` hits). With
    ``graded=True`` the gain is the truth weight (``gain="linear"``, as ranx's
    ``ndcg``) or :math:`2^{w}-1` (``"exponential"``, ranx's ``ndcg_burges``).

    Parameters
    ----------
    recs : Recommendations or DataFrame
        The lists: a ``Recommendations``, or a frame with ``query``, ``item`` and ``rank``.
    truth : Interactions or DataFrame
        What each user went on to buy: an ``Interactions`` (its test split), or a frame with
        ``user_id`` and ``item_id`` (and ``weight`` for graded relevance).
    k : int, default 10
    graded : bool, default False
        Gains from the truth's weights instead of 1 per relevant item.
    gain : {"linear", "exponential"}, default "linear"
        With ``graded``: the weight, or ``2 ** weight - 1``.
    per_user : bool, default False
        Return each user's value instead of the mean.

    Returns
    -------
    float or pandas.Series
        The mean over users with at least one relevant item, or (``per_user``) each user's.

    Examples
    --------
    >>> import pandas as pd
    >>> recs = pd.DataFrame({"query": [1, 1], "item": ["x", "a"], "rank": [1, 2]})
    >>> truth = pd.DataFrame({"user_id": [1], "item_id": ["a"]})
    >>> round(ndcg_at_k(recs, truth, k=2), 6)  # 1/log2(3)
    0.63093
    """
    check_choice("ndcg_at_k", "gain", gain, ("linear", "exponential"))
    return _metric("ndcg", recs, truth, k, per_user, graded=graded, gain=gain)


def map_at_k(recs, truth, k: int = 10, *, denominator: Literal["min", "relevant"] = "min",
             per_user: bool = False):
    r"""MAP@k: :math:`\frac{1}{\min(k,|R|)}\sum_{i\le k} h_i\,\mathrm{precision@}i`.

    ``denominator="relevant"`` divides by :math:`|R|` (ranx, trec_eval).

    Parameters
    ----------
    recs : Recommendations or DataFrame
        The lists: a ``Recommendations``, or a frame with ``query``, ``item`` and ``rank``.
    truth : Interactions or DataFrame
        What each user went on to buy: an ``Interactions`` (its test split), or a frame with
        ``user_id`` and ``item_id`` (and ``weight`` for graded relevance).
    k : int, default 10
    denominator : {"min", "relevant"}, default "min"
        Divide by ``min(k, relevant)``, or by the relevant items (ranx, trec_eval).
    per_user : bool, default False
        Return each user's value instead of the mean.

    Returns
    -------
    float or pandas.Series
        The mean over users with at least one relevant item, or (``per_user``) each user's.

    Examples
    --------
    >>> import pandas as pd
    >>> recs = pd.DataFrame({"query": [1, 1, 1], "item": ["a", "x", "b"], "rank": [1, 2, 3]})
    >>> truth = pd.DataFrame({"user_id": [1, 1], "item_id": ["a", "b"]})
    >>> round(map_at_k(recs, truth, k=3), 6)  # (1/1 + 2/3) / 2
    0.833333
    """
    check_choice("map_at_k", "denominator", denominator, ("min", "relevant"))
    return _metric("map", recs, truth, k, per_user, denominator=denominator)


def mrr_at_k(recs, truth, k: int = 10, *, per_user: bool = False):
    """MRR@k: 1 / rank of the first relevant item within k (0 when none).

    Parameters
    ----------
    recs : Recommendations or DataFrame
        The lists: a ``Recommendations``, or a frame with ``query``, ``item`` and ``rank``.
    truth : Interactions or DataFrame
        What each user went on to buy: an ``Interactions`` (its test split), or a frame with
        ``user_id`` and ``item_id`` (and ``weight`` for graded relevance).
    k : int, default 10
    per_user : bool, default False
        Return each user's value instead of the mean.

    Returns
    -------
    float or pandas.Series
        The mean over users with at least one relevant item, or (``per_user``) each user's.

    Examples
    --------
    >>> import pandas as pd
    >>> recs = pd.DataFrame({"query": [1, 1, 1], "item": ["x", "y", "a"], "rank": [1, 2, 3]})
    >>> truth = pd.DataFrame({"user_id": [1], "item_id": ["a"]})
    >>> round(mrr_at_k(recs, truth, k=3), 6)
    0.333333
    """
    return _metric("mrr", recs, truth, k, per_user)


def hit_rate_at_k(recs, truth, k: int = 10, *, per_user: bool = False):
    """Hit rate@k: the share of users with at least one relevant item in their top k.

    Parameters
    ----------
    recs : Recommendations or DataFrame
        The lists: a ``Recommendations``, or a frame with ``query``, ``item`` and ``rank``.
    truth : Interactions or DataFrame
        What each user went on to buy: an ``Interactions`` (its test split), or a frame with
        ``user_id`` and ``item_id`` (and ``weight`` for graded relevance).
    k : int, default 10
    per_user : bool, default False
        Return each user's value instead of the mean.

    Returns
    -------
    float or pandas.Series
        The mean over users with at least one relevant item, or (``per_user``) each user's.

    Examples
    --------
    >>> import pandas as pd
    >>> recs = pd.DataFrame({"query": [1, 2], "item": ["a", "b"], "rank": [1, 1]})
    >>> truth = pd.DataFrame({"user_id": [1, 2], "item_id": ["a", "c"]})
    >>> hit_rate_at_k(recs, truth, k=1)
    0.5
    """
    return _metric("hit_rate", recs, truth, k, per_user)


def ranking_metrics(recs, truth, k: int | Sequence[int] = 10,
                    metrics: Sequence[str] = ("precision", "recall", "ndcg", "map"), *,
                    graded: bool = False, per_user: bool = False,
                    options: Mapping[str, Mapping[str, Any]] | None = None):
    """Several ranking metrics at several k from one matching pass.

    Parameters
    ----------
    recs, truth
        As in :func:`ndcg_at_k`.
    k : int or sequence of int, default 10
    metrics : sequence of str, default ("precision", "recall", "ndcg", "map")
        Names among ``precision``, ``recall``, ``ndcg``, ``map``, ``mrr``, ``hit_rate``.
    graded : bool, default False
    per_user : bool, default False
    options : dict, optional
        Per-metric options, e.g. ``{"map": {"denominator": "relevant"}}``.

    Returns
    -------
    dict
        ``{"ndcg@10": value, ...}`` (per-user Series with ``per_user``).

    Examples
    --------
    >>> import pandas as pd
    >>> recs = pd.DataFrame({"query": [1, 1], "item": ["a", "b"], "rank": [1, 2]})
    >>> truth = pd.DataFrame({"user_id": [1], "item_id": ["b"]})
    >>> ranking_metrics(recs, truth, k=2, metrics=["precision", "mrr"])
    {'precision@2': 0.5, 'mrr@2': 0.5}
    """
    ks = [k] if isinstance(k, (int, np.integer)) else list(k)
    for value in ks:
        check_int("ranking_metrics", "k", value, minimum=1)
    options = dict(options or {})
    judged = judge(recs, truth, graded=graded)
    out = {}
    for kk in ks:
        for metric in metrics:
            name = f"{metric}@{kk}"
            out[name] = _result(judged, _values(judged, metric, int(kk), **options.get(metric, {})),
                                per_user, name)
    return out


# ---------------------------------------------------------------------- full-ranking AUC
def auc(model, test: Interactions, *, exclude_seen: bool = True, per_user: bool = False):
    r"""Per-user AUC over the full ranking, averaged over users.

    For each test user known to the model, the probability that a relevant
    (test) item is scored above a non-relevant one, over every item the model
    can recommend, minus the user's training items when ``exclude_seen``:
    :math:`\mathrm{AUC}_u = \frac{\sum_{p} \mathrm{rank}(p) - P(P+1)/2}{P N}` with
    ranks ascending and ties given their average rank (a tie counts 1/2).
    Users with no relevant item the model can score, or no negatives, are left out.

    Parameters
    ----------
    model : Recommender
        A fitted model; every item it can recommend is ranked.
    test : Interactions
        The held-out rows (with customers); its items are the relevant ones.
    exclude_seen : bool, default True
        Leave each customer's training items out of the ranking.
    per_user : bool, default False
        Return each customer's AUC instead of the mean.

    Returns
    -------
    float or pandas.Series
        The mean AUC (0.5 is a random ranking), or a Series indexed by customer id.

    Raises
    ------
    DataError
        When ``test`` is not an Interactions with customers.
    NotFittedError
        When the model is not fitted.

    Examples
    --------
    >>> import recsys
    >>> from recsys.evaluation.split import temporal_split
    >>> shop = recsys.make_shop(n_customers=300, n_products=50, seed=1)
    >>> train, test = temporal_split(shop.interactions, last_days=30)
    >>> model = recsys.ItemKNN().fit(train)
    >>> 0.5 < auc(model, test) <= 1.0
    True
    """


    check_fitted(model)
    if not isinstance(test, Interactions) or test.user_index is None:
        raise DataError("auc: test must be Interactions with users.")
    user_index = model.users_.to_index(test.users.ids, missing="mask")
    item_index = model.items_.to_index(test.items.ids, missing="mask")
    rows_ok = user_index[test.user_index] >= 0
    cols_ok = item_index[test.item_index] >= 0
    keep = rows_ok & cols_ok
    u = user_index[test.user_index[keep]]
    i = item_index[test.item_index[keep]]
    n_items = len(model.items_)
    positives = sp.csr_matrix((np.ones(len(u), np.float32), (u, i)),
                              shape=(len(model.users_), n_items))
    positives.sum_duplicates()
    users = np.flatnonzero(np.diff(positives.indptr) > 0)
    allowed = model.recommendable_
    values = np.full(len(users), np.nan)
    step = chunk_rows(n_items)
    for start in range(0, len(users), step):
        chunk = users[start:start + step]
        scores = model.score(Query.of_users(chunk)).astype(np.float64)
        valid = np.broadcast_to(allowed, scores.shape).copy()
        if exclude_seen:
            seen = model.seen_rows(chunk)
            valid[row_ids(seen.indptr), seen.indices] = False
        pos = positives[chunk].toarray() > 0
        pos &= valid
        scores[~valid] = np.nan
        # scipy.stats costs 0.35 s to import (it would come with recsys.models): only here
        from scipy.stats import rankdata

        ranks = rankdata(scores, axis=1, nan_policy="omit")
        n_pos = pos.sum(axis=1)
        n_neg = valid.sum(axis=1) - n_pos
        rank_sum = np.where(pos, ranks, 0.0).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            values[start:start + step] = (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    ok = np.isfinite(values)
    if per_user:
        return pd.Series(values[ok], index=pd.Index(model.users_.ids[users[ok]], name="user"),
                         name="auc")
    return float(values[ok].mean()) if ok.any() else float("nan")


# ---------------------------------------------------------------------- beyond accuracy
def _rec_items(recs: Recommendations | pd.DataFrame):
    """(rows, item ids) of all recommended cells."""
    if isinstance(recs, Recommendations):
        valid = recs.item_index >= 0
        return np.nonzero(valid)[0], recs.items.ids[recs.item_index[valid]]
    icol = _pick(recs, ("item", "item_id"), "recommendations")
    qcol = _pick(recs, ("query", "user_id", "user"), "recommendations")
    return pd.factorize(recs[qcol])[0], recs[icol].to_numpy()


def catalog_coverage(recs, catalogue: int | Sequence | Interactions) -> float:
    """Share of the catalogue that appears in at least one list.

    Parameters
    ----------
    recs : Recommendations or DataFrame
        As in :func:`ndcg_at_k`.
    catalogue : int, sequence of ids, or Interactions
        The catalogue size, its item ids, or the training interactions (their item map).

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> import pandas as pd
    >>> recs = pd.DataFrame({"query": [1, 2], "item": ["a", "a"], "rank": [1, 1]})
    >>> catalog_coverage(recs, 4)
    0.25
    """
    _, items = _rec_items(recs)
    if isinstance(catalogue, Interactions):
        size = catalogue.n_items
    elif isinstance(catalogue, (int, np.integer)):
        size = int(catalogue)
    else:
        size = len(pd.unique(np.asarray(list(catalogue))))
    if size <= 0:
        raise InvalidParameterError("catalog_coverage: the catalogue is empty.")
    return len(pd.unique(items)) / size


def _popularity(train: Interactions) -> pd.Series:
    """Share of training users (or baskets) that interacted with each item."""
    matrix = train.matrix("user") if train.user_index is not None else train.matrix("basket")
    counts = np.diff(matrix.tocsc().indptr)
    return pd.Series(counts / max(matrix.shape[0], 1), index=pd.Index(train.items.ids))


def novelty(recs, train: Interactions) -> float:
    r"""Mean self-information of the recommended items, in bits: :math:`-\log_2 p(i)`.

    :math:`p(i)` is the share of training users who interacted with item i;
    items no training user touched count as if one had (:math:`p = 1/|U|`).
    Averaged over all recommended cells. Higher is more novel (less obvious).

    Parameters
    ----------
    recs : Recommendations or pandas.DataFrame
        The lists (a frame with ``query``, ``item`` and ``rank`` columns, or a model's answer).
    train : Interactions
        The data the popularity of an item is read from.

    Returns
    -------
    float
        Mean bits per recommended item (NaN for no lists).

    See Also
    --------
    popularity_bias : the same popularity as a share instead of bits.

    Examples
    --------
    >>> import pandas as pd
    >>> import recsys
    >>> train = recsys.Interactions.from_frame(pd.DataFrame(
    ...     {"user_id": [1, 1, 2, 2, 3], "item_id": ["a", "b", "a", "c", "a"]}))
    >>> recs = pd.DataFrame({"query": [1, 1, 2], "item": ["a", "c", "b"], "rank": [1, 2, 1]})
    >>> round(novelty(recs, train), 4)  # a: 0 bits, b and c: log2(3) bits each
    1.0566
    """
    _, items = _rec_items(recs)
    pop = _popularity(train)
    n_users = train.n_users or train.n_baskets
    p = pop.reindex(items).to_numpy()
    p = np.where(np.isnan(p) | (p <= 0), 1.0 / n_users, p)
    return float(np.mean(-np.log2(p))) if len(p) else float("nan")


def popularity_bias(recs, train: Interactions) -> float:
    """Average recommendation popularity: the mean share of training users that
    interacted with a recommended item (0 = only unseen items, 1 = only items
    everyone has). Compare with the same figure for Popularity's lists.

    Parameters
    ----------
    recs : Recommendations or pandas.DataFrame
        The lists (a frame with ``query``, ``item`` and ``rank`` columns, or a model's answer).
    train : Interactions
        The data the popularity of an item is read from.

    Returns
    -------
    float
        The mean share, between 0 and 1 (NaN for no lists).

    See Also
    --------
    novelty : the same popularity in bits of self-information.

    Examples
    --------
    >>> import pandas as pd
    >>> import recsys
    >>> train = recsys.Interactions.from_frame(pd.DataFrame(
    ...     {"user_id": [1, 1, 2, 2, 3], "item_id": ["a", "b", "a", "c", "a"]}))
    >>> recs = pd.DataFrame({"query": [1, 1, 2], "item": ["a", "c", "b"], "rank": [1, 2, 1]})
    >>> round(popularity_bias(recs, train), 4)  # (3/3 + 1/3 + 1/3) / 3
    0.5556
    """
    _, items = _rec_items(recs)
    p = _popularity(train).reindex(items).fillna(0.0).to_numpy()
    return float(p.mean()) if len(p) else float("nan")


def intra_list_diversity(recs, features, *, per_user: bool = False):
    r"""Mean pairwise cosine distance between the items of each list.

    :math:`\mathrm{ILD}_u = \frac{1}{L(L-1)}\sum_{i\ne j} (1 - \cos(f_i, f_j))`
    over the :math:`L` items of a list (lists with fewer than 2 items are left
    out), then the mean over lists. ``features`` is an
    :class:`~recsys.data.features.ItemFeatures`; items without features count as
    orthogonal to all others.

    Parameters
    ----------
    recs : Recommendations or pandas.DataFrame
        The lists (a frame with ``query``, ``item`` and ``rank`` columns, or a model's answer).
    features : ItemFeatures
        The products' attributes the distance is measured on.
    per_user : bool, default False
        Return each list's diversity instead of the mean.

    Returns
    -------
    float or pandas.Series
        The mean distance (0: every list holds alike items; 1: orthogonal ones), or one value
        per list of two or more items.

    Examples
    --------
    >>> import pandas as pd
    >>> import recsys
    >>> features = recsys.ItemFeatures.from_frame(pd.DataFrame(
    ...     {"item_id": ["a", "b", "c"], "colour": ["red", "red", "blue"]}),
    ...     categorical=["colour"])
    >>> recs = pd.DataFrame({"query": [1, 1, 2], "item": ["a", "c", "b"], "rank": [1, 2, 1]})
    >>> intra_list_diversity(recs, features)  # one list of two: red and blue
    1.0
    """
    rows, items = _rec_items(recs)
    pos = features.items.to_index(items, missing="mask")
    matrix = features.matrix
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    unit = (sp.diags(inv) @ matrix).tocsr()
    n_lists = int(rows.max()) + 1 if len(rows) else 0
    have = pos >= 0
    incidence = sp.csr_matrix((np.ones(int(have.sum())), (rows[have], pos[have])),
                              shape=(n_lists, matrix.shape[0]))
    summed = incidence @ unit
    sq = np.asarray(summed.multiply(summed).sum(axis=1)).ravel()
    self_sim = np.asarray(incidence @ (norms > 0).astype(np.float64)).ravel()
    length = np.bincount(rows, minlength=n_lists).astype(np.float64)
    pairs = length * (length - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_cos = (sq - self_sim) / pairs
    values = 1.0 - mean_cos
    ok = length >= 2
    if per_user:
        return pd.Series(values[ok], name="intra_list_diversity")
    return float(values[ok].mean()) if ok.any() else float("nan")

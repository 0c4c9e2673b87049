"""Metrics: hand-computed golden values, ranx on generated rankings, and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys import DataError, Popularity, evaluate
from recsys.evaluation.evaluator import compare
from recsys.evaluation.metrics import (
    auc,
    catalog_coverage,
    hit_rate_at_k,
    intra_list_diversity,
    map_at_k,
    mrr_at_k,
    ndcg_at_k,
    novelty,
    popularity_bias,
    precision_at_k,
    ranking_metrics,
    recall_at_k,
)
from recsys.evaluation.split import temporal_split


def frame(rankings: dict) -> pd.DataFrame:
    rows = [(q, item, r + 1) for q, items in rankings.items() for r, item in enumerate(items)]
    return pd.DataFrame(rows, columns=["query", "item", "rank"])


def truth(relevant: dict) -> pd.DataFrame:
    rows = [(u, i) for u, items in relevant.items() for i in items]
    return pd.DataFrame(rows, columns=["user_id", "item_id"])


# ---------------------------------------------------------------------- golden values
# three small rankings computed by hand
RECS = frame({"u1": ["a", "b", "c", "d"], "u2": ["e", "f", "g", "h"], "u3": ["x", "y"]})
TRUTH = truth({"u1": ["b", "d", "z"], "u2": ["e"], "u3": ["q"], "u4": ["a"]})
LOG2 = math.log2


def test_golden_precision_recall():
    # u1: hits at ranks 2 and 4; u2: hit at 1; u3: none; u4: no picks -> 0
    assert precision_at_k(RECS, TRUTH, k=4) == pytest.approx((2 / 4 + 1 / 4 + 0 + 0) / 4)
    assert recall_at_k(RECS, TRUTH, k=4) == pytest.approx((2 / 3 + 1 + 0 + 0) / 4)
    assert recall_at_k(RECS, TRUTH, k=2, denominator="min") == pytest.approx((1 / 2 + 1) / 4)
    assert hit_rate_at_k(RECS, TRUTH, k=1) == pytest.approx(1 / 4)


def test_golden_ndcg_map_mrr():
    dcg_u1 = 1 / LOG2(3) + 1 / LOG2(5)
    idcg_u1 = 1 / LOG2(2) + 1 / LOG2(3) + 1 / LOG2(4)
    assert ndcg_at_k(RECS, TRUTH, k=4) == pytest.approx((dcg_u1 / idcg_u1 + 1 + 0 + 0) / 4)
    ap_u1 = (1 / 2 + 2 / 4) / 3  # min(k=4, |R|=3) = 3
    assert map_at_k(RECS, TRUTH, k=4) == pytest.approx((ap_u1 + 1 + 0 + 0) / 4)
    assert mrr_at_k(RECS, TRUTH, k=4) == pytest.approx((1 / 2 + 1 + 0 + 0) / 4)
    ap_u1_k2 = (1 / 2) / 2  # min(k=2, 3) = 2
    assert map_at_k(RECS, TRUTH, k=2) == pytest.approx((ap_u1_k2 + 1) / 4)


def test_per_user_values_and_several_at_once():
    per_user = ndcg_at_k(RECS, TRUTH, k=4, per_user=True)
    assert sorted(per_user.index) == ["u1", "u2", "u3", "u4"]
    assert per_user["u2"] == 1.0 and per_user["u4"] == 0.0
    both = ranking_metrics(RECS, TRUTH, k=[2, 4], metrics=["precision", "ndcg"])
    assert both["precision@4"] == precision_at_k(RECS, TRUTH, k=4)
    assert both["ndcg@2"] == ndcg_at_k(RECS, TRUTH, k=2)


def test_score_column_orders_ties_by_row():
    recs = pd.DataFrame({"query": [1, 1, 1], "item": ["a", "b", "c"], "score": [0.5, 0.9, 0.5]})
    relevant = truth({1: ["a"]})
    # order: b (0.9), a (0.5, first of the tie), c
    assert mrr_at_k(recs, relevant, k=3) == pytest.approx(1 / 2)


def test_graded_ndcg():
    recs = frame({1: ["a", "b"]})
    graded = pd.DataFrame({"user_id": [1, 1], "item_id": ["a", "b"], "weight": [1.0, 3.0]})
    dcg = 1 / LOG2(2) + 3 / LOG2(3)
    ideal = 3 / LOG2(2) + 1 / LOG2(3)
    assert ndcg_at_k(recs, graded, k=2, graded=True) == pytest.approx(dcg / ideal)
    exp = (1 / LOG2(2) + 7 / LOG2(3)) / (7 / LOG2(2) + 1 / LOG2(3))
    assert ndcg_at_k(recs, graded, k=2, graded=True, gain="exponential") == pytest.approx(exp)


def test_malformed_recommendations_are_refused(shop):
    twice = pd.DataFrame({"query": [1, 1], "item": ["a", "a"], "rank": [1, 2]})
    with pytest.raises(DataError, match="twice"):
        ndcg_at_k(twice, truth({1: ["a"]}), k=2)
    model = Popularity().fit(shop.interactions)
    user = shop.interactions.users.ids[0]
    with pytest.raises(DataError, match="twice"):
        ndcg_at_k(model.recommend([user, user], k=3), shop.interactions, k=3)
    with pytest.raises(DataError, match="columns"):
        ndcg_at_k(pd.DataFrame({"who": [1]}), truth({1: ["a"]}), k=2)


# ---------------------------------------------------------------------- ranx
@st.composite
def runs(draw):
    n_users = draw(st.integers(1, 12))
    items = [f"i{j}" for j in range(15)]
    rankings, relevant = {}, {}
    for u in range(n_users):
        length = draw(st.integers(0, 12))  # lists shorter than k, and empty ones
        ranked = draw(st.permutations(items))[:length]
        if ranked:
            rankings[f"u{u}"] = list(ranked)
        rel = draw(st.lists(st.sampled_from(items), max_size=6, unique=True))
        if rel:
            relevant[f"u{u}"] = rel
    return rankings, relevant


def ranx_scores(rankings, relevant, k, metrics):
    from ranx import Qrels, Run
    from ranx import evaluate as ranx_evaluate

    qrels = Qrels({u: {i: 1 for i in items} for u, items in relevant.items()})
    # ties: equal scores; ranx would order them arbitrarily, so give descending scores
    picked = {u: {i: float(len(rankings[u]) - r) for r, i in enumerate(rankings[u])}
              for u in relevant if rankings.get(u)}
    if not picked:  # ranx cannot hold an empty run; every user scores 0
        return dict.fromkeys((f"{m}@{k}" for m in metrics), 0.0)
    run = Run(picked)
    return ranx_evaluate(qrels, run, [f"{m}@{k}" for m in metrics], make_comparable=True)


@pytest.mark.slow  # ranx compiles its numba kernels on first use: about 40 s
@settings(max_examples=150, deadline=None)
@given(runs(), st.integers(1, 10))
def test_metrics_equal_ranx(data, k):
    pytest.importorskip("ranx")
    rankings, relevant = data
    if not relevant:
        return
    ours = ranking_metrics(frame(rankings), truth(relevant), k=k,
                           metrics=["precision", "recall", "ndcg", "map", "mrr", "hit_rate"],
                           options={"map": {"denominator": "relevant"}})
    theirs = ranx_scores(rankings, relevant, k, ["precision", "recall", "ndcg", "map", "mrr",
                                                 "hit_rate"])
    for metric in ("precision", "recall", "ndcg", "map", "mrr", "hit_rate"):
        assert ours[f"{metric}@{k}"] == pytest.approx(theirs[f"{metric}@{k}"], abs=1e-9), metric


@settings(max_examples=150, deadline=None)
@given(runs(), st.integers(1, 10))
def test_default_map_and_min_recall_equal_hand_computation(data, k):
    rankings, relevant = data
    if not relevant:
        return
    got_map = map_at_k(frame(rankings), truth(relevant), k=k, per_user=True)
    got_recall = recall_at_k(frame(rankings), truth(relevant), k=k, denominator="min",
                             per_user=True)
    for user, rel in relevant.items():
        ranked = rankings.get(user, [])[:k]
        hits = [item in rel for item in ranked]
        precisions = [sum(hits[: i + 1]) / (i + 1) for i, h in enumerate(hits) if h]
        assert got_map[user] == pytest.approx(sum(precisions) / min(k, len(rel)), abs=1e-12)
        assert got_recall[user] == pytest.approx(sum(hits) / min(k, len(rel)), abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(runs(), st.integers(1, 10))
def test_metrics_lie_in_unit_interval_and_ignore_user_order(data, k):
    rankings, relevant = data
    if not relevant:
        return
    metrics = ["precision", "recall", "ndcg", "map", "mrr", "hit_rate"]
    ours = ranking_metrics(frame(rankings), truth(relevant), k=k, metrics=metrics)
    assert all(0.0 <= v <= 1.0 for v in ours.values())
    shuffled = frame(dict(reversed(list(rankings.items())))).sample(frac=1.0, random_state=1)
    again = ranking_metrics(shuffled, truth(relevant).iloc[::-1], k=k, metrics=metrics)
    for key, value in ours.items():
        assert again[key] == pytest.approx(value, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(runs(), st.integers(1, 10))
def test_a_perfect_ranking_has_ndcg_one(data, k):
    _, relevant = data
    if not relevant:
        return
    perfect = frame({u: list(items) for u, items in relevant.items()})
    assert ndcg_at_k(perfect, truth(relevant), k=k) == pytest.approx(1.0)
    assert map_at_k(perfect, truth(relevant), k=k) == pytest.approx(1.0)
    assert recall_at_k(perfect, truth(relevant), k=k, denominator="min") == pytest.approx(1.0)


# ---------------------------------------------------------------------- with models
@pytest.fixture(scope="module")
def split(shop):
    return temporal_split(shop.interactions, last_days=60)


def test_recommendations_and_frames_agree(split):
    train, test = split
    model = Popularity().fit(train)
    users = test.users.ids[np.unique(test.user_index)]
    recs = model.recommend(users, k=10)
    a = ranking_metrics(recs, test, k=10, metrics=["ndcg", "recall"])
    b = ranking_metrics(recs.to_frame(), test.to_frame(), k=10, metrics=["ndcg", "recall"])
    assert a == pytest.approx(b)


def test_beyond_accuracy(split, shop):
    train, test = split
    model = Popularity().fit(train)
    recs = model.recommend(test.users.ids[:50], k=5)
    assert 0 < catalog_coverage(recs, train) <= 1
    assert novelty(recs, train) > 0
    assert 0 < popularity_bias(recs, train) <= 1
    assert 0 <= intra_list_diversity(recs, shop.items) <= 1
    same = frame({1: ["P0001", "P0001"]})
    assert intra_list_diversity(same, shop.items) == pytest.approx(0.0, abs=1e-6)


def test_auc_of_popularity_is_between_half_and_one(split):
    train, test = split
    value = auc(Popularity().fit(train), test)
    assert 0.5 < value < 1.0


def test_evaluate_and_compare(split):
    train, test = split
    table = evaluate([Popularity(), Popularity(window_days=30)], train, test, k=(5, 10),
                     metrics=["ndcg", "recall", "coverage"], n_bootstrap=50)
    assert set(table["model"]) == {"Popularity", "Popularity_1"}
    row = table[(table.metric == "ndcg") & (table.k == 10)].iloc[0]
    assert row["ci_low"] <= row["value"] <= row["ci_high"]
    result = compare({"a": Popularity(), "b": Popularity(window_days=30)}, train, test,
                     baseline="a", n_bootstrap=100)
    assert 0 <= result["p_value"].iloc[0] <= 1
    assert result["wins"].iloc[0] + result["losses"].iloc[0] + result["ties"].iloc[0] == \
        result["n_users"].iloc[0]

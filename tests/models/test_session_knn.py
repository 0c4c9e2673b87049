"""SessionKNN: the model contract, and its scores against a direct computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys import DataError, Interactions
from recsys.models.session_knn import SessionKNN
from recsys.testing import ModelContract


class TestSessionKNNContract(ModelContract):
    model = SessionKNN
    variants = [{"k": 50}, {"k": 5, "normalize": False}, {"k": 20, "max_sessions": 100}]


@pytest.fixture
def sessions():
    # four past sessions (baskets) of anonymous visitors
    frame = pd.DataFrame({"session": [1, 1, 1, 2, 2, 3, 3, 3, 4],
                          "item_id": ["a", "b", "c", "a", "d", "b", "c", "e", "f"],
                          "time": pd.to_datetime(["2026-01-01"] * 3 + ["2026-01-02"] * 2
                                                 + ["2026-01-03"] * 3 + ["2026-01-04"])})
    return Interactions.from_frame(frame, user=None, basket="session", timestamp="time")


def _direct(sessions_items: dict, query: dict, k: int, normalize: bool) -> dict:
    """Each past session's similarity to the weighted query, the k best vote."""
    norm = np.sqrt(sum(w * w for w in query.values()))
    sims = {}
    for name, items in sessions_items.items():
        overlap = sum(query.get(i, 0.0) for i in items)
        if overlap > 0:
            sims[name] = overlap / (norm * np.sqrt(len(items))) if normalize else overlap
    best = sorted(sims, key=lambda s: (-sims[s], s))[:k]
    scores: dict = {}
    for s in best:
        for i in sessions_items[s]:
            scores[i] = scores.get(i, 0.0) + sims[s]
    return scores


@pytest.mark.parametrize(("k", "normalize"), [(1, True), (2, True), (3, False), (10, True)])
def test_scores_equal_a_direct_computation(sessions, k, normalize):
    past = {1: "abc", 2: "ad", 3: "bce", 4: "f"}
    model = SessionKNN(k=k, normalize=normalize).fit(sessions)
    answer = model.recommend_for_session(["a", "b"], k=10, decay=0.5, exclude_session=False)
    expected = _direct(past, {"b": 1.0, "a": 0.5}, k, normalize)
    got = dict(zip(answer.item_ids(), answer.scores[0][:answer.lengths[0]].tolist(),
                   strict=True))
    assert got.keys() == expected.keys()
    for item, value in expected.items():
        assert got[item] == pytest.approx(value, rel=1e-5)


def test_the_newest_sessions_are_kept(sessions):
    model = SessionKNN(max_sessions=2).fit(sessions)  # sessions 3 and 4, the newest
    assert model.sessions_.shape[0] == 2
    assert model.recommend_for_session(["a"], k=5).item_ids() == []  # nobody left with "a"
    assert set(model.recommend_for_session(["b"], k=5).item_ids()) == {"c", "e"}


def test_explain_names_the_history_items_that_brought_the_votes(sessions):
    model = SessionKNN(k=2).fit(sessions)
    why = model.explain("c", basket=["b", "e"])  # sessions 3 (b, e) and 1 (b) vote for c
    assert why.method == "session neighbours" and why.details["voters"] == 2
    assert [name for name, _ in why.contributions] == ["b", "e"]
    recs = model.recommend_for_basket(["b", "e"], k=5)
    assert why.score == pytest.approx(float(recs.scores[0][recs.item_ids().index("c")]))


def test_a_log_without_products_is_refused():
    empty = Interactions.from_frame(pd.DataFrame({"user_id": [1], "item_id": ["a"],
                                                  "weight": [0.0]}), weight="weight")
    with pytest.raises(DataError):
        SessionKNN().fit(empty)

"""The next-item protocol: every position of held-out sessions, against a count by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys import DataError, Interactions
from recsys.evaluation.sessions import next_item
from recsys.models.popular import Popularity
from recsys.models.session_knn import SessionKNN


def _past():
    rng = np.random.default_rng(0)
    rows = [(s, f"P{int(i)}") for s in range(200) for i in rng.choice(12, 4, replace=False)]
    return pd.DataFrame(rows, columns=["session_id", "product_id"])


def test_hit_rate_and_mrr_equal_a_count_by_hand():
    past = _past()
    model = SessionKNN(k=20).fit(Interactions.from_frame(past, user=None, item="product_id",
                                                         basket="session_id"))
    held = pd.DataFrame({"session_id": [1, 1, 1, 2, 2, 2],
                         "product_id": ["P1", "P2", "P1", "P3", "P4", "P5"],
                         "timestamp": pd.to_datetime(["2026-01-01 10:00", "2026-01-01 10:05",
                                                      "2026-01-01 10:09", "2026-01-02 09:00",
                                                      "2026-01-02 09:01", "2026-01-02 09:02"])})
    got = next_item(model, held.sample(frac=1, random_state=0), k=3)
    # positions: [P1] -> P2; (P1 again: a repeat, skipped); [P3] -> P4; [P3, P4] -> P5
    queries, targets = [["P1"], ["P3"], ["P3", "P4"]], ["P2", "P4", "P5"]
    answer = model.recommend_for_session(queries, k=3, decay=0.5)
    ranks = [answer.item_ids(i).index(t) + 1 if t in answer.item_ids(i) else None
             for i, t in enumerate(targets)]
    assert got["positions"] == 3
    assert got["hit_rate"] == pytest.approx(sum(r is not None for r in ranks) / 3)
    assert got["mrr"] == pytest.approx(sum(1 / r for r in ranks if r) / 3)
    with_repeats = next_item(model, held, k=3, repeats=True)
    assert with_repeats["positions"] == 4


def test_the_protocol_refuses_what_it_cannot_read():
    model = Popularity().fit(Interactions.from_frame(_past(), user="session_id",
                                                     item="product_id"))
    with pytest.raises(DataError, match="no column 'when'"):
        next_item(model, _past(), timestamp="when")
    lone = pd.DataFrame({"session_id": [1, 2], "product_id": ["P1", "P2"]})
    with pytest.raises(DataError, match="two products"):
        next_item(model, lone, timestamp=None)

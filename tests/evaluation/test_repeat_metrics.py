"""The repeat/explore split checked against a hand computation."""

from __future__ import annotations

import pandas as pd
import pytest

from recsys import Interactions
from recsys.evaluation.repeat_metrics import repeat_explore


def _data(rows):
    return Interactions.from_frame(pd.DataFrame(rows, columns=["u", "i"]), user="u", item="i")


def test_repeat_and_explore_recall_by_hand():
    train = _data([(1, "a"), (1, "b"), (2, "a"), (3, "c")])
    test = _data([(1, "a"), (1, "b"), (1, "x"), (2, "y"), (2, "z"), (3, "c")])
    picks = pd.DataFrame({"query": [1, 1, 1, 2, 2, 3], "item": ["a", "x", "q", "a", "y", "d"],
                          "rank": [1, 2, 3, 1, 2, 1]})
    got = repeat_explore(picks, test, train, k=3)
    # repeat truth: u1 {a, b} -> picked a: 1/2; u3 {c} -> none: 0 -> mean 0.25
    assert got["recall_repeat"] == pytest.approx(0.25)
    # explore truth: u1 {x} -> 1; u2 {y, z} -> y: 1/2 -> mean 0.75
    assert got["recall_explore"] == pytest.approx(0.75)
    # picks that are repeats: u1 a, u2 a -> 2 of 6
    assert got["repeat_share"] == pytest.approx(2 / 6)
    # customers with a hit: u1, u2 of u1, u2, u3
    assert got["phr"] == pytest.approx(2 / 3)
    cut = repeat_explore(picks, test, train, k=1)  # only rank 1: u1 a, u2 a, u3 d
    assert cut["recall_explore"] == 0 and cut["phr"] == pytest.approx(1 / 3)

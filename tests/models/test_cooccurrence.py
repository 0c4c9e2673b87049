"""CoOccurrence: the model contract, and its similarities against counts made by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys import Interactions, InvalidParameterError
from recsys.models.cooccurrence import CoOccurrence
from recsys.testing import ModelContract


class TestCoOccurrenceContract(ModelContract):
    model = CoOccurrence
    variants = [{"k": 30}, {"measure": "count", "k": 30}, {"measure": "lift", "k": 5}]


@pytest.fixture
def tiny():
    # a bought {a, b}; b bought {a, b, c}; c bought {b, c}; d bought {a}
    frame = pd.DataFrame({"user_id": ["a", "a", "b", "b", "b", "c", "c", "d"],
                          "item_id": ["A", "B", "A", "B", "C", "B", "C", "A"]})
    return Interactions.from_frame(frame)


def _matrix(model):
    order = model.items_.to_index(["A", "B", "C"])
    return model.similarity_.toarray()[np.ix_(order, order)]


def test_the_measures_equal_counts_made_by_hand(tiny):
    # buyers: A 3, B 3, C 2; both: AB 2, AC 1, BC 2; customers 4
    count = _matrix(CoOccurrence(measure="count").fit(tiny))
    np.testing.assert_allclose(count, [[0, 2, 1], [2, 0, 2], [1, 2, 0]])
    jaccard = _matrix(CoOccurrence(measure="jaccard").fit(tiny))
    np.testing.assert_allclose(jaccard, [[0, 2 / 4, 1 / 4], [2 / 4, 0, 2 / 3], [1 / 4, 2 / 3, 0]],
                               rtol=1e-6)
    lift = _matrix(CoOccurrence(measure="lift").fit(tiny))
    np.testing.assert_allclose(lift, [[0, 8 / 9, 4 / 6], [8 / 9, 0, 8 / 6], [4 / 6, 8 / 6, 0]],
                               rtol=1e-6)


def test_a_customer_gets_what_the_same_customers_bought(tiny):
    model = CoOccurrence(measure="count").fit(tiny)
    assert model.recommend("d", k=2).item_ids() == ["B", "C"]  # A pairs with B twice, C once
    assert model.similar_items("C", k=1).item_ids() == ["B"]


def test_k_keeps_the_strongest_neighbours(tiny):
    model = CoOccurrence(measure="count", k=1).fit(tiny)
    assert (np.diff(model.similarity_.indptr) <= 1).all()


def test_an_unknown_measure_is_refused_by_name(tiny):
    with pytest.raises(InvalidParameterError) as error:
        CoOccurrence(measure="cosine").fit(tiny)
    assert error.value.param == "measure"

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


def _event_log(seed: int, rows: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"user_id": rng.integers(0, 300, rows),
                         "item_id": [f"P{i:03d}" for i in rng.zipf(1.3, rows) % 80],
                         "event": rng.choice(["view", "cart", "purchase"], rows,
                                             p=[0.7, 0.2, 0.1])})


def _by_hand(log: pd.DataFrame, first: str, then: str, measure: str) -> pd.DataFrame:
    """Customers with ``first`` on i and ``then`` on j, as a pandas merge, then the measure."""
    left = log[log["event"] == first][["user_id", "item_id"]].drop_duplicates()
    right = log[log["event"] == then][["user_id", "item_id"]].drop_duplicates()
    pairs = left.merge(right, on="user_id", suffixes=("_i", "_j"))
    pairs = pairs[pairs["item_id_i"] != pairs["item_id_j"]]
    counts = pairs.groupby(["item_id_i", "item_id_j"]).size().rename("count").reset_index()
    n_i = left["item_id"].value_counts()
    n_j = right["item_id"].value_counts()
    counts["jaccard"] = counts["count"] / (counts["item_id_i"].map(n_i)
                                           + counts["item_id_j"].map(n_j) - counts["count"])
    customers = log["user_id"].nunique()
    counts["lift"] = counts["count"] * customers / (counts["item_id_i"].map(n_i)
                                                    * counts["item_id_j"].map(n_j))
    return counts.set_index(["item_id_i", "item_id_j"])[measure]


@pytest.mark.parametrize("measure", ["count", "jaccard", "lift"])
@pytest.mark.parametrize(("first", "then"), [("view", None), ("view", "purchase"),
                                             ("cart", "purchase")])
def test_relations_between_event_kinds_equal_a_pandas_count(measure, first, then):
    """Viewed together (event only) and viewed, then bought (event and then): every kept
    cell equals the pandas count, and the cells kept are each product's k largest."""
    log = _event_log(seed=1)
    data = Interactions.from_frame(log, event="event",
                                   event_weights={"view": 1, "cart": 3, "purchase": 10})
    model = CoOccurrence(measure=measure, k=500, event=first, then=then).fit(data)
    expected = _by_hand(log, first, then or first, measure)
    cells = model.similarity_.tocoo()
    got = pd.Series(cells.data, index=pd.MultiIndex.from_arrays(
        [model.items_.ids[cells.row], model.items_.ids[cells.col]]))
    assert len(got) == len(expected)
    np.testing.assert_allclose(got.sort_index().to_numpy(),
                               expected.sort_index().to_numpy(), rtol=1e-6)
    if then is not None:  # directed: viewed i then bought j is not viewed j then bought i
        assert not np.allclose(model.similarity_.toarray(), model.similarity_.toarray().T)


def test_event_relations_refuse_what_they_cannot_read():
    log = _event_log(seed=2)
    data = Interactions.from_frame(log, event="event",
                                   event_weights={"view": 1, "cart": 3, "purchase": 10})
    with pytest.raises(InvalidParameterError, match="then= goes with event="):
        CoOccurrence(then="purchase").fit(data)
    with pytest.raises(InvalidParameterError, match="event must be an event kind"):
        CoOccurrence(event=3).fit(data)
    from recsys import DataError

    with pytest.raises(DataError, match="'wishlist'"):
        CoOccurrence(event="wishlist").fit(data)
    plain = Interactions.from_frame(log[["user_id", "item_id"]])
    with pytest.raises(DataError, match="no event kinds"):
        CoOccurrence(event="view").fit(plain)
    model = CoOccurrence(event="view").fit(data)
    with pytest.raises(DataError, match="event kinds"):
        model.forget(data.users.ids[:2])  # its state has no kinds: it needs the data
    assert model.forget(data.users.ids[:2], data=data)["how"] == "refit on the data"

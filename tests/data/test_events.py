"""Event kinds in the data container: coded per row, weighted per kind, summed per cell,
narrowed with select(event=...), and split with purchases only as the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import recsys
from recsys import DataError, Interactions, InvalidParameterError
from recsys.evaluation.split import temporal_split

WEIGHTS = {"view": 1.0, "cart": 4.0, "purchase": 10.0}


def _log():
    return pd.DataFrame({
        "visitor": [1, 1, 1, 2, 2, 3],
        "sku": ["a", "a", "b", "a", "c", "c"],
        "kind": ["view", "purchase", "cart", "view", "view", "purchase"],
        "at": pd.date_range("2026-01-01", periods=6, freq="D"),
    })


def _data(frame=None, **options):
    options = {"event": "kind", "event_weights": WEIGHTS, **options}
    return Interactions.from_frame(_log() if frame is None else frame, user="visitor", item="sku",
                                   timestamp="at", **options)


def test_kinds_are_coded_weighted_and_summed_per_cell():
    data = _data()
    assert data.events == ("cart", "purchase", "view")
    assert data.event_index.dtype == np.int8 and not data.event_index.flags.writeable
    matrix = pd.DataFrame(data.matrix("user").toarray(), index=data.users.ids,
                          columns=data.items.ids)
    assert matrix.loc[1, "a"] == 11.0 and matrix.loc[1, "b"] == 4.0 and matrix.loc[3, "c"] == 10.0
    frame = data.to_frame()
    assert frame["event"].tolist() == _log()["kind"].tolist()


def test_select_narrows_to_kinds_by_mask_and_by_position():
    data = _data()
    assert data.select(event="purchase").to_frame()["item_id"].tolist() == ["a", "c"]
    assert len(data.select(event=["view", "cart"])) == 4
    assert data.select(np.array([5, 0, 1]), event="purchase").to_frame()["item_id"].tolist() == \
        ["c", "a"]
    with pytest.raises(DataError, match="kinds are"):
        data.select(event="wishlist")
    with pytest.raises(DataError, match="no event kinds"):
        Interactions.from_frame(_log(), user="visitor", item="sku").select(event="view")


def test_a_split_judges_on_purchases_and_trains_on_everything():
    train, test = temporal_split(_data(), cutoff="2026-01-04", target_event="purchase")
    assert set(train.to_frame()["event"]) == {"view", "purchase", "cart"}
    assert test.to_frame()["event"].tolist() == ["purchase"]
    with pytest.raises(DataError, match="no 'purchase' row"):
        temporal_split(_data().select(np.arange(5)), cutoff="2026-01-05", target_event="purchase")
    browsing = _log().assign(kind=["view", "view", "cart", "view", "view", "cart"])
    with pytest.raises(DataError, match="none of the log's kinds"):
        temporal_split(_data(browsing), cutoff="2026-01-03", target_event="purchase")


def test_bad_event_inputs_are_refused_with_the_fix():
    with pytest.raises(DataError, match="no weight"):
        _data(event_weights={"view": 1, "purchase": 10})
    with pytest.raises(InvalidParameterError, match="finite number >= 0"):
        _data(event_weights={**WEIGHTS, "cart": -1})
    with pytest.raises(InvalidParameterError, match="scale the weights"):
        _data(event_weights={**WEIGHTS, "cart": 1e-300})
    with pytest.raises(InvalidParameterError, match="needs event_weights") as error:
        _data(event_weights=None)
    assert error.value.param == "event_weights"
    with pytest.raises(InvalidParameterError, match="pass event="):
        Interactions.from_frame(_log(), user="visitor", item="sku", event_weights=WEIGHTS)
    empty = _log().assign(kind=[None, "view", "view", "view", "view", "view"])
    with pytest.raises(DataError, match="empty values"):
        _data(empty)


def test_a_model_learns_from_every_kind():
    shop = recsys.make_shop(n_customers=300, n_products=50, seed=1)
    frame = shop.orders.assign(kind=np.where(np.arange(len(shop.orders)) % 3 == 0, "purchase",
                                             "view"))
    data = Interactions.from_frame(frame, user="customer_id", item="product_id", event="kind",
                                   event_weights={"view": 1, "purchase": 5})
    model = recsys.ItemKNN().fit(data)
    assert (model.recommend(data.users.ids[:5], k=3).lengths == 3).all()


logs = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 6),
                          st.sampled_from(["view", "cart", "purchase", "wish list"]),
                          st.one_of(st.just(0.0), st.floats(1e-3, 5))), min_size=1, max_size=40)
kind_weights = st.fixed_dictionaries({kind: st.one_of(st.just(0.0), st.floats(1e-3, 20))
                                      for kind in ("view", "cart", "purchase", "wish list")})


@settings(max_examples=60, deadline=None)
@given(logs, kind_weights)
def test_every_cell_is_the_sum_of_its_weighted_rows(rows, weights):
    frame = pd.DataFrame(rows, columns=["user", "item", "kind", "quantity"])
    data = Interactions.from_frame(frame, user="user", item="item", weight="quantity",
                                   event="kind", event_weights=weights)
    expected = (frame.assign(w=frame["quantity"] * frame["kind"].map(weights))
                .groupby(["user", "item"])["w"].sum())
    matrix = data.matrix("user").tocoo()
    got = pd.Series(matrix.data, index=pd.MultiIndex.from_arrays(
        [data.users.ids[matrix.row], data.items.ids[matrix.col]])).groupby(level=[0, 1]).sum()
    expected = expected[expected != 0]
    got = got[got != 0]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index().astype(np.float32),
                                   check_names=False, check_dtype=False, rtol=1e-5)


def test_the_command_line_reads_events_and_judges_on_purchases(tmp_path, capsys):
    from recsys.cli.main import main

    shop = recsys.make_shop(n_customers=400, n_products=60, seed=3)
    views = shop.orders.sample(frac=2.0, replace=True, random_state=1).assign(kind="view")
    log = pd.concat([shop.orders.assign(kind="purchase"), views], ignore_index=True)
    log.to_csv(tmp_path / "events.csv", index=False)
    common = ["evaluate", "--orders", str(tmp_path / "events.csv"), "--time-col", "timestamp",
              "--event-col", "kind", "--models", "Popularity", "--bootstrap", "0"]
    out = tmp_path / "table.csv"
    assert main([*common, "--event-weights", "view=1,purchase=5", "--target-event", "purchase",
                 "--out", str(out)]) == 0
    assert (pd.read_csv(out)["value"] > 0).any()
    capsys.readouterr()
    assert main([*common, "--event-weights", "view=1"]) == 1
    assert "--event-weights purchase=1,view=2" in capsys.readouterr().err
    assert main([*common, "--event-weights", "view=one"]) == 1
    assert "KIND=WEIGHT" in capsys.readouterr().err


_KINDS = ["view", "cart", "purchase", "wishlist"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(1, 8)), st.integers(1, 6),
                          st.sampled_from(_KINDS), st.integers(0, 5), st.integers(0, 100)),
                min_size=1, max_size=50),
       st.sampled_from([("view", None), ("view", "purchase"), ("cart", "purchase")]))
def test_event_logs_of_any_shape_give_a_right_answer_or_a_named_refusal(rows, kinds):
    """Logs with anonymous rows, one kind only, sessions of one event, times out of order,
    duplicate events, a customer also anonymous in other sessions: the product relations of
    CoOccurrence(event=, then=) equal a pandas count, SessionKNN answers every session with
    products it knows and never one of the session's own; anything else is a RecsysError."""
    from recsys import RecsysError
    from recsys.models.cooccurrence import CoOccurrence
    from recsys.models.session_knn import SessionKNN

    log = pd.DataFrame(rows, columns=["customer_id", "item", "event", "session", "minute"])
    log["item"] = "P" + log["item"].astype(str)
    log["timestamp"] = pd.Timestamp("2026-03-01") + pd.to_timedelta(log["minute"], unit="min")
    weights = {kind: 1.0 for kind in _KINDS}
    first, then = kinds
    known = log.dropna(subset=["customer_id"]).astype({"customer_id": "int64"})
    try:
        by_customer = Interactions.from_frame(known, user="customer_id", item="item",
                                              event="event", event_weights=weights)
        model = CoOccurrence(measure="count", k=100, event=first, then=then).fit(by_customer)
    except RecsysError as error:
        assert str(error) and (known.empty or first not in set(known["event"])
                               or (then is not None and then not in set(known["event"])))
    else:
        left = known[known["event"] == first][["customer_id", "item"]].drop_duplicates()
        right = known[known["event"] == (then or first)][["customer_id", "item"]]
        pairs = left.merge(right.drop_duplicates(), on="customer_id")
        pairs = pairs[pairs["item_x"] != pairs["item_y"]]
        expected = pairs.groupby(["item_x", "item_y"]).size()
        cells = model.similarity_.tocoo()
        got = pd.Series(cells.data, index=pd.MultiIndex.from_arrays(
            [model.items_.ids[cells.row], model.items_.ids[cells.col]]))
        assert got.sort_index().to_dict() == expected.sort_index().astype(float).to_dict()
    sessions = Interactions.from_frame(log, user=None, item="item", basket="session",
                                       timestamp="timestamp")
    model = SessionKNN(k=10).fit(sessions)
    visits = [group.sort_values("timestamp")["item"].tolist()
              for _, group in log.groupby("session")]
    answer = model.recommend_for_session(visits, k=3)
    for position, visit in enumerate(visits):
        picked = answer.item_ids(position)
        assert not set(picked) & set(visit)
        assert set(picked) <= set(model.items_.ids.tolist())

"""SequentialRules against a direct loop over each customer's purchases."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import recsys
from recsys import SLIST, Interactions, PersistenceError, SequentialRules
from recsys.io.persistence import write_file
from recsys.testing import ModelContract
from tests.models.test_item_to_item import assert_keeps_the_strongest


def _reference(frame: pd.DataFrame, data: Interactions, window: int, decay: float,
               backward: float, half_life: float | None):
    """(links row-normalised, history weights) by a loop over each customer's purchases."""
    n = data.n_items
    item = data.items.to_index(frame["item"].to_numpy())
    user = data.users.to_index(frame["user"].to_numpy())
    links = np.zeros((n, n))
    history = np.zeros((data.n_users, n))
    for u in np.unique(user):
        mine = np.flatnonzero(user == u)
        order = mine[np.lexsort((item[mine], frame["t"].to_numpy()[mine]))]
        items, times = item[order], frame["t"].to_numpy()[order]
        for p in range(len(items)):
            for q in range(p + 1, min(p + window, len(items) - 1) + 1):
                if items[p] == items[q]:
                    continue
                w = decay ** (q - p - 1)
                links[items[p], items[q]] += w
                links[items[q], items[p]] += w * (1.0 if times[p] == times[q] else backward)
        latest = {i: max(times[items == i]) for i in set(items.tolist())}
        for i, t in latest.items():
            rank = sum(1 for j, s in latest.items() if s > t)
            history[u, i] = 1.0 if half_life is None else 2.0 ** (-rank / half_life)
    sums = links.sum(axis=1, keepdims=True)
    return np.divide(links, sums, out=np.zeros_like(links), where=sums > 0), history


logs = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 7), st.integers(0, 6)),
                min_size=2, max_size=40)


@settings(max_examples=60, deadline=None)
@given(rows=logs, window=st.integers(1, 6), decay=st.sampled_from([0.5, 0.85, 1.0]),
       backward=st.sampled_from([0.0, 0.3, 1.0]), half_life=st.sampled_from([None, 1.0, 3.0]))
def test_links_and_history_match_a_loop(rows, window, decay, backward, half_life):
    frame = pd.DataFrame(rows, columns=["user", "item", "t"])
    frame["item"] = "p" + frame["item"].astype(str)
    frame["when"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(frame["t"], unit="h")
    data = Interactions.from_frame(frame, user="user", item="item", timestamp="when")
    model = SequentialRules(window=window, gap_decay=decay, backward=backward,
                            history_half_life=half_life, k=1000).fit(data)
    links, history = _reference(frame, data, window, decay, backward, half_life)
    np.testing.assert_allclose(model.similarity_.toarray(), links, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.history_.toarray(), history, rtol=1e-6)


def _log(sequences: dict[str, list[str]]) -> Interactions:
    rows = [(user, item, day) for user, items in sequences.items()
            for day, item in enumerate(items)]
    frame = pd.DataFrame(rows, columns=["user", "item", "day"])
    frame["day"] = pd.Timestamp("2026-03-01") + pd.to_timedelta(frame["day"], unit="D")
    return Interactions.from_frame(frame, user="user", item="item", timestamp="day")


def test_recommends_what_followed_the_customers_newest_purchase():
    data = _log({"a": ["film1", "film2", "film3"], "b": ["film1", "film2", "film3"],
                 "c": ["x", "film1", "film2"], "d": ["film3", "x"], "me": ["x", "film1"]})
    model = SequentialRules(window=1).fit(data)
    # film1 was followed by film2 every time; x by film1 or nothing
    assert model.recommend(["me"], k=1).item_ids(0) == ["film2"]
    explanation = model.explain("film2", user="me")
    assert explanation.method == "bought next"
    assert [item for item, _ in explanation.contributions] == ["film1"]


def test_newer_purchases_count_more():
    data = _log({"a": ["old", "after_old"], "b": ["new", "after_new"],
                 "me": ["old", "new"]})
    # "old" was followed by after_old and (in my own history) by new: half each
    recent = SequentialRules(window=1, history_half_life=1.0).fit(data)
    got = recent.recommend(["me"], k=2)
    assert got.item_ids(0) == ["after_new", "after_old"]
    np.testing.assert_allclose(got.scores[0], [1.0, 0.5 * 0.5])  # "old" counts half
    alike = SequentialRules(window=1, history_half_life=None).fit(data)
    np.testing.assert_allclose(alike.recommend(["me"], k=2).scores[0], [1.0, 0.5])


def test_a_basket_links_both_ways_and_row_order_does_not_matter():
    frame = pd.DataFrame({"user": ["a", "a", "b", "b"], "item": ["tea", "cup", "cup", "tea"],
                          "order": [1, 1, 2, 2]})
    forward = SequentialRules(backward=0.0)
    by_basket = forward.fit(Interactions.from_frame(frame, user="user", item="item",
                                                    basket="order")).similarity_.toarray()
    assert by_basket[0, 1] > 0 and by_basket[1, 0] > 0  # bought together: no order
    shuffled = frame.iloc[[3, 1, 0, 2]]
    again = SequentialRules(backward=0.0).fit(Interactions.from_frame(
        shuffled, user="user", item="item", basket="order")).similarity_.toarray()
    np.testing.assert_allclose(again, by_basket)


def test_without_dates_or_orders_rows_give_the_order():
    frame = pd.DataFrame({"user": ["a", "a", "b", "b"], "item": ["p1", "p2", "p1", "p2"]})
    model = SequentialRules().fit(Interactions.from_frame(frame, user="user", item="item"))
    links = model.similarity_.toarray()
    assert links[0, 1] == 1.0 and links[1, 0] == 0.0


@pytest.mark.parametrize("model", [SequentialRules(window=10), SLIST(l2=50.0)],
                         ids=["SequentialRules", "SLIST"])
def test_a_cart_counts_every_product_alike(shop, model):
    model.fit(shop.interactions)
    cart = shop.interactions.items.ids[[3, 8, 20]]
    got = model.recommend_for_basket(list(cart), k=5, exclude_basket=False)
    weights = model._weights()
    rows = weights[model.items_.to_index(cart)]
    rows = np.asarray(rows.sum(axis=0)).ravel()
    np.testing.assert_allclose(got.scores[0], np.sort(rows)[::-1][:5], rtol=1e-5)


def test_k_keeps_each_products_strongest_links(shop):
    full = SequentialRules(k=10_000).fit(shop.interactions).similarity_.toarray()
    pruned = SequentialRules(k=4).fit(shop.interactions).similarity_
    assert_keeps_the_strongest(full, pruned, k=4, every=5)


# the models that learn from the order of purchases (SequentialRules, SLIST) share these
@pytest.mark.parametrize("model", [SequentialRules(), SLIST()], ids=["SequentialRules", "SLIST"])
def test_default_beats_popularity_on_a_small_shop(model):
    shop = recsys.make_shop(n_customers=1500, n_products=150, mean_orders=10, seed=3)
    train, test = recsys.evaluation.split.temporal_split(shop.interactions, last_days=30)
    table = recsys.evaluate({"popular": recsys.Popularity(), "ordered": model},
                            train, test, k=10, metrics=["ndcg"], n_bootstrap=0)
    score = dict(zip(table["model"], table["value"], strict=True))
    assert score["ordered"] > score["popular"]


@pytest.mark.parametrize("param, value", [("window", 0), ("gap_decay", 0.0), ("gap_decay", 1.5),
                                          ("backward", -1.0), ("history_half_life", 0.0),
                                          ("k", 0)])
def test_bad_parameters_are_refused_by_name(shop, param, value):
    with pytest.raises(recsys.InvalidParameterError, match=param):
        SequentialRules(**{param: value}).fit(shop.interactions)


@pytest.mark.parametrize("key, value, message", [
    ("model/similarity/data", -1.0, "negative"),
    ("model/history/data", 2.0, r"\(0, 1\]"),
    ("model/history/data", 0.0, r"\(0, 1\]")])
def test_a_crafted_file_is_refused(shop, tmp_path, key, value, message):
    model = SequentialRules(window=5).fit(shop.interactions)
    path = tmp_path / "seq.npz"
    recsys.save(model, path)
    with np.load(path, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    manifest = json.loads(str(arrays.pop("__manifest__")[()]))
    arrays[key] = np.full_like(arrays[key], value)
    write_file(tmp_path / "crafted.npz", manifest, arrays)  # checksum recomputed
    with pytest.raises(PersistenceError, match=message):
        recsys.load(tmp_path / "crafted.npz")


class TestSequentialRulesContract(ModelContract):
    model = SequentialRules
    variants = [{"window": 10, "k": 30},
                {"window": 10, "k": 30, "backward": 1.0, "history_half_life": None}]

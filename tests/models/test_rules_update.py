"""AssociationRules.partial_fit: new orders give exactly the model fitted on all of them."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import recsys
from recsys import AssociationRules, Interactions
from recsys.exceptions import PersistenceError, UnsupportedError

PARAMS = {"min_support": 0.05, "min_confidence": 0.05, "min_lift": None}


def orders_frame(rows, id_kind):
    frame = pd.DataFrame(rows, columns=["customer", "order", "product"])
    if id_kind == "str":
        frame["product"] = "p" + frame["product"].astype(str)
        frame["customer"] = "c" + frame["customer"].astype(str)
    elif id_kind == "string":
        frame["product"] = ("p" + frame["product"].astype(str)).astype("string")
    return frame


def interactions(frame, users=True):
    return Interactions.from_frame(frame, user="customer" if users else None, item="product",
                                   basket="order")


def same_model(a, b, users):
    pd.testing.assert_frame_equal(a.rules_, b.rules_)
    assert a.items_ == b.items_ and a.n_baskets_ == b.n_baskets_
    assert a.min_count_ == b.min_count_
    np.testing.assert_array_equal(a.item_counts_, b.item_counts_)
    if users:
        assert a.users_ == b.users_
        assert (a.seen_ != b.seen_).nnz == 0
        ra, rb = a.recommend(b.users_.ids, k=4), b.recommend(b.users_.ids, k=4)
        np.testing.assert_array_equal(ra.item_index, rb.item_index)
        np.testing.assert_array_equal(ra.scores, rb.scores)
    cart = list(b.items_.ids[:2])
    np.testing.assert_array_equal(a.recommend_for_basket(cart, k=4).item_index,
                                  b.recommend_for_basket(cart, k=4).item_index)


order_rows = st.lists(st.tuples(st.integers(0, 8), st.integers(0, 40), st.integers(0, 14)),
                      min_size=4, max_size=160)


@settings(max_examples=60, deadline=None)
@given(order_rows, st.lists(st.floats(0.1, 0.9), min_size=1, max_size=3, unique=True),
       st.sampled_from(["int", "str", "string"]), st.booleans(),
       st.sampled_from([0.03, 0.05, 0.1, 0.2]), st.sampled_from([2, 3, 4]))
def test_partial_fits_equal_one_fit_on_all_orders(rows, cuts, id_kind, users, support, max_len):
    """Orders split anywhere (new products and customers arriving later, orders split across
    updates counted as new baskets): fit + partial_fit ... = fit on all, id kinds of every
    sort, with and without customers."""
    frame = orders_frame(rows, id_kind)
    # an order split across two chunks is two baskets: number them per chunk to match
    bounds = [0, *sorted({int(c * len(frame)) for c in cuts}), len(frame)]
    chunks = [frame.iloc[a:b].assign(order=frame["order"].iloc[a:b].astype(str) + f"-{n}")
              for n, (a, b) in enumerate(pairwise(bounds)) if b > a]
    params = {**PARAMS, "min_support": support, "max_len": max_len}
    model = AssociationRules(**params).fit(interactions(chunks[0], users))
    for chunk in chunks[1:]:
        model.partial_fit(interactions(chunk, users))
    whole = AssociationRules(**params).fit(interactions(pd.concat(chunks), users))
    same_model(model, whole, users)


def test_an_update_survives_the_model_file(tmp_path):
    shop = recsys.make_shop(n_customers=400, n_products=60, seed=3)
    orders = shop.orders.sort_values(["timestamp", "order_id"])
    cut = orders["timestamp"].quantile(0.75)
    first, later = orders[orders["timestamp"] <= cut], orders[orders["timestamp"] > cut]

    def data(frame):
        return Interactions.from_frame(frame, user="customer_id", item="product_id",
                                       basket="order_id")

    params = {"min_support": 0.005, "min_confidence": 0.05}
    model = AssociationRules(**params).fit(data(first))
    model.save(tmp_path / "m.npz")
    loaded = recsys.load(tmp_path / "m.npz")
    loaded.partial_fit(data(later))
    same_model(loaded, AssociationRules(**params).fit(data(orders)), users=True)
    assert loaded.update_seconds_ > 0


@pytest.mark.parametrize("params, words", [
    ({"min_support": "auto"}, "min_support='auto'"),
    ({"min_support": 0.1, "half_life_days": 7.0}, "half_life_days"),
    ({"min_support": 0.1, "history": 1}, "history"),
    ({"min_support": 0.1, "updatable": False}, "updatable=False"),
])
def test_what_cannot_be_updated_says_why(params, words):
    frame = pd.DataFrame({"customer": [1, 1, 2, 2], "order": [1, 1, 2, 2],
                          "product": ["a", "b", "a", "b"],
                          "time": pd.to_datetime(["2024-01-01"] * 2 + ["2024-01-02"] * 2)})
    data = Interactions.from_frame(frame, user="customer", item="product", basket="order",
                                   timestamp="time")
    model = AssociationRules(**params).fit(data)
    with pytest.raises(UnsupportedError, match=words.replace("(", r"\(")):
        model.partial_fit(data)


def test_new_orders_need_baskets_and_matching_customers():
    frame = pd.DataFrame({"customer": [1, 1, 2, 2], "order": [1, 1, 2, 2],
                          "product": ["a", "b", "a", "b"]})
    model = AssociationRules(**PARAMS).fit(interactions(frame))
    with pytest.raises(UnsupportedError, match="basket"):
        model.partial_fit(Interactions.from_frame(frame, user="customer", item="product"))
    with pytest.raises(UnsupportedError, match="customers exactly"):
        model.partial_fit(interactions(frame, users=False))
    with pytest.raises(recsys.DataError, match="Interactions"):
        model.partial_fit(frame)


def test_a_tampered_basket_file_is_refused(tmp_path):
    """Crafted with a valid checksum: baskets out of order, or counts that disagree with them."""
    import json

    from recsys.io.persistence import write_file

    frame = pd.DataFrame({"customer": [1, 1, 2, 2, 3], "order": [1, 1, 2, 2, 3],
                          "product": ["a", "b", "a", "b", "c"]})
    AssociationRules(**PARAMS).fit(interactions(frame)).save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as archive:
        arrays = {name: archive[name] for name in archive.files}
    manifest = json.loads(str(arrays.pop("__manifest__")[()]))
    indices = next(k for k in arrays if k.endswith("baskets/indices"))
    counts = next(k for k in arrays if k.endswith("summary/item_counts"))
    for key, bad, words in ((indices, arrays[indices][::-1].copy(), "ascending"),
                            (counts, arrays[counts] + 1, "disagrees")):
        write_file(tmp_path / "bad.npz", manifest, {**arrays, key: bad})
        with pytest.raises(PersistenceError, match=words):
            recsys.load(tmp_path / "bad.npz")


def test_serving_threads_during_updates_see_the_old_or_the_new_model():
    """8 threads answer carts and customers while another runs 50 partial_fit calls on the same
    model: no error, and every answer is one that some published state gives (the updates
    used to delete and re-set attributes one by one: thousands of AttributeErrors)."""
    import threading

    rng = np.random.default_rng(0)
    rows = [(int(c), int(o), int(p)) for o, (c, p) in enumerate(
        zip(rng.integers(0, 60, 3000), rng.zipf(1.6, 3000) % 40, strict=True))]
    frame = orders_frame(rows, "str")
    frame["order"] = frame.index // 3  # three lines an order
    batches = np.array_split(np.arange(len(frame)), 51)
    first = interactions(frame.iloc[batches[0]])
    later = [interactions(frame.iloc[b]) for b in batches[1:]]
    cart = ["p1", "p2"]
    customers = list(first.users.ids[:5])

    def answer(model):
        return (model.recommend_for_basket(cart, k=5, on_unknown="skip").to_dict(),
                model.recommend(customers, k=5, on_unknown="skip").to_dict())

    replay = AssociationRules(**PARAMS).fit(first)
    expected = [answer(replay)]
    for batch in later:
        expected.append(answer(replay.partial_fit(batch)))

    model = AssociationRules(**PARAMS).fit(first)
    errors, answers, done = [], [], threading.Event()

    def serve():
        while not done.is_set():
            try:
                answers.append(answer(model))
            except Exception as exc:  # any error at all is a failure of the test
                errors.append(exc)

    servers = [threading.Thread(target=serve) for _ in range(8)]
    for thread in servers:
        thread.start()
    try:
        for batch in later:
            model.partial_fit(batch)
    finally:
        done.set()
        for thread in servers:
            thread.join()
    assert errors == []
    assert len(answers) > 100
    for call in (0, 1):  # each call answers from one state (the pair may straddle an update)
        known = [e[call] for e in expected]
        assert [a[call] for a in answers if a[call] not in known] == []
    assert len({str(a) for a in answers}) > 1  # the threads did serve across updates


# ---------------------------------------------------------------------- retried updates
def _day_files(tmp_path):
    rng = np.random.default_rng(3)
    rows = [(int(c), int(o), int(p)) for o, (c, p) in enumerate(
        zip(rng.integers(0, 80, 1200), rng.zipf(1.5, 1200) % 30, strict=True))]
    frame = orders_frame(rows, "str")
    frame["order"] = frame.index // 3
    first, second = frame.iloc[:900], frame.iloc[900:]
    first.to_csv(tmp_path / "first.csv", index=False)
    second.to_csv(tmp_path / "second.csv", index=False)
    return frame, first, second


def test_the_same_orders_added_twice_are_refused_skipped_or_added_on_request(tmp_path):
    frame, first, second = _day_files(tmp_path)
    model = AssociationRules(**PARAMS).fit(interactions(first))
    model.partial_fit(interactions(second))
    once = model.rules_.copy()
    with pytest.raises(recsys.DataError, match="added already"):
        model.partial_fit(interactions(second))
    with pytest.warns(UserWarning, match="left as it was"):
        model.partial_fit(interactions(second), duplicates="skip")
    pd.testing.assert_frame_equal(model.rules_, once)
    same_model(model, AssociationRules(**PARAMS).fit(interactions(frame)), users=True)
    with pytest.raises(recsys.DataError, match="added already"):  # the fit's own orders too
        AssociationRules(**PARAMS).fit(interactions(first)).partial_fit(interactions(first))
    twice = model.partial_fit(interactions(second), duplicates="add")
    assert twice.n_baskets_ == interactions(frame).n_baskets + interactions(second).n_baskets


def test_a_retried_rules_update_leaves_the_model_as_one_fit_on_all(tmp_path, capsys):
    from recsys.cli.main import main

    frame, _, _ = _day_files(tmp_path)
    model_file = tmp_path / "rules.npz"
    base = ["--item-col", "product", "--basket-col", "order"]
    assert main(["rules", "--orders", str(tmp_path / "first.csv"), *base, "--min-support",
                 "0.05", "--min-confidence", "0.05", "--save", str(model_file)]) == 0
    update = ["rules", "--orders", str(tmp_path / "second.csv"), *base, "--update",
              str(model_file)]
    assert main(update) == 0
    after_one = model_file.read_bytes()
    assert main(update) == 1  # the retry: refused, the file untouched
    assert "--duplicates skip" in capsys.readouterr().err
    assert model_file.read_bytes() == after_one
    assert main([*update, "--duplicates", "skip"]) == 0
    assert model_file.read_bytes() == after_one
    every = AssociationRules(min_support=0.05, min_confidence=0.05).fit(
        interactions(frame, users=False))
    pd.testing.assert_frame_equal(recsys.load(model_file).rules_, every.rules_)


def _saved_then_update(tmp_path) -> list[str]:
    """Rules saved from the first day's file; the command line that adds the second's."""
    from recsys.cli.main import main

    _day_files(tmp_path)
    model_file = tmp_path / "rules.npz"
    base = ["--item-col", "product", "--basket-col", "order"]
    assert main(["rules", "--orders", str(tmp_path / "first.csv"), *base, "--min-support",
                 "0.05", "--save", str(model_file)]) == 0
    return ["rules", "--orders", str(tmp_path / "second.csv"), *base, "--update",
            str(model_file)]


def test_rules_update_with_an_unwritable_out_leaves_the_model_untouched(tmp_path, capsys):
    from recsys.cli.main import main

    update = _saved_then_update(tmp_path)
    before = (tmp_path / "rules.npz").read_bytes()
    code = main([*update, "--out", str(tmp_path / "missing" / "rules.csv")])
    assert code == 1 and (tmp_path / "rules.npz").read_bytes() == before


def test_thresholds_given_with_an_update_are_refused(tmp_path, capsys):
    from recsys.cli.main import main

    update = _saved_then_update(tmp_path)
    assert main([*update, "--min-support", "0.2"]) == 1
    assert "--min-support" in capsys.readouterr().err


def test_a_file_whose_tracked_counts_exceed_their_items_is_refused(tmp_path):
    from recsys.io.persistence import write_file
    from tests.io.test_model_files import _raw

    _, first, _ = _day_files(tmp_path)
    path = tmp_path / "rules.npz"
    AssociationRules(**PARAMS).fit(interactions(first)).save(path)
    manifest, arrays = _raw(path)
    key = "model/summary/tables/0/counts"
    assert key in arrays and len(arrays[key])
    arrays[key] = arrays[key] * 3  # a pair counted three times its real count
    crafted = tmp_path / "crafted.npz"
    write_file(crafted, manifest, arrays)
    with pytest.raises(PersistenceError, match="more often than"):
        recsys.load(crafted)

"""Interaction weighting and time decay (recsys.models.weighting and the models' parameters)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys import ALS, EASE, DataError, Interactions, InvalidParameterError, ItemKNN
from recsys.models.weighting import BM25_B, BM25_K1, Weighting, decayed_matrix


def _counts(seed: int, rows: int = 40, cols: int = 15) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = rng.integers(0, 4, (rows, cols)) * (rng.random((rows, cols)) < 0.4)
    dense[np.arange(rows), rng.integers(0, cols, rows)] += 1  # no empty row
    dense[rng.integers(0, rows, cols), np.arange(cols)] += 1  # no empty column
    return sp.csr_matrix(dense.astype(np.float32))


@pytest.mark.parametrize("kind", ["bm25", "tfidf"])
def test_weighting_matches_implicit_with_products_as_documents(kind):
    from implicit.nearest_neighbours import bm25_weight, tfidf_weight

    X = _counts(0)
    ours = Weighting.fit(kind, X).transform(X).toarray()
    theirs = (bm25_weight(X.T, K1=BM25_K1, B=BM25_B) if kind == "bm25"
              else tfidf_weight(X.T)).T.toarray()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_log_and_binary_weighting():
    X = _counts(1)
    np.testing.assert_allclose(Weighting.fit("log", X).transform(X).toarray(),
                               np.log1p(X.toarray()), rtol=1e-6)
    assert set(Weighting.fit("binary", X).transform(X).data) == {1.0}
    assert Weighting.fit(None, X).transform(X).toarray().tolist() == X.toarray().tolist()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), kind=st.sampled_from(["bm25", "tfidf", "log", "binary"]))
def test_a_cart_is_weighted_as_its_training_row_was(seed, kind):
    X = _counts(seed)
    weighting = Weighting.fit(kind, X)
    whole = weighting.transform(X)
    rows = np.random.default_rng(seed).choice(X.shape[0], 5, replace=False)
    np.testing.assert_allclose(weighting.transform(X[rows]).toarray(), whole[rows].toarray(),
                               rtol=1e-6)
    assert X.toarray().tolist() == _counts(seed).toarray().tolist()  # the input is untouched


def _dated(days_ago: list[float], items: list[str]) -> Interactions:
    end = pd.Timestamp("2024-06-30")
    frame = pd.DataFrame({"customer": ["c"] * len(items) + ["d"], "product": items + ["z"],
                          "when": [end - pd.Timedelta(days=d) for d in days_ago] + [end]})
    return Interactions.from_frame(frame, user="customer", item="product", timestamp="when")


def test_decay_halves_a_weight_every_half_life():
    data = _dated([0.0, 30.0, 60.0], ["a", "a", "b"])
    matrix = decayed_matrix(data, 30.0).toarray()
    user = int(data.users.to_index(["c"])[0])
    a, b = data.items.to_index(["a", "b"])
    assert matrix[user, a] == pytest.approx(1.5)
    assert matrix[user, b] == pytest.approx(0.25)


def test_decay_needs_timestamps():
    frame = pd.DataFrame({"customer": ["c", "d"], "product": ["a", "b"]})
    data = Interactions.from_frame(frame, user="customer", item="product")
    with pytest.raises(DataError, match="timestamps"):
        ItemKNN(half_life_days=30.0).fit(data)


def test_a_known_customer_is_scored_on_the_decayed_history():
    # the old purchase of "a" counts a sixteenth of the recent one of "b"
    data = _dated([120.0, 0.0], ["a", "b"])
    model = ItemKNN(k=5, half_life_days=30.0).fit(data)
    weights = model.history_[int(model.users_.to_index(["c"])[0])].toarray().ravel()
    a, b = model.items_.to_index(["a", "b"])
    assert weights[a] == pytest.approx(weights[b] / 16)


def test_binary_als_ignores_counts(shop):
    data = shop.interactions
    tripled = Interactions(item_index=data.item_index, items=data.items,
                           user_index=data.user_index, users=data.users,
                           weights=data.weights * 3.0 + 1.0, timestamps=data.timestamps)
    a = ALS(factors=8, iterations=3, weighting="binary", num_threads=1).fit(data)
    b = ALS(factors=8, iterations=3, weighting="binary", num_threads=1).fit(tripled)
    np.testing.assert_allclose(a.item_factors_, b.item_factors_, rtol=1e-5, atol=1e-6)
    c = ALS(factors=8, iterations=3, num_threads=1).fit(tripled)
    assert not np.allclose(a.item_factors_, c.item_factors_)


def test_weighting_changes_what_item_knn_and_ease_learn(shop):
    data = shop.interactions
    plain = ItemKNN(k=20, num_threads=1).fit(data).similarity_
    weighted = ItemKNN(k=20, num_threads=1, weighting="bm25").fit(data).similarity_
    assert abs(plain - weighted).max() > 1e-3
    binary = EASE(l2=50.0).fit(data).weights_
    logged = EASE(l2=50.0, weighting="log").fit(data).weights_
    assert np.abs(binary - logged).max() > 1e-3


@pytest.mark.parametrize("model", [ALS, ItemKNN, EASE])
def test_unknown_weighting_is_refused(model, shop):
    with pytest.raises(InvalidParameterError, match="weighting"):
        model(weighting="bm-25").fit(shop.interactions)
    with pytest.raises(InvalidParameterError, match="half_life_days"):
        model(half_life_days=0).fit(shop.interactions)


def test_popularity_with_a_half_life_counts_each_buyer_by_their_latest_purchase():
    end = pd.Timestamp("2024-06-30")
    frame = pd.DataFrame({
        "customer": ["c", "c", "d", "e", "e"],
        "product": ["a", "a", "a", "b", "b"],
        "when": [end - pd.Timedelta(days=d) for d in (70, 10, 40, 20, 0)]})
    data = Interactions.from_frame(frame, user="customer", item="product", timestamp="when")
    from recsys import Popularity

    model = Popularity(half_life_days=10.0).fit(data)
    a, b = model.items_.to_index(["a", "b"])
    # a: c's latest at 10 days (0.5) + d's at 40 (1/16); b: e's latest today (1); then the
    # tie-break share of all-time buyers (2 and 1 of at most 2)
    assert model.scores_[a] == pytest.approx(0.5 + 1 / 16 + 2 / 3, rel=1e-5)
    assert model.scores_[b] == pytest.approx(1.0 + 1 / 3, rel=1e-5)
    assert model.recommend("d", k=1, exclude_seen=False).item_ids() == ["b"]


def test_binary_with_a_half_life_counts_a_product_by_its_latest_purchase():
    data = _dated([60.0, 0.0, 30.0], ["a", "a", "b"])
    model = EASE(l2=1.0, half_life_days=30.0).fit(data)
    row = model.history_[int(model.users_.to_index(["c"])[0])].toarray().ravel()
    a, b, z = model.items_.to_index(["a", "b", "z"])
    assert (row[a], row[b], row[z]) == (pytest.approx(1.0), pytest.approx(0.5), 0.0)
    # a cart has no dates: its products count 1 each; z, never bought with a or b, scores
    # exactly 0 and is not padded in
    cart = model.recommend_for_basket(["a", "b"], k=1)
    assert cart.item_ids() == []
    assert model.explain("z", basket=["a", "b"]).score == 0.0


def test_purchases_decayed_past_twenty_half_lives_are_dropped_not_underflowed():
    import warnings

    data = _dated([580.0, 575.0, 0.0], ["a", "b", "c"])  # decays of about 1e-25
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division by a zero norm inside implicit
        model = ItemKNN(k=5, half_life_days=7.0, num_threads=1).fit(data)
    assert np.isfinite(model.similarity_.data).all()
    row = model.history_[int(model.users_.to_index(["c"])[0])]
    assert sorted(model.items_.ids[row.indices]) == ["c"]
    assert model.recommend("d", k=3).item_ids() is not None


def test_a_long_absent_customer_is_still_scored_on_their_own_history():
    # c bought a and b long ago (their training weight decays to nothing); d buys a and z now
    end = pd.Timestamp("2024-06-30")
    frame = pd.DataFrame({
        "customer": ["c", "c", "d", "d", "e", "e"], "product": ["a", "b", "a", "z", "b", "z"],
        "when": [end - pd.Timedelta(days=d) for d in (900, 890, 1, 0, 2, 0)]})
    data = Interactions.from_frame(frame, user="customer", item="product", timestamp="when")
    for model in (EASE(l2=1.0, half_life_days=7.0), ItemKNN(k=5, half_life_days=7.0)):
        model.fit(data)
        row = model.history_[int(model.users_.to_index(["c"])[0])]
        a, b = model.items_.to_index(["a", "b"])
        # per the customer's own newest purchase: b (newest) 1, a ten days older
        assert dict(zip(row.indices.tolist(), row.data.tolist(), strict=True)) == pytest.approx(
            {b: 1.0, a: 2 ** (-10 / 7)})
        assert model.recommend("c", k=1).item_ids() == ["z"]


def test_a_state_without_its_weighted_history_is_refused_and_a_plain_one_loads(shop):
    from recsys import PersistenceError

    decayed = ItemKNN(k=10, half_life_days=30.0, num_threads=1).fit(shop.interactions)
    arrays, meta = decayed.get_state()
    kept = {key: value for key, value in arrays.items() if not key.startswith("model/history/")}
    with pytest.raises(PersistenceError, match="weighted history"):
        ItemKNN(k=10, half_life_days=30.0).set_state(kept, meta)
    # a plain model's state built elsewhere (ALS from Spark) has no weighting arrays: it loads
    plain = ALS(factors=4, iterations=2, num_threads=1).fit(shop.interactions)
    arrays, meta = plain.get_state()
    bare = {key: value for key, value in arrays.items() if not key.startswith("model/weighting/")}
    with pytest.raises(PersistenceError, match="does not hold 'alpha'"):
        ALS(factors=4, iterations=2).set_state(bare, {})  # "auto": the fitted value is needed
    again = ALS(factors=4, iterations=2, alpha=plain.alpha_,
                regularization=plain.regularization_).set_state(bare, {})
    assert again.recommend_for_basket(list(shop.interactions.items.ids[:2]), k=3).item_ids() == \
        plain.recommend_for_basket(list(shop.interactions.items.ids[:2]), k=3).item_ids()

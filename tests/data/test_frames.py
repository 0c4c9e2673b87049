"""Frames of other libraries: pyarrow Tables and polars (eager and lazy) give the container
exactly what the same pandas frame gives; only the used columns are converted; Arrow
timestamps are converted, never parsed as text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import recsys
from recsys import DataError, Interactions
from recsys.data.frames import as_pandas

pa = pytest.importorskip("pyarrow")


def _orders(n=500, zone=None):
    rng = np.random.default_rng(0)
    times = pd.Timestamp("2026-01-01", tz=zone) + pd.to_timedelta(rng.integers(0, 86_400 * 90, n),
                                                                  unit="s")
    return pd.DataFrame({"customer_id": rng.integers(1, 60, n),
                         "product_id": [f"P{i}" for i in rng.integers(0, 40, n)],
                         "timestamp": times, "unused": rng.random(n)})


def _same(a: Interactions, b: Interactions):
    assert a.users.ids.tolist() == b.users.ids.tolist()
    assert a.items.ids.tolist() == b.items.ids.tolist()
    np.testing.assert_array_equal(a.user_index, b.user_index)
    np.testing.assert_array_equal(a.timestamps, b.timestamps)


@pytest.mark.parametrize("zone", [None, "Europe/Berlin"])
def test_arrow_and_polars_frames_give_what_pandas_gives(zone):
    frame = _orders(zone=zone)
    plain = Interactions.from_frame(frame, user="customer_id", item="product_id",
                                    timestamp="timestamp")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    _same(Interactions.from_frame(table, user="customer_id", item="product_id",
                                  timestamp="timestamp"), plain)
    polars = pytest.importorskip("polars")
    for other in (polars.from_arrow(table), polars.from_arrow(table).lazy()):
        _same(Interactions.from_frame(other, user="customer_id", item="product_id",
                                      timestamp="timestamp"), plain)


def test_only_the_used_columns_are_converted_and_a_missing_one_is_named():
    table = pa.Table.from_pandas(_orders(), preserve_index=False)
    narrowed = as_pandas(table, "orders", ["customer_id", "timestamp"])
    assert list(narrowed.columns) == ["customer_id", "timestamp"]
    with pytest.raises(DataError, match="unused"):  # the message lists every column
        Interactions.from_frame(table, user="customer_id", item="product")
    assert recsys.ItemKNN().fit(Interactions.from_frame(table, user="customer_id",
                                                        item="product_id")).is_fitted


# --- the same model whatever the frame and the id kind (#37) ---------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

#: how an id column can be typed, in pandas and in Arrow
ID_KINDS = ("int", "text", "pandas-string", "categorical", "arrow-string", "arrow-large_string",
            "arrow-dictionary", "arrow-int32")


def _typed(values: list, kind: str):
    """``values`` (ints) as a pandas column of ``kind``, and the plain ids it stands for."""
    text = [f"C{v:03d}" for v in values]
    if kind == "int":
        return pd.Series(values, dtype="int64"), values
    if kind == "arrow-int32":
        return pd.Series(values, dtype=pd.ArrowDtype(pa.int32())), values
    if kind == "text":
        return pd.Series(text, dtype=object), text
    if kind == "pandas-string":
        return pd.Series(text, dtype="string"), text
    if kind == "categorical":
        return pd.Series(text, dtype="category"), text
    arrow = {"arrow-string": pa.string(), "arrow-large_string": pa.large_string(),
             "arrow-dictionary": pa.dictionary(pa.int32(), pa.string())}[kind]
    return pd.Series(pd.array(pa.array(text).cast(arrow), dtype=pd.ArrowDtype(arrow))), text


def _kinds_of(frame: pd.DataFrame):
    """The same rows as pandas, a pyarrow Table, a polars DataFrame and a LazyFrame."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    out = {"pandas": frame, "pyarrow": table}
    polars = pytest.importorskip("polars")
    out["polars"] = polars.from_arrow(table)
    out["polars-lazy"] = out["polars"].lazy()
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.integers(0, 12), st.integers(0, 9)), min_size=3, max_size=60),
       user_kind=st.sampled_from(ID_KINDS), item_kind=st.sampled_from(ID_KINDS))
def test_every_frame_kind_and_id_kind_gives_the_same_model(rows, user_kind, item_kind):
    users, plain_users = _typed([u for u, _ in rows], user_kind)
    items, plain_items = _typed([i for _, i in rows], item_kind)
    reference = Interactions.from_frame(
        pd.DataFrame({"customer_id": plain_users, "product_id": plain_items}),
        user="customer_id", item="product_id")
    model = recsys.ItemKNN().fit(reference)
    asked = reference.users.ids[:5]
    expected = model.recommend(asked, k=3).to_dict()
    for name, frame in _kinds_of(pd.DataFrame({"customer_id": users,
                                               "product_id": items})).items():
        data = Interactions.from_frame(frame, user="customer_id", item="product_id")
        assert data.users.ids.tolist() == reference.users.ids.tolist(), name
        assert data.items.ids.tolist() == reference.items.ids.tolist(), name
        assert (data.matrix("user") != reference.matrix("user")).nnz == 0, name
        assert recsys.ItemKNN().fit(data).recommend(asked, k=3).to_dict() == expected, name


# --- results come back in the kind they came in ---------------------------------------------

def _shop_orders():
    shop = recsys.make_shop(n_customers=80, n_products=20, seed=3)
    return shop.orders


def test_results_follow_the_kind_of_the_orders():
    from recsys.campaign.segments import rfm
    from recsys.customers import send_times, summary

    polars = pytest.importorskip("polars")
    orders = _shop_orders()
    table = pa.Table.from_pandas(orders, preserve_index=False)
    for function, key in ((rfm, "customer_id"), (summary, "customer_id"),
                          (send_times, "customer_id")):
        plain = function(orders)
        plain = plain.reset_index() if plain.index.name else plain
        as_arrow = function(table)
        as_polars = function(polars.from_arrow(table).lazy())
        assert isinstance(as_arrow, pa.Table) and isinstance(as_polars, polars.DataFrame)
        for other in (as_arrow.to_pandas(), as_polars.to_pandas()):
            assert other[key].tolist() == plain[key].tolist()
            pd.testing.assert_frame_equal(other[plain.columns], plain, check_dtype=False)


def test_recommendations_come_as_the_kind_asked():
    polars = pytest.importorskip("polars")
    shop = recsys.make_shop(n_customers=60, n_products=20, seed=1)
    recs = recsys.Popularity().fit(shop.interactions).recommend(
        shop.interactions.users.ids[:4], k=3)
    plain = recs.to_frame()
    assert isinstance(recs.to_frame(kind="polars"), polars.DataFrame)
    assert recs.to_frame(kind="pyarrow").to_pandas().equals(plain)
    with pytest.raises(recsys.InvalidParameterError, match="kind must be one of"):
        recs.to_frame(kind="spark")


def test_a_frame_no_library_knows_is_refused_by_name():
    with pytest.raises(DataError, match="must be a table of rows.*got builtins.dict"):
        Interactions.from_frame({"customer_id": [1]}, user="customer_id", item="product_id")


def test_picks_for_a_polars_or_arrow_audience_and_catalogue_come_back_in_their_kind():
    from recsys.campaign import make_picks

    polars = pytest.importorskip("polars")
    shop = recsys.make_shop(n_customers=100, n_products=30, seed=2)
    model = recsys.Popularity().fit(shop.interactions)
    who = shop.interactions.users.ids[:6]
    plain = make_picks(model, who, k=3, products=shop.products).picks
    as_polars = make_picks(model, polars.Series("c", who), k=3,
                           products=polars.from_pandas(shop.products)).picks
    as_arrow = make_picks(model, pa.array(who), k=3,
                          products=pa.Table.from_pandas(shop.products)).picks
    assert isinstance(as_polars, polars.DataFrame) and isinstance(as_arrow, pa.Table)
    pd.testing.assert_frame_equal(as_polars.to_pandas(), plain)
    pd.testing.assert_frame_equal(as_arrow.to_pandas(), plain)
    assert model.recommend(pa.chunked_array([who]), k=3).to_dict() == \
        model.recommend(who, k=3).to_dict()

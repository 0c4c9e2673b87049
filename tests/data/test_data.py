"""IdMap, Interactions and their validation: one test per kind of bad input."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys import DataError, IdMap, Interactions, UnknownIdError


# ---------------------------------------------------------------------- IdMap
@given(st.lists(st.integers(-10**12, 10**12), min_size=1, max_size=60))
def test_idmap_round_trips_ints(ids):
    m = IdMap(ids)
    assert len(m) == len(set(ids))
    assert m.to_ids(m.to_index(ids)).tolist() == ids
    assert list(m) == sorted(set(ids))


@given(st.lists(st.text(min_size=1, max_size=8).filter(lambda s: "\x00" not in s),
                min_size=1, max_size=60))
def test_idmap_round_trips_strings(ids):
    m = IdMap(ids)
    assert m.kind == "str"
    assert m.to_ids(m.to_index(ids)).tolist() == ids


def test_idmap_order_does_not_depend_on_input_order():
    assert IdMap(["b", "c", "a"]) == IdMap(["a", "b", "c", "c"])


def test_idmap_missing_policies():
    m = IdMap([1, 2, 3])
    with pytest.raises(UnknownIdError) as err:
        m.to_index([1, 9])
    assert err.value.ids == [9]
    assert m.to_index([1, 9], missing="skip").tolist() == [0]
    assert m.to_index([1, 9], missing="mask").tolist() == [0, -1]
    assert 2 in m and 9 not in m and "2" not in m


def test_idmap_type_mismatch_names_the_fix():
    with pytest.raises(UnknownIdError, match="convert the query ids to int"):
        IdMap([1, 2]).to_index(["1"])


def test_idmap_accepts_pandas_string_dtype():
    ids = pd.Series(["x", "y"], dtype="string")
    assert IdMap(ids).kind == "str"


def test_integral_floats_become_ints():
    assert IdMap([17850.0, 13047.0]).ids.tolist() == [13047, 17850]


# ---------------------------------------------------------------------- Interactions
def orders(**overrides):
    frame = pd.DataFrame({
        "user_id": [1, 1, 2, 3],
        "item_id": ["a", "b", "a", "c"],
        "qty": [1.0, 2.0, 1.0, 3.0],
        "when": ["2024-01-01", "2024-01-02", "2024-01-03 10:00", "2024-02-01"],
        "order": [10, 10, 11, 12],
    })
    for key, value in overrides.items():
        frame[key] = value
    return frame


def test_from_frame_builds_and_round_trips():
    df = orders()
    before = df.copy()
    data = Interactions.from_frame(df, weight="qty", timestamp="when", basket="order")
    pd.testing.assert_frame_equal(df, before)
    assert (data.n_users, data.n_items, data.n_baskets, len(data)) == (3, 3, 3, 4)
    back = data.to_frame()
    assert back["user_id"].tolist() == [1, 1, 2, 3]
    assert back["item_id"].tolist() == ["a", "b", "a", "c"]
    assert back["weight"].tolist() == [1.0, 2.0, 1.0, 3.0]
    assert back["basket_id"].tolist() == [10, 10, 11, 12]
    assert str(back["timestamp"].iloc[2]) == "2024-01-03 10:00:00"
    assert data.matrix("user").toarray().tolist() == [[1, 2, 0], [1, 0, 0], [0, 0, 3]]
    assert data.matrix("basket").toarray().tolist() == [[1, 1, 0], [1, 0, 0], [0, 0, 1]]


def test_arrays_are_read_only():
    data = Interactions.from_frame(orders())
    with pytest.raises(ValueError):
        data.item_index[0] = 5


def test_duplicates_are_summed_in_the_matrix():
    df = pd.DataFrame({"user_id": [1, 1], "item_id": ["a", "a"]})
    assert Interactions.from_frame(df).matrix("user").toarray().tolist() == [[2.0]]


@pytest.mark.parametrize("dtype", ["int64", "str", "string"])
def test_id_dtypes(dtype):
    df = pd.DataFrame({"user_id": pd.Series([5, 6, 5]).astype(dtype), "item_id": [1, 2, 2]})
    data = Interactions.from_frame(df)
    assert data.users.kind == ("int" if dtype == "int64" else "str")
    assert data.n_users == 2


def test_missing_column():
    with pytest.raises(DataError, match="'customer'.*not in the frame.*user_id"):
        Interactions.from_frame(orders(), user="customer")


def test_nan_ids():
    with pytest.raises(DataError, match=r"user_id.*1 missing.*row\(s\) 2"):
        Interactions.from_frame(orders(user_id=[1, 1, None, 3]))


def test_none_item_ids():
    with pytest.raises(DataError, match="item_id.*missing"):
        Interactions.from_frame(orders(item_id=["a", None, "a", "c"]))


def test_mixed_id_types():
    with pytest.raises(DataError, match="mixes int and string ids.*astype\\(str\\)"):
        Interactions.from_frame(orders(item_id=pd.Series([1, "b", "a", "c"], dtype=object)))


def test_non_integral_float_ids():
    with pytest.raises(DataError, match="non-integral"):
        Interactions.from_frame(orders(user_id=[1.5, 1, 2, 3]))


def test_boolean_ids():
    with pytest.raises(DataError, match="booleans"):
        Interactions.from_frame(orders(user_id=[True, False, True, True]))


def test_negative_weights():
    with pytest.raises(DataError, match="'qty'.*1 negative.*-2"):
        Interactions.from_frame(orders(qty=[1.0, -2.0, 1.0, 1.0]), weight="qty")


def test_non_finite_weights():
    with pytest.raises(DataError, match="'qty'.*missing or infinite"):
        Interactions.from_frame(orders(qty=[1.0, np.inf, 1.0, 1.0]), weight="qty")
    with pytest.raises(DataError, match="'qty'.*missing or infinite"):
        Interactions.from_frame(orders(qty=[1.0, np.nan, 1.0, 1.0]), weight="qty")


def test_non_numeric_weights():
    with pytest.raises(DataError, match="must be numeric"):
        Interactions.from_frame(orders(qty=["1", "2", "3", "4"]), weight="qty")


def test_empty_frame():
    with pytest.raises(DataError, match="empty"):
        Interactions.from_frame(orders().iloc[:0])


def test_not_a_frame():
    with pytest.raises(DataError, match="must be a table of rows"):
        Interactions.from_frame([[1, 2]])


def test_unparseable_timestamps():
    with pytest.raises(DataError, match="'when'.*not times.*'yesterday'"):
        Interactions.from_frame(orders(when=["2024-01-01", "yesterday", "2024-01-01", "2024-01-01"]),
                                timestamp="when")


def test_missing_timestamps():
    with pytest.raises(DataError, match="'when'.*missing"):
        Interactions.from_frame(orders(when=["2024-01-01", None, "2024-01-01", "2024-01-01"]),
                                timestamp="when")


@pytest.mark.parametrize("values", [
    pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]),
    [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03"),
     pd.Timestamp("2024-01-04")],
    [1704067200, 1704153600, 1704240000, 1704326400],
    [1704067200000, 1704153600000, 1704240000000, 1704326400000],
    ["2024-01-01T00:00:00", "2024-01-02", "2024-01-03", "2024-01-04"],
    pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]).tz_localize("UTC"),
])
def test_timestamp_forms(values):
    data = Interactions.from_frame(orders(when=values), timestamp="when")
    assert str(pd.Timestamp(data.timestamps[0]).date()) == "2024-01-01"
    assert str(pd.Timestamp(data.timestamps[3]).date()) == "2024-01-04"


def test_item_universe_must_cover_the_rows():
    with pytest.raises(DataError, match="not in the given id universe.*'c'"):
        Interactions.from_frame(orders(), items=["a", "b"])
    data = Interactions.from_frame(orders(), items=["a", "b", "c", "d"])
    assert data.n_items == 4 and data.matrix("user").shape == (3, 4)


def test_from_baskets():
    data = Interactions.from_baskets([["milk", "bread"], ["bread"], ["milk", "eggs", "milk"]])
    assert data.users is None and data.n_baskets == 3
    assert data.matrix("basket").sum() == 5
    with pytest.raises(DataError, match="no users"):
        data.matrix("user")
    with pytest.raises(DataError, match="flat list"):
        Interactions.from_baskets(["milk", "bread"])
    with pytest.raises(DataError, match="no baskets"):
        Interactions.from_baskets([])


def test_select_keeps_the_maps():
    data = Interactions.from_frame(orders(), timestamp="when")
    part = data.select(np.array([True, False, False, True]))
    assert part.users is data.users and part.items is data.items and len(part) == 2
    assert part.matrix("user").shape == data.matrix("user").shape


def test_a_basket_of_several_columns_is_their_combination():
    frame = pd.DataFrame({"member": [1, 1, 1, 2, 2], "item": ["milk", "bread", "milk", "eggs", "milk"],
                          "date": ["2015-01-05", "2015-01-05", "2015-02-01", "2015-01-05",
                                   "2015-01-05"]})
    data = Interactions.from_frame(frame, user="member", item="item", basket=["member", "date"])
    assert data.n_baskets == 3
    assert data.basket_index.tolist() == [0, 0, 1, 2, 2]
    with pytest.raises(DataError, match="list of column names"):
        Interactions.from_frame(frame, user="member", item="item", basket=["member", 3])
    with pytest.raises(DataError, match="not in the frame"):
        Interactions.from_frame(frame, user="member", item="item", basket=["member", "day"])
    gaps = frame.assign(date=[None, "2015-01-05", "2015-02-01", "2015-01-05", "2015-01-05"])
    with pytest.raises(DataError, match="missing values"):
        Interactions.from_frame(gaps, user="member", item="item", basket=["member", "date"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2060, 12, 31)),
                min_size=1, max_size=30),
       st.sampled_from(["%d-%m-%Y", "%m/%d/%Y", "%d.%m.%Y", "%d/%m/%y %H:%M"]))
def test_date_strings_are_read_by_one_format_for_the_whole_column(days, fmt):
    """Never day-first for one element and month-first for another: either every date reads
    as written, or the column is refused as ambiguous (and reads once the format is said)."""
    from recsys.data.dates import parse_timestamps
    series = pd.Series([pd.Timestamp(d).strftime(fmt) for d in days])
    truth = np.array([np.datetime64(d, "ns") for d in days])
    if "%y" in fmt:  # two-digit years: the century is strptime's guess
        truth = pd.to_datetime(series, format=fmt).to_numpy()
    said = parse_timestamps(series, "date", format=fmt)
    assert np.array_equal(said, truth)
    try:
        told = parse_timestamps(series, "date")
    except DataError as err:  # no day above 12: day-first and month-first both read it
        assert "ambiguous" in str(err) and "--date-format" in str(err)
        assert all(d.day <= 12 for d in days)
        return
    assert np.array_equal(told, truth)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(-(2**62), 2**62) | st.integers(0, 30), max_size=6),
                min_size=1, max_size=30))
def test_from_baskets_integer_lists_equal_the_general_path(baskets):
    """Lists of int ids take a fast path (no object column); iterables of other kinds take the
    general one: both give the same ids and baskets."""
    if not any(baskets):
        return
    fast = Interactions.from_baskets(baskets)
    general = Interactions.from_baskets([iter(b) for b in baskets])
    assert fast.items == general.items
    assert (fast.matrix("basket") != general.matrix("basket")).nnz == 0

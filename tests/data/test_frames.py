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

"""Tables from files: only the used columns are read, a Parquet dataset folder reads like one
file, and ``since`` reads only newer rows from Parquet (pushed into the reader) and equals a
filter after reading everywhere else (the command line's --since)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys import DataError, InvalidParameterError
from recsys.cli.main import main
from recsys.io.tables import read_table

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def _orders(n=2_000, seed=0):
    rng = np.random.default_rng(seed)
    times = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 86_400 * 120, n),
                                                         unit="s")
    return pd.DataFrame({
        "customer_id": rng.integers(1, 200, n), "product_id": [f"P{i:03d}" for i in
                                                               rng.integers(0, 60, n)],
        "order_id": rng.integers(1, 700, n), "ordered_at": times,
        "note": ["some free text"] * n, "month": times.strftime("%Y-%m"),
        "price": rng.random(n).round(2)})


def _dataset(folder, orders):
    """A hive-partitioned dataset: one folder per month, two files in each."""
    for month, part in orders.groupby("month"):
        where = folder / f"month={month}"
        where.mkdir(parents=True)
        half = len(part) // 2
        for i, piece in enumerate((part.iloc[:half], part.iloc[half:])):
            pq.write_table(pa.Table.from_pandas(piece.drop(columns="month"),
                                                preserve_index=False), where / f"{i}.parquet")
    return folder


def _key(frame):
    return frame.sort_values(["ordered_at", "customer_id"]).reset_index(drop=True)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_only_the_asked_columns_are_read_and_the_others_are_known(tmp_path, suffix):
    orders = _orders()
    path = tmp_path / f"orders{suffix}"
    orders.to_parquet(path) if suffix == ".parquet" else orders.to_csv(path, index=False)
    frame = read_table(path, columns=["customer_id", "product_id", "absent"])
    assert list(frame.columns) == ["customer_id", "product_id"]
    assert frame["customer_id"].tolist() == orders["customer_id"].tolist()
    assert frame.attrs["source_columns"] == list(orders.columns)


def test_a_dataset_folder_reads_like_the_file_and_since_reads_only_newer_rows(tmp_path):
    orders = _orders()
    folder = _dataset(tmp_path / "orders", orders)
    whole = read_table(folder, columns=["customer_id", "product_id", "ordered_at", "month"])
    assert len(whole) == len(orders) and set(whole["month"]) == set(orders["month"])
    edge = "2026-03-15"
    newer = read_table(folder, columns=["customer_id", "ordered_at"], since=edge,
                       time="ordered_at")
    expected = orders.loc[orders["ordered_at"] >= edge, ["customer_id", "ordered_at"]]
    pd.testing.assert_frame_equal(_key(newer), _key(expected), check_dtype=False)


def test_since_is_pushed_into_the_parquet_reader(tmp_path, monkeypatch):
    """Row groups wholly before the date are never decoded: the reader's filter, not a mask
    after reading, narrows them (a zoned time column is compared in UTC)."""
    orders = _orders().sort_values("ordered_at")
    orders["ordered_at"] = orders["ordered_at"].dt.tz_localize("UTC").dt.tz_convert(
        "Europe/Berlin")
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.Table.from_pandas(orders, preserve_index=False), path, row_group_size=100)
    from recsys.io import tables

    seen = {}
    made = tables._since_filter

    def spy(*args):
        seen["filter"] = made(*args)
        return seen["filter"]

    monkeypatch.setattr(tables, "_since_filter", spy)
    newer = read_table(path, since="2026-04-01", time="ordered_at")
    assert "ordered_at" in str(seen["filter"])  # an Arrow expression the reader applies
    expected = orders[orders["ordered_at"] >= pd.Timestamp("2026-04-01", tz="UTC")]
    assert len(newer) == len(expected) > 0


def test_the_command_line_since_gives_the_same_model_from_csv_and_a_dataset(tmp_path, capsys):
    orders = _orders()
    orders.drop(columns="month").to_csv(tmp_path / "orders.csv", index=False)
    folder = _dataset(tmp_path / "orders", orders)
    common = ["--model", "Popularity", "--time-col", "ordered_at", "--basket-col", "order_id",
              "--since", "2026-03-01"]
    assert main(["fit", "--orders", str(tmp_path / "orders.csv"), *common,
                 "--out", str(tmp_path / "a.npz")]) == 0
    assert main(["fit", "--orders", str(folder), *common, "--out", str(tmp_path / "b.npz")]) == 0
    import recsys

    a, b = (recsys.load(tmp_path / f"{x}.npz") for x in "ab")
    newer = orders[orders["ordered_at"] >= "2026-03-01"]
    assert sorted(a.users_.ids.tolist()) == sorted(newer["customer_id"].unique().tolist())
    assert a.users_.ids.tolist() == b.users_.ids.tolist()
    assert a.recommend(a.users_.ids[:3], k=5).to_dict() == \
        b.recommend(b.users_.ids[:3], k=5).to_dict()


def test_since_without_times_or_after_the_end_is_refused_by_option(tmp_path, capsys):
    _orders().to_csv(tmp_path / "orders.csv", index=False)
    base = ["fit", "--model", "Popularity", "--orders", str(tmp_path / "orders.csv"),
            "--out", str(tmp_path / "m.npz")]
    assert main([*base, "--since", "2026-03-01"]) == 1
    assert "--since needs the order times: pass --time-col" in capsys.readouterr().err
    assert main([*base, "--since", "2027-01-01", "--time-col", "ordered_at"]) == 1
    err = capsys.readouterr().err
    assert "--since 2027-01-01: no order line is on or after it" in err and "2026-04" in err
    assert main(["fit", "--model", "Popularity", "--since", "2026-01-01",
                 "--out", str(tmp_path / "m.npz")]) == 1
    assert "--since" in capsys.readouterr().err


def test_a_misnamed_column_lists_every_column_of_the_source(tmp_path, capsys):
    _orders().to_csv(tmp_path / "orders.csv", index=False)
    assert main(["fit", "--model", "Popularity", "--orders", str(tmp_path / "orders.csv"),
                 "--user-col", "customer", "--out", str(tmp_path / "m.npz")]) == 1
    err = capsys.readouterr().err
    assert "--user-col 'customer'" in err and "'note'" in err and "'month'" in err


def test_lines_with_more_fields_than_the_header_are_still_refused(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("customer_id,product_id,x\n1,2,3\n4,5,6,7,8\n")
    with pytest.raises(DataError, match="ragged.csv"):
        read_table(path, columns=["customer_id", "product_id"])
    with pytest.raises((DataError, InvalidParameterError)):
        read_table(path, sep="ab")

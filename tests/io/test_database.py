"""Order lines from a database: recsys fit, picks and measure read `--orders URL --query SQL`
and give what they give on the CSV export of the same table. SQLite always; PostgreSQL when
RECSYS_TEST_POSTGRES names a server (.ci/run starts a throwaway cluster and sets it)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import recsys
from recsys.cli.main import main

sqlalchemy = pytest.importorskip("sqlalchemy")

QUERY = "select * from order_lines"
SERVERS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module")
def orders():
    return recsys.make_shop(n_customers=500, n_products=80, seed=9).orders


@pytest.fixture(params=SERVERS)
def url(request, orders, tmp_path_factory):
    if request.param == "sqlite":
        address = f"sqlite:///{tmp_path_factory.mktemp('db') / 'shop.db'}"
    else:
        address = os.environ.get("RECSYS_TEST_POSTGRES")
        if not address:
            pytest.skip("no PostgreSQL server: set RECSYS_TEST_POSTGRES (.ci/run does)")
    engine = sqlalchemy.create_engine(address)
    orders.to_sql("order_lines", engine, if_exists="replace", index=False)
    engine.dispose()
    return address


def _both(url, csv, argv):
    """The command run on the database and on the CSV: exit codes, the rest of argv filled."""
    return (main([*argv(["--orders", url, "--query", QUERY], "db")]),
            main([*argv(["--orders", str(csv)], "csv")]))


def test_fit_picks_and_measure_agree_with_the_csv_export(url, orders, tmp_path):
    csv = tmp_path / "orders.csv"
    orders.to_csv(csv, index=False)
    data = ["--time-col", "timestamp", "--basket-col", "order_id"]
    assert _both(url, csv, lambda src, tag: ["fit", "--model", "ItemKNN", *src, *data,
                                             "--out", str(tmp_path / f"{tag}.npz")]) == (0, 0)
    db, plain = recsys.load(tmp_path / "db.npz"), recsys.load(tmp_path / "csv.npz")
    users = plain.users_.ids[:40]
    pd.testing.assert_frame_equal(db.recommend(users, k=5).to_frame(),
                                  plain.recommend(users, k=5).to_frame())
    assert _both(url, csv, lambda src, tag: [
        "picks", *src, *data, "-k", "3", "--control", "20%", "--salt", "s1",
        "--as-of", "2025-10-01", "--out", str(tmp_path / f"picks_{tag}.csv")]) == (0, 0)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "picks_db.csv"),
                                  pd.read_csv(tmp_path / "picks_csv.csv"))
    assignments = str(tmp_path / "picks_csv.assignments.csv")
    assert _both(url, csv, lambda src, tag: [
        "measure", "--assignments", assignments, *src, "--from", "2025-10-01",
        "--to", "2026-01-01", "--no-segments", "--out", str(tmp_path / f"m_{tag}.csv")]) == (0, 0)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "m_db.csv"),
                                  pd.read_csv(tmp_path / "m_csv.csv"))


def test_database_errors_name_the_source_and_the_fix_never_the_password(url, tmp_path, capsys):
    out = ["--out", str(tmp_path / "m.npz")]
    assert main(["fit", "--model", "ItemKNN", "--orders", url, "--query",
                 "select * from no_such_table", *out]) == 1
    assert "--query failed" in capsys.readouterr().err
    assert main(["fit", "--model", "ItemKNN", "--orders", url, *out]) == 1
    assert "pass --query" in capsys.readouterr().err
    assert main(["fit", "--model", "ItemKNN", "--orders", url, "--query",
                 "select customer_id as who, product_id from order_lines", *out]) == 1
    assert "--user-col 'customer_id'" in capsys.readouterr().err
    assert main(["fit", "--model", "ItemKNN", "--orders", url, "--query",
                 "select case when order_id % 7 = 0 then null else customer_id end as "
                 "customer_id, product_id from order_lines", *out]) == 1
    said = capsys.readouterr().err
    assert f"--orders {url.split('://')[0]}" in said and "missing" in said
    assert "where <column> is not null" in said and "Traceback" not in said
    refused = "postgresql+psycopg://shop:s3cret-word@127.0.0.1:1/shop"
    if url.startswith("postgresql"):
        assert main(["fit", "--model", "ItemKNN", "--orders", refused, "--query", QUERY,
                     *out]) == 1
        said = capsys.readouterr().err
        assert "refused" in said and "s3cret-word" not in said and "shop:***@" in said
    assert np.isfinite(1.0)


@pytest.mark.postgres
def test_postgres_copy_reads_every_type_as_fetching_rows_does(monkeypatch):
    """The COPY path (Arrow parses PostgreSQL's CSV text) gives what fetching rows gives:
    NULLs and empty texts apart, text ids with leading zeros, numeric, booleans, dates, times
    with and without a zone, quotes and commas inside text."""
    from recsys.io import database

    address = os.environ.get("RECSYS_TEST_POSTGRES")
    if not address:
        pytest.skip("no PostgreSQL server: set RECSYS_TEST_POSTGRES (.ci/run does)")
    engine = sqlalchemy.create_engine(address)
    with engine.begin() as connection:
        connection.exec_driver_sql("drop table if exists typed_lines")
        connection.exec_driver_sql(
            "create table typed_lines (id text, n numeric, i int, b bool, d date, "
            "t timestamp, tz timestamptz, note varchar(20))")
        connection.exec_driver_sql(
            "insert into typed_lines values "
            "('0010', 17850, 1, true, '2026-01-02', '2026-01-02 10:00:00.123456', "
            "'2026-01-02 10:00:00+03', ''), "
            "(NULL, 1.5, NULL, false, NULL, '2026-01-03', '2026-06-02 10:00:00.5-07', NULL), "
            "('a,\"b\"', NULL, 3, NULL, '2026-02-01', NULL, NULL, 'x y')")
    engine.dispose()
    copied = {}
    real = database.postgres_copy

    def spy(*args):
        copied["frame"] = real(*args)
        return copied["frame"]

    monkeypatch.setattr(database, "postgres_copy", spy)
    fast = database.read_query(address, "select * from typed_lines order by i;")
    assert copied["frame"] is not None  # the COPY path answered
    monkeypatch.setattr(database, "postgres_copy", lambda *args: None)
    slow = database.read_query(address, "select * from typed_lines order by i")
    pd.testing.assert_frame_equal(fast, slow)
    assert fast.loc[0, "id"] == "0010" and fast.loc[0, "note"] == ""  # not NULL
    assert fast["note"].isna().sum() == 1 and fast["id"].isna().sum() == 1
    monkeypatch.setattr(database, "postgres_copy", real)
    with pytest.raises(recsys.DataError, match="--query failed.*division by zero"):
        database.read_query(address, "select i / 0 as x from typed_lines")


@pytest.mark.postgres
def test_times_of_another_zone_give_the_model_of_the_same_instants_in_utc(tmp_path, orders):
    address = os.environ.get("RECSYS_TEST_POSTGRES")
    if not address:
        pytest.skip("no PostgreSQL server: set RECSYS_TEST_POSTGRES (.ci/run does)")
    engine = sqlalchemy.create_engine(address)
    orders.to_sql("order_lines", engine, if_exists="replace", index=False)
    engine.dispose()
    common = ["fit", "--model", "BuyAgain", "--orders", address, "--time-col", "ts",
              "--basket-col", "order_id", "--since", "2025-06-01 02:30"]
    naive = "select customer_id, product_id, order_id, timestamp as ts from order_lines"
    zoned = ("select customer_id, product_id, order_id, timestamp at time zone 'UTC' as ts "
             "from order_lines")  # timestamptz
    shifted = ("select customer_id, product_id, order_id, to_char(timestamp - interval "
               "'5 hours', 'YYYY-MM-DD\"T\"HH24:MI:SS') || '-05:00' as ts from order_lines")
    outputs = []
    for name, query in (("naive", naive), ("zoned", zoned), ("shifted", shifted)):
        outputs.append(tmp_path / f"{name}.npz")
        assert main([*common, "--query", query, "--out", str(outputs[-1])]) == 0
    models = [recsys.load(path) for path in outputs]
    users = models[0].users_.ids[:30]
    for other in models[1:]:  # the same instants: the same lines kept, the same model
        assert other.users_.ids.tolist() == models[0].users_.ids.tolist()
        pd.testing.assert_frame_equal(other.recommend(users, k=5).to_frame(),
                                      models[0].recommend(users, k=5).to_frame())

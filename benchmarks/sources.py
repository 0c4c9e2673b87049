"""Reading order lines from where shops keep them: a Parquet file, a partitioned Parquet
dataset with a date filter, a polars DataFrame, a pyarrow Table, a CSV file and PostgreSQL,
each into recsys' data container, beside the fastest plain way to get the same columns into
numpy arrays (pyarrow's or polars' readers and ``to_numpy``; the driver's own cursor fetch)
followed by the same container built from those arrays.

Every case runs in a fresh process (imports and reading included, what a batch job pays):
wall seconds and peak resident memory of the process (VmHWM). The plain side's text ids
become numpy arrays of Python strings (what ``to_numpy`` gives); recsys keeps them as Arrow
text, which is where most of its lead comes from. Both sides must give the same
container (the same customers, products and matrix), or the run fails.

    python benchmarks/sources.py                       # 10,000,000 order lines, 3 runs each
    python benchmarks/sources.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    python benchmarks/sources.py --quick               # CI: 200,000 lines, 1 run each
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish, peak_since

USED = ["customer_id", "product_id", "order_id", "ordered_at"]
SINCE = "2026-07-01"  # the newest quarter of the year the orders span


# --- the data --------------------------------------------------------------------------------

def make_files(rows: int, folder: Path) -> dict[str, str]:
    """A year of order lines with 8 columns (4 used) as a Parquet file, a month-partitioned
    Parquet dataset and a CSV file."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    customers = max(rows // 20, 10)
    order = np.sort(rng.integers(0, rows // 4 + 1, rows))  # ~4 lines an order
    seconds = (order * (365 * 86_400 // (rows // 4 + 1))).astype("int64")
    start = np.datetime64("2026-01-01T00:00:00", "us")
    table = pa.table({
        "customer_id": (order * 7919 % customers).astype("int64"),
        "product_id": pa.array(np.char.add("P", np.char.zfill(
            (rng.zipf(1.3, rows) % 50_000).astype(str), 6))),
        "order_id": order.astype("int64"),
        "ordered_at": pa.array(start + seconds.astype("timedelta64[s]")),
        "quantity": rng.integers(1, 5, rows),
        "price": rng.random(rows).round(2) * 50,
        "channel": pa.array(np.array(["web", "app", "store"])[rng.integers(0, 3, rows)]),
        "store_id": rng.integers(1, 40, rows),
    })
    files = {"parquet": str(folder / "orders.parquet"), "dataset": str(folder / "dataset"),
             "csv": str(folder / "orders.csv")}
    pq.write_table(table, files["parquet"])
    month = pa.compute.strftime(table["ordered_at"], format="%Y-%m")
    ds.write_dataset(table.append_column("month", month), files["dataset"], format="parquet",
                     partitioning=ds.partitioning(pa.schema([("month", pa.string())]),
                                                  flavor="hive"))
    pacsv.write_csv(table, files["csv"])
    return files


def load_postgres(url: str, csv: str) -> str:
    """The CSV copied into a fresh table; the query that reads the used columns."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as db:
        db.execute("drop table if exists bench_order_lines")
        db.execute("create table bench_order_lines (customer_id bigint, product_id text, "
                   "order_id bigint, ordered_at timestamp, quantity int, price float8, "
                   "channel text, store_id int)")
        with open(csv, "rb") as handle, db.cursor().copy(
                "copy bench_order_lines from stdin (format csv, header)") as copy:
            while block := handle.read(1 << 20):
                copy.write(block)
    return f"select {', '.join(USED)} from bench_order_lines"


# --- the workers (one fresh process each) ----------------------------------------------------

def _container(frame):
    from recsys import Interactions

    return Interactions.from_frame(frame, user="customer_id", item="product_id",
                                   basket="order_id", timestamp="ordered_at")


def _from_arrays(arrays: dict):
    import pandas as pd

    return _container(pd.DataFrame(arrays))


def _recsys(case: str, where: dict):
    if case in ("parquet", "csv"):
        from recsys.io.tables import read_table

        return _container(read_table(where[case], columns=USED))
    if case == "dataset":
        from recsys.io.tables import read_table

        return _container(read_table(where[case], columns=USED, since=SINCE, time="ordered_at"))
    if case == "polars":
        import polars as pl

        return _container(pl.read_parquet(where["parquet"]))
    if case == "pyarrow":
        import pyarrow.parquet as pq

        return _container(pq.read_table(where["parquet"]))
    from recsys.io.database import read_query

    return _container(read_query(where["url"], where["query"]))


def _plain(case: str, where: dict):
    if case in ("parquet", "pyarrow"):
        import pyarrow.parquet as pq

        table = pq.read_table(where["parquet"], columns=USED)
        return _from_arrays({c: table[c].to_numpy() for c in USED})
    if case == "dataset":
        import pyarrow as pa
        import pyarrow.dataset as ds

        edge = pa.scalar(np.datetime64(SINCE, "us"), type=pa.timestamp("us"))
        table = ds.dataset(where["dataset"], format="parquet", partitioning="hive").to_table(
            columns=USED, filter=ds.field("ordered_at") >= edge)
        return _from_arrays({c: table[c].to_numpy() for c in USED})
    if case == "csv":
        import pyarrow.csv as pacsv

        table = pacsv.read_csv(where["csv"], convert_options=pacsv.ConvertOptions(
            include_columns=USED))
        return _from_arrays({c: table[c].to_numpy() for c in USED})
    if case == "polars":
        import polars as pl

        frame = pl.read_parquet(where["parquet"])
        return _from_arrays({c: frame[c].to_numpy() for c in USED})
    import psycopg

    with psycopg.connect(where["url"].replace("postgresql+psycopg", "postgresql")) as db:
        rows = db.execute(where["query"]).fetchall()
    columns = list(zip(*rows, strict=True))
    del rows
    return _from_arrays({c: np.asarray(v) for c, v in zip(USED, columns, strict=True)})


def worker(payload: dict) -> dict:
    data = (_recsys if payload["side"] == "recsys" else _plain)(payload["case"],
                                                                payload["where"])
    matrix = data.matrix("user")
    return {"users": len(data.users), "items": len(data.items), "rows": len(data),
            "nnz": int(matrix.nnz), "sum": float(matrix.sum()),
            "first_items": [str(i) for i in data.items.ids[:3]],
            # VmHWM starts afresh at exec; ru_maxrss (the fallback) keeps the forking parent's
            "peak_bytes": peak_since(0)}


def run_side(case: str, side: str, where: dict) -> dict:
    """Wall seconds of a fresh process (imports and reading included) and its answer."""
    cmd = [sys.executable, __file__, "--worker",
           json.dumps({"case": case, "side": side, "where": where})]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{case}/{side} failed: {done.stderr.strip()[-2000:]}")
    return {"seconds": seconds, **json.loads(done.stdout.strip().splitlines()[-1])}


# --- the run ---------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--database-url", default=os.environ.get("RECSYS_DATABASE_URL"))
    parser.add_argument("--json", default=None)
    parser.add_argument("--data-dir", default=None, help="unused: the data is generated")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    rows = args.rows or (200_000 if args.quick else 10_000_000)
    repeat = args.repeat or (1 if args.quick else 3)
    results, failures = [], []
    with tempfile.TemporaryDirectory(prefix="recsys-sources-") as folder:
        where = make_files(rows, Path(folder))
        cases = ["parquet", "dataset", "polars", "pyarrow", "csv"]
        if args.database_url:
            where.update(url=args.database_url, query=load_postgres(args.database_url,
                                                                    where["csv"]))
            cases.append("postgres")
        else:
            print("skip postgres: no --database-url (or RECSYS_DATABASE_URL)")
        for case in cases:
            results.append(_compare(case, where, repeat, rows, failures))
            print(f"{case}: {results[-1]}", flush=True)
    columns = [("source", "source"), ("lines", "order lines read"),
               ("recsys_s", "recsys s"), ("plain_s", "plain s"), ("time_ratio", "time ratio"),
               ("recsys_mib", "recsys peak MiB"), ("plain_mib", "plain peak MiB"),
               ("memory_ratio", "memory ratio")]
    return finish("sources", args, results, columns, failures, order_lines=rows,
                  repeat=repeat)


def _compare(case: str, where: dict, repeat: int, rows: int, failures: list) -> dict:
    """Median seconds and the largest peak of ``repeat`` runs of each side, alternating."""
    runs = {"recsys": [], "plain": []}
    for _ in range(repeat):
        for side in runs:
            runs[side].append(run_side(case, side, where))
    answers = [{k: v for k, v in r.items() if k not in ("seconds", "peak_bytes")}
               for r in (runs["recsys"][0], runs["plain"][0])]
    if answers[0] != answers[1]:
        failures.append(f"{case}: recsys and plain built different containers: {answers}")
    seconds = {side: statistics.median(r["seconds"] for r in found) for side, found in
               runs.items()}
    peak = {side: max(r["peak_bytes"] for r in found) / 2**20 for side, found in runs.items()}
    return {"source": case, "lines": answers[0]["rows"],
            "recsys_s": round(seconds["recsys"], 2), "plain_s": round(seconds["plain"], 2),
            "time_ratio": round(seconds["recsys"] / seconds["plain"], 2),
            "recsys_mib": round(peak["recsys"]), "plain_mib": round(peak["plain"]),
            "memory_ratio": round(peak["recsys"] / peak["plain"], 2)}


if __name__ == "__main__":
    sys.exit(main())

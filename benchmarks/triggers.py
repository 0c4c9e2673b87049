"""Trigger audiences on a large event log: abandoned carts and abandoned browsing over
10,000,000 events (views, carts, purchases, wishlist adds; 1,000,000 customers, 50,000
products, 30 days), beside a careful pandas computation of the same audience (groupby per
customer and product, a join with the purchases); the two must list the same customers and
products, or the run fails.

    python benchmarks/triggers.py            # 10,000,000 events, 3 runs each
    python benchmarks/triggers.py --quick    # CI: 200,000 events, 1 run
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish

START = pd.Timestamp("2026-03-01")


def make_log(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    kinds = np.array(["view", "cart", "purchase", "wishlist"])
    return pd.DataFrame({
        "customer_id": rng.integers(1, max(rows // 10, 10), rows),
        "product_id": rng.zipf(1.4, rows) % 50_000,
        "event": pd.Categorical(kinds[rng.choice(4, rows, p=[0.85, 0.09, 0.03, 0.03])]),
        "timestamp": START + pd.to_timedelta(rng.integers(0, 30 * 86_400, rows), unit="s")})


def pandas_audience(log: pd.DataFrame, kind: str, least: int, within: str, as_of):
    """The same audience, computed the way an analyst would with pandas."""
    window = log[(log["event"] == kind) & (log["timestamp"] >= as_of - pd.Timedelta(within))
                 & (log["timestamp"] <= as_of - pd.Timedelta("1h"))]
    cells = window.groupby(["customer_id", "product_id"])["timestamp"].agg(["max", "size"])
    bought = log[log["event"] == "purchase"].groupby(["customer_id", "product_id"])[
        "timestamp"].max().rename("bought")
    cells = cells.join(bought, how="left")
    kept = cells[(cells["size"] >= least) & ~(cells["bought"] >= cells["max"])]
    return set(kept.index)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--json", default=None)
    parser.add_argument("--data-dir", default=None, help="unused: the data is generated")
    args = parser.parse_args(argv)
    from recsys.campaign import abandoned_browsing, abandoned_carts

    rows = args.rows or (200_000 if args.quick else 10_000_000)
    repeat = args.repeat or (1 if args.quick else 3)
    log = make_log(rows)
    as_of = START + pd.Timedelta(days=30)
    results, failures = [], []
    cases = [("abandoned carts, 7 days", lambda: abandoned_carts(
                  log, within="7d", as_of=as_of, anchors=10**6), ("cart", 1, "7D")),
             ("abandoned browsing, 3 days, 2+ views", lambda: abandoned_browsing(
                  log, within="3d", as_of=as_of, anchors=10**6), ("view", 2, "3D"))]
    for name, ours, (kind, least, within) in cases:
        mine, theirs = [], []
        for _ in range(repeat):
            start = time.perf_counter()
            found = ours()
            mine.append(time.perf_counter() - start)
            start = time.perf_counter()
            expected = pandas_audience(log, kind, least, within, as_of)
            theirs.append(time.perf_counter() - start)
        pairs = set(zip(found["customer_id"], found["product_id"], strict=True))
        if pairs != expected:
            failures.append(f"{name}: {len(pairs ^ expected)} customer-product pairs differ")
        results.append({"case": name, "events": rows, "customers": found["customer_id"].nunique(),
                        "pairs": len(pairs), "recsys_s": round(statistics.median(mine), 2),
                        "pandas_s": round(statistics.median(theirs), 2),
                        "ratio": round(statistics.median(mine) / statistics.median(theirs), 2)})
        print(results[-1], flush=True)
    columns = [("case", "case"), ("events", "events"), ("customers", "customers"),
               ("pairs", "customer x product"), ("recsys_s", "recsys s"),
               ("pandas_s", "pandas s"), ("ratio", "recsys / pandas")]
    return finish("triggers", args, results, columns, failures, repeat=repeat)


if __name__ == "__main__":
    sys.exit(main())

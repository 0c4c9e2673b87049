"""Campaign readout: recsys.experiment.analyze against the straightforward pandas + scipy.stats
readout an analyst writes by hand, on the same assignments and order lines.

Each engine runs in a fresh worker process on data generated there from a seed (before the
clock starts); the median of several runs is reported with the peak memory growth. The two
must agree on every arm's conversion, orders and revenue per customer and picked-product rate,
and on the Welch p-value of revenue per customer.

    python benchmarks/experiment.py --json benchmarks/results/experiment.json
    python benchmarks/experiment.py --quick      # CI: 20,000 customers, asserts equal answers
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish, measure, median_runs, mib

START, END = pd.Timestamp("2026-11-15"), pd.Timestamp("2026-11-29")


def make_data(n_customers: int, n_lines: int, seed: int = 0):
    """Assignments (10% control, 10 picks each) and a 30-day order log (14 days measured)."""
    from recsys.experiment import assign

    rng = np.random.default_rng(seed)
    ids = np.arange(10_000_000, 10_000_000 + n_customers)
    table = assign(ids, salt="bench", control=0.1)
    picks = rng.integers(0, 50_000, size=(n_customers, 10)).astype(str)
    table["picks"] = pd.Series(picks[:, 0]).str.cat(
        [pd.Series(picks[:, j]) for j in range(1, 10)], sep="|").to_numpy()
    buyer = rng.choice(ids, n_lines)
    orders = pd.DataFrame({
        "order_id": rng.integers(0, n_lines // 3, n_lines), "customer_id": buyer,
        "product_id": rng.integers(0, 50_000, n_lines), "quantity": rng.integers(1, 4, n_lines),
        "price": np.round(rng.lognormal(2, 1, n_lines), 2),
        "timestamp": pd.Timestamp("2026-11-01")
        + pd.to_timedelta(rng.integers(0, 30 * 86400, n_lines), unit="s")})
    return table, orders


def recsys_readout(table: pd.DataFrame, orders: pd.DataFrame) -> dict:
    from recsys.experiment import analyze

    result = analyze(table, orders, START, END, by_segment=False)
    arms = result.arms
    revenue = result.overall().set_index("metric").loc["revenue_per_customer"]
    return {"answer": {arm: [float(arms.loc[arm, m]) for m in
                             ("conversion_rate", "orders_per_customer", "revenue_per_customer",
                              "picked_product_rate")] for arm in arms.index},
            "revenue_p": float(revenue["p_value"])}


def pandas_readout(table: pd.DataFrame, orders: pd.DataFrame) -> dict:
    """What an analyst writes: filter, merge, group by customer, group by arm, scipy tests."""
    from scipy import stats

    window = orders[(orders["timestamp"] >= START) & (orders["timestamp"] < END)]
    lines = window.merge(table[["customer_id", "group"]], on="customer_id")
    lines = lines.assign(revenue=lines["price"] * lines["quantity"])
    per = lines.groupby("customer_id").agg(orders=("order_id", "nunique"),
                                           revenue=("revenue", "sum"))
    picked = table[["customer_id", "picks"]].assign(product_id=table["picks"].str.split("|"))
    picked = picked.explode("product_id")
    picked["product_id"] = picked["product_id"].astype(np.int64)
    hits = lines.merge(picked[["customer_id", "product_id"]], on=["customer_id", "product_id"])
    everyone = table[["customer_id", "group"]].merge(per, on="customer_id", how="left").fillna(
        {"orders": 0, "revenue": 0.0})
    everyone["converted"] = everyone["orders"] > 0
    everyone["picked"] = everyone["customer_id"].isin(hits["customer_id"])
    means = everyone.groupby("group")[["converted", "orders", "revenue", "picked"]].mean()
    treated = everyone.loc[everyone["group"] == "treatment", "revenue"]
    control = everyone.loc[everyone["group"] == "control", "revenue"]
    return {"answer": {arm: [float(v) for v in means.loc[arm]] for arm in means.index},
            "revenue_p": float(stats.ttest_ind(treated, control, equal_var=False).pvalue)}


ENGINES = {"recsys": recsys_readout, "pandas + scipy": pandas_readout}


def worker(payload: dict) -> dict:
    engine = ENGINES[payload["engine"]]
    return measure(lambda: make_data(payload["customers"], payload["lines"]),
                   lambda data: engine(*data))


def compare(rows: list[dict], failures: list[str]) -> None:
    ours = next(r for r in rows if r["engine"] == "recsys")
    for row in rows:
        if "error" in row:
            failures.append(f"{row['engine']}: {row['error']}")
            continue
        row["time / recsys"] = row["seconds"] / ours["seconds"]
        if row is ours:
            continue
        for arm, values in row["answer"].items():
            if not np.allclose(values, ours["answer"][arm], rtol=1e-9, atol=1e-12):
                failures.append(f"{row['engine']} disagrees on {arm}: {values} vs "
                                f"{ours['answer'][arm]}")
        if not np.isclose(row["revenue_p"], ours["revenue_p"], rtol=1e-6):
            failures.append(f"{row['engine']} Welch p {row['revenue_p']} vs {ours['revenue_p']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", default=None)
    parser.add_argument("--data-dir", default=None, help="unused; accepted for run.py")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    customers, lines = (20_000, 200_000) if args.quick else (args.customers, args.lines)
    repeat = 1 if args.quick else args.repeat
    rows = []
    for engine in ENGINES:
        result = median_runs(__file__, {"engine": engine, "customers": customers,
                                        "lines": lines}, repeat)
        rows.append({"case": f"{customers:,} customers x {lines:,} lines", "engine": engine,
                     **result, "peak MiB": mib(result.get("peak_bytes", 0))})
        print(f"{engine}: {result.get('seconds', float('nan')):.2f} s", flush=True)
    failures: list[str] = []
    compare(rows, failures)
    columns = [("case", "case"), ("engine", "engine"), ("seconds", "seconds"),
               ("time / recsys", "time / recsys"), ("peak MiB", "peak MiB")]
    return finish("experiment", args, rows, columns, failures)


if __name__ == "__main__":
    sys.exit(main())

"""The campaign picks job on Spark (`recsys.spark.recommend_all`, local[2]) beside the local
engine (`make_picks`), for the record: Spark's point is scale, not speed on one machine.

The model file and product table are the campaign benchmark's (campaign.py builds them:
1,000,000 customers x 50,000 products, ALS 64 factors); both engines pick k=10 per customer
with purchase exclusion and a category cap of 2, with reasons, and write Parquet. Spark's
time is the job's (the session's start is reported apart); its memory is the peak resident
size summed over the driver, the JVM and the Python workers (each process's own peak: an upper
bound). The picks must be the same: every customer's products and reasons are compared.

    python benchmarks/spark.py --json benchmarks/results/full/spark.json
    python benchmarks/spark.py --quick     # CI: 20,000 customers
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish, in_worker, mib

HERE = Path(__file__).resolve().parent
K, CAP = 10, 2


def tree_peak_bytes() -> int:
    """Sum of VmHWM over this process and its descendants (JVM, Python workers)."""
    children: dict[int, list[int]] = {}
    peaks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        children.setdefault(int(fields["PPid"].strip()), []).append(int(entry))
        if "VmHWM" in fields:
            peaks[int(entry)] = int(fields["VmHWM"].split()[0]) * 1024
    total, todo = 0, [os.getpid()]
    while todo:
        pid = todo.pop()
        total += peaks.get(pid, 0)
        todo += children.get(pid, [])
    return total


def spark_worker(payload: dict) -> dict:
    import warnings

    import pandas as pd
    from pyspark.sql import SparkSession

    import recsys
    from recsys.spark import recommend_all

    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    work = Path(payload["work"])
    start = time.perf_counter()
    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true")
             .config("spark.driver.memory", "4g").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    started = time.perf_counter() - start
    model = recsys.load(work / "campaign-als.npz")
    products = pd.read_parquet(work / "campaign-products.parquet")
    constraints = [recsys.campaign.ExcludePurchased(),
                   recsys.campaign.CategoryCap(products, column="category", max_per_category=CAP)]
    n = len(model.users_)
    audience = spark.range(n).withColumnRenamed("id", "customer_id").repartition(8)
    out = work / "spark-picks.parquet"
    start = time.perf_counter()
    recommend_all(str(work / "campaign-als.npz"), audience, k=K, constraints=constraints,
                  products=products, as_of="2026-01-01", out=str(out))
    seconds = time.perf_counter() - start
    peak = tree_peak_bytes()
    spark.stop()
    return {"seconds": seconds, "session_seconds": started, "peak_rss_bytes": peak,
            "customers": n, "picks": len(pd.read_parquet(out, columns=["rank"]))}


def same_picks(work: Path, sample: int = 2000) -> bool:
    """Spark's picks (products and reasons) equal the local run's for a sample of customers."""
    import pandas as pd

    local = pd.read_parquet(work / "campaign-picks.parquet")
    remote = pd.read_parquet(work / "spark-picks.parquet")
    chosen = local["customer_id"].drop_duplicates().iloc[:sample]
    columns = ["customer_id", "rank", "product_id", "reason_code", "reason"]
    a, b = (f[f["customer_id"].isin(chosen)].sort_values(["customer_id", "rank"])[columns]
            .reset_index(drop=True) for f in (local, remote))
    return len(local) == len(remote) and a.equals(b)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    parser.add_argument("--data-dir", default=None, help="unused; accepted for run.py")
    parser.add_argument("--work", default=str(HERE / "results" / "work"))
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(spark_worker(json.loads(args.worker))))
        return 0
    try:
        from recsys.spark import require_spark

        require_spark("benchmarks/spark.py")
    except ImportError as missing:
        print(f"skip: {missing}")
        return finish("spark", args, [], [], [])
    size = "quick" if args.quick else "full"
    work = Path(args.work) / size
    common = {"work": str(work), "size": size}
    campaign = str(HERE / "campaign.py")
    built = in_worker(campaign, {**common, "task": "build", "iterations": 5})
    if "error" in built:
        return finish("spark", args, [], [], [f"build failed: {built['error']}"])
    local = in_worker(campaign, {**common, "task": "recsys", "chunk": 20_000})
    remote = in_worker(__file__, common)
    failures = [f"{name}: {res['error']}" for name, res in (("local", local), ("spark", remote))
                if "error" in res]
    if failures:
        return finish("spark", args, [], [], failures)
    if not same_picks(work):
        failures.append("Spark's picks differ from the local engine's")
    rows = [{"engine": "recsys make_picks (one process)", "customers": local["customers"],
             "seconds": local["seconds"], "peak MiB": mib(local["peak_rss_bytes"])},
            {"engine": "recsys.spark recommend_all (local[2])", "customers": remote["customers"],
             "seconds": remote["seconds"], "session s": remote["session_seconds"],
             "peak MiB": mib(remote["peak_rss_bytes"])}]
    rows[1]["time / local"] = remote["seconds"] / local["seconds"]
    for row in rows:
        print(f"{row['engine']:<40} {row['seconds']:8.1f} s  peak {row['peak MiB']:8.0f} MiB")
    columns = [("engine", "engine"), ("customers", "customers"), ("seconds", "seconds"),
               ("time / local", "time / local"), ("session s", "session start s"),
               ("peak MiB", "peak MiB (all processes)")]
    return finish("spark", args, rows, columns, failures)


if __name__ == "__main__":
    sys.exit(main())

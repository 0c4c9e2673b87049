"""Serving: one customer and one two-item cart at a time, as a shop's web process asks.

For every registered model at its default parameters, a fresh worker fits on the data, warms
up, then times ``recommend([customer], k=10, exclude_seen=True)`` for many customers and
``recommend_for_basket([a, b], k=10)`` for many carts, one call each, and reports the p50 and
p99 latency in milliseconds. Raw implicit's single-user ``recommend`` (ALS with recsys's
default parameters, the user's row of the matrix passed as implicit asks) runs in the same
benchmark run for the ratio. Every worker also checks that single calls give the rows of one
batched call for the same customers (an answer, never a timing, fails the run).

    python benchmarks/serving.py --data-dir ../shared/data --json benchmarks/results/serving.json
    python benchmarks/serving.py --quick      # CI: synthetic shop, asserts single == batch
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import data_dir, finish, in_worker

K = 10


def load(quick: bool, root: str):
    import recsys

    if quick:
        return recsys.make_shop(n_customers=2000, n_products=400, seed=0)
    return recsys.read_online_retail(Path(root) / "online-retail.csv.gz")


def latencies(call, queries) -> tuple[float, float]:
    """p50 and p99 in milliseconds of ``call(q)`` over ``queries`` (after 50 warm calls)."""
    for query in queries[:50]:
        call(query)
    times = np.empty(len(queries))
    for pos, query in enumerate(queries):
        start = time.perf_counter()
        call(query)
        times[pos] = time.perf_counter() - start
    return float(np.percentile(times, 50) * 1e3), float(np.percentile(times, 99) * 1e3)


def recsys_worker(name: str, shop, calls: int) -> dict:
    import recsys

    model = recsys.REGISTRY[name]()
    if model.uses_item_features:
        model.fit(shop.interactions, items=shop.items)
    else:
        model.fit(shop.interactions)
    rng = np.random.default_rng(0)
    users = rng.choice(model.users_.ids, calls).tolist()
    items = model.items_.ids
    carts = [[items[a].item(), items[b].item()] for a, b in
             zip(rng.integers(0, len(items), calls), rng.integers(0, len(items), calls),
                 strict=True)]
    out = {}
    out["customer p50"], out["customer p99"] = latencies(
        lambda u: model.recommend([u], k=K, exclude_seen=True), users)
    if model.supports_baskets:
        out["cart p50"], out["cart p99"] = latencies(
            lambda c: model.recommend_for_basket(c, k=K), carts)
    batch = model.recommend(users[:20], k=K).to_dict()
    single = {u: model.recommend([u], k=K).item_ids() for u in users[:20]}
    out["single == batch"] = batch == single
    return out


def implicit_worker(shop, calls: int) -> dict:
    from implicit.cpu.als import AlternatingLeastSquares

    matrix = shop.interactions.matrix("user").tocsr()
    with warnings.catch_warnings():  # implicit's own BLAS advice, at construction
        warnings.simplefilter("ignore")
        model = AlternatingLeastSquares(factors=64, regularization=0.01, alpha=1.0,
                                        iterations=15, random_state=0)
    model.fit(matrix, show_progress=False)
    users = np.random.default_rng(0).integers(0, matrix.shape[0], calls).tolist()
    out = {}
    out["customer p50"], out["customer p99"] = latencies(
        lambda u: model.recommend(u, matrix[u], N=K, filter_already_liked_items=True), users)
    return out


def worker(payload: dict) -> dict:
    shop = load(payload["quick"], payload["root"])
    if payload["engine"] == "implicit":
        return implicit_worker(shop, payload["calls"])
    return recsys_worker(payload["engine"], shop, payload["calls"])


def main(argv=None) -> int:
    import recsys

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--json", default=None)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    root = str(data_dir(args.data_dir))
    calls = 300 if args.quick else args.calls
    engines = ["implicit", *sorted(recsys.REGISTRY)]
    rows, failures = [], []
    for engine in engines:
        result = in_worker(__file__, {"engine": engine, "quick": args.quick, "root": root,
                                      "calls": calls})
        label = "raw implicit ALS" if engine == "implicit" else engine
        if "error" in result:
            failures.append(f"{label}: {result['error']}")
            continue
        if result.get("single == batch") is False:
            failures.append(f"{label}: single calls differ from one batched call")
        rows.append({"model": label, **result})
        print(f"{label}: {result}", flush=True)
    peer = next((r for r in rows if r["model"] == "raw implicit ALS"), None)
    for row in rows:
        if row["model"] == "ALS" and peer:
            row["p50 / implicit"] = row["customer p50"] / peer["customer p50"]
    columns = [("model", "model"), ("customer p50", "customer p50 ms"),
               ("customer p99", "customer p99 ms"), ("cart p50", "cart p50 ms"),
               ("cart p99", "cart p99 ms"), ("p50 / implicit", "p50 / raw implicit")]
    return finish("serving", args, rows, columns, failures)


if __name__ == "__main__":
    sys.exit(main())

"""Campaign picks at scale: 1,000,000 customers x 50,000 products, k=10, purchase exclusion and a
category cap of 2, against raw implicit's recommend-all on the same ALS factors (no rules).

A build step generates the purchases (20,000,000), fits ALS and saves it with a product table
(200 categories). Then fresh workers load the same model file and time: raw implicit's
``recommend`` for every customer (N=10, bought items filtered), and recsys ``make_picks`` for
every customer with the rules, reasons and the picks written to Parquet chunk by chunk. Peak
memory is the process's peak resident size; a run on a quarter of the customers shows that it
does not grow with the audience.

    python benchmarks/campaign.py --json benchmarks/results/campaign.json
    python benchmarks/campaign.py --quick     # CI: 20,000 customers; checks every rule and
                                              # that unruled picks equal raw implicit's
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish, in_worker, make_large, mib

SIZES = {"full": (1_000_000, 50_000, 20_000_000), "quick": (20_000, 2_000, 400_000)}
K = 10
CAP = 2


def paths(work: Path) -> dict:
    return {"model": work / "campaign-als.npz", "products": work / "campaign-products.parquet",
            "picks": work / "campaign-picks.parquet"}


def build(size: str, work: Path, iterations: int) -> dict:
    import pandas as pd

    import recsys

    n_users, n_items, n_rows = SIZES[size]
    start = time.perf_counter()
    data = make_large(n_users, n_items, n_rows, seed=1)
    generated = time.perf_counter() - start
    rng = np.random.default_rng(2)
    products = pd.DataFrame({"product_id": np.arange(n_items),
                             "category": rng.integers(0, 200, n_items).astype(str),
                             "in_stock": rng.random(n_items) > 0.05})
    start = time.perf_counter()
    model = recsys.ALS(factors=64, iterations=iterations, random_state=0).fit(data)
    fitted = time.perf_counter() - start
    where = paths(work)
    work.mkdir(parents=True, exist_ok=True)
    model.save(where["model"])
    products.to_parquet(where["products"], index=False)
    return {"generate_seconds": generated, "fit_seconds": fitted, "rows": n_rows,
            "customers": n_users, "products": n_items, "iterations": iterations}


def peak_rss() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def worker(payload: dict) -> dict:
    import pandas as pd
    from _common import peak_since, reset_peak

    import recsys

    where = paths(Path(payload["work"]))
    if payload["task"] == "build":
        return build(payload["size"], Path(payload["work"]), payload["iterations"])
    model = recsys.load(where["model"])
    n_customers = int(len(model.users_) * payload.get("share", 1.0))
    base = reset_peak()
    if payload["task"] == "implicit":
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, "blas"):
            raw = AlternatingLeastSquares(factors=model.factors, random_state=0)
            raw.user_factors, raw.item_factors = model.user_factors_, model.item_factors_
            users = np.arange(n_customers)
            start = time.perf_counter()
            ids, scores = raw.recommend(users, model.seen_[users], N=K,
                                        filter_already_liked_items=True)
            seconds = time.perf_counter() - start
        result = {"seconds": seconds, "picks": int((scores > -3e38).sum())}
        if payload.get("compare"):
            result["ids"] = ids[: payload["compare"]].tolist()
        return {**result, "peak_growth_bytes": peak_since(base), "peak_rss_bytes": peak_rss(),
                "customers": n_customers}
    products = pd.read_parquet(where["products"])
    constraints = [recsys.campaign.ExcludePurchased(),
                   recsys.campaign.CategoryCap(products, column="category", max_per_category=CAP)]
    if payload.get("no_rules"):
        constraints = [recsys.campaign.ExcludePurchased()]
    audience = model.users_.ids[:n_customers]
    start = time.perf_counter()
    outcome = recsys.campaign.make_picks(model, audience, k=K, constraints=constraints,
                                         products=products, backfill=not payload.get("no_rules"),
                                         out=where["picks"], chunk_size=payload["chunk"])
    seconds = time.perf_counter() - start
    result = {"seconds": seconds, "picks": outcome.summary["picks"],
              "backfilled_share": outcome.summary["backfilled_share"],
              "peak_growth_bytes": peak_since(base), "peak_rss_bytes": peak_rss(),
              "customers": n_customers, "file_mib": mib(where["picks"].stat().st_size)}
    if payload.get("check"):
        result["violations"] = check_file(where["picks"], model, products, payload["check"])
    if payload.get("compare"):
        picks = pd.read_parquet(where["picks"])
        first = picks[picks["customer_id"] < payload["compare"]]
        result["ids"] = [g.sort_values("rank")["product_id"].tolist()
                         for _, g in first.groupby("customer_id")]
    return result


def check_file(path: Path, model, products, sample: int) -> list[str]:
    """Read the written picks back and check every rule for a sample of customers."""
    import pandas as pd

    picks = pd.read_parquet(path)
    problems = []
    sizes = picks.groupby("customer_id").size()
    if (sizes != K).any():
        problems.append(f"{int((sizes != K).sum())} customers without {K} picks")
    rng = np.random.default_rng(0)
    chosen = rng.choice(sizes.index.to_numpy(), size=min(sample, len(sizes)), replace=False)
    part = picks[picks["customer_id"].isin(chosen)]
    category = products.set_index("product_id")["category"]
    rows = model.users_.to_index(part["customer_id"].to_numpy())
    cols = model.items_.to_index(part["product_id"].to_numpy())
    bought = np.asarray(model.seen_[rows, cols]).ravel() > 0
    if bought.any():
        problems.append(f"{int(bought.sum())} picks already bought")
    over = part.assign(category=category.reindex(part["product_id"]).to_numpy()).groupby(
        ["customer_id", "category"]).size()
    if (over > CAP).any():
        problems.append(f"{int((over > CAP).sum())} category caps broken")
    if part["reason"].isna().any() or (part["reason"].str.len() == 0).any():
        problems.append("picks without a reason")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    parser.add_argument("--data-dir", default=None, help="unused; accepted for run.py")
    parser.add_argument("--work", default=str(Path(__file__).resolve().parent / "results" / "work"))
    parser.add_argument("--iterations", type=int, default=5, help="ALS iterations of the build")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    size = "quick" if args.quick else "full"
    work = Path(args.work) / size
    common = {"work": str(work), "size": size}
    built = in_worker(__file__, {**common, "task": "build", "iterations": args.iterations})
    if "error" in built:
        print(f"build failed: {built['error']}")
        return 1
    print(f"built: {built['customers']:,} customers x {built['products']:,} products, "
          f"{built['rows']:,} purchases; ALS fit {built['fit_seconds']:.1f} s "
          f"({built['iterations']} iterations)", flush=True)
    chunk = 20_000
    rows, failures = [], []
    repeat = 1 if args.quick else args.repeat
    runs = {"implicit": [], "recsys": []}
    for _ in range(repeat):
        for task in ("implicit", "recsys"):
            payload = {**common, "task": task, "chunk": chunk, "check": 2000}
            res = in_worker(__file__, payload)
            if "error" in res:
                failures.append(f"{task}: {res['error']}")
                continue
            runs[task].append(res)
            print(f"{task:<9} {res['seconds']:8.1f} s  peak RSS {mib(res['peak_rss_bytes']):8.0f} MiB"
                  f"  (growth {mib(res['peak_growth_bytes']):6.0f} MiB)  picks {res['picks']:,}",
                  flush=True)
    if not args.quick:
        quarter = in_worker(__file__, {**common, "task": "recsys", "chunk": chunk, "share": 0.25})
        if "error" not in quarter:
            runs["recsys-quarter"] = [quarter]
            print(f"recsys on 25% of customers: {quarter['seconds']:.1f} s, peak RSS "
                  f"{mib(quarter['peak_rss_bytes']):.0f} MiB", flush=True)
    for task, got in runs.items():
        if not got:
            continue
        best = sorted(got, key=lambda r: r["seconds"])[len(got) // 2]
        rows.append({"engine": task, "customers": best["customers"], "seconds": best["seconds"],
                     "runs": [round(r["seconds"], 2) for r in got],
                     "peak_rss_mib": mib(max(r["peak_rss_bytes"] for r in got)),
                     "peak_growth_mib": mib(max(r["peak_growth_bytes"] for r in got)),
                     "picks": best["picks"], "rules": "none" if task == "implicit" else
                     f"purchased, category cap {CAP}, back-fill, reasons, Parquet out"})
        for r in got:
            failures += [f"{task}: {v}" for v in r.get("violations", [])]
    raw = next((r for r in rows if r["engine"] == "implicit"), None)
    for r in rows:
        if raw:
            r["ratio"] = r["seconds"] / raw["seconds"]
    if args.quick:  # without the cap, the model's picks are raw implicit's
        mine = in_worker(__file__, {**common, "task": "recsys", "chunk": 3000, "no_rules": True,
                                    "compare": 300})
        theirs = in_worker(__file__, {**common, "task": "implicit", "compare": 300})
        if "error" in mine or "error" in theirs:
            failures.append("comparison run failed")
        else:
            differ = sum(set(a) != set(b) for a, b in zip(mine["ids"], theirs["ids"], strict=False))
            if differ:
                failures.append(f"{differ} of 300 customers differ from raw implicit without rules")
    columns = [("engine", "engine"), ("customers", "customers"), ("seconds", "seconds"),
               ("ratio", "time / implicit"), ("peak_rss_mib", "peak RSS MiB"),
               ("peak_growth_mib", "peak growth MiB"), ("picks", "picks"), ("rules", "work")]
    return finish("campaign", args, rows, columns, failures, build=built)


if __name__ == "__main__":
    sys.exit(main())

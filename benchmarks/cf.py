"""Collaborative filtering: recsys models against raw implicit, on real data and at scale.

For each data set (Online Retail customers x products with the last 30 days as test;
MovieLens small with each user's last 10 ratings as test) and each model (Popularity, ALS,
BPR, ItemKNN, EASE), a fresh worker times ``fit`` and recommend-all (k=10, seen items
excluded) separately after a warm-up, records the peak memory, and scores ndcg@10 and
recall@10 on the test period. ALS, BPR and ItemKNN also run through raw implicit in the
same benchmark run with the same parameters, for the overhead ratio. Runs alternate between
the engines and the medians are reported.

The large case (1,000,000 customers x 50,000 products x 20,000,000 purchases, generated) fits
ALS and recommends for everyone, for time and memory; it is skipped under ``--quick``.

    python benchmarks/cf.py --data-dir ../shared/data --json benchmarks/results/cf.json
    python benchmarks/cf.py --quick      # CI: synthetic shop; asserts recsys == raw implicit
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    data_dir,
    finish,
    in_worker,
    make_large,
    mib,
    peak_since,
    reset_peak,
)

K = 10
MODELS = {
    "Popularity": {},
    "ALS": {"factors": 64, "regularization": 0.01, "alpha": 1.0, "iterations": 15, "random_state": 0},
    "BPR": {"factors": 64, "learning_rate": 0.05, "regularization": 0.01, "iterations": 100,
            "random_state": 0},
    "ItemKNN": {"similarity": "bm25", "k": 100},
    "EASE": {"l2": 500.0},
}
RAW = ("ALS", "BPR", "ItemKNN")


# ---------------------------------------------------------------------- data
def load(dataset: str, root: str):
    """(train, test) Interactions."""
    import recsys
    from recsys.evaluation.split import temporal_split

    if dataset == "synthetic-large":
        return make_large(1_000_000, 50_000, 20_000_000), None
    if dataset == "online-retail":
        data = recsys.read_online_retail(Path(root) / "online-retail.csv.gz").interactions
    elif dataset == "movielens":
        # MovieLens users rate in bursts, so a global cutoff leaves few test users: hold
        # out each user's last 10 ratings instead (by time)
        from recsys.evaluation.split import leave_last_out

        data = recsys.read_movielens(Path(root) / "ml-latest-small").interactions
        return leave_last_out(data, n=10)
    else:
        data = recsys.make_shop(seed=0).interactions
    return temporal_split(data, last_days=30)


# ---------------------------------------------------------------------- engines
def recsys_engine(name, params, train):
    import recsys

    model = getattr(recsys, name)(**params)
    users = train.users.ids

    def fit():
        model.fit(train)

    def recommend():
        return model.recommend(users, k=K)

    def frame(recs):
        return recs.to_frame()

    return fit, recommend, frame, users


def implicit_engine(name, params, train):
    import pandas as pd
    import scipy.sparse as sp
    from threadpoolctl import threadpool_limits

    # the same interaction arrays recsys starts from; a user of implicit builds the CSR
    # from them, so that is part of its fit (as building it is part of recsys's)
    rows, cols, weights = train.user_index, train.item_index, train.weights
    shape = (train.n_users, train.n_items)
    built = {}
    if name == "ALS":
        from implicit.cpu.als import AlternatingLeastSquares

        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(**params)
    elif name == "BPR":
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        model = BayesianPersonalizedRanking(**params)
    else:
        from implicit.nearest_neighbours import BM25Recommender

        model = BM25Recommender(K=params["k"], K1=1.2, B=0.75)
    item_ids = train.items.ids
    if name == "ItemKNN":
        # a user of implicit indexes train's own customers and products: BM25's collection
        # sizes then count only those (as recsys's, which ignores empty rows and columns)
        user_codes, rows = np.unique(rows, return_inverse=True)
        item_codes, cols = np.unique(cols, return_inverse=True)
        shape, item_ids = (len(user_codes), len(item_codes)), train.items.ids[item_codes]
    userids = np.arange(shape[0])

    def fit():
        matrix = sp.csr_matrix((weights, (rows, cols)), shape=shape, dtype=np.float32)
        built["matrix"] = matrix
        with threadpool_limits(1, "blas"):
            model.fit(matrix, show_progress=False)

    def recommend():
        with threadpool_limits(1, "blas"):
            return model.recommend(userids, built["matrix"], N=K, filter_already_liked_items=True)

    def frame(result):
        ids, scores = result
        valid = (scores > -3e38) & (ids >= 0)
        rows, ranks = np.nonzero(valid)
        users = train.users.ids if name != "ItemKNN" else train.users.ids[user_codes]
        return pd.DataFrame({"query": users[rows], "item": item_ids[ids[valid]],
                             "rank": ranks + 1})

    return fit, recommend, frame, train.users.ids if name != "ItemKNN" else \
        train.users.ids[user_codes]


def worker(payload: dict) -> dict:
    from recsys.evaluation.metrics import ranking_metrics

    train, test = load(payload["dataset"], payload["data_dir"])
    name, params = payload["model"], dict(payload["params"])
    make = recsys_engine if payload["engine"] == "recsys" else implicit_engine
    # warm-up: imports, thread pools and first-call costs, on a slice of the data
    if payload.get("warmup", True):
        small = train.select(train.user_index < max(50, train.n_users // 50))
        w_fit, w_rec, _, _ = make(name, {**params, **({"iterations": 2} if "iterations" in params
                                                      else {})}, small)
        w_fit()
        w_rec()
    fit, recommend, frame, _ = make(name, params, train)
    base = reset_peak()
    start = time.perf_counter()
    fit()
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    result = recommend()
    rec_seconds = time.perf_counter() - start
    out = {"fit_seconds": fit_seconds, "recommend_seconds": rec_seconds,
           "peak_bytes": peak_since(base), "users": int(train.n_users)}
    if test is not None:
        known = np.zeros(train.n_users, bool)
        known[train.user_index] = True
        truth = test.select(known[test.user_index])
        scores = ranking_metrics(frame(result), truth.to_frame(), k=K, metrics=["ndcg", "recall"])
        out.update({"ndcg@10": scores["ndcg@10"], "recall@10": scores["recall@10"]})
    return out


# ---------------------------------------------------------------------- driver
def run_case(dataset, root, repeat, models, results, engines=("recsys", "implicit")):
    for name in models:
        runs = {engine: [] for engine in engines if engine == "recsys" or name in RAW}
        for _ in range(repeat):
            for engine in runs:  # alternate engines so drift hits both alike
                payload = {"dataset": dataset, "data_dir": str(root), "model": name,
                           "engine": engine, "params": MODELS[name]}
                res = in_worker(__file__, payload)
                if "error" in res:
                    print(f"{dataset} {name} {engine}: error {res['error']}", flush=True)
                    break
                runs[engine].append(res)
        for engine, got in runs.items():
            if not got:
                continue
            row = {"dataset": dataset, "model": name, "engine": engine, **got[0]}
            for key in ("fit_seconds", "recommend_seconds"):
                row[key] = statistics.median(r[key] for r in got)
            row["peak_mib"] = mib(max(r["peak_bytes"] for r in got))
            row["fit_runs"] = [round(r["fit_seconds"], 3) for r in got]
            row["recommend_runs"] = [round(r["recommend_seconds"], 3) for r in got]
            results.append(row)
            print(f"{dataset:>14} {name:<10} {engine:<8} fit {row['fit_seconds']:7.2f} s  "
                  f"recommend-all {row['recommend_seconds']:7.3f} s  peak {row['peak_mib']:7.0f} MiB"
                  + (f"  ndcg@10 {row['ndcg@10']:.4f}  recall@10 {row['recall@10']:.4f}"
                     if "ndcg@10" in row else ""), flush=True)


def add_ratios(results):
    by_key = {(r["dataset"], r["model"], r["engine"]): r for r in results}
    for r in results:
        raw = by_key.get((r["dataset"], r["model"], "implicit"))
        if r["engine"] == "recsys" and raw:
            r["fit_ratio"] = r["fit_seconds"] / raw["fit_seconds"]
            r["recommend_ratio"] = r["recommend_seconds"] / raw["recommend_seconds"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", default=None)
    parser.add_argument("--datasets", default="online-retail,movielens,synthetic-large")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    root = data_dir(args.data_dir)
    results, failures = [], []
    models = args.models.split(",")
    if args.quick:
        run_case("synthetic", root, 1, models, results)
    else:
        for dataset in args.datasets.split(","):
            needed = {"online-retail": "online-retail.csv.gz", "movielens": "ml-latest-small"}
            if dataset in needed and not (root / needed[dataset]).exists():
                print(f"skip {dataset}: no data under {root}")
                continue
            if dataset == "synthetic-large":
                run_case(dataset, root, 1, ["ALS"], results)
            else:
                run_case(dataset, root, args.repeat, models, results)
    add_ratios(results)
    # correctness: the same ALS through recsys and raw implicit gives the same quality
    for r in results:
        raw = next((x for x in results if x["engine"] == "implicit" and x["model"] == r["model"]
                    and x["dataset"] == r["dataset"]), None)
        same_model = r["engine"] == "recsys" and raw and r["model"] in ("ALS", "ItemKNN")
        if same_model and "ndcg@10" in r and abs(r["ndcg@10"] - raw["ndcg@10"]) > 1e-3:
            failures.append(f"{r['dataset']} {r['model']}: ndcg@10 {r['ndcg@10']:.5f} vs raw "
                                f"implicit {raw['ndcg@10']:.5f}")
    columns = [("dataset", "data"), ("model", "model"), ("engine", "engine"),
               ("fit_seconds", "fit s"), ("fit_ratio", "fit / implicit"),
               ("recommend_seconds", "recommend-all s"), ("recommend_ratio", "recommend / implicit"),
               ("peak_mib", "peak MiB"), ("ndcg@10", "ndcg@10"), ("recall@10", "recall@10")]
    return finish("cf", args, results, columns, failures)


if __name__ == "__main__":
    sys.exit(main())

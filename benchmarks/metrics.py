"""Ranking metrics: recsys against ranx and a straightforward pandas implementation.

100,000 users, top-10 lists, about 5 relevant items each; precision, recall, ndcg and MAP at
10. Every engine gets its input in its own natural form, built before the clock starts, and is
timed on warm calls (ranx compiles with numba on the first call); the medians of several
calls are reported. The values must agree (ranx's MAP divides by |relevant|, so recsys is
asked for that convention when compared with ranx; the pandas reference implements the recsys
defaults).

    python benchmarks/metrics.py --json benchmarks/results/metrics.json
    python benchmarks/metrics.py --quick      # CI: 2,000 users, asserts equal values
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

K = 10
METRICS = ["precision", "recall", "ndcg", "map"]


def make_data(n_users: int, n_items: int = 20_000, seed: int = 0):
    """Long frames of recommendations (query, item, rank) and truth (user_id, item_id)."""
    rng = np.random.default_rng(seed)
    users = np.repeat(np.arange(n_users), K)
    # distinct items per list: one from each of K blocks of the catalogue, in random order
    block = n_items // K
    rec_items = np.arange(K) * block + rng.integers(0, block, size=(n_users, K))
    rec_items = np.take_along_axis(rec_items, np.argsort(rng.random((n_users, K)), axis=1), axis=1)
    recs = pd.DataFrame({"query": users, "item": rec_items.ravel(),
                         "rank": np.tile(np.arange(1, K + 1), n_users)})
    n_rel = np.maximum(1, rng.poisson(5, size=n_users))
    truth_users = np.repeat(np.arange(n_users), n_rel)
    hit = rng.random(len(truth_users)) < 0.3  # a third of relevant items were recommended
    from_recs = rec_items[truth_users, rng.integers(0, K, size=len(truth_users))]
    truth_items = np.where(hit, from_recs, rng.integers(0, n_items, size=len(truth_users)))
    truth = pd.DataFrame({"user_id": truth_users, "item_id": truth_items}).drop_duplicates()
    return recs, truth.reset_index(drop=True)


def pandas_per_user(recs: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """The recsys default definitions, written the straightforward way: a function per user
    applied over a groupby."""
    relevant = truth.groupby("user_id")["item_id"].agg(set)
    discounts = 1.0 / np.log2(np.arange(2, K + 2))

    def one_user(group: pd.DataFrame) -> pd.Series:
        rel = relevant.get(group.name, set())
        ranked = group.sort_values("rank")["item"].tolist()[:K]
        hits = [item in rel for item in ranked]
        n_hits = sum(hits)
        dcg = sum(d for d, h in zip(discounts, hits, strict=False) if h)
        idcg = discounts[: min(len(rel), K)].sum()
        precisions = [sum(hits[: i + 1]) / (i + 1) for i, h in enumerate(hits) if h]
        return pd.Series({"precision": n_hits / K, "recall": n_hits / len(rel),
                          "ndcg": dcg / idcg, "map": sum(precisions) / min(len(rel), K)})

    scored = recs[recs["query"].isin(relevant.index)].groupby("query").apply(one_user)
    scored = scored.reindex(relevant.index).fillna(0.0)
    return {f"{m}@10": float(scored[m].mean()) for m in METRICS}


def pandas_reference(recs: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """The recsys default definitions in vectorised pandas (merge, groupby, cumsum)."""
    rel = truth.drop_duplicates().assign(relevant=1)
    n_rel = rel.groupby("user_id").size().rename("n_rel")
    top = recs[recs["rank"] <= K].merge(rel, how="left", left_on=["query", "item"],
                                        right_on=["user_id", "item_id"])
    top["hit"] = top["relevant"].fillna(0.0)
    top = top.sort_values(["query", "rank"])
    top["gain"] = top["hit"] / np.log2(top["rank"] + 1)
    top["hits_so_far"] = top.groupby("query")["hit"].cumsum()
    top["prec_at_hit"] = top["hit"] * top["hits_so_far"] / top["rank"]
    per = top.groupby("query").agg(hits=("hit", "sum"), dcg=("gain", "sum"),
                                   ap_sum=("prec_at_hit", "sum"))
    per = n_rel.to_frame().join(per, how="left").fillna(0.0)
    ideal_len = np.minimum(per["n_rel"], K).astype(int)
    discounts = np.cumsum(1.0 / np.log2(np.arange(2, K + 2)))
    idcg = discounts[ideal_len - 1]
    return {"precision@10": float((per["hits"] / K).mean()),
            "recall@10": float((per["hits"] / per["n_rel"]).mean()),
            "ndcg@10": float((per["dcg"] / idcg).mean()),
            "map@10": float((per["ap_sum"] / np.minimum(per["n_rel"], K)).mean())}


def ranx_inputs(recs: pd.DataFrame, truth: pd.DataFrame):
    from ranx import Qrels, Run

    def text(column: pd.Series) -> pd.Series:  # ranx wants object columns of str
        return column.astype(str).astype(object)

    qrels = Qrels.from_df(truth.assign(user_id=text(truth["user_id"]),
                                       item_id=text(truth["item_id"]), score=1),
                          q_id_col="user_id", doc_id_col="item_id", score_col="score")
    run = Run.from_df(recs.assign(query=text(recs["query"]), item=text(recs["item"]),
                                  score=(K + 1 - recs["rank"]).astype(float)),
                      q_id_col="query", doc_id_col="item", score_col="score")
    return qrels, run


def as_recsys_objects(recs: pd.DataFrame, truth: pd.DataFrame):
    """The same data as a model's Recommendations and the test Interactions."""
    from recsys import IdMap, Interactions, Recommendations

    items = IdMap(np.concatenate([recs["item"].to_numpy(), truth["item_id"].to_numpy()]))
    users = IdMap(truth["user_id"].to_numpy())
    n = recs["query"].nunique()
    index = items.to_index(recs["item"].to_numpy()).reshape(n, K)
    scores = np.tile(np.arange(K, 0, -1, dtype=np.float32), (n, 1))
    obj = Recommendations(recs["query"].to_numpy()[::K], index, scores, np.full(n, K), items,
                          np.full(n, "benchmark"), K)
    test = Interactions.from_frame(truth, items=items, users=users)
    return obj, test


def timed(fn, repeat: int) -> tuple[float, list[float], object]:
    fn()  # warm: imports, numba compilation, caches
    runs, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), runs, result


def run(n_users: int, repeat: int) -> tuple[list[dict], list[str]]:
    from recsys.evaluation.metrics import ranking_metrics

    recs, truth = make_data(n_users)
    rows, failures = [], []
    seconds, runs, ours = timed(lambda: ranking_metrics(recs, truth, k=K, metrics=METRICS), repeat)
    rows.append({"engine": "recsys", "input": "long frames", "seconds": seconds, "runs": runs,
                 **ours})
    ours_ranx = ranking_metrics(recs, truth, k=K, metrics=METRICS,
                                options={"map": {"denominator": "relevant"}})
    recs_obj, truth_obj = as_recsys_objects(recs, truth)
    seconds, runs, native = timed(lambda: ranking_metrics(recs_obj, truth_obj, k=K,
                                                           metrics=METRICS), repeat)
    rows.append({"engine": "recsys", "input": "Recommendations + Interactions",
                 "seconds": seconds, "runs": runs, **native})
    for name, fn, reps in (("pandas (vectorised)", pandas_reference, max(1, repeat // 2)),
                           ("pandas (per-user apply)", pandas_per_user, 1)):
        pd_seconds, pd_runs, reference = timed(lambda fn=fn: fn(recs, truth), reps)
        rows.append({"engine": name, "input": "long frames", "seconds": pd_seconds,
                     "runs": pd_runs, **reference})
        for key, value in reference.items():
            for label, got in (("frames", ours), ("objects", native)):
                if abs(value - got[key]) > 1e-9:
                    failures.append(f"{key}: recsys ({label}) {got[key]:.12f} vs {name} {value:.12f}")
    try:
        from ranx import evaluate as ranx_evaluate
    except ImportError:
        ranx_evaluate = None
    if ranx_evaluate is not None:
        start = time.perf_counter()
        qrels, ranx_run = ranx_inputs(recs, truth)
        build = time.perf_counter() - start
        names = [f"{m}@{K}" for m in METRICS]
        r_seconds, r_runs, theirs = timed(lambda: ranx_evaluate(qrels, ranx_run, names), repeat)
        rows.append({"engine": "ranx", "input": "Qrels/Run (built beforehand)",
                     "seconds": r_seconds, "runs": r_runs, "build_seconds": build,
                     **{k: float(v) for k, v in theirs.items()}})
        for key in names:
            if abs(float(theirs[key]) - ours_ranx[key]) > 1e-9:
                failures.append(f"{key}: recsys {ours_ranx[key]:.12f} vs ranx {theirs[key]:.12f}")
    base = rows[0]["seconds"]  # recsys on long frames, the same input as pandas
    for row in rows:
        row["ratio"] = row["seconds"] / base
        row["users"] = n_users
    return rows, failures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", default=None)
    parser.add_argument("--data-dir", default=None, help="unused; accepted for run.py")
    args = parser.parse_args(argv)
    n_users = 2_000 if args.quick else args.users
    rows, failures = run(n_users, 3 if args.quick else args.repeat)
    for row in rows:
        print(f"{row['engine']:<8} {row['seconds']:.4f} s  x{row['ratio']:.1f}  "
              + "  ".join(f"{m}@10={row[f'{m}@10']:.6f}" for m in METRICS))
    columns = [("engine", "engine"), ("input", "input"), ("users", "users"),
               ("seconds", "seconds (median, warm)"), ("ratio", "time / recsys"),
               ("precision@10", "precision@10"), ("recall@10", "recall@10"),
               ("ndcg@10", "ndcg@10"), ("map@10", "map@10")]
    return finish("metrics", args, rows, columns, failures)


if __name__ == "__main__":
    sys.exit(main())

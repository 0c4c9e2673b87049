"""Anonymous sessions: the next-item protocol (HR@20, MRR@20 over every position of held-out
sessions) on the generated funnel (``make_shop(events=True)``: views, carts and purchases in
sessions, a share of visitors never logged in), and the cost of serving one session.

The sessions are split by time: the newest 10% are held out, the rest train every model as
sessions (each session a basket: ``basket="session_id"``, every event kind counted once).
Beside recsys's models, two baselines written here: "viewed together" (an item-kNN over the
sessions: for each product the products that shared a session with it, cosine-normalised
co-occurrence counts, summed over the session's products) and the most viewed products.
The run fails when an answer is not a list of known products.

Then the scale of a web shop's log: 10,000,000 event rows in a CSV file (1,000,000 visitors,
50,000 products, four kinds: view, cart, wishlist, purchase) read, coded and fitted with ALS
(64 factors, 15 iterations, regularization 0.01, alpha 1) in a fresh process, beside pandas'
``read_csv``, the kinds weighed by hand and raw implicit on the same matrix; wall seconds and
peak memory of each process.

    python benchmarks/events.py            # the default shop (20,000 sessions), serving timed
    python benchmarks/events.py --quick    # CI: a smaller shop, fewer positions, 200,000 rows
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish, in_worker, peak_since, reset_peak

K = 20


class ViewedTogether:
    """The baseline: products that shared sessions, cosine-normalised counts."""

    def __init__(self, train: pd.DataFrame) -> None:
        self.items = pd.Index(np.unique(train["product_id"]))
        sessions = pd.factorize(train["session_id"])[0]
        cells = pd.DataFrame({"s": sessions, "i": self.items.get_indexer(train["product_id"])})
        cells = cells.drop_duplicates()
        x = sp.csr_matrix((np.ones(len(cells)), (cells["s"], cells["i"])),
                          shape=(sessions.max() + 1, len(self.items)))
        counts = (x.T @ x).tocsr()
        counts.setdiag(0)
        norm = np.sqrt(np.asarray(x.sum(axis=0)).ravel())
        self.similarity = sp.diags(1 / norm) @ counts @ sp.diags(1 / norm)

    def recommend(self, session: list, k: int) -> list:
        known = self.items.get_indexer(session)
        known = known[known >= 0]
        if not len(known):
            return []
        scores = np.asarray(self.similarity[known].sum(axis=0)).ravel()
        scores[known] = 0
        top = np.argsort(-scores, kind="stable")[:k]
        return self.items[top[scores[top] > 0]].tolist()


def _baseline_metrics(answer, asked: list, answers: np.ndarray) -> dict:
    """HR@K and MRR@K of a baseline (``answer(products so far) -> its list``) on the same
    positions as :func:`recsys.evaluation.sessions.next_item` asks."""
    ranks = []
    for prefix, target in zip(asked, answers, strict=True):
        picks = answer(prefix)
        ranks.append(picks.index(target) + 1 if target in picks else 0)
    ranks = np.asarray(ranks)
    return {"hr": round(float((ranks > 0).mean()), 4),
            "mrr": round(float(np.where(ranks > 0, 1 / np.maximum(ranks, 1), 0).mean()), 4),
            "positions": len(ranks)}


def _serving(model, held: pd.DataFrame, calls: int) -> tuple[float, float]:
    sessions = [group["product_id"].tolist()[:5]
                for _, group in held.groupby("session_id", sort=False)][:calls]
    times = []
    for session in sessions:
        start = time.perf_counter()
        model.recommend_for_session(session, k=10)
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e3), float(np.percentile(times, 99) * 1e3)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    parser.add_argument("--data-dir", default=None, help="unused: the data is generated")
    parser.add_argument("--rows", type=int, default=None, help="events of the scale run")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(scale_worker(json.loads(args.worker))))
        return 0
    import recsys
    from recsys.evaluation.sessions import next_item, positions
    from recsys.models.cooccurrence import CoOccurrence
    from recsys.models.session_knn import SessionKNN

    warnings.simplefilter("ignore")
    shop = recsys.make_shop(n_customers=600 if args.quick else 2000, seed=0, events=True)
    events = shop.events.sort_values(["timestamp", "session_id"], kind="stable")
    starts = events.groupby("session_id")["timestamp"].min()
    cutoff = starts.quantile(0.9)
    held = events[events["session_id"].map(starts) > cutoff]
    train = events[events["session_id"].map(starts) <= cutoff]
    data = recsys.Interactions.from_frame(train, user=None, item="product_id",
                                          basket="session_id", timestamp="timestamp")
    limit = 2_000 if args.quick else 20_000
    models = {"SessionKNN": SessionKNN(), "CoOccurrence (sessions)": CoOccurrence(),
              "ItemKNN (sessions)": recsys.ItemKNN(), "SequentialRules": recsys.SequentialRules(),
              "Popularity": recsys.Popularity()}
    rows, failures = [], []
    for name, model in models.items():
        if model.needs_customers:  # fitted on sessions as if each were a customer
            fit_on = recsys.Interactions.from_frame(train, user="session_id", item="product_id",
                                                    timestamp="timestamp")
        else:
            fit_on = data
        model.fit(fit_on)
        scores = next_item(model, held, k=K, max_positions=limit)
        p50, p99 = _serving(model, held, 300 if args.quick else 2000)
        rows.append({"model": name, "hr": round(scores["hit_rate"], 4),
                     "mrr": round(scores["mrr"], 4), "positions": scores["positions"],
                     "fit_s": round(model.fit_seconds_, 3), "p50_ms": round(p50, 3),
                     "p99_ms": round(p99, 3)})
        print(rows[-1], flush=True)
    asked, answers = positions(held)  # the questions next_item asked the models
    asked, answers = asked[:limit], answers[:limit]
    baseline = ViewedTogether(train)
    rows.append({"model": "viewed together (baseline, here)",
                 **_baseline_metrics(lambda prefix: baseline.recommend(prefix, K), asked,
                                     answers)})
    viewed = train[train["event"] == "view"]["product_id"].value_counts().index[:K].tolist()
    rows.append({"model": "most viewed (baseline, here)",
                 **_baseline_metrics(lambda prefix: [i for i in viewed if i not in prefix],
                                     asked, answers)})
    best = max(rows[:len(models)], key=lambda r: r["hr"])
    for row in rows:
        row["hr_vs_viewed_together"] = round(row["hr"] / max(rows[-2]["hr"], 1e-12), 3)
        row["mrr_vs_viewed_together"] = round(row["mrr"] / max(rows[-2]["mrr"], 1e-12), 3)
    print(f"best: {best['model']}", flush=True)
    rows_of_log = args.rows or (200_000 if args.quick else 10_000_000)
    for row in scale(rows_of_log, args.repeat or (1 if args.quick else 3)):
        rows.append(row)
        print(row, flush=True)
        if row["customers"] <= 0:
            failures.append(f"{row['model']}: no customer fitted")
    columns = [("model", "model"), ("hr", f"HR@{K}"), ("mrr", f"MRR@{K}"),
               ("hr_vs_viewed_together", "HR / viewed together"),
               ("mrr_vs_viewed_together", "MRR / viewed together"), ("positions", "positions"),
               ("fit_s", "fit s (scale: the whole process)"), ("p50_ms", "session p50 ms"),
               ("p99_ms", "p99 ms"), ("peak_mib", "peak MiB"), ("time_ratio", "time / peer"),
               ("memory_ratio", "memory / peer")]
    return finish("events", args, rows, columns, failures)


WEIGHTS = {"view": 1.0, "cart": 4.0, "wishlist": 2.0, "purchase": 10.0}
ALS_PARAMS = {"factors": 64, "iterations": 15, "regularization": 0.01, "alpha": 1.0}


def make_log(rows: int, path: Path) -> str:
    """The event log as a CSV file (written once per size)."""
    if path.exists():
        return str(path)
    rng = np.random.default_rng(0)
    kinds = np.array(list(WEIGHTS))
    pd.DataFrame({
        "visitor_id": rng.integers(1, max(rows // 10, 10), rows),
        "product_id": rng.zipf(1.3, rows) % 50_000,
        "event_type": kinds[rng.choice(4, rows, p=[0.85, 0.08, 0.03, 0.04])],
        "ts": rng.integers(1_700_000_000, 1_702_600_000, rows),
    }).to_csv(path, index=False)
    return str(path)


def scale_worker(payload: dict) -> dict:
    """One side, in a fresh process: read, code, fit; the wall time includes the imports."""
    start = time.perf_counter()
    base = reset_peak()
    if payload["side"] == "recsys":
        import recsys
        from recsys.io.tables import read_table

        frame = read_table(payload["path"], columns=["visitor_id", "product_id", "event_type"])
        data = recsys.Interactions.from_frame(frame, user="visitor_id", item="product_id",
                                              event="event_type", event_weights=WEIGHTS)
        model = recsys.ALS(random_state=0, num_threads=2, **ALS_PARAMS).fit(data)
        shape = model.user_factors_.shape
    else:
        from implicit.cpu.als import AlternatingLeastSquares

        frame = pd.read_csv(payload["path"], usecols=["visitor_id", "product_id", "event_type"])
        users, user_ids = pd.factorize(frame["visitor_id"])
        items, item_ids = pd.factorize(frame["product_id"])
        weights = frame["event_type"].map(WEIGHTS).to_numpy(np.float32)
        matrix = sp.csr_matrix((weights, (users, items)),
                               shape=(len(user_ids), len(item_ids)))
        matrix.sum_duplicates()
        model = AlternatingLeastSquares(random_state=0, num_threads=2, **ALS_PARAMS)
        model.fit(matrix, show_progress=False)
        shape = model.user_factors.shape
    return {"seconds": time.perf_counter() - start, "peak_mib": peak_since(base) / 2**20,
            "customers": int(shape[0])}


def scale(rows: int, repeat: int) -> list[dict]:
    path = make_log(rows, Path(__file__).resolve().parent / "results" / "work"
                    / f"events-{rows}.csv")
    out = {}
    for side in ("recsys", "pandas + implicit"):
        runs = [in_worker(__file__, {"side": side, "path": path}) for _ in range(repeat)]
        failed = [r for r in runs if "error" in r]
        if failed:
            raise SystemExit(f"{side}: {failed[0]['error']}")
        out[side] = {"seconds": float(np.median([r["seconds"] for r in runs])),
                     "peak_mib": max(r["peak_mib"] for r in runs),
                     "customers": runs[0]["customers"]}
    ours, theirs = out["recsys"], out["pandas + implicit"]
    return [{"model": f"{side}: {rows:,} events to a fitted ALS", "fit_s": round(v["seconds"], 2),
             "peak_mib": round(v["peak_mib"]), "customers": v["customers"],
             "time_ratio": round(ours["seconds"] / theirs["seconds"], 3) if side == "recsys"
             else "", "memory_ratio": round(ours["peak_mib"] / theirs["peak_mib"], 3)
             if side == "recsys" else ""} for side, v in out.items()]


if __name__ == "__main__":
    sys.exit(main())

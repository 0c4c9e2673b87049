"""Anonymous sessions: the next-item protocol (HR@20, MRR@20 over every position of held-out
sessions) on the generated funnel (``make_shop(events=True)``: views, carts and purchases in
sessions, a share of visitors never logged in), and the cost of serving one session.

The sessions are split by time: the newest 10% are held out, the rest train every model as
sessions (each session a basket: ``basket="session_id"``, every event kind counted once).
Beside recsys's models, two baselines written here: "viewed together" (an item-kNN over the
sessions: for each product the products that shared a session with it, cosine-normalised
co-occurrence counts, summed over the session's products) and the most viewed products.
The run fails when an answer is not a list of known products.

    python benchmarks/events.py            # the default shop (20,000 sessions), serving timed
    python benchmarks/events.py --quick    # CI: a smaller shop, fewer positions
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish

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


def _baseline_metrics(model, held: pd.DataFrame, limit: int) -> dict:
    from recsys.evaluation.sessions import _positions

    prefixes, targets = _positions(held, "session_id", "product_id", "timestamp", False)
    prefixes, targets = prefixes[:limit], targets[:limit]
    ranks = []
    for prefix, target in zip(prefixes, targets, strict=True):
        answer = model.recommend(prefix, K)
        ranks.append(answer.index(target) + 1 if target in answer else 0)
    ranks = np.asarray(ranks)
    return {"hit_rate": float((ranks > 0).mean()),
            "mrr": float(np.where(ranks > 0, 1 / np.maximum(ranks, 1), 0).mean()),
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
    args = parser.parse_args(argv)
    import recsys
    from recsys.evaluation.sessions import next_item
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
    baseline = ViewedTogether(train)
    scores = _baseline_metrics(baseline, held, limit)
    rows.append({"model": "viewed together (baseline, here)", "hr": round(scores["hit_rate"], 4),
                 "mrr": round(scores["mrr"], 4), "positions": scores["positions"]})
    viewed = train[train["event"] == "view"]["product_id"].value_counts().index[:K].tolist()
    prefixes_targets = _most_viewed(held, viewed, limit)
    rows.append({"model": "most viewed (baseline, here)", **prefixes_targets})
    best = max(rows[:len(models)], key=lambda r: r["hr"])
    for row in rows:
        row["hr_vs_viewed_together"] = round(row["hr"] / max(rows[-2]["hr"], 1e-12), 3)
        row["mrr_vs_viewed_together"] = round(row["mrr"] / max(rows[-2]["mrr"], 1e-12), 3)
    print(f"best: {best['model']}", flush=True)
    columns = [("model", "model"), ("hr", f"HR@{K}"), ("mrr", f"MRR@{K}"),
               ("hr_vs_viewed_together", "HR / viewed together"),
               ("mrr_vs_viewed_together", "MRR / viewed together"), ("positions", "positions"),
               ("fit_s", "fit s"), ("p50_ms", "session p50 ms"), ("p99_ms", "p99 ms")]
    return finish("events", args, rows, columns, failures)


def _most_viewed(held: pd.DataFrame, viewed: list, limit: int) -> dict:
    from recsys.evaluation.sessions import _positions

    prefixes, targets = _positions(held, "session_id", "product_id", "timestamp", False)
    ranks = []
    for prefix, target in zip(prefixes[:limit], targets[:limit], strict=True):
        answer = [i for i in viewed if i not in prefix][:K]
        ranks.append(answer.index(target) + 1 if target in answer else 0)
    ranks = np.asarray(ranks)
    return {"hr": round(float((ranks > 0).mean()), 4),
            "mrr": round(float(np.where(ranks > 0, 1 / np.maximum(ranks, 1), 0).mean()), 4),
            "positions": len(ranks)}


if __name__ == "__main__":
    sys.exit(main())

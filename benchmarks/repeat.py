"""Repeat purchases: BuyAgain against a personal-frequency baseline and raw implicit ALS.

Online Retail with repeats allowed: train before 2011-11-09, the rest (the last month) as test,
every product a customer bought in the test period relevant, nothing filtered (what the
customer bought before may be recommended). Baselines computed in the same run: each
customer's products by number of order lines (ties and fill by popularity), and raw implicit
ALS (``implicit.cpu.als``, 64 factors, ``filter_already_liked_items=False``). Reports ndcg@10,
recall on repeat and explore items and the personal hit rate (``recsys.evaluation.repeat_metrics``), and
fit and recommend-all times. A second protocol holds out each customer's last basket
(``leave_last_out(by="basket")``) for BuyAgain and NextBasket. Fails when BuyAgain or
NextBasket scores below Popularity.

    python benchmarks/repeat.py --json benchmarks/results/full/repeat.json
    python benchmarks/repeat.py --quick     # CI: the synthetic shop
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import data_dir, finish, present

K = 10


def load(dataset: str, root: Path):
    import recsys
    from recsys.evaluation.split import temporal_split

    if dataset == "online-retail":
        shop = recsys.read_online_retail(root / "online-retail.csv.gz")
        train, test = temporal_split(shop.interactions, cutoff="2011-11-09")
        return train, test, np.datetime64("2011-11-09")
    shop = recsys.make_shop(seed=0)
    train, test = temporal_split(shop.interactions, last_days=60)
    return train, test, train.timestamps.max() + np.timedelta64(1, "D")


def frequency_baseline(train, users: np.ndarray) -> pd.DataFrame:
    """Each customer's products by order lines, ties by popularity, filled with popular ones."""
    lines = train.to_frame()[["user_id", "item_id"]]
    popularity = lines.groupby("item_id")["user_id"].nunique().rename("popularity")
    own = lines[lines["user_id"].isin(users)].value_counts().rename("lines").reset_index()
    own = own.join(popularity, on="item_id").assign(tier=0)
    popular = popularity.nlargest(K).rename("popularity").reset_index()
    fill = pd.DataFrame({"user_id": np.repeat(users, len(popular)),
                         "item_id": np.tile(popular["item_id"].to_numpy(), len(users)),
                         "popularity": np.tile(popular["popularity"].to_numpy(), len(users)),
                         "lines": 0, "tier": 1})
    ranked = pd.concat([own, fill]).drop_duplicates(["user_id", "item_id"]).sort_values(
        ["user_id", "tier", "lines", "popularity"], ascending=[True, True, False, False])
    ranked["rank"] = ranked.groupby("user_id").cumcount() + 1
    return ranked[ranked["rank"] <= K].rename(columns={"user_id": "query", "item_id": "item"})


def raw_implicit_als(train, users: np.ndarray) -> pd.DataFrame:
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    matrix = train.matrix("user").astype(np.float32).tocsr()
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(factors=64, random_state=0)
        model.fit(matrix, show_progress=False)
    rows = train.users.to_index(users)
    ids, _ = model.recommend(rows, matrix[rows], N=K, filter_already_liked_items=False)
    return pd.DataFrame({"query": np.repeat(users, K), "item": train.items.ids[ids.ravel()],
                         "rank": np.tile(np.arange(1, K + 1), len(users))})


def run_case(dataset: str, root: Path) -> tuple[list[dict], list[str]]:
    import recsys
    from recsys.evaluation.metrics import ndcg_at_k
    from recsys.evaluation.repeat_metrics import repeat_explore

    train, test, as_of = load(dataset, root)
    # the split shares its id maps: a known customer is one with rows in train
    known = np.bincount(train.user_index, minlength=len(train.users)) > 0
    test = test.select(known[test.user_index])
    users = test.users.ids[np.unique(test.user_index)]
    answers = {
        "personal frequency (baseline)": lambda: frequency_baseline(train, users),
        "raw implicit ALS": lambda: raw_implicit_als(train, users),
        "Popularity": _model(recsys.Popularity(), train, users, as_of),
        "ALS (repeats allowed)": _model(recsys.ALS(random_state=0), train, users, as_of),
        "BuyAgain": _model(recsys.BuyAgain(), train, users, as_of),
        "NextBasket": _model(recsys.NextBasket(), train, users, as_of),
    }
    rows = []
    truth = test.to_frame()[["user_id", "item_id"]]
    for label, picks, seconds in _timed(answers):
        split = repeat_explore(picks, test, train, k=K)
        rows.append({"dataset": dataset, "model": label, "ndcg@10": ndcg_at_k(picks, truth, K),
                     **split, "seconds": seconds, "customers": len(users)})
        print(f"{dataset:>14} {label:<30} ndcg@10 {rows[-1]['ndcg@10']:.4f} "
              f"repeat {split['recall_repeat']:.3f} explore {split['recall_explore']:.3f} "
              f"({seconds:.1f} s)", flush=True)
    by = {r["model"]: r for r in rows}
    base = by["personal frequency (baseline)"]["ndcg@10"]
    for row in rows:
        row["vs baseline"] = row["ndcg@10"] / base if base else float("nan")
    failures = [f"{dataset}: {name} ndcg@10 below Popularity" for name in ("BuyAgain", "NextBasket")
                if by[name]["ndcg@10"] < by["Popularity"]["ndcg@10"]]
    return rows, failures


def run_last_basket(dataset: str, root: Path) -> tuple[list[dict], list[str]]:
    """Each customer's last basket as the test (customers with two or more baskets)."""
    import recsys
    from recsys.evaluation.metrics import ndcg_at_k, recall_at_k
    from recsys.evaluation.split import leave_last_out

    data = recsys.read_online_retail(root / "online-retail.csv.gz").interactions \
        if dataset == "online-retail" else recsys.make_shop(seed=0).interactions
    train, test = leave_last_out(data, by="basket")
    users = test.users.ids[np.unique(test.user_index)]
    truth = test.to_frame()[["user_id", "item_id"]]
    answers = {
        "personal frequency (baseline)": lambda: frequency_baseline(train, users),
        "Popularity": _model(recsys.Popularity(), train, users, None),
        "BuyAgain": _model(recsys.BuyAgain(), train, users, None),
        "NextBasket": _model(recsys.NextBasket(), train, users, None),
    }
    rows = []
    for label, picks, seconds in _timed(answers):
        rows.append({"dataset": f"{dataset}, last basket", "model": label,
                     "recall@10": recall_at_k(picks, truth, K), "ndcg@10": ndcg_at_k(picks, truth, K),
                     "seconds": seconds, "customers": len(users)})
        print(f"{dataset:>14} last basket {label:<30} recall@10 {rows[-1]['recall@10']:.4f} "
              f"({seconds:.1f} s)", flush=True)
    by = {r["model"]: r for r in rows}
    failures = [f"{dataset}: {name} recall@10 below Popularity on the last basket"
                for name in ("BuyAgain", "NextBasket")
                if by[name]["recall@10"] < by["Popularity"]["recall@10"]]
    return rows, failures


def _timed(answers: dict):
    """(label, picks, seconds) of each answer, in turn."""
    for label, answer in answers.items():
        start = time.perf_counter()
        picks = answer()
        yield label, picks, time.perf_counter() - start


def _model(model, train, users, as_of):
    """Fit and recommend every test customer, repeats allowed, at the test's start."""
    def answer():
        model.fit(train)
        return model.recommend(users, k=K, exclude_seen=False, as_of=as_of).to_frame()
    return answer


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    root = data_dir(args.data_dir)
    cases = ["synthetic"] if args.quick else ["online-retail"]
    rows, failures = [], []
    for dataset in present(cases, root):
        for run in (run_case, run_last_basket):
            got, failed = run(dataset, root)
            rows += got
            failures += failed
    columns = [("dataset", "data"), ("model", "model"), ("ndcg@10", "ndcg@10"),
               ("recall@10", "recall@10"),
               ("vs baseline", "x baseline"), ("recall_repeat", "recall@10 repeat"),
               ("recall_explore", "recall@10 explore"), ("repeat_share", "repeat share"),
               ("phr", "personal hit rate"), ("seconds", "fit + recommend s")]
    return finish("repeat", args, rows, columns, failures)


if __name__ == "__main__":
    sys.exit(main())

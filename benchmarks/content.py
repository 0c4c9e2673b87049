"""Cold start: Popularity, ALS, ContentBased and Hybrid overall and on products new in the test.

Online Retail: temporal split, the last 30 days as test, product descriptions as text and
price as a number. MovieLens small: each user's last 10 ratings as test, with titles, tags
(text) and genres (labels). "New products" are test interactions with products that have no
training interaction (``recsys.evaluation.split.new_item_mask``): ALS cannot recommend them by
construction, content can. The script checks that the hybrid reaches new products (recall@20
on them above zero) while its overall ndcg@10 is at least ALS's, and times ContentBased
scoring every customer (k=10).

    python benchmarks/content.py --json benchmarks/results/content.json
    python benchmarks/content.py --quick     # CI: the synthetic shop
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import data_dir, finish, present


def load(dataset: str, root: Path):
    import recsys
    from recsys.data.features import ItemFeatures
    from recsys.evaluation.split import leave_last_out, temporal_split

    if dataset == "online-retail":
        shop = recsys.read_online_retail(root / "online-retail.csv.gz")
        train, test = temporal_split(shop.interactions, last_days=30)
        return shop.name, train, test, shop.items
    if dataset == "movielens":
        shop = recsys.read_movielens(root / "ml-latest-small")
        features = ItemFeatures.from_frame(shop.products, item="product_id",
                                           text=["title", "tags"], multilabel=["genres"])
        train, test = leave_last_out(shop.interactions, n=10)
        return shop.name, train, test, features
    shop = recsys.make_shop(seed=0, new_product_share=0.25)
    train, test = temporal_split(shop.interactions, last_days=60)
    return shop.name, train, test, shop.items


def models(dataset: str) -> dict:
    import recsys

    als = {"factors": 64, "random_state": 0} if dataset != "synthetic" else \
        {"factors": 32, "alpha": 10.0, "regularization": 0.1, "random_state": 0}
    return {
        "Popularity": recsys.Popularity(),
        "ALS": recsys.ALS(**als),
        "ContentBased": recsys.ContentBased(),
        "Hybrid": recsys.Hybrid(components=[("als", recsys.ALS(**als)),
                                            ("content", recsys.ContentBased())],
                                weights=[1.0, 0.5 if dataset == "synthetic" else 0.2], mode="blend",
                                missing="mean"),
    }


def evaluate_case(dataset: str, root: Path) -> tuple[list[dict], list[str]]:
    from recsys.evaluation.metrics import ranking_metrics
    from recsys.evaluation.split import new_item_mask

    name, train, test, features = load(dataset, root)
    known = np.zeros(train.n_users, bool)
    known[train.user_index] = True
    test = test.select(known[test.user_index])
    fresh = test.select(new_item_mask(train, test))
    users = test.users.ids[np.unique(test.user_index)]
    fresh_ids = set(fresh.items.ids[fresh.item_index].tolist())
    rows = []
    for label, model in models(dataset).items():
        start = time.perf_counter()
        model.fit(train, items=features) if model.uses_item_features else model.fit(train)
        fit_seconds = time.perf_counter() - start
        start = time.perf_counter()
        recs = model.recommend(users, k=20, on_unknown="skip")
        rec_seconds = time.perf_counter() - start
        overall = ranking_metrics(recs, test, k=[10, 20], metrics=["ndcg", "recall"])
        new = ranking_metrics(recs, fresh, k=[10, 20], metrics=["ndcg", "recall"]) if len(fresh) \
            else {"ndcg@10": float("nan"), "recall@20": float("nan")}
        picked = set(recs.to_frame()["item"].tolist())
        row = {"dataset": dataset, "model": label, "fit_seconds": fit_seconds,
               "recommend_seconds": rec_seconds, "ndcg@10": overall["ndcg@10"],
               "recall@20": overall["recall@20"], "new_ndcg@10": new["ndcg@10"],
               "new_recall@20": new["recall@20"], "new_products_picked": len(picked & fresh_ids),
               "new_products_in_test": len(fresh_ids), "test_users": len(users)}
        if label == "ContentBased":
            everyone = train.users.ids
            start = time.perf_counter()
            model.recommend(everyone, k=10)
            row["score_all_customers_seconds"] = time.perf_counter() - start
            row["customers"] = len(everyone)
        rows.append(row)
        print(f"{name:>18} {label:<13} ndcg@10 {row['ndcg@10']:.4f} recall@20 "
              f"{row['recall@20']:.4f} | new: recall@20 {row['new_recall@20']:.4f} "
              f"picked {row['new_products_picked']}/{len(fresh_ids)}", flush=True)
    by = {r["model"]: r for r in rows}
    failures = []
    if fresh_ids:
        if by["ALS"]["new_products_picked"] != 0:
            failures.append(f"{dataset}: ALS recommended products it has no sales for")
        if by["Hybrid"]["new_products_picked"] == 0 or not by["Hybrid"]["new_recall@20"] > 0:
            failures.append(f"{dataset}: the hybrid did not reach the new products")
    if by["Hybrid"]["ndcg@10"] < by["ALS"]["ndcg@10"]:
        failures.append(f"{dataset}: hybrid ndcg@10 {by['Hybrid']['ndcg@10']:.4f} below ALS "
                        f"{by['ALS']['ndcg@10']:.4f}")
    return rows, failures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    root = data_dir(args.data_dir)
    cases = ["synthetic"] if args.quick else ["online-retail", "movielens"]
    rows, failures = [], []
    for dataset in present(cases, root):
        got, failed = evaluate_case(dataset, root)
        rows += got
        failures += failed
    columns = [("dataset", "data"), ("model", "model"), ("ndcg@10", "ndcg@10"),
               ("recall@20", "recall@20"), ("new_ndcg@10", "new products: ndcg@10"),
               ("new_recall@20", "new products: recall@20"),
               ("new_products_picked", "new products picked"),
               ("new_products_in_test", "new products in test"),
               ("fit_seconds", "fit s"), ("recommend_seconds", "recommend s"),
               ("score_all_customers_seconds", "all customers, k=10 (s)")]
    return finish("content", args, rows, columns, failures)


if __name__ == "__main__":
    sys.exit(main())

"""New arrivals: do products without sales reach the customers who then buy them?

Online Retail, train before 2011-11-09 and the rest as test (products new to the customer are
relevant, customers with a train history); the "new" products are those first sold after the
cutoff. Each main model (fitted with the whole catalogue) makes a campaign of k=20 picks with
and without `new=ContentBased, k_new=2` (the last two slots); reported: of the new products a
customer with a history bought, how many are in the top 20 of at least one customer who then
bought them, and ndcg@10 of the first 10
(unchanged by construction: the arrivals take slots 19-20) and of a k=10 list whose slots 9-10
are arrivals (what a short mail costs). Fails when an arrival is not a new product, an arrival
stands before a model pick, or a customer gets more than k_new arrivals.

    python benchmarks/new_arrivals.py --data-dir ../shared/data --json out.json
    python benchmarks/new_arrivals.py --quick      # CI: the synthetic shop, checks the rules
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import data_dir, finish, present

K_NEW = 2


def load(case: str, root: Path):
    """(train Interactions over the whole catalogue, features, test truth, new product ids)."""
    import recsys

    if case == "online-retail":
        shop = recsys.read_online_retail(root / "online-retail.csv.gz")
        cut = pd.Timestamp("2011-11-09")
    else:
        shop = recsys.make_shop(n_customers=1500, n_products=300, seed=2)
        cut = shop.orders["timestamp"].max() - pd.Timedelta(days=45)
    orders = shop.orders
    before, after = orders[orders["timestamp"] < cut], orders[orders["timestamp"] >= cut]
    train = recsys.Interactions.from_frame(before, user="customer_id", item="product_id",
                                           basket="order_id", timestamp="timestamp",
                                           items=shop.items.items.ids)
    new = np.setdiff1d(after["product_id"].unique(), before["product_id"].unique())
    truth = after[after["customer_id"].isin(set(before["customer_id"]))][
        ["customer_id", "product_id"]].drop_duplicates()
    seen = pd.MultiIndex.from_frame(before[["customer_id", "product_id"]])
    truth = truth[~pd.MultiIndex.from_frame(truth).isin(seen)]
    return train, shop.items, truth.rename(columns={"customer_id": "user_id",
                                                    "product_id": "item_id"}), new


def run_model(name: str, train, items, truth, new, content) -> tuple[dict, list[str]]:
    import recsys
    from recsys.campaign import ExcludePurchased, make_picks
    from recsys.evaluation.metrics import ndcg_at_k

    start = time.perf_counter()
    main = recsys.REGISTRY[name]()
    main.fit(train, items=items) if main.uses_item_features else main.fit(train)
    audience = truth["user_id"].unique()

    def picks(k: int, arrivals: bool) -> pd.DataFrame:
        extra = {"new": content, "k_new": K_NEW, "new_products": new} if arrivals else {}
        return make_picks(main, audience, k=k, constraints=[ExcludePurchased()],
                          backfill=False, **extra).picks

    def ndcg(frame: pd.DataFrame, top: int) -> float:
        part = frame[frame["rank"] <= top].rename(columns={"customer_id": "query",
                                                           "product_id": "item"})
        return ndcg_at_k(part, truth, top)

    plain20, new20, new10 = picks(20, False), picks(20, True), picks(10, True)
    hits = new20.merge(truth, left_on=["customer_id", "product_id"],
                       right_on=["user_id", "item_id"])
    reached = len(set(hits["product_id"]) & set(new))
    base = ndcg(plain20, 10)
    bought = len(set(truth["item_id"]) & set(new))  # new products a known customer bought
    row = {"model": name, "new products": len(new), "bought": bought, "reached": reached,
           "reached share": reached / max(bought, 1), "ndcg@10": base,
           "ndcg@10 with arrivals (k=20)": ndcg(new20, 10),
           "ratio k=20": ndcg(new20, 10) / base if base else float("nan"),
           "ratio k=10": ndcg(new10, 10) / base if base else float("nan"),
           "seconds": time.perf_counter() - start}
    return row, _check(new20, new, name)


def _check(frame: pd.DataFrame, new: np.ndarray, name: str) -> list[str]:
    arrivals = frame[frame["reason_code"] == "new_arrival"]
    failures = []
    if not set(arrivals["product_id"]) <= set(new):
        failures.append(f"{name}: an arrival is not a new product")
    if len(arrivals) and arrivals.groupby("customer_id").size().max() > K_NEW:
        failures.append(f"{name}: a customer got more than {K_NEW} arrivals")
    model_last = frame[frame["reason_code"] != "new_arrival"].groupby("customer_id")["rank"].max()
    first_new = arrivals.groupby("customer_id")["rank"].min()
    both = first_new.index.intersection(model_last.index)
    if (model_last.loc[both] > first_new.loc[both]).any():
        failures.append(f"{name}: an arrival stands before a model pick")
    return failures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    import recsys

    warnings.simplefilter("ignore", recsys.DataWarning)
    root = data_dir(args.data_dir)
    cases = ["synthetic"] if args.quick else ["online-retail"]
    rows, failures = [], []
    for case in present(cases, root):
        train, items, truth, new = load(case, root)
        content = recsys.ContentBased().fit(train, items=items)
        for name in ("EASE", "ItemKNN", "ALS", "Hybrid"):
            row, failed = run_model(name, train, items, truth, new, content)
            rows.append({"data": case, **row})
            failures += failed
    columns = [("data", "data"), ("model", "model"), ("new products", "new products"),
               ("bought", "bought by a customer with a history"), ("reached", "reached"),
               ("reached share", "reached / bought"),
               ("ndcg@10", "ndcg@10 (no arrivals)"), ("ratio k=20", "ndcg@10 ratio, k=20"),
               ("ratio k=10", "ndcg@10 ratio, k=10"), ("seconds", "s")]
    return finish("new_arrivals", args, rows, columns, failures)


if __name__ == "__main__":
    sys.exit(main())

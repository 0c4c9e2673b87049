"""Defaults against popularity: the default Hybrid (also the default model of `recsys
picks`), ItemKNN and the repeat models, beside Popularity, on every data shape at hand.

Protocols (recsys.evaluate, ndcg@10, customers with a train history): Online Retail (last 30
days as test), MovieLens small (last 10 ratings per user), the synthetic shop (last 30 days),
a 150-product basket shop (`make_shop(n_products=150, mean_orders=12)`, last 30 days) and
two synthetic groceries (`make_grocery`, 160 products, last 60 days; loyalty 0.3 and 0: the
second has nothing personal to learn). Each with bought products excluded (discovery) and,
for the purchase logs, allowed (repeats; a ratings log has no repeats). Fails when the
default model, the Hybrid, scores below Popularity on any of them, or any model at its defaults
does on the 150-product shop (every model is run there, both protocols); the others are
reported.

    python benchmarks/defaults.py --json benchmarks/results/full/defaults.json
    python benchmarks/defaults.py --quick     # CI: the synthetic shops
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import data_dir, finish, present

#: a default model may trail Popularity by this much (ties on data where both answer alike)
TOLERANCE = 1e-9


def load(case: str, root: Path):
    """(train, test, item features or None)."""
    import recsys
    from recsys.evaluation.split import leave_last_out, temporal_split

    if case == "online-retail":
        shop = recsys.read_online_retail(root / "online-retail.csv.gz")
        return (*temporal_split(shop.interactions, last_days=30), shop.items)
    if case == "movielens":
        shop = recsys.read_movielens(root / "ml-latest-small")
        return (*leave_last_out(shop.interactions, n=10), None)
    if case.startswith("grocery"):
        loyalty = 0.0 if case.endswith("loyalty 0") else 0.3
        shop = recsys.make_grocery(loyalty=loyalty, seed=0)
        return (*temporal_split(shop.interactions, last_days=60), shop.items)
    shop = (recsys.make_shop(n_customers=3000, n_products=150, mean_orders=12, seed=1)
            if case == "150 products" else recsys.make_shop(seed=0))
    return (*temporal_split(shop.interactions, last_days=30), shop.items)


#: every single model at its defaults, on the 150-product shop (the issue's small catalogue)
EVERY_MODEL = ("ALS", "BPR", "EASE", "RP3beta", "AssociationRules", "SequentialRules",
               "SLIST")


def models(case: str):
    import recsys

    chosen = {"Popularity": recsys.Popularity(), "Hybrid (default)": recsys.Hybrid(),
              "ItemKNN": recsys.ItemKNN(), "BuyAgain": recsys.BuyAgain(),
              "NextBasket": recsys.NextBasket()}
    if case == "150 products":
        chosen.update({name: getattr(recsys, name)() for name in EVERY_MODEL})
    return chosen


def run_case(case: str, root: Path) -> tuple[list[dict], list[str]]:
    import recsys

    train, test, items = load(case, root)
    rows, failures = [], []
    for repeats in (False, True) if case != "movielens" else (False,):
        start = time.perf_counter()
        table = recsys.evaluate(models(case), train, test, k=10, metrics=["ndcg"], items=items,
                                exclude_seen=not repeats, n_bootstrap=0)
        score = dict(zip(table["model"], table["value"], strict=True))
        protocol = "repeats allowed" if repeats else "discovery"
        popular = score["Popularity"]
        checked = ["Hybrid (default)"]
        if case == "150 products":  # every default model
            checked = [name for name in score if name != "Popularity"]
        for name, value in score.items():
            rows.append({"data": case, "protocol": protocol, "model": name, "ndcg@10": value,
                         "x popularity": value / popular if popular else float("nan"),
                         "customers": int(table["n_users"].iloc[0])})
        failures += [f"{case}, {protocol}: {name} ndcg@10 {score[name]:.4f} below Popularity "
                     f"{popular:.4f}" for name in checked if score[name] < popular - TOLERANCE]
        print(f"{case:>18} {protocol:<16} " + " ".join(
            f"{name.split()[0]} {value:.4f}" for name, value in score.items())
            + f" ({time.perf_counter() - start:.0f} s)", flush=True)
    return rows, failures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    root = data_dir(args.data_dir)
    cases = ["synthetic", "150 products", "grocery", "grocery, loyalty 0"]
    if not args.quick:
        cases = ["online-retail", "movielens", *cases]
    rows, failures = [], []
    for case in present(cases, root):
        got, failed = run_case(case, root)
        rows += got
        failures += failed
    columns = [("data", "data"), ("protocol", "protocol"), ("model", "model"),
               ("ndcg@10", "ndcg@10"), ("x popularity", "x Popularity"),
               ("customers", "customers")]
    return finish("defaults", args, rows, columns, failures)


if __name__ == "__main__":
    sys.exit(main())

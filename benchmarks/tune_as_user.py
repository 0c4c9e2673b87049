"""The tuner as a user calls it: `recsys.tune([five families], train, time_limit=60)` with the
default validation (the newest tenth of train), nothing carved in the protocol's shape.

Protocols of `quality.py` (Online Retail: train before 2011-11-09, products new to the customer;
MovieLens: ratings >= 4, each user's newest 20%); a generated grocery (`make_grocery`, little to
learn, each customer's last basket as test). Reported: what the tuner returns and why, its
validation score, its test ndcg@10 beside every family's untuned default and Popularity. Fails
when the returned model scores below the best untuned default of its own family on the test by
more than 2% (a tuner that makes things worse), or (quick) when it returns nothing.

    python benchmarks/tune_as_user.py --data-dir ../shared/data --json out.json
    python benchmarks/tune_as_user.py --quick        # CI: the synthetic shop, 3 s a family
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import data_dir, finish, present
from quality import protocol, truth_of

FAMILIES = ("EASE", "ItemKNN", "ALS", "RP3beta", "SLIST")


def split_of(case: str, root: Path):
    import recsys
    from recsys.evaluation.split import leave_last_out

    if case == "grocery":
        return leave_last_out(recsys.make_grocery(seed=1).interactions)
    train, test, _ = protocol(case, root)
    return train, test


def run_case(case: str, root: Path, seconds: float, families) -> tuple[dict, list[str]]:
    import recsys
    from recsys.evaluation.metrics import ndcg_at_k

    train, test = split_of(case, root)
    truth = truth_of(train, test)
    users = truth["user_id"].unique()

    def score(model) -> float:
        return ndcg_at_k(model.recommend(users, k=10, on_unknown="skip").to_frame(), truth, 10)

    start = time.perf_counter()
    found = recsys.tune([recsys.REGISTRY[name]() for name in families], train,
                        time_limit=seconds, budget=500, random_state=0)
    took = time.perf_counter() - start
    defaults = {name: score(recsys.REGISTRY[name]().fit(train)) for name in families}
    returned = type(found.model).__name__
    row = {"data": case, "returned": f"{returned} {found.best_params or '(as given)'}",
           "validation": found.best_score, "test": score(found.model),
           "best default": max(defaults.values()),
           "popularity": score(recsys.Popularity().fit(train)), "seconds": took,
           "note": found.note}
    row["vs best default"] = row["test"] / row["best default"]
    own = defaults.get(returned, row["popularity"])
    failures = [] if row["test"] >= 0.98 * own else [
        f"{case}: the tuner returned {returned} at {row['test']:.4f}, below its untuned default "
        f"{own:.4f}"]
    return row, failures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    parser.add_argument("--seconds", type=float, default=60.0, help="per family")
    args = parser.parse_args(argv)
    import recsys

    warnings.simplefilter("ignore", recsys.DataWarning)
    root = data_dir(args.data_dir)
    cases = ["synthetic"] if args.quick else ["online-retail", "movielens", "grocery"]
    families = FAMILIES[:2] if args.quick else FAMILIES
    seconds = 3.0 if args.quick else args.seconds
    rows, failures = [], []
    for case in present(cases, root):
        row, failed = run_case(case, root, seconds, families)
        rows.append(row)
        failures += failed
    columns = [("data", "data"), ("returned", "returned"), ("validation", "validation ndcg@10"),
               ("test", "test ndcg@10"), ("best default", "best untuned default"),
               ("vs best default", "x best default"), ("popularity", "Popularity"),
               ("seconds", "tuning s"), ("note", "why")]
    return finish("tune_as_user", args, rows, columns, failures)


if __name__ == "__main__":
    sys.exit(main())

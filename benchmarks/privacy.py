"""Erasure's cost: ``model.forget(ids)`` against the model's own fit, and its exactness.

For each data set and model, in a fresh process: fit; forget one customer; forget 1% of the
customers; each time against the fit's seconds (the ratio is what an erasure costs as a share
of refitting). Then the answers of the forgotten model for 200 remaining customers must equal
a fit on the data without those customers (EASE: at the l2 the fit read, which an erasure
keeps), or the run fails; ALS's approximate erasure (``exact=False``) is judged by ndcg@10
on the data's last 30 days against a refit's (at least 0.99 of it, or the run fails).

    python benchmarks/privacy.py --data-dir ../shared/data   # Online Retail and 1,000,000 customers
    python benchmarks/privacy.py --quick                      # CI: 20,000 customers, make_shop
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import data_dir, finish, in_worker, make_large, present

MODELS = ["Popularity", "EASE", "CoOccurrence", "ItemKNN", "RP3beta", "ALS",
          "ALS (exact=False)"]
#: the models run on the 1,000,000-customer shop (the others refit: their ratio is the fit's)
LARGE_MODELS = ["Popularity", "EASE", "CoOccurrence"]
SIZES = {"synthetic-1m": (1_000_000, 3_000, 10_000_000), "synthetic-20k": (20_000, 800, 200_000)}
#: the cases with dates: the approximate erasure is judged on their last 30 days
DATED = {"online-retail", "shop"}


def _data(case: str, root: str):
    import recsys

    if case == "online-retail":
        return recsys.read_online_retail(Path(root) / "online-retail.csv.gz").interactions
    if case == "shop":
        return recsys.make_shop().interactions
    return make_large(*SIZES[case])


def _without(data, ids):
    import numpy as np

    position = data.users.to_index(ids, missing="mask")
    drop = np.zeros(data.n_users, bool)
    drop[position[position >= 0]] = True
    return data.select(~drop[data.user_index]).without_unused_ids()


def approximate(payload: dict) -> dict:
    """ALS's approximate erasure (``exact=False``) against a refit: time, and ndcg@10 of both
    on the data's last 30 days (products new to the customer)."""
    import warnings

    import numpy as np

    import recsys
    from recsys.evaluation.metrics import ndcg_at_k
    from recsys.evaluation.split import temporal_split

    warnings.simplefilter("ignore")
    data = _data(payload["case"], payload["root"])
    train, test = temporal_split(data, last_days=30)
    order = train.users.ids[np.random.default_rng(0).permutation(train.n_users)]
    out = {"customers": int(train.n_users), "products": int(train.n_items)}
    for label, count in (("one", 1), ("many", max(1, train.n_users // 100))):
        model = recsys.ALS(random_state=0).fit(train)
        start = time.perf_counter()
        how = model.forget(order[:count], exact=False)["how"]
        out[f"{label}_s"] = time.perf_counter() - start
        refit = recsys.ALS(random_state=0).fit(_without(train, order[:count]))
        users = np.intersect1d(test.users.ids, refit.users_.ids)
        truth = test.to_frame()
        truth = truth[truth["user_id"].isin(users)]
        scores = [ndcg_at_k(m.recommend(users, k=10).to_frame(), truth, 10)
                  for m in (model, refit)]
        out[f"{label}_ndcg"] = scores[0] / scores[1]
    out.update({"fit_s": refit.fit_seconds_, "many": count, "how": how,
                "exact": min(out["one_ndcg"], out["many_ndcg"]) >= 0.99})
    return out


def worker(payload: dict) -> dict:
    if payload["model"] == "ALS (exact=False)":
        return approximate(payload)
    import warnings

    import numpy as np

    import recsys
    from recsys.testing import same_answers

    warnings.simplefilter("ignore")
    data = _data(payload["case"], payload["root"])
    model = recsys.REGISTRY[payload["model"]]()
    model.fit(data)
    fit = model.fit_seconds_
    rng = np.random.default_rng(0)
    order = data.users.ids[rng.permutation(data.n_users)]
    one, many = order[:1], order[1:1 + max(1, data.n_users // 100)]
    start = time.perf_counter()
    how = model.forget(one)["how"]
    one_s = time.perf_counter() - start
    start = time.perf_counter()
    model.forget(many)
    many_s = time.perf_counter() - start
    kept = {"l2": model.l2_} if payload["model"] == "EASE" else {}
    fresh = recsys.REGISTRY[payload["model"]](**kept).fit(_without(data, order[:1 + len(many)]))
    users = fresh.users_.ids[rng.permutation(len(fresh.users_))[:200]]
    try:
        same_answers(model.recommend(users, k=10), fresh.recommend(users, k=10))
        exact = True
    except AssertionError:
        exact = False
    return {"customers": int(data.n_users), "products": int(data.n_items), "fit_s": fit,
            "one_s": one_s, "many": len(many), "many_s": many_s, "how": how, "exact": exact}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--json", default=None)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    root = data_dir(args.data_dir)
    cases = (["synthetic-20k", "shop"] if args.quick
             else present(["online-retail", "synthetic-1m", "shop"], root))
    repeat = args.repeat or (1 if args.quick else 3)
    rows, failures = [], []
    for case in cases:
        for name in (LARGE_MODELS if case == "synthetic-1m" else MODELS):
            if name == "ALS (exact=False)" and case not in DATED:
                continue
            runs = [in_worker(__file__, {"case": case, "model": name, "root": str(root)})
                    for _ in range(repeat)]
            broken = [run for run in runs if "error" in run]
            if broken:
                failures.append(f"{case} {name}: {broken[0]['error']}")
                continue
            if not all(run["exact"] for run in runs):
                failures.append(f"{case} {name}: the forgotten model differs from a refit "
                                f"(approximate: ndcg@10 below 0.99 of a refit's)")
            fit, one, many = (statistics.median(run[key] for run in runs)
                              for key in ("fit_s", "one_s", "many_s"))
            rows.append({"case": case, "model": name, "customers": runs[0]["customers"],
                         "products": runs[0]["products"], "fit_s": round(fit, 3),
                         "one_s": round(one, 4), "one_ratio": round(one / fit, 4),
                         "many": runs[0]["many"], "many_s": round(many, 3),
                         "many_ratio": round(many / fit, 3), "how": runs[0]["how"],
                         "exact": all(run["exact"] for run in runs),
                         "ndcg": (round(statistics.median(min(run["one_ndcg"], run["many_ndcg"])
                                                          for run in runs), 4)
                                  if "one_ndcg" in runs[0] else "")})
            print(rows[-1], flush=True)
    columns = [("case", "data"), ("model", "model"), ("customers", "customers"),
               ("products", "products"), ("fit_s", "fit s"), ("one_s", "forget 1 s"),
               ("one_ratio", "/ fit"), ("many", "1% customers"), ("many_s", "forget 1% s"),
               ("many_ratio", "/ fit"), ("how", "how"), ("exact", "= refit"),
               ("ndcg", "ndcg@10 / refit's")]
    return finish("privacy", args, rows, columns, failures, repeat=repeat)


if __name__ == "__main__":
    sys.exit(main())

"""Rules kept current: ``AssociationRules.partial_fit`` with 1% new baskets against a fit on all.

FIMI retail split by line: a model is fitted on the first 99% of the baskets, then the last 1%
is added with ``partial_fit``; the reference fits a model on all the baskets (a full re-mine).
min_support 0.001, confidence 0.1, no lift filter, itemsets up to ``--max-len``. Each repeat
fits the first part afresh and times only the update; the full fit is timed in the same
process, alternating, medians of ``--repeat``. The rules of both must be identical (the run
fails otherwise). ``--quick`` (CI): the synthetic shop split 90/10 by time, equality only.

    python benchmarks/rules_update.py --data-dir ../shared/data --repeat 5
    python benchmarks/rules_update.py --quick
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import data_dir, finish

MIN_SUPPORT = 0.001


def fimi_parts(root: Path, share: float) -> tuple:
    """The FIMI baskets as (first part, new part, all), each read from its own file."""
    import gzip

    from recsys import read_fimi

    with gzip.open(root / "fimi-retail.dat.gz", "rb") as fh:
        lines = fh.read().splitlines(keepends=True)
    cut = int(len(lines) * (1 - share))
    folder = Path(tempfile.mkdtemp())
    parts = {"old": lines[:cut], "new": lines[cut:], "all": lines}
    for name, chunk in parts.items():
        (folder / f"{name}.dat").write_bytes(b"".join(chunk))
    return tuple(read_fimi(folder / f"{name}.dat") for name in ("old", "new", "all"))


def shop_parts() -> tuple:
    import recsys
    from recsys import Interactions

    orders = recsys.make_shop(seed=0).orders.sort_values(["timestamp", "order_id"])
    cut = orders["timestamp"].quantile(0.9)

    def data(frame):
        return Interactions.from_frame(frame, user="customer_id", item="product_id",
                                       basket="order_id")

    return (data(orders[orders["timestamp"] <= cut]), data(orders[orders["timestamp"] > cut]),
            data(orders))


def large_parts(share: float) -> tuple:
    """The 1,800,000-basket x 11,000-product synthetic case of rules_large.py as (first part,
    new part, all): each customer's purchases are one basket."""
    import numpy as np
    from _common import make_large

    from recsys.data import IdMap, Interactions

    data = make_large(1_800_000, 11_000, 18_000_000, seed=0)
    cut = int(1_800_000 * (1 - share))

    def part(mask):
        basket = data.user_index[mask]
        ids = np.unique(basket)
        return Interactions(item_index=data.item_index[mask], items=data.items,
                            basket_index=np.searchsorted(ids, basket),
                            baskets=IdMap.from_sorted(ids.astype(np.int64), "basket_id"))

    every = np.ones(len(data), bool)
    return part(data.user_index < cut), part(data.user_index >= cut), part(every)


def measure(old, new, everything, params: dict, repeat: int) -> dict:
    from recsys import AssociationRules

    updates, fulls, same = [], [], True
    for _ in range(repeat):
        model = AssociationRules(**params).fit(old)
        start = time.perf_counter()
        model.partial_fit(new)
        updates.append(time.perf_counter() - start)
        start = time.perf_counter()
        whole = AssociationRules(**params).fit(everything)
        fulls.append(time.perf_counter() - start)
        same = same and model.rules_.equals(whole.rules_)
    return {"baskets": whole.n_baskets_, "new_baskets": new.n_baskets, "rules": len(whole.rules_),
            "update_seconds": statistics.median(updates), "full_seconds": statistics.median(fulls),
            "ratio": statistics.median(updates) / statistics.median(fulls), "same_rules": same,
            "slack": int(model.summary_.slack), "update_runs": [round(u, 4) for u in updates]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--max-len", default="3,10", help="itemset lengths to run (default 3,10)")
    parser.add_argument("--large", action="store_true",
                        help="also the 1,800,000-basket synthetic case (min_support 0.0005, "
                             "max_len 15, one run; about 2 minutes and 3 GiB)")
    args = parser.parse_args(argv)
    root = data_dir(args.data_dir)
    if args.quick or not (root / "fimi-retail.dat.gz").exists():
        name, parts, support, repeat = "synthetic 90% + 10%", shop_parts(), 0.002, 1
    else:
        name, parts, support, repeat = "FIMI retail 99% + 1%", fimi_parts(root, 0.01), \
            MIN_SUPPORT, args.repeat
    rows, failures = [], []
    for max_len in [int(x) for x in args.max_len.split(",")]:
        params = {"min_support": support, "min_confidence": 0.1, "min_lift": None,
                  "max_len": max_len}
        row = {"data": name, "max_len": max_len, **measure(*parts, params, repeat)}
        if not row["same_rules"]:
            failures.append(f"{name}, max_len {max_len}: the updated rules differ from a refit")
        rows.append(row)
        print(f"{name} max_len={max_len}: update {row['update_seconds']:.4f} s, full fit "
              f"{row['full_seconds']:.4f} s, ratio {row['ratio']:.3f}, same {row['same_rules']}",
              flush=True)
    if args.large and not args.quick:
        params = {"min_support": 0.0005, "min_confidence": 0.1, "min_lift": None, "max_len": 15}
        row = {"data": "synthetic 1.8M baskets 99% + 1%", "max_len": 15,
               **measure(*large_parts(0.01), params, 1)}
        if not row["same_rules"]:
            failures.append("synthetic 1.8M: the updated rules differ from a refit")
        rows.append(row)
        print(f"large: update {row['update_seconds']:.3f} s, full fit {row['full_seconds']:.3f} s, "
              f"ratio {row['ratio']:.3f}, same {row['same_rules']}", flush=True)
    columns = [("data", "data"), ("max_len", "max_len"), ("baskets", "baskets"),
               ("new_baskets", "new baskets"), ("rules", "rules"),
               ("update_seconds", "partial_fit s"), ("full_seconds", "fit on all s"),
               ("ratio", "update / full"), ("same_rules", "same rules")]
    return finish("rules_update", args, rows, columns, failures, repeat=repeat)


if __name__ == "__main__":
    sys.exit(main())

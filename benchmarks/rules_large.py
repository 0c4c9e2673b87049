"""Rules at the scale mlxtend users report failing at: 1,800,000 baskets x 11,000 products
(synthetic: long-tail popularity and 200 co-purchase clusters, about 10 products a basket), at
min_support 0.0005, max_len 15, rules at confidence 0.1, ``max_memory`` 4 GiB; time and the
worker's peak memory (its input included). ``--quick`` (CI): 100,000 baskets x 2,000 products,
each itemset's count checked against a direct count over the baskets.

    python benchmarks/rules_large.py --json benchmarks/results/full/rules_large.json
    python benchmarks/rules_large.py --quick
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish, in_worker, make_large, mib

SIZES = {"full": (1_800_000, 11_000, 18_000_000), "quick": (100_000, 2_000, 1_000_000)}
MIN_SUPPORT = 0.0005


def worker(payload: dict) -> dict:
    import resource

    from recsys.rules import association_rules, frequent_itemsets
    from recsys.rules.mining import basket_matrix

    baskets, products, rows = SIZES[payload["size"]]
    data = make_large(baskets, products, rows, seed=0)
    start = time.perf_counter()
    found = frequent_itemsets(data, min_support=MIN_SUPPORT, max_len=15, max_memory=4 * 2**30)
    mined = time.perf_counter() - start
    rules = association_rules(found, metric="confidence", min_threshold=0.1)
    total = time.perf_counter() - start
    out = {"baskets": baskets, "products": products, "itemsets": len(found), "rules": len(rules),
           "longest": int(found["itemsets"].map(len).max()), "mine_seconds": mined,
           "total_seconds": total,
           "peak_mib": mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)}
    if payload["size"] == "quick":  # every count against a direct count over the baskets
        matrix, items = basket_matrix(data)
        dense = matrix.toarray().astype(bool)
        counts = [int(dense[:, items.to_index(list(s))].all(axis=1).sum())
                  for s in found["itemsets"]]
        out["counts_ok"] = bool(np.allclose(np.array(counts) / baskets, found["support"]))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    parser.add_argument("--data-dir", default=None, help="unused; accepted for run.py")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    row = in_worker(__file__, {"size": "quick" if args.quick else "full"})
    failures = []
    if "error" in row:
        failures.append(f"mining failed: {row['error']}")
    elif args.quick and not row.get("counts_ok"):
        failures.append("an itemset's support differs from its direct count")
    elif not args.quick and row["peak_mib"] > 4096:
        failures.append(f"peak memory {row['peak_mib']:.0f} MiB above 4 GiB")
    print(row)
    columns = [("baskets", "baskets"), ("products", "products"), ("itemsets", "itemsets"),
               ("longest", "longest"), ("rules", "rules at confidence 0.1"),
               ("mine_seconds", "mine s"), ("total_seconds", "mine + rules s"),
               ("peak_mib", "peak MiB (input included)")]
    return finish("rules_large", args, [row] if "error" not in row else [], columns, failures)


if __name__ == "__main__":
    sys.exit(main())

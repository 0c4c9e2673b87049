"""A refactoring's cost: serving p50 per call and FIMI mining time, this checkout against an
older one (a `git worktree` of the commit before), interleaved in fresh processes.

    git worktree add /tmp/before <commit>
    python benchmarks/before_after.py --before /tmp/before --data-dir ../shared/data --rounds 3

Each round runs, for each tree in turn, a fresh process that imports that tree's recsys (put
first on PYTHONPATH), fits ALS, ItemKNN, EASE and Popularity on Online Retail at their
defaults and times ``recommend([customer], k=10, exclude_seen=True)`` for 1,500 customers
(after 200 warm-up calls; one BLAS thread), or mines FIMI retail at min_support 0.001. The
table gives each tree's median over the rounds and the ratio; the itemsets found must be the
same (an answer, never a timing, fails the run).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

CASES = ("ALS", "ItemKNN", "EASE", "Popularity", "fimi")


def measure(case: str, root: Path) -> dict:
    """One case in this process, with the recsys that PYTHONPATH put first."""
    warnings.simplefilter("ignore")
    import recsys
    from recsys.rules import frequent_itemsets

    if case == "fimi":
        data = recsys.read_fimi(root / "fimi-retail.dat.gz")
        start = time.perf_counter()
        found = frequent_itemsets(data, min_support=0.001)
        return {"value": time.perf_counter() - start, "itemsets": len(found)}
    train = recsys.read_online_retail(root / "online-retail.csv.gz").interactions
    make = {"ALS": lambda: recsys.ALS(random_state=0), "ItemKNN": recsys.ItemKNN,
            "EASE": recsys.EASE, "Popularity": recsys.Popularity}[case]
    model = make().fit(train)
    users = train.users.ids[np.random.default_rng(0).permutation(train.n_users)[:1500]]
    for user in users[:200]:
        model.recommend([user], k=10, exclude_seen=True)
    times = []
    for user in users:
        start = time.perf_counter()
        model.recommend([user], k=10, exclude_seen=True)
        times.append(time.perf_counter() - start)
    return {"value": float(np.median(times)) * 1000}


def run(case: str, tree: Path, data: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, __file__, "--worker", case, "--data-dir", str(data)],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="the older checkout (a git worktree)")
    parser.add_argument("--data-dir", default=os.environ.get("RECSYS_DATA_DIR", "../shared/data"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    data = Path(args.data_dir)
    if args.worker:
        print(json.dumps(measure(args.worker, data)))
        return
    if not args.before:
        parser.error("--before: the older checkout to compare with (git worktree add ...)")
    trees = {"before": Path(args.before).resolve(), "after": Path(__file__).resolve().parents[1]}
    results: dict = {(case, name): [] for case in CASES for name in trees}
    for _ in range(args.rounds):
        for case in CASES:
            for name, tree in trees.items():
                results[case, name].append(run(case, tree, data))
    print("| case | before | after | after / before |\n| --- | --- | --- | --- |")
    for case in CASES:
        before, after = (statistics.median(r["value"] for r in results[case, name])
                         for name in trees)
        unit = "s mining" if case == "fimi" else "ms p50 per call"
        print(f"| {case} | {before:.4f} {unit} | {after:.4f} | {after / before:.3f} |")
    counts = {r["itemsets"] for name in trees for r in results["fimi", name]}
    assert len(counts) == 1, f"the two trees found different itemsets: {counts}"


if __name__ == "__main__":
    main()

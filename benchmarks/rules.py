"""Association-rule mining: recsys against mlxtend (and pyfim, efficient-apriori when installed).

Each (data set, min_support, engine) runs in a fresh worker: from the same list of baskets,
wall time of encoding + frequent itemsets + rules at confidence >= 0.1, and the peak memory
above the loaded baskets. Itemset counts and a digest of every (itemset, count) are compared
across engines; a mismatch fails the run.

The ``fimi-file`` case starts from the file instead: each engine reads FIMI retail itself
(recsys with ``read_fimi``, the others by splitting lines in Python, as their documentation
does), mines every length and derives the rules; time and peak memory above the imported
libraries. Rules are compared too: a digest of every (antecedent, consequent, count) with a
one-item consequent against pyfim (which derives only those), all rules against mlxtend.

    python benchmarks/rules.py --data-dir ../shared/data --json benchmarks/results/rules.json
    python benchmarks/rules.py --quick          # CI: small cases, asserts identical itemsets
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import data_dir, finish, measure, median_runs, mib

FULL_CASES = [("fimi-file", 0.001)] + [("fimi", s) for s in (0.01, 0.005, 0.002, 0.001)] + \
             [("online-retail", s) for s in (0.02, 0.01, 0.005)]
QUICK_CASES = [("synthetic", 0.003), ("fimi-head", 0.005), ("fimi-file-head", 0.005)]
FILE_CASES = ("fimi-file", "fimi-file-head")
CONFIDENCE = 0.1


def load_baskets(dataset: str, root: str) -> list[list]:
    import recsys

    if dataset in ("fimi", "fimi-head"):
        import gzip

        with gzip.open(Path(root) / "fimi-retail.dat.gz", "rt") as fh:
            lines = fh.read().splitlines()
        if dataset == "fimi-head":
            lines = lines[:10000]
        return [[int(x) for x in line.split()] for line in lines if line.strip()]
    if dataset == "online-retail":
        orders = recsys.read_online_retail(Path(root) / "online-retail.csv.gz").orders
    else:
        orders = recsys.make_shop(seed=0).orders
    grouped = orders.groupby("order_id", sort=True)["product_id"].agg(lambda s: sorted(set(s)))
    return grouped.tolist()


def fimi_lines(root: str, head: bool) -> bytes:
    import gzip

    with gzip.open(Path(root) / "fimi-retail.dat.gz", "rb") as fh:
        text = fh.read()
    return b"".join(text.splitlines(keepends=True)[:10000]) if head else text


def read_lists(path: str) -> list[list[int]]:
    """A FIMI file as lists of ints, the way pyfim's and mlxtend's users read one."""
    with open(path) as fh:
        return [[int(x) for x in line.split()] for line in fh if line.strip()]


def file_recsys(path, min_support):
    from recsys import read_fimi
    from recsys.rules import association_rules, frequent_itemsets

    data = read_fimi(path)
    itemsets = frequent_itemsets(data, min_support=min_support)
    rules = association_rules(itemsets, "confidence", CONFIDENCE)
    n = data.n_baskets
    return itemsets, rules, n, {"itemsets": len(itemsets), "rules": len(rules)}


def file_pyfim(path, min_support):
    baskets = read_lists(path)
    itemsets, rules, counts = run_pyfim(baskets, min_support)
    return itemsets, rules, len(baskets), counts


def file_mlxtend(path, min_support):
    baskets = read_lists(path)
    itemsets, rules, counts = run_mlxtend(baskets, min_support)
    return itemsets, rules, len(baskets), counts


FILE_ENGINES = {"recsys": file_recsys, "pyfim": file_pyfim, "mlxtend": file_mlxtend}


def rule_digests(engine, rules, n) -> dict:
    """Digests of every rule with a one-item consequent and of all rules: (antecedent,
    consequent, count)."""
    if engine == "pyfim":
        rows = [((tuple(sorted(map(str, body))), (str(head),)), int(count))
                for head, body, count in rules]
        return {"single": _rows_digest(rows)}
    rows = [((tuple(sorted(map(str, a))), tuple(sorted(map(str, c)))), round(s * n))
            for a, c, s in zip(rules["antecedents"], rules["consequents"], rules["support"],
                               strict=True)]
    return {"single": _rows_digest([r for r in rows if len(r[0][1]) == 1]),
            "all": _rows_digest(rows)}


def _rows_digest(rows) -> str:
    return hashlib.sha1(repr(sorted(rows)).encode()).hexdigest()[:16]


def digest(pairs) -> str:
    rows = sorted((tuple(sorted(map(str, s))), int(c)) for s, c in pairs)
    return hashlib.sha1(repr(rows).encode()).hexdigest()[:16]


def run_recsys(baskets, min_support):
    from recsys import Interactions
    from recsys.rules import association_rules, frequent_itemsets

    data = Interactions.from_baskets(baskets)
    itemsets = frequent_itemsets(data, min_support=min_support)
    rules = association_rules(itemsets, "confidence", CONFIDENCE)
    return itemsets, rules, {"itemsets": len(itemsets), "rules": len(rules)}


def run_mlxtend(baskets, min_support):
    import pandas as pd
    from mlxtend.frequent_patterns import association_rules, fpgrowth
    from mlxtend.preprocessing import TransactionEncoder

    encoder = TransactionEncoder()
    onehot = encoder.fit(baskets).transform(baskets, sparse=True)
    frame = pd.DataFrame.sparse.from_spmatrix(onehot, columns=encoder.columns_)
    itemsets = fpgrowth(frame, min_support=min_support, use_colnames=True)
    rules = association_rules(itemsets, num_itemsets=len(baskets), metric="confidence",
                              min_threshold=CONFIDENCE)
    return itemsets, rules, {"itemsets": len(itemsets), "rules": len(rules)}


def _min_count(min_support, n):
    count = max(1, int(min_support * n) - 1)
    while count / n < min_support:
        count += 1
    return count


def run_pyfim(baskets, min_support):
    import fim

    count = _min_count(min_support, len(baskets))
    itemsets = fim.fpgrowth(baskets, target="s", supp=-count, zmin=1, report="a")
    # mode "o": a rule's support is that of body and head together, as in mlxtend and recsys
    rules = fim.fpgrowth(baskets, target="r", supp=-count, conf=CONFIDENCE * 100, zmin=2,
                         report="a", mode="o")
    return itemsets, rules, {"itemsets": len(itemsets), "rules": len(rules),
                             "note": "rules with one-item consequents only"}


def run_efficient_apriori(baskets, min_support):
    from efficient_apriori import apriori

    itemsets, rules = apriori([tuple(b) for b in baskets], min_support=min_support,
                              min_confidence=CONFIDENCE)
    n = sum(len(v) for v in itemsets.values())
    return itemsets, rules, {"itemsets": n, "rules": len(rules)}


ENGINES = {"recsys": run_recsys, "mlxtend": run_mlxtend, "pyfim": run_pyfim,
           "efficient-apriori": run_efficient_apriori}


def itemset_digest(engine, baskets, itemsets) -> str:
    n = len(baskets)
    if engine == "recsys":
        return digest(zip(itemsets["itemsets"], itemsets["count"], strict=True))
    if engine == "mlxtend":
        return digest((s, round(v * n)) for s, v in zip(itemsets["itemsets"], itemsets["support"],
                                                        strict=True))
    if engine == "pyfim":
        return digest((s, c) for s, c in itemsets)
    return digest((s, c) for level in itemsets.values() for s, c in level.items())


def worker(payload: dict) -> dict:
    engine, dataset, support = payload["engine"], payload["dataset"], payload["min_support"]
    if dataset in FILE_CASES:
        return file_worker(payload)
    holder = {}

    def prepare():
        holder["baskets"] = load_baskets(dataset, payload["data_dir"])
        return holder["baskets"]

    def run(baskets):
        itemsets, _rules, counts = ENGINES[engine](baskets, support)
        holder["itemsets"] = itemsets
        return counts

    result = measure(prepare, run)
    result["digest"] = itemset_digest(engine, holder["baskets"], holder["itemsets"])
    result["baskets"] = len(holder["baskets"])
    return result


def file_worker(payload: dict) -> dict:
    """From the file on disk to the rules, the libraries imported beforehand."""
    import tempfile

    engine, support = payload["engine"], payload["min_support"]
    folder = tempfile.mkdtemp()
    path = str(Path(folder) / "baskets.dat")
    Path(path).write_bytes(fimi_lines(payload["data_dir"], payload["dataset"].endswith("head")))
    holder = {}

    def prepare():
        __import__({"pyfim": "fim"}.get(engine, engine))
        if engine == "recsys":
            import recsys.rules  # noqa: F401
        else:
            import pandas  # noqa: F401
        return path

    def run(where):
        holder["out"] = FILE_ENGINES[engine](where, support)
        return holder["out"][3]

    result = measure(prepare, run)
    itemsets, rules, n, _ = holder["out"]
    result["digest"] = itemset_digest(engine, [None] * n, itemsets)
    result["rule_digests"] = rule_digests(engine, rules, n)
    result["baskets"] = n
    return result


def rule_failures(dataset, support, engine, res, base) -> list[str]:
    """The rules an engine derived differ from recsys's (file cases, where both are kept)."""
    theirs, ours = res.get("rule_digests", {}), base.get("rule_digests", {})
    return [f"{dataset}@{support}: {engine} rules ({kind}) differ from recsys"
            for kind in ("single", "all") if kind in theirs and theirs[kind] != ours.get(kind)]


def available(engine: str) -> bool:
    module = {"pyfim": "fim", "efficient-apriori": "efficient_apriori"}.get(engine, engine)
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--quick", action="store_true", help="small cases for CI; asserts answers")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (median time)")
    parser.add_argument("--json", default=None, help="write results here")
    parser.add_argument("--engines", default="recsys,mlxtend,pyfim,efficient-apriori")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    root = data_dir(args.data_dir)
    cases = QUICK_CASES if args.quick else FULL_CASES
    repeat = 1 if args.quick else args.repeat
    engines = [e for e in args.engines.split(",") if available(e)]
    if args.quick:
        engines = [e for e in engines if e in ("recsys", "mlxtend", "pyfim")]
    rows, failures = [], []
    for dataset, support in cases:
        if dataset != "synthetic" and not (root / ("fimi-retail.dat.gz" if "fimi" in dataset
                                                   else "online-retail.csv.gz")).exists():
            print(f"skip {dataset}: no data under {root}")
            continue
        results = {}
        for engine in engines:
            if engine == "efficient-apriori" and (support < 0.005 or dataset in FILE_CASES):
                continue  # pure Python; minutes at low support
            payload = {"engine": engine, "dataset": dataset, "min_support": support,
                       "data_dir": str(root)}
            results[engine] = median_runs(__file__, payload, repeat if engine in (
                "recsys", "mlxtend", "pyfim") else 1)
        base = results.get("recsys", {})
        for engine, res in results.items():
            row = {"dataset": dataset, "min_support": support, "engine": engine, **res}
            if "error" not in res and "error" not in base:
                row["time_ratio"] = res["seconds"] / base["seconds"]
                row["memory_ratio"] = res["peak_bytes"] / max(base["peak_bytes"], 1)
                row["peak_mib"] = mib(res["peak_bytes"])
                if res["digest"] != base["digest"] or res["itemsets"] != base["itemsets"]:
                    failures.append(f"{dataset}@{support}: {engine} itemsets differ from recsys "
                                    f"({res['itemsets']} vs {base['itemsets']})")
                failures += rule_failures(dataset, support, engine, res, base)
            rows.append(row)
            print(f"{dataset:>14} {support:<6} {engine:<18} "
                  + (f"{res['seconds']:8.3f} s {mib(res['peak_bytes']):8.1f} MiB "
                     f"itemsets={res['itemsets']} rules={res['rules']}"
                     if "error" not in res else f"error: {res['error']}"), flush=True)
    columns = [("dataset", "data"), ("min_support", "min_support"), ("engine", "engine"),
               ("seconds", "seconds"), ("time_ratio", "time / recsys"), ("peak_mib", "peak MiB"),
               ("memory_ratio", "memory / recsys"), ("itemsets", "itemsets"), ("rules", "rules")]
    return finish("rules", args, rows, columns, failures, repeat=repeat)


if __name__ == "__main__":
    sys.exit(main())

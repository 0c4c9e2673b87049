"""Customer value: BG/NBD and Gamma-Gamma fitted and scored in a fresh process, beside
``lifetimes`` on the same summaries, and the CDNOW holdout against the model.

Cases: CDNOW's 2,357 customers (the literature's data set; the parameters must equal the
published fit to three significant digits, or the run fails) and 1,000,000 customers (CDNOW's
customers drawn with replacement). Each side in a fresh interpreter: imports, reading the
summary, fitting both models (seconds), then scoring every customer (P(alive), expected
purchases in 52 weeks, expected value). lifetimes (abandoned since 2020) is run when it
imports here, or with ``--lifetimes-python`` (an interpreter where it does); its parameters
must agree with recsys's to three significant digits.

    python benchmarks/clv.py --data-dir ../shared/data --lifetimes-python /tmp/lt/bin/python
    python benchmarks/clv.py --quick         # CI: CDNOW only, recsys only when lifetimes is absent
    python benchmarks/clv.py --data-dir ../shared/data --plot docs/images/cdnow_holdout.png
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import data_dir, finish

PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74,
             "gamma": 15.44}
SIZES = {"cdnow": None, "cdnow-1m": 1_000_000}


def _summary(root: str, size):
    """CDNOW's summary of the order lines (frequency, recency, T in weeks; mean repeat
    spend), drawn with replacement to ``size`` customers when given."""
    import pandas as pd

    lines = pd.read_csv(Path(root) / "cdnow" / "CDNOW_sample.txt", sep=r"\s+", header=None,
                        names=["id", "master", "date", "cds", "amount"])
    days = pd.to_datetime(lines["date"].astype(str), format="%Y%m%d")
    lines = lines.assign(day=days).groupby(["id", "day"], as_index=False)["amount"].sum()
    calibration = lines[lines["day"] <= "1997-09-30"]
    first = calibration.groupby("id")["day"].min()
    last = calibration.groupby("id")["day"].max()
    repeat = calibration[calibration["day"] > calibration["id"].map(first)]
    frame = pd.DataFrame({
        "frequency": calibration.groupby("id").size() - 1,
        "recency": (last - first).dt.days / 7,
        "T": (pd.Timestamp("1997-09-30") - first).dt.days / 7,
        "monetary_value": repeat.groupby("id")["amount"].mean()}).fillna(0.0)
    if size:
        frame = frame.sample(size, replace=True, random_state=0).reset_index(drop=True)
    return frame


def recsys_worker(payload: dict) -> dict:
    start = time.perf_counter()
    from recsys.customers import BetaGeo, GammaGamma

    data = _summary(payload["root"], payload["size"])
    begin = time.perf_counter()
    purchases, value = BetaGeo().fit(data), GammaGamma().fit(data)
    fitted = time.perf_counter()
    purchases.probability_alive(data)
    purchases.expected_purchases(data, 52)
    value.expected_value(data)
    scored = time.perf_counter()
    return {"fit_s": fitted - begin, "score_s": scored - fitted, "wall_s": scored - start,
            "params": {**purchases.params_, **value.params_}}


def lifetimes_worker(payload: dict) -> dict:
    start = time.perf_counter()
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    data = _summary(payload["root"], payload["size"])
    begin = time.perf_counter()
    purchases = BetaGeoFitter().fit(data["frequency"], data["recency"], data["T"])
    repeat = data[data["frequency"] > 0]
    value = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    fitted = time.perf_counter()
    purchases.conditional_probability_alive(data["frequency"], data["recency"], data["T"])
    purchases.conditional_expected_number_of_purchases_up_to_time(
        52, data["frequency"], data["recency"], data["T"])
    value.conditional_expected_average_profit(data["frequency"], data["monetary_value"])
    scored = time.perf_counter()
    params = {**purchases.params_.to_dict(), **{k: v for k, v in zip(
        ("p", "q", "gamma"), value.params_.to_numpy(), strict=True)}}
    return {"fit_s": fitted - begin, "score_s": scored - fitted, "wall_s": scored - start,
            "params": {k: float(v) for k, v in params.items()}}


def _run(python: str, side: str, payload: dict) -> dict:
    command = [python, __file__, "--worker", json.dumps({**payload, "side": side})]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=3600)
    if done.returncode != 0:
        return {"error": (done.stderr or done.stdout).strip().splitlines()[-1:] or ["failed"]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _lifetimes_python(arg: str | None) -> str | None:
    if arg:
        return arg
    try:
        import lifetimes  # noqa: F401
    except ImportError:
        return None
    return sys.executable


def _same(mine: dict, theirs: dict) -> bool:
    return all(f"{mine[k]:.3g}" == f"{theirs[k]:.3g}" for k in mine)


def plot_holdout(root: Path, path: str) -> None:
    """Expected against actual repeat purchase-days in CDNOW's 39-week holdout, per number of
    repeat purchases in the calibration (the BG/NBD paper's figure)."""
    import matplotlib
    import pandas as pd

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from recsys.customers import BetaGeo, summary

    lines = pd.read_csv(root / "cdnow" / "CDNOW_sample.txt", sep=r"\s+", header=None,
                        names=["id", "master", "date", "cds", "amount"])
    data = summary(lines, customer="id", timestamp="date", end="1997-09-30",
                   date_format="%Y%m%d")
    days = pd.to_datetime(lines["date"].astype(str), format="%Y%m%d")
    later = lines[days > "1997-09-30"].assign(day=days).drop_duplicates(["id", "day"])
    actual = later.groupby("id").size().reindex(data.index).fillna(0)
    expected = BetaGeo().fit(data).expected_purchases(data, 39)
    group = data["frequency"].clip(upper=7).astype(int)
    table = pd.DataFrame({"actual": actual.groupby(group).mean(),
                          "expected": expected.groupby(group).mean()})
    figure, axes = plt.subplots(figsize=(6.4, 3.6), dpi=120)
    axes.plot(table.index, table["actual"], "o-", label="actual")
    axes.plot(table.index, table["expected"], "s--", label="BG/NBD expected")
    axes.set_xticks(table.index, [*map(str, table.index[:-1]), "7+"])
    axes.set_xlabel("repeat purchases in the 39-week calibration")
    axes.set_ylabel("purchases per customer,\n39-week holdout")
    axes.set_title("CDNOW: 2,357 customers, holdout against the model")
    axes.legend(frameon=False)
    figure.tight_layout()
    figure.savefig(path)
    print(f"wrote {path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--lifetimes-python", default=None,
                        help="an interpreter where lifetimes imports (default: this one, if)")
    parser.add_argument("--plot", default=None, help="write the CDNOW holdout plot there")
    parser.add_argument("--json", default=None)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        payload = json.loads(args.worker)
        work = recsys_worker if payload["side"] == "recsys" else lifetimes_worker
        print(json.dumps(work(payload)))
        return 0
    root = data_dir(args.data_dir)
    if not (root / "cdnow" / "CDNOW_sample.txt").exists():
        print(f"skip: no cdnow/ under {root}")
        return finish("clv", args, [], [], [])
    if args.plot:
        plot_holdout(root, args.plot)
    peer = _lifetimes_python(args.lifetimes_python)
    repeat = args.repeat or (1 if args.quick else 3)
    rows, failures = [], []
    for case in (["cdnow"] if args.quick else list(SIZES)):
        payload = {"root": str(root), "size": SIZES[case]}
        sides = {"recsys": sys.executable, **({"lifetimes": peer} if peer else {})}
        runs = {side: [_run(python, side, payload) for _ in range(repeat)]
                for side, python in sides.items()}
        for side, results in runs.items():
            broken = [r for r in results if "error" in r]
            if broken:
                failures.append(f"{case} {side}: {broken[0]['error']}")
                continue
            params = results[0]["params"]
            if case == "cdnow" and side == "recsys" and not all(
                    f"{params[k]:.3g}" == f"{v:.3g}" for k, v in PUBLISHED.items()):
                failures.append(f"cdnow: recsys's parameters {params} are not the published "
                                f"{PUBLISHED} to three digits")
            row = {"case": case, "side": side,
                   **{k: round(statistics.median(r[k] for r in results), 3)
                      for k in ("fit_s", "score_s", "wall_s")},
                   "params": ", ".join(f"{k} {v:.4g}" for k, v in params.items())}
            rows.append(row)
        if len(runs) == 2 and not any("error" in r for rs in runs.values() for r in rs):
            same = _same(runs["recsys"][0]["params"], runs["lifetimes"][0]["params"])
            if not same:
                failures.append(f"{case}: recsys and lifetimes disagree on the parameters")
            ratio = rows[-2]["wall_s"] / rows[-1]["wall_s"]
            rows[-2]["vs_lifetimes"] = round(ratio, 3)
            rows[-2]["same_params"] = same
        for row in rows[-len(runs):]:
            print(row, flush=True)
    columns = [("case", "data"), ("side", "library"), ("fit_s", "fit s (both models)"),
               ("score_s", "score s (3 predictions)"), ("wall_s", "fresh process s"),
               ("vs_lifetimes", "recsys / lifetimes (process)"),
               ("same_params", "same parameters (3 digits)"), ("params", "parameters")]
    return finish("clv", args, rows, columns, failures, repeat=repeat)


if __name__ == "__main__":
    sys.exit(main())

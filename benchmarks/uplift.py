"""A public randomised e-mail campaign: Kevin Hillstrom's MineThatData challenge (64,000
customers who bought in the last twelve months; a third mailed men's merchandise, a third
women's, a third nothing; visits, conversions and spend tracked for two weeks).

1. The readout of each arm against the control, by ``recsys.experiment.analyze`` (each
   converter's spend as one order in the window): conversion and revenue per customer with
   95% intervals; visits (not orders) as a difference of rates with its normal interval.
2. Who the mail changed: ``recsys.customers.UpliftModel`` ("auto") on the customer
   attributes (recency, past spend, men's / women's buyer, new customer, zip code area and
   channel as numbers), the outcome a visit, 5-fold cross-validated: the Qini area of its
   ranking on each held-out fold, beside a response model's (the mailed customers' chance to
   visit: who buys anyway ranks first) and a random ranking's (0 by construction).

Read from ``RECSYS_DATA_DIR``/hillstrom/hillstrom.csv (never committed; skipped when absent):

    python benchmarks/uplift.py --data-dir DIR      # DIR/hillstrom/hillstrom.csv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import data_dir, finish

ARMS = {"Mens E-Mail": "mens", "Womens E-Mail": "womens", "No E-Mail": "control"}
START = pd.Timestamp("2008-03-01")  # the challenge gives no date: any day serves


def read(root: Path) -> pd.DataFrame:
    data = pd.read_csv(root / "hillstrom" / "hillstrom.csv")
    data.insert(0, "customer_id", np.arange(1, len(data) + 1))
    data["group"] = data["segment"].map(ARMS)
    return data


def features(data: pd.DataFrame) -> pd.DataFrame:
    """The attributes as numbers (one column per zip code area and channel)."""
    plain = data[["recency", "history", "mens", "womens", "newbie"]].astype(float)
    coded = pd.get_dummies(data[["zip_code", "channel"]], dtype=float)
    return pd.concat([plain, coded], axis=1)


def readout(data: pd.DataFrame) -> list[dict]:
    from recsys.experiment import analyze

    converted = data[data["conversion"] == 1]
    orders = pd.DataFrame({"customer_id": converted["customer_id"],
                           "order_id": np.arange(len(converted)),
                           "price": converted["spend"],
                           "timestamp": START + pd.Timedelta(days=1)})
    result = analyze(data[["customer_id", "group"]], orders, START, START + pd.Timedelta(days=14))
    rows = []
    for arm in ("mens", "womens"):
        for metric in ("conversion_rate", "revenue_per_customer"):
            row = result.uplift.query(
                "segment == 'all' and arm == @arm and metric == @metric").iloc[0]
            rows.append({"case": f"{arm} vs control", "metric": metric,
                         **{key: round(float(row[column]), 5) for key, column in (
                             ("control", "control"), ("arm", "value"), ("uplift", "uplift"),
                             ("ci_low", "ci_low"), ("ci_high", "ci_high"))},
                         "p_value": float(f"{row['p_value']:.3g}")})
        mailed, control = (data.loc[data["group"] == g, "visit"] for g in (arm, "control"))
        gap = mailed.mean() - control.mean()
        half = 1.96 * np.sqrt(mailed.var() / len(mailed) + control.var() / len(control))
        rows.append({"case": f"{arm} vs control", "metric": "visit_rate",
                     "control": round(float(control.mean()), 5),
                     "arm": round(float(mailed.mean()), 5), "uplift": round(float(gap), 5),
                     "ci_low": round(float(gap - half), 5),
                     "ci_high": round(float(gap + half), 5), "p_value": ""})
    return rows


def qini_folds(data: pd.DataFrame, folds: int = 5) -> list[dict]:
    from sklearn.ensemble import HistGradientBoostingClassifier

    from recsys.customers import UpliftModel, qini_area

    x = features(data)
    treated = (data["group"] != "control").to_numpy()
    visit = data["visit"].to_numpy()
    fold = np.random.default_rng(0).integers(0, folds, len(data))
    scores = {"uplift model": [], "response model": [], "random": []}
    chosen = []
    for k in range(folds):
        train, test = fold != k, fold == k
        model = UpliftModel(random_state=k).fit(x[train], treated[train], visit[train])
        chosen.append(model.learner_)
        response = HistGradientBoostingClassifier(max_depth=3, random_state=k).fit(
            x[train & treated], visit[train & treated])
        rankings = {"uplift model": model.predict(x[test]),
                    "response model": response.predict_proba(x[test])[:, 1],
                    "random": np.random.default_rng(k).random(int(test.sum()))}
        for name, ranking in rankings.items():
            scores[name].append(qini_area(ranking, treated[test], visit[test]))
    rows = []
    for name, areas in scores.items():
        rows.append({"case": "all mails vs control, outcome visit", "metric": f"Qini area, {name}",
                     "uplift": round(float(np.mean(areas)), 5),
                     "ci_low": round(float(np.min(areas)), 5),
                     "ci_high": round(float(np.max(areas)), 5),
                     "arm": ", ".join(sorted(set(chosen))) if name == "uplift model" else ""})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI: skipped without the data")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    root = data_dir(args.data_dir)
    if not (root / "hillstrom" / "hillstrom.csv").exists():
        print(f"skip: no hillstrom/hillstrom.csv under {root}")
        return finish("uplift", args, [], [], [])
    data = read(root)
    rows, failures = readout(data), []
    rows += qini_folds(data)
    for row in rows:
        print(row, flush=True)
    model_area = next(r["uplift"] for r in rows if r["metric"] == "Qini area, uplift model")
    random_area = next(r["uplift"] for r in rows if r["metric"] == "Qini area, random")
    if not model_area > random_area:
        failures.append("the uplift model's Qini area is not above a random ranking's")
    columns = [("case", "case"), ("metric", "metric"), ("control", "control"), ("arm", "mailed"),
               ("uplift", "uplift (area for Qini)"), ("ci_low", "95% low (folds: min)"),
               ("ci_high", "95% high (folds: max)"), ("p_value", "p")]
    return finish("uplift", args, rows, columns, failures)


if __name__ == "__main__":
    sys.exit(main())

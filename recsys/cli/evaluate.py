"""``recsys evaluate``: compare models on a split; a table, and an HTML report with plots."""

from __future__ import annotations

import time

import numpy as np

from recsys._engine.arrays import unique
from recsys.cli.common import command, write_frame, write_text
from recsys.cli.inputs import add_data_options, load_data
from recsys.cli.models import parse_models
from recsys.evaluation.evaluator import evaluate
from recsys.evaluation.split import leave_last_out, random_split, temporal_split
from recsys.exceptions import InvalidParameterError
from recsys.reporting.evaluation import evaluation_report

DEFAULT_MODELS = "Popularity,ItemKNN(similarity=bm25),ALS(factors=64)"


def configure(parser) -> None:
    add_data_options(parser)
    parser.add_argument("--models", default=DEFAULT_MODELS,
                        help="comma-separated models with parameters, e.g. "
                             "'ALS(factors=32,alpha=10),ItemKNN(similarity=bm25),Popularity' "
                             f"(default: {DEFAULT_MODELS})")
    parser.add_argument("--target-event", default=None, metavar="KIND",
                        help="with --event-col: judge on this kind only (e.g. purchase) while "
                             "training on every kind (--split temporal)")
    parser.add_argument("--split", choices=("temporal", "leave-last", "random"), default="temporal",
                        help="temporal: the last --test-days are test (default); leave-last: "
                             "each customer's last basket; random: 20%% of interactions")
    parser.add_argument("--test-days", type=float, default=30, help="test period (default 30)")
    parser.add_argument("-k", "--k", default="5,10,20", help="cut-offs (default 5,10,20)")
    parser.add_argument("--metrics", default="precision,recall,ndcg,map,mrr,hit_rate,coverage",
                        help="metrics (see docs/metrics.md)")
    parser.add_argument("--bootstrap", type=int, default=200, help="bootstrap resamples (0: none)")
    parser.add_argument("--include-seen", action="store_true",
                        help="keep items customers bought in train (repeat purchases count; "
                             "default: discovery, seen items excluded)")
    parser.add_argument("--report", default=None, help="write a self-contained HTML report here")
    parser.add_argument("--out", default=None, help="write the tidy table (.csv/.parquet/.json)")


def split_data(data, how: str, test_days: float, target_event: str | None = None):
    if target_event is not None and how != "temporal":
        raise InvalidParameterError("--target-event goes with --split temporal (the test period "
                                    "keeps that kind only).")
    if how == "temporal":
        return temporal_split(data, last_days=test_days, target_event=target_event)
    if how == "leave-last":
        if data.timestamps is None:
            raise InvalidParameterError(
                "--split leave-last needs times to know each customer's last purchases: pass "
                "--time-col (the timestamp column of --orders), or use --split random.")
        return leave_last_out(data)  # the last basket, or the last interaction without baskets
    return random_split(data, 0.2, random_state=0)


@command("evaluate", configure)
def run(args) -> int:

    start = time.perf_counter()
    ks = _cut_offs(args.k)
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    models = parse_models(args.models)
    shop = load_data(args)
    train, test = split_data(shop.interactions, args.split, args.test_days, args.target_event)
    items = shop.items
    table = evaluate(models, train, test, k=ks, metrics=metrics, items=items,
                     n_bootstrap=args.bootstrap, exclude_seen=not args.include_seen)
    wide = table.pivot_table(index="model", columns=["metric", "k"], values="value", sort=False)
    wide.columns = [f"{m}@{k}" for m, k in wide.columns]
    print(f"{shop.name}: train {len(train):,} rows, test {len(test):,} rows, "
          f"{int(table['n_users'].iloc[0]):,} test users ({args.split} split)")
    print(wide.to_string(float_format=lambda v: f"{v:.4f}"))
    if args.out:
        write_frame(table, args.out)
    if args.report:
        popularity = {}
        counts = np.diff(train.matrix("user").tocsc().indptr)
        users = test.users.ids[unique(test.user_index)]
        for name, model in models.items():
            recs = model.recommend(users, k=max(ks), on_unknown="skip")
            picked = recs.item_index[recs.item_index >= 0]
            popularity[name] = counts[model.items_.to_index(model.items_.ids[picked])] \
                if len(picked) else np.empty(0)
        facts = {"data": shop.name, "split": f"{args.split}"
                 + (f", last {args.test_days:g} days" if args.split == "temporal" else ""),
                 "train rows": f"{len(train):,}", "test rows": f"{len(test):,}",
                 "test users": f"{int(table['n_users'].iloc[0]):,}",
                 "models": ", ".join(models), "bootstrap resamples": args.bootstrap,
                 "seconds": f"{time.perf_counter() - start:.1f}"}
        page = evaluation_report(table, title=f"recsys evaluation: {shop.name}", facts=facts,
                                 popularity=popularity)
        write_text(page, args.report)
        print(f"wrote {args.report}")
    return 0


def _cut_offs(text: str) -> list[int]:
    """``-k 5,10,20`` as whole numbers of at least 1, or a usage error naming ``-k``."""
    parts = [part.strip() for part in str(text).split(",") if part.strip()]
    if not parts or not all(part.isdigit() and int(part) >= 1 for part in parts):
        raise InvalidParameterError(f"-k takes cut-offs such as 10 or 5,10,20 (whole numbers "
                                    f"of at least 1), got {text!r}.")
    return [int(part) for part in parts]

"""``recsys tune``: search models' parameters on a validation split of the orders, keep the best."""

from __future__ import annotations

from recsys.cli.common import check_writable, command, progress_enabled, write_frame
from recsys.cli.inputs import add_data_options, load_data
from recsys.cli.models import parse_models
from recsys.exceptions import InvalidParameterError
from recsys.tuning import tune


def configure(parser) -> None:
    add_data_options(parser)
    parser.add_argument("--model", "--models", dest="models", default="EASE,ItemKNN,ALS",
                        help="comma-separated models to search, each with its default space "
                             "around the given parameters, e.g. 'EASE,ALS(factors=32)' "
                             "(default EASE,ItemKNN,ALS)")
    parser.add_argument("--budget", type=int, default=20, help="trials per model (default 20)")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds per model after which no trial starts")
    parser.add_argument("--metric", default="ndcg@10", help="validation metric (default ndcg@10)")
    parser.add_argument("--engine", choices=("auto", "optuna", "random"), default="auto",
                        help="optuna's TPE when installed (the tune extra), else random search")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--out", default=None, help="save the best model, refitted on all the "
                                                    "orders, here (.npz)")
    parser.add_argument("--results", default=None,
                        help="write every trial here (.csv/.parquet/.json)")
    parser.add_argument("--no-progress", action="store_true")


@command("tune", configure)
def run(args) -> int:

    if args.budget < 1:
        raise InvalidParameterError(f"--budget {args.budget}: expected 1 or more trials per "
                                    f"model, e.g. --budget 20.")
    for option, path in (("--out", args.out), ("--results", args.results)):
        if path:  # before the search: its result is not lost to a place that cannot be written
            check_writable(path, option)
    shop = load_data(args)
    models = list(parse_models(args.models).values())
    features = shop.items if any(m.uses_item_features for m in models) else None
    found = tune(models, shop.interactions, items=features, metric=args.metric,
                 budget=args.budget, time_limit=args.time_limit, engine=args.engine,
                 random_state=args.random_state, show_progress=progress_enabled(args))
    table = found.results.drop(columns=["candidate"]).head(10)
    print(f"{len(found.results)} trials; validation {found.metric} (newest tenth of the orders):")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"best trial: {found.results['model'].iloc[0]} "
          f"{found.results['params'].iloc[0] or '(as given)'} {found.metric} "
          f"{found.results['score'].iloc[0]:.4f}")
    print("beside it on validation: " + ", ".join(f"{name} {score:.4f}" for name, score
                                                   in found.baselines.items()))
    print(f"returned: {type(found.model).__name__} {found.best_params or '(as given)'} "
          f"{found.metric} {found.best_score:.4f}: {found.note}")
    if args.out:  # the model first: the trials table is the lesser loss
        found.model.save(args.out)
        print(f"saved {args.out} (refitted on all {len(shop.interactions):,} rows)")
    if args.results:
        frame = found.results.assign(params=found.results["params"].map(str))
        write_frame(frame, args.results)
    return 0

"""``recsys fit`` and ``recsys recommend``: train a model to a file, and pick from it."""

from __future__ import annotations

import numpy as np

from recsys.cli.common import (
    check_columns,
    command,
    parse_params,
    progress_enabled,
    read_frame,
    refuse_unused_options,
    write_frame,
)
from recsys.cli.inputs import add_data_options, load_data
from recsys.cli.models import build_model
from recsys.data.ids import as_id_kind
from recsys.models.base import fit_model
from recsys.models.files import load


def configure_fit(parser) -> None:
    parser.add_argument("--model", required=True, help="model class, e.g. ALS, ItemKNN, Popularity")
    parser.add_argument("--param", action="append", metavar="KEY=VALUE",
                        help="a model parameter (repeat), e.g. --param factors=32")
    parser.add_argument("--out", required=True, help="where to write the model (.npz)")
    parser.add_argument("--max-age-days", type=float, default=None, metavar="DAYS",
                        help="retention: rows older than DAYS before the end of the data never "
                             "enter the model (the window is recorded in the file)")
    add_data_options(parser)


@command("fit", configure_fit)
def run_fit(args) -> int:
    model = build_model(args.model, parse_params(args.param))
    shop = load_data(args)
    if args.max_age_days is not None:
        options = {"items": shop.items} if model.uses_item_features and shop.items is not None \
            else {}
        model.fit(shop.interactions, max_age_days=args.max_age_days, **options)
    else:
        fit_model(model, shop.interactions, shop.items)
    path = model.save(args.out) or args.out
    print(f"fitted {model!r} on {shop.interactions} in {model.fit_seconds_:.2f} s -> {path}")
    return 0


def configure_recommend(parser) -> None:
    parser.add_argument("--model", required=True, help="a saved model file (.npz)")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--users", help="comma-separated customer ids")
    who.add_argument("--users-file", help="a CSV with a column of customer ids (--user-col)")
    who.add_argument("--all-users", action="store_true", help="every customer the model knows")
    who.add_argument("--basket", help="comma-separated product ids of one cart")
    parser.add_argument("--user-col", default="customer_id", help="id column of --users-file")
    parser.add_argument("--sep", default=None, help="delimiter of --users-file (default: told "
                        "by its header line)")
    parser.add_argument("-k", "--k", type=int, default=10, help="picks per customer (default 10)")
    parser.add_argument("--include-seen", action="store_true",
                        help="allow products the customer already bought")
    parser.add_argument("--on-unknown", choices=("raise", "skip", "fallback"), default="raise",
                        help="what to do with customers the model does not know")
    parser.add_argument("--out", default=None, help="output file (.csv, .parquet, .json); default: print")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


@command("recommend", configure_recommend)
def run_recommend(args) -> int:

    model = load(args.model)
    if args.basket:
        recs = model.recommend_for_basket([as_id_kind(x, model.items_.kind) for x in
                                           args.basket.split(",")], k=args.k,
                                          on_unknown=args.on_unknown)
    else:
        if not args.users_file:
            refuse_unused_options(args, ("--user-col",), "it names a column of --users-file, "
                                  "and no such file is read")
        if args.all_users:
            users = model.users_.ids
        elif args.users_file:
            frame = read_frame(args.users_file, args.sep, [args.user_col])
            check_columns(frame, args, f"--users-file {args.users_file}", ("--user-col",))
            users = frame[args.user_col].to_numpy()
        else:
            users = np.array([as_id_kind(x, model.users_.kind) for x in args.users.split(",")])
        recs = model.recommend(users, k=args.k, exclude_seen=not args.include_seen,
                               on_unknown=args.on_unknown, show_progress=progress_enabled(args))
    write_frame(recs.to_frame(), args.out)
    return 0

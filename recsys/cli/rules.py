"""``recsys rules``: mine association rules from an order-lines file or FIMI baskets."""

from __future__ import annotations

import argparse
import time
import warnings

import pandas as pd

from recsys.campaign.reasons import item_names
from recsys.cli.common import (
    check_columns,
    command,
    progress_enabled,
    read_frame,
    refuse_unused_options,
    write_frame,
)
from recsys.cli.inputs import SEP_HELP, basket_columns, column_list
from recsys.data.datasets import make_shop, read_fimi, read_online_retail
from recsys.data.interactions import Interactions
from recsys.exceptions import DataError, InvalidParameterError
from recsys.models.files import load
from recsys.models.rules import SCORING_METRICS, AssociationRules
from recsys.rules.mining import RULE_METRICS, association_rules, frequent_itemsets


def configure(parser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--orders", help="order lines (CSV/Parquet): one row per basket x item")
    source.add_argument("--fimi", help="a FIMI baskets file (one basket a line, gz or not)")
    source.add_argument("--dataset", choices=("synthetic", "online-retail"),
                        help="a built-in data set (default: synthetic)")
    parser.add_argument("--data-path", default=None, help="path of --dataset's file")
    parser.add_argument("--basket-col", default="order_id", help="basket (order) id column")
    parser.add_argument("--item-col", default="product_id", help="item id column")
    parser.add_argument("--sep", default=None, help=SEP_HELP)
    parser.add_argument("--name-col", default=None, help="item name column of --orders, to print")
    parser.add_argument("--min-support", type=_support, default="auto",
                        help="share of baskets a rule needs, or auto (default: the lowest "
                             "count backed by 10 baskets leaving at most 10,000 frequent pairs)")
    parser.add_argument("--min-confidence", type=float, default=0.005, help="default 0.005")
    parser.add_argument("--max-len", type=int, default=3, help="longest itemset (default 3)")
    parser.add_argument("--min-lift", type=float, default=1.0,
                        help="keep rules whose lift exceeds this (default 1.0: bought together "
                             "more often than chance; 0 keeps every rule)")
    parser.add_argument("--metric", default="lift", help="sort the rules by this measure")
    parser.add_argument("--top", type=int, default=20, help="rules printed (default 20)")
    parser.add_argument("--out", default=None, help="write all rules (.csv, .parquet, .json)")
    parser.add_argument("--save", default=None, metavar="MODEL.npz",
                        help="also fit an AssociationRules model (rules with one product in "
                             "the consequent) and save it; with a --min-support share it can "
                             "later take new orders with --update")
    parser.add_argument("--update", default=None, metavar="MODEL.npz",
                        help="add the orders read (new ones only) to this saved model, with "
                             "the thresholds it was saved with; the result equals mining all "
                             "orders again. Written back to the file unless --save names another")
    parser.add_argument("--duplicates", choices=("raise", "skip", "add"), default="raise",
                        help="with --update, orders the model took already (a retried job): "
                             "refuse them (default), skip them, or add them again")
    parser.add_argument("--no-progress", action="store_true", help="no progress output")


def _support(text: str) -> float | str:
    """``--min-support``: a share in (0, 1], or ``auto``."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a share such as 0.005, or auto; got {text!r}") from None


def _load(args):

    names: dict = {}
    if args.fimi:
        return read_fimi(args.fimi), names
    if args.orders:
        frame = read_frame(args.orders, args.sep, [args.item_col, *column_list(args.basket_col)])
        check_columns(frame, args, f"--orders {args.orders}",
                      ("--item-col", "--basket-col", "--name-col"))
        data = Interactions.from_frame(frame, user=None, item=args.item_col,
                                       basket=basket_columns(args.basket_col))
        if args.name_col:
            names = item_names(frame, args.item_col, args.name_col)
        return data, names
    refuse_unused_options(args, ("--item-col", "--basket-col", "--name-col"),
                          "these options name columns of --orders, and no --orders file is read")
    shop = read_online_retail(args.data_path) if args.dataset == "online-retail" else make_shop()
    return shop.interactions, item_names(shop.products)


@command("rules", configure)
def run(args) -> int:

    if not 0 <= args.min_confidence <= 1:
        raise InvalidParameterError(f"--min-confidence is a share in 0..1, got "
                                    f"{args.min_confidence:g}.")
    if args.metric not in RULE_METRICS:
        raise DataError(f"--metric must be one of {', '.join(RULE_METRICS)}; got {args.metric!r}.")
    if args.max_len is not None and args.max_len < 2:
        raise InvalidParameterError(f"--max-len {args.max_len}: a rule joins at least two "
                                    f"products (one bought, one suggested); pass --max-len 2 "
                                    f"or more.")
    start = time.perf_counter()
    data, names = _load(args)
    if args.update or args.save:
        return _model_rules(args, data, names, start)
    itemsets = frequent_itemsets(data, min_support=args.min_support, max_len=args.max_len,
                                 show_progress=progress_enabled(args))
    if len(itemsets) == 0 or itemsets["length"].max() < 2:
        print(f"no itemsets of two or more items at min_support={args.min_support}; lower it.")
        return 0
    rules = association_rules(itemsets, "confidence", args.min_confidence)
    rules = rules[rules["lift"] > args.min_lift]
    rules = rules.sort_values([args.metric, "support"], ascending=False, kind="stable")
    seconds = time.perf_counter() - start
    print(f"{data.n_baskets:,} baskets, {data.n_items:,} items: {len(itemsets):,} frequent "
          f"itemsets, {len(rules):,} rules (min_support={args.min_support}, "
          f"min_confidence={args.min_confidence}, lift > {args.min_lift:g}) in {seconds:.2f} s")

    _print_rules(args, rules, names)
    return 0


def _model_rules(args, data, names, start: float) -> int:
    """``--save`` / ``--update``: fit or update an AssociationRules model and save it."""

    if args.update:
        refuse_unused_options(args, ("--min-support", "--min-confidence", "--max-len",
                                     "--min-lift"),
                              "an update keeps the thresholds the model was saved with (refit "
                              "with --save to change them)")
        model = load(args.update)
        if not isinstance(model, AssociationRules):
            raise DataError(f"--update {args.update} holds a {type(model).__name__}; it takes a "
                            f"model saved by recsys rules --save.")
        before = model.n_baskets_
        with warnings.catch_warnings():  # a skipped batch is said below, in one line
            warnings.filterwarnings("ignore", message=".*added already", category=UserWarning)
            model.partial_fit(data, duplicates=args.duplicates)
        if model.n_baskets_ == before:  # skipped: these orders were in the model already
            print(f"{args.update} took these {data.n_baskets:,} orders already; left as it was.")
            return 0
        seconds = model.update_seconds_
        what = f"added {data.n_baskets:,} baskets to {args.update}"
    else:
        model = AssociationRules(min_support=args.min_support, min_confidence=args.min_confidence,
                                 max_len=args.max_len, min_lift=args.min_lift or None,
                                 metric=args.metric if args.metric in SCORING_METRICS else "lift")
        model.fit(data)
        seconds = model.fit_seconds_
        what = f"fitted on {data.n_baskets:,} baskets"
    path = args.save or args.update
    rules = model.rules_.sort_values([args.metric, "support"], ascending=False, kind="stable")
    if args.out:  # the table first: an --out that cannot be written leaves the model as it was
        _write_rules(rules, args.out)
    model.save(path)
    print(f"{what}: {model.n_baskets_:,} baskets, {len(model.items_):,} items, {len(rules):,} "
          f"rules in {seconds:.2f} s ({time.perf_counter() - start:.2f} s with reading) -> {path}")
    if model.summary_ is None:
        print("this model cannot take new orders: save it from --min-support <share> "
              "(not auto), with baskets, to update it later.")
    _print_rules(args, rules, names, written=bool(args.out))
    return 0


def _write_rules(rules: pd.DataFrame, path: str) -> None:
    """The rules table to ``path``, itemsets written as comma-separated ids."""
    flat = rules.copy()
    for col in ("antecedents", "consequents"):
        flat[col] = flat[col].map(lambda s: ", ".join(sorted(map(str, s))))
    write_frame(flat, path)
    print(f"wrote {len(flat):,} rules to {path}")


def _print_rules(args, rules: pd.DataFrame, names: dict, written: bool = False) -> None:
    def show(items) -> str:
        return " + ".join(str(names.get(i, i)) for i in sorted(items, key=str))

    if len(rules) == 0:
        print("no rule passes these thresholds; lower --min-confidence or --min-lift.")
    else:
        top = rules.head(args.top)
        print(pd.DataFrame({
            "if bought": top["antecedents"].map(show),
            "then also": top["consequents"].map(show),
            "support": top["support"].round(4),
            "confidence": top["confidence"].round(3),
            "lift": top["lift"].round(2),
        }).to_string(index=False))
    if args.out and not written:
        _write_rules(rules, args.out)

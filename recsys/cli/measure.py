"""``recsys measure``: did the campaign work? Each arm against control, from the orders."""

from __future__ import annotations

import sys
import warnings

from recsys.cli.common import check_columns, command, read_frame, write_frame, write_text
from recsys.cli.inputs import SEP_HELP, column_list, read_orders
from recsys.data.interactions import basket_keys
from recsys.exceptions import SampleRatioMismatchWarning
from recsys.experiment import analyze

COLUMNS = ("--user-col", "--item-col", "--basket-col", "--time-col", "--amount-col",
           "--price-col", "--quantity-col")
#: the column that holds the order key made of several --basket-col columns
ORDER_KEY = "__order__"


def configure(parser) -> None:
    parser.add_argument("--assignments", required=True,
                        help="the assignments file written by 'recsys picks --control/--arms'")
    parser.add_argument("--orders", required=True,
                        help="order lines (CSV/Parquet/JSON) covering the measurement window")
    parser.add_argument("--query", default=None,
                        help="with a database --orders (postgresql://..., sqlite:///...): the "
                             "SQL that returns the order lines")
    parser.add_argument("--sep", default=None, help=SEP_HELP)
    parser.add_argument("--from", dest="start", required=True,
                        help="first day (or time) of the window, e.g. 2026-11-24 (included)")
    parser.add_argument("--to", dest="end", required=True,
                        help="end of the window, e.g. 2026-12-08 (excluded: the window is "
                             "[--from, --to))")
    columns = parser.add_argument_group("columns of --orders")
    columns.add_argument("--user-col", default="customer_id", help="customer id (customer_id)")
    columns.add_argument("--item-col", default="product_id",
                         help="product id, for the picked-product rate (product_id)")
    columns.add_argument("--basket-col", default="order_id",
                         help="order id, or several columns that together make an order "
                              "(order_id; if absent, each distinct time is an order)")
    columns.add_argument("--time-col", default="timestamp", help="order time (timestamp)")
    columns.add_argument("--amount-col", default=None,
                         help="revenue per line (default: --price-col x --quantity-col)")
    columns.add_argument("--price-col", default="price", help="unit price (price)")
    columns.add_argument("--quantity-col", default="quantity", help="quantity (quantity)")
    parser.add_argument("--date-format", default=None,
                        help="strftime format of --from and --to when not ISO, e.g. %%d/%%m/%%Y "
                             "(both bounds are read the same way)")
    parser.add_argument("--control", default="control", help="the control arm's name (control)")
    parser.add_argument("--alpha", type=float, default=0.05,
                        help="significance level; intervals are 1 - alpha (default 0.05)")
    parser.add_argument("--revenue-cap", type=float, default=None, metavar="QUANTILE",
                        help="cap each customer's revenue at this quantile of buyers' revenue "
                             "(e.g. 0.99) against heavy tails; default: no cap")
    parser.add_argument("--no-segments", action="store_true",
                        help="skip the per-segment comparison")
    parser.add_argument("--report", default=None, help="write an HTML readout with plots here")
    parser.add_argument("--out", default=None,
                        help="write the uplift table here (.csv/.parquet/.json)")


@command("measure", configure)
def run(args) -> int:

    assignments = read_frame(args.assignments, args.sep, ["customer_id"])
    orders = read_orders(args, [args.user_col, args.item_col])
    check_columns(orders, args, f"--orders {args.orders}", COLUMNS,
                  optional=("--item-col", "--basket-col", "--price-col", "--quantity-col"))
    order_key = column_list(args.basket_col)
    if len(order_key) > 1:  # several columns make an order (customer + day): one key of them
        orders = orders.assign(**{ORDER_KEY: basket_keys(orders, order_key)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SampleRatioMismatchWarning)
        result = analyze(
            assignments, orders, args.start, args.end, customer=args.user_col,
            order=ORDER_KEY if len(order_key) > 1 else args.basket_col,
            timestamp=args.time_col, item=args.item_col,
            amount=args.amount_col, price=args.price_col, quantity=args.quantity_col,
            control=args.control, by_segment=not args.no_segments,
            revenue_cap=args.revenue_cap, alpha=args.alpha, date_format=args.date_format)
    for warning in caught:
        if issubclass(warning.category, SampleRatioMismatchWarning):
            print(f"recsys measure: WARNING: {warning.message}", file=sys.stderr)
        else:  # not ours to silence
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
    print(result)
    if args.out:
        write_frame(result.uplift, args.out)
        print(f"wrote {args.out}")
    if args.report:
        write_text(result.to_html(facts={"assignments": args.assignments,
                                         "orders": args.orders}), args.report)
        print(f"wrote {args.report}")
    return 0

"""``recsys triggers``: who to mail now, and about what (abandoned carts, abandoned browsing,
products back in stock or cheaper), from an event log; with ``--model``, their picks too."""

from __future__ import annotations

from recsys.campaign.triggers import (
    abandoned_browsing,
    abandoned_carts,
    interested_in,
    trigger_picks,
)
from recsys.cli.common import (
    check_columns,
    check_writable,
    command,
    read_frame,
    read_ids,
    refuse_unused_options,
    write_frame,
)
from recsys.cli.inputs import SEP_HELP, column_list
from recsys.exceptions import InvalidParameterError
from recsys.io.database import is_database_url, read_query, shown
from recsys.models.files import load

TRIGGERS = ("abandoned-cart", "abandoned-browse", "back-in-stock", "price-drop")
COLUMNS = ("--user-col", "--item-col", "--event-col", "--time-col")


def configure(parser) -> None:
    parser.add_argument("--events", required=True,
                        help="the event log: a CSV/Parquet file or folder, or a database URL "
                             "with --query; one row per event")
    parser.add_argument("--query", default=None, help="with a database --events: the SQL")
    parser.add_argument("--trigger", choices=TRIGGERS, default="abandoned-cart",
                        help="what to remind of (default: abandoned-cart)")
    parser.add_argument("--kind", default=None,
                        help="the log's name of the triggering event (default: cart; view for "
                             "abandoned-browse; view,cart for back-in-stock and price-drop)")
    parser.add_argument("--bought", default="purchase", help="the log's name of a purchase")
    parser.add_argument("--within", default=None,
                        help="how far back: 24h, 7d, 90min, 2w (default: 7d carts, 3d browsing, "
                             "30d back in stock)")
    parser.add_argument("--wait", default=None,
                        help="leave the newest events this long (default 1h; 0h back in stock)")
    parser.add_argument("--as-of", default=None, help="when the mail goes out (default: the "
                                                      "log's last event)")
    parser.add_argument("--min-views", type=int, default=2,
                        help="abandoned-browse: views of a product that count (default 2)")
    parser.add_argument("--products-list", default=None,
                        help="back-in-stock, price-drop: a CSV of the product ids concerned")
    parser.add_argument("--anchors", type=int, default=3, help="products kept per customer")
    parser.add_argument("--user-col", default="customer_id", help="customer id column")
    parser.add_argument("--item-col", default="product_id", help="product id column")
    parser.add_argument("--event-col", default="event", help="event kind column")
    parser.add_argument("--time-col", default="timestamp", help="event time column")
    parser.add_argument("--suppress", default=None,
                        help="a CSV of customers never to contact: left out of every output")
    parser.add_argument("--suppress-col", default=None, help="the id column of --suppress")
    parser.add_argument("--model", default=None,
                        help="a saved model: write each customer's picks to --picks-out")
    parser.add_argument("-k", type=int, default=4, help="picks per customer with --model")
    parser.add_argument("--picks-out", default=None, help="where --model's picks go")
    parser.add_argument("--sep", default=None, help=SEP_HELP)
    parser.add_argument("--out", default=None,
                        help="the audience: one row per customer and anchor (.csv/.parquet/"
                             ".json; default: printed)")


@command("triggers", configure)
def run(args) -> int:
    if args.model is None:
        refuse_unused_options(args, ["--picks-out"], "no --model is given")
    elif not args.picks_out:
        raise InvalidParameterError("--model writes picks: pass --picks-out FILE.")
    for path, option in ((args.out, "--out"), (args.picks_out, "--picks-out")):
        if path not in (None, "-"):
            check_writable(path, option)
    log = _read_events(args)
    check_columns(log, args, f"--events {shown(args.events)}", COLUMNS)
    if not args.suppress:
        refuse_unused_options(args, ["--suppress-col"], "no --suppress file is given")
    suppress = read_ids(args, args.suppress, "--suppress", args.suppress_col, args.user_col) \
        if args.suppress else None
    found = _audience(args, log, suppress)
    customers = found[args.user_col].nunique()
    print(f"{args.trigger}: {customers:,} customers, {len(found):,} anchor products"
          f"{_left_out(found.attrs)}")
    write_frame(found, args.out)
    if args.model:
        model = load(args.model)
        picks = trigger_picks(model, found, k=args.k, customer=args.user_col, item=args.item_col)
        write_frame(picks, args.picks_out)
        print(f"wrote {len(picks):,} picks for {picks[args.user_col].nunique():,} customers "
              f"to {args.picks_out}")
    return 0


def _read_events(args):
    if is_database_url(args.events):
        if not args.query:
            raise InvalidParameterError(f"--events {shown(args.events)} is a database: pass "
                                        f"--query \"select ... from events\".")
        return read_query(args.events, args.query, "--events")
    if args.query:
        raise InvalidParameterError("--query reads a database: give --events a database URL.")
    columns = [args.user_col, args.item_col, args.event_col, args.time_col]
    return read_frame(args.events, args.sep, [args.user_col, args.item_col], columns=columns)


def _audience(args, log, suppress):
    common = {"as_of": args.as_of, "bought": args.bought, "anchors": args.anchors,
              "customer": args.user_col, "item": args.item_col, "event": args.event_col,
              "timestamp": args.time_col, "suppress": suppress}
    if args.wait is not None:
        common["wait"] = args.wait
    if args.within is not None:
        common["within"] = args.within
    if args.trigger in ("back-in-stock", "price-drop"):
        if not args.products_list:
            raise InvalidParameterError(f"--trigger {args.trigger} needs --products-list: a "
                                        f"CSV of the product ids concerned.")
        products = read_frame(args.products_list, args.sep, [args.item_col])
        column = args.item_col if args.item_col in products.columns else products.columns[0]
        kinds = column_list(args.kind) or ["view", "cart"]
        return interested_in(log, products[column].tolist(), kinds=kinds,
                             reason=args.trigger.replace("-", "_"), **common)
    refuse_unused_options(args, ["--products-list"], f"--trigger {args.trigger} reads no "
                                                     f"product list")
    if args.trigger == "abandoned-browse":
        return abandoned_browsing(log, min_views=args.min_views, kind=args.kind or "view",
                                  **common)
    return abandoned_carts(log, kind=args.kind or "cart", **common)


def _left_out(attrs) -> str:
    said = []
    if attrs.get("anonymous_rows"):
        said.append(f"{attrs['anonymous_rows']:,} anonymous rows left out")
    if attrs.get("suppressed"):
        said.append(f"{attrs['suppressed']:,} suppressed customers left out")
    return f" ({'; '.join(said)})" if said else ""


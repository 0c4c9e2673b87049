"""Reading the data a command works on: a named data set or an orders file."""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

from recsys.cli.common import check_columns, read_frame, refuse_unused_options
from recsys.data.datasets import ShopData, make_shop, read_movielens, read_online_retail
from recsys.data.dates import EPOCH_UNITS, TIME_UNITS, parse_date, parse_timestamps
from recsys.data.features import ItemFeatures
from recsys.data.interactions import Interactions
from recsys.exceptions import DataError, InvalidParameterError
from recsys.io.database import is_database_url, read_query, shown

DATASETS = ("synthetic", "online-retail", "movielens")
SEP_HELP = ("delimiter of text input files (a character, or tab, comma, semicolon, pipe, "
            "space); default: told by each file's header line")


def add_data_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data")
    group.add_argument("--dataset", choices=DATASETS, default=None,
                       help="a built-in data set (default: synthetic, when --orders is not given)")
    group.add_argument("--data-path", default=None,
                       help="file or folder of the public data set (default: from RECSYS_DATA_DIR)")
    group.add_argument("--orders", default=None,
                       help="an order-lines CSV/Parquet file: one row per customer x product; or "
                            "a database URL (postgresql://user@host/shop, sqlite:///shop.db) "
                            "with --query")
    group.add_argument("--query", default=None,
                       help="with a database --orders: the SQL that returns the order lines "
                            "(credentials from the environment: PGPASSWORD, ~/.pgpass)")
    group.add_argument("--user-col", default="customer_id", help="customer id column of --orders")
    group.add_argument("--item-col", default="product_id", help="product id column of --orders")
    group.add_argument("--basket-col", default=None,
                       help="order/invoice id column of --orders, or several that together make "
                            "a basket (e.g. member,date: one member on one day)")
    group.add_argument("--time-col", default=None, help="timestamp column of --orders")
    group.add_argument("--weight-col", default=None, help="weight column of --orders (e.g. quantity)")
    group.add_argument("--event-col", default=None,
                       help="event-kind column of --orders (view, cart, purchase: the shop's "
                            "own names); needs --event-weights")
    group.add_argument("--event-weights", default=None, metavar="KIND=W,...",
                       help="the weight of each kind of --event-col, e.g. "
                            "view=1,cart=4,purchase=10 (a cell sums its rows)")
    group.add_argument("--date-format", default=None,
                       help="strftime format of --time-col, e.g. %%d/%%m/%%Y (default: ISO, or "
                            "the one common format that reads every value)")
    group.add_argument("--time-unit", default=None, choices=TIME_UNITS,
                       help="unit of a numeric --time-col: s, ms, us, ns, or D (days since "
                            "1970-01-01; a sequence number read as days); default: told by "
                            "magnitude, and numbers that would be times before 1980 refused. "
                            "Dates written as 20240131: --date-format %%Y%%m%%d")
    group.add_argument("--since", default=None, metavar="DATE",
                       help="learn from the order lines on or after DATE only (with --time-col; "
                            "a Parquet source reads only those)")
    group.add_argument("--sep", default=None, help=SEP_HELP)
    group.add_argument("--products", default=None,
                       help="a product table (one row per product) for content features and names")
    group.add_argument("--product-id-col", default=None,
                       help="product id column of --products (default: the --item-col)")
    group.add_argument("--name-col", default="name", help="display-name column of --products")
    group.add_argument("--text-cols", default=None,
                       help="comma-separated text columns of --products (default: --name-col)")
    group.add_argument("--category-cols", default="",
                       help="comma-separated categorical columns of --products")
    group.add_argument("--numeric-cols", default="",
                       help="comma-separated numeric columns of --products")
    group.add_argument("--seed", type=int, default=0, help="seed of the synthetic shop")


#: columns read from --orders when present without an option naming them: the money of RFM
#: segments and customer value (amount, or price x quantity)
MONEY_COLUMNS = ("amount", "price", "quantity")

#: the column options of --orders and of --products
ORDER_COLUMNS = ("--user-col", "--item-col", "--basket-col", "--time-col", "--weight-col",
                 "--event-col")
PRODUCT_COLUMNS = ("--product-id-col", "--name-col", "--text-cols", "--category-cols",
                   "--numeric-cols")


def load_data(args) -> ShopData:
    """The ShopData the options describe."""

    if not args.products:
        refuse_unused_options(args, PRODUCT_COLUMNS, "these options name columns of a --products "
                              "file, and none is read (a built-in data set has its own)")
    if args.orders:
        if args.dataset:
            raise DataError("pass --dataset or --orders, not both.")
        orders = read_orders(args, [args.user_col, args.item_col, *column_list(args.basket_col)])
        check_columns(orders, args, f"--orders {args.orders}", ORDER_COLUMNS)
        if args.since is not None:
            orders = _since(orders, args)
        interactions = _interactions(orders, args)
        if interactions.timestamps is not None:  # parsed once: segments and constraints reuse it
            _say_how_numbers_were_read(orders[args.time_col], interactions.timestamps, args)
            orders = orders.assign(**{args.time_col: interactions.timestamps})
        products, items = _read_products(args) if args.products else (None, None)
        return ShopData(orders=orders, products=products, interactions=interactions,
                        items=items, name=args.orders)
    dataset = args.dataset or "synthetic"
    refuse_unused_options(args, (*ORDER_COLUMNS, "--time-unit", "--date-format",
                                 "--event-weights", "--query", "--since"),
                          f"these options describe an --orders file, and the built-in "
                          f"data set {dataset!r} is read with its own columns")
    if dataset == "synthetic":
        return make_shop(seed=args.seed)
    if dataset == "online-retail":
        return read_online_retail(args.data_path)
    return read_movielens(args.data_path)


def _interactions(orders: pd.DataFrame, args) -> Interactions:
    """The container of the --orders lines; its errors name the source (a file or a database,
    its password hidden)."""
    try:
        return Interactions.from_frame(
            orders, user=args.user_col, item=args.item_col, basket=basket_columns(args.basket_col),
            timestamp=args.time_col, weight=args.weight_col, date_format=args.date_format,
            time_unit=args.time_unit, event=args.event_col,
            event_weights=_event_weights(args.event_weights))
    except DataError as exc:
        raise type(exc)(f"--orders {shown(args.orders)}: {exc}") from None


def read_orders(args, id_columns):
    """The --orders table: a file (``id_columns`` read as written) or a database query."""
    if is_database_url(args.orders):
        if not getattr(args, "query", None):
            raise DataError(f"--orders {shown(args.orders)} is a database: pass --query "
                            f"\"select ... from order_lines\" (the columns named by --user-col, "
                            f"--item-col...).")
        return read_query(args.orders, args.query)
    if getattr(args, "query", None):
        raise DataError("--query reads a database: give --orders a database URL "
                        "(postgresql://user@host/shop, sqlite:///shop.db), or leave --query out.")
    return read_frame(args.orders, args.sep, id_columns, columns=used_columns(args),
                      since=getattr(args, "since", None), time=args.time_col)


def used_columns(args) -> list[str]:
    """The columns of --orders a command can use: every column its ``--*-col`` and
    ``--*-cols`` options name, and the money columns (read only what is used: a wide export
    costs what these columns do)."""
    named = [column for dest, value in sorted(vars(args).items())
             if dest.endswith(("_col", "_cols")) and isinstance(value, str)
             for column in column_list(value)]
    return [*named, *MONEY_COLUMNS]


def _since(orders: pd.DataFrame, args) -> pd.DataFrame:
    """The order lines on or after --since, their times parsed (once: the container reads
    them as they are)."""
    if not args.time_col:
        raise InvalidParameterError("--since needs the order times: pass --time-col.")
    edge = parse_date(args.since, "--since")
    times = parse_timestamps(orders[args.time_col], args.time_col, args.date_format,
                             unit=args.time_unit)
    _say_how_numbers_were_read(orders[args.time_col], times, args)
    keep = times >= edge
    if not keep.any():
        raise DataError(f"--since {args.since}: no order line is on or after it (the "
                        f"orders end on {pd.Timestamp(times.max()):%Y-%m-%d}). Give an earlier "
                        f"date.")
    return orders.loc[keep].assign(**{args.time_col: times[keep]}).reset_index(drop=True)


def _event_weights(text: str | None) -> dict[str, float] | None:
    """``"view=1,cart=4"`` -> {"view": 1.0, "cart": 4.0}."""
    if text is None:
        return None
    weights = {}
    for pair in [p.strip() for p in text.split(",") if p.strip()]:
        kind, _, value = pair.partition("=")
        try:
            weights[kind.strip()] = float(value)
        except ValueError:
            raise InvalidParameterError(f"--event-weights {pair!r}: write KIND=WEIGHT pairs, e.g. "
                                        f"view=1,cart=4,purchase=10.") from None
    return weights


def _say_how_numbers_were_read(column, times, args) -> None:
    """A numeric --time-col read by its magnitude: say which unit was assumed and what span
    it gave, so a wrong guess shows at once (stderr; the output stays clean)."""



    if not pd.api.types.is_numeric_dtype(column.dtype) or args.time_unit or args.date_format:
        return
    numbers = np.abs(column.to_numpy(dtype=np.float64))
    bounds = [bound for bound, _, _ in EPOCH_UNITS]
    unit = EPOCH_UNITS[int(np.searchsorted(bounds, np.nanmax(numbers), side="right"))][2] \
        if len(numbers) else "seconds"
    span = f"{pd.Timestamp(times.min()):%Y-%m-%d} .. {pd.Timestamp(times.max()):%Y-%m-%d}"
    print(f"note: --time-col {args.time_col!r} holds numbers, read as epoch {unit} ({span}); "
          f"pass --time-unit (or --date-format %Y%m%d) to read them otherwise.",
          file=sys.stderr)


def basket_columns(text: str | None) -> str | list[str] | None:
    """``--basket-col``: one column, or a comma-separated list of columns (customer + day)."""
    if text is None:
        return None
    columns = column_list(text)
    return columns[0] if len(columns) == 1 else columns


def order_columns(args) -> tuple[str, str | None, str | None]:
    """The customer, order and time columns of the orders the options describe: the
    ``--user-col``, ``--basket-col`` and ``--time-col`` of an ``--orders`` file, or the
    built-in data sets' own (``customer_id``, ``order_id``, ``timestamp``)."""
    if args.orders:
        return args.user_col, args.basket_col, args.time_col
    return "customer_id", "order_id", "timestamp"


def _read_products(args):
    """The product table (its id column as ``product_id`` and its display names as ``name``,
    what campaign reasons and constraints read) and its content features."""

    id_col = args.product_id_col or args.item_col
    products = read_frame(args.products, args.sep, [id_col])
    check_columns(products, args, f"--products {args.products}", PRODUCT_COLUMNS[1:],
                  optional=("--name-col",))
    if id_col not in products.columns:
        option = "--product-id-col" if args.product_id_col else "--item-col (or --product-id-col)"
        raise DataError(f"--products has no column {id_col!r} (the {option}); it has "
                        f"{list(products.columns)}.")
    if args.text_cols is not None:  # named columns must exist: never a silent drop
        _check_columns(products, column_list(args.text_cols), "--text-cols")
        text = column_list(args.text_cols)
    else:  # the default, the name column, only when the table has one
        text = [c for c in [args.name_col] if c in products.columns]
    _check_columns(products, column_list(args.category_cols), "--category-cols")
    _check_columns(products, column_list(args.numeric_cols), "--numeric-cols")
    items = ItemFeatures.from_frame(products, item=id_col, text=text,
                                    categorical=column_list(args.category_cols),
                                    numeric=column_list(args.numeric_cols))
    if id_col != "product_id":  # the --product-id-col is the id, whatever else is called so
        products = products.drop(columns=["product_id"], errors="ignore").rename(
            columns={id_col: "product_id"})
    if args.name_col in products.columns and args.name_col != "name":
        products = products.assign(name=products[args.name_col])
    return products, items


def _check_columns(products, columns: list[str], option: str) -> None:
    missing = [c for c in columns if c not in products.columns]
    if missing:
        raise DataError(f"{option}: --products has no column {', '.join(map(repr, missing))}; "
                        f"it has {list(products.columns)}.")


def column_list(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]

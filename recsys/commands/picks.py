"""``recsys picks``: campaign picks for an audience, under business rules, with reasons."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..cli import command, parse_params, progress_enabled, read_frame
from ..exceptions import DataError, InvalidParameterError
from ..reasons import item_names
from ._data import add_data_options, load_data
from .serve import model_class


def configure(parser) -> None:
    add_data_options(parser)
    parser.add_argument("--model", default="ItemKNN",
                        help="a saved model (.npz) or a model to fit on the orders "
                             "(default ItemKNN; with --param)")
    parser.add_argument("--param", action="append", metavar="KEY=VALUE", help="model parameter")
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--segment", help="audience: customers in this RFM segment (e.g. 'at risk')")
    who.add_argument("--customers", help="audience: a CSV with a customer_id column")
    parser.add_argument("-k", "--k", type=int, default=10, help="picks per customer (default 10)")
    parser.add_argument("--as-of", default=None, help="reference date for RFM and time rules")
    rules = parser.add_argument_group("rules (or --rules FILE)")
    rules.add_argument("--rules", help="a TOML or JSON rules file (see docs/campaigns.md)")
    rules.add_argument("--include-purchased", action="store_true",
                       help="allow products the customer already bought")
    rules.add_argument("--purchased-within-days", type=float, default=None,
                       help="exclude only purchases of the last N days")
    rules.add_argument("--available-col", default=None,
                       help="product column that must be true (e.g. in_stock)")
    rules.add_argument("--price-min", type=float, default=None)
    rules.add_argument("--price-max", type=float, default=None)
    rules.add_argument("--category-cap", type=int, default=None, help="max picks per category")
    rules.add_argument("--category-col", default="category")
    rules.add_argument("--promoted", default=None, help="comma-separated promoted product ids")
    rules.add_argument("--promoted-slots", type=int, default=1)
    rules.add_argument("--previous-sends", default=None,
                       help="CSV of earlier sends: customer_id, product_id, sent_at")
    rules.add_argument("--cooldown-days", type=float, default=14)
    parser.add_argument("--no-backfill", action="store_true", help="do not top lists up to k")
    parser.add_argument("--format", choices=("long", "wide"), default="long",
                        help="long: a row per pick; wide: a row per customer (mail-merge)")
    parser.add_argument("--out", required=True, help="output file (.csv or .parquet)")
    parser.add_argument("--chunk-size", type=int, default=20_000)
    parser.add_argument("--no-progress", action="store_true")


def _read_rules(path: str) -> dict:
    text = Path(path).read_text()
    if path.lower().endswith(".toml"):
        try:
            import tomllib
        except ImportError:  # Python 3.10
            raise DataError("TOML rules files need Python 3.11+; use JSON.") from None
        return tomllib.loads(text)
    return json.loads(text)


def _model(args, shop):
    from ..persistence import load

    if args.model.lower().endswith(".npz"):
        return load(args.model)
    model = model_class(args.model)(**parse_params(args.param))
    if model.uses_item_features:
        if shop.items is None:
            raise InvalidParameterError(f"{args.model} needs product features: pass --products.")
        return model.fit(shop.interactions, items=shop.items)
    return model.fit(shop.interactions)


@command("picks", "Campaign picks: k products per customer under business rules, with reasons.",
         configure)
def run(args) -> int:
    from ..campaign import make_picks, rules_from_config
    from .segments import customer_segments

    shop = load_data(args)
    orders, products = shop.orders, shop.products
    segments = customer_segments(shop, args.as_of).set_index("customer_id")["segment"]
    if args.segment:
        audience = segments.index[segments == args.segment].to_numpy()
        if len(audience) == 0:
            raise DataError(f"no customer is in segment {args.segment!r}; segments: "
                            f"{sorted(segments.unique())}.")
    elif args.customers:
        table = read_frame(args.customers)
        if "customer_id" not in table.columns:
            raise DataError(f"{args.customers} needs a customer_id column.")
        audience = table["customer_id"].to_numpy()
    else:
        audience = segments.index.to_numpy()
    if args.rules:
        config = _read_rules(args.rules)
    else:
        config = {"exclude_purchased": not args.include_purchased,
                  "purchased_within_days": args.purchased_within_days,
                  "only_available": args.available_col, "price_min": args.price_min,
                  "price_max": args.price_max, "category_cap": args.category_cap,
                  "category_column": args.category_col,
                  "cooldown_days": args.cooldown_days if args.previous_sends else None,
                  "promoted": args.promoted.split(",") if args.promoted else None,
                  "promoted_slots": args.promoted_slots}
        config = {key: value for key, value in config.items() if value is not None}
    sends = read_frame(args.previous_sends) if args.previous_sends else None
    rules = rules_from_config(config, products=products, orders=orders, sends=sends)
    model = _model(args, shop)
    as_of = args.as_of or (pd.Timestamp(orders["timestamp"].max()) + pd.Timedelta(days=1))
    result = make_picks(model, audience, k=args.k, rules=rules, products=products,
                        segments=segments, backfill=not args.no_backfill, as_of=as_of,
                        chunk_size=args.chunk_size, out=args.out, format=args.format,
                        show_progress=progress_enabled(args))
    s = result.summary
    print(f"wrote {args.out}: {s['customers']:,} customers, {s['picks']:,} picks "
          f"({s['backfilled_share']:.1%} back-filled; {s['customers_short_of_k']:,} customers "
          f"short of k), coverage {s['coverage']:.1%} of {len(model.items_):,} products")
    print(f"model: {type(model).__name__}; rules: {', '.join(type(r).__name__ for r in rules) or 'none'}")
    excluded = {**{f"{k} (products)": v for k, v in s["products_excluded"].items()},
                **{f"{k} (candidates)": v for k, v in s["candidates_excluded"].items()}}
    if excluded:
        print("excluded: " + "; ".join(f"{k}: {v:,}" for k, v in excluded.items()))
    names = item_names(products)
    print("top products: " + "; ".join(f"{names.get(i, i)} ({n:,})" for i, n in s["top_products"][:5]))
    return 0

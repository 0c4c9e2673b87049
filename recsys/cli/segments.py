"""``recsys segments``: RFM scores and named segments of every customer, as of a date."""

from __future__ import annotations

from recsys.campaign.segments import SEGMENTS, behaviour_clusters
from recsys.cli.audience import customer_segments
from recsys.cli.common import command, write_frame
from recsys.cli.inputs import add_data_options, load_data, order_columns
from recsys.customers import VALUE_SEGMENTS, value_table
from recsys.exceptions import InvalidParameterError


def configure(parser) -> None:
    add_data_options(parser)
    parser.add_argument("--as-of", default=None,
                        help="reference date (default: the day after the last order)")
    parser.add_argument("--clusters", type=int, default=0,
                        help="also fit this many behavioural clusters (k-means on RFM)")
    parser.add_argument("--value", action="store_true",
                        help="add customer value (BG/NBD and Gamma-Gamma: probability alive, "
                             "expected purchases, CLV over --horizon-days) and value segments "
                             "such as 'valuable, slipping away'")
    parser.add_argument("--horizon-days", type=float, default=365.0,
                        help="the horizon of --value's expected purchases and CLV (default 365)")
    parser.add_argument("--out", default=None, help="write the per-customer table (.csv/.parquet)")


@command("segments", configure)
def run(args) -> int:

    shop = load_data(args)
    table = customer_segments(shop, args.as_of, order_columns(args))
    counts = table["segment"].value_counts()
    as_of = args.as_of or "the day after the last order"
    print(f"{shop.name}: {len(table):,} customers as of {as_of}")
    print(f"{'segment':<20}{'customers':>10}{'share':>8}{'recency d':>11}{'orders':>8}{'spend':>11}")
    for name in SEGMENTS:
        n = int(counts.get(name, 0))
        part = table[table["segment"] == name]
        if n:
            print(f"{name:<20}{n:>10,}{n / len(table):>8.1%}{part['recency_days'].median():>11.0f}"
                  f"{part['frequency'].median():>8.0f}{part['monetary'].median():>11,.0f}")
        else:
            print(f"{name:<20}{0:>10}{0:>8.1%}")
    for note in table.attrs.get("notes", []):
        print(f"note: {note}")
    if args.value:
        table = _with_value(args, shop, table)
    elif "horizon_days" in getattr(args, "given", set()):
        raise InvalidParameterError("--horizon-days goes with --value.")
    if args.clusters:
        _, profile = behaviour_clusters(table, n_clusters=args.clusters)
        print("\nbehavioural clusters (k-means on log recency, frequency, spend):")
        print(profile.round(1).to_string())
    if args.out:
        write_frame(table, args.out)
        print(f"wrote {args.out}")
    return 0


def _with_value(args, shop, table):
    """The RFM table with the customer-value columns joined, and their segments printed."""
    customer, _, timestamp = order_columns(args)
    if timestamp is None:
        raise InvalidParameterError("--value needs the order times: pass --time-col.")
    value = value_table(shop.orders, customer=customer, timestamp=timestamp,
                        as_of=args.as_of, horizon_days=args.horizon_days)
    joined = table.join(value, on=customer)
    counts = joined["value_segment"].value_counts()
    print(f"\ncustomer value over the next {args.horizon_days:g} days (BG/NBD"
          f"{' and Gamma-Gamma' if 'clv' in value.columns else ''}):")
    for name in VALUE_SEGMENTS:
        part = joined[joined["value_segment"] == name]
        worth = f", CLV median {part['clv'].median():,.0f}" if "clv" in joined and len(part) else ""
        print(f"  {name:<26}{int(counts.get(name, 0)):>8,} customers, P(alive) median "
              f"{part['probability_alive'].median() if len(part) else 0:.2f}{worth}")
    return joined

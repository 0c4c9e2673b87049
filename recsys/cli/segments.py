"""``recsys segments``: RFM scores and named segments of every customer, as of a date."""

from __future__ import annotations

from recsys.cli.common import command, write_frame
from recsys.cli.inputs import add_data_options, load_data, order_columns
from recsys.exceptions import DataError


def configure(parser) -> None:
    add_data_options(parser)
    parser.add_argument("--as-of", default=None,
                        help="reference date (default: the day after the last order)")
    parser.add_argument("--clusters", type=int, default=0,
                        help="also fit this many behavioural clusters (k-means on RFM)")
    parser.add_argument("--out", default=None, help="write the per-customer table (.csv/.parquet)")


def customer_segments(shop, as_of, columns: tuple[str, str | None, str | None],
                      required: bool = True):
    """The RFM table of the shop's customers from the given (customer, order, time) columns;
    None when the orders have no order ids or times and ``required`` is false."""
    from recsys.campaign.segments import rfm
    from recsys.data.interactions import basket_keys

    customer, order, timestamp = columns
    missing = [flag for flag, column in (("--basket-col", order), ("--time-col", timestamp))
               if column is None]
    if missing:
        if not required:
            return None
        raise DataError(
            f"RFM segments need an order id and a time per line: pass {' and '.join(missing)} "
            f"(the columns of --orders that hold them).")
    orders = shop.orders
    if "," in order:  # a basket of several columns (customer + day): one key per combination
        columns = [c.strip() for c in order.split(",") if c.strip()]
        absent = [c for c in columns if c not in orders.columns]
        if absent:
            raise DataError(f"--basket-col: --orders has no column {', '.join(map(repr, absent))}"
                            f"; it has {list(orders.columns)}.")
        order = "basket (" + " + ".join(columns) + ")"
        orders = orders.assign(**{order: basket_keys(orders, columns)})  # as Interactions does
    return rfm(orders, customer=customer, order=order, timestamp=timestamp, as_of=as_of)


@command("segments", "RFM scores and named segments (champions, at risk, ...) of every customer.",
         configure)
def run(args) -> int:
    from recsys.campaign.segments import SEGMENTS, behaviour_clusters

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
    if args.clusters:
        _, profile = behaviour_clusters(table, n_clusters=args.clusters)
        print("\nbehavioural clusters (k-means on log recency, frequency, spend):")
        print(profile.round(1).to_string())
    if args.out:
        write_frame(table, args.out)
        print(f"wrote {args.out}")
    return 0

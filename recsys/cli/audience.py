"""The customers a command segments or mails: their RFM table from the orders' columns."""

from __future__ import annotations

from recsys.campaign.segments import rfm
from recsys.data.interactions import basket_keys
from recsys.exceptions import DataError

__all__ = ["customer_segments"]


def customer_segments(shop, as_of, columns: tuple[str, str | None, str | None],
                      required: bool = True):
    """The RFM table of the shop's customers from the given (customer, order, time) columns;
    None when the orders have no order ids or times and ``required`` is false."""

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

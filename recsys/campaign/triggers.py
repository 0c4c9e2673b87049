"""Trigger audiences: who to mail now because of what they just did.

From an event log (views, carts, purchases: the shop's own kind names), the customers to
remind and the product(s) each reminder is about, its *anchors*:

- :func:`abandoned_carts`: added to the cart within the window and not bought since;
- :func:`abandoned_browsing`: viewed at least ``min_views`` times within the window and not
  bought since;
- :func:`interested_in`: viewed or carted one of given products (back in stock, price
  dropped) within the window and not bought since.

"Not bought since" is per product: a purchase of that product at or after the customer's last
triggering event of it takes it off their list (buying something else does not). Events newer
than ``wait`` are left for later (give a visitor the time to finish the purchase). Rows without
a customer id (anonymous visitors) cannot be mailed and are left out, counted in
``frame.attrs["anonymous_rows"]``.

Each function returns one row per (customer, anchor), the newest first (``rank`` 1 is the
main anchor), with the time of the triggering event, the number of such events and the
reason in words; :func:`trigger_picks` turns it into picks (the anchor itself first for a
cart reminder, then products that go with the anchors). Everything is vectorised over the log:
10,000,000 events in a few seconds (``benchmarks/triggers.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from recsys.data.dates import data_end, parse_date, parse_timestamps
from recsys.data.frames import as_pandas, like
from recsys.data.ids import clean_ids, match_ids
from recsys.exceptions import DataError, InvalidParameterError

__all__ = ["abandoned_carts", "abandoned_browsing", "interested_in", "trigger_picks",
           "TRIGGER_WORDING", "duration"]

#: the reason of each trigger; ``{item}`` is the anchor's name (or id)
TRIGGER_WORDING = {
    "abandoned_cart": "You left {item} in your cart",
    "abandoned_browse": "Still thinking about {item}?",
    "back_in_stock": "{item} is back in stock",
    "price_drop": "{item} now costs less",
}

_UNITS = {"min": "min", "m": "min", "h": "h", "d": "D", "w": "W", "s": "s"}


def duration(value: object, name: str) -> pd.Timedelta:
    """``"24h"``, ``"7d"``, ``"90min"``, ``"2w"``, a number of days, or a Timedelta.

    Parameters
    ----------
    value : str, number or pandas.Timedelta
    name : str
        The parameter it is for (named in the error).

    Returns
    -------
    pandas.Timedelta

    Raises
    ------
    InvalidParameterError
        Not a duration, or a negative one.

    Examples
    --------
    >>> duration("36h", "within"), duration(2, "within")
    (Timedelta('1 days 12:00:00'), Timedelta('2 days 00:00:00'))
    """
    if isinstance(value, pd.Timedelta):
        found = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        found = pd.Timedelta(days=float(value))
    else:
        text = str(value).strip().lower()
        number = text.rstrip("abcdefghijklmnopqrstuvwxyz")
        unit = _UNITS.get(text[len(number):].strip())
        try:
            found = pd.Timedelta(float(number), unit=unit) if unit else None
        except ValueError:
            found = None
        if found is None:
            raise InvalidParameterError(f"{name} must be a duration such as 24h, 7d, 90min or "
                                        f"2w (or a number of days), got {value!r}.", param=name)
    if found < pd.Timedelta(0):
        raise InvalidParameterError(f"{name} must not be negative, got {value!r}.", param=name)
    return found


def abandoned_carts(events, *, within: object = "7d", wait: object = "1h", as_of: object = None,
                    kind: str = "cart", bought: str = "purchase", anchors: int = 3,
                    customer: str = "customer_id", item: str = "product_id",
                    event: str = "event", timestamp: str = "timestamp",
                    names: Mapping | None = None, suppress: Iterable | None = None):
    """Customers with products added to the cart within ``within`` before ``as_of`` (and
    at least ``wait`` before it) and not bought since.

    Parameters
    ----------
    events : DataFrame (pandas, polars, pyarrow)
        One row per event: ``customer``, ``item``, ``event`` (the kind), ``timestamp``.
    within, wait : duration
        The window (``"7d"``) and the grace time (``"1h"``) before ``as_of``.
    as_of : date-like, optional
        When the mail goes out (default: the log's last event).
    kind, bought : str
        The event kinds of a cart add and of a purchase, as the log names them.
    anchors : int, default 3
        Products kept per customer, newest first.
    customer, item, event, timestamp : str
        The log's columns.
    names : dict, optional
        Product id -> name, for the reason text.
    suppress : ids, optional
        Customers who must not be contacted (unsubscribed, objected, bounced): never in the
        result; ``frame.attrs["suppressed"]`` counts them.

    Returns
    -------
    DataFrame
        ``customer_id`` (the ``customer`` column's name), ``rank``, ``product_id`` (the
        ``item`` column's name), ``at``, ``events``, ``reason_code``, ``reason``; in the
        kind of ``events``.

    Raises
    ------
    DataError
        A column is missing, or the log has no event of ``kind``.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": [1, 1, 2, 2], "product_id": ["tea", "mug", "tea", "tea"],
    ...                     "event": ["cart", "cart", "cart", "purchase"],
    ...                     "timestamp": ["2026-03-01 10:00", "2026-03-01 11:00",
    ...                                   "2026-03-01 10:00", "2026-03-01 12:00"]})
    >>> carts = abandoned_carts(log, as_of="2026-03-02")
    >>> carts[["customer_id", "rank", "product_id"]].values.tolist()
    [[1, 1, 'mug'], [1, 2, 'tea']]
    >>> carts["reason"].iloc[0]
    'You left mug in your cart'
    """
    return _triggered(events, (kind,), bought, 1, "abandoned_cart", within, wait, as_of,
                      anchors, (customer, item, event, timestamp), names, None, suppress)


def abandoned_browsing(events, *, min_views: int = 2, within: object = "3d",
                       wait: object = "1h", as_of: object = None, kind: str = "view",
                       bought: str = "purchase", anchors: int = 3,
                       customer: str = "customer_id", item: str = "product_id",
                       event: str = "event", timestamp: str = "timestamp",
                       names: Mapping | None = None, suppress: Iterable | None = None):
    """Customers who viewed a product at least ``min_views`` times within ``within`` before
    ``as_of`` and have not bought it since (the product viewed last ranks first).

    Parameters
    ----------
    events : DataFrame (pandas, polars, pyarrow)
        One row per event: ``customer``, ``item``, ``event`` (the kind), ``timestamp``.
    min_views : int, default 2
        Views of a product within the window that make it an anchor.
    within, wait : duration, default "3d", "1h"
    as_of : date-like, optional
        When the mail goes out (default: the log's last event).
    kind, bought : str, default "view", "purchase"
        The log's names of a view and of a purchase.
    anchors : int, default 3
    customer, item, event, timestamp : str
    names : dict, optional
    suppress : ids, optional
        Customers never to contact.

    Returns
    -------
    DataFrame
        As :func:`abandoned_carts`'s, reason code ``abandoned_browse``.

    Raises
    ------
    DataError
        A missing column, or no event of ``kind`` in the log.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": [1, 1, 1], "product_id": ["tea", "tea", "mug"],
    ...                     "event": ["view"] * 3,
    ...                     "timestamp": ["2026-03-01 10:00", "2026-03-01 11:00", "2026-03-01 12:00"]})
    >>> abandoned_browsing(log, as_of="2026-03-02")["product_id"].tolist()
    ['tea']
    """
    if isinstance(min_views, bool) or not isinstance(min_views, int | np.integer) \
            or min_views < 1:
        raise InvalidParameterError(f"min_views must be a whole number >= 1, got "
                                    f"{min_views!r}.", param="min_views")
    return _triggered(events, (kind,), bought, int(min_views), "abandoned_browse", within,
                      wait, as_of, anchors, (customer, item, event, timestamp), names, None,
                      suppress)


def interested_in(events, products: Iterable, *, reason: str = "back_in_stock",
                  kinds: Sequence[str] = ("view", "cart"), within: object = "30d",
                  wait: object = "0h", as_of: object = None, bought: str = "purchase",
                  anchors: int = 3, customer: str = "customer_id", item: str = "product_id",
                  event: str = "event", timestamp: str = "timestamp",
                  names: Mapping | None = None, suppress: Iterable | None = None):
    """Customers who viewed or carted (``kinds``) one of ``products`` (back in stock, price
    dropped) within ``within`` before ``as_of`` and have not bought it since; ``reason`` is
    ``"back_in_stock"`` or ``"price_drop"``.

    Parameters
    ----------
    events : DataFrame (pandas, polars, pyarrow)
        One row per event: ``customer``, ``item``, ``event`` (the kind), ``timestamp``.
    products : ids
        The products back in stock (or cheaper).
    reason : {"back_in_stock", "price_drop"}, default "back_in_stock"
    kinds : sequence of str, default ("view", "cart")
        The event kinds that show interest.
    within, wait : duration, default "30d", "0h"
    as_of : date-like, optional
    bought : str, default "purchase"
    anchors : int, default 3
    customer, item, event, timestamp : str
    names : dict, optional
    suppress : ids, optional

    Returns
    -------
    DataFrame
        As :func:`abandoned_carts`'s, reason code ``back_in_stock`` or ``price_drop``.

    Raises
    ------
    DataError
        A missing column, or no event of ``kinds`` in the log.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": [1, 2], "product_id": ["tea", "mug"],
    ...                     "event": ["view", "cart"],
    ...                     "timestamp": ["2026-03-01 10:00", "2026-03-01 11:00"]})
    >>> interested_in(log, ["mug"], as_of="2026-03-02")[["customer_id", "reason"]].values.tolist()
    [[2, 'mug is back in stock']]
    """
    if reason not in ("back_in_stock", "price_drop"):
        raise InvalidParameterError(f"reason must be 'back_in_stock' or 'price_drop', got "
                                    f"{reason!r}.", param="reason")
    return _triggered(events, tuple(kinds), bought, 1, reason, within, wait, as_of, anchors,
                      (customer, item, event, timestamp), names, list(products), suppress)


def _triggered(events, kinds: tuple[str, ...], bought: str, least: int, code: str,
               within: object, wait: object, as_of: object, anchors: int,
               columns: tuple[str, str, str, str], names: Mapping | None,
               products: list | None, suppress: Iterable | None = None):
    """The shared core: per (customer, product), the triggering events in the window, the
    newest of them, and whether a purchase came at or after it. Only the rows that can
    matter (triggering events in the window, purchases since its start) are coded."""
    if isinstance(anchors, bool) or not isinstance(anchors, int | np.integer) or anchors < 1:
        raise InvalidParameterError(f"anchors must be a whole number >= 1, got {anchors!r}.",
                                    param="anchors")
    customer, item, _, _ = columns
    log, anonymous = _read(events, columns, kinds)
    window = (duration(within, "within").to_timedelta64(),
              duration(wait, "wait").to_timedelta64())
    rows, times, sold, edge = _rows_that_matter(log, kinds, bought, as_of, window, columns)
    users, user_ids = pd.factorize(pd.Series(clean_ids(log[customer].iloc[rows], customer)),
                                   sort=True)
    things, item_ids = pd.factorize(pd.Series(clean_ids(log[item].iloc[rows], item)))
    key = users.astype(np.int64) * max(len(item_ids), 1) + things
    trigger = ~sold & (times <= edge - window[1])
    if products is not None:
        wanted = item_ids.get_indexer(pd.Index(clean_ids(products, "products")))
        trigger &= np.isin(things, wanted[wanted >= 0])
    cells, last, count = _newest(key[trigger], times[trigger])
    bought_cells, bought_last, _ = _newest(key[sold], times[sold])
    at = np.searchsorted(bought_cells, cells)
    found = at < len(bought_cells)
    purchased = np.zeros(len(cells), bool)
    purchased[found] = (bought_cells[at[found]] == cells[found]) & \
        (bought_last[at[found]] >= last[found])
    keep = ~purchased & (count >= least)
    suppressed = 0
    if suppress is not None:  # before anything is ranked: a suppressed customer is never listed
        keep, suppressed = _without(keep, cells // max(len(item_ids), 1), user_ids, suppress)
    out = _ranked(cells[keep], last[keep], count[keep], len(item_ids), anchors)
    result = pd.DataFrame({
        customer: user_ids[out["user"]], "rank": out["rank"], item: item_ids[out["item"]],
        "at": out["at"], "events": out["count"], "reason_code": code})
    result["reason"] = _reasons(result[item], code, names)
    result.attrs.update(anonymous_rows=anonymous, suppressed=suppressed)
    return like(result, events)


def _rows_that_matter(log: pd.DataFrame, kinds: tuple[str, ...], bought: str, as_of: object,
                      window: tuple, columns: tuple[str, str, str, str]):
    """The positions of the triggering events from the window's start on and of the
    purchases from then on (an older purchase cannot follow a trigger in the window), their
    times, which of them are purchases, and ``as_of`` (default: the log's last event)."""
    _, _, event, timestamp = columns
    is_trigger = log[event].isin(kinds).to_numpy(bool)
    is_sold = log[event].isin([bought]).to_numpy(bool)
    rows = np.flatnonzero(is_trigger | is_sold)
    if as_of is None:  # the log's end: every row's time is needed once
        every = parse_timestamps(log[timestamp], timestamp)
        edge, times = data_end(every), every[rows]
    else:
        edge = parse_date(as_of, "as_of")
        times = parse_timestamps(log[timestamp].iloc[rows], timestamp)
    recent = times >= edge - window[0]
    return rows[recent], times[recent], is_sold[rows[recent]], edge


def _without(keep: np.ndarray, user: np.ndarray, user_ids: pd.Index, suppress: Iterable):
    """``keep`` with the suppressed customers' cells dropped, and how many customers."""
    present = np.unique(user[keep])
    barred = clean_ids(suppress, "suppress")
    if not len(barred) or not len(present):
        return keep, 0
    allowed = match_ids(barred, np.asarray(user_ids[present]), "the suppression list's "
                        "customer ids", "the log's customer ids") < 0
    return keep & np.isin(user, present[allowed]), int((~allowed).sum())


def _read(events, columns: tuple[str, str, str, str],
          kinds: tuple[str, ...]) -> tuple[pd.DataFrame, int]:
    """The log's four columns, rows without a customer id left out (and counted); the
    caller's frame is never changed. A log without any event of ``kinds`` is refused."""
    log = as_pandas(events, "events", list(columns))
    absent = [c for c in columns if c not in log.columns]
    if absent:
        raise DataError(f"events: no column {absent[0]!r}; the log has {list(log.columns)}. "
                        f"Name the columns with customer=, item=, event=, timestamp= "
                        f"(--user-col, --item-col, --event-col, --time-col).")
    if not log[columns[2]].isin(kinds).any():
        there = sorted(map(str, log[columns[2]].dropna().unique().tolist()))
        raise DataError(f"events: column {columns[2]!r} has no "
                        f"{' or '.join(map(repr, kinds))} event; its kinds are {there[:10]}. "
                        f"Name the log's own kind (kind=..., --kind).")
    anonymous = log[columns[0]].isna().to_numpy()
    if anonymous.all():
        raise DataError(f"events: every row's {columns[0]!r} is empty: anonymous visitors "
                        f"cannot be mailed; a trigger needs the customers' ids.")
    return (log.loc[~anonymous, list(columns)] if anonymous.any() else log), \
        int(anonymous.sum())


def _newest(key: np.ndarray, times: np.ndarray):
    """Sorted unique ``key``s, the newest time of each and how many rows each has."""
    if not len(key):
        return key, times, np.zeros(0, np.int64)
    order = np.lexsort((times, key))
    key, times = key[order], times[order]
    ends = np.flatnonzero(np.r_[key[1:] != key[:-1], True])
    starts = np.r_[0, ends[:-1] + 1]
    return key[ends], times[ends], ends - starts + 1


def _ranked(cells: np.ndarray, last: np.ndarray, count: np.ndarray, n_items: int,
            anchors: int) -> dict[str, np.ndarray]:
    """Each customer's products, newest first, the first ``anchors`` of them."""
    user, thing = np.divmod(cells, max(n_items, 1))
    order = np.lexsort((-last.astype(np.int64), user))
    user, thing, last, count = user[order], thing[order], last[order], count[order]
    starts = np.flatnonzero(np.r_[True, user[1:] != user[:-1]])
    rank = np.arange(len(user)) - np.repeat(starts, np.diff(np.r_[starts, len(user)])) + 1
    keep = rank <= anchors
    return {"user": user[keep], "item": thing[keep], "at": last[keep], "count": count[keep],
            "rank": rank[keep]}


def _reasons(anchors: pd.Series, code: str, names: Mapping | None) -> np.ndarray:
    """The reason of each row, its anchor named (by ``names``, else by id)."""
    shown = anchors.map(names).fillna(anchors.astype(str)) if names else anchors.astype(str)
    template = TRIGGER_WORDING[code]
    head, _, tail = template.partition("{item}")
    return (head + shown.astype(str) + tail).to_numpy(dtype=object)


def trigger_picks(model, triggered, k: int = 4, *, include_anchor: bool | None = None,
                  customer: str = "customer_id", item: str = "product_id",
                  names: Mapping | None = None) -> pd.DataFrame:
    """Picks for a trigger audience (from :func:`abandoned_carts` and the others): the main
    anchor itself first when ``include_anchor`` (default: for cart reminders and back in
    stock, not for browsing), then the products ``model`` puts with the customer's anchors
    (:meth:`recommend_for_basket`), the anchors left out.

    Parameters
    ----------
    model : Recommender
        Fitted; it answers carts (``recommend_for_basket``).
    triggered : DataFrame
        What :func:`abandoned_carts`, :func:`abandoned_browsing` or :func:`interested_in`
        returned.
    k : int, default 4
    include_anchor : bool, optional
    customer, item : str
        The columns of ``triggered``.
    names : dict, optional

    Returns
    -------
    DataFrame
        One row per pick: ``customer``, ``rank``, ``item``, ``score``, ``source``,
        ``reason_code``, ``reason``; in the kind of ``triggered``.

    Examples
    --------
    >>> import recsys, pandas as pd
    >>> shop = recsys.make_shop(n_customers=200, n_products=40, seed=0)
    >>> model = recsys.ItemKNN().fit(shop.interactions)
    >>> product = shop.interactions.items.ids[0]
    >>> log = pd.DataFrame({"customer_id": [7], "product_id": [product], "event": ["cart"],
    ...                     "timestamp": ["2026-03-01 10:00"]})
    >>> picks = trigger_picks(model, abandoned_carts(log, as_of="2026-03-02"), k=3)
    >>> picks["product_id"].iloc[0] == product, len(picks)
    (True, 3)
    """
    table = as_pandas(triggered, "triggered")
    if not len(table):
        return pd.DataFrame(columns=[customer, "rank", item, "score", "source", "reason_code",
                                     "reason"])
    code = str(table["reason_code"].iloc[0])
    anchor_first = code != "abandoned_browse" if include_anchor is None else include_anchor
    first = table[table["rank"] == 1]
    known = model.items_.to_index(first[item].to_numpy(), missing="mask") >= 0
    baskets = table.groupby(customer, sort=False)[item].agg(list).to_dict()
    related = model.recommend_for_basket(baskets, k=k, on_unknown="skip").to_frame()
    related = related.rename(columns={"query": customer, "item": item})
    related["reason_code"], related["reason"] = "goes_with_anchor", _goes_with(
        related, first, customer, item, names)
    heads = first[known] if anchor_first else first.iloc[:0]
    head = pd.DataFrame({customer: heads[customer].to_numpy(), item: heads[item].to_numpy(),
                         "score": np.nan, "source": "anchor", "reason_code": code,
                         "reason": heads["reason"].to_numpy()})
    picks = pd.concat([head, related[[customer, item, "score", "source", "reason_code",
                                      "reason"]]], ignore_index=True)
    picks["rank"] = picks.groupby(customer, sort=False).cumcount() + 1
    picks = picks[picks["rank"] <= k].sort_values([customer, "rank"], kind="stable")
    return like(picks[[customer, "rank", item, "score", "source", "reason_code", "reason"]]
                .reset_index(drop=True), triggered)


def _goes_with(related: pd.DataFrame, first: pd.DataFrame, customer: str, item: str,
               names: Mapping | None) -> np.ndarray:
    anchor = related[customer].map(first.set_index(customer)[item])
    shown = anchor.map(names).fillna(anchor.astype(str)) if names else anchor.astype(str)
    return ("Goes with " + shown.astype(str)).to_numpy(dtype=object)

r"""Customer segments: RFM scores and named segments, and behavioural clusters.

RFM, as of a date: **recency** (days since the last order), **frequency** (number of
distinct orders) and **monetary** (total spend). Each becomes a score from 1 to 5:

.. math:: \mathrm{score} = \lceil 5\,p \rceil

where :math:`p` is the customer's percentile rank among all customers (``rank / n``), ties
given the lowest rank of their group: equal values get equal scores, and a value most
customers share scores as low as its place allows (in a shop where most customers bought
once, "bought once" scores F = 1, not a middling 3, so segments then follow recency:
new, promising, about to sleep, hibernating, lost). Recency is ranked in reverse: the most
recent customers score 5. The table's ``attrs["notes"]`` says when one value holds most
customers of a score, so a reader knows that score separates little.

Named segments follow the usual R x F grid (M is reported, not used to name):

=====  =================  ==================  ==================  ===============  ===============
R \ F  1                  2                   3                   4                5
=====  =================  ==================  ==================  ===============  ===============
5      new                potential loyalist  potential loyalist  champions        champions
4      promising          potential loyalist  potential loyalist  loyal            loyal
3      about to sleep     about to sleep      need attention      loyal            loyal
2      hibernating        hibernating         at risk             at risk          can't lose them
1      lost               hibernating         at risk             at risk          can't lose them
=====  =================  ==================  ==================  ===============  ===============
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys._engine.arrays import unique
from recsys._engine.params import check_int
from recsys.data.amounts import parse_amounts
from recsys.data.dates import DAY_NS, data_end, parse_date, parse_timestamps
from recsys.data.frames import as_pandas, like
from recsys.data.ids import clean_ids
from recsys.exceptions import DataError, InvalidParameterError

__all__ = ["rfm", "SEGMENTS", "segment_of", "behaviour_clusters"]

_GRID = [  # rows: R = 1..5, columns: F = 1..5
    ["lost", "hibernating", "at risk", "at risk", "can't lose them"],
    ["hibernating", "hibernating", "at risk", "at risk", "can't lose them"],
    ["about to sleep", "about to sleep", "need attention", "loyal", "loyal"],
    ["promising", "potential loyalist", "potential loyalist", "loyal", "loyal"],
    ["new", "potential loyalist", "potential loyalist", "champions", "champions"],
]
#: every segment name, best first
SEGMENTS = ("champions", "loyal", "potential loyalist", "new", "promising", "need attention",
            "about to sleep", "at risk", "can't lose them", "hibernating", "lost")


def segment_of(r: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Segment names for R and F scores (1-5), from the grid in the module docstring.

    Parameters
    ----------
    r, f : numpy.ndarray of int
        Recency and frequency scores, 1 to 5.

    Returns
    -------
    numpy.ndarray of str

    Examples
    --------
    >>> segment_of(np.array([5]), np.array([5]))[0]
    'champions'
    """
    grid = np.asarray(_GRID, dtype=object)
    return grid[np.asarray(r) - 1, np.asarray(f) - 1]


def _score(values: np.ndarray, reverse: bool = False) -> np.ndarray:
    ranks = pd.Series(-values if reverse else values).rank(method="min", pct=True)
    return np.clip(np.ceil(ranks.to_numpy() * 5 - 1e-9), 1, 5).astype(np.int64)


#: a value held by more than this share of customers makes its score say little
_TIED = 0.5


def _tie_notes(**columns: np.ndarray) -> list[str]:
    """What to tell the reader of an RFM table: each measure one value of which holds most
    customers (a shop of one-time buyers: frequency)."""
    notes = []
    for name, values in columns.items():
        if not len(values):
            continue
        common, counts = np.unique(values, return_counts=True)
        share = counts.max() / len(values)
        if share > _TIED:
            notes.append(f"{name}: {share:.0%} of customers share one value "
                         f"({common[counts.argmax()]:g}), so its score separates them little; "
                         f"the segments then follow the other scores")
    return notes


def rfm(
    orders: pd.DataFrame,
    *,
    customer: str = "customer_id",
    order: str = "order_id",
    timestamp: str = "timestamp",
    amount: str | None = None,
    price: str | None = "price",
    quantity: str | None = "quantity",
    as_of: object = None,
) -> pd.DataFrame:
    """RFM table, one row per customer.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines (never modified).
    customer, order, timestamp : str
        Columns of the customer id, the order id and the order time.
    amount : str, optional
        Column of the line's spend; default ``price * quantity`` (or 1 per line when
        the frame has neither).
    as_of : datetime-like, optional
        The reference date (default: the day after the last order). Orders after it are ignored.

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` (the ``customer`` column's name), ``recency_days``, ``frequency``,
        ``monetary``, ``r``, ``f``, ``m``, ``rfm`` (e.g. ``"545"``), ``segment``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": [1, 1, 2, 3], "order_id": [10, 11, 12, 13],
    ...                        "timestamp": ["2024-01-01", "2024-03-01", "2024-02-01", "2023-06-01"],
    ...                        "price": [5.0, 7.0, 20.0, 3.0], "quantity": [1, 2, 1, 1]})
    >>> rfm(orders, as_of="2024-03-02")[["customer_id", "recency_days", "frequency", "r", "f"]]
       customer_id  recency_days  frequency  r  f
    0            1           1.0          2  5  5
    1            2          30.0          1  4  2
    2            3         275.0          1  2  2
    """
    given, orders = orders, as_pandas(orders, "rfm: orders")
    needed = [customer, order, timestamp] + ([amount] if amount else [])
    absent = [c for c in needed if c not in orders.columns]
    if absent:
        raise DataError(f"rfm: column(s) {absent} not in the orders; it has {list(orders.columns)}.")
    if len(orders) == 0:
        raise DataError("rfm: the orders frame is empty.")
    clean_ids(orders[customer], f"rfm: customer column {customer!r}")  # no NaN, one id type
    times = parse_timestamps(orders[timestamp], timestamp).astype("datetime64[ns]")
    edge = (data_end(times) + np.timedelta64(1, "D")) if as_of is None else \
        parse_date(as_of, "rfm: as_of")
    keep = times <= edge  # a line dated after it (a mistyped year) is left out, and said
    if not keep.any():
        raise DataError(f"rfm: no order is on or before as_of={as_of}.")
    if amount is not None:
        spend = parse_amounts(orders[amount], amount)
    elif price in orders.columns and quantity in orders.columns:
        spend = parse_amounts(orders[price], price) * parse_amounts(orders[quantity], quantity)
    elif price in orders.columns:
        spend = parse_amounts(orders[price], price)
    else:
        spend = np.ones(len(orders))
    spend = spend[keep]
    codes, customers = pd.factorize(orders[customer].to_numpy()[keep], sort=True)
    order_codes = pd.factorize(orders[order].to_numpy()[keep])[0]
    n = len(customers)
    last = pd.Series(times[keep].view(np.int64)).groupby(codes).max().to_numpy()
    pairs = unique(codes.astype(np.int64) * (order_codes.max() + 1) + order_codes)
    frequency = np.bincount(pairs // (order_codes.max() + 1), minlength=n)
    monetary = np.bincount(codes, weights=spend, minlength=n)
    recency = (edge.view(np.int64) - last) / DAY_NS
    r, f, m = _score(recency, reverse=True), _score(frequency), _score(monetary)
    table = pd.DataFrame({
        customer: customers,
        "recency_days": recency,
        "frequency": frequency,
        "monetary": monetary,
        "r": r, "f": f, "m": m,
        "rfm": [f"{a}{b}{c}" for a, b, c in zip(r, f, m, strict=True)],
        "segment": segment_of(r, f).astype(str),
    })
    table.attrs["notes"] = _tie_notes(frequency=frequency, recency_days=np.round(recency))
    if (~keep).any():
        table.attrs["notes"].append(
            f"{int((~keep).sum()):,} order line(s) dated after {str(edge)[:10]} (from "
            f"{str(times[~keep].min())[:10]}) are left out")
    return like(table, given)


def behaviour_clusters(
    table: pd.DataFrame,
    *,
    shares: pd.DataFrame | None = None,
    n_clusters: int = 6,
    random_state: int | None = 0,
) -> tuple[pd.Series, pd.DataFrame]:
    """k-means clusters on log RFM (and optional category shares), with a profile table.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`rfm` (its first column is the customer id).
    shares : pandas.DataFrame, optional
        Customers x categories share of spend (rows sum to 1), indexed by customer id.
    n_clusters : int

    Returns
    -------
    labels : pandas.Series
        Cluster per customer.
    profile : pandas.DataFrame
        Per cluster: size, mean recency/frequency/monetary, the most common segment, and
        the mean category shares when given.

    Examples
    --------
    >>> import recsys
    >>> table = rfm(recsys.make_shop(n_customers=300, n_products=40, seed=0).orders)
    >>> labels, profile = behaviour_clusters(table, n_clusters=3)
    >>> len(profile), labels.nunique()
    (3, 3)
    """
    # scikit-learn costs 0.5 s to import: only where it is used
    from sklearn.cluster import MiniBatchKMeans

    n_clusters = check_int("behaviour_clusters", "n_clusters (--clusters)", n_clusters,
                           minimum=2)
    if n_clusters > len(table):
        raise InvalidParameterError(
            f"behaviour_clusters: n_clusters (--clusters) is {n_clusters}, more than the "
            f"{len(table)} customers to cluster. Ask for fewer clusters.")
    key = table.columns[0]
    X = np.column_stack([np.log1p(table["recency_days"]), np.log1p(table["frequency"]),
                         np.log1p(table["monetary"].clip(lower=0))])
    X = (X - X.mean(axis=0)) / np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
    if shares is not None:
        aligned = shares.reindex(table[key]).fillna(0.0)
        X = np.column_stack([X, aligned.to_numpy()])
    model = MiniBatchKMeans(n_clusters=n_clusters, random_state=random_state, n_init=3,
                            batch_size=4096)
    labels = pd.Series(model.fit_predict(X), index=pd.Index(table[key]), name="cluster")
    frame = table.assign(cluster=labels.to_numpy())
    profile = frame.groupby("cluster").agg(
        customers=(key, "size"), recency_days=("recency_days", "mean"),
        frequency=("frequency", "mean"), monetary=("monetary", "mean"),
        main_segment=("segment", lambda s: s.value_counts().index[0]))
    if shares is not None:
        profile = profile.join(aligned.assign(cluster=labels.to_numpy()).groupby("cluster").mean())
    return labels, profile

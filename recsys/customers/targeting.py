"""Uplift targeting from a past campaign: who a mail changed, learnt from the assignments
``recsys picks --control`` wrote and the orders that followed, then the next send's audience
ranked by it.

A past campaign with a random control group is an experiment: each assigned customer was
mailed or not at random, and bought in the days after the send or not.
:func:`customer_features` describes every customer from the order log *before* the send (what
the campaign could have known: the buy-till-you-die summary, days since the last purchase,
order lines, distinct products); :func:`learn_uplift` fits an
:class:`~recsys.customers.uplift.UpliftModel` on them; :func:`predicted_uplift` scores the
customers of the next send from the orders before it, and ``make_picks(target=...,
budget=...)`` mails the ones with the largest predicted uplift, keeping its control group
inside them so the next readout stays unbiased.

The features are the order log's; a shop's own columns (a loyalty tier, a region) can be
joined to them before fitting (``extra=``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from recsys._engine.params import check_float
from recsys.customers.summary import summary
from recsys.customers.uplift import UpliftModel
from recsys.data.dates import DAY_NS, parse_date, parse_timestamps
from recsys.data.frames import as_pandas
from recsys.data.ids import clean_ids
from recsys.exceptions import DataError

__all__ = ["customer_features", "campaign_outcome", "learn_uplift", "predicted_uplift"]


def customer_features(orders: Any, as_of: Any, *, customer: str = "customer_id",
                      timestamp: str = "timestamp", product: str | None = "product_id",
                      amount: str | None = None, date_format: str | None = None
                      ) -> pd.DataFrame:
    """Numeric features of every customer from their orders strictly before ``as_of``.

    ``frequency``, ``recency`` and ``T`` of :func:`~recsys.customers.summary` in days (and
    ``monetary_value`` with ``amount``), ``days_since_last`` (``T - recency``), ``lines``
    (order lines) and, with ``product``, ``products`` (distinct products bought).

    Parameters
    ----------
    orders : DataFrame
        One row per order line; pandas, polars or pyarrow (never modified).
    as_of : date-like
        The send date: only orders before it are read (what the campaign could know).
    customer, timestamp : str
        The customer id and order time columns.
    product : str or None, default "product_id"
        The product column (None: no ``products`` feature).
    amount : str, optional
        The amount column (``monetary_value``).
    date_format : str, optional
        The format of text times.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id, one row per customer with an order before ``as_of``.

    Raises
    ------
    DataError
        A column is missing, or no order lies before ``as_of``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": [1, 1, 2, 2],
    ...                        "product_id": ["a", "b", "a", "a"],
    ...                        "timestamp": ["2026-01-01", "2026-01-08", "2026-01-05",
    ...                                      "2026-02-01"]})
    >>> customer_features(orders, "2026-01-20").loc[1].to_dict()
    {'frequency': 1.0, 'recency': 7.0, 'T': 18.0, 'days_since_last': 11.0, 'lines': 2.0, 'products': 2.0}
    """
    orders = as_pandas(orders, "customer_features")
    columns = [c for c in (customer, timestamp, product, amount) if c is not None]
    absent = [c for c in columns if c not in orders.columns]
    if absent:
        raise DataError(f"customer_features: no column {absent[0]!r} in the orders; they have "
                        f"{list(orders.columns)}. Name the columns with customer=, timestamp=, "
                        f"product=, amount=.")
    edge = _day(as_of, "customer_features: as_of")
    when = parse_timestamps(orders[timestamp], timestamp, date_format)
    before = when.astype("datetime64[D]").astype(np.int64) < edge
    if not before.any():
        raise DataError(f"customer_features: no order lies before as_of={as_of!r}.")
    # the parsed times go to the summary: text times are parsed once
    past = orders.loc[before, columns].assign(**{timestamp: when[before]})
    end = np.datetime64(edge - 1, "D")
    table = summary(past, customer=customer, timestamp=timestamp, amount=amount, unit="D",
                    end=end)
    table["days_since_last"] = table["T"] - table["recency"]
    ids = clean_ids(past[customer], f"orders[{customer!r}]")
    table["lines"] = pd.Series(ids).value_counts().reindex(table.index).to_numpy(np.float64)
    if product is not None:
        distinct = pd.DataFrame({"c": ids, "p": past[product].to_numpy()}).drop_duplicates()
        table["products"] = distinct["c"].value_counts().reindex(table.index).to_numpy(
            np.float64)
    return table.astype(np.float64)


def campaign_outcome(assignments: pd.DataFrame, orders: Any, start: Any, days: float = 14, *,
                     customer: str = "customer_id", timestamp: str = "timestamp",
                     control: str = "control", date_format: str | None = None
                     ) -> pd.DataFrame:
    """Who was mailed and who bought in the ``days`` after ``start``, per assigned customer.

    Parameters
    ----------
    assignments : DataFrame
        ``customer_id`` and ``group`` (as ``recsys picks --control`` writes them).
    orders : DataFrame
        The order log (any kind narwhals reads).
    start : date-like
        When the campaign was sent.
    days : float, default 14
        The window after ``start`` an order counts in.
    customer, timestamp : str
        The orders' customer id and time columns.
    control : str, default "control"
        The control group's name; every other group was mailed.
    date_format : str, optional
        The format of text times.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id: ``treated`` (bool) and ``bought`` (0 or 1).

    Raises
    ------
    DataError
        Missing columns, a customer in two groups, only one group, or ids of another type
        than the orders'.

    Examples
    --------
    >>> import pandas as pd
    >>> groups = pd.DataFrame({"customer_id": [1, 2, 3], "group": ["treatment", "control",
    ...                                                              "treatment"]})
    >>> orders = pd.DataFrame({"customer_id": [1, 2], "timestamp": ["2026-03-03",
    ...                                                               "2026-05-01"]})
    >>> campaign_outcome(groups, orders, "2026-03-01")["bought"].tolist()
    [1, 0, 0]
    """
    assignments = as_pandas(assignments, "campaign_outcome: assignments")
    for column in ("customer_id", "group"):
        if column not in assignments.columns:
            raise DataError(f"campaign_outcome: the assignments have no {column!r} column; "
                            f"they have {list(assignments.columns)} (recsys picks --control "
                            f"writes customer_id and group).")
    ids = clean_ids(assignments["customer_id"], "assignments['customer_id']")
    groups = assignments["group"].astype(str).to_numpy()
    both = pd.DataFrame({"c": ids, "g": groups}).drop_duplicates().duplicated("c")
    if both.any():
        raise DataError(f"campaign_outcome: {int(both.sum()):,} customers are in two groups of "
                        f"the assignments: the arms overlap, so the campaign is no "
                        f"experiment. Use the assignments file of one send.")
    treated = groups != control
    if treated.all() or not treated.any():
        raise DataError(f"campaign_outcome: the assignments need a {control!r} group and a "
                        f"mailed one; got only {sorted(set(groups))}.")
    orders = as_pandas(orders, "campaign_outcome: orders")
    bought_ids = _buyers(orders, start, days, customer, timestamp, date_format)
    if len(bought_ids) and bought_ids.dtype.kind != ids.dtype.kind:
        raise DataError("campaign_outcome: the assignments' customer ids and the orders' are of "
                        "different types (text and integers); read both with the same ids.")
    frame = pd.DataFrame({"treated": treated, "bought": np.isin(ids, bought_ids).astype(
        np.int8)}, index=pd.Index(ids, name="customer_id"))
    return frame[~frame.index.duplicated()]


def learn_uplift(assignments: pd.DataFrame, orders: Any, start: Any, days: float = 14, *,
                 customer: str = "customer_id", timestamp: str = "timestamp",
                 product: str | None = "product_id", amount: str | None = None,
                 control: str = "control", extra: pd.DataFrame | None = None,
                 learner: str = "auto", random_state: int = 0,
                 date_format: str | None = None) -> UpliftModel:
    """An uplift model learnt from a past campaign: features from the orders before
    ``start``, the outcome from the ``days`` after it.

    Customers of the assignments without an order before ``start`` are described by zeros
    and a ``T`` of 0 (new customers). The returned model remembers its feature columns
    (``feature_names_``) so :func:`predicted_uplift` builds the same.

    Parameters
    ----------
    assignments : DataFrame
        The past campaign's ``customer_id`` and ``group`` (``recsys picks --control``).
    orders : DataFrame
        The order log, before and after the send.
    start : date-like
        When the campaign was sent.
    days : float, default 14
        The window an order counts as a response in.
    customer, timestamp, product, amount : str
        The orders' columns (see :func:`customer_features`).
    control : str, default "control"
        The control group's name.
    extra : DataFrame, optional
        The shop's own numeric customer columns, indexed by customer id, joined to the
        features (missing values as 0).
    learner : str, default "auto"
        The :class:`~recsys.customers.uplift.UpliftModel` learner.
    random_state : int, default 0
        Seed of the learners and of ``"auto"``'s held-out split.
    date_format : str, optional
        The format of text times.

    Returns
    -------
    UpliftModel
        Fitted; ``feature_names_`` and ``campaign_`` (customers, treated share, response
        rates of both groups) describe what it learnt from.

    Raises
    ------
    DataError
        As :func:`campaign_outcome` and :func:`customer_features`, or when both groups
        bought alike in every customer (nothing to learn).

    Examples
    --------
    >>> import recsys
    >>> from recsys.experiment import assign, simulate_response
    >>> shop = recsys.make_shop(n_customers=2000, n_products=100, seed=0)
    >>> groups = assign(shop.customers["customer_id"], salt="past", control=0.5)
    >>> response, _ = simulate_response(groups, start="2026-01-10", base_rate=0.2,
    ...                                 conversion_uplift=0.1, seed=0)
    >>> orders = pd.concat([shop.orders, response[["customer_id", "product_id",
    ...                                            "timestamp"]]])
    >>> model = learn_uplift(groups, orders, "2026-01-10", learner="two_model")
    >>> model.campaign_["customers"], model.feature_names_[:3]
    (2000, ['frequency', 'recency', 'T'])
    """
    orders = _parsed(orders, timestamp, date_format)  # once, for the outcome and features
    outcome = campaign_outcome(assignments, orders, start, days, customer=customer,
                               timestamp=timestamp, control=control)
    features = _features_of(outcome.index, orders, start, customer, timestamp, product, amount,
                            extra, None)
    model = UpliftModel(learner=learner, random_state=random_state)
    model.fit(features, outcome["treated"].to_numpy(), outcome["bought"].to_numpy())
    model.feature_names_ = list(features.columns)
    model.feature_options_ = {"customer": customer, "timestamp": timestamp, "product": product,
                              "amount": amount, "date_format": date_format}
    treated = outcome["treated"].to_numpy()
    model.campaign_ = {"customers": len(outcome), "treated_share": float(treated.mean()),
                       "treated_rate": float(outcome["bought"][treated].mean()),
                       "control_rate": float(outcome["bought"][~treated].mean())}
    return model


def predicted_uplift(model: UpliftModel, orders: Any, as_of: Any, customers: Any = None, *,
                     extra: pd.DataFrame | None = None) -> pd.Series:
    """Each customer's predicted uplift for a send at ``as_of``, from the orders before it.

    Parameters
    ----------
    model : UpliftModel
        What :func:`learn_uplift` returned.
    orders : DataFrame
        The order log (only the orders before ``as_of`` are read).
    as_of : date-like
        The new send's date.
    customers : ids, optional
        Whom to score (default: every customer with an order before ``as_of``).
    extra : DataFrame, optional
        The same extra columns the model was fitted with.

    Returns
    -------
    pandas.Series
        ``uplift`` indexed by customer id (a difference of probabilities to buy).

    Raises
    ------
    DataError
        When the model was not fitted by :func:`learn_uplift`, or ``extra`` lacks its
        columns.

    Examples
    --------
    >>> import recsys
    >>> from recsys.experiment import assign, simulate_response
    >>> shop = recsys.make_shop(n_customers=2000, n_products=100, seed=0)
    >>> groups = assign(shop.customers["customer_id"], salt="past", control=0.5)
    >>> response, _ = simulate_response(groups, start="2026-01-10", base_rate=0.2,
    ...                                 conversion_uplift=0.1, seed=0)
    >>> orders = pd.concat([shop.orders, response[["customer_id", "product_id",
    ...                                            "timestamp"]]])
    >>> model = learn_uplift(groups, orders, "2026-01-10", learner="two_model")
    >>> scores = predicted_uplift(model, orders, "2026-02-15")
    >>> scores.index.is_unique, scores.name  # every customer who ordered before the send
    (True, 'uplift')
    """
    names = getattr(model, "feature_names_", None)
    if names is None:
        raise DataError("predicted_uplift: the model was not fitted by learn_uplift (it "
                        "needs to know its features); fit it with learn_uplift(...).")
    options = model.feature_options_
    table = _table(orders, as_of, **options)
    ids = table.index.to_numpy() if customers is None else clean_ids(customers, "customers")
    features = _features_of(pd.Index(ids), orders, as_of, extra=extra, table=table, **options)
    missing = [name for name in names if name not in features.columns]
    if missing:
        raise DataError(f"predicted_uplift: the model learnt from {missing} too; pass the "
                        f"same extra= columns it was fitted with.")
    return pd.Series(model.predict(features[names]), index=pd.Index(ids, name="customer_id"),
                     name="uplift")


def _parsed(orders: Any, timestamp: str, date_format: str | None) -> pd.DataFrame:
    """The orders as pandas with their times parsed (a new frame; the caller's is left alone),
    so that the functions reading them parse text times once."""
    orders = as_pandas(orders, "learn_uplift: orders")
    if timestamp not in orders.columns:
        return orders  # the readers name the missing column
    return orders.assign(**{timestamp: parse_timestamps(orders[timestamp], timestamp,
                                                        date_format)})


def _table(orders: Any, as_of: Any, customer: str, timestamp: str, product: str | None,
           amount: str | None, date_format: str | None) -> pd.DataFrame:
    """:func:`customer_features`, empty when no order lies before ``as_of`` (every customer
    is then new)."""
    try:
        return customer_features(orders, as_of, customer=customer, timestamp=timestamp,
                                 product=product, amount=amount, date_format=date_format)
    except DataError as error:
        if "no order lies before" not in str(error):
            raise
        return pd.DataFrame(columns=["frequency", "recency", "T", "days_since_last", "lines"])


def _features_of(ids: pd.Index, orders: Any, as_of: Any, customer: str, timestamp: str,
                 product: str | None, amount: str | None, extra: pd.DataFrame | None,
                 date_format: str | None, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The features of the customers ``ids``, zeros for those with no order before ``as_of``
    (and for missing extra values)."""
    if table is None:
        table = _table(orders, as_of, customer, timestamp, product, amount, date_format)
    if len(table) and len(ids) and table.index.dtype.kind != ids.dtype.kind \
            and not (table.index.dtype.kind in "iu" and ids.dtype.kind in "iu"):
        raise DataError("learn_uplift: the customers' ids and the orders' are of different "
                        "types (text and integers); read both with the same ids.")
    features = table.reindex(ids).fillna(0.0)
    if extra is not None:
        extra = as_pandas(extra, "extra").select_dtypes(include=["number", "bool"])
        features = features.join(extra.astype(np.float64), how="left").fillna(0.0)
    return features


def _buyers(orders: pd.DataFrame, start: Any, days: float, customer: str, timestamp: str,
            date_format: str | None) -> np.ndarray:
    """The customers with an order in ``[start, start + days)``."""
    check_float("campaign_outcome", "days", days, minimum=0, exclusive_min=True)
    for column in (customer, timestamp):
        if column not in orders.columns:
            raise DataError(f"campaign_outcome: no column {column!r} in the orders; they have "
                            f"{list(orders.columns)}. Name them with customer=, timestamp=.")
    begin = parse_date(start, "campaign_outcome: start").astype("datetime64[ns]").astype(
        np.int64)
    when = parse_timestamps(orders[timestamp], timestamp, date_format).astype(
        "datetime64[ns]").astype(np.int64)
    inside = (when >= begin) & (when < begin + int(days * DAY_NS))
    return np.unique(clean_ids(orders[customer], f"orders[{customer!r}]")[inside])


def _day(value: Any, what: str) -> int:
    return int(parse_date(value, what).astype("datetime64[D]").astype(np.int64))



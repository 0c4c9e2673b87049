"""Time units shared by every module that turns timestamps (datetime64[ns]) into days, and
the one rule for telling a mistyped date far after the rest of a log."""

from __future__ import annotations

import numpy as np

#: nanoseconds in a day
DAY_NS = 86400e9
#: a time must lie at least this many days after the bulk of the log to be called outlying
OUTLYING_AFTER_DAYS = 30.0
#: fewer rows than this, and no time is called outlying (too few to say what the bulk is)
OUTLYING_MIN_ROWS = 20


def far_after_the_rest(times: np.ndarray) -> np.ndarray:
    """Rows whose time lies far after the bulk of ``times`` (datetime64[ns]): later than the
    95th percentile by more than half the span from the 5th to the 95th percentile, and by at
    least :data:`OUTLYING_AFTER_DAYS`. A row dated 2099 in a year of orders is; the newest
    orders of a growing shop are not (they lie within days of the 95th percentile).

    >>> days = np.arange(365).astype("datetime64[D]").astype("datetime64[ns]")
    >>> far_after_the_rest(np.r_[days, np.datetime64("2099-01-01", "ns")]).nonzero()[0].tolist()
    [365]
    """
    if times is None or len(times) < OUTLYING_MIN_ROWS:
        return np.zeros(0 if times is None else len(times), bool)
    ns = times.astype("datetime64[ns]").astype(np.int64)
    low, high = np.quantile(ns, [0.05, 0.95], method="nearest")
    limit = high + max(0.5 * float(high - low), OUTLYING_AFTER_DAYS * DAY_NS)
    return ns > limit


def data_end(times: np.ndarray) -> np.datetime64:
    """The newest time of ``times`` that is not far after the rest (see
    :func:`far_after_the_rest`): what "the end of the data" means for recency."""
    outlying = far_after_the_rest(times)
    return times[~outlying].max() if outlying.any() else times.max()

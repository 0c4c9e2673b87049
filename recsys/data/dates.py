"""Times: parsing a column of timestamps (text in one known format, epoch numbers in a stated
or plausible unit, datetimes; never a per-element guess), dates given as options, the units
shared by every module that turns timestamps (datetime64[ns]) into days, and the one rule for
telling a mistyped date far after the rest of a log."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.data.ids import preview
from recsys.exceptions import DataError, InvalidParameterError

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


def _arrow_timestamp(dtype: object) -> bool:
    """Whether ``dtype`` is an Arrow timestamp (a column of a polars or pyarrow frame)."""
    return isinstance(dtype, pd.ArrowDtype) and str(dtype.pyarrow_dtype).startswith("timestamp")


def parse_timestamps(column: pd.Series, name: str = "timestamp",
                     format: str | None = None, dayfirst: bool | None = None,
                     unit: str | None = None) -> np.ndarray:
    """Parse a column of times into ``datetime64[ns]`` (UTC, tz dropped).

    Accepts datetime64 columns, pandas Timestamps, ISO-8601 strings and epoch
    numbers. The unit of epoch numbers is ``unit`` (``"s"``, ``"ms"``, ``"us"``, ``"ns"``,
    or ``"D"``: days since 1970-01-01) or, by default, told by magnitude (below 1e11
    seconds, below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds); numbers
    that would then read as times before 1980 (sequence numbers, days since an epoch, dates
    written as ``20240131``) are refused, never read as seconds of 1970: give ``unit``, or
    ``format="%Y%m%d"`` for dates written as integers. Other date strings are read by the
    one format (of :data:`DATE_FORMATS`) that reads all of them, the same for every element;
    dates that read both day-first and month-first are an error unless ``format`` (a
    ``strftime`` format such as ``"%d/%m/%Y"``) or ``dayfirst`` says which. A column mixing
    times with a time zone and times without one is refused (the naive ones' zone is unknown).

    >>> parse_timestamps(pd.Series(["01-05-2015", "21-07-2015"])).astype("datetime64[D]").tolist()
    [datetime.date(2015, 5, 1), datetime.date(2015, 7, 21)]
    """
    series = column if isinstance(column, pd.Series) else pd.Series(column)
    if series.isna().any():
        rows = np.flatnonzero(series.isna().to_numpy())
        raise DataError(
            f"timestamp column {name!r} has {len(rows)} missing value(s), first at row(s) "
            f"{preview(rows.tolist())}. Fill or drop them."
        )
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        raise DataError(f"timestamp column {name!r} holds booleans, not times.")
    if unit is not None and unit not in TIME_UNITS:
        raise InvalidParameterError(
            f"time_unit must be one of {', '.join(TIME_UNITS)} (seconds, milliseconds, "
            f"microseconds, nanoseconds, days since 1970-01-01), got {unit!r} (on the command "
            f"line: --time-unit).")
    numeric = pd.api.types.is_numeric_dtype(dtype)
    try:
        if format is not None and (pd.api.types.is_object_dtype(dtype) or numeric
                                   or pd.api.types.is_string_dtype(dtype)):
            text = (series.astype(np.int64) if numeric and _integral(series) else series)
            parsed = pd.to_datetime(text.astype(str).str.strip(), format=format, utc=True)
            return parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
        if numeric:
            numbers = series.to_numpy(dtype=np.float64)
            parsed = pd.to_datetime(numbers, unit=unit or _epoch_unit(numbers, name))
            if unit is None:
                _refuse_implausible_epoch(parsed, numbers, name)
        elif isinstance(dtype, pd.DatetimeTZDtype):
            parsed = series.dt.tz_convert("UTC").dt.tz_localize(None)
        elif _arrow_timestamp(dtype):  # polars and pyarrow times: converted, never parsed
            zone = getattr(dtype.pyarrow_dtype, "tz", None)
            parsed = (series.astype(pd.DatetimeTZDtype("ns", zone)).dt.tz_convert("UTC")
                      .dt.tz_localize(None) if zone else series.astype("datetime64[ns]"))
        else:
            if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
                _refuse_mixed_zones(series, name)  # datetime64 columns have one zone
            parsed = _parse_strings(series, name, dayfirst)
    except DataError:
        raise
    except (ValueError, TypeError, OverflowError) as exc:
        raise DataError(
            f"timestamp column {name!r} could not be read as times "
            f"({str(exc).splitlines()[0].rstrip(' .:')}). "
            f"Pass datetime64 values, ISO strings like '2011-12-09 12:50', or epoch seconds."
        ) from None
    parsed = pd.Series(parsed)
    bad = parsed.isna().to_numpy()
    if bad.any():
        raise DataError(
            f"timestamp column {name!r} has {bad.sum()} value(s) that are not times "
            f"(first: {preview(series[bad].tolist())}). Pass datetime64 values, ISO "
            f"strings like '2011-12-09 12:50', or epoch seconds."
        )
    return _to_ns(parsed, series, name)


#: the units a column of numbers may be given in (``time_unit=``, ``--time-unit``)
TIME_UNITS = ("s", "ms", "us", "ns", "D")
#: epoch numbers read by magnitude must fall after this: a shop's log is not from the 1970s
PLAUSIBLE_FROM = np.datetime64("1980-01-01", "ns")


def _integral(series: pd.Series) -> bool:
    values = series.to_numpy(dtype=np.float64)
    return bool(np.all(np.isfinite(values) & (values == np.round(values))))


def _refuse_implausible_epoch(parsed: pd.DatetimeIndex, numbers: np.ndarray, name: str) -> None:
    """Numbers whose unit was told by magnitude must read as times after 1980; sequence
    numbers, days since an epoch and dates written as 20240131 read as seconds of 1970."""
    first = parsed.min()
    if first is pd.NaT or first >= PLAUSIBLE_FROM:
        return
    distinct = np.unique(numbers[np.isfinite(numbers)])[:3]
    examples = preview((distinct.astype(np.int64) if np.all(distinct == np.round(distinct))
                        else distinct).tolist())
    low, high = parsed.min().date(), parsed.max().date()
    looks = "dates written as yyyymmdd" if _all_yyyymmdd(numbers) else (
        "sequence numbers or days since an epoch")
    raise DataError(
        f"timestamp column {name!r} holds numbers ({examples}) that, read as epoch times, "
        f"fall in {low}..{high}: not plausible times of a shop's log; they look like {looks}. "
        f"Say how to read them: for dates written as 20240131, date_format='%Y%m%d' (on the "
        f"command line --date-format %Y%m%d); for days since 1970-01-01 (or a sequence "
        f"number, each step read as a day), time_unit='D' (--time-unit D); for epoch seconds "
        f"after all, time_unit='s' (--time-unit s).")


def _all_yyyymmdd(numbers: np.ndarray) -> bool:
    values = numbers[np.isfinite(numbers)]
    if not len(values) or not np.all(values == np.round(values)):
        return False
    text = pd.Series(values.astype(np.int64)).astype(str)
    return bool(pd.to_datetime(text, format="%Y%m%d", errors="coerce").notna().all())


#: a time written with its zone: a clock, then Z or an offset such as +01:00, at the end
_ZONE = r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[zZ]|UTC|[+-]\d{2}(?::?\d{2})?)\s*$"


def _refuse_mixed_zones(series: pd.Series, name: str) -> None:
    """Refuse a column where some times carry a time zone and others do not: the naive ones'
    zone is unknown, and reading them as UTC shifts them by hours without a word."""
    values = pd.Series(pd.unique(series.to_numpy()))
    texts = values.map(type).isin([str, np.str_])
    zoned = pd.Series(False, index=values.index)
    if texts.any():
        zoned[texts] = values[texts].astype(str).str.contains(_ZONE, regex=True)
    if (~texts).any():
        zoned[~texts] = values[~texts].map(lambda v: getattr(v, "tzinfo", None) is not None)
    if zoned.any() and not zoned.all():
        aware, naive = values[zoned].iloc[0], values[~zoned].iloc[0]
        raise DataError(
            f"timestamp column {name!r} mixes times with a time zone ({aware!r}) and times "
            f"without one ({naive!r}); the zone of the naive ones is unknown. Write every time "
            f"with its zone (or none), e.g. convert the column with "
            f"pd.to_datetime(..., utc=True) after fixing the naive ones.")


def parse_date(value: object, name: str = "as_of") -> np.datetime64:
    """One date or time (``"2011-12-09"``, a ``datetime``, a ``pd.Timestamp``) as
    ``datetime64[ns]`` (UTC, tz dropped), or a DataError naming ``name``.

    >>> parse_date("2011-12-09")
    np.datetime64('2011-12-09T00:00:00.000000000')
    """
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, (bool, np.bool_)):
        raise DataError(
            f"{name} must be a date such as '2011-12-09', got the number {value!r}: numbers are "
            f"not read as dates (20111209 would be nanoseconds after 1970). Write it as "
            f"'2011-12-09'.")
    try:
        stamp = pd.Timestamp(value)
        if stamp is pd.NaT:
            raise ValueError("a missing date")
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        return stamp.to_datetime64().astype("datetime64[ns]")
    except (ValueError, TypeError, OverflowError):
        # a command-line option is named as it is; a library name gets the usual option
        hint = "" if name.startswith("--") else " (on the command line: --as-of 2011-12-09)"
        raise DataError(
            f"{name} must be a date such as '2011-12-09' (or '2011-12-09 13:00'), got "
            f"{value!r}{hint}.") from None


def days_before(edge: np.datetime64, days: float) -> np.datetime64:
    """The time ``days`` days before ``edge`` (``datetime64[ns]``), computed without overflow:
    a window longer than the calendar recsys keeps (``last_days=1e6``) starts at its first
    representable time, so it simply holds everything.

    >>> days_before(np.datetime64("2011-12-09"), 30)
    np.datetime64('2011-11-09T00:00:00.000000000')
    """
    edge_ns = int(np.datetime64(edge, "ns").astype(np.int64))
    start = edge_ns - round(float(days) * DAY_NS)  # Python ints: no wrap-around
    return np.datetime64(max(start, _FIRST_NS), "ns")


_FIRST_NS = -(2**63) + 1  # -2**63 is NaT


#: epoch numbers below each bound are read in that unit (told by magnitude)
EPOCH_UNITS = ((1e11, "s", "seconds"), (1e14, "ms", "milliseconds"),
               (1e17, "us", "microseconds"), (np.inf, "ns", "nanoseconds"))


def _epoch_unit(numbers: np.ndarray, name: str) -> str:
    """The one unit of a column of epoch numbers; a mix of units (seconds beside
    milliseconds) is an error, never one unit applied to both."""
    if len(numbers) == 0:
        return "s"
    bounds = np.array([bound for bound, _, _ in EPOCH_UNITS[:-1]])
    kind = np.searchsorted(bounds, np.abs(numbers[np.isfinite(numbers)]), side="right")
    low, high = int(kind.min()), int(kind.max())
    if low == high:
        return EPOCH_UNITS[low][1]
    finite = numbers[np.isfinite(numbers)]
    examples = " and ".join(
        f"{finite[kind == k][0]:.0f} ({EPOCH_UNITS[k][2]})" for k in (low, high))
    raise DataError(
        f"timestamp column {name!r} mixes epoch units: {examples}; one column must hold one "
        f"unit. Convert the column to one unit (or to datetimes) first, e.g. "
        f"pd.to_datetime(col, unit='ms').")


def _to_ns(parsed: pd.Series, original: pd.Series, name: str) -> np.ndarray:
    """``datetime64[ns]``, or a DataError for times nanoseconds cannot hold (1677-2262):
    never a silent wrap into another century."""
    values = parsed.to_numpy()
    if values.dtype != np.dtype("datetime64[ns]"):
        as_us = values.astype("datetime64[us]")
        outside = (as_us < _NS_FIRST) | (as_us > _NS_LAST)
        if outside.any():
            raise DataError(
                f"timestamp column {name!r} has {int(outside.sum())} time(s) outside "
                f"1677-09-22..2262-04-11, the range recsys keeps times in (first: "
                f"{preview(original[outside].tolist())}). Fix or drop those rows.")
    return values.astype("datetime64[ns]")


_NS_FIRST = np.datetime64("1677-09-22", "us")
_NS_LAST = np.datetime64("2262-04-11", "us")


def _date_formats() -> list[tuple[str, str]]:
    """(format, day order) of the non-ISO dates accepted without being told: day-first and
    month-first with -, / or . and 4- or 2-digit years, year-first with / or ., each with no
    time, hours:minutes or hours:minutes:seconds."""
    dates = []
    for sep in "-/.":
        for year in ("%Y", "%y"):
            dates += [(f"%d{sep}%m{sep}{year}", "day first"), (f"%m{sep}%d{sep}{year}", "month first")]
        if sep != "-":
            dates.append((f"%Y{sep}%m{sep}%d", "year first"))
    return [(date + clock, order) for date, order in dates for clock in ("", " %H:%M", " %H:%M:%S")]


DATE_FORMATS = _date_formats()


def _parse_strings(series: pd.Series, name: str = "timestamp",
                   dayfirst: bool | None = None) -> pd.Series:
    """ISO-8601 strings, else one format for the whole column: each element parsed by the
    same rule, never day-first here and month-first there (``01-05-2015`` and
    ``21-07-2015`` in one column are both day-first)."""
    parsed = pd.to_datetime(series, errors="coerce", utc=True, format="ISO8601")
    bad = parsed.isna().to_numpy()
    if bad.any():
        values = pd.Series(pd.unique(series[bad].astype(str).str.strip()))
        fmt = _one_format(values, name, dayfirst)
        parsed[bad] = pd.to_datetime(series[bad].astype(str).str.strip(), format=fmt,
                                     utc=True)
    return parsed.dt.tz_localize(None)


def _one_format(values: pd.Series, name: str, dayfirst: bool | None = None) -> str:
    """The one format of :data:`DATE_FORMATS` that reads every value, or a DataError that
    says why (none reads them; or day-first and month-first both do)."""
    def reads(fmt: str, part: pd.Series) -> bool:
        return bool(pd.to_datetime(part, format=fmt, errors="coerce").notna().all())

    sample = values.iloc[:500]  # a short list first, then each candidate on every value
    fits = [(fmt, order) for fmt, order in DATE_FORMATS
            if reads(fmt, sample) and reads(fmt, values)]
    if dayfirst is not None and len(fits) > 1:  # the caller's word settles the order
        fits = [fit for fit in fits if fit[1] != ("month first" if dayfirst else "day first")]
    orders = sorted({order for _, order in fits})
    if len(fits) == 1:
        return fits[0][0]
    examples = preview(values.tolist()[:3])
    if not fits:
        raise DataError(
            f"timestamp column {name!r} has values that are not times in any one format "
            f"recsys reads by itself (e.g. {examples}). Say their format "
            f"(date_format='%d/%m/%Y %H:%M'; on the command line --date-format), or "
            f"write ISO dates (2015-07-21 13:05).")
    first = values.iloc[0]
    readings = "; ".join(
        f"{first!r} is {pd.to_datetime(first, format=fmt).date()} read {order} ({fmt})"
        for fmt, order in fits[:2])
    raise DataError(
        f"timestamp column {name!r} is ambiguous: its dates (e.g. {examples}) read as "
        f"{' and as '.join(orders)} ({readings}), and no day above 12 "
        f"tells which. Say the format: date_format={fits[0][0]!r} or dayfirst=True (on the "
        f"command line --date-format {fits[0][0]!r}), or write ISO dates.")

"""Tables from files: delimited text (gz or not), Parquet files and Parquet dataset folders,
JSON; only the columns asked for, and from a Parquet source only the rows asked for.

A shop's export is wide (tens of columns) and long (years of order lines); a job uses four
columns and often only the last months. :func:`read_table` reads what the job uses: a CSV's
other columns are skipped while it is parsed, a Parquet file or a partitioned dataset folder
(``orders/year=2026/month=01/part-0.parquet``...) reads only the used columns' pages and, with
``since=``, only the row groups and partitions that can hold newer rows (the filter is pushed
into the Parquet reader when the time column is stored as a time; a text column is filtered
after parsing by the caller).
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.data.files import reading
from recsys.data.ids import PLAIN_INT
from recsys.exceptions import DataError, InvalidParameterError

__all__ = ["read_table", "text_ids", "DELIMITERS", "is_parquet"]

#: delimiters a text table may use, in the order ties are broken
DELIMITERS = (",", "\t", ";", "|")
_SEP_WORDS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|",
              "space": " "}


def read_table(path: str | os.PathLike, sep: str | None = None, id_columns: Sequence[str] = (),
               *, columns: Sequence[str] | None = None, since: object = None,
               time: str | None = None) -> pd.DataFrame:
    """Read a delimited text table (gz or not), a Parquet file or dataset folder, or JSON.

    Parameters
    ----------
    path : str or path
        The file, or a folder of Parquet files (partitioned ``key=value`` folders read as
        columns).
    sep : str, optional
        The delimiter of a text table: a character, or ``tab``, ``comma``, ``semicolon``,
        ``pipe``, ``space``; by default the header line tells (the most frequent of comma,
        tab, semicolon and pipe; a comma when it holds none).
    id_columns : sequence of str
        Columns read as written (see :func:`text_ids`): ``0010001`` stays ``"0010001"``,
        ``17850`` becomes the int 17850, a 20-digit id stays text.
    columns : sequence of str, optional
        Read only those of these columns the table has (a name it lacks is left to the
        caller's column check, which finds every column of the source in
        ``frame.attrs["source_columns"]``). Default: every column.
    since : date-like, optional
        With ``time``: from a Parquet source whose ``time`` column is stored as a timestamp or
        date, only the rows on or after ``since`` are read (row groups and partitions that
        hold none are skipped). Other sources return every row.
    time : str, optional
        The time column ``since`` applies to.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    DataError
        No such file, or one that cannot be read as a table (named, with the cause).

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "orders.csv")
    >>> _ = open(path, "w").write("customer_id;product_id;note\\n0010;7;x\\n0011;8;y\\n")
    >>> read_table(path, id_columns=["customer_id"], columns=["customer_id", "product_id"])
      customer_id  product_id
    0        0010           7
    1        0011           8
    """
    target = Path(path)
    if not target.exists():
        raise DataError(f"no file at {str(path)!r}.")
    ids = [c for c in id_columns if c]
    wanted = list(dict.fromkeys([*(columns or ()), *ids])) if columns else None
    with reading(path, "a table"):
        if is_parquet(target):
            frame = _read_parquet(target, wanted, since, time)
        else:
            frame = _read_text(target, sep, ids, wanted)
    for column in ids:
        if column in frame.columns and frame[column].dtype.kind not in "iu":
            frame[column] = text_ids(frame[column])
    return frame


def is_parquet(target: Path) -> bool:
    """A Parquet file, or a folder holding Parquet files (a dataset).

    Parameters
    ----------
    target : pathlib.Path

    Returns
    -------
    bool

    Examples
    --------
    >>> from pathlib import Path
    >>> is_parquet(Path("orders.parquet")), is_parquet(Path("orders.csv"))
    (True, False)
    """
    if target.is_dir():
        return any(target.rglob("*.parquet"))
    return target.name.lower().endswith((".parquet", ".pq"))


def text_ids(values):
    """Ids read as text, as the ids they are: ints when every one is a plain integer that
    int64 holds exactly (``17850``), else the text itself (``0010001``, ``P0001``, 20-digit
    numbers), so ids round-trip through files unchanged.

    Parameters
    ----------
    values : pandas.Series

    Returns
    -------
    pandas.Series

    Examples
    --------
    >>> import pandas as pd
    >>> text_ids(pd.Series(["17850", "13047"])).tolist(), text_ids(pd.Series(["0010", "7"])).tolist()
    ([17850, 13047], ['0010', '7'])
    """

    if not (pd.api.types.is_string_dtype(values.dtype) or values.dtype == object):
        return values
    text = values.astype("string")
    if text.isna().any() or not text.str.fullmatch(PLAIN_INT).all():
        return values
    return text.astype("int64")


def _read_parquet(target: Path, wanted: list[str] | None, since: object, time: str | None):
    """A Parquet file or dataset folder: the ``wanted`` columns it has, the rows from
    ``since`` on when its ``time`` column is stored as a time."""
    try:
        import pyarrow as pa  # optional (the parquet extra): only for a Parquet source
        import pyarrow.dataset as ds  # optional, as above
    except ImportError:
        raise DataError(f"reading Parquet ({target.name}) needs pyarrow: python -m pip "
                        f"install pyarrow (or give a CSV).") from None
    dataset = ds.dataset(target, format="parquet", partitioning="hive")
    names = dataset.schema.names
    selected = [c for c in names if c in wanted] if wanted else names
    where = _since_filter(dataset.schema, since, time, pa, ds) if since is not None and time else None
    frame = dataset.to_table(columns=selected, filter=where).to_pandas()
    frame.attrs["source_columns"] = list(names)
    return frame


def _since_filter(schema, since: object, time: str, pa, ds):
    """The Parquet filter ``time >= since`` when ``time`` is stored as a timestamp or date
    (None otherwise: a text or number column is filtered after it is parsed); ``pa``,
    ``ds``: pyarrow and pyarrow.dataset."""
    if time not in schema.names:
        return None
    kind = schema.field(time).type
    edge = pd.Timestamp(np.datetime64(since, "ns") if not isinstance(since, pd.Timestamp)
                        else since)
    if pa.types.is_timestamp(kind):
        if kind.tz is not None and edge.tzinfo is None:
            edge = edge.tz_localize("UTC")
        elif kind.tz is None and edge.tzinfo is not None:
            edge = edge.tz_convert("UTC").tz_localize(None)
        return ds.field(time) >= pa.scalar(edge.to_pydatetime(), type=kind)
    if pa.types.is_date(kind):
        return ds.field(time) >= pa.scalar(edge.date(), type=kind)
    return None


def _read_text(target: Path, sep: str | None, id_columns: list[str],
               wanted: list[str] | None) -> pd.DataFrame:
    as_text = dict.fromkeys(id_columns, str)
    if target.name.lower().endswith(".json"):
        return pd.read_json(target)
    line = _first_line(target)  # read once: it tells the delimiter and names the columns
    delimiter = _SEP_WORDS.get(sep.lower(), sep) if sep else _sniff_delimiter(target, line)
    if len(delimiter) != 1 and delimiter != "::":
        raise InvalidParameterError(f"--sep takes one character, '::' or tab/comma/semicolon/"
                                    f"pipe/space, got {sep!r}.")
    header = _header(line, delimiter)
    usecols = [c for c in header if c in wanted] if wanted else None
    if delimiter == "::":  # MovieLens' .dat files; pandas reads two-character separators slowly
        frame = pd.read_csv(target, sep="::", engine="python", dtype=as_text, usecols=usecols)
    elif usecols is not None and _has_pyarrow():
        # Arrow's reader parses in blocks and keeps only the used columns (a wide export
        # costs what they do), and still refuses lines with more fields than the header,
        # which pandas' own parser drops silently once columns are selected
        frame = pd.read_csv(target, sep=delimiter, dtype=as_text, usecols=usecols,
                            engine="pyarrow")
    else:
        frame = pd.read_csv(target, sep=delimiter, dtype=as_text)
    frame.attrs["source_columns"] = header
    return frame


def _has_pyarrow() -> bool:
    return importlib.util.find_spec("pyarrow") is not None


def _first_line(target: Path) -> str:
    """A text table's header line (gz or not; a byte-order mark dropped, as pandas does)."""
    opener = gzip.open if target.name.lower().endswith(".gz") else open
    with opener(target, "rt", encoding="utf-8-sig", errors="replace") as handle:
        return handle.readline()


def _header(line: str, delimiter: str) -> list[str]:
    """The column names of a text table's header ``line`` (as pandas reads them)."""
    if delimiter == "::":
        return [c.strip() for c in line.rstrip("\r\n").split("::")]
    return pd.read_csv(io.StringIO(line), sep=delimiter, nrows=0).columns.tolist()


def _sniff_delimiter(target: Path, header: str) -> str:
    """The delimiter of the text table ``target``, from its first line ``header``."""
    if target.name.lower().removesuffix(".gz").endswith((".tsv", ".tab")):
        return "\t"
    if "::" in header:
        return "::"
    counts = [header.count(d) for d in DELIMITERS]
    return DELIMITERS[counts.index(max(counts))] if max(counts) else ","

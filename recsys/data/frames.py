"""Frames of any library in, the same kind out.

Every table the library reads (orders, products, assignments, truth) may be a pandas
DataFrame, a polars DataFrame or LazyFrame, a pyarrow Table, or any other frame narwhals
knows (DuckDB relations, Ibis tables, Modin, cuDF...): :func:`as_pandas` narrows a foreign
frame to the columns a call names before anything is converted (a lazy frame reads only
them), and Arrow types survive the trip (timestamps stay timestamps, text stays Arrow text).
Tables the library returns follow the kind of the table they came from (:func:`like`), or
the kind asked for (:func:`to_kind`): a polars user gets polars back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from recsys.exceptions import DataError, InvalidParameterError

__all__ = ["as_pandas", "as_series", "kind_of", "like", "to_kind", "KINDS"]

#: the kinds a returned table can be asked for
KINDS = ("pandas", "polars", "pyarrow")


def as_pandas(frame: object, what: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """``frame`` as a pandas DataFrame: pandas as it is (never copied); any frame narwhals
    knows (polars eager or lazy, pyarrow, DuckDB, Ibis, Modin...) narrowed first to
    ``columns`` when it has them all (a lazy frame reads only them), collected, and converted
    through Arrow with Arrow types kept. Anything else is a DataError naming ``what``, the
    kind received and what to pass.

    Parameters
    ----------
    frame : DataFrame of any kind narwhals knows
    what : str
        What the frame is (named in errors), e.g. ``"orders"``.
    columns : sequence of str, optional
        The columns the caller uses: only they are converted when the frame has them all.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    DataError
        Not a frame, or a kind that needs pyarrow when it is missing.

    Examples
    --------
    >>> as_pandas(pd.DataFrame({"a": [1]}), "orders").shape
    (1, 1)
    >>> import pyarrow as pa
    >>> as_pandas(pa.table({"a": [1], "b": ["x"]}), "orders", ["b"]).columns.tolist()
    ['b']
    """
    if isinstance(frame, pd.DataFrame):
        return frame
    native = _narwhals_frame(frame, what)
    wanted = _present(columns, native.collect_schema().names())
    if wanted:
        native = native.select(wanted)
    if hasattr(native, "collect"):  # a lazy frame: computed here, its used columns only
        native = native.collect()
    try:
        return native.to_arrow().to_pandas(types_mapper=pd.ArrowDtype)
    except ImportError as exc:  # polars converts through pyarrow
        raise DataError(f"{what}: reading a {_kind_name(frame)} needs pyarrow ({exc}); "
                        f"python -m pip install pyarrow, or pass a pandas DataFrame.") from None


def as_series(values: object) -> object:
    """A column of another library (a polars Series, a pyarrow Array or ChunkedArray) as a
    pandas Series with its Arrow type kept; anything else as it is.

    Parameters
    ----------
    values : polars Series, pyarrow Array or ChunkedArray, or anything else

    Returns
    -------
    pandas.Series or the values as given

    Examples
    --------
    >>> import pyarrow as pa
    >>> as_series(pa.array(["a", "b"])).tolist()
    ['a', 'b']
    """
    module = type(values).__module__.split(".")[0]
    if module == "pyarrow" and hasattr(values, "to_pandas"):
        return values.to_pandas(types_mapper=pd.ArrowDtype)
    if module == "polars" and type(values).__name__ == "Series":
        return values.to_frame().to_arrow().column(0).to_pandas(types_mapper=pd.ArrowDtype)
    return values


def kind_of(frame: object) -> str:
    """The kind of table results for ``frame`` come back as: ``"polars"`` for a polars
    DataFrame or LazyFrame, ``"pyarrow"`` for a pyarrow Table, ``"pandas"`` for everything
    else (pandas, and the kinds that have no eager frame of their own).

    Parameters
    ----------
    frame : any

    Returns
    -------
    str
        ``"pandas"``, ``"polars"`` or ``"pyarrow"``.

    Examples
    --------
    >>> kind_of(pd.DataFrame())
    'pandas'
    """
    module = type(frame).__module__.split(".")[0]
    return module if module in ("polars", "pyarrow") else "pandas"


def like(result: pd.DataFrame, original: object) -> Any:
    """``result`` (a pandas frame the library computed) in the kind of ``original`` (the
    table it was computed from): pandas unchanged, polars or pyarrow converted (a named
    index becomes a column first: those kinds have none).

    Parameters
    ----------
    result : pandas.DataFrame
    original : any frame

    Returns
    -------
    pandas.DataFrame, polars.DataFrame or pyarrow.Table

    Examples
    --------
    >>> import pyarrow as pa
    >>> type(like(pd.DataFrame({"a": [1]}), pa.table({"b": [2]}))).__name__
    'Table'
    """
    return to_kind(result, kind_of(original))


def to_kind(result: pd.DataFrame, kind: str | None) -> Any:
    """``result`` as a ``kind`` table (None or ``"pandas"``: unchanged).

    Parameters
    ----------
    result : pandas.DataFrame
    kind : {"pandas", "polars", "pyarrow"} or None

    Returns
    -------
    pandas.DataFrame, polars.DataFrame or pyarrow.Table

    Raises
    ------
    InvalidParameterError
        An unknown kind.
    DataError
        pyarrow is missing for a polars or pyarrow result.

    Examples
    --------
    >>> to_kind(pd.DataFrame({"a": [1]}), "pyarrow").num_rows
    1
    """
    if kind in (None, "pandas"):
        return result
    if kind not in KINDS:
        raise InvalidParameterError(f"kind must be one of {list(KINDS)}, got {kind!r}.")
    nw = _narwhals()
    try:
        import pyarrow as pa  # optional (the parquet extra): the bridge to every other kind
    except ImportError:
        raise DataError(f"a {kind} result needs pyarrow: python -m pip install pyarrow.") \
            from None
    if result.index.name is not None or isinstance(result.index, pd.MultiIndex):
        result = result.reset_index()
    table = pa.Table.from_pandas(result, preserve_index=False)
    return table if kind == "pyarrow" else nw.from_arrow(table, backend=kind).to_native()


def _narwhals_frame(frame: object, what: str):
    """``frame`` wrapped by narwhals, or a DataError saying what a table must be."""
    try:
        return _narwhals().from_native(frame)
    except TypeError:
        raise DataError(
            f"{what} must be a table of rows (a pandas, polars or pyarrow table, or another "
            f"frame narwhals knows), got {_kind_name(frame)}. Build one first, e.g. "
            f"pandas.DataFrame(...).") from None


def _narwhals():
    import narwhals  # measured: 28 ms, paid only by callers of other frame kinds

    return narwhals


def _kind_name(frame: object) -> str:
    return f"{type(frame).__module__.split('.')[0]}.{type(frame).__name__}"


def _present(columns: Sequence[str] | None, names: Sequence[str]) -> list[str] | None:
    """``columns`` (each once) when the frame has them all; None (convert it whole, so that a
    missing column's message lists every column) otherwise."""
    if not columns:
        return None
    wanted = list(dict.fromkeys(columns))
    return wanted if set(wanted) <= set(names) else None

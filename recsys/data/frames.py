"""Frames of other libraries (a pyarrow Table, a polars DataFrame or LazyFrame) as pandas
DataFrames, the one kind the data container reads today; anything else refused by name."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from recsys.exceptions import DataError

__all__ = ["as_pandas"]


def as_pandas(frame: object, what: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """``frame`` as a pandas DataFrame: pandas as it is (never copied), a pyarrow Table or a
    polars DataFrame through its own ``to_pandas`` (ids and text keep their Arrow types), a
    polars LazyFrame collected first. With ``columns``, a foreign frame that has them all is
    narrowed to them before anything is converted (a LazyFrame reads only them): a wide log
    costs what its used columns do. Anything else is a DataError naming ``what``, the kind
    received and what to pass.

    >>> as_pandas(pd.DataFrame({"a": [1]}), "orders").shape
    (1, 1)
    """
    if isinstance(frame, pd.DataFrame):
        return frame
    module = type(frame).__module__.split(".")[0]
    kind = f"{module}.{type(frame).__name__}"
    try:
        if module == "pyarrow" and type(frame).__name__ == "Table":
            wanted = _present(columns, frame.column_names)
            narrowed = frame.select(wanted) if wanted else frame
            return narrowed.to_pandas(types_mapper=pd.ArrowDtype)
        if module == "polars" and type(frame).__name__ in ("DataFrame", "LazyFrame"):
            lazy = type(frame).__name__ == "LazyFrame"
            names = frame.collect_schema().names() if lazy else frame.columns
            wanted = _present(columns, names)
            narrowed = frame.select(wanted) if wanted else frame
            eager = narrowed.collect() if lazy else narrowed
            return eager.to_pandas(use_pyarrow_extension_array=True)
    except ImportError as exc:  # polars converts through pyarrow
        raise DataError(f"{what}: reading a {kind} needs pyarrow ({exc}); python -m pip "
                        f"install pyarrow, or pass a pandas DataFrame.") from None
    raise DataError(
        f"{what} must be a table of rows (a pandas DataFrame, a pyarrow Table or a polars "
        f"DataFrame), got {kind}. Build one first, e.g. pandas.DataFrame(...).")


def _present(columns: Sequence[str] | None, names: Sequence[str]) -> list[str] | None:
    """``columns`` (each once) when the frame has them all; None (convert it whole, so that a
    missing column's message lists every column) otherwise."""
    if not columns:
        return None
    wanted = list(dict.fromkeys(columns))
    return wanted if set(wanted) <= set(names) else None

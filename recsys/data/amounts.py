"""Money amounts (prices, quantities, spend) read the one way everywhere: numbers as they are,
text with its currency signs and separators read by one convention for the whole column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.data.ids import preview
from recsys.exceptions import DataError

__all__ = ["parse_amounts"]

#: what may surround a number written as text: currency signs, letters, spaces
_NOT_NUMBER = r"[^0-9,.\-+]"
#: an amount with a decimal point (commas grouping thousands), and with a decimal comma
_POINT = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|[+-]?\.\d+"
_COMMA = r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d*)?|[+-]?,\d+"


def parse_amounts(column: pd.Series, name: str) -> np.ndarray:
    """``column`` as float64 amounts, or a DataError naming ``name``.

    Numbers are taken as they are. Text (``"12.50"``, ``"£1,234.50"``, ``"12,50 €"``,
    ``"1.234,50"``) is read by one convention for the whole column: a decimal point (commas
    grouping thousands) or a decimal comma (points grouping thousands), the one that reads every
    value; a column that reads both ways with different amounts (only ``"1,234"``-like values)
    is refused as ambiguous, as are missing and unreadable values: never a silent 0.

    Parameters
    ----------
    column : pandas.Series or array-like
        The amounts, as numbers or text.
    name : str
        The column's name, for messages.

    Returns
    -------
    numpy.ndarray of float64
        One amount per value.

    Raises
    ------
    DataError
        On booleans, missing or unreadable values, or text that reads both ways.

    Examples
    --------
    >>> parse_amounts(pd.Series(["12,50 €", "3,00 €"]), "price").tolist()
    [12.5, 3.0]
    >>> parse_amounts(pd.Series(["£1,234.50", "£7"]), "price").tolist()
    [1234.5, 7.0]
    """
    series = column if isinstance(column, pd.Series) else pd.Series(column)
    if pd.api.types.is_bool_dtype(series.dtype):
        raise DataError(f"column {name!r} holds booleans, not amounts.")
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = _parse_text(series, name)
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataError(
            f"column {name!r} has {int(bad.sum())} missing or non-finite amount(s) (first at "
            f"row {int(np.flatnonzero(bad)[0])}); fill or drop those rows.")
    return values


def _parse_text(series: pd.Series, name: str) -> np.ndarray:
    original = series.astype("string").str.strip()
    text = original.str.replace(_NOT_NUMBER, "", regex=True)
    present = (original.fillna("") != "").to_numpy()
    as_point = text.str.fullmatch(_POINT).fillna(False).to_numpy()
    as_comma = text.str.fullmatch(_COMMA).fillna(False).to_numpy()
    unreadable = present & ~as_point & ~as_comma
    if unreadable.any():
        raise DataError(
            f"column {name!r} has {int(unreadable.sum())} value(s) that are not amounts (e.g. "
            f"{preview(series[unreadable].tolist())}). Write amounts as numbers such as 12.50 "
            f"or 12,50.")
    point = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    comma = pd.to_numeric(text.str.replace(".", "", regex=False).str.replace(",", ".",
                                                                            regex=False),
                          errors="coerce")
    reads_point, reads_comma = bool(as_point[present].all()), bool(as_comma[present].all())
    if reads_point and reads_comma and not _same(point, comma):
        differ = (point != comma).fillna(False).to_numpy()
        raise DataError(
            f"column {name!r} is ambiguous: {series[differ].iloc[0]!r} reads as "
            f"{point[differ].iloc[0]:g} with a decimal point and as {comma[differ].iloc[0]:g} "
            f"with a decimal comma, and no value tells which. Convert the column to numbers "
            f"first (e.g. pd.to_numeric(col.str.replace(',', '.')) for decimal commas).")
    if reads_point:
        return point.to_numpy(dtype=np.float64, na_value=np.nan)
    if reads_comma:
        return comma.to_numpy(dtype=np.float64, na_value=np.nan)
    raise DataError(
        f"column {name!r} mixes amounts written with a decimal point and with a decimal comma "
        f"(e.g. {series[present & ~as_point].iloc[0]!r} and {series[present & ~as_comma].iloc[0]!r}"
        f"); write the whole column one way.")


def _same(point: pd.Series, comma: pd.Series) -> bool:
    both = point.notna() & comma.notna()
    return bool((point[both] == comma[both]).all())

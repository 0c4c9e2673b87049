"""Cleaning and describing id values (shared by the data container and the models)."""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
import pandas as pd

from recsys.data.frames import as_series
from recsys.exceptions import DataError

__all__ = ["clean_ids", "preview", "customer_preview", "SHOW_IDS_VARIABLE", "is_scalar_id",
           "as_id_kind", "PLAIN_INT", "match_ids", "as_integers"]

#: an integer as a program writes it: no sign but minus, no leading zero, no separators; text
#: ids that match are the integers they spell (files, the readout), others stay text
PLAIN_INT = r"-?(?:0|[1-9][0-9]{0,17})"


#: the environment variable that lets messages and logs name customer ids ("1"); without it
#: they say how many and that they are hidden: customer ids are personal data
SHOW_IDS_VARIABLE = "RECSYS_SHOW_IDS"


def customer_preview(values: Iterable, n: int = 3) -> str:
    """Customer ids for a message: as :func:`preview` writes them when ``RECSYS_SHOW_IDS=1``,
    else a note that they are hidden (messages end up in logs, tickets and chats).

    Parameters
    ----------
    values : iterable of ids
    n : int, default 3

    Returns
    -------
    str

    Examples
    --------
    >>> customer_preview([17850, 13047]) if not os.environ.get("RECSYS_SHOW_IDS") else ""
    'ids hidden: RECSYS_SHOW_IDS=1 shows them'
    """
    if os.environ.get(SHOW_IDS_VARIABLE) == "1":
        return preview(values, n)
    return f"ids hidden: {SHOW_IDS_VARIABLE}=1 shows them"


def preview(values: Iterable, n: int = 3) -> str:
    """Up to ``n`` values written as a caller would type them: ``'u17', 'u99', 3``.

    Parameters
    ----------
    values : iterable
    n : int, default 3

    Returns
    -------
    str

    Examples
    --------
    >>> preview(["u17", "u99", 3, 4])
    "'u17', 'u99', 3, ..."
    """
    out = []
    for value in values:
        if len(out) == n:
            out.append("...")
            break
        if isinstance(value, np.generic):
            value = value.item()
        out.append(repr(value))
    return ", ".join(out)


def is_scalar_id(value: object) -> bool:
    """True for one id (an int or a string), False for a collection of ids.

    Parameters
    ----------
    value : any

    Returns
    -------
    bool

    Examples
    --------
    >>> is_scalar_id("P1"), is_scalar_id(["P1"])
    (True, False)
    """
    return isinstance(value, (str, bytes, int, np.integer, np.str_)) and not isinstance(
        value, (bool, np.bool_)
    )


def as_id_kind(value: object, kind: str) -> object:
    """An id typed as text (on a command line, in a config file) as the ``kind`` of a model's
    ids: ``"17850"`` -> 17850 for int ids; anything else as it came.

    Parameters
    ----------
    value : any
    kind : {"int", "str"}
        The model's id kind (``model.users_.kind``).

    Returns
    -------
    int, str or the value as it came

    Examples
    --------
    >>> as_id_kind(" 17850", "int"), as_id_kind("P0001", "int"), as_id_kind("7", "str")
    (17850, 'P0001', '7')
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            return text
    return text


def clean_ids(values: object, name: str = "ids") -> np.ndarray:
    """Return ``values`` as an int64 or unicode numpy array, or raise ``DataError``.

    Integral floats (``17850.0``, as spreadsheets write customer numbers) become
    ints. NaN/None, booleans, non-integral floats and a mix of ints and strings
    are refused with a message naming ``name`` and the offending values.

    Parameters
    ----------
    values : list, array, Series (pandas, polars) or Arrow array
    name : str, default "ids"
        What they are (named in errors).

    Returns
    -------
    numpy.ndarray
        int64 or unicode.

    Raises
    ------
    DataError
        Missing ids, booleans, non-integral floats, ints mixed with text, ids beyond int64.

    Examples
    --------
    >>> clean_ids([17850.0, 13047]).tolist(), clean_ids(["P1", "P2"]).dtype.kind
    ([17850, 13047], 'U')
    """
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return _int64(values, name)
    if isinstance(values, np.ndarray) and values.dtype.kind == "U":
        return values
    few = _few_plain_ids(values)
    if few is not None:
        return few
    values = as_series(values)  # a polars Series or an Arrow array: as a pandas Series
    series = values if isinstance(values, pd.Series) else pd.Series(_listify(values))
    if len(series) == 0:
        return np.asarray([], dtype=np.int64)
    missing = series.isna().to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing)
        raise DataError(
            f"{name} has {len(rows)} missing (NaN/None) value(s), first at row(s) "
            f"{preview(rows.tolist())}. Every row needs an id: drop those rows "
            f"(df.dropna(subset=[...])) before building the data."
        )
    if isinstance(series.dtype, (pd.ArrowDtype, pd.CategoricalDtype)):
        series = _plain_values(series)
    dtype = series.dtype
    if dtype.kind == "b" or pd.api.types.is_bool_dtype(dtype):
        raise DataError(
            f"{name} holds booleans; expected int or string ids. Map them to real ids first."
        )
    if dtype.kind in "iu":
        return _int64(series.to_numpy(), name)
    if dtype.kind == "f":
        return _integral_floats(series.to_numpy(dtype=np.float64), name)
    if isinstance(dtype, pd.StringDtype):
        return _text(series, name)
    return _clean_object_ids(series, name)


def _plain_values(series: pd.Series) -> pd.Series:
    """Categorical and pyarrow-backed ids (dictionary-encoded, string, large_string, integer)
    as the plain values they encode: text as pandas strings, numbers as numpy numbers."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return pd.Series(np.asarray(series.cat.categories.take(series.cat.codes.to_numpy())),
                         index=series.index)
    import pyarrow as pa  # an Arrow dtype means pyarrow is there

    kind = series.dtype.pyarrow_dtype
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
        series = series.astype(pd.ArrowDtype(kind))
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return series.astype("string")
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return pd.Series(series.to_numpy(), index=series.index)
    return series


def _int64(values: np.ndarray, name: str) -> np.ndarray:
    """Integer ids as int64; unsigned ids beyond int64 are refused, never wrapped to
    negatives (where two customers could merge)."""
    if values.dtype.kind == "u" and len(values) and values.max() > np.iinfo(np.int64).max:
        big = values[values > np.iinfo(np.int64).max]
        raise DataError(
            f"{name} holds ids above 2**63 ({preview(big.tolist())}), beyond what recsys keeps "
            f"as integers. Read them as text: .astype(str) (pd.read_csv(..., dtype=str)).")
    return values.astype(np.int64, copy=False)


#: floats hold integers exactly only up to 2**53; larger float ids have lost digits
_EXACT_FLOAT = 2.0**53


def _integral_floats(floats: np.ndarray, name: str) -> np.ndarray:
    """Integral floats (``17850.0``, as spreadsheets write customer numbers) as int64."""
    bad = ~np.isfinite(floats) | (floats != np.round(floats))
    if bad.any():
        raise DataError(
            f"{name} holds non-integral numbers ({preview(floats[bad].tolist())}); "
            f"expected int or string ids. Convert the ids (or their column) to int or str first."
        )
    big = np.abs(floats) > _EXACT_FLOAT
    if big.any():
        raise DataError(
            f"{name} holds ids stored as floats above 2**53 ({preview(floats[big].tolist())}); "
            f"floats keep about 16 digits, so such ids have already lost their last digits and "
            f"different ids may read the same. Read the column as text "
            f"(pd.read_csv(..., dtype={{'column': str}})).")
    return floats.astype(np.int64)


#: text ids are held fixed-width (4 bytes a character, every id as long as the longest):
#: refused when that passes this many bytes AND is mostly padding behind a few long ids
ID_TEXT_BUDGET = 256 * 2**20
_PADDING = 8


def _text(series: pd.Series, name: str) -> np.ndarray:
    """String ids as a unicode array, unless a few very long ids would make it huge."""
    lengths = series.str.len().to_numpy()
    longest = int(lengths.max()) if len(lengths) else 0
    fixed = len(series) * longest * 4
    if fixed > ID_TEXT_BUDGET and fixed > _PADDING * 4 * int(lengths.sum()):
        start = str(series.iloc[int(np.argmax(lengths))])[:20]
        raise DataError(
            f"{name} holds an id of {longest:,} characters ({start!r}...) among ids of "
            f"{lengths.mean():.0f} on average; held as text, every id takes the room of the "
            f"longest: {fixed / 2**30:.1f} GiB for {len(series):,} ids. Ids are keys: use "
            f"short ones (a number per customer or product, or a hash of the long text).")
    return series.to_numpy(dtype=str)


#: up to this many ids in a plain list take the fast path (one customer or one cart per call)
_FEW = 64
_PLAIN_STR = {str, np.str_}
_PLAIN_INT = {int, np.int64, np.int32, np.uint32, np.int16, np.uint16, np.int8, np.uint8}


def _few_plain_ids(values: object) -> np.ndarray | None:
    """A scalar or a short list of plain ints or plain strings as an array, without pandas
    (about 50 microseconds saved per serving call); None for anything else."""
    if type(values) in _PLAIN_STR or type(values) in _PLAIN_INT:
        values = [values]
    elif type(values) is not list or not 0 < len(values) <= _FEW:
        return None
    kinds = set(map(type, values))
    if kinds <= _PLAIN_STR:
        return np.array(values, dtype=str)
    if kinds <= _PLAIN_INT:
        try:
            return np.array(values, dtype=np.int64)
        except OverflowError:  # beyond int64: the general path explains
            return None
    return None


def _listify(values: object) -> list | np.ndarray | pd.Index:
    """One id or a collection of ids as a list-like; a one-column DataFrame gives its column
    (iterating a frame would give its column names); anything else is a DataError."""
    if isinstance(values, (np.ndarray, pd.Index, list)):
        return values
    if is_scalar_id(values) or isinstance(values, (float, np.floating)):
        return [values]  # a float id is checked for being integral by the caller
    if isinstance(values, pd.DataFrame):
        if values.shape[1] == 1:
            return values.iloc[:, 0].to_numpy()
        raise DataError(
            f"ids were given as a DataFrame with {values.shape[1]} columns "
            f"({preview(list(values.columns), 5)}); pass one column of ids, e.g. "
            f"df['customer_id'].")
    if values is None or isinstance(values, (dict, bytes)) or not isinstance(values, Iterable):
        raise DataError(
            f"ids must be one id (an int or a string) or a list of ids, got "
            f"{type(values).__name__} {preview([values], 1)}.")
    return list(values)


_INT_TYPES = (int, np.integer)
_STR_TYPES = (str, np.str_)


def _clean_object_ids(series: pd.Series, name: str) -> np.ndarray:
    types = set(map(type, series.tolist()))  # C-speed scan; details only when mixed
    if all(issubclass(t, _STR_TYPES) for t in types):
        return _text(series, name)
    if all(issubclass(t, _INT_TYPES) and not issubclass(t, (bool, np.bool_)) for t in types):
        return _object_ints(series, name)
    kinds = series.map(_id_kind)
    found = set(kinds.unique())
    if found == {"int"}:  # ints and integral floats
        return _object_ints(series, name)
    if found <= {"int", "str"}:
        first_int = series[kinds == "int"].iloc[0]
        first_str = series[kinds == "str"].iloc[0]
        raise DataError(
            f"{name} mixes int and string ids (for example {first_int!r} and {first_str!r}). "
            f"Ids must all be ints or all strings: convert with .astype(str)."
        )
    other = series[~kinds.isin(["int", "str"])]
    raise DataError(
        f"{name} holds values that are neither ints nor strings "
        f"({preview(other.tolist())} of type {type(other.iloc[0]).__name__}). "
        f"Convert the ids to int or str first."
    )


def _object_ints(series: pd.Series, name: str) -> np.ndarray:
    """Python ints (and integral floats) held as objects, as int64; beyond int64 refused."""
    if any(isinstance(v, float) for v in series.tolist()):
        return _integral_floats(series.to_numpy(dtype=np.float64), name)
    try:
        return series.to_numpy(dtype=np.int64)
    except OverflowError:
        raise DataError(
            f"{name} holds ids beyond 64-bit integers (e.g. {max(series.tolist())}). "
            f"Read them as text: .astype(str) (pd.read_csv(..., dtype=str)).") from None


def _id_kind(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "other"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (str, np.str_)):
        return "str"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return "int"
    return "other"


def match_ids(known: np.ndarray, ids: np.ndarray, known_what: str = "the assignments' customer ids",
              ids_what: str = "the orders' customer ids") -> np.ndarray:
    """Position of each of ``ids`` in ``known`` (-1 when absent). Int and text ids are matched
    by the id maps' rule: a text id that is a plain integer (``"17850"``) is that integer; a
    text id that is not (``"0010"``, ``"C17"``) cannot be matched to integer ids, and is
    refused rather than silently dropped (``known_what``/``ids_what`` name the two sides).

    Parameters
    ----------
    known, ids : numpy.ndarray
    known_what, ids_what : str
        What each side is (named in errors).

    Returns
    -------
    numpy.ndarray of int64
        For each of ``ids``, its position in ``known``, or -1.

    Raises
    ------
    DataError
        Text ids that spell no integer against integer ids.

    Examples
    --------
    >>> match_ids(np.array([10, 20]), np.array(["20", "30"])).tolist()
    [1, -1]
    """
    if len(known) == 0 or len(ids) == 0:  # nothing to match (an empty list has no id type)
        return np.full(len(ids), -1, np.int64)
    if known.dtype.kind != ids.dtype.kind:
        known, ids = (as_integers(known, known_what), ids) if known.dtype.kind == "U" else (
            known, as_integers(ids, ids_what))
    return pd.Index(known).get_indexer(ids)


def as_integers(text: np.ndarray, what: str) -> np.ndarray:
    """Text ids as the integers they spell, when every one is a plain integer; else a
    DataError naming how many are not (customer ids themselves only with RECSYS_SHOW_IDS=1).

    Parameters
    ----------
    text : numpy.ndarray of str
    what : str
        What the ids are (named in the error).

    Returns
    -------
    numpy.ndarray of int64

    Raises
    ------
    DataError
        An id that is no plain integer (``"0010"``, ``"C17"``).

    Examples
    --------
    >>> as_integers(np.array(["17850", "7"]), "ids").tolist()
    [17850, 7]
    """
    values = pd.Series(text, dtype="string")
    plain = values.str.fullmatch(PLAIN_INT).fillna(False).to_numpy()
    if not plain.all():
        raise DataError(
            f"{what} are text and the other side's are integers, and "
            f"{int((~plain).sum()):,} of them are no plain integer (e.g. "
            f"{customer_preview(values[~plain].unique()[:3].tolist())}): '0010' and 10 may or "
            f"may not be "
            f"the same customer. Read both files' ids the same way (as text: "
            f"pd.read_csv(..., dtype={{'customer_id': str}}) for both).")
    return values.astype("int64").to_numpy()

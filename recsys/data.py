"""The data container: id maps and interactions.

:class:`IdMap` turns external ids (ints or strings) into dense int32 indices and
back. :class:`Interactions` holds who bought (rated, clicked) what, in which
basket, when and how much, as read-only index arrays over shared id maps.
:class:`~recsys.features.ItemFeatures` (text and attributes of items) lives in
:mod:`recsys.features` and is re-exported here.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._arrays import dense_codes, locate, unique
from ._frames import as_pandas
from ._ids import clean_ids, is_scalar_id, preview
from ._time import DAY_NS
from .exceptions import DataError, DataWarning, InvalidParameterError, UnknownIdError
from .features import ItemFeatures

__all__ = ["IdMap", "Interactions", "ItemFeatures"]

Missing = Literal["raise", "skip", "mask"]


class IdMap:
    """Sorted unique external ids <-> int32 indices.

    Parameters
    ----------
    ids : iterable of int or str
        External ids; duplicates are dropped and the rest sorted, so the same set
        of ids always gives the same indices. All ints or all strings.
    name : str
        What the ids are, used in error messages (``"user_id"``).

    Examples
    --------
    >>> m = IdMap(["b", "a", "c", "a"])
    >>> len(m), m.kind
    (3, 'str')
    >>> m.to_index(["c", "a"]).tolist()
    [2, 0]
    >>> m.to_ids([1]).tolist()
    ['b']
    """

    __slots__ = ("_ids", "_lookup", "name")

    def __init__(self, ids: Iterable = (), *, name: str = "ids") -> None:
        values = clean_ids(ids, name)
        values = unique(values)
        if len(values) > np.iinfo(np.int32).max:
            raise DataError(f"{name} has more than 2**31 distinct ids; not supported.")
        values.setflags(write=False)
        self._ids = values
        self._lookup: pd.Index | None = None
        self.name = name

    @classmethod
    def from_sorted(cls, ids: np.ndarray, name: str = "ids") -> IdMap:
        """Wrap ids already sorted and unique (read from a file, or made so by the caller):
        no sort, only a check, which refuses anything else with :class:`DataError`.

        >>> IdMap.from_sorted(np.array([3, 7, 9])).to_index([9]).tolist()
        [2]
        """
        self = cls.__new__(cls)
        ids = np.asarray(ids)
        if ids.dtype.kind not in "iuU":
            raise DataError(f"{name}: expected int or string ids, got dtype {ids.dtype}.")
        if ids.dtype.kind in "iu":
            ids = ids.astype(np.int64, copy=False)
        if ids.ndim != 1 or (len(ids) > 1 and not (ids[1:] > ids[:-1]).all()):
            # look-ups binary-search the ids: a map read from a file must really be sorted
            raise DataError(f"{name}: expected sorted, unique ids in one dimension (a damaged "
                            f"or altered model file?).")
        ids.setflags(write=False)
        self._ids = ids
        self._lookup = None
        self.name = name
        return self

    @property
    def ids(self) -> np.ndarray:
        """The external ids in index order (read-only int64 or unicode array)."""
        return self._ids

    @property
    def kind(self) -> str:
        """``"int"`` or ``"str"``."""
        return "str" if self._ids.dtype.kind == "U" else "int"

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator:
        return iter(self._ids.tolist())

    def __contains__(self, value: object) -> bool:
        if not is_scalar_id(value):
            return False
        return bool(self._index().get_indexer([value])[0] >= 0)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IdMap):
            return NotImplemented
        return self._ids.dtype.kind == other._ids.dtype.kind and np.array_equal(
            self._ids, other._ids
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"IdMap({len(self)} {self.kind} ids: {preview(self._ids[:3].tolist())})"

    def _index(self) -> pd.Index:
        if self._lookup is None:
            self._lookup = pd.Index(self._ids, copy=False)
        return self._lookup

    def to_index(
        self, ids: object, missing: Missing = "raise", kind: str | None = None
    ) -> np.ndarray:
        """Indices of ``ids``.

        Parameters
        ----------
        ids : id or sequence of ids
        missing : {"raise", "skip", "mask"}
            Unknown ids raise :class:`UnknownIdError` (``"raise"``), are dropped
            (``"skip"``) or get index -1 (``"mask"``).
        kind : str, optional
            Word used for the ids in messages; defaults to the map's name.

        Returns
        -------
        numpy.ndarray of int32
        """
        if missing not in ("raise", "skip", "mask"):
            raise InvalidParameterError(
                f"missing must be 'raise', 'skip' or 'mask', got {missing!r}."
            )
        kind = kind or self.name
        values = clean_ids(ids, kind)
        if len(values) == 0:
            return np.empty(0, dtype=np.int32)
        if len(self._ids) and values.dtype.kind != self._ids.dtype.kind:
            found = np.full(len(values), -1, dtype=np.int64)
        elif len(values) <= _FEW_LOOKUPS and len(self._ids):
            # a binary search in the sorted ids beats building the hash index for a few ids
            position, known = locate(self._ids, values)
            found = np.where(known, position, -1)
        else:
            found = self._index().get_indexer(values)
        unknown = found < 0
        if unknown.any():
            if missing == "raise":
                raise UnknownIdError(_unknown_message(values[unknown], len(values), kind, self),
                                     ids=values[unknown].tolist(), kind=kind)
            if missing == "skip":
                found = found[~unknown]
        return found.astype(np.int32)

    def to_ids(self, index: object) -> np.ndarray:
        """External ids at ``index`` (an int array; -1 is not allowed)."""
        index = np.asarray(index, dtype=np.int64)
        if index.size and (index.min() < 0 or index.max() >= len(self._ids)):
            raise DataError(
                f"{self.name}: index out of range 0..{len(self._ids) - 1} "
                f"(got {index.min()}..{index.max()})."
            )
        return self._ids[index]


#: up to this many ids, ``to_index`` searches the sorted ids instead of a hash index
_FEW_LOOKUPS = 64


def _unknown_message(unknown: np.ndarray, total: int, kind: str, idmap: IdMap) -> str:
    hint = ""
    if len(idmap) and unknown.dtype.kind != idmap.ids.dtype.kind:
        hint = f" The known {kind}s are {idmap.kind}s; convert the query ids to {idmap.kind}."
    return (
        f"{len(unknown)} of {total} {kind} id(s) are unknown "
        f"(first: {preview(unknown.tolist())}).{hint}"
    )


class Interactions:
    """Who interacted with what: users, items, baskets, weights and timestamps.

    Build it with :meth:`from_frame` (an order log) or :meth:`from_baskets`
    (market baskets with no users). The arrays are read-only and the id maps are
    shared by everything derived from it (:meth:`select`, the splits), so train
    and test data speak the same indices.

    Attributes
    ----------
    users, items : IdMap
        Id maps (``users`` is ``None`` for basket-only data).
    baskets : IdMap or None
        Basket (order, invoice) ids, when given.
    user_index, item_index, basket_index : numpy.ndarray of int32
    weights : numpy.ndarray of float32
    timestamps : numpy.ndarray of datetime64[ns] or None

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"user_id": [1, 1, 2], "item_id": ["tea", "mug", "tea"]})
    >>> data = Interactions.from_frame(orders)
    >>> data
    Interactions(3 rows, 2 users, 2 items)
    >>> data.matrix("user").toarray()
    array([[1., 1.],
           [0., 1.]], dtype=float32)
    """

    def __init__(
        self,
        *,
        item_index: np.ndarray,
        items: IdMap,
        user_index: np.ndarray | None = None,
        users: IdMap | None = None,
        weights: np.ndarray | None = None,
        timestamps: np.ndarray | None = None,
        basket_index: np.ndarray | None = None,
        baskets: IdMap | None = None,
    ) -> None:
        n = len(item_index)
        self.items = items
        self.users = users
        self.baskets = baskets
        self.item_index = _frozen(item_index, np.int32)
        self.user_index = None if user_index is None else _frozen(user_index, np.int32)
        self.basket_index = None if basket_index is None else _frozen(basket_index, np.int32)
        self.weights = _frozen(np.ones(n, np.float32) if weights is None else weights, np.float32)
        self.timestamps = (
            None if timestamps is None else _frozen(timestamps, np.dtype("datetime64[ns]"))
        )
        for label, arr in (("user", self.user_index), ("basket", self.basket_index),
                           ("weight", self.weights), ("timestamp", self.timestamps)):
            if arr is not None and len(arr) != n:
                raise DataError(f"{label} array has {len(arr)} rows, items have {n}.")
        self._cache: dict[str, sp.csr_matrix] = {}

    # ------------------------------------------------------------------ building
    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        user: str | None = "user_id",
        item: str = "item_id",
        weight: str | None = None,
        timestamp: str | None = None,
        basket: str | Sequence[str] | None = None,
        users: IdMap | Iterable | None = None,
        items: IdMap | Iterable | None = None,
        date_format: str | None = None,
        dayfirst: bool | None = None,
        time_unit: str | None = None,
    ) -> Interactions:
        """Build from a long DataFrame, one row an interaction.

        Parameters
        ----------
        df : pandas.DataFrame
            Never modified.
        user, item : str
            Column names of the user and item ids (int or str). ``user=None`` for
            data with no users (then ``basket`` is required).
        weight : str, optional
            Column of non-negative finite weights (quantity, rating); default 1.
        timestamp : str, optional
            Column of times: datetime64, pandas Timestamps, ISO strings, or epoch
            numbers (seconds, or ms/us/ns, told apart by magnitude).
        basket : str or list of str, optional
            Column of basket (order, invoice) ids, or several columns whose combination is
            the basket, e.g. ``["member", "date"]`` for "one member on one day" (the
            baskets then get integer ids, numbering the combinations in sorted order).
        users, items : IdMap or iterable of ids, optional
            The id universe, e.g. the whole catalogue including items with no
            interactions. Every id in the frame must be in it.
        date_format : str, optional
            The ``strftime`` format of the timestamp strings (``"%d/%m/%Y"``); default: ISO
            dates, or the one other common format that reads every value (see
            :func:`parse_timestamps`; ambiguous day/month orders are refused).
        dayfirst : bool, optional
            Without ``date_format``: read ambiguous dates day-first (``True``) or
            month-first (``False``) instead of refusing them.
        time_unit : {"s", "ms", "us", "ns", "D"}, optional
            The unit of a numeric timestamp column (``"D"``: days since 1970-01-01); by
            default told by magnitude, and numbers that would read as times before 1980
            (sequence numbers, ``20240131``) are refused (see :func:`parse_timestamps`).
            Dates written as integers (``20240131``) read with ``date_format="%Y%m%d"``.

        Returns
        -------
        Interactions
        """
        df = as_pandas(df, "Interactions.from_frame")
        if user is None and basket is None:
            raise DataError("Interactions.from_frame needs a user column, a basket column or both.")
        basket_cols = _basket_columns(basket)
        wanted = [c for c in (user, item, weight, timestamp) if c is not None] + basket_cols
        absent = [c for c in wanted if c not in df.columns]
        if absent:
            raise DataError(
                f"column(s) {preview(absent)} not in the frame; it has "
                f"{preview(list(df.columns), 10)}. Pass the right names, e.g. "
                f"from_frame(df, user='customer_id', item='product_id')."
            )
        twice = sorted({c for c in wanted if (df.columns == c).sum() > 1})
        if twice:
            raise DataError(
                f"column(s) {preview(twice)} appear more than once in the frame, so which one "
                f"holds the ids is unclear. Rename or drop the copies first "
                f"(df.loc[:, ~df.columns.duplicated()]).")
        if len(df) == 0:
            raise DataError("the interactions frame is empty (0 rows); there is nothing to learn from.")
        item_map, item_index = _encode(df[item], items, item)
        user_map = user_index = None
        if user is not None:
            user_map, user_index = _encode(df[user], users, user)
        basket_map = basket_index = None
        if basket_cols:
            basket_map, basket_index = _encode(basket_keys(df, basket_cols), None,
                                               " + ".join(basket_cols))
        weights = None if weight is None else _check_weights(df[weight], weight)
        times = None if timestamp is None else parse_timestamps(df[timestamp], timestamp,
                                                                 date_format, dayfirst,
                                                                 time_unit)
        data = cls(item_index=item_index, items=item_map, user_index=user_index,
                   users=user_map, weights=weights, timestamps=times,
                   basket_index=basket_index, baskets=basket_map)
        _warn_one_basket_each(data, user, basket_cols)
        return data

    @classmethod
    def from_baskets(
        cls, baskets: Sequence[Iterable], items: IdMap | Iterable | None = None
    ) -> Interactions:
        """Build basket-only data (no users) from a list of baskets of item ids.

        Examples
        --------
        >>> data = Interactions.from_baskets([["bread", "milk"], ["bread"], ["milk", "eggs"]])
        >>> data.n_baskets, data.n_items
        (3, 3)
        """
        if is_scalar_id(baskets) or isinstance(baskets, pd.DataFrame):
            raise DataError("from_baskets expects a list of baskets (lists of item ids).")
        baskets = list(baskets)
        if not baskets:
            raise DataError("from_baskets got no baskets; there is nothing to learn from.")
        if not set(map(type, baskets)) <= {list, tuple}:  # lists of lists need no look
            if any(is_scalar_id(b) for b in baskets):
                raise DataError(
                    "from_baskets expects a list of baskets, each a list of item ids; "
                    "got a flat list. Wrap it: from_baskets([items])."
                )
            baskets = [_basket(b, i) for i, b in enumerate(baskets)]
        sizes = np.fromiter(map(len, baskets), dtype=np.int64, count=len(baskets))
        flat = list(chain.from_iterable(baskets))
        if not flat:
            raise DataError("every basket is empty; there is nothing to learn from.")
        basket_index = np.repeat(np.arange(len(baskets), dtype=np.int32), sizes)
        whole = np.array(flat) if items is None else None
        if whole is not None and whole.dtype.kind == "i" and whole.ndim == 1:
            # integer ids (FIMI-style): codes from a presence table, no object column
            uniq, item_index = dense_codes(whole.astype(np.int64, copy=False))
            item_map = IdMap.from_sorted(uniq, "item_id")
        else:
            values = clean_ids(pd.Series(flat, dtype=object), "basket items")
            item_map, item_index = _encode(values, items, "item_id")
        return cls(item_index=item_index, items=item_map, basket_index=basket_index,
                   baskets=IdMap.from_sorted(np.arange(len(baskets)), "basket_id"))

    # ------------------------------------------------------------------ views
    def __len__(self) -> int:
        return len(self.item_index)

    def __repr__(self) -> str:
        parts = [f"{len(self)} rows"]
        if self.users is not None:
            parts.append(f"{self.n_users} users")
        parts.append(f"{self.n_items} items")
        if self.baskets is not None:
            parts.append(f"{self.n_baskets} baskets")
        return f"Interactions({', '.join(parts)})"

    @property
    def n_users(self) -> int:
        return 0 if self.users is None else len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_baskets(self) -> int:
        return 0 if self.baskets is None else len(self.baskets)

    def matrix(self, kind: Literal["user", "basket"] = "user") -> sp.csr_matrix:
        """A sparse matrix over all ids in the maps (cached; do not modify).

        ``"user"``: users x items, float32, weights of duplicate rows summed.
        ``"basket"``: baskets x items, binary (1.0 where the item is in the basket).
        """
        if kind not in ("user", "basket"):
            raise InvalidParameterError(f"matrix kind must be 'user' or 'basket', got {kind!r}.")
        if kind not in self._cache:
            if kind == "user":
                if self.user_index is None:
                    raise DataError(
                        "these interactions have no users (basket data); use matrix('basket')."
                    )
                rows, n_rows, values = self.user_index, self.n_users, self.weights
            else:
                if self.basket_index is None:
                    raise DataError(
                        "these interactions have no basket column; pass basket= to "
                        "from_frame, or use matrix('user')."
                    )
                rows, n_rows, values = self.basket_index, self.n_baskets, None
            self._cache[kind] = _csr(rows, self.item_index, values, (n_rows, self.n_items))
        return self._cache[kind]

    def select(self, mask: np.ndarray) -> Interactions:
        """The rows where ``mask`` is true (or at the given positions), same id maps."""
        mask = _row_selection(mask, len(self))

        def take(arr: np.ndarray | None) -> np.ndarray | None:
            return None if arr is None else arr[mask]

        return Interactions(item_index=self.item_index[mask], items=self.items,
                            user_index=take(self.user_index), users=self.users,
                            weights=self.weights[mask], timestamps=take(self.timestamps),
                            basket_index=take(self.basket_index), baskets=self.baskets)

    def to_frame(self) -> pd.DataFrame:
        """The rows with external ids: ``user_id``, ``item_id``, ``weight``,
        ``timestamp`` and ``basket_id`` (the last two when present)."""
        cols: dict[str, object] = {}
        if self.user_index is not None:
            cols["user_id"] = self.users.to_ids(self.user_index)  # type: ignore[union-attr]
        cols["item_id"] = self.items.to_ids(self.item_index)
        cols["weight"] = self.weights.copy()
        if self.timestamps is not None:
            cols["timestamp"] = self.timestamps.copy()
        if self.basket_index is not None:
            cols["basket_id"] = self.baskets.to_ids(self.basket_index)  # type: ignore[union-attr]
        return pd.DataFrame(cols)


# ---------------------------------------------------------------------- helpers
#: from this many orders on, a log where every customer has exactly one is worth a word
ONE_ORDER_EACH_FROM = 100


def _warn_one_basket_each(data: Interactions, user: str | None, basket: list[str]) -> None:
    """Warn when every customer id has exactly one order: a marketplace's per-order customer
    id (the person is another id, in the customers table) looks just like this, and personal
    models then learn nothing about anyone."""
    if data.user_index is None or data.basket_index is None:
        return
    n_baskets = data.n_baskets
    if n_baskets < ONE_ORDER_EACH_FROM or data.n_users != n_baskets:
        return
    pairs = unique(data.user_index.astype(np.int64) * n_baskets + data.basket_index)
    if len(pairs) == n_baskets:  # each customer id in one order, each order one customer
        warnings.warn(
            f"every one of the {data.n_users:,} customer ids in {user!r} has exactly one order "
            f"({' + '.join(basket)}). If the id changes with every order (some marketplaces "
            f"export a per-order customer id), join the customers table to get each person's "
            f"id first; as it is, personal picks equal a cart's or popularity.",
            DataWarning, stacklevel=3)


def _row_selection(mask: object, n: int) -> np.ndarray:
    """A boolean mask of ``n`` entries, or row positions in ``0..n-1`` (each of
    :meth:`Interactions.select`'s two forms), else a DataError saying which rule broke."""
    values = np.asarray(mask)
    if values.dtype == bool:
        if values.shape != (n,):
            raise DataError(f"select: the mask has shape {values.shape}; the interactions have "
                            f"{n} rows, so a mask needs exactly {n} True/False entries.")
        return values
    if values.ndim != 1 or (values.size and values.dtype.kind not in "iu"):
        raise DataError(f"select takes a boolean mask or integer row positions, got "
                        f"{values.dtype} values of shape {values.shape}.")
    if values.size and (values.min() < 0 or values.max() >= n):
        bad = values[(values < 0) | (values >= n)]
        raise DataError(f"select: row position(s) {preview(bad.tolist())} are outside "
                        f"0..{n - 1} (the interactions have {n} rows).")
    return values.astype(np.int64, copy=False)


def _basket(basket: object, position: int) -> Sequence:
    """One basket of :meth:`Interactions.from_baskets` as a sized sequence (lists, tuples and
    arrays as they are; sets, generators and other iterables read once)."""
    if isinstance(basket, (list, tuple, np.ndarray, pd.Series, pd.Index)):
        return basket
    if isinstance(basket, (str, bytes, Mapping)) or not isinstance(basket, Iterable):
        raise DataError(
            f"from_baskets: basket {position} is {basket!r} ({type(basket).__name__}); each "
            f"basket is a list of item ids, e.g. [['bread', 'milk'], ['eggs']].")
    return list(basket)


def _frozen(values: np.ndarray, dtype: np.dtype | type) -> np.ndarray:
    """A read-only array of ``dtype``; a writeable input is copied, never frozen in place."""
    arr = np.asarray(values, dtype=dtype)
    if not arr.flags.writeable:
        return arr
    if isinstance(values, np.ndarray) and np.shares_memory(arr, values):
        arr = arr.copy()  # the caller's array: never freeze it in place
    arr.setflags(write=False)
    return arr


def _csr(rows: np.ndarray, cols: np.ndarray, values: np.ndarray | None,
         shape: tuple[int, int]) -> sp.csr_matrix:
    data = np.ones(len(rows), np.float32) if values is None else values
    mat = sp.csr_matrix((data, (rows, cols)), shape=shape, dtype=np.float32)
    mat.sum_duplicates()
    if values is None:
        mat.data[:] = 1.0
    mat.eliminate_zeros()
    return mat


def _basket_columns(basket: object) -> list[str]:
    """``basket=`` as a list of column names (one, several, or none)."""
    if basket is None:
        return []
    if isinstance(basket, str):
        return [basket]
    if isinstance(basket, (list, tuple)) and basket and all(isinstance(c, str) for c in basket):
        return list(basket)
    raise DataError(f"basket must be a column name or a list of column names (e.g. "
                    f"['member', 'date']), got {basket!r}.")


def basket_keys(df: pd.DataFrame, columns: list[str]) -> pd.Series:
    """One basket id per row: the column itself, or the number of the row's combination of
    ``columns`` (sorted order; a missing value in any of them is an error, as for one)."""
    if len(columns) == 1:
        return df[columns[0]]
    missing = df[columns].isna().any(axis=1).to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing)
        raise DataError(f"basket columns {columns} have missing values in {len(rows)} row(s), "
                        f"first at row(s) {preview(rows.tolist())}. Fill or drop them.")
    return df.groupby(columns, sort=True).ngroup().astype(np.int64)


def _encode(column: pd.Series | np.ndarray, universe: IdMap | Iterable | None,
            name: str) -> tuple[IdMap, np.ndarray]:
    label = f"column {name!r}"
    series = column if isinstance(column, pd.Series) else pd.Series(column)
    if series.hasnans:
        clean_ids(series, label)  # raises, naming the rows without an id
    # hash-factorise the raw column, then clean and sort only the distinct ids: faster than
    # np.unique on all rows, and text ids are never held fixed-width row by row
    codes, uniques = pd.factorize(series)
    values = clean_ids(pd.Series(uniques), label)
    if universe is None:
        order = np.argsort(values, kind="stable")
        rank = np.empty(len(order), np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        return IdMap.from_sorted(values[order], name), rank[codes]
    idmap = universe if isinstance(universe, IdMap) else IdMap(universe, name=name)
    found = idmap.to_index(values, missing="mask", kind=name)[codes]
    if (found < 0).any():
        bad = unique(values[codes[found < 0]])
        raise DataError(
            f"column {name!r} has {len(bad)} id(s) not in the given id universe "
            f"(first: {preview(bad.tolist())}). Build the universe from all ids, "
            f"or filter those rows first."
        )
    return idmap, found


def _check_weights(column: pd.Series, name: str) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        raise DataError(
            f"weight column {name!r} must be numeric, got dtype {column.dtype}. "
            f"Convert it with pd.to_numeric first."
        )
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataError(
            f"weight column {name!r} has {bad.sum()} missing or infinite value(s) "
            f"(first at row {np.flatnonzero(bad)[0]}). Fill or drop them."
        )
    negative = values < 0
    if negative.any():
        raise DataError(
            f"weight column {name!r} has {negative.sum()} negative value(s) "
            f"(first: {preview(values[negative].tolist())}); weights must be >= 0. "
            f"Drop returns/cancellations, or clip at 0."
        )
    huge = values > np.finfo(np.float32).max
    if huge.any():
        raise DataError(
            f"weight column {name!r} has {huge.sum()} value(s) above 3.4e38, the largest weight "
            f"recsys holds (first: {preview(values[huge].tolist())}). Scale the column down "
            f"(e.g. np.log1p) first.")
    return values.astype(np.float32)


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
        raise DataError(
            f"{name} must be a date such as '2011-12-09' (or '2011-12-09 13:00'), got "
            f"{value!r} (on the command line: --as-of 2011-12-09).") from None


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

"""The data container: :class:`Interactions` holds who bought (rated, clicked) what, in
which basket, when and how much, as read-only index arrays over shared id maps
(:class:`~recsys.data.idmap.IdMap`, in :mod:`recsys.data.idmap`); timestamps are parsed by
:mod:`recsys.data.dates`, product features live in :mod:`recsys.data.features`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys._engine.arrays import dense_codes, unique
from recsys.data.dates import parse_timestamps
from recsys.data.events import code_events
from recsys.data.features import ItemFeatures
from recsys.data.frames import as_pandas
from recsys.data.idmap import IdMap
from recsys.data.ids import clean_ids, is_scalar_id, preview
from recsys.data.pseudonyms import pseudonyms_of
from recsys.exceptions import DataError, DataWarning, InvalidParameterError

__all__ = ["IdMap", "Interactions", "ItemFeatures"]

class Interactions:
    """Who interacted with what: users, items, baskets, weights and timestamps.

    Build it with :meth:`from_frame` (an order log) or :meth:`from_baskets`
    (market baskets with no users). The arrays are read-only and the id maps are
    shared by everything derived from it (:meth:`select`, the splits), so train
    and test data speak the same indices.

    Parameters
    ----------
    item_index : numpy.ndarray of int
        Each row's item, an index into ``items``.
    items : IdMap
        The item ids.
    user_index, users : numpy.ndarray of int and IdMap, optional
        Each row's user and the user ids (None for basket-only data).
    weights : numpy.ndarray of float, optional
        Each row's weight (default 1).
    timestamps : numpy.ndarray of datetime64, optional
        Each row's time.
    basket_index, baskets : numpy.ndarray of int and IdMap, optional
        Each row's basket (order) and the basket ids.
    event_index, events : numpy.ndarray of int and tuple of str, optional
        Each row's event kind, a code into ``events`` (the shop's kind names).

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
        event_index: np.ndarray | None = None,
        events: tuple[str, ...] | None = None,
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
        #: each row's event kind, a code into ``events`` (the shop's kind names); None for a
        #: log of one kind (purchases)
        self.event_index = None if event_index is None else _frozen(event_index, np.int8)
        self.events = None if events is None else tuple(events)
        if (self.event_index is None) != (self.events is None):
            raise DataError("event_index and events go together: give both or neither.")
        for label, arr in (("user", self.user_index), ("basket", self.basket_index),
                           ("weight", self.weights), ("timestamp", self.timestamps),
                           ("event", self.event_index)):
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
        pseudonymize: str | bytes | None = None,
        event: str | None = None,
        event_weights: Mapping[str, float] | None = None,
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
        pseudonymize : str or bytes, optional
            The shop's secret key: the customer ids are replaced by their keyed hashes
            (:func:`recsys.privacy.pseudonymize`) before anything else, so models, picks and
            files hold pseudonyms only (``users=``, when given, is pseudonymised alike).
        event : str, optional
            Column of event kinds (``"view"``, ``"cart"``, ``"purchase"``: the shop's own
            names), kept per row as a small code (:attr:`events`, :attr:`event_index`).
        event_weights : dict, optional
            The weight of each kind (``{"view": 1, "cart": 4, "purchase": 10}``), needed with
            ``event``: a row weighs its own weight (``weight=``, else 1) times its kind's, and
            a customer x product cell is the sum of its rows (see :mod:`recsys.data.events`).
            A kind with no weight, or a negative one, is refused.

        Returns
        -------
        Interactions
        """
        if user is None and basket is None:
            raise DataError("Interactions.from_frame needs a user column, a basket column or both.")
        basket_cols = _basket_columns(basket)
        wanted = [c for c in (user, item, weight, timestamp, event) if c is not None] + basket_cols
        df = as_pandas(df, "Interactions.from_frame", wanted)
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
            ids, universe = df[user], users
            if pseudonymize is not None:
                ids = pd.Series(pseudonyms_of(ids, pseudonymize), index=df.index, name=user)
                universe = None if users is None else pseudonyms_of(
                    users.ids if isinstance(users, IdMap) else users, pseudonymize)
            user_map, user_index = _encode(ids, universe, user)
            user_map.pseudonymous = pseudonymize is not None
        basket_map = basket_index = None
        if basket_cols:
            basket_map, basket_index = _encode(basket_keys(df, basket_cols), None,
                                               " + ".join(basket_cols))
        weights = None if weight is None else _check_weights(df[weight], weight)
        event_index = kinds = None
        if event is not None:
            event_index, kinds, by_kind = code_events(df[event], event_weights, event)
            weights = by_kind if weights is None else weights * by_kind
        elif event_weights is not None:
            raise InvalidParameterError("event_weights weigh the kinds of an event column: pass "
                                        "event='<column>' too (--event-col on the command line).",
                                        param="event_weights")
        times = None if timestamp is None else parse_timestamps(df[timestamp], timestamp,
                                                                 date_format, dayfirst,
                                                                 time_unit)
        data = cls(item_index=item_index, items=item_map, user_index=user_index,
                   users=user_map, weights=weights, timestamps=times,
                   basket_index=basket_index, baskets=basket_map, event_index=event_index,
                   events=kinds)
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

    def select(self, mask: np.ndarray | None = None, *,
               event: str | Sequence[str] | None = None) -> Interactions:
        """The rows where ``mask`` is true (or at the given positions), and of the ``event``
        kinds when given (``select(event="purchase")``), same id maps.

        >>> log = pd.DataFrame({"user_id": [1, 1, 2], "item_id": ["a", "b", "a"],
        ...                     "kind": ["view", "purchase", "view"]})
        >>> data = Interactions.from_frame(log, event="kind",
        ...                                event_weights={"view": 1, "purchase": 10})
        >>> len(data.select(event="purchase")), data.matrix("user").toarray().tolist()
        (1, [[1.0, 10.0], [1.0, 0.0]])
        """
        if mask is None and event is None:
            raise InvalidParameterError("select needs a mask of rows, event=..., or both.")
        mask = np.ones(len(self), bool) if mask is None else _row_selection(mask, len(self))
        if event is not None:  # positions keep their order; a mask is narrowed
            kinds = self._of_kinds(event)
            mask = mask & kinds if mask.dtype == bool else mask[kinds[mask]]

        def take(arr: np.ndarray | None) -> np.ndarray | None:
            return None if arr is None else arr[mask]

        return Interactions(item_index=self.item_index[mask], items=self.items,
                            user_index=take(self.user_index), users=self.users,
                            weights=self.weights[mask], timestamps=take(self.timestamps),
                            basket_index=take(self.basket_index), baskets=self.baskets,
                            event_index=take(self.event_index), events=self.events)

    def without_unused_ids(self) -> Interactions:
        """The same rows, the customer (and basket) id maps narrowed to the ids the rows use:
        after :meth:`select`, ids of customers with no row left vanish (the item map, the
        catalogue, is kept).

        >>> log = pd.DataFrame({"user_id": [1, 2, 3], "item_id": ["a", "b", "a"]})
        >>> Interactions.from_frame(log).select([0, 2]).without_unused_ids().users.ids.tolist()
        [1, 3]
        """
        users, user_index = _narrowed(self.users, self.user_index)
        baskets, basket_index = _narrowed(self.baskets, self.basket_index)
        return Interactions(item_index=self.item_index, items=self.items, user_index=user_index,
                            users=users, weights=self.weights, timestamps=self.timestamps,
                            basket_index=basket_index, baskets=baskets,
                            event_index=self.event_index, events=self.events)

    def _of_kinds(self, event: str | Sequence[str]) -> np.ndarray:
        """The rows of the ``event`` kinds (a name or several), or a DataError naming the kinds
        there are."""
        wanted = [event] if isinstance(event, str) else list(event)
        if self.events is None:
            raise DataError(f"select(event={event!r}): these interactions have no event kinds; "
                            f"build them with from_frame(..., event='<column>', "
                            f"event_weights={{...}}).")
        unknown = [kind for kind in wanted if kind not in self.events]
        if unknown:
            raise DataError(f"select(event=...): no kind {preview(unknown)} in the log; its kinds "
                            f"are {list(self.events)}.")
        codes = [self.events.index(kind) for kind in wanted]
        return np.isin(self.event_index, codes)

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
        if self.event_index is not None:
            cols["event"] = pd.Categorical.from_codes(self.event_index, self.events)
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


def _narrowed(ids: IdMap | None, index: np.ndarray | None) -> tuple[IdMap | None, np.ndarray | None]:
    """The id map narrowed to the ids ``index`` uses, and ``index`` renumbered to it."""
    if ids is None or index is None:
        return ids, index
    used, renumbered = np.unique(index, return_inverse=True)
    narrowed = IdMap.from_sorted(ids.ids[used], ids.name)
    narrowed.pseudonymous = ids.pseudonymous
    return narrowed, renumbered.astype(np.int32)


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

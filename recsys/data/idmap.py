"""External ids (ints or strings) to dense int32 indices and back: :class:`IdMap`, the map
every container and model shares."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Literal

import numpy as np
import pandas as pd

from recsys._engine.arrays import locate, unique
from recsys.data.ids import clean_ids, customer_preview, is_scalar_id, preview
from recsys.exceptions import DataError, InvalidParameterError, UnknownIdError

__all__ = ["IdMap"]

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

    __slots__ = ("_ids", "_lookup", "name", "pseudonymous")

    def __init__(self, ids: Iterable = (), *, name: str = "ids") -> None:
        values = clean_ids(ids, name)
        values = unique(values)
        if len(values) > np.iinfo(np.int32).max:
            raise DataError(f"{name} has more than 2**31 distinct ids; not supported.")
        values.setflags(write=False)
        self._ids = values
        self._lookup: pd.Index | None = None
        self.name = name
        #: the ids are pseudonyms (keyed hashes of the shop's ids, see recsys.privacy)
        self.pseudonymous = False

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
        self.pseudonymous = False
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
    shown = customer_preview(unknown.tolist()) if kind in PERSONAL_KINDS else \
        f"first: {preview(unknown.tolist())}"
    return f"{len(unknown)} of {total} {kind} id(s) are unknown ({shown}).{hint}"


#: the id kinds that name people: their ids are left out of messages (RECSYS_SHOW_IDS=1 shows)
PERSONAL_KINDS = ("user", "customer")

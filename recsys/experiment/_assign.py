"""Deterministic, salted assignment of customers to arms (treatment, control, ...).

A customer's arm depends only on the salt and the customer's id, never on the order of the
audience, on who else is in it, on the machine or on the process: the same salt gives the same
groups in every run, and a customer keeps their group when the audience grows.

The hash: FNV-1a (64-bit) over the Unicode code points of ``salt + ":" + id`` (an int id is
written in decimal, so ``10016`` and ``"10016"`` fall in the same group), then the splitmix64
finaliser for a uniform spread. The top 53 bits, divided by 2**53, give a number ``u`` in
[0, 1); the arms take consecutive intervals of [0, 1) in the order given, each as wide as its
share. Vectorised over customers (the loop runs over character positions).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from recsys.data.ids import clean_ids, customer_preview
from recsys.exceptions import DataError, InvalidParameterError

__all__ = ["assign", "hash_unit", "check_arms", "CONTROL"]

#: the name of the arm that gets no picks
CONTROL = "control"

_MASK = (1 << 64) - 1
_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
#: code points hashed at once (bounds the memory of very long ids)
_CELL_BUDGET = 4_000_000


def _fnv_prefix(text: str) -> int:
    """The FNV-1a state after ``text`` (plain Python ints: one short string)."""
    state = _FNV_OFFSET
    for char in text:
        state = ((state ^ ord(char)) * _FNV_PRIME) & _MASK
    return state


def _splitmix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _hash_block(text: np.ndarray, start: int) -> np.ndarray:
    """FNV-1a from ``start`` over each string of a unicode array, then splitmix64."""
    width = max(1, text.dtype.itemsize // 4)
    points = np.ascontiguousarray(text).view(np.uint32).reshape(len(text), width)
    lengths = np.char.str_len(text)
    state = np.full(len(text), start, dtype=np.uint64)
    prime = np.uint64(_FNV_PRIME)
    for position in range(int(lengths.max(initial=0))):
        active = lengths > position
        mixed = (state ^ points[:, position].astype(np.uint64)) * prime
        np.copyto(state, mixed, where=active)
    return _splitmix(state)


def hash_unit(ids: Iterable, salt: str) -> np.ndarray:
    """A number in [0, 1) per id, uniform and fixed for a given salt (see the module docstring).

    Parameters
    ----------
    ids : sequence of int or str
        Customer ids (NaN and mixed int/str ids are refused).
    salt : str
        Any text; a new salt gives a new, independent draw.

    Returns
    -------
    numpy.ndarray of float64

    Examples
    --------
    >>> u = hash_unit([10016, 10017], salt="2026-w48")
    >>> bool(u[0] == hash_unit(["10016"], salt="2026-w48")[0]), bool(0 <= u.min() < u.max() < 1)
    (True, True)
    """
    salt = _check_salt(salt)
    values = clean_ids(ids, "customer ids")
    text = values.astype(str) if values.dtype.kind != "U" else values
    start = _fnv_prefix(salt + ":")
    out = np.empty(len(text), np.float64)
    width = max(1, text.dtype.itemsize // 4)
    step = max(1, _CELL_BUDGET // width)
    for lo in range(0, len(text), step):
        hashed = _hash_block(text[lo:lo + step], start)
        out[lo:lo + step] = (hashed >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    return out


def _check_salt(salt: object) -> str:
    if not isinstance(salt, str) or not salt.strip():
        raise InvalidParameterError(
            f"salt must be a non-empty string (e.g. the campaign's name, '2026-w48'), got "
            f"{salt!r}. The same salt gives the same groups; use a new one per campaign.")
    return salt


def check_arms(arms: Mapping[str, float] | None = None, control: float | None = None,
               who: str = "assign") -> dict[str, float]:
    """``arms`` (name -> share, summing to 1) or ``control`` (the control share) as one dict.

    ``control=0.1`` means ``{"treatment": 0.9, "control": 0.1}``.
    """
    if arms is not None and control is not None:
        raise InvalidParameterError(f"{who}: pass control= or arms=, not both.")
    if arms is None:
        if control is None:
            raise InvalidParameterError(f"{who}: pass control= (a share, e.g. 0.1) or arms=.")
        share = _share(control, "control", who)
        if share >= 1.0:
            raise InvalidParameterError(
                f"{who}: control must be below 1 (a share such as 0.1), got {control!r}.")
        return {"treatment": 1.0 - share, CONTROL: share}
    if not isinstance(arms, Mapping) or not arms:
        raise InvalidParameterError(
            f"{who}: arms must be a non-empty dict of name -> share, e.g. "
            f"{{'als': 0.45, 'ease': 0.45, 'control': 0.1}}; got {arms!r}.")
    out = {}
    for name, value in arms.items():
        if not isinstance(name, str) or not name.strip():
            raise InvalidParameterError(f"{who}: arm names must be non-empty strings, got {name!r}.")
        out[name] = _share(value, f"the share of arm {name!r}", who)
    total = sum(out.values())
    if abs(total - 1.0) > 1e-6:
        raise InvalidParameterError(
            f"{who}: the arms' shares must add up to 1, got {total:.6g} "
            f"({', '.join(f'{k}={v:g}' for k, v in out.items())}).")
    return out


def _share(value: object, what: str, who: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidParameterError(f"{who}: {what} must be a number in (0, 1], got {value!r}.")
    share = float(value)
    if not 0.0 < share <= 1.0:
        raise InvalidParameterError(
            f"{who}: {what} must be in (0, 1] (a share: 0.1 is 10%), got {value!r}.")
    return share


def assign(customers: Iterable, *, salt: str, control: float | None = None,
           arms: Mapping[str, float] | None = None,
           segments: pd.Series | Mapping | None = None) -> pd.DataFrame:
    """Put each customer in an arm by a salted hash of their id.

    Parameters
    ----------
    customers : sequence of ids
        The audience (each customer once; duplicates are refused).
    salt : str
        Names this draw (e.g. ``"2026-w48"``). Same salt, same groups; a new salt gives an
        independent draw, so a customer is not always in control.
    control : float, optional
        Share of the control group (e.g. ``0.1``); the rest is ``"treatment"``.
    arms : dict of str -> float, optional
        Several arms and their shares, summing to 1, e.g.
        ``{"als": 0.45, "ease": 0.45, "control": 0.1}``. Pass this or ``control``.
    segments : Series or dict, optional
        Customer id -> segment, copied into the result (balance within each segment holds
        to sampling error, since the hash ignores the segment).

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``group``, ``share`` (the planned share of the group) and, with
        ``segments``, ``segment``; in the order of ``customers``.

    Examples
    --------
    >>> table = assign(range(10_000), salt="2026-w48", control=0.1)
    >>> round(float((table["group"] == "control").mean()), 2)
    0.1
    >>> bool((assign(range(10_000)[::-1], salt="2026-w48", control=0.1)
    ...       .set_index("customer_id")["group"].sort_index() == table["group"]).all())
    True
    """
    shares = check_arms(arms, control)
    ids = clean_ids(customers, "customers")
    if len(ids) == 0:
        raise DataError("assign: the audience is empty; pass at least one customer id.")
    ordered = np.sort(ids)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    if len(repeated):
        raise DataError(
            f"assign: {len(repeated)} customer id(s) appear more than once (first: "
            f"{repeated[0]!r}); pass each customer once (e.g. drop_duplicates()).")
    names = np.asarray(list(shares), dtype=object)
    edges = np.cumsum(list(shares.values()))
    edges[-1] = np.inf  # rounding never leaves a customer without an arm
    group = names[np.searchsorted(edges, hash_unit(ids, salt), side="right")]
    empty = [name for name in shares if not (group == name).any()]
    if empty:
        raise DataError(
            f"assign: arm(s) {', '.join(map(repr, empty))} got no customer of the {len(ids):,} "
            f"(planned shares {', '.join(f'{k}={v:g}' for k, v in shares.items())}): there is "
            f"nothing to compare. Raise their share (--control 10%) or the audience.")
    table = pd.DataFrame({"customer_id": ids, "group": group.astype(str)})
    table["share"] = table["group"].map(shares).astype(np.float64)
    if segments is not None:
        lookup = segments if isinstance(segments, pd.Series) else pd.Series(dict(segments))
        table["segment"] = one_label_each(lookup, "assign").reindex(pd.Index(ids)).to_numpy()
    return table


def one_label_each(segments: pd.Series, who: str) -> pd.Series:
    """``segments`` (labels indexed by customer id), or a DataError when a customer has
    several rows: their segment would not be one label."""
    twice = segments.index.duplicated()
    if twice.any():
        raise DataError(
            f"{who}: segments holds {int(twice.sum())} customer(s) more than once "
            f"({customer_preview(segments.index[twice].unique().tolist())}), so their segment is not "
            f"one label. Keep one row per customer: segments[~segments.index.duplicated()].")
    return segments

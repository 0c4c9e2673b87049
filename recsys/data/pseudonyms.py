"""Pseudonymous customer ids: each id replaced by a keyed hash (HMAC-SHA-256 with the shop's
key, the first 64 bits as 16 hex digits), the same id always the same pseudonym under one key,
and no way back without the key. Models, picks and files then hold pseudonyms only.

A pseudonym is computed once per distinct id (about 1.1 s per million distinct customers on
this machine) and mapped to every row by its code; ids are hashed as text, so the integer
17850 and the text "17850" get the same pseudonym, as the id maps treat them as one customer.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from recsys.data.frames import as_pandas, like
from recsys.data.ids import clean_ids
from recsys.exceptions import DataError, InvalidParameterError

__all__ = ["pseudonymize", "reidentify", "pseudonyms_of", "PSEUDONYM_DIGITS"]

#: hex digits of a pseudonym (64 bits: a collision among 10 million customers has a chance of
#: about 3 in a million, and is refused when it happens)
PSEUDONYM_DIGITS = 16


def _key(key: str | bytes) -> bytes:
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, bytes) or len(key) < 16:
        raise InvalidParameterError(
            "pseudonymize: the key must be text or bytes of at least 16 bytes (a secret the "
            "shop keeps, e.g. from os.environ; whoever holds it can re-identify).", param="key")
    return key


def pseudonyms_of(ids: Iterable, key: str | bytes) -> np.ndarray:
    """The pseudonym of each id (text, 16 hex digits), in order.

    Parameters
    ----------
    ids : iterable of ids
    key : str or bytes
        The secret (at least 16 bytes).

    Returns
    -------
    numpy.ndarray of str

    Examples
    --------
    >>> key = "a secret of sixteen bytes"
    >>> pseudonyms_of([17850, 13047], key).tolist() == pseudonyms_of(["17850", "13047"], key).tolist()
    True
    >>> len(pseudonyms_of(["C17"], key)[0])
    16
    """
    base = hmac.new(_key(key), digestmod=hashlib.sha256)
    values = clean_ids(ids, "ids")
    distinct, codes = np.unique(values.astype(str), return_inverse=True)
    hashed = []
    for text in distinct.tolist():  # once per distinct customer, not per row
        mac = base.copy()
        mac.update(text.encode("utf-8"))
        hashed.append(mac.hexdigest()[:PSEUDONYM_DIGITS])
    names = np.asarray(hashed, dtype=object)
    if len(set(hashed)) != len(hashed):
        raise DataError(f"pseudonymize: two of the {len(distinct):,} customer ids got the same "
                        f"pseudonym (a 64-bit collision); pseudonymize with another key.")
    return names[codes.ravel()].astype(str)


def pseudonymize(frame: pd.DataFrame, key: str | bytes,
                 columns: Sequence[str] = ("customer_id",)) -> pd.DataFrame:
    """A copy of ``frame`` with the id ``columns`` replaced by their pseudonyms (the frame
    itself is never modified).

    Parameters
    ----------
    frame : DataFrame
        Orders, an audience, suppression lists: any frame of customer ids.
    key : str or bytes
        The shop's secret (at least 16 bytes). The same key gives the same pseudonyms, so
        orders and opt-outs pseudonymised apart still match.
    columns : sequence of str
        The columns holding customer ids.

    Returns
    -------
    DataFrame

    Raises
    ------
    DataError
        A column is missing, or two ids collide.
    InvalidParameterError
        The key is too short.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": [1, 2, 1], "product_id": ["a", "b", "c"]})
    >>> safe = pseudonymize(orders, "a secret of sixteen bytes")
    >>> safe["customer_id"].nunique(), orders["customer_id"].tolist()
    (2, [1, 2, 1])
    """
    given, frame = frame, as_pandas(frame, "pseudonymize")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise DataError(f"pseudonymize: no column {absent[0]!r} in the frame; it has "
                        f"{list(frame.columns)}. Pass columns=[...] naming the id columns.")
    return like(frame.assign(**{c: pseudonyms_of(frame[c], key) for c in columns}), given)


def reidentify(frame: pd.DataFrame, key: str | bytes, known_ids: Iterable,
               columns: Sequence[str] = ("customer_id",)) -> pd.DataFrame:
    """A copy of ``frame`` with the pseudonyms in ``columns`` mapped back to the ``known_ids``
    they stand for (the shop's own customer table); only the key's holder can. A pseudonym
    of none of them stays as it is.

    Parameters
    ----------
    frame : DataFrame
        A frame of any kind narwhals reads (the same kind comes back), such as a picks file
        made from pseudonymous data.
    key : str or bytes
        The key the pseudonyms were made with.
    known_ids : iterable
        The shop's own customer ids to look among.
    columns : sequence of str, default ("customer_id",)
        The columns holding pseudonyms.

    Returns
    -------
    DataFrame
        A copy with the ids restored; ``frame`` is not changed.

    Raises
    ------
    DataError
        When a column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> key = "a secret of sixteen bytes"
    >>> picks = pseudonymize(pd.DataFrame({"customer_id": [7, 9]}), key)
    >>> reidentify(picks, key, known_ids=[7, 8, 9])["customer_id"].tolist()
    [7, 9]
    """
    given, frame = frame, as_pandas(frame, "reidentify")
    known = clean_ids(known_ids, "known_ids")
    back = pd.Series(known, index=pseudonyms_of(known, key))
    out = {}
    for column in columns:
        if column not in frame.columns:
            raise DataError(f"reidentify: no column {column!r} in the frame; it has "
                            f"{list(frame.columns)}.")
        mapped = back.reindex(frame[column].astype(str).to_numpy())
        found = mapped.notna().to_numpy()
        out[column] = mapped.to_numpy(dtype=object) if found.all() else np.where(
            found, mapped.to_numpy(dtype=object), frame[column].to_numpy(dtype=object))
        if found.all() and known.dtype.kind in "iu":
            out[column] = out[column].astype(known.dtype)
    return like(frame.assign(**out), given)

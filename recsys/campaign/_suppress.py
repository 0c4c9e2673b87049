"""Who must never be contacted: the customers a shop suppresses (withdrew consent,
unsubscribed, bounced, complained) are taken out of the audience before anything else, the
control group included. Their number is reported, their ids never."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from recsys.data.ids import clean_ids, match_ids
from recsys.exceptions import DataError

__all__ = ["without_suppressed"]


def without_suppressed(audience: np.ndarray, suppress: Iterable | None) -> tuple[np.ndarray, int]:
    """``audience`` without the customers of ``suppress``, in its order, and how many were
    taken out. Ids of another type than the audience's are matched by the id maps' rule (a
    text id that is a plain integer is that integer) or refused: a mismatch would mail people
    who opted out.

    >>> audience, out = without_suppressed(np.array([1, 2, 3]), ["2", "9"])
    >>> audience.tolist(), out
    ([1, 3], 1)
    """
    if suppress is None:
        return audience, 0
    if isinstance(suppress, pd.DataFrame):
        raise DataError("make_picks: suppress must be customer ids (a list, or a column such as "
                        "optouts['customer_id']), not a whole DataFrame.")
    ids = clean_ids(suppress, "suppress")
    if len(ids) == 0:
        return audience, 0
    position = match_ids(ids, audience, "the suppression list's customer ids",
                         "the audience's customer ids")
    keep = position < 0
    left = audience[keep]
    if len(left) == 0:
        raise DataError(f"make_picks: every one of the {len(audience):,} customers of the "
                        f"audience is suppressed (opted out, unsubscribed...): there is nobody "
                        f"to mail.")
    return left, int((~keep).sum())

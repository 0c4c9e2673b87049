"""Array helpers where numpy's general routine is slow for our inputs."""

from __future__ import annotations

import numpy as np

__all__ = ["unique"]


def unique(values: np.ndarray) -> np.ndarray:
    """Sorted unique values. numpy 2.x's ``np.unique`` on integers goes through a hash
    table that is about 20x slower than sorting here (1M int64: 1 s against 0.05 s).

    >>> unique(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    ordered = np.sort(np.asarray(values), kind="stable")
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def rank_in_runs(keys: np.ndarray) -> np.ndarray:
    """For sorted ``keys``, each element's position within its run of equal keys (0, 1, ...).

    Linear time; the shared step of every "first k per user / basket / row" selection.

    >>> rank_in_runs(np.array([3, 3, 5, 7, 7, 7])).tolist()
    [0, 1, 0, 0, 1, 2]
    """
    index = np.arange(len(keys))
    if len(keys) == 0:
        return index
    starts = np.ones(len(keys), bool)
    np.not_equal(keys[1:], keys[:-1], out=starts[1:])
    return index - np.maximum.accumulate(np.where(starts, index, 0))

"""What sells now: each item's customers over the last days of the data, for the repeat models."""

from __future__ import annotations

import numpy as np

from recsys.data.dates import DAY_NS
from recsys.data.interactions import Interactions


def item_trend(data: Interactions, days: float | None) -> np.ndarray:
    """Per item in [0, 1]: its distinct customers over the ``days`` before the last
    purchase, over the most any item has; zeros without timestamps or with ``days=None``.

    Why: a product selling now (the season's, a new line) is likelier to be bought again
    soon than one whose sales have stopped, at equal personal history.
    """
    trend = np.zeros(data.n_items)
    if days is None or data.timestamps is None or len(data) == 0:
        return trend
    day = data.timestamps.astype(np.int64) / DAY_NS
    recent = day > day.max() - days
    pairs = np.unique(data.user_index[recent].astype(np.int64) * data.n_items
                      + data.item_index[recent])
    np.add.at(trend, pairs % data.n_items, 1.0)
    return trend / max(trend.max(), 1.0)

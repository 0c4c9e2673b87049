"""What every arm of a campaign run shares: the request, the constraints and the output shape."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recsys.campaign._constraints import Constraint
from recsys.models.base import Recommender

__all__ = ["Options"]


@dataclass(frozen=True)
class Options:
    """What every arm of a run shares: the request, the constraints and the output shape."""

    k: int
    constraints: Sequence[Constraint]
    oversample: int
    chunk_size: int
    backfill: bool
    names: dict
    segments: pd.Series | None
    as_of: np.datetime64
    show_progress: bool
    again: Recommender | None = None
    k_again: int = 0
    wording: Mapping[str, str] | None = None
    send_date: bool = False  # as_of was given: it is the send, recorded in the assignments
    new: Recommender | None = None
    k_new: int = 0
    new_products: Any = None
    #: per-customer columns joined to every pick (indexed by customer id): a send time, a CLV
    per_customer: pd.DataFrame | None = None

"""The experiment side of a picks run: which model serves which arm, and each customer's picks
joined into one field of the assignments table."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from recsys.exceptions import DataError, InvalidParameterError
from recsys.experiment._assign import CONTROL
from recsys.experiment._outcomes import PICK_SEPARATOR

__all__ = ["arm_models", "joined_picks", "check_pick_ids"]


def arm_models(model: object, plan: Mapping[str, float]) -> dict[str, object]:
    """The model of every arm. Control gets the first treated arm's model: its picks are
    computed (never sent) so that "bought a picked product" can be compared with control."""
    treated = [arm for arm in plan if arm != CONTROL]
    if CONTROL not in plan:
        raise InvalidParameterError(
            f"make_picks: arms must include a {CONTROL!r} arm (the customers who get nothing); "
            f"got {list(plan)}.")
    if not treated:
        raise InvalidParameterError("make_picks: arms need at least one arm besides control.")
    if not isinstance(model, Mapping):
        return {arm: model for arm in plan}
    missing = [arm for arm in treated if arm not in model]
    extra = [name for name in model if name not in plan]
    if missing or extra:
        raise InvalidParameterError(
            f"make_picks: the models must be keyed by the arms {treated}; missing {missing}, "
            f"unknown {extra}.")
    out = {arm: model[arm] for arm in treated}
    out[CONTROL] = model.get(CONTROL, model[treated[0]])
    return out


def check_pick_ids(item_ids: np.ndarray) -> None:
    """Refuse product ids that contain the separator of the assignments' picks field."""
    if item_ids.dtype.kind == "U" and len(item_ids):
        clash = np.char.find(item_ids, PICK_SEPARATOR) >= 0
        if clash.any():
            raise DataError(
                f"{int(clash.sum())} product id(s) contain {PICK_SEPARATOR!r} (first: "
                f"{item_ids[clash][0]!r}), which separates the picks in the assignments table; "
                f"rename those products before running a campaign with a control group.")


def joined_picks(frame: pd.DataFrame) -> pd.DataFrame:
    """``customer_id`` and ``picks`` (product ids by rank, joined by ``"|"``) from long picks."""
    if len(frame) == 0:
        return pd.DataFrame({"customer_id": [], "picks": []})
    customer, ids = pd.factorize(frame["customer_id"])
    rank = frame["rank"].to_numpy(dtype=np.int64) - 1
    grid = np.full((len(ids), int(rank.max()) + 1), "", dtype=object)
    grid[customer, rank] = frame["product_id"].astype(str).to_numpy(dtype=object)
    out = grid[:, 0]
    for column in grid.T[1:]:  # a loop over ranks (k), not over customers
        out = np.where(column != "", out + PICK_SEPARATOR + column, out)
    return pd.DataFrame({"customer_id": np.asarray(ids), "picks": out})

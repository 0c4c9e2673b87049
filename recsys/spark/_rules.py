"""MLlib's FPGrowth for the itemsets; the rules and a local AssociationRules from their counts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys._engine.params import check_float, check_int
from recsys.exceptions import DataError, InvalidParameterError
from recsys.models.rules import AssociationRules
from recsys.rules.mining import (
    RULE_METRICS,
    Itemsets,
    itemsets_frame,
    rule_arrays,
    rules_frame,
    support_count,
)
from recsys.spark._check import require_spark
from recsys.spark._interactions import BASKET, ITEM, SparkInteractions
from recsys.spark._pyspark import FPGrowth, sf


@dataclass(frozen=True)
class SparkRules:
    """What :func:`mine_rules` found: ``itemsets`` and ``rules`` as
    :func:`recsys.rules.mining.frequent_itemsets` and :func:`recsys.rules.mining.association_rules` give
    them, and ``model``, a fitted :class:`recsys.AssociationRules` for carts."""

    itemsets: pd.DataFrame
    rules: pd.DataFrame
    model: object
    n_baskets: int
    min_count: int


def mine_rules(data: SparkInteractions, min_support: float, min_confidence: float = 0.1, *,
               max_len: int | None = 3, min_lift: float | None = 1.0) -> SparkRules:
    """Frequent itemsets by MLlib's FPGrowth on Spark; the rules and every measure computed
    locally from the itemset counts, as :mod:`recsys.rules.mining` computes them.

    The support threshold is the same count the local miner uses (the smallest c with
    ``c / n_baskets >= min_support``), so both find exactly the same itemsets.

    Parameters
    ----------
    data : SparkInteractions
        With baskets (``interactions_from_spark(..., basket="order_id")``).
    min_support : float
        A share of the baskets (``"auto"`` is a local-only convenience).
    min_confidence : float, default 0.1
        Of the ``rules`` frame (every consequent length); the ``model`` keeps the rules with
        one consequent, as :class:`recsys.AssociationRules` does.
    max_len : int or None, default 3
        Longest itemset (FPGrowth finds them all; longer ones are dropped).
    min_lift : float or None, default 1.0
        The model's add-ons only from rules bought together more than chance.

    Returns
    -------
    SparkRules
    """
    require_spark("mine_rules")

    if not data.has_baskets:
        raise DataError("mine_rules needs baskets: build the data with "
                        "interactions_from_spark(..., basket='order_id').")
    if isinstance(min_support, str):
        raise InvalidParameterError("mine_rules: min_support='auto' reads the basket matrix, "
                                    "which stays on Spark here; pass a share, e.g. 0.002.")
    check_float("mine_rules", "min_confidence", min_confidence, minimum=0, maximum=1)
    check_int("mine_rules", "max_len", max_len, minimum=1, allow_none=True)
    baskets = (data.frame.select(BASKET, ITEM).distinct().groupBy(BASKET)
               .agg(sf.collect_list(ITEM).alias("items")).cache())
    try:
        n_baskets = int(baskets.count())
        count = support_count(min_support, n_baskets)
        # a threshold half a basket below the count: Spark's ceil(minSupport * n) is the count
        fitted = FPGrowth(itemsCol="items", minSupport=(count - 0.5) / n_baskets).fit(baskets)
        found = _itemsets(fitted.freqItemsets.toPandas(), count, n_baskets, data, max_len)
        item_counts = _basket_counts(data)
    finally:
        baskets.unpersist()
    rules = rules_frame(rule_arrays(found, "confidence", min_confidence), data.items,
                        "confidence")
    model = _local_rules(found, data, item_counts, min_support, min_confidence, max_len,
                         min_lift, count)
    return SparkRules(itemsets_frame(found), rules, model, n_baskets, count)


def _itemsets(frame: pd.DataFrame, count: int, n_baskets: int, data: SparkInteractions,
              max_len: int | None) -> Itemsets:
    """Itemsets arrays (rows sorted, as the local miner leaves them) from FPGrowth's frame."""
    frame = frame[frame["freq"] >= count]
    sizes = frame["items"].map(len).to_numpy()
    longest = int(sizes.max()) if len(sizes) else 0
    if max_len is not None:
        longest = min(longest, max_len)
    levels = []
    for length in range(1, longest + 1):
        rows = np.flatnonzero(sizes == length)
        members = np.sort(np.array(frame["items"].iloc[rows].tolist(), np.int32).reshape(
            len(rows), length), axis=1)
        counts = frame["freq"].to_numpy(np.int64)[rows]
        order = np.lexsort(tuple(members[:, j] for j in range(length - 1, -1, -1)))
        levels.append((members[order], counts[order]))
    return Itemsets(levels, n_baskets, data.items)


def _basket_counts(data: SparkInteractions) -> np.ndarray:
    """Baskets holding each item (the model's popularity), counted in Spark."""

    local = data.frame.groupBy(ITEM).agg(sf.countDistinct(BASKET).alias("n")).toPandas()
    counts = np.zeros(len(data.items), np.int64)
    counts[local[ITEM].to_numpy()] = local["n"].to_numpy()
    return counts


def _local_rules(found: Itemsets, data: SparkInteractions, item_counts: np.ndarray,
                 min_support: float, min_confidence: float, max_len: int | None,
                 min_lift: float | None, count: int):
    """A fitted AssociationRules (carts), through the checks a loaded model file passes."""

    arrays = rule_arrays(found, "confidence", min_confidence, max_consequent=1)
    if min_lift is not None:
        keep = arrays["lift"] > min_lift
        arrays = {key: value[keep] for key, value in arrays.items()}
    empty = np.zeros(1, np.int32)
    state = {"users": np.empty(0, np.int64), "items": data.items.ids, "item_counts": item_counts,
             "seen/data": np.empty(0, np.float32), "seen/indices": np.empty(0, np.int32),
             "seen/indptr": empty,
             "model/antecedents": arrays["antecedent"].astype(np.int32),
             "model/consequents": arrays["consequent"][:, 0].astype(np.int32),
             "model/measures": np.column_stack([arrays[m] for m in RULE_METRICS]),
             "model/history/data": np.empty(0, np.float32),
             "model/history/indices": np.empty(0, np.int32), "model/history/indptr": empty}
    model = AssociationRules(min_support=min_support, min_confidence=min_confidence,
                             max_len=max_len or max(len(found.levels), 1), min_lift=min_lift)
    names = {"user": "user_id", "item": data.items.name}
    return model.set_state(state, {"n_baskets": found.n_baskets, "min_count": count}, names)

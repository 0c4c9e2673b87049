"""The itemset engine: frequent itemsets and association rules from baskets, their counting,
incremental updates and the automatic choice of the minimum support. The model built on it
is :class:`recsys.AssociationRules`.
"""
from recsys.rules.mining import (
    RULE_METRICS,
    Itemsets,
    association_rules,
    estimate_memory,
    frequent_itemsets,
    mine,
    rule_arrays,
)

__all__ = ["frequent_itemsets", "association_rules", "estimate_memory", "RULE_METRICS",
           "Itemsets", "mine", "rule_arrays"]

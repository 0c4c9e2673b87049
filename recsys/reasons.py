"""Short reasons a template can print, from a model's :class:`~recsys.models.base.Explanation`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .models.base import Explanation

__all__ = ["reason", "REASON_CODES"]

#: reason code -> what it means
REASON_CODES = {
    "bought_item": "a product in the customer's history or cart drives the score",
    "bought_together": "an association rule: customers who bought these also bought it",
    "similar_attributes": "it shares words or attributes with what the customer bought",
    "popular": "popular with customers (no personal signal)",
    "backfill": "added to reach k picks (popular in the customer's segment)",
    "promoted": "a promoted product",
}

_BY_METHOD = {
    "item factors": "bought_item",
    "item neighbours": "bought_item",
    "rule": "bought_together",
    "content": "similar_attributes",
    "popularity": "popular",
}


def _name(item: Any, names: Mapping | None) -> str:
    if names is not None and item in names:
        return str(names[item])
    return str(item)


def reason(explanation: Explanation, names: Mapping | None = None) -> tuple[str, str]:
    """``(code, text)`` for one pick: ``("bought_item", "Because you bought red teapot")``.

    ``names`` maps item ids to display names (product names).

    Examples
    --------
    >>> e = Explanation(item="P2", score=0.8, contributions=[("P1", 0.8)], method="item factors")
    >>> reason(e, {"P1": "red spotty teapot"})
    ('bought_item', 'Because you bought red spotty teapot')
    """
    code = _BY_METHOD.get(explanation.method, "popular")
    top = explanation.contributions[:2]
    if code == "bought_item" and top:
        return code, f"Because you bought {_name(top[0][0], names)}"
    if code == "bought_together" and top:
        label = top[0][0]
        antecedent = label[0] if isinstance(label, tuple) else [label]
        those = " and ".join(_name(i, names) for i in antecedent)
        return code, f"Often bought with {those}"
    if code == "similar_attributes" and top:
        terms = ", ".join(str(t).split(":", 1)[-1].split("=", 1)[-1] for t, _ in top)
        return code, f"Like things you chose: {terms}"
    return "popular", "Popular with our customers"

"""Short reasons a template can print: one from an :class:`~recsys.models.base.Explanation`,
or many at once for a batch of picks (:func:`batch_reasons`), which each model answers through
its ``anchors`` (the array kernels are in :mod:`recsys.models.anchors`).

The batch reasons name the same thing ``explain`` puts first: the history item behind the
score (item-kNN, EASE), the firing rule (association rules), the strongest shared term or
attribute (content). For ALS and BPR they name the history item whose factors are closest
to the pick, a fast stand-in for ``explain``'s exact decomposition.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from recsys.exceptions import InvalidParameterError
from recsys.models.base import Explanation
from recsys.ranking import Query

__all__ = ["reason", "batch_reasons", "REASON_CODES", "reason_texts", "item_names",
           "REASON_WORDING", "PLAYS_WORDING", "check_wording"]

#: reason code -> what it means
REASON_CODES = {
    "bought_item": "a product in the customer's history or cart drives the score",
    "bought_together": "an association rule: customers who bought these also bought it",
    "similar_attributes": "it shares words or attributes with what the customer bought",
    "popular": "popular with customers (no personal signal)",
    "backfill": "added to reach k picks (popular in the customer's segment)",
    "promoted": "a promoted product",
    "new_arrival": "a product without sales yet (or first sold lately), picked by resemblance",
    "buy_again": "the customer bought it before (and, with a repurchase cycle, it is due)",
}

#: the text of each reason code; ``{item}``, ``{items}``, ``{terms}``, ``{segment}`` stand for
#: the product, the rule's products, the shared attributes and the customer's segment. Pass
#: ``wording={...}`` (``recsys picks --reason code=text``) to say it in the shop's words
REASON_WORDING = {
    "bought_item": "Because you bought {item}",
    "bought_together": "Often bought with {items}",
    "similar_attributes": "Like things you chose: {terms}",
    "popular": "Popular with our customers",
    "backfill": "Popular with {segment} customers",
    "promoted": "Featured for you",
    "new_arrival": "New in our shop",
}
#: the wording of a play-count or viewing log ("listened to", not "bought")
PLAYS_WORDING = {"bought_item": "Because you listened to {item}",
                 "bought_together": "Often played with {items}"}
_SLOTS = {"bought_item": "{item}", "bought_together": "{items}",
          "similar_attributes": "{terms}", "backfill": "{segment}"}


def check_wording(wording: Mapping[str, str] | None) -> dict[str, str]:
    """The reason texts with ``wording``'s replacing the defaults, each checked: a known code,
    text, and the code's one placeholder (``{item}`` for ``bought_item``...) exactly once.

    Parameters
    ----------
    wording : dict, optional
        Reason code -> text.

    Returns
    -------
    dict
        Every code's text.

    Raises
    ------
    InvalidParameterError
        An unknown code, a text that is not text, a missing or repeated placeholder.

    Examples
    --------
    >>> check_wording({"bought_item": "Because you watched {item}"})["bought_item"]
    'Because you watched {item}'
    """

    texts = dict(REASON_WORDING)
    for code, text in dict(wording or {}).items():
        if code not in REASON_WORDING:
            raise InvalidParameterError(
                f"wording (--reason): unknown reason code {code!r}; the codes are "
                f"{', '.join(REASON_WORDING)} (on the command line: --reason code=text).")
        slot = _SLOTS.get(code)
        if not isinstance(text, str) or (slot and text.count(slot) != 1) or (
                not slot and "{" in text):
            want = f"text holding {slot} once" if slot else "text without placeholders"
            raise InvalidParameterError(
                f"wording (--reason): {code!r} needs {want}, e.g. {REASON_WORDING[code]!r}; got {text!r}.")
        texts[code] = text
    return texts


_BY_METHOD = {
    "item factors": "bought_item",
    "item neighbours": "bought_item",
    "rule": "bought_together",
    "content": "similar_attributes",
    "popularity": "popular",
    "buy again": "buy_again",
}


def item_names(products: pd.DataFrame | None, item: str = "product_id",
               name: str | None = None) -> dict:
    """Item id -> display name from a product (or order-line) table: the ``name`` column, else
    the first of ``name``, ``title``, ``description`` it has; ``{}`` when there is none.

    Parameters
    ----------
    products : DataFrame, optional
    item : str, default "product_id"
        The id column.
    name : str, optional
        The name column (default: the first of name, title, description).

    Returns
    -------
    dict
        Item id -> name.

    Examples
    --------
    >>> item_names(pd.DataFrame({"product_id": ["P1", "P1"], "title": ["teapot", "teapot"]}))
    {'P1': 'teapot'}
    """
    if products is None or item not in products.columns:
        return {}
    for column in ([name] if name else ["name", "title", "description"]):
        if column in products.columns:
            rows = products[[item, column]].drop_duplicates(item)
            return dict(zip(rows[item].tolist(), rows[column].astype(str).tolist(), strict=True))
    return {}


def _name(item: Any, names: Mapping | None) -> str:
    if names is not None and item in names:
        return str(names[item])
    return str(item)


def _term(label: str) -> str:
    """``"name:enamel teapot"`` -> ``"enamel teapot"``; ``"category=garden"`` -> ``"garden"``."""
    return str(label).split(":", 1)[-1].split("=", 1)[-1]


def reason(explanation: Explanation, names: Mapping | None = None,
           wording: Mapping[str, str] | None = None) -> tuple[str, str]:
    """``(code, text)`` for one pick: ``("bought_item", "Because you bought red teapot")``.

    ``names`` maps item ids to display names (product names); ``wording`` replaces texts of
    :data:`REASON_WORDING` (:data:`PLAYS_WORDING` for play counts).

    Parameters
    ----------
    explanation : Explanation
        What ``model.explain`` returned for the pick.
    names : dict, optional
    wording : dict, optional
        Reason code -> text with ``{item}`` (and ``{items}``, ``{feature}``) placeholders.

    Returns
    -------
    tuple of (str, str)
        The reason code and its text.

    Examples
    --------
    >>> e = Explanation(item="P2", score=0.8, contributions=[("P1", 0.8)], method="item factors")
    >>> reason(e, {"P1": "red spotty teapot"})
    ('bought_item', 'Because you bought red spotty teapot')
    """
    texts = check_wording(wording)
    code = _BY_METHOD.get(explanation.method, "popular")
    top = explanation.contributions[:2]
    if code == "bought_item" and top:
        return code, texts[code].replace("{item}", _name(top[0][0], names))
    if code == "bought_together" and top:
        label = top[0][0]
        antecedent = label[0] if isinstance(label, tuple) else [label]
        those = " and ".join(_name(i, names) for i in antecedent)
        return code, texts[code].replace("{items}", those)
    if code == "similar_attributes" and top:
        terms = ", ".join(_term(t) for t, _ in top)
        return code, texts[code].replace("{terms}", terms)
    if code == "buy_again":
        return code, str(explanation.details.get("reason", "You bought this before"))
    return "popular", texts["popular"]


# ---------------------------------------------------------------------- batches
def batch_reasons(model, user_index: np.ndarray, picks: np.ndarray,
                  source: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Reason codes and anchors for picks (n, k) of item indices (-1: none) of known users.

    Returns ``codes`` (n, k) of reason codes and ``anchors`` (n, k) of objects: an item id
    (bought_item), a tuple of item ids (bought_together), a feature label
    (similar_attributes), or None. Each model says what lies behind its picks
    (:meth:`~recsys.models.base.Recommender.anchors`); ``source`` names the model that
    answered each row (a fallback hybrid's component).

    Parameters
    ----------
    model : Recommender
        Fitted.
    user_index : numpy.ndarray of int
        The customers' rows in the model.
    picks : numpy.ndarray of int, shape (n, k)
        Item indices, -1 for none.
    source : numpy.ndarray of str, optional

    Returns
    -------
    codes, anchors : numpy.ndarray, shape (n, k)

    Examples
    --------
    >>> import numpy as np
    >>> from recsys import ItemKNN, make_shop
    >>> shop = make_shop(n_customers=200, n_products=40, seed=0)
    >>> model = ItemKNN().fit(shop.interactions)
    >>> recs = model.recommend(shop.interactions.users.ids[:2], k=3)
    >>> codes, anchors = batch_reasons(model, np.array([0, 1]), recs.item_index)
    >>> codes.shape
    (2, 3)
    """
    found = model.anchors(Query.of_users(user_index), picks, source)
    return found.codes, found.anchors


def reason_texts(codes: np.ndarray, anchors: np.ndarray, names: Mapping | None = None,
                 segment: np.ndarray | None = None,
                 wording: Mapping[str, str] | None = None) -> np.ndarray:
    """Printable text for each (code, anchor); ``segment`` (same shape) labels back-fill picks;
    ``wording`` replaces texts of :data:`REASON_WORDING`.

    Parameters
    ----------
    codes, anchors : numpy.ndarray
        From :func:`batch_reasons`.
    names : dict, optional
    segment : numpy.ndarray, optional
    wording : dict, optional

    Returns
    -------
    numpy.ndarray of str

    Examples
    --------
    >>> import numpy as np
    >>> reason_texts(np.array([["popular"]]), np.array([[None]]))[0, 0]
    'Popular with our customers'
    """
    texts = check_wording(wording)
    names = dict(names or {})
    flat_codes = pd.Series(np.asarray(codes, dtype=object).ravel(), dtype=object)
    flat_anchors = pd.Series(np.asarray(anchors, dtype=object).ravel(), dtype=object)
    out = pd.Series(texts["popular"], index=flat_codes.index, dtype=object)

    def display(values: pd.Series) -> pd.Series:
        return values.map(names).fillna(values.astype(str)) if names else values.astype(str)

    def fill(code: str, cells: pd.Series, values: pd.Series) -> None:
        head, _, tail = texts[code].partition(_SLOTS[code])
        out[cells] = head + values + tail

    cells = flat_codes == "bought_item"
    fill("bought_item", cells, display(flat_anchors[cells]))
    cells = flat_codes == "bought_together"
    if cells.any():
        exploded = flat_anchors[cells].explode()
        fill("bought_together", cells, display(exploded).groupby(level=0).agg(" and ".join))
    cells = flat_codes == "similar_attributes"
    fill("similar_attributes", cells, flat_anchors[cells].astype(str).str.split(
        ":", n=1).str[-1].str.split("=", n=1).str[-1])
    out[flat_codes == "promoted"] = texts["promoted"]
    out[flat_codes == "new_arrival"] = texts["new_arrival"]
    cells = flat_codes == "buy_again"  # the anchor is the whole text (cycle or count)
    out[cells] = flat_anchors[cells].astype(str)
    cells = flat_codes == "backfill"
    if segment is not None and cells.any():
        seg = pd.Series(np.asarray(segment, dtype=object).ravel(), dtype=object)[cells]
        head, _, tail = texts["backfill"].partition("{segment}")
        out[cells] = np.where(seg.isna() | (seg == ""), texts["popular"],
                              head + seg.astype(str) + tail)
    return out.to_numpy().reshape(np.shape(codes))

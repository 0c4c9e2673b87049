"""The query string of ``GET /recommend``, read by hand.

The busiest endpoint has fifteen optional parameters; FastAPI's declared-parameter machinery
cost a fifth of the event loop's time per request (profiled under load), so they are read here
from the raw query, typed and checked, with the same 4xx a declared parameter gives, and
described for the OpenAPI page by :data:`RECOMMEND_PARAMETERS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recsys.exceptions import InvalidParameterError

__all__ = ["QueryParams", "RECOMMEND_PARAMETERS"]

_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off", ""}


class QueryParams:
    """Typed reads of a query string's values (the last of a repeated name wins, as
    FastAPI's scalar parameters read it).

    Parameters
    ----------
    values : mapping of str -> str
        The query string's values (``request.query_params``).

    Examples
    --------
    >>> query = QueryParams({"k": "5", "in_stock": "true"})
    >>> query.integer("k", 10), query.flag("in_stock"), query.text("model")
    (5, True, None)
    """

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values

    def text(self, name: str, default: str | None = None, *, required: bool = False):
        value = self.values.get(name)
        if value is None and required:
            raise InvalidParameterError(f"{name} is required (?{name}=...).", param=name)
        return default if value is None else value

    def listed(self, name: str) -> tuple[str, ...]:
        """``"a,b"`` -> ("a", "b")."""
        return tuple(part.strip() for part in (self.values.get(name) or "").split(",")
                     if part.strip())

    def integer(self, name: str, default: int) -> int:
        found = self.optional_integer(name)
        return default if found is None else found

    def optional_integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise InvalidParameterError(f"{name} must be a whole number, got {value!r}.",
                                        param=name) from None

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None:
            return None
        try:
            return float(value)
        except ValueError:
            raise InvalidParameterError(f"{name} must be a number, got {value!r}.",
                                        param=name) from None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if value is None:
            return False
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise InvalidParameterError(f"{name} must be true or false, got {value!r}.", param=name)


def _parameter(name: str, kind: str, description: str, required: bool = False,
               default: Any = None) -> dict:
    schema: dict[str, Any] = {"type": kind}
    if default is not None:
        schema["default"] = default
    return {"name": name, "in": "query", "required": required, "schema": schema,
            "description": description}


#: the OpenAPI description of GET /recommend's query
RECOMMEND_PARAMETERS = [
    _parameter("customer", "string", "the customer's id (int or text, as in the model)", True),
    _parameter("k", "integer", "how many picks (1..1000)", default=10),
    _parameter("model", "string", "a served model's name (default: the first)"),
    _parameter("exclude", "string", "comma-separated product ids never picked"),
    _parameter("reasons", "boolean", "a reason with each pick", default=False),
    _parameter("on_unknown", "string", "fallback (popular picks), skip or raise (404)",
               default="fallback"),
    _parameter("category", "string", "comma-separated categories to keep"),
    _parameter("exclude_category", "string", "comma-separated categories to leave out"),
    _parameter("min_price", "number", "the lowest price picked"),
    _parameter("max_price", "number", "the highest price picked"),
    _parameter("in_stock", "boolean", "only products in stock", default=False),
    _parameter("max_per_category", "integer", "at most this many picks of one category"),
    _parameter("promoted", "string", "comma-separated promoted product ids, placed first"),
    _parameter("promoted_slots", "integer", "how many promoted products at most", default=1),
]

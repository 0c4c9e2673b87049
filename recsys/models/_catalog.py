"""The model tables of the docs, written from the registry and the declared parameters, so they
cannot drift from the code: docs/models.md's parameter reference and search spaces sit
between ``<!-- catalog:NAME -->`` and ``<!-- /catalog:NAME -->`` markers.

``python -m recsys.models._catalog docs`` rewrites them; a test fails when they differ.

>>> row = next(row for row in space_table().splitlines() if row.startswith("| `ALS`"))
>>> row.split("; ")[:2]
['| `ALS` | factors {32, 64, 128}', 'regularization 1e-3..10 (log)']
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from recsys.models.params import (
    AutoOr,
    Choice,
    Flag,
    Float,
    HalfLife,
    Int,
    Integer,
    OneOf,
    OwnRule,
    Uniform,
)
from recsys.models.registry import REGISTRY

__all__ = ["parameter_table", "space_table", "write_docs"]

#: models in the order the docs present them (any other registered model follows, by name)
ORDER = ("Popularity", "AssociationRules", "ALS", "BPR", "ItemKNN", "EASE", "RP3beta",
         "SequentialRules", "SLIST", "ContentBased", "BuyAgain", "NextBasket", "Hybrid")


def _models() -> list[str]:
    known = [name for name in ORDER if name in REGISTRY]
    return known + sorted(set(REGISTRY) - set(known))


def _number(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) < 0.01 or abs(value) >= 1e5:
        mantissa, exponent = f"{value:.0e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    return f"{value:,.10g}"


def _option(value: object) -> str:
    return "none" if value is None else _number(value) if isinstance(value, float) else str(value)


def space_text(space: object) -> str:
    """A distribution in words: ``{32, 64}``, ``1e-3..10 (log)``."""
    if isinstance(space, Choice):
        return "{" + ", ".join(_option(o) for o in space.options) + "}"
    if isinstance(space, Uniform | Integer):
        return f"{_number(space.low)}..{_number(space.high)}" + (" (log)" if space.log else "")
    raise TypeError(f"not a distribution: {space!r}")


def accepts_text(accepts: object) -> str:
    """What a constraint accepts, in words."""
    if isinstance(accepts, Int | Float):
        kind = "int" if isinstance(accepts, Int) else "number"
        low = "" if accepts.minimum is None else (
            f" > {_number(accepts.minimum)}" if getattr(accepts, "exclusive_min", False)
            else f" >= {_number(accepts.minimum)}")
        high = "" if accepts.maximum is None else f" <= {_number(accepts.maximum)}"
        both = f"{kind}{low}{',' if low and high else ''}{high}"
        return both + (" or None" if accepts.none else "")
    if isinstance(accepts, OneOf):
        return " / ".join(_option(c) for c in accepts.choices)
    if isinstance(accepts, Flag):
        return "True / False"
    if isinstance(accepts, HalfLife):
        return "days (or purchases) of half-life, or None: no decay"
    if isinstance(accepts, AutoOr):
        return f"'auto' (from the data) or {accepts_text(accepts.number)}"
    if isinstance(accepts, OwnRule):
        return accepts.says
    raise TypeError(f"not a constraint: {accepts!r}")


def space_table() -> str:
    """The search space of every model that declares one, as a Markdown table."""
    rows = ["| model | parameters searched |", "| --- | --- |"]
    for name in _models():
        space = REGISTRY[name].search_space()
        if space:
            rows.append(f"| `{name}` | " + "; ".join(f"{param} {space_text(dist)}"
                                                    for param, dist in space.items()) + " |")
    return "\n".join(rows)


def parameter_table() -> str:
    """Every model's parameters, their defaults and what each accepts, as a Markdown table."""
    rows = ["| model | parameter | default | accepts |", "| --- | --- | --- | --- |"]
    for name in _models():
        cls = REGISTRY[name]
        defaults = cls().get_params(deep=False)
        for param, declared in cls.parameters.items():
            default = defaults.get(param)
            shown = "none" if default is None else str(default).replace("|", "/")
            rows.append(f"| `{name}` | `{param}` | {shown} | {accepts_text(declared.accepts)} |")
    return "\n".join(rows)


TABLES = {"parameters": ("models.md", parameter_table), "spaces": ("models.md", space_table)}


def write_docs(folder: str | Path, check: bool = False) -> list[str]:
    """Rewrite the marked tables under ``folder``; the names of those that were out of date
    (with ``check``, nothing is written)."""
    stale = []
    for name, (page, render) in TABLES.items():
        path = Path(folder) / page
        text = path.read_text()
        pattern = re.compile(rf"(<!-- catalog:{name} -->\n)(?:.*?\n)?(<!-- /catalog:{name} -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"{path} has no <!-- catalog:{name} --> section")
        table = render()
        fresh = pattern.sub(lambda m, table=table: m.group(1) + table + "\n" + m.group(2), text)
        if fresh != text:
            stale.append(name)
            if not check:
                path.write_text(fresh)
    return stale


if __name__ == "__main__":  # python -m recsys.models._catalog docs
    print("rewrote:", ", ".join(write_docs(sys.argv[1] if len(sys.argv) > 1 else "docs")) or "none")

"""Every public callable documents itself the numpydoc way: a summary, Parameters (when it
takes any; a class counts its constructor's), Returns (a function that returns something)
and a runnable Examples
section (the doctests run with the tests). The package's own names (``recsys.__all__``) all
do; for the public modules' other names, the ones not there yet are listed in
``tests/docstring_gaps.txt``, and the list may only shrink: a new callable without its
sections fails, and so does a listed one that has them now (take it off the list)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import recsys

GAPS = Path(__file__).with_name("docstring_gaps.txt")


def _public_modules() -> list[str]:
    names = ["recsys"]
    for info in pkgutil.walk_packages(recsys.__path__, "recsys."):
        parts = info.name.split(".")
        if not any(part.startswith("_") for part in parts) and parts[1] not in ("cli", "spark"):
            names.append(info.name)
    return names


def public_callables() -> dict[str, object]:
    found: dict[str, object] = {}
    for name in _public_modules():
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr, None)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                found.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    return found


def missing(obj) -> list[str]:
    """The numpydoc sections ``obj``'s docstring lacks."""
    doc = inspect.getdoc(obj) or ""
    lines = doc.splitlines()
    sections = {lines[i].strip() for i in range(len(lines) - 1)
                if lines[i + 1].strip() and set(lines[i + 1].strip()) == {"-"}}
    need = [] if doc.strip() else ["summary"]
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:  # a constructor of only *args, **kwargs (a base class's) takes nothing of its own
        takes = [name for name, p in inspect.signature(target).parameters.items()
                 if name not in ("self", "cls") and p.kind not in (p.VAR_POSITIONAL,
                                                                  p.VAR_KEYWORD)]
    except (TypeError, ValueError):
        takes = []
    if takes and "Parameters" not in sections:
        need.append("Parameters")
    returns_none = inspect.isfunction(obj) and \
        inspect.signature(obj).return_annotation in (None, "None")
    if inspect.isfunction(obj) and not returns_none and not sections & {"Returns", "Yields"}:
        need.append("Returns")
    if "Examples" not in sections:
        need.append("Examples")
    return need


def test_every_name_of_the_package_is_documented_in_full():
    gaps = {}
    for name in recsys.__all__:
        obj = getattr(recsys, name)
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and missing(obj):
            gaps[name] = missing(obj)
    assert gaps == {}


def test_the_list_of_undocumented_names_only_shrinks():
    listed = {line.split()[0] for line in GAPS.read_text().splitlines()
              if line.strip() and not line.startswith("#")}
    incomplete = {name for name, obj in public_callables().items() if missing(obj)}
    assert sorted(incomplete - listed) == [], "document these (or, never, list them)"
    assert sorted(listed - incomplete) == [], "documented now: take them off the list"

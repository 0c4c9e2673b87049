"""Every public callable documents itself the numpydoc way: a summary, Parameters (when it
takes any; a class counts its constructor's), Returns (a function that returns something)
and a runnable Examples section (the doctests run with the tests). Public means the
package's ``__all__`` and the ``__all__`` of every public module (no part of its path starts
with an underscore; the command line and the Spark backend are documented on their own
pages); a helper that serves one package stays out of its module's ``__all__``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import recsys


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


def test_every_public_callable_is_documented_in_full():
    gaps = {name: missing(obj) for name, obj in public_callables().items() if missing(obj)}
    assert gaps == {}, "document these (numpydoc sections: Parameters, Returns, Examples)"


def test_the_check_sees_a_missing_section():
    """The check itself: a function without Examples or Returns is caught."""

    def undocumented(x: int) -> int:
        """Twice ``x``.

        Parameters
        ----------
        x : int
        """
        return 2 * x

    assert missing(undocumented) == ["Returns", "Examples"]
    assert len(public_callables()) > 150

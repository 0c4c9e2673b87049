"""The closed list of models: every model class of this package, by name, registered when
its class is defined (``recsys.load`` rebuilds only these; the command line, the tuner and the
conformance tests read it). A model class joins by being defined; ``register`` is the
base class's hook, not public API."""

from __future__ import annotations

from typing import Any

from recsys.exceptions import InvalidParameterError

__all__ = ["REGISTRY"]

#: name -> class of every model ``recsys.load`` may rebuild (closed: only classes defined in
#: this package are added, and an entry is never replaced)
REGISTRY: dict[str, Any] = {}


def register(cls: type) -> type:
    """Add a model class of this package to :data:`REGISTRY` (called by
    ``Recommender.__init_subclass__``). A second class under a registered name is refused, so
    no class defined elsewhere can become what ``recsys.load`` builds for that name."""
    known = REGISTRY.get(cls.__name__)
    if known is not None and known is not cls:
        raise InvalidParameterError(
            f"a model called {cls.__name__!r} is registered already ({known.__module__}); "
            f"the registry never replaces a model. Give the new class another name.")
    REGISTRY[cls.__name__] = cls
    return cls

"""The parameter sets each model's contract runs on, gathered from the contract classes of the
model test modules (``recsys.testing.ModelContract`` subclasses): the small fits every test
that walks the registry uses."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from recsys.testing import ModelContract


def contracts() -> dict[str, type[ModelContract]]:
    """Model name -> its contract class, every model test module imported."""
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        importlib.import_module(f"tests.models.{path.stem}")
    found, todo = {}, list(ModelContract.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if "model" in vars(cls):
            found[cls.model.__name__] = cls
    return found


def variants() -> dict[str, list[dict[str, Any]]]:
    """Model name -> the parameter sets its contract runs on."""
    return {name: list(cls.variants) for name, cls in contracts().items()}

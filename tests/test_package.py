"""The public surface: __all__ is real, import stays light, the registry is closed."""

from __future__ import annotations

import subprocess
import sys

import recsys


def test_all_names_exist():
    for name in recsys.__all__:
        assert hasattr(recsys, name), name


def test_every_model_is_registered_and_exported():
    for name, cls in recsys.REGISTRY.items():
        assert getattr(recsys, name) is cls
        assert cls.__doc__ and ">>>" in cls.__doc__, f"{name} needs a runnable example"


def test_import_does_not_load_heavy_dependencies():
    code = ("import sys, recsys; heavy = [m for m in ('implicit', 'mlxtend', 'sklearn', "
            "'matplotlib') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

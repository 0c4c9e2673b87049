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


def test_light_imports_load_only_what_they_need():
    """A batch job mining rules (or serving a model) pays for neither the campaign, the
    experiment readout, the tuner, the command line nor scipy.stats (0.35 s to import)."""
    code = ("import sys, {mod}; print(','.join(sorted(m for m in ('recsys.campaign', "
            "'recsys.experiment', 'recsys.cli', 'recsys.tuning', 'recsys.models', "
            "'scipy.stats') if m in sys.modules)))")
    for module, allowed in (("recsys.rules", ""), ("recsys.rules.mining", ""),
                            ("recsys.models", "recsys.models"),
                            ("recsys", "")):
        out = subprocess.run([sys.executable, "-c", code.format(mod=module)],
                             capture_output=True, text=True, check=True)
        assert out.stdout.strip() == allowed, (module, out.stdout)


def test_lazy_names_are_the_modules_own():
    from recsys.models import ALS

    assert recsys.ALS is ALS and "ALS" in dir(recsys)
    assert recsys.campaign.make_picks is not None
    try:
        recsys.not_a_name  # noqa: B018
    except AttributeError as exc:
        assert "not_a_name" in str(exc)
    else:
        raise AssertionError("an unknown name must raise AttributeError")


def test_the_type_stub_names_only_public_names():
    """recsys/__init__.pyi (what type checkers read) lists names of ``recsys.__all__`` only,
    and every registered model is in ``recsys.__all__`` without a hand-kept list."""
    import ast
    from pathlib import Path

    stub = ast.parse((Path(recsys.__file__).parent / "__init__.pyi").read_text())
    stubbed = {alias.asname for node in stub.body if isinstance(node, ast.ImportFrom)
               for alias in node.names if alias.asname}
    assert stubbed - {"__version__"} <= set(recsys.__all__)
    assert set(recsys.REGISTRY) <= set(recsys.__all__)
    for name in recsys.__all__:
        assert getattr(recsys, name) is not None

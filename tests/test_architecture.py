"""The house rules of the package, read from its code: few files at the root, a docstring on
every folder, no import cycles (imports inside functions included), no recsys import inside a
function, no private name imported from another package, and the layers of pyproject.toml."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import recsys

PACKAGE = Path(recsys.__file__).parent
ROOT = PACKAGE.parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _module_level(tree: ast.Module) -> set[int]:
    """The ids of the nodes that run at import: the module's body, its ifs and trys included."""
    top = {id(node) for node in tree.body}
    for block in tree.body:
        if isinstance(block, ast.If | ast.Try):
            top |= {id(node) for node in ast.walk(block)}
    return top


def _imports(name: str, path: Path):
    """(target module, imported name, at module level?) of every ``from recsys... import``."""
    tree = ast.parse(path.read_text())
    top = _module_level(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("recsys"):
            assert node.level == 0, f"{name}: relative import"
            for alias in node.names:
                yield node.module, alias.name, id(node) in top


def _package(module: str) -> str:
    return module if MODULES[module].name == "__init__.py" else module.rsplit(".", 1)[0]


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for module, alias, _ in _imports(name, path):
            target = f"{module}.{alias}" if f"{module}.{alias}" in MODULES else module
            if target in MODULES and target != name:
                edges[name].add(target)
    return edges


def test_at_most_ten_files_at_the_root():
    assert len(list(PACKAGE.glob("*.py"))) <= 10


def test_every_folder_says_what_lives_there():
    for init in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and len(doc) > 40, f"{init.parent.name}/__init__.py has no docstring"


def test_no_import_cycles():
    edges, order, low, stack, on, cycles = _edges(), {}, {}, [], set(), []

    def visit(node):  # Tarjan's strongly connected components
        order[node] = low[node] = len(order)
        stack.append(node)
        on.add(node)
        for child in edges[node]:
            if child not in order:
                visit(child)
                low[node] = min(low[node], low[child])
            elif child in on:
                low[node] = min(low[node], order[child])
        if low[node] == order[node]:
            component = []
            while True:
                member = stack.pop()
                on.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in edges:
        if node not in order:
            visit(node)
    assert cycles == []


def test_no_recsys_import_inside_a_function():
    inner = [f"{name} <- {module}" for name, path in MODULES.items()
             for module, _, at_top in _imports(name, path) if not at_top]
    assert inner == []


def test_no_private_name_from_another_package():
    private = [f"{name} <- {module}.{alias}" for name, path in MODULES.items()
               for module, alias, _ in _imports(name, path)
               if alias.startswith("_") and not alias.startswith("__")
               and f"{module}.{alias}" not in MODULES and module in MODULES
               and _package(module) != _package(name)]
    assert private == []


@pytest.mark.skipif(shutil.which("lint-imports") is None, reason="import-linter not installed")
def test_the_layers_hold_and_a_model_importing_the_campaign_breaks_them(tmp_path):
    """``lint-imports`` keeps the contract of pyproject.toml on the package as it is, and
    breaks it on a copy where a model imports the campaign."""
    copy = tmp_path / "project"
    shutil.copytree(PACKAGE, copy / "recsys", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    run = [sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
           "lint_imports_command()", "--no-cache"]
    env = {"PYTHONPATH": str(copy), "PATH": ""}
    kept = subprocess.run(run, cwd=copy, env=env, capture_output=True, text=True)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    popular = copy / "recsys" / "models" / "popular.py"
    popular.write_text(popular.read_text() + "\nfrom recsys.campaign import make_picks  # noqa\n")
    broken = subprocess.run(run, cwd=copy, env=env, capture_output=True, text=True)
    assert broken.returncode == 1
    assert "recsys.models.popular -> recsys.campaign" in broken.stdout


def test_imports_inside_functions_are_few_and_say_why():
    """Only optional dependencies or a measured import cost, each with a comment."""
    found = []
    for name, path in MODULES.items():
        lines = path.read_text().splitlines()
        tree = ast.parse(path.read_text())
        top = _module_level(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top:
                here, above = lines[node.lineno - 1], lines[node.lineno - 2].strip()
                found.append((name, node.lineno, "#" in here or above.startswith(("#", "try:  #"))))
    # at most 25 (the house's rule); implicit's and tqdm's deferred loads live in one module,
    # recsys._engine.libraries, so each of them counts once
    assert len(found) <= 25
    assert [f"{name}:{line}" for name, line, said in found if not said] == []

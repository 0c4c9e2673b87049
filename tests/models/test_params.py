"""Declared parameters: every model declares exactly its constructor's parameters, checks each
at fit with an error that names it, declares search spaces inside what it accepts, and the docs
tables written from the declarations are up to date."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest

from recsys import REGISTRY, InvalidParameterError
from recsys.cli.main import main
from recsys.models._catalog import write_docs
from recsys.models.params import OwnRule
from recsys.ranking import fit_model

DOCS = Path(__file__).parents[2] / "docs"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_constructor_parameter_is_declared(name):
    cls = REGISTRY[name]
    signature = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    assert sorted(cls.parameters) == sorted(signature)


CHECKED = [(name, param) for name in sorted(REGISTRY)
           for param, declared in REGISTRY[name].parameters.items()
           if not isinstance(declared.accepts, OwnRule)]


@pytest.mark.parametrize(("name", "param"), CHECKED)
def test_a_bad_value_is_refused_at_fit_naming_the_parameter(name, param, shop):
    model = REGISTRY[name](**{param: "not-a-value"})
    with pytest.raises(InvalidParameterError) as error:
        fit_model(model, shop.interactions, shop.items)
    assert error.value.param == param
    assert param in str(error.value)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_search_spaces_lie_inside_what_the_parameter_accepts(name):
    rng = np.random.default_rng(0)
    cls = REGISTRY[name]
    for param, space in cls.search_space().items():
        for _ in range(30):
            cls.parameters[param].accepts.check(name, param, space.sample(rng))


def test_the_docs_tables_are_written_from_the_code():
    assert write_docs(DOCS, check=True) == [], "run: python -m recsys.models._catalog docs"


def test_the_command_line_names_the_option_that_set_a_bad_parameter(tmp_path, capsys):
    assert main(["fit", "--model", "ALS", "--param", "factors=-3",
                 "--out", str(tmp_path / "m.npz")]) == 1
    assert "(set by --param factors=...)" in capsys.readouterr().err
    assert main(["evaluate", "--models", "EASE(l2=-1)"]) == 1
    assert "(set in --models, e.g. Name(l2=...))" in capsys.readouterr().err


def test_every_registered_model_has_a_docs_section():
    pages = "\n".join(page.read_text() for page in DOCS.glob("*.md"))
    missing = [name for name in REGISTRY if f"\n## {name}" not in pages]
    assert missing == [], f"add a '## {missing[0]}' section to docs/models.md" if missing else ""

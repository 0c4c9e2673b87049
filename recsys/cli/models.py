"""The one way a ``--model``/``--models`` value becomes a model: a registered name, a name with
parameters (``EASE(l2=200)``), or a saved model file (``.npz``)."""

from __future__ import annotations

import inspect
import re

from recsys.cli.common import parse_key_values, split_specs
from recsys.exceptions import InvalidParameterError
from recsys.models import REGISTRY
from recsys.models.files import load

__all__ = ["model_class", "build_model", "parse_models", "model_from_spec"]


def model_class(name: str):
    """The registered model class called ``name`` (case-insensitive)."""

    lookup = {key.lower(): cls for key, cls in REGISTRY.items()}
    if name.lower() not in lookup:
        raise InvalidParameterError(
            f"unknown model {name!r}; choose from {', '.join(sorted(REGISTRY))}."
        )
    return lookup[name.lower()]


def build_model(name: str, params: dict, option: str = "--param"):
    """The registered model ``name`` built with ``params``; a parameter it does not take is
    an error naming it, the option it came from and the ones the model has."""

    cls = model_class(name)
    known = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = [key for key in params if key not in known]
    if unknown:
        raise InvalidParameterError(
            f"{cls.__name__} has no parameter {unknown[0]!r} ({option} {unknown[0]}=...); its "
            f"parameters are {', '.join(known)}.")
    return cls(**params)


def parse_models(spec: str) -> dict:
    """``"ALS(factors=32,alpha=10),Popularity"`` -> {"ALS(factors=32,alpha=10)": ALS(...), ...}."""
    parts = split_specs(spec)
    models = {}
    for part in parts:
        match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?", part)
        if not match:
            raise InvalidParameterError(f"--models: cannot read {part!r}; write Name(key=value,...).")
        pairs = filter(None, (p.strip() for p in (match.group(2) or "").split(",")))
        params = parse_key_values(list(pairs), f"--models ({part})")
        models[part] = build_model(match.group(1), params, "--models")
    if not models:
        raise InvalidParameterError("--models is empty.")
    return models


def model_from_spec(spec: str, params: dict):
    """An unfitted model from a name or a name with parameters, or a fitted one from a model
    file (``.npz``); ``params`` (from ``--param``) set on top of the name's own."""
    if spec.lower().endswith(".npz"):
        return load(spec)
    if "(" in spec:
        model = next(iter(parse_models(spec).values()))
        model.set_params(**params)
        return model
    return build_model(spec, params)

"""Saving and loading fitted models: one ``.npz`` file, a JSON manifest, no pickle.

The file holds the model's arrays (id maps, the seen-items matrix, factors,
rules...) and ``__manifest__``, a JSON string::

    {"format": 1, "recsys_version": "...", "model": "ALS", "params": {...},
     "meta": {...}, "created": "2026-11-22T08:00:00+00:00", "sha256": "..."}

:func:`load` reads it with ``allow_pickle=False``, looks the class up in the
closed registry (:data:`recsys.models.REGISTRY`), checks the format and the
SHA-256 of the arrays, and rebuilds the model with ``cls(**params)``. A file that
was altered, truncated, holds pickled objects or names a class outside the
registry raises :class:`~recsys.exceptions.PersistenceError`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .exceptions import NotFittedError, PersistenceError

__all__ = ["save", "load", "read_manifest", "FORMAT"]

FORMAT = 1
_MANIFEST = "__manifest__"


def save(model, path: str | os.PathLike) -> Path:
    """Write a fitted model to ``path`` (written whole or not at all).

    Examples
    --------
    >>> import tempfile, os
    >>> from recsys import Popularity, make_shop, load
    >>> shop = make_shop(n_customers=100, n_products=30, seed=0)
    >>> model = Popularity().fit(shop.interactions)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
    >>> save(model, path)  # doctest: +ELLIPSIS
    PosixPath('...model.npz')
    >>> type(load(path)).__name__
    'Popularity'
    """
    from . import __version__

    if not getattr(model, "is_fitted", False):
        raise NotFittedError(f"Cannot save an unfitted {type(model).__name__}; call fit first.")
    arrays, entry = model_to_arrays(model, "")
    manifest = {
        "format": FORMAT,
        "recsys_version": __version__,
        **entry,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "sha256": _digest(arrays),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, **{_MANIFEST: np.array(json.dumps(manifest))}, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load(path: str | os.PathLike):
    """Load a model written by :func:`save` (or ``model.save``).

    Raises
    ------
    PersistenceError
        The file is missing, not a ``recsys`` model, damaged, altered, holds
        pickled objects, or names a model outside the registry.
    """
    manifest, arrays = _read(path)
    return model_from_arrays(manifest, arrays, "", str(path))


def read_manifest(path: str | os.PathLike) -> dict[str, Any]:
    """The manifest of a model file (checked like :func:`load`), without building the model."""
    manifest, arrays = _read(path)
    manifest = dict(manifest)
    manifest["arrays"] = {k: list(v.shape) for k, v in arrays.items()}
    return manifest


# ---------------------------------------------------------------------- building blocks
def model_to_arrays(model, prefix: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """All arrays of a fitted model under ``prefix`` and its manifest entry.

    Used by :func:`save` and by composite models (``Hybrid``) for their components.
    """
    state, meta = model.get_state()
    arrays = {f"{prefix}{key}": value for key, value in state.items()}
    for key, value in arrays.items():
        if value.dtype.kind == "O":
            raise PersistenceError(
                f"{type(model).__name__}: array {key!r} holds Python objects, which the model "
                f"format refuses (no pickle). Store it as numbers or fixed-width strings."
            )
    entry = {
        "model": type(model).__name__,
        "params": _encode_params(model.get_params(deep=False), type(model).__name__),
        "meta": meta,
        "names": {"user": model.users_.name, "item": model.items_.name},
        "fit_seconds": getattr(model, "fit_seconds_", None),
    }
    _check_json(entry, type(model).__name__)
    return arrays, entry


def model_from_arrays(entry: Mapping[str, Any], arrays: Mapping[str, np.ndarray],
                      prefix: str, where: str = "model file"):
    """Rebuild a fitted model from :func:`model_to_arrays` output."""
    cls = _registered(entry.get("model"), where)
    try:
        params = _decode_params(entry.get("params", {}), where)
        model = cls(**params)
        state = {key[len(prefix):]: value for key, value in arrays.items()
                 if key.startswith(prefix)}
        model.set_state(state, entry.get("meta", {}), entry.get("names", {}))
        model.fit_seconds_ = entry.get("fit_seconds")
    except PersistenceError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise PersistenceError(
            f"{where}: the {entry.get('model')} in it is incomplete or inconsistent ({exc}). "
            f"Re-save it with this version of recsys."
        ) from None
    return model


# ---------------------------------------------------------------------- internals
def _check_archive(where: str) -> None:
    """Refuse a file that is not a zip archive before numpy reads it: numpy would take
    anything else (a CSV, random bytes) for a pickle and say so."""
    if zipfile.is_zipfile(where):
        return
    with open(where, "rb") as handle:
        head = handle.read(6)
    what = "a single numpy array (.npy)" if head == b"\x93NUMPY" else "not a zip archive"
    raise PersistenceError(
        f"{where} is not a recsys model file: it is {what}. A model file is the .npz that "
        f"model.save(path) or `recsys fit --out` writes.")


def _read(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    where = str(path)
    if not os.path.isfile(where):
        raise PersistenceError(f"no model file at {where!r}.")
    try:
        _check_archive(where)
        with np.load(where, allow_pickle=False) as npz:
            if _MANIFEST not in npz.files:
                raise PersistenceError(
                    f"{where} is not a recsys model file (no {_MANIFEST}); save models with "
                    f"model.save(path)."
                )
            arrays = {name: npz[name] for name in npz.files}
    except PersistenceError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise PersistenceError(
                f"{where} holds a pickled object array; recsys model files never do, and "
                f"loading it could run code. Refusing to load it."
            ) from None
        raise PersistenceError(f"{where} is damaged or not a recsys model file ({exc}).") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, KeyError, zipfile.LargeZipFile) as exc:
        raise PersistenceError(
            f"{where} is damaged, truncated or not a recsys model file ({exc})."
        ) from None
    raw = arrays.pop(_MANIFEST)
    try:
        manifest = json.loads(str(raw[()]))
    except (ValueError, TypeError, IndexError):
        raise PersistenceError(f"{where}: the manifest is not valid JSON.") from None
    if not isinstance(manifest, dict):
        raise PersistenceError(f"{where}: the manifest is not a JSON object.")
    if manifest.get("format") != FORMAT:
        raise PersistenceError(
            f"{where} has model format {manifest.get('format')!r}; this recsys reads format "
            f"{FORMAT}. Re-save the model with this version."
        )
    _registered(manifest.get("model"), where)
    if manifest.get("sha256") != _digest(arrays):
        raise PersistenceError(
            f"{where}: checksum mismatch; the arrays were altered after saving. "
            f"Re-save the model from its source."
        )
    return manifest, arrays


def _registered(name: Any, where: str) -> type:
    from .models import REGISTRY

    if not isinstance(name, str) or name not in REGISTRY:
        raise PersistenceError(
            f"{where} names model class {name!r}, which is not a recsys model "
            f"(known: {', '.join(sorted(REGISTRY))}). Refusing to build it."
        )
    return REGISTRY[name]


def _digest(arrays: Mapping[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for key in sorted(arrays):
        value = np.ascontiguousarray(arrays[key])
        h.update(f"{key}|{value.dtype.str}|{value.shape}|".encode())
        h.update(value.tobytes())
    return h.hexdigest()


def _encode_params(params: Mapping[str, Any], owner: str) -> dict[str, Any]:
    return {key: _encode_value(value, f"{owner}.{key}") for key, value in params.items()}


def _encode_value(value: Any, where: str) -> Any:
    if hasattr(value, "get_params") and not isinstance(value, type):
        return {"__model__": type(value).__name__,
                "params": _encode_params(value.get_params(deep=False), where)}
    if isinstance(value, (list, tuple)):
        return [_encode_value(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode_value(v, where) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise PersistenceError(
        f"parameter {where} = {value!r} ({type(value).__name__}) cannot be written to a model "
        f"file; use numbers, strings, lists or dicts."
    )


def _decode_params(params: Mapping[str, Any], where: str) -> dict[str, Any]:
    return {key: _decode_value(value, where) for key, value in params.items()}


def _decode_value(value: Any, where: str) -> Any:
    if isinstance(value, dict) and "__model__" in value:
        cls = _registered(value["__model__"], where)
        return cls(**_decode_params(value.get("params", {}), where))
    if isinstance(value, list):
        decoded = [_decode_value(v, where) for v in value]
        # (name, model) pairs were tuples before JSON
        if all(isinstance(v, list) and len(v) == 2 and isinstance(v[0], str)
               and hasattr(v[1], "get_params") for v in decoded):
            return [tuple(v) for v in decoded]
        return decoded
    if isinstance(value, dict):
        return {k: _decode_value(v, where) for k, v in value.items()}
    return value


def _check_json(entry: Any, owner: str) -> None:
    try:
        json.dumps(entry, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise PersistenceError(f"{owner}: its state cannot be written as JSON ({exc}).") from None

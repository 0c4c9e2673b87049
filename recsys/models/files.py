"""Saving and loading fitted models: the model's state to and from the file format of
:mod:`recsys.io.persistence`, the class looked up in the closed registry
(:data:`recsys.models.REGISTRY`) and rebuilt with ``cls(**params)``, never unpickled."""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from recsys._version import __version__
from recsys.exceptions import NotFittedError, PersistenceError
from recsys.io.persistence import (
    FORMAT,
    check_json,
    check_signature,
    decode_params,
    encode_params,
    read_file,
    registered,
    signing_key,
    write_file,
)
from recsys.models.registry import REGISTRY

__all__ = ["save", "load", "read_manifest", "personal_data"]


def save(model, path: str | os.PathLike, *, key: str | bytes | None = None) -> Path:
    """Write a fitted model to ``path`` (written whole or not at all).

    ``key`` (default: the ``RECSYS_MODEL_KEY`` environment variable, when set) signs the
    file with HMAC-SHA256 over its whole content; :func:`load` given the key then refuses any
    file the key did not sign (see "Model files" in ``docs/interface.md``).

    Parameters
    ----------
    model : Recommender
        A fitted model.
    path : str or path
        Where to write (a ``.npz`` file; its folder must exist).
    key : str or bytes, optional
        The signing key.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    NotFittedError
        The model is not fitted.
    DataError
        The folder does not exist or cannot be written.

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
    if not getattr(model, "is_fitted", False):
        raise NotFittedError(f"Cannot save an unfitted {type(model).__name__}; call fit first.")
    arrays, entry = model_to_arrays(model, "")
    manifest = {
        "format": FORMAT,
        "recsys_version": __version__,
        **entry,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    return write_file(path, manifest, arrays, key=signing_key(key))


def load(path: str | os.PathLike, *, key: str | bytes | None = None):
    """Load a model written by :func:`save` (or ``model.save``).

    With a ``key`` (default: the ``RECSYS_MODEL_KEY`` environment variable, when set) the
    file must carry that key's signature: unsigned files and files signed with another key
    are refused.

    Parameters
    ----------
    path : str or path
        A file :func:`save` wrote.
    key : str or bytes, optional
        The key the file must be signed with.

    Returns
    -------
    Recommender
        The fitted model, answering as the saved one did.

    Raises
    ------
    PersistenceError
        The file is missing, not a ``recsys`` model, damaged, altered, holds
        pickled objects, names a model outside the registry, holds a state that does not
        fit together, or lacks the signature of ``key``.

    Examples
    --------
    >>> import tempfile, os
    >>> from recsys import ItemKNN, make_shop
    >>> shop = make_shop(n_customers=100, n_products=30, seed=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "knn.npz")
    >>> _ = ItemKNN().fit(shop.interactions).save(path)
    >>> load(path).is_fitted
    True
    """
    manifest, arrays = read_file(path, REGISTRY)
    check_signature(manifest, signing_key(key), str(path))
    return model_from_arrays(manifest, arrays, "", str(path))


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
        "params": encode_params(model.get_params(deep=False), type(model).__name__),
        "meta": meta,
        "names": {"user": model.users_.name, "item": model.items_.name,
                  "user_kind": model.users_.kind, "item_kind": model.items_.kind},
        "fit_seconds": getattr(model, "fit_seconds_", None),
        "personal_data": personal_data(model),
    }
    check_json(entry, type(model).__name__)
    return arrays, entry


def model_from_arrays(entry: Mapping[str, Any], arrays: Mapping[str, np.ndarray],
                      prefix: str, where: str = "model file"):
    """Rebuild a fitted model from :func:`model_to_arrays` output."""
    cls = registered(entry.get("model"), REGISTRY, where)
    for field in ("params", "meta", "names"):
        if not isinstance(entry.get(field, {}), dict):
            raise PersistenceError(
                f"{where}: the manifest's {field!r} should be a JSON object, but is "
                f"{type(entry.get(field)).__name__} (a damaged or altered file). Re-save the "
                f"model from its source.")
    try:
        params = decode_params(entry.get("params", {}), REGISTRY, where)
        model = cls(**params)
        state = {key[len(prefix):]: value for key, value in arrays.items()
                 if key.startswith(prefix)}
        model.set_state(state, entry.get("meta", {}), entry.get("names", {}))
        model.fit_seconds_ = entry.get("fit_seconds")
        _restore_personal_data(model, entry.get("personal_data"), where)
    except PersistenceError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise PersistenceError(
            f"{where}: the {entry.get('model')} in it is incomplete or inconsistent ({exc}). "
            f"Re-save it with this version of recsys."
        ) from None
    return model


def read_manifest(path: str | os.PathLike, *, key: str | bytes | None = None) -> dict[str, Any]:
    """The manifest of a model file (checked like :func:`load`), without building the model.

    Parameters
    ----------
    path : str or os.PathLike
        The model file.
    key : str or bytes, optional
        The signing key (default: ``$RECSYS_MODEL_KEY``); a file signed with another is
        refused.

    Returns
    -------
    dict
        ``model``, ``params``, ``recsys_version``, ``created``, ``personal_data``... and
        ``arrays`` (each array's shape).

    Raises
    ------
    PersistenceError
        As :func:`load` does for a damaged, altered, unsigned or foreign file.

    Examples
    --------
    >>> import os, tempfile
    >>> import recsys
    >>> path = os.path.join(tempfile.mkdtemp(), "popular.npz")
    >>> shop = recsys.make_shop(n_customers=100, n_products=20, seed=0)
    >>> _ = save(recsys.Popularity().fit(shop.interactions), path)
    >>> manifest = read_manifest(path)
    >>> manifest["model"], manifest["personal_data"]["customers"]
    ('Popularity', 92)
    """
    manifest, arrays = read_file(path, REGISTRY)
    check_signature(manifest, signing_key(key), str(path))
    manifest = dict(manifest)
    manifest["arrays"] = {k: list(v.shape) for k, v in arrays.items()}
    return manifest


def personal_data(model) -> dict[str, Any]:
    """What personal data a fitted model holds, for its manifest (never who): how many
    customers, whether their ids are pseudonyms, the window of data learnt from and the
    retention asked for, the erasures done.

    Parameters
    ----------
    model : Recommender
        A fitted model.

    Returns
    -------
    dict
        ``customers`` (how many), ``histories`` (whether it keeps what each bought),
        ``pseudonymous``, ``data_window`` (first and last day learnt from, or None),
        ``max_age_days`` (the retention asked for, or None) and ``erasures`` (when and how many
        each time).

    Examples
    --------
    >>> import recsys
    >>> shop = recsys.make_shop(n_customers=100, n_products=20, seed=0)
    >>> facts = personal_data(recsys.Popularity().fit(shop.interactions))
    >>> facts["customers"], facts["pseudonymous"], facts["erasures"]  # the 92 who ordered
    (92, False, [])
    """
    window = getattr(model, "data_window_", None)
    return {"customers": len(model.users_),
            "histories": bool(model.seen_.nnz),
            "pseudonymous": bool(getattr(model.users_, "pseudonymous", False)),
            "data_window": list(window) if window else None,
            "max_age_days": getattr(model, "max_age_days_", None),
            "erasures": list(getattr(model, "erasures_", []))}


def _restore_personal_data(model, facts: Any, where: str) -> None:
    """The facts of :func:`personal_data` read back (files without them: unknown)."""
    if facts is None:
        return
    window = facts.get("data_window") if isinstance(facts, dict) else "bad"
    if not isinstance(facts, dict) or not isinstance(facts.get("pseudonymous", False), bool) \
            or not (window is None or (isinstance(window, list) and len(window) == 2
                                       and all(isinstance(day, str) for day in window))):
        raise PersistenceError(f"{where}: the manifest's 'personal_data' is not what recsys "
                               f"writes (a damaged or altered file). Re-save the model.")
    erasures = facts.get("erasures", [])
    if not isinstance(erasures, list) or not all(
            isinstance(e, dict) and isinstance(e.get("customers"), int) for e in erasures):
        raise PersistenceError(f"{where}: the manifest's 'personal_data' erasures are not what "
                               f"recsys writes (a damaged or altered file). Re-save the model.")
    model.users_.pseudonymous = facts.get("pseudonymous", False)
    model.data_window_ = tuple(window) if window else None
    model.max_age_days_ = facts.get("max_age_days")
    model.erasures_ = erasures

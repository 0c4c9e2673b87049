"""The model file format: one ``.npz`` file, a JSON manifest, no pickle.

The file holds the model's arrays (id maps, the seen-items matrix, factors,
rules...) and ``__manifest__``, a JSON string::

    {"format": 1, "recsys_version": "...", "model": "ALS", "params": {...},
     "meta": {...}, "created": "2026-11-22T08:00:00+00:00", "sha256": "..."}

:func:`read_file` reads it with ``allow_pickle=False``, within bounds read from the
declared shapes, and checks the format and the SHA-256 of the arrays;
:mod:`recsys.models.files` builds the model from what it read (a class of the closed
registry only). A file that was altered, truncated, holds pickled objects or names a class
outside the registry raises :class:`~recsys.exceptions.PersistenceError`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from recsys.exceptions import PersistenceError
from recsys.io.atomic import atomic_path

__all__ = ["write_file", "read_file", "registered", "FORMAT"]

FORMAT = 2
_MANIFEST = "__manifest__"
#: any model file may expand to this many times its size, or to MIN_EXPANDED_BYTES ...
MAX_EXPANSION = 64
MIN_EXPANDED_BYTES = 64 * 2**20
#: ... and beyond that, each array to what the model's shape allows: an id map (the only
#: arrays whose length sets the others') to this many times its own compressed size (real id
#: maps deflate 2-30x; a run of zeros 1,000x), every other array to STRUCTURE_BYTES bytes per
#: cell of a (users + items + 1) x (items + STRUCTURE_COLUMNS) table (a dense item x item
#: matrix, user x item cells, factors of up to STRUCTURE_COLUMNS columns all fit)
MAX_ID_EXPANSION = 256
STRUCTURE_BYTES = 8
STRUCTURE_COLUMNS = 4096
#: a numpy array header is a few hundred bytes; this bounds one with long shapes too
_MAX_HEADER = 64 * 2**10
#: the manifest is a small JSON text: at most this many bytes and levels of nesting
MAX_MANIFEST_BYTES = 8 * 2**20
MAX_MANIFEST_DEPTH = 32


#: the environment variable holding the key that signs saved and checks loaded model files
KEY_VARIABLE = "RECSYS_MODEL_KEY"


def write_file(path: str | os.PathLike, manifest: Mapping[str, Any],
               arrays: Mapping[str, np.ndarray], *, key: bytes | None = None) -> Path:
    """Write ``manifest`` (with the arrays' dtypes and shapes, the SHA-256 of it all and, with
    a ``key``, its signature added) and ``arrays`` to ``path``, whole or not at all. What
    :func:`~recsys.models.files.save` writes with.

    Parameters
    ----------
    path : str or os.PathLike
        The file, written as named (atomically: the old file or the new one, never a part).
    manifest : dict
        ``format``, ``model`` (a registry name), ``params``, ``meta``...: JSON values only.
    arrays : dict of numpy.ndarray
        The model's arrays (no object dtype: numpy refuses to write one without pickle).
    key : bytes, optional
        Signs the file (HMAC-SHA-256) so a loader holding the key refuses any other.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    DataError
        When ``path``'s folder does not exist or cannot be written to.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "demo.npz")
    >>> _ = write_file(path, {"format": FORMAT, "model": "Demo", "params": {}},
    ...                {"x": np.arange(3)})
    >>> manifest, arrays = read_file(path, {"Demo": object})
    >>> manifest["model"], arrays["x"].tolist()
    ('Demo', [0, 1, 2])
    """
    manifest = {name: value for name, value in manifest.items() if name not in _SEALS}
    manifest["arrays"] = {name: [np.asarray(value).dtype.str, list(np.shape(value))]
                          for name, value in arrays.items()}
    manifest["sha256"] = _digest(manifest, arrays)
    if key is not None:
        manifest["signature"] = _signature(key, manifest["sha256"])
    path = Path(path)
    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        _savez(handle, {_MANIFEST: np.array(json.dumps(manifest)), **arrays})
    return path


def _savez(handle, arrays: Mapping[str, np.ndarray]) -> None:
    """``np.savez_compressed`` at zlib level 1 instead of 6: an AssociationRules model of FIMI
    retail (its 908,576 kept purchases) saves in 0.08 s instead of 0.37 s, 2.9 MiB instead of
    2.6; ``np.load`` reads both."""
    with zipfile.ZipFile(handle, mode="w", compression=zipfile.ZIP_DEFLATED, allowZip64=True,
                         compresslevel=1) as archive:
        for name, value in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)


#: manifest fields written last, over the rest: outside what the digest covers
_SEALS = ("sha256", "signature")


def signing_key(key: str | bytes | None) -> bytes | None:
    """The signing key: the one given, else the environment's, else None."""
    if key is None:
        key = os.environ.get(KEY_VARIABLE) or None
    if key is None:
        return None
    if isinstance(key, str):
        key = key.encode()
    if not isinstance(key, bytes) or len(key) < 16:
        raise PersistenceError(f"a model-file key must be text or bytes of at least 16 "
                               f"characters (from key= or ${KEY_VARIABLE}).")
    return key


def _signature(key: bytes, digest: str) -> str:
    """HMAC-SHA256 under ``key`` of the file's digest (itself over every byte of content)."""
    return hmac.new(key, digest.encode(), hashlib.sha256).hexdigest()


def check_signature(manifest: Mapping[str, Any], key: bytes | None, where: str) -> None:
    if key is None:
        return
    given = manifest.get("signature")
    if not isinstance(given, str):
        raise PersistenceError(f"{where} is not signed, and a key was given (key= or "
                               f"${KEY_VARIABLE}): refusing an unsigned model file.")
    if not hmac.compare_digest(given, _signature(key, str(manifest.get("sha256")))):
        raise PersistenceError(f"{where} was signed with another key: refusing it. Save it "
                               f"again with this key.")


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


def read_file(path: str | os.PathLike,
              models: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The checked manifest and arrays of a model file: the zip directory first (every
    member a declared array, sizes bounded before anything is decompressed), then the
    manifest (bounded size and depth), each array's header against its declaration, and the
    digest over the manifest and every array.

    Parameters
    ----------
    path : str or os.PathLike
        The model file.
    models : dict
        The classes a file may name (the registry): any other name is refused.

    Returns
    -------
    tuple of (dict, dict of numpy.ndarray)
        The manifest and the arrays.

    Raises
    ------
    PersistenceError
        When the file is missing, not a model file, altered, truncated, from another format,
        too large for its declared shapes, holds pickled objects or names a class outside
        ``models`` (each saying which).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "demo.npz")
    >>> _ = write_file(path, {"format": FORMAT, "model": "Demo", "params": {}},
    ...                {"x": np.arange(3)})
    >>> sorted(read_file(path, {"Demo": object})[0])
    ['arrays', 'format', 'model', 'params', 'sha256']
    >>> read_file(path, {})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    recsys.exceptions.PersistenceError: ... names model class 'Demo', which is not a recsys model ...
    """
    where = str(path)
    if not os.path.isfile(where):
        raise PersistenceError(f"no model file at {where!r}.")
    _check_archive(where)
    try:
        with zipfile.ZipFile(where) as archive:
            members = _members(archive, where)
            manifest = _manifest(archive, members, models, where)
            by_shape = _check_expansion(members, manifest["arrays"], where)
            arrays = {}
            for name in sorted(manifest["arrays"], key=lambda name: not _is_id_map(name)):
                arrays[name] = _array(archive, members[name], manifest["arrays"][name], where)
                if by_shape and _is_id_map(name):  # its length bounds the arrays read next
                    _check_ids_rise(arrays[name], name, where)
    except PersistenceError:
        raise
    except Exception as exc:  # whatever a crafted file makes a reader raise (zip, zlib,
        # numpy's header parser: SyntaxError, tokenize errors...) is one refusal
        raise PersistenceError(
            f"{where} is damaged, truncated or not a recsys model file ({exc})."
        ) from None
    if manifest.get("sha256") != _digest(manifest, arrays):
        raise PersistenceError(
            f"{where}: checksum mismatch; the file was altered after saving. "
            f"Re-save the model from its source."
        )
    return manifest, arrays


def _members(archive: zipfile.ZipFile, where: str) -> dict[str, zipfile.ZipInfo]:
    """The archive's ``.npy`` members by array name (each one once, the manifest among them)."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy") or info.filename[:-4] in members:
            raise PersistenceError(f"{where} is not a recsys model file: it holds "
                                   f"{info.filename!r}, which no model file holds.")
        members[info.filename[:-4]] = info
    if _MANIFEST not in members:
        raise PersistenceError(f"{where} is not a recsys model file (no {_MANIFEST}); save "
                               f"models with model.save(path).")
    return members


def _check_expansion(members: Mapping[str, zipfile.ZipInfo], declared: Mapping[str, Any],
                     where: str) -> bool:
    """Refuse, before anything but the manifest is decompressed, a file whose arrays would
    expand beyond what their declared shapes and the model's id maps allow.

    A compression ratio alone cannot tell a zip bomb from a real model (a dense item x item
    matrix of a long-tail catalogue deflates 100x and more), so the bound comes from the
    declarations: each member must hold exactly its declared dtype and shape; the id maps,
    whose lengths set every other array's, may not deflate beyond MAX_ID_EXPANSION; every other
    array must fit the table their lengths allow; and the whole must fit this machine's memory.
    Returns whether the bound came from the shapes (then the id maps, read first, must be
    sorted and unique before anything else is read).
    """
    sizes = {name: _declared_bytes(spec, name, where) for name, spec in declared.items()}
    for name, size in sizes.items():
        if not size <= members[name].file_size <= size + _MAX_HEADER:
            raise PersistenceError(f"{where}: array {name!r} does not hold the bytes its "
                                   f"declaration says (a damaged or altered file).")
    expanded = sum(sizes.values())
    if expanded <= max(MAX_EXPANSION * os.path.getsize(where), MIN_EXPANDED_BYTES):
        return False
    lengths = {"users": 0, "items": 0}
    for name, spec in declared.items():
        kind = name.rsplit("/", 1)[-1]
        if _is_id_map(name):
            info = members[name]
            if info.file_size > max(MAX_ID_EXPANSION * info.compress_size, 2**20):
                raise _too_large(where, expanded, f"its id map {name!r} deflates "
                                 f"{info.file_size / max(info.compress_size, 1):,.0f}x, "
                                 f"more than ids do")
            lengths[kind] = max(lengths[kind], int(spec[1][0]) if spec[1] else 0)
    cells = (lengths["users"] + lengths["items"] + 1) * (lengths["items"] + STRUCTURE_COLUMNS)
    for name, size in sizes.items():
        if not _is_id_map(name) and size > STRUCTURE_BYTES * cells:
            raise _too_large(where, expanded, f"its array {name!r} alone ({size / 2**20:,.0f} "
                             f"MiB) is larger than a model of {lengths['users']:,} customers "
                             f"and {lengths['items']:,} products holds")
    memory = _physical_memory()
    if memory is not None and expanded > memory:
        raise _too_large(where, expanded, f"more than this machine's memory "
                         f"({memory / 2**30:,.1f} GiB)")
    return True


def _is_id_map(name: str) -> bool:
    """Whether array ``name`` is a model's (or a component's) customer or product ids."""
    return name.rsplit("/", 1)[-1] in ("users", "items")


def _check_ids_rise(ids: np.ndarray, name: str, where: str) -> None:
    if ids.ndim != 1 or (len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1]))):
        raise PersistenceError(f"{where}: its id map {name!r} is not sorted unique ids (a "
                               f"damaged or crafted file). Re-save the model from its source.")


def _declared_bytes(spec: Any, name: str, where: str) -> int:
    """The bytes of an array the manifest declares as ``[dtype, shape]``."""
    try:
        dtype_text, shape = spec
        dtype = np.dtype(dtype_text)
        if dtype.hasobject or not isinstance(shape, list) or not all(
                type(n) is int and n >= 0 for n in shape) or len(shape) > 32:
            raise ValueError(name)
    except (TypeError, ValueError):
        raise PersistenceError(f"{where}: the manifest's declaration of array {name!r} is not "
                               f"a dtype and a shape (a damaged or altered file).") from None
    return int(np.prod(shape, dtype=object)) * dtype.itemsize


def _too_large(where: str, expanded: int, why: str) -> PersistenceError:
    return PersistenceError(
        f"{where} would expand to {expanded / 2**20:,.0f} MiB from "
        f"{os.path.getsize(where) / 2**20:,.1f} MiB, and {why}; refusing to decompress it "
        f"(a damaged or crafted file). Re-save the model from its source.")


def _physical_memory() -> int | None:
    """This machine's memory in bytes, where the system says."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _manifest(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo],
              models: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The manifest, read before any array: small, shallow JSON naming a registered model in
    this format, and declaring exactly the arrays the archive holds."""
    if members[_MANIFEST].file_size > MAX_MANIFEST_BYTES:
        raise PersistenceError(f"{where}: the manifest is larger than a manifest can be.")
    raw = _array(archive, members[_MANIFEST], None, where)
    if raw.dtype.kind != "U" or raw.ndim != 0:
        raise PersistenceError(f"{where}: the manifest is not a JSON text.")
    try:
        manifest = json.loads(str(raw[()]))
    except (ValueError, RecursionError):
        raise PersistenceError(f"{where}: the manifest is not valid JSON.") from None
    if not isinstance(manifest, dict) or _depth(manifest) > MAX_MANIFEST_DEPTH:
        raise PersistenceError(f"{where}: the manifest is not a JSON object of a model file.")
    if manifest.get("format") != FORMAT:
        raise PersistenceError(
            f"{where} has model format {manifest.get('format')!r}; this recsys reads format "
            f"{FORMAT}. Re-save the model with this version."
        )
    registered(manifest.get("model"), models, where)
    declared = manifest.get("arrays")
    if not isinstance(declared, dict) or set(declared) != set(members) - {_MANIFEST}:
        raise PersistenceError(f"{where}: the arrays in the file are not the ones its manifest "
                               f"declares (a damaged or altered file).")
    return manifest


def _array(archive: zipfile.ZipFile, info: zipfile.ZipInfo, declared: Any,
           where: str) -> np.ndarray:
    """One member, read only after its header matches its declaration (dtype and shape) and
    the bytes the zip directory says it holds: never an allocation a header merely asks for."""
    with archive.open(info) as handle:
        version = np.lib.format.read_magic(handle)
        if version not in ((1, 0), (2, 0)):
            raise PersistenceError(f"{where}: array {info.filename!r} has an unknown layout.")
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, _fortran, dtype = read_header(handle)
        if dtype.hasobject:
            raise PersistenceError(
                f"{where} holds a pickled object array; recsys model files never do, and "
                f"loading it could run code. Refusing to load it.")
        nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if declared is not None and [dtype.str, list(shape)] != declared:
            raise PersistenceError(f"{where}: array {info.filename!r} is not what the manifest "
                                   f"declares (a damaged or altered file).")
        if handle.tell() + nbytes != info.file_size:
            raise PersistenceError(f"{where}: array {info.filename!r} does not hold the bytes "
                                   f"its header declares (a damaged or altered file).")
    with archive.open(info) as handle:
        return np.lib.format.read_array(handle, allow_pickle=False)


def _depth(value: Any, level: int = 1) -> int:
    """How deeply ``value`` (parsed JSON) nests (stops counting past the limit)."""
    if level > MAX_MANIFEST_DEPTH or not isinstance(value, (dict, list)):
        return level
    children = value.values() if isinstance(value, dict) else value
    return max((_depth(child, level + 1) for child in children), default=level)


def registered(name: Any, models: Mapping[str, Any], where: str) -> Any:
    """The class ``models`` (the registry) holds under ``name``, or a PersistenceError: a file
    never makes recsys build anything else.

    Parameters
    ----------
    name : object
        The class name a file (or a command line) gave.
    models : dict
        The registry.
    where : str
        Where the name came from, for the message.

    Returns
    -------
    type
        The registered class.

    Raises
    ------
    PersistenceError
        When ``name`` is not a string the registry holds.

    Examples
    --------
    >>> from recsys.models.registry import REGISTRY
    >>> registered("EASE", REGISTRY, "m.npz").__name__
    'EASE'
    >>> registered("os.system", REGISTRY, "m.npz")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    recsys.exceptions.PersistenceError: m.npz names model class 'os.system', which is not a recsys model ...
    """
    if not isinstance(name, str) or name not in models:
        raise PersistenceError(
            f"{where} names model class {name!r}, which is not a recsys model "
            f"(known: {', '.join(sorted(models))}). Refusing to build it."
        )
    return models[name]


def _digest(manifest: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> str:
    """SHA-256 over the manifest (all of it but the digest itself) and every array, so that
    neither a parameter nor the model's class can change without the digest."""
    h = hashlib.sha256()
    head = {key: value for key, value in manifest.items() if key not in _SEALS}
    h.update(json.dumps(head, sort_keys=True, allow_nan=True).encode())
    for key in sorted(arrays):
        value = np.ascontiguousarray(arrays[key])
        h.update(f"{key}|{value.dtype.str}|{value.shape}|".encode())
        h.update(value.tobytes())
    return h.hexdigest()


def encode_params(params: Mapping[str, Any], owner: str) -> dict[str, Any]:
    return {key: _encode_value(value, f"{owner}.{key}") for key, value in params.items()}


def _encode_value(value: Any, where: str) -> Any:
    if hasattr(value, "get_params") and not isinstance(value, type):
        return {"__model__": type(value).__name__,
                "params": encode_params(value.get_params(deep=False), where)}
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


def decode_params(params: Mapping[str, Any], models: Mapping[str, Any],
                  where: str) -> dict[str, Any]:
    """Parameters as the manifest stores them, decoded; a model among them (a Hybrid's
    component) is built from ``models`` (the registry) only."""
    return {key: _decode_value(value, models, where) for key, value in params.items()}


def _decode_value(value: Any, models: Mapping[str, Any], where: str) -> Any:
    if isinstance(value, dict) and "__model__" in value:
        cls = registered(value["__model__"], models, where)
        return cls(**decode_params(value.get("params", {}), models, where))
    if isinstance(value, list):
        decoded = [_decode_value(v, models, where) for v in value]
        # (name, model) pairs were tuples before JSON
        if all(isinstance(v, list) and len(v) == 2 and isinstance(v[0], str)
               and hasattr(v[1], "get_params") for v in decoded):
            return [tuple(v) for v in decoded]
        return decoded
    if isinstance(value, dict):
        return {k: _decode_value(v, models, where) for k, v in value.items()}
    return value


def check_json(entry: Any, owner: str) -> None:
    try:
        json.dumps(entry, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise PersistenceError(f"{owner}: its state cannot be written as JSON ({exc}).") from None

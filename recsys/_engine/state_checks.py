"""Structural checks of a fitted state read from a model file, before a model is published.

A checksum only says the bytes are the ones written; anyone can write a file and its
checksum. So every array a model loads is checked for what the model's code relies on:
its dtype, its shape against the id maps, index ranges, a monotone ``indptr``, finite
values. A file that fails raises :class:`~recsys.exceptions.PersistenceError` naming the
array; one that passes cannot crash scipy or numpy nor make the model index out of range.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recsys.exceptions import PersistenceError

__all__ = ["vector", "matrix", "csr_from", "index_values", "within", "positive_number"]


def _refuse(name: str, expected: str, got: str) -> PersistenceError:
    return PersistenceError(
        f"model file: array {name!r} should be {expected}, but is {got} (a damaged or altered "
        f"file). Re-save the model from its source.")


def _dtype(values: np.ndarray, name: str, kinds: str) -> None:
    words = {"f": "floats", "i": "integers", "u": "integers", "U": "text", "b": "booleans"}
    if values.dtype.kind not in kinds:
        wanted = " or ".join(sorted({words[k] for k in kinds}))
        raise _refuse(name, wanted, f"of dtype {values.dtype}")


def _finite(values: np.ndarray, name: str) -> None:
    if values.dtype.kind == "f" and values.size and not np.isfinite(values).all():
        raise _refuse(name, "finite numbers", "holding NaN or infinity")


def vector(values: np.ndarray, name: str, length: int | None = None, kinds: str = "f",
           finite: bool = True) -> np.ndarray:
    """A 1-D array of ``kinds`` (numpy dtype kinds), of ``length`` when given."""
    values = np.asarray(values)
    _dtype(values, name, kinds)
    if values.ndim != 1 or (length is not None and len(values) != length):
        raise _refuse(name, f"a vector of {length if length is not None else 'any'} entries",
                      f"of shape {values.shape}")
    if finite:
        _finite(values, name)
    return values


def matrix(values: np.ndarray, name: str, rows: int | None = None, cols: int | None = None,
           kinds: str = "f", finite: bool = True) -> np.ndarray:
    """A 2-D array of ``kinds``, ``rows`` x ``cols`` where given."""
    values = np.asarray(values)
    _dtype(values, name, kinds)
    if values.ndim != 2 or (rows is not None and values.shape[0] != rows) or (
            cols is not None and values.shape[1] != cols):
        want = f"{rows if rows is not None else 'n'} x {cols if cols is not None else 'm'}"
        raise _refuse(name, f"a {want} matrix", f"of shape {values.shape}")
    if finite:
        _finite(values, name)
    return values


def index_values(values: np.ndarray, name: str, high: int, low: int = 0) -> np.ndarray:
    """Integer indices in ``low .. high - 1`` (``low=-1`` allows the -1 padding)."""
    values = np.asarray(values)
    _dtype(values, name, "iu")
    if values.size and (values.min() < low or values.max() >= high):
        raise _refuse(name, f"indices in {low}..{high - 1}",
                      f"holding {values.min()}..{values.max()}")
    return values


def within(values: np.ndarray, name: str, low: float, high: float) -> np.ndarray:
    """Numbers in ``low .. high`` (inclusive)."""
    if values.size and (values.min() < low or values.max() > high):
        raise _refuse(name, f"numbers in {low}..{high}",
                      f"holding {values.min()}..{values.max()}")
    return values


def csr_from(arrays, prefix: str, shape: tuple[int, int], finite: bool = True) -> sp.csr_matrix:
    """The CSR matrix stored as ``{prefix}data``, ``{prefix}indices``, ``{prefix}indptr``,
    checked so that scipy never reads outside its arrays: ``indptr`` of ``rows + 1`` entries
    from 0, never decreasing, ending at the number of cells; column indices in range."""
    rows, cols = shape
    data = vector(arrays[f"{prefix}data"], f"{prefix}data", None, "f", finite)
    indptr = vector(arrays[f"{prefix}indptr"], f"{prefix}indptr", rows + 1, "iu", False)
    indices = vector(arrays[f"{prefix}indices"], f"{prefix}indices", len(data), "iu", False)
    if indptr[0] != 0 or indptr[-1] != len(data) or (np.diff(indptr.astype(np.int64)) < 0).any():
        raise _refuse(f"{prefix}indptr", f"row offsets rising from 0 to {len(data)}",
                      "out of order")
    index_values(indices, f"{prefix}indices", cols)
    return sp.csr_matrix((data, indices, indptr), shape=shape)


def positive_number(meta, key: str, fallback: object, allow_zero: bool = False) -> float:
    """The finite number > 0 (>= 0 with ``allow_zero``) stored as ``key`` in a file's facts;
    ``fallback`` when the file has none (written before the fact existed) and is such a
    number."""
    value = meta.get(key, fallback)
    if key not in meta and isinstance(value, str):
        raise PersistenceError(
            f"model file: it does not hold {key!r}, the value the fit read from the data for "
            f"{key}={value!r}. Pass {key}= a number when building a model from a state, or "
            f"re-save the model from its source.")
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise PersistenceError(
            f"model file: {key!r} should be a finite number {bound}, but is {value!r} (a "
            f"damaged or altered file). Re-save the model from its source.")
    return float(value)

"""Reading input files: what goes wrong on the way in becomes a DataError naming the file."""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd

from recsys.exceptions import DataError, RecsysError

__all__ = ["reading"]


@contextmanager
def reading(path: str | os.PathLike, what: str) -> Iterator[None]:
    """Run a read of ``path`` (``what`` it should hold, e.g. ``"an orders table"``); the
    reader's own exceptions (a folder, a truncated or fake ``.gz``, bytes that are not text,
    an empty file, lines with too many fields) leave as a :class:`DataError` that names the
    file, what was expected and what came.

    Parameters
    ----------
    path : str or os.PathLike
        The file read inside the block.
    what : str
        What it should hold, as the message says it (``"an orders table"``).

    Yields
    ------
    None
        The block runs as it is; only its exceptions change.

    Raises
    ------
    DataError
        For any exception of the block other than a :class:`RecsysError` (those pass
        through as they are).

    Examples
    --------
    >>> with reading("missing.csv", "an orders table"):  # doctest: +ELLIPSIS
    ...     open("missing.csv")
    Traceback (most recent call last):
    recsys.exceptions.DataError: 'missing.csv' could not be read as an orders table: ...
    """
    try:
        yield
    except RecsysError:
        raise
    except Exception as exc:  # every reader error: named below, else with its own words
        raise DataError(f"{str(path)!r} could not be read as {what}: {_why(exc)}") from None


def _why(exc: Exception) -> str:
    """What went wrong, in a user's words, and the fix."""

    if isinstance(exc, IsADirectoryError):
        return "it is a folder, not a file. Give the file inside it."
    if isinstance(exc, FileNotFoundError):
        return "no such file. Check the path."
    if isinstance(exc, PermissionError):
        return "permission denied. Check that the file is readable."
    if isinstance(exc, gzip.BadGzipFile):
        return "its name ends in .gz but it is not gzip-compressed. Rename or re-compress it."
    if isinstance(exc, (EOFError, zlib.error)):
        return "the compressed data ends early or is damaged (a cut download?). Fetch it again."
    if isinstance(exc, UnicodeDecodeError):
        return ("it holds bytes that are not UTF-8 text (a binary file, or another encoding). "
                "Save it as UTF-8 text.")
    if isinstance(exc, pd.errors.EmptyDataError):
        return "the file is empty. Give a file with a header line and rows."
    if isinstance(exc, pd.errors.ParserError):
        return (f"its lines do not split into the same columns ({exc}). Check the delimiter "
                f"(--sep on the command line) and quoting.")
    return f"{type(exc).__name__}: {exc}. Check the file's format."

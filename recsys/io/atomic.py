"""Output files that appear whole or not at all.

A batch output (picks for a mailing, a rules table, a report) is written to a temporary file
beside its target and renamed over it only when complete: a failed, interrupted or killed run
leaves the previous file byte-identical, never a shorter file that reads cleanly.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from recsys.exceptions import DataError

__all__ = ["atomic_path", "temporary_beside", "publish", "discard", "discard_pending"]

#: temporary files created and neither published nor discarded yet: what an interrupted
#: command removes on its way out, wherever the interruption landed (even between the file's
#: creation and the code that would clean it up)
_PENDING: set[str] = set()


def temporary_beside(target: str | os.PathLike) -> Path:
    """A new empty temporary file in ``target``'s folder (the rename stays on one disk),
    readable and writable by its owner only (mode 0600: outputs hold personal data). A folder
    that does not exist is an error: a mistyped path never creates folders.

    The file is pending until :func:`publish` or :func:`discard` (:func:`discard_pending`
    removes what an interrupted command left).

    Parameters
    ----------
    target : str or os.PathLike
        The file the temporary will become.

    Returns
    -------
    pathlib.Path
        The temporary file, hidden (``.name.<random>.part``) beside ``target``.

    Raises
    ------
    DataError
        When ``target``'s folder does not exist or cannot be written to.

    Examples
    --------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "picks.csv")
    >>> temporary = temporary_beside(target)
    >>> temporary.parent == __import__("pathlib").Path(target).parent, oct(temporary.stat().st_mode)[-3:]
    (True, '600')
    >>> discard(temporary)
    """
    target = Path(target)
    folder = target.parent
    if not folder.is_dir():
        what = "is a file" if folder.exists() else "does not exist"
        raise DataError(f"cannot write {str(target)!r}: its folder {str(folder)!r} {what}. "
                        f"Create the folder first (mkdir -p), or check the path.")
    for _ in range(100):  # a name taken by another run: draw again
        name = str(folder / f".{target.name}.{secrets.token_hex(6)}.part")
        # registered before it exists: an interruption landing anywhere after the file's
        # creation (even inside the call that creates it) finds it in the pending set
        _PENDING.add(name)
        try:
            handle = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            _PENDING.discard(name)
            continue
        except OSError as exc:
            _PENDING.discard(name)
            raise DataError(f"cannot write {str(target)!r}: {exc.strerror or exc}. Check that "
                            f"its folder can be created and written to.") from None
        os.close(handle)
        return Path(name)
    raise DataError(f"cannot write {str(target)!r}: no free temporary name in its folder.")


def publish(temporary: Path, target: str | os.PathLike) -> None:
    """Move the finished ``temporary`` over ``target`` in one step.

    Parameters
    ----------
    temporary : pathlib.Path
        What :func:`temporary_beside` gave, written in full.
    target : str or os.PathLike
        The file it replaces (a reader sees the old file or the new one, never a part).

    Raises
    ------
    DataError
        When the rename fails (the temporary is removed).

    Examples
    --------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "picks.csv")
    >>> temporary = temporary_beside(target)
    >>> _ = temporary.write_text("customer_id,product_id")
    >>> publish(temporary, target)
    >>> open(target).read(), temporary.exists()
    ('customer_id,product_id', False)
    """
    try:
        os.replace(temporary, target)
    except OSError as exc:
        discard(temporary)
        raise DataError(f"cannot write {str(target)!r}: {exc.strerror or exc}.") from None
    _PENDING.discard(str(temporary))


def discard(temporary: Path) -> None:
    """Remove an unfinished temporary file (gone already is fine).

    Parameters
    ----------
    temporary : pathlib.Path
        What :func:`temporary_beside` gave.

    Examples
    --------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "picks.csv")
    >>> temporary = temporary_beside(target)
    >>> discard(temporary)
    >>> temporary.exists(), os.path.exists(target)
    (False, False)
    """
    with suppress(FileNotFoundError):
        os.unlink(temporary)
    _PENDING.discard(str(temporary))


def discard_pending() -> None:
    """Remove every temporary file not yet published or discarded (the command line calls
    this when a command is interrupted or terminated).

    Examples
    --------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "picks.csv")
    >>> temporary = temporary_beside(target)
    >>> discard_pending()
    >>> temporary.exists()
    False
    """
    for name in list(_PENDING):
        discard(Path(name))


@contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """A temporary path to write ``target`` to: renamed over it when the block ends normally,
    removed when it raises (an error, Ctrl-C, or the command line's SIGTERM handler).

    Parameters
    ----------
    target : str or os.PathLike
        The file to write.

    Yields
    ------
    pathlib.Path
        The temporary file to write to (it exists, empty).

    Raises
    ------
    DataError
        When ``target``'s folder does not exist or cannot be written to.

    Examples
    --------
    >>> import tempfile, os
    >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> open(target).read()
    'done'
    """
    temporary = temporary_beside(target)
    try:
        yield temporary
    except BaseException:
        discard(temporary)
        raise
    publish(temporary, target)

"""The models a service answers with, each read from its file and replaced when the file is:
a new file is loaded and checked aside, then swapped in in one assignment, so a request sees
the old model or the new one, never half of either; a file that fails to load (damaged,
unsigned while a key is set) leaves the old model serving and is counted."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recsys.exceptions import RecsysError
from recsys.models.files import load

__all__ = ["Loaded", "ModelSlot"]

log = logging.getLogger("recsys.service")


@dataclass(frozen=True)
class Loaded:
    """One loaded model and what identifies it: ``version`` (the first 12 hex digits of the
    file's SHA-256 as recorded in its manifest-checked bytes) and the file's stat.

    Parameters
    ----------
    model : Recommender
    version : str
    stat : tuple of (inode, size, mtime_ns)

    Examples
    --------
    >>> Loaded(model=None, version="0123456789ab", stat=(1, 2, 3)).version
    '0123456789ab'
    """

    model: Any
    version: str
    stat: tuple[int, int, int]


def _stat(path: Path) -> tuple[int, int, int]:
    info = path.stat()
    return info.st_ino, info.st_size, info.st_mtime_ns


def _version(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


class ModelSlot:
    """A named model file, loaded, and reloaded by :meth:`refresh` when the file changes.

    Parameters
    ----------
    name : str
    path : str or path
        A model file :func:`recsys.save` wrote.
    key : str or bytes, optional
        The signing key files must carry (default: ``RECSYS_MODEL_KEY``).

    Examples
    --------
    >>> import os, tempfile, recsys
    >>> path = os.path.join(tempfile.mkdtemp(), "pop.npz")
    >>> _ = recsys.Popularity().fit(recsys.make_shop(n_customers=50, n_products=10).interactions).save(path)
    >>> slot = ModelSlot("default", path)
    >>> slot.refresh(), len(slot.current.version)
    (False, 12)
    """

    def __init__(self, name: str, path: str | os.PathLike, key: str | bytes | None = None):
        self.name = name
        self.path = Path(path)
        self.key = key
        self.failed_reloads = 0
        self.reloads = 0
        self._refused: tuple[int, int, int] | None = None  # a bad file is tried once
        self._lock = threading.Lock()  # one reload at a time; reading needs no lock
        self.current = self._load()

    def _load(self) -> Loaded:
        """The file loaded, with the version of the very bytes loaded: a file replaced while
        it was read (a new inode: recsys replaces files atomically) is read again."""
        for _ in range(5):
            stat = _stat(self.path)
            model = load(self.path, key=self.key)
            version = _version(self.path)
            if _stat(self.path) == stat:
                return Loaded(model, version, stat)
        raise RecsysError(f"{self.path} kept changing while it was read; try again when the "
                          f"writer is done.")

    def refresh(self) -> bool:
        """Load the file again when it changed since it was loaded; True when swapped. A file
        that does not load leaves the current model in place (counted in
        ``failed_reloads``, logged without any customer id)."""
        with self._lock:
            try:
                stat = _stat(self.path)
                if stat in (self.current.stat, self._refused):
                    return False
                fresh = self._load()
            except (OSError, RecsysError) as exc:
                self.failed_reloads += 1
                self._refused = _stat(self.path) if self.path.exists() else None
                log.warning("model %r: %s is not loaded (%s); the previous model keeps serving",
                            self.name, self.path, str(exc).splitlines()[0])
                return False
            self.current = fresh  # one assignment: requests see the old model or the new one
            self.reloads += 1
            log.info("model %r: version %s loaded from %s", self.name, fresh.version, self.path)
            return True

"""Thread limits for BLAS around fits only, through one controller built once.

implicit parallelises over users itself and asks for a single-threaded BLAS underneath (it
warns at model creation otherwise). Limiting BLAS is process-wide while it holds, so recsys
takes the limit only around fits (batch work, seconds to hours), never around scoring: a
``recommend`` call leaves every thread's BLAS settings alone. threadpoolctl enumerates the
process's native libraries when a controller is built (about 1.4 ms), so the controller is
built once, on the first fit, after implicit and scipy have loaded their libraries.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Iterator

from recsys._engine.libraries import implicit_cpu

_LOCK = threading.Lock()
_CONTROLLER = None


def _controller():
    global _CONTROLLER
    with _LOCK:
        if _CONTROLLER is None:
            implicit_cpu()  # its native libraries first
            # threadpoolctl after implicit's native libraries, once a process
            from threadpoolctl import ThreadpoolController

            _CONTROLLER = ThreadpoolController()
        return _CONTROLLER


@contextlib.contextmanager
def fit_threads(limit: int = 1) -> Iterator[None]:
    """BLAS limited to ``limit`` threads for the duration of a fit (0: no limit). implicit's
    fits take 1: its own threads do the work."""
    if limit and limit > 0:
        with _controller().limit(limits=limit, user_api="blas"):
            yield
    else:
        yield


@contextlib.contextmanager
def batch_threads() -> Iterator[None]:
    """One BLAS thread for a batch job in a process the caller owns (the ``recsys`` command
    line): implicit's own thread pool then parallelises its top-k, selection included, which
    for large catalogues beats BLAS-parallel products run one batch at a time (1,000,000
    customers x 50,000 products: 94 s against 124 s). Library calls never take it."""
    with fit_threads(1):
        yield


@contextlib.contextmanager
def quiet_implicit_fit() -> Iterator[None]:
    """implicit's item-kNN fit hands its own kernel a COO matrix and then warns about it; the
    warning is implicit's internal business, silenced for the fit only."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Method expects CSR input")
        yield


def blas_is_parallel() -> bool:
    """Whether BLAS runs several threads right now (read through the stored controller: a few
    microseconds, nothing changed)."""
    return any(info["num_threads"] > 1 for info in _controller().select(user_api="blas").info())


def scoring_threads(n_queries: int, requested: int) -> int:
    """Threads for implicit's top-k over ``n_queries``. implicit scores batches of 100 queries
    with a BLAS product each; with a multi-threaded BLAS, its own thread pool on top
    oversubscribes the cores (2x slower measured), so it runs its batches in turn and BLAS
    does the parallel work. Single batches never start a pool: no check needed."""
    if n_queries <= 100 or not blas_is_parallel():
        return requested
    return 1

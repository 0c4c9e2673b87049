"""Thread limits for BLAS and implicit, applied inside our calls only (no process-global change)."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def blas_threads(num_threads: int) -> Iterator[None]:
    """Limit BLAS to ``num_threads`` inside the block (0: leave the library default)."""
    from threadpoolctl import threadpool_limits

    if num_threads and num_threads > 0:
        with threadpool_limits(limits=num_threads, user_api="blas"):
            yield
    else:
        yield


@contextlib.contextmanager
def implicit_call() -> Iterator[None]:
    """Run implicit with single-threaded BLAS, as it asks, and without its BLAS warning.

    implicit parallelises over users itself; a multi-threaded BLAS underneath slows it
    down, and implicit warns about it at model creation. We limit BLAS to one thread
    for the duration of our call, which both answers the warning and keeps the limit
    from leaking into the caller's process.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*BLAS.*threads", category=RuntimeWarning)
        # implicit's own item-kNN hands its kernel a COO matrix and then warns about it
        warnings.filterwarnings("ignore", message="Method expects CSR input")
        yield

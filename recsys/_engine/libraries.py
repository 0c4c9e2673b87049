"""Libraries loaded on first use: implicit's native code and tqdm's progress bars.

Both cost import time a caller may never need: implicit loads its native libraries (about
40 ms) and matters only where a factorisation or implicit's kNN fits or ranks; ``tqdm.auto``
probes for a notebook (about 11 ms) and matters only when progress is shown. Every part of
recsys that needs them asks here, so the deferral and its reason live in one place.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any


@functools.cache
def implicit_cpu() -> SimpleNamespace:
    """implicit's CPU classes and kernels, imported once a process.

    The CPU modules are named directly: ``implicit.als.AlternatingLeastSquares`` may hand back
    the GPU class when one is present.
    """
    # implicit loads its native libraries (40 ms): only where a model fits or ranks with it
    from implicit import nearest_neighbours, recommender_base
    from implicit.cpu import als, bpr, topk  # CPU classes by module (see above)

    return SimpleNamespace(
        AlternatingLeastSquares=als.AlternatingLeastSquares,
        BayesianPersonalizedRanking=bpr.BayesianPersonalizedRanking,
        ModelFitError=recommender_base.ModelFitError,
        nearest_neighbours=nearest_neighbours,
        topk=topk.topk,
    )


def progress_bar(iterable: Any = None, **options: Any) -> Any:
    """A tqdm progress bar over ``iterable`` (``options`` as tqdm takes them), or ``None``
    when tqdm is not installed."""
    try:
        # tqdm.auto probes for a notebook (11 ms): only when progress is shown
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(iterable, **options)

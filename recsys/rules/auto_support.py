"""``min_support="auto"``: a support threshold read from the baskets themselves.

A fixed share suits one shop and fails the next: 0.5% of the baskets is a few hundred pairs
on a shop of large orders, and nothing but best-seller pairs on a grocery whose baskets hold
two or three items (where add-ons then never come). The automatic threshold is the lowest
count of baskets a rule needs that

- is backed by at least :data:`AUTO_MIN_COUNT` baskets (a pair seen in fewer is chance), and
- leaves at most :data:`AUTO_MAX_PAIRS` frequent item pairs (so mining and the rules stay
  small on shops with large baskets and large catalogues).

Pair counts come from the baskets x frequent-items product; on very large data a seeded
sample of the baskets estimates them (the count found is scaled back up).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["AUTO_MIN_COUNT", "AUTO_MAX_PAIRS"]

#: fewest baskets that back a rule under ``min_support="auto"``
AUTO_MIN_COUNT = 10
#: most frequent item pairs ``min_support="auto"`` leaves
AUTO_MAX_PAIRS = 10_000
#: cells of the pair product computed at most (beyond it, a sample of the baskets)
_PAIR_WORK = 20_000_000


def auto_min_count(matrix: sp.csr_matrix, seed: int = 0) -> int:
    """The automatic minimum count of baskets for a binary baskets x items CSR ``matrix``.

    >>> baskets = sp.csr_matrix(np.ones((40, 3)))  # 40 baskets of the same 3 items
    >>> auto_min_count(baskets)
    10
    """
    n = matrix.shape[0]
    counts = np.diff(matrix.tocsc().indptr)
    frequent = matrix[:, np.flatnonzero(counts >= AUTO_MIN_COUNT)].tocsr()
    sizes = np.diff(frequent.indptr).astype(np.float64)
    work = float((sizes * sizes).sum())
    scale = 1.0
    if work > _PAIR_WORK:  # estimate the pair counts on a sample of the baskets
        share = _PAIR_WORK / work
        keep = np.random.default_rng(seed).random(n) < share
        frequent, scale = frequent[np.flatnonzero(keep)], n / max(int(keep.sum()), 1)
    binary = frequent.astype(np.float32)
    binary.data[:] = 1.0
    pairs = sp.triu(binary.T @ binary, k=1).tocsr().data * scale
    if len(pairs) <= AUTO_MAX_PAIRS:
        return AUTO_MIN_COUNT
    # the count of the AUTO_MAX_PAIRS-th most frequent pair, plus one if ties would pass it
    kth = float(np.partition(pairs, len(pairs) - AUTO_MAX_PAIRS)[len(pairs) - AUTO_MAX_PAIRS])
    count = int(np.ceil(kth))
    if (pairs >= count).sum() > AUTO_MAX_PAIRS:
        count += 1
    return max(AUTO_MIN_COUNT, count)

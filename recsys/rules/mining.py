r"""Frequent itemsets and association rules, mined straight from the sparse basket matrix.

:func:`frequent_itemsets` and :func:`association_rules` return DataFrames with
mlxtend's column names and definitions (itemsets as frozensets of your item
ids), so mlxtend users feel at home; ``engine="mlxtend"`` runs mlxtend's
fpgrowth itself, for cross-checks.

How the miner works (level-wise, vectorised with numpy/scipy): the support of
every item is a column count of the baskets x items matrix ``B``; the pairs are
the sparse co-occurrence product :math:`B^T B`. For longer itemsets each
frequent k-itemset keeps its tid-set (the baskets that hold it) as a row of a
sparse matrix :math:`T_k`; the product :math:`T_k B` counts every one-item
extension at once, and the tid-sets of the frequent extensions are built by a
vectorised join of :math:`T_k` with the basket rows. Work is chunked so memory
stays bounded, and mining stops with :class:`~recsys.exceptions.InvalidParameterError`
before it would outgrow ``max_memory``.

Rule measures (:math:`s` = support, the share of baskets; A antecedent, C consequent):

=====================  ==========================================================
antecedent support     :math:`s(A)`
consequent support     :math:`s(C)`
support                :math:`s(A \cup C)`
confidence             :math:`s(A \cup C) / s(A)`
lift                   :math:`\mathrm{confidence} / s(C)`
representativity       1 (no missing values)
leverage               :math:`s(A \cup C) - s(A)s(C)`
conviction             :math:`(1 - s(C)) / (1 - \mathrm{confidence})`; :math:`+\infty` when confidence is 1
zhangs_metric          :math:`\mathrm{leverage} / \max(s(A\cup C)(1-s(A)),\ s(A)(s(C)-s(A\cup C)))`;
                       0 when that maximum is 0
jaccard                :math:`s(A \cup C) / (s(A) + s(C) - s(A \cup C))`
certainty              :math:`(\mathrm{confidence} - s(C)) / (1 - s(C))`; 0 when :math:`s(C) = 1`
kulczynski             :math:`(s(A \cup C)/s(A) + s(A \cup C)/s(C)) / 2`
=====================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys._engine.arrays import locate
from recsys._engine.libraries import progress_bar
from recsys._engine.params import check_choice, check_float, check_int
from recsys.data.dates import DAY_NS
from recsys.data.idmap import IdMap
from recsys.data.ids import clean_ids
from recsys.data.interactions import Interactions
from recsys.exceptions import DataError, InvalidParameterError
from recsys.rules import miner as _miner
from recsys.rules.auto_support import auto_min_count
from recsys.rules.counts import count_itemsets, keys

__all__ = ["frequent_itemsets", "association_rules", "estimate_memory", "RULE_METRICS",
           "Itemsets", "mine"]

RULE_METRICS = ("antecedent support", "consequent support", "support", "confidence", "lift",
                "representativity", "leverage", "conviction", "zhangs_metric", "jaccard",
                "certainty", "kulczynski")

DEFAULT_MAX_MEMORY = 4 * 2**30


# ---------------------------------------------------------------------- input
def basket_matrix(data: Interactions | Sequence[Iterable] | sp.spmatrix) -> tuple[sp.csr_matrix, IdMap]:
    """Binary baskets x items CSR and the item map, from any accepted input.

    Interactions with baskets use them; without baskets each user's history is
    one basket ("users as baskets").
    """
    if isinstance(data, Interactions):
        kind = "basket" if data.basket_index is not None else "user"
        matrix = data.matrix(kind)
        # ones in place of the weights, sharing the (read-only) structure: no copy
        return sp.csr_matrix((np.ones(matrix.nnz, np.float32), matrix.indices, matrix.indptr),
                             shape=matrix.shape), data.items
    if isinstance(data, pd.DataFrame):
        raise DataError(
            "frequent_itemsets takes Interactions or a list of baskets; build Interactions with "
            "Interactions.from_frame(df, user=None, item=..., basket=...)."
        )
    if isinstance(data, (list, tuple)):
        built = Interactions.from_baskets(data)
        return built.matrix("basket"), built.items
    raise DataError(
        f"frequent_itemsets takes Interactions or a list of baskets, got {type(data).__name__}."
    )


def min_count_of(min_support: float | str | None, min_count: int | None,
                 matrix: sp.csr_matrix) -> int:
    """The fewest baskets an itemset needs: ``min_count``, or ``min_support`` as a count (as
    mlxtend compares), or, for ``min_support="auto"``, the count read from the baskets (see
    :mod:`recsys.rules.auto_support`)."""
    if (min_support is None) == (min_count is None):
        raise InvalidParameterError("pass exactly one of min_support= or min_count=.")
    if min_count is not None:
        return check_int("frequent_itemsets", "min_count", min_count, minimum=1)
    if isinstance(min_support, str) and min_support == "auto":
        return auto_min_count(matrix)
    return support_count(min_support, matrix.shape[0])


def support_count(min_support: float, n_baskets: int) -> int:
    """The smallest count c with c / n_baskets >= min_support in float64, as mlxtend
    compares (every engine, local or Spark, mines with this count).

    >>> support_count(0.002, 88162)
    177
    """
    check_float("frequent_itemsets", "min_support", min_support, minimum=0, maximum=1,
                exclusive_min=True)
    count = max(1, int(np.floor(min_support * n_baskets)) - 1)
    while count / n_baskets < min_support:
        count += 1
    return count


# ---------------------------------------------------------------------- mining
@dataclass(frozen=True)
class Itemsets:
    """Frequent itemsets as arrays: ``levels[L-1]`` holds the L-itemsets.

    Each level is ``(members, counts)``: members an (n, L) int32 matrix of item
    indices, rows sorted lexicographically with ascending items; counts the
    number of baskets holding each itemset.

    Parameters
    ----------
    levels : list of (numpy.ndarray, numpy.ndarray)
        Per length, the members and their counts.
    n_baskets : int
        The number of baskets mined.
    items : IdMap
        The item ids of the member indices.

    Examples
    --------
    >>> found = mine(*basket_matrix([["a", "b"], ["a", "b", "c"], ["a", "c"], ["b"]]),
    ...              min_count=2)
    >>> found.n_itemsets, found.levels[1][0].tolist(), found.levels[1][1].tolist()
    (5, [[0, 1], [0, 2]], [2, 2])
    >>> found.count_of(np.array([[0, 1], [1, 2]])).tolist()  # {b, c} is not frequent
    [2, -1]
    """

    levels: list[tuple[np.ndarray, np.ndarray]]
    n_baskets: int
    items: IdMap

    @property
    def n_itemsets(self) -> int:
        return sum(len(c) for _, c in self.levels)

    def count_of(self, members: np.ndarray) -> np.ndarray:
        """Counts of the itemsets in ``members`` ((n, L) sorted rows), -1 where not frequent."""
        length = members.shape[1]
        if length == 0 or length > len(self.levels) or len(members) == 0:
            return np.full(len(members), -1, np.int64)
        table, counts = self.levels[length - 1]
        # the rules ask once per antecedent position: each level's keys are made once
        cache = self.__dict__.setdefault("_table_keys", {})
        if length not in cache:
            cache[length] = keys(table, len(self.items))
        table_keys = cache[length]
        pos, found = locate(table_keys, keys(members, len(self.items)))
        return np.where(found, counts[pos] if len(table_keys) else 0, -1)


def mine(matrix: sp.csr_matrix, items: IdMap, min_count: int, max_len: int | None = None,
         max_memory: int = DEFAULT_MAX_MEMORY, show_progress: bool = False) -> Itemsets:
    """Frequent itemsets of a binary baskets x items CSR matrix, as arrays (see
    :mod:`recsys.rules.miner` for how).

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix
        Baskets x items, any non-zero a member (:func:`basket_matrix` builds it).
    items : IdMap
        The item ids of the columns.
    min_count : int
        The number of baskets an itemset needs.
    max_len : int, optional
        The longest itemsets (default: no limit).
    max_memory : int, optional
        Bytes a level may take before mining stops with an error naming the fix.
    show_progress : bool, default False
        A progress bar over the levels.

    Returns
    -------
    Itemsets
        The frequent itemsets by length.

    Raises
    ------
    InvalidParameterError
        When a level would exceed ``max_memory`` (the message names the fixes).

    Examples
    --------
    >>> found = mine(*basket_matrix([["a", "b"], ["a", "b", "c"], ["a", "c"], ["b"]]),
    ...              min_count=2)
    >>> found.n_baskets, [len(counts) for _, counts in found.levels]
    (4, [3, 2])
    """
    return mine_near(matrix, items, min_count, max_len, max_memory, show_progress)[0]


def mine_near(matrix: sp.csr_matrix, items: IdMap, min_count: int, max_len: int | None = None,
              max_memory: int = DEFAULT_MAX_MEMORY, show_progress: bool = False,
              floor: int | None = None) -> tuple[Itemsets, list[tuple[np.ndarray, np.ndarray]]]:
    """:func:`mine`, and with ``floor`` the near-frequent candidates of each length from 2:
    itemsets the miner counted (without their last or their second-last item they are
    frequent) ``floor`` to ``min_count - 1`` times, as (members, counts) levels sorted like
    :class:`Itemsets` (for updates, :mod:`recsys.rules.incremental`)."""
    n_baskets = matrix.shape[0]
    counts = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.int64)
    frequent = np.flatnonzero(counts >= min_count)
    levels = [(frequent.astype(np.int32)[:, None], counts[frequent])]
    near: list[tuple[np.ndarray, np.ndarray]] = []
    if max_len == 1 or len(frequent) < 2:
        return Itemsets(levels, n_baskets, items), near
    # the most frequent first: an itemset is only extended by items after its last one
    order = frequent[np.argsort(-counts[frequent], kind="stable")]
    baskets, level = _miner.first_level(_ranked(matrix, order), counts[order])
    # what mining holds besides a level's work: the input, the baskets, the itemsets found
    held = matrix.data.nbytes + matrix.indices.nbytes + baskets.nbytes + \
        len(frequent) * (12 + _miner.OUTPUT_BYTES)
    bar = _progress(show_progress)
    while max_len is None or level.members.shape[1] < max_len:
        level = _miner.next_level(level, baskets, min_count, max_memory, floor, held)
        if level is None:
            break
        held += len(level.counts) * (4 * level.members.shape[1] + 8 + _miner.OUTPUT_BYTES)
        if level.near is not None:
            near.append(_item_rows(order[level.near[0]], level.near[1]))
        if len(level.counts) == 0:
            break
        levels.append(_item_rows(order[level.members], level.counts))
        if bar is not None:
            bar.set_postfix_str(f"{level.members.shape[1]}-itemsets: {len(level.counts):,}")
            bar.update(1)
    if bar is not None:
        bar.close()
    return Itemsets(levels, n_baskets, items), near


def _item_rows(members: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Itemsets as item indices: each row ascending, rows in lexicographic order."""
    rows = np.sort(members, axis=1).astype(np.int32)
    keys = np.lexsort(tuple(rows[:, j] for j in range(rows.shape[1] - 1, -1, -1)))
    return rows[keys], counts[keys]


def _ranked(matrix: sp.csr_matrix, order: np.ndarray) -> sp.csr_matrix:
    """The baskets over the items of ``order`` only, column j = ``order[j]``, rows sorted."""
    rank = np.full(matrix.shape[1], -1, np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    ranks = rank[matrix.indices]
    keep = ranks >= 0
    sizes = np.diff(np.r_[0, np.cumsum(keep)][matrix.indptr])
    indptr = np.r_[0, np.cumsum(sizes)]
    out = sp.csr_matrix((np.ones(int(indptr[-1]), np.int8), ranks[keep], indptr),
                        shape=(matrix.shape[0], len(order)))
    out.has_sorted_indices = False
    out.sort_indices()
    return out


def weighted_itemsets(found: Itemsets, matrix: sp.csr_matrix, weights: np.ndarray) -> Itemsets:
    """The same itemsets with each count replaced by the summed ``weights`` of the baskets
    (rows of ``matrix``) that hold it, and ``n_baskets`` by the total weight: decayed support
    counts. Which itemsets are frequent stays decided by the plain counts."""
    weights = np.asarray(weights, np.float64)
    levels = [(members, count_itemsets(matrix, members, weights=weights))
              for members, _ in found.levels]
    return Itemsets(levels, float(weights.sum()), found.items)


def basket_weights(data: Interactions, half_life_days: float) -> np.ndarray:
    """Per row of :func:`basket_matrix` (baskets, or customers without baskets),
    ``2 ** (-age / half_life_days)``, the age of its newest row at the newest of the data."""
    day = data.timestamps.astype(np.int64) / DAY_NS
    rows, n_rows = ((data.basket_index, data.n_baskets) if data.basket_index is not None
                    else (data.user_index, data.n_users))
    newest = np.full(n_rows, -np.inf)
    np.maximum.at(newest, rows, day)
    return np.where(np.isfinite(newest), np.exp2(-(day.max() - newest) / half_life_days), 0.0)


def _progress(show: bool):
    if not show:
        return None
    return progress_bar(desc="mining", unit="level")


def estimate_memory(data, min_support: float | None = None, *, min_count: int | None = None) -> dict:
    """A look before mining: frequent items, an upper bound on item pairs, and bytes.

    Deeper levels are checked exactly as mining reaches them.

    Parameters
    ----------
    data : Interactions, list of baskets or sparse matrix
        What :func:`frequent_itemsets` takes.
    min_support : float, optional
        The share of baskets an itemset needs (or ``min_count``).
    min_count : int, optional
        The number of baskets an itemset needs.

    Returns
    -------
    dict
        ``n_baskets``, ``min_count`` (the threshold as a count), ``frequent_items``,
        ``pair_bound`` (at most this many frequent pairs) and ``pair_bytes`` (their memory).

    Examples
    --------
    >>> estimate_memory([["a", "b"], ["a", "b", "c"], ["c"]], min_support=0.5)["frequent_items"]
    3
    """
    matrix, _ = basket_matrix(data)
    n = matrix.shape[0]
    count = min_count_of(min_support, min_count, matrix)
    counts = np.diff(matrix.tocsc().indptr)
    frequent = np.flatnonzero(counts >= count)
    sizes = np.diff(matrix[:, frequent].tocsr().indptr).astype(np.float64)
    pairs = min(len(frequent) ** 2 / 2, float((sizes * (sizes - 1) / 2).sum()))
    return {"n_baskets": n, "min_count": count, "frequent_items": len(frequent),
            "pair_bound": int(pairs), "pair_bytes": int(pairs * 16)}


# ---------------------------------------------------------------------- public API
def frequent_itemsets(
    data: Interactions | Sequence[Iterable],
    min_support: float | None = None,
    max_len: int | None = None,
    min_count: int | None = None,
    *,
    engine: str = "recsys",
    max_memory: int = DEFAULT_MAX_MEMORY,
    show_progress: bool = False,
) -> pd.DataFrame:
    """Itemsets held by at least ``min_support`` of the baskets.

    Parameters
    ----------
    data : Interactions or list of baskets
        Interactions with a basket column (orders), or without one (each
        user's history is a basket), or a list of lists of item ids.
    min_support : float or "auto"
        Minimum share of baskets, in (0, 1]; an itemset is frequent when
        ``count / n_baskets >= min_support`` (as in mlxtend). ``"auto"``: the lowest count
        backed by 10 baskets that leaves at most 10,000 frequent pairs (see
        :mod:`recsys.rules.auto_support`).
    max_len : int, optional
        Longest itemset to mine (all lengths by default).
    min_count : int, optional
        Instead of ``min_support``: minimum number of baskets.
    engine : {"recsys", "mlxtend"}
        ``"mlxtend"`` runs mlxtend's fpgrowth on a sparse DataFrame (slow; for cross-checks).
    max_memory : int
        Bytes mining may use before it stops with ``InvalidParameterError``.
    show_progress : bool

    Returns
    -------
    pandas.DataFrame
        ``support``, ``itemsets`` (frozensets of item ids), ``count``, ``length``;
        ordered by length, then support (descending), then items.

    Examples
    --------
    >>> baskets = [["bread", "milk"], ["bread", "butter"], ["bread", "milk", "butter"], ["milk"]]
    >>> fi = frequent_itemsets(baskets, min_support=0.5)
    >>> [(sorted(s), c) for s, c in zip(fi["itemsets"], fi["count"])]
    [(['bread'], 3), (['milk'], 3), (['butter'], 2), (['bread', 'butter'], 2), (['bread', 'milk'], 2)]
    """
    check_choice("frequent_itemsets", "engine", engine, ("recsys", "mlxtend"))
    check_int("frequent_itemsets", "max_len", max_len, minimum=1, allow_none=True)
    check_int("frequent_itemsets", "max_memory", max_memory, minimum=1)
    matrix, items = basket_matrix(data)
    if matrix.shape[0] == 0:
        raise DataError("frequent_itemsets: there are no baskets.")
    count = min_count_of(min_support, min_count, matrix)
    if engine == "mlxtend":
        return _mlxtend_itemsets(matrix, items, count, max_len)
    found = mine(matrix, items, count, max_len, max_memory, show_progress)
    return itemsets_frame(found)


def itemsets_frame(found: Itemsets) -> pd.DataFrame:
    """The DataFrame form of mined itemsets."""
    frames = []
    ids = found.items.ids
    for members, counts in found.levels:
        order = np.lexsort(tuple(members[:, j] for j in range(members.shape[1] - 1, -1, -1))
                           + (-counts,))
        members, counts = members[order], counts[order]
        sets = list(map(frozenset, ids[members].tolist()))
        frames.append(pd.DataFrame({"support": counts / found.n_baskets, "itemsets": sets,
                                    "count": counts, "length": members.shape[1]}))
    if not frames:
        return pd.DataFrame({"support": [], "itemsets": [], "count": [], "length": []})
    out = pd.concat(frames, ignore_index=True)
    out["itemsets"] = out["itemsets"].astype(object)
    return out


def _mlxtend_itemsets(matrix: sp.csr_matrix, items: IdMap, count: int,
                      max_len: int | None) -> pd.DataFrame:
    # mlxtend (the reference engine, 20 ms) only when asked for
    from mlxtend.frequent_patterns import fpgrowth

    n = matrix.shape[0]
    frame = pd.DataFrame.sparse.from_spmatrix(matrix.astype(bool),
                                              columns=[str(i) for i in range(matrix.shape[1])])
    support = count / n
    # mlxtend keeps count / n >= min_support; pass the support of our integer threshold
    result = fpgrowth(frame, min_support=support, use_colnames=False, max_len=max_len)
    ids = items.ids
    lists = [sorted(s) for s in result["itemsets"]]
    counts = np.rint(result["support"].to_numpy() * n).astype(np.int64)
    lengths = np.fromiter(map(len, lists), np.int64, count=len(lists))
    out = pd.DataFrame({"support": counts / n,
                        "itemsets": [frozenset(ids[np.asarray(s, dtype=np.int64)].tolist())
                                     for s in lists],
                        "count": counts, "length": lengths})
    return out.sort_values(["length", "count"], ascending=[True, False], kind="stable") \
        .reset_index(drop=True)


def _itemsets_from_frame(frame: pd.DataFrame, n_baskets: int | None) -> Itemsets:
    """Arrays from an itemsets DataFrame (ours or mlxtend's)."""
    if not isinstance(frame, pd.DataFrame) or not {"support", "itemsets"} <= set(frame.columns):
        raise DataError("association_rules expects the DataFrame from frequent_itemsets "
                        "(columns 'support' and 'itemsets').")
    if len(frame) == 0:
        raise DataError("association_rules: there are no frequent itemsets; lower min_support.")
    sets = frame["itemsets"].tolist()
    flat = [i for s in sets for i in s]
    items = IdMap(clean_ids(pd.Series(flat, dtype=object), "itemset items"), name="item_id")
    lengths = np.fromiter(map(len, sets), np.int64, count=len(sets))
    codes = items.to_index(clean_ids(pd.Series(flat, dtype=object), "itemset items"))
    support = frame["support"].to_numpy(np.float64)
    if n_baskets is None:
        n_baskets = int(frame.attrs.get("n_baskets", 0)) or None
    if "count" in frame.columns and n_baskets is None:
        counts_col = frame["count"].to_numpy(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = counts_col / support
        n_baskets = int(np.rint(np.nanmedian(ratio)))
    # without counts, work in supports: a virtual basket count keeps the ratios exact
    scale = n_baskets if n_baskets else 1
    counts = support * scale
    levels = []
    starts = np.concatenate([[0], np.cumsum(lengths)])
    for length in range(1, int(lengths.max()) + 1):
        rows = np.flatnonzero(lengths == length)
        if len(rows) == 0:
            levels.append((np.empty((0, length), np.int32), np.empty(0)))
            continue
        idx = starts[rows][:, None] + np.arange(length)
        levels.append(_item_rows(codes[idx], counts[rows]))
    return Itemsets(levels, scale, items)


def rule_arrays(found: Itemsets, metric: str = "confidence", min_threshold: float = 0.1,
                max_consequent: int | None = None) -> dict[str, np.ndarray]:
    """Every rule A -> C from the itemsets, as arrays, filtered by ``metric >= min_threshold``.

    Parameters
    ----------
    found : Itemsets
        What :func:`mine` found.
    metric : str, default "confidence"
        The measure that filters (one of :data:`RULE_METRICS`).
    min_threshold : float, default 0.1
        Its lowest value kept.
    max_consequent : int, optional
        The most items on a rule's right-hand side.

    Returns
    -------
    dict of numpy.ndarray
        ``antecedent`` ((n, L) int32 item indices padded with -1), ``consequent`` (the same)
        and every measure in :data:`RULE_METRICS` (``support``, ``confidence``, ``lift``...),
        one entry per rule.

    Examples
    --------
    >>> found = mine(*basket_matrix([["a", "b"], ["a", "b", "c"], ["a", "c"], ["b"]]),
    ...              min_count=2)
    >>> rules = rule_arrays(found, "confidence", 0.8)  # c -> a: 2 of c's 2 baskets
    >>> rules["antecedent"].tolist(), rules["consequent"].tolist(), rules["confidence"].tolist()
    ([[2, -1]], [[0, -1]], [1.0])
    """
    n = float(found.n_baskets)
    width = len(found.levels)
    parts: dict[str, list] = {key: [] for key in ("antecedent", "consequent", "sAC", "sA", "sC")}
    for length in range(2, len(found.levels) + 1):
        members, counts = found.levels[length - 1]
        if len(members) == 0:
            continue
        positions = range(length)
        for size in range(length - 1, 0, -1):
            if max_consequent is not None and length - size > max_consequent:
                continue
            for ante in combinations(positions, size):
                cons = [p for p in positions if p not in ante]
                a, c = members[:, list(ante)], members[:, cons]
                ca, cc = found.count_of(a), found.count_of(c)
                if (ca < 0).any() or (cc < 0).any():
                    raise DataError(
                        "association_rules: some antecedents or consequents are missing from "
                        "the itemsets (mined with a max_len, or filtered?); pass all frequent "
                        "itemsets."
                    )
                parts["antecedent"].append(_pad(a, width))
                parts["consequent"].append(_pad(c, width))
                parts["sAC"].append(counts)
                parts["sA"].append(ca)
                parts["sC"].append(cc)
    if not parts["sAC"]:
        empty = {m: np.empty(0) for m in RULE_METRICS}
        return {"antecedent": np.empty((0, width), np.int32),
                "consequent": np.empty((0, width), np.int32), **empty}
    antecedent = np.concatenate(parts["antecedent"])
    consequent = np.concatenate(parts["consequent"])
    measures = rule_measures(np.concatenate(parts["sAC"]), np.concatenate(parts["sA"]),
                             np.concatenate(parts["sC"]), n)
    keep = measures[metric] >= min_threshold
    out = {"antecedent": antecedent[keep], "consequent": consequent[keep]}
    out.update({key: value[keep] for key, value in measures.items()})
    return out


def _pad(block: np.ndarray, width: int) -> np.ndarray:
    out = np.full((len(block), width), -1, np.int32)
    out[:, : block.shape[1]] = block
    return out


def rule_measures(cAC: np.ndarray, cA: np.ndarray, cC: np.ndarray, n: float) -> dict[str, np.ndarray]:
    """Every rule measure from the basket counts of A+C, A and C out of ``n``.

    Confidence is the exact ratio of counts (so 9 of 90 is exactly 0.1 and passes a
    0.1 threshold); the rest follow the module docstring.
    """
    sAC, sA, sC = cAC / n, cA / n, cC / n
    confidence = cAC / cA
    leverage = sAC - sA * sC
    with np.errstate(divide="ignore", invalid="ignore"):
        conviction = np.where(confidence < 1.0, (1.0 - sC) / (1.0 - confidence), np.inf)
        denom = np.maximum(sAC * (1 - sA), sA * (sC - sAC))
        zhang = np.where(denom == 0, 0.0, leverage / denom)
        certainty = np.where(1 - sC == 0, 0.0, (confidence - sC) / (1 - sC))
    return {
        "antecedent support": sA,
        "consequent support": sC,
        "support": sAC,
        "confidence": confidence,
        "lift": confidence / sC,
        "representativity": np.ones_like(sAC),
        "leverage": leverage,
        "conviction": conviction,
        "zhangs_metric": zhang,
        "jaccard": sAC / (sA + sC - sAC),
        "certainty": certainty,
        "kulczynski": (sAC / sA + sAC / sC) / 2,
    }


def association_rules(
    itemsets: pd.DataFrame,
    metric: str = "confidence",
    min_threshold: float = 0.1,
    *,
    max_consequent: int | None = None,
    n_baskets: int | None = None,
) -> pd.DataFrame:
    """Every rule A -> C from frequent itemsets with ``metric >= min_threshold``.

    Parameters
    ----------
    itemsets : pandas.DataFrame
        From :func:`frequent_itemsets` (or mlxtend's ``fpgrowth``/``apriori``).
    metric : str
        One of :data:`RULE_METRICS` (definitions in the module docstring).
    min_threshold : float
    max_consequent : int, optional
        Longest consequent (1 for "customers who bought A also bought c").
    n_baskets : int, optional
        Not needed: the measures use supports only.

    Returns
    -------
    pandas.DataFrame
        ``antecedents``, ``consequents`` (frozensets) and the measures, with
        mlxtend's column names; sorted by the metric (descending).

    Examples
    --------
    >>> baskets = [["bread", "milk"], ["bread", "butter"], ["bread", "milk", "butter"], ["milk"]]
    >>> rules = association_rules(frequent_itemsets(baskets, min_support=0.5), "confidence", 0.6)
    >>> for a, c, conf in rules[["antecedents", "consequents", "confidence"]].itertuples(index=False):
    ...     print(sorted(a), "->", sorted(c), round(conf, 3))
    ['butter'] -> ['bread'] 1.0
    ['bread'] -> ['butter'] 0.667
    ['bread'] -> ['milk'] 0.667
    ['milk'] -> ['bread'] 0.667
    """
    check_choice("association_rules", "metric", metric, RULE_METRICS)
    check_float("association_rules", "min_threshold", min_threshold)
    check_int("association_rules", "max_consequent", max_consequent, minimum=1, allow_none=True)
    found = _itemsets_from_frame(itemsets, n_baskets)
    arrays = rule_arrays(found, metric, min_threshold, max_consequent)
    return rules_frame(arrays, found.items, metric)


def rules_frame(arrays: dict[str, np.ndarray], items: IdMap, metric: str = "confidence") -> pd.DataFrame:
    """The DataFrame form of :func:`rule_arrays` output, sorted by ``metric`` (descending)."""
    ids = items.ids
    order = np.lexsort((np.arange(len(arrays[metric])), -arrays[metric]))

    def sets(block: np.ndarray) -> list[frozenset]:
        block = block[order]
        lengths = (block >= 0).sum(axis=1)
        out: list = [None] * len(block)
        for length in np.unique(lengths):  # a loop over itemset lengths, not rules
            rows = np.flatnonzero(lengths == length)
            for row, members in zip(rows.tolist(), ids[block[rows, :length]].tolist(), strict=True):
                out[row] = frozenset(members)
        return out

    frame = pd.DataFrame({"antecedents": pd.Series(sets(arrays["antecedent"]), dtype=object),
                          "consequents": pd.Series(sets(arrays["consequent"]), dtype=object)})
    for name in RULE_METRICS:
        frame[name] = arrays[name][order]
    return frame

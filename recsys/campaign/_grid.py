"""One chunk of customers: a typed grid of candidates (promoted, the model's, back-fill), the
per-customer constraints, dedupe and caps, the first k allowed cells, and a reason for each."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys._engine.arrays import cell_keys, in_sorted, rank_in_runs
from recsys._engine.sparse import sorted_csr, take_rows
from recsys.campaign._constraints import Constraint, Context
from recsys.campaign._options import Options
from recsys.campaign.reasons import reason_texts
from recsys.models.base import FALLBACK, Recommender
from recsys.ranking import Filter, Query

__all__ = ["PickKind", "Stats", "Staged", "segment_popularity", "chunk_picks", "stage_picks",
           "finish_picks"]


def segment_popularity(model: Recommender, segments: pd.Series | None, allowed: np.ndarray,
                        depth: int) -> dict:
    """Per segment, the most bought allowed items (depth of them), as item indices."""
    seen = model.seen_.tocsr()
    lists = {}
    users = model.users_.ids
    labels = (segments.reindex(users).astype(object).to_numpy() if segments is not None
              else np.full(len(users), None, dtype=object))
    overall = np.where(allowed, model.item_counts_, -1)
    lists[None] = np.argsort(-overall, kind="stable")[:depth]
    lists[None] = lists[None][overall[lists[None]] > 0]
    for label in pd.unique(labels[pd.notna(labels)]):
        rows = np.flatnonzero(labels == label)
        counts = np.diff(seen[rows].tocsc().indptr).astype(np.float64)
        # within a segment, ties (and items the segment never bought) go by overall popularity
        score = np.where(allowed, counts + overall / (max(overall.max(), 0) + 1.0), -1)
        ranked = np.argsort(-score, kind="stable")[:depth]
        lists[label] = ranked[score[ranked] > 0]
    return lists


def _first_occurrence(key: np.ndarray) -> np.ndarray:
    """True at the first time each key appears (row-major order)."""
    order = np.argsort(key, kind="stable")
    first = np.ones(len(key), bool)
    sorted_key = key[order]
    first[order[1:]] = sorted_key[1:] != sorted_key[:-1]
    return first


def _occurrence(group: np.ndarray) -> np.ndarray:
    """For each cell, how many earlier cells (row-major) share its group key."""
    order = np.argsort(group, kind="stable")
    out = np.empty(len(group), np.int64)
    out[order] = rank_in_runs(group[order])
    return out




class Stats:
    def __init__(self, exclusions: dict[str, int]) -> None:
        self.product_exclusions = exclusions
        self.pair_exclusions: dict[str, int] = {}
        self.picks = 0
        self.backfilled = 0
        self.again = 0  # replenishment picks (again=) written
        self.new = 0  # new arrivals (new=) written
        self.short = 0
        self.counts: np.ndarray | None = None
        self.item_ids: np.ndarray | None = None

    def count(self, items: np.ndarray, n_items: int) -> None:
        found = np.bincount(items, minlength=n_items)
        self.counts = found if self.counts is None else self.counts + found

    def add(self, rule: str, n: int) -> None:
        self.pair_exclusions[rule] = self.pair_exclusions.get(rule, 0) + int(n)

    def summary(self, customers: int, item_ids: np.ndarray) -> dict[str, Any]:
        counts = self.counts if self.counts is not None else np.zeros(len(item_ids), np.int64)
        top = np.argsort(-counts, kind="stable")[:10]
        return {"customers": customers, "picks": self.picks,
                "backfilled_share": self.backfilled / self.picks if self.picks else 0.0,
                "again_picks": self.again,
                "new_picks": self.new,
                "customers_short_of_k": self.short,
                "coverage": float((counts > 0).mean()) if len(counts) else 0.0,
                "top_products": [(item_ids[i].item(), int(counts[i])) for i in top if counts[i]],
                "products_excluded": self.product_exclusions,
                "candidates_excluded": self.pair_exclusions}


class PickKind(IntEnum):
    """Where a pick comes from; candidate columns are laid out in this order.

    Examples
    --------
    >>> PickKind.BACKFILL.name
    'BACKFILL'
    """

    PROMOTED = 0
    AGAIN = 1
    MODEL = 2
    NEW = 3
    BACKFILL = 4


@dataclass
class _Grid:
    """One chunk's candidates: a row per customer, columns in priority order (promoted, the
    model's over-generated top-k, back-fill), and which cells are still allowed."""

    items: np.ndarray  # (n, width) int64 item index, -1 for none
    kind: np.ndarray  # (n, width) PickKind values
    score: np.ndarray  # (n, width) float32, NaN where the model gave none
    valid: np.ndarray  # (n, width) bool
    source: np.ndarray  # (n,) which model answered each customer
    segments: np.ndarray | None  # (n,) segment labels, for back-fill reasons
    again_users: np.ndarray | None  # (n,) the repeat model's user index (-1: unknown to it)

    keys: np.ndarray  # (n * width,) int64 key of each cell's (row, item), row-major


def _model_candidates(ctx: Context, user_index: np.ndarray, width: int, allowed: np.ndarray,
                      seen: sp.csr_matrix | None):
    """The model's top-k (global constraints inside it) for the customers it knows."""
    model = ctx.model
    n, known = len(user_index), user_index >= 0
    cand = np.full((n, width), -1, np.int64)
    score = np.full((n, width), np.nan, np.float32)
    source = np.full(n, FALLBACK, dtype=object)
    if known.any():
        users = user_index[known]
        filt = Filter(allowed, seen, np.flatnonzero(known)) if seen is not None else \
            Filter(allowed)
        answer = model.rank(Query.of_users(users, ctx.as_of), width, filt)
        cand[known], score[known] = answer.index, answer.scores
        source[known] = answer.source if answer.source is not None else type(model).__name__
    return cand, score, source


def _backfill_columns(popular: dict, labels: np.ndarray | None, n: int) -> np.ndarray:
    """Each customer's segment's most bought products (the overall list without a segment)."""
    fill = np.full((n, max(len(v) for v in popular.values())), -1, np.int64)
    keys = labels if labels is not None else np.full(n, None, dtype=object)
    missing = pd.isna(keys)
    fill[missing, : len(popular[None])] = popular[None]
    for label in pd.unique(keys[~missing]):  # a loop over segments, not customers
        ranked = popular.get(label, popular[None])
        fill[np.flatnonzero(keys == label), : len(ranked)] = ranked
    return fill


def _candidates(ctx: Context, opts: Options, rows, user_index, allowed, popular,
                seen: sp.csr_matrix | None) -> _Grid:
    n = len(rows)
    cand, score, source = _model_candidates(ctx, user_index, opts.k * opts.oversample, allowed,
                                            seen)
    parts = [(cand, PickKind.MODEL, score)]
    again_users = None
    if ctx.again is not None:
        again, again_score, again_users = ctx.again.candidates(
            ctx.customers[rows], allowed, ctx.as_of, ctx.again.slots * opts.oversample)
        parts.insert(0, (again, PickKind.AGAIN, again_score))
    if ctx.new is not None:  # after the model's picks: the last slots of the list
        new, new_score = ctx.new.candidates(ctx.customers[rows], allowed, ctx.as_of,
                                            ctx.new.slots * opts.oversample)
        parts.append((new, PickKind.NEW, new_score))
    if len(ctx.promoted):
        parts.insert(0, (np.broadcast_to(ctx.promoted, (n, len(ctx.promoted))),
                         PickKind.PROMOTED, None))
    labels = None
    if opts.backfill:
        if opts.segments is not None:
            labels = opts.segments.reindex(ctx.customers[rows]).astype(object).to_numpy()
        parts.append((_backfill_columns(popular, labels, n), PickKind.BACKFILL, None))
    items = np.concatenate([p[0] for p in parts], axis=1)
    kind = np.concatenate([np.full(p[0].shape, p[1], np.int8) for p in parts], axis=1)
    value = np.concatenate([p[2] if p[2] is not None else np.full(p[0].shape, np.nan, np.float32)
                            for p in parts], axis=1)
    valid = (items >= 0) & allowed[np.maximum(items, 0)]
    keys = (np.arange(n, dtype=np.int64)[:, None] * len(allowed) + np.maximum(items, 0)).ravel()
    return _Grid(items, kind, value, valid, source, labels, again_users, keys)


def _block_per_customer(ctx: Context, grid: _Grid, rows, seen: sp.csr_matrix | None,
                        constraints: tuple[Constraint, ...], stats: Stats) -> None:
    """Per-customer constraints (already bought, recently sent...) as look-ups of (row, item)
    keys. The model already left seen items out of its own candidates; promoted and
    back-fill products are checked here."""
    keys = grid.keys
    # the model's own candidates never hold a seen item: only the other cells are looked up
    # nor do the again cells, which are purchases by design
    blocks = [("purchased", seen, (grid.kind != PickKind.MODEL) & (grid.kind != PickKind.AGAIN))
              ] if seen is not None else []
    not_again = grid.kind != PickKind.AGAIN
    blocks += [(constraint.name, m, not_again if constraint.spares_repeats else None)
               for constraint in constraints if (m := constraint.blocked(ctx, rows)) is not None]
    valid = grid.valid.ravel()
    for name, matrix, where in blocks:
        cells = np.flatnonzero(valid if where is None else valid & where.ravel())
        hit = cells[in_sorted(cell_keys(sorted_csr(matrix)), keys[cells])]
        stats.add(name, len(hit))
        valid[hit] = False
    grid.valid = valid.reshape(grid.items.shape)


#: (rows x categories) counters up to which caps are counted by walking the grid's columns
DENSE_COUNTER_CELLS = 32_000_000


def _over_cap(valid: np.ndarray, code: np.ndarray, n_codes: int, cap: int) -> np.ndarray:
    """Valid cells beyond the ``cap``-th of their row's code, in column order. A per-row
    counter walked column by column (a loop over the grid's few columns, never over
    customers) when it is small, else a sort of (row, code) keys."""
    n, width = valid.shape
    if n * n_codes > DENSE_COUNTER_CELLS:
        cells = np.flatnonzero(valid)
        group = (cells // width).astype(np.int64) * n_codes + code.ravel()[cells]
        over = np.zeros(valid.size, bool)
        over[cells[_occurrence(group) >= cap]] = True
        return over.reshape(valid.shape)
    count = np.zeros(n * n_codes, np.int32)
    over = np.zeros_like(valid)
    start = np.arange(n, dtype=np.int64) * n_codes
    for column in range(width):
        rows = np.flatnonzero(valid[:, column])
        group = start[rows] + code[rows, column]
        over[rows, column] = count[group] >= cap
        count[group] += 1  # one cell per row in a column: no repeated index
    return over


def _limit_slots(flat: np.ndarray, grid: _Grid, kind: PickKind, slots: int) -> None:
    """At most ``slots`` valid cells of ``kind`` per row (the first in column order)."""
    cells = np.flatnonzero(flat & (grid.kind.ravel() == kind))
    flat[cells[_occurrence(cells // grid.items.shape[1]) >= slots]] = False


def _dedupe_and_cap(ctx, grid: _Grid, backfill: bool, stats, k: int) -> None:
    """Each item once per customer, promoted slots, category caps (in column order), room for
    the new arrivals."""
    flat = grid.valid.ravel().copy()
    cells = np.flatnonzero(flat)
    first = _first_occurrence(grid.keys[cells])
    flat[cells[~first]] = False
    if len(ctx.promoted):
        _limit_slots(flat, grid, PickKind.PROMOTED, ctx.promoted_slots)
    if ctx.again is not None:
        _limit_slots(flat, grid, PickKind.AGAIN, ctx.again.slots)
    for name, codes, cap in ctx.caps:
        valid = flat.reshape(grid.items.shape)
        over = _over_cap(valid, codes[np.maximum(grid.items, 0)], int(codes.max()) + 1, cap)
        stats.add(name, over.sum())
        flat[over.ravel()] = False
    if ctx.new is not None:
        _limit_slots(flat, grid, PickKind.NEW, ctx.new.slots)
        _reserve_new_slots(flat, grid, k)
    grid.valid = flat.reshape(grid.items.shape)
    if not backfill:
        grid.valid &= grid.kind != PickKind.BACKFILL


def _reserve_new_slots(flat: np.ndarray, grid: _Grid, k: int) -> None:
    """Room for each row's new arrivals within its first k: the model's cells are cut to k less
    the row's promoted, again and new cells (which stand before and after them)."""
    kinds = grid.kind.ravel()
    n, width = grid.items.shape
    rows = np.arange(n * width) // width
    ahead = flat & ((kinds == PickKind.PROMOTED) | (kinds == PickKind.AGAIN)
                    | (kinds == PickKind.NEW))
    room = np.maximum(k - np.bincount(rows[ahead], minlength=n), 0)
    cells = np.flatnonzero(flat & (kinds == PickKind.MODEL))
    flat[cells[_occurrence(rows[cells]) >= room[rows[cells]]]] = False


def _again_reasons(again, grid: _Grid, k: int, picks, codes, anchors, as_of) -> None:
    """The repeat model's reason (cycle or count) for each again pick, in place."""
    rows, items, kind, rank = picks
    sel = kind == PickKind.AGAIN
    wanted = np.full((grid.items.shape[0], k), -1, np.int64)
    wanted[rows[sel], rank[sel] - 1] = items[sel]
    has = np.flatnonzero((wanted >= 0).any(axis=1))
    found = again.reasons(grid.again_users[has], wanted[has], as_of)
    lookup = np.full(grid.items.shape[0], -1, np.int64)
    lookup[has] = np.arange(len(has))
    codes[sel] = found.codes[lookup[rows[sel]], rank[sel] - 1]
    anchors[sel] = found.anchors[lookup[rows[sel]], rank[sel] - 1]


def _reason_codes(model, grid: _Grid, user_index, k, picks,
                  as_of: np.datetime64 | None = None,
                  ctx_again=None) -> tuple[np.ndarray, np.ndarray]:
    """A reason code and anchor (the product or rule behind it) for each pick."""
    rows, items, kind, rank = picks
    codes = np.full(len(rows), "popular", dtype=object)
    anchors = np.full(len(rows), None, dtype=object)
    known = user_index >= 0
    from_model = kind == PickKind.MODEL
    if from_model.any() and known.any():
        n = len(user_index)
        wanted = np.full((n, k), -1, np.int64)
        wanted[rows[from_model], rank[from_model] - 1] = items[from_model]
        has = np.flatnonzero(known & (wanted >= 0).any(axis=1))
        if len(has):
            c_codes, c_anchors = model.anchors(Query.of_users(user_index[has], as_of),
                                               wanted[has], grid.source[has])
            lookup = np.full(n, -1, np.int64)
            lookup[has] = np.arange(len(has))
            sel = from_model & known[rows]
            codes[sel] = c_codes[lookup[rows[sel]], rank[sel] - 1]
            anchors[sel] = c_anchors[lookup[rows[sel]], rank[sel] - 1]
    if ctx_again is not None and (kind == PickKind.AGAIN).any():
        _again_reasons(ctx_again, grid, k, picks, codes, anchors, as_of)
    codes[kind == PickKind.PROMOTED] = "promoted"
    codes[kind == PickKind.NEW] = "new_arrival"
    codes[kind == PickKind.BACKFILL] = "backfill"
    return codes, anchors


def _sources(ctx: Context, grid: _Grid, r: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """The source column: the answering model, the repeat model, promoted or backfill."""
    again = ctx.again.source if ctx.again is not None else "again"
    new = type(ctx.new.model).__name__ if ctx.new is not None else "new"
    return np.select([kind == PickKind.MODEL, kind == PickKind.AGAIN, kind == PickKind.PROMOTED,
                      kind == PickKind.NEW],
                     [grid.source[r].astype(str), again, "promoted", new], "backfill")


class Staged(NamedTuple):
    """A chunk after the model ranked it: what :func:`finish_picks` needs."""

    rows: np.ndarray
    user_index: np.ndarray
    seen: sp.csr_matrix | None
    grid: _Grid


def stage_picks(ctx: Context, opts: Options, rows, user_index, allowed, popular) -> Staged:
    """The model's side of a chunk: its seen items, gathered once (empty rows for customers
    the model does not know), and the candidate grid (the model's top-k, the rest)."""
    seen = take_rows(ctx.model.seen_, user_index, empty_below_zero=True) if ctx.exclude_seen \
        else None
    return Staged(rows, user_index, seen, _candidates(ctx, opts, rows, user_index, allowed,
                                                      popular, seen))


def chunk_picks(ctx: Context, opts: Options, rows, user_index, allowed, popular,
                stats: Stats) -> pd.DataFrame:
    """Picks for one chunk of customers: candidates, constraints, dedupe and caps, the first k
    allowed cells of each row, and a reason for each pick."""
    return finish_picks(ctx, opts, stage_picks(ctx, opts, rows, user_index, allowed, popular),
                        stats)


def finish_picks(ctx: Context, opts: Options, staged: Staged, stats: Stats) -> pd.DataFrame:
    """The business side of a staged chunk: constraints, dedupe and caps, the first k allowed
    cells of each row, a reason for each pick, the frame (``stats`` updated)."""
    model, k = ctx.model, opts.k
    rows, user_index, seen, grid = staged
    _block_per_customer(ctx, grid, rows, seen, opts.constraints, stats)
    _dedupe_and_cap(ctx, grid, opts.backfill, stats, opts.k)
    rank = np.cumsum(grid.valid, axis=1)
    r, c = np.nonzero(grid.valid & (rank <= k))
    picks = (r, grid.items[r, c], grid.kind[r, c], rank[r, c])
    codes, anchors = _reason_codes(model, grid, user_index, k, picks, ctx.as_of, ctx.again)
    kind = picks[2]
    labels = grid.segments[r] if grid.segments is not None else None
    item_ids = model.items_.ids[picks[1]]
    frame = pd.DataFrame({
        "customer_id": ctx.customers[rows][r],
        "rank": picks[3].astype(np.int64),
        "product_id": item_ids,
        "score": grid.score[r, c].astype(np.float64),
        "source": _sources(ctx, grid, r, kind),
        "reason_code": codes.astype(str),
        "reason": reason_texts(codes, anchors, opts.names, labels, opts.wording).astype(str),
    })
    if opts.names:
        frame.insert(3, "name", pd.Series(item_ids).map(opts.names).to_numpy())
    if opts.per_customer is not None:  # a look-up per pick: the table is indexed by customer
        joined = opts.per_customer.reindex(frame["customer_id"].to_numpy())
        for column in joined.columns:
            frame[column] = joined[column].to_numpy()
    stats.picks += len(frame)
    stats.backfilled += int((kind == PickKind.BACKFILL).sum())
    stats.again += int((kind == PickKind.AGAIN).sum())
    stats.new += int((kind == PickKind.NEW).sum())
    stats.short += int((np.bincount(r, minlength=len(rows)) < k).sum())
    stats.count(picks[1], len(model.items_))
    return frame



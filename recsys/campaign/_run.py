"""``make_picks``: the run over an audience in chunks, with or without a control group."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recsys._engine.params import check_choice, check_float, check_int
from recsys.campaign._again import Again
from recsys.campaign._constraints import Constraint, Context
from recsys.campaign._contacts import ContactRules
from recsys.campaign._grid import Stats, chunk_picks, finish_picks, segment_popularity, stage_picks
from recsys.campaign._new import NewArrivals
from recsys.campaign._options import Options
from recsys.campaign._output import CampaignResult, Writer, to_wide
from recsys.campaign._suppress import without_suppressed
from recsys.campaign.reasons import check_wording, item_names
from recsys.data.dates import parse_date
from recsys.data.frames import as_pandas, kind_of, to_kind
from recsys.data.ids import as_integers, clean_ids, customer_preview
from recsys.exceptions import DataError, InvalidParameterError
from recsys.experiment._assign import CONTROL, assign, check_arms, one_label_each
from recsys.experiment._picks import arm_models, check_pick_ids, joined_picks
from recsys.models.base import Recommender, check_fitted
from recsys.ranking import chunk_slices

__all__ = ["make_picks", "Options"]


def make_picks(
    model: Recommender | Mapping[str, Recommender],
    customers: Iterable,
    k: int = 10,
    constraints: Sequence[Constraint] = (),
    *,
    products: pd.DataFrame | None = None,
    names: dict | None = None,
    segments: pd.Series | None = None,
    backfill: bool = True,
    as_of: object = None,
    oversample: int = 3,
    chunk_size: int = 20_000,
    out: str | Path | None = None,
    format: str = "long",
    show_progress: bool = False,
    control: float | None = None,
    salt: str | None = None,
    arms: Mapping[str, float] | None = None,
    products_item: str = "product_id",
    again: Recommender | None = None,
    k_again: int = 3,
    wording: Mapping[str, str] | None = None,
    new: Recommender | None = None,
    k_new: int = 2,
    new_products: Iterable | None = None,
    suppress: Iterable | None = None,
    contact: ContactRules | None = None,
    kind: str | None = None,
    per_customer: pd.DataFrame | None = None,
    target: pd.Series | None = None,
    budget: int | float | None = None,
) -> CampaignResult:
    """k picks per customer under ``constraints``, each with a score, source and reason.

    Parameters
    ----------
    model : Recommender, or dict of arm name -> Recommender
        A fitted model (customers it does not know get back-fill only); with ``arms``, one
        model per arm that is not ``"control"``.
    customers : ids
        The audience.
    k : int, default 10
    constraints : list of Constraint, default ()
        What may be picked for whom: :class:`ExcludePurchased`,
        :class:`ExcludeRecentlySent`, :class:`OnlyAvailable`, :class:`PriceBand`,
        :class:`CategoryCap`, :class:`MustInclude`.
    products : DataFrame, optional
        The product table; its ``name`` column names products in the reasons.
    names : dict, optional
        Product id -> display name (default: from ``products``).
    segments : Series, optional
        Customer id -> segment (e.g. ``rfm(...)["segment"]``): back-fill uses the segment's
        most bought products, and says so.
    backfill : bool, default True
        Fill every list up to k with popular allowed products (``reason_code="backfill"``).
    as_of : datetime-like, optional
        Reference time for time-based constraints (default: now).
    oversample : int, default 3
        Candidates asked of the model per pick (k x oversample), before the constraints.
    chunk_size : int, default 20000
        Customers per chunk (bounds memory).
    out : path, optional
        Write the picks there chunk by chunk (.csv or .parquet) instead of returning them.
    format : {"long", "wide"}, default "long"
        ``long``: one row per pick; ``wide``: one row per customer (item_1.., reason_1..).
    control : float, optional
        Hold out this share of the audience as a control group (e.g. ``0.1``): they get no
        picks in the output, and ``result.assignments`` lists every customer's group. Needs
        ``salt``. See :mod:`recsys.experiment`.
    salt : str, optional
        Names the random draw of the groups (e.g. ``"2026-w48"``): the same salt gives the
        same groups in any order, on any machine.
    arms : dict of str -> float, optional
        Several arms and their shares instead of ``control``, e.g.
        ``{"als": 0.45, "ease": 0.45, "control": 0.1}`` with ``model={"als": ..., "ease": ...}``;
        the output then has a ``group`` column.
    products_item : str, default "product_id"
        The product id column of ``products`` (for the names in the reasons).
    again : Recommender, optional
        A fitted repeat model (:class:`~recsys.BuyAgain`): each customer's first ``k_again``
        picks are products they bought before, as it ranks them at ``as_of``, with its
        reason ("You buy this about every 21 days; ..."), ahead of ``model``'s discovery
        picks (source ``"BuyAgain"``, reason code ``buy_again``). The constraints apply to
        them except :class:`ExcludePurchased`. Fewer when a customer bought fewer allowed
        products; the rest of the k are the model's.
    k_again : int, default 3
        Replenishment picks per customer with ``again`` (at most ``k``).
    new : Recommender, optional
        A fitted model that can score products without sales (``ContentBased`` fitted with
        the catalogue's features): up to ``k_new`` of each customer's k are new arrivals it
        ranks first for the customer, placed after the main model's picks (reason
        ``new_arrival``). The main model must know the catalogue (fit it with ``items=``, or a
        Hybrid with content) for unsold products to be pickable.
    k_new : int, default 2
        New-arrival slots per customer with ``new`` (at most ``k``).
    new_products : ids, optional
        The products counted as new (default: the main model's products with no sales).
    wording : dict, optional
        The reasons in the shop's words: reason code -> text, replacing
        :data:`recsys.campaign.reasons.REASON_WORDING`'s (``{"bought_item": "Because you listened to
        {item}"}``; :data:`recsys.campaign.reasons.PLAYS_WORDING` for play counts).

    suppress : ids, optional
        Customers who must not be contacted (withdrew consent, unsubscribed, bounced,
        complained): taken out of the audience before anything else, the control group
        included, so they appear in no output; ``summary["suppressed"]`` counts them (their
        ids are never reported). Ids of another type than the audience's are matched as the
        id maps match them, or refused.
    contact : ContactRules, optional
        Frequency caps across campaigns (from the contact history) and a quiet period after
        a purchase: the customers they rule out are left out after suppression, before the
        control group; ``summary["contact_rules"]`` counts them per rule.
    kind : {"pandas", "polars", "pyarrow"}, optional
        The kind of the ``picks`` table (default: the kind of ``products``, pandas without).
    per_customer : DataFrame, optional
        Columns joined to each customer's picks, indexed by customer id: when to send
        (:func:`recsys.customers.send_times`), a value segment, a CLV. Customers it lacks get
        empty cells.
    target : Series, optional
        A score per customer id to spend the ``budget`` on: the predicted uplift of a mail
        (:func:`recsys.customers.predicted_uplift`), an expected value at risk. After
        suppression and the contact rules, only the ``budget`` customers with the largest
        positive scores stay in the audience (ties by id); customers without a score, or
        with a score of 0 or less (a mail predicted to change nothing, or to lose the sale),
        are left out. The control group is drawn inside the targeted audience, so the next
        readout measures the mail on the customers it was sent to. ``summary["target"]``
        counts them.
    budget : int or float, optional
        With ``target``: how many customers to mail, a count (``5000``) or a share of the
        audience (``0.2``); default: every customer with a positive score.

    Returns
    -------
    CampaignResult
        ``picks`` (None when written to ``out``), ``summary`` (customers, picks, back-filled
        share, coverage, top products, exclusions per constraint) and, with a control group,
        ``assignments`` (``customer_id``, ``group``, ``share``, ``segment``, ``picks``: the
        ``"|"``-joined product ids picked; for control, those they would have got).

    Raises
    ------
    InvalidParameterError
        A bad k, chunk size, format, arm plan, or salt without a control group.
    DataError
        Everyone suppressed or ruled out by the contact rules, ids of another type than the
        model's that cannot be matched, an output that cannot be written.

    Examples
    --------
    >>> import recsys
    >>> from recsys.campaign import ExcludePurchased
    >>> shop = recsys.make_shop(n_customers=300, n_products=60, seed=0)
    >>> model = recsys.ItemKNN().fit(shop.interactions)
    >>> result = make_picks(model, shop.customers["customer_id"][:4], k=3,
    ...                     constraints=[ExcludePurchased()], products=shop.products)
    >>> result.picks.groupby("customer_id").size().tolist(), "reason" in result.picks
    ([3, 3, 3, 3], True)
    """
    k = check_int("make_picks", "k", k, minimum=1)
    if products is not None:  # a polars or Arrow table: read as pandas, answered in its kind
        kind = kind or kind_of(products)
        products = as_pandas(products, "make_picks: products")
    opts = Options(
        k, _constraints(constraints),
        check_int("make_picks", "oversample", oversample, minimum=1),
        check_int("make_picks", "chunk_size", chunk_size, minimum=1), bool(backfill),
        _names(products, products_item) if names is None else names, _segments(segments), _as_of(as_of),
        show_progress, again,
        _k_again(k_again, k) if again is not None else 0, check_wording(wording),
        as_of is not None, new, _k_new(k_new, k) if new is not None else 0, new_products)
    check_choice("make_picks", "format", format, ("long", "wide"))
    # before everything else, the control group included: a suppressed customer is in no arm,
    # so the arms stay exchangeable (docs/campaigns.md, "Who is never mailed")
    audience, suppressed = without_suppressed(_audience(customers), suppress)
    audience, contacted = _contactable(audience, contact, opts.as_of)
    audience, targeted = _targeted(audience, target, budget)
    if per_customer is not None:
        opts = replace(opts, per_customer=_per_customer(per_customer, audience))
    _check_known(model, audience)
    if salt is not None and control is None and arms is None:
        raise InvalidParameterError("make_picks: salt= goes with control= or arms= (a "
                                    "control group); pass one of them, or drop salt.")
    if out is None:
        frames: list[pd.DataFrame] = []
        summary, assignments = _dispatch(model, audience, opts, frames.append, control, salt,
                                         arms)
        picks = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        summary.update(suppressed=suppressed, contact_rules=contacted, **targeted)
        return CampaignResult(to_kind(to_wide(picks, k) if format == "wide" else picks, kind),
                              summary, assignments)
    writer = None
    try:  # the file appears whole when the run ends, or not at all
        writer = Writer(out, format, k)
        summary, assignments = _dispatch(model, audience, opts, writer.write, control, salt,
                                         arms)
        writer.close()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    summary.update(suppressed=suppressed, contact_rules=contacted, **targeted)
    return CampaignResult(None, summary, assignments)


def _dispatch(model, audience: np.ndarray, opts: Options, mail, control, salt, arms):
    """The summary and the assignments (None without a control group) of the run."""
    if control is None and arms is None:
        return _run(_one_model(model), audience, opts, mail), None
    return _run_experiment(model, audience, opts, mail, control, salt, arms)


def _per_customer(table: pd.DataFrame, audience: np.ndarray,
                  what: str = "per_customer") -> pd.DataFrame:
    """The per-customer columns, one row per customer id of the audience's id type (text
    ids that spell integers read as those integers; other mismatches refused, never left
    as empty cells), none named like a picks column."""
    table = as_pandas(table, f"make_picks: {what}")
    ids = clean_ids(table.index, f"make_picks: {what}'s index (customer ids)")
    if ids.dtype.kind != audience.dtype.kind:
        if ids.dtype.kind != "U":
            raise DataError(f"make_picks: {what} is indexed by integer customer ids and "
                            f"the audience's are text; index it by the same ids.")
        ids = as_integers(ids, f"{what}'s customer ids")
    table = table.set_axis(pd.Index(ids), axis=0)
    if len(audience) and not table.index.isin(audience).any():
        raise DataError(f"make_picks: {what} holds none of the audience's customers; "
                        f"index it by customer id.")
    if table.index.has_duplicates:
        raise DataError(f"make_picks: {what} holds a customer more than once; keep one "
                        f"row per customer (indexed by customer id).")
    taken = {"customer_id", "rank", "product_id", "name", "score", "source", "reason_code",
             "reason", "group"} & set(map(str, table.columns))
    if taken:
        raise DataError(f"make_picks: per_customer's column(s) {sorted(taken)} are the picks' "
                        f"own; rename them.")
    return table


def _targeted(audience: np.ndarray, target: Any, budget: Any) -> tuple[np.ndarray, dict]:
    """The audience narrowed to the ``budget`` customers with the largest positive
    ``target`` scores (ties by id), and what was counted on the way."""
    if target is None:
        if budget is not None:
            raise InvalidParameterError("make_picks: budget= goes with target= (a score per "
                                        "customer to spend it on); pass both, or neither.",
                                        param="budget")
        return audience, {}
    if isinstance(target, pd.DataFrame) and target.shape[1] == 1:
        target = target.iloc[:, 0]
    if not isinstance(target, pd.Series):
        raise InvalidParameterError(f"make_picks: target must be a Series of scores indexed by "
                                    f"customer id, got {type(target).__name__}.",
                                    param="target")
    scores = _per_customer(target.to_frame("target"), audience, "target")["target"]
    values = pd.to_numeric(scores, errors="coerce").reindex(audience).to_numpy(np.float64)
    positive = np.flatnonzero(values > 0)
    count = _budget(budget, len(audience), len(positive))
    order = positive[np.lexsort((positive, -values[positive]))][:count]
    facts = {"target": {"scored": int((~np.isnan(values)).sum()),
                        "not_positive": int((values <= 0).sum()), "targeted": len(order)}}
    if not len(order):
        raise DataError(f"make_picks: no customer of the {len(audience):,} has a positive "
                        f"target score ({facts['target']}); nobody to mail.")
    return audience[np.sort(order)], facts


def _budget(budget: Any, audience: int, positive: int) -> int:
    """How many customers ``budget`` mails: a count, or a share of the audience."""
    if budget is None:
        return positive
    if isinstance(budget, (bool, np.bool_)) or not isinstance(budget, (int, float, np.number)):
        raise InvalidParameterError(f"make_picks: budget must be a count (5000) or a share of "
                                    f"the audience (0.2), got {budget!r}.", param="budget")
    if isinstance(budget, (float, np.floating)):  # a share: 0.2 of the audience, 1.0 all
        share = check_float("make_picks", "budget (a share)", budget, minimum=0, maximum=1,
                            exclusive_min=True)
        return max(1, round(share * audience))
    return check_int("make_picks", "budget", int(budget), minimum=1)


def _contactable(audience: np.ndarray, contact: ContactRules | None,
                 as_of: np.datetime64) -> tuple[np.ndarray, dict[str, int]]:
    """The audience the contact rules allow at ``as_of``, and how many each rule left out."""
    if contact is None:
        return audience, {}
    if not isinstance(contact, ContactRules):
        raise InvalidParameterError(f"make_picks: contact must be a ContactRules, got "
                                    f"{type(contact).__name__}.", param="contact")
    kept, counts = contact.keep(audience, as_of)
    if len(kept) == 0:
        raise DataError(f"make_picks: the contact rules leave none of the {len(audience):,} "
                        f"customers to mail ({counts}).")
    return kept, counts


def _k_new(k_new: int, k: int) -> int:
    k_new = check_int("make_picks", "k_new", k_new, minimum=1)
    if k_new > k:
        raise InvalidParameterError(f"make_picks: k_new={k_new} new arrivals do not fit in "
                                    f"k={k}; pass k_new <= k.")
    return k_new


def _k_again(k_again: int, k: int) -> int:
    k_again = check_int("make_picks", "k_again", k_again, minimum=1)
    if k_again > k:
        raise InvalidParameterError(
            f"make_picks: k_again={k_again} replenishment picks do not fit in k={k}; pass "
            f"k_again <= k.")
    return k_again


def _names(products: pd.DataFrame | None, products_item: str) -> dict:
    """Product id -> display name; a product table without its id column is an error, never
    reasons that quietly print ids."""
    if products is not None and products_item not in products.columns:
        raise DataError(f"make_picks: the product table has no column {products_item!r}; pass "
                        f"products_item='<its id column>' (it has {list(products.columns)}).")
    return item_names(products, item=products_item)


def _constraints(constraints: Sequence[Constraint]) -> tuple[Constraint, ...]:
    """The constraints, each a campaign constraint."""
    given = tuple(constraints)
    for constraint in given:
        if not isinstance(constraint, Constraint):
            raise InvalidParameterError(
                f"make_picks: {constraint!r} is not a campaign constraint (ExcludePurchased, "
                f"OnlyAvailable, PriceBand, CategoryCap, MustInclude, ...).")
    return given


def _one_model(model: object) -> Recommender:
    if not isinstance(model, Recommender):
        raise InvalidParameterError(
            f"make_picks: model must be a fitted Recommender, got {type(model).__name__}; a "
            f"dict of models goes with arms= (one model per arm).")
    check_fitted(model)
    return model


def _audience(customers: Iterable) -> np.ndarray:
    if isinstance(customers, pd.DataFrame):
        raise DataError("make_picks: customers must be ids (a list or a column such as "
                        "table['customer_id']), not a whole DataFrame.")
    audience = clean_ids(customers, "customers")
    if len(audience) == 0:
        raise DataError("make_picks: the audience is empty.")
    _, first = np.unique(audience, return_index=True)
    return audience[np.sort(first)]  # each customer once, in the order given


#: warn when more than this share of the audience is unknown to the model
UNKNOWN_WARNING = 0.5


def _check_known(model: object, audience: np.ndarray) -> None:
    """Warn when most of the audience is unknown to the model (they get back-fill only),
    saying so plainly when the ids are of another type than the model's (none is known)."""
    models = list(model.values()) if isinstance(model, Mapping) else [model]
    fitted = [m for m in models if isinstance(m, Recommender) and m.is_fitted]
    if not fitted or fitted[0].users_ is None or not len(fitted[0].users_):
        return
    users = fitted[0].users_
    kind = "int" if audience.dtype.kind in "iu" else "str"
    if kind != users.kind:
        warnings.warn(
            f"make_picks: the audience's customer ids are {kind}s and the model's are "
            f"{users.kind}s ({customer_preview(audience[:2].tolist())}; the model's: "
            f"{customer_preview(users.ids[:2].tolist())}): no customer is known, every pick is "
            f"back-fill. Convert the audience's ids to {users.kind} first.", UserWarning,
            stacklevel=3)
        return
    unknown = int((users.to_index(audience, missing="mask") < 0).sum())
    if unknown > UNKNOWN_WARNING * len(audience):
        warnings.warn(
            f"make_picks: {unknown:,} of {len(audience):,} customers ({unknown / len(audience):.0%}) "
            f"are unknown to the model: they get back-fill picks only (popular products). Check "
            f"that the audience and the model's data are the same shop and period.",
            UserWarning, stacklevel=3)


def _segments(segments: object) -> pd.Series | None:
    """A segment label per customer id: a Series indexed by customer, each customer once."""
    if segments is None:
        return None
    if not isinstance(segments, pd.Series):
        raise DataError(f"make_picks: segments must be a pandas Series of labels indexed by "
                        f"customer id, got {type(segments).__name__}.")

    return one_label_each(segments, "make_picks")


def _as_of(as_of: object) -> np.datetime64:
    return np.datetime64("now", "ns") if as_of is None else parse_date(as_of, "make_picks: as_of")


def _run(model: Recommender, audience: np.ndarray, opts: Options, sink) -> dict[str, Any]:
    """Picks for ``audience`` from ``model``, handed to ``sink`` chunk by chunk; the summary."""
    ctx = Context(model, audience, opts.as_of)
    if opts.again is not None:
        ctx.again = Again(opts.again, opts.k_again, model)
    if opts.new is not None:
        ctx.new = NewArrivals(opts.new, opts.k_new, model, opts.new_products)
    # each run binds its own copies: the caller's constraint objects are never changed, and
    # two runs (arms, threads) sharing them never see each other's model-specific state
    constraints = [copy.copy(constraint) for constraint in opts.constraints]
    for constraint in constraints:
        constraint.bind(ctx)
    opts = replace(opts, constraints=constraints)
    allowed = model.recommendable_.copy()
    open_ = np.ones(len(allowed), bool)  # what the constraints allow, recommendable or not
    exclusions: dict[str, int] = {}
    for constraint in opts.constraints:
        mask = constraint.allowed(ctx)
        if mask is not None:
            exclusions[constraint.name] = int((allowed & ~mask).sum())  # products removed
            allowed &= mask
            open_ &= mask
    popular = segment_popularity(model, opts.segments, allowed,
                                  depth=opts.k * opts.oversample + opts.k)
    if ctx.new is not None:  # new products the main model cannot rank may still be picked
        allowed = allowed | (ctx.new.new & open_)
    user_index = model.users_.to_index(audience, missing="mask")
    stats = Stats(exclusions)
    chunks = chunk_slices(len(audience), opts.chunk_size, opts.show_progress, "picks")
    if len(audience) <= opts.chunk_size:
        for part in chunks:
            rows = np.arange(part.start, part.stop)
            sink(chunk_picks(ctx, opts, rows, user_index[rows], allowed, popular, stats))
    else:
        _pipelined(ctx, opts, chunks, user_index, allowed, popular, stats, sink)
    return stats.summary(len(audience), model.items_.ids)


def _pipelined(ctx, opts: Options, chunks, user_index, allowed, popular, stats, sink) -> None:
    """Chunk by chunk, the model ranks the next chunk while one thread finishes the last
    (constraints, caps, reasons, the frame, the sink): the model's top-k keeps the cores
    busy, and the business side, mostly one core's work, runs beside it instead of after.
    One chunk at most waits in each stage (memory stays flat); the sink sees the chunks in
    order, from one thread."""

    with ThreadPoolExecutor(1, thread_name_prefix="recsys-picks") as finisher:
        pending = None
        for part in chunks:
            rows = np.arange(part.start, part.stop)
            staged = stage_picks(ctx, opts, rows, user_index[rows], allowed, popular)
            if pending is not None:
                pending.result()  # raises the finisher's error here
            pending = finisher.submit(_finish_into, ctx, opts, staged, stats, sink)
        if pending is not None:
            pending.result()


def _finish_into(ctx, opts: Options, staged, stats, sink) -> None:
    sink(finish_picks(ctx, opts, staged, stats))


def _run_experiment(model, audience: np.ndarray, opts: Options, mail, control, salt,
                    arms) -> tuple[dict[str, Any], pd.DataFrame]:
    """Assign the audience to arms, run each arm with its model, mail all but control."""

    plan = check_arms(arms, control, "make_picks")
    if salt is None:
        raise InvalidParameterError("make_picks: a control group needs salt= (e.g. the "
                                    "campaign's name, '2026-w48'); the same salt gives the "
                                    "same groups.")
    models = {arm: _one_model(m) for arm, m in arm_models(model, plan).items()}
    for fitted in models.values():
        check_pick_ids(fitted.items_.ids)
    groups = assign(audience, salt=salt, arms=plan, segments=opts.segments)
    several = sum(arm != CONTROL for arm in plan) > 1
    summaries, joined = {}, []
    for arm in plan:
        who = audience[groups["group"].to_numpy() == arm]
        if len(who) == 0:
            continue

        def sink(frame: pd.DataFrame, arm: str = arm) -> None:
            joined.append(joined_picks(frame))
            if arm != CONTROL:
                if several:
                    frame.insert(1, "group", arm)
                mail(frame)

        summaries[arm] = _run(models[arm], who, opts, sink)
    picks = pd.concat(joined, ignore_index=True) if joined else joined_picks(pd.DataFrame())
    position = pd.Index(picks["customer_id"]).get_indexer(groups["customer_id"])
    groups["picks"] = np.where(position >= 0, picks["picks"].to_numpy(dtype=object)[position], "")
    if opts.send_date:  # the readout refuses a window that starts before the send
        groups["sent_at"] = pd.Timestamp(opts.as_of).isoformat()
    return _experiment_summary(summaries, CONTROL), groups


def _experiment_summary(summaries: dict[str, dict], control: str) -> dict[str, Any]:
    """The mailed arms' summaries added up (top products and exclusions of the first)."""
    mailed = [s for arm, s in summaries.items() if arm != control]
    if not mailed:
        raise DataError("make_picks: every customer fell in the control group; nothing is "
                        "mailed (a larger audience or a smaller control share).")
    out = dict(mailed[0])
    picks = sum(s["picks"] for s in mailed)
    out.update(customers=sum(s["customers"] for s in mailed), picks=picks,
               customers_short_of_k=sum(s["customers_short_of_k"] for s in mailed),
               again_picks=sum(s.get("again_picks", 0) for s in mailed),
               new_picks=sum(s.get("new_picks", 0) for s in mailed),
               backfilled_share=sum(s["backfilled_share"] * s["picks"] for s in mailed)
               / picks if picks else 0.0,
               control=summaries.get(control, {}).get("customers", 0),
               arms={arm: s["customers"] for arm, s in summaries.items()})
    return out



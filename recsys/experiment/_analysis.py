"""``analyze``: did the campaign work? Each arm's KPIs and its uplift over control."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recsys._engine.params import check_float
from recsys.data.dates import parse_timestamps
from recsys.data.frames import as_pandas
from recsys.data.ids import clean_ids
from recsys.exceptions import DataError, InvalidParameterError, SampleRatioMismatchWarning
from recsys.experiment._assign import CONTROL
from recsys.experiment._outcomes import OrderColumns, Outcomes, customer_outcomes
from recsys.experiment._stats import (
    Moments,
    compare_means,
    compare_rates,
    compare_ratios,
    moments,
    ratio_moments,
    srm_test,
)
from recsys.reporting.experiment import experiment_report

__all__ = ["analyze", "ExperimentResult", "METRICS", "SRM_ALPHA"]

#: metric -> (kind of test, what it is)
METRICS = {
    "conversion_rate": ("rate", "share of customers with at least one order"),
    "orders_per_customer": ("mean", "orders per customer"),
    "revenue_per_customer": ("mean", "revenue per customer (zero for non-buyers)"),
    "average_order_value": ("ratio", "revenue / orders, over the arm's orders"),
    "repeat_rate": ("rate", "share of customers with two or more orders"),
    "picked_product_rate": ("rate", "share of customers who bought one of their picks"),
}
_TESTS = {"rate": ("two-proportion z", compare_rates), "mean": ("Welch t", compare_means),
          "ratio": ("delta method", compare_ratios)}
#: a sample-ratio-mismatch p-value below this warns (strict: a real mismatch is blatant)
SRM_ALPHA = 0.001
_ALL = "all"
#: below this many customers in an arm, a segment's intervals are flagged as rough
SMALL_ARM = 100


@dataclass
class ExperimentResult:
    """The readout of a campaign experiment, as :func:`~recsys.experiment.analyze` returns it.

    Parameters
    ----------
    arms : pandas.DataFrame
        One row per arm: ``customers``, ``planned_share``, ``observed_share`` and each metric.
    uplift : pandas.DataFrame
        One row per (segment, arm other than control, metric): ``control`` and ``value`` (the
        metric in control and in the arm), ``uplift`` (absolute) with ``ci_low``/``ci_high``,
        ``relative_uplift`` with its interval, ``p_value``, ``significant`` and ``test``.
        ``segment == "all"`` rows are the whole audience.
    segments : pandas.DataFrame
        Each metric per (segment, arm).
    srm : dict
        Sample-ratio check: ``observed``, ``expected`` counts, ``p_value``, ``mismatch``.
    start, end : pandas.Timestamp
        The measured window, ``[start, end)``.
    control : str, default "control"
        The name of the control arm.
    alpha : float, default 0.05
        The significance level of the tests and ``1 - alpha`` intervals.
    notes : list of str
        How the data was read (what counted as an order, as revenue), and caveats.

    Examples
    --------
    >>> from recsys.experiment import analyze, assign, simulate_response
    >>> groups = assign(range(4000), salt="s", control=0.5)
    >>> orders, _ = simulate_response(groups, start="2026-11-24", conversion_uplift=0.1,
    ...                               seed=0)
    >>> result = analyze(groups, orders, "2026-11-24", "2026-12-08")
    >>> result.arms["customers"].sum(), result.control
    (np.int64(4000), 'control')
    >>> bool(result.uplift.query("metric == 'conversion_rate'")["significant"].iloc[0])
    True
    """

    arms: pd.DataFrame
    uplift: pd.DataFrame
    segments: pd.DataFrame
    srm: dict[str, Any]
    start: pd.Timestamp
    end: pd.Timestamp
    control: str = CONTROL
    alpha: float = 0.05
    notes: list[str] = field(default_factory=list)

    def overall(self) -> pd.DataFrame:
        """The uplift rows of the whole audience (``segment == "all"``)."""
        return self.uplift[self.uplift["segment"] == _ALL].drop(columns="segment")

    def __str__(self) -> str:
        return readout(self)

    def to_html(self, title: str = "Campaign readout", facts: Mapping[str, Any] | None = None) -> str:
        """The readout as a self-contained HTML page with plots (see ``recsys measure --report``)."""
        return experiment_report(self, title=title, facts=facts)


def readout(result: ExperimentResult) -> str:
    """The readout as text: arm sizes, the KPIs per arm, and each arm against control."""
    lines = [f"Campaign readout, {result.start:%Y-%m-%d %H:%M} .. {result.end:%Y-%m-%d %H:%M} "
             f"(end excluded); control arm: {result.control!r}"]
    if result.srm.get("mismatch"):
        lines.append(f"WARNING: sample ratio mismatch (chi-square p = {result.srm['p_value']:.2g}):"
                     f" arm sizes {result.srm['observed']} differ from the plan "
                     f"{result.srm['expected']}. Do not trust this readout until it is explained.")
    lines.append(result.arms.to_string(float_format=lambda v: f"{v:,.4g}"))
    overall = result.overall()
    for arm, rows in overall.groupby("arm", sort=False):
        lines.append(f"\n{arm} against {result.control} ({1 - result.alpha:.0%} intervals):")
        for row in rows.itertuples():
            mark = "*" if row.significant else " "
            lines.append(
                f" {mark} {row.metric:<22} {row.control:>10.4g} -> {row.value:<10.4g} "
                f"uplift {row.uplift:+.4g} [{row.ci_low:+.4g}, {row.ci_high:+.4g}]  "
                f"{row.relative_uplift:+.1%} [{row.relative_ci_low:+.1%}, "
                f"{row.relative_ci_high:+.1%}]  p={row.p_value:.3g}")
    lines.append(f"(* significant at alpha {result.alpha:g}; several metrics and arms are tested, "
                 f"so expect some false alarms: see docs/experiments.md)")
    lines += [f"note: {note}" for note in result.notes]
    return "\n".join(lines)


def window_bounds(start: object, end: object,
                  date_format: str | None = None) -> tuple[np.datetime64, np.datetime64]:
    """The readout window's bounds read by the data's one rule for times: both by the same
    format (``01/12/2026`` and ``15/12/2026`` are both day-first; two bounds that read either
    way are refused unless ``date_format`` says), numbers refused unless plausible epoch times
    (20261124 is no date: write 2026-11-24 or pass ``date_format="%Y%m%d"``)."""
    for value, option in ((start, "--from"), (end, "--to")):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            raise DataError(f"the window's {option[2:]} ({option}) is missing: pass a date such "
                            f"as '2026-11-24'.")
    kinds = {type(value) for value in (start, end)}
    values = pd.Series([start, end], dtype=object if len(kinds) > 1 else None)
    if all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
           for v in (start, end)) and date_format is None:
        raise DataError(f"the window's bounds are numbers ({start!r}, {end!r}); numbers are not "
                        f"read as dates. Write them as dates such as '2026-11-24' (--from, "
                        f"--to), or pass date_format='%Y%m%d' (--date-format %Y%m%d).")
    times = parse_timestamps(values, "the window's start and end (--from, --to)", date_format)
    return times[0], times[1]


def _arm_codes(assignments: pd.DataFrame, control: str) -> tuple[np.ndarray, list[str]]:
    """Arm code per customer, control first, the other arms in order of appearance."""
    groups = assignments["group"]
    if groups.isna().any():
        raise DataError("the assignments' group column has missing values; every customer "
                        "needs an arm.")
    labels = [str(g) for g in pd.unique(groups.astype(str))]
    if control not in labels:
        raise DataError(f"no customer is in the control arm {control!r}; the arms are {labels}. "
                        f"Name the control arm (control=...; --control on the command line).")
    if len(labels) < 2:
        raise DataError(f"the assignments hold only the control arm {control!r}: nothing to "
                        f"compare it with.")
    arms = [control] + [g for g in labels if g != control]
    codes = pd.Index(arms).get_indexer(groups.astype(str))
    return codes.astype(np.int64), arms


def _segment_codes(assignments: pd.DataFrame, by_segment: bool) -> tuple[np.ndarray, list[str]]:
    if not by_segment or "segment" not in assignments.columns:
        return np.zeros(len(assignments), np.int64), []
    labels = assignments["segment"].astype(object).where(assignments["segment"].notna(), "(none)")
    codes, names = pd.factorize(labels.astype(str), sort=True)
    return codes.astype(np.int64), [str(n) for n in names]


def _metric_values(outcomes: Outcomes, revenue_cap: float | None,
                   notes: list[str]) -> dict[str, Any]:
    """Per-customer values (or numerator/denominator) of each metric the data allows."""
    orders = outcomes.orders
    values: dict[str, Any] = {"conversion_rate": orders > 0, "orders_per_customer": orders}
    revenue = outcomes.revenue
    if revenue is not None:
        if revenue_cap is not None:
            buyers = revenue[revenue > 0]
            cap = float(np.quantile(buyers, revenue_cap)) if len(buyers) else 0.0
            revenue = np.minimum(revenue, cap)
            notes.append(f"revenue: each customer's revenue capped at {cap:,.4g} (the "
                         f"{revenue_cap:g} quantile of buyers, the same cap in every arm)")
        values["revenue_per_customer"] = revenue
        values["average_order_value"] = (revenue, orders)
    values["repeat_rate"] = orders >= 2
    if outcomes.bought_pick is not None:
        values["picked_product_rate"] = outcomes.bought_pick
    return values


def _compare_all(values: dict[str, Any], group: np.ndarray, n_segments: int, n_arms: int,
                 alpha: float) -> tuple[dict[str, Moments], dict[str, Any]]:
    """Moments per (segment, arm) of every metric, and each arm against control (code 0)."""
    n_groups = n_segments * n_arms
    treated = (np.arange(n_segments)[:, None] * n_arms + np.arange(1, n_arms)[None, :]).ravel()
    controls = np.repeat(np.arange(n_segments) * n_arms, n_arms - 1)
    stats_of, compared = {}, {}
    for metric, value in values.items():
        kind = METRICS[metric][0]
        if kind == "ratio":
            stat = ratio_moments(value[0], value[1], group, n_groups)
        else:
            stat = moments(value, group, n_groups)
        stats_of[metric] = stat
        pick = lambda rows, s=stat: Moments(*(part[rows] for part in s))  # noqa: E731
        compared[metric] = (pick(treated), pick(controls), _TESTS[kind][1](
            pick(treated), pick(controls), alpha))
    return stats_of, compared


def _uplift_frame(compared: dict[str, Any], segments: list[str], arms: list[str],
                  alpha: float) -> pd.DataFrame:
    frames = []
    seg = np.repeat(np.asarray(segments, dtype=object), len(arms) - 1)
    arm = np.tile(np.asarray(arms[1:], dtype=object), len(segments))
    for metric, (treated, control, result) in compared.items():
        frames.append(pd.DataFrame({
            "segment": seg, "arm": arm, "metric": metric, "customers": treated.n.astype(np.int64),
            "control_customers": control.n.astype(np.int64), "control": control.mean,
            "value": treated.mean, "uplift": result.uplift, "ci_low": result.ci_low,
            "ci_high": result.ci_high, "relative_uplift": result.relative,
            "relative_ci_low": result.relative_low, "relative_ci_high": result.relative_high,
            "p_value": result.p_value, "significant": result.p_value < alpha,
            "test": _TESTS[METRICS[metric][0]][0]}))
    order = {name: i for i, name in enumerate(segments)}
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["segment", "arm"], key=lambda c: c.map(order) if c.name == "segment"
                           else c.map({a: i for i, a in enumerate(arms)}), kind="stable",
                           ignore_index=True)


def _summary_frame(stats_of: dict[str, Moments], segments: list[str],
                   arms: list[str]) -> pd.DataFrame:
    table = pd.DataFrame({"segment": np.repeat(np.asarray(segments, dtype=object), len(arms)),
                          "arm": np.tile(np.asarray(arms, dtype=object), len(segments))})
    first = next(iter(stats_of.values()))
    table["customers"] = first.n.astype(np.int64)
    for metric, stat in stats_of.items():
        table[metric] = stat.mean
    return table


def _srm(assignments: pd.DataFrame, counts: np.ndarray, arms: list[str],
         expected: Mapping[str, float] | None) -> dict[str, Any]:
    """Chi-square test of the arm sizes against the planned shares (``share`` column)."""
    if expected is None and "share" in assignments.columns:
        planned = assignments.groupby(assignments["group"].astype(str))["share"].agg(["min", "max"])
        if (planned["max"] - planned["min"]).abs().max() > 1e-9:
            raise DataError("the assignments' share column differs within an arm; it must hold "
                            "each arm's planned share.")
        expected = planned["min"].to_dict()
    if expected is None:
        return {"observed": dict(zip(arms, counts.tolist(), strict=True)), "expected": None,
                "p_value": float("nan"), "mismatch": False}
    shares = np.array([float(expected.get(arm, np.nan)) for arm in arms])
    if not np.isfinite(shares).all() or (shares <= 0).any():
        raise DataError(f"planned shares {dict(expected)} do not cover the arms {arms}.")
    if abs(float(sum(expected.values())) - 1.0) > 1e-6:
        raise DataError(
            f"the planned shares add up to {float(sum(expected.values())):.4g}, not 1 "
            f"({', '.join(f'{k}={v:g}' for k, v in expected.items())}): an arm is missing from "
            f"the assignments (a cut or filtered file?). Read the whole assignments file.")
    p_value = srm_test(counts, shares)
    expected_counts = shares / shares.sum() * counts.sum()
    return {"observed": dict(zip(arms, counts.astype(int).tolist(), strict=True)),
            "expected": {a: round(float(e), 1) for a, e in zip(arms, expected_counts, strict=True)},
            "p_value": p_value, "mismatch": p_value < SRM_ALPHA}


def _check_after_send(assignments: pd.DataFrame, begin: np.datetime64) -> None:
    """A window starting before the send (``sent_at``, written by make_picks) counts orders
    the mail cannot have caused."""
    if "sent_at" not in assignments.columns or not len(assignments):
        return
    sent = parse_timestamps(assignments["sent_at"], "assignments['sent_at']").min()
    if begin < sent:
        raise DataError(
            f"the window starts {str(begin)[:16]}, before the send ({str(sent)[:16]}, the "
            f"assignments' sent_at): orders before the mail are not its effect. Start the "
            f"window at the send or later (--from).")


def _check_assignments(assignments: pd.DataFrame) -> np.ndarray:
    missing = [c for c in ("customer_id", "group") if c not in assignments.columns]
    if missing:
        raise DataError(f"the assignments need the columns customer_id and group; missing "
                        f"{missing}, found {list(assignments.columns)}.")
    ids = clean_ids(assignments["customer_id"], "assignments['customer_id']")
    ordered = np.sort(ids)
    if len(ordered) > 1 and (ordered[1:] == ordered[:-1]).any():
        raise DataError("a customer appears more than once in the assignments; each customer "
                        "must be in exactly one arm.")
    return ids


def analyze(assignments: pd.DataFrame, orders: pd.DataFrame, start: Any, end: Any, *,
            customer: str = "customer_id", order: str | None = "order_id",
            timestamp: str = "timestamp", item: str | None = "product_id",
            amount: str | None = None, price: str | None = "price",
            quantity: str | None = "quantity", control: str = CONTROL, by_segment: bool = True,
            revenue_cap: float | None = None, expected: Mapping[str, float] | None = None,
            alpha: float = 0.05, date_format: str | None = None) -> ExperimentResult:
    """Measure a campaign: each arm's KPIs in ``[start, end)`` and its uplift over control.

    Parameters
    ----------
    assignments : pandas.DataFrame
        ``customer_id``, ``group`` and optionally ``segment``, ``share`` (planned share, for
        the sample-ratio check) and ``picks`` (``"|"``-joined product ids; for control, the
        picks they would have got), as written by ``make_picks(..., control=...)``.
    orders : pandas.DataFrame
        Order lines (never modified); lines of customers outside the assignments are ignored.
    start, end : date-like
        The window measured: ``start`` included, ``end`` excluded. Both are read by one rule
        for times (as the data's columns are): ``"01/12/2026"`` and ``"15/12/2026"`` both
        day-first, bounds that read either way refused unless ``date_format`` says; numbers
        (``20261124``) are no dates. A window starting before the assignments' ``sent_at``
        (the send, written by ``make_picks``) is refused.
    customer, order, timestamp, item : str
        Columns of the orders. Without an ``order`` column, each distinct (customer, time) is
        one order; without ``item``, the picked-product rate is left out.
    amount, price, quantity : str, optional
        Revenue per line: ``amount`` if given, else ``price * quantity``, else ``price``.
    control : str, default "control"
        The arm the others are compared with.
    by_segment : bool, default True
        Also compare within each ``segment`` of the assignments.
    revenue_cap : float, optional
        Winsorise heavy-tailed revenue: cap each customer's revenue at this quantile of the
        buyers' revenue (e.g. 0.99), the same cap for every arm. Default: no cap (unbiased).
    expected : dict, optional
        Planned share per arm for the sample-ratio check (default: the ``share`` column).
    alpha : float, default 0.05
        For the intervals (``1 - alpha``) and the ``significant`` flag; at most 0.5.
    date_format : str, optional
        The ``strftime`` format of ``start`` and ``end`` when they are text in another format
        than ISO (``"%d/%m/%Y"``).

    Returns
    -------
    ExperimentResult
        Warns with :class:`~recsys.exceptions.SampleRatioMismatchWarning` when the arm sizes
        are off the plan (chi-square p < 0.001).

    Examples
    --------
    >>> from recsys.experiment import assign, simulate_response
    >>> groups = assign(range(20_000), salt="w48", control=0.5)
    >>> orders, truth = simulate_response(groups, start="2026-11-24", conversion_uplift=0.02,
    ...                                   seed=1)
    >>> result = analyze(groups, orders, "2026-11-24", "2026-12-08")
    >>> row = result.overall().set_index("metric").loc["conversion_rate"]
    >>> bool(row["ci_low"] < truth["conversion_rate"] < row["ci_high"])
    True
    """
    check_float("analyze", "alpha", alpha, minimum=0, maximum=0.5, exclusive_min=True)
    if revenue_cap is not None:
        check_float("analyze", "revenue_cap", revenue_cap, minimum=0.5, maximum=1)
    orders = as_pandas(orders, "orders")
    assignments = as_pandas(assignments, "assignments (from make_picks(..., control=...) or "
                                         "assign(...))")
    ids = _check_assignments(assignments)
    begin, finish = window_bounds(start, end, date_format)
    if finish <= begin:
        raise InvalidParameterError(f"the window is empty: end ({end}) must be after start "
                                    f"({start}).")
    _check_after_send(assignments, begin)
    arm_code, arms = _arm_codes(assignments, control)
    seg_code, seg_names = _segment_codes(assignments, by_segment)
    cols = OrderColumns(customer, order, timestamp, item, amount, price, quantity)
    outcomes = customer_outcomes(assignments, ids, orders, cols, begin, finish)
    notes = list(outcomes.notes)
    values = _metric_values(outcomes, revenue_cap, notes)
    overall_stats, overall = _compare_all(values, arm_code, 1, len(arms), alpha)
    uplift = [_uplift_frame(overall, [_ALL], arms, alpha)]
    segments = pd.DataFrame()
    if seg_names:
        seg_stats, per_segment = _compare_all(values, seg_code * len(arms) + arm_code,
                                              len(seg_names), len(arms), alpha)
        uplift.append(_uplift_frame(per_segment, seg_names, arms, alpha))
        segments = _summary_frame(seg_stats, seg_names, arms)
        small = segments.groupby("segment")["customers"].min()
        if (small < SMALL_ARM).any():
            notes.append(f"{int((small < SMALL_ARM).sum())} segment(s) have an arm of fewer than "
                         f"{SMALL_ARM} customers: read their intervals as rough")
    counts = np.bincount(arm_code, minlength=len(arms))
    srm = _srm(assignments, counts, arms, expected)
    if srm["mismatch"]:
        warnings.warn(f"sample ratio mismatch: arm sizes {srm['observed']} against the planned "
                      f"{srm['expected']} (chi-square p = {srm['p_value']:.2g}); the assignment "
                      f"or the data is broken, do not trust this readout.",
                      SampleRatioMismatchWarning, stacklevel=2)
    arms_table = _summary_frame(overall_stats, [_ALL], arms).drop(columns="segment").set_index("arm")
    arms_table.insert(1, "observed_share", counts / counts.sum())
    if srm["expected"] is not None:
        planned = np.array(list(srm["expected"].values())) / counts.sum()
        arms_table.insert(1, "planned_share", planned)
    return ExperimentResult(arms_table, pd.concat(uplift, ignore_index=True), segments, srm,
                            pd.Timestamp(begin), pd.Timestamp(finish), control, alpha, notes)

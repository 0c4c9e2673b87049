"""The campaign readout as a self-contained HTML page (tables, and plots with matplotlib)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from recsys.reporting.page import SCRIPT, STYLE, png, pyplot, scrolling

__all__ = ["experiment_report"]


def _forest(ax, rows: pd.DataFrame, labels: list[str], value: str, low: str, high: str) -> None:
    y = np.arange(len(rows))[::-1]
    significant = rows["significant"].to_numpy(dtype=bool)
    for mask, colour in ((significant, "tab:blue"), (~significant, "tab:gray")):
        part = rows[mask]
        ax.errorbar(part[value], y[mask], xerr=[part[value] - part[low], part[high] - part[value]],
                    fmt="o", color=colour, capsize=3)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    ax.grid(axis="x", alpha=0.3)


def _plots(result: Any) -> list[tuple[str, str]]:
    plt = pyplot()
    if plt is None:
        return []
    out = []
    overall = result.overall()
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(overall) + 1.2))
    _forest(ax, overall, [f"{a}: {m}" for a, m in zip(overall["arm"], overall["metric"],
                                                      strict=True)],
            "relative_uplift", "relative_ci_low", "relative_ci_high")
    ax.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel(f"relative uplift over {result.control} (blue: significant)")
    out.append((f"Relative uplift per metric, {1 - result.alpha:.0%} intervals", png(fig)))
    per_segment = result.uplift[(result.uplift["segment"] != "all")
                                & (result.uplift["metric"] == "conversion_rate")]
    if len(per_segment):
        fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(per_segment) + 1.2))
        _forest(ax, per_segment, [f"{s} ({a})" for s, a in zip(per_segment["segment"],
                                                                per_segment["arm"], strict=True)],
                "uplift", "ci_low", "ci_high")
        ax.set_xlabel("conversion uplift (absolute) per segment")
        out.append(("Conversion uplift per segment", png(fig)))
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    arms = list(result.arms.index)
    ax.bar(np.arange(len(arms)) - 0.2, result.arms["observed_share"], 0.4, label="observed")
    if "planned_share" in result.arms:
        ax.bar(np.arange(len(arms)) + 0.2, result.arms["planned_share"], 0.4, label="planned")
    ax.set_xticks(np.arange(len(arms)))
    ax.set_xticklabels(arms)
    ax.set_ylabel("share of customers")
    ax.legend(fontsize=8)
    out.append(("Arm sizes against the plan (sample-ratio check)", png(fig)))
    return out


def _table(frame: pd.DataFrame, index: bool = False) -> str:
    return scrolling(frame.to_html(index=index, border=0, float_format=lambda v: f"{v:,.4g}",
                                   na_rep="", escape=True))


def _compact(rows: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Uplift rows for reading: value and interval in one cell; n/a where undefined."""
    def span(value, low, high, percent=False):
        fmt = (lambda v: f"{v:+.1%}") if percent else (lambda v: f"{v:+,.4g}")
        return [f"{fmt(v)} [{fmt(lo)}, {fmt(hi)}]" if np.isfinite(v) and np.isfinite(lo)
                else "n/a" for v, lo, hi in zip(value, low, high, strict=True)]

    out = pd.DataFrame({"arm": rows["arm"], "metric": rows["metric"],
                        "customers (arm / control)": [f"{a:,} / {c:,}" for a, c in zip(
                            rows["customers"], rows["control_customers"], strict=True)],
                        "control": rows["control"], "arm value": rows["value"],
                        f"uplift [{1 - alpha:.0%} CI]": span(rows["uplift"], rows["ci_low"],
                                                             rows["ci_high"]),
                        "relative": span(rows["relative_uplift"], rows["relative_ci_low"],
                                         rows["relative_ci_high"], percent=True),
                        "p-value": rows["p_value"], "test": rows["test"]})
    if "segment" in rows:
        out.insert(0, "segment", rows["segment"])
    return out


def experiment_report(result: Any, *, title: str = "Campaign readout",
                      facts: Mapping[str, Any] | None = None) -> str:
    """The readout of :func:`~recsys.experiment.analyze` as one HTML string.

    The page stands alone (styles and charts inline; charts only when matplotlib, the report
    extra, is installed): the facts, the arms, each arm's uplift over control with intervals,
    a forest plot, and the notes on how the data was read.

    Parameters
    ----------
    result : ExperimentResult
        What :func:`~recsys.experiment.analyze` returned.
    title : str, default "Campaign readout"
        The page's title.
    facts : dict, optional
        Extra lines for the facts table (label -> value), such as the campaign's name.

    Returns
    -------
    str
        The HTML page.

    Examples
    --------
    >>> from recsys.experiment import analyze, assign, simulate_response
    >>> groups = assign(range(3000), salt="s", control=0.5)
    >>> orders, _ = simulate_response(groups, start="2026-11-24", seed=0)
    >>> page = experiment_report(analyze(groups, orders, "2026-11-24", "2026-12-08"))
    >>> page.count("<table") >= 3
    True
    """
    facts = {"window": f"{result.start} .. {result.end} (end excluded)",
             "control arm": result.control, **dict(facts or {})}
    srm = result.srm
    if srm.get("expected"):
        facts["sample-ratio check"] = (f"{'MISMATCH' if srm['mismatch'] else 'ok'} (chi-square "
                                       f"p = {srm['p_value']:.3g}; observed {srm['observed']}, "
                                       f"planned {srm['expected']})")
    fact_rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
                        for k, v in facts.items())
    plots = _plots(result)
    figures = "".join(f"<h2>{html.escape(c)}</h2><img alt=\"{html.escape(c)}\" src=\"{u}\">"
                      for c, u in plots) or (
        '<p class="note">Plots need matplotlib: <code>python -m pip install '
        "'recsys[report]'</code>.</p>")
    key = result.uplift["metric"].isin(["conversion_rate", "revenue_per_customer"])
    segments = result.uplift[(result.uplift["segment"] != "all") & key]
    segment_html = (f"<h2>Per segment: conversion and revenue per customer</h2>"
                    f"{_table(_compact(segments, result.alpha))}" if len(segments) else "")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes)
    warning = ('<p class="warn"><b>Sample ratio mismatch:</b> the arms are not the sizes '
               "planned. Find the cause before trusting any number below.</p>"
               if srm.get("mismatch") else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{STYLE} .warn {{ color: #b00; }}</style><script>{SCRIPT}</script></head>
<body><h1>{html.escape(title)}</h1>{warning}
<table class="facts">{fact_rows}</table>
<h2>Arms</h2>{_table(result.arms.reset_index())}
<h2>Each arm against {html.escape(result.control)}</h2>
{_table(_compact(result.overall(), result.alpha))}
{segment_html}
<div class="plots">{figures}</div>
<ul class="note">{notes}</ul>
<p class="note">Rates: two-proportion z-test (pooled p-value, unpooled interval); means: Welch's
t; average order value: delta method. No correction for testing several metrics, arms and
segments: see docs/experiments.md.</p>
</body></html>
"""

"""A self-contained HTML evaluation report: tables, and plots when matplotlib is installed.

Plots are PNG images embedded as data URIs, so the file can be mailed or opened offline.
matplotlib is an optional extra (``pip install recsys[report]``); without it the report has
the tables and says how to get the plots.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from recsys.reporting.page import SCRIPT, STYLE, png, pyplot, scrolling

__all__ = ["evaluation_report"]

def _plots(table: pd.DataFrame, popularity: Mapping[str, np.ndarray]) -> list[tuple[str, str]]:
    plt = pyplot()
    if plt is None:
        return []
    out = []
    ranking = table[table["metric"].isin(["precision", "recall", "ndcg", "map", "mrr",
                                          "hit_rate"])]
    if len(ranking):
        out.append(_bars_at_one_k(plt, ranking) if ranking["k"].nunique() == 1
                   else _lines_over_k(plt, ranking))
    k_max = table["k"].max()
    acc = table[(table["metric"] == "ndcg") & (table["k"] == k_max)].set_index("model")["value"]
    cov = table[(table["metric"] == "coverage") & (table["k"] == k_max)].set_index("model")["value"]
    both = pd.concat([acc.rename("ndcg"), cov.rename("coverage")], axis=1).dropna()
    if len(both):
        fig, ax = plt.subplots(figsize=(5.5, 4))
        ax.scatter(both["coverage"], both["ndcg"])
        for model, row in both.iterrows():
            ax.annotate(str(model), (row["coverage"], row["ndcg"]), textcoords="offset points",
                        xytext=(5, 4), fontsize=9)
        ax.set_xlabel(f"catalogue coverage@{k_max}")
        ax.set_ylabel(f"ndcg@{k_max}")
        ax.grid(alpha=0.3)
        out.append(("Coverage against accuracy", png(fig)))
    if popularity:
        fig, ax = plt.subplots(figsize=(6.5, 4))
        for model, values in popularity.items():
            values = np.asarray(values, dtype=float)
            if len(values) == 0:
                continue
            values = np.sort(values)[::-1]
            ax.plot(np.linspace(0, 1, len(values)), values, label=model)
        ax.set_yscale("log")
        ax.set_xlabel("share of recommended slots (most popular first)")
        ax.set_ylabel("training buyers of the recommended item")
        _legend_outside(ax, len(popularity))
        ax.grid(alpha=0.3)
        fig.tight_layout()
        out.append(("Popularity of the recommended items", png(fig)))
    return out


def _bars_at_one_k(plt, ranking: pd.DataFrame) -> tuple[str, str]:
    """One k: a group of bars per metric, one bar per model, its interval as a whisker (a
    line over a single k would be dots on a meaningless axis)."""
    metrics = list(dict.fromkeys(ranking["metric"]))
    models = list(dict.fromkeys(ranking["model"]))
    k = int(ranking["k"].iloc[0])
    width = 0.8 / len(models)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.1 * len(metrics) * max(1, len(models)) ** 0.5),
                                    3.6))
    for offset, model in enumerate(models):
        part = ranking[ranking["model"] == model].set_index("metric").reindex(metrics)
        where = np.arange(len(metrics)) + (offset - (len(models) - 1) / 2) * width
        error = None
        if part["ci_low"].notna().all():
            error = np.vstack([part["value"] - part["ci_low"], part["ci_high"] - part["value"]])
        ax.bar(where, part["value"], width, yerr=error, capsize=2, label=str(model))
    ax.set_xticks(np.arange(len(metrics)), [f"{m}@{k}" for m in metrics])
    ax.grid(alpha=0.3, axis="y")
    _legend_outside(ax, len(models))
    fig.tight_layout()
    return f"Metrics at k={k} (whiskers: 95% bootstrap interval)", png(fig)


def _lines_over_k(plt, ranking: pd.DataFrame) -> tuple[str, str]:
    """Several k: a panel per metric, a line per model over k."""
    metrics = list(dict.fromkeys(ranking["metric"]))
    cols = min(3, len(metrics))
    rows = (len(metrics) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax, metric in zip(axes.ravel(), metrics, strict=False):
        part = ranking[ranking["metric"] == metric]
        for model, rows_ in part.groupby("model", sort=False):
            rows_ = rows_.sort_values("k")
            ax.plot(rows_["k"], rows_["value"], marker="o", label=model)
            if rows_["ci_low"].notna().all():
                ax.fill_between(rows_["k"], rows_["ci_low"], rows_["ci_high"], alpha=0.15)
        ax.set_title(f"{metric}@k")
        ax.set_xlabel("k")
        ax.set_xticks(sorted(part["k"].unique()))
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(metrics):]:
        ax.axis("off")
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=min(len(labels), 4), fontsize=8,
               bbox_to_anchor=(0.5, 0.0), frameon=False)  # below the panels, over no data
    fig.tight_layout()
    return "Metrics at each k (shaded: 95% bootstrap interval)", png(fig)


def _legend_outside(ax, n: int) -> None:
    """The legend right of the axes: never over the data."""
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              ncol=1 if n <= 12 else 2)


def _wide(table: pd.DataFrame) -> str:
    """One table per k: models as rows, metrics as columns, value over its interval."""
    out = []
    models = list(dict.fromkeys(table["model"]))
    for k in sorted(table["k"].unique()):
        at_k = table[table["k"] == k]
        metrics = list(dict.fromkeys(at_k["metric"]))
        head = "".join(f"<th>{html.escape(m)}@{k}</th>" for m in metrics)
        rows = []
        for model in models:
            part = at_k[at_k["model"] == model].set_index("metric")
            cells = []
            for metric in metrics:
                if metric not in part.index:
                    cells.append("<td></td>")
                    continue
                row = part.loc[metric]
                ci = ""
                if pd.notna(row["ci_low"]):
                    ci = f'<br><span class="ci">[{row["ci_low"]:.4f}, {row["ci_high"]:.4f}]</span>'
                cells.append(f"<td>{row['value']:.4f}{ci}</td>")
            rows.append(f"<tr><td>{html.escape(str(model))}</td>{''.join(cells)}</tr>")
        out.append(scrolling(f"<table><tr><th>model</th>{head}</tr>{''.join(rows)}</table>"))
    return "".join(out)


def evaluation_report(table: pd.DataFrame, *, title: str = "recsys evaluation",
                      facts: Mapping[str, Any] | None = None,
                      popularity: Mapping[str, np.ndarray] | None = None) -> str:
    """The report as one HTML string.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`recsys.evaluate`.
    facts : dict, optional
        Lines for the header (data set, split, sizes).
    popularity : dict, optional
        Per model, the training popularity of every recommended item (for the last plot).

    Returns
    -------
    str
        One self-contained HTML page (plots embedded as images; tables scroll in their own
        box).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"model": ["A"], "metric": ["ndcg"], "k": [10], "value": [0.1],
    ...                   "ci_low": [0.08], "ci_high": [0.12], "n_users": [50]})
    >>> "<table>" in evaluation_report(t)
    True
    """
    facts = dict(facts or {})
    plots = _plots(table, popularity or {})
    fact_rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
                        for k, v in facts.items())
    if plots:
        figures = "".join(f"<h2>{html.escape(caption)}</h2><img alt=\"{html.escape(caption)}\" "
                          f"src=\"{uri}\">" for caption, uri in plots)
    else:
        figures = ('<p class="note">Plots need matplotlib: '
                   "<code>python -m pip install 'recsys[report]'</code>.</p>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{STYLE}</style><script>{SCRIPT}</script></head>
<body><h1>{html.escape(title)}</h1>
<table class="facts">{fact_rows}</table>
<h2>Results (value, 95% bootstrap interval over users)</h2>
{_wide(table)}
<div class="plots">{figures}</div>
<p class="note">Metrics as defined in docs/metrics.md: binary relevance, means over test users
with at least one relevant item, seen items excluded from the lists.</p>
</body></html>
"""

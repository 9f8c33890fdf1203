"""Body-weight course (mean ± SEM and per-mouse traces) and the therapeutic window of the
regimens (group-mean weight nadir against %T/C)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .style import arm_palette, note_figure, plt


def body_weight_figure(
    summary: pd.DataFrame,
    pct: pd.DataFrame,
    arms: Sequence[str],
    control: str,
    dose_days: Mapping[str, Sequence[float]],
    thresholds: Sequence[float],
    title: str,
    min_fraction: float = 0.5,
) -> plt.Figure:
    """Left: arm mean ± SEM of %ΔBW per day (``body_weight.tsv``) on days when at least
    ``min_fraction`` of the arm's mice are weighed (as the growth curves), n weighed per day in
    a strip below (every day), dose days as triangles, dashed lines at −threshold %. Right:
    every mouse's trace."""
    if summary.empty:
        return note_figure(title, "No body weights in the data: no tolerability figure.")
    fig, axes = plt.subplots(
        2,
        2,
        figsize=(11, 5.2),
        gridspec_kw={"height_ratios": [4, 1]},
        squeeze=False,
    )
    ax, ax_n, ax_mice, blank = axes[0, 0], axes[1, 0], axes[0, 1], axes[1, 1]
    blank.set_axis_off()
    palette = arm_palette(arms, control)
    shown = [a for a in arms if a in set(summary["arm"])]
    size = pct.groupby("arm")["mouse_id"].nunique()
    for i, arm in enumerate(shown):
        r = summary[summary["arm"] == arm].sort_values("day")
        colour = palette[arm]
        # the mean of the last one or two mice weighed is not the arm's course
        drawn = r[r["n"] >= min_fraction * size.get(arm, 0)]
        ax.errorbar(
            drawn["day"],
            drawn["mean_pct_change"],
            yerr=drawn["sem"].fillna(0.0),
            color=colour,
            marker="o",
            ms=3,
            capsize=2,
            label=arm,
        )
        ax_n.plot(r["day"], np.full(len(r), i), "|", color=colour)
        for day, n in zip(r["day"], r["n"], strict=True):
            ax_n.text(day, i + 0.25, f"{int(n)}", fontsize=6, ha="center", color=colour)
        days = list(dose_days.get(arm, ()))
        if days:  # one row of triangles per arm, so that shared dose days stay visible
            top = float(summary["mean_pct_change"].max() + summary["sem"].fillna(0).max())
            ax.plot(days, [top + 1.0 + 1.5 * i] * len(days), "v", color=colour, ms=6)
    # every weighing day, also those whose mean is not drawn (the strip below counts them)
    first, last = float(summary["day"].min()), float(summary["day"].max())
    pad = 0.05 * (last - first) or 1.0
    ax.set_xlim(first - pad, last + pad)
    for t in thresholds:
        ax.axhline(-t, ls="--", lw=0.8, color="#b22222")
        ax.text(ax.get_xlim()[0], -t, f" −{t:g} %", va="bottom", fontsize=7, color="#b22222")
    ax.axhline(0, lw=0.6, color="#999999")
    ax.set_ylabel("body-weight change from baseline (%)")
    ax.legend(fontsize=7, frameon=False)
    ax.set_title(
        f"mean ± SEM while ≥ {min_fraction:.0%} of an arm's mice are weighed (▼ dose days)",
        fontsize=9,
    )
    ax_n.set_yticks(range(len(shown)), shown, fontsize=6)
    ax_n.set_ylim(-0.5, len(shown) - 0.3)
    ax_n.set_xlim(ax.get_xlim())
    ax_n.set_xlabel("day (numbers: mice weighed)")
    for (arm, _mouse), d in pct.groupby(["arm", "mouse_id"], sort=False):
        ax_mice.plot(d["day"], d["pct_change"], color=palette.get(arm, "#999999"), lw=0.7)
    for t in thresholds:
        ax_mice.axhline(-t, ls="--", lw=0.8, color="#b22222")
    ax_mice.axhline(0, lw=0.6, color="#999999")
    ax_mice.set_title("every mouse", fontsize=9)
    ax_mice.set_xlabel("day")
    fig.suptitle(title)
    return fig


def _whisker(value: float, low: float, high: float) -> list[list[float]] | None:
    """matplotlib's ``xerr``/``yerr`` for an interval around ``value`` (None: none)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return None
    return [[max(value - low, 0.0)], [max(high - value, 0.0)]]


def nadir_interval(pct: pd.DataFrame, arm: str, day: float) -> tuple[float, float]:
    """95% t interval of the group-mean nadir: the mean percent change of the arm's mice
    weighed on the nadir day, mean ± t_{n−1}·SD/√n (NaN with fewer than two mice)."""
    from scipy import stats

    values = pct.loc[(pct["arm"] == arm) & (pct["day"] == day), "pct_change"].dropna()
    n = len(values)
    if n < 2:
        return float("nan"), float("nan")
    half = float(stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n))
    return float(values.mean() - half), float(values.mean() + half)


def therapeutic_window_figure(
    points: pd.DataFrame, arms: Sequence[str], control: str, title: str
) -> plt.Figure:
    """``points``: arm, agent, label, x (group-mean nadir %) with x_low/x_high, y (%T/C) with
    y_low/y_high (95% intervals; NaN: no whisker), order (cumulative dose). One point per
    treated arm; arms of one agent joined in dose order."""
    usable = points.dropna(subset=["x", "y"])
    if usable.empty:
        return note_figure(title, "No treated arm has both a body-weight nadir and a %T/C.")
    fig, ax = plt.subplots(figsize=(6.2, 4.8))
    palette = arm_palette(arms, control)
    for agent, d in usable.groupby("agent", sort=False):
        if agent and len(d) > 1:
            d = d.sort_values("order", kind="mergesort")
            ax.plot(d["x"], d["y"], "-", color="#999999", lw=1, zorder=1)
    for row in usable.itertuples():
        colour = palette.get(str(row.arm), "#333333")
        ax.errorbar(
            row.x,
            row.y,
            xerr=_whisker(row.x, row.x_low, row.x_high),
            yerr=_whisker(row.y, row.y_low, row.y_high),
            color=colour,
            lw=1,
            capsize=2,
            zorder=1.5,
        )
        ax.scatter(row.x, row.y, color=colour, zorder=2, s=40)
        ax.annotate(
            str(row.label),
            (row.x, row.y),
            fontsize=7,
            xytext=(0, 6),
            textcoords="offset points",
            ha="center",
        )
    ax.margins(x=0.3, y=0.15)
    ax.axhline(42, ls=":", lw=0.8, color="#666666")
    ax.text(ax.get_xlim()[0], 42, " %T/C 42 % (NCI active)", fontsize=7, va="bottom")
    ax.set_xlabel("group-mean body-weight nadir (% change from baseline)")
    ax.set_ylabel("%T/C at the reference day (lower = more tumour control)")
    fig.suptitle(title)
    return fig

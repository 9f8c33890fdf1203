"""Kaplan–Meier figure: step curves per arm, censor ticks, CI bands, medians, number at risk.

The curves come from :func:`xenoflow.km.kaplan_meier` (the same estimator as the tables), so
the figure and ``survival.tsv`` cannot disagree. Each treated arm's legend entry carries its
median and, against the control, the log-rank p and the Cox HR (or the separation flag).
matplotlib draws it: seaborn has no Kaplan–Meier plot (``sns.ecdfplot`` knows no censoring).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ..km import at_risk, kaplan_meier, km_median_ci, median_flat
from .style import arm_palette, note_figure

#: opacity of a confidence band: light, so the bands of arms that overlap stay readable and
#: never hide a curve (0.12 before: two overlapping bands read as a third colour)
BAND_ALPHA = 0.06


def _fmt_p(p: float) -> str:
    if not isinstance(p, (int, float)) or math.isnan(p):
        return "p = n/a"
    return "p < 0.0001" if p < 1e-4 else f"p = {p:.2g}" if p < 0.01 else f"p = {p:.3f}"


def _median_label(sub: pd.DataFrame, alpha: float) -> str:
    """'31 d', 'not reached', or 'not unique (50% on days 52–56)' for a curve flat at exactly
    one half (:func:`xenoflow.km.median_flat`), as the summary says it."""
    flat = median_flat(sub["time_days"], sub["event"])
    if flat is not None:
        return f"not unique (50% on days {flat[0]:g}–{flat[1]:g})"
    med = km_median_ci(sub["time_days"], sub["event"], alpha)[0]
    return "not reached" if math.isnan(med) else f"{med:g} d"


def _legend(
    arm: str, label: str, sub: pd.DataFrame, test: Mapping[str, object] | None, alpha: float
) -> str:
    text = "\n  ".join(textwrap.wrap(label, 42))
    text += f"\n  n={len(sub)}, median {_median_label(sub, alpha)}"
    if test is not None:
        text += f"; log-rank {_fmt_p(_number(test['logrank_p']))}"
        hr = test.get("hr")
        if test.get("hr_flag"):
            hr_firth = test.get("hr_firth")
            text += "\n  Cox HR not estimable (separation)" + (
                f"; Firth HR {float(hr_firth):.2g}"
                if isinstance(hr_firth, float) and not math.isnan(hr_firth)
                else ""
            )
        elif isinstance(hr, float) and not math.isnan(hr):
            text += (
                f"\n  HR {hr:.2f} ({_number(test['hr_ci_low']):.2f}–"
                f"{_number(test['hr_ci_high']):.2f})"
            )
    return text


def _number(value: Any) -> float:
    """A test table's cell as a float (NaN when it is missing or not a number)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def km_figure(
    endpoints: pd.DataFrame | None,
    arms: Sequence[str],
    control: str,
    tests: pd.DataFrame | None = None,
    labels: Mapping[str, str] | None = None,
    alpha: float = 0.05,
    title: str = "",
    ci_bands: bool = True,
    endpoint_label: str = "",
) -> plt.Figure:
    """Kaplan–Meier curves with a number-at-risk table under the time axis.

    ``endpoints``: per-mouse ``arm, time_days, event``; ``None`` (no endpoint configured) or an
    empty table gives a placeholder figure saying so. ``tests``: the ``survival_tests``
    table (rows with ``reference == control`` are shown in the legend).
    """
    labels = dict(labels or {})
    if endpoints is None or endpoints.empty:
        message = (
            "No survival endpoint: the study gives no volume endpoint\n"
            "and no recorded survival table"
            if endpoints is None
            else "No mouse has a survival endpoint"
        )
        return note_figure(title, message)
    present = [a for a in arms if (endpoints["arm"] == a).any()]
    present += [a for a in dict.fromkeys(endpoints["arm"]) if a not in present]
    palette = arm_palette(list(arms) + [a for a in present if a not in arms], control)
    by_arm = (
        {}
        if tests is None or tests.empty
        else {r["arm"]: r for r in tests.to_dict("records") if r["reference"] == control}
    )
    n_rows = len(present)
    # room inside the figure for the arms' names left of the at-risk table and for the
    # legend right of the curves (the figure's own box holds every text)
    fig = plt.figure(figsize=(10.5, 5.6 + 0.28 * n_rows))
    grid = fig.add_gridspec(
        2,
        1,
        height_ratios=[5.2, 0.32 * n_rows + 0.5],
        hspace=0.28,
        left=0.17,
        right=0.64,
        top=0.86,
    )
    ax = fig.add_subplot(grid[0])
    table_ax = fig.add_subplot(grid[1], sharex=ax)
    start = min(0.0, float(endpoints["time_days"].min()))
    end = float(endpoints["time_days"].max())
    for arm in present:
        sub = endpoints[endpoints["arm"] == arm]
        km = kaplan_meier(sub["time_days"], sub["event"], alpha)
        colour = palette[arm]
        x = np.concatenate([[start], km["time"].to_numpy()])
        y = np.concatenate([[1.0], km["surv"].to_numpy()])
        ax.step(
            x,
            y,
            where="post",
            color=colour,
            lw=1.8,
            label=_legend(arm, labels.get(arm, arm), sub, by_arm.get(arm), alpha),
        )
        if ci_bands:
            lo = np.concatenate([[1.0], km["lower"].fillna(0).to_numpy()])
            hi = np.concatenate([[1.0], km["upper"].fillna(0).to_numpy()])
            ax.fill_between(x, lo, hi, step="post", color=colour, alpha=BAND_ALPHA, lw=0)
        cens = km[km["n_censor"] > 0]
        ax.plot(cens["time"], cens["surv"], "|", color=colour, ms=9, mew=1.5)
        med = km_median_ci(sub["time_days"], sub["event"], alpha)[0]
        if not math.isnan(med) and median_flat(sub["time_days"], sub["event"]) is None:
            ax.plot([start, med, med], [0.5, 0.5, 0.0], ls=":", color=colour, lw=1)
    ax.axhline(0.5, color="0.8", lw=0.6, zorder=0)
    ax.set_ylim(-0.02, 1.04)
    ax.set_xlim(start, end * 1.02 if end > 0 else end + 1)
    ax.set_ylabel("Fraction without endpoint")
    ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
    ax.tick_params(labelbottom=True)
    ax.set_xlabel("Day")
    sns.despine(ax=ax)
    handles, texts = ax.get_legend_handles_labels()
    if ci_bands:
        handles.append(Patch(facecolor="0.3", alpha=BAND_ALPHA * 2, lw=0))
        texts.append(f"shaded: pointwise {1 - alpha:.0%} confidence\n  band of each curve")
    ax.legend(
        handles,
        texts,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=7.5,
        frameon=False,
        borderaxespad=0.0,
    )
    heading = title or "Kaplan–Meier"
    if endpoint_label:
        heading += "\n" + textwrap.fill(f"Endpoint: {endpoint_label}", 100)
    ax.set_title(heading, fontsize=10)
    ticks = [t for t in ax.get_xticks() if start <= t <= end * 1.02 + 1e-9]
    table_ax.set_ylim(-0.5, n_rows - 0.5)
    table_ax.axis("off")
    table_ax.text(
        0.0,
        1.02,
        "Number at risk",
        transform=table_ax.transAxes,
        fontsize=8,
        va="bottom",
        weight="bold",
    )
    for i, arm in enumerate(present):
        row_y = n_rows - 1 - i
        counts = at_risk(endpoints.loc[endpoints["arm"] == arm, "time_days"], ticks)
        for tick, count in zip(ticks, counts):
            table_ax.text(
                tick, row_y, str(count), ha="center", va="center", fontsize=8, color=palette[arm]
            )
        table_ax.annotate(
            arm,
            xy=(0.0, row_y),
            xycoords=table_ax.get_yaxis_transform(),
            xytext=(-14, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=8,
            color=palette[arm],
        )
    return fig

"""Power curves of a design (``power.tsv``): power against mice per arm, one panel per endpoint."""

from __future__ import annotations

import textwrap

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from .style import TREATED_COLOURS, plt

#: endpoint -> panel title (survival: Schoenfeld's formula; Freedman's is in the table)
PANELS = {
    "log_volume": "Log volume at day {day:g} (t test)",
    "growth_rate": "Growth rate to day {day:g} (mixed model)",
    "survival": "Time to endpoint, follow-up to day {day:g} (log-rank)",
    "synergy": "Synergy contrasts to day {day:g} (mixed model, F test)",
}
#: synergy endpoints in the one synergy panel: line style per contrast
SYNERGY_STYLES = {"synergy_bliss": ("Bliss", "-"), "synergy_hsa": ("HSA", "--")}


#: line style of each further method of one endpoint (the first, analytic one is solid)
METHOD_STYLES = ["-", "--", ":"]


def power_figure(power: pd.DataFrame, target: float, day: float, title: str) -> plt.Figure:
    """One panel per endpoint at follow-up ``day``: power against n per arm, a colour per
    growth inhibition and a line style per method (the survival panel has the analytic
    Schoenfeld power and the power simulated from the growth mixed model: one line each, not
    one line through both), simulated power as points ± 2 Monte-Carlo SE, the target as a
    dashed grey line. The inhibitions' legend sits under the panels."""
    present = set(power["endpoint"])
    endpoints = [
        e for e in PANELS if e in present or (e == "synergy" and present & set(SYNERGY_STYLES))
    ]
    fig, axes = plt.subplots(
        1,
        max(len(endpoints), 1),
        figsize=(4.2 * max(len(endpoints), 1), 4.6),
        squeeze=False,
        layout="constrained",
    )
    if not endpoints:
        axes[0, 0].text(0.5, 0.5, "no endpoint could be designed", ha="center", va="center")
        axes[0, 0].set_axis_off()
    tgis = sorted(power["tgi_pct"].dropna().unique())
    for ax, endpoint in zip(axes[0], endpoints):
        if endpoint == "synergy":
            _synergy_panel(ax, power[power["follow_up_days"] == day])
            _frame(ax, power, target, PANELS[endpoint].format(day=day))
            continue
        rows = power[(power["endpoint"] == endpoint) & ~power["method"].str.contains("Freedman")]
        rows = rows[rows["follow_up_days"] == day]
        methods = list(dict.fromkeys(rows["method"]))
        for i, tgi in enumerate(tgis):
            colour = TREATED_COLOURS[i % len(TREATED_COLOURS)]
            for k, method in enumerate(methods):
                r = rows[(rows["tgi_pct"] == tgi) & (rows["method"] == method)]
                _power_line(ax, r.sort_values("n_per_arm"), colour, METHOD_STYLES[k % 3], tgi, k)
        if len(methods) > 1:
            ax.legend(
                handles=[
                    Line2D([], [], color="0.3", ls=METHOD_STYLES[k % 3], label=_short(m))
                    for k, m in enumerate(methods)
                ],
                fontsize=6.5,
                loc="upper left",
                frameon=False,
            )
        _frame(ax, power, target, PANELS[endpoint].format(day=day))
    if set(endpoints) - {"synergy"}:
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=len(tgis), fontsize=8)
    fig.suptitle(title, fontsize=11)
    return fig


def _frame(ax: Axes, power: pd.DataFrame, target: float, title: str) -> None:
    """Axes of a power panel: the target line, power 0-1, the design's n as ticks."""
    ax.axhline(target, ls="--", color="0.3", lw=1)
    ax.set_ylim(0, 1.02)
    ax.set_xticks(sorted(power["n_per_arm"].unique()))
    ax.set_xlabel("mice per arm")
    ax.set_ylabel("power")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)


def _synergy_panel(ax: Axes, power: pd.DataFrame) -> None:
    """The Bliss and HSA contrasts of each combination at the pilot's own effect: a colour
    per combination, a line style per contrast, the legend in the panel."""
    rows = power[power["endpoint"].isin(list(SYNERGY_STYLES))]
    combos = list(dict.fromkeys(rows["method"]))
    for i, method in enumerate(combos):
        colour = TREATED_COLOURS[i % len(TREATED_COLOURS)]
        combo = str(method).rsplit(": ", 1)[-1]
        for endpoint, (name, style) in SYNERGY_STYLES.items():
            r = rows[(rows["method"] == method) & (rows["endpoint"] == endpoint)]
            if len(r):
                r = r.sort_values("n_per_arm")
                ax.plot(
                    r["n_per_arm"], r["power"], ls=style, color=colour, label=f"{name}, {combo}"
                )
    ax.legend(fontsize=6.5, loc="lower right", frameon=False)


def _power_line(ax: Axes, r: pd.DataFrame, colour: str, style: str, tgi: float, k: int) -> None:
    """One method's power for one inhibition: the line, and its simulated points ± 2 SE
    (a simulation-only method's line is its points joined)."""
    label = f"TGI {tgi:g} %" if k == 0 else None
    ax.plot(r["n_per_arm"], r["power"], ls=style, color=colour, label=label)
    sim = r[r["power_simulated"].notna()]
    if len(sim):
        ax.errorbar(
            sim["n_per_arm"],
            sim["power_simulated"],
            yerr=2 * sim["power_simulated_se"],
            fmt="o" if k == 0 else "s",
            ms=3,
            color=colour,
            capsize=2,
        )


def _short(method: str) -> str:
    """A method's name for a legend: its text before the first parenthesis, wrapped."""
    return textwrap.fill(method.split(" (")[0], 38)

"""Power curves of a design (``power.tsv``): power against mice per arm, one panel per endpoint."""

from __future__ import annotations

import pandas as pd

from .style import TREATED_COLOURS, plt

#: endpoint -> panel title (survival: Schoenfeld's formula; Freedman's is in the table)
PANELS = {
    "log_volume": "Log volume at day {day:g} (t test)",
    "growth_rate": "Growth rate to day {day:g} (mixed model)",
    "survival": "Time to endpoint, follow-up to day {day:g} (log-rank)",
}


def power_figure(power: pd.DataFrame, target: float, day: float, title: str) -> plt.Figure:
    """One panel per endpoint at follow-up ``day``: analytic power against n per arm, a line
    per growth inhibition, simulated power as points ± 2 Monte-Carlo SE, the target as a
    dashed line."""
    endpoints = [e for e in PANELS if e in set(power["endpoint"])]
    fig, axes = plt.subplots(
        1, max(len(endpoints), 1), figsize=(4.2 * max(len(endpoints), 1), 4.0), squeeze=False
    )
    if not endpoints:
        axes[0, 0].text(0.5, 0.5, "no endpoint could be designed", ha="center", va="center")
        axes[0, 0].set_axis_off()
    tgis = sorted(power["tgi_pct"].unique())
    for ax, endpoint in zip(axes[0], endpoints):
        rows = power[(power["endpoint"] == endpoint) & ~power["method"].str.contains("Freedman")]
        rows = rows[rows["follow_up_days"] == day]
        for i, tgi in enumerate(tgis):
            r = rows[rows["tgi_pct"] == tgi].sort_values("n_per_arm")
            colour = TREATED_COLOURS[i % len(TREATED_COLOURS)]
            ax.plot(r["n_per_arm"], r["power"], "-", color=colour, label=f"TGI {tgi:g} %")
            sim = r[r["power_simulated"].notna()]
            if len(sim):
                ax.errorbar(
                    sim["n_per_arm"],
                    sim["power_simulated"],
                    yerr=2 * sim["power_simulated_se"],
                    fmt="o",
                    ms=3,
                    color=colour,
                    capsize=2,
                )
        ax.axhline(target, ls="--", color="0.3", lw=1)
        ax.set_ylim(0, 1.02)
        ax.set_xticks(sorted(power["n_per_arm"].unique()))
        ax.set_xlabel("mice per arm")
        ax.set_ylabel("power")
        ax.set_title(PANELS[endpoint].format(day=day), fontsize=10)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8, loc="lower right")
    fig.suptitle(title, fontsize=11)
    return fig

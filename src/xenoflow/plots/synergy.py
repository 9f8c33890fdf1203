"""Synergy figures (``synergy_model.tsv``, ``synergy.tsv``, ``synergy_diagnostics.tsv``): per
combination, the data and fitted arm lines, the time-resolved synergy scores, and the model
diagnostics."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .style import arm_palette, plt

#: method -> label and the p_method rows drawn (Bliss and HSA: SynergyLMM's z test)
METHODS = {"bliss": "Bliss", "hsa": "HSA", "ra": "RA"}
Z_TEST = "Wald z"


def _rows(n: int, ncols: int, width: float = 4.4) -> tuple[plt.Figure, np.ndarray]:
    return plt.subplots(max(n, 1), ncols, figsize=(width * ncols, 3.6 * max(n, 1)), squeeze=False)


def _fits(ax: plt.Axes, model: pd.DataFrame, diag: pd.DataFrame, colours: dict[str, str]) -> None:
    """ln RTV of every mouse (points; time 0 = time_start) and the fitted lines β_arm·t."""
    t_max = float(diag["time"].max()) if len(diag) else 1.0
    grid = np.linspace(0.0, t_max, 50)
    for row in model.itertuples():
        pts = diag[diag["arm"] == row.arm]
        colour = colours[str(row.arm)]
        ax.plot(pts["time"], pts["log_rtv"], "o", ms=3, alpha=0.5, color=colour)
        ax.plot(grid, row.growth_rate * grid, "-", color=colour, lw=2, label=str(row.arm))
    transform = str(model["time_transform"].iloc[0]) if len(model) else "none"
    start = float(model["time_start"].iloc[0]) if len(model) else 0.0
    unit = "√(days)" if transform == "sqrt" else "days"
    ax.set_xlabel(f"time since day {start:g} ({unit})")
    ax.set_ylabel("ln relative tumour volume")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)


#: A palette of its own for the methods (colour, marker, line), none of the arm colours, so a
#: method is never read as an arm.
METHOD_STYLES = {
    "bliss": ("#6A3D9A", "o", "-"),
    "hsa": ("#1B1B1B", "s", "--"),
    "ra": ("#7F7F7F", "^", ":"),
}


def _scores(ax: plt.Axes, rows: pd.DataFrame) -> None:
    """Synergy score (a z statistic, so no interval) against the last day of the data, one line
    per method in :data:`METHOD_STYLES`, over the band where p > 0.05."""
    for i, (method, label) in enumerate(METHODS.items()):
        r = rows[(rows["method"] == method) & (rows["basis"] == "lmm")]
        if method != "ra":
            r = r[r["p_method"].str.startswith(Z_TEST)]
        r = r.sort_values("day")
        if r.empty:
            continue
        colour, marker, line = METHOD_STYLES[method]
        ax.plot(
            r["day"] + (i - 1) * 0.25,
            r["score"],
            marker=marker,
            ls=line,
            color=colour,
            ms=4,
            label=label,
        )
    # the score is a z statistic: no interval around it, the two-sided 5% band instead
    ax.axhspan(-1.96, 1.96, color="0.92", zorder=0, label="|score| < 1.96: p > 0.05")
    ax.axhline(0, ls="--", color="0.3", lw=1)
    ax.set_xlabel("study day (data up to this day)")
    ax.set_ylabel("synergy score, z (> 0 synergy)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)


def synergy_figure(
    model: pd.DataFrame,
    scores: pd.DataFrame,
    diagnostics: pd.DataFrame,
    arms: list[str],
    control: str,
    title: str,
) -> plt.Figure:
    """One row per combination: data with the fitted lines, and the time-resolved scores."""
    combos = list(dict.fromkeys(model["combination"]))
    colours = arm_palette(arms, control)
    fig, axes = _rows(len(combos), 2)
    for (ax_fit, ax_score), combo in zip(axes, combos):
        _fits(
            ax_fit,
            model[model["combination"] == combo],
            diagnostics[diagnostics["combination"] == combo],
            colours,
        )
        ax_fit.set_title(f"{combo}: fitted exponential model", fontsize=10)
        _scores(ax_score, scores[scores["combination"] == combo])
        ax_score.set_title(f"{combo}: synergy over time", fontsize=10)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def diagnostics_figure(
    diagnostics: pd.DataFrame, arms: list[str], control: str, title: str
) -> plt.Figure:
    """One row per combination: normalised residuals against time by arm, random slopes by
    arm, Cook's distance per mouse."""
    combos = list(dict.fromkeys(diagnostics["combination"]))
    colours = arm_palette(arms, control)
    fig, axes = _rows(len(combos), 3, width=4.0)
    for (ax_res, ax_re, ax_cook), combo in zip(axes, combos):
        d = diagnostics[diagnostics["combination"] == combo]
        mice = d.drop_duplicates(["arm", "mouse_id"])
        order = list(dict.fromkeys(d["arm"]))
        for i, arm in enumerate(order):
            a = d[d["arm"] == arm]
            m = mice[mice["arm"] == arm]
            ax_res.plot(a["time"], a["resid_normalised"], "o", ms=3, color=colours[arm], label=arm)
            ax_re.plot(np.full(len(m), i), m["ranef_slope"], "o", ms=4, color=colours[arm])
        for lim in (-1.96, 1.96):
            ax_res.axhline(lim, ls="--", color="0.4", lw=0.8)
        ax_res.set_xlabel("time")
        ax_res.set_ylabel("normalised residual")
        ax_res.legend(fontsize=7)
        ax_re.axhline(0, color="0.6", lw=0.8)
        ax_re.set_xticks(range(len(order)), order, rotation=20, fontsize=7)
        ax_re.set_ylabel("random slope")
        cooks = mice["cooks_distance"].fillna(0.0).to_numpy(dtype=float)
        ax_cook.bar(range(len(mice)), cooks, color=[colours[a] for a in mice["arm"]])
        threshold = 3 * float(mice["cooks_distance"].mean())
        ax_cook.axhline(threshold, ls="--", color="0.3", lw=1)
        # a tick per mouse is unreadable at a report's width: only influential mice are named
        ax_cook.set_xticks([])
        for x, (mouse, value) in enumerate(zip(mice["mouse_id"].astype(str), cooks, strict=True)):
            if value > threshold:
                ax_cook.annotate(
                    mouse, (x, value), xytext=(0, 2), textcoords="offset points",
                    ha="center", fontsize=7,
                )  # fmt: skip
        ax_cook.set_xlabel("mice by arm (named: above 3× the mean)", fontsize=8)
        ax_cook.set_ylabel("Cook's distance")
        for ax, what in zip((ax_res, ax_re, ax_cook), ("residuals", "random slopes", "Cook's D")):
            ax.set_title(f"{combo}: {what}", fontsize=9)
            ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig

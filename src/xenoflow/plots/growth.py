"""Growth figures: arm mean ± SEM curves (linear and log y) and per-mouse spaghetti plots.

Mean ± SEM per arm and day is the GraphPad Prism convention for xenograft growth curves
(SEM = SD/√n over the mice measured that day). Colours come from
:func:`xenoflow.plots.style.arm_palette`, so an arm has the same colour in every figure.

matplotlib draws them. The mean ± SEM curves come from :func:`arm_day_summary` (the numbers
of the tables and the Prism export): ``sns.lineplot(errorbar="se")`` computes its own
aggregate, and on a log axis it averages in log space (the geometric mean, not the
arithmetic mean the figure states). The spaghetti plot maps nothing and aggregates nothing
(each mouse's points and its own fitted curve), where seaborn's ``scatterplot`` and
``lineplot`` only add cost. Log axes are labelled by :func:`xenoflow.plots.style.log_scale`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.gridspec import GridSpec
from matplotlib.ticker import MaxNLocator

from .. import growth
from ..config import Study, display_unit
from .style import arm_palette, log_scale, save_figure


def arm_day_summary(data: pd.DataFrame, arms: Sequence[str]) -> pd.DataFrame:
    """Mean, SEM (SD/√n, NaN for n = 1) and n of ``volume_mm3`` per arm and day (all volumes)."""
    d = data.dropna(subset=["volume_mm3"])
    g = d.groupby(["arm", "day"])["volume_mm3"]
    out = g.agg(mean="mean", sd="std", n="count").reset_index()
    out["sem"] = out["sd"] / np.sqrt(out["n"])
    out["arm"] = pd.Categorical(out["arm"], [a for a in arms if a in set(out["arm"])])
    return out.sort_values(["arm", "day"]).reset_index(drop=True)


#: font size (points) of the dose amounts in the dosing strip
DOSE_FONT = 6.5


def dose_labels(doses: Sequence[Any], spacing_in: float) -> tuple[list[tuple[float, str]], str]:
    """What the dosing strip writes for one arm: ``(day, text)`` per labelled dose, and a unit
    for the arm's row label when the texts carry none.

    Each dose is labelled once, above its triangle, with its amount and display unit
    (:func:`xenoflow.config.display_unit`: µCi, mg/m²). When the labels would overlap
    (``spacing_in``: the narrowest gap between two dosing days, in inches on the figure), one
    amount given on every day is written once, at the first dose ("10 mg/kg each"); different
    amounts keep their numbers and the unit moves to the row label."""
    given = [d for d in doses if d.amount is not None]
    if not given:
        return [], ""
    units = {display_unit(d.unit) if d.unit else "" for d in given}
    unit = units.pop() if len(units) == 1 else ""
    texts = [f"{d.amount:g} {display_unit(d.unit) if d.unit else ''}".strip() for d in given]
    # a character of DejaVu Sans is about 0.55 em wide; 72 points per inch
    width_in = max(len(t) for t in texts) * DOSE_FONT * 0.55 / 72
    if len(given) == 1 or spacing_in > width_in * 1.15:
        return [(d.day, t) for d, t in zip(given, texts)], ""
    if len({d.amount for d in given}) == 1 and unit:
        return [(given[0].day, f"{texts[0]} each")], ""
    return [(d.day, f"{d.amount:g}") for d in given], unit


def exits_of(arm_data: pd.DataFrame) -> pd.DataFrame:
    """``mouse_id, day, volume_mm3`` of each mouse's last measurement before its arm's last
    measured day: the mice that left the study early (humane endpoint, death, removal)."""
    measured = arm_data.dropna(subset=["volume_mm3"])
    if measured.empty:
        return measured[["mouse_id", "day", "volume_mm3"]]
    last = measured.sort_values("day", kind="stable").groupby("mouse_id", sort=False).tail(1)
    return last.loc[last["day"] < measured["day"].max(), ["mouse_id", "day", "volume_mm3"]]


def large_exits(arm_data: pd.DataFrame) -> pd.DataFrame:
    """The exits (:func:`exits_of`) of mice whose last volume was at or above the arm's median
    that day: after such a mouse leaves, the arm's mean is that of the smaller tumours left and
    falls although no tumour shrank (informative dropout), so the mean curve stops there."""
    exits = exits_of(arm_data)
    if exits.empty:
        return exits
    median = arm_data.groupby("day")["volume_mm3"].median()
    return exits[exits["volume_mm3"].to_numpy() >= exits["day"].map(median).to_numpy()]


def mean_stop_day(arm_data: pd.DataFrame, every_day: pd.DataFrame) -> float | None:
    """The last day the arm's mean is drawn (None: to the end): the first day after which a
    mouse with a tumour at or above the arm's median leaves (:func:`large_exits`) and the
    arm's mean falls at the next measurement. The mean falls then because the large tumour
    left, not because any tumour shrank; an exit after which the mean keeps rising (an early
    toxic death of a typical tumour) does not stop it."""
    means = every_day.set_index("day")["mean"].sort_index()
    for day in sorted(large_exits(arm_data)["day"].unique()):
        later = means[means.index > day]
        if len(later) and day in means.index and later.iloc[0] < means[day]:
            return float(day)
    return None


def growth_curves_figure(
    data: pd.DataFrame, study: Study, arms: Sequence[str] | None = None
) -> plt.Figure:
    """Mean ± SEM per arm over days, linear and log y, dosing days and mice measured per day."""
    arms = list(arms or growth.study_arms(data, study.arm_names, study.control))
    palette = arm_palette(study.arm_names or arms, study.control)
    summary = arm_day_summary(data, arms)
    dosed = [a for a in arms if _arm_doses(study, a)]
    fig = plt.figure(figsize=(9, 10 + 0.35 * len(dosed)))
    heights = [max(0.42 * len(dosed), 0.01), 3.6, 3.6, 1.3]
    gs = GridSpec(4, 1, figure=fig, height_ratios=heights, hspace=0.14, top=0.94)
    ax_lin = fig.add_subplot(gs[1])
    ax_log = fig.add_subplot(gs[2], sharex=ax_lin)
    ax_n = fig.add_subplot(gs[3], sharex=ax_lin)
    ax_dose = fig.add_subplot(gs[0], sharex=ax_lin)
    min_fraction = float(study.settings.get("mean_min_fraction", 0.5))
    size = data.groupby("arm")["mouse_id"].nunique()
    tops: list[float] = []  # highest whisker per arm
    for i, arm in enumerate(arms):
        every_day = summary[summary["arm"] == arm]
        if every_day.empty:
            continue
        # the mean of the last few survivors is not the arm's growth
        s = every_day[every_day["n"] >= min_fraction * size.get(arm, 0)]
        stop = mean_stop_day(data[data["arm"] == arm], every_day)
        if stop is not None:
            s = s[s["day"] <= stop]
        c = palette.get(arm, "black")
        label = _arm_label(study, arm)
        if len(s):
            tops.append(float((s["mean"] + s["sem"].fillna(0.0)).max()))
        for ax in (ax_lin, ax_log):
            sem = s["sem"].fillna(0.0).to_numpy()
            mean = s["mean"].to_numpy()
            lower = np.minimum(sem, mean * 0.999) if ax is ax_log else sem
            ax.errorbar(
                s["day"],
                mean,
                yerr=[lower, sem],
                color=c,
                marker="o",
                ms=3.5,
                lw=1.5,
                capsize=2.5,
                label=label,
            )
        gone = exits_of(data[data["arm"] == arm])
        for ax in (ax_lin, ax_log):
            ax.plot(gone["day"], gone["volume_mm3"], "x", color=c, ms=5, mew=1.2, zorder=3)
        # arms with the same count share a line: earlier arms wider, so each stays visible
        width = 1.2 + 2.0 * (len(arms) - 1 - i) / max(len(arms) - 1, 1)
        ax_n.step(
            every_day["day"],
            every_day["n"],
            where="post",
            color=c,
            lw=width,
            marker=".",
            label=label,
        )
    ax_lin.set_ylabel("Tumour volume (mm³), mean ± SEM")
    ax_log.set_ylabel("Tumour volume (mm³), log scale")
    log_scale(ax_log)
    # headroom for the legend's rows above the highest whisker (it sits in the upper left)
    ax_lin.set_ylim(0, max(tops, default=1.0) * 1.05 / max(1.0 - 0.065 * len(arms) - 0.04, 0.4))
    ax_lin.legend(fontsize=8, frameon=False, loc="upper left")
    ax_lin.set_title(
        f"means: while ≥ {min_fraction:.0%} of an arm's mice are measured, and until a large "
        "tumour's exit makes them fall; × = a mouse's last measurement",
        fontsize=8,
        loc="right",
        color="0.35",
    )
    _mice_panel(ax_n, summary)
    for ax in (ax_lin, ax_log):
        ax.tick_params(labelbottom=False)
        dose_days = sorted({d.day for a in dosed for d in _arm_doses(study, a)})
        for day in dose_days if len(dose_days) <= 12 else []:
            ax.axvline(day, color="0.85", lw=0.8, zorder=0)
    _dosing_strip(ax_dose, study, dosed, palette)
    title = getattr(study, "title", "") or study.study_id
    fig.suptitle(f"{title}: tumour growth by arm", fontsize=12, y=0.975)
    return fig


def _mice_panel(ax: Any, summary: pd.DataFrame) -> None:
    """Axis of the mice-measured panel: integer counts, room above the largest (a line at the
    top edge would hide under the frame)."""
    ax.set_ylabel("Mice\nmeasured")
    ax.set_xlabel("Day")
    top = float(summary["n"].max()) if len(summary) else 1.0
    ax.set_ylim(0, top * 1.15)
    locator = ax.yaxis.get_major_locator()  # AutoLocator, a MaxNLocator
    if isinstance(locator, MaxNLocator):
        locator.set_params(integer=True)


def _dosing_strip(ax: Any, study: Study, dosed: Sequence[str], palette: dict[str, str]) -> None:
    """One row per dosed arm (its name on the left, in its colour), a triangle on every dosing
    day and each dose's amount once (:func:`dose_labels`), all inside the figure."""
    if not dosed:
        ax.set_axis_off()
        return
    fig = ax.get_figure()
    left, right = ax.get_xlim()
    inches_per_day = ax.get_position().width * fig.get_figwidth() / (right - left)
    names = []
    for i, arm in enumerate(dosed):
        doses = _arm_doses(study, arm)
        y = len(dosed) - 1 - i
        days = sorted({d.day for d in doses})
        ax.plot(days, [y] * len(days), "v", color=palette.get(arm), ms=6, clip_on=False)
        spacing = min(np.diff(days), default=np.inf) * inches_per_day
        labels, unit = dose_labels(doses, spacing)
        for day, text in labels:
            ax.annotate(
                text,
                (day, y),
                xytext=(0, 5),
                textcoords="offset points",
                fontsize=DOSE_FONT,
                ha="left" if day <= left + 0.02 * (right - left) else "center",
                va="bottom",
                color="0.15",
            )
        names.append(f"{arm} ({unit})" if unit else arm)
    ax.set_ylim(-0.6, len(dosed) - 0.1)
    ax.set_yticks(range(len(dosed)), names[::-1], fontsize=8)
    for tick, arm in zip(ax.get_yticklabels(), dosed[::-1]):
        tick.set_color(palette.get(arm, "black"))
    ax.tick_params(axis="y", length=0)
    ax.tick_params(labelbottom=False, bottom=False)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_title("Dosing days (▼) and dose per administration", fontsize=9, loc="left")


def _arm_doses(study: Study, arm: str) -> tuple[Any, ...]:
    try:
        return tuple(study.arm(arm).doses)
    except (KeyError, AttributeError):
        return ()


def _arm_label(study: Study, arm: str) -> str:
    try:
        return study.arm(arm).legend
    except (KeyError, AttributeError):
        return arm


def _fitted_curve(pm: pd.DataFrame | None, arm: str, mouse: str) -> pd.DataFrame | None:
    """The mouse's best-AIC fitted curve on 60 days from its first to last day (exponential
    when the best model has no parameters), or ``None`` when it was not fitted."""
    if pm is None or (arm, mouse) not in pm.index:
        return None
    row = pm.loc[(arm, mouse)]
    model = row["best_model"] if isinstance(row.get("best_model"), str) else "exponential"
    fits = row.get("_fits")
    if model == "not fit" or not isinstance(fits, dict) or fits[model]["params"] is None:
        model = "exponential"
    grid = np.linspace(row["first_day"], row["last_day"], 60)
    if isinstance(fits, dict) and fits.get(model, {}).get("params") is not None:
        yfit = growth.predict_model(model, fits[model]["params"], grid, row["first_day"])
    else:
        yfit = np.exp(row["intercept_log_mm3"] + row["growth_rate_per_day"] * grid)
    return pd.DataFrame({"mouse_id": mouse, "day": grid, "volume_mm3": yfit})


def spaghetti_figure(result: growth.GrowthResult, data: pd.DataFrame, study: Study) -> plt.Figure:
    """Every mouse (points = measurements, thin line = its best-AIC fitted curve), one panel
    per arm, log y. Zero volumes are drawn at the bottom edge as open markers."""
    arms = result.arms
    palette = arm_palette(study.arm_names or arms, study.control)
    ncol = 2 if len(arms) == 4 else min(len(arms), 3)
    nrow = int(np.ceil(len(arms) / ncol))
    fig, axes = plt.subplots(
        nrow, ncol, figsize=(3.6 * ncol, 3.2 * nrow), sharex=True, sharey=True, squeeze=False
    )
    pm = result.per_mouse.set_index(["arm", "mouse_id"]) if len(result.per_mouse) else None
    pos = data[data["volume_mm3"] > 0]["volume_mm3"]
    ymin = float(pos.min()) / 2 if len(pos) else 1.0
    for ax, arm in zip(axes.flat, arms):
        c = palette.get(arm, "black")
        d = data[data["arm"].astype(str) == arm]
        v = d["volume_mm3"].to_numpy(dtype=float)
        day = d["day"].to_numpy(dtype=float)
        # measured volumes; zero volumes at the bottom edge, open (no log of 0). matplotlib,
        # not seaborn: with nothing to map or aggregate, seaborn's scatterplot and lineplot
        # draw the same markers and lines at ~5 times the cost
        if (v > 0).any():
            ax.scatter(day[v > 0], v[v > 0], color=c, s=12, alpha=0.7, linewidths=0)
        if (v <= 0).any():
            zero = np.full(int((v <= 0).sum()), ymin)
            ax.scatter(day[v <= 0], zero, s=12, facecolors="none", edgecolors=c, linewidths=1.0)
        for mouse in dict.fromkeys(d["mouse_id"].astype(str)):
            curve = _fitted_curve(pm, arm, mouse)
            if curve is not None:  # each mouse's own fitted curve
                ax.plot(curve["day"], curve["volume_mm3"], color=c, lw=1.0, alpha=0.9)
        log_scale(ax)
        # wrapped to the panel's width: a long label ran into the next panel's
        ax.set_title(textwrap.fill(_arm_label(study, arm), 34), fontsize=10, color=c)
        ax.set_ylim(bottom=ymin * 0.8)
    for ax in axes.flat[len(arms) :]:
        ax.set_axis_off()
    for ax in axes[:, 0]:
        ax.set_ylabel("Tumour volume (mm³)")
    for ax in axes[-1, :]:
        ax.set_xlabel("Day")
    title = getattr(study, "title", "") or study.study_id
    fig.suptitle(f"{title}: every mouse with its fitted curve (best model by AIC)", fontsize=11)
    fig.tight_layout()
    return fig


def write_growth_figures(
    result: growth.GrowthResult, data: pd.DataFrame, study: Study, figure_dir: str | Path
) -> list[Path]:
    """Write ``growth_curves.*`` and ``spaghetti.*`` into ``figure_dir``; return the paths."""
    # the rule declares png and svg; further configured formats (pdf) are added
    formats = list(dict.fromkeys(["png", "svg", *study.settings.get("figure_formats", [])]))
    out = Path(figure_dir)
    written = save_figure(
        growth_curves_figure(data, study, result.arms), out / "growth_curves", formats
    )
    written += save_figure(spaghetti_figure(result, data, study), out / "spaghetti", formats)
    return written

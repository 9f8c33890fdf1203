"""The dose-driven growth model's fitted arm means and the ``what_if`` predictions
(``what_if.tsv``, :mod:`xenoflow.regimenmodel`)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .style import arm_palette, log_scale, note_figure, plt

WHAT_IF_COLOURS = ["#6A3D9A", "#E7298A", "#7F7F00", "#17BECF"]


def _band(ax: plt.Axes, d: pd.DataFrame, colour: str, style: str, label: str) -> None:
    ax.fill_between(d["day"], np.exp(d["ci_low"]), np.exp(d["ci_high"]), color=colour, alpha=0.15)
    ax.plot(d["day"], np.exp(d["pred_mean_log_volume"]), style, color=colour, lw=1.5, label=label)


def what_if_figure(
    what_if: pd.DataFrame,
    arms: Sequence[str],
    control: str,
    dose_days: Mapping[str, Sequence[float]],
    title: str,
    labels: Mapping[str, str] | None = None,
) -> plt.Figure:
    """Observed arm means (dots), fitted curves (solid, band) and what-if predictions (dashed,
    band) as geometric-mean volumes on a log axis; dose days as triangles along the bottom, one row per curve."""
    # a what_if regimen the model does not predict has one row without a day (its nadir)
    what_if = what_if[what_if["day"].notna()] if "day" in what_if else what_if
    if what_if.empty:
        return note_figure(title, "No arm has doses: no dose-driven growth model.")
    # the legend (curves with their doses) right of the axes, inside the figure
    fig, ax = plt.subplots(figsize=(11, 5), layout="constrained")
    palette = arm_palette(arms, control)
    names = list(dict.fromkeys(what_if["name"]))
    extra = iter(WHAT_IF_COLOURS * (1 + len(names) // len(WHAT_IF_COLOURS)))
    for row, name in enumerate(names):
        d = what_if[what_if["name"] == name].sort_values("day")
        observed = d["kind"].iloc[0] == "observed"
        colour = palette.get(name, "#333333") if observed else next(extra)
        # the legend names each curve's doses (``labels``), which its triangles only place
        text = (labels or {}).get(name, name)
        label = textwrap.fill(text if observed else f"{text} (what if)", 44)
        _band(ax, d, colour, "-" if observed else "--", label)
        if observed:
            seen = d[d["n_observed"] > 0]
            ax.plot(seen["day"], np.exp(seen["observed_mean_log_volume"]), "o", color=colour, ms=3)
        days = dose_days.get(name, [])
        if not len(days):
            # an empty line of markers on the x-axis transform measures as a marker at the
            # figure's origin: the layout and the tight box then keep the whole lower left
            continue
        ax.plot(
            days,
            np.full(len(days), 0.02 + 0.035 * row),  # one row of dose marks per curve
            "^",
            color=colour,
            ms=6,
            transform=ax.get_xaxis_transform(),
            clip_on=False,
        )
    log_scale(ax)
    ax.set_xlabel("day")
    ax.set_ylabel("geometric-mean tumour volume (mm³, log scale)")
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle(title)
    return fig

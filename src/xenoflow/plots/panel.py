"""Cross-model figures of a panel: mRECIST heatmap (models × drugs) and time to double; the two
figures of each model (all curves, best-response bars).

seaborn draws the heatmap (``sns.heatmap``) and each model's best-response bars
(``sns.barplot``). The time to double stays matplotlib (seaborn has no Kaplan–Meier plot), and
so do each model's curves (:func:`unit_curves_figure` says why: speed).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import ListedColormap
from matplotlib.ticker import LogFormatter

from .. import tables as registry
from ..config import Study
from ..km import kaplan_meier
from .style import CONTROL_COLOUR, TREATED_COLOURS, save_figure

#: Figures of one panel model (paths relative to its folder, without the format suffix): a
#: panel has hundreds of models with one mouse per arm, so a model gets two single-axes
#: figures instead of a study's per-arm panels (which need replicates and cost ~20 s per model).
UNIT_FIGURES = [registry.output(name).path for name in ("growth_curves", "waterfall")]

#: mRECIST colours as in Gao et al. 2015 Fig. 2 / Xeva (CR blue ... PD red); grey = not
#: classified, white = not tested.
MRECIST_COLOURS = {
    "CR": "#0033CC",
    "PR": "#1a9850",
    "SD": "#fee08b",
    "PD": "#d73027",
    "NA": "#bdbdbd",
}


def _worst_call(cell: str) -> str:
    calls = [c for c in cell.split("/") if c]
    order = ["PD", "SD", "PR", "CR", "NA"]
    return min(calls, key=order.index) if calls else ""


def mrecist_heatmap(matrix: pd.DataFrame, title: str = "") -> plt.Figure:
    """Models (columns) × arms (rows) coloured by mRECIST call (several mice: the worst)."""
    arms = [c for c in matrix.columns if c != "model"]
    levels = list(MRECIST_COLOURS)
    codes = np.full((len(arms), len(matrix)), np.nan)
    for j, arm in enumerate(arms):
        calls = matrix[arm].map(_worst_call)
        codes[j] = [levels.index(c) if c in levels else np.nan for c in calls]
    width = min(24.0, 3.0 + 0.06 * len(matrix))
    fig, ax = plt.subplots(figsize=(width, 1.5 + 0.16 * len(arms)))
    step = max(1, math.ceil(len(matrix) / 60))
    # not tested = NaN, masked: the axes' white background shows. The mesh is rasterized
    # (as imshow's image was): cell by cell, a 277-model PDXE heatmap's svg grew from 0.1 to
    # 3.4 MB and took 1.5x as long to write
    sns.heatmap(
        pd.DataFrame(codes, index=arms, columns=matrix["model"].astype(str)),
        mask=np.isnan(codes),
        cmap=ListedColormap(list(MRECIST_COLOURS.values())),
        vmin=-0.5,
        vmax=len(levels) - 0.5,
        cbar=False,
        xticklabels=step,
        yticklabels=1,
        rasterized=True,
        ax=ax,
    )
    ax.tick_params(axis="x", labelsize=5, labelrotation=90)
    ax.tick_params(axis="y", labelsize=6, labelrotation=0)
    for side in ax.spines.values():  # imshow's frame, which sns.heatmap leaves off
        side.set_visible(True)
    ax.set_xlabel(f"Model ({len(matrix)})")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in MRECIST_COLOURS.values()]
    ax.legend(
        handles,
        ["CR", "PR", "SD", "PD", "not classified"],
        ncol=5,
        fontsize=7,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        frameon=False,
    )
    ax.set_title(title or "mRECIST per model and treatment", fontsize=10, pad=22)
    return fig


def time_to_double_figure(
    endpoints: pd.DataFrame,
    summary: pd.DataFrame,
    control: str,
    max_drugs: int = 8,
    title: str = "",
) -> plt.Figure:
    """Kaplan–Meier of time to double: the control and the ``max_drugs`` drugs tested on most
    models (all drugs are in the table)."""
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    arms = [a for a in summary["arm"] if a != control][:max_drugs]
    shown = ([control] if control in set(summary["arm"]) else []) + arms
    colours = {
        control: CONTROL_COLOUR,
        **{a: TREATED_COLOURS[i % len(TREATED_COLOURS)] for i, a in enumerate(arms)},
    }
    medians = summary.set_index("arm")["median_days"]
    for arm in shown:
        sub = endpoints[endpoints["arm"] == arm]
        km = kaplan_meier(sub["time_days"], sub["event"])
        x = np.concatenate([[0.0], km["time"].to_numpy()])
        y = np.concatenate([[1.0], km["surv"].to_numpy()])
        med = medians.get(arm, np.nan)
        label = f"{arm} (n={len(sub)}, median {'NR' if np.isnan(med) else f'{med:g} d'})"
        ax.step(
            x, y, where="post", color=colours[arm], lw=2.2 if arm == control else 1.4, label=label
        )
    ax.set_xlabel("Day")
    ax.set_ylabel("Fraction of tumours not yet doubled")
    ax.set_ylim(-0.02, 1.04)
    sns.despine(ax=ax)
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(title or "Time to tumour doubling across models", fontsize=10)
    return fig


def panel_figures(
    matrix: pd.DataFrame,
    endpoints: pd.DataFrame,
    ttd: pd.DataFrame,
    control: str,
    title: str,
    stem_heatmap: str,
    stem_ttd: str,
    formats: Sequence[str],
) -> None:
    """Write both cross-model figures."""
    save_figure(
        mrecist_heatmap(matrix, f"{title}: mRECIST per model and treatment"), stem_heatmap, formats
    )
    save_figure(
        time_to_double_figure(endpoints, ttd, control, title=f"{title}: time to tumour doubling"),
        stem_ttd,
        formats,
    )


# ------------------------------------------------------------------------------ one model


#: PNG resolution of the per-model figures: previews of hundreds of models (the SVG is the
#: publication version); 100 dpi halves the raster and PNG-encoding time of the default 150.
UNIT_DPI = 100


def unit_curves_figure(
    measurements: pd.DataFrame, arms: Sequence[str], control: str, title: str
) -> plt.Figure:
    """All curves of one model on one log-volume axis, control in grey.

    matplotlib, not ``sns.lineplot``: mapping the arm onto colour, dash pattern and width
    (``hue``/``style``/``size``) made seaborn iterate over every combination of levels
    (19³ = 6,859 for a PDXE model's 19 arms): 1.0 s a figure against 0.05 s here; with the
    arm as ``hue`` only (widths and dashes set by hand) 100 ms against 43 ms. A panel draws
    this figure for each of its hundreds of models."""
    fig = plt.figure(figsize=(7.5, 4.2))
    ax = fig.add_axes((0.09, 0.12, 0.58, 0.78))
    drugs = [a for a in arms if a != control]
    colours = {
        control: CONTROL_COLOUR,
        **{a: TREATED_COLOURS[i % len(TREATED_COLOURS)] for i, a in enumerate(drugs)},
    }
    styles = ["-", "--", ":", "-."]
    for arm, g in measurements.groupby("arm", sort=False):
        for j, (_, m) in enumerate(g.groupby("mouse_id", sort=False)):
            k = drugs.index(arm) if arm in drugs else 0
            ax.plot(
                m["day"],
                m["volume_mm3"].clip(lower=1.0),
                color=colours.get(arm, "0.5"),
                ls="-" if arm == control else styles[(k // len(TREATED_COLOURS)) % 4],
                lw=2.2 if arm == control else 1.2,
                label=arm if j == 0 else None,
            )
    ax.set_yscale("log")
    # plain tick labels: the default 10^k labels go through mathtext, which costs ~0.2 s a
    # figure (most of a panel model's drawing time)
    ax.yaxis.set_major_formatter(LogFormatter(10))
    ax.yaxis.set_minor_formatter(LogFormatter(10, labelOnlyBase=False))
    ax.set_xlabel("Day")
    ax.set_ylabel("Tumour volume (mm³, log scale)")
    ax.set_title(title, fontsize=9)
    ax.legend(
        fontsize=6,
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        ncol=1 if len(arms) <= 24 else 2,
    )
    return fig


def unit_waterfall_figure(response: pd.DataFrame, title: str) -> plt.Figure:
    """Best response per curve of one model, bars coloured by mRECIST call."""
    r = response.dropna(subset=["best_response_pct"]).sort_values(
        "best_response_pct", ascending=False
    )
    fig = plt.figure(figsize=(7.5, 1.4 + 0.16 * max(len(r), 1)))
    ax = fig.add_axes((0.3, 0.12, 0.65, 0.76))
    # one bar per curve, top = lowest best response (as barh drew it from y = 0 upwards):
    # the position is the category, so seaborn aggregates nothing; coloured by mRECIST call
    r = r.iloc[::-1]
    calls = [c if c in MRECIST_COLOURS else "NA" for c in r["mrecist"].fillna("NA").astype(str)]
    if len(r):
        sns.barplot(
            x=r["best_response_pct"].clip(upper=300).to_numpy(dtype=float),
            y=np.arange(len(r)),
            orient="y",
            hue=calls,
            hue_order=[c for c in MRECIST_COLOURS if c in calls],
            palette=MRECIST_COLOURS,
            dodge=False,
            errorbar=None,
            width=0.8,
            saturation=1,
            legend=False,
            ax=ax,
        )
    ax.set_yticks(
        np.arange(len(r)),
        [f"{a} ({m})" for a, m in zip(r["arm"], r["mrecist"].fillna("NA"))],
        fontsize=6,
    )
    # barh's autoscale margins (5 % of the bars' extent); seaborn's categorical axis has none
    pad = 0.05 * max(len(r) - 0.2, 0.0)
    ax.set_ylim(len(r) - 0.6 + pad, -0.4 - pad)
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_xlabel("Best response (% volume change from baseline; capped at 300%)")
    ax.set_title(title, fontsize=9)
    return fig


def write_unit_figures(
    unit: Study,
    measurements: pd.DataFrame,
    response: pd.DataFrame,
    unit_dir: str,
    formats: Sequence[str],
) -> None:
    """The two figures of one panel model (``UNIT_FIGURES``)."""
    arms = [a.name for a in unit.arms]
    title = unit.title
    save_figure(
        unit_curves_figure(
            measurements,
            arms,
            unit.control,
            f"{title}: tumour volume",
        ),
        Path(unit_dir) / UNIT_FIGURES[0],
        formats,
        tight=False,
        dpi=UNIT_DPI,
    )
    save_figure(
        unit_waterfall_figure(response, f"{title}: best response"),
        Path(unit_dir) / UNIT_FIGURES[1],
        formats,
        tight=False,
        dpi=UNIT_DPI,
    )


def draw_unit(unit: Study, tables: Mapping[str, pd.DataFrame], unit_dir: Path) -> None:
    """:func:`write_unit_figures` from a unit's tables, as png and svg (a
    :data:`xenoflow.panel.UnitDrawer`)."""
    write_unit_figures(
        unit, tables["measurements"], tables["response"], str(unit_dir), ("png", "svg")
    )

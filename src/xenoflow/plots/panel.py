"""Cross-model figures of a panel: mRECIST heatmap (models × drugs) and time to double; the
figures of each model (all curves, best-response bars; body weights when it has them).

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
from matplotlib.axes import Axes
from matplotlib.collections import PatchCollection
from matplotlib.colors import ListedColormap
from matplotlib.patches import Rectangle
from matplotlib.ticker import LogFormatter

from .. import tables as registry
from ..config import Study
from ..km import kaplan_meier
from ..tolerability import percent_change
from .style import CONTROL_COLOUR, TREATED_COLOURS, save_figure

#: Figures of one panel model (paths relative to its folder, without the format suffix): a
#: panel has hundreds of models with one mouse per arm, so a model gets two single-axes
#: figures instead of a study's per-arm panels (which need replicates and cost ~20 s per model).
UNIT_FIGURES = [registry.output(name).path for name in ("growth_curves", "waterfall")]
#: The body-weight figure of a model with body weights (:func:`unit_body_weight_figure`).
UNIT_WEIGHT_FIGURE = registry.output("body_weight_figure").path

#: mRECIST colours as in Gao et al. 2015 Fig. 2 / Xeva (CR blue ... PD red); grey = not
#: classified, white = not tested.
MRECIST_COLOURS = {
    "CR": "#0033CC",
    "PR": "#1a9850",
    "SD": "#fee08b",
    "PD": "#d73027",
    "NA": "#bdbdbd",
}


#: the order of a cell's stacked classes (left to right) and of its counts
MRECIST_LEVELS = list(MRECIST_COLOURS)


def cell_counts(cell: str) -> dict[str, int]:
    """Mice per mRECIST class in one cell of ``mrecist_matrix`` ('PD/PR/PD' → PR 1, PD 2);
    unknown calls count as not classified (NA)."""
    counts = dict.fromkeys(MRECIST_LEVELS, 0)
    for call in filter(None, cell.split("/")):
        counts[call if call in counts else "NA"] += 1
    return counts


def count_label(counts: Mapping[str, int]) -> str:
    """A mixed cell's label: mice per class as CR/PR/SD/PD ('1/2/2/3'), '+n NA' for mice not
    classified."""
    text = "/".join(str(counts[c]) for c in MRECIST_LEVELS[:4])
    return text + (f" +{counts['NA']} NA" if counts["NA"] else "")


def mrecist_heatmap(matrix: pd.DataFrame, title: str = "") -> plt.Figure:
    """Models (columns) × arms (rows) coloured by mRECIST call. A cell with several mice (a
    replicate panel) is split left to right into CR, PR, SD, PD and not classified in
    proportion to its mice, and labelled with the counts (:func:`count_label`) when the cells
    are wide enough to read; a cell with one call is one colour."""
    arms = [c for c in matrix.columns if c != "model"]
    counts = [[cell_counts(str(v)) for v in matrix[arm]] for arm in arms]
    mixed = any(sum(c.values()) > 1 for row in counts for c in row)
    codes = np.full((len(arms), len(matrix)), np.nan)
    for i, row in enumerate(counts):
        for j, c in enumerate(row):
            if sum(c.values()) == 1:
                codes[i, j] = MRECIST_LEVELS.index(next(k for k, v in c.items() if v))
    # replicate panels are small (DRAP: 4 models): cells wide enough for their counts
    per_model = 0.8 if mixed and len(matrix) <= 40 else 0.06
    width = min(24.0, 3.0 + per_model * len(matrix))
    # constrained: the title, legend and model names above and below stay inside the figure
    fig, ax = plt.subplots(
        figsize=(width, 1.8 + (0.4 if mixed else 0.16) * len(arms)), layout="constrained"
    )
    step = max(1, math.ceil(len(matrix) / 60))
    # not tested = NaN, masked: the axes' white background shows. The mesh is rasterized
    # (as imshow's image was): cell by cell, a 277-model PDXE heatmap's svg grew from 0.1 to
    # 3.4 MB and took 1.5x as long to write
    sns.heatmap(
        pd.DataFrame(codes, index=arms, columns=matrix["model"].astype(str)),
        mask=np.isnan(codes),
        cmap=ListedColormap(list(MRECIST_COLOURS.values())),
        vmin=-0.5,
        vmax=len(MRECIST_LEVELS) - 0.5,
        cbar=False,
        xticklabels=step,
        yticklabels=1,
        rasterized=True,
        ax=ax,
    )
    if mixed:
        _stack_mixed_cells(ax, counts, labelled=per_model >= 0.5)
        # white lines between cells: neighbours of one colour stay two cells
        for k in range(1, len(matrix)):
            ax.axvline(k, color="white", lw=1.5)
        for k in range(1, len(arms)):
            ax.axhline(k, color="white", lw=1.5)
    upright = mixed and len(matrix) <= 12
    ax.tick_params(axis="x", labelsize=7 if mixed else 5, labelrotation=0 if upright else 90)
    ax.tick_params(axis="y", labelsize=7 if mixed else 6, labelrotation=0)
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
    heading = title or "mRECIST per model and treatment"
    if mixed:
        heading += "\nseveral mice per cell: stacked in proportion, counts CR/PR/SD/PD"
    ax.set_title(heading, fontsize=9 if mixed else 10, pad=22)
    return fig


def _stack_mixed_cells(ax: Axes, counts: list[list[dict[str, int]]], labelled: bool) -> None:
    """Each cell with several mice: one rectangle per class present, widths in proportion to
    its mice (CR … not classified, left to right), and the counts on a white patch."""
    boxes, colours = [], []
    for i, row in enumerate(counts):
        for j, cell in enumerate(row):
            total = sum(cell.values())
            if total < 2:
                continue
            left = float(j)
            for level in MRECIST_LEVELS:
                if cell[level]:
                    share = cell[level] / total
                    boxes.append(Rectangle((left, i), share, 1.0))
                    colours.append(MRECIST_COLOURS[level])
                    left += share
            if labelled:
                ax.text(
                    j + 0.5,
                    i + 0.5,
                    count_label(cell),
                    ha="center",
                    va="center",
                    fontsize=7,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
                )
    ax.add_collection(
        PatchCollection(boxes, facecolors=colours, edgecolors="none", rasterized=True)
    )


def time_to_double_figure(
    endpoints: pd.DataFrame,
    summary: pd.DataFrame,
    control: str,
    max_drugs: int = 8,
    title: str = "",
) -> plt.Figure:
    """Kaplan–Meier of time to double: the control and the ``max_drugs`` drugs tested on most
    models (all drugs are in the table)."""
    # constrained: the legend right of the axes stays inside the figure
    fig, ax = plt.subplots(figsize=(9.5, 4.8), layout="constrained")
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
    _unit_lines(
        ax, measurements.assign(y=measurements["volume_mm3"].clip(lower=1.0)), arms, control
    )
    ax.set_yscale("log")
    # plain tick labels: the default 10^k labels go through mathtext, which costs ~0.2 s a
    # figure (most of a panel model's drawing time)
    ax.yaxis.set_major_formatter(LogFormatter(10))
    ax.yaxis.set_minor_formatter(LogFormatter(10, labelOnlyBase=False))
    ax.set_xlabel("Day")
    ax.set_ylabel("Tumour volume (mm³, log scale)")
    ax.set_title(title, fontsize=9)
    _unit_legend(ax, arms)
    return fig


def _unit_lines(ax: Axes, frame: pd.DataFrame, arms: Sequence[str], control: str) -> None:
    """One line per mouse (column ``y`` against ``day``), coloured by arm: the control thick
    grey, the treated arms in the treated colours, dash patterns once the colours run out."""
    drugs = [a for a in arms if a != control]
    colours = {
        control: CONTROL_COLOUR,
        **{a: TREATED_COLOURS[i % len(TREATED_COLOURS)] for i, a in enumerate(drugs)},
    }
    styles = ["-", "--", ":", "-."]
    for arm, g in frame.groupby("arm", sort=False):
        for j, (_, m) in enumerate(g.groupby("mouse_id", sort=False)):
            k = drugs.index(arm) if arm in drugs else 0
            ax.plot(
                m["day"],
                m["y"],
                color=colours.get(arm, "0.5"),
                ls="-" if arm == control else styles[(k // len(TREATED_COLOURS)) % 4],
                lw=2.2 if arm == control else 1.2,
                label=arm if j == 0 else None,
            )


def _unit_legend(ax: Axes, arms: Sequence[str]) -> None:
    ax.legend(
        fontsize=6,
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        ncol=1 if len(arms) <= 24 else 2,
    )


def unit_body_weight_figure(
    pct: pd.DataFrame,
    arms: Sequence[str],
    control: str,
    thresholds: Sequence[float],
    title: str,
) -> plt.Figure:
    """Every mouse's percent body-weight change 100·(BW/BW0 − 1) of one model
    (:func:`xenoflow.tolerability.percent_change`) on one axis, arms coloured as in
    :func:`unit_curves_figure`, dashed lines at the loss thresholds. The panel version of the
    study's body-weight figure: a model has one mouse per arm, so there are no arm means to
    draw, and one axis saved without a tight box costs a third of the study figure's time."""
    fig = plt.figure(figsize=(7.5, 4.2))
    ax = fig.add_axes((0.09, 0.12, 0.58, 0.78))
    rank = {a: i for i, a in enumerate(arms)}
    ordered = pct.iloc[np.argsort([rank.get(a, len(arms)) for a in pct["arm"]], kind="stable")]
    _unit_lines(ax, ordered.assign(y=ordered["pct_change"]), arms, control)
    ax.axhline(0.0, color="0.75", lw=0.6, zorder=0)
    for t in thresholds:
        ax.axhline(-t, color="0.35", ls=(0, (4, 3)), lw=0.8, zorder=0)
        ax.annotate(
            f"−{t:g} %",
            (0.0, -t),
            xycoords=("axes fraction", "data"),
            xytext=(3, 2),
            textcoords="offset points",
            fontsize=6,
            color="0.35",
        )
    low = min([-max(thresholds, default=0.0) - 3.0, *pct["pct_change"].dropna().tolist()])
    ax.set_ylim(bottom=low)
    ax.set_xlabel("Day")
    ax.set_ylabel("Body-weight change from baseline (%)")
    ax.set_title(title, fontsize=9)
    _unit_legend(ax, arms)
    return fig


def unit_waterfall_figure(response: pd.DataFrame, title: str) -> plt.Figure:
    """Best response per curve of one model, bars coloured by mRECIST call."""
    r = response.dropna(subset=["best_response_pct"]).sort_values(
        "best_response_pct", ascending=False
    )
    height = 1.4 + 0.16 * max(len(r), 1)
    fig = plt.figure(figsize=(7.5, height))
    # fixed margins in inches (the figure is saved without a tight box, for speed): 0.6 in
    # below for the ticks and the axis label, 0.35 in above for the title
    ax = fig.add_axes((0.3, 0.6 / height, 0.65, 1 - 0.95 / height))
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
    present = [c for c in MRECIST_COLOURS if c in calls]
    if present:
        # the colour is the class, which also needs the best average response: a bar left of
        # zero can be PD
        ax.legend(
            [plt.Rectangle((0, 0), 1, 1, color=MRECIST_COLOURS[c]) for c in present],
            ["not classified" if c == "NA" else c for c in present],
            title="colour: mRECIST class\n(also needs the best\naverage response)",
            title_fontsize=6,
            fontsize=6,
            loc="upper right",
            frameon=False,
        )
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
    write_unit_weight_figure(unit, tables["measurements"], str(unit_dir), ("png", "svg"))


def write_unit_weight_figure(
    unit: Study, measurements: pd.DataFrame, unit_dir: str, formats: Sequence[str]
) -> bool:
    """The body-weight figure of one panel model, when it has (plausible) body weights;
    whether it was drawn."""
    pct = percent_change(measurements, unit)
    if pct.empty:
        return False
    save_figure(
        unit_body_weight_figure(
            pct,
            [a.name for a in unit.arms],
            unit.control,
            unit.tolerability.loss_thresholds_pct,
            f"{unit.title}: body weight",
        ),
        Path(unit_dir) / UNIT_WEIGHT_FIGURE,
        formats,
        tight=False,
        dpi=UNIT_DPI,
    )
    return True

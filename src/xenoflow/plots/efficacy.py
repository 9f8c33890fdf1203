"""Efficacy figures: waterfall of best response per mouse and fold change at the reference day.

Both take the tables :mod:`xenoflow.efficacy` / :mod:`xenoflow.response` return and draw them
as they are (no analysis here). Colours from :func:`xenoflow.plots.style.arm_palette`.
seaborn draws the waterfall's bars (``sns.barplot``) and the fold-change figure's per-mouse
dots (``sns.swarmplot``); the fold-change bars and their intervals are the package's mean and
seeded bootstrap CI, drawn with matplotlib (``sns.barplot`` would bootstrap its own interval).
The swarm costs one extra draw of the figure (seaborn lays it out at draw time): building the
fold-change figure took 70-100 ms instead of 25-40 ms, 200-235 ms instead of 150-245 ms with
its png and svg written (this figure is drawn once per study, not per panel model).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from .style import arm_palette, note_figure


def _seaborn() -> Any:
    """seaborn, imported when a figure of this module is drawn: it loads scipy.stats (~1 s),
    which the run's cross-study job otherwise never needs (its waterfall across models is a
    note without a treatment shared by several studies)."""
    import seaborn

    return seaborn


#: best-response cut-offs of mRECIST (Gao et al. 2015); BAR cut-offs also apply to the label.
BR_BANDS = [("CR", -100.0, -95.0), ("PR", -95.0, -50.0), ("SD", -50.0, 35.0), ("PD", 35.0, None)]
BAND_COLOURS = {"CR": "#1a9850", "PR": "#91cf60", "SD": "#fee08b", "PD": "#fc8d59"}


def waterfall_figure(
    response: pd.DataFrame,
    arms: Sequence[str],
    control: str,
    title: str = "",
    clip_pct: float = 200.0,
    min_day: float = 10.0,
) -> plt.Figure:
    """Best response (%) per mouse, sorted high to low, coloured by arm, with the mRECIST
    best-response bands (CR < −95, PR < −50, SD < 35 %, PD above) shaded. The mRECIST label
    of each mouse (which also depends on the best average response) is printed on its bar.
    Bars above ``clip_pct`` are cut at it and marked with their value. Mice not evaluable (no
    measurement in the window, :mod:`xenoflow.response`) get no bar; the x label names them by
    arm. Two legends right of
    the axes say what colour (the arm) and letter (the mRECIST class and its two criteria)
    mean; the axis label says the height is the best response from ``min_day`` on.
    """
    data, apart = _evaluable_sorted(response, "arm")
    palette = arm_palette(list(arms), control)
    fig, (ax,) = _waterfall_axes(len(data), 1)
    _draw_bars(ax, data, "arm", palette, clip_pct)
    ax.set_xlabel("mice, sorted by best response" + _apart_note(apart, f"day {min_day:g}"))
    ax.set_ylabel(f"best response: lowest % volume change\nfrom baseline, day ≥ {min_day:g}")
    shown = [a for a in arms if a in set(data["arm"])]
    handles = [
        Patch(color=palette[a], label=a + (" (control)" if a == control else "")) for a in shown
    ]
    _colour_legend(ax, handles, "bar colour: arm")
    _class_legend(ax)
    ax.set_title(textwrap.fill(title or "Best response per mouse (mRECIST bands)", 90), fontsize=10)
    _seaborn().despine(ax=ax)
    return fig


#: colours of the tumour models in a figure across studies: not the arms' (Paul Tol's muted)
MODEL_COLOURS = ["#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#CC6677", "#882255"]
#: the note of the waterfall across models when no treatment is in two studies of the run
NO_SHARED_TREATMENT = "no treatment is given in more than one study of this run"


def cross_model_waterfall(responses: pd.DataFrame, clip_pct: float = 200.0) -> plt.Figure:
    """Xeva's waterfall across tumour models: one panel per treatment given in several studies
    (:func:`xenoflow.crossmodel.shared_responses`), one bar per evaluable mouse, its best
    response, sorted high to low and coloured by the study's tumour model (a palette of its
    own, not the arms'), with the mRECIST bands and letters of :func:`waterfall_figure`. A
    run without such a treatment gets a :func:`~xenoflow.plots.style.note_figure`."""
    if responses.empty:
        return note_figure("", NO_SHARED_TREATMENT)
    studies = list(dict.fromkeys(responses["study_id"]))
    palette = {s: MODEL_COLOURS[i % len(MODEL_COLOURS)] for i, s in enumerate(studies)}
    panels = [
        (t, *_evaluable_sorted(rows, "study_id"))
        for t, rows in responses.groupby("treatment", sort=False)
    ]
    most = max(len(data) for _, data, _ in panels)
    fig, axes = _waterfall_axes(most, len(panels))
    days = sorted(set(responses["min_day"]))
    window = f"day {days[0]:g}" if len(days) == 1 else "the study's first response day"
    for ax, (treatment, data, apart) in zip(axes, panels):
        _draw_bars(ax, data, "study_id", palette, clip_pct)
        ax.set_xlim(-0.7, most - 0.3)  # bars as wide in every panel
        models = data["study_id"].nunique()
        ax.set_title(f"{treatment}: {len(data)} mice in {models} models", fontsize=10)
        ax.set_xlabel("mice, sorted by best response" + _apart_note(apart, window))
        ax.set_ylabel("best response (%)")
        _seaborn().despine(ax=ax)
    handles = [
        Patch(color=palette[str(r.study_id)], label=_model_label(r))
        for r in responses.drop_duplicates("study_id").itertuples()
    ]
    first = "on or after " + window
    _colour_legend(axes[0], handles, f"bar colour: tumour model (study)\nbest response: {first}")
    _class_legend(axes[-1])
    return fig


def _model_label(row: Any) -> str:
    """'SW837 rectal adenocarcinoma … (crownbio_SW837)', wrapped to the legend's width; a
    synthetic study marked."""
    synthetic = ", synthetic" if bool(getattr(row, "synthetic", False)) else ""
    return textwrap.fill(f"{row.model} ({row.study_id}{synthetic})", 32)


def _waterfall_axes(bars: int, rows: int) -> tuple[plt.Figure, Sequence[Axes]]:
    """A figure of ``rows`` waterfall axes with room for ``bars`` bars each and, right of
    them, for the legends (inside the figure)."""
    width = max(6.0, 0.22 * bars + 2.5)
    fig, axes = plt.subplots(
        rows, 1, figsize=(width + LEGEND_WIDTH_IN, 4.8 + 3.6 * (rows - 1)), squeeze=False
    )
    fig.subplots_adjust(
        left=0.9 / (width + LEGEND_WIDTH_IN),
        right=width / (width + LEGEND_WIDTH_IN),
        **({"hspace": 0.45} if rows > 1 else {}),
    )
    return fig, list(axes[:, 0])


def _evaluable_sorted(response: pd.DataFrame, by: str) -> tuple[pd.DataFrame, str]:
    """The evaluable mice with a best response, sorted high to low (ties by ``by`` and
    mouse), and the mice left out by ``by`` (:func:`_not_evaluable`)."""
    data = response.dropna(subset=["best_response_pct"]).copy()
    apart = _not_evaluable(data, by)
    if "evaluable" in data:
        data = data[data["evaluable"].fillna(False).astype(bool)]
    data = data.sort_values(
        ["best_response_pct", by, "mouse_id"], ascending=[False, True, True], kind="stable"
    ).reset_index(drop=True)
    return data, apart


def _apart_note(apart: str, window: str) -> str:
    """The x label's line on the mice not drawn ('' when every mouse is)."""
    return (
        f"\nnot drawn, not evaluable (no measurement on or after {window}): {apart}"
        if apart
        else ""
    )


def _draw_bars(
    ax: Axes, data: pd.DataFrame, colour_by: str, palette: dict[str, str], clip_pct: float
) -> None:
    """The bars of a waterfall (``data`` sorted), coloured by the column ``colour_by``, over
    the mRECIST best-response bands; a bar above ``clip_pct`` cut there with its value, the
    mouse's mRECIST class on its bar."""
    n = len(data)
    top = max(50.0, min(clip_pct, float(data["best_response_pct"].max()) if n else 50.0) * 1.08)
    for label, lo, hi in BR_BANDS:
        ax.axhspan(
            lo, hi if hi is not None else top, color=BAND_COLOURS[label], alpha=0.18, lw=0, zorder=0
        )
        ax.text(
            1.005,
            ((lo + (hi if hi is not None else top)) / 2 + 100) / (top + 100),
            label,
            transform=ax.transAxes,
            va="center",
            fontsize=8,
        )
    for cut in (35, -50, -95):
        ax.axhline(cut, color="0.4", lw=0.6, ls="--", zorder=1)
    ax.axhline(0, color="black", lw=0.8, zorder=1)
    heights = data["best_response_pct"].clip(upper=clip_pct).to_numpy()
    if n:
        # one bar per mouse: x is the mouse's rank (unique), so seaborn aggregates nothing;
        # saturation=1 keeps the palette's colours (seaborn desaturates bars by default)
        key = data[colour_by].astype(str).to_numpy()
        _seaborn().barplot(
            x=np.arange(n),
            y=heights,
            hue=key,
            hue_order=list(dict.fromkeys(key)),
            palette={a: palette.get(a, "#999999") for a in key},
            dodge=False,
            errorbar=None,
            width=0.8,
            saturation=1,
            legend=False,
            zorder=2,
            ax=ax,
        )
    for i, row in data.iterrows():
        y = heights[i]
        if row["best_response_pct"] > clip_pct:
            ax.text(
                i,
                y,
                f"{row['best_response_pct']:.0f}",
                ha="center",
                va="bottom",
                fontsize=6,
                rotation=90,
            )
        if isinstance(row["mrecist"], str):
            ax.text(
                i,
                -3 if y >= 0 else 3,
                row["mrecist"],
                ha="center",
                va="top" if y >= 0 else "bottom",
                fontsize=6,
                color="0.2",
            )
    ax.set_xlim(-0.7, n - 0.3)
    ax.set_ylim(-105, top)
    ax.set_xticks([])


def _not_evaluable(response: pd.DataFrame, by: str = "arm") -> str:
    """'CLR 131 single: 2 mice' for the mice without a measurement in the response window
    (their best response is the whole curve's, often the 0 % of the baseline: drawn as a bar it
    would read as stable disease), counted by ``by`` (arm, or study)."""
    if "evaluable" not in response:
        return ""
    out = response[~response["evaluable"].fillna(False).astype(bool)]
    counts = out.groupby(by, sort=False).size()
    return "; ".join(
        f"{arm}: {n} mouse" if n == 1 else f"{arm}: {n} mice" for arm, n in counts.items()
    )


#: width (inches) the waterfall's legends take right of its axes
LEGEND_WIDTH_IN = 3.3

#: mRECIST classes as the waterfall's legend states them (Gao et al. 2015; BR = best
#: response, BAR = best average response; xenoflow.response.MRECIST_RULES)
MRECIST_LEGEND = [
    ("CR", "CR: BR < −95 % and BAR < −40 %"),
    ("PR", "PR: BR < −50 % and BAR < −20 %"),
    ("SD", "SD: BR < 35 % and BAR < 30 %"),
    ("PD", "PD: otherwise"),
]


def _colour_legend(ax: Axes, handles: Sequence[Patch], title: str) -> None:
    """What a bar's colour means, right of the axes at the top."""
    legend = ax.legend(
        handles=handles,
        title=title,
        fontsize=7,
        title_fontsize=7.5,
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(1.06, 1.0),
        alignment="left",
    )
    ax.add_artist(legend)


def _class_legend(ax: Axes) -> None:
    """Letter = mRECIST class, whose best-response cut-off is the shaded band of its colour
    and which also needs the best average response: so a bar inside the SD band can read PD
    (right of the axes at the bottom)."""
    classes = [
        Patch(facecolor=BAND_COLOURS[c], alpha=0.35, edgecolor="0.6", lw=0.5, label=text)
        for c, text in MRECIST_LEGEND
    ]
    ax.legend(
        handles=classes,
        title=(
            "letter: mRECIST class\n(bar height = best response, BR;\n"
            "shaded band = BR cut-off; the class\nalso needs the best average\n"
            "response, BAR, so a bar in one\nband can carry another letter)"
        ),
        fontsize=7,
        title_fontsize=7,
        frameon=False,
        loc="lower left",
        bbox_to_anchor=(1.06, 0.0),
        alignment="left",
    )


def fold_change_figure(
    efficacy: pd.DataFrame,
    per_mouse: pd.DataFrame | None,
    arms: Sequence[str],
    control: str,
    title: str = "",
) -> plt.Figure:
    """Mean fold change V(t)/V0 per arm at the reference day with its bootstrap CI (and the
    per-mouse values as dots when ``per_mouse`` is given), control annotated; treated arms are
    labelled with their fold-change reduction vs control."""
    ref = efficacy[efficacy["is_reference_day"].astype(bool)].set_index("arm")
    order = [a for a in arms if a in ref.index]
    palette = arm_palette(list(arms), control)
    day = float(ref["day"].iloc[0]) if len(ref) else float("nan")
    fig, ax = plt.subplots(figsize=(max(4.5, 1.3 * len(order) + 1.5), 4.5))
    tops: list[float] = [1.0]
    for i, arm in enumerate(order):
        r = ref.loc[arm]
        mean, lo, hi = (
            r["mean_fold_change"],
            r["mean_fold_change_ci_low"],
            r["mean_fold_change_ci_high"],
        )
        ax.bar(i, mean, color=palette[arm], alpha=0.35 if arm != control else 0.25, width=0.6)
        if np.isfinite(lo) and np.isfinite(hi):
            ax.errorbar(
                i, mean, yerr=[[mean - lo], [hi - mean]], color="black", capsize=4, lw=1, zorder=4
            )
        text = f"{mean:.3g}-fold" if np.isfinite(mean) else ""
        if arm == control:
            text = "control\n" + text
        elif np.isfinite(r["fold_change_reduction_pct"]):
            text += f"\n{r['fold_change_reduction_pct']:.0f}% reduction"
            if np.isfinite(r["fold_change_reduction_ci_low"]):
                text += (
                    f"\n[{r['fold_change_reduction_ci_low']:.0f}, "
                    f"{r['fold_change_reduction_ci_high']:.0f}]"
                )
        ax.text(
            i,
            0.99,
            text,
            transform=blended_transform_factory(ax.transData, ax.transAxes),
            ha="center",
            va="top",
            fontsize=7,
        )
        tops.extend([mean, hi if np.isfinite(hi) else mean])
    if per_mouse is not None:
        dots = per_mouse[per_mouse["arm"].isin(order) & (per_mouse["day"] == day)]
        dots = dots.dropna(subset=["fold_change"])
        if len(dots):
            # swarm (deterministic; stripplot's jitter draws from numpy's global generator)
            _seaborn().swarmplot(
                x=dots["arm"].astype(str).to_numpy(),
                y=dots["fold_change"].to_numpy(dtype=float),
                order=order,
                hue=dots["arm"].astype(str).to_numpy(),
                hue_order=order,
                palette={a: palette[a] for a in order},
                size=3.5,
                edgecolor="white",
                linewidth=0.4,
                legend=False,
                zorder=3,
                ax=ax,
            )
            tops.extend(dots["fold_change"].tolist())
    ax.axhline(1, color="0.4", lw=0.7, ls="--")
    ax.set_xlim(-0.5, len(order) - 0.5)
    ax.set_xticks(range(len(order)))
    ax.set_xticklabels(
        [a + ("\n(control)" if a == control else "") for a in order],
        fontsize=8,
        rotation=0 if len(order) <= 4 else 30,
    )
    ax.set_ylabel("fold change V(t)/V0 (mean, 95% bootstrap CI)")
    ax.set_ylim(0, 1.25 * max(t for t in tops if np.isfinite(t)))
    ax.set_title(
        textwrap.fill(title or f"Fold change from baseline at day {day:g}", 70), fontsize=10
    )
    _seaborn().despine(ax=ax)
    return fig

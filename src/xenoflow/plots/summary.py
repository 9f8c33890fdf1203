"""Figures across studies: forest plot of the arms' headline growth findings and hazard ratios.

matplotlib draws it: its points and intervals are estimates with confidence limits from the
tables, and seaborn has no forest plot (``sns.pointplot`` computes its own interval from raw
observations).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import transforms

from ..summary.text import fmt_p, isnum
from .style import log_scale, save_figure


def _panel(
    ax: plt.Axes,
    labels: list[str],
    est: pd.Series,
    low: pd.Series,
    high: pd.Series,
    null: float,
    xlabel: str,
    log: bool,
    missing: list[str],
    special: np.ndarray | None = None,
) -> None:
    """One forest panel; rows without an estimate show ``missing[i]`` (why) instead; rows in
    ``special`` (two-phase arms) are drawn as orange squares."""
    y = np.arange(len(labels))[::-1]
    ok = est.notna().to_numpy()
    est, low, high = (np.asarray(v, dtype=float) for v in (est, low, high))
    sq = np.zeros(len(labels), dtype=bool) if special is None else np.asarray(special, dtype=bool)
    for rows, marker, colour in ((ok & ~sq, "o", "#0072B2"), (ok & sq, "s", "#D55E00")):
        if rows.any():
            ax.errorbar(
                est[rows],
                y[rows],
                xerr=[np.abs(est - low)[rows], np.abs(high - est)[rows]],
                fmt=marker,
                color=colour,
                ecolor="#555555",
                capsize=3,
            )
    centre = transforms.blended_transform_factory(ax.transAxes, ax.transData)
    for yi, why in zip(y[~ok], np.asarray(missing, dtype=object)[~ok]):
        ax.text(
            0.5, yi, why, transform=centre, ha="center", va="center", fontsize=8, color="#888888"
        )
    ax.axvline(null, color="#999999", linestyle="--", linewidth=1)
    if log:
        log_scale(ax, "x")
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.set_xlabel(xlabel)


def _flag(summary: pd.DataFrame, column: str) -> pd.Series:
    """A True/False column of the summary as booleans (all False when absent)."""
    if column not in summary:
        return pd.Series(False, index=summary.index)
    return summary[column].astype(str).str.lower().eq("true")


def _why_missing_hr(summary: pd.DataFrame) -> list[str]:
    flags = summary["hr_flag"].fillna("").astype(str)
    return [
        "HR not estimable (complete separation)"
        if "separation" in f
        else f"HR not estimable ({f})"
        if f
        else "no survival endpoint or no events"
        for f in flags
    ]


def _p_label(p: object, method: object) -> str:
    """'p = 0.048 (Holm)' for a Holm-adjusted p, 'p < 0.001', '' without a p."""
    if not isnum(p):
        return ""
    return fmt_p(p) + (" (Holm)" if "Holm" in str(method) else "")


def tumour_free_text(row: pd.Series) -> str:
    """'5 of 6 tumour-free on day 21; Dunn p < 0.001 (Holm)': what the forest plot shows in
    place of the log-scale rate of an arm mostly tumour-free on the reference day."""
    text = f"{int(row['n_tumour_free'])} of {int(row['n_mice_measured'])} tumour-free"
    if isnum(row.get("reference_day")):
        text += f" on day {float(row['reference_day']):g}"
    if isnum(row.get("rank_p")):
        text += f"; Dunn {_p_label(row['rank_p'], 'Holm')}"
    return text


def growth_points(summary: pd.DataFrame) -> pd.DataFrame:
    """The rows of the forest plot's growth panel, one per row of ``summary.tsv``: ``label``
    (study: arm, "(synthetic)", "*" for a two-phase arm), the arm's headline growth finding
    (``estimate``, ``ci_low``, ``ci_high`` = ``rate_diff_vs_control`` and its interval,
    :func:`xenoflow.summary.headline.headline_findings`), ``p`` (its p text, "(Holm)" when
    adjusted), ``two_phase``, and ``missing``: what is written in place of a point. An arm
    mostly tumour-free on the reference day (``tumour_free_lead``) is led, as in its study's
    answer, by its tumour-free count and rank test (:func:`tumour_free_text`), not by a
    log-scale rate resting on the detection limit: no point is drawn for it."""
    synthetic, two_phase = _flag(summary, "synthetic"), _flag(summary, "two_phase")
    cured = _flag(summary, "tumour_free_lead")
    num = summary.apply(pd.to_numeric, errors="coerce")
    p = num["rate_diff_p"] if "rate_diff_p" in num else pd.Series(None, index=summary.index)
    method = summary.get("rate_diff_p_method", pd.Series("", index=summary.index))
    numbers = {c: num[c].where(~cured) for c in RATE_COLUMNS}
    return pd.DataFrame(
        {
            "label": [
                f"{r.study_id}: {r.arm}"
                + (" (synthetic)" if fake else "")
                + (" *" if phased else "")
                for r, fake, phased in zip(summary.itertuples(), synthetic, two_phase)
            ],
            "estimate": numbers["rate_diff_vs_control"],
            "ci_low": numbers["rate_diff_ci_low"],
            "ci_high": numbers["rate_diff_ci_high"],
            "p": [_p_label(x, m) for x, m in zip(p, method)],
            "two_phase": two_phase,
            "missing": [
                tumour_free_text(r) if lead else "no growth comparison"
                for (_, r), lead in zip(summary.iterrows(), cured)
            ],
        },
        index=summary.index,
    )


#: The headline growth finding's columns of ``summary.tsv`` the forest plot draws.
RATE_COLUMNS = ("rate_diff_vs_control", "rate_diff_ci_low", "rate_diff_ci_high")


def _p_texts(ax: plt.Axes, points: pd.DataFrame) -> None:
    """Each drawn estimate's p above its point."""
    y = np.arange(len(points))[::-1]
    for yi, (est, text) in zip(y, zip(points["estimate"], points["p"])):
        if text and np.isfinite(est):
            ax.text(est, yi + 0.22, text, ha="center", va="bottom", fontsize=7, color="#333333")


def forest_plot(
    summary: pd.DataFrame, stem: str | Path, formats: tuple[str, ...] = ("png", "svg")
) -> None:
    """Every treated arm of every study (rows of ``results/summary.tsv``). Left: its headline
    growth finding (:func:`growth_points`), the growth-rate difference vs control (per day,
    95% CI) with its p: the exponential rate difference, or for an arm that regresses then
    regrows the two-phase model's mean rate difference from baseline to the reference day
    (orange square, marked in its label); for an arm mostly tumour-free on the reference day
    its tumour-free count and rank test, written in place of a point. Right: the Cox hazard ratio (95% CI), or where Cox
    separates (``hr_flag``) the Firth-penalised one (orange square)."""
    points = growth_points(summary)
    labels = points["label"].tolist()
    synthetic, two_phase = _flag(summary, "synthetic"), points["two_phase"]
    height = 1.2 + 0.35 * max(len(labels), 1)
    fig, axes = plt.subplots(1, 2, figsize=(11, height), sharey=True)
    num = summary.apply(pd.to_numeric, errors="coerce")
    _panel(
        axes[0],
        labels,
        points["estimate"],
        points["ci_low"],
        points["ci_high"],
        0.0,
        "growth-rate difference vs control (ln volume per day)"
        + (
            "\n* two-phase arm: mean difference, baseline to reference day"
            if two_phase.any()
            else ""
        ),
        False,
        points["missing"].tolist(),
        two_phase.to_numpy(),
    )
    _p_texts(axes[0], points)
    cox = summary["hr_flag"].isna() | (summary["hr_flag"] == "")
    firth = ~cox & num.get("hr_firth", pd.Series(np.nan, index=num.index)).notna()

    def hr_column(name: str) -> pd.Series:
        """The Cox value, or where Cox separates the Firth-penalised one."""
        other = num.get(name.replace("hr", "hr_firth", 1), pd.Series(np.nan, index=num.index))
        return num[name].where(cox, other.where(firth))

    _panel(
        axes[1],
        labels,
        hr_column("hr"),
        hr_column("hr_ci_low"),
        hr_column("hr_ci_high"),
        1.0,
        "hazard ratio vs control (Cox)"
        + (
            "\norange square: Firth-penalised HR (Cox not finite: separation)"
            if firth.any()
            else ""
        ),
        True,
        _why_missing_hr(summary),
        firth.to_numpy(),
    )
    axes[1].tick_params(labelleft=False)
    fig.suptitle(
        "Treated arms against their control, all studies"
        + ("; (synthetic) = simulated demo data" if synthetic.any() else "")
    )
    fig.tight_layout()
    save_figure(fig, stem, formats)

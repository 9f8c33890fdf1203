"""Figures across studies: forest plot of growth-rate differences and hazard ratios.

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

from .style import save_figure


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
) -> None:
    """One forest panel; rows without an estimate show ``missing[i]`` (why) instead."""
    y = np.arange(len(labels))[::-1]
    ok = est.notna().to_numpy()
    ax.errorbar(
        est[ok],
        y[ok],
        xerr=[(est - low)[ok].abs(), (high - est)[ok].abs()],
        fmt="o",
        color="#0072B2",
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
        ax.set_xscale("log")
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.set_xlabel(xlabel)


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


def forest_plot(
    summary: pd.DataFrame, stem: str | Path, formats: tuple[str, ...] = ("png", "svg")
) -> None:
    """Growth-rate difference vs control (per day, 95% CI) and Cox hazard ratio (95% CI) for
    every treated arm of every study (rows of ``results/summary.tsv``)."""
    synthetic = (
        summary["synthetic"].astype(str).str.lower().eq("true")
        if "synthetic" in summary
        else pd.Series(False, index=summary.index)
    )
    labels = [
        f"{r.study_id}: {r.arm}" + (" (synthetic)" if fake else "")
        for r, fake in zip(summary.itertuples(), synthetic)
    ]
    height = 1.2 + 0.35 * max(len(labels), 1)
    fig, axes = plt.subplots(1, 2, figsize=(11, height), sharey=True)
    num = summary.apply(pd.to_numeric, errors="coerce")
    _panel(
        axes[0],
        labels,
        num["rate_diff_vs_control"],
        num["rate_diff_ci_low"],
        num["rate_diff_ci_high"],
        0.0,
        "growth-rate difference vs control (ln volume per day)",
        False,
        ["no growth comparison"] * len(labels),
    )
    hr = num["hr"].where(summary["hr_flag"].isna() | (summary["hr_flag"] == ""))
    _panel(
        axes[1],
        labels,
        hr,
        num["hr_ci_low"],
        num["hr_ci_high"],
        1.0,
        "hazard ratio vs control (Cox)",
        True,
        _why_missing_hr(summary),
    )
    axes[1].tick_params(labelleft=False)
    fig.suptitle(
        "Treated arms against their control, all studies"
        + ("; (synthetic) = simulated demo data" if synthetic.any() else "")
    )
    fig.tight_layout()
    save_figure(fig, stem, formats)

"""Sentences on the baseline: which one was used, balance across arms, the adjusted comparison
and arms measured on another calendar than the control (``baseline_balance.tsv``,
:mod:`xenoflow.baseline`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import baseline
from ..config import Study
from .text import fmt, fmt_ci, fmt_day, fmt_p, isnum, records


def _balance_row(balance: pd.DataFrame | None) -> dict[str, Any] | None:
    if balance is None or balance.empty:
        return None
    rows = records(balance[balance["analysis"] == "balance"])
    return rows[0] if rows else None


def unbalanced(balance: pd.DataFrame | None) -> bool:
    """True when the balance ANOVA's p is below :data:`xenoflow.baseline.IMBALANCE_P`."""
    row = _balance_row(balance)
    return (
        row is not None and isnum(row["p_value"]) and float(row["p_value"]) < baseline.IMBALANCE_P
    )


def _anova_text(row: dict[str, Any]) -> str:
    return (
        f"F({int(row['df_num'])}, {int(row['df_den'])}) = {fmt(row['f_statistic'])}, "
        f"{fmt_p(row['p_value'])}"
    )


def design_sentences(
    study: Study, measurements: pd.DataFrame, balance: pd.DataFrame | None
) -> list[str]:
    """The baseline used, the balance test, and each arm flagged as a separate cohort."""
    out = [baseline.resolve(study, measurements).sentence()]
    row = _balance_row(balance)
    if row is not None and isnum(row["p_value"]):
        if unbalanced(balance):
            verdict = (
                "the arms were not balanced at baseline, so the baseline-adjusted comparison "
                "leads the findings"
            )
        else:
            verdict = _below_alpha(
                float(row["p_value"]),
                float(study.settings["alpha"]),
                "some imbalance between the arms at baseline",
                "no sign of imbalance between the arms at baseline",
                f"the {baseline.IMBALANCE_P:g} at which the comparison adjusted for baseline "
                "volume leads the findings; it closes them, as a check",
            )
        out.append(
            f"Baseline balance (one-way ANOVA of log baseline volume across arms): "
            f"{_anova_text(row)}; {verdict}."
        )
    elif row is not None:
        out.append(f"Baseline balance was not tested: {row['note']}.")
    out += pre_treatment_sentences(study, balance)
    if balance is not None and len(balance):
        flagged = balance[balance["separate_cohort"].astype(object).eq(True)]
        for r in records(flagged):
            out.append(
                f"The {r['arm']} arm shares {int(r['days_shared'])} of its "
                f"{int(r['days_followed'])} follow-up days with the control: "
                f"{baseline.SEPARATE_COHORT}, so its comparisons with the control mix the "
                "treatment with the cohort."
            )
    return out


def _below_alpha(p: float, alpha: float, some: str, none: str, threshold: str) -> str:
    """The verdict of a balance test whose p is not below :data:`xenoflow.baseline.IMBALANCE_P`:
    ``some`` when p is below the study's alpha (a difference at the usual level, not at the
    stricter one, described by ``threshold``, that calls the arms unbalanced), else ``none``.
    "No sign" is never said of a p below alpha."""
    if p < alpha:
        return f"{some} (p below {alpha:g}, though not below {threshold})"
    return none


def pre_treatment_sentences(study: Study, balance: pd.DataFrame | None) -> list[str]:
    """The pre-treatment growth check (run-in measurements before a treatment-start
    baseline): whether the arms grew alike before treatment."""
    if balance is None or balance.empty:
        return []
    rows = records(balance[balance["analysis"] == "pre_treatment_growth"])
    if not rows or not isnum(rows[0]["p_value"]):
        return []
    row = rows[0]
    p = float(row["p_value"])
    verdict = (
        "the arms grew differently before treatment"
        if p < baseline.IMBALANCE_P
        else _below_alpha(
            p,
            float(study.settings["alpha"]),
            "some sign that the arms grew differently before treatment",
            "no sign that the arms grew differently before treatment",
            f"{baseline.IMBALANCE_P:g}",
        )
    )
    return [
        "Pre-treatment growth (one-way ANOVA of each mouse's growth rate of log volume from its "
        f"first measurement to its baseline, across arms): {_anova_text(row)}; {verdict}."
    ]


def adjusted_sentences(balance: pd.DataFrame | None) -> list[str]:
    """The baseline-adjusted comparison of each treated arm (when the arms were not balanced
    at baseline: these lead the findings), with the unadjusted ratio next to it."""
    if not unbalanced(balance):
        return []
    assert balance is not None
    row = _balance_row(balance)
    assert row is not None
    return [
        f"The arms were not balanced at baseline ({_anova_text(row)}), so the comparison "
        "adjusted for each mouse's baseline volume (ANCOVA of log volume) comes first.",
        *_adjusted_rows(balance),
    ]


def adjusted_check_sentences(study: Study, balance: pd.DataFrame | None) -> list[str]:
    """The same comparison when the balance test's p is below the study's alpha but not below
    :data:`xenoflow.baseline.IMBALANCE_P`: after the findings, as a check of them."""
    row = _balance_row(balance)
    if row is None or not isnum(row["p_value"]) or unbalanced(balance):
        return []
    alpha = float(study.settings["alpha"])
    if not float(row["p_value"]) < alpha:
        return []
    assert balance is not None
    return [
        f"The arms differed at baseline at the {alpha:g} level, though not below "
        f"{baseline.IMBALANCE_P:g} ({_anova_text(row)}); as a check of the findings above, "
        "the comparison adjusted for each mouse's baseline volume (ANCOVA of log volume):",
        *_adjusted_rows(balance),
    ]


def _adjusted_rows(balance: pd.DataFrame) -> list[str]:
    rows = [r for r in records(balance[balance["analysis"] == "adjusted"]) if isnum(r["estimate"])]
    out = []
    for r in rows:
        out.append(
            f"On day {fmt_day(r['reference_day'])}, adjusted for baseline volume, the {r['arm']} "
            f"arm's geometric-mean volume was {fmt(r['adjusted_ratio'])} times the control's "
            f"({fmt_ci(r['adjusted_ratio_ci_low'], r['adjusted_ratio_ci_high'])}, "
            f"{fmt_p(r['p_value'])}); unadjusted {fmt(r['unadjusted_ratio'])} "
            f"({fmt_ci(r['unadjusted_ratio_ci_low'], r['unadjusted_ratio_ci_high'])}, "
            f"{fmt_p(r['unadjusted_p_value'])})."
        )
    return out

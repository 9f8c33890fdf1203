"""Sentences on two-phase growth (regression then regrowth; the piecewise mixed model)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..config import Study
from ..piecewise import METHOD_FIXED
from .headline import GrowthFinding, two_phase_rows, whole_curve_findings
from .text import first_rows, fmt, fmt_ci, fmt_p, isnum, value_of


def _phase_rate(rate: Any, low: Any, high: Any) -> str:
    """'shrank at 0.0989 per day (95% CI …)' / 'grew at …' / 'changed little …'."""
    if isnum(low) and isnum(high) and float(low) <= 0 <= float(high):
        return f"changed little ({fmt(rate)} per day; {fmt_ci(low, high)})"
    if float(rate) > 0:
        return f"grew at {fmt(rate)} per day ({fmt_ci(low, high)})"
    # a shrinking rate is given as a positive speed, and so is its interval
    ci = fmt_ci(-float(high), -float(low)) if isnum(low) and isnum(high) else fmt_ci(low, high)
    return f"shrank at {fmt(-float(rate))} per day ({ci})"


def _phase_diff(row: Mapping[str, Any], phase: str, several: bool, alpha: float) -> str:
    diff = value_of(row, f"diff_{phase}_vs_control")
    p, p_holm = value_of(row, f"p_{phase}"), value_of(row, f"p_{phase}_holm")
    ci = fmt_ci(value_of(row, f"diff_{phase}_ci_low"), value_of(row, f"diff_{phase}_ci_high"))
    tests = fmt_p(p)
    if several and isnum(p_holm):
        tests += f"; Holm-adjusted over the treated arms: {fmt_p(p_holm)}"
        p = p_holm
    significant = isnum(p) and float(p) < alpha
    verdict = "statistically significant" if significant else "not statistically significant"
    return f"{fmt(diff)} per day ({ci}; {tests}; {verdict})"


def two_phase_sentences(study: Study, table: pd.DataFrame | None) -> list[str]:
    """The two phases of each arm that regresses then regrows (``growth_piecewise``), to lead
    the findings: the rates before and after the breakpoint, the control's over the same days,
    the differences per phase and the whole-curve rate difference drawn in the forest plot."""
    rows = two_phase_rows(table)
    if not rows or table is None:
        return []
    every = first_rows(table, ["arm"])
    control = every.get(study.control)
    first = next(iter(rows.values()))
    bp = float(first["breakpoint_day"])
    how = (
        "fixed in the study file"
        if first.get("breakpoint_method") == METHOD_FIXED
        else "estimated by profile likelihood"
    )
    several = sum(1 for a in every if a != study.control) > 1
    alpha = study.settings["alpha"]
    curves = whole_curve_findings(study, table)
    out = []
    for arm in study.treated_arms:
        if arm not in rows:
            continue
        r = rows[arm]
        before = _phase_rate(r["rate_before"], r["rate_before_ci_low"], r["rate_before_ci_high"])
        after = _phase_rate(r["rate_after"], r["rate_after_ci_low"], r["rate_after_ci_high"])
        after = after.replace("grew at", "regrew at", 1)
        out.append(
            f"Tumours in {arm} {before} until day {bp:.3g}, then {after}, on ln volume "
            f"(piecewise mixed model with one breakpoint for all arms, {how})."
        )
        if control is not None and int(value_of(control, "n_mice") or 0) < 2:
            out.append(
                "The control has one mouse: its phase rates are that mouse's, not an arm's, "
                "so no difference from control is given per phase."
            )
        elif control is not None and isnum(value_of(control, "rate_before")):
            c_before = _phase_rate(
                control["rate_before"],
                control["rate_before_ci_low"],
                control["rate_before_ci_high"],
            )
            c_after = _phase_rate(
                control["rate_after"], control["rate_after_ci_low"], control["rate_after_ci_high"]
            )
            out.append(
                f"Over the same phases control tumours {c_before}, then {c_after}; the "
                f"difference from control was {_phase_diff(r, 'before', several, alpha)} before "
                f"day {bp:.3g} and {_phase_diff(r, 'after', several, alpha)} after it."
            )
        if arm in curves:
            out.append(_whole_curve_sentence(curves[arm], alpha))
    return out


def _whole_curve_sentence(f: GrowthFinding, alpha: float) -> str:
    """The arm's headline finding (:func:`xenoflow.summary.headline.headline_findings`), as
    the index, summary.tsv and the forest plot give it."""
    assert f.days is not None
    verdict = (
        "statistically significant" if f.significant(alpha) else "not statistically significant"
    )
    return (
        f"Over the whole curve, from day {f.days[0]:g} to day {f.days[1]:g}, the mean "
        f"growth-rate difference of {f.arm} from control was {fmt(f.estimate)} per day "
        f"({f.interval}; {f.tests_text()}; {verdict}); the forest plot and "
        "the index show this whole-curve difference for this arm."
    )

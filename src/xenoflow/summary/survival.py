"""Sentences on survival: the endpoint, the medians and the comparisons."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..config import Study
from .text import (
    count_words,
    first_rows,
    fmt,
    fmt_ci,
    fmt_day,
    fmt_p,
    isnum,
    join_words,
    records,
    value_of,
)


def survival_endpoint(study: Study) -> str:
    """The study's survival endpoint in words ('' when it has none); the KM figure says it
    too."""
    if study.survival_data:
        return "recorded per-mouse survival table"
    if not study.endpoint_volume_mm3:
        return ""
    rule = study.settings["endpoint_rule"]
    if rule == "fold_baseline":  # the volume threshold is not used by this rule
        target = (
            f"tumour volume >= {float(study.settings['endpoint_fold']):g} x the "
            "mouse's baseline volume"
        )
    else:
        target = f"tumour volume > {study.endpoint_volume_mm3:g} mm3"
    return f"time to {target}, {ENDPOINT_RULE_WORDS[rule]}"


#: How each ``endpoint_rule`` dates the endpoint, in words (xenoflow.survival).
ENDPOINT_RULE_WORDS = {
    "first_above": "dated by the first measurement above it",
    "last_below": "dated by the last measurement below it",
    "interpolate": "dated by interpolating log volume between the measurements around it",
    "fold_baseline": "dated by the first later measurement at or above it",
}


def not_reached(arms: list[str], n_arms: int, what: str) -> str:
    """The grouped sentence for medians that were not reached ("... in 4 of 6 arms: ...")."""
    which = (
        join_words(arms)
        if len(arms) <= 2
        else f"any of the {n_arms} arms"
        if len(arms) == n_arms
        else f"{len(arms)} of {n_arms} arms ({', '.join(arms)})"
    )
    return f"{what} was not reached in {which}"


def _median_text(arm: str, row: Mapping[str, Any]) -> str:
    """'35 days in A', or for a curve flat at exactly 50% 'not unique in A (...)'."""
    if value_of(row, "median_unique") is False:
        flat = str(value_of(row, "note")).split(": no unique median")[0]
        return f"not unique in {arm} (its {flat.replace('curve flat', 'curve is flat')})"
    return f"{fmt_day(row['median_days'])} days in {arm}"


def median_survival_sentence(study: Study, survival: pd.DataFrame) -> str:
    """All arms' Kaplan–Meier medians in one sentence, the arms not reached grouped."""
    rows = first_rows(survival, ["arm"])
    arms = [a for a in study.arm_names if a in rows] + [a for a in rows if a not in study.arm_names]
    reached = [a for a in arms if isnum(value_of(rows[a], "median_days"))]
    missing = [a for a in arms if a not in reached]
    parts = [_median_text(a, rows[a]) for a in reached]
    if not parts:
        return not_reached(missing, len(arms), "Median survival") + "."
    text = f"Median survival was {join_words(parts)}"
    if missing:
        text += "; " + not_reached(missing, len(arms), "it")
    return text + "."


def n_logrank_tests(tests: pd.DataFrame) -> int:
    """How many pairs of arms of a study have a log-rank test (``survival_tests``): the
    family its Holm adjustment is over."""
    return sum(isnum(r.get("logrank_p")) for r in records(tests))


def logrank_verdict(row: Mapping[str, Any], n_tests: int) -> tuple[Any, str]:
    """The log-rank p a comparison's verdict follows, and its adjustment ('' for none): with
    several comparisons the Holm-adjusted p (``p_holm``), else the log-rank p. The summary,
    the index and summary.tsv quote this one."""
    if n_tests > 1 and isnum(value_of(row, "p_holm")):
        return value_of(row, "p_holm"), f"Holm-adjusted over {n_tests} comparisons"
    return value_of(row, "logrank_p"), ""


def _survival_comparison(row: Mapping[str, Any], n_tests: int, alpha: float) -> str:
    """One pair of arms: median ratio, log-rank p (Holm-adjusted when several), hazard ratio."""
    text = f"{row['arm']} vs {row['reference']}: "
    ratio = value_of(row, "median_ratio")
    bits = []
    if isnum(ratio):
        pct = (float(ratio) - 1) * 100
        bits.append(
            f"median survival ratio {fmt(ratio)} ({fmt_ci(value_of(row, 'median_ratio_ci_low'), value_of(row, 'median_ratio_ci_high'))}; "
            f"{fmt(abs(pct), 2)}% {'longer' if pct >= 0 else 'shorter'})"
        )
    note = value_of(row, "note")
    if isinstance(note, str) and note.startswith("no ratio of medians"):
        bits.append(f"no ratio of medians ({note.removeprefix('no ratio of medians: ')})")
    logrank = f"log-rank {fmt_p(value_of(row, 'logrank_p'))}"
    p, adjustment = logrank_verdict(row, n_tests)
    if adjustment:
        logrank += f" ({adjustment}: {fmt_p(p)})"
    verdict = (
        "statistically significant"
        if isnum(p) and float(p) < alpha
        else "not statistically significant"
    )
    bits.append(f"{logrank}, {verdict}")
    hr, flag = value_of(row, "hr"), value_of(row, "hr_flag")
    if flag:
        bits.append(hr_not_estimable_text(row))
    elif isnum(hr):
        bits.append(
            f"hazard ratio {fmt(hr)} ({fmt_ci(value_of(row, 'hr_ci_low'), value_of(row, 'hr_ci_high'))})"
        )
    return text + "; ".join(bits) + "."


FIRTH_POINTER = "; see the Firth-penalised hazard ratio"


def hr_not_estimable_text(row: Mapping[str, Any]) -> str:
    """'Cox hazard ratio not estimable (complete separation ...); Firth-penalised hazard ratio
    0.0512 (95% CI 0.0061 to 0.32)': where the Cox estimate is not finite, the Firth estimate
    (Heinze & Schemper 2001, finite under separation) is given, not pointed to."""
    flag = str(value_of(row, "hr_flag")).removesuffix(FIRTH_POINTER)
    text = f"Cox hazard ratio not estimable ({flag})"
    firth = value_of(row, "hr_firth")
    if isnum(firth):
        ci = fmt_ci(value_of(row, "hr_firth_ci_low"), value_of(row, "hr_firth_ci_high"))
        text += f"; Firth-penalised hazard ratio {fmt(firth)} ({ci})"
    return text


def survival_sentences(study: Study, survival: pd.DataFrame, tests: pd.DataFrame) -> list[str]:
    """The medians (one sentence), then one sentence per compared pair of arms, then the pairs
    that could not be compared, grouped by reason."""
    if survival.empty or tests.empty:
        return []
    alpha = study.settings["alpha"]
    out = [median_survival_sentence(study, survival)]
    skipped: dict[str, int] = {}  # reason -> pairs (a panel model has hundreds)
    n_tests = n_logrank_tests(tests)
    for row in records(tests):
        note = row.get("note")
        if isinstance(note, str) and note.startswith("skipped: "):
            reason = note.removeprefix("skipped: ")
            skipped[reason] = skipped.get(reason, 0) + 1
        elif isinstance(note, str) and note and not isnum(row.get("logrank_p")):
            out.append(f"Survival: {note}.")  # e.g. no control arm in the data
        else:
            out.append(_survival_comparison(row, n_tests, alpha))
    for reason, n in skipped.items():
        pairs = "1 pair of arms" if n == 1 else f"{n} pairs of arms"
        out.append(f"Survival was not compared for {pairs}: {reason}.")
    return out


def cause_sentence(per_mouse: pd.DataFrame | None) -> str:
    """How recorded causes of death enter the tumour endpoints (empty without causes)."""
    if per_mouse is None or "cause" not in per_mouse or per_mouse.empty:
        return ""
    causes = per_mouse["cause"].fillna("")
    toxic, other = int((causes == "toxicity").sum()), int((causes == "other").sum())
    return (
        "Survival: only tumour-related deaths are events of the tumour endpoints; "
        f"{count_words(toxic, 'toxic death')} and {count_words(other, 'death')} of other causes were "
        "censored at their time there and are counted in the tolerability table"
        + (
            "; event-free survival, which counts toxic deaths as events, compares the regimens."
            if toxic
            else "."
        )
    )

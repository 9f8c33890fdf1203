"""The answer first: at most five sentences that open a study's summary and report.

Each sentence restates a finding the sections below give in full, from the same source, so the
opening and the evidence cannot disagree: the biggest growth effect
(:func:`xenoflow.summary.headline.headline_findings`, with its interval and the p its verdict
follows), the objective responses (``response_summary``), survival against the control
(``survival_tests``, the Holm-adjusted log-rank p when there are several comparisons),
tolerability (``tolerability`` verdicts) and, where present, the synergy (``synergy``, the mixed
model's Bliss test on its last day). A study that compares regimens of one agent opens on its
regimen verdicts in full (:func:`xenoflow.summary.regimens.regimen_verdict`: the better regimen
once toxicity is counted, the numbers that decide it and the rule), its question (issue 28).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..config import Study
from .efficacy import control_window_caution, cured_arms, cured_sentences
from .headline import headline_findings, two_phase_rows
from .regimens import VERDICT_RULE, regimen_verdict
from .survival import logrank_verdict, n_logrank_tests
from .text import (
    Section,
    Tables,
    count_words,
    fmt,
    fmt_ci,
    fmt_p,
    isnum,
    join_words,
    records,
    value_of,
)

TITLE = "Answer"


def separate_cohorts(tables: Tables) -> set[str]:
    """The arms the calendar check flags (``baseline_balance``, :func:`xenoflow.baseline.
    calendar`): measured on other days than the control, possibly a separate cohort."""
    balance = tables.get("baseline_balance")
    if balance is None or not len(balance):
        return set()
    flagged = balance["separate_cohort"].astype(object).eq(True)
    return set(balance.loc[flagged, "arm"].astype(str))


def _growth_lead(arm: str, slowed: bool, n_arms: int) -> str:
    """The answer's growth verdict as worded: the arm that slowed growth the most ('the most'
    only among several), or, when none slowed it, the arm closest to the control (the least
    increase is not 'grew faster the most')."""
    if slowed:
        return f"{arm} slowed tumour growth" + (" the most" if n_arms > 1 else "")
    if n_arms > 1:
        return f"No treated arm slowed tumour growth; the closest to the control, {arm}, grew"
    return f"{arm} did not slow tumour growth; it grew"


def growth_answer(study: Study, tables: Tables) -> str:
    """The treated arm with the largest growth-rate reduction against the control, and how many
    treated arms differ significantly. An arm mostly tumour-free on the reference day
    (:func:`cured_arms`) is not named here: its tumour-free count and rank tests lead the
    answer, and its log-scale rate rests on the detection limit."""
    findings = headline_findings(study, tables)
    cured = cured_arms(study, tables)
    rated = [f for f in findings.values() if f.arm not in cured]
    if not rated:
        return ""
    alpha = float(study.settings["alpha"])
    best = min(rated, key=lambda f: f.estimate)
    significant = [f.arm for f in findings.values() if f.significant(alpha)]
    shown = best.as_magnitude()  # the number as worded, its interval with it
    size = f"{fmt(shown.estimate)} per day on ln volume"
    verdict = "significant" if best.significant(alpha) else "not significant"
    apart = f"Apart from {join_words(list(cured))}, " if cured else ""
    text = apart + (
        f"{_growth_lead(best.arm, best.estimate < 0, len(rated))}"
        f"{': ' if best.estimate < 0 else ' '}{size} "
        f"{'against' if best.estimate < 0 else 'faster than'} the control ({best.metric}; "
        f"{shown.interval}; {fmt_p(best.p)}, {best.p_method}; {verdict})"
    )
    if best.arm in separate_cohorts(tables):
        text += (
            f", but {best.arm} was measured on a different calendar from the control, possibly "
            "as a separate cohort without a concurrent control"
        )
    if len(findings) > 1:
        text += (
            f"; {len(significant)} of {len(findings)} treated arms differ significantly"
            if significant
            else "; no treated arm differs significantly"
        )
    return text + "."


def response_answer(study: Study, tables: Tables) -> str:
    """Objective responses (CR or PR by mRECIST) per arm, of the evaluable mice, with the
    findings' caution when the response window misses the control's growth."""
    rows = records(tables.get("response_summary", pd.DataFrame()))
    if not rows:
        return ""
    hits = [
        f"{int(r['n_cr']) + int(r['n_pr'])} of {int(r['n_mice'])} evaluable mice in {r['arm']}"
        for r in rows
        if int(r["n_cr"]) + int(r["n_pr"])
    ]
    caution = control_window_caution(rows, study.control, float(study.settings["mrecist_min_day"]))
    if not hits:
        text = "No tumour responded objectively (mRECIST CR or PR) in any arm."
    else:
        text = (
            f"Objective responses (mRECIST CR or PR): {join_words(hits)}; none in the other arms."
        )
    return f"{text} {caution}" if caution else text


def survival_answer(study: Study, tables: Tables) -> str:
    """The treated arms whose time to the endpoint differs from the control's (log-rank, the
    p the summary's verdict follows), with the hazard ratio of the strongest."""
    tests = tables.get("survival_tests")
    if tests is None or tests.empty:
        return ""
    alpha = float(study.settings["alpha"])
    n = n_logrank_tests(tests)
    rows = [
        r
        for r in records(tests)
        if r.get("comparison") == "vs control" and isnum(r.get("logrank_p"))
    ]
    if not rows:
        return ""
    verdicts = [(r, *logrank_verdict(r, n)) for r in rows]
    later = [(r, p, adj) for r, p, adj in verdicts if isnum(p) and float(p) < alpha]
    if not later:
        return "Survival: no treated arm reached the endpoint at a rate detectably different from the control's."
    r, p, adjustment = min(later, key=lambda v: float(v[1]))
    others = [
        v[0]["arm"] + (" (its toxic deaths censored)" if _toxic_deaths(tables, v[0]["arm"]) else "")
        for v in later
        if v[0] is not r
    ]
    return (
        f"Survival: {r['arm']} reached the endpoint {_direction(r)} the control (log-rank "
        f"{fmt_p(p)}"
        + (f", {adjustment}" if adjustment else "")
        + _hazard_text(r)
        + ")"
        + _event_free_text(tables, str(r["arm"]), alpha)
        + (f"; {join_words(others)} also differed from it" if others else "")
        + "."
    )


def _toxic_deaths(tables: Tables, arm: str) -> int:
    """The arm's toxic deaths (``event_free_survival``; 0 without recorded causes)."""
    efs = tables.get("event_free_survival")
    if efs is None or "toxic_deaths" not in efs:
        return 0
    rows = efs[efs["arm"].astype(str) == arm]
    return int(rows["toxic_deaths"].iloc[0]) if len(rows) else 0


def _event_free_text(tables: Tables, arm: str, alpha: float) -> str:
    """For an arm with toxic deaths: the tumour endpoint censors them, which flatters a toxic
    regimen (its deaths leave the risk set as if spared), so the same comparison with them
    counted as events (event-free survival, :func:`xenoflow.survival.event_free_endpoints`)
    follows, with its verdict ('' for an arm without toxic deaths)."""
    deaths = _toxic_deaths(tables, arm)
    tests = tables.get("event_free_survival_tests")
    if not deaths or tests is None or tests.empty:
        return ""
    rows = [
        t
        for t in records(tests)
        if t.get("comparison") == "vs control" and t["arm"] == arm and isnum(t.get("logrank_p"))
    ]
    if not rows:
        return ""
    p, adjustment = logrank_verdict(rows[0], n_logrank_tests(tests))
    # counted, the deaths can turn a later endpoint into a sooner one: the direction is stated
    verdict = (
        f"statistically significant ({_direction(rows[0])} the control)"
        if float(p) < alpha
        else "not statistically significant"
    )
    return (
        f", with its {count_words(deaths, 'toxic death')} censored; counted as events "
        f"(event-free survival), log-rank {fmt_p(rows[0]['logrank_p'])}"
        + (f" ({adjustment}: {fmt_p(p)})" if adjustment else "")
        + f", {verdict}"
    )


def _direction(r: Mapping[str, Any]) -> str:
    """'later than' / 'sooner than' from the hazard ratio (Cox, or Firth under separation)."""
    hr = value_of(r, "hr_firth" if value_of(r, "hr_flag") else "hr")
    return "sooner than" if hr is not None and float(hr) > 1 else "later than"


def _hazard_text(r: Mapping[str, Any]) -> str:
    """'; hazard ratio 0.139, 95% CI …', or the Firth-penalised one under separation."""
    if value_of(r, "hr_flag") and isnum(r.get("hr_firth")):
        return (
            f"; Firth-penalised hazard ratio {fmt(r['hr_firth'])}, "
            f"{fmt_ci(r.get('hr_firth_ci_low'), r.get('hr_firth_ci_high'))}"
        )
    if isnum(r.get("hr")):
        return f"; hazard ratio {fmt(r['hr'])}, {fmt_ci(r.get('hr_ci_low'), r.get('hr_ci_high'))}"
    return ""


def tolerability_answer(study: Study, tables: Tables) -> str:
    """Which treated arms the tolerability verdict calls toxic, and why in brief; the arms it
    could not judge (no body weights after baseline and no cause of death), with the reason,
    are never called tolerated."""
    treated = [
        r for r in records(tables.get("tolerability", pd.DataFrame())) if r["arm"] != study.control
    ]
    rows = [r for r in treated if value_of(r, "verdict")]
    unjudged = [r for r in treated if not value_of(r, "verdict")]
    if not treated:
        return ""
    if not rows:
        reason = str(value_of(unjudged[0], "rule") or "").removesuffix(": no verdict")
        return "Tolerability: not judged" + (f" ({reason})" if reason else "") + "."
    toxic = [r for r in rows if r["verdict"] == "toxic"]
    tolerated = [r["arm"] for r in rows if r["verdict"] != "toxic"]
    named = [
        f"{r['arm']} ({count_words(int(value_of(r, 'toxic_deaths') or 0), 'toxic death')}, "
        f"mean body-weight nadir {float(r['group_mean_nadir_pct']):+.1f}%)"
        for r in toxic
    ]
    if not unjudged:
        if not toxic:
            return "Tolerability: every treated arm was tolerated."
        rest = "" if not tolerated else "; the other treated arms were tolerated"
        return f"Tolerability: toxic in {join_words(named)}{rest}."
    parts = ([f"toxic in {join_words(named)}"] if toxic else []) + (
        [f"{join_words(tolerated)} tolerated"] if tolerated else []
    )
    return (
        f"Tolerability: {'; '.join(parts)}; {join_words([r['arm'] for r in unjudged])} not "
        "judged (no body weights after baseline and no cause of death recorded)."
    )


def synergy_answer(study: Study, tables: Tables) -> str:
    """The mixed model's Bliss verdict of each combination on its last day."""
    synergy = tables.get("synergy")
    if synergy is None or synergy.empty:
        return ""
    alpha = float(study.settings["alpha"])
    out = []
    for combo, rows in synergy[synergy["basis"] == "lmm"].groupby("combination", sort=False):
        z = rows[
            (rows["method"] == "bliss") & rows["p_method"].astype(str).str.startswith("Wald z")
        ]
        if z.empty:
            continue
        last = z[z["day"] == z["day"].max()].iloc[0]
        p = float(last["p_value"])
        verdict = (
            ("synergistic" if float(last["score"]) > 0 else "antagonistic")
            if p < alpha
            else "not significantly different from additive"
        )
        out.append(f"{combo} {verdict} by Bliss to day {float(last['day']):g} ({fmt_p(p)})")
    return f"Synergy: {'; '.join(out)}." if out else ""


def regimen_answer(study: Study, tables: Tables) -> str:
    """Each regimen verdict in full (:func:`xenoflow.summary.regimens.regimen_verdict`: which
    regimen is better once toxicity is counted, the numbers that decide it and the rule, stated
    once), the first paragraph of the answer of a study that compares regimens of one agent
    (issue 28: its report opens on its regimen verdict); the same verdicts open its Regimens
    section."""
    phased = two_phase_rows(tables.get("growth_piecewise"))
    verdicts = [
        regimen_verdict(c, phased)
        for c in records(tables.get("regimen_comparison", pd.DataFrame()))
    ]
    rule = f" The rule: {VERDICT_RULE}."
    heads = [v.removesuffix(rule) for v in verdicts[:-1]]
    return " ".join([*heads, *verdicts[-1:]])


def answer_section(study: Study, tables: Tables) -> Section | None:
    """At most five sentences answering the study's question (module docstring); None when
    nothing could be compared with the control."""
    # arms whose tumours mostly disappeared: their tumour-free counts and rank tests first
    cured = cured_sentences(study, tables) if "efficacy" in tables else []
    sentences = [
        regimen_answer(study, tables),
        *cured,
        growth_answer(study, tables),
        response_answer(study, tables),
        survival_answer(study, tables),
        tolerability_answer(study, tables),
        synergy_answer(study, tables),
    ]
    kept = [s for s in sentences if s]
    return Section(TITLE, kept[:5]) if kept else None

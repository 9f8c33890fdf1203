"""Plain-language study summaries and the cross-study table, generated from the result tables.

Every sentence is built from a table row, and its wording follows the statistics: a difference
is called significant only when its p-value is below ``alpha`` (or, for bootstrap metrics, when
the confidence interval excludes no effect), and otherwise described as not statistically
significant. Nothing is written about a quantity that is missing (e.g. a median survival that
was not reached is said to be not reached).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import tables as registry
from .config import Study, display_unit
from .io import column_values, read_table
from .piecewise import METHOD_FIXED, two_phase_text
from .power import METHOD_GROWTH_ENDPOINT
from .refday import choose_reference_day

Tables = Mapping[str, pd.DataFrame]


# --------------------------------------------------------------------------------------------
# Number formatting


def fmt(value: object, digits: int = 3) -> str:
    """``digits`` significant digits for prose, trailing zeros kept ("0.100", "0.40"), so every
    estimate shows the same precision; numbers with ``digits`` or more integer digits are
    rounded to a whole number with thousands separators ("2,368"). '–' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v = float(value)  # type: ignore[arg-type]
    if v == 0:
        return "0"
    if abs(v) >= 10 ** (digits - 1):
        return f"{v:,.0f}"
    return f"{v:#.{digits}g}".rstrip(".")


def fmt_day(value: object) -> str:
    """A day or a number of days as measured or as a median of measured days ("35", "50.5")."""
    return f"{float(value):g}"  # type: ignore[arg-type]


def _a(number: str) -> str:
    """The number with its indefinite article as read aloud: "an 80", "an 11", "a 54"."""
    return f"an {number}" if re.match(r"8|1[18](\D|$)", number) else f"a {number}"


def fmt_p(p: object) -> str:
    """A p-value to 2 significant digits ("p = 0.030"), "p < 0.001" below 0.001."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "p not available"
    p = float(p)  # type: ignore[arg-type]
    return "p < 0.001" if p < 0.001 else f"p = {fmt(p, 2)}"


def fmt_ci(low: object, high: object, digits: int = 2, unit: str = "") -> str:
    """A 95% interval, its bounds to 2 significant digits (estimates get 3)."""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (low, high)):
        return "95% CI not available"
    return f"95% CI {fmt(low, digits)}{unit} to {fmt(high, digits)}{unit}"


def _isnum(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _get(row: Mapping[str, Any] | None, key: str) -> Any:
    if row is None:
        return None
    value = row.get(key)
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


# --------------------------------------------------------------------------------------------
# Document model rendered to Markdown and HTML


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)


def to_markdown(title: str, sections: Iterable[Section]) -> str:
    out = [f"# {title}", ""]
    for s in sections:
        out += [f"## {s.title}", ""]
        for p in s.paragraphs:
            out += [p, ""]
        out += [f"- {b}" for b in s.bullets]
        if s.bullets:
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def to_html(title: str, sections: Iterable[Section]) -> str:
    esc = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:52em;margin:2em auto;line-height:1.45}"
        "h2{border-bottom:1px solid #ccc}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    for s in sections:
        out.append(f"<h2>{esc(s.title)}</h2>")
        out += [f"<p>{esc(p)}</p>" for p in s.paragraphs]
        if s.bullets:
            out.append("<ul>" + "".join(f"<li>{esc(b)}</li>" for b in s.bullets) + "</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# Sections


def design_section(study: Study, measurements: pd.DataFrame) -> Section:
    s = Section("Design")
    if study.synthetic:
        s.paragraphs.append(
            "SYNTHETIC DATA: this study was simulated for demonstration; its "
            "numbers describe no real experiment."
        )
    model = f" in {study.model}" if study.model else ""
    n_mice = measurements.groupby("arm", sort=False)["mouse_id"].nunique()
    s.paragraphs.append(
        f"{study.title}{model}: {len(n_mice)} arms, control arm '{study.control}', "
        f"{int(n_mice.sum())} mice, days {measurements['day'].min():g} to "
        f"{measurements['day'].max():g}."
    )
    for arm in n_mice.index:
        doses = study.arm(arm).doses if arm in study.arm_names else ()
        schedule = "; ".join(d.describe() for d in doses) or (
            "control" if arm == study.control else "no dosing schedule given"
        )
        noun = "mouse" if n_mice[arm] == 1 else "mice"
        s.bullets.append(f"{arm}: {n_mice[arm]} {noun} ({schedule})")
    endpoint = survival_endpoint(study)
    if endpoint:
        s.bullets.append(f"Survival: {endpoint}.")
    return s


def survival_endpoint(study: Study) -> str:
    """The study's survival endpoint in words ('' when it has none); the KM figure says it
    too."""
    if study.survival_data:
        return f"recorded per-mouse survival table ({study.survival_data.name})"
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


def _reference_rows(efficacy: pd.DataFrame) -> pd.DataFrame:
    """The rows at the reference day: none when the study has none (arms measured on disjoint
    days, :func:`xenoflow.refday.choose_reference_day`)."""
    return efficacy[efficacy["is_reference_day"].astype(bool)]


def fold_change_sentences(study: Study, efficacy: pd.DataFrame) -> list[str]:
    ref = _first_rows(_reference_rows(efficacy), ["arm"])
    if study.control not in ref:
        return []
    day = next(iter(ref.values()))["day"]
    control = ref[study.control]
    out = [
        f"By day {day:g} control tumours grew {fmt(control['mean_fold_change'])}-fold "
        "(mean of per-mouse fold changes from baseline)."
    ]
    for arm in study.treated_arms:
        if arm not in ref:
            continue
        row = ref[arm]
        low, high = (
            _get(row, "fold_change_reduction_ci_low"),
            _get(row, "fold_change_reduction_ci_high"),
        )
        red = _get(row, "fold_change_reduction_pct")
        fc = float(row["mean_fold_change"])
        sentence = (
            f"The {arm} arm grew {fmt(fc)}-fold"
            if fc >= 1
            else f"Tumours in the {arm} arm shrank to {fmt(fc)} of their baseline volume"
        )
        if not _isnum(red):
            out.append(sentence + ".")
            continue
        word = "reduction" if float(red) >= 0 else "increase"
        sentence += (
            f", {_a(fmt(abs(float(red)), 2))}% {word} of the fold change relative to control "
            f"({fmt_ci(low, high, unit='%')})"
        )
        if _isnum(low) and _isnum(high) and float(low) <= 0 <= float(high):
            sentence += "; the interval includes no reduction, so the difference is not statistically significant"
        out.append(sentence + ".")
        tc, ct = _get(row, "tc_pct"), _get(row, "ratio_c_t")
        if _isnum(tc):
            ratio = (
                f"mean control volume was {fmt(ct)} times the {arm} mean; " if _isnum(ct) else ""
            )
            out.append(
                f"On day {day:g} the {ratio}%T/C was {fmt(tc, 3)}% "
                f"({fmt_ci(_get(row, 'tc_ci_low'), _get(row, 'tc_ci_high'), unit='%')}; "
                f"{nci_activity(float(tc))}){_tgi_text(row)}."
            )
    return out


def _tgi_text(row: Mapping[str, Any]) -> str:
    """'; %TGI was …' (volume-change definition), when the row has it."""
    tgi = _get(row, "tgi_pct")
    if not _isnum(tgi):
        return ""
    ci = fmt_ci(_get(row, "tgi_ci_low"), _get(row, "tgi_ci_high"), unit="%")
    return f"; %TGI was {fmt(tgi, 3)}% ({ci})"


def nci_activity(tc_pct: float) -> str:
    """NCI activity bands for %T/C (Plowman et al. 1997; Hollingshead 2008)."""
    if tc_pct <= 10:
        return "high activity by the NCI criterion, %T/C ≤ 10%"
    if tc_pct <= 42:
        return "active by the NCI criterion, %T/C ≤ 42%"
    return "not active by the NCI criterion, %T/C ≤ 42%"


def _holm_p(contrasts: pd.DataFrame | None, arm: str, control: str) -> tuple[Any, int]:
    """The Holm-adjusted p of arm vs control among the pairwise growth-rate contrasts
    (``growth_contrasts``; small-sample version when present), and how many contrasts."""
    if contrasts is None or contrasts.empty:
        return None, 0
    rows = contrasts[(contrasts["arm"] == arm) & (contrasts["reference"] == control)]
    if rows.empty:
        return None, len(contrasts)
    r = rows.iloc[0]
    p = r.get("p_holm_satterthwaite")
    return (p if _isnum(p) else r.get("p_holm")), len(contrasts)


def two_phase_rows(table: pd.DataFrame | None) -> dict[Any, dict[str, Any]]:
    """Rows of ``growth_piecewise`` by arm, for the arms that regress then regrow and have
    both phase rates (empty without the table)."""
    if table is None or table.empty:
        return {}
    return {a: r for a, r in _first_rows(table, ["arm"]).items() if two_phase_text(r)}


def _phase_rate(rate: Any, low: Any, high: Any) -> str:
    """'shrank at 0.0989 per day (95% CI …)' / 'grew at …' / 'changed little …'."""
    if _isnum(low) and _isnum(high) and float(low) <= 0 <= float(high):
        return f"changed little ({fmt(rate)} per day; {fmt_ci(low, high)})"
    if float(rate) > 0:
        return f"grew at {fmt(rate)} per day ({fmt_ci(low, high)})"
    # a shrinking rate is given as a positive speed, and so is its interval
    ci = fmt_ci(-float(high), -float(low)) if _isnum(low) and _isnum(high) else fmt_ci(low, high)
    return f"shrank at {fmt(-float(rate))} per day ({ci})"


def _phase_diff(row: Mapping[str, Any], phase: str, several: bool, alpha: float) -> str:
    diff = _get(row, f"diff_{phase}_vs_control")
    p, p_holm = _get(row, f"p_{phase}"), _get(row, f"p_{phase}_holm")
    ci = fmt_ci(_get(row, f"diff_{phase}_ci_low"), _get(row, f"diff_{phase}_ci_high"))
    tests = fmt_p(p)
    if several and _isnum(p_holm):
        tests += f"; Holm-adjusted over the treated arms: {fmt_p(p_holm)}"
        p = p_holm
    significant = _isnum(p) and float(p) < alpha
    verdict = "statistically significant" if significant else "not statistically significant"
    return f"{fmt(diff)} per day ({ci}; {tests}; {verdict})"


def two_phase_sentences(study: Study, table: pd.DataFrame | None) -> list[str]:
    """The two phases of each arm that regresses then regrows (``growth_piecewise``), to lead
    the findings: the rates before and after the breakpoint, the control's over the same days,
    the differences per phase and the whole-curve rate difference drawn in the forest plot."""
    rows = two_phase_rows(table)
    if not rows or table is None:
        return []
    every = _first_rows(table, ["arm"])
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
        if control is not None and _isnum(_get(control, "rate_before")):
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
        curve = _get(r, "curve_rate_diff")
        if _isnum(curve):
            ci = fmt_ci(_get(r, "curve_rate_diff_ci_low"), _get(r, "curve_rate_diff_ci_high"))
            out.append(
                f"Over the whole curve, from day {float(r['curve_from_day']):g} to day "
                f"{float(r['curve_to_day']):g}, the mean growth-rate difference of {arm} from "
                f"control was {fmt(curve)} per day ({ci}); the forest plot shows this "
                "whole-curve difference for this arm."
            )
    return out


def growth_sentences(
    study: Study,
    growth: pd.DataFrame,
    contrasts: pd.DataFrame | None = None,
    two_phase: Iterable[str] = (),
) -> list[str]:
    """One sentence per treated arm on its exponential growth rate; for an arm in
    ``two_phase`` the sentence says that this one rate averages its two phases."""
    g = _first_rows(growth, ["arm"])
    if study.control not in g:
        return []
    alpha = study.settings["alpha"]
    k_c = g[study.control]["growth_rate_per_day"]
    phased = set(two_phase)
    out = []
    for arm in study.treated_arms:
        if arm not in g:
            continue
        row = g[arm]
        diff = _get(row, "rate_diff_vs_control")
        text = (
            f"Tumours in {arm} grew at {fmt(row['growth_rate_per_day'])} per day "
            f"(ln volume) against {fmt(k_c)} per day in control"
        )
        if arm in phased:
            text = (
                "One exponential rate over the whole follow-up averages the two phases: "
                + text[0].lower()
                + text[1:]
            )
        if _isnum(diff):
            p, method = _get(row, "p_value"), _get(row, "p_value_method") or "mixed model"
            p_small = _get(row, "p_value_small_sample")
            tests = f"{fmt_p(p)}, {method}"
            if _isnum(p_small):
                tests += f"; {fmt_p(p_small)}, {_get(row, 'p_value_small_sample_method')}"
                p = p_small  # the verdict follows the small-sample test when there is one
            p_holm, n_contrasts = _holm_p(contrasts, arm, study.control)
            if n_contrasts > 1 and _isnum(p_holm):
                tests += f"; Holm-adjusted over {n_contrasts} contrasts: {fmt_p(p_holm)}"
                p = p_holm  # more than one comparison: the verdict follows the adjusted p
            verdict = (
                "a statistically significant difference"
                if _isnum(p) and float(p) < alpha
                else "not a statistically significant difference"
            )
            text += (
                f": difference {fmt(diff)} per day ({fmt_ci(_get(row, 'rate_diff_ci_low'), _get(row, 'rate_diff_ci_high'))}; "
                f"{tests}), {verdict}"
            )
        out.append(text + ".")
    return out


def _join(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _not_reached(arms: list[str], n_arms: int, what: str) -> str:
    """The grouped sentence for medians that were not reached ("... in 4 of 6 arms: ...")."""
    which = (
        _join(arms)
        if len(arms) <= 2
        else f"any of the {n_arms} arms"
        if len(arms) == n_arms
        else f"{len(arms)} of {n_arms} arms ({', '.join(arms)})"
    )
    return f"{what} was not reached in {which}"


def _same_medians(delay: Mapping[str, Any], survival: Mapping[str, Any]) -> bool:
    """Whether the survival table already states this growth-delay row's medians (a survival
    endpoint defined by the same volume), so the delay sentence need not repeat them."""
    return bool(
        _isnum(_get(survival, "median_days"))
        and float(survival["median_days"]) == float(delay["median_time_days"])
    )


def growth_delay_sentences(
    study: Study, delay: pd.DataFrame, survival: pd.DataFrame | None = None
) -> list[str]:
    """One sentence for the growth delays of all treated arms (T − C of the median times to the
    threshold volume, with the gross log cell kill) and the arms whose median was not reached.
    Medians the survival sentence states (same volume endpoint) are not repeated."""
    rows = {r["arm"]: r for r in records(delay)}
    control = rows.get(study.control)
    if control is None or not _isnum(control.get("median_time_days")):
        return []
    km = _first_rows(survival, ["arm"]) if survival is not None and len(survival) else {}
    treated = [rows[a] for a in study.treated_arms if a in rows]
    delays = [r for r in treated if _isnum(r.get("growth_delay_days"))]
    repeat = not all(_same_medians(r, km.get(r["arm"], {})) for r in [control, *delays])
    items = []
    for r in delays:
        extra = [f"median {fmt_day(r['median_time_days'])} days"] if repeat else []
        if _isnum(r.get("log_cell_kill_gross")):
            extra.append(f"gross log cell kill {fmt(r['log_cell_kill_gross'])}")
        detail = f" ({'; '.join(extra)})" if extra else ""
        items.append(f"{fmt_day(r['growth_delay_days'])} days in {r['arm']}{detail}")
    control_median = f"{fmt_day(control['median_time_days'])} days"
    out = []
    threshold = str((treated[0] if treated else control)["threshold"]).replace(" x ", "× ")
    if items:
        against = f", against a control median of {control_median}," if repeat else ""
        out.append(
            f"Growth delay to {threshold}, the treated minus the control median time to reach "
            f"it{against or ','} was {_join(items)}."
        )
    missing = [r["arm"] for r in treated if not _isnum(r.get("median_time_days"))]
    if missing and repeat:  # else the survival sentence says which medians were not reached
        out.append(
            _not_reached(missing, len(rows), f"The median time to {threshold}")
            + (f" (control median {control_median})." if not items else ".")
        )
    return out


def response_sentences(summary_table: pd.DataFrame) -> list[str]:
    """mRECIST counts: one sentence per arm with an objective response (CR or PR), with the
    response rate and its exact interval; the arms without one grouped in one sentence."""
    out, none = [], []
    rows = records(summary_table)
    for r in rows:
        counts = f"{r['n_sd']} SD, {r['n_pd']} PD of {r['n_mice']} mice"
        if not r["n_cr"] and not r["n_pr"]:
            none.append(f"{r['arm']} ({counts})")
            continue
        out.append(
            f"mRECIST in {r['arm']}: {r['n_cr']} CR, {r['n_pr']} PR, {counts}; response rate "
            f"{fmt(r['response_rate_pct'])}% "
            f"({fmt_ci(r['response_rate_ci_low'], r['response_rate_ci_high'], 2, '%')})."
        )
    if none:
        which = (
            ""
            if len(none) == 1
            else f"any of the {len(rows)} arms: "
            if len(none) == len(rows)
            else f"{len(none)} of {len(rows)} arms: "
        )
        out.insert(0, f"No objective response (CR or PR) by mRECIST in {which}{_join(none)}.")
    return out


def endpoint_test_sentences(tests: pd.DataFrame, tumour_free: pd.DataFrame | None) -> list[str]:
    """One sentence on the end-of-study tests (ANOVA with Dunnett's comparisons, Kruskal–Wallis)
    and one on the tumour-free mice when an arm has any."""
    out = []
    # an overall test's arm is empty (missing when read back from disk)
    rows = {(r["test"], r["arm"] if isinstance(r["arm"], str) else ""): r for r in records(tests)}
    anova = rows.get(("anova", ""))
    if anova is not None and _isnum(anova.get("p_value")):
        dunnett = [
            f"{r['arm']} {fmt_p(r['p_adjusted'])}"
            for (test, _), r in rows.items()
            if test == "dunnett" and _isnum(r.get("p_adjusted"))
        ]
        text = (
            f"At day {fmt_day(anova['reference_day'])}, one-way ANOVA on log volume gave "
            f"{fmt_p(anova['p_value'])}"
        )
        if dunnett:
            text += "; Dunnett's test against the control: " + ", ".join(dunnett)
        kw = rows.get(("kruskal_wallis", ""))
        if kw is not None and _isnum(kw.get("p_value")):
            text += f" (Kruskal–Wallis {fmt_p(kw['p_value'])})"
        out.append(text + ".")
    if tumour_free is not None:
        free = [r for r in records(tumour_free) if r["n_tumour_free"]]
        if free:
            out.append(
                "Tumour-free at the end of the study: "
                + ", ".join(
                    f"{r['n_tumour_free']} of {r['n_mice']} mice in {r['arm']}" for r in free
                )
                + "."
            )
    return out


def median_survival_sentence(study: Study, survival: pd.DataFrame) -> str:
    """All arms' Kaplan–Meier medians in one sentence, the arms not reached grouped."""
    rows = _first_rows(survival, ["arm"])
    arms = [a for a in study.arm_names if a in rows] + [a for a in rows if a not in study.arm_names]
    reached = [a for a in arms if _isnum(_get(rows[a], "median_days"))]
    missing = [a for a in arms if a not in reached]
    parts = [f"{fmt_day(rows[a]['median_days'])} days in {a}" for a in reached]
    if not parts:
        return _not_reached(missing, len(arms), "Median survival") + "."
    text = f"Median survival was {_join(parts)}"
    if missing:
        text += "; " + _not_reached(missing, len(arms), "it")
    return text + "."


def _survival_comparison(row: Mapping[str, Any], n_tests: int, alpha: float) -> str:
    """One pair of arms: median ratio, log-rank p (Holm-adjusted when several), hazard ratio."""
    text = f"{row['arm']} vs {row['reference']}: "
    ratio = _get(row, "median_ratio")
    bits = []
    if _isnum(ratio):
        pct = (float(ratio) - 1) * 100
        bits.append(
            f"median survival ratio {fmt(ratio)} ({fmt_ci(_get(row, 'median_ratio_ci_low'), _get(row, 'median_ratio_ci_high'))}; "
            f"{fmt(abs(pct), 2)}% {'longer' if pct >= 0 else 'shorter'})"
        )
    p = _get(row, "logrank_p")
    logrank = f"log-rank {fmt_p(p)}"
    if n_tests > 1 and _isnum(_get(row, "p_holm")):
        p = _get(row, "p_holm")  # the verdict follows the multiplicity-adjusted p
        logrank += f" (Holm-adjusted over {n_tests} comparisons: {fmt_p(p)})"
    verdict = (
        "statistically significant"
        if _isnum(p) and float(p) < alpha
        else "not statistically significant"
    )
    bits.append(f"{logrank}, {verdict}")
    hr, flag = _get(row, "hr"), _get(row, "hr_flag")
    if flag:
        bits.append(f"Cox hazard ratio not estimable ({flag})")
    elif _isnum(hr):
        bits.append(
            f"hazard ratio {fmt(hr)} ({fmt_ci(_get(row, 'hr_ci_low'), _get(row, 'hr_ci_high'))})"
        )
    return text + "; ".join(bits) + "."


def survival_sentences(study: Study, survival: pd.DataFrame, tests: pd.DataFrame) -> list[str]:
    """The medians (one sentence), then one sentence per compared pair of arms, then the pairs
    that could not be compared, grouped by reason."""
    if survival.empty or tests.empty:
        return []
    alpha = study.settings["alpha"]
    out = [median_survival_sentence(study, survival)]
    skipped: dict[str, int] = {}  # reason -> pairs (a panel model has hundreds)
    n_tests = sum(_isnum(r.get("logrank_p")) for r in records(tests))
    for row in records(tests):
        note = row.get("note")
        if isinstance(note, str) and note.startswith("skipped: "):
            reason = note.removeprefix("skipped: ")
            skipped[reason] = skipped.get(reason, 0) + 1
        elif isinstance(note, str) and note and not _isnum(row.get("logrank_p")):
            out.append(f"Survival: {note}.")  # e.g. no control arm in the data
        else:
            out.append(_survival_comparison(row, n_tests, alpha))
    for reason, n in skipped.items():
        pairs = "1 pair of arms" if n == 1 else f"{n} pairs of arms"
        out.append(f"Survival was not compared for {pairs}: {reason}.")
    return out


#: endpoint -> its name in the design sentence
DESIGN_ENDPOINTS = {
    "log_volume": "the log-volume endpoint",
    "growth_rate": "the growth-rate endpoint",
    "survival": "the time-to-endpoint (log-rank) endpoint",
}


def _n_text(row: Mapping[str, Any]) -> str:
    if _isnum(row["n_needed"]):
        return f"{int(row['n_needed'])} mice per arm"
    if row["method"] == METHOD_GROWTH_ENDPOINT:  # simulated on the design's grid of n only
        return "more mice per arm than the design evaluated"
    return "more than 10000 mice per arm"


def headline_day(follow_up_days: Iterable[float], reference_day: float) -> float:
    """The follow-up day a design is summarised at: the pilot's reference day when the design
    has it, else its first follow-up day."""
    days = sorted(float(d) for d in follow_up_days)
    return reference_day if reference_day in days else days[0]


#: synergy rows of SynergyLMM's test (``xenoflow.synergy.P_Z``) and their reference models
SYNERGY_Z = "Wald z"
SYNERGY_METHODS = {"bliss": "Bliss", "hsa": "HSA", "ra": "response additivity"}


def _synergy_verdict(row: Mapping[str, Any], alpha: float) -> str:
    p, score = _get(row, "p_value"), _get(row, "score")
    if p is None or score is None:
        return "not estimable"
    if p < alpha:
        return "synergistic" if score > 0 else "antagonistic"
    return "not significantly different from additive"


def _score_text(row: Mapping[str, Any], alpha: float, index: float | None = None) -> str:
    """'synergy score was 1.55 (95% CI …; p = 0.12), not significantly different from
    additive (combination index 0.211; post-hoc power 34%)'."""
    extra = [] if index is None else [f"combination index {fmt(index)}"]
    power = _get(row, "power")
    if power is not None:
        extra.append(f"post-hoc power {100 * power:.0f}%")
    return (
        f"synergy score was {fmt(row['score'])} ({fmt_ci(row['ci_low'], row['ci_high'])}; "
        f"{fmt_p(row['p_value'])}), {_synergy_verdict(row, alpha)}"
        + (f" ({'; '.join(extra)})" if extra else "")
    )


def _first_of(rows: pd.DataFrame, method: str) -> dict[str, Any] | None:
    """The first row of ``method`` (the table's order puts each basis's headline first)."""
    found = records(rows[rows["method"] == method])
    return found[0] if found else None


def invivosyn_sentence(rows: pd.DataFrame) -> str:
    """invivoSyn's TGI excess over the Bliss and HSA expectations and CombPDX's global
    combination index, for comparison with the mixed model (empty without those rows)."""
    tgi = rows[rows["basis"] == "tgi"]
    glob = rows[(rows["basis"] == "combpdx") & rows["statistic"].str.startswith("global")]
    labels = (("Bliss", "bliss"), ("HSA", "hsa"))
    excess, index = [], []
    for label, method in labels:
        t, g = _first_of(tgi, method), _first_of(glob, method)
        if t is not None:
            ci = fmt_ci(t["ci_low"], t["ci_high"])
            excess.append(
                f"the {label} expectation by {fmt(t['score'])} points ({ci}; bootstrap "
                f"{fmt_p(t['p_value'])})"
            )
        if g is not None:
            ci = fmt_ci(g["ci_low"], g["ci_high"])
            index.append(f"{fmt(g['score'])} for {label} ({ci}; {fmt_p(g['p_value'])})")
    parts = []
    if excess:
        day = fmt_day(tgi["day"].iloc[0])
        parts.append(f"the combination's %TGI on day {day} exceeded {_join(excess)} (invivoSyn)")
    if index:
        parts.append(f"CombPDX's global log combination index (> 0: synergy) was {_join(index)}")
    return "For comparison, " + "; ".join(parts) + "." if parts else ""


def _model_time(arm: Mapping[str, Any]) -> float:
    """The model time of the last day fitted (days since time_start, or its square root)."""
    elapsed = float(arm["time_end"]) - float(arm["time_start"])
    return math.sqrt(elapsed) if arm["time_transform"] == "sqrt" else elapsed


def synergy_sentences(study: Study, model: pd.DataFrame, synergy: pd.DataFrame) -> list[str]:
    """One paragraph per combination from ``synergy_model.tsv`` and the whole-study rows
    (last day) of ``synergy.tsv``: the combination's growth rate against the rate expected
    under Bliss independence, and the Bliss, HSA and RA synergy scores with p (z test)."""
    alpha = float(study.settings["alpha"])
    out = []
    for combo, arms in model.groupby("combination", sort=False):
        rate = {str(r["role"]): r for r in records(arms)}
        rows = synergy[(synergy["combination"] == combo) & (synergy["basis"] == "lmm")]
        last = rows[rows["day"] == rows["day"].max()]
        by_method = {
            str(r["method"]): r
            for r in records(last)
            if r["method"] == "ra" or str(r["p_method"]).startswith(SYNERGY_Z)
        }
        agents = [rate[k] for k in ("drug_a", "drug_b", "drug_c") if k in rate]
        expected = sum(float(a["growth_rate"]) for a in agents) - (len(agents) - 1) * float(
            rate["control"]["growth_rate"]
        )
        best = min(agents, key=lambda a: float(a["growth_rate"]))
        unit = "per √day" if rate["control"]["time_transform"] == "sqrt" else "per day"
        text = (
            f"The {combo} combination grew at {fmt(rate['combination']['growth_rate'])} {unit} "
            f"(ln relative volume, mixed model to day {fmt_day(last['day'].iloc[0])}) against "
            f"{fmt(expected)} expected under Bliss independence"
        )
        # SynergyLMM's combination index exp(est·t) at the last day (< 1: synergy)
        combo_rate, t_end = float(rate["combination"]["growth_rate"]), _model_time(rate["control"])
        bliss_ci = math.exp((combo_rate - expected) * t_end)
        hsa_ci = math.exp((combo_rate - float(best["growth_rate"])) * t_end)
        sentences = []
        if "bliss" in by_method:
            sentences.append(
                f"{text}: the Bliss {_score_text(by_method['bliss'], alpha, bliss_ci)}."
            )
        if "hsa" in by_method:
            sentences.append(
                f"Against the highest single agent, {best['arm']} ({fmt(best['growth_rate'])} "
                f"{unit}), the HSA {_score_text(by_method['hsa'], alpha, hsa_ci)}."
            )
        if "ra" in by_method:
            sentences.append(
                f"Under response additivity the {_score_text(by_method['ra'], alpha)}."
            )
        sims = study.synergy.power_simulations
        if sims:
            sentences.append(f"Post-hoc power is from {sims} simulations of the fitted model.")
        others = synergy[(synergy["combination"] == combo) & (synergy["basis"] != "lmm")]
        sentences.append(invivosyn_sentence(others))
        out += [t for t in sentences if t]
    fitted = set(model["combination"])
    for c in study.combinations:
        if c.arm not in fitted:
            out.append(
                f"The {c.arm} combination could not be fitted: an arm of its design has no "
                "mouse left after the synergy preprocessing (exclusions_synergy.tsv says why)."
            )
    return out


SYNERGY_ENDPOINTS = {"synergy_bliss": "Bliss", "synergy_hsa": "HSA"}


def synergy_design_sentences(rows: pd.DataFrame, day: float) -> list[str]:
    """Mice per arm a next combination study needs to detect this study's Bliss and HSA
    synergy contrasts on the headline ``day`` (``sample_size.tsv``, synergy endpoints)."""
    at = rows[rows["follow_up_days"] == day]
    out = []
    for method, part in at.groupby("method", sort=False):
        combo = str(method).rsplit(": ", 1)[-1]
        parts = [
            f"{_n_text(r)} for {SYNERGY_ENDPOINTS[str(r['endpoint'])]} "
            f"(contrast {fmt(r['effect'])} per day)"
            for r in records(part)
        ]
        out.append(
            f"To detect this study's {combo} synergy contrasts on day {fmt_day(day)} with the same "
            f"power, a combination study needs {' and '.join(parts)} (four arms; noncentral F "
            "on exemplary data, as SynergyLMM PwrSampleSize)."
        )
    return out


def design_sentences(
    study: Study, sample_size: pd.DataFrame, reference_day: float | None = None
) -> list[str]:
    """The design sentence: mice per arm for the log-volume, growth-rate and survival endpoints
    at the design's middle-most effect (50 % when listed) on the :func:`headline_day`, from
    ``sample_size.tsv`` (``n_needed``)."""
    rows = sample_size[sample_size["method"].fillna("") != ""]  # not the note-only rows
    synergy = rows[rows["endpoint"].isin(SYNERGY_ENDPOINTS)]
    rows = rows[~rows["endpoint"].isin(SYNERGY_ENDPOINTS)]
    # survival: times to the endpoint simulated from the growth model when the pilot has
    # them (no exponential-time assumption), else Schoenfeld's formula
    method = rows["method"].fillna("")
    from_growth = method == METHOD_GROWTH_ENDPOINT
    formula = "Freedman|Schoenfeld" if from_growth.any() else "Freedman"
    rows = rows[~method.str.contains(formula)]
    if rows.empty:
        return ["No design could be computed from this study (see sample_size.tsv)."]
    tgis = sorted(rows["tgi_pct"].unique())
    tgi = 50.0 if 50.0 in tgis else min(tgis, key=lambda t: abs(t - 50.0))
    ref = float("nan") if reference_day is None else float(reference_day)
    day = headline_day(rows["follow_up_days"].unique(), ref)
    at = rows[(rows["tgi_pct"] == tgi) & (rows["follow_up_days"] == day)]
    first = at.iloc[0]
    parts = [
        (_n_text(r), DESIGN_ENDPOINTS[r["endpoint"]])
        for _, r in at.iterrows()
        if r["endpoint"] in DESIGN_ENDPOINTS
    ]
    listed = [f"{n} for {e}" for n, e in parts]
    text = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]
    sentence = (
        f"To detect {_a(f'{tgi:g}')}% growth inhibition on day {day:g} with "
        f"{100 * float(first['target_power']):g}% power (two-sided alpha = "
        f"{float(first['alpha']):g}), a two-arm study needs {text}, given this study's "
        "variability (power.tsv, sample_size.tsv)."
    )
    out = [sentence, *synergy_design_sentences(synergy, day)]
    missing = sample_size[
        (sample_size["method"].fillna("") == "") & sample_size["tgi_pct"].isna()
    ]  # the note-only rows about a whole endpoint
    if not study.combinations:  # synergy power does not apply: nothing to say about it
        missing = missing[missing["endpoint"] != "synergy"]
    if len(missing):
        why = [f"{r['endpoint']} ({r['note']})" for _, r in missing.iterrows()]
        out.append(f"Not computed: {'; '.join(why)}.")  # one sentence for what is missing
    return out


def _unit(unit: object) -> str:
    return display_unit(str(unit or ""))


def _count(n: object, thing: str) -> str:
    k = int(float(n))  # type: ignore[arg-type]
    words = {0: "no", 1: "one", 2: "two", 3: "three"}
    return f"{words.get(k, str(k))} {thing}{'' if k == 1 else 's'}"


def _model_day(curves: pd.DataFrame, efficacy: pd.DataFrame | None) -> float:
    """The day the what-if sentences speak of: the efficacy reference day when the model's
    curves have it, else the last observed day."""
    ref = _reference_rows(efficacy) if efficacy is not None and len(efficacy) else None
    if ref is not None and len(ref) and (curves["day"] == float(ref["day"].iloc[0])).any():
        return float(ref["day"].iloc[0])
    return float(curves.loc[curves["n_observed"] > 0, "day"].max())


def regimen_model_sentences(tables: Tables) -> list[str]:
    """The dose-driven growth model (``regimen_model``): growth rate and each agent's log-kill
    per unit dose, and each ``what_if`` regimen's predicted geometric-mean volume on the
    reference day (:func:`_model_day`) against the fitted arms of its agent (``what_if``)."""
    params = records(tables.get("regimen_model", pd.DataFrame()))
    if not params:
        return []
    g = next(p for p in params if p["parameter"] == "growth_rate")
    kills = [
        f"a log-kill of {fmt(p['estimate'])} ln mm³ per {_unit(p['dose_unit'])} of "
        f"{p['agent']} ({fmt_ci(p['ci_low'], p['ci_high'])}; exposure half-life "
        f"{fmt(p['effective_half_life_days'])} d)"
        for p in params
        if p["parameter"] == "log_kill_per_unit_dose"
    ]
    out = [
        f"A growth model driven by the schedule (exponential growth minus a log-kill "
        f"proportional to the decaying dose, {int(g['n_mice'])} mice of "
        f"{str(g['arms']).replace(';', ', ')}) estimates a growth rate of "
        f"{fmt(g['estimate'])} per day ({fmt_ci(g['ci_low'], g['ci_high'])}) and "
        + " and ".join(kills)
        + "."
    ]
    curves = tables.get("what_if", pd.DataFrame())
    if curves.empty or not (curves["kind"] == "what_if").any():
        return out
    last = _model_day(curves, tables.get("efficacy"))
    at = records(curves[curves["day"] == last])
    fitted = {r["name"]: r for r in at if r["kind"] == "observed"}
    for w in (r for r in at if r["kind"] == "what_if"):
        same = [
            f"{fmt(math.exp(r['pred_mean_log_volume']))} mm³ fitted for {name}"
            for name, r in fitted.items()
            if r.get("agent") == w["agent"]
        ]
        out.append(
            f"Predicted for {w['name']} ({w['schedule']}; not given): geometric-mean volume "
            f"{fmt(math.exp(w['pred_mean_log_volume']))} mm³ on day {last:g} "
            f"({fmt_ci(math.exp(w['ci_low']), math.exp(w['ci_high']))} mm³)"
            + (", vs " + ", ".join(same) if same else "")
            + " (a model prediction for a regimen that was not given, not an observation)."
        )
    return out


def _dose_text(arm: str, r: Mapping[str, Any]) -> str:
    """'CLR 131 x2: two doses of CLR 131 (total 204.7 µCi; cumulated activity 2,368 µCi·d) on
    days 0, 7' — doses as the study file gives them, cumulated activity to 4 digits."""
    n = int(r["n_doses"])
    dose = f"{_count(n, 'dose')} of {_get(r, 'agent') or 'the treatment'}"
    if _isnum(_get(r, "cumulative_dose")):
        unit = _unit(r["dose_unit"])
        extra = f"total {float(r['cumulative_dose']):,g} {unit}"
        if _isnum(_get(r, "cumulated_activity")):
            extra += f"; cumulated activity {fmt(r['cumulated_activity'], 4)} {unit}·d"
        dose += f" ({extra})"
    days = str(r["dose_days"]).replace(";", ", ")
    return f"{arm}: {dose} on day{'s' if n > 1 else ''} {days}"


def _efficacy_brief(g: Mapping[str, Any] | None, e: Mapping[str, Any] | None) -> list[str]:
    """The arm's efficacy next to its tolerability, without the intervals and p-values the
    findings already give (each estimate is stated with its interval once)."""
    out = []
    if g is not None and _isnum(_get(g, "rate_diff_vs_control")):
        diff = float(g["rate_diff_vs_control"])
        word = "slowed growth" if diff < 0 else "grew faster"
        out.append(f"{word} by {fmt(abs(diff))} per day (ln volume) vs control")
    if e is not None and _isnum(_get(e, "tc_pct")):
        out.append(f"%T/C {fmt(e['tc_pct'])}% on day {fmt_day(e['day'])}")
    return out


def _tolerability_brief(t: Mapping[str, Any] | None) -> list[str]:
    """Body-weight nadir, mice with ≥ 20% loss and toxic deaths of one arm."""
    if t is None:
        return []
    out = []
    if _isnum(_get(t, "group_mean_nadir_pct")):
        n20 = _get(t, "n_loss_ge_20pct") or 0
        lost = (
            "no mouse lost ≥ 20%"
            if not n20
            else f"{int(n20)} of {int(t['n_weighed'])} mice lost ≥ 20%"
        )
        out.append(
            f"mean body-weight nadir {float(t['group_mean_nadir_pct']):+.1f}% on day "
            f"{fmt_day(t['group_mean_nadir_day'])}, {lost}"
        )
    if _isnum(_get(t, "toxic_deaths")):
        deaths = _count(t["toxic_deaths"], "toxic death")
        if t["toxic_deaths"]:
            deaths += f" (cumulative incidence {100 * float(t['toxic_death_incidence']):.0f}%)"
        out.append(deaths)
    return out


def regimen_sentences(study: Study, tables: Tables) -> list[str]:
    """One sentence per dosed or weighed treated arm (dose, efficacy against control,
    tolerability) and one per pair of regimens of one agent (``regimen_comparison``)."""
    regimen = _first_rows(tables.get("regimen", pd.DataFrame(columns=["arm"])), ["arm"])
    tol = _first_rows(tables.get("tolerability", pd.DataFrame(columns=["arm"])), ["arm"])
    growth = _first_rows(tables.get("growth_model", pd.DataFrame(columns=["arm"])), ["arm"])
    eff = tables.get("efficacy")
    ref = _first_rows(_reference_rows(eff), ["arm"]) if eff is not None and len(eff) else {}
    out = []
    for arm in study.treated_arms:
        r, t = regimen.get(arm), tol.get(arm)
        tolerability = _tolerability_brief(t)
        if r is None and not tolerability:
            continue  # neither a schedule nor weights: nothing to weigh efficacy against
        parts = [_dose_text(arm, r) if r is not None else f"{arm}:"]
        parts += _efficacy_brief(growth.get(arm), ref.get(arm)) + tolerability
        text = parts[0] + (" " if r is None else "; ") + "; ".join(parts[1:])
        if t is not None and _get(t, "verdict"):
            text += f"; {t['verdict']}"
        out.append(text + ".")
    for c in records(tables.get("regimen_comparison", pd.DataFrame())):
        text = (
            f"{c['arm']} vs {c['reference']} (both {c['agent']}; total "
            f"{float(c['cumulative_dose_arm']):,g} vs {float(c['cumulative_dose_reference']):,g} "
            f"{_unit(c['dose_unit'])})"
        )
        bits = []
        if _isnum(c.get("rate_diff")):
            bits.append(
                f"growth-rate difference {fmt(c['rate_diff'])} per day "
                f"({fmt_ci(c.get('rate_diff_ci_low'), c.get('rate_diff_ci_high'))}; "
                f"{fmt_p(c.get('rate_diff_p'))})"
            )
        if _isnum(c.get("median_ratio")):
            # its interval and test are in the survival findings (every pair of arms)
            bits.append(f"median survival ratio {fmt(c['median_ratio'])}")
        if _isnum(c.get("group_mean_nadir_pct_arm")):
            bits.append(
                f"body-weight nadir {float(c['group_mean_nadir_pct_arm']):+.1f}% vs "
                f"{float(c['group_mean_nadir_pct_reference']):+.1f}%"
            )
        if _isnum(c.get("toxic_deaths_arm")):
            bits.append(
                f"toxic deaths {int(c['toxic_deaths_arm'])} vs {int(c['toxic_deaths_reference'])}"
            )
        out.append(text + (": " + "; ".join(bits) if bits else "") + ".")
    for d in records(tables.get("dose_response", pd.DataFrame())):
        if not d.get("selected"):
            continue
        text = (
            f"Dose–response of {d['agent']} ({int(d['n_dose_levels'])} dose levels, "
            f"{int(d['n_mice'])} mice; growth rate against cumulative dose): {d['model']} model "
            "selected by AIC"
        )
        if d["model"] == "emax" and _isnum(d.get("ed50")):
            text += (
                f", ED50 {fmt(d['ed50'])} {_unit(d['dose_unit'])} "
                f"({fmt_ci(d.get('ed50_ci_low'), d.get('ed50_ci_high'))})"
            )
        out.append(text + ".")
    out += regimen_model_sentences(tables)
    if any("radiopharmaceutical" in str(_get(r, "note") or "") for r in regimen.values()):
        out.append(
            "Doses per kg and m² and human-equivalent doses (body-surface area, FDA 2005) are "
            "in regimen.tsv; for a radiopharmaceutical they are no substitute for absorbed "
            "dose (cumulated activity × S, MIRD)."
        )
    return out


def cause_sentence(per_mouse: pd.DataFrame | None) -> str:
    """How recorded causes of death enter the tumour endpoints (empty without causes)."""
    if per_mouse is None or "cause" not in per_mouse or per_mouse.empty:
        return ""
    causes = per_mouse["cause"].fillna("")
    toxic, other = int((causes == "toxicity").sum()), int((causes == "other").sum())
    return (
        "Survival: only tumour-related deaths are events of the tumour endpoints; "
        f"{_count(toxic, 'toxic death')} and {_count(other, 'death')} of other causes were "
        "censored at their time there and are counted in the tolerability table."
    )


def notes_section(exclusions: Iterable[pd.DataFrame], growth: pd.DataFrame | None) -> Section:
    s = Section("Exclusions and model notes")
    for table in exclusions:
        for r in records(table):
            day = f" day {r['day']:g}" if _isnum(r.get("day")) else ""
            s.bullets.append(
                f"[{r['stage']}] {r['arm']} / mouse {r['mouse_id']}{day}: {r['reason']}"
            )
    if growth is not None and "model" in growth:
        for model in dict.fromkeys(growth["model"].dropna()):
            s.bullets.append(f"Growth comparison model: {model}")
    if not s.bullets:
        s.paragraphs.append("No measurement or mouse was excluded.")
    return s


def study_summary(study: Study, tables: Tables) -> tuple[str, list[Section]]:
    """Title and sections of a study's summary; ``tables`` maps table names (file stems such as
    'measurements', 'efficacy', 'growth_model', 'survival', 'survival_tests', 'exclusions*') to
    frames."""
    findings = Section("Findings")
    reference = choose_reference_day(tables["measurements"], study.reference_day)
    if reference.note:  # also in warnings.tsv
        findings.paragraphs.append(reference.note[0].upper() + reference.note[1:] + ".")
    # arms that regress then regrow are led by their two phases
    two_phase = two_phase_rows(tables.get("growth_piecewise"))
    findings.paragraphs += two_phase_sentences(study, tables.get("growth_piecewise"))
    if "efficacy" in tables:
        findings.paragraphs += fold_change_sentences(study, tables["efficacy"])
    if "growth_model" in tables:
        findings.paragraphs += growth_sentences(
            study, tables["growth_model"], tables.get("growth_contrasts"), two_phase
        )
    if "growth_delay" in tables:
        findings.paragraphs += growth_delay_sentences(
            study, tables["growth_delay"], tables.get("survival")
        )
    if "survival" in tables and "survival_tests" in tables:
        findings.paragraphs += survival_sentences(
            study, tables["survival"], tables["survival_tests"]
        )
    if "response_summary" in tables:
        findings.paragraphs += response_sentences(tables["response_summary"])
    cause = cause_sentence(tables.get("survival_per_mouse"))
    if cause:
        findings.paragraphs.append(cause)
    if "endpoint_tests" in tables:
        findings.paragraphs += endpoint_test_sentences(
            tables["endpoint_tests"], tables.get("tumour_free")
        )
    if not findings.paragraphs:
        findings.paragraphs.append("No comparison with the control arm could be computed.")
    exclusions = [t for name, t in sorted(tables.items()) if name.startswith("exclusions")]
    sections = [
        design_section(study, tables["measurements"]),
        findings,
        notes_section(exclusions, tables.get("growth_model")),
    ]
    regimens = regimen_sentences(study, tables)
    if regimens:
        sections.insert(2, Section("Regimens and tolerability", regimens))
    if "synergy" in tables and "synergy_model" in tables:
        sections.insert(
            2,
            Section(
                "Combination synergy",
                synergy_sentences(study, tables["synergy_model"], tables["synergy"]),
            ),
        )
    if "sample_size" in tables:
        power = Section("Design of a next study (this study as the pilot)")
        eff = tables["efficacy"]
        ref = eff.loc[eff["is_reference_day"].astype(bool), "day"]
        power.paragraphs += design_sentences(
            study, tables["sample_size"], float(ref.iloc[0]) if len(ref) else None
        )
        sections.insert(2, power)
    title = f"{study.title} ({study.study_id})"
    if study.synthetic and "synthetic" not in title.lower():
        title += " — SYNTHETIC DATA"
    return title, sections


def arm_day_summary(tables: Tables) -> pd.DataFrame:
    """Per arm and day: n_mice, mean_volume_mm3, sem_volume_mm3, as computed by the efficacy
    step (``efficacy`` table)."""
    return tables["efficacy"][["arm", "day", "n_mice", "mean_volume_mm3", "sem_volume_mm3"]]


# --------------------------------------------------------------------------------------------
# Cross-study table

CROSS_STUDY_COLUMNS = registry.columns("summary")


def cross_study_rows(study: Study, tables: Tables) -> pd.DataFrame:
    """One row per treated arm of a study with its headline numbers."""
    rows = []
    # first row per arm (per arm and reference for the tests), as plain dicts: a panel calls
    # this for every model, and row lookups in small frames dominated its cost
    eff = _first_rows(_reference_rows(tables["efficacy"]), ["arm"]) if "efficacy" in tables else {}
    growth = _first_rows(tables["growth_model"], ["arm"]) if "growth_model" in tables else {}
    phased = two_phase_rows(tables.get("growth_piecewise"))
    tests = tables.get("survival_tests")
    pairs = (
        _first_rows(tests[tests["reference"] == study.control], ["arm", "reference"])
        if tests is not None and "reference" in tests
        else {}
    )
    synergy = _synergy_columns(tables.get("synergy"))
    for arm in study.treated_arms:
        row: dict[str, object] = {
            "study_id": study.study_id,
            "model": study.model,
            "synthetic": study.synthetic,
            "arm": arm,
            "control": study.control,
        }
        if arm in eff:
            e = eff[arm]
            row.update(
                reference_day=e["day"],
                mean_fold_change=_get(e, "mean_fold_change"),
                control_mean_fold_change=_get(eff.get(study.control), "mean_fold_change"),
            )
            for key in (
                "fold_change_reduction_pct",
                "fold_change_reduction_ci_low",
                "fold_change_reduction_ci_high",
                "tc_pct",
                "tgi_pct",
            ):
                row[key] = _get(e, key)
        if arm in growth:
            g = growth[arm]
            for key in ("rate_diff_vs_control", "rate_diff_ci_low", "rate_diff_ci_high"):
                row[key] = _get(g, key)
            row["rate_diff_p"] = _get(g, "p_value")
        row.update(synergy.get(arm, {}))
        row.update(forest_values(row, phased.get(arm)))
        t0 = pairs.get((arm, study.control))
        if t0 is not None:
            for key in (
                "median_ratio",
                "median_ratio_ci_low",
                "median_ratio_ci_high",
                "hr",
                "hr_ci_low",
                "hr_ci_high",
                "hr_flag",
                "logrank_p",
            ):
                row[key] = _get(t0, key)
        rows.append(row)
    return pd.DataFrame(rows, columns=CROSS_STUDY_COLUMNS)


FOREST_RATE = "growth-rate difference (exponential mixed model)"


def forest_values(row: Mapping[str, Any], phased: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the forest plot draws for an arm: its growth-rate difference vs control, or, for
    an arm that regresses then regrows, the piecewise model's mean rate difference from the
    baseline to the reference day (``curve_rate_diff``: one exponential rate averages away the
    regression and makes such an arm look weak)."""
    if phased is not None and _isnum(_get(phased, "curve_rate_diff")):
        return {
            "two_phase": True,
            "forest_metric": (
                "mean growth-rate difference, days "
                f"{float(phased['curve_from_day']):g}-{float(phased['curve_to_day']):g} "
                "(two-phase piecewise model)"
            ),
            "forest_estimate": phased["curve_rate_diff"],
            "forest_ci_low": _get(phased, "curve_rate_diff_ci_low"),
            "forest_ci_high": _get(phased, "curve_rate_diff_ci_high"),
        }
    out: dict[str, Any] = {"two_phase": False}
    if _isnum(row.get("rate_diff_vs_control")):
        out.update(
            forest_metric=FOREST_RATE,
            forest_estimate=row["rate_diff_vs_control"],
            forest_ci_low=row.get("rate_diff_ci_low"),
            forest_ci_high=row.get("rate_diff_ci_high"),
        )
    return out


def _synergy_columns(synergy: pd.DataFrame | None) -> dict[str, dict[str, Any]]:
    """Combination arm -> the whole-study (last day) Bliss and HSA synergy scores and z-test
    p-values of the mixed model (``synergy.tsv``, basis lmm)."""
    if synergy is None or synergy.empty:
        return {}
    rows = synergy[
        (synergy["basis"] == "lmm") & synergy["p_method"].astype(str).str.startswith(SYNERGY_Z)
    ]
    out: dict[str, dict[str, Any]] = {}
    for combo, part in rows.groupby("combination", sort=False):
        last = part[part["day"] == part["day"].max()]
        for r in records(last):
            if r["method"] in ("bliss", "hsa"):
                out.setdefault(str(combo), {})[f"synergy_{r['method']}_score"] = r["score"]
                out[str(combo)][f"synergy_{r['method']}_p"] = r["p_value"]
    return out


def _first_rows(df: pd.DataFrame, keys: list[str]) -> dict[Any, dict[str, Any]]:
    """The first row of each key (one column: its value; several: a tuple) as a dict."""
    if df.empty:
        return {}
    out: dict[Any, dict[str, Any]] = {}
    for record in records(df):
        key = record[keys[0]] if len(keys) == 1 else tuple(record[k] for k in keys)
        out.setdefault(key, record)
    return out


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``df.to_dict("records")`` (Python scalars), built from whole columns: pandas boxes
    every cell on its own, which made the summaries of panel models slow."""
    columns = [[None if x is pd.NA else x for x in items] for items in column_values(df)]
    return [dict(zip(df.columns, row)) for row in zip(*columns)]


# --------------------------------------------------------------------------------------------
# Exclusions and warnings across studies


def qc_counts(tables_by_study: Mapping[str, Tables]) -> pd.DataFrame:
    """Per study and stage: how many measurements or mice were excluded, how many notes were
    raised (``exclusions*`` and ``warnings`` tables)."""
    counts: dict[tuple[str, str], list[int]] = {}  # (study, stage) -> [excluded, notes]
    for study_id, tables in tables_by_study.items():
        for name in sorted(tables):  # only these tables are read (tables may be read on demand)
            if name.startswith("exclusions"):
                stage = name.removeprefix("exclusions").lstrip("_") or "ingest"
                counts.setdefault((study_id, stage), [0, 0])[0] += len(tables[name])
            elif name == "warnings":
                counts.setdefault((study_id, "ingest"), [0, 0])[1] += len(tables[name])
    return pd.DataFrame(
        [(sid, stage, n[0], n[1]) for (sid, stage), n in counts.items()],
        columns=registry.columns("exclusions_summary"),
    )


def tables_by_study(paths: Iterable[str | Path]) -> dict[str, dict[str, pd.DataFrame]]:
    """Group ``{results}/<study>/tables/<name>.tsv`` files by study: study -> name -> table."""
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for path in map(Path, paths):
        out.setdefault(path.parent.parent.name, {})[path.stem] = read_table(path)
    return out


def _concat(frames: Iterable[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()).reindex(
        columns=columns
    )


def cross_study_table(
    studies: Mapping[str, Study],
    tables: Mapping[str, Tables],
    panel_rows: Iterable[pd.DataFrame] = (),
) -> pd.DataFrame:
    """``results/summary.tsv``: the rows of every study, then those of every panel model."""
    rows = [cross_study_rows(study, tables.get(sid, {})) for sid, study in studies.items()]
    return _concat([*rows, *panel_rows], CROSS_STUDY_COLUMNS)


def qc_table(tables: Mapping[str, Tables], panel_qc: Iterable[pd.DataFrame] = ()) -> pd.DataFrame:
    """``results/exclusions_summary.tsv``: :func:`qc_counts` of the studies and panel models."""
    counts = qc_counts(tables) if tables else pd.DataFrame()
    return _concat([counts, *panel_qc], registry.columns("exclusions_summary"))


def qc_report(counts: pd.DataFrame, max_lines: int = 100) -> str:
    """Lines printed at the end of a run: per study, the stages that excluded something or
    raised notes."""
    lines = ["xenoflow: exclusions and notes per study (details in each study's tables/)"]
    clean = 0
    by_study: dict[Any, list[dict[str, Any]]] = {}  # studies in order of first row
    for r in records(counts[["study_id", "stage", "n_excluded", "n_notes"]]):
        by_study.setdefault(r["study_id"], []).append(r)
    for study_id, rows in by_study.items():
        parts = [
            f"{r['stage']}: {r['n_excluded']} excluded"
            + (f", {r['n_notes']} notes" if r["n_notes"] else "")
            for r in rows
            if r["n_excluded"] or r["n_notes"]
        ]
        if not parts and len(counts) > max_lines:
            clean += 1  # big batches (panels): only the studies with something to report
            continue
        lines.append(f"  {study_id}: " + ("; ".join(parts) or "nothing excluded, no notes"))
    if clean:
        lines.append(f"  {clean} more: nothing excluded, no notes")
    return "\n".join(lines)

"""Sentences on tumour growth: design, fold change and %T/C, growth rates (one or two phases), growth delay, response and end-of-study tests, notes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from ..config import Study
from .headline import exponential_findings
from .survival import not_reached, survival_endpoint
from .text import (
    NO_VARIATION,
    Section,
    Tables,
    article,
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
    worded,
)


def design_section(
    study: Study, measurements: pd.DataFrame, mark_synthetic: bool = True
) -> Section:
    s = Section("Design")
    if study.synthetic and mark_synthetic:
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


def reference_rows(efficacy: pd.DataFrame) -> pd.DataFrame:
    """The rows at the reference day: none when the study has none (arms measured on disjoint
    days, :func:`xenoflow.refday.choose_reference_day`)."""
    return efficacy[efficacy["is_reference_day"].astype(bool)]


def _reference_day_reason(study: Study, control: Mapping[str, Any]) -> str:
    """Why the findings are read on this day: ' (the reference day set in the study file)' or
    ' (the last day on which every arm still has at least 80% of its mice measured)'; empty
    for a fallback day, whose own sentence says why (:func:`xenoflow.refday.choose_reference_day`)."""
    if study.reference_day is not None:
        return ", the reference day set in the study file,"
    if "no day on which every arm" in str(value_of(control, "note") or ""):
        return ""
    return ", the last day on which every arm still has at least 80% of its mice measured,"


def fold_change_sentences(
    study: Study, efficacy: pd.DataFrame, tolerability: pd.DataFrame | None = None
) -> list[str]:
    """Fold change and %T/C (with NCI activity) of each treated arm on the reference day. An
    arm called toxic gets no NCI activity ("not scored: toxic dose"), and the numbers of an
    arm with toxic deaths say that they are the survivors'."""
    ref = first_rows(reference_rows(efficacy), ["arm"])
    deaths = _toxic_deaths(tolerability)
    if study.control not in ref:
        return []
    day = next(iter(ref.values()))["day"]
    control = ref[study.control]
    n_c = _n(control)
    out = [
        f"By day {day:g}{_reference_day_reason(study, control)} control tumours grew "
        f"{fmt(control['mean_fold_change'])}-fold (mean of per-mouse fold changes from "
        f"baseline{f', n = {n_c}' if n_c else ''})."
    ]
    little = _little_growth(control, day)
    if little:
        out.append(little)
    for arm in study.treated_arms:
        if arm not in ref:
            continue
        row = ref[arm]
        n_text = f" (n = {_n(row)} vs {n_c})" if n_c and _n(row) else ""
        low, high = (
            value_of(row, "fold_change_reduction_ci_low"),
            value_of(row, "fold_change_reduction_ci_high"),
        )
        red = value_of(row, "fold_change_reduction_pct")
        fc = float(row["mean_fold_change"])
        sentence = (
            f"The {arm} arm grew {fmt(fc)}-fold{n_text}"
            if fc >= 1
            else f"Tumours in the {arm} arm shrank to {fmt(fc)} of their baseline volume{n_text}"
        )
        if not isnum(red):
            out.append(sentence + ".")
            continue
        word, size, low, high = worded(float(red), low, high, "reduction", "increase")
        sentence += (
            f", {article(fmt(size, 2))}% {word} of the fold change relative to control "
            f"({ci_or_count(row, low, high)})"
        )
        if low is not None and high is not None and low <= 0 <= high:
            sentence += (
                "; the interval includes no difference, so it is not statistically significant"
            )
        out.append(sentence + ".")
        tc, ct = value_of(row, "tc_pct"), value_of(row, "ratio_c_t")
        if isnum(tc):
            ratio = f"mean control volume was {fmt(ct)} times the {arm} mean; " if isnum(ct) else ""
            scored = str(value_of(row, "nci_activity") or "")
            activity = (
                f"NCI activity {scored}"
                if scored.startswith("not scored")
                else nci_activity(float(tc))
            )
            out.append(
                f"On day {day:g}{n_text} the {ratio}%T/C was {fmt(tc, 3)}% "
                f"({ci_or_count(row, value_of(row, 'tc_ci_low'), value_of(row, 'tc_ci_high'))}; "
                f"{activity}){_tgi_text(row)}."
            )
        if deaths.get(arm):
            n = int(deaths[arm])
            dead = "one mouse" if n == 1 else f"{n} mice"
            alive = value_of(row, "n_mice")
            of = f"the {int(alive)} mice" if isnum(alive) else "the mice"
            out.append(
                f"The {arm} fold change and %T/C are of {of} alive on day {day:g}; {dead} of "
                "the arm died of toxicity before."
            )
    return out


def _n(row: Mapping[str, Any]) -> str:
    """The mice an arm's reference-day numbers rest on (``n_mice``: measured that day), as
    text."""
    n = value_of(row, "n_mice")
    return f"{int(n)}" if isnum(n) else ""


#: Control growth by the reference day below which ratios to the control are imprecise.
MIN_CONTROL_FOLD = 2.0


def _little_growth(control: Mapping[str, Any], day: float) -> str:
    """A caution when the control grew less than :data:`MIN_CONTROL_FOLD`-fold by the reference
    day: %T/C, %TGI and the fold-change reduction divide by a control change near 1 (TGI by
    one near 0), so their intervals explode."""
    fc = value_of(control, "mean_fold_change")
    if not isnum(fc) or float(fc) >= MIN_CONTROL_FOLD:
        return ""
    return (
        f"Caution: the control grew less than 2-fold by day {day:g} ({fmt(fc)}-fold), so the "
        "ratios to the control on that day (%T/C, %TGI, fold-change reduction) rest on little "
        "control growth and their intervals are wide."
    )


def reference_tumour_free(study: Study, tables: Tables) -> dict[str, tuple[int, int]]:
    """Every arm's (tumour-free, measured) mice on the reference day (``tumour_free_by_day``,
    at the visits); empty without a reference day or the table."""
    eff, free = tables.get("efficacy"), tables.get("tumour_free_by_day")
    if eff is None or free is None or not len(reference_rows(eff)):
        return {}
    day = float(reference_rows(eff)["day"].iloc[0])
    return {
        r["arm"]: (int(r["n_tumour_free"]), int(r["n_mice"]))
        for r in records(free[free["day"].astype(float) == day])
    }


def ci_or_count(row: Mapping[str, Any], low: Any, high: Any) -> str:
    """A percentage's 95% interval (:func:`fmt_ci`); an interval of width zero because every
    tumour of the arm is at 0 mm³ that day (mean volume 0) is the plain count instead: '8 of
    8 tumours at 0 mm³' (every bootstrap resample gives the same value: no interval)."""
    text = fmt_ci(low, high, unit="%")
    n, mean = value_of(row, "n_mice"), value_of(row, "mean_volume_mm3")
    if text == NO_VARIATION and isnum(n) and isnum(mean) and float(mean) == 0:
        return f"{int(n)} of {int(n)} tumours at 0 mm³"
    return text


def cured_arms(study: Study, tables: Tables) -> dict[str, tuple[int, int]]:
    """Treated arms with most of their mice measured on the reference day tumour-free
    (complete regressions; :func:`reference_tumour_free`): arm -> (tumour-free, measured) that
    day. A log-scale rate or ratio there rests on the detection limit, so the summary, the
    index, ``summary.tsv`` and the forest plot lead with the rank tests and the counts."""
    return {
        arm: (free, n)
        for arm, (free, n) in reference_tumour_free(study, tables).items()
        if arm in study.treated_arms and 2 * free > n
    }


#: The rank test of an arm against the control on the reference day (``endpoint_tests``).
DUNN_HOLM = "Dunn's test against the control on ranks of the reference-day volumes, Holm"


def rank_tests(tables: Tables) -> tuple[Any, dict[str, Any]]:
    """(Kruskal–Wallis p, arm -> Dunn's Holm-adjusted p against the control) of the
    reference-day volumes (``endpoint_tests``; None / absent where not computed). On ranks,
    the zero volumes of complete regressions are the smallest values, not a floor's logarithm."""
    tests = tables.get("endpoint_tests", pd.DataFrame())
    kw, dunn = None, {}
    for r in records(tests):
        if r["test"] == "kruskal_wallis" and isnum(r.get("p_value")):
            kw = r["p_value"]
        elif r["test"] == "dunn" and isinstance(r["arm"], str) and isnum(r.get("p_adjusted")):
            dunn[r["arm"]] = r["p_adjusted"]
    return kw, dunn


def cured_sentences(study: Study, tables: Tables) -> list[str]:
    """For each arm :func:`cured_arms` names: its tumour-free mice on the reference day and the
    rank tests (Kruskal–Wallis, Dunn's against the control, Holm), which the zeros do not
    distort."""
    cured = cured_arms(study, tables)
    if not cured:
        return []
    kw, dunn = rank_tests(tables)
    day = float(reference_rows(tables["efficacy"])["day"].iloc[0])
    out = []
    for arm, (free, n) in cured.items():
        text = (
            f"Most tumours in {arm} had disappeared by day {day:g}: {free} of {n} mice tumour-free"
        )
        ranks = [f"Kruskal–Wallis {fmt_p(kw)}"] if kw is not None else []
        if arm in dunn:
            ranks.append(f"Dunn's test against the control {fmt_p(dunn[arm])} (Holm)")
        if ranks:
            text += "; on ranks of the volumes, " + ", ".join(ranks)
        out.append(
            text + "; its log-scale growth rate and ratios rest on the detection limit the "
            "zero volumes were raised to."
        )
    return out


def detection_limit_sentence(study: Study, measurements: pd.DataFrame) -> str:
    """How many measurements entered the log-scale analyses at the detection limit ('' when
    none did, or zero volumes were dropped or floored otherwise)."""
    rule = study.settings.get("log_zero_rule", "detection_limit")
    limit = study.settings.get("detection_limit_mm3")
    if rule != "detection_limit" or limit is None:
        return ""
    below = measurements[measurements["volume_mm3"] < float(limit)]
    if below.empty:
        return ""
    mice = below.groupby(["arm", "mouse_id"]).ngroups
    source = (
        "set in the study file"
        if study.detection_limit_mm3 is not None
        else "half the smallest positive volume"
    )
    n = len(below)
    return (
        f"Zero volumes (complete regressions): {n} measurement{'s' if n != 1 else ''} of "
        f"{mice} {'mouse' if mice == 1 else 'mice'} below the detection limit entered the "
        f"log-scale analyses at it, {fmt(float(limit))} mm³ ({source})."
    )


def _toxic_deaths(tolerability: pd.DataFrame | None) -> dict[str, float]:
    if tolerability is None or "toxic_deaths" not in tolerability:
        return {}
    return {
        str(r["arm"]): float(r["toxic_deaths"])
        for r in records(tolerability)
        if isnum(value_of(r, "toxic_deaths")) and float(r["toxic_deaths"]) > 0
    }


def _tgi_text(row: Mapping[str, Any]) -> str:
    """'; %TGI was …' (volume-change definition), when the row has it."""
    tgi = value_of(row, "tgi_pct")
    if not isnum(tgi):
        return ""
    ci = fmt_ci(value_of(row, "tgi_ci_low"), value_of(row, "tgi_ci_high"), unit="%")
    return f"; %TGI was {fmt(tgi, 3)}% ({ci})"


def nci_activity(tc_pct: float) -> str:
    """NCI activity bands for %T/C (Plowman et al. 1997; Hollingshead 2008)."""
    if tc_pct <= 10:
        return "high activity by the NCI criterion, %T/C ≤ 10%"
    if tc_pct <= 42:
        return "active by the NCI criterion, %T/C ≤ 42%"
    return "not active by the NCI criterion, %T/C ≤ 42%"


def _window_text(row: Mapping[str, Any], last_day: float) -> str:
    """' (days up to 16, while the control was followed)' when the mixed model stops before
    the study's last measured day (:func:`xenoflow.growth.within_control_follow_up`)."""
    end = value_of(row, "model_to_day")
    if not isnum(end) or float(end) >= last_day:
        return ""
    return f" (days up to {fmt_day(end)}, while the control was followed)"


def _one_mouse(row: Mapping[str, Any]) -> bool:
    """Whether an arm's rate rests on one mouse (``n_mice`` 1): then it is not an arm's rate."""
    n = value_of(row, "n_mice")
    return n is not None and int(n) < 2


def growth_sentences(study: Study, tables: Tables, two_phase: Iterable[str] = ()) -> list[str]:
    """One sentence per treated arm on its exponential growth rate and its difference from
    control (:func:`xenoflow.summary.headline.exponential_findings`: every p the tables give,
    the verdict's last); for an arm in ``two_phase`` the sentence says that this one rate
    averages its two phases; when the model stops before the study's last measured day
    (the control's follow-up) the sentence says so."""
    g = first_rows(tables["growth_model"], ["arm"])
    last_day = float(tables["measurements"]["day"].max())
    if study.control not in g:
        return []
    alpha = study.settings["alpha"]
    k_c = g[study.control]["growth_rate_per_day"]
    findings = exponential_findings(study, tables)
    phased = set(two_phase)
    single = [a for a in [study.control, *study.treated_arms] if a in g and _one_mouse(g[a])]
    if single:
        return [
            f"No growth rate is given as an arm's: {join_words(single)} "
            f"{'has' if len(single) == 1 else 'have'} one mouse, whose rate is that mouse's "
            "(in the per-mouse growth table), not an estimate for its arm."
        ]
    out = []
    for arm in study.treated_arms:
        if arm not in g:
            continue
        text = (
            f"Tumours in {arm} grew at {fmt(g[arm]['growth_rate_per_day'])} per day "
            f"(ln volume) against {fmt(k_c)} per day in control{_window_text(g[arm], last_day)}"
        )
        if arm in phased:
            text = (
                "One exponential rate over the whole follow-up averages the two phases: "
                + text[0].lower()
                + text[1:]
            )
        f = findings.get(arm)
        if f is not None:
            verdict = "a" if f.significant(alpha) else "not a"
            text += (
                f": difference {fmt(f.estimate)} per day ({f.interval}; "
                f"{f.tests_text()}), {verdict} statistically significant difference"
            )
        out.append(text + ".")
    return out


def _same_medians(delay: Mapping[str, Any], survival: Mapping[str, Any]) -> bool:
    """Whether the survival table already states this growth-delay row's medians (a survival
    endpoint defined by the same volume), so the delay sentence need not repeat them."""
    return bool(
        isnum(value_of(survival, "median_days"))
        and float(survival["median_days"]) == float(delay["median_time_days"])
    )


def _not_unique_sentence(rows: list[dict[str, Any]], threshold: str) -> str:
    """One sentence for the treated arms without a growth delay because a median is not unique
    (``rows``: the control's first), with the range of T − C each allows (the days each curve
    is flat at 50% are in the table's note)."""
    spans = [r for r in rows[1:] if isnum(r.get("growth_delay_low_days"))]
    if not spans:
        return ""
    ranges = [
        f"{r['arm']} ({fmt_day(r['growth_delay_low_days'])} to "
        f"{fmt_day(r['growth_delay_high_days'])} days)"
        for r in spans
    ]
    flat = [r["arm"] for r in rows if value_of(r, "median_unique") is False]
    curves = "curves are" if len(flat) > 1 else "curve is"
    return (
        f"No growth delay to {threshold} is given for {join_words(ranges)}: the median time to "
        f"reach it is not unique in {join_words(flat)}, whose Kaplan-Meier {curves} flat at "
        "exactly 50% over an interval, so T − C could be anything in the range given (a "
        "midpoint median is a convention, not an estimate)."
    )


def growth_delay_sentences(
    study: Study, delay: pd.DataFrame, survival: pd.DataFrame | None = None
) -> list[str]:
    """One sentence for the growth delays of all treated arms (T − C of the median times to the
    threshold volume, with the gross log cell kill) and the arms whose median was not reached.
    Medians the survival sentence states (same volume endpoint) are not repeated."""
    rows = {r["arm"]: r for r in records(delay)}
    control = rows.get(study.control)
    if control is None or not isnum(control.get("median_time_days")):
        return []
    km = first_rows(survival, ["arm"]) if survival is not None and len(survival) else {}
    treated = [rows[a] for a in study.treated_arms if a in rows]
    delays = [r for r in treated if isnum(r.get("growth_delay_days"))]
    repeat = not all(_same_medians(r, km.get(r["arm"], {})) for r in [control, *delays])
    items = []
    for r in delays:
        extra = [f"median {fmt_day(r['median_time_days'])} days"] if repeat else []
        if isnum(r.get("log_cell_kill_gross")):
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
            f"it{against or ','} was {join_words(items)}."
        )
    not_unique = _not_unique_sentence([control, *treated], threshold)
    out += [not_unique] if not_unique else []
    missing = [r["arm"] for r in treated if not isnum(r.get("median_time_days"))]
    if missing and repeat:  # else the survival sentence says which medians were not reached
        out.append(
            not_reached(missing, len(rows), f"The median time to {threshold}")
            + (f" (control median {control_median})." if not items else ".")
        )
    return out


def response_sentences(
    summary_table: pd.DataFrame, control: str | None = None, min_day: float | None = None
) -> list[str]:
    """mRECIST counts: one sentence per arm with an objective response (CR or PR), with the
    response rate and its exact interval; the arms without one grouped in one sentence. The
    counts are of evaluable mice, the others named with their reason; when most control mice
    are SD or better, a caution that the response window misses the model's growth."""
    out, none = [], []
    rows = records(summary_table)
    for r in rows:
        counts = f"{r['n_sd']} SD, {r['n_pd']} PD of {_evaluable_text(r)}"
        if not r["n_cr"] and not r["n_pr"]:
            none.append(f"{r['arm']} ({counts})")
            continue
        out.append(
            f"mRECIST in {r['arm']}: {r['n_cr']} CR, {r['n_pr']} PR, {counts}; response rate "
            f"{fmt(r['response_rate_pct'])}% "
            f"({fmt_ci(r['response_rate_ci_low'], r['response_rate_ci_high'], 2, '%')})"
            f"{_relapse_text(r)}."
        )
    if none:
        which = (
            ""
            if len(none) == 1
            else f"any of the {len(rows)} arms: "
            if len(none) == len(rows)
            else f"{len(none)} of {len(rows)} arms: "
        )
        out.insert(0, f"No objective response (CR or PR) by mRECIST in {which}{join_words(none)}.")
    caution = control_window_caution(rows, control, min_day)
    return out + ([caution] if caution else [])


def _relapse_text(r: Mapping[str, Any]) -> str:
    """'; 2 of the 3 responding tumours later regrew above their starting volume' ('' when
    none did): mRECIST keeps the best response, the relapse is stated beside it."""
    n = int(value_of(r, "n_relapsed") or 0)
    if not n:
        return ""
    responders = int(r["n_cr"]) + int(r["n_pr"])
    if responders == 1:
        return "; the responding tumour later regrew above its starting volume"
    which = f"all {responders}" if n == responders else f"{n} of the {responders}"
    return f"; {which} responding tumours later regrew above their starting volume"


def _evaluable_text(r: Mapping[str, Any]) -> str:
    """'8 mice', or '6 evaluable mice; 2 not evaluable: one toxic death before the response
    window and 1 without a measurement in it'."""
    n_out = int(value_of(r, "n_not_evaluable") or 0)
    if not n_out:
        return f"{r['n_mice']} mice"
    n_toxic = int(value_of(r, "n_not_evaluable_toxic") or 0)
    n_zero = int(value_of(r, "n_not_evaluable_zero_baseline") or 0)
    n_late = n_out - n_toxic - n_zero
    why = [
        f"{count_words(n_toxic, 'toxic death')} before the response window" if n_toxic else "",
        f"{n_late} without a measurement in it" if n_late > 0 else "",
        f"{n_zero} with a baseline volume of 0 mm³ (no percentage change from 0)" if n_zero else "",
    ]
    mice = "mouse" if int(r["n_mice"]) == 1 else "mice"
    return f"{r['n_mice']} evaluable {mice}; {n_out} not evaluable: " + join_words(
        [w for w in why if w]
    )


def control_window_caution(
    rows: list[dict[str, Any]], control: str | None, min_day: float | None
) -> str:
    """A caution when more than half of the evaluable control mice are SD or better: then the
    window (from ``min_day``) caught a flat start, not the model's growth, and a treated
    mouse's SD is no sign of activity (its CR or PR, a shrinkage the control did not show,
    still is)."""
    row = next((r for r in rows if r["arm"] == control), None)
    if row is None or not row["n_mice"]:
        return ""
    stable = int(row["n_cr"]) + int(row["n_pr"]) + int(row["n_sd"])
    if 2 * stable <= int(row["n_mice"]):
        return ""
    window = f" (from day {min_day:g} after baseline)" if min_day is not None else ""
    return (
        f"Caution: {stable} of {row['n_mice']} control mice are classed SD or better, so the "
        f"response window{window} does not catch this model's growth; SD is no sign of "
        "activity here, only CR and PR are."
    )


def endpoint_test_sentences(tests: pd.DataFrame, tumour_free: pd.DataFrame | None) -> list[str]:
    """One sentence on the end-of-study tests (ANOVA with Dunnett's comparisons, Kruskal–Wallis)
    and one on the tumour-free mice when an arm has any."""
    out = []
    # an overall test's arm is empty (missing when read back from disk)
    rows = {(r["test"], r["arm"] if isinstance(r["arm"], str) else ""): r for r in records(tests)}
    anova = rows.get(("anova", ""))
    if anova is not None and isnum(anova.get("p_value")):
        compared = [
            r for (test, _), r in rows.items() if test == "dunnett" and isnum(r.get("p_adjusted"))
        ]
        # the control's mice: those of the ANOVA less the compared arms' (every arm with a
        # p entered the ANOVA)
        n_c = int(anova["n_mice"]) - sum(int(r["n_mice"]) for r in compared)
        dunnett = [
            f"{r['arm']} {fmt_p(r['p_adjusted'])} (n = {int(r['n_mice'])} vs {n_c})"
            for r in compared
        ]
        text = (
            f"At day {fmt_day(anova['reference_day'])}, one-way ANOVA on log volume gave "
            f"{fmt_p(anova['p_value'])}"
        )
        if dunnett:
            text += "; Dunnett's test against the control: " + ", ".join(dunnett)
        kw = rows.get(("kruskal_wallis", ""))
        if kw is not None and isnum(kw.get("p_value")):
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


def exclusion_bullet(
    stage: str, arm: str, reason: str, items: Sequence[tuple[str, float | None]]
) -> str:
    """One line per stage, arm and reason: '[growth] Cetuximab / mouse 46 day 57: ...' for one
    exclusion, '[growth] Cetuximab: 12 measurements of 3 mice (46, 63, 67), days 57 to 68: ...'
    for several (a reader meets each reason once, not once per measurement)."""
    if len(items) == 1:
        mouse, day = items[0]
        who = f"{arm} / mouse {mouse}" if mouse else arm
        return f"[{stage}] {who}{f' day {day:g}' if day is not None else ''}: {reason}"
    mice = list(dict.fromkeys(m for m, _ in items if m))
    days = sorted({d for _, d in items if d is not None})
    what = f"{len(items)} measurements" if days else f"{len(items)} exclusions"
    of = f" of {len(mice)} mice ({', '.join(mice)})" if len(mice) > 1 else ""
    of = f" of mouse {mice[0]}" if len(mice) == 1 else of
    span = f", days {days[0]:g} to {days[-1]:g}" if len(days) > 1 else ""
    span = f", day {days[0]:g}" if len(days) == 1 else span
    return f"[{stage}] {arm}: {what}{of}{span}: {reason}"


def notes_section(
    exclusions: Iterable[pd.DataFrame], growth: pd.DataFrame | None, floored: str = ""
) -> Section:
    s = Section("Exclusions and model notes")
    if floored:  # not excluded: in the analyses at the detection limit
        s.paragraphs.append(floored)
    grouped: dict[tuple[str, str, str], list[tuple[str, float | None]]] = {}
    for table in exclusions:
        for r in records(table):
            mouse = r.get("mouse_id")
            mouse = "" if mouse is None or mouse != mouse or str(mouse) in ("", "nan") else mouse
            day = float(r["day"]) if isnum(r.get("day")) else None
            key = (str(r["stage"]), str(r["arm"]), str(r["reason"]))
            grouped.setdefault(key, []).append((str(mouse), day))
    s.bullets += [exclusion_bullet(*key, items) for key, items in grouped.items()]
    if growth is not None and "model" in growth:
        for model in dict.fromkeys(growth["model"].dropna()):
            s.bullets.append(f"Growth comparison model: {model}")
    if not s.bullets:
        s.paragraphs.append("No measurement or mouse was excluded.")
    return s

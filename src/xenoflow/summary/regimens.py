"""Sentences on regimens and tolerability, and the dose-driven growth model's predictions."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

import pandas as pd

from ..config import Arm, Study
from ..regimenmodel import MIN_COVERAGE
from .efficacy import reference_rows
from .headline import GrowthFinding, headline_findings, two_phase_rows
from .text import (
    Tables,
    count_words,
    first_rows,
    fmt,
    fmt_ci,
    fmt_day,
    fmt_p,
    isnum,
    join_words,
    records,
    unit_text,
    value_of,
)


def _model_day(curves: pd.DataFrame, efficacy: pd.DataFrame | None) -> float:
    """The day the what-if sentences speak of: the efficacy reference day when the model's
    curves have it, else the last observed day."""
    ref = reference_rows(efficacy) if efficacy is not None and len(efficacy) else None
    if ref is not None and len(ref) and (curves["day"] == float(ref["day"].iloc[0])).any():
        return float(ref["day"].iloc[0])
    return float(curves.loc[curves["n_observed"] > 0, "day"].max())


def toxic_dose_flag(study: Study, tables: Tables, name: str) -> str:
    """'' or why the ``what_if`` regimen ``name`` goes beyond the doses the study observed to
    be safe: a single administration above the highest single dose of an arm of the same
    agent that the tolerability verdict calls tolerated, or a total above the highest total
    given. A prediction of efficacy says nothing of toxicity ("two full doses" of 218.8 µCi,
    when one 218.8 µCi dose killed two of eight mice)."""
    what = next((w for w in study.what_if if w.name == name), None)
    if what is None:
        return ""
    tol = first_rows(tables.get("tolerability", pd.DataFrame(columns=["arm"])), ["arm"])
    arms = [a for a in study.arms if a.agent == what.agent and a.doses]
    unit = unit_text(what.doses[0].unit or "")
    single = max(d.amount or 0.0 for d in what.doses)
    total = sum(d.amount or 0.0 for d in what.doses)
    tolerated = [
        max(d.amount or 0.0 for d in a.doses)
        for a in arms
        if value_of(tol.get(a.name, {}), "verdict") == "tolerated"
    ]
    out = []
    if not tolerated or single > max(tolerated):
        out.append(
            f"a single dose of {single:g} {unit}, above "
            + (
                f"{max(tolerated):g} {unit}, the highest single dose tolerated here"
                if tolerated
                else "any dose tolerated here"
            )
            + _killed(arms, tol, single)
        )
    given = max((sum(d.amount or 0.0 for d in a.doses) for a in arms), default=0.0)
    if total > given:
        out.append(f"a total of {total:g} {unit}, above the highest total given ({given:g} {unit})")
    return "; ".join(out)


def _killed(arms: list[Arm], tol: Mapping[str, Mapping[str, Any]], single: float) -> str:
    """', and 218.8 µCi is the single dose that killed 2 of 8 mice (CLR 131 single)' for the
    largest toxic single dose at or below ``single``."""
    toxic = [
        (max(d.amount or 0.0 for d in a.doses), a)
        for a in arms
        if value_of(tol.get(a.name, {}), "verdict") == "toxic"
    ]
    hits = [(dose, a) for dose, a in toxic if dose <= single]
    if not hits:
        return ""
    dose, arm = max(hits, key=lambda h: h[0])
    row = tol[arm.name]
    deaths, n = value_of(row, "toxic_deaths"), value_of(row, "n_mice")
    what = (
        f"killed {int(deaths)} of {int(n)} mice"
        if isnum(deaths) and deaths and isnum(n)
        else "was toxic"
    )
    return f"; {dose:g} {unit_text(arm.doses[0].unit or '')} is the single dose that {what} ({arm.name})"


def _chosen_model(selection: pd.DataFrame) -> str:
    """The model ``regimen_model_selection`` chose (exponential without the table)."""
    if selection.empty:
        return "exponential"
    return str(selection.loc[selection["chosen"].astype(bool), "growth_model"].iloc[0])


MODEL_NAMES = {
    "exponential": "the log-kill model without resistance",
    "claret": "the model with drug resistance",
    "delayed": "the model with delayed kill",
    "resistant_delayed": "the model with delayed kill and drug resistance",
}


def _passing_words(rows: list[dict[str, Any]]) -> str:
    """Which of the models pass their adequacy check, in words."""
    passing = [MODEL_NAMES[r["growth_model"]] for r in rows if r["passes"]]
    if len(passing) == len(rows):
        return "both pass the adequacy check" if len(rows) == 2 else "all pass the adequacy check"
    if not passing:
        return (
            "neither passes the adequacy check"
            if len(rows) == 2
            else "none passes the adequacy check"
        )
    verb = "passes" if len(passing) == 1 else "pass"
    return f"only {join_words(passing)} {verb} the adequacy check"


def _interval_text(row: dict[str, Any] | None) -> str:
    """' (95% CI …)' of a parameter row whose interval is bounded, else ''."""
    if row is None or not (_finite(row["ci_low"]) and _finite(row["ci_high"])):
        return ""
    return f" ({fmt_ci(row['ci_low'], row['ci_high'])})"


def _shape_text(params: list[dict[str, Any]]) -> str:
    """'; its kill halves every 5.31 days (…)' for the resistance model, '; its kill follows
    the dose exposure by a mean of 6.57 days (…)' for the delayed model, '; its kill halves
    every 8.24 days and follows the dose exposure by …' for the model with both, else ''."""
    named = {p["parameter"]: p for p in params}
    parts = []
    half = named.get("resistance_half_life_days")
    if half is not None and _finite(half["estimate"]):
        parts.append(f"its kill halves every {fmt(half['estimate'])} days{_interval_text(half)}")
    delay = named.get("mean_kill_delay_days")
    if delay is not None and _finite(delay["estimate"]) and float(delay["estimate"]) > 0:
        parts.append(
            ("" if parts else "its kill ")
            + f"follows the dose exposure by a mean of {fmt(delay['estimate'])} days"
            f"{_interval_text(delay)}"
        )
    return "; " + " and ".join(parts) if parts else ""


def _selection_sentences(selection: pd.DataFrame, params: list[dict[str, Any]]) -> list[str]:
    """Which of the dose-driven models was chosen and why (AIC among the models that pass
    their adequacy check), with the resistance half-life or the kill delay when the model
    with resistance or delayed kill is chosen."""
    if len(selection) < 2:
        return []
    rows = records(selection)
    chosen = next(r for r in rows if r["chosen"])
    others = [r for r in rows if not r["chosen"]]
    lower = "lower" if len(rows) == 2 else "lowest"
    rule = f"the {lower} AIC" + (
        " among the models that pass" if any(r["passes"] for r in rows) else ""
    )
    return [
        f"Of the {count_words(len(rows), 'dose-driven model')}, "
        f"{MODEL_NAMES[chosen['growth_model']]} is used rather than "
        f"{join_words([MODEL_NAMES[r['growth_model']] for r in others])} (AIC "
        f"{fmt(chosen['aic'])} vs {', '.join(fmt(r['aic']) for r in others)}; "
        f"{_passing_words(rows)}; {rule}){_shape_text(params)}."
    ]


def _finite(x: Any) -> bool:
    return isnum(x) and math.isfinite(float(x))


def _not_fitting_sentence(check: pd.DataFrame | None, chosen: str, selection: pd.DataFrame) -> str:
    """'' when the chosen dose-driven model fits the data it was fitted to (at least
    :data:`xenoflow.regimenmodel.MIN_COVERAGE` of its fitted arm-day means inside their
    prediction band, ``regimen_model_check``); otherwise that it does not, with those counts,
    and that none of its parameters is quoted: a growth rate or a log-kill of a model that
    misses the measured means describes the model, not the tumours."""
    if check is None or "growth_model" not in check or check.empty:
        return ""
    rows = check[(check["growth_model"] == chosen) & (check["check"] == "fitted")]
    if rows.empty or not float(rows["coverage_pct"].iloc[0]) < 100 * MIN_COVERAGE:
        return ""
    r = rows.iloc[0]
    best = (
        f"the best of the {count_words(len(selection), 'dose-driven model')} by AIC, "
        if len(selection) > 1
        else ""
    )
    named = ["growth rate", "log-kill"]
    named += ["resistance half-life"] if chosen in ("claret", "resistant_delayed") else []
    named += ["kill delay"] if chosen in ("delayed", "resistant_delayed") else []
    return (
        f"No dose-driven growth model describes these data: {best}{MODEL_NAMES[chosen]}, has "
        f"{int(r['n_inside'])} of {int(r['n_arm_days'])} fitted arm-day means inside their 95% "
        f"prediction band ({100 * MIN_COVERAGE:.0f}% needed), so its {join_words(named)} are "
        "not quoted (the dose-driven growth model table lists them)."
    )


def regimen_model_sentences(study: Study, tables: Tables) -> list[str]:
    """The dose-driven growth model (``regimen_model``): growth rate and each agent's log-kill
    per unit dose, and each ``what_if`` regimen's predicted geometric-mean volume on the
    reference day (:func:`_model_day`) against the fitted arms of its agent (``what_if``),
    flagged when its doses reach a dose the study found toxic (:func:`toxic_dose_flag`)."""
    params = records(tables.get("regimen_model", pd.DataFrame()))
    if not params:
        return []
    g = next(p for p in params if p["parameter"] == "growth_rate")
    selection = tables.get("regimen_model_selection", pd.DataFrame())
    chosen = _chosen_model(selection)
    kills = [
        f"a log-kill of {fmt(p['estimate'])} ln mm³ per {unit_text(p['dose_unit'])} of "
        f"{p['agent']} ({fmt_ci(p['ci_low'], p['ci_high'])}; exposure half-life "
        f"{fmt(p['effective_half_life_days'])} d)"
        for p in params
        if p["parameter"] == "log_kill_per_unit_dose"
    ]
    kind = {
        "claret": "exponential growth minus a kill proportional to the decaying dose that fades "
        "with time as resistance develops, Claret et al. 2009",
        "delayed": "exponential growth minus a log-kill proportional to the decaying dose, "
        "delayed through three transit compartments, Simeoni et al. 2004",
        "resistant_delayed": "exponential growth minus a log-kill proportional to the decaying "
        "dose, delayed through three transit compartments, Simeoni et al. 2004, that fades with "
        "time as resistance develops, Claret et al. 2009",
    }.get(chosen, "exponential growth minus a log-kill proportional to the decaying dose")
    unfit = _not_fitting_sentence(tables.get("regimen_model_check"), chosen, selection)
    if unfit:
        out = [unfit]
    else:
        out = [
            f"A growth model driven by the schedule ({kind}, {int(g['n_mice'])} mice of "
            f"{str(g['arms']).replace(';', ', ')}) estimates a growth rate of "
            f"{fmt(g['estimate'])} per day ({fmt_ci(g['ci_low'], g['ci_high'])}) and "
            + " and ".join(kills)
            + "."
        ]
        out += _selection_sentences(selection, params)
    adequacy = tables.get("regimen_model_check", pd.DataFrame())
    if "growth_model" in adequacy and len(adequacy):
        adequacy = adequacy[adequacy["growth_model"] == chosen]
    if study.what_if and len(adequacy) and not bool(adequacy["passes"].iloc[0]):
        rule = str(adequacy["rule"].iloc[0]).removeprefix("not adequate for prediction: ")
        names = join_words([w.name for w in study.what_if])
        out.append(f"The model is not used to predict {names}, because it fails its check: {rule}.")
    curves = tables.get("what_if", pd.DataFrame())
    if curves.empty or not (curves["kind"] == "what_if").any():
        return out
    out += refusal_sentences(study, tables, curves)
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
            + " (a model prediction for a regimen that was not given, not an observation)"
            + (
                f"; caution: {flag}."
                if (flag := toxic_dose_flag(study, tables, w["name"]))
                else "."
            )
        )
    return out


def refusal_sentences(study: Study, tables: Tables, curves: pd.DataFrame) -> list[str]:
    """Why each ``what_if`` regimen the growth model does not predict gets no number, from its
    row's ``prediction_note`` (:func:`xenoflow.regimenmodel.what_if_table`): its doses run
    later after its first dose, or its days longer after it, or it gives more doses or more
    of the agent, than the study's arms did. A model that fails its check is said once by the
    caller; here only those reasons, which would stop even a model that passed, with the
    toxicity caution of :func:`toxic_dose_flag`."""
    from ..regimenmodel import NOT_ADEQUATE

    if "prediction_note" not in curves:
        return []
    rows = curves[(curves["kind"] == "what_if") & curves["prediction_note"].notna()]
    out = []
    for r in records(rows.drop_duplicates("name")):
        reasons = [
            x
            for x in str(r["prediction_note"]).removeprefix("not predicted: ").split("; and ")
            if x and x != NOT_ADEQUATE
        ]
        if not reasons:
            continue
        lead = (
            f"Even a model that passed its check would not predict {r['name']}"
            if NOT_ADEQUATE in str(r["prediction_note"])
            else f"No growth is predicted for {r['name']} ({r['schedule']}; not given)"
        )
        flag = toxic_dose_flag(study, tables, str(r["name"]))
        out.append(f"{lead}: {'; and '.join(reasons)}" + (f"; caution: {flag}." if flag else "."))
    return out


#: how the nadir verdict (``bw_nadir_crosses_limit``) is said
CROSSES_WORDS = {
    "yes": "it crosses",
    "possibly": "it may cross",
    "no": "it stays above",
}


def nadir_sentences(tables: Tables) -> list[str]:
    """One sentence per ``what_if`` regimen on its predicted body-weight nadir
    (:mod:`xenoflow.bwnadir`): the number with its prediction interval and whether it crosses
    the tolerability limit, or why no number is given."""
    from ..bwnadir import nadir_rows

    out = []
    for name, r in nadir_rows(tables.get("what_if", pd.DataFrame())).items():
        note = str(r["bw_nadir_note"])
        limit = (
            f"the {float(r['bw_nadir_limit_pct']):g}% tolerability limit on the group-mean nadir"
        )
        if not _finite(r["predicted_bw_nadir_pct"]):
            out.append(
                f"No body-weight nadir is predicted for {name}: {note.removeprefix('withheld: ')}."
            )
            continue
        arms = note.removeprefix("OLS of the group-mean nadirs of ").split(" on the largest")[0]
        out.append(
            f"Body-weight nadir predicted for {name} (not given): "
            f"{float(r['predicted_bw_nadir_pct']):+.1f}% (95% prediction interval "
            f"{fmt(r['bw_nadir_pi_low'], 2)}% to {fmt(r['bw_nadir_pi_high'], 2)}%), from a "
            f"straight line through the group-mean nadirs of {arms} against the largest "
            f"single administration; {CROSSES_WORDS[str(r['bw_nadir_crosses_limit'])]} {limit}."
        )
    return out


def _dose_text(arm: str, r: Mapping[str, Any]) -> str:
    """'CLR 131 x2: two doses of CLR 131 (total 204.7 µCi; cumulated activity 2,368 µCi·d) on
    days 0, 7' — doses as the study file gives them, cumulated activity to 4 digits."""
    n = int(r["n_doses"])
    dose = f"{count_words(n, 'dose')} of {value_of(r, 'agent') or 'the treatment'}"
    if isnum(value_of(r, "cumulative_dose")):
        unit = unit_text(r["dose_unit"])
        extra = f"total {float(r['cumulative_dose']):,g} {unit}"
        if isnum(value_of(r, "cumulated_activity")):
            extra += f"; cumulated activity {fmt(r['cumulated_activity'], 4)} {unit}·d"
        dose += f" ({extra})"
    days = str(r["dose_days"]).replace(";", ", ")
    return f"{arm}: {dose} on day{'s' if n > 1 else ''} {days}"


def _efficacy_brief(
    arm: Arm,
    g: GrowthFinding | None,
    e: Mapping[str, Any] | None,
    phases: Mapping[str, Any] | None,
) -> list[str]:
    """The arm's efficacy next to its tolerability: its headline growth finding
    (:func:`xenoflow.summary.headline.headline_findings`, named by its metric) and %T/C,
    without the intervals and p-values the findings already give (each estimate is stated
    with its interval once). An arm that shrinks then regrows is also described by its two
    phases, not only by a rate that averages them; a %T/C read before the regimen's last dose
    could act is said to be so (:func:`_dose_timing`)."""
    out = []
    if g is not None:
        word = "slowed growth" if g.estimate < 0 else "grew faster"
        out.append(f"{word} by {fmt(abs(g.estimate))} per day (ln volume; {g.metric}) vs control")
    if phases is not None:
        out.append(
            f"shrank at {fmt(-float(phases['rate_before']))} per day until day "
            f"{float(phases['breakpoint_day']):.3g}, then regrew at {fmt(phases['rate_after'])} "
            "per day"
        )
    if e is not None and isnum(value_of(e, "tc_pct")):
        out.append(
            f"%T/C {fmt(e['tc_pct'])}% on day {fmt_day(e['day'])}{_dose_timing(arm, e['day'])}"
        )
    return out


def _dose_timing(arm: Arm, day: float) -> str:
    """' (1 day after its last dose, on day 20: mostly the effect of the earlier doses)' when
    ``day`` comes before the regimen's last dose or less than one dosing interval (the last
    gap between doses) after it: a metric is the whole regimen's only once its last dose has
    had as long to act as the earlier ones had."""
    days = sorted({d.day for d in arm.doses})
    if len(days) < 2:
        return ""
    last, gap = days[-1], days[-1] - days[-2]
    given = sum(d <= day for d in days)
    if day < last:
        return (
            f" (before its last dose on day {fmt_day(last)}: {given} of {len(days)} doses given; "
            "not the whole regimen's effect)"
        )
    if day - last < gap:
        after = day - last
        return (
            f" ({fmt_day(after)} day{'s' if after != 1 else ''} after its last dose on day "
            f"{fmt_day(last)}: mostly the effect of the earlier dose{'s' if len(days) > 2 else ''})"
        )
    return ""


def _tolerability_brief(t: Mapping[str, Any] | None) -> list[str]:
    """Body-weight nadir, mice with ≥ 20% loss and toxic deaths of one arm."""
    if t is None:
        return []
    out = []
    if isnum(value_of(t, "group_mean_nadir_pct")):
        n20 = value_of(t, "n_loss_ge_20pct") or 0
        lost = (
            "no mouse lost ≥ 20%"
            if not n20
            else f"{int(n20)} of {int(t['n_weighed'])} mice lost ≥ 20%"
        )
        out.append(
            f"mean body-weight nadir {float(t['group_mean_nadir_pct']):+.1f}% on day "
            f"{fmt_day(t['group_mean_nadir_day'])}, {lost}"
        )
    n_out = value_of(t, "n_weights_excluded") or 0
    if n_out:
        out.append(
            f"{count_words(n_out, 'body weight')} left out as recording "
            f"error{'s' if n_out > 1 else ''} (an isolated jump up or an impossible value; "
            "listed under Exclusions)"
        )
    if isnum(value_of(t, "toxic_deaths")):
        deaths = count_words(t["toxic_deaths"], "toxic death")
        if t["toxic_deaths"]:
            deaths += f" (cumulative incidence {100 * float(t['toxic_death_incidence']):.0f}%)"
        out.append(deaths)
    return out


def _event_free_text(c: Mapping[str, Any]) -> str:
    """Event-free survival of a pair of regimens: the comparison that counts toxic deaths as
    events, so the regimen that kills mice is not credited with their censored time."""
    hr = (
        f"hazard ratio {fmt(c['efs_hr'])} ({fmt_ci(c.get('efs_hr_ci_low'), c.get('efs_hr_ci_high'))}); "
        if isnum(c.get("efs_hr"))
        else ""
    )
    return (
        "event-free survival (tumour endpoint or toxic death) "
        f"{hr}log-rank {fmt_p(c['efs_logrank_p'])}"
    )


#: The rule that combines efficacy and tolerability into one regimen verdict (stated in the
#: summary with every verdict).
VERDICT_RULE = (
    "a regimen is better when it is better tolerated (tolerated where the other is toxic) "
    "with no detectable loss of efficacy, or more effective (growth-rate difference whose "
    "95% CI excludes 0) with no worse tolerability"
)


def _side(c: Mapping[str, Any], side: str) -> str:
    """'tolerated: nadir -7.3%, no toxic deaths' for one side of a regimen comparison."""
    deaths = value_of(c, f"toxic_deaths_{side}")
    nadir = value_of(c, f"group_mean_nadir_pct_{side}")
    bits = [f"nadir {float(nadir):+.1f}%"] if isnum(nadir) else []
    if isnum(deaths):
        bits.append(count_words(int(deaths), "toxic death"))
    return f"{value_of(c, f'verdict_{side}') or 'no verdict'} ({', '.join(bits)})"


def regimen_verdict(c: Mapping[str, Any], phased: Collection[str] = ()) -> str:
    """One verdict for a pair of regimens of one agent (a ``regimen_comparison`` row), by
    :data:`VERDICT_RULE`, with the numbers that decide it: doses, tolerability verdicts,
    nadirs and toxic deaths; the growth-rate difference with its CI (arm − reference;
    negative: the arm slows growth more), not for arms in ``phased`` (two phases: one rate
    would average them); event-free survival, which counts toxic deaths as events."""
    arm, ref = str(c["arm"]), str(c["reference"])
    two_phase = [a for a in (arm, ref) if a in phased]
    if two_phase:
        c = {**c, "rate_diff": None, "rate_diff_ci_low": None, "rate_diff_ci_high": None}
    tol = {arm: value_of(c, "verdict_arm"), ref: value_of(c, "verdict_reference")}
    better_tolerated = [
        a for a, o in ((arm, ref), (ref, arm)) if tol[a] == "tolerated" and tol[o] == "toxic"
    ]
    diff, low, high = (
        value_of(c, k) for k in ("rate_diff", "rate_diff_ci_low", "rate_diff_ci_high")
    )
    more_effective: list[str] = []
    if isnum(low) and isnum(high) and (float(high) < 0 or float(low) > 0):
        more_effective = [arm if float(high) < 0 else ref]
    if better_tolerated and (not more_effective or more_effective == better_tolerated):
        winner = better_tolerated[0]
        why = (
            "better tolerated; efficacy is compared by the two-phase rates"
            if two_phase
            else "better tolerated, efficacy not detectably different"
        )
    elif more_effective and not better_tolerated:
        winner, why = more_effective[0], "more effective, tolerability no worse"
    else:
        winner, why = "", ""
    if winner:
        head = f"Regimen verdict: {winner} is the better regimen ({why})"
    elif more_effective and better_tolerated:
        head = (
            f"Regimen verdict: no regimen is better on both counts: {more_effective[0]} is more "
            f"effective, {better_tolerated[0]} better tolerated"
        )
    else:
        head = (
            f"Regimen verdict: neither {arm} nor {ref} is shown better (no difference in "
            "tolerability verdict or detectable difference in efficacy)"
        )
    unit = unit_text(c["dose_unit"])
    facts = [
        f"total {float(c['cumulative_dose_arm']):,g} vs {float(c['cumulative_dose_reference']):,g} "
        f"{unit} of {c['agent']}",
        f"{arm} {_side(c, 'arm')}, {ref} {_side(c, 'reference')}",
    ]
    if two_phase:
        verb = "shrinks then regrows" if len(two_phase) == 1 else "shrink then regrow"
        facts.append(
            f"no one-rate difference ({join_words(two_phase)} {verb}: the two-phase rates above "
            "compare them)"
        )
    elif isnum(diff):
        caveat = "" if more_effective else ", which does not rule out a difference in efficacy"
        facts.append(
            f"growth-rate difference {arm} − {ref} {fmt(diff)} per day "
            f"({fmt_ci(low, high)}{caveat})"
        )
    if isnum(value_of(c, "efs_logrank_p")):
        facts.append(_event_free_text(c))
    return f"{head}: " + "; ".join(facts) + f". The rule: {VERDICT_RULE}."


def regimen_sentences(study: Study, tables: Tables) -> list[str]:
    """One sentence per dosed or weighed treated arm (dose, efficacy against control,
    tolerability) and one per pair of regimens of one agent (``regimen_comparison``)."""
    regimen = first_rows(tables.get("regimen", pd.DataFrame(columns=["arm"])), ["arm"])
    tol = first_rows(tables.get("tolerability", pd.DataFrame(columns=["arm"])), ["arm"])
    growth = headline_findings(study, tables)
    eff = tables.get("efficacy")
    ref = first_rows(reference_rows(eff), ["arm"]) if eff is not None and len(eff) else {}
    phased = two_phase_rows(tables.get("growth_piecewise"))
    out = []
    for arm in study.treated_arms:
        r, t = regimen.get(arm), tol.get(arm)
        tolerability = _tolerability_brief(t)
        if r is None and not tolerability:
            continue  # neither a schedule nor weights: nothing to weigh efficacy against
        parts = [_dose_text(arm, r) if r is not None else f"{arm}:"]
        parts += _efficacy_brief(study.arm(arm), growth.get(arm), ref.get(arm), phased.get(arm))
        parts += tolerability
        text = parts[0] + (" " if r is None else "; ") + "; ".join(parts[1:])
        if t is not None and value_of(t, "verdict"):
            text += f"; {t['verdict']}"
        out.append(text + ".")
    verdicts = [
        regimen_verdict(c, phased)
        for c in records(tables.get("regimen_comparison", pd.DataFrame()))
    ]
    out = verdicts + out
    for d in records(tables.get("dose_response", pd.DataFrame())):
        if not d.get("selected"):
            continue
        text = (
            f"Dose–response of {d['agent']} ({int(d['n_dose_levels'])} dose levels, "
            f"{int(d['n_mice'])} mice; growth rate against cumulative dose): {d['model']} model "
            "selected by AIC"
        )
        if d["model"] == "emax" and isnum(d.get("ed50")):
            text += (
                f", ED50 {fmt(d['ed50'])} {unit_text(d['dose_unit'])} "
                f"({fmt_ci(d.get('ed50_ci_low'), d.get('ed50_ci_high'))})"
            )
        out.append(text + ".")
    out += regimen_model_sentences(study, tables)
    out += nadir_sentences(tables)
    if any("radiopharmaceutical" in str(value_of(r, "note") or "") for r in regimen.values()):
        out.append(
            "Doses per kg and m² and human-equivalent doses (body-surface area, FDA 2005) are "
            "in the regimen table; for a radiopharmaceutical they are no substitute for absorbed "
            "dose (cumulated activity × S, MIRD)."
        )
    return out

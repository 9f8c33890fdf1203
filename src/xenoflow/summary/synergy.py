"""Sentences on combination synergy (SynergyLMM's mixed model; invivoSyn and CombPDX for comparison)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..config import Study
from ..tables import SKIPPED_DAY
from .text import (
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

#: synergy rows of SynergyLMM's test (``xenoflow.synergy.P_Z``) and their reference models
SYNERGY_Z = "Wald z"


SYNERGY_METHODS = {"bliss": "Bliss", "hsa": "HSA", "ra": "response additivity"}


def _synergy_verdict(row: Mapping[str, Any], alpha: float) -> str:
    p, score = value_of(row, "p_value"), value_of(row, "score")
    if p is None or score is None:
        return "not estimable"
    if p < alpha:
        return "synergistic" if score > 0 else "antagonistic"
    return "not significantly different from additive"


def _score_text(
    row: Mapping[str, Any], alpha: float, index: float | None = None, explain: bool = False
) -> str:
    """'synergy score was 1.56 (p = 0.12), not significantly different from additive
    (SynergyLMM combination index 0.393, < 1: synergy; post-hoc power 37%)'. The score is a z
    statistic (−estimate/SE), so it is given with its p and no interval (the interval belongs
    to the estimate, not to the statistic); ``explain`` says so once."""
    extra = [] if index is None else [f"SynergyLMM combination index {fmt(index)}, < 1: synergy"]
    power = value_of(row, "power")
    if power is not None:
        extra.append(f"post-hoc power {100 * power:.0f}%")
    what = " (−estimate/SE, a z statistic; > 0: synergy)" if explain else ""
    return (
        f"synergy score{what} was {fmt(row['score'])} ({fmt_p(row['p_value'])}), "
        f"{_synergy_verdict(row, alpha)}" + (f" ({'; '.join(extra)})" if extra else "")
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
        parts.append(
            f"the combination's %TGI on day {day} exceeded {join_words(excess)} (invivoSyn)"
        )
    if index:
        parts.append(
            f"CombPDX's global log combination index (> 0: synergy) was {join_words(index)}"
        )
    return "For comparison, " + "; ".join(parts) + "." if parts else ""


def _disagreement(
    lmm: Mapping[str, Any] | None, others: pd.DataFrame, alpha: float, last: pd.DataFrame
) -> str:
    """A sentence when the mixed model's Bliss verdict and invivoSyn's TGI Bliss verdict
    differ, and why they can (empty when they agree or one is missing)."""
    tgi = _first_of(others[others["basis"] == "tgi"], "bliss")
    if lmm is None or tgi is None or value_of(tgi, "p_value") is None:
        return ""
    model = _synergy_verdict(lmm, alpha)
    boot = "synergistic" if float(tgi["p_value"]) < alpha else "not significantly synergistic"
    if (model == "synergistic") == (boot == "synergistic"):
        return ""
    return (
        f"The two Bliss analyses disagree (mixed model: {model}; invivoSyn %TGI: {boot}) "
        f"because they test different things: the mixed model the growth rate over the whole "
        f"curve to day {fmt_day(last['day'].iloc[0])}, invivoSyn the volume change on day "
        f"{fmt_day(tgi['day'])} alone; an effect seen on one day can vanish over the curve, "
        "and the reverse (the day-by-day tests are in the synergy table)."
    )


def _day_list(days: list[float]) -> str:
    """'days 16–27' for a run of days, 'day 16' for one."""
    if len(days) == 1:
        return f"day {fmt_day(days[0])}"
    return f"days {fmt_day(days[0])}–{fmt_day(days[-1])}"


def day_runs(rows: pd.DataFrame, method: str, alpha: float) -> list[tuple[str, list[float], float]]:
    """The day-by-day verdicts of one method (``synergy.tsv``, basis lmm, z rows) as runs of
    consecutive measured days with the same verdict: ``(verdict, days, largest p)``."""
    z = rows[(rows["method"] == method) & rows["p_method"].astype(str).str.startswith(SYNERGY_Z)]
    runs: list[tuple[str, list[float], float]] = []
    for r in records(z.sort_values("day", kind="stable")):
        verdict = _synergy_verdict(r, alpha)
        p = float(r["p_value"]) if value_of(r, "p_value") is not None else math.nan
        if runs and runs[-1][0] == verdict:
            runs[-1][1].append(float(r["day"]))
            runs[-1] = (verdict, runs[-1][1], max(runs[-1][2], p))
        else:
            runs.append((verdict, [float(r["day"])], p))
    return runs


def runs_sentence(rows: pd.DataFrame, alpha: float) -> str:
    """'Day by day (the model refitted to each day): Bliss synergistic on days 16–27 (p ≤
    0.030), not significantly different from additive on days 2–9 and day 30; …' — empty
    when every method has one verdict on every day (the whole-curve sentence says it)."""
    parts = []
    for method, label in SYNERGY_METHODS.items():
        runs = day_runs(rows, method, alpha)
        if len({v for v, _, _ in runs}) < 2:
            continue
        by_verdict: dict[str, list[str]] = {}
        for verdict, days, p in runs:
            bound = f" (p ≤ {fmt(p, 2)})" if verdict in ("synergistic", "antagonistic") else ""
            by_verdict.setdefault(verdict, []).append(_day_list(days) + bound)
        parts.append(
            f"{label} " + ", ".join(f"{v} on {join_words(d)}" for v, d in by_verdict.items())
        )
    if not parts:
        return ""
    return "Day by day (the model refitted to the data up to each day): " + "; ".join(parts) + "."


def _end_reason(study: Study) -> str:
    """Why the whole-curve verdict is read on its day: the study file's ``time_end``, or the
    default (:func:`xenoflow.synergy.shared_end`)."""
    if study.synergy.time_end is not None:
        return "the end set in the study file"
    share = float(study.settings.get("mean_min_fraction", 0.5))
    return f"the last day on which every arm has at least {100 * share:.0f}% of its mice measured"


def _model_time(arm: Mapping[str, Any]) -> float:
    """The model time of the last day fitted (days since time_start, or its square root)."""
    elapsed = float(arm["time_end"]) - float(arm["time_start"])
    return math.sqrt(elapsed) if arm["time_transform"] == "sqrt" else elapsed


def rates_reconciled(model: pd.DataFrame, growth: pd.DataFrame | None) -> str:
    """A sentence when an arm's rate in the synergy model and in the growth model differ in
    sign (empty otherwise): they are different quantities over different days, and a reader
    who meets both needs to be told which is which."""
    if growth is None or growth.empty or model.empty:
        return ""
    k = first_rows(growth, ["arm"])
    differ = [
        str(r["arm"])
        for r in records(model.drop_duplicates("arm"))
        if str(r["arm"]) in k
        and isnum(value_of(k[str(r["arm"])], "growth_rate_per_day"))
        and (float(r["growth_rate"]) > 0) != (float(k[str(r["arm"])]["growth_rate_per_day"]) > 0)
    ]
    if not differ:
        return ""
    r = records(model)[0]
    end = value_of(growth.iloc[0], "model_to_day")
    growth_days = f" to day {fmt_day(end)}" if end is not None else ""
    return (
        f"The synergy model's rate of {join_words(differ)} has the opposite sign of the growth "
        f"model's because the two fits differ: the synergy model fits ln volume relative to "
        f"each mouse's volume on day {fmt_day(r['time_start'])}, to day "
        f"{fmt_day(r['time_end'])}, through the origin (every mouse starts at 0); the growth "
        f"model fits ln volume with its own start per mouse over the follow-up{growth_days}. A "
        "rate near zero can take either sign under the two; the growth model's is the arm's "
        "growth, the synergy model's serves the synergy test."
    )


def synergy_sentences(
    study: Study,
    model: pd.DataFrame,
    synergy: pd.DataFrame,
    exclusions: pd.DataFrame | None = None,
    growth: pd.DataFrame | None = None,
) -> list[str]:
    """One paragraph per combination from ``synergy_model.tsv`` and the whole-study rows
    (last day) of ``synergy.tsv``: the combination's growth rate against the rate expected
    under Bliss independence, and the Bliss, HSA and RA synergy scores with p (z test); then,
    from ``exclusions_synergy`` (rows without a mouse), each analysis that could not be
    computed and why."""
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
            f"(ln relative volume, mixed model to day {fmt_day(last['day'].iloc[0])}, "
            f"{_end_reason(study)}) against "
            f"{fmt(expected)} expected under Bliss independence"
        )
        # SynergyLMM's combination index exp(est·t) at the last day (< 1: synergy)
        combo_rate, t_end = float(rate["combination"]["growth_rate"]), _model_time(rate["control"])
        bliss_ci = math.exp((combo_rate - expected) * t_end)
        hsa_ci = math.exp((combo_rate - float(best["growth_rate"])) * t_end)
        sentences = []
        if "bliss" in by_method:
            sentences.append(
                f"{text}: the Bliss {_score_text(by_method['bliss'], alpha, bliss_ci, True)}."
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
        sentences.append(runs_sentence(rows, alpha))
        others = synergy[(synergy["combination"] == combo) & (synergy["basis"] != "lmm")]
        sentences.append(invivosyn_sentence(others))
        sentences.append(_disagreement(by_method.get("bliss"), others, alpha, last))
        out += [t for t in sentences if t]
    reconcile = rates_reconciled(model, growth)
    return (
        out + ([reconcile] if reconcile else []) + not_computed_sentences(study, model, exclusions)
    )


def not_computed_sentences(
    study: Study, model: pd.DataFrame, exclusions: pd.DataFrame | None
) -> list[str]:
    """'The A + B combination's mixed model could not be fitted: arm Vehicle has no mouse
    left ...' and the like, one per analysis the synergy stage skipped."""
    out = []
    empty = pd.DataFrame(columns=["arm", "mouse_id", "day", "reason"])
    rows = exclusions if exclusions is not None else empty
    no_mouse = rows[rows["mouse_id"].fillna("").astype(str).isin(["", "nan"])]
    for c in study.combinations:
        mine = no_mouse[no_mouse["arm"] == c.arm]["reason"].astype(str).tolist()
        model_why = [
            r.split("SynergyLMM model not fitted: ", 1)[1] for r in mine if "SynergyLMM" in r
        ]
        if c.arm not in set(model["combination"]):
            why = model_why[0] if model_why else "an arm of its design has no mouse left"
            out.append(f"The {c.arm} combination's mixed model could not be fitted: {why}.")
        out += [f"For {c.arm}, {r[0].lower()}{r[1:]}." for r in mine if r.startswith("invivoSyn")]
        days = sorted(
            float(d)
            for d, r in zip(
                no_mouse.loc[no_mouse["arm"] == c.arm, "day"],
                mine,
                strict=True,
            )
            if SKIPPED_DAY in r and pd.notna(d)
        )
        if days:
            listed = ", ".join(f"{d:g}" for d in days)
            out.append(
                f"The {c.arm} combination's day-by-day synergy tests leave out day"
                f"{'s' if len(days) > 1 else ''} {listed}: the data up to "
                f"{'them' if len(days) > 1 else 'it'} hold fewer than two measurement days "
                "after the start, too few to separate a mouse's own growth from the "
                "measurement noise."
            )
    return out

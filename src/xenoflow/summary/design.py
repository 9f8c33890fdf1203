"""Sentences on the design of a next study (this study as the pilot)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from ..config import Study
from ..tables import METHOD_GROWTH_ENDPOINT
from .text import article, fmt, fmt_day, isnum, records

#: endpoint -> its name in the design sentence
DESIGN_ENDPOINTS = {
    "log_volume": "the log-volume endpoint",
    "growth_rate": "the growth-rate endpoint",
    "survival": "the time-to-endpoint (log-rank) endpoint",
}


def _n_text(row: Mapping[str, Any]) -> str:
    if isnum(row["n_needed"]):
        return f"{int(row['n_needed'])} mice per arm"
    return "more than 10000 mice per arm"


def _infeasible(
    endpoint: str, largest: int | None, power: float, formula: Mapping[str, Any] | None
) -> str:
    """'The time-to-endpoint (log-rank) endpoint is not feasible: 15 mice per arm, the most
    simulated, do not reach 80% power (Schoenfeld's formula: 660 mice per arm).'"""
    most = f"{largest} mice per arm, the most simulated," if largest else "the mice simulated"
    text = f"{endpoint[0].upper()}{endpoint[1:]} is not feasible: {most} do not reach "
    text += f"{100 * power:g}% power"
    if formula is not None and isnum(formula.get("n_needed")):
        text += f" (Schoenfeld's formula: {int(formula['n_needed'])} mice per arm)"
    return text + "."


def headline_day(follow_up_days: Iterable[float], reference_day: float) -> float:
    """The follow-up day a design is summarised at: the pilot's reference day when the design
    has it, else its first follow-up day."""
    days = sorted(float(d) for d in follow_up_days)
    return reference_day if reference_day in days else days[0]


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
    study: Study,
    sample_size: pd.DataFrame,
    reference_day: float | None = None,
    control_median_days: float | None = None,
) -> list[str]:
    """The design sentence: mice per arm for the log-volume, growth-rate and survival endpoints
    at the design's middle-most effect (50 % when listed) on the :func:`headline_day`, from
    ``sample_size.tsv`` (``n_needed``). The effect is worded in the report's own terms (a ratio
    of geometric-mean volumes, not the %TGI of the findings); a survival design whose follow-up
    ends before the pilot's control median time to the endpoint is named not feasible."""
    rows = sample_size[sample_size["method"].fillna("") != ""]  # not the note-only rows
    synergy = rows[rows["endpoint"].isin(SYNERGY_ENDPOINTS)]
    rows = rows[~rows["endpoint"].isin(SYNERGY_ENDPOINTS)]
    # survival: times to the endpoint simulated from the growth model when the pilot has
    # them (no exponential-time assumption), else Schoenfeld's formula
    method = rows["method"].fillna("")
    from_growth = method == METHOD_GROWTH_ENDPOINT
    formula = "Freedman|Schoenfeld" if from_growth.any() else "Freedman"
    formulas = rows[method.str.contains("Schoenfeld")]
    rows = rows[~method.str.contains(formula)]
    if rows.empty:
        return ["No design could be computed from this study (see sample_size.tsv)."]
    tgis = sorted(rows["tgi_pct"].unique())
    tgi = 50.0 if 50.0 in tgis else min(tgis, key=lambda t: abs(t - 50.0))
    ref = float("nan") if reference_day is None else float(reference_day)
    day = headline_day(rows["follow_up_days"].unique(), ref)
    at = rows[(rows["tgi_pct"] == tgi) & (rows["follow_up_days"] == day)]
    first = at.iloc[0]
    schoenfeld = formulas[(formulas["tgi_pct"] == tgi) & (formulas["follow_up_days"] == day)]
    formula_row = records(schoenfeld)[0] if len(schoenfeld) else None
    largest = max(study.design.n_per_arm) if study.design is not None else None
    shown = [r for r in records(at) if r["endpoint"] in DESIGN_ENDPOINTS]
    simulated_out = [
        r for r in shown if r["method"] == METHOD_GROWTH_ENDPOINT and not isnum(r["n_needed"])
    ]
    listed = [
        f"{_n_text(r)} for {DESIGN_ENDPOINTS[r['endpoint']]}"
        for r in shown
        if r not in simulated_out
    ]
    text = (
        "no feasible number of mice"
        if not listed
        else listed[0]
        if len(listed) == 1
        else ", ".join(listed[:-1]) + " and " + listed[-1]
    )
    sentence = (
        f"To detect {article(f'{tgi:g}')}% growth inhibition on day {day:g} (a treated/control "
        f"ratio of geometric-mean volumes of {fmt(1 - tgi / 100)}; the %T/C and %TGI above use "
        f"arithmetic means) with {100 * float(first['target_power']):g}% power (two-sided "
        f"alpha = {float(first['alpha']):g}), a two-arm study needs {text}, given this "
        "study's variability."
    )
    out = [sentence]
    out += [
        _infeasible(
            DESIGN_ENDPOINTS[r["endpoint"]], largest, float(first["target_power"]), formula_row
        )
        for r in simulated_out
    ]
    out += synergy_design_sentences(synergy, day)
    if (
        "survival" in set(at["endpoint"])
        and control_median_days is not None
        and isnum(control_median_days)
        and day < float(control_median_days)
    ):
        out.append(
            f"The survival design's follow-up ends on day {day:g}, before the pilot's control "
            f"median time to the endpoint ({fmt_day(control_median_days)} days): most control "
            "mice would not reach the endpoint in time."
        )
    missing = sample_size[
        (sample_size["method"].fillna("") == "") & sample_size["tgi_pct"].isna()
    ]  # the note-only rows about a whole endpoint
    if not study.combinations:  # synergy power does not apply: nothing to say about it
        missing = missing[missing["endpoint"] != "synergy"]
    if len(missing):
        why = [f"{r['endpoint']} ({r['note']})" for _, r in missing.iterrows()]
        out.append(f"Not computed: {'; '.join(why)}.")  # one sentence for what is missing
    return out

"""Sentences on the design of a next study (this study as the pilot)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from ..config import Study
from ..power import METHOD_GROWTH_ENDPOINT
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
    if row["method"] == METHOD_GROWTH_ENDPOINT:  # simulated on the design's grid of n only
        return "more mice per arm than the design evaluated"
    return "more than 10000 mice per arm"


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
        f"To detect {article(f'{tgi:g}')}% growth inhibition on day {day:g} with "
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

"""The reference day: the day a study's treated arms are compared with the control at.

%T/C, %TGI, fold-change reduction and the other versus-control metrics are reported for every
measured day (``efficacy.tsv``); the reference day is the one the summary, the forest plot and
the cross-study table quote. By default it is the last day on which every arm still has at
least 80% of its mice measured (late enough to show an effect, early enough that the means are
not those of the few mice whose tumours have not yet reached the endpoint: at 50% the day falls
after the largest tumours have left, and the comparison is of survivors), then 50%, with
documented fallbacks when no such day exists (:func:`choose_reference_day`).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import pandas as pd

from .errors import InputError
from .stats import complete_rows


def _mice_per_day(measurements: pd.DataFrame) -> tuple[Counter[str], Counter[tuple[float, str]]]:
    """Mice per arm over the study, and distinct mice measured per (day, arm)."""
    data = complete_rows(measurements, ["volume_mm3"])
    rows = set(zip(data["arm"].tolist(), data["mouse_id"].tolist(), data["day"].tolist()))
    size = Counter(arm for arm, _ in {(arm, mouse) for arm, mouse, _ in rows})
    measured = Counter((float(day), arm) for arm, _, day in rows)
    return size, measured


def _last_day_with(measurements: pd.DataFrame, min_fraction: float, at_least: int) -> float:
    """Last day on which every arm has ≥ max(``at_least``, ``min_fraction``·size) mice measured
    (NaN when no day qualifies)."""
    size, measured = _mice_per_day(measurements)
    ok = [
        day
        for day in {day for day, _ in measured}
        if all(measured[(day, arm)] >= max(at_least, min_fraction * n) for arm, n in size.items())
    ]
    return float(max(ok)) if ok else math.nan


def thin_control_days(
    measurements: pd.DataFrame, control: str, min_fraction: float = 0.5
) -> dict[float, str]:
    """Days on which the control is measured, but on fewer than ``min_fraction`` of its mice
    (analysis setting ``mean_min_fraction``), each with why: no treated arm is compared with
    the control there, since its mean is that of the few mice not yet at the endpoint (the
    slowest growers), and past the control's follow-up a comparison would be an
    extrapolation. Empty when the control is not in the data."""
    size, measured = _mice_per_day(measurements)
    n = size.get(control, 0)
    return {
        day: (
            f"control measured on {k} of {n} mice on day {day:g} (fewer than "
            f"{min_fraction:.0%}): no comparison with it"
        )
        for (day, arm), k in sorted(measured.items())
        if arm == control and k < min_fraction * n
    }


def control_end(measurements: pd.DataFrame, control: str, min_fraction: float = 0.5) -> float:
    """Last day on which the control has at least ``min_fraction`` of its mice measured (NaN
    when it never has): the last day a treated arm can be compared with it."""
    size, measured = _mice_per_day(measurements)
    n = size.get(control, 0)
    days = [d for (d, arm), k in measured.items() if arm == control and k >= min_fraction * n]
    return max(days) if days and n else math.nan


#: Fractions of every arm's mice measured that the default reference day asks for, in order
#: of preference (:func:`choose_reference_day`).
DEFAULT_FRACTIONS = (0.8, 0.5)


def default_reference_day(measurements: pd.DataFrame, min_fraction: float | None = None) -> float:
    """Last day on which every arm still has at least ``min_fraction`` of its mice measured
    (default: 80%, else 50%, :data:`DEFAULT_FRACTIONS`).

    An arm's size is its number of mice (distinct ``mouse_id``) over the whole study; a day
    qualifies when each arm has a measurement from ≥ ``min_fraction``·size mice that day (so
    every arm must be measured on it). Raises :class:`InputError` when no day qualifies.
    This is the default ``reference_day`` of a study (study schema).
    """
    fractions = DEFAULT_FRACTIONS if min_fraction is None else (min_fraction,)
    for fraction in fractions:
        day = _last_day_with(measurements, fraction, 1)
        if not math.isnan(day):
            return day
    raise InputError(
        "measurement table: no day on which every arm still has at least "
        f"{fractions[-1]:.0%} of its mice measured; set 'reference_day' in the study file"
    )


@dataclass(frozen=True)
class ReferenceDay:
    """The day the versus-control metrics are reported at (NaN: none), and why, when it is
    not the study's ``reference_day`` nor the default rule's day."""

    day: float
    note: str = ""


def choose_reference_day(
    measurements: pd.DataFrame, reference_day: float | None = None
) -> ReferenceDay:
    """The study's ``reference_day`` (must be a measured day), else, in this order:

    1. the last day on which every arm has ≥ 80% of its mice measured (so the means on it are
       not those of the mice that survived the endpoint);
    2. the last day on which every arm has ≥ 50% of its mice measured, with a note;
    3. the last day on which every arm has at least one mouse measured (attrition left no
       day with half of every arm), with a note;
    4. none (NaN; arms measured on disjoint schedules): the versus-control metrics are given
       per day only, with a note.

    Per-mouse and per-curve metrics (fold change, AUC, mRECIST, growth rates) do not depend
    on this day, so a study, or a panel model, always gets them (Xeva and TumGrowth compute
    them per curve without a common day).
    """
    if reference_day is not None:
        return ReferenceDay(resolve_reference_day(measurements, reference_day))
    day = _last_day_with(measurements, DEFAULT_FRACTIONS[0], 1)
    if not math.isnan(day):
        return ReferenceDay(day)
    day = _last_day_with(measurements, DEFAULT_FRACTIONS[1], 1)
    if not math.isnan(day):
        return ReferenceDay(
            day,
            "no day on which every arm still has at least 80% of its mice measured: "
            f"comparisons with the control are reported on day {day:g}, the last day on "
            "which every arm has at least 50% of its mice measured (the means there are "
            "those of the mice not yet at the endpoint)",
        )
    day = _last_day_with(measurements, 0.0, 1)
    if not math.isnan(day):
        return ReferenceDay(
            day,
            "no day on which every arm still has at least 50% of its mice measured: "
            f"comparisons with the control are reported on day {day:g}, the last day on "
            "which every arm has at least one mouse measured",
        )
    return ReferenceDay(
        math.nan,
        "no day on which every arm is measured: no reference day; comparisons with the "
        "control are reported per day (efficacy.tsv), per-mouse metrics are unaffected",
    )


def resolve_reference_day(measurements: pd.DataFrame, reference_day: float | None = None) -> float:
    """The study's ``reference_day`` if set (must be a measured day), else the default."""
    if reference_day is None:
        return default_reference_day(measurements)
    days = set(measurements["day"].astype(float))
    if float(reference_day) not in days:
        raise InputError(
            f"study key 'reference_day': day {reference_day:g} has no measurement "
            f"(measured days: {', '.join(f'{d:g}' for d in sorted(days))})"
        )
    return float(reference_day)

"""Visit windows: staggered measurement calendars aligned to the study's scheduled visits.

Comparisons of arms by day (per-day arm summaries, %T/C and the other versus-control metrics,
the reference day, the per-day mixed-model comparisons) match measurements by day. When the
arms, or the mice of one arm, are measured on different calendars (the control on days 0, 3,
7, 10 and a treated arm on days 0, 4, 8, 11; a cage measured a day after the others), exact
matching leaves out the mice measured a day off, and %T/C is based on few or no mice.

Contract research organisations schedule the measurements of a study on fixed visit days and
accept each measurement within a visit window around them (a ±1 day window is the common
practice for caliper measurements two or three times a week; the same allowance as the visit
windows of clinical protocols, e.g. ICH E3 §9.5 / CDISC ADaM ``AVISIT`` analysis windows, in
which each assessment is assigned to the nearest scheduled visit within the window). The rule
(:func:`align`):

1. Scheduled visits = the days the control arm is measured (volume present); when control
   days lie within the window of one another (the control's own mice on staggered days), the
   day more control mice share is the visit (ties: the earlier day) and the other is not,
   unless a mouse is measured on both (then both are visits). Without the control arm: the
   days of all mice, likewise.
2. Every measurement on a day that is not a scheduled visit is assigned to the nearest visit
   at most ``window`` days away (``visit_window_days``, study file; default 1; 0 turns the
   alignment off). A measurement equally near two visits, or with none within the window,
   keeps its day.
3. A measurement that would share its visit with another measurement of the same mouse (the
   mouse is measured on the visit day itself, or two of its off-schedule measurements fall in
   the same window) keeps its day; it is listed.

Only the comparison stages use the visit day; ``measurements.tsv`` keeps the measured day, and
per-mouse quantities that integrate over time (fold change from the baseline, AUC, time to an
endpoint, mRECIST) use the measured day. Each re-dated measurement, and each one left on its
day by a collision, is listed in the stage's exclusions with its arm, mouse, measured day and
the visit. Studies whose arms share one calendar have nothing to re-date, so their numbers are
unchanged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Set
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .io import exclusions_frame

#: Default half-width (days) of a visit window (``visit_window_days`` in the study file).
DEFAULT_WINDOW_DAYS = 1.0


@dataclass(frozen=True)
class Aligned:
    """:func:`align`'s result: ``visit_day`` per row of the input (the measured day where not
    re-dated), the scheduled visits, and the listed rows ``(arm, mouse_id, day, reason)``."""

    visit_day: np.ndarray
    visits: tuple[float, ...]
    listed: tuple[tuple[str, str, float, str], ...]

    @property
    def changed(self) -> bool:
        return bool(self.listed)

    def exclusions(self, stage: str) -> pd.DataFrame:
        """The listed rows as exclusions of ``stage``."""
        return exclusions_frame((stage, a, m, d, why) for a, m, d, why in self.listed)


def scheduled_visits(mice_on: Mapping[float, Set[Hashable]], window: float) -> list[float]:
    """Visit days from the mice measured on each day: most-shared days first (ties: the
    earlier), each kept unless a kept day lies within ``window`` of it on which none of its
    mice is measured (the two days are halves of one staggered visit; days on which the same
    mice are measured are both visits)."""
    kept: list[float] = []
    for day in sorted(mice_on, key=lambda d: (-len(mice_on[d]), d)):
        if all(abs(day - k) > window or mice_on[day] & mice_on[k] for k in kept):
            kept.append(day)
    return sorted(kept)


def align(measurements: pd.DataFrame, control: str, window: float | None) -> Aligned:
    """Assign each measurement to its scheduled visit (module docstring). ``measurements``:
    ``arm, mouse_id, day, volume_mm3`` (rows without a volume or day keep their day and do not
    define visits)."""
    day = measurements["day"].to_numpy(dtype=float)
    visit_day = day.copy()
    if window is None or not window > 0 or not len(measurements):
        return Aligned(visit_day, (), ())
    arm = [str(a) for a in measurements["arm"].tolist()]
    mouse = [str(m) for m in measurements["mouse_id"].tolist()]
    present = ~np.isnan(day)
    if "volume_mm3" in measurements:
        present &= ~np.isnan(measurements["volume_mm3"].to_numpy(dtype=float))
    rows: list[int] = np.flatnonzero(present).tolist()
    source = [i for i in rows if arm[i] == control] or rows
    mice_on: dict[float, set[tuple[str, str]]] = {}
    for i in source:
        mice_on.setdefault(float(day[i]), set()).add((arm[i], mouse[i]))
    visits = scheduled_visits(mice_on, window)
    if not visits:
        return Aligned(visit_day, (), ())
    grid = np.asarray(visits)
    on_visit = set(visits)
    # candidate visit of each off-schedule measurement
    target: dict[int, float] = {}
    for i in rows:
        d = float(day[i])
        if d in on_visit:
            continue
        gap = np.abs(grid - d)
        near = np.flatnonzero(gap == gap.min())
        if gap.min() <= window and near.size == 1:
            target[i] = float(grid[near[0]])
    if not target:
        return Aligned(visit_day, tuple(visits), ())
    taken = Counter(
        (arm[i], mouse[i], float(day[i])) for i in range(len(day)) if not np.isnan(day[i])
    )
    wanted = Counter((arm[i], mouse[i], v) for i, v in target.items())
    listed: list[tuple[str, str, float, str]] = []
    for i, v in sorted(target.items(), key=lambda iv: (arm[iv[0]], mouse[iv[0]], day[iv[0]])):
        key = (arm[i], mouse[i], v)
        d = float(day[i])
        if taken[key] or wanted[key] > 1:
            other = "measured on that day" if taken[key] else "measured twice in that window"
            listed.append(
                (
                    arm[i],
                    mouse[i],
                    d,
                    f"measured on day {d:g}, off the visit schedule: not compared at visit day "
                    f"{v:g} (the mouse is {other}); kept on day {d:g}",
                )
            )
            continue
        visit_day[i] = v
        listed.append(
            (
                arm[i],
                mouse[i],
                d,
                f"measured on day {d:g}: compared at visit day {v:g} (visit window ±{window:g} "
                "day; measured day kept in measurements.tsv)",
            )
        )
    return Aligned(visit_day, tuple(visits), tuple(listed))


def redate(frame: pd.DataFrame, aligned: Aligned, measurements: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (rows of ``measurements``, the frame :func:`align` got, in any order or
    subset: ``arm, mouse_id, day``) with ``day`` replaced by the visit day; the same frame
    when nothing was re-dated."""
    moved = np.flatnonzero(aligned.visit_day != measurements["day"].to_numpy(dtype=float))
    moved = moved[~np.isnan(aligned.visit_day[moved])]
    if not moved.size or not len(frame):
        return frame
    arm, mouse = measurements["arm"].to_numpy(), measurements["mouse_id"].to_numpy()
    day = measurements["day"].to_numpy(dtype=float)
    to = {(str(arm[i]), str(mouse[i]), float(day[i])): float(aligned.visit_day[i]) for i in moved}
    keys = zip(
        frame["arm"].astype(str).tolist(),
        frame["mouse_id"].astype(str).tolist(),
        frame["day"].to_numpy(dtype=float).tolist(),
    )
    return frame.assign(day=np.array([to.get(k, k[2]) for k in keys], dtype=float))


def window_of(study: Any) -> float:
    """The study's visit window (days): ``visit_window_days``, default 1."""
    value = getattr(study, "visit_window_days", None)
    return DEFAULT_WINDOW_DAYS if value is None else float(value)


def align_study(study: Any, measurements: pd.DataFrame) -> Aligned:
    """:func:`align` with the study's control and window (``measurements``: the study's
    measurement table, every row: each comparison stage aligns the same rows, so they agree
    on the visits)."""
    return align(measurements, study.control, window_of(study))


def comparison_days(study: Any, measurements: pd.DataFrame) -> tuple[pd.DataFrame, Aligned]:
    """The measurement table with ``day`` = the visit day, and the alignment."""
    aligned = align_study(study, measurements)
    return redate(measurements, aligned, measurements), aligned

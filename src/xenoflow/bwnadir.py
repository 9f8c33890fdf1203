"""The body-weight nadir of a ``what_if`` regimen, predicted from the dose–nadir relation the
study observed, and whether it crosses the tolerability limit.

Data: one point per arm of the regimen's agent with body weights after baseline — the control
(x = 0) and each dosed arm of the agent whose doses have amounts in the regimen's unit. The
response y is the arm's group-mean nadir, min_t of the arm-mean %ΔBW (``group_mean_nadir_pct``
of ``tolerability.tsv``, the NCI "mean body-weight nadir" the tolerability verdict reads,
:mod:`xenoflow.tolerability`); the predictor x is the arm's **largest single administration**.

Model: ordinary least squares y = a + b·x (statsmodels ``OLS``) and the 95 % prediction interval
of a new arm's nadir, ŷ ± t_{m−2}·s·√(1 + 1/m + (x − x̄)²/S_xx) (``get_prediction`` ``obs_ci``;
Draper & Smith 1998, §3.1), m the number of arms in the fit. The largest single
administration, not the total, is the predictor because a dose's weight loss is acute and
transient: the dip follows each administration and recovers within about a week, so the
deepest dip follows the largest one, and splitting a total spares weight (the clinical
observation behind fractionated CLR 131, Cellectar 2018). Where the relation bends (a dip
more than proportional to the dose), a straight line is wrong between the doses; the residual
SD of the line then grows and widens the interval, which is why the prediction is given only
between observed doses.

Withheld, with the reason (an honest refusal beats a confident wrong number):

* fewer than :data:`MIN_DOSED_ARMS` dosed arms of the agent with body weights (with the
  control, a line through 3 points has 1 residual degree of freedom);
* the regimen is outside the doses observed — its largest single administration, its total
  or its number of administrations outside the range of the arms in the fit (the control
  counts as 0): the line would be extrapolated, and a regimen with more administrations than
  any arm stacks dips the data never showed;
* doses without amounts, or in another unit than the arms'.

Limit: the verdict's group-mean nadir limit L = −``toxic_nadir_pct`` (20 % by default,
:class:`xenoflow.config.Tolerability`; NCI/DTP convention). ``crosses``: ``yes`` when the whole
prediction interval lies at or below L, ``no`` when it lies above L, ``possibly`` otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .config import Dose, Study, WhatIf, display_unit
from .tables import columns

#: Dosed arms (of the regimen's agent, with body weights) needed for a prediction.
MIN_DOSED_ARMS = 3
#: The what-if table's columns this module fills.
COLUMNS = (
    "predicted_bw_nadir_pct",
    "bw_nadir_pi_low",
    "bw_nadir_pi_high",
    "bw_nadir_limit_pct",
    "bw_nadir_crosses_limit",
    "bw_nadir_note",
)


@dataclass(frozen=True)
class Point:
    """One arm in the dose–nadir fit: largest single administration, total, number of
    administrations and group-mean nadir (percent)."""

    arm: str
    single: float
    total: float
    n_doses: int
    nadir: float


def _doses(doses: Sequence[Dose], unit: str | None) -> tuple[float, float, int] | None:
    """(largest single administration, total, number) of doses with amounts in ``unit``
    (None: an amount is missing or in another unit)."""
    if any(d.amount is None or d.unit != unit for d in doses):
        return None
    amounts = [float(d.amount or 0.0) for d in doses]
    return max(amounts, default=0.0), sum(amounts), len(amounts)


def dose_points(study: Study, tolerability: pd.DataFrame, what: WhatIf) -> list[Point]:
    """The control and the dosed arms of the regimen's agent with a group-mean nadir, in the
    regimen's dose unit."""
    nadir = dict(zip(tolerability["arm"], tolerability["group_mean_nadir_pct"], strict=True))
    unit = what.doses[0].unit if what.doses else None
    out = []
    for arm in study.arms:
        y = float(nadir.get(arm.name, math.nan))
        if not math.isfinite(y):
            continue
        if arm.name == study.control and not arm.doses:
            out.append(Point(arm.name, 0.0, 0.0, 0, y))
        elif arm.doses and (arm.agent or arm.name) == what.agent and (x := _doses(arm.doses, unit)):
            out.append(Point(arm.name, *x, y))
    return out


def _outside(points: list[Point], regimen: tuple[float, float, int], unit: str) -> str:
    """'' or which of the regimen's doses lies outside those of ``points``, in words."""
    single, total, n = regimen
    unit = display_unit(unit)
    checks = (
        ("largest single administration", single, [p.single for p in points], f" {unit}"),
        ("total", total, [p.total for p in points], f" {unit}"),
        ("number of administrations", n, [p.n_doses for p in points], ""),
    )
    for what, value, seen, u in checks:
        low, high = min(seen), max(seen)
        if not low - 1e-9 <= value <= high + 1e-9:
            return (
                f"its {what} ({value:g}{u}) is outside the {low:g}{u} to {high:g}{u} observed, "
                "and the dose–nadir line is not extrapolated"
            )
    return ""


def _fit_line(points: list[Point], x: float, alpha: float) -> tuple[float, float, float]:
    """(ŷ, prediction-interval low, high) of the OLS line of nadir on largest single dose."""
    # the two modules, not statsmodels.api, which imports all of statsmodels (~0.2 s more)
    from statsmodels.regression.linear_model import OLS
    from statsmodels.tools.tools import add_constant

    xs = np.array([p.single for p in points])
    ys = np.array([p.nadir for p in points])
    fitted = OLS(ys, add_constant(xs)).fit()
    frame = fitted.get_prediction(np.array([[1.0, x]])).summary_frame(alpha=alpha)
    return (
        float(frame["mean"].iloc[0]),
        float(frame["obs_ci_lower"].iloc[0]),
        float(frame["obs_ci_upper"].iloc[0]),
    )


def crosses(low: float, high: float, limit: float) -> str:
    """yes / possibly / no: the prediction interval against the limit (module docstring)."""
    if high <= limit:
        return "yes"
    return "no" if low > limit else "possibly"


def _withheld(
    points: list[Point], regimen: tuple[float, float, int] | None, unit: str | None, agent: str
) -> str:
    """'' when the nadir can be predicted, else why not (module docstring)."""
    dosed = sum(1 for p in points if p.n_doses)
    if not points:
        return f"neither the control nor an arm of {agent} has body weights after baseline"
    if regimen is None or unit is None:
        return "the regimen's doses have no amounts in one unit"
    if dosed < MIN_DOSED_ARMS:
        have = {0: "no dosed arm has", 1: "only 1 dosed arm has"}.get(
            dosed, f"only {dosed} dosed arms have"
        )
        return (
            f"{have} body weights and doses of {agent} in the regimen's unit, and a "
            f"dose–nadir line needs {MIN_DOSED_ARMS}"
        )
    return _outside(points, regimen, unit)


def predict_nadir(
    study: Study, tolerability: pd.DataFrame, what: WhatIf, alpha: float
) -> dict[str, Any]:
    """The what-if table's nadir columns (:data:`COLUMNS`) for one regimen: the prediction
    with its interval and verdict, or NaN with the reason in ``bw_nadir_note``."""
    limit = -float(study.tolerability.toxic_nadir_pct)
    out: dict[str, Any] = {c: math.nan for c in COLUMNS[:3]}
    out.update(bw_nadir_limit_pct=limit, bw_nadir_crosses_limit="")
    unit = what.doses[0].unit if what.doses else None
    regimen = _doses(what.doses, unit) if what.doses else None
    points = dose_points(study, tolerability, what) if len(tolerability) else []
    if why := _withheld(points, regimen, unit, what.agent):
        return out | {"bw_nadir_note": f"withheld: {why}"}
    assert regimen is not None and unit is not None  # _withheld says why otherwise
    pred, low, high = _fit_line(points, regimen[0], alpha)
    arms = ", ".join(f"{p.arm} ({p.single:g} {display_unit(unit)})" for p in points)
    return out | {
        "predicted_bw_nadir_pct": pred,
        "bw_nadir_pi_low": low,
        "bw_nadir_pi_high": high,
        "bw_nadir_crosses_limit": crosses(low, high, limit),
        "bw_nadir_note": f"OLS of the group-mean nadirs of {arms} on the largest single "
        "administration; 95% prediction interval",
    }


def add_to_what_if(
    what_if: pd.DataFrame, study: Study, tolerability: pd.DataFrame, alpha: float
) -> pd.DataFrame:
    """``what_if.tsv`` with each ``what_if`` regimen's nadir columns on its rows; a regimen
    the growth model does not predict gets one row without a day holding only its nadir."""
    if not study.what_if or what_if.empty:
        return what_if
    nadirs = pd.DataFrame(
        [{"name": w.name, **predict_nadir(study, tolerability, w, alpha)} for w in study.what_if]
    )
    out = what_if.drop(columns=[c for c in COLUMNS if c in what_if])
    predicted = set(out.loc[out["kind"] == "what_if", "name"])
    extra = [
        {
            "name": w.name,
            "kind": "what_if",
            "agent": w.agent,
            "schedule": "; ".join(d.describe() for d in w.doses),
        }
        for w in study.what_if
        if w.name not in predicted
    ]
    if extra:
        out = pd.concat([out, pd.DataFrame(extra)], ignore_index=True)
    out["n_observed"] = out["n_observed"].fillna(0).astype(int)
    # names are unique across arms and regimens (config), so only what_if rows match
    out = out.merge(nadirs, on="name", how="left", validate="many_to_one")
    return out.reindex(columns=columns("what_if"))


def nadir_rows(what_if: pd.DataFrame) -> Mapping[str, dict[str, Any]]:
    """The nadir columns of each what-if regimen (its first row), by name."""
    if what_if.empty or "bw_nadir_note" not in what_if:
        return {}
    rows = what_if[(what_if["kind"] == "what_if") & what_if["bw_nadir_note"].notna()]
    first = rows.drop_duplicates("name")
    return {str(r["name"]): dict(r) for _, r in first.iterrows()}

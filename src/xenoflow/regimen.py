"""Dosing regimens: cumulative dose, dose intensity, radioactive decay and body-surface-area
conversions, and the comparison of the regimens of one agent.

Formulas (``../shared/reference/tolerability_regimen.md`` §1.2):

* cumulative dose D_cum = Σ_k d_k; dose interval = mean gap between consecutive doses; dose
  intensity DI = D_cum / (n·interval) per week (the schedule's length, each dose covering one
  interval; not defined for a single dose). Standard clinical-oncology definitions
  (Hryniuk & Bush 1984, J Clin Oncol 2:1281);
* radioactive decay A(t) = A0·e^(−λt), λ = ln 2/T½; effective decay λ_eff = λ_phys + λ_biol,
  i.e. 1/T_eff = 1/T_phys + 1/T_biol (Saha, Physics and Radiobiology of Nuclear Medicine, ch. 3);
  activity present just after dose k: A_k^+ = Σ_{j ≤ k} A_j·e^(−λ_eff (t_k − t_j));
* cumulated (time-integrated) activity of instantaneous uptake and mono-exponential clearance:
  Ã = Σ_k A_k/λ_eff (unit·day; MIRD, Saha eqs. 14.13–14.17). With linear kinetics splitting a
  dose does not change Ã;
* body-surface-area scaling (FDA CDER 2005, Guidance for Industry: Estimating the Maximum Safe
  Starting Dose ..., Table 1; Freireich et al. 1966 Cancer Chemother Rep 50:219):
  Km = BW(kg)/BSA(m²), mouse Km = 3, human Km = 37; dose per m² = dose per kg × Km; human
  equivalent dose HED (per kg) = animal dose (per kg) × 3/37. The mouse's BSA is taken as
  BW/Km = BW(kg)/3 m² from each mouse's own weight at dosing. BSA scaling is an empirical rule
  for the toxicity of small molecules; for a radiopharmaceutical the equivalence should rest on
  absorbed dose (Ã × S, MIRD), not on BSA.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .config import Agent, Arm, Study
from .isotopes import ISOTOPES, Isotope  # noqa: F401 (part of the regimen vocabulary)
from .tables import columns

#: Km = BW/BSA (kg/m²), FDA 2005 Table 1 (Freireich et al. 1966).
KM_MOUSE = 3.0
KM_HUMAN = 37.0
ACTIVITY_UNITS = ("uCi", "mCi", "MBq")
#: per-mouse units: normalised by the mouse's own weight at dosing
PER_MOUSE_UNITS = ("mg", *ACTIVITY_UNITS)
BSA_NOTE = (
    "per m2 with the mouse's BSA = BW(kg)/Km, Km = 3; human-equivalent dose by BSA "
    "(FDA 2005 guidance, Km 3 -> 37)"
)
RADIO_CAVEAT = (
    "BSA scaling is an empirical rule for small-molecule toxicity; for a radiopharmaceutical "
    "compare absorbed doses (cumulated activity x S, MIRD), not the HED"
)


def decay_constant(agent: Agent) -> float:
    """λ_eff = ln 2/T_phys + ln 2/T_biol (per day; the biological term only when given)."""
    lam = math.log(2) / agent.half_life_days
    if agent.biological_half_life_days:
        lam += math.log(2) / agent.biological_half_life_days
    return lam


def activity_after_doses(
    days: Sequence[float], amounts: Sequence[float], lam: float
) -> list[float]:
    """A_k^+ = Σ_{j ≤ k} A_j·e^(−λ(t_k − t_j)): activity present just after each dose."""
    t = np.asarray(days, float)
    a = np.asarray(amounts, float)
    return [float(np.sum(a[: k + 1] * np.exp(-lam * (t[k] - t[: k + 1])))) for k in range(len(t))]


def cumulated_activity(amounts: Sequence[float], lam: float) -> float:
    """Ã = Σ_k A_k/λ_eff (unit·day): the area under the decaying activity of every dose."""
    return float(np.sum(np.asarray(amounts, float)) / lam)


def to_per_kg(unit: str) -> tuple[str, float]:
    """(unit of the dose per kg, factor from the dose unit per kg) — mg/m2 -> mg/kg: ÷ Km."""
    if unit == "mg/kg":
        return "mg/kg", 1.0
    if unit == "mg/m2":
        return "mg/kg", 1.0 / KM_MOUSE
    return f"{unit}/kg", float("nan")  # per mouse: divide by the weight at dosing


def _weight_at(bw: pd.DataFrame, day: float) -> pd.Series:
    """Each mouse's weight at a dose day: its last weighing on or before the day, else its
    first weighing after it (kg), indexed by mouse."""
    before = bw[bw["day"] <= day].groupby("mouse_id", sort=False)["body_weight_g"].last()
    after = bw[bw["day"] > day].groupby("mouse_id", sort=False)["body_weight_g"].first()
    return before.combine_first(after) / 1000.0


def _per_kg(arm: Arm, unit: str, measurements: pd.DataFrame) -> float:
    """Mean over the arm's mice of Σ_k d_k/BW_k (kg) for per-mouse units; NaN without weights."""
    if "body_weight_g" not in measurements:
        return float("nan")
    bw = measurements[(measurements["arm"] == arm.name) & measurements["body_weight_g"].notna()]
    if bw.empty:
        return float("nan")
    bw = bw.sort_values(["mouse_id", "day"], kind="mergesort")
    total = pd.Series(0.0, index=pd.Index(bw["mouse_id"].unique()))
    for d in arm.doses:
        total = total + float(d.amount or 0.0) / _weight_at(bw, d.day)
    return float(total.mean())


def regimen_table(study: Study, measurements: pd.DataFrame) -> pd.DataFrame:
    """``regimen.tsv``: one row per arm with doses (module docstring for every formula).

    Doses without an amount count in ``n_doses`` and ``dose_days`` only; an arm whose doses
    mix units gets no cumulative dose (``note`` says so).
    """
    rows = []
    for arm in study.arms:
        if not arm.doses:
            continue
        doses = sorted(arm.doses, key=lambda d: d.day)
        days = [d.day for d in doses]
        units = {d.unit for d in doses if d.amount is not None}
        row: dict[str, object] = {
            "arm": arm.name,
            "agent": arm.agent or "",
            "n_doses": len(doses),
            "dose_days": ";".join(f"{d:g}" for d in days),
            "dose_interval_days": float(np.mean(np.diff(days))) if len(days) > 1 else math.nan,
        }
        notes: list[str] = []
        amounts = [float(d.amount) for d in doses if d.amount is not None]
        if len(units) == 1 and len(amounts) == len(doses) and None not in units:
            unit = str(next(iter(units)))
            cum = float(sum(amounts))
            row.update(cumulative_dose=cum, dose_unit=unit)
            interval = row["dose_interval_days"]
            if len(days) > 1:
                row["dose_intensity_per_week"] = cum / (len(days) * float(interval) / 7.0)  # type: ignore[arg-type]
            agent = study.agents.get(arm.agent or "")
            if agent is not None and unit in ACTIVITY_UNITS:
                lam = decay_constant(agent)
                row["effective_half_life_days"] = math.log(2) / lam
                row["cumulated_activity"] = cumulated_activity(amounts, lam)
                row["activity_after_each_dose"] = ";".join(
                    f"{a:.4g}" for a in activity_after_doses(days, amounts, lam)
                )
            elif agent is not None:
                notes.append(f"agent {agent.name} is radioactive but the dose unit is {unit}")
            per_unit, factor = to_per_kg(unit)
            per_kg = (
                cum * factor if unit not in PER_MOUSE_UNITS else _per_kg(arm, unit, measurements)
            )
            if math.isfinite(per_kg):
                row.update(
                    dose_per_kg_unit=per_unit,
                    cumulative_dose_per_kg=per_kg,
                    cumulative_dose_per_m2=per_kg * KM_MOUSE,
                    hed_per_kg=per_kg * KM_MOUSE / KM_HUMAN,
                )
                notes.append(BSA_NOTE)
                if unit in ACTIVITY_UNITS or agent is not None:
                    notes.append(RADIO_CAVEAT)
            elif unit in PER_MOUSE_UNITS:
                notes.append("dose per mouse and no body weights: no dose per kg or m2")
        else:
            notes.append("doses without an amount or in mixed units: no cumulative dose")
        row["note"] = "; ".join(notes)
        rows.append(row)
    out_cols = columns("regimen")
    if not rows:
        return pd.DataFrame(columns=out_cols)
    out = pd.DataFrame(rows)
    return out.reindex(columns=out_cols)


def regimen_pairs(study: Study) -> list[tuple[str, str]]:
    """Pairs (arm, reference) of arms with the same agent: the later-listed arm against the
    earlier one, in study order (as the survival tests between treated arms)."""
    arms = [a for a in study.arms if a.agent]
    return [
        (later.name, earlier.name)
        for i, earlier in enumerate(arms)
        for later in arms[i + 1 :]
        if later.agent == earlier.agent
    ]


def _pick(df: pd.DataFrame | None, where: Mapping[str, object], col: str) -> float:
    if df is None or df.empty or col not in df:
        return math.nan
    mask = np.ones(len(df), dtype=bool)
    for k, v in where.items():
        mask &= (df[k] == v).to_numpy()
    hit = df.loc[mask, col]
    return float(hit.iloc[0]) if len(hit) and pd.notna(hit.iloc[0]) else math.nan


def _pair_row(df: pd.DataFrame | None, arm: str, ref: str, col: str) -> tuple[float, float]:
    """A between-arm statistic of the pair, either way round: (value, sign) with sign −1 when
    the table has it as ref vs arm (a difference changes sign, a ratio is inverted)."""
    value = _pick(df, {"arm": arm, "reference": ref}, col)
    if math.isfinite(value):
        return value, 1.0
    return _pick(df, {"arm": ref, "reference": arm}, col), -1.0


def _pair_ratio(
    df: pd.DataFrame | None, arm: str, ref: str, col: str, name: str
) -> dict[str, float]:
    """A ratio and its CI (``col``, ``col_ci_low``, ``col_ci_high``) of the pair as
    ``name``, ``name_ci_low``, ``name_ci_high``, arm over reference: a row stored the other
    way round is inverted (CI limits swapped)."""
    ratio, sign = _pair_row(df, arm, ref, col)
    lo, _ = _pair_row(df, arm, ref, f"{col}_ci_low")
    hi, _ = _pair_row(df, arm, ref, f"{col}_ci_high")
    if sign < 0:
        ratio, lo, hi = (1 / v if v else math.nan for v in (ratio, hi, lo))
    return {name: ratio, f"{name}_ci_low": lo, f"{name}_ci_high": hi}


def regimen_comparison(
    study: Study,
    regimen: pd.DataFrame,
    tolerability: pd.DataFrame,
    growth_contrasts: pd.DataFrame | None,
    efficacy: pd.DataFrame | None,
    survival_tests: pd.DataFrame | None,
    event_free_tests: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``regimen_comparison.tsv``: each pair of arms with the same agent
    (:func:`regimen_pairs`): cumulative dose and cumulated activity of each, efficacy side by
    side (growth-rate difference arm − reference from the mixed model's contrast with CI and
    Wald p, %T/C of each at the reference day, median-survival ratio arm/reference with its CI
    and the log-rank p of the pair; the event-free survival hazard ratio and log-rank p, toxic
    deaths counted as events, from ``event_free_tests``) and tolerability side by side
    (group-mean nadir, mice with ≥ 20 % loss, toxic deaths, verdict). Tests are those the
    growth and survival stages already ran for the pair; a contrast stored the other way round
    is negated (difference) or inverted (ratio, CI limits swapped)."""
    out_cols = columns("regimen_comparison")
    pairs = regimen_pairs(study)
    if not pairs:
        return pd.DataFrame(columns=out_cols)
    ref_day = (
        efficacy[efficacy["is_reference_day"].astype(bool)]
        if efficacy is not None and len(efficacy)
        else None
    )
    rows = []
    for arm, ref in pairs:
        row: dict[str, object] = {"arm": arm, "reference": ref}
        row["agent"] = study.arm(arm).agent
        for side, name in (("arm", arm), ("reference", ref)):
            row[f"cumulative_dose_{side}"] = _pick(regimen, {"arm": name}, "cumulative_dose")
            row[f"cumulated_activity_{side}"] = _pick(regimen, {"arm": name}, "cumulated_activity")
            row[f"tc_pct_{side}"] = _pick(ref_day, {"arm": name}, "tc_pct")
            row[f"group_mean_nadir_pct_{side}"] = _pick(
                tolerability, {"arm": name}, "group_mean_nadir_pct"
            )
            row[f"n_loss_ge_20pct_{side}"] = _pick(tolerability, {"arm": name}, "n_loss_ge_20pct")
            row[f"toxic_deaths_{side}"] = _pick(tolerability, {"arm": name}, "toxic_deaths")
            verdict = tolerability.loc[tolerability["arm"] == name, "verdict"]
            row[f"verdict_{side}"] = str(verdict.iloc[0]) if len(verdict) else ""
        units = regimen.loc[regimen["arm"].isin([arm, ref]), "dose_unit"].dropna().unique()
        row["dose_unit"] = units[0] if len(units) == 1 else ""
        est, sign = _pair_row(growth_contrasts, arm, ref, "estimate")
        lo, _ = _pair_row(growth_contrasts, arm, ref, "ci_low")
        hi, _ = _pair_row(growth_contrasts, arm, ref, "ci_high")
        row["rate_diff"] = sign * est
        row["rate_diff_ci_low"], row["rate_diff_ci_high"] = (lo, hi) if sign > 0 else (-hi, -lo)
        row["rate_diff_p"], _ = _pair_row(growth_contrasts, arm, ref, "p_value")
        row.update(_pair_ratio(survival_tests, arm, ref, "median_ratio", "median_ratio"))
        row["logrank_p"], _ = _pair_row(survival_tests, arm, ref, "logrank_p")
        row.update(_pair_ratio(event_free_tests, arm, ref, "hr", "efs_hr"))
        row["efs_logrank_p"], _ = _pair_row(event_free_tests, arm, ref, "logrank_p")
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=out_cols)

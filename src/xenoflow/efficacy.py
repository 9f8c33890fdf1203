"""Efficacy metrics of treated arms against the control arm, with bootstrap confidence intervals.

Everything here is a plain function: tidy DataFrame in, DataFrame out. Input is the canonical
measurement table (``arm, mouse_id, day, volume_mm3``; a mouse is the pair (arm, mouse_id)).
Definitions follow ``../shared/reference/anchors.md`` §2.5 (invivoSyn), §2.7 (Hather 2014) and
§2.8 (NCI / standard definitions: Plowman et al. 1997, Hollingshead 2008):

Per mouse (``per_mouse_metrics``)
    baseline ``V0`` = the mouse's volume on ``baseline_day`` when the study sets one, else its
    last measurement at most 7 days before treatment start when measurements precede it
    (:func:`xenoflow.baseline.resolve`; earlier measurements are left out, listed), else its
    first measurement; fold change ``FC(t) = V(t)/V0``; volume change ``ΔV(t) = V(t) − V0``;
    cumulative AUC(t) = trapezoid ∫ V dt from the baseline day to t (raw volume, Xeva
    ``R/auc.R``; mm³·days).

Per arm and measured day (``arm_day_summary``) — mice measured on that day only; in a study
    (``analyse_study``) the day is the scheduled visit (:mod:`xenoflow.visits`: staggered
    calendars aligned within ``visit_window_days``, each re-dated measurement listed), so the
    per-day summaries, the versus-control metrics, the reference day and the reference-day
    tests compare mice measured a day off; per-mouse quantities use the measured day
    n_mice, mean, SD, SEM = SD/√n (ddof 1), median volume; arithmetic and geometric mean of
    per-mouse FC; mean ΔV; mean AUC.

Against the control on the same day (``efficacy_table``)
    - %T/C = 100·mean V_T / mean V_C (means, not medians); NCI activity band: ≤ 10 % high,
      ≤ 42 % active (minimum activity), else inactive; ratio C/T = mean V_C / mean V_T.
    - fold-change reduction = 100·(1 − FC_T/FC_C), FC = arm mean of per-mouse fold changes
      (a control that grew 25-fold and a treated arm that grew 12.5-fold → 50 %).
    - %TGI (volume change) = 100·(1 − ΔT/ΔC), ΔT, ΔC = arm means of per-mouse V(t) − V0
      (invivoSyn ``getTGI`` on ΔTV; equals the arm-mean definition T(t) − T(t0) when no mouse
      drops out, and stays unbiased when some do). When ΔT < 0 the arm regressed:
      ``regression_pct`` = 100·(T(t0) − T(t))/T(t0) over the same mice (positive number =
      percent shrinkage from baseline; anchors §2.8 write it as 100·ΔT/T(t0) < 0); ``tgi_pct``
      is then > 100 and kept as computed.
    - %TGI (final volume) = 100·(1 − T(t)/C(t)) = 100 − %T/C.
    - AUC ratio = mean AUC_T(t) / mean AUC_C(t).

Confidence intervals (``bootstrap_ci``)
    Stratified nonparametric bootstrap over mice (each arm resampled with replacement to its
    own size, arms independently; invivoSyn ``getTGI``), ``settings["bootstrap_resamples"]``
    resamples drawn from ``numpy.random.default_rng(settings["seed"])`` arm by arm in study
    order, so reruns give identical numbers. Percentile intervals at ``settings["alpha"]``
    (``numpy.nanquantile``, linear = R type 7); resamples in which a metric is undefined (no
    resampled mouse measured that day, ΔC = 0) are ignored. A whole mouse is resampled, so
    its measurements keep their correlation over days.

Tumour growth delay and log cell kill (``growth_delay``)
    T − C, with T and C the Kaplan–Meier median time for tumours of the arm to reach a volume
    threshold (mice that never reach it are censored; KM median and its CI from
    :func:`xenoflow.survival.km_median_ci`, R-exact). Gross log cell kill =
    (T − C)/(3.32·Td); net log cell kill = ((T − C) − treatment duration)/(3.32·Td), Td = the
    control doubling time ln 2 / k_control (days), 3.32 ≈ 1/log10(2) as in the classical
    formula (Bissery et al. 1991; anchors §2.8). Demidenko (2010) criticises this formula
    and shows that under exponential regrowth the delay equals the difference in doubling
    times (scaled by the number of doublings to the threshold); that model-based delay is
    reported next to it (``model_growth_delay_days``, :func:`exponential_growth_delay`, from
    the growth stage's per-arm rates), so the two can be compared.
    When a Kaplan–Meier curve is flat at exactly 50% over an interval (:func:`xenoflow.km.
    median_flat`), every day of it is a median: R ``survfit`` and Prism quote its midpoint, a
    convention (anchors §2.9). ``median_time_days`` keeps that value with ``median_unique``
    FALSE, but no T − C (nor log cell kill) is given for an arm whose median, or the
    control's, is not unique: the note gives the range of T − C the flat steps allow.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import baseline, endpoint_tests, visits
from .config import Study
from .errors import InputError
from .io import exclusions_frame
from .km import km_median_ci, median_flat
from .refday import choose_reference_day, thin_control_days
from .response import name_toxic_deaths, response_summary, response_table
from .stats import complete_rows, positions
from .survival import endpoints_from_volumes
from .tables import columns

STAGE = "efficacy"

#: Default fold of baseline volume for the growth-delay threshold when the study has no
#: ``endpoint_volume_mm3`` (4 × V0, anchors §2.8; ``settings["endpoint_fold"]`` overrides).
DEFAULT_DELAY_FOLD = 4.0
#: 3.32 ≈ 1/log10(2): converts doubling times to decades of cells (classical log cell kill).
LOG_CELL_KILL_FACTOR = 3.32

EFFICACY_COLUMNS = columns("efficacy")
#: Fewest mice an arm needs for a bootstrap CI (one mouse resampled is the mouse itself).
MIN_MICE_BOOTSTRAP = 2

GROWTH_DELAY_COLUMNS = columns("growth_delay")
MOUSE_COLUMNS = columns("efficacy_per_mouse")


# ---------------------------------------------------------------------------------- helpers


def _exclusion(arm: str, mouse: str, day: float | None, reason: str) -> dict[str, Any]:
    return {
        "stage": STAGE,
        "arm": arm,
        "mouse_id": mouse,
        "day": np.nan if day is None else day,
        "reason": reason,
    }


def _check_measurements(measurements: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("arm", "mouse_id", "day", "volume_mm3") if c not in measurements]
    if missing:
        raise InputError(f"measurement table: missing column(s) {', '.join(missing)}")
    # the four columns as text and floats, built as arrays (a frame copy and four column
    # conversions cost more than the rows of a panel model)
    arm = np.array([str(a) for a in measurements["arm"].tolist()], dtype=object)
    mouse = np.array([str(m) for m in measurements["mouse_id"].tolist()], dtype=object)
    day = measurements["day"].to_numpy(dtype=float)
    keys = list(
        zip(arm.tolist(), mouse.tolist(), [None if d != d else d for d in day.tolist()])
    )  # NaN days are one day
    if len(set(keys)) < len(keys):
        count = Counter(keys)
        i = next(i for i, key in enumerate(keys) if count[key] > 1)
        raise InputError(
            f"measurement table: mouse {mouse[i]} of arm {arm[i]} is measured "
            f"twice on day {day[i]:g}; expected one row per mouse and day"
        )
    return pd.DataFrame(
        {
            "arm": arm,
            "mouse_id": mouse,
            "day": day,
            "volume_mm3": measurements["volume_mm3"].to_numpy(dtype=float),
        },
        index=measurements.index,
    )


def _arm_order(data: pd.DataFrame, arms: Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys(data["arm"]))
    if arms is None:
        return present
    return [a for a in arms if a in present] + [a for a in present if a not in arms]


def nci_activity(tc_pct: float) -> str:
    """NCI activity band of a %T/C value (Plowman et al. 1997; anchors §2.7–2.8).

    ``high`` for %T/C ≤ 10, ``active`` for ≤ 42 (the NCI minimum-activity criterion),
    ``inactive`` above 42; empty when %T/C is undefined.
    """
    if tc_pct is None or not np.isfinite(tc_pct):
        return ""
    if tc_pct <= 10:
        return "high"
    if tc_pct <= 42:
        return "active"
    return "inactive"


# ---------------------------------------------------------------------------------- per mouse


def per_mouse_metrics(
    measurements: pd.DataFrame,
    baseline_day: float | None = None,
    checked: bool = False,
    window_days: float | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per measurement: baseline volume, fold change, volume change and cumulative AUC.

    Returns ``(table, exclusions)``. ``table`` has the measurement columns plus
    ``baseline_day, baseline_volume_mm3, fold_change, delta_volume_mm3, auc_mm3_days``.
    Baseline V0 = volume on ``baseline_day`` if given, else the mouse's first measurement.
    FC = V/V0, ΔV = V − V0, AUC(t) = Σ (t_k − t_{k−1})(V_k + V_{k−1})/2 from the baseline day
    to t (NaN before it). A mouse without a measurement on ``baseline_day`` has no baseline:
    its volumes still count for mean volume and %T/C, but not for FC, ΔV, TGI or AUC (one
    exclusion row). A zero baseline makes FC undefined (NaN, one exclusion row); ΔV and AUC
    are still computed. Measurements without a volume are excluded (one row each).
    ``checked``: ``measurements`` already passed :func:`_check_measurements`.
    ``window_days`` (a treatment-start baseline, :func:`xenoflow.baseline.resolve`): V0 = the
    mouse's last measurement from ``baseline_day − window_days`` to ``baseline_day``.
    """
    data = measurements if checked else _check_measurements(measurements)
    excl: list[dict[str, Any]] = []
    for _, r in data[data["volume_mm3"].isna()].iterrows():
        excl.append(_exclusion(r["arm"], r["mouse_id"], r["day"], "no volume"))
    data = complete_rows(data, ["volume_mm3"])
    # rows of a mouse by day; mice (and arms) keep their order of first appearance. Computed
    # on arrays: a panel runs this for each of its hundreds of models, and the grouped pandas
    # version (kept in tests/test_efficacy.py as the reference) cost ~12 frame operations
    keys = list(zip(data["arm"].tolist(), data["mouse_id"].tolist()))
    ids: dict[tuple[str, str], int] = {}
    rank = np.array([ids.setdefault(k, len(ids)) for k in keys], dtype=np.int64)
    order = np.lexsort((data["day"].to_numpy(float), rank))
    rank = rank[order]
    columns = {c: data[c].to_numpy()[order] for c in ("arm", "mouse_id", "day", "volume_mm3")}
    days, volumes = columns["day"].astype(float), columns["volume_mm3"].astype(float)
    if baseline_day is None:  # the first row of each mouse
        base = np.flatnonzero(np.r_[True, rank[1:] != rank[:-1]]) if rank.size else rank
    elif window_days is None:  # _check_measurements refuses a mouse measured twice on a day
        base = np.flatnonzero(days == float(baseline_day))
    else:  # the last row of each mouse in the window (rows sorted by mouse, then day)
        b = float(baseline_day)
        inside = np.flatnonzero((days >= b - window_days) & (days <= b))
        base = inside[np.r_[rank[inside][1:] != rank[inside][:-1], True]] if inside.size else inside
    v0_of, day0_of = np.full(len(ids), np.nan), np.full(len(ids), np.nan)
    v0_of[rank[base]], day0_of[rank[base]] = volumes[base], days[base]
    has_base = np.zeros(len(ids), dtype=bool)
    has_base[rank[base]] = True
    missing = (
        ""
        if baseline_day is None
        else f"no measurement on baseline day {baseline_day:g}"
        if window_days is None
        else f"no measurement in the {window_days:g} days up to treatment start (day "
        f"{baseline_day:g})"
    )
    for (arm, mouse), i in ids.items():
        if not has_base[i]:
            excl.append(
                _exclusion(arm, mouse, None, f"{missing}: left out of fold change, TGI and AUC")
            )
        elif v0_of[i] == 0:
            excl.append(
                _exclusion(
                    arm,
                    mouse,
                    None,
                    "baseline volume 0: fold change undefined (left out of "
                    "fold change; kept for TGI and AUC)",
                )
            )
    v0, day0 = v0_of[rank], day0_of[rank]
    with np.errstate(all="ignore"):  # as pandas' arithmetic (inf and NaN are results here)
        columns["baseline_day"], columns["baseline_volume_mm3"] = day0, v0
        columns["fold_change"] = np.where(v0 > 0, volumes / v0, np.nan)
        columns["delta_volume_mm3"] = volumes - v0
        columns["auc_mm3_days"] = _cumulative_auc(days, volumes, rank, days >= day0)
    return pd.DataFrame(columns), exclusions_frame(excl)


def _cumulative_auc(
    days: np.ndarray, volumes: np.ndarray, mouse: np.ndarray, counted: np.ndarray
) -> np.ndarray:
    """Cumulative trapezoid AUC per mouse over the ``counted`` rows (rows sorted by mouse and
    day; NaN elsewhere): piece (t_k − t_{k−1})(V_k + V_{k−1})/2, 0 on a mouse's first counted
    row (and where NaN), summed with Kahan compensation as pandas' grouped ``cumsum`` does."""
    out = np.full(days.size, np.nan)
    rows = np.flatnonzero(counted)
    if not rows.size:
        return out
    t, v, m = days[rows], volumes[rows], mouse[rows]
    same = np.r_[False, m[1:] == m[:-1]]
    piece = np.zeros(rows.size)
    prev = np.flatnonzero(same)
    piece[prev] = (t[prev] - t[prev - 1]) * (v[prev] + v[prev - 1]) / 2
    piece[np.isnan(piece)] = 0.0
    total = compensation = 0.0
    sums = []
    for value, continued in zip(piece.tolist(), same.tolist()):
        if not continued:
            total = compensation = 0.0
        y = value - compensation
        t_new = total + y
        compensation = t_new - total - y
        total = t_new
        sums.append(total)
    out[rows] = sums
    return out


def auc_per_mouse(
    measurements: pd.DataFrame, baseline_day: float | None = None, until_day: float | None = None
) -> pd.DataFrame:
    """Per-mouse trapezoid AUC of raw volume (mm³·days), Xeva ``R/auc.R`` (anchors §2.1).

    From the mouse's baseline (``baseline_day`` or first measurement) to its last measurement
    on or before ``until_day`` (all measurements when None). Columns ``arm, mouse_id,
    first_day, last_day, auc_mm3_days``.
    """
    table, _ = per_mouse_metrics(measurements, baseline_day)
    table = table.dropna(subset=["auc_mm3_days"])
    if until_day is not None:
        table = table[table["day"] <= until_day]
    g = table.groupby(["arm", "mouse_id"], sort=False)
    return pd.DataFrame(
        {
            "first_day": g["baseline_day"].first(),
            "last_day": g["day"].last(),
            "auc_mm3_days": g["auc_mm3_days"].last(),
        }
    ).reset_index()


def mouse_summary(
    per_mouse: pd.DataFrame, reference_day: float, visit_day: np.ndarray | None = None
) -> pd.DataFrame:
    """One row per mouse: baseline, last measured day, AUC to the last measurement and to the
    reference day, volume and fold change at the reference day (empty when not measured then).
    ``visit_day`` (per row of ``per_mouse``, :mod:`xenoflow.visits`): the day each row is
    compared at, which the reference day is matched against (default: the measured day).

    ``per_mouse`` from :func:`per_mouse_metrics`; AUC as there (trapezoid of raw volume from the
    baseline day, Xeva ``R/auc.R``). Columns ``arm, mouse_id, baseline_day,
    baseline_volume_mm3, last_day, auc_mm3_days, auc_reference_mm3_days,
    reference_volume_mm3, reference_fold_change``.
    """
    rows_of = positions(zip(per_mouse["arm"].tolist(), per_mouse["mouse_id"].tolist()))
    col = {
        c: per_mouse[c].to_numpy(dtype=float)
        for c in (
            "baseline_day",
            "baseline_volume_mm3",
            "day",
            "auc_mm3_days",
            "volume_mm3",
            "fold_change",
        )
    }
    out: list[tuple[Any, ...]] = []
    for (arm, mouse), rows in rows_of.items():
        r = np.asarray(rows)
        day, auc = col["day"][r], col["auc_mm3_days"][r]
        compared = day if visit_day is None else visit_day[r]
        at = r[compared == reference_day]
        out.append(
            (
                arm,
                mouse,
                _first_value(col["baseline_day"][r]),
                _first_value(col["baseline_volume_mm3"][r]),
                np.fmax.reduce(day),
                _last_value(auc),
                _last_value(auc[compared <= reference_day]),
                col["volume_mm3"][at[0]] if at.size else np.nan,
                col["fold_change"][at[0]] if at.size else np.nan,
            )
        )
    names = MOUSE_COLUMNS
    columns = list(zip(*out)) or [()] * len(names)
    return pd.DataFrame(
        {
            n: np.array(v, dtype=object if n in ("arm", "mouse_id") else float)
            for n, v in zip(names, columns)
        }
    )


def _first_value(values: np.ndarray) -> float:
    """First non-missing value (NaN if none), as pandas' group ``first``."""
    present = values[~np.isnan(values)]
    return float(present[0]) if present.size else np.nan


def _last_value(values: np.ndarray) -> float:
    present = values[~np.isnan(values)]
    return float(present[-1]) if present.size else np.nan


# ----------------------------------------------------------------------------- arm summaries


def arm_day_summary(per_mouse: pd.DataFrame, arms: Sequence[str] | None = None) -> pd.DataFrame:
    """Per arm and measured day: n, mean/SD/SEM/median volume, mean and geometric-mean FC,
    mean ΔV and mean AUC over the mice measured that day (``per_mouse`` from
    :func:`per_mouse_metrics`). SEM = SD/√n with SD the n−1 standard deviation (NaN for n = 1).
    Geometric mean FC = exp(mean ln FC) (0 when a mouse's FC is 0); geometric mean volume =
    exp(mean ln V) likewise (0 when a mouse's volume is 0), as Prism's column statistics.
    """
    order = _arm_order(per_mouse, arms)
    out = _one_mouse_per_arm_day(per_mouse)
    if out is None:
        out = _grouped_summary(per_mouse)
    rank = out["arm"].map({a: i for i, a in enumerate(order)}).to_numpy()
    day = out["day"].to_numpy()
    if np.all((rank[1:] > rank[:-1]) | ((rank[1:] == rank[:-1]) & (day[1:] > day[:-1]))):
        return out  # already in arm order, days ascending (one mouse per arm, for one)
    out["_order"] = rank
    return out.sort_values(["_order", "day"]).drop(columns="_order").reset_index(drop=True)


def _grouped_summary(per_mouse: pd.DataFrame) -> pd.DataFrame:
    """:func:`arm_day_summary`'s statistics per (arm, day), groups in first-seen order."""
    with np.errstate(divide="ignore"):
        logfc = np.log(per_mouse["fold_change"])
        logv = np.log(per_mouse["volume_mm3"])
    # one grouping, one aggregation call: separate per-column Series would be aligned on
    # their (arm, day) index, which cost more than the statistics
    out = (
        per_mouse.assign(_logfc=logfc, _logv=logv)
        .groupby(["arm", "day"], sort=False)
        .agg(
            n_mice=("volume_mm3", "count"),
            mean_volume_mm3=("volume_mm3", "mean"),
            sd_volume_mm3=("volume_mm3", "std"),
            median_volume_mm3=("volume_mm3", "median"),
            geomean_volume_mm3=("_logv", "mean"),
            n_mice_fold_change=("fold_change", "count"),
            mean_fold_change=("fold_change", "mean"),
            geomean_fold_change=("_logfc", "mean"),
            mean_delta_volume_mm3=("delta_volume_mm3", "mean"),
            mean_baseline_volume_mm3=("baseline_volume_mm3", "mean"),
            mean_auc_mm3_days=("auc_mm3_days", "mean"),
        )
    )
    out["geomean_fold_change"] = np.exp(out["geomean_fold_change"])
    out["geomean_volume_mm3"] = np.exp(out["geomean_volume_mm3"])
    out["sem_volume_mm3"] = out["sd_volume_mm3"] / np.sqrt(out["n_mice"])
    return out.reset_index()


def _one_mouse_per_arm_day(per_mouse: pd.DataFrame) -> pd.DataFrame | None:
    """:func:`arm_day_summary`'s table before ordering when every (arm, day) has one row (a
    panel model: one mouse per arm), None otherwise. A mean of one value is the value, its
    median too, its n − 1 SD is NaN, and exp(mean ln FC) = exp(ln FC), which is what the
    grouped path computes; the grouping itself cost more than the rest of the table."""
    arm, day = per_mouse["arm"].to_numpy(), per_mouse["day"].to_numpy()
    if (
        not len(arm)
        or pd.isna(day).any()
        or pd.isna(arm).any()
        or len(set(zip(arm.tolist(), day.tolist()))) < len(arm)
    ):
        return None
    volume, fc = (per_mouse[c].to_numpy(dtype=float) for c in ("volume_mm3", "fold_change"))
    with np.errstate(divide="ignore", invalid="ignore"):
        geomean = np.exp(np.log(fc))
        # exp(ln v), not v: bit-identical to the grouped path's exp(mean ln v) of one mouse
        geomean_volume = np.exp(np.log(volume))
    nan = np.full(len(arm), np.nan)
    return pd.DataFrame(
        {
            "arm": arm,
            "day": day,
            "n_mice": (~np.isnan(volume)).astype(np.int64),
            "mean_volume_mm3": volume,
            "sd_volume_mm3": nan,
            "median_volume_mm3": volume,
            "geomean_volume_mm3": geomean_volume,
            "n_mice_fold_change": (~np.isnan(fc)).astype(np.int64),
            "mean_fold_change": fc,
            "geomean_fold_change": geomean,
            **{
                f"mean_{c}": per_mouse[c].to_numpy(dtype=float)
                for c in ("delta_volume_mm3", "baseline_volume_mm3", "auc_mm3_days")
            },
            "sem_volume_mm3": nan,
        }
    )


def versus_control(
    summary: pd.DataFrame, control: str, thin_days: Collection[float] = ()
) -> pd.DataFrame:
    """Point estimates of the comparative metrics of every treated arm-day row of ``summary``
    (:func:`arm_day_summary`) against the control's means on the same day (NaN on control rows,
    days the control is not measured, ``thin_days`` on which too few control mice are
    (:func:`xenoflow.refday.thin_control_days`), and wherever a ratio is undefined):

    %T/C = 100·V̄_T/V̄_C; C/T = V̄_C/V̄_T; %TGI = 100·(1 − ΔV̄_T/ΔV̄_C); final-volume TGI = 100 − %T/C;
    FC reduction = 100·(1 − FC̄_T/FC̄_C); AUC ratio = AUC̄_T/AUC̄_C; % regression = −100·ΔV̄_T/V̄0_T
    when ΔV̄_T < 0 (anchors §2.2–2.5).
    """
    cols = ["mean_volume_mm3", "mean_delta_volume_mm3", "mean_fold_change", "mean_auc_mm3_days"]
    ctrl = summary.loc[summary["arm"] == control].drop_duplicates("day").set_index("day")[cols]
    ctrl = ctrl[~ctrl.index.isin(list(thin_days))]
    treated = ((summary["arm"] != control) & summary["day"].isin(ctrl.index)).to_numpy()

    def pair(col: str) -> tuple[np.ndarray, np.ndarray]:
        t = summary[col].to_numpy(dtype=float)
        c = summary["day"].map(ctrl[col]).to_numpy(dtype=float)
        return np.where(treated, t, np.nan), c

    (v_t, v_c), (d_t, d_c) = pair("mean_volume_mm3"), pair("mean_delta_volume_mm3")
    (f_t, f_c), (a_t, a_c) = pair("mean_fold_change"), pair("mean_auc_mm3_days")
    base = np.where(treated, summary["mean_baseline_volume_mm3"].to_numpy(dtype=float), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        tc = 100.0 * v_t / v_c
        out = {
            "fold_change_reduction_pct": 100.0 * (1.0 - f_t / f_c),
            "tc_pct": tc,
            "ratio_c_t": v_c / v_t,
            "tgi_pct": 100.0 * (1.0 - d_t / d_c),
            "regression_pct": np.where(d_t < 0, -100.0 * d_t / base, np.nan),
            "tgi_final_pct": 100.0 - tc,
            "auc_ratio": a_t / a_c,
        }
    return pd.DataFrame(
        {k: np.where(np.isfinite(v), v, np.nan) for k, v in out.items()}, index=summary.index
    )


# ---------------------------------------------------------------------------------- bootstrap


def _arm_matrices(per_mouse: pd.DataFrame, arm: str, days: np.ndarray) -> dict[str, np.ndarray]:
    sub = per_mouse[per_mouse["arm"] == arm]
    mats = {}
    for col in ("volume_mm3", "fold_change", "delta_volume_mm3"):
        wide = sub.pivot(index="mouse_id", columns="day", values=col).reindex(columns=days)
        mats[col] = wide.to_numpy(dtype=float)
    return mats


def _resample_counts(rng: np.random.Generator, n: int, resamples: int) -> np.ndarray:
    """(resamples × n) matrix: how often each mouse appears in each resample."""
    idx = rng.integers(0, n, size=(resamples, n))
    flat = idx + n * np.arange(resamples)[:, None]
    return np.bincount(flat.ravel(), minlength=resamples * n).reshape(resamples, n).astype(float)


def _boot_means(weights: np.ndarray, mat: np.ndarray) -> np.ndarray:
    """(resamples × days) weighted means ignoring NaN (mice not measured that day)."""
    present = np.isfinite(mat)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (weights @ np.where(present, mat, 0.0)) / (weights @ present)


def bootstrap_ci(
    per_mouse: pd.DataFrame,
    control: str,
    arms: Sequence[str] | None = None,
    resamples: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Percentile bootstrap CIs per arm and day (stratified over mice; see module docstring).

    Returns ``arm, day`` and ``<metric>_ci_low/_ci_high`` for ``mean_fold_change`` (every arm)
    and, for treated arms, ``fold_change_reduction``, ``tc``, ``tgi`` and ``tgi_final``.
    Vectorised: one (resamples × mice) count matrix per arm, means by matrix products.
    """
    order = _arm_order(per_mouse, arms)
    days = np.sort(per_mouse["day"].unique())
    rng = np.random.default_rng(seed)
    boots: dict[str, dict[str, np.ndarray]] = {}
    n_mice = _mice_per_arm(per_mouse)
    for arm in order:
        if n_mice.get(arm, 0) < MIN_MICE_BOOTSTRAP:
            continue  # no CI for this arm (and none against it); efficacy_table notes why
        mats = _arm_matrices(per_mouse, arm, days)
        w = _resample_counts(rng, mats["volume_mm3"].shape[0], resamples)
        boots[arm] = {k: _boot_means(w, m) for k, m in mats.items()}
    q = [alpha / 2, 1 - alpha / 2]

    def quant(x: np.ndarray) -> np.ndarray:
        x = np.where(np.isfinite(x), x, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanquantile(x, q, axis=0)  # (2 × days), NaN where all undefined

    if not boots:  # no arm has enough mice (e.g. a panel model): no CI columns at all
        return pd.DataFrame(
            {
                "arm": np.repeat(np.array(order, dtype=object), len(days)),
                "day": np.tile(days, len(order)),
            }
        )
    frames = []
    for arm in order:
        if arm not in boots:
            frames.append(pd.DataFrame({"arm": arm, "day": days}))
            continue
        b = boots[arm]
        res = {"mean_fold_change": quant(b["fold_change"])}
        if arm != control and control in boots:
            c = boots[control]
            with np.errstate(divide="ignore", invalid="ignore"):
                tc = 100.0 * b["volume_mm3"] / c["volume_mm3"]
                res["tc"] = quant(tc)
                res["tgi_final"] = quant(100.0 - tc)
                res["tgi"] = quant(100.0 * (1.0 - b["delta_volume_mm3"] / c["delta_volume_mm3"]))
                res["fold_change_reduction"] = quant(
                    100.0 * (1.0 - b["fold_change"] / c["fold_change"])
                )
        frame = pd.DataFrame({"arm": arm, "day": days})
        for name, (lo, hi) in res.items():
            frame[f"{name}_ci_low"], frame[f"{name}_ci_high"] = lo, hi
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------ main table


def efficacy_table(
    measurements: pd.DataFrame,
    control: str,
    arms: Sequence[str] | None = None,
    baseline_day: float | None = None,
    reference_day: float | None = None,
    settings: Mapping[str, Any] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per arm and measured day: volumes, fold change, %T/C, %TGI (both), regression, AUC
    ratio and bootstrap CIs (definitions in the module docstring).

    ``settings`` needs ``seed``, ``bootstrap_resamples`` and ``alpha`` (defaults 0, 2000,
    0.05). Comparative columns are empty for the control arm and on days the control is not
    measured. ``is_reference_day`` marks ``reference_day`` (or the day :func:`xenoflow.refday.choose_reference_day` chooses).
    Returns ``(table, exclusions)`` with ``EFFICACY_COLUMNS``.
    """
    per_mouse, excl = per_mouse_metrics(measurements, baseline_day)
    return table_from_per_mouse(per_mouse, control, arms, reference_day, settings), excl


def table_from_per_mouse(
    per_mouse: pd.DataFrame,
    control: str,
    arms: Sequence[str] | None = None,
    reference_day: float | None = None,
    settings: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """:func:`efficacy_table` from the output of :func:`per_mouse_metrics`."""
    settings = dict(settings or {})
    summary = arm_day_summary(per_mouse, arms)
    chosen = choose_reference_day(per_mouse, reference_day)
    ref, ref_note = chosen.day, chosen.note
    thin = thin_control_days(per_mouse, control, float(settings.get("mean_min_fraction", 0.5)))
    table = pd.concat([summary, versus_control(summary, control, thin)], axis=1)
    table["nci_activity"] = [
        nci_activity(x) if pd.notna(x) else ""
        for x in table.get("tc_pct", pd.Series(np.nan, index=table.index))
    ]
    ci = bootstrap_ci(
        per_mouse,
        control,
        arms,
        int(settings.get("bootstrap_resamples", 2000)),
        int(settings.get("seed", 0)),
        float(settings.get("alpha", 0.05)),
    )
    if len(ci.columns) > 2:  # without replicates there are only the keys to join
        table = table.merge(ci, on=["arm", "day"], how="left")
    # the added columns are collected and the table built once (a column insertion each cost
    # more than its values on the small tables of panel models)
    n = len(table)
    added: dict[str, Any] = {}
    # CIs only where the point estimate exists
    for name, point in (
        ("tc", "tc_pct"),
        ("tgi", "tgi_pct"),
        ("tgi_final", "tgi_final_pct"),
        ("fold_change_reduction", "fold_change_reduction_pct"),
        ("mean_fold_change", "mean_fold_change"),
    ):
        exists = table[point].notna().to_numpy() if point in table else np.zeros(n, dtype=bool)
        for side in ("low", "high"):
            col = f"{name}_ci_{side}"
            ci = table[col].to_numpy(dtype=float) if col in table else np.nan
            added[col] = np.where(exists, ci, np.nan)
    added["is_reference_day"] = table["day"].to_numpy() == ref
    at_ref = table[(table["arm"] == control) & (table["day"] == ref)]
    fc_c = float(at_ref["mean_fold_change"].iloc[0]) if len(at_ref) else math.nan
    little = (
        f"control grew {fc_c:.3g}-fold by day {ref:g}, less than 2-fold: ratios to it are "
        "imprecise (wide intervals)"
        if fc_c < 2
        else ""
    )
    added["note"] = np.array(
        [
            (
                "; ".join(
                    x
                    for x in (
                        ref_note,
                        note,
                        thin.get(day, "") if arm != control else "",
                        little if arm == control and day == ref else "",
                    )
                    if x
                )
            )
            for arm, day, note in zip(
                table["arm"].tolist(),
                table["day"].tolist(),
                skip_notes(per_mouse, table["arm"], control),
                strict=True,
            )
        ],
        dtype=object,
    )
    return pd.DataFrame(
        {
            col: added[col]
            if col in added
            else table[col].to_numpy()
            if col in table
            else np.full(n, np.nan)
            for col in EFFICACY_COLUMNS
        }
    )


def skip_notes(per_mouse: pd.DataFrame, arms: Iterable[str], control: str) -> list[str]:
    """Why comparisons or CIs are missing on each row's arm: no control arm in the data
    (nothing to compare with), or fewer than ``MIN_MICE_BOOTSTRAP`` mice (no bootstrap CI)."""
    n_mice = _mice_per_arm(per_mouse)
    has_control = control in n_mice
    notes = []
    for arm in arms:
        parts = []
        if not has_control:
            parts.append(
                f"no control arm '{control}' in the data: comparisons with control skipped"
            )
        elif arm != control and n_mice.get(control, 0) < MIN_MICE_BOOTSTRAP:
            parts.append(
                f"control has {n_mice.get(control, 0)} mouse: no bootstrap CI of comparisons"
            )
        if n_mice.get(arm, 0) < MIN_MICE_BOOTSTRAP:
            parts.append(
                f"{n_mice.get(arm, 0)} mouse in this arm: no bootstrap CI (needs "
                f">= {MIN_MICE_BOOTSTRAP} mice)"
            )
        notes.append("; ".join(parts))
    return notes


def _mice_per_arm(per_mouse: pd.DataFrame) -> dict[str, int]:
    mice = set(zip(per_mouse["arm"].tolist(), per_mouse["mouse_id"].tolist()))
    return Counter(arm for arm, _ in mice)


def reference_day_rows(efficacy: pd.DataFrame) -> pd.DataFrame:
    """The rows of an efficacy table at its reference day."""
    return efficacy[efficacy["is_reference_day"].astype(bool)].reset_index(drop=True)


# ------------------------------------------------------------------ growth delay, cell kill


def doubling_time_days(growth_model: pd.DataFrame, control: str) -> float:
    """Control doubling time Td = ln 2 / k (days), k = the control arm's
    ``growth_rate_per_day`` (slope of ln volume, growth-model table). NaN when k ≤ 0 or absent.
    """
    rows = growth_model[growth_model["arm"].astype(str) == control]
    if rows.empty:
        return float("nan")
    k = float(rows["growth_rate_per_day"].iloc[0])
    return math.log(2) / k if np.isfinite(k) and k > 0 else float("nan")


def treatment_duration_days(dose_days: Sequence[float]) -> float:
    """Treatment duration from the dosing schedule = last − first dose day (0 for a single
    dose; NaN when no dose is listed). Used for net log cell kill."""
    days = [float(d) for d in dose_days]
    return max(days) - min(days) if days else float("nan")


def log_cell_kill(
    delay_days: float, doubling_time: float, treatment_duration: float | None = None
) -> tuple[float, float]:
    """Gross and net log10 cell kill (anchors §2.8; Bissery et al. 1991).

    gross = (T − C)/(3.32·Td); net = ((T − C) − treatment duration)/(3.32·Td). NaN where an
    input is missing or Td is not positive.
    """
    if not (np.isfinite(delay_days) and np.isfinite(doubling_time) and doubling_time > 0):
        return float("nan"), float("nan")
    gross = delay_days / (LOG_CELL_KILL_FACTOR * doubling_time)
    if treatment_duration is None or not np.isfinite(treatment_duration):
        return gross, float("nan")
    return gross, (delay_days - treatment_duration) / (LOG_CELL_KILL_FACTOR * doubling_time)


def growth_delay(
    endpoints: pd.DataFrame,
    control: str,
    arms: Sequence[str] | None = None,
    doubling_time: float = float("nan"),
    treatment_durations: Mapping[str, float] | None = None,
    alpha: float = 0.05,
    threshold: str = "",
    median_ci: Callable[..., tuple[float, float, float]] | None = None,
) -> pd.DataFrame:
    """Tumour growth delay T − C and log cell kill per arm from time-to-threshold endpoints.

    ``endpoints``: ``arm, mouse_id, time_days, event`` (+ ``endpoint_rule``), one row per
    mouse, as :func:`xenoflow.survival.endpoints_from_volumes` returns (event = reached the
    threshold, 0 = censored). Per arm: KM median time and its 100(1 − alpha)% CI (R-exact,
    NaN = not reached). ``growth_delay_days`` = median_T − median_C, empty when either median
    is not reached (``note`` says which; if only T is not reached the delay exceeds
    last follow-up − C). Log cell kill from :func:`log_cell_kill` with ``doubling_time`` (Td of
    the control, days) and ``treatment_durations[arm]``.
    """
    median_ci = median_ci if median_ci is not None else km_median_ci
    order = _arm_order(endpoints, arms)
    durations = dict(treatment_durations or {})
    # each arm's rows as positions in whole columns (a sub-frame per arm cost more than the
    # Kaplan-Meier estimate on the one-mouse arms of panel models)
    rows_of = positions(endpoints["arm"].tolist())
    times = endpoints["time_days"].to_numpy(float)
    events = endpoints["event"].to_numpy(int)
    rules = endpoints["endpoint_rule"].tolist() if "endpoint_rule" in endpoints else None
    meds: dict[str, tuple[float, float, float]] = {}
    flats: dict[str, tuple[float, float] | None] = {}
    for arm in order:
        at = rows_of[arm]
        med, lo, hi = (float(x) for x in median_ci(times[at], events[at], alpha))
        meds[arm] = (med, lo, hi)
        flats[arm] = median_flat(times[at], events[at])
    c_med = meds.get(control, (np.nan,) * 3)[0]
    rows = []
    for arm in order:
        at = rows_of[arm]
        t = times[at]
        med, lo, hi = meds[arm]
        rule = rules[at[0]] if rules is not None else ""
        note, delay, gross, net = "", np.nan, np.nan, np.nan
        span = (np.nan, np.nan)
        duration = durations.get(arm, np.nan)
        if arm != control:
            if control not in meds:
                note = f"no control arm '{control}' in the data: growth delay skipped"
            elif not np.isfinite(c_med):
                note = "control median not reached"
            elif not np.isfinite(med):
                note = (
                    f"treated median not reached: delay > "
                    f"{np.nanmax(t) - c_med:g} days (last follow-up - C)"
                )
            elif flats[arm] is not None or flats[control] is not None:
                span = delay_range(flats[arm], flats[control], med, c_med)
                note = not_unique_delay(arm, control, flats, span)
            else:
                delay = med - c_med
                gross, net = log_cell_kill(delay, doubling_time, duration)
                if not np.isfinite(doubling_time):
                    note = "control doubling time unavailable"
        rows.append(
            {
                "arm": arm,
                "threshold": threshold,
                "endpoint_rule": rule,
                "n_mice": len(at),
                "n_events": int(events[at].sum()),
                "median_time_days": med,
                "median_unique": flats[arm] is None,
                "median_time_ci_low": lo,
                "median_time_ci_high": hi,
                "control_median_time_days": c_med,
                "growth_delay_days": delay,
                "growth_delay_low_days": span[0],
                "growth_delay_high_days": span[1],
                "doubling_time_days": doubling_time,
                "log_cell_kill_gross": gross,
                "treatment_duration_days": duration if arm != control else np.nan,
                "log_cell_kill_net": net,
                "note": note,
            }
        )
    return pd.DataFrame(rows, columns=GROWTH_DELAY_COLUMNS)


def delay_range(
    flat_t: tuple[float, float] | None,
    flat_c: tuple[float, float] | None,
    med_t: float,
    med_c: float,
) -> tuple[float, float]:
    """The range of T − C when a median is not unique (a Kaplan–Meier curve flat at exactly
    50% from day a to day b: every day of [a, b] is a median): from a_T − b_C to b_T − a_C,
    a unique median counting as [m, m]."""
    t_low, t_high = flat_t or (med_t, med_t)
    c_low, c_high = flat_c or (med_c, med_c)
    return t_low - c_high, t_high - c_low


def not_unique_delay(
    arm: str,
    control: str,
    flats: Mapping[str, tuple[float, float] | None],
    span: tuple[float, float],
) -> str:
    """Why T − C is not given when a median is not unique, with the range ``span`` of T − C
    (:func:`delay_range`)."""
    which = [
        f"{name} (its Kaplan-Meier curve is flat at exactly 50% from day {f[0]:g} to day {f[1]:g})"
        for name in (arm, control)
        if (f := flats[name]) is not None
    ]
    return (
        f"the median time to the threshold is not unique in {' and '.join(which)}, so T - C "
        f"could be anything from {span[0]:g} to {span[1]:g} days: no growth delay is given "
        "(the midpoint median is a convention, not an estimate)"
    )


def exponential_growth_delay(
    growth_model: pd.DataFrame, control: str, log_threshold_ratio: Mapping[str, float] | float
) -> pd.DataFrame:
    """Growth delay implied by the fitted exponential growth rates (Demidenko 2010's view).

    Under V(t) = V0·exp(k·t) a tumour reaches the threshold V* after ln(V*/V0)/k days, so
    T − C = ln(V*/V0_T)/k_T − ln(V*/V0_C)/k_C; for a fold threshold f this is
    ln f·(1/k_T − 1/k_C) = log2 f·(Td_T − Td_C), the difference in doubling times scaled by the
    number of doublings (Demidenko E., Transl Oncol 2010;3:89, anchors §2.8).
    ``log_threshold_ratio``: ln(V*/V0), one number for a fold threshold or per arm (e.g. with V0
    the arm's geometric-mean baseline for an absolute threshold). ``growth_model``: ``arm,
    growth_rate_per_day`` (ln-volume slope). NaN when k ≤ 0 (the model never reaches V*).
    Returns ``arm, growth_rate_per_day, model_growth_delay_days``.
    """
    rates = dict(
        zip(growth_model["arm"].astype(str), growth_model["growth_rate_per_day"].astype(float))
    )

    def time_to(arm: str) -> float:
        k = rates.get(arm, np.nan)
        lr = (
            log_threshold_ratio.get(arm, np.nan)
            if isinstance(log_threshold_ratio, Mapping)
            else float(log_threshold_ratio)
        )
        return lr / k if np.isfinite(k) and k > 0 and np.isfinite(lr) else np.nan

    c = time_to(control)
    rows = [
        {
            "arm": arm,
            "growth_rate_per_day": k,
            "model_growth_delay_days": (time_to(arm) - c) if arm != control else np.nan,
        }
        for arm, k in rates.items()
    ]
    return pd.DataFrame(rows, columns=["arm", "growth_rate_per_day", "model_growth_delay_days"])


def delay_threshold(
    endpoint_volume_mm3: float | None, settings: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Threshold used for growth delay: the study's ``endpoint_volume_mm3`` with
    ``settings["endpoint_rule"]`` when set; otherwise ``settings["endpoint_fold"]`` (default
    4) × each mouse's baseline volume (rule ``fold_baseline``). Returns the keyword arguments
    of :func:`xenoflow.survival.endpoints_from_volumes` plus a ``label``.
    """
    settings = dict(settings or {})
    if endpoint_volume_mm3 is not None:
        rule = settings.get("endpoint_rule", "first_above")
        if rule == "fold_baseline":
            fold = float(settings.get("endpoint_fold", DEFAULT_DELAY_FOLD))
            return {
                "threshold_mm3": None,
                "rule": rule,
                "fold": fold,
                "label": f"{fold:g} x baseline volume",
            }
        return {
            "threshold_mm3": float(endpoint_volume_mm3),
            "rule": rule,
            "fold": None,
            "label": f"{endpoint_volume_mm3:g} mm3 (the study's endpoint volume)",
        }
    fold = float(settings.get("endpoint_fold", DEFAULT_DELAY_FOLD))
    return {
        "threshold_mm3": None,
        "rule": "fold_baseline",
        "fold": fold,
        "label": f"{fold:g} x baseline volume (the default: the study sets no endpoint volume)",
    }


def growth_delay_from_volumes(
    measurements: pd.DataFrame,
    control: str,
    arms: Sequence[str] | None = None,
    endpoint_volume_mm3: float | None = None,
    settings: Mapping[str, Any] | None = None,
    doubling_time: float = float("nan"),
    treatment_durations: Mapping[str, float] | None = None,
    checked: bool = False,
) -> pd.DataFrame:
    """Growth delay table straight from volumes (threshold from :func:`delay_threshold`)."""
    settings = dict(settings or {})
    thr = delay_threshold(endpoint_volume_mm3, settings)
    data = measurements if checked else _check_measurements(measurements)
    endpoints = endpoints_from_volumes(
        data, threshold_mm3=thr["threshold_mm3"], rule=thr["rule"], fold=thr["fold"]
    )
    return growth_delay(
        endpoints,
        control,
        arms,
        doubling_time,
        treatment_durations,
        float(settings.get("alpha", 0.05)),
        thr["label"],
    )


# ------------------------------------------------------------------------------ one study


@dataclass(frozen=True)
class EfficacyResult:
    """Every efficacy output of one study: one field per table of the ``efficacy`` stage, named
    as its registry table (``efficacy_per_mouse``: :func:`mouse_summary`; ``endpoint_tests``,
    ``tumour_free`` and ``tumour_free_by_day`` at the visits, :mod:`xenoflow.endpoint_tests`),
    and what the figures and later stages use: ``per_mouse`` (every mouse and day,
    :func:`per_mouse_metrics`), the ``reference_day`` and the control's
    ``doubling_time_days``."""

    efficacy: pd.DataFrame
    efficacy_per_mouse: pd.DataFrame
    growth_delay: pd.DataFrame
    response: pd.DataFrame
    response_summary: pd.DataFrame
    endpoint_tests: pd.DataFrame
    tumour_free: pd.DataFrame
    tumour_free_by_day: pd.DataFrame
    baseline_balance: pd.DataFrame
    exclusions_efficacy: pd.DataFrame
    exclusions_response: pd.DataFrame
    per_mouse: pd.DataFrame
    reference_day: float
    doubling_time_days: float


def analyse_study(
    study: Study,
    measurements: pd.DataFrame,
    growth_model: pd.DataFrame | None = None,
    toxic: Mapping[str, str] | None = None,
    deaths: pd.DataFrame | None = None,
) -> EfficacyResult:
    """Every efficacy output of one study (:class:`EfficacyResult`).

    ``study``: a :class:`xenoflow.config.Study`; ``growth_model``: the growth stage's per-arm
    table (``arm, growth_rate_per_day``), for the control doubling time. ``toxic``: the arms the tolerability
    verdict calls toxic, with why (:func:`xenoflow.tolerability.toxic_arms`): their
    ``nci_activity`` is "not scored: toxic dose (why)", not a band (the NCI/DTP practice is not
    to score activity at a toxic dose). ``deaths``: ``survival_per_mouse`` with causes; a
    mouse not evaluable for mRECIST because it died of toxicity is named so
    (:func:`xenoflow.response.name_toxic_deaths`).
    """
    settings = study.settings
    arms = study.arm_names
    base = baseline.resolve(study, measurements)
    every = _check_measurements(measurements)
    # comparisons by day at the scheduled visits (xenoflow.visits); per-mouse quantities
    # (fold change, AUC, time to endpoint, mRECIST) keep the measured day, except a
    # measurement at the baseline visit of a mouse not measured on the baseline day itself
    aligned = visits.align_study(study, every)
    measured = every
    every, at_base = baseline.at_baseline_visit(every, base, aligned.visit_day, STAGE)
    checked, pre = baseline.on_study(every, base, STAGE)
    per_mouse, excl = per_mouse_metrics(checked, base.day, True, base.window_days)
    at_visit = visits.redate(per_mouse, aligned, measured)
    checked_at_visit = visits.redate(checked, aligned, measured)
    table = table_from_per_mouse(at_visit, study.control, arms, study.reference_day, settings)
    for arm, why in (toxic or {}).items():
        scored = (table["arm"] == arm) & (table["nci_activity"] != "")
        table.loc[scored, "nci_activity"] = f"not scored: toxic dose ({why})"
    td = (
        doubling_time_days(growth_model, study.control)
        if growth_model is not None and not growth_model.empty
        else float("nan")
    )
    durations = {a.name: treatment_duration_days([d.day for d in a.doses]) for a in study.arms}
    delay = growth_delay_from_volumes(
        checked,
        study.control,
        arms,
        study.endpoint_volume_mm3,
        settings,
        td,
        durations,
        checked=True,
    )
    if growth_model is not None and not growth_model.empty:
        thr = delay_threshold(study.endpoint_volume_mm3, settings)
        if thr["fold"] is not None:
            ratio: Mapping[str, float] | float = math.log(thr["fold"])
        else:
            first = per_mouse.groupby(["arm", "mouse_id"], sort=False)[
                "baseline_volume_mm3"
            ].first()
            with np.errstate(divide="ignore"):
                gm = np.exp(np.log(first[first > 0]).groupby(level="arm").mean())
            ratio = {arm: math.log(thr["threshold_mm3"] / v) for arm, v in gm.items()}
        model = exponential_growth_delay(growth_model, study.control, ratio).set_index("arm")
        for col in ("growth_rate_per_day", "model_growth_delay_days"):
            delay[col] = delay["arm"].map(model[col])
    resp, resp_excl = response_table(
        every, float(settings.get("mrecist_min_day", 10)), base.day, base.window_days
    )
    resp = name_toxic_deaths(resp, deaths)
    summary = response_summary(resp, arms, float(settings.get("alpha", 0.05)))
    chosen = choose_reference_day(checked_at_visit, study.reference_day)
    ref = chosen.day
    mice = mouse_summary(per_mouse, ref, at_visit["day"].to_numpy(dtype=float))
    balance = baseline.balance_table(
        mice,
        arms,
        study.control,
        ref,
        float(settings.get("alpha", 0.05)),
        baseline.calendar(checked, base, arms, study.control),
        baseline.pre_treatment_rates(every, base),
    )
    zero = mice[(mice["reference_volume_mm3"] == 0) & (mice["baseline_volume_mm3"] > 0)]
    left_out = [
        _exclusion(a, m, ref, "volume 0 on the reference day: left out of the adjusted comparison")
        for a, m in zip(zero["arm"], zero["mouse_id"], strict=True)
    ]
    excl = pd.concat(
        [
            t
            for t in (pre, aligned.exclusions(STAGE), at_base, excl, exclusions_frame(left_out))
            if len(t)
        ]
        or [excl],
        ignore_index=True,
    )
    return EfficacyResult(
        endpoint_tests=endpoint_tests.endpoint_tests(
            checked_at_visit, arms, study.control, ref, settings, chosen.note
        ),
        tumour_free=endpoint_tests.tumour_free(checked, arms, study.detection_limit_mm3),
        tumour_free_by_day=endpoint_tests.tumour_free_by_day(
            checked_at_visit, arms, study.detection_limit_mm3
        ),
        efficacy=table,
        per_mouse=per_mouse,
        efficacy_per_mouse=mice,
        baseline_balance=balance,
        growth_delay=delay,
        response=resp,
        response_summary=summary,
        exclusions_efficacy=excl,
        exclusions_response=resp_excl,
        reference_day=ref,
        doubling_time_days=td,
    )

"""Per-mouse response classification: best response, best average response and mRECIST.

Definitions (Gao et al. 2015, Nat Med 21:1318, "PCT curve metrics"; reproduced exactly as the
Bioconductor package Xeva computes them, ``R/mRECIST.R`` at bhklab/Xeva@54c191f, see
``../shared/reference/anchors.md`` §2.1):

- ``ΔV%_k = 100·(V_k − V_0)/V_0`` for every measurement k of the mouse, V_0 = the mouse's
  **first** measurement (whatever its day; days are not re-zeroed). When V_0 = 0 Xeva adds
  1 mm³ to *every* volume of the curve first; so do we (column ``volume_offset_mm3``).
- average response ``AR_k`` = running arithmetic mean of ΔV% over measurements 0..k
  (includes the 0 at baseline; not time-weighted).
- best response ``BR`` = min ΔV% over measurements with ``day >= min_day`` (first one if tied);
  best average response ``BAR`` = min AR over the same measurements.
- mRECIST, strict inequalities, later rules overwrite earlier ones: PD; SD if BR < 35 and
  BAR < 30; PR if BR < −50 and BAR < −20; CR if BR < −95 and BAR < −40.

**Window rule (found from the data, not the reference notes).** The notes say Xeva returns NA
when fewer than two measurements fall on or after ``min_day``. On the 849 PDXE breast curves
that does not hold: Xeva never returns NA there. What reproduces all 849 of Xeva's stored
values is:

- one or more measurements on/after ``min_day`` → BR/BAR over those measurements (a single
  one is enough: X.1298.LF27.evus, days 0–13, gets BR = −49.4 % at day 13, not −58.2 % at day 9);
- **no** measurement on/after ``min_day`` → BR/BAR over *all* measurements, baseline
  included (X.1349.LF27.evus, days 0 and 5, gets BR = BAR = 0 at day 0 → SD;
  X.2780.BY19.LE11, days 0/1/5, gets BR = −35.9 % at day 5). The older Xeva/PDXE code falls
  back to the whole curve in exactly this case. Column ``window`` says which rule applied so a
  curve scored on its early days is never mistaken for a day-10 assessment.

Only a curve without a usable first volume (no measurement) is unclassified.

**Evaluability.** A curve scored on the whole-curve fallback has no assessment in the response
window (a mouse dead or removed before it, typically of toxicity): its BR, BAR and mRECIST stay
as Xeva computes them, but it is *not evaluable* (``evaluable`` False, the reason in
``not_evaluable_reason``), as RECIST counts a patient without an on-treatment assessment and as
DRAP's NPDXE rule skips animals followed for fewer than 10 days. Response and disease-control
rates count evaluable mice only (:func:`response_summary`); a day-3 toxic death is never an
"SD" in a rate or a sentence.

**Time origin.** Xeva compares the raw ``time`` with ``min_day``: it never re-zeroes (PDXE
curve X.2524.LF27.evus starts on day 16, so its window includes the baseline itself and Xeva
reports BR = BAR = 0 at day 16). :func:`best_response` does exactly that. In a study whose days
are calendar study days (e.g. the first measurement on day 33), that rule makes every BR ≤ 0,
so the pipeline calls :func:`response_table`, which maps the study's ``baseline_day`` to time
0 first: measurements before it are left out (pre-treatment; listed as exclusions), mice
without a measurement on it are left out, and the window is ``day >= baseline_day +
min_day``. Days in the output stay study days. Without a ``baseline_day`` the raw days are used,
as in Xeva; on data with baseline day 0 (all PDXE curves but one) both are identical.

**A long follow-up** (the pipeline's :func:`response_table`; :func:`best_response` stays
Xeva-exact):

- *Relapse after a response.* mRECIST keeps the best response: a mouse that reached 0 mm³ and
  regrew to 1,588 mm³ is a CR. The regrowth is reported beside it, not in place of it:
  ``relapse_day`` = the first measurement after the best-response day whose volume is above
  the mouse's baseline volume V0 (a CR or PR mouse only), and ``response_label`` reads
  "CR, relapsed on day 61". The rule is this pipeline's, stated rather than cited: it asks more
  than RECIST 1.1's progression after a response (≥ 20 % above the nadir, Eisenhauer et al.
  2009, Eur J Cancer 45:228), which any regrowth from 0 mm³ meets; back above the starting
  volume means the response is lost, the regrowth-to-baseline end point of growth-delay
  studies.
- *A lone zero.* A 0 mm³ reading between two positive ones (18 → 0 → 148 mm³) is far more
  likely a missing value entered as 0 than a tumour that vanished and came back within two
  measurements: it is left out of the response curve and listed in the exclusions with that
  reason (never silently), so it cannot make a growing tumour a CR.
- *A zero baseline.* ΔV% from V0 = 0 is undefined; Xeva's 1 mm³ offset turns a 198 mm³ tumour
  into +19,700 %. The mouse is not evaluable (no BR, BAR or mRECIST; the reason says so) and is
  left out of the rates.

Response rate = (CR + PR)/N and disease-control rate = (CR + PR + SD)/N per arm
(DRAP ``DRLevelAnalysis``), with exact Clopper–Pearson intervals.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from .io import exclusions_frame
from .stats import beta_ppf, complete_rows, mouse_curves
from .tables import columns

MRECIST_LEVELS = ["CR", "PR", "SD", "PD"]
#: (label, best-response threshold, best-average-response threshold); strict "<" on both.
MRECIST_RULES = [("SD", 35.0, 30.0), ("PR", -50.0, -20.0), ("CR", -95.0, -40.0)]
#: how :func:`curve_response` starts the reason of a mouse with a zero baseline volume
ZERO_BASELINE_REASON = "baseline volume 0 mm³"
#: how :func:`curve_response` says a curve has no measurement
NO_MEASUREMENT = "no measurement"

RESPONSE_COLUMNS = columns("response")


def classify_mrecist(best_response_pct: Any, best_avg_response_pct: Any) -> Any:
    """mRECIST label(s) from BR and BAR (%), Gao et al. 2015 / Xeva ``mRECIST()``.

    Vectorised: scalars give a str (or None when either value is NaN), arrays an object array.
    """
    br = np.asarray(best_response_pct, dtype=float)
    bar = np.asarray(best_avg_response_pct, dtype=float)
    out = np.full(np.broadcast(br, bar).shape, "PD", dtype=object)
    for label, br_cut, bar_cut in MRECIST_RULES:
        out[(br < br_cut) & (bar < bar_cut)] = label
    out[np.isnan(br) | np.isnan(bar)] = None
    return out.item() if out.ndim == 0 else out


def curve_response(
    days: Any,
    volumes: Any,
    min_day: float = 10.0,
    day_origin: float = 0.0,
    zero_baseline: str = "xeva",
) -> dict[str, Any]:
    """BR, BAR and mRECIST of one curve (see the module docstring for the exact rules), and the
    relapse after a response (``relapse_day``, ``response_label``).

    ``days`` and ``volumes`` are in measurement order (sorted by day). The window is
    ``day - day_origin >= min_day`` (Xeva: ``day_origin`` = 0). ``zero_baseline``: "xeva" adds
    1 mm³ to every volume of a curve starting at 0 (Xeva); "not_evaluable" reports no
    percentage change from a zero baseline (the pipeline's :func:`response_table`).
    """
    t = np.asarray(days, dtype=float)
    v = np.asarray(volumes, dtype=float)
    result: dict[str, Any] = {
        "n_measurements": len(t),
        "first_day": np.nan,
        "last_day": np.nan,
        "volume_offset_mm3": 0.0,
        "window": "",
        "best_response_pct": np.nan,
        "best_response_day": np.nan,
        "best_avg_response_pct": np.nan,
        "best_avg_response_day": np.nan,
        "mrecist": None,
        "evaluable": False,
        "not_evaluable_reason": NO_MEASUREMENT,
        "relapse_day": np.nan,
        "response_label": "",
    }
    if len(t) == 0:
        return result
    result["first_day"], result["last_day"] = t[0], t[-1]
    if v[0] == 0 and zero_baseline != "xeva":
        result["not_evaluable_reason"] = (
            f"{ZERO_BASELINE_REASON} on day {t[0]:g}: no percentage change from a zero baseline"
        )
        result["response_label"] = "not evaluable"
        return result
    raw = v
    if v[0] == 0:
        v = v + 1.0
        result["volume_offset_mm3"] = 1.0
    change = 100.0 * (v - v[0]) / v[0]
    average = np.cumsum(change) / np.arange(1, len(change) + 1)
    start = min_day + day_origin
    in_window = t - day_origin >= min_day
    if in_window.any():
        result["window"] = f"day>={start:g}"
        result["evaluable"], result["not_evaluable_reason"] = True, ""
    else:
        in_window = np.ones_like(in_window)
        result["window"] = f"all days (none >= {start:g})"
        result["not_evaluable_reason"] = (
            f"no measurement on or after day {start:g} (the response window; last measured "
            f"day {t[-1]:g})"
        )
    i = int(np.argmin(np.where(in_window, change, np.inf)))
    j = int(np.argmin(np.where(in_window, average, np.inf)))
    label = classify_mrecist(change[i], average[j])
    result.update(
        best_response_pct=change[i],
        best_response_day=t[i],
        best_avg_response_pct=average[j],
        best_avg_response_day=t[j],
        mrecist=label,
    )
    if not result["evaluable"]:
        result["response_label"] = "not evaluable"
        return result
    result["response_label"] = label
    if label in ("CR", "PR"):
        regrown = np.flatnonzero((t > t[i]) & (raw > raw[0]))
        if regrown.size:
            day = float(t[regrown[0]])
            result["relapse_day"] = day
            result["response_label"] = f"{label}, relapsed on day {day:g}"
    return result


def lone_zeros(days: Any, volumes: Any) -> list[int]:
    """Positions of 0 mm³ readings between two positive readings of the same curve (in
    measurement order): probable missing values entered as 0 (module docstring)."""
    v = np.asarray(volumes, dtype=float)
    return [i for i in range(1, len(v) - 1) if v[i] == 0 and v[i - 1] > 0 and v[i + 1] > 0]


def best_response(measurements: pd.DataFrame, min_day: float = 10.0) -> pd.DataFrame:
    """Per-mouse BR, BAR and mRECIST (Xeva-exact; see module docstring).

    ``measurements``: canonical table (``arm, mouse_id, day, volume_mm3``). Returns one row per
    mouse (``RESPONSE_COLUMNS``), mice in input order. Rows with a missing volume are ignored.
    """
    data = complete_rows(measurements, ["volume_mm3"])
    rows = [
        {"arm": arm, "mouse_id": mouse, **curve_response(days, volumes, min_day)}
        for arm, mouse, days, volumes in mouse_curves(data)
    ]
    return _response_frame(rows)


def _response_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """``RESPONSE_COLUMNS`` from per-mouse rows, ``n_measurements`` as int (a one-column
    ``astype`` with a dict checks every column; the column is set on its own instead)."""
    out = pd.DataFrame(rows, columns=RESPONSE_COLUMNS)
    if len(out):
        out["n_measurements"] = out["n_measurements"].astype(int)
    return out


def _curve_start(
    g: pd.DataFrame, b: float, window_days: float | None
) -> tuple[float | None, str, str]:
    """(first day of the mouse's response curve or None, where a baseline was looked for, the
    reason for an earlier measurement) for baseline ``b`` (:func:`response_table`)."""
    if window_days is None:
        first = b if (g["day"] == b).any() else None
        return (
            first,
            f"on baseline day {b:g}",
            (f"before baseline day {b:g}: not part of the response curve"),
        )
    inside = g.loc[(g["day"] >= b - window_days) & (g["day"] <= b), "day"]
    if not len(inside):
        return None, f"in the {window_days:g} days up to treatment start (day {b:g})", ""
    first = float(inside.max())
    return (
        first,
        "",
        (
            f"pre-treatment: before the mouse's baseline on day {first:g} (treatment start "
            f"day {b:g}): not part of the response curve"
        ),
    )


def response_table(
    measurements: pd.DataFrame,
    min_day: float = 10.0,
    baseline_day: float | None = None,
    window_days: float | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-mouse BR/BAR/mRECIST for the pipeline: ``(table, exclusions)``.

    Without ``baseline_day`` the days are Xeva's raw days; with it, time 0 is ``baseline_day``
    (see "Time origin" in the module docstring): earlier measurements and mice not measured on
    that day are left out. With ``window_days`` (a treatment-start baseline,
    :func:`xenoflow.baseline.resolve`) time 0 is still ``baseline_day`` (treatment start) but
    each curve starts at the mouse's last measurement from ``baseline_day − window_days`` to
    ``baseline_day``; earlier measurements are pre-treatment, and a mouse without one in the
    window has no best response. A lone zero is left out of the curve, and a zero baseline
    makes the mouse not evaluable ("A long follow-up" in the module docstring); on curves with
    neither the numbers are :func:`best_response`'s. What is left out is listed in
    ``exclusions`` (columns ``stage, arm, mouse_id, day, reason``, stage ``response``).
    """
    data = complete_rows(measurements, ["volume_mm3"])
    excl: list[dict[str, Any]] = []

    def leave_out(arm: Any, mouse: Any, day: float, reason: str) -> None:
        excl.append(
            {"stage": "response", "arm": arm, "mouse_id": mouse, "day": day, "reason": reason}
        )

    b = None if baseline_day is None else float(baseline_day)
    rows = []
    for (arm, mouse), g in data.groupby(["arm", "mouse_id"], sort=False):
        g = g.sort_values("day", kind="stable")
        if b is not None:
            first, missing, before = _curve_start(g, b, window_days)
            if first is None:
                leave_out(arm, mouse, np.nan, f"no measurement {missing}: no best response")
                continue
            for d in g.loc[g["day"] < first, "day"]:
                leave_out(arm, mouse, d, before)
            g = g[g["day"] >= first]
        days, volumes = g["day"].to_numpy(float), g["volume_mm3"].to_numpy(float)
        lone = lone_zeros(days, volumes)
        for i in lone:
            leave_out(
                arm,
                mouse,
                days[i],
                f"0 mm³ between {volumes[i - 1]:g} mm³ (day {days[i - 1]:g}) and "
                f"{volumes[i + 1]:g} mm³ (day {days[i + 1]:g}): probably a missing value "
                "entered as 0; left out of the response curve",
            )
        keep = np.ones(len(days), dtype=bool)
        keep[lone] = False
        rows.append(
            {
                "arm": arm,
                "mouse_id": mouse,
                **curve_response(
                    days[keep],
                    volumes[keep],
                    min_day,
                    day_origin=0.0 if b is None else b,
                    zero_baseline="not_evaluable",
                ),
            }
        )
    return _response_frame(rows), exclusions_frame(excl)


def _exact_ci(k: int, n: int, alpha: float) -> tuple[float, float]:
    """Clopper–Pearson interval (percent): Beta(alpha/2; k, n-k+1) and Beta(1-alpha/2; k+1,
    n-k) quantiles, 0 and 100 at the ends (= scipy ``binomtest(...).proportion_ci(method=
    "exact")`` and R ``binom.test``, without their per-call overhead)."""
    if n == 0:
        return np.nan, np.nan
    # at k = 0 and k = n the Beta quantiles have closed forms (Beta(1, n) and Beta(n, 1)):
    # 1 - (alpha/2)^(1/n) and (alpha/2)^(1/n); panels of one-mouse arms only meet these
    if k == 0:
        low, high = 0.0, 1.0 - (alpha / 2) ** (1.0 / n)
    elif k == n:
        low, high = (alpha / 2) ** (1.0 / n), 1.0
    else:
        low = beta_ppf(alpha / 2, k, n - k + 1)
        high = beta_ppf(1 - alpha / 2, k + 1, n - k)
    return 100.0 * float(low), 100.0 * float(high)


def control_window_warning(
    measurements: pd.DataFrame,
    control: str,
    min_day: float,
    baseline_day: float | None,
    window_days: float | None = None,
) -> str:
    """A warning ('' when none) when more than half of the evaluable control mice are SD or
    better by mRECIST (:func:`response_table` on the control's mice): the response window
    (from ``min_day`` after baseline) then catches a flat start, not the model's growth, and
    a treated mouse's SD is no sign of activity (its CR or PR still is)."""
    mice = measurements[measurements["arm"] == control]
    if mice.empty:
        return ""
    resp = response_table(mice, min_day, baseline_day, window_days)[0]
    labels = resp.loc[resp["evaluable"].astype(bool), "mrecist"].dropna()
    stable = int(labels.isin(["CR", "PR", "SD"]).sum())
    if 2 * stable <= len(labels):
        return ""
    return (
        f"{stable} of {len(labels)} control mice are SD or better by mRECIST (response window "
        f"from day {min_day:g} after baseline): the window does not catch this model's growth, "
        "so SD is no sign of activity, only CR and PR are (consider starting the window later)"
    )


#: How :func:`name_toxic_deaths` starts the reason of a mouse dead of toxicity.
TOXIC_DEATH_REASON = "died of toxicity"


def name_toxic_deaths(response: pd.DataFrame, deaths: pd.DataFrame | None) -> pd.DataFrame:
    """``response`` with the reason of each not-evaluable mouse that died of toxicity
    (``deaths``: ``survival_per_mouse`` with its ``cause``) saying so: 'died of toxicity on
    day 3, before the response window'. A toxic death is a fact about the dose, not a missing
    measurement, and the rates say how many of the mice they leave out it explains."""
    if deaths is None or "cause" not in deaths or response.empty:
        return response
    toxic = deaths[deaths["cause"].fillna("").astype(str) == "toxicity"]
    day = {
        (str(a), str(m)): t
        for a, m, t in toxic[["arm", "mouse_id", "time_days"]].itertuples(index=False)
    }
    out = response.copy()
    for i, (arm, mouse, ok) in enumerate(
        zip(out["arm"].tolist(), out["mouse_id"].tolist(), out["evaluable"].tolist(), strict=True)
    ):
        died = day.get((str(arm), str(mouse)))
        if died is not None and not ok:
            out.iloc[i, out.columns.get_loc("not_evaluable_reason")] = (
                f"{TOXIC_DEATH_REASON} on day {float(died):g}, before the response window"
            )
    return out


def response_summary(
    response: pd.DataFrame, arms: list[str] | None = None, alpha: float = 0.05
) -> pd.DataFrame:
    """Per-arm mRECIST counts, response rate and disease-control rate.

    response rate = 100·(CR + PR)/N, disease-control rate = 100·(CR + PR + SD)/N, N = evaluable
    mice with a label (unclassified mice are counted in ``n_unclassified``, mice not evaluable
    in ``n_not_evaluable``, and both left out of N); exact Clopper–Pearson 100·(1 − alpha)%
    intervals. Reference: DRAP ``DRLevelAnalysis``; Gao 2015.
    """
    arms = arms if arms is not None else list(dict.fromkeys(response["arm"]))
    evaluable = (
        response["evaluable"].fillna(False).astype(bool).tolist()
        if "evaluable" in response
        else [True] * len(response)
    )
    reasons = (
        response["not_evaluable_reason"].fillna("").astype(str).tolist()
        if "not_evaluable_reason" in response
        else [""] * len(response)
    )
    relapsed = (
        response["relapse_day"].notna().tolist()
        if "relapse_day" in response
        else [False] * len(response)
    )
    by_arm: dict[str, list[Any]] = {}
    not_evaluable: Counter[str] = Counter()
    toxic: Counter[str] = Counter()
    zero: Counter[str] = Counter()
    relapses: Counter[str] = Counter()
    for arm, label, ok, why, back in zip(
        response["arm"].tolist(),
        response["mrecist"].tolist(),
        evaluable,
        reasons,
        relapsed,
        strict=True,
    ):
        if ok or (pd.isna(label) and not why.startswith(ZERO_BASELINE_REASON)):
            by_arm.setdefault(arm, []).append(label)
            relapses[arm] += bool(ok and back)
        else:
            not_evaluable[arm] += 1
            toxic[arm] += why.startswith(TOXIC_DEATH_REASON)
            zero[arm] += why.startswith(ZERO_BASELINE_REASON)
    rows = []
    for arm in arms:
        labels = by_arm.get(arm, [])
        seen = Counter(labels)
        counts = {lvl: seen.get(lvl, 0) for lvl in MRECIST_LEVELS}
        n = sum(counts.values())
        rr, dcr = counts["CR"] + counts["PR"], counts["CR"] + counts["PR"] + counts["SD"]
        rr_lo, rr_hi = _exact_ci(rr, n, alpha)
        dc_lo, dc_hi = _exact_ci(dcr, n, alpha)
        rows.append(
            {
                "arm": arm,
                "n_mice": n,
                **{f"n_{k.lower()}": v for k, v in counts.items()},
                "n_unclassified": sum(1 for x in labels if pd.isna(x)),
                "n_not_evaluable": not_evaluable[arm],
                "n_not_evaluable_toxic": toxic[arm],
                "response_rate_pct": 100.0 * rr / n if n else np.nan,
                "response_rate_ci_low": rr_lo,
                "response_rate_ci_high": rr_hi,
                "disease_control_rate_pct": 100.0 * dcr / n if n else np.nan,
                "disease_control_rate_ci_low": dc_lo,
                "disease_control_rate_ci_high": dc_hi,
                "n_not_evaluable_zero_baseline": zero[arm],
                "n_relapsed": relapses[arm],
            }
        )
    return pd.DataFrame(rows)

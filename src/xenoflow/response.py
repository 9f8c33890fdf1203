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

Response rate = (CR + PR)/N and disease-control rate = (CR + PR + SD)/N per arm
(DRAP ``DRLevelAnalysis``), with exact Clopper–Pearson intervals.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

MRECIST_LEVELS = ["CR", "PR", "SD", "PD"]
#: (label, best-response threshold, best-average-response threshold); strict "<" on both.
MRECIST_RULES = [("SD", 35.0, 30.0), ("PR", -50.0, -20.0), ("CR", -95.0, -40.0)]

RESPONSE_COLUMNS = [
    "arm", "mouse_id", "n_measurements", "first_day", "last_day", "volume_offset_mm3",
    "window", "best_response_pct", "best_response_day", "best_avg_response_pct",
    "best_avg_response_day", "mrecist",
]


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


def curve_response(days: Any, volumes: Any, min_day: float = 10.0) -> dict[str, Any]:
    """BR, BAR and mRECIST of one curve (see the module docstring for the exact rules).

    ``days`` and ``volumes`` are in measurement order (sorted by day).
    """
    t = np.asarray(days, dtype=float)
    v = np.asarray(volumes, dtype=float)
    result: dict[str, Any] = {
        "n_measurements": len(t), "first_day": np.nan, "last_day": np.nan,
        "volume_offset_mm3": 0.0, "window": "", "best_response_pct": np.nan,
        "best_response_day": np.nan, "best_avg_response_pct": np.nan,
        "best_avg_response_day": np.nan, "mrecist": None,
    }
    if len(t) == 0:
        return result
    result["first_day"], result["last_day"] = t[0], t[-1]
    if v[0] == 0:
        v = v + 1.0
        result["volume_offset_mm3"] = 1.0
    change = 100.0 * (v - v[0]) / v[0]
    average = np.cumsum(change) / np.arange(1, len(change) + 1)
    in_window = t >= min_day
    if in_window.any():
        result["window"] = f"day>={min_day:g}"
    else:
        in_window = np.ones_like(in_window)
        result["window"] = f"all days (none >= {min_day:g})"
    i = int(np.argmin(np.where(in_window, change, np.inf)))
    j = int(np.argmin(np.where(in_window, average, np.inf)))
    result.update(best_response_pct=change[i], best_response_day=t[i],
                  best_avg_response_pct=average[j], best_avg_response_day=t[j],
                  mrecist=classify_mrecist(change[i], average[j]))
    return result


def best_response(measurements: pd.DataFrame, min_day: float = 10.0) -> pd.DataFrame:
    """Per-mouse BR, BAR and mRECIST (Xeva-exact; see module docstring).

    ``measurements``: canonical table (``arm, mouse_id, day, volume_mm3``). Returns one row per
    mouse (``RESPONSE_COLUMNS``), mice in input order. Rows with a missing volume are ignored.
    """
    data = measurements.dropna(subset=["volume_mm3"])
    rows = []
    for (arm, mouse), g in data.groupby(["arm", "mouse_id"], sort=False):
        g = g.sort_values("day", kind="stable")
        rows.append({"arm": arm, "mouse_id": mouse,
                     **curve_response(g["day"].to_numpy(), g["volume_mm3"].to_numpy(), min_day)})
    out = pd.DataFrame(rows, columns=RESPONSE_COLUMNS)
    return out.astype({"n_measurements": int}) if len(out) else out


def _exact_ci(k: int, n: int, alpha: float) -> tuple[float, float]:
    if n == 0:
        return np.nan, np.nan
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=1 - alpha, method="exact")
    return 100.0 * ci.low, 100.0 * ci.high


def response_summary(response: pd.DataFrame, arms: list[str] | None = None,
                     alpha: float = 0.05) -> pd.DataFrame:
    """Per-arm mRECIST counts, response rate and disease-control rate.

    response rate = 100·(CR + PR)/N, disease-control rate = 100·(CR + PR + SD)/N, N = mice with
    a label (unclassified mice are counted in ``n_unclassified`` and left out of N); exact
    Clopper–Pearson 100·(1 − alpha)% intervals. Reference: DRAP ``DRLevelAnalysis``; Gao 2015.
    """
    arms = arms if arms is not None else list(dict.fromkeys(response["arm"]))
    rows = []
    for arm in arms:
        labels = response.loc[response["arm"] == arm, "mrecist"]
        counts = {lvl: int((labels == lvl).sum()) for lvl in MRECIST_LEVELS}
        n = sum(counts.values())
        rr, dcr = counts["CR"] + counts["PR"], counts["CR"] + counts["PR"] + counts["SD"]
        rr_lo, rr_hi = _exact_ci(rr, n, alpha)
        dc_lo, dc_hi = _exact_ci(dcr, n, alpha)
        rows.append({
            "arm": arm, "n_mice": n, **{f"n_{k.lower()}": v for k, v in counts.items()},
            "n_unclassified": int(labels.isna().sum()),
            "response_rate_pct": 100.0 * rr / n if n else np.nan,
            "response_rate_ci_low": rr_lo, "response_rate_ci_high": rr_hi,
            "disease_control_rate_pct": 100.0 * dcr / n if n else np.nan,
            "disease_control_rate_ci_low": dc_lo,
            "disease_control_rate_ci_high": dc_hi,
        })
    return pd.DataFrame(rows)

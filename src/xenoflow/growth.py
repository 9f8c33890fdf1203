"""Per-mouse growth curves: exponential rate, alternative models chosen by AIC, rate-based T/C.

Everything here works on one mouse at a time; the comparison of arms with a linear mixed model
lives in :mod:`xenoflow.mixed`, and :func:`analyse_growth` ties both together for the rule.

A mouse is the pair (arm, mouse_id); :func:`mouse_key` builds the unique text key
``"<arm>:<mouse_id>"`` used internally (sheets number mice 1..n in every arm).

Zero volumes (complete regression) cannot be log-transformed. ``settings["log_zero_rule"]``
decides, for every log-scale analysis (growth fits, mixed models, end-of-study tests on ln V,
synergy, power, the regimen model):

* ``detection_limit`` (the default) - volumes below the study's detection limit (zeros
  included) are raised to it before taking logs, so a cured mouse stays in the analysis at the
  smallest volume the study could have measured (:func:`detection_limit`: the study file's
  ``detection_limit_mm3``, else half the smallest positive volume of the study: a value below
  the limit is replaced by half of it, the L/2 substitution of Hornung & Reed 1990, Appl Occup
  Environ Hyg 5(1):46-51); the per-mouse table counts them in ``n_floored``;
* ``drop`` - the measurement is left out of the log-scale fits and listed in the exclusions
  frame (reason names the rule): an arm whose tumours all disappeared is then fitted on its
  relapsing mice only;
* ``floor`` - volumes below ``settings["log_floor_mm3"]`` (zeros included) are raised to that
  fixed floor before taking logs.

The stages resolve the detection limit once per study (:func:`with_detection_limit`, into
``settings["detection_limit_mm3"]``), so every analysis of a study floors at the same value.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import mixed, piecewise, visits
from .config import AnalysisSettings, Growth, Study
from .errors import ConfigError
from .io import empty_frame, exclusions_frame
from .refday import choose_reference_day, control_end
from .stats import (
    holm,  # noqa: F401  (re-exported for callers of this module)
    mouse_curves,
    t_sf,
)
from .tables import columns

STAGE = "growth"
#: Alternative per-mouse models in the order they are tried (ties in AIC keep the earlier one).
MODELS = ("exponential", "linear", "gompertz", "logistic", "regrowth")
N_PARAMS = {"exponential": 2, "linear": 2, "gompertz": 3, "logistic": 3, "regrowth": 3}

PER_MOUSE_COLUMNS = columns("growth_per_mouse")


def mouse_key(arm: Any, mouse_id: Any) -> str:
    """Unique mouse identifier ``"<arm>:<mouse_id>"`` (mouse ids repeat across arms)."""
    return f"{arm}:{mouse_id}"


def study_arms(data: pd.DataFrame, arms: Sequence[str] | None, control: str) -> list[str]:
    """Arms in study order (control first among equals is *not* forced; order is the study's).

    Uses the study's ``arm_names`` when given, otherwise the order of first appearance in the
    data. Arms listed in the study but absent from the data are kept out.
    """
    present = list(dict.fromkeys(data["arm"].astype(str)))
    order = [a for a in (arms or present) if a in present]
    order += [a for a in present if a not in order]
    return order


#: Fewest fitted mice an arm needs to enter the mixed model (replicates estimate the
#: between-mouse variance); arms with fewer keep their per-mouse rates only.
MIN_MICE_MIXED = 2


def mixed_model_arms(
    per_mouse: pd.DataFrame, arms: Sequence[str], control: str
) -> tuple[list[str], str]:
    """Arms that enter the mixed model and, when the model is skipped, the reason.

    The model needs the control arm and at least one treated arm with >= ``MIN_MICE_MIXED``
    fitted mice; arms with fewer mice (one-mouse-per-arm PDX designs) are left out of it.
    """
    n = per_mouse.groupby("arm")["mouse_id"].nunique()
    keep = [a for a in arms if n.get(a, 0) >= MIN_MICE_MIXED]
    few = [a for a in arms if 0 < n.get(a, 0) < MIN_MICE_MIXED]
    if control not in set(per_mouse["arm"]):
        return [], (
            f"no control arm '{control}' with fitted mice: mixed model and comparisons "
            "with control skipped; per-mouse rates reported"
        )
    if control not in keep or len(keep) < 2:
        return [], (
            f"fewer than {MIN_MICE_MIXED} mice per arm (control and at least one "
            "treated arm need replicates): mixed model skipped; per-mouse rates reported"
        )
    note = (
        (
            f"arm(s) with fewer than {MIN_MICE_MIXED} mice left out of the mixed model: "
            + ", ".join(few)
        )
        if few
        else ""
    )
    return keep, note


def _exclusion(arm: str, mouse_id: str, day: float | None, reason: str) -> dict[str, Any]:
    return {
        "stage": STAGE,
        "arm": arm,
        "mouse_id": mouse_id,
        "day": np.nan if day is None else float(day),
        "reason": reason,
    }


#: The values of ``log_zero_rule`` (config schema), the default first.
ZERO_RULES = ("detection_limit", "drop", "floor")


def detection_limit(measurements: pd.DataFrame, given: float | None = None) -> float:
    """The study's detection limit (mm³): ``given`` (the study file's ``detection_limit_mm3``),
    else half the smallest positive volume of the study's measurements, LOD/2 (Hornung & Reed
    1990); 1 mm³ when the study has no positive volume."""
    if given is not None:
        return float(given)
    v = pd.to_numeric(measurements["volume_mm3"], errors="coerce").to_numpy(dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    return float(v.min()) / 2.0 if v.size else 1.0


def with_detection_limit(study: Study, measurements: pd.DataFrame) -> Study:
    """The study with ``settings["detection_limit_mm3"]`` resolved from all its measurements
    (:func:`detection_limit`), so that every stage and analysis floors at one value."""
    if "detection_limit_mm3" in study.settings:
        return study
    value = detection_limit(measurements, study.detection_limit_mm3)
    return dataclasses.replace(study, settings={**study.settings, "detection_limit_mm3": value})


def zero_rule(settings: AnalysisSettings, data: pd.DataFrame | None = None) -> tuple[str, float]:
    """The zero rule and its floor (mm³): ``log_floor_mm3`` for ``floor``, the resolved
    detection limit for ``detection_limit`` (from ``data`` by :func:`detection_limit` when the
    settings do not hold it: a direct call), unused for ``drop``."""
    rule = str(settings.get("log_zero_rule", "detection_limit"))
    if rule not in ZERO_RULES:  # validated by the config schema; guard direct calls
        raise ConfigError(
            f"analysis: key 'log_zero_rule': expected {', '.join(ZERO_RULES)}, got {rule!r}"
        )
    if rule == "floor":
        return rule, float(settings.get("log_floor_mm3", 1.0))
    if rule == "detection_limit":
        given = settings.get("detection_limit_mm3")
        if given is not None:
            return rule, float(given)
        return rule, detection_limit(data) if data is not None else 1.0
    return rule, math.nan


def log_volumes(
    data: pd.DataFrame, settings: AnalysisSettings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Natural-log volumes under the study's zero rule.

    Returns ``(frame, exclusions)``; ``frame`` has ``arm, mouse_id, day, volume_mm3, floored,
    volume_used_mm3, log_volume, mouse`` for every measurement kept, sorted by mouse and day.
    Missing volumes are excluded with a reason; zero / sub-floor volumes follow
    ``settings["log_zero_rule"]`` (module docstring): dropped, or raised to the floor
    (:func:`zero_rule`).
    """
    rule, floor = zero_rule(settings, data)
    # on arrays, one frame at the end: a panel runs this for each of its hundreds of models
    # (the frame version is kept in tests/test_growth.py as the reference)
    arm = np.array([str(a) for a in data["arm"].tolist()], dtype=object)
    mouse_id = np.array([str(m) for m in data["mouse_id"].tolist()], dtype=object)
    day = data["day"].to_numpy(dtype=float)
    volume = data["volume_mm3"].to_numpy(dtype=float)
    rows: list[dict[str, Any]] = []
    keep = ~np.isnan(volume)
    for i in np.flatnonzero(~keep):
        rows.append(_exclusion(arm[i], mouse_id[i], day[i], "volume missing"))
    if rule == "drop":
        for i in np.flatnonzero(keep & (volume <= 0)):
            rows.append(
                _exclusion(
                    arm[i],
                    mouse_id[i],
                    day[i],
                    f"volume {volume[i]:g} mm3 cannot be log-transformed: left out of the "
                    "log-scale fits (zero volumes are dropped, not floored)",
                )
            )
        keep &= volume > 0
    arm, mouse_id, day, volume = arm[keep], mouse_id[keep], day[keep], volume[keep]
    floored = volume < floor if rule != "drop" else np.zeros(volume.size, dtype=bool)
    used = np.where(floored, floor, volume)
    mouse = [mouse_key(a, m) for a, m in zip(arm.tolist(), mouse_id.tolist())]
    # keep the input's mouse order (arm in study order, then mouse id), days ascending
    first_seen = {m: i for i, m in enumerate(dict.fromkeys(mouse))}
    order = np.array([first_seen[m] for m in mouse], dtype=np.int64)
    in_order = np.all(
        (order[1:] > order[:-1]) | ((order[1:] == order[:-1]) & (day[1:] >= day[:-1]))
    )
    sort = slice(None) if in_order else np.lexsort((day, order))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_volume = np.log(used)
    frame = pd.DataFrame(
        {
            "arm": arm[sort],
            "mouse_id": mouse_id[sort],
            "day": day[sort],
            "volume_mm3": volume[sort],
            "floored": floored[sort],
            "volume_used_mm3": used[sort],
            "log_volume": log_volume[sort],
            "mouse": np.array(mouse, dtype=object)[sort],
        }
    )
    return frame, exclusions_frame(rows)


@dataclass(frozen=True)
class ExponentialFit:
    """OLS fit of ln V = a + k·day for one mouse."""

    n_points: int
    rate: float
    intercept: float
    rate_se: float
    r_squared: float
    rss: float

    @property
    def doubling_time(self) -> float:
        """Doubling time ln 2 / k (days); NaN unless k > 0."""
        return math.log(2.0) / self.rate if self.rate > 0 else float("nan")


def fit_exponential(day: np.ndarray, log_volume: np.ndarray) -> ExponentialFit:
    """Exponential growth fit by ordinary least squares of ln V on day.

    Model ln V_j = a + k·t_j + e_j. Slope k = S_ty / S_tt (per day), intercept a = ȳ − k·t̄,
    SE(k) = sqrt(RSS / (n − 2) / S_tt) (undefined for n = 2), R² = 1 − RSS / S_yy (1 when
    S_yy = 0 and the fit is exact). Doubling time ln 2 / k for k > 0 (NCI convention; Plowman
    et al. 1997; per-animal log-linear rate as in Hather et al. 2014, Cancer Inform 13(S4)).
    """
    t = np.asarray(day, dtype=float)
    y = np.asarray(log_volume, dtype=float)
    n = t.size
    tm, ym = t.mean(), y.mean()
    stt = float(np.sum((t - tm) ** 2))
    if n < 2 or stt == 0:
        raise ValueError("need at least two distinct days")
    k = float(np.sum((t - tm) * (y - ym)) / stt)
    a = float(ym - k * tm)
    rss = float(np.sum((y - a - k * t) ** 2))
    syy = float(np.sum((y - ym) ** 2))
    se = math.sqrt(rss / (n - 2) / stt) if n > 2 else float("nan")
    r2 = 1.0 - rss / syy if syy > 0 else 1.0
    return ExponentialFit(n, k, a, se, r2, rss)


# --- alternative models, all fitted by least squares on ln V with t = day - first day ----------


def _safe_log(x: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(x, 1e-300))


def _linear(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    # V = a + b t
    return _safe_log(p[0] + p[1] * t)


def _gompertz(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    # V = V0 exp((alpha/beta)(1 - exp(-beta t)))
    lv0, alpha, beta = p
    growth = alpha * t if beta < 1e-10 else alpha / beta * -np.expm1(-beta * t)
    return lv0 + growth


def _logistic(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    # V = K / (1 + (K/V0 - 1) exp(-r t)), parameters (ln V0, ln K, r)
    lv0, lk, r = p
    return lk - np.log1p(np.expm1(lk - lv0) * np.exp(-r * t))


def _regrowth(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    # tumgr: f(t) = exp(-d t) + exp(g t) - 1, V = V0 f
    lv0, d, g = p
    return lv0 + _safe_log(np.exp(-d * t) + np.expm1(g * t))


_MODEL_FUNCS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "linear": _linear,
    "gompertz": _gompertz,
    "logistic": _logistic,
    "regrowth": _regrowth,
}


def _starts_and_bounds(
    model: str, t: np.ndarray, y: np.ndarray, k: float, a: float
) -> tuple[list[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    v = np.exp(y)
    span = max(float(t[-1] - t[0]), 1e-9)
    inf = np.inf
    if model == "linear":
        slope = (v[-1] - v[0]) / span
        starts = [np.array([max(v[0], 1e-6), slope])]
        return starts, (np.array([1e-9, -inf]), np.array([inf, inf]))
    if model == "gompertz":
        kk = max(abs(k), 1e-3)
        starts = [np.array([y[0], 2 * kk, 2.0 / span]), np.array([y[0], kk, 1e-3])]
        return starts, (np.array([-inf, 0.0, 0.0]), np.array([inf, 10.0, 10.0]))
    if model == "logistic":
        kk = max(abs(k), 1e-3)
        starts = [
            np.array([y[0], y.max() + math.log(2.0), 1.5 * kk]),
            np.array([y[0], y.max() + 0.1, 3 * kk]),
        ]
        return starts, (np.array([-inf, -inf, 0.0]), np.array([inf, inf, 10.0]))
    if model == "regrowth":
        imin = int(np.argmin(y))
        d0 = max((y[0] - y[imin]) / max(t[imin], 1e-9), 1e-3) if imin > 0 else 1e-3
        g0 = (
            max((y[-1] - y[imin]) / max(t[-1] - t[imin], 1e-9), 1e-3)
            if imin < y.size - 1
            else max(k, 1e-3)
        )
        starts = [np.array([y[0], d0, g0]), np.array([a, 1e-3, max(k, 1e-3)])]
        return starts, (np.array([-inf, 0.0, 0.0]), np.array([inf, 10.0, 10.0]))
    raise KeyError(model)


def aic_least_squares(rss: float, n: int, n_params: int) -> float:
    """AIC of a least-squares fit with Gaussian errors and unknown variance.

    AIC = n·ln(RSS/n) + n·(1 + ln 2π) + 2·(p + 1), i.e. −2·max log-likelihood + 2·(number of
    parameters including σ²) (Akaike 1974; Burnham & Anderson 2002, §2.2). The constant makes it
    equal to R's ``AIC(lm(...))`` for the exponential (OLS) model.
    """
    if rss <= 0:
        rss = 1e-300
    return n * math.log(rss / n) + n * (1.0 + math.log(2.0 * math.pi)) + 2.0 * (n_params + 1)


def fit_alternative_models(
    day: np.ndarray, log_volume: np.ndarray, max_nfev: int = 2000
) -> dict[str, dict[str, Any]]:
    """Fit the per-mouse candidate models by least squares on ln V; return status, AIC, params.

    Time is t = day − first day. Models (V = volume, all errors additive on ln V):

    * exponential: ln V = a + k·t (OLS; :func:`fit_exponential`);
    * linear: V = a + b·t (a > 0);
    * Gompertz: V = V0·exp((α/β)(1 − e^(−β t))) (α, β ≥ 0; Laird 1964);
    * logistic: V = K / (1 + (K/V0 − 1)·e^(−r t)) (r ≥ 0; Vaghi et al. 2020, PLoS Comput Biol);
    * regression–regrowth: V = V0·(e^(−d t) + e^(g t) − 1) (d, g ≥ 0; Stein et al. 2008 /
      tumgr ``gdrate`` model "gd"). tumgr fits f = V/V0 with V0 the first measurement by
      Levenberg–Marquardt on the ratio scale; here V0 is free and the fit is on ln V so that
      the AIC of all models is comparable.

    A model is fitted only with at least p + 2 points (p = its number of parameters); status is
    ``converged``, ``too few points`` or ``not converged: <reason>``; AIC and parameters are
    NaN unless converged. AIC: :func:`aic_least_squares`.
    """
    from scipy import optimize  # only here: importing it costs ~0.2 s per process

    t = np.asarray(day, dtype=float)
    y = np.asarray(log_volume, dtype=float)
    t = t - t[0]
    n = t.size
    out: dict[str, dict[str, Any]] = {}
    exp = fit_exponential(t, y)
    out["exponential"] = {
        "status": "converged",
        "aic": aic_least_squares(exp.rss, n, 2),
        "params": np.array([exp.intercept, exp.rate]),
    }
    for model, func in _MODEL_FUNCS.items():
        p = N_PARAMS[model]
        if n < p + 2:
            out[model] = {"status": "too few points", "aic": np.nan, "params": None}
            continue
        best = None
        message = ""
        starts, bounds = _starts_and_bounds(model, t, y, exp.rate, exp.intercept)
        for i, x0 in enumerate(starts):
            if i > 0 and best is not None and model != "regrowth":
                break  # a second start only when the first failed (regrowth: always both)
            x0 = np.clip(x0, bounds[0] + 1e-12, bounds[1] - 1e-12)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                try:
                    res = optimize.least_squares(
                        lambda q, f=func: f(q, t) - y,
                        x0,
                        bounds=bounds,
                        method="trf",
                        max_nfev=max_nfev,
                        x_scale="jac",
                    )
                except (ValueError, FloatingPointError) as exc:
                    message = str(exc)
                    continue
            if not res.success or not np.all(np.isfinite(res.fun)):
                message = res.message
                continue
            rss = float(np.sum(res.fun**2))
            if best is None or rss < best[0]:
                best = (rss, res.x)
        if best is None:
            out[model] = {
                "status": f"not converged: {message}".strip(),
                "aic": np.nan,
                "params": None,
            }
        else:
            out[model] = {
                "status": "converged",
                "aic": aic_least_squares(best[0], n, p),
                "params": best[1],
            }
    return out


def best_model(fits: dict[str, dict[str, Any]]) -> str:
    """Name of the converged model with the lowest AIC (earlier in ``MODELS`` wins ties)."""
    cands = [
        (fits[m]["aic"], i, m)
        for i, m in enumerate(MODELS)
        if m in fits and fits[m]["status"] == "converged" and np.isfinite(fits[m]["aic"])
    ]
    return min(cands)[2] if cands else "not fit"


def predict_model(model: str, params: np.ndarray, day: np.ndarray, first_day: float) -> np.ndarray:
    """Fitted volume (mm³) of a per-mouse model at ``day`` (t = day − first_day)."""
    t = np.asarray(day, dtype=float) - first_day
    if model == "exponential":
        return np.exp(params[0] + params[1] * t)
    return np.exp(_MODEL_FUNCS[model](np.asarray(params, dtype=float), t))


def fit_per_mouse(
    data: pd.DataFrame,
    settings: AnalysisSettings,
    arms: Sequence[str] | None = None,
    alternatives: bool = True,
    logged: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-mouse exponential fit plus AIC choice among the alternative models.

    ``data`` is the canonical measurement table. Returns ``(per_mouse, exclusions)``:
    ``per_mouse`` has the columns ``PER_MOUSE_COLUMNS`` (one row per mouse with ≥ 2 usable
    points on ≥ 2 distinct days, in arm then mouse order); mice with fewer usable points and
    measurements left out by the zero rule are in ``exclusions``.
    See :func:`fit_exponential` and :func:`fit_alternative_models` for the formulas.
    ``logged``: :func:`log_volumes` of ``data``, if the caller has it already.
    """
    logd, excl = logged if logged is not None else log_volumes(data, settings)
    rule = str(settings.get("log_zero_rule", "detection_limit"))
    rows: list[dict[str, Any]] = []
    excl_rows: list[dict[str, Any]] = []
    # mice that lost every measurement still need a line in the exclusions
    all_mice = dict.fromkeys(
        zip(map(str, data["arm"].tolist()), map(str, data["mouse_id"].tolist()))
    )
    kept = set(zip(logd["arm"], logd["mouse_id"]))
    for arm, mid in all_mice:
        if (arm, mid) not in kept:
            excl_rows.append(
                _exclusion(
                    arm,
                    mid,
                    None,
                    "mouse has no usable (log-scale) "
                    "measurement; fewer than 2 points for a growth fit",
                )
            )
    floored = Counter(
        (a, m)
        for a, m, f in zip(
            logd["arm"].tolist(), logd["mouse_id"].tolist(), logd["floored"].tolist()
        )
        if f
    )
    for arm, mid, t, y in mouse_curves(logd, "log_volume"):
        if t.size < 2 or np.ptp(t) == 0:
            excl_rows.append(
                _exclusion(
                    arm,
                    mid,
                    None,
                    f"{t.size} usable measurement(s) on "
                    f"{np.unique(t).size} distinct day(s); a growth fit "
                    "needs at least 2 days",
                )
            )
            continue
        exp = fit_exponential(t, y)
        row: dict[str, Any] = {
            "arm": arm,
            "mouse_id": mid,
            "n_points": exp.n_points,
            "n_floored": floored[(arm, mid)],
            "first_day": float(t[0]),
            "last_day": float(t[-1]),
            "growth_rate_per_day": exp.rate,
            "growth_rate_se": exp.rate_se,
            "intercept_log_mm3": exp.intercept,
            "r_squared": exp.r_squared,
            "doubling_time_days": exp.doubling_time,
            "log_zero_rule": rule,
        }
        if alternatives:
            fits = fit_alternative_models(t, y)
            row["best_model"] = best_model(fits)
            for m in MODELS:
                row[f"aic_{m}"] = fits[m]["aic"]
                if m != "exponential":
                    row[f"status_{m}"] = fits[m]["status"]
            reg = fits["regrowth"]["params"]
            row["regrowth_d_per_day"] = float(reg[1]) if reg is not None else np.nan
            row["regrowth_g_per_day"] = float(reg[2]) if reg is not None else np.nan
            row["_fits"] = fits
        rows.append(row)
    per_mouse = pd.DataFrame(rows)
    if per_mouse.empty:
        per_mouse = empty_frame(PER_MOUSE_COLUMNS + ["_fits"])
    present = list(dict.fromkeys(data["arm"].astype(str)))
    order = [a for a in (arms or []) if a in present] + [
        a for a in present if a not in (arms or [])
    ]
    rank = per_mouse["arm"].map({a: i for i, a in enumerate(order)}).to_numpy(dtype=float)
    if not np.all(rank[1:] >= rank[:-1]):  # a stable sort would leave ordered rows as they are
        per_mouse = per_mouse.iloc[np.argsort(rank, kind="stable")]
    cols = [c for c in PER_MOUSE_COLUMNS if c in per_mouse.columns]
    extra = ["_fits"] if "_fits" in per_mouse.columns else []
    exclusions = (
        pd.concat([excl, exclusions_frame(excl_rows)], ignore_index=True) if excl_rows else excl
    )
    return per_mouse[cols + extra].reset_index(drop=True), exclusions


def public_per_mouse(per_mouse: pd.DataFrame) -> pd.DataFrame:
    """The per-mouse table without internal columns (what the rule writes)."""
    return per_mouse[[c for c in per_mouse.columns if not c.startswith("_")]]


def rate_based_tc(rate_treated: float, rate_control: float, days: float) -> float:
    """Rate-based T/C (Hather et al. 2014, Cancer Inform 13(S4):65-72).

    T/C = exp((k̄_T − k̄_C)·t) with k̄ the arm mean of per-animal natural-log growth rates
    (equivalently 10^((r̄_T − r̄_C)·t) with log10 slopes) and t the study length in days.
    """
    return float(math.exp((rate_treated - rate_control) * days))


def welch_slopes(per_mouse: pd.DataFrame, arm: str, reference: str) -> tuple[float, float, float]:
    """Welch t-test of per-mouse OLS growth rates, arm vs reference (Hather et al. 2014).

    t = (k̄_A − k̄_R) / sqrt(s_A²/n_A + s_R²/n_R), Welch–Satterthwaite df
    (s_A²/n_A + s_R²/n_R)² / [(s_A²/n_A)²/(n_A−1) + (s_R²/n_R)²/(n_R−1)]; two-sided p.
    Returns ``(t, df, p)`` (NaN when an arm has < 2 mice).
    """
    a = per_mouse.loc[per_mouse["arm"] == arm, "growth_rate_per_day"].dropna().to_numpy()
    r = per_mouse.loc[per_mouse["arm"] == reference, "growth_rate_per_day"].dropna().to_numpy()
    return welch_t(a, r)


def welch_t(a: np.ndarray, r: np.ndarray) -> tuple[float, float, float]:
    """:func:`welch_slopes` on two arrays of rates (``(t, df, p)``, NaN when either has < 2)."""
    if a.size < 2 or r.size < 2:
        return float("nan"), float("nan"), float("nan")
    va, vr = a.var(ddof=1) / a.size, r.var(ddof=1) / r.size
    if va + vr == 0:
        return float("nan"), float("nan"), float("nan")
    t = (a.mean() - r.mean()) / math.sqrt(va + vr)
    df = (va + vr) ** 2 / (va**2 / (a.size - 1) + vr**2 / (r.size - 1))
    p = 2.0 * t_sf(abs(t), df)
    return float(t), float(df), float(p)


# --- the whole stage -----------------------------------------------------------------------


@dataclass
class GrowthResult:
    """Everything the growth stage writes (tables) plus what the figures need."""

    per_mouse: pd.DataFrame  # with internal ``_fits`` column (model parameters)
    log_data: pd.DataFrame
    model: pd.DataFrame
    contrasts: pd.DataFrame
    fits: pd.DataFrame
    exclusions: pd.DataFrame
    arms: list[str]
    control: str
    #: ``growth_piecewise`` (two-phase model; header only when not fitted)
    piecewise: pd.DataFrame = field(default_factory=lambda: empty_frame(piecewise.COLUMNS))


def within_control_follow_up(
    logd: pd.DataFrame,
    data: pd.DataFrame,
    control: str,
    min_fraction: float,
    aligned: visits.Aligned | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(kept, exclusions)``: the log volumes of the days on which the control still has at
    least ``min_fraction`` of its mice measured (:func:`xenoflow.refday.control_end`), for the
    mixed model whose slopes are compared with the control's (mice counted in ``data``, the
    measurements), and an exclusions row for each
    later measurement. A treated arm's rate past the control's follow-up would be compared
    with a control rate extrapolated beyond its data. Nothing is cut when the control is
    absent or followed to the end. ``aligned``: the visits of ``data``'s rows
    (:func:`xenoflow.visits.align`): mice are counted, and measurements cut, by their visit
    day, so a control measured on two neighbouring days of one visit is not counted as two
    thin days."""
    at_visit = visits.redate(data, aligned, data) if aligned is not None else data
    end = control_end(at_visit, control, min_fraction)
    visit_day = visits.redate(logd, aligned, data)["day"] if aligned is not None else logd["day"]
    late = visit_day.to_numpy(dtype=float) > end if math.isfinite(end) else None
    if late is None or not late.any():
        return logd, exclusions_frame([])
    reason = (
        f"after day {end:g}, the control's last day with at least {min_fraction:.0%} of its "
        "mice measured: not in the mixed model (no rate compared past the control's follow-up)"
    )
    rows = [
        _exclusion(a, m, d, reason)
        for a, m, d in logd.loc[late, ["arm", "mouse_id", "day"]].itertuples(index=False)
    ]
    return logd[~late].reset_index(drop=True), exclusions_frame(rows)


def tc_days(
    data: pd.DataFrame, reference_day: float | None, baseline_day: float | None
) -> tuple[float, float]:
    """(reference day, study length t) for the rate-based T/C.

    Reference day = the study's ``reference_day`` or else the default rule's day
    (:func:`xenoflow.refday.choose_reference_day`: every arm, the control included, still
    has half its mice measured, so the rates are not compared past the control's follow-up);
    t = reference day − start, start = ``baseline_day`` or else the first measured day.
    """
    ref = choose_reference_day(data, reference_day).day
    start = float(baseline_day) if baseline_day is not None else float(data["day"].min())
    return ref, ref - start


def _visit_days(
    rows: pd.DataFrame, aligned: visits.Aligned | None, data: pd.DataFrame
) -> np.ndarray | None:
    """The scheduled visit of each of ``rows`` (rows of ``data``, :func:`xenoflow.visits.redate`),
    None when nothing was re-dated."""
    if aligned is None:
        return None
    return visits.redate(rows, aligned, data)["day"].to_numpy(dtype=float)


MODEL_COLUMNS = columns("growth_model")
WELCH_LABEL = "Welch t-test on per-mouse OLS rates (Hather et al. 2014)"


def analyse(
    data: pd.DataFrame,
    settings: AnalysisSettings,
    arms: Sequence[str] | None,
    control: str,
    reference_day: float | None = None,
    baseline_day: float | None = None,
    two_phase: Growth | None = None,
    study_file: str = "study file",
    aligned: visits.Aligned | None = None,
) -> GrowthResult:
    """Run the growth stage: per-mouse fits, mixed model, contrasts, rate-based T/C, and the
    two-phase model (:func:`xenoflow.piecewise.analyse`, options ``two_phase``).

    Growth rates, differences vs control and Wald p come from the selected mixed model
    (:mod:`xenoflow.mixed`); the small-sample p is the t test with Satterthwaite df
    (:func:`xenoflow.mixed.satterthwaite_df`), or :func:`welch_slopes` when that cannot be
    computed (both are reported, with their labels); rate-based T/C is
    :func:`rate_based_tc` with per-mouse rates fitted on days ≤ the reference day
    (``rate_based_tc``) and, for comparison, with the mixed-model rates (``rate_based_tc_lmm``).
    If no mixed model can be fitted, per-arm means of per-mouse OLS rates (SE = SD/√n) are
    reported instead and ``model`` says so. ``aligned``: the scheduled visits of ``data``'s rows
    (:func:`xenoflow.visits.align`, staggered calendars): the cuts by day (the control's
    follow-up, the days up to the reference day of the rate-based T/C) use each measurement's
    visit day; the fits use the measured day.
    """
    alpha = float(settings.get("alpha", 0.05))
    arm_order = study_arms(data, arms, control)
    logged = log_volumes(data, settings)
    per_mouse, exclusions = fit_per_mouse(
        data,
        settings,
        arm_order,
        alternatives=settings.get("growth_model_selection", True),
        logged=logged,
    )
    logd = logged[0]
    fitted = set(zip(per_mouse["arm"], per_mouse["mouse_id"]))
    logd = logd[[(a, m) in fitted for a, m in zip(logd["arm"], logd["mouse_id"])]]
    logd = logd.reset_index(drop=True)
    ref_day, t_len = tc_days(data, reference_day, baseline_day)
    fraction = float(settings.get("mean_min_fraction", 0.5))
    compared, late = within_control_follow_up(logd, data, control, fraction, aligned)
    if len(late):
        exclusions = pd.concat([exclusions, late], ignore_index=True)
    visit_day = visits.redate(data, aligned, data)["day"] if aligned is not None else data["day"]
    early = data[(visit_day <= ref_day).to_numpy()]
    pm_tc = (
        fit_per_mouse(early, settings, arm_order, alternatives=False)[0]
        if ref_day < float(data["day"].max())
        else per_mouse
    )
    mean_rate = per_mouse.groupby("arm")["growth_rate_per_day"].mean()
    mean_rate_tc = pm_tc.groupby("arm")["growth_rate_per_day"].mean()

    model_arms, skip_note = mixed_model_arms(per_mouse, arm_order, control)
    fits: list[Any] = []
    sel, note = None, skip_note
    two_phase_table = empty_frame(piecewise.COLUMNS)
    if model_arms:
        in_model = compared[compared["arm"].isin(model_arms)].reset_index(drop=True)
        sel, fits, note = mixed.fit_mixed(in_model, model_arms, control)
        note = "; ".join(x for x in (skip_note, note) if x)
        window = (
            float(baseline_day) if baseline_day is not None else float(data["day"].min()),
            choose_reference_day(data, reference_day).day,
        )
        # the two-phase model describes each arm's phases over all its days (a regrowth after
        # the control's follow-up is the finding); its whole-curve difference stops at the
        # reference day, within the control's follow-up
        in_arms = logd[logd["arm"].isin(model_arms)].reset_index(drop=True)
        two_phase_table = piecewise.analyse(
            in_arms,
            model_arms,
            control,
            two_phase or Growth(),
            settings,
            window,
            study_file,
            visit_day=_visit_days(in_arms, aligned, data),
        ).table
    rows = []
    if sel is not None:
        rates = mixed.arm_rates(sel, model_arms, control, alpha).set_index("arm")
        contrasts = mixed.slope_contrasts(sel, model_arms, control, alpha)
        label = (
            f"LMM ln V ~ day * arm + {mixed.STRUCTURE_LABELS[sel.structure]}, REML "
            "(statsmodels MixedLM + profiled REML)"
        )
    else:
        rates = pd.DataFrame()
        contrasts = empty_frame(CONTRAST_COLUMNS)
        label = (
            "per-mouse OLS rates, arm mean (mixed model could not be fitted)"
            if model_arms
            else "per-mouse OLS rates, arm mean (mixed model skipped)"
        )
    control_rate = None
    # each arm's per-mouse rates (with NaN: all_rates_of) as arrays, not a frame per arm
    all_rates_of: dict[str, np.ndarray] = {}
    arm_of_mouse = per_mouse["arm"].to_numpy(dtype=object)
    k_all = per_mouse["growth_rate_per_day"].to_numpy(dtype=float)
    for a in dict.fromkeys(arm_of_mouse.tolist()):
        all_rates_of[a] = k_all[arm_of_mouse == a]
    rates_of = {a: k[~np.isnan(k)] for a, k in all_rates_of.items()}
    n_obs_of = Counter(logd["arm"].tolist())
    empty = np.array([], dtype=float)
    for arm in arm_order:
        n_obs = int(n_obs_of.get(arm, 0))
        row: dict[str, Any] = {
            "arm": arm,
            "n_mice": len(all_rates_of.get(arm, empty)),
            "n_obs": n_obs,
            "mean_per_mouse_rate_per_day": mean_rate.get(arm, np.nan),
        }
        if sel is not None and arm in rates.index:
            row.update(rates.loc[arm].to_dict())
        else:
            k = all_rates_of.get(arm, empty)
            se = float(k.std(ddof=1) / math.sqrt(k.size)) if k.size > 1 else np.nan
            row.update(growth_rate_per_day=float(k.mean()) if k.size else np.nan, growth_rate_se=se)
        rate = row.get("growth_rate_per_day", np.nan)
        row["doubling_time_days"] = math.log(2.0) / rate if rate > 0 else np.nan
        if arm == control:
            control_rate = rate
        else:
            t, df, p = welch_t(rates_of.get(arm, empty), rates_of.get(control, empty))
            row.update(p_value_welch=p, welch_df=df)
            p_satt = row.get("p_value_satterthwaite", np.nan)
            if np.isfinite(p_satt):
                row.update(
                    p_value_small_sample=p_satt,
                    p_value_small_sample_method=mixed.SATTERTHWAITE_LABEL,
                )
            else:
                row.update(p_value_small_sample=p, p_value_small_sample_method=WELCH_LABEL)
            if sel is None:
                row["p_value"], row["p_value_method"] = p, WELCH_LABEL
            kt, kc = mean_rate_tc.get(arm, np.nan), mean_rate_tc.get(control, np.nan)
            row["rate_based_tc"] = (
                rate_based_tc(kt, kc, t_len) if np.isfinite(kt) and np.isfinite(kc) else np.nan
            )
        row["tc_reference_day"] = ref_day
        row["model_to_day"] = float(compared["day"].max()) if len(compared) else np.nan
        row["tc_days"] = t_len
        row["model"] = label
        if sel is not None:
            row.update(
                random_effects=mixed.STRUCTURE_LABELS[sel.structure],
                reml_loglik=sel.llf,
                optimiser=sel.optimiser,
                converged=sel.converged,
                singular_fit=sel.singular,
            )
        row["fallback_note"] = note
        rows.append(row)
    model = pd.DataFrame(rows)
    if control_rate is not None and "rate_diff_vs_control" in model:
        treated = model["arm"] != control
        model.loc[treated, "rate_based_tc_lmm"] = np.exp(
            model.loc[treated, "rate_diff_vs_control"].astype(float) * t_len
        )
    model = model.reindex(columns=MODEL_COLUMNS)
    return GrowthResult(
        per_mouse=per_mouse,
        log_data=logd,
        model=model,
        contrasts=contrasts,
        fits=_fits_table(fits, sel),
        exclusions=exclusions,
        arms=arm_order,
        control=control,
        piecewise=two_phase_table,
    )


CONTRAST_COLUMNS = columns("growth_contrasts")
FITS_COLUMNS = columns("growth_model_fits")


def _fits_table(fits: list[Any], sel: Any) -> pd.DataFrame:
    if not fits:
        return empty_frame(FITS_COLUMNS)
    return mixed.fits_table(fits, sel)


def analyse_study(
    data: pd.DataFrame, study: Study, baseline_day: float | None = None
) -> GrowthResult:
    """:func:`analyse` with the arms, control, days and settings of a ``Study``. The models of
    a panel (``split_by``) get the two-phase model only when their study file asks for it
    (``piecewise: always`` or a ``breakpoint_day``): its profile likelihood takes seconds per
    model. ``baseline_day``: the resolved baseline (:func:`xenoflow.baseline.resolve`), else
    the study file's."""
    two_phase = study.growth
    if study.panel_id is not None and two_phase.piecewise == "auto":
        if two_phase.breakpoint_day is None:
            two_phase = dataclasses.replace(two_phase, piecewise="never")
    reference_day = study.reference_day
    at_visit, aligned = visits.comparison_days(study, data)
    if reference_day is None and aligned.changed:
        # the efficacy stage's day: chosen at the scheduled visits
        chosen = choose_reference_day(at_visit).day
        reference_day = None if math.isnan(chosen) else chosen
    return analyse(
        data,
        study.settings,
        study.arm_names,
        study.control,
        reference_day=reference_day,
        baseline_day=study.baseline_day if baseline_day is None else baseline_day,
        two_phase=two_phase,
        study_file=study.path.name,
        aligned=aligned if aligned.changed else None,
    )

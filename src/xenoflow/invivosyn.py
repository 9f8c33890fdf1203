"""Combination synergy as invivoSyn and CombPDX define it (TGI, AUC, day-specific and global CI).

Pure functions: the canonical measurement table (``arm, mouse_id, day, volume_mm3``; a mouse is
the pair (arm, mouse_id)) and the four arms of one combination design (control, drug A, drug B,
combination) in, a tidy DataFrame out. Formulas: ``../shared/reference/anchors.md`` §2.5, read
against the invivoSyn source (github maobinchen/invivoSyn @ 7dcab78, ``R/read_tv.R``,
``R/efficacy.R``, ``R/synergy.R``; Mao, Guo et al. 2023) and CombPDX (Huang et al. 2022,
Sci Rep 12:1–10).

Preparation (invivoSyn ``expand_tv``)
    Day is re-zeroed and TV0 = the volume on day 0. The invivoSyn code computes each mouse's
    first day but then subtracts ``min(Day)`` of the *whole* table (the dplyr pipe is not
    grouped), so day 0 is the design's first measured day and a mouse first measured later
    has no TV0. That is what is implemented here: TV0 = the mouse's volume on the first day
    measured in the four arms; mice without one are excluded (``exclusions``), as are, from
    the RTV-based metrics only, mice with TV0 = 0 (RTV = TV/TV0 undefined; invivoSyn makes it
    NA). When every mouse starts on the same day (all four CrownBio studies) this equals
    re-zeroing per mouse. Days in the output are study days (re-zeroed day + first day).
    ΔTV = TV − TV0, RTV = TV/TV0, y = log(TV + 1).

TGI synergy (``TGI_synergy`` on ``getTGI``), day d (default: last day all four arms are measured)
    TGI_g = 1 − mean(x_g)/mean(x_control) over the mice measured on d, x = ΔTV (invivoSyn
    default) or RTV (CombPDX definition; ``tgi_on="rtv"``). Expected combination TGI:
    Bliss 1 − (1 − TGI_A)(1 − TGI_B), HSA max(TGI_A, TGI_B), RA TGI_A + TGI_B. Score =
    100·(TGI_AB − TGI_exp) (%), "combination index" = log(TGI_AB / TGI_exp); > 0 = synergy.
    p(synergy) = 1 − P*(TGI*_AB > TGI*_exp) over bootstrap resamples.

AUC synergy (``get_AUC``, ``bs_AUC_synergy``), measurements up to ``auc_day``
    By default every measurement (invivoSyn ``get_mAUCr(sel_day = NA)``: a per-mouse rate uses
    the whole curve, so treated mice followed after the vehicle arm ended count in full). Per
    mouse with ≥ 2 measurements, k = 2·[∫y dt − y_first·span]/span², trapezoid rule, span =
    t_last − t_first (the exponential growth rate when y is linear in t). With k̄_g the arm mean,
    s_g = exp((k̄_g − k̄_control)·t), t = ``auc_horizon`` (invivoSyn default 21 days).
    Expected s_AB: Bliss s_A·s_B, HSA min(s_A, s_B), RA (1 − s_A) + (1 − s_B) — as *coded* in
    invivoSyn (its vignette states s_A + s_B − 1; the code's sum(1 − s_i) is kept so the numbers
    match the package). CI = s_AB/s_exp (< 1 = synergy), SS = 100·(s_exp − s_AB) (> 0 =
    synergy); p = P*(CI* > 1) and P*(SS* < 0) as ``AUC_synergy``. The CI's interval is taken
    on the log scale; when s_exp ≤ 0 or its bootstrap interval reaches 0 (RA only) the ratio is
    not estimable: no score, interval or p, ``p_method`` says why (:func:`auc_rows`).
    Every row: an interval that does not contain its estimate is not reported (:func:`_row`).

CombPDX day-specific combination index (``CombPDX_CI``), every day in (first day, d]
    With R̄_g, s²_g (ddof 1), n_g the arm mean, variance and count of RTV on that day:
    Bliss log CI = ln R̄_A + ln R̄_B − ln R̄_C − ln R̄_AB; HSA = ln R̄_best − ln R̄_AB (best = the
    smaller of R̄_A, R̄_B; B on ties, as coded); RA = ln(R̄_A + R̄_B) − ln(R̄_C + R̄_AB); > 0 =
    synergy. Delta-method variance: Bliss Σ_g s²_g/(n_g R̄²_g); HSA the same over best and AB;
    RA (s²_A/n_A + s²_B/n_B)/(R̄_A + R̄_B)² + (s²_C/n_C + s²_AB/n_AB)/(R̄_C + R̄_AB)².
    p = 1 − Φ(logCI/SE) (one-sided, as coded). Interval: logCI ± z·SE with z = Φ⁻¹(1 − α/2),
    two-sided; invivoSyn uses z = Φ⁻¹(ci) (1.645 for ci = 0.95, a 90 % two-sided interval), so
    here every row of the table has the same 95 % coverage instead.

CombPDX global combination index (``global_CI_synergy``, ``bs_global_CI``)
    gCI = mean of the day-specific log CI over the days in (first day, d] on which all four
    arms have an RTV; p = P*(gCI* ≤ 0). invivoSyn's HSA branch takes ``min()`` over *all*
    days of both single arms (a scalar, a bug); here the best single arm is chosen per day, as
    in the day-specific index.

Bootstrap (``boot::boot(strata = Group)`` in invivoSyn)
    Stratified over mice: each arm resampled with replacement to its own size, arms drawn in
    the order control, A, B, AB from ``numpy.random.default_rng(seed)`` (a fresh generator per
    basis, so one basis's numbers do not depend on which others ran); a whole mouse is
    resampled, so its days stay together. Percentile intervals by ``numpy.quantile`` over the
    resamples where the statistic is defined (linear, R type 7; R's ``boot.ci`` interpolates
    order statistics slightly differently, and its random draws differ anyway).

Checks (``tests/test_invivosyn.py``): hand-computed cases; every deterministic number against
base-R implementations of the invivoSyn formulas on the CrownBio studies (1e-10); preparation
against the package's own ``data/SW837.rda``; bootstrap p and percentile bounds against R
``boot`` at 20000 resamples; the invivoSyn README's AUC example (SNU-81).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

from xenoflow.errors import InputError, NotEstimable

METHODS = ("bliss", "hsa", "ra")
ROLES = ("control", "drug_a", "drug_b", "combination")
COLUMNS = [
    "method",
    "basis",
    "day",
    "statistic",
    "score",
    "ci_low",
    "ci_high",
    "p_value",
    "p_method",
]
EXCLUSION_COLUMNS = ["arm", "mouse_id", "basis", "reason"]
#: the bases of :func:`synergy_parts`, as a skip reason names them
BASES = {"tgi": "TGI synergy", "auc": "AUC synergy", "combpdx": "CombPDX combination index"}
TgiOn = Literal["delta_tv", "rtv"]
Array = np.ndarray


@dataclass(frozen=True)
class Boot:
    """Bootstrap settings: resamples, seed and the two-sided confidence level."""

    n_boot: int = 1000
    seed: int = 0
    ci: float = 0.95

    def label(self, p_rule: str) -> str:
        return (
            f"stratified bootstrap of mice by arm, {self.n_boot} resamples, "
            f"{100 * self.ci:g}% percentile CI; p = {p_rule}"
        )


def prepare(measurements: pd.DataFrame, arms: Sequence[str]) -> pd.DataFrame:
    """The four arms' measurements with ``role``, ``t`` (re-zeroed day), TV0, ΔTV, RTV, log(TV+1).

    Mice without a volume on the first day (no TV0) are dropped here; ``exclusions`` lists them.
    """
    tv = _four_arms(measurements, arms)
    first = float(tv["day"].min())
    base = tv.loc[tv["day"] == first, ["arm", "mouse_id", "volume_mm3"]]
    tv = tv.merge(base.rename(columns={"volume_mm3": "tv0"}), on=["arm", "mouse_id"])
    tv["t"] = tv["day"] - first
    tv["delta_tv"] = tv["volume_mm3"] - tv["tv0"]
    # RTV is NA when TV0 = 0, as in expand_tv; RTV-based metrics skip those mice
    tv["rtv"] = (tv["volume_mm3"] / tv["tv0"]).where(tv["tv0"] > 0)
    tv["log_tv"] = np.log(tv["volume_mm3"] + 1.0)
    return tv.sort_values(["role", "arm", "mouse_id", "day"], kind="stable").reset_index(drop=True)


def _four_arms(measurements: pd.DataFrame, arms: Sequence[str]) -> pd.DataFrame:
    if len(arms) != 4 or len(set(arms)) != 4:
        raise InputError(
            f"invivoSyn synergy needs four distinct arms (control, drug A, drug B, combination), got {list(arms)}"
        )
    missing = [a for a in arms if a not in set(measurements["arm"])]
    if missing:
        raise NotEstimable(f"arms {missing} have no measurements")
    tv = measurements.loc[
        measurements["arm"].isin(arms), ["arm", "mouse_id", "day", "volume_mm3"]
    ].copy()
    tv = tv.dropna(subset=["volume_mm3"])
    tv["role"] = tv["arm"].map({a: i for i, a in enumerate(arms)})
    return tv


def exclusions(
    measurements: pd.DataFrame, arms: Sequence[str], auc_day: float | None = None
) -> pd.DataFrame:
    """Mice left out of a basis, with the reason (nothing is dropped silently).

    ``auc_day`` as in :func:`invivosyn_synergy` (None: every measurement counts).
    """
    tv = _four_arms(measurements, arms)
    first = float(tv["day"].min())
    rows: list[tuple[str, str, str, str]] = []
    for (arm, mouse), g in tv.groupby(["arm", "mouse_id"], sort=True):
        if not (g["day"] == first).any():
            reason = f"no volume on the first day {first:g} (no TV0; invivoSyn expand_tv)"
            rows.append((str(arm), str(mouse), "all", reason))
        elif float(g.loc[g["day"] == first, "volume_mm3"].iloc[0]) == 0:
            rows += [
                (str(arm), str(mouse), b, f"TV0 = 0: RTV undefined ({why})")
                for b, why in (("tgi", "TGI on RTV only"), ("combpdx", "all CombPDX rows"))
            ]
    prepared = prepare(measurements, arms)
    last = np.inf if auc_day is None else float(auc_day)
    counts = prepared[prepared["day"] <= last].groupby(["arm", "mouse_id"]).size()
    upto = "" if auc_day is None else f" up to day {last:g}"
    rows += [
        (str(a), str(m), "auc", f"fewer than 2 volumes{upto} (no AUC rate)")
        for (a, m), n in counts.items()
        if n < 2
    ]
    return pd.DataFrame(rows, columns=EXCLUSION_COLUMNS)


def default_day(tv: pd.DataFrame) -> float:
    """The last study day on which every one of the four arms has a measured mouse."""
    arms_per_day = tv.groupby("day")["role"].nunique()
    shared = arms_per_day[arms_per_day == 4].index
    if shared.empty:
        raise NotEstimable(
            "no day on which all four arms have a mouse with a volume on the first day"
        )
    return float(shared.max())


# --- shared formulas -------------------------------------------------------------------


def _expected_effect(a: Array, b: Array, method: str) -> Array:
    """Expected combined inhibition (fractions): Bliss 1 − (1−a)(1−b), HSA max, RA a + b."""
    if method == "bliss":
        return 1.0 - (1.0 - a) * (1.0 - b)
    return np.maximum(a, b) if method == "hsa" else a + b


def _expected_survival(s_a: Array, s_b: Array, method: str) -> Array:
    """Expected combination 'survival' s: Bliss s_A·s_B, HSA min, RA Σ(1 − s_i) as coded."""
    if method == "bliss":
        return s_a * s_b
    return np.minimum(s_a, s_b) if method == "hsa" else (1.0 - s_a) + (1.0 - s_b)


def log_combination_index(means: Array, method: str) -> Array:
    """CombPDX log CI from arm mean RTVs ``means[..., (control, A, B, AB)]``; > 0 = synergy."""
    c, a, b, ab = (means[..., i] for i in range(4))
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "bliss":
            return np.log(a) + np.log(b) - np.log(c) - np.log(ab)
        if method == "hsa":
            return np.log(np.where(a < b, a, b)) - np.log(ab)
        return np.log(a + b) - np.log(c + ab)


def log_ci_variance(means: Array, variances: Array, n: Array, method: str) -> float:
    """Delta-method variance of the CombPDX log CI (``CombPDX_CI``; Huang et al. 2022)."""
    term = variances / n  # variance of each arm mean
    if method == "bliss":
        return float(np.sum(term / means**2))
    if method == "hsa":
        best = 1 if means[1] < means[2] else 2
        return float(term[best] / means[best] ** 2 + term[3] / means[3] ** 2)
    return float(
        (term[1] + term[2]) / (means[1] + means[2]) ** 2
        + (term[0] + term[3]) / (means[0] + means[3]) ** 2
    )


# --- bootstrap -------------------------------------------------------------------------


def resampled_means(groups: Sequence[Array], boot: Boot) -> Array:
    """Arm means of stratified resamples: shape (n_boot, 4) or (n_boot, n_days, 4).

    ``groups[g]`` holds one row per mouse (1-D values, or 2-D mouse × day with NaN where a
    mouse was not measured); NaN-aware means so a day a resample did not measure is NaN.
    """
    rng = np.random.default_rng(boot.seed)
    out = []
    for values in groups:
        idx = rng.integers(0, len(values), size=(boot.n_boot, len(values)))
        with _quiet():
            out.append(np.nanmean(values[idx], axis=1))
    return np.stack(out, axis=-1)


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence NaN-mean warnings: a day no resampled mouse was measured is expected here."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _interval(replicates: Array, ci: float) -> tuple[float, float]:
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return (np.nan, np.nan)
    lo, hi = np.quantile(finite, [(1 - ci) / 2, (1 + ci) / 2])
    return float(lo), float(hi)


def _share(event: Array, defined: Array) -> float:
    """Fraction of the resamples where the statistic is defined in which ``event`` holds."""
    return float(np.sum(event & defined) / np.sum(defined)) if np.any(defined) else np.nan


def _row(
    method: str,
    basis: str,
    day: float,
    statistic: str,
    score: float,
    interval: tuple[float, float],
    p: float,
    p_method: str,
) -> dict[str, object]:
    """One row; an interval that does not contain its estimate (a percentile interval of a
    statistic whose replicates are skewed or undefined in part) is not reported, and
    ``p_method`` says so: no row states an estimate outside its own interval."""
    low, high = interval
    if np.isfinite(score) and np.isfinite(low) and np.isfinite(high) and not low <= score <= high:
        p_method += (
            f"; the interval ({low:.2g}, {high:.2g}) does not contain the estimate: not reported"
        )
        interval = (np.nan, np.nan)
    return dict(zip(COLUMNS, [method, basis, day, statistic, score, *interval, p, p_method]))


# --- TGI -------------------------------------------------------------------------------


def tgi_values(tv: pd.DataFrame, arms: Sequence[str], day: float, tgi_on: TgiOn) -> list[Array]:
    """Per arm (control, A, B, AB) the ΔTV or RTV of the mice measured on ``day``."""
    on_day = tv[(tv["day"] == day) & tv[tgi_on].notna()]
    groups = [on_day.loc[on_day["role"] == r, tgi_on].to_numpy(float) for r in range(4)]
    _require_all(arms, groups, f"with {tgi_on} on day {day:g} (TGI synergy)")
    return groups


def _require_all(arms: Sequence[str], groups: Sequence[Array], what: str) -> None:
    """NotEstimable naming each arm (by the design's names: an arm with no mouse left has no
    row in the data to take its name from) whose group is empty."""
    empty = [f"{arms[r]} ({ROLES[r]})" for r, g in enumerate(groups) if g.size == 0]
    if empty:
        raise NotEstimable(f"no mouse of arm {', '.join(empty)} {what}")


def tgi_synergy(means: Array, method: str) -> tuple[Array, Array]:
    """(score %, log CI) from arm means (..., 4): TGI_g = 1 − mean_g/mean_control (getTGI)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        tgi = 1.0 - means[..., 1:] / means[..., :1]
        expected = _expected_effect(tgi[..., 0], tgi[..., 1], method)
        return 100.0 * (tgi[..., 2] - expected), np.log(tgi[..., 2] / expected)


def tgi_rows(
    tv: pd.DataFrame, arms: Sequence[str], day: float, tgi_on: TgiOn, boot: Boot
) -> list[dict[str, object]]:
    """TGI-based Bliss/HSA/RA rows (``TGI_synergy``): score and log CI with bootstrap CI and p."""
    groups = tgi_values(tv, arms, day, tgi_on)
    point = np.array([g.mean() for g in groups])
    reps = resampled_means(groups, boot)
    label = "ΔTV" if tgi_on == "delta_tv" else "RTV (CombPDX)"
    p_method = boot.label("1 − P*(TGI_combo > TGI_expected)")
    rows = []
    for method in METHODS:
        score, log_ci = tgi_synergy(point, method)
        score_b, log_ci_b = tgi_synergy(reps, method)
        # score > 0 ⇔ combo > expected; the one p serves both statistics as in TGI_synergy
        p = 1.0 - _share(score_b > 0, np.isfinite(score_b))
        for stat, value, rep in (
            (f"TGI_combo - TGI_expected (%), TGI from {label}", score, score_b),
            (f"log(TGI_combo / TGI_expected), TGI from {label}", log_ci, log_ci_b),
        ):
            interval = _interval(rep, boot.ci)
            rows.append(_row(method, "tgi", day, stat, float(value), interval, p, p_method))
    return rows


# --- AUC -------------------------------------------------------------------------------


def auc_rate(t: Array, y: Array) -> float:
    """invivoSyn ``get_AUC``: k = 2·[trapz(t, y) − y_first·span]/span², NaN for < 2 points."""
    if len(t) < 2:
        return np.nan
    span = t[-1] - t[0]
    area = float(np.sum(np.diff(t) * (y[1:] + y[:-1]) / 2.0))
    return 2.0 * (area - y[0] * span) / span**2


def auc_rates(tv: pd.DataFrame, day: float) -> pd.DataFrame:
    """Per mouse ``role, arm, mouse_id, k`` from log(TV + 1) up to ``day`` (mice with ≥ 2 days)."""
    upto = tv[tv["day"] <= day]
    rows = [
        (role, arm, mouse, auc_rate(g["t"].to_numpy(float), g["log_tv"].to_numpy(float)))
        for (role, arm, mouse), g in upto.groupby(["role", "arm", "mouse_id"], sort=True)
    ]
    rates = pd.DataFrame(rows, columns=["role", "arm", "mouse_id", "k"])
    return rates[rates["k"].notna()].reset_index(drop=True)


def auc_synergy(mean_k: Array, method: str, horizon: float) -> tuple[Array, Array]:
    """(CI, SS) from arm mean rates (..., 4): s_g = exp((k̄_g − k̄_control)·t) (bs_AUC_synergy)."""
    s = np.exp((mean_k[..., 1:] - mean_k[..., :1]) * horizon)
    expected = _expected_survival(s[..., 0], s[..., 1], method)
    with np.errstate(divide="ignore", invalid="ignore"):
        return s[..., 2] / expected, 100.0 * (expected - s[..., 2])


def auc_rows(
    tv: pd.DataFrame, arms: Sequence[str], day: float, horizon: float, boot: Boot
) -> list[dict[str, object]]:
    """AUC-based Bliss/HSA/RA rows (``AUC_synergy``): CI and SS with bootstrap CI and p.

    The ratio CI = s_AB/s_expected is a ratio of positive quantities only while s_expected > 0
    (always for Bliss and HSA; RA's (1 − s_A) + (1 − s_B) is not): its interval is the
    percentile interval of ln CI* transformed back, and when s_expected ≤ 0 or its own
    bootstrap interval reaches 0 the ratio is *not estimable* — score, interval and p are left
    empty and ``p_method`` says why (a ratio whose denominator may be 0 has no interval: the
    replicates jump between ±∞, so invivoSyn's percentile interval of 108 was (−54, 34)).
    """
    rates = auc_rates(tv, day)
    groups = [rates.loc[rates["role"] == r, "k"].to_numpy(float) for r in range(4)]
    _require_all(arms, groups, f"with 2 volumes by day {day:g} (AUC synergy)")
    point = np.array([g.mean() for g in groups])
    reps = resampled_means(groups, boot)
    rows = []
    for method in METHODS:
        ci, ss = auc_synergy(point, method, horizon)
        ci_b, ss_b = auc_synergy(reps, method, horizon)
        name = f"s = exp((k - k_control) * {horizon:g} d), k = AUC growth rate"
        why = _denominator_reason(point, reps, method, horizon, boot.ci)
        if why:
            rows.append(
                _row(
                    method,
                    "auc",
                    day,
                    f"s_combo / s_expected, {name}",
                    np.nan,
                    (np.nan, np.nan),
                    np.nan,
                    f"not estimable: {why}",
                )
            )
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                low, high = _interval(np.log(ci_b), boot.ci)
            p = _share(ci_b > 1, np.isfinite(ci_b))
            rule = boot.label("P*(CI > 1)") + " (interval on the log scale)"
            interval = (float(np.exp(low)), float(np.exp(high)))
            rows.append(
                _row(
                    method,
                    "auc",
                    day,
                    f"s_combo / s_expected, {name}",
                    float(ci),
                    interval,
                    p,
                    rule,
                )
            )
        p = _share(ss_b < 0, np.isfinite(ss_b))
        interval = _interval(ss_b, boot.ci)
        stat = f"100 * (s_expected - s_combo), {name}"
        rows.append(
            _row(method, "auc", day, stat, float(ss), interval, p, boot.label("P*(SS < 0)"))
        )
    return rows


def _denominator_reason(point: Array, reps: Array, method: str, horizon: float, ci: float) -> str:
    """Why s_combo/s_expected cannot be estimated ('' when it can): s_expected ≤ 0, or its
    bootstrap percentile interval reaches 0."""
    s = np.exp((point[1:] - point[0]) * horizon)
    expected = float(_expected_survival(s[0], s[1], method))
    s_b = np.exp((reps[..., 1:] - reps[..., :1]) * horizon)
    low, high = _interval(_expected_survival(s_b[..., 0], s_b[..., 1], method), ci)
    if expected > 0 and low > 0:
        return ""
    return (
        f"the expected s ({expected:.3g}; {100 * ci:g}% bootstrap interval {low:.2g} to "
        f"{high:.2g}) is not above 0, so the combination index (observed over expected s) has "
        "no estimate"
    )


# --- CombPDX ---------------------------------------------------------------------------


def rtv_wide(tv: pd.DataFrame, day: float) -> tuple[list[Array], Array]:
    """Per arm a mouse × day RTV matrix (NaN = not measured) over the days in (first, day]
    on which all four arms have an RTV, and those days."""
    rtv = tv[tv["rtv"].notna() & (tv["t"] > 0) & (tv["day"] <= day)]
    arms_per_day = rtv.groupby("day")["role"].nunique()
    days = arms_per_day[arms_per_day == 4].index.to_numpy(float)
    wide = rtv[rtv["day"].isin(days)].pivot_table(
        index=["role", "arm", "mouse_id"], columns="day", values="rtv", aggfunc="first"
    )
    wide = wide.reindex(columns=days)
    roles = wide.index.get_level_values("role")
    return [wide[roles == r].to_numpy(float) for r in range(4)], days


def daily_rows(groups: Sequence[Array], days: Array, ci: float) -> list[dict[str, object]]:
    """CombPDX day-specific log CI per day and method (``CombPDX_CI``), delta-method SE."""
    z = float(norm.ppf(1 - (1 - ci) / 2))
    p_method = (
        f"delta method, normal: {100 * ci:g}% CI = logCI ± {z:.4g}·SE; "
        "one-sided p = 1 − Φ(logCI/SE)"
    )
    rows = []
    for j, day in enumerate(days):
        values = [g[:, j][np.isfinite(g[:, j])] for g in groups]
        means = np.array([v.mean() for v in values])
        variances = np.array([v.var(ddof=1) if v.size > 1 else np.nan for v in values])
        n = np.array([v.size for v in values], dtype=float)
        for method in METHODS:
            log_ci = float(log_combination_index(means, method))
            se = float(np.sqrt(log_ci_variance(means, variances, n, method)))
            p = float(norm.sf(log_ci / se)) if se > 0 else np.nan
            interval = (log_ci - z * se, log_ci + z * se)
            stat = "log combination index (CombPDX, day-specific)"
            rows.append(_row(method, "combpdx", float(day), stat, log_ci, interval, p, p_method))
    return rows


def global_ci(daily_means: Array, method: str) -> Array:
    """CombPDX global CI: mean over days of the daily log CI; days with a missing arm skipped."""
    with _quiet():
        return np.nanmean(log_combination_index(daily_means, method), axis=-1)


def global_rows(
    groups: Sequence[Array], days: Array, day: float, boot: Boot
) -> list[dict[str, object]]:
    """CombPDX global combination index rows (``global_CI_synergy``), bootstrap CI and p."""
    if len(days) == 0:  # no day after the first with an RTV in all four arms: nothing to average
        return []
    with _quiet():
        point = np.stack([np.nanmean(g, axis=0) for g in groups], axis=-1)  # (n_days, 4)
    reps = resampled_means(groups, boot)  # (n_boot, n_days, 4)
    rows = []
    for method in METHODS:
        g_b = global_ci(reps, method)
        p = _share(g_b <= 0, np.isfinite(g_b))
        stat = "global log combination index (CombPDX, mean of daily log CI over days > 0)"
        interval = _interval(g_b, boot.ci)
        value = float(global_ci(point, method))
        rows.append(
            _row(method, "combpdx", day, stat, value, interval, p, boot.label("P*(gCI ≤ 0)"))
        )
    return rows


# --- the public entry point ------------------------------------------------------------


def invivosyn_synergy(
    measurements: pd.DataFrame,
    arms: Sequence[str],
    *,
    day: float | None = None,
    seed: int = 0,
    n_boot: int = 1000,
    ci: float = 0.95,
    tgi_on: TgiOn = "delta_tv",
    auc_horizon: float = 21.0,
    auc_day: float | None = None,
) -> pd.DataFrame:
    """invivoSyn / CombPDX synergy of one combination design, one row per metric (``COLUMNS``).

    ``arms`` = (control, drug A, drug B, combination); ``day`` in study days (default: the last
    day all four arms are measured). Rows, in order: basis ``tgi`` (score and log CI per
    method) on ``day``; ``auc`` (CI and SS per method) from the measurements up to ``auc_day``
    (default: all; row day = the last day used); ``combpdx`` day-specific (each day in (first day,
    day], per method), ``combpdx`` global (``day`` = the chosen day). Seeded: same inputs →
    same numbers. Raises :class:`NotEstimable` when a basis cannot be computed
    (:func:`synergy_parts` skips it instead).
    """
    rows, skipped = synergy_parts(
        measurements,
        arms,
        day=day,
        seed=seed,
        n_boot=n_boot,
        ci=ci,
        tgi_on=tgi_on,
        auc_horizon=auc_horizon,
        auc_day=auc_day,
    )
    if skipped:
        raise NotEstimable(f"invivoSyn synergy not computed ({skipped[0]})")
    return rows


def synergy_parts(
    measurements: pd.DataFrame,
    arms: Sequence[str],
    *,
    day: float | None = None,
    seed: int = 0,
    n_boot: int = 1000,
    ci: float = 0.95,
    tgi_on: TgiOn = "delta_tv",
    auc_horizon: float = 21.0,
    auc_day: float | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """The rows of :func:`invivosyn_synergy` whose basis can be computed, and a reason for each
    basis that cannot (an arm with no mouse measured on the TGI day, no day after the first
    with an RTV in all four arms...): one basis that cannot be computed does not take the
    others with it."""
    tv = prepare(measurements, arms)
    boot = Boot(n_boot=n_boot, seed=seed, ci=ci)
    try:
        chosen = default_day(tv) if day is None else float(day)
        if chosen <= float(tv["day"].min()):
            raise NotEstimable(
                f"day {chosen:g} is not after the first day "
                f"{float(tv['day'].min()):g} (the four arms share no later day)"
            )
    except NotEstimable as exc:
        return pd.DataFrame(columns=COLUMNS).astype({"day": float}), [f"all bases: {exc}"]
    auc_last = float(tv.loc[tv["day"] <= (np.inf if auc_day is None else auc_day), "day"].max())
    parts: dict[str, Callable[[], list[dict[str, object]]]] = {
        "tgi": lambda: tgi_rows(tv, arms, chosen, tgi_on, boot),
        "auc": lambda: auc_rows(tv, arms, auc_last, auc_horizon, boot),
        "combpdx": lambda: combpdx_rows(tv, chosen, boot),
    }
    rows: list[dict[str, object]] = []
    skipped = []
    for basis, part in parts.items():
        try:
            rows += part()
        except NotEstimable as exc:
            skipped.append(f"{BASES[basis]}: {exc}")
    return pd.DataFrame(rows, columns=COLUMNS).astype({"day": float}), skipped


def combpdx_rows(tv: pd.DataFrame, day: float, boot: Boot) -> list[dict[str, object]]:
    """CombPDX's day-specific rows then its global rows, on the days in (first day, ``day``]
    with an RTV in all four arms."""
    groups, days = rtv_wide(tv, day)
    if len(days) == 0:
        raise NotEstimable(
            f"no day after the first day and up to day {day:g} on which all four arms "
            "have a mouse with a relative volume (RTV needs TV0 > 0)"
        )
    return daily_rows(groups, days, boot.ci) + global_rows(groups, days, day, boot)


def study_rows(
    measurements: pd.DataFrame,
    combinations: Sequence[tuple[str, Sequence[str]]],
    control: str,
    *,
    seed: int,
    n_boot: int,
    windows: Mapping[str, tuple[float | None, float | None]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The invivoSyn / CombPDX rows of a study's two-drug combinations (``synergy`` rows with a
    ``combination`` column) and what each basis left out (``stage, arm, mouse_id, day,
    reason``, as every exclusions table): mice, and a basis that cannot be computed (mouse_id
    empty, the reason stated). ``combinations``: (combination arm, its single-agent arms).
    ``windows``: per combination arm, the synergy window (first and last study day; None =
    open) of the mixed model's design (:func:`xenoflow.synergy.prepare`), applied before the
    invivoSyn preparation, so its day 0 is ``time_start`` and it compares no arm past the
    window's end, as the mixed model. invivoSyn is defined for four arms, so three-drug combinations get the
    mixed-model rows only (their exclusion list says so)."""
    frames, left_out = [], []
    for arm, components in combinations:
        if len(components) != 2:
            left_out.append(
                ("synergy", arm, "", np.nan, "invivoSyn/CombPDX metrics need two single agents")
            )
            continue
        arms = (control, *components, arm)
        inside, outside = _in_window(measurements, (windows or {}).get(arm, (None, None)))
        left_out += [
            ("synergy", r.arm, r.mouse_id, np.nan, f"invivoSyn/CombPDX ({arm}): {r.reason}")
            for r in outside[outside["arm"].isin(arms)].itertuples()
        ]
        try:
            rows, skipped = synergy_parts(inside, arms, seed=seed, n_boot=n_boot)
            left_out += [
                ("synergy", r.arm, r.mouse_id, np.nan, f"invivoSyn {r.basis} ({arm}): {r.reason}")
                for r in exclusions(inside, arms).itertuples()
            ]
        except NotEstimable as exc:
            rows, skipped = pd.DataFrame(columns=COLUMNS), [f"all bases: {exc}"]
        frames.append(rows.assign(combination=arm))
        left_out += [
            ("synergy", arm, "", np.nan, f"invivoSyn/CombPDX not computed ({why})")
            for why in skipped
        ]
    rows = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else pd.DataFrame(columns=[*COLUMNS, "combination"])
    )
    return rows, pd.DataFrame(left_out, columns=["stage", "arm", "mouse_id", "day", "reason"])


def _in_window(
    measurements: pd.DataFrame, window: tuple[float | None, float | None]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The measurements inside the synergy window, and per mouse with measurements outside it
    ``arm, mouse_id, reason`` (how many, and the window)."""
    start, end = window
    day = measurements["day"]
    out = pd.Series(False, index=measurements.index)
    if start is not None:
        out |= day < start
    if end is not None:
        out |= day > end
    span = f"days {'-inf' if start is None else f'{start:g}'} to {'inf' if end is None else f'{end:g}'}"
    counts = measurements[out].groupby(["arm", "mouse_id"], sort=False).size()
    outside = pd.DataFrame(
        [
            (arm, mouse, f"{n} measurement(s) outside the synergy window ({span}) left out")
            for (arm, mouse), n in counts.items()
        ],
        columns=["arm", "mouse_id", "reason"],
    )
    return measurements[~out], outside

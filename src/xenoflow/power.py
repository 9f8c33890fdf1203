"""Study design: power and sample size for a next study, with an analysed study as the pilot.

The question at the bench: how many mice per arm does a two-arm study (control vs treated) need
to detect a growth inhibition of X % with a given power, and is a follow-up to day t enough?
The effect is stated once, as a growth inhibition on the volume scale,
``TGI = 1 − T/C`` of the geometric mean volumes at the follow-up day, and each endpoint gets it
on its own scale:

==============  =========================================  ======================================
endpoint        effect                                     power (method)
==============  =========================================  ======================================
``log_volume``  δ = −ln(1 − TGI) on ln V at the day        two-sample t test, noncentral t
                                                           (R ``power.t.test``)
``growth_rate`` Δk = ln(1 − TGI)/(t − t0), the slope       mixed-model slope contrast, F test
                difference giving T/C = exp(Δk·(t − t0))   with noncentrality (Helms 1992;
                (rate-based T/C, Hather et al. 2014)       nlmeU ``Pwr``), checked by simulation
``survival``    hazard ratio k_T/k_C = 1 + Δk/k_C: time   log-rank: Schoenfeld 1981 and
                to the volume endpoint ∝ 1/k, exponential  Freedman 1982, checked by simulation
                times with the pilot's control median
==============  =========================================  ======================================

What the pilot supplies (tables it already has): the pooled within-arm SD of ln V at a day
(measurements), the variance components of the growth mixed model (``growth_model_fits``),
the control growth rate (``growth_model``), the control median time to the endpoint
(``survival``), the measurement days (the sampling schedule) and the reference day
(``efficacy``).

A pilot with combination arms (study file ``combinations``) also gets the power of its
synergy contrasts against the number of mice per arm (endpoints ``synergy_bliss`` and
``synergy_hsa``, :func:`synergy_rows`): the effect is the pilot's own contrast of
``synergy_model.tsv``, tested as SynergyLMM's ``PwrSampleSize`` does with ``nlmeU::Pwr``.

Simulations are seeded per design cell (``SeedSequence([seed, endpoint, n, day, tgi])``), so a
cell's number does not depend on the rest of the grid and reruns are identical.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as sps

from .config import AnalysisSettings, Design, Study
from .growth import log_volumes
from .tables import METHOD_GROWTH_ENDPOINT, columns

POWER_COLUMNS = columns("power")
SAMPLE_SIZE_COLUMNS = columns("sample_size")
#: The random streams of the simulations, one per endpoint and method (index = stream key).
STREAMS = ("log_volume", "growth_rate", "survival", "survival_from_growth")
METHOD_T = "two-sample t test, noncentral t (R power.t.test)"
METHOD_T_MODEL_SD = METHOD_T + "; SD of ln V from the mixed model (day not measured in the pilot)"
METHOD_HELMS = "mixed-model slope contrast, noncentral F, df 2n - 2 (Helms 1992; nlmeU Pwr)"
METHOD_SCHOENFELD = "log-rank, Schoenfeld 1981"
METHOD_FREEDMAN = "log-rank, Freedman 1982"
METHOD_SYNERGY = (
    "synergy contrast of the exponential mixed model, noncentral F with nlme's df on "
    "exemplary data (Helms 1992; nlmeU Pwr as SynergyLMM PwrSampleSize)"
)
#: largest n per arm searched for an exact sample size
N_MAX = 10_000


# --------------------------------------------------------------------------------------------
# Effects


def log_effect(tgi_pct: float) -> float:
    """δ = −ln(1 − TGI/100): the difference in mean ln V (control − treated) that gives a
    geometric-mean T/C of 1 − TGI (reference guide §1.3 P-5; invivoSyn's TGI = 1 − RTV_T/RTV_C)."""
    return -math.log1p(-tgi_pct / 100.0)


def rate_effect(tgi_pct: float, days: float) -> float:
    """Δk = ln(1 − TGI/100)/days: the growth-rate difference (treated − control, per day) whose
    rate-based T/C exp(Δk·days) equals 1 − TGI after ``days`` of growth (Hather et al. 2014,
    Cancer Inform 13(S4):65; invivoSyn adds ln(1 − TGI)/21 to the daily log growth)."""
    return -log_effect(tgi_pct) / days


def hazard_ratio(tgi_pct: float, days: float, control_rate: float) -> float:
    """HR = k_T/k_C = 1 + Δk/k_C, Δk = :func:`rate_effect` (TGI reached after ``days``).

    The growth-rate model of the ``growth_rate`` endpoint (a constant rate difference Δk, as
    invivoSyn simulates): a tumour growing exponentially at rate k from the same start reaches
    the endpoint volume after ln(V*/V0)/k days, so the treated median time to the endpoint is
    m_C·k_C/k_T; with exponential times (proportional hazards, as Schoenfeld's and Freedman's
    formulas assume) the hazard ratio is the ratio of the medians, k_T/k_C. NaN when k_C ≤ 0
    or k_T ≤ 0 (treated tumours that do not grow never reach the endpoint).
    """
    if not control_rate > 0:
        return float("nan")
    hr = 1.0 + rate_effect(tgi_pct, days) / control_rate
    return hr if hr > 0 else float("nan")


# --------------------------------------------------------------------------------------------
# Log volume: two-sample t test


def t_test_power(n: float, delta: float, sd: float, alpha: float, strict: bool = False) -> float:
    """Power of the two-sided two-sample t test with n per arm (equal SD), exact:
    ``1 − F_nct(t_{1−α/2, ν}; ν, λ)`` with ν = 2(n − 1), λ = √(n/2)·|δ|/sd, F_nct the
    noncentral t distribution function (``scipy.stats.nct``).

    ``strict=False`` counts the upper tail only, as R ``power.t.test`` does by default;
    ``strict=True`` adds the lower tail (R ``power.t.test(strict = TRUE)``, ``pwr::pwr.t.test``).
    """
    nu = 2.0 * (n - 1.0)
    ncp = math.sqrt(n / 2.0) * abs(delta) / sd
    crit = sps.t.ppf(1.0 - alpha / 2.0, nu)
    power = float(sps.nct.sf(crit, nu, ncp))
    if strict:
        power += float(sps.nct.cdf(-crit, nu, ncp))
    return power


def t_test_n(delta: float, sd: float, alpha: float, power: float) -> float:
    """The n per arm (real-valued) at which :func:`t_test_power` equals ``power``: the root R
    ``power.t.test(delta, sd, sig.level, power)$n`` finds with ``uniroot``."""
    return _solve_n(lambda n: t_test_power(n, delta, sd, alpha), power)


def _solve_n(power_at: Any, target: float) -> float:
    """Smallest real n ≥ 2 with power_at(n) = target (power increasing in n); NaN beyond N_MAX."""
    if power_at(2.0) >= target:
        return 2.0
    if power_at(float(N_MAX)) < target:
        return float("nan")
    return float(optimize.brentq(lambda n: power_at(n) - target, 2.0, float(N_MAX), xtol=1e-10))


def pooled_log_sd(
    measurements: pd.DataFrame, day: float, settings: AnalysisSettings
) -> tuple[float, int]:
    """Pooled within-arm SD of ln V on ``day``, and its degrees of freedom:
    s_p = √(Σ_a Σ_i (y_ai − ȳ_a)² / Σ_a (n_a − 1)) over the arms measured that day (the SD of
    the two-sample t test, pooled over all arms of the pilot). Zero volumes follow the study's
    ``log_zero_rule`` (:func:`xenoflow.growth.log_volumes`). NaN with 0 df when no arm has two
    mice measured that day."""
    logd, _ = log_volumes(measurements[measurements["day"] == day], settings)
    if logd.empty:
        return float("nan"), 0
    groups = logd.groupby("arm", sort=False)["log_volume"]
    df = int((groups.size() - 1).sum())
    ss = float(((logd["log_volume"] - groups.transform("mean")) ** 2).sum())
    return (math.sqrt(ss / df) if df > 0 else float("nan")), df


# --------------------------------------------------------------------------------------------
# Growth rate: the mixed model's slope contrast


@dataclass(frozen=True)
class Components:
    """Variance components of the pilot's growth mixed model (raw-day scale):
    ln V_ij = … + b0_i + b1_i·day + e_ij, (b0, b1) ~ N(0, Ψ), e ~ N(0, σ²)."""

    sd_intercept: float
    sd_slope: float
    corr: float
    sd_residual: float
    structure: str

    @property
    def psi(self) -> np.ndarray:
        """Ψ, the random-effects covariance (absent slope or correlation = 0)."""
        s0, s1, r = self.sd_intercept, _zero(self.sd_slope), _zero(self.corr)
        return np.array([[s0 * s0, r * s0 * s1], [r * s0 * s1, s1 * s1]])

    def log_sd(self, day: float) -> float:
        """SD of ln V on ``day`` around its arm mean: √(z'Ψz + σ²), z = (1, day)."""
        z = np.array([1.0, day])
        return math.sqrt(float(z @ self.psi @ z) + self.sd_residual**2)


def _zero(x: float) -> float:
    return 0.0 if not np.isfinite(x) else float(x)


def components(growth_model_fits: pd.DataFrame) -> Components | None:
    """The selected structure's components (``growth_model_fits``), None without a model."""
    sel = growth_model_fits[growth_model_fits["selected"].astype(bool)]
    if sel.empty:
        return None
    r = sel.iloc[0]
    return Components(
        float(r["sd_intercept"]),
        _zero(float(r["sd_slope"])),
        _zero(float(r["corr_intercept_slope"])),
        float(r["sd_residual"]),
        str(r["random_effects"]),
    )


def slope_variance(days: Sequence[float], sd_slope: float, sd_residual: float) -> float:
    """Variance of one mouse's least-squares slope of ln V on day over the schedule ``days``:
    v = σ_b1² + σ²/Σ_j (t_j − t̄)² (the slope element of Ψ + σ²(X'X)⁻¹, X = [1, t]).

    With every mouse measured on the same days (a balanced design), the GLS estimate of an
    arm's mean slope is the mean of its mice's least-squares slopes, so the variance of the
    treatment × day contrast with n mice per arm is 2v/n whatever the intercept variance and
    the correlation (Laird & Ware 1982; Helms 1992, Stat Med 11:1889, computes the same
    quantity as (L(X'V⁻¹X)⁻¹L')).
    """
    t = np.asarray(days, dtype=float)
    sxx = float(((t - t.mean()) ** 2).sum())
    return sd_slope**2 + sd_residual**2 / sxx


def contrast_power(n: float, effect: float, variance: float, alpha: float) -> float:
    """Power of the two-sided test of the slope contrast (treated − control) with n mice per
    arm: ``1 − F_ncF(F_{1−α}(1, ν); 1, ν, λ)``, λ = effect²/(2v/n), ν = 2n − 2 — the noncentral
    F approach of Helms 1992 (Stat Med 11:1889) as nlmeU ``Pwr`` and SynergyLMM's
    ``PwrSampleSize`` compute it (``scipy.stats.ncf``). ν is the Satterthwaite df of the
    contrast in a balanced design (the pooled df of the per-mouse slopes); nlme's containment
    df, N_obs − 2n − 2, would be larger and the power a little higher."""
    nu = 2.0 * n - 2.0
    lam = effect**2 / (2.0 * variance / n)
    crit = sps.f.ppf(1.0 - alpha, 1.0, nu)
    return float(sps.ncf.sf(crit, 1.0, nu, lam))


def contrast_n(effect: float, variance: float, alpha: float, power: float) -> float:
    """The n per arm (real-valued) at which :func:`contrast_power` equals ``power``."""
    return _solve_n(lambda n: contrast_power(n, effect, variance, alpha), power)


def simulate_contrast_power(
    rng: np.random.Generator,
    n: int,
    effect: float,
    days: Sequence[float],
    comps: Components,
    alpha: float,
    simulations: int,
) -> float:
    """Share of ``simulations`` studies from the fitted model in which the two-sided test of the
    slope difference rejects at ``alpha``.

    Each study: 2n mice measured on ``days``; ln V_ij = (b0_i) + (k_arm + b1_i)·t_j + e_ij with
    (b0, b1) ~ N(0, Ψ), e ~ N(0, σ²), k_treated − k_control = ``effect``; each mouse's
    least-squares slope, then the pooled two-sample t test on the slopes (df 2n − 2) — in a
    balanced design the REML mixed model's t test of the contrast (SynergyLMM ``PostHocPwr``
    refits it) when Ψ is not estimated on its boundary (:func:`slope_variance`).
    """
    t = np.asarray(days, dtype=float)
    tc = t - t.mean()
    b = rng.multivariate_normal(np.zeros(2), comps.psi, size=(simulations, 2 * n))
    e = rng.normal(0.0, comps.sd_residual, size=(simulations, 2 * n, t.size))
    y = b[..., :1] + b[..., 1:] * t + e
    slopes = y @ tc / float(tc @ tc)
    slopes[:, n:] += effect
    ctl, trt = slopes[:, :n], slopes[:, n:]
    diff = trt.mean(axis=1) - ctl.mean(axis=1)
    pooled = (ctl.var(axis=1, ddof=1) + trt.var(axis=1, ddof=1)) / 2.0
    stat = diff / np.sqrt(pooled * 2.0 / n)
    p = 2.0 * sps.t.sf(np.abs(stat), 2 * n - 2)
    return float(np.mean(p < alpha))


def schedule(measured_days: Sequence[float], start: float, end: float) -> list[float]:
    """Measurement days of a design from ``start`` to ``end``: the pilot's measured days in
    that range, continued past the pilot's last day every median interval of the pilot."""
    days = sorted({float(d) for d in measured_days if start <= d <= end})
    all_days = sorted({float(d) for d in measured_days if d >= start})
    step = float(np.median(np.diff(all_days))) if len(all_days) > 1 else 1.0
    last = days[-1] if days else start
    while last + step <= end + 1e-9:
        last += step
        days.append(round(last, 6))
    if days and days[-1] < end:
        days.append(end)
    return days


# --------------------------------------------------------------------------------------------
# Synergy contrasts (combination designs)


@dataclass(frozen=True)
class SynergyPilot:
    """One combination's fitted exponential model (``synergy_model.tsv``): growth rates of
    control, single agents and combination, and the variance components."""

    combination: str
    rates: np.ndarray
    sd_ranef: float
    sd_resid: float
    time_start: float
    sqrt_time: bool

    @property
    def contrasts(self) -> dict[str, np.ndarray]:
        """Bliss and HSA contrast vectors (:mod:`xenoflow.synergy`): HSA against the single
        agent with the smaller rate."""
        k = len(self.rates) - 2
        bliss = np.concatenate([[k - 1.0], -np.ones(k), [1.0]])
        hsa = np.zeros(k + 2)
        hsa[-1], hsa[1 + int(np.argmin(self.rates[1:-1]))] = 1.0, -1.0
        return {"synergy_bliss": bliss, "synergy_hsa": hsa}

    def times(self, days: Sequence[float]) -> np.ndarray:
        """Model times of measurement days after time_start (square root with sqrt time)."""
        t = np.array([d - self.time_start for d in days if d > self.time_start], dtype=float)
        return np.sqrt(t) if self.sqrt_time else t


def synergy_pilots(model: pd.DataFrame | None) -> tuple[list[SynergyPilot], list[str]]:
    """The combinations of ``synergy_model.tsv`` with one residual variance, and the names of
    those with a variance function (not covered: a variance per mouse, arm or day does not
    carry over to a new design)."""
    pilots: list[SynergyPilot] = []
    skipped: list[str] = []
    if model is None:
        return pilots, skipped
    for combo, rows in model.groupby("combination", sort=False):
        first = rows.iloc[0]
        if not str(first["variance_model"]).startswith("none"):
            skipped.append(str(combo))
            continue
        pilots.append(
            SynergyPilot(
                str(combo),
                rows["growth_rate"].to_numpy(float),
                float(first["sd_ranef"]),
                float(first["sd_resid"]),
                float(first["time_start"]),
                first["time_transform"] == "sqrt",
            )
        )
    return pilots, skipped


def synergy_power(
    n: float,
    effect: float,
    c: np.ndarray,
    times: np.ndarray,
    sd_ranef: float,
    sd_resid: float,
    alpha: float,
) -> float:
    """Power of the two-sided test of the synergy contrast cᵀβ with n mice per arm, each
    measured at ``times``, as ``nlmeU::Pwr`` computes it on exemplary data (Helms 1992, Stat
    Med 11:1889): λ = (cᵀβ)²/(cᵀ(XᵀV⁻¹X)⁻¹c) and 1 − F_ncF(F_{1−α}(1, ν); 1, ν, λ), with ν
    nlme's denominator df of the slopes, N − M − p + 1 (N = K·n·T observations, M = K·n mice,
    p = K arms). In the model y = β_arm·t + b·t + ε (V = σ²I + ψttᵀ) every arm's estimate
    has variance (ψ + σ²/Σt²)/n (tᵀV⁻¹t = Σt²/(σ² + ψΣt²), Sherman–Morrison), so
    cᵀ(XᵀV⁻¹X)⁻¹c = Σc²·(ψ + σ²/Σt²)/n."""
    k, t = len(c), np.asarray(times, dtype=float)
    per_arm = (sd_ranef**2 + sd_resid**2 / float(t @ t)) / n
    lam = effect**2 / (float(c @ c) * per_arm)
    nu = k * n * t.size - k * n - k + 1
    crit = sps.f.ppf(1.0 - alpha, 1.0, nu)
    return float(sps.ncf.sf(crit, 1.0, nu, lam))


def synergy_rows(
    design: Design, p: Pilot, pilots: Sequence[SynergyPilot], alpha: float
) -> list[dict[str, Any]]:
    """Power of the Bliss and HSA contrasts of each combination for every n and follow-up
    day; the effect is the pilot's contrast."""
    rows = []
    for sp in pilots:
        for day in follow_up_days(design, p):
            days = schedule(p.measurements["day"].unique(), sp.time_start, day)
            times = sp.times(days)
            if times.size < 1:
                continue
            for endpoint, c in sp.contrasts.items():
                effect = float(c @ sp.rates)
                for n in design.n_per_arm:
                    rows.append(
                        _row(
                            endpoint=endpoint,
                            method=f"{METHOD_SYNERGY}: {sp.combination}",
                            effect=effect,
                            sd=math.sqrt(
                                float(c @ c)
                                * (sp.sd_ranef**2 + sp.sd_resid**2 / float(times @ times))
                            ),
                            sd_slope=sp.sd_ranef,
                            sd_residual=sp.sd_resid,
                            n_per_arm=n,
                            follow_up_days=day,
                            schedule_days=", ".join(f"{d:g}" for d in days if d > sp.time_start),
                            alpha=alpha,
                            power=synergy_power(
                                n, effect, c, times, sp.sd_ranef, sp.sd_resid, alpha
                            ),
                        )
                    )
    return rows


# --------------------------------------------------------------------------------------------
# Survival: log-rank


def schoenfeld_events(hr: float, alpha: float, power: float, share: float = 0.5) -> float:
    """Events needed for the two-sided log-rank test: D = (z_{1−α/2} + z_{power})² /
    (p(1 − p)·(ln HR)²), p = share of mice in one arm (Schoenfeld 1981, Biometrika 68:316)."""
    z = sps.norm.ppf(1.0 - alpha / 2.0) + sps.norm.ppf(power)
    return float(z**2 / (share * (1.0 - share) * math.log(hr) ** 2))


def freedman_events(hr: float, alpha: float, power: float) -> float:
    """Events needed for the two-sided log-rank test with equal arms:
    D = (z_{1−α/2} + z_{power})²·((1 + HR)/(1 − HR))² (Freedman 1982, Stat Med 1:121)."""
    z = sps.norm.ppf(1.0 - alpha / 2.0) + sps.norm.ppf(power)
    return float(z**2 * ((1.0 + hr) / (1.0 - hr)) ** 2)


def schoenfeld_power(events: float, hr: float, alpha: float) -> float:
    """Power with ``events`` events in two equal arms: Φ(√(D/4)·|ln HR| − z_{1−α/2}), the
    inverse of :func:`schoenfeld_events`."""
    z = math.sqrt(events / 4.0) * abs(math.log(hr)) - sps.norm.ppf(1.0 - alpha / 2.0)
    return float(sps.norm.cdf(z))


def freedman_power(events: float, hr: float, alpha: float) -> float:
    """Power with ``events`` events: Φ(√D·|1 − HR|/(1 + HR) − z_{1−α/2}), the inverse of
    :func:`freedman_events`."""
    z = math.sqrt(events) * abs(1.0 - hr) / (1.0 + hr) - sps.norm.ppf(1.0 - alpha / 2.0)
    return float(sps.norm.cdf(z))


def event_probability(median: float, follow_up: float) -> float:
    """P(endpoint reached by ``follow_up``) for an exponential time with ``median``:
    1 − 2^(−follow_up/median) (all mice start together and are followed to the same day)."""
    if follow_up <= 0:
        return 0.0
    return float(-math.expm1(-math.log(2.0) * follow_up / median))


def logrank_z(time: np.ndarray, event: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Log-rank statistics Z = (O − E)/√V of the treated arm, one per row of ``time`` (rows =
    simulated studies): at each event time, E = n_T/n and V = n_T·n_C/n² (no tied event
    times, as with continuous simulated times; = R ``survdiff`` then)."""
    order = np.argsort(time, axis=1, kind="stable")
    ev = np.take_along_axis(event, order, axis=1)
    tr = np.take_along_axis(treated, order, axis=1).astype(float)
    at_risk = np.arange(time.shape[1], 0, -1, dtype=float)
    at_risk_t = np.cumsum(tr[:, ::-1], axis=1)[:, ::-1]
    frac = at_risk_t / at_risk
    o_minus_e = np.sum(ev * (tr - frac), axis=1)
    var = np.sum(ev * frac * (1.0 - frac), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var > 0, o_minus_e / np.sqrt(var), 0.0)


def simulate_logrank_power(
    rng: np.random.Generator,
    n: int,
    control_median: float,
    hr: float,
    follow_up: float,
    alpha: float,
    simulations: int,
) -> float:
    """Share of ``simulations`` studies (n mice per arm, exponential times with the control
    median and hazard ratio ``hr``, censored at ``follow_up``) in which the two-sided log-rank
    test (:func:`logrank_z`) rejects at ``alpha``."""
    rate = math.log(2.0) / control_median
    scale = np.r_[np.full(n, 1.0 / rate), np.full(n, 1.0 / (rate * hr))]
    raw = rng.exponential(1.0, size=(simulations, 2 * n)) * scale
    event = raw <= follow_up
    time = np.minimum(raw, follow_up)
    treated = np.broadcast_to(np.r_[np.zeros(n), np.ones(n)], time.shape)
    z = logrank_z(time, event, treated)
    return float(np.mean(np.abs(z) > sps.norm.ppf(1.0 - alpha / 2.0)))


def logrank_z_ties(
    time: np.ndarray, event: np.ndarray, treated: np.ndarray, grid: Iterable[float]
) -> np.ndarray:
    """Log-rank Z = (O − E)/√V of the treated arm, one per row of ``time`` (rows = simulated
    studies), for times on a grid of days (times to an endpoint seen at measurement days, so
    with ties): at each grid day with d events among n at risk, n_T of them treated,
    E = d·n_T/n and V = d·(n_T/n)(1 − n_T/n)(n − d)/(n − 1), the hypergeometric variance of
    R ``survdiff`` (Mantel 1966)."""
    o_minus_e = np.zeros(time.shape[0])
    var = np.zeros(time.shape[0])
    for day in grid:
        risk = time >= day
        n_all = risk.sum(axis=1).astype(float)
        n_trt = (risk & treated).sum(axis=1)
        dies = (time == day) & event
        d_all = dies.sum(axis=1).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(n_all > 0, n_trt / n_all, 0.0)
            o_minus_e += (dies & treated).sum(axis=1) - d_all * frac
            var += np.where(
                n_all > 1, d_all * frac * (1.0 - frac) * (n_all - d_all) / (n_all - 1.0), 0.0
            )
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var > 0, o_minus_e / np.sqrt(var), 0.0)


@dataclass(frozen=True)
class Endpoint:
    """The pilot's volume endpoint, on the log scale: ln of the volume threshold, or (rule
    ``fold_baseline``) ln of the fold over each mouse's first volume."""

    log_threshold: float | None
    log_fold: float | None
    rule: str


def simulate_endpoint_power(
    rng: np.random.Generator,
    n: int,
    effect: float,
    days: Sequence[float],
    comps: Components,
    growth: tuple[float, float],
    endpoint: Endpoint,
    alpha: float,
    simulations: int,
) -> float:
    """Share of ``simulations`` studies from the fitted growth model in which the two-sided
    log-rank test of the time to the volume endpoint rejects at ``alpha``.

    Each study: 2n mice measured on ``days``; ln V_ij = a + b0_i + (k_C + b1_i)·t_j + e_ij
    (treated: k_C + ``effect``), (b0, b1) ~ N(0, Ψ), e ~ N(0, σ²), ``growth`` = (a, k_C); a
    mouse's endpoint is the first measured day with V above the threshold (or ≥ fold × its
    first volume), else it is censored at the last day; log-rank with ties
    (:func:`logrank_z_ties`). This is the survival endpoint xenoflow derives from volumes
    (``endpoint_rule`` first_above / fold_baseline), so unlike :func:`hazard_ratio` it needs
    no exponential or proportional-hazards assumption: times to an endpoint of tumours that
    grow steadily are tight, and the log-rank test strong.
    """
    t = np.asarray(days, dtype=float)
    intercept, k_control = growth
    b = rng.multivariate_normal(np.zeros(2), comps.psi, size=(simulations, 2 * n))
    e = rng.normal(0.0, comps.sd_residual, size=(simulations, 2 * n, t.size))
    rate = k_control + b[..., 1:] + np.r_[np.zeros(n), np.full(n, effect)][:, None]
    y = intercept + b[..., :1] + rate * t + e
    if endpoint.log_fold is not None:
        above = y[..., 1:] >= y[..., :1] + endpoint.log_fold
        grid = t[1:]
    else:
        above = y > endpoint.log_threshold
        grid = t
    event = above.any(axis=2)
    time = np.where(event, grid[np.argmax(above, axis=2)], grid[-1])
    treated = np.broadcast_to(np.r_[np.zeros(n, bool), np.ones(n, bool)], time.shape)
    z = logrank_z_ties(time, event, treated, grid)
    return float(np.mean(np.abs(z) > sps.norm.ppf(1.0 - alpha / 2.0)))


# --------------------------------------------------------------------------------------------
# The pilot and the design tables


@dataclass(frozen=True)
class Pilot:
    """What the design tables take from the pilot study."""

    measurements: pd.DataFrame
    settings: AnalysisSettings
    reference_day: float
    start_day: float
    components: Components | None
    control_rate: float
    control_median: float
    #: the volume endpoint (None: recorded survival, or no endpoint) and mean ln V at the start
    endpoint: Endpoint | None = None
    log_volume_start: float = float("nan")
    #: the combinations' synergy models with one residual variance, and those skipped
    synergy: tuple[SynergyPilot, ...] = ()
    synergy_skipped: tuple[str, ...] = ()


def pilot(study: Study, tables: Mapping[str, pd.DataFrame]) -> Pilot:
    """The pilot's inputs from its tables: measurements, efficacy (reference day),
    growth_model_fits (variance components), growth_model (control growth rate) and
    survival (control median time to the endpoint)."""
    m = tables["measurements"]
    eff = tables["efficacy"]
    ref = eff.loc[eff["is_reference_day"].astype(bool), "day"]
    reference_day = float(ref.iloc[0]) if len(ref) else float(m["day"].max())
    start = float(study.baseline_day) if study.baseline_day is not None else float(m["day"].min())
    gm = tables["growth_model"]
    rate = gm.loc[gm["arm"] == study.control, "growth_rate_per_day"]
    surv = tables.get("survival")
    median = float("nan")
    if surv is not None and len(surv):
        med = surv.loc[surv["arm"] == study.control, "median_days"]
        median = float(med.iloc[0]) if len(med) else float("nan")
    at_start = m.loc[(m["day"] == start) & (m["volume_mm3"] > 0), "volume_mm3"]
    synergy, skipped = synergy_pilots(tables.get("synergy_model"))
    return Pilot(
        measurements=m,
        settings=study.settings,
        reference_day=reference_day,
        start_day=start,
        components=components(tables["growth_model_fits"]),
        control_rate=float(rate.iloc[0]) if len(rate) else float("nan"),
        control_median=median,
        endpoint=volume_endpoint(study),
        log_volume_start=float(np.log(at_start).mean()) if len(at_start) else float("nan"),
        synergy=tuple(synergy),
        synergy_skipped=tuple(skipped),
    )


def volume_endpoint(study: Study) -> Endpoint | None:
    """The study's survival endpoint derived from volumes (None with a recorded survival
    table or without ``endpoint_volume_mm3``)."""
    if study.survival_data is not None or not study.endpoint_volume_mm3:
        return None
    rule = str(study.settings.get("endpoint_rule", "first_above"))
    if rule == "fold_baseline":
        return Endpoint(None, math.log(float(study.settings["endpoint_fold"])), rule)
    return Endpoint(math.log(float(study.endpoint_volume_mm3)), None, rule)


def follow_up_days(design: Design, p: Pilot) -> tuple[float, ...]:
    """The design's follow-up days (default: the pilot's reference day)."""
    return design.follow_up_days or (p.reference_day,)


def design_alpha(design: Design, settings: AnalysisSettings) -> float:
    """The design's α (default: the analysis alpha)."""
    return float(design.alpha if design.alpha is not None else settings["alpha"])


def _rng(seed: int, stream: str, n: int, day: float, tgi: float) -> np.random.Generator:
    """A generator per design cell: SeedSequence([seed, stream, n, day, tgi]) (day and tgi in
    thousandths, shifted to be non-negative)."""
    key = [int(seed), STREAMS.index(stream), int(n), int(round(day * 1000)) + 10**9]
    return np.random.default_rng(key + [int(round(tgi * 1000))])


def _mc_se(p: float, simulations: int) -> float:
    return math.sqrt(p * (1.0 - p) / simulations) if simulations else float("nan")


def _row(**values: Any) -> dict[str, Any]:
    return {
        c: values.get(c, float("nan") if c not in ("endpoint", "method") else "")
        for c in POWER_COLUMNS
    }


def log_volume_rows(design: Design, p: Pilot, alpha: float) -> list[dict[str, Any]]:
    """Power of the log-volume endpoint for every effect, n and follow-up day."""
    rows = []
    for day in follow_up_days(design, p):
        sd, df = pooled_log_sd(p.measurements, day, p.settings)
        method = METHOD_T
        if not df and p.components is not None:
            sd, method = p.components.log_sd(day), METHOD_T_MODEL_SD
        if not np.isfinite(sd):
            continue
        for tgi in design.tgi_pct:
            delta = log_effect(tgi)
            for n in design.n_per_arm:
                rows.append(
                    _row(
                        endpoint="log_volume",
                        method=method,
                        tgi_pct=tgi,
                        effect=delta,
                        sd=sd,
                        n_per_arm=n,
                        follow_up_days=day,
                        alpha=alpha,
                        power=t_test_power(n, delta, sd, alpha),
                    )
                )
    return rows


def growth_rate_rows(design: Design, p: Pilot, alpha: float, seed: int) -> list[dict[str, Any]]:
    """Power of the growth-rate contrast for every effect, n and follow-up day (analytic, and
    simulated from the fitted model)."""
    comps = p.components
    if comps is None:
        return []
    rows = []
    for day in follow_up_days(design, p):
        days = schedule(p.measurements["day"].unique(), p.start_day, day)
        if len(days) < 2:
            continue
        v = slope_variance(days, comps.sd_slope, comps.sd_residual)
        for tgi in design.tgi_pct:
            effect = rate_effect(tgi, day - p.start_day)
            for n in design.n_per_arm:
                sim = float("nan")
                if design.simulations:
                    rng = _rng(seed, "growth_rate", n, day, tgi)
                    sim = simulate_contrast_power(
                        rng, n, effect, days, comps, alpha, design.simulations
                    )
                rows.append(
                    _row(
                        endpoint="growth_rate",
                        method=METHOD_HELMS,
                        tgi_pct=tgi,
                        effect=effect,
                        sd=math.sqrt(v),
                        sd_slope=comps.sd_slope,
                        sd_residual=comps.sd_residual,
                        n_per_arm=n,
                        follow_up_days=day,
                        schedule_days=", ".join(f"{d:g}" for d in days),
                        alpha=alpha,
                        power=contrast_power(n, effect, v, alpha),
                        power_simulated=sim,
                        power_simulated_se=_mc_se(sim, design.simulations),
                    )
                )
    return rows


def survival_rows(design: Design, p: Pilot, alpha: float, seed: int) -> list[dict[str, Any]]:
    """Log-rank power (Schoenfeld, Freedman; and simulated) for every effect, n and follow-up.
    Times count from the pilot's start day (its baseline day)."""
    rows = []
    m_c = p.control_median - p.start_day
    for day in follow_up_days(design, p):
        follow = day - p.start_day
        for tgi in design.tgi_pct:
            hr = hazard_ratio(tgi, follow, p.control_rate)
            if not (np.isfinite(hr) and m_c > 0):
                continue
            p_events = event_probability(m_c, follow) + event_probability(m_c / hr, follow)
            for n in design.n_per_arm:
                events = n * p_events
                sim = float("nan")
                if design.simulations:
                    rng = _rng(seed, "survival", n, day, tgi)
                    sim = simulate_logrank_power(rng, n, m_c, hr, follow, alpha, design.simulations)
                for method, power in (
                    (METHOD_SCHOENFELD, schoenfeld_power(events, hr, alpha)),
                    (METHOD_FREEDMAN, freedman_power(events, hr, alpha)),
                ):
                    rows.append(
                        _row(
                            endpoint="survival",
                            method=method,
                            tgi_pct=tgi,
                            effect=hr,
                            control_median_days=p.control_median,
                            n_per_arm=n,
                            follow_up_days=day,
                            expected_events=events,
                            alpha=alpha,
                            power=power,
                            power_simulated=sim,
                            power_simulated_se=_mc_se(sim, design.simulations),
                        )
                    )
    return rows + endpoint_rows(design, p, alpha, seed)


def endpoint_rows(design: Design, p: Pilot, alpha: float, seed: int) -> list[dict[str, Any]]:
    """Log-rank power for the time to the pilot's volume endpoint, simulated from its growth
    model (:func:`simulate_endpoint_power`) for every effect, n and follow-up day."""
    comps, endpoint = p.components, p.endpoint
    if comps is None or endpoint is None or not design.simulations:
        return []
    if not (np.isfinite(p.control_rate) and np.isfinite(p.log_volume_start)):
        return []
    growth = (p.log_volume_start - p.control_rate * p.start_day, p.control_rate)
    rows = []
    for day in follow_up_days(design, p):
        days = schedule(p.measurements["day"].unique(), p.start_day, day)
        if len(days) < 2:
            continue
        for tgi in design.tgi_pct:
            effect = rate_effect(tgi, day - p.start_day)
            for n in design.n_per_arm:
                rng = _rng(seed, "survival_from_growth", n, day, tgi)
                sim = simulate_endpoint_power(
                    rng, n, effect, days, comps, growth, endpoint, alpha, design.simulations
                )
                rows.append(
                    _row(
                        endpoint="survival",
                        method=METHOD_GROWTH_ENDPOINT,
                        tgi_pct=tgi,
                        effect=effect,
                        n_per_arm=n,
                        follow_up_days=day,
                        alpha=alpha,
                        power=sim,
                        power_simulated=sim,
                        power_simulated_se=_mc_se(sim, design.simulations),
                    )
                )
    return rows


def power_table(design: Design, p: Pilot, seed: int) -> pd.DataFrame:
    """``power.tsv``: one row per endpoint, method, effect, follow-up day and n per arm."""
    alpha = design_alpha(design, p.settings)
    rows = (
        log_volume_rows(design, p, alpha)
        + growth_rate_rows(design, p, alpha, seed)
        + survival_rows(design, p, alpha, seed)
        + synergy_rows(design, p, p.synergy, alpha)
    )
    out = pd.DataFrame(rows, columns=POWER_COLUMNS)
    out["n_per_arm"] = out["n_per_arm"].astype("int64")
    return out


def _exact_n(row: Mapping[str, Any], p: Pilot, target: float) -> tuple[float, float]:
    """(n per arm, events) for the target power of one power-table row's design."""
    alpha, effect, day = row["alpha"], row["effect"], row["follow_up_days"]
    if row["endpoint"] == "log_volume":
        return t_test_n(effect, row["sd"], alpha, target), float("nan")
    if row["endpoint"] == "growth_rate":
        return contrast_n(effect, row["sd"] ** 2, alpha, target), float("nan")
    if row["endpoint"] in ("synergy_bliss", "synergy_hsa"):
        return _synergy_n(row, p, target), float("nan")
    if row["method"] == METHOD_SCHOENFELD:
        events = schoenfeld_events(effect, alpha, target)
    else:
        events = freedman_events(effect, alpha, target)
    m_c, follow = row["control_median_days"] - p.start_day, day - p.start_day
    per_mouse = event_probability(m_c, follow) + event_probability(m_c / effect, follow)
    return (events / per_mouse if per_mouse > 0 else float("nan")), events


def _synergy_n(row: Mapping[str, Any], p: Pilot, target: float) -> float:
    """The real-valued n per arm at which a synergy row's power reaches ``target``."""
    combo = str(row["method"]).removeprefix(f"{METHOD_SYNERGY}: ")
    sp = next(s for s in p.synergy if s.combination == combo)
    c = sp.contrasts[str(row["endpoint"])]
    days = [float(d) for d in str(row["schedule_days"]).split(", ")]
    times = sp.times(days)
    return _solve_n(
        lambda n: synergy_power(n, row["effect"], c, times, sp.sd_ranef, sp.sd_resid, row["alpha"]),
        target,
    )


def sample_size_table(power: pd.DataFrame, design: Design, p: Pilot) -> pd.DataFrame:
    """``sample_size.tsv``: per endpoint, method, effect and follow-up day, the smallest n of the
    grid whose analytic power reaches the target, and the exact (real-valued) n; a row with a
    note for each endpoint the pilot cannot serve (:func:`missing_notes`)."""
    rows: list[dict[str, Any]] = []
    keys = ["endpoint", "method", "tgi_pct", "follow_up_days"]
    for _, grid in power.groupby(keys, sort=False, dropna=False):
        first = grid.iloc[0]
        reached = grid.loc[grid["power"] >= design.power, "n_per_arm"]
        simulated = first["method"] == METHOD_GROWTH_ENDPOINT
        nan = float("nan")
        n_exact, events = (nan, nan) if simulated else _exact_n(first, p, design.power)
        note = ""
        if reached.empty:
            note = f"no n in the grid (up to {max(design.n_per_arm)}) reaches the target"
        elif simulated:
            note = "simulated power: n_needed is the smallest n of the grid that reaches it"
        if not simulated and not np.isfinite(n_exact):
            note = f"more than {N_MAX} mice per arm needed"
        if simulated:
            needed = float(reached.min()) if len(reached) else nan
        else:
            needed = math.ceil(n_exact - 1e-9) if np.isfinite(n_exact) else nan
        rows.append(
            {
                "endpoint": first["endpoint"],
                "method": first["method"],
                "tgi_pct": first["tgi_pct"],
                "effect": first["effect"],
                "follow_up_days": first["follow_up_days"],
                "alpha": first["alpha"],
                "target_power": design.power,
                "n_per_arm": int(reached.min()) if len(reached) else float("nan"),
                "n_exact": n_exact,
                "n_needed": needed,
                "events_needed": events,
                "note": note,
            }
        )
    for endpoint, tgi, day, note in missing_notes(design, p):
        rows.append(
            {
                "endpoint": endpoint,
                "tgi_pct": tgi,
                "follow_up_days": day,
                "target_power": design.power,
                "note": note,
            }
        )
    return pd.DataFrame(rows, columns=SAMPLE_SIZE_COLUMNS)


def missing_notes(design: Design, p: Pilot) -> list[tuple[str, float, float, str]]:
    """(endpoint, tgi_pct, follow-up day, why there are no rows): what the pilot lacks, effects
    without a hazard ratio, and synergy (not implemented)."""
    nan = float("nan")
    notes = []
    if p.components is None:
        notes.append(("growth_rate", nan, nan, "the pilot has no fitted growth mixed model"))
    if not np.isfinite(p.control_median):
        why = (
            "no Schoenfeld or Freedman rows: the pilot has no control median time to an "
            "endpoint (no survival endpoint, or the control median was not reached)"
        )
        notes.append(("survival", nan, nan, why))
    elif not p.control_rate > 0:
        notes.append(("survival", nan, nan, "the pilot's control growth rate is not positive"))
    else:
        for day in follow_up_days(design, p):
            for tgi in design.tgi_pct:
                if not np.isfinite(hazard_ratio(tgi, day - p.start_day, p.control_rate)):
                    why = (
                        "no hazard ratio: at this effect the treated tumours would not grow "
                        "(k_T = k_C + effect <= 0) and never reach the endpoint"
                    )
                    notes.append(("survival", tgi, day, why))
    if not p.synergy and not p.synergy_skipped:
        why = "no Bliss or HSA contrast power: the study declares no combinations"
        notes.append(("synergy", nan, nan, why))
    for combo in p.synergy_skipped:
        why = (
            f"no Bliss or HSA contrast power for {combo}: its synergy model has a variance "
            "function (synergy: variance), which does not carry over to a new design"
        )
        notes.append(("synergy", nan, nan, why))
    return notes


@dataclass(frozen=True)
class PowerResult:
    """The design tables of a study used as the pilot, named as their registry tables, the
    pilot's inputs and the power the design aims at."""

    power: pd.DataFrame
    sample_size: pd.DataFrame
    pilot: Pilot
    target_power: float


def analyse(study: Study, tables: Mapping[str, pd.DataFrame], design: Design) -> PowerResult:
    """The design tables of a study used as the pilot (:class:`PowerResult`)."""
    p = pilot(study, tables)
    power = power_table(design, p, int(study.settings["seed"]))
    return PowerResult(
        power=power,
        sample_size=sample_size_table(power, design, p),
        pilot=p,
        target_power=design.power,
    )

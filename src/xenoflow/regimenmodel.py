"""A tumour growth-inhibition model driven by the dosing schedule, fitted across the arms of a
study, and its predictions for regimens that were not given (study-file key ``what_if``).

Model (in words): every tumour grows exponentially at one rate; each dose of an agent puts an
exposure into the mouse that decays mono-exponentially with the agent's effective half-life,
and the exposure kills tumour cells at a rate proportional to it (log-kill). The log volume is
therefore the mouse's start plus growth minus the kill accumulated by the day::

    ln V_ij = β0 + b0_i + (g + b1_i)·t_ij − Σ_a k_a·E_a,i(t_ij) + e_ij

    E_a,i(t) = ∫_{−∞}^t C_a,i(s) ds = Σ_{doses j of agent a to the arm of mouse i, t_j < t}
               A_j·(1 − e^(−λ_a (t − t_j)))/λ_a          (unit·day)
    C_a,i(s) = Σ_{t_j ≤ s} A_j·e^(−λ_a (s − t_j))          (decaying dose, xenoflow.regimen)

with (b0_i, b1_i) ~ N(0, Ψ) a random start and growth rate per mouse and e_ij ~ N(0, σ²)
(lme4: ``lmer(log(volume) ~ day + I(-E) + (day | mouse), REML = TRUE)``). This is the
Simeoni et al. 2004 (Cancer Res 64:1094) tumour-growth-inhibition model reduced to what
caliper data identify: exponential growth only (their ψ → ∞ limit without the linear phase),
no transit compartments (the kill acts directly on ln V; with them: the delayed-kill
model below), and the drug concentration C(t)
taken from the schedule rather than measured — for a radionuclide the decaying activity
(λ_eff = ln 2/T_phys + ln 2/T_biol, :func:`xenoflow.regimen.decay_constant`); for an agent
without a half-life in the study file a dose exposure with the stated default half-life
:data:`DEFAULT_HALF_LIFE_DAYS` (1 day: clearance fast against caliper intervals, so each dose
acts as an almost immediate log-kill of k·A/λ). ``k_a·A/λ_a`` is the eventual drop of ln V per
dose of size A (a dose's log-kill, Skipper, Schabel & Wilcox 1964).

With λ known the model is linear in (β0, g, k): it is fitted by REML with the profiled
deviance of :class:`xenoflow.mixed.ProfiledREML` (lme4's parametrisation, Bates et al. 2015),
the correlated (1 + day | mouse) structure first and the random intercept only when that is
singular or not identifiable (:func:`xenoflow.mixed.identifiable`). Fixed effects and their
covariance are the GLS values at the REML variance components (:func:`xenoflow.mixed.gls`).
Intervals are Wald intervals with t quantiles on n_mice − p degrees of freedom (p fixed
effects): the random growth rate makes the between-mouse variation the main source of error
of the slope-like parameters, and normal quantiles ignore that Ψ is estimated. On simulated
studies (``tests/test_regimenmodel.py``: 16 mice fitted, a third regimen predicted) normal
quantiles covered the true mean curve 92.6 % of the time and t(n_mice − p) 95.0 %.

Prediction (the mean ln V of an arm, i.e. of a typical mouse, because the random effects have
mean zero): μ(t) = x(t)'β with x(t) = (1, t, −E_1(t), …); its variance x(t)'Cov(β)x(t) is exact
for a model linear in β (the delta method without a linearisation error); the band is
μ ± t_{n_mice − p}·SE. λ is treated as known, so the band does not include uncertainty in the
half-life. For the models below with profiled shape parameters θ (λ_R, the kill delay) the
band also carries their uncertainty (:func:`predict`: the delta method over θ with the
profile's curvature, widened to cover the conditional band of each θ of the 95 %
profile-likelihood region, :func:`_shape_region`); with θ known a poorly determined λ_R or
delay made the band too narrow (``tests/test_resistant_delayed.py``: 16 of 29 days missed
for unequal fractions on a study simulated with λ_R = 0.05/day and a 7-day delay, none with
it).

Limitation: the kill is linear in the exposure, so regimens of equal total dose end with the
same log-kill (k·ΣA/λ) and differ only in its timing; a threshold, saturation or dose-rate
effect (such as the repair shoulder of :mod:`xenoflow.simulate`) is outside the model, and its
predictions for a schedule far from those observed are extrapolations.

Drug resistance (Claret et al. 2009, J Clin Oncol 27:4103; ``fit(kind=CLARET)``): the kill
fades with time since the arm's first dose t_0 as resistance develops, so treated tumours
shrink and regrow under continued treatment::

    d ln V/dt = g − Σ_a k_a·C_a(t)·e^(−λ_R (t − t_0))
    ln V(t) = ln V0 + g·t − Σ_a k_a·E_a(t; λ_R)
    E_a(t; λ_R) = Σ_{t_j < t} A_j·e^(−λ_R (t_j − t_0))·(1 − e^(−(λ_a + λ_R)(t − t_j)))/(λ_a + λ_R)

with the same exposures C_a and half-lives, one resistance rate λ_R shared by the agents, and
t_0 the first dose of the schedule (a ``what_if`` regimen's own first dose). λ_R = 0 is the
model above. Given λ_R the model is linear in (β0, g, k) with the same random effects; λ_R
maximises the ML profile likelihood over [0, :data:`RESISTANCE_SPAN`/(last day − first dose)]
(ML, not REML: the REML likelihood's ln|X'V⁻¹X| term changes with the design, so REML values at
different λ_R are not comparable), with a 95 % profile-likelihood interval (the λ_R where the
profile drops by χ²₁(0.95)/2); the rest is then fitted by REML at λ̂_R exactly as the model
above, so its intervals are conditional on λ̂_R. Golden values: R lme4 ``lmer`` at the profiled
λ_R with the profile maximised by ``optimize`` (``tests/test_claret.py``).

Delayed kill (Simeoni et al. 2004, Cancer Res 64:1094; ``fit(kind=DELAYED)``): the damage a
dose does passes through a chain of n = :data:`TRANSIT_COMPARTMENTS` (3, as Simeoni's) transit
compartments with rate k_tr before the tumour shrinks, so shrinkage starts days after a dose::

    d ln V/dt = g − Σ_a k_a·y_a,n(t),   dy_a,1/dt = k_tr (C_a − y_a,1),
    dy_a,m/dt = k_tr (y_a,m−1 − y_a,m)  (m = 2 … n)
    ln V(t) = ln V0 + g·t − Σ_a k_a·E_a(t; k_tr)
    E_a(t; k_tr) = ∫_{−∞}^t y_a,n(s) ds = Σ_{t_j < t} A_j·[F(t − t_j) − ỹ(t − t_j)]/λ_a

with y_n = C * h the exposure convolved with the Erlang (gamma, shape n, rate k_tr) kernel
h(u) = k_tr^n u^(n−1) e^(−k_tr u)/(n − 1)!, F its CDF (the regularised incomplete gamma
P(n, k_tr τ)) and ỹ(τ) = ∫_0^τ h(u)·e^(−λ(τ − u)) du the delayed level of a unit dose:
(k_tr/d)^n·e^(−λτ)·P(n, dτ) with d = k_tr − λ > 0, and (k_tr τ)^n/n!·e^(−k_tr τ)·
₁F₁(1; n + 1; dτ) for d ≤ 0 (:func:`transit_exposure`; checked against ``solve_ivp`` of the
chain in ``tests/test_simeoni.py``). A dose's eventual log-kill k·A/λ is the exponential
model's; only its timing changes (mean delay n/k_tr). k_tr is profiled through the mean transit
delay D = n/k_tr over [0, :data:`DELAY_SPAN`·(last day − first dose)] by ML with a 95 %
profile-likelihood interval, exactly as λ_R (:func:`_profile_shape`); D = 0 (k_tr = ∞) is the
exponential model, so the two are nested. The rest is fitted by REML at the profiled k_tr.
Golden values: R lme4 ``lmer`` at the profiled delay (``tests/test_simeoni.py``).

This keeps Simeoni's delay and drops what caliper data of a few arms cannot identify: their
exponential-then-linear growth (ψ → ∞: exponential only), and the damaged cells' own volume
in the transit compartments (the delayed kill acts on ln V). It is not fitted as a full
nonlinear mixed-effects model (``nlme``/SAEM with the compartments as states): with 16–32
mice, one or two agents and a few dose levels such fits rarely converge to one optimum, are
slow enough to forbid the held-out refits of the adequacy check, and their intervals rest on
a linearisation; given k_tr this model is linear, so REML, the exact GLS intervals, the lme4
golden values and the nesting in the exponential model (a fair AIC) carry over unchanged.

Resistance and delay together (``fit(kind=RESISTANT_DELAYED)``): the Claret kill fading at
λ_R from the arm's first dose acts on the delayed exposure y_n, so tumours shrink days after a
dose and regrow under treatment::

    d ln V/dt = g − Σ_a k_a·y_a,n(t)·e^(−λ_R (t − t_0))
    E_a(t; λ_R, k_tr) = ∫_{−∞}^t y_a,n(s)·e^(−λ_R (s − t_0)) ds
                      = Σ_{t_j < t} A_j·e^(−λ_R (t_j − t_0))·(k_tr/k')^n·[F'(τ) − ỹ'(τ)]/(λ + λ_R)

with k' = k_tr + λ_R and F', ỹ' those of :func:`transit_exposure` at transit rate k' and decay
rate λ + λ_R (:func:`resistant_transit_exposure`; λ_R = 0 is the delayed model, k_tr = ∞ the
Claret model, so both are nested in it). Given (λ_R, k_tr) it is linear in (β0, g, k); the pair
maximises the ML profile likelihood jointly (:func:`_profile_pair`: a 6 × 6 grid refined by
Nelder–Mead, about twice the cost of a 1-D profile), without profile intervals. Golden values:
R lme4 ``lmer`` at the profiled pair and R ``optim`` over the profile, with the exposure from
deSolve (``tests/test_resistant_delayed.py``). Before it, on studies simulated with both
(k = 0.003, λ_R = 0.1/day, mean delay 4 days; 6 mice in each of 4 arms) all three other models
passed their check, the delayed model was chosen (the Claret fit went to λ_R = 0), and its
prediction for three fractions on days 0, 7 and 14 missed the true mean on 3 to 4 of 9 days by
up to 2.5 half-widths, and unequal doses on days 0 and 7 (150 and 70 µCi, inside the observed
times and doses) on up to 59 % of its days (up to 1.6 half-widths off). With it (10 seeds) the
model with both was chosen in all 10, passed its check in 9, and its intervals covered the true
mean on every one of the 29 days of each regimen, inside or outside the observed span (at most
0.9 half-widths off, ``tests/test_regimenmodel.py``).

The rule for ``what_if`` regimens (:func:`schedule_extrapolation`): the data show what
a dose does only as late in a schedule, and what the tumours do only as long after a first
dose, as the study's dosed arms reached. A regimen whose last dose comes later after its own
first dose than the last dose of any dosed arm of its agent came after that arm's first (with
a tolerance of :data:`SPAN_TOLERANCE_DAYS`, the 1-day visit window), or whose predicted days
run longer after its first dose than those arms were followed after theirs, gets no predicted
numbers; its row in ``what_if.tsv`` says why (e.g. "its last dose comes 14 days after the
first; the study's arms show no dose later than 7 days after the first, so how the tumours
respond that late in a schedule is not in the data"). The leave-one-arm-out check did not catch
that failure: the held-out arms were predicted well enough to pass, and none had a dose 14 days
after its first.

Likewise for the amounts (:func:`dose_extrapolation`): a regimen with more doses, a larger
single dose or a larger total than any dosed arm of its agent gets no predicted numbers. The
kill is linear in the dose, so such a regimen multiplies what the model gets wrong about the
arms it saw: on the same simulated studies the then chosen delayed model's prediction of two full doses a
week apart (twice the total given) missed the true mean on 69 to 90 % of its days by up to
3.6 half-widths, and that of three fractions on days 0, 7 and 14 on 31 to 45 % by up to 2.5
(whole days 0 to 28; 8 seeds in which the chosen model passed its check). The warnings of the
summary (a single dose above the highest tolerated one, a total above the highest given) and
the body-weight nadir of :mod:`xenoflow.bwnadir` are kept.

These rules are kept with the model with both: what tumours do later in a schedule, or after
more or larger doses, than any arm showed is not in the data, whichever model fits the arms
seen (a model right about days 0–28 of the arms can be wrong about a dose on day 14 if, e.g.,
resistance saturates), so such a regimen is refused with its reason rather than predicted.

Model choice (:func:`selection_table`): each model gets the adequacy check
(:func:`adequacy_table`, the held-out refits with the same model); the lowest AIC from the ML
fits (all with the random effects of the REML fit above; λ_R and k_tr count as parameters)
among the models that pass is used for ``regimen_model.tsv``, ``what_if.tsv`` and the summary — the
lowest AIC when none passes (then nothing is predicted).

Only the control and the arms with doses enter the fit: a treated arm without doses in the
study file would be taken for an untreated tumour, so such arms are left out and named in the
table's ``note``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import growth, mixed, visits
from .config import Dose, Study, WhatIf, display_unit
from .regimen import decay_constant
from .tables import columns

#: Half-life (days) of the dose exposure of an agent whose study file gives no half-life:
#: clearance within about a day (most small molecules and antibodies-free cytotoxics in mice),
#: so each dose acts as an almost immediate log-kill.
DEFAULT_HALF_LIFE_DAYS = 1.0
#: the models (:func:`fit`'s ``kind``)
EXPONENTIAL = "exponential"
CLARET = "claret"
DELAYED = "delayed"
#: resistance (Claret) acting on the delayed (transit-compartment) exposure
RESISTANT_DELAYED = "resistant_delayed"
#: transit compartments of the delayed-kill model (Simeoni et al. 2004 use 3)
TRANSIT_COMPARTMENTS = 3
#: the mean transit delay n/k_tr is searched on [0, DELAY_SPAN·(last day − first dose)]: a
#: longer delay leaves most of the kill after the end of the study
DELAY_SPAN = 0.5
#: unit of a dose given without an amount (the kill is then per dose)
PER_DOSE = "dose"
MODEL_FORMULA = (
    "ln V_ij = b0 + b0_i + (g + b1_i)*t_ij - sum_a k_a*E_a(t_ij) + e_ij; "
    "E_a(t) = sum_{t_j<t} A_j*(1 - exp(-lambda_a*(t - t_j)))/lambda_a"
)
MODEL_WORDS = (
    "exponential growth at one rate g (random start and rate per mouse) minus a log-kill k "
    "per unit of the accumulated decaying dose exposure E (area under the schedule's "
    "exponentially decaying dose)"
)
CLARET_FORMULA = (
    "ln V_ij = b0 + b0_i + (g + b1_i)*t_ij - sum_a k_a*E_a(t_ij; lambda_R) + e_ij; "
    "E_a(t; lambda_R) = sum_{t_j<t} A_j*exp(-lambda_R*(t_j - t_0))"
    "*(1 - exp(-(lambda_a + lambda_R)*(t - t_j)))/(lambda_a + lambda_R)"
)
CLARET_WORDS = (
    "Claret et al. 2009 tumour growth inhibition with drug resistance: exponential growth at "
    "one rate g (random start and rate per mouse) minus a kill k*C(t)*exp(-lambda_R*(t - t_0)) "
    "that fades at the resistance rate lambda_R from the arm's first dose t_0 (C: the decaying "
    "dose exposure)"
)
DELAYED_FORMULA = (
    "ln V_ij = b0 + b0_i + (g + b1_i)*t_ij - sum_a k_a*E_a(t_ij; k_tr) + e_ij; "
    "E_a(t; k_tr) = sum_{t_j<t} A_j*(F(t - t_j) - y(t - t_j))/lambda_a, F: gamma(3, k_tr) CDF, "
    "y(tau) = int_0^tau gamma(3, k_tr) density(u)*exp(-lambda_a*(tau - u)) du"
)
DELAYED_WORDS = (
    "Simeoni et al. 2004 delayed kill: exponential growth at one rate g (random start and rate "
    "per mouse) minus a log-kill k per unit of the decaying dose exposure passed through 3 "
    "transit compartments at rate k_tr (mean delay 3/k_tr days between dose and shrinkage)"
)
RESISTANT_DELAYED_FORMULA = (
    "ln V_ij = b0 + b0_i + (g + b1_i)*t_ij - sum_a k_a*E_a(t_ij; lambda_R, k_tr) + e_ij; "
    "E_a(t; lambda_R, k_tr) = int_-inf^t y_a(s)*exp(-lambda_R*(s - t_0)) ds, y_a: the decaying "
    "dose exposure passed through 3 transit compartments at rate k_tr"
)
RESISTANT_DELAYED_WORDS = (
    "delayed kill with drug resistance (Simeoni et al. 2004 transit compartments, Claret et al. "
    "2009 resistance): exponential growth at one rate g (random start and rate per mouse) minus "
    "a kill k*y(t)*exp(-lambda_R*(t - t_0)), y the decaying dose exposure passed through 3 "
    "transit compartments at rate k_tr, fading at the resistance rate lambda_R from the arm's "
    "first dose t_0"
)
#: a model's words and formula, by :func:`fit`'s ``kind``
DESCRIPTIONS = {
    "exponential": f"{MODEL_WORDS}: {MODEL_FORMULA}",
    "claret": f"{CLARET_WORDS}: {CLARET_FORMULA}",
    "delayed": f"{DELAYED_WORDS}: {DELAYED_FORMULA}",
    "resistant_delayed": f"{RESISTANT_DELAYED_WORDS}: {RESISTANT_DELAYED_FORMULA}",
}


#: (θ + h·e_i, β̂ there, θ − h·e_i, β̂ there) of a shape parameter θ_i (:func:`_shape_uncertainty`)
ShapePoint = tuple[tuple[float, float], np.ndarray, tuple[float, float], np.ndarray]


@dataclass(frozen=True)
class Driver:
    """One kill term: an agent and its dose unit with the exposure's decay constant."""

    agent: str
    unit: str
    lam: float
    source: str

    @property
    def half_life_days(self) -> float:
        return math.log(2) / self.lam


@dataclass
class RegimenFit:
    """The fitted model: fixed effects (β0, g, k per driver), covariances and what entered."""

    drivers: list[Driver]
    beta: np.ndarray
    vcov: np.ndarray
    cov_re: np.ndarray
    scale: float
    structure: str
    llf: float
    n_obs: int
    n_mice: int
    arms: list[str]
    first_day: float
    last_day: float
    note: str = ""
    observed: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: :data:`EXPONENTIAL` (today's model), :data:`CLARET` (kill fading at rate λ_R) or
    #: :data:`DELAYED` (kill through transit compartments)
    kind: str = "exponential"
    #: λ_R (per day; 0 for the exponential model) and its profile-likelihood interval
    resistance: float = 0.0
    resistance_ci: tuple[float, float] = (math.nan, math.nan)
    #: mean transit delay n/k_tr (days; 0 except for the delayed model) and its interval
    delay: float = 0.0
    delay_ci: tuple[float, float] = (math.nan, math.nan)
    #: ML log-likelihood (the model's AIC, :func:`selection_table`) and its parameter count
    ml_llf: float = math.nan
    n_params: int = 0
    #: the shape parameters' uncertainty in the predictions (:func:`predict`): their
    #: covariance from the curvature of the ML profile and, per free shape parameter, the
    #: points (λ_R, D) a step h either side with the GLS β there (:func:`_shape_uncertainty`)
    shape_cov: np.ndarray | None = None
    shape_points: list[ShapePoint] = field(default_factory=list)
    #: (λ_R, D, β̂, Cov β̂) at the profile's points inside the 95 % profile-likelihood region
    #: of the shape parameters (:func:`_shape_region`)
    region: list[tuple[tuple[float, float], np.ndarray, np.ndarray]] = field(default_factory=list)


def arm_schedule(doses: Sequence[Dose]) -> tuple[list[float], list[float], str]:
    """(days, amounts, unit) of a schedule; without amounts in one unit every dose counts 1
    (unit ``dose``: the kill is then per dose)."""
    units = {d.unit for d in doses}
    if doses and all(d.amount is not None for d in doses) and len(units) == 1 and None not in units:
        return [d.day for d in doses], [float(d.amount or 0.0) for d in doses], str(units.pop())
    return [d.day for d in doses], [1.0] * len(doses), PER_DOSE


def exposure(
    days: np.ndarray,
    dose_days: Sequence[float],
    amounts: Sequence[float],
    lam: float,
    resistance: float = 0.0,
    delay: float = 0.0,
) -> np.ndarray:
    """E(t) = Σ_{t_j < t} A_j·(1 − e^(−λ(t − t_j)))/λ at each of ``days`` (unit·day): the area
    under C(s) = Σ A_j·e^(−λ(s − t_j)) up to t (module docstring). With a ``resistance`` rate
    λ_R > 0 the area under C(s)·e^(−λ_R (s − t_0)), t_0 the first of ``dose_days`` (Claret et
    al. 2009): Σ_{t_j < t} A_j·e^(−λ_R (t_j − t_0))·(1 − e^(−(λ + λ_R)(t − t_j)))/(λ + λ_R).
    With a mean transit ``delay`` D > 0 the area under C passed through the transit chain
    (Simeoni et al. 2004, :func:`transit_exposure`); with both, the area under that delayed
    exposure weighted by e^(−λ_R (s − t_0)) (:func:`resistant_transit_exposure`)."""
    if delay > 0.0 and resistance > 0.0:
        return resistant_transit_exposure(days, dose_days, amounts, lam, resistance, delay)
    if delay > 0.0:
        return transit_exposure(days, dose_days, amounts, lam, delay)
    t = np.asarray(days, dtype=float)[:, None]
    tj = np.asarray(dose_days, dtype=float)[None, :]
    a = np.asarray(amounts, dtype=float)[None, :]
    elapsed = np.clip(t - tj, 0.0, None)
    if resistance == 0.0:
        return np.asarray(np.sum(a * -np.expm1(-lam * elapsed) / lam, axis=1), dtype=float)
    # Claret: ∫ C(s)·e^(−λ_R (s − t_0)) ds, t_0 the schedule's first dose (module docstring)
    rate = lam + resistance
    weight = np.exp(-resistance * (tj - tj.min())) if tj.size else tj
    return np.asarray(np.sum(a * weight * -np.expm1(-rate * elapsed) / rate, axis=1), dtype=float)


def transit_exposure(
    days: np.ndarray,
    dose_days: Sequence[float],
    amounts: Sequence[float],
    lam: float,
    delay: float,
    n: int = TRANSIT_COMPARTMENTS,
) -> np.ndarray:
    """E(t; k_tr) = Σ_{t_j < t} A_j·[F(τ_j) − ỹ(τ_j)]/λ, τ_j = t − t_j, k_tr = n/``delay``: the
    area up to t under the exposure passed through n transit compartments (module docstring).

    F(τ) = P(n, k_tr τ), the Erlang CDF; ỹ(τ) = ∫_0^τ h(u)·e^(−λ(τ − u)) du, the chain's output
    for a unit dose, = (k_tr/d)^n·e^(−λτ)·P(n, dτ) for d = k_tr − λ > 0 (no cancellation:
    P is the regularised incomplete gamma) and (k_tr τ)^n/n!·e^(−k_tr τ)·₁F₁(1; n + 1; dτ) for
    d ≤ 0 (Kummer's transformation of τ^n/n·₁F₁(n; n + 1; −dτ) = ∫_0^τ u^(n−1) e^(−du) du;
    Abramowitz & Stegun 13.1.27, 6.5.12). Derivation: ∫_0^τ ỹ = [F(τ) − ỹ(τ)]/λ by
    exchanging the order of integration."""
    from scipy import special

    ktr = n / delay
    tau = np.clip(
        np.asarray(days, dtype=float)[:, None] - np.asarray(dose_days, dtype=float)[None, :],
        0.0,
        None,
    )
    d = ktr - lam
    if d > 0:
        level = (ktr / d) ** n * np.exp(-lam * tau) * special.gammainc(n, d * tau)
    else:
        level = (
            (ktr * tau) ** n
            / math.factorial(n)
            * np.exp(-ktr * tau)
            * special.hyp1f1(1.0, n + 1.0, d * tau)
        )
    a = np.asarray(amounts, dtype=float)[None, :]
    area = a * (special.gammainc(n, ktr * tau) - level) / lam
    return np.asarray(np.sum(area, axis=1), dtype=float)


def resistant_transit_exposure(
    days: np.ndarray,
    dose_days: Sequence[float],
    amounts: Sequence[float],
    lam: float,
    resistance: float,
    delay: float,
    n: int = TRANSIT_COMPARTMENTS,
) -> np.ndarray:
    """E(t; λ_R, k_tr) = ∫_{−∞}^t y_n(s)·e^(−λ_R (s − t_0)) ds, the delayed exposure y_n of
    :func:`transit_exposure` (k_tr = n/``delay``) with the Claret kill fading at the
    ``resistance`` rate λ_R from the schedule's first dose t_0 (module docstring).

    Closed form: a dose A_j at t_j contributes A_j·e^(−λ_R (t_j − t_0))·∫_0^τ ỹ(σ)·e^(−λ_R σ) dσ
    (τ = t − t_j), and exchanging the order of integration,
    ∫_0^τ ỹ(σ) e^(−λ_R σ) dσ = [∫_0^τ h(u) e^(−λ_R u) du − ∫_0^τ h(u) e^(−λ_R u) e^(−r(τ − u)) du]/r
    with r = λ + λ_R. Since h(u)·e^(−λ_R u) = (k_tr/k')^n·h'(u), h' the Erlang density of rate
    k' = k_tr + λ_R, this is (k_tr/k')^n·[F'(τ) − ỹ'(τ)]/r: :func:`transit_exposure` with
    transit rate k' and decay rate r, the amounts weighted by e^(−λ_R (t_j − t_0))·(k_tr/k')^n.
    λ_R = 0 gives :func:`transit_exposure`, k_tr → ∞ the Claret exposure of :func:`exposure`
    (checked against ``solve_ivp`` of the chain in ``tests/test_resistant_delayed.py``)."""
    ktr = n / delay
    faster = ktr + resistance
    tj = np.asarray(dose_days, dtype=float)
    weight = np.exp(-resistance * (tj - tj.min())) * (ktr / faster) ** n if tj.size else tj
    scaled = np.asarray(amounts, dtype=float) * weight
    return transit_exposure(days, list(tj), list(scaled), lam + resistance, n / faster, n)


def drivers(study: Study) -> list[Driver]:
    """The kill terms of a study: one per (agent, dose unit) of its dosed arms, in arm order.
    An arm with doses and no ``agent`` is its own agent (named after the arm)."""
    out: dict[tuple[str, str], Driver] = {}
    for arm in study.arms:
        if not arm.doses:
            continue
        agent = arm.agent or arm.name
        unit = arm_schedule(arm.doses)[2]
        if (agent, unit) in out:
            continue
        declared = study.agents.get(agent)
        if declared is not None:
            lam = decay_constant(declared)
            source = (f"isotope {declared.isotope}" if declared.isotope else "half_life_days") + (
                " with biological half-life" if declared.biological_half_life_days else ""
            )
        else:
            lam = math.log(2) / DEFAULT_HALF_LIFE_DAYS
            source = f"default {DEFAULT_HALF_LIFE_DAYS:g}-day exposure half-life (no agents entry)"
        out[(agent, unit)] = Driver(agent, unit, lam, source)
    return list(out.values())


def _design_row(
    days: np.ndarray,
    schedule: tuple[str, Sequence[Dose]] | None,
    drv: list[Driver],
    resistance: float = 0.0,
    delay: float = 0.0,
) -> np.ndarray:
    """x(t) = (1, t, −E_1(t), …) for the days of one schedule (None: untreated)."""
    cols = [np.ones_like(days), days]
    for d in drv:
        e = np.zeros_like(days)
        if schedule is not None:
            agent, doses = schedule
            sdays, amounts, unit = arm_schedule(doses)
            if agent == d.agent and unit == d.unit:
                e = exposure(days, sdays, amounts, d.lam, resistance, delay)
        cols.append(-e)
    return np.column_stack(cols)


def _schedules(study: Study) -> dict[str, tuple[str, Sequence[Dose]] | None]:
    """The arms in the model: the control (untreated) and each dosed arm's (agent, doses)."""
    out: dict[str, tuple[str, Sequence[Dose]] | None] = {}
    for arm in study.arms:
        if arm.doses:
            out[arm.name] = (arm.agent or arm.name, arm.doses)
        elif arm.name == study.control:
            out[arm.name] = None
    return out


def _fit_structure(
    X: np.ndarray, Z: np.ndarray, logd: pd.DataFrame, structure: str
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray, float, bool] | None:
    """REML by the profiled deviance: (β, Cov β, σ², Ψ, ℓ_REML, singular) or None."""
    y = logd["log_volume"].to_numpy(dtype=float)
    groups = logd["mouse"].to_numpy()
    if not mixed.identifiable(structure, y.size, int(pd.unique(groups).size)):
        return None
    pr = mixed.ProfiledREML(X, Z, y, groups, structure)
    theta, dev, _ = pr.minimise([mixed._moment_theta(pr, logd)])
    if not np.isfinite(dev):
        return None
    _, _, _, sigma2 = pr.solve(theta)
    lam = pr.lam(theta)
    cov_re = sigma2 * lam @ lam.T
    beta, vcov, llf = mixed.gls(X, Z, y, groups, cov_re, sigma2)
    singular = bool(np.min(np.abs(np.diag(lam))) < mixed.SINGULAR_TOL)
    return beta, vcov, sigma2, cov_re, llf, singular


def _ml_llf(
    X: np.ndarray,
    Z: np.ndarray,
    logd: pd.DataFrame,
    structure: str,
    starts: list[np.ndarray],
    polish: bool = True,
) -> tuple[float, np.ndarray]:
    """ML log-likelihood of the linear model X at its ML variance components (−½ of
    :meth:`xenoflow.mixed.ProfiledREML.ml_deviance` minimised from ``starts``; independent
    of X's column scale) and the θ that attains it."""
    y = logd["log_volume"].to_numpy(dtype=float)
    pr = mixed.ProfiledREML(X, Z, y, logd["mouse"].to_numpy(), structure)
    if polish:
        theta, dev, _ = pr.minimise(starts or [mixed._moment_theta(pr, logd)], pr.ml_deviance_lean)
    else:  # a profile point: L-BFGS-B to 1e-10 relative in the deviance from each start,
        # with the analytic gradient (one likelihood evaluation per step, not 1 + len(θ))
        from scipy import optimize

        theta, dev = np.asarray(starts[0], dtype=float), math.inf
        for x0 in starts:
            with np.errstate(all="ignore"):
                res = optimize.minimize(
                    pr.ml_deviance_grad,
                    x0,
                    jac=True,
                    method="L-BFGS-B",
                    bounds=pr.bounds(),
                    options={"ftol": 1e-10, "gtol": 1e-7, "maxiter": 2000},
                )
            if np.isfinite(res.fun) and res.fun < dev:
                theta, dev = res.x, float(res.fun)
    return (-0.5 * dev if np.isfinite(dev) else -math.inf), theta


def _scaled(X_raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kill columns scaled to unit maximum for the optimiser's conditioning (scaled back by
    the caller)."""
    scale = np.ones(X_raw.shape[1])
    scale[2:] = np.maximum(np.abs(X_raw[:, 2:]).max(axis=0), 1e-12)
    return X_raw / scale, scale


#: the profile-likelihood interval of λ_R (and of the transit delay): ℓ_ML within χ²₁(0.95)/2
#: of its maximum
PROFILE_CUT = 0.5 * 3.841458820694124
#: λ_R is searched on [0, RESISTANCE_SPAN/(last day − first dose)]: at the upper end the kill
#: has faded to e^(−10) by the end of the study, i.e. the drug acts only on its first days
RESISTANCE_SPAN = 10.0


def _profile_search(
    loglik: Callable[[float], float], upper: float, interval: bool = True
) -> tuple[float, float, tuple[float, float]]:
    """(x̂, ℓ_ML(x̂), profile interval) of a shape parameter x (λ_R, or the mean transit delay)
    by a grid over [0, upper] (0 and 16 log-spaced points) refined by bounded Brent between
    the neighbours of the best grid point. The interval ends where ℓ_ML drops by
    :data:`PROFILE_CUT` (root by Brent); an end the search range does not reach is the
    range's bound: 0 (x = 0, the exponential model, inside the interval) or NaN (not bounded
    above). Without ``interval`` (a held-out refit, whose interval nothing reads) the
    interval is (NaN, NaN) and its roots are not searched: a third of the profile's points."""
    from scipy import optimize

    grid = np.concatenate([[0.0], np.geomspace(upper * 1e-3, upper, 16)])
    values = np.array([loglik(float(x)) for x in grid])
    i = int(np.argmax(values))
    best_x, best_f = float(grid[i]), float(values[i])
    lo, hi = float(grid[max(i - 1, 0)]), float(grid[min(i + 1, grid.size - 1)])
    if hi > lo:
        res = optimize.minimize_scalar(
            lambda x: -loglik(float(x)),
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-6 * upper},
        )
        if np.isfinite(res.fun) and -res.fun > best_f:
            best_x, best_f = float(res.x), float(-res.fun)
    if not interval:
        return best_x, best_f, (math.nan, math.nan)

    def drop(x: float) -> float:
        return best_f - loglik(x) - PROFILE_CUT

    def root(a: float, b: float) -> float:
        # NaN when the profile does not cross the cut between a and b (a numerically rough
        # profile); otherwise the crossing by Brent
        if not (drop(a) < 0) == (drop(b) > 0):
            return math.nan
        return float(optimize.brentq(drop, a, b, xtol=1e-6 * upper))

    low = 0.0 if drop(0.0) <= 0 else root(best_x, 0.0)
    high = math.nan if best_x >= upper or drop(upper) <= 0 else root(best_x, upper)
    return best_x, best_f, (low, high)


#: the models with profiled shape parameters (λ_R; the mean transit delay n/k_tr; both)
PROFILED = (CLARET, DELAYED, RESISTANT_DELAYED)


def _shape_upper(kind: str, first_dose: float, last_day: float) -> float:
    """The upper end of the profile search: λ_R ≤ :data:`RESISTANCE_SPAN`/span, the mean
    transit delay ≤ :data:`DELAY_SPAN`·span, span = last day − first dose (at least 1)."""
    span = max(last_day - first_dose, 1.0)
    return RESISTANCE_SPAN / span if kind == CLARET else DELAY_SPAN * span


def _ml_profile(
    design: Callable[..., np.ndarray], Z: np.ndarray, logd: pd.DataFrame, structure: str
) -> tuple[Callable[..., float], Callable[..., float], dict[tuple[float, ...], float]]:
    """(profile, polish) of the ML log-likelihood over the shape parameters of ``design``
    (all 0: the exponential model). ``profile(*x)``: one point's ML fit by L-BFGS-B, started
    from the last point's θ (neighbouring x: close optima) and x = 0's, memoised;
    ``polish(*x)``: the ML fit polished as the exponential model's is (Powell near a
    boundary), from the last point's θ; the memo of the points evaluated (x → ℓ_ML)."""
    first_theta = _ml_llf(_scaled(design())[0], Z, logd, structure, [])[1]
    warm = [first_theta]
    memo: dict[tuple[float, ...], float] = {}

    def profile(*x: float) -> float:
        if x not in memo:
            starts = [warm[-1], first_theta]
            memo[x], theta = _ml_llf(_scaled(design(*x))[0], Z, logd, structure, starts, False)
            warm.append(theta)
        return memo[x]

    def polish(*x: float) -> float:
        return _ml_llf(_scaled(design(*x))[0], Z, logd, structure, warm[-1:])[0]

    return profile, polish, memo


def _profile_shape(
    design: Callable[[float], np.ndarray],
    Z: np.ndarray,
    logd: pd.DataFrame,
    structure: str,
    upper: float,
    interval: bool = True,
) -> tuple[float, float, tuple[float, float], dict[tuple[float, ...], float]]:
    """(x̂, ℓ_ML(x̂), interval, profile points) of the shape parameter of ``design`` (x = 0: the exponential
    model): ML profile (:func:`_ml_profile`) searched by :func:`_profile_search`."""
    profile, polish, memo = _ml_profile(lambda x=0.0: design(x), Z, logd, structure)
    best, ml_llf, ci = _profile_search(profile, upper, interval)
    return best, max(ml_llf, polish(best)), ci, memo


#: grid points per axis (besides 0) of the 2-D profile of :func:`_profile_pair`
PAIR_GRID = 5


def _profile_pair(
    design: Callable[[float, float], np.ndarray],
    Z: np.ndarray,
    logd: pd.DataFrame,
    structure: str,
    uppers: tuple[float, float],
    start: tuple[float, float] | None = None,
) -> tuple[tuple[float, float], float, dict[tuple[float, ...], float]]:
    """((λ̂_R, D̂), ℓ_ML, profile points) of the model with resistance and delay: the ML profile
    (:func:`_ml_profile`) over the pair on a grid (0 and :data:`PAIR_GRID` log-spaced points
    from 1 % of each upper bound to it, :func:`_shape_upper`), refined by bounded
    Nelder–Mead (Gao & Han 2012 adaptive parameters, on x/upper) from the best grid point.
    A grid of 36 fits and a refinement of typically 40–80 more: about twice a 1-D profile.
    No profile intervals (each would need a profile of profiles): NaN in the tables. With a
    ``start`` (a held-out refit, :func:`adequacy_table`: the whole fit's pair, close to the
    refit's), the grid is the start, (0, 0) and the start's two axes, and the refinement
    stops at 1e-4 of the range: a fifth of the cost."""
    from scipy import optimize

    profile, polish, memo = _ml_profile(lambda r=0.0, d=0.0: design(r, d), Z, logd, structure)
    axes = [np.concatenate([[0.0], np.geomspace(u * 1e-2, u, PAIR_GRID)]) for u in uppers]
    scale = np.asarray(uppers, dtype=float)
    grid = [(float(r), float(d)) for r in axes[0] for d in axes[1]]
    tol = {"xatol": 1e-7, "fatol": 1e-10, "maxfev": 200}
    if start is not None:
        grid = [start, (0.0, 0.0), (start[0], 0.0), (0.0, start[1])]
        tol = {"xatol": 1e-4, "fatol": 1e-8, "maxfev": 60}
    best = max(grid, key=lambda x: profile(*x))
    res = optimize.minimize(
        lambda u: -profile(*(float(v) for v in np.clip(u, 0.0, 1.0) * scale)),
        np.asarray(best) / scale,
        method="Nelder-Mead",
        bounds=[(0.0, 1.0), (0.0, 1.0)],
        options={**tol, "adaptive": True},
    )
    x = tuple(float(v) for v in np.clip(res.x, 0.0, 1.0) * scale)
    if -res.fun < profile(*best):
        x = best
    r, d = x
    return (r, d), max(profile(r, d), polish(r, d)), memo


def fit(
    study: Study,
    measurements: pd.DataFrame,
    kind: str = "exponential",
    ml: bool = False,
    interval: bool = True,
    start: tuple[float, float] | None = None,
) -> RegimenFit | None:
    """Fit the model ``kind`` (:data:`EXPONENTIAL`, :data:`CLARET` or :data:`DELAYED`) to the
    control and the dosed arms (None: no dosed arm or no fit). The Claret model's λ_R and the
    delayed model's mean transit delay maximise the ML profile likelihood
    (:func:`_profile_shape`; ML because the design changes with them); given them the model
    is fitted as the exponential model is (REML, structure fallback). ``ml``: also the
    exponential model's ML log-likelihood (for :func:`selection_table`; ``ml_llf`` is NaN
    without it). ``interval``: False for a held-out refit (:func:`adequacy_table`), which
    estimates its own shape parameter but not its profile interval (NaN), nor the shape
    parameters' share of the band. ``start``: (λ_R, delay) to start the 2-D profile of the
    model with both from (:func:`_profile_pair`)."""
    drv = drivers(study)
    schedules = _schedules(study)
    if not drv or study.control not in schedules:
        return None
    logd, _ = growth.log_volumes(
        measurements[measurements["arm"].isin(list(schedules))], study.settings
    )
    logd = logd[np.isfinite(logd["log_volume"])].reset_index(drop=True)
    if logd.empty:
        return None
    # the scheduled visit of each measurement (staggered calendars, xenoflow.visits): the
    # arm-day means of the adequacy check and of what_if.tsv are taken by visit
    aligned = visits.align_study(study, measurements)
    logd["visit_day"] = visits.redate(logd, aligned, measurements)["day"].to_numpy(dtype=float)
    days = logd["day"].to_numpy(dtype=float)

    arm_rows = [(schedule, (logd["arm"] == arm).to_numpy()) for arm, schedule in schedules.items()]

    def design(resistance: float, delay: float) -> np.ndarray:
        # λ_R and the mean transit delay; both 0: the exponential model
        out = np.zeros((days.size, 2 + len(drv)))
        for schedule, rows in arm_rows:
            out[rows] = _design_row(days[rows], schedule, drv, resistance, delay)
        return out

    Z = np.column_stack([np.ones_like(days), days])
    fitted = _reml(design(0.0, 0.0), Z, logd)
    if fitted is None:
        return None
    ml_structure = fitted[1]
    shapes = Shapes()
    if kind in PROFILED:
        first = min(d.day for arm in study.arms if arm.name in schedules for d in arm.doses)
        shapes = _fit_shapes(
            kind, design, Z, logd, ml_structure, (first, float(days.max())), interval, start
        )
        if shapes.resistance > 0 or shapes.delay > 0:
            fitted = _reml(design(shapes.resistance, shapes.delay), Z, logd)
        if fitted is None:
            return None
    elif ml:
        shapes.ml_llf = _ml_llf(_scaled(design(0.0, 0.0))[0], Z, logd, ml_structure, [])[0]
    (beta, vcov, sigma2, cov_re, llf), structure, notes = fitted
    shape_cov, points = None, list[ShapePoint]()
    if kind in PROFILED and interval:
        span = (first, float(days.max()))
        shape_cov, points = _shape_uncertainty(
            kind, design, Z, logd, ml_structure, shapes, span, (cov_re, sigma2)
        )
        region = _shape_region(kind, design, Z, logd, shapes, (cov_re, sigma2))
    left_out = [a.name for a in study.arms if a.name not in schedules]
    if left_out:
        notes.append(
            "arms without doses in the study file left out of the model: " + ", ".join(left_out)
        )
    n_theta = mixed.SPECS[ml_structure].n_theta
    return RegimenFit(
        drivers=drv,
        beta=beta,
        vcov=vcov,
        cov_re=cov_re,
        scale=sigma2,
        structure=structure,
        llf=llf,
        n_obs=len(logd),
        n_mice=int(logd["mouse"].nunique()),
        arms=list(schedules),
        first_day=float(days.min()),
        last_day=float(days.max()),
        note="; ".join(notes),
        observed=logd,
        kind=kind,
        resistance=shapes.resistance,
        resistance_ci=shapes.resistance_ci,
        delay=shapes.delay,
        delay_ci=shapes.delay_ci,
        ml_llf=shapes.ml_llf,
        n_params=len(beta) + n_theta + 1 + SHAPE_PARAMETERS.get(kind, 0),
        shape_cov=shape_cov,
        shape_points=points,
        region=region if kind in PROFILED and interval else [],
    )


#: profiled shape parameters of each model (counted in the AIC)
SHAPE_PARAMETERS = {CLARET: 1, DELAYED: 1, RESISTANT_DELAYED: 2}


@dataclass
class Shapes:
    """λ_R and the mean transit delay with their profile intervals, and ℓ_ML at them."""

    resistance: float = 0.0
    delay: float = 0.0
    resistance_ci: tuple[float, float] = (math.nan, math.nan)
    delay_ci: tuple[float, float] = (math.nan, math.nan)
    ml_llf: float = math.nan
    #: the profile's points (λ_R, D) → ℓ_ML evaluated in the search
    points: dict[tuple[float, float], float] = field(default_factory=dict)


#: step h of the finite differences of :func:`_shape_uncertainty`, as a share of the shape
#: parameter's search range (:func:`_shape_upper`)
SHAPE_STEP = 0.02


def _shape_uncertainty(
    kind: str,
    design: Callable[[float, float], np.ndarray],
    Z: np.ndarray,
    logd: pd.DataFrame,
    structure: str,
    shapes: Shapes,
    span: tuple[float, float],
    variance: tuple[np.ndarray, float],
) -> tuple[np.ndarray | None, list[ShapePoint]]:
    """The uncertainty of the profiled shape parameters θ (λ_R, the mean delay D, or both),
    for :func:`predict`. Cov(θ̂) = (−H)⁻¹, H the Hessian of the ML profile log-likelihood
    ℓ_p(θ) (central differences with step h = :data:`SHAPE_STEP`·range, Pawitan 2001 §9.4:
    the profile's curvature is the information on θ with β and the variance components
    re-estimated), None when −H is not positive definite (a flat or rough profile: the band
    then rests on the profile region of :func:`_shape_region` alone);
    and for each free θ_i the points θ ± h·e_i with the GLS β̂(θ ± h·e_i) at the REML
    variance components (``variance``: Ψ, σ²), from which :func:`predict` takes the total
    derivative dμ̂/dθ = d[x(θ)'β̂(θ)]/dθ. A θ̂_i on its lower bound 0 (no resistance, no
    delay) has its differences centred at h instead."""
    resistance_upper = _shape_upper(CLARET, *span)
    uppers = (resistance_upper, _shape_upper(DELAYED, *span))
    free = [i for i, on in enumerate((kind in RESISTANT, kind in DELAYING)) if on]
    h = np.array([SHAPE_STEP * uppers[i] for i in free])
    centre = np.array([shapes.resistance, shapes.delay])
    for k, i in enumerate(free):
        centre[i] = max(centre[i], h[k])
    profile = _ml_profile(lambda r=0.0, d=0.0: design(r, d), Z, logd, structure)[0]

    def at(step: np.ndarray) -> tuple[float, float]:
        x = centre.copy()
        x[free] += step
        return float(x[0]), float(x[1])

    m = len(free)
    unit = np.eye(m) * h
    f0 = profile(*at(np.zeros(m)))
    hess = np.empty((m, m))
    for a in range(m):
        hess[a, a] = (profile(*at(unit[a])) - 2 * f0 + profile(*at(-unit[a]))) / h[a] ** 2
        for b in range(a):
            cross = sum(
                sa * sb * profile(*at(sa * unit[a] + sb * unit[b]))
                for sa in (1, -1)
                for sb in (1, -1)
            )
            hess[a, b] = hess[b, a] = cross / (4 * h[a] * h[b])
    try:
        np.linalg.cholesky(-hess)
    except np.linalg.LinAlgError:
        return None, []
    cov = np.linalg.inv(-hess)
    y = logd["log_volume"].to_numpy(dtype=float)
    groups = logd["mouse"].to_numpy()

    def beta_at(x: tuple[float, float]) -> np.ndarray:
        X, scale = _scaled(design(*x))
        return mixed.gls(X, Z, y, groups, *variance)[0] / scale

    points = [(at(u), beta_at(at(u)), at(-u), beta_at(at(-u))) for u in unit]
    return cov, points


#: χ²_k(0.95)/2 for k = 1 and 2 shape parameters: the 95 % profile-likelihood region
REGION_CUT = {1: 0.5 * 3.841458820694124, 2: 0.5 * 5.991464547107979}
#: at most this many points of the region enter the prediction band (the nearest in ℓ_ML
#: to the region's edge first: they are its extremes)
REGION_POINTS = 12


def _shape_region(
    kind: str,
    design: Callable[[float, float], np.ndarray],
    Z: np.ndarray,
    logd: pd.DataFrame,
    shapes: Shapes,
    variance: tuple[np.ndarray, float],
) -> list[tuple[tuple[float, float], np.ndarray, np.ndarray]]:
    """(θ, β̂(θ), Cov β̂(θ)) at the points θ the profile search evaluated inside the 95 %
    profile-likelihood region of the shape parameters, {θ: ℓ_p(θ) ≥ ℓ_p(θ̂) − χ²_k(0.95)/2}
    (k = 1 or 2 shape parameters; Venzon & Moolgavkar 1988), with the GLS fixed effects at
    the REML variance components. :func:`predict` widens the band to cover each of their
    conditional bands: a prediction is not narrower than the spread of the shapes the data
    allow (the delta method of :func:`_shape_uncertainty` is linear in θ, which a curved
    profile is not)."""
    cut = shapes.ml_llf - REGION_CUT[SHAPE_PARAMETERS[kind]]
    inside = sorted((v, x) for x, v in shapes.points.items() if v >= cut and np.isfinite(v))
    y = logd["log_volume"].to_numpy(dtype=float)
    groups = logd["mouse"].to_numpy()
    out = []
    for _, x in inside[:REGION_POINTS]:
        X, scale = _scaled(design(*x))
        beta, vcov, _ = mixed.gls(X, Z, y, groups, *variance)
        out.append((x, beta / scale, vcov / np.outer(scale, scale)))
    return out


def _fit_shapes(
    kind: str,
    design: Callable[[float, float], np.ndarray],
    Z: np.ndarray,
    logd: pd.DataFrame,
    structure: str,
    span: tuple[float, float],
    interval: bool,
    start: tuple[float, float] | None = None,
) -> Shapes:
    """The shape parameters of model ``kind`` by ML profile over [0, :func:`_shape_upper`]
    (``span``: first dose, last day): λ_R (Claret) or the delay (delayed) by
    :func:`_profile_shape`, both by :func:`_profile_pair` (from ``start``, if given)."""
    if kind == RESISTANT_DELAYED:
        uppers = (_shape_upper(CLARET, *span), _shape_upper(DELAYED, *span))
        (r, d), llf, memo = _profile_pair(design, Z, logd, structure, uppers, start)
        return Shapes(r, d, ml_llf=llf, points={(a, b): v for (a, b), v in memo.items()})
    upper = _shape_upper(kind, *span)
    if kind == CLARET:
        x, llf, ci, memo = _profile_shape(
            lambda v: design(v, 0.0), Z, logd, structure, upper, interval
        )
        points = {(v[0], 0.0): f for v, f in memo.items()}
        return Shapes(resistance=x, resistance_ci=ci, ml_llf=llf, points=points)
    x, llf, ci, memo = _profile_shape(lambda v: design(0.0, v), Z, logd, structure, upper, interval)
    points = {(0.0, v[0]): f for v, f in memo.items()}
    return Shapes(delay=x, delay_ci=ci, ml_llf=llf, points=points)


def _reml(
    X_raw: np.ndarray, Z: np.ndarray, logd: pd.DataFrame
) -> tuple[tuple[np.ndarray, np.ndarray, float, np.ndarray, float], str, list[str]] | None:
    """REML fit of the linear model X_raw: the correlated structure, else the random start
    only; ((β, Cov β, σ², Ψ, ℓ_REML) on the raw exposure scale, structure, notes)."""
    X, scale = _scaled(X_raw)
    notes = []
    result, structure = None, ""
    for s in ("correlated", "intercept"):
        result = _fit_structure(X, Z, logd, s)
        if result is not None and (not result[5] or s == "intercept"):
            structure = s
            break
        why = "not identifiable" if result is None else "singular"
        notes.append(f"{mixed.STRUCTURE_LABELS[s]} {why}; fell back to (1 | mouse)")
    if result is None:
        return None
    beta, vcov, sigma2, cov_re, llf, _ = result
    # back to the raw exposure scale; ln|X'V⁻¹X| of the raw X adds 2·Σ ln(scale)
    beta, vcov = beta / scale, vcov / np.outer(scale, scale)
    llf -= float(np.sum(np.log(scale)))
    return (beta, vcov, sigma2, cov_re, llf), structure, notes


def predict(
    result: RegimenFit, days: np.ndarray, schedule: tuple[str, Sequence[Dose]] | None
) -> tuple[np.ndarray, np.ndarray]:
    """(μ(t), SE μ(t)) of the mean ln V of an arm given ``schedule`` (module docstring). For a
    model with profiled shape parameters θ (λ_R, the mean delay; :func:`_shape_uncertainty`)
    SE² = x'Cov(β)x + J·Cov(θ̂)·J', J = dμ̂/dθ by central differences of x(θ)'β̂(θ): the
    delta method over θ beside the exact variance given θ (law of total variance), so a
    prediction that depends on a poorly determined λ_R or delay gets a wide band. The SE is
    then widened so that μ ± t·SE (t of :func:`quantile` at 95 %) covers the conditional band
    μ_θ ± t·SE_θ of every θ of the profile-likelihood region (:func:`_shape_region`)."""
    t = np.asarray(days, dtype=float)
    x = _design_row(t, schedule, result.drivers, result.resistance, result.delay)
    mean = x @ result.beta
    var = np.maximum(np.einsum("ij,jk,ik->i", x, result.vcov, x), 0.0)
    if result.shape_cov is not None and result.shape_points:
        jac = np.column_stack(
            [
                (
                    _design_row(t, schedule, result.drivers, *up) @ b_up
                    - _design_row(t, schedule, result.drivers, *down) @ b_down
                )
                / (np.subtract(up, down).sum())
                for up, b_up, down, b_down in result.shape_points
            ]
        )
        var = var + np.einsum("ij,jk,ik->i", jac, result.shape_cov, jac)
    se = np.sqrt(var)
    if result.region:
        q = quantile(result, 0.05)
        for shape, beta, vcov in result.region:
            xs = _design_row(t, schedule, result.drivers, *shape)
            se_x = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", xs, vcov, xs), 0.0))
            se = np.maximum(se, np.abs(xs @ beta - mean) / q + se_x)
    return mean, se


def quantile(result: RegimenFit, alpha: float) -> float:
    """t_{1−α/2} on n_mice − p degrees of freedom (module docstring)."""
    from scipy import special

    df = max(result.n_mice - len(result.beta), 1)
    return float(special.stdtrit(df, 1 - alpha / 2))


def _parameter_rows(result: RegimenFit) -> list[dict[str, Any]]:
    se = np.sqrt(np.diag(result.vcov))
    rows: list[dict[str, Any]] = [
        {
            "parameter": "ln_v0",
            "estimate": result.beta[0],
            "se": se[0],
            "parameter_unit": "ln mm3",
            "meaning": "mean ln volume on day 0 (typical mouse)",
        },
        {
            "parameter": "growth_rate",
            "estimate": result.beta[1],
            "se": se[1],
            "parameter_unit": "per day",
            "meaning": "exponential growth rate g of ln volume without treatment",
        },
    ]
    for i, d in enumerate(result.drivers, start=2):
        common = {
            "agent": d.agent,
            "dose_unit": d.unit,
            "effective_half_life_days": d.half_life_days,
        }
        rows.append(
            {
                **common,
                "parameter": "kill_rate",
                "estimate": result.beta[i],
                "se": se[i],
                "parameter_unit": f"per ({d.unit} day)",
                "meaning": f"log-kill k per unit of exposure E ({d.source})",
            }
        )
        rows.append(
            {
                **common,
                "parameter": "log_kill_per_unit_dose",
                "estimate": result.beta[i] / d.lam,
                "se": se[i] / d.lam,
                "parameter_unit": f"ln mm3 per {d.unit}",
                "meaning": "eventual drop of ln volume per unit of dose, k/lambda",
            }
        )
    if result.kind in (CLARET, RESISTANT_DELAYED):
        low, high = result.resistance_ci
        rows.append(
            {
                "parameter": "resistance_rate",
                "estimate": result.resistance,
                "ci_low": low,
                "ci_high": high,
                "parameter_unit": "per day",
                "meaning": "rate lambda_R at which the kill fades after the arm's first dose "
                "(Claret 2009); ML estimate, 95% profile-likelihood interval (NaN: not "
                "bounded within the search range)",
            }
        )
        rows.append(
            {
                "parameter": "resistance_half_life_days",
                "estimate": math.log(2) / result.resistance if result.resistance > 0 else math.inf,
                "ci_low": math.log(2) / high if high > 0 else math.nan,
                "ci_high": math.log(2) / low if low > 0 else (math.inf if low == 0 else math.nan),
                "parameter_unit": "days",
                "meaning": "days for the kill per unit of exposure to halve, ln 2/lambda_R",
            }
        )
    if result.kind in (DELAYED, RESISTANT_DELAYED):
        rows += _delay_rows(result)
    sd0 = math.sqrt(max(result.cov_re[0, 0], 0.0))
    rows.append(
        {
            "parameter": "sd_ln_v0",
            "estimate": sd0,
            "parameter_unit": "ln mm3",
            "meaning": "SD of the random start between mice",
        }
    )
    if result.cov_re.shape[0] == 2:
        sd1 = math.sqrt(max(result.cov_re[1, 1], 0.0))
        rho = result.cov_re[0, 1] / (sd0 * sd1) if sd0 > 0 and sd1 > 0 else math.nan
        rows.append(
            {
                "parameter": "sd_growth_rate",
                "estimate": sd1,
                "parameter_unit": "per day",
                "meaning": "SD of the random growth rate between mice",
            }
        )
        rows.append(
            {
                "parameter": "correlation",
                "estimate": rho,
                "parameter_unit": "",
                "meaning": "correlation of random start and random growth rate",
            }
        )
    rows.append(
        {
            "parameter": "residual_sd",
            "estimate": math.sqrt(result.scale),
            "parameter_unit": "ln mm3",
            "meaning": "SD of a measurement around its mouse's line (caliper error)",
        }
    )
    return rows


def transit_rate(delay: float, n: int = TRANSIT_COMPARTMENTS) -> float:
    """k_tr = n/D of a mean transit delay D (∞ for D = 0: no delay; NaN stays NaN)."""
    return n / delay if delay > 0 else (math.inf if delay == 0 else math.nan)


def _delay_rows(result: RegimenFit) -> list[dict[str, Any]]:
    """The delayed model's transit rate k_tr and mean delay n/k_tr with their profile
    intervals (the interval of D mapped through k_tr = n/D)."""
    low, high = result.delay_ci
    return [
        {
            "parameter": "transit_rate",
            "estimate": transit_rate(result.delay),
            "ci_low": transit_rate(high),
            "ci_high": transit_rate(low),
            "parameter_unit": "per day",
            "meaning": f"rate k of each of the {TRANSIT_COMPARTMENTS} transit compartments "
            "between exposure and kill (Simeoni 2004); ML estimate, 95% profile-likelihood "
            "interval (NaN: not bounded within the search range; inf: no delay inside it)",
        },
        {
            "parameter": "mean_kill_delay_days",
            "estimate": result.delay,
            "ci_low": low,
            "ci_high": high,
            "parameter_unit": "days",
            "meaning": f"mean delay {TRANSIT_COMPARTMENTS}/k between exposure and kill",
        },
    ]


def model_table(result: RegimenFit | None, alpha: float) -> pd.DataFrame:
    """``regimen_model.tsv``: one row per parameter with SE and Wald CI (fixed effects;
    variance components without SE), the model and what entered the fit."""
    out_cols = columns("regimen_model")
    if result is None:
        return pd.DataFrame(columns=out_cols)
    z = quantile(result, alpha)
    df = pd.DataFrame(_parameter_rows(result))
    wald = df["se"].notna()
    for col in ("ci_low", "ci_high"):  # profile-likelihood intervals kept as given
        if col not in df:
            df[col] = np.nan
    df.loc[wald, "ci_low"] = df["estimate"] - z * df["se"]
    df.loc[wald, "ci_high"] = df["estimate"] + z * df["se"]
    df["random_effects"] = mixed.STRUCTURE_LABELS[result.structure]
    df["n_mice"] = result.n_mice
    df["n_obs"] = result.n_obs
    df["reml_log_likelihood"] = result.llf
    df["arms"] = ";".join(result.arms)
    df["model"] = DESCRIPTIONS[result.kind]
    df["note"] = result.note
    return df.reindex(columns=out_cols)


def prediction_days(result: RegimenFit) -> np.ndarray:
    """Whole days over the observed span, and every measured day."""
    grid = np.arange(math.ceil(result.first_day), math.floor(result.last_day) + 1, dtype=float)
    return np.unique(np.concatenate([grid, result.observed["day"].to_numpy(dtype=float)]))


def _curve(
    result: RegimenFit,
    name: str,
    kind: str,
    schedule: tuple[str, Sequence[Dose]] | None,
    days: np.ndarray,
    z: float,
) -> pd.DataFrame:
    mean, se = predict(result, days, schedule)
    return pd.DataFrame(
        {
            "name": name,
            "kind": kind,
            "agent": "" if schedule is None else schedule[0],
            "schedule": "" if schedule is None else "; ".join(d.describe() for d in schedule[1]),
            "day": days,
            "pred_mean_log_volume": mean,
            "pred_se": se,
            "ci_low": mean - z * se,
            "ci_high": mean + z * se,
            "pred_geo_mean_volume_mm3": np.exp(mean),
        }
    )


#: Share of observed arm-day means (in the fit, and of each held-out arm) that must lie in
#: their 95 % prediction band before the model predicts a regimen not given.
MIN_COVERAGE = 0.8
#: Largest root-mean-square error of held-out arms' predicted mean ln V: ln 2, a typical
#: error of a factor of two in the geometric-mean volume. The band of a mean of a few mice
#: widens with the random growth rates, so coverage alone passes a model that is off by a
#: factor of five late in the study; a prediction that far off answers no question.
MAX_HELD_OUT_RMSE = math.log(2)


def arm_day_means(observed: pd.DataFrame, min_fraction: float = 0.5) -> pd.DataFrame:
    """``arm, day, n, mean_log_volume, days``: the observed mean ln V of each arm and visit
    (``visit_day``, :mod:`xenoflow.visits`: a mouse measured a day off the schedule counts at
    its visit, as growth and synergy count it; ``day`` without the column) on which at least
    ``min_fraction`` of the arm's mice are measured (``mean_min_fraction``, as the growth
    figure draws means): later means are of the few mice not yet at the humane endpoint, the
    slowest growers, which no model of the whole arm should match. ``days``: the measured days
    of the mean's mice (the model is evaluated there, :func:`visit_band`)."""
    by = "visit_day" if "visit_day" in observed else "day"
    out = (
        observed.groupby(["arm", by], sort=False)
        .agg(
            n=("log_volume", "size"),
            mean_log_volume=("log_volume", "mean"),
            days=("day", lambda d: tuple(d.tolist())),
        )
        .rename_axis(["arm", "day"])
        .reset_index()
    )
    mice = observed.groupby("arm", sort=False)["mouse"].nunique()
    return out[out["n"] >= min_fraction * out["arm"].map(mice)].reset_index(drop=True)


def mean_band(
    result: RegimenFit,
    days: np.ndarray,
    n: np.ndarray,
    schedule: tuple[str, Sequence[Dose]] | None,
    alpha: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(μ(t), half-width) of the 100(1 − alpha)% prediction band of an arm-day *mean* of n
    mice: Var = x'Cov(β)x + (z'Ψz + σ²)/n with z = (1, t), the uncertainty of the mean curve
    plus the spread of n mice around it (random start and rate, residual). The mean-curve band
    of ``what_if.tsv`` leaves out the second term, so observed means of a few mice fall
    outside it even when the model is right."""
    mean, se = predict(result, days, schedule)
    z = np.column_stack([np.ones_like(days), days])[:, : result.cov_re.shape[0]]
    between = np.einsum("ij,jk,ik->i", z, result.cov_re, z)
    var = se**2 + (between + result.scale) / np.maximum(n, 1)
    return mean, quantile(result, alpha) * np.sqrt(var)


def visit_band(
    result: RegimenFit,
    day_sets: Sequence[Sequence[float]],
    schedule: tuple[str, Sequence[Dose]] | None,
    alpha: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(μ̄, half-width) of the 100(1 − alpha)% prediction band of the mean ln V of the n mice
    of a visit measured on the days t_1 … t_n of one of ``day_sets`` (a staggered calendar:
    not all on the visit day): μ̄ = x̄'β with x̄ = mean of x(t_i), the expected mean of those
    mice, and Var = x̄'Cov(β)x̄ + Σ_i (z_i'Ψz_i + σ²)/n², z_i = (1, t_i) (the mice independent).
    With every t_i equal this is :func:`mean_band`."""
    x_bar, spread = [], []
    k = result.cov_re.shape[0]
    for days in day_sets:
        t = np.asarray(days, dtype=float)
        x = _design_row(t, schedule, result.drivers, result.resistance, result.delay)
        z = np.column_stack([np.ones_like(t), t])[:, :k]
        between = np.einsum("ij,jk,ik->i", z, result.cov_re, z)
        x_bar.append(x.mean(axis=0))
        spread.append(float(np.sum(between + result.scale)) / t.size**2)
    xb = np.asarray(x_bar)
    var = np.einsum("ij,jk,ik->i", xb, result.vcov, xb) + np.asarray(spread)
    return xb @ result.beta, quantile(result, alpha) * np.sqrt(np.maximum(var, 0.0))


def _check(
    result: RegimenFit,
    means: pd.DataFrame,
    schedules: dict[str, tuple[str, Sequence[Dose]] | None],
    alpha: float,
) -> dict[str, Any]:
    """Arm-days inside their prediction band and the RMSE of the predicted means."""
    inside, error = 0, []
    for arm, rows in means.groupby("arm", sort=False):
        mu, half = visit_band(result, rows["days"].tolist(), schedules[arm], alpha)
        diff = rows["mean_log_volume"].to_numpy(dtype=float) - mu
        inside += int(np.sum(np.abs(diff) <= half))
        error += diff.tolist()
    n = len(error)
    return {
        "n_arm_days": n,
        "n_inside": inside,
        "coverage_pct": 100.0 * inside / n if n else np.nan,
        "rmse_log_volume": float(np.sqrt(np.mean(np.square(error)))) if n else np.nan,
    }


def adequacy_table(
    study: Study, result: RegimenFit | None, measurements: pd.DataFrame, alpha: float
) -> pd.DataFrame:
    """``regimen_model_check.tsv``: does the model fit what it was fitted to, and does it
    predict an arm it has not seen?

    Rows: ``fitted`` (every arm-day mean of the fit against its prediction band,
    :func:`mean_band`) and one ``held out: <arm>`` per dosed arm whose agent has another
    dosed arm: the model refitted without that arm predicts it (leave-one-arm-out
    cross-validation). ``passes`` (same on every row): at least :data:`MIN_COVERAGE` of the
    fitted arm-days, and of the held-out arms' arm-days pooled, inside their bands, and every
    held-out arm predicted with a root-mean-square error of at most
    :data:`MAX_HELD_OUT_RMSE`; with no arm that can be held out the predictions are not
    validated and the model does not pass.
    Predictions for ``what_if`` regimens are given only by a model that passes."""
    out_cols = columns("regimen_model_check")
    if result is None:
        return pd.DataFrame(columns=out_cols)
    schedules = _schedules(study)
    fraction = float(study.settings.get("mean_min_fraction", 0.5))
    means = arm_day_means(result.observed, fraction)
    rows = [{"check": "fitted", **_check(result, means, schedules, alpha)}]
    agents = [s[0] for s in schedules.values() if s is not None]
    for arm, schedule in schedules.items():
        if schedule is None or agents.count(schedule[0]) < 2:
            continue
        rest = dataclasses.replace(study, arms=tuple(a for a in study.arms if a.name != arm))
        start = (result.resistance, result.delay)
        refit = fit(rest, measurements, result.kind, interval=False, start=start)
        held = means[means["arm"] == arm]
        check = {"check": f"held out: {arm}"}
        if refit is not None:
            check.update(_check(refit, held, schedules, alpha))
        rows.append(check)
    out = pd.DataFrame(rows)
    criteria = adequacy_criteria(out)
    out["passes"] = all(ok for _, ok in criteria)
    out["rule"] = adequacy_rule(criteria)
    return out.reindex(columns=out_cols)


def adequacy_criteria(out: pd.DataFrame) -> list[tuple[str, bool]]:
    """Each part of the adequacy rule in words, with its numbers, and whether it is met: at
    least :data:`MIN_COVERAGE` of the fitted arm-day means inside their 95% prediction band;
    an arm that can be held out; as many of the held-out arms' means inside the band predicted
    without them; and every held-out arm's RMSE at most :data:`MAX_HELD_OUT_RMSE` (2-fold)."""
    need = f"{100 * MIN_COVERAGE:.0f}%"
    fitted = out.iloc[0]
    criteria = [
        (
            f"{int(fitted['n_inside'])} of {int(fitted['n_arm_days'])} fitted arm-day means "
            f"inside their 95% prediction band ({need} needed)",
            bool(fitted["coverage_pct"] >= 100 * MIN_COVERAGE),
        )
    ]
    held = out[out["check"] != "fitted"]
    held_n = int(held["n_arm_days"].sum()) if len(held) else 0
    if not held_n:
        why = "no arm could be held out and predicted (each agent has one dosed arm)"
        return [*criteria, (why, False)]
    worst = float(held["rmse_log_volume"].max())
    return [
        *criteria,
        (
            f"{int(held['n_inside'].sum())} of {held_n} arm-day means of held-out arms inside "
            f"the band predicted without them ({need} needed)",
            bool(held["n_inside"].sum() >= MIN_COVERAGE * held_n),
        ),
        (
            f"a typical error of up to {math.exp(worst):.2g}-fold on the held-out arms "
            "(2-fold allowed)",
            bool((held["rmse_log_volume"] <= MAX_HELD_OUT_RMSE).all()),
        ),
    ]


def adequacy_rule(criteria: list[tuple[str, bool]]) -> str:
    """The verdict in words: every part of the rule with its numbers, the failed parts first
    (a reader looks for why a model is not adequate, not for what it met)."""
    failed = [text for text, ok in criteria if not ok]
    met = [text for text, ok in criteria if ok]
    if not failed:
        return "adequate: " + "; ".join(met)
    return (
        "not adequate for prediction: "
        + "; ".join(failed)
        + (f"; it meets the rest: {'; '.join(met)}" if met else "")
    )


#: Tolerance (days) of the time-span rule of :func:`schedule_extrapolation`: the visit window
#: (a dose or a caliper visit a day early or late is the same schedule).
SPAN_TOLERANCE_DAYS = 1.0
#: why no ``what_if`` regimen is predicted when the chosen model fails its adequacy check
NOT_ADEQUATE = (
    "the chosen growth model fails its adequacy check (regimen model check table), so it "
    "predicts no regimen that was not given"
)


def _days(x: float) -> str:
    return f"{x:g} day" + ("" if x == 1 else "s")


def schedule_extrapolation(study: Study, result: RegimenFit, what: WhatIf) -> list[str]:
    """Why the ``what_if`` regimen ``what`` lies outside the time the study's dosed arms
    observed (empty: inside it). A model fitted to arms whose doses all fall within S days of
    their first dose, followed for F days after it, has seen what a dose does up to S days
    into a schedule and what the tumours do up to F days after its start, and nothing later:
    resistance that builds over weeks (Claret), or a delayed kill that lands after the last
    visit, shows only in data that reach that late. So a regimen is not predicted when

    - its last dose comes later after its first dose than the last dose of any dosed arm of
      the same agent came after that arm's first (last − first dose compared with the
      largest such span of the agent's arms in the fit, plus :data:`SPAN_TOLERANCE_DAYS`), or
    - its predicted days (to the last observed day of the study) run longer after its first
      dose than any of those arms was followed after its own first dose (last observed day
      of the arm − its first dose, plus the same tolerance).

    Found on studies simulated with both regrowth (resistance) and delayed kill: all three
    models passed their check, and the chosen one predicted three fractions on days 0, 7
    and 14 from arms dosed up to day 7 outside its band on 3 to 4 of 9 days by up to 2.5
    half-widths (``tests/test_regimenmodel.py``)."""
    if not what.doses:
        return []
    arms = _agent_arms(study, result, what.agent)
    if not arms:
        return ["no dosed arm of its agent is in the model"]
    last_seen = result.observed.groupby("arm")["day"].max()
    spans, follow = [], []
    for arm, (_, doses) in arms:
        first = min(d.day for d in doses)
        spans.append(max(d.day for d in doses) - first)
        if arm in last_seen.index:
            follow.append(float(last_seen[arm]) - first)
    first = min(d.day for d in what.doses)
    span = max(d.day for d in what.doses) - first
    out = []
    seen = max(spans)
    if span > seen + SPAN_TOLERANCE_DAYS:
        shown = (
            "no arm of the study had a dose after its first"
            if seen == 0
            else f"the study's arms show no dose later than {_days(seen)} after the first"
        )
        out.append(
            f"its last dose comes {_days(span)} after the first; {shown}, so how the tumours "
            "respond that late in a schedule is not in the data"
        )
    horizon = math.floor(result.last_day) - first
    if follow and horizon > max(follow) + SPAN_TOLERANCE_DAYS:
        out.append(
            f"its prediction would run to day {math.floor(result.last_day):g}, "
            f"{_days(horizon)} after its first dose; the study's treated arms were followed "
            f"for at most {_days(max(follow))} after their first dose, so how the tumours "
            "respond that long after a first dose is not in the data"
        )
    return out


def _agent_arms(
    study: Study, result: RegimenFit, agent: str
) -> list[tuple[str, tuple[str, Sequence[Dose]]]]:
    """(arm, (agent, doses)) of the dosed arms of ``agent`` in the fit."""
    schedules = _schedules(study)
    return [
        (arm, sched)
        for arm in result.arms
        if (sched := schedules.get(arm)) is not None and sched[0] == agent and sched[1]
    ]


def dose_extrapolation(study: Study, result: RegimenFit, what: WhatIf) -> list[str]:
    """Why the ``what_if`` regimen ``what`` gives more of its agent than any dosed arm of the
    study did (empty: it does not): more administrations, a larger single administration or
    a larger total than any arm of the agent in the fit. The kill is linear in the dose, so
    such a regimen multiplies whatever the fitted model gets wrong about the arms it saw; on
    studies simulated with both regrowth and delayed kill (a model none of the three is), the
    chosen model's prediction of two full doses a week apart (twice the total given) missed
    the true mean on 69 to 90 % of its 29 days by up to 3.6 half-widths (8 seeds in which the
    model passed its check), while the prediction of
    a regimen inside the doses given covered it (``tests/test_regimenmodel.py``)."""
    arms = _agent_arms(study, result, what.agent)
    if not what.doses or not arms:
        return []
    given = [arm_schedule(doses)[1] for _, (_, doses) in arms]
    amounts = arm_schedule(what.doses)[1]
    unit = display_unit(arm_schedule(what.doses)[2])
    out = []
    most = max(len(a) for a in given)
    if len(amounts) > most:
        out.append(
            f"it has {len(amounts)} doses and no arm of the study had more than {most}, so "
            "what more doses do is not in the data"
        )
    if unit != PER_DOSE:
        single, top = max(amounts), max(max(a) for a in given)
        if single > top * (1 + 1e-9):
            out.append(
                f"its largest dose, {single:g} {unit}, is above the largest single dose given "
                f"to an arm ({top:g} {unit}), so a kill that large is not in the data"
            )
        total, top_total = sum(amounts), max(sum(a) for a in given)
        if total > top_total * (1 + 1e-9):
            out.append(
                f"its total of {total:g} {unit} is above the largest total given to an arm "
                f"({top_total:g} {unit}), so a kill that large is not in the data"
            )
    return out


def what_if_table(
    study: Study, result: RegimenFit | None, alpha: float, adequate: bool = True
) -> pd.DataFrame:
    """``what_if.tsv``: the fitted mean ln V of each observed arm in the model (with the
    observed mean ln V on its measured days) and the prediction of each ``what_if`` regimen,
    with 95 % (1 − alpha) delta-method bands, over the observed days — only when the model
    is ``adequate`` (:func:`adequacy_table`) and the regimen lies within the time its
    agent's arms observed (:func:`schedule_extrapolation`) and the doses they were given
    (:func:`dose_extrapolation`). A regimen not predicted has one
    row without a day whose ``prediction_note`` says why (no numbers: an honest refusal
    rather than a confident extrapolation)."""
    out_cols = columns("what_if")
    if result is None:
        return pd.DataFrame(columns=out_cols)
    z, days = quantile(result, alpha), prediction_days(result)
    schedules = _schedules(study)
    obs = (
        result.observed.groupby(["arm", "visit_day"], sort=False)["log_volume"]
        .agg(["mean", "size"])
        .rename(columns={"mean": "observed_mean_log_volume", "size": "n_observed"})
        .rename_axis(["arm", "day"])
    )
    frames = []
    for arm in result.arms:
        curve = _curve(result, arm, "observed", schedules[arm], days, z)
        seen = obs.loc[arm] if arm in obs.index.get_level_values(0) else obs.iloc[:0]
        frames.append(curve.join(seen, on="day"))
    for w in study.what_if:
        why = [] if adequate else [NOT_ADEQUATE]
        why += schedule_extrapolation(study, result, w) + dose_extrapolation(study, result, w)
        if not why:
            frames.append(_curve(result, w.name, "what_if", (w.agent, w.doses), days, z))
            continue
        row = {
            "name": w.name,
            "kind": "what_if",
            "agent": w.agent,
            "schedule": "; ".join(d.describe() for d in w.doses),
            "prediction_note": "not predicted: " + "; and ".join(why),
        }
        frames.append(pd.DataFrame([row]))
    out = pd.concat(frames, ignore_index=True)
    out["n_observed"] = out["n_observed"].fillna(0).astype(int)
    return out.reindex(columns=out_cols)


#: the models, in the order fitted and listed (:func:`fit`'s ``kind``)
MODELS = (EXPONENTIAL, CLARET, DELAYED, RESISTANT_DELAYED)
#: the models with a resistance rate λ_R, and those with a transit delay
RESISTANT = (CLARET, RESISTANT_DELAYED)
DELAYING = (DELAYED, RESISTANT_DELAYED)
SELECTION_RULE = (
    "lowest AIC (ML: -2*log-likelihood + 2*parameters, the same random effects in all) among "
    "the models that pass the adequacy check; the lowest AIC when none passes"
)


def fit_models(study: Study, measurements: pd.DataFrame) -> dict[str, RegimenFit | None]:
    """Each of :data:`MODELS` fitted (:func:`fit`); the profiled models only when the
    exponential one could be fitted. The model with both nests the Claret and the delayed
    models (λ_R = 0 or no delay), so its ML log-likelihood is at least theirs; when its 2-D
    search ends below the better of them (a local optimum), it is refitted from that model's
    (λ_R, delay) and the better of the two fits is kept."""
    fits: dict[str, RegimenFit | None] = {EXPONENTIAL: fit(study, measurements, ml=True)}
    for kind in PROFILED:
        fits[kind] = fit(study, measurements, kind) if fits[EXPONENTIAL] is not None else None
    both = fits[RESISTANT_DELAYED]
    nested = [f for f in (fits[CLARET], fits[DELAYED]) if f is not None]
    best = max(nested, key=lambda f: f.ml_llf, default=None)
    if both is not None and best is not None and both.ml_llf < best.ml_llf - 1e-6:
        start = (best.resistance, best.delay)
        again = fit(study, measurements, RESISTANT_DELAYED, start=start)
        if again is not None and again.ml_llf > both.ml_llf:
            fits[RESISTANT_DELAYED] = again
    return fits


def check_table(checks: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``regimen_model_check.tsv``: the adequacy rows (:func:`adequacy_table`) of each model,
    with its name in ``growth_model``."""
    frames = [c.assign(growth_model=name) for name, c in checks.items() if len(c)]
    out_cols = columns("regimen_model_check")
    if not frames:
        return pd.DataFrame(columns=out_cols)
    return pd.concat(frames, ignore_index=True).reindex(columns=out_cols)


def selection_table(
    fits: dict[str, RegimenFit | None], checks: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    """``regimen_model_selection.tsv``: one row per fitted model with its ML log-likelihood,
    parameters (fixed effects, variance components, residual SD, and λ_R for the Claret
    model, k_tr for the delayed model), AIC, whether it passes its adequacy check, and the
    choice by :data:`SELECTION_RULE` with the reason in words.

    AIC is computed from the ML fits (Pinheiro & Bates 2000, §2.4.2: REML likelihoods of
    models with different fixed effects are not comparable), all with the random-effects
    structure of the exponential model's REML fit. The Claret model with λ_R = 0 and the
    delayed model with k_tr = ∞ are the exponential model, so their AIC can exceed the
    exponential model's by at most 2."""
    out_cols = columns("regimen_model_selection")
    rows = []
    for name, result in fits.items():
        if result is None:
            continue
        check = checks.get(name, pd.DataFrame())
        low, high = result.resistance_ci
        delay_low, delay_high = result.delay_ci
        rows.append(
            {
                "growth_model": name,
                "resistance_rate": result.resistance if name in RESISTANT else math.nan,
                "resistance_ci_low": low,
                "resistance_ci_high": high,
                "transit_rate": transit_rate(result.delay) if name in DELAYING else math.nan,
                "transit_rate_ci_low": transit_rate(delay_high),
                "transit_rate_ci_high": transit_rate(delay_low),
                "ml_log_likelihood": result.ml_llf,
                "n_parameters": result.n_params,
                "aic": -2.0 * result.ml_llf + 2.0 * result.n_params,
                "passes": bool(len(check)) and bool(check["passes"].iloc[0]),
                "check_rule": str(check["rule"].iloc[0]) if len(check) else "",
                "model": DESCRIPTIONS[name],
            }
        )
    if not rows:
        return pd.DataFrame(columns=out_cols)
    out = pd.DataFrame(rows)
    pool = out[out["passes"]] if out["passes"].any() else out
    best = int(pool["aic"].idxmin())
    out["delta_aic"] = out["aic"] - out.loc[best, "aic"]
    out["chosen"] = out.index == best
    out["reason"] = [_reason(out, i, best) for i in out.index]
    return out.reindex(columns=out_cols)


def _reason(out: pd.DataFrame, i: int, best: int) -> str:
    """Why model ``i`` was or was not chosen, with its AIC and adequacy."""
    row, passes_any = out.loc[i], bool(out["passes"].any())
    others = [f"{out.loc[j, 'aic']:.4g}" for j in out.index if j != i]
    if i == best:
        among = (
            "of the models that pass the adequacy check"
            if passes_any
            else "(none passes the adequacy check, so it predicts no regimen that was not given)"
        )
        vs = f" vs {', '.join(others)}" if others else ""
        return f"chosen: lowest AIC {among} ({row['aic']:.4g}{vs})"
    if passes_any and not row["passes"]:
        return f"not chosen: fails the adequacy check (AIC {row['aic']:.4g})"
    return f"not chosen: AIC {row['aic']:.4g}, {row['delta_aic']:.3g} above the chosen model"


def chosen_model(selection: pd.DataFrame) -> str:
    """The chosen model's name (:func:`selection_table`); the exponential model without one."""
    chosen = selection[selection["chosen"].astype(bool)] if len(selection) else selection
    return str(chosen["growth_model"].iloc[0]) if len(chosen) else EXPONENTIAL

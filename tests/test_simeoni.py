"""Issue 28: the Simeoni et al. 2004 delayed-kill model in xenoflow.regimenmodel
(``kind=DELAYED``), against an ODE generator written here.

Each tumour follows dV/dt = (g_i − k·y_3(t))·V, where the dose amount C obeys dC/dt = −λC
(jumping by A at each dose) and passes through three transit compartments,
dy_1/dt = k_tr (C − y_1), dy_m/dt = k_tr (y_(m−1) − y_m), integrated numerically (scipy
``solve_ivp``, LSODA) — not the closed-form gamma-kernel exposure the fitter uses. Shrinkage
therefore starts days after a dose.
"""

from __future__ import annotations

import math

import dosed_tumours
import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from xenoflow import regimenmodel
from xenoflow.config import Dose, Study

HALF_LIFE = 8.02
LAM = math.log(2) / HALF_LIFE
TRUE = {"ln_v0": math.log(80.0), "g": 0.12, "k": 0.0012, "delay": 6.0}
SD = {"b0": 0.25, "b1": 0.03, "e": 0.2}
DAYS = np.array([0, 3, 7, 10, 14, 17, 21, 24, 28], dtype=float)
SCHEDULES = {
    "Control": [],
    "Single": [(0.0, 220.0)],
    "Split": [(0.0, 110.0), (7.0, 110.0)],
    "Late": [(7.0, 220.0)],
}


def _rhs(g: np.ndarray, k: float, lam: float, ktr: float):
    """State (V_1 … V_m, C, y_1, y_2, y_3): the volumes of the mice, the dose amount and the
    transit chain."""

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        v, c, y1, y2, y3 = y[:-4], y[-4], y[-3], y[-2], y[-1]
        chain = [-lam * c, ktr * (c - y1), ktr * (y1 - y2), ktr * (y2 - y3)]
        return np.concatenate([(g - k * y3) * v, chain])

    return rhs


def ode_volume(
    v0: np.ndarray,
    g: np.ndarray,
    doses: list[tuple[float, float]],
    days: np.ndarray,
    k: float = TRUE["k"],
    delay: float = TRUE["delay"],
    lam: float = LAM,
) -> np.ndarray:
    """ln V (days × mice) of the transit-compartment ODE, integrated piecewise between doses."""
    rhs = _rhs(g, k, lam, 3.0 / delay)
    y = np.concatenate([v0, np.zeros(4)])
    out = np.empty((days.size, v0.size))
    cuts = sorted({days[0], *(d for d, _ in doses if days[0] < d < days[-1])})
    for lo, hi in zip(cuts, [*cuts[1:], days[-1] + 1e-9], strict=True):
        y = y.copy()
        y[-4] += sum(a for d, a in doses if d == lo)
        inside = (days >= lo) & (days < hi)
        sol = integrate.solve_ivp(
            rhs, (lo, hi), y, method="LSODA", rtol=1e-10, atol=1e-12, dense_output=True
        )
        out[inside] = np.log(sol.sol(days[inside])[:-4].T)
        y = sol.sol(hi)
    return out


def simulate(
    rng: np.random.Generator,
    n_per_arm: int = 8,
    arms: tuple[str, ...] = tuple(SCHEDULES),
    delay: float = TRUE["delay"],
) -> pd.DataFrame:
    """Mice with random start and growth rate, log-normal caliper error, volumes to 0.1 mm3."""
    rows = []
    for arm in arms:
        b0 = rng.normal(0.0, SD["b0"], n_per_arm)
        b1 = rng.normal(0.0, SD["b1"], n_per_arm)
        lv = ode_volume(
            np.exp(TRUE["ln_v0"] + b0), TRUE["g"] + b1, SCHEDULES[arm], DAYS, delay=delay
        )
        lv += rng.normal(0.0, SD["e"], lv.shape)
        for i in range(n_per_arm):
            rows += [(arm, str(i + 1), d, round(math.exp(lv[j, i]), 1)) for j, d in enumerate(DAYS)]
    return pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "volume_mm3"])


def sim_study(arms: tuple[str, ...] = tuple(SCHEDULES)) -> Study:
    return dosed_tumours.dosed_study(SCHEDULES, arms, half_life=HALF_LIFE)


# --------------------------------------------------------------------------- closed form


def _ode_exposure(days: np.ndarray, doses: list[tuple[float, float]], lam: float, delay: float):
    """E(t) = ∫ y_3 by solve_ivp of the chain with E as a state (no volumes)."""
    ktr = 3.0 / delay

    def rhs(t: float, y: np.ndarray) -> list[float]:
        c, y1, y2, y3, _ = y
        return [-lam * c, ktr * (c - y1), ktr * (y1 - y2), ktr * (y2 - y3), y3]

    y, out = np.zeros(5), np.empty(days.size)
    cuts = sorted({0.0, *(d for d, _ in doses)})
    for lo, hi in zip(cuts, [*cuts[1:], days[-1] + 1e-9], strict=True):
        y = y.copy()
        y[0] += sum(a for d, a in doses if d == lo)
        sol = integrate.solve_ivp(
            rhs, (lo, hi), y, method="LSODA", rtol=1e-11, atol=1e-12, dense_output=True
        )
        inside = (days >= lo) & (days < hi)
        out[inside] = sol.sol(days[inside])[-1]
        y = sol.sol(hi)
    return out


@pytest.mark.parametrize("half_life", [HALF_LIFE, 1.0])
@pytest.mark.parametrize("delay", [0.05, 1.0, 5.0, 30.0, "k_tr = lambda"])
def test_transit_exposure_matches_solve_ivp(half_life, delay):
    """The closed form (gamma-kernel convolution; both branches, k_tr above, equal to and
    below λ) equals the chain integrated by solve_ivp, for a split schedule."""
    lam = math.log(2) / half_life
    delay = 3.0 / lam if delay == "k_tr = lambda" else delay
    days = np.linspace(0.0, 40.0, 81)
    doses = [(0.0, 110.0), (7.0, 110.0)]
    closed = regimenmodel.transit_exposure(days, [0.0, 7.0], [110.0, 110.0], lam, delay)
    ode = _ode_exposure(days, doses, lam, delay)
    assert closed == pytest.approx(ode, rel=1e-7, abs=1e-6)
    assert closed[days <= 0.0] == pytest.approx(0.0, abs=1e-12)


def test_no_delay_is_the_exponential_model_and_the_kill_is_delayed():
    """D → 0 gives today's exposure; with D > 0 the exposure lags and ends at the same total
    A/λ (the dose's eventual log-kill is unchanged, only its timing)."""
    days = np.linspace(0.0, 400.0, 801)
    e0 = regimenmodel.exposure(days, [0.0], [220.0], LAM)
    tiny = regimenmodel.exposure(days, [0.0], [220.0], LAM, delay=1e-7)
    assert tiny == pytest.approx(e0, rel=1e-5, abs=1e-4)
    late = regimenmodel.exposure(days, [0.0], [220.0], LAM, delay=6.0)
    assert np.all(late <= e0 + 1e-9)
    assert late[days == 3.0][0] < 0.5 * e0[days == 3.0][0]
    assert late[-1] == pytest.approx(220.0 / LAM, rel=1e-9)


def test_closed_form_model_matches_the_volume_ode():
    """ln V0 + g·t − k·E(t; k_tr) equals the ODE's ln V for every schedule."""
    days = np.linspace(0.0, 28.0, 57)
    drv = [regimenmodel.Driver("X", "uCi", LAM, "test")]
    beta = np.array([TRUE["ln_v0"], TRUE["g"], TRUE["k"]])
    for arm, sched in SCHEDULES.items():
        ode = ode_volume(np.array([80.0]), np.array([TRUE["g"]]), sched, days)[:, 0]
        schedule = ("X", tuple(Dose(d, a, "uCi") for d, a in sched)) if sched else None
        x = regimenmodel._design_row(days, schedule, drv, delay=TRUE["delay"])
        assert x @ beta == pytest.approx(ode, abs=1e-7), arm


# --------------------------------------------------------------------------- against lme4


def test_delayed_fit_matches_lme4_at_the_profiled_delay():
    """The mean transit delay D = 3/k_tr, its profile-likelihood interval and the fit at D̂ as
    R 4 / lme4 (the model is linear given k_tr, so lmer fits it with the delayed exposure as a
    covariate, and ``optimize`` profiles D; R's exposure uses ``pgamma``, not scipy):

    ``simulate(np.random.default_rng(3), 6)`` (4 arms, 6 mice each) written to simeoni.csv, then
    d <- read.csv("simeoni.csv"); lam <- log(2)/8.02
    sched <- list(Control = NULL, Single = list(t = 0, a = 220),
                  Split = list(t = c(0, 7), a = c(110, 110)), Late = list(t = 7, a = 220))
    E <- function(t, s, D) {
      if (is.null(s)) return(0 * t); k <- 3 / D; stopifnot(k > lam); out <- 0 * t
      for (j in seq_along(s$t)) {
        tau <- pmax(t - s$t[j], 0)
        y <- (k / (k - lam))^3 * exp(-lam * tau) * pgamma((k - lam) * tau, 3)
        out <- out + s$a[j] * (pgamma(k * tau, 3) - y) / lam
      }
      out
    }
    d$mouse <- paste(d$arm, d$mouse_id)
    fitd <- function(D, reml) {
      d$negE <- sapply(seq_len(nrow(d)), function(i) -E(d$day[i], sched[[d$arm[i]]], D))
      lmer(log(volume_mm3) ~ day + negE + (day | mouse), data = d, REML = reml,
           control = lmerControl(optimizer = "bobyqa",
                                 optCtrl = list(rhobeg = 2e-3, rhoend = 1e-12, maxfun = 1e5)))
    }
    ml <- function(D) as.numeric(logLik(fitd(D, FALSE)))
    o <- optimize(function(D) -ml(D), c(1, 14), tol = 1e-10)
    Dhat <- o$minimum; lmax <- -o$objective; cut <- qchisq(0.95, 1) / 2
    uniroot(function(D) lmax - ml(D) - cut, c(1, Dhat), tol = 1e-10)$root
    uniroot(function(D) lmax - ml(D) - cut, c(Dhat, 14), tol = 1e-10)$root
    f <- fitd(Dhat, TRUE)
    fixef(f); sqrt(diag(as.matrix(vcov(f)))); as.data.frame(VarCorr(f))$sdcor; logLik(f)
    """
    data = simulate(np.random.default_rng(3), 6)
    fit = regimenmodel.fit(sim_study(), data, regimenmodel.DELAYED)
    assert fit is not None and fit.structure == "correlated" and fit.kind == "delayed"
    g = GOLDEN_DELAYED
    assert fit.delay == pytest.approx(g["delay"], rel=1e-5)
    assert fit.delay_ci == pytest.approx(g["delay_ci"], rel=1e-6)
    assert fit.ml_llf == pytest.approx(g["ml_llf"], abs=1e-6)
    assert fit.resistance == 0.0 and fit.n_params == 8
    table = regimenmodel.model_table(fit, 0.05).set_index("parameter")
    for name, (est, se) in g["fixed"].items():
        assert table.loc[name, "estimate"] == pytest.approx(est, rel=1e-5)
        assert table.loc[name, "se"] == pytest.approx(se, rel=1e-4)
    for name, value in g["random"].items():
        assert table.loc[name, "estimate"] == pytest.approx(value, rel=1e-4)
    assert fit.llf == pytest.approx(g["reml_llf"], abs=1e-6)
    # k_tr = 3/D, its interval the image of D's
    assert table.loc["transit_rate", "estimate"] == pytest.approx(3 / g["delay"], rel=1e-5)
    assert table.loc["transit_rate", "ci_low"] == pytest.approx(3 / g["delay_ci"][1], rel=1e-6)
    assert table.loc["transit_rate", "ci_high"] == pytest.approx(3 / g["delay_ci"][0], rel=1e-6)
    assert table["model"].iloc[0].startswith("Simeoni et al. 2004 delayed kill")


GOLDEN_DELAYED: dict = {
    "delay": 6.56815094523503,  # Dhat
    "delay_ci": (5.67561976801155, 7.58354484001736),  # the two uniroot()s
    "ml_llf": -26.26949141833727,  # lmax
    # fixef(f); sqrt(diag(as.matrix(vcov(f))))
    "fixed": {
        "ln_v0": (4.37064703925157794, 5.59025425076453e-02),
        "growth_rate": (0.11776495745821991, 9.18509260980429e-03),
        "kill_rate": (0.00111618901813858, 8.95022915105265e-05),
    },
    # as.data.frame(VarCorr(f))$sdcor
    "random": {
        "sd_ln_v0": 0.2338990430803508,
        "sd_growth_rate": 0.0364661196312001,
        "correlation": -0.2552217078090002,
        "residual_sd": 0.1979677992299592,
    },
    "reml_llf": -40.7124173893313,  # logLik(f)
}


# --------------------------------------------------------------------------- known parameters


def test_delayed_model_recovers_known_parameters():
    """A larger simulated study (16 mice per arm, 4 arms): ln V0, g and k within 3 SE, the
    mean delay 3/k_tr inside its profile-likelihood interval and within 15 %, the variance
    components within 25 %."""
    data = simulate(np.random.default_rng(11), n_per_arm=16)
    fit = regimenmodel.fit(sim_study(), data, regimenmodel.DELAYED)
    assert fit is not None
    t = regimenmodel.model_table(fit, 0.05).set_index("parameter")
    for name, true in (
        ("ln_v0", TRUE["ln_v0"]),
        ("growth_rate", TRUE["g"]),
        ("kill_rate", TRUE["k"]),
    ):
        assert abs(t.loc[name, "estimate"] - true) < 3 * t.loc[name, "se"], name
    low, high = fit.delay_ci
    assert low < TRUE["delay"] < high
    assert fit.delay == pytest.approx(TRUE["delay"], rel=0.15)
    assert t.loc["transit_rate", "ci_low"] < 3 / TRUE["delay"] < t.loc["transit_rate", "ci_high"]
    for name, true in (
        ("sd_ln_v0", SD["b0"]),
        ("sd_growth_rate", SD["b1"]),
        ("residual_sd", SD["e"]),
    ):
        assert t.loc[name, "estimate"] == pytest.approx(true, rel=0.25), name


def test_without_delay_the_delayed_model_does_not_pay_its_parameter():
    """Data with a near-instant kill (mean delay 0.05 day): the profile interval of the delay
    reaches 0 (no delay), and the delayed model's ML fit is at most 2 AIC units worse than the
    nested exponential model's."""
    arms = ("Control", "Single", "Split")
    data = simulate(np.random.default_rng(5), 8, arms=arms, delay=0.05)
    study = sim_study(arms)
    delayed = regimenmodel.fit(study, data, regimenmodel.DELAYED)
    exponential = regimenmodel.fit(study, data, ml=True)
    assert delayed is not None and exponential is not None
    assert delayed.delay_ci[0] == 0.0
    assert delayed.ml_llf >= exponential.ml_llf - 1e-6
    aic = [-2 * f.ml_llf + 2 * f.n_params for f in (delayed, exponential)]
    assert aic[0] - aic[1] <= 2.0 + 1e-6


# --------------------------------------------------------------------------- model choice


def test_delayed_kill_is_chosen_and_predicts_an_unseen_regimen():
    """Data from the delayed model: the selection (AIC among the models that pass) uses the
    delayed model and says why; fitted without the Late arm, its prediction of Late's mean
    ln V covers the true mean curve of the ODE on every measured day."""
    from xenoflow.summary.regimens import regimen_model_sentences

    data = simulate(np.random.default_rng(3), 6)
    study = sim_study()
    fits, checks, selection = dosed_tumours.select_models(data, study)
    assert selection["growth_model"].tolist() == [
        "exponential",
        "claret",
        "delayed",
        "resistant_delayed",
    ]
    assert regimenmodel.chosen_model(selection) == "delayed"
    row = selection.set_index("growth_model").loc["delayed"]
    assert row["passes"] and row["aic"] == pytest.approx(-2 * GOLDEN_DELAYED["ml_llf"] + 16)
    assert row["transit_rate"] == pytest.approx(3 / GOLDEN_DELAYED["delay"], rel=1e-5)
    table = regimenmodel.model_table(fits["delayed"], 0.05)
    text = " ".join(
        regimen_model_sentences(
            study,
            {
                "regimen_model": table,
                "regimen_model_check": checks,
                "regimen_model_selection": selection,
            },
        )
    )
    assert "Of the 4 dose-driven models, the model with delayed kill is used rather than" in text
    assert "delayed through three transit compartments, Simeoni et al. 2004" in text
    assert "its kill follows the dose exposure by a mean of 6.57 days (95% CI 5.7 to 7.6)" in text
    # the unseen regimen
    seen = sim_study(("Control", "Single", "Split"))
    fit = regimenmodel.fit(seen, data[data["arm"] != "Late"], regimenmodel.DELAYED)
    late = ("X", tuple(Dose(d, a, "uCi") for d, a in SCHEDULES["Late"]))
    mean, se = regimenmodel.predict(fit, DAYS, late)
    truth = ode_volume(np.array([80.0]), np.array([TRUE["g"]]), SCHEDULES["Late"], DAYS)[:, 0]
    q = regimenmodel.quantile(fit, 0.05)
    assert np.all(np.abs(mean - truth) <= q * se)

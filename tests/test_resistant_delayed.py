"""Issue 28: the model with both drug resistance (Claret et al. 2009) and delayed kill (Simeoni
et al. 2004 transit compartments) in xenoflow.regimenmodel (``kind=RESISTANT_DELAYED``),
against the generator of ``dosed_tumours`` (dV/dt = (g − k·y_3(t)·e^(−λ_R (t − t_0)))·V with
the transit chain integrated by ``solve_ivp``, not the closed form the fitter uses)."""

from __future__ import annotations

import dataclasses
import math

import dosed_tumours
import numpy as np
import pytest

from xenoflow import regimenmodel
from xenoflow.config import Dose

LAM = math.log(2) / dosed_tumours.HALF_LIFE
TRUE = {"ln_v0": math.log(80.0), "g": 0.12, "k": 0.003}
LAM_R, DELAY = 0.1, 4.0
SCHEDULES = {
    "Control": [],
    "Single": [(0.0, 220.0)],
    "Split": [(0.0, 110.0), (7.0, 110.0)],
    "Late": [(7.0, 220.0)],
}


def simulate(seed: int, n_per_arm: int = 6):
    return dosed_tumours.simulate(
        np.random.default_rng(seed), SCHEDULES, TRUE, n_per_arm, LAM_R, DELAY
    )


def study():
    return dosed_tumours.dosed_study(SCHEDULES, tuple(SCHEDULES))


def _schedule(doses):
    return ("X", tuple(Dose(d, a, "uCi") for d, a in doses)) if doses else None


@pytest.mark.parametrize(
    "doses", [[(0.0, 220.0)], [(0.0, 110.0), (7.0, 110.0)], [(7.0, 150.0), (10.0, 70.0)]]
)
def test_closed_form_matches_the_volume_ode(doses):
    """ln V0 + g·t − k·E(t; λ_R, k_tr) equals the ODE's ln V (solve_ivp of the chain and the
    volume), for schedules with one dose, equal and unequal fractions."""
    days = np.linspace(0.0, 28.0, 57)
    drv = [regimenmodel.Driver("X", "uCi", LAM, "test")]
    beta = np.array([TRUE["ln_v0"], TRUE["g"], TRUE["k"]])
    ode = dosed_tumours.ode_log_volume(
        np.array([80.0]), np.array([TRUE["g"]]), doses, days, TRUE["k"], LAM_R, DELAY
    )[:, 0]
    x = regimenmodel._design_row(days, _schedule(doses), drv, LAM_R, DELAY)
    assert x @ beta == pytest.approx(ode, abs=1e-8)


def test_limits_are_the_delayed_and_the_claret_exposures():
    """λ_R → 0: the delayed exposure; delay → 0: the Claret exposure."""
    days = np.linspace(0.0, 40.0, 81)
    both = regimenmodel.resistant_transit_exposure
    delayed = regimenmodel.exposure(days, [0.0, 7.0], [110.0, 110.0], LAM, delay=DELAY)
    assert both(days, [0.0, 7.0], [110.0, 110.0], LAM, 1e-12, DELAY) == pytest.approx(
        delayed, rel=1e-9, abs=1e-9
    )
    claret = regimenmodel.exposure(days, [0.0, 7.0], [110.0, 110.0], LAM, resistance=LAM_R)
    assert both(days, [0.0, 7.0], [110.0, 110.0], LAM, LAM_R, 1e-7) == pytest.approx(
        claret, rel=1e-5, abs=1e-4
    )


def test_fit_matches_lme4_at_the_profiled_pair():
    """(λ_R, mean delay) maximise the ML profile likelihood as R's ``optim`` over lme4 fits
    finds it, and the fit at them equals ``lmer``'s. R 4 / lme4, deSolve (the exposure by an
    ODE with the integral as a state, not the closed form):

    ``simulate(0)`` (4 arms, 6 mice each) written to both.csv, then
    d <- read.csv("both.csv"); lam <- log(2)/8.02
    sched <- list(Control = NULL, Single = list(t = 0, a = 220),
                  Split = list(t = c(0, 7), a = c(110, 110)), Late = list(t = 7, a = 220))
    E <- function(t, s, lr, D) {
      if (is.null(s)) return(0 * t); k <- 3 / D; t0 <- min(s$t)
      rhs <- function(tt, y, p) list(c(-lam * y[1], k * (y[1] - y[2]), k * (y[2] - y[3]),
                                       k * (y[3] - y[4]), y[4] * exp(-lr * (tt - t0))))
      times <- sort(unique(c(0, t, s$t)))
      ev <- data.frame(var = "C", time = s$t, value = s$a, method = "add")
      out <- ode(c(C = 0, y1 = 0, y2 = 0, y3 = 0, E = 0), times, rhs, NULL, method = "lsoda",
                 rtol = 1e-12, atol = 1e-12, events = list(data = ev))
      approx(out[, 1], out[, 6], t, ties = "ordered")$y
    }
    d$mouse <- paste(d$arm, d$mouse_id)
    negE <- function(lr, D) { out <- numeric(nrow(d)); for (a in names(sched)) {
      i <- d$arm == a; out[i] <- -E(d$day[i], sched[[a]], lr, D) }; out }
    fitd <- function(lr, D, reml) { d$negE <- negE(lr, D)
      lmer(log(volume_mm3) ~ day + negE + (day | mouse), data = d, REML = reml,
           control = lmerControl(optimizer = "bobyqa",
                                 optCtrl = list(rhobeg = 2e-3, rhoend = 1e-12, maxfun = 1e5))) }
    ml <- function(p) as.numeric(logLik(fitd(p[1], p[2], FALSE)))
    o <- optim(c(0.08, 3.0), function(p) -ml(p), method = "Nelder-Mead",
               control = list(reltol = 1e-14, maxit = 2000)); o$par; -o$value
    f <- fitd(0.08410609804232373, 3.1540867905827197, TRUE)  # xenoflow's pair
    ml(c(0.08410609804232373, 3.1540867905827197))
    fixef(f); sqrt(diag(as.matrix(vcov(f)))); as.data.frame(VarCorr(f))$sdcor; logLik(f)
    """
    fit = regimenmodel.fit(study(), simulate(0), regimenmodel.RESISTANT_DELAYED)
    assert fit is not None and fit.structure == "correlated"
    g = GOLDEN
    assert fit.resistance == pytest.approx(g["pair"][0], rel=1e-5)
    assert fit.delay == pytest.approx(g["pair"][1], rel=1e-5)
    assert fit.ml_llf == pytest.approx(g["ml_llf"], abs=1e-6)
    assert fit.n_params == 9  # 3 fixed, 3 random-effect parameters, residual SD, λ_R, delay
    # at xenoflow's pair, R's fit (the same design up to the ODE's tolerance)
    assert fit.ml_llf == pytest.approx(g["ml_llf_at_pair"], abs=1e-8)
    table = regimenmodel.model_table(fit, 0.05).set_index("parameter")
    for name, (est, se) in g["fixed"].items():
        assert table.loc[name, "estimate"] == pytest.approx(est, rel=1e-6)
        assert table.loc[name, "se"] == pytest.approx(se, rel=1e-5)
    for name, value in g["random"].items():
        assert table.loc[name, "estimate"] == pytest.approx(value, rel=1e-5)
    assert fit.llf == pytest.approx(g["reml_llf"], abs=1e-6)
    assert table.loc["transit_rate", "estimate"] == pytest.approx(3 / g["pair"][1], rel=1e-5)
    assert table.loc["resistance_rate", "estimate"] == pytest.approx(g["pair"][0], rel=1e-5)
    assert np.isnan(table.loc["resistance_rate", "ci_low"])  # no 2-D profile intervals
    assert table["model"].iloc[0].startswith("delayed kill with drug resistance")


GOLDEN: dict = {
    "pair": (0.0841061824512979, 3.1540903654811157),  # o$par
    "ml_llf": -32.3467886080702,  # -o$value
    "ml_llf_at_pair": -32.3467886080673,  # ml(xenoflow's pair)
    # fixef(f); sqrt(diag(as.matrix(vcov(f))))
    "fixed": {
        "ln_v0": (4.4482430669622399222, 0.05271006258490695817),
        "growth_rate": (0.1189538993925106092, 0.00777295278693164535),
        "kill_rate": (0.0023255873459655367, 0.00013508736109136277),
    },
    # as.data.frame(VarCorr(f))$sdcor
    "random": {
        "sd_ln_v0": 0.224966314880052753,
        "sd_growth_rate": 0.032705871106614999,
        "correlation": 0.322877732559875563,
        "residual_sd": 0.207949275148110124,
    },
    "reml_llf": -46.468979238304577,  # logLik(f)
}


def test_recovers_known_parameters():
    """Three larger simulated studies (16 mice per arm, 4 arms): ln V0 and g within 3 SE in
    each; λ_R, the mean delay and k (strongly correlated with each other, their SEs given the
    shape pair understate their error) by the median over the studies within 15 % of the
    truth; the variance components' medians within 30 %."""
    estimates = []
    for seed in (11, 12, 13):
        fit = regimenmodel.fit(study(), simulate(seed, 16), regimenmodel.RESISTANT_DELAYED)
        assert fit is not None
        t = regimenmodel.model_table(fit, 0.05).set_index("parameter")
        for name, true in (("ln_v0", TRUE["ln_v0"]), ("growth_rate", TRUE["g"])):
            assert abs(t.loc[name, "estimate"] - true) < 3 * t.loc[name, "se"], (seed, name)
        estimates.append(t["estimate"])
    median = np.median(np.array([e.to_numpy(float) for e in estimates]), axis=0)
    got = dict(zip(estimates[0].index, median, strict=True))
    assert got["resistance_rate"] == pytest.approx(LAM_R, rel=0.15)
    assert got["mean_kill_delay_days"] == pytest.approx(DELAY, rel=0.15)
    assert got["kill_rate"] == pytest.approx(TRUE["k"], rel=0.15)
    for name, true in dosed_tumours.SD.items():
        label = {"b0": "sd_ln_v0", "b1": "sd_growth_rate", "e": "residual_sd"}[name]
        assert got[label] == pytest.approx(true, rel=0.3), label


def test_chosen_on_data_with_regrowth_and_delay_and_the_summary_says_so():
    """On data with both, the model with both passes its check and has the lowest AIC; the
    summary names it, with both its kill half-life and its delay."""
    from xenoflow.summary.regimens import regimen_model_sentences

    data, s = simulate(0), study()
    fits, checks, selection = dosed_tumours.select_models(data, s)
    assert selection["growth_model"].tolist() == [
        "exponential",
        "claret",
        "delayed",
        "resistant_delayed",
    ]
    assert regimenmodel.chosen_model(selection) == "resistant_delayed"
    row = selection.set_index("growth_model").loc["resistant_delayed"]
    assert row["passes"] and row["aic"] == pytest.approx(-2 * GOLDEN["ml_llf"] + 18, abs=1e-5)
    tables = {
        "regimen_model": regimenmodel.model_table(fits["resistant_delayed"], 0.05),
        "regimen_model_check": checks,
        "regimen_model_selection": selection,
    }
    text = " ".join(regimen_model_sentences(s, tables))
    assert "Of the 4 dose-driven models, the model with delayed kill and drug resistance" in (text)
    assert (
        "its kill halves every 8.24 days and follows the dose exposure by a mean of 3.15 days"
        in (text)
    )


def test_the_band_carries_the_uncertainty_of_the_shape_parameters():
    """A study whose λ_R and delay are poorly determined (k = 0.002, λ_R = 0.05/day, mean
    delay 7 days; 8 mice per arm, seed 3): the band of a what-if regimen inside the observed
    doses (150 + 70 µCi on days 0 and 7) is at least the conditional band (shapes known), covers
    the conditional band of every shape pair in the 95 % profile region, and covers the true
    mean on every day — the conditional band alone missed it on 16 of 29 days (up to 1.5
    half-widths)."""
    truth = {"ln_v0": math.log(80.0), "g": 0.12, "k": 0.002}
    data = dosed_tumours.simulate(np.random.default_rng(3), SCHEDULES, truth, 8, 0.05, 7.0)
    fit = regimenmodel.fit(study(), data, regimenmodel.RESISTANT_DELAYED)
    assert fit is not None and fit.shape_cov is not None and len(fit.region) >= 3
    days = np.arange(0.0, 29.0)
    unequal = [(0.0, 150.0), (7.0, 70.0)]
    mean, se = regimenmodel.predict(fit, days, _schedule(unequal))
    q = regimenmodel.quantile(fit, 0.05)
    known = dataclasses.replace(fit, shape_cov=None, shape_points=[], region=[])
    mean_known, se_known = regimenmodel.predict(known, days, _schedule(unequal))
    assert np.array_equal(mean, mean_known) and np.all(se >= se_known)
    for shape, beta, vcov in fit.region:
        x = regimenmodel._design_row(days, _schedule(unequal), fit.drivers, *shape)
        half = q * np.sqrt(np.einsum("ij,jk,ik->i", x, vcov, x))
        assert np.all(np.abs(x @ beta - mean) + half <= q * se + 1e-9)
    true = dosed_tumours.ode_log_volume(
        np.array([80.0]), np.array([truth["g"]]), unequal, days, truth["k"], 0.05, 7.0
    )[:, 0]
    assert np.all(np.abs(mean - true) <= q * se)
    assert np.sum(np.abs(mean - true) > q * se_known) >= 10


def test_a_local_optimum_below_a_nested_model_is_refitted_from_it(monkeypatch):
    """The model with both nests the delayed model: when its 2-D search (here forced to the
    exponential model's corner) ends below the delayed model's ML log-likelihood,
    :func:`fit_models` refits it from the delayed model's pair, and its AIC is then at most
    2 above the delayed model's."""
    real = regimenmodel._profile_pair

    def stuck(design, Z, logd, structure, uppers, start=None):
        if start is None:
            profile = regimenmodel._ml_profile(
                lambda r=0.0, d=0.0: design(r, d), Z, logd, structure
            )
            return (0.0, 0.0), profile[0](0.0, 0.0), profile[2]
        return real(design, Z, logd, structure, uppers, start)

    monkeypatch.setattr(regimenmodel, "_profile_pair", stuck)
    s, data = study(), simulate(0)
    alone = regimenmodel.fit(s, data, regimenmodel.RESISTANT_DELAYED)
    fits = regimenmodel.fit_models(s, data)
    delayed, both = fits["delayed"], fits["resistant_delayed"]
    assert alone.ml_llf < delayed.ml_llf - 1.0  # stuck at the corner
    assert both.ml_llf >= delayed.ml_llf - 1e-6 and both.delay > 0

"""Issue 28: the Claret et al. 2009 tumour-growth-inhibition model with drug resistance in
xenoflow.regimenmodel (``kind=CLARET``), against the ODE generator of tests/dosed_tumours.py.

Each tumour follows dV/dt = (g_i − k·C(t)·e^(−λ_R (t − t_0)))·V, t_0 the arm's first dose, with
the dose amount C obeying dC/dt = −λC and jumping by A at each dose, integrated numerically
(scipy ``solve_ivp``, LSODA) — not the closed-form exposure the fitter uses. The kill fades with
time, so treated tumours shrink and then regrow.
"""

from __future__ import annotations

import math

import dosed_tumours
import numpy as np
import pandas as pd
import pytest
from dosed_tumours import HALF_LIFE, SD

from xenoflow import regimenmodel
from xenoflow.config import Dose, Study
from xenoflow.summary.regimens import regimen_model_sentences

TRUE = {"ln_v0": math.log(80.0), "g": 0.12, "k": 0.003, "lam_r": 0.1}
SCHEDULES = {
    "Control": [],
    "Single": [(0.0, 220.0)],
    "Split": [(0.0, 110.0), (7.0, 110.0)],
    "Late": [(7.0, 220.0)],
}


def ode_log_volume(
    v0: np.ndarray,
    g: np.ndarray,
    doses: list[tuple[float, float]],
    days: np.ndarray,
    k: float = TRUE["k"],
    lam_r: float = TRUE["lam_r"],
) -> np.ndarray:
    """The shared generator's ODE (:func:`dosed_tumours.ode_log_volume`) at these values."""
    return dosed_tumours.ode_log_volume(v0, g, doses, days, k, lam_r)


def simulate(
    rng: np.random.Generator,
    n_per_arm: int = 8,
    arms: tuple[str, ...] = tuple(SCHEDULES),
    lam_r: float = TRUE["lam_r"],
) -> pd.DataFrame:
    """The shared generator's mice (:func:`dosed_tumours.simulate`) at these values."""
    return dosed_tumours.simulate(rng, {a: SCHEDULES[a] for a in arms}, TRUE, n_per_arm, lam_r)


def sim_study(arms: tuple[str, ...] = tuple(SCHEDULES)) -> Study:
    return dosed_tumours.dosed_study(SCHEDULES, arms)


# --------------------------------------------------------------------------- closed form


def test_closed_form_matches_the_ode_and_reduces_to_the_exponential_model():
    """ln V0 + g·t − k·E(t; λ_R) equals the ODE's ln V for every schedule (dose before and
    after the first measurement, split doses), and λ_R = 0 gives today's exposure exactly."""
    lam = math.log(2) / HALF_LIFE
    days = np.linspace(0.0, 28.0, 57)
    drv = [regimenmodel.Driver("X", "uCi", lam, "test")]
    beta = np.array([TRUE["ln_v0"], TRUE["g"], TRUE["k"]])
    for arm, sched in SCHEDULES.items():
        ode = ode_log_volume(np.array([80.0]), np.array([TRUE["g"]]), sched, days)[:, 0]
        schedule = ("X", tuple(Dose(d, a, "uCi") for d, a in sched)) if sched else None
        x = regimenmodel._design_row(days, schedule, drv, TRUE["lam_r"])
        assert x @ beta == pytest.approx(ode, abs=1e-7), arm
    e0 = regimenmodel.exposure(days, [0.0, 7.0], [110.0, 110.0], lam)
    assert np.array_equal(regimenmodel.exposure(days, [0.0, 7.0], [110.0, 110.0], lam, 0.0), e0)
    # a small λ_R approaches today's exposure continuously
    e = regimenmodel.exposure(days, [0.0, 7.0], [110.0, 110.0], lam, 1e-9)
    assert e == pytest.approx(e0, rel=1e-7)


# --------------------------------------------------------------------------- against lme4


def test_claret_fit_matches_lme4_at_the_profiled_resistance_rate():
    """λ_R, its profile-likelihood interval and the ML log-likelihoods as R 4 / lme4 (the
    model is linear given λ_R, so lmer fits it with the resistance-weighted exposure as a
    covariate, and ``optimize`` profiles λ_R):

    ``simulate(np.random.default_rng(3), 6)`` (4 arms, 6 mice each) written to claret.csv, then
    d <- read.csv("claret.csv"); lam <- log(2)/8.02
    sched <- list(Control = NULL, Single = list(t = 0, a = 220),
                  Split = list(t = c(0, 7), a = c(110, 110)), Late = list(t = 7, a = 220))
    E <- function(t, s, r) {
      if (is.null(s)) return(0 * t); t0 <- min(s$t); out <- 0 * t
      for (j in seq_along(s$t)) out <- out + ifelse(t > s$t[j],
        s$a[j] * exp(-r * (s$t[j] - t0)) * (1 - exp(-(lam + r) * (t - s$t[j]))) / (lam + r), 0)
      out
    }
    d$mouse <- paste(d$arm, d$mouse_id)
    fitr <- function(r, reml) {
      d$negE <- sapply(seq_len(nrow(d)), function(i) -E(d$day[i], sched[[d$arm[i]]], r))
      lmer(log(volume_mm3) ~ day + negE + (day | mouse), data = d, REML = reml,
           control = lmerControl(optimizer = "bobyqa",
                                 optCtrl = list(rhobeg = 2e-3, rhoend = 1e-12, maxfun = 1e5)))
    }
    ml <- function(r) as.numeric(logLik(fitr(r, FALSE)))
    o <- optimize(function(r) -ml(r), c(0, 10 / 28), tol = 1e-10)
    rhat <- o$minimum; lmax <- -o$objective; cut <- qchisq(0.95, 1) / 2
    uniroot(function(r) lmax - ml(r) - cut, c(0, rhat), tol = 1e-10)$root
    uniroot(function(r) lmax - ml(r) - cut, c(rhat, 10 / 28), tol = 1e-10)$root
    ml(0); f <- fitr(rhat, TRUE)
    fixef(f); sqrt(diag(as.matrix(vcov(f)))); as.data.frame(VarCorr(f))$sdcor; logLik(f)
    """
    data = simulate(np.random.default_rng(3), 6)
    study = sim_study()
    fit = regimenmodel.fit(study, data, regimenmodel.CLARET)
    assert fit is not None and fit.structure == "correlated"
    g = GOLDEN_CLARET
    assert fit.resistance == pytest.approx(g["resistance"], rel=1e-4)
    assert fit.resistance_ci == pytest.approx(g["resistance_ci"], rel=1e-5)
    assert fit.ml_llf == pytest.approx(g["ml_llf"], abs=1e-5)
    exponential = regimenmodel.fit(study, data, ml=True)
    assert exponential is not None
    assert exponential.ml_llf == pytest.approx(g["ml_llf_exponential"], abs=1e-5)
    assert (fit.n_params, exponential.n_params) == (8, 7)
    table = regimenmodel.model_table(fit, 0.05).set_index("parameter")
    for name, (est, se) in g["fixed"].items():
        assert table.loc[name, "estimate"] == pytest.approx(est, rel=1e-4)
        assert table.loc[name, "se"] == pytest.approx(se, rel=1e-3)
    for name, value in g["random"].items():
        assert table.loc[name, "estimate"] == pytest.approx(value, rel=1e-3, abs=1e-4)
    assert fit.llf == pytest.approx(g["reml_llf"], abs=1e-4)


GOLDEN_CLARET: dict = {
    "resistance": 0.130478521129028,  # rhat
    "resistance_ci": (0.105472768196029, 0.159260098827256),  # the two uniroot()s
    "ml_llf": -24.6785175790969,  # lmax
    "ml_llf_exponential": -101.341287743244,  # ml(0)
    # fixef(f); sqrt(diag(as.matrix(vcov(f))))
    "fixed": {
        "ln_v0": (4.39732028347590, 5.49638446396896e-02),
        "growth_rate": (0.115114751204456, 7.86927512437855e-03),
        "kill_rate": (0.00322740938127109, 9.31298827762611e-05),
    },
    # as.data.frame(VarCorr(f))$sdcor
    "random": {
        "sd_ln_v0": 0.233276307803765,
        "sd_growth_rate": 0.036221282031484,
        "correlation": -0.251831753836156,
        "residual_sd": 0.196369240818098,
    },
    "reml_llf": -39.0903250831424,  # logLik(f)
}


# --------------------------------------------------------------------------- known parameters


def test_claret_recovers_known_parameters():
    """A large simulated study (24 mice per arm, 4 arms): ln V0, g and k within 3 SE, λ_R inside
    its profile-likelihood interval and within 15 %, the variance components within 25 %."""
    data = simulate(np.random.default_rng(11), n_per_arm=24)
    fit = regimenmodel.fit(sim_study(), data, regimenmodel.CLARET)
    assert fit is not None
    t = regimenmodel.model_table(fit, 0.05).set_index("parameter")
    for name, true in (
        ("ln_v0", TRUE["ln_v0"]),
        ("growth_rate", TRUE["g"]),
        ("kill_rate", TRUE["k"]),
    ):
        assert abs(t.loc[name, "estimate"] - true) < 3 * t.loc[name, "se"], name
    low, high = fit.resistance_ci
    assert low < TRUE["lam_r"] < high
    assert fit.resistance == pytest.approx(TRUE["lam_r"], rel=0.15)
    for name, true in (
        ("sd_ln_v0", SD["b0"]),
        ("sd_growth_rate", SD["b1"]),
        ("residual_sd", SD["e"]),
    ):
        assert t.loc[name, "estimate"] == pytest.approx(true, rel=0.25), name


# --------------------------------------------------------------------------- model choice


def test_regrowth_chooses_the_resistance_model_and_the_summary_says_why():
    data = simulate(np.random.default_rng(3), 6)
    study = sim_study()
    fits, checks, selection = dosed_tumours.select_models(data, study)
    assert selection["growth_model"].tolist() == [
        "exponential",
        "claret",
        "delayed",
        "resistant_delayed",
    ]
    assert regimenmodel.chosen_model(selection) == "claret"
    # AIC from the ML fits (lme4's, test above): 8 and 7 parameters
    aic = selection.set_index("growth_model")["aic"]
    assert aic["claret"] == pytest.approx(-2 * GOLDEN_CLARET["ml_llf"] + 16, abs=1e-4)
    assert aic["exponential"] == pytest.approx(
        -2 * GOLDEN_CLARET["ml_llf_exponential"] + 14, abs=1e-4
    )
    chosen = selection[selection["chosen"]].iloc[0]
    assert chosen["passes"] and chosen["delta_aic"] == 0
    assert chosen["reason"].startswith("chosen: lowest AIC of the models that pass")
    assert set(checks["growth_model"]) == {"exponential", "claret", "delayed", "resistant_delayed"}
    claret_checks = checks[checks["growth_model"] == "claret"]
    assert claret_checks["check"].tolist() == [
        "fitted",
        "held out: Single",
        "held out: Split",
        "held out: Late",
    ]
    table = regimenmodel.model_table(fits["claret"], 0.05).set_index("parameter")
    assert table.loc["resistance_rate", "ci_low"] == pytest.approx(
        GOLDEN_CLARET["resistance_ci"][0]
    )
    assert table.loc["resistance_half_life_days", "estimate"] == pytest.approx(
        math.log(2) / fits["claret"].resistance
    )
    text = " ".join(
        regimen_model_sentences(
            study,
            {
                "regimen_model": table.reset_index(),
                "regimen_model_check": checks,
                "regimen_model_selection": selection,
            },
        )
    )
    assert "fades with time as resistance develops" in text
    assert "the model with drug resistance is used rather than the log-kill model" in text
    assert "its kill halves every 5.31 days" in text


def test_without_resistance_the_exponential_model_is_kept():
    """Data from today's model (λ_R = 0): the Claret model's extra parameter does not pay
    its AIC penalty, so the exponential model is chosen and its numbers are today's."""
    arms = ("Control", "Single", "Split")
    data = simulate(np.random.default_rng(5), 8, arms=arms, lam_r=0.0)
    study = sim_study(arms)
    fits, checks, selection = dosed_tumours.select_models(data, study)
    assert regimenmodel.chosen_model(selection) == "exponential"
    assert selection.set_index("growth_model").loc["claret", "delta_aic"] <= 2.0 + 1e-9
    assert fits["claret"].resistance_ci[0] == 0.0  # no resistance inside its interval
    today = regimenmodel.fit(study, data)
    assert np.array_equal(today.beta, fits["exponential"].beta)
    assert np.array_equal(today.vcov, fits["exponential"].vcov)


def test_stage_uses_the_chosen_resistance_model_for_predictions(tmp_path):
    import yaml

    from xenoflow import stages
    from xenoflow.config import load_study
    from xenoflow.ingest import read_source

    simulate(np.random.default_rng(3), 6).to_csv(tmp_path / "d.csv", index=False)
    arms: list = ["Control"]
    for arm in ("Single", "Split", "Late"):
        doses = [{"day": d, "amount": a, "unit": "uCi"} for d, a in SCHEDULES[arm]]
        arms.append({"name": arm, "agent": "X", "doses": doses})
    # inside the arms' times and doses (three fractions to day 14 would be refused: no arm
    # had a dose later than day 7 after its first)
    later = [{"day": d, "amount": 110.0, "unit": "uCi"} for d in (7, 14)]
    study_file = {
        "study_id": "cl",
        "data": "d.csv",
        "control": "Control",
        "arms": arms,
        "agents": {"X": {"half_life_days": HALF_LIFE}},
        "what_if": [{"name": "Later", "agent": "X", "doses": later}],
        "analysis": {"bootstrap_resamples": 100},
    }
    (tmp_path / "cl.yaml").write_text(yaml.safe_dump(study_file), encoding="utf-8")
    study = load_study(tmp_path / "cl.yaml")
    tables = stages.analyse_study(study, read_source(study))
    selection = tables["regimen_model_selection"].set_index("growth_model")
    assert selection["chosen"].to_dict() == {
        "exponential": False,
        "claret": True,
        "delayed": False,
        "resistant_delayed": False,
    }
    model = tables["regimen_model"].set_index("parameter")
    assert model.loc["resistance_rate", "estimate"] == pytest.approx(
        GOLDEN_CLARET["resistance"], rel=1e-4
    )
    assert model["model"].iloc[0].startswith("Claret et al. 2009")
    what_if = tables["what_if"]
    assert set(what_if["kind"]) == {"observed", "what_if"}
    # the prediction is the resistance model's: its own first dose starts the fading
    fit = regimenmodel.fit(study, tables["measurements"], regimenmodel.CLARET)
    later_doses = ("X", tuple(Dose(d, 110.0, "uCi") for d in (7, 14)))
    rows = what_if[what_if["name"] == "Later"]
    assert len(rows) == 29 and rows["prediction_note"].isna().all()
    mean, _ = regimenmodel.predict(fit, rows["day"].to_numpy(float), later_doses)
    assert rows["pred_mean_log_volume"].to_numpy() == pytest.approx(mean, rel=1e-9)
    text = str(stages.run_summary(study, tables)["summary_md"])
    assert "the model with drug resistance is used rather than the log-kill model" in text
    assert "Predicted for Later" in text

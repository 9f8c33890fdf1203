"""Combination synergy (issue 16): SynergyLMM's exponential mixed model against R nlme, its
synergy contrasts, preprocessing, the study-file keys and the stage.

Golden values: R 4 with Debian r-cran-nlme, on the CrownBio data in data/public, preprocessed
in R independently of xenoflow, as SynergyLMM's ``lmmModel`` does::

    library(nlme)
    prep <- function(file, arms, time_start = NULL, time_end = NULL, min_obs = 1,
                     sqrt_time = FALSE) {
      d <- read.csv(file)
      d$SampleID <- sprintf("%d_%s", match(d$arm, arms), d$mouse_id)
      if (is.null(time_start)) time_start <- min(d$day)
      d <- d[d$day >= time_start, ]
      ok <- d$SampleID[d$day == time_start & d$volume_mm3 != 0]
      d <- d[d$SampleID %in% ok, ]
      d$volume_mm3[d$volume_mm3 == 0] <- NA          # tum_vol_0 = "ignore" (= drop)
      d <- d[!is.na(d$volume_mm3), ]
      if (!is.null(time_end)) d <- d[d$day <= time_end, ]
      n <- table(d$SampleID); d <- d[d$SampleID %in% names(n)[n >= min_obs], ]
      tv0 <- d[d$day == time_start, c("SampleID", "volume_mm3")]; names(tv0)[2] <- "TV0"
      d <- merge(d, tv0); d$logRTV <- log(d$volume_mm3 / d$TV0)
      d <- d[d$day != time_start, ]
      d$Time <- d$day - time_start
      if (sqrt_time) d$Time <- sqrt(d$Time)
      d$Treatment <- factor(d$arm, levels = arms); d$SampleID <- factor(d$SampleID)
      d$Day <- factor(d$day)
      d[order(d$SampleID, d$Time), ]
    }
    ctl <- lmeControl(msTol = 1e-14, tolerance = 1e-14, msMaxIter = 1000, maxIter = 1000,
                      msMaxEval = 5000)
    fit <- function(d, weights = NULL)
      lme(logRTV ~ 0 + Time:Treatment, random = ~0 + Time | SampleID, data = d,
          weights = weights, control = ctl)
    # reported: fixef(m), sqrt(diag(vcov(m))), logLik(m), m$sigma, sqrt(getVarCov(m)[1, 1]),
    # summary(m)$tTable[, "DF"]; contrasts cc (Bliss c(1, -1, -1, 1), HSA: +1 combination,
    # -1 the single agent with the smaller fixef): est = sum(cc * fixef(m)),
    # se = sqrt(t(cc) %*% vcov(m) %*% cc), p_z = 2 * pnorm(-abs(est / se)),
    # p_t = 2 * pt(-abs(est / se), df)

The designs (``DESIGNS``) name the R data and weights. The SNU-81 model with a variance per
mouse (26 parameters) has a flat likelihood: nlme and xenoflow agree on the REML log-likelihood
to 1e-9 but the estimates only to ~1e-5, so that design is checked at 1e-4.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from xenoflow import config, ingest, invivosyn, lme, power, stages, summary, synergy
from xenoflow import tables as registry
from xenoflow.errors import ConfigError
from xenoflow.summary.synergy import not_computed_sentences

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ROOT / "config" / "studies"


#: the last day of each CrownBio study: the R golden values are SynergyLMM's default, every
#: day; xenoflow's default stops at the last day every arm is followed (synergy.shared_end)
LAST_DAY = {"SW837": 24.0, "CR1197": 82.0, "LS-1034": 32.0, "SNU-81": 35.0}


def _study(name: str, **settings) -> config.Study:
    study = config.load_study(STUDIES / f"crownbio_{name}.yaml")
    defaults = {"power_simulations": 0, "time_end": LAST_DAY[name]}
    cfg = config.SynergySettings(**{**defaults, **settings})
    return dataclasses.replace(study, synergy=cfg, design=None)


_MEASUREMENTS: dict[str, pd.DataFrame] = {}


def _measurements(name: str) -> pd.DataFrame:
    if name not in _MEASUREMENTS:
        study = _study(name)
        _MEASUREMENTS[name] = stages.run_ingest(study, ingest.read_source(study)).tables[
            "measurements"
        ]
    return _MEASUREMENTS[name]


def _fit(name: str, **settings):
    study = _study(name, **settings)
    design = synergy.prepare(_measurements(name), study, study.combinations[0])
    return design, synergy.fit_design(design.data, design.arms, study.synergy), study


# name -> (study, synergy settings, R golden values)
DESIGNS = {
    # sw <- prep(".../SW837.csv", SW); m <- fit(sw)
    "SW837 none": (
        "SW837",
        {},
        {
            "beta": [0.05894202425, 0.05773619526, 0.02339908629, 0.003747124675],
            "se": [0.005077125168, 0.005077125168, 0.004396919374, 0.006218183011],
            "loglik": -22.73985335,
            "sigma": 0.2178416374,
            "sd_ranef": 0.01088419298,
            "df": 69,
            "n": 96,
            "bliss": (-0.01844613263, 0.01046676167, 0.07800961307, 0.08243831943),
            "hsa": (-0.01965196162, 0.007615687753, 0.009866938656, 0.01199772676),
            "ranef3": [-0.002105486812, 0.009046502147, 0.006122584423],
            "resid3": [0.8185038725, 0.1032051451, 0.9767457264],
        },
    ),
    # cr <- prep(".../CR1197.csv", CR); m <- fit(cr, varIdent(form = ~1 | Treatment))
    "CR1197 by_arm": (
        "CR1197",
        {"variance": ("by_arm",)},
        {
            "beta": [0.1314878593, 0.08437966834, 0.08685959263, 0.007675758529],
            "se": [0.009892595336, 0.01099958034, 0.01022818949, 0.009591392214],
            "loglik": -225.0570672,
            "sigma": 0.2741148877,
            "sd_ranef": 0.02997451408,
            "varpar": [1.319669322, 1.12817425, 1.840177386],
            "df": 300,
            "n": 340,
            "bliss": (-0.03207564318, 0.0203829555, 0.1155683274, 0.116622309),
            "hsa": (-0.07670390981, 0.01459402523, 1.473477067e-07, 2.802177848e-07),
            "ranef3": [0.0008409088677, 0.002194249553, 0.04239682456],
            "resid3": [1.87696601, 1.899430915, 0.7981344279],
        },
    ),
    # m <- fit(cr, varComb(varIdent(form = ~1 | Treatment), varPower(form = ~Time)))
    "CR1197 by_arm+power_of_time": (
        "CR1197",
        {"variance": ("by_arm", "power_of_time")},
        {
            "beta": [0.1294924782, 0.0818974707, 0.08484198577, 0.006309789334],
            "se": [0.009676070245, 0.0108130261, 0.01005068078, 0.009445192371],
            "loglik": -218.6928581,
            "sigma": 0.4948317685,
            "sd_ranef": 0.02962159848,
            "varpar": [1.46112365, 1.207543537, 2.266017309, -0.2738571695],
            "df": 300,
            "n": 340,
            "bliss": (-0.03093718896, 0.0200193834, 0.1222587918, 0.1233129882),
            "hsa": (-0.07558768136, 0.01435733932, 1.403866825e-07, 2.68075237e-07),
            "ranef3": [-0.0006077724331, 0.002750515933, 0.04375968086],
            "resid3": [1.432945077, 1.875825121, 0.9613899496],
        },
    ),
    # ls <- prep(".../LS-1034.csv", LS, min_obs = 4); m <- fit(ls, varPower(form = ~Time))
    "LS-1034 power_of_time": (
        "LS-1034",
        {"variance": ("power_of_time",), "min_observations": 4},
        {
            "beta": [0.1172346873, 0.1105241793, -0.006312981234, -0.04193554961],
            "se": [0.0140133008, 0.009908900025, 0.004794761154, 0.004590634304],
            "loglik": -209.835623,
            "sigma": 0.5330793134,
            "sd_ranef": 0.008619249146,
            "varpar": [0.08217896749],
            "df": 148,
            "n": 192,
            "bliss": (-0.02891206031, 0.01840169984, 0.1161449133, 0.1182803617),
            "hsa": (-0.03562256838, 0.006638046237, 8.031317035e-08, 3.035906433e-07),
            "ranef3": [-0.001778701399, -0.002052543977, -0.0008991323229],
            "resid3": [0.1618991966, -0.07632818377, -0.933645479],
        },
    ),
    # sw2 <- prep(".../SW837.csv", SW, time_start = 6, time_end = 20, sqrt_time = TRUE)
    # m <- fit(sw2, varIdent(form = ~1 | Day))
    "SW837 by_day sqrt": (
        "SW837",
        {"variance": ("by_day",), "time_start": 6.0, "time_end": 20.0, "time_transform": "sqrt"},
        {
            "beta": [0.1792227078, 0.2087430008, 0.06594348628, 0.0191944494],
            "se": [0.0202956106, 0.0202956106, 0.01757651436, 0.02485694499],
            "loglik": -7.383936482,
            "sigma": 0.2427926628,
            "sd_ranef": 0.01436263798,
            "varpar": [0.8578625019],
            "df": 21,
            "n": 48,
            "bliss": (-0.07626932982, 0.04184047312, 0.06832457943, 0.08259475973),
            "hsa": (-0.04674903687, 0.0304434159, 0.124635487, 0.1395657763),
            "ranef3": [0.0006325450641, -0.001771910569, 0.001924604527],
            "resid3": [-0.9630371538, 0.7548703624, -0.2635731359],
        },
    ),
    # snu <- prep(".../SNU-81.csv", SW)
    # m <- fit(snu, varComb(varIdent(form = ~1 | SampleID), varPower(form = ~Time)))
    "SNU-81 by_mouse+power_of_time": (
        "SNU-81",
        {"variance": ("by_mouse", "power_of_time")},
        {
            "beta": [0.1338366241, 0.1400448098, 0.003396800274, -0.02108587199],
            "se": [0.002627315229, 0.004336499561, 0.002096312565, 0.004051447848],
            "loglik": -62.86883106,
            "sigma": 0.491860775,
            "sd_ranef": 0.001354348993,
            "df": 68,
            "n": 97,
            "bliss": (-0.03069085802, 0.006820320358, 6.798082103e-06, 2.729216118e-05),
            "hsa": (-0.02448267226, 0.004561661543, 8.003422586e-08, 1.043367663e-06),
        },
    ),
}
FLAT = {"SNU-81 by_mouse+power_of_time"}


@pytest.mark.parametrize("name", list(DESIGNS))
def test_model_equals_nlme(name):
    study_name, settings, r = DESIGNS[name]
    design, fit, _ = _fit(study_name, **settings)
    flat = name in FLAT
    assert len(design.data) == r["n"]
    np.testing.assert_allclose(fit.beta, r["beta"], rtol=1e-4 if flat else 1e-6)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.vcov)), r["se"], rtol=1e-4)
    assert fit.loglik == pytest.approx(r["loglik"], rel=1e-6)
    assert fit.sigma == pytest.approx(r["sigma"], rel=1e-4)
    assert fit.sd_ranef == pytest.approx(r["sd_ranef"], rel=1e-3 if flat else 1e-4)
    assert set(fit.df) == {r["df"]}
    if "varpar" in r:
        np.testing.assert_allclose(fit.variance_params, r["varpar"], rtol=1e-4, atol=1e-6)
    if "ranef3" in r:
        np.testing.assert_allclose(fit.ranef[:3], r["ranef3"], rtol=1e-4, atol=1e-8)
        np.testing.assert_allclose(fit.resid_normalised[:3], r["resid3"], rtol=1e-4)


@pytest.mark.parametrize("name", list(DESIGNS))
def test_bliss_and_hsa_contrasts_equal_r(name):
    study_name, settings, r = DESIGNS[name]
    _, fit, _ = _fit(study_name, **settings)
    hsa_agent = int(np.argmin(fit.beta[1:3]))
    rtol = 1e-4
    for method, c in synergy.contrasts(fit, 2, hsa_agent).items():
        est, se, p_z, p_t = r[method]
        w = synergy.wald(fit, c, 0.05)
        assert w["est"] == pytest.approx(est, rel=rtol)
        assert w["se"] == pytest.approx(se, rel=rtol)
        z_row, t_row = synergy.score_rows(w, time=10.0)
        assert z_row["p_method"] == synergy.P_Z and t_row["p_method"] == synergy.P_T
        assert z_row["score"] == pytest.approx(-est / se, rel=rtol)
        assert z_row["p_value"] == pytest.approx(p_z, rel=1e-3)
        assert t_row["p_value"] == pytest.approx(p_t, rel=1e-3)
        assert z_row["combination_index"] == pytest.approx(np.exp(est * 10.0), rel=1e-4)


def test_time_resolved_rows_refit_the_data_up_to_each_day():
    # m1b <- update(fit(sw), data = sw[sw$day <= 13, ]): Bliss est -0.01887997834,
    # se 0.01503221818, p_z 0.2091277332; HSA est -0.03497601212, se 0.0109375453,
    # p_z 0.001384833701 (HSA agent Irinotecan, chosen on the whole-study fit)
    study = _study("SW837")
    design = synergy.prepare(_measurements("SW837"), study, study.combinations[0])
    result = synergy.analyse_combination(design, study)
    assert result is not None
    rows = pd.DataFrame(result.scores)
    # day 6, the first after time_start, is not tested: one time per mouse
    assert sorted(rows["day"].unique()) == [13.0, 20.0, 24.0]
    assert [d for d, _ in result.skipped_days] == [6.0]
    excl = synergy.skipped_days(result)
    assert list(excl["day"]) == [6.0] and (excl["mouse_id"] == "").all()
    assert "needs at least 2" in excl["reason"].iloc[0]
    model = synergy.model_table(result, study.synergy, 0.05)
    said = not_computed_sentences(study, model, excl)
    assert said == [
        "The Irinotecan + Rabusertib combination's day-by-day synergy tests leave out day 6: the "
        "data up to it hold fewer than two measurement days after the start, too few to "
        "separate a mouse's own growth from the measurement noise."
    ]
    day13 = rows[(rows["day"] == 13.0) & (rows["p_method"] == synergy.P_Z)].set_index("method")
    assert day13.loc["bliss", "score"] == pytest.approx(0.01887997834 / 0.01503221818, rel=1e-4)
    assert day13.loc["bliss", "p_value"] == pytest.approx(0.2091277332, rel=1e-3)
    assert day13.loc["hsa", "score"] == pytest.approx(0.03497601212 / 0.0109375453, rel=1e-4)
    assert day13.loc["hsa", "p_value"] == pytest.approx(0.001384833701, rel=1e-3)
    # combination index exp(est * t) at t = day - time_start = 14
    assert day13.loc["bliss", "combination_index"] == pytest.approx(
        np.exp(-0.01887997834 * 14), rel=1e-5
    )


def test_cooks_distance_of_a_mouse_equals_r():
    # first <- levels(sw$SampleID)[1]  ("1_1"); mu <- update(m, data = sw[sw$SampleID != first, ])
    # db <- fixef(mu) - fixef(m); t(db) %*% solve(vcov(m)) %*% db / 4  -> 0.002931287117
    design, fit, study = _fit("SW837")
    cook = synergy.cooks_distance(design, fit, study.synergy)
    assert cook["Vehicle:1"] == pytest.approx(0.002931287117, rel=1e-4)


def test_response_additivity_integrals_and_seed():
    # ∫_0^t e^{βs} ds by closed form against the trapezoid rule on a fine grid
    beta, t = np.array([0.05, -0.02, 0.0]), 20.0
    s = np.linspace(0, t, 200001)
    quad = [np.trapezoid(np.exp(b * s), s) for b in beta]
    np.testing.assert_allclose(synergy._integral(beta, t), quad, rtol=1e-8)
    _, fit, _ = _fit("SW837")
    a = synergy.response_additivity(fit, 25.0, 0.05, np.random.default_rng(7))
    b = synergy.response_additivity(fit, 25.0, 0.05, np.random.default_rng(7))
    assert a == b
    assert a["ci_low"] <= a["score"] <= a["ci_high"] and 0 <= a["p_value"] <= 1


def test_lme_recovers_simulated_parameters():
    """Many mice drawn from known β, ψ and σ: the REML estimates are close to them."""
    rng = np.random.default_rng(1)
    n_mice, days = 400, np.array([3.0, 7.0, 10.0, 14.0])
    arm = np.repeat(np.arange(4), n_mice // 4)
    beta = np.array([0.1, 0.07, 0.05, 0.01])
    t = np.tile(days, n_mice)
    group = np.repeat(np.arange(n_mice), len(days))
    x = np.zeros((len(t), 4))
    x[np.arange(len(t)), arm[group]] = t
    y = x @ beta + rng.normal(0, 0.02, n_mice)[group] * t + rng.normal(0, 0.15, len(t))
    fit = lme.fit(y, x, t, group)
    assert np.all(np.abs(fit.beta - beta) < 4 * np.sqrt(np.diag(fit.vcov)))
    assert fit.sd_ranef == pytest.approx(0.02, rel=0.1)
    assert fit.sigma == pytest.approx(0.15, rel=0.05)


def test_preprocessing_lists_what_it_leaves_out():
    study = _study("CR1197", time_end=75.0, min_observations=7)
    design = synergy.prepare(_measurements("CR1197"), study, study.combinations[0])
    reasons = design.exclusions["reason"]
    # zero volumes on days 71 and 75 (SynergyLMM drops zeros before it applies time_end)
    assert reasons.str.contains("cannot be log-transformed").sum() == 2
    assert reasons.str.contains("after the synergy end day set in the study file").any()
    few = design.exclusions[reasons.str.contains("fewer than synergy min_observations")]
    assert len(few) and few["day"].isna().all()
    assert not set(few["mouse_id"]) & set(design.data["mouse_id"])
    assert (design.data["day"] <= 75).all() and (design.data["time"] > 0).all()
    # a mouse without a volume at time_start is left out whole
    study = _study("SW837", time_start=6.0)
    measurements = _measurements("SW837")
    gone = measurements[~((measurements["mouse_id"] == "1") & (measurements["day"] == 6.0))]
    design = synergy.prepare(gone, study, study.combinations[0])
    whole = design.exclusions[design.exclusions["day"].isna()]
    assert list(zip(whole["arm"], whole["mouse_id"])) == [("Vehicle", "1")]
    assert whole["reason"].str.contains("no volume at synergy time_start").all()
    assert (design.exclusions["reason"].str.contains("before synergy time_start")).sum() == 24


def test_stage_tables_summary_and_cross_study_row():
    study = _study("SW837", power_simulations=20)
    tables = stages.analyse_study(study, ingest.read_source(study))
    for name in ("synergy", "synergy_model", "synergy_diagnostics", "exclusions_synergy"):
        assert list(tables[name].columns) == registry.columns(name)
    syn = tables["synergy"]
    assert set(syn["method"]) == {"bliss", "hsa", "ra"}
    assert set(syn["basis"]) == {"lmm", "tgi", "auc", "combpdx"}
    # the invivoSyn / CombPDX rows are the module's, with the study's seed and resamples
    arms = ["Vehicle", "Rabusertib", "Irinotecan", "Irinotecan + Rabusertib"]
    direct = invivosyn.invivosyn_synergy(
        tables["measurements"],
        arms,
        seed=int(study.settings["seed"]),
        n_boot=int(study.settings["bootstrap_resamples"]),
    )
    theirs = syn[syn["basis"] != "lmm"].reset_index(drop=True)
    pd.testing.assert_frame_equal(theirs[direct.columns], direct, check_dtype=False)
    assert syn.loc[syn["basis"] == "lmm", "statistic"].str.contains("SynergyLMM").all()
    powered = syn[syn["power"].notna()]
    assert set(powered["method"]) == {"bliss", "hsa"} and (powered["day"] == 24.0).all()
    model = tables["synergy_model"]
    assert list(model["role"]) == ["control", "drug_a", "drug_b", "combination"]
    np.testing.assert_allclose(model["growth_rate"], DESIGNS["SW837 none"][2]["beta"], rtol=1e-6)
    text = str(stages.run_summary(study, tables)["summary_md"])
    assert "The Irinotecan + Rabusertib combination grew at 0.00375 per day" in text
    assert (
        "expected under Bliss independence: the Bliss synergy score (−estimate/SE, a z "
        "statistic; > 0: synergy) was 1.76 (p = 0.078)" in text
    )
    # a z statistic has no interval in the prose; each index is named with its direction
    assert "synergy score was 1.76 (95% CI" not in text
    assert "SynergyLMM combination index " in text and ", < 1: synergy" in text
    # SynergyLMM (growth rate, days -1 to 24) and invivoSyn (%TGI on day 24) disagree: said
    assert "The two Bliss analyses disagree (mixed model: not significantly different" in text
    assert "the combination's %TGI on day 24 exceeded the Bliss expectation by 20.0 points" in text
    # combination index exp(est * t) with R's Bliss contrast and t = 24 - (-1) days
    assert f"combination index {np.exp(-0.01844613263 * 25):.3g}" in text
    row = summary.cross_study_rows(study, tables).set_index("arm")
    assert row.loc["Irinotecan + Rabusertib", "synergy_hsa_p"] == pytest.approx(
        0.009866938656, rel=1e-3
    )
    assert np.isnan(row.loc["Rabusertib", "synergy_bliss_score"])
    again = stages.run_synergy(study, tables).tables["synergy"]
    pd.testing.assert_frame_equal(again, syn.reset_index(drop=True), check_dtype=False)


def _study_file(tmp_path: Path, **keys) -> Path:
    raw = yaml.safe_load((STUDIES / "crownbio_SW837.yaml").read_text(encoding="utf-8"))
    raw["data"] = str(ROOT / "data" / "public" / "invivosyn_crownbio" / "SW837.csv")
    raw.update(keys)
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (
            {"combinations": [{"arm": "Irinotecan + Rabusertib", "components": ["A", "B"]}]},
            "key 'combinations/0': arm 'A' is not an arm of the study",
        ),
        (
            {"combinations": [{"arm": "Irinotecan", "components": ["Vehicle", "Rabusertib"]}]},
            "'Vehicle' is the study's control",
        ),
        ({"synergy": {"time_start": 6, "time_end": 6}}, "key 'synergy/time_end'"),
        ({"synergy": {"variance": ["by_cage"]}}, "key 'synergy/variance/0'"),
        ({"synergy": {"time_transform": "log"}}, "key 'synergy/time_transform'"),
    ],
)
def test_bad_synergy_keys_name_file_and_key(tmp_path, keys, message):
    with pytest.raises(ConfigError, match="study.yaml") as err:
        config.load_study(_study_file(tmp_path, **keys))
    assert message in str(err.value)


def test_synergy_keys_are_read():
    study = config.load_study(STUDIES / "crownbio_CR1197.yaml")
    assert study.combinations == (
        config.Combination("Palbociclib+Cetuximab", ("Cetuximab", "Palbociclib")),
    )
    assert study.synergy == config.SynergySettings()


# pwr <- function(beta, cc, tt, sd_ranef, sigma, n, alpha = 0.05) {
#   K <- length(beta); Tn <- length(tt)
#   Vi <- sigma^2 * diag(Tn) + sd_ranef^2 * tt %*% t(tt)
#   XtVX <- matrix(0, K, K)
#   for (k in 1:K) for (i in 1:n) {
#     X <- matrix(0, Tn, K); X[, k] <- tt; XtVX <- XtVX + t(X) %*% solve(Vi) %*% X }
#   lam <- drop(sum(cc * beta)^2 / (t(cc) %*% solve(XtVX) %*% cc))
#   nu <- K * n * Tn - K * n - K + 1
#   1 - pf(qf(1 - alpha, 1, nu), 1, nu, ncp = lam) }
# beta <- c(0.05894202425, 0.05773619526, 0.02339908629, 0.003747124675)  # SW837 fit
# pwr(beta, c(1, -1, -1, 1), c(7, 14, 21, 25), 0.01088419298, 0.2178416374, n)  # and HSA
@pytest.mark.parametrize(
    ("n", "bliss", "hsa"),
    [
        (3, 0.2386999265, 0.4677693669),
        (5, 0.3710242057, 0.6901550896),
        (10, 0.642812568, 0.9387450417),
    ],
)
def test_synergy_contrast_power_equals_exemplary_data_f_test(n, bliss, hsa):
    beta = np.array(DESIGNS["SW837 none"][2]["beta"])
    times = np.array([7.0, 14.0, 21.0, 25.0])
    for c, expected in ((np.array([1.0, -1, -1, 1]), bliss), (np.array([0.0, 0, -1, 1]), hsa)):
        got = power.synergy_power(n, float(c @ beta), c, times, 0.01088419298, 0.2178416374, 0.05)
        assert got == pytest.approx(expected, rel=1e-7)


def test_power_stage_adds_synergy_endpoints():
    study = dataclasses.replace(_study("SW837"), design=config.Design(simulations=0))
    tables = stages.analyse_study(study, ingest.read_source(study))
    pw, ss = tables["power"], tables["sample_size"]
    syn = pw[pw["endpoint"].isin(["synergy_bliss", "synergy_hsa"])]
    assert set(syn["endpoint"]) == {"synergy_bliss", "synergy_hsa"}
    by_design = syn.groupby(["endpoint", "follow_up_days"])["power"]
    assert by_design.apply(lambda p: p.is_monotonic_increasing).all()  # rows in n order
    model = tables["synergy_model"]
    bliss = model["growth_rate"].to_numpy() @ np.array([1.0, -1, -1, 1])
    np.testing.assert_allclose(syn.loc[syn["endpoint"] == "synergy_bliss", "effect"], bliss)
    needed = ss[ss["endpoint"].isin(["synergy_bliss", "synergy_hsa"])]
    assert len(needed) == 2 and needed["n_exact"].notna().all()
    text = str(stages.run_summary(study, tables)["summary_md"])
    assert "To detect this study's Irinotecan + Rabusertib synergy contrasts" in text


def test_synergy_figures_draw_the_tables_and_are_deterministic(tmp_path):
    from xenoflow import figures
    from xenoflow.plots.style import save_figure

    study = _study("SW837")
    out = stages.run_synergy(study, {"measurements": _measurements("SW837")})
    drawn = figures.synergy(study, out)
    fit_ax, score_ax = drawn["synergy_figure"].axes[:2]
    model = out.tables["synergy_model"]
    # one fitted line per arm, through the origin with the arm's growth rate
    lines = [ln for ln in fit_ax.get_lines() if ln.get_label() in set(model["arm"])]
    slopes = [np.polyfit(*ln.get_data(), 1)[0] for ln in lines]
    np.testing.assert_allclose(slopes, model["growth_rate"], rtol=1e-9)
    # one score series per method, one point per day, without an interval (a z statistic),
    # in the method palette, none of the arm colours
    from xenoflow.plots.style import arm_palette
    from xenoflow.plots.synergy import METHOD_STYLES

    series = [ln for ln in score_ax.get_lines() if ln.get_label() in ("Bliss", "HSA", "RA")]
    assert len(series) == 3 and not score_ax.containers
    colours = {ln.get_color() for ln in series}
    assert colours == {c for c, _, _ in METHOD_STYLES.values()}
    assert not colours & set(arm_palette(study.arm_names, study.control).values())
    # Cook's distance: no tick per mouse; the influential mice are named at their bars
    cook_ax = drawn["synergy_diagnostics_figure"].axes[2]
    assert not list(cook_ax.get_xticks())
    diag = out.tables["synergy_diagnostics"].drop_duplicates(["arm", "mouse_id"])
    named = {t.get_text() for t in cook_ax.texts}
    big = diag["cooks_distance"] > 3 * diag["cooks_distance"].mean()
    assert named == set(diag.loc[big, "mouse_id"].astype(str))
    stems = []
    for run in ("a", "b"):
        again = figures.synergy(study, out) if run == "b" else drawn
        for name, fig in again.items():
            save_figure(fig, tmp_path / f"{run}_{name}", ("svg",))
        stems.append([(tmp_path / f"{run}_{n}.svg").read_bytes() for n in sorted(again)])
    assert stems[0] == stems[1]


def test_a_combination_whose_arm_loses_every_mouse_is_named_not_fitted():
    # LS-1034: no vehicle or Rabusertib mouse has more than 4 measurements
    study = _study("LS-1034", min_observations=5)
    measurements = _measurements("LS-1034")
    out = synergy.analyse(measurements, study)
    assert out.synergy.empty and out.synergy_model.empty
    assert out.exclusions_synergy["reason"].str.contains("min_observations").any()
    text = summary.synergy_sentences(study, out.synergy_model, out.synergy)
    assert text == [
        "The Irinotecan+Rabusertib combination's mixed model could not be fitted: an arm of "
        "its design has no mouse left."
    ]
    text = summary.synergy_sentences(study, out.synergy_model, out.synergy, out.exclusions_synergy)
    assert text == [
        "The Irinotecan+Rabusertib combination's mixed model could not be fitted: arms "
        "Vehicle, Rabusertib have no mouse left after the synergy preprocessing (no positive volume at time_start, "
        "day -1, or too few measurements)."
    ]


def test_three_drug_combination():
    """SynergyLMM's three-drug Bliss contrast b5 - b2 - b3 - b4 + 2 b1 and HSA against the
    smallest single-agent rate, on SW837 with a third agent made from Rabusertib's mice."""
    m = _measurements("SW837")
    third = m[m["arm"] == "Rabusertib"].assign(
        arm="Third", volume_mm3=lambda d: d["volume_mm3"] ** 0.97
    )
    data = pd.concat([m, third], ignore_index=True)
    base = _study("SW837")
    combo = config.Combination("Irinotecan + Rabusertib", ("Rabusertib", "Irinotecan", "Third"))
    study = dataclasses.replace(base, arms=(*base.arms, config.Arm("Third")), combinations=(combo,))
    out = synergy.analyse(data, study)
    model = out.synergy_model
    assert list(model["role"]) == ["control", "drug_a", "drug_b", "drug_c", "combination"]
    b = model["growth_rate"].to_numpy()
    result = out.results[0]
    c = synergy.contrasts(result.fit, 3, result.hsa_agent)
    assert c["bliss"] @ b == pytest.approx(b[4] - b[1] - b[2] - b[3] + 2 * b[0])
    assert c["hsa"] @ b == pytest.approx(b[4] - min(b[1:4]))


# --------------------------------------------------------------------------- real shapes (issue 26)


def _run_in_study(tmp_path: Path, window: dict[str, float]) -> dict[str, pd.DataFrame]:
    """A four-arm study shaped like published ones: measurements from day -21 (run-in), zero
    volumes until each tumour took, the vehicle measured from day -14 only and ended on day 21,
    the treated arms to day 35."""
    rng = np.random.default_rng(3)
    rates = {"Vehicle": 0.12, "A": 0.08, "B": 0.07, "A + B": 0.02}
    rows = []
    for arm, rate in rates.items():
        for mouse in range(1, 6):
            take = int(rng.choice([-14, -7, -3]))
            v0 = 120 * np.exp(rng.normal(0, 0.2))
            for day in (-21, -14, -7, -3, 0, 4, 7, 11, 14, 18, 21, 25, 28, 32, 35):
                if arm == "Vehicle" and not -14 <= day <= 21:
                    continue
                noise = rng.normal(0, 0.1)
                volume = 0.0 if day < take else v0 * np.exp(rate * max(day, 0) + noise)
                rows.append((arm, f"m{mouse}", day, round(volume, 2)))
    data = pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "volume_mm3"])
    data.to_csv(tmp_path / "combo.csv", index=False)
    study = {
        "study_id": "combo",
        "data": "combo.csv",
        "control": "Vehicle",
        "arms": list(rates),
        "combinations": [{"arm": "A + B", "components": ["A", "B"]}],
        "synergy": {"power_simulations": 10, **window},
        "analysis": {"bootstrap_resamples": 100},
    }
    path = tmp_path / "combo.yaml"
    path.write_text(yaml.safe_dump(study), encoding="utf-8")
    loaded = config.load_study(path)
    tables = dict(stages.analyse_study(loaded, ingest.read_source(loaded)).items())
    tables["summary"] = pd.DataFrame({"md": [stages.run_summary(loaded, tables)["summary_md"]]})
    return tables


def test_a_real_shaped_combination_study_with_a_window_gets_every_basis(tmp_path):
    tables = _run_in_study(tmp_path, {"time_start": 0, "time_end": 28})
    assert sorted(tables["synergy"]["basis"].unique()) == ["auc", "combpdx", "lmm", "tgi"]
    assert tables["synergy"]["day"].max() <= 28
    assert len(tables["synergy_model"]) == 4
    excl = tables["exclusions_synergy"]
    assert (excl["reason"].str.contains("before synergy time_start")).any()
    assert not excl["reason"].str.contains("not fitted|not computed").any()


def test_a_real_shaped_combination_study_without_a_window_states_why_nothing_fits(tmp_path):
    # Issue 26: the synergy stage died with KeyError(0); now each analysis that cannot be
    # computed is skipped with its reason, in the exclusions and in the summary.
    tables = _run_in_study(tmp_path, {})
    assert tables["synergy"].empty and tables["synergy_model"].empty
    excl = tables["exclusions_synergy"]
    stated = excl.loc[excl["mouse_id"].isna(), "reason"].tolist()
    assert stated == [
        "combination A + B: SynergyLMM model not fitted: arms Vehicle, A, B, A + B have no mouse "
        "left after the synergy preprocessing (no positive volume at time_start, day -21, or "
        "too few measurements)",
        "invivoSyn/CombPDX not computed (all bases: no day on which all four arms have a mouse "
        "with a volume on the first day)",
    ]
    md = str(tables["summary"]["md"].iloc[0])
    assert "The A + B combination's mixed model could not be fitted: arms Vehicle, A," in md
    assert "For A + B, invivoSyn/CombPDX not computed (all bases: no day on which" in md


def test_a_model_that_cannot_be_fitted_is_skipped_with_its_reason(monkeypatch):
    study = _study("SW837")
    design = synergy.prepare(_measurements("SW837"), study, study.combinations[0])

    def singular(*args, **kwargs):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(synergy, "fit_design", singular)
    out = synergy.analyse(_measurements("SW837"), study)
    assert out.synergy_model.empty and out.results == []
    last = out.exclusions_synergy.iloc[-1]
    assert last["reason"] == (
        f"combination {design.name}: SynergyLMM model not fitted: the mixed model could not "
        "be fitted (Singular matrix)"
    )


@pytest.mark.parametrize("variance", [(), ("by_arm", "power_of_time"), ("by_mouse", "by_day")])
def test_the_exact_reml_gradient_equals_finite_differences(variance):
    # the optimiser's gradient (lme module docstring) against central differences of l_R
    study = _study("SNU-81", variance=variance)
    design = synergy.prepare(_measurements("SNU-81"), study, study.combinations[0])
    a = synergy.arrays(design.data, design.arms, study.synergy)
    problem = lme._Problem(a.y, a.x, a.t, a.group, a.variance)
    theta = np.random.default_rng(7).normal(0.0, 0.3, 1 + a.variance.n_params)
    theta[0] = -2.0
    _, grad = problem.objective_and_gradient(theta)
    numeric = np.empty_like(theta)
    for j in range(len(theta)):
        step = np.zeros_like(theta)
        step[j] = 1e-6
        numeric[j] = (problem.objective(theta + step) - problem.objective(theta - step)) / 2e-6
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5 * np.abs(numeric).max())


def test_a_refit_from_the_fit_reaches_the_cold_optimum():
    # a refit started from the whole fit (its parameters and curvature) finds the optimum a
    # cold fit from nlme's starts finds, on a reduced data set (the day-13 refit of SW837)
    study = _study("SW837", variance=("by_arm", "power_of_time"))
    design = synergy.prepare(_measurements("SW837"), study, study.combinations[0])
    whole = synergy.fit_design(design.data, design.arms, study.synergy)
    assert whole.hess_inv is not None
    part = design.data[design.data["day"] <= 13]
    warm = synergy.fit_design(part, design.arms, study.synergy, whole)
    cold = synergy.fit_design(part, design.arms, study.synergy)
    assert warm.loglik == pytest.approx(cold.loglik, abs=1e-6)
    np.testing.assert_allclose(warm.beta, cold.beta, rtol=1e-6)
    np.testing.assert_allclose(np.sqrt(np.diag(warm.vcov)), np.sqrt(np.diag(cold.vcov)), rtol=1e-4)


def test_long_synergy_steps_log_their_progress(caplog):
    study = _study("SW837", power_simulations=20)
    with caplog.at_level("INFO", logger="xenoflow.synergy"):
        synergy.analyse(_measurements("SW837"), study)
    text = caplog.text
    assert "synergy Irinotecan + Rabusertib: post-hoc power simulations: 20 to do" in text
    assert "post-hoc power simulations: 20 of 20 done" in text
    assert "refits on the data up to each day: 4 of 4 done" in text
    assert "Cook's distance, a refit without each mouse: 24 of 24 done" in text


def test_a_parameter_point_that_cannot_be_evaluated_is_worse_than_any_other():
    # the optimiser's guard: a singular XᵀV⁻¹X (here an arm column of zeros) or an overflow
    # is a point with objective 1e300 and a zero gradient, not an exception mid-line-search
    t = np.tile([1.0, 2.0, 3.0], 4)
    group = np.repeat(np.arange(4), 3)
    x = np.column_stack([t, np.zeros_like(t)])
    problem = lme._Problem(np.log1p(t), x, t, group, lme.Variance())
    value, grad = problem.objective_and_gradient(np.array([-1.0]))
    assert value == 1e300 and np.all(grad == 0)
    value, _ = problem.objective_and_gradient(np.array([800.0]))  # exp(1600) overflows
    assert value == 1e300


def _four_arm_study(mutate) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for arm, rate in {"V": 0.12, "A": 0.08, "B": 0.07, "AB": 0.02}.items():
        for mouse in range(1, 5):
            v0 = 100 * np.exp(rng.normal(0, 0.2))
            for day in (0, 3, 7, 10, 14, 17, 21):
                volume = v0 * np.exp(rate * day + rng.normal(0, 0.1))
                rows.append((arm, f"{arm}{mouse}", float(day), volume))
    data = pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "volume_mm3"])
    return mutate(data, rng)


SHAPES = {
    "combination measured twice": lambda d, r: d[(d.arm != "AB") | (d.day <= 3)],
    "combination at baseline only": lambda d, r: d[(d.arm != "AB") | (d.day == 0)],
    "control at baseline only": lambda d, r: d[(d.arm != "V") | (d.day == 0)],
    "combination regressed to 0": lambda d, r: d.assign(
        volume_mm3=np.where((d.arm == "AB") & (d.day >= 7), 0.0, d.volume_mm3)
    ),
    "one mouse per arm": lambda d, r: d[d.mouse_id.str.endswith("1")],
    "control on its own calendar": lambda d, r: d.assign(
        day=np.where(d.arm == "V", d.day + 1, d.day)
    ),
    "zero volumes at day 0": lambda d, r: d.assign(
        volume_mm3=np.where(d.day == 0, 0.0, d.volume_mm3)
    ),
    "a third of volumes missing": lambda d, r: d.assign(
        volume_mm3=np.where(r.random(len(d)) < 0.3, np.nan, d.volume_mm3)
    ),
    "two days": lambda d, r: d[d.day <= 3],
}


@pytest.mark.parametrize("variance", [(), ("by_mouse", "power_of_time")])
@pytest.mark.parametrize("window", [(None, None), (3.0, 14.0)])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_combination_studies_of_other_shapes_run_or_say_why(shape, window, variance):
    # Issue 26 item 2 as a class: on shapes a real study can have, the synergy stage never
    # dies (it died with KeyError, ZeroDivisionError, LinAlgError before); each analysis that
    # cannot be computed is skipped with its stated reason, the others still run.
    base = _study("SW837")
    study = dataclasses.replace(
        base,
        arms=tuple(config.Arm(a) for a in ("V", "A", "B", "AB")),
        control="V",
        combinations=(config.Combination("AB", ("A", "B")),),
        synergy=config.SynergySettings(
            time_start=window[0], time_end=window[1], power_simulations=5, variance=variance
        ),
    )
    out = stages.run_synergy(study, {"measurements": _four_arm_study(SHAPES[shape])})
    rows, excl = out.tables["synergy"], out.tables["exclusions_synergy"]
    stated = excl.loc[excl["mouse_id"].fillna("").astype(str) == "", "reason"].tolist()
    lmm_fitted = len(out.tables["synergy_model"]) == 4
    assert lmm_fitted or any("SynergyLMM model not fitted: " in r for r in stated), stated
    # a fitted model has day-by-day rows, or each day it did not test says why (issue 30
    # item 6a: "two days" has one measurement day after the start)
    tested = (rows["basis"] == "lmm").any()
    skipped_days = [r for r in stated if synergy.SKIPPED_DAY in r]
    assert (not lmm_fitted and not tested) or tested or skipped_days, stated
    others = set(rows["basis"]) - {"lmm"}
    for basis, name in invivosyn.BASES.items():
        assert basis in others or any(
            r.startswith("invivoSyn/CombPDX not computed") and (name in r or "all bases" in r)
            for r in stated
        ), (basis, stated)
    assert list(rows.columns) == registry.columns("synergy")


@pytest.mark.parametrize(("name", "end"), [("CR1197", 54.0), ("LS-1034", 16.0), ("SW837", 24.0)])
def test_no_synergy_past_the_last_day_every_arm_is_followed(name, end):
    # Issue 27 item 3: CR1197's vehicle is followed (half its mice or more) to day 54 and
    # LS-1034's to day 16; rates, scores and invivoSyn rows stopped at day 82 and 32 before
    study = config.load_study(STUDIES / f"crownbio_{name}.yaml")
    study = dataclasses.replace(
        study, synergy=dataclasses.replace(study.synergy, power_simulations=0)
    )
    measurements = _measurements(name)
    design = synergy.prepare(measurements, study, study.combinations[0])
    assert design.time_end == end and design.data["day"].max() <= end
    out = stages.run_synergy(study, {"measurements": measurements})
    assert out.tables["synergy"]["day"].max() <= end
    reasons = out.tables["exclusions_synergy"]["reason"]
    later = reasons.str.contains(f"after day {end:g}, the last day on which every arm")
    assert later.any() == (end < LAST_DAY[name])
    if end < LAST_DAY[name]:
        assert reasons.str.contains("outside the synergy window").any()  # invivoSyn's too


def test_day_by_day_verdicts_are_summarised_as_runs_of_days():
    from xenoflow.summary.synergy import day_runs, runs_sentence

    z = "Wald z (marginaleffects::hypotheses)"
    rows = pd.DataFrame(
        [
            # (method, day, score, p): Bliss additive, synergistic on 16-27, additive on 30
            *[("bliss", d, s, p) for d, s, p in [(2, 0.1, 0.9), (9, 1.0, 0.3)]],
            *[
                ("bliss", d, s, p)
                for d, s, p in [(16, 2.4, 0.014), (20, 2.6, 0.03), (27, 2.2, 0.02)]
            ],
            ("bliss", 30, 1.1, 0.27),
            *[("hsa", d, 3.0, 0.001) for d in (2, 9, 16, 20, 27, 30)],
        ],
        columns=["method", "day", "score", "p_value"],
    ).assign(p_method=z)
    # the t rows (same days) are not read
    rows = pd.concat([rows, rows.assign(p_method="Wald t, nlme denominator df", p_value=0.9)])
    runs = day_runs(rows, "bliss", 0.05)
    assert [(v, d) for v, d, _ in runs] == [
        ("not significantly different from additive", [2.0, 9.0]),
        ("synergistic", [16.0, 20.0, 27.0]),
        ("not significantly different from additive", [30.0]),
    ]
    assert runs[1][2] == pytest.approx(0.03)
    assert runs_sentence(rows, 0.05) == (
        "Day by day (the model refitted to the data up to each day): Bliss not significantly "
        "different from additive on days 2–9 and day 30, synergistic on days 16–27 (p ≤ 0.030)."
    )  # HSA is synergistic on every day: the whole-curve sentence says it
    assert runs_sentence(rows[rows["method"] == "hsa"], 0.05) == ""


def test_rates_of_opposite_sign_in_the_two_models_are_reconciled():
    from xenoflow.summary.synergy import rates_reconciled

    model = pd.DataFrame(
        {
            "arm": ["V", "A"],
            "growth_rate": [0.1, 0.01],
            "time_start": [-1.0, -1.0],
            "time_end": [16.0, 16.0],
        }
    )
    growth = pd.DataFrame(
        {"arm": ["V", "A"], "growth_rate_per_day": [0.1, -0.007], "model_to_day": [16.0, 16.0]}
    )
    text = rates_reconciled(model, growth)
    assert text.startswith("The synergy model's rate of A has the opposite sign")
    assert "relative to each mouse's volume on day -1, to day 16, through the origin" in text
    assert rates_reconciled(model, growth.assign(growth_rate_per_day=[0.1, 0.02])) == ""

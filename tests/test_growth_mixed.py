"""Mixed model of log volume against lme4 golden values, fallback, contrasts, rate recovery.

Golden values: R 4.2.x, lme4 (Nelder_Mead, maxfun 1e5 - the default nloptwrap stops early on
CR1197 with a convergence warning; Nelder_Mead and nlme::lme agree to 1e-9), e.g.

    d <- read.csv(f, colClasses = c(arm = "character", mouse_id = "character"))
    d <- d[d$volume_mm3 > 0, ]                      # log_zero_rule = drop
    d$arm <- factor(d$arm, levels = <study order>); d$mouse <- paste(d$arm, d$mouse_id, sep = ":")
    f <- lmer(log(volume_mm3) ~ day * arm + (day | mouse), data = d, REML = TRUE,
              control = lmerControl(optimizer = "Nelder_Mead", optCtrl = list(maxfun = 1e5)))
    logLik(f); fixef(f); sqrt(diag(vcov(f))); isSingular(f)

(``(day || mouse)`` for the uncorrelated and ``(1 | mouse)`` for the intercept-only structure).
Tolerances from issue 3: REML logLik within 1e-4, rate difference within 1e-3 relative, SE within 2%.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xenoflow import growth, mixed
from xenoflow.config import analysis_defaults

ROOT = Path(__file__).resolve().parents[1]
SIM = Path(__file__).parent / "data" / "growth" / "simulated_3arm_8mice.csv"
PUBLIC = ROOT / "data" / "public" / "invivosyn_crownbio"
ARMS = ["Vehicle", "DrugA", "DrugB"]
LLF_TOL, REL_TOL, SE_TOL = 1e-4, 1e-3, 0.02

# --- golden values (name: (estimate, se)) -----------------------------------------------------
SIM_GOLDEN = {
    "correlated": (
        71.5017147995456,
        {
            "day": (0.126389535417507, 0.00749168426607091),
            "day:armDrugA": (-0.0554920466698507, 0.0105948414940946),
            "day:armDrugB": (-0.0720597777827579, 0.0105948414940946),
        },
    ),
    "uncorrelated": (
        67.5946663858434,
        {
            "day": (0.126389535417543, 0.00764357997221937),
            "day:armDrugA": (-0.0554920466699059, 0.0108096544617962),
            "day:armDrugB": (-0.0720597777828163, 0.0108096544617962),
        },
    ),
    "intercept": (
        -33.8815447631027,
        {
            "day": (0.12638953541752, 0.00277224434185383),
            "day:armDrugA": (-0.0554920466698672, 0.00392054554646176),
            "day:armDrugB": (-0.0720597777827686, 0.00392054554646176),
        },
    ),
}
# R: L <- c(0,0,0,0,-1,1) (day:armDrugB - day:armDrugA); sum(L*fixef(f)); sqrt(t(L) %*% vcov(f) %*% L)
SIM_B_MINUS_A = (-0.0165677311129072, 0.0105948414940946)

CR1197_ARMS = ["Vehicle", "Cetuximab", "Palbociclib", "Palbociclib+Cetuximab"]
CR1197_GOLDEN = (
    -202.439419012733,
    {
        "day": (0.117181141361846, 0.0102682726055283),
        "day:armCetuximab": (-0.0508552091136854, 0.0147252122080853),
        "day:armPalbociclib": (-0.0477779768473669, 0.0142353758892105),
        "day:armPalbociclib+Cetuximab": (-0.1238404887276, 0.0134990811310322),
    },
)

# The default zero rule (issue 30 item 2): mouse 29's two zero volumes enter at the detection
# limit, half the smallest positive volume (6.19616 mm3). R: as above with
#   lod <- min(d$volume_mm3[d$volume_mm3 > 0]) / 2; d$v <- pmax(d$volume_mm3, lod)
#   f <- lmer(log(v) ~ day * arm + (day | mouse), ...)   # isSingular FALSE
CR1197_DETECTION_LIMIT = (
    -213.912104672783,
    {
        "day": (0.117190738063351, 0.0106181849649778),
        "day:armCetuximab": (-0.0508151840159658, 0.0152298311573309),
        "day:armPalbociclib": (-0.0477572943079781, 0.0147229491796836),
        "day:armPalbociclib+Cetuximab": (-0.124993610971338, 0.0139604508840053),
    },
)

LS1034_ARMS = ["Vehicle", "Rabusertib", "Irinotecan", "Irinotecan+Rabusertib"]
# (day | mouse) is singular in lme4 (isSingular TRUE, corr 1.00): logLik -253.532831734156
LS1034_CORRELATED_LLF = -253.532831734156
LS1034_INTERCEPT = (
    -253.533458436758,
    {
        "day": (0.104932206638351, 0.0178907078130156),
        "day:armRabusertib": (-0.00792667887346451, 0.0219115526395564),
        "day:armIrinotecan": (-0.122331671316975, 0.018785832479925),
        "day:armIrinotecan+Rabusertib": (-0.151413629274799, 0.0187128742395277),
    },
)


def settings() -> dict:
    return analysis_defaults()


def sim_log() -> pd.DataFrame:
    data = pd.read_csv(SIM, dtype={"arm": str, "mouse_id": str})
    return growth.log_volumes(data, settings())[0]


def crownbio(name: str, request: pytest.FixtureRequest) -> pd.DataFrame:
    """A CrownBio study from data/public (the repository copy) or ../shared as a fallback."""
    local = PUBLIC / f"{name}.csv"
    if local.is_file():
        return pd.read_csv(local, dtype={"arm": str, "mouse_id": str})
    shared = request.getfixturevalue("shared_data")
    d = pd.read_csv(
        shared / "invivosyn_crownbio" / "volumes.csv", dtype={"arm": str, "mouse_id": str}
    )
    return d[d["study"] == name][["arm", "mouse_id", "day", "volume_mm3"]]


def check_against_r(fit: mixed.MixedFit, golden: tuple[float, dict]) -> None:
    llf, coefs = golden
    assert abs(fit.llf - llf) < LLF_TOL
    for name, (est, se) in coefs.items():
        i = fit.names.index(name)
        assert fit.beta[i] == pytest.approx(est, rel=REL_TOL), name
        assert math.sqrt(fit.vcov[i, i]) == pytest.approx(se, rel=SE_TOL), name


@pytest.mark.parametrize("structure", mixed.STRUCTURES)
def test_simulated_study_matches_lme4(structure: str) -> None:
    fit = mixed.fit_structure(sim_log(), ARMS, "Vehicle", structure)
    assert fit is not None and fit.converged and not fit.singular
    check_against_r(fit, SIM_GOLDEN[structure])


def test_simulated_selected_model_and_contrasts() -> None:
    sel, fits, note = mixed.fit_mixed(sim_log(), ARMS, "Vehicle")
    assert sel.structure == "correlated" and note == ""
    assert [f.structure for f in fits] == list(mixed.STRUCTURES)
    rates = mixed.arm_rates(sel, ARMS, "Vehicle").set_index("arm")
    day, day_se = SIM_GOLDEN["correlated"][1]["day"]
    assert rates.loc["Vehicle", "growth_rate_per_day"] == pytest.approx(day, rel=REL_TOL)
    assert rates.loc["Vehicle", "growth_rate_se"] == pytest.approx(day_se, rel=SE_TOL)
    d, se = SIM_GOLDEN["correlated"][1]["day:armDrugA"]
    row = rates.loc["DrugA"]
    assert row["rate_diff_vs_control"] == pytest.approx(d, rel=REL_TOL)
    assert row["rate_diff_ci_low"] == pytest.approx(d - 1.959963984540054 * se, rel=1e-3)
    assert row["p_value"] == pytest.approx(
        2 * (1 - 0.5 * math.erfc(-abs(d / se) / math.sqrt(2))), rel=0.05
    )
    con = mixed.slope_contrasts(sel, ARMS, "Vehicle")
    ba = con[(con["arm"] == "DrugB") & (con["reference"] == "DrugA")].iloc[0]
    assert ba["estimate"] == pytest.approx(SIM_B_MINUS_A[0], rel=REL_TOL)
    assert ba["se"] == pytest.approx(SIM_B_MINUS_A[1], rel=SE_TOL)
    assert list(con["p_holm"]) == pytest.approx(list(growth.holm(con["p_value"])))


def test_gls_loglik_equals_statsmodels_loglike() -> None:
    """Our REML log-likelihood is the one statsmodels MixedLM maximises (same constant)."""
    from statsmodels.regression.mixed_linear_model import MixedLM

    logd = sim_log()
    X, _, Z, y, groups = mixed.design(logd, ARMS, "Vehicle")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = MixedLM(y, X, groups=groups, exog_re=Z).fit(reml=True, method=["bfgs"])
    _, vcov, llf = mixed.gls(X, Z, y, groups, np.asarray(res.cov_re), float(res.scale))
    assert llf == pytest.approx(res.llf, abs=1e-8)
    assert np.sqrt(np.diag(vcov))[-2:] == pytest.approx(res.bse_fe[-2:], rel=1e-3)


def test_real_study_cr1197_matches_lme4(request: pytest.FixtureRequest) -> None:
    data = crownbio("CR1197", request)
    logd, excl = growth.log_volumes(data, {**settings(), "log_zero_rule": "drop"})
    assert len(excl) == 2  # mouse 29 of the combination arm reaches 0 mm3 twice
    sel, _, note = mixed.fit_mixed(logd, CR1197_ARMS, "Vehicle")
    assert sel.structure == "correlated" and not sel.singular and note == ""
    check_against_r(sel, CR1197_GOLDEN)


def test_real_study_cr1197_zeros_at_detection_limit_match_lme4(
    request: pytest.FixtureRequest,
) -> None:
    data = crownbio("CR1197", request)
    logd, excl = growth.log_volumes(data, settings())  # default: detection_limit
    assert int(logd["floored"].sum()) == 2 and not excl["reason"].str.contains("log").any()
    assert logd.loc[logd["floored"], "volume_used_mm3"].tolist() == [6.19616, 6.19616]
    sel, _, _ = mixed.fit_mixed(logd, CR1197_ARMS, "Vehicle")
    assert sel.structure == "correlated"
    check_against_r(sel, CR1197_DETECTION_LIMIT)


def test_real_study_singular_fit_falls_back(request: pytest.FixtureRequest) -> None:
    data = crownbio("LS-1034", request)
    logd, _ = growth.log_volumes(data, settings())
    corr = mixed.fit_structure(logd, LS1034_ARMS, "Vehicle", "correlated")
    assert corr.singular
    assert abs(corr.llf - LS1034_CORRELATED_LLF) < LLF_TOL
    sel, fits, note = mixed.fit_mixed(logd, LS1034_ARMS, "Vehicle")
    assert sel.structure == "intercept"
    assert "singular" in note and "fell back to (1 | mouse)" in note
    check_against_r(sel, LS1034_INTERCEPT)


# The vehicle arm of LS-1034 is measured to day 16, the treated arms to day 32: the growth
# stage compares rates on days <= 16 only (issue 27 item 3). R 4.x, lme4:
#   d <- read.csv("LS-1034.csv"); d <- d[d$day <= 16 & d$volume_mm3 > 0, ]
#   d$arm <- factor(d$arm, levels = c("Vehicle", "Rabusertib", "Irinotecan",
#                                     "Irinotecan+Rabusertib"))
#   d$mouse <- paste(d$arm, d$mouse_id)
#   f <- lmer(log(volume_mm3) ~ day * arm + (1 + day | mouse), data = d, REML = TRUE)
#   isSingular(f)  # FALSE; logLik(f); summary(f)$coefficients
LS1034_TO_DAY_16 = (
    -187.414707189112,
    {
        "day": (0.10493220663834950, 0.0205036564143705),
        "day:armRabusertib": (-0.00792667887346308, 0.0251117480382755),
        "day:armIrinotecan": (-0.11224854705872615, 0.0254893895003311),
        "day:armIrinotecan+Rabusertib": (-0.20952521263653587, 0.0251117480382755),
    },
)


def test_rates_are_compared_within_the_controls_follow_up(request: pytest.FixtureRequest) -> None:
    data = crownbio("LS-1034", request)
    res = growth.analyse(data, settings(), LS1034_ARMS, "Vehicle")
    late = res.exclusions[res.exclusions["reason"].str.startswith("after day 16")]
    # every measurement of the treated arms on days 20, 27, 32 (11 + 12 mice, 3 days)
    assert len(late) == 69 and set(late["day"]) == {20.0, 27.0, 32.0}
    assert (res.model["random_effects"] == "(1 + day | mouse)").all()
    llf, coefs = LS1034_TO_DAY_16
    model = res.model.set_index("arm")
    assert model["reml_loglik"].iloc[0] == pytest.approx(llf, abs=LLF_TOL)
    assert model.loc["Vehicle", "growth_rate_per_day"] == pytest.approx(
        coefs["day"][0], rel=REL_TOL
    )
    for arm in LS1034_ARMS[1:]:
        est, se = coefs[f"day:arm{arm}"]
        assert model.loc[arm, "rate_diff_vs_control"] == pytest.approx(est, rel=REL_TOL), arm
    # the rate-based T/C is read on the reference day (16), not the last treated day (32)
    assert (model["tc_reference_day"] == 16).all()


def simulate(
    seed: int,
    n: int = 8,
    rates: tuple[float, ...] = (0.12, 0.08, 0.05),
    days: np.ndarray | None = None,
) -> pd.DataFrame:
    """Seeded log-linear growth with correlated random intercepts/slopes and noise."""
    days = np.arange(0, 28, 3.0) if days is None else days
    rng = np.random.default_rng(seed)
    cov = np.array([[0.3**2, 0.3 * 0.3 * 0.02], [0.3 * 0.3 * 0.02, 0.02**2]])
    rows = []
    for arm, k in zip(ARMS, rates):
        for m in range(1, n + 1):
            b = rng.multivariate_normal([0.0, 0.0], cov)
            lv = math.log(120) + b[0] + (k + b[1]) * days + rng.normal(0, 0.12, days.size)
            rows += [(arm, str(m), d, float(np.exp(v))) for d, v in zip(days, lv)]
    return pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "volume_mm3"])


def test_known_rate_difference_recovered_in_most_seeds() -> None:
    """True DrugB - Vehicle slope difference -0.07 lies in the 95% CI in >= 17 of 20 seeds."""
    covered = 0
    for seed in range(20):
        logd = growth.log_volumes(simulate(1000 + seed), settings())[0]
        fit = mixed.fit_structure(logd, ARMS, "Vehicle", "correlated", optimisers=("profiled",))
        rates = mixed.arm_rates(fit, ARMS, "Vehicle").set_index("arm")
        lo, hi = rates.loc["DrugB", ["rate_diff_ci_low", "rate_diff_ci_high"]]
        covered += lo <= -0.07 <= hi
    assert covered >= 17


def test_profiled_deviance_matches_statsmodels_everywhere() -> None:
    """The profiled REML deviance agrees with statsmodels' REML llf at arbitrary parameters."""
    from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams

    logd = sim_log()
    X, _, Z, y, groups = mixed.design(logd, ARMS, "Vehicle")
    pr = mixed.ProfiledREML(X, Z, y, groups, "correlated")
    model = MixedLM(y, X, groups=groups, exog_re=Z)
    model.reml, model.cov_pen, model.fe_pen = True, None, None
    for theta in ([1.0, 0.1, 0.2], [2.5, 0.0, 0.05], [0.3, -0.05, 0.5]):
        dev, beta, _, sigma2 = pr.solve(np.array(theta))
        lam = pr.lam(np.array(theta))
        cov = sigma2 * lam @ lam.T
        _, _, llf = mixed.gls(X, Z, y, groups, cov, sigma2)
        assert -0.5 * dev == pytest.approx(llf, abs=1e-8)
        p = MixedLMParams.from_components(beta, lam @ lam.T)
        assert model.loglike(p, profile_fe=False) == pytest.approx(llf, abs=1e-6)


def test_satterthwaite_balanced_hand_check() -> None:
    """Balanced design, between-mouse slope contrast: the LMM t equals the pooled-variance t
    on per-mouse OLS slopes and the Satterthwaite df is exactly N_mice - n_arms = 21."""
    data = pd.read_csv(SIM, dtype={"arm": str, "mouse_id": str})
    fit = mixed.fit_structure(sim_log(), ARMS, "Vehicle", "correlated")
    pm, _ = growth.fit_per_mouse(data, settings(), ARMS, alternatives=False)
    k = {a: pm.loc[pm["arm"] == a, "growth_rate_per_day"].to_numpy() for a in ARMS}
    s2 = sum(float(((x - x.mean()) ** 2).sum()) for x in k.values()) / 21
    for arm in ("DrugA", "DrugB"):
        w = {f"day:arm{arm}": 1.0}
        est, se = mixed._contrast(fit, w)
        t_pooled = (k[arm].mean() - k["Vehicle"].mean()) / math.sqrt(s2 * 2 / 8)
        assert est / se == pytest.approx(t_pooled, rel=1e-5)
        assert mixed.satterthwaite_df(fit, w) == pytest.approx(21.0, rel=1e-3)


# Satterthwaite df as lmerTest computes them, re-done with lme4 internals (lmerTest is not
# installable here):  devfun <- lmer(..., devFunOnly = TRUE); env <- environment(devfun)
#   devvp <- function(vp) {k <- length(vp); s2 <- vp[k]^2; devfun(vp[-k])
#     env$pp$ldL2() + env$pp$ldRX2() + (n-p)*log(2*pi*s2) + (env$resp$wrss() + env$pp$sqrL(1))/s2}
#   covb <- function(vp) {devfun(vp[-length(vp)]); vp[length(vp)]^2 * tcrossprod(env$pp$RXi())}
#   vp <- c(getME(f, "theta"), sigma(f)); A <- 2 * solve(lme4:::deriv12(devvp, vp)$Hessian)
#   g <- central differences of L' covb(vp) L;  df <- 2 * v^2 / (t(g) %*% A %*% g)
#   p <- 2 * pt(-abs(sum(L * fixef(f)) / sqrt(v)), df)
CR1197_SATTERTHWAITE = {
    "Cetuximab": (42.0228178206, 0.00127537819923),
    "Palbociclib": (42.0988508085, 0.00168323499597),
    "Palbociclib+Cetuximab": (38.3089821141, 3.2826727963e-11),
}


def test_satterthwaite_matches_lmertest_algorithm_in_r(request: pytest.FixtureRequest) -> None:
    # the whole study (every day), fitted as R fitted it; the growth stage itself stops at the
    # vehicle's day 54 (test_rates_are_compared_within_the_controls_follow_up)
    data = crownbio("CR1197", request)
    drop = {**settings(), "log_zero_rule": "drop"}  # R's fit left mouse 29's zeros out
    sel, _, _ = mixed.fit_mixed(growth.log_volumes(data, drop)[0], CR1197_ARMS, "Vehicle")
    rates = mixed.arm_rates(sel, CR1197_ARMS, "Vehicle").set_index("arm")
    for arm, (df, p) in CR1197_SATTERTHWAITE.items():
        assert rates.loc[arm, "df_satterthwaite"] == pytest.approx(df, rel=1e-3)
        assert rates.loc[arm, "p_value_satterthwaite"] == pytest.approx(p, rel=1e-2)
    model = growth.analyse(data, settings(), CR1197_ARMS, "Vehicle").model.set_index("arm")
    assert model.loc["Cetuximab", "p_value_small_sample_method"] == mixed.SATTERTHWAITE_LABEL
    # Welch on per-mouse slopes is reported alongside, labelled
    assert model.loc["Cetuximab", "p_value_welch"] > 0


def test_unidentifiable_random_slopes_fall_back_with_reason() -> None:
    """Two measurements per mouse: as many random effects as observations (lme4 refuses the
    fit, check.nobs.vs.nRE); the random-intercept model is used and the note says why."""
    d = pd.DataFrame(
        {
            "arm": list("CCCCTTTT"),
            "mouse_id": list("11221122"),
            "day": [0.0, 7] * 4,
            "volume_mm3": [100, 200, 120, 260, 100, 110, 90, 95.0],
        }
    )
    res = growth.analyse(d, settings(), ["C", "T"], "C")
    assert (res.model["random_effects"] == "(1 | mouse)").all()
    assert "not identifiable (8 observations <= 8 random effects)" in res.model["fallback_note"][0]
    assert list(res.fits["structure"]) == ["intercept"]

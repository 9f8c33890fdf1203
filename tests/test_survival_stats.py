"""Log-rank family, hazard ratios and study tables against R ``survival`` 3.5.3 golden values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from xenoflow import survival as sv
from xenoflow import survtests as st

# Three arms, ties inside and across arms, censoring tied with events. In R:
#   d <- data.frame(time = c(8,10,10,12,14,14,15,18,20,22, 12,14,16,16,18,20,22,25,28,30,
#                            15,18,20,22,24,26,30,30,30,30),
#                   event = c(1,1,1,1,1,0,1,1,1,0, 1,1,1,0,1,1,1,1,0,0, 1,0,1,1,1,1,0,0,0,0),
#                   arm = factor(rep(c("Control","Low","High"), each = 10),
#                                levels = c("Control","Low","High")))
TIME = np.array(
    [
        8,
        10,
        10,
        12,
        14,
        14,
        15,
        18,
        20,
        22,
        12,
        14,
        16,
        16,
        18,
        20,
        22,
        25,
        28,
        30,
        15,
        18,
        20,
        22,
        24,
        26,
        30,
        30,
        30,
        30,
    ],
    dtype=float,
)
EVENT = np.array(
    [1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0],
    dtype=float,
)
ARM = np.repeat(["Control", "Low", "High"], 10).astype(object)
ARMS = ["Control", "Low", "High"]

# For each pair (arm vs reference), dd <- subset(d, arm %in% pair); dd$x <- arm == pair[1]:
#   survdiff(Surv(time, event) ~ x, data = dd, rho = 0)$chisq
#   f <- coxph(Surv(time, event) ~ x, data = dd, ties = "efron")
#   exp(coef(f)); exp(confint(f)); summary(f)$logtest[c("test", "pvalue")]
PAIRS = {
    ("Low", "Control"): (
        2.84022197523099,
        0.406064572288795,
        0.138227518843171,
        1.19287706419125,
        2.7151422411479,
        0.0994001098505376,
    ),
    ("High", "Control"): (
        9.0608335484789,
        0.150309203455707,
        0.0378892604692146,
        0.596286556235269,
        8.39570194578671,
        0.00376109244943146,
    ),
    ("High", "Low"): (
        1.79562011062446,
        0.463166718140188,
        0.145652595991864,
        1.47284301616385,
        1.73158119213722,
        0.188209090621243,
    ),
}


def _pair(arm: str, ref: str):
    m = np.isin(ARM, [arm, ref])
    return TIME[m], EVENT[m], ARM[m], (ARM[m] == arm).astype(float)


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_logrank_and_cox_match_r(pair: tuple[str, str]) -> None:
    chisq, hr, lo, hi, lr, p = PAIRS[pair]
    t, e, g, x = _pair(*pair)
    got_chisq, df, _ = st.logrank(t, e, g, pair)
    assert df == 1
    assert got_chisq == pytest.approx(chisq, rel=1e-8)
    cox = st.cox_binary(t, e, x)
    assert cox["separation"] == 0
    for key, want in (
        ("hr", hr),
        ("hr_ci_low", lo),
        ("hr_ci_high", hi),
        ("hr_lr_chisq", lr),
        ("hr_p", p),
    ):
        # R stops at coxph.control(eps = 1e-9); ours iterates to the MLE: within 2.2e-10
        assert cox[key] == pytest.approx(want, rel=1e-9), key
    # breslow ties too: coxph(..., ties = "breslow") -> 0.419459189475087 for Low vs Control
    if pair == ("Low", "Control"):
        assert st.cox_binary(t, e, x, ties="breslow")["hr"] == pytest.approx(
            0.419459189475087, rel=1e-6
        )


def test_overall_and_trend_match_r() -> None:
    # sd <- survdiff(Surv(time, event) ~ arm, data = d, rho = 0)
    # sd$chisq = 9.97533579444218; sd$obs = 8 7 5
    # sd$exp = 3.36617787066063 6.93838292614155 9.69543920319783
    # trend, scores 1:3: u <- sum(s * (sd$obs - sd$exp)); v <- t(s) %*% sd$var %*% s
    #   u^2 / v = 9.02862069173379, pchisq(., 1, lower.tail = FALSE) = 0.00265784953876695
    table = st.logrank_table(TIME, EVENT, ARM, ARMS)
    np.testing.assert_array_equal(table.observed, [8, 7, 5])
    np.testing.assert_allclose(
        table.expected, [3.36617787066063, 6.93838292614155, 9.69543920319783], rtol=1e-12
    )
    chisq, df, _ = st.logrank(TIME, EVENT, ARM, ARMS)
    assert (chisq, df) == (pytest.approx(9.97533579444218, rel=1e-8), 2)
    chisq, p = st.logrank_trend(TIME, EVENT, ARM, ARMS)
    assert chisq == pytest.approx(9.02862069173379, rel=1e-8)
    assert p == pytest.approx(0.00265784953876695, rel=1e-8)


def test_gehan_breslow_wilcoxon_matches_lifelines() -> None:
    # lifelines.statistics.logrank_test(..., weightings="wilcoxon").test_statistic
    # (Gehan-Breslow weights = number at risk; hypergeometric variance)
    want = {
        ("Low", "Control"): 3.4705457385531586,
        ("High", "Control"): 9.136837407962261,
        ("High", "Low"): 2.3030446629546266,
    }
    for pair, chisq in want.items():
        t, e, g, _ = _pair(*pair)
        assert st.logrank(t, e, g, pair, weighting="gehan")[0] == pytest.approx(chisq, rel=1e-10)
    # multivariate_logrank_test(..., weightings="wilcoxon") = 10.985019591062832
    assert st.logrank(TIME, EVENT, ARM, ARMS, "gehan")[0] == pytest.approx(
        10.985019591062832, rel=1e-10
    )


def test_prism_hazard_ratios_by_hand() -> None:
    t, e, g, _ = _pair("High", "Control")
    table = st.logrank_table(t, e, g, ("High", "Control"))
    (o_a, o_r), (e_a, e_r), v = table.observed, table.expected, table.var[0, 0]
    got = st.hazard_ratios_logrank(t, e, g, "High", "Control")
    z = 1.959963984540054
    assert got["hr_mh"] == pytest.approx(math.exp((o_a - e_a) / v), rel=1e-12)
    assert got["hr_mh_ci_high"] == pytest.approx(math.exp((o_a - e_a) / v + z / math.sqrt(v)))
    hr = (o_a / e_a) / (o_r / e_r)
    assert got["hr_logrank"] == pytest.approx(hr, rel=1e-12)
    assert got["hr_logrank_ci_low"] == pytest.approx(
        hr * math.exp(-z * math.sqrt(1 / e_a + 1 / e_r)), rel=1e-12
    )


SEP_T = [5, 6, 7, 8, 10, 12, 14, 16]
SEP_E = [1, 1, 1, 1, 1, 1, 0, 0]
SEP_X = [0, 0, 0, 0, 1, 1, 1, 1]


def test_complete_separation_is_flagged_and_firth_matches_r() -> None:
    # coxph(Surv(t, e) ~ x, ties = "efron") warns and stops at coef -22.1 (HR ~ 2.5e-10)
    assert st.separation(SEP_T, SEP_E, SEP_X) == -1
    assert st.separation(SEP_T, SEP_E, [1 - v for v in SEP_X]) == 1
    cox = st.cox_binary(SEP_T, SEP_E, SEP_X)
    assert math.isnan(cox["hr"]) and cox["separation"] == -1
    # Firth: maximise l(b) + 0.5 log I(b) from R coxph pieces (Breslow ties):
    #   pl <- function(b) { f <- coxph(Surv(t, e) ~ x, init = b, ties = "breslow",
    #                                  control = coxph.control(iter.max = 0))
    #                      f$loglik[2] + 0.5 * log(1 / f$var[1, 1]) }
    #   o <- optimize(pl, c(-20, 20), maximum = TRUE, tol = 1e-12); profile CI by uniroot on
    #   o$objective - pl(b) - qchisq(.95, 1) / 2; p = pchisq(2 (o$objective - pl(0)), 1, lower = F)
    #   -> 0.0524340481973 0.000387199689868 0.535291048262 0.00950872926242
    firth = st.cox_firth(SEP_T, SEP_E, SEP_X)
    assert firth["hr_firth"] == pytest.approx(0.0524340481973, rel=1e-6)
    assert firth["hr_firth_ci_low"] == pytest.approx(0.000387199689868, rel=1e-6)
    assert firth["hr_firth_ci_high"] == pytest.approx(0.535291048262, rel=1e-6)
    assert firth["hr_firth_p"] == pytest.approx(0.00950872926242, rel=1e-6)
    # same recipe on High vs Control -> 0.171395126358 0.0404335445607 0.589145319638
    t, e, _, x = _pair("High", "Control")
    firth = st.cox_firth(t, e, x)
    assert firth["hr_firth"] == pytest.approx(0.171395126358, rel=1e-6)
    assert firth["hr_firth_ci_high"] == pytest.approx(0.589145319638, rel=1e-6)


def test_separation_row_in_table() -> None:
    ep = pd.DataFrame(
        {
            "arm": ["C"] * 4 + ["T"] * 4,
            "mouse_id": list("12341234"),
            "time_days": SEP_T,
            "event": SEP_E,
            "endpoint_rule": "recorded",
        }
    )
    row = sv.comparisons(ep, ["C", "T"], "C").iloc[0]
    assert math.isnan(row["hr"]) and math.isnan(row["hr_ci_low"])
    assert "complete separation" in row["hr_flag"] and "tends to 0" in row["hr_flag"]
    # survdiff(Surv(t, e) ~ x)$chisq = 7.34440681471523
    assert row["logrank_chisq"] == pytest.approx(7.34440681471523, rel=1e-8)
    assert row["hr_firth"] == pytest.approx(0.0524340481973, rel=1e-6)
    # no events at all
    ep["event"] = 0
    row = sv.comparisons(ep, ["C", "T"], "C").iloc[0]
    assert row["hr_flag"].startswith("no events")


def test_median_ratio_prism() -> None:
    ratio, lo, hi = st.median_ratio_ci(26.0, 14.5, 5, 8)
    half = 1.959963984540054 * math.sqrt(1 / 5 + 1 / 8)
    assert ratio == pytest.approx(26 / 14.5)
    assert lo == pytest.approx(26 / 14.5 * math.exp(-half))
    assert hi == pytest.approx(26 / 14.5 * math.exp(half))
    assert all(math.isnan(v) for v in st.median_ratio_ci(float("nan"), 14.5, 2, 8))


def test_holm_matches_p_adjust() -> None:
    # p.adjust(c(0.0919318, 0.00261, 0.180243), "holm") -> 0.1838636 0.0078300 0.1838636
    np.testing.assert_allclose(
        st.holm([0.0919318, 0.00261, 0.180243]), [0.1838636, 0.00783, 0.1838636], rtol=1e-6
    )
    out = st.holm([0.01, float("nan"), 0.04])
    assert math.isnan(out[1]) and out[0] == pytest.approx(0.02) and out[2] == pytest.approx(0.04)


def _endpoints() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "arm": ARM,
            "mouse_id": [str(i % 10 + 1) for i in range(30)],
            "time_days": TIME,
            "event": EVENT.astype(int),
            "endpoint_rule": "recorded",
        }
    )


def test_study_tables() -> None:
    # s <- summary(survfit(Surv(time, event) ~ arm, data = d), rmean = 22)$table
    #   Control 10 8 14.5 10 NA 14.775 / Low 10 7 20 16 NA 18.9 / High 10 5 26 22 NA 21.075
    out = sv.analyse(_endpoints(), ARMS, "Control")
    per_arm = out.survival
    assert list(per_arm.columns) == sv.PER_ARM_COLUMNS
    assert per_arm["arm"].tolist() == ARMS
    assert per_arm["n"].tolist() == [10, 10, 10] and per_arm["events"].tolist() == [8, 7, 5]
    assert per_arm["median_days"].tolist() == [14.5, 20, 26]
    assert per_arm["median_ci_low"].tolist() == [10, 16, 22]
    assert per_arm["median_ci_high"].isna().all()
    np.testing.assert_allclose(per_arm["rmst_days"], [14.775, 18.9, 21.075], rtol=1e-12)
    assert (per_arm["rmst_horizon_days"] == 22).all()
    # reverse KM: summary(survfit(Surv(time, 1 - event) ~ arm, data = d))$table[, "median"]
    assert per_arm["median_followup_days"].tolist() == [22, 28, 30]
    tests = out.survival_tests
    assert list(tests.columns) == sv.TEST_COLUMNS
    assert list(zip(tests["arm"], tests["reference"], tests["comparison"])) == [
        ("Low", "Control", "vs control"),
        ("High", "Control", "vs control"),
        ("High", "Low", "between treated"),
    ]
    np.testing.assert_allclose(tests["logrank_chisq"], [v[0] for v in PAIRS.values()], rtol=1e-8)
    np.testing.assert_allclose(tests["p_holm"], st.holm(tests["logrank_p"]), rtol=1e-12)
    # the control's curve is flat at exactly 50% (days 14 to 15; R quotes the midpoint 14.5):
    # no unique median, so no ratio of medians against it
    assert per_arm["median_unique"].tolist() == [False, True, True]
    assert "flat at exactly 50% from day 14 to day 15" in per_arm["note"].iloc[0]
    assert tests["median_increase_pct"].iloc[:2].isna().all()
    assert tests["note"].iloc[1].startswith("no ratio of medians: the median of Control")
    assert tests["median_increase_pct"].iloc[2] == pytest.approx(100 * (26 / 20 - 1))
    overall = out.survival_overall.set_index("test")
    assert overall.loc["logrank_overall", "chisq"] == pytest.approx(9.97533579444218, rel=1e-8)
    assert overall.loc["logrank_trend", "chisq"] == pytest.approx(9.02862069173379, rel=1e-8)
    assert overall.loc["logrank_trend", "scores"] == "1 2 3"


def test_no_endpoint_and_two_arms() -> None:
    out = sv.analyse(None, ARMS, "Control")
    assert out.survival_per_mouse.empty and out.survival.empty and out.survival_tests.empty
    assert "no survival endpoint" in out.survival_overall["note"].iloc[0]
    two = _endpoints()[lambda d: d["arm"] != "High"]
    out = sv.analyse(two, ARMS, "Control")
    assert out.survival["arm"].tolist() == ARMS  # High listed with n = 0
    assert out.survival["n"].tolist() == [10, 10, 0]
    assert len(out.survival_tests) == 1
    assert "fewer than 3 arms" in out.survival_overall["note"].iloc[0]


@pytest.mark.shared
def test_tumgrowth_testos_first_above_250(shared_data) -> None:
    """Real data: TumGrowth's TestOS example, endpoint = first size > 250.

    R (independent derivation of the endpoints, then survival 3.5.3):
      m <- read.csv(".../tumgrowth_kroemer/measurements_long.csv"); m <- m[m$study == "TestOS", ]
      per mouse: first day with value > 250 (event) else last day (censored)
      ep$arm <- factor(ep$arm, levels = c("IC.WT", "aC.WT", "IC.KO", "aC.KO"))
      summary(survfit(Surv(time, event) ~ arm, data = ep), rmean = 28)$table
      survdiff(Surv(time, event) ~ arm, data = ep)$chisq; trend with scores 1:4
      per arm vs IC.WT: survdiff(...)$chisq; coxph(..., ties = "efron")
    """
    raw = pd.read_csv(
        shared_data / "tumgrowth_kroemer" / "measurements_long.csv",
        dtype={"mouse_id": str, "arm": str},
    )
    raw = raw[raw["study"] == "TestOS"]
    meas = raw.rename(columns={"value": "volume_mm3"})[["arm", "mouse_id", "day", "volume_mm3"]]
    arms = ["IC.WT", "aC.WT", "IC.KO", "aC.KO"]
    ep = sv.endpoints_from_volumes(meas, 250)
    ep = ep.assign(_o=ep["arm"].map(arms.index)).sort_values(["_o", "mouse_id"]).drop(columns="_o")
    assert ep["time_days"].tolist() == [
        21,
        18,
        24,
        18,
        35,
        28,
        44,
        44,
        21,
        44,
        44,
        28,
        15,
        9,
        15,
        28,
        18,
        15,
        44,
        21,
        28,
        18,
        15,
        44,
    ]
    assert ep["event"].tolist() == [
        1,
        1,
        1,
        1,
        1,
        1,
        0,
        0,
        1,
        0,
        0,
        1,
        1,
        1,
        1,
        1,
        1,
        0,
        0,
        1,
        1,
        0,
        1,
        1,
    ]
    out = sv.analyse(ep, arms, "IC.WT")
    per_arm = out.survival.set_index("arm")
    assert per_arm["events"].tolist() == [6, 2, 5, 4]
    np.testing.assert_array_equal(per_arm["median_days"], [22.5, np.nan, 16.5, 28])
    np.testing.assert_array_equal(per_arm["median_ci_low"], [18, 28, 15, 21])
    assert per_arm["median_ci_high"].isna().all()
    np.testing.assert_allclose(
        per_arm["rmst_days"], [22.8333333333333, 26.8333333333333, 18.0, 24.375], rtol=1e-12
    )
    assert (per_arm["rmst_horizon_days"] == 28).all()
    overall = out.survival_overall.set_index("test")
    assert overall.loc["logrank_overall", "chisq"] == pytest.approx(12.330675637044, rel=1e-8)
    assert overall.loc["logrank_trend", "chisq"] == pytest.approx(0.000912614005472283, rel=1e-8)
    tests = out.survival_tests.set_index(["arm", "reference"])
    want = {
        "aC.WT": (
            5.77097525739803,
            0.171150300734732,
            0.0334921081958037,
            0.874606796034991,
            0.0204458266989882,
        ),
        "IC.KO": (
            1.78260683184208,
            2.32339346485314,
            0.65144561046837,
            8.28642806978338,
            0.19975562433129,
        ),
        "aC.KO": (
            1.61123898871087,
            0.42151783098674,
            0.104067771993805,
            1.70732281892556,
            0.210861069958681,
        ),
    }
    for arm, (chisq, hr, lo, hi, p) in want.items():
        row = tests.loc[(arm, "IC.WT")]
        assert row["logrank_chisq"] == pytest.approx(chisq, rel=1e-8)
        assert row["hr"] == pytest.approx(hr, rel=1e-4)
        assert row["hr_ci_low"] == pytest.approx(lo, rel=1e-4)
        assert row["hr_ci_high"] == pytest.approx(hi, rel=1e-4)
        assert row["hr_p"] == pytest.approx(p, rel=1e-4)
    assert len(out.survival_tests) == 3 + 3  # 3 vs control + 3 between treated arms


def test_peto_weighting_equals_r_rho_1() -> None:
    # survdiff(Surv(time, event) ~ arm, data = d, rho = 1)$chisq = 11.0056810321445
    # dd <- subset(d, arm %in% c("Low", "Control")); survdiff(..., data = dd, rho = 1)$chisq
    #   = 3.50023108035471
    assert st.logrank(TIME, EVENT, ARM, ARMS, "peto")[0] == pytest.approx(
        11.0056810321445, rel=1e-8
    )
    t, e, g, _ = _pair("Low", "Control")
    assert st.logrank(t, e, g, ("Low", "Control"), "peto")[0] == pytest.approx(
        3.50023108035471, rel=1e-8
    )
    with pytest.raises(ValueError):
        st.logrank(TIME, EVENT, ARM, ARMS, "tarone")


def _naive_cox_terms(beta, time, event, x, ties):
    """Textbook loop over event times (Therneau & Grambsch 2000 §3.3), the reference for the
    vectorised :func:`xenoflow.survtests._cox_terms`."""
    import math

    ll = score = info = dinfo = 0.0
    w = np.exp(x * beta)
    for t in np.unique(time[event == 1]):
        risk, dead = time >= t, (time == t) & (event == 1)
        d = int(dead.sum())
        s = [np.sum(w[risk] * x[risk] ** k) for k in range(4)]
        sd = [np.sum(w[dead] * x[dead] ** k) for k in range(4)]
        ll += beta * x[dead].sum()
        score += x[dead].sum()
        for r in range(d):
            f = r / d if ties == "efron" else 0.0
            a0, a1, a2, a3 = (s[k] - f * sd[k] for k in range(4))
            m1, m2, m3 = a1 / a0, a2 / a0, a3 / a0
            ll -= math.log(a0)
            score -= m1
            info += m2 - m1 * m1
            dinfo += m3 - 3 * m1 * m2 + 2 * m1**3
    return ll, score, info, dinfo


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("seed", range(5))
def test_cox_terms_equal_textbook_loop(ties, seed):
    rng = np.random.default_rng(seed)
    n = 40
    time = rng.integers(1, 12, n).astype(float)  # many ties
    event = (rng.random(n) < 0.7).astype(float)
    x = (rng.random(n) < 0.5).astype(float)
    for beta in (-1.3, 0.0, 0.7):
        ours = st._cox_terms(beta, time, event, x, ties)
        ref = _naive_cox_terms(beta, time, event, x, ties)
        assert ours == pytest.approx(ref, rel=1e-12, abs=1e-12)


def test_cox_on_400_subjects_with_heavy_ties_equals_r():
    """Large tied data (342 events on 66 distinct times), where a non-vectorised Newton with
    step halving used to stop early. R 4.2.2, survival 3.5.3:
        i <- 0:399
        d <- data.frame(time = (i * 37) %% 61 + 1, event = as.integer((i * 11) %% 7 != 0),
                        x = as.integer(((i * 13) %% 5) < 2))
        d$time <- d$time + ifelse(d$x == 1, (i %% 9), 0)
        f <- coxph(Surv(time, event) ~ x, data = d, ties = "efron")
        sprintf("%.12g", c(exp(coef(f)), exp(confint(f)), summary(f)$logtest[c("test", "pvalue")]))
        exp(coef(coxph(Surv(time, event) ~ x, data = d, ties = "breslow")))
    """
    i = np.arange(400)
    x = (((i * 13) % 5) < 2).astype(float)
    time = ((i * 37) % 61 + 1 + np.where(x == 1, i % 9, 0)).astype(float)
    event = (((i * 11) % 7) != 0).astype(float)
    cox = st.cox_binary(time, event, x)
    expected = {
        "hr": 0.871033177601,
        "hr_ci_low": 0.698686640736,
        "hr_ci_high": 1.08589280551,
        "hr_lr_chisq": 1.52125310082,
        "hr_p": 0.217429960193,
    }
    for key, value in expected.items():
        assert cox[key] == pytest.approx(value, rel=1e-9), key
    assert st.cox_binary(time, event, x, ties="breslow")["hr"] == pytest.approx(
        0.876915561863, rel=1e-9
    )


# ------------------------------------------------------------------ lifelines against R's numbers


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_lifelines_logrank_gives_r_chisq(pair: tuple[str, str]) -> None:
    """lifelines' log-rank is R's number here (survdiff calls above); st.logrank is kept for
    speed (~100 x faster, see the survtests module docstring) and for the cases below."""
    logrank_test = pytest.importorskip("lifelines.statistics").logrank_test
    multivariate_logrank_test = pytest.importorskip(
        "lifelines.statistics"
    ).multivariate_logrank_test
    t, e, _, x = _pair(*pair)
    a, b = x == 1, x == 0
    assert logrank_test(t[a], t[b], e[a], e[b]).test_statistic == pytest.approx(
        PAIRS[pair][0], rel=1e-10
    )
    assert multivariate_logrank_test(TIME, ARM, EVENT).test_statistic == pytest.approx(
        9.97533579444218, rel=1e-10
    )


def test_lifelines_logrank_differs_from_r_without_expected_events() -> None:
    """R drops a group with no expected events (and gives no p without events); lifelines does
    not, so its df and p differ from R's.

    d <- data.frame(t = c(5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3),
                    e = c(1, 1, 0, 1, 1, 0, 1, 0, 0, 0, 0), g = rep(c("a","b","c"), c(4,4,3)))
    s <- survdiff(Surv(t, e) ~ g, data = d)  # group c: all censored before the first event
    s$chisq = 5.347771891555 on 1 df, s$pvalue = 0.0207487690622763
    survdiff(Surv(1:4, c(0,0,0,0)) ~ c("a","a","b","b"))$pvalue -> NaN (chisq 0 on -1 df)
    survdiff(Surv(time, event) ~ arm, data = d, rho = 1)$chisq = 11.0056810321445 (d above)
    """
    logrank_test = pytest.importorskip("lifelines.statistics").logrank_test
    multivariate_logrank_test = pytest.importorskip(
        "lifelines.statistics"
    ).multivariate_logrank_test
    t = np.array([5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3], dtype=float)
    e = np.array([1, 1, 0, 1, 1, 0, 1, 0, 0, 0, 0], dtype=float)
    g = np.array(list("aaaabbbbccc"), dtype=object)
    chisq, df, p = st.logrank(t, e, g, ["a", "b", "c"])
    assert (chisq, df) == (pytest.approx(5.347771891555, rel=1e-10), 1)
    assert p == pytest.approx(0.0207487690622763, rel=1e-10)
    theirs = multivariate_logrank_test(t, g, e)
    assert theirs.test_statistic == pytest.approx(5.347771891555, rel=1e-10)  # same chi-square
    assert theirs.degrees_of_freedom == 2  # R: 1
    assert abs(theirs.p_value / 0.0207487690622763 - 1) > 1  # lifelines 0.30: 0.0690
    # no events at all: R's p is NaN, lifelines' 1
    assert math.isnan(st.logrank([1, 2, 3, 4], [0] * 4, np.array(list("aabb"), object))[2])
    assert logrank_test([1, 2], [3, 4], [0, 0], [0, 0]).p_value == 1
    # lifelines' "peto" weights are not R's rho = 1 (ours are)
    peto = multivariate_logrank_test(TIME, ARM, EVENT, weightings="peto").test_statistic
    assert abs(peto / 11.0056810321445 - 1) > 1e-3  # lifelines 0.30: 10.9505


def test_lifelines_cox_differs_from_r() -> None:
    """Why cox_binary is own code: lifelines' CoxPHFitter (Efron) stops short of R's coxph.

    R calls: PAIRS above (High vs Control: exp(coef(f)) = 0.150309203455707) and
    test_cox_on_400_subjects_with_heavy_ties_equals_r (exp(coef(f)) = 0.871033177601).
    Ours is within 1e-9 of both; lifelines 0.30 is 3.6e-7 and 2.1e-8 away, which changes the
    tables' 10-significant-digit output. Under complete separation R warns and stops at a
    huge coefficient, lifelines at another one; ours flags it (test above).
    """
    CoxPHFitter = pytest.importorskip("lifelines").CoxPHFitter
    t, e, _, x = _pair("High", "Control")
    r_hr = PAIRS[("High", "Control")][1]
    assert st.cox_binary(t, e, x)["hr"] == pytest.approx(r_hr, rel=1e-9)
    cph = CoxPHFitter().fit(pd.DataFrame({"t": t, "e": e, "x": x}), "t", "e")
    assert abs(cph.hazard_ratios_["x"] / r_hr - 1) > 1e-8
    i = np.arange(400)
    x = (((i * 13) % 5) < 2).astype(float)
    time = ((i * 37) % 61 + 1 + np.where(x == 1, i % 9, 0)).astype(float)
    event = (((i * 11) % 7) != 0).astype(float)
    assert st.cox_binary(time, event, x)["hr"] == pytest.approx(0.871033177601, rel=1e-9)
    cph = CoxPHFitter().fit(pd.DataFrame({"t": time, "e": event, "x": x}), "t", "e")
    assert abs(cph.hazard_ratios_["x"] / 0.871033177601 - 1) > 1e-9


def test_every_event_at_one_time_is_no_test() -> None:
    """Issue 30 item 6: every mouse of both arms reaches the endpoint at the first visit (all
    at risk have the event): the log-rank variance is 0 and R stops,
    ``survdiff(Surv(t, e) ~ g, data.frame(t = rep(3, 8), e = 1, g = rep(c("a", "b"), each =
    4)))``: "system is exactly singular". No chi-square or p is given, and the study's
    survival tables are still made."""
    time, event = np.full(8, 3.0), np.ones(8)
    group = np.array(["a"] * 4 + ["b"] * 4)
    chisq, df, p = st.logrank(time, event, group, ("a", "b"))
    assert math.isnan(chisq) and df == 1 and math.isnan(p)
    endpoints = pd.DataFrame(
        {
            "arm": group,
            "mouse_id": [str(i) for i in range(8)],
            "time_days": time,
            "event": event.astype(int),
            "endpoint_rule": "first_above 500 mm3",
        }
    )
    out = sv.analyse(endpoints, ["a", "b"], "a", 0.05)
    row = out.survival_tests.set_index("arm").loc["b"]
    assert math.isnan(row["logrank_p"])
    assert row["note"] == f"no log-rank test of b against a: {sv.NO_LOGRANK}"

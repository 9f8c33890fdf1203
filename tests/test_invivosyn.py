"""invivoSyn / CombPDX synergy: hand-computed cases, R golden values, invivoSyn's own data.

Golden values (``R_GOLDEN``) come from base R 4.2.2 implementing the invivoSyn formulas
(maobinchen/invivoSyn @ 7dcab78: ``R/read_tv.R`` expand_tv, ``R/efficacy.R`` getTGI/get_AUC,
``R/synergy.R`` TGI_synergy/bs_AUC_synergy/CombPDX_CI/bs_global_CI; the package itself is not
installed). Call: ``Rscript golden.R data/public/invivosyn_crownbio/SW837.csv
'Vehicle|Rabusertib|Irinotecan|Irinotecan + Rabusertib' 24`` (and CR1197.csv
``'Vehicle|Cetuximab|Palbociclib|Palbociclib+Cetuximab' 57``; the AUC lines of CR1197 with
all data from the same call with 82, of SNU-81.csv with 35) with golden.R::

    args <- commandArgs(TRUE); f <- args[1]; arms <- strsplit(args[2], "|", fixed = TRUE)[[1]]
    sel <- as.numeric(args[3])                      # study day
    tv <- read.csv(f, colClasses = c("character", "character", "numeric", "numeric"))
    tv <- tv[tv$arm %in% arms, ]
    tv$Group <- match(tv$arm, arms); tv$Mouse <- paste(tv$arm, tv$mouse_id)
    tv$Day <- tv$day - min(tv$day)                  # expand_tv: Day - min(Day)
    b <- tv[tv$Day == 0, c("Mouse", "volume_mm3")]; names(b)[2] <- "TV0"
    tv <- merge(tv, b, by = "Mouse")
    tv$TV <- tv$volume_mm3; tv$logTV <- log(tv$TV + 1)
    tv$RTV <- ifelse(tv$TV0 == 0, NA, tv$TV / tv$TV0); tv$DeltaTV <- tv$TV - tv$TV0
    d <- sel - min(read.csv(f)$day[read.csv(f)$arm %in% arms])
    out <- function(name, x) cat(sprintf("%s %.15g\n", name, x))
    for (v in c("DeltaTV", "RTV")) {                # getTGI + TGI_synergy point estimates
      day <- tv[tv$Day == d & !is.na(tv[[v]]), ]
      m <- tapply(day[[v]], day$Group, mean); tgi <- 1 - m[2:4] / m[1]
      for (meth in c("Bliss", "HSA", "RA")) {
        e <- switch(meth, Bliss = 1 - prod(1 - tgi[1:2]), HSA = max(tgi[1:2]), RA = sum(tgi[1:2]))
        out(paste("tgi", v, meth, "score"), 100 * (tgi[3] - e))
        out(paste("tgi", v, meth, "logci"), log(tgi[3] / e))
      }
    }
    trapz <- function(x, y) sum(diff(x) * (y[-1] + y[-length(y)]) / 2)
    auc <- do.call(rbind, lapply(split(tv[tv$Day <= d, ], tv$Mouse[tv$Day <= d]), function(df) {
      df <- df[order(df$Day), ]; n1 <- nrow(df); k <- NA
      if (n1 > 1) { s <- df$Day[n1] - df$Day[1]
        k <- 2 * (trapz(df$Day, df$logTV) - trapz(df$Day, rep(df$logTV[1], n1))) / s^2 }
      data.frame(Mouse = df$Mouse[1], Group = df$Group[1], AUC = k)}))
    for (mo in c("Vehicle 1", "Irinotecan + Rabusertib 22", "Palbociclib+Cetuximab 29"))
      if (mo %in% auc$Mouse) out(paste("k", gsub(" ", "_", mo)), auc$AUC[auc$Mouse == mo])
    ok <- !is.na(auc$AUC); km <- tapply(auc$AUC[ok], auc$Group[ok], mean); s <- exp((km - km[1]) * 21)
    for (meth in c("Bliss", "HSA", "RA")) {           # bs_AUC_synergy on the original sample
      e <- switch(meth, Bliss = prod(s[2:3]), HSA = min(s[2:3]), RA = sum(1 - s[2:3]))
      out(paste("auc", meth, "CI"), s[4] / e); out(paste("auc", meth, "SS"), 100 * (e - s[4]))
    }
    first <- min(read.csv(f)$day); days <- sort(unique(tv$Day[tv$Day > 0 & tv$Day <= d])); gci <- list()
    for (dd in days) {                              # CombPDX_CI per day
      x <- tv[tv$Day == dd & !is.na(tv$RTV), ]; if (length(unique(x$Group)) < 4) next
      R <- tapply(x$RTV, x$Group, mean); n <- tapply(x$RTV, x$Group, length)
      V <- tapply(x$RTV, x$Group, var); gi <- ifelse(R[2] < R[3], 2, 3)
      for (meth in c("Bliss", "HSA", "RA")) {
        ci <- switch(meth, Bliss = log(R[2]) + log(R[3]) - log(R[1]) - log(R[4]),
                     HSA = log(R[gi]) - log(R[4]), RA = log(R[2] + R[3]) - log(R[1] + R[4]))
        vr <- switch(meth, Bliss = sum(V / (n * R^2)),
                     HSA = V[gi] / (n[gi] * R[gi]^2) + V[4] / (n[4] * R[4]^2),
                     RA = (V[2] / n[2] + V[3] / n[3]) / (R[2] + R[3])^2 +
                          (V[1] / n[1] + V[4] / n[4]) / (R[1] + R[4])^2)
        out(paste("daily", dd + first, meth, "logci"), ci)
        out(paste("daily", dd + first, meth, "se"), sqrt(vr))
        out(paste("daily", dd + first, meth, "p"), 1 - pnorm(ci, sd = sqrt(vr)))
        gci[[meth]] <- c(gci[[meth]], ci)
      }
    }
    for (meth in names(gci)) out(paste("global", meth), mean(gci[[meth]]))  # HSA best arm per day

The bootstrap draws of R's ``boot`` cannot be reproduced in numpy, so the bootstrap parts are
checked for seeded determinism, coverage of the point estimate, and a bootstrap SE close to
the delta-method SE.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from xenoflow import invivosyn as iv
from xenoflow.errors import InputError, NotEstimable

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = ROOT / "data" / "public" / "invivosyn_crownbio"
SW837_ARMS = ["Vehicle", "Rabusertib", "Irinotecan", "Irinotecan + Rabusertib"]
CR1197_ARMS = ["Vehicle", "Cetuximab", "Palbociclib", "Palbociclib+Cetuximab"]
TINY_ARMS = ["C", "A", "B", "AB"]


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(PUBLIC / f"{name}.csv", dtype={"arm": str, "mouse_id": str})


def _tiny() -> pd.DataFrame:
    # two mice per arm, volumes on days 0 and 10 (mouse ids repeat across arms)
    volumes = {
        ("C", "1"): (100, 300),
        ("C", "2"): (100, 500),
        ("A", "1"): (100, 250),
        ("A", "2"): (100, 250),
        ("B", "1"): (100, 200),
        ("B", "2"): (200, 500),
        ("AB", "1"): (100, 100),
        ("AB", "2"): (100, 150),
    }
    rows = [
        (arm, mouse, float(day), float(v))
        for (arm, mouse), vs in volumes.items()
        for day, v in zip((0, 10), vs)
    ]
    return pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "volume_mm3"])


def _rows(result: pd.DataFrame, basis: str, statistic_prefix: str) -> pd.DataFrame:
    picked = result[
        (result["basis"] == basis) & result["statistic"].str.startswith(statistic_prefix)
    ]
    return picked.set_index("method")


@pytest.fixture(scope="module")
def tiny_result() -> pd.DataFrame:
    return iv.invivosyn_synergy(_tiny(), TINY_ARMS, seed=5, n_boot=200)


def test_columns_and_row_layout(tiny_result: pd.DataFrame) -> None:
    assert list(tiny_result.columns) == [
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
    # tgi: 2 statistics x 3 methods; auc: 2 x 3; combpdx: 1 day x 3 + global x 3
    assert tiny_result["basis"].value_counts().to_dict() == {"tgi": 6, "auc": 6, "combpdx": 6}
    assert tiny_result["day"].dtype == float and set(tiny_result["day"]) == {10.0}
    assert "200 resamples" in tiny_result["p_method"].iloc[0]


def test_tgi_synergy_by_hand(tiny_result: pd.DataFrame) -> None:
    # ΔTV on day 10: C (200, 400) mean 300; A (150, 150) 150; B (100, 300) 200; AB (0, 50) 25
    # TGI_A = 1 - 150/300 = 1/2, TGI_B = 1 - 200/300 = 1/3, TGI_AB = 1 - 25/300 = 11/12
    # Bliss expected 1 - (1/2)(2/3) = 2/3: score 100(11/12 - 8/12) = 25, log CI ln(11/8)
    # HSA expected 1/2: 100(11/12 - 6/12) = 125/3, ln(11/6); RA 5/6: 25/3, ln(11/10)
    score = _rows(tiny_result, "tgi", "TGI_combo - TGI_expected")
    log_ci = _rows(tiny_result, "tgi", "log(TGI_combo")
    expected = {"bliss": (25.0, 11 / 8), "hsa": (125 / 3, 11 / 6), "ra": (25 / 3, 11 / 10)}
    for method, (ss, ratio) in expected.items():
        assert score.loc[method, "score"] == pytest.approx(ss, rel=1e-12)
        assert log_ci.loc[method, "score"] == pytest.approx(math.log(ratio), rel=1e-12)
    assert "TGI from ΔTV" in score.loc["bliss", "statistic"]


def test_tgi_on_rtv_by_hand() -> None:
    # RTV on day 10: C (3, 5) mean 4; A (2.5, 2.5) 2.5; B (2, 2.5) 2.25; AB (1, 1.5) 1.25
    # TGI_A = 1 - 2.5/4 = 3/8, TGI_B = 1 - 2.25/4 = 7/16, TGI_AB = 1 - 1.25/4 = 11/16
    # Bliss expected 1 - (5/8)(9/16) = 83/128: score 100(88/128 - 83/128) = 500/128
    result = iv.invivosyn_synergy(_tiny(), TINY_ARMS, seed=5, n_boot=50, tgi_on="rtv")
    score = _rows(result, "tgi", "TGI_combo - TGI_expected")
    assert score.loc["bliss", "score"] == pytest.approx(500 / 128, rel=1e-12)
    assert score.loc["hsa", "score"] == pytest.approx(100 * (11 / 16 - 7 / 16), rel=1e-12)
    assert "TGI from RTV (CombPDX)" in score.loc["bliss", "statistic"]


def test_auc_rate_by_hand() -> None:
    # y linear in t (slope 0.2): trapz = 5*1.5 + 10*3 = 37.5, y_first*span = 15,
    # k = 2*(37.5 - 15)/15^2 = 0.2, the slope
    t = np.array([0.0, 5.0, 15.0])
    assert iv.auc_rate(t, np.array([1.0, 2.0, 4.0])) == pytest.approx(0.2, rel=1e-14)
    # not linear: trapz = 1*1 + 2*2 = 5, y_first = 0, k = 2*5/3^2 = 10/9
    assert iv.auc_rate(np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 2.0])) == pytest.approx(
        10 / 9, rel=1e-14
    )
    assert math.isnan(iv.auc_rate(np.array([3.0]), np.array([1.0])))


def test_auc_synergy_by_hand(tiny_result: pd.DataFrame) -> None:
    # two days 0 and 10: k = (ln(V10 + 1) - ln(V0 + 1))/10 per mouse; arm mean k̄;
    # s_g = exp(21 (k̄_g - k̄_C)) = [Π ratios_g / Π ratios_C]^(21/(2*10)) with two mice per arm
    power = 21 / 20
    c = (301 / 101) * (501 / 101)
    s_a = ((251 / 101) ** 2 / c) ** power
    s_b = ((201 / 101) * (501 / 201) / c) ** power
    s_ab = ((101 / 101) * (151 / 101) / c) ** power
    expected = {"bliss": s_a * s_b, "hsa": min(s_a, s_b), "ra": (1 - s_a) + (1 - s_b)}
    ci = _rows(tiny_result, "auc", "s_combo / s_expected")
    ss = _rows(tiny_result, "auc", "100 * (s_expected - s_combo)")
    for method, s_e in expected.items():
        assert ci.loc[method, "score"] == pytest.approx(s_ab / s_e, rel=1e-12)
        assert ss.loc[method, "score"] == pytest.approx(100 * (s_e - s_ab), rel=1e-12)
    assert "21 d" in ci.loc["bliss", "statistic"]


def test_combpdx_daily_by_hand(tiny_result: pd.DataFrame) -> None:
    # RTV means on day 10 (4, 2.5, 2.25, 1.25), variances ddof 1 (2, 0, 0.125, 0.125), n = 2
    # Bliss ln(2.5*2.25/(4*1.25)) = ln 1.125, var 2/(2*16) + 0 + .125/(2*5.0625) + .125/(2*1.5625)
    # HSA best = B (2.25 < 2.5): ln(2.25/1.25), var .125/(2*5.0625) + .125/(2*1.5625)
    # RA ln(4.75/5.25), var (0 + .0625)/4.75^2 + (1 + .0625)/5.25^2
    hand = {
        "bliss": (math.log(1.125), 2 / 32 + 0.125 / 10.125 + 0.125 / 3.125),
        "hsa": (math.log(1.8), 0.125 / 10.125 + 0.125 / 3.125),
        "ra": (math.log(4.75 / 5.25), 0.0625 / 4.75**2 + 1.0625 / 5.25**2),
    }
    daily = _rows(tiny_result, "combpdx", "log combination index")
    z = norm.ppf(0.975)
    for method, (log_ci, variance) in hand.items():
        se = math.sqrt(variance)
        row = daily.loc[method]
        assert row["score"] == pytest.approx(log_ci, rel=1e-12)
        assert row["ci_low"] == pytest.approx(log_ci - z * se, rel=1e-12)
        assert row["ci_high"] == pytest.approx(log_ci + z * se, rel=1e-12)
        assert row["p_value"] == pytest.approx(norm.sf(log_ci / se), rel=1e-12)
    # one post-baseline day: the global index is that day's index
    glob = _rows(tiny_result, "combpdx", "global")
    assert glob["score"].to_dict() == pytest.approx({m: v[0] for m, v in hand.items()})


# --- R golden values (base R, the invivoSyn formulas; R call in the module docstring) -----

R_TGI = {
    # (study, tgi_on, method): (score %, log CI)
    ("SW837", "delta_tv", "bliss"): (20.0045280565261, 0.219150878648804),
    ("SW837", "delta_tv", "hsa"): (20.9734570874969, 0.231089480544377),
    ("SW837", "delta_tv", "ra"): (15.9593766714959, 0.170793425063632),
    ("SW837", "rtv", "bliss"): (11.5338124200406, 0.163367545738163),
    ("SW837", "rtv", "hsa"): (13.0751156740862, 0.187369141057753),
    ("SW837", "rtv", "ra"): (8.85824390989345, 0.123023760816687),
    ("CR1197", "delta_tv", "bliss"): (4.87153579536147, 0.057141415045051),
    ("CR1197", "delta_tv", "hsa"): (20.2275837868438, 0.262158630626834),
    ("CR1197", "delta_tv", "ra"): (-27.0005899291067, -0.268368400526148),
    ("CR1197", "rtv", "bliss"): (3.74574839141133, 0.0443234393711489),
    ("CR1197", "rtv", "hsa"): (22.7442796415859, 0.305514469208858),
    ("CR1197", "rtv", "ra"): (-29.523947979123, -0.293958074369757),
}
R_AUC = {
    # (study, method): (CI = s_combo/s_expected, SS), t = 21
    ("SW837", "bliss"): (0.671616978660758, 15.015709049584),
    ("SW837", "hsa"): (0.600446608349062, 20.4355929026109),
    ("SW837", "ra"): (0.516570086398776, 28.7402858765002),
    ("CR1197", "bliss"): (0.430264867743281, 8.71906572857966),
    ("CR1197", "hsa"): (0.169476527842275, 32.268233452432),
    ("CR1197", "ra"): (0.0540797291810625, 115.173578670765),
    ("SNU-81", "bliss"): (0.430985267916707, 7.25777493407933),
    ("SNU-81", "hsa"): (0.675675858971958, 2.63865909828186),
    ("SNU-81", "ra"): (0.156662875667385, 29.5922192249531),
}
R_AUC_TO_DAY_57 = {  # CR1197 with auc_day = 57 (the R call with 57)
    "bliss": (0.626008472942831, 8.12841865422605),
    "hsa": (0.293225365154648, 32.7947202934255),
    "ra": (0.127444197029894, 93.1531741495866),
}
R_RATES = {
    ("SW837", "Vehicle", "1"): 0.0631812468214644,
    ("SW837", "Irinotecan + Rabusertib", "22"): 0.0253768037790368,
    # mouse 29 regressed to volume 0 on days 71 and 75: log(0 + 1) = 0 enters the AUC
    ("CR1197", "Palbociclib+Cetuximab", "29"): -0.0601783707127438,
    ("SNU-81", "Vehicle", "1"): 0.171335801541443,
    ("SNU-81", "Irinotecan + Rabusertib", "22"): -0.0160921820353825,
}
R_DAILY = {
    # (study, day, method): (log CI, SE, p)
    ("SW837", 6.0, "bliss"): (0.137478316945245, 0.218546815659007, 0.26465600083205),
    ("SW837", 6.0, "hsa"): (0.229813703038564, 0.174698408320332, 0.0941729322489536),
    ("SW837", 6.0, "ra"): (0.0456072927913809, 0.104552838606568, 0.331341149023729),
    ("SW837", 13.0, "bliss"): (0.283406743877336, 0.163885838523481, 0.0418782740967359),
    ("SW837", 13.0, "hsa"): (0.519213846512616, 0.143238453778384, 0.000144580473989797),
    ("SW837", 13.0, "ra"): (0.0670613673261677, 0.0759978340883745, 0.188777143335404),
    ("SW837", 20.0, "bliss"): (0.444934447047027, 0.231554370979495, 0.0273336105729386),
    ("SW837", 20.0, "hsa"): (0.341464226459548, 0.199922525315489, 0.0438197707682156),
    ("SW837", 20.0, "ra"): (0.168459690716204, 0.102265372595394, 0.0497502657192828),
    ("SW837", 24.0, "bliss"): (0.399653222818111, 0.238664278208845, 0.0470121191360885),
    ("SW837", 24.0, "hsa"): (0.442736853788135, 0.135439214107869, 0.000539837797712273),
    ("SW837", 24.0, "ra"): (0.0692842017157258, 0.157012700444302, 0.329510598016261),
    ("CR1197", 36.0, "bliss"): (0.179344870777755, 0.161688301328375, 0.133671680298272),
    ("CR1197", 36.0, "hsa"): (0.205859265546408, 0.126187147735513, 0.0514050172647355),
    ("CR1197", 36.0, "ra"): (0.0811568209877558, 0.0810530022229134, 0.158345518171303),
    ("CR1197", 40.0, "hsa"): (0.485609849314318, 0.123152866566264, 4.02096735072632e-05),
    ("CR1197", 47.0, "ra"): (-0.00621816724047752, 0.145049171627432, 0.517097168994854),
    ("CR1197", 50.0, "bliss"): (0.144007788977489, 0.309146859680789, 0.320671017627488),
    ("CR1197", 54.0, "hsa"): (0.757147178114772, 0.299037157993159, 0.00567150574820119),
    ("CR1197", 57.0, "bliss"): (0.243216271395656, 0.537250966134566, 0.325380540573983),
    ("CR1197", 57.0, "hsa"): (0.982789193611183, 0.427262536459066, 0.0107184520635359),
    ("CR1197", 57.0, "ra"): (-0.300949787319746, 0.274890760746275, 0.863197374567627),
}
R_GLOBAL = {
    ("SW837", "bliss"): 0.31636818267193,
    ("SW837", "hsa"): 0.383307157449716,
    ("SW837", "ra"): 0.0876031381373697,
    ("CR1197", "bliss"): 0.242705585214887,
    ("CR1197", "hsa"): 0.612033005374228,
    ("CR1197", "ra"): -0.0409274204591491,
}
SNU81_ARMS = ["Vehicle", "Rabusertib", "Irinotecan", "Irinotecan + Rabusertib"]
STUDIES = {"SW837": SW837_ARMS, "CR1197": CR1197_ARMS, "SNU-81": SNU81_ARMS}


@pytest.fixture(scope="module")
def real_results() -> dict[tuple[str, str], pd.DataFrame]:
    return {
        (study, tgi_on): iv.invivosyn_synergy(
            _read(study),
            arms,
            seed=20261201,
            n_boot=1000,
            tgi_on=tgi_on,  # type: ignore[arg-type]
        )
        for study, arms in STUDIES.items()
        for tgi_on in ("delta_tv", "rtv")
    }


def test_default_day_is_last_day_with_all_four_arms(
    real_results: dict[tuple[str, str], pd.DataFrame],
) -> None:
    # SW837: every arm to day 24; CR1197: vehicle ends at day 57 (treated arms go on)
    assert set(real_results[("SW837", "delta_tv")].query("basis == 'tgi'")["day"]) == {24.0}
    cr1197 = real_results[("CR1197", "delta_tv")]
    assert set(cr1197.query("basis == 'tgi'")["day"]) == {57.0}
    assert cr1197.query("statistic.str.startswith('global')")["day"].tolist() == [57.0] * 3


def test_tgi_matches_r(real_results: dict[tuple[str, str], pd.DataFrame]) -> None:
    for (study, tgi_on, method), (score, log_ci) in R_TGI.items():
        result = real_results[(study, tgi_on)]
        assert _rows(result, "tgi", "TGI_combo").loc[method, "score"] == pytest.approx(
            score, rel=1e-10
        )
        assert _rows(result, "tgi", "log(TGI").loc[method, "score"] == pytest.approx(
            log_ci, rel=1e-10
        )


def test_auc_rates_and_synergy_match_r(real_results: dict[tuple[str, str], pd.DataFrame]) -> None:
    for (study, arm, mouse), k in R_RATES.items():
        tv = iv.prepare(_read(study), STUDIES[study])
        rates = iv.auc_rates(tv, float(tv["day"].max())).set_index(["arm", "mouse_id"])["k"]
        assert rates[(arm, mouse)] == pytest.approx(k, rel=1e-10)
    for (study, method), (ci, ss) in R_AUC.items():
        result = real_results[(study, "delta_tv")]
        row = _rows(result, "auc", "s_combo").loc[method]
        if (study, method) == ("SNU-81", "ra"):
            # RA's s_expected = (1 - s_A) + (1 - s_B) has a bootstrap interval reaching 0: the
            # ratio is not estimable (issue 30 item 6b); R's number is the arm means' ratio
            assert math.isnan(row["score"]) and math.isnan(row["ci_low"])
            assert row["p_method"].startswith("not estimable: the expected s")
            tv = iv.prepare(_read(study), STUDIES[study])
            rates = iv.auc_rates(tv, float(tv["day"].max()))
            means = np.array([rates.loc[rates["role"] == r, "k"].mean() for r in range(4)])
            assert iv.auc_synergy(means, method, 21.0)[0] == pytest.approx(ci, rel=1e-10)
            continue
        assert row["score"] == pytest.approx(ci, rel=1e-10)
        assert _rows(result, "auc", "100 *").loc[method, "score"] == pytest.approx(ss, rel=1e-10)
    # AUC uses every measurement by default (CR1197: to day 82, after the vehicle arm ended)
    assert set(real_results[("CR1197", "delta_tv")].query("basis == 'auc'")["day"]) == {82.0}


def test_auc_to_a_chosen_day_matches_r() -> None:
    result = iv.invivosyn_synergy(_read("CR1197"), CR1197_ARMS, seed=1, n_boot=50, auc_day=57)
    assert set(result.query("basis == 'auc'")["day"]) == {57.0}
    for method, (ci, ss) in R_AUC_TO_DAY_57.items():
        assert _rows(result, "auc", "s_combo").loc[method, "score"] == pytest.approx(ci, rel=1e-10)
        assert _rows(result, "auc", "100 *").loc[method, "score"] == pytest.approx(ss, rel=1e-10)
    tv = iv.prepare(_read("CR1197"), CR1197_ARMS)
    rates = iv.auc_rates(tv, 57.0).set_index(["arm", "mouse_id"])["k"]
    # R call with 57: mouse 29 before its regression to 0
    assert rates[("Palbociclib+Cetuximab", "29")] == pytest.approx(0.0027946829464951, rel=1e-10)


def test_auc_bliss_against_invivosyn_readme_example(
    real_results: dict[tuple[str, str], pd.DataFrame],
) -> None:
    # invivoSyn README "example 3" (man/figures/README-example-3.png):
    # AUC_synergy(get_mAUCr(SNU_81)), Bliss, t = 21, 1000 resamples, set.seed(123456).
    # Read off the figure: CI point ≈ 0.43, SS ≈ 7, bootstrap p = 0.021, 95 % percentile
    # interval ≈ (0.20, 0.97) for CI and ≈ (0, 29.9) for SS (pixel positions against the ticks
    # of the 5100-px copy "Test AUC synergy plot by Bliss.png").
    # Re-running those formulas on the package's own data/SNU_81.rda with boot 1.3.28 and
    # set.seed(123456) (base R: the get_AUC and bs_AUC_synergy formulas as in golden.R, then
    # boot(auc, stat, strata = auc$Group, R = 1000); boot.ci(type = "perc")) gives
    # point (0.430985267917, 7.25777493408), p = 0.013 for both, CI (0.205864, 0.873932),
    # SS (0.679699, 29.3059), bootstrap SD 0.179226 and 7.9158: the point estimates match the
    # figure, the bootstrap ones differ from it by Monte Carlo error (the figure's run is not
    # reproducible). numpy draws differ from R's, so the bootstrap numbers are compared with
    # Monte Carlo tolerances (over seeds 0-7 our p ranged 0.009-0.021).
    auc = real_results[("SNU-81", "delta_tv")].query("basis == 'auc' and method == 'bliss'")
    ci, ss = auc.iloc[0], auc.iloc[1]
    assert ci["score"] == pytest.approx(0.43, abs=0.005) and ss["score"] == pytest.approx(
        7.26, abs=0.01
    )
    assert 0.005 <= ci["p_value"] <= 0.03 and ss["p_value"] == ci["p_value"]
    assert ci["ci_low"] == pytest.approx(0.206, abs=0.03) and ci["ci_high"] == pytest.approx(
        0.90, abs=0.1
    )
    assert ss["ci_low"] == pytest.approx(0.5, abs=0.6) and ss["ci_high"] == pytest.approx(
        29.5, abs=3.0
    )
    groups = [
        r["k"].to_numpy(float)
        for _, r in iv.auc_rates(iv.prepare(_read("SNU-81"), SNU81_ARMS), 35.0).groupby("role")
    ]
    reps = iv.resampled_means(groups, iv.Boot(n_boot=4000, seed=3))
    boot_ci, boot_ss = iv.auc_synergy(reps, "bliss", 21.0)
    assert np.std(boot_ci, ddof=1) == pytest.approx(0.179226, rel=0.15)
    assert np.std(boot_ss, ddof=1) == pytest.approx(7.9158, rel=0.15)


def test_combpdx_daily_matches_r(real_results: dict[tuple[str, str], pd.DataFrame]) -> None:
    z = norm.ppf(0.975)
    for (study, day, method), (log_ci, se, p) in R_DAILY.items():
        result = real_results[(study, "delta_tv")]
        daily = result[(result["basis"] == "combpdx") & (result["day"] == day)]
        row = daily[daily["statistic"].str.contains("day-specific")].set_index("method").loc[method]
        assert row["score"] == pytest.approx(log_ci, rel=1e-10)
        assert (row["ci_high"] - row["ci_low"]) / (2 * z) == pytest.approx(se, rel=1e-10)
        assert row["p_value"] == pytest.approx(p, rel=1e-9)
    days = real_results[("SW837", "delta_tv")].query("statistic.str.contains('day-specific')")
    assert sorted(set(days["day"])) == [6.0, 13.0, 20.0, 24.0]


def test_combpdx_global_matches_r(real_results: dict[tuple[str, str], pd.DataFrame]) -> None:
    for (study, method), g in R_GLOBAL.items():
        glob = _rows(real_results[(study, "delta_tv")], "combpdx", "global")
        assert glob.loc[method, "score"] == pytest.approx(g, rel=1e-10)


def test_prepare_matches_invivosyn_expand_tv() -> None:
    # tests/data/invivosyn_SW837_expand_tv.csv = the package's own data object data/SW837.rda
    # (invivoSyn @ 7dcab78, read_tv + expand_tv output), written by
    # load("SW837.rda"); write.csv(as.data.frame(SW837)[order(...), ], row.names = FALSE)
    theirs = pd.read_csv(ROOT / "tests" / "data" / "invivosyn_SW837_expand_tv.csv")
    ours = iv.prepare(_read("SW837"), SW837_ARMS)
    ours = ours.assign(Mouse=ours["mouse_id"].astype(int), Treatment=ours["arm"])
    merged = theirs.merge(
        ours, left_on=["Treatment", "Mouse", "Day"], right_on=["Treatment", "Mouse", "t"]
    )
    assert len(merged) == len(theirs) == len(ours) == 120
    for theirs_col, ours_col in [
        ("TV0", "tv0"),
        ("RTV", "rtv"),
        ("DeltaTV", "delta_tv"),
        ("logTV", "log_tv"),
    ]:
        np.testing.assert_allclose(merged[ours_col], merged[theirs_col], rtol=1e-12)
    groups = merged.groupby("Group")["role"].unique().map(lambda r: int(r[0])).to_dict()
    assert groups == {"Group 1": 0, "Group 2": 1, "Group 3": 2, "Group 4": 3}


# --- bootstrap ---------------------------------------------------------------------------


def test_bootstrap_is_seeded() -> None:
    data = _read("SW837")
    first = iv.invivosyn_synergy(data, SW837_ARMS, seed=7, n_boot=300)
    again = iv.invivosyn_synergy(data, SW837_ARMS, seed=7, n_boot=300)
    other = iv.invivosyn_synergy(data, SW837_ARMS, seed=8, n_boot=300)
    pd.testing.assert_frame_equal(first, again)
    boot_rows = first["p_method"].str.startswith("stratified bootstrap")
    assert not np.allclose(first.loc[boot_rows, "ci_low"], other.loc[boot_rows, "ci_low"])
    pd.testing.assert_series_equal(first["score"], other["score"])


def test_row_order_of_the_input_does_not_matter() -> None:
    data = _read("SW837")
    shuffled = data.sample(frac=1.0, random_state=4).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        iv.invivosyn_synergy(data, SW837_ARMS, seed=2, n_boot=200),
        iv.invivosyn_synergy(shuffled, SW837_ARMS, seed=2, n_boot=200),
    )


def test_bootstrap_interval_covers_point_estimate(
    real_results: dict[tuple[str, str], pd.DataFrame],
) -> None:
    for result in real_results.values():
        not_estimable = result["p_method"].str.startswith("not estimable")
        boot = result[result["p_method"].str.startswith("stratified bootstrap")]
        assert len(boot) + not_estimable.sum() == 15
        assert result.loc[not_estimable, ["score", "ci_low", "ci_high", "p_value"]].isna().all(None)
        assert ((boot["ci_low"] <= boot["score"]) & (boot["score"] <= boot["ci_high"])).all()
        assert boot["p_value"].between(0, 1).all()


def test_bootstrap_se_close_to_delta_method_se() -> None:
    # One post-baseline day: the bootstrap SD of the log CI should be near the delta-method SE;
    # the plug-in bootstrap variance is (n - 1)/n of the ddof-1 variance (n = 4..8 mice here),
    # so the ratio is expected near 0.9.
    data = _read("SW837")
    for day in (13.0, 24.0):
        tv = iv.prepare(data[data["day"].isin([-1.0, day])], SW837_ARMS)
        groups, _ = iv.rtv_wide(tv, day)
        reps = iv.resampled_means(groups, iv.Boot(n_boot=4000, seed=11))[:, 0, :]
        for method in iv.METHODS:
            boot_se = float(np.std(iv.log_combination_index(reps, method), ddof=1))
            delta_se = R_DAILY[("SW837", day, method)][1]
            assert 0.75 < boot_se / delta_se < 1.1, (day, method, boot_se, delta_se)


# R boot 1.3.28, 20000 resamples, set.seed(1), on the package's data objects (SW837.rda,
# SNU_81.rda = read_tv + expand_tv output); the statistics are the invivoSyn formulas above:
#   day <- tv[tv$Day == 25, ]   # SW837, study day 24
#   ra <- function(d, idx) { d <- d[idx, ]; m <- tapply(d$DeltaTV, d$Group, mean)
#     t <- 1 - m[-1] / m[1]; 100 * (t[3] - t[1] - t[2]) }
#   b <- boot(day, ra, strata = factor(day$Group), R = 20000)
#   1 - mean(b$t > 0); quantile(b$t, c(.025, .975))                      # TGI RA
#   w <- reshape(tv[, c("Group", "Mouse", "Day", "RTV")], idvar = c("Group", "Mouse"),
#                timevar = "Day", direction = "wide")
#   gci <- function(d, idx) { d <- d[idx, ]
#     m <- sapply(grep("^RTV", names(d)), function(j) tapply(d[[j]], d$Group, mean))[, -1]
#     mean(log(m[2, ]) + log(m[3, ]) - log(m[1, ]) - log(m[4, ])) }
#   g <- boot(w, gci, strata = factor(w$Group), R = 20000)
#   mean(g$t <= 0); quantile(g$t, c(.025, .975))                         # global Bliss
#   (SNU-81: auc and stat as in the README comparison, s[4] / prod(s[2:3]))
#   a <- boot(auc, stat, strata = auc$Group, R = 20000)
#   mean(a$t > 1); quantile(a$t, c(.025, .975))                          # AUC Bliss CI
# Monte Carlo SD of a p near 0.02 with 20000 resamples is ~0.001, of a percentile ~1-2 %.
R_BOOT_20000 = {
    # (study, basis, method, statistic prefix): (p, 2.5 % quantile, 97.5 % quantile)
    ("SW837", "tgi", "ra", "TGI_combo"): (0.26255, -26.603, 93.877),
    ("SW837", "combpdx", "bliss", "global"): (0.02435, 0.0011859, 0.65577),
    ("SNU-81", "auc", "bliss", "s_combo"): (0.01355, 0.20257, 0.90957),
}


def test_bootstrap_agrees_with_r_boot_at_20000_resamples() -> None:
    for (study, basis, method, prefix), (p, low, high) in R_BOOT_20000.items():
        result = iv.invivosyn_synergy(_read(study), STUDIES[study], seed=1, n_boot=20000)
        row = _rows(result, basis, prefix).loc[method]
        # 3 Monte Carlo SDs of the difference of two independent 20000-resample estimates
        assert row["p_value"] == pytest.approx(p, abs=3 * math.sqrt(2 * p * (1 - p) / 20000))
        width = high - low
        assert row["ci_low"] == pytest.approx(low, abs=0.03 * width)
        assert row["ci_high"] == pytest.approx(high, abs=0.03 * width)


def test_p_synergy_agrees_with_bootstrap_interval(
    real_results: dict[tuple[str, str], pd.DataFrame],
) -> None:
    # a 95 % interval of the TGI score entirely above 0 means fewer than 2.5 % of the resamples
    # had combo ≤ expected, so p(synergy) < 0.025 (and the reverse below 0)
    tgi = _rows(real_results[("SW837", "delta_tv")], "tgi", "TGI_combo")
    for _, row in tgi.iterrows():
        if row["ci_low"] > 0:
            assert row["p_value"] < 0.025
        if row["ci_high"] < 0:
            assert row["p_value"] > 0.975


# --- inputs ------------------------------------------------------------------------------


def test_exclusions_name_mice_without_tv0_or_with_tv0_zero() -> None:
    data = _tiny()
    late = pd.DataFrame([("B", "3", 10.0, 300.0)], columns=["arm", "mouse_id", "day", "volume_mm3"])
    zero = data.assign(
        volume_mm3=np.where(
            (data["arm"] == "AB") & (data["mouse_id"] == "1") & (data["day"] == 0),
            0.0,
            data["volume_mm3"],
        )
    )
    table = iv.exclusions(pd.concat([zero, late]), TINY_ARMS)
    assert list(table.columns) == ["arm", "mouse_id", "basis", "reason"]
    got = {(r.arm, r.mouse_id, r.basis) for r in table.itertuples()}
    # the late mouse is out of everything (no 'auc' row of its own); TV0 = 0 only affects RTV
    assert got == {("B", "3", "all"), ("AB", "1", "tgi"), ("AB", "1", "combpdx")}
    assert "no TV0" in table.loc[table["basis"] == "all", "reason"].iloc[0]
    # the late mouse is not in the analysis: same numbers as without it
    with_late = iv.invivosyn_synergy(pd.concat([data, late]), TINY_ARMS, seed=1, n_boot=50)
    without = iv.invivosyn_synergy(data, TINY_ARMS, seed=1, n_boot=50)
    pd.testing.assert_frame_equal(with_late, without)


def test_bad_arms_and_days_raise() -> None:
    data = _tiny()
    with pytest.raises(InputError, match="four distinct arms"):
        iv.invivosyn_synergy(data, ["C", "A", "B"])
    with pytest.raises(NotEstimable, match=r"\['X'\] have no measurements"):
        iv.invivosyn_synergy(data, ["C", "A", "B", "X"])
    with pytest.raises(NotEstimable, match="not after the first day"):
        iv.invivosyn_synergy(data, TINY_ARMS, day=0.0)
    with pytest.raises(
        NotEstimable,
        match=r"no mouse of arm C \(control\), A \(drug_a\), B \(drug_b\), AB \(combination\) with delta_tv on day 5",
    ):
        iv.invivosyn_synergy(data, TINY_ARMS, day=5.0)


def test_an_arm_with_no_mouse_left_is_named_not_a_key_error() -> None:
    # Issue 26: the control first measured after the other arms has no TV0 (invivoSyn's day 0
    # is the design's first day), so no control row is left at all; the message naming the
    # empty arm took the name from those rows (KeyError 0) and the stage died.
    data = _tiny()
    early = data[data["day"] == 0].assign(day=-3.0)
    staggered = pd.concat([early[early["arm"] != "C"], data])
    rows, skipped = iv.synergy_parts(staggered, TINY_ARMS, day=10.0, n_boot=50)
    assert rows.empty and len(skipped) == 3
    assert skipped[0] == (
        "TGI synergy: no mouse of arm C (control) with delta_tv on day 10 (TGI synergy)"
    )
    assert skipped[1].startswith("AUC synergy: no mouse of arm C (control) with 2 volumes")
    assert skipped[2].startswith("CombPDX combination index: no day after the first day")
    # the default day: no day on which all four arms have a mouse with TV0
    rows, skipped = iv.synergy_parts(staggered, TINY_ARMS, n_boot=50)
    assert rows.empty and skipped == [
        "all bases: no day on which all four arms have a mouse with a volume on the first day"
    ]


def test_a_basis_that_cannot_be_computed_does_not_take_the_others_with_it() -> None:
    # every TV0 of the combination is 0: RTV (CombPDX) is undefined, TGI on ΔTV and AUC are not
    data = _tiny()
    zero = data.assign(
        volume_mm3=data["volume_mm3"].where((data["arm"] != "AB") | (data["day"] != 0), 0.0)
    )
    rows, skipped = iv.synergy_parts(zero, TINY_ARMS, n_boot=50)
    assert sorted(rows["basis"].unique()) == ["auc", "tgi"]
    assert skipped == [
        "CombPDX combination index: no day after the first day and up to day 10 on which all "
        "four arms have a mouse with a relative volume (RTV needs TV0 > 0)"
    ]
    with pytest.raises(NotEstimable, match=r"not computed \(CombPDX combination index: no day"):
        iv.invivosyn_synergy(zero, TINY_ARMS, n_boot=50)


def test_study_rows_window_and_stated_skips() -> None:
    data = _tiny()
    early = data[data["day"] == 0].assign(day=-3.0, volume_mm3=0.0)
    late = data[data["day"] == 10].assign(day=40.0)
    combos = [("AB", ("A", "B")), ("AB", ("A", "B", "C"))]
    rows, left = iv.study_rows(
        pd.concat([early, data, late]), combos, "C", seed=1, n_boot=50, windows={"AB": (0.0, 28.0)}
    )
    # inside the window the study is the tiny one: the same rows
    same = iv.invivosyn_synergy(data, TINY_ARMS, seed=1, n_boot=50)
    pd.testing.assert_frame_equal(rows.drop(columns="combination"), same)
    reasons = left["reason"].tolist()
    outside = "invivoSyn/CombPDX (AB): 2 measurement(s) outside the synergy window (days 0 to 28)"
    assert reasons[:8] == [outside + " left out"] * 8  # each of the 8 mice: day -3 and day 40
    assert reasons[8:] == ["invivoSyn/CombPDX metrics need two single agents"]
    # without the window day -3 is day 0, every TV0 is 0: RTV undefined, the rest computed
    rows, left = iv.study_rows(pd.concat([early, data]), combos[:1], "C", seed=1, n_boot=50)
    assert sorted(rows["basis"].unique()) == ["auc", "tgi"]
    stated = left[left["mouse_id"] == ""]["reason"].tolist()
    assert stated == [
        "invivoSyn/CombPDX not computed (CombPDX combination index: no day after the first day "
        "and up to day 10 on which all four arms have a mouse with a relative volume (RTV needs "
        "TV0 > 0))"
    ]


def test_a_ratio_whose_denominator_can_be_zero_is_not_estimable() -> None:
    # Issue 30 item 6b: both single agents grow as the control, so RA's expected
    # s = (1 - s_A) + (1 - s_B) is near 0 and its bootstrap interval reaches below 0; the
    # ratio s_AB / s_expected was stated as 108 with the interval (-54, 34) before
    rng = np.random.default_rng(3)
    rows = []
    for arm, rate in (("C", 0.1), ("A", 0.1), ("B", 0.1), ("AB", -0.05)):
        for mouse in range(5):
            k = rate + rng.normal(0, 0.02)
            for day in (0.0, 7.0, 14.0):
                rows.append((arm, str(mouse), day, 100.0 * math.exp(k * day)))
    data = pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "volume_mm3"])
    result = iv.invivosyn_synergy(data, TINY_ARMS, seed=1, n_boot=200)
    ratio = _rows(result, "auc", "s_combo / s_expected")
    ra = ratio.loc["ra"]
    assert math.isnan(ra["score"]) and math.isnan(ra["ci_low"]) and math.isnan(ra["p_value"])
    assert ra["p_method"].startswith("not estimable: the expected s")
    # Bliss and HSA ratios are estimable, on the log scale, and inside their intervals
    for method in ("bliss", "hsa"):
        row = ratio.loc[method]
        assert 0 < row["ci_low"] <= row["score"] <= row["ci_high"]
        assert "log scale" in row["p_method"]
    # the difference SS of RA is still reported
    assert np.isfinite(_rows(result, "auc", "100 *").loc["ra", "score"])


def test_an_interval_not_containing_its_estimate_is_not_reported() -> None:
    row = iv._row("bliss", "tgi", 10.0, "x", 5.0, (1.0, 2.0), 0.1, "bootstrap")
    assert math.isnan(row["ci_low"]) and math.isnan(row["ci_high"])
    assert row["score"] == 5.0 and "does not contain the estimate" in str(row["p_method"])
    kept = iv._row("bliss", "tgi", 10.0, "x", 1.5, (1.0, 2.0), 0.1, "bootstrap")
    assert (kept["ci_low"], kept["ci_high"]) == (1.0, 2.0)

"""Per-day comparisons with the control from the mixed model ln V ~ arm * factor(day) +
(1 | mouse) (xenoflow.perday; table per_day_comparisons), against lme4 + emmeans."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xenoflow import perday, stages
from xenoflow.config import load_study
from xenoflow.ingest import read_source

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "config" / "studies" / "fractionation_clr131.yaml"
CONTROL, SINGLE, FRACTIONATED = "I-127 CLR1404", "CLR 131 single", "CLR 131 fractionated"

# R 4 (lme4, emmeans), on the growth stage's log volumes of fractionation_clr131 (the on-study
# measurements, columns arm, mouse, day, log_volume written to d.csv):
#   d <- read.csv("d.csv")
#   d$arm <- factor(d$arm, levels = c("I-127 CLR1404", "CLR 131 single", "CLR 131 fractionated"))
#   fit <- lmer(log_volume ~ arm * factor(day) + (1 | mouse), data = d, REML = TRUE)
#   REMLcrit(fit)            # 639.6323; VarCorr: mouse (Intercept) SD 0.86225, residual 0.67295
#   emm <- emmeans(fit, ~ arm | day, lmer.df = "asymptotic")
#   set.seed(1)
#   ct <- contrast(emm, "trt.vs.ctrl", adjust = "mvt")
#   summary(ct, infer = c(TRUE, TRUE), adjust = "mvt")     # estimate, SE, asymp.LCL/UCL, p.value
#   summary(ct, infer = c(TRUE, TRUE), adjust = "none")$p.value   # unadjusted
# (days 38 to 56: no control mouse left, the contrasts are NA in R and absent here)
# arm, day: estimate, SE, LCL, UCL, p adjusted (mvt), p unadjusted
GOLDEN = {
    (SINGLE, 0.0): (-0.03646304913, 0.5468855963, -1.246274158, 1.1733480600, 0.9967385931, 0.9468412349),
    (FRACTIONATED, 0.0): (0.07710969780, 0.5468855963, -1.132701411, 1.2869208070, 0.9855140095, 0.8878716343),
    (SINGLE, 10.0): (-0.52352220490, 0.5702499562, -1.786291872, 0.7392474623, 0.5594455290, 0.3585888041),
    (SINGLE, 14.0): (-1.15947996134, 0.5702499562, -2.422249629, 0.1032897058, 0.07725052997, 0.04202386538),
    (FRACTIONATED, 14.0): (-0.59581796119, 0.5468855963, -1.806849255, 0.6152133330, 0.4474828569, 0.2759446540),
    (SINGLE, 21.0): (-1.77019401870, 0.5702499562, -3.032963686, -0.5074243515, 0.003725242172, 0.001907670511),
    (FRACTIONATED, 21.0): (-1.40339776562, 0.5468855963, -2.614429060, -0.1923664715, 0.01962446292, 0.01028303939),
    (SINGLE, 35.0): (-2.38411192650, 0.6019558980, -3.714405257, -1.0538185956, 1.480791278e-04, 7.475886904e-05),
    (FRACTIONATED, 35.0): (-2.37236704243, 0.5974089579, -3.692611856, -1.0521222285, 1.417307227e-04, 7.154338500e-05),
}  # fmt: skip


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    study = load_study(STUDY, {"bootstrap_resamples": 200})
    measurements = stages.run_ingest(study, read_source(study)).tables["measurements"]
    return stages.run_growth(study, {"measurements": measurements}).tables["per_day_comparisons"]


def test_per_day_contrasts_match_lme4_emmeans(table: pd.DataFrame) -> None:
    assert set(table["day"]) == {0.0, 3.0, 7.0, 10.0, 14.0, 17.0, 21.0, 24.0, 28.0, 31.0, 35.0}
    assert len(table) == 22 and set(table["reference"]) == {CONTROL}
    rows = table.set_index(["arm", "day"])
    for key, (est, se, low, high, p_adj, p) in GOLDEN.items():
        r = rows.loc[key]
        assert r["estimate"] == pytest.approx(est, abs=2e-6), key
        assert r["se"] == pytest.approx(se, rel=2e-5), key
        assert r["p_value"] == pytest.approx(p, rel=1e-4), key
        # emmeans' mvt integrates by Monte Carlo (mvtnorm, error ~1e-4): ours by quadrature
        assert r["p_adjusted"] == pytest.approx(p_adj, rel=2e-3, abs=1e-5), key
        assert r["ci_low"] == pytest.approx(low, abs=2e-4), key
        assert r["ci_high"] == pytest.approx(high, abs=2e-4), key
        assert r["ratio"] == pytest.approx(math.exp(est), rel=1e-5)
        assert r["ratio_ci_low"] == pytest.approx(math.exp(r["ci_low"]))
        assert math.isinf(r["df"]) and r["statistic"] == pytest.approx(est / se, rel=1e-4)
    # mice per cell: the single-dose arm lost two mice by day 7
    assert (
        rows.loc[(SINGLE, 7.0), "n_mice"] == 6 and rows.loc[(SINGLE, 7.0), "n_mice_reference"] == 8
    )


def test_one_treated_arm_is_the_plain_z_test() -> None:
    """With one comparison the Dunnett p is the z test's p and the interval the 95% Wald one."""
    p, crit = perday.dunnett_normal([1.96, -3.0], [0.7], 0.05)
    assert crit == pytest.approx(1.959963985, rel=1e-9)
    assert p[1] == pytest.approx(0.002699796063, rel=1e-8)
    # two equally sized comparisons (λ² = 1/2): the classical Dunnett critical value, df = inf
    # (R: mvtnorm::qmvnorm(0.95, tail = "both.tails", corr = matrix(c(1, .5, .5, 1), 2)) -> 2.212)
    _, crit2 = perday.dunnett_normal([0.0, 0.0], [math.sqrt(0.5)] * 2, 0.05)
    assert crit2 == pytest.approx(2.2121, abs=2e-4)


def test_no_control_or_one_arm_gives_a_header_only_table() -> None:
    logd = pd.DataFrame(
        {"arm": ["A"] * 4, "mouse": ["A:1", "A:1", "A:2", "A:2"], "day": [0, 3] * 2,
         "log_volume": np.log([50.0, 80, 60, 90])}
    )  # fmt: skip
    out = perday.per_day_comparisons(logd, ["C", "A"], "C", {"alpha": 0.05})
    assert out.empty and list(out.columns) == perday.COLUMNS

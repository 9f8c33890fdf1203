"""Complete regressions stay in the log-scale analyses (issue 30 item 2): zero volumes enter at
the study's detection limit (default ``log_zero_rule: detection_limit``).

``tests/data/growth/zeros_3arm_6mice.csv``: a purpose-built study of 3 arms x 6 mice, days 0-21;
in arm Cure five tumours disappear (0 mm3 from day 10 or 14) and mouse 6 relapses. Smallest
positive volume 3.7 mm3, so the detection limit is 1.85 mm3.

Golden values: R 4.2.x, lme4, on the volumes floored at the detection limit:

    d <- read.csv(f, colClasses = c(arm = "character", mouse_id = "character"))
    lod <- min(d$volume_mm3[d$volume_mm3 > 0]) / 2        # 1.85
    d$v <- pmax(d$volume_mm3, lod)                          # log_zero_rule = detection_limit
    d$arm <- factor(d$arm, levels = c("Vehicle", "DrugA", "Cure"))
    d$mouse <- paste(d$arm, d$mouse_id, sep = ":")
    f <- lmer(log(v) ~ day * arm + (1 | mouse), data = d, REML = TRUE,
              control = lmerControl(optimizer = "Nelder_Mead", optCtrl = list(maxfun = 1e5)))
    logLik(f); fixef(f); sqrt(diag(vcov(f)))
    # (day | mouse) and (day || mouse) are singular here (isSingular TRUE): the model falls back
    e <- d[d$day == 21, ]
    anova(lm(log(v) ~ arm, data = e))
    summary(glht(lm(log(v) ~ arm, data = e), linfct = mcp(arm = "Dunnett")))   # multcomp
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xenoflow import endpoint_tests, growth, mixed, stages
from xenoflow.config import analysis_defaults, load_study
from xenoflow.errors import ConfigError

DATA = Path(__file__).parent / "data" / "growth" / "zeros_3arm_6mice.csv"
ARMS = ["Vehicle", "DrugA", "Cure"]

LOD = 1.85
#: lmer(log(v) ~ day * arm + (1 | mouse)): REML logLik, then (estimate, SE) by coefficient
LMER_INTERCEPT = (
    -157.77547540647,
    {
        "day": (0.124582734766369, 0.0150568636174373),
        "day:armDrugA": (-0.0772309075001103, 0.0212936207345819),
        "day:armCure": (-0.283163532020166, 0.0212936207345819),
    },
)
#: anova(lm(log(v) ~ arm)) on day 21: F, p; multcomp Dunnett t and adjusted p by arm
ANOVA_DAY21 = (23.965559388279, 2.13399574089179e-05)
DUNNETT_DAY21 = {"DrugA": (-1.841309, 1.485202e-01), "Cure": (-6.700406, 1.378501e-05)}


def data() -> pd.DataFrame:
    return pd.read_csv(DATA, dtype={"arm": str, "mouse_id": str})


def test_default_rule_is_the_detection_limit() -> None:
    assert analysis_defaults()["log_zero_rule"] == "detection_limit"


def test_detection_limit_is_half_the_smallest_positive_volume_or_the_given_one() -> None:
    assert growth.detection_limit(data()) == pytest.approx(LOD)
    assert growth.detection_limit(data(), 5.0) == 5.0
    empty = pd.DataFrame({"volume_mm3": [0.0, np.nan]})
    assert growth.detection_limit(empty) == 1.0


def test_unknown_zero_rule_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="log_zero_rule"):
        growth.log_volumes(data(), {"log_zero_rule": "impute"})


def test_zero_volumes_enter_the_log_scale_at_the_detection_limit() -> None:
    logd, excl = growth.log_volumes(data(), analysis_defaults())
    assert excl.empty and len(logd) == len(data())
    zeros = logd[logd["volume_mm3"] == 0]
    assert len(zeros) == 19 and zeros["floored"].all()
    assert np.allclose(zeros["log_volume"], math.log(LOD))
    # a resolved limit (the stages') wins over the data's own
    logd, _ = growth.log_volumes(data(), {**analysis_defaults(), "detection_limit_mm3": 2.5})
    assert np.allclose(logd.loc[logd["volume_mm3"] == 0, "volume_used_mm3"], 2.5)


def test_mixed_model_keeps_the_cured_arm_and_matches_lme4() -> None:
    logd, _ = growth.log_volumes(data(), analysis_defaults())
    sel, _, note = mixed.fit_mixed(logd, ARMS, "Vehicle")
    assert sel.structure == "intercept" and "singular" in note
    llf, coefs = LMER_INTERCEPT
    assert abs(sel.llf - llf) < 1e-4
    for name, (est, se) in coefs.items():
        i = sel.names.index(name)
        assert sel.beta[i] == pytest.approx(est, rel=1e-3), name
        assert math.sqrt(sel.vcov[i, i]) == pytest.approx(se, rel=0.02), name


def test_endpoint_tests_keep_the_cured_arm_and_match_r() -> None:
    t = endpoint_tests.endpoint_tests(data(), ARMS, "Vehicle", 21.0, analysis_defaults())
    rows = {(r.test, r.arm if isinstance(r.arm, str) else ""): r for r in t.itertuples()}
    anova = rows[("anova", "")]
    assert anova.n_mice == 18
    assert anova.statistic == pytest.approx(ANOVA_DAY21[0], rel=1e-9)
    assert anova.p_value == pytest.approx(ANOVA_DAY21[1], rel=1e-6)
    assert "5 mouse(s) below the detection limit on day 21" in anova.note
    for arm, (tstat, padj) in DUNNETT_DAY21.items():
        assert rows[("dunnett", arm)].statistic == pytest.approx(tstat, abs=1e-6)
        assert rows[("dunnett", arm)].p_adjusted == pytest.approx(padj, rel=1e-4)


def test_drop_stays_available_and_leaves_the_cured_arm_out() -> None:
    drop = {**analysis_defaults(), "log_zero_rule": "drop"}
    t = endpoint_tests.endpoint_tests(data(), ARMS, "Vehicle", 21.0, drop)
    cure = t[(t["test"] == "dunnett") & (t["arm"] == "Cure")].iloc[0]
    assert math.isnan(cure["statistic"]) and "zero volumes dropped" in cure["note"]
    logd, excl = growth.log_volumes(data(), drop)
    assert len(excl) == 19 and len(logd) == len(data()) - 19


def _study(tmp_path: Path, extra: str = "") -> object:
    data().to_csv(tmp_path / "m.csv", index=False)
    (tmp_path / "study.yaml").write_text(
        "study_id: zeros\ndata: m.csv\ncontrol: Vehicle\narms: [Vehicle, DrugA, Cure]\n"
        "analysis: {bootstrap_resamples: 200, growth_model_selection: false}\n" + extra,
        encoding="utf-8",
    )
    return load_study(tmp_path / "study.yaml")


def test_growth_stage_floors_at_the_study_files_detection_limit(tmp_path: Path) -> None:
    study = _study(tmp_path, "detection_limit_mm3: 5\n")
    assert study.detection_limit_mm3 == 5.0
    out = stages.run_growth(study, {"measurements": data()})
    per_mouse = out.tables["growth_per_mouse"].set_index(["arm", "mouse_id"])
    assert set(per_mouse["log_zero_rule"]) == {"detection_limit"}
    # mouse 5 of Cure: 3.7 mm3 on day 10 is below 5 and floored too, then 3 zeros
    assert per_mouse.loc[("Cure", "5"), "n_floored"] == 4
    assert per_mouse.loc[("Cure", "1"), "n_points"] == 7
    excluded = out.tables["exclusions_growth"]
    assert not excluded["reason"].str.contains("log-transformed").any()


def test_summary_leads_with_tumour_free_mice_and_rank_tests(tmp_path: Path) -> None:
    from xenoflow import summary
    from xenoflow.ingest import read_source

    study = _study(tmp_path)
    tables = stages.analyse_study(study, read_source(study))
    title, sections = summary.study_summary(stages.with_arms(study, tables["measurements"]), tables)
    answer, findings = sections[0], next(s for s in sections if s.title == "Findings")
    lead = "Most tumours in Cure had disappeared by day 21: 5 of 6 mice tumour-free"
    assert answer.paragraphs[0].startswith(lead)
    assert "Kruskal–Wallis p = 0.0013" in answer.paragraphs[0]
    assert "Dunn's test against the control p < 0.001 (Holm)" in answer.paragraphs[0]
    assert any(p.startswith(lead) for p in findings.paragraphs[:2])
    assert not any(p.startswith("Most tumours in DrugA") for p in findings.paragraphs)
    text = summary.to_markdown(title, sections)
    # n per arm with the reference-day numbers, the cured arm in the ANOVA/Dunnett sentence
    assert "(mean of per-mouse fold changes from baseline, n = 6)" in text
    assert "Cure p < 0.001 (n = 6 vs 6)" in text
    assert (
        "Zero volumes (complete regressions): 19 measurements of 5 mice below the detection "
        "limit entered the log-scale analyses at it, 1.85 mm³ (half the smallest positive "
        "volume)." in text
    )

"""Two-phase growth (issue 18 item 4): the piecewise mixed model against lme4, the profile
likelihood breakpoint against R's ``optimize``, the two-phase rule and the stage's table.

Golden values: R 4.2.x, lme4, e.g. for the Caki-2 demo (volume = L*W^2/2 as the study file's
caliper formula; study order of the arms)::

    d <- read.csv("data/demo/caki2_clr131/calipers.csv",
                  colClasses = c(arm = "character", mouse_id = "character"))
    d$volume_mm3 <- d$length_mm * d$width_mm^2 / 2
    d <- d[!is.na(d$volume_mm3) & d$volume_mm3 > 0, ]
    d$arm <- factor(d$arm, levels = c("I-127 CLR1404", "CLR 131"))
    d$mouse <- paste(d$arm, d$mouse_id, sep = ":")
    ctl <- lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5, rhoend = 1e-12),
                       check.conv.singular = "ignore")
    fit <- function(bp, form, REML) {
      d$tp1 <- pmin(d$day, bp); d$tp2 <- pmax(d$day - bp, 0)
      lmer(form, data = d, REML = REML, control = ctl)
    }
    f <- fit(21, log(volume_mm3) ~ arm * (tp1 + tp2) + (tp1 | mouse) + (0 + tp2 | mouse), TRUE)
    logLik(f); isSingular(f)                               # TRUE: falls back
    f <- fit(21, log(volume_mm3) ~ arm * (tp1 + tp2) + (1 | mouse) + (0 + tp1 | mouse)
                 + (0 + tp2 | mouse), TRUE)
    logLik(f); fixef(f); sqrt(diag(as.matrix(vcov(f))))
    # breakpoint: -2 ML log-likelihood of the primary structure, as TumGrowth's optfct (which
    # uses the REML AIC), between the neighbours (17, 24) of the best measured day (21)
    crit <- function(b) -2 * as.numeric(logLik(fit(b, <primary formula>, FALSE)))
    optimize(crit, c(17, 24), tol = 1e-7)

and the same for ``data/public/invivosyn_crownbio/LS-1034.csv`` (arms Vehicle, Rabusertib,
Irinotecan, Irinotecan+Rabusertib) at breakpoint day 9 (both random-slope structures singular:
(1 | mouse) is used). lme4 names the interactions ``armX:tp1``; xenoflow ``tp1:armX``.
Tolerances (issue 18): fixed effects 1e-6 relative, SEs 1e-4 relative, REML logLik 1e-6.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from xenoflow import growth, mixed, piecewise, summary
from xenoflow.config import Growth, analysis_defaults
from xenoflow.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
CAKI2 = ROOT / "data" / "demo" / "caki2_clr131" / "calipers.csv"
LS1034 = ROOT / "data" / "public" / "invivosyn_crownbio" / "LS-1034.csv"
CAKI2_ARMS = ["I-127 CLR1404", "CLR 131"]
LS1034_ARMS = ["Vehicle", "Rabusertib", "Irinotecan", "Irinotecan+Rabusertib"]
LLF_TOL, FE_TOL, SE_TOL = 1e-6, 1e-6, 1e-4

CAKI2_PRIMARY_LLF = 197.855837316348  # singular (corr(intercept, tp1) = 1)
CAKI2_UNCORRELATED = (
    194.826129492392,
    {
        "(Intercept)": (5.03678251016689, 0.0420834278145727),
        "armCLR 131": (-0.27559572577518, 0.0594843422735845),
        "tp1": (0.00420124150169853, 0.00386235283375485),
        "tp2": (0.0420651303238434, 0.00116494975695846),
        "armCLR 131:tp1": (-0.0893083626115256, 0.00545194272211487),
        "armCLR 131:tp2": (-0.00350655372431847, 0.00162593857884973),
    },
)
# lmerTest::contest of the whole-curve contrast of the fit above (test below): Pr(>|t|)
CAKI2_CURVE_P = 5.22801668892643e-13
CAKI2_INTERCEPT = (
    139.049747642371,
    {
        "(Intercept)": (5.03532653618275, 0.0925776391381833),
        "armCLR 131": (-0.274139751791465, 0.13090617998241),
        "tp1": (0.00445637712974966, 0.00212860258492301),
        "tp2": (0.0418560406988384, 0.000596808883638723),
        "armCLR 131:tp1": (-0.089563498239585, 0.00298566245406591),
        "armCLR 131:tp2": (-0.00329746409931286, 0.000787168332345311),
    },
)
# optimize(crit, c(17, 24), tol = 1e-7): $minimum, $objective; crit(17), crit(24)
CAKI2_BREAKPOINT = (19.1627214998837, -480.25525560335)
CAKI2_ML_AT = {17.0: -415.151006133174, 24.0: -371.794166659786}

LS1034_PRIMARY_LLF = -258.222678963982  # singular
LS1034_INTERCEPT = (
    -258.915947815443,
    {
        "(Intercept)": (5.79188056323544, 0.286034230793532),
        "armRabusertib": (0.0469127152976483, 0.350318957206817),
        "armIrinotecan": (-0.0726937681398671, 0.355577008019575),
        "armIrinotecan+Rabusertib": (-0.0546657639368458, 0.350309467487835),
        "tp1": (0.131522769784116, 0.0321103470507663),
        "tp2": (0.062347319795945, 0.0464040108686268),
        "armRabusertib:tp1": (-0.0240437770554155, 0.0393269828690301),
        "armIrinotecan:tp1": (-0.105022762730391, 0.0382422236588849),
        "armIrinotecan+Rabusertib:tp1": (-0.202309433550957, 0.0377692762725855),
        "armRabusertib:tp2": (0.0178849144554646, 0.0568330743233498),
        "armIrinotecan:tp2": (-0.0962172888166022, 0.0473468157014367),
        "armIrinotecan+Rabusertib:tp2": (-0.0997097356704668, 0.047268966874349),
    },
)


def _ours(name: str) -> str:
    """lme4's coefficient name in xenoflow's spelling (``armX:tp1`` -> ``tp1:armX``)."""
    if name.startswith("arm") and ":" in name:
        arm, phase = name.rsplit(":", 1)
        return f"{phase}:{arm}"
    return name


def caki2_data() -> pd.DataFrame:
    d = pd.read_csv(CAKI2, dtype={"arm": str, "mouse_id": str})
    d["volume_mm3"] = d["length_mm"] * d["width_mm"] ** 2 / 2
    return d[["arm", "mouse_id", "day", "volume_mm3"]]


def ls1034_data() -> pd.DataFrame:
    return pd.read_csv(LS1034, dtype={"arm": str, "mouse_id": str})


@pytest.fixture(scope="module")
def caki2() -> pd.DataFrame:
    return growth.log_volumes(caki2_data(), analysis_defaults())[0]


@pytest.fixture(scope="module")
def ls1034() -> pd.DataFrame:
    return growth.log_volumes(ls1034_data(), analysis_defaults())[0]


def check_against_r(fit: mixed.MixedFit, golden: tuple[float, dict]) -> None:
    llf, coefs = golden
    assert fit.llf == pytest.approx(llf, abs=LLF_TOL)
    assert len(fit.names) == len(coefs)
    for name, (est, se) in coefs.items():
        i = fit.names.index(_ours(name))
        assert fit.beta[i] == pytest.approx(est, rel=FE_TOL), name
        assert math.sqrt(fit.vcov[i, i]) == pytest.approx(se, rel=SE_TOL), name


def test_caki2_fixed_breakpoint_matches_lme4(caki2: pd.DataFrame) -> None:
    sel, fits, note = mixed.fit_mixed(
        caki2,
        CAKI2_ARMS,
        CAKI2_ARMS[0],
        structures=piecewise.STRUCTURES,
        design_fn=piecewise.design(21.0),
    )
    by = {f.structure: f for f in fits}
    assert by["pw_correlated"].singular
    assert by["pw_correlated"].llf == pytest.approx(CAKI2_PRIMARY_LLF, abs=LLF_TOL)
    assert sel is by["pw_uncorrelated"] and not sel.singular and sel.converged
    assert "singular" in note and "fell back to (1 | mouse) + (0 + tp1 | mouse)" in note
    check_against_r(sel, CAKI2_UNCORRELATED)
    check_against_r(by["intercept"], CAKI2_INTERCEPT)


def test_second_dataset_ls1034_falls_back_to_intercept(ls1034: pd.DataFrame) -> None:
    sel, fits, note = mixed.fit_mixed(
        ls1034,
        LS1034_ARMS,
        "Vehicle",
        structures=piecewise.STRUCTURES,
        design_fn=piecewise.design(9.0),
    )
    by = {f.structure: f for f in fits}
    assert by["pw_correlated"].singular
    assert by["pw_correlated"].llf == pytest.approx(LS1034_PRIMARY_LLF, abs=LLF_TOL)
    assert sel.structure == "intercept"
    check_against_r(sel, LS1034_INTERCEPT)


def test_profile_breakpoint_matches_r_optimize(caki2: pd.DataFrame) -> None:
    profile = piecewise.Profile(caki2, CAKI2_ARMS, CAKI2_ARMS[0])
    for day, dev in CAKI2_ML_AT.items():
        assert profile(day) == pytest.approx(dev, abs=1e-6)
    bp, dev = piecewise.estimate_breakpoint(caki2, CAKI2_ARMS, CAKI2_ARMS[0])
    assert bp == pytest.approx(CAKI2_BREAKPOINT[0], abs=1e-4)
    assert dev == pytest.approx(CAKI2_BREAKPOINT[1], abs=1e-6)


def test_search_days_follow_tumgrowth() -> None:
    # days -1, 2, 9, 16, 20, 27, 32: range (-1 + (3 + 7)/2, 32 - (5 + 7)/2) = (4, 26)
    assert piecewise.search_days([-1, 2, 9, 16, 20, 27, 32]) == [9.0, 16.0, 20.0]
    assert piecewise.search_days([0, 1, 2, 3]) == []


def test_breakpoint_needs_every_arm_in_both_phases(ls1034: pd.DataFrame) -> None:
    # the vehicle arm ends on day 16: with the breakpoint there its later rate is undefined
    assert piecewise.estimable(ls1034, LS1034_ARMS, "Vehicle", 9.0)
    assert not piecewise.estimable(ls1034, LS1034_ARMS, "Vehicle", 16.0)
    # after day 20 no mouse has three measurements (TumGrowth's guard)
    assert not piecewise.phases_supported(ls1034, 20.0)
    assert piecewise.estimate_breakpoint(ls1034, LS1034_ARMS, "Vehicle")[0] == 9.0


def test_two_phase_rule(caki2: pd.DataFrame, ls1034: pd.DataFrame) -> None:
    # Caki-2: CLR 131 falls to 1/6 of its baseline by day 21, back above it by day 75; the
    # control's lag then growth is not a regression
    assert piecewise.two_phase_arms(caki2, CAKI2_ARMS, 0.5) == ["CLR 131"]
    assert piecewise.two_phase_arms(ls1034, LS1034_ARMS, 0.5) == ["Irinotecan+Rabusertib"]
    flat = pd.Series([100.0, 60.0, 40.0, 30.0])  # shrinks, no regrowth
    assert not piecewise.is_two_phase(flat)
    assert piecewise.is_two_phase(pd.Series([100.0, 50.0, 86.5]))  # 86.5 >= 1.728 * 50
    assert not piecewise.is_two_phase(pd.Series([100.0, 50.0, 86.0]))


def test_curve_weights_by_hand() -> None:
    # breakpoint 20, days 0..65: 20 days in phase 1, 45 in phase 2
    w = piecewise.curve_weights("A", 20.0, 0.0, 65.0)
    assert w == {"tp1:armA": pytest.approx(20 / 65), "tp2:armA": pytest.approx(45 / 65)}
    assert piecewise.curve_weights("A", 20.0, 0.0, 10.0) == {
        "tp1:armA": pytest.approx(1.0),
        "tp2:armA": 0.0,
    }
    assert piecewise.curve_weights("A", 20.0, 5.0, float("nan")) is None


@pytest.fixture(scope="module")
def fixed_table() -> pd.DataFrame:
    return growth.analyse(
        caki2_data(),
        analysis_defaults(),
        CAKI2_ARMS,
        CAKI2_ARMS[0],
        reference_day=65,
        baseline_day=0,
        two_phase=Growth(breakpoint_day=21),
    ).piecewise


def test_stage_table_rates_are_the_lme4_contrasts(fixed_table: pd.DataFrame) -> None:
    t = fixed_table.set_index("arm")
    assert list(fixed_table.columns) == piecewise.COLUMNS
    coef = {k: v[0] for k, v in CAKI2_UNCORRELATED[1].items()}
    treated, control = t.loc["CLR 131"], t.loc["I-127 CLR1404"]
    assert control["rate_before"] == pytest.approx(coef["tp1"], rel=FE_TOL)
    assert control["rate_after"] == pytest.approx(coef["tp2"], rel=FE_TOL)
    before = coef["tp1"] + coef["armCLR 131:tp1"]
    assert treated["rate_before"] == pytest.approx(before, rel=FE_TOL)
    assert treated["diff_after_vs_control"] == pytest.approx(coef["armCLR 131:tp2"], rel=FE_TOL)
    assert treated["diff_before_se"] == pytest.approx(
        CAKI2_UNCORRELATED[1]["armCLR 131:tp1"][1], rel=SE_TOL
    )
    # whole curve, days 0-65: (21 * gamma1 + 44 * gamma2) / 65
    curve = (21 * coef["armCLR 131:tp1"] + 44 * coef["armCLR 131:tp2"]) / 65
    assert treated["curve_rate_diff"] == pytest.approx(curve, rel=1e-6)
    assert treated["two_phase"] and not control["two_phase"]
    assert (t["breakpoint_method"] == piecewise.METHOD_FIXED).all()
    assert t["random_effects"].iloc[0] == mixed.STRUCTURE_LABELS["pw_uncorrelated"]
    # one treated arm: Holm leaves its p as it is
    assert treated["p_before_holm"] == treated["p_before"] < 1e-6
    # the whole curve's t test with Satterthwaite df, lmerTest on the fit above:
    #   L <- setNames(rep(0, 6), names(fixef(f)))
    #   L["armCLR 131:tp1"] <- 21 / 65; L["armCLR 131:tp2"] <- 44 / 65
    #   contest(f, L, joint = FALSE)  # df 20.685, t -15.784
    assert treated["p_curve"] == pytest.approx(CAKI2_CURVE_P, rel=1e-2)
    assert treated["p_curve_holm"] == treated["p_curve"]


def test_summary_leads_with_the_two_phases(fixed_table: pd.DataFrame) -> None:
    from xenoflow.config import Arm, Study

    study = Study(
        study_id="caki2",
        path=CAKI2,
        data=CAKI2,
        control=CAKI2_ARMS[0],
        arms=tuple(Arm(a) for a in CAKI2_ARMS),
        settings=analysis_defaults(),
    )
    text = " ".join(summary.two_phase_sentences(study, fixed_table))
    assert text.startswith("Tumours in CLR 131 shrank at 0.0851 per day")  # 0.0042 - 0.0893
    assert "until day 21, then regrew at 0.0386 per day" in text
    assert "fixed in the study file" in text and "forest plot" in text
    finding = summary.whole_curve_findings(study, fixed_table)["CLR 131"]
    assert (
        finding.two_phase and finding.metric == "two-phase piecewise model, mean over days 0 to 65"
    )
    row = summary.growth_columns(finding)
    assert (
        row["rate_diff_vs_control"]
        == fixed_table.set_index("arm").loc["CLR 131", "curve_rate_diff"]
    )
    # one treated arm: its p is the t test's, not adjusted
    assert row["rate_diff_p_method"] == mixed.SATTERTHWAITE_LABEL
    assert f"{summary.fmt(finding.estimate)} per day" in text and summary.fmt_p(finding.p) in text


def test_header_only_when_no_arm_regresses() -> None:
    sim = Path(__file__).parent / "data" / "growth" / "simulated_3arm_8mice.csv"
    data = pd.read_csv(sim, dtype={"arm": str, "mouse_id": str})
    res = growth.analyse(data, analysis_defaults(), ["Vehicle", "DrugA", "DrugB"], "Vehicle")
    assert res.piecewise.empty and list(res.piecewise.columns) == piecewise.COLUMNS


def test_breakpoint_outside_the_measured_days_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="breakpoint_day': day 200 is not inside"):
        growth.analyse(
            caki2_data(),
            analysis_defaults(),
            CAKI2_ARMS,
            CAKI2_ARMS[0],
            two_phase=Growth(breakpoint_day=200),
        )


def test_never_skips_the_model() -> None:
    res = piecewise.analyse(
        growth.log_volumes(caki2_data(), analysis_defaults())[0],
        CAKI2_ARMS,
        CAKI2_ARMS[0],
        Growth(piecewise="never"),
        analysis_defaults(),
        (0.0, 65.0),
    )
    assert res.table.empty and np.isnan(res.breakpoint)


def test_two_phase_lead_needs_the_model_to_regrow_too() -> None:
    # LS-1034's combination arm: its curve halves and regrows, but with the breakpoint on day 9
    # the model shrinks in both phases (growth, regression, slow regrowth: three phases)
    row = {"two_phase": True, "rate_before": -0.0708, "rate_after": -0.0374, "breakpoint_day": 9.0}
    assert not piecewise.two_phase_text(row)
    assert piecewise.two_phase_text({**row, "rate_after": 0.0377})
    assert not piecewise.two_phase_text({**row, "rate_after": 0.0377, "two_phase": False})


def test_panel_models_fit_it_only_when_asked() -> None:
    import dataclasses

    from xenoflow.config import Arm, Study

    study = Study(
        study_id="ls1034",
        path=LS1034,
        data=LS1034,
        control="Vehicle",
        arms=tuple(Arm(a) for a in LS1034_ARMS),
        settings={**analysis_defaults(), "growth_model_selection": False},
    )
    data = ls1034_data()
    assert len(growth.analyse_study(data, study).piecewise) == 4  # a study: auto fits it
    unit = dataclasses.replace(study, panel_id="panel", split_value="LS-1034")
    assert growth.analyse_study(data, unit).piecewise.empty  # a panel model: not by default
    asked = dataclasses.replace(unit, growth=Growth(piecewise="always"))
    assert len(growth.analyse_study(data, asked).piecewise) == 4


def _staggered_study(treated: str) -> tuple[pd.DataFrame, Any]:
    """Control: 8 mice on days 0, 7, ..., 42, growing 0.05/day. Treated (8 mice): ``grows``
    grows as the control, half its mice measured on the control's days and half, a tenth the
    size, a day later; ``regrows`` halves to day 21 and regrows (every mouse alike), measured
    on three calendars (days 7k - 1, 7k, 7k + 1 after day 0)."""
    from xenoflow.config import Arm, Study

    rows = []
    shift = dict(enumerate([-1.0, -1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]))
    if treated == "grows":
        shift = dict(enumerate([0.0] * 4 + [1.0] * 4))
    for m in range(8):
        for k in range(7):
            rows.append(("Vehicle", str(m), 7.0 * k, 100.0 * math.exp(0.05 * 7 * k + 0.01 * m)))
            day = 7.0 * k + (shift[m] if k else 0.0)
            if treated == "grows":
                size = 100.0 if shift[m] < 1 else 10.0
                volume = size * math.exp(0.05 * day + 0.01 * m)
            else:
                volume = 200.0 * math.exp(-0.06 * min(day, 21.0) + 0.08 * max(day - 21.0, 0.0))
                volume *= math.exp(0.01 * m)
            rows.append(("Drug", str(m), day, volume))
    data = pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "volume_mm3"])
    study = Study(
        study_id="staggered",
        path=Path("staggered.yaml"),
        data=Path("staggered.csv"),
        control="Vehicle",
        arms=(Arm("Vehicle"), Arm("Drug")),
        settings={**analysis_defaults(), "growth_model_selection": False},
    )
    return data, study


def test_two_phase_arms_are_read_at_the_visits() -> None:
    """Issue 30 (a): two-phase detection uses the visit windows, as the other cuts by day. By
    exact days a growing arm measured on staggered calendars alternates between its big and
    small mice (a false 'regression then regrowth'), and an arm that does halve and regrow has
    no day with half its mice (no curve at all)."""
    from xenoflow import visits

    for treated, by_day, at_visit in (("grows", ["Drug"], []), ("regrows", [], ["Drug"])):
        data, study = _staggered_study(treated)
        logd = growth.log_volumes(data, study.settings)[0]
        aligned = visits.align_study(study, data)
        visit_day = visits.redate(logd, aligned, data)["day"].to_numpy()
        arms = ["Vehicle", "Drug"]
        assert piecewise.two_phase_arms(logd, arms, 0.5) == by_day, treated
        assert piecewise.two_phase_arms(logd, arms, 0.5, visit_day) == at_visit, treated
        # the stage: the growth model's table flags the arm by its visits
        table = growth.analyse_study(data, study).piecewise.set_index("arm")
        assert table.empty if treated == "grows" else bool(table.loc["Drug", "two_phase"])

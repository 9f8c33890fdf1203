"""Power and sample size (issue 17): golden values from R (stats, pwr, nlme), Schoenfeld and
Freedman by hand, simulation against the analytic power, and the stage on a demo study."""

from __future__ import annotations

import math
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xenoflow import io, mixed, power, stages
from xenoflow import tables as registry
from xenoflow.config import ConfigError, Design, load_study
from xenoflow.ingest import read_source
from xenoflow.survtests import logrank

ROOT = Path(__file__).resolve().parents[1]
U87 = ROOT / "config" / "studies" / "u87mg_clr131.yaml"


def tgi_delta(tgi: float) -> float:
    return math.log(1 / (1 - tgi))


# --- log volume: R power.t.test and pwr ------------------------------------------------------

# R: power.t.test(n=n, delta=log(1/(1-tgi)), sd=sd, sig.level=0.05)$power   (strict = FALSE)
# and the same call with strict=TRUE (R 4.x, stats)
T_TEST = [
    (6, 0.5, 0.4, 0.771782440379, 0.771783649331),
    (3, 0.3, 0.5, 0.101162458840, 0.104991697939),
    (10, 0.7, 0.7, 0.952913743096, 0.952913752608),
    (15, 0.4, 1.1595, 0.213434348594, 0.214318876367),
]


@pytest.mark.parametrize(("n", "tgi", "sd", "expected", "strict"), T_TEST)
def test_t_test_power_equals_r_power_t_test(n, tgi, sd, expected, strict):
    assert power.t_test_power(n, tgi_delta(tgi), sd, 0.05) == pytest.approx(expected, abs=1e-9)
    got = power.t_test_power(n, tgi_delta(tgi), sd, 0.05, strict=True)
    assert got == pytest.approx(strict, abs=1e-9)


def test_t_test_power_equals_r_pwr():
    # R: pwr::pwr.t.test(n=6, d=log(2)/0.4, sig.level=0.05)$power
    assert power.t_test_power(6, math.log(2), 0.4, 0.05, strict=True) == pytest.approx(
        0.771783649331, abs=1e-9
    )
    # R: pwr::pwr.t.test(n=4, d=log(1/0.4)/0.7, sig.level=0.05)$power
    assert power.t_test_power(4, math.log(1 / 0.4), 0.7, 0.05, strict=True) == pytest.approx(
        0.344715211683, abs=1e-9
    )


def test_t_test_n_equals_r_power_t_test():
    # R: power.t.test(delta=log(2), sd=0.4, sig.level=0.05, power=0.8, tol=1e-12)$n
    # (R's default uniroot tolerance, 1.2e-4, gives 6.3481987385)
    assert power.t_test_n(math.log(2), 0.4, 0.05, 0.8) == pytest.approx(6.3481940000, abs=1e-8)
    # R: power.t.test(delta=log(1/(1-0.3)), sd=0.5, sig.level=0.01, power=0.9, tol=1e-12)$n
    got = power.t_test_n(tgi_delta(0.3), 0.5, 0.01, 0.9)
    assert got == pytest.approx(60.1625021532, abs=1e-8)


def test_log_effect_and_rate_effect():
    assert power.log_effect(50) == pytest.approx(math.log(2))
    # a rate difference d over t days gives T/C = exp(d t) = 1 - TGI
    assert math.exp(power.rate_effect(60, 21) * 21) == pytest.approx(0.4)


def test_pooled_log_sd_by_hand():
    m = pd.DataFrame(
        {
            "arm": ["C", "C", "C", "T", "T", "C"],
            "mouse_id": ["1", "2", "3", "1", "2", "1"],
            "day": [7.0, 7.0, 7.0, 7.0, 7.0, 0.0],
            "volume_mm3": [100.0, 200.0, 400.0, 50.0, 150.0, 80.0],
        }
    )
    sd, df = power.pooled_log_sd(m, 7.0, {"log_zero_rule": "drop"})
    c = np.log([100, 200, 400])
    t = np.log([50, 150])
    ss = ((c - c.mean()) ** 2).sum() + ((t - t.mean()) ** 2).sum()
    assert df == 3
    assert sd == pytest.approx(math.sqrt(ss / 3))


# --- growth rate: Helms 1992 noncentral F, against a full GLS computation in R -------------

# R (the contrast's variance from the full GLS information of the design, not the balanced
# shortcut slope_variance uses):
#   helms <- function(n, days, tgi, s0, s1, r, sig, alpha = 0.05) {
#     D <- matrix(c(s0^2, r*s0*s1, r*s0*s1, s1^2), 2); s2 <- sig^2
#     effect <- log(1 - tgi) / (max(days) - min(days))
#     Z <- cbind(1, days); Vi <- solve(Z %*% D %*% t(Z) + s2 * diag(length(days)))
#     XtVX <- matrix(0, 4, 4)
#     for (g in 0:1) { X <- cbind(1, g, days, g * days); XtVX <- XtVX + n * t(X) %*% Vi %*% X }
#     v <- solve(XtVX)[4, 4]; df <- 2 * n - 2
#     1 - pf(qf(1 - alpha, 1, df), 1, df, ncp = effect^2 / v) }
HELMS = [
    # helms(5, c(0,3,7,10,14,17,21,24,28), 0.5, 0.2925636325, 0.02283081235, 0.7879484414, 0.3897476952)
    (5, [0, 3, 7, 10, 14, 17, 21, 24, 28], 50, (0.2925636325, 0.02283081235, 0.7879484414, 0.3897476952), 0.05, 0.249009751338),
    # helms(10, c(0, 2, 4, 7, 9, 11, 14), 0.4, 0.5, 0.03, -0.4, 0.2)
    (10, [0, 2, 4, 7, 9, 11, 14], 40, (0.5, 0.03, -0.4, 0.2), 0.05, 0.618880326621),
    # helms(3, c(0, 7, 14, 21), 0.6, 0.3, 0.0, 0.0, 0.25, alpha=0.01)
    (3, [0, 7, 14, 21], 60, (0.3, 0.0, 0.0, 0.25), 0.01, 0.310899428229),
]  # fmt: skip


@pytest.mark.parametrize(("n", "days", "tgi", "comps", "alpha", "expected"), HELMS)
def test_contrast_power_equals_helms_gls_in_r(n, days, tgi, comps, alpha, expected):
    _, s1, _, sig = comps
    v = power.slope_variance(days, s1, sig)
    effect = power.rate_effect(tgi, max(days) - min(days))
    assert power.contrast_power(n, effect, v, alpha) == pytest.approx(expected, abs=1e-9)


@pytest.fixture(scope="module")
def u87_tables():
    """The u87mg_clr131 demo study analysed in memory (the pilot of the design tests)."""
    study = load_study(U87)
    return study, stages.analyse_study(study, read_source(study))


# R (nlme 3.1): the same pilot fitted by nlme, then helms() above with D = getVarCov(fit),
# s2 = fit$sigma^2:
#   d <- read.csv("data/demo/u87mg_clr131/volumes.csv", check.names=FALSE)
#   names(d) <- c("arm","mouse_id","day","volume"); d$mouse <- interaction(d$arm, d$mouse_id)
# (days <= 35: the growth model stops where the control has half its mice measured)
#   fit <- lme(log(volume) ~ day * arm, random = ~ day | mouse,
#              data = d[d$volume > 0 & d$day <= 35, ],
#              method = "REML", control = lmeControl(opt = "optim"))
#   vc <- getVarCov(fit); s0 <- sqrt(vc[1,1]); s1 <- sqrt(vc[2,2]); r <- vc[1,2]/(s0*s1)
#   -> s0 0.1842140391, sd(day) 0.04339083109, r -0.4442782283, sigma 0.2051297466;
#   helms(n, c(0,3,7,10,14,17,21,24,28), tgi, s0, s1, r, fit$sigma)
NLME_PILOT = [(4, 50, 0.1036264709), (8, 50, 0.1822612834), (8, 70, 0.4437860166),
              (15, 50, 0.3182490108), (15, 70, 0.73269986)]  # fmt: skip


def test_growth_rate_power_from_the_pilot_matches_nlme(u87_tables):
    study, tables = u87_tables
    comps = power.components(tables["growth_model_fits"])
    assert comps is not None
    assert comps.sd_slope == pytest.approx(0.04339083109, rel=0.01)
    assert comps.sd_residual == pytest.approx(0.2051297466, rel=0.01)
    got = tables["power"]
    for n, tgi, expected in NLME_PILOT:
        row = got[
            (got["endpoint"] == "growth_rate")
            & (got["n_per_arm"] == n)
            & (got["tgi_pct"] == tgi)
            & (got["follow_up_days"] == 28)
        ]
        assert row["schedule_days"].iloc[0] == "0, 3, 7, 10, 14, 17, 21, 24, 28"
        # nlme's and xenoflow's REML optima differ in the 4th digit of the SDs
        assert row["power"].iloc[0] == pytest.approx(expected, abs=3e-3)


def test_slope_contrast_of_the_mixed_model_is_the_per_mouse_slope_contrast():
    """The balanced-design identity behind slope_variance and the simulation: the mixed model's
    rate difference and its SE equal the mean per-mouse slope difference and the pooled
    two-sample SE (Ψ not on its boundary)."""
    rng = np.random.default_rng(7)
    days = np.array([0.0, 3, 7, 10, 14, 17, 21])
    comps = power.Components(0.3, 0.03, 0.4, 0.15, "(1 + day | mouse)")
    n = 8
    b = rng.multivariate_normal([0, 0], comps.psi, size=2 * n)
    rows = []
    for i in range(2 * n):
        arm = "C" if i < n else "T"
        k = 0.1 if arm == "C" else 0.06
        y = 4 + b[i, 0] + (k + b[i, 1]) * days + rng.normal(0, comps.sd_residual, days.size)
        rows += [
            {"arm": arm, "mouse": f"{arm}{i}", "day": d, "log_volume": v} for d, v in zip(days, y)
        ]
    logd = pd.DataFrame(rows)
    fit, _, note = mixed.fit_mixed(logd, ["C", "T"], "C")
    assert fit is not None and fit.structure == "correlated", note
    est, se = mixed._contrast(fit, {"day:armT": 1.0})
    slopes = logd.groupby("mouse", sort=False).apply(
        lambda g: np.polyfit(g["day"], g["log_volume"], 1)[0], include_groups=False
    )
    c, t = slopes.to_numpy()[:n], slopes.to_numpy()[n:]
    assert est == pytest.approx(t.mean() - c.mean(), abs=1e-6)
    pooled = (c.var(ddof=1) + t.var(ddof=1)) / 2
    assert se == pytest.approx(math.sqrt(2 * pooled / n), rel=1e-4)


@pytest.mark.parametrize(("n", "tgi", "days"), [(4, 50, 21.0), (8, 60, 28.0), (12, 40, 14.0)])
def test_growth_rate_simulation_agrees_with_the_analytic_power(n, tgi, days):
    comps = power.Components(0.29, 0.0228, 0.79, 0.39, "(1 + day | mouse)")
    schedule = [d for d in (0, 3, 7, 10, 14, 17, 21, 24, 28) if d <= days]
    v = power.slope_variance(schedule, comps.sd_slope, comps.sd_residual)
    effect = power.rate_effect(tgi, days)
    analytic = power.contrast_power(n, effect, v, 0.05)
    sims = 4000
    sim = power.simulate_contrast_power(
        np.random.default_rng(11), n, effect, schedule, comps, 0.05, sims
    )
    se = math.sqrt(analytic * (1 - analytic) / sims)
    assert abs(sim - analytic) < 3 * se


def test_contrast_n_inverts_contrast_power():
    v = power.slope_variance([0, 7, 14, 21], 0.02, 0.3)
    effect = power.rate_effect(50, 21)
    n = power.contrast_n(effect, v, 0.05, 0.8)
    assert power.contrast_power(n, effect, v, 0.05) == pytest.approx(0.8, abs=1e-8)
    assert power.contrast_power(math.floor(n), effect, v, 0.05) < 0.8


def test_schedule_continues_the_pilot_spacing():
    assert power.schedule([0, 3, 7, 10, 14], 0, 10) == [0, 3, 7, 10]
    # beyond the pilot's last day: every median interval (3.5), then the follow-up day
    assert power.schedule([0, 3, 7, 10, 14], 0, 22) == [0, 3, 7, 10, 14, 17.5, 21, 22]


# --- survival: Schoenfeld, Freedman, log-rank simulation --------------------------------------


def test_schoenfeld_and_freedman_events_by_hand():
    # z_0.975 = 1.959964, z_0.8 = 0.841621: (z + z)^2 = 7.848879
    # Schoenfeld: 4 * 7.848879 / ln(0.5)^2 = 31.395515 / 0.480453 = 65.3456
    assert power.schoenfeld_events(0.5, 0.05, 0.8) == pytest.approx(65.3456, abs=1e-3)
    # Freedman: 7.848879 * ((1 + 0.5) / (1 - 0.5))^2 = 7.848879 * 9 = 70.6399
    assert power.freedman_events(0.5, 0.05, 0.8) == pytest.approx(70.6399, abs=1e-3)
    # the power functions invert them
    assert power.schoenfeld_power(65.3456, 0.5, 0.05) == pytest.approx(0.8, abs=1e-5)
    assert power.freedman_power(70.6399, 0.5, 0.05) == pytest.approx(0.8, abs=1e-5)


def test_event_probability_and_hazard_ratio_by_hand():
    # exponential with median 30, followed 30 days: half the mice have an event
    assert power.event_probability(30, 30) == pytest.approx(0.5)
    assert power.event_probability(30, 60) == pytest.approx(0.75)
    # TGI 50 % at day 28 with k_C = 0.1/day: k_T = 0.1 + ln(0.5)/28, HR = k_T/k_C
    assert power.hazard_ratio(50, 28, 0.1) == pytest.approx(1 + math.log(0.5) / 2.8)
    # a treated rate <= 0 never reaches the endpoint: no hazard ratio
    assert math.isnan(power.hazard_ratio(70, 7, 0.1))


def test_freedman_sample_size_equals_lifelines():
    lifelines = pytest.importorskip("lifelines.statistics")
    p_c, p_t = power.event_probability(30, 60), power.event_probability(30 / 0.6, 60)
    n_t, n_c = lifelines.sample_size_necessary_under_cph(0.8, 1, p_t, p_c, 0.6, 0.05)
    n = power.freedman_events(0.6, 0.05, 0.8) / (p_c + p_t)
    assert math.ceil(n) == n_t == n_c


def test_logrank_z_equals_the_logrank_test():
    rng = np.random.default_rng(3)
    time = np.minimum(rng.exponential(30, size=(5, 16)), 40.0)
    event = time < 40.0
    treated = np.broadcast_to(np.r_[np.zeros(8), np.ones(8)], time.shape)
    z = power.logrank_z(time, event, treated)
    for i in range(5):
        group = np.where(treated[i] == 1, "T", "C")
        chisq, _, _ = logrank(time[i], event[i].astype(int), group, ["C", "T"])
        assert z[i] ** 2 == pytest.approx(chisq, rel=1e-10)


@pytest.mark.parametrize(
    ("n", "median", "hr", "follow_up"), [(60, 30, 0.6, 60), (40, 30, 0.5, 90), (100, 20, 0.7, 40)]
)
def test_logrank_simulation_agrees_with_schoenfeld(n, median, hr, follow_up):
    events = n * (
        power.event_probability(median, follow_up) + power.event_probability(median / hr, follow_up)
    )
    analytic = power.schoenfeld_power(events, hr, 0.05)
    sims = 4000
    sim = power.simulate_logrank_power(
        np.random.default_rng(5), n, median, hr, follow_up, 0.05, sims
    )
    assert abs(sim - analytic) < 3 * math.sqrt(analytic * (1 - analytic) / sims)


# --- the stage on a demo study -------------------------------------------------------------


def test_power_stage_tables(u87_tables):
    study, tables = u87_tables
    design = study.design
    assert design is not None and design.follow_up_days == (14.0, 21.0, 28.0)
    pw, ss = tables["power"], tables["sample_size"]
    assert list(pw.columns) == registry.columns("power")
    assert list(ss.columns) == registry.columns("sample_size")
    assert set(pw["endpoint"]) == {"log_volume", "growth_rate", "survival"}
    # log volume at the reference day: the pooled within-arm SD of ln V on day 28
    ref = pw[(pw["endpoint"] == "log_volume") & (pw["follow_up_days"] == 28)]
    m = tables["measurements"]
    at = m[m["day"] == 28].assign(y=lambda d: np.log(d["volume_mm3"]))
    ss_within = at.groupby("arm")["y"].apply(lambda y: ((y - y.mean()) ** 2).sum()).sum()
    sd = math.sqrt(ss_within / (len(at) - at["arm"].nunique()))
    assert ref["sd"].unique() == pytest.approx([sd])
    # the Schoenfeld and Freedman rows use the pilot's control median; the rows simulated from
    # the growth model, the growth-rate effect
    surv = tables["survival"]
    control_median = surv.loc[surv["arm"] == study.control, "median_days"].iloc[0]
    by_formula = pw[pw["method"].isin([power.METHOD_SCHOENFELD, power.METHOD_FREEDMAN])]
    assert set(by_formula["control_median_days"]) == {control_median}
    simulated = pw[pw["method"] == power.METHOD_GROWTH_ENDPOINT]
    rates = pw[pw["endpoint"] == "growth_rate"].drop_duplicates(["tgi_pct", "follow_up_days"])
    assert len(simulated) == len(by_formula) // 2
    assert set(simulated["effect"]) == set(rates["effect"])
    # sample size: n_needed is the smallest whole n reaching the target, and the grid n the
    # smallest grid value with analytic power >= target
    for _, r in ss[ss["n_exact"].notna()].iterrows():
        rows = pw[
            (pw["endpoint"] == r["endpoint"])
            & (pw["method"] == r["method"])
            & (pw["tgi_pct"] == r["tgi_pct"])
            & (pw["follow_up_days"] == r["follow_up_days"])
        ]
        reached = rows.loc[rows["power"] >= design.power, "n_per_arm"]
        if len(reached):
            assert r["n_per_arm"] == reached.min()
        else:
            assert np.isnan(r["n_per_arm"])
        assert r["n_needed"] >= r["n_exact"] > r["n_needed"] - 1
    # synergy needs combination arms (tests/test_synergy.py has a pilot with them)
    assert "declares no combinations" in ss.loc[ss["endpoint"] == "synergy", "note"].iloc[0]


def test_power_tables_are_deterministic(u87_tables):
    study, tables = u87_tables
    again = stages.run_power(study, tables).tables
    for name in ("power", "sample_size"):
        first = io.encode(registry.table(name), tables[name])
        second = io.encode(registry.table(name), again[name])
        assert first.cells == second.cells


def test_design_defaults_and_panel_refusal(tmp_path):
    data = tmp_path / "v.csv"
    data.write_text("arm,mouse_id,day,volume_mm3\nC,1,0,100\nT,1,0,100\n")
    base = "study_id: s\ndata: v.csv\ncontrol: C\n"
    (tmp_path / "a.yaml").write_text(base + "design: {}\n")
    assert load_study(tmp_path / "a.yaml").design == Design()
    assert Design().tgi_pct == (30, 40, 50, 60, 70) and Design().simulations == 1000
    (tmp_path / "b.yaml").write_text(base + "design: {tgi_pct: [50, 30], alpha: 0.1}\n")
    d = load_study(tmp_path / "b.yaml").design
    assert d is not None and d.tgi_pct == (30.0, 50.0) and d.alpha == 0.1
    (tmp_path / "c.yaml").write_text(base + "split_by: model\ndesign: {}\n")
    with pytest.raises(ConfigError, match="design"):
        load_study(tmp_path / "c.yaml")
    (tmp_path / "d.yaml").write_text(base + "design: {tgi_pct: [100]}\n")
    with pytest.raises(ConfigError, match="tgi_pct"):
        load_study(tmp_path / "d.yaml")


def test_summary_design_sentence_quotes_sample_size(u87_tables):
    study, tables = u87_tables
    md = stages.run_summary(study, tables)["summary_md"]
    assert isinstance(md, str)
    ss = tables["sample_size"]
    at = ss[(ss["tgi_pct"] == 50) & (ss["follow_up_days"] == 28)]  # the reference day

    def needed(endpoint: str) -> int:
        return int(at.loc[at["endpoint"] == endpoint, "n_needed"].iloc[0])

    assert "## Design of a next study (this study as the pilot)" in md
    # the effect in the report's own terms (issue 27 item 7): a ratio of geometric means
    assert (
        "To detect a 50% growth inhibition on day 28 (a treated/control ratio of geometric-mean "
        "volumes of 0.500; the %T/C and %TGI above use arithmetic means) with 80% power" in md
    )
    assert f"{needed('log_volume')} mice per arm for the log-volume endpoint" in md
    assert f"{needed('growth_rate')} mice per arm for the growth-rate endpoint" in md
    # an infeasible survival design is named, with the formula's number, and why
    schoenfeld = at[at["method"] == "log-rank, Schoenfeld 1981"]["n_needed"].iloc[0]
    assert (
        "The time-to-endpoint (log-rank) endpoint is not feasible: 15 mice per arm, the most "
        f"simulated, do not reach 80% power (Schoenfeld's formula: {int(schoenfeld)} mice per "
        "arm)." in md
    )
    median = tables["survival"].set_index("arm").loc[study.control, "median_days"]
    assert median > 28 and (
        "The survival design's follow-up ends on day 28, before the pilot's control median "
        f"time to the endpoint ({median:g} days)" in md
    )
    assert "more mice per arm than the design" not in md


def test_cli_power_prints_the_tables(capsys):
    from xenoflow.cli import main

    args = ["power", str(U87), "--tgi", "50", "--n", "4", "6", "--follow-up", "28"]
    assert main([*args, "--simulations", "0", "--power", "0.9", "--tsv"]) == 0
    out = capsys.readouterr().out
    power_text, sample_text = out.split("# sample_size\n")
    pw = pd.read_csv(StringIO(power_text.split("# power\n")[1]), sep="\t")
    ss = pd.read_csv(StringIO(sample_text), sep="\t")
    assert set(pw["n_per_arm"]) == {4, 6} and set(pw["tgi_pct"]) == {50}
    assert pw["power_simulated"].isna().all()
    assert (ss["target_power"] == 0.9).all()
    lv = ss[ss["endpoint"] == "log_volume"].iloc[0]
    sd = pw.loc[pw["endpoint"] == "log_volume", "sd"].iloc[0]
    assert lv["n_exact"] == pytest.approx(power.t_test_n(math.log(2), sd, 0.05, 0.9), rel=1e-6)


def test_power_stage_from_disk_equals_in_memory(u87_tables, tmp_path):
    """The power rule reads its inputs from disk; analyse_study chains them in memory: the
    same tables either way."""
    study, tables = u87_tables
    inputs = ["measurements", "efficacy", "growth_model", "growth_model_fits", "survival"]
    from_disk = {}
    for name in inputs:
        io.write_table(name, tables[name], tmp_path / f"{name}.tsv")
        from_disk[name] = io.read_table(tmp_path / f"{name}.tsv")
    out = stages.run_power(study, from_disk)
    for name, df in out.tables.items():
        io.write_table(name, df, tmp_path / f"{name}.tsv")
        pd.testing.assert_frame_equal(io.read_table(tmp_path / f"{name}.tsv"), tables[name])


def test_tied_logrank_z_equals_survdiff_on_grid_times():
    """Z² of :func:`power.logrank_z_ties` is the log-rank chi-square with ties (R survdiff,
    which survtests.logrank reproduces) on times that fall on measurement days."""
    rng = np.random.default_rng(5)
    grid = np.array([3.0, 7.0, 10.0, 14.0, 17.0, 21.0])
    time = rng.choice(grid, size=(20, 12))
    event = rng.random((20, 12)) < 0.7
    treated = np.broadcast_to(np.r_[np.zeros(6, bool), np.ones(6, bool)], time.shape)
    z = power.logrank_z_ties(time, event, treated, grid)
    for i in range(20):
        group = np.where(treated[i], "T", "C")
        chisq, _, _ = logrank(time[i], event[i].astype(float), group, ["C", "T"])
        assert z[i] ** 2 == pytest.approx(chisq, rel=1e-10)


def _endpoint_power(effect: float, comps: power.Components, n: int = 6) -> float:
    rng = np.random.default_rng(11)
    days = [0.0, 3.0, 7.0, 10.0, 14.0, 17.0, 21.0, 24.0, 28.0, 31.0, 35.0]
    endpoint = power.Endpoint(math.log(1000.0), None, "first_above")
    growth = (math.log(100.0), 0.1)  # 100 mm3 at day 0 growing 10 %/day: 1000 mm3 by day 23
    return power.simulate_endpoint_power(rng, n, effect, days, comps, growth, endpoint, 0.05, 2000)


def test_endpoint_simulation_keeps_its_level_and_sees_a_clear_effect():
    comps = power.Components(0.3, 0.02, 0.0, 0.15, "intercept + slope")
    # no effect: the test rejects in about alpha of the studies (3 Monte-Carlo SEs)
    level = _endpoint_power(0.0, comps)
    assert abs(level - 0.05) < 3 * math.sqrt(0.05 * 0.95 / 2000)
    # without noise, control tumours reach 1000 mm3 on day 24 and treated ones at half the
    # rate never (day 46 > 35): 6 events against none on one day, (O - E)^2/V = 9/(9/11) = 11,
    # so every study rejects
    exact = power.Components(1e-6, 1e-6, 0.0, 1e-6, "intercept + slope")
    assert _endpoint_power(-0.05, exact) == 1.0
    # between-mouse variability costs power, the more the larger it is
    noisy = power.Components(0.3, 0.06, 0.0, 0.15, "intercept + slope")
    assert level < _endpoint_power(-0.05, noisy) < _endpoint_power(-0.05, comps) < 1.0


def test_fold_endpoint_counts_from_each_mouse_first_volume():
    comps = power.Components(1e-6, 1e-6, 0.0, 1e-6, "intercept + slope")  # no noise
    days = [0.0, 7.0, 14.0, 21.0]
    fold = power.Endpoint(None, math.log(2.0), "fold_baseline")
    rng = np.random.default_rng(1)
    # control doubles by day 7 (k = 0.1 > ln 2/7), treated (k = 0.01) never: every study rejects
    # with n = 5 (all 5 control events on day 7, none treated)
    args = (days, comps, (math.log(100.0), 0.1), fold, 0.05, 50)
    assert power.simulate_endpoint_power(rng, 5, -0.09, *args) == 1.0
    assert power.simulate_endpoint_power(rng, 5, 0.0, *args) == 0.0  # identical curves

"""Efficacy metrics: hand-computed values for every formula, bootstrap determinism, defaults."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from xenoflow import efficacy as ef
from xenoflow import refday
from xenoflow.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {"seed": 11, "bootstrap_resamples": 500, "alpha": 0.05}


def _long(curves: dict[tuple[str, str], list[float]], days: list[float]) -> pd.DataFrame:
    rows = []
    for (arm, mouse), vols in curves.items():
        for d, v in zip(days, vols):
            if v is not None:
                rows.append((arm, mouse, float(d), float(v)))
    return pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "volume_mm3"])


@pytest.fixture
def tiny() -> pd.DataFrame:
    # days 0, 7, 14; mouse ids repeat across arms (mouse = (arm, mouse_id))
    return _long(
        {
            ("C", "1"): [100, 200, 400],
            ("C", "2"): [100, 300, 600],
            ("T", "1"): [100, 100, 50],
            ("T", "2"): [200, 150, 100],
        },
        [0, 7, 14],
    )


def _row(table: pd.DataFrame, arm: str, day: float) -> pd.Series:
    return table[(table["arm"] == arm) & (table["day"] == day)].iloc[0]


def test_hand_computed_metrics(tiny):
    table, excl = ef.efficacy_table(tiny, "C", ["C", "T"], settings=SETTINGS)
    assert excl.empty
    assert list(table.columns) == ef.EFFICACY_COLUMNS
    c14, t14 = _row(table, "C", 14), _row(table, "T", 14)
    # means 500 and 75; SEM of control = sd(400, 600)/sqrt(2) = 141.42/1.414 = 100
    assert c14["mean_volume_mm3"] == 500 and t14["mean_volume_mm3"] == 75
    assert c14["sem_volume_mm3"] == pytest.approx(100)
    assert c14["n_mice"] == 2
    # T/C = 100*75/500 = 15 %, C/T = 6.667, final-volume TGI = 85 %, NCI band "active"
    assert t14["tc_pct"] == pytest.approx(15)
    assert t14["ratio_c_t"] == pytest.approx(500 / 75)
    assert t14["tgi_final_pct"] == pytest.approx(85)
    assert t14["nci_activity"] == "active"
    # fold change: C 4 and 6 -> mean 5, geometric mean sqrt(24); T 0.5 and 0.5 -> 0.5
    assert c14["mean_fold_change"] == pytest.approx(5)
    assert c14["geomean_fold_change"] == pytest.approx(math.sqrt(24))
    assert t14["mean_fold_change"] == pytest.approx(0.5)
    assert t14["fold_change_reduction_pct"] == pytest.approx(90)  # 100*(1 - 0.5/5)
    # volume-change TGI: dC = (300+500)/2 = 400, dT = (-50-100)/2 = -75 -> 100*(1+75/400)
    assert t14["tgi_pct"] == pytest.approx(118.75)
    # regression: 75 mm3 lost from a mean baseline of 150 -> 50 %
    assert t14["regression_pct"] == pytest.approx(50)
    # AUC to day 14: C 3150, 4550 (mean 3850); T 1225, 2100 (mean 1662.5)
    assert c14["mean_auc_mm3_days"] == pytest.approx(3850)
    assert t14["auc_ratio"] == pytest.approx(1662.5 / 3850)
    # day 7: T/C = 125/250; dC = 150, dT = -25 -> TGI 116.67, regression 25/150
    t7 = _row(table, "T", 7)
    assert t7["tc_pct"] == pytest.approx(50)
    assert t7["tgi_pct"] == pytest.approx(100 * (1 + 25 / 150))
    assert t7["regression_pct"] == pytest.approx(100 * 25 / 150)
    # the control arm has no comparative metrics; the baseline day has no TGI (dC = 0)
    assert np.isnan(c14["tc_pct"]) and np.isnan(c14["tgi_ci_low"])
    assert np.isnan(_row(table, "T", 0)["tgi_pct"])
    # reference day: every arm keeps all mice -> last day
    assert list(table.loc[table["is_reference_day"], "day"].unique()) == [14]


def test_growing_arm_has_no_regression_and_seed_example():
    # the seed: control grew 25-fold, treated 12.5-fold -> 50 % fold-change reduction
    data = _long(
        {
            ("C", "1"): [10, 250],
            ("T", "1"): [10, 125],
            ("C", "2"): [20, 500],
            ("T", "2"): [20, 250],
        },
        [0, 28],
    )
    table, _ = ef.efficacy_table(data, "C", settings=SETTINGS)
    t = _row(table, "T", 28)
    assert t["fold_change_reduction_pct"] == pytest.approx(50)
    assert np.isnan(t["regression_pct"])
    # dC = (240 + 480)/2 = 360, dT = (115 + 230)/2 = 172.5 -> 52.083 %
    assert t["tgi_pct"] == pytest.approx(100 * (1 - 172.5 / 360))


def test_crownbio_cr1197_against_r():
    """Real data (invivoSyn CR1197, MIT), reference day 54, baseline day 33. Golden values from R:
    d <- read.csv("CR1197.csv"); b <- d[d$day==33, c("arm","mouse_id","volume_mm3")]
    names(b)[3] <- "v0"; x <- merge(d[d$day==54,], b); x$fc <- x$volume_mm3/x$v0
    x$dv <- x$volume_mm3-x$v0; m <- aggregate(cbind(volume_mm3,fc,dv)~arm, x, mean)
    then 100*T/C, 100*(1-dT/dC), 100*(1-FC_T/FC_C) against Vehicle."""
    data = pd.read_csv(
        ROOT / "data/public/invivosyn_crownbio/CR1197.csv", dtype={"arm": str, "mouse_id": str}
    )
    # the default reference day is day 50 (the last with >= 80% of every arm's mice, issue 30
    # item 4); the 50% rule chose day 54 (Vehicle 6/10 mice on day 54, 3/10 on day 57)
    assert refday.choose_reference_day(data) == refday.ReferenceDay(50.0)
    assert refday.default_reference_day(data, 0.5) == 54
    table, excl = ef.efficacy_table(
        data, "Vehicle", reference_day=54, settings=SETTINGS, baseline_day=33
    )
    assert excl.empty
    ref = ef.reference_day_rows(table).set_index("arm")
    assert (ref["day"] == 54).all()
    golden = {
        "Cetuximab": (1084.65243314, 5.35462740245, 56.69547, 48.31395, 48.68595),
        "Palbociclib": (1280.31269717, 6.56945727531, 66.92276, 37.21355, 37.04408),
        "Palbociclib+Cetuximab": (516.87762695, 2.51133364320, 27.01752, 81.84546, 75.93358),
    }
    for arm, (vol, fc, tc, tgi, fcr) in golden.items():
        r = ref.loc[arm]
        assert r["mean_volume_mm3"] == pytest.approx(vol, rel=1e-10)
        assert r["mean_fold_change"] == pytest.approx(fc, rel=1e-10)
        assert r["tc_pct"] == pytest.approx(tc, abs=1e-5)
        assert r["tgi_pct"] == pytest.approx(tgi, abs=1e-5)
        assert r["fold_change_reduction_pct"] == pytest.approx(fcr, abs=1e-5)
    assert ref.loc["Vehicle", "mean_fold_change"] == pytest.approx(10.43501130902, rel=1e-10)


# R 4, the per-day table per arm as Prism's column statistics give it (issue 29 item 3):
#   d <- read.csv("data/public/invivosyn_crownbio/CR1197.csv"); x <- d[d$day %in% c(33, 54), ]
#   f <- function(v) c(n = length(v), mean = mean(v), sem = sd(v) / sqrt(length(v)),
#                      median = median(v), geomean = exp(mean(log(v))))
#   do.call(data.frame, aggregate(volume_mm3 ~ arm + day, x, f))
PER_DAY_GOLDEN = {
    ("Cetuximab", 33): (8, 216.108843687, 28.4547114562, 213.03925625, 202.428177774),
    ("Palbociclib", 33): (9, 205.977116222, 26.2706856782, 173.62975500, 193.231157353),
    ("Palbociclib+Cetuximab", 33): (10, 206.236329550, 25.8799159245, 182.46899050, 193.018545080),
    ("Vehicle", 33): (10, 206.169357450, 23.5442032072, 200.06001500, 194.462829058),
    ("Cetuximab", 54): (7, 1084.652433143, 260.5374043599, 819.80261100, 909.811421037),
    ("Palbociclib", 54): (9, 1280.312697167, 199.1387936445, 1213.93588000, 1147.479867419),
    ("Palbociclib+Cetuximab", 54): (10, 516.877626950, 140.9019571728, 339.83448750, 372.139354469),
    ("Vehicle", 54): (6, 1913.119965000, 206.1371524707, 1847.95156700, 1858.245779245),
}  # fmt: skip


def test_per_day_table_per_arm_against_r():
    """n, mean, SEM, median and geometric mean per arm and day (the report's 'Tumour volume
    per arm and day', Prism's column statistics) on real data, against R."""
    data = pd.read_csv(
        ROOT / "data/public/invivosyn_crownbio/CR1197.csv", dtype={"arm": str, "mouse_id": str}
    )
    table, _ = ef.efficacy_table(
        data, "Vehicle", reference_day=54, settings=SETTINGS, baseline_day=33
    )
    rows = table.set_index(["arm", "day"])
    for key, (n, mean, sem, median, geomean) in PER_DAY_GOLDEN.items():
        r = rows.loc[key]
        assert r["n_mice"] == n, key
        assert r["mean_volume_mm3"] == pytest.approx(mean, rel=1e-10), key
        assert r["sem_volume_mm3"] == pytest.approx(sem, rel=1e-10), key
        assert r["median_volume_mm3"] == pytest.approx(median, rel=1e-10), key
        assert r["geomean_volume_mm3"] == pytest.approx(geomean, rel=1e-10), key


def test_auc_per_mouse_trapezoid(tiny):
    auc = ef.auc_per_mouse(tiny).set_index(["arm", "mouse_id"])["auc_mm3_days"]
    assert auc[("C", "1")] == pytest.approx(7 * 150 + 7 * 300)
    assert auc[("T", "2")] == pytest.approx(7 * 175 + 7 * 125)
    auc7 = ef.auc_per_mouse(tiny, until_day=7).set_index(["arm", "mouse_id"])["auc_mm3_days"]
    assert auc7[("C", "2")] == pytest.approx(7 * 200)


def test_baseline_day_and_exclusions():
    data = _long(
        {("C", "1"): [50, 100, 300], ("C", "2"): [None, 100, 200], ("T", "1"): [40, 0, 50]},
        [-3, 0, 10],
    )
    pm, excl = ef.per_mouse_metrics(data, baseline_day=0)
    # C/2 has a day-0 measurement; T/1 baseline is 0 -> FC undefined, kept for dV
    row = pm[(pm["arm"] == "C") & (pm["mouse_id"] == "1") & (pm["day"] == 10)].iloc[0]
    assert row["fold_change"] == 3 and row["delta_volume_mm3"] == 200
    pre = pm[(pm["arm"] == "C") & (pm["mouse_id"] == "1") & (pm["day"] == -3)].iloc[0]
    assert pre["fold_change"] == 0.5 and np.isnan(pre["auc_mm3_days"])
    t = pm[(pm["arm"] == "T") & (pm["day"] == 10)].iloc[0]
    assert np.isnan(t["fold_change"]) and t["delta_volume_mm3"] == 50
    assert list(excl["mouse_id"]) == ["1"] and "baseline volume 0" in excl["reason"].iloc[0]
    # a mouse without a measurement on the baseline day
    pm, excl = ef.per_mouse_metrics(data, baseline_day=-3)
    assert ("C", "2") in set(zip(excl["arm"], excl["mouse_id"]))
    assert pm.loc[(pm["arm"] == "C") & (pm["mouse_id"] == "2"), "fold_change"].isna().all()
    assert list(excl.columns) == ["stage", "arm", "mouse_id", "day", "reason"]


def test_default_baseline_is_first_measurement():
    data = _long({("C", "1"): [None, 100, 300], ("C", "2"): [50, 100, 200]}, [-3, 0, 10])
    pm, excl = ef.per_mouse_metrics(data)
    assert excl.empty
    base = pm.groupby("mouse_id")["baseline_day"].first()
    assert base["1"] == 0 and base["2"] == -3


def test_default_reference_day():
    # A has 4 mice (needs >= 2 measured), B has 2 (needs >= 1)
    a = {
        ("A", str(i)): v
        for i, v in enumerate(
            [[1, 1, 1, 1], [1, 1, 1, None], [1, 1, None, None], [1, 1, None, None]]
        )
    }
    b = {("B", "1"): [1, 1, 1, 1], ("B", "2"): [1, 1, None, None]}
    data = _long({**a, **b}, [0, 1, 2, 3])
    # by default >= 80% of every arm (A: 4 mice, B: 2): day 1; at 50%: day 2
    assert refday.default_reference_day(data) == 1
    assert refday.default_reference_day(data, 0.5) == 2
    assert refday.choose_reference_day(data) == refday.ReferenceDay(1.0)
    assert refday.resolve_reference_day(data, 1) == 1
    with pytest.raises(InputError, match="reference_day"):
        refday.resolve_reference_day(data, 5)
    # a day on which one arm is not measured never qualifies
    c = _long({("A", "1"): [1, 1], ("B", "1"): [1, None]}, [0, 1])
    assert refday.default_reference_day(c) == 0
    table, _ = ef.efficacy_table(data, "A", reference_day=1, settings=SETTINGS)
    assert set(table.loc[table["is_reference_day"], "day"]) == {1}


def test_reference_day_prefers_80_percent_of_every_arm_then_50_percent():
    # 5 mice per arm; the control's largest tumours leave from day 3 (2 of 5 by day 3, 3 by
    # day 4): the old rule (>= 50%) chose day 3, a comparison of the survivors; >= 80% is day 2
    a = {("C", str(i)): [1, 1, 1] + ([1, 1] if i < 2 else [None, None]) for i in range(5)}
    a[("C", "2")] = [1, 1, 1, 1, None]
    b = {("T", str(i)): [1, 1, 1, 1, 1] for i in range(5)}
    data = _long({**a, **b}, [0, 1, 2, 3, 4])
    assert refday.choose_reference_day(data) == refday.ReferenceDay(2.0)
    assert refday.default_reference_day(data, 0.5) == 3
    # no day with 80% of every arm (2 of 5 control mice on day 0, 3 on days 1, 2): 50%
    thin = {("C", str(i)): [None, 1, 1] if i < 3 else [1, None, None] for i in range(5)}
    data = _long({**thin, **b}, [0, 1, 2])
    chosen = refday.choose_reference_day(data)
    assert chosen.day == 2
    assert "at least 80%" in chosen.note and "at least 50% of its mice" in chosen.note
    table, _ = ef.efficacy_table(data, "C", settings=SETTINGS)
    assert table.loc[table["is_reference_day"], "note"].str.contains("at least 80%").all()


def test_reference_day_fallbacks():
    # A has 4 mice but no day with 2 of them measured; B keeps its 2 mice to day 4
    a = {
        ("A", "0"): [1, 1, None, None, None],
        ("A", "1"): [None, None, 1, None, None],
        ("A", "2"): [None, None, None, 1, None],
        ("A", "3"): [None, None, None, None, 1],
    }
    b = {("B", "1"): [1, 1, 1, 1, None], ("B", "2"): [1, 1, 1, 1, None]}
    data = _long({**a, **b}, [1, 2, 3, 4, 5])
    with pytest.raises(InputError):
        refday.default_reference_day(data)
    chosen = refday.choose_reference_day(data, None)
    assert chosen.day == 4 and "at least one mouse" in chosen.note
    table, _ = ef.efficacy_table(data, "B", settings=SETTINGS)
    assert set(table.loc[table["is_reference_day"], "day"]) == {4}
    assert table["note"].str.contains("day 4, the last day").all()
    # arms on disjoint schedules: no reference day, comparisons per day only
    apart = _long({("A", "1"): [1, 2, None, None], ("B", "1"): [None, None, 1, 2]}, [0, 1, 2, 3])
    chosen = refday.choose_reference_day(apart, None)
    assert math.isnan(chosen.day) and "no reference day" in chosen.note
    table, _ = ef.efficacy_table(apart, "A", settings=SETTINGS)
    assert not table["is_reference_day"].any() and len(table) == 4
    # the configured day wins, and is checked
    assert refday.choose_reference_day(apart, 1) == refday.ReferenceDay(1.0)


def _random_study(seed: int = 3, arms: int = 3, mice: int = 8, days: int = 15) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(arms):
        rate = 0.15 - 0.05 * a
        for m in range(mice):
            v0 = rng.uniform(80, 150)
            for d in range(days):
                rows.append(
                    (
                        f"arm{a}",
                        str(m + 1),
                        2.0 * d,
                        v0 * math.exp(rate * 2 * d + rng.normal(0, 0.1)),
                    )
                )
    return pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "volume_mm3"])


def test_bootstrap_is_deterministic_and_brackets_estimate():
    data = _random_study()
    settings = {"seed": 20170518, "bootstrap_resamples": 2000, "alpha": 0.05}
    a, _ = ef.efficacy_table(data, "arm0", settings=settings)
    b, _ = ef.efficacy_table(data, "arm0", settings=settings)
    pd.testing.assert_frame_equal(a, b)
    c, _ = ef.efficacy_table(data, "arm0", settings={**settings, "seed": 1})
    assert not np.allclose(a["tc_ci_low"].fillna(0), c["tc_ci_low"].fillna(0))
    last = a[(a["day"] == a["day"].max()) & (a["arm"] != "arm0")]
    for metric, point in (
        ("tc", "tc_pct"),
        ("tgi", "tgi_pct"),
        ("fold_change_reduction", "fold_change_reduction_pct"),
    ):
        assert (last[f"{metric}_ci_low"] < last[point]).all()
        assert (last[point] < last[f"{metric}_ci_high"]).all()
    # final-volume TGI interval is the mirror of the T/C interval
    np.testing.assert_allclose(last["tgi_final_ci_low"], 100 - last["tc_ci_high"])


def test_bootstrap_identical_mice_gives_degenerate_interval():
    data = _long(
        {
            ("C", "1"): [100, 400],
            ("C", "2"): [100, 400],
            ("T", "1"): [100, 200],
            ("T", "2"): [100, 200],
        },
        [0, 10],
    )
    table, _ = ef.efficacy_table(data, "C", settings=SETTINGS)
    t = _row(table, "T", 10)
    assert t["tc_ci_low"] == pytest.approx(50) and t["tc_ci_high"] == pytest.approx(50)
    assert t["tgi_ci_low"] == pytest.approx(100 * (1 - 100 / 300))


def test_bootstrap_matches_a_direct_loop():
    """The vectorised resampling equals a plain per-resample loop with the same draws."""
    data = _random_study(arms=2, mice=5, days=4)
    pm, _ = ef.per_mouse_metrics(data)
    ci = ef.bootstrap_ci(pm, "arm0", resamples=300, seed=5, alpha=0.1)
    rng = np.random.default_rng(5)
    draws = {arm: rng.integers(0, 5, size=(300, 5)) for arm in ("arm0", "arm1")}
    day = pm["day"].max()
    vals = {
        arm: pm[(pm["arm"] == arm) & (pm["day"] == day)]
        .set_index("mouse_id")
        .loc[[str(i) for i in range(1, 6)], "volume_mm3"]
        .to_numpy()
        for arm in draws
    }
    tc = [
        100 * vals["arm1"][draws["arm1"][b]].mean() / vals["arm0"][draws["arm0"][b]].mean()
        for b in range(300)
    ]
    row = ci[(ci["arm"] == "arm1") & (ci["day"] == day)].iloc[0]
    assert row["tc_ci_low"] == pytest.approx(np.quantile(tc, 0.05))
    assert row["tc_ci_high"] == pytest.approx(np.quantile(tc, 0.95))


def test_nci_activity_bands():
    assert ef.nci_activity(10) == "high"
    assert ef.nci_activity(10.01) == "active"
    assert ef.nci_activity(42) == "active"
    assert ef.nci_activity(42.5) == "inactive"
    assert ef.nci_activity(float("nan")) == ""


def test_duplicate_measurement_is_an_input_error(tiny):
    with pytest.raises(InputError, match="twice on day 7"):
        ef.efficacy_table(pd.concat([tiny, tiny.iloc[[1]]]), "C", settings=SETTINGS)


def test_missing_control_skips_comparisons_with_a_note(tiny):
    # a PDX panel model without its control arm: per-arm metrics, no comparisons, a stated reason
    table, _ = ef.efficacy_table(tiny, "X", settings=SETTINGS)
    assert table["tc_pct"].isna().all() and table["mean_fold_change"].notna().any()
    assert table["note"].str.contains("no control arm 'X'").all()


# --------------------------------------------------------------------- growth delay


def test_log_cell_kill():
    # (T - C) = 12 days, Td = 4 days: gross 12/(3.32*4) = 0.9036; 7 days of treatment -> net
    gross, net = ef.log_cell_kill(12, 4, 7)
    assert gross == pytest.approx(12 / 13.28)
    assert net == pytest.approx(5 / 13.28)
    assert np.isnan(ef.log_cell_kill(12, 4)[1])
    assert all(np.isnan(ef.log_cell_kill(12, float("nan"))))
    assert ef.treatment_duration_days([0, 7, 14]) == 14
    assert ef.treatment_duration_days([0]) == 0
    assert np.isnan(ef.treatment_duration_days([]))


def test_doubling_time():
    gm = pd.DataFrame({"arm": ["C", "T"], "growth_rate_per_day": [math.log(2) / 4, 0.01]})
    assert ef.doubling_time_days(gm, "C") == pytest.approx(4)
    gm.loc[0, "growth_rate_per_day"] = -0.1
    assert np.isnan(ef.doubling_time_days(gm, "C"))


def _endpoints() -> pd.DataFrame:
    rows = [
        ("C", "1", 10, 1),
        ("C", "2", 12, 1),
        ("C", "3", 14, 1),
        ("A", "1", 18, 1),
        ("A", "2", 20, 1),
        ("A", "3", 24, 1),
        ("A", "4", 30, 0),
        ("A", "5", 30, 0),
        ("B", "1", 20, 1),
        ("B", "2", 22, 1),
        ("B", "3", 30, 0),
        ("B", "4", 30, 0),
        ("B", "5", 30, 0),
    ]
    out = pd.DataFrame(rows, columns=["arm", "mouse_id", "time_days", "event"])
    out["endpoint_rule"] = "first_above 1000 mm3"
    return out


def test_growth_delay_with_censoring():
    # KM: C 2/3, 1/3 -> median 12; A 4/5, 3/5, 2/5 (two censored at 30) -> median 24;
    # B never falls to 0.5 (three censored) -> not reached.
    # R: survfit(Surv(c(18,20,24,30,30), c(1,1,1,0,0)) ~ 1) -> median 24
    table = ef.growth_delay(
        _endpoints(),
        "C",
        ["C", "A", "B"],
        doubling_time=4.0,
        treatment_durations={"A": 7.0, "B": 7.0},
        threshold="1000 mm3",
    )
    t = table.set_index("arm")
    assert t.loc["C", "median_time_days"] == 12 and t.loc["A", "median_time_days"] == 24
    assert t.loc["A", "growth_delay_days"] == 12
    assert t.loc["A", "log_cell_kill_gross"] == pytest.approx(12 / 13.28)
    assert t.loc["A", "log_cell_kill_net"] == pytest.approx(5 / 13.28)
    assert t.loc["A", "n_events"] == 3 and t.loc["A", "n_mice"] == 5
    # R: summary(survfit(Surv(c(18,20,24,30,30), c(1,1,1,0,0)) ~ 1))$table -> 0.95LCL 20, UCL NA
    # R: summary(survfit(Surv(c(10,12,14), c(1,1,1)) ~ 1))$table -> median 12, LCL 10, UCL NA
    assert t.loc["A", "median_time_ci_low"] == 20 and np.isnan(t.loc["A", "median_time_ci_high"])
    assert t.loc["C", "median_time_ci_low"] == 10
    assert np.isnan(t.loc["B", "median_time_days"]) and np.isnan(t.loc["B", "growth_delay_days"])
    assert "not reached" in t.loc["B", "note"] and "18" in t.loc["B", "note"]
    assert np.isnan(t.loc["C", "growth_delay_days"])
    assert list(table.columns) == ef.GROWTH_DELAY_COLUMNS
    assert (table["endpoint_rule"] == "first_above 1000 mm3").all()


def test_delay_threshold_choice():
    thr = ef.delay_threshold(None, {"endpoint_fold": 4})
    assert thr["rule"] == "fold_baseline" and thr["fold"] == 4 and "default" in thr["label"]
    thr = ef.delay_threshold(1500, {"endpoint_rule": "first_above"})
    assert thr["threshold_mm3"] == 1500 and thr["rule"] == "first_above"


def test_growth_delay_from_volumes_fold_rule():
    # 4x baseline: C reaches 400 on day 10 and 20 -> first above; T never -> censored
    data = _long(
        {
            ("C", "1"): [100, 450, 900],
            ("C", "2"): [100, 200, 500],
            ("C", "3"): [100, 150, 300],
            ("T", "1"): [100, 120, 150],
            ("T", "2"): [100, 110, 120],
        },
        [0, 10, 20],
    )
    table = ef.growth_delay_from_volumes(
        data, "C", ["C", "T"], None, {"endpoint_fold": 4}, doubling_time=5.0
    )
    t = table.set_index("arm")
    assert t.loc["C", "n_events"] == 2
    assert t.loc["C", "median_time_days"] == 20
    assert np.isnan(t.loc["T", "median_time_days"])
    assert "fold_baseline" in t.loc["C", "endpoint_rule"]


def test_exponential_growth_delay():
    # k_C = ln2/4 (Td 4), k_T = ln2/6 (Td 6); fold 4 = 2 doublings -> 2*(6 - 4) = 4 days
    gm = pd.DataFrame(
        {"arm": ["C", "T", "R"], "growth_rate_per_day": [math.log(2) / 4, math.log(2) / 6, -0.01]}
    )
    out = ef.exponential_growth_delay(gm, "C", math.log(4)).set_index("arm")
    assert out.loc["T", "model_growth_delay_days"] == pytest.approx(4)
    assert np.isnan(out.loc["C", "model_growth_delay_days"])
    assert np.isnan(out.loc["R", "model_growth_delay_days"])  # regressing: never reaches
    # absolute threshold 800 mm3: C from 100 (3 doublings, 12 d), T from 200 (2 doublings, 12 d)
    out = ef.exponential_growth_delay(gm, "C", {"C": math.log(8), "T": math.log(4)})
    assert out.set_index("arm").loc["T", "model_growth_delay_days"] == pytest.approx(0)


def test_mouse_summary(tiny):
    pm, _ = ef.per_mouse_metrics(tiny)
    ms = ef.mouse_summary(pm, 7).set_index(["arm", "mouse_id"])
    assert ms.loc[("C", "1"), "auc_mm3_days"] == pytest.approx(3150)
    assert ms.loc[("C", "1"), "auc_reference_mm3_days"] == pytest.approx(1050)
    assert ms.loc[("T", "2"), "reference_fold_change"] == pytest.approx(0.75)
    assert ms.loc[("T", "2"), "last_day"] == 14 and ms.loc[("T", "2"), "baseline_volume_mm3"] == 200


def test_mouse_summary_missing_baseline_and_reference_day():
    """A mouse without a baseline keeps its volumes but has no AUC; a mouse not measured on the
    reference day has no reference volume; AUC to the reference day stops at that day."""
    data = pd.DataFrame(
        {
            "arm": ["C"] * 5,
            "mouse_id": ["1", "1", "1", "2", "2"],
            "day": [0.0, 7.0, 14.0, 3.0, 14.0],
            "volume_mm3": [100.0, 300.0, 500.0, 80.0, 240.0],
        }
    )
    pm, excl = ef.per_mouse_metrics(data, baseline_day=0)
    ms = ef.mouse_summary(pm, 7.0).set_index("mouse_id")
    assert len(excl) == 1 and excl["mouse_id"].iloc[0] == "2"
    assert ms.loc["1", "auc_mm3_days"] == 7 * 400 / 2 + 7 * 800 / 2
    assert ms.loc["1", "auc_reference_mm3_days"] == 7 * 400 / 2
    assert ms.loc["1", "reference_volume_mm3"] == 300 and ms.loc["1", "reference_fold_change"] == 3
    assert ms.loc["2", "last_day"] == 14 and np.isnan(ms.loc["2", "baseline_day"])
    assert np.isnan(
        ms.loc["2", ["auc_mm3_days", "auc_reference_mm3_days", "reference_volume_mm3"]].astype(
            float
        )
    ).all()
    assert list(ms.index) == ["1", "2"]


def test_row_order_does_not_matter(tiny):
    shuffled = tiny.sample(frac=1, random_state=4).reset_index(drop=True)
    a, _ = ef.efficacy_table(tiny, "C", ["C", "T"], settings=SETTINGS)
    b, _ = ef.efficacy_table(shuffled, "C", ["C", "T"], settings=SETTINGS)
    pd.testing.assert_frame_equal(a, b)


def test_versus_control_needs_the_control_on_the_same_day():
    """Comparisons are made day by day: a treated day without a control measurement, and the
    control's own rows, have no comparative metrics (not even % regression)."""
    summary = pd.DataFrame(
        {
            "arm": ["C", "C", "T", "T", "T"],
            "day": [0.0, 7.0, 0.0, 7.0, 9.0],
            "mean_volume_mm3": [100.0, 400.0, 100.0, 50.0, 40.0],
            "mean_delta_volume_mm3": [0.0, 300.0, 0.0, -50.0, -60.0],
            "mean_fold_change": [1.0, 4.0, 1.0, 0.5, 0.4],
            "mean_auc_mm3_days": [0.0, 1750.0, 0.0, 525.0, 615.0],
            "mean_baseline_volume_mm3": [100.0] * 5,
        }
    )
    out = ef.versus_control(summary, "C")
    assert out.loc[[0, 1, 4]].isna().all(axis=None)
    t7 = out.loc[3]
    assert t7["tc_pct"] == pytest.approx(12.5)
    assert t7["ratio_c_t"] == pytest.approx(8.0)
    assert t7["tgi_pct"] == pytest.approx(100 * (1 + 50 / 300))
    assert t7["tgi_final_pct"] == pytest.approx(87.5)
    assert t7["fold_change_reduction_pct"] == pytest.approx(87.5)
    assert t7["regression_pct"] == pytest.approx(50.0)
    assert t7["auc_ratio"] == pytest.approx(0.3)
    assert np.isnan(out.loc[2, "tgi_pct"])  # day 0: ΔC = 0, TGI undefined, not ±inf


def test_one_mouse_per_arm_day_equals_the_grouped_summary():
    """The one-row-per-(arm, day) shortcut of arm_day_summary against the grouped computation
    it replaces, on per-mouse tables of one-mouse arms (panel models) with zero, missing and
    tiny/huge volumes and missing baselines; and it declines tables it does not cover."""
    rng = np.random.default_rng(7)
    for trial in range(200):
        n_arms = int(rng.integers(1, 6))
        rows = []
        for a in range(n_arms):
            days = np.sort(
                rng.choice(np.arange(0.0, 60.0, 0.5), int(rng.integers(1, 12)), replace=False)
            )
            volumes = rng.choice([0.0, 1e-300, 1e300, 3.7, 150.0, 1234.5678], days.size)
            volumes = np.where(rng.random(days.size) < 0.7, rng.lognormal(5, 1, days.size), volumes)
            rows += [(f"arm{a}", f"m{a}", d, v) for d, v in zip(days, volumes)]
        data = pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "volume_mm3"])
        pm, _ = ef.per_mouse_metrics(data, baseline_day=0.0 if trial % 3 == 0 else None)
        fast = ef._one_mouse_per_arm_day(pm)
        assert fast is not None
        pd.testing.assert_frame_equal(fast, ef._grouped_summary(pm), check_exact=True)
    two_mice = pd.DataFrame(
        {"arm": ["C", "C"], "mouse_id": ["1", "2"], "day": [0.0, 0.0], "volume_mm3": [100.0, 120.0]}
    )
    pm, _ = ef.per_mouse_metrics(two_mice)
    assert ef._one_mouse_per_arm_day(pm) is None
    assert ef.arm_day_summary(pm)["n_mice"].tolist() == [2]


def test_per_mouse_baselines_equal_a_join():
    """Baseline day and volume per row (a lookup per mouse) against pandas' join on random
    tables, with and without a baseline day that some mice lack."""
    rng = np.random.default_rng(11)
    for trial in range(100):
        rows = [
            (f"a{rng.integers(3)}", f"m{m}", d, float(rng.lognormal(5, 1)))
            for m in range(int(rng.integers(1, 8)))
            for d in rng.choice([0.0, 3.0, 7.0, 10.5, 14.0], int(rng.integers(1, 5)), replace=False)
        ]
        data = pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "volume_mm3"])
        data = data.drop_duplicates(["arm", "mouse_id", "day"])
        baseline_day = 0.0 if trial % 2 else None
        pm, _ = ef.per_mouse_metrics(data, baseline_day)
        ordered = pm[["arm", "mouse_id", "day", "volume_mm3"]]
        if baseline_day is None:
            first = ordered.groupby(["arm", "mouse_id"], sort=False).head(1)
        else:
            first = ordered[ordered["day"] == baseline_day]
        base = first.set_index(["arm", "mouse_id"])[["day", "volume_mm3"]].rename(
            columns={"day": "baseline_day", "volume_mm3": "baseline_volume_mm3"}
        )
        joined = ordered.join(base, on=["arm", "mouse_id"])
        pd.testing.assert_frame_equal(pm[list(joined.columns)], joined, check_exact=True)


def _per_mouse_metrics_pandas(measurements, baseline_day=None, checked=False):
    """The grouped pandas implementation that per_mouse_metrics replaced (reference)."""
    from xenoflow.io import exclusions_frame

    data = measurements if checked else ef._check_measurements(measurements)
    excl: list[dict[str, Any]] = []
    for _, r in data[data["volume_mm3"].isna()].iterrows():
        excl.append(ef._exclusion(r["arm"], r["mouse_id"], r["day"], "no volume"))
    keys = ["arm", "mouse_id"]
    data = data.dropna(subset=["volume_mm3"])
    # rows of a mouse by day; mice (and arms) keep their order of first appearance
    mouse_rank = data.groupby(keys, sort=False).ngroup()
    data = data.assign(_rank=mouse_rank).sort_values(["_rank", "day"], kind="stable")
    data = data.drop(columns="_rank")
    if baseline_day is None:
        first = data.groupby(keys, sort=False).head(1)
    else:
        first = data[data["day"] == float(baseline_day)]
    # one baseline row per mouse (_check_measurements refuses a mouse measured twice on a
    # day): its day and volume are looked up per row
    first_keys = list(zip(first["arm"].tolist(), first["mouse_id"].tolist()))
    v0_of = dict(zip(first_keys, first["volume_mm3"].tolist()))
    day0_of = dict(zip(first_keys, first["day"].tolist()))
    row_keys = list(zip(data["arm"].tolist(), data["mouse_id"].tolist()))
    out = data.assign(
        baseline_day=np.array([day0_of.get(k, np.nan) for k in row_keys], dtype=float),
        baseline_volume_mm3=np.array([v0_of.get(k, np.nan) for k in row_keys], dtype=float),
    )
    mice = dict.fromkeys(row_keys)
    for arm, mouse in mice:
        if (arm, mouse) not in v0_of:
            excl.append(
                ef._exclusion(
                    arm,
                    mouse,
                    None,
                    f"no measurement on baseline day {baseline_day:g}: left out "
                    "of fold change, TGI and AUC",
                )
            )
        elif v0_of[(arm, mouse)] == 0:
            excl.append(
                ef._exclusion(
                    arm,
                    mouse,
                    None,
                    "baseline volume 0: fold change undefined (left out of "
                    "fold change; kept for TGI and AUC)",
                )
            )
    v0 = out["baseline_volume_mm3"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["fold_change"] = np.where(v0 > 0, out["volume_mm3"] / v0, np.nan)
    out["delta_volume_mm3"] = out["volume_mm3"] - v0
    after = out["day"] >= out["baseline_day"]
    # cumulative trapezoid per mouse over days >= baseline day
    seg = out[after].copy()
    grp = seg.groupby(keys, sort=False)
    dt = grp["day"].diff()
    vsum = seg["volume_mm3"] + grp["volume_mm3"].shift()
    seg["_piece"] = (dt * vsum / 2).fillna(0.0)
    out["auc_mm3_days"] = np.nan
    out.loc[seg.index, "auc_mm3_days"] = seg.groupby(keys, sort=False)["_piece"].cumsum()
    return out.reset_index(drop=True), exclusions_frame(excl)


def test_per_mouse_metrics_equal_the_grouped_pandas_version():
    """Array implementation against the pandas one it replaced, bit for bit, on random tables:
    unsorted rows, missing volumes, zero and missing baselines, a mouse id shared by two arms,
    extreme volumes and long curves (Kahan-compensated cumulative AUC)."""
    rng = np.random.default_rng(23)
    for trial in range(300):
        rows = []
        for m in range(int(rng.integers(1, 7))):
            arm = f"a{rng.integers(3)}"
            days = rng.choice(np.arange(0.0, 80.0, 0.5), int(rng.integers(1, 40)), replace=False)
            for d in days:
                v = (
                    float(rng.lognormal(5, 2))
                    if rng.random() < 0.8
                    else float(rng.choice([0.0, np.nan, 1e-300, 1e300, 0.1]))
                )
                rows.append((arm, f"m{m % 4}", d, v))
        data = pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "volume_mm3"])
        data = data.drop_duplicates(["arm", "mouse_id", "day"]).sample(frac=1.0, random_state=trial)
        baseline_day = [None, 0.0, 3.5][trial % 3]
        got, got_excl = ef.per_mouse_metrics(data, baseline_day)
        want, want_excl = _per_mouse_metrics_pandas(data, baseline_day)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        pd.testing.assert_frame_equal(got_excl, want_excl, check_exact=True)


def _check_measurements_frame(measurements):
    """The frame version that efficacy._check_measurements replaced (reference)."""
    data = measurements[["arm", "mouse_id", "day", "volume_mm3"]].copy()
    data["arm"] = data["arm"].map(str)  # str() of each value, None included
    data["mouse_id"] = data["mouse_id"].map(str)
    data["day"] = data["day"].astype(float)
    data["volume_mm3"] = data["volume_mm3"].astype(float)
    dup = data.duplicated(["arm", "mouse_id", "day"], keep=False)
    if dup.any():
        r = data[dup].iloc[0]
        raise InputError(
            f"measurement table: mouse {r['mouse_id']} of arm {r['arm']} is measured "
            f"twice on day {r['day']:g}; expected one row per mouse and day"
        )
    return data


def test_checked_measurements_equal_the_frame_version():
    rng = np.random.default_rng(31)
    for _ in range(300):
        n = int(rng.integers(0, 12))
        data = pd.DataFrame(
            {
                "arm": rng.choice(np.array(["C", "T", 3, None], dtype=object), n),
                "mouse_id": rng.integers(1, 4, n).astype(object),
                "day": np.where(rng.random(n) < 0.15, np.nan, rng.choice([0.0, 3.0, 7.0], n)),
                "volume_mm3": rng.choice([np.nan, 0.0, 100.0, 250.5], n),
                "extra": "x",
            },
            index=rng.permutation(n) + 10,
        )
        try:
            want = _check_measurements_frame(data)
        except InputError as exc:
            with pytest.raises(InputError) as got:
                ef._check_measurements(data)
            assert str(got.value) == str(exc)
            continue
        got = ef._check_measurements(data)
        # text is object in pandas 2 and may be pandas 3's str dtype: the values must agree
        text = {"arm": object, "mouse_id": object}
        pd.testing.assert_frame_equal(got.astype(text), want.astype(text), check_exact=True)

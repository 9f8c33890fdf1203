"""Plain-language summaries: wording follows the statistics, numbers come from the tables."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from xenoflow import summary
from xenoflow.config import load_study
from xenoflow.plots.summary import forest_plot


def make_study(tmp_path: Path, **keys: object):
    (tmp_path / "d.csv").write_text("x\n", encoding="utf-8")
    raw = {
        "study_id": "s",
        "title": "Demo",
        "model": "U87-MG",
        "data": "d.csv",
        "control": "Ctrl",
        "arms": [
            "Ctrl",
            {"name": "X2", "doses": [{"day": 0, "amount": 95.7, "unit": "uCi"}]},
            "X1",
        ],
        **keys,
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    return load_study(tmp_path / "s.yaml")


MEAS = pd.DataFrame(
    {
        "arm": ["Ctrl", "Ctrl", "X2", "X2", "X1", "X1"],
        "mouse_id": ["1"] * 6,
        "day": [0, 28] * 3,
        "volume_mm3": [100, 2460, 100, 1210, 100, 1800],
    }
)
EFF = pd.DataFrame(
    {
        "arm": ["Ctrl", "X2", "X1"],
        "day": [28.0] * 3,
        "is_reference_day": [True] * 3,
        "mean_fold_change": [24.6, 12.1, 18.0],
        "fold_change_reduction_pct": [0.0, 50.8, 26.8],
        "fold_change_reduction_ci_low": [math.nan, 31.0, -5.0],
        "fold_change_reduction_ci_high": [math.nan, 66.0, 50.0],
        "tc_pct": [100.0, 49.2, 73.2],
        "tgi_pct": [0, 51, 27],
    }
)
GROWTH = pd.DataFrame(
    {
        "arm": ["Ctrl", "X2", "X1"],
        "growth_rate_per_day": [0.114, 0.089, 0.10],
        "rate_diff_vs_control": [math.nan, -0.025, -0.014],
        "rate_diff_ci_low": [math.nan, -0.04, -0.03],
        "rate_diff_ci_high": [math.nan, -0.01, 0.002],
        "p_value": [math.nan, 0.002, 0.09],
        "p_value_method": [""] + ["Wald z (REML mixed model)"] * 2,
        "model": ["random intercept and slope"] * 3,
    }
)
SURV = pd.DataFrame({"arm": ["Ctrl", "X2", "X1"], "median_days": [28.0, math.nan, 35.0]})
TESTS = pd.DataFrame(
    {
        "arm": ["X2", "X2"],
        "reference": ["Ctrl", "X1"],
        "logrank_p": [0.0004, 0.2],
        "median_ratio": [math.nan, math.nan],
        "hr": [math.nan, 0.6],
        "hr_ci_low": [math.nan, 0.2],
        "hr_ci_high": [math.nan, 1.8],
        "hr_flag": ["complete separation", None],
    }
)


def test_findings_follow_the_statistics(tmp_path):
    study = make_study(tmp_path)
    title, sections = summary.study_summary(
        study,
        {
            "measurements": MEAS,
            "efficacy": EFF,
            "growth_model": GROWTH,
            "survival": SURV,
            "survival_tests": TESTS,
        },
    )
    text = summary.to_markdown(title, sections)
    assert (
        "By day 28, the last day on which every arm still has at least 80% of its mice measured, control tumours grew 24.6-fold"
        in text
    )
    assert (
        "The X2 arm grew 12.1-fold, a 51% reduction of the fold change relative to control (95% CI 31% to 66%)."
        in text
    )
    assert (
        "X1 arm grew 18.0-fold, a 27% reduction" in text and "not statistically significant" in text
    )
    assert (
        "difference -0.0250 per day (95% CI -0.040 to -0.010; p = 0.0020, Wald z (REML mixed model)), a statistically significant difference"
        in text
    )
    assert (
        "(95% CI -0.030 to 0.0020; p = 0.090, Wald z (REML mixed model)), not a statistically significant difference"
        in text
    )
    assert (
        "Median survival was 28 days in Ctrl and 35 days in X1; it was not reached in X2." in text
    )
    assert (
        "log-rank p < 0.001, statistically significant; Cox hazard ratio not estimable (complete separation)"
        in text
    )
    assert (
        "log-rank p = 0.20, not statistically significant; hazard ratio 0.600 (95% CI 0.20 to 1.8)"
        in text
    )
    assert "X2: 1 mouse (95.7 µCi on day 0)" in text
    assert "SYNTHETIC" not in text


def test_skipped_survival_comparisons_are_one_sentence(tmp_path):
    """One-mouse arms (a panel model): no 'median not reached' sentence per pair, one sentence
    with the reason and the number of pairs."""
    study = make_study(tmp_path)
    note = "skipped: an arm has fewer than 2 mice (log-rank and hazard ratios need replicates)"
    tests = pd.DataFrame(
        {
            "arm": ["X1", "X2", "X2"],
            "reference": ["Ctrl", "Ctrl", "X1"],
            "logrank_p": [math.nan] * 3,
            "note": [note] * 3,
        }
    )
    surv = pd.DataFrame({"arm": ["Ctrl", "X1", "X2"], "median_days": [math.nan] * 3})
    text = summary.to_markdown(
        *summary.study_summary(
            study, {"measurements": MEAS, "survival": surv, "survival_tests": tests}
        )
    )
    assert text.count("Median survival") == 1
    assert "Median survival was not reached in any of the 3 arms." in text
    assert (
        "Survival was not compared for 3 pairs of arms: an arm has fewer than 2 mice "
        "(log-rank and hazard ratios need replicates)."
    ) in text


def test_design_states_the_endpoint_rule(tmp_path):
    fold = make_study(
        tmp_path,
        endpoint_volume_mm3=1,
        analysis={"endpoint_rule": "fold_baseline", "endpoint_fold": 2},
    )
    text = summary.to_markdown(*summary.study_summary(fold, {"measurements": MEAS}))
    assert (
        "Survival: time to tumour volume >= 2 x the mouse's baseline volume, dated by the first "
        "later measurement at or above it."
    ) in text
    above = make_study(tmp_path, endpoint_volume_mm3=1500)
    text = summary.to_markdown(*summary.study_summary(above, {"measurements": MEAS}))
    assert (
        "Survival: time to tumour volume > 1500 mm3, dated by the first measurement above it."
    ) in text


def test_synthetic_label_and_html(tmp_path):
    study = make_study(tmp_path, synthetic=True)
    title, sections = summary.study_summary(study, {"measurements": MEAS})
    assert title.endswith("SYNTHETIC DATA")
    assert (
        "SYNTHETIC DATA"
        not in summary.study_summary(
            make_study(tmp_path, synthetic=True, title="A (synthetic)"), {"measurements": MEAS}
        )[0]
    )
    html = summary.to_html(title, sections)
    assert html.startswith("<!DOCTYPE html>") and "SYNTHETIC DATA: this study was simulated" in html
    assert "No comparison with the control arm could be computed." in html


def test_cross_study_rows_and_forest(tmp_path):
    study = make_study(tmp_path)
    rows = summary.cross_study_rows(
        study, {"efficacy": EFF, "growth_model": GROWTH, "survival_tests": TESTS}
    )
    assert rows["arm"].tolist() == ["X2", "X1"]
    x2 = rows.iloc[0]
    assert x2["fold_change_reduction_pct"] == 50.8 and x2["control_mean_fold_change"] == 24.6
    assert x2["rate_diff_p"] == 0.002 and x2["hr_flag"] == "complete separation"
    # which metric and which test: no contrasts table, so no adjustment
    assert x2["rate_diff_metric"] == "exponential mixed model"
    assert x2["rate_diff_p_method"] == "Wald z (REML mixed model)"
    assert x2["logrank_p"] == 0.0004 and x2["logrank_p_method"] == "log-rank"  # no p_holm
    assert math.isnan(rows.iloc[1]["hr"])  # X1 was not compared with the control in TESTS
    forest_plot(rows, tmp_path / "forest", ("png", "svg"))
    assert (tmp_path / "forest.png").stat().st_size > 1000 and (tmp_path / "forest.svg").is_file()


def test_qc_counts_and_report():
    excl = pd.DataFrame(
        {"stage": ["growth"], "arm": ["X"], "mouse_id": ["1"], "day": [3.0], "reason": ["zero"]}
    )
    counts = summary.qc_counts(
        {
            "s": {
                "exclusions": excl.iloc[:0],
                "exclusions_growth": excl,
                "warnings": pd.DataFrame({"message": ["a", "b"]}),
            }
        }
    )
    assert counts.to_dict("records") == [
        {"study_id": "s", "stage": "ingest", "n_excluded": 0, "n_notes": 2},
        {"study_id": "s", "stage": "growth", "n_excluded": 1, "n_notes": 0},
    ]
    assert "s: ingest: 0 excluded, 2 notes; growth: 1 excluded" in summary.qc_report(counts)
    assert "t: nothing excluded, no notes" in summary.qc_report(
        counts.assign(study_id="t", n_excluded=0, n_notes=0)
    )


def test_p_value_formatting():
    assert summary.fmt_p(0.0004) == "p < 0.001"
    assert summary.fmt_p(0.0042) == "p = 0.0042"
    assert summary.fmt_p(0.05) == "p = 0.050"
    assert summary.fmt_p(0.3) == "p = 0.30"
    assert summary.fmt_p(0.9996) == "p = 1.0"
    assert summary.fmt(0.1) == "0.100"
    assert summary.fmt(0.4, 2) == "0.40"
    assert summary.fmt(99.96) == "100"
    assert summary.fmt(2368.4, 4) == "2,368"
    assert summary.fmt(-0.01294) == "-0.0129"
    assert summary.fmt(-3.0349e-05) == "-0.0000303"
    assert summary.fmt(float("nan")) == "–"


def test_shrinkage_small_sample_verdict_delay_and_response(tmp_path):
    study = make_study(tmp_path)
    eff = EFF.assign(
        mean_fold_change=[24.6, 0.69, 18.0],
        ratio_c_t=[1.0, 10.06, 1.4],
        tc_ci_low=[math.nan, 8.0, 50.0],
        tc_ci_high=[math.nan, 12.0, 90.0],
    )
    growth = GROWTH.assign(
        p_value_small_sample=[math.nan, 0.08, 0.3],
        p_value_small_sample_method=["", "t, Satterthwaite df", "t, Satterthwaite df"],
    )
    delay = pd.DataFrame(
        {
            "arm": ["Ctrl", "X2"],
            "threshold": ["2000 mm3"] * 2,
            "median_time_days": [33.0, 50.5],
            "control_median_time_days": [33.0, 33.0],
            "growth_delay_days": [math.nan, 17.5],
            "log_cell_kill_gross": [math.nan, 0.88],
        }
    )
    resp = pd.DataFrame(
        {
            "arm": ["X2"],
            "n_mice": [8],
            "n_cr": [1],
            "n_pr": [2],
            "n_sd": [3],
            "n_pd": [2],
            "response_rate_pct": [37.5],
            "response_rate_ci_low": [8.5],
            "response_rate_ci_high": [75.5],
        }
    )
    _, sections = summary.study_summary(
        study,
        {
            "measurements": MEAS,
            "efficacy": eff,
            "growth_model": growth,
            "growth_delay": delay,
            "response_summary": resp,
        },
    )
    text = summary.to_markdown("t", sections)
    assert "Tumours in the X2 arm shrank to 0.690 of their baseline volume" in text
    assert (
        "On day 28 the mean control volume was 10.1 times the X2 mean; %T/C was 49.2% (95% CI 8.0% to 12%"
        in text
    )
    # Wald p = 0.002 but the small-sample p = 0.08 decides the wording
    assert (
        "p = 0.0020, Wald z (REML mixed model); p = 0.080, t, Satterthwaite df), not a statistically significant"
        in text
    )
    assert (
        "Growth delay to 2000 mm3, the treated minus the control median time to reach it, "
        "against a control median of 33 days, was 17.5 days in X2 (median 50.5 days; gross log "
        "cell kill 0.880)." in text
    )
    assert (
        "mRECIST in X2: 1 CR, 2 PR, 3 SD, 2 PD of 8 mice; response rate 37.5% (95% CI 8.5% to 76%)."
        in text
    )


def test_column_descriptions_come_from_the_registry():
    from xenoflow.tables import readme, table

    assert table("efficacy").column("tgi_pct").description.startswith("%TGI, volume-change")
    sheet = readme({"efficacy": pd.DataFrame(columns=["arm", "tc_pct"])})
    assert sheet.values.tolist() == [
        ["efficacy", "arm", "Arm", "treatment arm (group) as named in the data"],
        ["efficacy", "tc_pct", "%T/C", "%T/C = 100 * mean V_T / mean V_C (percent)"],
    ]
    with pytest.raises(KeyError):
        readme({"efficacy": pd.DataFrame(columns=["undeclared"])})


def test_records_equal_pandas_to_dict():
    df = pd.DataFrame(
        {
            "a": [1, 2],
            "b": [math.nan, 2.5],
            "c": ["x", None],
            "d": [True, False],
            "e": pd.array([1, None], dtype="Int64"),
            5: [1.0, 2.0],
        }
    )
    got, want = summary.records(df), df.to_dict("records")
    assert repr(got) == repr(want)
    assert [type(v) for v in got[0].values()] == [type(v) for v in want[0].values()]
    assert summary.records(df.iloc[:0]) == []
    numpy_only = df.drop(columns="e")  # the object-array path (no extension dtype)
    got, want = summary.records(numpy_only), numpy_only.to_dict("records")
    assert repr(got) == repr(want)
    assert [type(v) for v in got[1].values()] == [type(v) for v in want[1].values()]
    assert summary.records(numpy_only.iloc[:0]) == []


def test_where_cox_separates_the_firth_hazard_ratio_is_given(tmp_path):
    # Issue 30 item 8: the sentence, the report's key tables, the index and the forest plot give
    # the Firth-penalised HR (labelled) instead of pointing to it
    from xenoflow import report
    from xenoflow.summary.survival import survival_sentences

    study = make_study(tmp_path)
    flag = (
        "complete separation (monotone likelihood): the Cox hazard ratio tends to 0, with "
        "no finite estimate; see the Firth-penalised hazard ratio"
    )
    tests = TESTS.assign(
        hr_flag=[flag, None],
        hr_firth=[0.0248, math.nan],
        hr_firth_ci_low=[0.000186, math.nan],
        hr_firth_ci_high=[0.227, math.nan],
    )
    text = " ".join(survival_sentences(study, SURV, tests))
    assert (
        "Cox hazard ratio not estimable (complete separation (monotone likelihood): the Cox "
        "hazard ratio tends to 0, with no finite estimate); Firth-penalised hazard ratio 0.0248 "
        "(95% CI 0.00019 to 0.23)"
    ) in text
    assert "see the Firth" not in text
    cell = report.Cell("Hazard ratio (Cox)", "hr", "hr_ci_low", "hr_ci_high", kind="hr")
    row = tests.iloc[0].to_dict()
    assert cell.render(row) == "0.0248\u00a0[0.00019,\u00a00.23]\u00a0(Firth-penalised)"
    assert cell.render(tests.iloc[1].to_dict()) == "0.600\u00a0[0.20,\u00a01.8]"
    rows = summary.cross_study_rows(
        study, {"efficacy": EFF, "growth_model": GROWTH, "survival_tests": tests}
    )
    assert rows.iloc[0]["hr_firth"] == 0.0248 and rows.iloc[0]["hr_firth_ci_high"] == 0.227
    forest_plot(rows, tmp_path / "forest", ("svg",))
    assert "Firth-penalised" in (tmp_path / "forest.svg").read_text()


def test_an_interval_of_width_zero_is_not_stated_as_a_confidence_interval():
    # Issue 30 item 6c: "95% CI 0% to 0%" (every tumour at 0 mm3) is no interval
    from xenoflow.summary.text import NO_VARIATION, fmt_ci

    assert fmt_ci(0.0, 0.0, 2, "%") == NO_VARIATION
    assert fmt_ci(100.0, 100.0) == NO_VARIATION
    assert fmt_ci(0.0001, 0.0001) == NO_VARIATION
    assert fmt_ci(0.0, 5.0, 2, "%") == "95% CI 0% to 5.0%"
    assert fmt_ci(math.nan, 1.0) == "95% CI not available"


def test_no_rate_from_a_single_mouse_is_given_as_an_arms(tmp_path):
    from xenoflow.summary.efficacy import growth_sentences

    study = make_study(tmp_path)
    one = GROWTH.assign(n_mice=[1] + [8] * (len(GROWTH) - 1))
    text = growth_sentences(study, {"growth_model": one, "measurements": MEAS})
    assert len(text) == 1 and text[0].startswith("No growth rate is given as an arm's:")
    assert "has one mouse, whose rate is that mouse's" in text[0]


def test_reference_day_numbers_carry_n_per_arm_and_little_control_growth_is_flagged(tmp_path):
    from xenoflow.summary.efficacy import fold_change_sentences

    study = make_study(tmp_path)
    eff = pd.DataFrame(
        {
            "arm": ["Ctrl", "X2"],
            "day": [28.0, 28.0],
            "is_reference_day": [True, True],
            "n_mice": [8, 6],
            "mean_fold_change": [1.6, 1.1],
            "fold_change_reduction_pct": [math.nan, 31.0],
            "fold_change_reduction_ci_low": [math.nan, -40.0],
            "fold_change_reduction_ci_high": [math.nan, 80.0],
            "tc_pct": [math.nan, 38.8],
            "tc_ci_low": [math.nan, 10.0],
            "tc_ci_high": [math.nan, 150.0],
        }
    )
    text = " ".join(fold_change_sentences(study, eff))
    assert "(mean of per-mouse fold changes from baseline, n = 8)" in text
    assert "The X2 arm grew 1.10-fold (n = 6 vs 8)" in text
    assert "On day 28 (n = 6 vs 8) the %T/C was 38.8%" in text
    assert "Caution: the control grew less than 2-fold by day 28 (1.60-fold)" in text
    eff.loc[0, "mean_fold_change"] = 2.5
    assert "Caution" not in " ".join(fold_change_sentences(study, eff))


def test_a_zero_width_interval_of_an_arm_all_at_zero_is_the_plain_count(tmp_path):
    # Issue 30 item 6c: every X2 tumour at 0 mm3 on the reference day: each bootstrap resample
    # gives %T/C 0% and a 100% reduction; the sentence gives the count, not "95% CI 0% to 0%"
    from xenoflow.summary.efficacy import fold_change_sentences

    study = make_study(tmp_path)
    eff = pd.DataFrame(
        {
            "arm": ["Ctrl", "X2"],
            "day": [28.0, 28.0],
            "is_reference_day": [True, True],
            "n_mice": [8, 8],
            "mean_volume_mm3": [2460.0, 0.0],
            "mean_fold_change": [24.6, 0.0],
            "fold_change_reduction_pct": [math.nan, 100.0],
            "fold_change_reduction_ci_low": [math.nan, 100.0],
            "fold_change_reduction_ci_high": [math.nan, 100.0],
            "tc_pct": [math.nan, 0.0],
            "tc_ci_low": [math.nan, 0.0],
            "tc_ci_high": [math.nan, 0.0],
        }
    )
    text = " ".join(fold_change_sentences(study, eff))
    assert "relative to control (8 of 8 tumours at 0 mm³)" in text
    assert "%T/C was 0% (8 of 8 tumours at 0 mm³;" in text
    assert "95% CI 0" not in text and "no variation" not in text
    # a zero-width interval of tumours that are not all at zero keeps the general words
    eff.loc[1, "mean_volume_mm3"] = 5.0
    assert "no variation between the mice, so no interval" in " ".join(
        fold_change_sentences(study, eff)
    )


def test_exclusions_are_listed_once_per_stage_arm_and_reason():
    """Issue 29: a report listed hundreds of identical exclusions, one per measurement,
    before its figures; each reason is now said once per stage and arm, with its mice and
    days, and a single exclusion keeps its mouse and day."""
    from xenoflow.summary.efficacy import notes_section

    reason = "after day 54: not in the mixed model"
    table = pd.DataFrame(
        {
            "stage": ["growth"] * 4 + ["ingest"],
            "arm": ["A", "A", "A", "B", "B"],
            "mouse_id": ["1", "1", "2", "3", "4"],
            "day": [57.0, 61.0, 57.0, 57.0, 7.0],
            "reason": [reason] * 4 + ["body weight outside"],
        }
    )
    bullets = notes_section([table], None).bullets
    assert bullets == [
        f"[growth] A: 3 measurements of 2 mice (1, 2), days 57 to 61: {reason}",
        f"[growth] B / mouse 3 day 57: {reason}",
        "[ingest] B / mouse 4 day 7: body weight outside",
    ]


def _tolerability(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """A tolerability table as read back from its TSV: an arm without a verdict has NaN."""
    return pd.DataFrame(
        [
            {
                "arm": arm,
                "verdict": verdict or math.nan,
                "rule": rule,
                "toxic_deaths": 2 if verdict == "toxic" else 0,
                "group_mean_nadir_pct": -17.1 if verdict == "toxic" else -3.0,
            }
            for arm, verdict, rule in rows
        ]
    )


NO_DATA = "no body weights after baseline and no cause of death recorded: no verdict"


@pytest.mark.parametrize(
    "rows, expected",
    [
        # no body weights, no causes (the CrownBio studies): nothing is called tolerated
        (
            [("C", "", NO_DATA), ("A", "", NO_DATA), ("B", "", NO_DATA)],
            "Tolerability: not judged (no body weights after baseline and no cause of death "
            "recorded).",
        ),
        (
            [("C", "tolerated", "tolerated: ..."), ("A", "tolerated", "..."), ("B", "", NO_DATA)],
            "Tolerability: A tolerated; B not judged (no body weights after baseline and no "
            "cause of death recorded).",
        ),
        (
            [("C", "tolerated", "..."), ("A", "toxic", "..."), ("B", "", NO_DATA)],
            "Tolerability: toxic in A (two toxic deaths, mean body-weight nadir -17.1%); B not "
            "judged (no body weights after baseline and no cause of death recorded).",
        ),
        (
            [("C", "tolerated", "..."), ("A", "toxic", "..."), ("B", "tolerated", "...")],
            "Tolerability: toxic in A (two toxic deaths, mean body-weight nadir -17.1%); the "
            "other treated arms were tolerated.",
        ),
        (
            [("C", "tolerated", "..."), ("A", "tolerated", "..."), ("B", "tolerated", "...")],
            "Tolerability: every treated arm was tolerated.",
        ),
    ],
)
def test_tolerability_answer_never_calls_an_unjudged_arm_tolerated(rows, expected):
    from types import SimpleNamespace

    from xenoflow.summary.answer import tolerability_answer

    study = SimpleNamespace(control="C")
    answer = tolerability_answer(study, {"tolerability": _tolerability(rows)})  # type: ignore[arg-type]
    assert answer == expected


@pytest.mark.parametrize("inside, quoted", [(43, False), (44, True)])
def test_dose_driven_model_parameters_need_80_pct_of_fitted_means_inside(inside, quoted):
    # 43 of 54 = 79.6 % < 80 %: the model misses its own data; 44 of 55 = 80 % is enough
    from xenoflow.summary.regimens import _not_fitting_sentence

    n = 54 if inside == 43 else 55
    check = pd.DataFrame(
        {
            "growth_model": ["delayed", "delayed", "exponential"],
            "check": ["fitted", "held out: A", "fitted"],
            "n_arm_days": [n, 10, n],
            "n_inside": [inside, 2, n],
            "coverage_pct": [100 * inside / n, 20.0, 100.0],
        }
    )
    selection = pd.DataFrame({"growth_model": ["exponential", "delayed"], "chosen": [0, 1]})
    sentence = _not_fitting_sentence(check, "delayed", selection)
    assert (sentence == "") == quoted
    if not quoted:
        assert sentence.startswith(
            "No dose-driven growth model describes these data: the best of the two dose-driven "
            "models by AIC, the model with delayed kill, has 43 of 54 fitted arm-day means"
        )


@pytest.mark.parametrize(
    "estimates, expected",
    [
        # several arms, the largest reduction named "the most"
        ([-0.06, -0.02], "A slowed tumour growth the most: 0.0600 per day on ln volume against"),
        # one treated arm: no "the most"
        ([-0.06], "A slowed tumour growth: 0.0600 per day on ln volume against the control"),
        # no arm slowed growth: the one closest to the control is not "grew faster the most"
        (
            [0.05, 0.02],
            "No treated arm slowed tumour growth; the closest to the control, B, grew 0.0200 "
            "per day on ln volume faster than the control",
        ),
        ([0.02], "A did not slow tumour growth; it grew 0.0200 per day on ln volume faster than"),
    ],
)
def test_growth_answer_wording_follows_the_number_of_arms_and_the_sign(
    monkeypatch, estimates, expected
):
    from types import SimpleNamespace

    from xenoflow.summary import answer
    from xenoflow.summary.headline import EXPONENTIAL, GrowthFinding

    findings = {
        arm: GrowthFinding(
            arm=arm,
            model=EXPONENTIAL,
            days=None,
            estimate=e,
            ci_low=e - 0.01,
            ci_high=e + 0.01,
            p=0.01,
            test="t",
            adjustment="",
            stated=((0.01, "t"),),
        )  # fmt: skip
        for arm, e in zip("AB", estimates)
    }
    monkeypatch.setattr(answer, "headline_findings", lambda study, tables: findings)
    monkeypatch.setattr(answer, "cured_arms", lambda study, tables: [])
    study = SimpleNamespace(settings={"alpha": 0.05}, control="C")
    assert answer.growth_answer(study, {}).startswith(expected)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "efs_p, efs_hr, expected",
    [
        (0.2, 0.5, "log-rank p = 0.20, not statistically significant."),
        # the toxic deaths, counted, make the arm reach an event sooner than the control
        (0.01, 3.0, "log-rank p = 0.010, statistically significant (sooner than the control)."),
        (0.01, 0.3, "log-rank p = 0.010, statistically significant (later than the control)."),
    ],
)
def test_survival_answer_of_an_arm_with_toxic_deaths_gives_event_free_survival(
    efs_p, efs_hr, expected
):
    from types import SimpleNamespace

    from xenoflow.summary.answer import survival_answer

    def tests(p: float, hr: float) -> pd.DataFrame:
        return pd.DataFrame(
            [{"arm": "A", "reference": "C", "comparison": "vs control", "logrank_p": p,
              "p_holm": p, "hr": hr, "hr_ci_low": hr / 2, "hr_ci_high": hr * 2,
              "hr_flag": math.nan}]
        )  # fmt: skip

    tables = {
        "survival_tests": tests(0.001, 0.2),
        "event_free_survival_tests": tests(efs_p, efs_hr),
        "event_free_survival": pd.DataFrame({"arm": ["C", "A"], "toxic_deaths": [0, 3]}),
    }
    study = SimpleNamespace(settings={"alpha": 0.05}, control="C")
    answer = survival_answer(study, tables)  # type: ignore[arg-type]
    assert answer.startswith("Survival: A reached the endpoint later than the control")
    assert answer.endswith(
        "with its three toxic deaths censored; counted as events (event-free survival), " + expected
    )

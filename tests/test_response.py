"""mRECIST / best response: hand-computed cases and agreement with Xeva (Gao et al. 2015)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xenoflow.efficacy import auc_per_mouse
from xenoflow.response import (
    best_response,
    classify_mrecist,
    control_window_warning,
    curve_response,
    name_toxic_deaths,
    response_summary,
    response_table,
)

DATA = Path(__file__).parent / "data" / "efficacy"


def _curve(days, volumes, arm="A", mouse="1"):
    return pd.DataFrame({"arm": arm, "mouse_id": mouse, "day": days, "volume_mm3": volumes})


def test_hand_computed_curve():
    # V = 100, 150, 50, 40 on days 0, 5, 10, 14
    # dV% = 0, 50, -50, -60 ; running mean = 0, 25, 0, -15
    # window day >= 10 -> BR = -60 at 14, BAR = -15 at 14; -60 < -50 but -15 !< -20 -> SD
    r = curve_response([0, 5, 10, 14], [100, 150, 50, 40])
    assert r["best_response_pct"] == pytest.approx(-60)
    assert r["best_response_day"] == 14
    assert r["best_avg_response_pct"] == pytest.approx(-15)
    assert r["best_avg_response_day"] == 14
    assert r["mrecist"] == "SD"
    assert r["window"] == "day>=10"


def test_thresholds_are_strict():
    assert classify_mrecist(35, 0) == "PD"
    assert classify_mrecist(34.999, 29.999) == "SD"
    assert classify_mrecist(-50, -30) == "SD"  # BR = -50 is not < -50
    assert classify_mrecist(-50.001, -20.001) == "PR"
    assert classify_mrecist(-95, -50) == "PR"
    assert classify_mrecist(-95.001, -40.001) == "CR"
    assert classify_mrecist(-100, -40) == "PR"  # BAR = -40 is not < -40
    assert classify_mrecist(np.nan, 0) is None
    assert list(classify_mrecist([40, -60], [0, -30])) == ["PD", "PR"]


def test_zero_baseline_adds_one_to_every_volume():
    # Xeva: V0 = 0 -> V + 1 everywhere: 1, 3, 1, 2 -> dV% 0, 200, 0, 100; mean 0, 100, 66.67, 75
    r = curve_response([0, 5, 10, 12], [0, 2, 0, 1])
    assert r["volume_offset_mm3"] == 1
    assert r["best_response_pct"] == pytest.approx(0)
    assert r["best_response_day"] == 10
    assert r["best_avg_response_pct"] == pytest.approx(200 / 3)
    assert r["mrecist"] == "PD"


def test_window_fallbacks():
    # one measurement on/after day 10 is enough (not NA)
    r = curve_response([0, 5, 9, 13], [100, 80, 40, 60])
    assert r["best_response_day"] == 13 and r["best_response_pct"] == pytest.approx(-40)
    # none on/after day 10 -> the whole curve, baseline included
    r = curve_response([0, 5], [100, 300])
    assert r["best_response_pct"] == 0 and r["best_response_day"] == 0
    assert r["mrecist"] == "SD" and r["window"].startswith("all days")
    # ties: first day attaining the minimum
    r = curve_response([0, 10, 12], [100, 50, 50])
    assert r["best_response_day"] == 10
    assert curve_response([], [])["mrecist"] is None


def test_min_day_uses_absolute_days():
    # first measurement on day 7: "day 10" is absolute, not 10 days after the first one
    r = curve_response([7, 9, 12], [100, 10, 90])
    assert r["best_response_day"] == 12


def test_response_table_baseline_day_is_time_zero():
    # study days: pre-treatment staging on day 30, baseline (treatment start) on day 33
    data = pd.concat(
        [
            _curve([30, 33, 40, 43, 50], [80, 100, 150, 200, 300], "C", "1"),
            _curve([36, 43], [100, 50], "C", "2"),  # no day-33 measurement
        ]
    )
    # Xeva on raw days: window day >= 10 includes the day-30 baseline -> BR = 0 at day 30
    raw = best_response(data)
    assert raw.loc[0, "best_response_pct"] == 0 and raw.loc[0, "best_response_day"] == 30
    table, excl = response_table(data, min_day=10, baseline_day=33)
    assert list(table["mouse_id"]) == ["1"]
    # V0 = 100 on day 33; window day >= 43: dV% 100 (day 43), 200 (day 50); BR = 100 at 43
    # running means over days 33..: 0, 50/2, 150/3 = 50, 350/4 = 87.5 -> BAR = 50 at day 43
    r = table.iloc[0]
    assert r["best_response_pct"] == pytest.approx(100) and r["best_response_day"] == 43
    assert r["best_avg_response_pct"] == pytest.approx(50) and r["window"] == "day>=43"
    assert r["mrecist"] == "PD"
    assert list(zip(excl["mouse_id"], excl["day"].fillna(-1))) == [("1", 30), ("2", -1)]
    assert (excl["stage"] == "response").all()
    # without baseline_day the pipeline function is Xeva-exact
    same, none = response_table(data, min_day=10)
    pd.testing.assert_frame_equal(same, raw)
    assert none.empty


def test_best_response_table_and_summary():
    data = pd.concat(
        [
            _curve([0, 10, 20], [100, 2, 1], "T", "1"),  # -98, -99 ; mean 0,-49,-65.7 -> CR
            _curve([0, 10, 20], [100, 40, 30], "T", "2"),  # -60,-70; mean -30,-43.3 -> PR
            _curve([0, 10, 20], [100, 120, 110], "T", "3"),  # SD
            _curve([0, 10, 20], [100, 200, 400], "C", "1"),  # PD
        ]
    )
    resp = best_response(data)
    assert list(resp["mrecist"]) == ["CR", "PR", "SD", "PD"]
    summ = response_summary(resp, ["C", "T"])
    t = summ.set_index("arm").loc["T"]
    assert t["n_mice"] == 3 and t["n_cr"] == 1 and t["n_pd"] == 0
    assert t["response_rate_pct"] == pytest.approx(200 / 3)
    assert t["disease_control_rate_pct"] == pytest.approx(100)
    # Clopper-Pearson 2/3: R binom.test(2, 3)$conf.int = 0.09429932 0.99159624
    assert t["response_rate_ci_low"] == pytest.approx(9.429932, abs=1e-5)
    assert t["response_rate_ci_high"] == pytest.approx(99.159624, abs=1e-5)
    c = summ.set_index("arm").loc["C"]
    assert c["response_rate_pct"] == 0 and c["n_pd"] == 1


def _compare(volumes: pd.DataFrame, expected: pd.DataFrame) -> pd.DataFrame:
    ours = best_response(volumes[["arm", "mouse_id", "day", "volume_mm3"]])
    m = ours.merge(
        expected,
        left_on="mouse_id",
        right_on="model.id",
        how="outer",
        validate="1:1",
        indicator=True,
    )
    assert (m["_merge"] == "both").all()
    return m


def test_xeva_excerpt():
    """14 committed PDXE curves incl. the window edge cases, Xeva's stored values."""
    vol = pd.read_csv(DATA / "xeva_excerpt_volumes.csv", dtype={"mouse_id": str, "arm": str})
    exp = pd.read_csv(DATA / "xeva_excerpt_expected.csv")
    m = _compare(vol, exp)
    assert len(m) == 14
    assert (m["mrecist"] == m["mRECIST"]).all()
    np.testing.assert_allclose(m["best_response_pct"], m["best.response"], atol=1e-9)
    np.testing.assert_allclose(m["best_avg_response_pct"], m["best.average.response"], atol=1e-9)
    np.testing.assert_array_equal(m["best_response_day"], m["best.response.time"])
    np.testing.assert_array_equal(m["best_avg_response_day"], m["best.average.response.time"])
    # Xeva AUC (R/auc.R: trapezoid of raw volume over the whole curve)
    auc = auc_per_mouse(vol[["arm", "mouse_id", "day", "volume_mm3"]]).merge(
        exp, left_on="mouse_id", right_on="model.id"
    )
    np.testing.assert_allclose(auc["auc_mm3_days"], auc["AUC"], rtol=1e-12)


@pytest.mark.shared
def test_xeva_pdxe_breast_all_curves(shared_data):
    """All 849 PDXE breast curves: label agreement >= 99.5 %, BR/BAR within 0.01 pp.

    Observed: 849/849 labels equal, max |dBR| = max |dBAR| ~ 5e-13; AUC (efficacy
    module) equal to Xeva's ``AUC`` on all 849 curves (max |diff| ~ 7e-12).
    """
    src = shared_data / "xeva_pdxe_brca"
    vol = pd.read_csv(src / "volumes.csv", dtype={"mouse_id": str, "arm": str})
    exp = pd.read_csv(src / "expected_xeva_computed_per_curve.csv")
    m = _compare(vol, exp)
    assert len(m) == 849
    agree = (m["mrecist"].fillna("NA") == m["mRECIST"].fillna("NA")).mean()
    assert agree >= 0.995
    assert agree == 1.0
    both = m.dropna(subset=["best_response_pct", "best.response"])
    assert (both["best_response_pct"] - both["best.response"]).abs().max() < 0.01
    assert (both["best_avg_response_pct"] - both["best.average.response"]).abs().max() < 0.01
    auc = auc_per_mouse(vol[["arm", "mouse_id", "day", "volume_mm3"]]).merge(
        exp, left_on="mouse_id", right_on="model.id"
    )
    assert len(auc) == 849
    np.testing.assert_allclose(auc["auc_mm3_days"], auc["AUC"], rtol=1e-12)


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # R 4.2.2: binom.test(k, n)$conf.int, printed with sprintf("%.12g", ...)
        (0, 1, 0.0, 0.975),
        (1, 1, 0.025, 1.0),
        (3, 8, 0.0852334141373, 0.755136783633),
        (8, 8, 0.630583352447, 1.0),
        (0, 12, 0.0, 0.264648469397),
    ],
)
def test_clopper_pearson_equals_r_binom_test(k, n, low, high):
    from xenoflow.response import _exact_ci

    assert _exact_ci(k, n, 0.05) == pytest.approx((100 * low, 100 * high), rel=1e-10, abs=1e-10)


def test_clopper_pearson_equals_scipy_for_every_count():
    from scipy.stats import binomtest

    from xenoflow.response import _exact_ci

    for n in range(1, 16):
        for k in range(n + 1):
            ci = binomtest(k, n).proportion_ci(confidence_level=0.9, method="exact")
            assert _exact_ci(k, n, 0.1) == pytest.approx((100 * ci.low, 100 * ci.high), abs=1e-9), (
                k,
                n,
            )


def test_a_mouse_without_a_measurement_in_the_window_is_not_evaluable():
    # Issue 27 item 1: a mouse dead of toxicity on day 3 keeps Xeva's whole-curve scores (BR 0
    # at baseline -> "SD") but is not evaluable: not in N, not in the rates, its reason stated
    data = pd.concat(
        [
            _curve([0, 3], [100, 90], "T", "dead"),  # BR -10 over the whole curve: "SD"
            _curve([0, 10, 20], [100, 40, 30], "T", "2"),  # PR
            _curve([0, 10, 20], [100, 120, 110], "T", "3"),  # SD
        ]
    )
    resp = best_response(data).set_index("mouse_id")
    assert resp.loc["dead", "mrecist"] == "SD" and resp.loc["dead", "best_response_pct"] == -10
    assert not resp.loc["dead", "evaluable"]
    assert resp.loc["dead", "not_evaluable_reason"] == (
        "no measurement on or after day 10 (the response window; last measured day 3)"
    )
    assert resp.loc[["2", "3"], "evaluable"].all()
    assert (resp.loc[["2", "3"], "not_evaluable_reason"] == "").all()
    t = response_summary(resp.reset_index(), ["T"]).iloc[0]
    assert (t["n_mice"], t["n_not_evaluable"], t["n_sd"], t["n_pr"]) == (2, 1, 1, 1)
    assert t["response_rate_pct"] == pytest.approx(50)
    assert t["disease_control_rate_pct"] == pytest.approx(100)


def test_not_evaluable_mice_in_the_sentences_and_the_waterfall():
    import matplotlib

    matplotlib.use("Agg")
    from xenoflow.plots.efficacy import waterfall_figure
    from xenoflow.summary import response_sentences

    data = pd.concat(
        [
            _curve([0, 3], [100, 90], "T", "d1"),
            _curve([0, 5], [100, 95], "T", "d2"),
            _curve([0, 10, 20], [100, 120, 110], "T", "3"),
            *[_curve([0, 10, 20], [100, 105, 110], "C", str(m)) for m in range(3)],
        ]
    )
    resp = best_response(data)
    text = response_sentences(response_summary(resp, ["C", "T"]), "C", 10.0)
    assert text[0] == (
        "No objective response (CR or PR) by mRECIST in any of the 2 arms: C (3 SD, 0 PD of 3 "
        "mice) and T (1 SD, 0 PD of 1 evaluable mouse; 2 not evaluable: 2 without a measurement "
        "in it)."
    )
    # every control mouse "SD": the window missed this control's growth
    assert text[1].startswith("Caution: 3 of 3 control mice are classed SD or better")
    fig = waterfall_figure(resp, ["C", "T"], "C")
    ax = fig.axes[0]
    assert len(ax.patches) - 4 == 4  # 4 bands shaded, 4 bars: the two T mice are not drawn
    assert "not evaluable (no measurement on or after day 10): T: 2 mice" in ax.get_xlabel()


def test_toxic_deaths_are_named_as_the_reason_and_counted():
    from xenoflow.summary import response_sentences

    data = pd.concat(
        [
            _curve([0, 3], [100, 90], "T", "tox"),
            _curve([0, 5], [100, 95], "T", "lost"),
            _curve([0, 10, 20], [100, 40, 30], "T", "3"),
        ]
    )
    deaths = pd.DataFrame(
        {
            "arm": ["T", "T", "T"],
            "mouse_id": ["tox", "lost", "3"],
            "time_days": [3.0, 30.0, 30.0],
            "event": [0, 0, 0],
            "cause": ["toxicity", "", ""],
        }
    )
    resp = name_toxic_deaths(best_response(data), deaths).set_index("mouse_id")
    assert resp.loc["tox", "not_evaluable_reason"] == (
        "died of toxicity on day 3, before the response window"
    )
    assert resp.loc["lost", "not_evaluable_reason"].startswith("no measurement on or after")
    assert resp.loc["3", "not_evaluable_reason"] == ""
    summary = response_summary(resp.reset_index(), ["T"])
    assert summary[["n_not_evaluable", "n_not_evaluable_toxic"]].iloc[0].tolist() == [2, 1]
    text = response_sentences(summary)
    assert text[0].endswith(
        "of 1 evaluable mouse; 2 not evaluable: one toxic death before the response window and "
        "1 without a measurement in it; response rate 100% (95% CI 2.5% to 100%)."
    )
    # without causes nothing changes
    assert name_toxic_deaths(best_response(data), deaths.drop(columns="cause")).equals(
        best_response(data)
    )


def test_a_control_that_grows_after_the_window_starts_is_warned_about():
    # grows only after day 20 (caki2-like): best response from day 10 sees the flat start
    late = pd.concat([_curve([0, 10, 20, 30], [100, 100, 110, 700], "C", str(m)) for m in range(4)])
    warning = control_window_warning(late, "C", 10.0, None)
    assert warning.startswith("4 of 4 control mice are SD or better by mRECIST")
    early = pd.concat(
        [_curve([0, 10, 20, 30], [100, 300, 700, 1400], "C", str(m)) for m in range(4)]
    )
    assert control_window_warning(early, "C", 10.0, None) == ""
    assert control_window_warning(late, "absent", 10.0, None) == ""


def test_a_response_that_relapses_keeps_its_class_and_says_when_it_relapsed():
    # Issue 30 item 5: 200 -> 0 (days 20, 30) -> regrowth to 1,588 mm3; the CR stays a CR (the
    # best response), the relapse is the first day after the best-response day above V0 = 200
    data = pd.concat(
        [
            _curve([0, 10, 20, 30, 40, 61, 80], [200, 50, 0, 0, 150, 250, 1588], "T", "1"),
            _curve([0, 10, 20, 40], [200, 50, 0, 0], "T", "2"),  # CR that stays at 0
            _curve([0, 10, 20], [100, 200, 400], "T", "3"),  # PD: no response, no relapse
        ]
    )
    table, excl = response_table(data)
    assert excl.empty
    r = table.set_index("mouse_id")
    assert r.loc["1", "mrecist"] == "CR" and r.loc["1", "relapse_day"] == 61
    assert r.loc["1", "response_label"] == "CR, relapsed on day 61"
    assert np.isnan(r.loc["2", "relapse_day"]) and r.loc["2", "response_label"] == "CR"
    assert np.isnan(r.loc["3", "relapse_day"]) and r.loc["3", "response_label"] == "PD"
    summary = response_summary(table)
    assert summary.loc[0, "n_cr"] == 2 and summary.loc[0, "n_relapsed"] == 1
    from xenoflow.summary.efficacy import response_sentences

    (sentence,) = response_sentences(summary)
    assert sentence.endswith(
        "; 1 of the 2 responding tumours later regrew above their starting volume."
    )


def test_a_lone_zero_between_positive_readings_is_left_out_with_its_reason():
    # 18 -> 0 -> 148: a missing value entered as 0, not a complete response; Xeva's own
    # function still sees it (best_response stays exact)
    data = _curve([0, 7, 14, 21], [100, 18, 0, 148])
    assert best_response(data).loc[0, "best_response_pct"] == pytest.approx(-100)
    table, excl = response_table(data, min_day=10)
    assert table.loc[0, "best_response_pct"] == pytest.approx(48)  # day 21 only
    assert table.loc[0, "mrecist"] == "PD"
    assert list(excl["day"]) == [14] and (excl["stage"] == "response").all()
    assert "probably a missing value" in excl.loc[0, "reason"]
    assert "between 18 mm³ (day 7) and 148 mm³ (day 21)" in excl.loc[0, "reason"]
    # a zero at the end (a regression that stays) or two zeros in a row are kept
    assert response_table(_curve([0, 7, 14], [100, 18, 0]))[1].empty
    assert response_table(_curve([0, 7, 14, 21], [100, 0, 0, 30]))[1].empty


def test_no_percentage_change_from_a_zero_baseline():
    # Xeva adds 1 mm3 and gets +19,700%; the pipeline says the mouse is not evaluable
    data = pd.concat(
        [_curve([0, 10, 20], [0, 50, 198], "T", "1"), _curve([0, 10], [100, 20], "T", "2")]
    )
    xeva = best_response(data)
    assert xeva.loc[0, "best_avg_response_pct"] > 1000
    table, _ = response_table(data)
    r = table.iloc[0]
    assert np.isnan(r["best_response_pct"]) and pd.isna(r["mrecist"]) and not r["evaluable"]
    assert r["not_evaluable_reason"].startswith("baseline volume 0 mm³ on day 0")
    assert r["response_label"] == "not evaluable"
    summary = response_summary(table)
    assert summary.loc[0, "n_mice"] == 1 and summary.loc[0, "n_not_evaluable"] == 1
    assert summary.loc[0, "n_not_evaluable_zero_baseline"] == 1
    assert summary.loc[0, "n_unclassified"] == 0
    from xenoflow.summary.efficacy import response_sentences

    text = " ".join(response_sentences(summary))
    assert "1 with a baseline volume of 0 mm³ (no percentage change from 0)" in text
    assert "without a measurement" not in text

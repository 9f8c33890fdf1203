"""Study-level efficacy: analyse_study wiring (doses, thresholds, baseline day) and figures."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from xenoflow import efficacy as ef
from xenoflow.config import load_study
from xenoflow.plots.efficacy import fold_change_figure, waterfall_figure
from xenoflow.plots.style import save_figure

MEAS = pd.DataFrame(
    {
        "arm": ["Vehicle"] * 9 + ["Drug"] * 9,
        "mouse_id": ["1", "1", "1", "2", "2", "2", "3", "3", "3"] * 2,
        "day": [0, 7, 14] * 6,
        "volume_mm3": [
            100,
            600,
            1500,
            100,
            900,
            2000,
            120,
            500,
            1100,
            100,
            200,
            400,
            100,
            40,
            2,
            100,
            300,
            1200,
        ],
    }
)

STUDY = """study_id: s1
data: m.csv
control: Vehicle
arms:
  - Vehicle
  - name: Drug
    doses: [{day: 0, amount: 100, unit: uCi}, {day: 7, amount: 100, unit: uCi}]
analysis: {bootstrap_resamples: 200, seed: 7}
"""


def _study(tmp_path: Path, extra: str = "") -> object:
    (tmp_path / "m.csv").write_text(MEAS.to_csv(index=False), encoding="utf-8")
    (tmp_path / "study.yaml").write_text(STUDY + extra, encoding="utf-8")
    return load_study(tmp_path / "study.yaml")


def test_analyse_study(tmp_path: Path) -> None:
    study = _study(tmp_path, "endpoint_volume_mm3: 1000\n")
    growth = pd.DataFrame(
        {"arm": ["Vehicle", "Drug"], "growth_rate_per_day": [math.log(2) / 2.5, 0.05]}
    )
    out = ef.analyse_study(study, MEAS, growth)
    assert out.reference_day == 14
    assert out.doubling_time_days == pytest.approx(2.5)
    eff = out.efficacy
    assert list(eff["arm"].unique()) == ["Vehicle", "Drug"]
    gd = out.growth_delay.set_index("arm")
    # Vehicle: all 3 mice > 1000 mm3 on day 14 -> median 14; Drug: 1 of 3 -> not reached
    assert gd.loc["Vehicle", "median_time_days"] == 14
    assert np.isnan(gd.loc["Drug", "growth_delay_days"])
    assert gd.loc["Drug", "treatment_duration_days"] == 7
    assert gd.loc["Drug", "threshold"].startswith("1000 mm3")
    # exponential model: ln(1000/GM V0)/k; Vehicle GM V0 = (100*100*120)^(1/3), k = ln2/2.5
    gm_v = (100 * 100 * 120) ** (1 / 3)
    expected = math.log(1000 / 100) / 0.05 - math.log(1000 / gm_v) / (math.log(2) / 2.5)
    assert gd.loc["Drug", "model_growth_delay_days"] == pytest.approx(expected)
    assert gd.loc["Drug", "growth_rate_per_day"] == 0.05
    resp = out.response
    assert list(resp.columns[:2]) == ["arm", "mouse_id"] and len(resp) == 6
    # Drug mouse 2: 100 -> 40 -> 2: BR -98 %, BAR mean(0,-60,-98) = -52.7 -> CR
    assert resp.set_index(["arm", "mouse_id"]).loc[("Drug", "2"), "mrecist"] == "CR"
    summ = out.response_summary.set_index("arm")
    assert summ.loc["Drug", "n_cr"] == 1
    assert out.exclusions_efficacy.empty and out.exclusions_response.empty
    # reruns are identical (seeded bootstrap)
    again = ef.analyse_study(study, MEAS, growth)
    pd.testing.assert_frame_equal(eff, again.efficacy)


def test_analyse_study_without_growth_model_or_threshold(tmp_path: Path) -> None:
    study = _study(tmp_path)
    out = ef.analyse_study(study, MEAS, None)
    gd = out.growth_delay
    assert np.isnan(out.doubling_time_days)
    assert gd["threshold"].str.contains("4 x baseline").all()
    assert gd["log_cell_kill_gross"].isna().all()


def test_figures(tmp_path: Path) -> None:
    study = _study(tmp_path)
    out = ef.analyse_study(study, MEAS, None)
    fig = waterfall_figure(out.response, study.arm_names, study.control)
    assert len(fig.axes[0].patches) >= 6
    written = save_figure(fig, tmp_path / "waterfall", ["png", "svg"])
    assert all(p.stat().st_size > 0 for p in written)
    fig = fold_change_figure(out.efficacy, out.per_mouse, study.arm_names, study.control)
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("control") for t in labels)
    assert any("reduction" in t for t in labels)
    save_figure(fig, tmp_path / "fold_change", ["png"])
    # byte-identical reruns
    first = (tmp_path / "fold_change.png").read_bytes()
    fig = fold_change_figure(out.efficacy, out.per_mouse, study.arm_names, study.control)
    save_figure(fig, tmp_path / "fold_change", ["png"])
    assert (tmp_path / "fold_change.png").read_bytes() == first
    plt.close("all")


# ------------------------------------------------------------- staggered calendars (visits)

#: control measured on days 0, 3, 7, 10; the treated arm on 0, 4, 8, 11, except its mouse 3,
#: measured with the control (0, 3, 7, 10): exact-day matching compares one treated mouse
STAGGERED = pd.DataFrame(
    {
        "arm": ["Vehicle"] * 12 + ["Drug"] * 12,
        "mouse_id": [m for m in ("1", "2", "3") for _ in range(4)] * 2,
        "day": [0, 3, 7, 10] * 3 + [0, 4, 8, 11] * 2 + [0, 3, 7, 10],
        "volume_mm3": [100, 200, 400, 800, 110, 210, 420, 820, 90, 190, 380, 780]
        + [100, 120, 150, 200, 100, 130, 160, 210, 100, 110, 140, 190],
    }
)


def _staggered_study(tmp_path: Path, extra: str = "") -> object:
    (tmp_path / "m.csv").write_text(STAGGERED.to_csv(index=False), encoding="utf-8")
    (tmp_path / "study.yaml").write_text(
        "study_id: stag\ndata: m.csv\ncontrol: Vehicle\narms: [Vehicle, Drug]\n"
        "analysis: {bootstrap_resamples: 100, seed: 1}\n" + extra,
        encoding="utf-8",
    )
    return load_study(tmp_path / "study.yaml")


def test_staggered_calendar_compared_at_visits(tmp_path: Path) -> None:
    """Mice measured a day off the control's calendar are compared at its visit days."""
    out = ef.analyse_study(_staggered_study(tmp_path), STAGGERED)
    eff = out.efficacy.set_index(["arm", "day"])
    assert out.reference_day == 10
    # all three treated mice at visit day 10 (two measured on day 11)
    assert eff.loc[("Drug", 10.0), "n_mice"] == 3
    assert ("Drug", 11.0) not in eff.index and ("Drug", 4.0) not in eff.index
    assert eff.loc[("Drug", 10.0), "tc_pct"] == pytest.approx(
        100 * np.mean([200, 210, 190]) / np.mean([800, 820, 780])
    )
    # the re-dated measurements are listed with the visit day; the measured day is kept
    listed = out.exclusions_efficacy
    redated = listed[listed["reason"].str.contains("compared at visit day")]
    assert len(redated) == 6  # mice 1 and 2 of Drug on days 4, 8, 11
    row = redated[(redated["mouse_id"] == "1") & (redated["day"] == 11)]
    assert "visit day 10" in row["reason"].iloc[0]
    # fold change and AUC keep the measured days: mouse 1's AUC to day 11
    per = out.per_mouse
    last = per[(per["arm"] == "Drug") & (per["mouse_id"] == "1")].iloc[-1]
    assert last["day"] == 11
    assert last["auc_mm3_days"] == pytest.approx(4 * 110 + 4 * 135 + 3 * 175)
    mice = out.efficacy_per_mouse.set_index(["arm", "mouse_id"])
    assert mice.loc[("Drug", "1"), "reference_volume_mm3"] == 200
    assert mice.loc[("Drug", "1"), "last_day"] == 11


def test_staggered_calendar_exact_days_without_window(tmp_path: Path) -> None:
    """visit_window_days: 0 keeps exact-day matching: one treated mouse on day 10."""
    out = ef.analyse_study(_staggered_study(tmp_path, "visit_window_days: 0\n"), STAGGERED)
    eff = out.efficacy.set_index(["arm", "day"])
    assert eff.loc[("Drug", 10.0), "n_mice"] == 1
    assert not out.exclusions_efficacy["reason"].str.contains("visit day").any()


def test_visit_collision_not_redated() -> None:
    """A measurement whose mouse already has one in that visit keeps its day, listed."""
    from xenoflow import visits

    data = pd.DataFrame(
        {
            "arm": ["C"] * 3 + ["T"] * 4,
            "mouse_id": ["1"] * 3 + ["1"] * 4,
            "day": [0.0, 3.0, 7.0, 0.0, 3.0, 4.0, 8.0],
            "volume_mm3": [1.0] * 7,
        }
    )
    aligned = visits.align(data, "C", 1.0)
    assert aligned.visits == (0.0, 3.0, 7.0)
    assert aligned.visit_day.tolist() == [0, 3, 7, 0, 3, 4, 7]
    reasons = [r[3] for r in aligned.listed]
    assert "not compared at visit day 3" in reasons[0] and "measured on that day" in reasons[0]
    assert "compared at visit day 7" in reasons[1]
    # staggered control: half its mice on day 3, half on day 4 -> one visit, day 3 (tie)
    ctrl = pd.DataFrame(
        {"arm": "C", "mouse_id": ["1", "2"], "day": [3.0, 4.0], "volume_mm3": [1.0, 1.0]}
    )
    assert visits.align(ctrl, "C", 1.0).visit_day.tolist() == [3, 3]
    # the same mice on consecutive days: both are visits
    both = pd.DataFrame(
        {"arm": "C", "mouse_id": ["1", "1"], "day": [3.0, 4.0], "volume_mm3": [1.0, 1.0]}
    )
    assert visits.align(both, "C", 1.0).visits == (3.0, 4.0)


def test_staggered_calendar_per_day_comparisons(tmp_path: Path) -> None:
    """The growth stage's per-day comparisons use the visit days and list the re-dated rows."""
    from xenoflow import stages

    study = _staggered_study(tmp_path)
    out = stages.run_growth(study, {"measurements": STAGGERED})
    per_day = out.tables["per_day_comparisons"].set_index("day")
    assert per_day.loc[10.0, "n_mice"] == 3 and per_day.loc[10.0, "n_mice_reference"] == 3
    assert 11.0 not in per_day.index
    listed = out.tables["exclusions_growth"]
    assert listed["reason"].str.contains("compared at visit day").sum() == 6

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
    assert out["reference_day"] == 14
    assert out["doubling_time_days"] == pytest.approx(2.5)
    eff = out["efficacy"]
    assert list(eff["arm"].unique()) == ["Vehicle", "Drug"]
    gd = out["growth_delay"].set_index("arm")
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
    resp = out["response"]
    assert list(resp.columns[:2]) == ["arm", "mouse_id"] and len(resp) == 6
    # Drug mouse 2: 100 -> 40 -> 2: BR -98 %, BAR mean(0,-60,-98) = -52.7 -> CR
    assert resp.set_index(["arm", "mouse_id"]).loc[("Drug", "2"), "mrecist"] == "CR"
    summ = out["response_summary"].set_index("arm")
    assert summ.loc["Drug", "n_cr"] == 1
    assert out["exclusions"].empty and out["exclusions_response"].empty
    # reruns are identical (seeded bootstrap)
    again = ef.analyse_study(study, MEAS, growth)
    pd.testing.assert_frame_equal(eff, again["efficacy"])


def test_analyse_study_without_growth_model_or_threshold(tmp_path: Path) -> None:
    study = _study(tmp_path)
    out = ef.analyse_study(study, MEAS, None)
    gd = out["growth_delay"]
    assert np.isnan(out["doubling_time_days"])
    assert gd["threshold"].str.contains("4 x baseline").all()
    assert gd["log_cell_kill_gross"].isna().all()


def test_figures(tmp_path: Path) -> None:
    study = _study(tmp_path)
    out = ef.analyse_study(study, MEAS, None)
    fig = waterfall_figure(out["response"], study.arm_names, study.control)
    assert len(fig.axes[0].patches) >= 6
    written = save_figure(fig, tmp_path / "waterfall", ["png", "svg"])
    assert all(p.stat().st_size > 0 for p in written)
    fig = fold_change_figure(out["efficacy"], out["per_mouse"], study.arm_names, study.control)
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("control") for t in labels)
    assert any("reduction" in t for t in labels)
    save_figure(fig, tmp_path / "fold_change", ["png"])
    # byte-identical reruns
    first = (tmp_path / "fold_change.png").read_bytes()
    fig = fold_change_figure(out["efficacy"], out["per_mouse"], study.arm_names, study.control)
    save_figure(fig, tmp_path / "fold_change", ["png"])
    assert (tmp_path / "fold_change.png").read_bytes() == first
    plt.close("all")

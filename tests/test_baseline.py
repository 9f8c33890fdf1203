"""Treatment start is the baseline (issue 30 item 1): a study file without ``baseline_day``
whose data start before treatment gets each mouse's last measurement at most 7 days before
treatment start as its baseline; earlier measurements stay in the measurement table but no
efficacy, response or growth metric counts them (each listed in the exclusions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from xenoflow import efficacy, stages
from xenoflow.config import load_study
from xenoflow.ingest import read_source

ARMS = """control: Vehicle
arms:
  - Vehicle
  - name: Drug
"""


def _volumes(days: list[float], start: float, seed: int = 1) -> pd.DataFrame:
    """Four mice per arm: both arms grow at 0.12/day before ``start``, then Vehicle at 0.15
    and Drug at 0.02."""
    rng = np.random.default_rng(seed)
    rows = []
    for arm, k in (("Vehicle", 0.15), ("Drug", 0.02)):
        for m in range(1, 5):
            v = 100 * np.exp(rng.normal(0, 0.2))
            for d in days:
                grown = 0.12 * (min(d, start) - days[0]) + k * max(d - start, 0)
                rows.append((arm, str(m), d, round(v * np.exp(grown + rng.normal(0, 0.05)), 1)))
    return pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "volume_mm3"])


def _analyse(tmp_path: Path, data: pd.DataFrame, doses: str, extra: str = "") -> tuple[Any, Any]:
    data.to_csv(tmp_path / "m.csv", index=False)
    (tmp_path / "study.yaml").write_text(
        "study_id: s1\ndata: m.csv\n"
        + ARMS
        + (f"    doses: [{doses}]\n" if doses else "    label: Drug\n")
        + "analysis: {bootstrap_resamples: 100, seed: 7}\n"
        + extra,
        encoding="utf-8",
    )
    study = load_study(tmp_path / "study.yaml")
    return study, stages.analyse_study(study, read_source(study))


def _reasons(table: pd.DataFrame, day: float) -> list[str]:
    return table.loc[table["day"] == day, "reason"].tolist()


def test_run_in_before_first_dose(tmp_path: Path) -> None:
    data = _volumes([-6, -2, 3, 7, 10, 14], start=0)
    study, t = _analyse(tmp_path, data, "{day: 0, amount: 100, unit: uCi}")
    mice = t["efficacy_per_mouse"]
    # each mouse's last measurement at or before day 0 (within 7 days): day -2, not day -6
    assert (mice["baseline_day"] == -2).all()
    v0 = data[data["day"] == -2].set_index(["arm", "mouse_id"])["volume_mm3"]
    got = mice.set_index(["arm", "mouse_id"])["baseline_volume_mm3"]
    assert np.allclose(got.loc[v0.index], v0)
    # kept in the measurement table, never on study: no efficacy row, listed everywhere
    assert (t["measurements"]["day"] == -6).sum() == 8
    assert not (t["efficacy"]["day"] == -6).any()
    for name in ("exclusions_efficacy", "exclusions_response", "exclusions_growth"):
        reasons = _reasons(t[name], -6)
        assert len(reasons) == 8, name
        assert all(r.startswith("pre-treatment") for r in reasons), name
    assert set(t["response"]["first_day"]) == {-2}
    # growth from the baseline (Drug ~0.033/day from day -2; with the run-in ~0.05)
    rates = t["growth_model"].set_index("arm")["growth_rate_per_day"]
    assert rates["Drug"] < 0.04
    # fold change from day -2: control grows ~exp(0.12*2 + 0.15*14) by day 14
    ref = t["efficacy"][(t["efficacy"]["day"] == 14) & (t["efficacy"]["arm"] == "Vehicle")]
    assert abs(float(ref["mean_fold_change"].iloc[0]) - np.exp(0.24 + 2.1)) < 1.5
    said = t["warnings"]["message"].tolist()
    assert any(m.startswith("Baseline: treatment start, day 0 (the first dose)") for m in said)
    md = str(stages.run_summary(study, t)["summary_md"])
    design = md.split("## Findings")[0]
    assert "Baseline: treatment start, day 0 (the first dose): each mouse's last" in design
    # the growth finding states the days the model was fitted to: from the baseline
    assert "exponential mixed model, days -2 to 14" in md and "days -6-" not in md


def test_first_dose_day_and_window(tmp_path: Path) -> None:
    """Treatment starts on the first dose day (3); a mouse measured only more than 7 days
    before it has no baseline (left out of fold change and mRECIST, listed)."""
    data = _volumes([-5, 0, 2, 7, 10, 14, 17], start=3)
    late = (data["arm"] == "Drug") & (data["mouse_id"] == "4") & data["day"].isin([0, 2])
    data = data[~late]
    study, t = _analyse(tmp_path, data, "{day: 3, amount: 100, unit: uCi}")
    mice = t["efficacy_per_mouse"].set_index(["arm", "mouse_id"])
    assert mice["baseline_day"].drop(("Drug", "4")).eq(2).all()
    assert np.isnan(mice.loc[("Drug", "4"), "baseline_day"])
    excl = t["exclusions_efficacy"]
    whole = excl[(excl["mouse_id"] == "4") & (excl["arm"] == "Drug") & excl["day"].isna()]
    assert (
        whole["reason"].str.startswith("no measurement in the 7 days up to treatment start").any()
    )
    assert len(_reasons(excl, 0)) == 7 and len(_reasons(excl, -5)) == 8
    resp = t["response"].set_index(["arm", "mouse_id"])
    assert ("Drug", "4") not in resp.index
    # the response window counts from treatment start (day 3 + 10)
    assert set(resp["window"]) == {"day>=13"}


def test_negative_days_without_doses_start_at_day_0(tmp_path: Path) -> None:
    data = _volumes([-3, 0, 4, 8, 12], start=0)
    _, t = _analyse(tmp_path, data, "")
    assert (t["efficacy_per_mouse"]["baseline_day"] == 0).all()
    assert len(_reasons(t["exclusions_efficacy"], -3)) == 8
    said = t["warnings"]["message"].tolist()
    assert any(m.startswith("Baseline: treatment start, day 0 (day 0)") for m in said)


def test_study_file_baseline_day_and_day0_data_unchanged(tmp_path: Path) -> None:
    """Data from the first dose day (no measurement before treatment start): each mouse's
    first measurement, exactly as before; a study file's baseline_day is used as given."""
    data = _volumes([0, 4, 7, 11, 14], start=0)
    _, t = _analyse(tmp_path, data, "{day: 0, amount: 100, unit: uCi}")
    table, _ = efficacy.per_mouse_metrics(data)
    assert (t["efficacy_per_mouse"]["baseline_day"] == 0).all()
    mean_fc = table[table["day"] == 14].groupby("arm", sort=False)["fold_change"].mean()
    eff = t["efficacy"][t["efficacy"]["day"] == 14].set_index("arm")["mean_fold_change"]
    assert np.allclose(eff[mean_fc.index], mean_fc)
    assert t["exclusions_efficacy"].empty and t["exclusions_response"].empty
    assert not t["warnings"]["message"].str.startswith("Baseline:").any()
    # a run-in with the study file's baseline_day: the study file's day, as before
    data = _volumes([-6, -2, 3, 7, 10, 14], start=0)
    _, t = _analyse(tmp_path, data, "{day: 0, amount: 100, unit: uCi}", "baseline_day: -6\n")
    assert (t["efficacy_per_mouse"]["baseline_day"] == -6).all()
    assert t["exclusions_efficacy"].empty


#: Pre-treatment growth check of test_run_in_before_first_dose's data (days -6 and -2 before
#: treatment start, day 0), R 4.x:
#:   d <- read.csv("runin.csv", colClasses = c(arm = "character", mouse_id = "character"))
#:   pre <- d[d$day <= -2, ]   # each mouse's first measurement to its baseline (day -2)
#:   r <- do.call(rbind, lapply(split(pre, list(pre$arm, pre$mouse_id), drop = TRUE),
#:     function(m) data.frame(arm = m$arm[1], rate = coef(lm(log(volume_mm3) ~ day, m))[2])))
#:   anova(lm(rate ~ arm, r))             # F(1, 6) = 0.386867192901368, p = 0.556831535895286
#:   tapply(r$rate, r$arm, mean)          # Drug 0.121495828027776, Vehicle 0.115555940851829
PRE_TREATMENT_F = (0.386867192901368, 0.556831535895286)


def test_pre_treatment_growth_is_checked_across_arms(tmp_path: Path) -> None:
    """Issue 30 item 1: the run-in measurements are kept for a pre-treatment growth check (the
    arms should grow alike before treatment), stated in the design section."""
    data = _volumes([-6, -2, 3, 7, 10, 14], start=0)
    study, t = _analyse(tmp_path, data, "{day: 0, amount: 100, unit: uCi}")
    balance = t["baseline_balance"]
    row = balance[balance["analysis"] == "pre_treatment_growth"].iloc[0]
    assert (row["df_num"], row["df_den"], row["n_mice"]) == (1, 6, 8)
    assert row["f_statistic"] == pytest.approx(PRE_TREATMENT_F[0], rel=1e-9)
    assert row["p_value"] == pytest.approx(PRE_TREATMENT_F[1], rel=1e-9)
    assert "Vehicle 0.116, Drug 0.121 per day" in row["note"]
    design = str(stages.run_summary(study, t)["summary_md"]).split("## Findings")[0]
    assert "Pre-treatment growth (one-way ANOVA" in design
    assert "F(1, 6) = 0.387, p = 0.56; no sign that the arms grew differently" in design
    # without a run-in there is nothing to check: no row
    _, t = _analyse(
        tmp_path, _volumes([0, 4, 7, 11, 14], start=0), "{day: 0, amount: 1, unit: uCi}"
    )
    assert not (t["baseline_balance"]["analysis"] == "pre_treatment_growth").any()


def test_no_survival_event_before_treatment_start(tmp_path: Path) -> None:
    """Issue 30 item 1: endpoints derived from the volumes count from the baseline: a tumour
    above the endpoint volume in the run-in (day -6), below it from treatment start on, had
    its event before treatment started."""
    data = _volumes([-6, -2, 3, 7, 10, 14], start=0)
    big = (data["arm"] == "Drug") & (data["mouse_id"] == "1") & (data["day"] == -6)
    data.loc[big, "volume_mm3"] = 450.0
    _, t = _analyse(
        tmp_path, data, "{day: 0, amount: 100, unit: uCi}", "endpoint_volume_mm3: 400\n"
    )
    mice = t["survival_per_mouse"].set_index(["arm", "mouse_id"])
    assert len(mice) == 8 and (mice["time_days"] >= -2).all()
    assert mice.loc[("Drug", "1"), "time_days"] == 14 and not mice.loc[("Drug", "1"), "event"]
    # nor a growth-delay event: the run-in tumour did not reach the endpoint on study
    delay = t["growth_delay"].set_index("arm")
    assert delay.loc["Drug", "n_events"] == 0 and delay.loc["Vehicle", "n_events"] == 4
    listed = t["exclusions_survival"]
    assert len(_reasons(listed, -6)) == 8
    assert all(r.startswith("pre-treatment") for r in _reasons(listed, -6))

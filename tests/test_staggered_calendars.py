"""Staggered calendars outside the reference day (issue 30 item 4): the synergy stage and the
growth stage's cuts by day use the scheduled visits (:mod:`xenoflow.visits`), as the
reference-day comparisons do.

The reference for a staggered study is the same study on its nominal schedule: CrownBio SW837
(every arm measured on days -1, 6, 13, 20, 24) with the combination arm's measurements moved one
day later (days 0, 7, 14, 21, 25), as when the combination cage is measured the next day. At the
visits the staggered study is the nominal one, so every number must be the nominal study's
(whose SynergyLMM numbers are checked against R in tests/test_synergy.py). By exact days the
combination mice had no volume at time_start and the mixed model could not be fitted.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xenoflow import config, growth, ingest, stages

ROOT = Path(__file__).resolve().parents[1]
COMBO = "Irinotecan + Rabusertib"


@pytest.fixture(scope="module")
def sw837() -> tuple[config.Study, pd.DataFrame]:
    study = config.load_study(ROOT / "config" / "studies" / "crownbio_SW837.yaml")
    study = dataclasses.replace(
        study, synergy=config.SynergySettings(power_simulations=0), design=None
    )
    measurements = stages.run_ingest(study, ingest.read_source(study)).tables["measurements"]
    return study, measurements


def _staggered(measurements: pd.DataFrame, arm: str = COMBO) -> pd.DataFrame:
    moved = measurements["arm"] == arm
    return measurements.assign(day=measurements["day"] + np.where(moved, 1.0, 0.0))


def test_synergy_of_a_staggered_combination_arm_is_the_nominal_studys(sw837) -> None:
    study, measurements = sw837
    nominal = stages.run_synergy(study, {"measurements": measurements}).tables
    staggered = stages.run_synergy(study, {"measurements": _staggered(measurements)}).tables
    a, b = nominal["synergy"], staggered["synergy"]
    assert len(a) and set(a["basis"]) == set(b["basis"]) == {"lmm", "tgi", "auc", "combpdx"}
    assert a["day"].tolist() == b["day"].tolist()  # visit days, not days of their own
    for column in ("score", "ci_low", "ci_high", "p_value"):
        assert np.allclose(a[column], b[column], rtol=1e-8, equal_nan=True), column
    model = staggered["synergy_model"].set_index("arm")
    assert (
        model.loc[COMBO, "n_mice"] == nominal["synergy_model"].set_index("arm").loc[COMBO, "n_mice"]
    )
    # each re-dated measurement is listed with its measured day and the visit
    listed = staggered["exclusions_synergy"]
    redated = listed[listed["reason"].str.contains("compared at visit day")]
    n_rows = int((measurements["arm"] == COMBO).sum())
    assert len(redated) == n_rows and set(redated["arm"]) == {COMBO}
    assert redated["reason"].str.contains("measured on day 25: compared at visit day 24").any()


def test_growth_cuts_by_visit_day(sw837) -> None:
    """The combination arm's last visit, measured on day 25, a day after the control's last
    (day 24), is within the control's follow-up at its visit: the mixed model keeps it."""
    from xenoflow import visits

    study, measurements = sw837
    data = _staggered(measurements)
    fraction = float(study.settings["mean_min_fraction"])
    logd = growth.log_volumes(data, study.settings)[0]
    # by exact days day 25 is past the control's follow-up and is cut
    _, cut = growth.within_control_follow_up(logd, data, "Vehicle", fraction)
    assert len(cut) and set(cut["day"]) == {25.0} and set(cut["arm"]) == {COMBO}
    aligned = visits.align_study(study, data)
    kept, cut = growth.within_control_follow_up(logd, data, "Vehicle", fraction, aligned)
    assert cut.empty and len(kept) == len(logd)
    # the stage's mixed model fits every measurement, as for the nominal study
    nominal = growth.analyse_study(measurements, study).model.set_index("arm")
    moved = growth.analyse_study(data, study).model.set_index("arm")
    assert moved.loc[COMBO, "n_obs"] == nominal.loc[COMBO, "n_obs"]
    assert moved.loc[COMBO, "n_mice"] == nominal.loc[COMBO, "n_mice"]


def test_efficacy_takes_the_baseline_at_the_baseline_visit(sw837) -> None:
    """SW837's study file sets baseline day -1; the staggered combination mice are measured on
    day 0, at that visit. By exact days they had no baseline (no fold change, TGI or
    mRECIST); at the visit their baseline is the day-0 volume, and the fold changes, %T/C and
    TGI per visit are the nominal study's."""
    from xenoflow import efficacy

    study, measurements = sw837
    nominal = efficacy.analyse_study(study, measurements)
    staggered = efficacy.analyse_study(study, _staggered(measurements))
    columns = ["arm", "day", "n_mice", "mean_fold_change", "tc_pct", "tgi_pct"]
    a, b = nominal.efficacy[columns], staggered.efficacy[columns]
    pd.testing.assert_frame_equal(a, b)
    combo = b[b["arm"] == COMBO]
    assert combo["mean_fold_change"].notna().all() and len(combo) == 5
    resp = staggered.response.set_index("arm").loc[COMBO]
    assert (resp["mrecist"] == nominal.response.set_index("arm").loc[COMBO, "mrecist"]).all()
    listed = staggered.exclusions_efficacy
    taken = listed[listed["reason"].str.contains("taken as the mouse's baseline volume")]
    assert len(taken) == int(((measurements["arm"] == COMBO) & (measurements["day"] == -1)).sum())
    assert set(taken["day"]) == {0.0}

"""Issue 28 item 3: the body-weight nadir of a ``what_if`` regimen predicted from the study's
dose–nadir relation (xenoflow.bwnadir), or withheld with the reason.

Checked against R (``lm`` + ``predict(interval = "prediction")``) and against the nadir of
the regimen itself, simulated with many mice by :mod:`xenoflow.simulate` (a weight dip more
than proportional to the dose: a straight line is only approximately right between doses).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xenoflow import bwnadir, simulate, tolerability
from xenoflow.config import Agent, Arm, Dose, Study, WhatIf, analysis_defaults, load_study

ROOT = Path(__file__).resolve().parents[1]
LEVELS = (50.0, 100.0, 150.0, 200.0)


def _study(levels=LEVELS, n_doses: int = 1, what_if: tuple = ()) -> Study:
    arms = [Arm("Control")] + [
        Arm(f"X{x:g}", doses=tuple(Dose(7.0 * i, x, "uCi") for i in range(n_doses)), agent="X")
        for x in levels
    ]
    return Study(
        "bw",
        Path("bw.yaml"),
        Path("bw.csv"),
        "Control",
        tuple(arms),
        analysis_defaults(),
        agents={"X": Agent("X", 8.02)},
        what_if=what_if,
    )


def _what_if(*doses: tuple[float, float], name: str = "W") -> WhatIf:
    return WhatIf(name, "X", tuple(Dose(d, a, "uCi") for d, a in doses))


def test_prediction_interval_matches_r():
    """d <- data.frame(x = c(0, 50, 100, 150, 200), y = c(-1.2, -2.9, -6.1, -11.8, -19.4))
    predict(lm(y ~ x, data = d), newdata = data.frame(x = 125), interval = "prediction")
    -> fit -10.545, lwr -18.3311124973803, upr -2.75888750261969 (R 4)."""
    tol = pd.DataFrame(
        {
            "arm": ["Control", "X50", "X100", "X150", "X200"],
            "group_mean_nadir_pct": [-1.2, -2.9, -6.1, -11.8, -19.4],
        }
    )
    out = bwnadir.predict_nadir(_study(), tol, _what_if((0.0, 125.0)), 0.05)
    assert out["predicted_bw_nadir_pct"] == pytest.approx(-10.545, rel=1e-10)
    assert out["bw_nadir_pi_low"] == pytest.approx(-18.3311124973803, rel=1e-10)
    assert out["bw_nadir_pi_high"] == pytest.approx(-2.75888750261969, rel=1e-10)
    assert out["bw_nadir_limit_pct"] == -20.0
    assert out["bw_nadir_crosses_limit"] == "no"
    assert "X200 (200 µCi)" in out["bw_nadir_note"]
    # the same line at the largest dose reaches into the limit
    at_top = bwnadir.predict_nadir(_study(), tol, _what_if((0.0, 200.0)), 0.05)
    assert at_top["bw_nadir_crosses_limit"] == "possibly"


def test_limit_verdicts():
    assert bwnadir.crosses(-30.0, -20.0, -20.0) == "yes"
    assert bwnadir.crosses(-25.0, -15.0, -20.0) == "possibly"
    assert bwnadir.crosses(-19.9, -5.0, -20.0) == "no"


@pytest.mark.parametrize(
    ("doses", "why"),
    [
        (((0.0, 250.0),), "largest single administration (250 µCi) is outside the 0 µCi to 200"),
        (((0.0, 100.0), (7.0, 100.0), (14.0, 100.0)), "total (300 µCi) is outside"),
        (((0.0, 60.0), (7.0, 60.0)), "number of administrations (2) is outside the 0 to 1"),
    ],
)
def test_extrapolation_is_refused(doses, why):
    tol = pd.DataFrame(
        {
            "arm": ["Control", *(f"X{x:g}" for x in LEVELS)],
            "group_mean_nadir_pct": [-1, -3, -6, -12, -19],
        }
    )
    out = bwnadir.predict_nadir(_study(), tol, _what_if(*doses), 0.05)
    assert math.isnan(out["predicted_bw_nadir_pct"]) and out["bw_nadir_crosses_limit"] == ""
    assert out["bw_nadir_note"].startswith("withheld: its ")
    assert why in out["bw_nadir_note"]


def test_too_few_dosed_arms_or_weights_is_refused():
    """Two dosed arms (the control does not count), or a third without body weights."""
    tol = pd.DataFrame(
        {"arm": ["Control", "X50", "X100", "X150"], "group_mean_nadir_pct": [-1, -3, -6, np.nan]}
    )
    out = bwnadir.predict_nadir(_study(LEVELS[:3]), tol, _what_if((0.0, 75.0)), 0.05)
    assert math.isnan(out["predicted_bw_nadir_pct"])
    assert out["bw_nadir_note"] == (
        "withheld: only 2 dosed arms have body weights and doses of X in the regimen's unit, "
        "and a dose–nadir line needs 3"
    )


def test_fractionation_demo_refuses_with_two_dosed_arms():
    """The fractionation demo (single dose vs two fractions, body weights): two dosed arms, so
    neither what-if regimen gets a nadir; the reason is on each regimen's row."""
    study = load_study(ROOT / "config" / "studies" / "fractionation_clr131.yaml")
    tol = _demo_tolerability(study)
    assert tol.set_index("arm")["group_mean_nadir_pct"].notna().all()
    for w in study.what_if:
        out = bwnadir.predict_nadir(study, tol, w, 0.05)
        assert math.isnan(out["predicted_bw_nadir_pct"])
        assert out["bw_nadir_note"].startswith("withheld: only 2 dosed arms have body weights")
    # with a third dosed arm the two full doses are still refused: a total above any given
    third = Arm("CLR 131 half", doses=(Dose(0.0, 109.4, "uCi"),), agent="CLR 131")
    bigger = _with_arm(study, third)
    tol3 = pd.concat([tol, pd.DataFrame({"arm": ["CLR 131 half"], "group_mean_nadir_pct": [-4.0]})])
    full = bwnadir.predict_nadir(bigger, tol3, study.what_if[1], 0.05)
    assert (
        "its total (437.6 µCi) is outside the 0 µCi to 218.8 µCi observed" in full["bw_nadir_note"]
    )
    # three fractions of 72.93 µCi: more administrations than any arm (two)
    three = bwnadir.predict_nadir(bigger, tol3, study.what_if[0], 0.05)
    assert "number of administrations (3) is outside the 0 to 2 observed" in three["bw_nadir_note"]


def _with_arm(study: Study, arm: Arm) -> Study:
    import dataclasses

    return dataclasses.replace(study, arms=(*study.arms, arm))


def _demo_tolerability(study: Study) -> pd.DataFrame:
    from xenoflow import ingest, stages

    measurements = stages.run_ingest(study, ingest.read_source(study)).tables["measurements"]
    return _tolerability(measurements, study)


def _tolerability(measurements: pd.DataFrame, study: Study) -> pd.DataFrame:
    pct = tolerability.percent_change(measurements, study)
    arms = [a.name for a in study.arms]
    per_mouse = tolerability.per_mouse_table(pct, arms)
    return tolerability.tolerability_table(
        measurements, pct, per_mouse, pd.DataFrame(), arms, study.tolerability
    )


# --------------------------------------------------------------------------- simulated studies

PARAMS = simulate.ModelParams(v0=100.0, sigma_v0=0.2, k=0.05, sigma_k=0.01, kappa=0.0)
DAYS = simulate.twice_weekly(28)


def _simulated(arms: tuple[simulate.ArmSpec, ...], n: int, seed: int) -> pd.DataFrame:
    spec = simulate.StudySpec(
        "bw",
        arms,
        DAYS,
        PARAMS,
        seed=seed,
        n_per_arm=n,
        endpoint_mm3=1e12,
        weights=simulate.WeightParams(),
    )
    m = simulate.simulate(spec).measurements
    return m.assign(mouse_id=m["mouse_id"].astype(str))


def _true_nadir(doses: tuple[tuple[float, float], ...]) -> float:
    """The regimen's group-mean nadir with 4,000 mice (its sampling SD about 0.05 points)."""
    m = _simulated((simulate.ArmSpec("C"), simulate.ArmSpec("W", doses)), 4000, 99)
    return simulate.group_mean_nadir_pct(m, "W")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_simulated_prediction_covers_the_regimens_own_nadir(seed):
    """Control and single doses of 50–200 µCi, 8 mice each (the dip grows with the square of
    the dose): the prediction for 125 µCi covers the nadir of 125 µCi itself, and the
    interval's verdict on the 20% limit agrees with it."""
    arms = (simulate.ArmSpec("Control"),) + tuple(
        simulate.ArmSpec(f"X{x:g}", ((0.0, x),)) for x in LEVELS
    )
    measurements = _simulated(arms, 8, seed)
    study = _study()
    tol = _tolerability(measurements, study)
    truth = _true_nadir(((0.0, 125.0),))
    out = bwnadir.predict_nadir(study, tol, _what_if((0.0, 125.0)), 0.05)
    assert out["bw_nadir_pi_low"] <= truth <= out["bw_nadir_pi_high"]
    assert out["bw_nadir_crosses_limit"] in (
        ("yes", "possibly") if truth <= -20 else ("no", "possibly")
    )


def test_what_if_table_carries_the_nadir_also_when_the_growth_model_is_withheld():
    """The stage's what-if table: each regimen's nadir columns on its rows, and one row
    without a day for a regimen the growth model does not predict."""
    study = _study(what_if=(_what_if((0.0, 125.0)),))
    curves = pd.DataFrame(
        {"name": ["Control"], "kind": ["observed"], "agent": [""], "day": [0.0], "n_observed": [8]}
    )
    tol = pd.DataFrame(
        {
            "arm": ["Control", *(f"X{x:g}" for x in LEVELS)],
            "group_mean_nadir_pct": [-1, -3, -6, -12, -19],
        }
    )
    out = bwnadir.add_to_what_if(curves, study, tol, 0.05)
    row = out[out["kind"] == "what_if"].iloc[0]
    assert math.isnan(row["day"]) and row["name"] == "W" and row["n_observed"] == 0
    assert row["predicted_bw_nadir_pct"] == pytest.approx(
        np.polyval(np.polyfit([0, 50, 100, 150, 200], [-1, -3, -6, -12, -19], 1), 125.0)
    )
    assert set(bwnadir.nadir_rows(out)) == {"W"}


def test_summary_sentences_give_the_number_or_the_reason():
    from xenoflow.summary.regimens import nadir_sentences

    study = _study(what_if=(_what_if((0.0, 125.0)), _what_if((0.0, 250.0), name="Big")))
    curves = pd.DataFrame(
        {"name": ["Control"], "kind": ["observed"], "agent": [""], "day": [0.0], "n_observed": [8]}
    )
    tol = pd.DataFrame(
        {
            "arm": ["Control", "X50", "X100", "X150", "X200"],
            "group_mean_nadir_pct": [-1.2, -2.9, -6.1, -11.8, -19.4],
        }
    )
    what_if = bwnadir.add_to_what_if(curves, study, tol, 0.05)
    predicted, refused = nadir_sentences({"what_if": what_if})
    assert predicted == (
        "Body-weight nadir predicted for W (not given): -10.5% (95% prediction interval -18% "
        "to -2.8%), from a straight line through the group-mean nadirs of Control (0 µCi), "
        "X50 (50 µCi), X100 (100 µCi), X150 (150 µCi), X200 (200 µCi) against the largest "
        "single administration; it stays above the -20% tolerability limit on the group-mean "
        "nadir."
    )
    assert refused == (
        "No body-weight nadir is predicted for Big: its largest single administration "
        "(250 µCi) is outside the 0 µCi to 200 µCi observed, and the dose–nadir line is not "
        "extrapolated."
    )


def test_figure_leaves_out_a_regimen_without_a_growth_prediction():
    """A what-if row without a day (only its nadir) draws no curve."""
    from xenoflow.plots.regimenmodel import what_if_figure
    from xenoflow.plots.style import plt

    curves = pd.DataFrame(
        {
            "name": ["Control", "Control", "W"],
            "kind": ["observed", "observed", "what_if"],
            "day": [0.0, 7.0, np.nan],
            "pred_mean_log_volume": [4.0, 5.0, np.nan],
            "ci_low": [3.9, 4.8, np.nan],
            "ci_high": [4.1, 5.2, np.nan],
            "observed_mean_log_volume": [4.0, 5.1, np.nan],
            "n_observed": [8, 8, 0],
        }
    )
    fig = what_if_figure(curves, ["Control"], "Control", {}, "S")
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels == ["Control"]
    plt.close(fig)

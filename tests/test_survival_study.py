"""Study-level survival: endpoint precedence, tables and the KM figure."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from xenoflow import survival as sv
from xenoflow.config import load_study
from xenoflow.plots.style import save_figure
from xenoflow.plots.survival import km_figure

MEAS = pd.DataFrame(
    {
        "arm": ["Vehicle"] * 6 + ["Drug"] * 6,
        "mouse_id": ["1", "1", "1", "2", "2", "2"] * 2,
        "day": [0, 7, 14] * 4,
        "volume_mm3": [100, 600, 1500, 100, 900, 2000, 100, 200, 400, 100, 300, 1200],
    }
)


def _study(tmp_path: Path, extra: str) -> object:
    (tmp_path / "m.csv").write_text(MEAS.to_csv(index=False), encoding="utf-8")
    (tmp_path / "study.yaml").write_text(
        "study_id: s1\ndata: m.csv\ncontrol: Vehicle\narms: [Vehicle, Drug]\n" + extra,
        encoding="utf-8",
    )
    return load_study(tmp_path / "study.yaml")


def test_derived_endpoints_use_study_settings(tmp_path: Path) -> None:
    study = _study(tmp_path, "endpoint_volume_mm3: 1000\nanalysis: {endpoint_rule: last_below}\n")
    ep = sv.study_endpoints(study, MEAS)
    assert ep["endpoint_rule"].iloc[0] == "last_below 1000 mm3"
    assert ep["time_days"].tolist() == [7, 7, 14, 7]
    assert ep["event"].tolist() == [1, 1, 0, 1]


def test_recorded_table_takes_precedence(tmp_path: Path) -> None:
    (tmp_path / "surv.csv").write_text(
        "Group,Mouse,Days,Died\nVehicle,1,20,1\nDrug,1,40,0\n", encoding="utf-8"
    )
    study = _study(
        tmp_path,
        "endpoint_volume_mm3: 1000\nsurvival_data: surv.csv\n"
        "survival_columns: {arm: Group, mouse_id: Mouse, time_days: Days, "
        "event: Died}\n",
    )
    ep = sv.study_endpoints(study, MEAS)
    assert ep["endpoint_rule"].tolist() == ["recorded", "recorded"]
    assert ep["time_days"].tolist() == [20, 40]


def test_no_endpoint(tmp_path: Path) -> None:
    study = _study(tmp_path, "")
    assert sv.study_endpoints(study, MEAS) is None
    fig = km_figure(None, study.arm_names, study.control, title="t")
    assert "No survival endpoint" in fig.axes[0].texts[0].get_text()
    plt.close(fig)


def test_km_figure(tmp_path: Path) -> None:
    ep = sv.endpoints_from_volumes(MEAS, 1000)
    tables = sv.analyse(ep, ["Vehicle", "Drug"], "Vehicle")
    fig = km_figure(
        ep,
        ["Vehicle", "Drug"],
        "Vehicle",
        tables.survival_tests,
        labels={"Drug": "Drug 10 mg/kg"},
        endpoint_label="first_above 1000 mm3",
    )
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("Vehicle") and legend[1].startswith("Drug 10 mg/kg")
    assert "log-rank p" in legend[1]
    risk = [t.get_text() for t in fig.axes[1].texts]
    assert "Number at risk" in risk and "2" in risk
    written = save_figure(fig, tmp_path / "km", ["png", "svg"])
    assert [p.suffix for p in written] == [".png", ".svg"] and all(
        p.stat().st_size for p in written
    )


@pytest.mark.parametrize("n_arms", [1, 3])
def test_figure_handles_arm_counts(n_arms: int) -> None:
    arms = ["A", "B", "C"][:n_arms]
    ep = pd.DataFrame(
        {
            "arm": [a for a in arms for _ in range(3)],
            "mouse_id": [str(i) for _ in arms for i in range(3)],
            "time_days": [5.0, 8.0, 9.0] * n_arms,
            "event": [1, 0, 1] * n_arms,
            "endpoint_rule": "recorded",
        }
    )
    tables = sv.analyse(ep, arms, "A")
    fig = km_figure(ep, arms, "A", tables.survival_tests)
    # one entry per arm and one saying what the shaded bands are
    assert len(fig.axes[0].get_legend().get_texts()) == n_arms + 1
    plt.close(fig)


def test_endpoint_exclusions(tmp_path: Path) -> None:
    ep = sv.endpoints_from_volumes(MEAS, 1000)
    assert sv.endpoint_exclusions(MEAS, ep).empty
    recorded = ep[ep["arm"] == "Vehicle"]
    out = sv.endpoint_exclusions(MEAS, recorded, "surv.csv")
    assert list(out.columns) == ["stage", "arm", "mouse_id", "day", "reason"]
    assert out[["arm", "mouse_id"]].values.tolist() == [["Drug", "1"], ["Drug", "2"]]
    assert (out["stage"] == "survival").all() and out["day"].isna().all()
    assert "surv.csv" in out["reason"].iloc[0]
    assert sv.endpoint_exclusions(MEAS, None).empty


def test_recorded_table_without_arm_list(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text(MEAS.to_csv(index=False), encoding="utf-8")
    (tmp_path / "surv.csv").write_text(
        "arm,mouse_id,time_days,event\nVehicle,1,20,1\nDrug,1,40,0\n", encoding="utf-8"
    )
    (tmp_path / "study.yaml").write_text(
        "study_id: s2\ndata: m.csv\ncontrol: Vehicle\nsurvival_data: surv.csv\n", encoding="utf-8"
    )
    study = load_study(tmp_path / "study.yaml")
    ep = sv.study_endpoints(study, MEAS)
    assert ep["arm"].tolist() == ["Vehicle", "Drug"]
    tables = sv.analyse(ep, study.arm_names, study.control)
    assert tables.survival_tests[["arm", "reference"]].values.tolist() == [["Drug", "Vehicle"]]


# ---------------------------------------------------------------------- event-free survival

FRACTIONATION_SURVIVAL = (
    Path(__file__).resolve().parents[1] / "data/demo/fractionation_clr131/survival.csv"
)
SINGLE, FRACTIONATED, CONTROL = "CLR 131 single", "CLR 131 fractionated", "I-127 CLR1404"


def _fractionation_efs() -> tuple[pd.DataFrame, pd.DataFrame]:
    endpoints = sv.read_survival_data(FRACTIONATION_SURVIVAL)
    return sv.event_free_tables(endpoints, [CONTROL, SINGLE, FRACTIONATED], CONTROL)


def test_event_free_survival_counts_toxic_deaths_as_events_r_golden() -> None:
    # R 4.x, survival 3.x, on data/demo/fractionation_clr131/survival.csv:
    #   d <- read.csv("survival.csv")
    #   d$efs <- as.integer(d$event == 1 & d$cause %in% c("tumour", "toxicity"))
    #   s <- d[d$arm %in% c("CLR 131 single", "I-127 CLR1404"), ]
    #   s$x <- as.integer(s$arm == "CLR 131 single")
    #   survdiff(Surv(time_days, efs) ~ x, data = s)          # Chisq 2.483178458, p 0.1150695
    #   exp(coef(coxph(Surv(time_days, efs) ~ x, s, ties = "efron")))  # 0.3245394716
    #   exp(confint(...))                                      # 0.09289238058 1.133848309
    #   survfit(Surv(time_days, efs) ~ arm, data = d)          # medians 35 / 43.5 / 35
    #   (single vs fractionated, x = fractionated: Chisq 0.2179601852, p 0.64059857,
    #    HR 0.750123938 [0.2011113863, 2.797881973])
    per_arm, tests = _fractionation_efs()
    arms = per_arm.set_index("arm")
    assert arms.loc[SINGLE, ["events", "toxic_deaths"]].tolist() == [5, 2]
    assert arms["median_days"].tolist() == [35.0, 43.5, 35.0]
    rows = tests.set_index(["arm", "reference"])
    single = rows.loc[(SINGLE, CONTROL)]
    assert single["logrank_chisq"] == pytest.approx(2.483178458, rel=1e-8)
    assert single["logrank_p"] == pytest.approx(0.1150695, rel=1e-6)
    assert single[["hr", "hr_ci_low", "hr_ci_high"]].tolist() == pytest.approx(
        [0.3245394716, 0.09289238058, 1.133848309], rel=1e-6
    )
    pair = rows.loc[(FRACTIONATED, SINGLE)]
    assert pair["logrank_chisq"] == pytest.approx(0.2179601852, rel=1e-8)
    assert pair["logrank_p"] == pytest.approx(0.64059857, rel=1e-6)
    assert pair[["hr", "hr_ci_low", "hr_ci_high"]].tolist() == pytest.approx(
        [0.750123938, 0.2011113863, 2.797881973], rel=1e-6
    )


def test_event_free_survival_censors_other_causes_and_needs_a_toxic_death() -> None:
    endpoints = pd.DataFrame(
        {
            "arm": ["A", "A", "B", "B"],
            "mouse_id": ["1", "2", "3", "4"],
            "time_days": [5.0, 9.0, 7.0, 12.0],
            "event": [0, 1, 0, 0],
            "endpoint_rule": "recorded",
            "cause": ["toxicity", "tumour", "other", ""],
        }
    )
    efs = sv.event_free(endpoints)
    assert efs is not None and efs["event"].tolist() == [1, 1, 0, 0]
    no_toxic = endpoints.assign(cause=["other", "tumour", "other", ""])
    assert sv.event_free(no_toxic) is None
    assert sv.event_free(endpoints.drop(columns="cause")) is None
    per_arm, tests = sv.event_free_tables(no_toxic, ["A", "B"], "A")
    assert "no toxic death" in per_arm["note"].iloc[0] and tests.empty


def test_regimen_comparison_and_summary_use_event_free_survival() -> None:
    from xenoflow import ingest, stages

    study = load_study(
        Path(__file__).resolve().parents[1] / "config/studies/fractionation_clr131.yaml",
        {"bootstrap_resamples": 50},
    )
    recorded = sv.read_survival_file(FRACTIONATION_SURVIVAL)
    tables = stages.analyse_study(study, ingest.read_source(study), recorded=recorded)
    row = tables["regimen_comparison"].iloc[0]
    assert (row["arm"], row["reference"]) == (FRACTIONATED, SINGLE)
    assert row["efs_hr"] == pytest.approx(0.750123938, rel=1e-6)
    assert row["efs_logrank_p"] == pytest.approx(0.64059857, rel=1e-6)
    text = str(stages.run_summary(study, tables)["summary_md"])
    assert (
        "event-free survival (tumour endpoint or toxic death) hazard ratio 0.750 "
        "(95% CI 0.20 to 2.8); log-rank p = 0.64" in text
    )
    assert "event-free survival, which counts toxic deaths as events, compares the regimens" in text
    # both CLR 131 curves stay at exactly 50% to the end of follow-up: no median, no ratio
    assert (
        "not unique in CLR 131 single (its Kaplan-Meier curve is flat at exactly 50% from day "
        "52 to day 56)" in text
    )
    assert "CLR 131 single vs I-127 CLR1404: no ratio of medians (the median of" in text
    assert "median survival ratio" not in text

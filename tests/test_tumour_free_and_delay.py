"""Issue 30, items 2 and 4 (the parts left after i30c): tumour-free mice at each day, the
summary led by them for an arm mostly at zero, and no growth delay from a median that is not
unique (a Kaplan–Meier curve flat at exactly 50%).

``tests/data/growth/zeros_3arm_6mice.csv`` (see tests/test_growth_zeros.py): in arm Cure four
tumours are at 0 mm³ on day 10 and five from day 14 to day 21. Counted in R:

    d <- read.csv("tests/data/growth/zeros_3arm_6mice.csv")
    aggregate(volume_mm3 ~ arm + day, d[d$arm == "Cure", ],
              function(v) c(n = length(v), free = sum(v == 0)))
    # day 0, 3, 7: 6 mice, 0 free; day 10: 4 free; days 14, 17, 21: 5 free
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from xenoflow import efficacy, endpoint_tests, stages, summary
from xenoflow.config import Arm, Study, load_study
from xenoflow.ingest import read_source

DATA = Path(__file__).parent / "data" / "growth" / "zeros_3arm_6mice.csv"
ARMS = ["Vehicle", "DrugA", "Cure"]


def _zeros() -> pd.DataFrame:
    return pd.read_csv(DATA, dtype={"arm": str, "mouse_id": str})


def test_tumour_free_by_day_counts_the_zero_volumes_of_each_visit() -> None:
    out = endpoint_tests.tumour_free_by_day(_zeros(), ARMS).set_index(["arm", "day"])
    cure = out.loc["Cure"]
    assert cure["n_mice"].tolist() == [6] * 7
    assert cure["n_tumour_free"].tolist() == [0, 0, 0, 4, 5, 5, 5]
    assert cure.loc[21.0, "tumour_free_pct"] == pytest.approx(100 * 5 / 6)
    assert out.loc["Vehicle", "n_tumour_free"].sum() == 0
    assert list(dict.fromkeys(out.index.get_level_values("arm"))) == ARMS


def test_tumour_free_below_the_study_files_detection_limit_only() -> None:
    data = pd.DataFrame(
        {
            "arm": ["T"] * 4,
            "mouse_id": ["1", "2", "3", "4"],
            "day": [7.0] * 4,
            "volume_mm3": [0.0, 3.0, 4.9, 60.0],
        }
    )
    # no limit in the study file: only a volume of 0 is no tumour
    assert endpoint_tests.tumour_free_by_day(data, ["T"])["n_tumour_free"].tolist() == [1]
    # a limit of 5 mm3 set by the study: 3 and 4.9 mm3 are not measurable tumours
    assert endpoint_tests.tumour_free_by_day(data, ["T"], 5.0)["n_tumour_free"].tolist() == [3]
    assert endpoint_tests.tumour_free(data, ["T"], 5.0)["n_tumour_free"].tolist() == [3]


def test_tumour_free_by_day_at_the_visits_of_a_staggered_calendar(tmp_path: Path) -> None:
    """A treated mouse measured a day off the control's calendar is counted at the visit, so
    the day is not split into two half-counts."""
    data = pd.DataFrame(
        {
            "arm": ["C"] * 6 + ["T"] * 6,
            "mouse_id": ["1", "1", "1", "2", "2", "2"] * 2,
            "day": [0.0, 7.0, 14.0] * 2 + [0.0, 7.0, 14.0, 0.0, 8.0, 15.0],
            "volume_mm3": [100, 300, 900, 110, 320, 950, 100, 0, 0, 100, 40, 0],
        }
    )
    (tmp_path / "m.csv").write_text(data.to_csv(index=False), encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        "study_id: s\ndata: m.csv\ncontrol: C\narms: [C, T]\n"
        "analysis: {bootstrap_resamples: 100, growth_model_selection: false}\n",
        encoding="utf-8",
    )
    study = load_study(tmp_path / "s.yaml")
    out = stages.run_efficacy(
        study, {"measurements": data, "survival_per_mouse": pd.DataFrame()}
    ).tables["tumour_free_by_day"]
    t = out[out["arm"] == "T"].set_index("day")
    assert t.index.tolist() == [0.0, 7.0, 14.0]
    assert t["n_mice"].tolist() == [2, 2, 2]
    assert t["n_tumour_free"].tolist() == [0, 1, 2]


@pytest.fixture(scope="module")
def zeros_summary(tmp_path_factory: pytest.TempPathFactory) -> tuple[list, dict]:
    tmp = tmp_path_factory.mktemp("zeros")
    _zeros().to_csv(tmp / "m.csv", index=False)
    (tmp / "study.yaml").write_text(
        "study_id: zeros\ndata: m.csv\ncontrol: Vehicle\narms: [Vehicle, DrugA, Cure]\n"
        "analysis: {bootstrap_resamples: 200, growth_model_selection: false}\n",
        encoding="utf-8",
    )
    study = load_study(tmp / "study.yaml")
    tables = stages.analyse_study(study, read_source(study))
    _, sections = summary.study_summary(stages.with_arms(study, tables["measurements"]), tables)
    return sections, dict(tables)


def test_answer_leads_the_cured_arm_with_counts_not_a_log_scale_rate(zeros_summary) -> None:
    sections, tables = zeros_summary
    answer = sections[0].paragraphs
    assert answer[0].startswith(
        "Most tumours in Cure had disappeared by day 21: 5 of 6 mice tumour-free"
    )
    # the growth sentence names the other arm, not Cure's log-scale rate ("the most" only
    # among several such arms: DrugA is the only one left)
    assert answer[1].startswith("Apart from Cure, DrugA slowed tumour growth: 0.0772")
    assert not any(p.startswith("Cure slowed") for p in answer)
    free = tables["tumour_free_by_day"]
    assert free[(free["arm"] == "Cure") & (free["day"] == 21)]["n_tumour_free"].item() == 5


def test_no_cured_lead_when_few_mice_are_at_zero(zeros_summary) -> None:
    from xenoflow.summary.efficacy import cured_arms

    sections, tables = zeros_summary
    study = _study("Vehicle", ARMS)
    free = tables["tumour_free_by_day"].copy()
    # 3 of 6 is not most of the arm
    free.loc[(free["arm"] == "Cure") & (free["day"] == 21), "n_tumour_free"] = 3
    assert cured_arms(study, {**tables, "tumour_free_by_day": free}) == {}
    assert cured_arms(study, tables) == {"Cure": (5, 6)}


def _study(control: str, arms: list[str]) -> Study:
    """A study of these arms (for the summary functions, which read only arms and control)."""
    return Study("s", DATA, DATA, control, tuple(Arm(a) for a in arms), {})


# ------------------------------------------------------------ growth delay, flat KM median

#: times to the threshold (every mouse reaches it). R:
#:   library(survival)
#:   summary(survfit(Surv(c(10, 12, 20, 20), rep(1, 4)) ~ 1))$table["median"]      # 16
#:   summary(survfit(Surv(c(20, 24, 26, 28, 30), rep(1, 5)) ~ 1))$table["median"]  # 26
#: the control's curve is at 50% from day 12 to day 20 (R quotes the midpoint, 16)
ENDPOINTS = pd.DataFrame(
    {
        "arm": ["C"] * 4 + ["T"] * 5,
        "mouse_id": [str(i) for i in range(9)],
        "time_days": [10.0, 12.0, 20.0, 20.0, 20.0, 24.0, 26.0, 28.0, 30.0],
        "event": [1] * 9,
    }
)


def test_growth_delay_not_given_from_a_median_that_is_not_unique() -> None:
    out = efficacy.growth_delay(ENDPOINTS, "C", ["C", "T"]).set_index("arm")
    assert out.loc["C", "median_time_days"] == 16.0  # R's midpoint, kept and flagged
    assert not out.loc["C", "median_unique"]
    assert out.loc["T", "median_unique"] and out.loc["T", "median_time_days"] == 26.0
    assert math.isnan(out.loc["T", "growth_delay_days"])
    assert math.isnan(out.loc["T", "log_cell_kill_gross"])
    note = out.loc["T", "note"]
    assert "not unique in C" in note and "from day 12 to day 20" in note
    # T - C over the control's flat step: 26 - 20 to 26 - 12
    assert "from 6 to 14 days" in note
    assert (out.loc["T", "growth_delay_low_days"], out.loc["T", "growth_delay_high_days"]) == (
        6.0,
        14.0,
    )
    assert math.isnan(out.loc["C", "growth_delay_low_days"])


def test_growth_delay_with_unique_medians_is_t_minus_c() -> None:
    unique = pd.DataFrame(
        {
            "arm": ["C"] * 5 + ["T"] * 5,
            "mouse_id": [str(i) for i in range(10)],
            "time_days": [10.0, 12, 14, 16, 20, 20, 24, 26, 28, 30],
            "event": [1] * 10,
        }
    )
    out = efficacy.growth_delay(unique, "C", ["C", "T"], doubling_time=5.0).set_index("arm")
    # R: summary(survfit(Surv(c(10, 12, 14, 16, 20), rep(1, 5)) ~ 1))$table["median"]  # 14
    assert out.loc["C", "median_time_days"] == 14.0 and out.loc["C", "median_unique"]
    assert out.loc["T", "growth_delay_days"] == pytest.approx(26 - 14)
    assert out.loc["T", "log_cell_kill_gross"] == pytest.approx(12 / (3.32 * 5.0))


def test_summary_says_why_there_is_no_growth_delay() -> None:
    from xenoflow.summary.efficacy import growth_delay_sentences

    delay = efficacy.growth_delay(ENDPOINTS, "C", ["C", "T"], threshold="500 mm3")
    text = " ".join(growth_delay_sentences(_study("C", ["C", "T"]), delay))
    assert text == (
        "No growth delay to 500 mm3 is given for T (6 to 14 days): the median time to reach "
        "it is not unique in C, whose Kaplan-Meier curve is flat at exactly 50% over an "
        "interval, so T − C could be anything in the range given (a midpoint median is a "
        "convention, not an estimate)."
    )
    assert not np.isfinite(delay["growth_delay_days"]).any()


def test_report_shows_the_tumour_free_mice_of_the_cured_arm(zeros_summary) -> None:
    from xenoflow import report

    _, tables = zeros_summary
    shown = report.with_tumour_free_mice(tables["tumour_free_by_day"])
    assert set(shown["arm"]) == {"Cure"}
    assert shown["day"].tolist() == [10.0, 14.0, 17.0, 21.0]
    assert shown["n_tumour_free"].tolist() == [4, 5, 5, 5]
    # a study without a tumour-free mouse shows no row
    none = tables["tumour_free_by_day"].assign(n_tumour_free=0)
    assert report.with_tumour_free_mice(none).empty


# ------------------------------------ summary.tsv, index and forest plot (issue 30 item 2)


def _run_pages(zeros_summary) -> tuple[pd.DataFrame, Any, Any]:
    """summary.tsv as on disk, the index page and the forest plot's growth points of the
    zeros study (Cure: 5 of 6 mice tumour-free on the reference day, day 21)."""
    from pages import Page

    import xenoflow.plots.summary as forest
    from xenoflow import io, report

    _, tables = zeros_summary
    study = load_study_zeros(tables)
    table = io.normalise("summary", summary.cross_study_table({"zeros": study}, {"zeros": tables}))
    failed = pd.DataFrame(columns=["study_id", "stage", "message"])
    index = Page(report.index_page({"zeros": study}, table, failed, None, ["zeros"]))
    return table, index, forest.growth_points(table)


def load_study_zeros(tables: dict) -> Study:
    return stages.with_arms(
        Study("zeros", DATA, DATA, "Vehicle", tuple(Arm(a) for a in ARMS), {}),
        tables["measurements"],
    )


def test_run_pages_lead_the_cured_arm_with_counts_and_ranks(zeros_summary) -> None:
    """As the study's answer: summary.tsv, the index and the forest plot lead an arm mostly at
    zero (Cure) with its tumour-free count and rank test, not with its log-scale rate."""
    table, index, points = _run_pages(zeros_summary)
    _, tables = zeros_summary
    rows = table.set_index("arm")
    dunn = tables["endpoint_tests"].query("test == 'dunn'").set_index("arm")["p_adjusted"]
    assert rows.loc["Cure", "tumour_free_lead"] and not rows.loc["DrugA", "tumour_free_lead"]
    assert rows.loc["Cure", ["n_tumour_free", "n_mice_measured"]].tolist() == [5, 6]
    assert rows.loc["DrugA", ["n_tumour_free", "n_mice_measured"]].tolist() == [0, 6]
    assert rows.loc["Cure", "rank_p"] == pytest.approx(dunn["Cure"])
    assert rows.loc["Cure", "rank_p_method"].startswith("Dunn's test against the control")
    # the log-scale finding stays in the table (the study's findings give it, with its caveat)
    assert np.isfinite(rows.loc["Cure", "rate_diff_vs_control"])
    # summary.tsv's columns: the lead before the rate
    columns = list(table.columns)
    assert columns.index("tumour_free_lead") < columns.index("rate_diff_vs_control")
    # the forest plot draws no point for Cure: its count and rank test are written instead
    drawn = points.set_index(table["arm"])
    assert np.isnan(drawn.loc["Cure", "estimate"]) and np.isfinite(drawn.loc["DrugA", "estimate"])
    assert drawn.loc["Cure", "missing"] == "5 of 6 tumour-free on day 21; Dunn p < 0.001 (Holm)"
    # the index: the count and rank test come first; the rate is marked
    cells = {r["Arm"]: r for r in index.table_with("Arm")}
    headers = list(cells["Cure"])
    count = headers.index("Tumour-free mice (reference day)")
    rank = headers.index("p, rank test (Dunn, Holm)")
    rate = next(i for i, h in enumerate(headers) if "difference" in h.lower())
    assert count < rank < rate
    assert cells["Cure"][headers[count]] == "5 of 6"
    assert cells["Cure"][headers[rank]] == "< 0.001"
    assert cells["Cure"][headers[rate]].endswith("(log scale, rests on the detection limit)")
    assert "detection limit" not in cells["DrugA"][headers[rate]]


def test_study_report_marks_the_log_scale_rate_of_a_mostly_tumour_free_arm(zeros_summary) -> None:
    """The report's growth-rate table keeps Cure's log-scale difference (it is a number the
    model gives) but marks it, as the index does: it rests on the detection limit."""
    from pages import Page

    from xenoflow import report
    from xenoflow.config import analysis_defaults

    _, tables = zeros_summary
    study = dataclasses.replace(load_study_zeros(tables), settings=analysis_defaults())
    provenance = {"versions": {"xenoflow": "0"}, "inputs": {"seed": 1, "files": {}}}
    page = Page(report.study_report(study, tables, {}, provenance))
    rows = {r["Arm"]: r for r in page.table_with("Doubling time")}
    header = next(h for h in rows["Cure"] if h.startswith("Difference vs control"))
    assert rows["Cure"][header].endswith("(log scale, rests on the detection limit)")
    assert "detection limit" not in rows["DrugA"][header]

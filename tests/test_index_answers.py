"""The run's index page (issue 29 item B): one row per study with the opening answer of its
report, sentence for sentence; every day a study day with the study's baseline day beside it
(CR1197 counts from day 33, the radiopharmaceutical study from day 0); a link to each study's
report and to the run's Snakemake report."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pages import Page

from xenoflow import crossmodel, io, report, stages, summary
from xenoflow.config import load_study
from xenoflow.ingest import read_source
from xenoflow.summary.answer import answer_section
from xenoflow.survival import read_survival_file

ROOT = Path(__file__).resolve().parents[1]
#: a study counted from day 0, and a real PDX study whose days start at 33
STUDIES = ("fractionation_clr131", "crownbio_CR1197")


@pytest.fixture(scope="module")
def run() -> dict[str, Any]:
    """The studies analysed in memory, their reports and the index, as the rules build them."""
    studies, tables, reports = {}, {}, {}
    for name in STUDIES:
        study = load_study(
            ROOT / "config" / "studies" / f"{name}.yaml", {"bootstrap_resamples": 200}
        )
        recorded = read_survival_file(study.survival_data) if study.survival_data else None
        t = stages.analyse_study(study, read_source(study), recorded=recorded)
        studies[study.study_id], tables[study.study_id] = study, t
        provenance = {"versions": {}, "inputs": {"seed": 1, "files": {}}}
        reports[study.study_id] = Page(
            str(stages.run_report(study, t, {}, provenance)["study_report"])
        )
    table = io.normalise("summary", summary.cross_study_table(studies, tables))
    failed = pd.DataFrame(columns=["study_id", "stage", "message"])
    html = report.index_page(studies, table, failed, None, list(studies), tables)
    return {"studies": studies, "tables": tables, "reports": reports, "index": Page(html)}


def test_one_row_per_study_with_its_reports_opening_answer(run: dict[str, Any]) -> None:
    rows = run["index"].table_with("Answer")
    assert [r["Study"].removesuffix(" (synthetic)") for r in rows] == list(STUDIES)
    for row, (sid, study) in zip(rows, run["studies"].items()):
        section = answer_section(study, run["tables"][sid])
        assert section is not None and section.paragraphs
        assert row["Answer"] == " ".join(" ".join(section.paragraphs).split())
        # the same sentences open the study's report
        for sentence in section.paragraphs:
            assert " ".join(sentence.split()) in run["reports"][sid].text, sentence
        # the growth headline (its estimate and p) is among them, after the regimen verdict
        # of a study that compares regimens (issue 28: the verdict opens its answer)
        growth = summary.headline_findings(study, run["tables"][sid])
        best = min(growth.values(), key=lambda f: f.estimate)
        regimens = sid == "fractionation_clr131"
        assert row["Answer"].startswith("Regimen verdict: ") == regimens
        assert f"{best.arm} slowed tumour growth the most" in section.paragraphs[int(regimens)]
        assert summary.fmt(abs(best.estimate)) in row["Answer"]


def test_days_are_study_days_with_the_baseline_stated(run: dict[str, Any]) -> None:
    index = run["index"]
    answers = {r["Study"].removesuffix(" (synthetic)"): r for r in index.table_with("Answer")}
    assert answers["crownbio_CR1197"]["Baseline (study day)"] == "33"
    # day 50: the last day with 80% of every arm's mice (the control has 6 of 10 on day 54)
    assert answers["crownbio_CR1197"]["Reference day (study day)"] == "50"
    assert answers["fractionation_clr131"]["Baseline (study day)"] == "0"
    assert answers["fractionation_clr131"]["Reference day (study day)"] == "28"
    # CR1197's growth headline counts its days the same way: from day 33 to day 54
    assert "days 33 to 54" in answers["crownbio_CR1197"]["Answer"]
    arms = index.table_with("Reference day (study day)")
    assert "Day" not in index.tables[-1][0]  # no unlabelled day column left
    by_study = {}
    for r in arms:
        by_study.setdefault(r["Study"].removesuffix(" (synthetic)"), set()).add(
            (r["Reference day (study day)"], r["Baseline (study day)"])
        )
    assert by_study == {"fractionation_clr131": {("28", "0")}, "crownbio_CR1197": {("50", "33")}}
    assert "All days are study days" in index.text


def test_index_links_each_report_and_the_snakemake_report(run: dict[str, Any]) -> None:
    links = run["index"].links
    assert "report.html" in links  # the run's Snakemake report, next to index.html
    assert all(f"{sid}/report.html" in links for sid in STUDIES)
    assert not any(re.match(r"^(/|[a-z]+://)", link) for link in links)  # relative links only


def test_a_treatment_in_several_studies_is_compared_across_them() -> None:
    """Issue 29 item 3 (what Xeva users look for): Irinotecan + Rabusertib is given in LS-1034
    (spelt 'Irinotecan+Rabusertib') and SW837; the index lines them up, each from its study."""
    studies, tables = {}, {}
    for name in ("crownbio_LS-1034", "crownbio_SW837"):
        study = load_study(
            ROOT / "config" / "studies" / f"{name}.yaml", {"bootstrap_resamples": 50}
        )
        studies[study.study_id] = study
        tables[study.study_id] = stages.analyse_study(study, read_source(study))
    rows = report.shared_treatments(studies, tables)
    combos = [
        r for r in rows if crossmodel.treatment_key(r["treatment"]) == "irinotecan+rabusertib"
    ]
    assert [r["study"] for r in combos] == ["crownbio_LS-1034", "crownbio_SW837"]
    for r in combos:
        resp = tables[r["study"]]["response_summary"].set_index("arm").loc[r["treatment"]]
        assert r["mrecist"].endswith(f"PD of {int(resp['n_mice'])}")
        assert r["bliss"].startswith("score ")
    # single agents in both studies are lined up too; an arm of one study alone is not
    assert {crossmodel.treatment_key(r["treatment"]) for r in rows} >= {"irinotecan", "rabusertib"}
    table = io.normalise("summary", summary.cross_study_table(studies, tables))
    failed = pd.DataFrame(columns=["study_id", "stage", "message"])
    page = Page(report.index_page(studies, table, failed, None, list(studies), tables))
    shown = page.table_with("Bliss synergy score, mixed model (last day)")
    assert len(shown) == len(rows)
    # the waterfall across models: each study's own best responses of the treatment
    mice = crossmodel.shared_responses(studies, tables)
    for sid, arm in (
        ("crownbio_LS-1034", "Irinotecan+Rabusertib"),
        ("crownbio_SW837", "Irinotecan + Rabusertib"),
    ):
        own = tables[sid]["response"]
        got = mice[(mice["study_id"] == sid) & (mice["arm"] == arm)]
        expected = own.loc[own["arm"] == arm, "best_response_pct"].reset_index(drop=True)
        assert len(expected) and got["best_response_pct"].reset_index(drop=True).equals(expected)
    assert set(mice["treatment"]) == {"Irinotecan+Rabusertib", "Irinotecan", "Rabusertib"}


def test_the_index_shows_the_waterfall_across_models_or_says_once_why_not(tmp_path) -> None:
    """A figure with something to draw is a card with its caption; one with nothing to draw
    (no treatment in two studies) is a sentence, not a placeholder card."""
    from xenoflow.plots.efficacy import NO_SHARED_TREATMENT, cross_model_waterfall
    from xenoflow.plots.style import save_figure

    study = load_study(ROOT / "config" / "studies" / "crownbio_SW837.yaml")
    tables = {study.study_id: stages.analyse_study(study, read_source(study))}
    failed = pd.DataFrame(columns=["study_id", "stage", "message"])
    table = io.normalise("summary", summary.cross_study_table({study.study_id: study}, tables))
    mice = crossmodel.shared_responses({study.study_id: study}, tables)
    assert mice.empty  # one study: nothing shared
    save_figure(cross_model_waterfall(mice), tmp_path / "none", ("png",))
    responses = mice.reindex(range(2)).assign(
        treatment="T",
        study_id=["a", "b"],
        model=["A", "B"],
        arm="T",
        mouse_id="1",
        best_response_pct=[10.0, -60.0],
        mrecist=["SD", "PR"],
        evaluable=True,
        min_day=10.0,
        synthetic=False,
    )
    save_figure(cross_model_waterfall(responses), tmp_path / "two", ("png",))
    pages = {
        name: report.index_page(
            {study.study_id: study},
            table,
            failed,
            None,
            [],
            tables,
            (tmp_path / f"{name}.png").read_bytes(),
        )
        for name in ("none", "two")
    }
    assert pages["none"].count(NO_SHARED_TREATMENT) == 1 and "<figure>" not in pages["none"]
    shown = Page(pages["two"])
    assert NO_SHARED_TREATMENT not in shown.text
    assert "Waterfall across tumour models, as Xeva draws one" in shown.text  # its caption
    assert pages["two"].count("<img") == 1

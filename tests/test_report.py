"""The self-contained HTML reports (xenoflow.report): a study's report.html and the run's
index.html. The rendered pages are opened in headless Chromium in test_workflow.py."""

from __future__ import annotations

import base64
import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from xenoflow import report, stages
from xenoflow import tables as registry
from xenoflow.config import load_study
from xenoflow.ingest import read_source

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny" / "config" / "studies" / "tiny_wide.yaml"
# a 1 x 1 PNG: the figures are embedded as they are
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


class Page(HTMLParser):
    """What a reader sees: the text, the images' sources and the links."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.images: list[str] = []
        self.links: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "img":
            self.images.append(found.get("src") or "")
        if tag == "a":
            self.links.append(found.get("href") or "")
        assert tag not in ("script", "link"), "a report loads nothing from elsewhere"

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def words(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.text))


@pytest.fixture(scope="module")
def tiny():
    study = load_study(TINY, {"bootstrap_resamples": 200})
    return study, stages.analyse_study(study, read_source(study))


def _report(study, tables) -> Page:
    figures = {"growth_curves": PNG, "km": PNG}
    provenance = {
        "versions": {"xenoflow": "1.0", "pandas": "2.3"},
        "inputs": {"seed": 7, "files": {"data": {"path": "data/x.csv", "sha256": "ab" * 32}}},
    }
    html = stages.run_report(study, tables, figures, provenance)["study_report"]
    assert isinstance(html, str)
    return Page(html)


def test_study_report_holds_findings_figures_tables_methods_provenance(tiny):
    study, tables = tiny
    page = _report(study, tables)
    text = page.words
    # the findings are the summary's sentences
    assert "Findings" in text and "%T/C was" in text
    # both figures, embedded, with their captions
    assert len(page.images) == 2 and all(
        s.startswith("data:image/png;base64,") for s in page.images
    )
    assert "Kaplan–Meier curves of study tiny_wide" in text  # the caption, study id filled in
    # key tables: efficacy at the reference day only, one row per arm
    assert "Efficacy at the reference day" in text and "Growth rate" in text
    assert text.count("NCI activity") >= 1
    eff = tables["efficacy"]
    high = eff[eff["is_reference_day"].astype(bool) & (eff["arm"] == "High")].iloc[0]
    assert f"{report.sig(high['tc_pct'])} [{report.sig(high['tc_ci_low'], 2)}," in text
    # methods (the registry captions) and provenance
    assert "Methods" in text and "Provenance" in text and "ab" * 32 in text
    assert "{{" not in text and "``" not in text  # captions rendered, not raw markup
    assert "SYNTHETIC" in text.upper()


def test_reports_are_deterministic(tiny):
    study, tables = tiny
    assert _report(study, tables).words == _report(study, tables).words


def test_number_formatting():
    assert report.sig(61.5943) == "61.6" and report.sig(0.0129477) == "0.0129"
    assert report.sig(1234.5) == "1234" and report.sig(-0.000123456, 2) == "-0.00012"
    assert report.sig(float("nan")) == "" and report.sig(0) == "0"
    assert report.p_text(0.0296) == "0.030" and report.p_text(0.0001) == "<\u00a00.001"


def test_index_marks_synthetic_studies_links_reports_and_lists_failures(tiny):
    study, _ = tiny
    findings = pd.DataFrame(
        {"study_id": ["tiny_wide", "real"], "arm": ["High", "B"], "control": ["Control", "A"]}
    )
    real = dataclasses.replace(study, study_id="real", synthetic=False)
    failed = pd.DataFrame(
        {"study_id": ["broken"], "stage": ["ingest"], "message": ["bad.csv: row 3"]}
    )
    html = report.index_page(
        {"tiny_wide": study, "real": real}, findings, failed, PNG, ["tiny_wide"]
    )
    page = Page(html)
    assert "tiny_wide/report.html" in page.links and "real/report.html" not in page.links
    assert "tiny_wide (synthetic)" in page.words and "real (synthetic)" not in page.words
    assert "Failed studies" in page.words and "bad.csv: row 3" in page.words
    assert len(page.images) == 1


def test_design_table_shows_the_headline_day_only():
    """The report shows the sample sizes at the day the design sentence quotes (the pilot's
    reference day); the whole grid stays in sample_size.tsv."""
    ss = pd.DataFrame(
        {
            "endpoint": ["log_volume"] * 3 + ["synergy"],
            "method": ["t", "t", "t", ""],
            "tgi_pct": [50.0, 50.0, 60.0, float("nan")],
            "follow_up_days": [14.0, 28.0, 28.0, float("nan")],
            "n_needed": [9, 6, 4, float("nan")],
            "note": ["", "", "", "not computed"],
        }
    )
    eff = pd.DataFrame({"day": [14.0, 28.0], "is_reference_day": [False, True]})
    shown = report.design_headline(ss, {"efficacy": eff})
    assert shown["follow_up_days"].tolist() == [28.0, 28.0]
    assert shown["n_needed"].tolist() == [6, 4]
    # without a reference day among the follow-ups: the first follow-up day, as the summary
    eff = pd.DataFrame({"day": [21.0], "is_reference_day": [True]})
    assert report.design_headline(ss, {"efficacy": eff})["follow_up_days"].tolist() == [14.0]


def test_dose_units_read_micro_curies_in_the_report() -> None:
    """The tables keep the file's ASCII unit; the report writes µCi and m², as the figures."""
    cell = report.Cell("Unit", "dose_unit", kind="text")
    assert cell.render({"dose_unit": "uCi"}) == "µCi"
    assert cell.render({"dose_unit": "mg/m2"}) == "mg/m²"
    assert report.Cell("Arm", "arm", kind="text").render({"arm": "uCi arm"}) == "uCi arm"


def test_a_figure_with_nothing_to_draw_is_named_once_not_shown(tiny, tmp_path):
    """Issue 29 item 4: no placeholder figure card with a full caption."""
    from xenoflow.plots.notes import png_note
    from xenoflow.plots.style import note_figure, plt, save_figure

    stems = {}
    for name, make in (
        ("km", lambda: note_figure("t", "No survival endpoint configured.")),
        ("growth_curves", lambda: plt.subplots()[0]),
    ):
        save_figure(make(), tmp_path / name, ("png",))
        stems[name] = (tmp_path / f"{name}.png").read_bytes()
    assert png_note(stems["km"]) == "No survival endpoint configured."
    assert png_note(stems["growth_curves"]) == "" and png_note(PNG) == ""
    study, tables = tiny
    provenance = {"versions": {}, "inputs": {"seed": 1, "files": {}}}
    page = Page(str(stages.run_report(study, tables, stems, provenance)["study_report"]))
    assert len(page.images) == 1  # the growth figure only
    assert "Kaplan–Meier curves of study tiny_wide" not in page.words.split("Methods")[0]
    assert "Not drawn, with nothing to show for this study:" in page.words
    assert "Survival (Kaplan–Meier curves): No survival endpoint configured." in page.words


def test_every_study_figure_is_named_for_report_html():
    """A study figure is in report.html by its registry entry (``in_report``): a new figure
    without a name for a reader would be drawn and never shown."""
    study_figures = [f.name for f in registry.FIGURES if f.scope == "study"]
    assert list(report.STUDY_FIGURES) == study_figures
    assert all(report.STUDY_FIGURES.values())
    assert list(report.OPTIONAL_TABLES) == [t.name for t in registry.TABLES if t.in_report]

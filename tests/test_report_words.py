"""Words, not identifiers (issue 29 item 2): what a reader sees in a demo study's report.html
outside its Methods and Provenance sections holds no code name (snake_case), no R function
(``pkg::fun``) and no file name (*.tsv, *.csv, ...); tables show the registry's headers,
integers as integers, and the interval note only under tables with intervals."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from xenoflow import report, stages
from xenoflow import tables as registry
from xenoflow.config import load_study
from xenoflow.ingest import read_source
from xenoflow.survival import read_survival_file

ROOT = Path(__file__).resolve().parents[1]
#: a radiopharmaceutical study with regimens and toxicity; a real PDX study with synergy
STUDIES = ("fractionation_clr131", "crownbio_CR1197")
IDENTIFIER = re.compile(
    r"\b[A-Za-z][a-z0-9]*(?:_[a-z0-9]+)+\b"  # snake_case (a title's capital too)
    r"|\w+::\w+"  # an R function
    r"|\b[\w.-]+\.(?:tsv|csv|xlsx|yaml|pzfx|png|svg)\b"  # a file
)
#: sections that may cite code names and files
METHOD_SECTIONS = ("methods", "provenance")


class Visible(HTMLParser):
    """The text a reader sees, by section (the id of the last <h2>), and the tables (rows of
    cell texts, with the text of the paragraph after each)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.section = ""
        self.text: list[tuple[str, str]] = []
        self.tables: list[list[list[str]]] = []
        self.after: list[str] = []
        self._skip = 0
        self._cell: list[str] | None = None
        self._after_table = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2":
            self.section = dict(attrs).get("id") or ""
        elif tag in ("style", "title", "script"):
            self._skip += 1
        elif tag == "table":
            self.tables.append([])
            self.after.append("")
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag in ("h3", "h2", "div") and self._after_table:
            self._after_table = False

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title", "script"):
            self._skip -= 1
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._after_table = True

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append((self.section, data))
        if self._cell is not None:
            self._cell.append(data)
        elif self._after_table and data.strip():
            self.after[-1] += data

    def findings_text(self) -> str:
        return " ".join(t for s, t in self.text if s not in METHOD_SECTIONS)


def _png() -> bytes:
    """A small PNG with something drawn (no note): every study figure's card and caption show."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(1, 1))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def reports() -> dict[str, tuple[str, Visible]]:
    out = {}
    for name in STUDIES:
        study = load_study(
            ROOT / "config" / "studies" / f"{name}.yaml", {"bootstrap_resamples": 200}
        )
        recorded = read_survival_file(study.survival_data) if study.survival_data else None
        tables = stages.analyse_study(study, read_source(study), recorded=recorded)
        provenance = {"versions": {"xenoflow": "0"}, "inputs": {"seed": 1, "files": {}}}
        figures = dict.fromkeys(report.STUDY_FIGURES, _png())
        html = str(stages.run_report(study, tables, figures, provenance)["study_report"])
        out[name] = (study.study_id, Visible(html))
    return out


@pytest.mark.parametrize("name", STUDIES)
def test_no_identifiers_outside_methods_and_provenance(reports, name):
    """Figure captions included: every study figure is given, so each card shows its caption."""
    study_id, page = reports[name]
    assert "Dose-driven growth model of study" in page.findings_text()
    text = page.findings_text().replace(study_id, "")  # the study's own name is no code
    found = sorted({m.group(0) for m in IDENTIFIER.finditer(text)})
    assert not found, found


@pytest.mark.parametrize("name", STUDIES)
def test_tables_show_headers_integers_and_intervals_only_where_given(reports, name):
    _, page = reports[name]
    headers = {h for rows in page.tables if rows for h in rows[0]}
    assert "Mice" in headers and "n_mice" not in headers
    for rows, after in zip(page.tables, page.after):
        if not rows:
            continue
        cells = [c for r in rows[1:] for c in r]
        has_interval = any(re.search(r"\[[^\]]+,[^\]]+\]$", c) for c in cells)
        assert ("intervals in brackets" in after) == has_interval, (rows[0], after)
        for j, header in enumerate(rows[0]):
            if header in ("Mice", "Events", "CR", "PR", "SD", "PD", "Toxic deaths"):
                assert all(re.fullmatch(r"\d*", r[j]) for r in rows[1:] if j < len(r)), header


def test_synergy_table_has_one_row_per_combination_method_and_day(reports):
    _, page = reports["crownbio_CR1197"]
    rows = next(t for t in page.tables if t and "p, Wald t" in t[0])
    # combination, method, basis, day of the mixed model's scores (z and t: one row)
    keys = [tuple(r[:4]) for r in rows[1:] if r[2] == "mixed model"]
    assert keys and len(keys) == len(set(keys))
    z, t = rows[0].index("p, Wald z"), rows[0].index("p, Wald t")
    assert any(r[z] and r[t] for r in rows[1:])
    # two scores of one method, basis and day (invivoSyn's TGI and AUC give two each) say
    # which statistic each is
    statistic = rows[0].index("Statistic")
    every = [(*r[:4], r[statistic]) for r in rows[1:]]
    assert len(every) == len(set(every)) and "combination index" in {k[-1] for k in every}


def test_every_column_has_a_reader_header():
    """The registry gives every column a header: no code name, a unit where the description
    ends with one."""
    for spec in registry.TABLES:
        for column in spec.columns:
            assert column.header and not IDENTIFIER.search(column.header), (
                spec.name,
                column.name,
                column.header,
            )
    assert registry.table("efficacy").column("mean_volume_mm3").header == "Mean volume (mm³)"
    assert registry.label_from("exponential growth rate k: slope of ln(volume) (per day)") == (
        "Exponential growth rate k (per day)"
    )


def test_the_synergy_models_growth_rates_say_why_they_differ_from_the_growth_table(reports):
    """Issue 29: each arm of a combination study has two growth rates (the growth model's and
    the synergy model's); the synergy model's table says in words why they differ."""
    _, page = reports["crownbio_CR1197"]
    rates = [after for rows, after in zip(page.tables, page.after) if rows and "Role" in rows[0]]
    assert len(rates) == 1 and "not the growth-rate table's" in rates[0]
    assert "relative tumour volume" in rates[0] and "intercept per mouse" in rates[0]

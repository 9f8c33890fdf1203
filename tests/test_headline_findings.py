"""One number per finding everywhere (issue 27 item 6): for the demo studies, each treated arm's
headline growth finding and its log-rank comparison with the control carry the same estimate
(at the displayed precision) and the same p-value, multiplicity-adjusted where the report's
verdict follows an adjusted p, in the study's report.html and summary.md, the run's index.html,
summary.tsv and the forest plot (as drawn)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pages import Page

import xenoflow.plots.summary as forest
from xenoflow import io, report, stages, summary
from xenoflow.config import load_study
from xenoflow.ingest import read_source
from xenoflow.survival import read_survival_file

ROOT = Path(__file__).resolve().parents[1]
#: fractionation: several comparisons (Holm); caki2: an arm that regresses then regrows
STUDIES = ("fractionation_clr131", "caki2_clr131")


def p_shown(text: str) -> str:
    """A p-value as displayed, whatever the page's style: 'p = 0.048' / '0.048' -> '0.048',
    'p < 0.001' / '<\u00a00.001' -> '<0.001'."""
    text = re.sub(r"\s*\(Holm\)$", "", text.replace("\u00a0", " ").strip())
    return re.sub(r"^p\s*|[\s=]", "", text)


def last_p(sentence: str) -> str:
    """The last p-value of a sentence: the one its verdict follows."""
    found = re.findall(r"p ([<=]) (\d[\d.]*)", sentence)
    assert found, sentence
    op, value = found[-1]
    return ("<" if op == "<" else "") + value


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every page of a run of the demo studies, built in memory as the rules build them."""
    studies, tables, out = {}, {}, {}
    for name in STUDIES:
        study = load_study(
            ROOT / "config" / "studies" / f"{name}.yaml", {"bootstrap_resamples": 200}
        )
        recorded = read_survival_file(study.survival_data) if study.survival_data else None
        t = stages.analyse_study(study, read_source(study), recorded=recorded)
        studies[study.study_id], tables[study.study_id] = study, t
        provenance = {"versions": {}, "inputs": {"seed": 1, "files": {}}}
        html = str(stages.run_report(study, t, {}, provenance)["study_report"])
        out[study.study_id] = {
            "report": Page(html),
            "summary_md": str(stages.run_summary(study, t)["summary_md"]),
        }
    table = io.normalise("summary", summary.cross_study_table(studies, tables))  # as on disk
    failed = pd.DataFrame(columns=["study_id", "stage", "message"])
    index = Page(report.index_page(studies, table, failed, None, list(studies)))
    return {
        "studies": studies,
        "pages": out,
        "summary_tsv": table,
        "index": index,
        "forest": _drawn_forest(table, tmp_path_factory.mktemp("forest")),
    }


def _drawn_forest(table: pd.DataFrame, folder: Path) -> dict[str, dict[str, str]]:
    """What the forest plot's growth panel draws per row label: estimate and p as shown."""
    drawn: list[tuple[Any, ...]] = []
    figures: list[Any] = []
    panel, save = forest._panel, forest.save_figure
    mp = pytest.MonkeyPatch()
    mp.setattr(forest, "_panel", lambda *a, **k: (drawn.append(a), panel(*a, **k))[1])
    mp.setattr(
        forest, "save_figure", lambda fig, *a, **k: (figures.append(fig), save(fig, *a, **k))
    )
    try:
        forest.forest_plot(table, folder / "forest", ("png",))
    finally:
        mp.undo()
    _, labels, est, *_ = drawn[0]  # the growth panel, drawn first
    n = len(labels)
    texts = {
        n - 1 - round(t.get_position()[1] - 0.22): t.get_text()
        for t in figures[0].axes[0].texts
        if t.get_text().startswith("p ")
    }
    return {
        label: {"estimate": summary.fmt(e), "p": p_shown(texts.get(i, "")), "text": texts.get(i)}
        for i, (label, e) in enumerate(zip(labels, est))
    }


def _findings() -> list[tuple[str, str]]:
    out = []
    for name in STUDIES:
        study = load_study(ROOT / "config" / "studies" / f"{name}.yaml")
        out += [(study.study_id, arm) for arm in study.treated_arms]
    return out


def _stated(paragraphs: list[str], arm: str, two_phase: bool) -> tuple[str, str, str | None]:
    """The arm's headline growth finding as a summary or report states it: for a two-phase
    arm the whole-curve sentence, else the growth-rate sentence; (sentence, estimate, the p
    its verdict follows)."""
    lead = f"difference of {arm} from control" if two_phase else f"Tumours in {arm} grew"
    sentences = [p for p in paragraphs if lead in p]
    assert len(sentences) == 1, (arm, sentences)
    estimate = re.search(r"(?:difference|was) (-?[\d.]+) per day", sentences[0])
    assert estimate, sentences[0]
    has_p = re.search(r"p [<=] \d", sentences[0])
    return sentences[0], estimate.group(1), last_p(sentences[0]) if has_p else None


def _index_row(
    pages: dict[str, Any], study_id: str, arm: str, table: str = "Arm"
) -> dict[str, str]:
    """The arm's row of the index table with a column ``table`` (the findings; their methods
    with "Growth metric")."""
    rows = pages["index"].table_with(table)
    return next(
        r for r in rows if (r["Study"].removesuffix(" (synthetic)"), r["Arm"]) == (study_id, arm)
    )


def _quoted(pages: dict[str, Any], study_id: str, arm: str, two_phase: bool) -> dict[str, Any]:
    """Page -> (estimate, p) of the arm's headline growth finding as the page shows it."""
    md = pages["pages"][study_id]["summary_md"]
    row = pages["summary_tsv"].set_index(["study_id", "arm"]).loc[(study_id, arm)]
    cells = _index_row(pages, study_id, arm)
    index_p = next(v for k, v in cells.items() if k.startswith("p ("))
    drawn = next(v for k, v in pages["forest"].items() if k.startswith(f"{study_id}: {arm} "))
    report_page = pages["pages"][study_id]["report"]
    if two_phase:
        key = report_page.table_with("Whole-curve difference")
        estimate, p = (
            next(h for h in key[0] if h.startswith("Whole-curve difference")),  # with its unit
            next((h for h in key[0] if h.startswith("p whole")), ""),
        )
    else:
        key = report_page.table_with("Difference vs control")
        estimate, p = next(h for h in key[0] if h.startswith("Difference vs control")), "p"
    key_row = next(r for r in key if r["Arm"] == arm)
    brief = re.search(
        rf"^{re.escape(arm)}: .*?(slowed growth|grew faster) by ([\d.]+) per day", md, re.M
    )
    out = {
        "summary.md": _stated(md.split("\n\n"), arm, two_phase)[1:],
        "summary.tsv": (
            summary.fmt(row["rate_diff_vs_control"]),
            p_shown(summary.fmt_p(row["rate_diff_p"])),
        ),
        "index.html": (
            next(v for k, v in cells.items() if "difference" in k.lower()).split()[0],
            p_shown(index_p),
        ),
        "forest plot": (drawn["estimate"], drawn["p"]),
        "report key table": (key_row[estimate].split()[0], p_shown(key_row.get(p, ""))),
    }
    if brief:  # the regimen line gives the size of the effect, its direction in words
        sign = "-" if brief.group(1) == "slowed growth" else ""
        out["summary.md regimen line"] = (sign + brief.group(2), None)
    return out


@pytest.mark.parametrize(("study_id", "arm"), _findings())
def test_every_page_quotes_the_reports_growth_finding(pages, study_id, arm):
    two_phase = (
        str(pages["summary_tsv"].set_index(["study_id", "arm"]).loc[(study_id, arm), "two_phase"])
        == "True"
    )
    sentence, estimate, p = _stated(pages["pages"][study_id]["report"].paragraphs, arm, two_phase)
    quoted = _quoted(pages, study_id, arm, two_phase)
    said = {page: (estimate, p if page != "summary.md regimen line" else None) for page in quoted}
    assert quoted == said, sentence
    assert p is not None, sentence  # the report gives the finding's p


@pytest.mark.parametrize(("study_id", "arm"), _findings())
def test_every_page_quotes_the_reports_logrank_verdict(pages, study_id, arm):
    control = pages["studies"][study_id].control
    sentence = next(
        p
        for p in pages["pages"][study_id]["report"].paragraphs
        if p.startswith(f"{arm} vs {control}:")
    )
    p = last_p(sentence[: sentence.index("statistically significant")])
    row = pages["summary_tsv"].set_index(["study_id", "arm"]).loc[(study_id, arm)]
    assert p_shown(summary.fmt_p(row["logrank_p"])) == p, (study_id, arm, sentence)
    assert p_shown(_index_row(pages, study_id, arm)["Log-rank p"]) == p, (study_id, arm, sentence)


def test_each_page_names_the_metric_and_the_adjustment(pages):
    """The index and summary.tsv say which growth-rate difference and which test and
    adjustment; the forest plot marks a Holm-adjusted p."""
    table = pages["summary_tsv"].set_index(["study_id", "arm"])
    assert table.loc[("caki2_clr131", "CLR 131"), "rate_diff_metric"] == (
        "two-phase piecewise model, mean over days 0 to 65"
    )
    single = table.loc[("fractionation_clr131", "CLR 131 single")]
    # the control is followed (half its mice measured) to day 35: the model stops there
    assert single["rate_diff_metric"] == "exponential mixed model, days 0 to 35"
    assert single["rate_diff_p_method"].endswith("Holm-adjusted over 3 contrasts")
    assert single["logrank_p_method"] == "log-rank, Holm-adjusted over 3 comparisons"
    cells = _index_row(pages, "fractionation_clr131", "CLR 131 single", "Growth metric")
    assert cells["Growth metric"] == single["rate_diff_metric"]
    assert cells["Growth test"] == single["rate_diff_p_method"]
    drawn = pages["forest"]["fractionation_clr131: CLR 131 single (synthetic)"]
    # (0.048 when the model ran past the control to day 56; to day 35 it is 0.067)
    assert drawn["text"] == "p = 0.067 (Holm)"


def test_an_interval_beside_an_adjusted_p_is_said_to_be_unadjusted():
    """The contrast's 95% CI may exclude 0 while its Holm-adjusted p is above 0.05
    (fractionation: -0.13 to -0.015, p = 0.067): the sentence says the interval is not
    adjusted, so the two do not read as a contradiction; a single contrast is stated as is."""
    from xenoflow.summary.headline import EXPONENTIAL, GrowthFinding

    kwargs = dict(arm="A", model=EXPONENTIAL, days=(0.0, 35.0), estimate=-0.0745)
    adjusted = GrowthFinding(
        **kwargs,
        ci_low=-0.13,
        ci_high=-0.015,
        p=0.067,
        test="t",
        adjustment="Holm-adjusted over 3 contrasts",
        stated=((0.022, "t"),),
    )
    single = GrowthFinding(
        **kwargs,
        ci_low=-0.13,
        ci_high=-0.015,
        p=0.022,
        test="t",
        adjustment="",
        stated=((0.022, "t"),),
    )
    assert adjusted.interval == "95% CI -0.13 to -0.015, not adjusted for the multiple comparisons"
    assert single.interval == "95% CI -0.13 to -0.015"


def test_a_reduction_stated_as_a_positive_number_carries_its_interval_flipped():
    """'slowed tumour growth the most: 0.0638 per day' must not sit beside '95% CI -0.11 to
    -0.021': the number as worded lies inside the interval as worded."""
    from xenoflow.summary.headline import EXPONENTIAL, GrowthFinding

    finding = GrowthFinding(
        arm="A", model=EXPONENTIAL, days=None, estimate=-0.0638, ci_low=-0.11, ci_high=-0.021,
        p=0.025, test="t", adjustment="", stated=((0.025, "t"),),
    )  # fmt: skip
    shown = finding.as_magnitude()
    assert (shown.estimate, shown.ci_low, shown.ci_high) == (0.0638, 0.021, 0.11)
    assert shown.interval == "95% CI 0.021 to 0.11"
    grew = GrowthFinding(**{**finding.__dict__, "estimate": 0.05, "ci_low": 0.01, "ci_high": 0.09})
    assert grew.as_magnitude() is grew

"""The default run (`make run`'s demo studies), end to end through Snakemake in a temporary
copy, and every study's report.html and the index.html opened in headless Chromium as a
reader opens them (issue 18) on a 1280 px screen (issue 29): the answer on the first screen,
no sideways scrolling, no broken image or placeholder figure, no table column a word wide,
findings, every figure drawn, key tables, the links between the pages, nothing loaded from
elsewhere. Screenshots (first screen and whole page) go to .pytest_artifacts/demo/."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_workflow import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.workflow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="needs Chromium (Debian package 'chromium'; .ci/run installs it)"
    ),
]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("demo") / "work"
    for part in ("config", "data"):
        shutil.copytree(ROOT / part, work / part)
    command = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")]
    proc = subprocess.run(
        [*command, "--directory", str(work), "--cores", "2"],
        capture_output=True,
        text=True,
        timeout=3000,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return work


def _study_ids(work: Path) -> list[str]:
    config = yaml.safe_load((work / "config" / "config.yaml").read_text(encoding="utf-8"))
    paths = [p for pattern in config["studies"] for p in sorted(work.glob(pattern))]
    return [yaml.safe_load(p.read_text(encoding="utf-8"))["study_id"] for p in paths]


#: the reader's screen (issue 29): the page must fit its width, the answer its first screen
SCREEN = {"width": 1280, "height": 900}
#: text cells of a table that wrap to 4 lines or more with under 12 characters a line: a
#: column a word wide, its row a tall blank band
NARROW_CELLS = """() => [...document.querySelectorAll('td')].flatMap(td => {
  const text = td.innerText.trim();
  const range = document.createRange();
  range.selectNodeContents(td);
  const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
  return lines >= 4 && text.length / lines < 12 ? [text.slice(0, 40)] : [];
})"""
#: the boxes of tables that scroll sideways inside the page (the header's first cell of each)
SCROLLED_TABLES = """() => [...document.querySelectorAll('.block')]
  .filter(b => b.scrollWidth > b.clientWidth + 1)
  .map(b => (b.querySelector('th') || b).innerText.slice(0, 40))"""
BROKEN_IMAGES = (
    "[...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt)"
)


def _check_screen(page: Any, shots: Path, name: str) -> None:
    """What a reader at 1280 px meets: no sideways scrolling of the page, the answer's heading
    and first lines on the first screen, every image loaded, no table column a word wide;
    screenshots of the first screen and the whole page."""
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"], name
    answer = page.locator("h2#answer").bounding_box()
    assert answer is not None and answer["y"] + 120 < SCREEN["height"], (name, answer)
    assert page.evaluate(BROKEN_IMAGES) == [], name
    assert page.evaluate(NARROW_CELLS) == [], name
    page.screenshot(path=str(shots / f"{name}-first-screen.png"))
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def _drawn_figures(folder: Path) -> list[str]:
    """The study figures with something to draw (a figure with nothing to draw carries a
    note and is named in a list, not shown as a card)."""
    from xenoflow import report
    from xenoflow import tables as registry
    from xenoflow.plots.notes import png_note

    pngs = {n: folder / f"{registry.output(n).path}.png" for n in report.STUDY_FIGURES}
    return [n for n, p in pngs.items() if p.is_file() and not png_note(p.read_bytes())]


def test_every_demo_report_renders_with_its_findings_figures_and_tables(demo_run):
    from playwright.sync_api import sync_playwright

    results = demo_run / "results"
    studies = _study_ids(demo_run)
    assert len(studies) == 8
    artefacts = ROOT / ".pytest_artifacts" / "demo"
    artefacts.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=SCREEN)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto((results / "index.html").as_uri())
        text = page.inner_text("body")
        assert "Findings across studies" in text and "Failed studies" not in text
        for study in studies:  # one link per study, and its treated arms in the findings
            assert page.get_by_role("link", name=study).count() >= 1, study
        # the forest plot and the waterfall of the treatments in several CrownBio studies
        widths = page.locator("figure img").evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
        assert len(widths) == 2 and min(widths) > 300, widths
        assert page.get_by_alt_text("Waterfall of best response per mouse across tumour models")
        assert page.evaluate(SCROLLED_TABLES) == []  # every index table reads in one pass
        _check_screen(page, artefacts, "index")
        for study in studies:
            page.goto((results / study / "report.html").as_uri())
            text = page.inner_text("body")
            assert text.upper().count("SYNTHETIC") <= 1, study  # said once, in the banner
            for heading in ("Findings", "Figures", "Key tables", "Methods", "Provenance"):
                assert heading in text, (study, heading)
            assert re.search(r"%T/C was [\d.]+%", text), study
            assert "Efficacy at the reference day" in text, study
            widths = page.locator("figure img").evaluate_all(
                "imgs => imgs.map(i => i.naturalWidth)"
            )
            assert len(widths) >= 5 and min(widths) > 300, (study, widths)
            # every figure with something to draw, and no placeholder card
            assert len(widths) == len(_drawn_figures(results / study)), study
            if "crownbio" in study:  # the combination studies show their synergy
                assert "Combination synergy" in text and "Bliss" in text, study
            _check_screen(page, artefacts, study)
            page.get_by_role("link", name="All studies").click()
            page.wait_for_load_state()
            assert page.url.endswith("results/index.html"), study
        browser.close()
    assert errors == []
    assert all(u.startswith(("file:", "data:")) for u in requests)  # self-contained


def test_no_page_of_the_default_run_shows_an_identifier(demo_run):
    """Issue 29 item 2 on every rendered page: outside Methods and Provenance, no code name
    (snake_case), R function (``pkg::fun``) or file name, in any study's report.html or the
    index; each study's own id is its name, not code."""
    from test_report_words import IDENTIFIER, Visible

    results = demo_run / "results"
    studies = _study_ids(demo_run)
    pages = {"index": results / "index.html"} | {s: results / s / "report.html" for s in studies}
    found = {}
    for name, path in pages.items():
        text = Visible(path.read_text(encoding="utf-8")).findings_text()
        for study in studies:
            text = text.replace(study, "")
        words = sorted({m.group(0) for m in IDENTIFIER.finditer(text)})
        if words:
            found[name] = words
    assert found == {}

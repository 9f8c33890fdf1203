"""The default run (`make run`'s demo studies), end to end through Snakemake in a temporary
copy, and every study's report.html and the index.html opened in headless Chromium as a
reader opens them (issue 18): findings, every figure drawn, key tables, the links between
the pages, nothing loaded from elsewhere. Screenshots go to .pytest_artifacts/demo/."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

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
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto((results / "index.html").as_uri())
        text = page.inner_text("body")
        assert "Findings across studies" in text and "Failed studies" not in text
        for study in studies:  # one link per study, and its treated arms in the findings
            assert page.get_by_role("link", name=study).count() >= 1, study
        assert page.locator("figure img").evaluate("i => i.naturalWidth") > 300  # forest
        page.screenshot(path=str(artefacts / "index.png"), full_page=True)
        for study in studies:
            page.goto((results / study / "report.html").as_uri())
            text = page.inner_text("body")
            for heading in ("Findings", "Figures", "Key tables", "Methods", "Provenance"):
                assert heading in text, (study, heading)
            assert re.search(r"%T/C was [\d.]+%", text), study
            assert "Efficacy at the reference day" in text, study
            widths = page.locator("figure img").evaluate_all(
                "imgs => imgs.map(i => i.naturalWidth)"
            )
            assert len(widths) >= 5 and min(widths) > 300, (study, widths)
            if "crownbio" in study:  # the combination studies show their synergy
                assert "Combination synergy" in text and "Bliss" in text, study
            page.screenshot(path=str(artefacts / f"{study}.png"), full_page=True)
            page.get_by_role("link", name="All studies").click()
            page.wait_for_load_state()
            assert page.url.endswith("results/index.html"), study
        browser.close()
    assert errors == []
    assert all(u.startswith(("file:", "data:")) for u in requests)  # self-contained

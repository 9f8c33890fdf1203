"""End to end: a tiny PDX panel (split_by) through Snakemake, and an incremental rerun."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_workflow import snakemake

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "panel"

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def panel_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("panel") / "work"
    shutil.copytree(FIXTURE, work)
    proc = snakemake(work)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return work


def _manifest(work: Path) -> dict[str, str]:
    paths = sorted((work / "results" / "PANEL" / "chunks").glob("*.manifest.tsv"))
    m = pd.concat([pd.read_csv(p, sep="\t", dtype=str) for p in paths])
    return dict(zip(m["model"], m["status"]))


def test_panel_outputs(panel_run):
    results = panel_run / "results"
    for unit in ("PANEL.M1", "PANEL.M2", "PANEL.M3_b", "PANEL.M4"):
        for name in (
            "tables/measurements.tsv",
            "tables/response.tsv",
            "summary.md",
            "study.xlsx",
            "figures/growth_curves.png",
            "figures/waterfall.svg",
        ):
            assert (results / unit / name).is_file(), (unit, name)
    for name in ("panel_curves", "mrecist_matrix", "response_rates", "time_to_double"):
        assert (results / "PANEL" / "tables" / f"{name}.tsv").is_file()
    assert (results / "PANEL" / "figures" / "mrecist_heatmap.svg").is_file()
    summary = pd.read_csv(results / "summary.tsv", sep="\t")
    assert sorted(set(summary["study_id"])) == ["PANEL.M1", "PANEL.M2", "PANEL.M3_b"]
    qc = pd.read_csv(results / "exclusions_summary.tsv", sep="\t")
    assert set(qc["study_id"]) == {"PANEL.M1", "PANEL.M2", "PANEL.M3_b", "PANEL.M4"}
    assert set(_manifest(panel_run).values()) == {"computed"}


def test_panel_rerun_after_editing_one_model(panel_run):
    assert "Nothing to be done" in snakemake(panel_run, "-n").stdout
    m2 = panel_run / "results" / "PANEL.M2" / "tables" / "growth_per_mouse.tsv"
    before = m2.read_bytes()
    data = panel_run / "data" / "panel.csv"
    data.write_text(data.read_text().replace("M1,untreated,1,0,161.0", "M1,untreated,1,0,171.0"))
    proc = snakemake(panel_run)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert _manifest(panel_run) == {
        "M1": "computed",
        "M2": "restored",
        "M3 b": "restored",
        "M4": "restored",
    }
    assert m2.read_bytes() == before
    assert "Nothing to be done" in snakemake(panel_run, "-n").stdout


def test_deleted_model_folder_is_rebuilt(panel_run):
    """A model's folder is one Snakemake output: deleting it reruns its chunk, which restores
    the model from the cache with the same bytes."""
    unit = panel_run / "results" / "PANEL.M4"
    before = (unit / "tables" / "response.tsv").read_bytes()
    shutil.rmtree(unit)
    proc = snakemake(panel_run)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert (unit / "tables" / "response.tsv").read_bytes() == before
    assert (unit / "study.xlsx").is_file()


def test_panel_lint_is_clean(panel_run):
    proc = snakemake(panel_run, "--lint")
    assert proc.returncode == 0, proc.stdout[-3000:]

"""End to end: the Snakemake workflow on the tiny fixture config in a temporary folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "tiny"

pytestmark = pytest.mark.workflow


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"),
           "--directory", str(workdir), "--cores", "2", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


def fresh_copy(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(FIXTURE, work)
    return work


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = fresh_copy(tmp_path_factory.mktemp("run"))
    proc = snakemake(work)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return work


def test_run_completes_and_is_up_to_date(finished_run):
    proc = snakemake(finished_run, "-n")
    assert proc.returncode == 0
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_ingest_outputs(finished_run):
    tables = finished_run / "results" / "tiny_long" / "tables"
    m = pd.read_csv(tables / "measurements.tsv", sep="\t", dtype={"mouse_id": str})
    assert list(m.columns) == ["arm", "mouse_id", "day", "volume_mm3"]
    assert m["arm"].unique().tolist() == ["Vehicle", "Drug"]
    assert m.groupby("arm")["mouse_id"].nunique().to_dict() == {"Drug": 5, "Vehicle": 5}
    raw = pd.read_csv(FIXTURE / "data" / "tiny_long.csv")
    assert len(m) == len(raw)
    excl = pd.read_csv(tables / "exclusions.tsv", sep="\t")
    assert list(excl.columns) == ["stage", "arm", "mouse_id", "day", "reason"] and excl.empty
    wide = pd.read_csv(finished_run / "results" / "tiny_wide" / "tables" / "measurements.tsv", sep="\t")
    assert wide["arm"].unique().tolist() == ["Control", "Low", "High"]


def test_bad_study_fails_alone_with_a_clear_message(tmp_path):
    work = fresh_copy(tmp_path)
    data = work / "data" / "tiny_long.csv"
    lines = data.read_text().splitlines()
    lines[5] = ",".join(lines[5].split(",")[:3] + ["n/a"])
    (work / "data" / "bad.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    study = (work / "config" / "studies" / "tiny_long.yaml").read_text()
    (work / "config" / "studies" / "bad.yaml").write_text(
        study.replace("study_id: tiny_long", "study_id: bad").replace("tiny_long.csv", "bad.csv"),
        encoding="utf-8")
    proc = snakemake(work)  # the default profile sets keep-going
    assert proc.returncode != 0
    assert "bad.csv: row 6, column 'Volume': 'n/a' is not a number" in proc.stdout + proc.stderr
    assert not (work / "results" / "bad").exists()
    assert (work / "results" / "tiny_long" / "tables" / "measurements.tsv").is_file()


def test_failed_rerun_leaves_no_stale_outputs(finished_run, tmp_path):
    work = tmp_path / "copy"
    shutil.copytree(finished_run, work)
    data = work / "data" / "tiny_wide.csv"
    data.write_text(data.read_text().replace("101.9", "-101.9"), encoding="utf-8")
    proc = snakemake(work)
    assert proc.returncode != 0
    assert "-101.9 is negative" in proc.stdout + proc.stderr
    assert not (work / "results" / "tiny_wide").exists()


def test_config_error_stops_before_any_job(tmp_path):
    work = fresh_copy(tmp_path)
    path = work / "config" / "studies" / "tiny_wide.yaml"
    path.write_text(path.read_text() + "colour: red\n", encoding="utf-8")
    proc = snakemake(work)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "tiny_wide.yaml: key '(top level)'" in out and "'colour' was unexpected" in out
    assert not (work / "results").exists()


def test_lint_is_clean():
    proc = snakemake(FIXTURE, "--lint")
    assert proc.returncode == 0, proc.stdout[-3000:]

"""A study's jobs as Snakemake runs them (xenoflow.workflow.run_job): a study job draws its
figures in a second process beside the analysis when it has two threads
(xenoflow.workflow.FigureWorkers), the same files as drawn in one process, and a failure there
fails the job against the stage whose figures failed; a study without synergy or power is one
job (xenoflow.pipeline.ONE_JOB) that writes the same files as its two jobs."""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from xenoflow import figures, pipeline, workflow
from xenoflow import tables as registry
from xenoflow.config import load_study

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny" / "config" / "studies" / "tiny_long.yaml"


class JobInputs(dict[str, Any]):
    """snakemake.input of a job with no table inputs (the `study` job reads the source)."""


def job_files(out_dir: Path, job: str) -> dict[str, str]:
    """The declared outputs of ``job`` under ``out_dir``: name -> path."""
    return {
        name: str(out_dir / path)
        for stage in pipeline.job_stages(job)
        for spec in registry.of_stage(stage)
        for name, path in registry.files(spec).items()
    }


def study_job(out_dir: Path, threads: int, rule: str = "study") -> SimpleNamespace:
    """The `snakemake` object of a study's first job writing into ``out_dir``."""
    outputs = {k: v for job in pipeline.rule_jobs(rule) for k, v in job_files(out_dir, job).items()}
    return SimpleNamespace(
        rule=rule, input=JobInputs(), output=SimpleNamespace(**outputs), threads=threads
    )


def files_of(folder: Path) -> dict[Path, bytes]:
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_figures_drawn_beside_the_analysis_are_the_files_drawn_in_one_process(
    tmp_path, monkeypatch
):
    study = load_study(TINY, {"bootstrap_resamples": 200})
    drawn_by = tmp_path / "drawn_by.txt"
    draw = figures.draw

    def recorded(study_: Any, stage: str, out: Any) -> Any:
        with drawn_by.open("a") as f:
            f.write(f"{threads} {stage} {os.getpid()}\n")
        return draw(study_, stage, out)

    monkeypatch.setattr(figures, "draw", recorded)
    for threads in (1, 2):
        workflow.run_job(study_job(tmp_path / str(threads), threads), study)
    lines = [line.split() for line in drawn_by.read_text().splitlines()]
    processes = {t: {pid for t_, _, pid in lines if t_ == t} for t in ("1", "2")}
    # the check below compares a run that drew in two processes with one that did not
    assert len(processes["1"]) == 1 and len(processes["2"]) >= 2
    assert [s for t, s, _ in lines if t == "1"] == [
        "growth",
        "survival",
        "efficacy",
        "tolerability",
    ]
    files = sorted(
        p.relative_to(tmp_path / "1") for p in (tmp_path / "1").rglob("*") if p.is_file()
    )
    assert len([f for f in files if f.suffix == ".svg"]) >= 8
    assert files == sorted(
        p.relative_to(tmp_path / "2") for p in (tmp_path / "2").rglob("*") if p.is_file()
    )
    for f in files:
        assert (tmp_path / "1" / f).read_bytes() == (tmp_path / "2" / f).read_bytes(), f


def test_a_worker_that_fails_fails_the_job_naming_the_stage(tmp_path):
    def broken() -> None:
        raise ValueError("no axis")

    with pytest.raises(RuntimeError, match="figures of growth failed in a worker process"):
        with workflow.FigureWorkers(1) as workers:
            workers.submit("growth", broken)
            workers.submit("efficacy", lambda: (tmp_path / "efficacy").touch(), last=True)
    assert (tmp_path / "efficacy").exists()  # drawn here, beside the worker


def test_an_error_in_the_analysis_stops_the_workers(tmp_path):
    """No figure is written after a failed job's outputs are removed."""
    late = tmp_path / "late.png"

    def slow() -> None:
        time.sleep(1.0)
        late.touch()

    with pytest.raises(KeyError):
        with workflow.FigureWorkers(1) as workers:
            workers.submit("growth", slow)
            raise KeyError("a stage failed")
    time.sleep(1.5)
    assert not late.exists()


def test_without_a_worker_each_stage_is_drawn_when_submitted():
    order: list[str] = []
    with workflow.FigureWorkers(0) as workers:
        workers.submit("growth", lambda: order.append("growth"))
        order.append("efficacy computed")
        workers.submit("efficacy", lambda: order.append("efficacy"), last=True)
    assert order == ["growth", "efficacy computed", "efficacy"]


def test_a_study_in_one_job_writes_what_its_two_jobs_write(tmp_path, monkeypatch):
    """rule study_with_report (tables, figures and documents in one process, the documents
    from the tables in memory) against rules study + study_report (the documents from the
    tables and figures read back from disk): the same bytes, report.html included."""
    study = load_study(TINY, {"bootstrap_resamples": 200})
    assert pipeline.is_one_job(study)
    assert pipeline.rule_jobs(pipeline.ONE_JOB) == ("study", "study_report")
    monkeypatch.chdir(ROOT / "tests" / "fixtures" / "tiny")  # the input checksums' paths
    workflow.run_job(study_job(tmp_path / "one", 1, pipeline.ONE_JOB), study)
    workflow.run_job(study_job(tmp_path / "two", 1), study)
    made = job_files(tmp_path / "two", "study")
    tables = {t.name for t in registry.TABLES}
    figures_ = {f.name: made[f"{f.name}_png"] for f in registry.FIGURES if f"{f.name}_png" in made}
    inputs = JobInputs({**{n: p for n, p in made.items() if n in tables}, **figures_})
    outputs = SimpleNamespace(**job_files(tmp_path / "two", "study_report"))
    workflow.run_documents_job(SimpleNamespace(input=inputs, output=outputs), study)
    one, two = files_of(tmp_path / "one"), files_of(tmp_path / "two")
    assert Path("report.html") in one and Path("study.xlsx") in one
    assert sorted(one) == sorted(two)
    for path, content in one.items():
        assert content == two[path], path


def test_which_studies_run_as_one_job():
    every_stage = load_study(ROOT / "config" / "studies" / "crownbio_SW837.yaml", {})
    assert not pipeline.is_one_job(every_stage)
    assert pipeline.rule_jobs("study") == ("study",)

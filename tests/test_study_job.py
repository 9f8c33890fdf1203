"""A study's jobs as Snakemake runs them (xenoflow.workflow.run_job): a study job draws its
figures in a second process beside the analysis when it has two threads
(xenoflow.workflow.FigureWorkers), the same files as drawn in one process, and a failure there
fails the job against the stage whose figures failed; its documents, made from the tables in
memory, are the bytes made from the tables and figures read back from disk."""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from xenoflow import figures, io, pipeline, workflow
from xenoflow import tables as registry
from xenoflow.config import load_study

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny" / "config" / "studies" / "tiny_long.yaml"


class JobInputs(dict[str, Any]):
    """snakemake.input of a study's job: its files, no tables (it reads the source)."""


def part_files(out_dir: Path, part: str) -> dict[str, str]:
    """The declared outputs of the stages of ``part`` under ``out_dir``: name -> path."""
    return {
        name: str(out_dir / path)
        for stage in pipeline.part_stages(part)
        for spec in registry.of_stage(stage)
        for name, path in registry.files(spec).items()
    }


class Named(list[str]):
    """snakemake.output: the paths in order, each also by its name (a Snakemake Namedlist)."""

    def __init__(self, named: dict[str, str]) -> None:
        super().__init__(named.values())
        self.__dict__.update(named)


def study_job(out_dir: Path, threads: int, rule: str = "study") -> SimpleNamespace:
    """The `snakemake` object of a study's job writing into ``out_dir``."""
    outputs = {k: v for p in pipeline.rule_parts(rule) for k, v in part_files(out_dir, p).items()}
    return SimpleNamespace(
        rule=rule,
        input=JobInputs(),
        output=Named(outputs),
        params=SimpleNamespace(study_dir=str(out_dir)),
        threads=threads,
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
    # in one process, each stage's figures as the stage ends
    assert [s for t, s, _ in lines if t == "1"] == [
        s.name for s in pipeline.run_order(pipeline.study_stages(study)) if s.figures
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


def test_documents_from_the_tables_in_memory_are_those_from_the_files_read_back(
    tmp_path, monkeypatch
):
    """A study's job makes its summary, workbook, Prism file and report.html from the tables
    in memory (xenoflow.io.Decoded); made from the tables and figures as written and read back
    from disk, they are the same bytes, report.html included."""
    study = load_study(TINY, {"bootstrap_resamples": 200})
    monkeypatch.chdir(ROOT / "tests" / "fixtures" / "tiny")  # the input checksums' paths
    workflow.run_job(study_job(tmp_path / "job", 1), study)
    made = part_files(tmp_path / "job", "study")
    tables = {
        t.name: io.read_table(made[t.name], t.name) for t in registry.TABLES if t.name in made
    }
    drawn = {
        f.name: Path(made[f"{f.name}_png"]).read_bytes()
        for f in registry.FIGURES
        if f"{f.name}_png" in made
    }
    documents = part_files(tmp_path / "read_back", "study_report")
    workflow.write_documents(
        SimpleNamespace(output=SimpleNamespace(**documents)), study, tables, drawn
    )
    in_memory = part_files(tmp_path / "job", "study_report")
    assert {Path(p).name for p in in_memory.values()} >= {"report.html", "study.xlsx"}
    for name, path in in_memory.items():
        assert Path(path).read_bytes() == Path(documents[name]).read_bytes(), name


def test_a_study_job_runs_the_rule_of_its_kind(tmp_path):
    every_stage = load_study(ROOT / "config" / "studies" / "crownbio_SW837.yaml", {})
    assert pipeline.study_rule(every_stage) == "study_synergy_power"
    with pytest.raises(ValueError, match="is run by rule study_synergy_power, not study"):
        workflow.run_job(study_job(tmp_path, 1), every_stage)


def test_a_study_job_removes_what_an_earlier_kind_of_the_study_left(tmp_path):
    """The study had a `design:` (its power tables) and a PDF of its figures; its job now
    writes its declared outputs, and nothing else is left in its folder."""
    study = load_study(TINY, {"bootstrap_resamples": 200})
    out = tmp_path / "tiny_long"
    left = [out / "tables" / "power.tsv", out / "figures" / "km.pdf"]
    for path in left:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("from an earlier run", encoding="utf-8")
    job = study_job(out, 1)
    workflow.run_job(job, study)
    assert not any(path.exists() for path in left)
    written = sorted(p for p in out.rglob("*") if p.is_file())
    assert written == sorted(Path(p) for p in job.output)

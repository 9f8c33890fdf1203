"""Failure records and the run outputs of a batch with failed studies (issue 19 item 3); the
end-to-end runs are in test_workflow.py."""

from __future__ import annotations

from pathlib import Path

from xenoflow import batch


def test_failures_are_recorded_per_step_and_forgotten(tmp_path: Path):
    batch.record_failure(tmp_path, "A", "ingest", "a.csv: row 3, column 'Day': 'x' is not a number")
    batch.record_failure(tmp_path, "B", "growth", "first")
    batch.record_failure(tmp_path, "B", "survival", "second, with\ta tab")
    failed = batch.failed_studies(tmp_path, ["B", "A", "C"])
    assert failed.values.tolist() == [
        ["B", "growth", "first"],
        ["B", "survival", "second, with\ta tab"],
        ["A", "ingest", "a.csv: row 3, column 'Day': 'x' is not a number"],
    ]
    # a study not in this run is not listed
    assert batch.failed_studies(tmp_path, ["C"]).empty
    batch.clear_failures(tmp_path, "B", "growth")
    assert batch.failed_studies(tmp_path, ["B"])["stage"].tolist() == ["survival"]
    batch.clear_failures(tmp_path, "B")
    assert batch.failed_studies(tmp_path, ["A", "B"])["study_id"].tolist() == ["A"]


def test_partial_run_mark_is_an_input_once_left(tmp_path: Path):
    assert batch.partial_run_mark(tmp_path) == []
    batch._mark_partial_run(tmp_path)
    assert batch.partial_run_mark(tmp_path) == [str(tmp_path / batch.PARTIAL_RUN_MARK)]


def test_run_output_paths_are_the_registry_s():
    paths = batch.run_output_paths("res")
    assert paths["failed_studies"] == "res/failed_studies.tsv"
    assert paths["summary"] == "res/summary.tsv" and paths["forest_png"] == "res/figures/forest.png"

"""The outcome of a batch run: which studies failed, and the run's outputs from the others.

With ``keep-going`` (the default profile) Snakemake runs every study it can after one fails,
but the cross-study rule needs every study's tables, so it never runs in a batch with a
failure. So:

- a study job that fails records why (:func:`record_failure`, called by
  :func:`xenoflow.workflow.logged`) in ``{results}/.xenoflow/failed/<study_id>/<rule>.tsv``;
  the study's first job clears its records (:func:`clear_failures`) when it runs again;
- when a run ends with a failure, the workflow's ``onerror`` handler calls
  :func:`finish_failed_run`: the failed studies' folders are removed, so no table of a failed
  study outlives the failure, and the run outputs (``summary.tsv``, the forest plot, the
  waterfall across models, ``exclusions_summary.tsv``, ``provenance.json``, ``failed_studies.tsv``) are written from the
  studies that completed, by the same function the cross-study rule calls
  (:func:`write_run_outputs`). Snakemake still exits non-zero.

Outputs written outside a job have no Snakemake record of being stale, so the handler then
touches ``{results}/.xenoflow/partial_run``, an input of the cross-study rule once it exists:
the next run redoes the run outputs even if its studies are those of an earlier successful run.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from . import io, pipeline
from . import tables as registry
from .config import Study
from .errors import XenoflowError

FAILED_DIR = ".xenoflow/failed"
PARTIAL_RUN_MARK = ".xenoflow/partial_run"


def failure_dir(results: str | Path, study_id: str) -> Path:
    return Path(results) / FAILED_DIR / study_id


def record_failure(results: str | Path, study_id: str, rule: str, message: str) -> None:
    """Record that ``rule`` failed for ``study_id`` (a study or a panel) with ``message``."""
    row = pd.DataFrame({"study_id": [study_id], "stage": [rule], "message": [message]})
    io.write_table("failed_studies", row, failure_dir(results, study_id) / f"{rule}.tsv")


def clear_failures(results: str | Path, study_id: str, rule: str | None = None) -> None:
    """Forget the recorded failures of a study (of one ``rule`` only, if given)."""
    folder = failure_dir(results, study_id)
    if rule is None:
        shutil.rmtree(folder, ignore_errors=True)
    else:
        (folder / f"{rule}.tsv").unlink(missing_ok=True)


def failed_studies(results: str | Path, study_ids: Iterable[str]) -> pd.DataFrame:
    """The ``failed_studies`` table: recorded failures of these studies, in their order."""
    rows = [
        io.read_table(path, "failed_studies")
        for sid in study_ids
        for path in sorted(failure_dir(results, sid).glob("*.tsv"))
    ]
    return pd.concat(rows, ignore_index=True) if rows else io.empty_table("failed_studies")


def study_table_paths(results: str | Path, study: Study) -> dict[str, Path]:
    """Every table the stages of a (non-panel) study write: registry name -> path."""
    return {
        t.name: Path(results) / study.study_id / t.path
        for stage in pipeline.study_stages(study)
        for t in registry.of_stage(stage.name, "table")
    }


def panel_table_path(results: str | Path, panel_id: str, name: str) -> Path:
    return Path(results) / panel_id / registry.output(name).path


def run_output_paths(results: str | Path) -> dict[str, str]:
    """The run outputs (stage ``cross_study_summary``): output name -> path."""
    return {
        name: str(Path(results) / path)
        for name, path in registry.stage_files("cross_study_summary").items()
    }


def _complete(results: str | Path, study: Study) -> bool:
    if study.split_by:
        paths = [
            panel_table_path(results, study.study_id, n) for n in ("panel_summary", "panel_qc")
        ]
    else:
        paths = list(study_table_paths(results, study).values())
    return all(p.is_file() for p in paths)


def write_run_outputs(
    config: Mapping[str, Any],
    studies: Mapping[str, Study],
    failed: pd.DataFrame,
    outputs: Any,
    base: Path,
) -> None:
    """Summary table, QC counts, forest plot, waterfall across models (of the treatments given
    in several studies), provenance and failed-study list of a run.

    ``studies``: the studies and panels whose outputs are complete (by study id, in config
    order); ``failed``: the ``failed_studies`` table; ``outputs``: output name -> path (the
    rule's ``snakemake.output`` or :func:`run_output_paths`). The index links the report.html
    of every study that has one on disk (a study's job makes its tables and its report).
    """
    # the summary, the report (Jinja2) and matplotlib only for this step: the Snakefile and
    # every job import this module
    from . import provenance, report, summary
    from .crossmodel import shared_responses
    from .plots.efficacy import cross_model_waterfall
    from .plots.style import save_figure
    from .plots.summary import forest_plot

    results = config["results"]
    plain = {sid: s for sid, s in studies.items() if not s.split_by}
    panels = {sid: s for sid, s in studies.items() if s.split_by}
    tables = summary.tables_by_study(
        p for s in plain.values() for p in study_table_paths(results, s).values()
    )
    panel_rows = [
        io.read_table(panel_table_path(results, p, "panel_summary"), "panel_summary")
        for p in panels
    ]
    table = summary.cross_study_table(plain, tables, panel_rows)
    io.write_table("summary", table, _out(outputs, "summary"))
    panel_qc = [io.read_table(panel_table_path(results, p, "panel_qc"), "panel_qc") for p in panels]
    io.write_table(
        "exclusions_summary",
        summary.qc_table(tables, panel_qc),
        _out(outputs, "exclusions_summary"),
    )
    io.write_table("failed_studies", failed, _out(outputs, "failed_studies"))
    # panel models (one mouse per arm) have no CIs to draw: the forest shows the studies
    forest_plot(
        table[table["study_id"].isin(plain)],
        _out(outputs, "forest_png")[: -len(".png")],
        ("png", "svg"),
    )
    waterfall = _out(outputs, "shared_waterfall_png")
    save_figure(
        cross_model_waterfall(shared_responses(plain, tables)),
        waterfall[: -len(".png")],
        ("png", "svg"),
    )
    record = provenance.provenance(config, studies, base)
    provenance.write_provenance(record, _out(outputs, "provenance"))
    forest = Path(_out(outputs, "forest_png")).read_bytes()
    shared = Path(waterfall).read_bytes()
    linked = [sid for sid in plain if (Path(results) / sid / "report.html").is_file()]
    page = report.index_page(studies, table, failed, forest, linked, tables, shared)
    io.write_text(page, _out(outputs, "index"))


def _out(outputs: Any, name: str) -> str:
    return str(outputs[name] if isinstance(outputs, Mapping) else getattr(outputs, name))


def finish_failed_run(
    config: Mapping[str, Any], studies: Mapping[str, Study], base: Path
) -> pd.DataFrame:
    """What the ``onerror`` handler does (module docstring); returns the failed studies.

    A study with no recorded failure whose outputs are incomplete (a job that never ran, a
    run given other targets) is listed too, as not run.
    """
    results = config["results"]
    failed = failed_studies(results, studies)
    for sid in dict.fromkeys(failed["study_id"]):
        _remove_outputs(results, studies[sid])
    done = {
        sid: s
        for sid, s in studies.items()
        if sid not in set(failed["study_id"]) and _complete(results, s)
    }
    not_run = [sid for sid in studies if sid not in done and sid not in set(failed["study_id"])]
    if not_run:
        extra = pd.DataFrame(
            {
                "study_id": not_run,
                "stage": "",
                "message": "not run to the end in this run (a job it needs failed or was not run)",
            }
        )
        failed = pd.concat([failed, extra], ignore_index=True)
    outputs = run_output_paths(results)
    write_run_outputs(config, done, failed, outputs, base)
    _mark_partial_run(results)
    return failed


def _remove_outputs(results: str | Path, study: Study) -> None:
    """A failed study's folder; for a panel, its models' folders too (a model's tables are
    kept in the panel cache, so a later run restores the unchanged ones)."""
    from .panel import panel_units  # reads the panel's data file

    folders = [study.study_id]
    if study.split_by:
        try:
            folders += list(panel_units(study))
        except XenoflowError:  # the panel file itself is unreadable: no model folder exists
            pass
    for folder in folders:
        shutil.rmtree(Path(results) / folder, ignore_errors=True)


def _mark_partial_run(results: str | Path) -> None:
    """Touch the mark after the run outputs are written: it is newer than all of them."""
    mark = Path(results) / PARTIAL_RUN_MARK
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.touch()


def partial_run_mark(results: str | Path) -> list[str]:
    """The cross-study rule's extra input: the mark of a failed run, once one has left it."""
    mark = Path(results) / PARTIAL_RUN_MARK
    return [str(mark)] if mark.exists() else []

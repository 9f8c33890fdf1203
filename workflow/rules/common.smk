# Configuration, study registry, declared outputs and input functions. No analysis here.
import os
import re

from snakemake.exceptions import WorkflowError

# Parsing reads YAML only: these modules import no SciPy, statsmodels, matplotlib or Jinja2
# (tests/test_layers.py), and a panel's models come from a small manifest (xenoflow.panelplan).
from xenoflow import batch, pipeline
from xenoflow import tables as registry
from xenoflow.config import load_studies, resolve_config
from xenoflow.errors import XenoflowError
from xenoflow.io import write_captions
from xenoflow.panelplan import CHUNK_TABLES, DEFAULT_CHUNKS, chunks, code_hash, unit_ids
from xenoflow.workflow import (
    claim_workdir,
    clear_stale_temporaries,
    release_scheduler_timers,
)

try:
    XF_CONFIG = resolve_config(config, source="config")
    _ALL = load_studies(XF_CONFIG)
    # Panels (split_by) are analysed in chunks of models (workflow/rules/panel.smk).
    PANELS = {sid: s for sid, s in _ALL.items() if s.split_by}
    STUDIES = {sid: s for sid, s in _ALL.items() if not s.split_by}
    PANEL_UNITS = unit_ids(PANELS.values())
except XenoflowError as exc:
    raise WorkflowError(str(exc)) from None
PANEL_CHUNKS = {
    sid: chunks(units, XF_CONFIG.get("panel_chunks", DEFAULT_CHUNKS))
    for sid, units in PANEL_UNITS.items()
}

RESULTS = XF_CONFIG["results"]
# A run killed by SIGKILL or a power cut leaves Snakemake's locks behind; the next run clears
# them when no other run is alive (xenoflow.workflow.claim_workdir): here, because Snakemake
# takes its lock before `onstart`; the half-written files under results are cleared in
# `onstart` (on_start). Jobs that parse the Snakefile again (cluster executors) leave this to
# the main process.
if workflow.is_main_process:
    claim_workdir()
# The fits are many small matrix problems: multithreaded BLAS makes them 2-5x slower when
# jobs already run in parallel. Jobs inherit this environment.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
ANALYSIS = XF_CONFIG["analysis"]
# A parameter of every study job, so that a change to the package's code reruns them
# (Snakemake tracks the scripts, not the package they call).
CODE_VERSION = code_hash()
# Report captions are generated from the output registry (xenoflow.tables), once per version
# of its captions (io.write_captions keeps a digest): a parse writes nothing while they hold.
CAPTIONS = write_captions(
    ".snakemake/xenoflow/captions", write=workflow.is_main_process
)
SCOPE_DIRS = {
    "study": f"{RESULTS}/{{study}}",
    "panel": f"{RESULTS}/{{panel}}",
    "run": RESULTS,
}
REPORT_CATEGORIES = {"study": "{study}", "panel": "{panel}", "run": "Across studies"}


def pattern(ids):
    """A wildcard pattern matching exactly these ids (nothing when there are none)."""
    return "|".join(re.escape(i) for i in sorted(ids)) or "(?!)"


def rule_studies(rule):
    """The studies a study rule runs (xenoflow.pipeline.study_rule), as a wildcard pattern."""
    return pattern(s for s, st in STUDIES.items() if pipeline.study_rule(st) == rule)


wildcard_constraints:
    study=pattern(STUDIES),
    panel=pattern(PANELS),


def study_threads():
    """Threads of a study's job: two while the run has fewer studies than cores (its
    figures are drawn in a second process beside the analysis, xenoflow.workflow.FigureWorkers),
    else one: the other studies' jobs already fill the cores."""
    try:
        cores = workflow.cores
    except WorkflowError:  # no --cores (a dry run): Snakemake constrains threads anyway
        cores = 2
    return 2 if len(STUDIES) < cores else 1


def stage_outputs(stage):
    """The declared outputs of a stage (xenoflow.tables), report captions included."""
    out = {}
    for spec in registry.of_stage(stage):
        for name, path in registry.files(spec).items():
            target = f"{SCOPE_DIRS[spec.scope]}/{path}"
            if spec.caption and not name.endswith("_svg"):
                target = report(
                    target,
                    caption=CAPTIONS[spec.name],
                    category=REPORT_CATEGORIES[spec.scope],
                    subcategory=spec.section or None,
                )
            out[name] = target
    return out


def study_dir(study):
    return f"{RESULTS}/{study}"


def local(path):
    """An input file as a path relative to the working directory when it lies inside it:
    Snakemake records each job's input paths, so absolute ones would rerun every job of a
    project folder that was moved or copied."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def study_file(wildcards):
    return local(STUDIES[wildcards.study].path)


def study_data(wildcards):
    return local(STUDIES[wildcards.study].data)


def survival_inputs(wildcards):
    """The recorded survival table, when the study has one (else nothing)."""
    path = STUDIES[wildcards.study].survival_data
    return [local(path)] if path else []


def body_weight_inputs(wildcards):
    """The wide body-weight table of a wide-format study (`body_weight_data`), else nothing."""
    path = STUDIES[wildcards.study].body_weight_data
    return [local(path)] if path else []


def rule_outputs(rule):
    """The declared outputs of a study rule: those of the stages of its parts."""
    out = {}
    for part in pipeline.rule_parts(rule):
        for stage in pipeline.part_stages(part):
            out.update(stage_outputs(stage))
    return out


def study_files(study, figures=True):
    """Every output of a study, relative to its folder."""
    return [
        path
        for stage in pipeline.study_stages(STUDIES[study])
        for path in registry.stage_files(stage.name, figures=figures).values()
    ]


def study_table_paths(study):
    """Every table a study's stages write: registry name -> path."""
    return {
        name: str(p)
        for name, p in batch.study_table_paths(RESULTS, STUDIES[study]).items()
    }


def all_targets():
    per_study = [f"{study_dir(s)}/{t}" for s in STUDIES for t in study_files(s)]
    per_panel = [
        f"{RESULTS}/{p}/{path}"
        for p in PANELS
        for stage in ("panel_summary", "panel_figures")
        for path in registry.stage_files(stage).values()
    ]
    # every model's folder too, so that a deleted one is rebuilt (restored from the cache)
    models = [f"{RESULTS}/{u}" for p in PANELS for u in PANEL_UNITS[p]]
    run = [
        f"{RESULTS}/{p}" for p in registry.stage_files("cross_study_summary").values()
    ]
    return per_study + per_panel + models + run


def on_start():
    """Before the first job of a real run (not a dry run or --lint): remove the half-written
    files a killed run left under the results folder."""
    clear_stale_temporaries(RESULTS)


def finish_failed_run():
    """After a failed run: the run outputs from the studies that completed, the failed ones
    listed in failed_studies.tsv and their folders removed (xenoflow.batch)."""
    from pathlib import Path

    try:
        failed = batch.finish_failed_run(XF_CONFIG, _ALL, Path.cwd())
    except Exception as exc:  # the run has failed already; say why this step did too
        print(f"xenoflow: the run outputs could not be written: {exc!r}")
        return
    print(
        f"xenoflow: {failed['study_id'].nunique()} of {len(_ALL)} studies failed (listed in "
        f"{RESULTS}/failed_studies.tsv); the run outputs were written from the others."
    )
    for row in failed.itertuples():
        print(f"  {row.study_id} [{row.stage or 'not run'}]: {row.message}")


def print_qc_summary():
    """Counts of exclusions and notes per study, printed at the end of a successful run."""
    from pathlib import Path

    from xenoflow.io import read_table
    from xenoflow.summary import qc_report

    path = Path(RESULTS) / registry.output("exclusions_summary").path
    if path.is_file():
        print(qc_report(read_table(path)))


# Panels (workflow/rules/panel.smk): per-chunk tables and the outputs of a chunk's models.
def panel_figures(panel):
    return bool(PANELS[panel].settings.get("panel_figures", True))


def chunk_table(panel, i, name):
    return f"{RESULTS}/{panel}/chunks/chunk_{i}.{name}.tsv"


def unit_targets(panel, units):
    # One directory per model, not its ~30 files: Snakemake compiles a regex per declared
    # output, and 277 models x 30 files cost ~2 s of DAG building on every run. A model's
    # folder is complete or absent (xenoflow.panel.analyse_chunk); to redo one model, delete
    # its folder.
    return [directory(f"{RESULTS}/{u}") for u in units]


def panel_chunk_tables(wildcards):
    n = len(PANEL_CHUNKS[wildcards.panel])
    return [chunk_table(wildcards.panel, i, t) for i in range(n) for t in CHUNK_TABLES]


def panel_chunk_curves(wildcards):
    n = len(PANEL_CHUNKS[wildcards.panel])
    return [chunk_table(wildcards.panel, i, "curves") for i in range(n)]

"""Snakemake adapter: the run outputs (cross-study summary, forest plot, provenance, failed
studies) from every study of the run."""

from pathlib import Path

from xenoflow import batch
from xenoflow.config import load_study
from xenoflow.workflow import logged

with logged(snakemake):
    config = snakemake.params.config
    paths = [*snakemake.input.studies, *snakemake.input.panels]
    studies = {s.study_id: s for s in (load_study(p, config["analysis"]) for p in paths)}
    failed = batch.failed_studies(config["results"], studies)
    batch.write_run_outputs(config, studies, failed, snakemake.output, Path.cwd())

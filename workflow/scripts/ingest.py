"""Snakemake adapter: read and validate one study's measurements."""

from xenoflow import stages
from xenoflow.workflow import script_context

with script_context(snakemake, clean_study_dir_on_error=True) as study:  # noqa: F821
    stages.ingest_stage(study, snakemake.output)  # noqa: F821

"""Snakemake adapter: a study's one job (rules study, study_synergy, study_power,
study_synergy_power): its stages in memory, their tables and figures, then its documents
(xenoflow.workflow.run_job). A failure removes the study's whole results folder."""

from xenoflow.workflow import run_job, script_context

with script_context(snakemake, clean_study_dir_on_error=True) as study:
    run_job(snakemake, study)

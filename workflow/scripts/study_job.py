"""Snakemake adapter: a study's table job (rules study, synergy, power): its stages in memory,
their tables and figures (xenoflow.workflow.run_job)."""

from xenoflow.workflow import run_job, script_context

with script_context(snakemake, clean_study_dir_on_error=snakemake.rule == "study") as study:
    run_job(snakemake, study)

"""Snakemake adapter: a study's table job (rules study, synergy, power) or, for a study with
neither synergy nor power, its one job (rule study_with_report): its stages in memory, their
tables and figures (and documents) (xenoflow.workflow.run_job). A failure of a study's
first job removes its whole results folder."""

from xenoflow.pipeline import JOBS, rule_jobs
from xenoflow.workflow import run_job, script_context

first = rule_jobs(snakemake.rule)[0] == JOBS[0]
with script_context(snakemake, clean_study_dir_on_error=first) as study:
    run_job(snakemake, study)

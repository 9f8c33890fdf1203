"""Snakemake adapter: a study's summary, workbook, Prism file and self-contained report.html."""

from xenoflow.workflow import run_documents_job, script_context

with script_context(snakemake) as study:
    run_documents_job(snakemake, study)

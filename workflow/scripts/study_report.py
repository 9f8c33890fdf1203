"""Snakemake adapter: the study's self-contained report.html."""

from pathlib import Path

from xenoflow import io, provenance, stages
from xenoflow.workflow import read_figures, read_inputs, script_context

with script_context(snakemake) as study:
    record = {
        "versions": provenance.versions(),
        "inputs": provenance.study_inputs(study, Path.cwd()),
    }
    documents = stages.run_report(
        study, read_inputs(snakemake.input), read_figures(snakemake.input), record
    )
    io.write_documents(documents, snakemake.output)

"""Snakemake adapter: read and validate one study's measurements."""

from xenoflow import ingest, stages
from xenoflow.workflow import script_context, write_outputs

with script_context(snakemake, clean_study_dir_on_error=True) as study:
    write_outputs(stages.run_ingest(study, ingest.read_source(study)), snakemake.output)

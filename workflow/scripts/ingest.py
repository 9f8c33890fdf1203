"""Snakemake adapter: read and validate one study's measurements."""

from xenoflow import io
from xenoflow.ingest import ingest
from xenoflow.workflow import script_context

with script_context(snakemake, clean_study_dir_on_error=True) as study:  # noqa: F821
    result = ingest(study)
    io.write_tsv(result.measurements, snakemake.output.measurements)  # noqa: F821
    io.write_tsv(result.exclusions, snakemake.output.exclusions)  # noqa: F821
    io.write_tsv(result.warnings, snakemake.output.warnings)  # noqa: F821

"""Snakemake adapter: cross-model tables of a panel (issue 7)."""

from xenoflow import io
from xenoflow.panel import combine_chunks, read_chunk_tables
from xenoflow.workflow import script_context

with script_context(snakemake) as study:  # noqa: F821
    out = snakemake.output  # noqa: F821
    tables = combine_chunks(study, read_chunk_tables(snakemake.input.chunks))  # noqa: F821
    for name in ("curves", "summary", "qc", "mrecist_matrix", "response_rates", "time_to_double"):
        io.write_tsv(tables[name], getattr(out, name))

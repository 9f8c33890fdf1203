"""Snakemake adapter: cross-model tables of a panel."""

from xenoflow import io
from xenoflow.panel import combine_chunks, read_chunk_tables
from xenoflow.workflow import script_context

with script_context(snakemake) as study:
    tables = combine_chunks(study, read_chunk_tables(snakemake.input.chunks))
    io.write_tables({name: tables[name] for name in snakemake.output.keys()}, snakemake.output)

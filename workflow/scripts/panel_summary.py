"""Snakemake adapter: cross-model tables of a panel (issue 7)."""

from pathlib import Path

from xenoflow import io
from xenoflow.panel import combine_chunks
from xenoflow.workflow import script_context

with script_context(snakemake) as study:  # noqa: F821
    out = snakemake.output  # noqa: F821
    parts = {}
    for path in snakemake.input.chunks:  # noqa: F821
        name = Path(path).name.split(".")[-2]  # chunk_<i>.<name>.tsv
        parts.setdefault(name, []).append(io.read_tsv(path))
    tables = combine_chunks(study, parts)
    for name in ("curves", "summary", "qc", "mrecist_matrix", "response_rates", "time_to_double"):
        io.write_tsv(tables[name], getattr(out, name))

"""Snakemake adapter: every stage of a chunk of a panel's models, in one process (issue 7)."""

from pathlib import Path

from xenoflow import io
from xenoflow.panel import analyse_chunk
from xenoflow.workflow import batch_gc, log, script_context

with script_context(snakemake) as study, batch_gc():  # noqa: F821
    params = snakemake.params  # noqa: F821
    # {results}/<panel>/chunks/chunk_<i>.manifest.tsv -> {results}
    results = Path(snakemake.output.manifest).parents[2]  # noqa: F821
    tables = analyse_chunk(study, list(params.units), results, params.figures)
    for name, df in tables.items():
        io.write_tsv(df, getattr(snakemake.output, name))  # noqa: F821
    counts = tables["manifest"]["status"].value_counts().to_dict()
    log.info(
        "%s: %d models (%s)",
        study.study_id,
        len(params.units),
        ", ".join(f"{v} {k}" for k, v in sorted(counts.items())),
    )

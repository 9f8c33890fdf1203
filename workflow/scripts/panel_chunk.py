"""Snakemake adapter: every stage of a chunk of a panel's models, in one process."""

from pathlib import Path

from xenoflow import io
from xenoflow.panel import CHUNK_TABLES, analyse_chunk
from xenoflow.workflow import batch_gc, log, script_context

with script_context(snakemake) as study, batch_gc():
    params = snakemake.params
    draw = None
    if params.figures:  # matplotlib and seaborn cost ~1.4 s to import: only when drawing
        from xenoflow.plots.panel import draw_unit as draw
    # {results}/<panel>/chunks/chunk_<i>.manifest.tsv -> {results}
    results = Path(snakemake.output.manifest).parents[2]
    tables = analyse_chunk(study, list(params.units), results, draw)
    for name, df in tables.items():
        io.write_table(CHUNK_TABLES[name], df, getattr(snakemake.output, name))
    counts = tables["manifest"]["status"].value_counts().to_dict()
    log.info(
        "%s: %d models (%s)",
        study.study_id,
        len(params.units),
        ", ".join(f"{v} {k}" for k, v in sorted(counts.items())),
    )

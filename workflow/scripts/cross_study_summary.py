"""Snakemake adapter: cross-study summary table, forest plot and provenance record."""

from pathlib import Path

from xenoflow import io, provenance, summary
from xenoflow.config import load_study
from xenoflow.plots.summary import forest_plot
from xenoflow.workflow import logged

with logged(snakemake):  # noqa: F821
    params, inp, out = snakemake.params, snakemake.input, snakemake.output  # noqa: F821
    studies = {s.study_id: s for s in (load_study(p, params.analysis) for p in inp.studies)}
    panels = {s.study_id: s for s in (load_study(p, params.analysis) for p in inp.panels)}
    tables = summary.tables_by_study(inp.tables)
    table = summary.cross_study_table(
        studies, tables, [io.read_tsv(p) for p in inp.panel_summaries]
    )
    io.write_tsv(table, out.table)
    io.write_tsv(summary.qc_table(tables, [io.read_tsv(p) for p in inp.panel_qc]), out.qc)
    # panel models (one mouse per arm) have no CIs to draw: the forest shows the studies
    forest_plot(
        table[table["study_id"].isin(studies)], Path(out.forest).with_suffix(""), ("png", "svg")
    )
    record = provenance.provenance(params.config, {**studies, **panels}, Path.cwd())
    provenance.write_provenance(record, out.provenance)

"""Snakemake adapter: cross-study summary table, forest plot and provenance record."""

from pathlib import Path

from xenoflow import io, provenance, summary
from xenoflow.config import load_study
from xenoflow.plots.summary import forest_plot
from xenoflow.workflow import logged

with logged(snakemake):
    params, inp, out = snakemake.params, snakemake.input, snakemake.output
    studies = {s.study_id: s for s in (load_study(p, params.analysis) for p in inp.studies)}
    panels = {s.study_id: s for s in (load_study(p, params.analysis) for p in inp.panels)}
    tables = summary.tables_by_study(inp.tables)
    panel_rows = [io.read_table(p, "panel_summary") for p in inp.panel_summaries]
    table = summary.cross_study_table(studies, tables, panel_rows)
    io.write_table("summary", table, out.summary)
    panel_qc = [io.read_table(p, "panel_qc") for p in inp.panel_qc]
    io.write_table("exclusions_summary", summary.qc_table(tables, panel_qc), out.exclusions_summary)
    # panel models (one mouse per arm) have no CIs to draw: the forest shows the studies
    forest_plot(
        table[table["study_id"].isin(studies)], out.forest_png[: -len(".png")], ("png", "svg")
    )
    record = provenance.provenance(params.config, {**studies, **panels}, Path.cwd())
    provenance.write_provenance(record, out.provenance)

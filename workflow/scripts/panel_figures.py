"""Snakemake adapter: cross-model figures of a panel: mRECIST heatmap and time-to-double
Kaplan-Meier, from the chunks' per-curve rows (so they draw beside the tables)."""

from xenoflow.panel import figure_tables, read_chunk_tables
from xenoflow.plots.panel import panel_figures
from xenoflow.workflow import script_context

with script_context(snakemake) as study:
    out = snakemake.output
    tables = figure_tables(study, read_chunk_tables(snakemake.input.curves))
    panel_figures(
        tables["mrecist_matrix"],
        tables["ttd_endpoints"],
        tables["time_to_double"],
        study.control,
        study.title,
        out.mrecist_heatmap_png[: -len(".png")],
        out.time_to_double_km_png[: -len(".png")],
        ("png", "svg"),
    )

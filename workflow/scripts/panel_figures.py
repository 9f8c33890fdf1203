"""Snakemake adapter: cross-model figures of a panel (issue 7): mRECIST heatmap and
time-to-double Kaplan-Meier, from the chunks' per-curve rows (so they draw beside the tables)."""

from xenoflow.panel import figure_tables, read_chunk_tables
from xenoflow.plots.panel import panel_figures
from xenoflow.workflow import script_context

with script_context(snakemake) as study:  # noqa: F821
    out = snakemake.output  # noqa: F821
    tables = figure_tables(study, read_chunk_tables(snakemake.input.curves))  # noqa: F821
    panel_figures(
        tables["mrecist_matrix"],
        tables["ttd_endpoints"],
        tables["time_to_double"],
        study.control,
        study.title,
        out.heatmap_png[: -len(".png")],
        out.ttd_png[: -len(".png")],
        ("png", "svg"),
    )

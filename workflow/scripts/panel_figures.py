"""Snakemake adapter: cross-model figures of a panel (issue 7): mRECIST heatmap and
time-to-double Kaplan-Meier."""

from xenoflow import io
from xenoflow.crossmodel import ttd_endpoints
from xenoflow.plots.panel import panel_figures
from xenoflow.workflow import script_context

with script_context(snakemake) as study:  # noqa: F821
    inp, out = snakemake.input, snakemake.output  # noqa: F821
    matrix = io.read_tsv(inp.mrecist_matrix, keep_default_na=False)
    panel_figures(matrix, ttd_endpoints(io.read_tsv(inp.curves)), io.read_tsv(inp.time_to_double),
                  study.control, study.title, out.heatmap_png[: -len(".png")],
                  out.ttd_png[: -len(".png")], ("png", "svg"))

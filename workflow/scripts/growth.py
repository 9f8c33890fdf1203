"""Snakemake adapter: growth stage (per-mouse fits, mixed model, contrasts, figures)."""

from xenoflow import stages
from xenoflow.workflow import figure_formats, read_inputs, script_context, write_outputs

with script_context(snakemake) as study:
    out = stages.run_growth(study, read_inputs(snakemake.input), figures=True)
    write_outputs(out, snakemake.output, figure_formats(study))

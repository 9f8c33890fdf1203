"""Snakemake adapter: growth stage (per-mouse fits, mixed model, contrasts, figures)."""

from xenoflow import figures, stages
from xenoflow.workflow import read_inputs, script_context, write_outputs

with script_context(snakemake) as study:
    tables = read_inputs(snakemake.input)
    out = stages.run_growth(study, tables)
    write_outputs(out, snakemake.output)
    drawn = figures.growth(study, tables["measurements"], out)
    figures.save(drawn, snakemake.output, figures.formats(study))

"""Snakemake adapter: growth stage (per-mouse fits, mixed model, contrasts, figures; issue #3)."""

from xenoflow import io, stages
from xenoflow.workflow import script_context

with script_context(snakemake) as study:  # noqa: F821
    data = io.read_measurements(snakemake.input.measurements)  # noqa: F821
    stages.growth_stage(study, data, snakemake.output)  # noqa: F821

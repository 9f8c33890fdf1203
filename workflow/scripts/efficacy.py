"""Snakemake adapter: efficacy metrics, growth delay, mRECIST and their figures (issue 4)."""

from xenoflow import io, stages
from xenoflow.workflow import log, script_context

with script_context(snakemake) as study:  # noqa: F821
    measurements = io.read_measurements(snakemake.input.measurements)  # noqa: F821
    growth_files = list(snakemake.input.growth_model)  # noqa: F821
    growth_model = io.read_tsv(growth_files[0]) if growth_files else None
    tables = stages.efficacy_stage(study, measurements, growth_model, snakemake.output)  # noqa: F821
    log.info(
        "%s: reference day %g, control doubling time %.4g days",
        study.study_id,
        tables["reference_day"],
        tables["doubling_time_days"],
    )

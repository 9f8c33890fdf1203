"""Snakemake adapter: efficacy metrics, growth delay, mRECIST and their figures."""

from xenoflow import stages
from xenoflow.workflow import figure_formats, log, read_inputs, script_context, write_outputs

with script_context(snakemake) as study:
    out = stages.run_efficacy(study, read_inputs(snakemake.input), figures=True)
    write_outputs(out, snakemake.output, figure_formats(study))
    log.info(
        "%s: reference day %g, control doubling time %.4g days",
        study.study_id,
        out.facts["reference_day"],
        out.facts["doubling_time_days"],
    )

"""Snakemake adapter: efficacy metrics, growth delay, mRECIST and their figures."""

from xenoflow import figures, stages
from xenoflow.workflow import log, read_inputs, script_context, write_outputs

with script_context(snakemake) as study:
    out = stages.run_efficacy(study, read_inputs(snakemake.input))
    write_outputs(out, snakemake.output)
    figures.save(figures.efficacy(study, out), snakemake.output, figures.formats(study))
    log.info(
        "%s: reference day %g, control doubling time %.4g days",
        study.study_id,
        out.facts["reference_day"],
        out.facts["doubling_time_days"],
    )

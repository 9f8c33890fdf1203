"""Snakemake adapter: power and sample size with the study as the pilot, and the power figure."""

from xenoflow import figures, stages
from xenoflow.workflow import log, read_inputs, script_context, write_outputs

with script_context(snakemake) as study:
    out = stages.run_power(study, read_inputs(snakemake.input))
    write_outputs(out, snakemake.output)
    figures.save(figures.power(study, out), snakemake.output, figures.formats(study))
    log.info("%s: %d design rows", study.study_id, len(out.tables["power"]))

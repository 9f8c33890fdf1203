"""Snakemake adapter: synergy tables of a combination study and the synergy figures."""

from xenoflow import figures, stages
from xenoflow.workflow import log, read_inputs, script_context, write_outputs

with script_context(snakemake) as study:
    out = stages.run_synergy(study, read_inputs(snakemake.input))
    write_outputs(out, snakemake.output)
    figures.save(figures.synergy(study, out), snakemake.output, figures.formats(study))
    log.info("%s: %d synergy rows", study.study_id, len(out.tables["synergy"]))

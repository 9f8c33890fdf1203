"""Snakemake adapter: tolerability and regimen tables, body-weight and therapeutic-window figures."""

from xenoflow import figures, stages
from xenoflow.workflow import log, read_inputs, script_context, write_outputs

with script_context(snakemake) as study:
    out = stages.run_tolerability(study, read_inputs(snakemake.input))
    write_outputs(out, snakemake.output)
    figures.save(figures.tolerability(study, out), snakemake.output, figures.formats(study))
    log.info(
        "%s: %d arms with a tolerability verdict", study.study_id, len(out.tables["tolerability"])
    )

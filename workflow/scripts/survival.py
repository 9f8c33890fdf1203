"""Snakemake adapter: survival endpoints, Kaplan–Meier tables and tests, KM figure."""

from xenoflow import figures, stages, survival
from xenoflow.workflow import log, read_inputs, script_context, write_outputs

with script_context(snakemake) as study:
    recorded = [survival.read_survival_file(p) for p in snakemake.input.recorded]
    out = stages.run_survival(
        study, read_inputs(snakemake.input), recorded[0] if recorded else None
    )
    write_outputs(out, snakemake.output)
    figures.save(figures.survival(study, out), snakemake.output, figures.formats(study))
    if out.facts["endpoints"] is None:
        log.info("%s: %s", study.study_id, survival.NO_ENDPOINT_NOTE)
    if len(out.tables["exclusions_survival"]):
        log.warning(
            "%d mice without a survival endpoint (tables/exclusions_survival.tsv)",
            len(out.tables["exclusions_survival"]),
        )

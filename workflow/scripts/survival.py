"""Snakemake adapter: survival endpoints, Kaplan–Meier tables and tests, KM figure (issue 5)."""

from xenoflow import io, stages, survival
from xenoflow.workflow import log, script_context

with script_context(snakemake) as study:  # noqa: F821
    measurements = io.read_measurements(snakemake.input.measurements)  # noqa: F821
    tables = stages.survival_stage(study, measurements, snakemake.output)  # noqa: F821
    if tables["endpoints"] is None:
        log.info("%s: %s", study.study_id, survival.NO_ENDPOINT_NOTE)
    if len(tables["exclusions"]):
        log.warning(
            "%d mice without a survival endpoint (tables/exclusions_survival.tsv)",
            len(tables["exclusions"]),
        )

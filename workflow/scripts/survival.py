"""Snakemake adapter: survival endpoints, Kaplan–Meier tables and tests, KM figure (issue 5)."""

from xenoflow import io, survival
from xenoflow.plots.style import save_figure
from xenoflow.plots.survival import km_figure
from xenoflow.workflow import log, script_context

with script_context(snakemake) as study:  # noqa: F821
    out = snakemake.output  # noqa: F821
    measurements = io.read_measurements(snakemake.input.measurements)  # noqa: F821
    endpoints = survival.study_endpoints(study, measurements)
    if endpoints is None:
        log.info("%s: %s", study.study_id, survival.NO_ENDPOINT_NOTE)
    source = study.survival_data.name if study.survival_data else ""
    exclusions = survival.endpoint_exclusions(measurements, endpoints, source)
    if len(exclusions):
        log.warning("%d mice without a survival endpoint (tables/exclusions_survival.tsv)",
                    len(exclusions))
    alpha = study.settings["alpha"]
    tables = survival.analyse(endpoints, study.arm_names, study.control, alpha)
    io.write_tsv(tables["per_mouse"], out.per_mouse)
    io.write_tsv(tables["per_arm"], out.per_arm)
    io.write_tsv(tables["tests"], out.tests)
    io.write_tsv(tables["overall"], out.overall)
    io.write_tsv(exclusions, out.exclusions)
    rule = "" if endpoints is None else "; ".join(dict.fromkeys(endpoints["endpoint_rule"]))
    fig = km_figure(endpoints, study.arm_names, study.control, tables["tests"],
                    labels={a.name: a.label or a.name for a in study.arms}, alpha=alpha,
                    title=study.title + (" — SYNTHETIC DATA" if study.synthetic else ""),
                    endpoint_label=rule)
    # png and svg are the rule's declared outputs; figure_formats may add pdf
    formats = list(dict.fromkeys(["png", "svg", *study.settings["figure_formats"]]))
    save_figure(fig, out.km_png[: -len(".png")], formats)

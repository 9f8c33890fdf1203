"""Snakemake adapter: efficacy metrics, growth delay, mRECIST and their figures (issue 4)."""

from xenoflow import efficacy, io
from xenoflow.plots.efficacy import fold_change_figure, waterfall_figure
from xenoflow.plots.style import save_figure
from xenoflow.workflow import log, script_context

with script_context(snakemake) as study:  # noqa: F821
    out = snakemake.output  # noqa: F821
    measurements = io.read_measurements(snakemake.input.measurements)  # noqa: F821
    growth_files = list(snakemake.input.growth_model)  # noqa: F821
    growth_model = io.read_tsv(growth_files[0]) if growth_files else None
    tables = efficacy.analyse_study(study, measurements, growth_model)
    for name in ("efficacy", "mice", "growth_delay", "response", "response_summary",
                 "exclusions", "exclusions_response"):
        io.write_tsv(tables[name], getattr(out, name))
    log.info("%s: reference day %g, control doubling time %.4g days", study.study_id,
             tables["reference_day"], tables["doubling_time_days"])
    suffix = " — SYNTHETIC DATA" if study.synthetic else ""
    formats = list(dict.fromkeys(["png", "svg", *study.settings["figure_formats"]]))
    save_figure(waterfall_figure(tables["response"], study.arm_names, study.control,
                                 title=f"{study.title}: best response per mouse{suffix}"),
                out.waterfall_png[: -len(".png")], formats)
    save_figure(fold_change_figure(tables["efficacy"], tables["per_mouse"], study.arm_names,
                                   study.control,
                                   title=f"{study.title}: fold change at day "
                                         f"{tables['reference_day']:g}{suffix}"),
                out.fold_change_png[: -len(".png")], formats)

"""Growth stage: per-mouse fits, mixed model of log volume, contrasts, figures (issue #3)."""

from pathlib import Path

from xenoflow import growth, io
from xenoflow.plots import growth as growth_plots
from xenoflow.workflow import script_context

with script_context(snakemake) as study:  # noqa: F821
    out = snakemake.output  # noqa: F821
    data = io.read_measurements(snakemake.input.measurements)  # noqa: F821
    result = growth.analyse_study(data, study)
    io.write_tsv(growth.public_per_mouse(result.per_mouse), out.per_mouse)
    io.write_tsv(result.model, out.model)
    io.write_tsv(result.contrasts, out.contrasts)
    io.write_tsv(result.fits, out.fits)
    io.write_tsv(result.exclusions, out.exclusions)
    growth_plots.write_growth_figures(result, data, study, Path(out.curves_png).parent)

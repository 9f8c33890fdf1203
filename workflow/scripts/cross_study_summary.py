"""Snakemake adapter: cross-study summary table, forest plot and provenance record."""

from pathlib import Path

import pandas as pd

from xenoflow import io, provenance, summary
from xenoflow.config import load_study
from xenoflow.plots.summary import forest_plot
from xenoflow.workflow import logged

with logged(snakemake):  # noqa: F821
    params = snakemake.params  # noqa: F821
    studies = {}
    rows = []
    tables_by_study = {}
    for path in snakemake.input.studies:  # noqa: F821
        study = load_study(path, params.analysis)
        studies[study.study_id] = study
        tables = {Path(p).stem: io.read_tsv(p) for p in snakemake.input.tables  # noqa: F821
                  if Path(p).parent.parent.name == study.study_id}
        tables_by_study[study.study_id] = tables
        rows.append(summary.cross_study_rows(study, tables))
    table = pd.concat(rows, ignore_index=True)
    io.write_tsv(table, snakemake.output.table)  # noqa: F821
    io.write_tsv(summary.qc_counts(tables_by_study), snakemake.output.qc)  # noqa: F821
    forest_plot(table, Path(snakemake.output.forest).with_suffix(""), ("png", "svg"))  # noqa: F821
    record = provenance.provenance(params.config, studies, Path.cwd())
    provenance.write_provenance(record, snakemake.output.provenance)  # noqa: F821

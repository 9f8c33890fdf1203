"""Snakemake adapter: plain-language summary, Excel workbook and Prism file of one study."""

from pathlib import Path

from xenoflow import columns, export, io, summary
from xenoflow.workflow import script_context

with script_context(snakemake) as study:  # noqa: F821
    tables = {Path(p).stem: io.read_tsv(p) for p in snakemake.input.tables}  # noqa: F821
    title, sections = summary.study_summary(study, tables)
    io.write_text(summary.to_markdown(title, sections), snakemake.output.md)  # noqa: F821
    io.write_text(summary.to_html(title, sections), snakemake.output.html)  # noqa: F821
    export.write_xlsx(tables, snakemake.output.xlsx, columns.readme(tables))  # noqa: F821
    export.write_pzfx(tables["measurements"], summary.arm_day_summary(tables), study.arm_names,
                      snakemake.output.pzfx, study.title)  # noqa: F821

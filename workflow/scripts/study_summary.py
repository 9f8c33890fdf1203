"""Snakemake adapter: plain-language summary, Excel workbook and Prism file of one study."""

from pathlib import Path

from xenoflow import io, stages
from xenoflow.workflow import script_context

with script_context(snakemake) as study:  # noqa: F821
    tables = {Path(p).stem: io.read_tsv(p) for p in snakemake.input.tables}  # noqa: F821
    stages.summary_stage(study, tables, snakemake.output)  # noqa: F821

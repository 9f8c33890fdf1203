"""Snakemake adapter: plain-language summary, Excel workbook and Prism file of one study."""

from xenoflow import stages
from xenoflow.workflow import read_inputs, script_context, write_documents

with script_context(snakemake) as study:
    write_documents(stages.run_summary(study, read_inputs(snakemake.input)), snakemake.output)

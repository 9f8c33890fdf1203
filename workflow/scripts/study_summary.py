"""Snakemake adapter: plain-language summary, Excel workbook and Prism file of one study."""

from xenoflow import io, stages
from xenoflow.workflow import read_inputs, script_context

with script_context(snakemake) as study:
    io.write_documents(stages.run_summary(study, read_inputs(snakemake.input)), snakemake.output)

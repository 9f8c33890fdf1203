"""The stage output lists (xenoflow.stages.OUTPUTS) match what the rules declare."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xenoflow import growth, mixed, stages

RULES = Path(__file__).resolve().parents[1] / "workflow" / "rules"
RULE_FILE = {
    "ingest": "ingest",
    "growth": "growth",
    "efficacy": "efficacy",
    "survival": "survival",
    "summary": "report",
}


@pytest.mark.parametrize("stage", sorted(stages.OUTPUTS))
def test_rule_declares_the_stage_outputs(stage):
    text = (RULES / f"{RULE_FILE[stage]}.smk").read_text()
    declared = dict(
        re.findall(r"(\w+)=(?:report\(\s*)?f\"\{RESULTS\}/\{\{study\}\}/([^\"]+)\"", text)
    )
    assert {k: declared[k] for k in stages.OUTPUTS[stage]} == stages.OUTPUTS[stage]


def test_empty_table_headers_match_the_mixed_model_module():
    # growth keeps copies so that designs without replicates never import statsmodels
    assert growth.CONTRAST_COLUMNS == mixed.CONTRAST_COLUMNS
    assert growth.FITS_COLUMNS == mixed.FITS_COLUMNS


def test_targets_without_figures():
    assert stages.targets("growth", figures=False) == [
        p for p in stages.OUTPUTS["growth"].values() if p.startswith("tables/")
    ]

"""Plain-language study summaries and the cross-study table, generated from the result tables.

Every sentence is built from a table row, and its wording follows the statistics: a difference
is called significant only when its p-value is below ``alpha`` (or, for bootstrap metrics, when
the confidence interval excludes no effect), and otherwise described as not statistically
significant. Nothing is written about a quantity that is missing (e.g. a median survival that
was not reached is said to be not reached).

Modules: ``text``, ``headline`` (each arm's headline growth finding, which every page quotes),
``survival``, ``efficacy``, ``baseline`` (baseline used, balance, adjusted comparison), ``phases``, ``regimens``, ``synergy``, ``design``, ``cross_study``."""

from __future__ import annotations

import pandas as pd

from .. import visits
from ..config import Study
from ..refday import choose_reference_day
from . import baseline as baseline_sentences
from .answer import answer_section
from .cross_study import (
    CROSS_STUDY_COLUMNS,
    arm_day_summary,
    baseline_day,
    cross_study_rows,
    cross_study_table,
    growth_columns,
    qc_counts,
    qc_report,
    qc_table,
    tables_by_study,
)
from .design import (
    DESIGN_ENDPOINTS,
    SYNERGY_ENDPOINTS,
    design_sentences,
    headline_day,
    synergy_design_sentences,
)
from .efficacy import (
    cured_sentences,
    design_section,
    detection_limit_sentence,
    endpoint_test_sentences,
    fold_change_sentences,
    growth_delay_sentences,
    growth_sentences,
    nci_activity,
    notes_section,
    reference_rows,
    response_sentences,
)
from .headline import (
    GrowthFinding,
    exponential_findings,
    headline_findings,
    two_phase_rows,
    whole_curve_findings,
)
from .phases import two_phase_sentences
from .regimens import regimen_model_sentences, regimen_sentences
from .survival import (
    ENDPOINT_RULE_WORDS,
    cause_sentence,
    logrank_verdict,
    median_survival_sentence,
    n_logrank_tests,
    not_reached,
    survival_endpoint,
    survival_sentences,
)
from .synergy import SYNERGY_METHODS, SYNERGY_Z, invivosyn_sentence, synergy_sentences
from .text import (
    Section,
    Tables,
    article,
    count_words,
    first_rows,
    fmt,
    fmt_ci,
    fmt_day,
    fmt_p,
    isnum,
    join_words,
    records,
    to_html,
    to_markdown,
    unit_text,
    value_of,
)

__all__ = [
    "CROSS_STUDY_COLUMNS",
    "DESIGN_ENDPOINTS",
    "ENDPOINT_RULE_WORDS",
    "SYNERGY_ENDPOINTS",
    "SYNERGY_METHODS",
    "SYNERGY_Z",
    "GrowthFinding",
    "Section",
    "Tables",
    "arm_day_summary",
    "article",
    "baseline_day",
    "cause_sentence",
    "count_words",
    "cross_study_rows",
    "cross_study_table",
    "design_section",
    "design_sentences",
    "endpoint_test_sentences",
    "exponential_findings",
    "first_rows",
    "fmt",
    "fmt_ci",
    "fmt_day",
    "fmt_p",
    "fold_change_sentences",
    "growth_columns",
    "growth_delay_sentences",
    "growth_sentences",
    "headline_day",
    "headline_findings",
    "invivosyn_sentence",
    "isnum",
    "join_words",
    "logrank_verdict",
    "median_survival_sentence",
    "n_logrank_tests",
    "nci_activity",
    "not_reached",
    "notes_section",
    "qc_counts",
    "qc_report",
    "qc_table",
    "records",
    "reference_rows",
    "regimen_model_sentences",
    "regimen_sentences",
    "response_sentences",
    "study_summary",
    "survival_endpoint",
    "survival_sentences",
    "synergy_design_sentences",
    "synergy_sentences",
    "tables_by_study",
    "to_html",
    "to_markdown",
    "two_phase_rows",
    "two_phase_sentences",
    "unit_text",
    "value_of",
    "whole_curve_findings",
]


def _control_median(study: Study, survival: pd.DataFrame | None) -> float | None:
    """The control arm's median time to the endpoint (``survival.tsv``), None when not
    reached or absent."""
    if survival is None or "median_days" not in survival:
        return None
    med = survival.loc[survival["arm"] == study.control, "median_days"]
    return float(med.iloc[0]) if len(med) and pd.notna(med.iloc[0]) else None


def study_summary(
    study: Study, tables: Tables, mark_synthetic: bool = True
) -> tuple[str, list[Section]]:
    """Title and sections of a study's summary; ``tables`` maps table names (file stems such as
    'measurements', 'efficacy', 'growth_model', 'survival', 'survival_tests', 'exclusions*') to
    frames. A synthetic study is marked in the title and the design section; with
    ``mark_synthetic=False`` in neither (a page that states it once itself: the report)."""
    findings = Section("Findings")
    # arms not balanced at baseline: the baseline-adjusted comparison leads
    findings.paragraphs += baseline_sentences.adjusted_sentences(tables.get("baseline_balance"))
    reference = choose_reference_day(  # at the scheduled visits, as the efficacy stage
        visits.comparison_days(study, tables["measurements"])[0], study.reference_day
    )
    if reference.note:  # also in warnings.tsv
        findings.paragraphs.append(reference.note[0].upper() + reference.note[1:] + ".")
    # arms whose tumours mostly disappeared by the reference day: the rank tests and the
    # tumour-free counts lead (a log-scale rate rests on the detection limit there)
    cured = cured_sentences(study, tables)
    findings.paragraphs += cured
    # arms that regress then regrow are led by their two phases
    two_phase = two_phase_rows(tables.get("growth_piecewise"))
    findings.paragraphs += two_phase_sentences(study, tables.get("growth_piecewise"))
    if "efficacy" in tables:
        findings.paragraphs += fold_change_sentences(
            study, tables["efficacy"], tables.get("tolerability")
        )
    if "growth_model" in tables:
        findings.paragraphs += growth_sentences(study, tables, two_phase)
    if "growth_delay" in tables:
        findings.paragraphs += growth_delay_sentences(
            study, tables["growth_delay"], tables.get("survival")
        )
    if "survival" in tables and "survival_tests" in tables:
        findings.paragraphs += survival_sentences(
            study, tables["survival"], tables["survival_tests"]
        )
    if "response_summary" in tables:
        findings.paragraphs += response_sentences(
            tables["response_summary"], study.control, float(study.settings["mrecist_min_day"])
        )
    cause = cause_sentence(tables.get("survival_per_mouse"))
    if cause:
        findings.paragraphs.append(cause)
    if "endpoint_tests" in tables:
        findings.paragraphs += endpoint_test_sentences(
            tables["endpoint_tests"], tables.get("tumour_free")
        )
    if not findings.paragraphs:
        findings.paragraphs.append("No comparison with the control arm could be computed.")
    # arms somewhat unbalanced (alpha > p >= IMBALANCE_P): the adjusted comparison closes them
    findings.paragraphs += baseline_sentences.adjusted_check_sentences(
        study, tables.get("baseline_balance")
    )
    floored = detection_limit_sentence(study, tables["measurements"])
    exclusions = [t for name, t in sorted(tables.items()) if name.startswith("exclusions")]
    answer = answer_section(study, tables)
    design = design_section(study, tables["measurements"], mark_synthetic)
    design.paragraphs += baseline_sentences.design_sentences(
        study, tables["measurements"], tables.get("baseline_balance")
    )
    sections = [
        *([answer] if answer is not None else []),
        design,
        findings,
        notes_section(exclusions, tables.get("growth_model"), floored),
    ]
    # after the findings: before the notes, whatever opens the summary
    after_findings = sections.index(findings) + 1
    regimens = regimen_sentences(study, tables)
    if regimens:
        sections.insert(after_findings, Section("Regimens and tolerability", regimens))
    if "synergy" in tables and "synergy_model" in tables:
        sections.insert(
            after_findings,
            Section(
                "Combination synergy",
                synergy_sentences(
                    study,
                    tables["synergy_model"],
                    tables["synergy"],
                    tables.get("exclusions_synergy"),
                    tables.get("growth_model"),
                ),
            ),
        )
    if "sample_size" in tables:
        power = Section("Design of a next study (this study as the pilot)")
        eff = tables["efficacy"]
        ref = eff.loc[eff["is_reference_day"].astype(bool), "day"]
        power.paragraphs += design_sentences(
            study,
            tables["sample_size"],
            float(ref.iloc[0]) if len(ref) else None,
            _control_median(study, tables.get("survival")),
        )
        sections.insert(2, power)
    title = f"{study.title} ({study.study_id})"
    if mark_synthetic and study.synthetic and "synthetic" not in title.lower():
        title += " — SYNTHETIC DATA"
    return title, sections

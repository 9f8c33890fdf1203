"""The cross-study table (``summary.tsv``) and the QC counts of a run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .. import baseline
from .. import tables as registry
from ..config import Study
from ..io import read_table
from .efficacy import DUNN_HOLM, rank_tests, reference_rows, reference_tumour_free
from .headline import GrowthFinding, headline_findings
from .survival import logrank_verdict, n_logrank_tests
from .synergy import SYNERGY_Z
from .text import Tables, first_rows, records, value_of


def arm_day_summary(tables: Tables) -> pd.DataFrame:
    """Per arm and day: n_mice, mean_volume_mm3, sem_volume_mm3, as computed by the efficacy
    step (``efficacy`` table)."""
    return tables["efficacy"][["arm", "day", "n_mice", "mean_volume_mm3", "sem_volume_mm3"]]


CROSS_STUDY_COLUMNS = registry.columns("summary")


def cross_study_rows(study: Study, tables: Tables) -> pd.DataFrame:
    """One row per treated arm of a study with its headline numbers: the growth finding of
    :func:`xenoflow.summary.headline.headline_findings` and the log-rank p of
    :func:`xenoflow.summary.survival.logrank_verdict`, as its summary and report give them."""
    rows = []
    # first row per arm (per arm and reference for the tests), as plain dicts: a panel calls
    # this for every model, and row lookups in small frames dominated its cost
    eff = first_rows(reference_rows(tables["efficacy"]), ["arm"]) if "efficacy" in tables else {}
    growth = headline_findings(study, tables)
    tests = tables.get("survival_tests")
    pairs = (
        first_rows(tests[tests["reference"] == study.control], ["arm", "reference"])
        if tests is not None and "reference" in tests
        else {}
    )
    n_tests = n_logrank_tests(tests) if pairs and tests is not None else 0
    synergy = _synergy_columns(tables.get("synergy"))
    zeros = tumour_free_columns(study, tables)
    base = baseline_day(study, tables)
    for arm in study.treated_arms:
        row: dict[str, object] = {
            "study_id": study.study_id,
            "model": study.model,
            "synthetic": study.synthetic,
            "arm": arm,
            "control": study.control,
            "baseline_day": base,
        }
        if arm in eff:
            e = eff[arm]
            row.update(
                reference_day=e["day"],
                mean_fold_change=value_of(e, "mean_fold_change"),
                control_mean_fold_change=value_of(eff.get(study.control), "mean_fold_change"),
            )
            for key in (
                "fold_change_reduction_pct",
                "fold_change_reduction_ci_low",
                "fold_change_reduction_ci_high",
                "tc_pct",
                "tgi_pct",
            ):
                row[key] = value_of(e, key)
        row.update(zeros.get(arm, {}))
        row.update(growth_columns(growth.get(arm)))
        row.update(synergy.get(arm, {}))
        t0 = pairs.get((arm, study.control))
        if t0 is not None:
            for key in (
                "median_ratio",
                "median_ratio_ci_low",
                "median_ratio_ci_high",
                "hr",
                "hr_ci_low",
                "hr_ci_high",
                "hr_flag",
                "hr_firth",
                "hr_firth_ci_low",
                "hr_firth_ci_high",
            ):
                row[key] = value_of(t0, key)
            p, adjustment = logrank_verdict(t0, n_tests)
            row["logrank_p"] = p
            row["logrank_p_method"] = ", ".join(x for x in ("log-rank", adjustment) if x)
        rows.append(row)
    return pd.DataFrame(rows, columns=CROSS_STUDY_COLUMNS)


def baseline_day(study: Study, tables: Tables) -> float | None:
    """The study day of the study's baseline (:func:`xenoflow.baseline.resolve`: the study
    file's ``baseline_day`` or treatment start), else its first measured day (each mouse's first
    measurement is its baseline); None without measurements. The days every page quotes are
    study days; this says where the study's day 0 of treatment effects lies."""
    data = tables.get("measurements")
    if data is None or not len(data):
        return None if study.baseline_day is None else float(study.baseline_day)
    day = baseline.resolve(study, data).day
    if day is not None:
        return float(day)
    days = data.loc[data["volume_mm3"].notna(), "day"]
    return float(days.min()) if len(days) else None


def tumour_free_columns(study: Study, tables: Tables) -> dict[str, dict[str, Any]]:
    """Treated arm -> its ``summary.tsv`` columns of the reference day's tumour-free mice and
    rank test: ``n_tumour_free`` of ``n_mice_measured``, Dunn's Holm-adjusted p against the
    control (``rank_p``), and ``tumour_free_lead``, True when most of the measured mice are
    tumour-free (:func:`xenoflow.summary.efficacy.cured_arms`): there the study's answer, the
    index and the forest plot lead with the count and the rank test, not with the log-scale
    rate, which rests on the detection limit."""
    _, dunn = rank_tests(tables)
    out: dict[str, dict[str, Any]] = {}
    for arm, (free, n) in reference_tumour_free(study, tables).items():
        if arm in study.treated_arms:
            out[arm] = {
                "tumour_free_lead": 2 * free > n,
                "n_tumour_free": free,
                "n_mice_measured": n,
                "rank_p": dunn.get(arm),
                "rank_p_method": DUNN_HOLM if arm in dunn else None,
            }
    return out


def growth_columns(finding: GrowthFinding | None) -> dict[str, Any]:
    """The ``summary.tsv`` columns of an arm's headline growth finding: which metric, the
    estimate with its interval, the verdict's p and its test and adjustment; what the index
    shows and the forest plot draws."""
    if finding is None:
        return {"two_phase": False}
    return {
        "two_phase": finding.two_phase,
        "rate_diff_metric": finding.metric,
        "rate_diff_vs_control": finding.estimate,
        "rate_diff_ci_low": finding.ci_low,
        "rate_diff_ci_high": finding.ci_high,
        "rate_diff_p": finding.p,
        "rate_diff_p_method": finding.p_method,
    }


def _synergy_columns(synergy: pd.DataFrame | None) -> dict[str, dict[str, Any]]:
    """Combination arm -> the whole-study (last day) Bliss and HSA synergy scores and z-test
    p-values of the mixed model (``synergy.tsv``, basis lmm)."""
    if synergy is None or synergy.empty:
        return {}
    rows = synergy[
        (synergy["basis"] == "lmm") & synergy["p_method"].astype(str).str.startswith(SYNERGY_Z)
    ]
    out: dict[str, dict[str, Any]] = {}
    for combo, part in rows.groupby("combination", sort=False):
        last = part[part["day"] == part["day"].max()]
        for r in records(last):
            if r["method"] in ("bliss", "hsa"):
                out.setdefault(str(combo), {})[f"synergy_{r['method']}_score"] = r["score"]
                out[str(combo)][f"synergy_{r['method']}_p"] = r["p_value"]
    return out


def qc_counts(tables_by_study: Mapping[str, Tables]) -> pd.DataFrame:
    """Per study and stage: how many measurements or mice were excluded, how many notes were
    raised (``exclusions*`` and ``warnings`` tables)."""
    counts: dict[tuple[str, str], list[int]] = {}  # (study, stage) -> [excluded, notes]
    for study_id, tables in tables_by_study.items():
        for name in sorted(tables):  # only these tables are read (tables may be read on demand)
            if name.startswith("exclusions"):
                stage = name.removeprefix("exclusions").lstrip("_") or "ingest"
                counts.setdefault((study_id, stage), [0, 0])[0] += len(tables[name])
            elif name == "warnings":
                counts.setdefault((study_id, "ingest"), [0, 0])[1] += len(tables[name])
    return pd.DataFrame(
        [(sid, stage, n[0], n[1]) for (sid, stage), n in counts.items()],
        columns=registry.columns("exclusions_summary"),
    )


def tables_by_study(paths: Iterable[str | Path]) -> dict[str, dict[str, pd.DataFrame]]:
    """Group ``{results}/<study>/tables/<name>.tsv`` files by study: study -> name -> table."""
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for path in map(Path, paths):
        out.setdefault(path.parent.parent.name, {})[path.stem] = read_table(path)
    return out


def _concat(frames: Iterable[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """The rows of ``frames`` with ``columns``; a column empty in one frame (a study without
    the quantity) takes its type from the others."""
    frames = [f.dropna(axis=1, how="all") for f in frames if len(f)]
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()).reindex(
        columns=columns
    )


def cross_study_table(
    studies: Mapping[str, Study],
    tables: Mapping[str, Tables],
    panel_rows: Iterable[pd.DataFrame] = (),
) -> pd.DataFrame:
    """``results/summary.tsv``: the rows of every study, then those of every panel model."""
    rows = [cross_study_rows(study, tables.get(sid, {})) for sid, study in studies.items()]
    return _concat([*rows, *panel_rows], CROSS_STUDY_COLUMNS)


def qc_table(tables: Mapping[str, Tables], panel_qc: Iterable[pd.DataFrame] = ()) -> pd.DataFrame:
    """``results/exclusions_summary.tsv``: :func:`qc_counts` of the studies and panel models."""
    counts = qc_counts(tables) if tables else pd.DataFrame()
    return _concat([counts, *panel_qc], registry.columns("exclusions_summary"))


def qc_report(counts: pd.DataFrame, max_lines: int = 100) -> str:
    """Lines printed at the end of a run: per study, the stages that excluded something or
    raised notes."""
    lines = ["xenoflow: exclusions and notes per study (details in each study's tables/)"]
    clean = 0
    by_study: dict[Any, list[dict[str, Any]]] = {}  # studies in order of first row
    for r in records(counts[["study_id", "stage", "n_excluded", "n_notes"]]):
        by_study.setdefault(r["study_id"], []).append(r)
    for study_id, rows in by_study.items():
        parts = [
            f"{r['stage']}: {r['n_excluded']} excluded"
            + (f", {r['n_notes']} notes" if r["n_notes"] else "")
            for r in rows
            if r["n_excluded"] or r["n_notes"]
        ]
        if not parts and len(counts) > max_lines:
            clean += 1  # big batches (panels): only the studies with something to report
            continue
        lines.append(f"  {study_id}: " + ("; ".join(parts) or "nothing excluded, no notes"))
    if clean:
        lines.append(f"  {clean} more: nothing excluded, no notes")
    return "\n".join(lines)

"""The cross-study table (``summary.tsv``) and the QC counts of a run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .. import tables as registry
from ..config import Study
from ..io import read_table
from .efficacy import reference_rows
from .phases import two_phase_rows
from .synergy import SYNERGY_Z
from .text import Tables, first_rows, isnum, records, value_of


def arm_day_summary(tables: Tables) -> pd.DataFrame:
    """Per arm and day: n_mice, mean_volume_mm3, sem_volume_mm3, as computed by the efficacy
    step (``efficacy`` table)."""
    return tables["efficacy"][["arm", "day", "n_mice", "mean_volume_mm3", "sem_volume_mm3"]]


CROSS_STUDY_COLUMNS = registry.columns("summary")


def cross_study_rows(study: Study, tables: Tables) -> pd.DataFrame:
    """One row per treated arm of a study with its headline numbers."""
    rows = []
    # first row per arm (per arm and reference for the tests), as plain dicts: a panel calls
    # this for every model, and row lookups in small frames dominated its cost
    eff = first_rows(reference_rows(tables["efficacy"]), ["arm"]) if "efficacy" in tables else {}
    growth = first_rows(tables["growth_model"], ["arm"]) if "growth_model" in tables else {}
    phased = two_phase_rows(tables.get("growth_piecewise"))
    tests = tables.get("survival_tests")
    pairs = (
        first_rows(tests[tests["reference"] == study.control], ["arm", "reference"])
        if tests is not None and "reference" in tests
        else {}
    )
    synergy = _synergy_columns(tables.get("synergy"))
    for arm in study.treated_arms:
        row: dict[str, object] = {
            "study_id": study.study_id,
            "model": study.model,
            "synthetic": study.synthetic,
            "arm": arm,
            "control": study.control,
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
        if arm in growth:
            g = growth[arm]
            for key in ("rate_diff_vs_control", "rate_diff_ci_low", "rate_diff_ci_high"):
                row[key] = value_of(g, key)
            row["rate_diff_p"] = value_of(g, "p_value")
        row.update(synergy.get(arm, {}))
        row.update(forest_values(row, phased.get(arm)))
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
                "logrank_p",
            ):
                row[key] = value_of(t0, key)
        rows.append(row)
    return pd.DataFrame(rows, columns=CROSS_STUDY_COLUMNS)


FOREST_RATE = "growth-rate difference (exponential mixed model)"


def forest_values(row: Mapping[str, Any], phased: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the forest plot draws for an arm: its growth-rate difference vs control, or, for
    an arm that regresses then regrows, the piecewise model's mean rate difference from the
    baseline to the reference day (``curve_rate_diff``: one exponential rate averages away the
    regression and makes such an arm look weak)."""
    if phased is not None and isnum(value_of(phased, "curve_rate_diff")):
        return {
            "two_phase": True,
            "forest_metric": (
                "mean growth-rate difference, days "
                f"{float(phased['curve_from_day']):g}-{float(phased['curve_to_day']):g} "
                "(two-phase piecewise model)"
            ),
            "forest_estimate": phased["curve_rate_diff"],
            "forest_ci_low": value_of(phased, "curve_rate_diff_ci_low"),
            "forest_ci_high": value_of(phased, "curve_rate_diff_ci_high"),
        }
    out: dict[str, Any] = {"two_phase": False}
    if isnum(row.get("rate_diff_vs_control")):
        out.update(
            forest_metric=FOREST_RATE,
            forest_estimate=row["rate_diff_vs_control"],
            forest_ci_low=row.get("rate_diff_ci_low"),
            forest_ci_high=row.get("rate_diff_ci_high"),
        )
    return out


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
    frames = [f for f in frames if len(f)]
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

"""Panels: one measurement file holding many tumour models (a PDX clinical trial).

In a PDX clinical trial (Gao et al. 2015, Nat Med 21:1318) every model (patient-derived
tumour) is grown in a few mice: one untreated and one per drug, one mouse each. A study file
with ``split_by: <column>`` declares such a panel; every distinct value of the column (a
*model*) becomes one analysis unit with id ``<study_id>.<model>`` and its own results folder,
exactly like a study's.

Scale: a panel of hundreds of models would cost one Python start-up (~3 s with the scientific
stack) per model and stage as separate jobs. Units are therefore analysed in a fixed number of
*chunks* (jobs), each reading the panel file once and running every stage of its models in one
process (:func:`analyse_chunk`). A model's chunk is a hash of its unit id, so adding or
removing a model never moves the others.

Incremental reruns: each unit's outputs are keyed by a fingerprint of its own rows, the study
file's settings and the package version. After a chunk ran, its outputs are hard-linked into
``{results}/.cache/<unit>/<fingerprint>/``; when the panel file changes, the chunk jobs rerun
but restore every model whose fingerprint is unchanged from that cache and recompute only the
edited ones (:func:`analyse_chunk` reports which).

The chunk plan (:data:`CHUNK_TABLES`, :func:`chunks`, :func:`code_hash`) lives in
:mod:`xenoflow.panelplan`, which the Snakefile imports when it is parsed; it is re-exported here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import crossmodel, io, pipeline, stages
from . import tables as registry
from .config import Study
from .ingest import RawTable, Source, arms_in_rows, read_source
from .panelplan import CHUNK_TABLES, DEFAULT_CHUNKS, chunk_of, chunks, code_hash  # noqa: F401
from .panelunits import model_rows, natural_key, panel_units, split_column, unit_id, unit_study  # noqa: F401
from .summary import cross_study_rows, qc_counts
from .survival import read_survival_file

#: Stages whose tables every unit writes, in order (see :mod:`xenoflow.stages`).
UNIT_STAGES = pipeline.part_stages("study")
#: Figures of one panel model (paths relative to its folder, without the format suffix),
#: drawn by :func:`xenoflow.plots.panel.draw_unit`: a panel has hundreds of models with one
#: mouse per arm, so a model gets two single-axes figures instead of a study's per-arm panels
#: (which need replicates and cost ~20 s per model).
UNIT_FIGURES = [registry.output(name).path for name in ("growth_curves", "waterfall")]
#: A model with body weights also gets its body-weight course (one axis, every mouse's percent
#: change; ~0.3 s a model, the study's two-panel figure ~1-2 s). Optional per model: cached
#: and restored when present.
UNIT_WEIGHT_FIGURE = registry.output("body_weight_figure").path
#: Draws a unit's figures into its folder: (unit, its tables, folder). Passed in by the caller
#: (the chunk job), so that a panel without figures never imports matplotlib and seaborn.
UnitDrawer = Callable[[Study, Mapping[str, pd.DataFrame], Path], None]


# ------------------------------------------------------------------------------ fingerprints


def fingerprint(unit: Study, rows: pd.DataFrame, code: str = "") -> str:
    """SHA-256 of what a unit's outputs depend on: its rows of the panel file (as text), the
    study settings and keys, the survival table's bytes, and the package code
    (:func:`code_hash`)."""
    h = hashlib.sha256(code.encode())
    keys = {k: v for k, v in dataclasses.asdict(unit).items() if k not in ("path", "data")}
    h.update(json.dumps(keys, sort_keys=True, default=str).encode())
    h.update(rows.to_csv(index=False).encode())
    if unit.survival_data is not None:
        h.update(Path(unit.survival_data).read_bytes())
    return h.hexdigest()[:32]


def optional_unit_files(figures: bool) -> list[str]:
    """Outputs a unit has only when its data call for them: with ``figures``, the
    body-weight figure of a model with body weights."""
    return [f"{UNIT_WEIGHT_FIGURE}.{fmt}" for fmt in ("png", "svg")] if figures else []


def _restore(cache: Path, unit_dir: Path, files: list[str], optional: Sequence[str] = ()) -> bool:
    """Hard-link (copy if linking fails) a cached unit's outputs, and those of its
    ``optional`` outputs that were made, into place."""
    if not all((cache / f).is_file() for f in files):
        return False
    for f in [*files, *(f for f in optional if (cache / f).is_file())]:
        target = unit_dir / f
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        try:
            os.link(cache / f, target)
        except OSError:
            shutil.copy2(cache / f, target)
        os.utime(target)  # newer than the panel file, so Snakemake sees it up to date
    return True


def _store(cache: Path, unit_dir: Path, files: list[str], optional: Sequence[str] = ()) -> None:
    shutil.rmtree(cache.parent, ignore_errors=True)  # one fingerprint per unit is kept
    for f in [*files, *(f for f in optional if (unit_dir / f).is_file())]:
        (cache / f).parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(unit_dir / f, cache / f)
        except OSError:
            shutil.copy2(unit_dir / f, cache / f)


# ------------------------------------------------------------------------------ one unit


def unit_files(figures: bool, exports: bool = True) -> list[str]:
    """Outputs of a unit, relative to its folder: a study's tables, with ``exports`` its
    summary, workbook and Prism file (the ``summary`` stage), and with ``figures`` the two
    per-model figures of :mod:`xenoflow.plots.panel` as png and svg (a model with body
    weights has a third one, :func:`optional_unit_files`)."""
    stages_ = [*UNIT_STAGES, "summary"] if exports else UNIT_STAGES
    files = [p for stage in stages_ for p in registry.stage_files(stage, figures=False).values()]
    if figures:
        files += [f"{stem}.{fmt}" for stem in UNIT_FIGURES for fmt in ("png", "svg")]
    return files


def writes_exports(study: Study) -> bool:
    """Whether a panel's models get the summary stage's files (``panel_exports``, default
    true): summary.md/.html, study.xlsx and study.pzfx. Without them a model folder holds its
    tables (and figures) only, and a panel run takes ~15 % less time."""
    return bool(study.settings.get("panel_exports", True))


def write_unit(
    unit: Study,
    tables: Mapping[str, pd.DataFrame],
    encoded: Mapping[str, io.Encoded],
    unit_dir: Path,
    figures: UnitDrawer | None,
) -> None:
    """Write one model's tables (and, with :func:`writes_exports`, its summary, workbook and
    Prism file; with ``figures`` its two figures) into ``unit_dir``, a staging folder that is
    moved into place whole (so the files need no temporary names of their own)."""
    paths = {
        name: unit_dir / path
        for stage in UNIT_STAGES
        for name, path in registry.stage_files(stage, figures=False).items()
    }
    for name, path in paths.items():
        io.write_encoded(encoded[name], path, atomic=False)
    if writes_exports(unit):
        documents = stages.run_summary(unit, tables)
        paths = {name: unit_dir / registry.output(name).path for name in documents}
        io.write_documents(documents, paths, atomic=False)
    if figures is not None:
        figures(unit, tables, unit_dir)


def unit_records(unit: Study, tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """What a unit contributes to the panel's cross-model tables (``CHUNK_TABLES``)."""
    model = {"model": unit.split_value}
    curves = per_curve(tables).assign(**model)
    # a model without its control has nothing to compare: no rows in results/summary.tsv
    summary = cross_study_rows(unit, tables if unit.control in unit.arm_names else {})
    return {
        "curves": curves[["model", *[c for c in curves if c != "model"]]],
        "summary": summary[summary["control"].isin(unit.arm_names)],
        "qc": qc_counts({unit.study_id: tables}),
    }


def per_curve(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per mouse (curve): growth rate, best response, mRECIST, AUC, time to endpoint."""
    growth = tables["growth_per_mouse"]
    # (table, its columns -> per-curve column names)
    parts = [
        (
            growth,
            {
                c: c
                for c in (
                    "growth_rate_per_day",
                    "growth_rate_se",
                    "r_squared",
                    "doubling_time_days",
                    "best_model",
                )
                if c in growth
            },
        ),
        (
            tables["response"],
            {c: c for c in ("best_response_pct", "best_avg_response_pct", "mrecist")},
        ),
        (tables["efficacy_per_mouse"], {"auc_mm3_days": "auc_mm3_days"}),
        (
            tables["survival_per_mouse"],
            {
                "time_days": "endpoint_time_days",
                "event": "endpoint_event",
                "endpoint_rule": "endpoint_rule",
            },
        ),
    ]
    m = tables["measurements"]
    curves = Counter(zip(m["arm"].tolist(), m["mouse_id"].tolist()))  # first-seen order
    out: dict[str, list[Any]] = {
        "arm": [a for a, _ in curves],
        "mouse_id": [mouse for _, mouse in curves],
        "n_measurements": list(curves.values()),
    }
    # left joins on (arm, mouse_id) by dict lookups, whole columns at a time: a panel builds
    # these rows for every model
    for table, names in parts:
        missing = [c for c in names if c not in table]
        if missing:
            raise KeyError(f"per-curve table without column(s) {missing}")
        row_of = {
            key: i for i, key in enumerate(zip(table["arm"].tolist(), table["mouse_id"].tolist()))
        }
        if len(row_of) < len(table):  # every per-mouse table has one row per curve
            raise ValueError(
                f"per-curve table with columns {list(table.columns)}: more than "
                "one row for an (arm, mouse_id)"
            )
        for column, name in names.items():
            values = table[column].tolist()
            out[name] = [values[row_of[c]] if c in row_of else np.nan for c in curves]
    return pd.DataFrame(out)


# ------------------------------------------------------------------------------ one chunk


def analyse_chunk(
    study: Study,
    unit_ids: list[str],
    results: str | Path,
    figures: UnitDrawer | None = None,
    cache_dir: str | Path | None = None,
) -> dict[str, pd.DataFrame]:
    """Analyse the given units of a panel (one read of the panel file).

    Returns the chunk's cross-model rows (``CHUNK_TABLES``): ``curves`` (per curve),
    ``summary`` (cross-study rows), ``qc`` (exclusion counts) and ``manifest`` (unit,
    fingerprint, ``computed`` or ``restored``). A unit whose data fail validation raises
    :class:`InputError` after its folder is removed, so no stale outputs remain.
    """
    results = Path(results)
    cache_root = Path(cache_dir) if cache_dir else results / ".cache"
    source = read_source(study)
    recorded = read_survival_file(study.survival_data) if study.survival_data else None
    rows = model_rows(study, source)
    by_id = {unit_id(study.study_id, v): v for v in rows}
    files = unit_files(figures is not None, writes_exports(study))
    optional = optional_unit_files(figures is not None)
    code = code_hash()
    parts: dict[str, list[pd.DataFrame]] = {"curves": [], "summary": [], "qc": []}
    manifest = []
    for uid in unit_ids:
        value = by_id[uid]
        table = source.table
        sub = dataclasses.replace(
            table,
            frame=table.frame.iloc[rows[value]].reset_index(drop=True),
            rows=table.rows[rows[value]],
        )
        unit = unit_study(study, value, arms_in_rows(study, source, sub), sub.rows.tolist())
        key = fingerprint(unit, sub.frame, code)
        unit_dir = results / uid
        cache = cache_root / uid / key
        status = "restored"
        records = _restore(cache, unit_dir, files, optional) and _cached_records(cache)
        if not records:
            status = "computed"
            new_records = _analyse_in_place(unit, source, sub, recorded, unit_dir, figures)
            _store(cache, unit_dir, files, optional)
            records = _store_records(cache, new_records)
        for name, df in records.items():
            parts[name].append(df)
        manifest.append((uid, value, key, status))
    out = {k: _concat(v, CHUNK_TABLES[k]) for k, v in parts.items()}
    out["manifest"] = pd.DataFrame(manifest, columns=registry.columns("panel_manifest"))
    return out


def _analyse_in_place(
    unit: Study,
    source: Source,
    rows: RawTable,
    recorded: pd.DataFrame | None,
    unit_dir: Path,
    figures: UnitDrawer | None,
) -> dict[str, pd.DataFrame]:
    """Every stage of one model (:func:`xenoflow.stages.analyse_study`), written into a
    staging folder next to ``unit_dir`` and moved into place whole: a model's folder is
    complete or absent, also after a crash. Returns the unit's cross-model rows."""
    staging = unit_dir.with_name(f".{unit_dir.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(unit_dir, ignore_errors=True)
    try:
        encoded: dict[str, io.Encoded] = {}
        tables = stages.analyse_study(unit, source, rows, recorded, encoded)
        write_unit(unit, tables, encoded, staging, figures)
        records = unit_records(unit, tables)
        os.replace(staging, unit_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return records


_RECORDS = ("curves", "summary", "qc")


def _record_paths(cache: Path) -> dict[str, Path]:
    return {name: cache / "_records" / f"{name}.tsv" for name in _RECORDS}


def _store_records(cache: Path, records: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Keep a unit's cross-model rows next to its cached outputs (a restored unit then costs
    three small reads instead of re-reading all its tables); returns them as they read back,
    so computed and restored units give the same text in the chunk tables."""
    encoded = {n: io.encode(registry.table(CHUNK_TABLES[n]), df) for n, df in records.items()}
    for name, path in _record_paths(cache).items():
        io.write_encoded(encoded[name], path)
    return {name: text.frame() for name, text in encoded.items()}


def _cached_records(cache: Path) -> dict[str, pd.DataFrame] | None:
    paths = _record_paths(cache)
    if not all(p.is_file() for p in paths.values()):
        return None
    return {name: io.read_table(p, CHUNK_TABLES[name]) for name, p in paths.items()}


def _concat(frames: list[pd.DataFrame], name: str) -> pd.DataFrame:
    """Rows of several tables of the registry's table ``name`` (empty ones skipped)."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return io.empty_table(CHUNK_TABLES.get(name, name))
    with warnings.catch_warnings():  # pandas' all-NA-column dtype notice; columns are kept
        warnings.simplefilter("ignore", FutureWarning)
        return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------ whole panel


def read_chunk_tables(paths: Iterable[str | Path]) -> dict[str, list[pd.DataFrame]]:
    """The chunks' tables by name (``chunk_<i>.<name>.tsv`` -> name -> one frame per chunk)."""
    parts: dict[str, list[pd.DataFrame]] = {}
    for path in map(Path, paths):
        name = path.name.split(".")[-2]
        parts.setdefault(name, []).append(io.read_table(path, CHUNK_TABLES[name]))
    return parts


def panel_curves(chunk_tables: dict[str, list[pd.DataFrame]]) -> pd.DataFrame:
    """The chunks' per-curve rows, models in panel (natural) order."""
    curves = _concat(chunk_tables["curves"], "curves")
    order = _model_order(curves)
    curves = curves.sort_values("model", key=lambda s: s.map(order), kind="stable")
    return curves.reset_index(drop=True)


def _model_order(curves: pd.DataFrame) -> dict[str, int]:
    return {m: i for i, m in enumerate(sorted(set(curves["model"]), key=natural_key))}


def combine_chunks(
    study: Study, chunk_tables: dict[str, list[pd.DataFrame]]
) -> dict[str, pd.DataFrame]:
    """The panel's cross-model tables from its chunks' rows (models in panel order), by
    registry name, and the time-to-double endpoints (``ttd_endpoints``)."""
    curves = panel_curves(chunk_tables)
    summary = _concat(chunk_tables["summary"], "summary")
    order = _model_order(curves)
    summary = summary.sort_values("model", key=lambda s: s.map(order), kind="stable")
    arms = crossmodel.drug_order(curves, study.control)
    alpha = float(study.settings["alpha"])
    ttd, endpoints = crossmodel.time_to_double(curves, arms, study.control, alpha)
    return {
        "panel_curves": curves,
        "panel_summary": summary.reset_index(drop=True),
        "panel_qc": _concat(chunk_tables["qc"], "qc"),
        "mrecist_matrix": crossmodel.mrecist_matrix(curves, arms),
        "response_rates": crossmodel.response_rates(curves, arms, alpha),
        "time_to_double": ttd,
        "ttd_endpoints": endpoints,
    }


def figure_tables(
    study: Study, chunk_tables: dict[str, list[pd.DataFrame]]
) -> dict[str, pd.DataFrame]:
    """What the cross-model figures draw, from the chunks' ``curves`` rows alone:
    ``mrecist_matrix``, ``ttd_endpoints`` and ``time_to_double`` with the per-arm Kaplan–Meier
    columns only (its tests against control stay empty: the figure does not show them, and
    the figure job runs beside :func:`combine_chunks`, on the run's critical path)."""
    curves = panel_curves(chunk_tables)
    arms = crossmodel.drug_order(curves, study.control)
    ttd, endpoints = crossmodel.time_to_double(
        curves, arms, study.control, float(study.settings["alpha"]), compare=False
    )
    return {
        "mrecist_matrix": crossmodel.mrecist_matrix(curves, arms),
        "time_to_double": ttd,
        "ttd_endpoints": endpoints,
    }

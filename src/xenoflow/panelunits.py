"""The models of a panel (a study file with ``split_by``): each model's rows of the panel's
measurement file and its own study (:func:`unit_study`: own id, title, arms; the panel's
settings).

Kept apart from :mod:`xenoflow.panel` (chunks, cache, cross-model tables) so that
:mod:`xenoflow.panelplan`, which the Snakefile imports, can list a panel's models when its
manifest is stale without importing the stages."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from .config import Arm, Study
from .errors import InputError
from .ingest import natural_key, read_source

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def unit_id(study_id: str, value: str) -> str:
    """``<study_id>.<value>`` with characters outside letters, digits, ``_ . -`` as ``_``."""
    return f"{study_id}.{_UNSAFE.sub('_', value)}"


def split_column(study: Study, header: list[str]) -> int:
    """Position of the ``split_by`` column in the header (case-insensitive)."""
    lower = [h.lower() for h in header]
    assert study.split_by is not None
    if study.split_by.lower() not in lower:
        raise InputError(
            f"{study.data.name}: row {study.header_row}: column '{study.split_by}' (named by "
            f"'split_by' in {study.path.name}) is not in the header; the header "
            f"has: {', '.join(header)}"
        )
    return lower.index(study.split_by.lower())


def model_rows(study: Study, source: Any) -> dict[str, np.ndarray]:
    """Model value -> positions of its rows in ``source.table`` (models in natural order)."""
    pos = split_column(study, source.header)
    values = source.table.frame[pos].astype(str).to_numpy()
    empty = np.flatnonzero(values == "")
    if len(empty):
        raise InputError(
            f"{source.table.where(empty[0], source.header[pos])}: empty cell; "
            f"expected the model id ('split_by: {study.split_by}')"
        )
    groups = pd.Series(np.arange(len(values))).groupby(values, sort=False).indices
    return {v: groups[v] for v in sorted(groups, key=natural_key)}


def unit_study(
    study: Study, value: str, arms: list[str] | None = None, rows: Iterable[int] = ()
) -> Study:
    """The study of one model: own id, title and model name; the panel's settings. ``arms``:
    the arms the model's rows hold; its study lists those of the panel's arms (in the panel's
    order), or, for a panel without an arm list, those arms with the control first. ``rows``:
    the model's file rows, which select the panel's ``exclude`` entries that are its own."""
    unit = dataclasses.replace(
        study,
        study_id=unit_id(study.study_id, value),
        title=f"{study.title}: {value}",
        model=value,
        split_by=None,
        panel_id=study.study_id,
        split_value=value,
        exclude=tuple(e for e in study.exclude if e.row in set(rows)),
    )
    if arms is None:
        return unit
    if study.arms:  # an arm the panel does not list stays out: ingest names its row
        kept = tuple(a for a in study.arms if a.name in arms)
    else:
        ordered = [a for a in [study.control] if a in arms] + sorted(
            a for a in arms if a != study.control
        )
        kept = tuple(Arm(a) for a in ordered)
    return dataclasses.replace(unit, arms=kept)


def panel_units(study: Study) -> dict[str, Study]:
    """Unit id -> unit study for every model in a panel's measurement file."""
    source = read_source(study)
    present = set(source.table.rows.tolist())
    for i, entry in enumerate(study.exclude, start=1):
        if entry.row not in present:
            raise InputError(
                f"{study.path.name}: key 'exclude', entry {i} ({entry.describe()}): matches no "
                f"row of {study.data.name}; check the row number"
            )
    units: dict[str, Study] = {}
    for value in model_rows(study, source):
        unit = unit_study(study, value)
        if unit.study_id in units:
            raise InputError(
                f"{study.data.name}: column '{study.split_by}': models "
                f"'{units[unit.study_id].split_value}' and '{value}' give the same "
                f"unit id '{unit.study_id}'; rename one of them"
            )
        units[unit.study_id] = unit
    return units

"""Survival endpoints and the per-study survival analysis (issue 5).

Per mouse one ``(time_days, event)`` pair, event 1 = died or reached the humane endpoint,
0 = censored. Endpoints are either *recorded* (``survival_data:`` in the study file, which takes
precedence) or *derived* from the tumour volumes with ``endpoint_volume_mm3`` and the analysis
option ``endpoint_rule`` (see :func:`endpoints_from_volumes`). Estimators live in
:mod:`xenoflow.km` (Kaplan–Meier, medians, RMST) and :mod:`xenoflow.survtests` (log-rank family,
hazard ratios, ratio of medians); this module assembles the study tables.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import ConfigError, InputError
from .km import km_median_ci  # noqa: F401  (public re-export, used by the efficacy module)

PER_MOUSE_COLUMNS = ["arm", "mouse_id", "time_days", "event", "endpoint_rule"]
ENDPOINT_RULES = ("first_above", "last_below", "interpolate", "fold_baseline")


# --------------------------------------------------------------------------- derived endpoints


def _rule_label(rule: str, threshold_mm3: float | None, fold: float | None) -> str:
    if rule == "fold_baseline":
        return f"fold_baseline {fold:g}x"
    return f"{rule} {threshold_mm3:g} mm3"


def _first_index(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _one_mouse(days: np.ndarray, vols: np.ndarray, rule: str, threshold: float | None,
               fold: float | None, label: str) -> tuple[float, int, str]:
    """(time, event, endpoint_rule) for one mouse; days sorted, no missing volumes."""
    last = float(days[-1])
    if rule == "fold_baseline":
        assert fold is not None
        positive = np.flatnonzero(vols > 0)
        if positive.size == 0:
            return last, 0, label + " (no positive volume: censored)"
        start = 0 if vols[0] > 0 else int(positive[0])
        if start > 0:
            label += " (baseline = first positive volume)"
        limit = fold * vols[start]
        hit = _first_index(vols[start + 1:] >= limit)
        if hit is None:
            return last, 0, label
        return float(days[start + 1 + hit]), 1, label
    assert threshold is not None
    above = _first_index(vols > threshold)
    if above is None:
        return last, 0, label
    if rule == "first_above":
        return float(days[above]), 1, label
    if rule == "last_below":
        if above == 0:
            return float(days[0]), 1, label + " (first measurement above: event at first day)"
        return float(days[above - 1]), 1, label
    # interpolate
    if above == 0:
        return float(days[0]), 1, label + " (first measurement above: event at first day)"
    t0, t1 = float(days[above - 1]), float(days[above])
    v0, v1 = float(vols[above - 1]), float(vols[above])
    if v0 > 0:
        frac = (math.log(threshold) - math.log(v0)) / (math.log(v1) - math.log(v0))
    else:
        frac = (threshold - v0) / (v1 - v0)
        label += " (linear volume scale: zero volume before)"
    return t0 + frac * (t1 - t0), 1, label


def endpoints_from_volumes(measurements: pd.DataFrame, threshold_mm3: float | None = None,
                           rule: str = "first_above", fold: float | None = None) -> pd.DataFrame:
    """Derive one survival endpoint per mouse from tumour volumes (humane volume endpoint).

    Returns columns ``arm, mouse_id, time_days, event, endpoint_rule`` (one row per
    (arm, mouse_id), in the order of ``measurements``). Time is the study day (no shift).
    Measurements without a volume are ignored; a mouse with no volume at all is left out.

    Rules (anchors §2.8; TumGrowth ``Surv_km.R`` OS mode for ``last_below``):

    * ``first_above``: event at the first measured day with volume > threshold; a mouse that
      never exceeds it is censored at its last measured day (NCI/Hollingshead convention).
    * ``last_below``: TumGrowth OS mode: time = last measured day with volume <= threshold
      before the first exceedance, event = 1 when a later (exceeding) measurement exists, else
      censored at the last day. A mouse above the threshold at its first measurement has its
      event at that first day.
    * ``interpolate``: event at the time where log volume, linearly interpolated between the
      last measurement <= threshold and the first > threshold, equals log threshold:
      t = t0 + (ln T - ln v0) / (ln v1 - ln v0) * (t1 - t0). A zero v0 (complete regression)
      falls back to linear interpolation on the volume scale (noted in ``endpoint_rule``).
    * ``fold_baseline``: event at the first later day with volume >= fold x baseline, baseline
      = the mouse's first measured volume (its first positive volume if that is zero — noted);
      censored at the last measured day otherwise. ``threshold_mm3`` is not used.

    ``endpoint_rule`` records the rule and its parameter, e.g. ``first_above 2000 mm3``.
    """
    if rule not in ENDPOINT_RULES:
        raise ConfigError(f"analysis key 'endpoint_rule': '{rule}' is not one of "
                          f"{', '.join(ENDPOINT_RULES)}")
    if rule == "fold_baseline":
        if fold is None or not fold > 1:
            raise ConfigError("analysis key 'endpoint_fold': fold_baseline needs a fold > 1 "
                              f"(got {fold!r})")
    elif threshold_mm3 is None or not threshold_mm3 > 0:
        raise ConfigError(f"study key 'endpoint_volume_mm3': rule {rule} needs a positive "
                          f"threshold (got {threshold_mm3!r})")
    label = _rule_label(rule, threshold_mm3, fold)
    data = measurements.dropna(subset=["volume_mm3", "day"])
    rows = []
    for (arm, mouse), grp in data.groupby(["arm", "mouse_id"], sort=False):
        grp = grp.sort_values("day", kind="mergesort")
        time, event, text = _one_mouse(grp["day"].to_numpy(float), grp["volume_mm3"].to_numpy(float),
                                       rule, threshold_mm3, fold, label)
        rows.append((arm, mouse, time, event, text))
    out = pd.DataFrame(rows, columns=PER_MOUSE_COLUMNS)
    out["time_days"] = out["time_days"].astype(float)
    out["event"] = out["event"].astype(int)
    return out


# -------------------------------------------------------------------------- recorded endpoints


def read_survival_data(path: str | Path, columns: dict[str, str] | None = None,
                       arms: list[str] | None = None) -> pd.DataFrame:
    """Read and validate a recorded per-mouse survival table (``survival_data:``).

    ``columns`` maps canonical names (``arm, mouse_id, time_days, event``) to the file's names
    (``survival_columns:``). CSV (comma), TSV/TXT (tab) and XLSX are accepted. Checks: the four
    columns exist; ``event`` is 0 or 1; ``time_days`` is a number >= 0; ``arm`` is one of the
    study arms; each (arm, mouse_id) appears once. Any failure raises :class:`InputError`
    naming the file, the row (1-based data row, header = row 1 as a spreadsheet shows it), the
    column and what was expected. Returns ``arm, mouse_id, time_days, event, endpoint_rule``
    with ``endpoint_rule = "recorded"``.
    """
    path = Path(path)
    columns = columns or {}
    if not path.is_file():
        raise InputError(f"{path}: survival table not found")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            raw = pd.read_excel(path, dtype=str)
        else:
            sep = "," if suffix == ".csv" else "\t"
            raw = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_values=[""])
    except Exception as exc:  # pandas parser errors carry the detail
        raise InputError(f"{path}: cannot read the survival table: {exc}") from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    names = {c: columns.get(c, c) for c in ("arm", "mouse_id", "time_days", "event")}
    missing = [f"'{names[c]}'" + (f" (for {c})" if names[c] != c else "")
               for c in names if names[c] not in raw.columns]
    if missing:
        raise InputError(f"{path}: missing column {', '.join(missing)}; found columns "
                         f"{', '.join(map(repr, raw.columns))} (rename them with "
                         "survival_columns:)")
    out_rows = []
    seen: dict[tuple[str, str], int] = {}
    for i, rec in enumerate(raw.to_dict("records")):
        row = i + 2  # header is row 1
        where = f"{path}: row {row}"
        arm = rec[names["arm"]]
        mouse = rec[names["mouse_id"]]
        if pd.isna(arm) or str(arm).strip() == "":
            raise InputError(f"{where}, column '{names['arm']}': empty; expected an arm name")
        arm = str(arm).strip()
        if arms is not None and arm not in arms:
            raise InputError(f"{where}, column '{names['arm']}': unknown arm '{arm}'; expected one "
                             f"of {', '.join(arms)}")
        if pd.isna(mouse) or str(mouse).strip() == "":
            raise InputError(f"{where}, column '{names['mouse_id']}': empty; expected a mouse id")
        mouse = str(mouse).strip()
        text_t = rec[names["time_days"]]
        try:
            time = float(str(text_t).strip())
        except ValueError:
            time = float("nan")
        if not math.isfinite(time) or time < 0:
            raise InputError(f"{where}, column '{names['time_days']}': '{text_t}' is not a "
                             "number >= 0; expected the time in days")
        text_e = rec[names["event"]]
        try:
            event = float(str(text_e).strip())
        except ValueError:
            event = float("nan")
        if event not in (0.0, 1.0):
            raise InputError(f"{where}, column '{names['event']}': '{text_e}' is not 0 or 1; "
                             "expected 1 = died or reached the endpoint, 0 = censored")
        key = (arm, mouse)
        if key in seen:
            raise InputError(f"{where}, column '{names['mouse_id']}': mouse '{mouse}' of arm "
                             f"'{arm}' already appears on row {seen[key]}; expected one row "
                             "per mouse")
        seen[key] = row
        out_rows.append((arm, mouse, time, int(event), "recorded"))
    out = pd.DataFrame(out_rows, columns=PER_MOUSE_COLUMNS)
    out["time_days"] = out["time_days"].astype(float)
    if arms is not None and not out.empty:
        order = {a: i for i, a in enumerate(arms)}
        out = (out.assign(_o=out["arm"].map(order)).sort_values(["_o", "mouse_id"], kind="mergesort")
               .drop(columns="_o").reset_index(drop=True))
    return out


def study_endpoints(study: Any, measurements: pd.DataFrame | None) -> pd.DataFrame | None:
    """Per-mouse endpoints of a study: recorded table first, else derived, else ``None``.

    ``None`` means the study configures no survival endpoint (neither ``survival_data`` nor
    ``endpoint_volume_mm3``).
    """
    if study.survival_data is not None:
        return read_survival_data(study.survival_data, study.survival_columns, study.arm_names)
    if study.endpoint_volume_mm3 is None:
        return None
    if measurements is None:
        raise ValueError("derived endpoints need the measurement table")
    settings = study.settings
    return endpoints_from_volumes(measurements, study.endpoint_volume_mm3,
                                  settings.get("endpoint_rule", "first_above"),
                                  settings.get("endpoint_fold"))

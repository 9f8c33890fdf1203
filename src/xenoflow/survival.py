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
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import survtests as st
from .config import Study
from .errors import ConfigError, InputError
from .io import empty_exclusions, empty_frame, exclusions_frame
from .km import (
    km_median_ci,
    median_flat,
    rmst,
)  # km_median_ci is re-exported for the efficacy module
from .stats import complete_rows, mouse_curves, positions
from .tables import columns, table

PER_MOUSE_COLUMNS = [c.name for c in table("survival_per_mouse").columns if not c.optional]
ENDPOINT_RULES = ("first_above", "last_below", "interpolate", "fold_baseline")


# --------------------------------------------------------------------------- derived endpoints


def _rule_label(rule: str, threshold_mm3: float | None, fold: float | None) -> str:
    if rule == "fold_baseline":
        return f"fold_baseline {fold:g}x"
    return f"{rule} {threshold_mm3:g} mm3"


def _first_index(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _one_mouse(
    days: np.ndarray,
    vols: np.ndarray,
    rule: str,
    threshold: float | None,
    fold: float | None,
    label: str,
) -> tuple[float, int, str]:
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
        hit = _first_index(vols[start + 1 :] >= limit)
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


def endpoints_from_volumes(
    measurements: pd.DataFrame,
    threshold_mm3: float | None = None,
    rule: str = "first_above",
    fold: float | None = None,
) -> pd.DataFrame:
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
        raise ConfigError(
            f"analysis key 'endpoint_rule': '{rule}' is not one of {', '.join(ENDPOINT_RULES)}"
        )
    if rule == "fold_baseline":
        if fold is None or not fold > 1:
            raise ConfigError(
                f"analysis key 'endpoint_fold': fold_baseline needs a fold > 1 (got {fold!r})"
            )
    elif threshold_mm3 is None or not threshold_mm3 > 0:
        raise ConfigError(
            f"study key 'endpoint_volume_mm3': rule {rule} needs a positive "
            f"threshold (got {threshold_mm3!r})"
        )
    label = _rule_label(rule, threshold_mm3, fold)
    data = complete_rows(measurements, ["volume_mm3", "day"])
    columns: list[list[Any]] = [[], [], [], [], []]
    for arm, mouse, days, volumes in mouse_curves(data):
        time, event, text = _one_mouse(days, volumes, rule, threshold_mm3, fold, label)
        for column, value in zip(columns, (arm, mouse, time, event, text)):
            column.append(value)
    arms, mice, times, events, texts = columns
    if not arms:
        return empty_frame(PER_MOUSE_COLUMNS).astype({"time_days": float, "event": int})
    return pd.DataFrame(
        {
            "arm": arms,
            "mouse_id": mice,
            "time_days": np.array(times, dtype=float),
            "event": np.array(events, dtype=int),
            "endpoint_rule": texts,
        },
        columns=PER_MOUSE_COLUMNS,
    )


# -------------------------------------------------------------------------- recorded endpoints


def read_survival_file(path: str | Path) -> pd.DataFrame:
    """The text cells of a recorded survival table (CSV comma, TSV/TXT tab, XLSX), headers
    stripped; :class:`InputError` when it is missing or unreadable."""
    path = Path(path)
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
    return raw


def read_survival_data(
    path: str | Path,
    columns: dict[str, str] | None = None,
    arms: list[str] | None = None,
    measurements: pd.DataFrame | None = None,
    measurements_source: str = "the measurement table",
    raw: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Read and validate a recorded per-mouse survival table (``survival_data:``); ``raw``: the
    file's text cells when already read (:func:`read_survival_file`).

    ``columns`` maps canonical names (``arm, mouse_id, time_days, event``) to the file's names
    (``survival_columns:``). CSV (comma), TSV/TXT (tab) and XLSX are accepted. Checks: the four
    columns exist; ``event`` is 0 or 1; ``time_days`` is a number >= 0; ``arm`` is one of the
    study arms; each (arm, mouse_id) appears once. With ``measurements`` (the canonical
    measurement table, named ``measurements_source`` in messages) every listed mouse must have
    measurements, and a recorded event (event = 1) may not come before a later measurement of
    the same mouse (a dead mouse cannot be measured; a death after the last caliper measurement
    is normal and accepted, as is censoring at any time). Mouse ids written as numbers by a
    spreadsheet (``1.0``) are read as ``1``, as in ingest. Any failure raises
    :class:`InputError` naming the file, the row (1-based data row, header = row 1 as a
    spreadsheet shows it), the column and what was expected. Returns ``arm, mouse_id,
    time_days, event, endpoint_rule`` with ``endpoint_rule = "recorded"``.
    """
    path = Path(path)
    columns = columns or {}
    raw = read_survival_file(path) if raw is None else raw
    names = {c: columns.get(c, c) for c in ("arm", "mouse_id", "time_days", "event")}
    # optional cause of death: mapped, or a column named cause (any case)
    cause_col = columns.get("cause") or next(
        (c for c in raw.columns if str(c).lower() == "cause"), None
    )
    if cause_col is not None and cause_col not in raw.columns:
        raise InputError(
            f"{path}: row 1: missing column '{cause_col}' (for cause); found columns "
            f"{', '.join(map(repr, raw.columns))}"
        )
    missing = [
        f"'{names[c]}'" + (f" (for {c})" if names[c] != c else "")
        for c in names
        if names[c] not in raw.columns
    ]
    if missing:
        raise InputError(
            f"{path}: row 1: missing column {', '.join(missing)}; found columns "
            f"{', '.join(map(repr, raw.columns))} (rename them with "
            "survival_columns:)"
        )
    out_rows = []
    seen: dict[tuple[str, str], int] = {}
    last_day: dict[tuple[str, str], float] = {}
    if measurements is not None:
        measured = measurements.dropna(subset=["day"])
        last_day = {
            (str(a), str(m)): float(d)
            for (a, m), d in measured.groupby(["arm", "mouse_id"], sort=False)["day"].max().items()
        }
    measured_arms = list(dict.fromkeys(a for a, _ in last_day))
    for i, rec in enumerate(raw.to_dict("records")):
        row = i + 2  # header is row 1
        where = f"{path}: row {row}"
        arm = rec[names["arm"]]
        mouse = rec[names["mouse_id"]]
        if pd.isna(arm) or str(arm).strip() == "":
            raise InputError(f"{where}, column '{names['arm']}': empty; expected an arm name")
        arm = str(arm).strip()
        if arms is not None and arm not in arms:
            raise InputError(
                f"{where}, column '{names['arm']}': unknown arm '{arm}'; expected one "
                f"of {', '.join(arms)}"
            )
        if pd.isna(mouse) or str(mouse).strip() == "":
            raise InputError(f"{where}, column '{names['mouse_id']}': empty; expected a mouse id")
        mouse = str(mouse).strip()
        if re.fullmatch(r"-?\d+\.0", mouse):  # a spreadsheet's 1.0 is mouse 1 (as ingest)
            mouse = mouse[:-2]
        text_t = rec[names["time_days"]]
        try:
            time = float(str(text_t).strip())
        except ValueError:
            time = float("nan")
        if not math.isfinite(time) or time < 0:
            raise InputError(
                f"{where}, column '{names['time_days']}': '{text_t}' is not a "
                "number >= 0; expected the time in days"
            )
        text_e = rec[names["event"]]
        try:
            event = float(str(text_e).strip())
        except ValueError:
            event = float("nan")
        if event not in (0.0, 1.0):
            raise InputError(
                f"{where}, column '{names['event']}': '{text_e}' is not 0 or 1; "
                "expected 1 = died or reached the endpoint, 0 = censored"
            )
        cause = ""
        if cause_col is not None:
            cause = _cause(rec[cause_col], int(event), f"{where}, column '{cause_col}'")
        key = (arm, mouse)
        if key in seen:
            raise InputError(
                f"{where}, column '{names['mouse_id']}': mouse '{mouse}' of arm "
                f"'{arm}' already appears on row {seen[key]}; expected one row "
                "per mouse"
            )
        seen[key] = row
        if measurements is not None:
            _check_against_measurements(
                where,
                names,
                arm,
                mouse,
                time,
                int(event),
                last_day,
                measured_arms,
                measurements_source,
            )
        tumour_event = int(event) if cause in ("", "tumour") else 0
        out_rows.append((arm, mouse, time, tumour_event, "recorded", cause))
    out = pd.DataFrame(out_rows, columns=[*PER_MOUSE_COLUMNS, "cause"])
    out["time_days"] = out["time_days"].astype(float)
    if cause_col is None:
        out = out.drop(columns="cause")
    if arms is not None and not out.empty:
        order = {a: i for i, a in enumerate(arms)}
        out = (
            out.assign(_o=out["arm"].map(order))
            .sort_values(["_o", "mouse_id"], kind="mergesort")
            .drop(columns="_o")
            .reset_index(drop=True)
        )
    return out


def _cause(text: object, event: int, where: str) -> str:
    """The canonical cause of a recorded row (:data:`xenoflow.tolerability.CAUSES`, any case):
    ``tumour``, ``toxicity``, ``other``; "" for a censored mouse (event 0, cause empty)."""
    from .tolerability import CAUSES

    value = "" if pd.isna(text) else str(text).strip().lower()
    if value == "":
        if event == 1:
            raise InputError(
                f"{where}: empty for a recorded event; expected tumour, toxicity or other"
            )
        return ""
    if value not in CAUSES:
        raise InputError(
            f"{where}: '{text}' is not a cause of death; expected tumour, toxicity or other "
            "(any case), or empty for a censored mouse"
        )
    if event == 0:
        raise InputError(
            f"{where}: cause '{text}' for a censored mouse (event 0); expected an empty cell, "
            "or event 1 for a death"
        )
    return CAUSES[value]


def _check_against_measurements(
    where: str,
    names: dict[str, str],
    arm: str,
    mouse: str,
    time: float,
    event: int,
    last_day: dict[tuple[str, str], float],
    measured_arms: list[str],
    source: str,
) -> None:
    """One recorded row against the measurements (see :func:`read_survival_data`)."""
    if arm not in measured_arms:
        raise InputError(
            f"{where}, column '{names['arm']}': arm '{arm}' has no measurements in "
            f"{source}; expected one of {', '.join(measured_arms)}"
        )
    last = last_day.get((arm, mouse))
    if last is None:
        raise InputError(
            f"{where}, column '{names['mouse_id']}': mouse '{mouse}' of arm "
            f"'{arm}' has no measurements in {source}; expected a mouse of the "
            "measurement table (same arm and mouse id)"
        )
    if event == 1 and time < last:
        raise InputError(
            f"{where}, column '{names['time_days']}': mouse '{mouse}' of arm "
            f"'{arm}' reached the endpoint on day {time:g} but was measured later, "
            f"on day {last:g} ({source}); expected a time >= {last:g} for a "
            "recorded event, or event 0 (censored)"
        )


def study_endpoints(
    study: Study, measurements: pd.DataFrame | None, recorded: pd.DataFrame | None = None
) -> pd.DataFrame | None:
    """Per-mouse endpoints of a study: recorded table first, else derived, else ``None``.

    ``recorded``: the text cells of the study's ``survival_data`` file
    (:func:`read_survival_file`); read here when not given.

    A recorded table is checked against ``measurements`` when given (mice must be measured; no
    recorded event before a later measurement). ``None`` means the study configures no
    survival endpoint (neither ``survival_data`` nor
    ``endpoint_volume_mm3``). Derived endpoints use ``settings["endpoint_rule"]``; with
    ``fold_baseline`` the threshold is not used but ``endpoint_volume_mm3`` must still be set to
    switch the survival analysis on.
    """
    if study.survival_data is not None:
        arms = study.arm_names or None  # a study without an `arms:` list takes the table's arms
        return read_survival_data(
            study.survival_data,
            study.survival_columns,
            arms,
            measurements,
            study.data.name,
            raw=recorded,
        )
    if study.endpoint_volume_mm3 is None:
        return None
    if measurements is None:
        raise ValueError("derived endpoints need the measurement table")
    settings = study.settings
    return endpoints_from_volumes(
        measurements,
        study.endpoint_volume_mm3,
        settings.get("endpoint_rule", "first_above"),
        settings.get("endpoint_fold"),
    )


def endpoint_exclusions(
    measurements: pd.DataFrame | None, endpoints: pd.DataFrame | None, source: str = ""
) -> pd.DataFrame:
    """Mice of the measurement table that have no survival endpoint (stage ``survival``).

    Columns ``stage, arm, mouse_id, day, reason`` (day empty: whole mouse), as DEVELOPING.md
    asks of every stage. A mouse is listed when it has measurements but no endpoint: with a
    recorded table because the table does not list it (``source`` names the file), with
    derived endpoints because it has no measured volume.
    """
    if measurements is None or endpoints is None or measurements.empty:
        return empty_exclusions()
    have = set(zip(map(str, endpoints["arm"].tolist()), map(str, endpoints["mouse_id"].tolist())))
    mice = dict.fromkeys(
        zip(map(str, measurements["arm"].tolist()), map(str, measurements["mouse_id"].tolist()))
    )
    reason = (
        f"not listed in the recorded survival table {source}".rstrip()
        if source
        else "no measured volume: no survival endpoint"
    )
    return exclusions_frame(
        ("survival", a, m, float("nan"), reason) for a, m in mice if (a, m) not in have
    )


# ------------------------------------------------------------------------------ analysis tables

PER_ARM_COLUMNS = columns("survival")
#: Fewest mice an arm needs for a Kaplan–Meier estimate or a two-arm test; one-mouse arms (PDX
#: clinical-trial designs) keep their per-mouse endpoint only.
MIN_MICE_KM = 2
TEST_COLUMNS = columns("survival_tests")
OVERALL_COLUMNS = columns("survival_overall")
EFS_ARM_COLUMNS = columns("event_free_survival")
EFS_TEST_COLUMNS = columns("event_free_survival_tests")
#: Causes of death that end event-free survival (a death of another cause stays censored).
EFS_CAUSES = ("tumour", "toxicity")
NO_TOXIC_DEATH_NOTE = (
    "no toxic death recorded: event-free survival equals the tumour endpoint (survival.tsv)"
)
NO_ENDPOINT_NOTE = (
    "no survival endpoint configured: set endpoint_volume_mm3 or survival_data in the study file"
)


def _arm_order(endpoints: pd.DataFrame, arms: list[str]) -> list[str]:
    present = list(dict.fromkeys(endpoints["arm"].tolist()))
    return [a for a in arms if a in present] + [a for a in present if a not in arms]


def per_arm_summary(endpoints: pd.DataFrame, arms: list[str], alpha: float = 0.05) -> pd.DataFrame:
    """Per arm: n, events, KM median with 100(1-alpha)% CI, RMST to a common horizon.

    Median and CI as :func:`xenoflow.km.km_median_ci` (R ``survfit``, log transform, midpoint
    rule; empty = not reached). RMST (:func:`xenoflow.km.rmst`) is integrated to the common
    horizon tau = the smallest of the arms' last follow-up times (event or censoring), so every
    arm's curve is observed up to tau and the values are comparable; tau is given in
    ``rmst_horizon_days``. ``median_followup_days``: median follow-up by the reverse
    Kaplan–Meier method (censoring treated as the event; Schemper & Smith 1996, Control Clin
    Trials 17:343; as TumGrowth reports it). Arms listed in ``arms`` without any mouse get n = 0.
    """
    rows_of = positions(endpoints["arm"].tolist())  # arm -> row positions
    order = _arm_order(endpoints, arms) + [a for a in arms if a not in rows_of]
    times = endpoints["time_days"].to_numpy(dtype=float)
    events = endpoints["event"].to_numpy(dtype=float)
    # fmax / nansum skip missing values, as the pandas max and sum did
    horizon = min(
        (np.fmax.reduce(times[rows_of[a]]) for a in order if a in rows_of), default=float("nan")
    )
    rows = []
    for arm in order:
        if arm not in rows_of:
            rows.append(
                (arm, 0, 0, float("nan"), True, *(float("nan"),) * 3, horizon, float("nan"), "")
            )
            continue
        t, e = times[rows_of[arm]], events[rows_of[arm]]
        if len(t) < MIN_MICE_KM:
            rows.append(
                (
                    arm,
                    len(t),
                    int(np.nansum(e)),
                    float("nan"),
                    True,
                    *(float("nan"),) * 3,
                    horizon,
                    float("nan"),
                    f"{len(t)} mouse: no Kaplan-Meier estimate (needs >= "
                    f"{MIN_MICE_KM} mice); see survival_per_mouse",
                )
            )
            continue
        med, lo, hi = km_median_ci(t, e, alpha)
        followup = km_median_ci(t, 1 - e, alpha)[0]
        flat = median_flat(t, e)
        note = (
            ""
            if flat is None
            else f"Kaplan-Meier curve flat at exactly 50% from day {flat[0]:g} to day "
            f"{flat[1]:g}: no unique median (the usual convention quotes day {med:g})"
        )
        rows.append(
            (
                arm,
                len(t),
                int(e.sum()),
                med,
                flat is None,
                lo,
                hi,
                rmst(t, e, horizon),
                horizon,
                followup,
                note,
            )
        )
    out = pd.DataFrame(rows, columns=PER_ARM_COLUMNS)
    for column in ("n", "events"):  # astype with a dict checks every column: ~1 ms
        out[column] = out[column].astype(int)
    return out


def comparison_pairs(
    arms: list[str], control: str, between_treated: bool = True
) -> list[tuple[str, str, str]]:
    """(arm, reference, kind): every treated arm vs control, then (``between_treated``) every
    pair of treated arms (the later-listed arm vs the earlier one, e.g. high dose vs low
    dose)."""
    treated = [a for a in arms if a != control]
    pairs = [(a, control, "vs control") for a in treated] if control in arms else []
    for i, ref in enumerate(treated if between_treated else []):
        for arm in treated[i + 1 :]:
            pairs.append((arm, ref, "between treated"))
    return pairs


def _hr_flag(sep: float, events_arm: int, events_ref: int) -> str:
    if events_arm + events_ref == 0:
        return "no events: no hazard ratio"
    if sep < 0:
        return (
            "complete separation (monotone likelihood): the Cox hazard ratio tends to 0, with "
            "no finite estimate; see the Firth-penalised hazard ratio"
        )
    if sep > 0:
        return (
            "complete separation (monotone likelihood): the Cox hazard ratio tends to "
            "infinity, with no finite estimate; see the Firth-penalised hazard ratio"
        )
    return ""


def _no_median_ratio(curves: dict[str, tuple[Sequence[float], Sequence[float]]]) -> str:
    """Why a ratio of median survival times is not defined for these arms ('' when it is):
    an arm whose median is not reached, or whose Kaplan–Meier curve is flat at exactly 50%
    (:func:`xenoflow.km.median_flat`: its median is a convention, so a ratio of it is not an
    estimate)."""
    reasons = []
    for arm, (t, e) in curves.items():
        if not len(t):
            continue
        flat = median_flat(t, e)
        if flat is not None:
            reasons.append(
                f"the median of {arm} is not unique: its Kaplan-Meier curve is flat at exactly 50% "
                f"from day {flat[0]:g} to day {flat[1]:g}"
            )
        elif not math.isfinite(km_median_ci(t, e)[0]):
            reasons.append(f"the median of {arm} was not reached")
    return "no ratio of medians: " + " and ".join(reasons) if reasons else ""


#: ``survival_tests.note`` when the log-rank variance is singular (:func:`xenoflow.survtests.chisq_from_table`)
NO_LOGRANK = "every mouse at risk had its event at the same time, so the test has no variance"


def compare_two(
    endpoints: pd.DataFrame, arm: str, reference: str, alpha: float = 0.05, firth: bool = True
) -> dict[str, Any]:
    """All two-arm statistics of ``arm`` against ``reference`` (one ``survival_tests`` row).

    Log-rank (Mantel–Cox) and Gehan–Breslow–Wilcoxon chi-square/p; Cox PH HR (Efron) with
    Wald CI and LR p, replaced by NaN and explained in ``hr_flag`` under complete separation;
    Prism's Mantel–Haenszel and O/E hazard ratios; Firth-penalised HR; ratio of medians
    (arm / reference) with Prism's CI and the percent increase in median survival
    100 (ratio - 1), left empty with a ``note`` when a median is not reached or not unique
    (:func:`_no_median_ratio`). HR < 1 means the arm reaches the endpoint later than the reference.
    ``firth=False`` leaves out the Firth HR (its profile-likelihood CI is the costliest part).
    """
    sub = endpoints[endpoints["arm"].isin([arm, reference])]
    t = sub["time_days"].to_numpy(float)
    e = sub["event"].to_numpy(float)
    g = sub["arm"].to_numpy(object)
    x = (g == arm).astype(float)
    ev_a, ev_r = int(e[x == 1].sum()), int(e[x == 0].sum())
    row: dict[str, Any] = {
        "arm": arm,
        "reference": reference,
        "n_arm": int((x == 1).sum()),
        "n_reference": int((x == 0).sum()),
        "events_arm": ev_a,
        "events_reference": ev_r,
    }
    lr_chisq, lr_df, lr_p = st.logrank(t, e, g, (arm, reference))
    gbw_chisq, gbw_df, gbw_p = st.logrank(t, e, g, (arm, reference), weighting="gehan")
    row.update(
        logrank_chisq=lr_chisq if lr_df else float("nan"),
        logrank_p=lr_p,
        gbw_chisq=gbw_chisq if gbw_df else float("nan"),
        gbw_p=gbw_p,
    )
    if row["n_arm"] and row["n_reference"]:
        cox = st.cox_binary(t, e, x, alpha)
        row.update({k: cox[k] for k in ("hr", "hr_ci_low", "hr_ci_high", "hr_p")})
        row["hr_flag"] = _hr_flag(cox["separation"], ev_a, ev_r)
        row.update(st.hazard_ratios_logrank(t, e, g, arm, reference, alpha))
        if firth:
            row.update(st.cox_firth(t, e, x, alpha))
    else:
        row["hr_flag"] = "an arm has no mice"
    med_a = km_median_ci(t[x == 1], e[x == 1], alpha)[0] if row["n_arm"] else float("nan")
    med_r = km_median_ci(t[x == 0], e[x == 0], alpha)[0] if row["n_reference"] else float("nan")
    ratio, lo, hi = st.median_ratio_ci(med_a, med_r, ev_a, ev_r, alpha)
    why = _no_median_ratio({arm: (t[x == 1], e[x == 1]), reference: (t[x == 0], e[x == 0])})
    if why:
        ratio, lo, hi = float("nan"), float("nan"), float("nan")
    if lr_df and np.isnan(lr_p):
        # st.chisq_from_table: a singular variance (no information on the arms)
        why = "; ".join(
            x for x in (f"no log-rank test of {arm} against {reference}: {NO_LOGRANK}", why) if x
        )
    if why:
        row["note"] = why
    row.update(
        median_arm_days=med_a,
        median_reference_days=med_r,
        median_ratio=ratio,
        median_ratio_ci_low=lo,
        median_ratio_ci_high=hi,
        median_increase_pct=100 * (ratio - 1),
    )
    return row


def comparisons(
    endpoints: pd.DataFrame,
    arms: list[str],
    control: str,
    alpha: float = 0.05,
    between_treated: bool = True,
) -> pd.DataFrame:
    """``survival_tests`` table: one row per pair of :func:`comparison_pairs`.

    ``p_holm`` = Holm-adjusted log-rank p over all rows of the table (one family: the
    vs-control and the between-treated comparisons together).
    """
    present = _arm_order(endpoints, arms)
    n = endpoints.groupby("arm").size()
    rows: list[dict[str, Any]] = []
    if control not in present:
        rows.append(
            {
                "reference": control,
                "comparison": "vs control",
                "note": f"no control arm '{control}' in the data: comparisons with control skipped",
            }
        )
    for arm, ref, kind in comparison_pairs(present, control, between_treated):
        if min(n.get(arm, 0), n.get(ref, 0)) < MIN_MICE_KM:
            rows.append(
                {
                    "arm": arm,
                    "reference": ref,
                    "comparison": kind,
                    "n_arm": int(n.get(arm, 0)),
                    "n_reference": int(n.get(ref, 0)),
                    "note": f"skipped: an arm has fewer than {MIN_MICE_KM} mice (log-rank "
                    "and hazard ratios need replicates)",
                }
            )
            continue
        row = compare_two(endpoints, arm, ref, alpha)
        row["comparison"] = kind
        row.setdefault("note", "")
        rows.append(row)
    out = pd.DataFrame(rows, columns=TEST_COLUMNS)
    if not out.empty:
        out["p_holm"] = st.holm(out["logrank_p"].to_numpy(float))
    return out


def overall_tests(endpoints: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    """k-arm log-rank, Gehan–Breslow–Wilcoxon and log-rank trend tests (>= 3 arms with mice).

    Overall = ``survdiff(Surv(time_days, event) ~ arm, rho = 0)`` chi-square on k - 1 df; trend
    = :func:`xenoflow.survtests.logrank_trend` with scores 1..k in study arm order (only
    meaningful when that order is a dose order). With fewer arms a note row says so.
    """
    n = endpoints.groupby("arm").size()
    present = [a for a in _arm_order(endpoints, arms) if n.get(a, 0) >= MIN_MICE_KM]
    if len(present) < 3:
        return pd.DataFrame(
            [
                {
                    "test": "",
                    "arms": " | ".join(present),
                    "note": f"fewer than 3 arms with >= {MIN_MICE_KM} mice: overall and trend "
                    "tests are the pairwise tests",
                }
            ],
            columns=OVERALL_COLUMNS,
        )
    endpoints = endpoints[endpoints["arm"].isin(present)]
    t = endpoints["time_days"].to_numpy(float)
    e = endpoints["event"].to_numpy(float)
    g = endpoints["arm"].to_numpy(object)
    label = " | ".join(present)
    rows = []
    for name, weighting in (("logrank_overall", "logrank"), ("gbw_overall", "gehan")):
        chisq, df, p = st.logrank(t, e, g, present, weighting)
        rows.append(
            {
                "test": name,
                "arms": label,
                "scores": "",
                "chisq": chisq,
                "df": df,
                "p": p,
                "note": "",
            }
        )
    chisq, p = st.logrank_trend(t, e, g, present)
    rows.append(
        {
            "test": "logrank_trend",
            "arms": label,
            "scores": " ".join(str(i) for i in range(1, len(present) + 1)),
            "chisq": chisq,
            "df": 1,
            "p": p,
            "note": "scores follow the study's arm order (meaningful for ordered doses)",
        }
    )
    return pd.DataFrame(rows, columns=OVERALL_COLUMNS)


def event_free(endpoints: pd.DataFrame | None) -> pd.DataFrame | None:
    """Per-mouse endpoints of event-free survival: the tumour endpoint *or* a toxic death.

    ``event`` = 1 when the mouse reached the tumour endpoint (``event`` of the tumour analysis)
    or died with cause ``toxicity``; a death of cause ``other`` stays censored (an accident or
    a technical loss says nothing about the regimen). A tumour analysis censors a toxic death,
    which flatters a toxic regimen: its deaths leave the risk set as if they had been spared
    (NCI/DTP practice, Plowman et al. 1997; Corbett et al. 2003 in *Anticancer Drug
    Development Guide*, count drug deaths apart from tumour deaths). ``None`` when no cause is
    recorded or no mouse died of toxicity (then event-free survival is the tumour endpoint).
    """
    if endpoints is None or "cause" not in endpoints:
        return None
    toxic = endpoints["cause"].fillna("").astype(str).eq("toxicity")
    if not toxic.any():
        return None
    out = endpoints.copy()
    out["event"] = (out["event"].astype(int).astype(bool) | toxic).astype(int)
    return out


def event_free_tables(
    endpoints: pd.DataFrame | None,
    arms: list[str],
    control: str,
    alpha: float = 0.05,
    between_treated: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``event_free_survival`` (per arm, as :func:`per_arm_summary` plus ``toxic_deaths``) and
    ``event_free_survival_tests`` (as :func:`comparisons`) of :func:`event_free` endpoints.
    Without a toxic death: one note row and a header-only test table."""
    efs = event_free(endpoints)
    if efs is None:
        note = NO_TOXIC_DEATH_NOTE if endpoints is not None else NO_ENDPOINT_NOTE
        return (
            pd.DataFrame([{"note": note}], columns=EFS_ARM_COLUMNS),
            empty_frame(EFS_TEST_COLUMNS),
        )
    per_arm = per_arm_summary(efs, arms, alpha)
    toxic = efs["cause"].fillna("").astype(str).eq("toxicity").groupby(efs["arm"]).sum()
    per_arm["toxic_deaths"] = per_arm["arm"].map(toxic).fillna(0).astype(int)
    tests = comparisons(efs, arms, control, alpha, between_treated)
    return per_arm.reindex(columns=EFS_ARM_COLUMNS), tests.reindex(columns=EFS_TEST_COLUMNS)


@dataclass(frozen=True)
class SurvivalResult:
    """All survival tables of a study, named as their registry tables: ``survival_per_mouse``,
    ``survival`` (per arm), ``survival_tests``, ``survival_overall`` and event-free survival
    (:func:`event_free_tables`)."""

    survival_per_mouse: pd.DataFrame
    survival: pd.DataFrame
    survival_tests: pd.DataFrame
    survival_overall: pd.DataFrame
    event_free_survival: pd.DataFrame
    event_free_survival_tests: pd.DataFrame


def analyse(
    endpoints: pd.DataFrame | None,
    arms: list[str],
    control: str,
    alpha: float = 0.05,
    between_treated: bool = True,
) -> SurvivalResult:
    """All survival tables of a study (:class:`SurvivalResult`).

    ``endpoints`` = :func:`study_endpoints` output; ``None`` (no endpoint configured) gives
    header-only tables and a note row in ``survival_overall``. ``between_treated=False``
    compares each treated arm with the control only (panel models: different drugs, not doses
    of one).
    """
    efs, efs_tests = event_free_tables(endpoints, arms, control, alpha, between_treated)
    if endpoints is None:
        return SurvivalResult(
            survival_per_mouse=empty_frame(PER_MOUSE_COLUMNS),
            survival=empty_frame(PER_ARM_COLUMNS),
            survival_tests=empty_frame(TEST_COLUMNS),
            survival_overall=pd.DataFrame([{"note": NO_ENDPOINT_NOTE}], columns=OVERALL_COLUMNS),
            event_free_survival=efs,
            event_free_survival_tests=efs_tests,
        )
    return SurvivalResult(
        survival_per_mouse=endpoints[
            PER_MOUSE_COLUMNS + (["cause"] if "cause" in endpoints else [])
        ],
        survival=per_arm_summary(endpoints, arms, alpha),
        survival_tests=comparisons(endpoints, arms, control, alpha, between_treated),
        survival_overall=overall_tests(endpoints, arms),
        event_free_survival=efs,
        event_free_survival_tests=efs_tests,
    )

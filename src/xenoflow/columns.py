"""Descriptions of the columns of xenoflow's tables (README sheet of ``study.xlsx``).

Names follow one convention, so a column without an explicit entry is described from its
suffix: ``_pct`` percent, ``_mm3`` cubic millimetres, ``_days`` days, ``_per_day`` per day,
``_ci_low``/``_ci_high`` confidence bounds, ``_p`` p-value.
"""

from __future__ import annotations

from typing import Mapping

import pandas as pd

DESCRIPTIONS: dict[str, str] = {
    "stage": "analysis step that left the item out",
    "arm": "treatment arm (group) as named in the data",
    "mouse_id": "mouse identifier within its arm",
    "day": "study day of the measurement",
    "volume_mm3": "tumour volume (mm3)",
    "length_mm": "caliper length, the longest diameter (mm)",
    "width_mm": "caliper width, perpendicular to the length (mm)",
    "body_weight_g": "body weight (g)",
    "reason": "why the item was left out",
    "message": "what was noticed",
    "reference": "arm the row is compared with",
    "n": "number of mice",
    "n_mice": "number of mice measured",
    "events": "number of events (death or humane endpoint)",
    "event": "1 = died or reached the humane endpoint, 0 = censored",
    "time_days": "time to event or censoring (days)",
    "endpoint_rule": "how the survival endpoint was obtained",
    "p_value_method": "test that produced p_value",
    "model": "statistical model used",
    "hr": "hazard ratio (treated vs reference), Cox proportional hazards, Efron ties",
    "hr_flag": "why the Cox hazard ratio is not reported (e.g. complete separation)",
    "hr_mh": "hazard ratio by the Mantel-Haenszel method (GraphPad Prism)",
    "hr_logrank": "hazard ratio by the log-rank (O/E) method (GraphPad Prism)",
    "median_ratio": "ratio of median survival times (arm / reference)",
    "logrank_chisq": "log-rank (Mantel-Cox) chi-square, 1 df",
    "p_holm": "Holm-adjusted p-value over the pairwise comparisons",
    "mrecist": "modified RECIST class (Gao et al. 2015): CR, PR, SD, PD",
}

_SUFFIXES = [
    ("_ci_low", "lower bound of the 95% confidence interval of {}"),
    ("_ci_high", "upper bound of the 95% confidence interval of {}"),
    ("_pct", "{} (percent)"),
    ("_mm3", "{} (mm3)"),
    ("_per_day", "{} (per day)"),
    ("_days", "{} (days)"),
    ("_day", "{} (study day)"),
    ("_p", "p-value of {}"),
    ("_se", "standard error of {}"),
]


def describe(column: str) -> str:
    """Description of a column: the explicit entry, else one built from its suffix."""
    if column in DESCRIPTIONS:
        return DESCRIPTIONS[column]
    for suffix, template in _SUFFIXES:
        if column.endswith(suffix) and len(column) > len(suffix):
            stem = column[: -len(suffix)]
            return template.format(describe(stem) if stem in DESCRIPTIONS else stem.replace("_", " "))
    return column.replace("_", " ")


def readme(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    rows = [(name, col, describe(col)) for name, df in tables.items() for col in df.columns]
    return pd.DataFrame(rows, columns=["table", "column", "description"])

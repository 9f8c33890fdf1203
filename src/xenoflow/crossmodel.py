"""Cross-model tables of a panel (PDX clinical trial): mRECIST matrix, response rates per drug,
and time to tumour doubling per drug across models; and, across the studies of a run, the
treatments given in several of them (:func:`shared_arms`, :func:`shared_responses`: Xeva's
comparison of a drug across models, from each study's own tables).

Input: the panel's per-curve table (:func:`xenoflow.panel.per_curve` rows of every model:
``model, arm, mouse_id, mrecist, best_response_pct, endpoint_time_days, endpoint_event, ...``).

* **mRECIST matrix** – models × drugs, the mRECIST call of each curve (Gao et al. 2015,
  Nat Med 21:1318, Fig. 2; Xeva ``plotPDX``/``summarizeResponse``). A model with several mice
  in an arm shows the calls joined by ``/``.
* **Response rates** – per drug across models: counts of CR/PR/SD/PD, response rate
  100·(CR + PR)/N and disease-control rate 100·(CR + PR + SD)/N with exact Clopper–Pearson
  intervals (:func:`xenoflow.response.response_summary`; DRAP ``DRLevelAnalysis``).
* **Time to double** – the per-curve endpoint (with ``endpoint_rule: fold_baseline`` and
  ``endpoint_fold: 2``: first day with V ≥ 2·V0; Gao et al. 2015 "time to double") analysed as
  survival across models: Kaplan–Meier median with the log-transformed 95% CI of R's
  ``survfit`` per drug (:func:`xenoflow.survival.per_arm_summary`), and each drug against the
  untreated curves by log-rank and Cox hazard ratio (:func:`xenoflow.survival.compare_two`).
  Models are independent tumours, so the curves of different models are treated as independent
  subjects (as in Gao et al. 2015, Fig. 3).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from .response import response_summary
from .survival import MIN_MICE_KM, compare_two, per_arm_summary
from .tables import columns

if TYPE_CHECKING:
    from .config import Study

MRECIST_ORDER = ["CR", "PR", "SD", "PD"]


def drug_order(curves: pd.DataFrame, control: str) -> list[str]:
    """Control first, then drugs by number of models (most first), then name."""
    n = curves.groupby("arm")["model"].nunique()
    drugs = sorted((a for a in n.index if a != control), key=lambda a: (-n[a], a))
    return ([control] if control in n.index else []) + drugs


def mrecist_matrix(curves: pd.DataFrame, arms: Sequence[str]) -> pd.DataFrame:
    """Models (rows, panel order) × arms (columns): mRECIST call per curve, '' if not tested."""
    calls = curves.assign(mrecist=curves["mrecist"].fillna("NA"))
    joined = calls.groupby(["model", "arm"], sort=False)["mrecist"].agg("/".join)
    wide = joined.unstack("arm").reindex(
        index=list(dict.fromkeys(curves["model"])), columns=list(arms)
    )
    return wide.fillna("").rename_axis(columns=None).reset_index()


def response_rates(curves: pd.DataFrame, arms: Sequence[str], alpha: float = 0.05) -> pd.DataFrame:
    """Per arm across models: models tested, mRECIST counts, response and disease-control
    rates with exact CIs, median best response."""
    out = response_summary(curves[["arm", "mrecist"]], list(arms), alpha).drop(
        columns=["n_not_evaluable_zero_baseline", "n_relapsed"]  # study-level columns
    )
    out.insert(1, "n_models", [curves.loc[curves["arm"] == a, "model"].nunique() for a in arms])
    best = curves.groupby("arm")["best_response_pct"].median()
    out["median_best_response_pct"] = out["arm"].map(best)
    return out


TTD_COLUMNS = columns("time_to_double")


def time_to_double(
    curves: pd.DataFrame,
    arms: Sequence[str],
    control: str,
    alpha: float = 0.05,
    compare: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kaplan–Meier of the per-curve endpoint per arm across models, each drug vs control
    (log-rank, Cox HR, median ratio: :func:`xenoflow.survival.compare_two`; left empty with
    ``compare=False``).

    Returns the summary table (``TTD_COLUMNS``) and the endpoints used (one row per curve,
    ``mouse_id`` = ``model/mouse``), for the figure.
    """
    endpoints = ttd_endpoints(curves)
    arms = [a for a in arms if a in set(endpoints["arm"])]
    per_arm = per_arm_summary(endpoints, arms, alpha).set_index("arm")
    n = endpoints.groupby("arm").size()
    rows = []
    for arm in arms:
        row = {
            "arm": arm,
            **{
                k: per_arm.loc[arm, k]
                for k in ("n", "events", "median_days", "median_ci_low", "median_ci_high")
            },
        }
        if (
            compare
            and arm != control
            and control in n.index
            and min(n[arm], n[control]) >= MIN_MICE_KM
        ):
            test = compare_two(endpoints, arm, control, alpha, firth=False)  # not reported
            row.update(
                {
                    k: test.get(k)
                    for k in (
                        "logrank_p",
                        "hr",
                        "hr_ci_low",
                        "hr_ci_high",
                        "hr_flag",
                        "median_ratio",
                    )
                }
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=TTD_COLUMNS), endpoints


def ttd_endpoints(curves: pd.DataFrame) -> pd.DataFrame:
    """The per-curve endpoints of a panel as survival data: one row per curve with an endpoint
    time (``mouse_id`` = ``model/mouse``, since mouse ids repeat across models)."""
    ends = curves.dropna(subset=["endpoint_time_days"])
    return pd.DataFrame(
        {
            "arm": ends["arm"].astype(str),
            "mouse_id": ends["model"] + "/" + ends["mouse_id"],
            "time_days": ends["endpoint_time_days"].astype(float),
            "event": ends["endpoint_event"].astype(int),
            "endpoint_rule": ends["endpoint_rule"],
        }
    ).reset_index(drop=True)


# ------------------------------------------------------------------ across the studies of a run


def treatment_key(arm: str) -> str:
    """An arm name as studies of one run may spell it differently: 'Irinotecan + Rabusertib'
    and 'Irinotecan+Rabusertib' are one treatment (spaces around '+' and case ignored)."""
    return re.sub(r"\s*\+\s*", "+", arm.strip()).casefold()


def shared_arms(
    studies: Mapping[str, Study], tables: Mapping[str, object]
) -> dict[str, list[tuple[str, str]]]:
    """Treatments given in more than one study with ``tables`` (not a panel): treatment key
    (:func:`treatment_key`) -> (study id, the arm as that study spells it), in run order."""
    seen: dict[str, list[tuple[str, str]]] = {}
    for sid, study in studies.items():
        if sid in tables and not study.split_by:
            for arm in study.treated_arms:
                seen.setdefault(treatment_key(arm), []).append((sid, arm))
    return {k: pairs for k, pairs in seen.items() if len({sid for sid, _ in pairs}) > 1}


#: columns of :func:`shared_responses`
SHARED_RESPONSE_COLUMNS = [
    "treatment",
    "study_id",
    "model",
    "arm",
    "mouse_id",
    "best_response_pct",
    "mrecist",
    "evaluable",
    "min_day",
    "synthetic",
]


def shared_responses(
    studies: Mapping[str, Study], tables: Mapping[str, Mapping[str, pd.DataFrame]]
) -> pd.DataFrame:
    """Per mouse of each treatment of :func:`shared_arms`, the rows of its study's
    ``response`` table (best response, mRECIST, evaluable), with the treatment as its first
    study spells it, the study, its tumour model (the study id if none is given), the first
    day of its response window (``mrecist_min_day``) and whether it is synthetic."""
    frames = []
    for pairs in shared_arms(studies, tables).values():
        for sid, arm in pairs:
            response = tables[sid].get("response")
            if response is None:
                continue
            study = studies[sid]
            frames.append(
                response[response["arm"] == arm].assign(
                    treatment=pairs[0][1],
                    study_id=sid,
                    model=study.model or sid,
                    min_day=float(study.settings["mrecist_min_day"]),
                    synthetic=study.synthetic,
                )
            )
    if not frames:
        return pd.DataFrame(columns=SHARED_RESPONSE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[SHARED_RESPONSE_COLUMNS]

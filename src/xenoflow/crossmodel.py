"""Cross-model tables of a panel (PDX clinical trial): mRECIST matrix, response rates per drug,
and time to tumour doubling per drug across models.

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

from collections.abc import Sequence

import pandas as pd

from .response import response_summary
from .survival import MIN_MICE_KM, compare_two, per_arm_summary
from .tables import columns

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

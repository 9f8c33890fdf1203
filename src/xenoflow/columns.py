"""Descriptions of the columns of xenoflow's tables (README sheet of ``study.xlsx``).

Names follow one convention, so a column without an explicit entry is described from its
suffix: ``_pct`` percent, ``_mm3`` cubic millimetres, ``_days`` days, ``_per_day`` per day,
``_ci_low``/``_ci_high`` confidence bounds, ``_p`` p-value.
"""

from __future__ import annotations

from collections.abc import Mapping

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
    # growth
    "n_points": "measurements used in the mouse's fit",
    "n_floored": "zero volumes replaced by the log floor before the fit",
    "log_zero_rule": "how zero volumes were treated on the log scale (drop or floor)",
    "first_day": "first measured day used",
    "last_day": "last measured day used",
    "growth_rate": "exponential growth rate k: slope of ln(volume) on day",
    "growth_rate_per_day": "exponential growth rate k: slope of ln(volume) on day (per day)",
    "intercept_log_mm3": "intercept of ln(volume) on day (ln mm3)",
    "r_squared": "R^2 of the ln(volume) ~ day fit",
    "doubling_time_days": "doubling time ln 2 / k (days; only when k > 0)",
    "best_model": "per-mouse model with the lowest AIC (exponential, linear, Gompertz, logistic, regression-regrowth)",
    "regrowth_d_per_day": "regression rate d of f(t) = exp(-d t) + exp(g t) - 1 (tumgr)",
    "regrowth_g_per_day": "regrowth rate g of f(t) = exp(-d t) + exp(g t) - 1 (tumgr)",
    "rate_diff": "difference in growth rate, arm minus reference (mixed model)",
    "rate_diff_vs_control": "growth-rate difference, arm minus control (ln volume per day; mixed model)",
    "p_value": "two-sided p-value of the estimate (method in p_value_method)",
    "p_value_small_sample": "small-sample p-value (method in p_value_small_sample_method)",
    "p_value_small_sample_method": "test that produced p_value_small_sample",
    "p_value_satterthwaite": "t-test p-value with Satterthwaite degrees of freedom",
    "df_satterthwaite": "Satterthwaite degrees of freedom",
    "p_value_welch": "Welch t-test on per-mouse slopes (Hather et al. 2014)",
    "welch_df": "Welch degrees of freedom",
    "z_value": "Wald z statistic",
    "rate_based_tc": "rate-based T/C exp((mean k_T - mean k_C) t) from per-mouse rates (Hather et al. 2014)",
    "rate_based_tc_lmm": "rate-based T/C from the mixed-model rates",
    "tc_days": "time t used by the rate-based T/C (days)",
    "random_effects": "random-effects structure of the selected mixed model",
    "reml_loglik": "REML log-likelihood",
    "optimiser": "optimiser that gave the best REML log-likelihood",
    "singular_fit": "random-effects covariance on the boundary (lme4's singularity rule)",
    "fallback_note": "why a simpler random-effects structure was used",
    "estimate": "estimated contrast (difference in growth rate)",
    "se": "standard error",
    "ci_low": "lower bound of the 95% confidence interval",
    "ci_high": "upper bound of the 95% confidence interval",
    "method": "test and multiplicity adjustment",
    # efficacy
    "is_reference_day": "TRUE on the study's reference day",
    "mean_volume_mm3": "mean tumour volume of the mice measured that day (mm3)",
    "sem_volume_mm3": "standard error of the mean volume, SD/sqrt(n) (mm3)",
    "sd_volume_mm3": "standard deviation of the volume (mm3)",
    "median_volume_mm3": "median tumour volume (mm3)",
    "mean_fold_change": "mean of per-mouse fold changes V(t)/V(baseline)",
    "geomean_fold_change": "geometric mean of per-mouse fold changes",
    "fold_change_reduction": "fold-change reduction 100*(1 - FC_T/FC_C)",
    "fold_change_reduction_pct": "fold-change reduction vs control, 100*(1 - FC_T/FC_C) (percent)",
    "tc": "%T/C = 100 * mean V_T / mean V_C",
    "tc_pct": "%T/C = 100 * mean V_T / mean V_C (percent)",
    "nci_activity": "NCI activity band of %T/C (<= 42% active, <= 10% highly active)",
    "ratio_c_t": "mean control volume / mean treated volume",
    "tgi": "%TGI, volume change: 100*(1 - dT/dC), d = V(t) - V(baseline)",
    "tgi_pct": "%TGI, volume-change definition 100*(1 - dT/dC) (percent)",
    "tgi_final": "%TGI, final-volume definition 100*(1 - T/C)",
    "tgi_final_pct": "%TGI, final-volume definition 100*(1 - T/C) (percent)",
    "regression_pct": "mean shrinkage below baseline when dT < 0 (percent)",
    "auc_ratio": "mean AUC treated / mean AUC control",
    "auc_mm3_days": "area under the volume curve, trapezoid rule (mm3 x days)",
    "baseline_volume_mm3": "volume at baseline (mm3)",
    "baseline_day": "day of the baseline measurement",
    "threshold": "volume that defines the time-to-event for growth delay",
    "median_time": "Kaplan-Meier median time to the threshold",
    "median_time_days": "Kaplan-Meier median time to the threshold (days)",
    "growth_delay_days": "tumour growth delay T - C of the median times (days)",
    "log_cell_kill_gross": "gross log cell kill (T - C)/(3.32 Td)",
    "log_cell_kill_net": "net log cell kill ((T - C) - treatment duration)/(3.32 Td)",
    "model_growth_delay_days": "growth delay implied by the exponential growth rates (Demidenko 2010)",
    "treatment_duration_days": "last dose day minus first dose day",
    # response
    "best_response_pct": "best response: min over days >= 10 of 100*(V - V0)/V0 (Gao et al. 2015)",
    "best_avg_response_pct": "best average response: min over days >= 10 of the running mean of the responses",
    "best_response_day": "day of the best response",
    "best_avg_response_day": "day of the best average response",
    "response_rate": "response rate (CR + PR) / n",
    "response_rate_pct": "response rate (CR + PR) / n (percent; exact Clopper-Pearson CI)",
    "disease_control_rate": "disease-control rate (CR + PR + SD) / n",
    "disease_control_rate_pct": "disease-control rate (CR + PR + SD) / n (percent)",
    "n_cr": "mice with mRECIST complete response",
    "n_pr": "mice with mRECIST partial response",
    "n_sd": "mice with mRECIST stable disease",
    "n_pd": "mice with mRECIST progressive disease",
    # survival
    "median": "Kaplan-Meier median survival",
    "median_days": "Kaplan-Meier median survival (days; empty = not reached)",
    "rmst_days": "restricted mean survival time up to rmst_horizon_days",
    "rmst_horizon_days": "common horizon of the RMST (days)",
    "median_followup_days": "median follow-up by reverse Kaplan-Meier (days)",
    "logrank_p": "log-rank (Mantel-Cox) p-value",
    "gbw_chisq": "Gehan-Breslow-Wilcoxon chi-square",
    "gbw_p": "Gehan-Breslow-Wilcoxon p-value",
    "hr_p": "likelihood-ratio p-value of the Cox model",
    "hr_firth": "Firth-penalised Cox hazard ratio (finite under complete separation)",
    "median_increase_pct": "increase of median survival over the reference, 100*(ratio - 1) (percent)",
    "comparison": "which arms are compared",
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
            return template.format(
                describe(stem) if stem in DESCRIPTIONS else stem.replace("_", " ")
            )
    return column.replace("_", " ")


def readme(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    rows = [(name, col, describe(col)) for name, df in tables.items() for col in df.columns]
    return pd.DataFrame(rows, columns=["table", "column", "description"])

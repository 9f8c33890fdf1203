"""The registry of every output xenoflow writes: one declaration per table, figure and document.

Each entry says where the output goes (``path``, relative to its ``scope`` folder), which stage
makes it, its report caption and report section, and for a table its columns with dtype and a
one-line description. Everything else about an output is generated from here:

* the rules' declared outputs (``stage_outputs(stage)`` in ``workflow/rules/common.smk``),
* the report captions (:func:`caption_rst`, written by :func:`xenoflow.io.write_captions`),
* the README sheet of ``study.xlsx`` (:func:`readme`),
* how :mod:`xenoflow.io` writes and reads each table (dtypes, float format, column order),
* the header of a table without rows, and the column lists the analysis modules build on.

Scopes: ``study`` = ``{results}/<study_id>/`` (also each panel model's folder), ``panel`` =
``{results}/<panel_id>/``, ``run`` = ``{results}/``, ``chunk`` = ``{results}/<panel_id>/chunks/``.

Dtypes: ``str`` (text; an empty cell is missing), ``int`` (counts; a column with a missing
value is read back as float), ``float`` (written with ``%.10g``), ``bool`` (``True``/``False``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

import pandas as pd

Dtype = Literal["str", "int", "float", "bool"]
Scope = Literal["study", "panel", "run", "chunk"]


#: how a unit in a description is written for a reader (the TSVs keep ASCII)
_READER_UNITS = (("mm3", "mm³"), ("m2", "m²"), ("uCi", "µCi"), ("percent", "%"))
#: a trailing parenthesis of a description that is a unit (kept in the header)
_UNIT = re.compile(
    r"\((?:[^()]*\b(?:per|mm3?|mm2|days?|percent|g|kg|m2|uCi|µCi|ln|h|weeks?)\b[^()]*)\)$"
)


def reader_units(text: str) -> str:
    """``text`` with its units as a reader writes them (mm³, m², µCi, %)."""
    for ascii_unit, unit in _READER_UNITS:
        text = re.sub(rf"(?<![\w]){re.escape(ascii_unit)}(?![\w])", unit, text)
    return text


def label_from(description: str) -> str:
    """A column header from its description: the words before the first explanation (':',
    ';', ' - ', a parenthesis), capitalised, with the description's trailing unit:
    'exponential growth rate k: slope of ln(volume) on day (per day)' -> 'Exponential growth
    rate k (per day)'."""
    text = description.strip()
    unit = _UNIT.search(text)
    head = re.split(r":|;| \(| — |, where", text, maxsplit=1)[0].strip()
    label = head[:1].upper() + head[1:]
    if unit and unit.group(0) not in label:
        label += " " + unit.group(0)
    # a table's file reads as the table, a column named as its header, other code as words
    label = re.sub(r"\b([a-z0-9_]+)\.tsv\b", lambda m: m.group(1) + " table", label)
    label = re.sub(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", _words, label)
    return reader_units(label)


def _words(match: re.Match[str]) -> str:
    name = match.group(0)
    known = LABELS.get(name, "")
    if known:
        return known if known[:2].isupper() or known[0] in "%p" else known[0].lower() + known[1:]
    return name.replace("_", " ")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: Dtype
    description: str
    #: present only under some settings or inputs (e.g. caliper columns, model selection)
    optional: bool = False
    #: the header a reader sees (report tables, workbook); '' = from the description
    label: str = ""

    @cached_property  # the registry is constant; a panel asks for every header per model
    def header(self) -> str:
        """The column's header for a reader, with its unit (:func:`label_from` by default)."""
        return reader_units(self.label) if self.label else label_from(self.description)


@dataclass(frozen=True)
class Output:
    """One file a stage writes."""

    name: str
    path: str
    stage: str
    section: str = ""
    caption: str = ""
    scope: Scope = "study"
    #: report.html shows it whole under this title (a table) or names it so (a figure), in
    #: registry order; empty: not in report.html, or shown there by ``report.KEY_TABLES``
    #: (chosen columns with their intervals)
    in_report: str = ""

    @property
    def kind(self) -> str:
        return "document"


@dataclass(frozen=True)
class Table(Output):
    columns: tuple[Column, ...] = ()
    #: wide tables: any column not listed (one per treatment, say) is of this kind
    extra: Column | None = None

    @property
    def kind(self) -> str:
        return "table"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @cached_property
    def dtypes(self) -> dict[str, Dtype]:
        """Column name -> dtype of the declared columns (an ``extra`` column: its dtype)."""
        return {c.name: c.dtype for c in self.columns}

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        if self.extra is not None:
            return Column(name, self.extra.dtype, self.extra.description)
        raise KeyError(f"table {self.name!r} has no column {name!r}")


@dataclass(frozen=True)
class Figure(Output):
    """A figure; written as ``<path>.png`` and ``<path>.svg`` (outputs ``<name>_png``/``_svg``)."""

    formats: tuple[str, ...] = field(default=("png", "svg"))

    @property
    def kind(self) -> str:
        return "figure"


def _phase_columns() -> list[Column]:
    """Columns of the two-phase (piecewise) growth model, ``growth_piecewise``."""
    out = [
        Column("two_phase", "bool", "TRUE when the arm's mean curve shrinks by half, then regrows"),
        Column("breakpoint_day", "float", "study day where the two phases meet (all arms)"),
        Column("breakpoint_method", "str", "how the breakpoint was chosen"),
    ]
    for key, words in (("rate_before", "before"), ("rate_after", "after")):
        what = f"slope of ln(volume) {words} the breakpoint (per day; negative: shrinking)"
        out += [
            Column(key, "float", what),
            Column(f"{key}_se", "float", f"standard error of the {what}"),
            Column(f"{key}_ci_low", "float", f"lower 95% confidence bound of the {what}"),
            Column(f"{key}_ci_high", "float", f"upper 95% confidence bound of the {what}"),
        ]
    for key, words in (("diff_before", "before"), ("diff_after", "after")):
        what = f"rate difference {words} the breakpoint, arm minus control (per day)"
        out += [
            Column(f"{key}_vs_control", "float", what),
            Column(f"{key}_se", "float", f"standard error of the {what}"),
            Column(f"{key}_ci_low", "float", f"lower 95% confidence bound of the {what}"),
            Column(f"{key}_ci_high", "float", f"upper 95% confidence bound of the {what}"),
            Column(f"p_{words}", "float", f"two-sided p of the {what} (method in p_method)"),
            Column(f"p_{words}_holm", "float", f"p_{words} Holm-adjusted across treated arms"),
        ]
    what = "mean growth-rate difference vs control from curve_from_day to curve_to_day"
    out += [
        Column("p_method", "str", "test behind p_before, p_after and p_curve, and the adjustment"),
        Column("curve_rate_diff", "float", f"{what} (per day; whole curve)"),
        Column("curve_rate_diff_ci_low", "float", f"lower 95% confidence bound of the {what}"),
        Column("curve_rate_diff_ci_high", "float", f"upper 95% confidence bound of the {what}"),
        Column("p_curve", "float", f"two-sided p of the {what} (method in p_method)"),
        Column("p_curve_holm", "float", "p_curve Holm-adjusted across treated arms"),
        Column("curve_from_day", "float", "start of the whole-curve window (baseline day)"),
        Column("curve_to_day", "float", "end of the whole-curve window (reference day)"),
    ]
    return out


#: Every column of the tables, declared once: name -> dtype and description (a table
#: whose column means something else there declares it in place).
VOCABULARY: dict[str, Column] = {
    c.name: c
    for c in (
        Column("arm", "str", "treatment arm (group) as named in the data"),
        Column("mouse_id", "str", "mouse identifier within its arm"),
        Column("day", "float", "study day of the measurement"),
        Column("volume_mm3", "float", "tumour volume (mm3)"),
        Column("length_mm", "float", "caliper length, the longest diameter (mm)"),
        Column("width_mm", "float", "caliper width, perpendicular to the length (mm)"),
        Column("body_weight_g", "float", "body weight (g)"),
        Column("stage", "str", "analysis step that left the item out"),
        Column("reason", "str", "why the item was left out"),
        Column("message", "str", "what was noticed"),
        Column("n_points", "int", "measurements used in the mouse's fit"),
        Column(
            "n_floored",
            "int",
            "volumes below the detection limit or log floor (zeros) raised to it before the fit",
        ),
        Column("first_day", "float", "first measured day used"),
        Column("last_day", "float", "last measured day used"),
        Column(
            "growth_rate_per_day",
            "float",
            "exponential growth rate k: slope of ln(volume) on day (per day)",
        ),
        Column(
            "growth_rate_se",
            "float",
            "standard error of exponential growth rate k: slope of ln(volume) on day",
        ),
        Column("intercept_log_mm3", "float", "intercept of ln(volume) on day (ln mm3)"),
        Column("r_squared", "float", "R^2 of the ln(volume) ~ day fit"),
        Column("doubling_time_days", "float", "doubling time ln 2 / k (days; only when k > 0)"),
        Column(
            "best_model",
            "str",
            "per-mouse model with the lowest AIC (exponential, linear, Gompertz, logistic, regression-regrowth)",
        ),
        Column(
            "aic_exponential", "float", "AIC of the exponential model (least squares on ln volume)"
        ),
        Column("aic_linear", "float", "AIC of the linear model V = a + b t"),
        Column("aic_gompertz", "float", "AIC of the Gompertz model"),
        Column("aic_logistic", "float", "AIC of the logistic model"),
        Column("aic_regrowth", "float", "AIC of the tumgr regression-regrowth model"),
        Column(
            "status_linear",
            "str",
            "fit status of the linear model (converged, too few points, not converged)",
        ),
        Column("status_gompertz", "str", "fit status of the Gompertz model"),
        Column("status_logistic", "str", "fit status of the logistic model"),
        Column("status_regrowth", "str", "fit status of the regression-regrowth model"),
        Column(
            "regrowth_d_per_day",
            "float",
            "regression rate d of f(t) = exp(-d t) + exp(g t) - 1 (tumgr)",
        ),
        Column(
            "regrowth_g_per_day",
            "float",
            "regrowth rate g of f(t) = exp(-d t) + exp(g t) - 1 (tumgr)",
        ),
        Column(
            "log_zero_rule",
            "str",
            "how zero volumes were treated on the log scale (detection_limit, drop or floor)",
        ),
        Column("n_mice", "int", "number of mice measured"),
        Column("n_obs", "int", "measurements in the fit"),
        Column(
            "growth_rate_ci_low",
            "float",
            "lower bound of the 95% confidence interval of exponential growth rate k: slope of ln(volume) on day",
        ),
        Column(
            "growth_rate_ci_high",
            "float",
            "upper bound of the 95% confidence interval of exponential growth rate k: slope of ln(volume) on day",
        ),
        Column(
            "rate_diff_vs_control",
            "float",
            "growth-rate difference, arm minus control (ln volume per day; mixed model)",
        ),
        Column(
            "rate_diff_se",
            "float",
            "standard error of difference in growth rate, arm minus reference (mixed model)",
        ),
        Column(
            "rate_diff_ci_low",
            "float",
            "lower bound of the 95% confidence interval of difference in growth rate, arm minus reference (mixed model)",
        ),
        Column(
            "rate_diff_ci_high",
            "float",
            "upper bound of the 95% confidence interval of difference in growth rate, arm minus reference (mixed model)",
        ),
        Column("z_value", "float", "Wald z statistic"),
        Column("p_value", "float", "two-sided p-value of the estimate (method in p_value_method)"),
        Column("p_value_method", "str", "test that produced p_value"),
        Column(
            "p_value_small_sample",
            "float",
            "small-sample p-value (method in p_value_small_sample_method)",
        ),
        Column("p_value_small_sample_method", "str", "test that produced p_value_small_sample"),
        Column("df_satterthwaite", "float", "Satterthwaite degrees of freedom"),
        Column(
            "p_value_satterthwaite", "float", "t-test p-value with Satterthwaite degrees of freedom"
        ),
        Column("p_value_welch", "float", "Welch t-test on per-mouse slopes (Hather et al. 2014)"),
        Column("welch_df", "float", "Welch degrees of freedom"),
        Column("mean_per_mouse_rate_per_day", "float", "mean per mouse rate (per day)"),
        Column(
            "rate_based_tc",
            "float",
            "rate-based T/C exp((mean k_T - mean k_C) t) from per-mouse rates (Hather et al. 2014)",
        ),
        Column("rate_based_tc_lmm", "float", "rate-based T/C from the mixed-model rates"),
        Column(
            "tc_reference_day",
            "float",
            "last day of the per-mouse fits behind rate_based_tc (study day)",
        ),
        Column("tc_days", "float", "time t used by the rate-based T/C (days)"),
        Column(
            "model_to_day",
            "float",
            "last day of the data the mixed model is fitted to: the control's last day with at "
            "least mean_min_fraction of its mice measured (later measurements are in the "
            "exclusions)",
        ),
        Column("model", "str", "PDX model id (split_by value)"),
        Column("random_effects", "str", "random-effects structure of the selected mixed model"),
        Column("reml_loglik", "float", "REML log-likelihood"),
        Column("optimiser", "str", "optimiser that gave the best REML log-likelihood"),
        Column("converged", "bool", "TRUE when the optimiser converged"),
        Column(
            "singular_fit",
            "bool",
            "random-effects covariance on the boundary (lme4's singularity rule)",
        ),
        Column("fallback_note", "str", "why a simpler random-effects structure was used"),
        Column("reference", "str", "arm the row is compared with"),
        Column("estimate", "float", "estimated contrast (difference in growth rate)"),
        Column("se", "float", "standard error"),
        Column("ci_low", "float", "lower bound of the 95% confidence interval"),
        Column("ci_high", "float", "upper bound of the 95% confidence interval"),
        Column("n_mice_reference", "int", "mice of the compared arm measured that day"),
        Column(
            "ratio",
            "float",
            "ratio of geometric-mean volumes T/C: exp(estimate)",
            label="Geometric-mean ratio T/C",
        ),
        Column("ratio_ci_low", "float", "lower bound of the interval of ratio"),
        Column("ratio_ci_high", "float", "upper bound of the interval of ratio"),
        Column("p_holm", "float", "Holm-adjusted p-value over the pairwise comparisons"),
        Column("p_satterthwaite", "float", "t-test p-value with Satterthwaite degrees of freedom"),
        Column(
            "p_holm_satterthwaite",
            "float",
            "Holm-adjusted p_satterthwaite over the pairwise comparisons",
        ),
        Column("method", "str", "test and multiplicity adjustment"),
        Column(
            "structure", "str", "random-effects structure (correlated, uncorrelated, intercept)"
        ),
        Column("aic", "float", "Akaike information criterion of the REML fit (lower is better)"),
        Column(
            "singular",
            "bool",
            "random-effects covariance on the boundary (lme4's singularity rule)",
        ),
        Column("sd_intercept", "float", "SD of the random intercept (ln mm3)"),
        Column("sd_slope", "float", "SD of the random slope (per day)"),
        Column("corr_intercept_slope", "float", "correlation of the random intercept and slope"),
        Column("sd_residual", "float", "residual SD (ln mm3)"),
        Column("selected", "bool", "TRUE for the structure used in growth_model.tsv"),
        Column("optimisers_tried", "str", "optimisers run for this structure"),
        *_phase_columns(),
        Column("is_reference_day", "bool", "TRUE on the study's reference day"),
        Column(
            "mean_volume_mm3",
            "float",
            "mean tumour volume of the mice measured that day (mm3)",
            label="Mean volume (mm3)",
        ),
        Column("sd_volume_mm3", "float", "standard deviation of the volume (mm3)"),
        Column(
            "sem_volume_mm3",
            "float",
            "standard error of the mean volume, SD/sqrt(n) (mm3)",
            label="SEM (mm3)",
        ),
        Column(
            "median_volume_mm3", "float", "median tumour volume (mm3)", label="Median volume (mm3)"
        ),
        Column(
            "geomean_volume_mm3",
            "float",
            "geometric mean tumour volume, exp(mean ln V); 0 when a mouse's volume is 0 (mm3)",
            label="Geometric mean volume (mm3)",
        ),
        Column(
            "n_mice_fold_change", "int", "mice with a fold change that day (baseline volume > 0)"
        ),
        Column("mean_fold_change", "float", "mean of per-mouse fold changes V(t)/V(baseline)"),
        Column(
            "mean_fold_change_ci_low",
            "float",
            "lower bound of the 95% confidence interval of mean of per-mouse fold changes V(t)/V(baseline)",
        ),
        Column(
            "mean_fold_change_ci_high",
            "float",
            "upper bound of the 95% confidence interval of mean of per-mouse fold changes V(t)/V(baseline)",
        ),
        Column("geomean_fold_change", "float", "geometric mean of per-mouse fold changes"),
        Column("mean_baseline_volume_mm3", "float", "mean baseline volume (mm3)"),
        Column("mean_delta_volume_mm3", "float", "mean delta volume (mm3)"),
        Column("mean_auc_mm3_days", "float", "mean auc mm3 (days)"),
        Column(
            "fold_change_reduction_pct",
            "float",
            "fold-change reduction vs control, 100*(1 - FC_T/FC_C) (percent)",
        ),
        Column(
            "fold_change_reduction_ci_low",
            "float",
            "lower bound of the 95% confidence interval of fold-change reduction 100*(1 - FC_T/FC_C)",
        ),
        Column(
            "fold_change_reduction_ci_high",
            "float",
            "upper bound of the 95% confidence interval of fold-change reduction 100*(1 - FC_T/FC_C)",
        ),
        Column("tc_pct", "float", "%T/C = 100 * mean V_T / mean V_C (percent)"),
        Column(
            "tc_ci_low",
            "float",
            "lower bound of the 95% confidence interval of %T/C = 100 * mean V_T / mean V_C",
        ),
        Column(
            "tc_ci_high",
            "float",
            "upper bound of the 95% confidence interval of %T/C = 100 * mean V_T / mean V_C",
        ),
        Column(
            "nci_activity", "str", "NCI activity band of %T/C (<= 42% active, <= 10% highly active)"
        ),
        Column("ratio_c_t", "float", "mean control volume / mean treated volume"),
        Column("tgi_pct", "float", "%TGI, volume-change definition 100*(1 - dT/dC) (percent)"),
        Column(
            "tgi_ci_low",
            "float",
            "lower bound of the 95% confidence interval of %TGI, volume change: 100*(1 - dT/dC), d = V(t) - V(baseline)",
        ),
        Column(
            "tgi_ci_high",
            "float",
            "upper bound of the 95% confidence interval of %TGI, volume change: 100*(1 - dT/dC), d = V(t) - V(baseline)",
        ),
        Column("regression_pct", "float", "mean shrinkage below baseline when dT < 0 (percent)"),
        Column("tgi_final_pct", "float", "%TGI, final-volume definition 100*(1 - T/C) (percent)"),
        Column(
            "tgi_final_ci_low",
            "float",
            "lower bound of the 95% confidence interval of %TGI, final-volume definition 100*(1 - T/C)",
        ),
        Column(
            "tgi_final_ci_high",
            "float",
            "upper bound of the 95% confidence interval of %TGI, final-volume definition 100*(1 - T/C)",
        ),
        Column("auc_ratio", "float", "mean AUC treated / mean AUC control"),
        Column("note", "str", "why a value is missing or how it was obtained"),
        Column("baseline_day", "float", "day of the baseline measurement"),
        Column("baseline_volume_mm3", "float", "volume at baseline (mm3)"),
        Column("auc_mm3_days", "float", "area under the volume curve, trapezoid rule (mm3 x days)"),
        Column("auc_reference_mm3_days", "float", "auc reference mm3 (days)"),
        Column("reference_volume_mm3", "float", "reference volume (mm3)"),
        Column("reference_fold_change", "float", "fold change V/V0 on the reference day"),
        Column("threshold", "str", "volume that defines the time-to-event for growth delay"),
        Column("endpoint_rule", "str", "how the survival endpoint was obtained"),
        Column("n_events", "int", "mice that reached the volume threshold"),
        Column("median_time_days", "float", "Kaplan-Meier median time to the threshold (days)"),
        Column(
            "median_time_ci_low",
            "float",
            "lower bound of the 95% confidence interval of Kaplan-Meier median time to the threshold",
        ),
        Column(
            "median_time_ci_high",
            "float",
            "upper bound of the 95% confidence interval of Kaplan-Meier median time to the threshold",
        ),
        Column("control_median_time_days", "float", "control median time (days)"),
        Column(
            "growth_delay_days", "float", "tumour growth delay T - C of the median times (days)"
        ),
        Column(
            "growth_delay_low_days",
            "float",
            "smallest T - C the Kaplan-Meier curves allow when a median is not unique (a curve "
            "flat at exactly 50% from day a to day b: every day of it is a median); empty otherwise",
        ),
        Column(
            "growth_delay_high_days",
            "float",
            "largest T - C the Kaplan-Meier curves allow when a median is not unique; empty "
            "otherwise",
        ),
        Column("log_cell_kill_gross", "float", "gross log cell kill (T - C)/(3.32 Td)"),
        Column("treatment_duration_days", "float", "last dose day minus first dose day"),
        Column(
            "log_cell_kill_net",
            "float",
            "net log cell kill ((T - C) - treatment duration)/(3.32 Td)",
        ),
        Column(
            "model_growth_delay_days",
            "float",
            "growth delay implied by the exponential growth rates (Demidenko 2010)",
        ),
        Column("n_measurements", "int", "measurements of the mouse"),
        Column("volume_offset_mm3", "float", "volume offset (mm3)"),
        Column(
            "window",
            "str",
            "days used for best response (from mrecist_min_day, or the whole curve)",
        ),
        Column(
            "best_response_pct",
            "float",
            "best response: min over days >= 10 of 100*(V - V0)/V0 (Gao et al. 2015)",
        ),
        Column("best_response_day", "float", "day of the best response"),
        Column(
            "best_avg_response_pct",
            "float",
            "best average response: min over days >= 10 of the running mean of the responses",
        ),
        Column("best_avg_response_day", "float", "day of the best average response"),
        Column("mrecist", "str", "modified RECIST class (Gao et al. 2015): CR, PR, SD, PD"),
        Column(
            "evaluable",
            "bool",
            "TRUE when the mouse has a measurement in the response window (counted in the rates)",
        ),
        Column(
            "not_evaluable_reason",
            "str",
            "why a mouse is not evaluable (empty when it is)",
        ),
        Column(
            "n_not_evaluable",
            "int",
            "mice not evaluable (no measurement in the response window, or a baseline volume of "
            "0 mm3): not in N or in the rates",
        ),
        Column(
            "n_not_evaluable_toxic",
            "int",
            "of the mice not evaluable, those that died of toxicity before the response window",
        ),
        Column(
            "n_not_evaluable_zero_baseline",
            "int",
            "of the mice not evaluable, those with a baseline volume of 0 mm3 (no percent change)",
        ),
        Column(
            "n_relapsed",
            "int",
            "of the CR and PR mice, those whose volume went back above their baseline volume "
            "after the best response (relapse_day set)",
        ),
        Column(
            "relapse_day",
            "float",
            "CR or PR mouse: first day after the best-response day with the volume above the "
            "baseline volume (empty: no relapse, or no response)",
        ),
        Column(
            "response_label",
            "str",
            "readable response: the mRECIST class, 'CR, relapsed on day 61', or 'not evaluable'",
        ),
        Column("n_cr", "int", "mice with mRECIST complete response"),
        Column("n_pr", "int", "mice with mRECIST partial response"),
        Column("n_sd", "int", "mice with mRECIST stable disease"),
        Column("n_pd", "int", "mice with mRECIST progressive disease"),
        Column(
            "n_unclassified", "int", "mice without an mRECIST call (no measurement in the window)"
        ),
        Column(
            "response_rate_pct",
            "float",
            "response rate (CR + PR) / n (percent; exact Clopper-Pearson CI)",
        ),
        Column(
            "response_rate_ci_low",
            "float",
            "lower bound of the 95% confidence interval of response rate (CR + PR) / n",
        ),
        Column(
            "response_rate_ci_high",
            "float",
            "upper bound of the 95% confidence interval of response rate (CR + PR) / n",
        ),
        Column(
            "disease_control_rate_pct", "float", "disease-control rate (CR + PR + SD) / n (percent)"
        ),
        Column(
            "disease_control_rate_ci_low",
            "float",
            "lower bound of the 95% confidence interval of disease-control rate (CR + PR + SD) / n",
        ),
        Column(
            "disease_control_rate_ci_high",
            "float",
            "upper bound of the 95% confidence interval of disease-control rate (CR + PR + SD) / n",
        ),
        Column("time_days", "float", "time to event or censoring (days)"),
        Column("event", "int", "1 = died or reached the humane endpoint, 0 = censored"),
        Column("n", "int", "number of mice"),
        Column("events", "int", "number of events (death or humane endpoint)"),
        Column("median_days", "float", "Kaplan-Meier median survival (days; empty = not reached)"),
        Column(
            "median_ci_low",
            "float",
            "lower bound of the 95% confidence interval of Kaplan-Meier median survival",
        ),
        Column(
            "median_ci_high",
            "float",
            "upper bound of the 95% confidence interval of Kaplan-Meier median survival",
        ),
        Column("rmst_days", "float", "restricted mean survival time up to rmst_horizon_days"),
        Column("rmst_horizon_days", "float", "common horizon of the RMST (days)"),
        Column("median_followup_days", "float", "median follow-up by reverse Kaplan-Meier (days)"),
        Column("comparison", "str", "which arms are compared"),
        Column("n_arm", "int", "mice in the arm"),
        Column("n_reference", "int", "mice in the reference arm"),
        Column("events_arm", "int", "events in the arm"),
        Column("events_reference", "int", "events in the reference arm"),
        Column("logrank_chisq", "float", "log-rank (Mantel-Cox) chi-square, 1 df"),
        Column("logrank_p", "float", "log-rank (Mantel-Cox) p-value"),
        Column("gbw_chisq", "float", "Gehan-Breslow-Wilcoxon chi-square"),
        Column("gbw_p", "float", "Gehan-Breslow-Wilcoxon p-value"),
        Column(
            "hr",
            "float",
            "hazard ratio (treated vs reference), Cox proportional hazards, Efron ties",
        ),
        Column(
            "hr_ci_low",
            "float",
            "lower bound of the 95% confidence interval of hazard ratio (treated vs reference), Cox proportional hazards, Efron ties",
        ),
        Column(
            "hr_ci_high",
            "float",
            "upper bound of the 95% confidence interval of hazard ratio (treated vs reference), Cox proportional hazards, Efron ties",
        ),
        Column("hr_p", "float", "likelihood-ratio p-value of the Cox model"),
        Column("growth_model", "str", "exponential, claret, delayed or resistant_delayed (both)"),
        Column(
            "resistance_rate",
            "float",
            "λ_R, per day (claret, resistant_delayed; ML)",
        ),
        Column("resistance_ci_low", "float", "lower end of λ_R's 95% profile interval"),
        Column(
            "resistance_ci_high",
            "float",
            "upper end of λ_R's 95% profile interval (empty: not bounded within the range)",
        ),
        Column(
            "transit_rate",
            "float",
            "k_tr, per day, of each of the 3 transit compartments (delayed, resistant_delayed; "
            "ML; inf: no delay)",
        ),
        Column(
            "transit_rate_ci_low",
            "float",
            "lower end of k_tr's 95% profile interval (empty: not bounded within the range)",
        ),
        Column(
            "transit_rate_ci_high",
            "float",
            "upper end of k_tr's 95% profile interval (inf: no delay inside the interval)",
        ),
        Column(
            "predicted_bw_nadir_pct",
            "float",
            "predicted group-mean body-weight nadir of the what_if regimen (percent change from "
            "baseline), OLS of the arms' group-mean nadirs on their largest single "
            "administration (empty: withheld, bw_nadir_note says why)",
        ),
        Column(
            "bw_nadir_pi_low",
            "float",
            "lower bound of the 95% prediction interval of the predicted nadir (percent)",
        ),
        Column(
            "bw_nadir_pi_high",
            "float",
            "upper bound of the 95% prediction interval of the predicted nadir (percent)",
        ),
        Column(
            "bw_nadir_limit_pct",
            "float",
            "the tolerability limit on the group-mean nadir (percent; -toxic_nadir_pct)",
        ),
        Column(
            "bw_nadir_crosses_limit",
            "str",
            "yes (the whole prediction interval at or below the limit), possibly (the interval "
            "contains it) or no (the whole interval above it); empty when withheld",
        ),
        Column(
            "bw_nadir_note",
            "str",
            "how the nadir was predicted (arms, doses), or why it is withheld",
        ),
        Column(
            "prediction_note",
            "str",
            "why the regimen has no predicted volumes (empty: predicted): the growth "
            "model fails its check, or the regimen doses later after its first dose, runs "
            "longer after it, or gives more doses, a larger dose or a larger total, than "
            "the study's arms of its agent did",
            label="Why not predicted",
        ),
        Column("ml_log_likelihood", "float", "ML log-likelihood"),
        Column("n_parameters", "int", "parameters counted by the AIC"),
        Column("delta_aic", "float", "AIC minus the chosen model's"),
        Column("check_rule", "str", "the adequacy check's verdict in words"),
        Column("chosen", "bool", "TRUE for the model used"),
        Column("check", "str", "fitted, or held out: the arm left out and predicted"),
        Column("n_arm_days", "int", "observed arm-day means compared"),
        Column("n_inside", "int", "arm-day means inside their 95% prediction band"),
        Column("coverage_pct", "float", "share of arm-day means inside the band (percent)"),
        Column(
            "rmse_log_volume",
            "float",
            "root-mean-square error of the predicted mean ln volume (ln mm3)",
        ),
        Column("passes", "bool", "TRUE when the model may predict regimens not given"),
        Column(
            "median_unique",
            "bool",
            "FALSE when the Kaplan-Meier curve is flat at exactly 50% over an interval (note "
            "gives it): median_days is then R's and Prism's convention, not a unique value",
        ),
        Column(
            "efs_hr",
            "float",
            "hazard ratio of event-free survival (tumour endpoint or toxic death), arm vs "
            "reference, Cox proportional hazards, Efron ties",
        ),
        Column("efs_hr_ci_low", "float", "lower bound of the 95% confidence interval of efs_hr"),
        Column("efs_hr_ci_high", "float", "upper bound of the 95% confidence interval of efs_hr"),
        Column("efs_logrank_p", "float", "log-rank p-value of event-free survival"),
        Column(
            "hr_flag", "str", "why the Cox hazard ratio is not reported (e.g. complete separation)"
        ),
        Column("hr_mh", "float", "hazard ratio by the Mantel-Haenszel method (GraphPad Prism)"),
        Column(
            "hr_mh_ci_low",
            "float",
            "lower bound of the 95% confidence interval of hazard ratio by the Mantel-Haenszel method (GraphPad Prism)",
        ),
        Column(
            "hr_mh_ci_high",
            "float",
            "upper bound of the 95% confidence interval of hazard ratio by the Mantel-Haenszel method (GraphPad Prism)",
        ),
        Column("hr_logrank", "float", "hazard ratio by the log-rank (O/E) method (GraphPad Prism)"),
        Column(
            "hr_logrank_ci_low",
            "float",
            "lower bound of the 95% confidence interval of hazard ratio by the log-rank (O/E) method (GraphPad Prism)",
        ),
        Column(
            "hr_logrank_ci_high",
            "float",
            "upper bound of the 95% confidence interval of hazard ratio by the log-rank (O/E) method (GraphPad Prism)",
        ),
        Column(
            "hr_firth",
            "float",
            "Firth-penalised Cox hazard ratio (finite under complete separation)",
        ),
        Column(
            "hr_firth_ci_low",
            "float",
            "lower bound of the 95% confidence interval of Firth-penalised Cox hazard ratio (finite under complete separation)",
        ),
        Column(
            "hr_firth_ci_high",
            "float",
            "upper bound of the 95% confidence interval of Firth-penalised Cox hazard ratio (finite under complete separation)",
        ),
        Column(
            "hr_firth_p",
            "float",
            "p-value of Firth-penalised Cox hazard ratio (finite under complete separation)",
        ),
        Column("median_arm_days", "float", "median arm (days)"),
        Column("median_reference_days", "float", "median reference (days)"),
        Column("median_ratio", "float", "ratio of median survival times (arm / reference)"),
        Column(
            "median_ratio_ci_low",
            "float",
            "lower bound of the 95% confidence interval of ratio of median survival times (arm / reference)",
        ),
        Column(
            "median_ratio_ci_high",
            "float",
            "upper bound of the 95% confidence interval of ratio of median survival times (arm / reference)",
        ),
        Column(
            "median_increase_pct",
            "float",
            "increase of median survival over the reference, 100*(ratio - 1) (percent)",
        ),
        Column("test", "str", "test across all arms"),
        Column("arms", "str", "arms included in the test"),
        Column("scores", "str", "scores of the trend test per arm"),
        Column("chisq", "float", "chi-square statistic of the test"),
        Column("df", "int", "degrees of freedom of the test"),
        Column("p", "float", "p-value of the test"),
        Column("endpoint_time_days", "float", "endpoint time (days)"),
        Column("endpoint_event", "int", "1 = the curve reached the endpoint, 0 = censored"),
        Column("study_id", "str", "study (or panel model) id"),
        Column("synthetic", "bool", "TRUE when the study data are simulated"),
        Column("control", "str", "control arm the row is compared with"),
        Column("reference_day", "float", "reference day of the study (day of the comparison)"),
        Column(
            "control_mean_fold_change",
            "float",
            "mean fold change V(t)/V0 of the control arm on the reference day",
        ),
        Column(
            "rate_diff_p",
            "float",
            "p-value of difference in growth rate, arm minus reference (mixed model)",
        ),
        Column("n_excluded", "int", "measurements or mice left out"),
        Column("n_notes", "int", "notes raised while reading the data"),
        Column("n_models", "int", "models tested with the treatment"),
        Column("median_best_response_pct", "float", "median best response (percent)"),
        Column(
            "endpoint",
            "str",
            "design endpoint: log_volume (ln V at the follow-up day), growth_rate (mixed-model "
            "slope contrast), survival (log-rank); synergy: not implemented",
        ),
        Column(
            "effect",
            "float",
            "effect on the endpoint's scale: delta = -ln(1 - TGI) (log_volume), growth-rate "
            "difference ln(1 - TGI)/(follow-up - start day) per day (growth_rate), hazard ratio "
            "(survival)",
        ),
        Column("follow_up_days", "float", "study day of the design's last measurement"),
        Column("alpha", "float", "two-sided significance level of the design's test"),
        Column("target_power", "float", "power the sample size is chosen for"),
        Column(
            "sd",
            "float",
            "SD used: pooled within-arm SD of ln V (log_volume); SD of one mouse's least-squares slope over the schedule (growth_rate)",
        ),
        Column("schedule_days", "str", "measurement days of the design (growth_rate)"),
        Column("expected_events", "float", "expected events in both arms at this n (survival)"),
        Column("power", "float", "analytic power of the design"),
        Column("power_simulated", "float", "share of the seeded simulated studies that reject"),
        Column(
            "power_simulated_se",
            "float",
            "Monte-Carlo standard error of power_simulated, sqrt(p(1 - p)/simulations)",
        ),
        Column("n_exact", "float", "n per arm at which the power equals target_power"),
        Column("n_needed", "int", "n_exact rounded up"),
        Column("events_needed", "float", "log-rank events needed, both arms (survival)"),
        Column("n_per_arm", "int", "mice per arm of the design"),
        Column(
            "control_median_days",
            "float",
            "pilot's control median time to the endpoint (Kaplan-Meier, days)",
        ),
        Column(
            "cause",
            "str",
            "cause of death of a recorded event: tumour, toxicity or other (empty: censored, "
            "alive); only tumour deaths are events of the tumour endpoints",
        ),
        Column("mean_pct_change", "float", "mean of the per-mouse 100*(BW/BW0 - 1) (percent)"),
        Column("sem", "float", "standard error of the mean, SD/sqrt(n)"),
        Column("baseline_g", "float", "the mouse's baseline body weight BW0 (g)"),
        Column("nadir_pct", "float", "lowest %BW change after baseline (percent)"),
        Column("nadir_day", "float", "day of the lowest %BW change after baseline"),
        Column(
            "recovery_day",
            "float",
            "first day after the nadir with %BW change >= -5 % (empty: nadir above -5 %, or no "
            "recovery by the last weighing)",
        ),
        Column(
            "bw_auc_pct_day",
            "float",
            "trapezoid area under the mouse's %BW change over its weighings (percent x day)",
        ),
        Column("n_weighed", "int", "mice with a body weight after their baseline"),
        Column(
            "n_weights_excluded",
            "int",
            "body weights of the arm left out at ingest as recording errors (named in rule)",
        ),
        Column(
            "group_mean_nadir_pct",
            "float",
            "lowest arm-mean %BW change over the days after baseline (percent)",
        ),
        Column("group_mean_nadir_day", "float", "day of the group-mean nadir"),
        Column(
            "mean_individual_nadir_pct",
            "float",
            "mean over the mice of each mouse's nadir %BW change (percent)",
        ),
        Column("n_loss_ge_15pct", "int", "mice whose nadir is a loss of 15 % or more"),
        Column("n_loss_ge_20pct", "int", "mice whose nadir is a loss of 20 % or more"),
        Column("toxic_deaths", "int", "deaths recorded with cause toxicity"),
        Column(
            "toxic_death_incidence",
            "float",
            "Aalen-Johansen cumulative incidence of toxic death at the arm's last time "
            "(tumour and other deaths competing)",
        ),
        Column("verdict", "str", "tolerated or toxic (NCI/DTP convention)"),
        Column("rule", "str", "the criteria and values that decided the verdict"),
        Column("agent", "str", "the drug of the arm (study file)"),
        Column("parameter", "str", "model parameter (ln_v0, growth_rate, kill_rate, ...)"),
        Column("parameter_unit", "str", "unit of the estimate"),
        Column("meaning", "str", "what the parameter is"),
        Column("random_effects", "str", "random-effects structure in lme4 notation"),
        Column("reml_log_likelihood", "float", "REML log-likelihood of the fit"),
        Column("arms", "str", "arms in the fit, ';'-separated"),
        Column("name", "str", "the arm, or the what_if regimen's name"),
        Column("kind", "str", "observed (an arm of the study) or what_if (a regimen not given)"),
        Column("schedule", "str", "the doses of the regimen"),
        Column("pred_mean_log_volume", "float", "model mean ln volume of the arm (ln mm3)"),
        Column("pred_se", "float", "standard error of the model mean ln volume"),
        Column("pred_geo_mean_volume_mm3", "float", "exp(pred_mean_log_volume) (mm3)"),
        Column(
            "observed_mean_log_volume",
            "float",
            "mean ln volume of the arm's mice measured that day (observed arms)",
        ),
        Column("n_observed", "int", "mice measured that day (observed arms)"),
        Column("n_doses", "int", "number of administrations"),
        Column("dose_days", "str", "days of the administrations, ';'-separated"),
        Column("cumulative_dose", "float", "sum of the administered amounts (dose_unit)"),
        Column(
            "dose_unit", "str", "unit of the amounts as given (uCi, mCi, MBq, mg, mg/kg, mg/m2)"
        ),
        Column("dose_interval_days", "float", "mean days between consecutive doses"),
        Column(
            "dose_intensity_per_week",
            "float",
            "cumulative dose / (n_doses x interval) per week (dose_unit per week)",
        ),
        Column(
            "effective_half_life_days",
            "float",
            "T_eff = ln 2 / (lambda_phys + lambda_biol) of the agent (days)",
        ),
        Column(
            "cumulated_activity",
            "float",
            "time-integrated activity sum A_k / lambda_eff (dose_unit x day)",
        ),
        Column(
            "activity_after_each_dose",
            "str",
            "decay-corrected activity present just after each dose (dose_unit), ';'-separated",
        ),
        Column("dose_per_kg_unit", "str", "unit of the per-kg dose (dose_unit per kg body weight)"),
        Column(
            "cumulative_dose_per_kg",
            "float",
            "cumulative dose per kg body weight (per-mouse doses: each mouse's weight at each "
            "dose, mean over the arm's mice)",
        ),
        Column(
            "cumulative_dose_per_m2",
            "float",
            "cumulative dose per m2 body surface area = per kg x Km (mouse Km = 3, FDA 2005)",
        ),
        Column(
            "hed_per_kg",
            "float",
            "human-equivalent cumulative dose per kg by body-surface area = per kg x 3/37 "
            "(FDA 2005)",
        ),
        Column("cumulative_dose_arm", "float", "cumulative dose of the arm (dose_unit)"),
        Column("cumulative_dose_reference", "float", "cumulative dose of the reference arm"),
        Column("cumulated_activity_arm", "float", "cumulated activity of the arm (unit x day)"),
        Column("cumulated_activity_reference", "float", "cumulated activity of the reference arm"),
        Column("rate_diff", "float", "growth-rate difference, arm minus reference (mixed model)"),
        Column("tc_pct_arm", "float", "%T/C of the arm at the reference day"),
        Column("tc_pct_reference", "float", "%T/C of the reference arm at the reference day"),
        Column("group_mean_nadir_pct_arm", "float", "group-mean BW nadir of the arm (percent)"),
        Column(
            "group_mean_nadir_pct_reference",
            "float",
            "group-mean BW nadir of the reference arm (percent)",
        ),
        Column("n_loss_ge_20pct_arm", "int", "mice of the arm with >= 20 % BW loss"),
        Column("n_loss_ge_20pct_reference", "int", "mice of the reference arm with >= 20 % loss"),
        Column("toxic_deaths_arm", "int", "toxic deaths in the arm"),
        Column("toxic_deaths_reference", "int", "toxic deaths in the reference arm"),
        Column("verdict_arm", "str", "tolerability verdict of the arm"),
        Column("verdict_reference", "str", "tolerability verdict of the reference arm"),
        Column("n_dose_levels", "int", "distinct cumulative doses in the fit (control = 0)"),
        Column("e0", "float", "fitted response at dose 0 (growth rate per day)"),
        Column("e0_se", "float", "standard error of e0"),
        Column("effect_se", "float", "standard error of effect"),
        Column("ed50", "float", "dose giving half of the maximal effect (Emax model; dose_unit)"),
        Column("ed50_se", "float", "standard error of ed50"),
        Column("ed50_ci_low", "float", "lower bound of the Wald t interval of ed50"),
        Column("ed50_ci_high", "float", "upper bound of the Wald t interval of ed50"),
        Column("rss", "float", "residual sum of squares of the fit"),
        Column(
            "statistic",
            "float",
            "test statistic: F (anova, welch_anova), chi-square H (kruskal_wallis), t (dunnett), "
            "z (dunn; treated minus control)",
        ),
        Column(
            "df1",
            "float",
            "numerator degrees of freedom, k - 1 (anova, welch_anova; kruskal_wallis: chi-square df)",
        ),
        Column(
            "df2",
            "float",
            "denominator degrees of freedom: N - k (anova; dunnett, of the pooled variance), "
            "Welch's df (welch_anova)",
        ),
        Column(
            "p_adjusted",
            "float",
            "multiplicity-adjusted p-value over the comparisons with the control: Dunnett "
            "single-step (dunnett), Holm (dunn); empty for tests across all arms",
        ),
        Column(
            "n_tumour_free",
            "int",
            "mice tumour-free at the end of the study: volume 0 (or below the detection limit "
            "the study file sets) at the mouse's last measurement",
        ),
        Column("tumour_free_pct", "float", "100 * n_tumour_free / n_mice (percent)"),
        Column("unit_id", "str", "panel model's results folder"),
        Column("role", "str", "control, drug_a, drug_b (drug_c) or combination"),
        Column("growth_rate", "float", "fixed-effect slope β of ln RTV on time for the arm"),
        Column("sd_ranef", "float", "SD of the per-mouse random slopes"),
        Column("sd_resid", "float", "residual SD σ (of the reference stratum)"),
        Column("variance_model", "str", "nlme weights of the residual variance"),
        Column("time_start", "float", "study day of the reference volume (time 0)"),
        Column("time_end", "float", "last study day fitted"),
        Column("time_transform", "str", "none (days) or sqrt (square root of days)"),
        Column(
            "basis",
            "str",
            "what the synergy is computed on: lmm (SynergyLMM mixed model), tgi, auc or "
            "combpdx (invivoSyn / CombPDX)",
        ),
        Column("score", "float", "synergy score (> 0 synergy, < 0 antagonism)"),
        Column("p_method", "str", "test behind p_value and the interval"),
        Column("time", "float", "model time: days since time_start (or its square root)"),
        Column("log_rtv", "float", "ln of the relative tumour volume V/V(time_start)"),
        Column("fitted_log_rtv", "float", "fitted ln RTV of the mouse (fixed + random slope)"),
        Column("resid_normalised", "float", "normalised residual"),
        Column("ranef_slope", "float", "the mouse's predicted random slope (BLUP)"),
        Column("cooks_distance", "float", "Cook's distance of the mouse on the fixed effects"),
        Column(
            "synergy_bliss_score",
            "float",
            "combination arms: Bliss synergy score of the mixed model, whole study (synergy.tsv)",
        ),
        Column(
            "synergy_bliss_p", "float", "combination arms: p-value of the Bliss synergy (z test)"
        ),
        Column(
            "synergy_hsa_score",
            "float",
            "combination arms: HSA synergy score of the mixed model, whole study (synergy.tsv)",
        ),
        Column("synergy_hsa_p", "float", "combination arms: p-value of the HSA synergy (z test)"),
        Column(
            "rate_diff_metric",
            "str",
            "which growth-rate difference the arm's headline growth finding is, over which "
            "days: the exponential mixed model's, or for a two-phase arm the piecewise model's "
            "mean",
        ),
        Column("rate_diff_p_method", "str", "test behind rate_diff_p, and its adjustment"),
        Column(
            "tumour_free_lead",
            "bool",
            "TRUE when most of the arm's mice measured on the reference day are tumour-free: "
            "its study's answer, the index and the forest plot lead with n_tumour_free and "
            "rank_p, not with the log-scale rate_diff_vs_control (it rests on the detection "
            "limit)",
        ),
        Column("n_mice_measured", "int", "mice of the arm measured on the reference day"),
        Column(
            "rank_p",
            "float",
            "Dunn's test of the arm against the control on ranks of the reference-day volumes, "
            "Holm-adjusted (endpoint_tests)",
        ),
        Column("rank_p_method", "str", "test behind rank_p, and its adjustment"),
        Column("logrank_p_method", "str", "log-rank test, and the adjustment of logrank_p"),
        Column(
            "combination",
            "str",
            "combination arm of the synergy design (study file key combinations)",
        ),
        Column("analysis", "str", "which analysis the row holds"),
        Column("f_statistic", "float", "F statistic of the test"),
        Column("df_num", "int", "numerator degrees of freedom of the F test"),
        Column("df_den", "int", "denominator (residual) degrees of freedom of the F test"),
        Column(
            "adjusted_ratio",
            "float",
            "baseline-adjusted ratio of geometric-mean volumes T/C, exp(ANCOVA arm coefficient)",
        ),
        Column("adjusted_ratio_ci_low", "float", "lower bound of the adjusted ratio's CI"),
        Column("adjusted_ratio_ci_high", "float", "upper bound of the adjusted ratio's CI"),
        Column(
            "unadjusted_ratio",
            "float",
            "ratio of geometric-mean volumes T/C without the baseline, exp(lm(ln V ~ arm) coefficient)",
        ),
        Column("unadjusted_ratio_ci_low", "float", "lower bound of the unadjusted ratio's CI"),
        Column("unadjusted_ratio_ci_high", "float", "upper bound of the unadjusted ratio's CI"),
        Column("unadjusted_p_value", "float", "two-sided t-test p of the unadjusted ratio"),
        Column(
            "days_shared",
            "int",
            "the arm's follow-up days (days_followed) that are also control measurement days",
        ),
        Column(
            "days_followed",
            "int",
            "the arm's measured days except its baseline days, up to the control's last day",
        ),
        Column(
            "separate_cohort",
            "bool",
            "TRUE when no follow-up day, or fewer than half, are control days (no concurrent control)",
        ),
        Column("fingerprint", "str", "SHA-256 of what the model's outputs depend on"),
        Column("status", "str", "computed, or restored from the cache"),
    )
}


def _columns(*items: str | Column) -> tuple[Column, ...]:
    """Columns by name from :data:`VOCABULARY` (or given in place)."""
    return tuple(VOCABULARY[i] if isinstance(i, str) else i for i in items)


def opt(name: str) -> Column:
    """A vocabulary column that a table holds only under some settings or inputs."""
    return replace(VOCABULARY[name], optional=True)


#: mRECIST counts and rates with exact CIs, per arm of a study or per drug of a panel.
MRECIST_RATES = (
    "n_cr",
    "n_pr",
    "n_sd",
    "n_pd",
    "n_unclassified",
    "n_not_evaluable",
    "n_not_evaluable_toxic",
    "response_rate_pct",
    "response_rate_ci_low",
    "response_rate_ci_high",
    "disease_control_rate_pct",
    "disease_control_rate_ci_low",
    "disease_control_rate_ci_high",
)
EXCLUSIONS = _columns(
    "stage",
    "arm",
    "mouse_id",
    Column("day", "float", "study day of the measurement (empty: the whole mouse)"),
    "reason",
)
KM_PER_ARM = _columns(
    "arm",
    "n",
    "events",
    "median_days",
    "median_unique",
    "median_ci_low",
    "median_ci_high",
    "rmst_days",
    "rmst_horizon_days",
    "median_followup_days",
    "note",
)
#: two-arm survival comparisons (the tumour endpoint and event-free survival)
TWO_ARM_SURVIVAL = _columns(
    "arm",
    "reference",
    "comparison",
    "n_arm",
    "n_reference",
    "events_arm",
    "events_reference",
    "logrank_chisq",
    "logrank_p",
    "gbw_chisq",
    "gbw_p",
    "hr",
    "hr_ci_low",
    "hr_ci_high",
    "hr_p",
    "hr_flag",
    "hr_mh",
    "hr_mh_ci_low",
    "hr_mh_ci_high",
    "hr_logrank",
    "hr_logrank_ci_low",
    "hr_logrank_ci_high",
    "hr_firth",
    "hr_firth_ci_low",
    "hr_firth_ci_high",
    "hr_firth_p",
    "median_arm_days",
    "median_reference_days",
    "median_ratio",
    "median_ratio_ci_low",
    "median_ratio_ci_high",
    "median_increase_pct",
    "p_holm",
    "note",
)
CROSS_STUDY = _columns(
    "study_id",
    Column("model", "str", "tumour model (cell line or PDX) of the study"),
    "synthetic",
    "arm",
    "control",
    "reference_day",
    Column(
        "baseline_day",
        "float",
        "study day of the baseline: the study file's baseline day or treatment start, else the "
        "first measured day (each mouse's first measurement)",
    ),
    "mean_fold_change",
    "control_mean_fold_change",
    "fold_change_reduction_pct",
    "fold_change_reduction_ci_low",
    "fold_change_reduction_ci_high",
    "tc_pct",
    "tgi_pct",
    "tumour_free_lead",
    Column(
        "n_tumour_free",
        "int",
        "mice of the arm without a measurable tumour on the reference day (tumour_free_by_day)",
    ),
    "n_mice_measured",
    "rank_p",
    "rank_p_method",
    "rate_diff_metric",
    Column(
        "rate_diff_vs_control",
        "float",
        "headline growth finding: growth-rate difference, arm minus control (ln volume per day; "
        "rate_diff_metric says which), as the study's report and the forest plot give it",
    ),
    Column("rate_diff_ci_low", "float", "lower 95% confidence bound of rate_diff_vs_control"),
    Column("rate_diff_ci_high", "float", "upper 95% confidence bound of rate_diff_vs_control"),
    Column(
        "rate_diff_p",
        "float",
        "p-value of rate_diff_vs_control the report's verdict follows (multiplicity-adjusted "
        "when the study makes several comparisons)",
    ),
    "rate_diff_p_method",
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
    Column(
        "logrank_p",
        "float",
        "log-rank p-value vs control the report's verdict follows (Holm-adjusted when the "
        "study makes several survival comparisons)",
    ),
    "logrank_p_method",
    "synergy_bliss_score",
    "synergy_bliss_p",
    "synergy_hsa_score",
    "synergy_hsa_p",
    "two_phase",
)
QC_COUNTS = _columns("study_id", "stage", "n_excluded", "n_notes")
#: Columns of the design tables (power, sample_size) that mean something else elsewhere.
DESIGN_TGI = Column(
    "tgi_pct",
    "float",
    "growth inhibition to detect, 100*(1 - T/C) of geometric mean volumes (percent)",
)
DESIGN_METHOD = Column("method", "str", "power formula and its reference")
#: Cell values that the summary recognises, defined here (not in :mod:`xenoflow.power` and
#: :mod:`xenoflow.synergy`, which import SciPy) so that the summary stays light to import.
#: ``power.method`` of the log-rank power simulated from the growth model:
METHOD_GROWTH_ENDPOINT = (
    "log-rank on times to the volume endpoint simulated from the growth mixed model "
    "(first measured day past the threshold; effect = growth-rate difference)"
)
#: how an exclusion of :func:`xenoflow.synergy.skipped_days` names the day it did not test
SKIPPED_DAY = "no time-resolved synergy test on day"

TABLES: tuple[Table, ...] = (
    Table(
        "measurements",
        "tables/measurements.tsv",
        stage="ingest",
        section="Data",
        caption="""\
Validated measurements of study **{{ snakemake.wildcards.study }}** in xenoflow's canonical long
layout: one row per mouse and day (``arm, mouse_id, day, volume_mm3``; caliper length and width
and body weight when the input had them). A mouse is identified by its arm and mouse id. Rows are
sorted by arm (study order), mouse and day. Zero volumes (complete regressions) are kept.""",
        columns=_columns(
            "arm",
            "mouse_id",
            "day",
            "volume_mm3",
            opt("length_mm"),
            opt("width_mm"),
            opt("body_weight_g"),
        ),
    ),
    Table(
        "exclusions",
        "tables/exclusions.tsv",
        stage="ingest",
        section="Data",
        caption="""\
Measurements of study **{{ snakemake.wildcards.study }}** left out while reading the data, one row
each with the reason (for example an empty volume cell in a long table). An impossible body
weight (outside 10–100 g, or jumping by more than 30 % from the mouse's neighbouring weighings)
is left out with its reason while the volume of its row is kept. Nothing is dropped without a
row here; an empty table means every measurement was used.""",
        columns=EXCLUSIONS,
    ),
    Table(
        "warnings",
        "tables/warnings.tsv",
        stage="ingest",
        section="Data",
        caption="""\
Notes raised while reading study **{{ snakemake.wildcards.study }}** that did not change the data:
the caliper formula used, days that were sorted, mice with a single measurement, data paths that
point outside the study folder, a control whose mice are mostly SD or better by mRECIST (the
response window misses the model's growth, so SD is no sign of activity), the baseline
used when it is treatment start (pre-treatment measurements left out of the metrics), and an arm
measured on another calendar than the control (possibly a separate cohort without a concurrent
control).""",
        columns=_columns(
            "arm",
            "mouse_id",
            "day",
            "message",
        ),
    ),
    Table(
        "growth_per_mouse",
        "tables/growth_per_mouse.tsv",
        stage="growth",
        section="Growth",
        caption="""\
Per-mouse growth fits of study **{{ snakemake.wildcards.study }}** (one row per mouse with at least
two usable measurements on two days; a mouse is the pair arm + mouse_id). ``growth_rate_per_day``
= slope k of an ordinary least-squares line of ln(volume) on day, ``growth_rate_se`` its standard
error (empty with two points), ``intercept_log_mm3`` = ln volume at day 0, ``r_squared`` of the
line, ``doubling_time_days`` = ln 2 / k (only when k > 0). Zero volumes follow ``log_zero_rule``:
*detection_limit* (the default) raises volumes below the study's detection limit (the study
file's ``detection_limit_mm3``, else half the smallest positive volume of the study) to it,
*floor* raises volumes below ``log_floor_mm3`` to that floor (both counted in ``n_floored``),
*drop* leaves them out (listed in ``exclusions_growth.tsv``). Alternative models, all fitted by least
squares on ln(volume) with t = day − the mouse's first day: linear V = a + b·t, Gompertz
V = V0·exp((α/β)(1 − e^(−βt))), logistic V = K/(1 + (K/V0 − 1)e^(−rt)) and the tumgr
regression–regrowth model V = V0·(e^(−dt) + e^(gt) − 1). ``aic_*`` = Akaike information criterion
of each (lower is better), ``best_model`` = lowest AIC among converged fits; ``status_*`` says
*converged*, *too few points* (a model with p parameters needs p + 2 points) or *not converged*
(then no AIC and no parameters are reported). ``regrowth_d_per_day`` / ``regrowth_g_per_day`` are
the regression and regrowth rates.""",
        columns=_columns(
            "arm",
            "mouse_id",
            "n_points",
            "n_floored",
            "first_day",
            "last_day",
            "growth_rate_per_day",
            "growth_rate_se",
            "intercept_log_mm3",
            "r_squared",
            "doubling_time_days",
            opt("best_model"),
            opt("aic_exponential"),
            opt("aic_linear"),
            opt("aic_gompertz"),
            opt("aic_logistic"),
            opt("aic_regrowth"),
            opt("status_linear"),
            opt("status_gompertz"),
            opt("status_logistic"),
            opt("status_regrowth"),
            opt("regrowth_d_per_day"),
            opt("regrowth_g_per_day"),
            "log_zero_rule",
        ),
    ),
    Table(
        "growth_model",
        "tables/growth_model.tsv",
        stage="growth",
        section="Growth",
        caption="""\
Growth rate per arm of study **{{ snakemake.wildcards.study }}** from a linear mixed model of
ln(volume): ln V ~ day × arm with a random intercept and slope per mouse, fitted by REML with the
control arm as reference (lme4: ``lmer(log(volume_mm3) ~ day * arm + (day | mouse))``).
``growth_rate_per_day`` (± ``growth_rate_se``, Wald confidence interval) is the arm's mean slope of
ln volume; ``doubling_time_days`` = ln 2 / rate. For treated arms ``rate_diff_vs_control`` is the
difference in slope from the control with SE, 100(1 − alpha)% Wald interval and a Wald z p-value
(``p_value_method``). With few mice the z test is too liberal, so ``p_value_small_sample`` (method in
``p_value_small_sample_method``) is a t test with Satterthwaite degrees of freedom
(``df_satterthwaite``, computed as lmerTest does), or, if those cannot be computed, the Welch t-test
on per-mouse least-squares slopes (Hather et al. 2014), which is always reported as
``p_value_welch``. ``rate_based_tc`` = exp((k̄_T − k̄_C)·t)
with k̄ the arm means of per-mouse slopes fitted up to ``tc_reference_day`` and t = ``tc_days``
(reference day − baseline day) (Hather et al. 2014); ``rate_based_tc_lmm`` uses the model's rate
difference instead. ``random_effects`` names the random-effects structure actually used: when the
random-slope fit is singular (a variance at zero or correlation ±1) or does not converge, a simpler
structure is used and ``fallback_note`` says why. ``reml_loglik`` and ``optimiser``: the best REML
log-likelihood over several optimisers (statsmodels MixedLM and a profiled-REML optimiser on
lme4's parametrisation). Growth rates agree with lme4 to the digits checked in the tests.""",
        columns=_columns(
            "arm",
            "n_mice",
            "n_obs",
            "growth_rate_per_day",
            "growth_rate_se",
            "growth_rate_ci_low",
            "growth_rate_ci_high",
            "doubling_time_days",
            "rate_diff_vs_control",
            "rate_diff_se",
            "rate_diff_ci_low",
            "rate_diff_ci_high",
            "z_value",
            "p_value",
            "p_value_method",
            "p_value_small_sample",
            "p_value_small_sample_method",
            "df_satterthwaite",
            "p_value_satterthwaite",
            "p_value_welch",
            "welch_df",
            "mean_per_mouse_rate_per_day",
            "rate_based_tc",
            "rate_based_tc_lmm",
            "tc_reference_day",
            "tc_days",
            "model_to_day",
            Column("model", "str", "growth model of the rates (mixed model or fallback)"),
            "random_effects",
            "reml_loglik",
            "optimiser",
            "converged",
            "singular_fit",
            "fallback_note",
        ),
    ),
    Table(
        "growth_contrasts",
        "tables/growth_contrasts.tsv",
        stage="growth",
        section="Growth",
        caption="""\
All pairwise comparisons of growth rates (slopes of ln volume) between the arms of study
**{{ snakemake.wildcards.study }}** from the growth mixed model (as TumGrowth): ``estimate`` =
rate of ``arm`` − rate of ``reference`` (per day) with SE, Wald confidence interval and Wald z
p-value; ``p_holm`` adjusts the p-values over all pairs by Holm's step-down method.
``p_satterthwaite`` (t test with Satterthwaite df ``df_satterthwaite``) is the small-sample
version, Holm-adjusted in ``p_holm_satterthwaite``.""",
        columns=_columns(
            "arm",
            "reference",
            "estimate",
            "se",
            "ci_low",
            "ci_high",
            "z_value",
            "p_value",
            "p_holm",
            "df_satterthwaite",
            "p_satterthwaite",
            "p_holm_satterthwaite",
            "method",
        ),
    ),
    Table(
        "growth_model_fits",
        "tables/growth_model_fits.tsv",
        stage="growth",
        section="Growth",
        caption="""\
The three random-effects structures fitted for the growth mixed model of study
**{{ snakemake.wildcards.study }}** (TumGrowth's candidates): correlated random intercept and
slope, uncorrelated intercept and slope, random intercept only. Each row gives the best REML
log-likelihood over the optimisers tried (all listed in ``optimisers_tried``), AIC, whether the
fit converged or is singular (lme4's rule: a relative Cholesky factor element below 1e-4), the
random-effect SDs and correlation and residual SD; ``selected`` marks the structure used in
``growth_model.tsv`` (the correlated one unless singular or not converged).""",
        columns=_columns(
            "structure",
            "random_effects",
            "reml_loglik",
            "aic",
            "optimiser",
            "converged",
            "singular",
            "sd_intercept",
            "sd_slope",
            "corr_intercept_slope",
            "sd_residual",
            "n_obs",
            "n_mice",
            "selected",
            "optimisers_tried",
        ),
    ),
    Table(
        "growth_piecewise",
        "tables/growth_piecewise.tsv",
        stage="growth",
        section="Growth",
        caption="""\
Two-phase growth of study **{{ snakemake.wildcards.study }}** for regression–regrowth designs: a
piecewise linear mixed model of ln(volume) with one breakpoint b for all arms (TumGrowth's
piecewise model): tp1 = min(day, b), tp2 = max(day − b, 0), ln V ~ arm × (tp1 + tp2) with
random (1 + tp1 | mouse) + (0 + tp2 | mouse), fitted by REML (lme4:
``lmer(log(volume_mm3) ~ arm * (tp1 + tp2) + (tp1 | mouse) + (0 + tp2 | mouse))``); when that
fit is singular or does not converge, a simpler structure is used (``random_effects``,
``fallback_note``). ``breakpoint_day`` is fixed in the study file or estimated by maximum
profile likelihood (ML; every measured day inside TumGrowth's search range, then a bounded 1-D
search), as ``breakpoint_method`` says. ``rate_before`` / ``rate_after`` = the arm's slope of
ln volume in each phase (per day; negative = shrinking) with SE and Wald interval;
``diff_before_vs_control`` / ``diff_after_vs_control`` = the differences from the control with
SE, Wald interval and p (t test with Satterthwaite df; ``p_*_holm`` Holm-adjusted across the
treated arms within a phase). ``curve_rate_diff`` = the model's difference in ln-volume change
from ``curve_from_day`` (baseline) to ``curve_to_day`` (reference day), per day, with its Wald
interval and p (``p_curve``; ``p_curve_holm`` Holm-adjusted across the treated arms): the
headline growth finding of a two-phase arm, which its summary, report, the index, the forest
plot and summary.tsv quote. ``two_phase`` marks arms whose
geometric-mean curve falls to half its first-day volume and then regrows by at least 1.2³
(RECIST progression from the nadir). The model is fitted when an arm is two-phase, the study
file fixes a breakpoint or asks for it (``growth: piecewise``); otherwise the table has its
header only.""",
        columns=_columns(
            "arm",
            "n_mice",
            "n_obs",
            "two_phase",
            "breakpoint_day",
            "breakpoint_method",
            "rate_before",
            "rate_before_se",
            "rate_before_ci_low",
            "rate_before_ci_high",
            "rate_after",
            "rate_after_se",
            "rate_after_ci_low",
            "rate_after_ci_high",
            "diff_before_vs_control",
            "diff_before_se",
            "diff_before_ci_low",
            "diff_before_ci_high",
            "p_before",
            "p_before_holm",
            "diff_after_vs_control",
            "diff_after_se",
            "diff_after_ci_low",
            "diff_after_ci_high",
            "p_after",
            "p_after_holm",
            "p_method",
            "curve_rate_diff",
            "curve_rate_diff_ci_low",
            "curve_rate_diff_ci_high",
            "p_curve",
            "p_curve_holm",
            "curve_from_day",
            "curve_to_day",
            Column("model", "str", "the piecewise mixed model fitted"),
            "random_effects",
            "reml_loglik",
            "singular_fit",
            "fallback_note",
        ),
    ),
    Table(
        "per_day_comparisons",
        "tables/per_day_comparisons.tsv",
        stage="growth",
        section="Growth",
        caption="""\
Each treated arm against the control on each measured day ({{ snakemake.wildcards.study }}), as
Prism's mixed-effects analysis reports them: one mixed model of ln volume over the whole study,
ln V ~ arm × day (day as a factor) + a random intercept per mouse, fitted by REML (R
``lmer(log(v) ~ arm * factor(day) + (1 | mouse))``). On each day: ``estimate`` = treated − control
mean ln volume, ``ratio`` = exp(estimate), the ratio of geometric-mean volumes T/C, with its
standard error ``se`` and the z test (asymptotic degrees of freedom, ``df`` = inf; R ``emmeans``
with ``lmer.df = "asymptotic"``); ``p_adjusted`` and the intervals are Dunnett-adjusted over
the treated arms measured that day (single-step, multivariate normal; simultaneous 95%
intervals), ``p_value`` is unadjusted. Measurements before the baseline are left out, and zero
volumes follow ``log_zero_rule``, as in the growth model. Days are the scheduled visits (the
control's measurement days): a measurement off that calendar is compared at the nearest one within
``visit_window_days`` (default 1), listed in the exclusions.""",
        columns=_columns(
            "arm",
            "reference",
            "day",
            Column("n_mice", "int", "mice of the arm measured that day", label="n"),
            Column("n_mice_reference", "int", "control mice measured that day", label="n control"),
            Column(
                "estimate",
                "float",
                "treated minus control mean ln volume that day",
                label="Difference in ln volume, treated - control",
            ),
            "se",
            Column("df", "float", "degrees of freedom of the test: inf (asymptotic z test)"),
            Column("statistic", "float", "z = estimate / se"),
            Column("p_value", "float", "two-sided p-value of the z test, unadjusted"),
            Column(
                "p_adjusted",
                "float",
                "Dunnett-adjusted p over the treated arms measured that day (single-step)",
                label="p, Dunnett-adjusted",
            ),
            Column("ci_low", "float", "lower bound of the simultaneous 95% interval (Dunnett)"),
            Column("ci_high", "float", "upper bound of the simultaneous 95% interval (Dunnett)"),
            "ratio",
            "ratio_ci_low",
            "ratio_ci_high",
            Column("p_method", "str", "test behind p_adjusted and the interval"),
        ),
    ),
    Table(
        "exclusions_growth",
        "tables/exclusions_growth.tsv",
        stage="growth",
        section="Growth",
        caption="""\
Measurements and mice of study **{{ snakemake.wildcards.study }}** left out of the log-scale growth
fits, with the reason: zero (or missing) volumes under ``log_zero_rule: drop``, and mice with fewer
than two usable measurements (no growth rate can be fitted). Empty ``day`` = the whole mouse.""",
        columns=EXCLUSIONS,
    ),
    Table(
        "efficacy",
        "tables/efficacy.tsv",
        stage="efficacy",
        section="Efficacy",
        caption="""\
Efficacy per arm and day ({{ snakemake.wildcards.study }}). Mice measured that day only; days are
the scheduled visits: a measurement off the control's calendar is counted at the nearest control
measurement day within ``visit_window_days`` (default 1; listed in the exclusions), fold change
and AUC use its measured day.
``mean_fold_change`` = mean of per-mouse V(t)/V0 (V0 = volume on the study's ``baseline_day``, else
each mouse's first measurement); ``geomean_fold_change`` = its geometric mean.
Against the control on the same day: ``fold_change_reduction_pct`` = 100·(1 − FC_T/FC_C);
``tc_pct`` = 100·mean V_T / mean V_C with the NCI band (``nci_activity``: high ≤ 10 %, active ≤ 42 %);
``ratio_c_t`` = mean V_C / mean V_T; ``tgi_pct`` = 100·(1 − ΔT/ΔC) with ΔT, ΔC the arm means of
per-mouse V(t) − V0; ``regression_pct`` (only when ΔT < 0) = percent shrinkage of the arm mean
from baseline; ``tgi_final_pct`` = 100 − %T/C; ``auc_ratio`` = mean trapezoid AUC (baseline to
day t) treated / control. ``*_ci_low``/``*_ci_high``: percentile intervals from a seeded bootstrap
that resamples mice within each arm (``bootstrap_resamples``, ``seed``, ``alpha`` in the analysis
settings), so reruns give identical numbers. ``is_reference_day`` marks the study's
``reference_day`` or, by default, the last day on which every arm still has at least 80% of its
mice measured (else 50%, else one mouse, with a note). ``note`` of the control's reference-day
row: a control that grew less than 2-fold by then (ratios to it are imprecise).""",
        columns=_columns(
            "arm",
            "day",
            "is_reference_day",
            "n_mice",
            "mean_volume_mm3",
            "sd_volume_mm3",
            "sem_volume_mm3",
            "median_volume_mm3",
            "geomean_volume_mm3",
            "n_mice_fold_change",
            "mean_fold_change",
            "mean_fold_change_ci_low",
            "mean_fold_change_ci_high",
            "geomean_fold_change",
            "mean_baseline_volume_mm3",
            "mean_delta_volume_mm3",
            "mean_auc_mm3_days",
            "fold_change_reduction_pct",
            "fold_change_reduction_ci_low",
            "fold_change_reduction_ci_high",
            "tc_pct",
            "tc_ci_low",
            "tc_ci_high",
            "nci_activity",
            "ratio_c_t",
            "tgi_pct",
            "tgi_ci_low",
            "tgi_ci_high",
            "regression_pct",
            "tgi_final_pct",
            "tgi_final_ci_low",
            "tgi_final_ci_high",
            "auc_ratio",
            "note",
        ),
    ),
    Table(
        "efficacy_per_mouse",
        "tables/efficacy_per_mouse.tsv",
        stage="efficacy",
        section="Efficacy",
        caption="""\
One row per mouse ({{ snakemake.wildcards.study }}): baseline day and volume, last measured day,
area under the volume curve (trapezoid of raw volume from the baseline day, mm³·days) to the last
measurement (``auc_mm3_days``) and to the reference day (``auc_reference_mm3_days``), and the volume
and fold change V/V0 at the reference day (empty for a mouse not measured then).""",
        columns=_columns(
            "arm",
            "mouse_id",
            "baseline_day",
            "baseline_volume_mm3",
            "last_day",
            "auc_mm3_days",
            "auc_reference_mm3_days",
            "reference_volume_mm3",
            "reference_fold_change",
        ),
    ),
    Table(
        "growth_delay",
        "tables/growth_delay.tsv",
        stage="efficacy",
        section="Efficacy",
        caption="""\
Tumour growth delay ({{ snakemake.wildcards.study }}): Kaplan–Meier median time for tumours of each
arm to reach the volume threshold (``threshold``; the study's ``endpoint_volume_mm3``, or by default
4 × each mouse's baseline volume), mice that never reach it censored; R ``survfit`` median and
its confidence interval. ``growth_delay_days`` = T − C (empty when a median is not reached, or
not unique because a curve is flat at exactly 50% over an interval: see ``note``, which gives the
range of T − C the flat curve allows). ``log_cell_kill_gross`` = (T − C)/(3.32·Td) with Td = ln 2 / control growth rate
(``doubling_time_days``, from the growth model); ``log_cell_kill_net`` = ((T − C) − treatment
duration)/(3.32·Td), treatment duration = last − first dose day of the arm's schedule.
``model_growth_delay_days``: the delay implied by the fitted exponential growth rates
(``growth_rate_per_day``), ln(V*/V0_T)/k_T − ln(V*/V0_C)/k_C — for a fold threshold the difference
in doubling times times the number of doublings (Demidenko 2010) — shown for comparison.""",
        columns=_columns(
            "arm",
            "threshold",
            "endpoint_rule",
            "n_mice",
            "n_events",
            "median_time_days",
            Column(
                "median_unique",
                "bool",
                "FALSE when the arm's Kaplan-Meier curve is flat at exactly 50% over an interval: "
                "median_time_days is then R's and Prism's midpoint convention, not a unique "
                "value, and no growth delay is given (note)",
            ),
            "median_time_ci_low",
            "median_time_ci_high",
            "control_median_time_days",
            "growth_delay_days",
            "growth_delay_low_days",
            "growth_delay_high_days",
            "doubling_time_days",
            "log_cell_kill_gross",
            "treatment_duration_days",
            "log_cell_kill_net",
            "note",
            "growth_rate_per_day",
            "model_growth_delay_days",
        ),
    ),
    Table(
        "response",
        "tables/response.tsv",
        stage="efficacy",
        section="Efficacy",
        caption="""\
Per-mouse best response and mRECIST ({{ snakemake.wildcards.study }}), exactly as Gao et al. 2015 /
Xeva: ΔV% = 100·(V − V0)/V0 against the first measurement (V0 = 0: 1 mm³ added to every volume,
``volume_offset_mm3``); best response = minimum ΔV% on days ≥ ``mrecist_min_day`` after the
baseline day; best average response = minimum running mean of ΔV%; no measurement in that window →
the whole curve (``window`` says which), as Xeva, and the mouse is *not evaluable*
(``evaluable``, ``not_evaluable_reason``): it is left out of the response rates. mRECIST: CR if
BR < −95 % and BAR < −40 %, PR if BR < −50 % and BAR < −20 %, SD if BR < 35 % and BAR < 30 %, else
PD (strict). Agrees with Xeva on all 849 PDXE breast curves. Over a long follow-up: a CR or PR
mouse whose volume goes back above its baseline volume after the best-response day has that day
in ``relapse_day`` and reads "CR, relapsed on day 61" in ``response_label`` (the class keeps
the best response); a 0 mm³ reading between two positive ones is taken for a missing value and
left out of the curve (listed in ``exclusions_response``); a mouse with a baseline volume of 0 mm³
has no percentage change and is not evaluable (no 1 mm³ offset).""",
        columns=_columns(
            "arm",
            "mouse_id",
            "n_measurements",
            "first_day",
            "last_day",
            "volume_offset_mm3",
            "window",
            "best_response_pct",
            "best_response_day",
            "best_avg_response_pct",
            "best_avg_response_day",
            "mrecist",
            "evaluable",
            "not_evaluable_reason",
            "relapse_day",
            "response_label",
        ),
    ),
    Table(
        "response_summary",
        "tables/response_summary.tsv",
        stage="efficacy",
        section="Efficacy",
        caption="""\
mRECIST counts per arm ({{ snakemake.wildcards.study }}), response rate (CR + PR)/N and disease-control
rate (CR + PR + SD)/N in percent with exact (Clopper–Pearson) confidence intervals; N counts the
evaluable mice (``n_not_evaluable``: no measurement in the response window or a zero baseline;
``n_not_evaluable_toxic`` of them died of toxicity before it, ``n_not_evaluable_zero_baseline``
had a baseline volume of 0 mm³); ``n_relapsed``: CR and PR mice whose tumour went back above its
baseline volume after the best response (``relapse_day`` in ``response.tsv``).""",
        columns=_columns(
            "arm",
            "n_mice",
            *MRECIST_RATES,
            "n_not_evaluable_zero_baseline",
            "n_relapsed",
        ),
    ),
    Table(
        "endpoint_tests",
        "tables/endpoint_tests.tsv",
        stage="efficacy",
        section="Efficacy",
        caption="""\
End-of-study comparisons of the arms of study **{{ snakemake.wildcards.study }}** on the
reference day (``reference_day``), as Prism and TumGrowth report them. On ln(volume) of the mice
measured that day: one-way ANOVA (``anova``, F with k − 1 and N − k df) with Dunnett's
many-to-one comparisons of each treated arm with the control (``dunnett``: t on the pooled
variance, unadjusted ``p_value``, single-step ``p_adjusted`` from the multivariate t, Dunnett
1955) and Welch's ANOVA (``welch_anova``, unequal variances, Welch 1951). On the raw volumes
(rank-based; zeros included and ranked lowest): Kruskal–Wallis (``kruskal_wallis``, tie-corrected
chi-square, Kruskal & Wallis 1952) with Dunn's z tests of each treated arm against the control
(``dunn``, tie-corrected, two-sided, Holm-adjusted over the comparisons; Dunn 1964, Holm 1979).
Zero volumes on the log scale follow ``log_zero_rule`` (detection_limit, the default: raised to
the study's detection limit, counted in the note; drop: left out, counted in the note; floor:
raised to ``log_floor_mm3``). Arms with fewer than 2 mice measured that day are left out,
with a note. Header only when the data hold one arm or no control.""",
        columns=_columns(
            Column(
                "test",
                "str",
                "anova, welch_anova, kruskal_wallis (all arms; arm empty), dunnett, dunn "
                "(the arm against the control)",
            ),
            "arm",
            "reference_day",
            Column(
                "n_mice",
                "int",
                "mice in the test: all arms tested (overall rows) or the arm's, measured that day",
            ),
            "statistic",
            "df1",
            "df2",
            Column(
                "p_value",
                "float",
                "p-value of the test, unadjusted (dunnett: two-sided t test on the pooled "
                "variance; dunn: two-sided normal)",
            ),
            "p_adjusted",
            "note",
        ),
        in_report="Tumour volume against the control at the reference day (rank tests)",
    ),
    Table(
        "tumour_free",
        "tables/tumour_free.tsv",
        stage="efficacy",
        section="Efficacy",
        caption="""\
Tumour-free mice at the end of study **{{ snakemake.wildcards.study }}**, per arm: mice whose
volume is 0 (or below the detection limit the study file sets) at their last measurement (a
complete regression that lasted to the mouse's last day), out of the arm's mice with a volume.
Per arm and visit: ``tumour_free_by_day``.""",
        columns=_columns("arm", "n_mice", "n_tumour_free", "tumour_free_pct"),
        in_report="Tumour-free mice",
    ),
    Table(
        "tumour_free_by_day",
        "tables/tumour_free_by_day.tsv",
        stage="efficacy",
        section="Efficacy",
        caption="""\
Tumour-free mice per arm and day in study **{{ snakemake.wildcards.study }}**: of the mice
measured at a visit, those without a measurable tumour (volume 0, or below the detection limit
when the study file sets one). Days are the scheduled visits (a measurement a day off the
control's calendar is counted at its visit, as in the efficacy table); measurements before the
baseline (pre-treatment growth) are not counted. Where most of an arm is tumour-free on the
reference day, the summary leads for that arm with this count and the rank tests, not with a
log-scale rate.""",
        columns=_columns(
            "arm",
            "day",
            Column("n_mice", "int", "mice of the arm measured that day", label="n"),
            Column(
                "n_tumour_free",
                "int",
                "mice measured that day without a measurable tumour: volume 0, or below the "
                "detection limit the study file sets",
            ),
            Column("tumour_free_pct", "float", "100 * n_tumour_free / n_mice that day (percent)"),
        ),
    ),
    Table(
        "baseline_balance",
        "tables/baseline_balance.tsv",
        stage="efficacy",
        section="Efficacy",
        caption="""\
Baseline balance and the baseline-adjusted comparison ({{ snakemake.wildcards.study }}). Row
``balance``: one-way ANOVA of ln baseline volume across arms (``f_statistic``, ``df_num``,
``df_den``, ``p_value``; R ``anova(lm(log(v0) ~ arm))``); p < 0.01 = the arms were not balanced
at baseline, and the summary leads with the adjusted comparison; p below the study's alpha but
not below 0.01 = some imbalance, and the adjusted comparison closes the findings as a check. Row ``pre_treatment_growth``
(only when measurements precede a treatment-start baseline): the same ANOVA of each mouse's
pre-treatment growth rate (OLS slope of ln volume per day from its first measurement to its
baseline; R ``anova(lm(rate ~ arm))``), the arms' mean rates in ``note``: the arms should grow
alike before treatment. Rows ``adjusted``, one per
treated arm: ANCOVA of ln volume on the reference day on ln baseline volume and arm, fitted over
all arms with the control as the reference level (R ``lm(log(v) ~ log(v0) + arm)``):
``estimate`` (the arm's coefficient, ln T/C at equal baseline), ``se``, ``df``, ``ci_low``,
``ci_high``, ``p_value`` (t test), ``adjusted_ratio`` = exp(estimate), the ratio of geometric-mean
volumes T/C adjusted for baseline, with its CI; next to it the unadjusted ratio from ``lm(log(v) ~
arm)`` on the same mice. Mice with a zero volume are left out (listed in the exclusions).
``days_shared`` of the arm's ``days_followed`` follow-up days (measured days except baseline days, up
to the control's last day) are control days; ``separate_cohort``
TRUE (none or fewer than half) = possibly a separate cohort without a concurrent control.""",
        columns=_columns(
            "analysis",
            "arm",
            "reference",
            "reference_day",
            Column("n_mice", "int", "mice in the test or the model"),
            "f_statistic",
            "df_num",
            "df_den",
            Column(
                "p_value", "float", "p of the F test (balance) or of the arm's t test (adjusted)"
            ),
            Column("estimate", "float", "ANCOVA arm coefficient: ln(T/C) at equal baseline"),
            "se",
            Column("df", "int", "residual degrees of freedom of the ANCOVA"),
            "ci_low",
            "ci_high",
            "adjusted_ratio",
            "adjusted_ratio_ci_low",
            "adjusted_ratio_ci_high",
            "unadjusted_ratio",
            "unadjusted_ratio_ci_low",
            "unadjusted_ratio_ci_high",
            "unadjusted_p_value",
            "days_shared",
            "days_followed",
            "separate_cohort",
            "note",
        ),
    ),
    Table(
        "exclusions_efficacy",
        "tables/exclusions_efficacy.tsv",
        stage="efficacy",
        section="Efficacy",
        columns=EXCLUSIONS,
    ),
    Table(
        "exclusions_response",
        "tables/exclusions_response.tsv",
        stage="efficacy",
        section="Efficacy",
        columns=EXCLUSIONS,
    ),
    Table(
        "survival_per_mouse",
        "tables/survival_per_mouse.tsv",
        stage="survival",
        section="Survival",
        caption="""\
Survival endpoint of each mouse of study **{{ snakemake.wildcards.study }}**: ``arm, mouse_id,
time_days, event, endpoint_rule`` (event 1 = died or reached the humane endpoint, 0 = censored).
A recorded ``survival_data`` table takes precedence (``endpoint_rule = recorded``); otherwise the
endpoint is derived from the tumour volumes with ``endpoint_volume_mm3`` and the analysis option
``endpoint_rule``: ``first_above`` (first measured day with volume above the threshold, censored
at the last measured day otherwise), ``last_below`` (TumGrowth: last day at or below the
threshold), ``interpolate`` (log-linear interpolation between the bracketing days) or
``fold_baseline`` (first day at ``endpoint_fold`` times the mouse's first volume). The column
records the rule and its threshold. With a ``cause`` column in the recorded table, only tumour
deaths are events (``event`` 1); toxic and other deaths are censored at their time (``event`` 0,
``cause`` says why) and counted in ``tolerability.tsv``. Empty when the study configures no
survival endpoint.""",
        columns=_columns(
            "arm",
            "mouse_id",
            "time_days",
            "event",
            "endpoint_rule",
            opt("cause"),
        ),
    ),
    Table(
        "survival",
        "tables/survival.tsv",
        stage="survival",
        section="Survival",
        caption="""\
Kaplan–Meier summary per arm of study **{{ snakemake.wildcards.study }}**: number of mice,
events, median survival (days) with its 100(1 − alpha)% confidence interval (95% by default),
the restricted mean survival time and the median follow-up. Medians and CIs are computed as R's
``survfit`` does (Greenwood variance, "log" confidence band, median = midpoint of a step that is
flat at exactly 50%, as in GraphPad Prism; ``median_unique`` is then FALSE and ``note`` gives the
flat interval, and the summary quotes no median or ratio of medians for that arm); an empty
median or limit means **not reached**, never a substitute number. RMST is the area under the curve up to a horizon common to all arms
(``rmst_horizon_days`` = the smallest of the arms' last follow-up times).
``median_followup_days`` is the median follow-up by the reverse Kaplan–Meier method.""",
        columns=KM_PER_ARM,
    ),
    Table(
        "survival_tests",
        "tables/survival_tests.tsv",
        stage="survival",
        section="Survival",
        caption="""\
Two-arm survival comparisons of study **{{ snakemake.wildcards.study }}**: every treated arm
against the control, then every pair of treated arms (the later-listed arm against the earlier
one). Per row: log-rank (Mantel–Cox, equal to R ``survdiff``) and Gehan–Breslow–Wilcoxon
chi-square and p; Cox proportional-hazards hazard ratio (arm vs reference, Efron ties, Wald CI,
likelihood-ratio p; HR < 1 = the arm reaches the endpoint later); the Mantel–Haenszel and
log-rank (O/E) hazard ratios GraphPad Prism reports; the Firth-penalised HR (finite when the
Cox likelihood is monotone); the ratio of median survival times (arm / reference) with Prism's
CI (KB #718, exponential assumption) and the percent increase in median survival. When all
reference events come before any event of the arm (complete separation) the Cox HR is not
reported and ``hr_flag`` says why. ``p_holm``: log-rank p-values Holm-adjusted over all rows.""",
        columns=TWO_ARM_SURVIVAL,
    ),
    Table(
        "survival_overall",
        "tables/survival_overall.tsv",
        stage="survival",
        section="Survival",
        caption="""\
Tests over all arms of study **{{ snakemake.wildcards.study }}** (three or more arms): the k-arm
log-rank test (R ``survdiff``, k − 1 df), the k-arm Gehan–Breslow–Wilcoxon test and the
log-rank test for trend (1 df) with scores 1..k in the study file's arm order — meaningful
only when that order is a dose order. The ``note`` column explains a missing test (fewer than
three arms, or no survival endpoint configured).""",
        columns=_columns(
            "test",
            "arms",
            "scores",
            "chisq",
            "df",
            "p",
            "note",
        ),
    ),
    Table(
        "event_free_survival",
        "tables/event_free_survival.tsv",
        stage="survival",
        section="Survival",
        caption="""\
Event-free survival per arm of study **{{ snakemake.wildcards.study }}**: an event is the
tumour endpoint **or** a death of cause toxicity (a death of another cause stays censored),
so a toxic regimen is not flattered by censoring the mice it killed, as it is in
``survival.tsv``. Columns as ``survival.tsv`` (Kaplan–Meier median with its 95% CI, RMST, median
follow-up) plus ``toxic_deaths``, the toxic deaths among the arm's events. One row with only a
``note`` when the study records no toxic death (event-free survival is then the tumour
endpoint) or no survival endpoint.""",
        columns=(*KM_PER_ARM, *_columns("toxic_deaths")),
    ),
    Table(
        "event_free_survival_tests",
        "tables/event_free_survival_tests.tsv",
        stage="survival",
        section="Survival",
        caption="""\
Two-arm comparisons of event-free survival (tumour endpoint or toxic death) in study
**{{ snakemake.wildcards.study }}**, the same pairs and statistics as ``survival_tests.tsv``
(log-rank, Cox hazard ratio, Holm-adjusted p over this table's rows). The regimen comparison
reads it: between two regimens of one agent, the log-rank p and hazard ratio of event-free
survival count the toxic deaths the tumour endpoint censors. Header only when no toxic death is
recorded.""",
        columns=TWO_ARM_SURVIVAL,
    ),
    Table(
        "exclusions_survival",
        "tables/exclusions_survival.tsv",
        stage="survival",
        section="Survival",
        caption="""\
Mice of study **{{ snakemake.wildcards.study }}** that are in the measurement table but have no
survival endpoint, and so are not in the survival analysis (``stage, arm, mouse_id, day,
reason``; day empty = the whole mouse): with a recorded ``survival_data`` table, mice the table
does not list; with endpoints derived from volumes, mice without any measured volume. Header
only when every mouse has an endpoint or the study configures no survival endpoint.""",
        columns=EXCLUSIONS,
    ),
    Table(
        "body_weight",
        "tables/body_weight.tsv",
        stage="tolerability",
        section="Tolerability",
        caption="""\
Body-weight change per arm and day in study **{{ snakemake.wildcards.study }}**: the mean over
the mice weighed that day of each mouse's percent change from its baseline,
%ΔBW = 100·(BW/BW0 − 1) (DRAP ``RelativeChange``; a mean of ratios, not the change of the mean
weight), its SD and SEM = SD/√n. BW0 is each mouse's first weighing, or the mean of its
weighings up to the first dose (``tolerability.baseline: pre_dose_mean``). Impossible weights
are left out at ingest (``exclusions.tsv``). Header only when the data have no body weights.""",
        columns=_columns(
            "arm",
            "day",
            Column("n", "int", "mice weighed that day"),
            "mean_pct_change",
            Column("sd", "float", "standard deviation of the per-mouse %BW change"),
            "sem",
        ),
    ),
    Table(
        "body_weight_per_mouse",
        "tables/body_weight_per_mouse.tsv",
        stage="tolerability",
        section="Tolerability",
        caption="""\
Body-weight course of each mouse of study **{{ snakemake.wildcards.study }}**: baseline weight,
nadir (the lowest %ΔBW after the baseline) and its day, recovery day (first weighing after the
nadir back at −5 % or above) and the area under the %ΔBW curve (trapezoids over all weighings,
%·day).""",
        columns=_columns(
            "arm",
            "mouse_id",
            "baseline_g",
            "nadir_pct",
            "nadir_day",
            "recovery_day",
            "bw_auc_pct_day",
        ),
    ),
    Table(
        "tolerability",
        "tables/tolerability.tsv",
        stage="tolerability",
        section="Tolerability",
        caption="""\
Tolerability per arm of study **{{ snakemake.wildcards.study }}**: the group-mean body-weight
nadir (lowest arm-mean %ΔBW after baseline, the NCI "mean weight nadir") and its day, the mean of
the mice's own nadirs (never smaller in magnitude), the mice whose nadir is a loss of at least
15 % and 20 % (and of each ``tolerability.loss_thresholds_pct``), toxic deaths (recorded
``cause`` toxicity) and their Aalen–Johansen cumulative incidence at the arm's last time with
tumour and other deaths as competing events (R ``cmprsk::cuminc``). Verdict by the NCI/DTP
convention (Plowman et al. 1997): toxic when the group-mean nadir is a loss of at least
``toxic_nadir_pct`` (20 %) or more than ``toxic_death_fraction`` (10 %) of the mice died of
toxicity; ``rule`` gives the values, and names each body weight of the arm left out at ingest
as a recording error (``n_weights_excluded``; an isolated spike up or an impossible value, never
a loss). Toxic deaths are empty when no cause of death is recorded.""",
        columns=_columns(
            "arm",
            "n_mice",
            "n_weighed",
            "n_weights_excluded",
            "group_mean_nadir_pct",
            "group_mean_nadir_day",
            "mean_individual_nadir_pct",
            "n_loss_ge_15pct",
            "n_loss_ge_20pct",
            "toxic_deaths",
            "toxic_death_incidence",
            "verdict",
            "rule",
        ),
        extra=Column(
            "n_loss_ge_<t>pct",
            "int",
            "mice whose nadir is a loss of t % or more (tolerability.loss_thresholds_pct)",
        ),
        in_report="Tolerability",
    ),
    Table(
        "regimen",
        "tables/regimen.tsv",
        stage="tolerability",
        section="Regimens",
        caption="""\
Dosing regimen of each dosed arm of study **{{ snakemake.wildcards.study }}**: number and days of
doses, cumulative dose, mean interval and dose intensity per week (cumulative dose over
n_doses × interval). For an agent with a radioactive decay (study file ``agents``: isotope or
half-life, optional biological half-life, 1/T_eff = 1/T_phys + 1/T_biol): the cumulated
activity Σ A_k/λ_eff (unit·day; instantaneous uptake, mono-exponential clearance, MIRD) and the
decay-corrected activity present just after each dose. Per-mouse amounts (mg, µCi, mCi, MBq) are
divided by each mouse's weight at the dose (last weighing on or before it) for the dose per kg;
per m² uses the mouse's BSA = BW/Km with Km = 3, and the human-equivalent dose by body-surface
area is per kg × 3/37 (FDA 2005 guidance, Table 1). BSA scaling is an empirical rule for
small-molecule toxicity: for radiopharmaceuticals compare absorbed doses instead (``note``).""",
        columns=_columns(
            "arm",
            "agent",
            "n_doses",
            "dose_days",
            "cumulative_dose",
            "dose_unit",
            "dose_interval_days",
            "dose_intensity_per_week",
            "effective_half_life_days",
            "cumulated_activity",
            "activity_after_each_dose",
            "dose_per_kg_unit",
            "cumulative_dose_per_kg",
            "cumulative_dose_per_m2",
            "hed_per_kg",
            "note",
        ),
        in_report="Regimens",
    ),
    Table(
        "regimen_comparison",
        "tables/regimen_comparison.tsv",
        stage="tolerability",
        section="Regimens",
        caption="""\
Regimens of one agent compared in study **{{ snakemake.wildcards.study }}**: every pair of arms
with the same ``agent`` (the later-listed arm against the earlier one). Dose: cumulative dose
and cumulated activity of each. Efficacy: growth-rate difference arm − reference from the growth
mixed model with its CI and Wald p (``growth_contrasts.tsv``), %T/C of each at the reference
day, ratio of median survival arm/reference with its CI and the log-rank p of the pair
(``survival_tests.tsv``; toxic deaths censored), and the event-free survival hazard ratio with
its CI and log-rank p, toxic deaths counted as events (``event_free_survival_tests.tsv``; empty
when no toxic death is recorded). Tolerability: group-mean nadir, mice with ≥ 20 % loss, toxic
deaths and verdict of each. Header only when no two arms share an agent.""",
        columns=_columns(
            "arm",
            "reference",
            "agent",
            "dose_unit",
            "cumulative_dose_arm",
            "cumulative_dose_reference",
            "cumulated_activity_arm",
            "cumulated_activity_reference",
            "rate_diff",
            "rate_diff_ci_low",
            "rate_diff_ci_high",
            "rate_diff_p",
            "tc_pct_arm",
            "tc_pct_reference",
            "median_ratio",
            "median_ratio_ci_low",
            "median_ratio_ci_high",
            "logrank_p",
            "efs_hr",
            "efs_hr_ci_low",
            "efs_hr_ci_high",
            "efs_logrank_p",
            "group_mean_nadir_pct_arm",
            "group_mean_nadir_pct_reference",
            "n_loss_ge_20pct_arm",
            "n_loss_ge_20pct_reference",
            "toxic_deaths_arm",
            "toxic_deaths_reference",
            "verdict_arm",
            "verdict_reference",
        ),
        in_report="Regimens compared",
    ),
    Table(
        "dose_response",
        "tables/dose_response.tsv",
        stage="tolerability",
        section="Regimens",
        caption="""\
Dose–response of each agent of study **{{ snakemake.wildcards.study }}** with at least three
positive cumulative dose levels: per-mouse growth rate (``growth_per_mouse.tsv``) against the
cumulative dose of the mouse's arm, the control at dose 0. Two models (DoseFinding/MCPMod):
Emax f(d) = E0 + Emax·d/(ED50 + d) by nonlinear least squares (= R ``nls``), and log-linear
f(d) = E0 + δ·ln(d + 0.01·max dose) (= R ``lm``); standard errors as R's ``summary``, the ED50
interval Wald with t on n − 3 df, AIC as R's; ``selected`` marks the lower AIC. Header only when
no agent has three dose levels.""",
        columns=_columns(
            "agent",
            Column("model", "str", "dose-response model: emax or linlog"),
            Column("selected", "bool", "TRUE for the model with the lower AIC"),
            "n_mice",
            "n_dose_levels",
            "dose_unit",
            "e0",
            "e0_se",
            Column(
                "effect",
                "float",
                "Emax (emax: maximal change of the growth rate) or delta (linlog: change per "
                "unit ln dose)",
            ),
            "effect_se",
            "ed50",
            "ed50_se",
            "ed50_ci_low",
            "ed50_ci_high",
            "rss",
            Column("aic", "float", "Akaike information criterion, R's logLik-based definition"),
            "note",
        ),
    ),
    Table(
        "regimen_model",
        "tables/regimen_model.tsv",
        stage="tolerability",
        section="Regimens",
        caption="""\
Dose-driven growth model of study **{{ snakemake.wildcards.study }}** (``xenoflow.regimenmodel``),
fitted to the control and every arm with doses: each tumour grows exponentially at one rate and
each dose puts in an exposure that decays with the agent's effective half-life (the isotope's,
1/T_eff = 1/T_phys + 1/T_biol, or a default 1-day half-life for an agent the study
file gives none) and kills at a rate proportional to it:
ln V_ij = β0 + b0_i + (g + b1_i)·t_ij − Σ_a k_a·E_a(t_ij) + e_ij with
E_a(t) = Σ_{t_j < t} A_j·(1 − e^(−λ_a(t − t_j)))/λ_a, the area under the decaying dose (unit·day);
random start and growth rate per mouse, ``(1 + day | mouse)``, or the random start only when that is
singular. In the spirit of Simeoni et al. 2004 (Cancer Res 64:1094), reduced to what caliper data
identify (exponential growth, no transit compartments, C(t) from the schedule). Fitted by REML
(lme4's profiled deviance); fixed effects with SE and Wald 95 % CI with t quantiles on
n_mice − p degrees of freedom (p fixed effects; normal quantiles undercover, 93 % on simulations);
``log_kill_per_unit_dose`` = k/λ is the eventual drop of ln V per unit of a dose; variance
components without SE. The kill is linear in the exposure: regimens of equal total dose end with
the same log-kill and differ only in its timing (no threshold, saturation or dose-rate effect).
When ``regimen_model_selection.tsv`` chooses the Claret et al. 2009 model with drug resistance,
this is that model: E_a(t) weighted by e^(−λ_R (s − t_0)) (``model``), with the rows
``resistance_rate`` (λ_R, ML, 95% profile-likelihood interval) and ``resistance_half_life_days``
(ln 2/λ_R); the other estimates are REML given λ_R. When it chooses the delayed-kill model
(Simeoni et al. 2004, the exposure passed through 3 transit compartments at rate k_tr before it
kills), E_a(t) is that of the delayed exposure (``model``), with the rows ``transit_rate`` (k_tr,
ML, 95% profile-likelihood interval) and ``mean_kill_delay_days`` (3/k_tr); the other estimates
are REML given k_tr. When it chooses the model with both (the resistance rate acting on the
delayed exposure), it has both pairs of rows, without profile intervals (empty). Header only when no arm has doses.""",
        columns=_columns(
            "parameter",
            "agent",
            "dose_unit",
            Column("estimate", "float", "estimate (REML; fixed effects by GLS)"),
            Column("se", "float", "standard error (fixed effects)"),
            "ci_low",
            "ci_high",
            "parameter_unit",
            "meaning",
            Column(
                "effective_half_life_days",
                "float",
                "half-life of the dose exposure of the agent (days; isotope, study file or "
                "the 1-day default)",
            ),
            "random_effects",
            Column("n_mice", "int", "mice in the fit (control and dosed arms)"),
            Column("n_obs", "int", "measurements in the fit"),
            "reml_log_likelihood",
            "arms",
            Column("model", "str", "the model in words and as a formula"),
            "note",
        ),
        in_report="Dose-driven growth model",
    ),
    Table(
        "regimen_model_check",
        "tables/regimen_model_check.tsv",
        stage="tolerability",
        section="Regimens",
        caption="""\
Does the dose-driven growth model of study **{{ snakemake.wildcards.study }}** fit the data it
was fitted to, and does it predict an arm it has not seen? ``fitted``: every observed arm-day
mean ln volume against its 95% prediction band for a mean of that day's n mice, μ(t) ± t·√(x'
Cov(β) x + (z'Ψz + σ²)/n), z = (1, t) (mean-curve uncertainty plus the spread of n mice);
``held out: <arm>``: the model refitted without that dosed arm predicts it (leave-one-arm-out
cross-validation; only for an agent with another dosed arm). Per row: arm-days, how many
inside their band, coverage and the root-mean-square error of the predicted mean ln V.
``passes``: at least 80% of the fitted arm-days and 80% of the held-out arm-days inside their
bands, and each held-out arm predicted within a typical factor of 2 (RMSE ≤ ln 2); ``rule``
says which part failed. Arm-days with fewer than ``mean_min_fraction`` of the arm's mice
measured are left out (their means are those of the mice not yet at the endpoint). The ``what_if`` regimens are predicted only when the
model passes. Each model of ``regimen_model_selection.tsv`` is checked (``growth_model``); the
chosen one's rows decide. Header only when the model is not fitted.""",
        columns=_columns(
            Column(
                "growth_model",
                "str",
                "the model checked: exponential (today's log-kill model), claret (with drug "
                "resistance), delayed (delayed kill) or resistant_delayed (both; "
                "regimen_model_selection.tsv)",
            ),
            "check",
            "n_arm_days",
            "n_inside",
            "coverage_pct",
            "rmse_log_volume",
            "passes",
            Column("rule", "str", "the adequacy rule and where the model met or missed it"),
        ),
    ),
    Table(
        "regimen_model_selection",
        "tables/regimen_model_selection.tsv",
        stage="tolerability",
        section="Regimens",
        caption="""\
Which dose-driven growth model study **{{ snakemake.wildcards.study }}** uses. ``exponential``:
today's model (``regimen_model.tsv``), exponential growth minus a log-kill proportional to the
accumulated decaying dose exposure. ``claret``: the tumour growth-inhibition model with drug
resistance of Claret et al. 2009 (J Clin Oncol 27:4103), d ln V/dt = g − k·C(t)·e^(−λ_R(t − t_0)),
the same exposure C(t) with a kill that fades at the resistance rate λ_R from the arm's first
dose t_0 (regrowth under treatment); ln V(t) = ln V0 + g·t − k·Σ_j A_j·e^(−λ_R(t_j − t_0))·
(1 − e^(−(λ + λ_R)(t − t_j)))/(λ + λ_R). It is linear in (ln V0, g, k) given λ_R: λ_R maximises
the ML profile likelihood over [0, 10/(last day − first dose)] (95% interval: where the profile
drops by χ²₁(0.95)/2), the rest is fitted by REML at that λ_R as the exponential model is (its
intervals do not include the uncertainty in λ_R). AIC = −2ℓ_ML + 2·(fixed effects + variance
components + residual SD, + λ_R or k_tr), all from ML fits with the random effects of the exponential
model's REML fit (REML likelihoods of different fixed effects are not comparable). ``delayed``:
the delayed-kill model of Simeoni et al. 2004 (Cancer Res 64:1094), the exposure passed through
3 transit compartments at rate k_tr before it kills, so tumours shrink days after a dose:
d ln V/dt = g − k·y_3(t), y_3 = C convolved with the gamma(3, k_tr) density; k_tr is profiled
as λ_R is, through the mean delay 3/k_tr over [0, (last day − first dose)/2] (k_tr = ∞ is the
exponential model; + k_tr in the AIC). ``resistant_delayed``: both, the Claret kill fading
at λ_R acting on the delayed exposure, d ln V/dt = g − k·y_3(t)·e^(−λ_R(t − t_0)) (closed
form: ``xenoflow.regimenmodel.resistant_transit_exposure``); (λ_R, 3/k_tr) maximise the ML
profile likelihood jointly (a grid of 6 × 6 refined by Nelder–Mead; + 2 in the AIC; no
profile intervals: empty). Each model
gets the adequacy check of ``regimen_model_check.tsv``; ``chosen``: the lowest AIC among the
models that pass, else the lowest AIC (then no ``what_if`` regimen is predicted). The chosen
model gives ``regimen_model.tsv``, ``what_if.tsv`` and the summary's sentences. Header only when
no arm has doses.""",
        columns=_columns(
            "growth_model",
            "resistance_rate",
            "resistance_ci_low",
            "resistance_ci_high",
            "transit_rate",
            "transit_rate_ci_low",
            "transit_rate_ci_high",
            "ml_log_likelihood",
            "n_parameters",
            # aic, passes, reason and model mean something else here than in the vocabulary
            Column("aic", "float", "−2·ML log-likelihood + 2·parameters"),
            "delta_aic",
            Column("passes", "bool", "TRUE when the model passes its adequacy check"),
            "check_rule",
            "chosen",
            Column("reason", "str", "why the model was or was not chosen"),
            Column("model", "str", "the model in words and as a formula"),
        ),
        in_report="Dose-driven growth model: which model is used",
    ),
    Table(
        "what_if",
        "tables/what_if.tsv",
        stage="tolerability",
        section="Regimens",
        caption="""\
Fitted and predicted mean ln volume in study **{{ snakemake.wildcards.study }}** from the
dose-driven growth model (``regimen_model.tsv``): for each arm in the model (``kind`` observed,
with the observed mean ln V of the mice measured that day, which after mice leave at the humane
endpoint is biased low) and each regimen of the study file's ``what_if`` (``kind`` what_if),
μ(t) = x(t)'β with x(t) = (1, t, −E_a(t)) on whole days over the observed span and every measured
day. 95 % intervals μ ± t·SE with SE² = x(t)'Cov(β)x(t) (delta method, exact for this model
linear in β; t on n_mice − p df as in ``regimen_model.tsv``; the exposure half-life taken as
known; for a model with a resistance rate λ_R or a kill delay,
their uncertainty is added: SE² + J·Cov(θ̂)·J' with Cov(θ̂) from the curvature of the ML profile
and J = dμ/dθ, and the band widened to cover the conditional band of every (λ_R, delay) of the
95% profile-likelihood region the profile search evaluated). On simulated studies the interval of a regimen not in the fit covered the true mean 95 %
of the time. Predictions are the mean ln V of a
typical mouse (the random effects average out); exp(μ) is the geometric-mean volume. Each
what_if row also carries the regimen's predicted group-mean body-weight nadir
(``predicted_bw_nadir_pct``, ``xenoflow.bwnadir``): OLS of the group-mean
nadirs of the control (dose 0) and the agent's dosed arms on their largest single
administration, with a 95% prediction interval, and whether it crosses the tolerability limit;
withheld (``bw_nadir_note``) with fewer than 3 dosed arms with body weights or a regimen outside
the observed doses (largest single administration, total or number of administrations). A what_if
regimen is predicted only when the growth model passes its check and the regimen stays within
the time the study observed: its last dose no later after its first dose than in any dosed arm of
its agent (last − first dose, with a 1-day visit window), and its predicted days no longer after
its first dose than those arms were followed after theirs (the data show nothing of what
resistance or a delayed kill does later, so a prediction there would be a guess with a
confident-looking band), with no more doses, no larger single dose and no larger total than an
arm of its agent was given (the linear kill multiplies the model's errors). Otherwise the regimen has one row without a day that holds only its
nadir and ``prediction_note`` says why. Header only when no arm has doses.""",
        columns=_columns(
            "name",
            "kind",
            "agent",
            "schedule",
            "day",
            "pred_mean_log_volume",
            "pred_se",
            Column("ci_low", "float", "lower bound of the 95% interval of the mean ln volume"),
            Column("ci_high", "float", "upper bound of the 95% interval of the mean ln volume"),
            "pred_geo_mean_volume_mm3",
            "observed_mean_log_volume",
            "n_observed",
            "predicted_bw_nadir_pct",
            "bw_nadir_pi_low",
            "bw_nadir_pi_high",
            "bw_nadir_limit_pct",
            "bw_nadir_crosses_limit",
            "bw_nadir_note",
            "prediction_note",
        ),
    ),
    Table(
        "power",
        "tables/power.tsv",
        stage="power",
        section="Design",
        caption="""\
Power of a next two-arm study (control vs treated) with study **{{ snakemake.wildcards.study }}**
as the pilot, for each endpoint, effect, follow-up day and number of mice per arm (study file key
``design``). The effect is a growth inhibition TGI = 1 − T/C of the geometric mean volume at the
follow-up day, on each endpoint's own scale (``effect``). ``log_volume``: two-sided two-sample
t test on ln V at the follow-up day, exact noncentral t power (= R ``power.t.test``) with the
pilot's pooled within-arm SD of ln V that day (``sd``). ``growth_rate``: the mixed model's
treatment × day contrast with the pilot's variance components (random slope SD ``sd_slope``,
residual SD ``sd_residual``; ``sd`` = SD of one mouse's slope over the schedule
``schedule_days``, the pilot's measurement days), noncentral F power (Helms 1992, as nlmeU
``Pwr`` and SynergyLMM), effect = ln(1 − TGI)/(follow-up − start day). ``survival``: log-rank
test at the hazard ratio k_T/k_C = 1 + Δk/k_C (k_C the pilot's control growth rate, Δk the
growth-rate effect: the time to the volume endpoint scales with 1/k), exponential times with the
pilot's control median (``control_median_days``) and all mice followed from the start day to the
follow-up day (``expected_events``), by Schoenfeld 1981 and Freedman 1982. ``power_simulated``: share of seeded simulated studies that reject
(``design.simulations``; growth rate: simulated from the fitted mixed model, survival:
exponential times and the log-rank test), with its Monte-Carlo SE. ``synergy_bliss``,
``synergy_hsa`` (study files with ``combinations``): the Bliss and HSA contrasts of the synergy
model (``synergy_model.tsv``; ``effect`` = the pilot's contrast, per unit model time) in a next
four-arm study with n mice per arm measured on the pilot's days after time_start
(``schedule_days``), noncentral F on exemplary data with nlme's df (Helms 1992, nlmeU ``Pwr``
as SynergyLMM ``PwrSampleSize``); ``sd`` = SD of the contrast for one mouse per arm.""",
        columns=_columns(
            "endpoint",
            DESIGN_METHOD,
            DESIGN_TGI,
            "effect",
            "sd",
            "sd_slope",
            "sd_residual",
            "control_median_days",
            "n_per_arm",
            "follow_up_days",
            "schedule_days",
            "expected_events",
            "alpha",
            "power",
            "power_simulated",
            "power_simulated_se",
        ),
    ),
    Table(
        "sample_size",
        "tables/sample_size.tsv",
        stage="power",
        section="Design",
        caption="""\
Mice per arm a next two-arm study needs for the target power (study file ``design.power``),
with study **{{ snakemake.wildcards.study }}** as the pilot, per endpoint, method, effect and
follow-up day (methods as in ``power.tsv``): ``n_per_arm`` = the smallest n of the design grid
whose analytic power reaches the target (empty: none does), ``n_exact`` = the real-valued
solution (R ``power.t.test(power = ...)$n`` for the log-volume endpoint), ``n_needed`` = it
rounded up, and for survival the number of events needed. A row with only a ``note`` names an
endpoint the pilot cannot serve (no survival endpoint, no mixed model, no combinations for
the synergy endpoints, or a synergy model with a variance function).""",
        columns=_columns(
            "endpoint",
            DESIGN_METHOD,
            DESIGN_TGI,
            "effect",
            "follow_up_days",
            "alpha",
            "target_power",
            Column(
                "n_per_arm",
                "int",
                "smallest n per arm of the design grid with power >= target_power",
            ),
            "n_exact",
            "n_needed",
            "events_needed",
            "note",
        ),
    ),
    Table(
        "synergy_model",
        "tables/synergy_model.tsv",
        stage="synergy",
        section="Synergy",
        caption="""\
SynergyLMM's exponential mixed model of each drug combination of study
**{{ snakemake.wildcards.study }}** (study file keys ``combinations`` and ``synergy``), one row per
arm of the design (control, single agents, combination): ln RTV = (β_arm + b_mouse)·t + ε with
RTV = V/V(``time_start``) per mouse, t = day − time_start (or its square root,
``time_transform``), no intercept, a random slope per mouse, fitted by REML as
``nlme::lme(logRTV ~ 0 + Time:Treatment, random = ~0 + Time | SampleID, weights = ...)``
(``variance_model``; the residual SD is that of the reference stratum: the first mouse, arm or day).
``growth_rate`` = β_arm (ln RTV per day, per √day with sqrt time) with its SE and the 95 % interval
against Student's t with nlme's denominator degrees of freedom (nlme ``intervals``).""",
        columns=_columns(
            "combination",
            "arm",
            "role",
            Column("n_mice", "int", "mice in the model"),
            Column("n_obs", "int", "measurements fitted (the time_start row of each mouse is not)"),
            "growth_rate",
            "se",
            "ci_low",
            "ci_high",
            "sd_ranef",
            "sd_resid",
            "variance_model",
            "time_start",
            "time_end",
            "time_transform",
        ),
    ),
    Table(
        "synergy",
        "tables/synergy.tsv",
        stage="synergy",
        section="Synergy",
        caption="""\
Synergy of each drug combination of study **{{ snakemake.wildcards.study }}** by reference model
(``method``): Bliss independence, highest single agent (HSA) and response additivity (RA), on the
mixed model of ``synergy_model.tsv`` (``basis`` lmm; SynergyLMM ``lmmSynergy``, Demidenko & Miller
2019), refitted on the data up to each measured ``day`` (time-resolved; the last day is the whole
study). Bliss contrast est = β_AB − β_A − β_B + β_control, HSA est = β_AB − min(β_A, β_B) (the
single agent chosen on the whole-study fit); ``score`` = synergy score −est/SE (> 0: synergy,
< 0: antagonism) with its interval −(est ± q·SE)/SE; ``p_method`` says how p and the interval
were computed: the Wald z test of SynergyLMM (``marginaleffects::hypotheses``) or, as a
small-sample alternative, Student's t with nlme's denominator df. RA: 1000 seeded draws of the
coefficients, Δ = ∫ e^(β_AB t) − ∫ (e^(β_A t) + e^(β_B t) − e^(β_C t)) from 0 to the day's time,
score = −median Δ / SD Δ, percentile interval, p = 2·min(P(Δ ≤ 0), P(Δ ≥ 0)). ``power`` (whole
study, Bliss and HSA z tests): post-hoc power, the share of ``synergy.power_simulations`` (default
1000) seeded studies simulated from the fitted model and refitted whose test has p < alpha
(SynergyLMM ``PostHocPwr``).

For comparison, invivoSyn's and CombPDX's metrics of each two-drug combination (Mao & Guo 2023;
Huang et al. 2022), bootstrap resamples and seed of the analysis settings; ``statistic`` names
each score. ``tgi``: on the last day all four arms are measured, TGI_g = 1 − mean ΔTV_g / mean
ΔTV_control; expected TGI Bliss 1 − (1 − TGI_A)(1 − TGI_B), HSA max, RA sum; score TGI_AB −
TGI_expected (%) and log(TGI_AB / TGI_expected), stratified bootstrap percentile interval and
p = 1 − P*(TGI_AB > TGI_expected). ``auc``: per-mouse rate k = 2·[∫ln(V + 1) dt − y₀·span]/span²,
s_g = exp((k̄_g − k̄_control)·21 d); s_AB / s_expected (< 1 synergy; interval on the log scale;
*not estimable*, left empty with the reason in ``p_method``, when s_expected or its bootstrap
interval reaches 0, as RA's (1 − s_A) + (1 − s_B) can) and 100·(s_expected − s_AB); an interval
that does not contain its estimate is not reported (``p_method`` says so).
``combpdx``: the day-specific log combination index on mean relative volumes (> 0 synergy;
delta-method interval, one-sided p as CombPDX) and the global index, its mean over days
(bootstrap, p = P*(gCI ≤ 0)).""",
        columns=_columns(
            "combination",
            Column("method", "str", "synergy reference model: bliss, hsa or ra"),
            "basis",
            Column(
                "day", "float", "last study day of the data used (the whole study: the last day)"
            ),
            Column("statistic", "str", "what score is (its scale and direction differ by basis)"),
            "score",
            "ci_low",
            "ci_high",
            Column("p_value", "float", "two-sided p-value of no synergy (additivity)"),
            "p_method",
            Column("power", "float", "post-hoc power of the test at alpha (whole-study rows)"),
        ),
    ),
    Table(
        "synergy_diagnostics",
        "tables/synergy_diagnostics.tsv",
        stage="synergy",
        section="Synergy",
        caption="""\
Diagnostics of the synergy mixed model of study **{{ snakemake.wildcards.study }}** (whole-study
fit), one row per fitted measurement: ``fitted_log_rtv`` = X β̂ + b̂·t (the mouse's own line),
``resid_normalised`` = (ln RTV − fitted)/(σ·g) with g the variance function (nlme
``resid(type = "normalized")``; beyond ±1.96 is unusual), ``ranef_slope`` = the mouse's predicted
random slope b̂ (BLUP), ``cooks_distance`` = the mouse's Cook's distance on the fixed effects,
(β̂₋ᵢ − β̂)ᵀ V̂⁻¹ (β̂₋ᵢ − β̂)/p with β̂₋ᵢ refitted without the mouse (SynergyLMM ``CookDistance``,
type fixef; SynergyLMM flags mice above 3 × the mean).""",
        columns=_columns(
            "combination",
            "arm",
            "mouse_id",
            "day",
            "time",
            "log_rtv",
            "fitted_log_rtv",
            "resid_normalised",
            "ranef_slope",
            "cooks_distance",
        ),
    ),
    Table(
        "exclusions_synergy",
        "tables/exclusions_synergy.tsv",
        stage="synergy",
        section="Synergy",
        caption="""\
Measurements and mice of study **{{ snakemake.wildcards.study }}** left out of a combination's
synergy model, with the reason (prefixed by the combination): days before ``synergy.time_start``
or after ``time_end``, mice without a volume (or with volume 0) at time_start, zero volumes under
``log_zero_rule: drop``, mice with fewer than ``min_observations`` measurements. Empty ``day`` =
the whole mouse.""",
        columns=EXCLUSIONS,
    ),
    Table(
        "panel_curves",
        "tables/panel_curves.tsv",
        stage="panel_summary",
        section="Panel",
        scope="panel",
        caption="""\
Per-curve metrics of every model of panel **{{ snakemake.wildcards.panel }}**: one row per
mouse (model, arm, mouse): growth rate of the exponential fit (ln volume per day), doubling
time, best response and best average response (percent volume change from baseline, days
≥ 10), the mRECIST call (Gao et al. 2015), AUC of the volume curve (trapezoid, mm³·days) and
the time to the endpoint of the study file (time to double with ``endpoint_rule:
fold_baseline``, ``endpoint_fold: 2``). Each model's full outputs are in
``results/<panel>.<model>/``.""",
        columns=_columns(
            "model",
            "arm",
            "mouse_id",
            "n_measurements",
            "growth_rate_per_day",
            "growth_rate_se",
            "r_squared",
            "doubling_time_days",
            opt("best_model"),
            "best_response_pct",
            "best_avg_response_pct",
            "mrecist",
            "auc_mm3_days",
            "endpoint_time_days",
            "endpoint_event",
            "endpoint_rule",
        ),
    ),
    Table(
        "panel_summary",
        "tables/panel_summary.tsv",
        stage="panel_summary",
        section="Panel",
        scope="panel",
        columns=CROSS_STUDY,
    ),
    Table(
        "panel_qc",
        "tables/panel_qc.tsv",
        stage="panel_summary",
        section="Panel",
        scope="panel",
        columns=QC_COUNTS,
    ),
    Table(
        "mrecist_matrix",
        "tables/mrecist_matrix.tsv",
        stage="panel_summary",
        section="Panel",
        scope="panel",
        caption="""\
mRECIST call of every curve of panel **{{ snakemake.wildcards.panel }}**, models (rows) ×
treatments (columns; control first, then by number of models tested). Empty: the model was not
tested with that treatment; ``NA``: the curve could not be classified (no measurement after
day 10); several mice in one arm are joined with ``/``. Calls follow Gao et al. 2015 (Nat Med
21:1318) exactly as Xeva computes them.""",
        columns=_columns(
            "model",
        ),
        extra=Column(
            "*", "str", "mRECIST call(s) of the model under this treatment (empty: not tested)"
        ),
    ),
    Table(
        "response_rates",
        "tables/response_rates.tsv",
        stage="panel_summary",
        section="Panel",
        scope="panel",
        caption="""\
Response per treatment across the models of panel **{{ snakemake.wildcards.panel }}**: counts
of CR, PR, SD and PD curves, response rate 100·(CR + PR)/N and disease-control rate
100·(CR + PR + SD)/N with exact Clopper–Pearson 95% intervals, and the median best response.""",
        columns=_columns(
            "arm",
            "n_models",
            "n_mice",
            *MRECIST_RATES,
            "median_best_response_pct",
        ),
    ),
    Table(
        "time_to_double",
        "tables/time_to_double.tsv",
        stage="panel_summary",
        section="Panel",
        scope="panel",
        caption="""\
Time to the per-curve endpoint (time to tumour doubling when the panel sets ``endpoint_rule:
fold_baseline`` and ``endpoint_fold: 2``) per treatment across the models of panel
**{{ snakemake.wildcards.panel }}**: Kaplan–Meier median with the 95% CI of R's ``survfit``
(log transform), and each treatment against the control curves: log-rank p, Cox hazard ratio
(Efron ties; flagged under complete separation) and ratio of medians. Curves of different
models are independent tumours.""",
        columns=_columns(
            "arm",
            "n",
            "events",
            "median_days",
            "median_ci_low",
            "median_ci_high",
            "logrank_p",
            "hr",
            "hr_ci_low",
            "hr_ci_high",
            "hr_flag",
            "median_ratio",
        ),
    ),
    Table(
        "summary",
        "summary.tsv",
        stage="cross_study_summary",
        section="Across studies",
        scope="run",
        caption="""\
One row per treated arm of every study: the control, the reference day, the fold-change reduction
(with its bootstrap 95% CI), %T/C and %TGI at the reference day, the arm's headline growth finding,
the ratio of median survival and the Cox hazard ratio (with CIs; where Cox separates, ``hr_flag``,
the Firth-penalised hazard ratio ``hr_firth`` with its CI), and the log-rank p-value. The
headline growth finding is the one the study's summary and report state and the forest plot
draws: ``rate_diff_vs_control`` (95% CI ``rate_diff_ci_low`` – ``rate_diff_ci_high``), the
exponential mixed model's growth-rate difference from control, or for an arm that regresses then
regrows (``two_phase``) the two-phase piecewise model's mean growth-rate difference from the
baseline to the reference day, as ``rate_diff_metric`` says with its days; ``rate_diff_p`` is the
p-value the report's verdict follows, Holm-adjusted when the study makes several comparisons
(``rate_diff_p_method`` names the test and the adjustment). ``logrank_p`` likewise is the log-rank
p the verdict follows (``logrank_p_method``); the unadjusted p-values are in each study's
tables. ``n_tumour_free`` of ``n_mice_measured`` mice are tumour-free on the reference day, with
the rank test against the control (``rank_p``, Dunn's test, Holm); where that is most of the arm
(``tumour_free_lead``) the count and the rank test lead, as in the study's answer, and the
log-scale growth finding rests on the detection limit. Combination arms
(study file key ``combinations``) also get their whole-study Bliss and HSA synergy scores and
p-values from ``synergy.tsv``. Empty cells mean the quantity does not apply (for example no
survival endpoint) or could not be estimated; the study's own tables say why.""",
        columns=CROSS_STUDY,
    ),
    Table(
        "failed_studies",
        "failed_studies.tsv",
        stage="cross_study_summary",
        section="Across studies",
        scope="run",
        caption="""\
The studies of this run that failed, one row per failed step, with the error message (which names
the file, row and column at fault). A failed study has no results folder and no row in the other
tables of the run; the table is empty when every study succeeded.""",
        columns=_columns(
            "study_id",
            Column("stage", "str", "step (Snakemake rule) that failed"),
            Column("message", "str", "the error, as in the step's log"),
        ),
    ),
    Table(
        "exclusions_summary",
        "exclusions_summary.tsv",
        stage="cross_study_summary",
        section="Across studies",
        scope="run",
        caption="""\
Counts per study and analysis step of the measurements or mice left out (``n_excluded``) and of
the notes raised while reading the data (``n_notes``). Each study's ``tables/exclusions*.tsv`` and
``tables/warnings.tsv`` list every item with its reason.""",
        columns=QC_COUNTS,
    ),
    Table(
        "panel_manifest",
        "chunk_{chunk}.manifest.tsv",
        stage="panel_chunk",
        scope="chunk",
        columns=_columns(
            "unit_id",
            "model",
            "fingerprint",
            "status",
        ),
    ),
)

FIGURES: tuple[Figure, ...] = (
    Figure(
        "growth_curves",
        "figures/growth_curves",
        "growth",
        "Growth",
        """\
Tumour growth by arm in study **{{ snakemake.wildcards.study }}**: mean ± SEM of the measured
volumes per arm and day (the GraphPad Prism convention; SEM = SD/√n over the mice measured that
day) on a linear and a logarithmic axis, drawn only on days when at least half of the arm's mice are
measured (the share is an analysis setting) and, when a mouse with a tumour at or above the
arm's median leaves and the mean falls at the next measurement, only up to that exit (the mean of
the smaller tumours left would read as a regression that never happened); × marks each mouse's
last measurement before its arm's last day. Triangles in the top strip mark the dosing days of
each arm (named on the left), each dose's amount written once above its triangle (µCi for
radioactivity); the bottom panel shows how many mice were still measured per
arm on each day (later means rest on fewer mice). The control arm is always grey.""",
        in_report="tumour growth curves",
    ),
    Figure(
        "spaghetti",
        "figures/spaghetti",
        "growth",
        "Growth",
        """\
Every mouse of study **{{ snakemake.wildcards.study }}**, one panel per arm in the arm's colour:
dots are the measured volumes (open circles at the bottom edge = zero volumes), the thin line is
the mouse's fitted curve from the model with the lowest AIC (exponential, linear, Gompertz,
logistic or regression–regrowth; the per-mouse growth table gives each fit). Logarithmic volume
axis.""",
        in_report="every mouse's curve",
    ),
    Figure(
        "waterfall",
        "figures/waterfall",
        "efficacy",
        "Efficacy",
        """\
Waterfall of best response per mouse ({{ snakemake.wildcards.study }}), sorted from largest growth to
deepest shrinkage. Bar colour = the mouse's arm (control grey). Bar height = its best response
(BR): the lowest percent volume change from baseline on or after day 10 of treatment (the
first response day, an analysis setting), not the change at the reference day. Shaded bands: the mRECIST
best-response cut-offs (PD above 35 %, SD, PR below −50 %, CR below −95 %). The letter on each
bar is the mouse's mRECIST class (Gao et al. 2015), which needs both its BR and its best average
response (BAR, the lowest running mean of the changes): CR BR < −95 % and BAR < −40 %, PR BR <
−50 % and BAR < −20 %, SD BR < 35 % and BAR < 30 %, PD otherwise. So a bar in the SD band reads
PD when the tumour shrank at one measurement but grew on average (BAR ≥ 30 %), and a bar in the
PR band reads SD when its average change stayed above −20 %; the figure's legends say the same.
Bars are cut at 200 % and marked with their value.""",
        in_report="waterfall of best response",
    ),
    Figure(
        "fold_change",
        "figures/fold_change",
        "efficacy",
        "Efficacy",
        """\
Fold change in tumour volume from baseline, V(t)/V0, per arm at the reference day
({{ snakemake.wildcards.study }}): bar = mean of the mice measured that day, whisker = 95 % bootstrap
interval, dots = individual mice; the dashed line is no change. Treated arms are labelled with the
fold-change reduction relative to control, 100·(1 − FC_T/FC_C), and its interval.""",
        in_report="fold change",
    ),
    Figure(
        "km",
        "figures/km",
        "survival",
        "Survival",
        """\
Kaplan–Meier curves of study **{{ snakemake.wildcards.study }}** (fraction of mice that have not
reached the endpoint; the endpoint is stated under the title), one step curve per arm with ticks
at censoring times, dotted lines at each reached median (none, and "not unique" in the legend,
when the curve is flat at exactly 50%), and the number of mice still at risk
under the time axis. The light shading around each curve is its pointwise 95 % confidence band
(R's "log" band; the level follows the analysis alpha), drawn faint so the bands of different
arms stay readable where they overlap; an analysis setting leaves
the bands out (the legend's shading entry says when they are drawn). The legend gives each arm's median and, for treated arms, the
log-rank p and Cox hazard ratio against the control. Colours match the study's other figures
(control grey).""",
        in_report="Kaplan–Meier curves",
    ),
    Figure(
        "body_weight_figure",
        "figures/body_weight",
        "tolerability",
        "Tolerability",
        """\
Body weight in study **{{ snakemake.wildcards.study }}**. Left: mean ± SEM of the per-mouse
percent change from baseline per arm and day, drawn only on days when at least half of the arm's
mice are weighed (an analysis setting, as for the growth curves), with the
number of mice weighed per day (every day) under the axis, dose days marked by triangles and dashed reference lines at the loss thresholds
(the study file's loss thresholds, 15 % and 20 % by default). Right: every mouse's trace in
its arm's colour. A note replaces the panels when the data have no body weights. A model of a
panel (one mouse per model and arm) with body weights gets one axis instead: every mouse's percent change (one
mouse per arm, so no means), with the same dashed threshold lines.""",
        in_report="body weight",
    ),
    Figure(
        "therapeutic_window",
        "figures/therapeutic_window",
        "tolerability",
        "Regimens",
        """\
Therapeutic window of study **{{ snakemake.wildcards.study }}**: one point per treated arm,
x = group-mean body-weight nadir (percent change; further left = more weight lost) with its 95%
t interval (the mice weighed on the nadir day), y = %T/C at the reference day (lower = more
tumour control) with its 95% bootstrap interval. Arms of one agent are joined in order of
cumulative dose and labelled with their schedule. Lower and further right is better on both
counts: one regimen is better than another on both only when it lies below and to the right of
it, beyond the overlap of their intervals; otherwise the figure shows a trade-off, and the
summary's regimen verdict states the rule that decides it.""",
        in_report="therapeutic window",
    ),
    Figure(
        "what_if_figure",
        "figures/what_if",
        "tolerability",
        "Regimens",
        """\
Dose-driven growth model of study **{{ snakemake.wildcards.study }}** (its parameters and
predictions are in the regimen-model and what-if tables): observed mean ln volume per arm and day
(dots, mice measured that day), the model's fitted mean per arm (solid line, 95 % band) and each
what-if regimen's prediction
(dashed line, 95 % band), on the geometric-mean volume scale (log axis); dose days are marked
along the bottom (triangles, one row per curve) and the legend names each curve's doses. A note
replaces the plot when no arm has doses.""",
        in_report="predicted regimens",
    ),
    Figure(
        "synergy_figure",
        "figures/synergy",
        "synergy",
        "Synergy",
        """\
Drug-combination synergy in study **{{ snakemake.wildcards.study }}**, one row per combination.
Left: ln relative tumour volume of every mouse (points, one colour per arm) with the fitted
arm lines β_arm·t of the mixed model (the synergy-model table). Right: the synergy score (a z
statistic, −estimate/SE, so drawn without an interval) for Bliss, HSA (Wald z) and RA, refitted
on the data up to each day (the synergy table), in colours and markers of their own (not the arm
colours); the grey band, scores between −1.96 and 1.96, is where p > 0.05; above 0 = synergy,
below = antagonism.""",
        in_report="combination synergy",
    ),
    Figure(
        "synergy_diagnostics_figure",
        "figures/synergy_diagnostics",
        "synergy",
        "Synergy",
        """\
Diagnostics of the synergy mixed model of study **{{ snakemake.wildcards.study }}**, one row
per combination: normalised residuals against time by arm (dashed: ±1.96), the mice's predicted
random slopes by arm, and each mouse's Cook's distance on the fixed effects (dashed: 3 × the
mean, SynergyLMM's threshold); the synergy-diagnostics table lists every value.""",
        in_report="synergy model diagnostics",
    ),
    Figure(
        "power_curves",
        "figures/power",
        "power",
        "Design",
        """\
Power of a next two-arm study against the number of mice per arm, with study
**{{ snakemake.wildcards.study }}** as the pilot: one panel per endpoint (log volume at the
follow-up day, growth rate from the mixed model, time to the volume endpoint by Schoenfeld's
formula), one line per growth inhibition to detect, at the pilot's reference day when the
design lists it, else at the design's first follow-up day.
Points with whiskers: seeded simulations ± 2 Monte-Carlo SE. Grey dashed line: the target power.
Where a panel holds two methods (time to endpoint: Schoenfeld's formula, solid, and the log-rank
power simulated from the growth mixed model, dashed) each has its own line, named in the panel's
legend; the colours (inhibitions) are explained under the panels. A study with combinations
has a synergy panel: the power of its Bliss (solid) and HSA (dashed) contrasts at the pilot's
own contrast, one colour per combination (noncentral F with nlme's df, as SynergyLMM
PwrSampleSize).""",
        in_report="power curves",
    ),
    Figure(
        "mrecist_heatmap",
        "figures/mrecist_heatmap",
        "panel_figures",
        "Panel",
        """\
mRECIST call per model (columns) and treatment (rows) for panel
**{{ snakemake.wildcards.panel }}** (blue CR, green PR, yellow SD, red PD, grey not
classified, white not tested), as in Gao et al. 2015, Fig. 2. A cell holding several mice (a
replicate panel) is not painted by one of them: it is split left to right into CR, PR, SD, PD
and not classified, each part as wide as its share of the cell's mice, and labelled with the
counts CR/PR/SD/PD ("1/2/2/3" = 1 CR, 2 PR, 2 SD, 3 PD; "+n NA" for mice not classified) when
the panel has at most 40 models; a cell with one mouse is one colour.""",
        scope="panel",
    ),
    Figure(
        "time_to_double_km",
        "figures/time_to_double",
        "panel_figures",
        "Panel",
        """\
Kaplan–Meier curves of the time to the per-curve endpoint (time to tumour doubling) for the
control and the eight treatments tested on most models of panel
**{{ snakemake.wildcards.panel }}**; every treatment is in the time-to-double table.""",
        scope="panel",
    ),
    Figure(
        "forest",
        "figures/forest",
        "cross_study_summary",
        "Across studies",
        """\
Forest plot across studies; arms of synthetic (simulated) studies are labelled "(synthetic)".
Left: each treated arm's headline growth finding, the growth-rate difference from its control
(ln volume per day) with 95% confidence interval and p-value, as its report and the index state
it: the exponential mixed model's, or for an arm that regresses then regrows (marked with an
asterisk, orange square), whose regression one exponential rate averages away, the two-phase
piecewise model's mean growth-rate difference from the baseline to the reference day (the
index's growth metric says which); p-values marked "Holm" are Holm-adjusted over the study's
comparisons (the index's growth test says so). An arm most of whose mice are tumour-free on the
reference day has no point: its log-scale rate rests on the detection limit, and its
tumour-free count and rank test against the control (Dunn, Holm) are written in its row
instead. Right: Cox hazard ratio with 95% confidence interval (log scale); where the Cox
estimate is not finite (complete separation) the Firth-penalised hazard ratio with its
profile-likelihood interval, drawn as an orange square; arms with neither are marked.""",
        scope="run",
    ),
    Figure(
        "shared_waterfall",
        "figures/shared_treatment_waterfall",
        "cross_study_summary",
        "Across studies",
        """\
Waterfall across tumour models, as Xeva draws one: for each treatment given in more than one
study of this run (arm names matched with spaces around + and case ignored), one panel with one
bar per evaluable mouse of that treatment in every such study. A bar's height is the mouse's
best response, the lowest percent volume change from its first measurement on or after the
study's first response day (mRECIST, Gao et al. 2015, as in each study's own waterfall and
response table); bars are sorted from highest to lowest and coloured by tumour model (a
palette of their own, not the arms' colours). The letter on a bar is the mouse's mRECIST class;
the shaded bands are the best-response cut-offs of the classes (CR below −95%, PR below −50%,
SD below 35%, PD above), and a class also needs the best average response, so a bar in one band
can carry another letter. Bars above 200% are cut there and labelled with their value. Mice not
evaluable (no measurement in the response window) are not drawn and are counted under their
panel. A run without a treatment in two studies has nothing to draw; its index says so.""",
        scope="run",
    ),
)

DOCUMENTS: tuple[Output, ...] = (
    Output("summary_md", "summary.md", "summary"),
    Output(
        "summary_html",
        "summary.html",
        "summary",
        "Summary",
        """\
Plain-language summary of study **{{ snakemake.wildcards.study }}**: design (arms, mice, dosing,
endpoint) and the headline findings as sentences with estimates, 95% confidence intervals and
p-values, generated from the result tables (for a study file with ``design``, also the mice per
arm a next study needs, with this study as the pilot). A difference is called significant only when its
p-value is below alpha (or its bootstrap interval excludes no effect). Exclusions and model
fallbacks are listed at the end. The same text is in ``summary.md``; all tables are in
``study.xlsx`` and the measurements in the GraphPad Prism file ``study.pzfx``.""",
    ),
    Output("study_xlsx", "study.xlsx", "summary"),
    Output("study_pzfx", "study.pzfx", "summary"),
    # self-contained HTML (xenoflow.report): a study's report, and the run's front page
    Output("study_report", "report.html", "report"),
    Output("provenance", "provenance.json", "cross_study_summary", scope="run"),
    Output("index", "index.html", "cross_study_summary", scope="run"),
)

#: Headers a reader sees where the description's first words are not one: column name, or
#: 'table:column' for a column that means something else in that table. Units as a reader
#: writes them (mm³, %); every other column's header is :func:`label_from` its description.
LABELS: dict[str, str] = {
    "arm": "Arm",
    "day": "Day",
    "n": "Mice",
    "n_mice": "Mice",
    "n_obs": "Measurements",
    "events": "Events",
    "note": "Note",
    "reference": "Compared with",
    "comparison": "Comparison",
    "mean_volume_mm3": "Mean volume (mm3)",
    "mean_fold_change": "Fold change",
    "fold_change_reduction_pct": "Fold-change reduction (%)",
    "tc_pct": "%T/C",
    "tgi_pct": "%TGI",
    "tgi_final_pct": "%TGI, final volumes",
    "nci_activity": "NCI activity",
    "growth_rate_per_day": "Rate (per day)",
    "doubling_time_days": "Doubling time (days)",
    "rate_diff_vs_control": "Difference vs control (per day)",
    "rate_based_tc": "Rate-based T/C",
    "breakpoint_day": "Breakpoint (day)",
    "rate_before": "Rate before (per day)",
    "rate_after": "Rate after (per day)",
    "diff_before_vs_control": "Difference before (per day)",
    "diff_after_vs_control": "Difference after (per day)",
    "p_before_holm": "p before (Holm)",
    "p_after_holm": "p after (Holm)",
    "curve_rate_diff": "Whole-curve difference (per day)",
    "p_curve_holm": "p whole curve (Holm)",
    "median_days": "Median (days)",
    "rmst_days": "RMST (days)",
    "logrank_p": "Log-rank p",
    "p_holm": "Holm-adjusted p",
    "hr": "Hazard ratio (Cox)",
    "hr_flag": "Flag",
    "events_arm": "Events",
    "n_cr": "CR",
    "n_pr": "PR",
    "n_sd": "SD",
    "n_pd": "PD",
    "response_rate_pct": "Response rate (%)",
    "combination": "Combination",
    "role": "Role",
    "growth_rate": "Growth rate",
    "variance_model": "Variance",
    "method": "Method",
    "basis": "Basis",
    "statistic": "Statistic",
    "score": "Synergy score",
    "p_value": "p",
    "p_method": "Test",
    "power": "Power",
    "endpoint": "Endpoint",
    "follow_up_days": "Follow-up (day)",
    "n_needed": "Mice per arm",
    "sample_size:tgi_pct": "Growth inhibition (%)",
    "endpoint_tests:test": "Test",
    "endpoint_tests:reference_day": "Day",
    "endpoint_tests:statistic": "Statistic",
    "endpoint_tests:df1": "df (numerator)",
    "endpoint_tests:df2": "df (denominator)",
    "endpoint_tests:p_adjusted": "Adjusted p",
    "n_tumour_free": "Tumour-free mice",
    "tumour_free_pct": "Tumour-free (%)",
    "n_weighed": "Mice weighed",
    "n_weights_excluded": "Weights left out",
    "group_mean_nadir_pct": "Arm-mean nadir (%)",
    "group_mean_nadir_day": "Nadir day",
    "mean_individual_nadir_pct": "Mean per-mouse nadir (%)",
    "n_loss_ge_15pct": "Mice losing ≥ 15%",
    "n_loss_ge_20pct": "Mice losing ≥ 20%",
    "toxic_deaths": "Toxic deaths",
    "toxic_death_incidence": "Toxic-death incidence",
    "verdict": "Verdict",
    "rule": "Criteria",
    "agent": "Agent",
    "n_doses": "Doses",
    "dose_days": "Dose days",
    "cumulative_dose": "Total dose",
    "dose_unit": "Unit",
    "dose_interval_days": "Interval (days)",
    "dose_intensity_per_week": "Dose intensity (per week)",
    "effective_half_life_days": "Effective half-life (days)",
    "cumulated_activity": "Cumulated activity (unit × day)",
    "activity_after_each_dose": "Activity after each dose",
    "dose_per_kg_unit": "Unit per kg",
    "cumulative_dose_per_kg": "Total dose per kg",
    "cumulative_dose_per_m2": "Total dose per m2",
    "hed_per_kg": "Human-equivalent dose per kg",
    "cumulative_dose_arm": "Total dose",
    "cumulative_dose_reference": "Total dose (compared arm)",
    "cumulated_activity_arm": "Cumulated activity (unit × day)",
    "cumulated_activity_reference": "Cumulated activity, compared arm (unit × day)",
    "rate_diff": "Growth-rate difference (per day)",
    "rate_diff_p": "p (growth)",
    "tc_pct_arm": "%T/C",
    "tc_pct_reference": "%T/C (compared arm)",
    "median_ratio": "Median ratio",
    "efs_hr": "Event-free hazard ratio",
    "efs_logrank_p": "Event-free log-rank p",
    "group_mean_nadir_pct_arm": "Body-weight nadir (%)",
    "group_mean_nadir_pct_reference": "Body-weight nadir, compared arm (%)",
    "n_loss_ge_20pct_arm": "Mice losing ≥ 20%",
    "n_loss_ge_20pct_reference": "Mice losing ≥ 20% (compared arm)",
    "toxic_deaths_arm": "Toxic deaths",
    "toxic_deaths_reference": "Toxic deaths (compared arm)",
    "verdict_arm": "Verdict",
    "verdict_reference": "Verdict (compared arm)",
    "parameter": "Parameter",
    "estimate": "Estimate",
    "se": "Standard error",
    "parameter_unit": "Unit of the estimate",
    "meaning": "Meaning",
    "random_effects": "Random effects",
    "reml_log_likelihood": "REML log-likelihood",
    "arms": "Arms",
    "model": "Model",
    "study_id": "Study",
    "control": "Control",
    "rate_diff_metric": "Growth metric",
    "rate_diff_p_method": "Growth test",
    "summary:tumour_free_lead": "Mostly tumour-free",
    "summary:n_tumour_free": "Tumour-free mice (reference day)",
    "summary:n_mice_measured": "Mice measured (reference day)",
    "summary:rank_p": "p, rank test (Dunn, Holm)",
    "rank_p_method": "Rank test",
    "logrank_p_method": "Log-rank test",
    "per_day_comparisons:day": "Study day",
    "summary:reference_day": "Reference day (study day)",
    "summary:baseline_day": "Baseline (study day)",
    "per_day_comparisons:n_mice": "n",
    "per_day_comparisons:n_mice_reference": "n control",
    "per_day_comparisons:estimate": "Difference in ln volume, T - C",
    "per_day_comparisons:p_adjusted": "p, Dunnett-adjusted",
    "growth_model": "Growth model",
    "resistance_rate": "Resistance rate λR (per day)",
    "transit_rate": "Transit rate k (per day)",
    "transit_rate_ci_low": "k, lower 95% profile limit",
    "transit_rate_ci_high": "k, upper 95% profile limit",
    "resistance_ci_low": "λR, lower 95% profile limit",
    "resistance_ci_high": "λR, upper 95% profile limit",
    "ml_log_likelihood": "ML log-likelihood",
    "n_parameters": "Parameters",
    "regimen_model_selection:aic": "AIC (ML)",
    "delta_aic": "ΔAIC from the chosen model",
    "regimen_model_selection:passes": "Passes its adequacy check",
    "check_rule": "Adequacy check",
    "chosen": "Used",
    "regimen_model_selection:reason": "Why used or not",
}


#: Coded values of text columns as a reader reads them (the TSVs keep the codes).
VALUE_LABELS: dict[str, str] = {
    # table titles in the report (a table shown whole is titled by its name)
    "tumour_free": "tumour-free mice at the end of the study",
    "tumour_free_by_day": "tumour-free mice per arm and visit",
    "drug_a": "drug A",
    "drug_b": "drug B",
    "combination": "combination",
    "anova": "ANOVA",
    "welch_anova": "Welch ANOVA",
    "kruskal_wallis": "Kruskal–Wallis",
    "dunnett": "Dunnett",
    "dunn": "Dunn",
    "bliss": "Bliss",
    "hsa": "HSA",
    "ra": "RA",
    "lmm": "mixed model",
    # power.tsv's endpoints of a combination's synergy contrast
    "synergy_bliss": "synergy (Bliss)",
    "synergy_hsa": "synergy (HSA)",
    "auc": "AUC",
    "tgi": "TGI",
    "combpdx": "CombPDX",
    "ln_v0": "ln V0",
    "growth_rate": "growth rate",
    "kill_rate": "kill rate",
    "log_kill_per_unit_dose": "log-kill per unit dose",
    "sd_ln_v0": "SD of ln V0",
    "sd_growth_rate": "SD of the growth rate",
    "residual_sd": "residual SD",
    "log_volume": "log volume",
    "claret": "Claret 2009, with drug resistance",
    "delayed": "delayed kill (transit compartments)",
    "resistant_delayed": "delayed kill with drug resistance",
    "resistance_rate": "resistance rate",
    "resistance_half_life_days": "half-life of the kill (days)",
    "transit_rate": "transit rate",
    "mean_kill_delay_days": "mean delay of the kill (days)",
}


def value_label(value: str) -> str:
    """A coded value as a reader reads it (:data:`VALUE_LABELS`; an R function named in
    parentheses, 'Wald z (marginaleffects::hypotheses)', left out). Names from the data (arms,
    study ids) are kept as they are."""
    text = VALUE_LABELS.get(value, value)
    return re.sub(r"\s*\([^()]*::[^()]*\)", "", text)


def _labelled(spec: Output) -> Output:
    """A table with the :data:`LABELS` of its columns."""
    if not isinstance(spec, Table):
        return spec

    def label(c: Column) -> Column:
        text = LABELS.get(f"{spec.name}:{c.name}", LABELS.get(c.name, c.label))
        return replace(c, label=text) if text else c

    return replace(spec, columns=tuple(label(c) for c in spec.columns))


TABLES = tuple(_labelled(t) for t in TABLES)  # type: ignore[misc]
OUTPUTS: tuple[Output, ...] = (*TABLES, *FIGURES, *DOCUMENTS)
_BY_NAME: dict[str, Output] = {o.name: o for o in OUTPUTS}
assert len(_BY_NAME) == len(OUTPUTS), "output names must be unique"


def output(name: str) -> Output:
    """The registry entry called ``name``."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name!r} is not declared in the registry (xenoflow.tables)") from None


def table(name: str) -> Table:
    """The table called ``name``."""
    spec = output(name)
    if not isinstance(spec, Table):
        raise KeyError(f"{name!r} is a {spec.kind}, not a table")
    return spec


def columns(name: str) -> list[str]:
    """Every declared column of a table, optional ones included, in file order."""
    return table(name).column_names


def of_stage(stage: str, kind: str | None = None) -> list[Output]:
    """The outputs a stage writes (of one ``kind``: table, figure or document)."""
    return [o for o in OUTPUTS if o.stage == stage and (kind is None or o.kind == kind)]


def files(spec: Output) -> dict[str, str]:
    """Output name -> path relative to the scope folder (a figure gives its png and svg)."""
    if isinstance(spec, Figure):
        return {f"{spec.name}_{fmt}": f"{spec.path}.{fmt}" for fmt in spec.formats}
    return {spec.name: spec.path}


def stage_files(stage: str, figures: bool = True, documents: bool = True) -> dict[str, str]:
    """Every file of a stage: output name -> path relative to its scope folder."""
    out: dict[str, str] = {}
    for spec in of_stage(stage):
        if (spec.kind == "figure" and not figures) or (spec.kind == "document" and not documents):
            continue
        out.update(files(spec))
    return out


def caption_rst(spec: Output) -> str:
    """The report caption of an output: its text, then (tables) each column's description."""
    text = spec.caption
    if isinstance(spec, Table):
        listed = [f"``{c.name}``: {c.description}" for c in spec.columns]
        if spec.extra is not None:
            listed.append(f"other columns: {spec.extra.description}")
        text += "\n\nColumns:\n\n" + "\n".join(f"- {line}" for line in listed)
    return text + "\n"


def readme(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The README sheet of ``study.xlsx``: one row per column of each table given: its TSV
    name, the header its sheet shows (:func:`headers`) and its description."""
    rows = [
        (name, column, table(name).column(column).header, table(name).column(column).description)
        for name, df in tables.items()
        for column in df.columns
    ]
    return pd.DataFrame(rows, columns=["table", "column", "header", "description"])


#: the README sheet's own header row
README_HEADERS = ("Table", "Column in the TSV file", "Header in this workbook", "Description")


def headers(tables: Mapping[str, pd.DataFrame]) -> dict[str, list[str]]:
    """Sheet name -> the header row a reader sees: each column's registry header (with its
    unit); the TSVs keep the column names (the README sheet maps one to the other)."""
    out = {name: [table(name).column(c).header for c in df.columns] for name, df in tables.items()}
    return {"README": list(README_HEADERS), **out}


def checked_columns(spec: Table | str, present: Iterable[str]) -> list[str]:
    """``present`` in the declared order; an undeclared column or a missing required one is a
    programming error (the registry and the stage disagree)."""
    spec = spec if isinstance(spec, Table) else table(spec)
    present = list(present)
    known = set(spec.column_names)
    unknown = [c for c in present if c not in known]
    if unknown and spec.extra is None:
        raise ValueError(
            f"table {spec.name!r}: columns {unknown} are not declared in xenoflow.tables"
        )
    missing = [c.name for c in spec.columns if not c.optional and c.name not in present]
    if missing:
        raise ValueError(f"table {spec.name!r}: declared columns {missing} are missing")
    listed = set(present)
    return [c for c in spec.column_names if c in listed] + unknown

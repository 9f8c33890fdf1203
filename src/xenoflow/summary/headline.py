"""The headline growth finding of each treated arm: the one source every page quotes.

The headline finding of treated arm a of a study is its growth-rate difference from the
control arm, on ln volume per day, with its 95% confidence interval and the p-value the
study's verdict follows:

- an arm that regresses then regrows (:func:`two_phase_rows`): the two-phase piecewise model's
  mean growth-rate difference from the baseline day s to the reference day r,
  [γ1_a·(tp1(r) − tp1(s)) + γ2_a·(tp2(r) − tp2(s))] / (r − s) (``curve_rate_diff`` of
  ``growth_piecewise``, :func:`xenoflow.piecewise.curve_weights`), since one exponential rate
  averages away the regression; p of its t test with Satterthwaite df (``p_curve``),
  Holm-adjusted over the treated arms when there are several (``p_curve_holm``);
- any other arm: the exponential mixed model's slope difference γ_a of
  ln V ~ day × arm over the whole follow-up (``rate_diff_vs_control`` of ``growth_model``);
  p of the small-sample test when there is one (t with Satterthwaite df, else Welch), else of
  the Wald z; Holm-adjusted (Holm 1979, Scand J Stat 6:65) over the study's pairwise growth-rate
  contrasts (``growth_contrasts``) when it has more than one.

The summary's sentences (and so the report's findings), the report's key tables, the index,
``summary.tsv`` and the forest plot all take it from :func:`headline_findings` (the exponential
and two-phase findings from :func:`exponential_findings` and :func:`whole_curve_findings`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .. import baseline
from ..config import Study
from ..mixed import SATTERTHWAITE_LABEL
from ..piecewise import two_phase_text
from .text import Tables, first_rows, fmt_ci, fmt_p, isnum, value_of

EXPONENTIAL = "exponential mixed model"
TWO_PHASE = "two-phase piecewise model"


@dataclass(frozen=True)
class GrowthFinding:
    """An arm's growth-rate difference from control (ln volume per day): ``estimate`` with its
    95% interval; ``p`` is the p-value its verdict follows, of ``test`` with ``adjustment``
    ('' for none); ``stated`` are the (p, test) pairs the tables give before any adjustment,
    as the summary states them; ``days`` = the first and last day the difference covers."""

    arm: str
    model: str
    days: tuple[float, float] | None
    estimate: float
    ci_low: Any
    ci_high: Any
    p: Any
    test: str
    adjustment: str = ""
    stated: tuple[tuple[Any, str], ...] = ()

    @property
    def two_phase(self) -> bool:
        return self.model == TWO_PHASE

    @property
    def metric(self) -> str:
        """Which difference it is: 'exponential mixed model, days 0 to 35' or 'two-phase
        piecewise model, mean over days 0 to 65'."""
        if self.days is None:
            return self.model
        span = f"days {self.days[0]:g} to {self.days[1]:g}"
        return f"{self.model}, {'mean over ' if self.two_phase else ''}{span}"

    @property
    def p_method(self) -> str:
        """The test behind ``p`` and its adjustment: 't with Satterthwaite df (LMM, REML),
        Holm-adjusted over 3 contrasts'."""
        return ", ".join(x for x in (self.test, self.adjustment) if x)

    @property
    def interval(self) -> str:
        """The estimate's 95% CI, said to be unadjusted when ``p`` is adjusted for several
        comparisons: the interval is the contrast's own (it may exclude 0 while the adjusted
        p is above alpha, and the reader must not take that for a contradiction)."""
        text = fmt_ci(self.ci_low, self.ci_high)
        if self.adjustment and text.startswith("95% CI "):
            return f"{text}, not adjusted for the multiple comparisons"
        return text

    def as_magnitude(self) -> GrowthFinding:
        """The finding with its sign taken out, for a sentence that says the arm 'slowed
        tumour growth' by a positive amount: a negative difference and its interval are
        negated together (the interval -0.11 to -0.021 of -0.0638 becomes 0.021 to 0.11 of
        0.0638, so the stated number lies inside its stated interval)."""
        if self.estimate >= 0:
            return self

        def negated(v: Any) -> Any:
            return -float(v) if isnum(v) else v

        return dataclasses.replace(
            self,
            estimate=-self.estimate,
            ci_low=negated(self.ci_high),
            ci_high=negated(self.ci_low),
        )

    def significant(self, alpha: float) -> bool:
        return isnum(self.p) and float(self.p) < alpha

    def tests_text(self) -> str:
        """The p-values as a sentence gives them, the verdict's last: 'p = 0.015, Wald z
        (LMM, REML); p = 0.024, t with Satterthwaite df (LMM, REML); Holm-adjusted over 3
        contrasts: p = 0.048'."""
        parts = [f"{fmt_p(p)}, {test}" for p, test in self.stated]
        if self.adjustment:
            parts.append(f"{self.adjustment}: {fmt_p(self.p)}")
        return "; ".join(parts)


def two_phase_rows(table: pd.DataFrame | None) -> dict[Any, dict[str, Any]]:
    """Rows of ``growth_piecewise`` by arm, for the arms that regress then regrow and have
    both phase rates (empty without the table)."""
    if table is None or table.empty:
        return {}
    return {a: r for a, r in first_rows(table, ["arm"]).items() if two_phase_text(r)}


def _follow_up(study: Study, tables: Tables) -> tuple[float, float] | None:
    """First measured day on study (from the baseline: a run-in before treatment start is
    not fitted, :func:`xenoflow.baseline.on_study`) and the model's last
    (``growth_model.model_to_day``: the control's follow-up,
    :func:`xenoflow.growth.within_control_follow_up`): the days the exponential model is
    fitted to."""
    if "measurements" not in tables or not len(tables["measurements"]):
        return None
    data = tables["measurements"]
    days = baseline.on_study(data, baseline.resolve(study, data), "growth")[0]["day"]
    if not len(days):
        return None
    model = tables.get("growth_model")
    ends = (
        model["model_to_day"].dropna().tolist()
        if model is not None and "model_to_day" in model
        else []
    )
    return float(days.min()), float(ends[0]) if ends else float(days.max())


def _holm_contrast(pairs: dict[Any, dict[str, Any]], arm: str, control: str) -> tuple[Any, bool]:
    """Arm vs control among the pairwise growth-rate contrasts (``growth_contrasts`` rows by
    (arm, reference)): its Holm-adjusted p, of the small-sample test when present (True),
    else of the Wald z (False)."""
    r = pairs.get((arm, control))
    small = value_of(r, "p_holm_satterthwaite")
    return (small, True) if isnum(small) else (value_of(r, "p_holm"), False)


def _exponential(
    row: dict[str, Any], pairs: dict[Any, dict[str, Any]], control: str, days: Any
) -> GrowthFinding:
    wald = (value_of(row, "p_value"), value_of(row, "p_value_method") or "mixed model")
    small = (value_of(row, "p_value_small_sample"), value_of(row, "p_value_small_sample_method"))
    stated = (wald, small) if isnum(small[0]) else (wald,)
    p, test = stated[-1]  # the small-sample test decides when there is one
    p_holm, of_small = _holm_contrast(pairs, str(row["arm"]), control)
    adjustment = ""
    if len(pairs) > 1 and isnum(p_holm):  # several comparisons: the verdict follows this p
        p, test = p_holm, (small if of_small else wald)[1]
        adjustment = f"Holm-adjusted over {len(pairs)} contrasts"
    return GrowthFinding(
        arm=str(row["arm"]),
        model=EXPONENTIAL,
        days=days,
        estimate=float(row["rate_diff_vs_control"]),
        ci_low=value_of(row, "rate_diff_ci_low"),
        ci_high=value_of(row, "rate_diff_ci_high"),
        p=p,
        test=str(test),
        adjustment=adjustment,
        stated=stated,
    )


def exponential_findings(study: Study, tables: Tables) -> dict[str, GrowthFinding]:
    """Treated arm -> its exponential mixed model's rate difference from control (module
    docstring), for the arms ``growth_model`` compares with the control."""
    if "growth_model" not in tables:
        return {}
    rows = first_rows(tables["growth_model"], ["arm"])
    contrasts = tables.get("growth_contrasts")
    pairs = {} if contrasts is None else first_rows(contrasts, ["arm", "reference"])
    days = _follow_up(study, tables)
    return {
        arm: _exponential(rows[arm], pairs, study.control, days)
        for arm in study.treated_arms
        if arm in rows and isnum(value_of(rows[arm], "rate_diff_vs_control"))
    }


def _whole_curve(row: dict[str, Any], n_treated: int) -> GrowthFinding:
    p = value_of(row, "p_curve")
    p_holm = value_of(row, "p_curve_holm")
    adjusted = n_treated > 1 and isnum(p_holm)
    return GrowthFinding(
        arm=str(row["arm"]),
        model=TWO_PHASE,
        days=(float(row["curve_from_day"]), float(row["curve_to_day"])),
        estimate=float(row["curve_rate_diff"]),
        ci_low=value_of(row, "curve_rate_diff_ci_low"),
        ci_high=value_of(row, "curve_rate_diff_ci_high"),
        p=p_holm if adjusted else p,
        test=SATTERTHWAITE_LABEL,
        adjustment=f"Holm-adjusted over {n_treated} treated arms" if adjusted else "",
        stated=((p, SATTERTHWAITE_LABEL),),
    )


def whole_curve_findings(study: Study, piecewise: pd.DataFrame | None) -> dict[str, GrowthFinding]:
    """Arm that regresses then regrows -> the two-phase model's mean growth-rate difference
    from control from the baseline to the reference day (module docstring)."""
    rows = two_phase_rows(piecewise)
    if not rows or piecewise is None:
        return {}
    n_treated = int((piecewise["arm"] != study.control).sum())
    return {
        arm: _whole_curve(rows[arm], n_treated)
        for arm in study.treated_arms
        if arm in rows and isnum(value_of(rows[arm], "curve_rate_diff"))
    }


def headline_findings(study: Study, tables: Tables) -> dict[str, GrowthFinding]:
    """Treated arm -> its headline growth finding: the two-phase mean rate difference for an
    arm that regresses then regrows, else the exponential rate difference (module docstring).
    Every page that quotes an arm's growth finding takes it from here."""
    curves = whole_curve_findings(study, tables.get("growth_piecewise"))
    return {**exponential_findings(study, tables), **curves}

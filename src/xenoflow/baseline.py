"""The baseline of a study, baseline balance across arms, and the baseline-adjusted comparison.

Which baseline (:func:`resolve`, the one place that decides it)
    1. The study file's ``baseline_day``: every mouse's volume on that day (as before).
    2. Otherwise treatment start: the first dose day of any arm (the arms' ``doses``), else
       day 0 when the data have negative days (a run-in before treatment). When measurements
       precede it, each mouse's baseline is its **last measurement at or before treatment
       start, at most** :data:`WINDOW_DAYS` **days before it** (tumours are typically staged
       and randomised a few days before the first dose; a volume older than a week describes
       a different tumour size: Workman et al. 2010, Br J Cancer 102:1555, randomise "shortly
       before treatment"). The mouse's earlier measurements are pre-treatment growth: they
       stay in the measurement table but no efficacy, response or growth metric counts them
       (:func:`on_study` lists each one in the stage's exclusions, with the reason). A mouse
       with no measurement in the window has no baseline (left out of fold change, TGI, AUC
       and mRECIST, listed).
    3. Otherwise (no measurement before treatment start, or no dose and no negative day): each
       mouse's first measurement, exactly as before this rule existed.

    In a staggered calendar (:mod:`xenoflow.visits`) a mouse without a measurement on the
    baseline day (1) or in the window (2) but measured at the baseline day's scheduled visit
    takes that measurement as its baseline (:func:`at_baseline_visit`, listed).

Baseline balance (:func:`balance_anova`)
    One-way ANOVA of ln V0 across arms (mice with V0 > 0): F = [SSB/(k − 1)]/[SSW/(N − k)],
    p = P(F_{k−1, N−k} > F) (R ``anova(lm(log(v0) ~ arm))``). Randomised arms are balanced by
    design; p < :data:`IMBALANCE_P` says they were not (Hather et al. 2014, Cancer Inform
    13(S4):65, who recommend a baseline-adjusted analysis in that case).

Baseline-adjusted comparison (:func:`ancova`)
    ANCOVA of the reference-day volume: ln V(ref) = a + b·ln V0 + Σ_j c_j·[arm = j] + ε, one
    least-squares fit over all arms with the control as the reference level (R ``lm(log(v) ~
    log(v0) + arm)``, treatment contrasts). c_j is the treated-vs-control difference in ln
    volume at equal baseline; exp(c_j) is the adjusted ratio of geometric-mean volumes T/C,
    CI exp(c_j ± t_{1−α/2, N−p}·SE). The unadjusted comparison is the same fit without
    ln V0 (``lm(log(v) ~ arm)``, the t test of log volumes with a pooled variance) on the same
    mice. Vickers & Altman 2001 (BMJ 323:1123): ANCOVA of the final value on the baseline is
    the efficient and unbiased analysis of a randomised comparison, and corrects chance
    imbalance.

Pre-treatment growth (:func:`pre_treatment_rates`)
    With a treatment-start baseline, each mouse's measurements from its first to its baseline
    (at least two, volume > 0) give its pre-treatment growth rate, the OLS slope of ln V on
    day (R ``coef(lm(log(v) ~ day))[2]``); the same one-way ANOVA across arms (R
    ``anova(lm(rate ~ arm))``) checks that the arms grew alike before treatment, as
    randomisation should make them (the run-in measurements are used for this check only).

Separate cohorts (:func:`calendar`)
    A treated arm whose follow-up days (its measured days except its mice's baseline days, up
    to the control's last day) share no day with the control, or fewer than half of them, was
    likely measured as a separate cohort, without a concurrent control: its comparisons with
    the control mix treatment with cohort.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .config import Study
from .errors import NotEstimable
from .io import exclusions_frame
from .stats import t_sf
from .tables import columns

#: Largest gap (days) between a mouse's baseline measurement and treatment start.
WINDOW_DAYS = 7.0
#: Baseline-balance ANOVA p below which the arms are called not balanced at baseline.
IMBALANCE_P = 0.01
#: Fewest shared follow-up days, as a fraction of the arm's, before an arm is flagged.
SHARED_FRACTION = 0.5

BALANCE_COLUMNS = columns("baseline_balance")
SEPARATE_COHORT = "possibly a separate cohort without a concurrent control"


@dataclass(frozen=True)
class Baseline:
    """The study's baseline (:func:`resolve`).

    ``day``: the baseline day the metrics are given (None: each mouse's first measurement);
    ``window_days``: None = the measurement on ``day`` exactly (study file); a number = each
    mouse's last measurement from ``day − window_days`` to ``day`` (treatment start);
    ``source``: 'study file', 'first dose', 'day 0' or 'first measurement'; ``start``: the
    treatment start found (None when there is none)."""

    day: float | None
    source: str
    window_days: float | None = None
    start: float | None = None

    @property
    def treatment_start(self) -> bool:
        return self.window_days is not None

    def sentence(self) -> str:
        """The summary's sentence on the baseline."""
        if self.source == "study file":
            return f"Baseline: each mouse's volume on day {self.day:g}, as the study file sets."
        if self.treatment_start:
            what = "the first dose" if self.source == "first dose" else "day 0"
            return (
                f"Baseline: treatment start, day {self.day:g} ({what}): each mouse's last "
                f"measurement at most {self.window_days:g} days before it; earlier "
                "measurements are pre-treatment growth, kept in the measurement table but left "
                "out of fold change, TGI, AUC, mRECIST, growth delay and the growth models."
            )
        if self.start is not None:
            return (
                f"Baseline: each mouse's first measurement (no measurement precedes treatment "
                f"start on day {self.start:g})."
            )
        return "Baseline: each mouse's first measurement (no dosing schedule, no negative day)."


def resolve(study: Study, measurements: pd.DataFrame) -> Baseline:
    """The study's baseline (rules in the module docstring): the study file's
    ``baseline_day``, else treatment start when measurements precede it, else each mouse's
    first measurement."""
    if study.baseline_day is not None:
        return Baseline(float(study.baseline_day), "study file")
    doses = [d.day for a in study.arms for d in a.doses]
    days = measurements.loc[measurements["volume_mm3"].notna(), "day"].to_numpy(float)
    if doses:
        start, source = float(min(doses)), "first dose"
    elif days.size and (days < 0).any():
        start, source = 0.0, "day 0"
    else:
        return Baseline(None, "first measurement")
    if not (days < start).any():
        return Baseline(None, "first measurement", start=start)
    return Baseline(start, source, WINDOW_DAYS, start)


def mouse_baselines(measurements: pd.DataFrame, baseline: Baseline) -> dict[tuple[str, str], float]:
    """Each mouse's baseline day (mice without one are absent): its first measured day, the
    study file's day, or its last day in the treatment-start window."""
    data = measurements[measurements["volume_mm3"].notna()]
    keys = zip(data["arm"].astype(str).tolist(), data["mouse_id"].astype(str).tolist())
    days = data["day"].to_numpy(float).tolist()
    out: dict[tuple[str, str], float] = {}
    for key, d in zip(keys, days, strict=True):
        if baseline.day is None:
            out[key] = min(out.get(key, d), d)
        elif baseline.window_days is None:
            if d == baseline.day:
                out[key] = d
        elif baseline.day - baseline.window_days <= d <= baseline.day:
            out[key] = max(out.get(key, d), d)
    return out


def at_baseline_visit(
    measurements: pd.DataFrame, baseline: Baseline, visit_day: np.ndarray, stage: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(measurements, listed)`` for a staggered calendar: a mouse without a baseline
    measurement (:func:`mouse_baselines`) that was measured at the baseline day's scheduled
    visit (``visit_day``: each row's visit, :func:`xenoflow.visits.align` of these rows; within
    the visit window of it) takes that measurement as its baseline, dated on the baseline day,
    as the control's mice measured on the day itself; each such row is listed (stage
    ``stage``). Unchanged when the baseline is each mouse's first measurement."""
    if baseline.day is None or measurements.empty:
        return measurements, exclusions_frame([])
    have = mouse_baselines(measurements, baseline)
    day = measurements["day"].to_numpy(float)
    arms = measurements["arm"].astype(str).tolist()
    mice = measurements["mouse_id"].astype(str).tolist()
    present = measurements["volume_mm3"].notna().to_numpy()
    new_day, rows = day.copy(), []
    for i in np.flatnonzero(present & (visit_day == baseline.day) & (day != baseline.day)):
        if (arms[i], mice[i]) in have:
            continue
        new_day[i] = baseline.day
        rows.append(
            {
                "stage": stage,
                "arm": arms[i],
                "mouse_id": mice[i],
                "day": day[i],
                "reason": f"measured on day {day[i]:g}, at the baseline visit (day "
                f"{baseline.day:g}) of a staggered calendar: taken as the mouse's baseline "
                f"volume, dated day {baseline.day:g} (measured day kept in measurements.tsv)",
            }
        )
    if not rows:
        return measurements, exclusions_frame([])
    return measurements.assign(day=new_day), exclusions_frame(rows)


def on_study(
    measurements: pd.DataFrame, baseline: Baseline, stage: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(measurements from each mouse's baseline on, exclusions)``. Only a treatment-start
    baseline leaves measurements out: those before the mouse's baseline (before treatment
    start for a mouse without one), each listed with the reason (stage ``stage``)."""
    if not baseline.treatment_start or measurements.empty:
        return measurements, exclusions_frame([])
    assert baseline.day is not None and baseline.window_days is not None
    start, window = baseline.day, baseline.window_days
    base = mouse_baselines(measurements, baseline)
    arms = measurements["arm"].astype(str).tolist()
    mice = measurements["mouse_id"].astype(str).tolist()
    days = measurements["day"].to_numpy(float)
    keep = np.ones(len(measurements), dtype=bool)
    rows = []
    for i, (arm, mouse, d) in enumerate(zip(arms, mice, days.tolist(), strict=True)):
        b = base.get((arm, mouse))
        if b is not None and d < b:
            why = (
                f"pre-treatment: before the mouse's baseline on day {b:g} (its last measurement "
                f"at most {window:g} days before treatment start on day {start:g}); kept in the "
                "measurement table, not counted on study"
            )
        elif b is None and d < start:
            why = (
                f"pre-treatment: before treatment start on day {start:g}, more than "
                f"{window:g} days before it (the mouse has no baseline); kept in the "
                "measurement table, not counted on study"
            )
        else:
            continue
        keep[i] = False
        rows.append({"stage": stage, "arm": arm, "mouse_id": mouse, "day": d, "reason": why})
    return measurements[keep].reset_index(drop=True), exclusions_frame(rows)


def pre_treatment_rates(measurements: pd.DataFrame, baseline: Baseline) -> dict[str, list[float]]:
    """Arm -> its mice's pre-treatment growth rates (module docstring): the OLS slope of ln V
    on day over each mouse's measurements from its first to its baseline, for the mice with at
    least two such measurements on two days (volume > 0). Empty unless the baseline is
    treatment start."""
    if not baseline.treatment_start:
        return {}
    base = mouse_baselines(measurements, baseline)
    data = measurements[measurements["volume_mm3"] > 0]
    out: dict[str, list[float]] = {}
    for (arm, mouse), rows in data.groupby(["arm", "mouse_id"], sort=False):
        b = base.get((str(arm), str(mouse)))
        before = rows[rows["day"] <= b] if b is not None else rows.iloc[:0]
        day = before["day"].to_numpy(float)
        if np.unique(day).size >= 2:
            slope = np.polyfit(day, np.log(before["volume_mm3"].to_numpy(float)), 1)[0]
            out.setdefault(str(arm), []).append(float(slope))
    return out


def pre_treatment_row(rates: Mapping[str, Sequence[float]]) -> dict[str, Any] | None:
    """The ``pre_treatment_growth`` row of ``baseline_balance.tsv``: one-way ANOVA of the
    per-mouse pre-treatment rates across arms (:func:`balance_anova`), the arms' mean rates in
    the note; None without pre-treatment rates."""
    if not rates:
        return None
    means = ", ".join(f"{a} {np.mean(r):.3g}" for a, r in rates.items())
    row: dict[str, Any] = {
        "analysis": "pre_treatment_growth",
        "arm": "",
        "reference": "",
        "n_mice": int(sum(len(r) for r in rates.values())),
        "note": (
            "one-way ANOVA of per-mouse pre-treatment growth rates (OLS slope of ln V per day, "
            f"first measurement to baseline) across arms; arm means {means} per day"
        ),
    }
    try:
        f, df1, df2, p = balance_anova(rates)
        row.update(f_statistic=f, df_num=df1, df_den=df2, p_value=p)
        if p < IMBALANCE_P:
            row["note"] += f": the arms grew differently before treatment (p < {IMBALANCE_P:g})"
    except NotEstimable as e:
        row["note"] += "; not tested: " + str(e).replace("baseline volume", "pre-treatment rate")
    return row


def calendar(
    measurements: pd.DataFrame, baseline: Baseline, arms: Sequence[str], control: str
) -> dict[str, tuple[int, int, bool]]:
    """Per treated arm: (follow-up days shared with the control, the arm's follow-up days,
    flagged as a separate cohort). Follow-up days = measured days (volume present, on study)
    except the arm's mice's baseline days, up to the control's last measured day (all of them
    when none is that early); flagged when none or fewer than :data:`SHARED_FRACTION` of them
    are control days."""
    data, _ = on_study(measurements, baseline, "")
    data = data[data["volume_mm3"].notna()]
    base = mouse_baselines(data, baseline)
    base_days: dict[str, set[float]] = {}
    for (arm, _mouse), d in base.items():
        base_days.setdefault(arm, set()).add(d)
    by_arm: dict[str, set[float]] = {}
    for arm, d in zip(data["arm"].astype(str), data["day"].astype(float), strict=True):
        by_arm.setdefault(arm, set()).add(d)
    if control not in by_arm:
        return {}
    control_days = by_arm[control]
    out = {}
    for arm in arms:
        if arm == control or arm not in by_arm:
            continue
        follow = by_arm[arm] - base_days.get(arm, set())
        # days after the control's last are not a calendar question (no comparison is made
        # past the control's follow-up); an arm followed only after it shares no day
        within = {d for d in follow if d <= max(control_days)}
        follow = within or follow
        shared = len(follow & control_days)
        flagged = bool(follow) and (shared == 0 or shared < SHARED_FRACTION * len(follow))
        out[arm] = (shared, len(follow), flagged)
    return out


def calendar_warnings(
    measurements: pd.DataFrame, baseline: Baseline, arms: Sequence[str], control: str
) -> list[tuple[str, str]]:
    """``(arm, message)`` for each arm :func:`calendar` flags."""
    return [
        (
            arm,
            f"{SEPARATE_COHORT}: {shared} of its {n} follow-up days are control measurement "
            f"days, so its comparisons with '{control}' mix the treatment with the cohort",
        )
        for arm, (shared, n, flagged) in calendar(measurements, baseline, arms, control).items()
        if flagged
    ]


# -------------------------------------------------------------------------- statistics


def balance_anova(log_v0: Mapping[str, Sequence[float]]) -> tuple[float, int, int, float]:
    """One-way ANOVA of ln V0 by arm: ``(F, df_between, df_within, p)`` (R ``anova(lm(log(v0)
    ~ arm))``). Raises :class:`NotEstimable` with fewer than two arms or no residual df."""
    from scipy import special  # ~0.4 s to import: only in the jobs that test

    groups = [np.asarray(v, dtype=float) for v in log_v0.values() if len(v)]
    k, n = len(groups), sum(g.size for g in groups)
    if k < 2:
        raise NotEstimable("fewer than two arms with a baseline volume: no balance test")
    if n - k < 1:
        raise NotEstimable("one mouse per arm: no within-arm variance, no balance test")
    grand = np.concatenate(groups).mean()
    ssb = sum(g.size * (g.mean() - grand) ** 2 for g in groups)
    ssw = sum(((g - g.mean()) ** 2).sum() for g in groups)
    if ssw <= 0:
        raise NotEstimable("no within-arm variance of the baseline volumes: no balance test")
    f = (ssb / (k - 1)) / (ssw / (n - k))
    return float(f), k - 1, n - k, float(special.fdtrc(k - 1, n - k, f))


@dataclass(frozen=True)
class Contrast:
    """One arm-vs-control coefficient of a linear model (log scale)."""

    estimate: float
    se: float
    df: int
    ci_low: float
    ci_high: float
    p: float


def _ols_arm_contrasts(
    y: np.ndarray,
    covariate: np.ndarray | None,
    arm: Sequence[str],
    treated: Sequence[str],
    alpha: float,
) -> dict[str, Contrast]:
    """Least squares y ~ [covariate] + arm (treatment contrasts, control = the arms not in
    ``treated``): each treated arm's coefficient, SE, t CI and two-sided p."""
    from scipy import special  # ~0.4 s to import: only in the jobs that test

    cols = [np.ones(y.size)]
    if covariate is not None:
        cols.append(covariate)
    first = len(cols)
    cols += [np.array([a == t for a in arm], dtype=float) for t in treated]
    x = np.column_stack(cols)
    df = y.size - x.shape[1]
    if df < 1 or np.linalg.matrix_rank(x) < x.shape[1]:
        raise NotEstimable(
            "too few mice on the reference day for the adjusted comparison "
            f"({y.size} mice, {x.shape[1]} coefficients)"
        )
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    resid = y - x @ beta
    sigma2 = float(resid @ resid) / df
    q = float(special.stdtrit(df, 1 - alpha / 2))
    out = {}
    for j, name in enumerate(treated, start=first):
        est, se = float(beta[j]), float(np.sqrt(sigma2 * xtx_inv[j, j]))
        p = float(2 * t_sf(abs(est / se), df)) if se > 0 else float("nan")
        out[name] = Contrast(est, se, df, est - q * se, est + q * se, p)
    return out


def ancova(
    mice: pd.DataFrame, control: str, treated: Sequence[str], alpha: float = 0.05
) -> tuple[dict[str, Contrast], dict[str, Contrast], int]:
    """``(adjusted, unadjusted, n_mice)``: the ANCOVA ``lm(log(v) ~ log(v0) + arm)`` and the
    unadjusted ``lm(log(v) ~ arm)`` on the same mice (``mice``: ``arm, baseline_volume_mm3,
    reference_volume_mm3``, both > 0), control = the reference level."""
    ok = (mice["baseline_volume_mm3"] > 0) & (mice["reference_volume_mm3"] > 0)
    use = mice[ok]
    present = set(use["arm"].astype(str))
    if control not in present:
        raise NotEstimable("no control mouse with a volume on the reference day")
    arms = [a for a in treated if a in present]
    if not arms:
        raise NotEstimable("no treated mouse with a volume on the reference day")
    y = np.log(use["reference_volume_mm3"].to_numpy(float))
    x0 = np.log(use["baseline_volume_mm3"].to_numpy(float))
    arm = use["arm"].astype(str).tolist()
    return (
        _ols_arm_contrasts(y, x0, arm, arms, alpha),
        _ols_arm_contrasts(y, None, arm, arms, alpha),
        len(use),
    )


def balance_table(
    mice: pd.DataFrame,
    arms: Sequence[str],
    control: str,
    reference_day: float,
    alpha: float,
    cohorts: Mapping[str, tuple[int, int, bool]],
    pre_rates: Mapping[str, Sequence[float]] | None = None,
) -> pd.DataFrame:
    """``baseline_balance.tsv``: the balance ANOVA row, the pre-treatment growth row when
    there are ``pre_rates`` (:func:`pre_treatment_rates`, :func:`pre_treatment_row`), then one
    row per treated arm with the adjusted and unadjusted comparisons on the reference day and
    its calendar check. ``mice``: ``efficacy_per_mouse``
    (:func:`xenoflow.efficacy.mouse_summary`)."""
    rows: list[dict[str, Any]] = []
    v0 = mice[mice["baseline_volume_mm3"] > 0]
    log_v0 = {
        a: np.log(v0.loc[v0["arm"] == a, "baseline_volume_mm3"].to_numpy(float)) for a in arms
    }
    row: dict[str, Any] = {
        "analysis": "balance",
        "arm": "",
        "reference": "",
        "n_mice": int(sum(len(v) for v in log_v0.values())),
    }
    try:
        f, df1, df2, p = balance_anova(log_v0)
        row.update(f_statistic=f, df_num=df1, df_den=df2, p_value=p)
        row["note"] = "one-way ANOVA of ln baseline volume across arms"
        if p < IMBALANCE_P:
            row["note"] += f": arms not balanced at baseline (p < {IMBALANCE_P:g})"
    except NotEstimable as e:
        row["note"] = str(e)
    rows.append(row)
    pre = pre_treatment_row(pre_rates or {})
    if pre is not None:
        rows.append(pre)
    treated = [a for a in arms if a != control]
    try:
        if not np.isfinite(reference_day):
            raise NotEstimable("no reference day: no adjusted comparison")
        adjusted, unadjusted, n = ancova(mice, control, treated, alpha)
        why = ""
    except NotEstimable as e:
        adjusted, unadjusted, n, why = {}, {}, 0, str(e)
    for arm in treated:
        shared, days, flagged = cohorts.get(arm, (0, 0, False))
        r: dict[str, Any] = {
            "analysis": "adjusted",
            "arm": arm,
            "reference": control,
            "reference_day": reference_day,
            "n_mice": n,
            "days_shared": shared,
            "days_followed": days,
            "separate_cohort": flagged,
        }
        c, u = adjusted.get(arm), unadjusted.get(arm)
        if c is not None and u is not None:
            r.update(
                estimate=c.estimate,
                se=c.se,
                df=c.df,
                ci_low=c.ci_low,
                ci_high=c.ci_high,
                p_value=c.p,
                adjusted_ratio=np.exp(c.estimate),
                adjusted_ratio_ci_low=np.exp(c.ci_low),
                adjusted_ratio_ci_high=np.exp(c.ci_high),
                unadjusted_ratio=np.exp(u.estimate),
                unadjusted_ratio_ci_low=np.exp(u.ci_low),
                unadjusted_ratio_ci_high=np.exp(u.ci_high),
                unadjusted_p_value=u.p,
            )
            note = "ANCOVA ln V(reference day) ~ ln V0 + arm"
        else:
            note = why or f"no mouse of '{arm}' with a volume on the reference day"
        if flagged:
            note += f"; {SEPARATE_COHORT}"
        r["note"] = note
        rows.append(r)
    return pd.DataFrame(rows).reindex(columns=BALANCE_COLUMNS)

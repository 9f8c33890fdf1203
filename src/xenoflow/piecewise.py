"""Two-phase growth: a piecewise linear mixed model of ln volume with a common breakpoint.

Model (TumGrowth's ``compModLGpw``, Enot et al. 2018, ``Long_lmer.R``), with b the breakpoint::

    tp1 = min(day, b),  tp2 = max(day − b, 0)
    ln V_ij = β0 + β_a + (β1 + γ1_a)·tp1 + (β2 + γ2_a)·tp2 + u0_i + u1_i·tp1 + u2_i·tp2 + e_ij

so an arm's slope of ln V is β1 + γ1_a before the breakpoint and β2 + γ2_a after it (treatment
coding, control = reference); random effects (u0, u1) correlated and u2 independent —
``lmer(log(volume_mm3) ~ arm * (tp1 + tp2) + (tp1 | mouse) + (0 + tp2 | mouse), REML = TRUE)``.
Fitted by :mod:`xenoflow.mixed` (statsmodels MixedLM + profiled REML, GLS covariance of the
fixed effects) with the design of :func:`design`; when that structure is singular or does not
converge, (1 | mouse) + (0 + tp1 | mouse) + (0 + tp2 | mouse), then (1 | mouse), as the linear
model falls back (``fallback_note`` says so).

**One breakpoint for all arms**, as TumGrowth: the phases are then the same days in every arm,
so "rate before" and "rate after" compare like with like across arms (with a breakpoint per arm
the control's phases would cover other days than the treated arm's).

**Breakpoint**: the study file's ``growth: breakpoint_day`` when given; otherwise the maximum of
the profile log-likelihood over b (the fixed effects and variance parameters maximised at each
b). TumGrowth calls R's ``optimize`` on the REML AIC of the primary structure over the measured
days inside its search range (first/last day moved in by half the first/last two gaps). Here the
same structure and range are used, but (i) the criterion is the **ML** log-likelihood: REML
log-likelihoods of models whose fixed-effects design differs (it changes with b) are not
comparable (Verbeke & Molenberghs 2000, §6.2; Pinheiro & Bates 2000, §2.4.2), and (ii) the
profile is first evaluated at every measured day of the range, then refined by a bounded 1-D
search (``scipy.optimize.minimize_scalar``, Brent's bounded method, as R's ``optimize``) between
the neighbours of the best day, so a local optimum of a one-shot search is not taken. TumGrowth
then snaps b down to the last measured day ≤ b; here the refined b is kept (the likelihood is
continuous in b). TumGrowth's guard is kept: some mouse must have ≥ 3 measurements in each phase.

**Which arms are two-phase** (:func:`two_phase_arms`): on the arm's geometric-mean volume curve
(days with at least ``mean_min_fraction`` of its mice measured, as the growth figure draws it;
by scheduled visit on a staggered calendar, :mod:`xenoflow.visits`, so that half an arm
measured a day after the other half is one day of the curve, not two thin ones),
the nadir is at least a halving from the first day (the −50 % volume cut of an mRECIST partial
response, Gao et al. 2015, Nat Med 21:1318) and a later day is at least 1.2³ ≈ 1.73 times the
nadir (RECIST 1.1 progression, +20 % in diameter from the nadir, Eisenhauer et al. 2009, Eur J
Cancer 45:228, on volume). The per-mouse model choice (``best_model`` "regrowth") is not used
alone: the tumgr regression–regrowth curve also fits a lag-then-growth control (every Caki-2
control mouse).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import mixed
from .config import AnalysisSettings, Growth
from .errors import ConfigError
from .io import empty_frame
from .stats import holm
from .tables import columns

STRUCTURES = ("pw_correlated", "pw_uncorrelated", "intercept")
COLUMNS = columns("growth_piecewise")
#: Two-phase rule: nadir <= this fraction of the first day's geometric mean (mRECIST PR cut)
REGRESSION_FRACTION = 0.5
#: ... and a later geometric mean >= this multiple of the nadir (RECIST 1.1 PD, 1.2 cubed)
REGROWTH_FOLD = 1.2**3
#: Fewest measurements of one mouse in each phase (TumGrowth's guard)
MIN_POINTS_PER_PHASE = 3
METHOD_FIXED = "fixed in the study file"
METHOD_PROFILE = (
    "maximum of the profile ML log-likelihood over the measured days, refined by a bounded "
    "1-D search"
)


def phases(day: np.ndarray, breakpoint: float) -> tuple[np.ndarray, np.ndarray]:
    """TumGrowth's basis: tp1 = min(day, b), tp2 = max(day − b, 0)."""
    day = np.asarray(day, dtype=float)
    return np.minimum(day, breakpoint), np.maximum(day - breakpoint, 0.0)


def design(breakpoint: float) -> mixed.DesignFn:
    """The fixed and random design at breakpoint b, for :func:`xenoflow.mixed.fit_mixed`.

    X columns: ``(Intercept)``, ``arm<A>``, ``tp1``, ``tp2``, ``tp1:arm<A>``, ``tp2:arm<A>``
    (treated arms A); Z = [1, tp1 − shift, tp2]. Rows grouped by mouse.
    """

    def build(
        logd: pd.DataFrame, arms: Sequence[str], control: str, shift: float = 0.0
    ) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray, np.ndarray]:
        treated = [a for a in arms if a != control]
        tp1, tp2 = phases(logd["day"].to_numpy(dtype=float), breakpoint)
        tp1 = tp1 - shift
        arm = logd["arm"].to_numpy()
        dummies = [(arm == a).astype(float) for a in treated]
        cols = [np.ones_like(tp1), *dummies, tp1, tp2]
        cols += [tp1 * d for d in dummies] + [tp2 * d for d in dummies]
        names = ["(Intercept)", *(f"arm{a}" for a in treated), "tp1", "tp2"]
        names += [f"tp1:arm{a}" for a in treated] + [f"tp2:arm{a}" for a in treated]
        Z = np.column_stack([np.ones_like(tp1), tp1, tp2])
        y = logd["log_volume"].to_numpy(dtype=float)
        return np.column_stack(cols), names, Z, y, logd["mouse"].to_numpy()

    return build


# --- which arms regress then regrow ----------------------------------------------------------


def geometric_mean_curve(logd: pd.DataFrame, arm: str, min_fraction: float) -> pd.Series:
    """Geometric-mean volume of ``arm`` per day, on days with ≥ ``min_fraction`` of its mice."""
    rows = logd[logd["arm"] == arm]
    n_mice = rows["mouse"].nunique()
    by_day = rows.groupby("day")["log_volume"].agg(["mean", "size"])
    kept = by_day[by_day["size"] >= min_fraction * n_mice]
    return np.exp(kept["mean"])


def is_two_phase(curve: pd.Series) -> bool:
    """Regression then regrowth on a geometric-mean curve (module docstring for the cuts)."""
    if len(curve) < 3:
        return False
    values = curve.to_numpy(dtype=float)
    i = int(np.argmin(values))
    if i == 0 or i == len(values) - 1:
        return False
    return bool(
        values[i] <= REGRESSION_FRACTION * values[0]
        and values[i + 1 :].max() >= REGROWTH_FOLD * values[i]
    )


def two_phase_arms(
    logd: pd.DataFrame,
    arms: Sequence[str],
    min_fraction: float,
    visit_day: np.ndarray | None = None,
) -> list[str]:
    """The arms whose geometric-mean curve shrinks by half and then regrows (:func:`is_two_phase`).
    ``visit_day``: each row's scheduled visit (:func:`xenoflow.visits.redate`); the curve's
    days are the visits (the measured days when None)."""
    at_visit = logd if visit_day is None else logd.assign(day=np.asarray(visit_day, dtype=float))
    return [a for a in arms if is_two_phase(geometric_mean_curve(at_visit, a, min_fraction))]


# --- the breakpoint --------------------------------------------------------------------------


def search_days(days: Sequence[float]) -> list[float]:
    """TumGrowth's search grid: the measured days strictly inside [first + (g1 + g2)/2,
    last − (g_{n−1} + g_n)/2], g the gaps between consecutive measured days."""
    d = np.unique(np.asarray(days, dtype=float))
    if d.size < 5:
        return []
    gaps = np.diff(d)
    lo = d[0] + (gaps[0] + gaps[1]) / 2.0
    hi = d[-1] - (gaps[-1] + gaps[-2]) / 2.0
    return [float(x) for x in d if lo < x < hi]


def phases_supported(logd: pd.DataFrame, breakpoint: float) -> bool:
    """TumGrowth's guard: some mouse has ≥ 3 measurements on or before b, and some mouse ≥ 3
    after b."""
    day = logd["day"].to_numpy(dtype=float)
    before = pd.Series(day <= breakpoint).groupby(logd["mouse"].to_numpy()).sum()
    after = pd.Series(day > breakpoint).groupby(logd["mouse"].to_numpy()).sum()
    return bool(before.max() >= MIN_POINTS_PER_PHASE and after.max() >= MIN_POINTS_PER_PHASE)


def estimable(logd: pd.DataFrame, arms: Sequence[str], control: str, breakpoint: float) -> bool:
    """Every fixed effect is estimable at b: X has full column rank (e.g. not when the control
    has no measurement after b, so that its rate after b is not defined)."""
    X = design(breakpoint)(logd, arms, control, 0.0)[0]
    return bool(np.linalg.matrix_rank(X) == X.shape[1])


def admissible(logd: pd.DataFrame, arms: Sequence[str], control: str, breakpoint: float) -> bool:
    """A breakpoint the model can be fitted at: :func:`phases_supported` and :func:`estimable`."""
    return phases_supported(logd, breakpoint) and estimable(logd, arms, control, breakpoint)


class Profile:
    """−2 × the ML log-likelihood of the primary structure at breakpoint b, maximised over the
    fixed effects and variance parameters: bounded L-BFGS-B on lme4's θ from the last θ (or
    per-mouse least squares), :meth:`xenoflow.mixed.ProfiledREML.minimise` when that fails.
    ``ftol``: L-BFGS-B's relative tolerance (looser on the grid, tight - with one restart -
    for the refinement)."""

    def __init__(self, logd: pd.DataFrame, arms: Sequence[str], control: str) -> None:
        self.logd, self.arms, self.control = logd, list(arms), control
        self.theta: np.ndarray | None = None
        self.ftol = 1e-13

    def __call__(self, breakpoint: float) -> float:
        from scipy import optimize

        X, _, Z, y, groups = design(breakpoint)(self.logd, self.arms, self.control, 0.0)
        pr = mixed.ProfiledREML(X, Z, y, groups, STRUCTURES[0])
        start = self.theta
        if start is None:
            start = mixed._moment_theta(pr, self.logd, Z, groups)
        # tight: restart once from the optimum (L-BFGS-B stops early on a singular boundary)
        for _ in range(2 if self.ftol < 1e-12 else 1):
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                res = optimize.minimize(
                    pr.ml_deviance,
                    start,
                    method="L-BFGS-B",
                    bounds=pr.bounds(),
                    options={"maxiter": 5000, "ftol": self.ftol, "gtol": 1e-9},
                )
            start = res.x
        theta, dev = np.asarray(res.x), float(res.fun)
        if not (res.success and np.isfinite(dev)):
            moment = mixed._moment_theta(pr, self.logd, Z, groups)
            theta, dev, _ = pr.minimise([start, moment], pr.ml_deviance)
        self.theta = theta
        return dev


def estimate_breakpoint(
    logd: pd.DataFrame, arms: Sequence[str], control: str, xatol: float = 1e-6
) -> tuple[float, float]:
    """(b̂, −2ℓ_ML at b̂): the best measured day of :func:`search_days` by the profile, then
    Brent's bounded search between its neighbours in the grid (module docstring; a side without
    a neighbour is not searched). Only :func:`admissible` days are tried; NaN when none is."""
    from scipy import optimize

    grid = [d for d in search_days(logd["day"].to_numpy()) if admissible(logd, arms, control, d)]
    if not grid:
        return float("nan"), float("nan")
    profile = Profile(logd, arms, control)
    profile.ftol = 1e-10  # the grid only picks the bracket
    values = [profile(d) for d in grid]
    j = int(np.argmin(values))
    lo, hi = grid[max(j - 1, 0)], grid[min(j + 1, len(grid) - 1)]
    profile.ftol = 1e-13
    best_b, best_v = grid[j], profile(grid[j])
    if hi > lo:
        res = optimize.minimize_scalar(
            profile, bounds=(lo, hi), method="bounded", options={"xatol": xatol}
        )
        if float(res.fun) < best_v:
            best_b, best_v = float(res.x), float(res.fun)
    return best_b, best_v


# --- the table -------------------------------------------------------------------------------


def _inference(fit: mixed.MixedFit, weights: dict[str, float], alpha: float) -> dict[str, float]:
    est, se = mixed._contrast(fit, weights)
    _, p_wald, lo, hi = mixed.wald(est, se, alpha)
    df = mixed.satterthwaite_df(fit, weights)
    p_t = mixed.t_test(est, se, df)
    return {"est": est, "se": se, "lo": lo, "hi": hi, "p": p_t if np.isfinite(p_t) else p_wald}


def _rate_weights(phase: str, arm: str, control: str) -> dict[str, float]:
    return {phase: 1.0} if arm == control else {phase: 1.0, f"{phase}:arm{arm}": 1.0}


def curve_weights(arm: str, breakpoint: float, start: float, end: float) -> dict[str, float] | None:
    """Weights of the mean growth-rate difference vs control from day s to day r:
    [γ1_a·(tp1(r) − tp1(s)) + γ2_a·(tp2(r) − tp2(s))] / (r − s), the model's difference in
    ln-volume change over [s, r] per day — ln(model T/C of the change)/(r − s), which equals
    the rate difference when there is one phase. None unless r > s."""
    if not (end > start):
        return None
    (p1s, p1e), (p2s, p2e) = (phases(np.array([start, end]), breakpoint)[i] for i in (0, 1))
    return {
        f"tp1:arm{arm}": (p1e - p1s) / (end - start),
        f"tp2:arm{arm}": (p2e - p2s) / (end - start),
    }


def phase_table(
    fit: mixed.MixedFit,
    arms: Sequence[str],
    control: str,
    breakpoint: float,
    window: tuple[float, float],
    alpha: float,
) -> pd.DataFrame:
    """Rates before / after the breakpoint per arm; per treated arm the differences vs control
    in each phase and the whole-curve rate difference (:func:`curve_weights`), each with its
    Wald interval and p (t test with Satterthwaite df, or Wald z when the df cannot be
    computed; Holm across the treated arms within a phase, and within the whole curve)."""
    rows: list[dict[str, Any]] = []
    for arm in arms:
        row: dict[str, Any] = {"arm": arm}
        for phase, key in (("tp1", "rate_before"), ("tp2", "rate_after")):
            r = _inference(fit, _rate_weights(phase, arm, control), alpha)
            row.update({key: r["est"], f"{key}_se": r["se"]})
            row.update({f"{key}_ci_low": r["lo"], f"{key}_ci_high": r["hi"]})
        if arm != control:
            for phase, key in (("tp1", "diff_before"), ("tp2", "diff_after")):
                r = _inference(fit, {f"{phase}:arm{arm}": 1.0}, alpha)
                row.update({f"{key}_vs_control": r["est"], f"{key}_se": r["se"]})
                row.update({f"{key}_ci_low": r["lo"], f"{key}_ci_high": r["hi"]})
                row[f"p_{key.split('_')[1]}"] = r["p"]
            w = curve_weights(arm, breakpoint, *window)
            if w is not None:
                r = _inference(fit, w, alpha)
                row.update(curve_rate_diff=r["est"], curve_rate_diff_ci_low=r["lo"])
                row.update(curve_rate_diff_ci_high=r["hi"], p_curve=r["p"])
        rows.append(row)
    out = pd.DataFrame(rows)
    treated = out["arm"] != control
    for phase in ("before", "after", "curve"):
        col = f"p_{phase}"
        if col in out:
            out.loc[treated, f"{col}_holm"] = holm(out.loc[treated, col].to_numpy(dtype=float))
    return out


@dataclass
class PiecewiseResult:
    table: pd.DataFrame
    fit: mixed.MixedFit | None = None
    breakpoint: float = float("nan")


def _check_breakpoint(days: np.ndarray, breakpoint: float, study_file: str) -> None:
    if not (days.min() < breakpoint < days.max()):
        raise ConfigError(
            f"{study_file}: key 'growth: breakpoint_day': day {breakpoint:g} is not inside the "
            f"measured days ({days.min():g} to {days.max():g})"
        )


def analyse(
    logd: pd.DataFrame,
    arms: Sequence[str],
    control: str,
    options: Growth,
    settings: AnalysisSettings,
    window: tuple[float, float],
    study_file: str = "study file",
    visit_day: np.ndarray | None = None,
) -> PiecewiseResult:
    """``growth_piecewise.tsv`` of the arms in the growth mixed model (rows of ``logd``).

    Fitted when ``options.piecewise`` is ``always``, or ``auto`` (default) and the study file
    fixes a breakpoint or some arm is two-phase (:func:`two_phase_arms`); header only
    otherwise (``never``, or no arm regresses then regrows), so every study has the table.
    ``window``: (start, reference day) of the whole-curve rate difference. ``visit_day``: the
    scheduled visit of each row of ``logd`` (staggered calendars): which arms are two-phase is
    read at the visits; the model is fitted on the measured days.
    """
    if options.piecewise == "never" or logd.empty:
        return PiecewiseResult(empty_frame(COLUMNS))
    fraction = float(settings.get("mean_min_fraction", 0.5))
    flagged = two_phase_arms(logd, arms, fraction, visit_day)
    wanted = options.piecewise == "always" or options.breakpoint_day is not None or flagged
    if not wanted:
        return PiecewiseResult(empty_frame(COLUMNS))
    days = logd["day"].to_numpy(dtype=float)
    note = ""
    if options.breakpoint_day is not None:
        bp, method = float(options.breakpoint_day), METHOD_FIXED
        _check_breakpoint(days, bp, study_file)
        if not phases_supported(logd, bp):
            bp, note = float("nan"), _guard_note(f"day {bp:g}")
        elif not estimable(logd, arms, control, bp):
            bp, note = (
                float("nan"),
                (
                    f"with the breakpoint at day {bp:g} some arm has no measurement in one phase: "
                    "piecewise model not fitted"
                ),
            )
    else:
        bp, _ = estimate_breakpoint(logd, arms, control)
        method = METHOD_PROFILE
        if not np.isfinite(bp):
            note = _guard_note("any measured day inside the search range")
    sel, note_fit = None, ""
    if np.isfinite(bp):
        sel, _, note_fit = mixed.fit_mixed(
            logd, arms, control, structures=STRUCTURES, design_fn=design(bp)
        )
    alpha = float(settings.get("alpha", 0.05))
    base = pd.DataFrame({"arm": list(arms)})
    if sel is not None:
        base = phase_table(sel, arms, control, bp, window, alpha)
    n_mice = logd.groupby("arm")["mouse"].nunique()
    n_obs = logd.groupby("arm").size()
    base["n_mice"] = [int(n_mice.get(a, 0)) for a in base["arm"]]
    base["n_obs"] = [int(n_obs.get(a, 0)) for a in base["arm"]]
    base["two_phase"] = [a in flagged for a in base["arm"]]
    base["breakpoint_day"] = bp
    base["breakpoint_method"] = method
    base["curve_from_day"], base["curve_to_day"] = window
    base["p_method"] = (
        f"{mixed.SATTERTHWAITE_LABEL} (Wald z where the df cannot be computed); Holm across "
        "treated arms within a phase (p_before, p_after) and within the whole curve (p_curve)"
    )
    if sel is not None:
        base["model"] = (
            "LMM ln V ~ arm * (tp1 + tp2) + "
            f"{mixed.STRUCTURE_LABELS[sel.structure]}, REML, tp1 = min(day, b), "
            "tp2 = max(day - b, 0)"
        )
        base["random_effects"] = mixed.STRUCTURE_LABELS[sel.structure]
        base["reml_loglik"] = sel.llf
        base["singular_fit"] = sel.singular
    base["fallback_note"] = "; ".join(x for x in (note, note_fit) if x) or (
        "" if sel is not None else "the piecewise model could not be fitted"
    )
    return PiecewiseResult(base.reindex(columns=COLUMNS), sel, bp)


def _guard_note(where: str) -> str:
    return (
        f"no mouse has {MIN_POINTS_PER_PHASE} measurements in each phase with the breakpoint at "
        f"{where} (TumGrowth's guard): piecewise model not fitted"
    )


def two_phase_text(row: dict[str, Any]) -> bool:
    """True when a row of ``growth_piecewise`` leads its arm's summary with the phases (and
    the forest plot draws its whole-curve rate difference): the arm's data regress then
    regrow (``two_phase``) and so does the fitted model (rate before < 0 < rate after). An
    arm with more than two phases (LS-1034's Irinotecan+Rabusertib: growth, regression, then
    slow regrowth) keeps its exponential-rate summary."""
    values = [row.get(k) for k in ("rate_before", "rate_after", "breakpoint_day")]
    if not (bool(row.get("two_phase")) and all(_finite(v) for v in values)):
        return False
    return float(row["rate_before"]) < 0 < float(row["rate_after"])


def _finite(value: Any) -> bool:
    return isinstance(value, float) and math.isfinite(value)

"""Drug-combination synergy from SynergyLMM's exponential mixed model (Romero-Becerra et al.
2025, R package SynergyLMM @ 13cf93d; Demidenko & Miller 2019, PLoS ONE 14:e0224137).

**Preprocessing** (``lmmModel``/``getRTV``), per combination on its arms (control, the single
agents, the combination): keep days >= ``time_start`` (default the first day of these arms);
leave out mice without a volume at ``time_start`` or with volume 0 there; later zero volumes
are left out, as in SynergyLMM (ln RTV of 0 is not defined there), unless the study asks for
``log_zero_rule: floor`` (:func:`synergy_settings`; the default detection-limit floor of the
other log-scale fits would give numbers SynergyLMM does not);
keep days <= ``time_end`` (default: the last day on which every arm of the combination has
``mean_min_fraction`` of its mice measured, :func:`shared_end`: SynergyLMM keeps every day, but a
contrast past the control's last day rests on the model's extrapolation of an arm no longer
followed); leave out mice with fewer than ``min_observations`` measurements
(the ``time_start`` one counted); RTV = V / V(time_start); the ``time_start`` row itself is not
fitted; time t = day − time_start (``sqrt``: its square root). Everything left out is listed with
the reason.

**Model** (:mod:`xenoflow.lme`): log RTV_ij = β_arm(i) t_ij + b_i t_ij + ε_ij by REML, with the
``variance`` terms (nlme varIdent by mouse / arm / day, varPower of time, combined as varComb).

**Synergy** (``lmmSynergy``) with the contrast est = cᵀβ̂, SE = sqrt(cᵀ V̂ c):

* Bliss: est = β_AB − Σ β_i + (k − 1) β_C (k single agents);
* HSA: est = β_AB − min_i β_i, the single agent with the smallest rate chosen on the whole-study
  fit and kept for every day, as SynergyLMM;
* synergy score SS = −est/SE (interval −upper/SE, −lower/SE); combination index CI = exp(est·t)
  at the day's time t; p: the two-sided Wald **z** test that ``marginaleffects::hypotheses``
  computes for an ``lme`` (normal reference, ``df = Inf``), and, labelled, the same test against
  Student's t with nlme's denominator df (``summary(lme)$tTable``), a small-sample alternative;
* RA (response additivity): ``nsim`` = 1000 draws of β from N(β̂, V̂) (seeded);
  Δ = ∫_0^t e^{β_AB s} ds − max(0, ∫_0^t (Σ e^{β_i s} − (k−1) e^{β_C s}) ds) (closed form
  (e^{βt} − 1)/β); SS = −median(Δ)/sd(Δ) with percentile bounds; p = 2 min(P(Δ ≤ 0), P(Δ ≥ 0));
  CI = the median ratio of the two integrals (infinite ratios capped at 100).

Days are the scheduled visits (:mod:`xenoflow.visits`, applied by the stage): in a staggered
calendar a mouse measured a day off the control's keeps its time_start volume and enters the
refit of its visit, instead of being left out for no volume at time_start or tested on a day of
its own; time is the visit day less time_start (the nominal schedule).

Time-resolved: the model is refitted on the data up to each measured day. A day whose data
hold fewer than two post-baseline measurement days (:data:`MIN_TEST_DAYS`) is not tested: with
one time per mouse the random slope and the residual cannot be told apart, so the contrast's
SE collapses (scores such as −8·10⁷ with p = 0); the day is skipped with that reason
(``exclusions_synergy``), as any other analysis that cannot be estimated.

**Post-hoc power** (``PostHocPwr``): ``power_simulations`` response vectors drawn from the
whole-study fit (``nlmeU::simulateY``), each refitted; power = the fraction of z-test p < alpha.

**Diagnostics**: per-mouse random slopes (BLUP), normalised residuals, and Cook's distance of
each mouse on the fixed effects, D_i = (β̂_(−i) − β̂)ᵀ V̂⁻¹ (β̂_(−i) − β̂) / p with β̂_(−i) the fit
without mouse i (SynergyLMM ``CookDistance(type = "fixef")``; Gałecki & Burzykowski 2013, §13.6).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from . import growth, lme
from .config import AnalysisSettings, Combination, Study, SynergySettings
from .errors import NotEstimable
from .io import empty_table, exclusions_frame
from .tables import SKIPPED_DAY

STAGE = "synergy"
log = logging.getLogger(__name__)
#: draws of the coefficients for response additivity (SynergyLMM's default ``nsim``)
RA_DRAWS = 1000
#: cap of infinite RA combination indices (SynergyLMM)
RA_RATIO_CAP = 100.0
P_Z = "Wald z (marginaleffects::hypotheses)"
P_T = "Wald t, nlme denominator df"
STATISTIC_WALD = "synergy score -est/SE of the growth-rate contrast (SynergyLMM)"
STATISTIC_RA = "synergy score -median(delta)/SD(delta) of simulated areas (SynergyLMM RA)"
ROLES = ("control", "drug_a", "drug_b", "drug_c")
#: post-baseline measurement days a time-resolved test needs (module docstring)
MIN_TEST_DAYS = 2


@dataclass(frozen=True)
class Design:
    """One combination's model data after the preprocessing (module docstring)."""

    combination: Combination
    arms: tuple[str, ...]  # control, single agents, combination
    data: pd.DataFrame  # arm, mouse_id, day, time, log_rtv, mouse
    time_start: float
    #: the last day used (``time_end``, or by default :func:`shared_end`; None: every day)
    time_end: float | None
    exclusions: pd.DataFrame
    #: the time_start rows (log RTV 0), for the figure
    baseline: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def name(self) -> str:
        return self.combination.arm


def _exclusion(arm: str, mouse_id: str, day: float | None, reason: str) -> dict[str, Any]:
    return {
        "stage": STAGE,
        "arm": arm,
        "mouse_id": mouse_id,
        "day": np.nan if day is None else day,
        "reason": reason,
    }


def _baseline_mice(
    rows: pd.DataFrame, start: float, tag: str
) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """The mice with a positive volume at ``start`` (RTV defined), and an exclusion for each
    other mouse."""
    at_start = rows[rows["day"] == start].groupby(["arm", "mouse_id"], sort=False)["volume_mm3"]
    v0 = at_start.first()
    keep: list[tuple[str, str]] = []
    out: list[dict[str, Any]] = []
    for arm, mouse in rows[["arm", "mouse_id"]].drop_duplicates().itertuples(index=False):
        v = float(v0.get((arm, mouse), np.nan))
        if np.isfinite(v) and v > 0:
            keep.append((arm, mouse))
            continue
        what = "no volume" if not np.isfinite(v) else "volume 0"
        reason = f"{what} at synergy time_start (day {start:g}): no relative tumour volume"
        out.append(_exclusion(arm, mouse, None, tag + reason))
    return keep, out


def _few_observations(
    logs: pd.DataFrame, minimum: int, tag: str
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Rows of mice with fewer than ``minimum`` measurements, and an exclusion per mouse."""
    n_obs = logs.groupby("mouse", sort=False)["day"].size()
    out = []
    for mouse, n in n_obs[n_obs < minimum].items():
        first = logs[logs["mouse"] == mouse].iloc[0]
        reason = f"{n} measurement(s), fewer than synergy min_observations ({minimum})"
        out.append(_exclusion(first["arm"], first["mouse_id"], None, tag + reason))
    return logs["mouse"].map(n_obs).to_numpy() < minimum, out


def synergy_settings(settings: AnalysisSettings) -> AnalysisSettings:
    """The settings of the synergy model's log volumes: SynergyLMM's rule for zero volumes
    (left out, listed) in place of the default detection-limit floor; an explicit ``floor``
    is kept."""
    rule = settings.get("log_zero_rule", "detection_limit")
    return {**settings, "log_zero_rule": "drop" if rule == "detection_limit" else rule}


def shared_end(rows: pd.DataFrame, arms: tuple[str, ...], fraction: float) -> float | None:
    """The last day on which every arm of the design has a volume for at least ``fraction`` of
    its mice (and at least one): after it a contrast with the control (or an agent) would
    rest on the model's extrapolation of an arm that is no longer followed. None: no such
    day."""
    measured = rows[rows["volume_mm3"].notna()]
    total = rows.groupby("arm")["mouse_id"].nunique()
    per_day = measured.groupby(["day", "arm"])["mouse_id"].nunique().unstack("arm")
    per_day = per_day.reindex(columns=list(arms)).fillna(0)
    enough = (per_day >= np.maximum(1, fraction * total.reindex(list(arms)).fillna(0))).all(axis=1)
    return float(enough[enough].index.max()) if enough.any() else None


def prepare(
    measurements: pd.DataFrame,
    study: Study,
    combination: Combination,
) -> Design:
    """SynergyLMM's preprocessing of one combination's arms (module docstring), in its order:
    time_start, mice without a baseline volume, zero volumes, time_end, min_observations."""
    cfg = study.synergy
    arms = (study.control, *combination.components, combination.arm)
    rows = measurements[measurements["arm"].astype(str).isin(arms)].copy()
    rows["arm"] = rows["arm"].astype(str)
    rows["mouse_id"] = rows["mouse_id"].astype(str)
    start = float(rows["day"].min()) if cfg.time_start is None else cfg.time_start
    tag = f"combination {combination.arm}: "
    early = rows["day"] < start
    out = [
        _exclusion(r.arm, r.mouse_id, r.day, tag + f"before synergy time_start (day {start:g})")
        for r in rows[early].itertuples()
    ]
    rows = rows[~early]
    keep, no_baseline = _baseline_mice(rows, start, tag)
    out += no_baseline
    kept = pd.MultiIndex.from_frame(rows[["arm", "mouse_id"]]).isin(keep)
    logs, excluded = growth.log_volumes(rows[kept], synergy_settings(study.settings))
    excluded = excluded.assign(stage=STAGE, reason=tag + excluded["reason"])
    end, fraction = cfg.time_end, float(study.settings.get("mean_min_fraction", 0.5))
    if end is None:
        end = shared_end(rows, arms, fraction)
    if end is not None:
        reason = tag + (
            f"after the synergy end day set in the study file (day {end:g})"
            if cfg.time_end is not None
            else f"after day {end:g}, the last day on which every arm of the combination has "
            f"{100 * fraction:g}% of its mice measured: no comparison past it (a synergy end day "
            "in the study file sets another day)"
        )
        late = logs["day"] > end
        out += [_exclusion(r.arm, r.mouse_id, r.day, reason) for r in logs[late].itertuples()]
        logs = logs[~late]
    few, too_few = _few_observations(logs, cfg.min_observations, tag)
    out += too_few
    logs = logs[~few]
    log0 = logs[logs["day"] == start].set_index("mouse")["log_volume"]
    logs = logs.assign(log_rtv=logs["log_volume"].to_numpy() - log0.loc[logs["mouse"]].to_numpy())
    elapsed = logs["day"].to_numpy() - start
    logs["time"] = np.sqrt(elapsed) if cfg.time_transform == "sqrt" else elapsed
    order = {a: i for i, a in enumerate(arms)}
    logs = logs.assign(_a=logs["arm"].map(order)).sort_values(
        ["_a", "mouse_id", "day"], kind="stable"
    )
    cols = ["arm", "mouse_id", "day", "time", "log_rtv", "mouse"]
    return Design(
        combination=combination,
        arms=arms,
        data=logs.loc[logs["day"] != start, cols].reset_index(drop=True),
        time_start=start,
        time_end=end,
        exclusions=pd.concat([exclusions_frame(out), excluded], ignore_index=True),
        baseline=logs.loc[logs["day"] == start, cols].reset_index(drop=True),
    )


@dataclass(frozen=True)
class Arrays:
    """The model matrices of a design's data."""

    y: np.ndarray
    x: np.ndarray
    t: np.ndarray
    group: np.ndarray
    variance: lme.Variance


def arrays(data: pd.DataFrame, arms: tuple[str, ...], cfg: SynergySettings) -> Arrays:
    """y = log RTV, X = time × arm indicator (``0 + Time:Treatment``), the mouse codes and the
    variance function of ``cfg.variance`` (reference strata: the first in data order)."""
    t = data["time"].to_numpy(float)
    arm_index = data["arm"].map({a: i for i, a in enumerate(arms)}).to_numpy()
    x = np.zeros((len(data), len(arms)))
    x[np.arange(len(data)), arm_index] = t
    group = lme.codes(data["mouse"].tolist())
    strata = {
        "by_mouse": group,
        "by_arm": lme.codes(data["arm"].tolist()),
        "by_day": lme.codes(data["day"].tolist()),
    }
    variance = lme.Variance(
        tuple(strata[v] for v in cfg.variance if v in strata and strata[v].max() > 0),
        t if "power_of_time" in cfg.variance else None,
    )
    return Arrays(data["log_rtv"].to_numpy(float), x, t, group, variance)


def fit_design(
    data: pd.DataFrame,
    arms: tuple[str, ...],
    cfg: SynergySettings,
    start: lme.LmeFit | None = None,
) -> lme.LmeFit:
    a = arrays(data, arms, cfg)
    return lme.fit(a.y, a.x, a.t, a.group, a.variance, start)


def contrasts(fit: lme.LmeFit, k: int, hsa_agent: int) -> dict[str, np.ndarray]:
    """Contrast vectors over (control, agents..., combination): Bliss and HSA."""
    bliss = np.zeros(k + 2)
    bliss[-1], bliss[1:-1], bliss[0] = 1.0, -1.0, k - 1.0
    hsa = np.zeros(k + 2)
    hsa[-1], hsa[1 + hsa_agent] = 1.0, -1.0
    return {"bliss": bliss, "hsa": hsa}


def wald(fit: lme.LmeFit, c: np.ndarray, alpha: float) -> dict[str, float]:
    est = float(c @ fit.beta)
    se = float(np.sqrt(c @ fit.vcov @ c))
    df = float(fit.df[c != 0].min())
    return {"est": est, "se": se, "df": df, "z": est / se, "alpha": alpha}


def score_rows(w: dict[str, float], time: float) -> list[dict[str, Any]]:
    """SS, its interval and p by the z test (SynergyLMM) and by t with nlme's df."""
    out = []
    for label, dist in ((P_Z, stats.norm), (P_T, stats.t(w["df"]))):
        q = float(dist.ppf(1 - w["alpha"] / 2))
        lo, hi = w["est"] - q * w["se"], w["est"] + q * w["se"]
        out.append(
            {
                "score": -w["z"],
                "ci_low": -hi / w["se"],
                "ci_high": -lo / w["se"],
                "p_value": float(2 * dist.sf(abs(w["z"]))),
                "p_method": label,
                "combination_index": math.exp(w["est"] * time),
            }
        )
    return out


def _integral(beta: np.ndarray, t: float) -> np.ndarray:
    """∫_0^t e^{β s} ds = (e^{βt} − 1)/β (t when β = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.expm1(beta * t) / beta
    return np.where(np.abs(beta * t) < 1e-12, t, out)


def response_additivity(
    fit: lme.LmeFit, time: float, alpha: float, rng: np.random.Generator
) -> dict[str, Any]:
    """SynergyLMM's RA test by simulation (module docstring)."""
    draws = rng.multivariate_normal(fit.beta, fit.vcov, size=RA_DRAWS, method="cholesky")
    k = draws.shape[1] - 2
    lhs = _integral(draws[:, -1], time)
    rhs = sum(_integral(draws[:, i], time) for i in range(1, k + 1))
    rhs = np.maximum(rhs - (k - 1) * _integral(draws[:, 0], time), 0.0)
    delta = lhs - rhs
    with np.errstate(divide="ignore"):
        ratio = np.where(rhs > 0, lhs / np.where(rhs > 0, rhs, 1.0), RA_RATIO_CAP)
    sd = float(np.std(delta, ddof=1))
    lo, hi = np.quantile(delta, [alpha / 2, 1 - alpha / 2])
    return {
        "score": -float(np.median(delta)) / sd,
        "ci_low": -float(hi) / sd,
        "ci_high": -float(lo) / sd,
        "p_value": float(2 * min(np.mean(delta <= 0), np.mean(delta >= 0))),
        "p_method": f"simulation, {RA_DRAWS} draws of the coefficients",
        "combination_index": float(np.median(ratio)),
    }


@dataclass
class Result:
    """One combination's results."""

    design: Design
    fit: lme.LmeFit
    hsa_agent: int
    #: per-day rows: combination, method, day, score, ci_low, ci_high, p_value, p_method, ...
    scores: list[dict[str, Any]]
    power: dict[str, float]
    diagnostics: pd.DataFrame
    #: (day, reason) of each day whose time-resolved test was not computed
    skipped_days: list[tuple[float, str]] = field(default_factory=list)


class _Progress:
    """Logs how far a long loop is (its first step, then every ``every`` seconds, and its
    end), so that a job log shows the stage is alive and what it is doing."""

    def __init__(self, what: str, total: int, every: float = 10.0):
        self.what, self.total, self.every = what, total, every
        self.start = self.last = time.monotonic()
        log.info("%s: %d to do", what, total)

    def step(self, done: int) -> None:
        now = time.monotonic()
        if done == self.total or now - self.last >= self.every:
            self.last = now
            log.info("%s: %d of %d done (%.1f s)", self.what, done, self.total, now - self.start)


def time_resolved(
    design: Design, cfg: SynergySettings, alpha: float, seed: int, hsa_agent: int, whole: lme.LmeFit
) -> tuple[list[dict[str, Any]], list[tuple[float, str]]]:
    """Bliss, HSA and RA rows for the data up to each measured day (``lmmSynergy``), and
    (day, reason) for each day not tested: fewer than :data:`MIN_TEST_DAYS` post-baseline
    measurement days, an arm not yet measured, or a refit that cannot be estimated."""
    rows: list[dict[str, Any]] = []
    skipped: list[tuple[float, str]] = []
    k = len(design.combination.components)
    days = sorted(design.data["day"].unique())
    progress = _Progress(f"synergy {design.name}: refits on the data up to each day", len(days))
    for done, day in enumerate(days, start=1):
        progress.step(done)
        part = design.data[design.data["day"] <= day]
        n_days = part["day"].nunique()
        if n_days < MIN_TEST_DAYS:
            skipped.append(
                (
                    float(day),
                    f"{n_days} measurement day after the start (day {design.time_start:g}) up "
                    f"to day {day:g}: a time-resolved test needs at least {MIN_TEST_DAYS} (with "
                    "one time per mouse the random slope and the residual cannot be separated)",
                )
            )
            continue
        if part["arm"].nunique() < len(design.arms):
            skipped.append((float(day), f"not every arm is measured by day {day:g}"))
            continue
        try:
            fit = (
                whole
                if day == design.data["day"].max()
                else fit_design(part, design.arms, cfg, whole)
            )
        except NotEstimable as exc:
            log.info("synergy %s: day %g not tested: %s", design.name, day, exc)
            skipped.append((float(day), f"the refit cannot be estimated ({exc})"))
            continue
        time = float(part.loc[part["day"] == day, "time"].iloc[0])
        for method, c in contrasts(fit, k, hsa_agent).items():
            for row in score_rows(wald(fit, c, alpha), time):
                rows.append({"method": method, "day": float(day), **row})
        ra = response_additivity(fit, time, alpha, np.random.default_rng(seed))
        rows.append({"method": "ra", "day": float(day), **ra})
    return rows, skipped


def post_hoc_power(
    design: Design, fit: lme.LmeFit, cfg: SynergySettings, alpha: float, seed: int, hsa_agent: int
) -> dict[str, float]:
    """Fraction of simulated studies whose Bliss / HSA z test has p < alpha (``PostHocPwr``)."""
    n = cfg.power_simulations
    if n == 0:
        return {}
    a = arrays(design.data, design.arms, cfg)
    rng = np.random.default_rng(seed)
    cs = contrasts(fit, len(design.combination.components), hsa_agent)
    hits = dict.fromkeys(cs, 0)
    progress = _Progress(f"synergy {design.name}: post-hoc power simulations", n)
    for done in range(1, n + 1):
        y = lme.simulate(fit, a.x, a.t, a.group, a.variance, rng)
        refit = lme.fit(y, a.x, a.t, a.group, a.variance, fit, precise=False)
        for method, c in cs.items():
            w = wald(refit, c, alpha)
            hits[method] += int(2 * stats.norm.sf(abs(w["z"])) < alpha)
        progress.step(done)
    return {m: h / n for m, h in hits.items()}


def cooks_distance(design: Design, fit: lme.LmeFit, cfg: SynergySettings) -> dict[str, float]:
    """Cook's distance of each mouse on the fixed effects (module docstring)."""
    inv = np.linalg.inv(fit.vcov)
    out: dict[str, float] = {}
    mice = list(dict.fromkeys(design.data["mouse"]))
    progress = _Progress(
        f"synergy {design.name}: Cook's distance, a refit without each mouse", len(mice)
    )
    for done, mouse in enumerate(mice, start=1):
        progress.step(done)
        rest = design.data[design.data["mouse"] != mouse]
        if rest["arm"].nunique() < len(design.arms):
            out[mouse] = np.nan
            continue
        try:
            d = fit_design(rest, design.arms, cfg, fit).beta - fit.beta
        except NotEstimable:  # too few measurements without this mouse: no distance
            out[mouse] = np.nan
            continue
        out[mouse] = float(d @ inv @ d) / len(fit.beta)
    return out


def diagnostics(design: Design, fit: lme.LmeFit, cfg: SynergySettings) -> pd.DataFrame:
    """One row per fitted measurement: fitted value, normalised residual, and the mouse's
    random slope and Cook's distance."""
    data = design.data
    cook = cooks_distance(design, fit, cfg)
    group = lme.codes(data["mouse"].tolist())
    return pd.DataFrame(
        {
            "combination": design.name,
            "arm": data["arm"],
            "mouse_id": data["mouse_id"],
            "day": data["day"],
            "time": data["time"],
            "log_rtv": data["log_rtv"],
            "fitted_log_rtv": fit.fitted,
            "resid_normalised": fit.resid_normalised,
            "ranef_slope": fit.ranef[group],
            "cooks_distance": data["mouse"].map(cook).to_numpy(),
        }
    )


def missing_arms(design: Design) -> list[str]:
    """The arms of the design left without a mouse by the preprocessing (the model has no rate
    for them, so it cannot be fitted)."""
    return [a for a in design.arms if a not in set(design.data["arm"])]


def analyse_combination(design: Design, study: Study) -> Result:
    """One prepared combination's model, scores, power and diagnostics. Raises
    :class:`NotEstimable` when an arm has no mouse left after the preprocessing (the mice and
    their reasons are in the design's exclusions) or the model cannot be fitted."""
    cfg = study.synergy
    alpha = float(study.settings["alpha"])
    seed = int(study.settings["seed"])
    empty = missing_arms(design)
    if empty:
        arms = f"arm {empty[0]} has" if len(empty) == 1 else f"arms {', '.join(empty)} have"
        raise NotEstimable(
            f"{arms} no mouse left after the synergy preprocessing (no positive volume at "
            f"time_start, day {design.time_start:g}, or too few measurements)"
        )
    try:
        fit = fit_design(design.data, design.arms, cfg)
    except np.linalg.LinAlgError as exc:
        raise NotEstimable(f"the mixed model could not be fitted ({exc})") from exc
    k = len(design.combination.components)
    hsa_agent = int(np.argmin(fit.beta[1 : k + 1]))
    log.info("synergy %s: model fitted (%d mice)", design.name, design.data["mouse"].nunique())
    scores, skipped = time_resolved(design, cfg, alpha, seed, hsa_agent, fit)
    return Result(
        design=design,
        fit=fit,
        hsa_agent=hsa_agent,
        scores=scores,
        power=post_hoc_power(design, fit, cfg, alpha, seed, hsa_agent),
        diagnostics=diagnostics(design, fit, cfg),
        skipped_days=skipped,
    )


def variance_label(cfg: SynergySettings) -> str:
    """The nlme ``weights`` of the model, as R writes them."""
    terms = {
        "by_mouse": "varIdent(~1|mouse)",
        "by_arm": "varIdent(~1|arm)",
        "by_day": "varIdent(~1|day)",
        "power_of_time": "varPower(~time)",
    }
    parts = [terms[v] for v in cfg.variance]
    if not parts:
        return "none (one residual variance)"
    return parts[0] if len(parts) == 1 else "varComb(" + ", ".join(parts) + ")"


def model_table(result: Result, cfg: SynergySettings, alpha: float) -> pd.DataFrame:
    """``synergy_model``: one row per arm of the combination's design."""
    design, fit = result.design, result.fit
    k = len(design.combination.components)
    roles = [*ROLES[: k + 1], "combination"]
    rows = []
    for i, arm in enumerate(design.arms):
        part = design.data[design.data["arm"] == arm]
        se = float(np.sqrt(fit.vcov[i, i]))
        q = float(stats.t.ppf(1 - alpha / 2, fit.df[i]))
        rows.append(
            {
                "combination": design.name,
                "arm": arm,
                "role": roles[i],
                "n_mice": int(part["mouse"].nunique()),
                "n_obs": len(part),
                "growth_rate": float(fit.beta[i]),
                "se": se,
                "ci_low": float(fit.beta[i]) - q * se,
                "ci_high": float(fit.beta[i]) + q * se,
                "sd_ranef": fit.sd_ranef,
                "sd_resid": fit.sigma,
                "variance_model": variance_label(cfg),
                "time_start": design.time_start,
                "time_end": float(design.data["day"].max()),
                "time_transform": cfg.time_transform,
            }
        )
    return pd.DataFrame(rows)


def synergy_table(result: Result) -> pd.DataFrame:
    """``synergy`` rows of the LMM basis; the last day's Bliss and HSA z rows carry the
    post-hoc power."""
    if not result.scores:
        return empty_table("synergy")
    rows = pd.DataFrame(result.scores)
    last = rows["day"] == rows["day"].max()
    power = rows["method"].map(result.power) if result.power else np.nan
    rows["power"] = np.where(last & (rows["p_method"] == P_Z), power, np.nan)
    rows["statistic"] = np.where(rows["method"] == "ra", STATISTIC_RA, STATISTIC_WALD)
    return rows.assign(combination=result.design.name, basis="lmm")


def skipped_days(result: Result) -> pd.DataFrame:
    """Exclusion rows (mouse_id empty, the day set) of the days whose time-resolved test was
    not computed, each with its reason."""
    tag = f"combination {result.design.name}: {SKIPPED_DAY} "
    return exclusions_frame(
        [
            _exclusion(result.design.name, "", day, f"{tag}{day:g}: {why}")
            for day, why in result.skipped_days
        ]
    )


@dataclass(frozen=True)
class StudySynergy:
    """Every combination of a study: its SynergyLMM tables, named as their registry tables
    (``synergy`` and ``exclusions_synergy`` before the stage adds invivoSyn's / CombPDX's
    rows), each fitted combination's result (for the figures) and each combination's analysis
    window (``time_start``, ``time_end``), which the other synergy bases share."""

    synergy_model: pd.DataFrame
    synergy: pd.DataFrame
    synergy_diagnostics: pd.DataFrame
    exclusions_synergy: pd.DataFrame
    results: list[Result]
    windows: dict[str, tuple[float, float | None]]


def analyse(measurements: pd.DataFrame, study: Study) -> StudySynergy:
    """Every combination of the study (:class:`StudySynergy`). A combination whose model
    cannot be fitted (:func:`analyse_combination`) has no rows but an exclusion stating why
    (mouse_id empty); the other combinations still run."""
    alpha = float(study.settings["alpha"])
    designs = [prepare(measurements, study, c) for c in study.combinations]
    results, skipped = [], []
    for design in designs:
        try:
            results.append(analyse_combination(design, study))
        except NotEstimable as exc:
            reason = f"combination {design.name}: SynergyLMM model not fitted: {exc}"
            skipped.append(exclusions_frame([_exclusion(design.name, "", None, reason)]))

    def table(name: str, frames: list[pd.DataFrame]) -> pd.DataFrame:
        return pd.concat(frames, ignore_index=True) if frames else empty_table(name)

    return StudySynergy(
        results=results,
        windows={d.name: (d.time_start, d.time_end) for d in designs},
        synergy_model=table(
            "synergy_model", [model_table(r, study.synergy, alpha) for r in results]
        ),
        synergy=table("synergy", [synergy_table(r) for r in results]),
        synergy_diagnostics=table("synergy_diagnostics", [r.diagnostics for r in results]),
        exclusions_synergy=table(
            "exclusions_synergy",
            [d.exclusions for d in designs] + skipped + [skipped_days(r) for r in results],
        ),
    )

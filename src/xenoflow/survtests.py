"""Survival comparisons: log-rank family, hazard ratios, ratio of medians.

Implemented from the formulas rather than through lifelines (issue 21, point 4; measured with
lifelines 0.30.3 against R 4.2 / survival 3.5.3 on the golden values of the tests and on 201
two-arm comparisons and 36 k-arm tests of 45 endpoint sets derived from the demo and CrownBio
studies):

* Log-rank (Mantel–Cox): lifelines' ``statistics.logrank_test`` and
  ``multivariate_logrank_test`` give R ``survdiff``'s chi-square (max. relative difference
  2.7e-12; ours 1.3e-12) when every group has an expected count > 0, but they cost 100-130 x
  :func:`logrank` per call (22-27 ms vs 0.17-0.24 ms, 2 arms x 1 or 8 mice, best of 5 x 200
  calls; lifelines builds pandas survival tables), with no lower-level public function. They
  also differ from R where a group has no expected events (R drops the group: 1 df, p 0.0207
  in tests/test_survival_stats.py; lifelines keeps 2 df, p 0.0690) and where there are no
  events (R p = NA, lifelines 1.0), and lifelines' ``weightings="peto"`` is not R's
  ``rho = 1`` (10.951 vs 11.006). Its ``weightings="wilcoxon"`` is our ``gehan`` (same
  statistic to 1e-10, tests/test_survival_crosscheck.py) at the same cost.
* Cox (Efron ties): lifelines' ``CoxPHFitter`` stops its damped Newton iterations earlier than
  R ``coxph``: HR up to 3.2e-4 relative away from R's on the demo comparisons (CI 4.7e-4, LR
  chi-square 2.5e-3; 4e-6 even with ``fit_options={"precision": 1e-12}``), 3.6e-7 on a
  golden value of the tests, which moves the tables' 10-digit output; ours is within 9.4e-9
  of R (R's own ``eps = 1e-9``; 2.2e-10 on the golden values). lifelines returns a finite HR
  (with a warning) under complete separation, raises ``ConvergenceError`` (singular Hessian)
  when neither arm has an event (R: NA), has no Firth penalty, and costs 11 x
  :func:`cox_binary` (34 ms vs 3.0 ms with the LR test, 2 arms x 8 mice).
* lifelines has no trend test, no Mantel–Haenszel / O-E hazard ratios and no ratio of medians.

All tests use the counts at each distinct event time t: n_jt at risk and d_jt events in group
j, n_t and d_t in total.

References: R ``survival`` (``?survdiff``, ``?coxph``, Therneau & Grambsch 2000 ch. 3);
Collett, *Modelling Survival Data in Medical Research* 3rd ed. ch. 2 (log-rank, Wilcoxon,
trend); Machin, Cheung & Parmar, *Survival Analysis: A Practical Approach* 2nd ed. §3 (hazard
ratios, pp. 67-68 ratio of medians); GraphPad Prism KB #718 and the Prism Statistics Guide
("Comparing survival curves", "The hazard ratio"); Heinze & Schemper 2001, Biometrics 57:114
(Firth's Cox).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .stats import (
    chi2_ppf,
    chi2_sf,
    holm,  # noqa: F401  (re-exported: survival uses st.holm)
    norm_ppf,
)


@dataclass(frozen=True)
class LogrankTable:
    """Observed, expected and covariance of (O - E) per group, optionally weighted.

    O_j = sum_t w_t d_jt, E_j = sum_t w_t d_t n_jt / n_t, and the hypergeometric covariance
    V_jl = sum_t w_t^2 d_t (n_t - d_t)/(n_t - 1) * n_jt/n_t * (delta_jl - n_lt/n_t)
    (R ``survdiff``; the Mantel–Haenszel form Prism calls "log-rank (Mantel–Cox)"). With
    w_t = 1 ``observed``/``expected`` are the event counts survdiff prints.
    """

    groups: tuple[str, ...]
    observed: np.ndarray
    expected: np.ndarray
    var: np.ndarray


def _event_counts(
    time: np.ndarray, event: np.ndarray, group: np.ndarray, groups: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(event times, n_risk[t, j], d[t, j])."""
    times = np.unique(time[event == 1])
    n = np.empty((times.size, len(groups)))
    d = np.empty((times.size, len(groups)))
    for j, g in enumerate(groups):
        tg, eg = time[group == g], event[group == g]
        n[:, j] = (tg[None, :] >= times[:, None]).sum(axis=1)
        d[:, j] = ((tg[None, :] == times[:, None]) & (eg[None, :] == 1)).sum(axis=1)
    return times, n, d


def logrank_table(
    time: Sequence[float],
    event: Sequence[float],
    group: Sequence[str],
    groups: Sequence[str] | None = None,
    weighting: str = "logrank",
) -> LogrankTable:
    """O, E and Var(O - E) per group. ``weighting``: ``logrank`` (w = 1, Mantel–Cox),
    ``gehan`` (w = n_t, Gehan–Breslow–Wilcoxon, Prism's "Gehan-Breslow-Wilcoxon" and lifelines'
    ``weightings="wilcoxon"``) or ``peto`` (w = pooled Kaplan–Meier S(t-), Peto–Peto /
    Harrington–Fleming rho = 1 exactly as R ``survdiff(rho = 1)``; lifelines'
    ``weightings="peto"`` is a different statistic)."""
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    g = np.asarray(group, dtype=object)
    groups = tuple(groups) if groups is not None else tuple(dict.fromkeys(g.tolist()))
    _, n, d = _event_counts(t, e, g, groups)
    n_tot, d_tot = n.sum(axis=1), d.sum(axis=1)
    if weighting == "logrank":
        w = np.ones_like(n_tot)
    elif weighting == "gehan":
        w = n_tot
    elif weighting == "peto":
        # R survdiff(rho = 1): w = pooled KM just before t (left-continuous), not lifelines'
        # "peto" weights
        w = np.concatenate([[1.0], np.cumprod(1 - d_tot / n_tot)[:-1]])
    else:
        raise ValueError(f"unknown weighting {weighting!r}")
    frac = n / n_tot[:, None]
    observed = (w[:, None] * d).sum(axis=0)
    expected = (w[:, None] * d_tot[:, None] * frac).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        hyper = np.where(n_tot > 1, d_tot * (n_tot - d_tot) / (n_tot - 1), 0.0) * w**2
    k = len(groups)
    var = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            var[i, j] = np.sum(hyper * frac[:, i] * ((i == j) - frac[:, j]))
    return LogrankTable(groups, observed, expected, var)


def chisq_from_table(table: LogrankTable) -> tuple[float, int, float]:
    """k-group chi-square (O-E)' V^-1 (O-E) over groups with E > 0, first of them dropped.

    Exactly R ``survdiff``: groups with zero expected are left out and the first remaining group
    is the redundant one; df = (number kept) - 1. Returns ``(chisq, df, p)``. A singular V
    (every event at one time at which every mouse at risk has it: no hypergeometric variance)
    carries no information on the groups: chi-square and p are NaN (R's ``survdiff`` stops
    with "system is exactly singular").
    """
    keep = table.expected > 0
    if keep.sum() < 2:
        return 0.0, 0, float("nan")
    diff = (table.observed - table.expected)[keep][1:]
    vv = table.var[np.ix_(keep, keep)][1:, 1:]
    df = int(keep.sum() - 1)
    if np.linalg.matrix_rank(vv) < vv.shape[0]:
        return float("nan"), df, float("nan")
    chisq = float(diff @ np.linalg.solve(vv, diff))
    return chisq, df, float(chi2_sf(chisq, df))


def logrank(
    time, event, group, groups=None, weighting: str = "logrank"
) -> tuple[float, int, float]:
    """Log-rank (or Gehan–Breslow–Wilcoxon) chi-square, df and p over the listed groups.

    Two groups: Prism's Mantel–Cox / Gehan–Breslow–Wilcoxon test; k groups: the overall test,
    = ``survdiff(Surv(time, event) ~ group, rho = 0)$chisq`` for ``weighting="logrank"``, with
    chi2 = (O - E)' V^-1 (O - E) (see :class:`LogrankTable`, :func:`chisq_from_table`).
    lifelines' ``statistics.logrank_test`` / ``multivariate_logrank_test`` give the same
    chi-square but cost ~100 x per call and differ from R in df and p when a group has no
    expected events or there are no events (module docstring, tests/test_survival_stats.py).
    """
    return chisq_from_table(logrank_table(time, event, group, groups, weighting))


def logrank_trend(
    time, event, group, groups: Sequence[str], scores: Sequence[float] | None = None
) -> tuple[float, float]:
    """Log-rank test for trend over ordered groups (1 df). Returns ``(chisq, p)``.

    U = sum_j s_j (O_j - E_j), Var(U) = s' V s with V the log-rank covariance of (O - E)
    (Peto et al. 1977, Br J Cancer 35:1; Collett ch. 2). Prism offers this test with scores =
    column order; its exact variance formula is not documented, so agreement with Prism is
    unverified (this is the exact-variance form, = the R recipe in the tests).
    Default scores 1..k in the given order. chi2 = U^2 / Var(U).
    """
    s = np.arange(1, len(groups) + 1, dtype=float) if scores is None else np.asarray(scores, float)
    table = logrank_table(time, event, group, groups)
    u = float(s @ (table.observed - table.expected))
    v = float(s @ table.var @ s)
    if not v > 0:
        return float("nan"), float("nan")
    chisq = u * u / v
    return chisq, float(chi2_sf(chisq, 1))


def hazard_ratios_logrank(
    time, event, group, arm: str, reference: str, alpha: float = 0.05
) -> dict[str, float]:
    """Prism's two non-model hazard ratios of ``arm`` relative to ``reference``.

    Mantel–Haenszel: HR = exp((O_a - E_a) / V), CI exp((O_a - E_a)/V -/+ z / sqrt(V)).
    Log-rank (O/E): HR = (O_a/E_a) / (O_r/E_r), CI exp(ln HR -/+ z sqrt(1/E_a + 1/E_r)).
    (Machin, Cheung & Parmar §3; Prism guide "The hazard ratio"; V = hypergeometric variance.)
    Non-finite values (zero events) are returned as NaN.
    """
    z = norm_ppf(1 - alpha / 2)
    table = logrank_table(time, event, group, (arm, reference))
    o_a, o_r = table.observed
    e_a, e_r = table.expected
    v = table.var[0, 0]
    out = dict.fromkeys(
        [
            "hr_mh",
            "hr_mh_ci_low",
            "hr_mh_ci_high",
            "hr_logrank",
            "hr_logrank_ci_low",
            "hr_logrank_ci_high",
        ],
        float("nan"),
    )
    if v > 0:
        log_mh = (o_a - e_a) / v
        out.update(
            hr_mh=math.exp(log_mh),
            hr_mh_ci_low=math.exp(log_mh - z / math.sqrt(v)),
            hr_mh_ci_high=math.exp(log_mh + z / math.sqrt(v)),
        )
    if e_a > 0 and e_r > 0 and o_a > 0 and o_r > 0:
        log_hr = math.log((o_a / e_a) / (o_r / e_r))
        half = z * math.sqrt(1 / e_a + 1 / e_r)
        out.update(
            hr_logrank=math.exp(log_hr),
            hr_logrank_ci_low=math.exp(log_hr - half),
            hr_logrank_ci_high=math.exp(log_hr + half),
        )
    return out


# ------------------------------------------------------------------------------- Cox, 1 covariate


def _cox_terms(
    beta: float, time: np.ndarray, event: np.ndarray, x: np.ndarray, ties: str
) -> tuple[float, float, float, float]:
    """Log partial likelihood, score, information and d(information)/d(beta) for one covariate.

    Efron: l = sum_t [ sum_{i in D_t} x_i b - sum_{r=0}^{d-1} log(S0 - r/d S0_D) ],
    S_k = sum over the risk set of x^k exp(x b), S_k,D the same over the d tied events;
    Breslow = the same without the r/d correction (Therneau & Grambsch 2000 §3.3).
    Vectorised: risk-set sums are reverse cumulative sums over the subjects sorted by time,
    tied-event sums are bincounts by event time (the Cox fits of a panel's time-to-double
    comparisons call this thousands of times).
    """
    order = np.argsort(time, kind="stable")
    t, e, xs = time[order], event[order], x[order]
    is_event = e == 1
    ev_times = np.unique(t[is_event])
    if ev_times.size == 0:
        return 0.0, 0.0, 0.0, 0.0
    start = np.searchsorted(t, ev_times, side="left")  # first subject at risk at t_j
    group = np.searchsorted(ev_times, t[is_event])  # event time of each event
    m = ev_times.size
    d = np.bincount(group, minlength=m)
    w = np.exp(xs * beta)
    powers = [np.ones_like(xs), xs, xs * xs, xs * xs * xs]
    s = [np.cumsum((w * p)[::-1])[::-1][start] for p in powers]
    sd = [np.bincount(group, weights=(w * p)[is_event], minlength=m) for p in powers]
    rep = np.repeat(np.arange(m), d)
    r = np.arange(rep.size) - np.repeat(np.cumsum(d) - d, d)
    f = r / d[rep] if ties == "efron" else np.zeros(rep.size)
    a0, a1, a2, a3 = (s[k][rep] - f * sd[k][rep] for k in range(4))
    m1, m2, m3 = a1 / a0, a2 / a0, a3 / a0
    x_dead = float(xs[is_event].sum())
    ll = beta * x_dead - float(np.log(a0).sum())
    score = x_dead - float(m1.sum())
    info = float((m2 - m1 * m1).sum())
    dinfo = float((m3 - 3 * m1 * m2 + 2 * m1**3).sum())
    return ll, score, info, dinfo


def separation(time, event, x) -> int:
    """Monotone likelihood check for a 0/1 covariate: -1 (MLE at -inf), +1 (+inf) or 0.

    The partial likelihood is monotone in beta when at every event time all events have the
    smallest (-> -inf) or all the largest (-> +inf) covariate value in the risk set — e.g. every
    control mouse reaches the endpoint before any treated one, or an arm has no event
    (Heinze & Schemper 2001). Returns 0 when the MLE is finite.
    """
    t, e, xv = (np.asarray(a, dtype=float) for a in (time, event, x))
    all_min = all_max = True
    for u in np.unique(t[e == 1]):
        risk = t >= u
        dead = risk & (t == u) & (e == 1)
        lo, hi = xv[risk].min(), xv[risk].max()
        if lo == hi:
            continue  # uninformative event time
        all_min &= bool((xv[dead] == lo).all())
        all_max &= bool((xv[dead] == hi).all())
    informative = any(xv[t >= u].min() != xv[t >= u].max() for u in np.unique(t[e == 1]))
    if not informative:
        return 0
    return -1 if all_min else (1 if all_max else 0)


def cox_binary(time, event, x, alpha: float = 0.05, ties: str = "efron") -> dict[str, float]:
    """Cox PH for a single 0/1 covariate: HR, Wald CI, likelihood-ratio chi-square and p.

    Newton–Raphson on the (Efron by default) partial likelihood from beta = 0, as
    ``coxph(Surv(time, event) ~ x, ties = "efron")``: HR = exp(beta), CI = exp(beta -/+ z
    / sqrt(I(beta))), LR = 2 (l(beta) - l(0)) on 1 df (partial likelihood: :func:`_cox_terms`).
    Returns NaNs with ``separation`` != 0 when the MLE is infinite (see :func:`separation`).
    Iterates to |step| < 1e-12 |beta|, i.e. to the exact MLE: within R's own convergence
    tolerance (``coxph.control(eps = 1e-9)``) of ``coxph``'s numbers. Not lifelines'
    ``CoxPHFitter``, whose earlier stop moves the HR by up to 3.2e-4 relative and which costs
    11 x this function (module docstring, tests/test_survival_stats.py).
    """
    t, e, xv = (np.asarray(a, dtype=float) for a in (time, event, x))
    out = {
        "hr": float("nan"),
        "hr_ci_low": float("nan"),
        "hr_ci_high": float("nan"),
        "hr_lr_chisq": float("nan"),
        "hr_p": float("nan"),
        "beta": float("nan"),
        "se": float("nan"),
        "separation": float(separation(t, e, xv)),
    }
    if out["separation"] != 0 or e.sum() == 0:
        return out
    ll0, _, info0, _ = _cox_terms(0.0, t, e, xv, ties)
    if not info0 > 0:
        return out
    beta, ll = 0.0, ll0
    for _ in range(100):
        _, score, info, _ = _cox_terms(beta, t, e, xv, ties)
        step = score / info
        new = beta + step
        new_ll = _cox_terms(new, t, e, xv, ties)[0]
        halvings = 0
        while new_ll < ll - 1e-12 and halvings < 30:
            step /= 2
            new = beta + step
            new_ll = _cox_terms(new, t, e, xv, ties)[0]
            halvings += 1
        beta, converged = new, abs(step) < 1e-12 * max(1.0, abs(new))
        ll = new_ll
        if converged:
            break
    _, _, info, _ = _cox_terms(beta, t, e, xv, ties)
    z = norm_ppf(1 - alpha / 2)
    se = 1 / math.sqrt(info)
    lr = max(2 * (ll - ll0), 0.0)
    out.update(
        hr=math.exp(beta),
        hr_ci_low=math.exp(beta - z * se),
        hr_ci_high=math.exp(beta + z * se),
        hr_lr_chisq=lr,
        hr_p=float(chi2_sf(lr, 1)),
        beta=beta,
        se=se,
    )
    return out


def cox_firth(time, event, x, alpha: float = 0.05, ties: str = "breslow") -> dict[str, float]:
    """Firth-penalised Cox for one 0/1 covariate (finite under complete separation).

    Maximises l*(b) = l(b) + 1/2 log I(b) (Heinze & Schemper 2001, Breslow ties as in their
    paper). CI = profile penalised likelihood: {b : 2 (l*(b_hat) - l*(b)) <= chi2_1(1-alpha)};
    p = penalised LR test 2 (l*(b_hat) - l*(0)) on 1 df. Not checked against ``coxphf`` (not
    installed here); the penalised likelihood itself is checked against R ``coxph`` terms.
    """
    from scipy import optimize  # only here: importing it costs ~0.2 s per process

    t, e, xv = (np.asarray(a, dtype=float) for a in (time, event, x))
    nan = float("nan")
    out = {"hr_firth": nan, "hr_firth_ci_low": nan, "hr_firth_ci_high": nan, "hr_firth_p": nan}
    if e.sum() == 0 or xv.min() == xv.max():
        return out

    def pen(b: float) -> float:
        ll, _, info, _ = _cox_terms(b, t, e, xv, ties)
        return ll + 0.5 * math.log(info) if info > 0 else -math.inf

    def dpen(b: float) -> float:
        _, score, info, dinfo = _cox_terms(b, t, e, xv, ties)
        return score + 0.5 * dinfo / info

    lo, hi = -1.0, 1.0
    while dpen(lo) < 0 and lo > -60:
        lo *= 2
    while dpen(hi) > 0 and hi < 60:
        hi *= 2
    if not (dpen(lo) >= 0 >= dpen(hi)):
        return out
    b_hat = optimize.brentq(dpen, lo, hi, xtol=1e-12)
    top = pen(b_hat)
    crit = chi2_ppf(1 - alpha, 1) / 2

    def gap(b: float) -> float:
        return top - pen(b) - crit

    def bound(direction: int) -> float:
        step = 1.0
        while step < 200:
            edge = b_hat + direction * step
            if gap(edge) > 0:
                return optimize.brentq(gap, *sorted((b_hat, edge)), xtol=1e-10)
            step *= 2
        return direction * math.inf

    out.update(
        hr_firth=math.exp(b_hat),
        hr_firth_ci_low=math.exp(bound(-1)),
        hr_firth_ci_high=math.exp(bound(+1)),
        hr_firth_p=float(chi2_sf(max(2 * (top - pen(0.0)), 0.0), 1)),
    )
    return out


def median_ratio_ci(
    median_arm: float, median_ref: float, events_arm: float, events_ref: float, alpha: float = 0.05
) -> tuple[float, float, float]:
    """Ratio of medians (arm / reference) with Prism's CI (KB #718; Machin et al. pp. 67-68).

    Assuming exponential survival, ln R has SE sqrt(1/O_arm + 1/O_ref) with O = number of
    events: CI = exp(ln R -/+ z SE). NaN when a median is not reached or an arm has no event.
    """
    if not (median_arm > 0 and median_ref > 0 and events_arm > 0 and events_ref > 0):
        ratio = median_arm / median_ref if median_arm >= 0 and median_ref > 0 else float("nan")
        return ratio, float("nan"), float("nan")
    ratio = median_arm / median_ref
    half = norm_ppf(1 - alpha / 2) * math.sqrt(1 / events_arm + 1 / events_ref)
    return ratio, math.exp(math.log(ratio) - half), math.exp(math.log(ratio) + half)

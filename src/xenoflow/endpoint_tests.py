"""End-of-study comparisons of the arms at the reference day (what Prism and TumGrowth users run).

On the natural-log volume of the mice measured on the reference day:

* one-way ANOVA (:func:`one_way_anova`) and Dunnett's many-to-one comparisons with the control
  (:func:`dunnett`), the pair Prism's "one-way ANOVA, compare each column with the control" gives;
* Welch's ANOVA (:func:`welch_anova`), which does not assume equal variances;

and, rank-based, on the raw volumes of the same day (zeros included: a complete regression ranks
lowest; the ranks are those of ln V whenever no volume is zero):

* the Kruskal–Wallis test (:func:`kruskal_wallis`) and Dunn's z tests of each treated arm against
  the control with the tie correction, Holm-adjusted over those comparisons (:func:`dunn`).

Zero volumes on the log scale follow the study's ``log_zero_rule`` as in the growth stage
(:func:`xenoflow.growth.log_volumes`): ``detection_limit`` (the default) raises volumes below
the study's detection limit to it, so a cured arm stays in the ANOVA and Dunnett's tests (the
note says how many mice), ``drop`` leaves the mouse out of the log-scale tests (the note says
how many), ``floor`` raises volumes below ``log_floor_mm3`` to the floor.

:func:`tumour_free` counts the mice free of tumour at the end of the study: no measurable tumour
(:func:`no_tumour`) at the mouse's last measurement; :func:`tumour_free_by_day` counts them
among the mice measured on each day.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .growth import zero_rule
from .io import empty_frame
from .stats import chi2_sf, holm, norm_sf, t_sf
from .tables import columns

if TYPE_CHECKING:  # for the annotation only: the config layer is not needed at run time
    from .config import AnalysisSettings

COLUMNS = columns("endpoint_tests")
TUMOUR_FREE_COLUMNS = columns("tumour_free")
TUMOUR_FREE_BY_DAY_COLUMNS = columns("tumour_free_by_day")
#: Fewest mice measured on the reference day for an arm to enter the tests.
MIN_MICE = 2


def f_sf(x: float, df1: float, df2: float) -> float:
    """F-distribution survival function P(F > x) (= ``scipy.stats.f.sf``: ``special.fdtrc``)."""
    from scipy import special  # ~0.4 s to import: only in the jobs that test

    return float(special.fdtrc(df1, df2, x))


def one_way_anova(groups: Sequence[np.ndarray]) -> tuple[float, float, float, float]:
    """Classical one-way ANOVA F test (Fisher 1925): F, df1 = k − 1, df2 = N − k, p.

    F = [Σ n_i (ȳ_i − ȳ)² / (k − 1)] / [Σ Σ (y_ij − ȳ_i)² / (N − k)], p = P(F_{k−1,N−k} > F);
    as R's ``summary(aov(y ~ arm))`` and ``scipy.stats.f_oneway``. NaN F when the
    within-arm variance is 0.
    """
    k = len(groups)
    n = np.array([g.size for g in groups], dtype=float)
    means = np.array([g.mean() for g in groups])
    grand = np.concatenate(groups).mean()
    between = float(n @ (means - grand) ** 2)
    within = float(sum(((g - g.mean()) ** 2).sum() for g in groups))
    df1, df2 = k - 1.0, float(n.sum() - k)
    if within <= 0 or df2 <= 0:
        return math.nan, df1, df2, math.nan
    f = (between / df1) / (within / df2)
    return f, df1, df2, f_sf(f, df1, df2)


def welch_anova(groups: Sequence[np.ndarray]) -> tuple[float, float, float, float]:
    """Welch's (1951) heteroscedastic one-way ANOVA: F*, df1 = k − 1, df2 (Welch), p.

    With weights w_i = n_i / s_i², ŷ = Σ w_i ȳ_i / Σ w_i and
    Λ = Σ (1 − w_i/Σw)² / (n_i − 1):
    F* = [Σ w_i (ȳ_i − ŷ)² / (k − 1)] / [1 + 2 (k − 2) Λ / (k² − 1)],
    df2 = (k² − 1) / (3 Λ), p = P(F_{k−1,df2} > F*). As R's
    ``oneway.test(y ~ arm, var.equal = FALSE)``. NaN when an arm's variance is 0.
    Reference: Welch B. L. (1951) Biometrika 38:330–336.
    """
    k = len(groups)
    n = np.array([g.size for g in groups], dtype=float)
    means = np.array([g.mean() for g in groups])
    var = np.array([g.var(ddof=1) for g in groups])
    if np.any(var <= 0) or k < 2:
        return math.nan, k - 1.0, math.nan, math.nan
    w = n / var
    centre = float(w @ means / w.sum())
    lam = float(((1 - w / w.sum()) ** 2 / (n - 1)).sum())
    f = float(w @ (means - centre) ** 2) / (k - 1) / (1 + 2 * (k - 2) * lam / (k**2 - 1))
    df2 = (k**2 - 1) / (3 * lam)
    return f, k - 1.0, df2, f_sf(f, k - 1.0, df2)


def _ranks(values: np.ndarray) -> tuple[np.ndarray, float]:
    """Mid-ranks of ``values`` and the tie term Σ (t³ − t) over groups of tied values."""
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(values.size)
    ranks[order] = np.arange(1, values.size + 1, dtype=float)
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    # mid-rank of each tied group: mean of the ranks it spans
    sums = np.bincount(inverse, weights=ranks)
    ranks = (sums / counts)[inverse]
    return ranks, float((counts.astype(float) ** 3 - counts).sum())


def kruskal_wallis(groups: Sequence[np.ndarray]) -> tuple[float, float, float]:
    """Kruskal–Wallis (1952) rank test with the tie correction: H, df = k − 1, p.

    H = [12 / (N (N + 1)) Σ R_i² / n_i − 3 (N + 1)] / [1 − Σ (t³ − t) / (N³ − N)], R_i the
    rank sum of arm i (mid-ranks for ties), p = P(χ²_{k−1} > H); as R's ``kruskal.test`` and
    ``scipy.stats.kruskal``. NaN when all values are equal.
    Reference: Kruskal W. H., Wallis W. A. (1952) J Am Stat Assoc 47:583–621.
    """
    values = np.concatenate(groups)
    big_n = values.size
    ranks, ties = _ranks(values)
    bounds = np.cumsum([0] + [g.size for g in groups])
    h = 12 / (big_n * (big_n + 1)) * sum(
        ranks[lo:hi].sum() ** 2 / (hi - lo) for lo, hi in zip(bounds[:-1], bounds[1:])
    ) - 3 * (big_n + 1)
    correction = 1 - ties / (big_n**3 - big_n)
    df = len(groups) - 1.0
    if correction <= 0:
        return math.nan, df, math.nan
    h /= correction
    return float(h), df, float(chi2_sf(h, df))


def dunn(control: np.ndarray, treated: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Dunn's (1964) z test of each treated arm against the control: z and two-sided p.

    Ranks are taken over all arms tested (mid-ranks for ties);
    z_i = (R̄_i − R̄_c) / sqrt(σ² (1/n_i + 1/n_c)), σ² = N (N + 1)/12 − Σ (t³ − t) / (12 (N − 1))
    (the tie correction), p = 2 (1 − Φ(|z|)). Adjust with Holm over the comparisons
    (:func:`xenoflow.stats.holm`), as Prism's "Dunn's multiple comparisons" with the control
    and R ``dunn.test(..., method = "holm", altp = TRUE)``.
    References: Dunn O. J. (1964) Technometrics 6:241–252; Holm S. (1979) Scand J Stat 6:65–70.
    """
    groups = [control, *treated]
    values = np.concatenate(groups)
    big_n = values.size
    ranks, ties = _ranks(values)
    bounds = np.cumsum([0] + [g.size for g in groups])
    mean_rank = np.array([ranks[lo:hi].mean() for lo, hi in zip(bounds[:-1], bounds[1:])])
    sigma2 = big_n * (big_n + 1) / 12 - ties / (12 * (big_n - 1))
    n = np.array([g.size for g in groups], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (mean_rank[1:] - mean_rank[0]) / np.sqrt(sigma2 * (1 / n[1:] + 1 / n[0]))
    return z, 2 * norm_sf(np.abs(z))


def dunnett_pvalues(
    t: np.ndarray, n_control: int, n_treated: Sequence[int], df: float
) -> np.ndarray:
    """Two-sided single-step Dunnett p-values P(max_j |T_j| ≥ |t_i|) (Dunnett 1955).

    (T_1..T_m) is multivariate t with df degrees of freedom and correlations
    ρ_ij = λ_i λ_j, λ_i = sqrt(n_i / (n_i + n_c)), so (Dunnett 1955, eq. 2)
    P(max |T_j| < c) = ∫₀^∞ f_s(s) ∫ φ(z) Π_j [Φ((c s + λ_j z)/√(1 − λ_j²))
    − Φ((−c s + λ_j z)/√(1 − λ_j²))] dz ds, s = √(χ²_df/df).
    The inner integral by 96-node Gauss–Hermite quadrature, the outer by adaptive quadrature
    (``scipy.integrate.quad``, tolerance 1e-10): deterministic, and equal to R's
    ``summary(glht(aov, mcp(arm = "Dunnett")), test = adjusted("single-step"))`` to ~1e-12
    where mvtnorm integrates exactly (two comparisons) and within mvtnorm's stated error
    otherwise (Monte-Carlo, 1e-3 by default). ``scipy.stats.dunnett`` gives the same
    quantity by quasi-Monte-Carlo (~1e-4).
    Reference: Dunnett C. W. (1955) J Am Stat Assoc 50:1096–1121.
    """
    from scipy import integrate, special  # only here: importing it costs ~0.2 s per process

    lam = np.sqrt(np.asarray(n_treated, float) / (np.asarray(n_treated, float) + n_control))
    x, w = special.roots_hermitenorm(96)
    w = w / math.sqrt(2 * math.pi)
    shift = lam[:, None] * x
    scale = np.sqrt(1 - lam**2)[:, None]
    log_c = 0.5 * df * math.log(df / 2) - float(special.gammaln(df / 2)) + math.log(2)

    def integrand(s: float, c: float) -> float:
        if s <= 0:
            return 0.0
        inner = special.ndtr((c * s + shift) / scale) - special.ndtr((-c * s + shift) / scale)
        density = math.exp(log_c + (df - 1) * math.log(s) - df * s * s / 2)
        return density * float(np.prod(inner, axis=0) @ w)

    out = []
    for c in np.abs(np.asarray(t, dtype=float)):
        if not np.isfinite(c):
            out.append(math.nan)
            continue
        inside, _ = integrate.quad(
            integrand, 0, np.inf, args=(float(c),), epsabs=1e-12, epsrel=1e-10, limit=200
        )
        out.append(min(1.0, max(0.0, 1 - inside)))
    return np.array(out)


def dunnett(
    control: np.ndarray, treated: Sequence[np.ndarray]
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Dunnett's (1955) comparisons of each treated arm with the control after a one-way ANOVA.

    t_i = (ȳ_i − ȳ_c) / sqrt(s² (1/n_i + 1/n_c)), s² the pooled within-arm variance of all arms
    tested (df = N − k). Returns t, df, the unadjusted two-sided t-test p and the single-step
    Dunnett p (:func:`dunnett_pvalues`).
    """
    groups = [control, *treated]
    n = np.array([g.size for g in groups], dtype=float)
    df = float(n.sum() - len(groups))
    pooled = float(sum(((g - g.mean()) ** 2).sum() for g in groups)) / df if df > 0 else math.nan
    diff = np.array([g.mean() for g in treated]) - control.mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        t = diff / np.sqrt(pooled * (1 / n[1:] + 1 / n[0]))
    if not (pooled > 0):
        nan = np.full(len(treated), np.nan)
        return nan, df, nan, nan.copy()
    p = 2 * t_sf(np.abs(t), df)
    return t, df, p, dunnett_pvalues(t, int(n[0]), [g.size for g in treated], df)


def _day_values(
    measurements: pd.DataFrame, day: float, arms: Sequence[str], settings: AnalysisSettings
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], int, int, float]:
    """Per arm: the raw volumes and the log volumes (zero rule applied) on ``day``, one value
    per mouse (its mean if measured twice that day); how many mice the rule dropped, how many
    it raised to the floor, and the floor (:func:`xenoflow.growth.zero_rule`; the detection
    limit from all of ``measurements`` when the settings do not hold it)."""
    rule, floor = zero_rule(settings, measurements)
    data = measurements[(measurements["day"].astype(float) == day)]
    data = data[data["volume_mm3"].notna()]
    per_mouse = data.groupby(["arm", "mouse_id"], sort=False)["volume_mm3"].mean()
    raw: dict[str, np.ndarray] = {}
    logs: dict[str, np.ndarray] = {}
    dropped = floored = 0
    for arm in arms:
        v = per_mouse[per_mouse.index.get_level_values("arm") == arm].to_numpy(float)
        raw[arm] = v
        if rule == "drop":
            dropped += int((v <= 0).sum())
            logs[arm] = np.log(v[v > 0])
        else:
            floored += int((v < floor).sum())
            logs[arm] = np.log(np.maximum(v, floor))
    return raw, logs, dropped, floored, floor


def endpoint_tests(
    measurements: pd.DataFrame,
    arms: Sequence[str],
    control: str,
    reference_day: float,
    settings: AnalysisSettings,
    day_note: str = "",
) -> pd.DataFrame:
    """The ``endpoint_tests`` table: overall tests (arm empty) and per-arm comparisons with the
    control, on the reference day.

    Rows: ``anova``, ``dunnett`` (one per treated arm), ``welch_anova`` on ln V;
    ``kruskal_wallis``, ``dunn`` (one per treated arm) on the raw volumes. An arm with fewer
    than :data:`MIN_MICE` mice measured that day is left out of every test (its comparison
    rows carry a note). Header-only when the data hold one arm or not the control; with no
    reference day (``NaN``), the overall rows only, with ``day_note`` as the note.
    """
    present = [a for a in arms if a in set(measurements["arm"].astype(str))]
    if control not in present or len(present) < 2:
        return empty_frame(COLUMNS)
    treated = [a for a in present if a != control]
    if math.isnan(reference_day):
        note = day_note or "no reference day"
        return pd.DataFrame(
            [
                {"test": t, "arm": "", "reference_day": math.nan, "note": note}
                for t in ("anova", "welch_anova", "kruskal_wallis")
            ],
            columns=COLUMNS,
        )
    raw, logs, dropped, floored, floor = _day_values(measurements, reference_day, present, settings)
    day = f"day {reference_day:g}"
    few = {
        a: (
            f"fewer than {MIN_MICE} mice measured on {day} (n = {raw[a].size})"
            if raw[a].size < MIN_MICE
            else f"fewer than {MIN_MICE} mice with a volume above 0 on {day} "
            f"(n = {logs[a].size}; zero volumes dropped)"
        )
        + ": left out of the tests"
        for a in present
        if logs[a].size < MIN_MICE or raw[a].size < MIN_MICE
    }
    used = [a for a in present if a not in few]
    used_treated = [a for a in treated if a in used]
    notes = []
    if dropped:
        notes.append(
            f"{dropped} mouse(s) with volume 0 on {day} left out of the log-scale tests "
            "(zero volumes dropped); the rank tests keep them"
        )
    if floored:
        notes.append(
            f"{floored} mouse(s) below the detection limit on {day} enter the log-scale tests "
            f"at {floor:.3g} mm3"
        )
    if few:
        notes.append("left out (fewer than 2 mice measured): " + ", ".join(few))
    common = "; ".join(notes)
    rows: list[dict[str, Any]] = []

    def row(test: str, arm: str, n: int, **values: Any) -> None:
        rows.append(
            {"test": test, "arm": arm, "reference_day": reference_day, "n_mice": n} | values
        )

    log_groups = [logs[a] for a in used]
    raw_groups = [raw[a] for a in used]
    enough = len(used) >= 2
    no_control = f"control '{control}' has {few[control]}" if control in few else ""

    def skipped(arm: str) -> str:
        return few.get(arm) or no_control

    def f_test(test: str, fit: Any, degenerate: str) -> None:
        """The row of an F test across the arms (one-way or Welch's ANOVA) on log volume."""
        if not enough:
            row(test, "", 0, note=common or "fewer than 2 arms with 2 or more mice")
            return
        f, df1, df2, p = fit(log_groups)
        note = common or ("" if np.isfinite(f) else degenerate)
        n = sum(g.size for g in log_groups)
        row(test, "", n, statistic=f, df1=df1, df2=df2, p_value=p, note=note)

    # one-way ANOVA + Dunnett
    f_test("anova", one_way_anova, "no variation within arms")
    dunnett_result: dict[str, tuple[float, float, float, float]] = {}
    if control in used and used_treated:
        ts, dfs, ps, adjs = dunnett(logs[control], [logs[a] for a in used_treated])
        dunnett_result = {
            a: (float(ts[i]), dfs, float(ps[i]), float(adjs[i])) for i, a in enumerate(used_treated)
        }
    for arm in treated:
        if arm in dunnett_result:
            t_i, df, p_i, adj_i = dunnett_result[arm]
            row(
                "dunnett", arm, logs[arm].size, statistic=t_i, df2=df, p_value=p_i, p_adjusted=adj_i
            )
        else:
            row("dunnett", arm, logs[arm].size, note=skipped(arm))
    # Welch's ANOVA
    f_test("welch_anova", welch_anova, "an arm without variation")
    # Kruskal-Wallis + Dunn (Holm)
    if enough:
        h, df, p = kruskal_wallis(raw_groups)
        row(
            "kruskal_wallis",
            "",
            sum(g.size for g in raw_groups),
            statistic=h,
            df1=df,
            p_value=p,
            note=common,
        )
    else:
        row("kruskal_wallis", "", 0, note=common or "fewer than 2 arms with 2 or more mice")
    dunn_result: dict[str, tuple[float, float, float]] = {}
    if control in used and used_treated:
        zs, ps = dunn(raw[control], [raw[a] for a in used_treated])
        adjs = holm(ps.tolist())
        dunn_result = {
            a: (float(zs[i]), float(ps[i]), float(adjs[i])) for i, a in enumerate(used_treated)
        }
    for arm in treated:
        if arm in dunn_result:
            z_i, p_i, adj_i = dunn_result[arm]
            row("dunn", arm, raw[arm].size, statistic=z_i, p_value=p_i, p_adjusted=adj_i)
        else:
            row("dunn", arm, raw[arm].size, note=skipped(arm))
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["note"] = out["note"].fillna("")
    return out


def no_tumour(volumes: np.ndarray, limit: float | None = None) -> np.ndarray:
    """Which volumes show no measurable tumour: 0 mm³ (a complete regression), or below
    ``limit``, the detection limit a study file sets (``detection_limit_mm3``; None: only 0).
    The default limit of the log-scale analyses (half the smallest positive volume) is a
    floor for the logarithm, not a measured limit, so it does not make a tumour absent."""
    v = np.asarray(volumes, dtype=float)
    return (v <= 0) | (v < limit) if limit is not None else v <= 0


def tumour_free(
    measurements: pd.DataFrame, arms: Sequence[str], limit: float | None = None
) -> pd.DataFrame:
    """Mice free of tumour at the end of the study, per arm: no measurable tumour
    (:func:`no_tumour`) at the mouse's last measurement (its last day with a volume).
    ``tumour_free_pct`` = 100 · n_tumour_free / n_mice, n_mice the arm's mice with a volume."""
    data = measurements[measurements["volume_mm3"].notna()]
    last = (
        data.sort_values("day", kind="mergesort").groupby(["arm", "mouse_id"], sort=False).tail(1)
    )
    # counted on arrays: a panel runs this for each of its models' ~20 arms
    arm_of = last["arm"].astype(str).to_numpy()
    n_mice = Counter(arm_of.tolist())
    n_free = Counter(arm_of[no_tumour(last["volume_mm3"].to_numpy(float), limit)].tolist())
    rows = [
        {
            "arm": arm,
            "n_mice": n_mice[arm],
            "n_tumour_free": n_free[arm],
            "tumour_free_pct": 100.0 * n_free[arm] / n_mice[arm],
        }
        for arm in arms
        if n_mice[arm]
    ]
    return (
        pd.DataFrame(rows, columns=TUMOUR_FREE_COLUMNS)
        if rows
        else empty_frame(TUMOUR_FREE_COLUMNS)
    )


def tumour_free_by_day(
    measurements: pd.DataFrame, arms: Sequence[str], limit: float | None = None
) -> pd.DataFrame:
    """Per arm and day: the mice measured (one per mouse: a mouse measured twice on a day
    counts once, by its larger volume), those with no measurable tumour (:func:`no_tumour`),
    and their share ``tumour_free_pct`` = 100 · n_tumour_free / n_mice. ``measurements``: the
    on-study measurements with ``day`` the visit day (:func:`xenoflow.visits.redate`)."""
    data = measurements[measurements["volume_mm3"].notna() & measurements["arm"].isin(arms)]
    if data.empty:
        return empty_frame(TUMOUR_FREE_BY_DAY_COLUMNS)
    largest = data.groupby(["arm", "day", "mouse_id"], sort=False)["volume_mm3"].max()
    free = pd.Series(no_tumour(largest.to_numpy(float), limit), index=largest.index)
    per_day = free.groupby(level=["arm", "day"], sort=False).agg(["size", "sum"]).reset_index()
    order = {a: i for i, a in enumerate(arms)}
    per_day = per_day.sort_values(
        ["arm", "day"], key=lambda c: c.map(order) if c.name == "arm" else c, kind="stable"
    )
    return pd.DataFrame(
        {
            "arm": per_day["arm"].astype(str).to_numpy(),
            "day": per_day["day"].to_numpy(float),
            "n_mice": per_day["size"].to_numpy(int),
            "n_tumour_free": per_day["sum"].to_numpy(int),
            "tumour_free_pct": 100.0
            * per_day["sum"].to_numpy(float)
            / per_day["size"].to_numpy(float),
        },
        columns=TUMOUR_FREE_BY_DAY_COLUMNS,
    ).reset_index(drop=True)

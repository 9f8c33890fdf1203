"""Per-day comparisons with the control from a mixed-effects model, as Prism's mixed-effects
analysis of a grouped table reports them.

Model (REML; Laird & Ware 1982), in lme4 notation ``lmer(log(volume_mm3) ~ arm * factor(day) +
(1 | mouse), REML = TRUE)``::

    ln V_ij = μ_{a(i), d(j)} + b_i + e_ij,   b_i ~ N(0, τ²),  e_ij ~ N(0, σ²),

one mean per (arm, day) cell with data: the cell-means form of ``arm * factor(day)`` (the same
column space; a cell without a mouse is not estimable, as in ``emmeans``). τ and σ by profiled
REML over θ = τ/σ (:class:`xenoflow.mixed.ProfiledREML`, structure ``(1 | mouse)``), then
μ̂ = (X'V⁻¹X)⁻¹X'V⁻¹y and Cov(μ̂) = (X'V⁻¹X)⁻¹ by generalised least squares
(:func:`xenoflow.mixed.gls`), as ``lme4::vcov``.

On each day, for each treated arm a with mice that day: the contrast D_a = μ_{a,d} − μ_{c,d}
(treated − control on ln volume), SE from Cov(μ̂), z = D_a / SE with asymptotic (normal) degrees
of freedom (``emmeans`` with ``lmer.df = "asymptotic"``; no Satterthwaite or Kenward–Roger df),
and the ratio of geometric-mean volumes T/C = exp(D_a). Multiplicity over the treated arms of
the day: Dunnett's single-step adjustment (Dunnett 1955; Hothorn, Bretz & Westfall 2008),
P(max_j |Z_j| ≥ |z_a|) for (Z_j) multivariate normal with the contrasts' correlation. Mice belong
to one arm, so the cell means of different arms are uncorrelated and
corr(D_i, D_j) = λ_i λ_j with λ_i = sqrt(Var μ̂_c / Var D_i); the probability is then a
one-dimensional integral (Dunnett 1955, eq. 2 with s = 1):
P(max |Z_j| < c) = ∫ φ(x) Π_j [Φ((c + λ_j x)/√(1 − λ_j²)) − Φ((−c + λ_j x)/√(1 − λ_j²))] dx.
The intervals are simultaneous 95% intervals over the day's treated arms: D_a ± c_α·SE with
P(max |Z_j| < c_α) = 1 − α (``confint`` of ``emmeans`` with ``adjust = "mvt"``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .mixed import ProfiledREML, gls
from .stats import norm_ppf, norm_sf
from .tables import columns

if TYPE_CHECKING:  # for the annotation only: the config layer is not needed at run time
    from .config import AnalysisSettings

COLUMNS = columns("per_day_comparisons")
METHOD = "z (LMM, REML, asymptotic df), Dunnett-adjusted over the treated arms of the day"


#: Gauss–Legendre nodes and weights on [−12, 12] for the integral over x (the normal density
#: beyond is < 1e-31); the integrand is smooth, so 400 nodes give it to ~1e-13
_NODES, _WEIGHTS = (np.polynomial.legendre.leggauss(400)[0] * 12.0,
                    np.polynomial.legendre.leggauss(400)[1] * 12.0)  # fmt: skip


def _inside(c: Any, lam: np.ndarray) -> np.ndarray:
    """P(max_j |Z_j| < c) for standard normal Z_j with corr(Z_i, Z_j) = λ_i λ_j (module
    docstring), for each c."""
    from scipy import special

    c = np.atleast_1d(np.asarray(c, dtype=float))[:, None, None]
    lam = lam[None, :, None]
    scale = np.sqrt(1.0 - lam**2)
    x = _NODES[None, None, :]
    cdf = special.ndtr((c + lam * x) / scale) - special.ndtr((-c + lam * x) / scale)
    phi = np.exp(-0.5 * _NODES**2) / math.sqrt(2.0 * math.pi)
    return np.asarray(np.prod(cdf, axis=1) @ (phi * _WEIGHTS))


def dunnett_normal(z: Sequence[float], lam: Sequence[float], alpha: float) -> tuple[Any, float]:
    """Single-step Dunnett p-values of ``z`` (asymptotic: multivariate normal) and the
    two-sided critical value c_α, for contrasts with correlation λ_i λ_j."""
    from scipy import optimize

    lam_a = np.asarray(lam, dtype=float)
    if lam_a.size == 1:  # one comparison: the z test itself
        return 2.0 * norm_sf(np.abs(np.asarray(z, dtype=float))), float(norm_ppf(1 - alpha / 2))
    p = np.clip(1.0 - _inside(np.abs(np.asarray(z, dtype=float)), lam_a), 0.0, 1.0)
    crit = float(
        optimize.brentq(lambda c: _inside(c, lam_a)[0] - (1.0 - alpha), 0.5, 10.0, xtol=1e-12)
    )
    return p, crit


def _fit(logd: pd.DataFrame, cells: list[tuple[str, float]]) -> tuple[np.ndarray, np.ndarray]:
    """μ̂ and Cov(μ̂) of the cell-means random-intercept model (module docstring)."""
    index = {cell: i for i, cell in enumerate(cells)}
    col = np.array(
        [index[(a, d)] for a, d in zip(logd["arm"].tolist(), logd["day"].tolist())], dtype=int
    )
    X = np.zeros((len(logd), len(cells)))
    X[np.arange(len(logd)), col] = 1.0
    Z = np.ones((len(logd), 1))
    y = logd["log_volume"].to_numpy(dtype=float)
    groups = logd["mouse"].to_numpy()
    pr = ProfiledREML(X, Z, y, groups, "intercept")
    theta, _, _ = pr.minimise([np.array([0.5]), np.array([2.0])])
    _, _, _, sigma2 = pr.solve(theta)
    cov = sigma2 * float(theta[0]) ** 2 * np.eye(1)
    beta, vcov, _ = gls(X, Z, y, groups, cov, sigma2)
    return beta, vcov


def per_day_comparisons(
    logd: pd.DataFrame, arms: Sequence[str], control: str, settings: AnalysisSettings
) -> pd.DataFrame:
    """One row per treated arm and day with mice of the arm and of the control: the mixed
    model's treated − control contrast on ln volume (module docstring). ``logd``: the log
    volumes of the on-study measurements (:func:`xenoflow.growth.log_volumes`: ``arm, day,
    log_volume, mouse``, rows grouped by mouse). Header only when there is no control, no
    treated arm, or the model is not identifiable (no more measurements than mice, or than
    arm-day cells: one mouse per arm leaves no residual degrees of freedom)."""
    alpha = float(settings.get("alpha", 0.05))
    logd = logd[logd["arm"].isin(arms)]
    n_mice = int(logd["mouse"].nunique())
    if control not in set(logd["arm"]) or logd["arm"].nunique() < 2 or len(logd) <= n_mice:
        return pd.DataFrame(columns=COLUMNS)
    logd = logd.assign(day=logd["day"].astype(float))
    order = {a: i for i, a in enumerate(arms)}
    cells = sorted(
        set(zip(logd["arm"].tolist(), logd["day"].tolist())),
        key=lambda c: (order[c[0]], c[1]),
    )
    if len(logd) <= len(cells) + 1:  # no residual df beyond the cell means and the mouse variance
        return pd.DataFrame(columns=COLUMNS)
    beta, vcov = _fit(logd, cells)
    index = {cell: i for i, cell in enumerate(cells)}
    counts = logd.groupby(["arm", "day"])["mouse"].nunique().to_dict()
    rows = []
    for day in sorted({d for _, d in cells}):
        c = index.get((control, day))
        if c is None:
            continue
        treated = [a for a in arms if a != control and (a, day) in index]
        if not treated:
            continue
        est = np.array([beta[index[(a, day)]] - beta[c] for a in treated])
        var = np.array([vcov[index[(a, day)], index[(a, day)]] + vcov[c, c] for a in treated])
        se = np.sqrt(var)
        z = est / se
        p_adj, crit = dunnett_normal(z, np.sqrt(vcov[c, c] / var), alpha)
        for i, arm in enumerate(treated):
            low, high = est[i] - crit * se[i], est[i] + crit * se[i]
            rows.append(
                {
                    "arm": arm,
                    "reference": control,
                    "day": day,
                    "n_mice": counts[(arm, day)],
                    "n_mice_reference": counts[(control, day)],
                    "estimate": est[i],
                    "se": se[i],
                    "df": math.inf,
                    "statistic": z[i],
                    "p_value": 2.0 * float(norm_sf(abs(z[i]))),
                    "p_adjusted": p_adj[i],
                    "ci_low": low,
                    "ci_high": high,
                    "ratio": math.exp(est[i]),
                    "ratio_ci_low": math.exp(low),
                    "ratio_ci_high": math.exp(high),
                    "p_method": METHOD if len(treated) > 1 else "z (LMM, REML, asymptotic df)",
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)

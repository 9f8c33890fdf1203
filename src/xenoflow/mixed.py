"""Linear mixed model of log volume: compare growth rates of arms.

Model (Laird & Ware 1982; TumGrowth, Enot et al. 2018; Hather et al. 2014 for the rate view)::

    ln V_ij = β0 + β_a[i] + (β_day + γ_a[i])·day_ij + b0_i + b1_i·day_ij + e_ij

with arm a[i] of mouse i (treatment coding, control = reference), random effects
(b0_i, b1_i) ~ N(0, Ψ) and e_ij ~ N(0, σ²), fitted by REML — in lme4 notation
``lmer(log(volume_mm3) ~ day * arm + (day | mouse), REML = TRUE)``.

statsmodels ``MixedLM`` is the fitting engine. Its optimisers fail on some real studies, so every
random-effects structure is fitted with several optimisers (``OPTIMISERS``), on raw days and on
days counted from the first measurement (the same model for the correlated structure: only the
parametrisation of Ψ changes), and the fit with the largest REML log-likelihood is kept. Fixed
effects and their covariance are then recomputed by generalised least squares at the kept
(Ψ, σ²) — ``vcov = (Σ_i X_i' V_i⁻¹ X_i)⁻¹`` with ``V_i = Z_i Ψ Z_i' + σ² I`` — which is what
``lme4::vcov`` reports.

Structures (as TumGrowth's candidates): ``correlated`` (1 + day | mouse), ``uncorrelated``
(1 | mouse) + (0 + day | mouse), ``intercept`` (1 | mouse). The correlated model is the primary
analysis; when it is singular (lme4's rule: a diagonal element of the relative Cholesky factor of
Ψ/σ² is ~0, i.e. a variance at zero or a correlation at ±1) or does not converge, the next
simpler structure is used and the table says so.

The fixed and random design is a parameter (``design_fn``, default :func:`design`, the linear
basis above); :mod:`xenoflow.piecewise` passes the two-phase basis (TumGrowth's piecewise model)
with its structures ``pw_correlated`` (1 + tp1 | mouse) + (0 + tp2 | mouse) and
``pw_uncorrelated`` (1 | mouse) + (0 + tp1 | mouse) + (0 + tp2 | mouse) (:data:`SPECS`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .stats import holm, norm_ppf, norm_sf, t_sf
from .tables import columns

OPTIMISERS = ("bfgs", "lbfgs", "powell", "profiled")
STRUCTURES = ("correlated", "uncorrelated", "intercept")


@dataclass(frozen=True)
class Structure:
    """A random-effects structure: Ψ is block diagonal with blocks of these sizes over the
    columns of Z (block of 2: correlated intercept and first time column; 1: one variance)."""

    label: str
    blocks: tuple[int, ...]

    @property
    def k(self) -> int:
        """Random effects per mouse (columns of Z used)."""
        return sum(self.blocks)

    @property
    def n_theta(self) -> int:
        return sum(b * (b + 1) // 2 for b in self.blocks)

    @property
    def shiftable(self) -> bool:
        """Counting the first time column from another origin is the same model (the intercept
        and that column share a block, or there is only the intercept)."""
        return self.blocks[0] == 2 or self.k == 1

    def mask(self) -> np.ndarray:
        """1 where Ψ has a free element, 0 where the structure fixes it at 0."""
        m = np.zeros((self.k, self.k))
        i = 0
        for b in self.blocks:
            m[i : i + b, i : i + b] = 1.0
            i += b
        return m


SPECS = {
    "correlated": Structure("(1 + day | mouse)", (2,)),
    "uncorrelated": Structure("(1 | mouse) + (0 + day | mouse)", (1, 1)),
    "intercept": Structure("(1 | mouse)", (1,)),
    "pw_correlated": Structure("(1 + tp1 | mouse) + (0 + tp2 | mouse)", (2, 1)),
    "pw_uncorrelated": Structure("(1 | mouse) + (0 + tp1 | mouse) + (0 + tp2 | mouse)", (1, 1, 1)),
}
STRUCTURE_LABELS = {name: spec.label for name, spec in SPECS.items()}
#: A design: (rows of ln volume, arms, control, shift) -> X, its column names, Z, y, groups.
DesignFn = Callable[
    [pd.DataFrame, Sequence[str], str, float],
    tuple[np.ndarray, list[str], np.ndarray, np.ndarray, np.ndarray],
]
#: lme4's isSingular tolerance on the diagonal of the relative Cholesky factor θ.
SINGULAR_TOL = 1e-4
WALD_LABEL = "Wald z (LMM, REML)"
SATTERTHWAITE_LABEL = "t with Satterthwaite df (LMM, REML)"
CONTRAST_COLUMNS = columns("growth_contrasts")


@dataclass
class MixedFit:
    """One fitted random-effects structure (numbers on the raw-day scale)."""

    structure: str
    llf: float
    optimiser: str
    converged: bool
    beta: np.ndarray
    names: list[str]
    vcov: np.ndarray
    cov_re: np.ndarray
    scale: float
    n_obs: int
    n_mice: int
    singular: bool = False
    tried: list[str] = field(default_factory=list)
    theta: np.ndarray | None = None
    profile: ProfiledREML | None = field(default=None, repr=False)
    _vp_cov: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_cov_params(self) -> int:
        return SPECS[self.structure].n_theta + 1

    @property
    def aic(self) -> float:
        """REML AIC = −2·ℓ_REML + 2·(fixed + covariance parameters) (lme4 ``AIC`` on a REML fit)."""
        return -2.0 * self.llf + 2.0 * (len(self.beta) + self.n_cov_params)

    @property
    def random_sd(self) -> tuple[float, float, float]:
        """(SD intercept, SD slope, correlation) of the random effects (NaN when absent)."""
        c = self.cov_re
        sd0 = math.sqrt(max(c[0, 0], 0.0))
        if c.shape[0] == 1:
            return sd0, float("nan"), float("nan")
        sd1 = math.sqrt(max(c[1, 1], 0.0))
        rho = c[0, 1] / (sd0 * sd1) if sd0 > 0 and sd1 > 0 else float("nan")
        return sd0, sd1, float(rho)


def design(
    logd: pd.DataFrame, arms: Sequence[str], control: str, shift: float = 0.0
) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Fixed-effects matrix X (treatment coding), its column names, Z, y and group labels.

    Columns: ``(Intercept)``, ``arm<A>`` for each treated arm, ``day``, ``day:arm<A>``; ``day``
    is ``day − shift``. Z = [1, day − shift]. Rows must be grouped by mouse.
    """
    treated = [a for a in arms if a != control]
    day = logd["day"].to_numpy(dtype=float) - shift
    arm = logd["arm"].to_numpy()
    cols = [np.ones_like(day)] + [(arm == a).astype(float) for a in treated]
    cols += [day] + [day * (arm == a) for a in treated]
    names = (
        ["(Intercept)"] + [f"arm{a}" for a in treated] + ["day"] + [f"day:arm{a}" for a in treated]
    )
    X = np.column_stack(cols)
    Z = np.column_stack([np.ones_like(day), day])
    return X, names, Z, logd["log_volume"].to_numpy(dtype=float), logd["mouse"].to_numpy()


def _blocks(groups: np.ndarray) -> list[slice]:
    # rows of one mouse are contiguous (log_volumes sorts them so)
    change = np.flatnonzero(groups[1:] != groups[:-1]) + 1
    bounds = np.concatenate([[0], change, [groups.size]])
    return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def gls(
    X: np.ndarray,
    Z: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    cov_re: np.ndarray,
    scale: float,
) -> tuple[np.ndarray, np.ndarray, float]:
    """GLS fixed effects, their covariance and the REML log-likelihood at (Ψ, σ²).

    β̂ = (X'V⁻¹X)⁻¹ X'V⁻¹y, Cov(β̂) = (X'V⁻¹X)⁻¹, V = blockdiag(Z_i Ψ Z_i' + σ² I), and
    ℓ_REML = −½[(n − p)·ln 2π + ln|V| + ln|X'V⁻¹X| + r'V⁻¹r], r = y − Xβ̂
    (Harville 1977; the constant convention of lme4 and statsmodels).
    """
    k = cov_re.shape[0]
    Zk = Z[:, :k]
    p = X.shape[1]
    xtvx = np.zeros((p, p))
    xtvy = np.zeros(p)
    logdet = 0.0
    parts = []
    for sl in _blocks(groups):
        Zi = Zk[sl]
        Vi = Zi @ cov_re @ Zi.T + scale * np.eye(Zi.shape[0])
        c = np.linalg.cholesky(Vi)
        logdet += 2.0 * np.sum(np.log(np.diag(c)))
        Xi = np.linalg.solve(c, X[sl])
        yi = np.linalg.solve(c, y[sl])
        xtvx += Xi.T @ Xi
        xtvy += Xi.T @ yi
        parts.append((Xi, yi))
    vcov = np.linalg.inv(xtvx)
    beta = vcov @ xtvy
    quad = sum(float(np.sum((yi - Xi @ beta) ** 2)) for Xi, yi in parts)
    n = y.size
    sign, logdet_x = np.linalg.slogdet(xtvx)
    llf = -0.5 * ((n - p) * math.log(2 * math.pi) + logdet + logdet_x + quad)
    return beta, vcov, llf


class ProfiledREML:
    """REML deviance profiled over β and σ², as a function of θ (lme4's parametrisation).

    Ψ/σ² = ΛΛ' with Λ lower triangular and block diagonal (:class:`Structure`): correlated
    θ = (Λ11, Λ21, Λ22), uncorrelated θ = (Λ11, Λ22), intercept θ = (Λ11), pw_correlated
    θ = (Λ11, Λ21, Λ22, Λ33), pw_uncorrelated θ = (Λ11, Λ22, Λ33); diagonal elements ≥ 0
    (Bates et al. 2015, J Stat Softw 67(1), §3). With Ṽ_i = I + Z_iΛΛ'Z_i' (matrix determinant lemma and Woodbury identity per
    mouse, using only the per-mouse cross-products)::

        −2ℓ_REML(θ) = (n − p)·(1 + ln 2π + ln σ̂²) + ln|Ṽ| + ln|X'Ṽ⁻¹X|,
        σ̂² = r'Ṽ⁻¹r / (n − p),  r = y − Xβ̂(θ).
    """

    def __init__(
        self, X: np.ndarray, Z: np.ndarray, y: np.ndarray, groups: np.ndarray, structure: str
    ) -> None:
        self.structure = structure
        self.spec = SPECS[structure]
        self.k = self.spec.k
        Zk = Z[:, : self.k]
        blocks = _blocks(groups)
        self.n, self.p = X.shape
        self.ZZ = np.stack([Zk[b].T @ Zk[b] for b in blocks])
        self.ZX = np.stack([Zk[b].T @ X[b] for b in blocks])
        self.Zy = np.stack([Zk[b].T @ y[b] for b in blocks])
        self.XX = X.T @ X
        self.Xy = X.T @ y
        self.yy = float(y @ y)

    def lam(self, theta: np.ndarray) -> np.ndarray:
        """Λ from θ: per block, its lower triangle column by column (lme4's order)."""
        L = np.zeros((self.k, self.k))
        i = j = 0
        for b in self.spec.blocks:
            if b == 1:
                L[i, i] = theta[j]
            else:
                L[i, i], L[i + 1, i], L[i + 1, i + 1] = theta[j], theta[j + 1], theta[j + 2]
            i, j = i + b, j + b * (b + 1) // 2
        return L

    def bounds(self) -> list[tuple[float | None, float | None]]:
        out: list[tuple[float | None, float | None]] = []
        for b in self.spec.blocks:
            out += [(0, None)] if b == 1 else [(0, None), (None, None), (0, None)]
        return out

    def parts(self, theta: np.ndarray) -> tuple[float, float, float, np.ndarray, np.ndarray]:
        """(ln|Ṽ|, ln|X'Ṽ⁻¹X|, r'Ṽ⁻¹r, β̂, (X'Ṽ⁻¹X)⁻¹) at θ."""
        L = self.lam(np.asarray(theta, dtype=float))
        LtZZL = np.einsum("ji,gjk,kl->gil", L, self.ZZ, L)
        M = LtZZL + np.eye(self.k)
        cM = np.linalg.cholesky(M)
        logdet_v = 2.0 * float(np.sum(np.log(np.einsum("gii->gi", cM))))
        LZX = np.einsum("ji,gjk->gik", L, self.ZX)  # L'Z'X per mouse
        LZy = np.einsum("ji,gj->gi", L, self.Zy)
        A = np.linalg.solve(cM, LZX)  # cM⁻¹ L'Z'X
        b = np.linalg.solve(cM, LZy[..., None])[..., 0]
        xvx = self.XX - np.einsum("gki,gkj->ij", A, A)
        xvy = self.Xy - np.einsum("gki,gk->i", A, b)
        yvy = self.yy - float(np.sum(b * b))
        cx = np.linalg.cholesky(xvx)
        beta = np.linalg.solve(xvx, xvy)
        rss = max(yvy - float(xvy @ beta), 1e-300)
        logdet_x = 2.0 * float(np.sum(np.log(np.diag(cx))))
        return logdet_v, logdet_x, rss, beta, np.linalg.inv(xvx)

    def solve(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, float]:
        """Return (profiled deviance, β̂, (X'Ṽ⁻¹X)⁻¹, σ̂²) at θ."""
        logdet_v, logdet_x, rss, beta, xvx_inv = self.parts(theta)
        df = self.n - self.p
        sigma2 = rss / df
        dev = df * (1.0 + math.log(2 * math.pi) + math.log(sigma2)) + logdet_v + logdet_x
        return dev, beta, xvx_inv, sigma2

    def full_deviance(self, varpar: np.ndarray) -> float:
        """−2ℓ_REML at (θ, σ) without profiling σ (lmerTest's ``devfun_vp``):
        (n − p)·ln(2πσ²) + ln|Ṽ| + ln|X'Ṽ⁻¹X| + r'Ṽ⁻¹r/σ²."""
        theta, sigma = varpar[:-1], varpar[-1]
        logdet_v, logdet_x, rss, _, _ = self.parts(theta)
        return (
            (self.n - self.p) * math.log(2 * math.pi * sigma**2)
            + logdet_v
            + logdet_x
            + rss / sigma**2
        )

    def vcov_beta(self, varpar: np.ndarray) -> np.ndarray:
        """Cov(β̂) = σ²·(X'Ṽ⁻¹X)⁻¹ at (θ, σ)."""
        return varpar[-1] ** 2 * self.parts(varpar[:-1])[4]

    def deviance(self, theta: np.ndarray) -> float:
        try:
            return self.solve(theta)[0]
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            return float("inf")

    def ml_deviance(self, theta: np.ndarray) -> float:
        """−2ℓ_ML at θ, profiled over β and σ² (Bates et al. 2015, eq. 34):
        n·(1 + ln 2π + ln σ̂²) + ln|Ṽ|, σ̂² = r'Ṽ⁻¹r / n."""
        try:
            logdet_v, _, rss, _, _ = self.parts(theta)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            return float("inf")
        return self.n * (1.0 + math.log(2 * math.pi) + math.log(rss / self.n)) + logdet_v

    def ml_deviance_lean(self, theta: np.ndarray) -> float:
        """:meth:`ml_deviance` without what only REML needs (ln|X'Ṽ⁻¹X|, (X'Ṽ⁻¹X)⁻¹), the
        per-mouse 2 × 2 (or 1 × 1) Cholesky factors written out and vectorised over mice
        instead of batched LAPACK calls: the same value to rounding (10⁻¹² relative), about
        twice as fast (the dose-driven models' profile likelihoods call it ~10⁴ times per study).
        Structures with more than two random effects use :meth:`ml_deviance`."""
        if self.k > 2:
            return self.ml_deviance(theta)
        # callers run the optimiser under np.errstate(all="ignore") (a NaN is caught below)
        L = self.lam(np.asarray(theta, dtype=float))
        ZZ, ZX, Zy = self.ZZ, self.ZX, self.Zy
        if self.k == 1:
            m = 1.0 + L[0, 0] ** 2 * ZZ[:, 0, 0]
            c = np.sqrt(m)
            logdet_v = 2.0 * float(np.sum(np.log(c)))
            A = (L[0, 0] * ZX[:, 0, :]) / c[:, None]
            b = (L[0, 0] * Zy[:, 0]) / c
            xvx = self.XX - A.T @ A
            xvy = self.Xy - A.T @ b
            yvy = self.yy - float(b @ b)
        else:
            l11, l21, l22 = L[0, 0], L[1, 0], L[1, 1]
            # L'Z'X and L'Z'y per mouse (L lower triangular: L' upper)
            u0x = l11 * ZX[:, 0, :] + l21 * ZX[:, 1, :]
            u1x = l22 * ZX[:, 1, :]
            u0y = l11 * Zy[:, 0] + l21 * Zy[:, 1]
            u1y = l22 * Zy[:, 1]
            # M = I + L'Z'ZL per mouse, its Cholesky factor [[c11, 0], [c21, c22]]
            z00, z01, z11 = ZZ[:, 0, 0], ZZ[:, 0, 1], ZZ[:, 1, 1]
            a0 = l11 * z00 + l21 * z01  # (Z'Z L)[0, 0]
            a1 = l11 * z01 + l21 * z11  # (Z'Z L)[1, 0]
            m00 = 1.0 + l11 * a0 + l21 * a1
            m10 = l22 * a1
            m11 = 1.0 + l22 * l22 * z11
            c11 = np.sqrt(m00)
            c21 = m10 / c11
            c22 = np.sqrt(m11 - c21 * c21)
            logdet_v = 2.0 * float(np.sum(np.log(c11) + np.log(c22)))
            A0 = u0x / c11[:, None]
            A1 = (u1x - c21[:, None] * A0) / c22[:, None]
            b0 = u0y / c11
            b1 = (u1y - c21 * b0) / c22
            xvx = self.XX - A0.T @ A0 - A1.T @ A1
            xvy = self.Xy - A0.T @ b0 - A1.T @ b1
            yvy = self.yy - float(b0 @ b0 + b1 @ b1)
        if not (np.isfinite(logdet_v) and np.all(np.isfinite(xvx))):
            return float("inf")
        try:  # as :meth:`parts`: X'Ṽ⁻¹X positive definite or no fit
            w = np.linalg.solve(np.linalg.cholesky(xvx), xvy)
        except np.linalg.LinAlgError:
            return float("inf")
        rss = max(yvy - float(w @ w), 1e-300)  # r'Ṽ⁻¹r = y'Ṽ⁻¹y − xvy'(X'Ṽ⁻¹X)⁻¹xvy
        dev = self.n * (1.0 + math.log(2 * math.pi) + math.log(rss / self.n)) + logdet_v
        return dev if math.isfinite(dev) else float("inf")

    def ml_deviance_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """(:meth:`ml_deviance_lean`, its gradient in θ) for up to two random effects
        (:meth:`ml_deviance` with a forward-difference gradient otherwise), for L-BFGS-B with
        ``jac=True``: one evaluation per step instead of 1 + len(θ).

        With w_i = Z_i'(y_i − X_iβ̂), M_i = I + Λ'Z_i'Z_iΛ, v_i = M_i⁻¹Λ'w_i and
        q_i = w_i − Z_i'Z_iΛv_i, for θ_j the element Λ[r, c] (envelope theorem: β̂ is optimal)::

            ∂ r'Ṽ⁻¹r/∂θ_j = −2 Σ_i q_i[r]·v_i[c],  ∂ ln|Ṽ|/∂θ_j = 2 Σ_i (M_i⁻¹Λ'Z_i'Z_i)[c, r]

        and −2ℓ_ML = n·(1 + ln 2π + ln(r'Ṽ⁻¹r/n)) + ln|Ṽ|."""
        inf = (float("inf"), np.zeros(len(theta)))
        if self.k > 2:
            f0 = self.ml_deviance(theta)
            step = 1e-7 * np.maximum(1.0, np.abs(theta))
            grad = np.array(
                [
                    (self.ml_deviance(theta + step[j] * np.eye(len(theta))[j]) - f0) / step[j]
                    for j in range(len(theta))
                ]
            )
            return f0, grad
        L = self.lam(np.asarray(theta, dtype=float))
        ZZ, ZX, Zy = self.ZZ, self.ZX, self.Zy
        l11 = L[0, 0]
        if self.k == 1:
            z00 = ZZ[:, 0, 0]
            m = 1.0 + l11 * l11 * z00
            c = np.sqrt(m)
            A = (l11 * ZX[:, 0, :]) / c[:, None]
            b = (l11 * Zy[:, 0]) / c
            xvx = self.XX - A.T @ A
            xvy = self.Xy - A.T @ b
            yvy = self.yy - float(b @ b)
            logdet_v = float(np.sum(np.log(m)))
        else:
            l21, l22 = L[1, 0], L[1, 1]
            z00, z01, z11 = ZZ[:, 0, 0], ZZ[:, 0, 1], ZZ[:, 1, 1]
            a0 = l11 * z00 + l21 * z01
            a1 = l11 * z01 + l21 * z11
            m00 = 1.0 + l11 * a0 + l21 * a1
            m10 = l22 * a1
            m11 = 1.0 + l22 * l22 * z11
            c11 = np.sqrt(m00)
            c21 = m10 / c11
            c22 = np.sqrt(m11 - c21 * c21)
            A0 = (l11 * ZX[:, 0, :] + l21 * ZX[:, 1, :]) / c11[:, None]
            A1 = (l22 * ZX[:, 1, :] - c21[:, None] * A0) / c22[:, None]
            b0 = (l11 * Zy[:, 0] + l21 * Zy[:, 1]) / c11
            b1 = (l22 * Zy[:, 1] - c21 * b0) / c22
            xvx = self.XX - A0.T @ A0 - A1.T @ A1
            xvy = self.Xy - A0.T @ b0 - A1.T @ b1
            yvy = self.yy - float(b0 @ b0 + b1 @ b1)
            logdet_v = 2.0 * float(np.sum(np.log(c11) + np.log(c22)))
        if not (np.isfinite(logdet_v) and np.all(np.isfinite(xvx))):
            return inf
        try:
            cx = np.linalg.cholesky(xvx)
            beta = np.linalg.solve(cx.T, np.linalg.solve(cx, xvy))
        except np.linalg.LinAlgError:
            return inf
        rss = max(yvy - float(xvy @ beta), 1e-300)
        dev = self.n * (1.0 + math.log(2 * math.pi) + math.log(rss / self.n)) + logdet_v
        if not math.isfinite(dev):
            return inf
        w = Zy - ZX @ beta  # Z_i'(y_i − X_iβ̂), mice × k
        if self.k == 1:
            v = l11 * w[:, 0] / m
            q = w[:, 0] - z00 * l11 * v
            d_rss = np.array([-2.0 * float(q @ v)])
            d_logdet = np.array([2.0 * float(np.sum(l11 * z00 / m))])
        else:
            det = m00 * m11 - m10 * m10
            u0, u1 = l11 * w[:, 0] + l21 * w[:, 1], l22 * w[:, 1]
            v0, v1 = (m11 * u0 - m10 * u1) / det, (m00 * u1 - m10 * u0) / det
            lv0, lv1 = l11 * v0, l21 * v0 + l22 * v1  # Λv
            q0 = w[:, 0] - (z00 * lv0 + z01 * lv1)
            q1 = w[:, 1] - (z01 * lv0 + z11 * lv1)
            # M⁻¹Λ'Z'Z with Λ'Z'Z = [[a0, a1], [l22·z01, l22·z11]]
            g00 = (m11 * a0 - m10 * l22 * z01) / det
            g01 = (m11 * a1 - m10 * l22 * z11) / det
            g11 = (m00 * l22 * z11 - m10 * a1) / det
            d_rss_all = -2.0 * np.array([q0 @ v0, q1 @ v0, q1 @ v1])  # Λ[0,0], Λ[1,0], Λ[1,1]
            d_logdet_all = 2.0 * np.array([g00.sum(), g01.sum(), g11.sum()])
            pick = [0, 1, 2] if len(theta) == 3 else [0, 2]  # uncorrelated: no Λ[1,0]
            d_rss, d_logdet = d_rss_all[pick], d_logdet_all[pick]
        grad = self.n / rss * d_rss + d_logdet
        return dev, np.asarray(grad, dtype=float)

    def theta_from(self, cov_re: np.ndarray, scale: float) -> np.ndarray:
        """θ for a given Ψ (raw-day scale) and σ² (generalised Cholesky when near-singular)."""
        rel = np.asarray(cov_re, dtype=float)[: self.k, : self.k] / scale
        out: list[float] = []
        i = 0
        for blk in self.spec.blocks:
            if blk == 1:
                out.append(math.sqrt(max(rel[i, i], 0.0)))
            else:
                a = math.sqrt(max(rel[i, i], 0.0))
                b = rel[i + 1, i] / a if a > 0 else 0.0
                c = math.sqrt(max(rel[i + 1, i + 1] - b * b, 0.0))
                out += [a, b, c]
            i += blk
        return np.array(out)

    def minimise(
        self,
        starts: list[np.ndarray],
        objective: Callable[[np.ndarray], float] | None = None,
        polish: bool = True,
    ) -> tuple[np.ndarray, float, bool]:
        """Bounded L-BFGS-B from each start, then bounded Powell from the best when no run
        converged or θ is near the boundary (``polish``); lowest deviance wins. ``objective``:
        the deviance minimised (default the REML one, :meth:`deviance`; :meth:`ml_deviance`
        for ML)."""
        from scipy import optimize

        deviance = objective or self.deviance

        best_x, best_f, ok = np.asarray(starts[0], dtype=float), float("inf"), False

        def run(x: np.ndarray, method: str) -> None:
            nonlocal best_x, best_f, ok
            opts = (
                {"maxiter": 5000, "ftol": 1e-13, "gtol": 1e-9}
                if method == "L-BFGS-B"
                else {"maxiter": 5000, "xtol": 1e-10, "ftol": 1e-13}
            )
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                res = optimize.minimize(
                    deviance, x, method=method, bounds=self.bounds(), options=opts
                )
            if np.isfinite(res.fun) and res.fun < best_f - 1e-12:
                best_x, best_f = res.x, float(res.fun)
                ok = bool(res.success) or ok
            elif np.isfinite(res.fun) and res.fun <= best_f + 1e-8 and res.success:
                ok = True

        for x0 in starts:
            run(np.asarray(x0, dtype=float), "L-BFGS-B")
        near_boundary = np.min(np.abs(np.diag(self.lam(best_x)))) < 1e-2
        if polish and (near_boundary or not ok):
            run(best_x, "Powell")  # derivative-free polish (moves along the boundary)
        return best_x, best_f, ok


def _sm_fit(
    y: np.ndarray, X: np.ndarray, groups: np.ndarray, Z: np.ndarray, structure: str, method: str
) -> Any:
    from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams

    spec = SPECS[structure]
    model = MixedLM(y, X, groups=groups, exog_re=Z[:, : spec.k])
    free = None
    if len(spec.blocks) > 1:  # Ψ elements between blocks fixed at 0
        free = MixedLMParams.from_components(np.ones(X.shape[1]), spec.mask())
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return model.fit(reml=True, method=[method], free=free)


def _moment_theta(
    pr: ProfiledREML, logd: pd.DataFrame, Z: np.ndarray | None = None, groups: Any = None
) -> np.ndarray:
    """Start θ from per-mouse OLS lines: covariance of (intercept, slope) over residual variance
    (three random effects: per-mouse least squares on the columns of Z)."""
    if pr.k == 3 and Z is not None:
        return _moment_theta_z(pr, Z, logd["log_volume"].to_numpy(float), groups)
    coefs, resid = [], []
    for _, g in logd.groupby("mouse", sort=False):
        t, yv = g["day"].to_numpy(float), g["log_volume"].to_numpy(float)
        if t.size >= 3 and np.ptp(t) > 0:
            b = np.polyfit(t, yv, 1)[::-1]
            coefs.append(b)
            resid.append(np.sum((yv - b[0] - b[1] * t) ** 2) / (t.size - 2))
    if len(coefs) < 3:
        return np.full(len(pr.bounds()), 0.5)
    scale = max(float(np.mean(resid)), 1e-8)
    cov = np.cov(np.array(coefs).T)
    cov = cov + np.diag([1e-6, 1e-8])
    return pr.theta_from(cov, scale)


def _moment_theta_z(pr: ProfiledREML, Z: np.ndarray, y: np.ndarray, groups: Any) -> np.ndarray:
    coefs, resid = [], []
    for sl in _blocks(np.asarray(groups)):
        Zi, yi = Z[sl, : pr.k], y[sl]
        if yi.size > pr.k and np.linalg.matrix_rank(Zi) == pr.k:
            b, *_ = np.linalg.lstsq(Zi, yi, rcond=None)
            coefs.append(b)
            resid.append(float(np.sum((yi - Zi @ b) ** 2)) / (yi.size - pr.k))
    if len(coefs) < pr.k + 1:
        return np.full(len(pr.bounds()), 0.5)
    scale = max(float(np.mean(resid)), 1e-8)
    cov = np.cov(np.array(coefs).T) * pr.spec.mask() + np.diag([1e-6] + [1e-8] * (pr.k - 1))
    return pr.theta_from(cov, scale)


def identifiable(structure: str, n_obs: int, n_mice: int) -> bool:
    """lme4's ``check.nobs.vs.nRE`` rule: the structure is fitted only when the number of
    observations exceeds the number of random effects (n_mice × effects per mouse); otherwise
    the random-effect and residual variances are not identifiable."""
    return n_obs > n_mice * SPECS[structure].k


def fit_structure(
    logd: pd.DataFrame,
    arms: Sequence[str],
    control: str,
    structure: str,
    optimisers: Sequence[str] = OPTIMISERS,
    design_fn: DesignFn | None = None,
) -> MixedFit | None:
    """Fit one random-effects structure with several optimisers; keep the best REML llf.

    Candidates: statsmodels ``MixedLM.fit(reml=True, method=[m])`` for each ``m`` in
    ``optimisers`` (days counted from the first measurement c for the correlated and
    intercept-only structures - an equivalent reparametrisation - with Ψ mapped back to raw days
    by Ψ_raw = A Ψ_c A', A = [[1, −c], [0, 1]]; raw days for the uncorrelated one); then
    :class:`ProfiledREML` minimised from the best statsmodels estimate and, unless that run
    converged, from a per-mouse-OLS moment start (bounded, so a singular optimum on the
    boundary is reached as in lme4). The kept (Ψ, σ²) gives β, Cov(β) and
    ℓ_REML by :func:`gls`. Returns None when nothing gives a finite fit. ``design_fn``: the
    fixed and random design (default :func:`design`; the first time column is the one shifted).
    """
    design_fn = design_fn or design
    X, names, Z, y, groups = design_fn(logd, arms, control, 0.0)
    if not identifiable(structure, y.size, int(pd.unique(groups).size)):
        return None
    spec = SPECS[structure]
    # statsmodels is better conditioned with days counted from the first measurement; that is
    # the same model for the correlated and intercept-only structures (not for uncorrelated)
    first = float(logd["day"].min())
    shifts = [first] if spec.shiftable else [0.0]
    sm_methods = [m for m in optimisers if m != "profiled"]
    if structure != "correlated":  # secondary structures: one statsmodels run + profiled REML
        sm_methods = [m for m in sm_methods if m in ("lbfgs", "bfgs")][:1]
    pr = ProfiledREML(X, Z, y, groups, structure)
    cands: list[tuple[float, str, bool, np.ndarray]] = []  # (llf, label, converged, theta)
    tried: list[str] = []
    for shift in shifts:
        Xs, _, Zs, _, _ = design_fn(logd, arms, control, shift)
        for method in sm_methods:
            label = f"statsmodels {method}" + ("" if shift == 0.0 else f" (day - {shift:g})")
            try:
                res = _sm_fit(y, Xs, groups, Zs, structure, method)
            except (np.linalg.LinAlgError, ValueError) as exc:
                tried.append(f"{label}: failed ({exc})")
                continue
            cov = np.asarray(res.cov_re, dtype=float)
            scale = float(res.scale)
            if not (np.all(np.isfinite(cov)) and np.isfinite(scale) and scale > 0):
                tried.append(f"{label}: no finite estimate")
                continue
            if len(spec.blocks) > 1:
                cov = cov * spec.mask()
            if cov.shape[0] >= 2 and shift != 0.0:  # intercept and first time column correlated
                A = np.eye(cov.shape[0])
                A[0, 1] = -shift
                cov = A @ cov @ A.T
            theta = pr.theta_from((cov + cov.T) / 2.0, scale)
            llf = -0.5 * pr.deviance(theta)
            conv = bool(res.converged)
            tried.append(f"{label}: llf {llf:.6f}{'' if conv else ' (not converged)'}")
            if np.isfinite(llf):
                cands.append((llf, label, conv, theta))
    if "profiled" in optimisers:
        # from the best statsmodels estimate; from a moment start too unless that converged
        starts = []
        if cands:
            top = max(cands, key=lambda c: c[0])
            starts.append(top[3])
        if not cands or not top[2]:
            starts.append(_moment_theta(pr, logd, Z, groups))
        theta, dev, ok = pr.minimise(starts)
        llf = -0.5 * dev
        label = "profiled REML (scipy L-BFGS-B/Powell on lme4 theta)"
        tried.append(f"{label}: llf {llf:.6f}{'' if ok else ' (not converged)'}")
        if np.isfinite(llf):
            cands.append((llf, label, ok, theta))
    if not cands:
        return None
    llf, label, conv, theta = max(cands, key=lambda c: c[0])
    # the best llf counts as converged when a converged run reached it (within 1e-4)
    conv = conv or any(c[2] and c[0] >= llf - 1e-4 for c in cands)
    _, _, _, sigma2 = pr.solve(theta)
    lam = pr.lam(theta)
    cov = sigma2 * lam @ lam.T
    beta, vcov, llf = gls(X, Z, y, groups, cov, sigma2)
    fit = MixedFit(
        structure=structure,
        llf=llf,
        optimiser=label,
        converged=conv,
        beta=beta,
        names=names,
        vcov=vcov,
        cov_re=cov,
        scale=sigma2,
        n_obs=int(y.size),
        n_mice=int(pd.unique(groups).size),
        tried=tried,
        theta=np.asarray(theta),
        profile=pr,
    )
    fit.singular = bool(np.min(np.abs(np.diag(lam))) < SINGULAR_TOL)
    return fit


def fit_mixed(
    logd: pd.DataFrame,
    arms: Sequence[str],
    control: str,
    optimisers: Sequence[str] = OPTIMISERS,
    structures: Sequence[str] = STRUCTURES,
    design_fn: DesignFn | None = None,
) -> tuple[MixedFit | None, list[MixedFit], str]:
    """Fit all structures; select the first (the correlated one) unless singular / not
    converged, then the next, the last (intercept only) being kept whatever.

    Returns ``(selected, fits, note)``; ``note`` explains a fallback (empty otherwise).
    ``selected`` is None when no structure could be fitted.
    """
    fits: list[MixedFit] = []
    for s in structures:
        f = fit_structure(logd, arms, control, s, optimisers, design_fn)
        if f is not None:
            fits.append(f)
    by = {f.structure: f for f in fits}
    reasons: list[str] = []
    last = structures[-1]
    for s in structures:
        f = by.get(s)
        if f is None:
            n_obs, n_mice = len(logd), int(logd["mouse"].nunique())
            if not identifiable(s, n_obs, n_mice):
                reasons.append(
                    f"{STRUCTURE_LABELS[s]} not identifiable ({n_obs} observations "
                    f"<= {n_mice * SPECS[s].k} random effects)"
                )
            else:
                reasons.append(f"{STRUCTURE_LABELS[s]} could not be fitted")
            continue
        if f.singular and s != last:
            reasons.append(
                f"{STRUCTURE_LABELS[s]} fit is singular "
                "(a random-effect variance at 0 or correlation at ±1)"
            )
            continue
        if not f.converged and s != last:
            # keep it if a looser optimiser reached a better llf than every converged one
            reasons.append(f"{STRUCTURE_LABELS[s]}: no optimiser reported convergence")
            continue
        note = "" if not reasons else "; ".join(reasons) + f"; fell back to {STRUCTURE_LABELS[s]}"
        if not f.converged:
            note = (note + "; " if note else "") + "optimiser did not report convergence"
        return f, fits, note
    return None, fits, "; ".join(reasons)


def _contrast(fit: MixedFit, weights: dict[str, float]) -> tuple[float, float]:
    L = np.zeros(len(fit.names))
    for name, w in weights.items():
        L[fit.names.index(name)] = w
    est = float(L @ fit.beta)
    se = float(math.sqrt(max(L @ fit.vcov @ L, 0.0)))
    return est, se


def rate_weights(fit: MixedFit, arm: str, control: str) -> dict[str, float]:
    """Contrast weights giving the growth rate of ``arm`` (β_day [+ γ_arm])."""
    return {"day": 1.0} if arm == control else {"day": 1.0, f"day:arm{arm}": 1.0}


def wald(est: float, se: float, alpha: float) -> tuple[float, float, float, float]:
    """Wald z inference: z = est/SE, p = 2·Φ(−|z|), CI = est ± z_{1−α/2}·SE (Wald 1943; the
    statsmodels MixedLM ``summary`` convention)."""
    if not (se > 0):
        return float("nan"), float("nan"), float("nan"), float("nan")
    z = est / se
    q = norm_ppf(1 - alpha / 2)
    return z, float(2 * norm_sf(abs(z))), est - q * se, est + q * se


def _steps(x: np.ndarray) -> np.ndarray:
    return 1e-3 * np.maximum(np.abs(x), 1e-2)


def _hessian(f: Any, x: np.ndarray) -> np.ndarray:
    """Central-difference Hessian of a scalar function."""
    k = x.size
    h = _steps(x)
    H = np.zeros((k, k))
    for i in range(k):
        for j in range(i, k):

            def at(si: float, sj: float, i: int = i, j: int = j) -> float:
                y = x.copy()
                y[i] += si * h[i]
                y[j] += sj * h[j]
                return f(y)

            H[i, j] = H[j, i] = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h[i] * h[j])
    return H


def satterthwaite_df(fit: MixedFit, weights: dict[str, float]) -> float:
    """Satterthwaite denominator df of the contrast L'β (as lmerTest's ``contest1D``).

    With φ = (θ, σ) the variance parameters, A = 2·H⁻¹ (H = Hessian of the REML deviance
    −2ℓ_REML(φ), :meth:`ProfiledREML.full_deviance`), v(φ) = L'Cov(β̂; φ)L and g = ∂v/∂φ:
    df = 2·v² / (g'Ag) (Satterthwaite 1946; Kuznetsova et al. 2017, J Stat Softw 82(13)).
    Derivatives by central differences. NaN when H is not positive definite (e.g. a fit on
    the boundary).
    """
    pr, theta = fit.profile, fit.theta
    if pr is None or theta is None:
        return float("nan")
    vp = np.append(np.asarray(theta, dtype=float), math.sqrt(fit.scale))
    L = np.zeros(len(fit.names))
    for name, w in weights.items():
        L[fit.names.index(name)] = w
    try:
        if fit._vp_cov is None:
            H = _hessian(pr.full_deviance, vp)
            if np.min(np.linalg.eigvalsh(H)) <= 0:
                return float("nan")
            fit._vp_cov = 2.0 * np.linalg.inv(H)
        A = fit._vp_cov
        v = float(L @ pr.vcov_beta(vp) @ L)
        h = _steps(vp)
        g = np.zeros(vp.size)
        for i in range(vp.size):
            up, dn = vp.copy(), vp.copy()
            up[i] += h[i]
            dn[i] -= h[i]
            g[i] = (float(L @ pr.vcov_beta(up) @ L) - float(L @ pr.vcov_beta(dn) @ L)) / (2 * h[i])
        denom = float(g @ A @ g)
    except (np.linalg.LinAlgError, ValueError, FloatingPointError):
        return float("nan")
    return 2.0 * v * v / denom if denom > 0 else float("nan")


def t_test(est: float, se: float, df: float) -> float:
    """Two-sided p of t = est/SE with ``df`` degrees of freedom (NaN if df is NaN)."""
    if not (se > 0 and np.isfinite(df) and df > 0):
        return float("nan")
    return float(2 * t_sf(abs(est / se), df))


def arm_rates(
    fit: MixedFit, arms: Sequence[str], control: str, alpha: float = 0.05
) -> pd.DataFrame:
    """Per-arm growth rate and (treated arms) rate difference vs control, Wald inference."""
    rows = []
    for arm in arms:
        rate, rate_se = _contrast(fit, rate_weights(fit, arm, control))
        _, _, lo, hi = wald(rate, rate_se, alpha)
        row: dict[str, Any] = {
            "arm": arm,
            "growth_rate_per_day": rate,
            "growth_rate_se": rate_se,
            "growth_rate_ci_low": lo,
            "growth_rate_ci_high": hi,
        }
        if arm != control:
            w = {f"day:arm{arm}": 1.0}
            d, se = _contrast(fit, w)
            z, p, lo, hi = wald(d, se, alpha)
            df = satterthwaite_df(fit, w)
            row.update(
                rate_diff_vs_control=d,
                rate_diff_se=se,
                rate_diff_ci_low=lo,
                rate_diff_ci_high=hi,
                z_value=z,
                p_value=p,
                p_value_method=WALD_LABEL,
                df_satterthwaite=df,
                p_value_satterthwaite=t_test(d, se, df),
            )
        rows.append(row)
    return pd.DataFrame(rows)


def slope_contrasts(
    fit: MixedFit, arms: Sequence[str], control: str, alpha: float = 0.05
) -> pd.DataFrame:
    """All pairwise slope contrasts (arm − reference) with Wald z and Holm-adjusted p.

    Pairs follow study order (reference = the earlier arm), as TumGrowth's Tukey-type slope
    contrasts; p adjusted over all pairs by Holm (1979), both the Wald p and the t p with
    Satterthwaite df (:func:`satterthwaite_df`).
    """
    rows = []
    for i, ref in enumerate(arms):
        for arm in arms[i + 1 :]:
            w = {k: v for k, v in rate_weights(fit, arm, control).items()}
            for k, v in rate_weights(fit, ref, control).items():
                w[k] = w.get(k, 0.0) - v
            est, se = _contrast(fit, w)
            z, p, lo, hi = wald(est, se, alpha)
            df = satterthwaite_df(fit, w)
            rows.append(
                {
                    "arm": arm,
                    "reference": ref,
                    "estimate": est,
                    "se": se,
                    "ci_low": lo,
                    "ci_high": hi,
                    "z_value": z,
                    "p_value": p,
                    "df_satterthwaite": df,
                    "p_satterthwaite": t_test(est, se, df),
                }
            )
    out = pd.DataFrame(rows, columns=CONTRAST_COLUMNS[:8] + ["df_satterthwaite", "p_satterthwaite"])
    out["p_holm"] = holm(out["p_value"].to_numpy()) if len(out) else []
    out["p_holm_satterthwaite"] = holm(out["p_satterthwaite"].to_numpy()) if len(out) else []
    out["method"] = (
        f"{WALD_LABEL}, Holm over {len(out)} pairs (p_holm); "
        f"{SATTERTHWAITE_LABEL}, Holm (p_holm_satterthwaite)"
    )
    return out[CONTRAST_COLUMNS]


#: Columns of :func:`fits_table` (also written, header only, when no model was fitted).
FITS_COLUMNS = columns("growth_model_fits")


def fits_table(fits: list[MixedFit], selected: MixedFit | None) -> pd.DataFrame:
    """One row per random-effects structure: REML llf, AIC, optimiser, singular, selected."""
    rows = []
    for f in fits:
        sd0, sd1, rho = f.random_sd
        rows.append(
            {
                "structure": f.structure,
                "random_effects": STRUCTURE_LABELS[f.structure],
                "reml_loglik": f.llf,
                "aic": f.aic,
                "optimiser": f.optimiser,
                "converged": f.converged,
                "singular": f.singular,
                "sd_intercept": sd0,
                "sd_slope": sd1,
                "corr_intercept_slope": rho,
                "sd_residual": math.sqrt(f.scale),
                "n_obs": f.n_obs,
                "n_mice": f.n_mice,
                "selected": selected is not None and f.structure == selected.structure,
                "optimisers_tried": " | ".join(f.tried),
            }
        )
    return pd.DataFrame(rows, columns=FITS_COLUMNS)

"""Linear mixed model with one random slope per mouse and nlme variance functions, by REML.

The model is SynergyLMM's exponential growth model (Romero-Becerra et al. 2025,
``lmmModel``): ``nlme::lme(logRTV ~ 0 + Time:Treatment, random = ~0 + Time | SampleID,
weights = ...)``, i.e. for observation j of mouse i

    y_ij = x_ijᵀ β + b_i t_ij + ε_ij,   b_i ~ N(0, ψ),   ε_ij ~ N(0, σ² g_ij²)

with g the variance function of nlme (Pinheiro & Bates 2000, *Mixed-Effects Models in S and
S-PLUS*, §5.2): ``varIdent(~1|s)`` g = δ_s (δ = 1 for the reference stratum, the stratum of
the first observation in group order, as nlme's ``Initialize.varIdent``), ``varPower(~v)``
g = |v|^δ, and ``varComb`` the product of several. The marginal covariance of mouse i is

    V_i = σ² (G_i + D t_i t_iᵀ),   G_i = diag(g_ij²),   D = ψ/σ²,

a rank-one update of a diagonal matrix, so its inverse and determinant are closed-form
(Sherman–Morrison). The restricted log-likelihood with σ² profiled out (Pinheiro & Bates
2000, eq. 2.23; Harville 1977) is

    l_R = −½ [(N−p)(1 + log(2π σ̂²)) + Σ_i log|G_i + D t_i t_iᵀ| + log|Xᵀ V₀⁻¹ X|],
    σ̂² = rᵀ V₀⁻¹ r / (N − p),  r = y − X β̂,  β̂ the GLS estimate,

which is nlme's ``logLik(fit)`` for ``method = "REML"`` (checked against R in
``tests/test_synergy.py``). ``vcov`` is nlme's ``varFix`` σ̂² (Xᵀ V₀⁻¹ X)⁻¹.

The optimiser gets the exact gradient (Harville 1977; Pinheiro & Bates 2000, §2.2.5): for a
parameter φ with V̇ = ∂V₀/∂φ, e = V₀⁻¹ r, Z = V₀⁻¹ X and M = Xᵀ V₀⁻¹ X,

    ∂l_R/∂φ = −½ [ −eᵀ V̇ e / σ̂² + tr(V₀⁻¹ V̇) − tr(M⁻¹ Zᵀ V̇ Z) ],

with V̇_i = 2D t_i t_iᵀ for log sqrt D and V̇ = diag(2 g² ∂log g/∂φ) for a variance parameter
(log g is linear in them). Every term is a per-mouse sum of the Sherman–Morrison pieces, so a
gradient costs about one likelihood; a finite-difference gradient costs one per parameter
(27 for varIdent by mouse + varPower on SNU-81), which is what made the refits of post-hoc
power and the time-resolved tests slow.

Why not statsmodels: ``MixedLM`` has no heteroscedastic residual variance (no ``weights``),
which SynergyLMM's models use (``varIdent``, ``varPower``); the likelihood above is small
enough to write out and maximise with :func:`scipy.optimize.minimize`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from .errors import NotEstimable

LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True)
class Variance:
    """The variance function: varIdent strata (integer codes, 0 = the reference stratum,
    one array per ``varIdent``) and the varPower covariate (``None``: no varPower)."""

    strata: tuple[np.ndarray, ...] = ()
    power_covariate: np.ndarray | None = None

    @property
    def n_params(self) -> int:
        n = sum(int(s.max()) for s in self.strata)
        return n + (1 if self.power_covariate is not None else 0)

    def log_g(self, theta: np.ndarray, n_obs: int) -> np.ndarray:
        """log g_ij for the variance parameters ``theta`` (varIdent on the log scale, as nlme
        keeps them internally; varPower's power as is)."""
        out = np.zeros(n_obs)
        k = 0
        for codes in self.strata:
            m = int(codes.max())
            out += np.concatenate([[0.0], theta[k : k + m]])[codes]
            k += m
        if self.power_covariate is not None:
            out += theta[k] * np.log(np.abs(self.power_covariate))
        return out


@dataclass(frozen=True)
class LmeFit:
    beta: np.ndarray
    vcov: np.ndarray
    sigma: float
    #: standard deviation of the random slopes, sqrt(ψ)
    sd_ranef: float
    #: variance parameters: varIdent ratios δ per stratum (reference 1) then varPower's power
    variance_params: np.ndarray
    loglik: float
    #: nlme's denominator degrees of freedom of each coefficient (``getFixDF``)
    df: np.ndarray
    #: predicted random slope of each mouse (BLUP)
    ranef: np.ndarray
    fitted: np.ndarray
    #: nlme's normalised (here: Pearson) within-mouse residuals (y − fitted)/(σ g)
    resid_normalised: np.ndarray
    #: the unconstrained parameters the optimiser used (log sqrt D, log δ, power)
    theta: np.ndarray
    #: inverse Hessian of −l_R in ``theta`` at the optimum (None: not computed or not
    #: positive definite), the first curvature of a refit's optimiser
    hess_inv: np.ndarray | None = None


@dataclass(frozen=True)
class _Parts:
    """The REML quantities at one parameter value."""

    loglik: float
    beta: np.ndarray
    xtvx: np.ndarray
    sigma2: float
    d: float
    ranef: np.ndarray
    log_g: np.ndarray
    #: ∂l_R/∂θ (module docstring)
    gradient: np.ndarray


class _Problem:
    """The REML objective of one data set (arrays kept, per-mouse sums by bincount)."""

    def __init__(
        self, y: np.ndarray, x: np.ndarray, t: np.ndarray, group: np.ndarray, var: Variance
    ):
        self.y, self.x, self.t, self.group, self.var = y, x, t, group, var
        self.n, self.p = x.shape
        self.m = int(group.max()) + 1
        # ∂log g/∂θ: log g is linear in the variance parameters, so its columns are log g at
        # the unit vectors
        q = var.n_params
        self.dlog_g = np.column_stack(
            [var.log_g(e, self.n) for e in np.eye(q)] or [np.zeros((self.n, 0))]
        )

    def _sum(self, v: np.ndarray) -> np.ndarray:
        return np.bincount(self.group, weights=v, minlength=self.m)

    def parts(self, theta: np.ndarray) -> _Parts:
        d = float(np.exp(2.0 * theta[0]))
        log_g = self.var.log_g(theta[1:], self.n)
        w = np.exp(-2.0 * log_g)
        wt = w * self.t
        s = self._sum(wt * self.t)
        c = d / (1.0 + d * s)
        u = np.column_stack([self._sum(wt * self.x[:, k]) for k in range(self.p)])
        xtvx = (self.x * w[:, None]).T @ self.x - (u * c[:, None]).T @ u
        v = self._sum(wt * self.y)
        xtvy = (self.x * w[:, None]).T @ self.y - (u * c[:, None]).T @ v
        beta = np.linalg.solve(xtvx, xtvy)
        r = self.y - self.x @ beta
        q = self._sum(wt * r)
        # numpy scalars: a degenerate point (σ̂² = 0) gives inf, not a ZeroDivisionError
        rvr = np.float64(np.sum(w * r * r) - np.sum(c * q * q))
        logdet_v = float(2.0 * np.sum(log_g) + np.sum(np.log1p(d * s)))
        sign, logdet_x = np.linalg.slogdet(xtvx)
        dof = self.n - self.p
        sigma2 = rvr / dof
        loglik = -0.5 * (dof * (1.0 + LOG_2PI + np.log(sigma2)) + logdet_v + logdet_x)
        return _Parts(
            loglik=float(loglik) if sign > 0 else -np.inf,
            beta=beta,
            xtvx=xtvx,
            sigma2=sigma2,
            d=d,
            ranef=c * q,
            log_g=log_g,
            gradient=self._gradient(w, s, c, u, r, q, xtvx, d, sigma2),
        )

    def _gradient(
        self,
        w: np.ndarray,
        s: np.ndarray,
        c: np.ndarray,
        u: np.ndarray,
        r: np.ndarray,
        q: np.ndarray,
        xtvx: np.ndarray,
        d: float,
        sigma2: float,
    ) -> np.ndarray:
        """∂l_R/∂θ by the module docstring's formula, per mouse i: tᵢᵀeᵢ = qᵢ/(1 + D sᵢ),
        tᵢᵀV₀ᵢ⁻¹tᵢ = sᵢ/(1 + D sᵢ), Zᵢᵀtᵢ = Uᵢ/(1 + D sᵢ) (Uᵢ = Σ w t x); per observation
        e = w r − c w t q, Z = w x − c w t U, (V₀⁻¹)_jj = w − c w² t²."""
        g, t = self.group, self.t
        m_inv = np.linalg.inv(xtvx)
        shrink = 1.0 / (1.0 + d * s)
        u_t = u * shrink[:, None]
        d_log_d = 2.0 * d  # ∂D/∂θ₀, θ₀ = log sqrt D
        first = d_log_d * float(np.sum((q * shrink) ** 2)) / sigma2
        trace = d_log_d * float(np.sum(s * shrink))
        trace_x = d_log_d * float(np.sum((u_t @ m_inv) * u_t))
        grad = [-0.5 * (-first + trace - trace_x)]
        if self.dlog_g.shape[1]:
            cwt = c[g] * w * t
            e = w * r - cwt * q[g]
            z = w[:, None] * self.x - cwt[:, None] * u[g]
            diag = w - c[g] * (w * t) ** 2
            h = (2.0 / w) * (-(e * e) / sigma2 + diag - np.sum((z @ m_inv) * z, axis=1))
            grad += list(-0.5 * (h @ self.dlog_g))
        return np.asarray(grad, dtype=float)

    def objective(self, theta: np.ndarray) -> float:
        return self.objective_and_gradient(theta)[0]

    def objective_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """−l_R and its gradient. A line search may try parameters far outside the data's
        range (overflow, a singular XᵀV⁻¹X): those points are simply worse than any other."""
        try:
            with np.errstate(all="ignore"):
                parts = self.parts(theta)
        except np.linalg.LinAlgError:
            return 1e300, np.zeros_like(theta)
        value, grad = -parts.loglik, -parts.gradient
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return 1e300, np.zeros_like(theta)
        return value, grad


def fixef_df(x: np.ndarray, group: np.ndarray) -> np.ndarray:
    """nlme's denominator degrees of freedom of each coefficient (``getFixDF``, one grouping
    level, no intercept): a column that varies within some mouse is estimated in the residual
    stratum, df = N − M − (columns there) + 1; one constant within every mouse in the mouse
    stratum, df = M − (columns there)."""
    n, p = x.shape
    m = int(group.max()) + 1
    inner = np.zeros(p, dtype=bool)
    for k in range(p):
        lo = np.full(m, np.inf)
        hi = np.full(m, -np.inf)
        np.minimum.at(lo, group, x[:, k])
        np.maximum.at(hi, group, x[:, k])
        inner[k] = bool(np.any(hi - lo > 1e-8 * np.maximum(1.0, np.abs(hi))))
    df = np.where(inner, n - m - inner.sum() + 1, m - (~inner).sum())
    return df.astype(float)


def _starts(problem: _Problem) -> list[np.ndarray]:
    """Starting values, variance parameters at equal variances: log sqrt D at nlme's start
    (``Initialize.reStruct``: precision ΔᵀΔ = 0.375² Σ t² / M) and at the best of a grid.
    Models with many variance parameters (``varIdent`` by mouse) have several local maxima;
    the better of the two optima is kept (nlme's own start reaches nlme's optimum)."""
    rest = np.zeros(problem.var.n_params)
    nlme = 0.5 * np.log(problem.m / (0.375**2 * float(np.sum(problem.t**2))))
    grid = np.linspace(-8.0, 4.0, 25)
    values = [problem.objective(np.concatenate([[g], rest])) for g in grid]
    best = grid[int(np.argmin(values))]
    return [np.concatenate([[s], rest]) for s in dict.fromkeys([float(nlme), float(best)])]


def _maximise(
    problem: _Problem, start: np.ndarray, precise: bool, hess_inv: np.ndarray | None = None
) -> optimize.OptimizeResult:
    f = problem.objective_and_gradient
    options: dict[str, object] = {"gtol": 1e-9 if precise else 1e-6}
    if hess_inv is not None and hess_inv.shape == (len(start), len(start)):
        options["hess_inv0"] = hess_inv
    best = optimize.minimize(f, start, jac=True, method="BFGS", options=options)
    if not precise:
        return best
    # a second pass from the first optimum: BFGS's line search can stop early on flat ridges
    again = optimize.minimize(f, best.x, jac=True, method="BFGS", options={"gtol": 1e-10})
    return again if again.fun <= best.fun else best


def fit(
    y: np.ndarray,
    x: np.ndarray,
    t: np.ndarray,
    group: np.ndarray,
    variance: Variance | None = None,
    start: LmeFit | np.ndarray | None = None,
    precise: bool = True,
) -> LmeFit:
    """REML fit of ``y ~ 0 + x`` with a random slope on ``t`` per ``group`` (codes 0..M−1)
    and the variance function ``variance`` (module docstring); :class:`NotEstimable` when
    there are no more measurements than coefficients. ``start``: for a refit of
    similar data (a simulated or reduced data set: SynergyLMM's ``update``), the fit whose
    parameters (and curvature, as BFGS's first inverse Hessian, so a refit converges in a few
    steps) start the optimiser instead of the default starts. ``precise=False``: a looser
    convergence criterion (gradient 1e-6 instead of 1e-10), for the many refits of
    simulations; such a fit carries no curvature."""
    var = variance or Variance()
    problem = _Problem(np.asarray(y, float), np.asarray(x, float), np.asarray(t, float), group, var)
    if problem.n <= problem.p:
        raise NotEstimable(
            f"{problem.n} measurements for {problem.p} growth rates: no residual degrees of "
            "freedom for the mixed model"
        )
    try:
        if start is None:
            results = [_maximise(problem, s, precise) for s in _starts(problem)]
        elif isinstance(start, LmeFit):
            theta = _fitted_to(problem, start.theta)
            results = [_maximise(problem, theta, precise, start.hess_inv)]
        else:
            results = [_maximise(problem, _fitted_to(problem, start), precise)]
        best = min(results, key=lambda r: float(r.fun))
        return _result(problem, best.x, _hess_inv(problem, best.x) if precise else None)
    except np.linalg.LinAlgError as exc:  # XᵀV⁻¹X singular at the optimum: no estimate
        raise NotEstimable(f"the mixed model could not be fitted ({exc})") from exc


def _hess_inv(problem: _Problem, theta: np.ndarray) -> np.ndarray | None:
    """The inverse Hessian of −l_R at ``theta`` by central differences of the exact gradient
    (None when it is not positive definite: then a refit starts BFGS from the identity)."""
    k = len(theta)
    hess = np.empty((k, k))
    for j in range(k):
        h = 1e-5 * max(1.0, abs(float(theta[j])))
        step = np.zeros(k)
        step[j] = h
        up = problem.objective_and_gradient(theta + step)[1]
        down = problem.objective_and_gradient(theta - step)[1]
        hess[:, j] = (up - down) / (2.0 * h)
    hess = (hess + hess.T) / 2.0
    if not np.all(np.isfinite(hess)):
        return None
    eig = np.linalg.eigvalsh(hess)
    if eig.min() <= 1e-10 * max(eig.max(), 1.0):
        return None
    try:
        inv = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return None
    return (inv + inv.T) / 2.0


def _fitted_to(problem: _Problem, start: np.ndarray) -> np.ndarray:
    """A refit's start with as many parameters as the problem has: the leading ones of
    ``start``, zeros after them (a reduced data set may have fewer varIdent strata, e.g.
    Cook's distance without one mouse under varIdent by mouse)."""
    out = np.zeros(1 + problem.var.n_params)
    k = min(len(out), len(start))
    out[:k] = np.asarray(start, float)[:k]
    return out


def _result(problem: _Problem, theta: np.ndarray, hess_inv: np.ndarray | None) -> LmeFit:
    with np.errstate(all="ignore"):
        parts = problem.parts(theta)
    if not (np.isfinite(parts.loglik) and parts.sigma2 > 0):
        raise NotEstimable(
            "the mixed model has no finite optimum on these data (the variance function "
            "fits some measurements exactly)"
        )
    fitted = problem.x @ parts.beta + parts.ranef[problem.group] * problem.t
    sigma = float(np.sqrt(parts.sigma2))
    return LmeFit(
        beta=parts.beta,
        vcov=parts.sigma2 * np.linalg.inv(parts.xtvx),
        sigma=sigma,
        sd_ranef=float(np.sqrt(parts.d * parts.sigma2)),
        variance_params=_natural(problem.var, theta[1:]),
        loglik=parts.loglik,
        df=fixef_df(problem.x, problem.group),
        ranef=parts.ranef,
        fitted=fitted,
        resid_normalised=(problem.y - fitted) / (sigma * np.exp(parts.log_g)),
        theta=np.asarray(theta, float),
        hess_inv=hess_inv,
    )


def _natural(var: Variance, theta: np.ndarray) -> np.ndarray:
    """Variance parameters as nlme prints them: varIdent ratios (reference 1 omitted),
    varPower's power."""
    n_ident = sum(int(s.max()) for s in var.strata)
    return np.concatenate([np.exp(theta[:n_ident]), theta[n_ident:]])


def simulate(
    fitted: LmeFit,
    x: np.ndarray,
    t: np.ndarray,
    group: np.ndarray,
    variance: Variance,
    rng: np.random.Generator,
) -> np.ndarray:
    """One response vector drawn from the fitted model's marginal distribution (as
    ``nlmeU::simulateY``): X β̂ + b t + σ g ε with b ~ N(0, ψ̂), ε ~ N(0, 1)."""
    m = int(group.max()) + 1
    b = rng.standard_normal(m) * fitted.sd_ranef
    g = np.exp(variance.log_g(fitted.theta[1:], len(t)))
    return x @ fitted.beta + b[group] * t + fitted.sigma * g * rng.standard_normal(len(t))


def codes(values: Sequence[object]) -> np.ndarray:
    """Integer codes of ``values`` in order of first appearance (0 = the first value)."""
    seen: dict[object, int] = {}
    return np.array([seen.setdefault(v, len(seen)) for v in values], dtype=np.int64)

"""Dose–response of one agent across its dose levels: per-mouse growth rate against the
cumulative dose of the mouse's arm, Emax or log-linear, the one with the lower AIC selected.

Models (DoseFinding / MCPMod, Pinheiro, Bretz & Branson 2006; MacDougall 2006):

* Emax: f(d) = E0 + Emax·d/(ED50 + d), fitted by nonlinear least squares (as R ``nls``);
* log-linear ("linlog"): f(d) = E0 + δ·ln(d + off), off = 0.01·max dose (fixed), ordinary
  least squares (R ``lm``).

The control arm enters at dose 0 (it receives the agent's vehicle). Standard errors are those of
R ``summary.nls`` / ``summary.lm`` (residual variance RSS/(n − p) times the inverse of JᵀJ); the
ED50 interval is Wald with t on n − 3 df (R ``confint.default`` with a t quantile). AIC is R's:
n·(ln 2π + ln(RSS/n) + 1) + 2·(p + 1). Fitted only for an agent with at least three positive
dose levels in one unit.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .config import Study
from .tables import columns

MIN_LEVELS = 3


def _aic(rss: float, n: int, p: int) -> float:
    return n * (math.log(2 * math.pi) + math.log(rss / n) + 1) + 2 * (p + 1)


def fit_emax(dose: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Least-squares Emax fit: estimates, SEs (R ``summary.nls``), RSS and AIC."""
    d0 = y[dose == dose.min()].mean()
    top = y[dose == dose.max()].mean()
    positive = dose[dose > 0]

    def resid(theta: np.ndarray) -> np.ndarray:
        e0, emax, ed50 = theta
        return e0 + emax * dose / (ed50 + dose) - y

    fit = optimize.least_squares(
        resid,
        x0=[d0, top - d0, float(np.median(positive))],
        bounds=([-np.inf, -np.inf, 1e-12 * dose.max()], [np.inf, np.inf, np.inf]),
        xtol=1e-14,
        ftol=1e-14,
        gtol=1e-14,
        method="trf",
    )
    n, p = len(y), 3
    rss = float(np.sum(fit.fun**2))
    cov = np.linalg.inv(fit.jac.T @ fit.jac) * rss / (n - p)
    se = np.sqrt(np.diag(cov))
    e0, emax, ed50 = (float(v) for v in fit.x)
    return {
        "e0": e0,
        "e0_se": float(se[0]),
        "effect": emax,
        "effect_se": float(se[1]),
        "ed50": ed50,
        "ed50_se": float(se[2]),
        "rss": rss,
        "aic": _aic(rss, n, p),
        "df": n - p,
    }


def fit_linlog(dose: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """OLS of y on ln(dose + off), off = 0.01·max dose (R ``lm``)."""
    x = np.log(dose + 0.01 * dose.max())
    design = np.column_stack([np.ones_like(x), x])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    n, p = len(y), 2
    rss = float(np.sum((design @ beta - y) ** 2))
    cov = np.linalg.inv(design.T @ design) * rss / (n - p)
    se = np.sqrt(np.diag(cov))
    return {
        "e0": float(beta[0]),
        "e0_se": float(se[0]),
        "effect": float(beta[1]),
        "effect_se": float(se[1]),
        "rss": rss,
        "aic": _aic(rss, n, p),
        "df": n - p,
    }


def dose_response(
    study: Study, regimen: pd.DataFrame, growth_per_mouse: pd.DataFrame | None, alpha: float
) -> pd.DataFrame:
    """``dose_response.tsv``: per agent with ≥ 3 positive dose levels, the Emax and the
    log-linear fit of per-mouse growth rate on cumulative dose (module docstring)."""
    out_cols = columns("dose_response")
    if growth_per_mouse is None or growth_per_mouse.empty or regimen.empty:
        return pd.DataFrame(columns=out_cols)
    rows = []
    agents = [a for a in dict.fromkeys(regimen["agent"].dropna()) if a]
    for agent in agents:
        arms = regimen[(regimen["agent"] == agent) & regimen["cumulative_dose"].notna()]
        if arms["dose_unit"].nunique() != 1:
            continue
        levels = arms["cumulative_dose"].to_numpy(float)
        if len(np.unique(levels[levels > 0])) < MIN_LEVELS:
            continue
        doses = dict(zip(arms["arm"], levels, strict=True))
        doses[study.control] = 0.0
        g = growth_per_mouse[growth_per_mouse["arm"].isin(doses)].dropna(
            subset=["growth_rate_per_day"]
        )
        dose = g["arm"].map(doses).to_numpy(float)
        y = g["growth_rate_per_day"].to_numpy(float)
        base = {
            "agent": agent,
            "n_mice": len(y),
            "n_dose_levels": len(np.unique(dose)),
            "dose_unit": arms["dose_unit"].iloc[0],
        }
        fits = {}
        for model, fitter in (("emax", fit_emax), ("linlog", fit_linlog)):
            try:
                fits[model] = fitter(dose, y)
            except (ValueError, np.linalg.LinAlgError) as exc:
                rows.append({**base, "model": model, "note": f"fit failed: {exc}"})
        best = min(fits, key=lambda m: fits[m]["aic"]) if fits else ""
        for model, f in fits.items():
            row = {**base, "model": model, "selected": model == best, **f}
            if model == "emax":
                q = stats.t.ppf(1 - alpha / 2, f["df"])
                row["ed50_ci_low"] = f["ed50"] - q * f["ed50_se"]
                row["ed50_ci_high"] = f["ed50"] + q * f["ed50_se"]
            row.pop("df")
            rows.append(row)
    if not rows:
        return pd.DataFrame(columns=out_cols)
    return pd.DataFrame(rows).reindex(columns=out_cols)

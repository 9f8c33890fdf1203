"""The simulated dosed studies of the dose-driven growth-model tests (``test_regimenmodel``,
``test_claret``), from a generator written independently of the fitter: each tumour follows
dV/dt = (g_i − k·C(t)·e^(−λ_R (t − t_0)))·V, t_0 the arm's first dose (λ_R = 0: the log-kill
model), with the dose amount C obeying dC/dt = −λC and jumping by A at each dose, integrated
numerically (scipy ``solve_ivp``, LSODA) for all mice of an arm at once — not the closed-form
exposure the fitter uses. With a mean ``delay`` D > 0 the kill acts through three transit
compartments (Simeoni et al. 2004): dy_1/dt = k_tr (C − y_1), dy_m/dt = k_tr (y_(m−1) − y_m),
k_tr = 3/D, and the kill is k·y_3(t)·e^(−λ_R (t − t_0)): regrowth and delayed kill together,
which none of the fitted models has."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import integrate

from xenoflow.config import Agent, Arm, Dose, Study, analysis_defaults

HALF_LIFE = 8.02
#: between-mouse SDs of ln V0 (b0) and of the growth rate (b1), residual SD of ln V (e)
SD = {"b0": 0.25, "b1": 0.03, "e": 0.2}
DAYS = np.array([0, 3, 7, 10, 14, 17, 21, 24, 28], dtype=float)
Schedule = Sequence[tuple[float, float]]  # (day, amount) of each dose


def ode_log_volume(
    v0: np.ndarray,
    g: np.ndarray,
    doses: Schedule,
    days: np.ndarray,
    k: float,
    lam_r: float = 0.0,
    delay: float = 0.0,
) -> np.ndarray:
    """ln V (days × mice) of dV_i/dt = (g_i − k·C·e^(−λ_R (t − t_0)))·V_i, dC/dt = −λC,
    C += A at each dose, integrated piecewise between doses; with ``delay`` > 0 the kill is
    k·y_3·e^(−λ_R (t − t_0)), y_3 the last of three transit compartments fed by C."""
    lam = math.log(2) / HALF_LIFE
    t0 = min((d for d, _ in doses), default=0.0)
    chain = 3 if delay > 0 else 0
    ktr = 3.0 / delay if delay > 0 else 0.0
    state = 1 + chain  # C, then y_1 … y_3

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        c = y[-state:]
        kill = k * c[-1] * math.exp(-lam_r * (t - t0))
        flow = [-lam * c[0]] + [ktr * (c[m - 1] - c[m]) for m in range(1, state)]
        return np.concatenate([(g - kill) * y[:-state], flow])

    y = np.concatenate([v0, np.zeros(state)])
    out = np.empty((days.size, v0.size))
    cuts = sorted({days[0], *(d for d, _ in doses if days[0] < d < days[-1])})
    for lo, hi in zip(cuts, [*cuts[1:], days[-1] + 1e-9], strict=True):
        y = y.copy()
        y[-state] += sum(a for d, a in doses if d == lo)
        inside = (days >= lo) & (days < hi)
        sol = integrate.solve_ivp(
            rhs, (lo, hi), y, method="LSODA", rtol=1e-10, atol=1e-12, dense_output=True
        )
        out[inside] = np.log(sol.sol(days[inside])[:-state].T)
        y = sol.sol(hi)
    return out


def simulate(
    rng: np.random.Generator,
    schedules: Mapping[str, Schedule],
    truth: Mapping[str, float],
    n_per_arm: int = 8,
    lam_r: float = 0.0,
    delay: float = 0.0,
    days: np.ndarray = DAYS,
) -> pd.DataFrame:
    """Mice of each arm of ``schedules`` with random start and growth rate around ``truth``
    (``ln_v0``, ``g``, ``k``), log-normal caliper error, volumes to 0.1 mm3."""
    rows = []
    for arm, doses in schedules.items():
        b0 = rng.normal(0.0, SD["b0"], n_per_arm)
        b1 = rng.normal(0.0, SD["b1"], n_per_arm)
        v0 = np.exp(truth["ln_v0"] + b0)
        lv = ode_log_volume(v0, truth["g"] + b1, doses, days, truth["k"], lam_r, delay)
        lv += rng.normal(0.0, SD["e"], lv.shape)
        for i in range(n_per_arm):
            rows += [(arm, str(i + 1), d, round(math.exp(lv[j, i]), 1)) for j, d in enumerate(days)]
    return pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "volume_mm3"])


def dosed_study(
    schedules: Mapping[str, Sequence[tuple[float, float]]],
    arms: Sequence[str],
    what_if: tuple = (),
    half_life: float = HALF_LIFE,
) -> Study:
    """The study of simulated mice: ``arms`` with their ``schedules`` (day, µCi) of one
    agent X of this half-life, the control first, and the ``what_if`` regimens."""
    listed = tuple(
        Arm(
            a,
            doses=tuple(Dose(d, x, "uCi") for d, x in schedules[a]),
            agent="X" if schedules[a] else None,
        )
        for a in arms
    )
    return Study(
        "sim",
        Path("sim.yaml"),
        Path("sim.csv"),
        "Control",
        listed,
        analysis_defaults(),
        agents={"X": Agent("X", half_life)},
        what_if=what_if,
    )


def select_models(
    data: pd.DataFrame, study: Study
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """Every dose-driven model fitted to ``data``, checked and compared, as the tolerability
    stage does: (fits by model, regimen_model_check, regimen_model_selection)."""
    from xenoflow import regimenmodel

    fits = regimenmodel.fit_models(study, data)
    checks = {m: regimenmodel.adequacy_table(study, f, data, 0.05) for m, f in fits.items()}
    return fits, regimenmodel.check_table(checks), regimenmodel.selection_table(fits, checks)

"""Compute time of the growth stage on one typical study (3 arms x 8 mice x 15 days).

Issue 3 asks for "well under a second of compute". Prints CPU (process) and wall time of the
per-mouse fits and of the whole stage (per-mouse fits + alternative models + mixed model +
contrasts), median over repeats. Run: ``.venv/bin/python benchmarks/growth.py``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as in the workflow's jobs

import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from xenoflow import growth  # noqa: E402
from xenoflow.config import analysis_defaults  # noqa: E402

ARMS = ["Control", "Low", "High"]
RATES = {"Control": 0.12, "Low": 0.08, "High": 0.04}


def study(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = np.arange(0, 30, 2.0)  # 15 measurement days
    rows = []
    for arm in ARMS:
        for mouse in range(1, 9):
            v0 = rng.lognormal(np.log(100), 0.2)
            k = rng.normal(RATES[arm], 0.015)
            vol = v0 * np.exp(k * days) * rng.lognormal(0, 0.1, days.size)
            rows += [(arm, str(mouse), d, v) for d, v in zip(days, vol)]
    return pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "volume_mm3"])


def timed(fn, repeats: int) -> tuple[float, float]:
    cpu, wall = [], []
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall)


def main(repeats: int = 5) -> None:
    data = study(1)
    settings = analysis_defaults()
    growth.analyse(data, settings, ARMS, "Control")  # warm-up: imports, caches
    per_mouse = timed(lambda: growth.fit_per_mouse(data, settings, ARMS), repeats)
    stage = timed(lambda: growth.analyse(data, settings, ARMS, "Control"), repeats)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(
        f"study: {len(ARMS)} arms x 8 mice x 15 days = {len(data)} measurements; median of {repeats}"
    )
    print(f"per-mouse fits (5 models each): cpu {per_mouse[0]:.3f} s, wall {per_mouse[1]:.3f} s")
    print(f"whole growth stage:             cpu {stage[0]:.3f} s, wall {stage[1]:.3f} s")


if __name__ == "__main__":
    main()

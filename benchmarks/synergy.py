"""Wall time of the synergy stage (issue 31 target: ≤ 20 s per combination study, any
variance function, default number of simulations) on the four CrownBio studies of
``data/public/invivosyn_crownbio``, under each nlme variance function SynergyLMM offers.

Times :func:`xenoflow.stages.run_synergy` (mixed model, time-resolved refits, 1000 post-hoc
power simulations, Cook's distance, invivoSyn/CombPDX with their bootstraps) after ingest, one
process, one core. Run: ``.venv/bin/python benchmarks/synergy.py [--studies SW837 ...]
[--variance none by_arm+power_of_time ...]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as in the workflow's jobs

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from xenoflow import config, ingest, stages  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ["SW837", "CR1197", "LS-1034", "SNU-81"]
VARIANCES = ["none", "by_arm", "by_arm+power_of_time", "by_mouse+power_of_time", "by_day"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", nargs="+", default=STUDIES)
    parser.add_argument("--variance", nargs="+", default=VARIANCES)
    args = parser.parse_args()
    print(f"# {platform.python_version()} {platform.machine()}, {os.cpu_count()} cores")
    print("study\tvariance\tpower_simulations\twall_s")
    for name in args.studies:
        study = config.load_study(ROOT / "config" / "studies" / f"crownbio_{name}.yaml")
        measurements = stages.run_ingest(study, ingest.read_source(study)).tables["measurements"]
        for label in args.variance:
            terms = () if label == "none" else tuple(label.split("+"))
            cfg = dataclasses.replace(study.synergy, variance=terms)
            one = dataclasses.replace(study, synergy=cfg)
            start = time.perf_counter()
            stages.run_synergy(one, {"measurements": measurements})
            wall = time.perf_counter() - start
            print(f"{name}\t{label}\t{cfg.power_simulations}\t{wall:.1f}", flush=True)


if __name__ == "__main__":
    main()

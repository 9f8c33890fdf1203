"""Wall time of whole runs through Snakemake (issue 31 "seconds for a study").

Prints, per scenario, wall seconds (median of ``--repeats``), CPU seconds of Snakemake and all
its jobs, the number of jobs run, and the share of the wall time Snakemake spends importing
itself (its SLURM executor plugin runs ``scontrol show config`` when imported, which waits up
to 9 s where ``scontrol`` is installed and no controller answers: that wait is the machine's,
not xenoflow's, and is printed apart):

- ``new_study``: one new two-arm study (the tiny fixture's ``tiny_long``), cold results;
- ``demo``: the default configuration (eight studies), cold results;
- ``edit``: the demo again after editing one study file (its title): only that study's jobs
  and the cross-study summary may run.

Each scenario runs in a fresh copy of the project's config, data and workflow under a
temporary folder. Run from the repository root:
``.venv/bin/python benchmarks/study_runs.py [--repeats 3] [--only new_study demo edit]``.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
SCENARIOS = ("new_study", "demo", "edit")


def project_copy(into: Path, tiny: bool) -> Path:
    work = into / "work"
    if tiny:
        shutil.copytree(ROOT / "tests" / "fixtures" / "tiny", work)
        (work / "config" / "studies" / "tiny_wide.yaml").unlink()  # its config globs them
    else:
        work.mkdir()
        for part in ("config", "data"):
            shutil.copytree(ROOT / part, work / part)
    return work


def snakemake(work: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds (Snakemake and its jobs) and the number of jobs of one run."""
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")),
            *("--directory", str(work), "--cores", "2"),
        ],
        capture_output=True,
        text=True,
        env=ENV,
    )
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        sys.exit(f"snakemake failed in {work}:\n{proc.stderr[-3000:]}")
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    jobs = len(re.findall(r"^localrule |^rule ", proc.stdout + proc.stderr, flags=re.M))
    return wall, cpu, jobs


def snakemake_import() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import snakemake.cli"], check=True, env=ENV)
    return time.perf_counter() - t0


def scenario(name: str) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        work = project_copy(Path(tmp), tiny=name == "new_study")
        first = snakemake(work)
        if name != "edit":
            return first
        study = work / "config" / "studies" / "messa_dx5_clr131.yaml"
        text = re.sub(r'^title: ("?)', r"title: \1Edited ", study.read_text(), count=1, flags=re.M)
        study.write_text(text)
        return snakemake(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--only", nargs="*", choices=SCENARIOS, default=list(SCENARIOS))
    args = parser.parse_args()
    print(f"snakemake import (executor plugins included): {snakemake_import():.2f} s")
    print(f"{'scenario':<10} {'wall s (runs)':<28} {'CPU s':>7} {'jobs':>5}")
    for name in args.only:
        runs = [scenario(name) for _ in range(args.repeats)]
        walls = [r[0] for r in runs]
        listed = ", ".join(f"{w:.1f}" for w in walls)
        median = statistics.median(walls)
        print(f"{name:<10} {median:6.1f} ({listed})".ljust(39), end="")
        print(f"{statistics.median(r[1] for r in runs):7.1f} {runs[0][2]:5d}")


if __name__ == "__main__":
    main()

"""Instructions per panel model: a machine-independent measure of a model's cost (issue 7).

Wall and CPU seconds on a shared VM drift by up to 2.5x within an hour, which hides changes of
10-20 %. The number of instructions a process executes does not drift: this script runs the
chunk analysis (:func:`xenoflow.panel.analyse_chunk`, what one Snakemake chunk job does) on
the first A and B models of the PDX Encyclopedia under valgrind's cachegrind and prints

    per model = (instructions(B) - instructions(A)) / (B - A)

plus the fixed cost of one process (imports, one read of the panel file, ...). Repeated runs
agree to ~0.2 %. Both settings of ``panel_exports`` are measured (each model's summary,
workbook and Prism file, or its TSV tables only); figures are off.

Needs valgrind (Debian package ``valgrind``). Run:
``.venv/bin/python benchmarks/model_cost.py [--data PATH] [--models 5 25] [--exports true false]``
(about 2 minutes per setting on the project VM).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from panel import STUDY  # noqa: E402  (the study file of the panel benchmark)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "real" / "drap_pdxe_full" / "volumes.csv"
OUT = ROOT / "benchmarks" / "out" / "model_cost"


def analyse(config: Path, n_models: int) -> None:
    """The measured process: one chunk of the first ``n_models`` models, as a chunk job."""
    from xenoflow import panel
    from xenoflow.config import load_study
    from xenoflow.workflow import batch_gc

    study = load_study(config)
    units = list(panel.panel_units(study))[:n_models]
    with tempfile.TemporaryDirectory() as tmp, batch_gc():
        panel.analyse_chunk(
            study, units, Path(tmp) / "results", figures=None, cache_dir=Path(tmp) / "cache"
        )


def instructions(config: Path, n_models: int) -> int:
    cmd = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--run",
        str(config),
        str(n_models),
    ]
    # multithreaded BLAS spins while it waits, which makes instruction counts vary by 2x
    env = {
        **os.environ,
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode or not found:
        sys.exit(f"valgrind run failed:\n{done.stderr[-3000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    if sys.argv[1:2] == ["--run"]:
        analyse(Path(sys.argv[2]), int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--models", type=int, nargs=2, default=[5, 25])
    parser.add_argument(
        "--exports",
        nargs="+",
        choices=["true", "false"],
        default=["true", "false"],
        help="panel_exports settings to measure",
    )
    args = parser.parse_args()
    if not args.data.is_file():
        sys.exit(f"{args.data}: not found (pass --data PATH to the PDXE volumes.csv)")
    if shutil.which("valgrind") is None:
        sys.exit("valgrind not found (Debian: apt-get install valgrind)")
    few, many = sorted(args.models)
    OUT.mkdir(parents=True, exist_ok=True)
    data = pd.read_csv(args.data, dtype=str, keep_default_na=False)
    keep = list(dict.fromkeys(data["model"]))[:many]
    # body weight is not analysed; PDXE has one negative weight that ingest refuses
    data = data[data["model"].isin(keep)].drop(columns=["body_weight_g"], errors="ignore")
    data.to_csv(OUT / "volumes.csv", index=False)
    print(f"models {few} and {many} of {args.data.name}; instructions (millions)")
    print(f"{'panel_exports':<14} {'per model':>10} {'fixed':>8}")
    for exports in args.exports:
        config = OUT / f"pdxe_exports_{exports}.yaml"
        text = STUDY.format(figures="false", exports=exports)
        # true is the default: left out, so that code before the setting can be measured too
        config.write_text(text.replace("  panel_exports: true\n", ""), encoding="utf-8")
        low, high = instructions(config, few), instructions(config, many)
        per_model = (high - low) / (many - few)
        print(
            f"{exports:<14} {per_model / 1e6:>10.1f} {(low - few * per_model) / 1e6:>8.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()

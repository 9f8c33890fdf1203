"""Start-up cost: `snakemake -n` on the default config, and the imports of a job.

Issue 31 ("fast to rerun") asks for a dry run in at most 2 s and for jobs that import only
what their stage needs. Prints, as medians over repeats (wall seconds):

- `snakemake -n --cores 2` on `config/config.yaml`, whole process, and split in the same
  process into Snakemake's own import (its executor plugins included: the SLURM plugin runs
  `scontrol show config` when imported, which waits up to 9 s when no controller answers)
  and the rest (Snakefile parse + DAG);
- `import xenoflow.stages` in a fresh interpreter (and `python -c pass` for reference), with
  the heavy modules it loads, and the top entries of `python -X importtime`;
- the imports of each `workflow/scripts/*.py` (its top-level import statements only), with
  the heavy modules each loads.

Run from the repository root: ``.venv/bin/python benchmarks/parse_and_import.py [--repeats 3]``.
The package is imported from this checkout's `src/` (PYTHONPATH is set for the children).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = (
    "scipy.special",
    "scipy.stats",
    "scipy.optimize",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "jinja2",
)
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

# Snakemake's CLI in-process, timing its import apart from the parse and DAG.
DRY_RUN = """
import json, sys, time
t0 = time.perf_counter()
import snakemake.cli
t1 = time.perf_counter()
try:
    snakemake.cli.main(["-n", "--cores", "2", "--quiet", "all"])
except SystemExit as exc:
    code = exc.code
t2 = time.perf_counter()
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
record = {{"import": t1 - t0, "run": t2 - t1, "code": code, "heavy": heavy}}
open(sys.argv[1], "w").write(json.dumps(record))
"""

# The modules an import statement list loads, as JSON on the last line.
IMPORTS = """
import json, sys
{imports}
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print(json.dumps({{"heavy": heavy, "modules": len(sys.modules)}}))
"""


def wall(cmd: list[str], **kw) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, **kw)
    return time.perf_counter() - t0, proc


def median(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f}" + (
        f" ({', '.join(f'{x:.2f}' for x in xs)})" if len(xs) > 1 else ""
    )


def dry_run(repeats: int) -> None:
    snakemake = Path(sys.executable).parent / "snakemake"
    totals, imports, runs = [], [], []
    for _ in range(repeats):
        seconds, proc = wall([str(snakemake), "-n", "--cores", "2", "--quiet", "all"])
        if proc.returncode:
            sys.exit(f"snakemake -n failed:\n{proc.stderr[-3000:]}")
        totals.append(seconds)
        with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
            _, proc = wall([sys.executable, "-c", DRY_RUN.format(heavy=HEAVY), tmp.name])
            split = json.loads(Path(tmp.name).read_text() or "{}")
        if split.get("code") not in (0, None):
            sys.exit(f"snakemake -n (in process) failed:\n{proc.stderr[-3000:]}")
        imports.append(split["import"])
        runs.append(split["run"])
    print("snakemake -n --cores 2 (default config), wall s, median (runs)")
    print(f"  whole process                    {median(totals)}")
    print(f"  import of snakemake (+ plugins)  {median(imports)}")
    print(f"  Snakefile parse + DAG            {median(runs)}")
    print(f"  heavy modules loaded by the parse: {', '.join(split['heavy']) or 'none'}")
    if shutil.which("scontrol"):
        seconds, proc = wall(["scontrol", "show", "config"])
        state = "answers" if proc.returncode == 0 else "does not answer"
        print(f"  (scontrol show config: {seconds:.2f} s, the SLURM controller {state})")


def statements(script: Path) -> str:
    """The top-level import statements of a script, as source."""
    text = script.read_text(encoding="utf-8")
    return "\n".join(
        ast.get_source_segment(text, node)
        for node in ast.parse(text).body
        if isinstance(node, ast.Import | ast.ImportFrom)
    )


def import_cost(imports: str, repeats: int) -> tuple[list[float], dict]:
    times, info = [], {}
    for _ in range(repeats):
        seconds, proc = wall([sys.executable, "-c", IMPORTS.format(imports=imports, heavy=HEAVY)])
        if proc.returncode:
            sys.exit(f"{imports!r} failed:\n{proc.stderr[-3000:]}")
        times.append(seconds)
        info = json.loads(proc.stdout.strip().splitlines()[-1])
    return times, info


def imports(repeats: int) -> None:
    base, _ = import_cost("pass", repeats)
    print(
        f"\nimports in a fresh interpreter, wall s, median (runs); `python -c pass` {median(base)}"
    )
    rows = [("import xenoflow.stages", "import xenoflow.stages")]
    rows += [
        (f"scripts/{p.name}", statements(p))
        for p in sorted((ROOT / "workflow" / "scripts").glob("*.py"))
    ]
    width = max(len(name) for name, _ in rows)
    for name, source in rows:
        times, info = import_cost(source, repeats)
        heavy = ", ".join(info["heavy"]) or "-"
        print(
            f"  {name:<{width}}  {median(times):<24} modules {info['modules']:>5}  heavy: {heavy}"
        )
    _, proc = wall([sys.executable, "-X", "importtime", "-c", "import xenoflow.stages"])
    rows_ = []
    for line in proc.stderr.splitlines()[1:]:
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[1].isdigit():
            rows_.append((int(parts[1]), parts[2]))
    print("\n`python -X importtime -c 'import xenoflow.stages'`: top 12 cumulative (ms)")
    for cumulative, module in sorted(rows_, reverse=True)[:12]:
        print(f"  {cumulative / 1000:8.1f}  {module}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=["dryrun", "imports"])
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load {os.getloadavg()[0]:.2f}"
    )
    if not args.only or "dryrun" in args.only:
        dry_run(args.repeats)
    if not args.only or "imports" in args.only:
        imports(args.repeats)


if __name__ == "__main__":
    main()

"""The workflow on the tiny fixture through SLURM (profiles/slurm, snakemake-executor-plugin-slurm).

Needs a running cluster, e.g. the single-node one on localhost:
``tests/slurm/start_cluster.sh`` (as root) ... ``tests/slurm/stop_cluster.sh``.
Skipped when ``sbatch`` is not on PATH or ``sinfo`` shows no usable node, so the default
``pytest`` run never waits for a cluster that is not there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "tiny"
PROFILE = ROOT / "profiles" / "slurm"

pytestmark = pytest.mark.slurm

# Overrides of profiles/slurm for the local test cluster: no accounting database, so squeue, not
# sacct, for job status (the plugin's "No SLURM account given, trying to guess ... sacct: invalid
# option" warning is harmless: jobs are submitted without an account), and fast polling (the
# plugin's defaults, 40 s before the first check and 10 s between checks, make this test several
# times slower). The partition is the cluster's default one (`debug` on the test cluster).
LOCAL = (
    "--slurm-status-command",
    "squeue",
    "--slurm-init-seconds-before-status-checks",
    "1",
    "--seconds-between-status-checks",
    "2",
    "--slurm-keep-successful-logs",
    "--latency-wait",
    "5",
)
USABLE_STATES = {"idle", "mix", "alloc"}  # a node that answers and takes jobs


def cluster_problem() -> str | None:
    """Why SLURM cannot be used here, or None when sbatch exists and a node is up."""
    if shutil.which("sbatch") is None:
        return "sbatch is not on PATH (start one with tests/slurm/start_cluster.sh as root)"
    try:
        # `scontrol ping` answers at once when slurmctld is down (sinfo retries for ~10 s)
        ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=30)
        if ping.returncode != 0:
            said = (ping.stdout + ping.stderr).strip().splitlines()
            return f"slurmctld does not answer ({said[0] if said else 'scontrol ping failed'})"
        proc = subprocess.run(
            ["sinfo", "--noheader", "--Node", "--format=%N %t"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"scontrol/sinfo did not answer: {exc}"
    if proc.returncode != 0:
        return f"sinfo failed: {proc.stderr.strip()[:200]}"
    states = dict(line.split(maxsplit=1) for line in proc.stdout.splitlines() if line.strip())
    if not USABLE_STATES & set(states.values()):
        return f"no idle SLURM node (sinfo: {states or 'no nodes'})"
    return None


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--workflow-profile",
        str(PROFILE),
        *LOCAL,
        *args,
    ]
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="module")
def slurm_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    problem = cluster_problem()
    if problem:
        pytest.skip(problem)
    work = tmp_path_factory.mktemp("slurm") / "work"
    shutil.copytree(FIXTURE, work)
    proc = snakemake(work)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    return work, log


def test_jobs_went_through_slurm(slurm_run):
    work, log = slurm_run
    job_ids = re.findall(r"has been submitted with SLURM jobid (\d+)", log)
    assert job_ids, log[-4000:]
    # --slurm-keep-successful-logs: one sbatch log per job, <rule>/<wildcards>/<jobid>.log
    logs = list((work / ".snakemake" / "slurm_logs").rglob("*.log"))
    assert {p.stem for p in logs} >= set(job_ids), (job_ids, logs)


def test_ingest_outputs(slurm_run):
    work, _ = slurm_run
    for study, arms in {
        "tiny_long": ["Vehicle", "Drug"],
        "tiny_wide": ["Control", "Low", "High"],
    }.items():
        tables = work / "results" / study / "tables"
        m = pd.read_csv(tables / "measurements.tsv", sep="\t", dtype={"mouse_id": str})
        assert list(m.columns)[:4] == ["arm", "mouse_id", "day", "volume_mm3"]
        assert m["arm"].unique().tolist() == arms
        assert (tables / "exclusions.tsv").is_file()


def test_nothing_left_to_do(slurm_run):
    work, _ = slurm_run
    proc = snakemake(work, "--dry-run")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert "Nothing to be done" in proc.stdout + proc.stderr

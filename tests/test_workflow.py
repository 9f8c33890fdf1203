"""End to end: the Snakemake workflow on the tiny fixture config in a temporary folder."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "tiny"

pytestmark = pytest.mark.workflow


def _command(workdir: Path) -> list[str]:
    return [
        *(sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")),
        *("--directory", str(workdir), "--cores", "2"),
    ]


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_command(workdir), *args], capture_output=True, text=True, timeout=900)


def fresh_copy(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(FIXTURE, work)
    return work


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = fresh_copy(tmp_path_factory.mktemp("run"))
    proc = snakemake(work)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return work


def test_run_completes_and_is_up_to_date(finished_run):
    proc = snakemake(finished_run, "-n")
    assert proc.returncode == 0
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_ingest_outputs(finished_run):
    tables = finished_run / "results" / "tiny_long" / "tables"
    m = pd.read_csv(tables / "measurements.tsv", sep="\t", dtype={"mouse_id": str})
    assert list(m.columns) == ["arm", "mouse_id", "day", "volume_mm3"]
    assert m["arm"].unique().tolist() == ["Vehicle", "Drug"]
    assert m.groupby("arm")["mouse_id"].nunique().to_dict() == {"Drug": 5, "Vehicle": 5}
    raw = pd.read_csv(FIXTURE / "data" / "tiny_long.csv")
    assert len(m) == len(raw)
    excl = pd.read_csv(tables / "exclusions.tsv", sep="\t")
    assert list(excl.columns) == ["stage", "arm", "mouse_id", "day", "reason"] and excl.empty
    wide = pd.read_csv(
        finished_run / "results" / "tiny_wide" / "tables" / "measurements.tsv", sep="\t"
    )
    assert wide["arm"].unique().tolist() == ["Control", "Low", "High"]


def test_summary_and_exports(finished_run):
    from openpyxl import load_workbook

    from xenoflow.export import read_pzfx

    study = finished_run / "results" / "tiny_long"
    text = (study / "summary.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in text and "control tumours grew" in text and "Drug" in text
    assert (study / "summary.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    wb = load_workbook(study / "study.xlsx")
    assert wb.sheetnames[0] == "README" and "measurements" in wb.sheetnames
    documented = {(r[0], r[1]) for r in wb["README"].iter_rows(min_row=2, values_only=True)}
    assert ("efficacy", "tgi_pct") in documented
    m = pd.read_csv(study / "tables" / "measurements.tsv", sep="\t", dtype={"mouse_id": str})
    grouped = read_pzfx(study / "study.pzfx", "Tumour volume (mm3), grouped")
    assert sorted(grouped["value"]) == pytest.approx(sorted(m["volume_mm3"]))
    summary = pd.read_csv(finished_run / "results" / "summary.tsv", sep="\t")
    assert {"tiny_long", "tiny_wide"} == set(summary["study_id"])
    assert len(summary) == 1 + 2  # one treated arm in tiny_long, two in tiny_wide


def test_design_outputs_only_for_a_study_with_design(finished_run):
    from openpyxl import load_workbook

    wide, long = (finished_run / "results" / s for s in ("tiny_wide", "tiny_long"))
    power = pd.read_csv(wide / "tables" / "power.tsv", sep="\t")
    assert set(power["n_per_arm"]) == {3, 5, 8} and set(power["follow_up_days"]) == {14, 21}
    assert set(power["endpoint"]) == {"log_volume", "growth_rate", "survival"}
    assert (wide / "tables" / "sample_size.tsv").is_file()
    assert (wide / "figures" / "power.png").is_file() and (wide / "figures" / "power.svg").is_file()
    assert "Design of a next study" in (wide / "summary.md").read_text(encoding="utf-8")
    assert {"power", "sample_size"} <= set(load_workbook(wide / "study.xlsx").sheetnames)
    assert not (long / "tables" / "power.tsv").exists()
    assert "Design of a next study" not in (long / "summary.md").read_text(encoding="utf-8")


def test_provenance_hashes_inputs(finished_run):
    import hashlib

    record = json.loads((finished_run / "results" / "provenance.json").read_text())
    data = record["studies"]["tiny_long"]["files"]["data"]
    expected = hashlib.sha256((finished_run / "data" / "tiny_long.csv").read_bytes()).hexdigest()
    assert data["sha256"] == expected and data["path"] == "data/tiny_long.csv"
    assert record["config"]["analysis"]["seed"] == 20170518
    assert record["versions"]["xenoflow"]


def test_two_runs_are_byte_identical(finished_run, tmp_path):

    again = fresh_copy(tmp_path)
    proc = snakemake(again)
    assert proc.returncode == 0, proc.stderr[-3000:]
    first, second = finished_run / "results", again / "results"
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    differing = [
        str(f)
        for f in files
        if f.name != "provenance.json" and (first / f).read_bytes() != (second / f).read_bytes()
    ]
    assert differing == []
    one, two = (json.loads((d / "provenance.json").read_text()) for d in (first, second))
    one.pop("run_time_utc"), two.pop("run_time_utc")
    assert one == two


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def _add_bad_study(work: Path) -> None:
    data = work / "data" / "tiny_long.csv"
    lines = data.read_text().splitlines()
    lines[5] = ",".join(lines[5].split(",")[:3] + ["n/a"])
    (work / "data" / "bad.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    study = (work / "config" / "studies" / "tiny_long.yaml").read_text()
    (work / "config" / "studies" / "bad.yaml").write_text(
        study.replace("study_id: tiny_long", "study_id: bad").replace("tiny_long.csv", "bad.csv"),
        encoding="utf-8",
    )


def test_bad_study_fails_alone_with_a_clear_message(tmp_path):
    """Issue 19 item 3: the run outputs are written from the studies that succeeded, the
    failed one is listed with its step and message, and the run exits non-zero."""
    work = fresh_copy(tmp_path)
    _add_bad_study(work)
    proc = snakemake(work)  # the default profile sets keep-going
    assert proc.returncode != 0
    message = "bad.csv: row 6, column 'Volume': 'n/a' is not a number"
    assert message in proc.stdout + proc.stderr
    results = work / "results"
    assert not (results / "bad").exists()
    assert (results / "tiny_long" / "tables" / "measurements.tsv").is_file()
    summary = _read(results / "summary.tsv")
    assert set(summary["study_id"]) == {"tiny_long", "tiny_wide"}
    failed = _read(results / "failed_studies.tsv")
    assert failed[["study_id", "stage"]].values.tolist() == [["bad", "ingest"]]
    assert message in failed.loc[0, "message"]
    assert set(_read(results / "exclusions_summary.tsv")["study_id"]) == {"tiny_long", "tiny_wide"}
    assert (results / "figures" / "forest.png").stat().st_size > 0
    record = json.loads((results / "provenance.json").read_text())
    assert set(record["studies"]) == {"tiny_long", "tiny_wide"}
    # the broken study is taken out: nothing else changed, yet the run outputs are redone
    (work / "config" / "studies" / "bad.yaml").unlink()
    proc = snakemake(work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _read(results / "failed_studies.tsv").empty
    assert "cross_study_summary" in proc.stdout + proc.stderr


def test_editing_one_study_file_reruns_that_study_alone(finished_run, tmp_path):
    """Issue 31: a study is one job (xenoflow.pipeline.STUDY_RULES); an edited study file
    reruns that study's job and the run outputs, nothing of the other study."""
    work = tmp_path / "copy"
    shutil.copytree(finished_run, work)
    study = work / "config" / "studies" / "tiny_wide.yaml"
    study.write_text(study.read_text().replace("title: ", "title: Edited ", 1), encoding="utf-8")
    proc = snakemake(work, "-n")
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert set(re.findall(r"wildcards: study=(\S+)", out)) == {"tiny_wide"}
    jobs = re.findall(r"^(?:local)?rule (\w+):", out, flags=re.M)
    assert sorted(jobs) == ["all", "cross_study_summary", "study_power"]


def test_each_study_is_one_job_of_the_rule_of_its_kind(tmp_path):
    """tiny_long (no combinations, no design) runs as rule study; tiny_wide (a design: power)
    as study_power."""
    proc = snakemake(fresh_copy(tmp_path), "-n")
    assert proc.returncode == 0, proc.stderr[-3000:]
    blocks = re.findall(r"^(?:local)?rule (\w+):\n((?:\s+.*\n)*)", proc.stdout, re.M)
    jobs = [(rule, m[1]) for rule, b in blocks if (m := re.search(r"wildcards: study=(\S+)", b))]
    assert sorted(jobs) == [("study", "tiny_long"), ("study_power", "tiny_wide")]


@pytest.mark.parametrize(("studies", "cores", "threads"), [(1, 2, 2), (1, 1, 1), (2, 2, 1)])
def test_a_study_job_takes_a_second_core_only_when_the_run_has_one_spare(
    tmp_path, studies, cores, threads
):
    """study_threads(): two threads (figures drawn beside the analysis) while the run has
    fewer studies than cores; with as many studies as cores, one each."""
    work = fresh_copy(tmp_path)
    if studies == 1:
        (work / "config" / "studies" / "tiny_wide.yaml").unlink()
    command = [*_command(work)[:-1], str(cores), "-n"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    blocks = re.findall(r"^(?:local)?rule (\w+):\n((?:\s+.*\n)*)", proc.stdout, re.M)
    jobs = [b for rule, b in blocks if rule in ("study", "study_power")]
    assert len(jobs) == studies
    for block in jobs:  # Snakemake prints threads only when more than one
        shown = re.search(r"threads: (\d+)", block)
        assert (int(shown[1]) if shown else 1) == threads


def test_a_study_that_starts_failing_leaves_nothing_behind(finished_run, tmp_path):
    """A study that worked fails at a later step (its recorded survival table is broken):
    none of its tables, and no row of it in the run outputs, survive; fixed, it comes back;
    the run outputs written by the failed run are redone by the next."""
    work = tmp_path / "copy"
    shutil.copytree(finished_run, work)
    results = work / "results"
    assert "tiny_wide" in set(_read(results / "summary.tsv")["study_id"])
    survival = work / "data" / "tiny_wide_survival.csv"
    survival.write_text("Group,Mouse,Days,Died\nControl,1,-3,1\n", encoding="utf-8")
    study = work / "config" / "studies" / "tiny_wide.yaml"
    original = study.read_text()
    study.write_text(
        original
        + "survival_data: ../../data/tiny_wide_survival.csv\n"
        + "survival_columns: {arm: Group, mouse_id: Mouse, time_days: Days, event: Died}\n",
        encoding="utf-8",
    )
    proc = snakemake(work)
    assert proc.returncode != 0
    assert "column 'Days': '-3' is not a number >= 0" in proc.stdout + proc.stderr
    assert not (results / "tiny_wide").exists()
    assert set(_read(results / "summary.tsv")["study_id"]) == {"tiny_long"}
    failed = _read(results / "failed_studies.tsv")
    assert failed[["study_id", "stage"]].values.tolist() == [["tiny_wide", "survival"]]
    # back to the study file of the first run: the same inputs as the recorded run outputs
    study.write_text(original, encoding="utf-8")
    proc = snakemake(work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert set(_read(results / "summary.tsv")["study_id"]) == {"tiny_long", "tiny_wide"}
    assert _read(results / "failed_studies.tsv").empty
    assert (results / "summary.tsv").read_bytes() == (
        finished_run / "results" / "summary.tsv"
    ).read_bytes()


def test_failed_rerun_leaves_no_stale_outputs(finished_run, tmp_path):
    work = tmp_path / "copy"
    shutil.copytree(finished_run, work)
    data = work / "data" / "tiny_wide.csv"
    data.write_text(data.read_text().replace("101.9", "-101.9"), encoding="utf-8")
    proc = snakemake(work)
    assert proc.returncode != 0
    assert "-101.9 is negative" in proc.stdout + proc.stderr
    assert not (work / "results" / "tiny_wide").exists()
    assert "tiny_wide" not in set(_read(work / "results" / "summary.tsv")["study_id"])


def _tables(results: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(results)): p.read_bytes()
        for p in sorted(results.rglob("*.tsv"))
        if ".xenoflow" not in p.parts
    }


def _wait_for(run: subprocess.Popen[bytes], ready: Any, what: str) -> None:
    for _ in range(9000):
        if ready():
            return
        assert run.poll() is None, f"the run ended before {what}"
        time.sleep(0.02)
    raise AssertionError(f"no {what} after 180 s")


# kill points: the lock taken (DAG built, first jobs starting), one study half done, the other
# study's last tables being written
KILL_POINTS = {
    "lock_taken": ".snakemake/locks/0.output.lock",
    "first_tables": "results/tiny_long/tables/measurements.tsv",
    "late_tables": "results/tiny_wide/tables/survival.tsv",
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_killed_run_restarted_gives_the_uninterrupted_tables(finished_run, tmp_path, point):
    """Issue 19 item 7: SIGKILL to the whole run (Snakemake and its jobs, as a power cut)
    at several points; the same command again completes, with the tables of a run that was
    never interrupted (the default profile sets rerun-incomplete; the lock the killed run
    left is cleared, xenoflow.workflow.claim_workdir)."""
    work = fresh_copy(tmp_path)
    run = subprocess.Popen(
        _command(work), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        _wait_for(run, (work / KILL_POINTS[point]).exists, point)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    if point == "lock_taken":
        assert (work / KILL_POINTS[point]).exists()  # what would block a plain Snakemake rerun
    proc = snakemake(work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _tables(work / "results") == _tables(finished_run / "results")
    assert not list((work / "results").rglob("*.tmp"))  # no half-written file is left


def test_a_second_run_on_the_same_folder_stops_with_a_clear_message(finished_run, tmp_path):
    work = fresh_copy(tmp_path)
    first = subprocess.Popen(
        _command(work), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        # the first run holds Snakemake's lock once its DAG is built
        _wait_for(first, (work / KILL_POINTS["lock_taken"]).exists, "the lock was taken")
        second = snakemake(work)
        assert second.returncode != 0
        out = second.stdout + second.stderr
        assert "Directory cannot be locked" in out
        assert "another run (pid" in out
    finally:
        first.wait(timeout=900)
    assert first.returncode == 0
    assert _tables(work / "results") == _tables(finished_run / "results")


def test_config_error_stops_before_any_job(tmp_path):
    work = fresh_copy(tmp_path)
    path = work / "config" / "studies" / "tiny_wide.yaml"
    path.write_text(path.read_text() + "colour: red\n", encoding="utf-8")
    proc = snakemake(work)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "tiny_wide.yaml: key '(top level)'" in out and "'colour' was unexpected" in out
    assert not (work / "results").exists()


def test_lint_is_clean():
    proc = snakemake(FIXTURE, "--lint")
    assert proc.returncode == 0, proc.stdout[-3000:]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.mark.skipif(
    CHROMIUM is None, reason="needs Chromium (Debian package 'chromium'; .ci/run installs it)"
)
def test_html_report_loads_and_shows_figures(finished_run):
    from playwright.sync_api import sync_playwright

    report = finished_run / "results" / "report.html"
    proc = snakemake(finished_run, "--report", str(report))
    assert proc.returncode == 0, proc.stderr[-3000:]
    artefacts = ROOT / ".pytest_artifacts"
    artefacts.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(report.as_uri())
        menu = page.inner_text("body")
        for category in ("Across studies", "tiny_long", "tiny_wide"):
            assert category in menu
        assert "preclinical mouse xenograft studies" in menu and "Key definitions" in menu
        page.get_by_text("tiny_long", exact=True).click()
        page.get_by_text("Survival", exact=True).click()
        page.locator("tr", has_text="km.png").first.locator("a[iconname=eye]").click()
        figure = page.locator("img[src^='data:image/png']")
        figure.wait_for(timeout=10_000)
        width = figure.evaluate("img => img.naturalWidth")
        page.screenshot(path=str(artefacts / "report_km.png"))
        browser.close()
    assert width > 300 and errors == []


def _report_figures(work: Path, study_id: str) -> int:
    """How many figures a study's report shows: those of its stages the report lists, less
    those with nothing to draw (named in a list instead, :func:`xenoflow.report.not_drawn`)."""
    from xenoflow import pipeline, report
    from xenoflow import tables as registry
    from xenoflow.config import load_study
    from xenoflow.plots.notes import png_note

    study = load_study(work / "config" / "studies" / f"{study_id}.yaml")
    names = {
        f.name for s in pipeline.study_stages(study) for f in registry.of_stage(s.name, "figure")
    }
    folder = work / "results" / study_id
    drawn = [
        n
        for n in names & set(report.STUDY_FIGURES)
        if not png_note((folder / f"{registry.output(n).path}.png").read_bytes())
    ]
    return len(drawn)


@pytest.mark.skipif(
    CHROMIUM is None, reason="needs Chromium (Debian package 'chromium'; .ci/run installs it)"
)
def test_index_and_study_report_render_in_chromium(finished_run):
    """Issue 18: the run's index.html and a study's report.html, opened as a reader opens them
    (headless Chromium, no network): findings, every figure drawn, links that work;
    screenshots in .pytest_artifacts/ (also of the print layout)."""
    from playwright.sync_api import sync_playwright

    results = finished_run / "results"
    artefacts = ROOT / ".pytest_artifacts"
    artefacts.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto((results / "index.html").as_uri())
        text = page.inner_text("body")
        assert "Findings across studies" in text and "tiny_wide (synthetic)" in text
        assert page.locator("img").evaluate_all("imgs => imgs.map(i => i.naturalWidth)")[0] > 300
        page.screenshot(path=str(artefacts / "index.png"), full_page=True)
        page.get_by_role("link", name="tiny_wide").first.click()
        page.wait_for_load_state()
        assert page.url.endswith("tiny_wide/report.html")
        text = page.inner_text("body")
        for heading in ("Findings", "Figures", "Key tables", "Exclusions", "Methods", "Provenance"):
            assert heading in text
        assert "%T/C was" in text and "Efficacy at the reference day" in text
        widths = page.locator("figure img").evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
        assert len(widths) == _report_figures(finished_run, "tiny_wide") and min(widths) > 300
        page.screenshot(path=str(artefacts / "study_report.png"), full_page=True)
        page.emulate_media(media="print")
        page.screenshot(path=str(artefacts / "study_report_print.png"), full_page=True)
        browser.close()
    assert errors == []
    assert all(u.startswith(("file:", "data:")) for u in requests)  # self-contained


ONSUCCESS_PROBE = """
import threading
from xenoflow.workflow import release_scheduler_timers

def pending():
    # a cancelled timer has its "finished" event set at once (its thread ends a moment later)
    return sum(
        isinstance(t, threading.Timer) and t.is_alive() and not t.finished.is_set()
        for t in threading.enumerate()
    )

rule all:
    output:
        "done.txt",
    shell:
        "touch {output}"

onsuccess:
    before = pending()
    release_scheduler_timers()
    print(f"timers before {before} after {pending()}")
"""


def test_release_scheduler_timers_finds_the_timers_of_the_installed_snakemake(tmp_path):
    """A real Snakemake run leaves its 1 s re-evaluation timer pending when ``onsuccess``
    runs; release_scheduler_timers must find it (by the package its function comes from), so
    an upgrade that moves the timer elsewhere fails here instead of adding 1 s to every run."""
    (tmp_path / "Snakefile").write_text(ONSUCCESS_PROBE, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "1", "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    said = re.search(r"timers before (\d+) after (\d+)", proc.stdout + proc.stderr)
    assert said, (proc.stdout + proc.stderr)[-3000:]
    assert int(said[1]) >= 1 and int(said[2]) == 0


def test_release_scheduler_timers_cancels_only_snakemake_timers():
    """Timers whose function comes from the ``snakemake`` package are cancelled; any other
    timer of the process is left alone."""
    import threading
    import types

    from xenoflow.workflow import release_scheduler_timers

    def theirs_function() -> None:
        pass

    theirs_function.__module__ = "snakemake.scheduling.job_scheduler"
    fired = threading.Event()
    theirs = threading.Timer(60, theirs_function)
    other = threading.Timer(60, fired.set)
    lookalike = threading.Timer(60, types.FunctionType(theirs_function.__code__, {}))
    lookalike.function.__module__ = "snakemake_lookalike"
    for timer in (theirs, other, lookalike):
        timer.start()
    try:
        release_scheduler_timers()
        theirs.join(5)
        assert not theirs.is_alive() and theirs.finished.is_set()
        assert other.is_alive() and not other.finished.is_set()
        assert lookalike.is_alive()
    finally:
        for timer in (theirs, other, lookalike):
            timer.cancel()
    assert not fired.is_set()


def test_batch_gc_freezes_raises_the_threshold_and_restores():
    import gc

    from xenoflow.workflow import BATCH_GC_THRESHOLD, batch_gc

    before = gc.get_threshold()
    with batch_gc():
        assert gc.get_threshold()[0] == BATCH_GC_THRESHOLD
        assert gc.get_freeze_count() > 0
        import weakref

        class Node:
            pass

        node = Node()
        node.self = node  # a reference cycle: only the collector frees it
        ref = weakref.ref(node)
        del node
        assert ref() is not None
        gc.collect()
        assert ref() is None
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0

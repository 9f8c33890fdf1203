"""Glue shared by ``workflow/scripts/*.py``: logging to the job's log and loading the study.

Scripts stay a few lines long: ``with script_context(snakemake) as study: ...``. Known input
errors (:class:`~xenoflow.errors.XenoflowError`) are logged
as one clear message without a traceback, and the job exits non-zero.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import batch, io, pipeline
from . import tables as registry
from .config import Study, load_study
from .errors import XenoflowError

if TYPE_CHECKING:  # the stages (and pandas, scipy) are imported by the scripts that run them
    from .stages import Outputs

log = logging.getLogger("xenoflow")
#: The stage a job is running (:func:`run_job`), so that a failure is recorded against the
#: stage, not only the job that ran it.
_stage: ContextVar[str | None] = ContextVar("xenoflow_stage", default=None)


def _configure_logging(logfile: str | None) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if logfile:
        Path(logfile).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(logfile, mode="w", encoding="utf-8"))
    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(message)s", handlers=handlers, force=True
    )


def _study_id(snakemake: Any) -> str | None:
    """The study (or panel) a job belongs to: its ``study``/``panel`` wildcard or param."""
    for source in (snakemake.wildcards, snakemake.params):
        for key in ("study", "panel"):
            if isinstance(getattr(source, key, None), str):
                return str(getattr(source, key))
    return None


@contextmanager
def logged(snakemake: Any, on_error: Any = None) -> Iterator[None]:
    """Route logging to the job's log; turn known input errors into one message and exit 1.

    A job of one study (or panel) records its failure, against the stage that failed, for the
    run's ``failed_studies.tsv`` (:mod:`xenoflow.batch`) and, when it runs again, forgets the
    failures of its stages; a study's first job forgets every failure of the study.
    """
    _configure_logging(snakemake.log[0] if snakemake.log else None)
    study_id, rule = _study_id(snakemake), str(snakemake.rule)
    results = snakemake.config.get("results", "results")
    if study_id:
        for stage in _forgotten(rule):
            batch.clear_failures(results, study_id, stage)
    token = _stage.set(None)
    try:
        yield
    except XenoflowError as exc:
        log.error("%s", exc)
        _failed(snakemake, on_error, study_id, results, str(exc))
        sys.exit(1)
    except Exception as exc:
        log.exception("unexpected error")
        _failed(snakemake, on_error, study_id, results, f"unexpected error: {exc!r}")
        raise
    finally:
        _stage.reset(token)


def _forgotten(rule: str) -> list[str | None]:
    """The failure records a job clears when it starts (``None``: all of the study's)."""
    return [None] if rule in pipeline.STUDY_RULES else [rule]


def _failed(
    snakemake: Any, on_error: Any, study_id: str | None, results: str, message: str
) -> None:
    if on_error:
        on_error()
    if study_id:
        batch.record_failure(results, study_id, _stage.get() or str(snakemake.rule), message)


@contextmanager
def script_context(snakemake: Any, clean_study_dir_on_error: bool = False) -> Iterator[Study]:
    """Load the job's study (``snakemake.input.study``) inside :func:`logged`.

    With ``clean_study_dir_on_error`` (a study's job) a failure removes the study's whole
    results folder, so no stale output from an earlier run survives next to a failed one.
    """
    on_error = (lambda: _clean(snakemake)) if clean_study_dir_on_error else None
    with logged(snakemake, on_error):
        yield load_study(snakemake.input.study, snakemake.params.analysis)


def run_job(snakemake: Any, study: Study) -> None:
    """Run a study's job (``snakemake.rule``: its rule in
    :data:`xenoflow.pipeline.STUDY_RULES`): its table stages chained in memory, their tables
    written to the job's declared outputs and their figures drawn, by a second process beside
    the analysis when the job has two threads (:class:`FigureWorkers`); then the documents,
    from the tables in memory and the figures just written."""
    from . import figures, ingest, stages, survival

    rule = str(snakemake.rule)
    if pipeline.study_rule(study) != rule:
        raise ValueError(
            f"{study.study_id} is run by rule {pipeline.study_rule(study)}, not {rule}"
        )
    if getattr(snakemake.params, "study_dir", None):
        remove_undeclared(snakemake.params.study_dir, snakemake.output)
    names = [s.name for s in pipeline.study_stages(study) if s.name in pipeline.TABLE_STAGES]
    files = {f for name in names for f in pipeline.stage(name).files}
    recorded = [survival.read_survival_file(p) for p in snakemake.input.get("recorded", [])]
    inputs = stages.Inputs(
        source=ingest.read_source(study) if "source" in files else None,
        recorded=recorded[0] if recorded and "recorded" in files else None,
    )

    def draw(name: str, out: Outputs[Any]) -> None:
        drawn = figures.draw(study, name, out)
        figures.save(drawn, snakemake.output, figures.formats(study), study.synthetic)

    order = pipeline.run_order(tuple(pipeline.stage(n) for n in names))
    last = [s.name for s in order if s.figures][-1:]
    encoded: dict[str, io.Encoded] = {}
    with FigureWorkers(int(snakemake.threads) - 1) as workers:

        def done(name: str, out: Outputs[Any]) -> None:
            if pipeline.stage(name).figures:
                workers.submit(name, lambda: draw(name, out), last=[name] == last)

        outputs = stages.chain(
            study, names, inputs, encoded=encoded, on_stage=_stage.set, on_done=done
        )
        for name, text in encoded.items():
            io.write_encoded(text, getattr(snakemake.output, name))
    for name, out in outputs.items():
        log.info("%s: %s: %d tables", study.study_id, name, len(out.tables))
    drawn = {
        spec.name: Path(getattr(snakemake.output, f"{spec.name}_png")).read_bytes()
        for name in names
        for spec in registry.of_stage(name, "figure")
    }
    write_documents(snakemake, study, io.Decoded(encoded), drawn)


def remove_undeclared(study_dir: str | Path, declared: Iterable[str]) -> list[Path]:
    """Remove the files in a study's results folder that its job does not declare, and
    return them: a job writes the whole folder, so what else is there was left by an
    earlier run of another kind of study (``design:`` since removed: the power tables) or
    of other settings (a figure format no longer asked for)."""
    keep = {Path(p).resolve() for p in declared}
    stale = [
        p for p in sorted(Path(study_dir).rglob("*")) if p.is_file() and p.resolve() not in keep
    ]
    for path in stale:
        log.info("removing %s: not an output of this study any more", path)
        path.unlink()
    return stale


class FigureWorkers:
    """Draws the figures of a job's stages in up to ``workers`` forked processes while the
    job computes its next stages; with no worker (a job of one thread, or a platform
    without ``fork``) each stage's figures are drawn in this process as it is submitted.

    Processes, because matplotlib is neither thread-safe nor free of the GIL; ``fork``,
    because a forked process has the stage's outputs (fitted models, tables) without
    pickling them. A figure is drawn from its own stage's outputs only, so where it is drawn
    changes no byte of it. The stages still waiting for a worker when the analysis ends
    are shared between a worker and this process (:meth:`finish`); leaving the ``with``
    block on an error stops the workers first, so that no figure is written after the job's
    outputs are removed.
    """

    def __init__(self, workers: int) -> None:
        can_fork = "fork" in multiprocessing.get_all_start_methods()
        self.workers = max(workers, 0) if can_fork else 0
        self.pending: list[tuple[str, Callable[[], None]]] = []
        self.running: list[tuple[list[str], BaseProcess]] = []

    def __enter__(self) -> FigureWorkers:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.finish()
            return
        for _names, process in self.running:
            process.terminate()
            process.join()

    def submit(self, stage: str, draw: Callable[[], None], last: bool = False) -> None:
        """Draw the figures of ``stage`` (``draw``) in a worker when one is free, else later;
        the ``last`` stage's here (nothing is left to compute), the earlier ones still
        waiting in a worker if one is free."""
        if not self.workers:
            draw()
            return
        self.pending.append((stage, draw))
        if last:
            self.finish()
        else:
            self._start(len(self.pending))

    def finish(self) -> None:
        """Draw the stages still pending: all but the last in a worker if one is free, the
        rest in this process; then wait for the workers."""
        self._start(len(self.pending) - 1)
        batch, self.pending = self.pending, []
        for name, draw in batch:
            _stage.set(name)
            draw()
        for _names, process in self.running:
            process.join()
        self._reap()

    def _start(self, count: int) -> None:
        """Start a worker on the first ``count`` pending stages, if a worker is free."""
        self._reap()
        if count > 0 and len(self.running) < self.workers:
            batch, self.pending = self.pending[:count], self.pending[count:]
            process = multiprocessing.get_context("fork").Process(target=_draw_all, args=(batch,))
            process.start()
            self.running.append(([name for name, _ in batch], process))

    def _reap(self) -> None:
        """Forget finished workers; a worker that failed fails the job."""
        for names, process in self.running:
            if process.exitcode not in (None, 0):
                _stage.set(names[0])
                raise RuntimeError(
                    f"drawing the figures of {', '.join(names)} failed in a worker process "
                    f"(exit code {process.exitcode}; the error is logged above)"
                )
        self.running = [(n, p) for n, p in self.running if p.exitcode is None]


def _draw_all(batch: list[tuple[str, Callable[[], None]]]) -> None:
    """A worker's work: each stage's figures; an error is logged and ends it with exit 1."""
    for name, draw in batch:
        _stage.set(name)
        try:
            draw()
        except BaseException:
            log.exception("drawing the figures of %s failed", name)
            sys.exit(1)


def write_documents(
    snakemake: Any, study: Study, tables: Mapping[str, Any], drawn: Mapping[str, bytes]
) -> None:
    """A study's documents: summary, workbook and Prism file, and the self-contained
    report.html (figures: name -> PNG) with the software versions and input checksums."""
    from . import provenance, stages

    _stage.set("summary")
    documents = stages.run_summary(study, tables)
    _stage.set("report")
    record = provenance.StudyProvenance(
        versions=provenance.versions(), inputs=provenance.study_inputs(study, Path.cwd())
    )
    documents |= stages.run_report(study, tables, dict(drawn), record)
    io.write_documents(documents, snakemake.output)


def _clean(snakemake: Any) -> None:
    if getattr(snakemake.params, "study_dir", None):
        shutil.rmtree(snakemake.params.study_dir, ignore_errors=True)


#: Held (``flock``) by the Snakemake process of a run for its whole life, released by the
#: kernel however the process ends, SIGKILL included.
RUN_LOCK = ".snakemake/xenoflow/run.lock"
_held: list[int] = []  # the open lock file of this process


def claim_workdir(workdir: str | Path = ".") -> bool:
    """Take this working directory for the run; clear the Snakemake locks a killed run left.

    Snakemake locks a directory with files in ``.snakemake/locks`` that a run killed by
    SIGKILL or a power cut never removes, so the next run would stop until ``--unlock``. A
    run that holds :data:`RUN_LOCK` knows that no other xenoflow run of this folder is alive,
    so Snakemake locks found then are stale and are removed. When another run holds it, this
    one leaves everything alone: Snakemake's own lock then stops a second run ("Directory
    cannot be locked") and lets a dry run go on. Returns whether the folder was taken.

    Called when the main Snakemake process parses the Snakefile: Snakemake takes its own
    lock before any handler (``onstart``) runs, so the stale one must be gone by then. It
    costs one ``flock`` and a listing of ``.snakemake/locks``; the walk of the results
    folder for half-written files is :func:`clear_stale_temporaries`, run in ``onstart``.
    """
    import fcntl

    path = Path(workdir) / RUN_LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        owner = path.read_text(encoding="utf-8").strip() or "another process"
        log.warning("xenoflow: another run (%s) is working in this folder", owner)
        return False
    os.ftruncate(fd, 0)
    os.write(fd, f"pid {os.getpid()}".encode())
    _held.append(fd)
    for stale in (Path(workdir) / ".snakemake" / "locks").glob("*.lock"):
        log.warning("xenoflow: removing %s, left by a run that was killed", stale)
        stale.unlink(missing_ok=True)
    return True


def clear_stale_temporaries(results: str | Path) -> None:
    """Remove the temporary files of atomic writes (:func:`xenoflow.io.atomic_path`) that a
    killed run left under ``results``; only in the process that holds :data:`RUN_LOCK`
    (:func:`claim_workdir`), so no other run's writes are touched. Called by the workflow's
    ``onstart`` handler: a real run, before its first job (not a dry run or ``--lint``)."""
    if not _held or not Path(results).is_dir():
        return
    for stale in Path(results).rglob(".*.tmp"):
        stale.unlink(missing_ok=True)


def release_scheduler_timers() -> None:
    """Cancel Snakemake's pending timers once the run has succeeded.

    Snakemake's job-rate limiter (``--max-jobs-per-timespan``, default 100/1s) ends every
    scheduling round with a 1 s ``threading.Timer``; Python waits for that non-daemon thread
    before exiting, so every run lasted ~1 s longer than its last job. Snakemake offers no
    public way to avoid it: the limiter cannot be switched off, and its timespan cannot be
    shorter than 1 s (``--max-jobs-per-timespan 10/100ms`` is read as 100 *minutes*: the
    option's pattern matches ``m`` before ``ms``).

    Called from the Snakefile's ``onsuccess`` handler, when no job is left to schedule: the
    timers cancelled are those whose function was defined in the ``snakemake`` package (by
    module name, not by the name of any of its private methods); other timers are left alone.
    ``tests/test_workflow.py`` runs a real Snakemake to check that its timers are found.
    """
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer) and _from_snakemake(thread.function):
            thread.cancel()


def _from_snakemake(function: object) -> bool:
    module = str(getattr(function, "__module__", None) or "")
    return module.split(".")[0] == "snakemake"


#: Allocations between two young-generation collections inside :func:`batch_gc`.
BATCH_GC_THRESHOLD = 10_000


@contextmanager
def batch_gc() -> Iterator[None]:
    """Cyclic garbage collection tuned for a long batch of small analyses (a panel chunk).

    Objects that exist on entry (the imported modules of pandas, scipy and the package) are
    frozen, so collections stop walking them, and the youngest generation is collected every
    ``BATCH_GC_THRESHOLD`` allocations instead of every 700. Measured on 100 PDXE models:
    collections took 0.9 s of 14.5 s, 0.06 s with these settings. Reference cycles are still
    collected; the previous settings are restored on exit.
    """
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(BATCH_GC_THRESHOLD, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()

"""Glue shared by ``workflow/scripts/*.py``: logging to the job's log and loading the study.

Scripts stay a few lines long: ``with script_context(snakemake) as study: ...``. Known input
errors (:class:`~xenoflow.errors.XenoflowError`) are logged
as one clear message without a traceback, and the job exits non-zero.
"""

from __future__ import annotations

import logging
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from .config import Study, load_study
from .errors import XenoflowError

log = logging.getLogger("xenoflow")


def _configure_logging(logfile: str | None) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if logfile:
        Path(logfile).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(logfile, mode="w", encoding="utf-8"))
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s",
                        handlers=handlers, force=True)


@contextmanager
def script_context(snakemake: Any, clean_study_dir_on_error: bool = False) -> Iterator[Study]:
    """Load the job's study and route logging to its log file.

    With ``clean_study_dir_on_error`` (the ingest step) a failure removes the study's whole
    results folder, so no stale output from an earlier run survives next to a failed one.
    """
    _configure_logging(snakemake.log[0] if snakemake.log else None)
    try:
        study = load_study(snakemake.input.study, snakemake.params.analysis)
        yield study
    except XenoflowError as exc:
        log.error("%s", exc)
        _clean(snakemake, clean_study_dir_on_error)
        sys.exit(1)
    except Exception:
        log.exception("unexpected error")
        _clean(snakemake, clean_study_dir_on_error)
        raise


def _clean(snakemake: Any, whole_study: bool) -> None:
    if whole_study and getattr(snakemake.params, "study_dir", None):
        shutil.rmtree(snakemake.params.study_dir, ignore_errors=True)

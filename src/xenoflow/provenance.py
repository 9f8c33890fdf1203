"""Provenance of a run: what produced the results, from which inputs.

``provenance.json`` holds the package and dependency versions, the resolved configuration, the
SHA-256 of every input file (study files, measurements, survival tables), the random seed of
each study, and the time of the run. Only ``run_time_utc`` differs between two runs on the same
inputs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any, TypedDict

from .config import Study
from .io import write_text

PACKAGES = [
    "xenoflow",
    "snakemake",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "lifelines",
    "matplotlib",
    "seaborn",
    "openpyxl",
    "jsonschema",
    "pyyaml",
]


class InputFile(TypedDict):
    """An input file: its path (relative to the working directory when inside it) and the
    SHA-256 of its bytes."""

    path: str
    sha256: str


class StudyInputs(TypedDict):
    """What a study's results were computed from: its seed, whether its data are synthetic,
    and its input files by kind (``study_file``, ``data``, ``survival_data``,
    ``body_weight_data``)."""

    seed: int
    synthetic: bool
    files: dict[str, InputFile]


class StudyProvenance(TypedDict):
    """The provenance a study's report shows: software versions and the study's inputs."""

    versions: dict[str, str]
    inputs: StudyInputs


class RunProvenance(TypedDict):
    """``provenance.json`` of a run."""

    run_time_utc: str
    versions: dict[str, str]
    config: dict[str, Any]
    studies: dict[str, StudyInputs]


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path.resolve())


def study_inputs(study: Study, base: Path) -> StudyInputs:
    files = {"study_file": study.path, "data": study.data}
    if study.survival_data:
        files["survival_data"] = study.survival_data
    if study.body_weight_data:
        files["body_weight_data"] = study.body_weight_data
    return {
        "seed": study.settings["seed"],
        "synthetic": study.synthetic,
        "files": {k: {"path": _relative(p, base), "sha256": sha256(p)} for k, p in files.items()},
    }


def provenance(
    config: Mapping[str, Any],
    studies: Mapping[str, Study],
    base: Path,
    now: dt.datetime | None = None,
) -> RunProvenance:
    now = now or dt.datetime.now(dt.UTC)
    return {
        "run_time_utc": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "versions": versions(),
        "config": dict(config),
        "studies": {sid: study_inputs(s, base) for sid, s in sorted(studies.items())},
    }


def write_provenance(record: RunProvenance, path: str | Path) -> None:
    write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n", path)

"""What the Snakefile needs of a panel when it is parsed: its chunks and their models.

Parsing the Snakefile reads YAML only (every ``snakemake -n``, ``--lint`` and cluster job parses
it): this module imports no pandas, NumPy or SciPy, and the model ids of a panel (which need
its whole measurement file, :func:`xenoflow.panelunits.panel_units`) come from a small manifest,
``.snakemake/xenoflow/panels/<study_id>.json``, written the first time the panel is seen and
used while its key holds: the study (its file's text and settings), the measurement file's (and recorded survival
table's) size and modification time, and the package code (:func:`code_hash`). Any change to
one of those reads the panel file again, and so raises its errors (a bad ``exclude`` row, two
models with one unit id) on every parse until they are fixed: a manifest is written only
after a successful read.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from . import __version__
from .config import Study

#: A chunk's tables: name in ``chunk_<i>.<name>.tsv`` -> registry table.
CHUNK_TABLES = {
    "curves": "panel_curves",
    "summary": "panel_summary",
    "qc": "panel_qc",
    "manifest": "panel_manifest",
}
#: Default number of chunk jobs per panel (config key ``panel_chunks``): every chunk pays one
#: start-up (~1.5 s: Python, pandas, scipy) and one read of the panel file, so few chunks are
#: cheapest; four keep two cores busy to the end (longest first, see panel.smk). On a cluster,
#: raise it.
DEFAULT_CHUNKS = 4
#: Where the manifests of the panels' model ids are kept (relative to the working directory).
MANIFEST_DIR = ".snakemake/xenoflow/panels"


def chunk_of(unit: str, n_chunks: int) -> int:
    """Chunk (0-based) of a unit: SHA-256 of its id modulo ``n_chunks`` (stable across runs
    and independent of the other models)."""
    return int(hashlib.sha256(unit.encode()).hexdigest(), 16) % n_chunks


def chunks(units: Iterable[str], n_chunks: int) -> list[list[str]]:
    """Units of each chunk, in input order; empty chunks are dropped."""
    out: list[list[str]] = [[] for _ in range(n_chunks)]
    for unit in units:
        out[chunk_of(unit, n_chunks)].append(unit)
    return [c for c in out if c]


def code_hash() -> str:
    """SHA-256 of the package's source files, its schemas and report templates (a code
    change invalidates the panel cache, and reruns every study's jobs: a rule parameter)."""
    h = hashlib.sha256(__version__.encode())
    root = Path(__file__).parent
    for path in sorted(p for ext in ("py", "yaml", "j2") for p in root.rglob(f"*.{ext}")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _stat(path: Path | None) -> list[int] | None:
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def manifest_key(study: Study, code: str) -> str:
    """What a panel's model ids depend on (module docstring), as one SHA-256."""
    record = {
        "study": repr(study),  # the study file's keys and the run's analysis defaults
        "study_file": study.path.read_text(encoding="utf-8"),
        "data": [str(study.data), _stat(study.data)],
        "survival_data": [str(study.survival_data), _stat(study.survival_data)],
        "code": code,
    }
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def unit_ids(studies: Iterable[Study], folder: str | Path = MANIFEST_DIR) -> dict[str, list[str]]:
    """Panel study id -> the unit ids of its models, in the panel's order: from the panel's
    manifest while its key holds, else from its measurement file (manifest then written)."""
    out: dict[str, list[str]] = {}
    code = ""
    for study in studies:
        code = code or code_hash()
        key = manifest_key(study, code)
        path = Path(folder) / f"{study.study_id}.json"
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = {}
        if record.get("key") == key and isinstance(record.get("units"), list):
            out[study.study_id] = [str(u) for u in record["units"]]
            continue
        from .panelunits import panel_units  # pandas: only when the manifest is stale

        out[study.study_id] = list(panel_units(study))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"key": key, "units": out[study.study_id]}), encoding="utf-8")
        os.replace(tmp, path)
    return out

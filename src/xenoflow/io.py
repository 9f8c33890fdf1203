"""Writing and reading the pipeline's files, by the registry's spec (:mod:`xenoflow.tables`).

A table is written as text by its declared dtypes, so reruns are byte-identical: floats with
``FLOAT_FORMAT`` (ten significant digits), integers as integers, booleans as ``True``/``False``,
missing values as empty cells, ``\\n`` line ends, tab-separated with minimal quoting. Text cells
that a spreadsheet would execute as a formula (leading ``=``, ``+``, ``-``, ``@``) get a leading
single quote (OWASP CSV-injection advice); reading removes it again. Line ends inside text
become ``\\n`` (a quoted cell), so every reader sees the same rows.

Reading parses the cells back by the same declared dtypes (:func:`decode`), never by guessing.
:func:`normalise` is encode-then-decode in memory, so a table handed from one stage to the next
in memory (a panel model's stages) equals, by construction, the table the next rule reads from
disk (a study's stages, one rule each).

Every file is written atomically (a temporary file in the same folder, then ``os.replace``), so
an interrupted run never leaves a half-written file; a folder that is itself built under a
temporary name and moved into place whole (a panel model's) can pass ``atomic=False``.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import tables
from .tables import Table

#: Ten significant digits: exact enough for golden-value checks, stable across platforms.
FLOAT_FORMAT = "%.10g"

EXCLUSION_COLUMNS = tables.columns("exclusions")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _process_umask() -> int:
    # os.umask can only be read by setting it; done once, when the module is imported
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: Mode of every file written: what ``open`` gives under the process's umask (0644 under the
#: usual 022), also for atomic writes, whose temporary files ``mkstemp`` makes 0600.
FILE_MODE = 0o666 & ~_process_umask()
_CSV: dict[str, Any] = {"delimiter": "\t", "lineterminator": "\n", "quotechar": '"'}


@contextmanager
def atomic_path(path: str | Path, atomic: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it into place only on success (with
    ``atomic=False``, the path itself)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not atomic:
        yield path
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def neutralise_formula(value: object) -> object:
    """Prefix text that a spreadsheet would read as a formula with ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _is_number(value):
        return "'" + value
    return value


def restore_formula(value: object) -> object:
    """Undo :func:`neutralise_formula`."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


# ---------------------------------------------------------------------------------- encoding


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or value != value


def column_values(df: pd.DataFrame) -> list[list[Any]]:
    """Each column's values as Python scalars (missing: None, NaN or pd.NA), by one
    conversion of the whole frame: boxing a Series per column cost more than the cells of
    the small tables a panel model writes."""
    return df.to_numpy(dtype=object).T.tolist() if len(df) else [[] for _ in df.columns]


def _encode_column(dtype: str, values: list[Any]) -> list[str]:
    if dtype == "float":
        return ["" if _missing(v) else FLOAT_FORMAT % v for v in values]
    if dtype == "int":
        return ["" if _missing(v) else str(int(v)) for v in values]
    if dtype == "bool":
        return ["" if _missing(v) else "True" if v else "False" for v in values]
    # text; a number in a text column (all missing, say) is written as a float would be
    return [
        ""
        if _missing(v)
        else _text_cell(v)
        if isinstance(v, str)
        else FLOAT_FORMAT % v
        if isinstance(v, float)
        else str(v)
        for v in values
    ]


def _text_cell(value: str) -> str:
    # a bare carriage return would end the row for a reader: line ends become \n (quoted)
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return str(neutralise_formula(value))


@dataclass(frozen=True)
class Encoded:
    """A table as text: its spec, header and cells (one list per column), as written."""

    spec: Table
    names: list[str]
    cells: list[list[str]]
    n_rows: int

    def frame(self) -> pd.DataFrame:
        """The table as it reads back (:func:`decode`)."""
        return decode(self.spec, self.names, self.cells, self.n_rows)


class Decoded(Mapping[str, pd.DataFrame]):
    """Tables by name, each decoded from its text (:meth:`Encoded.frame`) when first used: a
    panel model writes ~25 tables, and its cross-model rows need only some of them. The
    mapping of texts may grow after this view is made (the stages add their tables)."""

    def __init__(self, texts: Mapping[str, Encoded]) -> None:
        self._texts = texts
        self._frames: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            self._frames[name] = self._texts[name].frame()
        return self._frames[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)


def _dtype(spec: Table, declared: Mapping[str, str], name: str) -> str:
    return declared[name] if name in declared else spec.column(name).dtype


def encode(spec: Table, df: pd.DataFrame) -> Encoded:
    """``df`` as the text cells :func:`write_table` writes for ``spec``."""
    present = [str(c) for c in df.columns]
    names = tables.checked_columns(spec, present)
    values = dict(zip(present, column_values(df)))
    dtypes = spec.dtypes
    cells = [_encode_column(_dtype(spec, dtypes, n), values[n]) for n in names]
    return Encoded(spec, names, cells, len(df))


def _decode_column(dtype: str, cells: list[str]) -> np.ndarray:
    if dtype == "float":
        return np.array([float(c) if c else np.nan for c in cells], dtype=float)
    if dtype == "int":
        if "" in cells:  # a count that is missing somewhere: float, as pandas would hold it
            return _decode_column("float", cells)
        return np.array([int(c) for c in cells], dtype=np.int64)
    if dtype == "bool":
        if "" in cells:
            return np.array([np.nan if not c else c == "True" for c in cells], dtype=object)
        return np.array([c == "True" for c in cells], dtype=bool)
    return np.array([restore_formula(c) if c else np.nan for c in cells], dtype=object)


def decode(spec: Table, names: list[str], cells: list[list[str]], n_rows: int) -> pd.DataFrame:
    """The table whose header is ``names`` and whose text cells (per column) are ``cells``.

    ``n_rows`` is the row count (every column has that many cells)."""
    dtypes = spec.dtypes
    # a plain dict of equal-length arrays: the constructor's index and column arguments
    # would cost three times as much on the small tables of a panel model
    frame = {n: _decode_column(_dtype(spec, dtypes, n), c) for n, c in zip(names, cells)}
    return pd.DataFrame(frame) if names else pd.DataFrame(index=pd.RangeIndex(n_rows))


def _spec(table: str | Table) -> Table:
    return table if isinstance(table, Table) else tables.table(table)


def normalise(name: str | Table, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` as it reads back after :func:`write_table` (declared dtypes, floats rounded to
    ``FLOAT_FORMAT``, columns in the declared order)."""
    return encode(_spec(name), df).frame()


# ------------------------------------------------------------------------------ tables on disk


def write_encoded(table: Encoded, path: str | Path, atomic: bool = True) -> None:
    """Write an encoded table (:func:`encode`)."""
    with atomic_path(path, atomic) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, **_CSV)
        writer.writerow(table.names)
        writer.writerows(zip(*table.cells))


def write_table(name: str | Table, df: pd.DataFrame, path: str | Path, atomic: bool = True) -> None:
    """Write ``df`` as the registry's table ``name`` (see the module docstring)."""
    write_encoded(encode(_spec(name), df), path, atomic)


def read_table(path: str | Path, name: str | Table | None = None) -> pd.DataFrame:
    """Read the registry's table ``name`` (default: the file's stem) from ``path``."""
    path = Path(path)
    spec = _spec(name or path.stem)
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, **_CSV))
    if not rows:
        raise ValueError(f"{path}: empty file; expected the header of table {spec.name!r}")
    names = rows[0]
    if names != tables.checked_columns(spec, names):
        raise ValueError(f"{path}: columns {names} are not in the order of table {spec.name!r}")
    body = rows[1:]
    cells = [list(c) for c in zip(*body)] if body else [[] for _ in names]
    return decode(spec, names, cells, len(body))


def write_tables(frames: Mapping[str, pd.DataFrame], paths: Any, atomic: bool = True) -> None:
    """Write each table of ``frames`` to its path in ``paths`` (a mapping, or an object with
    one attribute per output name such as ``snakemake.output``)."""
    for name, df in frames.items():
        path = paths[name] if isinstance(paths, Mapping) else getattr(paths, name)
        write_table(name, df, path, atomic)


def read_measurements(path: str | Path) -> pd.DataFrame:
    """Read a validated canonical measurement table (``tables/measurements.tsv``)."""
    return read_table(path, "measurements")


def write_text(text: str, path: str | Path, atomic: bool = True) -> None:
    """Write a text file atomically with ``\\n`` line ends."""
    with atomic_path(path, atomic) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def write_bytes(data: bytes, path: str | Path, atomic: bool = True) -> None:
    """Write a binary file atomically."""
    with atomic_path(path, atomic) as tmp:
        tmp.write_bytes(data)


def write_documents(documents: Mapping[str, str | bytes], paths: Any, atomic: bool = True) -> None:
    """Write text or binary documents (``summary.md``, ``study.xlsx`` ...) to their paths
    (a mapping, or an object with one attribute per output name such as ``snakemake.output``)."""
    for name, content in documents.items():
        path = paths[name] if isinstance(paths, Mapping) else getattr(paths, name)
        if isinstance(content, bytes):
            write_bytes(content, path, atomic)
        else:
            write_text(content, path, atomic)


def write_captions(folder: str | Path, write: bool = True) -> dict[str, str]:
    """Each output's report caption (:func:`xenoflow.tables.caption_rst`) as
    ``folder/<name>.rst``: name -> absolute path.

    The files are written once per version of the captions: ``folder/.digest`` holds the
    SHA-256 of them all, and while it matches, nothing is read or written but that file (the
    Snakefile calls this on every parse). ``write=False`` only returns the paths.
    """
    import hashlib

    folder = Path(folder).resolve()
    texts = {spec.name: tables.caption_rst(spec) for spec in tables.OUTPUTS if spec.caption}
    out = {name: str(folder / f"{name}.rst") for name in texts}
    if not write:
        return out
    digest = hashlib.sha256(repr(sorted(texts.items())).encode()).hexdigest()
    stamp = folder / ".digest"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == digest:
        return out
    for name, text in texts.items():
        path = Path(out[name])
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            write_text(text, path)
    write_text(digest, stamp)
    return out


# ------------------------------------------------------------------------------ small helpers


def empty_frame(columns: Iterable[Any]) -> pd.DataFrame:
    """A frame with these columns and no rows (object columns)."""
    return pd.DataFrame(columns=list(columns))


def empty_table(name: str) -> pd.DataFrame:
    """The registry's table ``name`` without rows: every required column, declared dtypes."""
    spec = tables.table(name)
    names = [c.name for c in spec.columns if not c.optional]
    return decode(spec, names, [[] for _ in names], 0)


def exclusions_frame(rows: Iterable[Any]) -> pd.DataFrame:
    """An exclusions table (``EXCLUSION_COLUMNS``, ``day`` float) from row dicts or tuples."""
    rows = list(rows)
    if not rows:
        return empty_exclusions()
    return pd.DataFrame(rows, columns=EXCLUSION_COLUMNS).astype({"day": float})


def empty_exclusions() -> pd.DataFrame:
    """An exclusions table without rows (``day`` float, the rest text)."""
    return empty_table("exclusions")

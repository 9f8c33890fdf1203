"""Reading and writing the pipeline's tables.

Every table is written the same way so that reruns are byte-identical and an interrupted run
never leaves a half-written file: fixed float formatting (``FLOAT_FORMAT``), ``\\n`` line ends,
missing values as empty cells, and an atomic write (temporary file in the same folder, then
``os.replace``). Text cells that a spreadsheet would execute as a formula (leading ``=``, ``+``,
``-``, ``@``) are prefixed with a single quote (OWASP CSV-injection advice); numbers are never
touched, and :func:`read_tsv` removes the quote again so names survive a round trip.
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

#: Ten significant digits: exact enough for golden-value checks, stable across platforms.
FLOAT_FORMAT = "%.10g"

MEASUREMENT_COLUMNS = ["arm", "mouse_id", "day", "volume_mm3"]
OPTIONAL_MEASUREMENT_COLUMNS = ["length_mm", "width_mm", "body_weight_g"]
EXCLUSION_COLUMNS = ["stage", "arm", "mouse_id", "day", "reason"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


#: True inside :func:`direct_writes`.
_direct = False


@contextmanager
def direct_writes() -> Iterator[None]:
    """While active, :func:`atomic_path` yields the target path itself. For a folder that is
    built under a temporary name and moved into place whole (a panel model's, by
    :func:`xenoflow.panel.analyse_chunk`), a temporary name per file adds nothing but a
    second file-system operation per file."""
    global _direct
    outer, _direct = _direct, True
    try:
        yield
    finally:
        _direct = outer


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it into place only on success (the path
    itself inside :func:`direct_writes`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if _direct:
        yield path
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
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


def _map_where(df: pd.DataFrame, first: tuple[str, ...], fn: Any) -> pd.DataFrame:
    """``df`` with ``fn`` applied to the text cells starting with one of ``first`` (a copy
    only when some cell changes; the scan is a plain loop because it runs on every table)."""
    out = df
    for j, (_, column) in enumerate(df.items()):
        if column.dtype != object:
            continue
        values = column.to_numpy()
        hits = [i for i, v in enumerate(values) if isinstance(v, str) and v.startswith(first)]
        if not hits:
            continue
        if out is df:
            out = df.copy()
        changed = values.copy()
        for i in hits:
            changed[i] = fn(values[i])
        out.isetitem(j, changed)
    return out


def safe_text(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with formula-like text cells neutralised (a copy when any is)."""
    return _map_where(df, _FORMULA_START, neutralise_formula)


def write_tsv(df: pd.DataFrame, path: str | Path) -> None:
    """Write ``df`` as a deterministic TSV, atomically.

    The text is what ``safe_text(df).to_csv(sep="\\t", index=False, float_format=FLOAT_FORMAT,
    lineterminator="\\n", na_rep="")`` writes (checked in ``tests/test_io.py``), produced
    column by column: a panel writes ~30 small tables per model, and ``to_csv``'s set-up
    cost more than the writing.
    """
    typed = _text_columns(df)
    with atomic_path(path) as tmp:
        if typed is None:
            safe_text(df).to_csv(
                tmp,
                sep="\t",
                index=False,
                float_format=FLOAT_FORMAT,
                lineterminator="\n",
                na_rep="",
            )
            if _captured is not None:  # not emulated: read_tsv parses this file
                _captured.pop(_key(path), None)
            return
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(
                handle,
                delimiter="\t",
                lineterminator="\n",
                quotechar='"',
                quoting=csv.QUOTE_MINIMAL,
            )
            writer.writerow(list(df.columns))
            writer.writerows(zip(*typed[1]))
    if _captured is not None:  # read back on demand (captured_table); the cells are new lists
        _captured[_key(path)] = _Written(list(df.columns), len(df), *typed)


@dataclass
class _Written:
    """A table's column names, row count and cells as :func:`write_tsv` wrote them."""

    columns: list[Any]
    n_rows: int
    dtypes: list[Any]
    cells: list[list[Any]]


#: path -> table written (or as read back) while :func:`capture_written` is active.
_captured: dict[str, Any] | None = None


def _key(path: str | Path) -> str:
    return os.path.abspath(path)


@contextmanager
def capture_written() -> Iterator[dict[str, Any]]:
    """While active, :func:`write_tsv` also keeps the cells of each table it writes, and
    :func:`read_tsv` of that path returns the table as it would read it back
    (:func:`xenoflow.readback.as_read`, on the first read) instead of parsing the file: a
    panel model writes ~30 tables and reads many of them back. Yields the store for
    :func:`captured_table`."""
    global _captured
    outer, _captured = _captured, {}
    try:
        yield _captured
    finally:
        _captured = outer


def captured_table(store: dict[str, Any], path: str | Path) -> pd.DataFrame | None:
    """The table written to ``path`` inside :func:`capture_written` (``store``) as
    :func:`read_tsv` reads it; None when it was not written there or the emulation is unsure
    (then parse the file). Not a copy."""
    key = _key(path)
    entry = store.get(key)
    if isinstance(entry, _Written):
        from .readback import as_read

        entry = store[key] = as_read(entry.columns, entry.n_rows, entry.dtypes, entry.cells)
    return entry


class TablesOnDemand(Mapping[str, pd.DataFrame]):
    """Tables by name, each read on first access: from ``store`` (:func:`captured_table`),
    else parsed from its file (``paths``: name -> path). A panel model's 20 tables are all
    read for its workbook, but 14 of them for its cross-model rows alone."""

    def __init__(self, store: dict[str, Any], paths: Mapping[str, str | Path]) -> None:
        self._store = store
        self._paths = dict(paths)
        self._read: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._read:
            path = self._paths[name]
            back = captured_table(self._store, path)
            self._read[name] = back if back is not None else read_tsv(path)
        return self._read[name]

    def __contains__(self, name: object) -> bool:
        return name in self._paths

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


def column_lists(df: pd.DataFrame) -> list[tuple[Any, list[Any]]]:
    """``[(column.dtype, column.tolist()) for _, column in df.items()]``, read from the frame's
    blocks (one ``tolist`` per block): the Series ``items`` builds per column cost more than
    the cells of the small tables a panel model writes. Columns of pandas extension types
    (and frames without the usual block layout) are taken from the columns themselves."""
    out: list[Any] = [None] * len(df.columns)
    for block in getattr(getattr(df, "_mgr", None), "blocks", ()):
        values = block.values
        if isinstance(values, np.ndarray) and values.ndim == 2:
            for j, items in zip(block.mgr_locs.as_array.tolist(), values.tolist()):
                out[j] = (values.dtype, items)
    for j, cell in enumerate(out):
        if cell is None:
            column = df.iloc[:, j]
            out[j] = (column.dtype, column.tolist())
    return out


def _text_columns(df: pd.DataFrame) -> tuple[list[Any], list[list[Any]]] | None:
    """Each column's dtype and cells as ``to_csv`` passes them to the csv writer (floats
    formatted, missing values empty, formula-like text neutralised); None for a frame the
    fast path does not cover (no columns, or a pandas extension dtype)."""
    if not len(df.columns):
        return None
    dtypes, out = [], []
    for dtype, items in column_lists(df):
        if not isinstance(dtype, np.dtype) or dtype.kind not in "fiubO":
            return None
        dtypes.append(dtype)
        if dtype.kind == "f":
            out.append(["" if v != v else FLOAT_FORMAT % v for v in items])
        elif dtype.kind == "O":
            out.append(
                [
                    neutralise_formula(v)
                    if isinstance(v, str)
                    else ""
                    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)
                    else v
                    for v in items
                ]
            )
        else:
            out.append(items)
    return dtypes, out


def write_text(text: str, path: str | Path) -> None:
    """Write a text file atomically with ``\\n`` line ends."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def read_tsv(path: str | Path, **kwargs: object) -> pd.DataFrame:
    """Read a table written by :func:`write_tsv` (ids stay text; numbers correctly rounded,
    which pandas' default float parser is not for large exponents)."""
    if _captured is not None and not kwargs:
        back = captured_table(_captured, path)
        if back is not None:
            return back.copy()
    from .readback import ID_COLUMNS

    options: dict[str, Any] = {
        "dtype": dict.fromkeys(ID_COLUMNS, str),
        "float_precision": "round_trip",
        **kwargs,
    }
    df = pd.read_csv(path, sep="\t", **options)
    return _map_where(df, ("'",), restore_formula)


def read_measurements(path: str | Path) -> pd.DataFrame:
    """Read a validated canonical measurement table (``tables/measurements.tsv``)."""
    return read_tsv(path)


def exclusions_frame(rows: Iterable[Any]) -> pd.DataFrame:
    """An exclusions table (``EXCLUSION_COLUMNS``, ``day`` float) from row dicts or tuples."""
    rows = list(rows)
    if not rows:
        return empty_exclusions()
    return pd.DataFrame(rows, columns=EXCLUSION_COLUMNS).astype({"day": float})


_EMPTY: dict[tuple[Any, ...], pd.DataFrame] = {}


def empty_frame(columns: Iterable[Any]) -> pd.DataFrame:
    """``pd.DataFrame(columns=columns)`` (object columns, no rows), as a copy of one built
    once per column list: pandas' constructor takes ~0.7 ms for 15 columns, a copy 10 µs, and
    every panel model has a few header-only tables."""
    key = tuple(columns)
    if key not in _EMPTY:
        _EMPTY[key] = pd.DataFrame(columns=list(key))
    return _EMPTY[key].copy()


_EMPTY_EXCLUSIONS: pd.DataFrame | None = None


def empty_exclusions() -> pd.DataFrame:
    """An exclusions table without rows (``day`` float, the rest text); a copy of one built
    once, since most stages of most studies exclude nothing."""
    global _EMPTY_EXCLUSIONS
    if _EMPTY_EXCLUSIONS is None:
        _EMPTY_EXCLUSIONS = pd.DataFrame(
            {c: pd.Series(dtype=object if c != "day" else float) for c in EXCLUSION_COLUMNS}
        )
    return _EMPTY_EXCLUSIONS.copy()

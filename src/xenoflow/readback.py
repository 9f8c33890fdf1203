"""A written table as :func:`xenoflow.io.read_tsv` would read it back, without parsing the file.

A panel model writes ~30 small tables and then reads them all back for its summary, workbook
and cross-model rows, so that a model's outputs are exactly a study's (whose summary rule reads
the files). Parsing them cost ~20% of a model's time, almost all of it ``read_csv``'s fixed
cost per call. :func:`as_read` gives the same frame from the cells just written, following
``pandas.read_csv``'s rules for the options :func:`~xenoflow.io.read_tsv` uses:

* id columns (``ID_COLUMNS``) stay text; any other column is int64 when every cell is an
  integer, float64 when every non-missing cell is a number (all missing: float64 NaN), bool
  when every cell is ``True``/``False`` (object with NaN when some are missing), else text;
* the cells in ``NA_TEXT`` (pandas' default ``na_values``) are missing;
* a table without rows has object columns;
* floats are parsed correctly rounded (``float_precision="round_trip"``, as read_tsv does);
* text cells lose the quote that :func:`~xenoflow.io.neutralise_formula` added.

Where a rule is uncertain (number-like text with surrounding spaces, control characters,
duplicate or blank column names, very long integers) :func:`as_read` returns None and the caller reads the file.
``tests/test_readback.py`` checks it against ``read_tsv`` on random tables and on every table
of a panel model.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from .io import restore_formula

#: Columns that read_tsv reads as text whatever they hold.
ID_COLUMNS = ("arm", "mouse_id", "reference", "study_id", "model", "unit_id")
#: pandas' default missing-value strings (``pandas._libs.parsers.STR_NA_VALUES``).
NA_TEXT = frozenset(
    [
        "",
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "-NaN",
        "-nan",
        "1.#IND",
        "1.#QNAN",
        "<NA>",
        "N/A",
        "NA",
        "NULL",
        "NaN",
        "None",
        "n/a",
        "nan",
        "null",
    ]
)
_INT = re.compile(r"[+-]?[0-9]{1,18}").fullmatch
#: Integers of 19 digits or more: read_csv makes them int64, uint64, float or text by value.
_LONG_INT = re.compile(r"[+-]?[0-9]{19,}").fullmatch
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?").fullmatch
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f]").search
_INFINITY = frozenset(["inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"])
_BOOL = {"True": True, "TRUE": True, "true": True, "False": False, "FALSE": False, "false": False}


class Unsure(Exception):
    """A cell whose reading is not certain: read the file instead."""


def as_read(
    columns: list[Any], n_rows: int, dtypes: list[np.dtype], cells: list[list[Any]]
) -> pd.DataFrame | None:
    """A table of ``n_rows`` rows, named ``columns`` and of ``dtypes``, as read back from the
    TSV whose cells (per column, as handed to the csv writer by :func:`xenoflow.io.write_tsv`)
    are ``cells``; None when unsure."""
    names = [str(c) for c in columns]
    if len(set(names)) < len(names) or any(not n.strip() or n != n.strip() for n in names):
        return None
    if not n_rows:
        return pd.DataFrame(np.empty((0, len(names)), dtype=object), columns=names)
    try:
        columns = [_column(n, dtype, column) for n, dtype, column in zip(names, dtypes, cells)]
    except Unsure:
        return None
    return _frame(names, columns, n_rows)


def _frame(names: list[str], columns: list[np.ndarray], n_rows: int) -> pd.DataFrame:
    """``pd.DataFrame(dict(zip(names, columns)))`` for fresh 1-D arrays of ``n_rows`` values
    and unique names: the constructor's checks and copies cost more than the table (~30 per
    panel model), so the frame is built from the arrays directly when pandas offers it."""
    build = getattr(pd.DataFrame, "_from_arrays", None)
    if build is None:  # pragma: no cover - pandas without the classmethod
        return pd.DataFrame(dict(zip(names, columns)))
    return build(
        columns, columns=pd.Index(names), index=pd.RangeIndex(n_rows), verify_integrity=False
    )


def _column(name: str, dtype: np.dtype, cells: list[Any]) -> Any:
    if name not in ID_COLUMNS:
        if dtype.kind == "i":  # written as the integers themselves
            return np.asarray(cells, dtype=np.int64)
        if dtype.kind == "b":
            return np.asarray(cells, dtype=bool)
        if dtype.kind == "f":  # '%.10g' numbers and '' (missing) only
            return _numbers(cells)
    text = [c if type(c) is str else str(c) for c in cells]
    if _CONTROL("\n".join(text)):
        raise Unsure  # read_csv ends a cell at NUL; carriage returns vary
    if name in ID_COLUMNS:
        return _text(text)
    return _inferred(text)


def _text(text: list[str]) -> np.ndarray:
    return np.array(
        [np.nan if c in NA_TEXT else c if c[:1] != "'" else restore_formula(c) for c in text],
        dtype=object,
    )


def _numbers(text: list[str]) -> np.ndarray:
    if "" not in text and all(map(_INT, text)):
        return np.array([int(c) for c in text], dtype=np.int64)
    return _checked(np.array([float(c) if c else np.nan for c in text]), text)


def _floats(text: list[str], missing: list[bool]) -> np.ndarray:
    return _checked(np.array([np.nan if m else float(c) for c, m in zip(text, missing)]), text)


def _checked(values: np.ndarray, text: list[str]) -> np.ndarray:
    extreme = np.isinf(values) | (values == 0)
    if extreme.any() and any(_out_of_range(c) for c, x in zip(text, extreme) if x):
        raise Unsure  # beyond the double range: read_csv keeps such a column as text
    return values


def _out_of_range(cell: str) -> bool:
    """A number that overflows to infinity or underflows to zero."""
    if cell.lower() in _INFINITY:
        return False
    mantissa = cell.lower().split("e")[0]
    return np.isinf(float(cell)) or any(d in mantissa for d in "123456789")


def _inferred(text: list[str]) -> Any:
    missing = [c in NA_TEXT for c in text]
    present = [c for c, m in zip(text, missing) if not m]
    if not present:
        return np.full(len(text), np.nan)
    if any(c != c.strip() for c in present):
        raise Unsure  # pandas reads ' 5' as the number 5
    if all(map(_INT, present)):
        if not any(missing):
            return np.array([int(c) for c in text], dtype=np.int64)
        if all(len(c.lstrip("+-")) <= 15 for c in present):
            return np.array([np.nan if m else float(c) for c, m in zip(text, missing)])
        raise Unsure
    if any(map(_LONG_INT, present)):
        raise Unsure
    if all(_FLOAT(c) or c.lower() in _INFINITY for c in present):
        return _floats(text, missing)
    if all(c in _BOOL for c in present):
        if not any(missing):
            return np.array([_BOOL[c] for c in text], dtype=bool)
        return np.array([np.nan if m else _BOOL[c] for c, m in zip(text, missing)], dtype=object)
    return np.array(
        [np.nan if m else c if c[:1] != "'" else restore_formula(c) for c, m in zip(text, missing)],
        dtype=object,
    )

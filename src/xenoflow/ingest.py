"""Read tumour-measurement files into the canonical long table and validate them.

Canonical table: ``arm, mouse_id, day, volume_mm3`` (+ ``length_mm, width_mm, body_weight_g``
when present). A mouse is the pair (arm, mouse_id) because lab sheets number mice 1..8 in every
arm. Supported layouts (``format`` in the study file, inferred when absent):

* **long** – one row per mouse and day with a volume column;
* **caliper** – long, with caliper length L and width W (mm) instead of a volume; the volume is
  computed with the configured formula (``half_lw2``: V = L·W²/2, the modified ellipsoid of
  Euhus et al. 1986 / Tomayko & Reynolds 1989; ``ellipsoid``: V = π/6·L·W²) and the formula is
  recorded in the warnings table;
* **wide** – one row per mouse, one column per day (GraphPad Prism / TumGrowth layout); an empty
  cell means "not measured".

Long and caliper files may give calendar dates instead of study days (a ``date`` column): the
study day is the date minus ``day0`` (default: the first date in the rows read) in days.

Files: ``.csv``/``.tsv``/``.txt`` (delimiter detected from the header line among ``,`` ``;``
tab) and ``.xlsx``. Every cell is read as text and parsed here, so each problem is reported
with the file, the row as numbered in the file (the first row is 1), the column, and what was
expected. Zero volumes are legal (complete regression) and kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from dataclasses import dataclass
from itertools import compress
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import visits
from .config import Study
from .errors import ConfigError, InputError
from .io import EXCLUSION_COLUMNS, empty_exclusions, empty_frame
from .refday import choose_reference_day
from .tables import table

_MEASUREMENTS = table("measurements").columns
MEASUREMENT_COLUMNS = [c.name for c in _MEASUREMENTS if not c.optional]
OPTIONAL_MEASUREMENT_COLUMNS = [c.name for c in _MEASUREMENTS if c.optional]

#: Caliper formulas: name -> (factor on L·W², human-readable definition).
CALIPER_FORMULAS = {
    "half_lw2": (0.5, "V = L*W^2/2"),
    "ellipsoid": (math.pi / 6, "V = pi/6*L*W^2"),
}
WARNING_COLUMNS = table("warnings").column_names
_MAX_LISTED = 3
_DAY_HEADER = re.compile(r"^\s*(?:day|d)?[\s_]*(-?\d+(?:[.,]\d+)?)\s*$", re.IGNORECASE)


@dataclass
class Ingested:
    """Result of reading one study: the canonical table and what was left out or noticed."""

    measurements: pd.DataFrame
    exclusions: pd.DataFrame
    warnings: pd.DataFrame


@dataclass
class RawTable:
    """Cells as text, with the file's row number of each record (the file's first row is 1)."""

    frame: pd.DataFrame
    rows: np.ndarray
    path: Path

    def where(self, position: int, column: str) -> str:
        return f"{self.path.name}: row {self.rows[position]}, column '{column}'"


# --------------------------------------------------------------------------------------------
# Reading cells


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{path}: row {line}: byte 0x{raw[exc.start]:02x} is not UTF-8 text; save the file "
            "as UTF-8 (e.g. 'CSV UTF-8' in Excel); latin-1 files with µ or ³ are the usual cause"
        ) from None
    if not text.strip():
        raise InputError(f"{path}: the file is empty (expected a header row and data rows)")
    return text


def _delimiter(path: Path, header: str) -> str:
    if path.suffix.lower() == ".tsv":
        return "\t"
    counts = {d: header.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _grid_from_text(path: Path, header_row: int = 1) -> tuple[list[list[str]], bool]:
    """Rows of cells, and whether any cell may have surrounding whitespace to strip; the
    delimiter is the one the header line (file row ``header_row``) uses most."""
    text = _decode(path)
    if header_row == 1:
        header = (text.partition("\n")[0].splitlines() or [""])[0]  # text.splitlines()[0]
    else:
        lines = text.splitlines()
        header = lines[header_row - 1] if len(lines) >= header_row else ""
    delimiter = _delimiter(path, header)
    if '"' not in text and "\x00" not in text and text.count("\r") == text.count("\r\n"):
        # Without quotes (which let a cell hold delimiters and line ends), NUL and lone
        # carriage returns (errors to csv), csv.reader only splits each line at the
        # delimiter; doing that directly saves ~0.2 s per read of a 70,000-line panel file.
        lines = text.replace("\r\n", "\n").split("\n")
        if lines[-1] == "":  # csv gives no row after the last line end
            lines.pop()
        rows = [line.split(delimiter) if line else [] for line in lines]
        return rows, _edge_space(text, delimiter)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows = [row for row in reader]
    except csv.Error as exc:
        raise InputError(
            f"{path}: row {reader.line_num}: cannot be read as delimited text "
            f"({exc}); save the file again as CSV"
        ) from None
    return rows, '"' in text or _edge_space(text, delimiter)


#: Whitespace that is not a line end (nor, in a TSV file, the delimiter).
_SPACE = {d: re.compile(r"[^\S\n\r\t]" if d == "\t" else r"[^\S\n\r]") for d in ",;\t"}


def _edge_space(text: str, delimiter: str) -> bool:
    """Whether some whitespace is next to a delimiter, a line end or the file's ends. Without
    quotes (which let a cell hold delimiters and line ends) these are the only places where a
    cell's own leading or trailing whitespace can be: one scan of the text instead of
    stripping every cell of a panel's tens of thousands of rows. (A regular expression with
    those alternatives took 0.12 s on a 70,000-line file; the whitespace is found first.)"""
    edges = {delimiter, "\n", "\r"}
    last = len(text) - 1
    for match in _SPACE[delimiter].finditer(text):
        i = match.start()
        if i == 0 or i == last or text[i - 1] in edges or text[i + 1] in edges:
            return True
    return False


def _excel_cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _grid_from_excel(path: Path, sheet: str | int | None) -> list[list[str]]:
    try:
        frame = pd.read_excel(
            path, sheet_name=sheet if sheet is not None else 0, header=None, dtype=object
        )
    except ValueError as exc:
        raise InputError(f"{path}: cannot read sheet {sheet!r}: {exc}") from None
    return [[_excel_cell(v) for v in row] for row in frame.itertuples(index=False)]


def read_grid(path: Path, sheet: str | int | None = None, header_row: int = 1) -> list[list[str]]:
    """All cells of a file as stripped text, rows as in the file (row ``header_row`` holds
    the column names)."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        grid = [list(map(str.strip, row)) for row in _grid_from_excel(path, sheet)]
    elif path.suffix.lower() in (".xls",):
        raise InputError(f"{path}: old .xls workbooks are not supported; save as .xlsx or CSV")
    else:
        grid, spaced = _grid_from_text(path, header_row)
        if spaced:
            grid = [list(map(str.strip, row)) for row in grid]
    if len(grid) < header_row or not any(grid[header_row - 1]):
        where = "the file is empty" if header_row == 1 else f"row {header_row} is empty"
        raise InputError(
            f"{path}: {where} (expected the column names there ('header_row: {header_row}') "
            "and data rows below)"
        )
    return grid


def raw_table(
    path: Path,
    sheet: str | int | None = None,
    header_row: int = 1,
    skip_rows: tuple[int, ...] = (),
) -> tuple[list[str], RawTable]:
    """Header cells (file row ``header_row``) and a text frame of the data rows below it
    (blank rows and ``skip_rows`` dropped, the file's row numbers kept)."""
    grid = read_grid(path, sheet, header_row)
    header = grid[header_row - 1]
    _check_header(path, header, header_row)
    width = len(header)
    body = grid[header_row:]
    for row in skip_rows:  # emptied, so that they go as blank rows do
        if row - 1 < len(grid):
            body[row - 1 - header_row] = []
    first = header_row + 1
    if body and all(n == width for n in map(len, body)):  # the usual file: C-level passes
        keep = list(map(any, body))
        records = list(compress(body, keep))
        rows = list(compress(range(first, len(body) + first), keep))
    else:
        records, rows = _padded_rows(path, body, width, first)
    if not records:
        raise InputError(f"{path}: only a header row, no measurements")
    frame = pd.DataFrame(records, columns=range(width), dtype=object)
    return header, RawTable(frame=frame, rows=np.array(rows), path=path)


def _padded_rows(
    path: Path, body: list[list[str]], width: int, first: int = 2
) -> tuple[list[list[str]], list[int]]:
    """Non-blank rows padded to ``width`` cells, and their row numbers in the file (the first
    body row is row ``first``)."""
    records, rows = [], []
    for i, row in enumerate(body, start=first):
        if not any(row):
            continue
        if len(row) > width and any(row[width:]):
            raise InputError(
                f"{path.name}: row {i}: {len(row)} cells but the header has {width} columns "
                "(a value with an unquoted delimiter, or the wrong delimiter?)"
            )
        records.append(row if len(row) == width else (row + [""] * width)[:width])
        rows.append(i)
    return records, rows


def _check_header(path: Path, header: list[str], row: int = 1) -> None:
    for j, name in enumerate(header):
        if not name:
            raise InputError(
                f"{path.name}: row {row}, column {j + 1}: empty header cell (merged header "
                f"cells in a spreadsheet are read this way); give every column one name in "
                f"row {row}"
            )
    seen: dict[str, int] = {}
    for j, name in enumerate(header):
        if name in seen:
            raise InputError(
                f"{path.name}: row {row}: column name '{name}' appears twice (columns "
                f"{seen[name] + 1} and {j + 1}); each column needs a unique name"
            )
        seen[name] = j


# --------------------------------------------------------------------------------------------
# Parsing values


def _to_number(text: str, decimal_comma: bool) -> float | None:
    """Parse one cell; None if it is not a number. Empty text is NaN."""
    if text == "":
        return float("nan")
    if decimal_comma:
        # "12,5" -> 12.5; a cell that also holds a dot ("1.234,5") is rejected, not guessed.
        if "." in text:
            return None
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_numeric(
    table: RawTable, column_pos: int, column_name: str, expected: str, decimal_comma: bool
) -> np.ndarray:
    """Parse a text column to floats; raise one InputError listing the bad cells."""
    values = np.empty(len(table.frame))
    bad = []
    for i, text in enumerate(table.frame[column_pos]):
        value = _to_number(text, decimal_comma)
        if value is None:
            bad.append(i)
            value = float("nan")
        values[i] = value
    if bad:
        first = table.frame[column_pos].iloc[bad[0]]
        hint = ""
        if any("," in table.frame[column_pos].iloc[i] for i in bad) and not decimal_comma:
            hint = "; the file seems to use decimal commas: set 'decimal_comma: true' in the study file"
        more = f" (and {len(bad) - 1} more cells)" if len(bad) > 1 else ""
        raise InputError(
            f"{table.where(bad[0], column_name)}: '{first}' is not a number; expected "
            f"{expected}{more}{hint}"
        )
    return values


#: An ISO date, with an optional time of day (as Excel date cells are read).
_ISO_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")


def _to_date(text: str, date_format: str | None) -> dt.date | None:
    try:
        if date_format:
            return dt.datetime.strptime(text, date_format).date()
        match = _ISO_DATE.fullmatch(text)
        return dt.date.fromisoformat(match.group(1)) if match else None
    except ValueError:  # not the format, or no such day (2024-02-30)
        return None


def parse_dates(
    table: RawTable, column_pos: int, column_name: str, date_format: str | None
) -> list[dt.date]:
    """Parse a text column of calendar dates; raise one InputError naming the first bad cell."""
    dates: list[dt.date] = []
    bad = []
    for i, text in enumerate(table.frame[column_pos]):
        value = _to_date(text, date_format)
        if value is None:
            bad.append(i)
        else:
            dates.append(value)
    if bad:
        first = table.frame[column_pos].iloc[bad[0]]
        more = f" (and {len(bad) - 1} more cells)" if len(bad) > 1 else ""
        expected = (
            f"a date written as '{date_format}' (the study's date_format)"
            if date_format
            else "a date as YYYY-MM-DD (or set 'date_format' in the study file, e.g. '%d/%m/%Y')"
        )
        raise InputError(
            f"{table.where(bad[0], column_name)}: '{first}' is not a date{more}; expected {expected}"
        )
    return dates


def study_days(dates: list[dt.date], day0: dt.date | None) -> np.ndarray:
    """Study day of each date: calendar days since ``day0`` (default: the earliest date)."""
    start = day0 if day0 is not None else min(dates, default=None)
    return np.array([float((d - start).days) for d in dates]) if start else np.empty(0)


def uses_dates(study: Study, located: dict[str, int]) -> bool:
    """Whether days come from a ``date`` column: the study file says so (``day0``,
    ``date_format`` or a ``date`` mapping), or the file has dates and no day column."""
    if study.day0 is not None or study.date_format or "date" in study.columns:
        return True
    return "day" not in located and "date" in located


def _dates_note(study: Study, source: Source, table: RawTable) -> str:
    if not uses_dates(study, source.located) or "date" not in source.located:
        return ""
    name = source.names["date"]
    if study.day0 is not None:
        return f"study days computed from column '{name}': day 0 = {study.day0} (day0)"
    dates = parse_dates(table, source.located["date"], name, study.date_format)
    first = min(dates, default=None)
    return f"study days computed from column '{name}': day 0 = {first}, its first date"


# --------------------------------------------------------------------------------------------
# Layouts


def _column_names(study: Study) -> dict[str, str]:
    """Canonical name -> name in the file."""
    names = {c: c for c in [*MEASUREMENT_COLUMNS, *OPTIONAL_MEASUREMENT_COLUMNS, "date"]}
    names.update(study.columns)
    return names


def _locate(header: list[str], names: dict[str, str], study: Study) -> dict[str, int]:
    """Position of each canonical column present in the file (case-insensitive match). Every
    column the study file maps that the header lacks is named in one error."""
    lower = {h.lower(): j for j, h in enumerate(header)}
    found = {c: lower[n.lower()] for c, n in names.items() if n.lower() in lower}
    absent = [(c, n) for c, n in names.items() if c not in found and c in study.columns]
    if absent:
        what, verb = ("column", "is") if len(absent) == 1 else ("columns", "are")
        listed = ", ".join(f"'{n}' (mapped to '{c}')" for c, n in absent)
        raise InputError(
            f"{study.data.name}: row {study.header_row}: {what} {listed} by the study file's 'columns' {verb} "
            f"not in the header; the header has: {', '.join(header)}"
        )
    return found


def _day_headers(header: list[str], skip: set[int]) -> dict[int, float]:
    days = {}
    for j, name in enumerate(header):
        if j in skip:
            continue
        m = _DAY_HEADER.match(name)
        if m:
            days[j] = float(m.group(1).replace(",", "."))
    return days


def infer_format(header: list[str], located: dict[str, int]) -> str:
    """long when there is a volume column, caliper with length and width, wide with day headers."""
    timed = "day" in located or "date" in located
    if "volume_mm3" in located and timed:
        return "long"
    if {"length_mm", "width_mm"} <= located.keys() and timed:
        return "caliper"
    if _day_headers(header, set(located.values())):
        return "wide"
    return "long"


def _require(
    study: Study,
    located: dict[str, int],
    needed: list[str],
    fmt: str,
    names: dict[str, str],
    header: list[str],
) -> None:
    missing = [names[c] for c in needed if c not in located]
    if missing:
        raise InputError(
            f"{study.data.name}: row {study.header_row}: missing column(s) {', '.join(repr(m) for m in missing)} "
            f"for the {fmt} format; the header has: {', '.join(header)}. Rename the columns or "
            "map them with 'columns:' in the study file"
        )


def _text_column(table: RawTable, pos: int, name: str, what: str) -> pd.Series:
    values = table.frame[pos].astype(str)
    empty = np.flatnonzero(values.to_numpy() == "")
    if len(empty):
        raise InputError(f"{table.where(empty[0], name)}: empty cell; expected {what}")
    return values.map(_normalise_id)


def _normalise_id(text: str) -> str:
    # Spreadsheets turn mouse 1 into 1.0; ids are text.
    return text[:-2] if re.fullmatch(r"-?\d+\.0", text) else text


def read_long(
    study: Study,
    header: list[str],
    table: RawTable,
    located: dict[str, int],
    names: dict[str, str],
    fmt: str,
) -> pd.DataFrame:
    dated = uses_dates(study, located)
    needed = ["arm", "mouse_id", "date" if dated else "day"] + (
        ["length_mm", "width_mm"] if fmt == "caliper" else ["volume_mm3"]
    )
    _require(study, located, needed, fmt, names, header)
    out = pd.DataFrame(
        {
            "arm": _text_column(
                table, located["arm"], names["arm"], "the arm (treatment group) name"
            ),
            "mouse_id": _text_column(table, located["mouse_id"], names["mouse_id"], "a mouse id"),
        }
    )
    if dated:
        dates = parse_dates(table, located["date"], names["date"], study.date_format)
        out["day"] = study_days(dates, study.day0)
    else:
        out["day"] = parse_numeric(
            table, located["day"], names["day"], "the day of measurement", study.decimal_comma
        )
    expectations = {
        "volume_mm3": "a tumour volume in mm^3 (empty cell = not measured)",
        "length_mm": "a caliper length in mm",
        "width_mm": "a caliper width in mm",
        "body_weight_g": "a body weight in g",
    }
    for canonical, expected in expectations.items():
        if canonical in located:
            out[canonical] = parse_numeric(
                table, located[canonical], names[canonical], expected, study.decimal_comma
            )
    out["_row"] = table.rows
    return out


def read_wide(
    study: Study, header: list[str], table: RawTable, located: dict[str, int], names: dict[str, str]
) -> pd.DataFrame:
    _require(study, located, ["arm", "mouse_id"], "wide", names, header)
    long = _wide_cells(
        table,
        header,
        (located["arm"], located["mouse_id"]),
        names,
        study.header_row,
        study.decimal_comma,
        ("volume_mm3", "a tumour volume in mm^3 (empty = not measured)"),
    )
    # Empty cells in a wide table mean "not measured", not a dropped value.
    return long[long["volume_mm3"].notna()].drop(columns="_column").reset_index(drop=True)


def _wide_cells(
    table: RawTable,
    header: list[str],
    id_pos: tuple[int, int],
    names: dict[str, str],
    header_row: int,
    decimal_comma: bool,
    value: tuple[str, str],
) -> pd.DataFrame:
    """Every day cell of a wide table (one row per mouse, one column per day) as long rows
    ``arm, mouse_id, day, <value>, _row, _column`` (empty cell: missing value); ``value`` is
    the canonical name and what a cell is expected to hold."""
    name = table.path.name
    days = _day_headers(header, set(id_pos))
    if not days:
        raise InputError(
            f"{name}: row {header_row}: no day columns found for the wide format; expected "
            "headers such as '0', '7', 'Day 14' after the arm and mouse columns"
        )
    _check_repeated_days(name, header_row, header, days)
    unknown = set(range(len(header))) - set(id_pos) - set(days)
    arm = _text_column(table, id_pos[0], names["arm"], "the arm (treatment group) name")
    mouse = _text_column(table, id_pos[1], names["mouse_id"], "a mouse id")
    pieces = []
    for j, day in days.items():
        cells = parse_numeric(table, j, header[j], value[1], decimal_comma)
        pieces.append(
            pd.DataFrame(
                {
                    "arm": arm,
                    "mouse_id": mouse,
                    "day": day,
                    value[0]: cells,
                    "_row": table.rows,
                    "_column": header[j],
                }
            )
        )
    if unknown:
        ignored = ", ".join(header[j] for j in sorted(unknown))
        raise InputError(
            f"{name}: row {header_row}: column(s) {ignored} are neither the arm, the mouse id "
            "nor a day; day headers must be numbers such as '0', '7' or 'Day 14'"
        )
    return pd.concat(pieces, ignore_index=True)


def _check_repeated_days(
    name: str, header_row: int, header: list[str], days: dict[int, float]
) -> None:
    seen: dict[float, int] = {}
    for j, day in days.items():
        if day in seen:
            raise InputError(
                f"{name}: row {header_row}: day {day:g} appears in two columns "
                f"('{header[seen[day]]}', column {seen[day] + 1}, and '{header[j]}', column "
                f"{j + 1}); each day must be one column"
            )
        seen[day] = j


def read_wide_weights(study: Study, names: dict[str, str]) -> pd.DataFrame:
    """The weighings of a study's ``body_weight_data`` file (a wide table laid out as its
    data file: the same arm and mouse columns, one column per day, grams; header on the
    first row): ``arm, mouse_id, day, body_weight_g, _where`` (``_where`` names the file, row
    and column of each cell); empty cells (not weighed) are left out."""
    path = study.body_weight_data
    assert path is not None
    header, table = raw_table(path)
    lower = {h.lower(): j for j, h in enumerate(header)}
    missing = [names[c] for c in ("arm", "mouse_id") if names[c].lower() not in lower]
    if missing:
        raise InputError(
            f"{path.name}: row 1: missing column(s) {', '.join(repr(m) for m in missing)} "
            f"(the arm and mouse columns of {study.data.name}); the header has: "
            f"{', '.join(header)}"
        )
    id_pos = (lower[names["arm"].lower()], lower[names["mouse_id"].lower()])
    cells = _wide_cells(
        table,
        header,
        id_pos,
        names,
        1,
        study.decimal_comma,
        ("body_weight_g", "a body weight in g (empty = not weighed)"),
    )
    _check_one_row_per_mouse(table, cells, names)
    cells = cells[cells["body_weight_g"].notna()]
    where = [
        f"{path.name}: row {r}, column '{c}'"
        for r, c in zip(cells["_row"].tolist(), cells["_column"].tolist(), strict=True)
    ]
    return cells.drop(columns=["_row", "_column"]).assign(_where=where).reset_index(drop=True)


def _check_one_row_per_mouse(table: RawTable, cells: pd.DataFrame, names: dict[str, str]) -> None:
    mice = cells.drop_duplicates("_row")
    dup = mice.duplicated(["arm", "mouse_id"], keep=False).to_numpy()
    if dup.any():
        first = mice[dup].iloc[0]
        rows = mice.loc[
            dup
            & (mice["arm"] == first["arm"]).to_numpy()
            & (mice["mouse_id"] == first["mouse_id"]).to_numpy(),
            "_row",
        ].tolist()
        raise InputError(
            f"{table.path.name}: rows {', '.join(map(str, rows))}, columns '{names['arm']}' and "
            f"'{names['mouse_id']}': arm '{first['arm']}', mouse '{first['mouse_id']}' has more "
            "than one row; expected one row per mouse"
        )


def join_wide_weights(
    study: Study,
    volumes: pd.DataFrame,
    table: RawTable,
    located: dict[str, int],
    names: dict[str, str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add the ``body_weight_data`` weighings to the volume rows of a wide study as
    ``body_weight_g`` on (arm, mouse_id, day).

    A weighing on a day without a volume is treated as a long file's row with an empty volume
    cell: listed in the exclusions with its reason, not in the measurements (whose rows are
    volumes). A mouse of the weights file that is not among the rows of the data file
    (``table``) is an error naming the weights file, row and column.
    """
    weights = read_wide_weights(study, names)
    known = set(
        zip(
            _text_column(table, located["arm"], names["arm"], "the arm name").tolist(),
            _text_column(table, located["mouse_id"], names["mouse_id"], "a mouse id").tolist(),
            strict=True,
        )
    )
    keys = list(zip(weights["arm"].tolist(), weights["mouse_id"].tolist(), strict=True))
    unknown = [i for i, k in enumerate(keys) if k not in known]
    if unknown:
        i = unknown[0]
        where = weights["_where"].iat[i].rsplit(", column", 1)[0]
        raise InputError(
            f"{where}, column '{names['mouse_id']}': arm '{keys[i][0]}', mouse "
            f"'{keys[i][1]}' is not in {study.data.name}; expected the mice of the volume "
            "table (same arm names and mouse ids)"
        )
    on = ["arm", "mouse_id", "day"]
    joined = volumes.merge(weights, on=on, how="left")
    alone = weights.merge(volumes[on], on=on, how="left", indicator=True)["_merge"] == "left_only"
    excluded = pd.DataFrame(
        {
            "stage": "ingest",
            "arm": weights.loc[alone, "arm"],
            "mouse_id": weights.loc[alone, "mouse_id"],
            "day": weights.loc[alone, "day"],
            "reason": [
                f"{where}: body weight {bw:g} g on a day without a volume (volume cell empty, "
                "not measured); not used, as a long file's row with an empty volume cell"
                for where, bw in zip(
                    weights.loc[alone, "_where"], weights.loc[alone, "body_weight_g"], strict=True
                )
            ],
        },
        columns=EXCLUSION_COLUMNS,
    )
    return joined, excluded.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Validation


def _caliper_volume(df: pd.DataFrame, formula: str) -> np.ndarray:
    factor, _ = CALIPER_FORMULAS[formula]
    return factor * df["length_mm"].to_numpy() * df["width_mm"].to_numpy() ** 2


def _check_values(study: Study, df: pd.DataFrame, names: dict[str, str]) -> None:
    name = study.data.name
    nan_day = df["day"].isna().to_numpy()
    if nan_day.any():
        row = df["_row"].to_numpy()[nan_day][0]
        raise InputError(
            f"{name}: row {row}, column '{names['day']}': empty cell; expected the day of measurement"
        )
    # impossible body weights (negative ones too) are excluded, not refused:
    # :func:`_drop_implausible_weights`
    for col in ("volume_mm3", "length_mm", "width_mm"):
        if col in df:
            negative = (df[col] < 0).to_numpy()
            if negative.any():
                i = np.flatnonzero(negative)[0]
                raise InputError(
                    f"{name}: row {df['_row'].iat[i]}, column '{names.get(col, col)}': "
                    f"{df[col].iat[i]:g} is negative; expected a value >= 0"
                )


def _check_duplicates(study: Study, df: pd.DataFrame, names: dict[str, str]) -> None:
    dup = df.duplicated(["arm", "mouse_id", "day"], keep=False)
    if dup.any():
        rows = df.loc[dup, "_row"].tolist()
        first = df.loc[dup].iloc[0]
        raise InputError(
            f"{study.data.name}: rows {', '.join(map(str, rows[: _MAX_LISTED + 1]))}: arm "
            f"'{first['arm']}', mouse '{first['mouse_id']}', day {first['day']:g} is measured more "
            f"than once (columns '{names['arm']}', '{names['mouse_id']}', '{names['day']}'); "
            "expected one row per mouse and day"
        )


def _check_arms(study: Study, df: pd.DataFrame, names: dict[str, str]) -> list[str]:
    in_data = list(dict.fromkeys(df["arm"]))
    if not study.arms:
        if study.control not in in_data:
            raise InputError(
                f"{study.data.name}: column '{names['arm']}': the control arm '{study.control}' "
                f"has no mice; arms in the data: {', '.join(in_data)}"
            )
        return [study.control] + sorted(a for a in in_data if a != study.control)
    unknown = [a for a in in_data if a not in study.arm_names]
    if unknown:
        row = df.loc[df["arm"] == unknown[0], "_row"].iat[0]
        raise InputError(
            f"{study.data.name}: row {row}, column '{names['arm']}': arm '{unknown[0]}' is not "
            f"listed in the study file {study.path.name} (arms: {', '.join(study.arm_names)}); "
            "add it to 'arms' or fix the name"
        )
    absent = [a for a in study.arm_names if a not in in_data]
    if absent:
        which = "control arm" if study.control in absent else "arm"
        raise InputError(
            f"{study.data.name}: column '{names['arm']}': {which} '{absent[0]}' from the study "
            f"file {study.path.name} has no mice in the data (arms found: {', '.join(in_data)})"
        )
    return study.arm_names


def _check_mouse_in_two_arms(study: Study, df: pd.DataFrame, names: dict[str, str]) -> None:
    """Ids that restart in every arm (1..8) are normal. When two arms share only a minority of
    their ids (fewer than half of the smaller arm's), the ids are ear tags that should be
    unique, and a shared one is a data-entry error."""
    ids: dict[Any, set[Any]] = {}  # arm -> its mouse ids, arms in order of first appearance
    for arm, mouse in zip(df["arm"].tolist(), df["mouse_id"].tolist()):
        ids.setdefault(arm, set()).add(mouse)
    arms = list(ids)
    for i, a in enumerate(arms):
        for b in arms[i + 1 :]:
            shared = ids[a] & ids[b]
            if shared and 2 * len(shared) < min(len(ids[a]), len(ids[b])):
                mouse = sorted(shared)[0]
                rows = [
                    df.loc[(df["arm"] == arm) & (df["mouse_id"] == mouse), "_row"].iat[0]
                    for arm in (a, b)
                ]
                raise InputError(
                    f"{study.data.name}: rows {rows[0]} and {rows[1]}, column "
                    f"'{names['mouse_id']}': mouse '{mouse}' appears in arms '{a}' and '{b}', "
                    "while their other mouse ids differ; expected each mouse in one arm"
                )


def natural_key(text: str) -> tuple:
    """Sort key of a mouse or model id: runs of digits compare as numbers ("2" before "10")."""
    return tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", text) if p
    )


def _sort(df: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    """Rows by arm (in ``arms`` order, others last), mouse id (natural order) and day (missing
    last), stable: the order of ``sort_values`` on those keys, from one Python sort of the
    row positions (the frame version cost ~1 ms per panel model)."""
    rank = {a: i for i, a in enumerate(arms)}
    arm = [rank.get(a, len(arms)) for a in df["arm"].tolist()]
    mouse = [natural_key(m) for m in df["mouse_id"].tolist()]
    day = df["day"].tolist()
    order = sorted(
        range(len(day)),
        key=lambda i: (arm[i], mouse[i], day[i] != day[i], day[i] if day[i] == day[i] else 0.0),
    )
    return df.take(order)


def _curve_notes(df: pd.DataFrame) -> list[dict[str, object]]:
    """Notes per mouse, mice in order of first appearance: days not in increasing order in
    the file (they are sorted), and a single measurement. One pass over the rows: a pandas
    group per mouse cost more than the check, and panels check thousands of mice."""
    last_day: dict[tuple[Any, Any], float] = {}
    unsorted: dict[tuple[Any, Any], bool] = {}
    count: dict[tuple[Any, Any], int] = {}
    for key, day in zip(zip(df["arm"].tolist(), df["mouse_id"].tolist()), df["day"].tolist()):
        if key in last_day:
            unsorted[key] = unsorted[key] or not day >= last_day[key]  # NaN: not sorted
            count[key] += 1
        else:
            unsorted[key], count[key] = day != day, 1
        last_day[key] = day
    return [
        {
            "arm": a,
            "mouse_id": m,
            "day": np.nan,
            "message": "days were not in increasing order in the file; sorted",
        }
        for (a, m), bad in unsorted.items()
        if bad
    ] + [
        {
            "arm": a,
            "mouse_id": m,
            "day": np.nan,
            "message": "only one measurement: kept, but growth fits need at least two",
        }
        for (a, m), n in count.items()
        if n == 1
    ]


def _apply_excludes(study: Study, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows that the study file's ``exclude`` entries leave out, listed with their reason
    (a whole mouse: one row with an empty day); an entry that matches no row is an error."""
    if not study.exclude:
        return df, empty_exclusions()
    keep = np.ones(len(df), dtype=bool)
    rows: list[tuple[object, ...]] = []
    for i, entry in enumerate(study.exclude, start=1):
        if entry.row is not None:
            hit = df["_row"].to_numpy() == entry.row
        else:
            hit = (
                (df["arm"] == entry.arm) & (df["mouse_id"] == _normalise_id(str(entry.mouse_id)))
            ).to_numpy()
            if entry.day is not None:
                hit = hit & (df["day"].to_numpy() == entry.day)
        if not hit.any():
            raise InputError(
                f"{study.path.name}: key 'exclude', entry {i} ({entry.describe()}): matches no "
                f"row of {study.data.name}; check the arm, mouse id, day or row"
            )
        reason = f"excluded by the study file: {entry.reason}"
        if entry.row is None and entry.day is None:
            rows.append(("ingest", entry.arm, _normalise_id(str(entry.mouse_id)), np.nan, reason))
        else:
            for arm, mouse, day, row in df.loc[
                hit & keep, ["arm", "mouse_id", "day", "_row"]
            ].itertuples(index=False):
                rows.append(("ingest", arm, mouse, day, f"row {row}: {reason}"))
        keep &= ~hit
    return df[keep], pd.DataFrame(rows, columns=EXCLUSION_COLUMNS).astype({"day": float})


def _drop_missing_volume(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    missing = df["volume_mm3"].isna()
    if not missing.any():  # the usual case; building an empty table cost more than the rest
        return df, empty_exclusions()
    excl = pd.DataFrame(
        {
            "stage": "ingest",
            "arm": df.loc[missing, "arm"],
            "mouse_id": df.loc[missing, "mouse_id"],
            "day": df.loc[missing, "day"],
            "reason": [
                f"row {r}: volume cell empty (not measured)" for r in df.loc[missing, "_row"]
            ],
        },
        columns=EXCLUSION_COLUMNS,
    )
    return df[~missing], excl


def _weight_cells(df: pd.DataFrame, rows: pd.Series) -> list[str]:
    """Where the selected weights were read: the data file's row, or for a wide study's
    ``body_weight_data`` the weights file's row and column."""
    own = [f"row {r}" for r in df.loc[rows, "_row"]]
    if "_where" not in df:
        return own
    return [
        w if isinstance(w, str) else o for w, o in zip(df.loc[rows, "_where"], own, strict=True)
    ]


def _drop_implausible_weights(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Impossible body weights (:func:`xenoflow.tolerability.implausible_body_weights`) become
    missing, each listed with its reason; the volumes of those rows are kept."""
    from .tolerability import WEIGHT_LEFT_OUT, implausible_body_weights

    reasons = implausible_body_weights(df)
    bad = reasons != ""
    if not bad.any():
        return df, empty_exclusions()
    excl = pd.DataFrame(
        {
            "stage": "ingest",
            "arm": df.loc[bad, "arm"],
            "mouse_id": df.loc[bad, "mouse_id"],
            "day": df.loc[bad, "day"],
            "reason": [
                f"{where}: {why}; {WEIGHT_LEFT_OUT}"
                for where, why in zip(_weight_cells(df, bad), reasons[bad], strict=True)
            ],
        },
        columns=EXCLUSION_COLUMNS,
    )
    df = df.copy()
    df.loc[bad, "body_weight_g"] = np.nan
    return df, excl


@dataclass
class Source:
    """A measurement file read once: header, text cells, column positions and layout."""

    header: list[str]
    table: RawTable
    names: dict[str, str]
    located: dict[str, int]
    fmt: str


def read_source(study: Study) -> Source:
    """Read a study's measurement file as text and locate its columns (no value checks yet)."""
    header, table = raw_table(study.data, study.sheet, study.header_row, study.skip_rows)
    names = _column_names(study)
    located = _locate(header, names, study)
    return Source(header, table, names, located, study.format or infer_format(header, located))


def arms_in_rows(study: Study, source: Source, rows: RawTable) -> list[str]:
    """The arm names (as ingest reads them) in some rows of a read file, in order of first
    appearance; empty cells are skipped (ingest names their row)."""
    pos = source.located.get("arm")
    if pos is None:
        return []  # ingest reports the missing column
    values = rows.frame[pos].astype(str).tolist()
    return list(dict.fromkeys(_normalise_id(v) for v in values if v != ""))


def _layout_notes(study: Study) -> list[str]:
    """What the study file told ingest to leave unread (``header_row``, ``skip_rows``)."""
    notes = []
    if study.header_row > 1:
        notes.append(
            f"rows 1 to {study.header_row - 1} of {study.data.name}, above the column names "
            f"(header_row: {study.header_row}), were not read"
        )
    notes += [f"row {row} of {study.data.name} was not read (skip_rows)" for row in study.skip_rows]
    return notes


def ingest(study: Study) -> Ingested:
    """Read, convert and validate a study's measurements (see the module docstring)."""
    return ingest_source(study, read_source(study))


def ingest_source(study: Study, source: Source, table: RawTable | None = None) -> Ingested:
    """Convert and validate the rows ``table`` (default: all rows) of a read ``source``.

    Panels (:mod:`xenoflow.panel`) pass the rows of one model, so each model is validated on
    its own, with row numbers of the panel file in every message.
    """
    header, names, located, fmt = source.header, source.names, source.located, source.fmt
    table = source.table if table is None else table
    warnings: list[dict[str, object]] = []
    weight_only = empty_exclusions()
    if study.body_weight_data is not None and fmt != "wide":
        raise ConfigError(
            f"{study.path.name}: key 'body_weight_data': only for wide-format studies, but "
            f"{study.data.name} reads as {fmt}; its body weights belong in a body_weight_g column"
        )
    if fmt == "wide":
        df = read_wide(study, header, table, located, names)
        if study.body_weight_data is not None:
            df, weight_only = join_wide_weights(study, df, table, located, names)
    else:
        df = read_long(study, header, table, located, names, fmt)
    df, excluded = _apply_excludes(study, df)
    if len(weight_only):
        excluded = (
            pd.concat([excluded, weight_only], ignore_index=True) if len(excluded) else weight_only
        )
    _check_values(study, df, names)
    if fmt == "caliper" or ("volume_mm3" not in df and {"length_mm", "width_mm"} <= set(df)):
        formula = study.settings["caliper_formula"]
        df["volume_mm3"] = _caliper_volume(df, formula)
        warnings.append(
            {
                "arm": "",
                "mouse_id": "",
                "day": np.nan,
                "message": f"volumes computed from caliper length and width with {CALIPER_FORMULAS[formula][1]} ({formula})",
            }
        )
    df, exclusions = _drop_missing_volume(df)
    df, weights = _drop_implausible_weights(df)
    if len(weights):
        exclusions = (
            pd.concat([exclusions, weights], ignore_index=True) if len(exclusions) else weights
        )
    if len(excluded):
        exclusions = (
            pd.concat([excluded, exclusions], ignore_index=True) if len(exclusions) else excluded
        )
    _check_duplicates(study, df, names)
    arms = _check_arms(study, df, names)
    _check_mouse_in_two_arms(study, df, names)
    warnings += _curve_notes(df)
    columns = MEASUREMENT_COLUMNS + [c for c in OPTIONAL_MEASUREMENT_COLUMNS if c in df]
    measurements = _sort(df, arms)[columns].reset_index(drop=True)
    reference = choose_reference_day(
        visits.comparison_days(study, measurements)[0], study.reference_day
    )
    dates = _dates_note(study, source, table) if fmt != "wide" else ""
    for note in [*_layout_notes(study), dates, *study.notes, reference.note]:
        if note:
            warnings.append({"arm": "", "mouse_id": "", "day": np.nan, "message": note})
    return Ingested(
        measurements=measurements,
        exclusions=exclusions.reset_index(drop=True),
        warnings=pd.DataFrame(warnings, columns=WARNING_COLUMNS)
        if warnings
        else empty_frame(WARNING_COLUMNS),
    )


def summarise(result: Ingested, study: Study) -> str:
    """Plain-text summary printed by ``xenoflow validate``."""
    m = result.measurements
    lines = [f"study {study.study_id}: {study.title}", f"  data: {study.data}"]
    for arm, g in m.groupby("arm", sort=False):
        role = " (control)" if arm == study.control else ""
        lines.append(
            f"  arm {arm}{role}: {g['mouse_id'].nunique()} mice, {len(g)} measurements, "
            f"days {g['day'].min():g} to {g['day'].max():g}"
        )
    lines.append(f"  excluded measurements: {len(result.exclusions)}")
    for row in result.exclusions.itertuples():
        lines.append(f"    {row.arm} / {row.mouse_id} day {row.day:g}: {row.reason}")
    lines.append(f"  notes: {len(result.warnings)}")
    for row in result.warnings.itertuples():
        who = f"{row.arm} / {row.mouse_id}: " if row.arm else ""
        lines.append(f"    {who}{row.message}")
    return "\n".join(lines)

"""Exports for people who work in Excel or GraphPad Prism.

* :func:`write_xlsx` – one sheet per table plus a README sheet describing every column and its
  unit. Text is stored as text (a name such as ``=A1`` never becomes a formula) and the file is
  byte-identical across runs (fixed document dates and zip timestamps).
* :func:`write_pzfx` – a GraphPad Prism ``.pzfx`` project (Prism XML 5.00, readable by Prism 5
  and later) with the measurements as a grouped table (arms as data sets, mice as replicates,
  days as rows), the same as an XY table (numeric day on X), and the per-arm mean, SEM and N.
  :func:`read_pzfx` reads such tables back (used to check written files).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Mapping
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd

from .io import atomic_path

_FIXED_TIME = dt.datetime(2000, 1, 1)
_SHEET_NAME_MAX = 31


# --------------------------------------------------------------------------------------------
# Excel


def _sheet_name(name: str, used: set[str]) -> str:
    clean = "".join("_" if c in '[]:*?/\\' else c for c in name)[:_SHEET_NAME_MAX] or "table"
    candidate, i = clean, 2
    while candidate.lower() in used:
        suffix = f"_{i}"
        candidate, i = clean[: _SHEET_NAME_MAX - len(suffix)] + suffix, i + 1
    used.add(candidate.lower())
    return candidate


def _cell(value: object) -> object:
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else (str(value) if np.isinf(value) else float(value))
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def _fill_sheet(ws: object, df: pd.DataFrame) -> None:
    ws.append([str(c) for c in df.columns])  # type: ignore[attr-defined]
    for row in df.itertuples(index=False):
        ws.append([_cell(v) for v in row])  # type: ignore[attr-defined]
    for row in ws.iter_rows():  # type: ignore[attr-defined]
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text, never a formula


_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _normalise_zip(path: Path) -> None:
    """Rewrite the workbook's zip with fixed timestamps so reruns are byte-identical
    (openpyxl stamps the save time into docProps/core.xml and into every zip entry)."""
    with zipfile.ZipFile(path) as zin:
        items = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    items = [(name, _CORE_DATES.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
              if name == "docProps/core.xml" else data) for name, data in items]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for name, data in items:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data)


def write_xlsx(tables: Mapping[str, pd.DataFrame], path: str | Path,
               readme: pd.DataFrame) -> None:
    """Write ``tables`` (sheet name -> table) and a README sheet (``readme``: table, column,
    description) to ``path``."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.properties.created = _FIXED_TIME
    wb.properties.modified = _FIXED_TIME
    wb.properties.creator = "xenoflow"
    used: set[str] = set()
    first = wb.active
    first.title = _sheet_name("README", used)
    _fill_sheet(first, readme)
    for name, df in tables.items():
        _fill_sheet(wb.create_sheet(_sheet_name(name, used)), df)
    with atomic_path(path) as tmp:
        wb.save(tmp)
        _normalise_zip(tmp)


# --------------------------------------------------------------------------------------------
# GraphPad Prism


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    child = ET.SubElement(parent, tag, attrib)
    if text is not None:
        child.text = text
    return child


def _number(value: float) -> str:
    return "" if value is None or np.isnan(value) else f"{value:.10g}"


def _subcolumn(parent: ET.Element, values: list[str]) -> None:
    sub = _el(parent, "Subcolumn")
    for v in values:
        _el(sub, "d", v)


def _replicate_matrix(measurements: pd.DataFrame, arm: str, days: list[float]) -> list[list[str]]:
    """Per mouse of ``arm`` (in table order), its volume on each day ('' if not measured)."""
    g = measurements[measurements["arm"] == arm]
    wide = g.pivot(index="mouse_id", columns="day", values="volume_mm3")
    wide = wide.reindex(index=list(dict.fromkeys(g["mouse_id"])), columns=days)
    return [[_number(v) for v in wide.loc[m]] for m in wide.index]


def _table(root_seq: ET.Element, parent: ET.Element, table_id: str, title: str,
           table_type: str, x_format: str, y_format: str, replicates: int) -> ET.Element:
    _el(root_seq, "Ref", ID=table_id)
    table = _el(parent, "Table", ID=table_id, XFormat=x_format, YFormat=y_format,
                Replicates=str(replicates), TableType=table_type,
                EVFormat="AsteriskAfterNumber")
    _el(table, "Title", title)
    return table


def _y_columns(table: ET.Element, measurements: pd.DataFrame, arms: list[str],
               days: list[float], width: int) -> None:
    for arm in arms:
        mice = _replicate_matrix(measurements, arm, days)
        col = _el(table, "YColumn", Width="120", Decimals="1", Subcolumns=str(width))
        _el(col, "Title", arm)
        for i in range(width):
            _subcolumn(col, mice[i] if i < len(mice) else [""] * len(days))


def write_pzfx(measurements: pd.DataFrame, summary: pd.DataFrame, arms: list[str],
               path: str | Path, title: str) -> None:
    """Write a Prism project with three data tables (see the module docstring).

    ``summary`` has ``arm, day, n_mice, mean_volume_mm3, sem_volume_mm3``.
    """
    # Same skeleton as files saved by Prism 6 (no namespace, PrismXMLVersion 5.00).
    root = ET.Element("GraphPadPrismFile", {"PrismXMLVersion": "5.00"})
    created = _el(root, "Created")
    _el(created, "OriginalVersion", CreatedByProgram="xenoflow", CreatedByVersion="1",
        Login="", DateTime="")
    info_seq = _el(root, "InfoSequence")
    _el(info_seq, "Ref", ID="Info0", Selected="1")
    info = _el(root, "Info", ID="Info0")
    _el(info, "Title", title)
    _el(info, "Notes", "Exported by xenoflow: tumour volume (mm3) per mouse and day.")
    seq = _el(root, "TableSequence", Selected="1")
    days = sorted(measurements["day"].unique().tolist())
    width = int(measurements.groupby("arm")["mouse_id"].nunique().max())

    grouped = _table(seq, root, "Table0", "Tumour volume (mm3), grouped", "TwoWay", "none",
                     "replicates", width)
    rows = _el(grouped, "RowTitlesColumn", Width="80")
    _subcolumn(rows, [f"Day {d:g}" for d in days])
    _y_columns(grouped, measurements, arms, days, width)

    xy = _table(seq, root, "Table1", "Tumour volume (mm3) vs day", "XY", "numbers",
                "replicates", width)
    xcol = _el(xy, "XColumn", Width="80", Subcolumns="1", Decimals="1")
    _el(xcol, "Title", "Day")
    _subcolumn(xcol, [_number(d) for d in days])
    _y_columns(xy, measurements, arms, days, width)

    sen = _table(seq, root, "Table2", "Mean, SEM and N per arm", "XY", "numbers", "SEN", 1)
    xcol = _el(sen, "XColumn", Width="80", Subcolumns="1", Decimals="1")
    _el(xcol, "Title", "Day")
    _subcolumn(xcol, [_number(d) for d in days])
    for arm in arms:
        s = summary[summary["arm"] == arm].set_index("day").reindex(days)
        col = _el(sen, "YColumn", Width="120", Decimals="1", Subcolumns="3")
        _el(col, "Title", arm)
        for name in ("mean_volume_mm3", "sem_volume_mm3", "n_mice"):
            _subcolumn(col, [_number(v) for v in s[name].astype(float)])
    ET.indent(root)
    with atomic_path(path) as tmp:
        ET.ElementTree(root).write(tmp, encoding="UTF-8", xml_declaration=True)


def read_pzfx(path: str | Path, title: str) -> pd.DataFrame:
    """Read one table of a .pzfx file written by :func:`write_pzfx` (replicate or SEN tables)
    into a long frame: ``row`` (row title or X), ``column`` (data-set title), ``subcolumn``
    (1-based), ``value``."""
    root = ET.parse(path).getroot()
    for el in root.iter():  # Prism 9+ files carry a default namespace; ignore it
        el.tag = el.tag.rsplit("}", 1)[-1]
    for table in root.findall("Table"):
        if table.findtext("Title") != title:
            continue
        label_col = table.find("RowTitlesColumn")
        if label_col is None:
            label_col = table.find("XColumn")
        labels = [d.text or "" for d in label_col.find("Subcolumn").findall("d")]
        records = []
        for col in table.findall("YColumn"):
            name = col.findtext("Title")
            for j, sub in enumerate(col.findall("Subcolumn"), start=1):
                for label, d in zip(labels, sub.findall("d")):
                    if d.text:
                        records.append((label, name, j, float(d.text)))
        return pd.DataFrame(records, columns=["row", "column", "subcolumn", "value"])
    raise KeyError(f"{path}: no table titled {title!r}")

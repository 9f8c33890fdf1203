"""Exports for people who work in Excel or GraphPad Prism.

* :func:`xlsx_bytes` – one sheet per table plus a README sheet describing every column and its
  unit. Text is stored as text (a name such as ``=A1`` never becomes a formula) and the file is
  byte-identical across runs (fixed document dates and zip timestamps).
* :func:`pzfx_text` – a GraphPad Prism ``.pzfx`` project (Prism XML 5.00, readable by Prism 5
  and later) with the measurements as a grouped table (arms as data sets, mice as replicates,
  days as rows), the same as an XY table (numeric day on X), and the per-arm mean, SEM and N.
  :func:`read_pzfx` reads such tables back (used to check written files).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd

from .io import column_values

_SHEET_NAME_MAX = 31


# --------------------------------------------------------------------------------------------
# Excel


def _sheet_name(name: str, used: set[str]) -> str:
    clean = "".join("_" if c in "[]:*?/\\" else c for c in name)[:_SHEET_NAME_MAX] or "table"
    candidate, i = clean, 2
    while candidate.lower() in used:
        suffix = f"_{i}"
        candidate, i = clean[: _SHEET_NAME_MAX - len(suffix)] + suffix, i + 1
    used.add(candidate.lower())
    return candidate


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def _escape(text: str) -> str:
    if not text.isprintable():
        text = _XML_ILLEGAL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _column_letter(j: int) -> str:
    letters = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _cell_xml(ref: str, value: object) -> str:
    """One ``<c>``: numbers as numbers, booleans as booleans, everything else as inline text
    (so a name such as ``=A1`` can never be a formula)."""
    if value is None or (isinstance(value, (float, np.floating)) and np.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, np.integer)):
        return f'<c r="{ref}"><v>{int(value)}</v></c>'
    if isinstance(value, (float, np.floating)) and np.isfinite(value):
        return f'<c r="{ref}"><v>{float(value)!r}</v></c>'
    return _text_cell(ref, str(value))


def _column_cells(letter: str, dtype: Any, items: list[Any]) -> list[str]:
    """``<c>`` elements of one column (``dtype``, values ``items``; rows 2..n+1), as
    :func:`_cell_xml` would write them; typed columns skip the per-cell type tests (workbooks
    of panels have millions of cells)."""
    refs = _refs(letter, len(items))
    kind = dtype.kind
    if kind == "b":
        return [f'<c r="{r}" t="b"><v>{int(v)}</v></c>' for r, v in zip(refs, items)]
    if kind in "iu":
        return [f'<c r="{r}"><v>{v}</v></c>' for r, v in zip(refs, items)]
    if kind == "f":  # NaN (most empty cells of a panel's tables) is no cell at all
        return [
            f'<c r="{r}"><v>{v!r}</v></c>'
            if math.isfinite(v)
            else ""
            if v != v
            else _cell_xml(r, v)
            for r, v in zip(refs, items)
        ]
    # a text column repeats a few values (arm names, test names): escape each value once
    tails = {v: _text_tail(v) for v in set(items) if type(v) is str}
    return [
        f'<c r="{r}{tails[v]}' if type(v) is str else _cell_xml(r, v) for r, v in zip(refs, items)
    ]


@lru_cache(maxsize=4096)
def _refs(letter: str, n: int) -> list[str]:
    """Cell references of rows 2..n+1 of a column (shared by every sheet; not to be mutated)."""
    return [f"{letter}{i}" for i in range(2, n + 2)]


def _text_tail(value: str) -> str:
    """An inline-text cell after its reference: ``<c r="A1`` + this."""
    text = _escape(value)
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'" t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _text_cell(ref: str, value: str) -> str:
    return f'<c r="{ref}{_text_tail(value)}'


def _sheet_xml(df: pd.DataFrame, headers: Sequence[str] | None = None) -> str:
    letters = [_column_letter(j) for j in range(len(df.columns))]
    names = df.columns if headers is None else headers
    header = "".join(_cell_xml(f"{c}1", str(name)) for c, name in zip(letters, names))
    columns = [
        _column_cells(c, dtype, items)
        for c, dtype, items in zip(letters, df.dtypes.tolist(), column_values(df))
    ]
    body = [f'<row r="1">{header}</row>']
    body += [
        f'<row r="{i}">{"".join(cells)}</row>' for i, cells in enumerate(zip(*columns), start=2)
    ]
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}">'
        f"<sheetData>{''.join(body)}</sheetData></worksheet>"
    )


def _package(names: list[str]) -> dict[str, str]:
    """The fixed parts of a workbook with sheets ``names`` (no styles, no shared strings)."""
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(names) + 1)
    )
    types = (
        head + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        + sheets
        + '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
        'package.core-properties+xml"/></Types>'
    )
    rels = (
        head + f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="{_REL}/'
        'officeDocument" Target="xl/workbook.xml"/><Relationship Id="rId2" Type="http://'
        'schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
        'Target="docProps/core.xml"/></Relationships>'
    )
    core = (
        head + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/'
        'XMLSchema-instance"><dc:creator>xenoflow</dc:creator><dcterms:created xsi:type='
        '"dcterms:W3CDTF">2000-01-01T00:00:00Z</dcterms:created><dcterms:modified xsi:type='
        '"dcterms:W3CDTF">2000-01-01T00:00:00Z</dcterms:modified></cp:coreProperties>'
    )
    book = (
        head
        + f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>'
        + "".join(
            f'<sheet name="{_escape(n)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, n in enumerate(names, start=1)
        )
        + "</sheets></workbook>"
    )
    book_rels = (
        head
        + f'<Relationships xmlns="{_PKG_REL}">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(names) + 1)
        )
        + "</Relationships>"
    )
    return {
        "[Content_Types].xml": types,
        "_rels/.rels": rels,
        "docProps/core.xml": core,
        "xl/workbook.xml": book,
        "xl/_rels/workbook.xml.rels": book_rels,
    }


def xlsx_bytes(
    tables: Mapping[str, pd.DataFrame],
    readme: pd.DataFrame,
    headers: Mapping[str, Sequence[str]] | None = None,
) -> bytes:
    """``tables`` (sheet name -> table) and a README sheet (``readme``: table, column,
    description) as an Office Open XML workbook (ECMA-376; read by Excel, LibreOffice and
    openpyxl). ``headers``: sheet name -> the header row a reader sees (the registry's column
    headers, :attr:`xenoflow.tables.Column.header`); a sheet not given keeps its column names.

    Written directly rather than through openpyxl (20x faster, which matters for panels of
    hundreds of models): numbers as numbers, text as inline strings (never formulas), fixed
    document dates and zip timestamps, so reruns are byte-identical.
    """
    used: set[str] = set()
    given = headers or {}
    sheets = [(_sheet_name("README", used), readme, given.get("README"))]
    sheets += [(_sheet_name(name, used), df, given.get(name)) for name, df in tables.items()]
    parts = _package([n for n, _, _ in sheets])
    parts.update(
        {
            f"xl/worksheets/sheet{i}.xml": _sheet_xml(df, head)
            for i, (_, df, head) in enumerate(sheets, start=1)
        }
    )
    # deflate level 1: half the compression time of the default 6 for ~15 % larger files (a
    # panel writes one workbook per model)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, text.encode("utf-8"), compresslevel=1)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# GraphPad Prism


class _Xml:
    """Indented XML text exactly as ``ElementTree.indent`` + ``ElementTree.write`` give it
    (two spaces per level, ``<a />`` for an empty element, no final newline), built as text:
    a panel writes a .pzfx per model, and an element tree of its ~10,000 cells cost 30 ms."""

    def __init__(self) -> None:
        self.parts = ["<?xml version='1.0' encoding='UTF-8'?>"]
        self.indent = "\n"

    def open(self, tag: str, **attrib: str) -> None:
        self.parts.append(f"{self.indent}<{tag}{_attrs(attrib)}>")
        self.indent += "  "

    def close(self, tag: str) -> None:
        self.indent = self.indent[:-2]
        self.parts.append(f"{self.indent}</{tag}>")

    def leaf(self, tag: str, text: str | None = None, **attrib: str) -> None:
        body = f">{_xml_text(text)}</{tag}>" if text else " />"
        self.parts.append(f"{self.indent}<{tag}{_attrs(attrib)}{body}")

    def subcolumn(self, values: list[str]) -> None:
        """``<Subcolumn>`` of ``<d>`` cells (numbers or '' for an empty cell)."""
        self.open("Subcolumn")
        cell = f"{self.indent}<d>"
        empty = f"{self.indent}<d />"
        self.parts.append("".join(f"{cell}{v}</d>" if v else empty for v in values))
        self.close("Subcolumn")

    def text(self) -> str:
        return "".join(self.parts)


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attrs(attrib: Mapping[str, str]) -> str:
    # the characters ElementTree escapes in attribute values (Python 3.11)
    return "".join(
        f' {k}="'
        + _xml_text(v)
        .replace('"', "&quot;")
        .replace("\r", "&#13;")
        .replace("\n", "&#10;")
        .replace("\t", "&#09;")
        + '"'
        for k, v in attrib.items()
    )


def _numbers(values: list[float]) -> list[str]:
    return ["" if v is None or v != v else f"{v:.10g}" for v in values]


def _replicate_matrices(
    measurements: pd.DataFrame, days: list[float]
) -> dict[str, list[list[str]]]:
    """Per arm, per mouse (in table order): its volume on each day ('' if not measured)."""
    grid = _grid(
        zip(measurements["arm"].tolist(), measurements["mouse_id"].tolist()),
        measurements["day"].tolist(),
        measurements["volume_mm3"].tolist(),
        days,
    )
    out: dict[str, list[list[str]]] = {}
    for (arm, _), row in grid.items():
        out.setdefault(arm, []).append(_numbers(row))
    return out


def _grid(
    rows: Iterable[Any], columns: list[Any], values: list[float], column_order: list[Any]
) -> dict[Any, list[float]]:
    """Row key (first-seen order) -> values in ``column_order`` (NaN where absent): a pivot of
    unique (row, column) pairs, without pandas' index machinery (one per model of a panel)."""
    position = {c: j for j, c in enumerate(column_order)}
    out: dict[Any, list[float]] = {}
    for key, column, value in zip(rows, columns, values):
        line = out.get(key)
        if line is None:
            line = out[key] = [math.nan] * len(column_order)
        if column in position:
            line[position[column]] = value
    return out


def _table(
    xml: _Xml,
    table_id: str,
    title: str,
    table_type: str,
    x_format: str,
    y_format: str,
    replicates: int,
) -> None:
    xml.open(
        "Table",
        ID=table_id,
        XFormat=x_format,
        YFormat=y_format,
        Replicates=str(replicates),
        TableType=table_type,
        EVFormat="AsteriskAfterNumber",
    )
    xml.leaf("Title", title)


def _x_days(xml: _Xml, days: list[float]) -> None:
    xml.open("XColumn", Width="80", Subcolumns="1", Decimals="1")
    xml.leaf("Title", "Day")
    xml.subcolumn(_numbers(days))
    xml.close("XColumn")


def _y_columns(
    xml: _Xml, matrices: dict[str, list[list[str]]], arms: list[str], days: list[float], width: int
) -> None:
    for arm in arms:
        mice = matrices.get(arm, [])
        xml.open("YColumn", Width="120", Decimals="1", Subcolumns=str(width))
        xml.leaf("Title", arm)
        for i in range(width):
            xml.subcolumn(mice[i] if i < len(mice) else [""] * len(days))
        xml.close("YColumn")


def pzfx_text(
    measurements: pd.DataFrame, summary: pd.DataFrame, arms: list[str], title: str
) -> str:
    """A Prism project with three data tables (see the module docstring).

    ``summary`` has ``arm, day, n_mice, mean_volume_mm3, sem_volume_mm3``.
    """
    # Same skeleton as files saved by Prism 6 (no namespace, PrismXMLVersion 5.00).
    xml = _Xml()
    xml.open("GraphPadPrismFile", PrismXMLVersion="5.00")
    xml.open("Created")
    xml.leaf(
        "OriginalVersion", CreatedByProgram="xenoflow", CreatedByVersion="1", Login="", DateTime=""
    )
    xml.close("Created")
    xml.open("InfoSequence")
    xml.leaf("Ref", ID="Info0", Selected="1")
    xml.close("InfoSequence")
    xml.open("Info", ID="Info0")
    xml.leaf("Title", title)
    xml.leaf("Notes", "Exported by xenoflow: tumour volume (mm3) per mouse and day.")
    xml.close("Info")
    xml.open("TableSequence", Selected="1")
    for i in range(3):
        xml.leaf("Ref", ID=f"Table{i}")
    xml.close("TableSequence")
    days = sorted(measurements["day"].unique().tolist())
    width = int(measurements.groupby("arm")["mouse_id"].nunique().max())
    matrices = _replicate_matrices(measurements, days)

    _table(xml, "Table0", "Tumour volume (mm3), grouped", "TwoWay", "none", "replicates", width)
    xml.open("RowTitlesColumn", Width="80")
    xml.subcolumn([f"Day {d:g}" for d in days])
    xml.close("RowTitlesColumn")
    _y_columns(xml, matrices, arms, days, width)
    xml.close("Table")

    _table(xml, "Table1", "Tumour volume (mm3) vs day", "XY", "numbers", "replicates", width)
    _x_days(xml, days)
    _y_columns(xml, matrices, arms, days, width)
    xml.close("Table")

    _table(xml, "Table2", "Mean, SEM and N per arm", "XY", "numbers", "SEN", 1)
    _x_days(xml, days)
    by_arm = summary["arm"].tolist()
    stats = [
        _grid(by_arm, summary["day"].tolist(), summary[name].astype(float).tolist(), days)
        for name in ("mean_volume_mm3", "sem_volume_mm3", "n_mice")
    ]
    empty = [math.nan] * len(days)
    for arm in arms:
        xml.open("YColumn", Width="120", Decimals="1", Subcolumns="3")
        xml.leaf("Title", arm)
        for values in stats:
            xml.subcolumn(_numbers(values.get(arm, empty)))
        xml.close("YColumn")
    xml.close("Table")
    xml.close("GraphPadPrismFile")
    return xml.text()


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
        first = label_col.find("Subcolumn") if label_col is not None else None
        if first is None:
            raise ValueError(f"{path}: table '{title}' has no row titles or X column")
        labels = [d.text or "" for d in first.findall("d")]
        records = []
        for col in table.findall("YColumn"):
            name = col.findtext("Title")
            for j, sub in enumerate(col.findall("Subcolumn"), start=1):
                for label, d in zip(labels, sub.findall("d")):
                    if d.text:
                        records.append((label, name, j, float(d.text)))
        return pd.DataFrame(records, columns=["row", "column", "subcolumn", "value"])
    raise KeyError(f"{path}: no table titled {title!r}")

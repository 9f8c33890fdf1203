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

import math
import re
import zipfile
from pathlib import Path
from typing import Mapping
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd

from .io import atomic_path

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


def _column_cells(letter: str, values: pd.Series) -> list[str]:
    """``<c>`` elements of one column (rows 2..n+1), as :func:`_cell_xml` would write them;
    typed columns skip the per-cell type tests (workbooks of panels have millions of cells)."""
    refs = [f"{letter}{i}" for i in range(2, len(values) + 2)]
    kind = values.dtype.kind
    items = values.tolist()
    if kind == "b":
        return [f'<c r="{r}" t="b"><v>{int(v)}</v></c>' for r, v in zip(refs, items)]
    if kind in "iu":
        return [f'<c r="{r}"><v>{v}</v></c>' for r, v in zip(refs, items)]
    if kind == "f":
        return [f'<c r="{r}"><v>{v!r}</v></c>' if math.isfinite(v) else _cell_xml(r, v)
                for r, v in zip(refs, items)]
    return [_text_cell(r, v) if type(v) is str else _cell_xml(r, v) for r, v in zip(refs, items)]


def _text_cell(ref: str, value: str) -> str:
    text = _escape(value)
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _sheet_xml(df: pd.DataFrame) -> str:
    letters = [_column_letter(j) for j in range(len(df.columns))]
    header = "".join(_cell_xml(f"{c}1", str(name)) for c, name in zip(letters, df.columns))
    columns = [_column_cells(c, df.iloc[:, j]) for j, c in enumerate(letters)]
    body = [f'<row r="1">{header}</row>']
    body += [f'<row r="{i}">{"".join(cells)}</row>'
             for i, cells in enumerate(zip(*columns), start=2)]
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}">'
            f'<sheetData>{"".join(body)}</sheetData></worksheet>')


def _package(names: list[str]) -> dict[str, str]:
    """The fixed parts of a workbook with sheets ``names`` (no styles, no shared strings)."""
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                     'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                     for i in range(1, len(names) + 1))
    types = (head + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
             '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
             'officedocument.spreadsheetml.sheet.main+xml"/>' + sheets +
             '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
             'package.core-properties+xml"/></Types>')
    rels = (head + f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="{_REL}/'
            'officeDocument" Target="xl/workbook.xml"/><Relationship Id="rId2" Type="http://'
            'schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
            'Target="docProps/core.xml"/></Relationships>')
    core = (head + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/'
            'XMLSchema-instance"><dc:creator>xenoflow</dc:creator><dcterms:created xsi:type='
            '"dcterms:W3CDTF">2000-01-01T00:00:00Z</dcterms:created><dcterms:modified xsi:type='
            '"dcterms:W3CDTF">2000-01-01T00:00:00Z</dcterms:modified></cp:coreProperties>')
    book = (head + f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>' +
            "".join(f'<sheet name="{_escape(n)}" sheetId="{i}" r:id="rId{i}"/>'
                    for i, n in enumerate(names, start=1)) + "</sheets></workbook>")
    book_rels = (head + f'<Relationships xmlns="{_PKG_REL}">' +
                 "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" '
                         f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(names) + 1))
                 + "</Relationships>")
    return {"[Content_Types].xml": types, "_rels/.rels": rels, "docProps/core.xml": core,
            "xl/workbook.xml": book, "xl/_rels/workbook.xml.rels": book_rels}


def write_xlsx(tables: Mapping[str, pd.DataFrame], path: str | Path,
               readme: pd.DataFrame) -> None:
    """Write ``tables`` (sheet name -> table) and a README sheet (``readme``: table, column,
    description) to ``path`` as an Office Open XML workbook (ECMA-376; read by Excel,
    LibreOffice and openpyxl).

    Written directly rather than through openpyxl (20x faster, which matters for panels of
    hundreds of models): numbers as numbers, text as inline strings (never formulas), fixed
    document dates and zip timestamps, so reruns are byte-identical.
    """
    used: set[str] = set()
    sheets = [(_sheet_name("README", used), readme)]
    sheets += [(_sheet_name(name, used), df) for name, df in tables.items()]
    parts = _package([n for n, _ in sheets])
    parts.update({f"xl/worksheets/sheet{i}.xml": _sheet_xml(df)
                  for i, (_, df) in enumerate(sheets, start=1)})
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zout:
            for name, text in parts.items():
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zout.writestr(info, text.encode("utf-8"))


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


def _replicate_matrices(measurements: pd.DataFrame, days: list[float]
                        ) -> dict[str, list[list[str]]]:
    """Per arm, per mouse (in table order): its volume on each day ('' if not measured)."""
    wide = measurements.pivot(index=["arm", "mouse_id"], columns="day", values="volume_mm3")
    wide = wide.reindex(columns=days)
    order = list(dict.fromkeys(zip(measurements["arm"], measurements["mouse_id"])))
    values = wide.reindex(index=pd.MultiIndex.from_tuples(order)).to_numpy()
    out: dict[str, list[list[str]]] = {}
    for (arm, _), row in zip(order, values):
        out.setdefault(arm, []).append([_number(v) for v in row])
    return out


def _table(root_seq: ET.Element, parent: ET.Element, table_id: str, title: str,
           table_type: str, x_format: str, y_format: str, replicates: int) -> ET.Element:
    _el(root_seq, "Ref", ID=table_id)
    table = _el(parent, "Table", ID=table_id, XFormat=x_format, YFormat=y_format,
                Replicates=str(replicates), TableType=table_type,
                EVFormat="AsteriskAfterNumber")
    _el(table, "Title", title)
    return table


def _y_columns(table: ET.Element, matrices: dict[str, list[list[str]]], arms: list[str],
               days: list[float], width: int) -> None:
    for arm in arms:
        mice = matrices.get(arm, [])
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
    matrices = _replicate_matrices(measurements, days)

    grouped = _table(seq, root, "Table0", "Tumour volume (mm3), grouped", "TwoWay", "none",
                     "replicates", width)
    rows = _el(grouped, "RowTitlesColumn", Width="80")
    _subcolumn(rows, [f"Day {d:g}" for d in days])
    _y_columns(grouped, matrices, arms, days, width)

    xy = _table(seq, root, "Table1", "Tumour volume (mm3) vs day", "XY", "numbers",
                "replicates", width)
    xcol = _el(xy, "XColumn", Width="80", Subcolumns="1", Decimals="1")
    _el(xcol, "Title", "Day")
    _subcolumn(xcol, [_number(d) for d in days])
    _y_columns(xy, matrices, arms, days, width)

    sen = _table(seq, root, "Table2", "Mean, SEM and N per arm", "XY", "numbers", "SEN", 1)
    xcol = _el(sen, "XColumn", Width="80", Subcolumns="1", Decimals="1")
    _el(xcol, "Title", "Day")
    _subcolumn(xcol, [_number(d) for d in days])
    stats = {name: summary.pivot(index="day", columns="arm", values=name)
             .reindex(index=days, columns=arms).astype(float)
             for name in ("mean_volume_mm3", "sem_volume_mm3", "n_mice")}
    for arm in arms:
        col = _el(sen, "YColumn", Width="120", Decimals="1", Subcolumns="3")
        _el(col, "Title", arm)
        for values in stats.values():
            _subcolumn(col, [_number(v) for v in values[arm].tolist()])
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

"""Excel and GraphPad Prism exports: read back what was written; reruns are byte-identical."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from openpyxl import load_workbook

from xenoflow import export
from xenoflow.provenance import provenance, write_provenance

MEAS = pd.DataFrame(
    {
        "arm": ["Control"] * 5 + ["Drug"] * 3,
        "mouse_id": ["1", "1", "2", "2", "3", "1", "1", "2"],
        "day": [0, 7, 0, 7, 0, 0, 7, 0],
        "volume_mm3": [100.0, 250.5, 120.0, 300.0, 90.0, 110.0, 90.25, 95.0],
    }
)
SUMMARY = (
    MEAS.groupby(["arm", "day"], sort=False)["volume_mm3"]
    .agg(n_mice="count", mean_volume_mm3="mean", sem_volume_mm3="sem")
    .reset_index()
)


def test_pzfx_round_trip(tmp_path):
    path = tmp_path / "s.pzfx"
    path.write_text(export.pzfx_text(MEAS, SUMMARY, ["Control", "Drug"], "demo"), encoding="utf-8")
    grouped = export.read_pzfx(path, "Tumour volume (mm3), grouped")
    assert len(grouped) == len(MEAS)
    got = grouped.set_index(["column", "row", "subcolumn"])["value"]
    assert got[("Control", "Day 7", 2)] == 300.0 and got[("Drug", "Day 7", 1)] == 90.25
    assert ("Control", "Day 7", 3) not in got.index  # mouse 3 was not measured on day 7
    xy = export.read_pzfx(path, "Tumour volume (mm3) vs day")
    assert sorted(xy["value"]) == sorted(MEAS["volume_mm3"])
    sen = export.read_pzfx(path, "Mean, SEM and N per arm").set_index(
        ["column", "row", "subcolumn"]
    )["value"]
    assert sen[("Control", "0", 1)] == pytest.approx((100 + 120 + 90) / 3)
    assert sen[("Control", "0", 3)] == 3
    text = path.read_text(encoding="utf-8")
    assert 'PrismXMLVersion="5.00"' in text and 'TableType="TwoWay"' in text
    (tmp_path / "again.pzfx").write_text(
        export.pzfx_text(MEAS, SUMMARY, ["Control", "Drug"], "demo"), encoding="utf-8"
    )
    assert (tmp_path / "again.pzfx").read_bytes() == path.read_bytes()


def test_pzfx_text_is_what_elementtree_writes(tmp_path):
    """The .pzfx is built as text for speed; ElementTree (parse, indent, write) must give the
    same bytes, special characters in titles and arm names included."""
    from xml.etree import ElementTree as ET

    meas = MEAS.assign(arm=MEAS["arm"].replace({"Drug": 'D & <"x">'}))
    summary = SUMMARY.assign(arm=SUMMARY["arm"].replace({"Drug": 'D & <"x">'}))
    path = tmp_path / "s.pzfx"
    path.write_text(
        export.pzfx_text(meas, summary, ["Control", 'D & <"x">'], "t\u00e9st & <1>"),
        encoding="utf-8",
    )
    root = ET.parse(path).getroot()
    for el in root.iter():  # drop the indentation, then let ElementTree indent again
        el.tail = None
        if el.text is not None and not el.text.strip():
            el.text = None
    ET.indent(root)
    again = tmp_path / "et.pzfx"
    ET.ElementTree(root).write(again, encoding="UTF-8", xml_declaration=True)
    assert path.read_bytes() == again.read_bytes()
    assert root.find("Info/Title").text == "t\u00e9st & <1>"


def test_xlsx_sheets_readme_text_safety_and_determinism(tmp_path):
    tables = {
        "measurements": MEAS.assign(arm=MEAS["arm"].replace({"Drug": "=1+1"})),
        "summary": SUMMARY,
    }
    readme = pd.DataFrame(
        {
            "table": ["measurements"],
            "column": ["volume_mm3"],
            "description": ["tumour volume (mm3)"],
        }
    )
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    a.write_bytes(export.xlsx_bytes(tables, readme))
    import time

    time.sleep(1.1)  # openpyxl stamps the save time; it must not reach the file
    b.write_bytes(export.xlsx_bytes(tables, readme))
    assert a.read_bytes() == b.read_bytes()
    wb = load_workbook(a)
    assert wb.sheetnames == ["README", "measurements", "summary"]
    cell = wb["measurements"]["A7"]
    assert cell.value == "=1+1" and cell.data_type == "s"
    assert wb["measurements"]["D3"].value == 250.5


def test_provenance_differs_only_in_time(tmp_path):
    import yaml

    from xenoflow.config import load_study

    (tmp_path / "d.csv").write_text("arm,mouse_id,day,volume_mm3\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        yaml.safe_dump({"study_id": "s", "data": "d.csv", "control": "C"})
    )
    studies = {"s": load_study(tmp_path / "s.yaml")}
    one = provenance({"studies": ["s.yaml"]}, studies, tmp_path, dt.datetime(2026, 1, 1))
    two = provenance({"studies": ["s.yaml"]}, studies, tmp_path, dt.datetime(2026, 1, 2))
    assert one["run_time_utc"] != two["run_time_utc"]
    one.pop("run_time_utc"), two.pop("run_time_utc")
    assert one == two
    assert one["studies"]["s"]["files"]["data"]["path"] == "d.csv"
    assert len(one["studies"]["s"]["files"]["data"]["sha256"]) == 64
    write_provenance(one, tmp_path / "p.json")
    assert json.loads((tmp_path / "p.json").read_text())["versions"]["xenoflow"] == "0.1.0"

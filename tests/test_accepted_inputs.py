"""Inputs that must be accepted (issue 19 item 8): real lab files in the encodings, line ends,
locales and orders they come in give the same canonical measurements as a plain file, and no
row is lost: every data row of the file is a measurement or an exclusion with its reason."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from xenoflow.config import load_study
from xenoflow.ingest import ingest

ROWS = [
    ("Control", "M 1", -3, "95.5"),
    ("Control", "M 1", 0, "100.25"),
    ("Control", "M 1", 7, "250"),
    ("Control", "M 2", -3, "118"),
    ("Control", "M 2", 0, "120"),
    ("Control", "M 2", 7, "300.5"),
    ("Drug A", "M 1", -3, "104"),
    ("Drug A", "M 1", 0, "110"),
    ("Drug A", "M 1", 7, "90.75"),
    ("Drug A", "M 2", 0, "95"),
    ("Drug A", "M 2", 7, "0"),
]
STUDY = {"study_id": "ok", "data": "data.csv", "control": "Control", "arms": ["Control", "Drug A"]}


def _text(rows: list[tuple[str, str, int, str]], sep: str = ",", decimal: str = ".") -> str:
    lines = [sep.join(["arm", "mouse_id", "day", "volume_mm3"])]
    lines += [sep.join([a, m, str(d), v.replace(".", decimal)]) for a, m, d, v in rows]
    return "\n".join(lines) + "\n"


def _shuffled() -> list[tuple[str, str, int, str]]:
    rows = list(ROWS)
    random.Random(3).shuffle(rows)
    return rows


# case -> (the file's contents, the study keys it needs)
CASES: dict[str, tuple[Callable[[], str | bytes], dict[str, Any]]] = {
    "plain": (lambda: _text(ROWS), {}),
    "utf8_bom": (lambda: "\ufeff" + _text(ROWS), {}),
    "crlf_line_ends": (lambda: _text(ROWS).replace("\n", "\r\n"), {}),
    "bom_and_crlf": (lambda: ("\ufeff" + _text(ROWS).replace("\n", "\r\n")).encode(), {}),
    "semicolon_decimal_comma": (lambda: _text(ROWS, ";", ","), {"decimal_comma": True}),
    "tab_separated": (lambda: _text(ROWS, "\t"), {"data": "data.tsv"}),
    "unsorted_rows": (lambda: _text(_shuffled()), {}),
    "spaces_around_cells": (lambda: _text(ROWS).replace(",", " , "), {}),
    "quoted_cells": (
        lambda: _text(ROWS).replace("Drug A", '"Drug A"').replace("M 1", '"M 1"'),
        {},
    ),
    "blank_lines": (lambda: _text(ROWS).replace("\nDrug A,M 2", "\n\nDrug A,M 2"), {}),
}


def _write(tmp_path: Path, case: str) -> Path:
    make, keys = CASES[case]
    study = {**STUDY, **keys}
    content = make()
    target = tmp_path / study["data"]
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_bytes(content.encode("utf-8"))  # no newline translation
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(study), encoding="utf-8")
    return path


def _reference() -> pd.DataFrame:
    return pd.DataFrame(
        [(a, m, float(d), float(v)) for a, m, d, v in ROWS],
        columns=["arm", "mouse_id", "day", "volume_mm3"],
    )


@pytest.mark.parametrize("case", list(CASES))
def test_lab_file_gives_the_canonical_measurements(case, tmp_path):
    result = ingest(load_study(_write(tmp_path, case)))
    m = result.measurements
    # ingest sorts by arm order, mouse (natural order) and day; the reference is in that order
    pd.testing.assert_frame_equal(m[["arm", "mouse_id", "day", "volume_mm3"]], _reference())
    assert len(m) + len(result.exclusions) == len(ROWS)  # nothing lost
    assert (m["day"] < 0).sum() == 3  # pre-treatment days are kept


@pytest.mark.parametrize(
    ("edit", "keys", "excluded"),
    [
        # an empty volume cell: the measurement is excluded with its reason
        (lambda t: t.replace("Drug A,M 1,7,90.75", "Drug A,M 1,7,"), {}, 1),
        # exclude entries: a measurement and a whole mouse
        (
            lambda t: t,
            {
                "exclude": [
                    {"arm": "Control", "mouse_id": "M 2", "day": 7, "reason": "caliper slipped"},
                    {"arm": "Drug A", "mouse_id": "M 2", "reason": "found dead"},
                ]
            },
            2,
        ),
        # a source row, numbered as error messages number them (header = row 1)
        (lambda t: t, {"exclude": [{"row": 4, "reason": "typo"}]}, 1),
    ],
)
def test_every_data_row_is_a_measurement_or_an_exclusion(edit, keys, excluded, tmp_path):
    (tmp_path / "data.csv").write_text(edit(_text(_shuffled())), encoding="utf-8")
    (tmp_path / "study.yaml").write_text(yaml.safe_dump({**STUDY, **keys}), encoding="utf-8")
    result = ingest(load_study(tmp_path / "study.yaml"))
    assert len(result.exclusions) == excluded
    assert result.exclusions["reason"].str.len().gt(0).all()
    m, x = result.measurements, result.exclusions
    rows = {(a, i, float(d)) for a, i, d, _ in ROWS}
    kept = set(zip(m["arm"], m["mouse_id"], m["day"]))
    # an exclusion row is one measurement, or a whole mouse (day empty): all of its rows
    marks = list(zip(x["arm"], x["mouse_id"], x["day"]))
    whole = {(a, i) for a, i, d in marks if pd.isna(d)}
    dropped = {r for r in marks if pd.notna(r[2])} | {r for r in rows if r[:2] in whole}
    assert kept.isdisjoint(dropped) and kept | dropped == rows

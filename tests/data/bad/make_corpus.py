"""Regenerate the bad-input corpus: one folder per case with study.yaml, its data and
expected.txt (each line must appear in the error message). Run from the repository root:
``.venv/bin/python tests/data/bad/make_corpus.py``."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

HERE = Path(__file__).parent
GOOD = (
    "arm,mouse_id,day,volume_mm3\n"
    "Control,1,0,100\nControl,1,7,250\nControl,2,0,120\nControl,2,7,300\n"
    "Drug,1,0,110\nDrug,1,7,90\nDrug,2,0,95\nDrug,2,7,60\n"
)
STUDY = {"study_id": "bad", "data": "data.csv", "control": "Control", "arms": ["Control", "Drug"]}


def edit(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


# name -> (data file contents (str/bytes) or None, study overrides, expected fragments)
CASES: dict[str, tuple[object, dict, list[str]]] = {
    "empty_file": ("", {}, ["data.csv: the file is empty"]),
    "header_only": ("arm,mouse_id,day,volume_mm3\n", {}, ["only a header row"]),
    "wrong_delimiter": (GOOD.replace(",", "|"), {}, ["row 1: missing column(s)", "'arm'"]),
    "missing_column": (
        GOOD.replace("volume_mm3", "size"),
        {},
        ["missing column(s) 'volume_mm3'", "columns:"],
    ),
    "unknown_column_mapping": (
        GOOD,
        {"columns": {"volume_mm3": "Volume"}},
        ["column 'Volume' (mapped to 'volume_mm3'"],
    ),
    "two_unknown_column_mappings": (
        GOOD,
        {"columns": {"volume_mm3": "Volume", "day": "Time"}},
        [
            "row 1: columns 'Time' (mapped to 'day'), 'Volume' (mapped to 'volume_mm3') by the "
            "study file's 'columns' are not in the header"
        ],
    ),
    "text_na": (
        edit("Drug,1,7,90", "Drug,1,7,n/a"),
        {},
        ["row 7, column 'volume_mm3': 'n/a' is not a number"],
    ),
    "text_less_than": (
        edit("Drug,1,7,90", "Drug,1,7,<5"),
        {},
        ["row 7, column 'volume_mm3': '<5' is not a number"],
    ),
    "text_dead": (
        edit("Drug,1,7,90", "Drug,1,7,dead"),
        {},
        ["row 7, column 'volume_mm3': 'dead' is not a number"],
    ),
    "decimal_comma_without_mode": (
        edit("Control,1,7,250", 'Control,1,7,"250,5"'),
        {},
        ["row 3, column 'volume_mm3': '250,5' is not a number", "decimal_comma: true"],
    ),
    "decimal_comma_mode_with_dot": (
        edit("Control,1,7,250", 'Control,1,7,"1.250,5"'),
        {"decimal_comma": True},
        ["row 3, column 'volume_mm3': '1.250,5' is not a number"],
    ),
    "infinite_value": (
        edit("Drug,1,7,90", "Drug,1,7,inf"),
        {},
        ["row 7, column 'volume_mm3': 'inf' is not a number"],
    ),
    "text_in_day": (
        edit("Drug,1,7,90", "Drug,1,day 7,90"),
        {},
        ["row 7, column 'day': 'day 7' is not a number"],
    ),
    "negative_volume": (
        edit("Drug,1,7,90", "Drug,1,7,-90"),
        {},
        ["row 7, column 'volume_mm3': -90 is negative"],
    ),
    "nan_day": (edit("Drug,1,7,90", "Drug,1,,90"), {}, ["row 7, column 'day': empty cell"]),
    "duplicate_measurement": (
        GOOD + "Drug,1,7,91\n",
        {},
        ["rows 7, 10", "measured more than once"],
    ),
    "mouse_in_two_arms": (
        "arm,mouse_id,day,volume_mm3\nControl,M1,0,100\nControl,M1,7,200\nControl,M2,0,100\n"
        "Control,M2,7,200\nControl,M3,0,90\nControl,M3,7,180\nDrug,M4,0,100\nDrug,M4,7,110\n"
        "Drug,M5,0,100\nDrug,M5,7,120\nDrug,M1,0,100\nDrug,M1,7,100\n",
        {},
        ["column 'mouse_id': mouse 'M1' appears in arms 'Control' and 'Drug'"],
    ),
    "arm_not_in_config": (
        GOOD + "Other,1,0,100\n",
        {},
        ["row 10, column 'arm': arm 'Other' is not listed in the study file"],
    ),
    "config_arm_not_in_data": (
        GOOD,
        {"arms": ["Control", "Drug", "Drug high"]},
        ["arm 'Drug high' from the study file", "has no mice"],
    ),
    "control_no_mice": (
        GOOD.replace("Control", "Ctrl"),
        {"arms": None},
        ["control arm 'Control' has no mice"],
    ),
    "one_arm_only": (
        "".join(GOOD.splitlines(True)[:5]),
        {"arms": ["Control"]},
        ["key 'arms': only one arm"],
    ),
    "empty_arm_cell": (edit("Drug,1,7,90", ",1,7,90"), {}, ["row 7, column 'arm': empty cell"]),
    "empty_mouse_cell": (
        edit("Drug,1,7,90", "Drug,,7,90"),
        {},
        ["row 7, column 'mouse_id': empty cell"],
    ),
    "ragged_row": (GOOD + "Drug,3,0,1,2\n", {}, ["row 10: 5 cells but the header has 4 columns"]),
    "wide_repeated_day_headers": (
        "arm,mouse_id,0,7,Day 7\nControl,1,1,2,3\nDrug,1,1,2,3\n",
        {},
        ["day 7 appears in two columns"],
    ),
    "wide_unknown_column": (
        "arm,mouse_id,0,7,notes\nControl,1,1,2,x\nDrug,1,1,2,y\n",
        {"format": "wide"},
        ["column(s) notes are neither the arm, the mouse id nor a day"],
    ),
    "wide_without_day_columns": (
        "arm,mouse_id,start,end\nControl,1,1,2\nDrug,1,1,2\n",
        {"format": "wide"},
        ["no day columns found"],
    ),
    "caliper_missing_width": (
        GOOD.replace("volume_mm3", "length_mm"),
        {"format": "caliper"},
        ["missing column(s) 'width_mm' for the caliper format"],
    ),
    "empty_header_cell": (
        "arm,mouse_id,,volume_mm3\nControl,1,0,1\n",
        {},
        ["row 1, column 3: empty header cell"],
    ),
    "duplicate_header": (
        "arm,mouse_id,day,day\nControl,1,0,1\n",
        {},
        ["column name 'day' appears twice"],
    ),
    "latin1_encoding": (
        "arm,mouse_id,day,volume µm3\nControl,1,0,1\n".encode("latin-1"),
        {},
        ["row 1", "not UTF-8"],
    ),
    "old_xls_workbook": (
        b"\xd0\xcf\x11\xe0",
        {"data": "data.xls"},
        ["old .xls workbooks are not supported"],
    ),
    "unknown_key": (
        GOOD,
        {"colour": "red"},
        ["study.yaml: key '(top level)'", "'colour' was unexpected"],
    ),
    "wrong_type": (
        GOOD,
        {"endpoint_volume_mm3": "big"},
        ["key 'endpoint_volume_mm3': 'big' is not of type 'number'"],
    ),
    "wrong_type_in_dose": (
        GOOD,
        {"arms": ["Control", {"name": "Drug", "doses": [{"day": "zero"}]}]},
        ["key 'arms/1/doses/0/day'"],
    ),
    "study_id_with_slash": (GOOD, {"study_id": "a/b"}, ["key 'study_id'", "does not match"]),
    "study_id_with_space": (GOOD, {"study_id": "my study"}, ["key 'study_id'", "does not match"]),
    "control_not_among_arms": (
        GOOD,
        {"control": "Vehicle"},
        ["key 'control': control arm 'Vehicle' is not among the arms"],
    ),
    "missing_data_file": (
        None,
        {"data": "nowhere.csv"},
        ["key 'data': file 'nowhere.csv' not found"],
    ),
    "unknown_format": (GOOD, {"format": "tall"}, ["key 'format': 'tall' is not one of"]),
    "bad_analysis_option": (
        GOOD,
        {"analysis": {"caliper_formula": "cube"}},
        ["key 'analysis/caliper_formula'"],
    ),
    # issue 19: exclude entries, lab-sheet layouts and dates
    "exclude_matches_nothing": (
        GOOD,
        {"exclude": [{"arm": "Drug", "mouse_id": "9", "reason": "typo"}]},
        ["key 'exclude', entry 1 (arm 'Drug', mouse '9'): matches no row of data.csv"],
    ),
    "exclude_row_past_the_end": (
        GOOD,
        {"exclude": [{"row": 40, "reason": "typo"}]},
        ["key 'exclude', entry 1 (row 40): matches no row of data.csv"],
    ),
    "exclude_without_reason": (
        GOOD,
        {"exclude": [{"arm": "Drug", "mouse_id": "1"}]},
        ["key 'exclude/0'", "'reason' is a required property"],
    ),
    "header_row_past_the_end": (GOOD, {"header_row": 30}, ["row 30 is empty", "header_row"]),
    "skip_rows_above_header": (
        "Lab sheet\n" + GOOD,
        {"header_row": 2, "skip_rows": [2]},
        ["key 'skip_rows': row 2 is not below the header"],
    ),
    "date_not_a_date": (
        GOOD.replace("day", "date")
        .replace(",0,", ",2024-03-05,")
        .replace(",7,", ",2024-03-12,")
        .replace("Drug,1,2024-03-12", "Drug,1,12 March"),
        {},
        ["row 7, column 'date': '12 March' is not a date; expected a date as YYYY-MM-DD"],
    ),
    "date_in_another_format": (
        GOOD.replace("day", "date").replace(",0,", ",05/03/2024,").replace(",7,", ",12/03/2024,"),
        {},
        ["row 2, column 'date': '05/03/2024' is not a date (and 7 more cells)", "date_format"],
    ),
    "day0_not_a_date": (
        GOOD,
        {"day0": "2024-13-01"},
        ["key 'day0': '2024-13-01' is not a calendar date"],
    ),
}
# Recorded survival tables (``survival_data:``) next to valid measurements (GOOD): the error
# comes from xenoflow.survival.study_endpoints(study, measurements).
SURVIVAL = (
    "arm,mouse_id,time_days,event\nControl,1,10,1\nControl,2,12,1\nDrug,1,20,0\nDrug,2,25,1\n"
)


def surv_edit(old: str, new: str) -> str:
    assert old in SURVIVAL, old
    return SURVIVAL.replace(old, new, 1)


# name -> (survival.csv contents, study overrides, expected fragments)
SURVIVAL_CASES: dict[str, tuple[str, dict, list[str]]] = {
    "survival_event_two": (
        surv_edit("Drug,1,20,0", "Drug,1,20,2"),
        {},
        ["survival.csv: row 4, column 'event': '2' is not 0 or 1"],
    ),
    "survival_event_yes": (
        surv_edit("Control,2,12,1", "Control,2,12,yes"),
        {},
        ["survival.csv: row 3, column 'event': 'yes' is not 0 or 1"],
    ),
    "survival_missing_column": (
        SURVIVAL.replace(",event", "").replace(",1\n", "\n").replace(",0\n", "\n"),
        {},
        ["survival.csv: row 1: missing column 'event'", "found columns"],
    ),
    "survival_missing_mapped_column": (
        SURVIVAL,
        {"survival_columns": {"event": "Died"}},
        ["survival.csv: row 1: missing column 'Died' (for event)"],
    ),
    "survival_negative_time": (
        surv_edit("Control,2,12,1", "Control,2,-3,1"),
        {},
        ["survival.csv: row 3, column 'time_days': '-3' is not a number >= 0"],
    ),
    "survival_text_time": (
        surv_edit("Drug,2,25,1", "Drug,2,25 days,1"),
        {},
        ["survival.csv: row 5, column 'time_days': '25 days' is not a number >= 0"],
    ),
    "survival_empty_mouse": (
        surv_edit("Drug,1,20,0", "Drug,,20,0"),
        {},
        ["survival.csv: row 4, column 'mouse_id': empty"],
    ),
    "survival_mouse_not_measured": (
        SURVIVAL + "Drug,3,30,1\n",
        {},
        [
            "survival.csv: row 6, column 'mouse_id': mouse '3' of arm 'Drug' "
            "has no measurements in data.csv"
        ],
    ),
    "survival_arm_not_in_study": (
        SURVIVAL + "Other,1,30,1\n",
        {},
        ["survival.csv: row 6, column 'arm': unknown arm 'Other'"],
    ),
    "survival_arm_not_measured_no_arm_list": (
        SURVIVAL + "Other,1,30,1\n",
        {"arms": None},
        ["survival.csv: row 6, column 'arm': arm 'Other' has no measurements in data.csv"],
    ),
    "survival_duplicate_mouse": (
        SURVIVAL + "Control,1,11,1\n",
        {},
        [
            "survival.csv: row 6, column 'mouse_id': mouse '1' of arm 'Control' "
            "already appears on row 2"
        ],
    ),
    "survival_event_before_last_measurement": (
        surv_edit("Control,1,10,1", "Control,1,5,1"),
        {},
        [
            "survival.csv: row 2, column 'time_days': mouse '1' of arm 'Control' reached the endpoint "
            "on day 5 but was measured later, on day 7"
        ],
    ),
}
RAW_STUDY = {  # study files that are not valid YAML mappings
    "study_not_yaml": ("study_id: [unclosed\n", ["not valid YAML"]),
    "study_is_a_list": ("- a\n- b\n", ["expected a mapping of keys"]),
}


# Body weights of a wide study (``body_weight_data:``, a second wide table) next to a valid wide
# volume table: the error comes from ingest (or, for the keys, from load_study).
WIDE = "arm,mouse_id,0,7\nControl,1,100,250\nControl,2,120,300\nDrug,1,110,90\nDrug,2,95,60\n"
WEIGHTS = "arm,mouse_id,0,7\nControl,1,20.1,20.5\nControl,2,21.0,21.4\nDrug,1,19.8,18.9\nDrug,2,20.4,19.0\n"
WIDE_STUDY = {"format": "wide", "body_weight_data": "weights.csv"}

# name -> (weights.csv contents or None, study overrides, expected fragments)
WEIGHT_CASES: dict[str, tuple[str | None, dict, list[str]]] = {
    "weights_mouse_not_in_volumes": (
        WEIGHTS + "Drug,3,20.0,19.5\n",
        {},
        ["weights.csv: row 6, column 'mouse_id': arm 'Drug', mouse '3' is not in data.csv"],
    ),
    "weights_text_cell": (
        WEIGHTS.replace("18.9", "n/a"),
        {},
        ["weights.csv: row 4, column '7': 'n/a' is not a number; expected a body weight in g"],
    ),
    "weights_mouse_twice": (
        WEIGHTS + "Drug,2,20.4,19.1\n",
        {},
        ["weights.csv: rows 5, 6, columns 'arm' and 'mouse_id': arm 'Drug', mouse '2' has more"],
    ),
    "weights_missing_mouse_column": (
        WEIGHTS.replace("mouse_id", "animal", 1),
        {},
        ["weights.csv: row 1: missing column(s) 'mouse_id'"],
    ),
    "weights_file_missing": (
        None,
        {},
        ["key 'body_weight_data': file 'weights.csv' not found"],
    ),
    "weights_with_long_format": (
        WEIGHTS,
        {"format": "long"},
        ["study.yaml: key 'body_weight_data': only for wide-format studies (format: wide)"],
    ),
    "weights_for_a_long_file": (
        WEIGHTS,
        {"format": None, "data": "long.csv"},
        ["study.yaml: key 'body_weight_data': only for wide-format studies, but long.csv reads"],
    ),
}


def merged_header_xlsx(path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["arm", "mouse_id", "Volume", None])
    ws.merge_cells("C1:D1")
    ws.append([None, None, "day 0", "day 7"])
    ws.append(["Control", 1, 100, 200])
    ws.append(["Drug", 1, 100, 120])
    wb.save(path)


def main() -> None:
    for child in HERE.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
    for name, (data, overrides, expected) in CASES.items():
        case = HERE / name
        case.mkdir()
        study = {**STUDY, **overrides}
        study = {k: v for k, v in study.items() if v is not None}
        if data is not None:
            target = case / study["data"]
            if isinstance(data, bytes):
                target.write_bytes(data)
            else:
                target.write_text(data, encoding="utf-8")
        (case / "study.yaml").write_text(yaml.safe_dump(study, sort_keys=False), encoding="utf-8")
        (case / "expected.txt").write_text("\n".join(expected) + "\n", encoding="utf-8")
    for name, (table, overrides, expected) in SURVIVAL_CASES.items():
        case = HERE / name
        case.mkdir()
        study = {**STUDY, "survival_data": "survival.csv", **overrides}
        study = {k: v for k, v in study.items() if v is not None}
        (case / "data.csv").write_text(GOOD, encoding="utf-8")
        (case / "survival.csv").write_text(table, encoding="utf-8")
        (case / "study.yaml").write_text(yaml.safe_dump(study, sort_keys=False), encoding="utf-8")
        (case / "expected.txt").write_text("\n".join(expected) + "\n", encoding="utf-8")
    for name, (weights, overrides, expected) in WEIGHT_CASES.items():
        case = HERE / name
        case.mkdir()
        study = {**STUDY, **WIDE_STUDY, **overrides}
        study = {k: v for k, v in study.items() if v is not None}
        (case / "data.csv").write_text(WIDE, encoding="utf-8")
        if study["data"] != "data.csv":
            (case / study["data"]).write_text(GOOD, encoding="utf-8")
        if weights is not None:
            (case / "weights.csv").write_text(weights, encoding="utf-8")
        (case / "study.yaml").write_text(yaml.safe_dump(study, sort_keys=False), encoding="utf-8")
        (case / "expected.txt").write_text("\n".join(expected) + "\n", encoding="utf-8")
    case = HERE / "xlsx_merged_header"
    case.mkdir()
    merged_header_xlsx(case / "data.xlsx")
    (case / "study.yaml").write_text(
        yaml.safe_dump({**STUDY, "data": "data.xlsx"}, sort_keys=False), encoding="utf-8"
    )
    (case / "expected.txt").write_text(
        "row 1, column 4: empty header cell (merged header cells\n", encoding="utf-8"
    )
    for name, (text, expected) in RAW_STUDY.items():
        case = HERE / name
        case.mkdir()
        (case / "data.csv").write_text(GOOD, encoding="utf-8")
        (case / "study.yaml").write_text(text, encoding="utf-8")
        (case / "expected.txt").write_text("\n".join(expected) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

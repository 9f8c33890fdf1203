"""Readers and validation of xenoflow.ingest: each layout, each error message."""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from xenoflow.cli import main as cli_main
from xenoflow.config import load_study
from xenoflow.errors import ConfigError, InputError
from xenoflow.ingest import ingest

LONG = """arm,mouse_id,day,volume_mm3
Control,1,0,100
Control,1,7,250.5
Control,2,0,120
Control,2,7,300
Drug,1,0,110
Drug,1,7,90
Drug,2,0,95
Drug,2,7,0
"""


def make_study(tmp_path: Path, data: str | bytes, name: str = "data.csv", **keys: object) -> Path:
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    study = {"study_id": "s1", "data": name, "control": "Control", "arms": ["Control", "Drug"]}
    study.update(keys)
    study = {k: v for k, v in study.items() if v is not None}  # None = leave the key out
    study_path = tmp_path / "study.yaml"
    study_path.write_text(yaml.safe_dump(study, sort_keys=False), encoding="utf-8")
    return study_path


def run(tmp_path: Path, data: str | bytes, **keys: object):
    return ingest(load_study(make_study(tmp_path, data, **keys)))


def error(tmp_path: Path, data: str | bytes, **keys: object) -> str:
    with pytest.raises(InputError) as exc:
        run(tmp_path, data, **keys)
    return str(exc.value)


# ---- readers ----------------------------------------------------------------------------


def test_long_csv_is_canonical(tmp_path):
    result = run(tmp_path, LONG)
    m = result.measurements
    assert list(m.columns) == ["arm", "mouse_id", "day", "volume_mm3"]
    assert len(m) == 8
    assert m["volume_mm3"].tolist() == [100, 250.5, 120, 300, 110, 90, 95, 0]  # zero kept
    assert m["mouse_id"].tolist()[:2] == ["1", "1"]
    assert result.exclusions.empty and list(result.exclusions.columns) == [
        "stage",
        "arm",
        "mouse_id",
        "day",
        "reason",
    ]


def test_tsv_and_column_mapping(tmp_path):
    text = LONG.replace(",", "\t").replace("arm\tmouse_id\tday\tvolume_mm3", "Group\tID\tDay\tVol")
    m = run(
        tmp_path,
        text,
        name="d.tsv",
        columns={"arm": "Group", "mouse_id": "ID", "day": "Day", "volume_mm3": "Vol"},
    ).measurements
    assert len(m) == 8 and m["volume_mm3"].sum() == pytest.approx(1065.5)


def test_semicolon_file_with_decimal_comma(tmp_path):
    text = "arm;mouse_id;day;volume_mm3\nControl;1;0;12,5\nControl;1;3;20\nDrug;1;0;10\nDrug;1;3;11,25\n"
    m = run(tmp_path, text, decimal_comma=True).measurements
    assert m["volume_mm3"].tolist() == [12.5, 20.0, 10.0, 11.25]


def test_wide_table(tmp_path):
    text = "arm,mouse_id,0,Day 7,d14\nControl,1,100,200,400\nControl,2,90,,300\nDrug,1,100,80,60\n"
    m = run(tmp_path, text).measurements
    assert m[["arm", "mouse_id", "day"]].values.tolist() == [
        ["Control", "1", 0.0],
        ["Control", "1", 7.0],
        ["Control", "1", 14.0],
        ["Control", "2", 0.0],
        ["Control", "2", 14.0],
        ["Drug", "1", 0.0],
        ["Drug", "1", 7.0],
        ["Drug", "1", 14.0],
    ]


@pytest.mark.parametrize("formula,factor", [("half_lw2", 0.5), ("ellipsoid", math.pi / 6)])
def test_caliper_formula_is_applied_and_recorded(tmp_path, formula, factor):
    text = "arm,mouse_id,day,length_mm,width_mm\nControl,1,0,10,8\nControl,1,4,12,9\nDrug,1,0,10,6\nDrug,1,4,9,6\n"
    result = run(tmp_path, text, analysis={"caliper_formula": formula})
    m = result.measurements
    assert m["volume_mm3"].iloc[0] == pytest.approx(factor * 10 * 8**2)
    assert {"length_mm", "width_mm"} <= set(m.columns)
    assert any(formula in msg for msg in result.warnings["message"])


def test_excel_sheet(tmp_path):
    df = pd.read_csv(pd.io.common.StringIO(LONG))
    with pd.ExcelWriter(tmp_path / "d.xlsx") as xw:
        pd.DataFrame({"note": ["cover"]}).to_excel(xw, sheet_name="cover", index=False)
        df.to_excel(xw, sheet_name="volumes", index=False)
    m = ingest(load_study(_excel_study(tmp_path))).measurements
    assert len(m) == 8 and m["mouse_id"].iloc[0] == "1"  # 1.0 from Excel becomes "1"


def _excel_study(tmp_path: Path) -> Path:
    study = {
        "study_id": "x",
        "data": "d.xlsx",
        "sheet": "volumes",
        "control": "Control",
        "arms": ["Control", "Drug"],
    }
    p = tmp_path / "x.yaml"
    p.write_text(yaml.safe_dump(study), encoding="utf-8")
    return p


def test_unsorted_days_are_sorted_with_a_note(tmp_path):
    text = (
        "arm,mouse_id,day,volume_mm3\nControl,1,7,200\nControl,1,0,100\nDrug,1,0,100\nDrug,1,7,90\n"
    )
    result = run(tmp_path, text)
    assert result.measurements["day"].tolist()[:2] == [0.0, 7.0]
    assert "not in increasing order" in result.warnings["message"].iloc[0]


def test_natural_mouse_order_and_arm_order_from_study(tmp_path):
    text = "arm,mouse_id,day,volume_mm3\n" + "".join(
        f"{a},{m},{d},100\n" for a in ("Drug", "Control") for m in (10, 2) for d in (0, 3)
    )
    m = run(tmp_path, text).measurements
    assert m["arm"].tolist()[0] == "Control"
    assert m["mouse_id"].tolist()[:4] == ["2", "2", "10", "10"]


WIDE = "arm,mouse_id,0,Day 7,d14\nControl,1,100,200,400\nControl,2,90,,300\nDrug,1,100,80,60\n"


def _wide_with_weights(tmp_path: Path, weights: str, **keys: object):
    """The wide table above with ``weights`` as its ``body_weight_data`` file."""
    (tmp_path / "weights.csv").write_text(weights, encoding="utf-8")
    return run(tmp_path, WIDE, format="wide", body_weight_data="weights.csv", **keys)


def test_wide_body_weights_join_the_volumes_on_arm_mouse_and_day(tmp_path):
    """A second wide table (rows and day columns in another order than the volumes', day
    headers written differently) gives body_weight_g; a volume without a weighing keeps a
    missing weight, and a mouse without a weights row is allowed."""
    weights = "mouse_id,arm,d14,0,7\n1,Control,21.5,20,20.4\n1,Drug,18.2,19.5,\n"
    result = _wide_with_weights(tmp_path, weights)
    m = result.measurements
    assert list(m.columns) == ["arm", "mouse_id", "day", "volume_mm3", "body_weight_g"]
    got = m[["arm", "mouse_id", "day", "volume_mm3", "body_weight_g"]].values.tolist()
    expected = [
        ["Control", "1", 0.0, 100.0, 20.0],
        ["Control", "1", 7.0, 200.0, 20.4],
        ["Control", "1", 14.0, 400.0, 21.5],
        ["Control", "2", 0.0, 90.0, None],
        ["Control", "2", 14.0, 300.0, None],
        ["Drug", "1", 0.0, 100.0, 19.5],
        ["Drug", "1", 7.0, 80.0, None],
        ["Drug", "1", 14.0, 60.0, 18.2],
    ]
    assert [r[:4] for r in got] == [r[:4] for r in expected]
    for g, e in zip(got, expected, strict=True):
        assert (e[4] is None and math.isnan(g[4])) or g[4] == e[4]
    assert result.exclusions.empty


def test_wide_weight_on_a_day_without_volume_is_listed_as_a_long_row_would_be(tmp_path):
    """Control mouse 2 has no volume on day 7 (empty cell) but a weight: as a long file's row
    with an empty volume cell, it is left out of the measurements with its reason."""
    weights = "arm,mouse_id,0,7,14\nControl,2,20.0,19.6,19.9\n"
    result = _wide_with_weights(tmp_path, weights)
    m = result.measurements
    assert m.loc[m["mouse_id"].eq("2") & m["arm"].eq("Control"), "body_weight_g"].tolist() == [
        20.0,
        19.9,
    ]
    assert len(result.exclusions) == 1
    row = result.exclusions.iloc[0]
    assert (row["stage"], row["arm"], row["mouse_id"], row["day"]) == (
        "ingest",
        "Control",
        "2",
        7.0,
    )
    assert row["reason"].startswith("weights.csv: row 2, column '7': body weight 19.6 g on a day")
    # the long layout treats the same cells alike
    long = "arm,mouse_id,day,volume_mm3,body_weight_g\nControl,2,0,90,20\nControl,2,7,,19.6\n"
    long += "Control,2,14,300,19.9\nDrug,1,0,100,19\n"
    folder = tmp_path / "long"
    folder.mkdir()
    other = run(folder, long)
    assert other.exclusions["day"].tolist() == [7.0]
    assert "empty" in other.exclusions["reason"].iat[0]


def test_wide_implausible_weight_names_the_weights_file(tmp_path):
    weights = "arm,mouse_id,0,7,14\nControl,1,20.0,308,20.5\n"
    result = _wide_with_weights(tmp_path, weights)
    m = result.measurements
    assert math.isnan(m.loc[1, "body_weight_g"]) and m.loc[1, "volume_mm3"] == 200.0
    reason = result.exclusions["reason"].iat[0]
    assert reason.startswith("weights.csv: row 2, column '7': body weight 308 g outside")


def test_wide_weights_read_decimal_commas(tmp_path):
    text = WIDE.replace(",", ";")
    (tmp_path / "weights.csv").write_text("arm;mouse_id;0\nDrug;1;19,5\n", encoding="utf-8")
    m = run(
        tmp_path, text, format="wide", body_weight_data="weights.csv", decimal_comma=True
    ).measurements
    assert m.loc[m["arm"] == "Drug", "body_weight_g"].tolist()[0] == 19.5


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        (
            "arm,mouse_id,0\nDrug,2,20\n",
            "weights.csv: row 2, column 'mouse_id': arm 'Drug', mouse '2' is not in data.csv",
        ),
        ("arm,mouse_id,0\nDrug,1,heavy\n", "weights.csv: row 2, column '0': 'heavy' is not"),
        ("arm,mouse_id,0,day 0\nDrug,1,20,20\n", "weights.csv: row 1: day 0 appears in two"),
        ("arm,mouse_id,0,note\nDrug,1,20,x\n", "weights.csv: row 1: column(s) note are neither"),
        ("arm,animal,0\nDrug,1,20\n", "weights.csv: row 1: missing column(s) 'mouse_id'"),
    ],
)
def test_wide_weight_errors_name_file_row_and_column(tmp_path, weights, expected):
    (tmp_path / "weights.csv").write_text(weights, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        run(tmp_path, WIDE, format="wide", body_weight_data="weights.csv")
    assert expected in str(exc.value)


def test_wide_weights_follow_the_column_mapping(tmp_path):
    text = WIDE.replace("arm,mouse_id", "Group,Animal")
    (tmp_path / "weights.csv").write_text("Group,Animal,0\nDrug,1,19.5\n", encoding="utf-8")
    m = run(
        tmp_path,
        text,
        format="wide",
        body_weight_data="weights.csv",
        columns={"arm": "Group", "mouse_id": "Animal"},
    ).measurements
    assert m["body_weight_g"].notna().sum() == 1


def test_empty_volume_in_long_table_is_excluded_with_reason(tmp_path):
    text = LONG.replace("Drug,1,7,90", "Drug,1,7,")
    result = run(tmp_path, text)
    assert len(result.measurements) == 7
    row = result.exclusions.iloc[0]
    assert (row["arm"], row["mouse_id"], row["day"]) == ("Drug", "1", 7.0)
    assert "row 7" in row["reason"] and "empty" in row["reason"]


def test_single_measurement_mouse_is_kept_with_a_note(tmp_path):
    result = run(tmp_path, LONG + "Drug,3,0,100\n")
    assert ("Drug", "3") in set(zip(result.measurements["arm"], result.measurements["mouse_id"]))
    assert result.warnings["message"].str.contains("only one measurement").any()


def test_arms_default_to_data_with_control_first(tmp_path):
    result = run(tmp_path, LONG.replace("Control", "Vehicle"), arms=None, control="Vehicle")
    assert result.measurements["arm"].iloc[0] == "Vehicle"


# ---- errors: each names file, row and column ----------------------------------------------


def test_empty_file(tmp_path):
    assert "data.csv: the file is empty" in error(tmp_path, "")


def test_header_only(tmp_path):
    assert "only a header row" in error(tmp_path, "arm,mouse_id,day,volume_mm3\n")


def test_missing_column(tmp_path):
    msg = error(tmp_path, LONG.replace("volume_mm3", "size"))
    assert "missing column(s) 'volume_mm3'" in msg and "row 1" in msg and "columns:" in msg


def test_mapping_to_unknown_column(tmp_path):
    msg = error(tmp_path, LONG, columns={"volume_mm3": "Volume"})
    assert "column 'Volume' (mapped to 'volume_mm3'" in msg


@pytest.mark.parametrize("cell", ["n/a", "<5", "dead"])
def test_text_in_numeric_column(tmp_path, cell):
    msg = error(tmp_path, LONG.replace("Control,2,7,300", f"Control,2,7,{cell}"))
    assert f"data.csv: row 5, column 'volume_mm3': '{cell}' is not a number" in msg


def test_decimal_comma_without_mode_gives_hint(tmp_path):
    msg = error(tmp_path, LONG.replace(",250.5", ',"250,5"'))
    assert "row 3, column 'volume_mm3': '250,5' is not a number" in msg
    assert "decimal_comma: true" in msg


def test_negative_volume(tmp_path):
    msg = error(tmp_path, LONG.replace("Drug,1,7,90", "Drug,1,7,-90"))
    assert "row 7, column 'volume_mm3': -90 is negative" in msg


def test_empty_day(tmp_path):
    msg = error(tmp_path, LONG.replace("Drug,1,7,90", "Drug,1,,90"))
    assert "row 7, column 'day': empty cell" in msg


def test_duplicate_measurement(tmp_path):
    msg = error(tmp_path, LONG + "Drug,1,7,91\n")
    assert "rows 7, 10" in msg and "measured more than once" in msg


def test_arm_in_data_not_in_study(tmp_path):
    msg = error(tmp_path, LONG + "Other,1,0,100\n")
    assert "row 10, column 'arm': arm 'Other' is not listed in the study file" in msg


def test_arm_in_study_not_in_data(tmp_path):
    msg = error(tmp_path, LONG, arms=["Control", "Drug", "Drug high"])
    assert "arm 'Drug high' from the study file" in msg and "has no mice" in msg


def test_control_without_mice(tmp_path):
    msg = error(tmp_path, LONG.replace("Control", "Ctrl"), arms=None)
    assert "control arm 'Control' has no mice" in msg


def test_one_arm_only(tmp_path):
    # a study file's check: raised when the file is loaded, before any data are read
    with pytest.raises(ConfigError, match="key 'arms': only one arm"):
        run(tmp_path, "\n".join(LONG.splitlines()[:5]) + "\n", arms=["Control"])


def test_wide_repeated_day_header(tmp_path):
    msg = error(tmp_path, "arm,mouse_id,0,7,7.0\nControl,1,1,2,3\nDrug,1,1,2,3\n")
    assert "day 7 appears in two columns" in msg


def test_empty_header_cell(tmp_path):
    msg = error(tmp_path, "arm,mouse_id,,volume_mm3\nControl,1,0,1\n")
    assert "row 1, column 3: empty header cell" in msg


def test_latin1_file(tmp_path):
    data = "arm,mouse_id,day,volume µm3\nControl,1,0,1\n".encode("latin-1")
    msg = error(tmp_path, data)
    assert "row 1" in msg and "not UTF-8" in msg


def test_ragged_row(tmp_path):
    msg = error(tmp_path, LONG + "Drug,3,0,1,2\n")
    assert "row 10: 5 cells but the header has 4 columns" in msg


def test_cli_validate_prints_summary_and_fails_on_bad_data(tmp_path, capsys):
    good = make_study(tmp_path, LONG)
    assert cli_main(["validate", str(good)]) == 0
    out = capsys.readouterr().out
    assert "arm Control (control): 2 mice, 4 measurements" in out
    bad = make_study(tmp_path, LONG.replace("250.5", "n/a"))
    assert cli_main(["validate", str(bad)]) == 1
    assert "'n/a' is not a number" in capsys.readouterr().err


def test_curve_notes_equal_the_grouped_checks():
    """The one-pass notes (unsorted days, single measurement) against the pandas group
    checks they replace, on random tables with repeated, unsorted and missing days."""
    import numpy as np

    from xenoflow.ingest import _curve_notes

    def grouped(df):
        unsorted = [
            {
                "arm": a,
                "mouse_id": m,
                "day": np.nan,
                "message": "days were not in increasing order in the file; sorted",
            }
            for (a, m), g in df.groupby(["arm", "mouse_id"], sort=False)
            if not g["day"].is_monotonic_increasing
        ]
        counts = df.groupby(["arm", "mouse_id"], sort=False).size()
        single = [
            {
                "arm": a,
                "mouse_id": m,
                "day": np.nan,
                "message": "only one measurement: kept, but growth fits need at least two",
            }
            for (a, m), n in counts.items()
            if n == 1
        ]
        return unsorted + single

    rng = np.random.default_rng(3)
    for _ in range(300):
        n = int(rng.integers(1, 30))
        df = pd.DataFrame(
            {
                "arm": rng.choice(["C", "T1", "T2"], n),
                "mouse_id": rng.choice(["1", "2", "10"], n),
                "day": rng.choice([0.0, 3.5, 7.0, 14.0, np.nan], n),
            }
        )
        assert repr(_curve_notes(df)) == repr(grouped(df))


# ---- lab layouts: a title above the header, a units row below it (issue 19) ---------------

TITLED = "Study XF-12: tumour volumes;;;\nexported 2026-11-02;;;\n" + LONG.replace(
    "arm,mouse_id,day,volume_mm3\n", "arm;mouse_id;day;volume_mm3\n;;d;mm3\n"
).replace(",", ";")


def test_header_row_and_skip_rows_read_a_lab_sheet(tmp_path):
    plain = run(tmp_path, LONG)
    lab = run(tmp_path, TITLED, header_row=3, skip_rows=[4])
    pd.testing.assert_frame_equal(lab.measurements, plain.measurements)
    notes = lab.warnings["message"].tolist()
    assert notes[0].startswith("rows 1 to 2 of data.csv, above the column names (header_row: 3)")
    assert "row 4 of data.csv was not read (skip_rows)" in notes


def test_errors_keep_the_file_row_numbers_below_a_title(tmp_path):
    bad = TITLED.replace("Drug;1;7;90", "Drug;1;7;n/a")
    msg = error(tmp_path, bad, header_row=3, skip_rows=[4])
    # file rows: 2 title lines, header (3), units (4), Control x4 (5-8), Drug 1 day 0 (9), day 7
    assert "row 10, column 'volume_mm3': 'n/a' is not a number" in msg
    msg = error(tmp_path, TITLED.replace("arm;mouse_id", "arm;"), header_row=3, skip_rows=[4])
    assert "row 3, column 2: empty header cell" in msg


def test_header_row_in_an_excel_sheet(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Study XF-12"])
    sheet.append([])
    for line in LONG.strip().splitlines():
        sheet.append([float(c) if c[:1].isdigit() else c for c in line.split(",")])
    book.save(tmp_path / "data.xlsx")
    study = {"study_id": "s1", "data": "data.xlsx", "control": "Control", "header_row": 3}
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(study), encoding="utf-8")
    lab = ingest(load_study(tmp_path / "study.yaml"))
    plain = run(tmp_path, LONG)
    pd.testing.assert_frame_equal(lab.measurements, plain.measurements)


def test_skip_rows_must_be_below_the_header(tmp_path):
    with pytest.raises(ConfigError, match="key 'skip_rows': row 2 is not below the header"):
        run(tmp_path, TITLED, header_row=3, skip_rows=[2])


# ---- exclude: in the study file (issue 19) --------------------------------------------------


def test_exclude_a_row_a_measurement_and_a_mouse(tmp_path):
    """A duplicated typo row, one measurement and a whole mouse, each with its reason."""
    typo = LONG.replace("Drug,1,7,90\n", "Drug,1,7,90\nDrug,1,7,900\n")  # file row 7 and 8
    result = run(
        tmp_path,
        typo,
        exclude=[
            {"row": 8, "reason": "typo: day 7 entered twice"},
            {"arm": "Control", "mouse_id": 2, "day": 7, "reason": "caliper slipped"},
            {"arm": "Drug", "mouse_id": "2", "reason": "found dead, not tumour related"},
        ],
    )
    m = result.measurements
    assert 900 not in m["volume_mm3"].tolist()
    assert not ((m["arm"] == "Control") & (m["mouse_id"] == "2") & (m["day"] == 7)).any()
    assert not ((m["arm"] == "Drug") & (m["mouse_id"] == "2")).any()
    assert len(m) == 8 + 1 - 1 - 1 - 2
    excl = result.exclusions
    assert excl["reason"].tolist() == [
        "row 8: excluded by the study file: typo: day 7 entered twice",
        "row 5: excluded by the study file: caliper slipped",
        "excluded by the study file: found dead, not tumour related",
    ]
    assert excl["day"].isna().tolist() == [False, False, True]  # empty day = the whole mouse


def test_an_exclude_entry_that_matches_nothing_is_an_error(tmp_path):
    msg = error(tmp_path, LONG, exclude=[{"arm": "Drug", "mouse_id": 9, "reason": "x"}])
    assert "key 'exclude', entry 1 (arm 'Drug', mouse '9'): matches no row of data.csv" in msg
    with pytest.raises(ConfigError, match="entry 1: give either 'row' or 'arm'"):
        run(tmp_path, LONG, exclude=[{"row": 3, "arm": "Drug", "reason": "x"}])


# ------------------------------------------------------------------ dates instead of days


DATED = (
    "arm,mouse_id,date,volume_mm3\n"
    "Control,1,2024-03-05,100\nControl,1,2024-03-12,200\n"
    "Drug,1,2024-03-05,110\nDrug,1,2024-03-19 00:00:00,90\n"
)


def test_dates_become_study_days_from_the_first_date(tmp_path):
    result = run(tmp_path, DATED)
    days = result.measurements.set_index(["arm", "mouse_id", "volume_mm3"])["day"]
    assert days.tolist() == [0.0, 7.0, 0.0, 14.0]
    assert (
        result.warnings["message"]
        .str.contains(
            "study days computed from column 'date': day 0 = 2024-03-05, its first date",
            regex=False,
        )
        .any()
    )


def test_day0_sets_day_zero_and_earlier_dates_are_negative_days(tmp_path):
    # an unquoted YAML date is a date object; the study file may write it either way
    path = make_study(tmp_path, DATED)
    path.write_text(path.read_text() + "day0: 2024-03-08\n", encoding="utf-8")
    result = ingest(load_study(path))
    assert sorted(result.measurements["day"]) == [-3.0, -3.0, 4.0, 11.0]
    assert result.warnings["message"].str.contains("day 0 = 2024-03-08 (day0)", regex=False).any()


def test_dates_in_another_format_and_column_name(tmp_path):
    data = "Group,Mouse,Datum,Vol\nControl,1,05.03.2024,100\nDrug,1,05.03.2024,90\nDrug,1,01.04.2024,80\n"
    result = run(
        tmp_path,
        data,
        columns={"arm": "Group", "mouse_id": "Mouse", "date": "Datum", "volume_mm3": "Vol"},
        date_format="%d.%m.%Y",
    )
    assert sorted(result.measurements["day"]) == [0.0, 0.0, 27.0]  # 2024 is a leap year


@pytest.mark.parametrize(
    ("cell", "keys", "expected"),
    [
        ("2024-02-30", {}, "row 3, column 'date': '2024-02-30' is not a date; expected a date as"),
        ("5/3/2024", {}, "row 3, column 'date': '5/3/2024' is not a date; expected a date as "),
        # every cell is ISO but the study says otherwise: the first is named, the rest counted
        (
            "2024-03-12",
            {"date_format": "%d/%m/%Y"},
            "row 2, column 'date': '2024-03-05' is not a date (and 3 more cells); expected a date written as '%d/%m/%Y'",
        ),
    ],
)
def test_bad_date_names_row_and_column(tmp_path, cell, keys, expected):
    data = DATED.replace("2024-03-12", cell)
    assert expected in error(tmp_path, data, **keys)


def test_day0_must_be_a_calendar_date(tmp_path):
    with pytest.raises(ConfigError, match="key 'day0': '2024-02-30' is not a calendar date"):
        load_study(make_study(tmp_path, DATED, day0="2024-02-30"))


def test_excel_date_cells_become_study_days(tmp_path):
    import datetime as dt

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["arm", "mouse_id", "date", "volume_mm3"])
    for arm, day, vol in [
        ("Control", 5, 100),
        ("Control", 12, 150),
        ("Drug", 5, 90),
        ("Drug", 9, 70),
    ]:
        ws.append([arm, 1, dt.datetime(2024, 3, day), vol])
    wb.save(tmp_path / "dated.xlsx")
    study = {"study_id": "x", "data": "dated.xlsx", "control": "Control"}
    (tmp_path / "x.yaml").write_text(yaml.safe_dump(study), encoding="utf-8")
    result = ingest(load_study(tmp_path / "x.yaml"))
    assert result.measurements["day"].tolist() == [0.0, 7.0, 0.0, 4.0]

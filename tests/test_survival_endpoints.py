"""Survival endpoints: derivation rules from volumes and the recorded-table reader."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from xenoflow.errors import ConfigError, InputError
from xenoflow.survival import PER_MOUSE_COLUMNS, endpoints_from_volumes, read_survival_data


def _measurements() -> pd.DataFrame:
    rows = [
        # mouse 1 crosses 1000 between day 7 (500) and day 10 (2000)
        ("Control", "1", 0, 100),
        ("Control", "1", 3, 250),
        ("Control", "1", 7, 500),
        ("Control", "1", 10, 2000),
        ("Control", "1", 14, 2500),
        # mouse 2 never exceeds 1000 -> censored at its last measured day (12)
        ("Control", "2", 0, 120),
        ("Control", "2", 5, 400),
        ("Control", "2", 12, 900),
        # mouse 1 of another arm (same id, different mouse); zero volume before the crossing
        ("Drug", "1", 0, 80),
        ("Drug", "1", 4, 0.0),
        ("Drug", "1", 8, 1500),
        # above the threshold at its first measurement; a missing volume is ignored
        ("Drug", "2", 0, 1200),
        ("Drug", "2", 2, math.nan),
        ("Drug", "2", 4, 1300),
    ]
    return pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "volume_mm3"])


def _by_mouse(df: pd.DataFrame) -> dict[tuple[str, str], tuple[float, int]]:
    return {(r.arm, r.mouse_id): (r.time_days, r.event) for r in df.itertuples()}


def test_first_above() -> None:
    out = endpoints_from_volumes(_measurements(), 1000)
    assert list(out.columns) == PER_MOUSE_COLUMNS
    assert _by_mouse(out) == {
        ("Control", "1"): (10, 1),
        ("Control", "2"): (12, 0),
        ("Drug", "1"): (8, 1),
        ("Drug", "2"): (0, 1),
    }
    assert set(out["endpoint_rule"]) == {"first_above 1000 mm3"}
    # strictly above: a volume equal to the threshold is not an event
    out = endpoints_from_volumes(_measurements(), 2000)
    assert _by_mouse(out)[("Control", "1")] == (14, 1)


def test_last_below_tumgrowth() -> None:
    out = endpoints_from_volumes(_measurements(), 1000, rule="last_below")
    assert _by_mouse(out) == {
        ("Control", "1"): (7, 1),
        ("Control", "2"): (12, 0),
        ("Drug", "1"): (4, 1),
        ("Drug", "2"): (0, 1),
    }
    assert out["endpoint_rule"].iloc[0] == "last_below 1000 mm3"
    assert "first measurement above" in out["endpoint_rule"].iloc[3]


def test_interpolate_on_log_volume() -> None:
    out = endpoints_from_volumes(_measurements(), 1000, rule="interpolate")
    got = _by_mouse(out)
    # ln-linear between (7, 500) and (10, 2000): 1000 is halfway on the log scale -> 8.5
    assert got[("Control", "1")] == (pytest.approx(8.5, rel=1e-12), 1)
    assert got[("Control", "2")] == (12, 0)
    # zero volume before the crossing: linear on the volume scale, 4 + 4 * 1000/1500
    assert got[("Drug", "1")] == (pytest.approx(4 + 4 * 1000 / 1500, rel=1e-12), 1)
    assert (
        "linear volume scale"
        in out.set_index(["arm", "mouse_id"]).loc[("Drug", "1"), "endpoint_rule"]
    )


def test_fold_baseline() -> None:
    out = endpoints_from_volumes(_measurements(), None, rule="fold_baseline", fold=4)
    got = _by_mouse(out)
    assert got[("Control", "1")] == (7, 1)  # 500 >= 4 * 100
    assert got[("Control", "2")] == (12, 1)  # 900 >= 480
    assert got[("Drug", "1")] == (8, 1)  # 1500 >= 320
    assert got[("Drug", "2")] == (4, 0)  # 1300 < 4800 -> censored at last day
    assert out["endpoint_rule"].iloc[0] == "fold_baseline 4x"
    zero_start = pd.DataFrame(
        {"arm": "A", "mouse_id": "9", "day": [0, 2, 4, 6], "volume_mm3": [0, 50, 150, 300]}
    )
    out = endpoints_from_volumes(zero_start, None, rule="fold_baseline", fold=4)
    assert (out["time_days"].iloc[0], out["event"].iloc[0]) == (6, 1)
    assert "first positive volume" in out["endpoint_rule"].iloc[0]


def test_bad_rule_arguments() -> None:
    with pytest.raises(ConfigError, match="endpoint_rule"):
        endpoints_from_volumes(_measurements(), 1000, rule="nope")
    with pytest.raises(ConfigError, match="endpoint_volume_mm3"):
        endpoints_from_volumes(_measurements(), None)
    with pytest.raises(ConfigError, match="endpoint_fold"):
        endpoints_from_volumes(_measurements(), None, rule="fold_baseline")


def test_unsorted_input_and_order() -> None:
    shuffled = _measurements().sample(frac=1, random_state=3)
    a = endpoints_from_volumes(_measurements(), 1000).set_index(["arm", "mouse_id"]).sort_index()
    b = endpoints_from_volumes(shuffled, 1000).set_index(["arm", "mouse_id"]).sort_index()
    pd.testing.assert_frame_equal(a, b)


# ------------------------------------------------------------------------- recorded tables

ARMS = ["Vehicle", "Drug"]


def _write(tmp_path: Path, text: str, name: str = "surv.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_recorded_table_reads_and_renames(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "group,animal,days,dead\nDrug,1,30,0\nVehicle,1,12.5,1\nVehicle,2,14,1\n"
    )
    out = read_survival_data(
        path, {"arm": "group", "mouse_id": "animal", "time_days": "days", "event": "dead"}, ARMS
    )
    assert list(out.columns) == PER_MOUSE_COLUMNS
    assert out["arm"].tolist() == ["Vehicle", "Vehicle", "Drug"]
    assert out["time_days"].tolist() == [12.5, 14.0, 30.0]
    assert out["event"].tolist() == [1, 1, 0]
    assert set(out["endpoint_rule"]) == {"recorded"}


def test_recorded_table_tsv(tmp_path: Path) -> None:
    path = _write(tmp_path, "arm\tmouse_id\ttime_days\tevent\nDrug\t1\t3\t1\n", "s.tsv")
    assert read_survival_data(path, None, ARMS)["time_days"].tolist() == [3.0]


@pytest.mark.parametrize(
    "body, row, column, expected",
    [
        ("Vehicle,1,10,2\n", 2, "event", "not 0 or 1"),
        ("Vehicle,1,10,1\nDrug,1,ten,0\n", 3, "time_days", "not a number >= 0"),
        ("Vehicle,1,-1,1\n", 2, "time_days", "not a number >= 0"),
        ("Vehicle,1,10,1\nPlacebo,2,10,1\n", 3, "arm", "unknown arm 'Placebo'"),
        ("Vehicle,1,10,1\nVehicle,1,12,1\n", 3, "mouse_id", "already appears on row 2"),
        ("Vehicle,,10,1\n", 2, "mouse_id", "empty"),
    ],
)
def test_recorded_table_errors_name_file_row_column(
    tmp_path: Path, body: str, row: int, column: str, expected: str
) -> None:
    path = _write(tmp_path, "arm,mouse_id,time_days,event\n" + body)
    with pytest.raises(InputError) as info:
        read_survival_data(path, None, ARMS)
    message = str(info.value)
    assert str(path) in message
    assert f"row {row}" in message
    assert f"column '{column}'" in message
    assert expected in message


def test_recorded_table_missing_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "arm,mouse,time_days,event\nVehicle,1,10,1\n")
    with pytest.raises(InputError, match=r"missing column 'mouse_id'"):
        read_survival_data(path, None, ARMS)
    with pytest.raises(InputError, match=r"missing column 'animal' \(for mouse_id\)"):
        read_survival_data(path, {"mouse_id": "animal"}, ARMS)


def test_mouse_curves_sorts_days_and_keeps_mouse_order():
    from xenoflow.stats import mouse_curves

    data = pd.DataFrame(
        {
            "arm": ["B", "A", "B", "A", "B"],
            "mouse_id": ["1", "1", "1", "1", "2"],
            "day": [7.0, 3.0, 0.0, 0.0, 5.0],
            "volume_mm3": [70.0, 30.0, 10.0, 5.0, 50.0],
        }
    )
    curves = [(a, m, d.tolist(), v.tolist()) for a, m, d, v in mouse_curves(data)]
    assert curves == [
        ("B", "1", [0.0, 7.0], [10.0, 70.0]),
        ("A", "1", [0.0, 3.0], [5.0, 30.0]),
        ("B", "2", [5.0], [50.0]),
    ]
    assert list(mouse_curves(data.iloc[:0])) == []

"""A written table as read back without parsing (xenoflow.readback) equals what read_tsv (pandas'
read_csv) reads from the file."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xenoflow import io, panel
from xenoflow.config import load_study
from xenoflow.readback import NA_TEXT

FIXTURE = Path(__file__).parent / "fixtures" / "panel"


def _captured_and_parsed(df: pd.DataFrame, path: Path) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    with io.capture_written() as written:
        io.write_tsv(df, path)
    captured = io.captured_table(written, path)  # None when as_read was unsure
    return captured, io.read_tsv(path)


def test_pandas_missing_value_strings_are_known():
    from pandas._libs.parsers import STR_NA_VALUES

    assert NA_TEXT == frozenset(STR_NA_VALUES)


_CELL = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        sorted(NA_TEXT)
        + [
            "True",
            "false",
            "TRUE",
            "1",
            "-0",
            "+3",
            "1e5",
            ".5",
            "5.",
            "1e",
            "inf",
            "-Infinity",
            "0123",
            "=1+1",
            "'=x",
            "-5",
            " 5",
            "x ",
            "a\tb",
            'q"q',
            "l\nl",
            "é",
            "1_000",
        ]
    ),
    st.text(max_size=4),
)


def _column(data, rows: int):
    kind = data.draw(st.sampled_from(["float", "int", "bool", "object", "text", "numbers"]))
    if kind == "float":
        values = st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.sampled_from(
                [0.0, -0.0, 7.0, 1e-300, 1.234567891e-30, 1e16, 1.7976931345e308, 5e-324, 1e-320]
            ),
        )
        return pd.Series(data.draw(st.lists(values, min_size=rows, max_size=rows)), dtype=float)
    if kind == "int":
        return pd.Series(
            data.draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=rows, max_size=rows)),
            dtype="int64",
        )
    if kind == "bool":
        return pd.Series(
            data.draw(st.lists(st.booleans(), min_size=rows, max_size=rows)), dtype=bool
        )
    if kind == "numbers":  # text that looks like numbers or booleans, some missing
        cells = st.one_of(
            st.none(),
            st.sampled_from(["1", "2.5", "-0", "True", "False", "NA", "inf", "1e-30", "7"]),
        )
        return pd.Series(data.draw(st.lists(cells, min_size=rows, max_size=rows)), dtype=object)
    cells = _CELL if kind == "object" else st.text(max_size=5)
    return pd.Series(data.draw(st.lists(cells, min_size=rows, max_size=rows)), dtype=object)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.integers(0, 5), data=st.data())
def test_as_read_equals_read_tsv_on_random_tables(tmp_path_factory, rows, data):
    names = data.draw(
        st.lists(
            st.sampled_from(["x", "arm", "mouse_id", "y", "note", "model"]),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    df = pd.DataFrame({n: _column(data, rows) for n in names})
    captured, parsed = _captured_and_parsed(df, tmp_path_factory.mktemp("rb") / "t.tsv")
    if captured is not None:
        pd.testing.assert_frame_equal(captured, parsed, check_exact=True)


def test_as_read_is_sure_of_ordinary_tables(tmp_path):
    df = pd.DataFrame(
        {
            "arm": ["Control", "=Drug"],
            "mouse_id": ["01", "2"],
            "day": [0.0, 7.0],
            "volume_mm3": [100.5, np.nan],
            "n": [3, 4],
            "flag": [True, False],
            "note": ["", "ok"],
            "p": [1e-30, 0.5],
            "call": ["PD", np.nan],
            "mixed": ["1", None],
        }
    )
    captured, parsed = _captured_and_parsed(df, tmp_path / "t.tsv")
    assert captured is not None
    pd.testing.assert_frame_equal(captured, parsed, check_exact=True)
    assert parsed["day"].dtype == np.int64 and parsed["mixed"].dtype == float


def test_as_read_declines_number_like_text_with_spaces(tmp_path):
    captured, parsed = _captured_and_parsed(pd.DataFrame({"x": [" 5", "6"]}), tmp_path / "t.tsv")
    assert captured is None and parsed["x"].tolist() == [5, 6]


def test_as_read_declines_integers_of_19_digits(tmp_path):
    """read_csv reads 10**18 as int64 (19 digits; found by the random-table test)."""
    big = pd.DataFrame({"x": pd.Series([10**18], dtype=object)})
    captured, parsed = _captured_and_parsed(big, tmp_path / "t.tsv")
    assert captured is None and parsed["x"].dtype == "int64"


def test_every_table_of_a_panel_model_reads_back_the_same(tmp_path):
    """The tables a panel model keeps in memory equal those parsed from its files."""
    work = tmp_path / "panel"
    shutil.copytree(FIXTURE, work)
    study = load_study(work / "config" / "panel.yaml", {"bootstrap_resamples": 200})
    results = tmp_path / "results"
    panel.analyse_chunk(study, list(panel.panel_units(study)), results, figures=False)
    written = 0
    for path in sorted(results.glob("PANEL.*/tables/*.tsv")):
        parsed = io.read_tsv(path)
        with io.capture_written() as store:
            io.write_tsv(parsed, tmp_path / "again.tsv")
        captured = io.captured_table(store, tmp_path / "again.tsv")
        assert captured is not None, path
        pd.testing.assert_frame_equal(captured, parsed, check_exact=True, obj=str(path))
        written += 1
    assert written >= 4 * 20


def test_a_table_written_again_without_emulation_is_parsed(tmp_path):
    """A path written twice inside one capture, the second time by the to_csv fallback (a
    pandas extension dtype), reads back the second table, not the first."""
    path = tmp_path / "t.tsv"
    with io.capture_written():
        io.write_tsv(pd.DataFrame({"x": [1.5, 2.5]}), path)
        io.write_tsv(pd.DataFrame({"x": pd.array([7, None], dtype="Int64")}), path)
        back = io.read_tsv(path)
    assert back["x"].tolist()[0] == 7 and pd.isna(back["x"].tolist()[1])

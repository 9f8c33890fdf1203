"""Tables on disk: written by their registry spec, deterministic, atomic, formula-safe, and
read back to exactly what :func:`xenoflow.io.normalise` gives in memory."""

from __future__ import annotations

import os
import stat

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xenoflow import io
from xenoflow.tables import Column, Table

SPEC = Table(
    "test_table",
    "tables/test_table.tsv",
    stage="test",
    columns=(
        Column("arm", "str", "arm"),
        Column("x", "float", "a number"),
        Column("n", "int", "a count"),
        Column("flag", "bool", "a flag"),
        Column("text", "str", "free text"),
        Column("mixed", "str", "text that may hold numbers", optional=True),
    ),
)


def test_tsv_is_deterministic_and_round_trips(tmp_path):
    df = pd.DataFrame(
        {
            "arm": ['=HYPERLINK("x")', "+1 dose", "-ctrl", "@a", "plain", "-5"],
            "x": [1 / 3, 2.0, float("nan"), 1e-12, 123456789.123, -0.5],
            "n": [1, 2, 3, 4, 5, 6],
            "flag": [True, False, True, True, False, False],
            "text": ["NA", "", None, "a\tb", 'q"', "é"],
        }
    )
    path = tmp_path / "t.tsv"
    io.write_table(SPEC, df, path)
    text = path.read_text()
    assert "'=HYPERLINK" in text and "\t'+1 dose" not in text and "'+1 dose" in text
    assert "\n-5\t" in text  # a number-like text is not quoted
    assert "0.3333333333" in text and "\t\t" in text  # fixed precision; NaN is an empty cell
    back = io.read_table(path, SPEC)
    assert back["arm"].tolist() == df["arm"].tolist()
    assert back["text"].tolist()[0] == "NA"  # only an empty cell is missing
    assert back["n"].dtype == np.int64 and back["flag"].dtype == bool
    io.write_table(SPEC, back, tmp_path / "again.tsv")
    assert (tmp_path / "again.tsv").read_bytes() == path.read_bytes()


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.tsv"
    with pytest.raises(RuntimeError):
        with io.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_a_table_must_match_its_declaration(tmp_path):
    with pytest.raises(ValueError, match="not declared"):
        io.write_table("warnings", pd.DataFrame({"arm": [], "surprise": []}), tmp_path / "w.tsv")
    with pytest.raises(ValueError, match="missing"):
        io.write_table("warnings", pd.DataFrame({"arm": ["a"]}), tmp_path / "w.tsv")
    (tmp_path / "warnings.tsv").write_text("message\tarm\tmouse_id\tday\n")
    with pytest.raises(ValueError, match="order"):
        io.read_table(tmp_path / "warnings.tsv")


def test_columns_are_written_in_the_declared_order(tmp_path):
    df = pd.DataFrame({"message": ["m"], "day": [1.0], "mouse_id": ["1"], "arm": ["A"]})
    io.write_table("warnings", df, tmp_path / "warnings.tsv")
    assert (tmp_path / "warnings.tsv").read_text() == "arm\tmouse_id\tday\tmessage\nA\t1\t1\tm\n"


def test_empty_table_has_the_declared_header_and_dtypes(tmp_path):
    empty = io.empty_table("exclusions")
    assert list(empty.columns) == io.EXCLUSION_COLUMNS
    assert empty["day"].dtype == float
    io.write_table("exclusions", empty, tmp_path / "exclusions.tsv")
    assert (tmp_path / "exclusions.tsv").read_text() == "stage\tarm\tmouse_id\tday\treason\n"
    pd.testing.assert_frame_equal(io.read_table(tmp_path / "exclusions.tsv"), empty)


def _pandas_tsv(df: pd.DataFrame, path) -> bytes:
    """The reference: what pandas writes for the same frame (formula-like text neutralised)."""
    safe = df.copy()
    for name in ("arm", "text", "mixed"):
        safe[name] = [
            io.neutralise_formula(v.replace("\r\n", "\n").replace("\r", "\n"))
            if isinstance(v, str)
            else v
            for v in df[name]
        ]
    safe.to_csv(
        path, sep="\t", index=False, float_format=io.FLOAT_FORMAT, lineterminator="\n", na_rep=""
    )
    return path.read_bytes()


_TEXT = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.sampled_from(
        ["", "a b", "tab\there", 'quo"te', "new\nline", "=1+1", "-5", "+x", "  pad ", "é", "NA"]
    ),
    st.text(max_size=6),
)


def _frame(rows: int, data: st.DataObject) -> pd.DataFrame:
    def draw(strategy: st.SearchStrategy) -> list:
        return data.draw(st.lists(strategy, min_size=rows, max_size=rows))

    floats = st.one_of(
        # beyond ~1.7976931e308 the ten-digit text rounds up to infinity: not idempotent
        st.floats(min_value=-1e307, max_value=1e307),
        st.sampled_from([float("nan"), float("inf"), -float("inf")]),
        st.sampled_from([0.0, -0.0, 1e-300, 1e16, 123456.78901234, 2.5e-7]),
    )
    return pd.DataFrame(
        {
            "arm": pd.Series(draw(st.text(min_size=1, max_size=5)), dtype=object),
            "x": pd.Series(draw(floats), dtype=float),
            "n": pd.Series(draw(st.integers(-(10**12), 10**12)), dtype="int64"),
            "flag": pd.Series(draw(st.booleans()), dtype=bool),
            "text": pd.Series(draw(_TEXT), dtype=object),
            "mixed": pd.Series(draw(st.one_of(_TEXT, st.booleans())), dtype=object),
        }
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.integers(0, 6), data=st.data())
def test_writer_equals_pandas_and_reads_back_as_normalised(tmp_path_factory, rows, data):
    df = _frame(rows, data)
    folder = tmp_path_factory.mktemp("tsv")
    io.write_table(SPEC, df, folder / "ours.tsv")
    if rows:  # pandas writes a header-only frame the same; its dtypes are what differ
        assert (folder / "ours.tsv").read_bytes() == _pandas_tsv(df, folder / "pandas.tsv")
    back = io.read_table(folder / "ours.tsv", SPEC)
    pd.testing.assert_frame_equal(back, io.normalise(SPEC, df))
    io.write_table(SPEC, back, folder / "again.tsv")
    assert (folder / "again.tsv").read_bytes() == (folder / "ours.tsv").read_bytes()


def test_missing_count_reads_back_as_float(tmp_path):
    df = io.empty_table("survival_overall").reindex(range(2))
    df["test"], df["df"] = ["logrank", "note"], [2.0, np.nan]
    back = io.normalise("survival_overall", df)
    assert back["df"].tolist()[0] == 2.0 and np.isnan(back["df"].tolist()[1])
    io.write_table("survival_overall", df, tmp_path / "survival_overall.tsv")
    pd.testing.assert_frame_equal(io.read_table(tmp_path / "survival_overall.tsv"), back)


def test_written_files_honour_the_umask(tmp_path):
    """Issue 19: atomic writes went through mkstemp (0600), so colleagues could not read them."""
    mask = os.umask(0o022)
    os.umask(mask)
    io.write_table("warnings", io.empty_table("warnings"), tmp_path / "a" / "warnings.tsv")
    io.write_text("x", tmp_path / "a" / "note.md")
    for name in ("warnings.tsv", "note.md"):
        assert stat.S_IMODE((tmp_path / "a" / name).stat().st_mode) == 0o666 & ~mask
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o777 & ~mask

"""Table writing: deterministic, atomic, formula-safe."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xenoflow import io


def test_tsv_is_deterministic_and_round_trips(tmp_path):
    df = pd.DataFrame(
        {
            "arm": ['=HYPERLINK("x")', "+1 dose", "-ctrl", "@a", "plain", "-5"],
            "mouse_id": ["1", "2", "3", "4", "5", "6"],
            "tgi_pct": [1 / 3, 2.0, float("nan"), 1e-12, 123456789.123, -0.5],
        }
    )
    path = tmp_path / "t.tsv"
    io.write_tsv(df, path)
    text = path.read_text()
    assert "'=HYPERLINK" in text and "\t'+1 dose" not in text and "'+1 dose" in text
    assert "\n-5\t" in text  # a number-like text is not quoted
    assert "0.3333333333" in text and "\t\n" in text  # fixed precision; NaN is an empty cell
    back = io.read_tsv(path)
    assert back["arm"].tolist() == df["arm"].tolist()
    io.write_tsv(back, tmp_path / "again.tsv")
    assert (tmp_path / "again.tsv").read_bytes() == path.read_bytes()


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.tsv"
    with pytest.raises(RuntimeError):
        with io.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def _pandas_tsv(df: pd.DataFrame, path) -> bytes:
    """The reference: what pandas writes for the same frame and settings."""
    io.safe_text(df).to_csv(
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


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.integers(0, 6), data=st.data())
def test_fast_tsv_writer_equals_pandas(tmp_path_factory, rows, data):
    floats = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([0.0, -0.0, 1e-300, 1e16, 123456.78901234, 2.5e-7]),
    )
    df = pd.DataFrame(
        {
            "x": pd.Series(data.draw(st.lists(floats, min_size=rows, max_size=rows)), dtype=float),
            "n": pd.Series(
                data.draw(st.lists(st.integers(-(10**12), 10**12), min_size=rows, max_size=rows)),
                dtype="int64",
            ),
            "flag": pd.Series(
                data.draw(st.lists(st.booleans(), min_size=rows, max_size=rows)), dtype=bool
            ),
            "text": pd.Series(
                data.draw(st.lists(_TEXT, min_size=rows, max_size=rows)), dtype=object
            ),
            "mixed": pd.Series(
                data.draw(
                    st.lists(
                        st.one_of(_TEXT, st.floats(), st.integers(), st.booleans()),
                        min_size=rows,
                        max_size=rows,
                    )
                ),
                dtype=object,
            ),
        }
    )
    folder = tmp_path_factory.mktemp("tsv")
    io.write_tsv(df, folder / "fast.tsv")
    assert (folder / "fast.tsv").read_bytes() == _pandas_tsv(df, folder / "pandas.tsv")


@pytest.mark.parametrize(
    "df",
    [
        pd.DataFrame(),  # no columns: pandas' own writer
        pd.DataFrame({"only": [""]}),  # a lone empty cell is quoted by the csv module
        pd.DataFrame({"n": pd.array([1, None], dtype="Int64")}),  # extension dtype: pandas
        pd.DataFrame({"a": [1.5], "a ": ["x"]}),
    ],
)
def test_fast_tsv_writer_edge_cases(tmp_path, df):
    io.write_tsv(df, tmp_path / "fast.tsv")
    assert (tmp_path / "fast.tsv").read_bytes() == _pandas_tsv(df, tmp_path / "pandas.tsv")


def test_column_lists_equal_the_columns_tolist():
    """Read from pandas' blocks: every dtype (several blocks, interleaved columns, extension
    types, no rows, no columns), against each column's own dtype and tolist()."""
    import numpy as np

    df = pd.DataFrame(
        {
            "f": [1.5, float("nan"), 3.0],
            "i": [1, 2, 3],
            "o": ["a", None, "c"],
            "b": [True, False, True],
            "f2": [0.1, 0.2, 0.3],
            "e": pd.array([1, None, 3], dtype="Int64"),
            "c": pd.Categorical(["x", "y", "x"]),
            "i2": np.array([4, 5, 6], "int32"),
        }
    )
    df["late"] = df["f"] * 2  # a column added after construction sits in its own block
    for frame in (df, df.iloc[:0], df[["o", "f", "i"]], pd.DataFrame(), df.T.T):
        want = [(col.dtype, col.tolist()) for _, col in frame.items()]
        got = io.column_lists(frame)
        assert [d for d, _ in got] == [d for d, _ in want]
        assert repr([v for _, v in got]) == repr([v for _, v in want])
        assert [[type(x) for x in v] for _, v in got] == [[type(x) for x in v] for _, v in want]


def test_empty_frame_is_a_fresh_header_only_frame():
    columns = ["arm", "p_value", "note"]
    first = io.empty_frame(columns)
    pd.testing.assert_frame_equal(first, pd.DataFrame(columns=columns), check_exact=True)
    first["arm"] = ["changed"] * 0
    first.loc[0] = ["x", 1.0, "y"]  # the cached template must not change with a copy
    pd.testing.assert_frame_equal(io.empty_frame(columns), pd.DataFrame(columns=columns))
    assert list(io.empty_frame(iter(columns)).columns) == columns

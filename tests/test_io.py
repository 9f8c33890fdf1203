"""Table writing: deterministic, atomic, formula-safe."""

from __future__ import annotations

import pandas as pd
import pytest

from xenoflow import io


def test_tsv_is_deterministic_and_round_trips(tmp_path):
    df = pd.DataFrame({"arm": ["=HYPERLINK(\"x\")", "+1 dose", "-ctrl", "@a", "plain", "-5"],
                       "mouse_id": ["1", "2", "3", "4", "5", "6"],
                       "tgi_pct": [1 / 3, 2.0, float("nan"), 1e-12, 123456789.123, -0.5]})
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

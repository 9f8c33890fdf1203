"""Property-based checks of ingest: any valid table survives a round trip through every layout,
and row order or arm names do not change any number."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xenoflow.config import load_study
from xenoflow.errors import InputError
from xenoflow.ingest import ingest

ARMS = ["Control", "Low dose", "High dose"]


@st.composite
def canonical_tables(draw: st.DrawFn) -> pd.DataFrame:
    n_arms = draw(st.integers(2, 3))
    days = sorted(draw(st.sets(st.integers(-3, 60), min_size=2, max_size=6)))
    rows = []
    for arm in ARMS[:n_arms]:
        for mouse in range(1, draw(st.integers(1, 4)) + 1):
            measured = draw(st.lists(st.sampled_from(days), min_size=1, unique=True))
            for day in sorted(measured):
                volume = draw(
                    st.one_of(st.just(0.0), st.floats(0.5, 5000).map(lambda v: round(v, 3)))
                )
                rows.append((arm, str(mouse), float(day), volume))
    return pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "volume_mm3"])


def write_study(folder: Path, df: pd.DataFrame, fmt: str, arms: list[str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data.csv"
    if fmt == "long":
        df.to_csv(data, index=False)
    elif fmt == "wide":
        wide = df.pivot(index=["arm", "mouse_id"], columns="day", values="volume_mm3")
        wide.columns = [f"{d:g}" for d in wide.columns]
        wide.reset_index().to_csv(data, index=False)
    else:  # caliper: width drawn, length so that L*W^2/2 = V
        width = np.where(df["volume_mm3"] > 0, 8.0, 0.0)
        length = np.where(width > 0, 2 * df["volume_mm3"] / np.maximum(width, 1e-12) ** 2, 0.0)
        df.drop(columns="volume_mm3").assign(length_mm=length, width_mm=width).to_csv(
            data, index=False, float_format="%.17g"
        )
    arms = arms or list(dict.fromkeys(df["arm"]))
    study = {"study_id": "p", "data": "data.csv", "control": arms[0], "arms": arms}
    if fmt == "caliper":
        study["format"] = "caliper"
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(study), encoding="utf-8")
    return path


def canonical(path: Path) -> pd.DataFrame:
    m = ingest(load_study(path)).measurements
    return m[["arm", "mouse_id", "day", "volume_mm3"]].reset_index(drop=True)


SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(df=canonical_tables())
def test_round_trip_through_every_layout(tmp_path_factory, df):
    base = tmp_path_factory.mktemp("rt")
    reference = canonical(write_study(base / "long", df, "long"))
    assert len(reference) == len(df)
    for fmt in ("wide", "caliper"):
        other = canonical(write_study(base / fmt, df, fmt))
        pd.testing.assert_frame_equal(other, reference, check_exact=False, rtol=1e-12, atol=1e-9)


@SETTINGS
@given(df=canonical_tables(), seed=st.integers(0, 2**32 - 1))
def test_row_order_and_arm_names_do_not_matter(tmp_path_factory, df, seed):
    base = tmp_path_factory.mktemp("perm")
    reference = canonical(write_study(base / "a", df, "long"))
    shuffled = df.sample(frac=1, random_state=np.random.RandomState(seed % 2**32))
    renamed = {a: f"={a}!" for a in ARMS}
    arms = [renamed[a] for a in dict.fromkeys(df["arm"])]
    other = canonical(
        write_study(base / "b", shuffled.assign(arm=shuffled["arm"].map(renamed)), "long", arms)
    )
    assert other["arm"].tolist() == reference["arm"].map(renamed).tolist()
    pd.testing.assert_frame_equal(other.drop(columns="arm"), reference.drop(columns="arm"))


_PIECES = [
    "a",
    "1",
    " ",
    "\t",
    ",",
    ";",
    '"',
    "\n",
    "\r\n",
    "\r",
    "\xa0",
    "\u2003",
    "x y",
    "\x0b",
    "\u2028",
    "\x85",
    "é",
    "\x00",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    delimiter=st.sampled_from([",", ";", "\t"]),
    body=st.lists(st.sampled_from(_PIECES + [",", ";", "\t"]), max_size=16),
)
def test_cells_are_stripped_as_if_each_were(tmp_path_factory, delimiter, body):
    """read_grid skips stripping when one scan of the text finds no whitespace at a cell's
    edge; the cells must equal stripping every cell of the csv module's rows."""
    import csv
    import io

    from xenoflow.ingest import read_grid

    text = f"h1{delimiter}h2\n" + "".join(body)
    path = tmp_path_factory.mktemp("grid") / ("t.tsv" if delimiter == "\t" else "t.csv")
    path.write_text(text, encoding="utf-8", newline="")
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error:  # e.g. a lone carriage return in an unquoted cell: a clear error
        with pytest.raises(InputError, match=r"t\.[ct]sv: row \d+: cannot be read"):
            read_grid(path)
        return
    assert read_grid(path) == [[c.strip() for c in row] for row in rows]


def _sort_frame_version(df: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    """The sort_values implementation that ingest._sort replaced (reference)."""
    import re

    def key(text: str) -> tuple:
        return tuple(
            (0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", text) if p
        )

    order = {a: i for i, a in enumerate(arms)}
    keyed = df.assign(_arm=df["arm"].map(order), _mouse=df["mouse_id"].map(key))
    return keyed.sort_values(["_arm", "_mouse", "day"], kind="stable").drop(
        columns=["_arm", "_mouse"]
    )


def test_rows_sort_as_the_frame_version():
    import numpy as np

    from xenoflow.ingest import _sort

    rng = np.random.default_rng(13)
    ids = ["1", "2", "10", "m2", "m10", "a", "A1b2", "007", "x 3"]
    for _ in range(300):
        n = int(rng.integers(0, 25))
        df = pd.DataFrame(
            {
                "arm": rng.choice(["C", "T", "Z"], n),
                "mouse_id": rng.choice(ids, n),
                "day": np.where(rng.random(n) < 0.1, np.nan, rng.choice([0.0, 3.0, 7.5, 14.0], n)),
                "volume_mm3": rng.random(n),
            },
            index=rng.permutation(n),
        )
        arms = ["T", "C"] if rng.random() < 0.5 else ["Z", "T", "C"]
        pd.testing.assert_frame_equal(
            _sort(df, arms), _sort_frame_version(df, arms), check_exact=True
        )

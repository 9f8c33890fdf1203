"""Issue 19 item 1: a study runs to its summary whatever optional keys of the study schema it
omits or sets. Every optional key has an example here (a key added to the schema without one
fails :func:`test_every_optional_key_has_an_example`); each example, and the study with every
optional key absent, is run through all stages to the summary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from xenoflow import panel, stages, survival
from xenoflow.config import load_schema, load_study
from xenoflow.ingest import read_source

FIXTURE = Path(__file__).parent / "fixtures" / "tiny" / "data" / "tiny_long.csv"
SETTINGS = {"bootstrap_resamples": 50}


def _rows() -> pd.DataFrame:
    """The tiny long fixture with xenoflow's own column names (arms Vehicle and Drug)."""
    return pd.read_csv(FIXTURE, dtype=str).set_axis(
        ["arm", "mouse_id", "day", "volume_mm3"], axis=1
    )


def _csv(df: pd.DataFrame, folder: Path, name: str = "data.csv", **kw: Any) -> str:
    df.to_csv(folder / name, index=False, **kw)
    return name


def _with_lines(folder: Path, above: list[str], below_header: list[str]) -> str:
    lines = _rows().to_csv(index=False).splitlines()
    text = "\n".join([*above, lines[0], *below_header, *lines[1:]]) + "\n"
    (folder / "data.csv").write_text(text, encoding="utf-8")
    return "data.csv"


def _dated(df: pd.DataFrame, fmt: str) -> pd.DataFrame:
    start = dt.date(2024, 1, 1)
    dates = [(start + dt.timedelta(days=int(d))).strftime(fmt) for d in df["day"]]
    return df.drop(columns="day").assign(date=dates)


def _excel(folder: Path) -> str:
    with pd.ExcelWriter(folder / "data.xlsx") as xw:
        pd.DataFrame({"note": ["cover"]}).to_excel(xw, sheet_name="cover", index=False)
        _rows().to_excel(xw, sheet_name="volumes", index=False)
    return "data.xlsx"


def _survival(folder: Path, names: tuple[str, str, str, str]) -> str:
    mice = _rows()[["arm", "mouse_id"]].drop_duplicates()
    table = mice.assign(time_days=21, event=[i % 2 for i in range(len(mice))])
    table.set_axis(list(names), axis=1).to_csv(folder / "survival.csv", index=False)
    return "survival.csv"


def _four_arms(folder: Path) -> str:
    """The fixture's two arms and two more made from them: a combination design (vehicle,
    Drug, Drug B, Combo)."""
    rows = _rows()
    drug = rows[rows["arm"] == "Drug"]
    slower = drug.assign(volume_mm3=lambda d: [f"{float(v) ** 0.95:.1f}" for v in d["volume_mm3"]])
    return _csv(
        pd.concat(
            [
                rows,
                slower.assign(arm="Drug B"),
                drug.assign(
                    arm="Combo",
                    volume_mm3=drug["volume_mm3"].map(lambda v: f"{float(v) ** 0.9:.1f}"),
                ),
            ],
            ignore_index=True,
        ),
        folder,
    )


def _wide_with_weights(folder: Path) -> str:
    """The fixture as a wide table (one column per day), and weights.csv in its layout."""
    rows = _rows()
    wide = rows.pivot(index=["arm", "mouse_id"], columns="day", values="volume_mm3")
    weights = wide.apply(lambda col: [f"{20 - i % 3}" for i in range(len(col))])
    weights.reset_index().to_csv(folder / "weights.csv", index=False)
    return _csv(wide.reset_index(), folder)


def _panel(folder: Path) -> str:
    rows = _rows()
    both = pd.concat([rows.assign(model="M1"), rows.assign(model="M2")], ignore_index=True)
    return _csv(both, folder)


# key -> (value, writer of the data file it needs, or None for the plain fixture)
Example = tuple[Any, Callable[[Path], str] | None]
EXAMPLES: dict[str, Example] = {
    "title": ("A study", None),
    "model": ("U87-MG", None),
    "description": ("Two arms.", None),
    "synthetic": (True, None),
    "format": ("long", None),
    "sheet": ("volumes", _excel),
    "header_row": (3, lambda f: _with_lines(f, ["Lab sheet", ""], [])),
    "skip_rows": ([2], lambda f: _with_lines(f, [], ["units,,days,mm3"])),
    "exclude": ([{"arm": "Vehicle", "mouse_id": "1", "reason": "tumour ulcerated"}], None),
    "decimal_comma": (
        True,
        lambda f: _csv(
            _rows().assign(volume_mm3=lambda d: d["volume_mm3"].str.replace(".", ",")),
            f,
            sep=";",
        ),
    ),
    "day0": ("2024-01-01", lambda f: _csv(_dated(_rows(), "%Y-%m-%d"), f)),
    "date_format": ("%d/%m/%Y", lambda f: _csv(_dated(_rows(), "%d/%m/%Y"), f)),
    "columns": (
        {"arm": "Group", "mouse_id": "Animal", "day": "Day", "volume_mm3": "Volume"},
        lambda f: _csv(pd.read_csv(FIXTURE, dtype=str), f),
    ),
    "split_by": ("model", _panel),
    "arms": (
        ["Vehicle", {"name": "Drug", "doses": [{"day": 0, "amount": 10, "unit": "mg/kg"}]}],
        None,
    ),
    "baseline_day": (0, None),
    "reference_day": (14, None),
    "detection_limit_mm3": (5.0, None),
    "visit_window_days": (0, None),
    "endpoint_volume_mm3": (500, None),
    "survival_data": (None, None),  # set by the writer below (the file name)
    "body_weight_data": ("weights.csv", _wide_with_weights),
    "survival_columns": (
        {"arm": "Group", "mouse_id": "Animal", "time_days": "Days", "event": "Died"},
        None,
    ),
    # arms set by _write_study
    "combinations": ([{"arm": "Combo", "components": ["Drug", "Drug B"]}], _four_arms),
    "synergy": (
        {
            "time_start": 3,
            "time_end": 17,
            "min_observations": 2,
            "time_transform": "sqrt",
            "variance": ["by_arm"],
            "power_simulations": 5,
        },
        None,
    ),
    "design": ({"tgi_pct": [50], "n_per_arm": [4, 8], "simulations": 100}, None),
    "analysis": (
        {"bootstrap_resamples": 100, "alpha": 0.1, "km_confidence_bands": False},
        None,
    ),
    # arms with the agent are set by _write_study
    "agents": ({"Drug": {"isotope": "I-131", "biological_half_life_days": 20}}, None),
    # the two-phase (piecewise) model with a fixed breakpoint; the tiny arms just grow
    "growth": ({"piecewise": "always", "breakpoint_day": 10}, None),
    # the arm with the agent is set by _write_study
    "what_if": (
        [
            {
                "name": "Drug x2",
                "agent": "Drug",
                "doses": [
                    {"day": 0, "amount": 0.5, "unit": "MBq"},
                    {"day": 7, "amount": 0.5, "unit": "MBq"},
                ],
            }
        ],
        None,
    ),
    "tolerability": (
        {"baseline": "pre_dose_mean", "loss_thresholds_pct": [10, 20], "toxic_nadir_pct": 15},
        lambda f: _csv(
            _rows().assign(body_weight_g=lambda d: [f"{20 - i % 3}" for i in range(len(d))]), f
        ),
    ),
}


def _optional_keys() -> list[str]:
    schema = load_schema("study")
    return [k for k in schema["properties"] if k not in schema["required"]]


def test_every_optional_key_has_an_example():
    assert sorted(EXAMPLES) == sorted(_optional_keys())


def _write_study(folder: Path, key: str | None) -> Path:
    study: dict[str, Any] = {"study_id": "s", "data": _csv(_rows(), folder), "control": "Vehicle"}
    if key is not None:
        value, writer = EXAMPLES[key]
        if writer is not None:
            study["data"] = writer(folder)
        if key == "survival_data":
            value = _survival(folder, ("arm", "mouse_id", "time_days", "event"))
        if key == "survival_columns":
            study["survival_data"] = _survival(folder, ("Group", "Animal", "Days", "Died"))
        study[key] = value
        if key == "combinations":
            study["arms"] = ["Vehicle", "Drug", "Drug B", "Combo"]
        if key in ("agents", "what_if"):
            study["arms"] = [
                "Vehicle",
                {
                    "name": "Drug",
                    "agent": "Drug",
                    "doses": [{"day": 0, "amount": 1, "unit": "MBq"}],
                },
            ]
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False), encoding="utf-8")
    return path


def _summaries(path: Path, results: Path) -> list[str]:
    """Every stage of the study, chained in memory as a panel model is, to its summary."""
    study = load_study(path, SETTINGS)
    if study.split_by:
        units = list(panel.panel_units(study))
        panel.analyse_chunk(study, units, results)
        return [(results / u / "summary.md").read_text(encoding="utf-8") for u in units]
    recorded = survival.read_survival_file(study.survival_data) if study.survival_data else None
    tables = stages.analyse_study(study, read_source(study), recorded=recorded)
    documents = stages.run_summary(study, tables)
    return [str(documents["summary_md"])]


@pytest.mark.parametrize("key", [None, *EXAMPLES], ids=lambda k: k or "no_optional_key")
def test_a_study_runs_to_its_summary_with_or_without_each_optional_key(key, tmp_path):
    texts = _summaries(_write_study(tmp_path, key), tmp_path / "results")
    assert texts and all("## Findings" in t for t in texts)
    if key == "exclude":
        assert all("tumour ulcerated" in t for t in texts)
    if key == "design":
        assert "Design of a next study" in texts[0]
    if key == "combinations":
        assert "The Combo combination grew at" in texts[0]
    if key == "title":
        assert texts[0].startswith("# A study")
    if key == "growth":  # fitted although no arm regresses: the table has its rows
        study = load_study(_write_study(tmp_path, key), SETTINGS)
        tables = stages.analyse_study(study, read_source(study))
        assert (tables["growth_piecewise"]["breakpoint_day"] == 10).all()
        assert len(tables["growth_piecewise"]) == 2
    if key in ("body_weight_data", "tolerability"):
        assert "mean body-weight nadir" in texts[0]
    if key == "what_if":  # predicted, or the model's check says why not (one arm per agent)
        assert "Predicted for Drug x2" in texts[0] or (
            "The model is not used to predict Drug x2, because it fails its check" in texts[0]
        )

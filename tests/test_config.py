"""Study files and workflow config: schema validation and messages naming file and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from xenoflow.config import load_studies, load_study, resolve_config, validate
from xenoflow.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def write_study(tmp_path: Path, **keys: object) -> Path:
    (tmp_path / "d.csv").write_text("arm,mouse_id,day,volume_mm3\n", encoding="utf-8")
    study = {"study_id": "s1", "data": "d.csv", "control": "C", "arms": ["C", "T"]}
    study.update(keys)
    path = tmp_path / "s1.yaml"
    path.write_text(
        yaml.safe_dump({k: v for k, v in study.items() if v is not None}), encoding="utf-8"
    )
    return path


def config_error(path: Path) -> str:
    with pytest.raises(ConfigError) as exc:
        load_study(path)
    return str(exc.value)


def test_valid_study_resolves_paths_and_doses(tmp_path):
    path = write_study(
        tmp_path, arms=["C", {"name": "T", "doses": [{"day": 0, "amount": 95.7, "unit": "uCi"}]}]
    )
    study = load_study(path)
    assert study.data == (tmp_path / "d.csv").resolve()
    assert study.arm_names == ["C", "T"] and study.treated_arms == ["T"]
    assert study.arm("T").doses[0].describe() == "95.7 µCi on day 0"
    assert study.settings["alpha"] == 0.05


def test_unknown_key(tmp_path):
    msg = config_error(write_study(tmp_path, colour="red"))
    assert "s1.yaml: key '(top level)'" in msg and "'colour' was unexpected" in msg


def test_wrong_type(tmp_path):
    msg = config_error(write_study(tmp_path, endpoint_volume_mm3="big"))
    assert "key 'endpoint_volume_mm3': 'big' is not of type 'number'" in msg


def test_wrong_type_in_dose(tmp_path):
    msg = config_error(write_study(tmp_path, arms=["C", {"name": "T", "doses": [{"day": "zero"}]}]))
    assert "key 'arms/1/doses/0/day'" in msg


@pytest.mark.parametrize("bad_id", ["a/b", "my study", "../x"])
def test_study_id_must_be_path_safe(tmp_path, bad_id):
    assert "key 'study_id'" in config_error(write_study(tmp_path, study_id=bad_id))


def test_control_not_among_arms(tmp_path):
    msg = config_error(write_study(tmp_path, control="Vehicle"))
    assert "key 'control': control arm 'Vehicle' is not among the arms (C, T)" in msg


def test_duplicate_arm(tmp_path):
    assert "arm listed twice: T" in config_error(write_study(tmp_path, arms=["C", "T", "T"]))


def test_missing_data_file(tmp_path):
    msg = config_error(write_study(tmp_path, data="nope.csv"))
    assert "key 'data': file 'nope.csv' not found" in msg


def test_path_outside_study_folder_is_allowed_and_reported(tmp_path):
    sub = tmp_path / "studies"
    sub.mkdir()
    (tmp_path / "d.csv").write_text("x\n", encoding="utf-8")
    path = sub / "s.yaml"
    path.write_text(
        yaml.safe_dump({"study_id": "s", "data": "../d.csv", "control": "C"}), encoding="utf-8"
    )
    study = load_study(path)
    assert study.data == (tmp_path / "d.csv").resolve()
    assert "outside the study folder" in study.notes[0]


def test_study_analysis_overrides_config_defaults(tmp_path):
    path = write_study(tmp_path, analysis={"seed": 7})
    study = load_study(path, {"seed": 1, "alpha": 0.1})
    assert study.settings["seed"] == 7 and study.settings["alpha"] == 0.1


def test_config_defaults_and_errors(tmp_path):
    resolved = resolve_config({"studies": ["x.yaml"]})
    assert resolved["results"] == "results" and resolved["analysis"]["bootstrap_resamples"] == 2000
    with pytest.raises(ConfigError, match="key 'analysis/alpha'"):
        resolve_config({"studies": ["x.yaml"], "analysis": {"alpha": 2}})
    with pytest.raises(ConfigError, match="'studies' is a required property"):
        resolve_config({})


def test_glob_without_match_and_duplicate_ids(tmp_path):
    with pytest.raises(ConfigError, match="matches no file"):
        load_studies(resolve_config({"studies": ["none/*.yaml"]}), base=tmp_path)
    a = write_study(tmp_path)
    b = tmp_path / "copy.yaml"
    b.write_text(a.read_text(), encoding="utf-8")
    with pytest.raises(ConfigError, match="'s1' is already used"):
        load_studies(resolve_config({"studies": ["*.yaml"]}), base=tmp_path)


def test_shipped_config_and_studies_are_valid():
    config = resolve_config(yaml.safe_load((ROOT / "config/config.yaml").read_text()))
    studies = load_studies(config, base=ROOT)
    assert studies, "the default config lists no study"


def test_schema_states_the_panel_chunks_default_the_workflow_uses():
    from xenoflow.config import load_schema
    from xenoflow.panel import DEFAULT_CHUNKS

    assert load_schema("config")["properties"]["panel_chunks"]["default"] == DEFAULT_CHUNKS


def test_the_documented_study_examples_are_valid():
    """config/README.md's study files validate against the schema (its every key, new ones
    such as header_row, skip_rows and exclude included)."""
    text = (Path(__file__).resolve().parents[1] / "config" / "README.md").read_text("utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 2
    for block in blocks:
        raw = yaml.safe_load(block)
        validate(raw, "study", "config/README.md")
    assert {"header_row", "skip_rows", "exclude"} <= set(yaml.safe_load(blocks[0]))


def test_body_weight_data_resolves_for_a_wide_study(tmp_path):
    (tmp_path / "w.csv").write_text("arm,mouse_id,0\n", encoding="utf-8")
    study = load_study(write_study(tmp_path, format="wide", body_weight_data="w.csv"))
    assert study.body_weight_data == (tmp_path / "w.csv").resolve()
    assert load_study(write_study(tmp_path)).body_weight_data is None


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"format": "wide"}, "s1.yaml: key 'body_weight_data': file 'w.csv' not found"),
        ({"format": "long"}, "s1.yaml: key 'body_weight_data': only for wide-format studies"),
        ({"format": "caliper"}, "format 'caliper' carries body weights in a body_weight_g"),
        ({"split_by": "model"}, "s1.yaml: key 'body_weight_data': not supported for panels"),
        ({"body_weight_data": ""}, "body_weight_data"),
    ],
)
def test_body_weight_data_errors_name_file_and_key(tmp_path, keys, expected):
    keys = {"body_weight_data": "w.csv", **keys}
    if "not found" not in expected:
        (tmp_path / "w.csv").write_text("arm,mouse_id,0\n", encoding="utf-8")
    assert expected in config_error(write_study(tmp_path, **keys))


def test_analysis_settings_type_names_every_schema_setting_with_its_type():
    """``Study.settings`` is typed by :class:`AnalysisSettings`: one key per property of the
    schema's ``$defs/analysis``, with the schema's type (an ``enum`` as a ``Literal`` of the
    same values), so mypy checks every ``settings["..."]`` against what the schema allows."""
    import typing

    from xenoflow.config import AnalysisSettings, load_schema

    schema = load_schema("config")["$defs"]["analysis"]["properties"]
    hints = typing.get_type_hints(AnalysisSettings)
    resolved_only = {"detection_limit_mm3"}  # resolved from the data, not a setting
    assert set(hints) - resolved_only == set(schema)
    assert AnalysisSettings.__optional_keys__ == frozenset(resolved_only)
    simple = {"number": float, "integer": int, "boolean": bool}
    for key, spec in schema.items():
        hint = hints[key]
        if "enum" in spec:
            assert typing.get_origin(hint) is typing.Literal, key
            assert set(typing.get_args(hint)) == set(spec["enum"]), key
        elif spec.get("type") == "array":
            assert typing.get_origin(hint) is list, key
            (item,) = typing.get_args(hint)
            assert set(typing.get_args(item)) == set(spec["items"]["enum"]), key
        else:
            assert hint is simple[spec["type"]], key

"""Panels (split_by): units, chunks, per-model analysis equal to a study's, incremental cache,
cross-model tables (issue 7)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from xenoflow import crossmodel, io, panel, stages
from xenoflow.config import load_study
from xenoflow.errors import InputError
from xenoflow.ingest import ingest, read_source
from xenoflow.plots.panel import draw_unit

FIXTURE = Path(__file__).parent / "fixtures" / "panel"


@pytest.fixture
def panel_dir(tmp_path: Path) -> Path:
    work = tmp_path / "panel"
    shutil.copytree(FIXTURE, work)
    return work


def _study(work: Path):
    return load_study(work / "config" / "panel.yaml", {"bootstrap_resamples": 200})


def test_units_ids_and_arms(panel_dir):
    units = panel.panel_units(_study(panel_dir))
    assert list(units) == ["PANEL.M1", "PANEL.M2", "PANEL.M3_b", "PANEL.M4"]
    assert units["PANEL.M3_b"].split_value == "M3 b" and units["PANEL.M3_b"].panel_id == "PANEL"
    assert units["PANEL.M1"].panel_id == "PANEL"


def test_colliding_unit_ids_are_an_error(panel_dir):
    path = panel_dir / "data" / "panel.csv"
    text = path.read_text()
    path.write_text(text + "M3_b,untreated,99,0,100\nM3_b,untreated,99,7,200\n")
    with pytest.raises(InputError, match="'M3 b' and 'M3_b' give the same unit id"):
        panel.panel_units(_study(panel_dir))


def test_missing_split_column_names_the_file(panel_dir):
    raw = yaml.safe_load((panel_dir / "config" / "panel.yaml").read_text())
    raw["split_by"] = "tumour"
    (panel_dir / "config" / "panel.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(
        InputError,
        match=r"panel.csv: row 1: column 'tumour' \(named by "
        r"'split_by' in panel.yaml\) is not in the header",
    ):
        panel.panel_units(_study(panel_dir))


def test_the_snakefile_reads_a_panels_models_from_its_manifest(panel_dir, monkeypatch):
    """Issue 31: the parse reads the panel file once; while the manifest's key holds (study,
    data file's size and time, code), it reads the manifest only; an edit reads the file."""
    from xenoflow import panelplan, panelunits

    study, manifests = _study(panel_dir), panel_dir / "manifests"
    first = panelplan.unit_ids([study], manifests)
    assert first == {"PANEL": list(panel.panel_units(study))}

    def unread(_study):
        raise AssertionError("the panel file was read although the manifest holds")

    monkeypatch.setattr(panelunits, "panel_units", unread)
    assert panelplan.unit_ids([study], manifests) == first
    monkeypatch.undo()
    path = panel_dir / "data" / "panel.csv"
    path.write_text(path.read_text() + "M9,untreated,99,0,100\nM9,untreated,99,7,200\n")
    assert panelplan.unit_ids([study], manifests)["PANEL"][-1] == "PANEL.M9"
    # an error is raised on every parse until it is fixed: no manifest is written for it
    path.write_text(path.read_text() + "M3_b,untreated,98,0,100\nM3_b,untreated,98,7,200\n")
    for _ in range(2):
        with pytest.raises(InputError, match="give the same unit id"):
            panelplan.unit_ids([study], manifests)


def test_chunks_are_stable_when_models_are_added():
    units = [f"P.X-{i:03d}" for i in range(100)]
    before = {u: i for i, c in enumerate(panel.chunks(units, 8)) for u in c}
    after = {u: i for i, c in enumerate(panel.chunks(units + ["P.new"], 8)) for u in c}

    # chunk indices may shift only if an empty chunk is filled; the grouping is unchanged
    def groups(m: dict[str, int]) -> list[list[str]]:
        return sorted(sorted(u for u in m if m[u] == i and u != "P.new") for i in set(m.values()))

    assert groups(before) == [g for g in groups(after) if g]
    assert sum(map(len, panel.chunks(units, 8))) == 100


def test_unit_outputs_equal_a_standalone_study(panel_dir, tmp_path):
    study = _study(panel_dir)
    panel.analyse_chunk(study, ["PANEL.M1"], panel_dir / "results", figures=None)
    # the same model as an ordinary study file
    rows = pd.read_csv(panel_dir / "data" / "panel.csv", dtype=str)
    rows[rows["model"] == "M1"].drop(columns="model").to_csv(tmp_path / "m1.csv", index=False)
    (tmp_path / "m1.yaml").write_text(
        yaml.safe_dump(
            {
                "study_id": "M1",
                "data": "m1.csv",
                "control": "untreated",
                "arms": ["untreated", "drugA", "drugB"],
                "endpoint_volume_mm3": 1,
                "analysis": {
                    "endpoint_rule": "fold_baseline",
                    "endpoint_fold": 2,
                    "growth_model_selection": False,
                },
            }
        )
    )
    alone = load_study(tmp_path / "m1.yaml", {"bootstrap_resamples": 200})
    # the study path: one stage per rule, each table written and read back from disk
    out = tmp_path / "alone"
    tables: dict[str, pd.DataFrame] = {}
    for run in (
        lambda: stages.run_ingest(alone, read_source(alone)),
        lambda: stages.run_growth(alone, tables),
        lambda: stages.run_survival(alone, tables),
        lambda: stages.run_efficacy(alone, tables),
    ):
        for name, df in run().tables.items():
            io.write_table(name, df, out / "tables" / f"{name}.tsv")
            tables[name] = io.read_table(out / "tables" / f"{name}.tsv")
    unit = panel_dir / "results" / "PANEL.M1"
    for name in (
        "measurements",
        "growth_per_mouse",
        "growth_model",
        "efficacy",
        "response",
        "growth_delay",
        "survival_per_mouse",
        "survival",
    ):
        assert (unit / "tables" / f"{name}.tsv").read_bytes() == (
            out / "tables" / f"{name}.tsv"
        ).read_bytes(), name


def test_one_mouse_per_arm_and_missing_control_are_stated(panel_dir):
    study = _study(panel_dir)
    tables = panel.analyse_chunk(
        study, ["PANEL.M1", "PANEL.M4"], panel_dir / "results", figures=draw_unit
    )
    m1 = panel_dir / "results" / "PANEL.M1" / "tables"
    model = io.read_table(m1 / "growth_model.tsv")
    assert model["model"].str.contains("mixed model skipped").all()
    assert io.read_table(m1 / "survival.tsv")["note"].str.contains("no Kaplan-Meier").all()
    tests = io.read_table(m1 / "survival_tests.tsv")
    assert tests["note"].str.contains("skipped").all()
    # drugs of a panel model are compared with the control only, not with each other
    assert list(zip(tests["arm"], tests["reference"], tests["comparison"])) == [
        ("drugA", "untreated", "vs control"),
        ("drugB", "untreated", "vs control"),
    ]
    m4 = io.read_table(panel_dir / "results" / "PANEL.M4" / "tables" / "efficacy.tsv")
    assert m4["note"].str.contains("no control arm 'untreated'").all()
    assert m4["tc_pct"].isna().all()
    # per-curve metrics are still reported for the model without a control
    curves = tables["curves"]
    m4_curves = curves[curves["model"] == "M4"]
    assert len(m4_curves) == 2 and m4_curves["growth_rate_per_day"].notna().all()
    assert m4_curves["mrecist"].notna().all() and m4_curves["auc_mm3_days"].notna().all()
    for f in panel.unit_files(True):
        assert (panel_dir / "results" / "PANEL.M4" / f).is_file(), f


def test_without_exports_a_model_folder_holds_its_tables_only(panel_dir):
    units = ["PANEL.M1", "PANEL.M4"]
    full = panel.analyse_chunk(_study(panel_dir), units, panel_dir / "full", figures=None)
    lean_study = load_study(
        panel_dir / "config" / "panel.yaml", {"bootstrap_resamples": 200, "panel_exports": False}
    )
    assert not panel.writes_exports(lean_study) and panel.writes_exports(_study(panel_dir))
    lean = panel.analyse_chunk(lean_study, units, panel_dir / "lean", figures=None)
    tables = panel.unit_files(False, exports=False)
    assert tables and all(f.startswith("tables/") and f.endswith(".tsv") for f in tables)
    assert set(panel.unit_files(False)) - set(tables) == {
        "summary.md",
        "summary.html",
        "study.xlsx",
        "study.pzfx",
    }
    for unit in units:
        lean_dir, full_dir = panel_dir / "lean" / unit, panel_dir / "full" / unit
        held = sorted(
            p.relative_to(lean_dir).as_posix() for p in lean_dir.rglob("*") if p.is_file()
        )
        assert held == sorted(tables)
        for f in tables:  # the tables themselves do not depend on the setting
            assert (lean_dir / f).read_bytes() == (full_dir / f).read_bytes(), f
    for name in ("curves", "summary", "qc"):
        pd.testing.assert_frame_equal(full[name], lean[name])
    again = panel.analyse_chunk(lean_study, units, panel_dir / "lean", figures=None)
    assert set(again["manifest"]["status"]) == {"restored"}
    assert not (panel_dir / "lean" / "PANEL.M1" / "study.xlsx").exists()


def test_cache_recomputes_only_the_edited_model(panel_dir):
    study = _study(panel_dir)
    units = list(panel.panel_units(study))
    first = panel.analyse_chunk(study, units, panel_dir / "results", figures=None)
    assert set(first["manifest"]["status"]) == {"computed"}
    m2 = panel_dir / "results" / "PANEL.M2" / "tables" / "growth_per_mouse.tsv"
    before = m2.read_bytes()
    again = panel.analyse_chunk(study, units, panel_dir / "results", figures=None)
    assert set(again["manifest"]["status"]) == {"restored"}
    for name in ("curves", "summary", "qc"):  # restored rows come from the cache's records
        pd.testing.assert_frame_equal(first[name], again[name])
    # a cache entry without its cross-model records (older cache) is recomputed, not trusted
    for records in (panel_dir / "results" / ".cache" / "PANEL.M2").glob("*/_records"):
        shutil.rmtree(records)
    partial = panel.analyse_chunk(study, units, panel_dir / "results", figures=None)
    assert (
        dict(zip(partial["manifest"]["model"], partial["manifest"]["status"]))["M2"] == "computed"
    )
    data = panel_dir / "data" / "panel.csv"
    data.write_text(data.read_text().replace("M1,untreated,1,0,161.0", "M1,untreated,1,0,171.0"))
    edited = panel.analyse_chunk(study, units, panel_dir / "results", figures=None)
    status = dict(zip(edited["manifest"]["model"], edited["manifest"]["status"]))
    assert status == {"M1": "computed", "M2": "restored", "M3 b": "restored", "M4": "restored"}
    assert m2.read_bytes() == before
    m1 = io.read_table(panel_dir / "results" / "PANEL.M1" / "tables" / "measurements.tsv")
    assert m1["volume_mm3"].iloc[0] == 171.0


def test_bad_model_names_file_row_and_leaves_no_outputs(panel_dir):
    study = _study(panel_dir)
    data = panel_dir / "data" / "panel.csv"
    lines = data.read_text().splitlines()
    bad = next(i for i, line in enumerate(lines) if line.startswith("M2,drugA"))
    lines[bad] = lines[bad].rsplit(",", 1)[0] + ",n/a"
    data.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        InputError,
        match=rf"panel.csv: row {bad + 1}, column 'volume_mm3': "
        "'n/a' is not a number",
    ):
        panel.analyse_chunk(study, ["PANEL.M2"], panel_dir / "results", figures=None)
    assert not (panel_dir / "results" / "PANEL.M2").exists()
    assert not list((panel_dir / "results").glob(".*"))  # nor its staging folder


def test_cross_model_tables(panel_dir):
    study = _study(panel_dir)
    units = list(panel.panel_units(study))
    chunk = panel.analyse_chunk(study, units, panel_dir / "results", figures=None)
    combined = panel.combine_chunks(study, {k: [v] for k, v in chunk.items()})
    matrix = combined["mrecist_matrix"]
    assert list(matrix.columns) == ["model", "untreated", "drugA", "drugB"]
    assert matrix["model"].tolist() == ["M1", "M2", "M3 b", "M4"]
    assert matrix.loc[matrix["model"] == "M4", "untreated"].item() == ""
    curves = combined["panel_curves"]
    rates = combined["response_rates"].set_index("arm")
    for arm in ("untreated", "drugA", "drugB"):
        calls = curves.loc[curves["arm"] == arm, "mrecist"]
        assert rates.loc[arm, "n_models"] == curves.loc[curves["arm"] == arm, "model"].nunique()
        assert rates.loc[arm, "n_pd"] == (calls == "PD").sum()
        n = calls.notna().sum()
        resp = calls.isin(["CR", "PR"]).sum()
        assert rates.loc[arm, "response_rate_pct"] == pytest.approx(100 * resp / n)
    ttd = combined["time_to_double"].set_index("arm")
    assert ttd.loc["untreated", "n"] == 3 and ttd.loc["drugA", "n"] == 4
    # the untreated tumours all double: KM median is the middle time of three events
    times = sorted(curves.loc[curves["arm"] == "untreated", "endpoint_time_days"])
    assert ttd.loc["untreated", "median_days"] == times[1]
    # summary rows (one per model and treated arm with a control) for results/summary.tsv
    summary = combined["panel_summary"]
    assert summary["study_id"].tolist()[:2] == ["PANEL.M1", "PANEL.M1"]
    assert set(summary["study_id"]) == {"PANEL.M1", "PANEL.M2", "PANEL.M3_b"}


def test_figure_tables_are_the_combined_tables_without_tests(panel_dir):
    """The figure job reads only the per-curve rows: same matrix, endpoints and KM columns as
    combine_chunks, and no log-rank / HR columns filled."""
    study = _study(panel_dir)
    chunk = panel.analyse_chunk(
        study, list(panel.panel_units(study)), panel_dir / "results", figures=None
    )
    combined = panel.combine_chunks(study, {k: [v] for k, v in chunk.items()})
    figures = panel.figure_tables(study, {"curves": [chunk["curves"]]})
    for name in ("mrecist_matrix", "ttd_endpoints"):
        pd.testing.assert_frame_equal(figures[name], combined[name])
    km = ["arm", "n", "events", "median_days", "median_ci_low", "median_ci_high"]
    pd.testing.assert_frame_equal(figures["time_to_double"][km], combined["time_to_double"][km])
    assert combined["time_to_double"]["logrank_p"].notna().any()
    assert figures["time_to_double"]["logrank_p"].isna().all()


def test_mrecist_matrix_joins_replicates():
    curves = pd.DataFrame(
        {
            "model": ["A", "A", "A", "B"],
            "arm": ["c", "d", "d", "d"],
            "mouse_id": ["1", "2", "3", "4"],
            "mrecist": ["PD", "PR", None, "SD"],
        }
    )
    m = crossmodel.mrecist_matrix(curves, ["c", "d"])
    assert m.to_dict("list") == {"model": ["A", "B"], "c": ["PD", ""], "d": ["PR/NA", "SD"]}


def test_ingest_of_a_unit_allows_missing_arms(panel_dir):
    study = _study(panel_dir)
    unit = panel.panel_units(study)["PANEL.M4"]
    raw = yaml.safe_load((panel_dir / "config" / "panel.yaml").read_text())
    assert "arms" not in raw
    measurements = panel.analyse_chunk(study, ["PANEL.M4"], panel_dir / "results", None)
    assert measurements["curves"]["arm"].tolist() == ["drugA", "drugB"]
    assert unit.control == "untreated"
    # the same rows as an ordinary study (not a panel unit) are refused: no control arm
    rows = pd.read_csv(panel_dir / "data" / "panel.csv", dtype=str)
    rows[rows["model"] == "M4"].to_csv(panel_dir / "data" / "m4.csv", index=False)
    raw["data"], raw["study_id"] = "../data/m4.csv", "M4"
    del raw["split_by"]
    (panel_dir / "config" / "m4.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(InputError, match="control arm 'untreated' has no mice"):
        ingest(load_study(panel_dir / "config" / "m4.yaml"))


def test_exclude_rows_of_a_panel_reach_their_model(panel_dir):
    """A panel's exclude entries name file rows; each model gets its own (issue 19)."""
    path = panel_dir / "config" / "panel.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "exclude:\n  - {row: 3, reason: caliper slipped}\n", encoding="utf-8")
    study = _study(panel_dir)
    units = panel.panel_units(study)
    assert [u.exclude for u in units.values()] == [(), (), (), ()]  # rows are not known yet
    panel.analyse_chunk(study, ["PANEL.M1", "PANEL.M2"], panel_dir / "results", figures=None)
    m1 = io.read_table(panel_dir / "results" / "PANEL.M1" / "tables" / "exclusions.tsv")
    assert m1["reason"].tolist() == ["row 3: excluded by the study file: caliper slipped"]
    assert m1["day"].tolist() == [3.0]
    m2 = io.read_table(panel_dir / "results" / "PANEL.M2" / "tables" / "exclusions.tsv")
    assert m2.empty
    path.write_text(text + "exclude:\n  - {row: 999, reason: x}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"entry 1 \(row 999\): matches no row of panel.csv"):
        panel.panel_units(_study(panel_dir))


@pytest.mark.shared
def test_pdxe_model_without_a_common_day_as_study_and_as_panel_model(shared_data, tmp_path):
    """Issue 19 item 2: PDXE breast model X-2524 has no day on which all 22 arms (one mouse
    each) are measured. As its own study it used to stop in efficacy ("set 'reference_day'");
    now it gets every per-curve metric, and exactly the panel model's tables."""
    vol = pd.read_csv(shared_data / "xeva_pdxe_brca" / "volumes.csv", dtype=str)
    rows = vol[vol["model_id"].isin(["X-2524", "X-1004"])].drop(columns="study")
    rows.to_csv(tmp_path / "panel.csv", index=False)
    common = {"control": "untreated", "analysis": {"growth_model_selection": False}}
    (tmp_path / "panel.yaml").write_text(
        yaml.safe_dump({"study_id": "BRCA", "data": "panel.csv", "split_by": "model_id", **common})
    )
    rows[rows["model_id"] == "X-2524"].drop(columns="model_id").to_csv(
        tmp_path / "x2524.csv", index=False
    )
    (tmp_path / "x2524.yaml").write_text(
        yaml.safe_dump({"study_id": "X2524", "data": "x2524.csv", **common})
    )
    settings = {"bootstrap_resamples": 50}
    alone = load_study(tmp_path / "x2524.yaml", settings)
    study_tables = stages.analyse_study(alone, read_source(alone))
    assert len(study_tables["response"]) == 22
    assert study_tables["response"]["mrecist"].notna().all()
    assert not study_tables["efficacy"]["is_reference_day"].any()
    assert study_tables["warnings"]["message"].str.contains("no reference day").sum() == 1
    panel_study = load_study(tmp_path / "panel.yaml", settings)
    panel.analyse_chunk(panel_study, ["BRCA.X-2524"], tmp_path / "results", figures=None)
    unit = tmp_path / "results" / "BRCA.X-2524" / "tables"
    for name in ("response", "efficacy", "efficacy_per_mouse", "growth_per_mouse", "warnings"):
        written = tmp_path / "alone" / f"{name}.tsv"
        io.write_table(name, study_tables[name], written)
        assert (unit / f"{name}.tsv").read_bytes() == written.read_bytes(), name


def _weigh_model(panel_dir: Path, model: str) -> None:
    """Give one model of the fixture body weights (a dip and recovery in its treated arms); the
    other models' cells stay empty."""
    path = panel_dir / "data" / "panel.csv"
    rows = pd.read_csv(path, dtype=str)
    day = rows["day"].astype(float)
    dip = (rows["arm"] != "untreated") * 3.0 * (day / 7.0) * (2.0 - day / 7.0).clip(lower=0)
    weights = (22.0 - dip).round(1).astype(str)
    rows["body_weight_g"] = weights.where(rows["model"] == model, "")
    rows.to_csv(path, index=False)


def test_a_model_with_body_weights_gets_its_body_weight_figure(panel_dir):
    """Only a model with body weights gets figures/body_weight.png|svg; it is cached and
    restored with the model's other outputs."""
    _weigh_model(panel_dir, "M1")
    study = _study(panel_dir)
    units = ["PANEL.M1", "PANEL.M2"]
    results = panel_dir / "results"
    first = panel.analyse_chunk(study, units, results, figures=draw_unit)
    weight_files = panel.optional_unit_files(True)
    assert weight_files == ["figures/body_weight.png", "figures/body_weight.svg"]
    assert panel.optional_unit_files(False) == []
    for f in weight_files:
        assert (results / "PANEL.M1" / f).is_file(), f
        assert not (results / "PANEL.M2" / f).exists(), f
    tol = io.read_table(results / "PANEL.M1" / "tables" / "tolerability.tsv")
    assert (tol.set_index("arm").loc["drugA", "group_mean_nadir_pct"]) < 0
    drawn = (results / "PANEL.M1" / weight_files[1]).read_bytes()
    shutil.rmtree(results / "PANEL.M1")
    shutil.rmtree(results / "PANEL.M2")
    again = panel.analyse_chunk(study, units, results, figures=draw_unit)
    assert set(again["manifest"]["status"]) == {"restored"}
    assert (results / "PANEL.M1" / weight_files[1]).read_bytes() == drawn
    assert not (results / "PANEL.M2" / weight_files[0]).exists()
    assert set(first["manifest"]["status"]) == {"computed"}

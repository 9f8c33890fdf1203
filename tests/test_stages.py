"""The output registry (xenoflow.tables) and the pure stages built on it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from xenoflow import io, pipeline, stages
from xenoflow import tables as registry
from xenoflow.config import load_study
from xenoflow.ingest import read_source

ROOT = Path(__file__).resolve().parents[1]

TINY = ROOT / "tests" / "fixtures" / "tiny" / "config" / "studies" / "tiny_long.yaml"


def test_every_output_has_one_entry_and_a_described_column_each():
    names = [o.name for o in registry.OUTPUTS]
    assert len(names) == len(set(names))
    for spec in registry.TABLES:
        assert spec.path.endswith(".tsv") and spec.columns, spec.name
        columns = spec.column_names
        assert len(columns) == len(set(columns)), spec.name
        for column in spec.columns:
            assert column.description and column.description != column.name.replace("_", " ")


def test_captions_list_every_column(tmp_path):
    paths = io.write_captions(tmp_path)
    text = (tmp_path / "efficacy.rst").read_text()
    for column in registry.table("efficacy").columns:
        assert f"``{column.name}``: {column.description}" in text
    assert set(paths) == {o.name for o in registry.OUTPUTS if o.caption}
    assert "forest" in paths and "growth_curves" in paths  # figures have captions too


def test_captions_are_written_once_per_version(tmp_path):
    """Issue 31: the Snakefile calls write_captions on every parse; while the captions are
    unchanged it writes nothing (their digest holds), and when the digest differs (the
    registry's captions changed) it rewrites the files that differ."""
    paths = io.write_captions(tmp_path)
    assert io.write_captions(tmp_path / "other", write=False) == {
        name: str((tmp_path / "other" / f"{name}.rst").resolve()) for name in paths
    }
    assert not (tmp_path / "other").exists()
    stamp = tmp_path / ".digest"
    before = {p: Path(p).stat().st_mtime_ns for p in [*paths.values(), stamp]}
    assert io.write_captions(tmp_path) == paths
    assert {p: Path(p).stat().st_mtime_ns for p in before} == before
    stamp.write_text("stale")  # as after a change of the registry's captions
    Path(paths["efficacy"]).write_text("old")
    io.write_captions(tmp_path)
    assert Path(paths["efficacy"]).read_text() == registry.caption_rst(registry.output("efficacy"))


def test_stage_files_are_the_declared_paths():
    assert registry.stage_files("growth", figures=False) == {
        "growth_per_mouse": "tables/growth_per_mouse.tsv",
        "growth_model": "tables/growth_model.tsv",
        "growth_contrasts": "tables/growth_contrasts.tsv",
        "growth_model_fits": "tables/growth_model_fits.tsv",
        "growth_piecewise": "tables/growth_piecewise.tsv",
        "per_day_comparisons": "tables/per_day_comparisons.tsv",
        "exclusions_growth": "tables/exclusions_growth.tsv",
    }
    assert registry.stage_files("survival")["km_png"] == "figures/km.png"


@pytest.fixture(scope="module")
def tiny():
    study = load_study(TINY, {"bootstrap_resamples": 200})
    return study, stages.analyse_study(study, read_source(study))


SW837 = ROOT / "config" / "studies" / "crownbio_SW837.yaml"


@pytest.fixture(scope="module")
def every_stage():
    """A study with combinations and a design: every table stage applies."""
    study = load_study(SW837, {"bootstrap_resamples": 200})
    names = [s.name for s in pipeline.study_stages(study) if s.name in pipeline.TABLE_STAGES]
    return study, stages.chain(study, names, stages.Inputs(read_source(study)))


def test_every_stage_returns_exactly_the_tables_it_declares(every_stage):
    """Issue 31: a stage that returns a table it does not declare, or misses one it does,
    fails here, for every stage of the declaration."""
    study, outputs = every_stage
    assert sorted(outputs) == sorted(pipeline.TABLE_STAGES)  # the fixture runs every stage
    for name, out in outputs.items():
        declared = registry.of_stage(name, "table")
        assert set(out.tables) == {t.name for t in declared}, name
        for spec in declared:
            required = {c.name for c in spec.columns if not c.optional}
            assert required <= set(out.tables[spec.name].columns), spec.name


def test_every_output_belongs_to_a_declared_stage_or_job():
    """A table whose ``stage`` names no declared stage would never be written, silently."""
    owners = {s.name for s in pipeline.STAGES} | set(pipeline.OTHER_JOBS)
    assert not {o.name: o.stage for o in registry.OUTPUTS if o.stage not in owners}
    assert all(registry.of_stage(job) for job in pipeline.OTHER_JOBS)


def test_each_declared_stage_has_its_function_outputs_and_figures():
    from xenoflow import figures

    for stage in pipeline.STAGES:
        assert stage.part in pipeline.PARTS, stage.name
        assert registry.of_stage(stage.name), stage.name
        if stage.name in pipeline.TABLE_STAGES:
            assert callable(getattr(stages, f"run_{stage.name}")), stage.name
            assert registry.of_stage(stage.name, "table"), stage.name
        drawn = bool(registry.of_stage(stage.name, "figure"))
        assert stage.figures == drawn, stage.name
        if stage.figures:
            assert callable(getattr(figures, stage.name)), stage.name
        for read in (*stage.reads, *stage.optional_reads):
            assert registry.table(read).stage != stage.name, (stage.name, read)
    # a rule's declared outputs are the same for every study: a part's stages apply together
    for part in pipeline.PARTS:
        assert len({pipeline.stage(n).needs for n in pipeline.part_stages(part)}) == 1, part


def test_stages_run_in_an_order_their_reads_allow():
    order = pipeline.run_order(pipeline.STAGES)
    assert sorted(s.name for s in order) == sorted(s.name for s in pipeline.STAGES)
    made: set[str] = set()
    for i, stage in enumerate(order):
        assert set(stage.reads) <= made, (stage.name, set(stage.reads) - made)
        later = {t.name for s in order[i + 1 :] for t in registry.of_stage(s.name, "table")}
        assert not set(stage.optional_reads) & later, stage.name
        made |= {t.name for t in registry.of_stage(stage.name, "table")}
    assert [s.name for s in order][-2:] == ["summary", "report"]  # the documents come last
    # stages can start from tables made already (read from disk)
    made = tuple(
        t.name for n in pipeline.part_stages("study") for t in registry.of_stage(n, "table")
    )
    assert pipeline.run_order((pipeline.stage("power"),), made) == (pipeline.stage("power"),)
    with pytest.raises(ValueError, match="power"):
        pipeline.run_order((pipeline.stage("power"),))


def test_stages_that_apply_follow_the_study_file(tiny, every_stage):
    # a study without combinations or a design: the stages of the parts every study has
    assert [s.name for s in pipeline.study_stages(tiny[0])] == [
        s.name for s in pipeline.STAGES if s.part in ("study", "study_report")
    ]
    assert {s.part for s in pipeline.study_stages(every_stage[0])} == set(pipeline.PARTS)
    assert pipeline.study_rule(tiny[0]) == "study"
    assert pipeline.study_rule(every_stage[0]) == "study_synergy_power"


def test_each_kind_of_study_has_a_rule_that_runs_its_parts():
    assert pipeline.STUDY_RULES == ("study", "study_synergy", "study_power", "study_synergy_power")
    assert pipeline.rule_parts("study") == ("study", "study_report")
    assert pipeline.rule_parts("study_power") == ("study", "power", "study_report")
    assert pipeline.rule_parts("study_synergy_power") == pipeline.PARTS
    with pytest.raises(ValueError, match="not a study's rule"):
        pipeline.rule_parts("cross_study_summary")


def test_a_failed_stage_is_named(tiny):
    """A job records which of its stages failed (xenoflow.workflow.run_job)."""
    study, _ = tiny
    seen: list[str] = []
    with pytest.raises(ValueError, match="recorded survival table was not read"):
        stages.chain(
            dataclasses.replace(study, survival_data=ROOT / "nowhere.csv"),
            ["ingest", "survival"],
            stages.Inputs(source=read_source(study)),
            on_stage=seen.append,
        )
    assert seen == ["ingest", "survival"]


def test_chained_in_memory_equals_written_and_read(tiny, tmp_path):
    """A panel model chains the stages in memory; a study's rules write and read each table:
    the same tables either way (io.normalise is write-then-read)."""
    study, in_memory = tiny
    from_disk: dict[str, pd.DataFrame] = {}
    inputs = stages.Inputs(source=read_source(study))
    for stage in pipeline.run_order(pipeline.study_stages(study)):
        if stage.name not in pipeline.TABLE_STAGES:
            continue
        for name, df in stages.run_stage(stage.name, study, from_disk, inputs).tables.items():
            io.write_table(name, df, tmp_path / f"{name}.tsv")
            from_disk[name] = io.read_table(tmp_path / f"{name}.tsv")
    assert sorted(from_disk) == sorted(in_memory)
    for name, df in from_disk.items():
        pd.testing.assert_frame_equal(df, in_memory[name], obj=name)


def test_summary_stage_returns_documents_without_writing(tiny, tmp_path, monkeypatch):
    study, tables = tiny
    monkeypatch.chdir(tmp_path)
    documents = stages.run_summary(study, tables)
    assert set(documents) == {o.name for o in registry.of_stage("summary")}
    assert isinstance(documents["study_xlsx"], bytes) and documents["summary_md"].startswith("#")
    assert list(tmp_path.iterdir()) == []


def test_recorded_survival_must_be_read_by_the_caller(tiny):
    study, tables = tiny
    import dataclasses

    with_file = dataclasses.replace(study, survival_data=ROOT / "nowhere.csv")
    with pytest.raises(ValueError, match="recorded survival table was not read"):
        stages.run_survival(with_file, tables)


def test_a_column_is_described_once():
    """A column declared in place (not taken from the vocabulary) means something else there."""
    for spec in registry.TABLES:
        for column in spec.columns:
            shared = registry.VOCABULARY.get(column.name)
            if shared is not None and column.description == shared.description:
                assert column.dtype == shared.dtype, (spec.name, column.name)
            if shared is None:
                pytest.fail(f"{spec.name}.{column.name} is not in the vocabulary")


def test_a_study_without_arms_takes_them_from_the_data(tmp_path):
    """Issue 19: a study file without ``arms`` (allowed by the schema) crashed in the summary;
    every stage now takes the arms of the validated measurements (control first)."""
    text = TINY.read_text(encoding="utf-8")
    start = text.index("arms:")
    end = text.index("\n", text.index("doses:", start))
    bare = tmp_path / "tiny_long.yaml"
    bare.write_text(text[:start] + text[end + 1 :], encoding="utf-8")
    data = TINY.parent / ".." / ".." / "data" / "tiny_long.csv"
    bare.write_text(
        bare.read_text(encoding="utf-8").replace("../../data/tiny_long.csv", str(data.resolve())),
        encoding="utf-8",
    )
    study = load_study(bare, {"bootstrap_resamples": 200})
    assert study.arms == ()
    listed = load_study(TINY, {"bootstrap_resamples": 200})
    tables = stages.analyse_study(study, read_source(study))
    documents = stages.run_summary(study, tables)
    assert "Drug" in documents["summary_md"]
    expected = stages.analyse_study(listed, read_source(listed))
    for name in ("response_summary", "efficacy", "growth_model", "survival", "survival_tests"):
        pd.testing.assert_frame_equal(tables[name], expected[name], obj=name)
    assert tables["response_summary"]["arm"].tolist() == ["Vehicle", "Drug"]


def test_every_caption_is_valid_restructured_text():
    # The Snakemake report renders captions with docutils: "|r| > 1.96" was a substitution
    # reference, a red error block in report.html and "(ERROR/3)" lines in `make run`.
    # Issue 29 item 5: no system message of any level, with a study's name in place of the
    # report's placeholder (as Snakemake renders the caption of each study's file).
    import re
    from io import StringIO

    from docutils import nodes
    from docutils.core import publish_doctree

    for spec in registry.OUTPUTS:
        if not spec.caption:
            continue
        stream = StringIO()
        text = re.sub(r"\{\{[^}]*\}\}", "crownbio_LS-1034", registry.caption_rst(spec))
        doctree = publish_doctree(
            text,
            settings_overrides={"report_level": 1, "halt_level": 5, "warning_stream": stream},
        )
        messages = [m.astext() for m in doctree.findall(nodes.system_message)]
        assert (stream.getvalue(), messages) == ("", []), (spec.name, stream.getvalue())

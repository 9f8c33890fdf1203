"""The bad-input corpus (tests/data/bad/<case>/): every case stops with one clear message.

Each folder holds a study.yaml, its data and expected.txt, whose every line must appear in the
message. Regenerate with tests/data/bad/make_corpus.py. Cases with a recorded survival table
(``survival_data:``) have valid measurements: their error comes from the survival reader run
after ingest (as the survival rule and ``xenoflow validate`` do).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from xenoflow.cli import main as cli_main
from xenoflow.config import load_study
from xenoflow.errors import XenoflowError
from xenoflow.ingest import ingest
from xenoflow.survival import study_endpoints

CORPUS = Path(__file__).parent / "data" / "bad"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def test_corpus_is_large_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES)
def test_bad_input_gives_one_clear_message(case, capsys):
    folder = CORPUS / case
    with pytest.raises(XenoflowError) as exc:
        study = load_study(folder / "study.yaml")
        measurements = ingest(study).measurements
        study_endpoints(study, measurements)  # None unless the study configures survival
    message = str(exc.value)
    for fragment in (folder / "expected.txt").read_text(encoding="utf-8").splitlines():
        assert fragment in message
    assert "Traceback" not in message
    # the command line reports the same message and a non-zero status
    assert cli_main(["validate", str(folder / "study.yaml")]) == 1
    assert message.splitlines()[0] in capsys.readouterr().err


def test_corpus_covers_survival_tables():
    survival = [c for c in CASES if c.startswith("survival_")]
    assert len(survival) >= 10
    for case in survival:
        assert "survival.csv: row " in (CORPUS / case / "expected.txt").read_text(encoding="utf-8")


def _survival_study(tmp_path: Path, table: str) -> Path:
    folder = tmp_path / "s"
    folder.mkdir()
    for name in ("data.csv", "study.yaml"):
        (folder / name).write_bytes((CORPUS / "survival_event_two" / name).read_bytes())
    (folder / "survival.csv").write_text(table, encoding="utf-8")
    return folder / "study.yaml"


def test_survival_after_last_measurement_is_accepted(tmp_path, capsys):
    """A death (or censoring) recorded after the last caliper measurement is the normal case
    (mice are followed after measurements stop); death on the last measured day is fine too,
    and so is censoring before a later measurement (follow-up simply ends there)."""
    path = _survival_study(
        tmp_path,
        "arm,mouse_id,time_days,event\nControl,1,7,1\nControl,2,40,1\nDrug,1.0,3,0\nDrug,2,60,0\n",
    )
    study = load_study(path)
    endpoints = study_endpoints(study, ingest(study).measurements)
    assert endpoints[["arm", "mouse_id", "time_days", "event"]].values.tolist() == [
        ["Control", "1", 7.0, 1],
        ["Control", "2", 40.0, 1],
        ["Drug", "1", 3.0, 0],
        ["Drug", "2", 60.0, 0],
    ]
    assert cli_main(["validate", str(path)]) == 0
    capsys.readouterr()


def test_survival_messages_name_file_row_and_column():
    for case in (c for c in CASES if c.startswith("survival_")):
        study = load_study(CORPUS / case / "study.yaml")
        with pytest.raises(XenoflowError) as exc:
            study_endpoints(study, ingest(study).measurements)
        message = str(exc.value)
        assert str(study.survival_data) in message
        assert "row " in message
        assert "column" in message

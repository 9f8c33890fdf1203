"""The bad-input corpus (tests/data/bad/<case>/): every case stops with one clear message.

Each folder holds a study.yaml, its data and expected.txt, whose every line must appear in the
message. Regenerate with tests/data/bad/make_corpus.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from xenoflow.cli import main as cli_main
from xenoflow.config import load_study
from xenoflow.errors import XenoflowError
from xenoflow.ingest import ingest

CORPUS = Path(__file__).parent / "data" / "bad"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def test_corpus_is_large_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES)
def test_bad_input_gives_one_clear_message(case, capsys):
    folder = CORPUS / case
    with pytest.raises(XenoflowError) as exc:
        ingest(load_study(folder / "study.yaml"))
    message = str(exc.value)
    for fragment in (folder / "expected.txt").read_text(encoding="utf-8").splitlines():
        assert fragment in message
    assert "Traceback" not in message
    # the command line reports the same message and a non-zero status
    assert cli_main(["validate", str(folder / "study.yaml")]) == 1
    assert message.splitlines()[0] in capsys.readouterr().err

"""DEVELOPING.md stays true to the code (issue 31 item 4): every module attribute it cites
(`stages.analyse_study`, `xenoflow.pipeline.STAGES`, `report.Cell.render`) exists, every path
it cites exists, and every bare code name it cites (`claim_workdir`, `KEY_TABLES`) is still
a word of the project's code, configuration or tests."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import xenoflow

ROOT = Path(__file__).resolve().parents[1]
#: where a cited file may live, relative to the repository root
FILE_ROOTS = ("", "src/xenoflow", "workflow/scripts", "workflow/rules", "tests", "benchmarks")
#: where a bare code name must still occur
CODE = ("src", "workflow", "Snakefile", "config", "tests", "benchmarks", "profiles", "Makefile")
#: extensions of output files named in the prose (results, not files of the repository)
OUTPUT_FILES = ("tsv", "html", "csv", "xlsx", "pzfx", "png", "svg", "json", "md", "txt")
CODE_SUFFIXES = (".py", ".smk", ".yaml", ".j2", ".toml", ".cfg", ".sh")
DOTTED = re.compile(r"(?:xenoflow\.)?([a-z_]+)((?:\.[A-Za-z_]\w*)+)(?:\(.*\))?")
BARE = re.compile(r"[A-Za-z_]\w*")


def _modules() -> set[str]:
    return {m.name.split(".", 1)[1] for m in pkgutil.walk_packages(xenoflow.__path__, "xenoflow.")}


def _code_words() -> set[str]:
    words: set[str] = set()
    for entry in CODE:
        path = ROOT / entry
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for f in files:
            if f == Path(__file__).resolve():  # its own examples of stale names
                continue
            if f.suffix in CODE_SUFFIXES or f.name in ("Snakefile", "Makefile"):
                words |= set(re.findall(r"\w+", f.read_text(encoding="utf-8", errors="ignore")))
    return words


def _stale_dotted(token: str, modules: set[str]) -> bool:
    """A cited ``module.attr[.attr]`` of the package that does not resolve (a file name such
    as ``report.py`` is checked as a path instead)."""
    match = DOTTED.fullmatch(token)
    if not match:
        return False
    module, attrs = match.group(1), match.group(2).lstrip(".").split(".")
    if attrs[-1] in OUTPUT_FILES:
        return False
    if attrs == ["py"]:
        return not any((ROOT / d / f"{module}.py").is_file() for d in FILE_ROOTS)
    if module not in modules:
        return False
    # a subpackage's module (summary.answer.x) or an attribute chain (report.Cell.render)
    obj: object = importlib.import_module(f"xenoflow.{module}")
    for i, name in enumerate(attrs):
        if not hasattr(obj, name) and f"{module}.{'.'.join(attrs[: i + 1])}" in modules:
            obj = importlib.import_module(f"xenoflow.{module}.{'.'.join(attrs[: i + 1])}")
        elif not hasattr(obj, name):
            return True
        else:
            obj = getattr(obj, name)
    return False


def _stale_path(token: str) -> bool:
    if "/" not in token or not token.endswith(CODE_SUFFIXES) or re.search(r"[<{*]", token):
        return False
    return not any((ROOT / d / token).exists() for d in FILE_ROOTS)


def stale_references(text: str, code_words: set[str]) -> list[str]:
    """The code names and paths cited in backticks in ``text`` that the code no longer has."""
    modules = _modules()
    stale = []
    for token in sorted(set(re.findall(r"`([^`\n]+)`", text))):
        token = token.strip()
        if _stale_path(token) or _stale_dotted(token, modules):
            stale.append(token)
        elif BARE.fullmatch(token) and ("_" in token or token[:1].isupper()):
            if token not in code_words:
                stale.append(token)
    return stale


def test_developing_md_cites_only_names_and_paths_the_code_has():
    text = (ROOT / "DEVELOPING.md").read_text(encoding="utf-8")
    assert stale_references(text, _code_words()) == []


def test_a_stale_name_path_or_attribute_is_found():
    text = (
        "`stages.analyse_study` and `report.KEY_TABLES` exist; `stages.no_such_function`, "
        "`report.Cell.no_such_method`, `src/xenoflow/no_such_module.py`, `no_such.py` and "
        "`NO_SUCH_CONSTANT` do not; `summary.tsv` is an output, `results/<study>/x.py` a pattern."
    )
    assert stale_references(text, _code_words()) == [
        "NO_SUCH_CONSTANT",
        "no_such.py",
        "report.Cell.no_such_method",
        "src/xenoflow/no_such_module.py",
        "stages.no_such_function",
    ]

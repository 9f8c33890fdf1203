"""Imports follow layers (issue 31): the Snakefile's parse and a job that only computes tables
never load SciPy's statistics, statsmodels, matplotlib or Jinja2.

Two checks: which modules may import which heavy dependency at the top of the module (the
others import it inside the function that needs it, or not at all), and what a fresh
interpreter holds after importing each entry point.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "xenoflow"

#: Heavy dependency -> the modules (relative to xenoflow, ``plots.*`` = every plots module)
#: that may import it at module level. scipy.special, scipy.integrate, scipy.optimize in the
#: growth fits and statsmodels (mixed) are imported inside the functions that compute.
TOP_LEVEL = {
    "scipy": {"doseresponse", "invivosyn", "lme", "power", "synergy"},
    "statsmodels": set(),
    "matplotlib": {"figures", "plots.*"},
    "seaborn": {"plots.*"},
    "jinja2": {"report"},
    "docutils": set(),
}
HEAVY = tuple(TOP_LEVEL)

#: What the Snakefile imports when it is parsed (workflow/rules/common.smk).
PARSE_MODULES = ("batch", "config", "errors", "io", "panelplan", "pipeline", "tables", "workflow")
#: Entry point -> modules it must not load (a prefix stands for its submodules too).
ENTRY_POINTS = {
    # every stage's module, none of the heavy dependencies (each job imports what it calls)
    "xenoflow.stages": HEAVY,
    # a panel chunk without figures
    "xenoflow.panel": HEAVY,
    # the Snakefile's parse: no analysis at all
    " ".join(f"xenoflow.{m}" for m in PARSE_MODULES): (
        *HEAVY,
        "xenoflow.stages",
        "xenoflow.panel",
        "xenoflow.summary",
        "xenoflow.report",
        "xenoflow.figures",
    ),
    # the panel plan: not even pandas
    "xenoflow.panelplan": (*HEAVY, "pandas", "numpy"),
    # the stage declaration: likewise
    "xenoflow.pipeline": (*HEAVY, "pandas", "numpy"),
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    return ".".join(p for p in rel.parts if p != "__init__") or "__init__"


def _top_level_imports(path: Path) -> set[str]:
    """Top-level packages imported at module level (not inside a function)."""
    out = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


def _allowed(module: str, patterns: set[str]) -> bool:
    return any(module == p or (p.endswith(".*") and module.startswith(p[:-1])) for p in patterns)


def test_only_the_listed_modules_import_a_heavy_dependency_at_module_level():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        for dep in _top_level_imports(path) & set(HEAVY):
            if not _allowed(module, TOP_LEVEL[dep]):
                wrong.append(f"xenoflow.{module} imports {dep}")
    assert wrong == [], "import these inside the function that needs them: " + "; ".join(wrong)


#: Umbrella modules that import a whole library where the code needs one class of it
#: (``statsmodels.api``: every model of statsmodels, ~0.2 s more than the modules used).
UMBRELLAS = ("statsmodels.api", "statsmodels.formula.api")


def test_no_module_imports_an_umbrella_module():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            wrong += [f"xenoflow.{_module_name(path)}: {n}" for n in names if n in UMBRELLAS]
    assert wrong == [], "import the module that defines what is used: " + "; ".join(wrong)


def test_the_snakefile_imports_only_the_parse_modules():
    """Module-level imports of the Snakefile and its rules (a handler such as onsuccess may
    import more inside its function: it runs after the jobs, not at parse)."""
    imported = set()
    for smk in [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]:
        text = smk.read_text(encoding="utf-8")
        imported |= set(re.findall(r"^from xenoflow\.(\w+)", text, flags=re.M))
        imported |= set(re.findall(r"^import xenoflow\.(\w+)", text, flags=re.M))
        for names in re.findall(r"^from xenoflow import (.+)$", text, flags=re.M):
            imported |= {n.split(" as ")[0].strip() for n in names.split(",")}
    assert imported, "no xenoflow import found: the pattern is out of date"
    assert imported <= set(PARSE_MODULES), sorted(imported - set(PARSE_MODULES))


@pytest.mark.parametrize("modules", list(ENTRY_POINTS), ids=lambda m: m.split()[0])
def test_an_entry_point_loads_no_heavy_dependency(modules):
    code = (
        "import json, sys\n"
        + "".join(f"import {m}\n" for m in modules.split())
        + "print(json.dumps(sorted(sys.modules)))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": ""},
        check=True,
    )
    loaded = json.loads(proc.stdout.splitlines()[-1])
    forbidden = ENTRY_POINTS[modules]
    found = sorted(m for m in loaded if any(m == f or m.startswith(f + ".") for f in forbidden))
    assert found == [], f"importing {modules} loads {found[:10]}"


def _package_imports(path: Path) -> set[str]:
    """The package modules a module imports, anywhere in it (a function-local import of a
    module that imports this one is still a cycle, only a hidden one)."""
    module = _module_name(path)
    package = module.rsplit(".", 1)[0] if "." in module and path.name != "__init__.py" else ""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        base = package if node.level == 1 else ""
        stem = ".".join(p for p in (base, node.module or "") if p)
        names = [stem] if node.module else [f"{stem}.{a.name}".strip(".") for a in node.names]
        out |= {n for n in names if (PACKAGE / n.replace(".", "/")).with_suffix(".py").is_file()}
    return out


def test_no_import_cycles_between_modules():
    """Issue 31: no two modules of the package import each other, even inside a function."""
    graph = {_module_name(p): _package_imports(p) for p in sorted(PACKAGE.rglob("*.py"))}
    cycles = sorted(
        f"{a} <-> {b}" for a, deps in graph.items() for b in deps if a in graph.get(b, ()) and a < b
    )
    assert cycles == [], cycles

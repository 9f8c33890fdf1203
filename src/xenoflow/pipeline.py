"""Every stage of a study, declared once: what it reads, which part of the study it is, whether it draws
figures and when it applies.

A stage's tables, figures and documents are the registry entries of its name
(:func:`xenoflow.tables.of_stage`); its function is ``xenoflow.stages.run_<name>`` and its
figures ``xenoflow.figures.<name>``. Everything else reads :data:`STAGES`:

- the Snakefile (``workflow/rules/common.smk``, ``study.smk``): each study rule's declared outputs;
- :func:`xenoflow.workflow.run_job` / :func:`xenoflow.stages.analyse_study`: the order in which
  a study's job (or a panel model, in memory) runs the stages;
- :mod:`xenoflow.batch`: which tables a complete study has;
- ``tests/test_stages.py``: each stage returns exactly the tables it declares.

A study is one Snakemake job, not one per stage: each job is a fresh Python process whose
imports cost more than most stages' compute, so a study's stages run chained in memory, as a
panel model's are, its figures drawn beside them and its documents made from the tables in
memory. A Snakemake rule's declared outputs are fixed for every study it runs, so a study's
rule (:func:`study_rule`) is chosen by the optional parts that apply to it (:data:`PARTS`):
``study`` for a study with neither synergy nor power, ``study_synergy``, ``study_power`` and
``study_synergy_power`` (:data:`STUDY_RULES`); the stages of one part apply together.

This module imports no pandas, SciPy or matplotlib: the Snakefile parse reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import Study


@dataclass(frozen=True)
class Stage:
    """One stage of a study.

    ``reads``: the registry tables it needs from earlier stages; ``optional_reads``: those it
    uses when the study has them (the power stage reads the synergy model of a combination
    study); ``reads_all``: every table and figure of the study (the documents);
    ``files``: the inputs that are not tables (``source``: the measurement file,
    ``recorded``: the study's recorded survival table); ``needs``: the study-file block
    without which the stage does not apply (``combinations``, ``design``); ``part``: the
    part of the study (:data:`PARTS`) it belongs to, which names the study's rule.
    """

    name: str
    part: str
    reads: tuple[str, ...] = ()
    optional_reads: tuple[str, ...] = ()
    reads_all: bool = False
    files: tuple[str, ...] = ()
    figures: bool = False
    needs: str | None = None

    def applies(self, study: Study) -> bool:
        if self.needs is None:
            return True
        value = getattr(study, self.needs)
        return value is not None and value != ()


#: The parts of a study in the order they run: the stages every study has, the optional
#: synergy and power, the documents. A study's rule runs the parts that apply to it.
PARTS = ("study", "synergy", "power", "study_report")
#: The optional parts, which name a study's rule.
OPTIONAL_PARTS = PARTS[1:-1]

#: The stages in the order of the workbook's sheets; they run in the order their reads allow
#: (:func:`run_order`: survival before efficacy, which reads the causes of death).
STAGES = (
    Stage("ingest", "study", files=("source",)),
    Stage("growth", "study", reads=("measurements",), figures=True),
    Stage(
        "efficacy",
        "study",
        reads=("measurements", "growth_model", "survival_per_mouse"),
        figures=True,
    ),
    Stage("survival", "study", reads=("measurements",), files=("recorded",), figures=True),
    Stage(
        "tolerability",
        "study",
        reads=(
            "measurements",
            "exclusions",
            "survival_per_mouse",
            "survival_tests",
            "event_free_survival_tests",
            "growth_contrasts",
            "growth_per_mouse",
            "efficacy",
        ),
        figures=True,
    ),
    Stage("synergy", "synergy", reads=("measurements",), figures=True, needs="combinations"),
    Stage(
        "power",
        "power",
        reads=("measurements", "efficacy", "growth_model", "growth_model_fits", "survival"),
        optional_reads=("synergy_model",),
        figures=True,
        needs="design",
    ),
    Stage("summary", "study_report", reads_all=True),
    Stage("report", "study_report", reads_all=True, files=("source", "recorded")),
)
BY_NAME = {s.name: s for s in STAGES}
#: The stages whose outputs are tables (the others write documents).
TABLE_STAGES = tuple(s.name for s in STAGES if s.part != PARTS[-1])
#: The jobs besides a study's stages that write registry outputs (their rules are in
#: ``workflow/rules/report.smk`` and ``panel.smk``): an output's ``stage`` is one of these or
#: a stage of :data:`STAGES`.
OTHER_JOBS = ("cross_study_summary", "panel_chunk", "panel_summary", "panel_figures")


def stage(name: str) -> Stage:
    return BY_NAME[name]


def study_stages(study: Study, part: str | None = None) -> tuple[Stage, ...]:
    """The stages that apply to a study (of one ``part``), in declaration order."""
    return tuple(s for s in STAGES if s.applies(study) and (part is None or s.part == part))


def part_stages(part: str) -> tuple[str, ...]:
    """The names of the stages of ``part``, in declaration order."""
    return tuple(s.name for s in STAGES if s.part == part)


def _rule_parts() -> dict[str, tuple[str, ...]]:
    """Each subset of :data:`OPTIONAL_PARTS`: its rule's name -> the parts it runs."""
    rules = {}
    for kind in range(2 ** len(OPTIONAL_PARTS)):
        optional = tuple(p for i, p in enumerate(OPTIONAL_PARTS) if kind >> i & 1)
        rules["_".join((PARTS[0], *optional))] = (PARTS[0], *optional, PARTS[-1])
    return rules


#: The rule of each kind of study (one per subset of :data:`OPTIONAL_PARTS`, named by it) ->
#: the parts it runs, in order: the documents always.
RULE_PARTS = _rule_parts()
STUDY_RULES = tuple(RULE_PARTS)


def study_rule(study: Study) -> str:
    """The Snakemake rule that runs ``study`` (:data:`STUDY_RULES`): the one whose parts are
    those that apply to it."""
    applies = {s.part for s in study_stages(study)}
    return next(rule for rule, parts in RULE_PARTS.items() if set(parts) == applies)


def rule_parts(rule: str) -> tuple[str, ...]:
    """The parts (:data:`PARTS`) a study's rule runs, in order."""
    if rule not in RULE_PARTS:
        raise ValueError(f"{rule!r} is not a study's rule ({', '.join(STUDY_RULES)})")
    return RULE_PARTS[rule]


def run_order(stages: tuple[Stage, ...], made: tuple[str, ...] = ()) -> tuple[Stage, ...]:
    """``stages`` in an order in which each runs after the stages that make what it reads
    (``made``: tables already there); the declaration order where the reads allow it.

    A stage makes its registry tables (:func:`xenoflow.tables.of_stage`); a read that no
    stage of ``stages`` makes must be in ``made``; a stage that reads everything runs last.
    """
    from . import tables as registry

    have, todo, order = set(made), list(stages), []
    while todo:
        ready = next((s for s in todo if _ready(s, todo, have)), None)
        if ready is None:
            missing = {s.name: sorted(set(s.reads) - have) for s in todo}
            raise ValueError(f"stages whose reads no earlier stage makes: {missing}")
        order.append(ready)
        todo.remove(ready)
        have |= {t.name for t in registry.of_stage(ready.name, "table")}
    return tuple(order)


def _ready(stage: Stage, todo: list[Stage], have: set[str]) -> bool:
    """Whether ``stage`` can run once ``have`` is made and ``todo`` is still to run: its reads
    are made, no stage to run makes one of its optional reads, and a stage that reads
    everything waits for every other."""
    from . import tables as registry

    if stage.reads_all:
        return all(o.reads_all for o in todo)
    pending = {t.name for o in todo if o is not stage for t in registry.of_stage(o.name, "table")}
    return set(stage.reads) <= have and not set(stage.optional_reads) & pending

"""The analysis stages of one study: pure functions from a study and tables to named outputs.

The stages, what each reads and which part of a study it is are declared once in
:data:`xenoflow.pipeline.STAGES`; each is a function ``run_<stage>`` here (:func:`run_stage`),
making the registry tables of its name (:func:`xenoflow.tables.of_stage`), and
:func:`run_summary` / :func:`run_report` make the documents.

No stage reads or writes a file: a study's job chains its stages in memory (:func:`chain`)
and writes each returned table with the one I/O layer (:mod:`xenoflow.workflow`); a panel
model chains every table stage in memory (:func:`analyse_study`). Each stage gets the tables
as they would read back from disk (:class:`xenoflow.io.Decoded`), so a table made in memory
is exactly the table written and read back.

A stage also returns, in ``Outputs.facts`` (a typed record per stage: :class:`GrowthFacts`,
...), the intermediate results its figures are drawn from (fitted curves, per-mouse fold
changes, survival endpoints): :mod:`xenoflow.figures` draws
them, so that a job that only computes tables never imports matplotlib or seaborn.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import pandas as pd

from . import (
    baseline,
    bwnadir,
    efficacy,
    export,
    growth,
    ingest,
    io,
    perday,
    pipeline,
    regimen,
    regimenmodel,
    response,
    summary,
    survival,
    tolerability,
    visits,
)
from . import tables as registry
from .config import Arm, Design, Study

if TYPE_CHECKING:  # for the annotation only
    from .provenance import StudyProvenance

Tables = dict[str, pd.DataFrame]


F = TypeVar("F")


@dataclass
class Outputs(Generic[F]):
    """What a stage made: tables by registry name, and the facts its figures are drawn from
    (one typed record per stage, e.g. :class:`GrowthFacts`; ``None`` for a stage whose
    figures need its tables only)."""

    tables: Tables
    facts: F


@dataclass(frozen=True)
class GrowthFacts:
    """The growth figures' inputs: the fitted study (each mouse's curves) and the
    measurements (the visits' means)."""

    growth: growth.GrowthResult
    measurements: pd.DataFrame


@dataclass(frozen=True)
class EfficacyFacts:
    """The fold-change figure's inputs: the reference day and each mouse's fold change."""

    reference_day: float
    per_mouse: pd.DataFrame


@dataclass(frozen=True)
class SurvivalFacts:
    """The Kaplan–Meier figure's input: each mouse's endpoint."""

    endpoints: pd.DataFrame


@dataclass(frozen=True)
class TolerabilityFacts:
    """The body-weight and therapeutic-window figures' inputs: each mouse's percent
    body-weight change, and the efficacy table when the study has one."""

    percent_change: pd.DataFrame
    efficacy: pd.DataFrame | None


@dataclass(frozen=True)
class PowerFacts:
    """The power figure's inputs: the target power and the day its headline is read at."""

    target_power: float
    headline_day: float


def declared_tables(result: object, stage: str) -> Tables:
    """The tables a stage declares (:func:`xenoflow.tables.of_stage`), taken from a typed
    analysis result whose fields are named as those tables (e.g.
    :class:`xenoflow.efficacy.EfficacyResult`): no renaming by string between the analysis
    and the registry."""
    return {t.name: getattr(result, t.name) for t in registry.of_stage(stage, "table")}


def with_arms(study: Study, measurements: pd.DataFrame) -> Study:
    """The study with its arms: those of the study file, or, for a file without ``arms``, the
    arms of the validated measurements in their order (control first, as ingest sorts them),
    and its detection limit resolved from all its measurements
    (:func:`xenoflow.growth.with_detection_limit`: every log-scale analysis of every stage
    floors zero volumes at the same value)."""
    study = growth.with_detection_limit(study, measurements)
    if study.arms:
        return study
    found = dict.fromkeys(measurements["arm"].tolist())
    return dataclasses.replace(study, arms=tuple(Arm(str(a)) for a in found))


def run_ingest(
    study: Study, source: ingest.Source, rows: ingest.RawTable | None = None
) -> Outputs[None]:
    """Validated measurements, exclusions and warnings from a read measurement file (``rows``:
    some of its rows, e.g. one panel model's)."""
    result = ingest.ingest_source(study, source, rows)
    base = baseline.resolve(study, result.measurements)
    window = response.control_window_warning(
        result.measurements,
        study.control,
        float(study.settings.get("mrecist_min_day", 10)),
        base.day,
        base.window_days,
    )
    found: list[dict[str, str]] = []
    if base.treatment_start:
        found.append({"arm": "", "message": base.sentence()})
    if window:
        found.append({"arm": study.control, "message": window})
    arms = with_arms(study, result.measurements).arm_names
    found += [
        {"arm": arm, "message": message}
        for arm, message in baseline.calendar_warnings(
            result.measurements, base, arms, study.control
        )
    ]
    warnings = result.warnings
    if found:
        row = pd.DataFrame(found, columns=warnings.columns)
        warnings = pd.concat([warnings, row], ignore_index=True) if len(warnings) else row
    return Outputs(
        {
            "measurements": result.measurements,
            "exclusions": result.exclusions,
            "warnings": warnings,
        },
        None,
    )


def run_growth(study: Study, tables: Mapping[str, pd.DataFrame]) -> Outputs[GrowthFacts]:
    """Per-mouse fits, mixed model and contrasts (:func:`xenoflow.growth.analyse_study`)."""
    measurements = tables["measurements"]
    study = with_arms(study, measurements)
    base = baseline.resolve(study, measurements)
    data, pre = baseline.on_study(measurements, base, "growth")
    result = growth.analyse_study(data, study, base.day)
    # per-day comparisons: not for a panel's models (one mouse per arm: nothing to compare);
    # at the scheduled visits (xenoflow.visits: staggered calendars aligned, each re-dated
    # measurement listed)
    redated = pd.DataFrame()
    if study.panel_id is None:
        aligned = visits.align_study(study, measurements)
        redated = aligned.exclusions("growth")
        per_day = perday.per_day_comparisons(
            visits.redate(growth.log_volumes(data, study.settings)[0], aligned, measurements),
            study.arm_names,
            study.control,
            study.settings,
        )
    else:
        per_day = pd.DataFrame(columns=perday.COLUMNS)
    extra = [t for t in (pre, redated) if len(t)]
    excluded = pd.concat([*extra, result.exclusions], ignore_index=True) if extra else None
    return Outputs(
        {
            "growth_per_mouse": growth.public_per_mouse(result.per_mouse),
            "growth_model": result.model,
            "growth_contrasts": result.contrasts,
            "growth_model_fits": result.fits,
            "growth_piecewise": result.piecewise,
            "per_day_comparisons": per_day,
            "exclusions_growth": result.exclusions if excluded is None else excluded,
        },
        GrowthFacts(result, measurements),
    )


def run_efficacy(study: Study, tables: Mapping[str, pd.DataFrame]) -> Outputs[EfficacyFacts]:
    """Efficacy metrics, growth delay and mRECIST (:func:`xenoflow.efficacy.analyse_study`);
    ``growth_model`` (for the control doubling time) is used when present;
    ``survival_per_mouse`` (causes of death) and the body weights decide which arms are toxic
    (no NCI activity scored there)."""
    study = with_arms(study, tables["measurements"])
    toxic = tolerability.toxic_arms(study, tables["measurements"], tables["survival_per_mouse"])
    result = efficacy.analyse_study(
        study,
        tables["measurements"],
        tables.get("growth_model"),
        toxic,
        tables["survival_per_mouse"],
    )
    return Outputs(
        declared_tables(result, "efficacy"),
        EfficacyFacts(result.reference_day, result.per_mouse),
    )


def run_survival(
    study: Study,
    tables: Mapping[str, pd.DataFrame],
    recorded: pd.DataFrame | None = None,
) -> Outputs[SurvivalFacts]:
    """Endpoints, Kaplan–Meier tables and tests (:func:`xenoflow.survival.analyse`).

    ``recorded``: the text cells of the study's ``survival_data`` file
    (:func:`xenoflow.survival.read_survival_file`), needed when the study has one.
    """
    if study.survival_data is not None and recorded is None:
        raise ValueError(f"{study.study_id}: the recorded survival table was not read")
    measurements = tables["measurements"]
    # endpoints derived from the volumes count from the baseline on (a tumour past the
    # endpoint volume during a run-in before treatment start is no event: baseline.on_study,
    # each pre-treatment measurement listed); a recorded table is checked against every
    # measurement and the study file's arms (none listed: its own arms)
    pre = pd.DataFrame()
    derived_from = measurements
    if study.survival_data is None:
        derived_from, pre = baseline.on_study(
            measurements, baseline.resolve(study, measurements), "survival"
        )
    endpoints = survival.study_endpoints(study, derived_from, recorded)
    study = with_arms(study, measurements)
    source = study.survival_data.name if study.survival_data else ""
    alpha = study.settings["alpha"]
    result = survival.analyse(
        endpoints,
        study.arm_names,
        study.control,
        alpha,
        between_treated=study.settings["survival_comparisons"] == "all",
    )
    excluded = _concat_exclusions(
        pre, survival.endpoint_exclusions(derived_from, endpoints, source)
    )
    return Outputs(
        {**vars(result), "exclusions_survival": excluded},
        SurvivalFacts(endpoints),
    )


def _concat_exclusions(*frames: pd.DataFrame) -> pd.DataFrame:
    """Exclusion tables one after the other (the last one's header when all are empty)."""
    rows = [f for f in frames if len(f)]
    return pd.concat(rows, ignore_index=True) if rows else frames[-1]


def run_tolerability(
    study: Study, tables: Mapping[str, pd.DataFrame]
) -> Outputs[TolerabilityFacts]:
    """Body-weight tolerability, toxic deaths and the regimens of each agent
    (:mod:`xenoflow.tolerability`, :mod:`xenoflow.regimen`)."""
    measurements = tables["measurements"]
    study = with_arms(study, measurements)
    arms = study.arm_names
    pct = tolerability.percent_change(measurements, study)
    per_mouse = tolerability.per_mouse_table(pct, arms)
    tol = tolerability.tolerability_table(
        measurements,
        pct,
        per_mouse,
        tables["survival_per_mouse"],
        arms,
        study.tolerability,
        tables["exclusions"],
    )
    reg = regimen.regimen_table(study, measurements)
    comparison = regimen.regimen_comparison(
        study,
        reg,
        tol,
        tables.get("growth_contrasts"),
        tables.get("efficacy"),
        tables.get("survival_tests"),
        tables.get("event_free_survival_tests"),
    )
    from . import doseresponse  # scipy.optimize: imported only by the jobs that need it

    responses = doseresponse.dose_response(
        study, reg, tables.get("growth_per_mouse"), study.settings["alpha"]
    )
    alpha = study.settings["alpha"]
    fits = regimenmodel.fit_models(study, measurements)
    checks = {
        name: regimenmodel.adequacy_table(study, fitted, measurements, alpha)
        for name, fitted in fits.items()
    }
    selection = regimenmodel.selection_table(fits, checks)
    chosen = regimenmodel.chosen_model(selection)
    model, adequacy = fits[chosen], checks[chosen]
    adequate = bool(len(adequacy)) and bool(adequacy["passes"].iloc[0])
    return Outputs(
        {
            "dose_response": responses,
            "regimen_model": regimenmodel.model_table(model, alpha),
            "regimen_model_check": regimenmodel.check_table(checks),
            "regimen_model_selection": selection,
            "what_if": bwnadir.add_to_what_if(
                regimenmodel.what_if_table(study, model, alpha, adequate), study, tol, alpha
            ),
            "body_weight": tolerability.body_weight_table(pct, arms),
            "body_weight_per_mouse": per_mouse,
            "tolerability": tol,
            "regimen": reg,
            "regimen_comparison": comparison,
        },
        TolerabilityFacts(pct, tables.get("efficacy")),
    )


def run_power(study: Study, tables: Mapping[str, pd.DataFrame]) -> Outputs[PowerFacts]:
    """Power and sample size of a next study with this one as the pilot
    (:func:`xenoflow.power.analyse`; the study's ``design``, else the defaults)."""
    from . import power  # scipy.stats: imported only by the jobs that need it

    study = with_arms(study, tables["measurements"])
    result = power.analyse(study, tables, study.design or Design())
    return Outputs(
        declared_tables(result, "power"),
        PowerFacts(
            result.target_power,
            summary.headline_day(
                power.follow_up_days(study.design or Design(), result.pilot),
                result.pilot.reference_day,
            ),
        ),
    )


def run_synergy(study: Study, tables: Mapping[str, pd.DataFrame]) -> Outputs[None]:
    """Combination synergy from SynergyLMM's exponential mixed model
    (:func:`xenoflow.synergy.analyse`) and invivoSyn / CombPDX, for a study file with
    ``combinations``; on the measurements at their scheduled visits (staggered calendars
    aligned, :mod:`xenoflow.visits`), as the other comparisons by day."""
    from . import invivosyn, synergy  # scipy.optimize: only in the jobs that need it

    study = growth.with_detection_limit(study, tables["measurements"])
    # at the scheduled visits (xenoflow.visits): a mouse measured a day off the control's
    # calendar keeps its baseline and its day in the refits up to each day, each re-dated
    # measurement listed; aligned calendars have nothing to re-date
    measurements, aligned = visits.comparison_days(study, tables["measurements"])
    result = synergy.analyse(measurements, study)
    # The one place where synergy rows of every basis meet: the mixed model's (lmm) and
    # invivoSyn's / CombPDX's (tgi, auc, combpdx).
    others, left_out = invivosyn.study_rows(
        measurements,
        [(c.arm, c.components) for c in study.combinations],
        study.control,
        seed=int(study.settings["seed"]),
        n_boot=int(study.settings["bootstrap_resamples"]),
        windows=result.windows,
    )
    rows = pd.concat(
        [t for t in (result.synergy, others) if len(t)] or [result.synergy],
        ignore_index=True,
    )
    excluded = pd.concat(
        [t for t in (aligned.exclusions("synergy"), result.exclusions_synergy, left_out) if len(t)]
        or [left_out],
        ignore_index=True,
    )
    return Outputs(
        {
            "synergy_model": result.synergy_model,
            # invivoSyn's rows have no power column: reindex, not select (a study whose
            # mixed model could not be fitted has only those)
            "synergy": rows.reindex(columns=registry.columns("synergy")),
            "synergy_diagnostics": result.synergy_diagnostics,
            "exclusions_synergy": excluded.reindex(columns=registry.columns("exclusions_synergy")),
        },
        None,
    )


#: The tables of one study, in the order of the workbook's sheets (its stages' order in
#: :data:`xenoflow.pipeline.STAGES`; the synergy and power tables when the study has them).
STUDY_TABLES = [
    t.name
    for stage in pipeline.TABLE_STAGES
    if pipeline.stage(stage).needs is None
    for t in registry.of_stage(stage, "table")
]
DESIGN_TABLES = [t.name for t in registry.of_stage("power", "table")]
SYNERGY_TABLES = [t.name for t in registry.of_stage("synergy", "table")]


def run_summary(study: Study, tables: Mapping[str, pd.DataFrame]) -> dict[str, str | bytes]:
    """Plain-language summary (md, html), Excel workbook and Prism file of one study."""
    study = with_arms(study, tables["measurements"])
    title, sections = summary.study_summary(study, tables)
    sheets = {name: tables[name] for name in STUDY_TABLES}
    sheets.update({name: tables[name] for name in SYNERGY_TABLES + DESIGN_TABLES if name in tables})
    return {
        "summary_md": summary.to_markdown(title, sections),
        "summary_html": summary.to_html(title, sections),
        "study_xlsx": export.xlsx_bytes(sheets, registry.readme(sheets), registry.headers(sheets)),
        "study_pzfx": export.pzfx_text(
            tables["measurements"], summary.arm_day_summary(tables), study.arm_names, study.title
        ),
    }


def run_report(
    study: Study,
    tables: Mapping[str, pd.DataFrame],
    figures: Mapping[str, bytes],
    provenance: StudyProvenance,
) -> dict[str, str | bytes]:
    """The study's self-contained ``report.html`` (:func:`xenoflow.report.study_report`) from
    its tables, its figures (registry name -> PNG bytes) and its provenance (software versions
    and input checksums)."""
    study = with_arms(study, tables["measurements"])
    from . import report  # jinja2 and docutils: imported only when a report is made

    return {"study_report": report.study_report(study, tables, figures, provenance)}


@dataclass(frozen=True)
class Inputs:
    """What a study's stages read besides tables (:attr:`xenoflow.pipeline.Stage.files`): the
    measurement file as read (``source``; ``rows``: some of its rows, e.g. one panel model's)
    and the text cells of the recorded survival table (``recorded``)."""

    source: ingest.Source | None = None
    rows: ingest.RawTable | None = None
    recorded: pd.DataFrame | None = None


def run_stage(
    name: str, study: Study, tables: Mapping[str, pd.DataFrame], inputs: Inputs
) -> Outputs[Any]:
    """Run the table stage ``name`` (:data:`xenoflow.pipeline.STAGES`) on ``tables``: the
    function ``run_<name>`` of this module (ingest and survival also get the files they read,
    :class:`Inputs`)."""
    if name == "ingest":
        if inputs.source is None:
            raise ValueError(f"{study.study_id}: the measurement file was not read")
        return run_ingest(study, inputs.source, inputs.rows)
    if name == "survival":
        return run_survival(study, tables, inputs.recorded)
    run: Callable[[Study, Mapping[str, pd.DataFrame]], Outputs[Any]] | None = globals().get(
        f"run_{name}"
    )
    if run is None:
        raise ValueError(f"stage {name!r} has no function run_{name} in xenoflow.stages")
    return run(study, tables)


def chain(
    study: Study,
    names: Sequence[str],
    inputs: Inputs,
    encoded: dict[str, io.Encoded] | None = None,
    on_stage: Callable[[str], object] | None = None,
    on_done: Callable[[str, Outputs[Any]], object] | None = None,
) -> dict[str, Outputs[Any]]:
    """Run the table stages ``names`` in memory, in an order their reads allow
    (:func:`xenoflow.pipeline.run_order`): each stage gets the tables of the earlier ones as
    it would read them back from disk
    (:class:`xenoflow.io.Decoded`). ``encoded`` receives each table's text
    (:func:`xenoflow.io.encode`), so that a caller that writes the tables does not format
    them a second time; ``on_stage`` is told the name of each stage before it runs (a job
    records which stage failed), ``on_done`` each stage's outputs once it has run (a job
    draws its figures while the next stage computes). Returns each stage's outputs, for
    its figures."""
    texts: dict[str, io.Encoded] = {} if encoded is None else encoded
    tables = io.Decoded(texts)
    outputs: dict[str, Outputs[Any]] = {}
    for stage in pipeline.run_order(tuple(pipeline.stage(n) for n in names)):
        if on_stage is not None:
            on_stage(stage.name)
        out = run_stage(stage.name, study, tables, inputs)
        for name, df in out.tables.items():
            texts[name] = io.encode(registry.table(name), df)
        outputs[stage.name] = out
        if on_done is not None:
            on_done(stage.name, out)
    return outputs


def analyse_study(
    study: Study,
    source: ingest.Source,
    rows: ingest.RawTable | None = None,
    recorded: pd.DataFrame | None = None,
    encoded: dict[str, io.Encoded] | None = None,
) -> Mapping[str, pd.DataFrame]:
    """Every table of a study from its read measurement file: the table stages that apply to
    it (:func:`xenoflow.pipeline.study_stages`: synergy with ``combinations``, power with a
    ``design``) chained in memory (:func:`chain`), as a panel model is analysed."""
    texts: dict[str, io.Encoded] = {} if encoded is None else encoded
    names = [s.name for s in pipeline.study_stages(study) if s.name in pipeline.TABLE_STAGES]
    chain(study, names, Inputs(source, rows, recorded), encoded=texts)
    return io.Decoded(texts)

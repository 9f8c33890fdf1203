"""The analysis stages of one study, each writing its declared outputs.

A stage takes a :class:`~xenoflow.config.Study`, its inputs as DataFrames, and ``out``: any
object with one attribute per output name (``snakemake.output`` in a rule, a
:class:`types.SimpleNamespace` built by :func:`unit_outputs` in a panel chunk). The per-study
rules (``workflow/rules/*.smk``) and the panel chunks (:mod:`xenoflow.panel`) call the same
functions, so a panel model's outputs are exactly a study's.

:data:`OUTPUTS` is the single list of each stage's outputs, relative to ``{results}/{study}/``;
the rule files declare the same paths (checked by ``tests/test_stages.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd

from . import io
from .config import Study

#: stage -> output name -> path relative to the study's results folder.
OUTPUTS: dict[str, dict[str, str]] = {
    "ingest": {
        "measurements": "tables/measurements.tsv",
        "exclusions": "tables/exclusions.tsv",
        "warnings": "tables/warnings.tsv",
    },
    "growth": {
        "per_mouse": "tables/growth_per_mouse.tsv",
        "model": "tables/growth_model.tsv",
        "contrasts": "tables/growth_contrasts.tsv",
        "fits": "tables/growth_model_fits.tsv",
        "exclusions": "tables/exclusions_growth.tsv",
        "curves_png": "figures/growth_curves.png",
        "curves_svg": "figures/growth_curves.svg",
        "spaghetti_png": "figures/spaghetti.png",
        "spaghetti_svg": "figures/spaghetti.svg",
    },
    "efficacy": {
        "efficacy": "tables/efficacy.tsv",
        "mice": "tables/efficacy_per_mouse.tsv",
        "growth_delay": "tables/growth_delay.tsv",
        "response": "tables/response.tsv",
        "response_summary": "tables/response_summary.tsv",
        "exclusions": "tables/exclusions_efficacy.tsv",
        "exclusions_response": "tables/exclusions_response.tsv",
        "waterfall_png": "figures/waterfall.png",
        "waterfall_svg": "figures/waterfall.svg",
        "fold_change_png": "figures/fold_change.png",
        "fold_change_svg": "figures/fold_change.svg",
    },
    "survival": {
        "per_mouse": "tables/survival_per_mouse.tsv",
        "per_arm": "tables/survival.tsv",
        "tests": "tables/survival_tests.tsv",
        "overall": "tables/survival_overall.tsv",
        "exclusions": "tables/exclusions_survival.tsv",
        "km_png": "figures/km.png",
        "km_svg": "figures/km.svg",
    },
    "summary": {
        "md": "summary.md",
        "html": "summary.html",
        "xlsx": "study.xlsx",
        "pzfx": "study.pzfx",
    },
}


def targets(stage: str, figures: bool = True) -> list[str]:
    """Output paths of a stage (relative to the study folder), figures optional."""
    return [p for p in OUTPUTS[stage].values() if figures or not p.startswith("figures/")]


def unit_outputs(stage: str, study_dir: str | Path) -> SimpleNamespace:
    """``out`` for a stage whose outputs go under ``study_dir`` (as the rule would name them)."""
    return SimpleNamespace(**{k: str(Path(study_dir) / v) for k, v in OUTPUTS[stage].items()})


def _formats(study: Study) -> list[str]:
    # png and svg are the declared outputs; figure_formats may add pdf
    return list(dict.fromkeys(["png", "svg", *study.settings["figure_formats"]]))


def _suffix(study: Study) -> str:
    return " — SYNTHETIC DATA" if study.synthetic else ""


def ingest_stage(study: Study, out: Any, ingested: Any = None) -> Any:
    """Write the canonical measurements, exclusions and warnings (``ingested`` if already read)."""
    from .ingest import ingest

    result = ingested if ingested is not None else ingest(study)
    io.write_tsv(result.measurements, out.measurements)
    io.write_tsv(result.exclusions, out.exclusions)
    io.write_tsv(result.warnings, out.warnings)
    return result


def growth_stage(study: Study, measurements: pd.DataFrame, out: Any, figures: bool = True) -> Any:
    """Per-mouse fits, mixed model, contrasts (:func:`xenoflow.growth.analyse_study`)."""
    from . import growth

    result = growth.analyse_study(measurements, study)
    io.write_tsv(growth.public_per_mouse(result.per_mouse), out.per_mouse)
    io.write_tsv(result.model, out.model)
    io.write_tsv(result.contrasts, out.contrasts)
    io.write_tsv(result.fits, out.fits)
    io.write_tsv(result.exclusions, out.exclusions)
    if figures:
        from .plots import growth as growth_plots

        growth_plots.write_growth_figures(result, measurements, study, Path(out.curves_png).parent)
    return result


def efficacy_stage(
    study: Study,
    measurements: pd.DataFrame,
    growth_model: pd.DataFrame | None,
    out: Any,
    figures: bool = True,
) -> dict[str, Any]:
    """Efficacy metrics, growth delay, mRECIST (:func:`xenoflow.efficacy.analyse_study`)."""
    from . import efficacy

    tables = efficacy.analyse_study(study, measurements, growth_model)
    for name in (
        "efficacy",
        "mice",
        "growth_delay",
        "response",
        "response_summary",
        "exclusions",
        "exclusions_response",
    ):
        io.write_tsv(tables[name], getattr(out, name))
    if figures:
        from .plots.efficacy import fold_change_figure, waterfall_figure
        from .plots.style import save_figure

        save_figure(
            waterfall_figure(
                tables["response"],
                study.arm_names,
                study.control,
                title=f"{study.title}: best response per mouse{_suffix(study)}",
            ),
            out.waterfall_png[: -len(".png")],
            _formats(study),
        )
        save_figure(
            fold_change_figure(
                tables["efficacy"],
                tables["per_mouse"],
                study.arm_names,
                study.control,
                title=f"{study.title}: fold change at day "
                f"{tables['reference_day']:g}{_suffix(study)}",
            ),
            out.fold_change_png[: -len(".png")],
            _formats(study),
        )
    return tables


def survival_stage(
    study: Study, measurements: pd.DataFrame, out: Any, figures: bool = True
) -> dict[str, Any]:
    """Endpoints, Kaplan–Meier tables and tests (:func:`xenoflow.survival.analyse`)."""
    from . import survival

    endpoints = survival.study_endpoints(study, measurements)
    source = study.survival_data.name if study.survival_data else ""
    exclusions = survival.endpoint_exclusions(measurements, endpoints, source)
    alpha = study.settings["alpha"]
    # a panel model's arms are different drugs: each is compared with the untreated control
    # only (one Holm family of those tests), as in a PDX clinical trial (Gao et al. 2015)
    tables = survival.analyse(
        endpoints, study.arm_names, study.control, alpha, between_treated=not study.is_unit
    )
    io.write_tsv(tables["per_mouse"], out.per_mouse)
    io.write_tsv(tables["per_arm"], out.per_arm)
    io.write_tsv(tables["tests"], out.tests)
    io.write_tsv(tables["overall"], out.overall)
    io.write_tsv(exclusions, out.exclusions)
    if figures:
        from .plots.style import save_figure
        from .plots.survival import km_figure

        rule = "" if endpoints is None else "; ".join(dict.fromkeys(endpoints["endpoint_rule"]))
        fig = km_figure(
            endpoints,
            study.arm_names,
            study.control,
            tables["tests"],
            labels={a.name: a.label or a.name for a in study.arms},
            alpha=alpha,
            title=study.title + _suffix(study),
            endpoint_label=rule,
        )
        save_figure(fig, out.km_png[: -len(".png")], _formats(study))
    return {**tables, "endpoints": endpoints, "exclusions": exclusions}


def summary_stage(study: Study, tables: Mapping[str, pd.DataFrame], out: Any) -> None:
    """Plain-language summary (md, html), Excel workbook and Prism file of one study."""
    from . import columns, export, summary

    title, sections = summary.study_summary(study, tables)
    io.write_text(summary.to_markdown(title, sections), out.md)
    io.write_text(summary.to_html(title, sections), out.html)
    export.write_xlsx(tables, out.xlsx, columns.readme(tables))
    export.write_pzfx(
        tables["measurements"],
        summary.arm_day_summary(tables),
        study.arm_names,
        out.pzfx,
        study.title,
    )

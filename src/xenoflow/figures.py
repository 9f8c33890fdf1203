"""A study's figures, drawn from what its stages returned (:class:`xenoflow.stages.Outputs`).

Kept apart from :mod:`xenoflow.stages` so that a job that computes tables only (a panel chunk
without figures) never imports matplotlib and seaborn (~1.4 s per process).
Each function returns the figures by registry name (:mod:`xenoflow.tables`); :func:`save`
writes them as ``<name>_png`` outputs' stems in every requested format.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text

from . import summary, visits
from .config import Study
from .plots import efficacy as efficacy_plots
from .plots import growth as growth_plots
from .plots import power as power_plots
from .plots import regimenmodel as regimenmodel_plots
from .plots import survival as survival_plots
from .plots import synergy as synergy_plots
from .plots import tolerability as tolerability_plots
from .plots.style import save_figure
from .stages import (
    EfficacyFacts,
    GrowthFacts,
    Outputs,
    PowerFacts,
    SurvivalFacts,
    TolerabilityFacts,
)

#: The mark of a synthetic study's figure, in a free corner: the report says SYNTHETIC
#: once, in its banner, and the figure titles do not repeat it; a figure file opened on its own
#: (a slide, a folder of PNGs) still says what it is.
SYNTHETIC_MARK = "SYNTHETIC DATA"


def draw(study: Study, stage: str, out: Outputs[Any]) -> dict[str, Figure]:
    """The figures of ``stage`` (the function of this module by the stage's name); :func:`save`
    marks those of a synthetic study."""
    drawn: dict[str, Figure] = globals()[stage](study, out)
    return drawn


#: Where the mark may go, in this order: the figure's corners (x, y, ha, va in figure
#: fractions), the first that no text, legend or plot area overlaps.
MARK_PLACES = (
    (0.005, 0.995, "left", "top"),
    (0.995, 0.995, "right", "top"),
    (0.005, 0.005, "left", "bottom"),
    (0.995, 0.005, "right", "bottom"),
)


def mark_synthetic(fig: Figure, renderer: Any = None) -> Text:
    """:data:`SYNTHETIC_MARK` in small dark-red capitals in the first free corner of the
    figure (:data:`MARK_PLACES`); when none is free, just above the figure's top edge (the
    study figures are saved with a tight box, which keeps it). The extents are those of the
    figure as last laid out for ``renderer`` (:func:`save` passes the layout that measures
    the tight box, :func:`xenoflow.plots.style.tight_bbox`); without one, of a draw that lays
    the figure out without rasterising it (``draw_without_rendering``)."""
    if renderer is None:
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    taken = [a.get_window_extent(renderer) for a in _occupied(fig)]
    for x, y, ha, va in MARK_PLACES:
        mark = _mark(fig, x, y, ha, va)
        box = mark.get_window_extent(renderer)
        if not any(box.overlaps(other) for other in taken):
            return mark
        mark.remove()
    return _mark(fig, 0.005, 1.0, "left", "bottom")


def _occupied(fig: Figure) -> list[Any]:
    """What a mark must not cover: every text that is drawn, legend and plot area (not the
    tick labels of an axes whose axis is off: they keep text once formatted, undrawn)."""
    hidden = {
        id(t)
        for ax in fig.axes
        if not ax.axison
        for t in (*ax.xaxis.findobj(), *ax.yaxis.findobj())
    }
    texts = fig.findobj(
        lambda a: (
            isinstance(a, Text) and a.get_visible() and a.get_text() != "" and id(a) not in hidden
        )
    )
    legends = fig.findobj(Legend)
    return [*texts, *legends, *(ax for ax in fig.axes if ax.axison)]


def _mark(fig: Figure, x: float, y: float, ha: str, va: str) -> Text:
    return fig.text(
        x, y, SYNTHETIC_MARK, ha=ha, va=va, fontsize=7, fontweight="bold", color="#a00000"
    )


def formats(study: Study) -> list[str]:
    """png and svg (the declared outputs), and any further ``figure_formats`` (pdf)."""
    return list(dict.fromkeys(["png", "svg", *study.settings["figure_formats"]]))


def growth(study: Study, out: Outputs[GrowthFacts]) -> dict[str, Figure]:
    """Growth curves (mean ± SEM per arm at the scheduled visits, :mod:`xenoflow.visits`: a
    mouse measured a day off the control's calendar counts in its visit's mean, not in a
    mean of its own) and every mouse with its best-AIC fit (at its measured days)."""
    result, measurements = out.facts.growth, out.facts.measurements
    at_visit = visits.comparison_days(study, measurements)[0]
    return {
        "growth_curves": growth_plots.growth_curves_figure(at_visit, study, result.arms),
        "spaghetti": growth_plots.spaghetti_figure(result, measurements, study),
    }


def efficacy(study: Study, out: Outputs[EfficacyFacts]) -> dict[str, Figure]:
    """Waterfall of best response and fold change at the reference day."""
    return {
        "waterfall": efficacy_plots.waterfall_figure(
            out.tables["response"],
            study.arm_names,
            study.control,
            title=f"{study.title}: best response per mouse",
            min_day=float(study.settings["mrecist_min_day"]),
        ),
        "fold_change": efficacy_plots.fold_change_figure(
            out.tables["efficacy"],
            out.facts.per_mouse,
            study.arm_names,
            study.control,
            title=f"{study.title}: fold change {_at_day(out.facts.reference_day)}",
        ),
    }


def _at_day(day: float) -> str:
    return "(no day on which every arm is measured)" if math.isnan(day) else f"at day {day:g}"


def survival(study: Study, out: Outputs[SurvivalFacts]) -> dict[str, Figure]:
    """Kaplan–Meier curves with the tests against control."""
    endpoints = out.facts.endpoints
    endpoint = summary.survival_endpoint(study).replace("mm3", "mm³").replace(">=", "≥")
    return {
        "km": survival_plots.km_figure(
            endpoints,
            study.arm_names,
            study.control,
            out.tables["survival_tests"],
            labels={a.name: a.legend for a in study.arms},
            alpha=study.settings["alpha"],
            title=study.title,
            ci_bands=bool(study.settings["km_confidence_bands"]),
            endpoint_label=endpoint,
        )
    }


#: One point of the therapeutic-window figure: nadir (x) and %T/C (y) with their intervals.
POINT_COLUMNS = ["arm", "agent", "label", "x", "x_low", "x_high", "y", "y_low", "y_high", "order"]


def tolerability(study: Study, out: Outputs[TolerabilityFacts]) -> dict[str, Figure]:
    """Body-weight course, the therapeutic window of the treated arms and the dose-driven
    growth model with its ``what_if`` predictions."""
    tables = out.tables
    efficacy = out.facts.efficacy
    tc: dict[str, tuple[float, float, float]] = {}
    if efficacy is not None and len(efficacy):
        ref = efficacy[efficacy["is_reference_day"].astype(bool)]
        tc = {
            str(r["arm"]): (r["tc_pct"], r["tc_ci_low"], r["tc_ci_high"])
            for r in ref.to_dict("records")
        }
    tol = tables["tolerability"].set_index("arm")
    pct = out.facts.percent_change
    reg = tables["regimen"].set_index("arm")
    rows = []
    for arm in study.arms:
        if arm.name == study.control or arm.name not in tol.index:
            continue
        schedule = ", ".join(d.describe() for d in arm.doses)
        y, y_low, y_high = tc.get(arm.name, (float("nan"),) * 3)
        x_low, x_high = tolerability_plots.nadir_interval(
            pct, arm.name, tol.loc[arm.name, "group_mean_nadir_day"]
        )
        rows.append(
            {
                "arm": arm.name,
                "agent": arm.agent or "",
                "label": arm.name + (f"\n{schedule}" if schedule else ""),
                "x": tol.loc[arm.name, "group_mean_nadir_pct"],
                "x_low": x_low,
                "x_high": x_high,
                "y": y,
                "y_low": y_low,
                "y_high": y_high,
                "order": reg.loc[arm.name, "cumulative_dose"] if arm.name in reg.index else 0.0,
            }
        )
    points = pd.DataFrame(rows, columns=POINT_COLUMNS)
    return {
        "body_weight_figure": tolerability_plots.body_weight_figure(
            tables["body_weight"],
            out.facts.percent_change,
            study.arm_names,
            study.control,
            {a.name: [d.day for d in a.doses] for a in study.arms},
            study.tolerability.loss_thresholds_pct,
            title=f"{study.title}: body weight",
            min_fraction=float(study.settings["mean_min_fraction"]),
        ),
        "therapeutic_window": tolerability_plots.therapeutic_window_figure(
            points,
            study.arm_names,
            study.control,
            title=f"{study.title}: therapeutic window",
        ),
        "what_if_figure": regimenmodel_plots.what_if_figure(
            tables["what_if"],
            study.arm_names,
            study.control,
            {
                **{a.name: [d.day for d in a.doses] for a in study.arms},
                **{w.name: [d.day for d in w.doses] for w in study.what_if},
            },
            title=f"{study.title}: dose-driven growth model",
            labels={
                **{a.name: a.legend for a in study.arms},
                **{w.name: f"{w.name}: {_schedule(w.doses)}" for w in study.what_if},
            },
        ),
    }


def _schedule(doses: Sequence[Any]) -> str:
    """Doses in words, one amount given on several days said once ('72.93 µCi on days 0, 7,
    14')."""
    if len(doses) > 1 and len({(d.amount, d.unit) for d in doses}) == 1:
        amount = doses[0].describe().rsplit(" on day ", 1)[0]
        return f"{amount} on days " + ", ".join(f"{d.day:g}" for d in doses)
    return ", ".join(d.describe() for d in doses)


def power(study: Study, out: Outputs[PowerFacts]) -> dict[str, Figure]:
    """Power curves against mice per arm, one panel per endpoint."""
    return {
        "power_curves": power_plots.power_figure(
            out.tables["power"],
            out.facts.target_power,
            out.facts.headline_day,
            title=f"{study.title}: power of a next study",
        )
    }


def synergy(study: Study, out: Outputs[None]) -> dict[str, Figure]:
    """Fitted synergy models with time-resolved scores, and their diagnostics."""
    tables = out.tables
    return {
        "synergy_figure": synergy_plots.synergy_figure(
            tables["synergy_model"],
            tables["synergy"],
            tables["synergy_diagnostics"],
            study.arm_names,
            study.control,
            title=f"{study.title}: combination synergy",
        ),
        "synergy_diagnostics_figure": synergy_plots.diagnostics_figure(
            tables["synergy_diagnostics"],
            study.arm_names,
            study.control,
            title=f"{study.title}: synergy model diagnostics",
        ),
    }


def save(
    figures: dict[str, Figure], outputs: Any, formats: Sequence[str], synthetic: bool = False
) -> None:
    """Save each figure to the stem of its ``<name>_png`` output (``snakemake.output``); a
    ``synthetic`` study's figures marked :data:`SYNTHETIC_MARK` (:func:`mark_synthetic`) in
    the layout that measures their tight box, not in a layout of its own."""
    for name, fig in figures.items():
        stem = getattr(outputs, f"{name}_png")[: -len(".png")]
        save_figure(fig, stem, formats, mark=mark_synthetic if synthetic else None)

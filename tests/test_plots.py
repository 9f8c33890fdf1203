"""Figures (issue 21): what seaborn draws is the data as given (no aggregation, the study's
colours), the mean ± SEM curves are the package's numbers, figures are byte-identical when
drawn again, and drawing leaves matplotlib's process-wide settings alone."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection, PathCollection, PolyCollection, QuadMesh
from matplotlib.colors import to_hex
from matplotlib.legend import Legend
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from xenoflow import figures, growth, stages
from xenoflow.config import Dose, load_study
from xenoflow.plots import efficacy as ep
from xenoflow.plots import growth as gp
from xenoflow.plots import panel as pp
from xenoflow.plots import power as pwp
from xenoflow.plots import regimenmodel as rmp
from xenoflow.plots import summary as smp
from xenoflow.plots import survival as sp
from xenoflow.plots import tolerability as tp
from xenoflow.plots.style import (
    CONTROL_COLOUR,
    TREATED_COLOURS,
    arm_palette,
    note_figure,
    save_figure,
)

SIM = Path(__file__).parent / "data" / "growth" / "simulated_3arm_8mice.csv"
ARMS = ["Vehicle", "DrugA", "DrugB"]
STUDY = f"""study_id: sim
title: Simulated 3 x 8
data: {SIM.resolve()}
control: Vehicle
arms:
  - Vehicle
  - name: DrugA
    label: Drug A 10 mg/kg
    doses: [{{day: 0, amount: 10, unit: mg/kg}}, {{day: 7, amount: 10, unit: mg/kg}}]
  - name: DrugB
    label: "Drug B, 95.7 µCi day 0 + 109.4 µCi day 7"
    doses: [{{day: 0, amount: 95.7, unit: uCi}}, {{day: 7, amount: 109.4, unit: uCi}}]
"""


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, object]:
    folder = tmp_path_factory.mktemp("study")
    (folder / "study.yaml").write_text(STUDY, encoding="utf-8")
    data = pd.read_csv(SIM, dtype={"arm": str, "mouse_id": str})
    # one mouse regresses completely on its last day: drawn as an open marker at the bottom
    last = data.index[(data["arm"] == "DrugB") & (data["mouse_id"] == "1")][-1]
    data.loc[last, "volume_mm3"] = 0.0
    return data, load_study(folder / "study.yaml")


def response_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "arm": ["Vehicle", "Vehicle", "DrugA", "DrugA", "DrugB", "DrugB"],
            "mouse_id": ["1", "2", "1", "2", "1", "2"],
            "best_response_pct": [250.0, 120.0, -60.0, 10.0, -97.0, np.nan],
            "mrecist": ["PD", "PD", "PR", "SD", "CR", None],
        }
    )


def shared_responses() -> pd.DataFrame:
    """Two treatments, each in two studies (as :func:`xenoflow.crossmodel.shared_responses`
    gives them); one mouse not evaluable."""
    rows = [
        ("Combo", "s1", "Model one", "Combo", "1", -60.0, "PR", True),
        ("Combo", "s1", "Model one", "Combo", "2", 40.0, "PD", True),
        ("Combo", "s2", "Model two", "Combo", "1", -97.0, "CR", True),
        ("Combo", "s2", "Model two", "Combo", "2", 300.0, "PD", True),
        ("Combo", "s2", "Model two", "Combo", "3", 0.0, None, False),
        ("Drug", "s1", "Model one", "Drug", "1", 20.0, "SD", True),
        ("Drug", "s2", "Model two", "drug", "1", 80.0, "PD", True),
    ]
    columns = ["treatment", "study_id", "model", "arm", "mouse_id", "best_response_pct"]
    table = pd.DataFrame(rows, columns=[*columns, "mrecist", "evaluable"])
    return table.assign(min_day=10.0, synthetic=table["study_id"] == "s2")


def efficacy_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    eff = pd.DataFrame(
        {
            "arm": ARMS,
            "day": [21.0] * 3,
            "is_reference_day": [True] * 3,
            "mean_fold_change": [10.0, 5.0, 2.0],
            "mean_fold_change_ci_low": [8.0, 3.5, 1.0],
            "mean_fold_change_ci_high": [12.0, 6.5, 3.0],
            "fold_change_reduction_pct": [np.nan, 50.0, 80.0],
            "fold_change_reduction_ci_low": [np.nan, 30.0, 70.0],
            "fold_change_reduction_ci_high": [np.nan, 65.0, 90.0],
        }
    )
    per_mouse = pd.DataFrame(
        {
            "arm": ["Vehicle"] * 4 + ["DrugA"] * 4 + ["DrugB"] * 4,
            "mouse_id": [str(i) for i in range(12)],
            "day": [21.0] * 12,
            "fold_change": [9.0, 10.0, 10.0, 11.0, 4.0, 5.0, 5.5, np.nan, 1.0, 2.0, 2.5, 2.5],
        }
    )
    return eff, per_mouse


def unit_inputs() -> tuple[SimpleNamespace, pd.DataFrame, pd.DataFrame]:
    arms = ["untreated", "D1", "D2"]
    measurements = pd.DataFrame(
        {
            "arm": [a for a in arms for _ in range(6)],
            "mouse_id": ["1", "1", "1", "2", "2", "2"] * 3,
            "day": [0.0, 7.0, 14.0] * 6,
            "volume_mm3": [200, 400, 800, 180, 390, 700, 200, 150, 90, 210, 160, 120]
            + [200, 260, 300, 190, 250, 310],
        }
    )
    # D1's two mice have the same label "D1 (PR)": still two bars
    response = pd.DataFrame(
        {
            "arm": ["untreated", "untreated", "D1", "D1", "D2", "D2"],
            "mouse_id": ["1", "2", "1", "2", "1", "2"],
            "best_response_pct": [300.0, 290.0, -55.0, -42.0, 50.0, 63.0],
            "mrecist": ["PD", "PD", "PR", "PR", "PD", "PD"],
        }
    )
    unit = SimpleNamespace(
        arms=[SimpleNamespace(name=a) for a in arms], title="M1", control=arms[0]
    )
    return unit, measurements, response


def panel_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    matrix = pd.DataFrame(
        {
            "model": ["M1", "M2", "M3"],
            "untreated": ["PD", "PD", ""],
            "D1": ["PR", "SD/PD", "CR"],
            "D2": ["", "NA", "PD"],
        }
    )
    endpoints = pd.DataFrame(
        {
            "arm": ["untreated"] * 3 + ["D1"] * 3 + ["D2"] * 2,
            "time_days": [5.0, 7.0, 9.0, 12.0, 20.0, 30.0, 8.0, 14.0],
            "event": [True, True, True, True, False, False, True, True],
        }
    )
    ttd = pd.DataFrame({"arm": ["untreated", "D1", "D2"], "median_days": [7.0, np.nan, 11.0]})
    return matrix, endpoints, ttd


def summary_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "study_id": ["s1", "s1", "s2"],
            "arm": ["DrugA", "DrugB", "X"],
            "rate_diff_vs_control": [-0.05, -0.1, np.nan],
            "rate_diff_ci_low": [-0.08, -0.14, np.nan],
            "rate_diff_ci_high": [-0.02, -0.06, np.nan],
            "hr": [0.4, 0.2, np.nan],
            "hr_ci_low": [0.2, 0.08, np.nan],
            "hr_ci_high": [0.9, 0.5, np.nan],
            "hr_flag": ["", "", "separation"],
        }
    )


def _colour(artist: object) -> str:
    return to_hex(artist.get_facecolor())  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------ drawn values


def test_waterfall_bars_are_the_mice_in_their_arm_colours() -> None:
    response = response_table()
    fig = ep.waterfall_figure(response, ARMS, "Vehicle", clip_pct=200.0)
    bars = [
        p
        for p in fig.axes[0].patches
        if isinstance(p, Rectangle) and abs(p.get_width() - 0.8) < 1e-9
    ]
    expected = response.dropna(subset=["best_response_pct"]).sort_values(
        "best_response_pct", ascending=False
    )
    assert [b.get_height() for b in sorted(bars, key=lambda b: b.get_x())] == pytest.approx(
        expected["best_response_pct"].clip(upper=200.0).tolist()
    )
    palette = arm_palette(ARMS, "Vehicle")
    # seaborn's default saturation (0.75) would grey the colours: the control is exactly grey
    assert [_colour(b) for b in sorted(bars, key=lambda b: b.get_x())] == [
        palette[a].lower() for a in expected["arm"]
    ]
    assert palette["Vehicle"] == CONTROL_COLOUR
    plt.close(fig)


def test_waterfall_legends_say_colour_is_the_arm_and_letter_the_mrecist_class() -> None:
    fig = ep.waterfall_figure(response_table(), ARMS, "Vehicle", min_day=10)
    ax = fig.axes[0]
    legends = [a for a in ax.get_children() if isinstance(a, Legend)]
    assert len(legends) == 2
    arms, classes = sorted(legends, key=lambda lg: lg.get_title().get_text())
    assert arms.get_title().get_text() == "bar colour: arm"
    assert [t.get_text() for t in arms.get_texts()] == ["Vehicle (control)", "DrugA", "DrugB"]
    title = classes.get_title().get_text()
    assert title.startswith("letter: mRECIST class") and "bar height = best response" in title
    assert [t.get_text() for t in classes.get_texts()] == [
        "CR: BR < −95 % and BAR < −40 %",
        "PR: BR < −50 % and BAR < −20 %",
        "SD: BR < 35 % and BAR < 30 %",
        "PD: otherwise",
    ]
    # each class's patch has the colour of its shaded band
    assert [to_hex(p.get_facecolor()) for p in classes.get_patches()] == [
        ep.BAND_COLOURS[c].lower() for c in ("CR", "PR", "SD", "PD")
    ]
    assert "day ≥ 10" in ax.get_ylabel()
    # the letters on the bars: one per classified mouse
    letters = [
        t.get_text()
        for t in ax.texts
        if t.get_text() in ep.BAND_COLOURS and t.get_transform() == ax.transData
    ]
    assert sorted(letters) == sorted(["PD", "PD", "PR", "SD", "CR"])
    assert _outside(fig) == []
    plt.close(fig)


def test_waterfall_across_models_has_a_panel_per_treatment_bars_coloured_by_model() -> None:
    """Issue 29 item 3 (Xeva's waterfall across models): one panel per shared treatment, its
    evaluable mice sorted high to low, one colour per model from a palette that is not the
    arms', the models named in the legend and the mouse left out counted under its panel."""
    fig = ep.cross_model_waterfall(shared_responses())
    axes = [ax for ax in fig.axes if ax.patches]
    assert [ax.get_title() for ax in axes] == [
        "Combo: 4 mice in 2 models",
        "Drug: 2 mice in 2 models",
    ]
    model = {"s1": ep.MODEL_COLOURS[0], "s2": ep.MODEL_COLOURS[1]}
    assert not set(model.values()) & {*TREATED_COLOURS, CONTROL_COLOUR}
    bars = sorted((p for c in axes[0].containers for p in c), key=lambda p: p.get_x())
    # 300 is cut at 200; then 40, -60, -97: high to low, each in its model's colour
    assert [round(p.get_height()) for p in bars] == [200, 40, -60, -97]
    assert [to_hex(p.get_facecolor()) for p in bars] == [
        model[s].lower() for s in ("s2", "s1", "s1", "s2")
    ]
    assert "s2: 1 mouse" in axes[0].get_xlabel() and "not evaluable" in axes[0].get_xlabel()
    legend = next(a for a in axes[0].get_children() if isinstance(a, Legend))
    assert legend.get_title().get_text().startswith("bar colour: tumour model")
    assert [t.get_text() for t in legend.get_texts()] == [
        "Model one (s1)",
        "Model two (s2, synthetic)",
    ]
    assert _outside(fig) == []
    plt.close(fig)


def test_waterfall_across_models_without_a_shared_treatment_is_a_note(tmp_path: Path) -> None:
    """Nothing to draw: a note figure, whose PNG says why (the index names it once)."""
    from xenoflow.plots.notes import png_note

    for name, responses in (("none", shared_responses().iloc[0:0]), ("two", shared_responses())):
        save_figure(ep.cross_model_waterfall(responses), tmp_path / name, ("png",))
    assert png_note((tmp_path / "none.png").read_bytes()) == ep.NO_SHARED_TREATMENT
    assert png_note((tmp_path / "two.png").read_bytes()) == ""


def test_fold_change_dots_are_each_mouse_at_its_arm() -> None:
    eff, per_mouse = efficacy_tables()
    fig = ep.fold_change_figure(eff, per_mouse, ARMS, "Vehicle")
    ax = fig.axes[0]
    fig.canvas.draw()  # the swarm is laid out at draw time
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(dots) == 3
    palette = arm_palette(ARMS, "Vehicle")
    for i, (arm, points) in enumerate(zip(ARMS, dots)):
        xy = points.get_offsets()
        want = per_mouse.loc[per_mouse["arm"] == arm, "fold_change"].dropna()
        assert sorted(xy[:, 1]) == pytest.approx(sorted(want))
        assert np.all(np.abs(xy[:, 0] - i) < 0.4)
        assert {to_hex(c) for c in points.get_facecolors()} == {palette[arm].lower()}
    assert [t.get_text() for t in ax.get_xticklabels()][0] == "Vehicle\n(control)"
    plt.close(fig)


def test_growth_curves_show_the_package_mean_and_sem(sim: tuple[pd.DataFrame, object]) -> None:
    data, study = sim
    fig = gp.growth_curves_figure(data, study, ARMS)
    summary = gp.arm_day_summary(data, ARMS)
    ax_lin = fig.axes[0]
    lines = [line for line in ax_lin.get_lines() if line.get_marker() == "o"]
    for arm, line in zip(ARMS, lines):
        s = summary[summary["arm"] == arm]
        assert line.get_ydata() == pytest.approx(s["mean"].to_numpy())
    v = data[(data["arm"] == "DrugA") & (data["day"] == 0)]["volume_mm3"]
    row = summary[(summary["arm"] == "DrugA") & (summary["day"] == 0)].iloc[0]
    assert row["sem"] == pytest.approx(v.std(ddof=1) / math.sqrt(len(v)))
    plt.close(fig)


def _texts(fig: plt.Figure) -> list[Text]:
    """Every visible, non-empty text of the figure (titles, labels, tick labels, legends)."""
    found = fig.findobj(lambda a: isinstance(a, Text) and a.get_visible() and a.get_text() != "")
    return [t for t in found if isinstance(t, Text)]


def _outside(fig: plt.Figure) -> list[str]:
    """The sides of the figure that something drawn (a label, a legend, a title) reaches
    past: without a tight box it would be cut off there."""
    fig.canvas.draw()
    drawn = fig.get_tightbbox(fig.canvas.get_renderer())  # type: ignore[attr-defined]
    box = fig.bbox_inches
    sides = {
        "left": drawn.x0 < box.x0 - 0.01,
        "bottom": drawn.y0 < box.y0 - 0.01,
        "right": drawn.x1 > box.x1 + 0.01,
        "top": drawn.y1 > box.y1 + 0.01,
    }
    return [side for side, out in sides.items() if out]


def test_growth_doses_labelled_once_in_micro_curies_inside_the_figure(
    sim: tuple[pd.DataFrame, object],
) -> None:
    data, study = sim
    fig = gp.growth_curves_figure(data, study, ARMS)
    texts = [t.get_text() for t in _texts(fig)]
    # each dose once, with the display unit (µCi, never the file's ASCII uCi)
    for dose in ("95.7 µCi", "109.4 µCi"):
        assert texts.count(dose) == 1
    # the same amount on both days of DrugA: labelled on each of its two triangles
    assert texts.count("10 mg/kg") == 2
    assert not [t for t in texts if "uCi" in t]
    # the arm's name labels its row of the strip; the legend names the arm as the tables do,
    # with the study's label after it
    assert {"DrugA", "DrugB"} <= set(texts)
    assert texts.count("DrugB (Drug B, 95.7 µCi day 0 + 109.4 µCi day 7)") == 1
    assert _outside(fig) == []
    plt.close(fig)


@pytest.mark.parametrize(
    ("days", "amounts", "spacing_in", "labels", "unit"),
    [
        ([0, 7], [95.7, 109.4], 1.0, ["95.7 µCi", "109.4 µCi"], ""),
        # daily doses of one amount, too close to label each: once, at the first dose
        ([0, 1, 2, 3], [10.0] * 4, 0.1, ["10 µCi each"], ""),
        # different amounts too close: the numbers stay, the unit goes to the row label
        ([0, 1], [5.0, 10.0], 0.1, ["5", "10"], "µCi"),
    ],
)
def test_dose_labels_each_dose_once(
    days: list[float], amounts: list[float], spacing_in: float, labels: list[str], unit: str
) -> None:
    doses = [Dose(day=d, amount=a, unit="uCi") for d, a in zip(days, amounts)]
    got, row_unit = gp.dose_labels(doses, spacing_in)
    assert [text for _, text in got] == labels
    assert row_unit == unit


def _km_endpoints() -> pd.DataFrame:
    _, endpoints, _ = panel_tables()
    return endpoints.replace({"untreated": "Vehicle", "D1": "DrugA", "D2": "DrugB"})


@pytest.mark.parametrize("bands", [True, False])
def test_km_bands_light_optional_and_explained(bands: bool) -> None:
    fig = sp.km_figure(_km_endpoints(), ARMS, "Vehicle", ci_bands=bands, alpha=0.1)
    ax = fig.axes[0]
    shaded = [c for c in ax.collections if isinstance(c, PolyCollection)]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    note = [t for t in legend if t.startswith("shaded: pointwise 90% confidence")]
    if bands:
        assert len(shaded) == 3  # one band per arm
        assert {c.get_alpha() for c in shaded} == {sp.BAND_ALPHA}
        assert sp.BAND_ALPHA <= 0.08
        assert len(note) == 1
    else:
        assert shaded == [] and note == []
    assert _outside(fig) == []
    plt.close(fig)


def test_km_option_of_the_study_file_reaches_the_figure(tmp_path: Path) -> None:
    text = STUDY + "endpoint_volume_mm3: 400\nanalysis: {km_confidence_bands: false}\n"
    (tmp_path / "study.yaml").write_text(text, encoding="utf-8")
    study = load_study(tmp_path / "study.yaml")
    assert study.settings["km_confidence_bands"] is False
    assert load_study_default(tmp_path)["km_confidence_bands"] is True
    measurements = pd.read_csv(SIM, dtype={"arm": str, "mouse_id": str})
    out = stages.run_survival(study, {"measurements": measurements})
    fig = figures.survival(study, out)["km"]
    ax = fig.axes[0]
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
    # the endpoint in words, not the rule's name
    title = ax.get_title()
    assert "Endpoint: time to tumour volume > 400 mm³" in title and "first_above" not in title
    plt.close(fig)


def _mark_clashes(fig: plt.Figure) -> list[str]:
    """The texts the synthetic mark overlaps (it must overlap none)."""
    # a figure saved by save_figure is closed: pyplot took its Agg canvas
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    texts = _texts(fig)
    mark = next(t for t in texts if t.get_text() == figures.SYNTHETIC_MARK)
    box = mark.get_window_extent(renderer)
    return [
        t.get_text() for t in texts if t is not mark and box.overlaps(t.get_window_extent(renderer))
    ]


def test_a_synthetic_studys_figures_carry_a_corner_mark_not_a_title_suffix(
    sim: tuple[pd.DataFrame, object], tmp_path: Path
) -> None:
    """Issue 29: the report says SYNTHETIC once (its banner); each figure of a synthetic study
    is marked in its top-left corner instead, clear of every other text, so a figure file
    opened on its own still says it; a real study's figures are not marked."""
    data, study = sim
    out = stages.run_survival(study, {"measurements": data})
    for synthetic in (True, False):
        drawn = figures.draw(dataclasses.replace(study, synthetic=synthetic), "survival", out)
        outputs = SimpleNamespace(km_png=str(tmp_path / f"km_{synthetic}.png"))
        figures.save(drawn, outputs, ("png", "svg"), synthetic)  # as a study's job saves them
        fig = drawn["km"]
        texts = [t.get_text() for t in _texts(fig)]
        assert texts.count(figures.SYNTHETIC_MARK) == int(synthetic)
        assert not [t for t in texts if "SYNTHETIC" in t and t != figures.SYNTHETIC_MARK]
        if synthetic:
            assert _mark_clashes(fig) == [] and _outside(fig) == []
        plt.close(fig)
    growth_fig = gp.growth_curves_figure(data, study, ARMS)  # a suptitle and labels at the left
    figures.mark_synthetic(growth_fig)
    assert _mark_clashes(growth_fig) == [] and _outside(growth_fig) == []
    plt.close(growth_fig)
    # a title across the whole top (the therapeutic window's): the mark takes a free corner
    wide, ax = plt.subplots(figsize=(6, 4))
    title = "A title at the top edge, long enough to run from one side of the figure to the other"
    wide.suptitle(title, y=1.0, va="top", fontsize=11)
    ax.set_xlabel("a label")
    figures.mark_synthetic(wide)
    assert _mark_clashes(wide) == []
    mark = next(t for t in _texts(wide) if t.get_text() == figures.SYNTHETIC_MARK)
    assert mark.get_position()[1] < 0.5  # not the top corners, which the title covers
    box = mark.get_window_extent()
    assert not box.overlaps(ax.get_window_extent()) and wide.bbox.contains(box.x0, box.y0)
    plt.close(wide)


def test_the_mark_ignores_the_undrawn_tick_labels_of_an_axes_whose_axis_is_off() -> None:
    """A note figure (axis off, a title wider than its axes): the tick labels of its hidden
    axis keep text once matplotlib has formatted them (as measuring the y axis does); they
    are not drawn, so the mark takes the first free corner below the title, bottom left."""
    title = (
        "A wide-format study with a humane endpoint (a test fixture): the dose-driven growth model"
    )
    fig = note_figure(title, "Nothing to draw.")
    fig.draw_without_rendering()
    ax = fig.axes[0]
    ax.yaxis.get_tightbbox(fig.canvas.get_renderer())  # type: ignore[attr-defined]
    assert any(t.get_text() for t in ax.yaxis.get_ticklabels())
    figures.mark_synthetic(fig)
    mark = next(t for t in _texts(fig) if t.get_text() == figures.SYNTHETIC_MARK)
    assert mark.get_position() == (0.005, 0.005)
    plt.close(fig)


def test_km_legend_and_at_risk_table_name_the_arms_alike(tmp_path: Path) -> None:
    """Issue 29 item 4: the legend named arms by their dose labels while the at-risk table
    used arm names; each legend entry now starts with the arm's name (the label after it)."""
    (tmp_path / "study.yaml").write_text(STUDY + "endpoint_volume_mm3: 400\n", encoding="utf-8")
    study = load_study(tmp_path / "study.yaml")
    measurements = pd.read_csv(SIM, dtype={"arm": str, "mouse_id": str})
    out = stages.run_survival(study, {"measurements": measurements})
    fig = figures.survival(study, out)["km"]
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert [entry.split("\n")[0].split(" (")[0] for entry in legend[: len(ARMS)]] == ARMS
    assert legend[1].startswith("DrugA (Drug A 10 mg/kg)")
    at_risk = {t.get_text() for ax in fig.axes[1:] for t in ax.texts}
    assert set(ARMS) <= at_risk
    plt.close(fig)


def load_study_default(folder: Path) -> dict[str, object]:
    (folder / "default.yaml").write_text(STUDY, encoding="utf-8")
    return dict(load_study(folder / "default.yaml").settings)


def test_spaghetti_draws_every_measurement_and_fitted_curve(
    sim: tuple[pd.DataFrame, object],
) -> None:
    data, study = sim
    result = growth.analyse_study(data, study)
    fig = gp.spaghetti_figure(result, data, study)
    palette = arm_palette(ARMS, "Vehicle")
    fitted = result.per_mouse.groupby("arm", observed=True)["mouse_id"].nunique()
    for ax, arm in zip(fig.axes, ARMS):
        d = data[data["arm"] == arm]
        points = [c for c in ax.collections if isinstance(c, PathCollection)]
        measured = points[0].get_offsets()
        assert sorted(measured[:, 1]) == pytest.approx(
            sorted(d.loc[d["volume_mm3"] > 0, "volume_mm3"])
        )
        assert {to_hex(c) for c in points[0].get_facecolors()} == {palette[arm].lower()}
        n_zero = int((d["volume_mm3"] <= 0).sum())
        assert len(points) == 1 + (n_zero > 0)
        if n_zero:  # open markers at the bottom edge
            assert len(points[1].get_offsets()) == n_zero
            assert len(points[1].get_facecolors()) == 0 or points[1].get_facecolors()[0][3] == 0
        assert len(ax.get_lines()) == fitted[arm]
    # each panel's title (an arm's name and long dose label) stays over its panel: a long one
    # ran into the next panel's
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert len(titled) == 3
    for ax in titled:
        box, panel = ax.title.get_window_extent(renderer), ax.get_window_extent(renderer)
        assert box.width <= panel.width, ax.get_title()
    plt.close(fig)


def test_heatmap_single_calls_one_colour_mixed_cells_stacked_with_counts() -> None:
    matrix, _, _ = panel_tables()
    # a replicate cell as in DRAP TAN (Tumor_4, Treatment_4): 1 CR, 2 PR, 2 SD, 3 PD
    matrix.loc[2, "untreated"] = "PD/PR/PD/SD/PR/CR/PD/SD"
    fig = pp.mrecist_heatmap(matrix)
    ax = fig.axes[0]
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    levels = list(pp.MRECIST_COLOURS)
    cells = np.ma.masked_invalid(mesh.get_array()).reshape(3, 3)
    # one colour per single-call cell; mixed (and untested) cells are left to the stacks
    want = np.ma.masked_invalid(
        [
            [levels.index("PD"), levels.index("PD"), np.nan],
            [levels.index("PR"), np.nan, levels.index("CR")],
            [np.nan, levels.index("NA"), levels.index("PD")],
        ]
    )
    assert (cells.mask == want.mask).all() and (cells.filled(-1) == want.filled(-1)).all()
    stacks = next(c for c in ax.collections if isinstance(c, PatchCollection))
    boxes = [path.get_extents() for path in stacks.get_paths()]
    colours = [to_hex(c) for c in stacks.get_facecolors()]
    # M3 x untreated (column 2, row 0): CR 1/8, PR 2/8, SD 2/8, PD 3/8 wide, left to right
    m3 = [(b.x0, b.width, c) for b, c in zip(boxes, colours) if b.y0 == 0 and b.x0 >= 2]
    assert [x for x, _, _ in m3] == pytest.approx([2.0, 2.125, 2.375, 2.625])
    assert [w for _, w, _ in m3] == pytest.approx([1 / 8, 2 / 8, 2 / 8, 3 / 8])
    assert [c for _, _, c in m3] == [
        pp.MRECIST_COLOURS[k].lower() for k in ("CR", "PR", "SD", "PD")
    ]
    # M2 x D1 "SD/PD": half SD, half PD
    m2 = [(b.width, c) for b, c in zip(boxes, colours) if b.y0 == 1 and 1 <= b.x0 < 2]
    assert m2 == [
        (pytest.approx(0.5), pp.MRECIST_COLOURS["SD"].lower()),
        (pytest.approx(0.5), pp.MRECIST_COLOURS["PD"].lower()),
    ]
    labels = sorted(t.get_text() for t in ax.texts)
    assert labels == ["0/0/1/1", "1/2/2/3"]
    assert "counts CR/PR/SD/PD" in ax.get_title()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["untreated", "D1", "D2"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["M1", "M2", "M3"]
    assert _outside(fig) == []
    plt.close(fig)


def test_heatmap_count_labels() -> None:
    assert pp.count_label(pp.cell_counts("PD/PR/PD/SD/PR/CR/PD/SD")) == "1/2/2/3"
    assert pp.count_label(pp.cell_counts("PD/NA/PD")) == "0/0/0/2 +1 NA"


def test_power_one_line_per_inhibition_and_method() -> None:
    """The survival panel holds two methods: each gets its own line (a line through both
    zigzagged between them at every n)."""
    rows = []
    for method, scale in (("log-rank, Schoenfeld 1981", 1.0), ("log-rank on simulated (x)", 2.0)):
        for tgi in (30.0, 60.0):
            for n in (3, 6, 10):
                rows.append(
                    {
                        "endpoint": "survival",
                        "method": method,
                        "tgi_pct": tgi,
                        "n_per_arm": n,
                        "follow_up_days": 28.0,
                        "power": scale * tgi * n / 2000,
                        "power_simulated": np.nan,
                        "power_simulated_se": np.nan,
                    }
                )
    power = pd.DataFrame(rows)
    fig = pwp.power_figure(power, 0.8, 28.0, "t")
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 3]
    assert len(lines) == 4
    for line in lines:
        assert list(line.get_xdata()) == [3, 6, 10]
    assert {ln.get_linestyle() for ln in lines} == {"-", "--"}
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["TGI 30 %", "TGI 60 %"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "log-rank, Schoenfeld 1981",
        "log-rank on simulated",
    ]
    assert _outside(fig) == []
    plt.close(fig)


def test_power_synergy_panel() -> None:
    """The Bliss and HSA contrast powers (no inhibition grid: the pilot's own effect) get a
    panel of their own, a line per contrast and combination."""
    rows = [
        {
            "endpoint": endpoint,
            "method": f"synergy contrast (x): {combo}",
            "tgi_pct": np.nan,
            "n_per_arm": n,
            "follow_up_days": 24.0,
            "power": n / 20,
            "power_simulated": np.nan,
            "power_simulated_se": np.nan,
        }
        for endpoint in ("synergy_bliss", "synergy_hsa")
        for combo in ("A+B", "A+C")
        for n in (3, 6, 10)
    ]
    rows += [{**r, "endpoint": "log_volume", "method": "t", "tgi_pct": 50.0} for r in rows[:3]]
    fig = pwp.power_figure(pd.DataFrame(rows), 0.8, 24.0, "t")
    assert len(fig.axes) == 2
    synergy = fig.axes[1]
    assert synergy.get_title().startswith("Synergy contrasts to day 24")
    labels = [t.get_text() for t in synergy.get_legend().get_texts()]
    assert labels == ["Bliss, A+B", "HSA, A+B", "Bliss, A+C", "HSA, A+C"]
    assert _outside(fig) == []
    plt.close(fig)


def test_nothing_to_draw_is_a_short_note_without_configuration_keys() -> None:
    empty = pd.DataFrame(columns=["arm", "day", "n", "mean_pct_change", "sem"])
    notes = {
        "km": sp.km_figure(None, ARMS, "Vehicle", title="S"),
        "body_weight": tp.body_weight_figure(empty, empty, ARMS, "Vehicle", {}, [15.0], "S"),
        "window": tp.therapeutic_window_figure(
            pd.DataFrame(columns=["arm", "agent", "label", "x", "y", "order"]), ARMS, "Vehicle", "S"
        ),
        "what_if": rmp.what_if_figure(pd.DataFrame(), ARMS, "Vehicle", {}, "S"),
    }
    for name, fig in notes.items():
        texts = [t.get_text() for t in _texts(fig)]
        assert fig.get_figheight() <= 2.0, name  # a strip, not a page-sized blank
        assert "S" in texts and len(texts) == 2, name
        assert not [t for t in texts if "_" in t], name  # no study-file keys
        assert _outside(fig) == [], name
        plt.close(fig)


def test_body_weight_means_only_while_half_the_mice_are_weighed() -> None:
    # four mice; on day 14 one is left: its weight is in the strip, not drawn as the mean
    pct = pd.DataFrame(
        {
            "arm": "Vehicle",
            "mouse_id": ["1", "2", "3", "4"] * 3 + ["1"],
            "day": [0.0] * 4 + [7.0] * 4 + [10.0, 10.0, 10.0, np.nan] + [14.0],
            "pct_change": [0.0] * 4 + [-2.0, -3.0, -1.0, -4.0] + [1.0, 2.0, 0.0, np.nan] + [5.0],
        }
    ).dropna()
    summary = pd.DataFrame(
        {
            "arm": "Vehicle",
            "day": [0.0, 7.0, 10.0, 14.0],
            "n": [4, 4, 3, 1],
            "mean_pct_change": [0.0, -2.5, 1.0, 5.0],
            "sem": [0.0, 0.6, 0.6, np.nan],
        }
    )
    fig = tp.body_weight_figure(summary, pct, ["Vehicle"], "Vehicle", {}, [15.0], "S")
    ax = fig.axes[0]
    mean = next(line for line in ax.get_lines() if line.get_marker() == "o")
    assert list(mean.get_xdata()) == [0.0, 7.0, 10.0]
    assert ax.get_xlim()[1] > 14.0  # the day of the last weighing stays on the axis
    assert "1" in [t.get_text() for t in fig.axes[2].texts]  # and is counted in the strip
    assert "≥ 50%" in ax.get_title()
    plt.close(fig)


def test_unit_waterfall_one_bar_per_curve_lowest_on_top() -> None:
    _, _, response = unit_inputs()
    fig = pp.unit_waterfall_figure(response, "M1")
    ax = fig.axes[0]
    bars = sorted(ax.patches, key=lambda b: b.get_y())  # top (y = 0) first
    assert [b.get_width() for b in bars] == pytest.approx(
        sorted(response["best_response_pct"].clip(upper=300))
    )
    assert [_colour(b) for b in bars] == [
        pp.MRECIST_COLOURS[c].lower() for c in ["PR", "PR", "PD", "PD", "PD", "PD"]
    ]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[:2] == ["D1 (PR)", "D1 (PR)"]
    # the legend says the colour is the mRECIST class (classes present only)
    legend = ax.get_legend()
    assert legend.get_title().get_text().startswith("colour: mRECIST class")
    assert [t.get_text() for t in legend.get_texts()] == ["PR", "PD"]
    plt.close(fig)


def test_unit_curves_control_grey_and_thick() -> None:
    unit, measurements, _ = unit_inputs()
    fig = pp.unit_curves_figure(measurements, [a.name for a in unit.arms], "untreated", "M1")
    lines = fig.axes[0].get_lines()
    assert len(lines) == 6
    assert {to_hex(line.get_color()) for line in lines[:2]} == {CONTROL_COLOUR}
    assert {line.get_linewidth() for line in lines[:2]} == {2.2}
    assert to_hex(lines[2].get_color()) == TREATED_COLOURS[0].lower()
    plt.close(fig)


def test_unit_body_weight_one_line_per_mouse_in_study_arm_order_and_threshold_lines() -> None:
    unit, measurements, _ = unit_inputs()
    # percent_change sorts by arm name: the figure follows the study's arm order instead
    pct = measurements.assign(pct_change=[0.0, -18.0, -4.0] * 6).sort_values(
        ["arm", "mouse_id", "day"]
    )
    assert pct["arm"].iloc[0] == "D1"
    fig = pp.unit_body_weight_figure(pct, ["untreated", "D1", "D2"], "untreated", [15, 20], "M1")
    ax = fig.axes[0]
    mice = [line for line in ax.get_lines() if len(line.get_xdata()) == 3]
    assert len(mice) == 6
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["untreated", "D1", "D2"]
    assert {to_hex(line.get_color()) for line in mice[:2]} == {CONTROL_COLOUR}
    flat = sorted(line.get_ydata()[0] for line in ax.get_lines() if len(line.get_xdata()) == 2)
    assert flat == [-20, -15, 0]  # the loss thresholds and the baseline
    assert {t.get_text() for t in ax.texts} == {"−15 %", "−20 %"}
    assert ax.get_ylim()[0] <= -23
    plt.close(fig)


def test_every_figure_keeps_its_texts_inside(sim: tuple[pd.DataFrame, object]) -> None:
    """No label, legend or title reaches past the figure's edge (a figure saved without a
    tight box, as a panel model's are, would cut it off)."""
    data, study = sim
    result = growth.analyse_study(data, study)
    eff, per_mouse = efficacy_tables()
    unit, measurements, response = unit_inputs()
    matrix, endpoints, ttd = panel_tables()
    drawn = {
        "growth": gp.growth_curves_figure(data, study, ARMS),
        "spaghetti": gp.spaghetti_figure(result, data, study),
        "waterfall": ep.waterfall_figure(response_table(), ARMS, "Vehicle"),
        "fold_change": ep.fold_change_figure(eff, per_mouse, ARMS, "Vehicle"),
        "km": sp.km_figure(_km_endpoints(), ARMS, "Vehicle"),
        "heatmap": pp.mrecist_heatmap(matrix),
        "time_to_double": pp.time_to_double_figure(endpoints, ttd, "untreated"),
        "unit_curves": pp.unit_curves_figure(
            measurements, [a.name for a in unit.arms], "untreated", "M1"
        ),
        "unit_waterfall": pp.unit_waterfall_figure(response, "M1"),
        "shared_waterfall": ep.cross_model_waterfall(shared_responses()),
        "unit_body_weight": pp.unit_body_weight_figure(
            measurements.assign(pct_change=[0.0, -18.0, -4.0, 0.0, 3.0, 1.0] * 3),
            [a.name for a in unit.arms],
            "untreated",
            [15, 20],
            "M1: body weight",
        ),
    }
    assert {name: _outside(fig) for name, fig in drawn.items()} == dict.fromkeys(drawn, [])
    plt.close("all")


# ------------------------------------------------------------------------------ determinism


def _figures(sim: tuple[pd.DataFrame, object]) -> dict[str, Callable[[Path], object]]:
    data, study = sim
    result = growth.analyse_study(data, study)
    eff, per_mouse = efficacy_tables()
    unit, measurements, response = unit_inputs()
    matrix, endpoints, ttd = panel_tables()
    km_endpoints = endpoints.replace({"untreated": "Vehicle", "D1": "DrugA", "D2": "DrugB"})
    formats = ("png", "svg")
    return {
        "growth": lambda d: gp.write_growth_figures(result, data, study, d),
        "waterfall": lambda d: save_figure(
            ep.waterfall_figure(response_table(), ARMS, "Vehicle"), d / "waterfall", formats
        ),
        "fold_change": lambda d: save_figure(
            ep.fold_change_figure(eff, per_mouse, ARMS, "Vehicle"), d / "fold_change", formats
        ),
        "km": lambda d: save_figure(sp.km_figure(km_endpoints, ARMS, "Vehicle"), d / "km", formats),
        "forest": lambda d: smp.forest_plot(summary_table(), d / "forest", formats),
        "shared_waterfall": lambda d: save_figure(
            ep.cross_model_waterfall(shared_responses()), d / "shared_waterfall", formats
        ),
        "panel": lambda d: pp.panel_figures(
            matrix, endpoints, ttd, "untreated", "P", str(d / "heat"), str(d / "ttd"), formats
        ),
        "unit": lambda d: pp.write_unit_figures(unit, measurements, response, str(d), formats),
    }


def test_every_figure_is_byte_identical_when_drawn_again(
    sim: tuple[pd.DataFrame, object], tmp_path: Path
) -> None:
    outputs = []
    for run in ("a", "b"):
        folder = tmp_path / run
        (folder / "figures").mkdir(parents=True)
        for draw in _figures(sim).values():
            draw(folder)
        outputs.append({p.relative_to(folder): p.read_bytes() for p in folder.rglob("*.*")})
    assert len(outputs[0]) == 2 * 11  # 11 figures, png and svg
    assert outputs[0] == outputs[1]
    assert plt.get_fignums() == []


def test_drawing_changes_no_process_wide_setting(
    sim: tuple[pd.DataFrame, object], tmp_path: Path
) -> None:
    before = dict(plt.rcParams)
    (tmp_path / "figures").mkdir()
    for draw in _figures(sim).values():
        draw(tmp_path)
    after = dict(plt.rcParams)
    assert {k for k in before if before[k] != after[k]} == set()


def test_arm_means_stop_where_a_large_tumours_exit_makes_them_fall():
    """Issue 29 item 4: the mean of an arm whose largest tumour left at the endpoint would fall
    although no tumour shrank; it is drawn to the exit and the exit is marked."""
    from xenoflow.plots.growth import exits_of, mean_stop_day

    def arm(rows):
        return pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "volume_mm3"])

    # mouse 1 grows to 2000 and leaves after day 14; the mean of the rest on day 21 is lower
    data = arm(
        [("A", "1", d, v) for d, v in [(0, 100), (7, 600), (14, 2000)]]
        + [("A", m, d, v) for m in "23" for d, v in [(0, 100), (7, 200), (14, 400), (21, 500)]]
    )
    every_day = data.groupby("day")["volume_mm3"].agg(mean="mean").reset_index()
    assert exits_of(data)[["mouse_id", "day"]].values.tolist() == [["1", 14]]
    assert mean_stop_day(data, every_day) == 14.0
    # a typical tumour that dies early (toxicity) while the mean keeps rising: drawn to the end
    early = arm(
        [("A", "1", d, v) for d, v in [(0, 100), (3, 110)]]
        + [("A", m, d, v) for m in "23" for d, v in [(0, 100), (3, 100), (7, 200), (14, 400)]]
    )
    days = early.groupby("day")["volume_mm3"].agg(mean="mean").reset_index()
    assert mean_stop_day(early, days) is None


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ((150, 900), ["10²", "10³", "2×10²", "3×10²", "4×10²", "6×10²"]),
        ((5, 5e4), ["10⁰", "10¹", "10²", "10³", "10⁴", "10⁵"]),
        ((1e-3, 1e2), ["10⁻³", "10⁻²", "10⁻¹", "10⁰", "10¹", "10²"]),
    ],
)
def test_log_axes_label_the_ticks_matplotlib_labels_without_mathtext(limits, expected):
    """plots.style.log_scale: the ticks matplotlib's log axis labels (minor ones on a short
    range), as 10³ and 2×10² in Unicode superscripts: mathtext re-parses each label for each
    renderer (issue 31)."""
    from xenoflow.plots.style import log_scale

    fig, (ours, default) = plt.subplots(1, 2)
    log_scale(ours)
    default.set_yscale("log")
    for ax in (ours, default):
        ax.set_ylim(*limits)
    fig.canvas.draw()

    def labels(ax):
        return [t.get_text() for t in ax.yaxis.get_ticklabels(which="both") if t.get_text()]

    plt.close(fig)
    assert set(expected) <= set(labels(ours))
    assert not any("$" in label for label in labels(ours))
    assert len(labels(default)) == len(labels(ours))  # the same ticks labelled
    assert all(label.startswith("$") for label in labels(default))

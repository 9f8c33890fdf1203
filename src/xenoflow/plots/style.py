"""Shared figure conventions: one arm palette per study, deterministic files.

The control arm is always dark grey and treated arms take colourblind-safe colours in the order
the study file lists them, so an arm has the same colour in every figure of a study. Figures are
saved with fixed metadata (no creation date, fixed SVG ids and hash salt) so reruns give
byte-identical files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.artist import Artist  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.ticker import LogFormatterSciNotation  # noqa: E402
from matplotlib.transforms import Bbox, TransformedBbox  # noqa: E402

from ..io import atomic_path  # noqa: E402
from .notes import NOTE_PREFIX  # noqa: E402

CONTROL_COLOUR = "#4d4d4d"
# Okabe-Ito, without black (control) and yellow (poor contrast on white).
TREATED_COLOURS = [
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#E69F00",
    "#000080",
    "#8B4513",
]

plt.rcParams.update(
    {
        "svg.hashsalt": "xenoflow",
        "svg.fonttype": "none",
        "figure.dpi": 100,
        "savefig.dpi": 150,
        # Titles at the top of their axes, where matplotlib's automatic placement puts them
        # when no tick label is above the axes (none of xenoflow's figures has one). The
        # automatic placement measures every y tick label at each draw to find the axis's
        # offset text: ~15 % of the time to draw and save a figure, for the same pixels.
        "axes.titley": 1.0,
    }
)


_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_MATHTEXT_LABEL = re.compile(r"\$\\mathdefault\{(?P<inner>[^$]*)\}\$")
_EXPONENT = re.compile(r"\^\{(?P<exponent>-?\d+)\}")


class PlainLogFormatter(LogFormatterSciNotation):
    """matplotlib's log-axis tick labels (``LogFormatterSciNotation``: the same ticks
    labelled, 10³ and 2×10² as there) written with Unicode superscripts instead of mathtext.

    Why: every renderer (each figure's layout pass, PNG and SVG) parses each mathtext label
    anew with pyparsing, ~8 ms a label, ~10 % of the time to draw and save the study
    figures. A label this class cannot rewrite stays mathtext."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        label = str(super().__call__(x, pos))
        match = _MATHTEXT_LABEL.fullmatch(label)
        if match is None:
            return label
        inner = match["inner"].replace("\\times", "×")
        plain = _EXPONENT.sub(lambda m: m["exponent"].translate(_SUPERSCRIPTS), inner)
        return label if any(c in plain for c in "\\^{}$") else plain


def log_scale(ax: Axes, which: str = "y") -> None:
    """Put the ``which`` axis of ``ax`` on a base-10 log scale with
    :class:`PlainLogFormatter` labels (major ticks; minor ticks labelled as matplotlib labels
    them on a short range)."""
    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    axis.set_major_formatter(PlainLogFormatter(10))
    axis.set_minor_formatter(PlainLogFormatter(10, labelOnlyBase=False))


def arm_palette(arms: Sequence[str], control: str) -> dict[str, str]:
    """Colour per arm: control grey, treated arms in listed order."""
    palette = {control: CONTROL_COLOUR}
    treated = [a for a in arms if a != control]
    for i, arm in enumerate(treated):
        palette[arm] = TREATED_COLOURS[i % len(TREATED_COLOURS)]
    return palette


def note_figure(title: str, text: str) -> plt.Figure:
    """A figure that only says why there is nothing to draw: a short strip with the title and
    the note, not a page-sized blank (as a report shows it)."""
    fig, ax = plt.subplots(figsize=(8.0, 1.6))
    ax.set_axis_off()
    ax.text(0.5, 0.45, text, ha="center", va="center", fontsize=10, color="0.25")
    if title:
        ax.set_title(title, fontsize=10)
    fig.set_label(NOTE_PREFIX + text)  # saved in the PNG: a report lists it instead of showing it
    return fig


#: Adds an artist to a figure laid out for a renderer (``xenoflow.figures.mark_synthetic``)
Mark = Callable[[plt.Figure, Any], Artist]


def save_figure(
    fig: plt.Figure,
    path_stem: str | Path,
    formats: Sequence[str] = ("png", "svg"),
    tight: bool = True,
    dpi: float | None = None,
    mark: Mark | None = None,
) -> list[Path]:
    """Save ``fig`` as ``<stem>.<fmt>`` for each format, atomically, without dates; close it.

    ``tight=False`` keeps the figure's own layout (one draw less: panels draw hundreds);
    ``dpi`` overrides ``savefig.dpi`` for raster formats. With several formats (or a
    ``mark``) the tight bounding box is measured once (:func:`tight_bbox`) instead of once
    per format; ``mark`` adds its artist in that layout."""
    stem = Path(path_stem)
    written = []
    bbox: Any = "tight" if tight else None
    if mark is not None or (tight and len(formats) > 1):
        measured = tight_bbox(fig, dpi, mark)  # places the mark even when the box is not used
        bbox = measured if tight else None
    for fmt in formats:
        target = stem.with_suffix(f".{fmt}")
        label = str(fig.get_label())
        note = label if label.startswith(NOTE_PREFIX) else None
        metadata = {
            "png": {"Software": None, **({"Description": note} if note else {})},
            "svg": {"Date": None, "Creator": None},
            "pdf": {"CreationDate": None, "ModDate": None, "Producer": None},
        }[fmt]
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=fmt, metadata=metadata, bbox_inches=bbox, dpi=dpi)
        written.append(target)
    plt.close(fig)
    return written


def tight_bbox(fig: plt.Figure, dpi: float | None = None, mark: Mark | None = None) -> Any:
    """The area ``savefig(bbox_inches="tight")`` keeps (inches: every artist's extent plus
    ``savefig.pad_inches``), measured once with the Agg renderer at the raster dpi, as savefig
    measures it for a PNG; each format's savefig would lay the figure out again to measure it.

    ``mark`` adds its artist in this layout; the box is then the union of the figure's and
    the artist's, as a new layout would measure it (a figure text moves nothing else)."""
    figure_dpi = fig.dpi
    fig.dpi = dpi or plt.rcParams["savefig.dpi"]
    try:
        # pyplot figures have the Agg canvas (this module selects the backend)
        canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        renderer = canvas.get_renderer()
        fig.draw_without_rendering()
        bbox = fig.get_tightbbox(renderer)
        if mark is not None:
            added = mark(fig, renderer).get_tightbbox(renderer)
            if added is not None:
                inches = TransformedBbox(added, fig.dpi_scale_trans.inverted())
                bbox = Bbox.union([bbox, inches])
    finally:
        fig.dpi = figure_dpi
    return bbox.padded(plt.rcParams["savefig.pad_inches"])

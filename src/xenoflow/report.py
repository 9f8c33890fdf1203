"""Self-contained HTML reports: one per study (``report.html``) and the run's front page
(``index.html``).

Rendered from Jinja2 templates (``xenoflow/templates``) with autoescaping; figures are embedded
as PNG data URIs, so a report is one file that opens offline, can be mailed, and prints to PDF
from a browser (print styles keep figures and tables whole on a page). The findings are the
summary's sentences (:func:`xenoflow.summary.study_summary`); captions and method texts are
the registry's (:mod:`xenoflow.tables`), written in reStructuredText for the Snakemake report
and rendered here with docutils, as Snakemake renders them. Numbers: 3 significant digits for
estimates, 2 for interval bounds and p-values. Nothing time-dependent is written, so a rerun
gives the same bytes.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd

from . import summary
from . import tables as registry
from .config import Study, display_unit
from .crossmodel import shared_arms
from .plots.notes import png_note
from .summary.answer import answer_section
from .summary.efficacy import cured_arms
from .summary.text import isnum, value_of

if TYPE_CHECKING:  # for the annotation only
    from .provenance import StudyProvenance

Tables = Mapping[str, pd.DataFrame]


# --------------------------------------------------------------------------------- formatting


def sig(value: Any, digits: int = 3) -> str:
    """A number with ``digits`` significant digits, thousands not grouped; '' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return ""
    if isinstance(value, str):
        return value
    x = float(value)
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    decimals = max(digits - 1 - math.floor(math.log10(abs(x))), 0)
    return f"{round(x, decimals):.{decimals}f}"


def p_text(value: Any) -> str:
    """A p-value with 2 significant digits, ``< 0.001`` below 0.001."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return "<\u00a00.001" if float(value) < 0.001 else sig(value, 2)


#: What a :class:`Cell`'s number is followed by when its ``caveat`` column is True.
CAVEATS = {"tumour_free_lead": "log scale, rests on the detection limit"}


@dataclass(frozen=True)
class Cell:
    """A report column: a table column, optionally with its interval (``low``, ``high``);
    ``label`` '' = the registry's header of the column (:attr:`xenoflow.tables.Column.header`).
    ``of``: a count's denominator column ('5 of 6'); ``caveat``: a True/False column of the
    row, when True the number is followed by :data:`CAVEATS` of it."""

    label: str
    column: str
    low: str = ""
    high: str = ""
    kind: str = "number"  # number | p | text | int | day | hr
    of: str = ""
    caveat: str = ""

    def header(self, spec: registry.Table | None = None) -> str:
        """The header a reader sees: ``label``, else the registry's."""
        if self.label or spec is None:
            return self.label
        try:
            return spec.column(self.column).header
        except KeyError:
            return self.column

    def render(self, row: Mapping[str, Any]) -> str:
        text = self._render(row)
        if text and self.caveat and str(row.get(self.caveat)).lower() == "true":
            text += f"\u00a0({CAVEATS[self.caveat]})"
        return text

    def _render(self, row: Mapping[str, Any]) -> str:
        value = row.get(self.column)
        if self.of:
            total = row.get(self.of)
            if value is None or total is None or not (isnum(value) and isnum(total)):
                return ""
            return f"{int(value)} of {int(total)}"
        if self.kind == "hr" and value_of(row, "hr_flag") and sig(row.get("hr_firth")):
            # no finite Cox HR (separation): the Firth-penalised one, labelled
            firth = Cell(self.label, "hr_firth", "hr_firth_ci_low", "hr_firth_ci_high")
            return firth.render(row) + "\u00a0(Firth-penalised)"
        if self.kind == "p":
            return p_text(value)
        if self.kind == "text":
            text = "" if value is None or value != value else str(value)
            # the TSVs keep the ASCII dose unit (uCi); a reader sees µCi, as in the figures
            if self.column.endswith("unit"):
                return display_unit(text)
            return registry.value_label(text)
        if self.kind == "int":
            return "" if value is None or value != value else f"{int(value)}"
        if self.kind == "day":
            return "" if value is None or value != value else f"{float(value):g}"
        number = float(value) if isinstance(value, (int, float)) else math.nan
        whole = math.isfinite(number) and number.is_integer() and abs(number) < 1e6
        text = f"{int(number)}" if whole else sig(value)  # no '7.00'
        low, high = row.get(self.low), row.get(self.high)
        if text and self.low and sig(low) and sig(high):
            text += f"\u00a0[{sig(low, 2)},\u00a0{sig(high, 2)}]"
        return text


@dataclass(frozen=True)
class KeyTable:
    """One table of the report: which registry table, which rows and columns."""

    name: str
    title: str
    cells: tuple[Cell, ...]
    reference_day_only: bool = False
    #: which rows (and columns) a reader needs (as they are when None), given the study and
    #: its tables
    select: Callable[[pd.DataFrame, Tables, Study], pd.DataFrame] | None = None
    #: a sentence under the table, in words (what it is not, when another table looks alike)
    note: str = ""


def design_headline(sample_size: pd.DataFrame, tables: Tables) -> pd.DataFrame:
    """The sample sizes at the follow-up day the summary's design sentence quotes
    (:func:`xenoflow.summary.headline_day`); the whole grid is in ``sample_size.tsv``."""
    rows = sample_size[sample_size["follow_up_days"].notna()]
    if rows.empty:
        return sample_size
    eff = tables.get("efficacy")
    ref = [] if eff is None else eff.loc[eff["is_reference_day"].astype(bool), "day"].tolist()
    day = summary.headline_day(rows["follow_up_days"].unique(), ref[0] if ref else float("nan"))
    return rows[rows["follow_up_days"] == day]


def with_verdict_p(growth_model: pd.DataFrame, tables: Tables, study: Study) -> pd.DataFrame:
    """``growth_model`` with the p-value each arm's verdict follows (``verdict_p``) and its
    test and adjustment (``verdict_test``): the exponential finding's
    (:func:`xenoflow.summary.exponential_findings`), as the findings above the table state it
    (the Wald and unadjusted p-values are in growth_model.tsv and growth_contrasts.tsv)."""
    findings = summary.exponential_findings(study, tables)
    found = [findings.get(str(a)) for a in growth_model["arm"]]
    cured = cured_arms(study, tables)
    return growth_model.assign(
        verdict_p=[None if f is None else f.p for f in found],
        verdict_test=[None if f is None else f.p_method for f in found],
        # most of the arm tumour-free on the reference day: its rate rests on the detection
        # limit, and the findings lead with the count and the rank test (issue 30)
        tumour_free_lead=[str(a) in cured for a in growth_model["arm"]],
    )


def synergy_rows(synergy: pd.DataFrame, tables: Tables, study: Study) -> pd.DataFrame:
    """One row per combination, method, basis and day: a mixed-model score's Wald z and Wald
    t p-values side by side (``p_z``, ``p_t``; the interval is the z test's), where
    ``synergy.tsv`` has a row per test; other tests' p stays in ``p_value``."""
    keys = ["combination", "method", "basis", "day", "statistic"]
    method = synergy["p_method"].fillna("").astype(str)
    is_z, is_t = method.str.startswith("Wald z"), method.str.startswith("Wald t")
    t_rows = synergy.loc[is_t, [*keys, "p_value", "p_method"]].rename(
        columns={"p_value": "p_t", "p_method": "t_method"}
    )
    z_rows = synergy[is_z].reset_index().merge(t_rows, on=keys, how="left")
    merged = z_rows.assign(
        p_z=z_rows["p_value"],
        p_value=float("nan"),
        p_method=[
            f"{z}; {t}" if isinstance(t, str) else z
            for z, t in zip(z_rows["p_method"], z_rows["t_method"])
        ],
    ).set_index("index")
    paired = set(map(tuple, z_rows[keys].astype(str).values))
    lone_t = [tuple(r) not in paired for r in synergy[keys].astype(str).values]
    rest = synergy[~is_z & ~(is_t & ~pd.Series(lone_t, index=synergy.index))]
    out = pd.concat([merged.drop(columns=["t_method"]), rest]).sort_index()
    return out.reset_index(drop=True).assign(
        statistic_words=lambda df: df["statistic"].map(statistic_words)
    )


#: What a synergy score is, in words, by the start of ``synergy.tsv``'s ``statistic`` (its
#: formula is under Methods): two rows of one method, basis and day differ by it.
STATISTIC_WORDS = (
    ("synergy score -est/SE", "z score"),
    ("synergy score -median(delta)/SD(delta)", "z score, simulated"),
    ("TGI_combo - TGI_expected", "TGI difference (%)"),
    ("log(TGI_combo / TGI_expected)", "log TGI ratio"),
    ("s_combo / s_expected", "combination index"),
    ("100 * (s_expected - s_combo)", "synergy score (%)"),
    ("log combination index", "log combination index"),
    ("global log combination index", "global log combination index"),
)


def statistic_words(statistic: Any) -> str:
    """A synergy score's statistic as a reader names it (:data:`STATISTIC_WORDS`)."""
    text = str(statistic) if isinstance(statistic, str) else ""
    return next((words for start, words in STATISTIC_WORDS if text.startswith(start)), text)


KEY_TABLES = (
    KeyTable(
        "efficacy",
        "Efficacy at the reference day",
        (
            Cell("", "arm", kind="text"),
            Cell("", "day", kind="day"),
            Cell("", "n_mice", kind="int"),
            Cell("", "mean_volume_mm3"),
            Cell(
                "",
                "mean_fold_change",
                "mean_fold_change_ci_low",
                "mean_fold_change_ci_high",
            ),
            Cell("", "tc_pct", "tc_ci_low", "tc_ci_high"),
            Cell("", "tgi_pct", "tgi_ci_low", "tgi_ci_high"),
            Cell("", "nci_activity", kind="text"),
        ),
        reference_day_only=True,
    ),
    KeyTable(
        "efficacy",
        "Tumour volume per arm and day",
        (
            Cell("", "arm", kind="text"),
            Cell("", "day", kind="day"),
            Cell("", "n_mice", kind="int"),
            Cell("", "mean_volume_mm3"),
            Cell("", "sem_volume_mm3"),
            Cell("", "median_volume_mm3"),
            Cell("", "geomean_volume_mm3"),
        ),
    ),
    KeyTable(
        "growth_model",
        "Growth rate (linear mixed model on ln volume)",
        (
            Cell("", "arm", kind="text"),
            Cell("", "n_mice", kind="int"),
            Cell("", "growth_rate_per_day", "growth_rate_ci_low", "growth_rate_ci_high"),
            Cell("", "doubling_time_days"),
            Cell(
                "",
                "rate_diff_vs_control",
                "rate_diff_ci_low",
                "rate_diff_ci_high",
                caveat="tumour_free_lead",
            ),
            Cell("p", "verdict_p", kind="p"),
            Cell("Test", "verdict_test", kind="text"),
            Cell("", "rate_based_tc"),
        ),
        select=with_verdict_p,
    ),
    KeyTable(
        "growth_piecewise",
        "Two-phase growth (piecewise mixed model on ln volume)",
        (
            Cell("", "arm", kind="text"),
            Cell("", "breakpoint_day"),
            Cell("", "rate_before", "rate_before_ci_low", "rate_before_ci_high"),
            Cell("", "rate_after", "rate_after_ci_low", "rate_after_ci_high"),
            Cell(
                "",
                "diff_before_vs_control",
                "diff_before_ci_low",
                "diff_before_ci_high",
            ),
            Cell("", "p_before_holm", kind="p"),
            Cell(
                "",
                "diff_after_vs_control",
                "diff_after_ci_low",
                "diff_after_ci_high",
            ),
            Cell("", "p_after_holm", kind="p"),
            Cell(
                "",
                "curve_rate_diff",
                "curve_rate_diff_ci_low",
                "curve_rate_diff_ci_high",
            ),
            Cell("", "p_curve_holm", kind="p"),
        ),
    ),
    KeyTable(
        "per_day_comparisons",
        "Each treated arm against the control, day by day (mixed model on ln volume, Dunnett)",
        (
            Cell("", "arm", kind="text"),
            Cell("", "day", kind="day"),
            Cell("", "n_mice", kind="int"),
            Cell("", "n_mice_reference", kind="int"),
            Cell("", "estimate", "ci_low", "ci_high"),
            Cell("", "se"),
            Cell("", "ratio", "ratio_ci_low", "ratio_ci_high"),
            Cell("", "p_adjusted", kind="p"),
        ),
    ),
    KeyTable(
        "survival",
        "Time to endpoint (Kaplan–Meier)",
        (
            Cell("", "arm", kind="text"),
            Cell("", "n", kind="int"),
            Cell("", "events", kind="int"),
            Cell("", "median_days", "median_ci_low", "median_ci_high"),
            Cell("", "rmst_days"),
            Cell("", "note", kind="text"),
        ),
    ),
    KeyTable(
        "survival_tests",
        "Survival against the control",
        (
            Cell("", "arm", kind="text"),
            Cell("", "reference", kind="text"),
            Cell("", "logrank_p", kind="p"),
            Cell("", "p_holm", kind="p"),
            Cell("", "hr", "hr_ci_low", "hr_ci_high", kind="hr"),
            Cell("", "hr_flag", kind="text"),
        ),
    ),
    KeyTable(
        "event_free_survival_tests",
        "Event-free survival (tumour endpoint or toxic death)",
        (
            Cell("", "arm", kind="text"),
            Cell("", "reference", kind="text"),
            Cell("", "events_arm", kind="int"),
            Cell("", "logrank_p", kind="p"),
            Cell("", "hr", "hr_ci_low", "hr_ci_high", kind="hr"),
        ),
    ),
    KeyTable(
        "response_summary",
        "Best response (mRECIST)",
        (
            Cell("", "arm", kind="text"),
            Cell("", "n_mice", kind="int"),
            Cell("", "n_cr", kind="int"),
            Cell("", "n_pr", kind="int"),
            Cell("", "n_sd", kind="int"),
            Cell("", "n_pd", kind="int"),
            Cell(
                "",
                "response_rate_pct",
                "response_rate_ci_low",
                "response_rate_ci_high",
            ),
        ),
    ),
    KeyTable(
        "synergy_model",
        "Synergy model: growth rate per arm (ln RTV per unit time)",
        (
            Cell("", "combination", kind="text"),
            Cell("", "arm", kind="text"),
            Cell("", "role", kind="text"),
            Cell("", "n_mice", kind="int"),
            Cell("", "growth_rate", "ci_low", "ci_high"),
            Cell("", "variance_model", kind="text"),
        ),
        note=(
            "These are the synergy model's growth rates, not the growth-rate table's: "
            "SynergyLMM fits ln relative tumour volume (each mouse's volume over its volume on "
            "the synergy start day) through the origin, with no intercept, on the mice and days "
            "the synergy analysis keeps, while the growth-rate table's model fits ln volume with "
            "an intercept per mouse up to the end of the control's follow-up. The growth "
            "verdicts use that table; the synergy scores use this one."
        ),
    ),
    KeyTable(
        "synergy",
        "Combination synergy (data up to each day)",
        (
            Cell("", "combination", kind="text"),
            Cell("", "method", kind="text"),
            Cell("", "basis", kind="text"),
            Cell("", "day", kind="day"),
            Cell("Statistic", "statistic_words", kind="text"),
            Cell("", "score", "ci_low", "ci_high"),
            Cell("p, Wald z", "p_z", kind="p"),
            Cell("p, Wald t", "p_t", kind="p"),
            Cell("p, other test", "p_value", kind="p"),
            Cell("", "p_method", kind="text"),
            Cell("", "power"),
        ),
        select=synergy_rows,
    ),
    KeyTable(
        "sample_size",
        "Design of a next study (this study as the pilot)",
        (
            Cell("", "endpoint", kind="text"),
            Cell("", "method", kind="text"),
            Cell("", "tgi_pct", kind="day"),
            Cell("", "follow_up_days", kind="day"),
            Cell("", "n_needed", kind="int"),
            Cell("", "note", kind="text"),
        ),
        select=lambda df, tables, study: design_headline(df, tables),
    ),
)
#: Tables shown whole when a study has them, with their titles (the registry's ``in_report``).
OPTIONAL_TABLES = {t.name: t.in_report for t in registry.TABLES if t.in_report}
#: Titles of the whole tables: those above, and the tumour-free mice by visit (shown for the
#: arms with a tumour-free mouse).
TITLES = {**OPTIONAL_TABLES, "tumour_free_by_day": "Tumour-free mice by visit"}
#: a whole table with at most this many rows and more columns than rows is shown transposed
#: (a row per column, a column per arm): no sideways scrolling, no column a word wide
TRANSPOSE_ROWS = 4
#: Columns of a whole table that are method, not finding (formulas in code notation): in the
#: TSV and the workbook, and described under Methods by the table's caption.
METHOD_COLUMNS = {
    "regimen_model": ("model", "random_effects"),
    "regimen_model_selection": ("model",),
}
#: The figures of a study report, in order, with their names for a reader (the registry's
#: ``in_report``).
STUDY_FIGURES = {
    f.name: f.in_report for f in registry.FIGURES if f.in_report and f.scope == "study"
}


# ------------------------------------------------------------------------------- the blocks


def rst_html(text: str, study_id: str = "") -> str:
    """A registry caption (reStructuredText with the Snakemake report's Jinja placeholders) as
    an HTML fragment (docutils, as the Snakemake report renders captions)."""
    from docutils.core import publish_parts

    text = re.sub(r"\{\{\s*snakemake\.wildcards\.(study|panel)\s*\}\}", study_id, text)
    parts = publish_parts(
        text, writer="html", settings_overrides={"report_level": 5, "halt_level": 5}
    )
    return str(parts["body"])


def _shown(key: KeyTable, tables: Tables, study: Study) -> pd.DataFrame:
    """The rows (and columns) of the key table a reader sees."""
    df = tables[key.name]
    if key.reference_day_only and "is_reference_day" in df:
        df = df[df["is_reference_day"].astype(bool)]
    return df if key.select is None else key.select(df, tables, study)


def table_block(key: KeyTable, tables: Tables, study: Study) -> dict[str, Any]:
    """A key table as (text, CSS class) cells: text wraps, numbers do not. Headers are the
    registry's (:attr:`xenoflow.tables.Column.header`) unless the key table names one."""
    spec, df = registry.table(key.name), _shown(key, tables, study)
    present = [c for c in key.cells if c.column in df]
    rows = summary.records(df)
    return {
        "title": key.title,
        "file": spec.path,
        "header": [c.header(spec) for c in present],
        "classes": ["text" if c.kind == "text" else "" for c in present],
        "rows": [[(text, _css(c, text)) for c in present for text in (c.render(r),)] for r in rows],
        "intervals": any(c.low and any(c.render(r).endswith("]") for r in rows) for c in present),
        "transposed": False,
        "caption": rst_html(spec.caption, study.study_id),
        "note": key.note,
    }


def _css(cell: Cell, text: str) -> str:
    """A cell's CSS class: text wraps, numbers do not (a hazard ratio's label, "(Firth-
    penalised)", may go below it); a long or middling text keeps a readable width (the table
    scrolls sideways rather than stacking it a word per line)."""
    if cell.kind == "hr" and "(" in text:  # a labelled estimate: its label may go below it
        return "wrap"
    if cell.kind != "text":
        return ""
    return "text long" if len(text) > 60 else "text mid" if len(text) > 24 else "text"


#: columns of a whole table that are an estimate's interval bounds: suffix -> stem suffixes
_BOUNDS = ("_ci_low", "_ci_high")


def _interval_of(column: str, columns: Sequence[str]) -> tuple[str, str]:
    """The (low, high) columns of an estimate ``column`` in ``columns``, or ('', '')."""
    stems = [column, column.removesuffix("_pct"), column.removesuffix("_vs_control")]
    if column == "estimate":
        stems.append("")
    for stem in stems:
        low, high = (f"{stem}{s}" if stem else s.lstrip("_") for s in _BOUNDS)
        if low in columns and high in columns:
            return low, high
    return "", ""


def _kind(spec: registry.Table, column: str) -> str:
    dtype = spec.dtypes.get(column) or (spec.extra.dtype if spec.extra else "float")
    if dtype in ("str", "bool"):
        return "text"
    if dtype == "int":
        return "int"
    if column == "day" or column.endswith("_day"):
        return "day"
    return "p" if column.startswith("p_") or column.endswith("_p") else "number"


def with_tumour_free_mice(by_day: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``tumour_free_by_day`` of the arms with a tumour-free mouse on some day
    (complete regressions), from the first such day: the report shows those, not the rows of
    zeros of the other arms (all are in the table file and the workbook)."""
    free = by_day[by_day["n_tumour_free"] > 0]
    first = free.groupby("arm", sort=False)["day"].min()
    keep = by_day["arm"].isin(first.index)
    keep &= by_day["day"].to_numpy(float) >= by_day["arm"].map(first).to_numpy(float)
    return by_day[keep].reset_index(drop=True)


def whole_table_block(name: str, df: pd.DataFrame, study: Study) -> dict[str, Any]:
    """A table shown whole: every column under its registry header, an estimate's interval
    bounds in brackets after it (not as columns of their own), counts as integers."""
    spec = registry.table(name)
    columns = list(df.columns)
    df = df.drop(columns=[c for c in METHOD_COLUMNS.get(name, ()) if c in columns])
    cells, bounds = [], set()
    for c in df.columns:
        low, high = _interval_of(c, columns)
        bounds |= {low, high}
        cells.append(Cell("", c, low, high, kind=_kind(spec, c)))
    cells = [c for c in cells if c.column not in bounds]
    key = KeyTable(name, TITLES.get(name, name), tuple(cells))
    block = table_block(key, {name: df}, study)
    return transposed(block) if len(block["rows"]) <= TRANSPOSE_ROWS else block


def transposed(block: dict[str, Any]) -> dict[str, Any]:
    """A table block with a row per column (its header first) and a column per row (headed
    by the row's first cell, the arm or model); the first column's header is blank and a
    column without a value is left out."""
    rows, header = block["rows"], block["header"]
    # a column per arm: no text needs a minimum width of its own there
    plain = [[(text, "text" if css.startswith("text") else css) for text, css in r] for r in rows]
    columns = [[(h, "text")] + [row[j] for row in plain] for j, h in enumerate(header)]
    return {
        **block,
        "header": ["", *(text for text, _ in (row[0] for row in rows))],
        "classes": ["text"] + ["" for _ in rows],
        # a column empty in every row (no body weights, say) is left out, not a blank row
        "rows": [c for c in columns[1:] if any(text for text, _ in c[1:])],
        "transposed": True,
    }


def figure_block(name: str, png: bytes, study_id: str) -> dict[str, Any]:
    spec = registry.output(name)
    return {
        "title": spec.section or name,
        "file": f"{spec.path}.png",
        "src": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        "caption": rst_html(spec.caption, study_id),
    }


def not_drawn(figures: Mapping[str, bytes]) -> list[str]:
    """'Survival (Kaplan–Meier curves): no survival endpoint …' for each figure with nothing to draw
    (:func:`xenoflow.plots.style.png_note`): named once in a list, not shown as a card with a
    full caption."""
    out = []
    for name, words in STUDY_FIGURES.items():
        note = png_note(figures[name]) if name in figures else ""
        if note:
            out.append(f"{registry.output(name).section or name} ({words}): {note}")
    return out


def exclusion_rows(tables: Tables) -> list[list[str]]:
    rows = []
    for name in sorted(n for n in tables if n.startswith("exclusions")):
        for r in summary.records(tables[name]):
            day = sig(r.get("day")) if r.get("day") == r.get("day") else "whole mouse"
            rows.append([str(r["stage"]), str(r["arm"]), str(r["mouse_id"]), day, str(r["reason"])])
    return rows


# ------------------------------------------------------------------------------ the documents


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("xenoflow", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def study_report(
    study: Study,
    tables: Tables,
    figures: Mapping[str, bytes],
    provenance: StudyProvenance,
) -> str:
    """``report.html`` of one study: design, findings, figures, key tables, exclusions,
    methods and provenance. ``figures``: registry figure name -> PNG bytes; ``provenance``:
    ``versions`` and ``inputs`` (:func:`xenoflow.provenance.study_inputs`)."""
    # a synthetic study is said so once, by the banner under the title
    title, sections = summary.study_summary(study, tables, mark_synthetic=False)
    sid = study.study_id
    key = [table_block(k, tables, study) for k in KEY_TABLES if k.name in tables]
    key += [whole_table_block(n, tables[n], study) for n in OPTIONAL_TABLES if n in tables]
    if "tumour_free_by_day" in tables:
        free = with_tumour_free_mice(tables["tumour_free_by_day"])
        key.append(whole_table_block("tumour_free_by_day", free, study))
    return (
        _environment()
        .get_template("study_report.html.j2")
        .render(
            title=title,
            study=study,
            sections=sections,
            figures=[
                figure_block(n, figures[n], sid)
                for n in STUDY_FIGURES
                if n in figures and not png_note(figures[n])
            ],
            not_drawn=not_drawn(figures),
            tables=[t for t in key if t["rows"]],
            exclusions=exclusion_rows(tables),
            provenance=provenance,
        )
    )


#: The index's findings per arm: the verdicts (the tumour-free count and rank test, which lead
#: where most of an arm is tumour-free, the growth difference and its p, hazard ratio and
#: log-rank p); the efficacy numbers at the reference day (:data:`INDEX_EFFICACY_CELLS`) and
#: the days and methods in words (:data:`INDEX_METHOD_CELLS`) are tables of their own, so each
#: reads at 1280 px without sideways scrolling.
INDEX_CELLS = (
    Cell("", "study_id", kind="text"),
    Cell("", "arm", kind="text"),
    Cell("", "n_tumour_free", of="n_mice_measured"),
    Cell("", "rank_p", kind="p"),
    Cell(
        "",
        "rate_diff_vs_control",
        "rate_diff_ci_low",
        "rate_diff_ci_high",
        caveat="tumour_free_lead",
    ),
    Cell("", "rate_diff_p", kind="p"),
    Cell("", "hr", "hr_ci_low", "hr_ci_high", kind="hr"),
    Cell("", "logrank_p", kind="p"),
)
#: The index's efficacy numbers per arm at each study's reference day.
INDEX_EFFICACY_CELLS = (
    Cell("", "study_id", kind="text"),
    Cell("", "arm", kind="text"),
    Cell(
        "",
        "fold_change_reduction_pct",
        "fold_change_reduction_ci_low",
        "fold_change_reduction_ci_high",
    ),
    Cell("", "tc_pct"),
    Cell("", "tgi_pct"),
    Cell("", "median_ratio", "median_ratio_ci_low", "median_ratio_ci_high"),
)
#: How each finding of :data:`INDEX_CELLS` was computed: its control, days and tests in words.
INDEX_METHOD_CELLS = (
    Cell("", "study_id", kind="text"),
    Cell("", "arm", kind="text"),
    Cell("", "control", kind="text"),
    Cell("", "baseline_day", kind="day"),
    Cell("", "reference_day", kind="day"),
    Cell("", "rate_diff_metric", kind="text"),
    Cell("", "rate_diff_p_method", kind="text"),
    Cell("", "logrank_p_method", kind="text"),
)


def shared_treatments(
    studies: Mapping[str, Study], tables: Mapping[str, Tables]
) -> list[dict[str, Any]]:
    """Treatments given in more than one study of the run
    (:func:`xenoflow.crossmodel.shared_arms`), as Xeva compares a drug across models: per
    treatment and study, the model, the mRECIST counts of evaluable mice, %T/C on the study's
    reference day and, for a combination, the mixed model's Bliss verdict (each from the
    study's own tables, so it reads as that study's report does)."""
    return [
        _treatment_row(studies[sid], tables[sid], arm)
        for pairs in shared_arms(studies, tables).values()
        for sid, arm in pairs
    ]


def _treatment_row(study: Study, t: Tables, arm: str) -> dict[str, Any]:
    """One study's row of :func:`shared_treatments`."""
    resp = {r["arm"]: r for r in summary.records(t.get("response_summary", pd.DataFrame()))}
    r = resp.get(arm)
    mrecist = (
        f"{int(r['n_cr'])} CR, {int(r['n_pr'])} PR, {int(r['n_sd'])} SD, {int(r['n_pd'])} PD "
        f"of {int(r['n_mice'])}"
        if r is not None
        else ""
    )
    eff = t.get("efficacy")
    ref = (
        eff[eff["is_reference_day"].astype(bool) & (eff["arm"] == arm)]
        if eff is not None and "is_reference_day" in eff
        else pd.DataFrame()
    )
    tc = (
        f"{sig(ref['tc_pct'].iloc[0])}% (day {float(ref['day'].iloc[0]):g})"
        if len(ref) and pd.notna(ref["tc_pct"].iloc[0])
        else ""
    )
    synergy = t.get("synergy")
    bliss = ""
    if synergy is not None and len(synergy) and arm in set(synergy["combination"]):
        rows = synergy[
            (synergy["combination"] == arm)
            & (synergy["basis"] == "lmm")
            & (synergy["method"] == "bliss")
            & synergy["p_method"].astype(str).str.startswith("Wald z")
        ]
        if len(rows):
            last = rows[rows["day"] == rows["day"].max()].iloc[0]
            p = p_text(last["p_value"])
            p = p if p.startswith("<") else f"= {p}"
            bliss = f"score {sig(last['score'])}, p {p} (day {float(last['day']):g})"
    return {
        "treatment": arm,
        "study": study.study_id,
        "model": study.model or "",
        "mrecist": mrecist,
        "tc": tc,
        "bliss": bliss,
    }


def study_answers(
    studies: Mapping[str, Study], tables: Mapping[str, Tables], reports: Sequence[str]
) -> list[dict[str, Any]]:
    """One row per study with tables (not a panel): its report's opening answer
    (:func:`xenoflow.summary.answer.answer_section`, the same sentences), the study day of its
    baseline and of its reference day (every day on the pages is a study day), and the link to
    its report when it exists."""
    out = []
    for sid, study in studies.items():
        if sid not in tables or study.split_by:
            continue
        t = tables[sid]
        section = answer_section(study, t)
        base = summary.baseline_day(study, t)
        eff = t.get("efficacy")
        ref = (
            []
            if eff is None or "is_reference_day" not in eff
            else eff.loc[eff["is_reference_day"].astype(bool), "day"].tolist()
        )
        out.append(
            {
                "id": sid,
                "title": study.title or sid,
                "synthetic": study.synthetic,
                "link": f"{sid}/report.html" if sid in reports else "",
                "baseline": "" if base is None else f"{base:g}",
                "reference": f"{float(ref[0]):g}" if ref else "",
                "answer": [] if section is None else list(section.paragraphs),
            }
        )
    return out


#: The index's words for its findings table (the registry's caption of ``summary.tsv``
#: describes that file's columns by name, for the Snakemake report).
INDEX_CAPTION = (
    "One row per treated arm of every study, each number as that study's report gives it. "
    "The difference vs control is the arm's headline growth finding: the exponential mixed "
    "model's growth-rate difference from the control or, for an arm whose tumours regress "
    "then regrow, the two-phase model's mean difference from the baseline to the reference "
    "day (the growth metric in the table below says which, with its days); its p is the one "
    "the report's verdict follows, adjusted as the growth test below says, and the log-rank p "
    "likewise. The tumour-free mice of those measured on the reference day and the rank test "
    "against the control (Dunn, Holm) come first: where most of an arm is tumour-free they are "
    "its finding, and its log-scale difference, which rests on the detection limit, is marked "
    "so. Where Cox "
    "regression has no finite hazard ratio (complete separation) the Firth-penalised one is "
    "shown, labelled. An empty cell: the quantity does not apply (no survival endpoint, say) "
    "or could not be estimated; the study's report says why."
)


def _run_figure(name: str, png: bytes | None) -> dict[str, Any] | None:
    """A run figure's card, or None when it is not given or has nothing to draw."""
    return None if png is None or png_note(png) else figure_block(name, png, "")


def index_table(
    cells: Sequence[Cell],
    findings: pd.DataFrame,
    studies: Mapping[str, Study],
    reports: Sequence[str],
) -> dict[str, Any]:
    """The ``cells`` of the index's findings (one row per treated arm of ``summary.tsv``) with
    the registry's headers, each row's study linked to its report and synthetic rows marked."""
    present = [c for c in cells if c.column in findings]
    rows = []
    for r in summary.records(findings):
        study = studies.get(str(r["study_id"]))
        rows.append(
            {
                "cells": [(text, _css(c, text)) for c in present for text in (c.render(r),)],
                "synthetic": bool(study and study.synthetic),
                "link": f"{r['study_id']}/report.html" if r["study_id"] in reports else "",
            }
        )
    header = [
        (c.header(registry.table("summary")), "text" if c.kind == "text" else "") for c in present
    ]
    return {"header": header, "rows": rows}


def index_page(
    studies: Mapping[str, Study],
    findings: pd.DataFrame,
    failed: pd.DataFrame,
    forest_png: bytes | None,
    reports: Sequence[str],
    tables: Mapping[str, Tables] | None = None,
    waterfall_png: bytes | None = None,
) -> str:
    """``index.html``, the front page of a run: one row per study with its report's opening
    answer (:func:`study_answers`, from each study's ``tables``), the treatments given in
    several studies (:func:`shared_treatments`) with their waterfall across models
    (``waterfall_png``; a figure with nothing to draw is named once, not shown), the
    cross-study findings (one row per treated arm, synthetic studies marked), the forest plot,
    a link to each study's report (the ``reports`` that exist, as
    ``<study_id>/report.html``), to the run's Snakemake report (``report.html`` next to the
    index) and the failed studies. Days are study days, with each study's baseline day beside
    them."""
    forest = _run_figure("forest", forest_png)
    return (
        _environment()
        .get_template("index.html.j2")
        .render(
            findings=[
                index_table(cells, findings, studies, reports) | {"title": title}
                for title, cells in (
                    ("", INDEX_CELLS),
                    ("Efficacy at the reference day", INDEX_EFFICACY_CELLS),
                    ("How each finding was computed", INDEX_METHOD_CELLS),
                )
            ],
            studies=[
                {"id": sid, "title": s.title, "synthetic": s.synthetic, "report": sid in reports}
                for sid, s in studies.items()
            ],
            failed=summary.records(failed),
            answers=study_answers(studies, tables or {}, reports),
            shared=shared_treatments(studies, tables or {}),
            forest=forest,
            waterfall=_run_figure("shared_waterfall", waterfall_png),
            waterfall_note="" if waterfall_png is None else png_note(waterfall_png),
            caption=INDEX_CAPTION,
        )
    )

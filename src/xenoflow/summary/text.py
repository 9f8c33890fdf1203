"""Number formatting and the small helpers every sentence uses; sections and their rendering."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..config import display_unit
from ..io import column_values

Tables = Mapping[str, pd.DataFrame]


def fmt(value: object, digits: int = 3) -> str:
    """``digits`` significant digits for prose, trailing zeros kept ("0.100", "0.40"), so every
    estimate shows the same precision; numbers with ``digits`` or more integer digits are
    rounded to a whole number with thousands separators ("2,368"). '–' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v = float(value)  # type: ignore[arg-type]
    if v == 0:
        return "0"
    if abs(v) >= 10 ** (digits - 1):
        return f"{v:,.0f}"
    text = f"{v:#.{digits}g}"
    if "e" in text:  # below 1e-4: positional all the same ("-0.0000303"), as a reader expects
        text = np.format_float_positional(v, precision=digits, unique=False, fractional=False)
    return text.rstrip(".")


def fmt_day(value: object) -> str:
    """A day or a number of days as measured or as a median of measured days ("35", "50.5")."""
    return f"{float(value):g}"  # type: ignore[arg-type]


def article(number: str) -> str:
    """The number with its indefinite article as read aloud: "an 80", "an 11", "a 54"."""
    return f"an {number}" if re.match(r"8|1[18](\D|$)", number) else f"a {number}"


def fmt_p(p: object) -> str:
    """A p-value to 2 significant digits ("p = 0.030"), "p < 0.001" below 0.001."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "p not available"
    p = float(p)  # type: ignore[arg-type]
    return "p < 0.001" if p < 0.001 else f"p = {fmt(p, 2)}"


def fmt_ci(low: object, high: object, digits: int = 2, unit: str = "") -> str:
    """A 95% interval, its bounds to 2 significant digits (estimates get 3). An interval of
    width zero (every mouse, or every bootstrap resample, gives the same value: 8 of 8 tumours
    at 0 mm³) is no confidence interval and is not stated as one: :data:`NO_VARIATION`."""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (low, high)):
        return "95% CI not available"
    a, b = fmt(low, digits), fmt(high, digits)
    if a == b or float(low) == float(high):  # type: ignore[arg-type]
        return NO_VARIATION
    return f"95% CI {a}{unit} to {b}{unit}"


#: what :func:`fmt_ci` says of an interval of width zero
NO_VARIATION = "no variation between the mice, so no interval"


def worded(
    estimate: float, low: object, high: object, positive: str, negative: str
) -> tuple[str, float, float | None, float | None]:
    """An estimate stated by its direction, its interval transformed with it: (word, |estimate|,
    low, high). A reduction of −11 % (95 % CI −106 % to 35 %) reads as an increase of 11 %
    (95 % CI −35 % to 106 %), never with the untransformed interval."""
    lo, hi = (float(v) if isnum(v) else None for v in (low, high))  # type: ignore[arg-type]
    if estimate >= 0:
        return positive, estimate, lo, hi
    return negative, -estimate, None if hi is None else -hi, None if lo is None else -lo


def isnum(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def value_of(row: Mapping[str, Any] | None, key: str) -> Any:
    if row is None:
        return None
    value = row.get(key)
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)


def to_markdown(title: str, sections: Iterable[Section]) -> str:
    out = [f"# {title}", ""]
    for s in sections:
        out += [f"## {s.title}", ""]
        for p in s.paragraphs:
            out += [p, ""]
        out += [f"- {b}" for b in s.bullets]
        if s.bullets:
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def to_html(title: str, sections: Iterable[Section]) -> str:
    esc = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:52em;margin:2em auto;line-height:1.45}"
        "h2{border-bottom:1px solid #ccc}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    for s in sections:
        out.append(f"<h2>{esc(s.title)}</h2>")
        out += [f"<p>{esc(p)}</p>" for p in s.paragraphs]
        if s.bullets:
            out.append("<ul>" + "".join(f"<li>{esc(b)}</li>" for b in s.bullets) + "</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def join_words(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def unit_text(unit: object) -> str:
    return display_unit(str(unit or ""))


def count_words(n: object, thing: str) -> str:
    k = int(float(n))  # type: ignore[arg-type]
    words = {0: "no", 1: "one", 2: "two", 3: "three"}
    return f"{words.get(k, str(k))} {thing}{'' if k == 1 else 's'}"


def first_rows(df: pd.DataFrame, keys: list[str]) -> dict[Any, dict[str, Any]]:
    """The first row of each key (one column: its value; several: a tuple) as a dict."""
    if df.empty:
        return {}
    out: dict[Any, dict[str, Any]] = {}
    for record in records(df):
        key = record[keys[0]] if len(keys) == 1 else tuple(record[k] for k in keys)
        out.setdefault(key, record)
    return out


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``df.to_dict("records")`` (Python scalars), built from whole columns: pandas boxes
    every cell on its own, which made the summaries of panel models slow."""
    columns = [[None if x is pd.NA else x for x in items] for items in column_values(df)]
    return [dict(zip(df.columns, row)) for row in zip(*columns)]

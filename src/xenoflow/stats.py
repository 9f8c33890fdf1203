"""Small statistical helpers shared by several analyses.

The distribution functions below are the special functions that ``scipy.stats`` evaluates for
these distributions (``scipy.stats._continuous_distns``), called directly: importing
``scipy.stats`` costs ~0.7 s per process, and a panel starts ~7 processes. Each one returns
what the named ``scipy.stats`` call returns, bit for bit on the supported arguments (checked in
``tests/test_stats.py`` against scipy.stats itself). ``scipy.special`` (~0.4 s) is imported by
the calls, not with the module, so a job that computes no p-value (ingest, summary, report)
never loads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd


def t_sf(x: Any, df: Any) -> Any:
    """Student t survival function P(T > x) with ``df`` degrees of freedom
    (= ``scipy.stats.t.sf(x, df)`` for finite df > 0: ``special.stdtr(df, -x)``)."""
    from scipy import special

    return special.stdtr(df, np.negative(x))


def norm_ppf(q: Any) -> Any:
    """Standard normal quantile Φ⁻¹(q) (= ``scipy.stats.norm.ppf(q)``: ``special.ndtri``)."""
    from scipy import special

    return special.ndtri(q)


def norm_sf(x: Any) -> Any:
    """Standard normal survival function 1 − Φ(x) (= ``scipy.stats.norm.sf(x)``: Φ(−x))."""
    from scipy import special

    return special.ndtr(np.negative(x))


def chi2_sf(x: Any, df: Any) -> Any:
    """χ² survival function P(X > x) (= ``scipy.stats.chi2.sf(x, df)``: ``special.chdtrc``,
    and 1 for x ≤ 0, the lower end of the support)."""
    from scipy import special

    return special.chdtrc(df, np.maximum(x, 0.0))


def chi2_ppf(q: Any, df: Any) -> Any:
    """χ² quantile (= ``scipy.stats.chi2.ppf(q, df)``: 2·P⁻¹(df/2, q), P the regularised lower
    incomplete gamma function)."""
    from scipy import special

    return 2 * special.gammaincinv(np.divide(df, 2), q)


def beta_ppf(q: Any, a: Any, b: Any) -> Any:
    """Beta(a, b) quantile, the inverse regularised incomplete beta function (=
    ``scipy.stats.beta.ppf(q, a, b)`` for a, b > 0: ``special.betaincinv``, the same Boost
    routine since scipy 1.12, the minimum version; scipy 1.11's differed in the last digits)."""
    from scipy import special

    return special.betaincinv(a, b, q)


def positions(keys: Iterable[Any]) -> dict[Any, list[int]]:
    """Key -> positions of its rows, keys in order of first appearance: one pass over a
    column (or zipped columns) instead of a pandas group or a mask per key, which cost more
    than the statistics on the small tables of panel models."""
    out: dict[Any, list[int]] = {}
    for i, key in enumerate(keys):
        out.setdefault(key, []).append(i)
    return out


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values, as R's ``p.adjust(p, "holm")``.

    With the m non-missing p-values sorted ascending, p_adj(i) = max_{j<=i} min(1, (m − j + 1)·p(j)).
    NaN p-values are ignored (m counts the non-missing ones) and stay NaN.
    Reference: Holm S. (1979) Scand J Stat 6:65–70.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    if ok.size == 0:
        return out
    order = ok[np.argsort(p[ok], kind="mergesort")]
    m = ok.size
    out[order] = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    return out


def mouse_curves(
    data: pd.DataFrame, value: str = "volume_mm3"
) -> Iterator[tuple[Any, Any, np.ndarray, np.ndarray]]:
    """``(arm, mouse_id, days, values)`` of each mouse, mice in order of first appearance and
    days ascending (stable for repeated days): one sort of the whole table, then a slice per
    mouse, which is much cheaper than a pandas group per mouse on panels of thousands of curves.
    """
    mouse = data.groupby(["arm", "mouse_id"], sort=False).ngroup().to_numpy()
    order = np.lexsort((data["day"].to_numpy(float), mouse))
    mouse = mouse[order]
    days, values = (data[c].to_numpy(float)[order] for c in ("day", value))
    arms, mice = (data[c].to_numpy(object)[order] for c in ("arm", "mouse_id"))
    starts = np.flatnonzero(np.r_[True, mouse[1:] != mouse[:-1]]) if mouse.size else mouse
    for lo, hi in zip(starts, [*starts[1:], mouse.size]):
        yield arms[lo], mice[lo], days[lo:hi], values[lo:hi]


def complete_rows(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``df.dropna(subset=columns)``, but ``df`` itself (not a copy) when no value is missing,
    the usual case: dropna copies the frame, ~0.3 ms a call on a panel model's small tables.
    For callers that only read the result."""
    missing = np.zeros(len(df), dtype=bool)
    for column in columns:
        missing |= df[column].isna().to_numpy()
    return df[~missing] if missing.any() else df

"""Small statistical helpers shared by several analyses."""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np
import pandas as pd


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


def mouse_curves(data: pd.DataFrame, value: str = "volume_mm3"
                 ) -> Iterator[tuple[object, object, np.ndarray, np.ndarray]]:
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

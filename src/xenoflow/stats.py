"""Small statistical helpers shared by several analyses."""

from __future__ import annotations

from typing import Sequence

import numpy as np


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

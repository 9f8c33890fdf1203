"""xenoflow.stats distribution functions against scipy.stats itself (the reference they stand in
for): the same special function must give the same bits, on scalars and arrays, including the
ends of the support, infinities and NaN."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as ss

from xenoflow import stats as xs

RNG = np.random.default_rng(20261130)
X = np.concatenate(
    [
        RNG.normal(0, 4, 3000),
        RNG.standard_cauchy(500),
        [0.0, -0.0, 1e-300, -1e-300, 40.0, -40.0, np.inf, -np.inf, np.nan],
    ]
)
Q = np.concatenate(
    [RNG.uniform(0, 1, 3000), [0.0, 1.0, 1e-12, 1 - 1e-12, 0.025, 0.975, 0.5, np.nan, -0.1, 1.1]]
)
DFS = [0.5, 1, 2, 3, 4.7, 7, 15, 29.3, 100, 1e6]


def same(a, b) -> bool:
    return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)


@pytest.mark.parametrize("df", DFS)
def test_t_sf(df):
    assert same(xs.t_sf(X, df), ss.t.sf(X, df))
    assert same(xs.t_sf(np.abs(X), df), ss.t.sf(np.abs(X), df))


@pytest.mark.parametrize("df", DFS)
def test_chi2_sf_and_ppf(df):
    assert same(xs.chi2_sf(X, df), ss.chi2.sf(X, df))  # negative x: 1, as scipy.stats
    assert same(xs.chi2_sf(3 * X**2, df), ss.chi2.sf(3 * X**2, df))
    assert same(xs.chi2_ppf(Q, df), ss.chi2.ppf(Q, df))


def test_norm():
    assert same(xs.norm_ppf(Q), ss.norm.ppf(Q))
    assert same(xs.norm_sf(X), ss.norm.sf(X))


def test_beta_ppf_as_exact_binomial_limits():
    """Every (k, n) of a Clopper-Pearson interval with n <= 120 (the quantiles response.py
    uses), and a non-integer shape pair."""
    for n in range(1, 121):
        k = np.arange(1, n)
        for q in (0.005, 0.025, 0.05, 0.95, 0.975, 0.995):
            assert same(xs.beta_ppf(q, k, n - k + 1), ss.beta.ppf(q, k, n - k + 1)), (n, q)
            assert same(xs.beta_ppf(q, k + 1, n - k), ss.beta.ppf(q, k + 1, n - k)), (n, q)
    assert same(xs.beta_ppf(Q, 2.5, 7.25), ss.beta.ppf(Q, 2.5, 7.25))


def test_scalars_stay_numpy_floats():
    """Callers format these with float(); a 0-d array would also work, but keep the type."""
    for got, want in [
        (xs.t_sf(2.0, 3), ss.t.sf(2.0, 3)),
        (xs.norm_ppf(0.975), ss.norm.ppf(0.975)),
        (xs.chi2_sf(3.84, 1), ss.chi2.sf(3.84, 1)),
        (xs.chi2_ppf(0.95, 1), ss.chi2.ppf(0.95, 1)),
        (xs.beta_ppf(0.025, 3, 6), ss.beta.ppf(0.025, 3, 6)),
    ]:
        assert type(got) is type(want) and got == want


def test_positions_groups_rows_in_first_seen_order():
    assert xs.positions(["b", "a", "b", "c", "a"]) == {"b": [0, 2], "a": [1, 4], "c": [3]}
    assert list(xs.positions([("T", "2"), ("C", "1"), ("T", "2")])) == [("T", "2"), ("C", "1")]
    assert xs.positions([]) == {}


def test_complete_rows_equal_dropna():
    import pandas as pd

    rng = np.random.default_rng(3)
    for _ in range(100):
        n = int(rng.integers(0, 12))
        df = pd.DataFrame(
            {
                "day": np.where(rng.random(n) < 0.2, np.nan, rng.random(n)),
                "volume_mm3": np.where(rng.random(n) < 0.2, np.nan, rng.random(n)),
                "arm": rng.choice(["a", None], n),
            },
            index=rng.permutation(n) * 3,
        )
        for subset in (["volume_mm3"], ["volume_mm3", "day"]):
            got = xs.complete_rows(df, subset)
            pd.testing.assert_frame_equal(got, df.dropna(subset=subset), check_exact=True)
            if not df[subset].isna().any().any():
                assert got is df  # nothing missing: no copy

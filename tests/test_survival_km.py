"""Kaplan–Meier medians, CIs and RMST against R ``survival`` 3.5.3 golden values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from xenoflow.km import curve_median, kaplan_meier, km_median_ci, rmst
from xenoflow.survival import km_median_ci as reexported

# Golden values: R 4.2, survival 3.5.3, e.g. for data set A
#   s <- summary(survfit(Surv(tA, eA) ~ 1), rmean = max(tA))$table
#   s[c("median", "0.95LCL", "0.95UCL", "rmean")]
# and with conf.int = 0.9 / rmean = 6 for the 90% column. NA = not reached -> NaN.
NA = math.nan
CASES = {
    # S is flat at exactly 0.5 from day 3 to day 7 -> R/Prism median = (3 + 7) / 2 = 5
    "A_flat_half": ([1, 2, 3, 5, 7, 8], [1, 1, 1, 0, 1, 1], (5, 2, NA), 4.75, (5, 2, NA), 4.0),
    # median not reached (lower band still reaches 0.5 at 95%, not at 90%)
    "B_not_reached": (
        [5, 8, 10, 12, 15, 20, 20, 20],
        [1, 0, 1, 0, 0, 0, 0, 0],
        (NA, 10, NA),
        16.6666666666667,
        (NA, NA, NA),
        5.875,
    ),
    # ties between an event and a censoring time
    "C_ties": (
        [2, 4, 6, 6, 9, 10, 12, 14, 15, 15],
        [1, 1, 0, 1, 1, 0, 1, 1, 0, 1],
        (12, 6, NA),
        10.4166666666667,
        (12, 6, NA),
        5.4,
    ),
    # all events, S = 0.5 exactly at t = 2 -> 2.5
    "D_all_events": ([1, 2, 3, 4], [1, 1, 1, 1], (2.5, 1, NA), 2.5, (2.5, 1, NA), 2.5),
}


def _close(a: float, b: float, rel: float = 1e-12) -> bool:
    if math.isnan(b):
        return math.isnan(a)
    return a == pytest.approx(b, rel=rel, abs=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_median_ci_matches_r(name: str) -> None:
    t, e, ci95, rmean_max, ci90, rmean6 = CASES[name]
    got = km_median_ci(t, e)
    assert all(_close(g, w) for g, w in zip(got, ci95)), (got, ci95)
    got90 = km_median_ci(t, e, alpha=0.10)
    assert all(_close(g, w) for g, w in zip(got90, ci90)), (got90, ci90)
    assert rmst(t, e, max(t)) == pytest.approx(rmean_max, rel=1e-12)
    assert rmst(t, e, 6) == pytest.approx(rmean6, rel=1e-12)


def test_finite_upper_limit_and_other_levels() -> None:
    # tE <- c(1:20, 3, 5, 8, 8, 12)
    # eE <- c(1,1,0,1,1,1,0,1,1,1,1,0,1,1,1,1,1,0,1,1, 1,0,1,1,0)
    # summary(survfit(Surv(tE, eE) ~ 1), rmean = 15)$table -> 11 8 17, rmean 10.2937599206349
    # summary(survfit(Surv(tE, eE) ~ 1, conf.int = 0.8))$table -> 11 8 15
    t = list(range(1, 21)) + [3, 5, 8, 8, 12]
    e = [1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0]
    assert km_median_ci(t, e) == (11.0, 8.0, 17.0)
    assert km_median_ci(t, e, alpha=0.2) == (11.0, 8.0, 15.0)
    assert rmst(t, e, 15) == pytest.approx(10.2937599206349, rel=1e-12)


def test_greenwood_and_log_band_match_survfit() -> None:
    # f <- survfit(Surv(c(1,2,2,3,4,5), c(1,1,0,1,1,1)) ~ 1)
    # cbind(f$surv, f$std.err, f$lower, f$upper)
    km = kaplan_meier([1, 2, 2, 3, 4, 5], [1, 1, 0, 1, 1, 1])
    assert km["n_risk"].tolist() == [6, 5, 3, 2, 1]
    np.testing.assert_allclose(
        km["surv"], [0.8333333, 0.6666667, 0.4444444, 0.2222222, 0.0], rtol=1e-6
    )
    np.testing.assert_allclose(km["std_err"][:4], [0.1825742, 0.2886751, 0.5, 0.8660254], rtol=1e-6)
    assert math.isinf(km["std_err"].iloc[4])
    np.testing.assert_allclose(
        km["lower"][:4], [0.5826548, 0.3786065, 0.1668079, 0.0407029], rtol=1e-6
    )
    assert (km["upper"][:4] == 1).all()
    assert km[["lower", "upper"]].iloc[4].isna().all()


def test_midpoint_rule_is_robust_to_floating_point_noise() -> None:
    times = [1.0, 2.0, 3.0, 4.0]
    assert curve_median([0.8, 0.5 + 1e-12, 0.5 + 1e-12, 0.3], times) == 3.0  # (2 + 4) / 2
    assert curve_median([0.8, 0.5 - 1e-12, 0.5 - 1e-12, 0.3], times) == 3.0
    assert curve_median([0.8, 0.6, 0.55, 0.51], times) != curve_median([0.8, 0.6, 0.55, 0.5], times)
    assert math.isnan(curve_median([0.9, 0.8, 0.6, 0.51], times))
    # flat at 0.5 to the end of follow-up: the first time at 0.5 (R: nothing lower follows)
    assert curve_median([0.8, 0.5, 0.5, 0.5], times) == 2.0


def test_lifelines_median_differs_from_r() -> None:
    """Why km_median_ci is own code: lifelines' median and its CI are not R's.

    R: summary(survfit(Surv(c(1,2,3,5,7,8), c(1,1,1,0,1,1)) ~ 1))$table
       -> median 5, 0.95LCL 2, 0.95UCL NA (S is flat at exactly 0.5 from day 3 to day 7)
    lifelines takes the first time with S <= 0.5 (after floating-point noise: 7) and reads
    the CI off its log(-log) band.
    """
    KaplanMeierFitter = pytest.importorskip("lifelines").KaplanMeierFitter
    median_survival_times = pytest.importorskip("lifelines.utils").median_survival_times
    t, e = [1, 2, 3, 5, 7, 8], [1, 1, 1, 0, 1, 1]
    r_median, r_low, r_high = 5.0, 2.0, NA
    assert km_median_ci(t, e) == (r_median, r_low, pytest.approx(r_high, nan_ok=True))
    kmf = KaplanMeierFitter().fit(t, e)
    assert abs(kmf.median_survival_time_ - r_median) > 1  # lifelines 0.30: 7
    ci = median_survival_times(kmf.confidence_interval_).iloc[0].tolist()
    assert ci[0] != r_low and not math.isnan(ci[1])  # lifelines 0.30: (1, 8)


def test_lifelines_km_curve_is_r_but_its_band_is_log_log() -> None:
    """lifelines' S(t) and Greenwood sum are R's; its band is R's conf.type = "log-log".

    f <- survfit(Surv(c(1,2,2,3,4,5), c(1,1,0,1,1,1)) ~ 1)   # default conf.type = "log"
    f$surv; f$lower -> 0.5826548 0.3786065 0.1668079 0.0407029 NA
    survfit(..., conf.type = "log-log")$lower
      -> 0.2731228499 0.1946166368 0.06618675315 0.009569136539 NA
    """
    KaplanMeierFitter = pytest.importorskip("lifelines").KaplanMeierFitter
    t, e = [1, 2, 2, 3, 4, 5], [1, 1, 0, 1, 1, 1]
    kmf = KaplanMeierFitter().fit(t, e)
    times = [1.0, 2.0, 3.0, 4.0]
    surv = kmf.survival_function_.iloc[:, 0].reindex(times).to_numpy()
    np.testing.assert_allclose(surv, [5 / 6, 4 / 6, 4 / 9, 2 / 9], rtol=1e-12)
    np.testing.assert_allclose(kaplan_meier(t, e)["surv"][:4], surv, rtol=1e-12)
    lower = kmf.confidence_interval_.iloc[:, 0].reindex(times).to_numpy()
    r_log = np.array([0.5826548, 0.3786065, 0.1668079, 0.0407029])
    np.testing.assert_allclose(kaplan_meier(t, e)["lower"][:4], r_log, rtol=1e-6)
    assert (np.abs(lower / r_log - 1) > 0.4).all()  # not R's default band (tolerance 1e-6)
    np.testing.assert_allclose(
        lower, [0.2731228499, 0.1946166368, 0.06618675315, 0.009569136539], rtol=1e-9
    )


def test_reexport_and_edge_cases() -> None:
    assert reexported is km_median_ci
    assert all(math.isnan(v) for v in km_median_ci([], []))
    assert all(math.isnan(v) for v in km_median_ci([3, 4], [0, 0]))
    with pytest.raises(ValueError):
        km_median_ci([1, 2], [1, 2])


def test_median_flat_finds_a_curve_at_exactly_half() -> None:
    from xenoflow.km import median_flat

    # 4 mice, events at 2 and 5: S = 0.75, 0.5 from day 5; next drop at 9 -> flat [5, 9)
    assert median_flat([2, 5, 9, 12], [1, 1, 1, 0]) == (5.0, 9.0)
    # never drops below 0.5: flat from 5 to the last follow-up, 12
    assert median_flat([2, 5, 9, 12], [1, 1, 0, 0]) == (5.0, 12.0)
    # passes 0.5 without stopping there (3 mice): a unique median
    assert median_flat([2, 5, 9], [1, 1, 0]) is None
    # events at 9 (S = 0.5) and 12: flat [9, 12)
    assert median_flat([2, 5, 9, 12], [0, 0, 1, 1]) == (9.0, 12.0)
    # reaches 0.5 on the last day of follow-up: no interval of days, the median is that day
    assert median_flat([3, 3], [1, 0]) is None

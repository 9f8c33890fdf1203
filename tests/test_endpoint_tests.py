"""End-of-study tests at the reference day (xenoflow.endpoint_tests) against R.

Golden values from R 4.x (``stats``; ``multcomp`` 1.4 with ``mvtnorm``), printed with
``options(digits = 15)``. Tolerances: ANOVA, Welch, Kruskal–Wallis and Dunn are closed forms,
compared to 1e-9 (relative). Dunnett's single-step p-values are a multivariate-t probability:
R's mvtnorm integrates it exactly for two comparisons (reported error 1e-15; compared to 1e-9),
and by randomised quasi-Monte-Carlo for three or more (reported error ~5e-4 at the default
``abseps = 1e-3``, ~1e-5 with ``GenzBretz(maxpts = 1e7, abseps = 1e-5)``, the values stored
here; compared to 3e-5, which covers R's own error). xenoflow evaluates Dunnett's (1955) one-factor
integral by quadrature (deterministic, ~1e-10). ``scipy.stats.dunnett`` (quasi-Monte-Carlo)
agrees to ~1e-4 and is checked to 5e-4.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xenoflow import endpoint_tests as et
from xenoflow import stages
from xenoflow import tables as registry
from xenoflow.config import load_study
from xenoflow.ingest import read_source

ROOT = Path(__file__).resolve().parents[1]
U87 = ROOT / "data" / "demo" / "u87mg_clr131" / "volumes.csv"
U87_ARMS = ["I-127 CLR1404", "CLR 131 x1", "CLR 131 x2"]
DROP = {"log_zero_rule": "drop", "log_floor_mm3": 1.0}
FLOOR = {"log_zero_rule": "floor", "log_floor_mm3": 1.0}


def _u87() -> pd.DataFrame:
    d = pd.read_csv(U87).iloc[:, :4]  # the volumes (a body-weight column follows)
    d.columns = ["arm", "mouse_id", "day", "volume_mm3"]
    d["mouse_id"] = d["mouse_id"].astype(str)
    return d


def _rows(table: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    return {(r.test, r.arm): r for r in table.itertuples(index=False)}  # type: ignore[misc]


def test_u87_day28_matches_r():
    """The U87-MG demo study at its reference day 28 (3 arms of 8 mice, no zero volumes).

    R (run from the repository root)::

        library(multcomp); options(digits = 15)
        d <- read.csv("data/demo/u87mg_clr131/volumes.csv", check.names = FALSE)
        names(d) <- c("arm", "mouse", "day", "v"); d <- d[d$day == 28, ]
        d$arm <- factor(d$arm, levels = c("I-127 CLR1404", "CLR 131 x1", "CLR 131 x2"))
        d$y <- log(d$v)
        fit <- aov(y ~ arm, data = d); summary(fit)
        oneway.test(y ~ arm, data = d, var.equal = FALSE)
        kruskal.test(v ~ arm, data = d)
        g <- summary(glht(fit, linfct = mcp(arm = "Dunnett")), test = adjusted("single-step"))
        g$test$tstat; g$test$pvalues; g$df          # error 1e-15 (two comparisons: exact)
        summary(glht(fit, linfct = mcp(arm = "Dunnett")), test = adjusted("none"))  # unadjusted
        # Dunn by hand (dunn.test is not installed): tie-corrected z, two-sided p, Holm
        dunn <- function(v, arm) {
          r <- rank(v); N <- length(v); t <- table(v)
          s2 <- N * (N + 1) / 12 - sum(t^3 - t) / (12 * (N - 1))
          rb <- tapply(r, arm, mean); n <- tapply(r, arm, length)
          ctl <- levels(arm)[1]; tr <- levels(arm)[-1]
          z <- (rb[tr] - rb[ctl]) / sqrt(s2 * (1 / n[tr] + 1 / n[ctl]))
          p <- 2 * pnorm(-abs(z)); cbind(z = z, p = p, holm = p.adjust(p, "holm"))
        }
        dunn(d$v, d$arm)
    """
    table = et.endpoint_tests(_u87(), U87_ARMS, U87_ARMS[0], 28.0, DROP)
    assert table.columns.tolist() == registry.columns("endpoint_tests")
    assert table["test"].tolist() == [
        "anova",
        "dunnett",
        "dunnett",
        "welch_anova",
        "kruskal_wallis",
        "dunn",
        "dunn",
    ]
    rows = _rows(table)
    rel = 1e-9
    anova = rows[("anova", "")]
    assert (anova.statistic, anova.df1, anova.df2) == pytest.approx((5.93307019872234, 2, 21), rel)
    assert anova.p_value == pytest.approx(0.00906653161532659, rel)
    assert anova.n_mice == 24 and anova.reference_day == 28
    welch = rows[("welch_anova", "")]
    assert (welch.statistic, welch.df1, welch.df2) == pytest.approx(
        (6.57536268060771, 2, 10.8529321832866), rel
    )
    assert welch.p_value == pytest.approx(0.0134689126921429, rel)
    kw = rows[("kruskal_wallis", "")]
    assert (kw.statistic, kw.df1, kw.p_value) == pytest.approx((11.285, 2, 0.0035439973286731), rel)
    for arm, t, p_adj in [
        ("CLR 131 x1", -0.982555819788809, 0.52426202419253398),
        ("CLR 131 x2", -3.350568616316691, 0.00574988888518435),
    ]:
        r = rows[("dunnett", arm)]
        assert (r.statistic, r.df2, r.p_adjusted) == pytest.approx((t, 21, p_adj), rel)
        assert r.n_mice == 8 and r.note == ""
    # unadjusted: R summary(glht(...), test = adjusted("none"))
    assert rows[("dunnett", "CLR 131 x1")].p_value == pytest.approx(0.337011525833997, rel)
    assert rows[("dunnett", "CLR 131 x2")].p_value == pytest.approx(0.00302958184836921, rel)
    for arm, z, p, holm in [
        ("CLR 131 x1", -2.08596500450032, 0.03698179317299477, 0.03698179317299477),
        ("CLR 131 x2", -3.32340187157677, 0.000889267032132456, 0.00177853406426491),
    ]:
        r = rows[("dunn", arm)]
        assert (r.statistic, r.p_value, r.p_adjusted) == pytest.approx((z, p, holm), rel)


#: Ties (100, 150 twice), a zero volume (arm A), unequal n, a third treated arm (Dunnett by
#: Monte-Carlo in R), and an arm with one mouse (D: left out of every test).
TIES = {
    "C": [120, 150, 150, 200, 310],
    "A": [80, 100, 150, 0],
    "B": [100, 100, 60, 90, 45, 30],
    "E": [140, 90, 210],
    "D": [50],
}


def _frame(groups: dict[str, list[float]], day: float = 21.0) -> pd.DataFrame:
    rows = [
        {"arm": arm, "mouse_id": str(i + 1), "day": d, "volume_mm3": v0}
        for arm, values in groups.items()
        for i, v in enumerate(values)
        for d, v0 in ((0.0, 100.0), (day, float(v)))
    ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    "settings, anova, welch, dunnett_t, dunnett_p, n_log",
    [
        (
            DROP,
            (5.52571550814646, 3, 13, 0.0114205093799474),
            (4.24296162842934, 3, 5.8922084468353, 0.0639296925869796),
            (-1.63212105831002, -3.91502509202283, -0.776513773644238),
            # GenzBretz(maxpts = 1e7, abseps = 1e-5), set.seed(1): error 8.5e-6
            (0.292052076223746, 0.00488418700457138, 0.79216184350557),
            17,
        ),
        (
            FLOOR,
            (1.83995213867863, 3, 14, 0.18624410748955),
            (4.50656137168898, 3, 6.21516271384868, 0.053372273132789),
            (-2.15647892357258, -1.43116786225311, -0.283860647458153),
            # GenzBretz(maxpts = 1e7, abseps = 1e-5), set.seed(1): error 9e-6
            (0.121022436874712, 0.383095400798983, 0.984831679428671),
            18,
        ),
    ],
)
def test_ties_zero_and_a_one_mouse_arm_match_r(settings, anova, welch, dunnett_t, dunnett_p, n_log):
    """Ties, a zero volume and an arm with one mouse (D), under both zero rules. R::
    library(multcomp); options(digits = 15)
    d <- data.frame(arm = rep(c("C", "A", "B", "E"), c(5, 4, 6, 3)),
      v = c(120, 150, 150, 200, 310,  80, 100, 150, 0,  100, 100, 60, 90, 45, 30,  140, 90, 210))
    d$arm <- factor(d$arm, levels = c("C", "A", "B", "E"))   # arm D (1 mouse) left out
    # drop: dd <- d[d$v > 0, ]; dd$y <- log(dd$v)    floor: dd <- d; dd$y <- log(pmax(d$v, 1))
    fit <- aov(y ~ arm, data = dd); summary(fit); oneway.test(y ~ arm, dd, var.equal = FALSE)
    g <- summary(glht(fit, linfct = mcp(arm = "Dunnett")), test = adjusted("single-step",
                 algorithm = GenzBretz(maxpts = 1e7, abseps = 1e-5)))     # error ~1e-5
    kruskal.test(v ~ arm, data = d); dunn(d$v, d$arm)      # dunn() of test_u87_day28_matches_r
    """
    table = et.endpoint_tests(_frame(TIES), list(TIES), "C", 21.0, settings)
    rows = _rows(table)
    rel = 1e-9
    r = rows[("anova", "")]
    assert (r.statistic, r.df1, r.df2, r.p_value) == pytest.approx(anova, rel)
    assert r.n_mice == n_log
    assert "D" in r.note and (("volume 0" in r.note) == (settings is DROP))
    r = rows[("welch_anova", "")]
    assert (r.statistic, r.df1, r.df2, r.p_value) == pytest.approx(welch, rel)
    for arm, t, p in zip("ABE", dunnett_t, dunnett_p):
        r = rows[("dunnett", arm)]
        assert r.statistic == pytest.approx(t, rel)
        assert r.p_adjusted == pytest.approx(p, abs=3e-5)
    # rank tests on the raw volumes: the same under both zero rules (zero kept, ranked lowest)
    r = rows[("kruskal_wallis", "")]
    assert (r.statistic, r.df1, r.p_value) == pytest.approx(
        (9.16140625, 3, 0.0272201207173024), rel
    )
    assert r.n_mice == 18
    for arm, z, p, holm in [
        ("A", -2.061982258248924, 0.03920942512473438, 0.0784188502494688),
        ("B", -2.802296868623841, 0.00507401586228973, 0.0152220475868692),
        ("E", -0.712953681096387, 0.47587441966998356, 0.4758744196699836),
    ]:
        r = rows[("dunn", arm)]
        assert (r.statistic, r.p_value, r.p_adjusted) == pytest.approx((z, p, holm), rel)
    for test in ("dunnett", "dunn"):
        d = rows[(test, "D")]
        assert math.isnan(d.statistic) and math.isnan(d.p_value) and d.n_mice == 1
        assert d.note.startswith("fewer than 2 mice measured on day 21")


def test_dunnett_two_comparisons_exact_in_r_and_scipy_agrees():
    """Three-arm ties fixture without E (two comparisons: mvtnorm exact, error 1e-15).
    R: as in test_ties_zero_and_a_one_mouse_arm_match_r (drop rule) with arms C, A, B: p = 0.223630895972539, 0.00452342359022928.
    """
    groups = {k: TIES[k] for k in "CAB"}
    table = et.endpoint_tests(_frame(groups), list(groups), "C", 21.0, DROP)
    rows = _rows(table)
    got = [rows[("dunnett", a)].p_adjusted for a in "AB"]
    assert got == pytest.approx([0.223630895972539, 0.00452342359022928], rel=1e-8)
    assert [rows[("dunnett", a)].statistic for a in "AB"] == pytest.approx(
        [-1.63350098732356, -3.91833517535624], rel=1e-9
    )
    # scipy.stats.dunnett (quasi-Monte-Carlo) gives the same probability to ~1e-4
    from scipy import stats

    logs = {a: np.log([v for v in TIES[a] if v > 0]) for a in "CAB"}
    ref = stats.dunnett(logs["A"], logs["B"], control=logs["C"], random_state=1)
    assert got == pytest.approx(ref.pvalue.tolist(), abs=5e-4)


def test_one_treated_arm_dunnett_is_the_t_test_and_holm_is_unadjusted():
    groups = {"C": [100, 150, 210, 180], "T": [60, 90, 40, 120, 75]}
    table = et.endpoint_tests(_frame(groups), ["C", "T"], "C", 21.0, DROP)
    rows = _rows(table)
    from scipy import stats

    t = stats.ttest_ind(np.log(groups["T"]), np.log(groups["C"]))
    d = rows[("dunnett", "T")]
    assert (d.statistic, d.p_value) == pytest.approx((t.statistic, t.pvalue), rel=1e-10)
    assert d.p_adjusted == pytest.approx(t.pvalue, abs=1e-9)
    assert rows[("anova", "")].p_value == pytest.approx(t.pvalue, rel=1e-9)  # F = t^2
    dunn = rows[("dunn", "T")]
    assert dunn.p_adjusted == dunn.p_value


def test_welch_and_kruskal_match_scipy_statsmodels_on_random_data():
    from scipy import stats
    from statsmodels.stats.oneway import anova_oneway

    rng = np.random.default_rng(3)
    groups = [rng.lognormal(5, s, n) for s, n in ((0.3, 6), (0.8, 8), (0.5, 5), (1.0, 7))]
    logs = [np.log(g) for g in groups]
    f, df1, df2, p = et.welch_anova(logs)
    ref = anova_oneway(logs, use_var="unequal")
    assert (f, df1, df2, p) == pytest.approx((ref.statistic, *ref.df, ref.pvalue), rel=1e-9)
    f, df1, df2, p = et.one_way_anova(logs)
    assert (f, p) == pytest.approx(tuple(stats.f_oneway(*logs)), rel=1e-9)
    rounded = [np.round(g, -1) for g in groups]  # ties
    h, df, p = et.kruskal_wallis(rounded)
    assert (h, p) == pytest.approx(tuple(stats.kruskal(*rounded)), rel=1e-9)
    t, _, _, p_dunnett = et.dunnett(logs[0], logs[1:])
    ref = stats.dunnett(*logs[1:], control=logs[0], random_state=5)
    assert t == pytest.approx(ref.statistic, rel=1e-9)
    assert p_dunnett == pytest.approx(ref.pvalue, abs=5e-4)


def test_header_only_without_control_or_with_one_arm_and_notes_without_a_day():
    data = _frame({"C": [100, 120], "T": [50, 60]})
    assert et.endpoint_tests(data, ["C", "T"], "X", 21.0, DROP).empty
    one = data[data["arm"] == "C"]
    empty = et.endpoint_tests(one, ["C", "T"], "C", 21.0, DROP)
    assert empty.empty and empty.columns.tolist() == registry.columns("endpoint_tests")
    no_day = et.endpoint_tests(data, ["C", "T"], "C", math.nan, DROP, "no day on which ...")
    assert no_day["test"].tolist() == ["anova", "welch_anova", "kruskal_wallis"]
    assert (no_day["note"] == "no day on which ...").all()


def test_a_control_with_one_mouse_leaves_no_comparison():
    data = _frame({"C": [100], "T": [50, 60], "U": [80, 90, 70]})
    rows = _rows(et.endpoint_tests(data, ["C", "T", "U"], "C", 21.0, DROP))
    assert rows[("anova", "")].n_mice == 5  # T and U still compared overall
    for test in ("dunnett", "dunn"):
        assert math.isnan(rows[(test, "T")].p_value)
        assert rows[(test, "T")].note.startswith("control 'C' has fewer than 2 mice")


def test_tumour_free_counts_a_zero_at_the_last_measurement():
    data = pd.DataFrame(
        {
            "arm": ["C"] * 4 + ["T"] * 6,
            "mouse_id": ["1", "1", "2", "2", "1", "1", "2", "2", "3", "3"],
            "day": [0, 14, 0, 14, 0, 14, 0, 14, 0, 7],
            "volume_mm3": [100, 500, 90, 0, 100, 0, 100, 30, 100, 0],
        }
    )
    # C/2 is 0 on its last day; T/1 and T/3 (last measured on day 7) too; T/2 is not
    data.loc[len(data)] = {"arm": "T", "mouse_id": "2", "day": 21, "volume_mm3": 0.0}
    data.loc[len(data)] = {"arm": "T", "mouse_id": "1", "day": 21, "volume_mm3": 12.0}
    out = et.tumour_free(data, ["C", "T"]).set_index("arm")
    assert out.loc["C", "n_tumour_free"] == 1 and out.loc["C", "n_mice"] == 2
    assert out.loc["T", "n_tumour_free"] == 2 and out.loc["T", "tumour_free_pct"] == 100 * 2 / 3


def test_the_efficacy_stage_returns_both_tables():
    study = load_study(
        ROOT / "tests" / "fixtures" / "tiny" / "config" / "studies" / "tiny_long.yaml",
        {"bootstrap_resamples": 200},
    )
    tables = stages.analyse_study(study, read_source(study))
    tests = tables["endpoint_tests"]
    ref = tables["efficacy"].query("is_reference_day")["day"].iloc[0]
    assert set(tests["test"]) == {"anova", "dunnett", "welch_anova", "kruskal_wallis", "dunn"}
    assert (tests["reference_day"] == ref).all()
    assert tables["tumour_free"]["arm"].tolist() == ["Vehicle", "Drug"]


def test_summary_sentence_quotes_anova_dunnett_and_tumour_free():
    from xenoflow import summary

    tests = et.endpoint_tests(_u87(), U87_ARMS, U87_ARMS[0], 28.0, DROP)
    free = pd.DataFrame(
        {"arm": U87_ARMS, "n_mice": [8, 8, 8], "n_tumour_free": [0, 0, 2], "tumour_free_pct": 0.0}
    )
    text = summary.endpoint_test_sentences(registry_roundtrip(tests), free)
    assert text == [
        "At day 28, one-way ANOVA on log volume gave p = 0.0091; Dunnett's test against the "
        "control: CLR 131 x1 p = 0.52 (n = 8 vs 8), CLR 131 x2 p = 0.0057 (n = 8 vs 8) "
        "(Kruskal–Wallis p = 0.0035).",
        "Tumour-free at the end of the study: 2 of 8 mice in CLR 131 x2.",
    ]


def registry_roundtrip(table: pd.DataFrame) -> pd.DataFrame:
    """The table as the summary rule reads it from disk (empty arm read back as missing)."""
    from xenoflow import io

    return io.normalise("endpoint_tests", table)


def test_an_arm_left_with_one_mouse_by_the_drop_rule_is_left_out_with_its_reason():
    data = _frame({"C": [100, 120, 150], "T": [0, 40], "U": [80, 90]})
    rows = _rows(et.endpoint_tests(data, ["C", "T", "U"], "C", 21.0, DROP))
    assert rows[("dunn", "T")].note == (
        "fewer than 2 mice with a volume above 0 on day 21 (n = 1; zero volumes dropped): "
        "left out of the tests"
    )
    assert rows[("kruskal_wallis", "")].n_mice == 5
    kept = _rows(et.endpoint_tests(data, ["C", "T", "U"], "C", 21.0, FLOOR))
    assert kept[("kruskal_wallis", "")].n_mice == 7 and kept[("dunn", "T")].note == ""

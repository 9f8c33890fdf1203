"""Per-mouse growth fits, zero-volume rules, model choice and rate-based T/C (issue 3)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from xenoflow import growth
from xenoflow.config import Arm, Dose, Study, analysis_defaults

DATA = Path(__file__).parent / "data" / "growth"
SIM = DATA / "simulated_3arm_8mice.csv"
ARMS = ["Vehicle", "DrugA", "DrugB"]


def settings(**kw: object) -> dict:
    s = analysis_defaults()
    s.update(kw)
    return s


def read_sim() -> pd.DataFrame:
    return pd.read_csv(SIM, dtype={"arm": str, "mouse_id": str})


def one_mouse(days: list[float], vols: list[float], arm: str = "A", mid: str = "1") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "arm": arm,
            "mouse_id": mid,
            "day": [float(d) for d in days],
            "volume_mm3": [float(v) for v in vols],
        }
    )


# R 4.2: t <- c(0,3,7,10,14); v <- c(100,135,210,260,420); f <- lm(log(v) ~ t)
#        coef(summary(f)); summary(f)$r.squared; AIC(f)
R_T = [0, 3, 7, 10, 14]
R_V = [100, 135, 210, 260, 420]


def test_exponential_fit_matches_r_lm() -> None:
    fit = growth.fit_exponential(np.array(R_T, float), np.log(R_V))
    assert fit.rate == pytest.approx(0.100962827555419, rel=1e-12)
    assert fit.intercept == pytest.approx(4.605150540110533, rel=1e-12)
    assert fit.rate_se == pytest.approx(0.00354971689478586, rel=1e-10)
    assert fit.r_squared == pytest.approx(0.996305308983148, rel=1e-12)
    assert fit.doubling_time == pytest.approx(math.log(2) / 0.100962827555419, rel=1e-12)
    assert growth.aic_least_squares(fit.rss, 5, 2) == pytest.approx(-14.720831974443, rel=1e-10)


def test_doubling_time_only_for_growth() -> None:
    shrinking = growth.fit_exponential(np.array([0.0, 5.0, 10.0]), np.log([300.0, 200.0, 120.0]))
    assert shrinking.rate < 0 and math.isnan(shrinking.doubling_time)
    two = growth.fit_exponential(np.array([0.0, 7.0]), np.log([100.0, 200.0]))
    assert two.rate == pytest.approx(math.log(2) / 7) and math.isnan(two.rate_se)
    assert two.doubling_time == pytest.approx(7.0)


def test_per_mouse_table_one_row_per_arm_mouse_pair() -> None:
    data = read_sim()
    per_mouse, excl = growth.fit_per_mouse(data, settings(), ARMS)
    # mouse ids 1..8 repeat in every arm: 24 mice, not 8
    assert len(per_mouse) == 24
    assert list(dict.fromkeys(per_mouse["arm"])) == ARMS
    for col in [
        "arm",
        "mouse_id",
        "n_points",
        "growth_rate_per_day",
        "growth_rate_se",
        "r_squared",
        "doubling_time_days",
        "best_model",
    ]:
        assert col in per_mouse.columns
    assert (per_mouse["n_points"] == 10).all()
    assert excl.empty
    # each row equals an independent OLS of that mouse
    g = data[(data["arm"] == "DrugB") & (data["mouse_id"] == "3")]
    ref = stats.linregress(g["day"], np.log(g["volume_mm3"]))
    row = per_mouse[(per_mouse["arm"] == "DrugB") & (per_mouse["mouse_id"] == "3")].iloc[0]
    assert row["growth_rate_per_day"] == pytest.approx(ref.slope, rel=1e-12)
    assert row["growth_rate_se"] == pytest.approx(ref.stderr, rel=1e-10)
    assert row["r_squared"] == pytest.approx(ref.rvalue**2, rel=1e-10)


def test_zero_volume_drop_rule_lists_exclusion() -> None:
    data = pd.concat(
        [
            one_mouse([0, 4, 8, 12], [100, 50, 0, 30], mid="1"),
            one_mouse([0, 4, 8, 12], [100, 150, 210, 300], mid="2"),
        ]
    )
    per_mouse, excl = growth.fit_per_mouse(data, settings(log_zero_rule="drop"))
    m1 = per_mouse[per_mouse["mouse_id"] == "1"].iloc[0]
    assert m1["n_points"] == 3 and m1["n_floored"] == 0 and m1["log_zero_rule"] == "drop"
    assert len(excl) == 1
    row = excl.iloc[0]
    assert (row["stage"], row["arm"], row["mouse_id"], row["day"]) == ("growth", "A", "1", 8.0)
    assert "zero volumes are dropped, not floored" in row["reason"]
    expected = growth.fit_exponential(np.array([0.0, 4.0, 12.0]), np.log([100.0, 50.0, 30.0]))
    assert m1["growth_rate_per_day"] == pytest.approx(expected.rate)


def test_zero_volume_floor_rule_uses_floor_and_says_so() -> None:
    data = one_mouse([0, 4, 8, 12], [100, 50, 0, 30])
    per_mouse, excl = growth.fit_per_mouse(data, settings(log_zero_rule="floor", log_floor_mm3=5.0))
    m1 = per_mouse.iloc[0]
    assert m1["n_points"] == 4 and m1["n_floored"] == 1 and m1["log_zero_rule"] == "floor"
    assert excl.empty
    expected = growth.fit_exponential(np.array([0.0, 4, 8, 12]), np.log([100.0, 50, 5, 30]))
    assert m1["growth_rate_per_day"] == pytest.approx(expected.rate)


def test_mouse_with_too_few_points_is_excluded_with_reason() -> None:
    data = pd.concat(
        [
            one_mouse([0, 4], [100, 0], mid="1"),  # one usable point
            one_mouse([0], [0], mid="2"),  # nothing usable
            one_mouse([0, 4, 8], [100, 120, 160], mid="3"),
        ]
    )
    per_mouse, excl = growth.fit_per_mouse(data, settings(log_zero_rule="drop"))
    assert list(per_mouse["mouse_id"]) == ["3"]
    whole = excl[excl["day"].isna()]
    assert sorted(whole["mouse_id"]) == ["1", "2"]
    assert all("2" in r for r in whole["reason"])  # "needs at least 2" / "fewer than 2"


def test_regrowth_model_chosen_for_shrink_then_regrow() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(0, 43, 3.0)
    v = 200 * (np.exp(-0.15 * t) + np.exp(0.06 * t) - 1) * np.exp(rng.normal(0, 0.03, t.size))
    fits = growth.fit_alternative_models(t, np.log(v))
    assert growth.best_model(fits) == "regrowth"
    d, g = fits["regrowth"]["params"][1:]
    assert d == pytest.approx(0.15, rel=0.25) and g == pytest.approx(0.06, rel=0.25)
    # and a plain exponential stays exponential-like (regrowth d -> 0 is not preferred by AIC)
    pure = np.log(150 * np.exp(0.1 * t) * np.exp(rng.normal(0, 0.05, t.size)))
    assert growth.best_model(growth.fit_alternative_models(t, pure)) != "regrowth"


def test_non_convergence_and_too_few_points_reported_not_numbers() -> None:
    t = np.arange(0, 30, 3.0)
    y = np.log(100 * np.exp(0.08 * t))
    fits = growth.fit_alternative_models(t, y, max_nfev=1)
    for m in ("gompertz", "logistic", "regrowth"):
        assert fits[m]["status"].startswith("not converged")
        assert math.isnan(fits[m]["aic"]) and fits[m]["params"] is None
    assert fits["exponential"]["status"] == "converged"
    short = growth.fit_alternative_models(np.array([0.0, 3, 6, 9]), np.log([100.0, 130, 170, 220]))
    assert short["gompertz"]["status"] == "too few points" and math.isnan(short["gompertz"]["aic"])
    assert short["linear"]["status"] == "converged"
    # in the per-mouse table the status is text and the AIC empty
    per_mouse, _ = growth.fit_per_mouse(one_mouse([0, 3, 6, 9], [100, 130, 170, 220]), settings())
    assert per_mouse.iloc[0]["status_logistic"] == "too few points"
    assert math.isnan(per_mouse.iloc[0]["aic_logistic"])


def test_holm_matches_r_p_adjust() -> None:
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.2), "holm")
    assert growth.holm([0.01, 0.04, 0.03, 0.2]) == pytest.approx([0.04, 0.09, 0.09, 0.2])
    out = growth.holm([0.02, float("nan")])
    assert out[0] == pytest.approx(0.02) and math.isnan(out[1])


def test_welch_matches_r_t_test() -> None:
    # R: t.test(c(0.12,0.10,0.15,0.11,0.13), c(0.05,0.02,0.08,0.04))
    pm = pd.DataFrame(
        {
            "arm": ["T"] * 5 + ["C"] * 4,
            "growth_rate_per_day": [0.12, 0.10, 0.15, 0.11, 0.13, 0.05, 0.02, 0.08, 0.04],
        }
    )
    t, df, p = growth.welch_slopes(pm, "T", "C")
    assert p == pytest.approx(0.00329157360560573, rel=1e-9)
    assert df == pytest.approx(5.57641173080421, rel=1e-10)


def test_rate_based_tc_definition() -> None:
    # Hather et al. 2014: T/C = 10^((r_T - r_C) t) with log10 slopes == exp((k_T - k_C) t)
    kt, kc, t = 0.05, 0.12, 21.0
    assert growth.rate_based_tc(kt, kc, t) == pytest.approx(10 ** ((kt - kc) / math.log(10) * t))
    assert growth.rate_based_tc(0.1, 0.1, 14) == 1.0


def sim_study(tmp_path: Path | None = None) -> Study:
    arms = (
        Arm("Vehicle"),
        Arm("DrugA", label="Drug A 10 mg/kg", doses=(Dose(0, 10, "mg/kg"), Dose(7, 10, "mg/kg"))),
        Arm("DrugB", doses=tuple(Dose(float(d), 5, "mg/kg") for d in range(0, 22, 3))),
    )
    return Study(
        study_id="sim",
        path=SIM,
        data=SIM,
        control="Vehicle",
        arms=arms,
        settings=settings(),
        title="Simulated 3 x 8",
    )


def test_analyse_tables_and_interfaces() -> None:
    data = read_sim()
    res = growth.analyse_study(data, sim_study())
    model = res.model
    assert list(model["arm"]) == ARMS
    for col in [
        "arm",
        "growth_rate_per_day",
        "growth_rate_se",
        "rate_diff_vs_control",
        "rate_diff_se",
        "rate_diff_ci_low",
        "rate_diff_ci_high",
        "p_value",
        "p_value_method",
        "model",
        "p_value_small_sample",
        "p_value_small_sample_method",
        "rate_based_tc",
        "reml_loglik",
        "optimiser",
        "fallback_note",
    ]:
        assert col in model.columns
    ctrl = model[model["arm"] == "Vehicle"].iloc[0]
    assert ctrl["growth_rate_per_day"] > 0 and math.isnan(ctrl["rate_diff_vs_control"])
    treated = model[model["arm"] != "Vehicle"]
    assert (treated["p_value_method"] == "Wald z (LMM, REML)").all()
    assert treated["p_value_small_sample_method"].str.contains("Satterthwaite|Welch").all()
    # rate-based T/C from per-mouse means over the whole study (day 0 .. last day)
    pm = res.per_mouse
    k = pm.groupby("arm")["growth_rate_per_day"].mean()
    t_len = data["day"].max() - data["day"].min()
    for _, row in treated.iterrows():
        assert row["rate_based_tc"] == pytest.approx(
            math.exp((k[row["arm"]] - k["Vehicle"]) * t_len)
        )
        assert row["tc_days"] == t_len
    assert len(res.contrasts) == 3
    assert set(res.contrasts.columns) >= {
        "arm",
        "reference",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "p_value",
        "p_holm",
        "method",
    }
    assert (res.contrasts["p_holm"] >= res.contrasts["p_value"] - 1e-15).all()
    assert res.fits["selected"].sum() == 1


def test_reference_day_restricts_tc_fits() -> None:
    data = read_sim()
    res = growth.analyse(data, settings(), ARMS, "Vehicle", reference_day=15, baseline_day=0)
    early = data[data["day"] <= 15]
    pm, _ = growth.fit_per_mouse(early, settings(), ARMS, alternatives=False)
    k = pm.groupby("arm")["growth_rate_per_day"].mean()
    row = res.model[res.model["arm"] == "DrugB"].iloc[0]
    assert row["tc_days"] == 15 and row["tc_reference_day"] == 15
    assert row["rate_based_tc"] == pytest.approx(math.exp((k["DrugB"] - k["Vehicle"]) * 15))


def test_figures_written(tmp_path: Path) -> None:
    from xenoflow.plots import growth as growth_plots

    data = read_sim()
    study = sim_study()
    res = growth.analyse_study(data, study)
    written = growth_plots.write_growth_figures(res, data, study, tmp_path)
    names = sorted(p.name for p in written)
    assert names == ["growth_curves.png", "growth_curves.svg", "spaghetti.png", "spaghetti.svg"]
    assert all(p.stat().st_size > 1000 for p in written)
    summary = growth_plots.arm_day_summary(data, ARMS)
    day0 = summary[(summary["arm"] == "DrugA") & (summary["day"] == 0)].iloc[0]
    v = data[(data["arm"] == "DrugA") & (data["day"] == 0)]["volume_mm3"]
    assert day0["n"] == 8 and day0["sem"] == pytest.approx(v.std(ddof=1) / math.sqrt(8))


def test_reruns_are_identical(tmp_path: Path) -> None:
    from xenoflow import io
    from xenoflow.plots import growth as growth_plots

    data = read_sim()
    study = sim_study()
    outs = []
    for run in ("a", "b"):
        res = growth.analyse_study(data, study)
        folder = tmp_path / run
        io.write_table(
            "growth_per_mouse", growth.public_per_mouse(res.per_mouse), folder / "pm.tsv"
        )
        io.write_table("growth_model", res.model, folder / "model.tsv")
        io.write_table("growth_contrasts", res.contrasts, folder / "contrasts.tsv")
        growth_plots.write_growth_figures(res, data, study, folder)
        outs.append({p.name: p.read_bytes() for p in sorted(folder.iterdir())})
    assert outs[0] == outs[1]
    model = io.read_table(tmp_path / "a" / "model.tsv", "growth_model")
    # the efficacy rule reads the control's rate from this table
    assert model.loc[model["arm"] == "Vehicle", "growth_rate_per_day"].iloc[0] > 0


def test_log_volumes_orders_rows_by_mouse_then_day():
    """Mice keep their order of first appearance, days ascend within a mouse, and rows with
    equal days keep their input order (an unsorted table is sorted; a sorted one is kept)."""
    data = pd.DataFrame(
        {
            "arm": ["B", "A", "B", "A", "B", "A"],
            "mouse_id": ["2", "1", "2", "1", "2", "1"],
            "day": [7.0, 3.0, 0.0, 0.0, 3.0, 3.0],
            "volume_mm3": [300.0, 150.0, 100.0, 110.0, 200.0, 160.0],
        }
    )
    logd, excl = growth.log_volumes(data, {"log_zero_rule": "drop"})
    assert list(zip(logd["mouse_id"], logd["day"], logd["volume_mm3"])) == [
        ("2", 0.0, 100.0),
        ("2", 3.0, 200.0),
        ("2", 7.0, 300.0),
        ("1", 0.0, 110.0),
        ("1", 3.0, 150.0),
        ("1", 3.0, 160.0),
    ]
    assert list(logd.index) == list(range(6)) and excl.empty
    again, _ = growth.log_volumes(
        logd[["arm", "mouse_id", "day", "volume_mm3"]], {"log_zero_rule": "drop"}
    )
    pd.testing.assert_frame_equal(again, logd)


def _log_volumes_frame(data, settings):
    """The frame-based implementation that log_volumes replaced (reference)."""
    from xenoflow.io import exclusions_frame

    rule = settings.get("log_zero_rule", "drop")
    floor = float(settings.get("log_floor_mm3", 1.0))
    df = data[["arm", "mouse_id", "day", "volume_mm3"]].copy()
    df["arm"] = df["arm"].astype(str)
    df["mouse_id"] = df["mouse_id"].astype(str)
    df["day"] = df["day"].astype(float)
    df["volume_mm3"] = df["volume_mm3"].astype(float)
    rows: list[dict[str, Any]] = []
    missing = df["volume_mm3"].isna()
    if missing.any():
        for r in df[missing].itertuples():
            rows.append(growth._exclusion(r.arm, r.mouse_id, r.day, "volume missing"))
        df = df[~missing]
    if rule == "floor":
        low = df["volume_mm3"] < floor
        df["floored"] = low
        df["volume_used_mm3"] = df["volume_mm3"].where(~low, floor)
    elif rule == "drop":
        nonpos = df["volume_mm3"] <= 0
        if nonpos.any():
            for r in df[nonpos].itertuples():
                rows.append(
                    growth._exclusion(
                        r.arm,
                        r.mouse_id,
                        r.day,
                        f"volume {r.volume_mm3:g} mm3 cannot be log-transformed: left out "
                        "of the log-scale fits (zero volumes are dropped, not floored)",
                    )
                )
            df = df[~nonpos].copy()
        df["floored"] = False
        df["volume_used_mm3"] = df["volume_mm3"]
    else:  # validated by the config schema; guard for direct calls
        from .errors import ConfigError

        raise ConfigError(f"analysis: key 'log_zero_rule': expected drop or floor, got {rule!r}")
    df["log_volume"] = np.log(df["volume_used_mm3"])
    df["mouse"] = [growth.mouse_key(a, m) for a, m in zip(df["arm"], df["mouse_id"])]
    # keep the input's mouse order (arm in study order, then mouse id), days ascending
    first_seen = {m: i for i, m in enumerate(dict.fromkeys(df["mouse"]))}
    order = np.array([first_seen[m] for m in df["mouse"]], dtype=np.int64)
    day = df["day"].to_numpy()
    in_order = np.all(
        (order[1:] > order[:-1]) | ((order[1:] == order[:-1]) & (day[1:] >= day[:-1]))
    )
    if not in_order:  # ingested tables are sorted already; a stable sort would keep them
        df = df.iloc[np.lexsort((day, order))]
    return df.reset_index(drop=True), exclusions_frame(rows)


@pytest.mark.parametrize("rule", ["drop", "floor"])
def test_log_volumes_equal_the_frame_version(rule):
    """Array implementation against the frame version it replaced, exactly, on random tables:
    missing, zero, negative and sub-floor volumes, unsorted rows, ids that are not text."""
    rng = np.random.default_rng(5)
    for _ in range(150):
        n = int(rng.integers(0, 30))
        volumes = np.where(
            rng.random(n) < 0.7,
            rng.lognormal(4, 2, n),
            rng.choice([0.0, -3.0, np.nan, 0.5, 1e-300], n),
        )
        data = pd.DataFrame(
            {
                "arm": rng.choice(["C", "T1", 7], n).astype(object),
                "mouse_id": rng.integers(1, 5, n),
                "day": rng.choice([0.0, 3.5, 7.0, 10.0, 14.0], n),
                "volume_mm3": volumes,
            }
        )
        settings = {"log_zero_rule": rule, "log_floor_mm3": 1.0}
        got, got_excl = growth.log_volumes(data, settings)
        want, want_excl = _log_volumes_frame(data, settings)
        # without rows the old frame had a float64 'mouse' column; text is the right type
        # text is object in pandas 2 and may be pandas 3's str dtype: the values must agree
        text = {c: object for c in ("arm", "mouse_id", "mouse") if c in got}
        pd.testing.assert_frame_equal(
            got.astype(text), want.astype(text), check_exact=True, check_dtype=len(got) > 0
        )
        assert pd.api.types.is_string_dtype(got["mouse"]) or got["mouse"].dtype == object
        pd.testing.assert_frame_equal(got_excl, want_excl, check_exact=True)

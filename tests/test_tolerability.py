"""Issue 20: body-weight tolerability, toxic deaths, regimens and the study-file keys."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from xenoflow import regimen, stages, tolerability
from xenoflow.config import Agent, Tolerability, load_study
from xenoflow.errors import ConfigError, InputError
from xenoflow.ingest import read_source
from xenoflow.survival import read_survival_data, read_survival_file

# --------------------------------------------------------------------------- a small study
# Body weights (g) on days 0, 3, 7, 10, by hand:
#   Drug x1 mouse 1: 20, 18, 17, 19.5 -> %: 0, -10, -15, -2.5
#   Drug x1 mouse 2: 25, 20, 20.5, 20.5 -> %: 0, -20, -18, -18
BODY_WEIGHTS = {
    ("Vehicle", "1"): [20, 21, 22, 22],
    ("Vehicle", "2"): [20, 20, 21, 22],
    ("Drug x1", "1"): [20, 18, 17, 19.5],
    ("Drug x1", "2"): [25, 20, 20.5, 20.5],
    ("Drug x2", "1"): [20, 20, 19, 20],
    ("Drug x2", "2"): [22, 21.5, 21, 22],
}
DAYS = [0, 3, 7, 10]
RATES = {"Vehicle": 0.25, "Drug x1": 0.12, "Drug x2": 0.08}


def write_study(tmp_path: Path, cause: bool = True, **keys: object) -> Path:
    rows = ["arm,mouse_id,day,volume_mm3,body_weight_g"]
    for (arm, mouse), weights in BODY_WEIGHTS.items():
        for day, bw in zip(DAYS, weights, strict=True):
            volume = 100 * math.exp(RATES[arm] * day) * (1 + 0.05 * int(mouse))
            rows.append(f"{arm},{mouse},{day},{volume:.1f},{bw}")
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    surv = ["arm,mouse_id,time_days,event" + (",Cause" if cause else "")]
    causes = {
        ("Vehicle", "1"): (12, 1, "Tumour"),
        ("Vehicle", "2"): (13, 1, "tumor"),
        ("Drug x1", "1"): (11, 1, "TOXICITY"),
        ("Drug x1", "2"): (20, 1, "tumour"),
        ("Drug x2", "1"): (25, 0, ""),
        ("Drug x2", "2"): (22, 1, "other"),
    }
    for (arm, mouse), (t, e, c) in causes.items():
        surv.append(f"{arm},{mouse},{t},{e}" + (f",{c}" if cause else ""))
    (tmp_path / "s.csv").write_text("\n".join(surv) + "\n", encoding="utf-8")
    study = {
        "study_id": "tol",
        "data": "d.csv",
        "control": "Vehicle",
        "survival_data": "s.csv",
        "arms": [
            "Vehicle",
            {
                "name": "Drug x1",
                "agent": "CLR 131",
                "doses": [{"day": 0, "amount": 204.7, "unit": "µCi"}],
            },
            {
                "name": "Drug x2",
                "agent": "CLR 131",
                "doses": [
                    {"day": 0, "amount": 95.7, "unit": "uCi"},
                    {"day": 7, "amount": 109.0, "unit": "μCi"},
                ],
            },
        ],
        "agents": {"CLR 131": {"isotope": "I-131"}},
        "analysis": {"bootstrap_resamples": 100},
    }
    study.update(keys)
    path = tmp_path / "tol.yaml"
    path.write_text(yaml.safe_dump(study, allow_unicode=True), encoding="utf-8")
    return path


def analyse(path: Path) -> dict[str, pd.DataFrame]:
    study = load_study(path)
    recorded = read_survival_file(study.survival_data) if study.survival_data else None
    return dict(stages.analyse_study(study, read_source(study), recorded=recorded).items())


# --------------------------------------------------------------------------- study file


def test_agent_units_isotope_and_defaults(tmp_path):
    study = load_study(write_study(tmp_path))
    assert study.arm("Drug x1").agent == "CLR 131" and study.arm("Vehicle").agent is None
    assert [d.unit for d in study.arm("Drug x2").doses] == ["uCi", "uCi"]  # µ and μ accepted
    assert study.agents["CLR 131"] == Agent("CLR 131", 8.02, "I-131", None)
    assert study.tolerability == Tolerability("first", (15.0, 20.0), 20.0, 0.10)


def test_old_study_files_stay_valid_and_bad_keys_are_named(tmp_path):
    path = write_study(tmp_path, agents=None)
    text = yaml.safe_load(path.read_text(encoding="utf-8"))
    del text["agents"]
    for arm in text["arms"][1:]:
        del arm["agent"]
    path.write_text(yaml.safe_dump(text, allow_unicode=True), encoding="utf-8")
    assert load_study(path).agents == {}
    with pytest.raises(ConfigError, match="'agents/CLR 131': no arm has agent"):
        load_study(
            write_study(
                tmp_path / "..",
                agents={"CLR 131": {"isotope": "I-131"}},
                arms=["Vehicle", "Drug x1", "Drug x2"],
            )
        )
    with pytest.raises(ConfigError, match="unknown isotope 'I-999'"):
        load_study(write_study(tmp_path, agents={"CLR 131": {"isotope": "I-999"}}))
    with pytest.raises(ConfigError, match="key 'arms/1/doses/0/unit'"):
        load_study(
            write_study(
                tmp_path,
                arms=[
                    "Vehicle",
                    {"name": "Drug x1", "doses": [{"day": 0, "amount": 1, "unit": "Gy"}]},
                    "Drug x2",
                ],
                agents={},
            )
        )
    with pytest.raises(ConfigError, match="tolerability/baseline"):
        load_study(write_study(tmp_path, tolerability={"baseline": "last"}))


# --------------------------------------------------------------------------- body weight


def test_percent_change_nadir_recovery_and_auc_by_hand(tmp_path):
    tables = analyse(write_study(tmp_path))
    bw = tables["body_weight"]
    day3 = bw[(bw["arm"] == "Drug x1") & (bw["day"] == 3)].iloc[0]
    # %: -10 and -20 -> mean -15, SD sqrt(5^2 + 5^2) = 7.0711, SEM = SD / sqrt(2) = 5
    assert day3["n"] == 2 and day3["mean_pct_change"] == pytest.approx(-15.0)
    assert day3["sd"] == pytest.approx(math.sqrt(50)) and day3["sem"] == pytest.approx(5.0)
    mice = tables["body_weight_per_mouse"].set_index(["arm", "mouse_id"])
    m1, m2 = mice.loc[("Drug x1", "1")], mice.loc[("Drug x1", "2")]
    assert (m1["nadir_pct"], m1["nadir_day"], m1["recovery_day"]) == pytest.approx((-15, 7, 10))
    # trapezoids: 3*(0-10)/2 + 4*(-10-15)/2 + 3*(-15-2.5)/2 = -15 - 50 - 26.25
    assert m1["bw_auc_pct_day"] == pytest.approx(-91.25)
    assert (m2["nadir_pct"], m2["nadir_day"]) == pytest.approx((-20, 3))
    assert math.isnan(m2["recovery_day"])  # still at -18 % on its last day
    assert m2["baseline_g"] == 25
    tol = tables["tolerability"].set_index("arm")
    drug = tol.loc["Drug x1"]
    # arm means: day 3 (-10-20)/2 = -15, day 7 (-15-18)/2 = -16.5, day 10 -10.25
    assert (
        drug["group_mean_nadir_pct"] == pytest.approx(-16.5) and drug["group_mean_nadir_day"] == 7
    )
    # mice's own nadirs: (-15 - 20)/2
    assert drug["mean_individual_nadir_pct"] == pytest.approx(-17.5)
    assert (drug["n_loss_ge_15pct"], drug["n_loss_ge_20pct"]) == (2, 1)
    # one toxic death of 2 mice = 50 % > 10 %
    assert drug["toxic_deaths"] == 1 and drug["verdict"] == "toxic"
    assert "toxic deaths 1/2 > 10 %" in drug["rule"]
    assert tol.loc["Drug x2", "verdict"] == "tolerated"
    assert tol.loc["Drug x2", "toxic_deaths"] == 0


def test_pre_dose_mean_baseline(tmp_path):
    study = load_study(write_study(tmp_path, tolerability={"baseline": "pre_dose_mean"}))
    m = pd.DataFrame(
        {
            "arm": ["Drug x2"] * 4,
            "mouse_id": ["1"] * 4,
            "day": [-3.0, 0.0, 3.0, 7.0],
            "volume_mm3": 1.0,
            "body_weight_g": [19.0, 21.0, 18.0, 20.0],
        }
    )
    pct = tolerability.percent_change(m, study)
    # baseline = mean(19, 21) = 20 (weighings on or before the first dose, day 0)
    assert pct["baseline_g"].tolist() == [20.0] * 4
    assert pct["pct_change"].tolist() == pytest.approx([-5, 5, -10, 0])
    assert pct["after_baseline"].tolist() == [False, False, True, True]


def test_toxic_deaths_censored_for_tumour_endpoints(tmp_path):
    tables = analyse(write_study(tmp_path))
    per_mouse = tables["survival_per_mouse"].set_index(["arm", "mouse_id"])
    assert per_mouse.loc[("Drug x1", "1"), "event"] == 0  # toxic death: censored for tumour
    assert per_mouse.loc[("Drug x1", "1"), "cause"] == "toxicity"
    assert per_mouse.loc[("Vehicle", "2"), "cause"] == "tumour"
    assert per_mouse.loc[("Drug x2", "2"), "event"] == 0


def test_cause_errors_name_row_and_column(tmp_path):
    write_study(tmp_path)
    path = tmp_path / "s.csv"
    path.write_text("arm,mouse_id,time_days,event,cause\nVehicle,1,5,1,poison\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"s.csv: row 2, column 'cause': 'poison' is not a cause"):
        read_survival_data(path)
    path.write_text(
        "arm,mouse_id,time_days,event,cause\nVehicle,1,5,0,toxicity\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match="row 2, column 'cause': cause 'toxicity' for a censored"):
        read_survival_data(path)
    path.write_text("arm,mouse_id,time_days,event,Why\nVehicle,1,5,1,toxic\n", encoding="utf-8")
    assert read_survival_data(path, {"cause": "Why"})["cause"].tolist() == ["toxicity"]


def test_aalen_johansen_matches_cmprsk():
    # R 4.x, cmprsk 2.2:
    #   ftime <- c(3, 5, 5, 7, 8, 8, 10, 12, 12, 15, 18, 20)
    #   fstatus <- c(2, 1, 0, 2, 1, 2, 0, 1, 3, 2, 0, 1)
    #   timepoints(cuminc(ftime, fstatus, cencode = 0), c(3, 7, 8, 12, 15, 20))$est
    ftime = [3, 5, 5, 7, 8, 8, 10, 12, 12, 15, 18, 20]
    fstatus = [2, 1, 0, 2, 1, 2, 0, 1, 3, 2, 0, 1]
    golden = {
        1: [0.0, 0.0833333333333, 0.175925925926, 0.287037037037, 0.287037037037, 0.509259259259],
        2: [
            0.0833333333333,
            0.1759259259259,
            0.268518518519,
            0.268518518519,
            0.379629629630,
            0.379629629630,
        ],
        3: [0.0, 0.0, 0.0, 0.111111111111, 0.111111111111, 0.111111111111],
    }
    at = [3, 7, 8, 12, 15, 20]
    for cause, expected in golden.items():
        times, inc = tolerability.aalen_johansen(ftime, fstatus, cause)
        got = [
            inc[np.searchsorted(times, t, side="right") - 1] if t >= times[0] else 0.0 for t in at
        ]
        assert got == pytest.approx(expected, abs=1e-10), cause
    # timepoints(cuminc(c(4, 6, 6, 9, 11), c(2, 0, 2, 1, 0), cencode = 0), 11)$est: 0.3, 0.4
    surv = pd.DataFrame(
        {
            "arm": "A",
            "time_days": [4.0, 6, 6, 9, 11],
            "cause": ["toxicity", "", "toxicity", "tumour", ""],
        }
    )
    deaths = tolerability.toxic_deaths(surv, ["A"]).iloc[0]
    assert deaths["toxic_deaths"] == 2 and deaths["toxic_death_incidence"] == pytest.approx(0.4)


# --------------------------------------------------------------------------- plausibility


def test_implausible_weights_are_excluded_with_reasons_and_volumes_kept(tmp_path):
    path = write_study(tmp_path, cause=False)
    data = tmp_path / "d.csv"
    lines = data.read_text(encoding="utf-8").splitlines()
    # row 3 (Vehicle 1, day 3): negative; row 4 (day 7): 308 g; row 7 (Vehicle 2, day 3): spike
    lines[2] = lines[2].rsplit(",", 1)[0] + ",-0.1"
    lines[3] = lines[3].rsplit(",", 1)[0] + ",308"
    lines[6] = lines[6].rsplit(",", 1)[0] + ",29"  # 20 -> 29 -> 21: +45 % and +38 %
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tables = analyse(path)
    excl = tables["exclusions"]
    assert len(excl) == 3
    reasons = excl["reason"].tolist()
    assert reasons[0].startswith("row 3: body weight -0.1 g outside the plausible range 10-100 g")
    assert reasons[1].startswith("row 4: body weight 308 g outside")
    assert reasons[2].startswith("row 7: body weight 29 g is more than 30 % above both")
    assert all("the volume kept" in r for r in reasons)
    m = tables["measurements"]
    vehicle1 = m[(m["arm"] == "Vehicle") & (m["mouse_id"] == "1")]
    assert vehicle1["volume_mm3"].notna().all() and vehicle1["body_weight_g"].isna().sum() == 2
    # the verdict of the arm says how many weights it lost and why; the other arms' say nothing
    tol = tables["tolerability"].set_index("arm")
    assert tol.loc["Vehicle", "n_weights_excluded"] == 3
    assert tol.loc["Drug x1", "n_weights_excluded"] == 0
    assert (
        "3 body weights of this arm left out as recording errors (mouse 1, day 3: body "
        in (tol.loc["Vehicle", "rule"])
    )
    assert "mouse 2, day 3: body weight 29 g is more than 30 % above" in tol.loc["Vehicle", "rule"]
    assert "left out" not in tol.loc["Drug x1", "rule"]
    summary = str(stages.run_summary(load_study(path), tables)["summary_md"])
    assert "Vehicle / mouse 1 day 7: row 4: body weight 308 g outside" in summary


# Body weights (g) of a fast, arm-wide loss after one large dose (issue 26): every mouse of
# "Single" loses ~27 % by day 3 and stays down; "Fractions" loses ~14 % slowly; Vehicle gains.
FAST_LOSS = {
    "Vehicle": [1.0, 1.01, 1.02, 1.04, 1.05],
    "Single": [1.0, 0.73, 0.72, 0.74, 0.76],
    "Fractions": [1.0, 0.97, 0.93, 0.89, 0.86],
}


def _fast_loss_study(tmp_path: Path, factors: dict[str, list[float]], mice: int = 6) -> Path:
    rows = ["arm,mouse_id,day,volume_mm3,body_weight_g"]
    for arm, factor in factors.items():
        for mouse in range(1, mice + 1):
            start = 20.0 + mouse
            for day, f in zip([0, 3, 7, 10, 14], factor, strict=True):
                jitter = 1 + 0.004 * ((mouse + day) % 3 - 1)
                rows.append(f"{arm},{mouse},{day},{100 + 10 * day},{start * f * jitter:.2f}")
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    study = {"study_id": "fast", "data": "d.csv", "control": "Vehicle", "arms": list(factors)}
    study["analysis"] = {"bootstrap_resamples": 100}
    path = tmp_path / "fast.yaml"
    path.write_text(yaml.safe_dump(study), encoding="utf-8")
    return path


def test_a_fast_loss_shared_by_the_arm_is_kept_and_the_arm_is_toxic(tmp_path):
    # The two-sided rule of before removed every Single mouse's baseline (25 -> 18 g is a
    # first weighing "30 % from the next"), made the nadir +5.6 % and the arm "tolerated".
    tables = analyse(_fast_loss_study(tmp_path, FAST_LOSS))
    assert tables["exclusions"].empty
    tol = tables["tolerability"].set_index("arm")
    assert tol.loc["Single", "verdict"] == "toxic"
    assert tol.loc["Single", "group_mean_nadir_pct"] == pytest.approx(-28, abs=1)
    assert tol.loc["Single", "n_loss_ge_20pct"] == 6
    assert tol.loc["Fractions", "verdict"] == "tolerated"
    assert tol.loc["Fractions", "group_mean_nadir_pct"] == pytest.approx(-14, abs=1)


def test_a_loss_of_a_mouse_alone_is_never_removed(tmp_path):
    # One mouse per arm (a PDX trial): nothing to share, and still a loss at the start, a dip
    # with recovery and a terminal loss stay; only the jump up is a recording error.
    factors = {
        "Vehicle": [1.0, 1.01, 1.02, 1.04, 1.05],
        "Early": [1.0, 0.72, 0.74, 0.75, 0.77],
        "Dip": [1.0, 0.99, 0.70, 0.98, 0.99],
        "Dying": [1.0, 0.98, 0.97, 0.95, 0.70],
        "Spike": [1.0, 1.01, 1.40, 1.02, 1.03],
    }
    tables = analyse(_fast_loss_study(tmp_path, factors, mice=1))
    excl = tables["exclusions"]
    assert excl[["arm", "day"]].values.tolist() == [["Spike", 7]]
    tol = tables["tolerability"].set_index("arm")
    assert (tol.loc[["Early", "Dip", "Dying"], "n_loss_ge_20pct"] == 1).all()
    assert tol.loc["Spike", "n_weights_excluded"] == 1
    summary = str(stages.run_summary(load_study(tmp_path / "fast.yaml"), tables)["summary_md"])
    assert "one body weight left out as recording error (an isolated jump up" in summary


def test_a_jump_shared_by_the_arm_is_kept_an_isolated_one_is_not():
    days = [0, 3, 7, 10]
    rows = []
    for mouse in range(1, 5):
        # every mouse of A weighs 35 % more on day 7 (a scale not tared): shared, kept
        rows += [("A", str(mouse), d, w) for d, w in zip(days, [20, 20.5, 27.5, 20.8])]
        # only mouse 1 of B does: an isolated spike
        spike = 27.5 if mouse == 1 else 20.6
        rows += [("B", str(mouse), d, w) for d, w in zip(days, [20, 20.5, spike, 20.8])]
    df = pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "body_weight_g"])
    flagged = df[tolerability.implausible_body_weights(df) != ""]
    assert flagged[["arm", "mouse_id", "day"]].values.tolist() == [["B", "1", 7]]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(10.0, 60.0), min_size=2, max_size=9))
def test_an_exclusion_never_hides_a_loss(weights):
    # For any one mouse's weighings: if they show a loss from the first weighing, the nadir on
    # the weighings the rule keeps is at least that loss (never a smaller loss, never a gain).
    df = pd.DataFrame(
        {"arm": "A", "mouse_id": "1", "day": range(len(weights)), "body_weight_g": weights}
    )
    kept = df[tolerability.implausible_body_weights(df) == ""]
    raw = 100 * (min(weights[1:]) / weights[0] - 1)
    assume(raw < 0)
    w = kept["body_weight_g"].to_numpy()
    assert len(w) >= 2
    assert 100 * (w[1:].min() / w[0] - 1) <= raw + 1e-9


def _independent_flags(df: pd.DataFrame) -> set[int]:
    """The plausibility rule written out as loops over mice (the module's rule, computed
    another way)."""
    bad = set(df.index[(df["body_weight_g"] < 10) | (df["body_weight_g"] > 100)])
    series = {}  # (arm, mouse) -> [(row, day, weight)] in day order, in range
    for key, d in df[df["body_weight_g"].notna()].groupby(["arm", "mouse_id"]):
        d = d.sort_values("day", kind="mergesort")
        series[key] = [(i, d.at[i, "day"], d.at[i, "body_weight_g"]) for i in d.index]
        series[key] = [x for x in series[key] if x[0] not in bad]

    def steps(which: str) -> dict[tuple[str, float], dict[str, float]]:
        # (arm, day) -> mouse -> log ratio to the previous ("prev") or next weighing
        out: dict[tuple[str, float], dict[str, float]] = {}
        for (arm, mouse), xs in series.items():
            for k, (_, day, w) in enumerate(xs):
                j = k - 1 if which == "prev" else k + 1
                if 0 <= j < len(xs):
                    out.setdefault((arm, day), {})[mouse] = math.log(w / xs[j][2])
        return out

    def shared(arm: str, mouse: str, day: float, step: float, table: dict) -> bool:
        others = [v for m, v in table.get((arm, day), {}).items() if m != mouse]
        median = float(np.median(others)) if others else 0.0
        return np.sign(median) == np.sign(step) and abs(median) >= math.log(1.3) / 2

    prev = steps("prev")
    spikes = set()
    for (arm, mouse), xs in series.items():
        for k in range(1, len(xs) - 1):
            (i, day, w), a, b = xs[k], xs[k - 1][2], xs[k + 1][2]
            if w > 1.3 * max(a, b) and not shared(arm, mouse, day, math.log(w / a), prev):
                spikes.add(i)
    bad |= spikes
    series = {key: [x for x in xs if x[0] not in spikes] for key, xs in series.items()}
    prev, nxt = steps("prev"), steps("next")
    for (arm, mouse), xs in series.items():
        if len(xs) < 3:
            continue
        (i0, d0, w0), w1 = xs[0], xs[1][2]
        if w1 > 1.3 * w0 and not shared(arm, mouse, d0, math.log(w0 / w1), nxt):
            bad.add(i0)  # a first weighing far below the next one
        (i9, d9, w9), w8 = xs[-1], xs[-2][2]
        if w9 > 1.3 * w8 and not shared(arm, mouse, d9, math.log(w9 / w8), prev):
            bad.add(i9)  # a last weighing far above the one before
    return bad


def test_pdx_encyclopedia_weights_against_an_independent_computation(shared_data):
    raw = pd.read_csv(shared_data / "drap_pdxe_full" / "volumes.csv", dtype={"mouse_id": str})
    raw["arm"] = raw["model"] + "/" + raw["arm"]
    flags = tolerability.implausible_body_weights(raw)
    assert set(flags.index[flags != ""]) == _independent_flags(raw)
    by_range = raw["body_weight_g"].lt(10) | raw["body_weight_g"].gt(100)
    assert by_range.sum() == 6  # -0.1 (twice), 2.8, 122.5, 219, 308
    # 10 spikes up and one first weighing (13.0 g before 20.57 g); the two-sided rule of
    # before also removed 21 first or last weighings that each continue a loss
    assert (flags != "").sum() == 17
    assert flags.str.contains("above both neighbouring").sum() == 10
    # tolerability tables on the plausible weights against plain pandas
    clean = raw.assign(body_weight_g=raw["body_weight_g"].where(flags == ""))
    models = sorted(clean["model"].unique())[:40]
    clean = clean[clean["model"].isin(models)]
    arms = list(dict.fromkeys(clean["arm"]))
    study = load_study_stub(arms)
    pct = tolerability.percent_change(clean, study)
    per_mouse = tolerability.per_mouse_table(pct, arms).set_index(["arm", "mouse_id"])
    for (arm, mouse), d in clean.dropna(subset=["body_weight_g"]).groupby(["arm", "mouse_id"]):
        d = d.sort_values("day")
        change = 100 * (d["body_weight_g"] / d["body_weight_g"].iloc[0] - 1)
        after = change.iloc[1:]
        got = per_mouse.loc[(arm, mouse)]
        if len(after):
            assert got["nadir_pct"] == pytest.approx(after.min())
            assert got["nadir_day"] == d["day"].iloc[1:][after.idxmin() == after.index].iloc[0]
        assert (
            got["bw_auc_pct_day"] == pytest.approx(np.trapezoid(change, d["day"]))
            if len(d) > 1
            else math.isnan(got["bw_auc_pct_day"])
        )
    # arm means per day and the group-mean nadir, by plain pandas
    weighed = clean.dropna(subset=["body_weight_g"]).sort_values(["arm", "mouse_id", "day"])
    first = weighed.groupby(["arm", "mouse_id"])["body_weight_g"].transform("first")
    weighed = weighed.assign(pct=100 * (weighed["body_weight_g"] / first - 1))
    means = weighed.groupby(["arm", "day"])["pct"].agg(["mean", "size"])
    table = tolerability.body_weight_table(pct, arms).set_index(["arm", "day"])
    assert len(table) == len(means)
    np.testing.assert_allclose(table.loc[means.index, "mean_pct_change"], means["mean"])
    assert (table.loc[means.index, "n"].to_numpy() == means["size"].to_numpy()).all()
    later = weighed[weighed["day"] > weighed.groupby(["arm", "mouse_id"])["day"].transform("min")]
    nadir = later.groupby(["arm", "day"])["pct"].mean().groupby(level=0).min()
    tol = tolerability.tolerability_table(
        clean, pct, per_mouse.reset_index(), pd.DataFrame(), arms, Tolerability()
    ).set_index("arm")
    np.testing.assert_allclose(tol.loc[nadir.index, "group_mean_nadir_pct"], nadir)


def load_study_stub(arms: list[str]):
    from xenoflow.config import Arm, Study

    return Study(
        study_id="pdxe",
        path=Path("pdxe.yaml"),
        data=Path("volumes.csv"),
        control=arms[0],
        arms=tuple(Arm(a) for a in arms),
        settings={},
    )


# --------------------------------------------------------------------------- regimens


def test_decay_cumulated_activity_and_bsa_by_hand(tmp_path):
    tables = analyse(write_study(tmp_path))
    reg = tables["regimen"].set_index("arm")
    x2 = reg.loc["Drug x2"]
    lam = math.log(2) / 8.02  # 0.0864273 per day
    # 95.7 uCi decays to 95.7 * exp(-7 * 0.0864273) = 52.26 uCi by day 7; + 109.0 = 161.26
    assert x2["activity_after_each_dose"] == "95.7;161.3"
    assert x2["cumulative_dose"] == pytest.approx(204.7)
    # 204.7 / 0.0864273 = 2368.5 uCi*d, the same as the single 204.7 uCi dose
    assert x2["cumulated_activity"] == pytest.approx(204.7 / lam)
    assert reg.loc["Drug x1", "cumulated_activity"] == pytest.approx(x2["cumulated_activity"])
    assert x2["dose_interval_days"] == 7 and x2["dose_intensity_per_week"] == pytest.approx(102.35)
    # per kg: mouse 1 95.7/0.020 + 109/0.019 = 4785 + 5736.84; mouse 2 95.7/0.022 + 109/0.021
    # = 4350 + 5190.48; mean = 10031.16 uCi/kg; per m2 x 3; HED x 3/37
    per_kg = ((4785 + 109 / 0.019) + (4350 + 109 / 0.021)) / 2
    assert x2["cumulative_dose_per_kg"] == pytest.approx(per_kg)
    assert x2["cumulative_dose_per_m2"] == pytest.approx(per_kg * 3)
    assert x2["hed_per_kg"] == pytest.approx(per_kg * 3 / 37)
    assert "radiopharmaceutical" in x2["note"] and x2["dose_per_kg_unit"] == "uCi/kg"
    assert math.isnan(reg.loc["Drug x1", "dose_intensity_per_week"])


def test_biological_half_life_and_mass_units():
    agent = Agent("X", 6.647, "Lu-177", biological_half_life_days=20.0)
    # 1/T_eff = 1/6.647 + 1/20 -> T_eff = 4.98893
    assert math.log(2) / regimen.decay_constant(agent) == pytest.approx(1 / (1 / 6.647 + 1 / 20))
    assert regimen.to_per_kg("mg/m2") == ("mg/kg", pytest.approx(1 / 3))
    assert regimen.activity_after_doses([0, 7], [100, 100], math.log(2) / 7) == pytest.approx(
        [100, 150]
    )


def test_regimen_comparison_pairs_and_reuses_existing_tests(tmp_path):
    tables = analyse(write_study(tmp_path))
    comp = tables["regimen_comparison"]
    assert comp[["arm", "reference"]].values.tolist() == [["Drug x2", "Drug x1"]]
    row = comp.iloc[0]
    contrast = tables["growth_contrasts"]
    c = contrast[(contrast["arm"] == "Drug x2") & (contrast["reference"] == "Drug x1")]
    if len(c):
        assert row["rate_diff"] == c["estimate"].iloc[0]
    else:
        c = contrast[(contrast["arm"] == "Drug x1") & (contrast["reference"] == "Drug x2")]
        assert row["rate_diff"] == -c["estimate"].iloc[0]
        assert row["rate_diff_ci_low"] == -c["ci_high"].iloc[0]
    tests = tables["survival_tests"]
    t = tests[(tests["arm"] == "Drug x2") & (tests["reference"] == "Drug x1")]
    assert row["logrank_p"] == t["logrank_p"].iloc[0]
    assert row["group_mean_nadir_pct_reference"] == pytest.approx(-16.5)
    assert row["toxic_deaths_arm"] == 0 and row["toxic_deaths_reference"] == 1
    assert row["cumulative_dose_arm"] == row["cumulative_dose_reference"] == pytest.approx(204.7)


def test_figures_are_drawn_from_the_stage(tmp_path):
    from xenoflow import figures

    study = load_study(write_study(tmp_path))
    tables = analyse(tmp_path / "tol.yaml")
    out = stages.run_tolerability(study, tables)
    drawn = figures.tolerability(study, out)
    assert set(drawn) == {"body_weight_figure", "therapeutic_window", "what_if_figure"}
    # two panels of data (mean ± SEM, every mouse) and the n strip
    axes = drawn["body_weight_figure"].axes
    assert len(axes[0].lines) > 0 and len(axes[1].lines) == len(BODY_WEIGHTS) + 3
    window = drawn["therapeutic_window"].axes[0]
    # one point per treated arm, and each arm's whiskers (the nadir's and %T/C's intervals)
    points = [c for c in window.collections if type(c).__name__ == "PathCollection"]
    assert len(points) == 2
    whiskers = [c for c in window.collections if type(c).__name__ == "LineCollection"]
    assert whiskers, "no interval drawn"
    segments = [seg for c in whiskers for seg in c.get_segments()]
    horizontal = [s for s in segments if s[0][1] == s[1][1] and s[0][0] != s[1][0]]
    assert len(horizontal) >= 1  # at least one nadir interval (arms with >= 2 mice weighed)


def test_summary_sentences_and_workbook_sheets(tmp_path):
    import io as bytes_io

    study = load_study(write_study(tmp_path))
    tables = analyse(tmp_path / "tol.yaml")
    documents = stages.run_summary(study, tables)
    text = str(documents["summary_md"])
    section = text[text.index("## Regimens and tolerability") :]
    # hand values of test_percent_change_nadir_recovery_and_auc_by_hand; 204.7 uCi / lambda
    assert (
        "Drug x1: one dose of CLR 131 (total 204.7 µCi; cumulated activity 2,368 µCi·d)" in section
    )
    assert "mean body-weight nadir -16.5% on day 7, 1 of 2 mice lost ≥ 20%" in section
    assert "one toxic death (cumulative incidence 50%); toxic." in section
    assert "Regimen verdict: Drug x2 is the better regimen" in section
    assert "total 204.7 vs 204.7 µCi of CLR 131" in section
    assert "only tumour-related deaths are events of the tumour endpoints; one toxic death" in text
    sheets = pd.read_excel(bytes_io.BytesIO(documents["study_xlsx"]), sheet_name=None)
    for name in ("body_weight", "body_weight_per_mouse", "tolerability", "regimen"):
        assert name in sheets, name
    assert sheets["regimen_comparison"]["Arm"].tolist() == ["Drug x2"]  # the registry's header


# --------------------------------------------------------------------------- dose-response
# R 4.x:
#   dose <- rep(c(0, 10, 30, 100), each = 4)
#   rate <- c(0.120, 0.112, 0.125, 0.118, 0.095, 0.101, 0.088, 0.097,
#             0.071, 0.064, 0.078, 0.069, 0.052, 0.047, 0.058, 0.050)
#   fit <- nls(rate ~ e0 + emax * dose / (ed50 + dose),
#              start = list(e0 = 0.12, emax = -0.08, ed50 = 20),
#              control = nls.control(tol = 1e-8, maxiter = 200, minFactor = 1e-10))
#   (nls's default tol = 1e-5 stops at emax = -0.0836511133, 1e-6 relative from the minimum)
#   summary(fit)$coefficients; AIC(fit)
#   lfit <- lm(rate ~ log(dose + 0.01 * max(dose))); summary(lfit)$coefficients; AIC(lfit)
DOSES = [0, 10, 30, 100]
DR_RATES = [0.120, 0.112, 0.125, 0.118, 0.095, 0.101, 0.088, 0.097]
DR_RATES += [0.071, 0.064, 0.078, 0.069, 0.052, 0.047, 0.058, 0.050]
R_EMAX = {
    "e0": (0.1191365611650, 0.00257877723546),
    "effect": (-0.0836512009135, 0.00555673637503),
    "ed50": (23.1864981719931, 4.94754518852487),
}
R_LINLOG = {
    "e0": (0.1222274193601, 0.00323186188020),
    "effect": (-0.0146127724407, 0.00103713371046),
}


def test_emax_and_linlog_match_r():
    from xenoflow import doseresponse

    dose = np.repeat(np.array(DOSES, float), 4)
    emax = doseresponse.fit_emax(dose, np.array(DR_RATES))
    for key, (est, se) in R_EMAX.items():
        assert emax[key] == pytest.approx(est, rel=1e-6), key
        assert emax[f"{key}_se"] == pytest.approx(se, rel=1e-6), key
    assert emax["aic"] == pytest.approx(-117.89990162, rel=1e-9)
    linlog = doseresponse.fit_linlog(dose, np.array(DR_RATES))
    for key, (est, se) in R_LINLOG.items():
        assert linlog[key] == pytest.approx(est, rel=1e-9), key
        assert linlog[f"{key}_se"] == pytest.approx(se, rel=1e-9), key
    assert linlog["aic"] == pytest.approx(-109.275157554, rel=1e-9)


def test_dose_response_table_needs_three_levels(tmp_path):
    from xenoflow import doseresponse
    from xenoflow.config import Arm, Dose, Study

    names = ["Vehicle", "D10", "D30", "D100"]
    arms = (Arm("Vehicle"),) + tuple(
        Arm(n, doses=(Dose(0.0, float(d), "mg/kg"),), agent="X")
        for n, d in zip(names[1:], DOSES[1:], strict=True)
    )
    study = Study("dr", Path("dr.yaml"), Path("d.csv"), "Vehicle", arms, {"alpha": 0.05})
    measurements = pd.DataFrame({"arm": names, "mouse_id": "1", "day": 0.0, "volume_mm3": 1.0})
    reg = regimen.regimen_table(study, measurements)
    growth = pd.DataFrame(
        {
            "arm": np.repeat(names, 4),
            "mouse_id": [str(i) for i in range(16)],
            "growth_rate_per_day": DR_RATES,
        }
    )
    table = doseresponse.dose_response(study, reg, growth, 0.05).set_index("model")
    assert (
        table.loc["emax", "selected"] and not table.loc["linlog", "selected"]
    )  # AIC -117.9 < -109.3
    # Wald t interval on 13 df: 23.18637 -/+ qt(0.975, 13) * 4.947514 (qt = 2.160369)
    assert table.loc["emax", "ed50_ci_low"] == pytest.approx(
        23.1863729 - 2.1603687 * 4.9475144, rel=1e-5
    )
    assert table.loc["emax", "n_dose_levels"] == 4 and table.loc["emax", "dose_unit"] == "mg/kg"
    two_levels = reg[reg["arm"] != "D100"]
    assert doseresponse.dose_response(study, two_levels, growth, 0.05).empty


def test_dose_response_sentence():
    from xenoflow.config import Arm, Study
    from xenoflow.summary import regimen_sentences

    study = Study("dr", Path("dr.yaml"), Path("d.csv"), "V", (Arm("V"),), {"alpha": 0.05})
    fit = pd.DataFrame(
        [
            {"agent": "X", "model": "emax", "selected": True, "n_mice": 16, "n_dose_levels": 4}
            | {"dose_unit": "mg/kg", "ed50": 23.19, "ed50_ci_low": 12.5, "ed50_ci_high": 33.9},
            {"agent": "X", "model": "linlog", "selected": False, "n_mice": 16, "n_dose_levels": 4},
        ]
    )
    (sentence,) = regimen_sentences(study, {"dose_response": fit})
    assert sentence == (
        "Dose–response of X (4 dose levels, 16 mice; growth rate against cumulative dose): "
        "emax model selected by AIC, ED50 23.2 mg/kg (95% CI 12 to 34)."
    )


def test_a_toxic_arm_gets_no_nci_activity_in_the_efficacy_table(tmp_path):
    path = _fast_loss_study(tmp_path, FAST_LOSS)
    study = load_study(path)
    tables = analyse(path)
    assert tolerability.toxic_arms(study, tables["measurements"], None) == {
        "Single": "group-mean body-weight nadir -28.0%"
    }
    eff = tables["efficacy"]
    single = eff.loc[(eff["arm"] == "Single") & eff["tc_pct"].notna(), "nci_activity"]
    assert (
        len(single)
        and (single == "not scored: toxic dose (group-mean body-weight nadir -28.0%)").all()
    )
    fractions = eff.loc[(eff["arm"] == "Fractions") & eff["tc_pct"].notna(), "nci_activity"]
    assert not fractions.str.startswith("not scored").any()


@pytest.mark.parametrize(
    "path", sorted((Path(__file__).resolve().parents[1] / "config" / "studies").glob("*.yaml"))
)
def test_toxic_arms_are_the_tables_toxic_verdicts(path):
    # toxic_arms computes only what the verdict reads; it must name exactly the treated arms
    # tolerability.tsv calls toxic
    study = load_study(path, {"bootstrap_resamples": 100})
    recorded = read_survival_file(study.survival_data) if study.survival_data else None
    tables = stages.analyse_study(study, read_source(study), recorded=recorded)
    tol = tables["tolerability"]
    expected = set(tol.loc[(tol["verdict"] == "toxic") & (tol["arm"] != study.control), "arm"])
    got = tolerability.toxic_arms(study, tables["measurements"], tables["survival_per_mouse"])
    assert set(got) == expected


# --------------------------------------------------------------------------- regimen verdict


def _pair(**over):
    row = {
        "arm": "Split",
        "reference": "Single",
        "agent": "X",
        "dose_unit": "uCi",
        "cumulative_dose_arm": 220.0,
        "cumulative_dose_reference": 220.0,
        "rate_diff": 0.004,
        "rate_diff_ci_low": -0.05,
        "rate_diff_ci_high": 0.06,
        "verdict_arm": "tolerated",
        "verdict_reference": "toxic",
        "toxic_deaths_arm": 0,
        "toxic_deaths_reference": 2,
        "group_mean_nadir_pct_arm": -7.3,
        "group_mean_nadir_pct_reference": -17.1,
        "efs_hr": float("nan"),
        "efs_logrank_p": float("nan"),
    }
    return {**row, **over}


@pytest.mark.parametrize(
    ("over", "head"),
    [
        ({}, "Split is the better regimen (better tolerated, efficacy not detectably different)"),
        (
            {"verdict_arm": "tolerated", "verdict_reference": "tolerated", "rate_diff": -0.05,
             "rate_diff_ci_low": -0.08, "rate_diff_ci_high": -0.02},
            "Split is the better regimen (more effective, tolerability no worse)",
        ),
        (
            {"rate_diff": 0.05, "rate_diff_ci_low": 0.02, "rate_diff_ci_high": 0.08},
            "no regimen is better on both counts: Single is more effective, Split better tolerated",
        ),
        (
            {"verdict_reference": "tolerated"},
            "neither Split nor Single is shown better",
        ),
    ],
)  # fmt: skip
def test_regimen_verdict_follows_its_stated_rule(over, head):
    from xenoflow.summary.regimens import VERDICT_RULE, regimen_verdict

    text = regimen_verdict(_pair(**over))
    assert text.startswith(f"Regimen verdict: {head}"), text
    assert text.endswith(f"The rule: {VERDICT_RULE}.")
    if "rate_diff_ci_low" not in over:  # a CI spanning 0 is not read as equal efficacy
        assert "which does not rule out a difference in efficacy" in text


def test_regimen_verdict_of_two_phase_arms_quotes_no_one_rate_difference():
    from xenoflow.summary.regimens import regimen_verdict

    text = regimen_verdict(_pair(), phased={"Split"})
    assert "growth-rate difference Split" not in text
    assert "no one-rate difference (Split shrinks then regrows" in text
    assert "(better tolerated; efficacy is compared by the two-phase rates)" in text

"""Baseline balance across arms, the baseline-adjusted comparison (ANCOVA) and arms measured
on another calendar than the control (issue 30 item 3; ``baseline_balance.tsv``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from xenoflow import stages
from xenoflow.config import load_study
from xenoflow.ingest import read_source

# v0 = day-0 volume, v = day-14 volume; arm B starts larger (not balanced at baseline)
MICE = pd.DataFrame(
    {
        "arm": ["Control"] * 5 + ["A"] * 5 + ["B"] * 5,
        "v0": [95, 110, 102, 120, 88, 100, 130, 92, 115, 105, 160, 185, 150, 200, 170],
        "v": [900, 1150, 980, 1400, 760, 420, 610, 350, 560, 470, 900, 1150, 820, 1300, 980],
    }
)

# R 4.x, MICE written to d.csv:
#   d <- read.csv("d.csv"); d$arm <- factor(d$arm, levels = c("Control", "A", "B"))
#   anova(lm(log(v0) ~ arm, data = d))                     # F and Pr(>F): sprintf("%.12g")
#   fit <- lm(log(v) ~ log(v0) + arm, data = d); summary(fit)$coefficients; confint(fit)
#   un <- lm(log(v) ~ arm, data = d); summary(un)$coefficients; confint(un)
R_ANOVA = (27.0952315258, 2, 12, 3.55070801446e-05)
R_ADJUSTED = {  # estimate, SE, 2.5 %, 97.5 %, Pr(>|t|); df.residual 11
    "A": (-0.850402007168, 0.0239673110640, -0.903153703147, -0.797650311189, 1.07105037231e-12),
    "B": (-0.894034759451, 0.0511416550591, -1.006596783299, -0.781472735603, 2.25262248484e-09),
}
R_UNADJUSTED = {  # estimate, 2.5 %, 97.5 %, Pr(>|t|)
    "A": (-0.76453884077368, -1.06076060656, -0.468317074989, 1.11892167024e-04),
    "B": (0.00037558696484, -0.29584617882, 0.296597352749, 9.97841184555e-01),
}

STUDY = """study_id: bal
data: m.csv
control: Control
arms: [Control, A, B]
analysis: {bootstrap_resamples: 100, seed: 7}
"""


def _long(mice: pd.DataFrame, days: dict[str, list[float]] | None = None) -> pd.DataFrame:
    """Measurements on days 0, 7 and 14 (the day-7 volume the geometric mean of the two), or
    on ``days[arm]`` (log-linear between V0 on day 0 and V on day 14)."""
    rows = []
    for i, r in enumerate(mice.itertuples(index=False)):
        for d in (days or {}).get(r.arm, [0, 7, 14]):
            v = r.v0 * (r.v / r.v0) ** (d / 14)
            rows.append((r.arm, str(i % 5 + 1), d, round(v, 6)))
    return pd.DataFrame(rows, columns=["arm", "mouse_id", "day", "volume_mm3"])


def _analyse(tmp_path: Path, data: pd.DataFrame) -> tuple[Any, Any]:
    data.to_csv(tmp_path / "m.csv", index=False)
    (tmp_path / "study.yaml").write_text(STUDY, encoding="utf-8")
    study = load_study(tmp_path / "study.yaml")
    return study, stages.analyse_study(study, read_source(study))


def test_balance_and_ancova_match_r(tmp_path: Path) -> None:
    _, t = _analyse(tmp_path, _long(MICE))
    bal = t["baseline_balance"]
    row = bal[bal["analysis"] == "balance"].iloc[0]
    f, df1, df2, p = R_ANOVA
    assert row["f_statistic"] == pytest.approx(f, rel=1e-9)
    assert (row["df_num"], row["df_den"], row["n_mice"]) == (df1, df2, 15)
    assert row["p_value"] == pytest.approx(p, rel=1e-6)
    adj = bal[bal["analysis"] == "adjusted"].set_index("arm")
    assert list(adj.index) == ["A", "B"]
    for arm, (est, se, low, high, p_adj) in R_ADJUSTED.items():
        r = adj.loc[arm]
        assert r["reference"] == "Control" and r["reference_day"] == 14 and r["df"] == 11
        assert [r["estimate"], r["se"], r["ci_low"], r["ci_high"]] == pytest.approx(
            [est, se, low, high], rel=1e-8
        )
        assert r["p_value"] == pytest.approx(p_adj, rel=1e-5)
        assert r["adjusted_ratio"] == pytest.approx(np.exp(est), rel=1e-8)
        assert r["adjusted_ratio_ci_low"] == pytest.approx(np.exp(low), rel=1e-8)
        assert r["adjusted_ratio_ci_high"] == pytest.approx(np.exp(high), rel=1e-8)
        u_est, u_low, u_high, u_p = R_UNADJUSTED[arm]
        assert r["unadjusted_ratio"] == pytest.approx(np.exp(u_est), rel=1e-8)
        assert r["unadjusted_ratio_ci_low"] == pytest.approx(np.exp(u_low), rel=1e-8)
        assert r["unadjusted_ratio_ci_high"] == pytest.approx(np.exp(u_high), rel=1e-8)
        assert r["unadjusted_p_value"] == pytest.approx(u_p, rel=1e-6)
        assert not r["separate_cohort"]


def test_unbalanced_summary_leads_with_adjusted(tmp_path: Path) -> None:
    study, t = _analyse(tmp_path, _long(MICE))
    md = str(stages.run_summary(study, t)["summary_md"])
    design, findings = md.split("## Findings")
    assert (
        "Baseline balance (one-way ANOVA of log baseline volume across arms): F(2, 12) = 27.1, "
        "p < 0.001; the arms were not balanced at baseline" in design
    )
    lead = findings.strip().split("\n\n")
    assert lead[0].startswith("The arms were not balanced at baseline (F(2, 12) = 27.1")
    assert lead[1] == (
        "On day 14, adjusted for baseline volume, the A arm's geometric-mean volume was 0.427 "
        "times the control's (95% CI 0.41 to 0.45, p < 0.001); unadjusted 0.466 (95% CI 0.35 "
        "to 0.63, p < 0.001)."
    )
    assert lead[2].startswith("On day 14, adjusted for baseline volume, the B arm's")


def test_balanced_study(tmp_path: Path) -> None:
    balanced = MICE.copy()
    balanced.loc[balanced["arm"] == "B", "v0"] = [100, 125, 90, 118, 104]
    study, t = _analyse(tmp_path, _long(balanced))
    row = t["baseline_balance"].iloc[0]
    assert row["p_value"] > 0.01
    md = str(stages.run_summary(study, t)["summary_md"])
    design, findings = md.split("## Findings")
    assert "no sign of imbalance between the arms at baseline." in design
    assert "adjusted for baseline volume" not in findings
    assert "separate cohort" not in md


def test_imbalance_below_alpha_is_not_called_no_sign(tmp_path: Path) -> None:
    """p between IMBALANCE_P (0.01) and alpha (0.05): the unadjusted comparison still leads,
    but the design says the arms differ at the usual level, never "no sign of imbalance"."""
    mild = MICE.copy()
    mild.loc[mild["arm"] == "B", "v0"] = [120, 140, 115, 150, 125]
    study, t = _analyse(tmp_path, _long(mild))
    # R 4.x: d$v0 <- c(95, 110, 102, 120, 88, 100, 130, 92, 115, 105, 120, 140, 115, 150, 125)
    #   anova(lm(log(v0) ~ arm, data = d))  # F 5.09878492407, Pr(>F) 0.024960592425
    row = t["baseline_balance"].iloc[0]
    assert [row["f_statistic"], row["p_value"]] == pytest.approx(
        [5.09878492407, 0.024960592425], rel=1e-9
    )
    md = str(stages.run_summary(study, t)["summary_md"])
    design, findings = md.split("## Findings")
    assert (
        "F(2, 12) = 5.10, p = 0.025; some imbalance between the arms at baseline (p below "
        "0.05, though not below the 0.01 at which the comparison adjusted for baseline volume "
        "leads the findings; it closes them, as a check)." in design
    )
    assert "no sign of imbalance" not in md
    # the unadjusted findings lead; the adjusted comparison closes the findings
    paragraphs = findings.split("\n\n## ")[0].strip().split("\n\n")
    assert not paragraphs[0].startswith("The arms")
    check = paragraphs.index(
        "The arms differed at baseline at the 0.05 level, though not below 0.01 (F(2, 12) = "
        "5.10, p = 0.025); as a check of the findings above, the comparison adjusted for each "
        "mouse's baseline volume (ANCOVA of log volume):"
    )
    assert [p.split(" arm's")[0] for p in paragraphs[check + 1 :]] == [
        "On day 14, adjusted for baseline volume, the A",
        "On day 14, adjusted for baseline volume, the B",
    ]


def test_arm_followed_past_the_control_is_not_flagged(tmp_path: Path) -> None:
    """A measured on the control's days and on, after the control's last day (the control
    reached its endpoint): the same calendar, no warning."""
    data = _long(MICE, {"A": [0, 7, 14, 21, 28, 35]})
    _, t = _analyse(tmp_path, data)
    adj = t["baseline_balance"].set_index("arm")
    assert adj.loc["A", "days_shared"] == adj.loc["A", "days_followed"] == 2
    assert adj.loc[["A", "B"], "separate_cohort"].tolist() == [False, False]
    assert not t["warnings"]["message"].str.contains("separate cohort").any()


def test_arm_on_another_calendar(tmp_path: Path) -> None:
    """B is measured on days 0, 3, 10, 14, 17: one of its three follow-up days up to the
    control's last day (3, 10, 14) is a control day, fewer than half: possibly a separate
    cohort without a concurrent control. Day 17, after the control's last day, is not
    counted."""
    data = _long(MICE, {"B": [0, 3, 10, 14, 17]})
    study, t = _analyse(tmp_path, data)
    adj = t["baseline_balance"].set_index("arm").loc[["A", "B"]]
    assert adj["days_shared"].tolist() == [2, 1]
    assert adj["days_followed"].tolist() == [2, 3]
    assert adj["separate_cohort"].tolist() == [False, True]
    assert adj.loc["B", "note"].endswith("possibly a separate cohort without a concurrent control")
    warned = t["warnings"][t["warnings"]["arm"] == "B"]["message"].tolist()
    assert warned == [
        "possibly a separate cohort without a concurrent control: 1 of its 3 follow-up days "
        "are control measurement days, so its comparisons with 'Control' mix the treatment "
        "with the cohort"
    ]
    md = str(stages.run_summary(study, t)["summary_md"])
    assert (
        "The B arm shares 1 of its 3 follow-up days with the control: possibly a separate "
        "cohort without a concurrent control" in md.split("## Findings")[0]
    )


def test_answer_says_the_headline_arm_is_on_another_calendar(tmp_path: Path) -> None:
    """Every A mouse is measured a day after the control (days 1, 8, 15): no follow-up day
    is a control day. A, the arm that slowed growth the most, is compared at the control's
    visits, and the answer, where its number is quoted, says plainly that it may be a
    separate cohort."""
    data = _long(MICE, {"A": [1, 8, 15]})
    study, t = _analyse(tmp_path, data)
    adj = t["baseline_balance"].set_index("arm")
    assert adj.loc["A", "separate_cohort"] and adj.loc["A", "days_shared"] == 0
    assert not adj.loc["B", "separate_cohort"]
    answer = str(stages.run_summary(study, t)["summary_md"]).split("## Design")[0]
    growth = next(p for p in answer.split("\n\n") if "the most" in p)
    assert growth.startswith("A slowed tumour growth the most")
    assert (
        "but A was measured on a different calendar from the control, possibly as a separate "
        "cohort without a concurrent control" in growth
    )

"""Body-weight tolerability and toxic deaths of the arms of a study.

Definitions (``../shared/reference/tolerability_regimen.md`` §1.1 holds the sources):

* percent body-weight change of mouse i on day t, %ΔBW_i(t) = 100·(BW_i(t)/BW_i(0) − 1)
  (DRAP ``RelativeChange``, maeve ``normalize_to_first_timepoint``; CDISC ``PCHG``), with the
  baseline BW_i(0) = the mouse's first weighing (``tolerability.baseline: first``, the default)
  or the mean of its weighings on or before the arm's first dose day (``pre_dose_mean``);
* the arm mean over days is the mean of the per-mouse ratios (not the ratio of mean weights),
  over the mice weighed that day (available animals only, as DRAP ``DataSummary``);
* nadir = the minimum of %ΔBW after the baseline, per mouse (``nadir_pct``) and of the arm mean
  (``group_mean_nadir_pct``, the NCI "mean body-weight nadir");
* toxic deaths = deaths recorded with cause ``toxicity``; their cumulative incidence is the
  Aalen–Johansen estimate with tumour and other deaths as competing events (Aalen & Johansen
  1978, Scand J Stat 5:141; Kalbfleisch & Prentice 2002, §8.2; R ``cmprsk::cuminc``);
* verdict (NCI/DTP convention, Plowman et al. 1997 in Teicher (ed.), Anticancer Drug
  Development Guide): toxic when the group-mean nadir is a loss of at least
  ``toxic_nadir_pct`` (20 %) or more than ``toxic_death_fraction`` (10 %) of the mice died of
  toxicity; else tolerated.

Recording errors (:func:`implausible_body_weights`: impossible values and isolated jumps *up*,
never a loss) are left out at ingest with the reason in the exclusions, and each arm's verdict
counts and names them; the volumes of those rows are kept.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .config import Study, Tolerability
from .tables import columns

#: Plausible mouse body weights (g). Mice used for xenografts weigh about 15–40 g (Jackson
#: Laboratory body-weight charts for nude and NSG mice, 4–20 weeks); a weight outside
#: 10–100 g is no adult mouse's (a typo, a unit slip or a missing-value code).
PLAUSIBLE_BODY_WEIGHT_G = (10.0, 100.0)
#: A weighing that differs from the mouse's neighbouring plausible weighings by more than this
#: factor (30 %) is a recording error: real weight changes between weighings days apart are
#: far smaller (PDX Encyclopedia, 67k weighings: 99.8 % of consecutive ratios lie in 0.8–1.2).
MAX_JUMP_RATIO = 1.3
#: How an exclusion of ingest (``exclusions.tsv``) ends when a body weight was left out by
#: :func:`implausible_body_weights`: the tolerability verdict counts and names them.
WEIGHT_LEFT_OUT = "the body weight is left out, the volume kept"
#: Recovery: the first weighing after the nadir with %ΔBW at or above this (percent;
#: reference notes BW-3).
RECOVERY_PCT = -5.0

#: Tolerance of the threshold comparisons: 100*(20/25 - 1) is -19.999999999999996 in floating
#: point, and a loss of exactly 20 % must count as 20 %.
EPS = 1e-9

CAUSES = {"tumour": "tumour", "tumor": "tumour", "toxicity": "toxicity", "toxic": "toxicity"}
CAUSES.update({"other": "other"})


def _jump_up(ratio: pd.Series) -> pd.Series:
    return ratio > MAX_JUMP_RATIO


def _neighbours(ok: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each weighing's previous and next weighing of the same mouse (NaN at the ends)."""
    grouped = ok["body_weight_g"].groupby([ok["arm"], ok["mouse_id"]], sort=False)
    return grouped.shift(1), grouped.shift(-1)


def _not_shared(ok: pd.DataFrame, candidate: pd.Series, step: pd.Series) -> pd.Index:
    """The candidate rows whose step (log ratio to a neighbouring weighing of the mouse) the
    arm's other mice weighed that day do not share. Shared: the median of their own steps lies
    on the same side and at least half as far as a jump (``log(MAX_JUMP_RATIO) / 2``). A mouse
    weighed alone in its arm that day shares nothing."""
    rows = candidate[candidate].index
    if rows.empty:
        return rows
    half = math.log(MAX_JUMP_RATIO) / 2.0
    by_day = ok.groupby(["arm", "day"], sort=False).groups
    keep = []
    for i in rows:
        others = step[by_day[(ok.at[i, "arm"], ok.at[i, "day"])].difference([i])].dropna()
        median = float(np.median(others)) if len(others) else 0.0
        if not (np.sign(median) == np.sign(step[i]) and abs(median) >= half):
            keep.append(i)
    return pd.Index(keep)


def implausible_body_weights(df: pd.DataFrame) -> pd.Series:
    """Why each weighing is a recording error ("" = kept for the analysis), indexed like ``df``.

    ``df``: columns ``arm, mouse_id, day, body_weight_g`` (missing weights are ignored). A
    weighing is left out when it is

    1. impossible: BW outside [10, 100] g (:data:`PLAUSIBLE_BODY_WEIGHT_G`: zero and negative
       weights, missing-value codes, unit slips such as 308 g or 2.8 g);
    2. an isolated spike up: among the mouse's in-range weighings in day order, more than 30 %
       (:data:`MAX_JUMP_RATIO`) above both the previous and the next one;
    3. after 2, at an end of a mouse with at least three weighings, on the side that cannot hide
       a loss: a first weighing more than 30 % *below* the next one, or a last weighing more
       than 30 % *above* the one before;

    and, in 2 and 3, only when the arm's other mice weighed that day do not show the same step
    (:func:`_not_shared`): a change shared by the arm is biology or a systematic shift, the
    analysis's to judge, not ingest's.

    Why one-sided: tolerability measures losses. A weighing far below both neighbours, a first
    weighing far above the next ones and a last one far below the one before are what a nadir
    with recovery, a fast toxic loss and a dying mouse look like, so they are kept: an exclusion
    here can make a mouse's loss from baseline look larger or leave it as it is, never turn a
    loss into a gain. PDX Encyclopedia (67,317 weighings): 17 left out (6 impossible, 10 spikes
    up such as 27.6 → 64.9 → 27.0 g, one first weighing of 13.0 g before 20.6, 20.0, 20.5 g);
    the 21 first or last weighings a two-sided rule would remove there all continue a loss
    (22.0 → 16.0 → 18.6 g after HSP990; 28.2, 27.1, 25.0 → 19.2 g at the end).
    """
    reasons = pd.Series("", index=df.index, dtype=object)
    if "body_weight_g" not in df:
        return reasons
    bw = df["body_weight_g"]
    low, high = PLAUSIBLE_BODY_WEIGHT_G
    weighed = bw.notna()
    out = weighed & ((bw < low) | (bw > high))
    reasons[out] = [
        f"body weight {w:g} g outside the plausible range {low:g}-{high:g} g" for w in bw[out]
    ]
    ok = df[weighed & ~out].sort_values(["arm", "mouse_id", "day"], kind="mergesort")
    if ok.empty:
        return reasons
    jump = f"{100 * (MAX_JUMP_RATIO - 1):g} %"
    w = ok["body_weight_g"]
    prev, nxt = _neighbours(ok)
    spikes = _not_shared(ok, _jump_up(w / prev) & _jump_up(w / nxt), np.log(w / prev))
    for i in spikes:
        reasons[i] = (
            f"body weight {w[i]:g} g is more than {jump} above both neighbouring weighings "
            f"({prev[i]:g} g, {nxt[i]:g} g), a jump the arm's other mice do not show"
        )
    rest = ok.drop(index=spikes)
    w = rest["body_weight_g"]
    prev, nxt = _neighbours(rest)
    grouped = w.groupby([rest["arm"], rest["mouse_id"]], sort=False)
    size, position = grouped.transform("size"), grouped.cumcount()
    first = (position == 0) & (size >= 3) & _jump_up(nxt / w)
    for i in _not_shared(rest, first, np.log(w / nxt)):
        reasons[i] = (
            f"body weight {w[i]:g} g (first weighing) is more than {jump} below the next one "
            f"({nxt[i]:g} g), a gain the arm's other mice do not show"
        )
    last = (position == size - 1) & (size >= 3) & _jump_up(w / prev)
    for i in _not_shared(rest, last, np.log(w / prev)):
        reasons[i] = (
            f"body weight {w[i]:g} g (last weighing) is more than {jump} above the one before "
            f"({prev[i]:g} g), a jump the arm's other mice do not show"
        )
    return reasons


def first_dose_day(study: Study, arm: str) -> float | None:
    """The arm's first dose day; for an arm without doses (the control), the study's."""
    own = [d.day for a in study.arms if a.name == arm for d in a.doses]
    days = own or [d.day for a in study.arms for d in a.doses]
    return min(days) if days else None


def percent_change(
    measurements: pd.DataFrame, study: Study, settings: Tolerability | None = None
) -> pd.DataFrame:
    """Per-mouse percent body-weight change: ``arm, mouse_id, day, body_weight_g, baseline_g,
    baseline_day, pct_change, after_baseline``.

    pct_change = 100·(BW(t)/BW0 − 1) (DRAP ``RelativeChange``; CDISC PCHG). BW0 = the mouse's
    first weighing (``first``) or the mean of its weighings on or before the arm's first dose
    day (``pre_dose_mean``; the first weighing when none is that early). ``baseline_day`` is
    the last day used for BW0; ``after_baseline`` marks the weighings after it (those the
    nadirs are taken over). Rows without a body weight are left out.
    """
    settings = settings or study.tolerability
    cols = ["arm", "mouse_id", "day", "body_weight_g"]
    if "body_weight_g" not in measurements:
        return pd.DataFrame(
            columns=[*cols, "baseline_g", "baseline_day", "pct_change", "after_baseline"]
        )
    df = measurements.loc[measurements["body_weight_g"].notna(), cols]
    df = df.sort_values(["arm", "mouse_id", "day"], kind="mergesort").reset_index(drop=True)
    keys = [df["arm"], df["mouse_id"]]
    first_day = df.groupby(keys, sort=False)["day"].transform("min")
    first_bw = df.groupby(keys, sort=False)["body_weight_g"].transform("first")
    base, base_day = first_bw, first_day
    if settings.baseline == "pre_dose_mean":
        dose_day = df["arm"].map(lambda a: first_dose_day(study, a)).astype(float)
        pre = df["day"] <= dose_day.fillna(-np.inf)
        mean_pre = df["body_weight_g"].where(pre).groupby(keys, sort=False).transform("mean")
        last_pre = df["day"].where(pre).groupby(keys, sort=False).transform("max")
        base = mean_pre.fillna(first_bw)
        base_day = last_pre.fillna(first_day)
    df["baseline_g"] = base.to_numpy()
    df["baseline_day"] = base_day.to_numpy()
    df["pct_change"] = 100.0 * (df["body_weight_g"] / df["baseline_g"] - 1.0)
    df["after_baseline"] = df["day"] > df["baseline_day"]
    return df


def _order(df: pd.DataFrame, arms: Sequence[str]) -> pd.DataFrame:
    rank = {a: i for i, a in enumerate(arms)}
    key = df["arm"].map(rank).fillna(len(rank))
    sort = ["_o", *[c for c in ("mouse_id", "day") if c in df]]
    return df.assign(_o=key).sort_values(sort, kind="mergesort").drop(columns="_o")


def body_weight_table(pct: pd.DataFrame, arms: Sequence[str]) -> pd.DataFrame:
    """``body_weight.tsv``: per arm and day, n mice weighed, mean, SD and SEM of %ΔBW
    (SEM = SD/√n, SD with n − 1; DRAP ``DataSummary``)."""
    out_cols = columns("body_weight")
    if pct.empty:
        return pd.DataFrame(columns=out_cols)
    g = pct.groupby(["arm", "day"], sort=False)["pct_change"]
    out = pd.DataFrame(
        {"n": g.size(), "mean_pct_change": g.mean(), "sd": g.std(ddof=1)}
    ).reset_index()
    out["sem"] = out["sd"] / np.sqrt(out["n"])
    return _order(out, arms)[out_cols].reset_index(drop=True)


def _trapezoid(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 2:
        return float("nan")
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))


def per_mouse_table(pct: pd.DataFrame, arms: Sequence[str]) -> pd.DataFrame:
    """``body_weight_per_mouse.tsv``: per mouse the baseline (g), the nadir
    min_{t > baseline} %ΔBW and its day, the recovery day (first weighing after the nadir with
    %ΔBW ≥ −5 %, :data:`RECOVERY_PCT`; empty when the nadir is no loss beyond 5 % or the mouse
    did not recover by its last weighing; reference notes BW-3) and the trapezoid AUC of %ΔBW
    over all its weighings (%·day; reference notes BW-7, PMC7590501)."""
    out_cols = columns("body_weight_per_mouse")
    rows = []
    for (arm, mouse), d in pct.groupby(["arm", "mouse_id"], sort=False):
        after = d[d["after_baseline"]]
        nadir = nadir_day = recovery = float("nan")
        if len(after):
            i = int(np.argmin(after["pct_change"].to_numpy()))
            nadir = float(after["pct_change"].iat[i])
            nadir_day = float(after["day"].iat[i])
            later = after[(after["day"] > nadir_day) & (after["pct_change"] >= RECOVERY_PCT)]
            if nadir < RECOVERY_PCT and len(later):
                recovery = float(later["day"].iat[0])
        rows.append(
            {
                "arm": arm,
                "mouse_id": mouse,
                "baseline_g": float(d["baseline_g"].iat[0]),
                "nadir_pct": nadir,
                "nadir_day": nadir_day,
                "recovery_day": recovery,
                "bw_auc_pct_day": _trapezoid(
                    d["day"].to_numpy(float), d["pct_change"].to_numpy(float)
                ),
            }
        )
    if not rows:
        return pd.DataFrame(columns=out_cols)
    return _order(pd.DataFrame(rows), arms)[out_cols].reset_index(drop=True)


def aalen_johansen(
    time: Sequence[float], status: Sequence[int], cause: int
) -> tuple[np.ndarray, np.ndarray]:
    """Aalen–Johansen cumulative incidence of ``cause`` with competing events.

    ``status``: 0 = censored, any other code = an event of that cause. At the distinct event
    times t_j: F_k(t) = Σ_{t_j ≤ t} S(t_j−)·d_kj/n_j, with S the all-cause Kaplan–Meier
    survival, d_kj the events of cause k at t_j and n_j the number at risk (Aalen & Johansen
    1978; Kalbfleisch & Prentice 2002 eq. 8.7; equal to R ``cmprsk::cuminc``). Returns the
    event times and F_k just after each.
    """
    t = np.asarray(time, dtype=float)
    s = np.asarray(status, dtype=int)
    times = np.unique(t[s != 0])
    surv, total, incidence = 1.0, 0.0, []
    for tj in times:
        at_risk = int(np.sum(t >= tj))
        d_all = int(np.sum((t == tj) & (s != 0)))
        d_k = int(np.sum((t == tj) & (s == cause)))
        total += surv * d_k / at_risk
        surv *= 1.0 - d_all / at_risk
        incidence.append(total)
    return times, np.asarray(incidence, dtype=float)


#: Codes of the causes in :func:`aalen_johansen` (0 = censored).
CAUSE_CODES = {"tumour": 1, "toxicity": 2, "other": 3}


def toxic_deaths(survival_per_mouse: pd.DataFrame, arms: Sequence[str]) -> pd.DataFrame:
    """Per arm: ``toxic_deaths`` (deaths with cause toxicity) and ``toxic_death_incidence``
    (Aalen–Johansen cumulative incidence at the arm's last time, tumour and other deaths
    competing, :func:`aalen_johansen`). NaN for both when no cause of death is recorded."""
    rows = []
    has_cause = "cause" in survival_per_mouse and len(survival_per_mouse)
    for arm in arms:
        d = survival_per_mouse[survival_per_mouse["arm"] == arm] if has_cause else None
        if d is None or d.empty:
            rows.append((arm, float("nan"), float("nan")))
            continue
        cause = d["cause"].fillna("").astype(str)
        status = cause.map(CAUSE_CODES).fillna(0).astype(int).to_numpy()
        _, inc = aalen_johansen(d["time_days"].to_numpy(float), status, CAUSE_CODES["toxicity"])
        rows.append((arm, float((cause == "toxicity").sum()), float(inc[-1]) if len(inc) else 0.0))
    return pd.DataFrame(rows, columns=["arm", "toxic_deaths", "toxic_death_incidence"])


def loss_column(threshold: float) -> str:
    return f"n_loss_ge_{threshold:g}pct".replace(".", "_")


def tolerability_table(
    measurements: pd.DataFrame,
    pct: pd.DataFrame,
    per_mouse: pd.DataFrame,
    survival_per_mouse: pd.DataFrame,
    arms: Sequence[str],
    settings: Tolerability,
    exclusions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``tolerability.tsv``: one row per arm (module docstring for the definitions).

    ``n_loss_ge_<t>pct`` = mice whose nadir_pct ≤ −t, for t = 15, 20 and every
    ``loss_thresholds_pct``; verdict ``toxic`` when group_mean_nadir_pct ≤ −toxic_nadir_pct
    or toxic_deaths / n_mice > toxic_death_fraction, ``rule`` says which criterion decided.
    An arm without body weights after baseline gets no verdict (``rule`` says why). The body
    weights ingest left out (``exclusions``, :func:`implausible_body_weights`) are counted in
    ``n_weights_excluded`` and named in ``rule``: a verdict never rests on fewer weighings
    without saying so.
    """
    thresholds = sorted({15.0, 20.0, *settings.loss_thresholds_pct})
    death_of = toxic_deaths(survival_per_mouse, arms).set_index("arm").to_dict("index")
    mice = measurements.drop_duplicates(["arm", "mouse_id"]).groupby("arm", sort=False).size()
    after = pct[pct["after_baseline"]] if len(pct) else pct
    means = (
        after.groupby(["arm", "day"], sort=False)["pct_change"].mean()
        if len(after)
        else pd.Series(dtype=float)
    )
    # looked up per arm from dicts: a panel builds this table for each of its models' arms
    means_of = (
        {a: m.droplevel(0) for a, m in means.groupby(level=0, sort=False)} if len(means) else {}
    )
    nadirs_of = {a: g["nadir_pct"].dropna() for a, g in per_mouse.groupby("arm", sort=False)}
    left_out = weights_left_out(exclusions)
    no_nadirs = pd.Series(dtype=float)
    rows = []
    for arm in arms:
        n_mice = int(mice.get(arm, 0))
        row: dict[str, object] = {"arm": arm, "n_mice": n_mice}
        arm_means = means_of.get(arm)
        nadirs = nadirs_of.get(arm, no_nadirs)
        row["n_weighed"] = len(nadirs)
        row["n_weights_excluded"] = len(left_out.get(arm, []))
        if arm_means is not None and len(arm_means):
            day = float(arm_means.idxmin())
            row["group_mean_nadir_pct"] = float(arm_means.min())
            row["group_mean_nadir_day"] = day
        else:
            row["group_mean_nadir_pct"] = row["group_mean_nadir_day"] = float("nan")
        row["mean_individual_nadir_pct"] = float(nadirs.mean()) if len(nadirs) else float("nan")
        for t in thresholds:
            row[loss_column(t)] = int((nadirs <= -t + EPS).sum()) if len(nadirs) else np.nan
        n_toxic = float(death_of[arm]["toxic_deaths"])
        row["toxic_deaths"] = n_toxic
        row["toxic_death_incidence"] = float(death_of[arm]["toxic_death_incidence"])
        row["verdict"], row["rule"] = _verdict(
            float(row["group_mean_nadir_pct"]),  # type: ignore[arg-type]
            n_toxic,
            n_mice,
            settings,
        )
        row["rule"] = str(row["rule"]) + _left_out_text(left_out.get(arm, []))
        rows.append(row)
    out = pd.DataFrame(rows)
    return out


def toxic_arms(
    study: Study, measurements: pd.DataFrame, survival_per_mouse: pd.DataFrame | None
) -> dict[str, str]:
    """The treated arms the verdict of :func:`tolerability_table` calls toxic, with why in
    words ('group-mean body-weight nadir -27.9%; 2 of 8 mice died of toxicity'): the efficacy
    stage scores no NCI activity at a toxic dose (NCI/DTP practice; Plowman et al. 1997).
    Computes only what the verdict reads (the group-mean nadir, the toxic deaths), so the
    efficacy stage of each panel model pays little for it; ``tests/test_tolerability.py``
    checks it against the table's verdicts."""
    arms = [a.name for a in study.arms] or list(dict.fromkeys(measurements["arm"].astype(str)))
    settings = study.tolerability
    pct = percent_change(measurements, study)
    after = pct[pct["after_baseline"]]
    nadir = (
        after.groupby(["arm", "day"], sort=False)["pct_change"].mean().groupby(level=0).min()
        if len(after)
        else pd.Series(dtype=float)
    )
    surv = survival_per_mouse if survival_per_mouse is not None else pd.DataFrame()
    deaths = toxic_deaths(surv, arms).set_index("arm")["toxic_deaths"]
    mice = measurements.drop_duplicates(["arm", "mouse_id"]).groupby("arm", sort=False).size()
    out = {}
    for arm in arms:
        if arm == study.control:
            continue
        low, dead, n = float(nadir.get(arm, np.nan)), float(deaths[arm]), int(mice.get(arm, 0))
        if _verdict(low, dead, n, settings)[0] != "toxic":
            continue
        why = []
        if np.isfinite(low) and low <= -settings.toxic_nadir_pct + EPS:
            why.append(f"group-mean body-weight nadir {low:.1f}%")
        if np.isfinite(dead) and dead > 0:
            why.append(f"{int(dead)} of {n} mice died of toxicity")
        out[arm] = "; ".join(why)
    return out


def weights_left_out(exclusions: pd.DataFrame | None) -> dict[str, list[str]]:
    """Per arm, the body weights ingest left out as recording errors: 'mouse 3, day 7: body
    weight 308 g outside the plausible range 10-100 g', in the order of ``exclusions``."""
    if exclusions is None or exclusions.empty:
        return {}
    rows = exclusions[exclusions["reason"].astype(str).str.endswith(WEIGHT_LEFT_OUT)]
    out: dict[str, list[str]] = {}
    for r in rows.itertuples(index=False):
        reason = str(r.reason)
        why = reason[reason.find("body weight ") : -len(WEIGHT_LEFT_OUT) - 2]
        out.setdefault(str(r.arm), []).append(f"mouse {r.mouse_id}, day {float(r.day):g}: {why}")
    return out


def _left_out_text(weights: Sequence[str]) -> str:
    if not weights:
        return ""
    n = len(weights)
    return (
        f"; {n} body weight{'s' if n > 1 else ''} of this arm left out as recording "
        f"error{'s' if n > 1 else ''} ({'; '.join(weights)})"
    )


def _verdict(nadir: float, n_toxic: float, n_mice: int, settings: Tolerability) -> tuple[str, str]:
    limit_bw, limit_death = settings.toxic_nadir_pct, settings.toxic_death_fraction
    bw_known, deaths_known = np.isfinite(nadir), np.isfinite(n_toxic) and n_mice > 0
    if not bw_known and not deaths_known:
        return "", "no body weights after baseline and no cause of death recorded: no verdict"
    parts, toxic = [], False
    if bw_known:
        hit = nadir <= -limit_bw + EPS
        toxic |= hit
        parts.append(f"group-mean nadir {nadir:.1f} % {'<=' if hit else '>'} -{limit_bw:g} %")
    else:
        parts.append("no body weights after baseline")
    if deaths_known:
        fraction = n_toxic / n_mice
        hit = fraction > limit_death
        toxic |= hit
        parts.append(
            f"toxic deaths {n_toxic:g}/{n_mice} {'>' if hit else '<='} {100 * limit_death:g} %"
        )
    else:
        parts.append("no cause of death recorded")
    verdict = "toxic" if toxic else "tolerated"
    return verdict, f"{verdict}: " + "; ".join(parts) + " (NCI/DTP convention)"

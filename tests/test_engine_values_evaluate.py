"""Hand-computed values of the SPEC §2 arithmetic (kpicli.engine.evaluate), field by field.

Table-driven: one row per case with its inputs and every expected field (attainment, score,
progress, expected progress, status, why, needed, forecast, target). Each expectation is
worked out by hand in the row's comment; none is read back from the code.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kpicli.engine import evaluate as E
from kpicli.engine.evaluate import Context, evaluate_kpi, weighted_score
from kpicli.model.kpifile import KPI
from kpicli.model.results import KPIResult

FREQ = {"month": "M", "week": "W-SUN", "quarter": "Q-DEC", "year": "Y-DEC"}


def kpi(**kw: Any) -> KPI:
    return KPI.model_validate({"id": "k", "name": "A KPI", **kw})


def series(values: dict[str, float | None], grain: str = "month", freq: str | None = None) -> pd.Series:
    """Values by period label, reindexed over the whole span (NaN where none)."""
    f = freq or FREQ[grain]
    idx = pd.PeriodIndex([pd.Period(k, freq=f) for k in values], freq=f)
    s = pd.Series([np.nan if v is None else v for v in values.values()], index=idx, dtype="float64")
    return s.reindex(pd.period_range(idx.min(), idx.max(), freq=f))


def run(
    k: KPI,
    values: dict[str, float | None],
    period: str,
    *,
    grain: str = "month",
    fys: int = 1,
    freq: str | None = None,
    counts: dict[str, float] | None = None,
    data_targets: dict[str, float | None] | None = None,
    **ctx: Any,
) -> KPIResult:
    f = freq or FREQ[grain]
    c = Context(period=pd.Period(period, freq=f), grain=grain, fiscal_year_start=fys, **ctx)
    return evaluate_kpi(
        k,
        series(values, grain, f),
        c,
        counts=series(counts, grain, f) if counts else None,
        data_targets=series(data_targets, grain, f) if data_targets else None,
    )


def check(r: KPIResult, want: dict[str, Any]) -> None:
    for name, expected in want.items():
        got = getattr(r, name)
        if isinstance(expected, float) and got is not None:
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-12), name
        else:
            assert got == expected, f"{name}: {got!r} != {expected!r}"


# ----------------------------------------------------------------------- levels and boundaries

LEVELS = [
    # target 100, actual exactly 100: met at the boundary, attainment 1
    ("level exactly met", {"target": 100}, {"2026-10": 100}, "2026-10", {
        "status": "met", "attainment": 1.0, "score": 1.0, "target": 100,
        "why": "100 >= 100: target met", "progress": None, "expected_progress": None}),
    # 90/100 = 0.90 >= 0.90: the at_risk boundary is inclusive
    ("attainment exactly 0.9", {"target": 100}, {"2026-10": 90}, "2026-10", {
        "status": "at_risk", "attainment": 0.9, "score": 0.9,
        "why": "attainment 90/100 = 0.90 >= 0.90 → at_risk"}),
    # 89.99/100 = 0.8999 < 0.9 (printed 0.90)
    ("just below 0.9", {"target": 100}, {"2026-10": 89.99}, "2026-10", {
        "status": "off_track", "attainment": 0.8999,
        "why": "attainment 89.99/100 = 0.90 < 0.90 → off_track"}),
    # 120/100 = 1.2: score exactly the cap
    ("score at the cap", {"target": 100}, {"2026-10": 120}, "2026-10", {
        "status": "met", "attainment": 1.2, "score": 1.2}),
    # 130/100 = 1.3, score capped at 1.2
    ("score capped", {"target": 100}, {"2026-10": 130}, "2026-10", {
        "attainment": 1.3, "score": 1.2, "why": "130 >= 100: target met"}),
    # actual 0: attainment undefined (needs a positive actual), not met
    ("actual zero", {"target": 100}, {"2026-10": 0}, "2026-10", {
        "status": "off_track", "attainment": None, "score": None, "actual": 0.0,
        "why": "0 misses the target 100; attainment is undefined (needs positive actual and "
        "target) → off_track"}),
    # target 0, higher: 5 >= 0 met; attainment undefined (target not positive)
    ("target zero", {"target": 0}, {"2026-10": 5}, "2026-10", {
        "status": "met", "attainment": None, "score": None, "why": "5 >= 0: target met"}),
    # negative actual: undefined attainment
    ("negative actual", {"target": 10}, {"2026-10": -5}, "2026-10", {
        "status": "off_track", "attainment": None,
        "why": "-5 misses the target 10; attainment is undefined (needs positive actual and "
        "target) → off_track"}),
    # lower is better, error rate <= 0.05: 0.04 → T/A = 1.25, score 1.2
    ("rate below its max", {"direction": "lower", "target": 0.05}, {"2026-10": 0.04}, "2026-10", {
        "status": "met", "attainment": 1.25, "score": 1.2, "why": "0.04 <= 0.05: target met"}),
    # 0.05/0.055 = 0.909 → at_risk
    ("rate a little high", {"direction": "lower", "target": 0.05}, {"2026-10": 0.055}, "2026-10", {
        "status": "at_risk", "attainment": 0.05 / 0.055,
        "why": "attainment 0.05/0.055 = 0.91 >= 0.90 → at_risk"}),
    # 0.05/0.06 = 0.833 → off_track
    ("rate too high", {"direction": "lower", "target": 0.05}, {"2026-10": 0.06}, "2026-10", {
        "status": "off_track", "attainment": 0.05 / 0.06,
        "why": "attainment 0.05/0.06 = 0.83 < 0.90 → off_track"}),
    # lower, exactly at the target
    ("lower exactly met", {"direction": "lower", "target": 4}, {"2026-10": 4}, "2026-10", {
        "status": "met", "attainment": 1.0, "why": "4 <= 4: target met"}),
    # lower, target 0 and actual 0: met, attainment undefined
    ("lower target zero", {"direction": "lower", "target": 0}, {"2026-10": 0}, "2026-10", {
        "status": "met", "attainment": None, "why": "0 <= 0: target met"}),
    # KPI threshold 0.8: 85/100 = 0.85 >= 0.80 → at_risk
    ("own threshold", {"target": 100, "thresholds": {"at_risk": 0.8}}, {"2026-10": 85}, "2026-10", {
        "status": "at_risk", "why": "attainment 85/100 = 0.85 >= 0.80 → at_risk"}),
]


@pytest.mark.parametrize(("case", "k", "values", "period", "want"), LEVELS, ids=[c[0] for c in LEVELS])
def test_levels(case: str, k: dict, values: dict, period: str, want: dict) -> None:
    thr = k.get("thresholds", {}).get("at_risk")
    r = run(kpi(**k), values, period, **({"at_risk": thr} if thr is not None else {}))
    check(r, want)


# ----------------------------------------------------------------------- bands

BANDS = [
    # {min: 85}, 85: on the edge, inside
    ("min edge", {"target": {"min": 85}}, 85, {
        "status": "met", "attainment": 1.0, "score": 1.0, "target": 85, "target_min": 85,
        "target_max": None, "why": "85 <= 85: inside the target band → met"}),
    # {min: 85}, 95: inside, attainment 1.0 (never 95/85)
    ("min above", {"target": {"min": 85}}, 95, {
        "status": "met", "attainment": 1.0, "score": 1.0}),
    # 80/85 = 0.941
    ("min below", {"target": {"min": 85}}, 80, {
        "status": "at_risk", "attainment": 80 / 85,
        "why": "outside the band: attainment 80/85 = 0.94 >= 0.90 → at_risk"}),
    # {max: 4}, lower: 3 is inside: 1.0 (a level would say 4/3 = 1.33)
    ("max inside lower", {"direction": "lower", "target": {"max": 4}}, 3, {
        "status": "met", "attainment": 1.0, "score": 1.0, "target": 4, "target_max": 4,
        "why": "3 <= 4: inside the target band → met"}),
    # {max: 4}, 5: 4/5 = 0.8
    ("max above", {"direction": "lower", "target": {"max": 4}}, 5, {
        "status": "off_track", "attainment": 0.8,
        "why": "outside the band: attainment 4/5 = 0.80 < 0.90 → off_track"}),
    # {max: 4} exactly 4: inside
    ("max edge", {"direction": "lower", "target": {"max": 4}}, 4, {
        "status": "met", "attainment": 1.0}),
    # lower is better with only a min: 90 inside → met, 1.0 (the level is the min)
    ("lower with only min", {"direction": "lower", "target": {"min": 85}}, 90, {
        "status": "met", "attainment": 1.0, "target": 85}),
    # higher with only a max: level is the max
    ("higher with only max", {"target": {"max": 4}}, 3, {
        "status": "met", "attainment": 1.0, "target": 4}),
    # two-sided, above: 3/3.5 = 0.857; the level shown is the min for higher is better
    ("band above", {"target": {"min": 1.5, "max": 3}}, 3.5, {
        "status": "off_track", "attainment": 3 / 3.5, "target": 1.5, "target_min": 1.5,
        "target_max": 3, "why": "outside the band: attainment 3/3.5 = 0.86 < 0.90 → off_track"}),
    ("band upper edge", {"target": {"min": 1.5, "max": 3}}, 3, {
        "status": "met", "why": "1.5 <= 3 <= 3: inside the target band → met"}),
    ("band lower edge", {"target": {"min": 1.5, "max": 3}}, 1.5, {"status": "met"}),
    # lower is better: the level is the max
    ("band lower is better", {"direction": "lower", "target": {"min": 1.5, "max": 3}}, 2, {
        "status": "met", "target": 3}),
    # 1.4/1.5 = 0.933
    ("band below", {"target": {"min": 1.5, "max": 3}}, 1.4, {
        "status": "at_risk", "attainment": 1.4 / 1.5,
        "why": "outside the band: attainment 1.4/1.5 = 0.93 >= 0.90 → at_risk"}),
    # 0 below the min: undefined attainment
    ("band zero actual", {"target": {"min": 1.5}}, 0, {
        "status": "off_track", "attainment": None, "score": None}),
    # a min of 0 and a negative value: undefined
    ("band min zero", {"target": {"min": 0}}, -1, {"status": "off_track", "attainment": None}),
    # above a max of 0: undefined
    ("band max zero", {"direction": "lower", "target": {"max": 0}}, 2, {
        "status": "off_track", "attainment": None}),
    # negative band, inside
    ("negative band", {"target": {"min": -5, "max": -1}}, -3, {"status": "met", "attainment": 1.0}),
]


@pytest.mark.parametrize(("case", "k", "value", "want"), BANDS, ids=[c[0] for c in BANDS])
def test_bands(case: str, k: dict, value: float, want: dict) -> None:
    check(run(kpi(**k), {"2026-10": value}, "2026-10"), want)


# ----------------------------------------------------------------------- time-bound targets

B50 = {"baseline": {"value": 50, "period": "2026-01"}, "target": {"value": 80, "due": "2026-07"}}

TIMEBOUND = [
    # 2026-04: expected 3/6 = 0.5; progress (65-50)/30 = 0.5 → ratio 1.0 on_track;
    # needed (80-65)/3 = 5
    ("exactly on pace", B50, {"2026-04": 65}, "2026-04", {
        "status": "on_track", "progress": 0.5, "expected_progress": 0.5, "needed": 5.0,
        "attainment": 65 / 80, "score": 65 / 80, "due": "2026-07", "baseline": 50,
        "baseline_period": "2026-01",
        "why": "progress 0.50 of expected 0.50 = 1.00 >= 1.00 → on_track"}),
    # 63.5: progress 13.5/30 = 0.45 → ratio 0.9 → at_risk; needed 16.5/3 = 5.5
    ("pace ratio exactly 0.9", B50, {"2026-04": 63.5}, "2026-04", {
        "status": "at_risk", "progress": 0.45, "needed": 5.5,
        "why": "progress 0.45 of expected 0.50 = 0.90 >= 0.90 → at_risk"}),
    # 63.4: progress 0.44667 → ratio 0.8933 → off_track
    ("pace ratio below 0.9", B50, {"2026-04": 63.4}, "2026-04", {
        "status": "off_track", "progress": 13.4 / 30,
        "why": "progress 0.45 of expected 0.50 = 0.89 < 0.90 → off_track"}),
    # at the baseline period nothing is expected yet
    ("at the baseline period", B50, {"2026-01": 50}, "2026-01", {
        "status": "on_track", "progress": 0.0, "expected_progress": 0.0, "needed": 5.0,
        "why": "progress 0.00; no progress expected yet at 2026-01 → on_track"}),
    # before the baseline period: expected progress clamps at 0
    ("before the baseline", B50, {"2025-12": 40}, "2025-12", {
        "status": "on_track", "expected_progress": 0.0, "progress": -10 / 30}),
    # the due period itself: expected 1.0; progress 27/30 = 0.9 → at_risk; nothing left
    ("in the due period", B50, {"2026-07": 77}, "2026-07", {
        "status": "at_risk", "expected_progress": 1.0, "progress": 0.9, "needed": None,
        "why": "progress 0.90 of expected 1.00 = 0.90 >= 0.90 → at_risk"}),
    # after the due period: expected progress clamps at 1; off_track whatever the pace
    ("after the due period", B50, {"2026-08": 79}, "2026-08", {
        "status": "off_track", "expected_progress": 1.0, "needed": None,
        "why": "due 2026-07 passed without the target met (79 < 80) → off_track"}),
    ("met before due", B50, {"2026-04": 81}, "2026-04", {
        "status": "met", "needed": None, "attainment": 81 / 80, "why": "81 >= 80: target met"}),
    # ahead of pace: progress 0.8 of 0.5 = 1.6
    ("ahead of pace", B50, {"2026-04": 74}, "2026-04", {
        "status": "on_track", "progress": 0.8, "needed": 2.0,
        "why": "progress 0.80 of expected 0.50 = 1.60 >= 1.00 → on_track"}),
    # lower: B 30 (2026-03), -20% → T 24, due 2026-09; 2026-06: expected 3/6; A 27:
    # progress (27-30)/(24-30) = 0.5 → on_track; needed (24-27)/3 = -1
    ("relative change lower", {
        "direction": "lower", "baseline": {"value": 30, "period": "2026-03"},
        "target": {"change": "-20%", "due": "2026-09"}}, {"2026-06": 27}, "2026-06", {
        "status": "on_track", "target": 24.0, "progress": 0.5, "expected_progress": 0.5,
        "needed": -1.0, "attainment": 24 / 27}),
    # after due, lower: the why says ">"
    ("lower after due", {
        "direction": "lower", "baseline": {"value": 30, "period": "2026-03"},
        "target": {"change": "-20%", "due": "2026-09"}}, {"2026-10": 25}, "2026-10", {
        "status": "off_track",
        "why": "due 2026-09 passed without the target met (25 > 24) → off_track"}),
    # absolute change +10 on 50 → 60; quarter of the way (2026-02 of 01..05): expected 0.25
    # progress (53-50)/10 = 0.3 → 1.2 on_track; needed (60-53)/3
    ("absolute change", {
        "baseline": {"value": 50, "period": "2026-01"}, "target": {"change": 10, "due": "2026-05"}},
        {"2026-02": 53}, "2026-02", {
        "status": "on_track", "target": 60.0, "progress": 0.3, "expected_progress": 0.25,
        "needed": 7 / 3}),
    # relative +10% with a negative baseline: -50 * 1.1 = -55
    ("relative change negative baseline", {
        "baseline": {"value": -50}, "target": {"change": "+10%"}}, {"2026-02": -52}, "2026-02", {
        "target": -55.0, "status": "met", "attainment": None}),
    # a change target without a baseline cannot be resolved
    ("change without baseline", {"target": {"change": 10}}, {"2026-04": 5}, "2026-04", {
        "status": "no_data", "target": None, "actual": 5.0,
        "why": "a change target needs a baseline value for 2026-04; status needs a target → "
        "no_data"}),
    # baseline value read from the data in the baseline period (40 in 2026-01):
    # T = 40 + 20 = 60; 2026-03 of 01..05: expected 0.5; progress (50-40)/20 = 0.5
    ("baseline from the data", {
        "baseline": {"period": "2026-01"}, "target": {"change": 20, "due": "2026-05"}},
        {"2026-01": 40, "2026-02": 45, "2026-03": 50}, "2026-03", {
        "baseline": 40.0, "target": 60.0, "progress": 0.5, "expected_progress": 0.5,
        "status": "on_track", "needed": 5.0, "previous": 45.0, "delta": 5.0, "delta_pct": 5 / 45}),
    # due but no baseline period: no expected progress, judged by attainment 75/80;
    # progress still (75-50)/30; needed (80-75)/3
    ("due without baseline period", {
        "baseline": {"value": 50}, "target": {"value": 80, "due": "2026-07"}},
        {"2026-04": 75}, "2026-04", {
        "status": "at_risk", "expected_progress": None, "progress": 25 / 30, "needed": 5 / 3,
        "attainment": 75 / 80, "why": "attainment 75/80 = 0.94 >= 0.90 → at_risk"}),
    # target equal to the baseline: no progress ratio
    ("target equals baseline", {
        "baseline": {"value": 80, "period": "2026-01"}, "target": {"value": 80, "due": "2026-07"}},
        {"2026-04": 70}, "2026-04", {
        # no progress ratio: judged by attainment 70/80 = 0.875 < 0.9
        "progress": None, "expected_progress": 0.5, "status": "off_track",
        "attainment": 70 / 80}),
    # a coarse due label: "2026" means by the end of 2026 (2026-12); from 2026-01 that is 11
    # periods; at 2026-12 expected 1.0
    ("coarse due label", {
        "baseline": {"value": 0, "period": "2026-01"}, "target": {"value": 110, "due": "2026"}},
        {"2026-06": 40}, "2026-06", {
        "due": "2026-12", "expected_progress": 5 / 11, "progress": 40 / 110,
        "needed": 70 / 6, "status": "off_track"}),
    ("quarter due label", {
        "baseline": {"value": 0, "period": "2026-01"}, "target": {"value": 90, "due": "2026-Q2"}},
        {"2026-06": 81}, "2026-06", {
        "due": "2026-06", "expected_progress": 1.0, "progress": 0.9, "status": "at_risk"}),
]


@pytest.mark.parametrize(("case", "k", "values", "period", "want"), TIMEBOUND,
                         ids=[c[0] for c in TIMEBOUND])
def test_time_bound(case: str, k: dict, values: dict, period: str, want: dict) -> None:
    check(run(kpi(**k), values, period), want)


# ----------------------------------------------------------------------- schedules


def test_schedule_entry_gap_and_value_fallback() -> None:
    sched = {"2026-01": 100, "2026-03": 120}
    r = run(kpi(target={"schedule": sched}), {"2026-03": 114}, "2026-03")
    check(r, {"target": 120, "attainment": 0.95, "status": "at_risk"})
    r = run(kpi(target={"schedule": sched}), {"2026-02": 114}, "2026-02")
    check(r, {"target": None, "status": "no_data",
              "why": "the schedule has no target for 2026-02; status needs a target → no_data"})
    # With a level as fallback the gap takes the level: 114/110
    r = run(kpi(target={"schedule": sched, "value": 110}), {"2026-02": 114}, "2026-02")
    check(r, {"target": 110, "status": "met", "attainment": 114 / 110})
    # A band as fallback: 114 inside {min: 100}
    r = run(kpi(target={"schedule": sched, "min": 100}), {"2026-02": 114}, "2026-02")
    check(r, {"target": 100, "status": "met", "attainment": 1.0, "target_min": 100})
    # A change as fallback: baseline 100 +5% = 105
    r = run(kpi(baseline={"value": 100}, target={"schedule": sched, "change": "+5%"}),
            {"2026-02": 100}, "2026-02")
    check(r, {"target": 105.0, "attainment": 100 / 105, "status": "at_risk"})


def test_schedule_by_quarter_labels_at_quarter_grain_and_history_targets() -> None:
    k = kpi(schedule={"2026-Q1": 10, "2026-Q2": 20})
    r = run(k, {"2026Q1": 12, "2026Q2": 18}, "2026Q2", grain="quarter")
    check(r, {"target": 20, "attainment": 0.9, "status": "at_risk", "previous": 12.0,
              "delta": 6.0, "delta_pct": 0.5})
    assert [(h.period, h.actual, h.target) for h in r.history] == [
        ("2026-Q1", 12.0, 10), ("2026-Q2", 18.0, 20)
    ]


def test_history_window_and_forecast_horizon_target() -> None:
    # history 3: the last three periods up to the report period, not the ones after it
    vals = {"2026-01": 1, "2026-02": 2, "2026-03": 3, "2026-04": 4, "2026-05": 5}
    r = run(kpi(target=10), vals, "2026-04", history=3)
    assert [h.period for h in r.history] == ["2026-02", "2026-03", "2026-04"]
    assert [h.actual for h in r.history] == [2.0, 3.0, 4.0]
    assert [h.target for h in r.history] == [10, 10, 10]


# ----------------------------------------------------------------------- accumulation


def test_ytd_on_pace_and_with_an_empty_month() -> None:
    k = kpi(accumulate="ytd", target={"value": 1200, "per": "year"})
    # Jan..Mar 100 each: YTD 300 vs 1200/12*3 = 300 → met
    r = run(k, {"2026-01": 100, "2026-02": 100, "2026-03": 100}, "2026-03")
    check(r, {"actual": 300.0, "target": 300.0, "status": "met", "attainment": 1.0,
              "due": "2026-12", "previous": 200.0, "delta": 100.0, "delta_pct": 0.5})
    # February empty: the running total keeps 100, March 200 vs 300 → 0.67 off_track;
    # due at year end: needed (1200-200)/9
    r = run(k, {"2026-01": 100, "2026-02": None, "2026-03": 100}, "2026-03")
    check(r, {"actual": 200.0, "target": 300.0, "attainment": 2 / 3, "status": "off_track",
              "needed": 1000 / 9, "previous": 100.0,
              "why": "attainment 200/300 = 0.67 < 0.90 → off_track"})
    assert [h.actual for h in r.history] == [100.0, 100.0, 200.0]
    assert [h.target for h in r.history] == [100.0, 200.0, 300.0]


def test_ytd_span_with_no_value_yet_stays_empty() -> None:
    k = kpi(accumulate="ytd", target={"value": 1200, "per": "year"})
    # December 2025 has a value; January 2026 none: a new year, nothing yet → no_data
    r = run(k, {"2025-12": 100, "2026-01": None}, "2026-01")
    check(r, {"actual": None, "status": "no_data", "why": "no value for 2026-01 → no_data"})


def test_ytd_first_month_of_a_fiscal_year() -> None:
    # Fiscal year from April: March 2026 closes FY2026, April 2026 opens FY2027.
    k = kpi(accumulate="ytd", target={"value": 1200, "per": "year"})
    r = run(k, {"2026-03": 100, "2026-04": 50}, "2026-04", fys=4)
    # The running total restarts: 50 vs 1200/12*1 = 100 → 0.5; due 2027-03; needed 1150/11
    check(r, {"actual": 50.0, "target": 100.0, "attainment": 0.5, "status": "off_track",
              "due": "2027-03", "needed": 1150 / 11, "previous": 100.0})
    r = run(k, {"2026-03": 100}, "2026-03", fys=4)
    # March is the 12th month of FY2026: 1200/12*12 = 1200; due is March itself
    check(r, {"target": 1200.0, "due": "2026-03", "needed": None})


def test_qtd_and_per_spans() -> None:
    k = kpi(accumulate="qtd", target={"value": 300, "per": "quarter"})
    # Jul 100, Aug 100: QTD 200 vs 300/3*2 = 200 → met; due Sep
    r = run(k, {"2026-07": 100, "2026-08": 100}, "2026-08")
    check(r, {"actual": 200.0, "target": 200.0, "status": "met", "due": "2026-09"})
    # Oct starts a new quarter: 90 vs 100 → 0.9 at_risk; needed (300-90)/2
    r = run(k, {"2026-09": 100, "2026-10": 90}, "2026-10")
    check(r, {"actual": 90.0, "target": 100.0, "attainment": 0.9, "status": "at_risk",
              "needed": 105.0, "due": "2026-12"})
    # qtd without per: the value covers a quarter
    k2 = kpi(accumulate="qtd", target=300)
    check(run(k2, {"2026-07": 100}, "2026-07"), {"target": 100.0, "status": "met"})
    # ytd with a monthly per: 100 per month → 300 by March
    k3 = kpi(accumulate="ytd", target={"value": 100, "per": "month"})
    check(run(k3, {"2026-01": 90, "2026-02": 100, "2026-03": 100}, "2026-03"),
          {"target": 300.0, "actual": 290.0, "attainment": 290 / 300})
    # ytd without per: the value covers a year
    k4 = kpi(accumulate="ytd", target=1200)
    check(run(k4, {"2026-01": 100, "2026-02": 100}, "2026-02"), {"target": 200.0})


def test_per_without_accumulate_is_the_level() -> None:
    r = run(kpi(target={"value": 1200, "per": "year"}), {"2026-03": 1000}, "2026-03")
    check(r, {"target": 1200, "attainment": 1000 / 1200, "due": None, "needed": None,
              "status": "off_track"})


def test_ytd_at_quarter_and_week_grain() -> None:
    k = kpi(accumulate="ytd", target={"value": 1200, "per": "year"})
    # quarters: 300 per quarter; Q2: 250 + 300 = 550 vs 600
    r = run(k, {"2026Q1": 250, "2026Q2": 300}, "2026Q2", grain="quarter")
    check(r, {"actual": 550.0, "target": 600.0, "due": "2026-Q4", "needed": 650 / 2})
    # weeks: 1200/52 per week; the ISO week 2026-W02 is the second week of 2026 → 2400/52
    kw = kpi(accumulate="ytd", target={"value": 5200, "per": "year"})
    r = run(kw, {"2026-01-01": 100, "2026-01-08": 100}, "2026-01-08", grain="week")
    check(r, {"actual": 200.0, "target": 200.0, "status": "met"})


def test_accumulate_with_a_due_period_and_a_schedule() -> None:
    # An explicit due wins over the year end; a scheduled ytd value is used as written
    k = kpi(accumulate="ytd", target={"value": 1200, "per": "year", "due": "2026-06"})
    r = run(k, {"2026-01": 100, "2026-02": 100}, "2026-02")
    check(r, {"due": "2026-06", "target": 200.0, "status": "met"})
    r = run(k, {"2026-01": 100, "2026-02": 50}, "2026-02")
    # needed: target at the due period (600) minus 150, over 4 periods
    check(r, {"target": 200.0, "actual": 150.0, "needed": 450 / 4})


def test_accumulated_data_targets() -> None:
    k = kpi(accumulate="ytd")
    r = run(k, {"2026-01": 100, "2026-02": 80}, "2026-02",
            data_targets={"2026-01": 90, "2026-02": 100})
    # actual 180 vs 190 → 0.947 at_risk; the year-end due period has no data target
    check(r, {"actual": 180.0, "target": 190.0, "attainment": 180 / 190, "status": "at_risk"})
    assert [h.target for h in r.history] == [90.0, 190.0]


def test_member_target_is_prorated_for_accumulate() -> None:
    k = kpi(accumulate="ytd", target={"value": 1200, "per": "year"})
    r = run(k, {"2026-01": 100, "2026-02": 100}, "2026-02", member_target=2400, group="North")
    check(r, {"target": 400.0, "attainment": 0.5, "group": "North"})


# ----------------------------------------------------------------------- forecast

LINE = {f"2026-{m:02d}": 10.0 * m for m in range(1, 7)}  # 10, 20, .., 60


def test_forecast_next_period_on_a_line() -> None:
    r = run(kpi(target=100), LINE, "2026-06")
    check(r, {"forecast": 70.0, "forecast_period": "2026-07", "forecast_meets": False})


def test_forecast_uses_the_last_six_only() -> None:
    # A first value far off the line is outside the window of six
    vals = {"2026-01": 1000.0, **{f"2026-{m:02d}": 10.0 * m for m in range(2, 8)}}
    r = run(kpi(target=79), vals, "2026-07")
    check(r, {"forecast": 80.0, "forecast_period": "2026-08", "forecast_meets": True})


def test_forecast_needs_three_points() -> None:
    r = run(kpi(target=10), {"2026-05": 1, "2026-06": 2}, "2026-06")
    check(r, {"forecast": None, "forecast_meets": None, "forecast_period": "2026-07"})
    r = run(kpi(target=10), {"2026-04": 1, "2026-05": 2, "2026-06": 3}, "2026-06")
    check(r, {"forecast": 4.0})


def test_forecast_ignores_periods_after_the_report_period() -> None:
    vals = {**LINE, "2026-07": 500.0, "2026-08": 900.0}
    check(run(kpi(target=100), vals, "2026-06"), {"forecast": 70.0})


def test_forecast_with_a_gap_in_the_window() -> None:
    # Jan..Jun with April missing: points (1,10),(2,20),(3,30),(5,50),(6,60): still the line
    vals = {**LINE, "2026-04": None}
    check(run(kpi(target=100), vals, "2026-06"), {"forecast": 70.0})


def test_forecast_to_the_due_period_and_meets() -> None:
    k = kpi(baseline={"value": 0, "period": "2026-01"}, target={"value": 110, "due": "2026-12"})
    # 60 + 6 * 10 = 120 >= 110
    r = run(k, LINE, "2026-06")
    check(r, {"forecast": 120.0, "forecast_period": "2026-12", "forecast_meets": True})
    k = kpi(baseline={"value": 0, "period": "2026-01"}, target={"value": 130, "due": "2026-12"})
    check(run(k, LINE, "2026-06"), {"forecast_meets": False})
    # due is the report period: the horizon is the next period
    k = kpi(baseline={"value": 0, "period": "2026-01"}, target={"value": 130, "due": "2026-06"})
    check(run(k, LINE, "2026-06"), {"forecast": 70.0, "forecast_period": "2026-07"})


def test_forecast_meets_a_band_and_not_without_a_value() -> None:
    r = run(kpi(direction="lower", target={"max": 65}), LINE, "2026-06")
    check(r, {"forecast": 70.0, "forecast_meets": False})
    check(run(kpi(), LINE, "2026-06"), {"forecast": 70.0, "forecast_meets": None})
    r = run(kpi(target={"schedule": {"2026-06": 50}}), LINE, "2026-06")
    check(r, {"forecast": 70.0, "forecast_meets": None})  # no schedule entry for 2026-07
    r = run(kpi(target={"schedule": {"2026-06": 50, "2026-07": 69}}), LINE, "2026-06")
    check(r, {"forecast_meets": True})


def test_no_forecast_without_an_actual() -> None:
    vals = {**LINE, "2026-07": None}
    check(run(kpi(target=10), vals, "2026-07"), {"forecast": None, "status": "no_data"})


# ----------------------------------------------------------------------- deltas


def test_delta_against_zero_and_negative_previous() -> None:
    check(run(kpi(target=1), {"2026-09": 0, "2026-10": 5}, "2026-10"),
          {"delta": 5.0, "delta_pct": None, "previous": 0.0})
    check(run(kpi(target=1), {"2026-09": -10, "2026-10": -5}, "2026-10"),
          {"delta": 5.0, "delta_pct": 0.5})
    check(run(kpi(target=1), {"2026-08": 3, "2026-09": None, "2026-10": 5}, "2026-10"),
          {"previous": None, "delta": None, "delta_pct": None})


@pytest.mark.parametrize(
    ("grain", "values", "period", "yoy"),
    [
        ("month", {"2025-10": 7, "2025-11": 1, "2026-10": 10}, "2026-10", 3.0),
        ("quarter", {"2025Q3": 4, "2025Q4": 1, "2026Q3": 10}, "2026Q3", 6.0),
        ("year", {"2025": 8, "2026": 10}, "2026", 2.0),
        # 52 weeks before the week of 2026-10-05 is the week of 2025-10-06
        ("week", {"2025-10-06": 9, "2025-10-13": 1, "2026-10-05": 10}, "2026-10-05", 1.0),
    ],
)
def test_year_on_year_at_every_grain(grain: str, values: dict, period: str, yoy: float) -> None:
    check(run(kpi(target=1), values, period, grain=grain), {"delta_yoy": yoy})


def test_year_on_year_missing() -> None:
    check(run(kpi(target=1), {"2026-09": 1, "2026-10": 2}, "2026-10"), {"delta_yoy": None})


# ----------------------------------------------------------------------- missing values, counts


def test_min_count_boundary_and_counts() -> None:
    k = kpi(target=4, measure={"column": "x", "min_count": 30})
    r = run(k, {"2026-10": 4.5}, "2026-10", counts={"2026-10": 29})
    check(r, {"status": "no_data", "actual": None, "count": 29,
              "why": "only 29 rows in 2026-10 (min_count 30) → no_data"})
    r = run(k, {"2026-10": 4.5}, "2026-10", counts={"2026-10": 30})
    check(r, {"status": "met", "actual": 4.5, "count": 30})
    r = run(k, {"2026-10": 4.5}, "2026-10")
    check(r, {"status": "no_data", "count": None,
              "why": "only 0 rows in 2026-10 (min_count 30) → no_data"})


def test_no_value_and_problem() -> None:
    r = run(kpi(target=1), {"2026-09": 1, "2026-10": None}, "2026-10")
    check(r, {"status": "no_data", "actual": None, "why": "no value for 2026-10 → no_data",
              "attainment": None, "score": None})
    c = Context(period=pd.Period("2026-10", "M"), grain="month")
    r = evaluate_kpi(kpi(target=1), series({"2026-10": 5}), c, problem="column 'x' is not in the data")
    check(r, {"status": "no_data", "actual": None, "why": "column 'x' is not in the data"})
    r = run(kpi(), {"2026-10": 5}, "2026-10")
    check(r, {"status": "no_data", "actual": 5.0,
              "why": "no target is defined for 2026-10; status needs a target → no_data"})


def test_empty_data_target_cell_falls_back() -> None:
    # A data target of NaN in the period: no target from the data; the YAML level applies
    r = run(kpi(target=50), {"2026-10": 45}, "2026-10", data_targets={"2026-09": 1, "2026-10": None},
            target_column_named=True)
    check(r, {"target": 50, "attainment": 0.9})
    r = run(kpi(), {"2026-10": 45}, "2026-10", data_targets={"2026-09": 1, "2026-10": None})
    check(r, {"target": None, "status": "no_data"})


def test_infinite_value_is_no_value() -> None:
    r = run(kpi(target=1), {"2026-10": math.inf}, "2026-10")
    check(r, {"actual": None, "status": "no_data"})


# ----------------------------------------------------------------------- scores and words


def _res(score: float | None, weight: float) -> KPIResult:
    return KPIResult(id="x", name="x", score=score, weight=weight)


def test_weighted_score_skips_unscored_and_zero_weight() -> None:
    # (0.8*2 + 1.0*1) / 3 = 0.8667; the unscored line's weight is not counted
    s, w = weighted_score([_res(0.8, 2), _res(None, 5), _res(1.0, 1), _res(0.1, 0)])
    assert s == pytest.approx(2.6 / 3)
    assert w == 3
    assert weighted_score([_res(None, 1)]) == (None, 0.0)
    assert weighted_score([_res(0.5, 0)]) == (None, 0.0)
    assert weighted_score([]) == (None, 0.0)


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (None, "n/a"), (math.nan, "n/a"), (1200000.0, "1,200,000"), (1234.5, "1,234.5"),
        (86.25, "86.25"), (0.5, "0.5"), (0.12345, "0.123"), (1.0, "1"), (-2.5, "-2.5"),
        (1000.04, "1,000.0"), (999.5, "999.5"), (0.0, "0"), (-0.25, "-0.25"),
        (1e15, "1,000,000,000,000,000.0"), (12.3456, "12.35"),
        (999999999999999.0, "999,999,999,999,999"), (999.96, "1000"), (1.2345, "1.234"),
        (0.001234, "0.00123"),
    ],
)
def test_num(x: float | None, text: str) -> None:
    assert E.num(x) == text


def test_clean() -> None:
    assert E._clean(None) is None
    assert E._clean("x") is None
    assert E._clean(math.inf) is None
    assert E._clean(-math.inf) is None
    assert E._clean(math.nan) is None
    assert E._clean("2.5") == 2.5
    assert E._clean(0) == 0.0


def test_attainment_and_is_met_directly() -> None:
    band = E.TargetAt(value=2, low=2, high=4)
    assert E.attainment(1, band, "higher") == 0.5
    assert E.attainment(5, band, "lower") == 0.8
    assert E.attainment(3, band, "higher") == 1.0
    assert E.is_met(4, band, "higher") and E.is_met(2, band, "higher")
    assert not E.is_met(4.01, band, "higher") and not E.is_met(1.99, band, "higher")
    level = E.TargetAt(value=10)
    assert E.attainment(5, level, "higher") == 0.5
    assert E.attainment(5, level, "lower") == 2.0
    assert E.is_met(10, level, "higher") and E.is_met(10, level, "lower")
    assert not E.is_met(9.99, level, "higher") and not E.is_met(10.01, level, "lower")
    assert E.TargetAt(low=0).is_band and E.TargetAt(high=0).is_band
    assert not E.TargetAt(value=1).is_band


# ----------------------------------------------------------------------- edges found by mutation


def test_context_defaults() -> None:
    # fiscal year from January, at_risk 0.9 and a history of 12 periods unless told
    c = Context(period=pd.Period("2026Q3", "Q-DEC"), grain="quarter")
    r = evaluate_kpi(kpi(target=10), series({"2026Q2": 8, "2026Q3": 9}, "quarter"), c)
    check(r, {"status": "at_risk", "previous": 8.0})
    assert [h.period for h in r.history] == ["2026-Q2", "2026-Q3"]
    vals = {f"2025-{m:02d}": float(m) for m in range(1, 13)}
    vals |= {"2026-01": 13.0, "2026-02": 14.0}
    c = Context(period=pd.Period("2026-02", "M"), grain="month")
    r = evaluate_kpi(kpi(target=10), series(vals), c)
    assert len(r.history) == 12
    assert r.history[0].period == "2025-03"


def test_forecast_window_is_exactly_six() -> None:
    # Jan 0, Feb..Jun 20..60. Six points x = -5..0: mean x -2.5, mean y 200/6;
    # Sxy = 200, Sxx = 17.5 → slope 80/7, value at x=1: 200/6 + 2.5*80/7 + 80/7 = 220/3.
    # (Five points would give the line 20..60 → 70; seven would include nothing more.)
    vals = {"2026-01": 0.0, **{f"2026-{m:02d}": 10.0 * m for m in range(2, 7)}}
    check(run(kpi(target=100), vals, "2026-06"), {"forecast": 220 / 3})
    vals = {"2025-12": 500.0, **vals}
    check(run(kpi(target=100), vals, "2026-06"), {"forecast": 220 / 3})


def test_due_in_the_baseline_period_has_no_expected_progress() -> None:
    k = kpi(baseline={"value": 50, "period": "2026-04"}, target={"value": 80, "due": "2026-04"})
    # no span to be expected over: judged by attainment 75/80 = 0.9375
    check(run(k, {"2026-04": 75}, "2026-04"), {
        "expected_progress": None, "progress": 25 / 30, "status": "at_risk",
        "why": "attainment 75/80 = 0.94 >= 0.90 → at_risk"})


def test_bands_under_one() -> None:
    # rates: {max: 0.5} at 1.0 → 0.5/1 = 0.5; {min: 0.5} at 0.25 → 0.25/0.5 = 0.5
    check(run(kpi(direction="lower", target={"max": 0.5}), {"2026-10": 1.0}, "2026-10"),
          {"attainment": 0.5, "status": "off_track"})
    check(run(kpi(direction="lower", target={"max": 0.25}), {"2026-10": 0.5}, "2026-10"),
          {"attainment": 0.5, "status": "off_track"})
    check(run(kpi(target={"min": 0.5}), {"2026-10": 0.25}, "2026-10"),
          {"attainment": 0.5, "status": "off_track"})


def test_band_bounds_of_zero_hold_zero() -> None:
    check(run(kpi(target={"min": 0}), {"2026-10": 0}, "2026-10"),
          {"status": "met", "attainment": 1.0, "score": 1.0})
    check(run(kpi(direction="lower", target={"max": 0}), {"2026-10": 0}, "2026-10"),
          {"status": "met", "attainment": 1.0})


def test_weighted_score_of_one_line() -> None:
    assert weighted_score([_res(0.7, 1)]) == (pytest.approx(0.7), 1)
    assert weighted_score([_res(0.7, 0.5), _res(0.1, 0.5)]) == (pytest.approx(0.4), 1.0)


def test_resolve_target_accumulates_data_targets_itself() -> None:
    k = kpi(accumulate="ytd")
    c = Context(period=pd.Period("2026-02", "M"), grain="month")
    data_t = series({"2026-01": 90, "2026-02": 100})
    t = E.resolve_target(k, pd.Period("2026-02", "M"), c, None, data_t)
    assert (t.value, t.source) == (190.0, "data")
    t = E.resolve_target(k, pd.Period("2026-02", "M"), c, None, data_t, E.accumulated(data_t, k, 1))
    assert t.value == 190.0
    # a level KPI takes the period's own data target
    t = E.resolve_target(kpi(), pd.Period("2026-02", "M"), c, None, data_t)
    assert (t.value, t.source) == (100.0, "data")


def test_accumulate_without_a_target_has_no_due_period() -> None:
    check(run(kpi(accumulate="ytd"), {"2026-01": 5}, "2026-01"),
          {"due": None, "status": "no_data", "actual": 5.0, "target": None})


def test_values_up_to_the_period_in_any_order() -> None:
    p = pd.Period("2026-02", "M")
    ordered = series({"2026-01": 1, "2026-02": 2, "2026-03": 3})
    assert E._upto(ordered, p).tolist() == [1.0, 2.0]
    assert E._upto(ordered.iloc[:0], p).tolist() == []
    # Periods out of order (not from aggregation): compared one by one, order kept
    unordered = pd.Series(
        [3.0, 1.0, 2.0], index=pd.PeriodIndex(["2026-03", "2026-01", "2026-02"], freq="M")
    )
    assert E._upto(unordered, p).tolist() == [1.0, 2.0]
    plain = pd.Series([1.0, 3.0], index=pd.Index([pd.Period("2026-01", "M"), p + 1], dtype=object))
    assert E._upto(plain, p).tolist() == [1.0]


def test_min_count_of_one_without_counts_and_needed_with_one_period_left() -> None:
    k = kpi(target=4, measure={"column": "x", "min_count": 1})
    check(run(k, {"2026-10": 4.5}, "2026-10"), {
        "status": "no_data", "why": "only 0 rows in 2026-10 (min_count 1) → no_data"})
    check(run(k, {"2026-10": 4.5}, "2026-10", counts={"2026-10": 1}), {"status": "met"})
    # one period before the due period: (80 - 70) / 1
    check(run(kpi(**B50), {"2026-06": 70}, "2026-06"), {"needed": 10.0, "expected_progress": 5 / 6})


# ----------------------------------------------------------------------- in-progress periods


def test_partial_period_prorates_the_target() -> None:
    # half of the period covered: a total's target 100 becomes 50; 45/50 = 0.9 → at_risk
    r = run(kpi(target=100), {"2026-10": 45}, "2026-10", coverage=0.5)
    check(r, {"target": 50.0, "attainment": 0.9, "status": "at_risk"})
    # a band's bounds scale too: 80..120 → 40..60; 50 is inside
    r = run(kpi(target={"min": 80, "max": 120}), {"2026-10": 50}, "2026-10", coverage=0.5)
    check(r, {"target_min": 40.0, "target_max": 60.0, "target": 40.0, "status": "met"})
    # a full period is not pro-rated
    check(run(kpi(target=100), {"2026-10": 45}, "2026-10", coverage=1.0), {"target": 100})


def test_partial_period_scales_the_baseline_of_a_total() -> None:
    # baseline 40 (2026-01) → 20 for half a period; T 100 → 50; A 35: progress (35-20)/(50-20)
    # = 0.5 of expected 6/11 → 0.9167 → at_risk
    k = kpi(baseline={"value": 40, "period": "2026-01"}, target={"value": 100, "due": "2026-12"})
    r = run(k, {"2026-07": 35}, "2026-07", coverage=0.5)
    check(r, {"target": 50.0, "progress": 0.5, "expected_progress": 6 / 11, "status": "at_risk"})


def test_partial_period_of_a_running_total() -> None:
    k = kpi(accumulate="ytd", target={"value": 1200, "per": "year"})
    # March half covered: February's 200 plus half of March's 100 = 250; YTD 240 → 0.96
    r = run(k, {"2026-01": 100, "2026-02": 100, "2026-03": 40}, "2026-03", coverage=0.5)
    check(r, {"target": 250.0, "actual": 240.0, "attainment": 0.96, "status": "at_risk"})
    # January opens the year: no earlier target in the span, 100 * 0.5
    r = run(k, {"2026-01": 40}, "2026-01", coverage=0.5)
    check(r, {"target": 50.0})
    # a schedule without an entry for February: March's 300 scaled alone
    ks = kpi(accumulate="ytd", schedule={"2026-03": 300})
    r = run(ks, {"2026-02": 100, "2026-03": 40}, "2026-03", coverage=0.5)
    check(r, {"target": 150.0})


def test_partial_period_forecast_leaves_the_period_out() -> None:
    vals = {**LINE, "2026-06": 5.0}  # June in progress: 5 so far
    # the line through January..May (10..50) reaches 70 in July
    check(run(kpi(target=100), vals, "2026-06", coverage=0.2), {"forecast": 70.0})


def test_partial_period_without_a_target() -> None:
    r = run(kpi(), {"2026-10": 45}, "2026-10", coverage=0.5)
    check(r, {"target": None, "status": "no_data"})

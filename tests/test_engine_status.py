"""SPEC §2 arithmetic: attainment, progress, expected progress, status branches, with hand-computed numbers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from kpicli.engine.evaluate import Context, evaluate_kpi
from kpicli.model.kpifile import KPI


def monthly(values: dict[str, float]) -> pd.Series:
    idx = pd.PeriodIndex(list(values), freq="M")
    s = pd.Series(list(values.values()), index=idx, dtype="float64")
    full = pd.period_range(idx.min(), idx.max(), freq="M")
    return s.reindex(full)


def kpi(**kw: object) -> KPI:
    base = {"id": "k", "name": "A KPI"}
    base.update(kw)
    return KPI.model_validate(base)


def ctx(period: str, **kw: object) -> Context:
    return Context(period=pd.Period(period, freq="M"), grain="month", **kw)  # type: ignore[arg-type]


def test_level_met_higher() -> None:
    r = evaluate_kpi(kpi(target=85), monthly({"2026-09": 84.9, "2026-10": 86.2}), ctx("2026-10"))
    assert r.status == "met"
    assert r.attainment == pytest.approx(86.2 / 85)
    assert r.score == pytest.approx(86.2 / 85)
    assert r.delta == pytest.approx(1.3)
    assert r.delta_pct == pytest.approx(1.3 / 84.9)
    assert r.why == "86.2 >= 85: target met"


def test_level_at_risk_and_off_track_higher() -> None:
    r = evaluate_kpi(kpi(target=100), monthly({"2026-10": 92}), ctx("2026-10"))
    assert (r.status, r.attainment) == ("at_risk", pytest.approx(0.92))
    assert r.why == "attainment 92/100 = 0.92 >= 0.90 → at_risk"
    r = evaluate_kpi(kpi(target=100), monthly({"2026-10": 89}), ctx("2026-10"))
    assert (r.status, r.attainment) == ("off_track", pytest.approx(0.89))


def test_lower_is_better_uses_t_over_a() -> None:
    k = kpi(direction="lower", target=4)
    r = evaluate_kpi(k, monthly({"2026-10": 5}), ctx("2026-10"))
    assert r.attainment == pytest.approx(0.8)
    assert r.status == "off_track"
    r = evaluate_kpi(k, monthly({"2026-10": 4.4}), ctx("2026-10"))
    assert r.attainment == pytest.approx(4 / 4.4)
    assert r.status == "at_risk"
    r = evaluate_kpi(k, monthly({"2026-10": 3.5}), ctx("2026-10"))
    assert r.status == "met"
    assert r.score == pytest.approx(4 / 3.5)  # 1.14 < 1.2: not capped
    r = evaluate_kpi(k, monthly({"2026-10": 2}), ctx("2026-10"))
    assert r.attainment == pytest.approx(2.0)
    assert r.score == pytest.approx(1.2)  # capped


def test_attainment_undefined_for_non_positive() -> None:
    r = evaluate_kpi(kpi(target=30), monthly({"2026-10": -5}), ctx("2026-10"))
    assert r.attainment is None
    assert r.score is None
    assert r.status == "off_track"


def test_band_inside_below_above() -> None:
    k = kpi(target={"min": 1.5, "max": 3})
    r = evaluate_kpi(k, monthly({"2026-10": 2}), ctx("2026-10"))
    assert (r.status, r.attainment) == ("met", 1.0)
    r = evaluate_kpi(k, monthly({"2026-10": 1.4}), ctx("2026-10"))
    assert r.attainment == pytest.approx(1.4 / 1.5)
    assert r.status == "at_risk"
    r = evaluate_kpi(k, monthly({"2026-10": 4}), ctx("2026-10"))
    assert r.attainment == pytest.approx(0.75)
    assert r.status == "off_track"
    assert "3/4 = 0.75 < 0.90" in r.why


def test_time_bound_pace_on_track_at_risk_off_track() -> None:
    # Baseline 50 in 2026-01, target 80 due 2026-11 (10 periods); report 2026-06: 5/10 expected.
    k = kpi(baseline={"value": 50, "period": "2026-01"}, target={"value": 80, "due": "2026-11"})
    r = evaluate_kpi(k, monthly({"2026-06": 65}), ctx("2026-06"))
    assert r.expected_progress == pytest.approx(0.5)
    assert r.progress == pytest.approx(0.5)
    assert r.status == "on_track"
    r = evaluate_kpi(k, monthly({"2026-06": 63.7}), ctx("2026-06"))
    assert r.progress == pytest.approx(13.7 / 30)
    assert r.status == "at_risk"  # 0.4567/0.5 = 0.913
    r = evaluate_kpi(k, monthly({"2026-06": 62.6}), ctx("2026-06"))
    assert r.status == "off_track"  # 0.42/0.5 = 0.84
    assert r.why == "progress 0.42 of expected 0.50 = 0.84 < 0.90 → off_track"
    # needed: (80 - 62.6) / 5 remaining periods
    assert r.needed == pytest.approx(17.4 / 5)


def test_due_passed_is_off_track_even_with_high_attainment() -> None:
    k = kpi(baseline={"value": 50, "period": "2026-01"}, target={"value": 80, "due": "2026-09"})
    r = evaluate_kpi(k, monthly({"2026-10": 79}), ctx("2026-10"))
    assert r.status == "off_track"
    assert "due 2026-09 passed" in r.why


def test_at_due_period_not_met_uses_pace_with_expected_one() -> None:
    k = kpi(baseline={"value": 50, "period": "2026-01"}, target={"value": 80, "due": "2026-10"})
    r = evaluate_kpi(k, monthly({"2026-10": 75}), ctx("2026-10"))
    # progress (75-50)/(80-50) = 0.833 of expected 1.0 < 0.9; attainment 75/80 would say at_risk
    assert r.status == "off_track"
    assert r.expected_progress == pytest.approx(1.0)
    assert r.progress == pytest.approx(25 / 30)
    assert r.why == "progress 0.83 of expected 1.00 = 0.83 < 0.90 → off_track"


def test_relative_change_target_lower() -> None:
    k = kpi(
        direction="lower",
        baseline={"value": 30, "period": "2026-03"},
        target={"change": "-20%", "due": "2026-09"},
    )
    r = evaluate_kpi(k, monthly({"2026-06": 27}), ctx("2026-06"))
    assert r.target == pytest.approx(24)
    assert r.progress == pytest.approx(0.5)  # (27-30)/(24-30)
    assert r.expected_progress == pytest.approx(0.5)
    assert r.status == "on_track"


def test_absolute_change_target_and_missing_baseline() -> None:
    k = kpi(baseline={"value": 20, "period": "2026-09"}, target={"change": 10, "due": "2026-12"})
    r = evaluate_kpi(k, monthly({"2026-10": 24}), ctx("2026-10"))
    assert r.target == 30
    assert r.progress == pytest.approx(0.4)
    assert r.expected_progress == pytest.approx(1 / 3)
    assert r.status == "on_track"
    r = evaluate_kpi(kpi(target={"change": 10}), monthly({"2026-10": 24}), ctx("2026-10"))
    assert r.status == "no_data"
    assert "baseline" in r.why


def test_baseline_value_from_data_period() -> None:
    k = kpi(baseline={"period": "2026-01"}, target={"value": 80, "due": "2026-11"})
    r = evaluate_kpi(k, monthly({"2026-01": 50, "2026-06": 65}), ctx("2026-06"))
    assert r.baseline == 50
    assert r.status == "on_track"


def test_no_data_and_min_count() -> None:
    k = kpi(target=85, measure={"column": "x", "min_count": 30})
    s = monthly({"2026-09": 80, "2026-10": 90})
    counts = monthly({"2026-09": 40, "2026-10": 3})
    r = evaluate_kpi(k, s, ctx("2026-10"), counts=counts)
    assert r.status == "no_data"
    assert r.actual is None
    assert "only 3 rows" in r.why
    r = evaluate_kpi(kpi(target=1), monthly({"2026-09": 1, "2026-10": math.nan}), ctx("2026-10"))
    assert r.status == "no_data"


def test_custom_threshold() -> None:
    r = evaluate_kpi(kpi(target=100), monthly({"2026-10": 85}), ctx("2026-10", at_risk=0.8))
    assert r.status == "at_risk"


def test_schedule_target() -> None:
    k = kpi(schedule={"2026-09": 100, "2026-10": 110})
    r = evaluate_kpi(k, monthly({"2026-09": 101, "2026-10": 104}), ctx("2026-10"))
    assert r.target == 110
    assert r.status == "at_risk"  # 104/110 = 0.945
    assert [h.target for h in r.history] == [100, 110]


def test_forecast_least_squares_to_due() -> None:
    # y = 10 + 2x over six months; due two months after the report period.
    k = kpi(baseline={"value": 10, "period": "2026-04"}, target={"value": 40, "due": "2026-11"})
    s = monthly({f"2026-{m:02d}": 10 + 2 * (m - 4) for m in range(4, 10)})
    r = evaluate_kpi(k, s, ctx("2026-09"))
    assert r.forecast == pytest.approx(24.0)
    assert r.forecast_period == "2026-11"
    assert r.forecast_meets is False


def test_forecast_needs_three_points() -> None:
    r = evaluate_kpi(kpi(target=5), monthly({"2026-09": 1, "2026-10": 2}), ctx("2026-10"))
    assert r.forecast is None


def test_delta_yoy() -> None:
    s = monthly({"2025-10": 70, "2026-09": 79, "2026-10": 80})
    r = evaluate_kpi(kpi(target=85), s, ctx("2026-10"))
    assert r.delta_yoy == pytest.approx(10)


def test_ytd_accumulate_prorated_fiscal_april() -> None:
    # Fiscal year from April: 2026-06 is the third month; 1.2M/year → 300k expected YTD.
    k = kpi(unit="currency:EUR", accumulate="ytd", target={"value": "1.2M", "per": "year"})
    s = monthly({"2026-03": 999, "2026-04": 90_000, "2026-05": 100_000, "2026-06": 95_000})
    r = evaluate_kpi(k, s, ctx("2026-06", fiscal_year_start=4))
    assert r.actual == pytest.approx(285_000)
    assert r.target == pytest.approx(300_000)
    assert r.status == "at_risk"  # 0.95
    assert r.due == "2027-03"
    # run rate still needed: (1.2M - 285k) / 9 remaining months
    assert r.needed == pytest.approx((1_200_000 - 285_000) / 9)

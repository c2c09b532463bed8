"""Evaluation of all members of a KPI at once (kpicli.engine.evaluate.evaluate_members).

* Hand-computed results for three members judged together: each gets its own target
  (YAML, ``targets_by``, the data's column), status, pace, needed and previous status.
* Property (hypothesis): on random series, targets and KPI definitions, every member's result
  equals what the member-by-member evaluation from before (tests/reference_evaluate.py) gives
  that member alone, field by field and exactly (outputs stay byte-identical); likewise
  for many members whose forecast lines are fitted together (one least-squares solve for
  the members with values in the same periods).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from kpicli.engine.changes import status_change
from kpicli.engine.evaluate import Context, Members, evaluate_kpi, evaluate_members
from kpicli.model.kpifile import KPI
from tests import reference_evaluate as R
from tests.hypothesis_budget import examples

M = "M"


def kpi(**kw: Any) -> KPI:
    return KPI.model_validate({"id": "k", "name": "A KPI", **kw})


def periods(first: str, n: int) -> pd.PeriodIndex:
    return pd.period_range(pd.Period(first, freq=M), periods=n, freq=M)


# --------------------------------------------------------------------- hand-computed members


def test_three_members_each_judged_by_its_own_target() -> None:
    # Target 100 due 2026-12 from a baseline of 40 in 2026-06; the report month is 2026-10.
    # Expected progress: (10 - 6) / (12 - 6) = 4/6 = 0.6667 for every member.
    k = kpi(baseline={"value": 40, "period": "2026-06"}, target={"value": 100, "due": "2026-12"})
    idx = periods("2026-07", 4)  # 2026-07 .. 2026-10
    values = np.array(
        [
            [50, 60, 70, 80],  # overall: progress (80-40)/(100-40) = 0.6667 = expected → on_track
            [50, 55, 58, 60],  # North: 20/60 = 0.3333; /0.6667 = 0.5 < 0.9 → off_track
            [50, 60, 70, 100],  # South: 100 >= 100 → met
        ],
        dtype="float64",
    )
    targets = np.full((3, 4), np.nan)
    m = Members(
        periods=idx,
        values=values,
        groups=[None, "North", "South"],
        member_targets=np.array([np.nan, 85.0, np.nan]),
        targets=targets,
    )
    ctx = Context(period=pd.Period("2026-10", M), grain="month", history=2)
    res = evaluate_members(k, m, ctx, previous_status=True)
    overall, north, south = res
    assert [r.group for r in res] == [None, "North", "South"]
    assert overall.status == "on_track"
    assert overall.progress == pytest.approx(2 / 3)
    assert overall.expected_progress == pytest.approx(4 / 6)
    assert overall.needed == pytest.approx((100 - 80) / 2)  # 2 periods to 2026-12
    # North's targets_by level 85: progress (60-40)/(85-40) = 0.4444; / 0.6667 = 0.6667 → off
    assert north.target == 85.0
    assert north.progress == pytest.approx(20 / 45)
    assert north.status == "off_track"
    assert north.needed == pytest.approx((85 - 60) / 2)
    assert south.status == "met" and south.needed is None
    # 2026-09: overall 70 → progress 30/60 = 0.5 of expected 3/6 = 0.5 → on_track (unchanged);
    # North 58 → 18/45 = 0.4 / 0.5 = 0.8 < 0.9 → off_track; South 70 → 0.5/0.5 → on_track.
    assert [r.previous_status for r in res] == ["on_track", "off_track", "on_track"]
    assert [r.status_change for r in res] == ["unchanged", "unchanged", "improved"]
    assert [h.period for h in south.history] == ["2026-09", "2026-10"]
    assert [h.actual for h in south.history] == [70.0, 100.0]
    assert south.delta == 30.0 and south.delta_pct == pytest.approx(30 / 70)
    # Forecast of South: the line through 50, 60, 70, 100 at x = -3..0 has slope 16 and
    # passes (mean x -1.5, mean y 70): at 2026-12 (x = 2): 70 + 16 * 3.5 = 126.
    assert south.forecast == pytest.approx(126.0)
    assert south.forecast_period == "2026-12" and south.forecast_meets is True


def test_data_target_column_wins_only_where_the_member_has_one() -> None:
    k = kpi()  # no YAML target: the data's column is the target where it has a value
    idx = periods("2026-09", 2)
    m = Members(
        periods=idx,
        values=np.array([[10.0, 20.0], [10.0, 20.0]]),
        groups=[None, "A"],
        member_targets=np.array([np.nan, np.nan]),
        targets=np.array([[np.nan, 25.0], [np.nan, np.nan]]),
    )
    ctx = Context(period=pd.Period("2026-10", M), grain="month")
    overall, a = evaluate_members(k, m, ctx)
    # 20 / 25 = 0.8 < 0.9 → off_track; member A has no target at all → no_data
    assert (overall.target, overall.attainment, overall.status) == (25.0, 0.8, "off_track")
    assert (a.target, a.status) == (None, "no_data")
    assert a.why == "no target is defined for 2026-10; status needs a target → no_data"
    assert a.actual == 20.0


def test_ytd_running_totals_per_member_and_min_count() -> None:
    # ytd: 2026-01..03 running totals; target 1200/year → 100 per month, 300 by March.
    k = kpi(
        accumulate="ytd",
        target={"value": 1200, "per": "year"},
        measure={"column": "x", "aggregate": "sum", "min_count": 2},
    )
    idx = periods("2026-01", 3)
    m = Members(
        periods=idx,
        values=np.array([[100.0, np.nan, 250.0], [100.0, 100.0, 50.0]]),
        groups=[None, "B"],
        member_targets=np.array([np.nan, np.nan]),
        counts=np.array([[3.0, 0.0, 3.0], [3.0, 3.0, 1.0]]),
    )
    ctx = Context(period=pd.Period("2026-03", M), grain="month")
    overall, b = evaluate_members(k, m, ctx)
    assert overall.actual == 350.0 and overall.target == 300.0 and overall.status == "met"
    assert overall.due == "2026-12"
    # B: one row in March, min_count 2 → no value
    assert b.actual is None and b.status == "no_data"
    assert b.why == "only 1 rows in 2026-03 (min_count 2) → no_data"
    assert [h.actual for h in b.history] == [100.0, 200.0, 250.0]


def test_one_member_is_the_scalar_case() -> None:
    k = kpi(target={"min": 10, "max": 20})
    s = pd.Series([12.0, 25.0], index=periods("2026-09", 2))
    ctx = Context(period=pd.Period("2026-10", M), grain="month", group="X")
    one = evaluate_kpi(k, s, ctx)
    # outside the band: 20 / 25 = 0.8 < 0.9 → off_track
    assert (one.group, one.status, one.attainment) == ("X", "off_track", 0.8)


# ----------------------------------------------------------------------------- property

LABELS = [str(p) for p in periods("2024-01", 36)]
values_st = st.one_of(
    st.none(),
    st.sampled_from([0.0, 50.0, 100.0, -5.0]),
    st.floats(-200, 2000, allow_nan=False, allow_infinity=False),
)


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 30))
    first = draw(st.integers(0, 12))
    idx = pd.period_range(pd.Period(LABELS[first], freq=M), periods=n, freq=M)
    labels = [str(p) for p in idx]
    near = st.sampled_from(labels + ["2023-06", "2026-12", "2027-06"])
    g = draw(st.integers(1, 4))
    rows = [draw(st.lists(values_st, min_size=n, max_size=n)) for _ in range(g)]
    spec: dict[str, Any] = {"direction": draw(st.sampled_from(["higher", "lower"]))}
    acc = draw(st.sampled_from([None, None, "ytd", "qtd"]))
    if acc:
        spec["accumulate"] = acc
    kind = draw(st.sampled_from(["value", "band", "change", "schedule", "none", "min", "max"]))
    level = draw(st.sampled_from([0.0, 80.0, 100.0, 1200.0, -10.0]))
    target: dict[str, Any] | None = None
    if kind == "value":
        target = {"value": level}
    elif kind == "band":
        target = {"min": level, "max": level + draw(st.sampled_from([0.0, 20.0, 500.0]))}
    elif kind in ("min", "max"):
        target = {kind: level}
    elif kind == "change":
        target = {"change": draw(st.sampled_from([10, -20, "+10%", "-20%"]))}
    elif kind == "schedule":
        keys = draw(st.lists(st.sampled_from(labels), max_size=3, unique=True))
        target = {"schedule": {k: level + i for i, k in enumerate(keys)}}
        if draw(st.booleans()):
            target["value"] = level
    if target is not None:
        if draw(st.booleans()):
            target["due"] = draw(near)
        if acc and "value" in target and draw(st.booleans()):
            target["per"] = draw(st.sampled_from(["year", "quarter", "month"]))
        spec["target"] = target
    if draw(st.booleans()):
        baseline: dict[str, Any] = {}
        if draw(st.booleans()):
            baseline["value"] = draw(st.sampled_from([0.0, 40.0, 100.0]))
        if draw(st.booleans()):
            baseline["period"] = draw(near)
        if baseline:
            spec["baseline"] = baseline
    if draw(st.booleans()):
        spec["measure"] = {"column": "x", "aggregate": "sum", "min_count": draw(st.integers(1, 5))}
    counts = (
        [draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)) for _ in range(g)]
        if draw(st.booleans())
        else None
    )
    targets = (
        [draw(st.lists(values_st, min_size=n, max_size=n)) for _ in range(g)]
        if draw(st.booleans())
        else None
    )
    member_targets = [
        None if i == 0 else draw(st.one_of(st.none(), st.sampled_from([90.0, 1000.0, 5.0])))
        for i in range(g)
    ]
    return {
        "periods": idx,
        "rows": rows,
        "spec": spec,
        "counts": counts,
        "targets": targets,
        "member_targets": member_targets,
        "period": draw(st.sampled_from(list(idx))),
        "coverage": draw(st.sampled_from([1.0, 1.0, 0.5, 0.2])),
        "history": draw(st.integers(0, 14)),
        "named": draw(st.booleans()),
        "data_baseline": draw(st.one_of(st.none(), st.sampled_from([30.0, 100.0]))),
        "at_risk": draw(st.sampled_from([0.8, 0.9])),
        "fys": draw(st.sampled_from([1, 1, 4])),
        "problem": draw(st.sampled_from([None, None, None, "no rows for 'x'"])),
    }


def _array(rows: list[list[float | None]] | None) -> np.ndarray | None:
    if rows is None:
        return None
    return np.array([[np.nan if v is None else v for v in r] for r in rows], dtype="float64")


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(cases())
def test_every_member_as_if_evaluated_alone(case: dict[str, Any]) -> None:
    try:
        k = kpi(**case["spec"])
    except ValidationError:
        assume(False)
        return
    idx = case["periods"]
    values, counts, targets = _array(case["rows"]), _array(case["counts"]), _array(case["targets"])
    assert values is not None
    groups = [None] + [f"G{i}" for i in range(1, len(case["rows"]))]
    base = {
        "period": case["period"],
        "grain": "month",
        "fiscal_year_start": case["fys"],
        "at_risk": case["at_risk"],
        "history": case["history"],
        "data_baseline": case["data_baseline"],
        "coverage": case["coverage"],
        "target_column_named": case["named"],
    }
    mt = np.array([np.nan if t is None else t for t in case["member_targets"]], dtype="float64")
    members = Members(idx, values, groups, mt, counts=counts, targets=targets)
    got = evaluate_members(k, members, Context(**base), problem=case["problem"], previous_status=True)
    for i, group in enumerate(groups):
        ctx = R.Context(**base, group=group, member_target=case["member_targets"][i])
        series = pd.Series(values[i], index=idx)
        kw = {
            "counts": pd.Series(counts[i], index=idx) if counts is not None else None,
            "data_targets": pd.Series(targets[i], index=idx) if targets is not None else None,
            "problem": case["problem"],
        }
        want = R.evaluate_kpi(k, series, ctx, **kw)
        before = R.evaluate_kpi(k, series, R.previous_context(ctx), status_only=True, **kw)
        want.previous_status = before.status
        want.status_change = status_change(before.status, want.status)
        assert got[i].model_dump() == want.model_dump(), f"member {i} ({group})"
        # The JSON text too: 1 and 1.0 are equal in Python but not in the contract.
        assert got[i].model_dump_json() == want.model_dump_json(), f"member {i} ({group})"
        # The one-member entry point gives the same (without the previous period's status).
        alone = evaluate_kpi(k, series, ctx, **kw)  # type: ignore[arg-type]
        want.previous_status = want.status_change = None
        assert alone.model_dump() == want.model_dump()



@settings(max_examples=examples(100), deadline=None)
@given(
    st.integers(3, 14),
    st.lists(
        st.tuples(
            st.sampled_from(["full", "gap", "late", "sparse"]),
            st.lists(values_st, min_size=14, max_size=14),
        ),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from([None, "2026-12", "2025-02"]),
)
def test_forecasts_of_many_members_as_if_fitted_alone(n: int, members, due) -> None:
    # Members share the periods they have values in (the patterns), as the members of a
    # breakdown mostly do; each forecast must be the one its own line fit gives.
    holes = {"full": [], "gap": [1], "late": [0, 1], "sparse": [0, 2, 3]}
    idx = periods("2024-06", n)
    rows = []
    for pattern, vals in members:
        row = [100.0 if v is None else v for v in vals[:n]]
        for h in holes[pattern]:
            if h < n - 1:
                row[n - 2 - h] = np.nan
        rows.append(row)
    values = np.array(rows, dtype="float64")
    spec: dict[str, Any] = {"target": {"value": 120.0, **({"due": due} if due else {})}}
    k = kpi(**spec)
    groups = [None] + [f"G{i}" for i in range(1, len(rows))]
    base = {"period": idx[-1], "grain": "month", "history": 3}
    mt = np.full(len(rows), np.nan)
    got = evaluate_members(k, Members(idx, values, groups, mt), Context(**base))
    for i, group in enumerate(groups):
        ctx = R.Context(**base, group=group)
        want = R.evaluate_kpi(k, pd.Series(values[i], index=idx), ctx)
        assert (got[i].forecast, got[i].forecast_meets) == (want.forecast, want.forecast_meets)
        assert got[i].model_dump_json() == want.model_dump_json(), f"member {i}"


@pytest.mark.parametrize("tiny", [1.1125369292536007e-308, 5e-324, 1e-300, 1e300, 1.7e308])
def test_a_member_near_the_float_limits_is_forecast_as_if_fitted_alone(tiny: float) -> None:
    # Found by the property above: LAPACK rescales a least-squares right-hand side whose
    # largest value is tiny (or huge), and in a joint fit the other member's 50 decided that
    # scaling, so the tiny member's forecast differed in its last digit from its own fit.
    idx = periods("2024-01", 3)
    values = np.array([[np.nan] * 3, [0.0, np.nan, 50.0], [tiny, np.nan, np.nan]])
    k = kpi(direction="higher", accumulate="ytd")
    base = {"period": pd.Period("2024-03", M), "grain": "month", "history": 0}
    groups = [None, "G1", "G2"]
    got = evaluate_members(k, Members(idx, values, groups, np.full(3, np.nan)), Context(**base))
    for i, group in enumerate(groups):
        want = R.evaluate_kpi(k, pd.Series(values[i], index=idx), R.Context(**base, group=group))
        assert got[i].forecast == want.forecast, f"member {i}"
    if tiny < 1e308:  # (a line through 1.7e308 overflows: no forecast, for both)
        assert got[2].forecast is not None  # the running total 2024-01..03 is a line

"""Aggregation per period and group: SPEC §2 aggregate rules, ratios of sums, invariants."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpicli.engine.aggregate import OVERALL, compute_actuals
from kpicli.engine.report import build_report
from kpicli.model.kpifile import KPIFile
from kpicli.model.table import Source, Table
from tests.hypothesis_budget import examples

TODAY = dt.date(2026, 11, 22)


def records(rows: list[tuple[str, dict[str, object]]]) -> Table:
    df = pd.DataFrame([{"_date": pd.Timestamp(d), **v} for d, v in rows])
    df["_src"] = 0
    df["_row"] = np.arange(2, len(df) + 2)
    return Table(frame=df, layout="records", sources=[Source(path="data.csv")])


def model(*kpis: dict[str, object], **kw: object) -> KPIFile:
    return KPIFile.model_validate({"kpis": list(kpis), **kw})


def test_aggregates_by_month() -> None:
    t = records(
        [
            ("2026-01-03", {"x": 1.0}),
            ("2026-01-20", {"x": 3.0}),
            ("2026-01-31", {"x": None}),
            ("2026-02-01", {"x": 10.0}),
        ]
    )
    m = model(
        {"id": "s", "name": "Sum", "measure": {"column": "x", "aggregate": "sum"}},
        {"id": "m", "name": "Mean", "measure": {"column": "x", "aggregate": "mean"}},
        {"id": "c", "name": "Count", "measure": {"column": "x", "aggregate": "count"}},
        {"id": "p", "name": "P90", "measure": {"column": "x", "aggregate": "p90"}},
        {"id": "mx", "name": "Max", "measure": {"column": "x", "aggregate": "max"}},
    )
    a = compute_actuals(m, t, "month")
    jan = pd.Period("2026-01", "M")
    assert a.series("s")[jan] == 4.0
    assert a.series("m")[jan] == 2.0
    assert a.series("c")[jan] == 2.0  # count counts non-empty cells
    assert a.series("p")[jan] == pytest.approx(1 + 0.9 * 2)  # linear interpolation
    assert a.series("mx")[pd.Period("2026-02", "M")] == 10.0


def test_quarter_and_year_grain() -> None:
    t = records([("2026-01-15", {"x": 1.0}), ("2026-03-15", {"x": 2.0}), ("2026-04-01", {"x": 4.0})])
    m = model({"id": "s", "name": "Sum", "measure": {"column": "x", "aggregate": "sum"}})
    q = compute_actuals(m, t, "quarter")
    assert list(q.series("s").to_numpy()) == [3.0, 4.0]
    y = compute_actuals(m, t, "year")
    assert list(y.series("s").to_numpy()) == [7.0]
    # Fiscal year from April: Jan–Mar 2026 belong to FY2026, April to FY2027.
    fy = compute_actuals(model({"id": "s", "name": "S", "measure": {"column": "x", "aggregate": "sum"}},
                               fiscal_year_start=4), t, "year")
    assert list(fy.series("s").to_numpy()) == [3.0, 4.0]


def test_gap_periods_are_missing_not_zero() -> None:
    t = records([("2026-01-15", {"x": 1.0}), ("2026-03-15", {"x": 2.0})])
    m = model({"id": "s", "name": "S", "measure": {"column": "x", "aggregate": "sum"}})
    s = compute_actuals(m, t).series("s")
    assert np.isnan(s[pd.Period("2026-02", "M")])


def test_ratio_of_sums_formula() -> None:
    t = records(
        [
            ("2026-01-01", {"orders": 1.0, "visits": 10.0}),
            ("2026-01-02", {"orders": 9.0, "visits": 90.0}),
            ("2026-01-03", {"orders": 0.0, "visits": 900.0}),
        ]
    )
    m = model(
        {"id": "orders", "name": "Orders", "unit": "count"},
        {"id": "visits", "name": "Visits", "unit": "count"},
        {"id": "conversion", "name": "Conversion", "formula": "orders / visits"},
    )
    a = compute_actuals(m, t)
    # sum(orders)/sum(visits) = 10/1000, not mean of row ratios (0.1+0.1+0)/3
    assert a.series("conversion")[pd.Period("2026-01", "M")] == pytest.approx(0.01)


def test_where_with_no_rows_passing_gives_zero_count_and_sum() -> None:
    t = records(
        [
            ("2026-01-01", {"channel": "email", "x": 5.0}),
            ("2026-02-01", {"channel": "chat", "x": 7.0}),
        ]
    )
    kw = {"where": "channel == 'email'", "column": "x"}
    m = model(
        {"id": "s", "name": "S", "measure": {**kw, "aggregate": "sum"}},
        {"id": "c", "name": "C", "measure": {**kw, "aggregate": "count"}},
        {"id": "m", "name": "M", "measure": {**kw, "aggregate": "mean"}},
    )
    a = compute_actuals(m, t)
    feb = pd.Period("2026-02", "M")
    assert a.series("s")[feb] == 0.0
    assert a.series("c")[feb] == 0.0
    assert np.isnan(a.series("m")[feb])


def test_breakdown_groups_and_overall() -> None:
    t = records(
        [
            ("2026-01-01", {"team": "North", "x": 1.0}),
            ("2026-01-02", {"team": "South", "x": 2.0}),
            ("2026-01-03", {"team": "South", "x": 4.0}),
        ]
    )
    m = model({"id": "s", "name": "S", "measure": {"column": "x", "aggregate": "sum"}})
    a = compute_actuals(m, t, by="team")
    jan = pd.Period("2026-01", "M")
    assert a.series("s", OVERALL)[jan] == 7.0
    assert a.series("s", "North")[jan] == 1.0
    assert a.series("s", "South")[jan] == 6.0


def test_report_ranks_groups_with_targets_by() -> None:
    t = records(
        [
            ("2026-01-01", {"rep": "Ana", "rev": 90.0}),
            ("2026-01-01", {"rep": "Ben", "rev": 50.0}),
        ]
    )
    m = model(
        {
            "id": "rev",
            "name": "Revenue",
            "unit": "currency:EUR",
            "target": 100,
            "targets_by": {"rep": {"Ben": 40}},
        }
    )
    r = build_report(m, t, by="rep", today=TODAY)
    by_group = {(k.group, k.id): k for k in r.kpis}
    assert by_group[("Ana", "rev")].status == "at_risk"
    assert by_group[("Ben", "rev")].target == 40
    assert by_group[("Ben", "rev")].status == "met"
    assert [g.id for g in r.groups] == ["Ben", "Ana"]
    assert [g.rank for g in r.groups] == [1, 2]
    assert by_group[(None, "rev")].actual == 140.0


def long_table(rows: list[tuple[str, str, float, float | None]]) -> Table:
    df = pd.DataFrame(
        {
            "_date": [pd.Timestamp(d) for d, *_ in rows],
            "_kpi": [k for _, k, *_ in rows],
            "_value": [v for *_, v, _t in rows],
            "_target": [t for *_, t in rows],
        }
    )
    df["_src"] = 0
    df["_row"] = np.arange(2, len(df) + 2)
    return Table(frame=df, layout="long", sources=[Source(path="long.csv")])


def test_long_layout_matches_by_name_and_uses_target_column() -> None:
    t = long_table(
        [
            ("2026-09-01", "Revenue", 90.0, 100.0),
            ("2026-10-01", "revenue ", 120.0, 110.0),
            ("2026-10-01", "Win rate", 30.0, None),
        ]
    )
    m = model(
        {"id": "rev", "name": "Revenue", "unit": "currency:EUR"},
        {"id": "win", "name": "Win-Rate", "unit": "percent", "target": 25},
    )
    r = build_report(m, t, today=TODAY)
    res = {k.id: k for k in r.kpis}
    assert res["rev"].actual == 120.0
    assert res["rev"].target == 110.0
    assert res["rev"].status == "met"
    assert res["win"].actual == 30.0
    assert r.period == "2026-10"


@settings(max_examples=examples(50), deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 12), st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from("AB")),
        min_size=1,
        max_size=40,
    ),
    st.randoms(use_true_random=False),
)
def test_row_order_never_changes_a_kpi(rows: list[tuple[int, float, str]], rnd) -> None:
    data = [(f"2026-{m:02d}-01", {"x": v, "team": g}) for m, v, g in rows]
    m = model(
        {"id": "s", "name": "S", "measure": {"column": "x", "aggregate": "sum"}},
        {"id": "md", "name": "M", "measure": {"column": "x", "aggregate": "median"}},
        {"id": "p", "name": "P", "measure": {"column": "x", "aggregate": "p75"}},
    )
    shuffled = data[:]
    rnd.shuffle(shuffled)
    a = compute_actuals(m, records(data), by="team")
    b = compute_actuals(m, records(shuffled), by="team")
    for kid in ("s", "md", "p"):
        for g in ("", "A", "B"):
            pd.testing.assert_series_equal(a.series(kid, g), b.series(kid, g), rtol=1e-9)


def test_take_hands_every_row_over_without_a_copy() -> None:
    from kpicli.engine.aggregate import _take

    values = pd.Series([3.0, 1.0, np.nan, 7.0])
    every = _take(values, np.flatnonzero(np.ones(4, bool)))
    # All rows in order: the column's own values (a records table's KPI without a filter).
    assert np.shares_memory(every, values.to_numpy())
    some = _take(values, np.array([0, 3]))
    assert not np.shares_memory(some, values.to_numpy())
    assert list(some) == [3.0, 7.0]
    text = pd.Series(["a", None, "c"], dtype="str")
    assert list(_take(text, np.array([0, 2]))) == ["a", "c"]
    assert _take(text, np.arange(3)) is text.array


def test_first_and_last_over_every_row_leave_the_table_as_it_was() -> None:
    # Rows out of date order, every row read (no filter): first/last sort the values they
    # were handed, and the table's own column keeps its order and values.
    t = records(
        [
            ("2026-01-20", {"x": 3.0}),
            ("2026-01-03", {"x": 1.0}),
            ("2026-02-09", {"x": 9.0}),
            ("2026-02-01", {"x": 5.0}),
        ]
    )
    before = t.frame["x"].to_numpy().copy()
    m = model(
        {"id": "f", "name": "First", "measure": {"column": "x", "aggregate": "first"}},
        {"id": "l", "name": "Last", "measure": {"column": "x", "aggregate": "last"}},
        {"id": "s", "name": "Sum", "measure": {"column": "x", "aggregate": "sum"}},
    )
    a = compute_actuals(m, t, "month")
    jan, feb = pd.Period("2026-01", "M"), pd.Period("2026-02", "M")
    assert (a.series("f")[jan], a.series("f")[feb]) == (1.0, 5.0)
    assert (a.series("l")[jan], a.series("l")[feb]) == (3.0, 9.0)
    assert (a.series("s")[jan], a.series("s")[feb]) == (4.0, 14.0)
    assert np.array_equal(t.frame["x"].to_numpy(), before)

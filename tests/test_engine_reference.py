"""The engine's vectorised aggregation and data-quality checks equal the straightforward code
they replaced (tests/reference_aggregate.py, tests/reference_quality.py), bit for bit.

Random long and records tables with repeated entries, empty cells, negative and huge values,
future dates, labels shared by two KPIs (another aggregate of the same rows), filters and a
formula; with and without a breakdown. Every aggregated value, count and data target, the
index, the groups, the baselines, the problems and every finding must be the same.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kpicli.engine import coverage, quality
from kpicli.engine.aggregate import OVERALL, compute_actuals
from kpicli.model.kpifile import KPIFile
from kpicli.model.table import Source, Table
from tests import reference_aggregate as RA
from tests import reference_quality as RQ
from tests.hypothesis_budget import examples

AGGREGATES = ["sum", "mean", "count", "max", "min", "median", "p90", "first", "last", "nunique"]
MEMBERS = ["North", "South", " North", "east", None]
TODAY = dt.date(2026, 5, 10)

values = st.one_of(
    st.none(),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from([0.1, 0.2, 0.3, -1.0, 1e308, 250.0, 95.05, 14.42, 94.86, 31.18]),
)
long_row = st.tuples(
    st.integers(1, 7),  # month (May 10th is "today": June and July rows are in the future)
    st.sampled_from([1, 2, 15, 28]),  # day: repeated dates make duplicate entries
    st.sampled_from(["Revenue", "revenue ", "Tickets", "Uptime", "Other", None]),
    values,
    st.sampled_from(MEMBERS),
    st.one_of(st.none(), st.floats(0, 1e4, allow_nan=False)),
)


def _long_table(rows: list[tuple], with_target: bool) -> Table:
    df = pd.DataFrame(
        {
            "_date": [pd.Timestamp(2026, m, d) for m, d, *_ in rows],
            "_kpi": pd.Series([r[2] for r in rows], dtype="str"),
            "_value": pd.array([r[3] for r in rows], dtype="Float64").astype("float64"),
        }
    )
    if with_target:
        df["_target"] = pd.array([r[5] for r in rows], dtype="Float64").astype("float64")
    df["team"] = pd.Series([r[4] for r in rows], dtype="str")
    df["_src"] = 0
    df["_row"] = np.arange(2, len(df) + 2)
    return Table(
        frame=df, layout="long", sources=[Source(path="long.csv")], native_grain="day",
        value_label="value", date_label="date",
    )


def _model(hows: list[str], where: bool) -> KPIFile:
    rev_measure: dict[str, object] = {"aggregate": hows[0]}
    if where:
        rev_measure["where"] = "team != 'South'"
    return KPIFile.model_validate(
        {
            "kpis": [
                {"id": "rev", "name": "Revenue", "unit": "count", "measure": rev_measure,
                 "target": 100},
                {"id": "tix", "name": "Tickets", "unit": "count",
                 "measure": {"aggregate": hows[1]}, "target": {"value": 5, "due": "2026-12"},
                 "baseline": {"value": 1, "period": "2026-01"}},
                # The same rows as rev, another aggregate: one slot read by two jobs.
                {"id": "rev2", "name": "Rev two", "measure": {"column": "Revenue",
                 "aggregate": hows[2]}, "range": [0, 1000], "target": 3},
                {"id": "up", "name": "Uptime", "measure": {"aggregate": hows[2]},
                 "target": {"min": 1, "max": 50}},
                {"id": "other", "name": "Other", "measure": {"aggregate": hows[0]}, "target": 1},
                {"id": "missing", "name": "Not in the data", "target": 1},
                {"id": "ratio", "name": "Ratio", "formula": "rev / tix", "target": 1},
            ]
        }
    )


def _same_actuals(new, old) -> None:
    for frame in ("values", "counts", "targets"):
        a, b = getattr(new, frame), getattr(old, frame)
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert a.index.equals(b.index)
        assert [list(x) for x in a.index.levels] == [list(x) for x in b.index.levels]
    assert new.periods.equals(old.periods)
    assert new.groups == old.groups
    assert new.baselines == old.baselines
    assert {k: (str(v), v.rule, v.context) for k, v in new.problems.items()} == {
        k: (str(v), v.rule, v.context) for k, v in old.problems.items()
    }
    groups = [OVERALL] + sorted(g for g in new.groups if g != OVERALL)
    for kid in new.values.columns:
        for frame in ("values", "counts", "targets"):
            assert np.array_equal(
                new.matrix(kid, groups, frame), old.matrix(kid, groups, frame), equal_nan=True
            ), (kid, frame)


def _dump(findings: list) -> list[dict]:
    return [f.model_dump() for f in findings]


@settings(max_examples=examples(120), deadline=None)
@given(
    st.lists(long_row, min_size=1, max_size=60),
    st.lists(st.sampled_from(AGGREGATES), min_size=3, max_size=3),
    st.booleans(),
    st.booleans(),
    st.sampled_from([None, "team"]),
    st.sampled_from(["as given", "oldest first", "newest first", "by label"]),
)
def test_long_tables_aggregate_and_check_as_before(
    rows, hows, where, with_target, by, order
) -> None:
    # Exports sorted by date (either way) or by KPI put each group's rows together: pandas
    # reduces such groups differently (numpy's reduceat when they come in order).
    if order != "as given":
        rows = sorted(
            rows,
            key=(lambda r: (str(r[2]), r[0], r[1])) if order == "by label" else
            (lambda r: (r[0], r[1])),
            reverse=order == "newest first",
        )
    model = _model(hows, where)
    new = compute_actuals(model, _long_table(rows, with_target), "month", by)
    old = RA.compute_actuals(model, _long_table(rows, with_target), "month", by)
    _same_actuals(new, old)
    table = _long_table(rows, with_target)
    assert _dump(quality.table_findings(table, model, TODAY)) == _dump(
        RQ.table_findings(_long_table(rows, with_target), model, TODAY)
    )
    evaluated = {k.id for k in model.kpis}
    for period in new.periods[:: max(1, len(new.periods) // 3)]:
        assert _dump(quality.series_findings(new, model, period, evaluated)) == _dump(
            RQ.series_findings(new, model, period, evaluated)
        )
    for grain in ("month", "quarter", "week"):
        assert coverage.data_end(table, grain) == RQ.data_end(table, grain)


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 9),
            values,
            st.one_of(st.none(), st.integers(-3, 40)),
            st.sampled_from(MEMBERS),
            st.sampled_from(["web", "shop"]),
        ),
        min_size=1,
        max_size=50,
    ),
    st.sampled_from(AGGREGATES),
    st.sampled_from([None, "team"]),
    st.booleans(),
)
def test_records_tables_aggregate_and_check_as_before(rows, how, by, newest_first) -> None:
    rows = sorted(rows, key=lambda r: r[0], reverse=newest_first)
    def table() -> Table:
        df = pd.DataFrame(
            {
                "_date": [pd.Timestamp(2026, m, 1) for m, *_ in rows],
                "revenue": pd.array([r[1] for r in rows], dtype="Float64").astype("float64"),
                "tickets": pd.array([r[2] for r in rows], dtype="Float64").astype("float64"),
                "team": pd.Series([r[3] for r in rows], dtype="str"),
                "channel": pd.Series([r[4] for r in rows], dtype="str"),
            }
        )
        df["_src"] = 0
        df["_row"] = np.arange(2, len(df) + 2)
        return Table(frame=df, layout="records", sources=[Source(path="r.csv")],
                     native_grain="month")

    model = KPIFile.model_validate(
        {
            "kpis": [
                {"id": "revenue", "name": "Revenue", "measure": {"aggregate": how}, "target": 9},
                {"id": "web", "name": "Web revenue", "measure": {
                    "column": "revenue", "aggregate": how, "where": "channel == 'web'"},
                 "target": 1},
                {"id": "tickets", "name": "Tickets", "unit": "count", "target": 3},
                {"id": "share", "name": "Web share", "formula": "web / revenue", "target": 1},
            ]
        }
    )
    new = compute_actuals(model, table(), "month", by)
    old = RA.compute_actuals(model, table(), "month", by)
    _same_actuals(new, old)
    assert _dump(quality.table_findings(table(), model, TODAY)) == _dump(
        RQ.table_findings(table(), model, TODAY)
    )


def test_rows_that_come_group_by_group_are_summed_as_before() -> None:
    # Newest first, each month's rows together: pandas sums such groups with numpy's
    # reduceat when its group numbers are in order (these seven values: 401.53000000000003)
    # and with a compensated sum otherwise (401.53); the engine must sum them as it did.
    amounts = [95.05, 14.42, 94.86, 31.18, 42.33, 82.77, 40.92]
    rows = [(m, d, "Revenue", v, "North", None) for m in (3, 2, 1)
            for d, v in zip((1, 2, 3, 4, 15, 16, 28), amounts, strict=True)]
    for hows in (["sum"] * 3, ["mean"] * 3):
        model = _model(hows, False)
        new = compute_actuals(model, _long_table(rows, False), "month", None)
        old = RA.compute_actuals(model, _long_table(rows, False), "month", None)
        _same_actuals(new, old)


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.integers(0, 120_000), max_size=12), st.integers(1, 6))
@example([4095, 4096, 4097, 20480, 20481, 20482, 86016, 86017], 6)  # the chunks' edges
def test_the_first_duplicate_rows_are_found_chunk_by_chunk(positions, k) -> None:
    # D602 names the first rows of repeated entries without flagging every row of the table.
    ids = np.zeros(120_001, dtype=np.int32)
    ids[positions] = 1
    flag = np.array([False, True])
    got = quality._first_rows(flag, ids, k)
    assert np.array_equal(got, np.flatnonzero(flag[ids])[:k])

"""A breakdown (--by) aggregates each member exactly as the member's rows alone would be.

compute_actuals groups the rows of a breakdown once per (KPI rows, member, period) and
derives the whole population's codes from those; these properties pin the result to what
a run without the breakdown gives: each member's values, counts and data targets equal those
of a table holding only that member's rows (same rows, same order: bit for bit, compensated
sums and percentiles included), and the overall ones equal those of the run without --by.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from kpicli.engine.aggregate import OVERALL, Actuals, compute_actuals
from kpicli.model.kpifile import KPIFile
from kpicli.model.table import Source, Table
from tests.hypothesis_budget import examples

# Member cells as users write them: padded, in another case, missing (member "(blank)").
MEMBERS = ["North", "South", " North", "South ", "east", None]
AGGREGATES = ["sum", "mean", "count", "max", "min", "median", "p90", "first", "last", "nunique"]


def member_name(cell: object) -> str:
    return "(blank)" if cell is None else str(cell).strip()


def long_table(rows: list[tuple[int, int, str, float | None, str | None, float | None]]) -> Table:
    df = pd.DataFrame(
        {
            "_date": [pd.Timestamp(2026, m, d) for m, d, *_ in rows],
            "_kpi": [k for _, _, k, *_ in rows],
            "_value": pd.array([v for *_, v, _g, _t in rows], dtype="Float64").astype("float64"),
            "team": pd.Series([g for *_, g, _t in rows], dtype=object),
            "_target": pd.array([t for *_, t in rows], dtype="Float64").astype("float64"),
        }
    )
    df["_src"] = 0
    df["_row"] = np.arange(2, len(df) + 2)
    return Table(frame=df, layout="long", sources=[Source(path="long.csv")])


def subtable(table: Table, keep: np.ndarray) -> Table:
    frame = table.frame[keep].reset_index(drop=True)
    return Table(frame=frame, layout=table.layout, sources=table.sources)


def aligned(a: Actuals, kid: str, group: str, periods: pd.PeriodIndex, frame: str) -> np.ndarray:
    return a.series(kid, group, frame).reindex(periods).to_numpy(dtype="float64")


def same(x: np.ndarray, y: np.ndarray) -> bool:
    # Bit for bit, NaN where NaN: the breakdown must not change how a value is summed.
    return bool(np.array_equal(x, y, equal_nan=True))


def close(x: np.ndarray, y: np.ndarray) -> bool:
    # A member against a table of only its rows: pandas sums a group of a larger table and a
    # whole small column with different (compensated vs pairwise) summations, so the last
    # bit may differ (4098.368028542601 vs 4098.3680285426 for three targets); NaN where NaN.
    return x.shape == y.shape and bool(np.allclose(x, y, rtol=1e-12, atol=0.0, equal_nan=True))


row = st.tuples(
    st.integers(1, 4),  # month
    st.integers(1, 28),  # day
    st.sampled_from(["Revenue", "revenue ", "Tickets", "Uptime"]),
    st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from([0.1, 0.2, 0.3])),
    st.sampled_from(MEMBERS),
    st.one_of(st.none(), st.floats(0, 1e4, allow_nan=False)),
)


@settings(max_examples=examples(120), deadline=None)
@given(
    st.lists(row, min_size=1, max_size=60),
    st.sampled_from(AGGREGATES),
    st.sampled_from(AGGREGATES),
    st.sampled_from(AGGREGATES),
)
def test_members_aggregate_as_their_own_rows(rows, how_rev: str, how_tix: str, how_up: str) -> None:
    model = KPIFile.model_validate(
        {
            "kpis": [
                {"id": "rev", "name": "Revenue", "measure": {"aggregate": how_rev}},
                {"id": "tix", "name": "Tickets", "measure": {"aggregate": how_tix}},
                # Same rows as rev, another aggregate: the two share the rows' selection.
                {
                    "id": "rev2",
                    "name": "Rev two",
                    "measure": {"column": "Revenue", "aggregate": how_up},
                },
                {"id": "up", "name": "Uptime", "measure": {"aggregate": how_up}},
                {"id": "ratio", "name": "Ratio", "formula": "rev / tix"},
            ]
        }
    )
    table = long_table(rows)
    by = compute_actuals(model, table, "month", "team")
    whole = compute_actuals(model, table, "month")
    periods = by.periods
    names = np.array([member_name(g) for g in table.frame["team"]], dtype=object)
    assert sorted(g for g in by.groups if g != OVERALL) == sorted(set(names))
    # Each member's rows alone, aggregated once for all the KPIs compared below.
    alone_of = {
        member: compute_actuals(model, subtable(table, names == member), "month")
        for member in sorted(set(names))
    }
    for kid in ("rev", "tix", "rev2", "up", "ratio"):
        frames = ("values",) if kid == "ratio" else ("values", "counts", "targets")
        for frame in frames:
            assert same(
                aligned(by, kid, OVERALL, periods, frame),
                aligned(whole, kid, OVERALL, periods, frame),
            ), (kid, frame, "overall")
        for member, alone in alone_of.items():
            for frame in frames:
                assert close(
                    aligned(by, kid, member, periods, frame),
                    aligned(alone, kid, OVERALL, periods, frame),
                ), (kid, frame, member)


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 6),
            st.one_of(st.none(), st.floats(-1e3, 1e3, allow_nan=False)),
            st.sampled_from(MEMBERS),
            st.sampled_from(["web", "shop"]),
        ),
        min_size=1,
        max_size=50,
    ),
    st.sampled_from(AGGREGATES),
)
def test_records_members_with_a_filter(rows, how: str) -> None:
    df = pd.DataFrame(
        {
            "_date": [pd.Timestamp(2026, m, 1) for m, *_ in rows],
            "x": pd.array([v for _, v, *_ in rows], dtype="Float64").astype("float64"),
            "team": pd.Series([g for *_, g, _c in rows], dtype=object),
            "channel": [c for *_, c in rows],
        }
    )
    df["_src"] = 0
    df["_row"] = np.arange(2, len(df) + 2)
    table = Table(frame=df, layout="records", sources=[Source(path="r.csv")])
    model = KPIFile.model_validate(
        {
            "kpis": [
                {"id": "all", "name": "All", "measure": {"column": "x", "aggregate": how}},
                {
                    "id": "web",
                    "name": "Web",
                    "measure": {"column": "x", "aggregate": how, "where": "channel == 'web'"},
                },
            ]
        }
    )
    by = compute_actuals(model, table, "month", "team")
    whole = compute_actuals(model, table, "month")
    names = np.array([member_name(g) for g in df["team"]], dtype=object)
    alone_of = {  # each member's rows alone, aggregated once for both KPIs and frames
        member: compute_actuals(model, subtable(table, names == member), "month")
        for member in sorted(set(names))
    }
    for kid in ("all", "web"):
        for frame in ("values", "counts"):
            assert same(
                aligned(by, kid, OVERALL, by.periods, frame),
                aligned(whole, kid, OVERALL, by.periods, frame),
            )
            for member, alone in alone_of.items():
                assert same(
                    aligned(by, kid, member, by.periods, frame),
                    aligned(alone, kid, OVERALL, by.periods, frame),
                ), (kid, frame, member)


def test_a_member_sum_is_the_member_rows_sum_by_hand() -> None:
    # Hand-computed anchor for the properties above: 0.1 + 0.2 for North, 0.3 for South.
    table = long_table(
        [
            (1, 1, "Revenue", 0.1, "North", None),
            (1, 2, "Revenue", 0.3, "South", 5.0),
            (1, 3, "revenue ", 0.2, " North", 2.0),
        ]
    )
    model = KPIFile.model_validate(
        {"kpis": [{"id": "rev", "name": "Revenue", "measure": {"aggregate": "sum"}}]}
    )
    a = compute_actuals(model, table, "month", "team")
    jan = pd.Period("2026-01", "M")
    assert a.series("rev", "North")[jan] == 0.1 + 0.2
    assert a.series("rev", "South")[jan] == 0.3
    assert a.series("rev", "North", "counts")[jan] == 2.0
    assert a.series("rev", "North", "targets")[jan] == 2.0
    assert a.series("rev", OVERALL, "counts")[jan] == 3.0

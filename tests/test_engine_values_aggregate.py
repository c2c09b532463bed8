"""Hand-computed aggregation (kpicli.engine.aggregate): defaults, types, filters, counts,
long-layout label matching, baselines and targets from the data, breakdowns and formulas.

Each expected number is worked out in the comment next to it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kpicli.engine.aggregate import (
    OVERALL,
    compute_actuals,
    default_aggregate,
    formula_order,
    normalise_label,
)
from kpicli.model.kpifile import KPI, KPIFile
from kpicli.model.table import Source, Table

JAN, FEB, MAR = (pd.Period(f"2026-0{m}", "M") for m in (1, 2, 3))


def records(rows: list[tuple[str, dict[str, object]]]) -> Table:
    df = pd.DataFrame([{"_date": pd.Timestamp(d), **v} for d, v in rows])
    df["_src"] = 0
    df["_row"] = np.arange(2, len(df) + 2)
    return Table(frame=df, layout="records", sources=[Source(path="data.csv")])


def long_table(rows: list[tuple], extra: dict[str, list] | None = None) -> Table:
    """Rows of (date, label, value[, target[, baseline]])."""
    df = pd.DataFrame(
        {
            "_date": [pd.Timestamp(r[0]) for r in rows],
            "_kpi": pd.Series([r[1] for r in rows], dtype=object),
            "_value": [r[2] for r in rows],
        }
    )
    if any(len(r) > 3 for r in rows):
        df["_target"] = [r[3] if len(r) > 3 else None for r in rows]
        df["_target"] = df["_target"].astype("float64")
    if any(len(r) > 4 for r in rows):
        df["_baseline"] = [r[4] if len(r) > 4 else None for r in rows]
        df["_baseline"] = df["_baseline"].astype("float64")
    for k, v in (extra or {}).items():
        df[k] = v
    df["_src"] = 0
    df["_row"] = np.arange(2, len(df) + 2)
    return Table(frame=df, layout="long", sources=[Source(path="long.csv")])


def model(*kpis: dict[str, object], **kw: object) -> KPIFile:
    return KPIFile.model_validate({"kpis": list(kpis), **kw})


def k(**kw: object) -> dict[str, object]:
    return {"name": str(kw["id"]).title(), **kw}


# ------------------------------------------------------------------ aggregation defaults


@pytest.mark.parametrize(
    ("unit", "measure_agg", "file_default", "want"),
    [
        (None, None, None, "mean"),
        ("count", None, None, "sum"),
        ("Number", None, None, "sum"),
        ("#", None, None, "sum"),
        ("currency:EUR", None, None, "sum"),
        ("EUR", None, None, "sum"),
        ("usd", None, None, "sum"),
        ("GBP", None, None, "sum"),
        (" count ", None, None, "sum"),
        ("hours", None, None, "mean"),
        ("percent", None, None, "mean"),
        ("count", "max", None, "max"),
        ("count", None, "median", "median"),
        ("hours", "p90", "median", "p90"),
    ],
)
def test_default_aggregate(unit: str | None, measure_agg: str | None, file_default: str | None,
                           want: str) -> None:
    kw: dict[str, object] = {"id": "x", "name": "X"}
    if unit:
        kw["unit"] = unit
    if measure_agg:
        kw["measure"] = {"aggregate": measure_agg}
    m = model(kw, **({"defaults": {"aggregate": file_default}} if file_default else {}))
    kpi = KPI.model_validate(kw)
    assert default_aggregate(kpi, m) == want
    if not file_default:
        assert default_aggregate(kpi) == want


def test_file_default_applies_in_compute_actuals() -> None:
    t = records([("2026-01-05", {"x": 1.0}), ("2026-01-06", {"x": 5.0})])
    a = compute_actuals(model(k(id="x"), defaults={"aggregate": "max"}), t)
    assert a.series("x")[JAN] == 5.0
    a = compute_actuals(model(k(id="x", unit="count")), t)
    assert a.series("x")[JAN] == 6.0
    a = compute_actuals(model(k(id="x")), t)
    assert a.series("x")[JAN] == 3.0


AGGS = [
    # x in January: 1, 3, 4, 8 and one empty cell
    ("sum", 16.0), ("mean", 4.0), ("median", 3.5), ("min", 1.0), ("max", 8.0),
    ("count", 4.0), ("nunique", 4.0), ("first", 1.0), ("last", 8.0),
    # p25: position 0.25*3 = 0.75 between 1 and 3 → 2.5; p50 = median; p90: 2.7 → 4+0.7*4;
    # p1: 0.03 → 1+0.03*2 = 1.06; p99: 2.97 → 4+0.97*4 = 7.88
    ("p25", 2.5), ("p50", 3.5), ("p90", 6.8), ("p1", 1.06), ("p99", 7.88),
]


@pytest.mark.parametrize(("how", "want"), AGGS)
def test_every_aggregate(how: str, want: float) -> None:
    t = records(
        [("2026-01-02", {"x": 1.0}), ("2026-01-03", {"x": 3.0}), ("2026-01-04", {"x": None}),
         ("2026-01-05", {"x": 4.0}), ("2026-01-06", {"x": 8.0}), ("2026-02-01", {"x": 2.0})]
    )
    a = compute_actuals(model(k(id="x", measure={"aggregate": how})), t)
    assert a.series("x")[JAN] == pytest.approx(want)
    # counts: the non-empty cells per period
    assert a.series("x", frame="counts")[JAN] == 4.0
    assert a.series("x", frame="counts")[FEB] == 1.0


def test_boolean_and_text_columns() -> None:
    t = records(
        [("2026-01-02", {"ok": True, "who": "a"}), ("2026-01-03", {"ok": False, "who": "b"}),
         ("2026-01-04", {"ok": True, "who": "a"}), ("2026-01-05", {"ok": True, "who": None})]
    )
    m = model(
        k(id="rate", measure={"column": "ok", "aggregate": "mean"}),
        k(id="yes", measure={"column": "ok", "aggregate": "sum"}),
        k(id="people", measure={"column": "who", "aggregate": "nunique"}),
        k(id="answers", measure={"column": "who", "aggregate": "count"}),
    )
    a = compute_actuals(m, t)
    assert a.series("rate")[JAN] == 0.75  # 3 of 4 true
    assert a.series("yes")[JAN] == 3.0
    assert a.series("people")[JAN] == 2.0  # a, b
    assert a.series("answers")[JAN] == 3.0  # the empty cell is not counted


def test_where_with_missing_values_and_empty_periods() -> None:
    t = records(
        [("2026-01-02", {"ch": "email", "x": 5.0}), ("2026-01-03", {"ch": None, "x": 7.0}),
         ("2026-02-02", {"ch": "chat", "x": 1.0}), ("2026-03-02", {"ch": "email", "x": None})]
    )
    f = {"column": "x", "where": "ch == 'email'"}
    m = model(
        k(id="s", measure={**f, "aggregate": "sum"}),
        k(id="c", measure={**f, "aggregate": "count"}),
        k(id="n", measure={**f, "aggregate": "nunique"}),
        k(id="m", measure={**f, "aggregate": "mean"}),
        k(id="neg", measure={"column": "x", "where": "ch != 'email'", "aggregate": "sum"}),
    )
    a = compute_actuals(m, t)
    # January: the NA channel does not pass the filter: 5 only
    assert (a.series("s")[JAN], a.series("c")[JAN], a.series("m")[JAN]) == (5.0, 1.0, 5.0)
    # February has rows, none passing: sum/count/nunique 0, mean none
    assert (a.series("s")[FEB], a.series("c")[FEB], a.series("n")[FEB]) == (0.0, 0.0, 0.0)
    assert np.isnan(a.series("m")[FEB])
    # March: the passing row has no value: sum 0, count 0, mean none
    assert (a.series("s")[MAR], a.series("c")[MAR]) == (0.0, 0.0)
    assert np.isnan(a.series("m")[MAR])
    assert a.series("s", frame="counts")[MAR] == 0.0
    # != on a missing channel: NA is not "unequal" either (January: nothing → 0)
    assert a.series("neg")[JAN] == 0.0
    assert a.series("neg")[FEB] == 1.0


def test_week_quarter_year_and_fiscal_grains() -> None:
    t = records(
        [("2026-02-15", {"x": 1.0}),  # Sunday: last day of the week Mon 02-09..Sun 02-15
         ("2026-02-16", {"x": 2.0}),  # Monday: the next week
         ("2026-03-31", {"x": 4.0}),  # last day of Q1 and of fiscal (April) year 2026
         ("2026-04-01", {"x": 8.0})]
    )
    m = model(k(id="x", unit="count"))
    w = compute_actuals(m, t, "week").series("x")
    assert w[pd.Period("2026-02-15", "W-SUN")] == 1.0
    assert w[pd.Period("2026-02-16", "W-SUN")] == 2.0
    assert len(w) == 8  # weeks of 02-09 .. 03-30: 8 weeks; 04-01 is in the week of 03-30
    assert w[pd.Period("2026-03-30", "W-SUN")] == 12.0
    q = compute_actuals(m, t, "quarter").series("x")
    assert q.tolist() == [7.0, 8.0]
    fq = compute_actuals(model(k(id="x", unit="count"), fiscal_year_start=4), t, "quarter")
    # from April: Feb and March are FY2026-Q4, April FY2027-Q1
    assert fq.series("x").tolist() == [7.0, 8.0]
    assert fq.periods[0] == pd.Period("2026Q4", "Q-MAR")
    fy = compute_actuals(model(k(id="x", unit="count"), fiscal_year_start=4), t, "year")
    assert fy.series("x").tolist() == [7.0, 8.0]
    y = compute_actuals(m, t, "year")
    assert y.series("x").tolist() == [15.0]


# ------------------------------------------------------------------ long layout


def test_normalise_label() -> None:
    assert normalise_label("  Win_Rate - EU ") == "win rate eu"
    assert normalise_label("A\tB") == "a b"
    assert normalise_label(12) == "12"


def test_long_labels_match_id_name_and_column_only() -> None:
    t = long_table(
        [("2026-01-01", "rev", 10.0), ("2026-01-02", "Revenue", 5.0),
         ("2026-01-03", "REVENUE ", 1.0), ("2026-01-04", "Costs", 100.0),
         ("2026-01-05", "unknown metric", 1000.0), ("2026-01-06", None, 7.0),
         ("2026-01-07", "sales_eu", 3.0)]
    )
    m = model(
        {"id": "rev", "name": "Revenue", "unit": "count"},
        {"id": "eu", "name": "EU", "unit": "count", "measure": {"column": "Sales EU"}},
        {"id": "absent", "name": "Absent", "unit": "count"},
    )
    a = compute_actuals(m, t)
    assert a.series("rev")[JAN] == 16.0  # rev + Revenue + REVENUE; never Costs or unknown
    assert a.series("eu")[JAN] == 3.0
    assert a.problems == {"absent": "no rows for 'absent' in the data's KPI column"}


def test_long_overlapping_labels() -> None:
    # "a" reads rev and revenue; "b" reads revenue only: both see the revenue row
    t = long_table([("2026-01-01", "rev", 10.0), ("2026-01-02", "revenue", 5.0)])
    m = model(
        {"id": "rev", "name": "Revenue", "unit": "count"},
        {"id": "revenue", "name": "Turnover", "unit": "count"},
        {"id": "t2", "name": "Second", "unit": "count", "measure": {"column": "rev"}},
    )
    a = compute_actuals(m, t)
    assert a.series("rev")[JAN] == 15.0
    assert a.series("revenue")[JAN] == 5.0
    assert a.series("t2")[JAN] == 10.0


def test_long_targets_and_baselines_from_the_data() -> None:
    t = long_table(
        [("2026-01-01", "orders", 10.0, 50.0, None), ("2026-01-02", "orders", 20.0, 60.0, 7.0),
         ("2026-02-01", "orders", 30.0, None, 9.0),
         ("2026-01-01", "csat", 80.0, 85.0, None), ("2026-01-02", "csat", 90.0, 95.0, None)]
    )
    m = model(
        {"id": "orders", "name": "Orders", "unit": "count"},
        {"id": "csat", "name": "CSAT"},
    )
    a = compute_actuals(m, t)
    # additive KPI: targets summed (50+60); others averaged ((85+95)/2)
    assert a.series("orders", frame="targets")[JAN] == 110.0
    assert a.series("csat", frame="targets")[JAN] == 90.0
    # February has a row without a target: no target (not 0)
    assert np.isnan(a.series("orders", frame="targets")[FEB])
    # baseline: the first one given in row order
    assert a.baselines == {("orders", OVERALL): 7.0}


def test_breakdown_members_are_stripped_sorted_and_blank() -> None:
    t = records(
        [("2026-01-01", {"team": " North", "x": 1.0}), ("2026-01-02", {"team": "North", "x": 2.0}),
         ("2026-01-03", {"team": None, "x": 4.0}), ("2026-02-03", {"team": "East", "x": 8.0})]
    )
    a = compute_actuals(model(k(id="x", unit="count")), t, by="team")
    assert a.groups == [OVERALL, "(blank)", "East", "North"]
    assert a.series("x", "North")[JAN] == 3.0
    assert a.series("x", "(blank)")[JAN] == 4.0
    assert np.isnan(a.series("x", "East")[JAN])
    assert a.series("x", "East")[FEB] == 8.0
    assert a.series("x")[JAN] == 7.0
    assert a.series("x", "Nobody").isna().all()
    assert a.series("missing").isna().all()


def test_empty_table() -> None:
    t = records([("2026-01-01", {"x": 1.0})])
    t.frame = t.frame.iloc[:0]
    a = compute_actuals(model(k(id="x")), t)
    assert len(a.periods) == 0
    assert a.series("x").empty


# ------------------------------------------------------------------ formulas


def test_formula_chain_order_and_ratio_of_sums() -> None:
    t = records(
        [("2026-01-01", {"o": 1.0, "v": 10.0}), ("2026-01-02", {"o": 3.0, "v": 30.0}),
         ("2026-02-01", {"o": 2.0, "v": 0.0})]
    )
    m = model(
        # defined before its input: evaluated after it
        k(id="pct", formula="conv * 100"),
        k(id="conv", formula="o / v"),
        k(id="o", unit="count"),
        k(id="v", unit="count"),
        k(id="neg", formula="(0 - o) / v"),
        k(id="const", formula="2"),
        k(id="pct2", formula="conv + 1"),  # a second formula on conv: conv is visited once
    )
    a = compute_actuals(m, t)
    assert a.series("conv")[JAN] == pytest.approx(0.1)  # 4/40
    assert a.series("pct")[JAN] == pytest.approx(10.0)
    # division by zero: +inf and -inf are no value
    assert np.isnan(a.series("conv")[FEB])
    assert np.isnan(a.series("neg")[FEB])
    assert a.series("neg")[JAN] == pytest.approx(-0.1)
    assert a.series("const")[JAN] == 2.0
    order, problems = formula_order(m)
    assert [x.id for x in order] == ["conv", "pct", "neg", "const", "pct2"]
    assert problems == {}
    assert a.series("pct2")[JAN] == pytest.approx(1.1)


def test_formula_cycles_unknown_names_and_failed_dependencies() -> None:
    t = records([("2026-01-01", {"o": 1.0})])
    m = model(
        k(id="o", unit="count"),
        k(id="x", formula="y + 1"),
        k(id="y", formula="x + 1"),
        k(id="z", formula="x * 2"),
        k(id="u", formula="nope + o"),
        k(id="w", formula="u + o"),
        k(id="ok", formula="o + 1"),
        k(id="missing", measure={"column": "absent"}),
        k(id="uses_missing", formula="missing + 1"),
    )
    order, problems = formula_order(m)
    assert problems["x"] == "formulas form a cycle: x → y → x"
    assert problems["y"] == "formulas form a cycle: x → y → x"
    assert problems["z"] == "formula depends on a KPI that cannot be computed"
    assert problems["u"] == "formula names unknown KPI 'nope'"
    assert problems["w"] == "formula depends on a KPI that cannot be computed"
    assert [x.id for x in order] == ["ok", "uses_missing"]
    a = compute_actuals(m, t)
    assert a.series("ok")[JAN] == 2.0
    # a measured input that cannot be read gives no value, and its own problem
    assert np.isnan(a.series("uses_missing")[JAN])
    assert a.problems["missing"] == "column 'absent' is not in the data"
    assert "x" not in a.values.columns


def test_formula_that_cannot_be_read() -> None:
    order, problems = formula_order(model(k(id="a", formula="1 +")))
    assert order == []
    assert problems["a"].startswith("formula cannot be read: ")


def test_measured_filter_that_cannot_be_applied() -> None:
    t = records([("2026-01-01", {"x": 1.0})])
    a = compute_actuals(model(k(id="x", measure={"where": "nosuch == 1"})), t)
    assert a.problems["x"].startswith("filter cannot be applied: ")


def test_numbers_stored_as_text_are_read_as_numbers() -> None:
    t = records(
        [("2026-01-02", {"x": "1"}), ("2026-01-03", {"x": "2.5"}), ("2026-01-04", {"x": "n/a"}),
         ("2026-01-05", {"x": None})]
    )
    t.frame["x"] = t.frame["x"].astype(object)
    m = model(
        k(id="s", measure={"column": "x", "aggregate": "sum"}),
        k(id="m", measure={"column": "x", "aggregate": "mean"}),
        k(id="c", measure={"column": "x", "aggregate": "count"}),
    )
    a = compute_actuals(m, t)
    assert a.series("s")[JAN] == 3.5  # 1 + 2.5; "n/a" is no number
    assert a.series("m")[JAN] == 1.75
    assert a.series("c")[JAN] == 3.0  # count counts non-empty cells, text included


def test_only_failing_formulas_leave_the_measured_values() -> None:
    t = records([("2026-01-01", {"o": 1.0})])
    a = compute_actuals(model(k(id="o", unit="count"), k(id="x", formula="x + o")), t)
    assert a.series("o")[JAN] == 1.0
    assert a.problems["x"] == "formulas form a cycle: x → x"


def test_problems_carry_their_rule() -> None:
    t = records([("2026-01-01", {"o": 1.0})])
    m = model(
        k(id="named", measure={"column": "absent"}),  # a named column the data lacks
        k(id="unnamed"),  # nothing named, nothing matches
        k(id="bad_filter", measure={"column": "o", "where": "nosuch == 1"}),
        k(id="cyc", formula="cyc + o"),
    )
    a = compute_actuals(m, t)
    assert {kid: p.rule for kid, p in a.problems.items()} == {
        "named": "M203", "unnamed": "M201", "bad_filter": "E006", "cyc": "E005",
    }
    lt = long_table([("2026-01-01", "x", 1.0)])
    lm = model(k(id="named", measure={"column": "Absent"}), k(id="unnamed"))
    assert {kid: p.rule for kid, p in compute_actuals(lm, lt).problems.items()} == {
        "named": "M203", "unnamed": "M201",
    }

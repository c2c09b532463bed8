"""One scan of the rows: when every KPI's aggregate decomposes (sum, mean, min, max, count),
the aggregation is computed from the profiling query's per-day partials
(kpicli.engine.sqlplan.entry_partials / from_partials) instead of a second query over the
rows. The values are the pandas path's (1e-9 relative) on DuckDB, PostgreSQL and Spark, for
every decomposable aggregate × the filter constructs × the grains, on records and long
tables (labels grouped as one slot each, several labels in one slot, overlapping labels,
targets), and the engine is queried once (plus the percentile query when a KPI has one);
a breakdown or an aggregate that does not decompose keeps the two-query plan. On Spark the
one scan is off (no faster in local mode) and verified with it switched on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import invoke
from tests.hypothesis_budget import examples
from tests.sql_helpers import actuals_of, assert_same, kpi_file, load_pg, need_duckdb
from tests.test_sql_conformance import (
    FILTERS,
    GRAINS,
    kpis_yaml,
    long_table,
    pg_admin,
    pg_url,
    table,
)

DECOMPOSABLE = ["sum", "mean", "min", "max", "count"]


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The statements the engines run for the aggregation and the profile (the column
    lookup excepted), in order."""
    from kpicli.readers import sql_source

    ran: list[str] = []
    for cls in (sql_source.DuckDBBackend, sql_source.PostgresBackend):
        original = cls.run

        def run(self, sql: str, _original=original):  # type: ignore[no-untyped-def]
            ran.append(sql)
            return _original(self, sql)

        monkeypatch.setattr(cls, "run", run)
    from kpicli.readers import spark_source

    original_spark = spark_source.SparkBackend.run

    def run_spark(self, sql: str):  # type: ignore[no-untyped-def]
        ran.append(sql)
        return original_spark(self, sql)

    monkeypatch.setattr(spark_source.SparkBackend, "run", run_spark)
    yield ran


def pairs_for(filters: list[str | None]) -> list[tuple[str, str | None, str]]:
    pairs = [(how, where, "score" if how != "count" else "channel")
             for how in DECOMPOSABLE for where in filters]
    return pairs + [("sum", None, "handled"), ("mean", "flag", "hours"), ("max", None, "flag"),
                    ("count", None, "day"), ("count", "score > 2", "_date"),
                    ("min", "handled > 4", "handled")]


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need_duckdb()
    data = tmp_path_factory.mktemp("onescan") / "rows.parquet"
    table().to_parquet(data)
    return data


@pytest.mark.parametrize(("grain", "fys"), GRAINS)
def test_duckdb_every_decomposable_aggregate_and_filter_in_one_scan(
    rows: Path, queries: list[str], grain: str, fys: int
) -> None:
    # Beside the rows, where the PostgreSQL test below writes the same file for its pandas
    # side: tests/sql_helpers.py computes those Actuals once for both.
    path = kpi_file(rows.parent, kpis_yaml(pairs_for(FILTERS)), period=grain, fys=fys)
    expected = actuals_of(path, [str(rows)], engine="pandas")
    got = actuals_of(path, [str(rows)], engine="duckdb")
    assert assert_same(expected, got, f"one scan {grain}") > 500
    assert len(queries) == 1  # the profile, which also gave the aggregation


def test_a_percentile_keeps_its_own_query_and_the_rest_one_scan(
    rows: Path, tmp_path: Path, queries: list[str]
) -> None:
    pairs = [("sum", "flag", "score"), ("p90", "channel == 'email'", "hours"),
             ("median", None, "score"), ("count", "not flag", "channel")]
    path = kpi_file(tmp_path, kpis_yaml(pairs), period="quarter", fys=4)
    expected = actuals_of(path, [str(rows)], engine="pandas")
    got = actuals_of(path, [str(rows)], engine="duckdb")
    assert_same(expected, got)
    assert len(queries) == 2 and "QUANTILE_CONT" in queries[1]


@pytest.mark.parametrize(
    ("pairs", "by"),
    [
        ([("sum", None, "score"), ("nunique", None, "channel")], None),  # nunique: no partials
        ([("sum", None, "score"), ("last", None, "score")], None),
        ([("sum", None, "score"), ("mean", "flag", "hours")], "team name"),  # members
    ],
)
def test_what_does_not_decompose_keeps_the_second_query(
    rows: Path, tmp_path: Path, queries: list[str], pairs: list, by: str | None
) -> None:
    path = kpi_file(tmp_path, kpis_yaml(pairs))
    expected = actuals_of(path, [str(rows)], engine="pandas", by=by)
    got = actuals_of(path, [str(rows)], engine="duckdb", by=by)
    assert_same(expected, got)
    assert len(queries) == 2
    if by is not None:  # the profile computes no partials it could not use
        assert "p0" not in queries[0], queries[0]


LONG_DECOMPOSABLE = """  - id: visits
    name: Website visits per period
    unit: count
    measure: {aggregate: sum}
    target: 100
  - id: orders
    name: Orders placed per period
    unit: count
    measure: {column: Orders, aggregate: sum, where: "region != 'North'"}
    target: 10
  - id: conv
    name: Conversion rate of visits
    unit: percent
    formula: orders / visits * 100
    target: 5
  - id: aov
    name: Average order value per period
    unit: currency:EUR
    measure: {column: aov, aggregate: mean, where: "_value > 20"}
    target: 50
  - id: top-aov
    name: Highest order value of the period
    unit: currency:EUR
    measure: {column: aov, aggregate: max}
    target: 50
"""
# One KPI reading two labels: the slots are label sets (CASE); and one reading a label
# another KPI reads too: no slots, each KPI filters its own labels.
TWO_LABELS = LONG_DECOMPOSABLE.replace(
    "measure: {aggregate: sum}", "measure: {column: other, aggregate: sum}"
)
OVERLAPPING = LONG_DECOMPOSABLE + (
    "  - id: both\n    name: orders\n    unit: count\n"
    "    measure: {column: visits, aggregate: count}\n    target: 3\n"
)
LONG_SPEC = ("  layout: long\n  kpi_column: metric\n  value_column: value\n"
             "  target_column: goal\n  date_column: date")


@pytest.mark.parametrize("kpis", ["slots", "two labels", "overlapping"])
@pytest.mark.parametrize("grain", ["week", "month"])
def test_duckdb_long_table_in_one_scan(
    tmp_path: Path, queries: list[str], kpis: str, grain: str
) -> None:
    need_duckdb()
    text = {"slots": LONG_DECOMPOSABLE, "two labels": TWO_LABELS, "overlapping": OVERLAPPING}[kpis]
    data = tmp_path / "long.parquet"
    long_table().to_parquet(data)
    path = kpi_file(tmp_path, text, period=grain, data=LONG_SPEC)
    expected = actuals_of(path, [str(data)], engine="pandas")
    got = actuals_of(path, [str(data)], engine="duckdb")
    assert not expected.targets.empty
    assert_same(expected, got, f"long {kpis} {grain}")
    assert len(queries) == 1


_HOW = st.sampled_from(DECOMPOSABLE)


@st.composite
def decomposable_case(draw):
    from tests.test_sql_conformance import random_case

    frame, pairs, grain, fys, _ = draw(random_case())
    pairs = [(draw(_HOW), where, col) for _, where, col in pairs]
    pairs = [(how, where, col if how == "count" or col in ("score", "handled", "hours")
              else "score") for how, where, col in pairs]
    return frame, pairs, grain, fys


@settings(max_examples=examples(30), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=decomposable_case())
def test_random_tables_and_decomposable_kpis_match_pandas(tmp_path_factory, case) -> None:
    need_duckdb()
    frame, pairs, grain, fys = case
    tmp = tmp_path_factory.mktemp("hyp1")
    data = tmp / "rows.parquet"
    frame.to_parquet(data)
    path = kpi_file(tmp, kpis_yaml(pairs), period=grain, fys=fys)
    expected = actuals_of(path, [str(data)], engine="pandas")
    got = actuals_of(path, [str(data)], engine="duckdb")
    assert_same(expected, got, f"{pairs} {grain}")


def _json_rows(n: int = 1500) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    frame = pd.DataFrame({
        "day": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 500, n), unit="D"),
        "handled": rng.integers(0, 20, n).astype("float64"),
        "score": np.round(rng.random(n) * 5, 2),
        "team": rng.choice(np.array(["North", "South", "West"], dtype=object), n),
    })
    return frame.sort_values("day", kind="stable").reset_index(drop=True)


JSON_KPIS = kpis_yaml([("sum", "team != 'West'", "handled"), ("mean", None, "score"),
                       ("max", "handled > 3", "score"), ("count", None, "team"),
                       ("min", None, "handled")])


def _report(path: Path, data: str) -> dict:
    res = invoke("report", path, "--data", data, "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    doc["findings"] = [f for f in doc["findings"] if f["rule"] != "D600"]
    doc.pop("sources", None)
    doc.pop("notes", None)  # names the engine that aggregated
    return doc


def test_report_json_from_csv_and_from_parquet_in_one_scan_equal(tmp_path: Path) -> None:
    need_duckdb()
    frame = _json_rows()
    frame.to_csv(tmp_path / "rows.csv", index=False)
    frame.to_parquet(tmp_path / "rows.parquet")
    path = kpi_file(tmp_path, JSON_KPIS)
    assert _report(path, str(tmp_path / "rows.csv")) == _report(path, str(tmp_path / "rows.parquet"))


# ----------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="module")
def pg_rows(rows: Path) -> str:
    """The rows of ``rows`` as the PostgreSQL table one_scan_rows (loaded once); the URL."""
    url = pg_url()
    load_pg(pg_admin(), "one_scan_rows", table())
    return url


@pytest.mark.parametrize(("grain", "fys"), GRAINS)
def test_postgres_decomposable_kpis_in_one_scan(
    rows: Path, pg_rows: str, tmp_path: Path, queries: list[str], grain: str, fys: int
) -> None:
    url = pg_rows
    kpis = kpis_yaml(pairs_for(FILTERS))
    expected = actuals_of(kpi_file(rows.parent, kpis, period=grain, fys=fys), [str(rows)],
                          engine="pandas")
    (tmp_path / "pg").mkdir()
    got = actuals_of(kpi_file(tmp_path / "pg", kpis, period=grain, fys=fys,
                              data="  table: one_scan_rows"), [url], engine="sql")
    assert assert_same(expected, got, f"postgres one scan {grain}") > 500
    from kpicli.engine.sqlplan import DIALECTS

    assert len(queries) == (1 if DIALECTS["postgres"].one_scan else 2)


@pytest.mark.parametrize("kpis", ["slots", "overlapping"])
def test_postgres_long_table_in_one_scan(tmp_path: Path, kpis: str) -> None:
    url = pg_url()
    frame = long_table()
    data = tmp_path / "long.parquet"
    frame.to_parquet(data)
    load_pg(pg_admin(), "one_scan_long", frame)
    text = {"slots": LONG_DECOMPOSABLE, "overlapping": OVERLAPPING}[kpis]
    expected = actuals_of(kpi_file(tmp_path, text, data=LONG_SPEC), [str(data)], engine="pandas")
    (tmp_path / "pg").mkdir()
    got = actuals_of(
        kpi_file(tmp_path / "pg", text, data=LONG_SPEC + "\n  table: public.one_scan_long"),
        [url], engine="sql",
    )
    assert_same(expected, got, f"postgres long {kpis}")


def test_report_json_from_csv_and_from_postgres_in_one_scan_equal(tmp_path: Path) -> None:
    url = pg_url()
    frame = _json_rows()
    frame.to_csv(tmp_path / "rows.csv", index=False)
    load_pg(pg_admin(), "one_scan_json", frame)
    (tmp_path / "pg").mkdir()
    csv_doc = _report(kpi_file(tmp_path, JSON_KPIS), str(tmp_path / "rows.csv"))
    pg_doc = _report(kpi_file(tmp_path / "pg", JSON_KPIS, data="  table: one_scan_json"), url)
    assert csv_doc == pg_doc


# ----------------------------------------------------------------------------------- Spark


@pytest.fixture
def spark_one_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """One scan on Spark too: off by default (no faster in local mode), kept verified."""
    import dataclasses

    from kpicli.engine import sqlplan

    monkeypatch.setitem(
        sqlplan.DIALECTS, "spark", dataclasses.replace(sqlplan.DIALECTS["spark"], one_scan=True)
    )


@pytest.mark.parametrize(("grain", "fys"), [("week", 1), ("quarter", 4)])
def test_spark_decomposable_kpis_in_one_scan(
    spark, spark_one_scan, tmp_path: Path, queries: list[str], grain: str, fys: int
) -> None:
    from tests.spark_helpers import COMPARED, view
    from tests.test_sql_spark import SOME_FILTERS, URL

    need_duckdb()  # sqlglot
    data = tmp_path / "rows.parquet"
    table().to_parquet(data)
    view(spark, "one_scan_rows", data)
    kpis = kpis_yaml(pairs_for(SOME_FILTERS))
    expected = actuals_of(kpi_file(tmp_path, kpis, period=grain, fys=fys), [str(data)],
                          engine="pandas")
    (tmp_path / "spark").mkdir()
    got = actuals_of(kpi_file(tmp_path / "spark", kpis, period=grain, fys=fys,
                              data="  table: one_scan_rows"), [URL], engine="sql")
    COMPARED[f"spark one scan {grain}"] = assert_same(expected, got, f"spark one scan {grain}")
    assert len(queries) == 1


def test_spark_keeps_two_queries_by_default(spark, tmp_path: Path, queries: list[str]) -> None:
    from tests.spark_helpers import view
    from tests.test_sql_spark import URL

    need_duckdb()
    data = tmp_path / "rows.parquet"
    table().to_parquet(data)
    view(spark, "one_scan_default", data)
    kpis = kpis_yaml([("sum", None, "score"), ("mean", "flag", "hours")])
    expected = actuals_of(kpi_file(tmp_path, kpis), [str(data)], engine="pandas")
    (tmp_path / "spark").mkdir()
    got = actuals_of(kpi_file(tmp_path / "spark", kpis, data="  table: one_scan_default"),
                     [URL], engine="sql")
    assert_same(expected, got)
    assert len(queries) == 2


def test_spark_long_table_in_one_scan(
    spark, spark_one_scan, tmp_path: Path, queries: list[str]
) -> None:
    from tests.spark_helpers import COMPARED, view
    from tests.test_sql_spark import URL

    need_duckdb()
    data = tmp_path / "long.parquet"
    long_table().to_parquet(data)
    view(spark, "one_scan_long", data)
    expected = actuals_of(kpi_file(tmp_path, TWO_LABELS, data=LONG_SPEC), [str(data)],
                          engine="pandas")
    (tmp_path / "spark").mkdir()
    got = actuals_of(kpi_file(tmp_path / "spark", TWO_LABELS,
                              data=LONG_SPEC + "\n  table: one_scan_long"), [URL], engine="sql")
    COMPARED["spark long one scan"] = assert_same(expected, got, "spark long one scan")
    assert len(queries) == 1

"""Differential conformance: the same KPI files over the same data through the pandas path
and through each verified SQL engine give the same values (1e-9 relative).

DuckDB runs in process on a Parquet file; PostgreSQL runs against a real server when
``KPI_TEST_PG`` (a libpq URL without password; .ci/postgres.sh sets it) is given, skipped
otherwise and failing when CI=true.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hypothesis_budget import examples
from tests.sql_helpers import (
    actuals_of,
    assert_same,
    json_report,
    kpi_file,
    load_pg,
    need_duckdb,
    pandas_and_database,
    team_rows,
)

AGGREGATES = ["sum", "mean", "median", "min", "max", "count", "nunique", "first", "last",
              "p10", "p90"]
FILTERS = [
    None,
    "channel == 'email'",
    "channel != 'email'",
    "not (score > 3)",
    "score >= 2 and score < 5",
    "score > 3 or handled == 0",
    "1 < score < 4",
    "channel in ['email', 'phone']",
    "channel not in ['email']",
    "channel in ['email', None]",
    "score is None",
    "score is not None",
    "score == None",
    "isnull(channel)",
    "notnull(score)",
    "contains(channel, 'MA')",
    "startswith(channel, 'PH')",
    "endswith(channel, 'l ')",
    "lower(channel) == 'mail '",
    "upper(channel) == 'EMAIL'",
    "len(channel) > 4",
    "handled / (score - 3) > 1",
    "abs(handled - 5) <= 2",
    "sqrt(handled - 3) > 1",
    "log(score) > 0.5",
    "log(handled, 2) >= 1",
    "handled ** 2 > 20",
    "(score - 2) ** 0.5 > 1",
    "(handled - 4) ** -1 > 0.2",
    "min(score, handled) > 2",
    "max(score, handled) < 6",
    "-handled < -3",
    "+handled > 3",
    "handled * 2 - 1 > 6 and handled + 1 < 9",
    "flag",
    "not flag",
    "flag == 1",
    "score",
    "_date >= '2025-06-01'",
    "_date < '2026-01-01' and _date > '2025-03-15'",
    "day > 3",
    "score == 'x'",
    "channel != 3",
    "`team name` == 'A'",
    "True",
    "False",
]


def table(n: int = 3000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-11-03 08:00")
    return pd.DataFrame(
        {
            # Timestamps with times: the period and first/last must follow the day.
            "day": start + pd.to_timedelta(rng.integers(0, 600 * 24, n), unit="h"),
            "channel": rng.choice(np.array(["email", "phone", None, "Mail ", "chat"], dtype=object), n),
            "handled": rng.integers(0, 10, n).astype("int64"),
            "score": np.where(rng.random(n) < 0.15, np.nan, rng.integers(1, 6, n).astype(float)),
            "hours": rng.gamma(2.0, 3.0, n),
            "flag": rng.random(n) < 0.4,
            "team name": rng.choice(np.array(["A", "B", " A", None], dtype=object), n),
        }
    )


def kpis_yaml(pairs: list[tuple[str, str | None, str]]) -> str:
    out = []
    for i, (how, where, column) in enumerate(pairs):
        w = f", where: {json.dumps(where)}" if where else ""
        out.append(
            f"  - id: k{i}\n    name: KPI number {i} of the suite\n    unit: points\n"
            f"    measure: {{column: {json.dumps(column)}, aggregate: {how}{w}}}\n    target: 3\n"
        )
    out.append("  - id: ratio\n    name: Ratio of two sums\n    unit: ratio\n"
               "    formula: k0 / k1\n    target: 1\n")
    return "".join(out)


def pairs_for(filters: list[str | None], aggregates: list[str] = AGGREGATES,
              ) -> list[tuple[str, str | None, str]]:
    """Every aggregate × every filter (of the score; counts of the channel), and a few more."""
    pairs = [(how, where, "score" if how not in ("count", "nunique") else "channel")
             for how in aggregates for where in filters]
    return pairs + [("sum", None, "handled"), ("mean", "flag", "hours"), ("p50", None, "flag"),
                    ("count", None, "day"), ("count", "score > 2", "_date")]  # date: _date only


GRAINS = [("week", 1), ("month", 1), ("quarter", 4), ("year", 7)]


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    need_duckdb()
    tmp = tmp_path_factory.mktemp("conf")
    data = tmp / "rows.parquet"
    table().to_parquet(data)
    return tmp, data, kpis_yaml(pairs_for(FILTERS))


COUNTS: dict[str, int] = {}


@pytest.mark.parametrize(("grain", "fys"), GRAINS)
@pytest.mark.parametrize("by", [None, "team name"])
def test_duckdb_parquet_matches_pandas(suite, grain: str, fys: int, by: str | None) -> None:
    tmp, data, kpis = suite
    path = kpi_file(tmp, kpis, period=grain, fys=fys)
    expected = actuals_of(path, [str(data)], engine="pandas", by=by)
    got = actuals_of(path, [str(data)], engine="duckdb", by=by)
    n = assert_same(expected, got, f"{grain} by={by}")
    assert n > 1000
    COUNTS[f"duckdb {grain} by={by}"] = n


LONG = """  - id: visits
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
    measure: {column: aov, aggregate: median}
    target: 50
  - id: last-aov
    name: Latest order value of the period
    unit: currency:EUR
    measure: {column: aov, aggregate: last}
    target: 50
"""


def long_table(n: int = 2000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "date": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D"),
            "metric": rng.choice(np.array(["visits", "orders", "AOV", "other"], dtype=object), n),
            "value": np.where(rng.random(n) < 0.1, np.nan, rng.random(n) * 100),
            "goal": rng.random(n) * 100,
            "region": rng.choice(np.array(["North", "South", None], dtype=object), n),
        }
    )


LONG_SPEC = ("  layout: long\n  kpi_column: metric\n  value_column: value\n"
             "  target_column: goal\n  date_column: date")


@pytest.mark.parametrize("by", [None, "region"])
def test_duckdb_long_table_with_targets_matches_pandas(tmp_path: Path, by: str | None) -> None:
    need_duckdb()
    data = tmp_path / "long.parquet"
    long_table().to_parquet(data)
    path = kpi_file(tmp_path, LONG, data=LONG_SPEC)
    expected = actuals_of(path, [str(data)], engine="pandas", by=by)
    got = actuals_of(path, [str(data)], engine="duckdb", by=by)
    assert not expected.targets.empty
    assert_same(expected, got, f"long by={by}")


def test_report_json_from_parquet_equal_field_by_field(tmp_path: Path) -> None:
    """`kpi report --format json`: pandas path and DuckDB give the same document (apart from
    the note naming the engine)."""
    need_duckdb()
    data = tmp_path / "rows.parquet"
    table().to_parquet(data)
    kpis = kpis_yaml([("sum", "channel == 'email'", "handled"), ("mean", None, "score"),
                      ("p90", "not flag", "hours"), ("last", None, "score")])
    docs = [
        json_report(kpi_file(tmp_path, kpis, data=f"  engine: {engine}"), data, "--by", "team name")
        for engine in ("pandas", "duckdb")
    ]
    assert docs[0] == docs[1]


# ------------------------------------------------------------------ random tables and KPIs

_HOW = st.sampled_from(AGGREGATES + ["p50", "p25", "p99"])
_WHERE = st.sampled_from(FILTERS)


@st.composite
def random_case(draw):
    n = draw(st.integers(1, 60))
    days = draw(st.lists(st.integers(0, 800), min_size=n, max_size=n))
    # No subnormal floats (below 2.2e-308): engines interpolate percentiles in different but
    # equally valid orders ((a+b)/2 or a/2+b/2), which differ only there, and a median of
    # 0 versus 5e-324 turns a formula's division into a number or a missing value.
    scores = draw(st.lists(st.one_of(st.none(), st.integers(-5, 9).map(float),
                                     st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False,
                                               allow_subnormal=False)),
                           min_size=n, max_size=n))
    channels = draw(st.lists(st.sampled_from(["email", "phone", None, "Mail ", "é"]),
                             min_size=n, max_size=n))
    frame = pd.DataFrame(
        {
            "day": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D"),
            "channel": pd.Series(channels, dtype=object),
            "handled": draw(st.lists(st.integers(-3, 12), min_size=n, max_size=n)),
            "score": pd.Series([np.nan if s is None else s for s in scores], dtype="float64"),
            "hours": draw(st.lists(st.floats(0, 100, allow_nan=False, allow_subnormal=False),
                                    min_size=n, max_size=n)),
            "flag": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
            "team name": draw(st.lists(st.sampled_from(["A", "B", None]), min_size=n, max_size=n)),
        }
    )
    k = draw(st.integers(1, 5))
    pairs = []
    for _ in range(k):
        how = draw(_HOW)
        col = draw(st.sampled_from(["score", "handled", "hours"] if how not in ("count", "nunique")
                                   else ["channel", "score", "team name"]))
        pairs.append((how, draw(_WHERE), col))
    grain, fys = draw(st.sampled_from(GRAINS))
    by = draw(st.sampled_from([None, "team name", "channel"]))
    return frame, pairs, grain, fys, by


@settings(max_examples=examples(30), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=random_case())
def test_random_tables_and_kpis_match_pandas(tmp_path_factory, case) -> None:
    need_duckdb()
    frame, pairs, grain, fys, by = case
    tmp = tmp_path_factory.mktemp("hyp")
    data = tmp / "rows.parquet"
    frame.to_parquet(data)
    path = kpi_file(tmp, kpis_yaml(pairs), period=grain, fys=fys)
    expected = actuals_of(path, [str(data)], engine="pandas", by=by)
    got = actuals_of(path, [str(data)], engine="duckdb", by=by)
    assert_same(expected, got, f"{pairs} {grain} {by}")


def test_every_kpi_refused_for_the_data_is_reported_as_on_pandas(tmp_path: Path) -> None:
    # Found by the random test: the only measured KPI filters on a column the data lacks
    # (the date column is `_date` in filters), so no KPI has values to assemble.
    need_duckdb()
    data = tmp_path / "rows.parquet"
    pd.DataFrame({"day": [pd.Timestamp("2024-01-01")], "score": [np.nan]}).to_parquet(data)
    path = kpi_file(tmp_path, kpis_yaml([("sum", "day > 3", "score")]), period="week")
    expected = actuals_of(path, [str(data)], engine="pandas")
    got = actuals_of(path, [str(data)], engine="duckdb")
    assert_same(expected, got)
    assert set(got.problems) == {"k0", "ratio"}
    assert "unknown column 'day'" in got.problems["k0"]


# ----------------------------------------------------------------------------- PostgreSQL


def pg_url() -> str | None:
    url = os.environ.get("KPI_TEST_PG")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("KPI_TEST_PG is not set: .ci/run must start PostgreSQL")
        pytest.skip("no PostgreSQL server (set KPI_TEST_PG; .ci/postgres.sh starts one)")
    return url


def pg_admin() -> str:
    pg_url()
    return os.environ["KPI_TEST_PG_ADMIN"]


@pytest.fixture(scope="module")
def pg_suite(suite):
    url = pg_url()
    tmp, data, kpis = suite
    load_pg(pg_admin(), "conf_rows", table())
    return tmp, data, kpis, url


@pytest.mark.parametrize(("grain", "fys"), GRAINS)
@pytest.mark.parametrize("by", [None, "team name"])
def test_postgres_matches_pandas(pg_suite, grain: str, fys: int, by: str | None) -> None:
    tmp, data, kpis, url = pg_suite
    expected, got = pandas_and_database(tmp, kpis, data, url, "conf_rows",
                                        period=grain, fys=fys, by=by)
    n = assert_same(expected, got, f"postgres {grain} by={by}")
    assert n > 1000


@pytest.mark.parametrize("by", [None, "region"])
def test_postgres_long_table_with_targets_matches_pandas(tmp_path: Path, by: str | None) -> None:
    url = pg_url()
    frame = long_table()
    data = tmp_path / "long.parquet"
    frame.to_parquet(data)
    load_pg(pg_admin(), "conf_long", frame)
    expected, got = pandas_and_database(tmp_path, LONG, data, url, "public.conf_long",
                                        spec=LONG_SPEC, by=by)
    assert_same(expected, got, f"postgres long by={by}")


@settings(max_examples=examples(12), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=random_case())
def test_postgres_random_tables_and_kpis_match_pandas(tmp_path_factory, case) -> None:
    url = pg_url()
    frame, pairs, grain, fys, by = case
    tmp = tmp_path_factory.mktemp("hyppg")
    data = tmp / "rows.parquet"
    frame.to_parquet(data)
    load_pg(pg_admin(), "hyp_rows", frame)
    expected, got = pandas_and_database(tmp, kpis_yaml(pairs), data, url, "hyp_rows",
                                        period=grain, fys=fys, by=by)
    assert_same(expected, got, f"{pairs} {grain} {by}")


def test_report_json_from_csv_and_from_postgres_equal_field_by_field(tmp_path: Path) -> None:
    """The same rows as a CSV file (pandas path) and as a PostgreSQL table: `kpi report
    --format json` gives the same document, field by field (apart from the source names and
    the note naming the engine)."""
    url = pg_url()
    frame = team_rows()
    frame.to_csv(tmp_path / "rows.csv", index=False)
    load_pg(pg_admin(), "json_rows", frame)
    kpis = kpis_yaml([("sum", "team != 'West'", "handled"), ("mean", None, "score"),
                      ("p90", "handled > 3", "score"), ("last", None, "score"),
                      ("count", None, "team")])
    csv_path = kpi_file(tmp_path, kpis)
    (tmp_path / "pg").mkdir()
    pg_path = kpi_file(tmp_path / "pg", kpis, data="  table: json_rows")
    docs = [json_report(path, data, "--by", "team", drop=("sources", "notes"))
            for path, data in ((csv_path, tmp_path / "rows.csv"), (pg_path, url))]
    assert "@" in url and ":" not in url.split("@")[0].split("//")[1]  # no password in the URL
    assert docs[0] == docs[1]


def test_duckdb_long_table_with_overlapping_labels_matches_pandas(tmp_path: Path) -> None:
    """A KPI reading two labels (its column and its name) next to one reading one of them:
    no shared slot is possible, each KPI filters its own rows."""
    need_duckdb()
    data = tmp_path / "long.parquet"
    long_table().to_parquet(data)
    spec = "  layout: long\n  kpi_column: metric\n  value_column: value\n  date_column: date"
    kpis = LONG + ("  - id: both\n    name: orders\n    unit: count\n"
                   "    measure: {column: visits, aggregate: sum}\n")
    path = kpi_file(tmp_path, kpis, data=spec)
    expected = actuals_of(path, [str(data)], engine="pandas", by="region")
    got = actuals_of(path, [str(data)], engine="duckdb", by="region")
    assert_same(expected, got, "overlapping labels")
